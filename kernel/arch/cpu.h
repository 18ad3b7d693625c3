/*
 * cpu.h — per-core state.  Each core finds its own struct cpu through
 * TPIDR_EL1, which it sets once at start-up and never changes.
 */
#ifndef CPU_H
#define CPU_H

#include <stdint.h>
#include <stdbool.h>
#include <reent.h>
#include "boot/boot.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/spinlock.h"
#include "kernel/task/task.h"

struct trap_frame;

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

	/* smp_call: one function to run on this core, posted by another core. */
	void (*call_fn)(void *);
	void *call_arg;
	int call_pending; /* 1 posted, 0 done; release/acquire pair with the poster */

	/* Expected faults (tests): see trap.h. */
	bool fault_armed;
	uint64_t fault_esr, fault_far, fault_elr;
	uint64_t fault_resume; /* where an expected fault resumes; 0: the next instruction */

	/* The scheduler (kernel/task/sched.c). */
	struct task *current; /* running task, NULL in the scheduler */
	struct context sched_ctx; /* the scheduler loop, while a task runs */
	struct spinlock rq_lock; /* guards the run queue and the sleepers */
	struct task *rq_head, *rq_tail;
	int rq_len;
	int rq_stealable; /* of those, the ones not pinned here */
	struct task *sleepers; /* sorted by wake_at_ns */
	int idle; /* 1 while in wfi with nothing to run */
	uint64_t switches; /* tasks switched to */
	uint64_t steals; /* tasks taken from other cores */

	/* What the core was last doing, for the stop-the-world watchdog and panics. */
	const char *doing;

	struct _reent reent; /* newlib's per-thread state, for this core's printf */
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

#define for_each_online_cpu(c)                                                                     \
	for (struct cpu *c = &cpus[0]; c < &cpus[ncpus]; c++)                                      \
		if (cpu_state(c) == CPU_ONLINE)

#endif
