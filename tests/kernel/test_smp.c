/*
 * test_smp.c — every core the device tree lists is online, once, with its own
 * MPIDR, and runs what we post to it.
 */
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/smp/smp.h"

#define SECOND 1000000000ULL

static uint64_t seen_mpidr[MAX_CPUS];
static int seen_id[MAX_CPUS];

static void record_self(void *arg)
{
	(void)arg;
	int id = cpu_id();
	seen_mpidr[id] = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	seen_id[id] = id + 1; /* +1: zero means "did not run" */
}

KTEST(smp, every_listed_core_is_online)
{
	KASSERT_GE(ncpus, 1);
	KASSERT_EQ(cpus_online(), ncpus);
	for (int i = 0; i < ncpus; i++)
		KASSERT_EQ(cpu_state(&cpus[i]), CPU_ONLINE);
}

KTEST(smp, mpidrs_are_distinct)
{
	for (int i = 0; i < ncpus; i++)
		for (int j = i + 1; j < ncpus; j++)
			KASSERT_NE(cpus[i].mpidr, cpus[j].mpidr);
}

KTEST(smp, each_core_runs_a_posted_call_as_itself)
{
	for (int i = 0; i < MAX_CPUS; i++)
		seen_id[i] = 0;
	KASSERT(smp_call_all(record_self, NULL, SECOND));
	for (int i = 0; i < ncpus; i++) {
		if (cpu_state(&cpus[i]) != CPU_ONLINE)
			continue; /* every_listed_core_is_online reports those */
		KASSERT_EQ(seen_id[i], i + 1);
		/* the core's own MPIDR_EL1 is the one the device tree listed */
		KASSERT_EQ(seen_mpidr[i], cpus[i].mpidr);
	}
}

KTEST(smp, call_to_offline_core_is_refused)
{
	KASSERT(!smp_call(ncpus, record_self, NULL));
	KASSERT(!smp_call(-1, record_self, NULL));
}
