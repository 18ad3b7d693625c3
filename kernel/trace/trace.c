/*
 * trace.c — the per-core tracer: events from every core on one timeline,
 * exported as Chrome trace-event JSON for Perfetto (ui.perfetto.dev).
 *
 * What is recorded.  Trace points in the lower layers (task switches and
 * task creation/exit in kernel/task, IPIs sent and taken in kernel/irq, each
 * stop's request, parks and release in kernel/stw, the collector's phases
 * and mark workers in gc/, gc_alloc's slow path, litmus batches) call
 * trace_event(kind, a, b, c) (trace.h).  Each event is 32 bytes: the system
 * counter (CNTVCT, the same on every core), the kind, and three arguments.
 *
 * Buffers.  At boot the tracer gets one block of memory (trace_init; the
 * size is tracebuf= events per core) and splits it into one bounded linear
 * buffer per core.  A core writes only its own buffer, and an interrupt on
 * the same core cannot tear an event (below): no lock, no atomic
 * read-modify-write.  The buffer is
 * linear, not a ring: when it is full the NEWEST events are dropped and
 * counted (dropped per core, shown by `trace status` and the dump), so a
 * trace always has a complete beginning and every slice that was opened in
 * it is either closed in it or cut at the end, never an end without a start.
 *
 * Sessions.  trace_start begins a new session (session + 1) and turns
 * tracing on.  A core empties its own buffer the first time it records in a
 * new session (it sees its buffer's session differ), so even the reset has a
 * single writer: it zeroes its count, then stores the buffer's session with
 * release.  The dumper reads only buffers of the current session: it loads
 * the buffer's session with acquire, then its count.
 *
 * Ordering.  The writer fills event n, then stores count = n + 1 with
 * release; the dumper loads count with acquire and reads events [0, count):
 * every event it reads is complete.  An interrupt on the writer's core must
 * not record between its reading of count and its release of the next one:
 * an event's few instructions are a restartable sequence (record.S), which
 * an interrupt sends back to its start, so no event masks interrupts
 * (under QEMU the DAIF writes cost more than the rest of an event).  Only
 * the slow path (a new session's reset, a full buffer's drop count) masks
 * them.  trace_start stores the session and t0, then trace_enabled = 1 with
 * release; record.S reads the session after trace_enabled through an
 * address dependency, the slow paths with an acquire.  The trace points
 * themselves are a NOP while tracing is off, patched into a branch by
 * trace_start and back by trace_stop (trace.h's trace_on); a core that
 * still runs the old word only records its first events late (or, after
 * trace_stop, finds trace_enabled off in record.S).
 *
 * Export.  trace_stop, then trace_export_json writes Chrome's trace-event
 * JSON, one core's buffer after another (each is in time order: one writer
 * reading one counter; Perfetto sorts the whole file by time, and a viewer
 * with one stack of open slices for the whole file, Chrome's DevTools,
 * needs each track's B/E together):
 *   - pid 0 "cores": one thread per online core (tid = core, thread_name
 *     "cpuN"); task runs, IPI handlers, parks, each stop (on its owner) and
 *     mark workers' stretches are B/E slices, properly nested because a core
 *     records them in the order it runs them (the export drops an E whose B
 *     was before the trace started, and closes at the end slices still open;
 *     every E repeats its B's name and category);
 *   - IPIs: an "i" instant at the send and at the receipt, and a flow arrow
 *     ("s" at the send, inside a slice of no length, "f" at the handler's
 *     slice: Perfetto ties both ends to a slice) for each target: the
 *     sender records its event, then leaves a flow id in a slot per
 *     (target, IPI) before raising the SGI, and the receipt reads it
 *     (coalesced IPIs show the last send);
 *   - one event can be two: a stop's request and release are also the
 *     sends of its IPI_STOP and IPI_WAKE (trace_event_send), and a parked
 *     core's park and unpark, and the owner's "all parked" and end, are
 *     the receipts of the IPI that caused them (trace_event_receipt; the
 *     IPI layer then records no receipt of its own), and the park of the
 *     last core in and the unpark of the last one out are amended with the
 *     wake each sends the owner next (trace_event_amend_send): a stop of n
 *     cores records 4 events on its owner and 2 on every other core, 10 on
 *     4 cores;
 *   - pid 1 "collector": the cycle's phases (stop 1, root jobs, mark, stop 2,
 *     sweep) as "X" slices on one track, whichever core recorded them (the
 *     phase events of all cores merged by time, after the core tracks);
 *   - otherData.allstop: cores, events, events dropped per core.
 * Timestamps are microseconds since trace_start, with nanosecond decimals.
 * dump.c writes the JSON to a host file by semihosting, or frames it on the
 * console for tools/trace-decode (a board without semihosting).
 */
#include "kernel/trace/trace.h"
#include "kernel/trace/layout.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/patch.h"
#include "kernel/arch/spinlock.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"

#include <stddef.h>
#include <string.h>

/* record.S's trace_emit goes on here for a new session or a full buffer */
void trace_emit_slow(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t c);

static const char *alloc_why_name(uint64_t why)
{
	switch (why) {
	case TRACE_ALLOC_FULL:
		return "full: collect";
	case TRACE_ALLOC_TRIGGER:
		return "trigger";
	default:
		return "cache refill";
	}
}

struct trace_ev {
	uint64_t ts; /* timer_count() */
	uint32_t kind;
	uint32_t a;
	uint64_t b, c;
};

_Static_assert(sizeof(struct trace_ev) == TRACE_EVENT_BYTES, "trace.h's event size");
_Static_assert(sizeof(struct trace_ev) == 1 << TRACE_EV_SHIFT, "layout.h's event size");

