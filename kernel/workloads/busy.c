/*
 * busy.c — the shell's spawn workload: a task that computes a little, then
 * yields or sleeps, twenty times, and ends by itself.
 */
#include "kernel/task/task.h"
#include "kernel/workloads/workloads.h"

/* spawn's task: a little arithmetic, yielding and sleeping in turns. */
int64_t workload_busy(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
	uint64_t sum = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 20000; i++)
			sum +=
			    (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33;
		if (round % 2)
			task_sleep_ns((seed % 100 + 20) * 1000000ULL);
		else
			task_yield();
	}
	return (int64_t)(sum & 0xffff);
}
