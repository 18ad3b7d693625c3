/*
 * crash.c — deliberate failures, so the panic path itself can be tested
 * (run=crash:<kind>) and seen (the shell's panic command).
 *
 *   panic   panic() on the boot core
 *   abort   a data abort on another core (the report comes from that core)
 *   undef   an undefined instruction on the boot core
 *   double  two cores panic at the same moment: still one report
 *   stw-watchdog  a core masks interrupts for ever; a stop-the-world must
 *           name it and panic instead of hanging
 */
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/stop.h"
#include "kernel/timer.h"

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

static void mask_forever(void *arg)
{
	(void)arg;
	this_cpu()->doing = "spinning with interrupts masked (run=crash:stw-watchdog)";
	irq_disable();
	for (;;)
		cpu_relax();
}

int crash_run(const char *kind)
{
	int other = other_cpu();
	if (strcmp(kind, "panic") == 0)
		panic("deliberate panic (run=crash:panic)");
	if (strcmp(kind, "undef") == 0)
		__asm__ volatile(".inst 0x00000000"); /* UDF #0 */
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
		smp_call(other, mask_forever, NULL);
		delay_ns(10000000); /* let it mask */
		stop_the_world("crash: stw-watchdog");
		kprintf("crash: the world stopped although cpu%d masks interrupts\n", other);
		return 1;
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
	kprintf("crash: unknown kind '%s' (expected panic, abort, undef or double)\n", kind);
	return 1;
}
