/*
 * test_markq.c — gc/markq.c: the mark queue (a stack of chunks from a fixed
 * pool).
 *
 * gc/markq.c is compiled unchanged against the counting no-op spinlock in
 * tests/host/shim/, single-threaded; after every call the tests check that no
 * lock is left held.  Order is not part of the contract, so the tests check
 * what is: every object pushed successfully is popped exactly once, and
 * nothing else is.  Covered: markq_init (chunk count from the pool's size,
 * a partial chunk ignored, an empty pool, a dirty struct and pool); pushes and
 * pops in batches of every interesting size (1, a chunk, more than a chunk,
 * more than is queued, 0, and from an empty queue), across chunk boundaries
 * (MARKQ_CHUNK_ENTRIES); markq_len and high_water; overflow: the push that
 * finds the pool empty fails, leaves the queue as it was and sets the flag
 * that markq_take_overflow reports once; chunks reused after popping, with the
 * full capacity available again; and a randomized run (fixed seed) of pushes
 * and pops against a model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gc/markq.h"
#include "tests/host/hosttest.h"

int shim_locks_held; /* declared in shim/kernel/arch/spinlock.h */

#define E MARKQ_CHUNK_ENTRIES

/* Objects are 0x10000 + 16 * id, so a popped value names the push. */
#define OBJ(id) ((uintptr_t)0x10000 + 16 * (uintptr_t)(id))
#define MAX_IDS (16 * E)
#define ID(obj) (((obj)-0x10000) / 16)
#define CANARY	((uintptr_t)0xdeadbeefcafef00dULL)

struct qfx {
	struct markq q;
	void *pool;
	size_t nchunks;
	/* id -> times pushed successfully minus times popped */
	int queued[MAX_IDS];
	size_t len; /* the model's length */
	size_t high;
	uint32_t next_id;
};

static struct qfx *qfx_new(size_t nchunks, size_t extra)
{
	struct qfx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	size_t size = nchunks * sizeof(struct markq_chunk) + extra;
	/* malloc(0) may give NULL; the queue never looks at it then */
	f->pool = malloc(size ? size : 1);
	assert_non_null(f->pool);
	memset(f->pool, 0xee, size ? size : 1); /* markq_init must not trust it */
	memset(&f->q, 0xee, sizeof f->q);
	f->nchunks = nchunks;
	markq_init(&f->q, f->pool, size);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(f->q.nchunks, nchunks);
	assert_int_equal(f->q.chunks_free, nchunks);
	assert_int_equal(f->q.len, 0);
	assert_int_equal(f->q.high_water, 0);
	assert_false(f->q.overflowed);
	assert_int_equal(markq_len(&f->q), 0);
	return f;
}

static void qfx_free(struct qfx *f)
{
	free(f->pool);
	free(f);
}

static size_t cap(const struct qfx *f)
{
	return f->nchunks * E;
}

static void check_len(struct qfx *f)
{
	assert_int_equal(markq_len(&f->q), f->len);
	assert_int_equal(f->q.len, f->len);
	assert_int_equal(f->q.high_water, f->high);
	assert_int_equal(shim_locks_held, 0);
}

/* Push a new object; the model says whether it must fit. */
static bool push(struct qfx *f)
{
	uint32_t id = f->next_id++ % MAX_IDS;
	bool ok = markq_push(&f->q, OBJ(id));
	assert_int_equal(shim_locks_held, 0);
	/* Only the top chunk is ever partly empty, so the pool holds exactly
	 * nchunks * MARKQ_CHUNK_ENTRIES objects. */
	assert_int_equal(ok, f->len < cap(f));
	if (ok) {
		f->queued[id]++;
		f->len++;
		if (f->len > f->high)
			f->high = f->len;
	}
	check_len(f);
	return ok;
}

static void push_n(struct qfx *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_true(push(f));
}

