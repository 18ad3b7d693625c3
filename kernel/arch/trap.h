/*
 * trap.h — the saved state of an interrupted core, and the C entry points the
 * vectors (boot/vectors.S) call.
 */
#ifndef TRAP_H
#define TRAP_H

/*
 * The frame's layout, shared with boot/vectors.S: the general registers and
 * the exception registers first (their offsets never change: the collector
 * and the panic report read x[] and sp), then the FP/SIMD state.
 */
#define TF_FPCR		(36 * 8) /* fpcr, then fpsr */
#define TF_Q		(38 * 8) /* q0..q31, 16 bytes each, 16-byte aligned */
#define TRAP_FRAME_SIZE (TF_Q + 32 * 16)

/* What kind of unexpected exception trap_unexpected() got. */
#define TRAP_FIQ	 1
#define TRAP_SERROR	 2
#define TRAP_NESTED_SYNC 3
#define TRAP_NESTED_IRQ	 4
#define TRAP_LOWER_EL	 5

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_frame {
	uint64_t x[31]; /* x0..x30 */
	uint64_t sp; /* the interrupted stack pointer */
	uint64_t elr; /* where the core was: the return address */
	uint64_t spsr; /* its PSTATE */
	uint64_t esr; /* why (for synchronous exceptions) */
	uint64_t far; /* the faulting address (aborts) */
	/* The interrupted context's FP/SIMD state: newlib (printf, memset,
	 * strchr) uses the vector registers, and handlers call it. */
	uint64_t fpcr; /* FPCR: rounding mode, flush-to-zero, default NaN */
	uint64_t fpsr; /* FPSR: the cumulative exception flags */
	uint64_t q[32][2]; /* q0..q31: [0] the low 64 bits (d0..d31), [1] the high */
};

_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "frame layout matches vectors.S");
_Static_assert(__builtin_offsetof(struct trap_frame, fpcr) == TF_FPCR, "fpcr offset");
_Static_assert(__builtin_offsetof(struct trap_frame, q) == TF_Q, "q offset");
_Static_assert(TF_Q % 16 == 0 && TRAP_FRAME_SIZE % 16 == 0, "q slots and SP stay 16-byte aligned");

/*
 * The vectors' C entry points (boot/vectors.S calls them), each defined by the
 * layer that handles it: trap_sync and trap_unexpected by kernel/panic/exceptions.c,
 * trap_irq by kernel/irq/irq.c.
 */
void trap_sync(struct trap_frame *tf);
void trap_irq(struct trap_frame *tf);
void trap_unexpected(struct trap_frame *tf, int kind);

/* ESR_EL1's fields, and the exception classes the kernel acts on. */
#define ESR_EC(esr)    (((esr) >> 26) & 0x3f) /* exception class */
#define ESR_ISS(esr)   ((esr)&0x1ffffff) /* instruction-specific syndrome */
#define ESR_IMM16(esr) ((esr)&0xffff) /* BRK/SVC/HVC/SMC's immediate */
#define EC_UNKNOWN     0x00
#define EC_IABT_SAME   0x21
#define EC_DABT_SAME   0x25
#define EC_BRK64       0x3c

/* ESR decoding (kernel/arch/esr.c), shared by the panic report and the tests. */
const char *esr_class_name(uint64_t esr);
void esr_describe(uint64_t esr, char *buf, int len);
#endif

#endif
