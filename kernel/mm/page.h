/*
 * page.h — the physical page allocator: RAM the device tree reports, less
 * the kernel, its malloc arena, the device tree, firmware's memory below the
 * kernel, and every reserved range.  Contiguous runs of 4 KiB pages.
 *
 * Big consumers (the task-stack region, the collector's heap) take large runs
 * at boot; it is not a fast allocator and need not be.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

#define PAGE_SIZE 4096ULL

void page_init(const struct boot_info *bi, uint64_t kernel_end);
/* size bytes (a multiple of PAGE_SIZE), aligned to align (a power of two >=
 * PAGE_SIZE); 0 if no run is large enough. */
uint64_t page_alloc(uint64_t size, uint64_t align);
void page_free(uint64_t base, uint64_t size);
uint64_t page_free_bytes(void);
/* The largest run page_alloc could hand out now. */
uint64_t page_largest_free(void);

#endif
