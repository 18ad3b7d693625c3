/*
 * cmd_system.c — the shell's commands about the machine: cores, ipi, uptime,
 * test, panic, poweroff.
 */
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/power.h"
#include "kernel/irq/ipi.h"
#include "kernel/panic/panic.h"
#include "kernel/shell/commands.h"
#include "tests/kernel/ktest.h"

#include <string.h>

static const char *state_name(int s)
{
	switch (s) {
	case CPU_ONLINE:
		return "online";
	case CPU_STARTING:
		return "starting";
	case CPU_FAILED:
		return "failed";
	case CPU_HALTED:
		return "halted";
	default:
		return "absent";
	}
}

int cmd_cores(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("cpu  MPIDR        EL  state    ticks      irqs       doing\n");
	for (int i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		kprintf("%-4d %#-12llx %-3d %-8s %-10llu %-10llu %s%s\n", i,
			(unsigned long long)c->mpidr, c->entry_el, state_name(cpu_state(c)),
			(unsigned long long)c->ticks, (unsigned long long)c->irqs,
			c->doing ? c->doing : "-", i == cpu_id() ? " (this core)" : "");
	}
	return 0;
}

int cmd_ipi(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cpus_online() < 2) {
		kprintf("ipi: only one core is online\n");
		return 0;
	}
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		int64_t ns = ipi_round_trip_ns(c->id, 100000000ULL);
		if (ns < 0)
			kprintf("ipi: cpu%d did not answer within 100 ms\n", c->id);
		else
			kprintf("ipi: cpu%d -> cpu%d -> back: %lld ns\n", cpu_id(), c->id,
				(long long)ns);
	}
	return 0;
}

int cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t ms = timer_ns() / 1000000;
	kprintf("up %llu.%03llu s\n", (unsigned long long)(ms / 1000),
		(unsigned long long)(ms % 1000));
	return 0;
}

int cmd_test(int argc, char **argv)
{
	if (argc > 2) {
		kprintf("test: usage: test [suite[,suite...]|list]\n");
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		ktest_list();
		return 0;
	}
	int ran;
	return ktest_run(argc == 2 ? argv[1] : NULL, &ran) ? 1 : 0;
}

int cmd_panic(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	panic("deliberate panic from the shell");
}

int cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	system_exit(0);
}
