/*
 * mmu.c — page tables for the identity map.
 *
 * 4 KiB granule, 39-bit addresses (T0SZ = 25): translation starts at level 1,
 * whose 512 entries cover 1 GiB each.  A gigabyte that is all RAM or all MMIO
 * is one level-1 block; a gigabyte that is partly RAM gets a level-2 table of
 * 2 MiB blocks.  Level 3 (4 KiB pages) is used for task stacks (guard pages,
 * mmu_map_4k) and for the first 2 MiB of the address space, so that page 0
 * alone can be unmapped once boot is done with it (mmu_unmap_low): a NULL
 * dereference then faults instead of reading flash (virt) or RAM (the Pi).
 *
 * The first call runs with the MMU off: the code must not call newlib (its
 * memset uses DC ZVA and its memcpy unaligned accesses, both of which fault on
 * Device memory, and with the MMU off all data accesses are Device accesses).
 */
#include "boot/mmu.h"
#include "boot/boot.h"
#include "kernel/arch/arch.h"

#define ENTRIES	     512
#define L1_SHIFT     30
#define L2_SHIFT     21
#define VA_BITS	     39
#define MMIO_LIMIT   (4ULL << 30) /* map the low 4 GiB's non-RAM as Device */
#define L2_TABLES    16
#define L3_TABLES    64 /* 128 MiB of memory mapped with 4 KiB pages */
#define L3_SHIFT     12
#define PAGE_SIZE_4K (1ULL << L3_SHIFT)
#define OA_MASK	     0xfffffffff000ULL /* a descriptor's output (or next-table) address */

/* Descriptor bits (Arm ARM D8.3). */
#define DESC_BLOCK  0x1ULL
#define DESC_TABLE  0x3ULL
#define ATTR_IDX(i) ((uint64_t)(i) << 2)
#define SH_INNER    (3ULL << 8)
#define AF	    (1ULL << 10) /* access flag: set, or the first access faults */
#define PXN	    (1ULL << 53)
#define UXN	    (1ULL << 54)

/* MAIR_EL1 slots. */
#define MT_DEVICE_nGnRE 0 /* 0x04 */
#define MT_NORMAL	1 /* 0xff: write-back, read/write-allocate, inner and outer */
#define MT_NORMAL_NC	2 /* 0x44: non-cacheable */
#define MAIR_VALUE                                                                                 \
	((0x04ULL << (8 * MT_DEVICE_nGnRE)) | (0xffULL << (8 * MT_NORMAL)) |                       \
	 (0x44ULL << (8 * MT_NORMAL_NC)))

/* TCR_EL1 fields. */
#define TCR_T0SZ       (64 - VA_BITS)
#define TCR_IRGN0_WBWA (1ULL << 8)
#define TCR_ORGN0_WBWA (1ULL << 10)
#define TCR_SH0_INNER  (3ULL << 12)
#define TCR_TG0_4K     (0ULL << 14)
#define TCR_EPD1       (1ULL << 23) /* no TTBR1 walks: there is no upper half */
#define TCR_IPS_SHIFT  32

#define NORMAL_BLOCK (DESC_BLOCK | ATTR_IDX(MT_NORMAL) | SH_INNER | AF | UXN)
#define DEVICE_BLOCK (DESC_BLOCK | ATTR_IDX(MT_DEVICE_nGnRE) | AF | PXN | UXN)

/* Level-3 tables for ranges mapped page by page (task stacks: guard pages).
 * Only the final tables get them, after the early map is gone. */
static uint64_t l3_pool[L3_TABLES][ENTRIES] __attribute__((aligned(4096)));
static int l3_used;
static struct tables *live;

struct tables {
	uint64_t l1[ENTRIES] __attribute__((aligned(4096)));
	uint64_t l2[L2_TABLES][ENTRIES] __attribute__((aligned(4096)));
	uint64_t low_l2[ENTRIES] __attribute__((aligned(4096))); /* gigabyte 0, if a block */
	uint64_t low_l3[ENTRIES] __attribute__((aligned(4096))); /* the first 2 MiB, by page */
};

/* Two sets: the early map, then the real one (never edited while in use). */
static struct tables table_sets[2];
static int tables_used;
static const struct boot_info *map_info;

struct mmu_regs mmu_boot_regs;

/* How a range of addresses lies against the RAM the device tree lists. */
enum ram_overlap {
	RAM_NONE, /* no RAM in it */
	RAM_PART, /* overlaps RAM */
	RAM_ALL, /* wholly inside one RAM range */
};

