/*
 * irq.c — interrupt dispatch.  The vectors call trap_irq(), which runs the
 * entry hook, then takes every pending interrupt from the controller, runs its
 * handler, and signals the end of it.  Interrupts stay masked throughout:
 * handlers do not nest.
 *
 * The handlers and the hook are registered by the layers above (irq.h says
 * who and when).  Each is published with a release store and read with an
 * acquire load, so whatever its owner set up before registering is visible
 * to the core that calls it, even a core that was already running.
 */
#include "kernel/irq/irq.h"
#include "kernel/irq/gic.h"
#include "kernel/irq/ipi.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/trap.h"

const struct irqchip *irqchip;
static irq_handler_fn handlers[IRQ_MAX];
static irq_entry_hook_fn entry_hook;

int irq_init(const struct irqchip *chip, const struct boot_info *bi)
{
	irqchip = chip;
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
	if (irq < NR_SGIS || irq >= IRQ_MAX) {
		kprintf("irq: cannot register a handler for interrupt %d: PPIs and SPIs are "
			"%d to %d (an SGI's handler is set with ipi_register)\n",
			irq, NR_SGIS, IRQ_MAX - 1);
		return;
	}
	/* release: what the handler uses is set up before trap_irq can see it
	 * (pairs with the acquire load there) */
	__atomic_store_n(&handlers[irq], fn, __ATOMIC_RELEASE);
}

void irq_set_entry_hook(irq_entry_hook_fn fn)
{
	/* release: the hook's state is set up before trap_irq can call it
	 * (pairs with the acquire load there) */
	__atomic_store_n(&entry_hook, fn, __ATOMIC_RELEASE);
}

void irq_enable_spi(int irq)
{
	if (irqchip && irq >= GIC_FIRST_SPI && irq < IRQ_MAX)
		irqchip->enable_spi(irq);
}

void trap_irq(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	/* acquire: pairs with irq_set_entry_hook's release */
	irq_entry_hook_fn hook = __atomic_load_n(&entry_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook(tf->elr); /* first: where we were (the stop's heartbeat) */
	if (!irqchip)
		return;
	for (;;) {
		uint32_t raw = irqchip->ack();
		int irq = (int)(raw & GIC_IAR_INTID);
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
		/* acquire: pairs with irq_register's release */
		irq_handler_fn fn = __atomic_load_n(&handlers[irq], __ATOMIC_ACQUIRE);
		if (fn)
			fn(irq, tf);
		else
			kprintf("irq: cpu%d: unexpected interrupt %d\n", c->id, irq);
		irqchip->eoi(raw);
	}
}
