/*
 * tests/host/shim/kernel/task/task.h — host stand-in for kernel/task/task.h, for
 * test_alltasks only: the global task slice touches nothing of a task but its
 * slot.  See shim/kernel/arch/spinlock.h for how it is picked up.
 */
#ifndef TASK_H
#define TASK_H

struct task {
	int slot; /* index in the global task slice */
};

#endif
