/*
 * test_alltasks.c — kernel/task/alltasks.c: the global task slice (Go's allgs).
 *
 * kernel/task/alltasks.c is compiled unchanged against the stand-ins in
 * tests/host/shim/ (a counting no-op spinlock and a task that is only a slot),
 * single-threaded.  Covered: alltasks_next_cap (the first capacity, doubling,
 * a need past double, overflow near SIZE_MAX giving 0, against a 128-bit
 * reference); appends in order through several growths, with every view
 * (snapshot, racy, unordered, locked iteration, stats) agreeing after each;
 * the growth protocol as the hook sees it (the four steps in order, a zeroed
 * new array, the copy before the pointer is published, the pointer before the
 * length, readers seeing the old header until then); old arrays never freed
 * nor changed; an allocation failure (calloc made to fail through the
 * linker's --wrap) leaving everything as it was.
 *
 * The slice is global state that the tests share, so each test works relative
 * to what it finds: it never assumes an empty slice or a given capacity.  One
 * invariant holds throughout: the slice lists exactly &pool[0], &pool[1], ...
 * in that order, because every task the tests add successfully comes from
 * pool[] in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel/task/alltasks.h"
#include "kernel/task/task.h" /* the shim's */
#include "tests/host/hosttest.h"

int shim_locks_held; /* declared in shim/kernel/arch/spinlock.h */

/* ---- calloc, wrapped (-Wl,--wrap=calloc) so that a test can make it fail ---- */

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int calloc_calls;
static bool calloc_fail_next;

void *__wrap_calloc(size_t n, size_t size)
{
	calloc_calls++;
	if (calloc_fail_next) {
		calloc_fail_next = false;
		return NULL;
	}
	return __real_calloc(n, size);
}

/* ---- the tasks: every one ever added, in slot order ---- */

#define POOL 8192
static struct task pool[POOL];
static size_t pool_used; /* == the slice's length, always */

static struct task *new_task(void)
{
	assert_true(pool_used < POOL);
	struct task *t = &pool[pool_used];
	t->slot = -7; /* alltasks_add must overwrite it */
	return t;
}

/* Add the next pool task; check the slot and the lock. */
static void add_next(void)
{
	struct task *t = new_task();
	assert_int_equal(alltasks_add(t), 0);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(t->slot, (int)pool_used);
	pool_used++;
}

static size_t cur_len(void)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	return len;
}

static size_t cur_cap(void)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	return cap;
}

/* Add tasks until the slice is full, so that the next add grows it. */
static void fill_to_capacity(void)
{
	while (cur_len() < cur_cap())
		add_next();
	assert_int_equal(cur_len(), cur_cap());
}

/* ---- the hook: records every step, and every backing array ever made ---- */

/* Every array the slice has had, oldest first, with its capacity.  Besides the
 * checks, this keeps the retired arrays reachable: the kernel never frees them
 * (by design), and LeakSanitizer would otherwise report them at exit. */
#define MAX_ARRAYS 64
static struct task **arrays_seen[MAX_ARRAYS];
static size_t arrays_cap[MAX_ARRAYS];
static size_t narrays_seen;

/* What the hook saw at one step, checked afterwards (asserting inside the
 * hook would longjmp out of the kernel code with its lock held). */
struct step_record {
	enum alltasks_step step;
	struct task **array;
	size_t len;
	int locks_held;
	size_t nonnull; /* growth steps: non-NULL entries in the whole new array */
	bool prefix_ok; /* entries [0, len) are &pool[0..len) */
	struct tasks_view racy; /* what a lock-free reader would see now */
};

#define MAX_STEPS 16
static struct step_record steps[MAX_STEPS];
static int nsteps; /* keeps counting past MAX_STEPS */

static bool entries_are_pool(struct task **a, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (a[i] != &pool[i])
			return false;
	return true;
}

static void record_hook(enum alltasks_step step, struct task **a, size_t len)
{
	/* A growth happens only when the slice is full, so during one the old
	 * capacity is len and the new array's is next_cap(len, len + 1).  (The
	 * hook cannot ask alltasks_stats: the lock is held.) */
	bool growing = step != GROW_PUBLISHED_LEN;
	size_t newcap = growing ? alltasks_next_cap(len, len + 1) : 0;

	if (step == GROW_ALLOCATED && narrays_seen < MAX_ARRAYS) {
		arrays_seen[narrays_seen] = a;
		arrays_cap[narrays_seen] = newcap;
		narrays_seen++;
	}
	if (nsteps < MAX_STEPS) {
		struct step_record *r = &steps[nsteps];
		r->step = step;
		r->array = a;
		r->len = len;
		r->locks_held = shim_locks_held;
		r->nonnull = 0;
		for (size_t i = 0; i < newcap; i++) /* ASan: the array is that big */
			r->nonnull += a[i] != NULL;
		r->prefix_ok = entries_are_pool(a, 0, len);
		r->racy = alltasks_racy(); /* lock-free: fine under the lock */
	}
	nsteps++;
}