/* Pop up to max; check the batch against the model. */
static size_t pop(struct qfx *f, size_t max)
{
	uintptr_t *out = malloc((max + 1) * sizeof *out);
	assert_non_null(out);
	for (size_t i = 0; i <= max; i++)
		out[i] = CANARY;
	size_t got = markq_pop(&f->q, out, max);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(got, max < f->len ? max : f->len);
	for (size_t i = 0; i < got; i++) {
		uintptr_t o = out[i];
		assert_true(o >= OBJ(0) && o < OBJ(MAX_IDS) && (o - OBJ(0)) % 16 == 0);
		assert_true(f->queued[ID(o)] > 0); /* pushed, and not popped yet */
		f->queued[ID(o)]--;
	}
	for (size_t i = got; i <= max; i++)
		assert_true(out[i] == CANARY); /* nothing written past the batch */
	f->len -= got;
	free(out);
	check_len(f);
	return got;
}

static void drain(struct qfx *f)
{
	while (pop(f, 37) > 0)
		;
	assert_int_equal(f->len, 0);
	for (size_t i = 0; i < MAX_IDS; i++)
		assert_int_equal(f->queued[i], 0); /* every push popped exactly once */
	assert_int_equal(f->q.chunks_free, f->nchunks);
	assert_null(f->q.top);
}

static bool take_overflow(struct qfx *f)
{
	bool o = markq_take_overflow(&f->q);
	assert_int_equal(shim_locks_held, 0);
	return o;
}

/* ---- tests ---- */

static void test_init(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(3, sizeof(struct markq_chunk) - 1); /* a partial chunk: unused */
	assert_int_equal(f->q.nchunks, 3);
	assert_null(f->q.top);
	assert_false(take_overflow(f));
	/* Popping from an empty queue gives nothing, and writes nothing. */
	assert_int_equal(pop(f, 10), 0);
	assert_int_equal(pop(f, 0), 0);
	assert_int_equal(markq_pop(&f->q, NULL, 0), 0);
	assert_int_equal(shim_locks_held, 0);
	assert_false(take_overflow(f));
	qfx_free(f);

	f = qfx_new(1, 0);
	assert_int_equal(f->q.nchunks, 1);
	qfx_free(f);
}

static void test_push_pop_once(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(4, 0);
	push_n(f, 1);
	assert_int_equal(pop(f, 1), 1);
	assert_int_equal(pop(f, 1), 0);

	push_n(f, 10);
	assert_int_equal(pop(f, 100), 10); /* max larger than len */
	assert_int_equal(pop(f, 100), 0);

	/* Many, over several chunks, popped in batches of many sizes. */
	push_n(f, 3 * E + 17);
	static const size_t batches[] = {1, 0, 7, E, E + 1, 2, E - 1, 1000, 3};
	for (size_t i = 0; f->len > 0; i++)
		pop(f, batches[i % (sizeof batches / sizeof batches[0])]);
	drain(f);
	assert_int_equal(f->q.high_water, 3 * E + 17);
	assert_false(take_overflow(f));
	qfx_free(f);
}

static void test_chunk_boundaries(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(3, 0);
	push_n(f, E); /* exactly one chunk */
	assert_int_equal(f->q.chunks_free, 2);
	push_n(f, 1); /* the first object of the second */
	assert_int_equal(f->q.chunks_free, 1);
	assert_int_equal(pop(f, 1), 1); /* the second chunk empties: back to the pool */
	assert_int_equal(f->q.chunks_free, 2);
	push_n(f, 1);
	assert_int_equal(pop(f, 2), 2); /* a batch across the boundary */
	assert_int_equal(f->q.chunks_free, 2);
	assert_int_equal(f->len, E - 1);
	assert_int_equal(pop(f, E - 1), E - 1);
	assert_int_equal(f->q.chunks_free, 3);

	/* A batch spanning three chunks at once. */
	push_n(f, 2 * E + 5);
	assert_int_equal(f->q.chunks_free, 0);
	assert_int_equal(pop(f, E + 10), E + 10); /* 5, then E, then 5 */
	assert_int_equal(f->q.chunks_free, 2);
	assert_int_equal(pop(f, 3 * E), E - 5);
	drain(f);
	qfx_free(f);
}

