/*
 * test_task.c — tasks on every core: creation from all cores at once, the
 * global task slice afterwards, yield ping-pong across cores, sleep, wait and
 * wake across cores, stack overflow, stealing, and reuse of dead tasks.
 */
#include "kernel/task/alltasks.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000ULL

static int64_t times_three_plus_one(void *arg)
{
	return (int64_t)(uintptr_t)arg * 3 + 1;
}

KTEST(task, create_and_join_returns_the_result)
{
	struct task *t = task_create("triple", times_three_plus_one, (void *)14, 0);
	KASSERT(t != NULL);
	KASSERT_EQ(task_join(t), 43);
}

/* ---- 10,000 tasks from every core at once ---- */

#define MANY  10000
#define BATCH 64

static uint8_t ran[MANY];
static struct task *made[MANY];
static int bad_results;

static int64_t count_run(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	__atomic_fetch_add(&ran[i], 1, __ATOMIC_RELAXED); /* checked after every join */
	return (int64_t)i * 3 + 1;
}

struct creator_arg {
	int first, count;
};

/* Runs pinned on one core: create its share in batches, join each batch. */
static int64_t creator(void *arg)
{
	struct creator_arg *a = arg;
	struct task *batch[BATCH];
	for (int base = a->first; base < a->first + a->count; base += BATCH) {
		int n = a->first + a->count - base < BATCH ? a->first + a->count - base : BATCH;
		for (int k = 0; k < n; k++) {
			batch[k] =
			    task_create("many", count_run, (void *)(uintptr_t)(base + k), 8192);
			if (!batch[k])
				return -1;
			made[base + k] = batch[k];
		}
		for (int k = 0; k < n; k++)
			if (task_join(batch[k]) != (int64_t)(base + k) * 3 + 1)
				__atomic_fetch_add(&bad_results, 1, __ATOMIC_RELAXED); /* a count */
	}
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

KTEST(task, ten_thousand_tasks_from_every_core)
{
	static struct creator_arg args[MAX_CPUS];
	struct task *creators[MAX_CPUS];
	int n = cpus_online();
	memset(ran, 0, sizeof ran);
	bad_results = 0;
	int at = 0, k = 0;
	for_each_online_cpu(c)
	{
		args[k].first = at;
		args[k].count = MANY / n + (k < MANY % n);
		at += args[k].count;
		creators[k] = task_create_on(c->id, true, "creator", creator, &args[k], 0);
		KASSERT(creators[k] != NULL);
		k++;
	}
	for (int i = 0; i < k; i++)
		KASSERT_EQ(task_join(creators[i]), 0);
	KASSERT_EQ(bad_results, 0);
	for (int i = 0; i < MANY; i++)
		if (ran[i] != 1) {
			kprintf("    task %d ran %d times\n", i, ran[i]);
			KASSERT_EQ(ran[i], 1);
		}

	/* The slice: consistent, no hole, every task once, and every struct we
	 * were handed is in it. */
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	KASSERT_LE(len, cap);
	struct tasks_view v = alltasks_snapshot();
	KASSERT_EQ(v.len, len);
	uintptr_t *sorted = malloc(len * sizeof *sorted);
	KASSERT(sorted != NULL);
	for (size_t i = 0; i < len; i++) {
		KASSERT(v.ptr[i] != NULL);
		KASSERT_EQ(v.ptr[i]->slot, (long long)i);
		sorted[i] = (uintptr_t)v.ptr[i];
	}
	qsort(sorted, len, sizeof *sorted, cmp_ptr);
	for (size_t i = 1; i < len; i++)
		KASSERT_NE(sorted[i], sorted[i - 1]);
	for (int i = 0; i < MANY; i++) {
		uintptr_t key = (uintptr_t)made[i];
		KASSERT(bsearch(&key, sorted, len, sizeof *sorted, cmp_ptr) != NULL);
	}
	free(sorted);
	kprintf("    slice: %zu tasks, capacity %zu, %zu arrays; %llu created, %llu reused\n", len,
		cap, arrays, (unsigned long long)tasks_created(),
		(unsigned long long)tasks_reused());
}

/* ---- yield ping-pong between two cores ---- */

#define ROUNDS 500
static int turn, bounces, wrong_core;

static int64_t ping_pong(void *arg)
{
	int me = (int)(uintptr_t)arg; /* 0 or 1 */
	int home = cpu_id();
	for (int i = 0; i < ROUNDS; i++) {
		/* acquire: the other side's increment is visible when we see our turn */
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
			task_yield();
		if (cpu_id() != home)
			wrong_core++;
		bounces++;
		__atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE); /* hand over, with bounces */
	}
	return 0;
}

