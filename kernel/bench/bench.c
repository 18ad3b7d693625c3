/*
 * bench.c — benchmarks that print numbers (never pass/fail on speed), and
 * the table of them that run=bench and run=bench:NAME go through.
 *
 * trap: an SGI to this core itself, taken at once: one interrupt's entry, the
 * controller's acknowledge and end, and the exit, with no other core (or
 * host thread) in the way.  This is the figure the FP/SIMD save in the trap
 * frame (boot/vectors.S) adds to.
 *
 * ipi: round-trip time of an SGI to every other core, many times, with
 * min / median / p99 / max.
 *
 * stw: stops against one broadcast SGI round trip.
 *
 * yield: two tasks on one core handing it to each other: one task switch.
 *
 * loop: memloop.c's two loops, for comparing system emulation (this) with
 * user-mode emulation (tools/peers/loop.c, the same loops under qemu-aarch64).
 *
 * The collector's benchmarks are in gc.c (pauses against tasks) and trees.c
 * (binary-trees).  Each prints csv lines (csv.h) beside its table.
 */
#include "kernel/bench/bench.h"
#include "kernel/bench/csv.h"
#include "kernel/bench/memloop.h"
#include "kernel/mm/page.h"
#include "kernel/task/task.h"
#include "gc/gc.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/spinlock.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/irq/ipi.h"
#include "kernel/lib/stats.h"
#include "kernel/stw/stop.h"

#include <stdlib.h>
#include <string.h>

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
	csv_header("trap", "cpu,n,min_ns,median_ns,p99_ns,max_ns,mean_ns");
	csv_row("trap", "%d,%d,%llu,%llu,%llu,%llu,%llu", me, n, (unsigned long long)s.min,
		(unsigned long long)s.median, (unsigned long long)s.p99, (unsigned long long)s.max,
		(unsigned long long)mean);
	return 0;
}

/* The round trip of an SGI to each other core in turn. */
static int ipi_bench(void)
{
	int status = 0;
	kprintf("bench: IPI round trip from cpu%d, %d rounds per core\n", cpu_id(), ROUNDS);
	csv_header("ipi", "from,to,cores,n,min_ns,median_ns,p99_ns,max_ns");
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
		csv_row("ipi", "%d,%d,%d,%d,%llu,%llu,%llu,%llu", cpu_id(), c->id, cpus_online(), n,
			(unsigned long long)s.min, (unsigned long long)s.median,
			(unsigned long long)s.p99, (unsigned long long)s.max);
	}
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

/* The median and p99 of ROUNDS broadcast round trips into r; false if
 * none could be measured. */
static bool measure_round_trips(struct stats_summary *r)
{
	int m = 0;
	for (int i = 0; i < ROUNDS; i++) {
		int64_t ns = broadcast_round_trip_ns();
		if (ns > 0)
			rt[m++] = (uint64_t)ns;
	}
	if (!m)
		return false;
	stats_summarize(rt, (size_t)m, r);
	return true;
}

int stw_bench(unsigned n)
{
	kprintf("stw bench: %u stops on %d cores\n", n, cpus_online());
	for (unsigned i = 0; i < n; i++) {
		stop_the_world("stw bench");
		start_the_world();
	}
	stw_print_summary("stw bench");
	struct stw_summary s;
	stw_summary(&s);
	struct stats_summary r = {0};
	if (cpus_online() < 2) {
		kprintf("stw bench: only one core: no other core to stop, no SGI round trip\n");
	} else if (!measure_round_trips(&r)) {
		kprintf("stw bench: no SGI round trip could be measured\n");
		return 1;
	} else {
		kprintf("stw bench: one SGI round trip to all other cores: min %llu  median %llu  "
			"p99 %llu  max %llu ns\n",
			(unsigned long long)r.min, (unsigned long long)r.median,
			(unsigned long long)r.p99, (unsigned long long)r.max);
		kprintf("stw bench: median latency / median SGI round trip = %llu.%02llu (target "
			"<= 1.5)\n",
			(unsigned long long)(s.latency_median * 100 / r.median / 100),
			(unsigned long long)(s.latency_median * 100 / r.median % 100));
	}
	csv_header("stw",
		   "cores,stops,latency_median_ns,latency_p99_ns,latency_max_ns,"
		   "pause_median_ns,pause_p99_ns,pause_max_ns,sgi_rt_median_ns,sgi_rt_p99_ns");
	csv_row("stw", "%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu", cpus_online(),
		(unsigned long long)s.samples, (unsigned long long)s.latency_median,
		(unsigned long long)s.latency_p99, (unsigned long long)s.latency_max,
		(unsigned long long)s.pause_median, (unsigned long long)s.pause_p99,
		(unsigned long long)s.pause_max, (unsigned long long)r.median,
		(unsigned long long)r.p99);
	return 0;
}

