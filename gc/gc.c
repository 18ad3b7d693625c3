/*
 * gc.c — the garbage collector: a concurrent mark-sweep collector whose two
 * short pauses are true all-core stops (kernel/stw/stop.c), after Go's
 * (runtime/mgc.go).
 *
 * Objects live in the heap of gc/heap.c.  An object is live if it can be
 * reached from a root: the kernel's data and BSS, a task's stack or saved
 * registers, or a task's argument or result.  Roots and objects are scanned
 * conservatively: every aligned word that points into an allocated object
 * keeps that object, unless the object was allocated GC_NOSCAN.
 *
 * The cycle, in Go's phases:
 *
 *   sweep termination  finish sweeping the last cycle (the caller does it).
 *
 *   stop 1             stop every core by IPI.  With nothing running:
 *     (pause)          - turn the write barrier on and allocate black;
 *                      - take the snapshot of the task slice's header: the
 *                        array pointer and the length (gc=fixed), or the
 *                        length only (gc=racy, see below);
 *                      - number the root jobs: data/BSS in 64 KiB pieces,
 *                        then one job per task of the snapshot.
 *                      Restart the world.  The pause does not depend on the
 *                      number of tasks: the snapshot is two words.
 *
 *   concurrent mark    one mark worker per core (gc-markN, pinned) and the
 *                      collecting task take root jobs and grey objects from
 *                      the mark queue, while every other task runs, allocates
 *                      and creates tasks.  A task's stack is scanned while it
 *                      is not running: the marker takes the task's lock,
 *                      which keeps the scheduler from switching to it (Go's
 *                      suspendG); a running task is tried again later.
 *
 *   stop 2             stop every core again.  Mark termination: the jobs
 *     (pause)          and stacks left (tasks that ran throughout are frozen
 *                      in their IPI handler, registers in the trap frame),
 *                      then drain the queue.  Optionally verify (gcverify=1).
 *                      Write barrier off, stop allocating black, make every
 *                      span unswept.  Restart the world.  Nothing in it walks
 *                      the heap or every task: what survives was counted as
 *                      it was marked (per core, and by black allocation), a
 *                      count of scanned stacks says whether any is left, and
 *                      "unswept" is one increment of heap.cycle.  So without
 *                      the verifier the pause costs the stop itself plus
 *                      what the markers left, which is usually nothing.
 *                      gc_print_pauses shows each step (`gc stats`).
 *
 *   concurrent sweep   the sweeper task frees unmarked objects span by span;
 *                      an allocation that meets an unswept span sweeps it.
 *
 *     time ─────────────────────────────────────────────────────────────▶
 *     mutators  ████▌     ▐██████████████████████▌     ▐████████████████
 *     stop 1         ▐STW▌                        ▐STW▌ stop 2
 *     markers             ▐░░ roots, then queue ░░▌
 *     sweeper                                           ▐░░ spans ░░▌
 *     barrier        on ───────────────────────────────▶ off
 *
 * Invariants, and why marking concurrently is safe:
 *
 *   - The write barrier is Go's hybrid barrier: gc_write(&slot, v) shades
 *     the old *slot and v, then stores.  Shading the old value means a
 *     pointer cannot escape to an unscanned stack and then vanish from the
 *     heap; shading the new one means a scanned stack cannot hide a white
 *     object in the heap.  So each stack is scanned once, at any moment
 *     during the mark, and never again.  A stop never splits the
 *     barrier's check from its store: outside marking gc_write is a
 *     restartable sequence (gc/write.S), while marking it masks interrupts.
 *
 *   - Objects allocated while marking are black (marked at allocation).
 *
 *   - Tasks created after the snapshot are not scanned.  That is safe: a new
 *     task starts with an empty stack and one argument, and the argument is
 *     shaded when the task is created.  Everything else it will ever hold it
 *     must allocate (black) or load from the heap or a global, and an object
 *     reachable from there is either still reachable at the end (so marked)
 *     or was unlinked through gc_write, which shaded it.  A task's result is
 *     shaded for the same reason, twice: when the task exits (it leaves the
 *     stack for the task struct) and when it is joined (it leaves the struct,
 *     which may be reused before its root job reads it, for the joiner's
 *     stack, which may have been scanned already).
 *
 *   - Entries of the snapshot never change and the arrays they live in are
 *     never freed (kernel/task/alltasks.c), so reading snap.ptr[i] during the
 *     mark needs no lock and no ordering: the stop ordered it.
 *
 * gc=racy is Go 1.17's markroot: the length comes from the stop, but each
 * job reads its task from the live slice, alltasks_unordered(), while task
 * creation may be growing it.  If the new array's pointer is visible before
 * the copy into it, the entry is NULL: "markroot: nil task at index N".
 * inject=publish-early makes the slice publish that way on purpose; an Arm
 * core may do it on its own (docs/the-allgs-bug.md).
 */
