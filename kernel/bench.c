/*
 * bench.c — benchmarks that print numbers (never pass/fail on speed).
 *
 * ipi: round-trip time of an SGI to every other core, many times, with
 * min / median / p99 / max.
 */
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/shell.h"

#include <stdlib.h>

#define ROUNDS 1000

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t samples[ROUNDS];

int bench_run(void)
{
	int status = 0;
	kprintf("bench: IPI round trip from cpu%d, %d rounds per core\n", cpu_id(), ROUNDS);
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		int n = 0;
		for (int i = 0; i < ROUNDS; i++) {
			int64_t ns = ipi_round_trip_ns(c->id, 100000000ULL);
			if (ns < 0) {
				kprintf("bench: cpu%d did not answer\n", c->id);
				status = 1;
				break;
			}
			samples[n++] = ns;
		}
		if (!n)
			continue;
		qsort(samples, (size_t)n, sizeof samples[0], cmp_i64);
		kprintf("bench: ipi cpu%d: n=%d min=%lld median=%lld p99=%lld max=%lld ns\n", c->id,
			n, (long long)samples[0], (long long)samples[n / 2],
			(long long)samples[n * 99 / 100], (long long)samples[n - 1]);
	}
	return status;
}
