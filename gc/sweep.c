/*
 * sweep.c — the concurrent sweep.  After stop 2 every span is unswept; the
 * sweeper task sweeps them one at a time (each under the heap lock, briefly),
 * yielding between spans, while allocation sweeps the spans it meets.  The
 * next cycle starts by finishing whatever is left (sweep termination), so a
 * cycle's marks never meet the last cycle's.
 */
#include "gc/internal.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/timer.h"
#include "kernel/trace/trace.h"

void gc_sweep_done(uint64_t n, uint64_t sweep_ns, uint64_t objects, uint64_t bytes);

static struct spinlock sweep_lock = SPINLOCK_INIT("gc-sweep");
static struct waitq sweep_waitq;
static uint64_t sweep_cycle; /* the cycle whose sweep is wanted; under sweep_lock */
static uint64_t sweep_started_ns;

#define SPANS_PER_YIELD 8

static void finished(uint64_t n)
{
	uint64_t flags = spin_lock_irqsave(&gc.heap.lock);
	uint64_t objects = gc.heap.freed_objects, bytes = gc.heap.freed_bytes;
	spin_unlock_irqrestore(&gc.heap.lock, flags);
	gc_sweep_done(n, timer_ns() - sweep_started_ns, objects, bytes);
	trace_event(TR_GC_PHASE, (uint32_t)n, TRACE_GC_OFF, 0);
}

static int64_t sweeper(void *arg)
{
	(void)arg;
	uint64_t done = 0;
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&sweep_lock);
		while (sweep_cycle == done)
			task_wait(&sweep_waitq, &sweep_lock);
		uint64_t n = sweep_cycle;
		spin_unlock_irqrestore(&sweep_lock, flags);
		int k = 0;
		while (heap_sweep_one(&gc.heap, NULL))
			if (++k % SPANS_PER_YIELD == 0)
				task_yield();
		finished(n);
		done = n;
	}
	return 0;
}

void sweep_start_task(void)
{
	if (!task_create("gc-sweep", sweeper, NULL, 0))
		kprintf("gc: no sweeper task: sweeping happens at allocation and collection\n");
}

void sweep_wake(void)
{
	uint64_t flags = spin_lock_irqsave(&sweep_lock);
	sweep_cycle = gc.cycle;
	sweep_started_ns = timer_ns();
	task_wake_all(&sweep_waitq);
	spin_unlock_irqrestore(&sweep_lock, flags);
}

void sweep_finish(void)
{
	heap_sweep_all(&gc.heap, NULL);
	/* relaxed: read under nobody's lock, but only the cycle owner or a
	 * caller after it writes sweep_cycle */
	uint64_t n = __atomic_load_n(&sweep_cycle, __ATOMIC_RELAXED);
	if (n)
		finished(n);
}
