/*
 * entry.S — where every core starts.
 *
 * The boot core arrives at _start (from QEMU's loader or the Pi firmware) with
 * the device tree address in x0, at EL3, EL2 or EL1, MMU off.  Secondary cores
 * arrive at secondary_entry (PSCI CPU_ON, context id = logical cpu id in x0)
 * or at spin_table_entry (spin-table release, x0 = 0).
 *
 * Each core then does the same few things, in this order:
 *   1. mask interrupts and drop to EL1 (el_drop_to_el1);
 *   2. take its stacks: SP_EL1 is the per-core exception stack, SP_EL0 the
 *      stack kernel code and tasks run on (kernel code runs with SPSel = 0, so
 *      an exception always lands on a known-good stack — even a stack overflow);
 *   3. enable FP/SIMD (newlib's printf uses it) and install the vectors;
 *   4. the boot core clears BSS and calls boot_main(); a secondary turns its
 *      MMU on with the tables the boot core built and calls secondary_main().
 */
#include "boot/boot.h"

#define CURRENTEL_SHIFT 2
/* MPIDR_EL1's affinity fields: Aff0 (bits 7:0), Aff2.Aff1.Aff0 (23:0),
 * Aff3 at bit 32. */
#define MPIDR_AFF0_MASK	  0xff
#define MPIDR_AFF210_MASK 0xffffff
#define MPIDR_AFF3_SHIFT  32

/* SCR_EL3: lower levels non-secure, AArch64, HVC enabled. */
#define SCR_EL3_NS   (1 << 0)
#define SCR_EL3_RES1 (3 << 4)
#define SCR_EL3_HCE  (1 << 8)
#define SCR_EL3_RW   (1 << 10)
/* CPTR_EL3 = 0: TFP (bit 10) clear, so FP/SIMD at EL2 and EL1 does not trap
 * to EL3; TTA (20) and TCPAC (31) clear too.  Its reset value is UNKNOWN on
 * real hardware (QEMU resets it to 0); without firmware below us it is ours
 * to set.  EZ (8) and ESM (12) stay 0: SVE and SME are not used. */
#define CPTR_EL3_NOTRAP 0
/* HCR_EL2.RW: EL1 runs AArch64.  Nothing is trapped to EL2. */
#define HCR_EL2_RW   (1 << 31)
/* CNTHCTL_EL2: EL1 may read the physical counter and use the physical timer. */
#define CNTHCTL_EL1PCTEN_EL1PCEN 3
/* CPTR_EL2 (HCR_EL2.E2H = 0 layout) with its RES1 bits (13:12, 9:0) and no
 * traps: TFP (bit 10) clear, so FP/SIMD at EL1 does not trap to EL2. */
#define CPTR_EL2_NOTRAP 0x33ff
/* ICC_SRE_ELx: system-register GIC interface on (SRE), FIQ and IRQ bypass
 * off (DFB, DIB), lower EL may use it (Enable, EL2 and EL3 only). */
#define ICC_SRE_SRE    (1 << 0)
#define ICC_SRE_DFB    (1 << 1)
#define ICC_SRE_DIB    (1 << 2)
#define ICC_SRE_ENABLE (1 << 3)
/* The daifset/daifclr immediate: D=8 A=4 I=2 F=1; this one masks all four. */
#define DAIFSET_ALL 0xf
/* SPSR for the eret: target mode with D, A, I, F masked. */
#define SPSR_EL1H_MASKED 0x3c5
#define SPSR_EL2H_MASKED 0x3c9
/* CPACR_EL1.FPEN (bits 21:20) = 0b11: FP/SIMD does not trap at EL1 or EL0.
 * ZEN (17:16) and SMEN (25:24) stay 0: SVE and SME trap (never used). */
#define CPACR_FPEN (3 << 20)

/* GIC system registers by encoding, so old assemblers need not know them. */
#define ICC_SRE_EL3 S3_6_C12_C12_5
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICH_HCR_EL2 S3_4_C12_C11_0

/* Every core's first step, whichever way it came in: x20 = the exception
 * level it arrived at (handed on to C), and every interrupt masked. */
.macro arrive
	mrs	x20, CurrentEL
	lsr	x20, x20, #CURRENTEL_SHIFT
	msr	daifset, #DAIFSET_ALL
.endm

	.section .text.boot, "ax"
	.globl _start
