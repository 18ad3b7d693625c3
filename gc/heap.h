/*
 * heap.h — the collector's heap: spans of pages, size classes, and one bit
 * per object for "allocated", "marked" and "holds no pointers".
 *
 * The heap is one region of RAM (taken from the page allocator at boot).  Its
 * first pages hold the metadata (span structs, the page-to-span map, the
 * bitmaps); the rest, the arena, is handed out in 4 KiB pages:
 *
 *   - a small object (up to HEAP_SMALL_MAX bytes) lives in a span of
 *     SPAN_SMALL_PAGES pages cut into equal slots of its size class;
 *   - a large object gets a span of its own, a run of whole pages.
 *
 * Every page of the arena has 256 bits in each of three bitmaps (one bit per
 * 16 bytes, the smallest class), so a small span of 4 pages has 1024 bits of
 * each: object i of the span is bit i.  A large object is bit 0 of its span.
 *
 *   alloc   the slot holds an object            (set by heap_alloc, cleared by sweep)
 *   mark    the object was reached this cycle   (set by the marker, or at allocation
 *                                                while marking: "allocated black")
 *   noscan  the object holds no pointers        (set by heap_alloc)
 *
 * Sweeping is lazy and per span (Go's sweepgen, simplified): heap.cycle
 * counts mark terminations, and a span whose `swept` is behind it still holds
 * last cycle's marks.  Whoever next allocates from it, or the background
 * sweeper, sweeps it first: unmarked objects are freed, marks are cleared.
 * A span left with no object goes back to the page pool.
 *
 * Locking: one lock (heap.lock) guards spans, pages and the alloc bits for
 * writers.  The marker reads the page map and the alloc bits without it, and
 * sets mark bits with atomic OR: during marking spans are only ever created
 * (sweeping, which frees them, never overlaps marking), and a span is fully
 * set up before the map points at it (release/acquire on the map entry).
 *
 * This file knows nothing about tasks or cores, so the host tests use it as is.
 */
#ifndef GC_HEAP_H
#define GC_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/spinlock.h"

#define HEAP_PAGE	 4096u
#define HEAP_PAGE_SHIFT	 12
#define HEAP_GRAIN	 16u /* smallest object, and the alignment of every object */
#define HEAP_SMALL_MAX	 2048u /* larger objects get their own span */
#define SPAN_SMALL_PAGES 4u
#define BITS_PER_PAGE	 (HEAP_PAGE / HEAP_GRAIN) /* 256 */
#define WORDS_PER_PAGE	 (BITS_PER_PAGE / 64) /* 4 */
#define HEAP_NCLASSES	 14
#define HEAP_POISON_BYTE 0xa5 /* freed memory, when poisoning is on */
#define HEAP_POISON_WORD 0xa5a5a5a5a5a5a5a5ULL

/* Flags for heap_alloc (and gc_alloc). */
#define GC_NOSCAN 1u /* the object holds no pointers: the marker does not look inside */

struct span {
	uintptr_t base; /* first byte */
	uint32_t npages;
	uint32_t first_page; /* index of base in the arena */
	uint32_t elemsize; /* object size; npages * HEAP_PAGE for a large object */
	uint32_t nelems; /* objects it can hold (1 for a large object) */
	uint32_t nalloc; /* objects allocated now */
	uint32_t hint; /* a free slot is at or after this index, if any */
	int sizeclass; /* index in heap_class_size[], -1 for a large object */
	uint64_t swept; /* the heap.cycle this span was last swept for */
	struct span *next; /* in its class's list, the large list, or the free pool */
};

/* What a sweep freed, added up. */
struct sweep_result {
	uint64_t objects, bytes;
	uint64_t spans_released; /* spans that became empty: their pages are free again */
};

struct heap {
	struct spinlock lock;
	uintptr_t region, region_end; /* everything, metadata included */
	uintptr_t arena, arena_end; /* object pages: [arena, arena_end) */
	uint32_t npages; /* pages in the arena */
	uint32_t page_limit; /* pages that may be in use (tests lower it) */
	uint32_t pages_used;
	uint32_t page_hint; /* first-fit search starts here */
	uint64_t *page_used; /* 1 bit per arena page */
	struct span **page_span; /* arena page -> its span, NULL if free */
	uint64_t *alloc_bits, *mark_bits, *noscan_bits; /* WORDS_PER_PAGE per page */
	struct span *spans; /* the span structs, one per arena page at most */
	struct span *free_spans; /* unused span structs */
	struct span *classes[HEAP_NCLASSES]; /* spans of each class */
	struct span *cursor[HEAP_NCLASSES]; /* where the last free slot of each class was */
	struct span *large; /* large-object spans */
	uint32_t sweep_next; /* heap_sweep_one resumes at this span struct */
	uint64_t cycle; /* mark terminations so far: spans with swept < cycle are unswept */
	bool marking; /* allocate black */
	uint64_t black_bytes; /* bytes allocated black since heap_begin_mark */
	bool poison; /* fill freed objects with HEAP_POISON_BYTE and check at allocation */
	uint64_t live_bytes, live_objects; /* allocated now (freed ones subtracted at sweep) */
	uint64_t freed_objects, freed_bytes; /* by every sweep since boot */
	uint64_t poison_errors; /* freed objects found written to (see heap_alloc) */
	uintptr_t poison_bad_obj; /* the last one */
	uint32_t poison_bad_off;
};

