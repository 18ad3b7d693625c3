/*
 * test_timer.c — the generic timer counts, and every core's tick fires.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/arch/timer.h"

KTEST(timer, counter_runs_at_a_known_frequency)
{
	KASSERT_GT(timer_freq(), 1000000); /* every board here runs at MHz rates */
	uint64_t a = timer_ns();
	delay_ns(10000000);
	uint64_t b = timer_ns();
	KASSERT_GE(b - a, 10000000);
	KASSERT_EQ(ticks_to_ns(timer_freq()), 1000000000);
	KASSERT_EQ(ns_to_ticks(1000000000), timer_freq());
}

KTEST(timer, every_core_ticks)
{
	uint64_t start[MAX_CPUS];
	for (int i = 0; i < ncpus; i++)
		start[i] = __atomic_load_n(&cpus[i].ticks, __ATOMIC_RELAXED); /* a counter */
	/* Wait for 5 ticks everywhere; a loaded host may slow us, so allow 10 s. */
	uint64_t deadline = timer_ns() + 10000000000ULL;
	for (int i = 0; i < ncpus; i++) {
		while (__atomic_load_n(&cpus[i].ticks, __ATOMIC_RELAXED) < start[i] + 5 &&
		       timer_ns() < deadline)
			cpu_relax();
		if (cpus[i].ticks < start[i] + 5)
			kprintf("    cpu%d: %llu ticks in 10 s\n", i,
				(unsigned long long)(cpus[i].ticks - start[i]));
		KASSERT_GE(cpus[i].ticks, start[i] + 5);
	}
}

KTEST(timer, tick_is_never_faster_than_asked)
{
	/* Ticks can come late on a busy host, never early: over 200 ms at
	 * tick_hz, at most 200 ms worth (+2 for the edges). */
	uint64_t t0 = cpus[cpu_id()].ticks;
	delay_ns(200000000);
	uint64_t got = cpus[cpu_id()].ticks - t0;
	KASSERT_LE(got, timer_tick_hz() / 5 + 2);
	KASSERT_GE(got, 1);
}
