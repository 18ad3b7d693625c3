/*
 * tests/host/shim/kernel/arch/spinlock.h — host stand-in for kernel/arch/spinlock.h, for
 * test_alltasks, test_heap and test_markq (their Makefile rules put
 * tests/host/shim before the repository root on the include path, so
 * kernel/task/alltasks.c, gc/heap.c and gc/markq.c compile unchanged against this).
 *
 * The host tests are single-threaded: the lock does no locking, but it does
 * keep count, so the test can check that every path releases it, that no path
 * takes it twice (it is not recursive in the kernel either), and that the
 * growth hook runs with it held.
 */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct spinlock {
	int locked; /* 0 free, 1 held */
	int holder;
	const char *name;
};

#define SPINLOCK_INIT(n)                                                                           \
	{                                                                                          \
		0, -1, n                                                                           \
	}

/* Locks held right now, over all locks; defined by each test that uses this. */
extern int shim_locks_held;

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	if (l->locked) {
		/* On the board this would spin for ever: say so and stop. */
		fprintf(stderr, "shim: lock '%s' taken twice\n", l->name);
		abort();
	}
	l->locked = 1;
	l->holder = 0;
	shim_locks_held++;
	return 0;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	(void)flags;
	if (!l->locked) {
		fprintf(stderr, "shim: lock '%s' released but not held\n", l->name);
		abort();
	}
	l->locked = 0;
	l->holder = -1;
	shim_locks_held--;
}

#endif
