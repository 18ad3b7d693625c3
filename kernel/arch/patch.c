/*
 * patch.c — instructions written at run time (patch.h).
 *
 * The instruction side of an Arm core does not snoop its data side: a word
 * of code written with a store sits in the data cache until it is cleaned to
 * the point of unification (where fetches look), and a stale copy may sit in
 * any core's instruction cache until it is invalidated.  Hence the sequence
 * DC CVAU, DSB ISH, IC IVAU, DSB ISH, ISB (Arm ARM "Concurrent modification
 * and execution of instructions", and Linux's caches_clean_inval_pou).
 * QEMU does not need it (it sees the store and drops its translations), so
 * nothing under QEMU can tell whether it is right: on a board it is what
 * makes the new word run.
 */
#include "kernel/arch/patch.h"
#include "kernel/arch/arch.h"

void icache_sync(void *start, size_t len)
{
	uint64_t ctr = read_sysreg(ctr_el0);
	uint64_t dline = 4ULL << ((ctr >> 16) & 0xf); /* CTR_EL0.DminLine, in words */
	uint64_t iline = 4ULL << (ctr & 0xf); /* CTR_EL0.IminLine */
	uintptr_t a = (uintptr_t)start, end = a + len;
	for (uintptr_t p = ALIGN_DOWN(a, dline); p < end; p += dline)
		/* clean the data cache line to the point of unification, where
		 * instruction fetches look */
		__asm__ volatile("dc cvau, %0" ::"r"(p) : "memory");
	dsb(ish); /* the cleans complete (for every core) before the invalidations */
	for (uintptr_t p = ALIGN_DOWN(a, iline); p < end; p += iline)
		/* invalidate the instruction cache line to the point of
		 * unification, on every core of the inner-shareable domain */
		__asm__ volatile("ic ivau, %0" ::"r"(p) : "memory");
	dsb(ish); /* the invalidations have completed on every core */
	isb(); /* and this core fetches anew */
}

uint32_t insn_branch(uintptr_t from, uintptr_t to)
{
	int64_t off = (int64_t)(to - from) >> 2; /* in words */
	return 0x14000000u | ((uint32_t)off & 0x03ffffffu); /* B imm26 */
}

void patch_insn(uint32_t *site, uint32_t insn)
{
	/* relaxed: a single-copy-atomic 32-bit store, so a core fetching the
	 * word sees the old instruction or the new one, never a mix; the
	 * cache maintenance below is what orders it for instruction fetch */
	__atomic_store_n(site, insn, __ATOMIC_RELAXED);
	icache_sync(site, sizeof *site);
}