#include "gc/internal.h"
#include "boot/mmu.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/lib/stats.h"
#include "kernel/mm/page.h"
#include "kernel/panic/panic.h"
#include "kernel/stw/stop.h"
#include "kernel/arch/timer.h"
#include "kernel/trace/trace.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct gc_state gc GC_NOSCAN_DATA;

#define MARKQ_BYTES	 (1024 * 1024)
#define HEAP_VA		 0x5000000000ULL /* 320 GiB: see gc_init */
#define HEAP_ALIAS_ALIGN (2ULL << 20)
#define HEAP_MAX	 (1ULL << 30)
#define TRIGGER_MIN	 (4ULL << 20) /* no automatic cycle below 4 MiB of live objects */
#define MARK_RETRIES	 3
#define RETRY_WAIT_NS	 (1000 * 1000)
#define INJECT_DELAY_NS	 (10ULL * 1000 * 1000)
#define INJECT_MAX_NS	 (200ULL * 1000 * 1000)

/* One cycle at a time: a sleeping lock (collections may take a while). */
static struct spinlock cycle_lock = SPINLOCK_INIT("gc-cycle");
static struct waitq cycle_waiters;
static struct task *cycle_owner;
static struct spinlock stats_lock = SPINLOCK_INIT("gc-stats");
static uint64_t poison_reported;

/* ---- set-up ---- */

static void gc_task_created(struct task *t);
static void gc_task_result(int64_t result);
static const struct task_hooks gc_task_hooks = {gc_task_created, gc_task_result, mark_self_scan};

void gc_init(uint64_t heap_bytes)
{
	heap_bytes = (heap_bytes + HEAP_ALIAS_ALIGN - 1) & ~(HEAP_ALIAS_ALIGN - 1);
	if (heap_bytes > HEAP_MAX)
		heap_bytes = HEAP_MAX;
	uint64_t pa = page_alloc(heap_bytes, HEAP_ALIAS_ALIGN);
	uint64_t qmem = page_alloc(MARKQ_BYTES, PAGE_SIZE);
	/* The heap is used through a second mapping, far above RAM: a conservative
	 * scan then mistakes almost no integer (a count, a timestamp) for a heap
	 * address.  (Go puts its heap at 0xc000000000 for the same reason.) */
	uint64_t base = pa;
	if (pa && mmu_map_alias(HEAP_VA, pa, heap_bytes) == 0)
		base = HEAP_VA;
	else if (pa)
		kprintf("gc: cannot map the heap at %#llx: using it where it is\n",
			(unsigned long long)HEAP_VA);
	if (!pa || !qmem || heap_init(&gc.heap, base, heap_bytes) != 0) {
		kprintf("gc: no memory for a heap of %llu KiB: the collector is off\n",
			(unsigned long long)(heap_bytes >> 10));
		return;
	}
	markq_init(&gc.queue, (void *)qmem, MARKQ_BYTES);
	gc_write_init();
	gc.auto_collect = true;
	gc.trigger_bytes = TRIGGER_MIN;
	gc.ready = true;
	task_set_hooks(&gc_task_hooks); /* from now on, tasks' arguments and results are shaded */
	kprintf("gc: heap %llu KiB at %#llx (RAM at %#llx), %u pages of objects, mark queue %zu "
		"entries\n",
		(unsigned long long)(heap_bytes >> 10), (unsigned long long)base,
		(unsigned long long)pa, gc.heap.npages, gc.queue.nchunks * MARKQ_CHUNK_ENTRIES);
}

bool gc_ready(void)
{
	return gc.ready;
}

static struct spinlock bg_lock = SPINLOCK_INIT("gc-background");
static struct waitq bg_wait;
static bool bg_wanted;
static uint64_t run_cycle(void);

/* The background collector: runs a cycle when gc_alloc asks for one. */
static int64_t background(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&bg_lock);
		while (!bg_wanted)
			task_wait(&bg_wait, &bg_lock);
		bg_wanted = false;
		spin_unlock_irqrestore(&bg_lock, flags);
		run_cycle();
	}
	return 0;
}

/* alltasks.c calls this at each step of growing the task slice, with the
 * slice lock held and interrupts masked, so no stop (and so no phase change)
 * can come between the publication and this check. */
