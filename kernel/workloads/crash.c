/*
 * crash.c — deliberate failures, so the panic path itself can be tested
 * (run=crash:<kind>) and seen (the shell's panic command).
 *
 *   panic   panic() on the boot core
 *   abort   a data abort on another core (the report comes from that core)
 *   undef   an undefined instruction on the boot core
 *   null    a read through a NULL pointer on the boot core: page 0 is
 *           unmapped after boot (mmu_unmap_low), so it is a data abort
 *   double  two cores panic at the same moment: still one report
 *   stw-watchdog  a core masks interrupts for ever; a stop-the-world must
 *           warn naming it (stw_watchdog=), then panic (stw_panic=) instead
 *           of hanging
 *   stw-slow  not a crash: a core masks interrupts for 300 ms, longer than
 *           the default stw_watchdog but shorter than stw_panic; the stop
 *           must warn, then complete, and the run ends with status 0
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/panic/panic.h"
#include "kernel/smp/smp.h"
#include "kernel/stw/stop.h"
#include "kernel/workloads/workloads.h"
#include "kernel/arch/timer.h"

#include <string.h>

static int crash_go, crash_ready;

static void do_abort(void *arg)
{
	(void)arg;
	*(volatile uint64_t *)0x7f00000040ULL = 1; /* unmapped: data abort */
}

static void do_double(void *arg)
{
	(void)arg;
	/* Masked, so the other core's panic IPI cannot stop us first: both
	 * cores really do panic. */
	irq_disable();
	__atomic_fetch_add(&crash_ready, 1, __ATOMIC_RELEASE); /* "I am at the barrier" */
	/* acquire: leave the barrier together with the other core */
	while (!__atomic_load_n(&crash_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	panic("simultaneous panic number %d", cpu_id());
}

static int other_cpu(void)
{
	for_each_online_cpu(c) if (c->id != cpu_id()) return c->id;
	return -1;
}

#define STW_SLOW_MS 300 /* run=crash:stw-slow: between the two watchdog limits */

static int masked; /* the other core has masked its interrupts */

/*
 * Mask interrupts on this core for ms milliseconds (0: for ever), after
 * spinning right here with them on until two ticks have come: the last
 * interrupt before the mask then leaves a heartbeat in this function, so the
 * watchdog's "last seen at PC" can be checked against the symbol table
 * (tests/run.py does; noinline keeps the PC in a function of this name).
 */
static __attribute__((noinline)) void spin_masked(uint64_t ms, const char *doing)
{
	struct cpu *c = this_cpu();
	uint64_t ticks = c->ticks;
	/* relaxed: our own interrupt handler counts them; only the value matters */
	while (__atomic_load_n(&c->ticks, __ATOMIC_RELAXED) < ticks + 2)
		cpu_relax(); /* interrupts on: ticks arrive here */
	c->doing = doing;
	irq_disable();
	/* release: the stopper sees us masked only once we are */
	__atomic_store_n(&masked, 1, __ATOMIC_RELEASE);
	uint64_t until = timer_count() + ns_to_ticks(ms * 1000000ULL);
	while (ms == 0 || timer_count() < until)
		cpu_relax();
	irq_enable(); /* the pending IPI_STOP is taken here: we park */
}

static void mask_forever(void *arg)
{
	(void)arg;
	spin_masked(0, "spinning with interrupts masked (run=crash:stw-watchdog)");
}

static void mask_for_a_while(void *arg)
{
	(void)arg;
	spin_masked(STW_SLOW_MS, "spinning with interrupts masked for 300 ms (run=crash:stw-slow)");
}

/* Start fn on the other core and wait until it has masked its interrupts. */
static void mask_other(int other, void (*fn)(void *))
{
	__atomic_store_n(&masked, 0, __ATOMIC_RELAXED); /* published by smp_call's release */
	smp_call(other, fn, NULL);
	/* acquire: pairs with spin_masked's release: it is masked now */
	while (!__atomic_load_n(&masked, __ATOMIC_ACQUIRE))
		cpu_relax();
}

int crash_run(const char *kind)
{
	int other = other_cpu();
	if (strcmp(kind, "panic") == 0)
		panic("deliberate panic (run=crash:panic)");
	if (strcmp(kind, "undef") == 0)
		__asm__ volatile(".inst 0x00000000"); /* UDF #0 */
	if (strcmp(kind, "null") == 0) {
		/* The pointer is volatile too, so the compiler cannot see it is
		 * NULL (and turn the read into a trap of its own); the target
		 * is volatile, so the read happens. */
		volatile uint64_t *volatile p = NULL;
		uint64_t v = *p;
		kprintf("crash: reading NULL returned %#llx: page 0 is mapped\n",
			(unsigned long long)v);
		return 1;
	}
	if (strcmp(kind, "abort") == 0) {
		if (other < 0)
			do_abort(NULL);
		smp_call(other, do_abort, NULL);
		smp_call_wait(other, 5000000000ULL); /* the panic IPI arrives first */
		kprintf("crash: cpu%d did not fault\n", other);
		return 1;
	}
	if (strcmp(kind, "stw-watchdog") == 0) {
		if (other < 0) {
			kprintf("crash: stw-watchdog needs two cores\n");
			return 1;
		}
		mask_other(other, mask_forever);
		stop_the_world("crash: stw-watchdog");
		kprintf("crash: the world stopped although cpu%d masks interrupts\n", other);
		return 1;
	}
	if (strcmp(kind, "stw-slow") == 0) {
		if (other < 0) {
			kprintf("crash: stw-slow needs two cores\n");
			return 1;
		}
		mask_other(other, mask_for_a_while);
		uint64_t t0 = timer_ns();
		stop_the_world("crash: stw-slow");
		uint64_t waited = timer_ns() - t0;
		start_the_world();
		kprintf("crash: stw-slow: the stop waited %llu ms for cpu%d, then completed\n",
			(unsigned long long)(waited / 1000000), other);
		return 0;
	}
	if (strcmp(kind, "double") == 0) {
		__atomic_store_n(&crash_go, 0, __ATOMIC_RELAXED); /* before the posts' release */
		__atomic_store_n(&crash_ready, 0, __ATOMIC_RELAXED);
		if (other >= 0) {
			smp_call(other, do_double, NULL);
			/* acquire: pairs with the other core's "ready" increment */
			while (__atomic_load_n(&crash_ready, __ATOMIC_ACQUIRE) < 1)
				cpu_relax();
		}
		irq_disable();
		__atomic_store_n(&crash_go, 1, __ATOMIC_RELEASE); /* starts both */
		do_double(NULL);
	}
	kprintf("crash: unknown kind '%s' (expected panic, abort, undef, null, double, "
		"stw-watchdog or stw-slow)\n",
		kind);
	return 1;
}
