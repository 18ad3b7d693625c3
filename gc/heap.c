/*
 * heap.c — spans, size classes and the bitmaps.  The layout and the rules are
 * in heap.h; this file is the mechanics.
 */
#include "gc/heap.h"

#include <string.h>

/* Roughly 1.5x apart, every one a multiple of HEAP_GRAIN (so every object is
 * 16-byte aligned) and a divisor-friendly fit for a 16 KiB span. */
const uint32_t heap_class_size[HEAP_NCLASSES] = {16,  32,  48,	64,  96,   128,	 192,
						 256, 384, 512, 768, 1024, 1536, 2048};

int heap_size_class(size_t size)
{
	for (int c = 0; c < HEAP_NCLASSES; c++)
		if (size <= heap_class_size[c])
			return c;
	return -1;
}

/* ---- bits ---- */

static bool bit_get(const uint64_t *bits, uint64_t i)
{
	/* relaxed: a racy peek is all a reader without the lock needs (heap.h) */
	return (__atomic_load_n(&bits[i / 64], __ATOMIC_RELAXED) >> (i % 64)) & 1;
}

/* Set bit i; true if this call set it (it was clear). */
static bool bit_test_and_set(uint64_t *bits, uint64_t i)
{
	uint64_t m = 1ULL << (i % 64);
	/* relaxed atomic OR: markers set other bits of the same word at the
	 * same time; exactly one of the setters that race on the word sees the
	 * bit clear (heap_mark and black allocation) */
	return !(__atomic_fetch_or(&bits[i / 64], m, __ATOMIC_RELAXED) & m);
}

static void bit_clear(uint64_t *bits, uint64_t i)
{
	/* relaxed atomic AND: markers may set other bits of the word (mark bits) */
	__atomic_fetch_and(&bits[i / 64], ~(1ULL << (i % 64)), __ATOMIC_RELAXED);
}

/*
 * The alloc and noscan bitmaps are written only under the heap's lock, so
 * their writers need no atomic read-modify-write (no exclusive pair, which
 * costs an emulator dearly): a plain load and a single-copy-atomic store,
 * and a lock-free reader sees the word before or after, never a mix.  The
 * mark bits are different: markers set them without the lock
 * (bit_test_and_set).
 */
static void bit_clear_locked(uint64_t *bits, uint64_t i)
{
	/* relaxed: the lock orders writers; the store is single-copy atomic for readers */
	__atomic_store_n(&bits[i / 64], bits[i / 64] & ~(1ULL << (i % 64)), __ATOMIC_RELAXED);
}

static uint64_t obj_bit(const struct span *s, uint32_t idx)
{
	return (uint64_t)s->first_page * BITS_PER_PAGE + idx;
}

/* ---- set-up ---- */

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int heap_init(struct heap *h, uintptr_t base, size_t size)
{
	memset(h, 0, sizeof *h);
	h->lock = (struct spinlock)SPINLOCK_INIT("gc-heap");
	h->region = base;
	h->region_end = base + size;
	/* Per arena page: 1 used bit, a span pointer, 3 x 4 bitmap words and a
	 * span struct.  Solve pages * (HEAP_PAGE + meta) <= size. */
	size_t meta_per_page =
	    sizeof(struct span *) + 3 * WORDS_PER_PAGE * 8 + sizeof(struct span) + 1;
	size_t pages = size / (HEAP_PAGE + meta_per_page);
	while (pages > 0) {
		size_t meta =
		    align_up((pages + 63) / 64 * 8 + pages * (meta_per_page - 1), HEAP_PAGE);
		if (meta + pages * HEAP_PAGE <= size)
			break;
		pages--;
	}
	if (pages < SPAN_SMALL_PAGES)
		return -1;
	uintptr_t p = base;
	h->page_used = (uint64_t *)p;
	p += (pages + 63) / 64 * 8;
	h->page_span = (struct span **)p;
	p += pages * sizeof(struct span *);
	h->alloc_bits = (uint64_t *)p;
	p += pages * WORDS_PER_PAGE * 8;
	h->mark_bits = (uint64_t *)p;
	p += pages * WORDS_PER_PAGE * 8;
	h->noscan_bits = (uint64_t *)p;
	p += pages * WORDS_PER_PAGE * 8;
	p = align_up(p, _Alignof(struct span));
	h->spans = (struct span *)p;
	p += pages * sizeof(struct span);
	memset((void *)base, 0, p - base);
	h->arena = align_up(p, HEAP_PAGE);
	h->npages = (uint32_t)pages;
	h->arena_end = h->arena + (uintptr_t)pages * HEAP_PAGE;
	h->page_limit = h->npages;
	for (size_t i = pages; i-- > 0;) {
		h->spans[i].next = h->free_spans;
		h->free_spans = &h->spans[i];
	}
	return 0;
}