static void slice_grew(enum alltasks_step step, struct task **a, size_t len)
{
	(void)a;
	(void)len;
	if (step == GROW_PUBLISHED_PTR && gc_marking()) /* relaxed: a statistic */
		__atomic_fetch_add(&gc.this_cycle.slice_growths, 1, __ATOMIC_RELAXED);
}

void gc_start(void)
{
	if (!gc.ready)
		return;
	alltasks_grow_hook = slice_grew;
	mark_start_workers();
	sweep_start_task();
	if (!task_create("gc-background", background, NULL, 0))
		kprintf("gc: no background collector task: cycles run only when asked\n");
}

/* ---- settings ---- */

/* The cycle whose marking is over (set just before stop 2 is requested). */
static uint64_t mark_over_cycle;

/*
 * inject=publish-early's delay between publishing the new array and copying
 * into it: at least INJECT_DELAY_NS and, if a cycle is marking, until that
 * marking is over (at most INJECT_MAX_NS).  The markers' last reads of the
 * slice (mark_retry_stacks) come at the end of the mark phase, so a window
 * that lasts until then meets them whenever the growth came while marking,
 * not only when it came early.  The slice lock is held and interrupts are
 * masked: a busy wait, and stop 2 cannot complete before it ends (it is only
 * requested after mark_over_cycle is set, so the wait never holds it up for
 * longer than the copy).
 */
static void inject_delay(void)
{
	uint64_t t0 = timer_ns();
	bool marking = gc_marking();
	uint64_t cycle = gc.cycle;
	for (;;) {
		uint64_t t = timer_ns();
		if (t >= t0 + INJECT_MAX_NS)
			return;
		/* relaxed: a flag polled in a loop; nothing is read through it */
		bool over =
		    !marking || __atomic_load_n(&mark_over_cycle, __ATOMIC_RELAXED) == cycle;
		if (t >= t0 + INJECT_DELAY_NS && over)
			return;
	}
}

static void apply_publish_order(void)
{
	alltasks_publish_delay = inject_delay;
	alltasks_set_publish(gc.inject		  ? ALLTASKS_PUBLISH_EARLY
			     : gc.mode == GC_RACY ? ALLTASKS_PUBLISH_PLAIN
						  : ALLTASKS_PUBLISH_RELEASE);
}

/* Modes change between cycles only: a cycle reads them once, in stop 1. */
static void cycle_lock_take(void);
static void cycle_lock_drop(void);

void gc_set_mode(enum gc_mode m)
{
	cycle_lock_take();
	gc.mode = m;
	apply_publish_order();
	cycle_lock_drop();
}

enum gc_mode gc_get_mode(void)
{
	return gc.mode;
}

const char *gc_mode_name(enum gc_mode m)
{
	return m == GC_RACY ? "racy" : "fixed";
}

void gc_set_inject(bool on)
{
	cycle_lock_take();
	gc.inject = on;
	apply_publish_order();
	cycle_lock_drop();
}

bool gc_get_inject(void)
{
	return gc.inject;
}

void gc_set_verify(bool on)
{
	cycle_lock_take();
	gc.verify = on;
	heap_set_poison(&gc.heap, on);
	cycle_lock_drop();
}

bool gc_get_verify(void)
{
	return gc.verify;
}

void gc_set_auto(bool on)
{
	gc.auto_collect = on;
}

bool gc_get_auto(void)
{
	return gc.auto_collect;
}

void gc_set_heap_limit(uint64_t bytes)
{
	heap_set_page_limit(&gc.heap, (uint32_t)(bytes / HEAP_PAGE));
}

/* ---- the cycle lock ---- */

static void cycle_lock_take(void)
{
	struct task *me = task_current();
	uint64_t flags = spin_lock_irqsave(&cycle_lock);
	while (cycle_owner)
		task_wait(&cycle_waiters, &cycle_lock);
	cycle_owner = me ? me : (struct task *)1; /* boot code, before tasks */
	spin_unlock_irqrestore(&cycle_lock, flags);
}

static void cycle_lock_drop(void)
{
	uint64_t flags = spin_lock_irqsave(&cycle_lock);
	cycle_owner = NULL;
	task_wake_all(&cycle_waiters);
	spin_unlock_irqrestore(&cycle_lock, flags);
}

static bool cycle_running_here(void)
{
	/* relaxed: only ever equal to us if we set it ourselves */
	return __atomic_load_n(&cycle_owner, __ATOMIC_RELAXED) == task_current();
}

/* ---- the cycle ---- */

