/*
 * irq.c — interrupt dispatch.  The vectors call trap_irq(), which takes every
 * pending interrupt from the controller, runs its handler, and signals the end
 * of it.  Interrupts stay masked throughout: handlers do not nest.
 */
#include "kernel/irq/irq.h"
#include "kernel/boards/board.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/task/sched.h"
#include "kernel/stw/stop.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"

const struct irqchip *irqchip;
static irq_handler_fn handlers[IRQ_MAX];

int irq_init(const struct boot_info *bi)
{
	irqchip = board_irqchip(bi);
	if (!irqchip) {
		kprintf("irq: no interrupt controller found (device tree names no GIC)\n");
		return -1;
	}
	int err = irqchip->init(bi);
	if (err) {
		kprintf("irq: %s initialisation failed (%d)\n", irqchip->name, err);
		irqchip = NULL;
		return err;
	}
	return 0;
}

void irq_init_cpu(void)
{
	if (irqchip)
		irqchip->init_cpu();
}

void irq_register(int irq, irq_handler_fn fn)
{
	if (irq >= 0 && irq < IRQ_MAX)
		handlers[irq] = fn; /* set before the interrupt is enabled */
}

void irq_enable_spi(int irq)
{
	if (irqchip && irq >= 32 && irq < IRQ_MAX)
		irqchip->enable_spi(irq);
}

void trap_irq(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	stw_heartbeat(tf->elr); /* where we were: for the stop-the-world watchdog */
	if (!irqchip)
		return;
	for (;;) {
		uint32_t raw = irqchip->ack();
		int irq = (int)(raw & 0x3ff);
		if (irq >= IRQ_MAX)
			break; /* spurious: nothing (more) pending */
		c->irqs++;
		if (irq < NR_SGIS) {
			/* End an IPI before handling it: a handler that waits (a core
			 * parked by a stop-the-world) must not keep the CPU interface
			 * at the IPI's priority, or the IPI that releases it could
			 * never be signalled to wake its wfi.  IPI handlers only count
			 * or look at flags, so a repeat arriving early is harmless. */
			irqchip->eoi(raw);
			ipi_handle(irq, tf);
			continue;
		}
		if (irq == TIMER_VIRT_PPI) {
			timer_tick_irq();
			sched_tick();
		} else if (handlers[irq])
			handlers[irq](irq, tf);
		else
			kprintf("irq: cpu%d: unexpected interrupt %d\n", c->id, irq);
		irqchip->eoi(raw);
	}
}