/* ---- pages ---- */

static bool page_is_used(struct heap *h, uint32_t p)
{
	return (h->page_used[p / 64] >> (p % 64)) & 1;
}

static void pages_mark(struct heap *h, uint32_t first, uint32_t n, bool used)
{
	for (uint32_t p = first; p < first + n; p++) {
		if (used)
			h->page_used[p / 64] |= 1ULL << (p % 64);
		else
			h->page_used[p / 64] &= ~(1ULL << (p % 64));
	}
	h->pages_used = used ? h->pages_used + n : h->pages_used - n;
}

/* First fit for n free pages, from the hint round to the hint.  Under the lock. */
static int64_t pages_find(struct heap *h, uint32_t n)
{
	if (h->pages_used + n > h->page_limit || n > h->npages)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t start = pass == 0 ? h->page_hint : 0;
		uint32_t end = pass == 0 ? h->npages : h->page_hint + n;
		if (end > h->npages)
			end = h->npages;
		uint32_t run = 0;
		for (uint32_t p = start; p < end; p++) {
			if (page_is_used(h, p)) {
				run = 0;
				continue;
			}
			if (++run == n)
				return p + 1 - n;
		}
	}
	return -1;
}

/* ---- spans ---- */

static void list_push(struct span **head, struct span *s)
{
	s->next = *head;
	*head = s;
}

