/*
 * test_heap.c — gc/heap.c: the collector's heap (spans, size classes, bitmaps).
 *
 * gc/heap.c is compiled unchanged against the counting no-op spinlock in
 * tests/host/shim/, single-threaded, on a region from aligned_alloc (page
 * aligned; dirtied first, so zeroing is really checked).  After every call the
 * tests check that no lock is left held.  Covered:
 *
 *   - heap_init: the layout (arena page aligned, inside the region, after the
 *     metadata), and a region too small for its metadata and one span refused;
 *     a minimal heap holding exactly one span's objects, then out of memory;
 *   - heap_size_class at every boundary; heap_alloc for every class (both ends
 *     of its range) and for large sizes: zeroed, 16-byte aligned memory inside
 *     [arena, arena_end), large objects page aligned, nothing overlapping; a
 *     reused slot zeroed again; sizes larger than the arena refused;
 *   - heap_find on the start, interior, last byte and one-past-the-end of small
 *     and large objects, on never-allocated and freed slots, below and above
 *     the arena, on free pages and in the unused tail of a span; GC_NOSCAN as
 *     heap_find reports it, cleared (or set) when a slot is reused;
 *   - heap_mark (true once, then false), heap_is_marked, heap_marked_bytes,
 *     heap_stale_marks; heap_finish_mark + sweeping freeing exactly the
 *     unmarked objects (counters and sweep_result), keeping and unmarking the
 *     marked ones (a second cycle frees them); empty spans and large objects
 *     giving their pages back, and those pages reused; heap_sweep_one once per
 *     unswept span, then false; lazy sweeping by allocation; the first-fit
 *     page search wrapping round its hint (a hole behind it, one ending at
 *     it), a class's span search wrapping round its cursor (no new span while
 *     an older one has a free slot); the whole heap filled, then out of memory;
 *   - black allocation (h->marking); heap_set_page_limit: out of memory without
 *     damage, and recovery when the limit is lifted;
 *   - poisoning: a write to a freed slot, at any offset, reported (object and
 *     offset) when the slot is handed out again, no report without one, free
 *     slots filled when poisoning is turned on, freed spans and large objects
 *     poisoned;
 *   - heap_for_each_object: exactly the allocated objects, with their flags;
 *   - a randomized run (fixed seed): thousands of allocate / mark / sweep
 *     rounds against a shadow model of the live objects (no overlap, contents
 *     intact, heap_find and the counters agreeing), with black allocation,
 *     lazy sweeping, page limits and poisoning mixed in; it checks that it
 *     did go through each of those.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gc/heap.h"
#include "tests/host/hosttest.h"

int shim_locks_held; /* declared in shim/kernel/arch/spinlock.h */

#define MIB	   (1024u * 1024u)
#define SPAN_BYTES (SPAN_SMALL_PAGES * HEAP_PAGE)
#define DIRT	   0xee /* what the region holds before heap_init */

/* ---- fixtures: a heap in its own aligned_alloc'd region ---- */

struct fx {
	struct heap h;
	void *mem;
	size_t size;
};

static void check_layout(struct fx *f)
{
	struct heap *h = &f->h;
	assert_int_equal(h->region, (uintptr_t)f->mem);
	assert_int_equal(h->region_end, (uintptr_t)f->mem + f->size);
	assert_int_equal(h->arena % HEAP_PAGE, 0);
	assert_true(h->arena > h->region); /* the metadata comes first */
	assert_true(h->npages >= SPAN_SMALL_PAGES);
	assert_int_equal(h->arena_end, h->arena + (uintptr_t)h->npages * HEAP_PAGE);
	assert_true(h->arena_end <= h->region_end);
	/* The metadata ends before the arena starts. */
	assert_true((uintptr_t)(h->spans + h->npages) <= h->arena);
	assert_int_equal(h->page_limit, h->npages);
	assert_int_equal(h->pages_used, 0);
	assert_int_equal(heap_pages_free(h), h->npages);
	assert_int_equal(heap_capacity(h), (uint64_t)h->npages * HEAP_PAGE);
	assert_int_equal(h->live_objects, 0);
	assert_int_equal(h->live_bytes, 0);
	assert_false(h->marking);
	assert_false(h->poison);
	assert_int_equal(shim_locks_held, 0);
}

static struct fx *fx_new(size_t size)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->mem = aligned_alloc(HEAP_PAGE, size);
	assert_non_null(f->mem);
	f->size = size;
	memset(f->mem, DIRT, size);
	assert_int_equal(heap_init(&f->h, (uintptr_t)f->mem, size), 0);
	assert_int_equal(shim_locks_held, 0);
	check_layout(f);
	return f;
}

static void fx_free(struct fx *f)
{
	free(f->mem);
	free(f);
}

