/*
 * barrier.c — the write barrier: Go's hybrid barrier behind one call.
 *
 *   gc_write(&slot, v):  shade(*slot); shade(v); *slot = v;
 *
 * While a cycle marks, every pointer store into the heap or a global goes
 * through here.  Shading the old value (Yuasa's deletion barrier) keeps an
 * object alive that a not-yet-scanned stack may have copied before the store
 * removed it from the heap; shading the new value (Dijkstra's insertion
 * barrier) keeps an object alive that an already-scanned stack stores into
 * the heap.  Together they let each stack be scanned just once (gc.c).
 * Outside marking it costs one load, a branch and the store: gc/write.S,
 * a restartable sequence, so that a stop can never come between the check
 * and the store; only the marking path masks interrupts.
 */
#include "gc/internal.h"
#include "kernel/arch/arch.h"
#include "kernel/irq/irq.h"
#include "kernel/panic/panic.h"

void gc_write_init(void)
{
	/* Without it a stop could split the fast path's check from its store:
	 * a collector that silently loses objects is worse than none. */
	if (irq_add_restartable((uintptr_t)gc_write_seq, (uintptr_t)gc_write_seq_end) != 0)
		panic("gc: the write barrier's restartable sequence could not be registered");
}

/* The barrier was on: shade, then store, with interrupts masked. */
static void write_slow(void *slot, void *value)
{
	uintptr_t *p = slot;
	/* Masked: a stop-the-world cannot come between the check and the store,
	 * so a store is either before stop 2 (fully under the barrier) or after
	 * it (the check below sees the barrier off: marking is over). */
	uint64_t flags = irq_save();
	/* relaxed: barrier changes only while the world is stopped, and the
	 * stop orders it for every core */
	if (__atomic_load_n(&gc.barrier, __ATOMIC_RELAXED)) {
		/* relaxed: per-location coherence is enough.  Every value stored
		 * into the slot while marking was shaded by its writer (the
		 * insertion half below), so only the value the slot held at stop
		 * 1 needs this deletion half.  The writer whose store comes first
		 * in the slot's coherence order read, before its store, a value
		 * coherence-before it: that stop-1 value (the stop made it
		 * visible to every core).  So that writer shaded it, whichever
		 * core it ran on and however stale other cores' views are. */
		gc_shade(__atomic_load_n(p, __ATOMIC_RELAXED));
		gc_shade((uintptr_t)value);
	}
	/* relaxed: a single-copy-atomic store, so a concurrent conservative
	 * scan reads either the old pointer or the new one, never a mix.
	 * Publishing the object to other tasks is the caller's business
	 * (a lock, or a release store of some flag) */
	__atomic_store_n(p, (uintptr_t)value, __ATOMIC_RELAXED);
	irq_restore(flags);
}

void gc_write(void *slot, void *value)
{
	if (gc_write_fast(slot, value, &gc.barrier))
		write_slow(slot, value);
}
