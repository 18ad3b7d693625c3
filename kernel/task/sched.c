/*
 * sched.c — each core's scheduler loop, run queues and work stealing.
 *
 * Every core runs sched_run() on its boot stack.  It picks a task from its
 * own run queue (or steals from another core's), switches to it, and gets
 * control back when the task yields, blocks or exits; then it decides where
 * the task goes (back on a run queue, nowhere, or the free list) and loops.
 * With nothing to run it sleeps in wfi until an interrupt: the tick (which
 * also wakes sleeping tasks) or an IPI_WAKE from a core that queued work.
 *
 * Idle and wake-up are a Dekker pair: the idle core stores idle = 1, fences,
 * then looks at the run queues once more; a core that queues work stores the
 * task, fences, then looks at idle flags.  At least one of the two sees the
 * other's store, so work is never left queued while every core sleeps.
 */
#include "kernel/task/sched.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/mm/stack.h"
#include "kernel/arch/timer.h"
#include "kernel/trace/trace.h"

void switch_to(struct context *from, struct context *to);

/*
 * Each core's run queue: the tasks ready to run there, its sleepers, and the
 * scheduler loop's own context while a task runs.  One cache line group per
 * core, so that the run-queue locks of different cores do not share a line.
 */
struct runq {
	struct spinlock lock; /* guards the queue and the sleepers */
	struct task *head, *tail;
	int len;
	int stealable; /* of those, the ones not pinned here */
	struct task *sleepers; /* sorted by wake_at_ns */
	int idle; /* 1 while in wfi with nothing to run */
	uint64_t switches; /* tasks switched to */
	uint64_t steals; /* tasks taken from other cores */
	struct context sched_ctx; /* the scheduler loop, while a task runs */
} __attribute__((aligned(64)));

static struct runq runqs[MAX_CPUS];
static const struct idle_work *idle_work; /* set once at boot, before any core idles */

static const struct idle_work *get_idle_work(void)
{
	return __atomic_load_n(&idle_work, __ATOMIC_ACQUIRE); /* pairs with sched_set_idle_work */
}

static struct runq *rq(const struct cpu *c)
{
	return &runqs[c->id];
}

struct context *sched_context(int cpu)
{
	return &runqs[cpu].sched_ctx;
}

/* Take the first task of c's queue; caller holds rq(c)->lock. */
static struct task *rq_pop_locked(struct cpu *c, bool unpinned_only)
{
	struct task *prev = NULL;
	for (struct task *t = rq(c)->head; t; prev = t, t = t->next) {
		if (unpinned_only && t->pinned >= 0)
			continue;
		if (prev)
			prev->next = t->next;
		else
			rq(c)->head = t->next;
		if (rq(c)->tail == t)
			rq(c)->tail = prev;
		t->next = NULL;
		/* relaxed: rq_len is also read, as a hint, by idle cores (see top) */
		__atomic_store_n(&rq(c)->len, rq(c)->len - 1, __ATOMIC_RELAXED);
		if (t->pinned < 0) /* relaxed: a hint, like rq_len */
			__atomic_store_n(&rq(c)->stealable, rq(c)->stealable - 1, __ATOMIC_RELAXED);
		return t;
	}
	return NULL;
}

static void rq_push_locked(struct cpu *c, struct task *t)
{
	t->next = NULL;
	if (rq(c)->tail)
		rq(c)->tail->next = t;
	else
		rq(c)->head = t;
	rq(c)->tail = t;
	__atomic_store_n(&rq(c)->len, rq(c)->len + 1, __ATOMIC_RELAXED); /* a hint, see rq_pop */
	if (t->pinned < 0) /* relaxed: a hint, like rq_len */
		__atomic_store_n(&rq(c)->stealable, rq(c)->stealable + 1, __ATOMIC_RELAXED);
}

