/*
 * cpu.c — the table of cores and each core's way to find its own entry.
 */
#include "kernel/arch/cpu.h"

struct cpu cpus[MAX_CPUS];
int ncpus = 1;
int boot_cpu_id;

void cpu_init_self(int id, uint64_t mpidr, int entry_el)
{
	struct cpu *c = &cpus[id];
	c->id = id;
	c->mpidr = mpidr;
	c->entry_el = entry_el;
	write_sysreg(tpidr_el1, c);
	isb(); /* this_cpu() sees the new TPIDR from here on */
}

int cpus_online(void)
{
	int n = 0;
	for_each_online_cpu(c) n++;
	return n;
}

uint64_t cpus_online_mask(void)
{
	uint64_t m = 0;
	for_each_online_cpu(c) m |= 1ULL << c->id;
	return m;
}