KTEST(task, yield_ping_pong_across_cores)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	int a = -1, b = -1;
	for_each_online_cpu(c)
	{
		if (a < 0)
			a = c->id;
		else if (b < 0)
			b = c->id;
	}
	turn = bounces = wrong_core = 0;
	struct task *x = task_create_on(a, true, "ping", ping_pong, (void *)0, 0);
	struct task *y = task_create_on(b, true, "pong", ping_pong, (void *)1, 0);
	KASSERT(x && y);
	KASSERT_EQ(task_join(x), 0);
	KASSERT_EQ(task_join(y), 0);
	KASSERT_EQ(bounces, 2 * ROUNDS);
	KASSERT_EQ(wrong_core, 0); /* pinned tasks stay on their cores */
}

/* ---- sleep ---- */

static int early_wakes;

static int64_t sleeper(void *arg)
{
	uint64_t ns = (uint64_t)(uintptr_t)arg;
	uint64_t t0 = timer_ns();
	task_sleep_ns(ns);
	uint64_t slept = timer_ns() - t0;
	if (slept < ns)
		__atomic_fetch_add(&early_wakes, 1, __ATOMIC_RELAXED); /* a count */
	return (int64_t)slept;
}

KTEST(task, sleep_never_returns_early)
{
	struct task *t[32];
	early_wakes = 0;
	for (int i = 0; i < 32; i++) {
		t[i] = task_create_on(i % ncpus, false, "sleeper", sleeper,
				      (void *)(uintptr_t)((1 + (i * 7) % 40) * MS), 0);
		KASSERT(t[i] != NULL);
	}
	for (int i = 0; i < 32; i++)
		KASSERT_GE(task_join(t[i]), (int64_t)((1 + (i * 7) % 40) * MS));
	KASSERT_EQ(early_wakes, 0);
}

/* ---- wait and wake across cores ---- */

#define ITEMS 4000
static struct spinlock q_lock = SPINLOCK_INIT("test-queue");
static struct waitq q_wait;
static int q_count, q_consumed, q_produced;

static int64_t producer(void *arg)
{
	int n = (int)(uintptr_t)arg;
	for (int i = 0; i < n; i++) {
		uint64_t flags = spin_lock_irqsave(&q_lock);
		q_count++;
		q_produced++;
		task_wake_one(&q_wait);
		spin_unlock_irqrestore(&q_lock, flags);
		if (i % 16 == 0)
			task_yield();
	}
	return 0;
}

static int64_t consumer(void *arg)
{
	int n = (int)(uintptr_t)arg;
	for (int i = 0; i < n; i++) {
		uint64_t flags = spin_lock_irqsave(&q_lock);
		while (q_count == 0)
			task_wait(&q_wait, &q_lock);
		q_count--;
		q_consumed++;
		spin_unlock_irqrestore(&q_lock, flags);
	}
	return 0;
}

KTEST(task, wait_and_wake_across_cores_lose_nothing)
{
	q_count = q_consumed = q_produced = 0;
	q_wait.head = q_wait.tail = NULL;
	int n = cpus_online() >= 4 ? 4 : 2;
	struct task *t[8];
	for (int i = 0; i < n; i++) {
		/* consumers on even cores, producers on odd, as far as they go */
		t[2 * i] = task_create_on(i % ncpus, true, "consumer", consumer,
					  (void *)(uintptr_t)(ITEMS / n), 0);
		t[2 * i + 1] = task_create_on((i + 1) % ncpus, true, "producer", producer,
					      (void *)(uintptr_t)(ITEMS / n), 0);
		KASSERT(t[2 * i] && t[2 * i + 1]);
	}
	/* A lost wake-up leaves a consumer asleep for ever: give up after 60 s
	 * rather than hang, and say so. */
	uint64_t deadline = timer_ns() + 60000 * MS;
	/* relaxed: a progress count; the joins below order the rest */
	while (__atomic_load_n(&q_consumed, __ATOMIC_RELAXED) < ITEMS && timer_ns() < deadline)
		task_sleep_ns(10 * MS);
	KASSERT_EQ(q_consumed, ITEMS);
	for (int i = 0; i < 2 * n; i++)
		KASSERT_EQ(task_join(t[i]), 0);
	KASSERT_EQ(q_produced, ITEMS);
	KASSERT_EQ(q_count, 0);
}

