/*
 * mark.c — roots, scanning, and the mark workers.  The phases that use these
 * are described at the top of gc.c.
 *
 * The unit of marking work is one root job (a 64 KiB piece of data/BSS, or
 * one task of the snapshot) or one batch of queued objects.  Each unit runs
 * with interrupts masked, so a stop-the-world never lands inside one: at a
 * stop, every unit is either untouched (its job number not yet taken, its
 * objects still in the queue) or finished (everything it found is marked and
 * queued).  That is what lets stop 2 finish the marking exactly, without
 * knowing what the workers were doing.
 */
#include "gc/internal.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/panic/panic.h"
#include "kernel/stw/stop.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/trace/trace.h"

#include <setjmp.h>
#include <stdio.h>

/* linker.ld: the data and BSS sections, and the collector's own part of BSS. */
extern char __data_start[], __bss_end[], __noscan_start[], __noscan_end[];

#define DATA_JOB_BYTES (64 * 1024)
#define BATCH	       64 /* objects popped per unit */
#define YIELD_EVERY    256 /* objects (or job weights) between yields */

/* ---- scanning ---- */

void scan_range(uintptr_t lo, uintptr_t hi, void (*visit)(uintptr_t v))
{
	lo = (lo + 7) & ~(uintptr_t)7;
	for (uintptr_t p = lo; p + 8 <= hi; p += 8) {
		/* relaxed: a conservative scan reads words others may be writing;
		 * any value it sees was there at some point, which is all it needs */
		visit(__atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED));
	}
}

/* [lo, hi) less the collector's own globals. */
static void scan_data(uintptr_t lo, uintptr_t hi, void (*visit)(uintptr_t v))
{
	uintptr_t nlo = (uintptr_t)__noscan_start, nhi = (uintptr_t)__noscan_end;
	if (hi <= nlo || lo >= nhi) {
		scan_range(lo, hi, visit);
		return;
	}
	if (lo < nlo)
		scan_range(lo, nlo, visit);
	if (hi > nhi)
		scan_range(nhi, hi, visit);
}

void scan_globals(void (*visit)(uintptr_t v))
{
	scan_data((uintptr_t)__data_start, (uintptr_t)__bss_end, visit);
}

void gc_shade(uintptr_t v)
{
	size_t size;
	bool noscan;
	uintptr_t obj = heap_find(&gc.heap, v, &size, &noscan);
	if (!obj || !heap_mark(&gc.heap, obj))
		return; /* not ours, or already grey or black */
	/* relaxed: only this core adds to its counter (an atomic add all the
	 * same, in case an interrupt handler shades too); stop 2 reads it after
	 * the core parked, whose release/acquire orders the adds before */
	__atomic_fetch_add(&gc.marked[cpu_id()].bytes, size, __ATOMIC_RELAXED);
	if (!noscan)
		markq_push(&gc.queue, obj); /* a failed push is caught by the rescan in stop 2 */
}

static void scan_object(uintptr_t obj)
{
	size_t size;
	if (heap_find(&gc.heap, obj, &size, NULL))
		scan_range(obj, obj + size, gc_shade);
}

/* Our own stack: we are running, so spill the callee-saved registers into a
 * jmp_buf on the stack and scan from the stack pointer up. */
static void __attribute__((noinline)) scan_own_stack(struct task *t, void (*visit)(uintptr_t v))
{
	jmp_buf regs;
	setjmp(regs);
	uintptr_t sp;
	asm volatile("mov %0, sp" : "=r"(sp) : "r"(regs) : "memory");
	scan_range(sp, t->stack_hi, visit);
}

/* Every register a parked core's trap frame holds: x0-x30, and q0-q31
 * too, since newlib's memcpy and friends (built with SIMD) can hold a
 * pointer only in a vector register for a moment. */
static void scan_frame_regs(const struct trap_frame *tf, void (*visit)(uintptr_t v))
{
	for (int i = 0; i < 31; i++)
		visit(tf->x[i]);
	for (int i = 0; i < 32; i++) {
		visit(tf->q[i][0]);
		visit(tf->q[i][1]);
	}
}

/* A switched-out task's saved registers: x19-x30 and d8-d15 (switch.S). */
static void scan_context_regs(const struct context *ctx, void (*visit)(uintptr_t v))
{
	const uint64_t *r = &ctx->x19;
	for (size_t i = 0; i < offsetof(struct context, sp) / 8; i++)
		visit(r[i]);
	const uint64_t *d = &ctx->d8;
	for (int i = 0; i < 8; i++)
		visit(d[i]);
}