static enum ram_overlap ram_overlap(const struct boot_info *bi, uint64_t base, uint64_t size)
{
	for (int i = 0; i < bi->nmem; i++) {
		uint64_t rb = bi->mem[i].base, re = rb + bi->mem[i].size;
		if (base >= rb && base + size <= re)
			return RAM_ALL;
		if (base < re && base + size > rb)
			return RAM_PART;
	}
	return RAM_NONE;
}

static int is_mmio(const struct boot_info *bi, uint64_t base, uint64_t size)
{
	if (base < MMIO_LIMIT)
		return 1;
	for (int i = 0; i < bi->ngicr; i++)
		if (base < bi->gicr[i].base + bi->gicr[i].size && base + size > bi->gicr[i].base)
			return 1;
	return 0;
}

static void zero_table(uint64_t *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = 0;
}

/* fine: give each gigabyte of RAM a level-2 table (while they last), so that
 * parts of it can later be mapped page by page; the early map says no. */
static void build_tables(struct tables *t, const struct boot_info *bi, bool fine)
{
	int next_l2 = 0;

	zero_table(t->l1, ENTRIES);
	for (uint64_t i = 0; i < ENTRIES; i++) {
		uint64_t base = i << L1_SHIFT, size = 1ULL << L1_SHIFT;
		enum ram_overlap ram = ram_overlap(bi, base, size);
		if (ram == RAM_ALL && !(fine && next_l2 < L2_TABLES)) {
			t->l1[i] = base | NORMAL_BLOCK;
		} else if (ram != RAM_NONE && next_l2 < L2_TABLES) {
			uint64_t *l2 = t->l2[next_l2++];
			zero_table(l2, ENTRIES);
			for (uint64_t j = 0; j < ENTRIES; j++) {
				uint64_t b = base + (j << L2_SHIFT), s = 1ULL << L2_SHIFT;
				if (ram_overlap(bi, b, s) != RAM_NONE)
					l2[j] =
					    b | NORMAL_BLOCK; /* a partial 2 MiB block: round out */
				else if (is_mmio(bi, b, s))
					l2[j] = b | DEVICE_BLOCK;
			}
			t->l1[i] = (uint64_t)(uintptr_t)l2 | DESC_TABLE;
		} else if (is_mmio(bi, base, size)) {
			t->l1[i] = base | DEVICE_BLOCK;
		}
	}
}

/* A block or page descriptor's attributes: all but its address and type bits. */
static uint64_t desc_attrs(uint64_t e)
{
	return e & ~OA_MASK & ~3ULL;
}

/*
 * Map the first 2 MiB page by page, with the attributes they had (Device on
 * virt, Normal RAM on the Pi), so that mmu_unmap_low() can later take page 0
 * away without touching its neighbours.  Done in both sets of tables, early and
 * final: switching from one to the other then never changes the size of a
 * translation for this range, where the Pi's kernel runs (at 0x80000).
 */
static void split_low(struct tables *t)
{
	uint64_t l1e = t->l1[0], *l2;
	if ((l1e & 3) == DESC_BLOCK) {
		/* A 1 GiB block (virt's flash and MMIO): the same as 2 MiB blocks. */
		for (uint64_t j = 0; j < ENTRIES; j++)
			t->low_l2[j] = (j << L2_SHIFT) | desc_attrs(l1e) | DESC_BLOCK;
		t->l1[0] = (uint64_t)(uintptr_t)t->low_l2 | DESC_TABLE;
		l2 = t->low_l2;
	} else if ((l1e & 3) == DESC_TABLE) {
		l2 = (uint64_t *)(uintptr_t)(l1e & OA_MASK);
	} else {
		return; /* nothing mapped at 0: nothing to split */
	}
	uint64_t l2e = l2[0];
	if ((l2e & 3) != DESC_BLOCK)
		return;
	for (uint64_t k = 0; k < ENTRIES; k++)
		t->low_l3[k] = (k << L3_SHIFT) | desc_attrs(l2e) | DESC_TABLE; /* page: 0b11 */
	l2[0] = (uint64_t)(uintptr_t)t->low_l3 | DESC_TABLE;
}

static uint64_t dcache_line(void);

