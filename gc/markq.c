/*
 * markq.c — the mark queue (see markq.h).
 */
#include "gc/markq.h"

#include <string.h>

void markq_init(struct markq *q, void *mem, size_t size)
{
	memset(q, 0, sizeof *q);
	q->lock = (struct spinlock)SPINLOCK_INIT("gc-markq");
	struct markq_chunk *c = mem;
	for (size_t i = 0; i < size / sizeof *c; i++) {
		c[i].next = q->free;
		c[i].n = 0;
		q->free = &c[i];
		q->nchunks++;
	}
	q->chunks_free = q->nchunks;
}

bool markq_push(struct markq *q, uintptr_t obj)
{
	uint64_t irq = spin_lock_irqsave(&q->lock);
	struct markq_chunk *c = q->top;
	if (!c || c->n == MARKQ_CHUNK_ENTRIES) {
		c = q->free;
		if (!c) {
			q->overflowed = true;
			spin_unlock_irqrestore(&q->lock, irq);
			return false;
		}
		q->free = c->next;
		q->chunks_free--;
		c->n = 0;
		c->next = q->top;
		q->top = c;
	}
	c->obj[c->n++] = obj;
	/* relaxed: written under the lock; markq_len peeks without it */
	__atomic_store_n(&q->len, q->len + 1, __ATOMIC_RELAXED);
	if (q->len > q->high_water)
		q->high_water = q->len;
	spin_unlock_irqrestore(&q->lock, irq);
	return true;
}

size_t markq_pop(struct markq *q, uintptr_t *out, size_t max)
{
	size_t got = 0;
	uint64_t irq = spin_lock_irqsave(&q->lock);
	while (got < max && q->top) {
		struct markq_chunk *c = q->top;
		while (got < max && c->n > 0)
			out[got++] = c->obj[--c->n];
		if (c->n == 0) {
			q->top = c->next;
			c->next = q->free;
			q->free = c;
			q->chunks_free++;
		}
	}
	/* relaxed: as in markq_push */
	__atomic_store_n(&q->len, q->len - got, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&q->lock, irq);
	return got;
}

size_t markq_len(struct markq *q)
{
	/* relaxed: a hint; whoever needs the truth pops under the lock */
	return __atomic_load_n(&q->len, __ATOMIC_RELAXED);
}

bool markq_take_overflow(struct markq *q)
{
	uint64_t irq = spin_lock_irqsave(&q->lock);
	bool o = q->overflowed;
	q->overflowed = false;
	spin_unlock_irqrestore(&q->lock, irq);
	return o;
}
