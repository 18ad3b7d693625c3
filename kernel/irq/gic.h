/*
 * gic.h — the Arm Generic Interrupt Controller's registers and bits, by name,
 * and the few steps the GICv2 and GICv3 drivers share (gic.c).
 *
 * A GIC has a distributor (memory-mapped, shared by all cores: enables,
 * priorities and routing of every interrupt) and one CPU interface per core
 * (acknowledge, end of interrupt, priority mask).  GICv2 maps the CPU
 * interface as memory (GICC_*) and sends SGIs through GICD_SGIR; GICv3 adds a
 * redistributor per core (GICR_*: its SGIs and PPIs) and reaches the CPU
 * interface through system registers (ICC_*).  The distributor layout below
 * 0x6000 is common to both.
 *
 * References: Arm IHI 0048B (GICv2), Arm IHI 0069 (GICv3).
 */
#ifndef GIC_H
#define GIC_H

#include <stdint.h>
#include "kernel/arch/timer.h"

/* Distributor (GICD_*), offsets from its base. */
#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IGROUPR	0x0080 /* 1 bit per interrupt: group */
#define GICD_ISENABLER	0x0100 /* 1 bit per interrupt: write 1 to enable */
#define GICD_ICENABLER	0x0180 /* 1 bit per interrupt: write 1 to disable */
#define GICD_ICPENDR	0x0280 /* 1 bit per interrupt: write 1 to clear pending */
#define GICD_IPRIORITYR 0x0400 /* 1 byte per interrupt: priority, 0 highest */
#define GICD_ITARGETSR	0x0800 /* GICv2, 1 byte per interrupt: CPU-interface bits */
#define GICD_ICFGR	0x0c00 /* 2 bits per interrupt: level or edge */
#define GICD_SGIR	0x0f00 /* GICv2: write to raise an SGI */
#define GICD_IROUTER	0x6000 /* GICv3, 8 bytes per SPI: the target's affinity */

/* GICD_CTLR.  GICv2: bit 0 forwards group 0, bit 1 group 1.  GICv3: the same
 * two, plus affinity routing (ARE); in the non-secure view of a GIC with
 * security extensions bit 0 is Group 1 and bit 4 ARE_NS, so the same three
 * bits work with and without them (DS=1 on QEMU's non-secure GIC). */
#define GICD_CTLR_ENABLE_GRP0 (1u << 0)
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE	      (1u << 4) /* GICv3: affinity routing */
#define GICD_CTLR_RWP	      (1u << 31) /* GICv3: a register write is still in progress */

/* GICD_TYPER.ITLinesNumber: the distributor has 32 * (N + 1) interrupt lines. */
#define GICD_TYPER_ITLINES 0x1fu

/* GICD_SGIR (GICv2). */
#define GICD_SGIR_TARGET_LIST	(0u << 24) /* TargetListFilter: the cores in the list */
#define GICD_SGIR_TARGET_OTHERS (1u << 24) /* TargetListFilter: every core but this one */
#define GICD_SGIR_TARGETS_SHIFT 16 /* CPUTargetList: 8 bits, one per CPU interface */
#define GICD_SGIR_INTID		0xfu /* SGIINTID: which SGI */

/* GICv2 names at most 8 CPU interfaces: one bit each in a GICD_ITARGETSR byte
 * and in GICD_SGIR's target list. */
#define GICV2_MAX_CPU_IFACES 8
#define GIC_TARGETS_MASK     0xffu

/* CPU interface (GICC_*, GICv2), offsets from its base. */
#define GICC_CTLR	 0x000
#define GICC_PMR	 0x004 /* priority mask: only interrupts above it are signalled */
#define GICC_BPR	 0x008 /* binary point: 0, so priorities do not group */
#define GICC_IAR	 0x00c /* read: acknowledge */
#define GICC_EOIR	 0x010 /* write the IAR's value: end of interrupt */
#define GICC_CTLR_ENABLE (1u << 0) /* signal interrupts (of the group this view owns) */

