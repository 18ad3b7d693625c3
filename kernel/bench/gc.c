/*
 * gc.c — "gc bench": the collector's two pauses against the length of the
 * task slice.
 *
 * Stop 1 takes the slice's header (array, length), not a copy, and stop 2
 * does not walk the tasks either, so neither pause should grow with the
 * number of tasks.  For each length (10, 1,000, 100,000 tasks: reserved, so
 * the slice really is that long) it runs BENCH_CYCLES cycles and prints the
 * median and maximum of stop 1, the median of stop 2, and, for comparison,
 * the median pause of a stop that copies the whole slice.
 */
#include "gc/gc.h"
#include "kernel/arch/timer.h"
#include "kernel/bench/bench.h"
#include "kernel/bench/csv.h"
#include "kernel/drivers/console.h"
#include "kernel/lib/stats.h"
#include "kernel/stw/stop.h"
#include "kernel/task/alltasks.h"
#include "kernel/task/task.h"

#include <stdlib.h>
#include <string.h>

#define BENCH_CYCLES 15

/* What stop 1 would cost if it copied the slice instead of taking its
 * header: a stop, a copy of every entry, a restart. */
static uint64_t copy_pause(void)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	struct task **copy = malloc((len + 1) * sizeof *copy);
	if (!copy)
		return 0;
	uint64_t t0 = timer_ns();
	stop_the_world("gc bench: copy the slice");
	struct tasks_view v = alltasks_snapshot();
	memcpy(copy, v.ptr, v.len * sizeof *copy);
	start_the_world();
	uint64_t ns = timer_ns() - t0;
	free(copy);
	return ns;
}

/* Make the slice at least want tasks long; returns its length, or 0 if
 * there is no memory for that many. */
static size_t grow_slice(size_t want)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	if (len < want && task_reserve(want - len) < want - len)
		return 0;
	alltasks_stats(&len, &cap, &arrays);
	return len;
}

/* BENCH_CYCLES cycles with the slice len long: one line of the table.
 * Returns the median of stop 1. */
static uint64_t bench_length(size_t len)
{
	uint64_t p1[BENCH_CYCLES], p2[BENCH_CYCLES], copy[BENCH_CYCLES];
	for (int k = 0; k < BENCH_CYCLES; k++) {
		struct gc_cycle_stats s;
		gc_cycle_stats(gc_collect(), &s);
		p1[k] = s.stop1_ns;
		p2[k] = s.stop2_ns; /* nor does stop 2 walk the tasks */
		copy[k] = copy_pause();
		csv_row("gc_pauses", "%zu,%llu,1,%llu", len, (unsigned long long)s.cycle,
			(unsigned long long)s.stop1_ns);
		csv_row("gc_pauses", "%zu,%llu,2,%llu", len, (unsigned long long)s.cycle,
			(unsigned long long)s.stop2_ns);
	}
	uint64_t m1 = stats_median(p1, BENCH_CYCLES); /* p1 is sorted from here on */
	uint64_t max1 = stats_percentile(p1, BENCH_CYCLES, 100);
	uint64_t m2 = stats_median(p2, BENCH_CYCLES), mc = stats_median(copy, BENCH_CYCLES);
	kprintf("  %-7zu  %8llu us    %8llu us    %8llu us    %8llu us\n", len,
		(unsigned long long)(m1 / 1000), (unsigned long long)(max1 / 1000),
		(unsigned long long)(m2 / 1000), (unsigned long long)(mc / 1000));
	csv_row("gc_tasks", "%zu,%d,%llu,%llu,%llu,%llu", len, BENCH_CYCLES, (unsigned long long)m1,
		(unsigned long long)max1, (unsigned long long)m2, (unsigned long long)mc);
	return m1;
}

int gc_bench(void)
{
	static const size_t sizes[] = {10, 1000, 100000};
	uint64_t first_median = 0, last_median = 0;
	kprintf("gc bench: the pauses (request to release, median of %d cycles) against the "
		"length of the task slice\n",
		BENCH_CYCLES);
	kprintf(
	    "  tasks    stop1 median   stop1 max   stop2 median   copy-the-slice pause (median)\n");
	csv_header("gc_pauses", "tasks,cycle,stop,pause_ns");
	csv_header("gc_tasks", "tasks,cycles,stop1_median_ns,stop1_max_ns,stop2_median_ns,"
			       "copy_median_ns");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = grow_slice(sizes[i]);
		if (!len) {
			kprintf("gc bench: no memory for %zu tasks: stopping here\n", sizes[i]);
			return 1;
		}
		last_median = bench_length(len);
		if (i == 0)
			first_median = last_median;
	}
	uint64_t base = first_median ? first_median : 1;
	kprintf("gc bench: stop-1 median with 100,000 tasks / with the fewest: %llu.%02llu "
		"(target <= 1.10)\n",
		(unsigned long long)(last_median / base),
		(unsigned long long)(last_median * 100 / base % 100));
	return 0;
}