/* ---- stack overflow ---- */

static volatile uintptr_t recursion_limit = ~(uintptr_t)0; /* the compiler cannot see an end */

static int64_t recurse(void *arg)
{
	volatile char pad[512];
	uintptr_t depth = (uintptr_t)arg;
	pad[0] = (char)depth;
	if (depth == recursion_limit)
		return 0;
	return recurse((void *)(depth + 1)) + pad[0]; /* not a tail call: the stack grows */
}

KTEST(task, stack_overflow_kills_only_that_task)
{
	struct task *t = task_create("overflow", recurse, NULL, 8192);
	KASSERT(t != NULL);
	KASSERT_EQ(task_join(t), TASK_KILLED);
	/* The kernel carries on: tasks still run on every core. */
	struct task *u = task_create("after", times_three_plus_one, (void *)2, 0);
	KASSERT(u != NULL);
	KASSERT_EQ(task_join(u), 7);
}

/* ---- stealing ---- */

static uint64_t cores_used;

static int64_t spin_a_while(void *arg)
{
	(void)arg;
	__atomic_fetch_or(&cores_used, 1ULL << cpu_id(), __ATOMIC_RELAXED); /* a set of cores */
	delay_ns(20 * MS); /* busy, without yielding */
	return 0;
}

static int64_t make_work(void *arg)
{
	int n = (int)(uintptr_t)arg;
	struct task **t = malloc((size_t)n * sizeof *t);
	if (!t)
		return -1;
	for (int i = 0; i < n; i++)
		t[i] = task_create("work", spin_a_while, NULL, 0); /* all on this core's queue */
	for (int i = 0; i < n; i++)
		if (t[i])
			task_join(t[i]);
	free(t);
	return 0;
}

KTEST(task, idle_cores_steal_work_from_a_busy_one)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	cores_used = 0;
	struct task *m = task_create_on(cpu_id(), true, "maker", make_work,
					(void *)(uintptr_t)(6 * cpus_online()), 0);
	KASSERT(m != NULL);
	KASSERT_EQ(task_join(m), 0);
	KASSERT_EQ(__builtin_popcountll(cores_used), cpus_online());
}

/* ---- reuse ---- */

KTEST(task, dead_tasks_are_reused_before_the_slice_grows)
{
	struct task *t = task_create("once", times_three_plus_one, (void *)1, 0);
	KASSERT(t != NULL);
	task_join(t);
	size_t len0, cap0, arrays0;
	alltasks_stats(&len0, &cap0, &arrays0);
	uint64_t reused0 = tasks_reused();
	for (int i = 0; i < 100; i++) {
		struct task *u = task_create("again", times_three_plus_one, (void *)1, 0);
		KASSERT(u != NULL);
		KASSERT_EQ(task_join(u), 4);
	}
	size_t len1, cap1, arrays1;
	alltasks_stats(&len1, &cap1, &arrays1);
	KASSERT_EQ(len1, len0);
	KASSERT_EQ(tasks_reused() - reused0, 100);
}

KTEST(task, detached_tasks_recycle_themselves)
{
	struct task *t = task_create("detached", times_three_plus_one, (void *)5, 0);
	KASSERT(t != NULL);
	task_detach(t);
	task_sleep_ns(20 * MS);
	uint64_t reused0 = tasks_reused();
	struct task *u = task_create("next", times_three_plus_one, (void *)5, 0);
	KASSERT(u != NULL);
	KASSERT_EQ(task_join(u), 16);
	KASSERT_EQ(tasks_reused() - reused0, 1);
}
