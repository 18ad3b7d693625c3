/*
 * tracepoint.c — what one trace point costs on this core: the shell's
 * "trace cost", and the first figures of bench:tracecost.
 *
 * A trace point costs different amounts in different states, so each is
 * timed: off (the point is a NOP), recording with interrupts on (as in a
 * task) and with them masked (as in an interrupt handler), and dropping (the
 * core's buffer is full: the slow path, which counts the drop).  Beside
 * them, one read of the counter that stamps every event, and the loop's own
 * step, which is subtracted from the others.
 *
 * Method.  Each try times n calls of each kind in a row on this core,
 * timed by the counter around the loop.  A try is a fresh trace session
 * (trace_start empties every buffer).  Turning tracing on or off patches
 * the points, and QEMU translates patched code afresh (16 untimed calls
 * after the patch still left the "off" figure at 40-70 ns instead of 1), so
 * n untimed calls go before the n timed ones, off and on; then n more with
 * interrupts masked, all 3n kept (n is at most a quarter of the buffer);
 * then, in the first DROP_TRIES tries only (a buffer may hold millions),
 * the rest of the buffer is filled, untimed, and n more are dropped.  The least of TRIES
 * tries counts: the host's interruptions only ever add.
 *
 * Under QEMU the counter read is most of an event: QEMU treats CNTVCT_EL0 as
 * an I/O register and takes its global lock around every read.  On a real
 * core every part is a few cycles.
 */
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"
#include "kernel/bench/bench.h"
#include "kernel/bench/csv.h"
#include "kernel/drivers/console.h"
#include "kernel/trace/trace.h"

#define MAX_N	   200 /* calls per kind per try */
#define TRIES	   20
#define DROP_TRIES 5 /* the first tries only: each fills the whole buffer first */

enum { P_LOOP, P_COUNTER, P_OFF, P_ON, P_MASKED, P_DROPPED, NKINDS };
static const char *const kind_words[NKINDS] = {"loop", "counter_read", "off",
					       "on",   "masked",       "dropped"};

/* Counter ticks taken by n steps of one kind (the trace point's kinds all
 * call the same point: what differs is the state around it). */
static uint64_t timed(int kind, unsigned n)
{
	volatile uint64_t sink = 0;
	uint64_t t0 = timer_count();
	for (unsigned i = 0; i < n; i++) {
		if (kind == P_LOOP)
			sink += i;
		else if (kind == P_COUNTER)
			sink += timer_count();
		else
			trace_event(TR_NONE, i, 0, 0); /* the export skips TR_NONE */
	}
	(void)sink;
	return timer_count() - t0;
}

static uint32_t my_events(uint64_t *dropped)
{
	struct trace_status st;
	trace_get_status(&st);
	*dropped = st.core_dropped[cpu_id()];
	return (uint32_t)st.core_events[cpu_id()];
}

/*
 * One try: every kind once, into t[].  Returns false if this core's buffer
 * did not keep the recorded ones or drop the dropped ones (an interrupt's
 * events on this core may fill it a little sooner: more dropped is fine).
 */
static bool one_try(unsigned n, uint32_t capacity, bool drop, uint64_t t[NKINDS])
{
	t[P_LOOP] = timed(P_LOOP, n);
	t[P_COUNTER] = timed(P_COUNTER, n);
	timed(P_OFF, n); /* untimed: the last try's trace_stop patched the point */
	t[P_OFF] = timed(P_OFF, n);
	trace_start();
	timed(P_ON, n); /* untimed: trace_start patched it */
	t[P_ON] = timed(P_ON, n);
	uint64_t flags = irq_save();
	t[P_MASKED] = timed(P_MASKED, n);
	irq_restore(flags);
	uint64_t dropped;
	uint32_t kept = my_events(&dropped);
	bool ok = kept >= 3 * n && dropped == 0;
	t[P_DROPPED] = UINT64_MAX;
	if (drop) {
		if (kept < capacity)
			timed(P_ON, capacity - kept); /* fill the buffer, untimed */
		uint64_t before;
		my_events(&before);
		t[P_DROPPED] = timed(P_DROPPED, n);
		my_events(&dropped);
		ok = ok && dropped >= before + n;
	}
	trace_stop();
	return ok;
}

/* Picoseconds per call of kind k, the loop's own step taken off. */
static uint64_t per_call_ps(const uint64_t least[NKINDS], int k, unsigned n)
{
	uint64_t ns = ticks_to_ns(least[k]);
	uint64_t loop = k == P_LOOP ? 0 : ticks_to_ns(least[P_LOOP]);
	return (ns > loop ? ns - loop : 0) * 1000 / n;
}

int trace_point_cost(void)
{
	if (!trace_ready()) {
		kprintf("trace cost: the tracer has no buffer (tracebuf=)\n");
		return 1;
	}
	if (trace_running()) {
		kprintf("trace cost: tracing is on; trace off first (the measurement makes traces "
			"of its own)\n");
		return 1;
	}
	struct trace_status st;
	trace_get_status(&st);
	/* 3n recorded, with room left for an interrupt's events on this core */
	unsigned n = st.capacity / 4 < MAX_N ? st.capacity / 4 : MAX_N;
	uint64_t least[NKINDS];
	for (int k = 0; k < NKINDS; k++)
		least[k] = UINT64_MAX;
	bool ok = true;
	for (int t = 0; t < TRIES; t++) {
		uint64_t ticks[NKINDS];
		ok = one_try(n, st.capacity, t < DROP_TRIES, ticks) && ok;
		for (int k = 0; k < NKINDS; k++)
			if (ticks[k] < least[k])
				least[k] = ticks[k];
	}
	uint64_t ps[NKINDS];
	csv_header("trace_event_cost", "what,n,tries,least_ps_each");
	for (int k = 0; k < NKINDS; k++) {
		ps[k] = per_call_ps(least, k, n);
		csv_row("trace_event_cost", "%s,%u,%d,%llu", kind_words[k], n, TRIES,
			(unsigned long long)ps[k]);
	}
	kprintf("trace cost: one trace point on cpu%d, the least of %d tries of %u calls: off "
		"%llu ns; recording %llu ns (interrupts on), %llu ns (masked); dropping %llu ns "
		"(of %d tries); one counter read %llu ns (each without the loop's own %llu ns)\n",
		cpu_id(), TRIES, n, (unsigned long long)(ps[P_OFF] / 1000),
		(unsigned long long)(ps[P_ON] / 1000), (unsigned long long)(ps[P_MASKED] / 1000),
		(unsigned long long)(ps[P_DROPPED] / 1000), DROP_TRIES,
		(unsigned long long)(ps[P_COUNTER] / 1000),
		(unsigned long long)(ps[P_LOOP] / 1000));
	if (!ok)
		kprintf("trace cost: a try did not keep its %u recorded events or drop the %u past "
			"the end: the figures are wrong\n",
			3 * n, n);
	return ok ? 0 : 1;
}
