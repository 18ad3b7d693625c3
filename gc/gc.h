/*
 * gc.h — the garbage collector's interface.  How it works: gc/gc.c.
 *
 * Rules for code that keeps pointers to collected objects:
 *   - keep them in the collected heap, in globals (data/BSS), on a task's
 *     stack or in its registers, or in a task's argument or result: those
 *     are what the collector looks at.  Memory from malloc() is NOT looked
 *     at: an object referenced only from there will be freed;
 *   - store a pointer into a heap object or a global with gc_write(), never
 *     with a plain assignment: while the collector marks, the store must be
 *     seen by it (the write barrier).  Stores to locals need nothing.
 */
#ifndef GC_GC_H
#define GC_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gc/heap.h" /* GC_NOSCAN */

struct task;

enum gc_mode {
	GC_FIXED, /* stack roots from the snapshot taken in stop 1: Go 1.18 and later */
	GC_RACY, /* each root read from the live task slice while marking: Go 1.17 */
};

/* Boot: the heap, heap_bytes of RAM from the page allocator. */
void gc_init(uint64_t heap_bytes);
/* From the first task: start the mark workers (one per core), the sweeper
 * and the background collector. */
void gc_start(void);
bool gc_ready(void);

/* size bytes, zeroed, 16-byte aligned.  flags: GC_NOSCAN if it will never
 * hold pointers.  When the heap is full: collects, retries, and if there is
 * still no room prints why and returns NULL. */
void *gc_alloc(size_t size, unsigned flags);

/* *slot = value, with the write barrier (slot is in a heap object or a global). */
void gc_write(void *slot, void *value);

/* Run one whole cycle now (waits for a cycle already running first), then
 * finish its sweep.  Returns the cycle's number. */
uint64_t gc_collect(void);

/* Settings.  By name (boot arguments, the shell): gc_setting_set below. */
void gc_set_mode(enum gc_mode m);
enum gc_mode gc_get_mode(void);
const char *gc_mode_name(enum gc_mode m);
void gc_set_inject(bool publish_early);
bool gc_get_inject(void);
void gc_set_verify(bool on);
bool gc_get_verify(void);
/* Let the collector start cycles on its own when the heap grows (default on). */
void gc_set_auto(bool on);
bool gc_get_auto(void);

/*
 * The settings by name, one vocabulary for the boot arguments (gc=racy,
 * inject=publish-early, gcverify=on) and the shell (gc mode racy, gc inject
 * publish-early, gc verify on): gc/settings.c.  Each setting takes a few
 * words; an older spelling (inject=none, gcverify=1) is kept as an alias.
 */
struct gc_setting_word {
	const char *word; /* what help shows and the shell prints back */
	const char *alias; /* an older spelling that means the same, or NULL */
	int value; /* what the setter gets */
};

#define GC_SETTING_WORDS 3

struct gc_setting {
	const char *name; /* the shell's word: "gc <name> <word>" */
	const char *bootarg; /* the boot argument "<bootarg>=<word>", or NULL */
	const char *label; /* the shell's answer: "gc: <label> <word>" */
	const char *help; /* one line for "gc help" */
	void (*set)(int value);
	int (*get)(void);
	struct gc_setting_word words[GC_SETTING_WORDS]; /* the unused ones are {NULL} */
};

/* Every setting, ended by one whose name is NULL. */
extern const struct gc_setting gc_settings[];

/* The setting called key (its name or its boot argument), or NULL. */
const struct gc_setting *gc_setting_find(const char *key);
/* Set key to value.  0 on success; -1 with a message in err (n bytes, key
 * and the words it takes named) for an unknown key or a word it does not
 * take, and then nothing changes. */
int gc_setting_set(const char *key, const char *value, char *err, size_t n);
/* The word for s's current value ("?" if none matches). */
const char *gc_setting_word(const struct gc_setting *s);
/* "fixed|racy": the words s takes, into buf (n bytes); returns buf. */
const char *gc_setting_words(const struct gc_setting *s, char *buf, size_t n);

/* The steps of the two pauses, in order (gc.c's stop1 and stop2, mark.c's
 * mark_terminate).  Each step's time runs from the end of the one before. */
