/*
 * stats.c — sorting samples and reading percentiles from them (stats.h).
 *
 * qsort from the C library: the sets are at most a few thousand samples,
 * sorted when a summary is printed, never on a hot path.
 */
#include "kernel/lib/stats.h"

#include <stdlib.h>

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void stats_sort_u64(uint64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, compare_u64);
}

uint64_t stats_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
	if (n == 0)
		return 0;
	size_t i = n * pct / 100;
	return sorted[i < n ? i : n - 1];
}

uint64_t stats_median(uint64_t *v, size_t n)
{
	stats_sort_u64(v, n);
	return stats_percentile(v, n, 50);
}

void stats_summarize(uint64_t *v, size_t n, struct stats_summary *s)
{
	stats_sort_u64(v, n);
	s->min = stats_percentile(v, n, 0);
	s->median = stats_percentile(v, n, 50);
	s->p99 = stats_percentile(v, n, 99);
	s->max = stats_percentile(v, n, 100);
}
