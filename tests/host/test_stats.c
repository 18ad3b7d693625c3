/*
 * test_stats.c — kernel/lib/stats.c: sorting samples and the one percentile
 * rule (index n * pct / 100, rounded down, the last one past the end) that
 * the stop's summary, the benchmarks and the collector's pause table print.
 *
 * Covers: sorting against a reference insertion sort (random sets, many
 * duplicates, values near UINT64_MAX, where a subtracting comparison would
 * overflow, already sorted and reversed input, n of 0 and 1); the rule at
 * pct 0, 50, 99 and 100 for odd and even n, one sample, no sample, and a pct
 * above 100; the summary's four figures.  Every array is a heap block of
 * exactly its size, so ASan reports a read or write past either end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel/lib/stats.h"
#include "tests/host/hosttest.h"

static uint64_t *array(size_t n)
{
	uint64_t *v = malloc(n ? n * sizeof *v : 1);
	assert_non_null(v);
	return v;
}

/* The reference: insertion sort, too slow for the kernel, obviously right. */
static void insertion_sort(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Sort a copy of v with both sorts; they must agree. */
static void check_sort(const uint64_t *v, size_t n)
{
	uint64_t *got = array(n), *want = array(n);
	memcpy(got, v, n * sizeof *v);
	memcpy(want, v, n * sizeof *v);
	stats_sort_u64(got, n);
	insertion_sort(want, n);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("n=%zu: index %zu is %llu, expected %llu", n, i,
				 (unsigned long long)got[i], (unsigned long long)want[i]);
	free(got);
	free(want);
}

static void test_sort_random(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 100, 1000, 4096};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		uint64_t *v = array(n);
		for (size_t i = 0; i < n; i++)
			v[i] = (uint64_t)ht_rand(&seed) << 32 | ht_rand(&seed);
		check_sort(v, n);
		for (size_t i = 0; i < n; i++)
			v[i] = ht_rand(&seed) % 4; /* many duplicates */
		check_sort(v, n);
		free(v);
	}
}

/* x - y as an int would get these wrong. */
static void test_sort_extremes(void **state)
{
	(void)state;
	uint64_t v[] = {UINT64_MAX, 0, UINT64_MAX - 1, 1, 1ULL << 63, (1ULL << 63) - 1, 0};
	size_t n = sizeof v / sizeof v[0];
	uint64_t *a = array(n);
	memcpy(a, v, sizeof v);
	stats_sort_u64(a, n);
	uint64_t want[] = {0, 0, 1, (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX - 1, UINT64_MAX};
	assert_memory_equal(a, want, sizeof want);
	free(a);
}

static void test_sort_ordered_and_reversed(void **state)
{
	(void)state;
	for (size_t k = 2; k <= 4; k++) { /* the smallest sets that need a sort */
		uint64_t *a = array(k);
		for (size_t i = 0; i < k; i++)
			a[i] = k - i;
		stats_sort_u64(a, k);
		for (size_t i = 0; i < k; i++)
			assert_int_equal(a[i], i + 1);
		free(a);
	}
	size_t n = 1000;
	uint64_t *v = array(n);
	for (size_t i = 0; i < n; i++)
		v[i] = i * 3;
	check_sort(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (n - i) * 3;
	check_sort(v, n);
	free(v);
}

/* sorted[i] = 10 * i + 10, so a figure names the index it came from. */
static uint64_t *ramp(size_t n)
{
	uint64_t *v = array(n);
	for (size_t i = 0; i < n; i++)
		v[i] = 10 * i + 10;
	return v;
}

static uint64_t at(size_t n, unsigned pct)
{
	uint64_t *v = ramp(n);
	uint64_t x = stats_percentile(v, n, pct);
	free(v);
	return x;
}

static void test_percentile_rule(void **state)
{
	(void)state;
	/* 15 samples (gc bench): the median is the 8th, index 7. */
	assert_int_equal(at(15, 50), 80);
	assert_int_equal(at(15, 0), 10);
	assert_int_equal(at(15, 100), 150);
	assert_int_equal(at(15, 99), 150); /* 15 * 99 / 100 = 14 */
	/* Even n: the upper of the two middle ones, never their mean. */
	assert_int_equal(at(10, 50), 60);
	assert_int_equal(at(2, 50), 20);
	/* 1,000 samples (the benchmarks): p99 is index 990. */
	assert_int_equal(at(1000, 99), 9910);
	assert_int_equal(at(1000, 50), 5010);
	assert_int_equal(at(1000, 100), 10000);
	/* 4,096 (the stop's ring): 4096 * 99 / 100 = 4055. */
	assert_int_equal(at(4096, 99), 40560);
	assert_int_equal(at(4096, 50), 20490);
}

static void test_percentile_edges(void **state)
{
	(void)state;
	for (unsigned pct = 0; pct <= 100; pct += 25)
		assert_int_equal(at(1, pct), 10); /* one sample is every figure */
	assert_int_equal(at(7, 250), 70); /* past 100: the maximum */
	uint64_t none[1] = {42};
	assert_int_equal(stats_percentile(none, 0, 50), 0); /* no sample, not read */
}

static void test_summarize(void **state)
{
	(void)state;
	size_t n = 200;
	uint64_t *v = array(n);
	for (size_t i = 0; i < n; i++)
		v[i] = ((i * 37) % n) * 10 + 10; /* 10..2000, shuffled */
	struct stats_summary s;
	stats_summarize(v, n, &s);
	assert_int_equal(s.min, 10);
	assert_int_equal(s.median, 1010); /* index 100 */
	assert_int_equal(s.p99, 1990); /* index 198 */
	assert_int_equal(s.max, 2000);
	for (size_t i = 0; i < n; i++)
		v[i] = ((i * 37) % n) * 10 + 10; /* shuffled again */
	assert_int_equal(stats_median(v, n), 1010); /* the same rule */
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1] <= v[i]); /* sorted in place */
	free(v);
	memset(&s, 0xff, sizeof s);
	stats_summarize(NULL, 0, &s);
	assert_int_equal(s.min, 0);
	assert_int_equal(s.median, 0);
	assert_int_equal(s.p99, 0);
	assert_int_equal(s.max, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sort_random),
	    cmocka_unit_test(test_sort_extremes),
	    cmocka_unit_test(test_sort_ordered_and_reversed),
	    cmocka_unit_test(test_percentile_rule),
	    cmocka_unit_test(test_percentile_edges),
	    cmocka_unit_test(test_summarize),
	};
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
