/*
 * tracecost.c — "bench:tracecost": what tracing costs a stop and the
 * collector's pauses, measured within one boot.
 *
 * Why in one boot.  Under QEMU on a shared host, where the host happens to
 * run the vCPU threads moves a stop's latency by tens of percent from one
 * boot to the next: a boot with trace=on against a boot with trace=off
 * measures mostly the two boots.  Here both sides share a boot: ROUNDS
 * rounds, each a block of stops with tracing off and a block with it on, in
 * the order off-on in even rounds and on-off in odd ones, so that a drift
 * during the boot (the host getting busier) falls on both sides alike.  The
 * same is done with whole GC cycles for their two pauses (GC_ROUNDS rounds:
 * a cycle's pauses move more from one to the next than a stop's do).
 *
 * Each block begins with a few stops or one cycle that are not measured
 * (WARMUP_*), and one whole round of each kind comes first, unmeasured: the
 * boot's first blocks are slower (QEMU translates the code for the first
 * time, the host maps the guest's pages), and they would all fall on the
 * "off" side, which goes first.  Each "on" block is a fresh trace session
 * (trace_start empties every buffer), so the buffers do not fill up; a
 * block that still dropped events is counted and reported, since dropping
 * an event costs less than recording it and would flatter the tracer.
 *
 * The control.  The same rounds are then run again with tracing off on
 * both sides (an "A/A" comparison): what the method reads when there is
 * nothing to find, its own bias and noise, printed beside the result so a
 * reader can tell a cost from the host's jitter.
 *
 * What it prints: for the stops' latency (request -> every core parked) and
 * pause (request -> released), and for the cycles' stop 1 and stop 2, the
 * median over every sample off and on, the change, and the median and
 * quartiles of the change of the rounds taken one at a time (how much the
 * comparison itself moves); then the same for the control; csv lines
 * "trace_cost" and "trace_cost_control" for tools/bench.
 */
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/bench/bench.h"
#include "kernel/bench/csv.h"
#include "kernel/drivers/console.h"
#include "kernel/lib/stats.h"
#include "kernel/stw/stop.h"
#include "kernel/trace/trace.h"

#include <string.h>

#define ROUNDS	  50 /* short blocks, many rounds: the pairs stay close in time */
#define GC_ROUNDS 100 /* a cycle's pauses move more than a stop's: more of them */
#define STOPS	  40 /* per block */
#define CYCLES	  2 /* per block */
/* Unmeasured at the start of each block: turning tracing on or off patches
 * the trace points (trace.h), and under QEMU a patched page of code is
 * translated afresh; a real core only refetches the words.  The cost of
 * turning tracing on is not the cost of tracing. */
#define WARMUP_STOPS  4
#define WARMUP_CYCLES 1
#define LIVE_NODES    4096 /* a list kept alive, so that each cycle marks something */

enum { OFF, ON };
enum { LATENCY, PAUSE, STOP1, STOP2, NFIGURES };

static const char *const figure_names[NFIGURES] = {"stop latency", "stop pause", "gc stop 1",
						   "gc stop 2"};
static const char *const figure_words[NFIGURES] = {"stw_latency", "stw_pause", "gc_stop1",
						   "gc_stop2"};

/* Every sample, per figure and side, and each round's block medians. */
struct samples {
	uint64_t v[NFIGURES][2][ROUNDS * STOPS];
	size_t n[NFIGURES][2];
	uint64_t block[NFIGURES][2][GC_ROUNDS > ROUNDS ? GC_ROUNDS : ROUNDS];
	uint64_t dropped; /* events dropped in the "on" blocks */
	uint64_t events_on; /* events recorded in the "on" blocks */
	uint64_t events_off; /* ... in the "off" blocks: must stay 0 */
};

static struct samples S; /* 128 KiB: not on a task's stack */
static bool control; /* the A/A run: tracing stays off on both sides */
static bool measuring; /* false in the unmeasured first round */
_Static_assert(GC_ROUNDS *CYCLES <= ROUNDS * STOPS, "the cycles' samples fit in v[]");

static uint64_t median_of(const uint64_t *v, size_t n)
{
	static uint64_t work[ROUNDS * STOPS];
	memcpy(work, v, n * sizeof *v); /* the samples stay in their order */
	return stats_median(work, n);
}

static void add(int fig, int side, uint64_t ns)
{
	if (measuring)
		S.v[fig][side][S.n[fig][side]++] = ns;
}

