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
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"

#define GICD_CTLR	0x000
#define GICD_TYPER	0x004
#define GICD_ISENABLER	0x100
#define GICD_ICENABLER	0x180
#define GICD_ICPENDR	0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR	0x800
#define GICD_SGIR	0xf00

#define GICC_CTLR 0x000
#define GICC_PMR  0x004
#define GICC_BPR  0x008
#define GICC_IAR  0x00c
#define GICC_EOIR 0x010

#define SGIR_TARGET_LIST   (0u << 24)
#define SGIR_TARGET_OTHERS (1u << 24)
#define DEFAULT_PRIORITY   0xa0
#define PMR_ALLOW_ALL	   0xf0

static uintptr_t gicd, gicc;
static uint8_t cpu_iface_mask[MAX_CPUS]; /* GIC target bit of each logical cpu */
static unsigned nr_irqs;

static void set_priority(int irq, uint8_t prio)
{
	uintptr_t reg = gicd + GICD_IPRIORITYR + (irq & ~3);
	uint32_t v = mmio_read32(reg);
	int shift = (irq & 3) * 8;
	v = (v & ~(0xffu << shift)) | ((uint32_t)prio << shift);
	mmio_write32(reg, v);
}

static int gicv2_init(const struct boot_info *bi)
{
	gicd = bi->gicd;
	gicc = bi->gicc;
	nr_irqs = ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
	if (nr_irqs > IRQ_MAX)
		nr_irqs = IRQ_MAX;

	mmio_write32(gicd + GICD_CTLR, 0);
	/* Shared interrupts: all off and pending state cleared until a driver asks. */
	for (unsigned i = 32; i < nr_irqs; i += 32) {
		mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffff);
	}
	for (unsigned i = 32; i < nr_irqs; i++)
		set_priority((int)i, DEFAULT_PRIORITY);
	mmio_write32(gicd + GICD_CTLR, 3); /* forward group 0 and group 1 */
	return 0;
}

static void gicv2_init_cpu(void)
{
	/* Banked: the byte for SGI 0 reads as this core's own target bit.  A
	 * uniprocessor GIC (QEMU -smp 1) has its GICD_ITARGETSRs RAZ/WI, so it
	 * reads 0: its one CPU interface is bit 0, and an SGI to that core
	 * itself would otherwise be sent to nobody. */
	uint8_t mask = (uint8_t)(mmio_read32(gicd + GICD_ITARGETSR) & 0xff);
	if (!mask)
		mask = 1;
	cpu_iface_mask[cpu_id()] = mask; /* read by senders after this core is ONLINE */

	for (int i = 0; i < 32; i++)
		set_priority(i, DEFAULT_PRIORITY);
	/* SGIs 0-15 and the timer PPI. */
	mmio_write32(gicd + GICD_ISENABLER, 0xffffu | (1u << TIMER_VIRT_PPI));
	mmio_write32(gicc + GICC_PMR, PMR_ALLOW_ALL);
	mmio_write32(gicc + GICC_BPR, 0);
	mmio_write32(gicc + GICC_CTLR, 1);
}

static void gicv2_send_sgi(uint64_t mask, int sgi)
{
	uint32_t targets = 0;
	for (int i = 0; i < ncpus && i < 8; i++)
		if (mask & (1ULL << i))
			targets |= cpu_iface_mask[i];
	if (!targets)
		return;
	dsb(ishst); /* our earlier stores are visible before the target takes the SGI */
	mmio_write32(gicd + GICD_SGIR, SGIR_TARGET_LIST | targets << 16 | (uint32_t)sgi);
}

static void gicv2_send_sgi_others(int sgi)
{
	dsb(ishst); /* as in gicv2_send_sgi */
	mmio_write32(gicd + GICD_SGIR, SGIR_TARGET_OTHERS | (uint32_t)sgi);
}

static uint32_t gicv2_ack(void)
{
	return mmio_read32(gicc + GICC_IAR); /* bits 10-12: the sending core, for SGIs */
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
	v = (v & ~(0xffu << shift)) | ((uint32_t)cpu_iface_mask[boot_cpu_id] << shift);
	mmio_write32(reg, v);
	mmio_write32(gicd + GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
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
