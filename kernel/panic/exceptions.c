/*
 * exceptions.c — what a synchronous exception becomes.  In order:
 *   1. panic()'s own BRK: the report, with the message panic() stored;
 *   2. a fault in a stack guard page: the task system's handler (registered
 *      with exceptions_set_stack_fault) kills the task when it safely can; a
 *      guard fault it cannot kill (interrupts masked) is a panic;
 *   3. a fault a test or the litmus runner armed this core for
 *      (kernel/arch/fault.c): recorded, and the faulting instruction skipped
 *      (or resumed elsewhere);
 *   4. anything else: a panic report naming the exception (kernel/arch/esr.c).
 * The task system sits above this file, so it hands its handler down instead
 * of being called by name.
 */
#include "kernel/panic/exceptions.h"
#include "kernel/arch/fault.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/trap.h"
#include "kernel/drivers/console.h"
#include "kernel/mm/stack.h"
#include "kernel/panic/panic.h"

#include <string.h>

static bool (*stack_fault_handler)(struct trap_frame *tf);

void exceptions_set_stack_fault(bool (*handler)(struct trap_frame *tf))
{
	/* release: the task system is set up before a core that takes an abort
	 * can call it (pairs with the acquire in trap_sync) */
	__atomic_store_n(&stack_fault_handler, handler, __ATOMIC_RELEASE);
}

static bool is_abort(unsigned ec)
{
	return ec == EC_DABT_SAME || ec == EC_IABT_SAME;
}

void trap_sync(struct trap_frame *tf)
{
	struct cpu *c = this_cpu(); /* NULL before the core set TPIDR_EL1 */
	unsigned ec = ESR_EC(tf->esr);

	if (ec == EC_BRK64 && ESR_IMM16(tf->esr) == PANIC_BRK_IMM)
		die(tf, NULL); /* panic(): the message is already stored */

	/* acquire: pairs with exceptions_set_stack_fault */
	bool (*on_stack_fault)(struct trap_frame *) =
	    __atomic_load_n(&stack_fault_handler, __ATOMIC_ACQUIRE);
	if (is_abort(ec) && c && on_stack_fault && on_stack_fault(tf))
		return; /* not reached: the task was killed */
	if (is_abort(ec) && c && c->current && stack_is_guard(tf->far))
		die(tf, "stack overflow inside a critical section (interrupts masked): "
			"the task cannot be killed safely");

	if (c && ec != EC_BRK64 && fault_take_expected(c->id, tf))
		return;
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