static struct task *rq_pop(struct cpu *c)
{
	spin_lock(&rq(c)->lock);
	struct task *t = rq_pop_locked(c, false);
	spin_unlock(&rq(c)->lock);
	return t;
}

/* Take half of the first busy core's unpinned tasks; return one of them. */
static struct task *steal(struct cpu *me)
{
	for (int k = 1; k < ncpus; k++) {
		struct cpu *v = &cpus[(me->id + k) % ncpus];
		/* relaxed: a hint; the queue itself is read under its lock */
		if (cpu_state(v) != CPU_ONLINE ||
		    __atomic_load_n(&rq(v)->stealable, __ATOMIC_RELAXED) == 0)
			continue;
		struct task *batch[32];
		int n = 0;
		spin_lock(&rq(v)->lock);
		int want = (rq(v)->len + 1) / 2;
		while (n < want && n < (int)ARRAY_SIZE(batch)) {
			struct task *t = rq_pop_locked(v, true);
			if (!t)
				break;
			batch[n++] = t;
		}
		spin_unlock(&rq(v)->lock);
		if (!n)
			continue;
		rq(me)->steals += (uint64_t)n;
		if (n > 1) {
			spin_lock(&rq(me)->lock);
			for (int i = 1; i < n; i++)
				rq_push_locked(me, batch[i]);
			spin_unlock(&rq(me)->lock);
		}
		return batch[0];
	}
	return NULL;
}

/* Work this core could run: its own queue, or tasks it may steal.  (Counting
 * tasks pinned elsewhere would keep it spinning on work it cannot take, and
 * under QEMU a spinning vCPU slows down the one that has the work.) */
static bool any_work(struct cpu *me)
{
	/* relaxed: after the fence in sched_run, see the comment at the top */
	if (__atomic_load_n(&rq(me)->len, __ATOMIC_RELAXED))
		return true;
	for (int i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		if (cpu_state(c) == CPU_ONLINE &&
		    /* relaxed: another core's count, also ordered by that fence */
		    __atomic_load_n(&rq(c)->stealable, __ATOMIC_RELAXED))
			return true;
	}
	/* posted work (smp_call): its own IPI wakes us too, so a hint is enough */
	const struct idle_work *w = get_idle_work();
	return w && w->pending();
}

/* Wake one idle core (other than `except`), if any, so that it steals work. */
static void kick_idle_core(int except)
{
	for (int i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		/* relaxed: ordered after the queue store by the caller's fence */
		if (i != except && i != cpu_id() &&
		    __atomic_load_n(&rq(c)->idle, __ATOMIC_RELAXED) && cpu_state(c) == CPU_ONLINE) {
			ipi_send(i, IPI_WAKE);
			return;
		}
	}
}

void sched_enqueue(struct task *t)
{
	int target = t->pinned >= 0 ? t->pinned : t->cpu;
	if (target < 0 || target >= ncpus || cpu_state(&cpus[target]) != CPU_ONLINE)
		target = cpu_id();
	struct cpu *c = &cpus[target];
	uint64_t flags = spin_lock_irqsave(&rq(c)->lock);
	rq_push_locked(c, t);
	spin_unlock_irqrestore(&rq(c)->lock, flags);
	/* full fence: the push is visible before we read idle flags (the other
	 * half of the Dekker pair is in sched_run) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* relaxed: ordered after the push by the fence above */
	if (target != cpu_id() && __atomic_load_n(&rq(c)->idle, __ATOMIC_RELAXED))
		ipi_send(target, IPI_WAKE);
	else if (t->pinned < 0)
		kick_idle_core(target);
}

void sched_add_sleeper(struct task *t)
{
	struct cpu *c = this_cpu();
	spin_lock(&rq(c)->lock);
	struct task **p = &rq(c)->sleepers;
	while (*p && (*p)->wake_at_ns <= t->wake_at_ns)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	spin_unlock(&rq(c)->lock);
}