bool gc_marking(void)
{
	/* relaxed: phase changes only while the world is stopped */
	return __atomic_load_n(&gc.phase, __ATOMIC_RELAXED) == GC_PHASE_MARK;
}

static struct spinlock phase_lock = SPINLOCK_INIT("gc-phase");
static struct waitq phase_waiters;

void gc_wait_marking(void)
{
	uint64_t flags = spin_lock_irqsave(&phase_lock);
	while (!gc_marking())
		task_wait(&phase_waiters, &phase_lock);
	spin_unlock_irqrestore(&phase_lock, flags);
}

static void wake_phase_waiters(void)
{
	uint64_t flags = spin_lock_irqsave(&phase_lock);
	task_wake_all(&phase_waiters);
	spin_unlock_irqrestore(&phase_lock, flags);
}

/*
 * Where the pauses go: each step of a stop ends with gc_step_end, which
 * reads the counter (an ISB and a register read) and charges the time since
 * the end of the step before.  The steps of a stop add up to the whole pause.
 */
static void step_begin(void)
{
	gc.step_at = timer_count();
}

void gc_step_end(enum gc_step step)
{
	uint64_t now = timer_count();
	gc.this_cycle.step_ns[step] += ticks_to_ns(now - gc.step_at);
	gc.step_at = now;
}

static uint64_t steps_sum(enum gc_step first, enum gc_step last)
{
	uint64_t ns = 0;
	for (int i = first; i <= (int)last; i++)
		ns += gc.this_cycle.step_ns[i];
	return ns;
}

static void stop1(void)
{
	trace_event(TR_GC_PHASE, (uint32_t)gc.cycle + 1, TRACE_GC_STOP1, 0);
	step_begin();
	stop_the_world("gc stop 1: snapshot");
	gc_step_end(GC_S1_PARK);
	gc.cycle++;
	gc.this_cycle.cycle = gc.cycle;
	gc.this_cycle.mode = gc.mode;
	gc.this_cycle.inject = gc.inject;
	gc.this_cycle.verified =
	    false; /* an outcome: verify.c sets it when every mark checked out */
	if (gc.verify) {
		uintptr_t first = 0;
		uint64_t stale = heap_stale_marks(&gc.heap, &first);
		if (stale)
			panic("gcverify: cycle %llu starts with %llu objects already marked (first "
			      "%#lx): "
			      "the last sweep missed them",
			      (unsigned long long)gc.cycle, (unsigned long long)stale,
			      (unsigned long)first);
	}
	gc_step_end(GC_S1_CHECK);
	heap_begin_mark(&gc.heap); /* allocate black from now on */
	gc_caches_keep(); /* and what the cores' caches will hand out */
	mark_prepare_roots();
	/* relaxed stores: the restart of the world publishes them to every core
	 * (each parked core leaves its handler after the owner's release) */
	__atomic_store_n(&gc.barrier, true, __ATOMIC_RELAXED);
	__atomic_store_n(&gc.phase, GC_PHASE_MARK, __ATOMIC_RELAXED);
	gc_step_end(GC_S1_ROOTS);
	start_the_world();
	gc_step_end(GC_S1_RELEASE);
	trace_event(TR_GC_PHASE, (uint32_t)gc.cycle, TRACE_GC_ROOTS, 0);
	gc.this_cycle.stop1_ns = steps_sum(GC_S1_PARK, GC_S1_RELEASE);
}

static void stop2(void)
{
	trace_event(TR_GC_PHASE, (uint32_t)gc.cycle, TRACE_GC_STOP2, 0);
	step_begin();
	stop_the_world("gc stop 2: mark termination");
	gc_step_end(GC_S2_PARK);
	/* relaxed: the world is stopped (as in stop1) */
	__atomic_store_n(&gc.phase, GC_PHASE_MARK_TERM, __ATOMIC_RELAXED);
	mark_terminate(); /* the steps from GC_S2_JOBS to GC_S2_DRAIN */
	/* What survives, counted as it was marked (not by walking the heap). */
	gc.this_cycle.live_after = mark_bytes_marked();
	if (gc.verify) {
		gc_verify_marks();
		uint64_t walked = heap_marked_bytes(&gc.heap);
		if (walked != gc.this_cycle.live_after)
			panic(
			    "gcverify: cycle %llu: %llu bytes are marked, but the markers counted "
			    "%llu",
			    (unsigned long long)gc.cycle, (unsigned long long)walked,
			    (unsigned long long)gc.this_cycle.live_after);
	}
	gc_step_end(GC_S2_VERIFY);
	gc.this_cycle.freed_objects = gc.heap.freed_objects; /* base: sweep.c subtracts */
	gc.this_cycle.freed_bytes = gc.heap.freed_bytes;
	__atomic_store_n(&gc.barrier, false, __ATOMIC_RELAXED); /* relaxed: as in stop1 */
	__atomic_store_n(&gc.phase, GC_PHASE_OFF, __ATOMIC_RELAXED); /* relaxed: as in stop1 */
	heap_finish_mark(&gc.heap);
	gc_step_end(GC_S2_FINISH);
	start_the_world();
	gc_step_end(GC_S2_RELEASE);
	trace_event(TR_GC_PHASE, (uint32_t)gc.cycle, TRACE_GC_SWEEP, 0);
	gc.this_cycle.stop2_ns = steps_sum(GC_S2_PARK, GC_S2_RELEASE);
}

