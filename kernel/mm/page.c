/*
 * page.c — see page.h.  Free memory is a sorted array of ranges; allocation is
 * first fit, freeing merges with the neighbours.
 */
#include "kernel/mm/page.h"
#include "boot/boot.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/spinlock.h"

#define MAX_RANGES 64

static struct mem_range free_ranges[MAX_RANGES];
static int nfree;
static struct spinlock page_lock = SPINLOCK_INIT("pages");

static void remove_at(int i)
{
	for (int j = i; j < nfree - 1; j++)
		free_ranges[j] = free_ranges[j + 1];
	nfree--;
}

static int insert_at(int i, uint64_t base, uint64_t size)
{
	if (nfree == MAX_RANGES)
		return -1;
	for (int j = nfree; j > i; j--)
		free_ranges[j] = free_ranges[j - 1];
	free_ranges[i].base = base;
	free_ranges[i].size = size;
	nfree++;
	return 0;
}

/* Cut [base, base+size) out of the free ranges. */
static void carve(uint64_t base, uint64_t size)
{
	uint64_t end = base + size;
	for (int i = 0; i < nfree; i++) {
		uint64_t rb = free_ranges[i].base, re = rb + free_ranges[i].size;
		if (end <= rb || base >= re)
			continue;
		remove_at(i);
		int at = i;
		if (rb < base && insert_at(at++, rb, base - rb) < 0)
			kprintf("page: too many free ranges: losing [%#llx, %#llx)\n",
				(unsigned long long)rb, (unsigned long long)base);
		if (end < re && insert_at(at++, end, re - end) < 0)
			kprintf("page: too many free ranges: losing [%#llx, %#llx)\n",
				(unsigned long long)end, (unsigned long long)re);
		i = at - 1;
	}
}

static void add_sorted(uint64_t base, uint64_t size)
{
	int i = 0;
	while (i < nfree && free_ranges[i].base < base)
		i++;
	if (insert_at(i, base, size) < 0) {
		kprintf("page: too many free ranges: losing [%#llx, +%#llx)\n",
			(unsigned long long)base, (unsigned long long)size);
		return;
	}
	/* merge with the next, then with the previous */
	if (i + 1 < nfree && free_ranges[i].base + free_ranges[i].size == free_ranges[i + 1].base) {
		free_ranges[i].size += free_ranges[i + 1].size;
		remove_at(i + 1);
	}
	if (i > 0 && free_ranges[i - 1].base + free_ranges[i - 1].size == free_ranges[i].base) {
		free_ranges[i - 1].size += free_ranges[i].size;
		remove_at(i);
	}
}

void page_init(const struct boot_info *bi, uint64_t kernel_end)
{
	nfree = 0;
	for (int i = 0; i < bi->nmem; i++) {
		uint64_t b = ALIGN_UP(bi->mem[i].base, PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(bi->mem[i].base + bi->mem[i].size, PAGE_SIZE);
		if (e > b)
			add_sorted(b, e - b);
	}
	/* Everything from the start of RAM to the end of the kernel (and its
	 * malloc arena) is firmware's or ours. */
	uint64_t low = bi->nmem ? bi->mem[0].base : 0;
	carve(low, ALIGN_UP(kernel_end, PAGE_SIZE) - low);
	for (int i = 0; i < bi->nreserved; i++)
		carve(ALIGN_DOWN(bi->reserved[i].base, PAGE_SIZE),
		      ALIGN_UP(bi->reserved[i].base + bi->reserved[i].size, PAGE_SIZE) -
			  ALIGN_DOWN(bi->reserved[i].base, PAGE_SIZE));
}

uint64_t page_alloc(uint64_t size, uint64_t align)
{
	uint64_t got = 0;
	size = ALIGN_UP(size, PAGE_SIZE);
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	uint64_t flags = spin_lock_irqsave(&page_lock);
	for (int i = 0; i < nfree && size; i++) {
		uint64_t b = ALIGN_UP(free_ranges[i].base, align);
		if (b + size <= free_ranges[i].base + free_ranges[i].size) {
			carve(b, size);
			got = b;
			break;
		}
	}
	spin_unlock_irqrestore(&page_lock, flags);
	return got;
}

void page_free(uint64_t base, uint64_t size)
{
	uint64_t flags = spin_lock_irqsave(&page_lock);
	add_sorted(base, ALIGN_UP(size, PAGE_SIZE));
	spin_unlock_irqrestore(&page_lock, flags);
}

uint64_t page_free_bytes(void)
{
	uint64_t n = 0;
	uint64_t flags = spin_lock_irqsave(&page_lock);
	for (int i = 0; i < nfree; i++)
		n += free_ranges[i].size;
	spin_unlock_irqrestore(&page_lock, flags);
	return n;
}

uint64_t page_largest_free(void)
{
	uint64_t n = 0;
	uint64_t flags = spin_lock_irqsave(&page_lock);
	for (int i = 0; i < nfree; i++)
		if (free_ranges[i].size > n)
			n = free_ranges[i].size;
	spin_unlock_irqrestore(&page_lock, flags);
	return n;
}
