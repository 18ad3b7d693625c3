/*
 * trace.h — the per-core tracer: what the lower layers call at each trace
 * point, and what the shell and the boot code call to start, stop and dump.
 * How it works is the comment at the top of trace.c.
 *
 * A trace point is trace_event(kind, a, b, c): when tracing is off it costs
 * one NOP, which trace_start patches into a branch (trace_on, below).
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/limits.h"

/* What happened; a, b and c are the kind's arguments (see trace.c's export). */
enum trace_kind {
	TR_NONE = 0,
	TR_TASK_RUN, /* a task starts running here: a = id, b/c = its name (16 bytes) */
	TR_TASK_OFF, /* it leaves the core: a = id, b = its state */
	TR_TASK_CREATE, /* a = id, b/c = name */
	TR_TASK_EXIT, /* a = id */
	TR_IPI_SEND, /* a = IPI; c = its send (targets, IPI, flow id: trace.c) */
	TR_IPI_TAKE, /* a = IPI, b = TRACE_IPI_*, c = the flow id its sender left */
	TR_IPI_DONE, /* a = IPI: its handler returned (not after TRACE_IPI_NOTHING) */
	TR_STW_REQUEST, /* the owner: a = stop's generation, b = reason (a static string), c =
			   IPI_STOP's send */
	TR_STW_PARKED, /* the owner saw every core parked: a = generation; b, c as PARK */
	TR_STW_RELEASE, /* the owner released them: a = generation, c = IPI_WAKE's send */
	TR_STW_DONE, /* every core left its handler: a = generation; b, c as PARK */
	TR_STW_PARK, /* this core parked for stop a; the IPI_STOP's receipt: b = IPI (and
		      * the last one in's wake, amended), c = flow */
	TR_STW_UNPARK, /* this core leaves the park of stop a; the wake's receipt: b, c as PARK */
	/* (PARKED and DONE are the receipts of the IPI_WAKE that ended the
	 * owner's wait, UNPARK of the owner's release: trace_event_receipt) */
	TR_GC_PHASE, /* the collector enters phase b (enum trace_gc_phase) of cycle a */
	TR_MARK_BEGIN, /* a mark worker (or the collector) starts marking: a = cycle */
	TR_MARK_END, /* and stops (yields or runs out of work) */
	TR_ALLOC_SLOW, /* gc_alloc's slow path: a = size, b = enum trace_alloc_why */
	TR_LITMUS_BEGIN, /* a batch of litmus runs: a = first run, b = end */
	TR_LITMUS_END,
	TR_NKINDS,
};

enum trace_gc_phase {
	TRACE_GC_OFF = 0, /* sweep over: no cycle */
	TRACE_GC_STOP1,
	TRACE_GC_ROOTS, /* concurrent mark, root jobs left */
	TRACE_GC_MARK, /* concurrent mark, the queue */
	TRACE_GC_STOP2,
	TRACE_GC_SWEEP,
	TRACE_GC_NPHASES,
};

enum trace_alloc_why {
	TRACE_ALLOC_FULL, /* no room: collect and retry */
	TRACE_ALLOC_TRIGGER, /* live bytes reached the trigger: a background cycle */
	TRACE_ALLOC_REFILL, /* this core's cache of the size class was empty (gc/cache.c) */
};

/* Non-zero while tracing; record.S reads it before it records (see trace.c). */
extern int trace_enabled;

/* One event on this core (record.S; trace_event calls it when tracing is on). */
void trace_emit(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t c);
/* record.S's restartable sequence: the boot code registers it with the
 * interrupt layer (irq_add_restartable) before it hands the tracer its
 * memory (trace_init); without it, tracing would lose events. */
extern const char trace_record_seq[], trace_record_seq_end[];
void trace_emit_name(enum trace_kind kind, uint32_t a, const char *name);
/* An IPI's send (trace.c): its event, then the flow ids its receipts read;
 * the caller raises the SGI after it. */
void trace_emit_send(uint64_t mask, int ipi);
void trace_emit_ipi_take(int ipi, uint64_t what);
/* An event that is also an IPI's send (trace_event_send). */
void trace_emit_send_as(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t mask, int ipi);
/* This core's last event is also a send (trace_event_amend_send). */
void trace_emit_amend_send(enum trace_kind kind, uint32_t a, int target, int ipi);
/* An event of a handler that is its IPI's receipt (trace_event_receipt). */
void trace_emit_receipt(enum trace_kind kind, uint32_t a, int ipi);

/*
 * Is tracing on?  At every trace point this is one instruction: a NOP while
 * tracing is off, which trace_start patches into a branch to the trace
 * point's call and trace_stop back into a NOP (Linux's static keys; see
 * kernel/arch/patch.h for why a core may run the word while it changes).
 * Each use leaves (the NOP's address, the branch's target) in the section
 * .trace_points, which linker.ld gathers between __trace_points_start and
 * __trace_points_end.  A core that still runs the old word only records
 * its first events late or its last ones after trace_stop, as with a flag;
 * record.S checks trace_enabled again before it writes anything.
 */
struct trace_point {
	uint64_t site; /* the NOP */
	uint64_t target; /* where the branch goes */
};