/* The cycle itself, called from rooted_cycle (below) with the collecting
 * task's roots already set. */
static uint64_t cycle_body(void)
{
	sweep_finish(); /* sweep termination */
	memset(&gc.this_cycle, 0, sizeof gc.this_cycle);
	gc.this_cycle.live_before = gc.heap.live_bytes;

	stop1();
	uint64_t mark_start = timer_ns();
	wake_phase_waiters();
	mark_wake_workers();
	/* Help, then wait for the work to run out.  Stacks that were running
	 * when their job came are tried a few more times; those still running
	 * after that are scanned in stop 2. */
	int retries = 0;
	for (;;) {
		mark_work(true);
		if (!mark_done()) {
			task_yield();
			continue;
		}
		if (retries++ == MARK_RETRIES)
			break;
		mark_retry_stacks();
		/* Give running tasks time to reach a yield point, so that their
		 * stacks are scanned now rather than in the pause of stop 2. */
		uint64_t until = timer_ns() + RETRY_WAIT_NS;
		while (timer_ns() < until && !gc_all_stacks_scanned())
			task_yield();
	}
	gc.this_cycle.mark_ns = timer_ns() - mark_start;
	/* relaxed: only ends inject_delay's wait (a flag polled, nothing read through it) */
	__atomic_store_n(&mark_over_cycle, gc.cycle, __ATOMIC_RELAXED);
	stop2();
	return gc.cycle;
}

/*
 * The collecting task is running, so its roots are its own stack from here
 * up plus the registers it holds now.  setjmp spills every callee-saved
 * register into regs, in this frame; this function's own prologue saved the
 * ones it uses just below, and its callers' frames are above.  So from this
 * frame's stack pointer up lies every value a caller may still need,
 * whichever register or frame it was in.  Below the stack pointer are only
 * the collector's own frames (cycle_body and what it calls), full of heap
 * addresses it is working on: not roots.  noinline: the frame must be this
 * function's own, below run_cycle's save area.
 */
static uint64_t __attribute__((noinline)) rooted_cycle(void)
{
	jmp_buf regs;
	setjmp(regs);
	uintptr_t sp;
	/* "r"(regs): the asm reads after setjmp wrote regs, so the spill happens first */
	asm volatile("mov %0, sp" : "=r"(sp) : "r"(regs) : "memory");
	gc.owner = task_current();
	gc.owner_lo = sp;
	uint64_t n = cycle_body();
	gc.owner = NULL;
	return n;
}

/* gc_set_cycle_observer's function, or NULL. */
static void (*cycle_observer)(const struct gc_cycle_stats *s);

void gc_set_cycle_observer(void (*fn)(const struct gc_cycle_stats *s))
{
	/* release: whatever fn reads that its installer set up before this is
	 * visible to the collecting task that loads fn with acquire */
	__atomic_store_n(&cycle_observer, fn, __ATOMIC_RELEASE);
}

static void tell_observer(const struct gc_cycle_stats *s)
{
	/* acquire: pairs with the release in gc_set_cycle_observer */
	void (*fn)(const struct gc_cycle_stats *) =
	    __atomic_load_n(&cycle_observer, __ATOMIC_ACQUIRE);
	if (fn)
		fn(s);
}

static uint64_t run_cycle(void)
{
	if (!gc.ready)
		return 0;
	cycle_lock_take();
	uint64_t n = rooted_cycle();
	uint64_t flags = spin_lock_irqsave(&stats_lock);
	gc.history[n % GC_HISTORY] = gc.this_cycle;
	spin_unlock_irqrestore(&stats_lock, flags);
	tell_observer(&gc.this_cycle);
	gc.trigger_bytes =
	    gc.this_cycle.live_after * 2 > TRIGGER_MIN ? gc.this_cycle.live_after * 2 : TRIGGER_MIN;
	sweep_wake();
	cycle_lock_drop();
	return n;
}