static void list_remove(struct span **head, struct span *s)
{
	for (struct span **p = head; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

/* A new span of npages, or NULL.  Under the lock. */
static struct span *span_new(struct heap *h, uint32_t npages, int sizeclass)
{
	int64_t first = pages_find(h, npages);
	if (first < 0 || !h->free_spans)
		return NULL;
	struct span *s = h->free_spans;
	h->free_spans = s->next;
	pages_mark(h, (uint32_t)first, npages, true);
	h->page_hint = (uint32_t)first + npages;
	if (h->page_hint >= h->npages)
		h->page_hint = 0;

	memset(s, 0, sizeof *s);
	s->first_page = (uint32_t)first;
	s->npages = npages;
	s->base = h->arena + (uintptr_t)first * HEAP_PAGE;
	s->sizeclass = sizeclass;
	s->elemsize = sizeclass >= 0 ? heap_class_size[sizeclass] : npages * HEAP_PAGE;
	s->nelems = sizeclass >= 0 ? npages * HEAP_PAGE / s->elemsize : 1;
	s->swept = h->cycle;
	if (sizeclass >= 0 && h->poison)
		memset((void *)s->base, HEAP_POISON_BYTE, (size_t)npages * HEAP_PAGE);
	/* Bitmaps were cleared when the pages were last released (or at init). */
	for (uint32_t p = 0; p < npages; p++) {
		/* release: the span above is complete before a lock-free reader
		 * (heap_find) that acquires this entry can see it */
		__atomic_store_n(&h->page_span[first + p], s, __ATOMIC_RELEASE);
	}
	list_push(sizeclass >= 0 ? &h->classes[sizeclass] : &h->large, s);
	return s;
}

/* Give an empty span's pages back.  Under the lock, never while marking. */
static void span_release(struct heap *h, struct span *s)
{
	if (s->sizeclass >= 0 && h->cursor[s->sizeclass] == s)
		h->cursor[s->sizeclass] = s->next;
	list_remove(s->sizeclass >= 0 ? &h->classes[s->sizeclass] : &h->large, s);
	for (uint32_t p = s->first_page; p < s->first_page + s->npages; p++) {
		/* relaxed: nobody reads the map lock-free while sweeping (heap.h) */
		__atomic_store_n(&h->page_span[p], NULL, __ATOMIC_RELAXED);
		for (uint32_t w = 0; w < WORDS_PER_PAGE; w++) {
			h->alloc_bits[p * WORDS_PER_PAGE + w] = 0;
			h->mark_bits[p * WORDS_PER_PAGE + w] = 0;
			h->noscan_bits[p * WORDS_PER_PAGE + w] = 0;
		}
	}
	if (h->poison)
		memset((void *)s->base, HEAP_POISON_BYTE, (size_t)s->npages * HEAP_PAGE);
	pages_mark(h, s->first_page, s->npages, false);
	if (s->first_page < h->page_hint)
		h->page_hint = s->first_page;
	s->npages = 0;
	list_push(&h->free_spans, s);
}

/* Free the unmarked objects of s and clear its marks.  Under the lock.
 * Returns true if s was released (it became empty). */
static bool span_sweep(struct heap *h, struct span *s, struct sweep_result *r)
{
	for (uint32_t i = 0; i < s->nelems; i++) {
		uint64_t b = obj_bit(s, i);
		if (!bit_get(h->alloc_bits, b))
			continue;
		if (bit_get(h->mark_bits, b)) {
			bit_clear(h->mark_bits, b);
			continue;
		}
		bit_clear_locked(h->alloc_bits, b);
		s->nalloc--;
		h->live_objects--;
		h->live_bytes -= s->elemsize;
		h->freed_objects++;
		h->freed_bytes += s->elemsize;
		if (r) {
			r->objects++;
			r->bytes += s->elemsize;
		}
		if (h->poison)
			memset((void *)(s->base + (uintptr_t)i * s->elemsize), HEAP_POISON_BYTE,
			       s->elemsize);
		if (i < s->hint)
			s->hint = i;
	}
	s->swept = h->cycle;
	if (s->nalloc == 0) {
		span_release(h, s);
		if (r)
			r->spans_released++;
		return true;
	}
	return false;
}

/* ---- allocation ---- */

/* Is the freed slot still all poison?  If not, somebody wrote to it after it
 * was freed: record where. */
static void check_poison(struct heap *h, uintptr_t obj, size_t size)
{
	const uint64_t *w = (const uint64_t *)obj;
	for (size_t i = 0; i < size / 8; i++) {
		if (w[i] != HEAP_POISON_WORD) {
			h->poison_errors++;
			h->poison_bad_obj = obj;
			h->poison_bad_off = (uint32_t)(i * 8);
			return;
		}
	}
}

static int32_t span_find_free(struct heap *h, struct span *s)
{
	for (uint32_t i = s->hint; i < s->nelems; i++) {
		if (!bit_get(h->alloc_bits, obj_bit(s, i)))
			return (int32_t)i;
	}
	return -1;
}

/* A span of class c with a free slot, sweeping unswept ones on the way.
 * The search starts at the class's cursor (where the last one was found) and
 * wraps round, so the full spans before it are not walked every time. */
static struct span *class_span(struct heap *h, int c, struct sweep_result *r)
{
	struct span *start = h->cursor[c] ? h->cursor[c] : h->classes[c];
	for (int pass = 0; pass < 2; pass++) {
		struct span *s = pass == 0 ? start : h->classes[c];
		while (s && !(pass == 1 && s == start)) {
			struct span *next = s->next;
			if (s->swept != h->cycle && span_sweep(h, s, r)) {
				s = next; /* it was empty and is gone */
				continue;
			}
			if (s->nalloc < s->nelems) {
				h->cursor[c] = s;
				return s;
			}
			s = next;
		}
		if (start == h->classes[c])
			break; /* the first pass already covered the whole list */
	}
	struct span *s = span_new(h, SPAN_SMALL_PAGES, c);
	if (s)
		h->cursor[c] = s;
	return s;
}

/*
 * Hand out the free slots of mask: the slots first + i of s for every bit i
 * of mask, all in one 64-bit word of the bitmaps.  Under the lock.
 */
static void take_slots(struct heap *h, struct span *s, uint32_t first, uint64_t mask,
		       unsigned flags)
{
	uint64_t word = obj_bit(s, first) / 64;
	unsigned n = (unsigned)__builtin_popcountll(mask);
	for (uint64_t m = mask; m; m &= m - 1) {
		uintptr_t obj =
		    s->base + (uintptr_t)(first + (uint32_t)__builtin_ctzll(m)) * s->elemsize;
		if (s->sizeclass >= 0 && h->poison)
			check_poison(h, obj, s->elemsize);
		/* Zero it before it is marked allocated: a marker that finds it
		 * through a stale pointer must not scan old contents (it is black
		 * anyway while marking, but the verifier scans every allocated
		 * object). */
		memset((void *)obj, 0, s->elemsize);
	}
	uint64_t noscan = h->noscan_bits[word];
	/* relaxed: under the lock, the only writers; single-copy atomic for readers */
	__atomic_store_n(&h->noscan_bits[word], flags & GC_NOSCAN ? noscan | mask : noscan & ~mask,
			 __ATOMIC_RELAXED);
	if (h->marking) {
		/* relaxed atomic OR: markers set other mark bits of the word at the
		 * same time; the bits this call set are allocated black */
		uint64_t was = __atomic_fetch_or(&h->mark_bits[word], mask, __ATOMIC_RELAXED);
		h->black_bytes += (uint64_t)__builtin_popcountll(mask & ~was) * s->elemsize;
	}
	/* relaxed: as the noscan word above */
	__atomic_store_n(&h->alloc_bits[word], h->alloc_bits[word] | mask, __ATOMIC_RELAXED);
	s->nalloc += n;
	h->live_objects += n;
	h->live_bytes += (uint64_t)n * s->elemsize;
}

uintptr_t heap_alloc(struct heap *h, size_t size, unsigned flags)
{
	if (size == 0)
		size = 1;
	if (size > (size_t)h->npages * HEAP_PAGE)
		return 0;
	int c = heap_size_class(size);
	uint64_t irq = spin_lock_irqsave(&h->lock);
	struct span *s;
	uint32_t idx = 0;
	if (c >= 0) {
		s = class_span(h, c, NULL);
		if (s) {
			idx = (uint32_t)span_find_free(h, s);
			s->hint = idx + 1;
		}
	} else {
		uint32_t n = (uint32_t)((size + HEAP_PAGE - 1) / HEAP_PAGE);
		s = span_new(h, n, -1);
		/* large spans are swept (freed) by the sweeper and at collections;
		 * no lazy sweep is needed to find room for them */
	}
	if (!s) {
		spin_unlock_irqrestore(&h->lock, irq);
		return 0;
	}
	take_slots(h, s, idx & ~63u, 1ULL << (idx % 64), flags);
	uintptr_t obj = s->base + (uintptr_t)idx * s->elemsize;
	spin_unlock_irqrestore(&h->lock, irq);
	return obj;
}

bool heap_refill(struct heap *h, int c, unsigned flags, struct heap_cache *k)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	struct span *s = class_span(h, c, NULL);
	if (s) {
		uint32_t first = (uint32_t)span_find_free(h, s) & ~63u;
		uint32_t left = s->nelems - first;
		uint64_t valid = left >= 64 ? ~0ULL : (1ULL << left) - 1;
		uint64_t bit = obj_bit(s, first);
		uint64_t mask = ~h->alloc_bits[bit / 64] & valid;
		take_slots(h, s, first, mask, flags);
		s->hint = first + 64; /* every slot before it is taken now */
		k->base = s->base + (uintptr_t)first * s->elemsize;
		k->size = s->elemsize;
		k->bit = bit;
		k->mask = mask; /* masked: no stop sees the cache half filled */
	}
	spin_unlock_irqrestore(&h->lock, irq);
	return s != NULL;
}

void heap_keep_cached(struct heap *h, const struct heap_cache *k)
{
	if (!k->mask)
		return;
	uint64_t irq = spin_lock_irqsave(&h->lock);
	/* relaxed atomic OR: as take_slots' black allocation */
	uint64_t was = __atomic_fetch_or(&h->mark_bits[k->bit / 64], k->mask, __ATOMIC_RELAXED);
	h->black_bytes += (uint64_t)__builtin_popcountll(k->mask & ~was) * k->size;
	spin_unlock_irqrestore(&h->lock, irq);
}

/* ---- the marker's side ---- */

uintptr_t heap_find(struct heap *h, uintptr_t addr, size_t *size, bool *noscan)
{
	if (addr < h->arena || addr >= h->arena_end)
		return 0;
	uint32_t page = (uint32_t)((addr - h->arena) >> HEAP_PAGE_SHIFT);
	/* acquire: pairs with the release in span_new, so *s is complete */
	struct span *s = __atomic_load_n(&h->page_span[page], __ATOMIC_ACQUIRE);
	if (!s)
		return 0;
	uint32_t idx = (uint32_t)((addr - s->base) / s->elemsize);
	if (idx >= s->nelems)
		return 0; /* the tail of a span that no object covers */
	uint64_t b = obj_bit(s, idx);
	if (!bit_get(h->alloc_bits, b))
		return 0;
	if (size)
		*size = s->elemsize;
	if (noscan)
		*noscan = bit_get(h->noscan_bits, b);
	return s->base + (uintptr_t)idx * s->elemsize;
}

static uint64_t bit_of(struct heap *h, uintptr_t obj)
{
	uint32_t page = (uint32_t)((obj - h->arena) >> HEAP_PAGE_SHIFT);
	/* acquire: as in heap_find */
	struct span *s = __atomic_load_n(&h->page_span[page], __ATOMIC_ACQUIRE);
	return obj_bit(s, (uint32_t)((obj - s->base) / s->elemsize));
}

bool heap_mark(struct heap *h, uintptr_t obj)
{
	/* relaxed (bit_test_and_set): the bit only decides who queues (and
	 * counts) the object; its contents are read later, and what the marker
	 * needs to see of them the write barrier has already shaded */
	return bit_test_and_set(h->mark_bits, bit_of(h, obj));
}

bool heap_is_marked(struct heap *h, uintptr_t obj)
{
	return bit_get(h->mark_bits, bit_of(h, obj));
}

/* ---- sweeping ---- */

void heap_begin_mark(struct heap *h)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	h->marking = true;
	h->black_bytes = 0;
	spin_unlock_irqrestore(&h->lock, irq);
}

