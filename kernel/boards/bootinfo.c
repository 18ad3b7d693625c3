/*
 * bootinfo.c — see bootinfo.h.
 */
#include "kernel/boards/bootinfo.h"
#include "boot/mmu.h"
#include "kernel/boards/board.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/fdt.h"

#include <string.h>

static void dt_warn(const char *msg)
{
	kprintf("devicetree: %s\n", msg);
}

int bootinfo_read(uint64_t dtb, uint64_t max_size, struct boot_info *bi)
{
	memset(bi, 0, sizeof *bi);
	board.defaults(bi);
	if (!dtb) {
		kprintf("devicetree: none passed in x0 and none found: using %s defaults\n",
			board.name);
		return -1;
	}
	if (!mmu_is_ram(dtb, 64)) {
		kprintf("devicetree: x0 = %#llx is not in RAM: using %s defaults\n",
			(unsigned long long)dtb, board.name);
		return -1;
	}
	/* Parse into a copy, so that a tree that fails half-way leaves nothing
	 * half-applied. */
	static struct boot_info parsed;
	parsed = *bi;
	int err = dtinfo_parse((const void *)(uintptr_t)dtb, max_size, &parsed, dt_warn);
	if (err == FDT_ERR_BADMAGIC) {
		kprintf("devicetree: x0 = %#llx holds no device tree (no FDT magic): using %s "
			"defaults\n",
			(unsigned long long)dtb, board.name);
		return -1;
	}
	if (err) {
		kprintf("devicetree at %#llx: %s: using %s defaults\n", (unsigned long long)dtb,
			fdt_strerror(err), board.name);
		return -1;
	}
	*bi = parsed;
	/* The tree itself must survive: it is reserved memory. */
	struct fdt f;
	if (bi->nreserved < DT_MAX_RANGES &&
	    fdt_open(&f, (const void *)(uintptr_t)dtb, max_size) == 0) {
		bi->reserved[bi->nreserved].base = dtb;
		bi->reserved[bi->nreserved].size = f.size;
		bi->nreserved++;
	}
	return 0;
}
