/*
 * gicv3.c — the GICv3 driver (QEMU virt with gic-version=3).
 *
 * The distributor handles shared interrupts; each core has its own
 * redistributor (found by matching GICR_TYPER's affinity with MPIDR) for its
 * SGIs and PPIs, and talks to its CPU interface through ICC_* system
 * registers.  SGIs are sent by writing ICC_SGI1R_EL1, which names targets by
 * affinity: one write per group of 16 cores that share Aff3.Aff2.Aff1.
 *
 * All our interrupts are non-secure group 1.
 */
#include "kernel/irq/irq.h"
#include "kernel/irq/gic.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"

static uintptr_t gicd;
static const struct boot_info *info;
static uintptr_t rdist[MAX_CPUS];
static unsigned nr_irqs;

static void wait_rwp(void)
{
	for (int i = 0; i < 1000000 && (mmio_read32(gicd + GICD_CTLR) & GICD_CTLR_RWP); i++)
		cpu_relax();
}

static int gicv3_init(const struct boot_info *bi)
{
	info = bi;
	gicd = bi->gicd;
	nr_irqs = gic_nr_irqs(gicd);

	mmio_write32(gicd + GICD_CTLR, 0);
	wait_rwp();
	gic_clear_spis(gicd, nr_irqs);
	for (unsigned i = GIC_FIRST_SPI; i < nr_irqs; i += 32)
		mmio_write32(gicd + GICD_IGROUPR + i / 8, 0xffffffff); /* group 1 */
	gic_set_priorities(gicd + GICD_IPRIORITYR, GIC_FIRST_SPI, nr_irqs, GIC_PRIO_DEFAULT);
	mmio_write32(gicd + GICD_CTLR,
		     GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1 | GICD_CTLR_ARE);
	wait_rwp();
	return 0;
}

static uint64_t mpidr_to_aff(uint64_t mpidr)
{
	/* GICR_TYPER packs Aff3.Aff2.Aff1.Aff0 into 32 bits. */
	return ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
}

static uintptr_t find_redistributor(uint64_t mpidr)
{
	uint64_t want = mpidr_to_aff(mpidr);
	for (int r = 0; r < info->ngicr; r++) {
		uintptr_t p = info->gicr[r].base, end = p + info->gicr[r].size;
		while (p < end) {
			uint64_t typer = mmio_read64(p + GICR_TYPER);
			if ((typer >> GICR_TYPER_AFF_SHIFT) == want)
				return p;
			if (typer & GICR_TYPER_LAST)
				break;
			uint64_t stride = info->gicr_stride;
			if (!stride)
				stride =
				    (typer & GICR_TYPER_VLPIS) ? GICR_STRIDE_VLPIS : GICR_STRIDE;
			p += stride;
		}
	}
	return 0;
}

static void gicv3_init_cpu(void)
{
	struct cpu *c = this_cpu();
	uintptr_t rd = find_redistributor(c->mpidr);
	if (!rd) {
		kprintf("gicv3: cpu%d: no redistributor for MPIDR %#llx: no interrupts here\n",
			c->id, (unsigned long long)c->mpidr);
		return;
	}
	rdist[c->id] = rd;

	/* Wake the redistributor and wait until it says it is awake. */
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROC_SLEEP);
	for (int i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP);
	     i++)
		cpu_relax();

	mmio_write32(rd + GICR_IGROUPR0, 0xffffffff); /* SGIs and PPIs: group 1 */
	gic_set_priorities(rd + GICR_IPRIORITYR, 0, GIC_FIRST_SPI, GIC_PRIO_DEFAULT);
	mmio_write32(rd + GICR_ISENABLER0, GIC_PRIVATE_ENABLED);

	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | ICC_SRE_SRE);
	isb(); /* system-register interface on before we use it */
	write_sysreg(ICC_PMR_EL1, GIC_PMR_ALLOW_ALL);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, ICC_CTLR_EOIMODE_DROP_DEACTIVATE);
	write_sysreg(ICC_IGRPEN1_EL1, ICC_IGRPEN1_ENABLE);
	isb(); /* group 1 enabled before interrupts are unmasked */
}

static uint64_t sgi1r_affinity(uint64_t mpidr)
{
	return ((mpidr >> 8) & 0xff) << SGI1R_AFF1_SHIFT | /* Aff1 */
	       ((mpidr >> 16) & 0xff) << SGI1R_AFF2_SHIFT | /* Aff2 */
	       ((mpidr >> 32) & 0xff) << SGI1R_AFF3_SHIFT | /* Aff3 */
	       ((mpidr & 0xff) >> 4) << SGI1R_RS_SHIFT; /* RS: which 16 of Aff0 */
}

static void gicv3_send_sgi(uint64_t mask, int sgi)
{
	dsb(ishst); /* our earlier stores are visible before the SGI is raised (a
		       system-register write is not ordered by DMB) */
	uint64_t done = 0;
	for (int i = 0; i < ncpus; i++) {
		if (!(mask & (1ULL << i)) || (done & (1ULL << i)))
			continue;
		/* Gather every target that shares i's Aff3.Aff2.Aff1 and range. */
		uint64_t aff = sgi1r_affinity(cpus[i].mpidr);
		uint64_t list = 0;
		for (int j = i; j < ncpus; j++) {
			if ((mask & (1ULL << j)) && sgi1r_affinity(cpus[j].mpidr) == aff) {
				list |= 1ULL << (cpus[j].mpidr & SGI1R_TARGETS_MASK);
				done |= 1ULL << j;
			}
		}
		write_sysreg(ICC_SGI1R_EL1, aff | list | (uint64_t)sgi << SGI1R_INTID_SHIFT);
	}
	isb(); /* the SGI writes are issued before we go on */
}

static void gicv3_send_sgi_others(int sgi)
{
	dsb(ishst); /* as in gicv3_send_sgi */
	write_sysreg(ICC_SGI1R_EL1, SGI1R_IRM | (uint64_t)sgi << SGI1R_INTID_SHIFT);
	isb(); /* the SGI write is issued before we go on */
}

static uint32_t gicv3_ack(void)
{
	uint32_t raw = (uint32_t)read_sysreg(ICC_IAR1_EL1);
	dsb(sy); /* the acknowledge completes before the handler touches the device */
	return raw;
}

static void gicv3_eoi(uint32_t raw)
{
	write_sysreg(ICC_EOIR1_EL1, raw);
	isb(); /* the end of interrupt is seen before we might take the next one */
}

static void gicv3_enable_spi(int irq)
{
	if ((unsigned)irq >= nr_irqs)
		return;
	mmio_write64(gicd + GICD_IROUTER + 8 * (uintptr_t)irq,
		     cpus[boot_cpu_id].mpidr & MPIDR_AFF_MASK);
	gic_enable(gicd, irq);
}

const struct irqchip gicv3_chip = {
    .name = "GICv3",
    .init = gicv3_init,
    .init_cpu = gicv3_init_cpu,
    .send_sgi = gicv3_send_sgi,
    .send_sgi_others = gicv3_send_sgi_others,
    .ack = gicv3_ack,
    .eoi = gicv3_eoi,
    .enable_spi = gicv3_enable_spi,
};
