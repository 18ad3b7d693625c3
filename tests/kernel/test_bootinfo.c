/*
 * test_bootinfo.c — a bad device tree at boot is reported and leaves the
 * board's defaults, never a half-read machine.  Works on copies of the tree
 * the kernel booted with, damaged in the ways firmware or a user can.
 */
#include "kernel/boards/board.h"
#include "kernel/boards/bootinfo.h"
#include "kernel/firmware/fdt.h"
#include "tests/kernel/ktest.h"

#include <stdlib.h>
#include <string.h>

static struct boot_info got, defaults;

static uint8_t *copy_of_boot_tree(uint32_t *size)
{
	struct fdt f;
	if (!boot_dtb || fdt_open(&f, (const void *)(uintptr_t)boot_dtb, BOOTINFO_DTB_MAX))
		return NULL;
	uint8_t *p = malloc(f.size);
	if (p)
		memcpy(p, (const void *)(uintptr_t)boot_dtb, f.size);
	*size = f.size;
	return p;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

KTEST(bootinfo, the_boot_tree_reads_back_the_same)
{
	uint32_t size;
	uint8_t *copy = copy_of_boot_tree(&size);
	if (!copy)
		KSKIP("booted without a device tree");
	KASSERT_EQ(bootinfo_read((uint64_t)(uintptr_t)copy, size, &got), 0);
	KASSERT_EQ(got.ncpus, boot_info.ncpus);
	KASSERT_EQ(dtinfo_ram_size(&got), dtinfo_ram_size(&boot_info));
	KASSERT_EQ(got.gic_version, boot_info.gic_version);
	free(copy);
}

KTEST(bootinfo, damaged_trees_leave_the_defaults)
{
	uint32_t size;
	uint8_t *copy = copy_of_boot_tree(&size);
	if (!copy)
		KSKIP("booted without a device tree");
	memset(&defaults, 0, sizeof defaults);
	board.defaults(&defaults);
	uint8_t *orig = malloc(size);
	KASSERT(orig != NULL);
	memcpy(orig, copy, size);
	uint32_t off_struct = fdt_be32(orig + 8);

	/* 1. not a tree at all */
	put_be32(copy, 0x12345678);
	KASSERT_EQ(bootinfo_read((uint64_t)(uintptr_t)copy, size, &got), -1);
	KASSERT(memcmp(&got, &defaults, sizeof got) == 0);

	/* 2. the header claims more than there is */
	memcpy(copy, orig, size);
	KASSERT_EQ(bootinfo_read((uint64_t)(uintptr_t)copy, size / 2, &got), -1);
	KASSERT(memcmp(&got, &defaults, sizeof got) == 0);

	/* 3. a property whose length runs off the end of the structure block:
	 * the root's first property follows its (empty) name */
	memcpy(copy, orig, size);
	put_be32(copy + off_struct + 12, 0x7fffffff);
	KASSERT_EQ(bootinfo_read((uint64_t)(uintptr_t)copy, size, &got), -1);
	KASSERT(memcmp(&got, &defaults, sizeof got) == 0);

	/* 4. a bad token in the middle */
	memcpy(copy, orig, size);
	put_be32(copy + off_struct + 8, 0x77);
	KASSERT_EQ(bootinfo_read((uint64_t)(uintptr_t)copy, size, &got), -1);
	KASSERT(memcmp(&got, &defaults, sizeof got) == 0);

	/* 5. no tree, and a tree outside RAM */
	KASSERT_EQ(bootinfo_read(0, size, &got), -1);
	KASSERT_EQ(bootinfo_read(0x7f00000000ULL, size, &got), -1);
	KASSERT(memcmp(&got, &defaults, sizeof got) == 0);
	free(orig);
	free(copy);
}
