/*
 * demo.c — what `make run` shows before the shell: every core saying hello
 * from its own idle loop, and the IPI round trip to each.
 */
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/shell.h"
#include "kernel/smp.h"

static void hello(void *arg)
{
	(void)arg;
	struct cpu *c = this_cpu();
	kprintf("demo: hello from cpu%d (MPIDR %#llx), woken by IPI %d times so far\n", c->id,
		(unsigned long long)c->mpidr, (int)c->ipi_count[IPI_CALL]);
}

void demo_run(void)
{
	kprintf("demo: asking every core to run a function (smp_call over IPIs)\n");
	if (!smp_call_all(hello, NULL, 1000000000ULL))
		kprintf("demo: some core did not run the call within 1 s\n");
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		int64_t ns = ipi_round_trip_ns(c->id, 100000000ULL);
		kprintf("demo: IPI round trip cpu%d -> cpu%d: %lld ns\n", cpu_id(), c->id,
			(long long)ns);
	}
}