/* One core's buffer: written only by that core (see the top). */
struct trace_buf {
	struct trace_ev *ev;
	uint32_t cap; /* events */
	uint32_t count; /* events recorded in this session: release by the writer */
	uint32_t session; /* the session count belongs to */
	uint32_t flow_seq; /* this core's IPI flow ids */
	uint64_t dropped; /* events that did not fit, in this session */
} __attribute__((aligned(64)));

/* record.S reaches these by the offsets in layout.h */
_Static_assert(sizeof(struct trace_buf) == 1 << TRACE_BUF_SHIFT, "layout.h: buffer size");
_Static_assert(offsetof(struct trace_buf, ev) == TRACE_BUF_EV, "layout.h: ev");
_Static_assert(offsetof(struct trace_buf, cap) == TRACE_BUF_CAP, "layout.h: cap");
_Static_assert(offsetof(struct trace_buf, count) == TRACE_BUF_COUNT, "layout.h: count");
_Static_assert(offsetof(struct trace_buf, session) == TRACE_BUF_SESSION, "layout.h: session");
_Static_assert(offsetof(struct cpu, id) == CPU_ID_OFFSET, "layout.h: struct cpu's id");
_Static_assert(sizeof(((struct cpu *)0)->id) == 4, "record.S loads the id as 32 bits");

#define IPI_SLOTS 8 /* IPI kinds with a flow slot (kernel/irq/ipi.h has 6) */

int trace_enabled __attribute__((aligned(64)));
uint32_t trace_session; /* read by record.S too */
static uint64_t t0; /* the counter at trace_start */
struct trace_buf trace_bufs[MAX_CPUS]; /* likewise */
static int nbufs;
/* The flow id of the last IPI of each kind sent to each core. */
static uint32_t flow_slot[MAX_CPUS][IPI_SLOTS];
static const char *(*ipi_name_fn)(int ipi);

void trace_init(void *mem, size_t bytes, int ncpu)
{
	/* at boot, before any other core runs: plain stores */
	if (!mem || ncpu <= 0)
		return;
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	size_t per = bytes / (size_t)ncpu / sizeof(struct trace_ev);
	for (int i = 0; i < ncpu; i++) {
		trace_bufs[i].ev = (struct trace_ev *)mem + (size_t)i * per;
		trace_bufs[i].cap = (uint32_t)per;
	}
	nbufs = ncpu;
}

bool trace_ready(void)
{
	return nbufs > 0;
}

void trace_set_ipi_names(const char *(*name)(int ipi))
{
	ipi_name_fn = name; /* at boot, before tracing starts */
}

/* The trace points, gathered by linker.ld (trace.h's trace_on). */
extern const struct trace_point __trace_points_start[], __trace_points_end[];

/* Turn every trace point into a branch to its call (on) or a NOP (off). */
static void set_points(bool on)
{
	for (const struct trace_point *p = __trace_points_start; p < __trace_points_end; p++)
		patch_insn((uint32_t *)(uintptr_t)p->site,
			   on ? insn_branch(p->site, p->target) : INSN_NOP);
}

/* trace_start and trace_stop, one at a time: the points and the flag agree. */
static struct spinlock control = SPINLOCK_INIT("trace");

void trace_start(void)
{
	if (!nbufs)
		return;
	spin_lock(&control);
	/* relaxed: published by the release of trace_enabled below */
	__atomic_store_n(&trace_session, trace_session + 1, __ATOMIC_RELAXED);
	t0 = timer_count(); /* likewise */
	/* release: the session and t0 are visible to a core that sees tracing
	 * on (pairs with record.S's address dependency and the slow paths'
	 * acquire) */
	__atomic_store_n(&trace_enabled, 1, __ATOMIC_RELEASE);
	set_points(true); /* after the flag: a point that branches finds it on */
	spin_unlock(&control);
}

void trace_stop(void)
{
	spin_lock(&control);
	/* relaxed: an event a core records just after this is still complete
	 * when the dumper reads it (its count's release orders it) */
	__atomic_store_n(&trace_enabled, 0, __ATOMIC_RELAXED);
	set_points(false);
	spin_unlock(&control);
}

bool trace_running(void)
{
	/* relaxed: a status for the shell and the benchmarks */
	return __atomic_load_n(&trace_enabled, __ATOMIC_RELAXED);
}

/*
 * Record one event at time ts (a counter value this core read) in this
 * core's buffer; this core's interrupts are masked.  The C twin of
 * record.S, for its slow path (a new session, a full buffer).
 */
