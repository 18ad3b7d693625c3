/*
 * markq.h — the mark queue: the grey objects, waiting to be scanned.
 *
 * One queue for the whole machine, under one lock: markers on every core and
 * the write barrier push, markers pop in batches so the lock is taken once per
 * batch, not once per object.  It is a stack of chunks; chunks come from a
 * pool fixed at start-up, so pushing never allocates (the write barrier runs
 * everywhere, even with interrupts masked).
 *
 * When the pool runs dry the push fails: the object stays marked (it was
 * marked before it was pushed) but nobody will scan it.  The queue remembers
 * that it overflowed; the collector then rescans every marked object of the
 * heap (gc/mark.c), which finds every such object again.  Slow, but correct
 * and bounded, and it needs no memory.
 */
#ifndef GC_MARKQ_H
#define GC_MARKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/spinlock.h"

#define MARKQ_CHUNK_BYTES   4096
#define MARKQ_CHUNK_ENTRIES ((MARKQ_CHUNK_BYTES - 16) / 8)

struct markq_chunk {
	struct markq_chunk *next;
	uint64_t n; /* entries used */
	uintptr_t obj[MARKQ_CHUNK_ENTRIES];
};

struct markq {
	struct spinlock lock;
	struct markq_chunk *top; /* the stack of non-empty chunks */
	struct markq_chunk *free; /* the pool */
	size_t len; /* objects queued */
	size_t nchunks, chunks_free;
	bool overflowed; /* a push failed since the last markq_take_overflow */
	size_t high_water; /* most objects ever queued at once */
};

/* Set up q with the chunks in [mem, mem + size). */
void markq_init(struct markq *q, void *mem, size_t size);
/* Queue obj; false (and the overflow flag set) if the pool is exhausted. */
bool markq_push(struct markq *q, uintptr_t obj);
/* Take up to max objects into out; returns how many. */
size_t markq_pop(struct markq *q, uintptr_t *out, size_t max);
/* Objects queued now (a racy peek without the lock is fine for a hint). */
size_t markq_len(struct markq *q);
/* Did a push fail since the last call?  Clears the flag. */
bool markq_take_overflow(struct markq *q);

#endif
