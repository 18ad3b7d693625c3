/*
 * boot.h — constants shared by the boot assembly and the C that follows it.
 */
#ifndef BOOT_H
#define BOOT_H

#include "kernel/arch/limits.h" /* MAX_CPUS */

#define BOOT_STACK_SIZE 16384 /* each core's first stack; its idle loop runs here */
/* Each core's SP_EL1: every exception lands here.  A trap frame is 816 bytes
 * (kernel/arch/trap.h); the deepest use measured is about 3 KB (a panic report; an
 * interrupt that prints, 2.6 KB), which leaves room for one nested fault. */
#define EXCEPTION_STACK_SIZE 8192

/* SCTLR_EL1 RES1 bits (ARMv8.0: 29, 28, 23, 22, 20, 11), little-endian,
 * MMU and caches off, alignment checking off. */
#define SCTLR_EL1_RES1 0x30d00800
/* M (MMU), C (data cache), SA (SP alignment check), I (instruction cache). */
#define SCTLR_EL1_MMU_ON ((1 << 0) | (1 << 2) | (1 << 3) | (1 << 12))

#ifndef __ASSEMBLY__
#include <stdint.h>

/* The three registers a core loads to join the kernel's address space. */
struct mmu_regs {
	uint64_t mair, tcr, ttbr0;
};
extern struct mmu_regs mmu_boot_regs;

void mmu_enable(const struct mmu_regs *regs);
void secondary_entry(void);
void spin_table_entry(void);

/* Holding-pen slots for cores that entered with the boot core (EL3 entry). */
extern volatile uint64_t pen_release[MAX_CPUS];
extern uint8_t boot_stacks[MAX_CPUS][BOOT_STACK_SIZE];
extern uint8_t exception_stacks[MAX_CPUS][EXCEPTION_STACK_SIZE];
extern char _start_image[], _end_image[], _end[], __bss_start[], __bss_end[];
extern char vectors[];
#endif

#endif
