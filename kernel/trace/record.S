/*
 * record.S — the tracer's fast path: one event into this core's buffer,
 * without masking interrupts.
 *
 *   void trace_emit(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t c)
 *
 * (trace.h's trace_event calls it when tracing is on.)  Events that cannot
 * take the fast path go on to trace.c's trace_emit_slow with the same
 * arguments: this core's buffer still holds an older session (it must be
 * emptied first) or is full (the event is dropped and counted).
 *
 * Why a restartable sequence.  Only this core writes its buffer, but an
 * interrupt on this core may record events of its own between our reading
 * of count (slot n) and our publishing of n + 1: it would fill slot n too,
 * and one of the two events would be lost.  trace.c used to mask interrupts
 * around every event; under QEMU that pair of DAIF writes cost more than
 * the rest of the event.  Instead, [trace_record_seq, trace_record_seq_end)
 * is registered with the interrupt layer (kernel/irq/irq.h, by the boot code
 * before tracing can start): an interrupt taken inside it returns to its
 * start, and the sequence runs again from the top, rereading count (now
 * past the interrupt's events) and the clock (now later than theirs, so the
 * buffer stays in time order).  Its stores before the last one go into a
 * slot nobody reads until that last store, the release of count, publishes
 * it; a return address at that store means it has not happened yet; once it
 * has retired, the return address is past the end and nothing is rerun.
 *
 * The core's id is read inside the sequence as well (TPIDR_EL1 -> struct
 * cpu), though a task only changes cores when it yields, which it cannot
 * do in here.  The checks are folded into one branch (under QEMU each taken
 * or not-taken branch ends a translation block).
 */
#include "kernel/trace/layout.h"

	.text
	.global	trace_emit
	.type	trace_emit, %function
	.global	trace_record_seq
	.global	trace_record_seq_end
trace_emit:
trace_record_seq:
	/* relaxed: tracing still on?  (the trace point checked it, but it may
	 * have been turned off since, and a rerun checks it again) */
	adrp	x9, trace_enabled
	ldr	w10, [x9, :lo12:trace_enabled]
	cbz	w10, 1f
	/* The session, read after trace_enabled by an address dependency
	 * (x11 is zero, but computed from the flag): a core that sees tracing
	 * on sees the session trace_start stored before it, as an acquire
	 * would make sure, without its cost.  (trace_start: the session, then
	 * trace_enabled with release.) */
	eor	x11, x10, x10
	adrp	x12, trace_session
	add	x12, x12, :lo12:trace_session
	ldr	w12, [x12, x11]
	/* this core's buffer: trace_bufs[cpu id] */
	mrs	x13, tpidr_el1
	ldrsw	x13, [x13, #CPU_ID_OFFSET]
	adrp	x14, trace_bufs
	add	x14, x14, :lo12:trace_bufs
	add	x14, x14, x13, lsl #TRACE_BUF_SHIFT
	ldr	w15, [x14, #TRACE_BUF_CAP]
	ldr	w16, [x14, #TRACE_BUF_COUNT]	/* only this core writes it */
	ldr	w17, [x14, #TRACE_BUF_SESSION]
	eor	w17, w17, w12			/* 0: the buffer is this session's */
	cmp	w16, w15			/* lo: there is room */
	ccmp	w17, #0, #0, lo			/* room: eq if this session; full: ne */
	b.ne	2f
	/* the time: after everything before it in program order */
	isb
	mrs	x17, cntvct_el0
	ldr	x15, [x14, #TRACE_BUF_EV]
	add	x15, x15, x16, lsl #TRACE_EV_SHIFT
	str	x17, [x15]		/* ts */
	stp	w0, w1, [x15, #8]	/* kind, a */
	stp	x2, x3, [x15, #16]	/* b, c */
	add	w16, w16, #1
	add	x14, x14, #TRACE_BUF_COUNT
	/* release: the event's fields are written before the dumper, which
	 * loads count with acquire, can read them */
	stlr	w16, [x14]
trace_record_seq_end:
1:	ret
2:	b	trace_emit_slow		/* x0-x3 are still the arguments */
	.size	trace_emit, . - trace_emit
