/*
 * gicv2.c — the GICv2 / GIC-400 driver (QEMU virt default, Raspberry Pi 4).
 *
 * Memory-mapped distributor (shared) and CPU interface (banked per core).
 * SGIs are sent through GICD_SGIR with an 8-bit CPU target list; a core's bit
 * in that list is not necessarily its logical id, so each core reads its own
 * from the banked GICD_ITARGETSR0 at start-up.
 *
 * Interrupt groups are left as firmware (or reset) set them: on a GIC without
 * security extensions everything is group 0, which GICC_CTLR bit 0 enables; on
 * a Pi 4 the firmware moved everything to group 1, which is what bit 0 means in
 * the non-secure view.  Writing GICD_IGROUPR here would break one of the two.
 */
#include "kernel/irq/irq.h"
#include "kernel/irq/gic.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"

static uintptr_t gicd, gicc;
static uint8_t cpu_iface_mask[MAX_CPUS]; /* GIC target bit of each logical cpu */
static unsigned nr_irqs;

static int gicv2_init(const struct boot_info *bi)
{
	gicd = bi->gicd;
	gicc = bi->gicc;
	nr_irqs = gic_nr_irqs(gicd);

	mmio_write32(gicd + GICD_CTLR, 0);
	/* Shared interrupts: all off and pending state cleared until a driver asks. */
	gic_clear_spis(gicd, nr_irqs);
	gic_set_priorities(gicd + GICD_IPRIORITYR, GIC_FIRST_SPI, nr_irqs, GIC_PRIO_DEFAULT);
	mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1);
	return 0;
}

static void gicv2_init_cpu(void)
{
	/* Banked: the byte for SGI 0 reads as this core's own target bit.  A
	 * uniprocessor GIC (QEMU -smp 1) has its GICD_ITARGETSRs RAZ/WI, so it
	 * reads 0: its one CPU interface is bit 0, and an SGI to that core
	 * itself would otherwise be sent to nobody. */
	uint8_t mask = (uint8_t)(mmio_read32(gicd + GICD_ITARGETSR) & GIC_TARGETS_MASK);
	if (!mask)
		mask = 1;
	cpu_iface_mask[cpu_id()] = mask; /* read by senders after this core is ONLINE */

	/* The SGIs' and PPIs' registers are banked per core. */
	gic_set_priorities(gicd + GICD_IPRIORITYR, 0, GIC_FIRST_SPI, GIC_PRIO_DEFAULT);
	mmio_write32(gicd + GICD_ISENABLER, GIC_PRIVATE_ENABLED);
	mmio_write32(gicc + GICC_PMR, GIC_PMR_ALLOW_ALL);
	mmio_write32(gicc + GICC_BPR, 0);
	mmio_write32(gicc + GICC_CTLR, GICC_CTLR_ENABLE);
}

static void gicv2_send_sgi(uint64_t mask, int sgi)
{
	uint32_t targets = 0;
	for (int i = 0; i < ncpus && i < GICV2_MAX_CPU_IFACES; i++)
		if (mask & (1ULL << i))
			targets |= cpu_iface_mask[i];
	if (!targets)
		return;
	dsb(ishst); /* our earlier stores are visible before the target takes the SGI */
	mmio_write32(gicd + GICD_SGIR, GICD_SGIR_TARGET_LIST | targets << GICD_SGIR_TARGETS_SHIFT |
					   ((uint32_t)sgi & GICD_SGIR_INTID));
}

static void gicv2_send_sgi_others(int sgi)
{
	dsb(ishst); /* as in gicv2_send_sgi */
	mmio_write32(gicd + GICD_SGIR, GICD_SGIR_TARGET_OTHERS | ((uint32_t)sgi & GICD_SGIR_INTID));
}

static uint32_t gicv2_ack(void)
{
	return mmio_read32(gicc + GICC_IAR); /* GIC_IAR_CPUID_SHIFT: the sender, for SGIs */
}

static void gicv2_eoi(uint32_t raw)
{
	mmio_write32(gicc + GICC_EOIR, raw);
}

static void gicv2_enable_spi(int irq)
{
	if ((unsigned)irq >= nr_irqs)
		return;
	uintptr_t reg = gicd + GICD_ITARGETSR + (irq & ~3);
	int shift = (irq & 3) * 8;
	uint32_t v = mmio_read32(reg);
	v = (v & ~(GIC_TARGETS_MASK << shift)) | ((uint32_t)cpu_iface_mask[boot_cpu_id] << shift);
	mmio_write32(reg, v);
	gic_enable(gicd, irq);
}

const struct irqchip gicv2_chip = {
    .name = "GICv2",
    .init = gicv2_init,
    .init_cpu = gicv2_init_cpu,
    .send_sgi = gicv2_send_sgi,
    .send_sgi_others = gicv2_send_sgi_others,
    .ack = gicv2_ack,
    .eoi = gicv2_eoi,
    .enable_spi = gicv2_enable_spi,
};