/* The interrupt ID in an acknowledge value (GICC_IAR, ICC_IAR1_EL1): bits 0-9.
 * GICv2 puts the sending core's number in bits 10-12 for an SGI; the EOI
 * write must give it back, so drivers keep the raw value. */
#define GIC_IAR_INTID	    0x3ffu
#define GIC_IAR_CPUID_SHIFT 10

/* Redistributor (GICR_*, GICv3), offsets from one core's frame. */
#define GICR_TYPER		   0x0008
#define GICR_WAKER		   0x0014
#define GICR_TYPER_VLPIS	   (1ULL << 1) /* this frame has the virtual-LPI pages */
#define GICR_TYPER_LAST		   (1ULL << 4) /* the last frame in this region */
#define GICR_TYPER_AFF_SHIFT	   32 /* Aff3.Aff2.Aff1.Aff0 of the frame's core */
#define GICR_WAKER_PROC_SLEEP	   (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
/* Each core's frames: control (64 KiB), SGI/PPI (64 KiB), and with VLPIS two
 * more for virtual LPIs; so the next core's frame is this far on. */
#define GICR_STRIDE	  0x20000
#define GICR_STRIDE_VLPIS 0x40000
#define GICR_SGI_BASE	  0x10000 /* the SGI/PPI frame follows the control frame */
#define GICR_IGROUPR0	  (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0	  (GICR_SGI_BASE + 0x0100)
#define GICR_IPRIORITYR	  (GICR_SGI_BASE + 0x0400)

/* CPU interface system registers (ICC_*, GICv3), by encoding, so an old
 * assembler need not know their names. */
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5

#define ICC_SRE_SRE			 (1u << 0) /* use the system registers, not memory */
#define ICC_IGRPEN1_ENABLE		 (1u << 0) /* signal group 1 interrupts */
#define ICC_CTLR_EOIMODE_DROP_DEACTIVATE 0 /* EOI both drops priority and deactivates */

/* ICC_SGI1R_EL1: one write raises an SGI on up to 16 cores that share
 * Aff3.Aff2.Aff1 and the range of Aff0 (RS: which 16). */
#define SGI1R_TARGETS_MASK 0xfULL /* Aff0 bits that index the 16-bit target list */
#define SGI1R_AFF1_SHIFT   16
#define SGI1R_INTID_SHIFT  24
#define SGI1R_AFF2_SHIFT   32
#define SGI1R_IRM	   (1ULL << 40) /* route to every core but this one */
#define SGI1R_RS_SHIFT	   44
#define SGI1R_AFF3_SHIFT   48

/* Interrupt numbers: 0-15 SGIs, 16-31 PPIs (per core), 32 and up SPIs. */
#define GIC_FIRST_SPI 32
#define GIC_SGI_MASK  0xffffu /* the SGIs' bits in ISENABLER0 */
/* What each core enables for itself: its SGIs (our IPIs) and its timer. */
#define GIC_PRIVATE_ENABLED (GIC_SGI_MASK | 1u << TIMER_VIRT_PPI)

/* Priorities: every interrupt at one level, and a mask that lets it through. */
#define GIC_PRIO_DEFAULT  0xa0
#define GIC_PMR_ALLOW_ALL 0xf0

/* How many interrupt lines the distributor has (GICD_TYPER), at most IRQ_MAX. */
unsigned gic_nr_irqs(uintptr_t gicd);
/* Disable every SPI below nr_irqs and clear its pending state. */
void gic_clear_spis(uintptr_t gicd, unsigned nr_irqs);
/* Give interrupts [first, end) priority prio; ipriorityr is the address of
 * the first GICD_IPRIORITYR (or GICR_IPRIORITYR).  first and end: multiples of 4. */
void gic_set_priorities(uintptr_t ipriorityr, unsigned first, unsigned end, uint8_t prio);
/* Enable one interrupt in the distributor (GICD_ISENABLER). */
void gic_enable(uintptr_t gicd, int irq);

#endif