void heap_finish_mark(struct heap *h)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	h->cycle++;
	h->marking = false;
	h->sweep_next = 0;
	spin_unlock_irqrestore(&h->lock, irq);
}

bool heap_sweep_one(struct heap *h, struct sweep_result *r)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	for (uint32_t i = h->sweep_next; i < h->npages; i++) {
		struct span *s = &h->spans[i];
		if (s->npages && s->swept != h->cycle) {
			/* Spans before i are swept, and a span struct reused later
			 * is new, so swept already: resume after this one. */
			h->sweep_next = i + 1;
			span_sweep(h, s, r);
			spin_unlock_irqrestore(&h->lock, irq);
			return true;
		}
	}
	h->sweep_next = h->npages;
	spin_unlock_irqrestore(&h->lock, irq);
	return false;
}

void heap_sweep_all(struct heap *h, struct sweep_result *r)
{
	while (heap_sweep_one(h, r))
		;
}

void heap_for_each_object(struct heap *h,
			  void (*fn)(uintptr_t obj, size_t size, bool marked, bool noscan,
				     void *arg),
			  void *arg)
{
	for (uint32_t i = 0; i < h->npages; i++) {
		struct span *s = &h->spans[i];
		if (!s->npages)
			continue;
		for (uint32_t j = 0; j < s->nelems; j++) {
			uint64_t b = obj_bit(s, j);
			if (bit_get(h->alloc_bits, b))
				fn(s->base + (uintptr_t)j * s->elemsize, s->elemsize,
				   bit_get(h->mark_bits, b), bit_get(h->noscan_bits, b), arg);
		}
	}
}