static void check_sp(struct task *t, uint64_t sp)
{
	if (sp < t->stack_lo || sp > t->stack_hi)
		panic(
		    "gc: task %d '%s' has its stack pointer %#llx outside its stack [%#llx, %#llx)",
		    t->id, t->name, (unsigned long long)sp, (unsigned long long)t->stack_lo,
		    (unsigned long long)t->stack_hi);
}

bool scan_task_roots(struct task *t, void (*visit)(uintptr_t v), bool world_stopped)
{
	visit((uintptr_t)t->arg);
	visit((uint64_t)t->result);
	if (t == gc.owner) {
		/* The collecting task: its callers' frames and every register
		 * they held, spilled where rooted_cycle (gc.c) set owner_lo.
		 * Below that are the collector's own frames, full of heap
		 * addresses it is working on; above it nothing changes during
		 * the cycle. */
		scan_range(gc.owner_lo, t->stack_hi, visit);
		return true;
	}
	switch (t->state) {
	case TASK_RUNNING: {
		if (t == task_current()) {
			scan_own_stack(t, visit);
			return true;
		}
		if (!world_stopped)
			return false; /* try again later, or in stop 2 */
		int c = t->cpu;
		struct trap_frame *tf = c >= 0 && c < ncpus ? stw_frame(c) : NULL;
		if (!tf || cpus[c].current != t)
			panic("gc: task %d '%s' is running on cpu%d, which is not parked", t->id,
			      t->name, c);
		scan_frame_regs(tf, visit);
		check_sp(t, tf->sp);
		scan_range(tf->sp, t->stack_hi, visit);
		return true;
	}
	case TASK_RUNNABLE:
	case TASK_WAITING: {
		/* Not running, and we hold its lock (or the world is stopped): its
		 * registers are in t->ctx, the rest of its state on its stack. */
		scan_context_regs(&t->ctx, visit);
		check_sp(t, t->ctx.sp);
		scan_range(t->ctx.sp, t->stack_hi, visit);
		return true;
	}
	default:
		return true; /* dead: no stack */
	}
}

/* ---- root jobs ---- */

void mark_prepare_roots(void)
{
	/* World stopped: the slice header cannot change under us. */
	gc.snap = alltasks_snapshot();
	size_t data = (size_t)(__bss_end - __data_start);
	gc.data_jobs = (data + DATA_JOB_BYTES - 1) / DATA_JOB_BYTES;
	gc.njobs = gc.data_jobs + gc.snap.len;
	/* relaxed: the restart of the world orders this before any worker's use */
	__atomic_store_n(&gc.next_job, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&gc.snap_scanned, 0, __ATOMIC_RELAXED); /* relaxed: as next_job */
	for (int c = 0; c < MAX_CPUS; c++)
		__atomic_store_n(&gc.marked[c].bytes, 0,
				 __ATOMIC_RELAXED); /* relaxed: as next_job */
	gc.this_cycle.snapshot_len = gc.snap.len;
}

uint64_t mark_bytes_marked(void)
{
	/* World stopped: every core's adds were ordered before its parking
	 * (release) and our count of it (acquire); black_bytes is under the
	 * heap lock, which no parked core holds. */
	uint64_t bytes = gc.heap.black_bytes;
	for (int c = 0; c < MAX_CPUS; c++)
		/* relaxed: ordered by the parking release / our acquire (above) */
		bytes += __atomic_load_n(&gc.marked[c].bytes, __ATOMIC_RELAXED);
	return bytes;
}

/* t's stack is scanned for this cycle (t->lock held, or the world stopped). */
static void set_scanned(struct task *t)
{
	t->gc_scanned = gc.cycle;
	/* relaxed: a count that stop 2 reads with the world stopped, and the
	 * collector peeks at while marking (a hint) */
	__atomic_fetch_add(&gc.snap_scanned, 1, __ATOMIC_RELAXED);
}

/* Go 1.17's fatal error, with what a reader needs to see why.  In gc=racy
 * it is the allgs bug; in gc=fixed it means the snapshot invariant broke
 * (an entry below the snapshot's length is never NULL), which is a bug in
 * allstop.  When a demo or test catches it instead, the job is left undone
 * and the caller goes on: stop 2 scans the task, so the heap stays
 * consistent. */
