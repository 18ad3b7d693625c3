/*
 * gic.c — the distributor steps that GICv2 and GICv3 share (see gic.h).
 */
#include "kernel/irq/gic.h"
#include "kernel/arch/arch.h"
#include "kernel/irq/irq.h"

unsigned gic_nr_irqs(uintptr_t gicd)
{
	unsigned n = ((mmio_read32(gicd + GICD_TYPER) & GICD_TYPER_ITLINES) + 1) * 32;
	return n > IRQ_MAX ? IRQ_MAX : n;
}

void gic_clear_spis(uintptr_t gicd, unsigned nr_irqs)
{
	/* One bit per interrupt: the register for interrupts i..i+31 is at i / 8. */
	for (unsigned i = GIC_FIRST_SPI; i < nr_irqs; i += 32) {
		mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffff);
	}
}

void gic_set_priorities(uintptr_t ipriorityr, unsigned first, unsigned end, uint8_t prio)
{
	/* One byte per interrupt, written four at a time. */
	for (unsigned i = first; i < end; i += 4)
		mmio_write32(ipriorityr + i, prio * 0x01010101u);
}

void gic_enable(uintptr_t gicd, int irq)
{
	mmio_write32(gicd + GICD_ISENABLER + (uintptr_t)(irq / 32) * 4, 1u << (irq % 32));
}