static void reset_steps(void)
{
	nsteps = 0;
	memset(steps, 0, sizeof steps);
}

/* calloc calls that the tests made fail (they allocate no array). */
static int calloc_failures;

/* Every view of the slice agrees with pool[0..pool_used), and every array the
 * slice ever had still holds what it held when it was retired. */
static void verify_views(void)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(len, pool_used);
	assert_true(len <= cap);
	assert_int_equal(arrays, narrays_seen);
	assert_int_equal(calloc_calls - calloc_failures, (int)narrays_seen);

	struct tasks_view v = alltasks_snapshot();
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(v.len, len);
	if (narrays_seen == 0) {
		assert_int_equal(cap, 0);
		assert_null(v.ptr);
	} else {
		/* The live array is the newest one, and as big as stats says. */
		assert_ptr_equal(v.ptr, arrays_seen[narrays_seen - 1]);
		assert_int_equal(cap, arrays_cap[narrays_seen - 1]);
		for (size_t i = 0; i < len; i++)
			assert_non_null(v.ptr[i]);
		assert_true(entries_are_pool(v.ptr, 0, len));
		for (size_t i = len; i < cap; i++) /* the unused tail: still zero */
			assert_null(v.ptr[i]);
	}

	/* Single-threaded, the lock-free readers see the same header. */
	struct tasks_view r = alltasks_racy();
	assert_ptr_equal(r.ptr, v.ptr);
	assert_int_equal(r.len, v.len);
	struct tasks_view u = alltasks_unordered();
	assert_ptr_equal(u.ptr, v.ptr);
	assert_int_equal(u.len, v.len);

	/* Retired arrays were full when retired, and are never freed or changed:
	 * reading them all is fine under ASan and gives the same tasks. */
	for (size_t k = 0; k + 1 < narrays_seen; k++)
		assert_true(entries_are_pool(arrays_seen[k], 0, arrays_cap[k]));
}

/* Locked iteration: every task, in order, with the lock held. */
struct visit {
	size_t n;
	bool bad;
};

static void visit_one(struct task *t, void *arg)
{
	struct visit *v = arg;
	if (shim_locks_held != 1 || t != &pool[v->n] || t->slot != (int)v->n)
		v->bad = true;
	v->n++;
}

static void verify_for_each(void)
{
	struct visit v = {0, false};
	alltasks_for_each_locked(visit_one, &v);
	assert_int_equal(shim_locks_held, 0);
	assert_false(v.bad);
	assert_int_equal(v.n, pool_used);
}

/* ---- alltasks_next_cap ---- */

/* The rule, computed without any chance of overflow. */
static size_t ref_next_cap(size_t cap, size_t need)
{
	unsigned __int128 n = cap ? (unsigned __int128)cap * 2 : 16;
	while (n < need)
		n *= 2;
	return n > SIZE_MAX ? 0 : (size_t)n;
}

static void test_next_cap_first_growth(void **state)
{
	(void)state;
	assert_int_equal(alltasks_next_cap(0, 0), 16);
	assert_int_equal(alltasks_next_cap(0, 1), 16);
	assert_int_equal(alltasks_next_cap(0, 16), 16);
	assert_int_equal(alltasks_next_cap(0, 17), 32);
	assert_int_equal(alltasks_next_cap(0, 1000), 1024);
}

static void test_next_cap_doubles(void **state)
{
	(void)state;
	for (size_t cap = 1; cap <= 5000; cap++) {
		/* Any need up to double: exactly double. */
		assert_int_equal(alltasks_next_cap(cap, 0), 2 * cap);
		assert_int_equal(alltasks_next_cap(cap, cap), 2 * cap);
		assert_int_equal(alltasks_next_cap(cap, cap + 1), 2 * cap);
		assert_int_equal(alltasks_next_cap(cap, 2 * cap), 2 * cap);
		/* One more: doubled again. */
		assert_int_equal(alltasks_next_cap(cap, 2 * cap + 1), 4 * cap);
	}
	/* Growth after growth from empty: 16, 32, 64, ... each at least double. */
	size_t cap = 0;
	for (int i = 0; i < 20; i++) {
		size_t next = alltasks_next_cap(cap, cap + 1);
		assert_int_equal(next, (size_t)16 << i);
		assert_true(next >= 2 * cap);
		cap = next;
	}
}

