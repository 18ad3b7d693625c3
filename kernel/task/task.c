/*
 * task.c — creating, running, blocking and ending tasks.  See task.h for the
 * model and the locking rules; sched.c for the scheduler loop.
 *
 * A task's life:
 *   task_create: take a dead task from the free list (or allocate one and add
 *     it to the global task slice), give it a stack and a first context that
 *     starts in task_trampoline, make it RUNNABLE on a run queue.
 *   running: the scheduler switches to it; it runs until it calls
 *     task_yield (RUNNABLE again), task_wait / task_join / task_sleep_ns
 *     (WAITING until woken) or task_exit (DEAD).
 *   after exit: the scheduler frees its stack; the struct is recycled once its
 *     result is collected (task_join) or at once if it was detached.
 */
#include "kernel/task/task.h"
#include "boot/boot.h" /* exception_stacks */
#include "kernel/task/alltasks.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/panic/exceptions.h"
#include "kernel/panic/panic.h"
#include "kernel/task/sched.h"
#include "kernel/mm/stack.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/trace/trace.h"

#include <stdlib.h>
#include <string.h>

void task_trampoline(void);
void abandon_exception(struct context *ctx, uint64_t exception_stack_top);

static const struct task_hooks *hooks; /* the collector's, once it starts */

void task_set_hooks(const struct task_hooks *h)
{
	/* release: the hooks' table (and whatever its owner set up before) is
	 * complete before a core that reads the pointer calls through it */
	__atomic_store_n(&hooks, h, __ATOMIC_RELEASE);
}

static const struct task_hooks *task_hooks(void)
{
	return __atomic_load_n(&hooks, __ATOMIC_ACQUIRE); /* pairs with task_set_hooks */
}

static void hook_created(struct task *t)
{
	const struct task_hooks *h = task_hooks();
	if (h && h->created)
		h->created(t);
}

static void hook_result(int64_t result)
{
	const struct task_hooks *h = task_hooks();
	if (h && h->result)
		h->result(result);
}

static void hook_yielding(struct task *t)
{
	const struct task_hooks *h = task_hooks();
	if (h && h->yielding)
		h->yielding(t);
}

/* For a panic report: "3 'name'", with the stack's bounds if asked. */
static void describe_task(const struct task *t, bool with_stack, char *buf, size_t n)
{
	if (with_stack)
		ksnprintf(buf, n, "%d '%s' (stack [%#llx, %#llx))", t->id, t->name,
			  (unsigned long long)t->stack_lo, (unsigned long long)t->stack_hi);
	else
		ksnprintf(buf, n, "%d '%s'", t->id, t->name);
}

void tasks_init(void)
{
	panic_set_task_describer(describe_task);
	exceptions_set_stack_fault(task_stack_fault);
}

static struct spinlock free_lock = SPINLOCK_INIT("task-free-list");
static struct task *free_tasks;
static size_t n_free; /* on free_tasks; under free_lock */
static int next_id = 1;
static uint64_t n_created, n_reused;

static const char *const state_names[] = {"idle", "runnable", "running", "waiting", "dead"};

const char *task_state_name(int state)
{
	return state >= 0 && state <= TASK_DEAD ? state_names[state] : "?";
}

struct task *task_current(void)
{
	struct cpu *c = (struct cpu *)read_sysreg(tpidr_el1);
	return c ? c->current : NULL;
}

uint64_t tasks_created(void)
{
	return __atomic_load_n(&n_created, __ATOMIC_RELAXED); /* a statistic */
}

size_t tasks_free(void)
{
	uint64_t flags = spin_lock_irqsave(&free_lock);
	size_t n = n_free;
	spin_unlock_irqrestore(&free_lock, flags);
	return n;
}

uint64_t tasks_reused(void)
{
	return __atomic_load_n(&n_reused, __ATOMIC_RELAXED); /* a statistic */
}

void task_recycle(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&free_lock);
	t->free_next = free_tasks;
	free_tasks = t;
	n_free++;
	spin_unlock_irqrestore(&free_lock, flags);
}

