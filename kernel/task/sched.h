/*
 * sched.h — the per-core scheduler (see sched.c).  Used by kernel/task/task.c.
 */
#ifndef SCHED_H
#define SCHED_H

#include "kernel/task/task.h"

/* This core's scheduler loop; every core ends up here.  Never returns. */
void sched_run(void) __attribute__((noreturn));
/* Queue a RUNNABLE task (its lock held) on its core, waking a core to run it. */
void sched_enqueue(struct task *t);
/* The current task (its lock held, interrupts masked) switches to the
 * scheduler; returns when it is next run, with its lock held again. */
void sched_switch_out(void);
/* Put the current task (WAITING, its lock held) on this core's sleep list. */
void sched_add_sleeper(struct task *t);
/* The tick: wake this core's sleepers that are due. */
void sched_tick(void);
/* The scheduler loop's own context on a core (task.c leaves a killed task's
 * exception for it). */
struct context *sched_context(int cpu);

/*
 * Work an idle core does before it looks for tasks, for a layer above the
 * scheduler (kernel/smp: a function posted by smp_call).  pending() is asked
 * with interrupts masked and must be cheap; run() is called with them on.
 */
struct idle_work {
	bool (*pending)(void);
	void (*run)(void);
};
/* Register it once, before any core runs sched_run. */
void sched_set_idle_work(const struct idle_work *work);

/* A dead task's struct goes to the free list for reuse (task.c). */
void task_recycle(struct task *t);

#endif