uint64_t gc_collect(void)
{
	uint64_t n = run_cycle();
	sweep_finish();
	return n;
}

uint64_t gc_cycles(void)
{
	return gc.cycle;
}

/* Called by sweep.c when the sweep of cycle n is over. */
void gc_sweep_done(uint64_t n, uint64_t sweep_ns, uint64_t objects, uint64_t bytes)
{
	uint64_t flags = spin_lock_irqsave(&stats_lock);
	struct gc_cycle_stats *s = &gc.history[n % GC_HISTORY];
	if (s->cycle == n && !s->swept) {
		s->freed_objects = objects - s->freed_objects;
		s->freed_bytes = bytes - s->freed_bytes;
		s->sweep_ns = sweep_ns;
		s->swept = true;
	}
	spin_unlock_irqrestore(&stats_lock, flags);
}

/* ---- allocation ---- */

static void poison_check(void)
{
	/* relaxed: a counter the heap bumps under its lock; we only compare */
	uint64_t errs = __atomic_load_n(&gc.heap.poison_errors, __ATOMIC_RELAXED);
	/* relaxed: our own record of what was reported; a late report is harmless */
	if (errs == __atomic_load_n(&poison_reported, __ATOMIC_RELAXED))
		return;
	/* relaxed: two cores may both report the same errors once; nothing else depends on it */
	__atomic_store_n(&poison_reported, errs, __ATOMIC_RELAXED);
	panic("gcverify: freed object %#lx was written after it was freed (byte %u of it is no "
	      "longer poison); cycle %llu",
	      (unsigned long)gc.heap.poison_bad_obj, gc.heap.poison_bad_off,
	      (unsigned long long)gc.cycle);
}

static void maybe_trigger(void)
{
	/* relaxed: a heuristic; a late or extra cycle is harmless */
	if (!gc.auto_collect ||
	    __atomic_load_n(&gc.heap.live_bytes, __ATOMIC_RELAXED) < gc.trigger_bytes ||
	    __atomic_load_n(&cycle_owner, __ATOMIC_RELAXED))
		return;
	uint64_t flags = spin_lock_irqsave(&bg_lock);
	if (!bg_wanted) {
		trace_event(TR_ALLOC_SLOW, 0, TRACE_ALLOC_TRIGGER, 0);
		bg_wanted = true;
		task_wake_one(&bg_wait);
	}
	spin_unlock_irqrestore(&bg_lock, flags);
}

void *gc_alloc(size_t size, unsigned flags)
{
	if (!gc.ready) {
		kprintf("gc: gc_alloc(%zu) but there is no heap\n", size);
		return NULL;
	}
	uintptr_t p = (uintptr_t)gc_cache_alloc(size, flags);
	if (!p)
		p = heap_alloc(&gc.heap, size, flags);
	if (gc.heap.poison)
		poison_check();
	/* Out of room: collect and retry, if this is a task that may block
	 * (not the collector itself, nothing masked). */
	if (!p && task_current() && irqs_enabled() && !cycle_running_here()) {
		trace_event(TR_ALLOC_SLOW, (uint32_t)size, TRACE_ALLOC_FULL, 0);
		gc_collect();
		p = heap_alloc(&gc.heap, size, flags);
	}
	if (!p) {
		struct gc_heap_stats hs;
		gc_heap_stats(&hs);
		kprintf("gc: out of memory: no room for %zu bytes even after a collection "
			"(heap %llu KiB, %llu KiB live in %llu objects, %llu KiB of pages free)\n",
			size, (unsigned long long)(hs.capacity >> 10),
			(unsigned long long)(hs.live_bytes >> 10),
			(unsigned long long)hs.live_objects,
			(unsigned long long)(hs.pages_free * HEAP_PAGE >> 10));
		return NULL;
	}
	maybe_trigger();
	return (void *)p;
}

void gc_heap_stats(struct gc_heap_stats *s)
{
	uint64_t flags = spin_lock_irqsave(&gc.heap.lock);
	s->capacity = heap_capacity(&gc.heap);
	s->live_bytes = gc.heap.live_bytes;
	s->live_objects = gc.heap.live_objects;
	spin_unlock_irqrestore(&gc.heap.lock, flags);
	s->pages_free = heap_pages_free(&gc.heap);
}

bool gc_is_live(const void *p)
{
	return gc.ready && heap_find(&gc.heap, (uintptr_t)p, NULL, NULL) != 0;
}

