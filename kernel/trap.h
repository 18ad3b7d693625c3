/*
 * trap.h — the saved state of an interrupted core, and the C entry points the
 * vectors (boot/vectors.S) call.
 */
#ifndef TRAP_H
#define TRAP_H

#define TRAP_FRAME_SIZE (36 * 8)

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
};

_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "frame layout matches vectors.S");

void trap_sync(struct trap_frame *tf);
void trap_irq(struct trap_frame *tf);
void trap_unexpected(struct trap_frame *tf, int kind);

/*
 * Expected faults, for tests: arm the current core, run an instruction that
 * faults, and the handler records the fault and skips the instruction instead
 * of panicking.  fault_expect_end() returns the recorded ESR (0 if no fault).
 */
void fault_expect_begin(void);
uint64_t fault_expect_end(uint64_t *far, uint64_t *elr);

/* ESR decoding, shared by the panic report and the tests. */
const char *esr_class_name(uint64_t esr);
void esr_describe(uint64_t esr, char *buf, int len);
#endif

#endif
