/*
 * test_restart.c — the write barrier's restartable sequence (gc/write.S):
 * an interrupt taken inside it resumes at its start, one taken after it
 * does not, and the fast path stores only while the barrier is off.
 */
#include "gc/internal.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/trap.h"
#include "kernel/irq/irq.h"
#include "kernel/drivers/console.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/restart_check.h"

#include <string.h>

#define INSN 4 /* bytes per A64 instruction */

int restart_errors(uintptr_t start, uintptr_t end)
{
	struct trap_frame tf;
	memset(&tf, 0, sizeof tf);
	int wrong = 0;
	uintptr_t pcs[64];
	int n = 0;
	for (uintptr_t pc = start; pc < end && n < 62; pc += INSN)
		pcs[n++] = pc; /* inside: back to start */
	pcs[n++] = end; /* the last store has retired: nothing to run again */
	pcs[n++] = start - INSN; /* not yet in it */
	for (int i = 0; i < n; i++) {
		tf.elr = pcs[i];
		bool inside = pcs[i] >= start && pcs[i] < end;
		bool moved = irq_restart_sequence(&tf);
		if (moved != inside || tf.elr != (inside ? start : pcs[i])) {
			if (!wrong)
				kprintf(
				    "restart test: an interrupt at %#lx of [%#lx, %#lx) resumes at "
				    "%#lx\n",
				    (unsigned long)pcs[i], (unsigned long)start, (unsigned long)end,
				    (unsigned long)tf.elr);
			wrong++;
		}
	}
	return wrong;
}

KTEST(gc, barrier_sequence_restarts_inside_only)
{
	uintptr_t start = (uintptr_t)gc_write_seq, end = (uintptr_t)gc_write_seq_end;
	KASSERT(end > start);
	KASSERT_EQ(restart_errors(start, end), 0);
}

/* The interrupt path itself applies it: an interrupt "taken" at the store
 * (trap_irq on a made-up frame, with interrupts masked as the vector has
 * them) returns to the sequence's start. */
KTEST(gc, interrupt_at_the_store_resumes_at_the_check)
{
	struct trap_frame tf;
	memset(&tf, 0, sizeof tf);
	tf.elr = (uintptr_t)gc_write_seq_end - INSN;
	uint64_t flags = irq_save();
	trap_irq(&tf);
	irq_restore(flags);
	KASSERT_EQ(tf.elr, (uintptr_t)gc_write_seq);
}

KTEST(gc, barrier_fast_path_stores_only_when_off)
{
	static uintptr_t slot;
	static const bool off = false, on = true;
	int marker;
	slot = 0;
	KASSERT_EQ(gc_write_fast(&slot, &marker, &on), 1);
	KASSERT_EQ(slot, 0);
	KASSERT_EQ(gc_write_fast(&slot, &marker, &off), 0);
	KASSERT_EQ(slot, (uintptr_t)&marker);
}