void sched_tick(void)
{
	struct cpu *c = this_cpu();
	uint64_t now = timer_ns();
	/* relaxed: only this core adds to its sleep list, and its own plain
	 * access below is under the lock; this is a cheap "anything due?" */
	struct task *first = __atomic_load_n(&rq(c)->sleepers, __ATOMIC_RELAXED);
	if (!first || first->wake_at_ns > now)
		return;
	struct task *due = NULL, **tail = &due;
	spin_lock(&rq(c)->lock);
	while (rq(c)->sleepers && rq(c)->sleepers->wake_at_ns <= now) {
		struct task *t = rq(c)->sleepers;
		rq(c)->sleepers = t->next;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	spin_unlock(&rq(c)->lock);
	/* Lock order: a task's lock before a run queue's, so wake them unlocked. */
	while (due) {
		struct task *t = due;
		due = t->next;
		task_make_runnable(t);
	}
}

void sched_switch_out(void)
{
	struct task *cur = this_cpu()->current;
	/* Back here on whichever core runs us next, holding cur->lock. */
	switch_to(&cur->ctx, &rq(this_cpu())->sched_ctx);
}

/* The task t has just switched away from this core, holding t->lock. */
static void after_switch(struct cpu *c, struct task *t)
{
	switch (t->state) {
	case TASK_RUNNABLE: /* it yielded: to the back of a queue */
		if (t->pinned < 0)
			t->cpu = c->id;
		sched_enqueue(t);
		break;
	case TASK_DEAD: /* its stack is no longer in use: give it back */
		stack_free(t->stack_lo, t->stack_size);
		t->stack_lo = t->stack_hi = 0;
		break;
	default: /* waiting: whoever wakes it will queue it */
		break;
	}
}

void sched_set_idle_work(const struct idle_work *work)
{
	/* release: the work's owner set up before registering is visible to a
	 * core that sees the pointer (pairs with get_idle_work) */
	__atomic_store_n(&idle_work, work, __ATOMIC_RELEASE);
}

void sched_run(void)
{
	struct cpu *c = this_cpu();
	c->doing = "idle";
	for (;;) {
		irq_enable(); /* take what is pending: ticks, wake-ups */
		irq_disable();
		const struct idle_work *w = get_idle_work();
		if (w && w->pending()) {
			irq_enable();
			w->run();
			continue;
		}
		struct task *t = rq_pop(c);
		if (!t)
			t = steal(c);
		if (!t) {
			/* relaxed: ordered before the queue checks by the fence below */
			__atomic_store_n(&rq(c)->idle, 1, __ATOMIC_RELAXED);
			/* full fence: idle = 1 is visible before we look at the queues
			 * again (the other half of the pair is in sched_enqueue) */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (!any_work(c))
				wfi(); /* a masked interrupt still ends it */
			__atomic_store_n(&rq(c)->idle, 0, __ATOMIC_RELAXED);
			continue;
		}
		spin_lock(&t->lock);
		if (t->state != TASK_RUNNABLE) {
			kprintf("sched: cpu%d: task %d '%s' on a run queue in state %s\n", c->id,
				t->id, t->name, task_state_name(t->state));
			spin_unlock(&t->lock);
			continue;
		}
		t->state = TASK_RUNNING;
		t->cpu = c->id;
		t->runs++;
		rq(c)->switches++;
		c->current = t;
		c->doing = t->name;
		trace_event_name(TR_TASK_RUN, (uint32_t)t->id, t->name);
		switch_to(&rq(c)->sched_ctx, &t->ctx);
		/* t is off the core; we hold t->lock, interrupts masked */
		trace_event(TR_TASK_OFF, (uint32_t)t->id, (uint64_t)t->state, 0);
		c->current = NULL;
		c->doing = "idle";
		after_switch(c, t);
		bool recycle = t->state == TASK_DEAD && t->detached;
		spin_unlock(&t->lock);
		if (recycle)
			task_recycle(t);
	}
}
