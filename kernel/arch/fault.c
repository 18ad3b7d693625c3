/*
 * fault.c — expected faults.  A test (or the litmus runner's generated code)
 * arms its core, runs an instruction that may fault, and disarms; the
 * exception handler (kernel/panic/exceptions.c) asks fault_take_expected
 * first, which records the fault and moves the return address past it instead
 * of letting the fault become a panic.
 */
#include "kernel/arch/fault.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/trap.h"

/* An armed core's record of the fault it expects: written by this core only
 * (the arming code, then its own exception handler). */
struct fault_record {
	bool armed;
	uint64_t esr, far, elr;
	uint64_t resume; /* where the fault resumes; 0: the next instruction */
};
static struct fault_record faults[MAX_CPUS];

void fault_expect_begin(void)
{
	struct fault_record *f = &faults[cpu_id()];
	f->esr = f->far = f->elr = 0;
	f->resume = 0;
	f->armed = true;
	barrier(); /* compiler: armed before the faulting instruction the caller runs next */
}

void fault_expect_resume(uint64_t pc)
{
	fault_expect_begin();
	faults[cpu_id()].resume = pc;
	barrier(); /* compiler: the resume point is set before the code that may fault runs */
}

uint64_t fault_expect_end(uint64_t *far, uint64_t *elr)
{
	struct fault_record *f = &faults[cpu_id()];
	barrier(); /* compiler: read the record after the faulting instruction */
	f->armed = false;
	if (far)
		*far = f->far;
	if (elr)
		*elr = f->elr;
	return f->esr;
}

bool fault_take_expected(int cpu, struct trap_frame *tf)
{
	struct fault_record *f = &faults[cpu];
	if (!f->armed)
		return false;
	f->armed = false;
	f->esr = tf->esr;
	f->far = tf->far;
	f->elr = tf->elr;
	/* skip the faulting instruction (all are 4 bytes), or resume where the
	 * caller asked */
	tf->elr = f->resume ? f->resume : tf->elr + 4;
	return true;
}
