/*
 * stack.c — see stack.h.
 */
#include "kernel/mm/stack.h"
#include "boot/mmu.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/mm/page.h"
#include "kernel/arch/spinlock.h"

#define REGION_ALIGN (2ULL << 20)
#define NCLASSES     5

/* Usable sizes; a slot is one of these plus the guard page. */
static const uint64_t class_size[NCLASSES] = {8192, 16384, 32768, 65536, 262144};

struct free_slot {
	struct free_slot *next;
};

static struct spinlock stack_lock = SPINLOCK_INIT("stacks");
static uint64_t region_lo, region_hi, region_next;
static struct free_slot *free_lists[NCLASSES];
static uint64_t bytes_in_use;

int stack_init(uint64_t size)
{
	size = ALIGN_UP(size, REGION_ALIGN);
	uint64_t base = page_alloc(size, REGION_ALIGN);
	if (!base) {
		kprintf("stack: no %llu MiB run of RAM for task stacks\n",
			(unsigned long long)(size >> 20));
		return -1;
	}
	if (mmu_map_4k(base, size) != 0) {
		kprintf("stack: cannot map the stack region with 4 KiB pages\n");
		page_free(base, size);
		return -1;
	}
	region_lo = region_next = base;
	region_hi = base + size;
	return 0;
}

static int class_of(uint64_t size)
{
	for (int c = 0; c < NCLASSES; c++)
		if (size <= class_size[c])
			return c;
	return -1;
}

uint64_t stack_alloc(uint64_t size, uint64_t *got)
{
	int c = class_of(size);
	if (c < 0)
		return 0;
	uint64_t lo = 0;
	uint64_t flags = spin_lock_irqsave(&stack_lock);
	if (free_lists[c]) {
		struct free_slot *s = free_lists[c];
		free_lists[c] = s->next;
		lo = (uint64_t)(uintptr_t)s;
	} else if (region_next + STACK_GUARD + class_size[c] <= region_hi) {
		uint64_t guard = region_next;
		region_next += STACK_GUARD + class_size[c];
		mmu_unmap_page(guard);
		lo = guard + STACK_GUARD;
	}
	if (lo)
		bytes_in_use += class_size[c];
	spin_unlock_irqrestore(&stack_lock, flags);
	if (lo && got)
		*got = class_size[c];
	return lo;
}

void stack_free(uint64_t lo, uint64_t size)
{
	int c = class_of(size);
	if (c < 0 || lo < region_lo || lo >= region_hi)
		return;
	uint64_t flags = spin_lock_irqsave(&stack_lock);
	struct free_slot *s = (struct free_slot *)(uintptr_t)lo;
	s->next = free_lists[c];
	free_lists[c] = s;
	bytes_in_use -= class_size[c];
	spin_unlock_irqrestore(&stack_lock, flags);
}

bool stack_is_guard(uint64_t addr)
{
	return addr >= region_lo && addr < region_next && !mmu_page_mapped(ALIGN_DOWN(addr, 4096));
}

void stack_usage(uint64_t *used, uint64_t *total)
{
	*used = bytes_in_use;
	*total = region_hi - region_lo;
}
