/*
 * test_ipi.c — an SGI from every core reaches every other core: one at a
 * time, to a set, and broadcast to all but the sender.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "tests/kernel/ktest.h"
#include "kernel/smp/smp.h"
#include "kernel/arch/timer.h"

#define SECOND 1000000000ULL

static bool online(int cpu)
{
	return cpu_state(&cpus[cpu]) == CPU_ONLINE;
}

static uint64_t pings(int cpu)
{
	/* acquire: pairs with the release in ipi_handle */
	return __atomic_load_n(&cpus[cpu].ipi_count[IPI_PING], __ATOMIC_ACQUIRE);
}

/* Wait until cpu has counted `want` pings; false after a second. */
static bool wait_pings(int cpu, uint64_t want)
{
	uint64_t deadline = timer_ns() + SECOND;
	while (pings(cpu) < want)
		if (timer_ns() > deadline)
			return false;
	return true;
}

struct unicast_result {
	int failures;
	int bad_src, bad_dst;
};
static struct unicast_result unicast[MAX_CPUS];

/* Runs on the sender: ping each other core in turn, one in flight. */
static void ping_each_other(void *arg)
{
	(void)arg;
	int me = cpu_id();
	unicast[me].failures = 0;
	for (int dst = 0; dst < ncpus; dst++) {
		if (dst == me || !online(dst))
			continue;
		uint64_t before = pings(dst);
		ipi_send(dst, IPI_PING);
		if (!wait_pings(dst, before + 1)) {
			unicast[me].failures++;
			unicast[me].bad_src = me;
			unicast[me].bad_dst = dst;
		}
	}
}

KTEST(ipi, unicast_from_every_core_to_every_other)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	/* One sender at a time, so each ping's arrival is attributable. */
	for (int src = 0; src < ncpus; src++) {
		if (!online(src))
			continue;
		KASSERT(smp_call(src, ping_each_other, NULL));
		KASSERT(smp_call_wait(src, 10 * SECOND));
		if (unicast[src].failures)
			kprintf("    cpu%d -> cpu%d: no IPI within 1 s\n", unicast[src].bad_src,
				unicast[src].bad_dst);
		KASSERT_EQ(unicast[src].failures, 0);
	}
}

static uint64_t before[MAX_CPUS];

static void broadcast(void *arg)
{
	(void)arg;
	ipi_send_others(IPI_PING);
}

KTEST(ipi, broadcast_reaches_all_but_the_sender)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	for (int src = 0; src < ncpus; src++) {
		if (!online(src))
			continue;
		for (int i = 0; i < ncpus; i++)
			before[i] = pings(i);
		KASSERT(smp_call(src, broadcast, NULL));
		KASSERT(smp_call_wait(src, SECOND));
		for (int i = 0; i < ncpus; i++) {
			if (i == src || !online(i))
				continue;
			if (!wait_pings(i, before[i] + 1))
				kprintf("    broadcast from cpu%d missed cpu%d\n", src, i);
			KASSERT_EQ(pings(i), before[i] + 1);
		}
		/* give a stray self-delivery time to show, then check none came */
		delay_ns(2000000);
		KASSERT_EQ(pings(src), before[src]);
	}
}

KTEST(ipi, a_mask_reaches_exactly_its_cores)
{
	if (cpus_online() < 3)
		KSKIP("needs three cores");
	uint64_t mask = 0;
	for (int i = 0; i < ncpus; i++)
		if (i % 2 == 1 && i != cpu_id() && online(i))
			mask |= 1ULL << i;
	for (int i = 0; i < ncpus; i++)
		before[i] = pings(i);
	ipi_send_mask(mask, IPI_PING);
	for (int i = 0; i < ncpus; i++)
		if (mask & (1ULL << i))
			KASSERT(wait_pings(i, before[i] + 1));
	delay_ns(2000000);
	for (int i = 0; i < ncpus; i++)
		KASSERT_EQ(pings(i), before[i] + ((mask >> i) & 1));
}

KTEST(ipi, round_trip_is_measured)
{
	if (cpus_online() < 2)
		KSKIP("needs two cores");
	int other = -1;
	for_each_online_cpu(c) if (c->id != cpu_id()) other = c->id;
	int64_t ns = ipi_round_trip_ns(other, SECOND);
	KASSERT_GT(ns, 0);
	KASSERT_EQ(ipi_round_trip_ns(cpu_id(), SECOND), -1); /* not to ourselves */
}