static void test_high_water(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(2, 0);
	push_n(f, 5);
	pop(f, 3);
	push_n(f, 2);
	assert_int_equal(f->q.high_water, 5); /* len is 4 */
	push_n(f, 10);
	assert_int_equal(f->q.high_water, 14);
	drain(f);
	assert_int_equal(f->q.high_water, 14); /* a maximum: popping keeps it */
	push_n(f, 3);
	assert_int_equal(f->q.high_water, 14);
	drain(f);
	qfx_free(f);
}

static void test_overflow(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(2, 0);
	push_n(f, 2 * E);
	assert_false(take_overflow(f));
	assert_int_equal(f->q.chunks_free, 0);
	uintptr_t top = f->q.top->obj[E - 1];

	/* Full: the push fails, the queue is unchanged, the flag is set once. */
	assert_false(push(f));
	assert_int_equal(f->len, 2 * E);
	assert_int_equal(f->q.top->obj[E - 1], top);
	assert_true(take_overflow(f));
	assert_false(take_overflow(f));
	assert_false(push(f));
	assert_false(push(f));
	assert_true(take_overflow(f)); /* once, however many failed */
	assert_false(take_overflow(f));
	assert_int_equal(f->q.high_water, 2 * E);

	/* Room in the top chunk again: pushes succeed without the pool. */
	pop(f, 3);
	push_n(f, 3);
	assert_false(push(f));
	assert_true(take_overflow(f));

	/* Emptied, the chunks are reused: the full capacity is there again,
	 * and the objects that did not fit were never queued (drain checks). */
	drain(f);
	push_n(f, 2 * E);
	assert_false(take_overflow(f));
	assert_false(push(f));
	drain(f);
	assert_true(take_overflow(f));
	qfx_free(f);
}

/* No pool at all: every push overflows. */
static void test_empty_pool(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(0, sizeof(struct markq_chunk) - 8);
	assert_int_equal(f->q.nchunks, 0);
	assert_false(push(f));
	assert_int_equal(f->len, 0);
	assert_int_equal(pop(f, 5), 0);
	assert_true(take_overflow(f));
	assert_false(take_overflow(f));
	qfx_free(f);

	f = qfx_new(0, 0);
	assert_false(push(f));
	assert_true(take_overflow(f));
	qfx_free(f);
}

/* Random pushes and pops against the model, overflowing now and then. */
static void test_random(void **state)
{
	(void)state;
	struct qfx *f = qfx_new(3, 100);
	uint32_t seed = 0x2545f491;
	size_t overflows = 0, pops = 0;
	bool failed = false;
	for (int step = 0; step < 20000; step++) {
		uint32_t r = ht_rand(&seed);
		if (r % 100 < 55) {
			/* a burst of pushes */
			for (uint32_t i = 0, n = 1 + (r >> 8) % (E / 2); i < n; i++)
				failed |= !push(f);
		} else {
			size_t max = (r >> 8) % 4 == 0 ? (r >> 12) % (2 * E) : (r >> 12) % 64;
			pop(f, max);
			pops++;
		}
		if ((r >> 20) % 8 == 0) {
			bool o = take_overflow(f);
			assert_int_equal(o, failed);
			overflows += o;
			failed = false;
		}
	}
	assert_int_equal(take_overflow(f), failed);
	drain(f);
	/* The run did reach the limit, and popped in between. */
	assert_true(overflows > 10);
	assert_true(pops > 1000);
	assert_int_equal(f->q.high_water, cap(f));
	qfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_push_pop_once),
	    cmocka_unit_test(test_chunk_boundaries),
	    cmocka_unit_test(test_high_water),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_empty_pool),
	    cmocka_unit_test(test_random),
	};
	ht_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