static int setup_4m(void **state)
{
	*state = fx_new(4 * MIB);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static struct heap *H(void **state)
{
	return &((struct fx *)*state)->h;
}

/* ---- helpers ---- */

/* The size heap_alloc(req) must give. */
static size_t expect_size(size_t req)
{
	if (req == 0)
		req = 1;
	int c = heap_size_class(req);
	return c >= 0 ? heap_class_size[c] : (req + HEAP_PAGE - 1) / HEAP_PAGE * HEAP_PAGE;
}

static bool all_bytes(uintptr_t p, size_t n, uint8_t v)
{
	const uint8_t *b = (const uint8_t *)p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* What every freshly allocated object must look like. */
static void check_new(struct heap *h, uintptr_t p, size_t req, unsigned flags)
{
	size_t es = expect_size(req);
	assert_true(p != 0);
	assert_int_equal(p % HEAP_GRAIN, 0);
	assert_true(p >= h->arena);
	assert_true(p + es <= h->arena_end);
	if (es > HEAP_SMALL_MAX)
		assert_int_equal(p % HEAP_PAGE, 0);
	assert_true(all_bytes(p, es, 0));
	size_t sz = 0;
	bool ns = !(flags & GC_NOSCAN);
	assert_int_equal(heap_find(h, p, &sz, &ns), p);
	assert_int_equal(sz, es);
	assert_int_equal(ns, !!(flags & GC_NOSCAN));
	assert_int_equal(heap_find(h, p + es - 1, NULL, NULL), p);
	assert_int_equal(heap_is_marked(h, p), h->marking);
}

static uintptr_t alloc_ok(struct heap *h, size_t req, unsigned flags)
{
	uint64_t objs = h->live_objects, bytes = h->live_bytes;
	uint64_t freed = h->freed_objects, freed_bytes = h->freed_bytes;
	uintptr_t p = heap_alloc(h, req, flags);
	assert_int_equal(shim_locks_held, 0);
	if (!p)
		fail_msg("heap_alloc(%zu) failed with %u of %u pages used", req, h->pages_used,
			 h->npages);
	check_new(h, p, req, flags);
	/* one more, less what a lazy sweep on the way freed */
	assert_int_equal(h->live_objects, objs + 1 - (h->freed_objects - freed));
	assert_int_equal(h->live_bytes, bytes + expect_size(req) - (h->freed_bytes - freed_bytes));
	return p;
}

/* heap_alloc must fail and change nothing. */
static void alloc_fails(struct heap *h, size_t req)
{
	uint64_t objs = h->live_objects, bytes = h->live_bytes;
	uint32_t used = h->pages_used;
	assert_int_equal(heap_alloc(h, req, 0), 0);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(h->live_objects, objs);
	assert_int_equal(h->live_bytes, bytes);
	assert_int_equal(h->pages_used, used);
}

static void mark_ok(struct heap *h, uintptr_t p)
{
	assert_false(heap_is_marked(h, p));
	assert_true(heap_mark(h, p));
	assert_true(heap_is_marked(h, p));
	assert_false(heap_mark(h, p));
	assert_true(heap_is_marked(h, p));
}

/* End the mark phase and sweep everything; r gets what was freed. */
static void collect(struct heap *h, struct sweep_result *r)
{
	struct sweep_result tmp;
	if (!r)
		r = &tmp;
	memset(r, 0, sizeof *r);
	uint64_t cycle = h->cycle;
	heap_finish_mark(h);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(h->cycle, cycle + 1);
	assert_false(h->marking);
	heap_sweep_all(h, r);
	assert_int_equal(shim_locks_held, 0);
	assert_false(heap_sweep_one(h, NULL));
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(heap_stale_marks(h, NULL), 0);
}

static uint64_t pages_free(struct heap *h)
{
	uint64_t n = heap_pages_free(h);
	assert_int_equal(shim_locks_held, 0);
	return n;
}

/* ---- heap_for_each_object, collected ---- */

struct visit {
	uintptr_t obj;
	size_t size;
	bool marked, noscan;
};

struct visits {
	struct visit v[4096];
	size_t n;
};

static void record_visit(uintptr_t obj, size_t size, bool marked, bool noscan, void *arg)
{
	struct visits *vs = arg;
	assert_true(vs->n < sizeof vs->v / sizeof vs->v[0]);
	vs->v[vs->n++] = (struct visit){obj, size, marked, noscan};
}

static struct visits *visit_all(struct heap *h)
{
	static struct visits vs;
	vs.n = 0;
	heap_for_each_object(h, record_visit, &vs);
	assert_int_equal(shim_locks_held, 0);
	return &vs;
}

static const struct visit *find_visit(const struct visits *vs, uintptr_t obj)
{
	const struct visit *found = NULL;
	for (size_t i = 0; i < vs->n; i++) {
		if (vs->v[i].obj == obj) {
			assert_null(found); /* visited once */
			found = &vs->v[i];
		}
	}
	return found;
}

/* ---- set-up ---- */

static void test_init_too_small(void **state)
{
	(void)state;
	struct heap h;
	/* Up to one span's pages plus a page of metadata, less one byte: not
	 * enough for the metadata and one span.  Buffers of exactly that size
	 * (rounded up to a page), so ASan catches a write past the end. */
	static const size_t sizes[] = {
	    0, 1, HEAP_PAGE, 2 * HEAP_PAGE, SPAN_BYTES, SPAN_BYTES + 1, SPAN_BYTES + HEAP_PAGE - 1};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n =
		    sizes[i] ? (sizes[i] + HEAP_PAGE - 1) / HEAP_PAGE * HEAP_PAGE : HEAP_PAGE;
		void *mem = aligned_alloc(HEAP_PAGE, n);
		assert_non_null(mem);
		memset(mem, DIRT, n);
		memset(&h, DIRT, sizeof h);
		assert_int_equal(heap_init(&h, (uintptr_t)mem, sizes[i]), -1);
		assert_int_equal(shim_locks_held, 0);
		free(mem);
	}
}

/* The smallest heap that works: one page of metadata, one span. */
static void test_init_tiny(void **state)
{
	(void)state;
	struct fx *f = fx_new(SPAN_BYTES + HEAP_PAGE);
	struct heap *h = &f->h;
	assert_int_equal(h->npages, SPAN_SMALL_PAGES);
	assert_int_equal(h->arena, h->region + HEAP_PAGE);
	assert_int_equal(h->arena_end, h->region_end);

	/* Room for exactly one span: all its 16-byte slots, then nothing. */
	uintptr_t first = alloc_ok(h, 16, 0);
	assert_int_equal(first, h->arena);
	for (uint32_t i = 1; i < SPAN_BYTES / 16; i++)
		assert_int_equal(alloc_ok(h, 16, 0), first + i * 16);
	assert_int_equal(pages_free(h), 0);
	alloc_fails(h, 16);
	alloc_fails(h, 32); /* another class needs another span */
	alloc_fails(h, HEAP_PAGE); /* a large object needs pages */
	assert_int_equal(h->live_objects, SPAN_BYTES / 16);

	/* Everything dies: the pages come back, and a large object now fits. */
	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.objects, SPAN_BYTES / 16);
	assert_int_equal(r.bytes, SPAN_BYTES);
	assert_int_equal(r.spans_released, 1);
	assert_int_equal(pages_free(h), SPAN_SMALL_PAGES);
	uintptr_t big = alloc_ok(h, SPAN_BYTES, 0);
	assert_int_equal(big, h->arena);
	alloc_fails(h, 1);
	alloc_fails(h, SPAN_BYTES + 1); /* bigger than the arena */
	fx_free(f);
}

/* ---- size classes and allocation ---- */

static void test_size_class(void **state)
{
	(void)state;
	assert_int_equal(heap_class_size[0], HEAP_GRAIN);
	assert_int_equal(heap_class_size[HEAP_NCLASSES - 1], HEAP_SMALL_MAX);
	assert_int_equal(heap_size_class(0), 0);
	assert_int_equal(heap_size_class(1), 0);
	for (int c = 0; c < HEAP_NCLASSES; c++) {
		uint32_t s = heap_class_size[c];
		assert_int_equal(s % HEAP_GRAIN, 0);
		if (c > 0) {
			assert_true(s > heap_class_size[c - 1]);
			assert_int_equal(heap_size_class(heap_class_size[c - 1] + 1), c);
		}
		assert_int_equal(heap_size_class(s - 1), c);
		assert_int_equal(heap_size_class(s), c);
		assert_int_equal(heap_size_class(s + 1), c + 1 < HEAP_NCLASSES ? c + 1 : -1);
	}
	assert_int_equal(heap_size_class(HEAP_SMALL_MAX + 1), -1);
	assert_int_equal(heap_size_class(HEAP_PAGE), -1);
	assert_int_equal(heap_size_class(SIZE_MAX), -1);
}

static bool overlap(uintptr_t a, size_t an, uintptr_t b, size_t bn)
{
	return a < b + bn && b < a + an;
}

static void test_alloc_every_class(void **state)
{
	struct heap *h = H(state);
	uintptr_t objs[3 * HEAP_NCLASSES * 2 + 16];
	size_t sizes[sizeof objs / sizeof objs[0]];
	size_t n = 0;
	uint64_t bytes = 0;

	for (int c = 0; c < HEAP_NCLASSES; c++) {
		size_t lo = c == 0 ? 1 : heap_class_size[c - 1] + 1;
		size_t reqs[] = {lo, (lo + heap_class_size[c]) / 2, heap_class_size[c]};
		for (size_t k = 0; k < 3; k++) {
			for (unsigned flags = 0; flags <= GC_NOSCAN; flags += GC_NOSCAN) {
				uintptr_t p = alloc_ok(h, reqs[k], flags);
				assert_int_equal(expect_size(reqs[k]), heap_class_size[c]);
				objs[n] = p;
				sizes[n++] = heap_class_size[c];
				bytes += heap_class_size[c];
			}
		}
	}
	static const size_t large[] = {HEAP_SMALL_MAX + 1, HEAP_PAGE - 1, HEAP_PAGE,
				       HEAP_PAGE + 1,	   3 * HEAP_PAGE, 100000};
	for (size_t k = 0; k < sizeof large / sizeof large[0]; k++) {
		uintptr_t p = alloc_ok(h, large[k], k & 1 ? GC_NOSCAN : 0);
		objs[n] = p;
		sizes[n++] = expect_size(large[k]);
		bytes += expect_size(large[k]);
	}
	assert_int_equal(expect_size(100000), 25 * HEAP_PAGE);
	/* size 0 gets the smallest object */
	uintptr_t z = alloc_ok(h, 0, 0);
	objs[n] = z;
	sizes[n++] = HEAP_GRAIN;
	bytes += HEAP_GRAIN;

	assert_int_equal(h->live_objects, n);
	assert_int_equal(h->live_bytes, bytes);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_false(overlap(objs[i], sizes[i], objs[j], sizes[j]));

	/* Larger than the whole arena: refused up front. */
	alloc_fails(h, (size_t)h->npages * HEAP_PAGE + 1);
	alloc_fails(h, SIZE_MAX);
	alloc_fails(h, SIZE_MAX - HEAP_PAGE + 2);
	/* 2^32 + 1 pages: must not wrap to a one-page object. */
	alloc_fails(h, (((size_t)1 << 32) + 1) * HEAP_PAGE);
	alloc_fails(h, ((size_t)1 << 32) * HEAP_PAGE);
}