/* ---- hooks from task.c ---- */

static void gc_task_created(struct task *t)
{
	uint64_t flags = irq_save(); /* no stop between the check and the shade */
	if (gc_marking()) {
		gc_shade((uintptr_t)t->arg);
		/* relaxed: a statistic */
		__atomic_fetch_add(&gc.this_cycle.tasks_created, 1, __ATOMIC_RELAXED);
	}
	irq_restore(flags);
}

static void gc_task_result(int64_t result)
{
	uint64_t flags = irq_save(); /* no stop between the barrier check and the shade */
	/* relaxed: barrier changes only while the world is stopped */
	if (__atomic_load_n(&gc.barrier, __ATOMIC_RELAXED))
		gc_shade((uint64_t)result);
	irq_restore(flags);
}

/* ---- statistics ---- */

bool gc_cycle_stats(uint64_t n, struct gc_cycle_stats *s)
{
	uint64_t flags = spin_lock_irqsave(&stats_lock);
	bool ok = n > 0 && gc.history[n % GC_HISTORY].cycle == n;
	if (ok)
		*s = gc.history[n % GC_HISTORY];
	spin_unlock_irqrestore(&stats_lock, flags);
	return ok;
}

bool gc_last_stats(struct gc_cycle_stats *s)
{
	return gc_cycle_stats(gc.cycle, s);
}

static unsigned long long ns_to_us(uint64_t ns)
{
	return (unsigned long long)(ns / 1000);
}

void gc_print_cycle(const struct gc_cycle_stats *s)
{
	kprintf("gc %llu (%s%s%s): stop1 %llu us, mark %llu us, stop2 %llu us; "
		"live %llu -> %llu KiB; ",
		(unsigned long long)s->cycle, gc_mode_name(s->mode), s->inject ? ", inject" : "",
		s->verified ? ", verified" : "", ns_to_us(s->stop1_ns), ns_to_us(s->mark_ns),
		ns_to_us(s->stop2_ns), (unsigned long long)(s->live_before >> 10),
		(unsigned long long)(s->live_after >> 10));
	if (s->swept)
		kprintf("freed %llu objects, %llu KiB (sweep %llu us); ",
			(unsigned long long)s->freed_objects,
			(unsigned long long)(s->freed_bytes >> 10), ns_to_us(s->sweep_ns));
	else
		kprintf("sweeping; ");
	kprintf("%llu stacks (%llu in stop 2", (unsigned long long)s->stacks_scanned,
		(unsigned long long)s->stacks_at_stop2);
	for (uint64_t i = 0; i < s->stacks_at_stop2 && i < GC_STOP2_NAMED; i++)
		kprintf("%s%d", i ? " " : ": task ", (int)s->stop2_task[i]);
	kprintf("%s) of %llu tasks; %llu tasks created while marking\n",
		s->stacks_at_stop2 > GC_STOP2_NAMED ? " ..." : "",
		(unsigned long long)s->snapshot_len, (unsigned long long)s->tasks_created);
}

void gc_print_stats(void)
{
	struct gc_heap_stats hs;
	gc_heap_stats(&hs);
	kprintf("gc: %llu cycles, mode %s%s%s; heap %llu KiB, %llu KiB live in %llu objects\n",
		(unsigned long long)gc.cycle, gc_mode_name(gc.mode),
		gc.inject ? ", inject=publish-early" : "", gc.verify ? ", gcverify=1" : "",
		(unsigned long long)(hs.capacity >> 10), (unsigned long long)(hs.live_bytes >> 10),
		(unsigned long long)hs.live_objects);
	uint64_t first = gc.cycle > 8 ? gc.cycle - 7 : 1;
	for (uint64_t n = first; n <= gc.cycle; n++) {
		struct gc_cycle_stats s;
		if (gc_cycle_stats(n, &s))
			gc_print_cycle(&s);
	}
	/* Pauses over the whole history. */
	uint64_t max1 = 0, max2 = 0, sum1 = 0, sum2 = 0, k = 0;
	for (int i = 0; i < GC_HISTORY; i++) {
		struct gc_cycle_stats *s = &gc.history[i];
		if (!s->cycle)
			continue;
		k++;
		sum1 += s->stop1_ns;
		sum2 += s->stop2_ns;
		max1 = s->stop1_ns > max1 ? s->stop1_ns : max1;
		max2 = s->stop2_ns > max2 ? s->stop2_ns : max2;
	}
	if (k)
		kprintf(
		    "gc: last %llu cycles: stop1 mean %llu us, max %llu us; stop2 mean %llu us, "
		    "max %llu us\n",
		    (unsigned long long)k, ns_to_us(sum1 / k), ns_to_us(max1), ns_to_us(sum2 / k),
		    ns_to_us(max2));
	/* Where the pauses went, over the same cycles (a copy: the history
	 * changes under us while cycles run). */
	struct gc_cycle_stats *copy = malloc(GC_HISTORY * sizeof *copy);
	if (!copy)
		return;
	size_t m = 0;
	for (uint64_t n = gc.cycle > GC_HISTORY ? gc.cycle - GC_HISTORY + 1 : 1; n <= gc.cycle; n++)
		if (gc_cycle_stats(n, &copy[m]))
			m++;
	gc_print_pauses(copy, m);
	free(copy);
}