static uint64_t events_now(void)
{
	struct trace_status st;
	trace_get_status(&st);
	return st.events;
}

/* Is this block traced? */
static bool traced(int side)
{
	return side == ON && !control;
}

/* Before a block: tracing on in a new session, or off.  Returns the events
 * of the current session so far. */
static uint64_t begin_block(int side)
{
	if (traced(side))
		trace_start();
	return traced(side) ? 0 : events_now(); /* off since the last block's end */
}

/*
 * After trace_stop, a core may still be inside an event it began while
 * tracing was on.  One stop (not measured) ends every such event: a core
 * recording with interrupts masked finishes before it can take IPI_STOP and
 * ack, and one recording with them on is interrupted and restarts its record
 * (record.S), which then reads trace_enabled again, after the stop's
 * acquire, and sees it off.
 */
static void quiesce(void)
{
	stop_the_world("trace cost bench: every core sees tracing off");
	start_the_world();
}

/* After a block: turn tracing off and count what it recorded and dropped
 * (an "off" block must record nothing). */
static void end_block(int side, uint64_t events_before)
{
	trace_stop();
	quiesce();
	struct trace_status st;
	trace_get_status(&st);
	if (!measuring)
		return;
	if (traced(side)) {
		S.events_on += st.events;
		S.dropped += st.dropped;
	} else {
		S.events_off += st.events - events_before;
	}
}

static void stop_block(int round, int side)
{
	size_t first = S.n[LATENCY][side];
	uint64_t events = begin_block(side);
	for (int i = 0; i < WARMUP_STOPS + STOPS; i++) {
		stop_the_world("trace cost bench");
		start_the_world();
		uint64_t lat, pause;
		if (i >= WARMUP_STOPS && stw_last(&lat, &pause)) {
			add(LATENCY, side, lat);
			add(PAUSE, side, pause);
		}
	}
	end_block(side, events);
	for (int f = LATENCY; f <= PAUSE; f++)
		if (measuring)
			S.block[f][side][round] =
			    median_of(&S.v[f][side][first], S.n[f][side] - first);
}

static void cycle_block(int round, int side)
{
	size_t first = S.n[STOP1][side];
	uint64_t events = begin_block(side);
	for (int i = 0; i < WARMUP_CYCLES + CYCLES; i++) {
		struct gc_cycle_stats s;
		uint64_t n = gc_collect();
		if (i >= WARMUP_CYCLES && gc_cycle_stats(n, &s)) {
			add(STOP1, side, s.stop1_ns);
			add(STOP2, side, s.stop2_ns);
		}
	}
	end_block(side, events);
	for (int f = STOP1; f <= STOP2; f++)
		if (measuring)
			S.block[f][side][round] =
			    median_of(&S.v[f][side][first], S.n[f][side] - first);
}

/* (b - a) / a in tenths of a percent, signed. */
static int64_t permille(uint64_t a, uint64_t b)
{
	return a ? ((int64_t)b - (int64_t)a) * 1000 / (int64_t)a : 0;
}

/* A change in tenths of a percent as "+2.1" */
struct pct {
	char s[24];
};

static struct pct pct(int64_t permille)
{
	struct pct p;
	unsigned long long m = (unsigned long long)(permille < 0 ? -permille : permille);
	ksnprintf(p.s, sizeof p.s, "%s%llu.%llu", permille < 0 ? "-" : "+", m / 10, m % 10);
	return p;
}

static void report(int fig, const char *table)
{
	if (!S.n[fig][OFF] || !S.n[fig][ON]) {
		kprintf("  %-12s  no samples\n", figure_names[fig]);
		return;
	}
	uint64_t off = median_of(S.v[fig][OFF], S.n[fig][OFF]);
	uint64_t on = median_of(S.v[fig][ON], S.n[fig][ON]);
	int64_t change = permille(off, on);
	int nr = fig == STOP1 || fig == STOP2 ? GC_ROUNDS : ROUNDS;
	int64_t rounds[GC_ROUNDS > ROUNDS ? GC_ROUNDS : ROUNDS];
	for (int r = 0; r < nr; r++)
		rounds[r] = permille(S.block[fig][OFF][r], S.block[fig][ON][r]);
	/* sort the rounds' changes (signed: an insertion sort of nr values) */
	for (int i = 1; i < nr; i++)
		for (int j = i; j > 0 && rounds[j - 1] > rounds[j]; j--) {
			int64_t t = rounds[j];
			rounds[j] = rounds[j - 1];
			rounds[j - 1] = t;
		}
	int64_t lo = rounds[nr / 4], mid = rounds[nr / 2], hi = rounds[nr * 3 / 4];
	kprintf("  %-12s  %8llu ns off  %8llu ns on  %s %%   (rounds: median %s %%, quartiles %s "
		".. %s %%)\n",
		figure_names[fig], (unsigned long long)off, (unsigned long long)on, pct(change).s,
		pct(mid).s, pct(lo).s, pct(hi).s);
	csv_row(table, "%s,%d,%zu,%llu,%llu,%lld,%lld,%lld,%lld,%llu,%llu,%llu", figure_words[fig],
		nr, S.n[fig][ON], (unsigned long long)off, (unsigned long long)on,
		(long long)change, (long long)lo, (long long)mid, (long long)hi,
		(unsigned long long)S.events_on, (unsigned long long)S.events_off,
		(unsigned long long)S.dropped);
}