/* A slot handed out again is zeroed again, whatever its last owner wrote. */
static void test_reuse_zeroed(void **state)
{
	struct heap *h = H(state);
	uintptr_t keep = alloc_ok(h, 200, 0);
	uintptr_t a = alloc_ok(h, 200, 0);
	uintptr_t big = alloc_ok(h, 3 * HEAP_PAGE, 0);
	memset((void *)keep, 0x11, 256);
	memset((void *)a, 0xff, 256);
	memset((void *)big, 0xff, 3 * HEAP_PAGE);
	mark_ok(h, keep);
	collect(h, NULL);
	assert_int_equal(heap_find(h, a, NULL, NULL), 0);
	assert_int_equal(heap_find(h, big, NULL, NULL), 0);
	assert_int_equal(alloc_ok(h, 256, 0), a); /* the lowest free slot */
	assert_int_equal(alloc_ok(h, 3 * HEAP_PAGE, 0), big); /* first fit */
	assert_true(all_bytes(keep, 256, 0x11));
}

/* ---- heap_find ---- */

static void test_find_small(void **state)
{
	struct heap *h = H(state);
	/* 48 does not divide a span: 341 slots, then a 16-byte tail. */
	const uint32_t es = 48, nelems = SPAN_BYTES / 48;
	assert_int_equal(nelems * es + 16, SPAN_BYTES);
	uintptr_t base = alloc_ok(h, es, 0);
	assert_int_equal(base, h->arena); /* a fresh heap starts at page 0 */

	size_t sz = 0;
	bool ns = true;
	assert_int_equal(heap_find(h, base, &sz, &ns), base);
	assert_int_equal(sz, es);
	assert_false(ns);
	for (uint32_t off = 0; off < es; off++)
		assert_int_equal(heap_find(h, base + off, NULL, NULL), base);
	/* One past the end: the next slot, not allocated yet. */
	assert_int_equal(heap_find(h, base + es, NULL, NULL), 0);
	assert_int_equal(heap_find(h, base + 5 * es + 7, NULL, NULL), 0);

	/* Fill the span: slots come in order. */
	for (uint32_t i = 1; i < nelems; i++)
		assert_int_equal(alloc_ok(h, es, i % 3 == 0 ? GC_NOSCAN : 0), base + i * es);
	assert_int_equal(heap_find(h, base + es, NULL, NULL), base + es);
	for (uint32_t i = 0; i < nelems; i++) {
		assert_int_equal(heap_find(h, base + i * es + es / 2, &sz, &ns), base + i * es);
		assert_int_equal(ns, i % 3 == 0 && i > 0);
	}
	uintptr_t last = base + (nelems - 1) * es;
	assert_int_equal(heap_find(h, last + es - 1, NULL, NULL), last);
	/* The tail no object covers. */
	for (uintptr_t t = base + nelems * es; t < base + SPAN_BYTES; t++)
		assert_int_equal(heap_find(h, t, &sz, &ns), 0);

	/* The next object opens a new span right after. */
	uintptr_t next = alloc_ok(h, es, 0);
	assert_int_equal(next, base + SPAN_BYTES);
	assert_int_equal(heap_find(h, base + SPAN_BYTES, NULL, NULL), next);

	/* Outside the arena, and free pages inside it. */
	assert_int_equal(heap_find(h, 0, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->region, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->arena - 1, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->arena - HEAP_PAGE, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->arena_end, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->arena_end + 12345, NULL, NULL), 0);
	assert_int_equal(heap_find(h, UINTPTR_MAX, NULL, NULL), 0);
	assert_int_equal(heap_find(h, h->arena_end - 1, NULL, NULL), 0);
	assert_int_equal(heap_find(h, base + 3 * SPAN_BYTES, NULL, NULL), 0);

	/* A freed slot is not found; its neighbours still are. */
	for (uint32_t i = 0; i < nelems; i++)
		if (i != 7)
			assert_true(heap_mark(h, base + i * es));
	assert_true(heap_mark(h, next));
	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.bytes, es);
	assert_int_equal(heap_find(h, base + 7 * es, NULL, NULL), 0);
	assert_int_equal(heap_find(h, base + 8 * es - 1, NULL, NULL), 0);
	assert_int_equal(heap_find(h, base + 6 * es + 1, NULL, NULL), base + 6 * es);
	assert_int_equal(heap_find(h, base + 8 * es, NULL, NULL), base + 8 * es);
}

static void test_find_large(void **state)
{
	struct heap *h = H(state);
	uintptr_t small = alloc_ok(h, 16, 0);
	uintptr_t big = alloc_ok(h, 2 * HEAP_PAGE + 1, GC_NOSCAN); /* 3 pages */
	assert_int_equal(big, small + SPAN_BYTES);
	size_t sz = 0;
	bool ns = false;
	for (uintptr_t off = 0; off < 3 * HEAP_PAGE; off += 511) {
		assert_int_equal(heap_find(h, big + off, &sz, &ns), big);
		assert_int_equal(sz, 3 * HEAP_PAGE);
		assert_true(ns);
	}
	assert_int_equal(heap_find(h, big + 3 * HEAP_PAGE - 1, NULL, NULL), big);
	assert_int_equal(heap_find(h, big + 3 * HEAP_PAGE, NULL, NULL), 0); /* a free page */
	assert_int_equal(heap_find(h, big - 1, NULL, NULL), 0); /* the small span's last slot */
	uintptr_t after = alloc_ok(h, HEAP_PAGE, 0);
	assert_int_equal(after, big + 3 * HEAP_PAGE);
	assert_int_equal(heap_find(h, big + 3 * HEAP_PAGE, &sz, &ns), after);
	assert_int_equal(sz, HEAP_PAGE);
	assert_false(ns);
}

/* GC_NOSCAN belongs to the object, not to the slot. */
static void test_noscan_reuse(void **state)
{
	struct heap *h = H(state);
	uintptr_t keep = alloc_ok(h, 64, 0);
	uintptr_t a = alloc_ok(h, 64, GC_NOSCAN);
	uintptr_t b = alloc_ok(h, 64, 0);
	bool ns = false;
	assert_int_equal(heap_find(h, a + 10, NULL, &ns), a);
	assert_true(ns);
	assert_int_equal(heap_find(h, b, NULL, &ns), b);
	assert_false(ns);

	mark_ok(h, keep);
	collect(h, NULL);
	/* a's slot (the lowest free) goes to a scanning object, b's to a noscan one. */
	assert_int_equal(alloc_ok(h, 64, 0), a);
	assert_int_equal(heap_find(h, a, NULL, &ns), a);
	assert_false(ns);
	assert_int_equal(alloc_ok(h, 64, GC_NOSCAN), b);
	assert_int_equal(heap_find(h, b, NULL, &ns), b);
	assert_true(ns);

	/* The same for a large object whose pages are reused. */
	uintptr_t big = alloc_ok(h, 5000, GC_NOSCAN);
	mark_ok(h, keep);
	mark_ok(h, a);
	mark_ok(h, b);
	collect(h, NULL);
	assert_int_equal(alloc_ok(h, 5000, 0), big);
	assert_int_equal(heap_find(h, big + 4097, NULL, &ns), big);
	assert_false(ns);
}

/* ---- marking and sweeping ---- */

