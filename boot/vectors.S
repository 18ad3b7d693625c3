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
 * Every entry saves a struct trap_frame (kernel/arch/trap.h) on SP_EL1 and calls
 * C with a pointer to it; the C side may change elr (to skip an instruction),
 * and the frame is restored from memory on the way out.
 *
 * The frame holds the FP/SIMD state too: all of q0-q31, FPCR and FPSR.
 * Kernel C is built with -mgeneral-regs-only, but newlib is not: kprintf in a
 * handler runs newlib's vfprintf, memset, memchr and strchr, which use v0-v7,
 * v16-v18 and d8-d9, so without this an interrupt would corrupt the vector
 * registers of the task it interrupted (issue 11).  All 32 are saved, not
 * only the caller-saved ones: the AAPCS64 makes a callee preserve only the
 * low 64 bits of v8-v15 (d8-d15), and an interrupted leaf may hold a live
 * 128-bit value there.  (Saving all but q8-q15 fails tests/kernel/
 * test_fpsimd.c: vfprintf saves and restores d8, and writing d8 clears the
 * top half of v8.)  The handler then runs with the default FP mode, FPCR = 0
 * (round to nearest, no flush-to-zero, no default NaN, no traps), and
 * FPSR = 0 (no flags), whatever the task had set.
 *
 * Cost: 42 instructions per exception, 21 in and 21 out (16 stp/ldp of q
 * pairs, FPCR and FPSR).  Measured with run=bench's "trap bench" (an IPI a
 * core sends itself: one IRQ entry, GIC acknowledge and end, handler, exit),
 * QEMU virt -smp 4, cortex-a72, before and after this save:
 *   -icount shift=0 (1 ns = 1 instruction): mean 253 -> 295 ns, +17% on this
 *     shortest of paths; the IPI round trip to another core 432 -> 464 ns;
 *     a stop-the-world's latency (3 cores parked) 928 -> 1040 ns;
 *   real time under TCG, on a loaded 2-core host: medians 5.1-9.8 us without,
 *     9.7-10.7 us with (and 5.5-7.1 vs 4.0-7.9 us at -smp 1): the difference
 *     is inside QEMU's noise, as it is in the stop-the-world figures.
 * On hardware it is 16 128-bit stores and 16 loads: by estimate tens of
 * cycles, next to GIC register accesses that cost hundreds; not yet measured
 * on a Pi.
 */
#include "kernel/arch/trap.h"

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
	save_fpsimd
	mov	x0, sp
.endm

/* All of q0-q31, FPCR and FPSR into the frame (see the top of this file);
 * then the default FP mode for the handler.  Uses x22-x23, already saved. */
.macro save_fpsimd
	stp	q0, q1, [sp, #TF_Q + 32 * 0]
	stp	q2, q3, [sp, #TF_Q + 32 * 1]
	stp	q4, q5, [sp, #TF_Q + 32 * 2]
	stp	q6, q7, [sp, #TF_Q + 32 * 3]
	stp	q8, q9, [sp, #TF_Q + 32 * 4]
	stp	q10, q11, [sp, #TF_Q + 32 * 5]
	stp	q12, q13, [sp, #TF_Q + 32 * 6]
	stp	q14, q15, [sp, #TF_Q + 32 * 7]
	stp	q16, q17, [sp, #TF_Q + 32 * 8]
	stp	q18, q19, [sp, #TF_Q + 32 * 9]
	stp	q20, q21, [sp, #TF_Q + 32 * 10]
	stp	q22, q23, [sp, #TF_Q + 32 * 11]
	stp	q24, q25, [sp, #TF_Q + 32 * 12]
	stp	q26, q27, [sp, #TF_Q + 32 * 13]
	stp	q28, q29, [sp, #TF_Q + 32 * 14]
	stp	q30, q31, [sp, #TF_Q + 32 * 15]
	mrs	x22, fpcr
	mrs	x23, fpsr
	stp	x22, x23, [sp, #TF_FPCR]
	/* A write to FPCR may be self-synchronising (slow on some cores): skip
	 * it in the usual case, a task that never changed it. */
	cbz	x22, 1f
	msr	fpcr, xzr
1:	msr	fpsr, xzr
.endm

/* The other way; FPCR again written only if the handler's value differs. */
.macro restore_fpsimd
	ldp	q0, q1, [sp, #TF_Q + 32 * 0]
	ldp	q2, q3, [sp, #TF_Q + 32 * 1]
	ldp	q4, q5, [sp, #TF_Q + 32 * 2]
	ldp	q6, q7, [sp, #TF_Q + 32 * 3]
	ldp	q8, q9, [sp, #TF_Q + 32 * 4]
	ldp	q10, q11, [sp, #TF_Q + 32 * 5]
	ldp	q12, q13, [sp, #TF_Q + 32 * 6]
	ldp	q14, q15, [sp, #TF_Q + 32 * 7]
	ldp	q16, q17, [sp, #TF_Q + 32 * 8]
	ldp	q18, q19, [sp, #TF_Q + 32 * 9]
	ldp	q20, q21, [sp, #TF_Q + 32 * 10]
	ldp	q22, q23, [sp, #TF_Q + 32 * 11]
	ldp	q24, q25, [sp, #TF_Q + 32 * 12]
	ldp	q26, q27, [sp, #TF_Q + 32 * 13]
	ldp	q28, q29, [sp, #TF_Q + 32 * 14]
	ldp	q30, q31, [sp, #TF_Q + 32 * 15]
	ldp	x22, x23, [sp, #TF_FPCR]
	mrs	x24, fpcr
	cmp	x24, x22
	b.eq	1f
	msr	fpcr, x22
1:	msr	fpsr, x23
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
	restore_fpsimd
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