static void test_next_cap_need_jumps(void **state)
{
	(void)state;
	/* A need past double keeps doubling until it fits: cap times a power of
	 * two, the smallest one that holds need. */
	assert_int_equal(alltasks_next_cap(16, 33), 64);
	assert_int_equal(alltasks_next_cap(16, 64), 64);
	assert_int_equal(alltasks_next_cap(16, 65), 128);
	assert_int_equal(alltasks_next_cap(16, 1024), 1024);
	assert_int_equal(alltasks_next_cap(16, 1025), 2048);
	assert_int_equal(alltasks_next_cap(3, 100), 192);
	assert_int_equal(alltasks_next_cap(1, 1u << 30), (size_t)1 << 30);
}

static void test_next_cap_overflow(void **state)
{
	(void)state;
	const size_t half = SIZE_MAX / 2; /* 2^63 - 1 */
	const size_t top = half + 1; /* 2^63: the biggest power of two */

	/* Doubling that would wrap gives 0, never a small number. */
	assert_int_equal(alltasks_next_cap(top, 0), 0);
	assert_int_equal(alltasks_next_cap(top, 1), 0);
	assert_int_equal(alltasks_next_cap(SIZE_MAX, 0), 0);
	assert_int_equal(alltasks_next_cap(SIZE_MAX - 1, SIZE_MAX), 0);
	/* The last doubling that fits. */
	assert_int_equal(alltasks_next_cap(half, 0), SIZE_MAX - 1);
	assert_int_equal(alltasks_next_cap(top / 2, 0), top);
	/* A need that only 2^64 would hold. */
	assert_int_equal(alltasks_next_cap(16, SIZE_MAX), 0);
	assert_int_equal(alltasks_next_cap(0, SIZE_MAX), 0);
	assert_int_equal(alltasks_next_cap(16, top + 1), 0);
	assert_int_equal(alltasks_next_cap(16, top), top);
	assert_int_equal(alltasks_next_cap(0, top), top);
	/* Not a power of two: 3 * 2^62 fits, one more than that does not. */
	assert_int_equal(alltasks_next_cap(3, top), (size_t)3 << 62);
	assert_int_equal(alltasks_next_cap(3, ((size_t)3 << 62) + 1), 0);

	/* Against the reference, at every magnitude. */
	uint32_t seed = 0x5eed1234;
	for (int i = 0; i < 200000; i++) {
		uint64_t a = (uint64_t)ht_rand(&seed) << 32 | ht_rand(&seed);
		uint64_t b = (uint64_t)ht_rand(&seed) << 32 | ht_rand(&seed);
		size_t cap = (size_t)(a >> (ht_rand(&seed) % 64));
		size_t need = (size_t)(b >> (ht_rand(&seed) % 64));
		if (i % 4 == 0)
			cap = 0;
		size_t got = alltasks_next_cap(cap, need);
		if (got != ref_next_cap(cap, need))
			fail_msg("next_cap(%zu, %zu) = %zu, want %zu", cap, need, got,
				 ref_next_cap(cap, need));
		if (got) {
			assert_true(got >= need);
			assert_true(got >= (cap ? cap : 8) * 2);
		}
	}
}

/* ---- appending ---- */

static void test_add_in_order(void **state)
{
	(void)state;
	verify_views();
	/* Enough to cross several growths whatever the starting point. */
	for (int i = 0; i < 300; i++) {
		size_t arrays_before = narrays_seen;
		int calls_before = calloc_calls;
		add_next();
		/* A growth allocates exactly one array; other adds allocate none. */
		assert_true(narrays_seen == arrays_before || narrays_seen == arrays_before + 1);
		assert_int_equal(calloc_calls - calls_before, (int)(narrays_seen - arrays_before));
		verify_views();
	}
	verify_for_each();
}

/* The steps of growths, as the hook sees them: twice, so that at least one
 * growth copies a non-empty array. */