_start:
	/* A Linux arm64 Image header: QEMU (and U-Boot) then load the image at
	 * RAM base + text_offset and pass the device tree in x0.  The Pi firmware
	 * ignores it and just runs the branch. */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	TEXT_OFFSET		/* text_offset */
	.quad	_end - _start		/* image_size, BSS included */
	.quad	0x2			/* flags: little-endian, 4 KiB pages */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved (PE header offset) */

primary_entry:
	mov	x19, x0			/* device tree address (0 if none) */
	arrive
	/* Entered at EL3 there is no firmware beneath us, and every core starts
	 * here at once (QEMU with an ELF image).  The core with affinity 0 boots;
	 * the others wait in the holding pen until it releases them. */
	cmp	x20, #3
	b.ne	1f
	mrs	x9, mpidr_el1
	and	x10, x9, #MPIDR_AFF210_MASK
	ubfx	x9, x9, #MPIDR_AFF3_SHIFT, #8	/* Aff3 */
	orr	x9, x9, x10
	cbnz	x9, holding_pen
1:
	bl	el_drop_to_el1

	/* Clear BSS before anything lives there (stacks do). */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:
	mov	x0, #0
	bl	take_stacks
	bl	cpu_setup_el1
	mov	x0, x19
	mov	x1, x20
	bl	boot_main		/* never returns */
	b	park

/*
 * The holding pen: wait, MMU off, until the boot core writes a non-zero value
 * into this core's slot (indexed by Aff0), then start as a secondary.  The
 * slots live in .data, not BSS: they must read as zero before BSS is cleared.
 */
holding_pen:
	mrs	x19, mpidr_el1
	and	x19, x19, #MPIDR_AFF0_MASK
	cmp	x19, #MAX_CPUS
	b.hs	park
	adrp	x1, pen_release
	add	x1, x1, :lo12:pen_release