/* ---- yield: one task switch ---- */

#define YIELDS 20000

static int64_t yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < YIELDS; i++)
		task_yield();
	return 0;
}

/* This task and a partner pinned to the same core hand it to each other:
 * 2 * YIELDS switches. */
static int yield_bench(void)
{
	struct task *partner = task_create_on(cpu_id(), true, "yielder", yielder, NULL, 0);
	if (!partner) {
		kprintf("yield bench: no task for the partner\n");
		return 1;
	}
	uint64_t t0 = timer_ns();
	for (int i = 0; i < YIELDS; i++)
		task_yield();
	task_join(partner);
	uint64_t ns = timer_ns() - t0;
	uint64_t per = ns / (2 * YIELDS);
	kprintf("yield bench: %d yields by each of two tasks on cpu%d: %llu ns per switch\n",
		YIELDS, cpu_id(), (unsigned long long)per);
	csv_header("yield", "cpu,cores,switches,ns,ns_per_switch");
	csv_row("yield", "%d,%d,%d,%llu,%llu", cpu_id(), cpus_online(), 2 * YIELDS,
		(unsigned long long)ns, (unsigned long long)per);
	return 0;
}

/* ---- loop: the emulator's cost (memloop.c) ---- */

static int loop_bench(void)
{
	uint64_t bytes = (uint64_t)MEMLOOP_MIB << 20;
	uint64_t buf = page_alloc(bytes, 4096);
	if (!buf) {
		kprintf("loop bench: no %u MiB of pages for the buffer\n", MEMLOOP_MIB);
		return 1;
	}
	memset((void *)buf, 0, bytes); /* as the Linux build's fresh pages read */
	uint64_t t0 = timer_ns();
	uint64_t a = memloop_alu(MEMLOOP_STEPS);
	uint64_t t1 = timer_ns();
	uint64_t m = memloop_mem((uint64_t *)buf, bytes / 8, MEMLOOP_STEPS);
	uint64_t t2 = timer_ns();
	page_free(buf, bytes);
	kprintf("loop bench: %llu steps: alu %llu ms, mem (%u MiB) %llu ms (results %llx %llx)\n",
		(unsigned long long)MEMLOOP_STEPS, (unsigned long long)((t1 - t0) / 1000000),
		MEMLOOP_MIB, (unsigned long long)((t2 - t1) / 1000000), (unsigned long long)a,
		(unsigned long long)m);
	csv_header("loop", "kind,steps,mib,ns");
	csv_row("loop", "alu,%llu,0,%llu", (unsigned long long)MEMLOOP_STEPS,
		(unsigned long long)(t1 - t0));
	csv_row("loop", "mem,%llu,%u,%llu", (unsigned long long)MEMLOOP_STEPS, MEMLOOP_MIB,
		(unsigned long long)(t2 - t1));
	return 0;
}

/* ---- alloc: what one binary-trees node costs, piece by piece ---- */

#define ALLOC_OPS 100000

