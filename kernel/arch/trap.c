/*
 * trap.c — synchronous exceptions: decode ESR_EL1, let tests expect a fault,
 * turn everything else into a panic report.
 */
#include "kernel/arch/trap.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/panic/panic.h"
#include "kernel/mm/stack.h"
#include "kernel/task/task.h"

#include <string.h>

#define ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

#define EC_UNKNOWN   0x00
#define EC_IABT_SAME 0x21
#define EC_DABT_SAME 0x25
#define EC_BRK64     0x3c

static const char *const ec_names[64] = {
    [0x00] = "Unknown reason (undefined instruction)",
    [0x01] = "WFI/WFE trapped",
    [0x07] = "SVE/SIMD/FP access trapped",
    [0x0e] = "Illegal execution state",
    [0x15] = "SVC instruction",
    [0x16] = "HVC instruction",
    [0x17] = "SMC instruction",
    [0x18] = "MSR/MRS/system instruction trapped",
    [0x20] = "Instruction abort from a lower EL",
    [0x21] = "Instruction abort (same EL)",
    [0x22] = "PC alignment fault",
    [0x24] = "Data abort from a lower EL",
    [0x25] = "Data abort (same EL)",
    [0x26] = "SP alignment fault",
    [0x2c] = "Floating-point exception",
    [0x2f] = "SError interrupt",
    [0x30] = "Breakpoint from a lower EL",
    [0x31] = "Breakpoint (same EL)",
    [0x32] = "Software step from a lower EL",
    [0x33] = "Software step (same EL)",
    [0x34] = "Watchpoint from a lower EL",
    [0x35] = "Watchpoint (same EL)",
    [0x3c] = "BRK instruction",
};

const char *esr_class_name(uint64_t esr)
{
	const char *n = ec_names[ESR_EC(esr)];
	return n ? n : "Reserved/unrecognised exception class";
}

/* The fault status code of an abort: its kind and translation level. */
static const char *fault_status(unsigned fsc, int *level)
{
	*level = (int)(fsc & 3);
	switch (fsc & 0x3c) {
	case 0x00:
		return "address size fault";
	case 0x04:
		return "translation fault";
	case 0x08:
		return "access flag fault";
	case 0x0c:
		return "permission fault";
	}
	*level = -1;
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	case 0x31:
		return "unsupported atomic hardware update";
	case 0x34:
		return "implementation-defined fault (lockdown)";
	case 0x35:
		return "implementation-defined fault (unsupported exclusive or atomic)";
	default:
		return "unrecognised fault status";
	}
}

void esr_describe(uint64_t esr, char *buf, int len)
{
	unsigned ec = ESR_EC(esr), iss = ESR_ISS(esr);
	int n = ksnprintf(buf, (size_t)len, "EC %#x (%s), ISS %#x", ec, esr_class_name(esr), iss);
	if (n < 0 || n >= len)
		return;
	if (ec == EC_DABT_SAME || ec == 0x24 || ec == EC_IABT_SAME || ec == 0x20) {
		int level;
		const char *what = fault_status(iss & 0x3f, &level);
		n += ksnprintf(buf + n, (size_t)(len - n), ": %s", what);
		if (level >= 0 && n < len)
			n += ksnprintf(buf + n, (size_t)(len - n), ", level %d", level);
		if ((ec == EC_DABT_SAME || ec == 0x24) && n < len)
			n += ksnprintf(buf + n, (size_t)(len - n), ", %s%s",
				       (iss & (1u << 6)) ? "write" : "read",
				       (iss & (1u << 10)) ? ", FAR not valid" : "");
	} else if (ec == EC_BRK64 || ec == 0x15 || ec == 0x16 || ec == 0x17) {
		ksnprintf(buf + n, (size_t)(len - n), ": immediate %#x", iss & 0xffff);
	}
}

void fault_expect_begin(void)
{
	struct cpu *c = this_cpu();
	c->fault_esr = c->fault_far = c->fault_elr = 0;
	c->fault_resume = 0;
	c->fault_armed = true;
	barrier(); /* armed before the faulting instruction the caller runs next */
}

void fault_expect_resume(uint64_t pc)
{
	fault_expect_begin();
	this_cpu()->fault_resume = pc;
	barrier(); /* armed before the code that may fault runs */
}

uint64_t fault_expect_end(uint64_t *far, uint64_t *elr)
{
	struct cpu *c = this_cpu();
	barrier(); /* read the record after the faulting instruction */
	c->fault_armed = false;
	if (far)
		*far = c->fault_far;
	if (elr)
		*elr = c->fault_elr;
	return c->fault_esr;
}

void trap_sync(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	unsigned ec = ESR_EC(tf->esr);

	if (ec == EC_BRK64 && (tf->esr & 0xffff) == PANIC_BRK_IMM)
		die(tf, NULL); /* panic(): the message is already stored */

	if ((ec == EC_DABT_SAME || ec == EC_IABT_SAME) && c && task_stack_fault(tf))
		return; /* not reached: the task was killed */
	if ((ec == EC_DABT_SAME || ec == EC_IABT_SAME) && c && c->current &&
	    stack_is_guard(tf->far))
		die(tf, "stack overflow inside a critical section (interrupts masked): "
			"the task cannot be killed safely");

	if (c && c->fault_armed && ec != EC_BRK64) {
		c->fault_armed = false;
		c->fault_esr = tf->esr;
		c->fault_far = tf->far;
		c->fault_elr = tf->elr;
		/* skip the faulting instruction (all are 4 bytes), or resume
		 * where the caller asked */
		tf->elr = c->fault_resume ? c->fault_resume : tf->elr + 4;
		return;
	}
	char reason[160];
	esr_describe(tf->esr, reason, sizeof reason);
	die(tf, reason);
}

void trap_unexpected(struct trap_frame *tf, int kind)
{
	static const char *const kinds[] = {
	    [TRAP_FIQ] = "unexpected FIQ",
	    [TRAP_SERROR] = "SError (asynchronous abort)",
	    [TRAP_NESTED_SYNC] = "exception inside an exception handler (exception stack)",
	    [TRAP_NESTED_IRQ] = "IRQ taken on the exception stack",
	    [TRAP_LOWER_EL] = "exception from a lower exception level (allstop has no EL0)",
	};
	char reason[200];
	char esr[120];
	esr_describe(tf->esr, esr, sizeof esr);
	ksnprintf(reason, sizeof reason, "%s; %s", kinds[kind], esr);
	die(tf, reason);
}
