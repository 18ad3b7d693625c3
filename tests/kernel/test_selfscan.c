/*
 * test_selfscan.c — a task that runs throughout the mark, yielding every
 * 2 ms only to be picked again at once, scans its own stack when it yields
 * (gc/mark.c's mark_self_scan), so stop 2 finds no stack left to scan.
 * Without that, the markers almost never find it off its core.
 *
 * Only cycles in which the task really yielded while the mark was on count:
 * on a busy host its virtual CPU may not run at all during a short mark
 * (then stop 2 scans it, rightly).  A yield counts if the mark was on, in
 * the same cycle, both before and after it, so the hook ran while marking.
 * And only the spinner's own stack counts: on a busy host another task (a
 * mark worker whose vCPU the host did not run) may be left to stop 2 too,
 * rightly; each cycle names the first GC_STOP2_NAMED tasks stop 2 scanned.
 */
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"
#include "kernel/task/task.h"
#include "tests/kernel/ktest.h"

#define CYCLES	5
#define BUSY_NS (2 * 1000 * 1000) /* between yields: longer than a marker waits for a stack */

static int spin_until; /* the spinner runs while this is 0 */
static uint64_t marking_yields; /* yields made wholly inside one cycle's mark */

static int64_t spinner(void *arg)
{
	(void)arg;
	/* acquire: pairs with the test's release; nothing else is read */
	while (!__atomic_load_n(&spin_until, __ATOMIC_ACQUIRE)) {
		delay_ns(BUSY_NS); /* running: no marker can take its lock now */
		bool marking = gc_marking();
		uint64_t cycle = gc_cycles();
		task_yield(); /* the only runnable task of its core: picked again at once */
		if (marking && gc_marking() && gc_cycles() == cycle)
			/* relaxed: a count the test reads after gc_collect's own
			 * synchronisation (the stop); a late view only disqualifies */
			__atomic_fetch_add(&marking_yields, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

KTEST(gc, a_task_yielding_throughout_the_mark_scans_itself)
{
	if (cpus_online() < 2)
		KSKIP("needs a second core for the spinning task");
	int other = (cpu_id() + 1) % ncpus;
	if (cpu_state(&cpus[other]) != CPU_ONLINE)
		KSKIP("the next core is offline");
	/* relaxed: set before the spinner exists (task creation orders it) */
	__atomic_store_n(&spin_until, 0, __ATOMIC_RELAXED);
	struct task *t = task_create_on(other, true, "spinner", spinner, NULL, 0);
	KASSERT(t != NULL);
	uint64_t left = 0;
	int counted = 0;
	for (int i = 0; i < CYCLES; i++) {
		/* relaxed: see spinner */
		uint64_t before = __atomic_load_n(&marking_yields, __ATOMIC_RELAXED);
		struct gc_cycle_stats s;
		KASSERT(gc_cycle_stats(gc_collect(), &s));
		if (__atomic_load_n(&marking_yields, __ATOMIC_RELAXED) == before ||
		    s.stacks_at_stop2 > GC_STOP2_NAMED)
			continue; /* no yield while marking, or too many left to name */
		counted++;
		for (uint64_t k = 0; k < s.stacks_at_stop2; k++)
			if (s.stop2_task[k] == t->id)
				left++;
	}
	/* release: the spinner sees it and ends */
	__atomic_store_n(&spin_until, 1, __ATOMIC_RELEASE);
	task_join(t);
	if (!counted)
		KSKIP("the spinning task never yielded during a mark (its core did not run)");
	KASSERT_EQ(left, 0);
}