static const char *const step_names[GC_NSTEPS] = {
    [GC_S1_PARK] = "park the other cores",
    [GC_S1_CHECK] = "no stale mark (gcverify=1)",
    [GC_S1_ROOTS] = "snapshot, root jobs, barrier on",
    [GC_S1_RELEASE] = "release, every core out",
    [GC_S2_PARK] = "park the other cores",
    [GC_S2_JOBS] = "root jobs left",
    [GC_S2_STACKS] = "stacks left",
    [GC_S2_REGS] = "parked cores' registers",
    [GC_S2_DRAIN] = "drain the mark queue",
    [GC_S2_VERIFY] = "verify the marks (gcverify=1)",
    [GC_S2_FINISH] = "barrier off, spans unswept",
    [GC_S2_RELEASE] = "release, every core out",
};

/* One line of the pause table: the median and maximum of a field over n
 * cycles, whose values are in v (sorted here). */
static void pause_line(const char *indent, const char *name, uint64_t *v, size_t n,
		       const char *extra)
{
	stats_sort_u64(v, n);
	kprintf("%s%-*s %8llu %8llu%s\n", indent, 38 - (int)strlen(indent), name,
		(unsigned long long)stats_percentile(v, n, 50) / 1000,
		(unsigned long long)stats_percentile(v, n, 100) / 1000, extra);
}

void gc_print_pauses(const struct gc_cycle_stats *s, size_t n)
{
	if (n == 0)
		return;
	uint64_t *v = malloc(n * sizeof *v);
	if (!v) {
		kprintf("gc: no memory for the pause table\n");
		return;
	}
	uint64_t at_stop2 = 0;
	for (size_t k = 0; k < n; k++)
		at_stop2 += s[k].stacks_at_stop2;
	char extra[48];
	char title[48];
	ksnprintf(title, sizeof title, "gc pauses over %zu cycles, us", n);
	kprintf("%-38s %8s %8s\n", title, "median", "max");
	for (int stop = 1; stop <= 2; stop++) {
		for (size_t k = 0; k < n; k++)
			v[k] = stop == 1 ? s[k].stop1_ns : s[k].stop2_ns;
		pause_line("  ", stop == 1 ? "stop 1" : "stop 2", v, n, "");
		int first = stop == 1 ? GC_S1_PARK : GC_S2_PARK;
		int last = stop == 1 ? GC_S1_RELEASE : GC_S2_RELEASE;
		for (int i = first; i <= last; i++) {
			for (size_t k = 0; k < n; k++)
				v[k] = s[k].step_ns[i];
			extra[0] = '\0';
			if (i == GC_S2_STACKS)
				ksnprintf(extra, sizeof extra, "   (%llu stacks in all)",
					  (unsigned long long)at_stop2);
			pause_line("    ", step_names[i], v, n, extra);
		}
	}
	free(v);
}

/* ---- catching gc=racy's failure (demo allgs, tests) ---- */

void gc_set_catch_nil(bool on)
{
	cycle_lock_take();
	gc.nil_catch = on;
	cycle_lock_drop();
}

uint64_t gc_take_caught_nil(void)
{
	/* relaxed: a counter */
	return __atomic_exchange_n(&gc.nil_caught, 0, __ATOMIC_RELAXED);
}

void gc_get_nil_report(struct gc_nil_report *r)
{
	r->catching = gc.nil_catch;
	/* relaxed: a counter peeked at between cycles */
	r->caught = __atomic_load_n(&gc.nil_caught, __ATOMIC_RELAXED);
	/* Plain: written by the first catcher while marking; callers read them
	 * once gc_collect has returned, and stop 2 (each marker's core parks
	 * with a release, the owner counts it with an acquire) came between. */
	r->index = gc.nil_index;
	r->cycle = gc.nil_cycle;
	r->cpu = gc.nil_cpu;
}
