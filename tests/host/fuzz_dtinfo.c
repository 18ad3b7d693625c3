/*
 * fuzz_dtinfo.c — libFuzzer target for kernel/firmware/dtinfo.c (and kernel/firmware/fdt.c
 * under it).
 *
 * The input's raw bytes are the blob, with max_size its exact size (libFuzzer
 * hands over an exact-size heap copy, so ASan sees any read past the end).
 * boot_info is pre-filled with board defaults, as the kernel does.  Checked:
 *   - on an error (negative, an FDT_ERR_*): boot_info left exactly as it was;
 *   - on success: 1 <= nmem <= DT_MAX_RANGES with no empty range,
 *     0 <= nreserved <= DT_MAX_RANGES with no empty range,
 *     1 <= ncpus <= DT_MAX_CPUS, cpus_ignored >= 0, every enum in range,
 *     gic_version 0, 2 or 3 (3: 1 <= ngicr <= DT_MAX_GICR), uart_irq -1 or a
 *     GIC INTID (16-1019), bootargs and model NUL-terminated, have_bootargs
 *     only with non-empty bootargs;
 *   - a second parse over the result changes nothing (the kernel may parse
 *     twice: "a second parse must not double the count");
 *   - the bootargs it found go through bootargs_parse without trouble.
 * Every warning message must be a NUL-terminated string.
 * Built and run by `make -f tests/host/Makefile fuzz`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/firmware/bootargs.h"
#include "kernel/firmware/dtinfo.h"

#include "fuzz_check.h"

static void warn(const char *msg)
{
	CHECK(msg != NULL);
	CHECK(strlen(msg) < 4096);
}

static void board_defaults(struct boot_info *bi)
{
	memset(bi, 0, sizeof *bi);
	bi->nmem = 1;
	bi->mem[0] = (struct mem_range){0x40000000, 128 << 20};
	bi->ncpus = 1;
	bi->gic_version = 3;
	bi->gicd = 0x2f000000;
	bi->ngicr = 1;
	bi->gicr[0] = (struct mem_range){0x2f100000, 0x100000};
	bi->uart = 0x1c090000;
	bi->uart_irq = 37;
	strcpy(bi->model, "board defaults");
}

static struct boot_info bi, before, again;
static struct bootargs ba;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	board_defaults(&bi);
	memcpy(&before, &bi, sizeof bi); /* memcpy: padding included, for memcmp */
	int err = dtinfo_parse(data, size, &bi, warn);
	if (err != 0) {
		CHECK(err < 0);
		CHECK(memcmp(&bi, &before, sizeof bi) == 0);
		return 0;
	}

	CHECK(bi.nmem >= 1 && bi.nmem <= DT_MAX_RANGES);
	for (int i = 0; i < bi.nmem; i++)
		CHECK(bi.mem[i].size != 0);
	CHECK(bi.nreserved >= 0 && bi.nreserved <= DT_MAX_RANGES);
	for (int i = 0; i < bi.nreserved; i++)
		CHECK(bi.reserved[i].size != 0);
	CHECK(bi.ncpus >= 1 && bi.ncpus <= DT_MAX_CPUS);
	CHECK(bi.cpus_ignored >= 0);
	for (int i = 0; i < bi.ncpus; i++) {
		CHECK(bi.cpu_enable[i] == CPU_ENABLE_NONE || bi.cpu_enable[i] == CPU_ENABLE_PSCI ||
		      bi.cpu_enable[i] == CPU_ENABLE_SPIN_TABLE);
		if (bi.cpu_enable[i] != CPU_ENABLE_SPIN_TABLE)
			CHECK(bi.cpu_release_addr[i] == 0);
	}
	CHECK(bi.psci == PSCI_NONE || bi.psci == PSCI_HVC || bi.psci == PSCI_SMC);
	CHECK(bi.gic_version == 0 || bi.gic_version == 2 || bi.gic_version == 3);
	if (bi.gic_version == 3)
		CHECK(bi.ngicr >= 1 && bi.ngicr <= DT_MAX_GICR);
	CHECK(bi.uart_irq == -1 || (bi.uart_irq >= 16 && bi.uart_irq <= 1019));
	CHECK(memchr(bi.bootargs, '\0', sizeof bi.bootargs) != NULL);
	CHECK(memchr(bi.model, '\0', sizeof bi.model) != NULL);
	if (bi.have_bootargs)
		CHECK(bi.bootargs[0] != '\0');

	/* Parsing again over the result is a no-op. */
	memcpy(&again, &bi, sizeof bi);
	CHECK(dtinfo_parse(data, size, &again, warn) == 0);
	CHECK(memcmp(&again, &bi, sizeof bi) == 0);

	if (bi.have_bootargs) {
		bootargs_parse(&ba, bi.bootargs, NULL, warn);
		CHECK(ba.n >= 0 && ba.n <= BOOTARGS_MAX);
	}
	(void)dtinfo_ram_size(&bi);
	return 0;
}
