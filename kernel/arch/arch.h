/*
 * arch.h — small named helpers for AArch64 system registers, barriers and
 * interrupt masking.  Everything that touches the CPU directly goes through
 * here, so the rest of the kernel reads like C, not like an instruction set.
 */
#ifndef ARCH_H
#define ARCH_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Two levels, so a register named by a macro (ICC_PMR_EL1 -> S3_0_C4_C6_0)
 * is expanded before it is turned into a string. */
#define __read_sysreg(r)                                                                           \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " #r : "=r"(__v));                                       \
		__v;                                                                               \
	})
#define __write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)))
#define read_sysreg(r)	     __read_sysreg(r)
#define write_sysreg(r, v)   __write_sysreg(r, v)

/* Barriers.  Each caller says in a comment what it orders against what. */
#define isb()	 __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")
#define sev()	 __asm__ volatile("sev" ::: "memory")
#define wfe()	 __asm__ volatile("wfe" ::: "memory")
#define wfi()	 __asm__ volatile("wfi" ::: "memory")
/* Spin-wait hint: lets QEMU schedule another vCPU and an SMT core its sibling. */
#define cpu_relax() __asm__ volatile("yield" ::: "memory")
/* Compiler-only barrier: stops GCC moving memory accesses across it. */
#define barrier() __asm__ volatile("" ::: "memory")

/* MPIDR_EL1: the affinity fields identify a core; bit 31 is RES1, bit 30 = U. */
#define MPIDR_AFF_MASK 0xff00ffffffULL

/* DAIF: the interrupt mask bits.  daifset/daifclr take D=8 A=4 I=2 F=1. */
#define DAIF_I (1u << 7)

static inline uint64_t irq_save(void)
{
	uint64_t flags = read_sysreg(daif);
	__asm__ volatile("msr daifset, #2" ::: "memory"); /* also a compiler barrier */
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	__asm__ volatile("msr daif, %0" ::"r"(flags) : "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline bool irqs_enabled(void)
{
	return (read_sysreg(daif) & DAIF_I) == 0;
}

/* The generic timer.  CNTVCT is read after an ISB so it is not taken early. */
static inline uint64_t timer_count(void)
{
	isb(); /* order the counter read after the instructions before it */
	return read_sysreg(cntvct_el0);
}

static inline uint64_t timer_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

/* Memory-mapped I/O.  Device-nGnRE mappings keep these in program order
 * with respect to each other; ordering against normal memory needs a barrier
 * at the call site. */
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
	*(volatile uint64_t *)addr = v;
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	return *(volatile uint64_t *)addr;
}

/* Data cache maintenance by address, to the point of coherency.  Needed when a
 * core with its MMU (and so its caches) off must see what we wrote. */
void dcache_clean_range(const void *start, size_t len);

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

#endif