static inline __attribute__((always_inline)) void record_at(uint64_t ts, enum trace_kind kind,
							    uint32_t a, uint64_t b, uint64_t c)
{
	struct trace_buf *tb = &trace_bufs[cpu_id()];
	/* relaxed: ordered after trace_enabled's acquire load (the caller's) */
	uint32_t s = __atomic_load_n(&trace_session, __ATOMIC_RELAXED);
	if (__builtin_expect(tb->session != s, 0)) { /* a new session: empty our own buffer */
		/* relaxed: both published by the release of the session below */
		__atomic_store_n(&tb->count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&tb->dropped, 0, __ATOMIC_RELAXED);
		/* release: a dumper that sees the new session (acquire) sees the
		 * emptied count, or a later one, never the last session's */
		__atomic_store_n(&tb->session, s, __ATOMIC_RELEASE);
	}
	uint32_t n = tb->count; /* only this core writes it */
	if (__builtin_expect(n >= tb->cap, 0)) {
		/* relaxed: a statistic; only this core writes it */
		__atomic_store_n(&tb->dropped, tb->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	struct trace_ev *e = &tb->ev[n];
	e->ts = ts;
	e->kind = kind;
	e->a = a;
	e->b = b;
	e->c = c;
	/* release: the event's fields are written before the dumper, which
	 * loads count with acquire, can read them */
	__atomic_store_n(&tb->count, n + 1, __ATOMIC_RELEASE);
}

/*
 * For record_at's callers: no interrupt on this core may come between its
 * claiming a slot and publishing it.  Where interrupts are masked already
 * (IPI handlers, the park, the scheduler) the mask is left alone: writing
 * DAIF is the dearest part of an event under QEMU.
 */
static inline uint64_t mask_irqs(void)
{
	uint64_t flags = read_sysreg(daif);
	if (!(flags & DAIF_I))
		irq_disable();
	return flags;
}

static inline void unmask_irqs(uint64_t flags)
{
	if (!(flags & DAIF_I))
		irq_restore(flags);
}

/* acquire: pairs with trace_start's release; the session is read after */
static inline bool enabled_acquire(void)
{
	return __atomic_load_n(&trace_enabled, __ATOMIC_ACQUIRE);
}

/* The slow path of an event (trace_emit is in record.S): this core's buffer
 * holds an older session (record_at empties it) or is full (record_at
 * counts the drop). */
void trace_emit_slow(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t c)
{
	uint64_t flags = mask_irqs();
	if (enabled_acquire())
		record_at(timer_count(), kind, a, b, c);
	unmask_irqs(flags);
}

void trace_emit_name(enum trace_kind kind, uint32_t a, const char *name)
{
	uint64_t w[2] = {0, 0};
	if (name)
		strncpy((char *)w, name, sizeof w); /* 16 bytes, not terminated if full */
	trace_emit(kind, a, w[0], w[1]);
}

/* A new flow id of this core's. */
static uint32_t new_flow_id(void)
{
	int me = cpu_id();
	/* relaxed, but atomic: an interrupt on this core between our load and
	 * store may send an IPI of its own, and the two ids must differ */
	uint32_t seq = __atomic_add_fetch(&trace_bufs[me].flow_seq, 1, __ATOMIC_RELAXED);
	uint32_t id = ((uint32_t)me << 24) | (seq & 0xffffff);
	return id ? id : 1; /* never 0: 0 says "not traced" */
}

/* Leave flow id for each target's receipt of ipi (after the send's event). */
static void leave_flow(uint64_t mask, int ipi, uint32_t id)
{
	for (uint64_t m = mask & ((1ULL << MAX_CPUS) - 1); m; m &= m - 1)
		/* relaxed: the irqchip issues a DSB before it raises the SGI
		 * (ipi.c), so the target's handler reads this id */
		__atomic_store_n(&flow_slot[__builtin_ctzll(m)][ipi], id, __ATOMIC_RELAXED);
}

/*
 * An event that is an IPI's send, before its SGI (kernel/irq/ipi.c): a plain
 * send (TR_IPI_SEND), or a stop's request or release (trace_event_send).
 * The event first, then a flow id in each target's slot, which its receipt
 * reads.  In that order no receipt can come before its send, even one of a
 * target still taking an earlier IPI of this kind, which may read the new
 * id at once.  The SGI waits for one event (no counter read of its own).
 * The event's c packs the targets, the IPI and the flow id, whose sending
 * core takes 5 bits (24-28).
 */
#define SEND_FLOW(c)	((uint32_t)(c)&0x1fffffffu)
#define SEND_IPI(c)	((int)((c) >> 29) & 7)
#define SEND_TARGETS(c) ((c) >> 32)
_Static_assert(MAX_CPUS <= 32, "a send-event packs its targets in 32 bits, its core in 5");
_Static_assert(IPI_SLOTS <= 8, "a send-event packs its IPI in 3 bits");

void trace_emit_send_as(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t mask, int ipi)
{
	if (ipi < 0 || ipi >= IPI_SLOTS) {
		trace_emit(kind, a, b, 0);
		return;
	}
	uint32_t id = new_flow_id();
	trace_emit(kind, a, b, mask << 32 | (uint64_t)ipi << 29 | id);
	leave_flow(mask, ipi, id);
}

void trace_emit_send(uint64_t mask, int ipi)
{
	if (ipi >= 0 && ipi < IPI_SLOTS)
		trace_emit_send_as(TR_IPI_SEND, (uint32_t)ipi, 0, mask, ipi);
}

/* The flow id the last sender of IPI ipi left for core me (this core). */
static uint32_t flow_for(int me, int ipi)
{
	/* relaxed: the sender's store came before its DSB and SGI, and taking
	 * the interrupt came after (see trace_emit_send) */
	return __atomic_load_n(&flow_slot[me][ipi], __ATOMIC_RELAXED);
}

/*
 * The flow id of the last send of each IPI this core received, and whether
 * a handler's event received it (trace_event_receipt): a parked core's
 * unpark receives the owner's IPI_WAKE, whose interrupt it takes only after
 * its handler returns; that interrupt is then not recorded as a second
 * receipt.  And an event that finds only the id of a send received before
 * records no flow (the owner's "all parked" after a wfi a tick ended, say:
 * the last core's wake, when it comes, brings the new id).  Each core
 * writes its own row with interrupts masked (in its interrupt handlers, or
 * as a stop's owner after its wait): plain accesses.
 */
#define BY_EVENT (1ULL << 32)
static uint64_t received[MAX_CPUS][IPI_SLOTS];

void trace_emit_ipi_take(int ipi, uint64_t what)
{
	if (ipi < 0 || ipi >= IPI_SLOTS)
		return;
	int me = cpu_id();
	uint32_t id = flow_for(me, ipi);
	uint64_t *last = &received[me][ipi];
	if (id && *last == (id | BY_EVENT) && what == TRACE_IPI_NOTHING)
		return; /* received already, by a handler's event */
	*last = id;
	trace_emit(TR_IPI_TAKE, (uint32_t)ipi, what, id);
}

void trace_emit_receipt(enum trace_kind kind, uint32_t a, int ipi)
{
	if (ipi < 0 || ipi >= IPI_SLOTS) {
		trace_emit(kind, a, (uint64_t)ipi, 0);
		return;
	}
	int me = cpu_id();
	uint32_t id = flow_for(me, ipi);
	uint64_t *last = &received[me][ipi];
	uint32_t fresh = (uint32_t)*last == id ? 0 : id; /* 0: that send was received before */
	*last = id | BY_EVENT;
	trace_emit(kind, a, (uint64_t)ipi, fresh);
}

/*
 * A receipt event's b: the IPI it received (bits 0-7), and, once amended,
 * an IPI the same core then sent (trace_event_amend_send): a flag, the IPI,
 * the target core and the send's flow id.
 */
#define RECEIPT_IPI(b)	((int)((b)&0xff))
#define AMENDED		(1ULL << 8)
#define AMENDED_IPI(b)	((int)((b) >> 9) & 7)
#define AMENDED_CPU(b)	((int)((b) >> 12) & 31)
#define AMENDED_FLOW(b) ((uint32_t)((b) >> 32))

void trace_emit_amend_send(enum trace_kind kind, uint32_t a, int target, int ipi)
{
	if (ipi < 0 || ipi >= IPI_SLOTS || target < 0 || target >= MAX_CPUS)
		return;
	struct trace_buf *tb = &trace_bufs[cpu_id()];
	uint32_t n = tb->count; /* only this core writes it; interrupts are masked */
	struct trace_ev *e = n ? &tb->ev[n - 1] : NULL;
	if (!e || e->kind != (uint32_t)kind || e->a != a) { /* it was dropped, or tracing was off */
		trace_emit_send(1ULL << target, ipi);
		return;
	}
	uint32_t id = new_flow_id();
	uint64_t b = (e->b & 0xff) | AMENDED | (uint64_t)ipi << 9 | (uint64_t)target << 12 |
		     (uint64_t)id << 32;
	/* relaxed: one aligned 64-bit store to an event already published, so
	 * a dumper reading it (export_copy) sees it with or without the send,
	 * both whole; the ids below are left before the caller's SGI */
	__atomic_store_n(&e->b, b, __ATOMIC_RELAXED);
	leave_flow(1ULL << target, ipi, id);
}

/* Does core i's buffer hold the current session (the dumper's view)? */
static bool in_session(int i)
{
	/* acquire: pairs with the writer's release of its session: the count
	 * and dropped read after this are this session's (the reset, or later) */
	return i < nbufs &&
	       __atomic_load_n(&trace_bufs[i].session, __ATOMIC_ACQUIRE) == trace_session;
}

/* Events of core i in the current session. */
static uint32_t events_of(int i)
{
	if (!in_session(i))
		return 0;
	/* acquire: pairs with the writer's release of count: the events below
	 * it are complete */
	return __atomic_load_n(&trace_bufs[i].count, __ATOMIC_ACQUIRE);
}

static uint64_t dropped_of(int i)
{
	if (!in_session(i))
		return 0;
	/* relaxed: a statistic, written by core i alone */
	return __atomic_load_n(&trace_bufs[i].dropped, __ATOMIC_RELAXED);
}

bool trace_event_at(int cpu, uint32_t i, struct trace_record *r)
{
	if (cpu < 0 || cpu >= MAX_CPUS || i >= events_of(cpu))
		return false;
	const struct trace_ev *e = &trace_bufs[cpu].ev[i]; /* complete: below count */
	r->ts = e->ts;
	r->kind = e->kind;
	r->a = e->a;
	r->b = __atomic_load_n(&e->b, __ATOMIC_RELAXED); /* relaxed: it may be amended */
	r->c = e->c;
	return true;
}

void trace_get_status(struct trace_status *s)
{
	memset(s, 0, sizeof *s);
	s->ncpu = nbufs;
	s->capacity = nbufs ? trace_bufs[0].cap : 0;
	for (int i = 0; i < nbufs; i++) {
		s->core_events[i] = events_of(i);
		s->core_dropped[i] = dropped_of(i);
		s->events += s->core_events[i];
		s->dropped += s->core_dropped[i];
	}
}

/* ---- export: Chrome trace-event JSON ---- */

struct out {
	trace_write_fn write;
	void *ctx;
	size_t len;
	char buf[4096];
};

static void out_flush(struct out *o)
{
	if (o->len)
		o->write(o->ctx, o->buf, o->len);
	o->len = 0;
}

static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n > sizeof o->buf)
		out_flush(o);
	if (n > sizeof o->buf) {
		o->write(o->ctx, s, n);
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A JSON string's body: quotes, backslashes and control characters escaped. */
static void escape(char *dst, size_t cap, const char *src, size_t srclen)
{
	size_t j = 0;
	for (size_t i = 0; i < srclen && src[i] && j + 7 < cap; i++) {
		unsigned char ch = (unsigned char)src[i];
		if (ch == '"' || ch == '\\') {
			dst[j++] = '\\';
			dst[j++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			j += (size_t)ksnprintf(dst + j, cap - j, "\\u%04x", ch);
		} else {
			dst[j++] = (char)ch;
		}
	}
	dst[j] = '\0';
}

/* "12.345" microseconds since t0, from a counter value. */
static void fmt_ts(char *dst, size_t cap, uint64_t ts)
{
	uint64_t ns = ts > t0 ? ticks_to_ns(ts - t0) : 0;
	ksnprintf(dst, cap, "%llu.%03llu", (unsigned long long)(ns / 1000),
		  (unsigned long long)(ns % 1000));
}

static const char *ipi_str(int ipi)
{
	return ipi_name_fn ? ipi_name_fn(ipi) : "?";
}

static const char *const phase_names[TRACE_GC_NPHASES] = {
    [TRACE_GC_OFF] = "idle",  [TRACE_GC_STOP1] = "stop 1", [TRACE_GC_ROOTS] = "root jobs",
    [TRACE_GC_MARK] = "mark", [TRACE_GC_STOP2] = "stop 2", [TRACE_GC_SWEEP] = "sweep",
};

/* Chrome's colour names (Perfetto picks its own; tools/trace-render uses the
 * category). */
static const char *const phase_colours[TRACE_GC_NPHASES] = {
    [TRACE_GC_OFF] = "grey",	    [TRACE_GC_STOP1] = "terrible",
    [TRACE_GC_ROOTS] = "rail_load", [TRACE_GC_MARK] = "rail_animation",
    [TRACE_GC_STOP2] = "terrible",  [TRACE_GC_SWEEP] = "rail_idle",
};

/* The export's state: which slices are open on each core. */
#define MAX_DEPTH  16
#define SLICE_NAME 160 /* a slice's name as the JSON has it (escaped) */
#define SLICE_CAT  16 /* and its category */
struct core_state {
	uint8_t open[MAX_DEPTH]; /* the kinds that opened them */
	char name[MAX_DEPTH][SLICE_NAME]; /* and their names and categories, */
	char cat[MAX_DEPTH][SLICE_CAT]; /* repeated by their E */
	int depth;
	uint64_t last_ts;
};

struct exporter {
	struct out o;
	struct core_state cs[MAX_CPUS];
	uint32_t pos[MAX_CPUS], count[MAX_CPUS];
	int phase; /* the collector's current phase, and since when */
	uint32_t phase_cycle;
	uint64_t phase_ts;
	uint64_t exported;
	char line[512];
	char name[128];
	char slice[SLICE_NAME]; /* a slice's name, built from name */
	char ts[32];
};

static struct exporter ex; /* one export at a time (dump.c serialises them) */

/* The kind that closes a slice opened by `open`, or TR_NONE for instants. */
static enum trace_kind closer_of(enum trace_kind open)
{
	switch (open) {
	case TR_TASK_RUN:
		return TR_TASK_OFF;
	case TR_IPI_TAKE:
		return TR_IPI_DONE;
	case TR_STW_REQUEST:
		return TR_STW_DONE;
	case TR_STW_PARK:
		return TR_STW_UNPARK;
	case TR_MARK_BEGIN:
		return TR_MARK_END;
	case TR_LITMUS_BEGIN:
		return TR_LITMUS_END;
	default:
		return TR_NONE;
	}
}

static bool is_closer(enum trace_kind k)
{
	return k == TR_TASK_OFF || k == TR_IPI_DONE || k == TR_STW_DONE || k == TR_STW_UNPARK ||
	       k == TR_MARK_END || k == TR_LITMUS_END;
}

static void emit_line(struct exporter *x)
{
	out_str(&x->o, x->exported++ ? ",\n" : "\n");
	out_str(&x->o, x->line);
}

/* One event on core track cpu: ph is B, E, i, s or f; rest is the fields
 * after "ts" (with a leading comma, or empty). */
static void core_event(struct exporter *x, int cpu, const char *ph, uint64_t ts, const char *rest)
{
	fmt_ts(x->ts, sizeof x->ts, ts);
	ksnprintf(x->line, sizeof x->line, "{\"ph\":\"%s\",\"pid\":0,\"tid\":%d,\"ts\":%s%s}", ph,
		  cpu, x->ts, rest);
	emit_line(x);
}

/* A B or E line of a slice: its name (escaped) and category, then more
 * fields (with a leading comma, or empty).  An E repeats its B's name and
 * category: a viewer that matches them by both (Chrome's DevTools) needs
 * them, and Perfetto takes them too. */
static void slice_event(struct exporter *x, int cpu, const char *ph, uint64_t ts, const char *name,
			const char *cat, const char *more)
{
	char rest[SLICE_NAME + SLICE_CAT + 200];
	ksnprintf(rest, sizeof rest, ",\"name\":\"%s\",\"cat\":\"%s\"%s", name, cat, more);
	core_event(x, cpu, ph, ts, rest);
}

/* Open a slice of kind k: its B, and its name and category kept for its E
 * (a name too long for SLICE_NAME is cut the same in both). */
static void open_slice(struct exporter *x, int cpu, enum trace_kind k, uint64_t ts,
		       const char *name, const char *cat, const char *more)
{
	struct core_state *c = &x->cs[cpu];
	if (c->depth == MAX_DEPTH)
		return; /* deeper than anything the kernel records */
	ksnprintf(c->name[c->depth], SLICE_NAME, "%s", name);
	ksnprintf(c->cat[c->depth], SLICE_CAT, "%s", cat);
	slice_event(x, cpu, "B", ts, c->name[c->depth], c->cat[c->depth], more);
	c->open[c->depth++] = (uint8_t)k;
}

/* Close the innermost slice that k closes, and any still open inside it (a
 * litmus batch whose task yielded ends with the task's run). */
static void close_slice(struct exporter *x, int cpu, enum trace_kind k, uint64_t ts)
{
	struct core_state *c = &x->cs[cpu];
	int d = c->depth;
	while (d > 0 && closer_of((enum trace_kind)c->open[d - 1]) != k)
		d--;
	/* An end whose start came before the trace began (or was cut): nothing
	 * to close. */
	if (d == 0)
		return;
	while (c->depth >= d) {
		c->depth--;
		slice_event(x, cpu, "E", ts, c->name[c->depth], c->cat[c->depth], "");
	}
}

/* The collector's phase track: close the current phase, open the next. */
static void gc_phase(struct exporter *x, uint32_t cycle, int phase, uint64_t ts)
{
	/* The sweeper may say it finished an older cycle's sweep after the next
	 * cycle began (its sweep_finish did the rest): not a phase change. */
	if (phase == TRACE_GC_OFF && cycle != x->phase_cycle)
		return;
	if (x->phase != TRACE_GC_OFF && ts >= x->phase_ts) {
		char start[32], dur[32];
		fmt_ts(start, sizeof start, x->phase_ts);
		uint64_t ns = ticks_to_ns(ts - x->phase_ts);
		ksnprintf(dur, sizeof dur, "%llu.%03llu", (unsigned long long)(ns / 1000),
			  (unsigned long long)(ns % 1000));
		ksnprintf(x->line, sizeof x->line,
			  "{\"ph\":\"X\",\"pid\":1,\"tid\":0,\"ts\":%s,\"dur\":%s,\"name\":\"%s\","
			  "\"cat\":\"gc\",\"cname\":\"%s\",\"args\":{\"cycle\":%u}}",
			  start, dur, phase_names[x->phase], phase_colours[x->phase],
			  x->phase_cycle);
		emit_line(x);
	}
	x->phase = phase >= 0 && phase < TRACE_GC_NPHASES ? phase : TRACE_GC_OFF;
	x->phase_cycle = cycle;
	x->phase_ts = ts;
}

/* Is core cpu's innermost open slice one that `open` opened? */
static bool innermost_is(struct exporter *x, int cpu, enum trace_kind open)
{
	struct core_state *c = &x->cs[cpu];
	return c->depth > 0 && c->open[c->depth - 1] == open;
}

/* The marks of an IPI's send inside an open slice: an instant naming the
 * targets, and the start of an arrow to each. */
static void send_marks(struct exporter *x, int cpu, int ipi, uint64_t mask, uint64_t flow,
		       uint64_t ts)
{
	char rest[256];
	int len = ksnprintf(rest, sizeof rest, ",\"s\":\"t\",\"name\":\"ipi %s ->", ipi_str(ipi));
	for (int t = 0; t < MAX_CPUS && len < (int)sizeof rest - 40; t++)
		if (mask & (1ULL << t))
			len += ksnprintf(rest + len, sizeof rest - (size_t)len, " cpu%d", t);
	ksnprintf(rest + len, sizeof rest - (size_t)len,
		  "\",\"cat\":\"ipi\",\"args\":{\"flow\":%llu,\"mask\":%llu}",
		  (unsigned long long)flow, (unsigned long long)mask);
	core_event(x, cpu, "i", ts, rest);
	for (int t = 0; t < MAX_CPUS; t++) {
		if (!(mask & (1ULL << t)))
			continue;
		ksnprintf(rest, sizeof rest, ",\"id\":%llu,\"name\":\"ipi %s\",\"cat\":\"ipi\"",
			  (unsigned long long)flow * 64 + (unsigned)t, ipi_str(ipi));
		core_event(x, cpu, "s", ts, rest);
	}
}

static void ipi_send_event(struct exporter *x, int cpu, const struct trace_ev *e)
{
	/* The send is a slice of no length: Perfetto ties an arrow's start to
	 * the slice open on its track, and a core may send where none is (in
	 * the scheduler between two tasks, or before its first event). */
	char name[32];
	ksnprintf(name, sizeof name, "ipi %s sent", ipi_str((int)e->a));
	slice_event(x, cpu, "B", e->ts, name, "ipi", "");
	send_marks(x, cpu, SEND_IPI(e->c), SEND_TARGETS(e->c), SEND_FLOW(e->c), e->ts);
	slice_event(x, cpu, "E", e->ts, name, "ipi", "");
}

/* A stop's request or release, which is also the send of its IPI
 * (trace_event_send): its marks inside the owner's stop slice. */
static void stop_send(struct exporter *x, int cpu, const struct trace_ev *e)
{
	if (e->c && innermost_is(x, cpu, TR_STW_REQUEST))
		send_marks(x, cpu, SEND_IPI(e->c), SEND_TARGETS(e->c), SEND_FLOW(e->c), e->ts);
}

/* The marks of an IPI's receipt inside the slice just opened: an instant,
 * and the end of its sender's arrow (flow 0: not traced). */
static void receipt_marks(struct exporter *x, int cpu, int ipi, uint64_t flow, uint64_t ts)
{
	char rest[160];
	ksnprintf(rest, sizeof rest,
		  ",\"s\":\"t\",\"name\":\"ipi %s taken\",\"cat\":\"ipi\",\"args\":{\"flow\":%llu}",
		  ipi_str(ipi), (unsigned long long)flow);
	core_event(x, cpu, "i", ts, rest);
	if (flow) {
		ksnprintf(rest, sizeof rest,
			  ",\"id\":%llu,\"name\":\"ipi %s\",\"cat\":\"ipi\",\"bp\":\"e\"",
			  (unsigned long long)flow * 64 + (unsigned)cpu, ipi_str(ipi));
		core_event(x, cpu, "f", ts, rest);
	}
}

/* A stop's events that are also an IPI's receipt (trace_event_receipt),
 * and maybe a send (trace_event_amend_send): their marks go inside the
 * slice they open, close or lie in (the park, or the owner's stop). */
static void stop_receipt(struct exporter *x, int cpu, const struct trace_ev *e)
{
	enum trace_kind k = (enum trace_kind)e->kind;
	enum trace_kind in = k == TR_STW_PARK || k == TR_STW_UNPARK ? TR_STW_PARK : TR_STW_REQUEST;
	if (!innermost_is(x, cpu, in))
		return;
	if (e->c)
		receipt_marks(x, cpu, RECEIPT_IPI(e->b), e->c, e->ts);
	if (e->b & AMENDED) /* and the send this core made next (the last one in or out) */
		send_marks(x, cpu, AMENDED_IPI(e->b), 1ULL << AMENDED_CPU(e->b), AMENDED_FLOW(e->b),
			   e->ts);
}

static void ipi_take_event(struct exporter *x, int cpu, const struct trace_ev *e)
{
	char name[32], more[64];
	ksnprintf(name, sizeof name, "ipi %s", ipi_str((int)e->a));
	ksnprintf(more, sizeof more, ",\"args\":{\"flow\":%llu}", (unsigned long long)e->c);
	open_slice(x, cpu, TR_IPI_TAKE, e->ts, name, "ipi", more);
	receipt_marks(x, cpu, (int)e->a, e->c, e->ts);
	if (e->b == TRACE_IPI_NOTHING) /* no TR_IPI_DONE follows */
		close_slice(x, cpu, TR_IPI_DONE, e->ts);
}

static void one_event(struct exporter *x, int cpu, const struct trace_ev *e)
{
	char rest[200];
	enum trace_kind k = (enum trace_kind)e->kind;
	x->cs[cpu].last_ts = e->ts;
	if (k == TR_STW_UNPARK || k == TR_STW_DONE) /* before they close their slice */
		stop_receipt(x, cpu, e);
	if (is_closer(k)) {
		close_slice(x, cpu, k, e->ts);
		return;
	}
	switch (k) {
	case TR_TASK_RUN:
		escape(x->name, sizeof x->name, (const char *)&e->b, 16);
		ksnprintf(rest, sizeof rest, ",\"args\":{\"task\":%u}", e->a);
		open_slice(x, cpu, k, e->ts, x->name, "task", rest);
		break;
	case TR_TASK_CREATE:
		escape(x->name, sizeof x->name, (const char *)&e->b, 16);
		ksnprintf(
		    rest, sizeof rest,
		    ",\"s\":\"t\",\"name\":\"create %s\",\"cat\":\"task\",\"args\":{\"task\":%u}",
		    x->name, e->a);
		core_event(x, cpu, "i", e->ts, rest);
		break;
	case TR_TASK_EXIT:
		ksnprintf(rest, sizeof rest,
			  ",\"s\":\"t\",\"name\":\"exit\",\"cat\":\"task\",\"args\":{\"task\":%u}",
			  e->a);
		core_event(x, cpu, "i", e->ts, rest);
		break;
	case TR_IPI_SEND:
		ipi_send_event(x, cpu, e);
		break;
	case TR_IPI_TAKE:
		ipi_take_event(x, cpu, e);
		break;
	case TR_STW_REQUEST:
		escape(x->name, sizeof x->name, e->b ? (const char *)(uintptr_t)e->b : "?", 64);
		ksnprintf(x->slice, sizeof x->slice, "stop %u: %s", e->a, x->name);
		ksnprintf(rest, sizeof rest,
			  ",\"cname\":\"terrible\",\"args\":{\"gen\":%u,\"reason\":\"%s\"}", e->a,
			  x->name);
		open_slice(x, cpu, k, e->ts, x->slice, "stw", rest);
		stop_send(x, cpu, e);
		break;
	case TR_STW_PARKED:
	case TR_STW_RELEASE:
		ksnprintf(rest, sizeof rest,
			  ",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"stw\",\"args\":{\"gen\":%u}",
			  k == TR_STW_PARKED ? "all parked" : "release", e->a);
		core_event(x, cpu, "i", e->ts, rest);
		if (k == TR_STW_PARKED)
			stop_receipt(x, cpu, e);
		else
			stop_send(x, cpu, e);
		break;
	case TR_STW_PARK: /* also the IPI_STOP's receipt, and maybe the owner's wake */
		ksnprintf(x->slice, sizeof x->slice, "parked (stop %u)", e->a);
		ksnprintf(rest, sizeof rest, ",\"cname\":\"bad\",\"args\":{\"gen\":%u}", e->a);
		open_slice(x, cpu, k, e->ts, x->slice, "stw", rest);
		stop_receipt(x, cpu, e);
		break;
	case TR_MARK_BEGIN:
		ksnprintf(rest, sizeof rest,
			  ",\"cname\":\"rail_animation\",\"args\":{\"cycle\":%u}", e->a);
		open_slice(x, cpu, k, e->ts, "mark", "gc", rest);
		break;
	case TR_GC_PHASE: /* the collector's track, afterwards (export_phases) */
		break;
	case TR_ALLOC_SLOW:
		ksnprintf(rest, sizeof rest,
			  ",\"s\":\"t\",\"name\":\"alloc slow (%s)\",\"cat\":\"gc\","
			  "\"args\":{\"size\":%u}",
			  alloc_why_name(e->b), e->a);
		core_event(x, cpu, "i", e->ts, rest);
		break;
	case TR_LITMUS_BEGIN:
		ksnprintf(rest, sizeof rest, ",\"args\":{\"first\":%u,\"end\":%llu}", e->a,
			  (unsigned long long)e->b);
		open_slice(x, cpu, k, e->ts, "litmus batch", "litmus", rest);
		break;
	default:
		break;
	}
}

static void metadata(struct exporter *x, uint64_t online)
{
	ksnprintf(
	    x->line, sizeof x->line,
	    "{\"ph\":\"M\",\"pid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"cores\"}}");
	emit_line(x);
	for (int i = 0; i < MAX_CPUS; i++) {
		if (!(online & (1ULL << i)))
			continue;
		ksnprintf(x->line, sizeof x->line,
			  "{\"ph\":\"M\",\"pid\":0,\"tid\":%d,\"name\":\"thread_name\","
			  "\"args\":{\"name\":\"cpu%d\"}}",
			  i, i);
		emit_line(x);
		ksnprintf(x->line, sizeof x->line,
			  "{\"ph\":\"M\",\"pid\":0,\"tid\":%d,\"name\":\"thread_sort_index\","
			  "\"args\":{\"sort_index\":%d}}",
			  i, i);
		emit_line(x);
	}
	ksnprintf(x->line, sizeof x->line,
		  "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":"
		  "\"collector\"}}");
	emit_line(x);
	ksnprintf(x->line, sizeof x->line,
		  "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":"
		  "\"gc phases\"}}");
	emit_line(x);
}

/* An event as the export reads it: b may be amended by its core meanwhile
 * (trace_emit_amend_send), so it is read whole with one atomic load. */
static struct trace_ev export_copy(const struct trace_ev *e)
{
	struct trace_ev c;
	c.ts = e->ts;
	c.kind = e->kind;
	c.a = e->a;
	c.b = __atomic_load_n(&e->b, __ATOMIC_RELAXED); /* relaxed: whole, old or new */
	c.c = e->c;
	return c;
}

/* Core i's track: its events in its own (time) order, then what is still
 * open closed at its last event.  A track's events stay together in the
 * file, so a viewer that keeps one stack of open slices for the whole file
 * (Chrome's DevTools) still closes each slice on the core that opened it;
 * Perfetto sorts the file by time itself. */
static void export_core(struct exporter *x, int i)
{
	struct core_state *c = &x->cs[i];
	for (uint32_t n = 0; n < x->count[i]; n++) {
		struct trace_ev e = export_copy(&trace_bufs[i].ev[n]);
		one_event(x, i, &e);
	}
	while (c->depth > 0)
		close_slice(x, i, closer_of((enum trace_kind)c->open[c->depth - 1]), c->last_ts);
}

/* The core whose next event is the earliest, or -1 when all are done. */
static int earliest(struct exporter *x)
{
	int best = -1;
	for (int i = 0; i < nbufs; i++)
		if (x->pos[i] < x->count[i] &&
		    (best < 0 ||
		     trace_bufs[i].ev[x->pos[i]].ts < trace_bufs[best].ev[x->pos[best]].ts))
			best = i;
	return best;
}

/* The collector's track: the phase changes of every core, merged by time
 * (any core may begin the next phase). */
static void export_phases(struct exporter *x)
{
	int cpu;
	while ((cpu = earliest(x)) >= 0) { /* pos starts at 0: export_core does not move it */
		struct trace_ev e = export_copy(&trace_bufs[cpu].ev[x->pos[cpu]++]);
		if (e.kind == TR_GC_PHASE)
			gc_phase(x, e.a, (int)e.b, e.ts);
	}
}

uint64_t trace_export_json(trace_write_fn write, void *ctx)
{
	struct exporter *x = &ex;
	memset(x, 0, sizeof *x);
	x->o.write = write;
	x->o.ctx = ctx;
	x->phase = TRACE_GC_OFF;
	uint64_t online = cpus_online_mask();
	/* traceEvents first: Perfetto's importers of 2020-22 read
	 * displayTimeUnit only at the file's start, and then as the unit of ts
	 * (which the format says is always microseconds); later ones, and
	 * chrome://tracing, read it anywhere as a display setting. */
	out_str(&x->o, "{\"traceEvents\":[");
	metadata(x, online);
	uint64_t events = 0;
	for (int i = 0; i < nbufs; i++) {
		x->count[i] = events_of(i);
		events += x->count[i];
	}
	uint64_t last = 0;
	for (int i = 0; i < nbufs; i++) {
		export_core(x, i);
		if (x->cs[i].last_ts > last)
			last = x->cs[i].last_ts;
	}
	export_phases(x);
	if (x->phase != TRACE_GC_OFF)
		gc_phase(x, x->phase_cycle, TRACE_GC_OFF, last);
	ksnprintf(x->line, sizeof x->line,
		  "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"allstop\":{\"cpus\":%d,"
		  "\"online_mask\":%llu,\"events\":%llu,\"timer_hz\":%llu,\"dropped\":[",
		  cpus_online(), (unsigned long long)online, (unsigned long long)events,
		  (unsigned long long)timer_freq());
	out_str(&x->o, x->line);
	for (int i = 0; i < nbufs; i++) {
		ksnprintf(x->line, sizeof x->line, "%s%llu", i ? "," : "",
			  (unsigned long long)dropped_of(i));
		out_str(&x->o, x->line);
	}
	out_str(&x->o, "]}}}\n");
	out_flush(&x->o);
	return events;
}