static void test_mark(void **state)
{
	struct heap *h = H(state);
	uintptr_t a = alloc_ok(h, 32, 0), b = alloc_ok(h, 32, 0), c = alloc_ok(h, 32, 0);
	uintptr_t big = alloc_ok(h, 10000, 0);
	assert_int_equal(heap_marked_bytes(h), 0);
	assert_int_equal(heap_stale_marks(h, NULL), 0);
	mark_ok(h, b);
	assert_false(heap_is_marked(h, a)); /* the neighbours stay white */
	assert_false(heap_is_marked(h, c));
	assert_false(heap_is_marked(h, big));
	assert_int_equal(heap_marked_bytes(h), 32);
	mark_ok(h, big);
	assert_int_equal(heap_marked_bytes(h), 32 + 3 * HEAP_PAGE);
	assert_int_equal(shim_locks_held, 0);

	uintptr_t first = 0;
	assert_int_equal(heap_stale_marks(h, &first), 2);
	assert_int_equal(first, b); /* the small span comes first */
	mark_ok(h, a);
	assert_int_equal(heap_stale_marks(h, &first), 3);
	assert_int_equal(first, a);
	assert_int_equal(heap_marked_bytes(h), 64 + 3 * HEAP_PAGE);

	struct sweep_result r;
	collect(h, &r); /* checks that no mark is left */
	assert_int_equal(r.objects, 1); /* c */
	assert_int_equal(heap_marked_bytes(h), 0);
	assert_false(heap_is_marked(h, a));
	assert_false(heap_is_marked(h, big));
	/* White again: the next cycle marks them afresh. */
	assert_true(heap_mark(h, a));
	assert_true(heap_mark(h, big));
}

static void test_sweep_frees_unmarked(void **state)
{
	struct heap *h = H(state);
	enum { N = 600 };
	static uintptr_t objs[N];
	static size_t sizes[N];
	uint64_t live_bytes = 0, dead_bytes = 0, dead = 0;
	uint32_t seed = 12345;
	for (int i = 0; i < N; i++) {
		size_t req =
		    i % 50 == 49 ? 3000 + ht_rand(&seed) % 20000 : 1 + ht_rand(&seed) % 700;
		objs[i] = alloc_ok(h, req, i % 4 == 1 ? GC_NOSCAN : 0);
		sizes[i] = expect_size(req);
		memset((void *)objs[i], (uint8_t)i | 1, sizes[i]);
	}
	assert_int_equal(h->live_objects, N);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			mark_ok(h, objs[i]);
			live_bytes += sizes[i];
		} else {
			dead++;
			dead_bytes += sizes[i];
		}
	}
	assert_int_equal(heap_marked_bytes(h), live_bytes);
	uint64_t freed_objects = h->freed_objects, freed_bytes = h->freed_bytes;

	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.objects, dead);
	assert_int_equal(r.bytes, dead_bytes);
	assert_int_equal(h->freed_objects, freed_objects + dead);
	assert_int_equal(h->freed_bytes, freed_bytes + dead_bytes);
	assert_int_equal(h->live_objects, N - dead);
	assert_int_equal(h->live_bytes, live_bytes);
	for (int i = 0; i < N; i++) {
		size_t sz = 0;
		bool ns = i % 4 != 1;
		if (i % 3 == 0) {
			assert_int_equal(heap_find(h, objs[i] + sizes[i] / 2, &sz, &ns), objs[i]);
			assert_int_equal(sz, sizes[i]);
			assert_int_equal(ns, i % 4 == 1);
			assert_false(heap_is_marked(h, objs[i]));
			assert_true(all_bytes(objs[i], sizes[i], (uint8_t)i | 1));
		} else {
			assert_int_equal(heap_find(h, objs[i], NULL, NULL), 0);
			assert_int_equal(heap_find(h, objs[i] + sizes[i] - 1, NULL, NULL), 0);
		}
	}

	/* A second cycle with no marks frees the rest, and every page. */
	collect(h, &r);
	assert_int_equal(r.objects, N - dead);
	assert_int_equal(r.bytes, live_bytes);
	assert_int_equal(h->live_objects, 0);
	assert_int_equal(h->live_bytes, 0);
	assert_int_equal(h->freed_objects, freed_objects + N);
	assert_int_equal(h->pages_used, 0);
	assert_int_equal(pages_free(h), h->npages);
	for (int i = 0; i < N; i++)
		assert_int_equal(heap_find(h, objs[i], NULL, NULL), 0);
	assert_int_equal(visit_all(h)->n, 0);
	/* And a third finds nothing to do. */
	collect(h, &r);
	assert_int_equal(r.objects, 0);
	assert_int_equal(r.spans_released, 0);
}

static void test_span_release(void **state)
{
	struct heap *h = H(state);
	uint64_t all = pages_free(h);
	uintptr_t a = alloc_ok(h, 100, 0);
	assert_int_equal(pages_free(h), all - SPAN_SMALL_PAGES);
	uintptr_t b = alloc_ok(h, 100, 0);
	uintptr_t c = alloc_ok(h, 500, 0); /* another class, another span */
	assert_int_equal(pages_free(h), all - 2 * SPAN_SMALL_PAGES);

	/* a's span keeps b: it stays. c's span empties: its pages go back. */
	mark_ok(h, b);
	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.objects, 2);
	assert_int_equal(r.spans_released, 1);
	assert_int_equal(pages_free(h), all - SPAN_SMALL_PAGES);
	assert_int_equal(heap_find(h, a, NULL, NULL), 0);
	assert_int_equal(heap_find(h, c, NULL, NULL), 0);
	assert_int_equal(heap_find(h, b, NULL, NULL), b);

	collect(h, &r);
	assert_int_equal(r.spans_released, 1);
	assert_int_equal(pages_free(h), all);
	/* The pages are handed out again, from the start. */
	assert_int_equal(alloc_ok(h, 1000, 0), h->arena);
}

static void test_large_reuse(void **state)
{
	struct heap *h = H(state);
	uint64_t all = pages_free(h);
	uintptr_t keep = alloc_ok(h, 7 * HEAP_PAGE, 0);
	uintptr_t big = alloc_ok(h, 7 * HEAP_PAGE, 0);
	uintptr_t after = alloc_ok(h, HEAP_PAGE, 0);
	assert_int_equal(big, keep + 7 * HEAP_PAGE);
	assert_int_equal(after, big + 7 * HEAP_PAGE);
	assert_int_equal(pages_free(h), all - 15);

	mark_ok(h, keep);
	mark_ok(h, after);
	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.bytes, 7 * HEAP_PAGE);
	assert_int_equal(r.spans_released, 1);
	assert_int_equal(pages_free(h), all - 8);
	for (uintptr_t p = big; p < big + 7 * HEAP_PAGE; p += HEAP_PAGE / 2)
		assert_int_equal(heap_find(h, p, NULL, NULL), 0);
	assert_int_equal(heap_find(h, keep, NULL, NULL), keep);
	assert_int_equal(heap_find(h, after, NULL, NULL), after);

	/* First fit: the hole is found again, by a large object and by a span;
	 * what is left of it (one page) is too small for two pages. */
	assert_int_equal(alloc_ok(h, 2 * HEAP_PAGE, 0), big);
	assert_int_equal(alloc_ok(h, 16, 0), big + 2 * HEAP_PAGE);
	assert_int_equal(pages_free(h), all - 14);
	uintptr_t two = alloc_ok(h, 2 * HEAP_PAGE, 0);
	assert_true(two > after);
	assert_int_equal(heap_find(h, big + 6 * HEAP_PAGE, NULL, NULL), 0);
	assert_int_equal(pages_free(h), all - 16);
}

/* heap_begin_mark: black allocation from then on, counted in black_bytes
 * from 0; a slot whose mark bit a marker set first (a racing marker that
 * found it through a stale pointer, simulated here by setting the bit) is
 * not counted again, so black_bytes plus what heap_mark marked is exactly
 * the marked bytes. */
