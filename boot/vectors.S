/*
 * vectors.S — the exception vector table and the trap frame.
 *
 * Kernel code (and every task) runs at EL1 with SPSel = 0, on SP_EL0.  Taking
 * an exception switches to SP_EL1, the core's own exception stack, so a task
 * that overflows its stack into the guard page still gets a clean report.
 *
 * The table has four groups of four entries (sync, IRQ, FIQ, SError):
 *   current EL, SP_EL0  — the normal case: kernel or task code was running;
 *   current EL, SP_EL1  — an exception inside an exception handler: fatal;
 *   lower EL, AArch64 / AArch32 — allstop has no EL0: unexpected.
 *
 * Every entry saves a struct trap_frame (kernel/trap.h) on SP_EL1 and calls
 * C with a pointer to it; the C side may change elr (to skip an instruction),
 * and the frame is restored from memory on the way out.
 */
#include "kernel/trap.h"

.macro save_frame, nested
	sub	sp, sp, #TRAP_FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	.if \nested
	add	x21, sp, #TRAP_FRAME_SIZE	/* the interrupted SP was SP_EL1 */
	.else
	mrs	x21, sp_el0
	.endif
	stp	x30, x21, [sp, #16 * 15]
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x22, x23, [sp, #16 * 16]
	mrs	x24, esr_el1
	mrs	x25, far_el1
	stp	x24, x25, [sp, #16 * 17]
	mov	x0, sp
.endm

.macro ventry, label
	.balign	0x80
	b	\label
.endm

	.section .vectors, "ax"
	.balign	2048
	.globl	vectors
vectors:
	ventry	cur_sp0_sync
	ventry	cur_sp0_irq
	ventry	cur_sp0_fiq
	ventry	cur_sp0_serror
	ventry	cur_spx_sync
	ventry	cur_spx_irq
	ventry	cur_spx_fiq
	ventry	cur_spx_serror
	ventry	lower64_sync
	ventry	lower64_irq
	ventry	lower64_fiq
	ventry	lower64_serror
	ventry	lower32_sync
	ventry	lower32_irq
	ventry	lower32_fiq
	ventry	lower32_serror

	.text
cur_sp0_sync:
	save_frame 0
	bl	trap_sync
	b	restore_frame

cur_sp0_irq:
	save_frame 0
	bl	trap_irq
	b	restore_frame

.macro unexpected, label, nested, kind
\label:
	save_frame \nested
	mov	x1, #\kind
	bl	trap_unexpected		/* reports and stops: does not return */
1:	wfe
	b	1b
.endm

	unexpected cur_sp0_fiq, 0, TRAP_FIQ
	unexpected cur_sp0_serror, 0, TRAP_SERROR
	unexpected cur_spx_sync, 1, TRAP_NESTED_SYNC
	unexpected cur_spx_irq, 1, TRAP_NESTED_IRQ
	unexpected cur_spx_fiq, 1, TRAP_FIQ
	unexpected cur_spx_serror, 1, TRAP_SERROR
	unexpected lower64_sync, 0, TRAP_LOWER_EL
	unexpected lower64_irq, 0, TRAP_LOWER_EL
	unexpected lower64_fiq, 0, TRAP_LOWER_EL
	unexpected lower64_serror, 0, TRAP_LOWER_EL
	unexpected lower32_sync, 0, TRAP_LOWER_EL
	unexpected lower32_irq, 0, TRAP_LOWER_EL
	unexpected lower32_fiq, 0, TRAP_LOWER_EL
	unexpected lower32_serror, 0, TRAP_LOWER_EL

/* Reload everything from the frame (C may have changed elr) and return. */
restore_frame:
	ldp	x22, x23, [sp, #16 * 16]
	msr	elr_el1, x22
	msr	spsr_el1, x23
	ldp	x30, x21, [sp, #16 * 15]
	msr	sp_el0, x21
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	add	sp, sp, #TRAP_FRAME_SIZE
	eret
