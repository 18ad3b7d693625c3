/*
 * verify.c — gcverify=1: check the mark, in stop 2, after mark termination.
 *
 * A second, independent traversal from every root — data/BSS and every task
 * in the live slice, including those created after the snapshot — follows
 * every pointer, with its own "visited" bits.  Every object it reaches must
 * have been marked by the cycle; one that is not would be freed while still
 * reachable.  Any failure is fatal, with the object and where it was reached
 * from.
 *
 * The traversal is as conservative as the marker, so it has the marker's
 * blind spot in reverse: an integer written (without gc_write, as integers
 * are) into an object after the marker scanned it, or into an object
 * allocated black, which the marker never scans, is read by the verifier as
 * a pointer.  If it happens to equal the address of a garbage object, the
 * verifier reports that object.  Keep integers that could look like heap
 * addresses out of scanned objects (GC_NOSCAN objects are never looked in),
 * as the tests do.
 *
 * Poisoning (gcverify=1 turns it on) is the other half: sweeping fills
 * freed objects with HEAP_POISON_BYTE, so a task that reads an object freed
 * under it reads 0xa5a5... (the tests' checksums and magic numbers catch
 * that), and allocation checks that a freed slot is still all poison, so a
 * write into freed memory is reported (heap.c's check_poison, gc_alloc).
 */
#include "gc/internal.h"
#include "kernel/drivers/console.h"
#include "kernel/mm/page.h"
#include "kernel/panic/panic.h"

#include <stdio.h>
#include <string.h>

static uint64_t *visited GC_NOSCAN_DATA; /* one bit per 16 bytes of arena */
static size_t visited_words GC_NOSCAN_DATA;

static const char *root_name GC_NOSCAN_DATA; /* where the current scan started */
static uintptr_t parent GC_NOSCAN_DATA; /* the object being scanned, 0 for a root */
static unsigned failures GC_NOSCAN_DATA;

static bool visit_bit(uintptr_t obj)
{
	uint64_t b = (obj - gc.heap.arena) / HEAP_GRAIN;
	uint64_t m = 1ULL << (b % 64);
	bool was = visited[b / 64] & m;
	visited[b / 64] |= m;
	return was;
}

static void report(uintptr_t obj, size_t size, const char *what)
{
	if (++failures > 8)
		return;
	if (parent)
		kprintf("gcverify: cycle %llu: object %#lx (%zu bytes) %s; reached from object "
			"%#lx (%s) (from %s)\n",
			(unsigned long long)gc.cycle, (unsigned long)obj, size, what,
			(unsigned long)parent,
			heap_is_marked(&gc.heap, parent) ? "marked" : "unmarked", root_name);
	else
		kprintf("gcverify: cycle %llu: object %#lx (%zu bytes) %s; reached from %s\n",
			(unsigned long long)gc.cycle, (unsigned long)obj, size, what, root_name);
}

static void visit(uintptr_t v)
{
	size_t size;
	bool noscan;
	uintptr_t obj = heap_find(&gc.heap, v, &size, &noscan);
	if (!obj || visit_bit(obj))
		return;
	if (!heap_is_marked(&gc.heap, obj))
		report(obj, size, "is reachable but was not marked");
	if (!noscan)
		markq_push(&gc.queue, obj); /* if it overflows, drain() rescans */
}

static void scan_visited(uintptr_t obj)
{
	size_t size;
	if (!heap_find(&gc.heap, obj, &size, NULL))
		return;
	parent = obj;
	scan_range(obj, obj + size, visit);
	parent = 0;
}

static void rescan_visited(uintptr_t obj, size_t size, bool marked, bool noscan, void *arg)
{
	(void)marked;
	(void)size;
	(void)arg;
	uint64_t b = (obj - gc.heap.arena) / HEAP_GRAIN;
	if (!noscan && (visited[b / 64] >> (b % 64) & 1))
		scan_visited(obj);
}

static void drain(void)
{
	uintptr_t batch[64];
	for (;;) {
		size_t n;
		while ((n = markq_pop(&gc.queue, batch, 64)) > 0)
			for (size_t i = 0; i < n; i++)
				scan_visited(batch[i]);
		if (!markq_take_overflow(&gc.queue))
			return;
		heap_for_each_object(&gc.heap, rescan_visited, NULL);
	}
}

void gc_verify_marks(void)
{
	size_t need = ((size_t)gc.heap.npages * BITS_PER_PAGE + 63) / 64;
	if (!visited) {
		uint64_t bytes = (need * 8 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		visited = (uint64_t *)page_alloc(bytes, PAGE_SIZE);
		if (!visited) {
			kprintf(
			    "gcverify: no memory for the visited bits: cycle %llu not verified\n",
			    (unsigned long long)gc.cycle);
			gc.this_cycle.verified = false;
			return;
		}
		visited_words = need;
	}
	memset(visited, 0, visited_words * 8);
	failures = 0;

	root_name = "data/BSS";
	scan_globals(visit);
	drain();
	/* Every task, the new ones too: the world is stopped, and a parked core
	 * holds no irqsave lock, so the slice lock is free. */
	struct tasks_view all = alltasks_snapshot();
	char name[64];
	for (size_t i = 0; i < all.len; i++) {
		struct task *t = all.ptr[i];
		snprintf(name, sizeof name, "task %d '%s' (slot %zu, %s)", t->id, t->name, i,
			 task_state_name(t->state));
		root_name = name;
		scan_task_roots(t, visit, true);
		drain();
	}
	root_name = "?";
	if (failures)
		panic("gcverify: cycle %llu: %u reachable objects were not marked",
		      (unsigned long long)gc.cycle, failures);
	gc.this_cycle.verified = true;
}
