/*
 * bench.c — benchmarks that print numbers (never pass/fail on speed).
 *
 * ipi: round-trip time of an SGI to every other core, many times, with
 * min / median / p99 / max.
 *
 * trap: an SGI to this core itself, taken at once: one interrupt's entry, the
 * controller's acknowledge and end, and the exit, with no other core (or
 * host thread) in the way.  This is the figure the FP/SIMD save in the trap
 * frame (boot/vectors.S) adds to.
 *
 * The collector's benchmark is in gc.c.
 */
#include "kernel/bench/bench.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/irq/ipi.h"
#include "kernel/lib/stats.h"
#include "kernel/stw/stop.h"

#define ROUNDS 1000

static uint64_t samples[ROUNDS]; /* ns */

static int trap_bench(void)
{
	int me = cpu_id();
	uint64_t *count = &cpus[me].ipi_count[IPI_PING];
	int n = 0;
	uint64_t first = timer_count();
	for (int i = 0; i < ROUNDS; i++) {
		/* acquire: pairs with the handler's release of its count */
		uint64_t before = __atomic_load_n(count, __ATOMIC_ACQUIRE);
		uint64_t t0 = timer_count();
		ipi_send(me, IPI_PING);
		uint64_t deadline = t0 + ns_to_ticks(100000000ULL);
		/* acquire: pairs with the handler's release: its count is new */
		while (__atomic_load_n(count, __ATOMIC_ACQUIRE) == before)
			if (timer_count() > deadline) {
				kprintf("trap bench: cpu%d did not take its own IPI\n", me);
				return 1;
			}
		samples[n++] = ticks_to_ns(timer_count() - t0);
	}
	/* The mean over all rounds resolves finer than one counter tick (16 ns
	 * on QEMU), which matters under -icount, where time counts instructions. */
	uint64_t mean = ticks_to_ns(timer_count() - first) / ROUNDS;
	struct stats_summary s;
	stats_summarize(samples, (size_t)n, &s);
	kprintf("trap bench: IPI to itself on cpu%d: n=%d min=%llu median=%llu p99=%llu max=%llu "
		"mean=%llu ns\n",
		me, n, (unsigned long long)s.min, (unsigned long long)s.median,
		(unsigned long long)s.p99, (unsigned long long)s.max, (unsigned long long)mean);
	return 0;
}

int bench_run(void)
{
	int status = trap_bench();
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
			samples[n++] = (uint64_t)ns;
		}
		if (!n)
			continue;
		struct stats_summary s;
		stats_summarize(samples, (size_t)n, &s);
		kprintf("bench: ipi cpu%d: n=%d min=%llu median=%llu p99=%llu max=%llu ns\n", c->id,
			n, (unsigned long long)s.min, (unsigned long long)s.median,
			(unsigned long long)s.p99, (unsigned long long)s.max);
	}
	status |= stw_bench(2000);
	status |= gc_bench();
	return status;
}

/*
 * One SGI round trip, measured the way a stop is: one broadcast SGI to every
 * other core, then wait until all of them have taken it.
 */
static int64_t broadcast_round_trip_ns(void)
{
	uint64_t before[MAX_CPUS];
	for (int i = 0; i < ncpus; i++)
		/* acquire: pairs with the handler's release of its count */
		before[i] = __atomic_load_n(&cpus[i].ipi_count[IPI_PING], __ATOMIC_ACQUIRE);
	uint64_t t0 = timer_count();
	ipi_send_others(IPI_PING);
	uint64_t deadline = t0 + ns_to_ticks(100000000ULL);
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		/* acquire: pairs with the handler's release of its count */
		while (__atomic_load_n(&c->ipi_count[IPI_PING], __ATOMIC_ACQUIRE) == before[c->id])
			if (timer_count() > deadline)
				return -1;
	}
	return (int64_t)ticks_to_ns(timer_count() - t0);
}

static uint64_t rt[ROUNDS]; /* ns */

int stw_bench(unsigned n)
{
	if (cpus_online() < 2) {
		kprintf("stw bench: only one core: nothing to stop\n");
		return 0;
	}
	kprintf("stw bench: %u stops on %d cores\n", n, cpus_online());
	for (unsigned i = 0; i < n; i++) {
		stop_the_world("stw bench");
		start_the_world();
	}
	stw_print_summary("stw bench");
	int m = 0;
	for (int i = 0; i < ROUNDS; i++) {
		int64_t ns = broadcast_round_trip_ns();
		if (ns > 0)
			rt[m++] = (uint64_t)ns;
	}
	if (!m) {
		kprintf("stw bench: no SGI round trip could be measured\n");
		return 1;
	}
	struct stats_summary r;
	stats_summarize(rt, (size_t)m, &r);
	struct stw_summary s;
	stw_summary(&s);
	kprintf(
	    "stw bench: one SGI round trip to all other cores: min %llu  median %llu  p99 %llu  "
	    "max %llu ns\n",
	    (unsigned long long)r.min, (unsigned long long)r.median, (unsigned long long)r.p99,
	    (unsigned long long)r.max);
	kprintf("stw bench: median latency / median SGI round trip = %llu.%02llu (target <= 1.5)\n",
		(unsigned long long)(s.latency_median * 100 / r.median / 100),
		(unsigned long long)(s.latency_median * 100 / r.median % 100));
	return 0;
}