static void test_growth_hook_steps(void **state)
{
	(void)state;
	for (int round = 0; round < 2; round++) {
		fill_to_capacity();
		verify_views();
		struct tasks_view old = alltasks_snapshot();
		size_t n = old.len;

		reset_steps();
		add_next();
		assert_int_equal(nsteps, 4);
		struct task **a = steps[0].array;
		assert_non_null(a);
		assert_ptr_not_equal(a, old.ptr);
		static const enum alltasks_step order[] = {GROW_ALLOCATED, GROW_COPIED,
							   GROW_PUBLISHED_PTR, GROW_PUBLISHED_LEN};
		for (int i = 0; i < 4; i++) {
			assert_int_equal(steps[i].step, order[i]);
			assert_ptr_equal(steps[i].array, a);
			assert_int_equal(steps[i].locks_held, 1);
			assert_int_equal(steps[i].len, i < 3 ? n : n + 1);
		}

		/* 1. allocated: zeroed, and nobody can see it yet. */
		assert_int_equal(steps[0].nonnull, 0);
		assert_ptr_equal(steps[0].racy.ptr, old.ptr);
		assert_int_equal(steps[0].racy.len, n);
		/* 2. copied (write A): the old entries, nothing else; still unseen. */
		assert_true(steps[1].prefix_ok);
		assert_int_equal(steps[1].nonnull, n);
		assert_ptr_equal(steps[1].racy.ptr, old.ptr);
		assert_int_equal(steps[1].racy.len, n);
		/* 3. pointer published (write B), after the copy; the old length. */
		assert_true(steps[2].prefix_ok);
		assert_int_equal(steps[2].nonnull, n);
		assert_ptr_equal(steps[2].racy.ptr, a);
		assert_int_equal(steps[2].racy.len, n);
		/* 4. the entry written, then the new length published. */
		assert_true(steps[3].prefix_ok); /* covers the new entry, pool[n] */
		assert_ptr_equal(steps[3].racy.ptr, a);
		assert_int_equal(steps[3].racy.len, n + 1);

		/* The old array was not freed (ASan would object to this read) and
		 * holds what it held. */
		assert_true(entries_are_pool(old.ptr, 0, n));
		verify_views();
	}
}

static void test_add_without_growth(void **state)
{
	(void)state;
	if (cur_len() == cur_cap())
		add_next(); /* grow now, so the add below does not */
	verify_views();
	struct tasks_view old = alltasks_snapshot();
	int calls_before = calloc_calls;

	reset_steps();
	add_next();
	assert_int_equal(calloc_calls, calls_before);
	/* No growth step.  (GROW_PUBLISHED_LEN may or may not be reported for an
	 * add that does not grow: alltasks.c reports it for every add today.) */
	assert_true(nsteps <= 1);
	if (nsteps == 1) {
		assert_int_equal(steps[0].step, GROW_PUBLISHED_LEN);
		assert_ptr_equal(steps[0].array, old.ptr);
		assert_int_equal(steps[0].len, old.len + 1);
		assert_true(steps[0].prefix_ok);
	}
	struct tasks_view v = alltasks_snapshot();
	assert_ptr_equal(v.ptr, old.ptr);
	assert_int_equal(v.len, old.len + 1);
	verify_views();
	verify_for_each();
}

static void test_alloc_failure(void **state)
{
	(void)state;
	/* With room left, no allocation happens, so a failing calloc is moot. */
	if (cur_len() == cur_cap())
		add_next();
	calloc_fail_next = true;
	add_next();
	assert_true(calloc_fail_next); /* not consumed: calloc was not called */
	calloc_fail_next = false;

	/* Full: the add must grow, and the allocation fails. */
	fill_to_capacity();
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	struct tasks_view old = alltasks_snapshot();
	struct task extra = {.slot = -7};

	reset_steps();
	calloc_fail_next = true;
	assert_int_equal(alltasks_add(&extra), -1);
	assert_false(calloc_fail_next);
	calloc_failures++;
	assert_int_equal(shim_locks_held, 0);
	assert_int_equal(extra.slot, -7); /* not listed, so no slot */
	assert_int_equal(nsteps, 0); /* failed before step 1 */
	size_t len2, cap2, arrays2;
	alltasks_stats(&len2, &cap2, &arrays2);
	assert_int_equal(len2, len);
	assert_int_equal(cap2, cap);
	assert_int_equal(arrays2, arrays);
	struct tasks_view v = alltasks_snapshot();
	assert_ptr_equal(v.ptr, old.ptr);
	assert_int_equal(v.len, old.len);
	verify_views();

	/* And the slice recovers: the next add grows it. */
	add_next();
	assert_int_equal(narrays_seen, arrays + 1);
	verify_views();
	verify_for_each();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_cap_first_growth), cmocka_unit_test(test_next_cap_doubles),
	    cmocka_unit_test(test_next_cap_need_jumps),	  cmocka_unit_test(test_next_cap_overflow),
	    cmocka_unit_test(test_add_in_order),	  cmocka_unit_test(test_growth_hook_steps),
	    cmocka_unit_test(test_add_without_growth),	  cmocka_unit_test(test_alloc_failure),
	};
	/* Installed before the first add, so the hook sees every array the slice
	 * ever has; the tests read what it recorded. */
	alltasks_grow_hook = record_hook;
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
