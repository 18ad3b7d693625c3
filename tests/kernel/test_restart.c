/*
 * test_restart.c — the write barrier's restartable sequence (gc/write.S):
 * an interrupt taken inside it resumes at its start, one taken after it
 * does not, and the fast path stores only while the barrier is off.
 */
#include "gc/internal.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/trap.h"
#include "kernel/irq/irq.h"
#include "tests/kernel/ktest.h"

#include <string.h>

#define INSN 4 /* bytes per A64 instruction */

KTEST(gc, barrier_sequence_restarts_inside_only)
{
	uintptr_t start = (uintptr_t)gc_write_seq, end = (uintptr_t)gc_write_seq_end;
	KASSERT(end > start);
	struct trap_frame tf;
	memset(&tf, 0, sizeof tf);
	for (uintptr_t pc = start; pc < end; pc += INSN) {
		tf.elr = pc;
		KASSERT(irq_restart_sequence(&tf));
		KASSERT_EQ(tf.elr, start);
	}
	tf.elr = end; /* the store has retired: nothing to run again */
	KASSERT(!irq_restart_sequence(&tf));
	KASSERT_EQ(tf.elr, end);
	tf.elr = start - INSN;
	KASSERT(!irq_restart_sequence(&tf));
	KASSERT_EQ(tf.elr, start - INSN);
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