static void markroot_nil(size_t i, struct tasks_view read)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	if (gc.nil_catch) {
		/* relaxed: a counter; the details below may come from any catcher */
		if (__atomic_fetch_add(&gc.nil_caught, 1, __ATOMIC_RELAXED) == 0) {
			gc.nil_index = i;
			gc.nil_cycle = gc.cycle;
			gc.nil_cpu = cpu_id();
		}
		kprintf("caught: markroot: nil task at index %zu (gc cycle %llu, cpu%d, mode %s; "
			"snapshot len %zu, array read %p; now len %zu cap %zu)\n",
			i, (unsigned long long)gc.cycle, cpu_id(), gc_mode_name(gc.mode),
			gc.snap.len, (void *)read.ptr, len, cap);
		return;
	}
	kprintf("\nfatal error: markroot: nil task at index %zu\n", i);
	kprintf("  gc cycle %llu, cpu%d, mode %s%s\n", (unsigned long long)gc.cycle, cpu_id(),
		gc_mode_name(gc.mode), gc.inject ? ", inject=publish-early" : "");
	kprintf("  snapshot (stop 1): array %p, len %zu\n", (void *)gc.snap.ptr, gc.snap.len);
	kprintf("  array this core read: %p, entry [%zu] = NULL\n", (void *)read.ptr, i);
	kprintf("  live slice now: len %zu, cap %zu, %zu arrays allocated\n", len, cap, arrays);
	if (gc.mode == GC_RACY)
		kprintf("  the new array was visible before the copy into it "
			"(docs/the-allgs-bug.md)\n");
	else
		kprintf("  gc=fixed read a NULL entry below the snapshot's length: the snapshot "
			"invariant is broken (a bug in allstop)\n");
	panic("markroot: nil task at index %zu", i);
}

/* Where root job i reads its task: the snapshot taken in stop 1 (fixed, Go
 * 1.18) or, as Go 1.17 did, the live slice (racy).  GC_BREAK_SNAPSHOT is a
 * deliberately broken build for the test that proves the checks can fail
 * (tests/run.py): its fixed mode reads the live slice too. */
static struct tasks_view root_view(void)
{
#ifdef GC_BREAK_SNAPSHOT
	bool live = true;
#else
	bool live = gc.mode == GC_RACY;
#endif
	return live ? alltasks_unordered() : gc.snap;
}

/* The task of root job i.  An entry below the snapshot's length is never
 * NULL in a correct collector, in any mode: a NULL is the fatal report. */
static struct task *root_task(size_t i)
{
	struct tasks_view v = root_view();
	/* relaxed: Go 1.17's plain read of allgs[i] (the bug, in gc=racy); in
	 * gc=fixed the stop ordered the snapshot's entries before this read */
	struct task *t = __atomic_load_n(&v.ptr[i], __ATOMIC_RELAXED);
	if (!t)
		markroot_nil(i, v);
	return t; /* NULL only if caught */
}

