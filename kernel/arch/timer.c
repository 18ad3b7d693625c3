/*
 * timer.c — the generic timer.  See timer.h.
 */
#include "kernel/arch/timer.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"

/* CNTV_CTL_EL0 bits. */
#define CNTV_CTL_ENABLE (1 << 0)
#define CNTV_CTL_IMASK	(1 << 1)

static unsigned tick_hz = TICK_HZ_DEFAULT;
static void (*tick_hook)(void); /* the scheduler's, run on every tick */

uint64_t ticks_to_ns(uint64_t ticks)
{
	uint64_t f = timer_freq();
	/* split to avoid overflow: whole seconds, then the remainder */
	return ticks / f * 1000000000ULL + ticks % f * 1000000000ULL / f;
}

uint64_t ns_to_ticks(uint64_t ns)
{
	uint64_t f = timer_freq();
	return ns / 1000000000ULL * f + ns % 1000000000ULL * f / 1000000000ULL;
}

uint64_t timer_ns(void)
{
	return ticks_to_ns(timer_count());
}

void delay_ns(uint64_t ns)
{
	uint64_t end = timer_count() + ns_to_ticks(ns);
	while (timer_count() < end)
		cpu_relax();
}

static void timer_arm(void)
{
	write_sysreg(cntv_tval_el0, timer_freq() / tick_hz);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb(); /* the new compare value is in effect before we go on */
}

void timer_start_tick(unsigned hz)
{
	if (hz)
		tick_hz = hz; /* the same on every core: written before secondaries start */
	timer_arm();
}

void timer_set_tick_hook(void (*fn)(void))
{
	/* release: what the hook uses is set up before timer_irq can call it
	 * (pairs with the acquire load there) */
	__atomic_store_n(&tick_hook, fn, __ATOMIC_RELEASE);
}

void timer_irq(int irq, struct trap_frame *tf)
{
	(void)irq;
	(void)tf;
	this_cpu()->ticks++;
	timer_arm(); /* re-arming also clears the interrupt condition */
	/* acquire: pairs with timer_set_tick_hook's release */
	void (*hook)(void) = __atomic_load_n(&tick_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook();
}

unsigned timer_tick_hz(void)
{
	return tick_hz;
}

/*
 * Why hold the tick: a core waiting in wfi with interrupts masked wakes on
 * any pending interrupt, masked or not.  Once its tick falls due, the tick
 * stays pending (nobody takes it), and every later wfi returns at once: the
 * core spins.  Under QEMU a spinning vCPU takes a host CPU from the vCPUs the
 * stop is waiting for (measured with -smp 4 on 2 host CPUs: 70% of parked
 * cores spun, and parking took 5-9 ms instead of 0.2 ms).  IMASK lowers the
 * timer's output, so the interrupt is no longer pending; the compare value
 * is kept, and unmasking raises it again if it is due.
 */
uint64_t timer_tick_hold(void)
{
	uint64_t ctl = read_sysreg(cntv_ctl_el0);
	write_sysreg(cntv_ctl_el0, ctl | CNTV_CTL_IMASK);
	isb(); /* the mask is in effect before the caller's wfi */
	return ctl;
}

void timer_tick_resume(uint64_t held)
{
	write_sysreg(cntv_ctl_el0, held);
	isb(); /* a due tick is raised again before we go on (and unmask) */
}
