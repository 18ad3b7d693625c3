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

/* The restartable sequences; restartable[0..nrestartable) are complete. */
static struct {
	uintptr_t start, end;
} restartable[IRQ_RESTARTABLE_MAX];
static int nrestartable;

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

int irq_add_restartable(uintptr_t start, uintptr_t end)
{
	int n = nrestartable; /* registered at boot, one core: no race */
	if (n == IRQ_RESTARTABLE_MAX || start >= end) {
		kprintf("irq: cannot add the restartable sequence [%#lx, %#lx): %s\n",
			(unsigned long)start, (unsigned long)end,
			start >= end ? "it is empty" : "the table is full");
		return -1;
	}
	restartable[n].start = start;
	restartable[n].end = end;
	/* release: the entry above is written before trap_irq, which loads the
	 * count with acquire, can see it counted */
	__atomic_store_n(&nrestartable, n + 1, __ATOMIC_RELEASE);
	return 0;
}

bool irq_restart_sequence(struct trap_frame *tf)
{
	/* acquire: pairs with irq_add_restartable's release: the entries below
	 * the count are complete */
	int n = __atomic_load_n(&nrestartable, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++)
		if (tf->elr >= restartable[i].start && tf->elr < restartable[i].end) {
			tf->elr = restartable[i].start;
			return true;
		}
	return false;
}

void irq_enable_spi(int irq)
{
	if (irqchip && irq >= GIC_FIRST_SPI && irq < IRQ_MAX)
		irqchip->enable_spi(irq);
}

void trap_irq(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	irq_restart_sequence(tf); /* first: the hook and the handlers see where we resume */
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
