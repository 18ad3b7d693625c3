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
#include "kernel/panic/panic.h"
#include "kernel/stw/stop.h"
#include "kernel/arch/timer.h"

static const char *const names[IPI_COUNT] = {"wake", "call", "stop", "panic", "ping", "say"};

const char *ipi_name(int ipi)
{
	return ipi >= 0 && ipi < IPI_COUNT && names[ipi] ? names[ipi] : "?";
}

void ipi_send(int cpu, enum ipi ipi)
{
	if (irqchip && cpu >= 0 && cpu < ncpus)
		irqchip->send_sgi(1ULL << cpu, ipi);
}

void ipi_send_mask(uint64_t mask, enum ipi ipi)
{
	if (irqchip && mask)
		irqchip->send_sgi(mask, ipi);
}

void ipi_send_others(enum ipi ipi)
{
	if (irqchip)
		irqchip->send_sgi_others(ipi);
}

int64_t ipi_round_trip_ns(int cpu, uint64_t timeout_ns)
{
	if (cpu < 0 || cpu >= ncpus || cpu_state(&cpus[cpu]) != CPU_ONLINE || cpu == cpu_id())
		return -1;
	uint64_t *count = &cpus[cpu].ipi_count[IPI_PING];
	uint64_t before = __atomic_load_n(count, __ATOMIC_ACQUIRE); /* pairs with the handler */
	uint64_t start = timer_count();
	ipi_send(cpu, IPI_PING);
	uint64_t deadline = start + ns_to_ticks(timeout_ns);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) == before) { /* as above */
		if (timer_count() > deadline)
			return -1;
		cpu_relax();
	}
	return (int64_t)ticks_to_ns(timer_count() - start);
}

void ipi_handle(int sgi, struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	if (sgi < IPI_COUNT) /* single writer; release: work before this IPI is done */
		__atomic_store_n(&c->ipi_count[sgi], c->ipi_count[sgi] + 1, __ATOMIC_RELEASE);
	switch (sgi) {
	case IPI_WAKE:
	case IPI_PING:
	case IPI_CALL: /* the scheduler loop runs the posted function (kernel/task/sched.c) */
		break;
	case IPI_PANIC:
		panic_park(tf);
		break;
	case IPI_STOP:
		stw_park(tf);
		break;
	case IPI_SAY:
		/* kprintf runs newlib's vfprintf, memset and strchr, which use the
		 * vector registers: the interrupted task's survive only because the
		 * trap frame saves them (boot/vectors.S). */
		kprintf("ipi: cpu%d: said from the interrupt handler (%llu)\n", c->id,
			(unsigned long long)c->ipi_count[IPI_SAY]);
		break;
	default:
		kprintf("ipi: cpu%d: unexpected SGI %d\n", c->id, sgi);
	}
}
