/*
 * test_trace.c — the tracer's record (kernel/trace/record.S) is a
 * restartable sequence: an interrupt taken inside it sends it back to its
 * start, so the interrupt's own events and the interrupted one all survive,
 * in time order, without the record masking interrupts.
 */
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/patch.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/drivers/console.h"
#include "kernel/irq/ipi.h"
#include "kernel/irq/irq.h"
#include "kernel/task/task.h"
#include "kernel/trace/trace.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/restart_check.h"

#include <string.h>

/* The boot code registered the sequence (kernel/init/args.c). */
KTEST(trace, record_sequence_restarts_inside_only)
{
	if (!trace_ready())
		KSKIP("the tracer has no buffer");
	uintptr_t start = (uintptr_t)trace_record_seq, end = (uintptr_t)trace_record_seq_end;
	KASSERT(end > start);
	KASSERT_EQ(restart_errors(start, end), 0);
}

#define MARKS	  3000
#define MARK_KIND TR_NONE /* the export skips it */
#define MARK_A	  0x7ace

static int ping_stop;

/* On another core: IPI_PING at the recording core until told to stop. */
static int64_t pinger(void *arg)
{
	int target = (int)(uintptr_t)arg;
	uint64_t sent = 0;
	/* relaxed: a stop signal; nothing is read after it that it must order */
	while (!__atomic_load_n(&ping_stop, __ATOMIC_RELAXED)) {
		ipi_send(target, IPI_PING);
		sent++;
		for (volatile int i = 0; i < 200; i++) /* let it be taken, mostly */
			;
	}
	return (int64_t)sent;
}

static uint64_t pings_taken(int cpu)
{
	/* acquire: pairs with the handler's release increment (ipi_handle) */
	return __atomic_load_n(&cpus[cpu].ipi_count[IPI_PING], __ATOMIC_ACQUIRE);
}

static int other_online_core(void)
{
	for (int i = 0; i < MAX_CPUS; i++)
		if (i != cpu_id() && cpu_state(&cpus[i]) == CPU_ONLINE)
			return i;
	return -1;
}

/*
 * This core records MARKS events in a row, with interrupts on, while another
 * core pings it: each ping's handler records its receipt and its end on
 * this core too, often from inside one of our records.  Afterwards every
 * mark is there, in order, every ping taken has its receipt, and time never
 * runs backwards.  Without the restart, a ping taken between a record's
 * read of count and its release of count + 1 has its events overwritten.
 */
KTEST(trace, events_survive_interrupts_taken_inside_a_record)
{
	int me = cpu_id(), other = other_online_core();
	if (other < 0)
		KSKIP("one core: nobody to send the interrupts");
	if (!trace_ready() || trace_running())
		KSKIP("the tracer has no buffer, or is on already");
	struct trace_status st;
	trace_get_status(&st);
	if (st.capacity < 4 * MARKS)
		KSKIP("tracebuf= too small for this test");

	trace_start();
	uint64_t before = pings_taken(me); /* no ping in flight yet */
	__atomic_store_n(&ping_stop, 0, __ATOMIC_RELAXED); /* relaxed: before the pinger exists */
	struct task *t =
	    task_create_on(other, true, "trace-pinger", pinger, (void *)(uintptr_t)me, 0);
	KASSERT(t != NULL);
	while (pings_taken(me) == before) /* the pinger runs */
		cpu_relax();
	for (uint32_t i = 0; i < MARKS; i++)
		trace_event(MARK_KIND, MARK_A, i, 0);
	__atomic_store_n(&ping_stop, 1, __ATOMIC_RELAXED); /* relaxed: task_join orders the rest */
	KASSERT_GT(task_join(t), 0);
	uint64_t until = timer_ns() + 2000000; /* the last ping's handler */
	while (timer_ns() < until)
		cpu_relax();
	uint64_t taken = pings_taken(me) - before;
	trace_stop();

	trace_get_status(&st);
	KASSERT_EQ(st.core_dropped[me], 0);
	struct trace_record r;
	uint64_t marks = 0, receipts = 0, last_ts = 0, backwards = 0;
	for (uint32_t i = 0; trace_event_at(me, i, &r); i++) {
		if (r.ts < last_ts)
			backwards++;
		last_ts = r.ts;
		if (r.kind == MARK_KIND && r.a == MARK_A) {
			KASSERT_EQ(r.b, marks); /* every mark, in order */
			marks++;
		} else if (r.kind == TR_IPI_TAKE && r.a == IPI_PING) {
			receipts++;
		}
	}
	kprintf("trace test: %llu marks, %llu pings taken during them, %llu receipts recorded\n",
		(unsigned long long)marks, (unsigned long long)taken, (unsigned long long)receipts);
	KASSERT_EQ(marks, MARKS);
	KASSERT_EQ(receipts, taken);
	KASSERT_EQ(backwards, 0);
}

/*
 * Every trace point is a NOP while tracing is off and a branch to its call
 * while it is on (trace.h's trace_on, kernel/arch/patch.c): trace_start and
 * trace_stop patch them all, and back.
 */
static int points_as(bool on)
{
	extern const struct trace_point __trace_points_start[], __trace_points_end[];
	int wrong = 0;
	for (const struct trace_point *p = __trace_points_start; p < __trace_points_end; p++) {
		uint32_t word = *(const volatile uint32_t *)(uintptr_t)p->site;
		uint32_t want = on ? insn_branch(p->site, p->target) : INSN_NOP;
		if (word != want) {
			if (!wrong)
				kprintf("trace test: point at %#lx holds %08x, want %08x\n",
					(unsigned long)p->site, (unsigned)word, (unsigned)want);
			wrong++;
		}
	}
	return wrong;
}

KTEST(trace, points_are_nops_off_and_branches_on)
{
	extern const struct trace_point __trace_points_start[], __trace_points_end[];
	if (!trace_ready() || trace_running())
		KSKIP("the tracer has no buffer, or is on already");
	KASSERT_GE(__trace_points_end - __trace_points_start, 20); /* tasks, IPIs, stops, gc */
	KASSERT_EQ(points_as(false), 0);
	trace_start();
	int on_wrong = points_as(true);
	trace_stop();
	KASSERT_EQ(on_wrong, 0);
	KASSERT_EQ(points_as(false), 0);
}
