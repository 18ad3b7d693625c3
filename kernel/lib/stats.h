/*
 * stats.h — order statistics of a set of samples: sort them once, then read
 * the minimum, the median, the 99th percentile and the maximum from the
 * sorted array.  Used by the stop's summary, the benchmarks and the
 * collector's pause tables.  Portable: host-tested (tests/host/test_stats.c).
 */
#ifndef LIB_STATS_H
#define LIB_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sort v[0..n) in increasing order. */
void stats_sort_u64(uint64_t *v, size_t n);

/*
 * The pct-th percentile (0..100) of sorted[0..n), n >= 1, by one rule:
 * the element at index n * pct / 100 (rounded down), or the last one when
 * that is past the end.  So pct 0 is the minimum, pct 100 the maximum, and
 * pct 50 the middle element: for an even n the upper of the two middle
 * ones (no averaging: every figure printed is a sample that was measured).
 * Returns 0 when n is 0.
 */
uint64_t stats_percentile(const uint64_t *sorted, size_t n, unsigned pct);

/* Sort v[0..n) in place and return its median (stats_percentile's 50). */
uint64_t stats_median(uint64_t *v, size_t n);

/* What one set of samples comes to (all 0 when n is 0). */
struct stats_summary {
	uint64_t min, median, p99, max;
};

/* Sort v[0..n) in place and summarize it. */
void stats_summarize(uint64_t *v, size_t n, struct stats_summary *s);

#endif