2:	wfe				/* the boot core's sev ends this */
	ldr	x2, [x1, x19, lsl #3]	/* MMU off: read straight from memory */
	cbz	x2, 2b
	mov	x0, x19
	b	secondary_entry

	.data
	.balign	64
	.globl	pen_release
pen_release:
	.fill	MAX_CPUS, 8, 0
	.text

/* Secondary core started by PSCI CPU_ON: x0 = logical cpu id. */
	.globl secondary_entry
secondary_entry:
	mov	x19, x0
	b	secondary_arrive

/* Secondary core released from a spin table: x0 = 0; the logical id is the
 * core's Aff0 (the spin-table boards number their cores 0-3 that way). */
	.globl spin_table_entry
spin_table_entry:
	mrs	x19, mpidr_el1
	and	x19, x19, #MPIDR_AFF0_MASK

/* Both ways in: x19 = the logical cpu id. */
secondary_arrive:
	arrive
	bl	el_drop_to_el1
	cmp	x19, #MAX_CPUS
	b.hs	park			/* an id we have no stack for: stay out of the way */
	mov	x0, x19
	bl	take_stacks
	bl	cpu_setup_el1
	adrp	x0, mmu_boot_regs
	add	x0, x0, :lo12:mmu_boot_regs
	bl	mmu_enable
	mov	x0, x19
	mov	x1, x20
	bl	secondary_main		/* never returns */
park:
	wfe
	b	park

/*
 * take_stacks(x0 = cpu id): SP_EL1 = top of the cpu's exception stack, then
 * switch to SP_EL0 = top of the cpu's boot stack.  Uses no stack itself.
 */
take_stacks:
	adrp	x1, exception_stacks
	add	x1, x1, :lo12:exception_stacks
	mov	x2, #EXCEPTION_STACK_SIZE
	madd	x1, x0, x2, x1
	add	x1, x1, x2
	mov	sp, x1			/* SPSel is 1 after the eret: this is SP_EL1 */
	msr	spsel, #0
	adrp	x1, boot_stacks
	add	x1, x1, :lo12:boot_stacks
	mov	x2, #BOOT_STACK_SIZE
	madd	x1, x0, x2, x1
	add	x1, x1, x2
	mov	sp, x1			/* now SP_EL0 */
	ret

/* FP/SIMD on, vectors installed.  Same on every core. */
cpu_setup_el1:
	mov	x1, #CPACR_FPEN
	msr	cpacr_el1, x1
	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	msr	tpidr_el1, xzr		/* no struct cpu yet: its reset value is UNKNOWN */
	isb				/* CPACR and VBAR take effect before any FP use or fault */
	ret

/*
 * el_drop_to_el1: from EL3 or EL2 configure the level above to run EL1 in
 * AArch64, non-secure, untrapped, then eret to EL1h.  Preserves x19-x30.
 */
el_drop_to_el1:
	mrs	x9, CurrentEL
	lsr	x9, x9, #CURRENTEL_SHIFT
	cmp	x9, #3
	b.eq	from_el3
	cmp	x9, #2
	b.eq	from_el2
	/* Already at EL1: put SCTLR_EL1 in a known state (MMU, caches off). */
	ldr	x9, =SCTLR_EL1_RES1
	msr	sctlr_el1, x9
	isb
	ret

from_el3:
	mrs	x10, id_aa64pfr0_el1
	ubfx	x11, x10, #24, #4	/* GIC system registers implemented? */
	cbz	x11, 1f
	mov	x11, #(ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB | ICC_SRE_ENABLE)
	msr	ICC_SRE_EL3, x11
	isb				/* SRE set before lower levels look at theirs */
1:	mov	x9, #CPTR_EL3_NOTRAP
	msr	cptr_el3, x9
	ubfx	x11, x10, #8, #4	/* EL2 implemented? */
	cbz	x11, el3_to_el1
	mov	x9, #(SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_HCE | SCR_EL3_RW)
	msr	scr_el3, x9
	mov	x9, #SPSR_EL2H_MASKED
	msr	spsr_el3, x9
	adr	x9, from_el2
	msr	elr_el3, x9
	eret
el3_to_el1:
	mov	x9, #(SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_RW)
	msr	scr_el3, x9
	ldr	x9, =SCTLR_EL1_RES1
	msr	sctlr_el1, x9
	mov	x9, #SPSR_EL1H_MASKED
	msr	spsr_el3, x9
	adr	x9, el1_landing
	msr	elr_el3, x9
	eret

from_el2:
	mov	x9, #HCR_EL2_RW
	msr	hcr_el2, x9
	mov	x9, #CNTHCTL_EL1PCTEN_EL1PCEN
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr	/* virtual counter == physical counter */
	mov	x9, #CPTR_EL2_NOTRAP
	msr	cptr_el2, x9
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x9, midr_el1
	msr	vpidr_el2, x9		/* EL1 reads the real MIDR and MPIDR */
	mrs	x9, mpidr_el1
	msr	vmpidr_el2, x9
	mrs	x10, id_aa64pfr0_el1
	ubfx	x11, x10, #24, #4
	cbz	x11, 1f
	mrs	x9, ICC_SRE_EL2
	mov	x10, #(ICC_SRE_SRE | ICC_SRE_ENABLE)
	orr	x9, x9, x10
	msr	ICC_SRE_EL2, x9		/* let EL1 use the GICv3 system registers */
	isb				/* SRE written before ICH_HCR */
	msr	ICH_HCR_EL2, xzr	/* no virtual interrupts */
1:	ldr	x9, =SCTLR_EL1_RES1
	msr	sctlr_el1, x9
	mov	x9, #SPSR_EL1H_MASKED
	msr	spsr_el2, x9
	adr	x9, el1_landing
	msr	elr_el2, x9
	eret
el1_landing:
	ret				/* x30 survived the eret: back to our caller */

/*
 * mmu_enable(x0 = &struct mmu_regs { mair, tcr, ttbr0 }): load the translation
 * registers and turn on the MMU and both caches.  The code runs from an
 * identity mapping, so the next instruction is fetched from the same address.
 */
	.globl mmu_enable
mmu_enable:
	ldp	x1, x2, [x0]
	ldr	x3, [x0, #16]
	msr	mair_el1, x1
	msr	tcr_el1, x2
	msr	ttbr0_el1, x3
	isb				/* translation registers in effect before the TLB flush */
	tlbi	vmalle1			/* drop anything firmware left in the TLB */
	ic	iallu			/* and stale instructions */
	dsb	nsh			/* wait for both invalidations to finish */
	isb
	mrs	x1, sctlr_el1
	ldr	x2, =SCTLR_EL1_MMU_ON
	orr	x1, x1, x2
	msr	sctlr_el1, x1
	isb				/* fetch the next instruction with the MMU on */
	ret
