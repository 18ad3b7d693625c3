/*
 * spinlock.h — a test-and-test-and-set lock built on the exclusives
 * (LDAXR/STXR, through GCC's __atomic builtins).
 *
 * Exclusives work on real hardware only with the MMU on and the memory Normal
 * cacheable: no lock may be taken before mmu_init().  Locks are not recursive.
 * spin_lock_irqsave() also masks interrupts, which is what you want whenever
 * an interrupt handler on the same core could want the lock (and what makes a
 * critical section hold off a stop-the-world IPI).
 */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include <stdint.h>
#include <stdbool.h>

struct spinlock {
	uint32_t locked; /* 0 free, 1 held */
	int holder; /* cpu id of the holder, -1 if free: for diagnostics only */
	const char *name;
};

#define SPINLOCK_INIT(n)                                                                           \
	{                                                                                          \
		0, -1, n                                                                           \
	}

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_trylock(struct spinlock *l);
/* Give up after timeout_ns; returns false then (used by panic paths). */
bool spin_lock_timeout(struct spinlock *l, uint64_t timeout_ns);
uint64_t spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);
bool spin_is_locked(struct spinlock *l);

#endif
