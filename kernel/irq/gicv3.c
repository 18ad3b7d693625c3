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
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ICPENDR	0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER	0x6000
#define GICD_CTLR_RWP	(1u << 31)
/* Enable groups 0/1 and affinity routing; the same bits work with and without
 * the GIC's security extensions (DS=1 on QEMU's non-secure GIC). */
#define GICD_CTLR_ENABLE ((1u << 4) | (1u << 1) | (1u << 0))

#define GICR_TYPER	      0x0008
#define GICR_WAKER	      0x0014
#define GICR_TYPER_LAST	      (1ULL << 4)
#define GICR_TYPER_VLPIS      (1ULL << 1)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_SGI_BASE	      0x10000 /* the SGI/PPI frame follows the control frame */
#define GICR_IGROUPR0	      (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0	      (GICR_SGI_BASE + 0x0100)
#define GICR_IPRIORITYR	      (GICR_SGI_BASE + 0x0400)

#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5

#define SGI1R_IRM (1ULL << 40) /* route to all but self */

#define DEFAULT_PRIORITY 0xa0
#define PMR_ALLOW_ALL	 0xf0

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
	nr_irqs = ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
	if (nr_irqs > IRQ_MAX)
		nr_irqs = IRQ_MAX;

	mmio_write32(gicd + GICD_CTLR, 0);
	wait_rwp();
	for (unsigned i = 32; i < nr_irqs; i += 32) {
		mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffff);
		mmio_write32(gicd + GICD_IGROUPR + i / 8, 0xffffffff); /* group 1 */
	}
	for (unsigned i = 32; i < nr_irqs; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
	mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ENABLE);
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
			if ((typer >> 32) == want)
				return p;
			if (typer & GICR_TYPER_LAST)
				break;
			uint64_t stride = info->gicr_stride;
			if (!stride)
				stride = (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
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
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~WAKER_PROCESSOR_SLEEP);
	for (int i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & WAKER_CHILDREN_ASLEEP); i++)
		cpu_relax();

	mmio_write32(rd + GICR_IGROUPR0, 0xffffffff);
	for (int i = 0; i < 32; i += 4)
		mmio_write32(rd + GICR_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
	mmio_write32(rd + GICR_ISENABLER0, 0xffffu | (1u << TIMER_VIRT_PPI));

	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | 1);
	isb(); /* system-register interface on before we use it */
	write_sysreg(ICC_PMR_EL1, PMR_ALLOW_ALL);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, 0); /* EOI both drops priority and deactivates */
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb(); /* group 1 enabled before interrupts are unmasked */
}

static uint64_t sgi1r_affinity(uint64_t mpidr)
{
	return ((mpidr >> 8) & 0xff) << 16 | /* Aff1 */
	       ((mpidr >> 16) & 0xff) << 32 | /* Aff2 */
	       ((mpidr >> 32) & 0xff) << 48 | /* Aff3 */
	       ((mpidr & 0xff) >> 4) << 44; /* RS: which 16 of Aff0 */
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
				list |= 1ULL << (cpus[j].mpidr & 0xf);
				done |= 1ULL << j;
			}
		}
		write_sysreg(ICC_SGI1R_EL1, aff | list | (uint64_t)sgi << 24);
	}
	isb(); /* the SGI writes are issued before we go on */
}

static void gicv3_send_sgi_others(int sgi)
{
	dsb(ishst); /* as in gicv3_send_sgi */
	write_sysreg(ICC_SGI1R_EL1, SGI1R_IRM | (uint64_t)sgi << 24);
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
	mmio_write32(gicd + GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
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
