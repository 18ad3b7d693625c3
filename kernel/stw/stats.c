/*
 * stats.c — the stop's latency (request -> all parked) and pause (request ->
 * released) over the last STW_SAMPLES stops, for `stw` and `stw bench`.
 *
 * stop.c hands every finished stop to stw_stats_record(); the figures are
 * computed only when someone asks (stw_summary), by sorting a copy of the
 * samples (kernel/lib/stats.c).  The samples are plain stores by the owner
 * of a stop, read without a lock: a summary taken while a stop ends may mix
 * two of them, which a statistic can afford.
 */
#include "kernel/stw/stats.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/lib/stats.h"
#include "kernel/stw/stop.h"

#include <string.h>

#define STW_SAMPLES 4096

/* Samples, written only by the owner (so under the "lock" that owner is);
 * in ticks, 32 bits each: a stop longer than 2^32 ticks has panicked. */
static uint64_t stops;
static uint32_t lat_ticks[STW_SAMPLES], pause_ticks[STW_SAMPLES];
static uint64_t sorted[STW_SAMPLES]; /* stw_summary's work space */

void stw_stats_record(uint64_t latency, uint64_t pause)
{
	uint64_t i = stops % STW_SAMPLES;
	lat_ticks[i] = (uint32_t)latency;
	pause_ticks[i] = (uint32_t)pause;
	stops++;
}

/* Minimum, median, 99th percentile and maximum of n samples, in ns. */
static void summarize_ticks(const uint32_t *ticks, size_t n, uint64_t *min, uint64_t *median,
			    uint64_t *p99, uint64_t *max)
{
	struct stats_summary s;
	for (size_t i = 0; i < n; i++)
		sorted[i] = ticks[i];
	stats_summarize(sorted, n, &s);
	*min = ticks_to_ns(s.min);
	*median = ticks_to_ns(s.median);
	*p99 = ticks_to_ns(s.p99);
	*max = ticks_to_ns(s.max);
}

bool stw_last(uint64_t *latency_ns, uint64_t *pause_ns)
{
	if (!stops)
		return false;
	uint64_t i = (stops - 1) % STW_SAMPLES;
	*latency_ns = ticks_to_ns(lat_ticks[i]);
	*pause_ns = ticks_to_ns(pause_ticks[i]);
	return true;
}

void stw_summary(struct stw_summary *s)
{
	memset(s, 0, sizeof *s);
	s->count = stops;
	s->samples = stops < STW_SAMPLES ? stops : STW_SAMPLES;
	if (!s->samples)
		return;
	summarize_ticks(lat_ticks, s->samples, &s->latency_min, &s->latency_median, &s->latency_p99,
			&s->latency_max);
	summarize_ticks(pause_ticks, s->samples, &s->pause_min, &s->pause_median, &s->pause_p99,
			&s->pause_max);
}

void stw_print_summary(const char *title)
{
	struct stw_summary s;
	stw_summary(&s);
	if (!s.samples) {
		kprintf("%s: no stop yet\n", title);
		return;
	}
	kprintf("%s: %llu stops (figures over the last %llu)\n", title, (unsigned long long)s.count,
		(unsigned long long)s.samples);
	kprintf("  latency (request -> all parked): min %llu  median %llu  p99 %llu  max %llu ns\n",
		(unsigned long long)s.latency_min, (unsigned long long)s.latency_median,
		(unsigned long long)s.latency_p99, (unsigned long long)s.latency_max);
	kprintf("  pause   (request -> released):   min %llu  median %llu  p99 %llu  max %llu ns\n",
		(unsigned long long)s.pause_min, (unsigned long long)s.pause_median,
		(unsigned long long)s.pause_p99, (unsigned long long)s.pause_max);
}