static void test_black_bytes(void **state)
{
	struct heap *h = H(state);
	uintptr_t white = alloc_ok(h, 16, 0);
	assert_true(heap_mark(h, white)); /* a marker's: not black */
	h->black_bytes = 12345; /* a leftover: heap_begin_mark clears it */
	heap_begin_mark(h);
	assert_int_equal(shim_locks_held, 0);
	assert_true(h->marking);
	assert_int_equal(h->black_bytes, 0);
	uintptr_t a = alloc_ok(h, 16, 0);
	assert_int_equal(h->black_bytes, 16);
	/* The next 16-byte slot is right after a; in the 16-byte class its
	 * mark bit is its offset in the arena / 16. */
	uint64_t b = (a + 16 - h->arena) / HEAP_GRAIN;
	h->mark_bits[b / 64] |= 1ULL << (b % 64);
	uintptr_t raced = alloc_ok(h, 16, 0);
	assert_int_equal(raced, a + 16);
	assert_true(heap_is_marked(h, raced));
	assert_int_equal(h->black_bytes, 16); /* counted by the marker, not here */
	uintptr_t big = alloc_ok(h, 20000, GC_NOSCAN);
	assert_int_equal(h->black_bytes, 16 + 5 * HEAP_PAGE);
	assert_int_equal(heap_marked_bytes(h), 16 + 16 + 16 + 5 * HEAP_PAGE);
	(void)big;
	struct sweep_result r;
	collect(h, &r);
	assert_false(h->marking);
}

/* Objects allocated while marking are black: this cycle keeps them. */
static void test_black_alloc(void **state)
{
	struct heap *h = H(state);
	uintptr_t white = alloc_ok(h, 64, 0);
	h->marking = true;
	uintptr_t s = alloc_ok(h, 64, 0); /* check_new checks it is marked */
	uintptr_t n = alloc_ok(h, 900, GC_NOSCAN);
	uintptr_t big = alloc_ok(h, 20000, 0);
	assert_false(heap_mark(h, s)); /* already black */
	assert_false(heap_mark(h, big));
	assert_false(heap_is_marked(h, white));
	assert_int_equal(heap_marked_bytes(h), 64 + 1024 + 5 * HEAP_PAGE);

	struct visits *vs = visit_all(h);
	assert_int_equal(vs->n, 4);
	assert_false(find_visit(vs, white)->marked);
	assert_true(find_visit(vs, s)->marked);
	assert_true(find_visit(vs, n)->marked);
	assert_true(find_visit(vs, n)->noscan);
	assert_true(find_visit(vs, big)->marked);

	struct sweep_result r;
	collect(h, &r); /* ends marking */
	assert_int_equal(r.objects, 1);
	assert_int_equal(heap_find(h, white, NULL, NULL), 0);
	assert_int_equal(h->live_objects, 3);
	assert_false(heap_is_marked(h, s));
	assert_false(heap_is_marked(h, big));
	/* Not marking any more: new objects are white and the next cycle
	 * frees everything. */
	uintptr_t w2 = alloc_ok(h, 64, 0);
	assert_false(heap_is_marked(h, w2));
	collect(h, &r);
	assert_int_equal(r.objects, 4);
	assert_int_equal(h->live_objects, 0);
}

static void test_sweep_one(void **state)
{
	struct heap *h = H(state);
	assert_false(heap_sweep_one(h, NULL)); /* nothing unswept in a new heap */
	assert_int_equal(shim_locks_held, 0);

	/* Three small spans (two of them of class 16) and two large ones. */
	uintptr_t first16 = alloc_ok(h, 16, 0);
	for (uint32_t i = 1; i < SPAN_BYTES / 16 + 1; i++)
		alloc_ok(h, 16, 0);
	uintptr_t a = alloc_ok(h, 300, 0);
	uintptr_t b1 = alloc_ok(h, 5000, 0);
	uintptr_t b2 = alloc_ok(h, 9000, 0);
	assert_false(heap_sweep_one(h, NULL)); /* all swept for this cycle */
	mark_ok(h, a);
	mark_ok(h, b2);
	heap_finish_mark(h);
	assert_int_equal(shim_locks_held, 0);

	/* A class with no unswept span gets a new span: swept already. */
	uintptr_t fresh = alloc_ok(h, 2000, 0);
	assert_false(heap_is_marked(h, fresh));

	struct sweep_result r;
	memset(&r, 0, sizeof r);
	int n = 0;
	while (heap_sweep_one(h, &r)) {
		assert_int_equal(shim_locks_held, 0);
		n++;
		assert_true(n <= 5);
	}
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(n, 5); /* not the fresh one */
	assert_false(heap_sweep_one(h, &r));
	assert_int_equal(r.objects, SPAN_BYTES / 16 + 1 + 1);
	assert_int_equal(r.spans_released, 3);
	assert_int_equal(heap_find(h, first16, NULL, NULL), 0);
	assert_int_equal(heap_find(h, b1, NULL, NULL), 0);
	assert_int_equal(heap_find(h, a, NULL, NULL), a);
	assert_int_equal(heap_find(h, b2, NULL, NULL), b2);
	assert_int_equal(heap_find(h, fresh, NULL, NULL), fresh);
	assert_int_equal(h->live_objects, 3);
}

/* Allocating from a class sweeps its unswept spans first. */
static void test_lazy_sweep(void **state)
{
	struct heap *h = H(state);
	uintptr_t keep = alloc_ok(h, 128, 0);
	uintptr_t dead = alloc_ok(h, 128, 0);
	uintptr_t other = alloc_ok(h, 512, 0);
	mark_ok(h, keep);
	heap_finish_mark(h);
	uint64_t freed = h->freed_objects;
	/* Not swept yet: the dead object still looks allocated. */
	assert_int_equal(heap_find(h, dead, NULL, NULL), dead);
	assert_int_equal(heap_find(h, other, NULL, NULL), other);

	/* The allocation sweeps keep's span and takes dead's slot. */
	assert_int_equal(alloc_ok(h, 128, 0), dead);
	assert_int_equal(h->freed_objects, freed + 1);
	assert_false(heap_is_marked(h, keep)); /* its mark was cleared by that sweep */
	assert_int_equal(heap_find(h, other, NULL, NULL), other); /* not its class */

	struct sweep_result r;
	memset(&r, 0, sizeof r);
	heap_sweep_all(h, &r);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(r.objects, 1); /* only other was left */
	assert_int_equal(r.spans_released, 1);
	assert_int_equal(h->freed_objects, freed + 2);
	assert_int_equal(heap_find(h, other, NULL, NULL), 0);
	assert_int_equal(heap_find(h, keep, NULL, NULL), keep);
	assert_int_equal(heap_find(h, dead, NULL, NULL), dead);
	assert_int_equal(h->live_objects, 2);
}

/* ---- page limit ---- */

static void test_page_limit(void **state)
{
	struct heap *h = H(state);
	uintptr_t a = alloc_ok(h, 16, 0);
	memset((void *)a, 0x5a, 16);
	uint32_t used = h->pages_used;
	assert_int_equal(used, SPAN_SMALL_PAGES);

	heap_set_page_limit(h, used);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(heap_capacity(h), (uint64_t)used * HEAP_PAGE);
	assert_int_equal(pages_free(h), 0);
	alloc_fails(h, 32); /* a new span */
	alloc_fails(h, HEAP_PAGE); /* a large object */
	alloc_fails(h, HEAP_SMALL_MAX + 1);
	/* The existing span still has room, until it is full. */
	for (uint32_t i = 1; i < SPAN_BYTES / 16; i++)
		alloc_ok(h, 16, 0);
	alloc_fails(h, 16);
	alloc_fails(h, 16);
	assert_int_equal(h->live_objects, SPAN_BYTES / 16);
	assert_true(all_bytes(a, 16, 0x5a));
	assert_int_equal(heap_find(h, a + 3, NULL, NULL), a);

	/* Lifting the limit (0 means all) makes room again. */
	heap_set_page_limit(h, 0);
	assert_int_equal(h->page_limit, h->npages);
	assert_int_equal(heap_capacity(h), (uint64_t)h->npages * HEAP_PAGE);
	assert_int_equal(pages_free(h), h->npages - used);
	uintptr_t b = alloc_ok(h, 32, 0);
	uintptr_t big = alloc_ok(h, 3 * HEAP_PAGE, 0);
	alloc_ok(h, 16, 0);
	assert_int_equal(h->pages_used, used + 2 * SPAN_SMALL_PAGES + 3);

	/* A limit below what is in use: nothing new, but sweeping still works
	 * and frees pages below the limit. */
	heap_set_page_limit(h, 2);
	assert_int_equal(pages_free(h), 0);
	alloc_fails(h, HEAP_PAGE);
	mark_ok(h, b);
	collect(h, NULL);
	assert_int_equal(h->pages_used, SPAN_SMALL_PAGES);
	assert_int_equal(heap_find(h, b, NULL, NULL), b);
	assert_int_equal(heap_find(h, big, NULL, NULL), 0);
	alloc_fails(h, 16);
	heap_set_page_limit(h, SPAN_SMALL_PAGES + 1);
	alloc_ok(h, HEAP_PAGE, 0);
	alloc_fails(h, HEAP_PAGE);

	/* A limit above the arena means all of it. */
	heap_set_page_limit(h, h->npages + 100);
	assert_int_equal(h->page_limit, h->npages);
	alloc_ok(h, 10 * HEAP_PAGE, 0);
	assert_int_equal(shim_locks_held, 0);
}

