/*
 * test_stop.c — the all-cores stop: parked cores sleep through their ticks
 * (they do not spin), busy cores freeze, idle cores park, two
 * or more requesters at once do not deadlock, a core with interrupts masked
 * delays the stop, and 10,000 stops in a row from rotating requesters while
 * tasks come and go.  (The watchdog, which warns about a slow core and
 * panics on one that never answers, is tested by booting run=crash:stw-slow
 * and run=crash:stw-watchdog: see tests/run.py.)
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/stw/stop.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"

#define MS 1000000ULL

static int others_parked(void)
{
	int n = 0;
	for_each_online_cpu(c) if (c->id != cpu_id() && stw_frame(c->id)) n++;
	return n;
}

/* ---- parked cores sleep ---- */

/* A stop that lasts several ticks: each parked core's tick falls due while
 * it waits with interrupts masked.  Were the tick not held off, it would stay
 * pending and end every wfi at once (the core would spin, and under QEMU take
 * a host CPU from the cores the stop waits for).  Held off, each parked core
 * wakes about once: for the release. */
KTEST(stop, parked_cores_sleep_through_their_ticks)
{
	if (cpus_online() < 2)
		KSKIP("needs another core to park");
	uint64_t before[MAX_CPUS];
	for_each_online_cpu(c) before[c->id] = stw_park_wakeups(c->id);
	uint64_t hold_ns = 5 * 1000000000ULL / timer_tick_hz();
	stop_the_world("test: a stop of five ticks");
	delay_ns(hold_ns);
	start_the_world();
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		uint64_t woke = stw_park_wakeups(c->id) - before[c->id];
		kprintf("    cpu%d woke %llu times in a stop of %llu ms\n", c->id,
			(unsigned long long)woke, (unsigned long long)(hold_ns / MS));
		KASSERT_GE(woke, 1); /* the release */
		KASSERT_LE(woke, 20); /* not spinning: that is thousands */
	}
}

/* ---- busy cores freeze ---- */

/* Per-core counters: one writer each, read relaxed by main (only whether
 * they move matters, so no ordering is needed). */
static uint64_t counter[MAX_CPUS];
static int spin_stop;

static int64_t spin_counting(void *arg)
{
	(void)arg;
	int me = cpu_id();
	/* relaxed: a flag polled by a loop that must not yield */
	while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED))
		__atomic_store_n(&counter[me], counter[me] + 1,
				 __ATOMIC_RELAXED); /* read by main */
	return 0;
}

static struct task *start_spinners(struct task **t)
{
	__atomic_store_n(&spin_stop, 0, __ATOMIC_RELAXED); /* published by task creation */
	for_each_online_cpu(c)
	{
		t[c->id] = NULL;
		if (c->id != cpu_id())
			t[c->id] = task_create_on(c->id, true, "spinner", spin_counting, NULL, 0);
	}
	return NULL;
}

static void stop_spinners(struct task **t)
{
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED); /* a flag; join orders the rest */
	for (int i = 0; i < ncpus; i++)
		if (t[i])
			task_join(t[i]);
}

KTEST(stop, busy_cores_do_not_move_while_stopped)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	struct task *t[MAX_CPUS];
	start_spinners(t);
	/* wait until every spinner is counting */
	for_each_online_cpu(c) if (c->id != cpu_id()) while (
	    !__atomic_load_n(&counter[c->id], __ATOMIC_RELAXED)) task_sleep_ns(MS);
	for (int round = 0; round < 20; round++) {
		uint64_t before[MAX_CPUS], after[MAX_CPUS];
		stop_the_world("test: freeze");
		KASSERT_EQ(others_parked(), cpus_online() - 1);
		for (int i = 0; i < ncpus; i++)
			before[i] = __atomic_load_n(&counter[i], __ATOMIC_RELAXED);
		delay_ns(2 * MS);
		for (int i = 0; i < ncpus; i++)
			after[i] = __atomic_load_n(&counter[i], __ATOMIC_RELAXED);
		/* the parked frames are the spinners' interrupted state */
		for_each_online_cpu(c) if (c->id != cpu_id())
		{
			struct trap_frame *tf = stw_frame(c->id);
			KASSERT(tf != NULL);
			KASSERT((tf->spsr & DAIF_I) == 0); /* they were interrupted with IRQs on */
		}
		start_the_world();
		for (int i = 0; i < ncpus; i++)
			KASSERT_EQ(after[i], before[i]);
	}
	/* and they run again afterwards (allow a loaded host 5 s to show it) */
	uint64_t snap[MAX_CPUS];
	for (int i = 0; i < ncpus; i++)
		snap[i] = __atomic_load_n(&counter[i], __ATOMIC_RELAXED);
	uint64_t deadline = timer_ns() + 5000 * MS;
	for_each_online_cpu(c) if (c->id != cpu_id())
	{
		while (__atomic_load_n(&counter[c->id], __ATOMIC_RELAXED) == snap[c->id] &&
		       timer_ns() < deadline)
			cpu_relax();
		KASSERT_GT(__atomic_load_n(&counter[c->id], __ATOMIC_RELAXED), snap[c->id]);
	}
	stop_spinners(t);
	KASSERT(!stw_stopped());
}

KTEST(stop, idle_cores_park_and_return)
{
	for (int i = 0; i < 100; i++) {
		stop_the_world("test: idle");
		KASSERT_EQ(others_parked(), cpus_online() - 1);
		KASSERT(stw_stopped());
		start_the_world();
	}
	KASSERT(!stw_stopped());
	KASSERT_EQ(others_parked(), 0);
}

/* ---- every core requests at once ---- */

static int ready, go, stops_done, bad_parks;

