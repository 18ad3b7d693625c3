/*
 * timer.h — time from the generic timer, and each core's periodic tick.
 *
 * Time is CNTVCT_EL0 (the virtual count, equal to the physical one: EL2 set
 * CNTVOFF to 0) scaled by CNTFRQ_EL0, which firmware sets (62.5 MHz on QEMU,
 * 54 MHz on a Pi 4, 19.2 MHz on a Pi 3): never assume a frequency.
 * The tick is the EL1 virtual timer, PPI 27 on a GIC.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stdint.h>

#define TIMER_VIRT_PPI	27
#define TICK_HZ_DEFAULT 100

uint64_t timer_ns(void);
uint64_t ticks_to_ns(uint64_t ticks);
uint64_t ns_to_ticks(uint64_t ns);
/* Busy-wait (with the yield hint) for at least ns nanoseconds. */
void delay_ns(uint64_t ns);

/* Start this core's periodic tick at hz interrupts per second. */
void timer_start_tick(unsigned hz);
/* The handler for TIMER_VIRT_PPI, when this core's timer fires: counts the
 * tick, re-arms the timer, then runs the tick hook.  The interrupt layer sits
 * above this one, so boot_main registers it there (irq_register). */
struct trap_frame;
void timer_irq(int irq, struct trap_frame *tf);
/* fn runs on every tick, after the timer is re-armed, with interrupts masked
 * (boot_main sets the scheduler's sched_tick, before interrupts are on). */
void timer_set_tick_hook(void (*fn)(void));
unsigned timer_tick_hz(void);

/* Hold this core's tick off (interrupts masked, e.g. parked in a stop): a
 * tick that falls due meanwhile does not raise its interrupt, so a wfi
 * still sleeps; timer_tick_resume delivers it late.  Returns what
 * timer_tick_resume needs. */
uint64_t timer_tick_hold(void);
void timer_tick_resume(uint64_t held);

#endif