static uint64_t tcr_value(void)
{
	/* Output size: whatever the CPU supports (ID_AA64MMFR0_EL1.PARange). */
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	if (parange > 5)
		parange = 5; /* 48 bits: the most a 4 KiB granule can name */
	return TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | TCR_EPD1 |
	       (parange << TCR_IPS_SHIFT);
}

void mmu_init(const struct boot_info *bi)
{
	struct tables *t = &table_sets[tables_used < 2 ? tables_used : 1];
	bool mmu_on = read_sysreg(sctlr_el1) & 1;

	build_tables(t, bi, mmu_on);
	split_low(t);
	tables_used++;
	live = t;
	map_info = bi;
	mmu_boot_regs.mair = MAIR_VALUE;
	mmu_boot_regs.tcr = tcr_value();
	mmu_boot_regs.ttbr0 = (uint64_t)(uintptr_t)t->l1;

	if (!mmu_on) {
		/* Tables were written with the MMU off, straight to memory; drop any
		 * stale cache lines firmware may have left over them. */
		for (uintptr_t p = (uintptr_t)t; p < (uintptr_t)(t + 1); p += dcache_line())
			__asm__ volatile("dc ivac, %0" ::"r"(p) : "memory");
		dsb(sy); /* the invalidation completes before the walker reads the tables */
		mmu_enable(&mmu_boot_regs);
	} else {
		dsb(ishst); /* new table entries reach the walker before TTBR0 points at them */
		write_sysreg(ttbr0_el1, mmu_boot_regs.ttbr0);
		isb(); /* the new TTBR0 is in effect before the TLB flush */
		__asm__ volatile("tlbi vmalle1" ::: "memory");
		dsb(nsh); /* the flush has completed */
		isb(); /* and later instructions translate with the new tables */
	}
	/* Secondary cores read mmu_boot_regs with their MMU and caches off. */
	dcache_clean_range(&mmu_boot_regs, sizeof mmu_boot_regs);
}

static void tlb_flush_all(void)
{
	dsb(ishst); /* the table writes are visible to every core's walker */
	__asm__ volatile("tlbi vmalle1is" ::: "memory");
	dsb(ish); /* every core's TLB has dropped the old entries */
	isb(); /* and our own later instructions use the new ones */
}

int mmu_map_4k(uint64_t base, uint64_t size)
{
	if (!live || (base | size) & ((1ULL << L2_SHIFT) - 1))
		return -1;
	for (uint64_t b = base; b < base + size; b += 1ULL << L2_SHIFT) {
		uint64_t l1e = live->l1[(b >> L1_SHIFT) & (ENTRIES - 1)];
		if ((l1e & 3) != DESC_TABLE)
			return -1; /* a 1 GiB block: no level-2 table to split under */
		uint64_t *l2 = (uint64_t *)(uintptr_t)(l1e & 0xfffffffff000ULL);
		uint64_t *l2e = &l2[(b >> L2_SHIFT) & (ENTRIES - 1)];
		if ((*l2e & 3) == DESC_TABLE)
			continue; /* already split */
		if ((*l2e & 3) != DESC_BLOCK || l3_used >= L3_TABLES)
			return -1;
		uint64_t *l3 = l3_pool[l3_used++];
		uint64_t attrs = *l2e & ~0xfffffffff000ULL & ~3ULL;
		for (uint64_t k = 0; k < ENTRIES; k++)
			l3[k] = (b + (k << L3_SHIFT)) | attrs | DESC_TABLE; /* page: 0b11 */
		/* Break before make: the block goes, every TLB forgets it, then the
		 * table comes.  Nobody may touch this range meanwhile (its caller
		 * owns it and has not used it yet). */
		*l2e = 0;
		tlb_flush_all();
		*l2e = (uint64_t)(uintptr_t)l3 | DESC_TABLE;
		tlb_flush_all();
	}
	return 0;
}

int mmu_map_alias(uint64_t va, uint64_t pa, uint64_t size)
{
	static uint64_t alias_l2[ENTRIES] __attribute__((aligned(4096)));
	uint64_t block = 1ULL << L2_SHIFT, gig = 1ULL << L1_SHIFT;
	uint64_t i = va >> L1_SHIFT;
	if (!live || i >= ENTRIES || live->l1[i] || alias_l2[0] || (va | pa | size) & (block - 1) ||
	    (va & (gig - 1)) + size > gig || !mmu_is_ram(pa, size))
		return -1;
	for (uint64_t off = 0; off < size; off += block)
		alias_l2[((va + off) >> L2_SHIFT) & (ENTRIES - 1)] =
		    (pa + off) | NORMAL_BLOCK | PXN;
	dsb(ishst); /* the level-2 table is in memory before the entry that points to it */
	/* An invalid entry becoming valid needs no break-before-make, and no TLB
	 * holds a translation for it. */
	live->l1[i] = (uint64_t)(uintptr_t)alias_l2 | DESC_TABLE;
	dsb(ish); /* the new entry is visible to every core's table walker */
	isb(); /* and to our own next instructions */
	return 0;
}

