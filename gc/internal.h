/*
 * internal.h — the collector's state, shared by gc.c (the cycle), mark.c
 * (roots and scanning), barrier.c, verify.c and sweep.c.  Not for users.
 */
#ifndef GC_INTERNAL_H
#define GC_INTERNAL_H

#include "gc/gc.h"
#include "gc/heap.h"
#include "gc/markq.h"
#include "kernel/task/alltasks.h"
#include "kernel/arch/cpu.h"
#include "kernel/task/task.h"

/* The collector's own globals live in this section, which the root scan
 * skips: they hold heap addresses (the arena's bounds, the queue) that would
 * otherwise keep objects alive.  linker.ld places it inside BSS. */
#define GC_NOSCAN_DATA __attribute__((section(".bss.noscan")))

enum gc_phase {
	GC_PHASE_OFF, /* no cycle, or sweeping */
	GC_PHASE_MARK, /* between stop 1 and stop 2: concurrent marking */
	GC_PHASE_MARK_TERM, /* stop 2 */
};

struct gc_state {
	struct heap heap;
	struct markq queue;
	bool ready;

	/* settings */
	enum gc_mode mode;
	bool inject;
	bool verify;
	bool auto_collect;

	/* the cycle in progress; written in stop 1, read while marking */
	int phase; /* enum gc_phase; written with the world stopped, read relaxed */
	bool barrier; /* the write barrier is on; as phase */
	uint64_t cycle; /* the cycle being run or last run (1, 2, ...) */
	struct tasks_view snap; /* the task slice at stop 1 */
	size_t data_jobs; /* root jobs for data/BSS */
	size_t njobs; /* data_jobs + snap.len */
	size_t next_job; /* the next root job to hand out (atomic) */
	int busy; /* markers holding work (atomic) */
	struct task *owner; /* the task running the cycle */
	uintptr_t owner_lo; /* its stack is scanned from here up (gc.c: rooted_cycle) */
	uint64_t mark_epoch; /* bumped when marking starts: wakes the workers */
	uint64_t step_at; /* timer_count() at the end of the last pause step (gc_step_end) */
	size_t snap_scanned; /* tasks of the snapshot whose gc_scanned is this cycle (atomic) */
	/* Bytes each core's gc_shade marked this cycle: summed in stop 2, so the
	 * pause need not walk the heap to learn what survives.  One line each:
	 * every core adds to its own on every object it marks. */
	struct {
		uint64_t bytes;
	} __attribute__((aligned(64))) marked[MAX_CPUS];

	/* gc=racy's nil task: fatal, unless a demo or test asked to catch it */
	bool nil_catch;
	uint64_t nil_caught; /* times caught (atomic) */
	size_t nil_index;
	uint64_t nil_cycle;
	int nil_cpu;

	struct gc_cycle_stats this_cycle; /* statistics of the cycle in progress */
	struct gc_cycle_stats history[GC_HISTORY];
	uint64_t trigger_bytes; /* start a background cycle when live_bytes passes this */
};

extern struct gc_state gc;

/* barrier.c: register the write barrier's restartable sequence (gc_init) */
void gc_write_init(void);
/* write.S: store value into *slot and return 0 if *barrier is off; store
 * nothing and return 1 if it is on.  [gc_write_seq, gc_write_seq_end) is the
 * restartable sequence. */
int gc_write_fast(void *slot, void *value, const bool *barrier);
extern const char gc_write_seq[], gc_write_seq_end[];

/* cache.c: per-core allocation caches */
/* A small object from this core's cache (refilled from the heap when
 * empty); NULL if size is not cached or the heap has no room. */
void *gc_cache_alloc(size_t size, unsigned flags);
/* Stop 1, after heap_begin_mark: every cached slot black. */
void gc_caches_keep(void);

/* gc.c: the step of a pause that ends now (its time goes to gc.this_cycle.step_ns) */
void gc_step_end(enum gc_step step);

/* mark.c */
void mark_prepare_roots(void); /* stop 1 */
void mark_work(bool yield); /* take root jobs and queued objects until none is left */
bool mark_done(void); /* no job left, queue empty, nobody busy */
void mark_retry_stacks(void);
void mark_self_scan(struct task *t); /* t, about to yield: its own stack, if the mark wants it */
bool gc_all_stacks_scanned(void); /* stacks that were running when their job came */
void mark_terminate(void); /* stop 2: every stack left, drain everything */
void mark_start_workers(void);
void mark_wake_workers(void); /* after stop 1 */
void gc_shade(uintptr_t v); /* grey the object v points into, if any */
uint64_t mark_bytes_marked(void); /* world stopped: bytes marked this cycle, black ones too */
void scan_range(uintptr_t lo, uintptr_t hi, void (*visit)(uintptr_t v));
void scan_globals(void (*visit)(uintptr_t v));
/* Every register and stack word of t; false if t is running elsewhere and
 * the world is not stopped. */
bool scan_task_roots(struct task *t, void (*visit)(uintptr_t v), bool world_stopped);

/* verify.c (stop 2) */
void gc_verify_marks(void);

/* sweep.c */
void sweep_start_task(void);
void sweep_wake(void);
void sweep_finish(void); /* sweep whatever is left, now, in the caller */

#endif
