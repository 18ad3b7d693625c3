/*
 * power.c — see power.h.
 */
#include "kernel/firmware/power.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/psci.h"

#define SEMIHOST_SYS_EXIT	     0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static enum exit_mode exit_mode = EXIT_PSCI;

void power_set_exit_mode(enum exit_mode m)
{
	exit_mode = m;
}

enum exit_mode power_exit_mode(void)
{
	return exit_mode;
}

void cpu_halt(void)
{
	irq_disable();
	for (;;)
		wfi(); /* may wake for a masked interrupt: just sleep again */
}

void semihost_exit(int status)
{
	/* SYS_EXIT takes a pointer to {reason, subcode}; QEMU exits with subcode. */
	static uint64_t block[2];
	block[0] = ADP_STOPPED_APPLICATION_EXIT;
	block[1] = (uint64_t)status;
	register uint64_t w0 __asm__("x0") = SEMIHOST_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
	__asm__ volatile("hlt #0xf000" ::"r"(w0), "r"(x1) : "memory");
	cpu_halt();
}

void system_exit(int status)
{
	switch (exit_mode) {
	case EXIT_SEMIHOST:
		semihost_exit(status);
	case EXIT_PSCI:
		if (psci_available()) {
			kprintf("allstop: powering off (status %d)\n", status);
			psci_system_off();
		}
		kprintf("allstop: PSCI SYSTEM_OFF unavailable: halting\n");
		cpu_halt();
	case EXIT_HALT:
	default:
		kprintf("allstop: halted (status %d)\n", status);
		cpu_halt();
	}
}
