/*
 * switch.S — the context switch.
 *
 * switch_to(from, to) saves the callee-saved registers (x19-x28, the frame
 * pointer x29, the return address x30, sp, and d8-d15, the callee-saved part
 * of the FP/SIMD registers) into *from and loads them from *to.  Everything
 * else is caller-saved under the AAPCS64: the C code that called switch_to
 * has already kept what it needs.  Returning with to's x30 resumes the other
 * context right after its own call to switch_to — or, for a new task, in
 * task_trampoline.
 *
 * Layout: struct context in kernel/task/task.h.
 */
	.text
	.globl	switch_to
switch_to:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	stp	d8, d9, [x0, #104]
	stp	d10, d11, [x0, #120]
	stp	d12, d13, [x0, #136]
	stp	d14, d15, [x0, #152]
	mov	x0, x1
	/* fall through */

/* load_context(ctx): resume ctx; used directly to leave an exception handler
 * for good (a killed task never returns to where it faulted). */
	.globl	load_context
load_context:
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x9, [x0, #96]
	mov	sp, x9
	ldp	d8, d9, [x0, #104]
	ldp	d10, d11, [x0, #120]
	ldp	d12, d13, [x0, #136]
	ldp	d14, d15, [x0, #152]
	ret

/* A new task's first instructions: its struct task is in x19. */
	.globl	task_trampoline
task_trampoline:
	mov	x0, x19
	mov	x29, #0			/* the end of the frame chain, for backtraces */
	bl	task_start		/* never returns */
1:	b	1b

/*
 * abandon_exception(ctx, exception_stack_top): from inside an exception
 * handler, on SP_EL1, drop the exception (it is never returned from): reset
 * SP_EL1 to the top of this core's exception stack, go back to running on
 * SP_EL0, and resume ctx.
 */
	.globl	abandon_exception
abandon_exception:
	mov	sp, x1			/* SPSel is 1 here: this resets SP_EL1 */
	msr	spsel, #0
	b	load_context