static uint64_t *page_entry(uint64_t va)
{
	uint64_t l1e = live ? live->l1[(va >> L1_SHIFT) & (ENTRIES - 1)] : 0;
	if ((l1e & 3) != DESC_TABLE)
		return NULL;
	uint64_t *l2 = (uint64_t *)(uintptr_t)(l1e & 0xfffffffff000ULL);
	uint64_t l2e = l2[(va >> L2_SHIFT) & (ENTRIES - 1)];
	if ((l2e & 3) != DESC_TABLE)
		return NULL;
	uint64_t *l3 = (uint64_t *)(uintptr_t)(l2e & 0xfffffffff000ULL);
	return &l3[(va >> L3_SHIFT) & (ENTRIES - 1)];
}

int mmu_unmap_page(uint64_t va)
{
	uint64_t *e = page_entry(va);
	if (!e)
		return -1;
	*e = 0;
	dsb(ishst); /* the cleared entry is visible to the walkers */
	/* drop this VA's translation from every core's TLB (inner shareable) */
	__asm__ volatile("tlbi vaae1is, %0" ::"r"(va >> L3_SHIFT) : "memory");
	dsb(ish); /* every core has dropped its copy */
	isb(); /* this core's later instructions translate through the new entry */
	return 0;
}

/*
 * Unmap [0, size) for good, on every core.  Only the first 2 MiB can be (it is
 * the range split_low maps by page).  The caller makes sure nothing needs it
 * any more: on the Pi the boot core wrote the spin table there, and must have
 * done so before (cores still waiting in it run with their MMU off, so our
 * tables never affect them).
 */
int mmu_unmap_low(uint64_t size)
{
	if (size == 0 || size > (1ULL << L2_SHIFT) || size & (PAGE_SIZE_4K - 1))
		return -1;
	for (uint64_t va = 0; va < size; va += PAGE_SIZE_4K)
		if (!page_entry(va))
			return -1; /* not split: mapped by a block, or not at all */
	for (uint64_t va = 0; va < size; va += PAGE_SIZE_4K)
		*page_entry(va) = 0;
	/* The cleared entries are in memory, where every core's table walker
	 * reads them, before any TLB is told to forget the old ones: a walk
	 * after the invalidation cannot refill from a stale entry. */
	dsb(ishst);
	for (uint64_t va = 0; va < size; va += PAGE_SIZE_4K)
		/* Inner-shareable broadcast: every core drops its cached
		 * translation of this page (and walk-cache entries leading to
		 * it), whatever ASID it was tagged with. */
		__asm__ volatile("tlbi vaae1is, %0" ::"r"(va >> L3_SHIFT) : "memory");
	/* Wait until every core has completed those invalidations: after this
	 * no core can reach page 0 through its TLB. */
	dsb(ish);
	/* Our own instructions after this one are fetched and translated anew
	 * (none still in the pipeline uses an old translation). */
	isb();
	return 0;
}

int mmu_page_mapped(uint64_t va)
{
	uint64_t *e = page_entry(va);
	return e && (*e & 3) == DESC_TABLE;
}

int mmu_is_ram(uint64_t addr, uint64_t len)
{
	return map_info && ram_overlap(map_info, addr, len) == RAM_ALL;
}

static uint64_t dcache_line(void)
{
	return 4ULL << ((read_sysreg(ctr_el0) >> 16) & 0xf); /* CTR_EL0.DminLine, in words */
}

void dcache_clean_range(const void *start, size_t len)
{
	uint64_t line = dcache_line();
	uintptr_t p = ALIGN_DOWN((uintptr_t)start, line), end = (uintptr_t)start + len;
	for (; p < end; p += line)
		__asm__ volatile("dc cvac, %0" ::"r"(p) : "memory");
	dsb(sy); /* the cleaned lines are in memory before anyone is told to look */
}