/* Filling the whole heap: out of memory at the end, and no object damaged. */
static void test_exhaust(void **state)
{
	struct heap *h = H(state);
	static uintptr_t objs[8192];
	size_t n = 0;
	bool large_failed = false;
	for (;;) {
		size_t req = n % 7 == 0 && !large_failed ? 3 * HEAP_PAGE : 1024;
		uintptr_t p = heap_alloc(h, req, 0);
		assert_int_equal(shim_locks_held, 0);
		if (!p && req == 1024)
			break;
		if (!p) {
			large_failed = true;
			continue;
		}
		check_new(h, p, req, 0);
		assert_true(n < sizeof objs / sizeof objs[0]);
		memset((void *)p, (uint8_t)n | 1, 16);
		objs[n++] = p;
	}
	/* What is left is too little for a span, or for any large object. */
	assert_true(pages_free(h) < SPAN_SMALL_PAGES);
	alloc_fails(h, 1024);
	alloc_fails(h, (pages_free(h) + 1) * HEAP_PAGE);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(heap_find(h, objs[i] + 8, NULL, NULL), objs[i]);
		assert_true(all_bytes(objs[i], 16, (uint8_t)i | 1));
	}
	collect(h, NULL);
	assert_int_equal(pages_free(h), h->npages);
	alloc_ok(h, (size_t)h->npages * HEAP_PAGE, 0); /* the whole arena, in one */
}

/* Fill the arena with one-page objects (they come in page order) and return
 * how many: exactly the arena's pages. */
static size_t fill_pages(struct heap *h, uintptr_t *objs)
{
	size_t n = 0;
	uintptr_t p;
	while ((p = heap_alloc(h, HEAP_PAGE, GC_NOSCAN)) != 0) {
		assert_int_equal(shim_locks_held, 0);
		assert_int_equal(p, h->arena + n * HEAP_PAGE);
		objs[n++] = p;
	}
	assert_int_equal(n, h->npages);
	assert_int_equal(pages_free(h), 0);
	return n;
}

/* Free the objects at the pages listed in drop[] (objs[page] is the object
 * there, 0 if none), keeping every other one. */
static void free_pages(struct heap *h, uintptr_t *objs, size_t n, const size_t *drop, size_t ndrop)
{
	for (size_t i = 0; i < n; i++) {
		if (!objs[i])
			continue;
		bool d = false;
		for (size_t k = 0; k < ndrop; k++)
			d |= drop[k] == i;
		if (d)
			objs[i] = 0;
		else
			assert_true(heap_mark(h, objs[i]));
	}
	struct sweep_result r;
	collect(h, &r);
	assert_int_equal(r.spans_released, ndrop);
}

/* The first-fit page search starts at the hint and wraps round: a hole before
 * the hint is found, including one that ends right at the hint. */
static void test_first_fit_wraps(void **state)
{
	struct heap *h = H(state);
	static uintptr_t objs[4096];
	size_t n = fill_pages(h, objs);

	/* Holes at page 0 and at two pages before the last: the two-page
	 * object takes the latter, leaving the hint at the last page. */
	size_t d1[] = {0, n - 3, n - 2};
	free_pages(h, objs, n, d1, 3);
	uintptr_t two = alloc_ok(h, 2 * HEAP_PAGE, GC_NOSCAN);
	assert_int_equal(two, h->arena + (n - 3) * HEAP_PAGE);
	objs[n - 3] = two;
	/* Only page 0 is left, behind the hint. */
	objs[0] = alloc_ok(h, HEAP_PAGE, GC_NOSCAN);
	assert_int_equal(objs[0], h->arena);
	alloc_fails(h, HEAP_PAGE);

	/* Pages 10 and 11 free, the hint at 11 (10 was passed over when the
	 * hint moved on, 11 freed after): two pages must be found across it. */
	size_t d2[] = {10, 500, 501};
	free_pages(h, objs, n, d2, 3);
	objs[500] = alloc_ok(h, 2 * HEAP_PAGE, GC_NOSCAN);
	assert_int_equal(objs[500], h->arena + 500 * HEAP_PAGE);
	size_t d3[] = {11};
	free_pages(h, objs, n, d3, 1);
	assert_int_equal(pages_free(h), 2);
	assert_int_equal(alloc_ok(h, 2 * HEAP_PAGE, GC_NOSCAN), h->arena + 10 * HEAP_PAGE);
	assert_int_equal(pages_free(h), 0);
}

/* A free slot in a span the class's cursor has gone past is found again (the
 * search wraps round the class's list) instead of taking new pages. */
static void test_class_search_wraps(void **state)
{
	struct heap *h = H(state);
	enum { PER = SPAN_BYTES / 1024, N = 3 * PER }; /* three spans of 16 */
	uintptr_t objs[N];
	for (uint32_t i = 0; i < N; i++)
		objs[i] = alloc_ok(h, 1024, 0);
	uint32_t used = h->pages_used;
	assert_int_equal(used, 3 * SPAN_SMALL_PAGES);

	/* Three rounds: free one slot in two of the spans each time; whatever
	 * span the cursor was left at, both slots are reused (in either order)
	 * and no new span is made. */
	static const uint32_t frees[3][2] = {{3, 2 * PER + 5}, {PER + 7, 2}, {2 * PER, PER + 15}};
	for (int round = 0; round < 3; round++) {
		uint32_t x = frees[round][0], y = frees[round][1];
		for (uint32_t i = 0; i < N; i++)
			if (i != x && i != y)
				assert_true(heap_mark(h, objs[i]));
		collect(h, NULL);
		uintptr_t a = alloc_ok(h, 1024, 0), b = alloc_ok(h, 1024, 0);
		assert_true((a == objs[x] && b == objs[y]) || (a == objs[y] && b == objs[x]));
		assert_int_equal(h->pages_used, used);
	}
	/* Full now: the next one takes a new span. */
	alloc_ok(h, 1024, 0);
	assert_int_equal(h->pages_used, used + SPAN_SMALL_PAGES);
}

/* ---- poisoning ---- */

static void test_poison_detects_write(void **state)
{
	struct heap *h = H(state);
	heap_set_poison(h, true);
	assert_int_equal(shim_locks_held, 0);
	uintptr_t keep = alloc_ok(h, 64, 0);
	uintptr_t b = alloc_ok(h, 64, 0);
	/* A new span is poisoned all through: the next free slot is. */
	assert_true(all_bytes(b + 64, 64, HEAP_POISON_BYTE));
	memset((void *)b, 0x33, 64);

	mark_ok(h, keep);
	collect(h, NULL);
	assert_true(all_bytes(b, 64, HEAP_POISON_BYTE)); /* poisoned when freed */
	assert_int_equal(h->poison_errors, 0);

	/* A use after free. */
	((uint8_t *)b)[40] = 0;

	uintptr_t p = 0;
	for (int i = 0; i < 300 && p != b; i++)
		p = alloc_ok(h, 64, 0);
	assert_int_equal(p, b);
	assert_int_equal(h->poison_errors, 1);
	assert_int_equal(h->poison_bad_obj, b);
	assert_int_equal(h->poison_bad_off, 40); /* the word holding the byte */
	assert_true(all_bytes(b, 64, 0)); /* still handed out zeroed */

	/* Other slots were clean. */
	for (int i = 0; i < 100; i++)
		alloc_ok(h, 64, 0);
	assert_int_equal(h->poison_errors, 1);
}

