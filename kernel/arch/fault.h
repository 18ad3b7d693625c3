/*
 * fault.h — expected faults: a core armed for one records it instead of
 * panicking (tests, the litmus runner).
 */
#ifndef FAULT_H
#define FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/*
 * Expected faults, for tests: arm the current core, run an instruction that
 * faults, and the handler records the fault and skips the instruction instead
 * of panicking.  fault_expect_end() returns the recorded ESR (0 if no fault).
 */
void fault_expect_begin(void);
uint64_t fault_expect_end(uint64_t *far, uint64_t *elr);
/* The same, but a fault resumes at pc instead of the next instruction (the
 * litmus runner's generated code: its fault exit, see kernel/litmus/gen.c). */
void fault_expect_resume(uint64_t pc);

/* The exception handler's question: was this core armed?  If so, record the
 * fault, move tf's return address past it (or to the resume point), disarm,
 * and return true. */
bool fault_take_expected(int cpu, struct trap_frame *tf);

#endif
