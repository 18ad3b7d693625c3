/*
 * ipi.c — sending and receiving inter-processor interrupts.
 *
 * The irqchip's send functions issue a DSB before raising the SGI, so anything
 * this core stored before ipi_send() is visible to the target by the time its
 * handler runs.
 */
#include "kernel/irq/ipi.h"
#include "kernel/arch/cpu.h"
#include "kernel/drivers/console.h"
#include "kernel/irq/irq.h"
#include "kernel/arch/timer.h"
#include "kernel/trace/trace.h"

static const char *const names[IPI_COUNT] = {"wake", "call", "stop", "panic", "ping", "say"};

static void nothing(struct trap_frame *tf)
{
	(void)tf; /* WAKE, PING: taking the interrupt was the point; CALL: the
		     scheduler loop runs the posted function (kernel/task/sched.c) */
}

static void say(struct trap_frame *tf)
{
	(void)tf;
	/* kprintf runs newlib's vfprintf, memset and strchr, which use the
	 * vector registers: the interrupted task's survive only because the
	 * trap frame saves them (boot/vectors.S). */
	struct cpu *c = this_cpu();
	kprintf("ipi: cpu%d: said from the interrupt handler (%llu)\n", c->id,
		(unsigned long long)c->ipi_count[IPI_SAY]);
}

/* STOP and PANIC are registered by their owners (ipi_register). */
static ipi_handler_fn handlers[IPI_COUNT] = {
    [IPI_WAKE] = nothing,
    [IPI_CALL] = nothing,
    [IPI_PING] = nothing,
    [IPI_SAY] = say,
};

/* IPIs whose handler records its own receipt (ipi_register_receipt). */
static bool own_receipt[IPI_COUNT];

void ipi_register_receipt(enum ipi ipi, ipi_handler_fn fn)
{
	if ((int)ipi >= 0 && ipi < IPI_COUNT)
		own_receipt[ipi] = true; /* published by ipi_register's release */
	ipi_register(ipi, fn);
}

void ipi_register(enum ipi ipi, ipi_handler_fn fn)
{
	if ((int)ipi < 0 || ipi >= IPI_COUNT) {
		kprintf("ipi: cannot register a handler for IPI %d: there are %d\n", (int)ipi,
			IPI_COUNT);
		return;
	}
	/* release: what the handler uses is set up before ipi_handle can see
	 * it (pairs with the acquire load there) */
	__atomic_store_n(&handlers[ipi], fn, __ATOMIC_RELEASE);
}

const char *ipi_name(int ipi)
{
	return ipi >= 0 && ipi < IPI_COUNT && names[ipi] ? names[ipi] : "?";
}

void ipi_send(int cpu, enum ipi ipi)
{
	if (irqchip && cpu >= 0 && cpu < ncpus)
		ipi_send_mask(1ULL << cpu, ipi);
}

/* A send while tracing: the event and the flow ids, then the SGI. */
static __attribute__((noinline)) void send_traced(uint64_t mask, enum ipi ipi, bool others)
{
	trace_ipi_send(mask, ipi);
	if (others)
		irqchip->send_sgi_others(ipi);
	else
		irqchip->send_sgi(mask, ipi);
}

void ipi_send_mask(uint64_t mask, enum ipi ipi)
{
	if (!irqchip || !mask)
		return;
	if (trace_on()) /* out of line: untraced, the send is a tail call */
		send_traced(mask, ipi, false);
	else
		irqchip->send_sgi(mask, ipi);
}

void ipi_send_mask_untraced(uint64_t mask, enum ipi ipi)
{
	if (irqchip && mask)
		irqchip->send_sgi(mask, ipi);
}

void ipi_send_untraced(int cpu, enum ipi ipi)
{
	if (cpu >= 0 && cpu < ncpus)
		ipi_send_mask_untraced(1ULL << cpu, ipi);
}

void ipi_send_others(enum ipi ipi)
{
	if (!irqchip)
		return;
	if (trace_on()) /* the targets' mask only when tracing */
		send_traced(cpus_online_mask() & ~(1ULL << cpu_id()), ipi, true);
	else
		irqchip->send_sgi_others(ipi);
}

int64_t ipi_round_trip_ns(int cpu, uint64_t timeout_ns)
{
	if (cpu < 0 || cpu >= ncpus || cpu_state(&cpus[cpu]) != CPU_ONLINE || cpu == cpu_id())
		return -1;
	uint64_t *count = &cpus[cpu].ipi_count[IPI_PING];
	/* acquire: pairs with the handler's release increment (ipi_handle) */
	uint64_t before = __atomic_load_n(count, __ATOMIC_ACQUIRE);
	uint64_t start = timer_count();
	ipi_send(cpu, IPI_PING);
	uint64_t deadline = start + ns_to_ticks(timeout_ns);
	/* acquire: pairs with the handler's release increment of the count */
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) == before) {
		if (timer_count() > deadline)
			return -1;
		cpu_relax();
	}
	return (int64_t)ticks_to_ns(timer_count() - start);
}

/* Run handler fn of IPI sgi (NULL: none registered). */
static void run_handler(int sgi, ipi_handler_fn fn, struct trap_frame *tf)
{
	if (fn)
		fn(tf);
	else
		kprintf("ipi: cpu%d: SGI %d (%s) has no handler registered\n", cpu_id(), sgi,
			ipi_name(sgi));
}

/* While tracing: the receipt, the handler, its end.  Out of line, so the
 * untraced path below has nothing of it. */
static __attribute__((noinline)) void handle_traced(int sgi, ipi_handler_fn fn,
						    struct trap_frame *tf)
{
	if (fn == nothing) { /* taking it was the point: one trace event, not two */
		trace_ipi_take(sgi, TRACE_IPI_NOTHING);
		return;
	}
	if (fn && own_receipt[sgi]) { /* its first event is the receipt: none here */
		fn(tf);
		return;
	}
	trace_ipi_take(sgi, TRACE_IPI_HANDLER);
	run_handler(sgi, fn, tf);
	trace_event(TR_IPI_DONE, (uint32_t)sgi, 0, 0);
}

void ipi_handle(int sgi, struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	if (sgi >= IPI_COUNT) {
		kprintf("ipi: cpu%d: unexpected SGI %d\n", c->id, sgi);
		return;
	}
	/* single writer; release: work before this IPI is done */
	__atomic_store_n(&c->ipi_count[sgi], c->ipi_count[sgi] + 1, __ATOMIC_RELEASE);
	/* acquire: pairs with ipi_register's release */
	ipi_handler_fn fn = __atomic_load_n(&handlers[sgi], __ATOMIC_ACQUIRE);
	if (trace_on()) {
		handle_traced(sgi, fn, tf);
		return;
	}
	if (fn != nothing) /* taking it was the point: no call */
		run_handler(sgi, fn, tf);
}