/* A new, dead task struct, added to the global task slice. */
static struct task *new_task_struct(void)
{
	struct task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->lock = (struct spinlock)SPINLOCK_INIT("task");
	t->state = TASK_DEAD;
	if (alltasks_add(t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* A dead task from the free list (as Go's gfget), or a new one in the slice. */
static struct task *get_task_struct(void)
{
	uint64_t flags = spin_lock_irqsave(&free_lock);
	struct task *t = free_tasks;
	if (t) {
		free_tasks = t->free_next;
		n_free--;
	}
	spin_unlock_irqrestore(&free_lock, flags);
	if (t) {
		__atomic_fetch_add(&n_reused, 1, __ATOMIC_RELAXED); /* a statistic */
		return t;
	}
	return new_task_struct();
}

size_t task_reserve(size_t n)
{
	size_t made = 0;
	for (; made < n; made++) {
		struct task *t = new_task_struct();
		if (!t)
			break;
		task_recycle(t);
	}
	return made;
}

/* First C code of every task: the scheduler switched here holding t->lock. */
void task_start(struct task *t)
{
	spin_unlock(&t->lock);
	irq_enable();
	task_exit(t->entry(t->arg));
}

struct task *task_create_on(int cpu, bool pin, const char *name, int64_t (*fn)(void *), void *arg,
			    size_t stack_size)
{
	uint64_t got;
	uint64_t lo = stack_alloc(stack_size ? stack_size : TASK_STACK_DEFAULT, &got);
	if (!lo) {
		uint64_t used, total;
		stack_usage(&used, &total);
		kprintf(
		    "task: no stack of %zu bytes for '%s' (%llu of %llu KiB of stacks in use)\n",
		    stack_size ? stack_size : (size_t)TASK_STACK_DEFAULT, name,
		    (unsigned long long)(used >> 10), (unsigned long long)(total >> 10));
		return NULL;
	}
	struct task *t = get_task_struct();
	if (!t) {
		stack_free(lo, got);
		kprintf("task: out of memory for task '%s'\n", name);
		return NULL;
	}
	/* t is dead and unreachable by anyone else: set it up without its lock. */
	t->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED); /* unique is all we need */
	strncpy(t->name, name, TASK_NAME_MAX - 1);
	t->name[TASK_NAME_MAX - 1] = '\0';
	t->stack_lo = lo;
	t->stack_hi = lo + got;
	t->stack_size = got;
	t->entry = fn;
	t->arg = arg;
	t->result = 0;
	t->detached = false;
	t->joined = false;
	t->runs = 0;
	t->next = NULL;
	t->joiners.head = t->joiners.tail = NULL;
	t->pinned = pin ? cpu : -1;
	t->cpu = cpu;
	t->created_ns = timer_ns();
	memset(&t->ctx, 0, sizeof t->ctx);
	t->ctx.x19 = (uint64_t)(uintptr_t)t;
	t->ctx.lr = (uint64_t)(uintptr_t)task_trampoline;
	t->ctx.sp = t->stack_hi;
	__atomic_fetch_add(&n_created, 1, __ATOMIC_RELAXED); /* a statistic */
	hook_created(t); /* the argument moves to a task the collector may not scan */
	trace_event_name(TR_TASK_CREATE, (uint32_t)t->id, t->name);

	uint64_t flags = spin_lock_irqsave(&t->lock);
	/* The lock's release (and the run queue's) publish all of the above to
	 * the core that runs t. */
	t->state = TASK_RUNNABLE;
	sched_enqueue(t);
	spin_unlock_irqrestore(&t->lock, flags);
	return t;
}

struct task *task_create(const char *name, int64_t (*fn)(void *), void *arg, size_t stack_size)
{
	return task_create_on(cpu_id(), false, name, fn, arg, stack_size);
}

void task_yield(void)
{
	struct task *cur = task_current();
	if (!cur)
		return; /* the scheduler itself, or boot code: nothing to yield to */
	hook_yielding(cur);
	uint64_t flags = irq_save();
	spin_lock(&cur->lock);
	cur->state = TASK_RUNNABLE;
	sched_switch_out();
	spin_unlock(&cur->lock);
	irq_restore(flags);
}

static void waitq_push(struct waitq *q, struct task *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct task *waitq_pop(struct waitq *q)
{
	struct task *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
		t->next = NULL;
	}
	return t;
}

void task_wait(struct waitq *q, struct spinlock *held)
{
	struct task *cur = task_current();
	if (!cur)
		panic("task_wait outside a task (cpu%d)", cpu_id());
	/* Interrupts are masked: the caller took `held` with irqsave.  Taking
	 * our own lock before dropping `held` closes the window in which a
	 * waker could find us on q but not yet asleep. */
	spin_lock(&cur->lock);
	waitq_push(q, cur);
	cur->state = TASK_WAITING;
	spin_unlock(held);
	sched_switch_out();
	spin_unlock(&cur->lock);
	spin_lock(held);
}

void task_make_runnable(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&t->lock);
	if (t->state == TASK_WAITING) {
		t->state = TASK_RUNNABLE;
		sched_enqueue(t);
	}
	spin_unlock_irqrestore(&t->lock, flags);
}

bool task_wake_one(struct waitq *q)
{
	struct task *t = waitq_pop(q);
	if (t)
		task_make_runnable(t);
	return t != NULL;
}

int task_wake_all(struct waitq *q)
{
	int n = 0;
	while (task_wake_one(q))
		n++;
	return n;
}

void task_exit(int64_t result)
{
	struct task *cur = task_current();
	if (!cur)
		panic("task_exit outside a task (cpu%d)", cpu_id());
	hook_result(result); /* the result moves out of our stack: shade it */
	trace_event(TR_TASK_EXIT, (uint32_t)cur->id, 0, 0);
	irq_disable();
	spin_lock(&cur->lock);
	cur->result = result;
	cur->state = TASK_DEAD;
	task_wake_all(&cur->joiners); /* joiners is guarded by cur->lock, held */
	sched_switch_out();
	panic("dead task %d '%s' was run again", cur->id, cur->name);
}

int64_t task_join(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&t->lock);
	while (t->state != TASK_DEAD)
		task_wait(&t->joiners, &t->lock);
	int64_t result = t->result;
	hook_result(result); /* it leaves t, which may be reused before the collector reads it */
	bool recycle = !t->joined && !t->detached;
	t->joined = true;
	spin_unlock_irqrestore(&t->lock, flags);
	if (recycle)
		task_recycle(t);
	return result;
}

bool task_done(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&t->lock);
	bool dead = t->state == TASK_DEAD;
	spin_unlock_irqrestore(&t->lock, flags);
	return dead;
}