struct op_cost {
	const char *what;
	uint64_t ns; /* for ALLOC_OPS of them */
};

static uint64_t time_irq_mask(void)
{
	uint64_t t0 = timer_ns();
	for (int i = 0; i < ALLOC_OPS; i++) {
		uint64_t f = irq_save();
		irq_restore(f);
	}
	return timer_ns() - t0;
}

static uint64_t time_spinlock(void)
{
	static struct spinlock l = SPINLOCK_INIT("bench");
	uint64_t t0 = timer_ns();
	for (int i = 0; i < ALLOC_OPS; i++) {
		uint64_t f = spin_lock_irqsave(&l);
		spin_unlock_irqrestore(&l, f);
	}
	return timer_ns() - t0;
}

static uint64_t time_gc_alloc(void)
{
	uint64_t t0 = timer_ns();
	for (int i = 0; i < ALLOC_OPS; i++)
		if (!gc_alloc(16, 0))
			return 0;
	return timer_ns() - t0;
}

static uint64_t time_gc_write(void)
{
	void **slot = gc_alloc(16, 0);
	if (!slot)
		return 0;
	uint64_t t0 = timer_ns();
	for (int i = 0; i < ALLOC_OPS; i++)
		gc_write(slot, slot);
	return timer_ns() - t0;
}

static uint64_t time_malloc(void)
{
	uint64_t t0 = timer_ns();
	for (int i = 0; i < ALLOC_OPS; i++)
		free(malloc(16));
	return timer_ns() - t0;
}

/* Each piece ALLOC_OPS times on this core, with no cycle running (gc_write
 * then takes its fast path, as it does outside marking). */
static int alloc_bench(void)
{
	gc_collect();
	struct op_cost costs[] = {
	    {"irq_save+irq_restore", time_irq_mask()},
	    {"spin_lock_irqsave+unlock", time_spinlock()},
	    {"gc_alloc(16)", time_gc_alloc()},
	    {"gc_write (barrier off)", time_gc_write()},
	    {"malloc(16)+free (newlib)", time_malloc()},
	};
	gc_collect(); /* the garbage of gc_alloc's turn */
	csv_header("alloc", "op,n,ns_per_op");
	for (size_t i = 0; i < sizeof costs / sizeof costs[0]; i++) {
		kprintf("alloc bench: %-26s %6llu ns each (%d on cpu%d)\n", costs[i].what,
			(unsigned long long)(costs[i].ns / ALLOC_OPS), ALLOC_OPS, cpu_id());
		csv_row("alloc", "%s,%d,%llu", costs[i].what, ALLOC_OPS,
			(unsigned long long)(costs[i].ns / ALLOC_OPS));
	}
	return 0;
}

/* ---- the table ---- */

static int stw_bench_default(void)
{
	return stw_bench(2000);
}

struct bench {
	const char *name;
	int (*run)(void);
	bool in_all; /* run by run=bench */
};

static const struct bench benches[] = {
    /* clang-format off */
    {"trap", trap_bench, true},
    {"ipi", ipi_bench, true},
    {"stw", stw_bench_default, true},
    {"gc", gc_bench, true},
    {"yield", yield_bench, true},
    {"alloc", alloc_bench, true},
    {"loop", loop_bench, false},
    {"tracecost", trace_cost_bench, false},
    {NULL, NULL, false},
    /* clang-format on */
};

int bench_run(void)
{
	int status = 0;
	for (const struct bench *b = benches; b->name; b++)
		if (b->in_all)
			status |= b->run();
	return status;
}

int bench_run_named(const char *name)
{
	for (const struct bench *b = benches; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b->run();
	char names[128];
	size_t len = 0;
	for (const struct bench *b = benches; b->name && len < sizeof names; b++)
		len += (size_t)ksnprintf(names + len, sizeof names - len, "%s, ", b->name);
	kprintf("bench: no benchmark '%s' (expected %sor trees)\n", name, names); /* one line */
	return 1;
}
