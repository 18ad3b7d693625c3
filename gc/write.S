/*
 * write.S — the write barrier's fast path: the store when no cycle marks.
 *
 *   int gc_write_fast(void **slot, void *value, const bool *barrier)
 *
 * If *barrier is off, store value into *slot and return 0; if it is on,
 * store nothing and return 1 (gc_write then takes the slow path, which
 * shades both values with interrupts masked: gc/barrier.c).
 *
 * The check and the store must not be split by a stop-the-world: a stop 1
 * that turns the barrier on between them would let a store slip past the
 * barrier during the mark.  The slow path masks interrupts for that; this
 * path instead is a restartable sequence (kernel/irq/irq.h): gc_init
 * registers [gc_write_seq, gc_write_seq_end), and an interrupt taken with
 * its return address inside resumes at gc_write_seq.  The sequence's only
 * effect is its last instruction, the store, so running it again is
 * harmless; a return address at the store means the store has not happened
 * yet.  Once the store has retired, the return address is past the end and
 * nothing is restarted.  So a store is either wholly before a stop (the stop
 * sees it) or its check ran after the stop (and saw the barrier on).
 */
	.text
	.global	gc_write_fast
	.type	gc_write_fast, %function
	.global	gc_write_seq
	.global	gc_write_seq_end
gc_write_fast:
gc_write_seq:
	/* plain load: the barrier flag changes only while the world is
	 * stopped, and the stop's release orders it for this core */
	ldrb	w3, [x2]
	cbnz	w3, 1f
	/* plain 64-bit store: single-copy atomic, so a concurrent conservative
	 * scan reads the old pointer or the new one, never a mix */
	str	x1, [x0]
gc_write_seq_end:
	mov	w0, #0
	ret
1:	mov	w0, #1
	ret
	.size	gc_write_fast, . - gc_write_fast
