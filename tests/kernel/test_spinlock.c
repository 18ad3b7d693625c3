/*
 * test_spinlock.c — the exclusive-based lock makes a shared counter exact
 * when every core increments it at once.
 */
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/smp/smp.h"
#include "kernel/arch/spinlock.h"

/* Increments in all, shared by the cores: enough for every core to contend. */
#define TOTAL_ROUNDS 40000

static struct spinlock counter_lock = SPINLOCK_INIT("test-counter");
static volatile uint64_t counter;
static volatile int go;

static int rounds;

static void hammer(void *arg)
{
	(void)arg;
	/* acquire: start together, after the reset of counter */
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (int i = 0; i < rounds; i++) {
		spin_lock(&counter_lock);
		counter = counter + 1; /* a plain read-modify-write: only the lock protects it */
		spin_unlock(&counter_lock);
	}
}

KTEST(spinlock, counter_incremented_by_every_core_is_exact)
{
	counter = 0;
	rounds = TOTAL_ROUNDS / cpus_online();
	__atomic_store_n(&go, 0, __ATOMIC_RELEASE); /* set before any core looks */
	for_each_online_cpu(c) if (c->id != cpu_id()) KASSERT(smp_call(c->id, hammer, NULL));
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE); /* publishes counter = 0 */
	hammer(NULL);
	for_each_online_cpu(c) if (c->id != cpu_id()) KASSERT(smp_call_wait(c->id, 60000000000ULL));
	KASSERT_EQ(counter, (uint64_t)cpus_online() * (uint64_t)rounds);
	KASSERT(!spin_is_locked(&counter_lock));
}

KTEST(spinlock, trylock_and_irqsave)
{
	struct spinlock l = SPINLOCK_INIT("t");
	KASSERT(spin_trylock(&l));
	KASSERT(spin_is_locked(&l));
	KASSERT(!spin_trylock(&l)); /* not recursive */
	KASSERT_EQ(l.holder, cpu_id());
	spin_unlock(&l);
	KASSERT(!spin_is_locked(&l));

	KASSERT(irqs_enabled());
	uint64_t flags = spin_lock_irqsave(&l);
	KASSERT(!irqs_enabled());
	spin_unlock_irqrestore(&l, flags);
	KASSERT(irqs_enabled());
	KASSERT(spin_lock_timeout(&l, 1000000));
	KASSERT(!spin_lock_timeout(&l, 1000000)); /* held: gives up */
	spin_unlock(&l);
}
