/*
 * cache.c — per-core allocation caches: small objects without the heap's
 * lock (Go's mcache, in small).
 *
 * Each core keeps, for each small size class and for scanned and GC_NOSCAN
 * objects apart, a heap_cache: the free slots of one 64-slot word of a span,
 * taken from the heap in one go (heap_refill, under the heap's lock: the
 * slots are allocated, zeroed, counted live and, while marking, black).
 * gc_alloc then hands them out one at a time: a load of the mask, a few
 * register operations and a store, with no lock and interrupts enabled.  A
 * binary-trees node thus costs the heap's lock once per 64 nodes instead of
 * every time.
 *
 * Who touches a cache: its own core, from task context only (gc_alloc is
 * not for interrupt handlers: it may collect), and tasks move between cores
 * only when they yield, so no other task can come between a pop's load and
 * its store.  A refill runs under the heap's lock with interrupts masked.
 * Stop 1 reads every cache while its core is parked (the stop's handshake
 * orders the core's earlier stores before that read).
 *
 * The invariant the collector needs: an object handed out while a cycle
 * marks is black.  Slots taken while marking are black already.  Slots
 * taken before stop 1 and still in a cache then are made black in stop 1
 * (gc_caches_keep), before the world restarts.  A core parked in the middle
 * of a pop is safe either way: if its store of the mask had not happened,
 * the slot it is taking is still in the mask and is made black; if it had,
 * the slot is an object allocated before the cycle, reachable from that
 * task's registers and stack, like any other.
 *
 * Slots still in a cache are allocated but unreachable: the sweep keeps
 * them because they are marked (kept in stop 1, or black), and the verifier
 * never reaches them.  The caches live in memory the collector does not
 * scan, so a slot handed out and dropped is not kept alive by a stale entry.
 */
#include "gc/internal.h"
#include "kernel/arch/cpu.h"
#include "kernel/trace/trace.h"

#define CACHE_CLASSES 6 /* classes 0..5: 16 to 128 bytes */

/* [core][class][GC_NOSCAN or not] */
static struct heap_cache caches[MAX_CPUS][CACHE_CLASSES][2] GC_NOSCAN_DATA;

/* The lowest slot left in k, taken; 0 if none. */
static uintptr_t pop(struct heap_cache *k)
{
	uint64_t mask = k->mask;
	if (!mask)
		return 0;
	k->mask = mask & (mask - 1);
	return k->base + (uintptr_t)__builtin_ctzll(mask) * k->size;
}

void *gc_cache_alloc(size_t size, unsigned flags)
{
	int c = heap_size_class(size ? size : 1);
	if (c < 0 || c >= CACHE_CLASSES)
		return NULL;
	/* This core's: the task stays on it until it yields (see the top). */
	struct heap_cache *k = &caches[cpu_id()][c][(flags & GC_NOSCAN) != 0];
	uintptr_t p = pop(k);
	if (!p) {
		trace_event(TR_ALLOC_SLOW, (uint32_t)size, TRACE_ALLOC_REFILL, 0);
		if (heap_refill(&gc.heap, c, flags, k))
			p = pop(k);
	}
	return (void *)p;
}

void gc_caches_keep(void)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		for (int c = 0; c < CACHE_CLASSES; c++)
			for (int kind = 0; kind < 2; kind++)
				heap_keep_cached(&gc.heap, &caches[cpu][c][kind]);
}