/* Scan t if it is not running; returns false if it was (try again later). */
static bool scan_task_claimed(struct task *t)
{
	/* Holding its lock keeps t off every core while we read its stack: the
	 * scheduler takes it before switching to a task (Go's suspendG). */
	uint64_t flags = spin_lock_irqsave(&t->lock);
	bool ok = true;
	if (t->gc_scanned != gc.cycle) {
		ok = scan_task_roots(t, gc_shade, false);
		if (ok) {
			set_scanned(t);
			if (t->state != TASK_DEAD) /* relaxed: a statistic */
				__atomic_fetch_add(&gc.this_cycle.stacks_scanned, 1,
						   __ATOMIC_RELAXED);
		}
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return ok;
}

static void do_job(size_t j)
{
	if (j < gc.data_jobs) {
		uintptr_t lo = (uintptr_t)__data_start + j * DATA_JOB_BYTES;
		uintptr_t hi = lo + DATA_JOB_BYTES;
		if (hi > (uintptr_t)__bss_end)
			hi = (uintptr_t)__bss_end;
		scan_data(lo, hi, gc_shade);
		return;
	}
	struct task *t = root_task(j - gc.data_jobs);
	if (t)
		scan_task_claimed(t);
}

/* ---- concurrent marking ---- */

/* One unit of work (see the top); false if there was none. */
static bool mark_one_unit(void)
{
	uint64_t flags = irq_save();
	if (__atomic_load_n(&gc.phase, __ATOMIC_RELAXED) != GC_PHASE_MARK) {
		/* relaxed: phase only changes while the world is stopped */
		irq_restore(flags);
		return false;
	}
	/* relaxed: the counter only hands out numbers; the jobs were set up
	 * before the world restarted */
	size_t j = __atomic_fetch_add(&gc.next_job, 1, __ATOMIC_RELAXED);
	if (j < gc.njobs) {
		do_job(j);
		irq_restore(flags);
		return true;
	}
	if (j == gc.njobs) /* the first to find no job left: the root jobs are over */
		trace_event(TR_GC_PHASE, (uint32_t)gc.cycle, TRACE_GC_MARK, 0);
	uintptr_t batch[BATCH];
	size_t n = markq_pop(&gc.queue, batch, BATCH);
	for (size_t i = 0; i < n; i++)
		scan_object(batch[i]);
	irq_restore(flags);
	return n > 0;
}

void mark_work(bool yield)
{
	/* relaxed: busy is a hint for when to stop the world; stop 2 does not rely on it */
	__atomic_fetch_add(&gc.busy, 1, __ATOMIC_RELAXED);
	trace_event(TR_MARK_BEGIN, (uint32_t)gc.cycle, 0, 0);
	unsigned since_yield = 0;
	while (mark_one_unit()) {
		if (yield && ++since_yield >= YIELD_EVERY / BATCH) {
			/* relaxed: busy is a hint (see mark_work's first line) */
			__atomic_fetch_sub(&gc.busy, 1, __ATOMIC_RELAXED);
			trace_event(TR_MARK_END, (uint32_t)gc.cycle, 0, 0);
			task_yield(); /* cooperative: let this core's other tasks run */
			trace_event(TR_MARK_BEGIN, (uint32_t)gc.cycle, 0, 0);
			/* relaxed: the hint again, now that we hold work once more */
			__atomic_fetch_add(&gc.busy, 1, __ATOMIC_RELAXED);
			since_yield = 0;
		}
	}
	trace_event(TR_MARK_END, (uint32_t)gc.cycle, 0, 0);
	/* relaxed: the hint; mark_done reads the queue and the jobs, not only this */
	__atomic_fetch_sub(&gc.busy, 1, __ATOMIC_RELAXED);
}

bool mark_done(void)
{
	/* relaxed loads: a heuristic; stop 2 finishes whatever is left */
	return __atomic_load_n(&gc.next_job, __ATOMIC_RELAXED) >= gc.njobs &&
	       __atomic_load_n(&gc.busy, __ATOMIC_RELAXED) == 0 && markq_len(&gc.queue) == 0;
}

void mark_retry_stacks(void)
{
	for (size_t i = 0; i < gc.snap.len; i++) {
		uint64_t flags = irq_save();
		struct task *t = root_task(i);
		/* relaxed: a peek to skip the scanned ones; scan_task_claimed checks under the lock
		 */
		if (t && __atomic_load_n(&t->gc_scanned, __ATOMIC_RELAXED) != gc.cycle)
			scan_task_claimed(t);
		irq_restore(flags);
	}
}

/*
 * A task about to yield scans its own stack if this cycle's mark still
 * wants it.  A task that runs throughout the mark, yielding only to be
 * picked again at once, is never off its core long enough for a marker to
 * take its lock, and its stack would be left to the pause of stop 2, with
 * everything reachable only from it: a task building a 2-million-node tree
 * made that pause over a second.  (Go's goroutines likewise scan their own
 * stacks when preempted for it.)  Only tasks of the snapshot are counted
 * as scanned; one created after stop 1 needs no scan (gc.c).
 */
void mark_self_scan(struct task *t)
{
	/* relaxed: phase changes only with the world stopped; a stale view
	 * leaves the scan to a marker or to stop 2, as before */
	if (__atomic_load_n(&gc.phase, __ATOMIC_RELAXED) != GC_PHASE_MARK || t == gc.owner ||
	    (size_t)t->slot >= gc.snap.len)
		return;
	/* relaxed: a peek; scan_task_claimed checks again under t's lock */
	if (__atomic_load_n(&t->gc_scanned, __ATOMIC_RELAXED) != gc.cycle)
		scan_task_claimed(t);
}

bool gc_all_stacks_scanned(void)
{
	/* relaxed: a peek, as in mark_retry_stacks */
	return __atomic_load_n(&gc.snap_scanned, __ATOMIC_RELAXED) >= gc.snap.len;
}

/* ---- stop 2 ---- */

static void rescan_one(uintptr_t obj, size_t size, bool marked, bool noscan, void *arg)
{
	(void)arg;
	if (marked && !noscan)
		scan_range(obj, obj + size, gc_shade);
}

/* Drain the queue; after an overflow, rescan every marked object. */
static void drain_stopped(void)
{
	uintptr_t batch[BATCH];
	for (;;) {
		size_t n;
		while ((n = markq_pop(&gc.queue, batch, BATCH)) > 0)
			for (size_t i = 0; i < n; i++)
				scan_object(batch[i]);
		if (!markq_take_overflow(&gc.queue))
			return;
		gc.this_cycle.overflows++;
		heap_for_each_object(&gc.heap, rescan_one, NULL);
	}
}

void mark_terminate(void)
{
	/* relaxed: the world is stopped; nobody else takes jobs */
	size_t j;
	while ((j = __atomic_fetch_add(&gc.next_job, 1, __ATOMIC_RELAXED)) < gc.njobs) {
		if (j < gc.data_jobs)
			do_job(j);
		else
			root_task(j - gc.data_jobs); /* racy mode reads it as a job would */
	}
	gc_step_end(GC_S2_JOBS);
	/* Every task of the snapshot not scanned yet: it never stopped running,
	 * or its job was not reached.  Running ones are frozen in their IPI
	 * handler now, their registers in the trap frame.  Usually there is
	 * none, and the count says so without reading every task (a thousand
	 * cache misses in the pause).  relaxed: the world is stopped, and each
	 * core's adds were ordered before it parked. */
	for (size_t i = 0;
	     i < gc.snap.len && __atomic_load_n(&gc.snap_scanned, __ATOMIC_RELAXED) < gc.snap.len;
	     i++) {
		struct task *t = gc.snap.ptr[i];
		if (t->gc_scanned == gc.cycle)
			continue;
		scan_task_roots(t, gc_shade, true);
		set_scanned(t);
		if (t->state != TASK_DEAD) {
			gc.this_cycle.stacks_scanned++;
			if (gc.this_cycle.stacks_at_stop2 < GC_STOP2_NAMED)
				gc.this_cycle.stop2_task[gc.this_cycle.stacks_at_stop2] = t->id;
			gc.this_cycle.stacks_at_stop2++;
		}
	}
	gc_step_end(GC_S2_STACKS);
	/* The registers of every parked core: a task that was scanned while it
	 * waited may since have loaded pointers into them. */
	for_each_online_cpu(c)
	{
		struct trap_frame *tf = stw_frame(c->id);
		if (tf && c->current && c->current != gc.owner)
			scan_frame_regs(tf, gc_shade);
	}
	gc_step_end(GC_S2_REGS);
	drain_stopped();
	gc_step_end(GC_S2_DRAIN);
}

/* ---- the workers ---- */

static struct spinlock workers_lock = SPINLOCK_INIT("gc-workers");
static struct waitq workers_wait;

static int64_t mark_worker(void *arg)
{
	(void)arg;
	uint64_t seen = 0;
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&workers_lock);
		while (gc.mark_epoch == seen)
			task_wait(&workers_wait, &workers_lock);
		seen = gc.mark_epoch;
		spin_unlock_irqrestore(&workers_lock, flags);
		mark_work(true);
	}
	return 0;
}

void mark_start_workers(void)
{
	for_each_online_cpu(c)
	{
		char name[16];
		snprintf(name, sizeof name, "gc-mark%d", c->id);
		if (!task_create_on(c->id, true, name, mark_worker, NULL, 0))
			kprintf("gc: no mark worker on cpu%d: the others do its share\n", c->id);
	}
}

/* Called by the collector after stop 1 (the world running again). */
void mark_wake_workers(void)
{
	uint64_t flags = spin_lock_irqsave(&workers_lock);
	gc.mark_epoch++;
	task_wake_all(&workers_wait);
	spin_unlock_irqrestore(&workers_lock, flags);
}
