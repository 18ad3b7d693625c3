/*
 * demo.c — what `make run` shows before the shell: tasks created on one core
 * spreading over all of them (idle cores steal), each saying where it ran;
 * then the IPI round trip to every core; then a few garbage collections.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/demos/demos.h"
#include "kernel/workloads/workloads.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"

#define HOPS 6

static int64_t hopper(void *arg)
{
	int n = (int)(uintptr_t)arg;
	char path[HOPS * 8 + 8];
	int len = 0;
	for (int i = 0; i < HOPS; i++) {
		len += ksnprintf(path + len, sizeof path - (size_t)len, "%scpu%d", i ? " > " : "",
				 cpu_id());
		delay_ns(2000000); /* a little work, then let others in */
		if (i % 2)
			task_sleep_ns(((uint64_t)n % 5 + 1) * 3000000ULL);
		else
			task_yield();
	}
	kprintf("demo: task %-2d (id %d) ran on %s\n", n, task_current()->id, path);
	return 0;
}

static void demo_gc(void);

void demo_run(void)
{
	int n = 2 * cpus_online();
	struct task *t[2 * MAX_CPUS];
	kprintf("demo: %d tasks created on cpu%d; idle cores steal them, and after every yield "
		"or sleep a task may run somewhere else\n",
		n, cpu_id());
	for (int i = 0; i < n; i++)
		t[i] = task_create("hopper", hopper, (void *)(uintptr_t)i, 0);
	for (int i = 0; i < n; i++)
		if (t[i])
			task_join(t[i]);
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		int64_t ns = ipi_round_trip_ns(c->id, 100000000ULL);
		kprintf("demo: IPI round trip cpu%d -> cpu%d: %lld ns\n", cpu_id(), c->id,
			(long long)ns);
	}
	demo_gc();
}

/* A few collection cycles while every core churns objects and tasks: each
 * line shows both pauses (stop 1 takes the task-slice snapshot, stop 2 ends
 * the mark), the mark time, and what was live and freed. */
static void demo_gc(void)
{
	kprintf("demo: garbage collection: 5 cycles while tasks on every core build, change and "
		"drop linked lists (the pauses are true all-core stops)\n");
	gc_stress(5, false);
	kprintf("demo: try 'gc', 'gc stats', 'gc stress 100' and 'demo allgs' (Go's allgs bug, "
		"then its fix)\n");
}
