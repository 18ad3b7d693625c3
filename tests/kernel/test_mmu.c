/*
 * test_mmu.c — the identity map: RAM is Normal write-back memory, the UART is
 * Device memory, the kernel and its device tree lie in RAM, and the RAM size
 * is what the device tree said.  Low memory is unmapped after boot.
 */
#include "boot/boot.h"
#include "boot/mmu.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/dtinfo.h"
#include "gc/gc.h"
#include "tests/kernel/ktest.h"

extern struct boot_info boot_info;

#define PAR_F	    1ULL
#define PAR_ATTR(p) ((p) >> 56)
#define PAR_ADDR(p) ((p)&0xfffffffff000ULL)

static uint64_t translate(uint64_t va)
{
	__asm__ volatile("at s1e1r, %0" ::"r"(va));
	isb(); /* PAR_EL1 holds the result after the ISB */
	return read_sysreg(par_el1);
}

KTEST(mmu, ram_is_normal_write_back)
{
	uint64_t va = (uint64_t)(uintptr_t)&boot_info;
	uint64_t par = translate(va);
	KASSERT_EQ(par & PAR_F, 0);
	KASSERT_EQ(PAR_ADDR(par), va & ~0xfffULL); /* identity */
	KASSERT_EQ(PAR_ATTR(par), 0xff); /* MAIR: Normal, WB, RW-allocate */
}

KTEST(mmu, uart_is_device_memory)
{
	uint64_t par = translate(console_uart());
	KASSERT_EQ(par & PAR_F, 0);
	KASSERT_EQ(PAR_ATTR(par), 0x04); /* Device-nGnRE */
}

KTEST(mmu, unmapped_space_does_not_translate)
{
	KASSERT_EQ(translate(0x7f00000000ULL) & PAR_F, 1);
}

KTEST(mmu, null_guard_is_unmapped_and_no_more)
{
	/* After boot [0, NULL_GUARD_SIZE) is unmapped: NULL, or a small offset
	 * from it, faults ... */
	KASSERT_EQ(translate(0) & PAR_F, 1);
	KASSERT_EQ(translate(0xd8) & PAR_F, 1); /* the Pi's spin table */
	KASSERT_EQ(translate(NULL_GUARD_SIZE - 8) & PAR_F, 1);
	/* ... but the page after it is still mapped (flash on virt, RAM on the Pi). */
	KASSERT_EQ(translate(NULL_GUARD_SIZE) & PAR_F, 0);
	KASSERT_EQ(PAR_ADDR(translate(NULL_GUARD_SIZE)), NULL_GUARD_SIZE);
}

KTEST(mmu, gc_heap_is_mapped_high_as_normal_memory)
{
	void *p = gc_alloc(64, 0);
	KASSERT(p != NULL);
	KASSERT_GE((uintptr_t)p, 0x5000000000ULL); /* the alias of gc_init */
	uint64_t par = translate((uint64_t)(uintptr_t)p);
	KASSERT_EQ(par & PAR_F, 0);
	KASSERT_EQ(PAR_ATTR(par), 0xff); /* Normal, write-back */
	KASSERT(mmu_is_ram(par & 0xfffffffff000ULL, 64)); /* backed by RAM */
}

KTEST(mmu, kernel_lies_in_ram)
{
	KASSERT_GT(dtinfo_ram_size(&boot_info), 0);
	KASSERT(mmu_is_ram((uint64_t)(uintptr_t)_start_image, (uint64_t)(_end - _start_image)));
}

KTEST(mmu, caches_and_mmu_are_on_here)
{
	uint64_t sctlr = read_sysreg(sctlr_el1);
	KASSERT_EQ(sctlr & SCTLR_EL1_MMU_ON, SCTLR_EL1_MMU_ON);
}