static int64_t request_at_once(void *arg)
{
	int rounds = (int)(uintptr_t)arg;
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE); /* "at the barrier" */
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		task_yield(); /* the main task may share this core */
	for (int i = 0; i < rounds; i++) {
		stop_the_world("test: all at once");
		if (others_parked() != cpus_online() - 1)
			bad_parks++; /* only the owner writes: the world is stopped */
		stops_done++;
		start_the_world();
	}
	return 0;
}

KTEST(stop, every_core_requests_at_once)
{
	struct task *t[MAX_CPUS];
	int n = 0;
	ready = go = stops_done = bad_parks = 0;
	for_each_online_cpu(c)
	{
		t[n] = task_create_on(c->id, true, "requester", request_at_once, (void *)50, 0);
		KASSERT(t[n] != NULL);
		n++;
	}
	/* acquire/release: the barrier that starts every requester together */
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < n)
		task_sleep_ns(MS);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		KASSERT_EQ(task_join(t[i]), 0);
	KASSERT_EQ(stops_done, 50 * n);
	KASSERT_EQ(bad_parks, 0);
}

/* ---- a core with interrupts masked for a while ---- */

static int masked_started;
static uint64_t masked_at; /* timer_ns() when it masked; published by "masked now" */

static int64_t mask_for_a_while(void *arg)
{
	uint64_t ns = (uint64_t)(uintptr_t)arg;
	uint64_t flags = irq_save();
	masked_at = timer_ns();
	__atomic_store_n(&masked_started, 1, __ATOMIC_RELEASE); /* "masked now" */
	delay_ns(ns);
	irq_restore(flags);
	return 0;
}

KTEST(stop, a_masked_core_delays_the_stop)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	int other = -1;
	for_each_online_cpu(c) if (c->id != cpu_id()) other = c->id;
	/* A busy host may run this task late: a try counts only if it asked
	 * while the other core had at least 10 of its 40 ms masked left. */
	for (int try = 0; try < 5; try++) {
		masked_started = 0;
		struct task *t = task_create_on(other, true, "masked", mask_for_a_while,
						(void *)(uintptr_t)(40 * MS), 0);
		KASSERT(t != NULL);
		/* acquire: pairs with "masked now" */
		while (!__atomic_load_n(&masked_started, __ATOMIC_ACQUIRE))
			task_sleep_ns(MS / 2);
		uint64_t asked = timer_ns();
		stop_the_world("test: masked core");
		uint64_t stopped = timer_ns();
		KASSERT_EQ(others_parked(), cpus_online() - 1);
		start_the_world();
		KASSERT_EQ(task_join(t), 0);
		if (asked - masked_at > 30 * MS)
			continue;
		/* the stop cannot complete before the core unmasks */
		KASSERT_GE(stopped - masked_at, 40 * MS);
		return;
	}
	KSKIP("in 5 tries, never asked while the core was masked (a busy host)");
}

/* ---- 10,000 stops from rotating requesters, while tasks come and go ---- */

#define STOPS 10000
static int token, total_stops, churning;
static struct spinlock token_lock = SPINLOCK_INIT("test-token");
static struct waitq token_wait;

/* Requesters take turns: the token passes core to core, and a requester
 * waiting for its turn sleeps on a wait queue (no core spins). */
static int64_t rotating(void *arg)
{
	int me = (int)(uintptr_t)arg, n = cpus_online();
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&token_lock);
		while (token % n != me && token < STOPS)
			task_wait(&token_wait, &token_lock);
		int tk = token;
		spin_unlock_irqrestore(&token_lock, flags);
		if (tk >= STOPS)
			return 0;
		stop_the_world("test: rotating");
		total_stops++;
		start_the_world();
		flags = spin_lock_irqsave(&token_lock);
		token = tk + 1;
		task_wake_all(&token_wait);
		spin_unlock_irqrestore(&token_lock, flags);
	}
}

static int64_t short_life(void *arg)
{
	return (int64_t)(uintptr_t)arg;
}

static int64_t churn(void *arg)
{
	(void)arg;
	int64_t made = 0;
	/* relaxed: a flag; join orders the rest */
	while (__atomic_load_n(&churning, __ATOMIC_RELAXED)) {
		struct task *t = task_create("churn", short_life, (void *)1, 8192);
		if (t)
			made += task_join(t);
		task_sleep_ns(MS); /* churn, but leave the cores mostly idle */
	}
	return made;
}

KTEST(stop, ten_thousand_stops_rotating_while_tasks_churn)
{
	int n = cpus_online();
	struct task *req[MAX_CPUS], *ch[MAX_CPUS];
	token = total_stops = 0;
	token_wait.head = token_wait.tail = NULL;
	churning = 1;
	int k = 0;
	uint64_t t0 = timer_ns();
	for_each_online_cpu(c)
	{
		ch[k] = task_create_on(c->id, false, "churn", churn, NULL, 0);
		req[k] = task_create_on(c->id, true, "rotating", rotating, (void *)(uintptr_t)k, 0);
		KASSERT(req[k] && ch[k]);
		k++;
	}
	for (int i = 0; i < n; i++)
		KASSERT_EQ(task_join(req[i]), 0);
	__atomic_store_n(&churning, 0, __ATOMIC_RELAXED); /* a flag; join orders the rest */
	int64_t churned = 0;
	for (int i = 0; i < n; i++)
		churned += task_join(ch[i]);
	KASSERT_EQ(total_stops, STOPS);
	KASSERT(!stw_stopped());
	kprintf("    %d stops in %llu ms while %lld tasks came and went\n", STOPS,
		(unsigned long long)((timer_ns() - t0) / MS), (long long)churned);
	stw_print_summary("    stw");
}