static inline __attribute__((always_inline)) bool trace_on(void)
{
#ifdef TRACE_NONE /* KCFLAGS=-DTRACE_NONE: no trace point at all (to measure their cost) */
	return false;
#else
	__asm__ goto("1:	nop\n"
		     "	.pushsection .trace_points, \"a\"\n"
		     "	.balign 8\n"
		     "	.quad 1b, %l[on]\n"
		     "	.popsection\n"
		     :
		     :
		     :
		     : on);
	return false;
on:
	return true;
#endif
}

static inline void trace_event(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t c)
{
	if (trace_on())
		trace_emit(kind, a, b, c);
}

/* The same with a name (a task's) copied into b and c. */
static inline void trace_event_name(enum trace_kind kind, uint32_t a, const char *name)
{
	if (trace_on())
		trace_emit_name(kind, a, name);
}

/* Before an IPI's SGI (kernel/irq/ipi.c): the send's event, and a flow id
 * for each target, which its receipt reads. */
static inline void trace_ipi_send(uint64_t mask, int ipi)
{
	if (trace_on())
		trace_emit_send(mask, ipi);
}

/*
 * An event that is also the send of IPI ipi to the cores in mask: c packs
 * the targets, the IPI and the flow id (trace.c's SEND_*), and each target's
 * receipt reads the id.  The caller raises the SGI after it with
 * ipi_send_mask_untraced (the stop's request and release).
 */
static inline void trace_event_send(enum trace_kind kind, uint32_t a, uint64_t b, uint64_t mask,
				    int ipi)
{
	if (trace_on())
		trace_emit_send_as(kind, a, b, mask, ipi);
}

/*
 * The receipt event this core recorded last, (kind, a), is also the send of
 * ipi to core target that follows it: the last core into a stop's park and
 * the last one out wake the owner, a few instructions after their park or
 * unpark event.  Rather than a send event of its own, that event's b is
 * amended with the send (one 64-bit store) and the flow id is left for the
 * target; the caller raises the SGI after it with ipi_send_untraced.  If
 * that event is not this core's last (dropped, or recorded before tracing
 * was on), a send event is recorded instead.  Interrupts masked.
 */
static inline void trace_event_amend_send(enum trace_kind kind, uint32_t a, int target, int ipi)
{
	if (trace_on())
		trace_emit_amend_send(kind, a, target, ipi);
}

/*
 * An event that is also this core's receipt of IPI ipi: the first event of
 * a handler registered with ipi_register_receipt (the stop's park), or one
 * that sees what the IPI was sent for before its interrupt is taken (a
 * parked core's unpark, the owner's IPI_WAKE; the owner's "all parked" and
 * "done", the last core's).  b = the IPI, c = the flow id
 * its sender left; when the interrupt of that send comes, it is not
 * recorded again.  In an interrupt handler, or with interrupts masked.
 */
static inline void trace_event_receipt(enum trace_kind kind, uint32_t a, int ipi)
{
	if (trace_on())
		trace_emit_receipt(kind, a, ipi);
}

/* TR_IPI_TAKE's b: the handler runs and TR_IPI_DONE will end it, or there is
 * nothing to run (taking the interrupt was the point: IPI_WAKE, IPI_PING),
 * so the receipt is the only event and the export draws the handler as a
 * slice of no length. */
#define TRACE_IPI_HANDLER 0
#define TRACE_IPI_NOTHING 1

static inline void trace_ipi_take(int ipi, uint64_t what)
{
	if (trace_on())
		trace_emit_ipi_take(ipi, what);
}

/* ---- control (the boot code and the shell) ---- */

#define TRACE_EVENTS_DEFAULT 16384 /* per core: 512 KiB */
#define TRACE_EVENT_BYTES    32

/* Hand the tracer its memory: split into one buffer per core in [0, ncpu). */
void trace_init(void *mem, size_t bytes, int ncpu);
bool trace_ready(void);
void trace_start(void); /* a new session: every buffer empties */
void trace_stop(void);
bool trace_running(void);

struct trace_status {
	int ncpu; /* buffers */
	uint32_t capacity; /* events per core */
	uint64_t events, dropped; /* in this session, all cores */
	uint64_t core_events[MAX_CPUS], core_dropped[MAX_CPUS];
};
void trace_get_status(struct trace_status *s);

/* Event i of core cpu in the current session (false past its end): what the
 * export reads, for tests. */
struct trace_record {
	uint64_t ts; /* timer_count() */
	uint32_t kind, a;
	uint64_t b, c;
};
bool trace_event_at(int cpu, uint32_t i, struct trace_record *r);

/*
 * Export: the Chrome trace-event JSON, in pieces handed to write().
 * Returns the events exported.  Tracing must be stopped (trace_stop).
 */
typedef void (*trace_write_fn)(void *ctx, const char *s, size_t n);
uint64_t trace_export_json(trace_write_fn write, void *ctx);

/* The names the export gives the IPIs; set by the IPI layer's user (init). */
void trace_set_ipi_names(const char *(*name)(int ipi));

/* Dumps (dump.c): to a host file by semihosting, or framed on the console. */
int trace_dump_file(const char *path, char *err, size_t errlen);
void trace_dump_serial(void);

#endif