uint64_t heap_stale_marks(struct heap *h, uintptr_t *first)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < h->npages; i++) {
		struct span *s = &h->spans[i];
		if (!s->npages)
			continue;
		for (uint32_t j = 0; j < s->nelems; j++) {
			if (bit_get(h->mark_bits, obj_bit(s, j))) {
				if (!n++ && first)
					*first = s->base + (uintptr_t)j * s->elemsize;
			}
		}
	}
	return n;
}

static void add_marked(uintptr_t obj, size_t size, bool marked, bool noscan, void *arg)
{
	(void)obj;
	(void)noscan;
	if (marked)
		*(uint64_t *)arg += size;
}

uint64_t heap_marked_bytes(struct heap *h)
{
	uint64_t bytes = 0;
	uint64_t irq = spin_lock_irqsave(&h->lock);
	heap_for_each_object(h, add_marked, &bytes);
	spin_unlock_irqrestore(&h->lock, irq);
	return bytes;
}

uint64_t heap_capacity(struct heap *h)
{
	return (uint64_t)h->page_limit * HEAP_PAGE;
}

uint64_t heap_pages_free(struct heap *h)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	uint64_t n = h->page_limit > h->pages_used ? h->page_limit - h->pages_used : 0;
	spin_unlock_irqrestore(&h->lock, irq);
	return n;
}

void heap_set_poison(struct heap *h, bool on)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	if (on && !h->poison) {
		/* From now on every free slot must hold poison: fill the free
		 * slots of every span (free pages are poisoned when handed out). */
		for (uint32_t i = 0; i < h->npages; i++) {
			struct span *s = &h->spans[i];
			if (!s->npages || s->sizeclass < 0)
				continue;
			for (uint32_t j = 0; j < s->nelems; j++)
				if (!bit_get(h->alloc_bits, obj_bit(s, j)))
					memset((void *)(s->base + (uintptr_t)j * s->elemsize),
					       HEAP_POISON_BYTE, s->elemsize);
		}
	}
	h->poison = on;
	spin_unlock_irqrestore(&h->lock, irq);
}

void heap_set_page_limit(struct heap *h, uint32_t pages)
{
	uint64_t irq = spin_lock_irqsave(&h->lock);
	h->page_limit = pages == 0 || pages > h->npages ? h->npages : pages;
	spin_unlock_irqrestore(&h->lock, irq);
}