enum gc_step {
	GC_S1_PARK, /* stop 1: request until every other core is parked */
	GC_S1_CHECK, /* no mark left over from the last sweep (gcverify=1 only) */
	GC_S1_ROOTS, /* allocate black, snapshot, root jobs, barrier on */
	GC_S1_RELEASE, /* release until every core has left its handler */
	GC_S2_PARK, /* stop 2: request until every other core is parked */
	GC_S2_JOBS, /* root jobs not taken while marking */
	GC_S2_STACKS, /* stacks of the snapshot not scanned while marking */
	GC_S2_REGS, /* the parked cores' registers */
	GC_S2_DRAIN, /* empty the mark queue (and rescan after an overflow) */
	GC_S2_VERIFY, /* bytes marked; the verifier (gcverify=1 only) */
	GC_S2_FINISH, /* barrier off, stop allocating black, every span unswept */
	GC_S2_RELEASE, /* release until every core has left its handler */
	GC_NSTEPS,
};

/* What one cycle did. */
#define GC_STOP2_NAMED 4 /* stacks scanned in stop 2 whose task a cycle names */

struct gc_cycle_stats {
	uint64_t cycle;
	enum gc_mode mode;
	bool inject;
	bool verified; /* the verifier ran in stop 2 and found every mark right */
	uint64_t stop1_ns, stop2_ns; /* the two pauses: request until every core is out */
	uint64_t step_ns[GC_NSTEPS]; /* where they went: the stop 1 steps sum to stop1_ns,
					the stop 2 ones to stop2_ns */
	uint64_t mark_ns; /* from the end of stop 1 to the start of stop 2 */
	uint64_t sweep_ns; /* from the end of stop 2 until the last span was swept */
	uint64_t live_before; /* bytes allocated when the cycle started */
	uint64_t live_after; /* bytes marked: what survives */
	uint64_t freed_objects, freed_bytes;
	uint64_t snapshot_len; /* tasks in the slice at stop 1 */
	uint64_t stacks_scanned; /* task stacks scanned while marking */
	uint64_t stacks_at_stop2; /* ... of which in stop 2 (they never stopped running) */
	/* the ids of the first GC_STOP2_NAMED of those tasks */
	int32_t stop2_task[GC_STOP2_NAMED];
	uint64_t tasks_created; /* tasks created while marking (not scanned: see gc.c) */
	uint64_t slice_growths; /* times the task slice published a new array while marking */
	uint64_t barrier_shades; /* objects the write barrier greyed */
	uint64_t overflows; /* times the mark queue ran dry and the heap was rescanned */
	bool swept; /* the sweep has finished: freed_* are final */
};

/* The last cycle (false if none yet). */
bool gc_last_stats(struct gc_cycle_stats *s);
/* Cycle number n, if still in the history (the last GC_HISTORY). */
bool gc_cycle_stats(uint64_t n, struct gc_cycle_stats *s);
#define GC_HISTORY 64
uint64_t gc_cycles(void);
/* fn is called by the collecting task at the end of every cycle (before its
 * sweep), for benchmarks that need every cycle's figures, not only the last
 * GC_HISTORY.  One observer at a time; NULL removes it.  fn must not block. */
void gc_set_cycle_observer(void (*fn)(const struct gc_cycle_stats *s));
void gc_print_cycle(const struct gc_cycle_stats *s);
void gc_print_stats(void);
/* Median and maximum of each pause and each of its steps over n cycles. */
void gc_print_pauses(const struct gc_cycle_stats *s, size_t n);

/* Heap figures. */
struct gc_heap_stats {
	uint64_t capacity, live_bytes, live_objects, pages_free;
};
void gc_heap_stats(struct gc_heap_stats *s);

/* Is p inside an allocated object of the collected heap? */
bool gc_is_live(const void *p);

/* Tests: pretend the heap has only this many bytes (0: all of it). */
void gc_set_heap_limit(uint64_t bytes);

/* Is a cycle marking now? */
bool gc_marking(void);
/* Block until the collector is in its concurrent mark phase (tests, demo). */
void gc_wait_marking(void);

/* gc=racy: report a nil task and carry on instead of dying (demos, tests).
 * gc_take_caught_nil returns how many were caught since the last call and
 * starts the count again. */
void gc_set_catch_nil(bool on);
uint64_t gc_take_caught_nil(void);

/* What gc_set_catch_nil(true) has caught. */
struct gc_nil_report {
	bool catching; /* gc_set_catch_nil(true) is in force */
	uint64_t caught; /* nil tasks read since the last gc_take_caught_nil */
	/* the first of them (or of the ones before, if caught is 0): */
	size_t index; /* its index in the task slice */
	uint64_t cycle; /* the cycle that read it */
	int cpu; /* the core that read it */
};
void gc_get_nil_report(struct gc_nil_report *r);

#endif
