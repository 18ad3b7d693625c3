/*
 * mmu.h — the kernel's one address space: an identity map of RAM (Normal,
 * write-back, inner-shareable) and of the MMIO window (Device-nGnRE), shared by
 * every core through TTBR0_EL1.
 */
#ifndef MMU_H
#define MMU_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

/* Build page tables for the RAM in bi (everything else below 4 GiB, and the GIC
 * regions bi names, becomes Device memory) and switch this core to them.  Called
 * twice on the boot core: with the board's early guess before the device tree is
 * read (MMU off: Device memory breaks newlib's string functions), and with the
 * real memory map after.  Secondary cores then load mmu_boot_regs. */
void mmu_init(const struct boot_info *bi);

/* Map [base, base+size) (2 MiB aligned RAM, not yet in use) with 4 KiB
 * pages, so single pages can be unmapped.  Returns 0, or -1 when the range
 * cannot be split (no table left, or not RAM).  Call before the range is used. */
int mmu_map_4k(uint64_t base, uint64_t size);
/* Unmap one 4 KiB page of a range mapped by mmu_map_4k, on every core. */
int mmu_unmap_page(uint64_t va);
int mmu_page_mapped(uint64_t va);

/* The low memory unmapped once boot is done with it (the Pi's spin table
 * and, with old firmware, its device tree live there), so that a NULL
 * dereference, or a small offset from one, faults. */
#define NULL_GUARD_SIZE (64ULL << 10)
/* Unmap [0, size) (4 KiB pages, at most 2 MiB) on every core, for good.
 * Returns 0, or -1 when that range is not mapped page by page. */
int mmu_unmap_low(uint64_t size);

/* Map RAM [pa, pa+size) a second time at va (2 MiB aligned, within one
 * unused gigabyte of the address space).  Once only.  Returns 0 or -1. */
int mmu_map_alias(uint64_t va, uint64_t pa, uint64_t size);

/* Is [addr, addr+len) mapped as Normal (RAM) memory? */
int mmu_is_ram(uint64_t addr, uint64_t len);

#endif
