/*
 * cpu.h — per-core state.  Each core finds its own struct cpu through
 * TPIDR_EL1, which it sets once at start-up and never changes.  Only what
 * every layer may ask of a core lives here; each subsystem keeps its own
 * per-core state in its own array indexed by cpu_id() (the run queues in
 * kernel/task/sched.c, smp_call's slots in kernel/smp/smp.c, the expected
 * faults in kernel/arch/fault.c, newlib's state in kernel/drivers/console.c).
 */
#ifndef CPU_H
#define CPU_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/arch/limits.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/spinlock.h"

struct task;

enum cpu_state {
	CPU_ABSENT = 0, /* not listed, or not started yet */
	CPU_STARTING, /* CPU_ON / spin-table release sent, not arrived */
	CPU_ONLINE, /* running the kernel */
	CPU_FAILED, /* did not come up: see start_error */
	CPU_HALTED, /* stopped for good by a panic */
};

struct cpu {
	int id; /* logical id: index in the device tree's /cpus */
	uint64_t mpidr; /* affinity, as the device tree and MPIDR_EL1 give it */
	int entry_el; /* the exception level the core arrived at */
	int state; /* enum cpu_state; written with release, read with acquire */
	int64_t start_error; /* PSCI return code when the core did not come up */

	uint64_t ticks; /* timer interrupts taken */
	uint64_t irqs; /* all interrupts taken */
	uint64_t ipi_count[8]; /* IPIs received, by type (kernel/irq/ipi.h) */

	/* The task running here, NULL in the scheduler loop (kernel/task/sched.c
	 * sets it around each switch; a panic report and the collector read it). */
	struct task *current;

	/* What the core was last doing, for the stop-the-world watchdog and panics. */
	const char *doing;

} __attribute__((aligned(64)));

extern struct cpu cpus[MAX_CPUS];
extern int ncpus; /* cores the device tree lists (and we can handle) */
extern int boot_cpu_id;

static inline struct cpu *this_cpu(void)
{
	return (struct cpu *)read_sysreg(tpidr_el1);
}

static inline int cpu_id(void)
{
	return this_cpu()->id;
}

static inline int cpu_state(const struct cpu *c)
{
	return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE); /* pairs with cpu_set_state */
}

static inline void cpu_set_state(struct cpu *c, int s)
{
	/* everything this core wrote before (its set-up) is visible to whoever
	 * sees the new state */
	__atomic_store_n(&c->state, s, __ATOMIC_RELEASE);
}

/* Number of cores currently online, and a mask of them. */
int cpus_online(void);
uint64_t cpus_online_mask(void);

/* Make this core's struct cpu current (TPIDR_EL1) and set up its newlib state. */
void cpu_init_self(int id, uint64_t mpidr, int entry_el);

/* The first online core at or after index i, or NULL. */
static inline struct cpu *cpu_online_from(int i)
{
	for (; i < ncpus; i++)
		if (cpu_state(&cpus[i]) == CPU_ONLINE)
			return &cpus[i];
	return NULL;
}

/* Each online core in turn: a plain for loop (no hidden if, so an else
 * after it binds as it reads). */
#define for_each_online_cpu(c)                                                                     \
	for (struct cpu *c = cpu_online_from(0); c; c = cpu_online_from(c->id + 1))

#endif