extern const uint32_t heap_class_size[HEAP_NCLASSES];

/*
 * A per-core allocation cache (gc/cache.c): free slots of one 64-slot word
 * of a span, taken from the heap at once and handed out one by one without
 * the lock.  The slots of mask are allocated, zeroed and counted live; slot
 * i of the word is at base + i * size.
 */
struct heap_cache {
	uint64_t mask; /* slots not handed out yet */
	uintptr_t base; /* the word's first slot */
	uint64_t size; /* bytes per slot */
	uint64_t bit; /* the word's first slot's bit in the bitmaps */
};

/* Set up a heap in [base, base + size) (page aligned).  Returns 0, or -1 if
 * the region is too small to hold its own metadata and one span. */
int heap_init(struct heap *h, uintptr_t base, size_t size);

/* A zeroed object of at least size bytes, or 0 if no page is left. */
uintptr_t heap_alloc(struct heap *h, size_t size, unsigned flags);
/* Fill an empty cache with every free slot of one word of a span of class c
 * (allocated as heap_alloc would, black while marking).  false if the heap
 * has no room. */
bool heap_refill(struct heap *h, int c, unsigned flags, struct heap_cache *k);
/* Mark k's slots black (between heap_begin_mark and the restart of the
 * world): a slot handed out while marking must be black. */
void heap_keep_cached(struct heap *h, const struct heap_cache *k);

/* The object containing addr (interior pointers count), or 0 if addr is not
 * inside an allocated object.  Lock-free: safe while others allocate. */
uintptr_t heap_find(struct heap *h, uintptr_t addr, size_t *size, bool *noscan);

/* Set the mark bit of the object at obj (as returned by heap_find).
 * Returns true if this call marked it (it was white), false if it was
 * already marked.  Atomic: many markers may race. */
bool heap_mark(struct heap *h, uintptr_t obj);
bool heap_is_marked(struct heap *h, uintptr_t obj);

/* Marking starts: allocate black from now on, and count those bytes in
 * black_bytes (from 0).  Bytes marked in all at mark termination are
 * black_bytes plus the sizes of the objects for which heap_mark returned
 * true: heap_alloc counts a black object only if its mark bit was still
 * clear, so an object that a marker (through a stale pointer) marked first
 * is counted once, by that marker. */
void heap_begin_mark(struct heap *h);
/* Mark termination: every span becomes unswept (world stopped). */
void heap_finish_mark(struct heap *h);
/* Sweep one unswept span, if any is left; false when all are swept. */
bool heap_sweep_one(struct heap *h, struct sweep_result *r);
/* Sweep everything still unswept. */
void heap_sweep_all(struct heap *h, struct sweep_result *r);

/* Visit every allocated object (world stopped or heap quiet). */
void heap_for_each_object(struct heap *h,
			  void (*fn)(uintptr_t obj, size_t size, bool marked, bool noscan,
				     void *arg),
			  void *arg);

/* Mark bits set now (all should be clear between a sweep and the next mark);
 * *first gets the first such object. */
uint64_t heap_stale_marks(struct heap *h, uintptr_t *first);
/* Bytes of marked objects (after mark termination, before sweeping). */
uint64_t heap_marked_bytes(struct heap *h);
/* Usable bytes: the arena under the current page limit. */
uint64_t heap_capacity(struct heap *h);
uint64_t heap_pages_free(struct heap *h);
/* Lower (or restore) the number of arena pages the heap may use; pages
 * already in use stay.  0 means all of them. */
void heap_set_page_limit(struct heap *h, uint32_t pages);
/* Turn poisoning of freed memory on or off (on: every free slot is filled now). */
void heap_set_poison(struct heap *h, bool on);
/* The size class for a small size, -1 for a large one. */
int heap_size_class(size_t size);

#endif