/* A write anywhere in a freed object is caught: first byte to last. */
static void test_poison_every_offset(void **state)
{
	struct heap *h = H(state);
	heap_set_poison(h, true);
	static const uint32_t offs[] = {0, 1, 7, 8, 100, 255};
	for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
		uintptr_t keep = alloc_ok(h, 256, 0);
		uintptr_t b = alloc_ok(h, 256, 0);
		mark_ok(h, keep);
		collect(h, NULL);
		((uint8_t *)b)[offs[k]] ^= 0xff;
		uint64_t errors = h->poison_errors;
		assert_int_equal(alloc_ok(h, 256, 0), b);
		assert_int_equal(h->poison_errors, errors + 1);
		assert_int_equal(h->poison_bad_obj, b);
		assert_int_equal(h->poison_bad_off, offs[k] / 8 * 8);
		collect(h, NULL); /* both die: a fresh span next time */
	}
}

static void test_poison_clean(void **state)
{
	struct heap *h = H(state);
	heap_set_poison(h, true);
	static uintptr_t objs[1000];
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 1000; i++) {
			objs[i] = alloc_ok(h, 16 + (size_t)(i % 97) * 21, 0);
			memset((void *)objs[i], 0x77, 16);
		}
		for (int i = 0; i < 1000; i += 2)
			mark_ok(h, objs[i]);
		collect(h, NULL);
	}
	assert_int_equal(h->poison_errors, 0);
	assert_int_equal(h->poison_bad_obj, 0);
}

/* Turning poisoning on fills the free slots of existing spans; a write into
 * a free slot while it was off is no error. */
static void test_poison_turned_on(void **state)
{
	struct heap *h = H(state);
	uintptr_t a = alloc_ok(h, 96, 0);
	uintptr_t b = alloc_ok(h, 96, 0);
	uintptr_t big = alloc_ok(h, 3 * HEAP_PAGE, 0);
	memset((void *)a, 0x11, 96);
	memset((void *)b, 0x22, 96);
	mark_ok(h, a);
	mark_ok(h, big);
	collect(h, NULL); /* b freed, unpoisoned */
	assert_false(all_bytes(b, 96, HEAP_POISON_BYTE));
	memset((void *)b, 0x44, 96); /* poisoning is off: nobody looks */

	heap_set_poison(h, true);
	assert_int_equal(shim_locks_held, 0);
	assert_true(all_bytes(a, 96, 0x11)); /* live objects untouched */
	assert_true(all_bytes(b, 96, HEAP_POISON_BYTE));
	assert_true(all_bytes(b + 96, 96, HEAP_POISON_BYTE)); /* never used */
	assert_true(all_bytes(big, 3 * HEAP_PAGE, 0)); /* large objects are live */
	assert_int_equal(alloc_ok(h, 96, 0), b);
	assert_int_equal(h->poison_errors, 0);

	/* A write to the never-used slot after b, now caught. */
	((uint8_t *)b)[96 + 95] = 1;
	assert_int_equal(alloc_ok(h, 96, 0), b + 96);
	assert_int_equal(h->poison_errors, 1);
	assert_int_equal(h->poison_bad_obj, b + 96);
	assert_int_equal(h->poison_bad_off, 88);

	/* Freed spans and large objects are poisoned as they go back; their
	 * pages, made into a span again, hold no false alarm. */
	collect(h, NULL);
	assert_int_equal(pages_free(h), h->npages);
	assert_true(all_bytes(a, 96, HEAP_POISON_BYTE));
	assert_true(all_bytes(big, 3 * HEAP_PAGE, HEAP_POISON_BYTE));
	for (int i = 0; i < 1000; i++)
		alloc_ok(h, 48, 0);
	assert_int_equal(h->poison_errors, 1);

	/* Off again: nothing is checked. */
	heap_set_poison(h, false);
	collect(h, NULL);
	uintptr_t c = alloc_ok(h, 48, 0);
	uintptr_t d = alloc_ok(h, 48, 0);
	mark_ok(h, c);
	collect(h, NULL);
	memset((void *)d, 0x99, 48);
	assert_int_equal(alloc_ok(h, 48, 0), d);
	assert_int_equal(h->poison_errors, 1);
}

/* ---- heap_for_each_object ---- */

static void test_for_each(void **state)
{
	struct heap *h = H(state);
	assert_int_equal(visit_all(h)->n, 0);
	enum { N = 300 };
	static uintptr_t objs[N];
	static size_t sizes[N];
	for (int i = 0; i < N; i++) {
		size_t req = i % 37 == 0 ? 5000 + (size_t)i * 10 : 8 + (size_t)i * 5;
		objs[i] = alloc_ok(h, req, i % 3 == 0 ? GC_NOSCAN : 0);
		sizes[i] = expect_size(req);
		if (i % 5 == 0)
			mark_ok(h, objs[i]);
	}
	struct visits *vs = visit_all(h);
	assert_int_equal(vs->n, N);
	for (int i = 0; i < N; i++) {
		const struct visit *v = find_visit(vs, objs[i]);
		assert_non_null(v);
		assert_int_equal(v->size, sizes[i]);
		assert_int_equal(v->marked, i % 5 == 0);
		assert_int_equal(v->noscan, i % 3 == 0);
	}

	/* After a sweep: exactly the survivors, white. */
	collect(h, NULL);
	vs = visit_all(h);
	assert_int_equal(vs->n, (N + 4) / 5);
	for (int i = 0; i < N; i++) {
		const struct visit *v = find_visit(vs, objs[i]);
		if (i % 5) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_false(v->marked);
		assert_int_equal(v->noscan, i % 3 == 0);
	}
}

/* ---- randomized, against a shadow model ---- */

struct mobj {
	uintptr_t addr;
	size_t req, size;
	uint8_t tag;
	bool noscan, keep;
};

#define RMAX 400

static struct mobj model[RMAX];
static size_t nmodel;
static uint32_t rnd_state;
/* What the run went through, so that it can check it covered the cases. */
static struct {
	size_t refused, large, black, lazy_swept, max_live;
} seen;

static uint32_t rnd(uint32_t n)
{
	return ht_rand(&rnd_state) % n;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct mobj *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The model object containing addr, or NULL (model sorted). */
static const struct mobj *model_find(uintptr_t addr)
{
	size_t lo = 0, hi = nmodel;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < model[mid].addr)
			hi = mid;
		else if (addr >= model[mid].addr + model[mid].size)
			lo = mid + 1;
		else
			return &model[mid];
	}
	return NULL;
}

/* Allocate one random object into the model; false if the heap said no. */
static bool rand_alloc(struct heap *h, bool limited)
{
	if (nmodel == RMAX)
		return false;
	size_t req;
	switch (rnd(16)) {
	case 0:
		req = HEAP_SMALL_MAX + 1 + rnd(10 * HEAP_PAGE);
		break;
	case 1:
	case 2:
		req = 1 + rnd(HEAP_SMALL_MAX);
		break;
	default:
		req = rnd(200);
	}
	unsigned flags = rnd(3) == 0 ? GC_NOSCAN : 0;
	uint64_t objs = h->live_objects;
	uintptr_t p = heap_alloc(h, req, flags);
	assert_int_equal(shim_locks_held, 0);
	if (!p) {
		if (!limited)
			fail_msg("out of memory: %u of %u pages used, %zu objects", h->pages_used,
				 h->npages, nmodel);
		assert_int_equal(h->live_objects, objs);
		seen.refused++;
		return false;
	}
	seen.large += req > HEAP_SMALL_MAX;
	seen.black += h->marking;
	check_new(h, p, req, flags);
	struct mobj *m = &model[nmodel++];
	*m = (struct mobj){p, req, expect_size(req), (uint8_t)(rnd(255) + 1), !!flags, false};
	memset((void *)p, m->tag, req);
	return true;
}