void task_detach(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&t->lock);
	/* Already dead (and switched away: we hold its lock): recycle it now;
	 * otherwise the scheduler does when it exits. */
	bool recycle = t->state == TASK_DEAD && !t->joined && !t->detached;
	t->detached = true;
	spin_unlock_irqrestore(&t->lock, flags);
	if (recycle)
		task_recycle(t);
}

void task_sleep_ns(uint64_t ns)
{
	struct task *cur = task_current();
	uint64_t deadline = timer_ns() + ns;
	if (!cur) {
		while (timer_ns() < deadline)
			wfi(); /* boot code: the tick wakes us */
		return;
	}
	uint64_t flags = irq_save();
	spin_lock(&cur->lock);
	cur->wake_at_ns = deadline;
	cur->state = TASK_WAITING;
	sched_add_sleeper(cur);
	sched_switch_out();
	spin_unlock(&cur->lock);
	irq_restore(flags);
}

bool task_stack_fault(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct task *cur = c->current;
	if (!cur || !stack_is_guard(tf->far))
		return false;
	bool in_own_guard = tf->far < cur->stack_lo && tf->far >= cur->stack_lo - STACK_GUARD;
	kprintf("task %d '%s' on cpu%d: stack overflow: fault at %#llx, %s [%#llx, %#llx); "
		"ELR %#llx, SP %#llx\n",
		cur->id, cur->name, c->id, (unsigned long long)tf->far,
		in_own_guard ? "the guard page below its stack" : "a guard page outside its stack",
		(unsigned long long)cur->stack_lo, (unsigned long long)cur->stack_hi,
		(unsigned long long)tf->elr, (unsigned long long)tf->sp);
	if (tf->spsr & DAIF_I)
		return false; /* inside a critical section: the caller panics */
	/* Kill it: it held no irqsave lock (interrupts were on), so nothing the
	 * kernel shares is half-updated.  Leave the exception for good and go to
	 * the scheduler as if the task had exited. */
	kprintf("task %d '%s': killed (join result %d); the kernel carries on\n", cur->id,
		cur->name, TASK_KILLED);
	spin_lock(&cur->lock);
	cur->result = TASK_KILLED;
	cur->state = TASK_DEAD;
	task_wake_all(&cur->joiners);
	uint64_t top = (uint64_t)(uintptr_t)exception_stacks[c->id] + EXCEPTION_STACK_SIZE;
	abandon_exception(sched_context(c->id), top);
	return true; /* not reached */
}
