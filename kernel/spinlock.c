/*
 * spinlock.c — ticket locks.  See spinlock.h.
 *
 * Taking a ticket is one atomic fetch-and-add on `next` (an LDAXR/STXR loop on
 * ARMv8.0).  Waiting is reading `owner` with acquire until it reaches our
 * ticket.  Releasing is a store-release of owner + 1.  The acquire on the
 * winning read and the release on unlock are what make the critical section's
 * accesses stay inside it.
 */
#include "kernel/spinlock.h"
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/timer.h"

static inline void set_holder(struct spinlock *l)
{
	/* plain store: only read by diagnostics that tolerate a stale value */
	l->holder = (read_sysreg(tpidr_el1) != 0) ? cpu_id() : -1;
}

void spin_lock(struct spinlock *l)
{
	/* relaxed: the ticket itself orders nothing; the acquire below does */
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	/* acquire: the holder's critical section (before its release) is visible */
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
	set_holder(l);
}

bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t want = owner;
	/* acquire on success: as in spin_lock, we now own what the last holder wrote */
	if (!__atomic_compare_exchange_n(&l->next, &want, (uint16_t)(owner + 1), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	set_holder(l);
	return true;
}

bool spin_lock_timeout(struct spinlock *l, uint64_t timeout_ns)
{
	/* A ticket cannot be handed back, so this polls with trylock instead. */
	uint64_t deadline = timer_ns() + timeout_ns;
	while (!spin_trylock(l)) {
		if (timer_ns() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

void spin_unlock(struct spinlock *l)
{
	l->holder = -1;
	uint16_t next_owner = (uint16_t)(l->owner + 1); /* only the holder writes owner */
	/* release: every access in the critical section happens before the next
	 * holder's acquire sees this */
	__atomic_store_n(&l->owner, next_owner, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

bool spin_is_locked(struct spinlock *l)
{
	/* relaxed: a snapshot for assertions and diagnostics */
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}