/* A list of LIVE_NODES nodes, held by the caller's stack while the cycles run. */
struct node {
	struct node *next;
	uint64_t pad;
};

static struct node *live_list(void)
{
	struct node *head = NULL;
	for (int i = 0; i < LIVE_NODES; i++) {
		struct node *n = gc_alloc(sizeof *n, 0);
		if (!n)
			return head;
		gc_write(&n->next, head);
		head = n;
	}
	return head;
}

/* Every round of both kinds, after one unmeasured round of each; the
 * samples in S. */
static void measure(bool is_control)
{
	memset(&S, 0, sizeof S);
	control = is_control;
	measuring = false;
	for (int k = 0; k < 2; k++) {
		stop_block(0, k);
		cycle_block(0, k);
	}
	measuring = true;
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < 2; k++)
			stop_block(r, r % 2 ? 1 - k : k);
	for (int r = 0; r < GC_ROUNDS; r++)
		for (int k = 0; k < 2; k++)
			cycle_block(r, r % 2 ? 1 - k : k);
}

static void report_all(const char *table)
{
	csv_header(table, "what,rounds,samples_each,off_median_ns,on_median_ns,"
			  "change_permille,round_q1_permille,round_median_permille,"
			  "round_q3_permille,events_on,events_off,dropped");
	kprintf("  %-12s  %11s  %11s  %s\n", "", "median", "median",
		control ? "on / off - 1 (the method's own bias: 0 if fair)"
			: "on / off - 1 (target within 10 %)");
	for (int f = 0; f < NFIGURES; f++)
		report(f, table);
}

int trace_cost_bench(void)
{
	if (!trace_ready()) {
		kprintf("trace cost bench: the tracer has no buffer (tracebuf=): nothing to "
			"measure\n");
		return 1;
	}
	if (trace_running()) {
		kprintf("trace cost bench: tracing is on; this benchmark turns it on and off "
			"itself: boot without trace=on (or `trace off` first)\n");
		return 1;
	}
	kprintf("trace cost bench: tracing off and on in turn in one boot, %d cores: %d rounds of "
		"%d stops and %d rounds of %d GC cycles, each way\n",
		cpus_online(), ROUNDS, STOPS, GC_ROUNDS, CYCLES);
	/* what one trace point costs, first: the stops' cost in its terms */
	bool wrong = trace_point_cost() != 0;
	volatile struct node *keep = live_list(); /* a root on this stack */
	measure(false);
	report_all("trace_cost");
	kprintf("trace cost bench: %llu events recorded in the traced blocks, %llu in the others\n",
		(unsigned long long)S.events_on, (unsigned long long)S.events_off);
	wrong = wrong || S.events_off || !S.events_on;
	if (S.events_off)
		kprintf("trace cost bench: events were recorded with tracing off: the comparison "
			"is wrong\n");
	if (S.dropped)
		kprintf("trace cost bench: %llu events dropped in the traced blocks (a buffer "
			"filled): the \"on\" figures are too low; give a larger tracebuf=\n",
			(unsigned long long)S.dropped);
	kprintf("trace cost bench: the control, the same rounds with tracing off on both sides "
		"(\"on\" is a label only)\n");
	measure(true);
	report_all("trace_cost_control");
	if (S.events_off || S.events_on) {
		kprintf("trace cost bench: the control recorded %llu events: tracing was not off\n",
			(unsigned long long)(S.events_off + S.events_on));
		wrong = true;
	}
	(void)keep;
	return wrong ? 1 : 0;
}