struct rcheck {
	size_t n;
};

static void rand_visit(uintptr_t obj, size_t size, bool marked, bool noscan, void *arg)
{
	struct rcheck *c = arg;
	const struct mobj *m = model_find(obj);
	assert_non_null(m);
	assert_int_equal(m->addr, obj);
	assert_int_equal(m->size, size);
	assert_int_equal(m->noscan, noscan);
	assert_false(marked);
	c->n++;
}

/* Everything swept: the heap must agree with the model exactly. */
static void rand_verify(struct heap *h, const uintptr_t *dead, size_t ndead)
{
	qsort(model, nmodel, sizeof model[0], cmp_addr);
	uint64_t bytes = 0;
	for (size_t i = 0; i < nmodel; i++) {
		const struct mobj *m = &model[i];
		bytes += m->size;
		if (i + 1 < nmodel)
			assert_true(m->addr + m->size <= model[i + 1].addr);
		size_t sz = 0;
		bool ns = !m->noscan;
		assert_int_equal(heap_find(h, m->addr, &sz, &ns), m->addr);
		assert_int_equal(sz, m->size);
		assert_int_equal(ns, m->noscan);
		assert_int_equal(heap_find(h, m->addr + rnd((uint32_t)m->size), NULL, NULL),
				 m->addr);
		assert_int_equal(heap_find(h, m->addr + m->size - 1, NULL, NULL), m->addr);
		/* One past the end: free, or the next object. */
		uintptr_t past = heap_find(h, m->addr + m->size, NULL, NULL);
		if (past) {
			assert_true(i + 1 < nmodel);
			assert_int_equal(past, model[i + 1].addr);
		}
		assert_false(heap_is_marked(h, m->addr));
		assert_true(all_bytes(m->addr, m->req, m->tag));
	}
	assert_int_equal(h->live_objects, nmodel);
	assert_int_equal(h->live_bytes, bytes);
	for (size_t i = 0; i < ndead; i++) {
		uintptr_t f = heap_find(h, dead[i], NULL, NULL);
		if (f) {
			const struct mobj *m = model_find(dead[i]);
			assert_non_null(m); /* reused by a live object */
			assert_int_equal(f, m->addr);
		}
	}
	struct rcheck c = {0};
	heap_for_each_object(h, rand_visit, &c);
	assert_int_equal(c.n, nmodel);
	assert_int_equal(heap_stale_marks(h, NULL), 0);
}

static void test_random(void **state)
{
	struct heap *h = H(state);
	static uintptr_t dead[RMAX];
	rnd_state = 0x9e3779b9;
	nmodel = 0;
	memset(&seen, 0, sizeof seen);
	bool limited = false;
	const int rounds = 5000;

	for (int round = 0; round < rounds; round++) {
		if (round == rounds / 3) {
			heap_set_poison(h, true);
			assert_int_equal(shim_locks_held, 0);
		}
		if (round % 97 == 50) {
			limited = true;
			heap_set_page_limit(h, h->pages_used + rnd(12));
		}
		if (round % 97 == 60) {
			limited = false;
			heap_set_page_limit(h, 0);
		}

		int nalloc = (int)rnd(24);
		for (int i = 0; i < nalloc; i++)
			rand_alloc(h, limited);

		/* Mark: each object survives with probability 3/4, found
		 * through a random interior pointer as the marker would. */
		uint64_t marked = 0;
		for (size_t i = 0; i < nmodel; i++) {
			struct mobj *m = &model[i];
			m->keep = rnd(4) != 0;
			if (!m->keep)
				continue;
			uintptr_t obj = heap_find(h, m->addr + rnd((uint32_t)m->size), NULL, NULL);
			assert_int_equal(obj, m->addr);
			assert_true(heap_mark(h, obj));
			if (rnd(4) == 0)
				assert_false(heap_mark(h, obj));
			marked += m->size;
		}
		/* Sometimes allocate black during the mark phase: black_bytes
		 * counts exactly those. */
		if (rnd(3) == 0) {
			heap_begin_mark(h);
			assert_int_equal(shim_locks_held, 0);
			uint64_t black = 0;
			for (int i = (int)rnd(6); i > 0; i--) {
				if (rand_alloc(h, limited)) {
					model[nmodel - 1].keep = true;
					marked += model[nmodel - 1].size;
					black += model[nmodel - 1].size;
				}
			}
			assert_int_equal(h->black_bytes, black);
		}
		assert_int_equal(heap_marked_bytes(h), marked);
		assert_int_equal(shim_locks_held, 0);

		uint64_t freed = h->freed_objects, freed_bytes = h->freed_bytes;
		heap_finish_mark(h);
		assert_int_equal(shim_locks_held, 0);
		assert_false(h->marking);

		/* The dead leave the model. */
		size_t ndead = 0, kept = 0;
		uint64_t dead_bytes = 0;
		for (size_t i = 0; i < nmodel; i++) {
			if (model[i].keep) {
				model[kept++] = model[i];
			} else {
				dead[ndead++] = model[i].addr;
				dead_bytes += model[i].size;
			}
		}
		nmodel = kept;

		/* Half the time some allocations sweep lazily before the sweeper. */
		bool lazy = rnd(2) == 0;
		if (lazy) {
			for (int i = (int)rnd(10); i > 0; i--)
				rand_alloc(h, limited);
			seen.lazy_swept += h->freed_objects - freed;
		}
		struct sweep_result r;
		memset(&r, 0, sizeof r);
		if (rnd(2)) {
			heap_sweep_all(h, &r);
		} else {
			while (heap_sweep_one(h, &r))
				assert_int_equal(shim_locks_held, 0);
		}
		assert_int_equal(shim_locks_held, 0);
		assert_false(heap_sweep_one(h, NULL));
		assert_int_equal(h->freed_objects, freed + ndead);
		assert_int_equal(h->freed_bytes, freed_bytes + dead_bytes);
		assert_true(r.objects <= ndead);
		if (!lazy) {
			assert_int_equal(r.objects, ndead);
			assert_int_equal(r.bytes, dead_bytes);
		}
		rand_verify(h, dead, ndead);
		if (nmodel > seen.max_live)
			seen.max_live = nmodel;
	}
	assert_int_equal(h->poison_errors, 0);
	assert_true(seen.refused > 10);
	assert_true(seen.large > 100);
	assert_true(seen.black > 100);
	assert_true(seen.lazy_swept > 100);
	assert_true(seen.max_live > 50);

	/* Let everything die: every page comes back. */
	heap_set_page_limit(h, 0);
	collect(h, NULL);
	assert_int_equal(h->live_objects, 0);
	assert_int_equal(h->live_bytes, 0);
	assert_int_equal(h->pages_used, 0);
	assert_int_equal(h->poison_errors, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_4m, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_too_small),
	    cmocka_unit_test(test_init_tiny),
	    cmocka_unit_test(test_size_class),
	    T(test_alloc_every_class),
	    T(test_reuse_zeroed),
	    T(test_find_small),
	    T(test_find_large),
	    T(test_noscan_reuse),
	    T(test_mark),
	    T(test_sweep_frees_unmarked),
	    T(test_span_release),
	    T(test_large_reuse),
	    T(test_black_alloc),
	    T(test_black_bytes),
	    T(test_sweep_one),
	    T(test_lazy_sweep),
	    T(test_page_limit),
	    T(test_exhaust),
	    T(test_first_fit_wraps),
	    T(test_class_search_wraps),
	    T(test_poison_detects_write),
	    T(test_poison_every_offset),
	    T(test_poison_clean),
	    T(test_poison_turned_on),
	    T(test_for_each),
	    T(test_random),
	};
#undef T
	ht_watchdog(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
