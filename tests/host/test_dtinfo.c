/*
 * test_dtinfo.c — kernel/firmware/dtinfo.c: what the kernel learns from a device tree.
 *
 * QEMU's own trees, dumped at build time by tests/host/Makefile: RAM base and
 * exact size, cpu count and distinct MPIDRs, PSCI conduit (hvc, or smc with
 * virtualization=on), GICv2 or GICv3 addresses, the PL011 and its INTID,
 * /chosen/bootargs (fed on through bootargs_parse).  Hand-written trees from
 * tests/host/dts/: a Pi 4-like one (bus address translation, spin-table,
 * several RAM ranges, /memreserve/ and /reserved-memory, PSCI 0.1, the
 * console through /aliases), more cpus than fit, a sparse one and one with
 * awkward values.  Then the contract for bad input: a negative error and the
 * caller's pre-filled boot_info untouched, and for a half-usable GIC node,
 * the caller's GIC kept whole rather than half-overwritten.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel/firmware/bootargs.h"
#include "kernel/firmware/dtinfo.h"
#include "kernel/firmware/fdt.h"
#include "tests/host/hosttest.h"

#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define PSCI_0_2_CPU_ON 0xc4000003u

/* What a board file might pre-fill before the tree overrides it: a GICv3
 * layout, so a tree's GICv2 (or a failed GIC parse) is visible. */
static void board_defaults(struct boot_info *bi)
{
	memset(bi, 0, sizeof *bi);
	bi->nmem = 1;
	bi->mem[0] = (struct mem_range){0x40000000, 128 * MiB};
	bi->ncpus = 1;
	bi->cpu_enable[0] = CPU_ENABLE_NONE;
	bi->psci = PSCI_NONE;
	bi->gic_version = 3;
	bi->gicd = 0x2f000000;
	bi->ngicr = 1;
	bi->gicr[0] = (struct mem_range){0x2f100000, 0x100000};
	bi->gicr_stride = 0x20000;
	bi->uart = 0x1c090000;
	bi->uart_irq = 37;
	strcpy(bi->bootargs, "default args");
	strcpy(bi->model, "board defaults");
}

/* Parse dtb/<name> into bi (pre-filled with board_defaults) with warnings
 * captured; returns dtinfo_parse's result. */
static int parse_file(const char *name, struct boot_info *bi)
{
	size_t n;
	uint8_t *b = ht_load_dtb(name, &n);
	board_defaults(bi);
	ht_warn_reset();
	int err = dtinfo_parse(b, n, bi, ht_warn);
	free(b);
	return err;
}

static void assert_range(const struct mem_range *r, uint64_t base, uint64_t size)
{
	if (r->base != base || r->size != size)
		fail_msg("range %#llx+%#llx, want %#llx+%#llx", (unsigned long long)r->base,
			 (unsigned long long)r->size, (unsigned long long)base,
			 (unsigned long long)size);
}

static void assert_no_warnings(void)
{
	for (int i = 0; i < ht_nwarn(); i++)
		print_message("unexpected warning: %s\n", ht_warning(i));
	assert_int_equal(ht_nwarn(), 0);
}

/* ---------------------------------------------------------------- QEMU virt */

/* Mirrors the QEMU command lines in tests/host/Makefile. */
struct virt_case {
	const char *dtb;
	int smp;
	uint64_t ram;
	int gic;
	enum psci_conduit psci;
	const char *bootargs;
};

static const struct virt_case virt_cases[] = {
    {"virt-gicv2.dtb", 4, 256 * MiB, 2, PSCI_HVC, NULL},
    {"virt-gicv3.dtb", 8, 2 * GiB, 3, PSCI_HVC, NULL},
    {"virt-el2.dtb", 4, 256 * MiB, 2, PSCI_SMC, "run=test exit=semihost"},
    {"virt-gicv3-smp16.dtb", 16, 4 * GiB, 3, PSCI_HVC, NULL},
};

static void test_virt(void **state)
{
	const struct virt_case *c = *state;
	struct boot_info bi;

	assert_int_equal(parse_file(c->dtb, &bi), 0);
	assert_no_warnings();

	assert_int_equal(bi.nmem, 1);
	assert_range(&bi.mem[0], 0x40000000, c->ram);
	assert_true(dtinfo_ram_size(&bi) == c->ram);
	assert_int_equal(bi.nreserved, 0);

	assert_int_equal(bi.ncpus, c->smp);
	assert_int_equal(bi.cpus_ignored, 0);
	for (int i = 0; i < bi.ncpus; i++) {
		assert_int_equal(bi.cpu_enable[i], CPU_ENABLE_PSCI);
		/* Up to 8 cpus QEMU numbers them Aff0 = 0, 1, 2...; beyond that
		 * it may move to Aff1, so only insist they differ. */
		if (c->smp <= 8)
			assert_int_equal(bi.cpu_mpidr[i], i);
		for (int j = 0; j < i; j++)
			assert_true(bi.cpu_mpidr[i] != bi.cpu_mpidr[j]);
	}

	assert_int_equal(bi.psci, c->psci);
	assert_int_equal(bi.psci_cpu_on, PSCI_0_2_CPU_ON);

	assert_int_equal(bi.gic_version, c->gic);
	assert_int_equal(bi.gicd, 0x08000000);
	if (c->gic == 2) {
		assert_int_equal(bi.gicc, 0x08010000);
	} else {
		assert_true(bi.ngicr >= 1);
		assert_int_equal(bi.gicr[0].base, 0x080a0000);
		/* Room for one 128 KiB redistributor frame per cpu. */
		assert_true(bi.gicr[0].size >= (uint64_t)c->smp * 0x20000);
	}

	assert_int_equal(bi.uart, 0x09000000);
	assert_int_equal(bi.uart_irq, 33); /* SPI 1 */
	assert_string_equal(bi.model, "linux,dummy-virt");

	if (c->bootargs) {
		assert_true(bi.have_bootargs);
		assert_string_equal(bi.bootargs, c->bootargs);
		/* And on into the command-line parser, as the kernel does. */
		static const char *const known[] = {"run", "exit", NULL};
		struct bootargs ba;
		assert_int_equal(bootargs_parse(&ba, bi.bootargs, known, ht_warn), 0);
		assert_string_equal(bootargs_get(&ba, "run"), "test");
		assert_string_equal(bootargs_get(&ba, "exit"), "semihost");
	} else {
		/* No -append: the caller's default command line stays. */
		assert_false(bi.have_bootargs);
		assert_string_equal(bi.bootargs, "default args");
	}
}

/* ---------------------------------------------------------------- hand-made trees */

static void test_rpi4(void **state)
{
	struct boot_info bi;
	(void)state;

	assert_int_equal(parse_file("rpi4.dtb", &bi), 0);
	assert_no_warnings();
	assert_string_equal(bi.model, "Raspberry Pi 4 Model B (allstop test tree)");

	assert_int_equal(bi.nmem, 3);
	assert_range(&bi.mem[0], 0, 0x3b400000);
	assert_range(&bi.mem[1], 0x40000000, 0xbc000000);
	assert_range(&bi.mem[2], 0x100000000ULL, 0x80000000);
	assert_true(dtinfo_ram_size(&bi) == 0x3b400000ULL + 0xbc000000ULL + 0x80000000ULL);

	/* /memreserve/ entries first, then /reserved-memory children with a
	 * "reg" (linux,cma has none: it is placed later, not reserved now). */
	assert_int_equal(bi.nreserved, 3);
	assert_range(&bi.reserved[0], 0, 0x1000);
	assert_range(&bi.reserved[1], 0x1f000000, 0x200000);
	assert_range(&bi.reserved[2], 0x3b3f0000, 0x10000);

	/* Four spin-table cpus (l2-cache0 is not one). */
	static const uint64_t release[] = {0xd8, 0xe0, 0xe8, 0xf0};
	assert_int_equal(bi.ncpus, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(bi.cpu_mpidr[i], i);
		assert_int_equal(bi.cpu_enable[i], CPU_ENABLE_SPIN_TABLE);
		assert_int_equal(bi.cpu_release_addr[i], release[i]);
	}

	/* PSCI 0.1 names its own function ids. */
	assert_int_equal(bi.psci, PSCI_SMC);
	assert_int_equal(bi.psci_cpu_on, 0x84000003);

	/* GIC-400 behind /soc's 0x40000000 -> 0xff800000 range. */
	assert_int_equal(bi.gic_version, 2);
	assert_int_equal(bi.gicd, 0xff841000);
	assert_int_equal(bi.gicc, 0xff842000);

	/* The console is serial0 = the second PL011, not the first one. */
	assert_int_equal(bi.uart, 0xfe201400);
	assert_int_equal(bi.uart_irq, 122 + 32);

	assert_true(bi.have_bootargs);
	assert_string_equal(bi.bootargs, "run=shell loglevel=\"debug verbose\"");
	struct bootargs ba;
	assert_int_equal(bootargs_parse(&ba, bi.bootargs, NULL, ht_warn), 0);
	assert_string_equal(bootargs_get(&ba, "loglevel"), "debug verbose");
}

static void test_many_cpus(void **state)
{
	struct boot_info bi, def;
	(void)state;

	assert_int_equal(parse_file("many-cpus.dtb", &bi), 0);
	board_defaults(&def);

	/* 67 usable: the first DT_MAX_CPUS kept in order, the rest counted. */
	assert_int_equal(bi.ncpus, DT_MAX_CPUS);
	assert_int_equal(bi.cpus_ignored, 67 - DT_MAX_CPUS);
	assert_int_equal(bi.cpu_mpidr[0], 0);
	assert_int_equal(bi.cpu_enable[0], CPU_ENABLE_PSCI);
	/* Spin-table without a release address: no way to start it. */
	assert_int_equal(bi.cpu_mpidr[1], 3);
	assert_int_equal(bi.cpu_enable[1], CPU_ENABLE_NONE);
	/* Two address cells: Aff3 in the upper word. */
	assert_true(bi.cpu_mpidr[2] == 0x100000000ULL);
	for (int i = 3; i < DT_MAX_CPUS; i++) {
		assert_int_equal(bi.cpu_mpidr[i], 0x100 + (i - 3));
		assert_int_equal(bi.cpu_enable[i], CPU_ENABLE_PSCI);
	}
	assert_true(ht_warned("cpu@2", "reg"));
	assert_false(ht_warned("cpu@1", NULL)); /* disabled: skipped quietly */

	/* Parsing again gives the same count, not double. */
	size_t n;
	uint8_t *b = ht_load_dtb("many-cpus.dtb", &n);
	assert_int_equal(dtinfo_parse(b, n, &bi, NULL), 0);
	assert_int_equal(bi.cpus_ignored, 67 - DT_MAX_CPUS);
	free(b);

	/* Nothing else in the tree: the defaults stand, with a warning for RAM. */
	assert_true(ht_warned("memory", NULL));
	assert_int_equal(bi.nmem, def.nmem);
	assert_range(&bi.mem[0], def.mem[0].base, def.mem[0].size);
	assert_int_equal(bi.psci, PSCI_NONE);
	assert_int_equal(bi.gic_version, 3);
	assert_int_equal(bi.gicd, def.gicd);
	assert_int_equal(bi.ngicr, 1);
	assert_int_equal(bi.uart, def.uart);
	assert_int_equal(bi.uart_irq, def.uart_irq);
	assert_string_equal(bi.model, "board defaults");
	assert_false(bi.have_bootargs);
}

static void test_odd(void **state)
{
	struct boot_info bi;
	(void)state;

	/* #redistributor-regions = 0xffffffff once meant a four-billion-step
	 * loop here (main's watchdog turns that into a failure). */
	assert_int_equal(parse_file("odd.dtb", &bi), 0);

	/* The regions "reg" really lists, whatever the count claims. */
	assert_int_equal(bi.gic_version, 3);
	assert_int_equal(bi.gicd, 0x2f000000);
	assert_int_equal(bi.ngicr, 2);
	assert_range(&bi.gicr[0], 0x2f100000, 0x200000);
	assert_range(&bi.gicr[1], 0x2f300000, 0x200000);
	assert_int_equal(bi.gicr_stride, 0x40000);

	/* The console path is not a PL011: take the first PL011, whose
	 * interrupt number is no INTID at all. */
	assert_int_equal(bi.uart, 0x09000000);
	assert_int_equal(bi.uart_irq, -1);

	assert_int_equal(bi.nmem, 2);
	assert_range(&bi.mem[0], 0x80000000, 4 * GiB);
	assert_range(&bi.mem[1], 0x880000000ULL, 2 * GiB);
	assert_true(dtinfo_ram_size(&bi) == 6 * GiB);

	assert_int_equal(bi.psci, PSCI_NONE);
	assert_true(ht_warned("psci", "firmware"));

	assert_int_equal(bi.ncpus, 2);
	assert_false(bi.have_bootargs); /* "" is no command line */
	assert_string_equal(bi.bootargs, "default args");
	assert_int_equal(strlen(bi.model), sizeof bi.model - 1);
	assert_memory_equal(bi.model, "An allstop test board whose model", 33);
}

static void test_sparse(void **state)
{
	struct boot_info bi, def;
	(void)state;

	assert_int_equal(parse_file("sparse.dtb", &bi), 0);
	board_defaults(&def);

	/* Ten RAM ranges: the first DT_MAX_RANGES kept, and a warning. */
	assert_int_equal(bi.nmem, DT_MAX_RANGES);
	for (int i = 0; i < DT_MAX_RANGES; i++)
		assert_range(&bi.mem[i], 0x40000000 + 0x2000 * (uint64_t)i, 0x1000);
	assert_true(ht_warned("too many", NULL));

	/* Two /memreserve/ entries, then /reserved-memory until full. */
	assert_int_equal(bi.nreserved, DT_MAX_RANGES);
	assert_range(&bi.reserved[0], 0x48000000, 0x1000);
	assert_range(&bi.reserved[1], 0x48100000, 0x1000);
	assert_range(&bi.reserved[2], 0x50000000, 0x1000);
	assert_range(&bi.reserved[7], 0x50050000, 0x1000);

	/* No /cpus: the boot cpu alone, with a warning. */
	assert_int_equal(bi.ncpus, 1);
	assert_true(ht_warned("/cpus", NULL));

	/* A GICv3 without redistributors is unusable: keep the board's GIC
	 * whole, not its version with the tree's distributor. */
	assert_true(ht_warned("redistributor", NULL));
	assert_int_equal(bi.gic_version, def.gic_version);
	assert_int_equal(bi.gicd, def.gicd);
	assert_int_equal(bi.ngicr, def.ngicr);
	assert_range(&bi.gicr[0], def.gicr[0].base, def.gicr[0].size);
	assert_int_equal(bi.gicr_stride, def.gicr_stride);

	/* A PPI, and an unknown alias: the first PL011. */
	assert_int_equal(bi.uart, 0x09000000);
	assert_int_equal(bi.uart_irq, 5 + 16);

	/* PSCI 0.2's CPU_ON id is fixed; the stray property is ignored. */
	assert_int_equal(bi.psci, PSCI_HVC);
	assert_int_equal(bi.psci_cpu_on, PSCI_0_2_CPU_ON);
	assert_string_equal(bi.model, "sparse");

	/* No warning callback: same result, no crash. */
	struct boot_info quiet;
	size_t n;
	uint8_t *b = ht_load_dtb("sparse.dtb", &n);
	board_defaults(&quiet);
	assert_int_equal(dtinfo_parse(b, n, &quiet, NULL), 0);
	assert_memory_equal(&quiet, &bi, sizeof bi);
	free(b);
}

/* A GIC node that lists fewer "reg" entries than it needs must leave the
 * caller's GIC fields alone: here QEMU's own nodes, cut down. */
static void check_short_gic(const char *dtb, const char *node)
{
	size_t n;
	struct boot_info bi, def;
	uint8_t *b = ht_load_dtb(dtb, &n);

	ht_shrink_prop(b, node, "reg", 16); /* the distributor only */
	board_defaults(&bi);
	board_defaults(&def);
	bi.gic_version = def.gic_version = 2;
	bi.gicc = def.gicc = 0x2c002000;
	ht_warn_reset();
	assert_int_equal(dtinfo_parse(b, n, &bi, ht_warn), 0);
	assert_true(ht_warned("GIC", NULL));
	assert_int_equal(bi.gic_version, 2);
	assert_int_equal(bi.gicd, def.gicd);
	assert_int_equal(bi.gicc, def.gicc);
	assert_int_equal(bi.ngicr, def.ngicr);
	assert_range(&bi.gicr[0], def.gicr[0].base, def.gicr[0].size);
	assert_int_equal(bi.gicr_stride, def.gicr_stride);
	/* The rest of the tree still counts. */
	assert_int_equal(bi.uart, 0x09000000);
	assert_int_equal(bi.ncpus, 4);
	free(b);
}

static void test_short_gic_node(void **state)
{
	(void)state;
	check_short_gic("virt-gicv2.dtb", "intc@8000000"); /* no CPU interface */
	check_short_gic("virt-el2.dtb", "intc@8000000");
}

/* ---------------------------------------------------------------- bad blobs */

enum mutation {
	M_NONE,
	M_NULL,
	M_TINY,
	M_BAD_MAGIC,
	M_TOTALSIZE_PAST_BUFFER,
	M_STRUCT_PAST_END,
	M_PROP_LEN_PAST_BLOCK,
	M_NAMEOFF_PAST_STRINGS,
	M_BAD_TOKEN,
};

static const struct {
	enum mutation m;
	const char *what;
	int err;
} bad_blobs[] = {
    {M_NULL, "NULL blob", FDT_ERR_TRUNCATED},
    {M_TINY, "max_size below a header", FDT_ERR_TRUNCATED},
    {M_BAD_MAGIC, "bad magic", FDT_ERR_BADMAGIC},
    {M_TOTALSIZE_PAST_BUFFER, "totalsize past the buffer", FDT_ERR_TRUNCATED},
    {M_STRUCT_PAST_END, "structure block past the end", FDT_ERR_TRUNCATED},
    {M_PROP_LEN_PAST_BLOCK, "property length past the block", FDT_ERR_BADSTRUCT},
    {M_NAMEOFF_PAST_STRINGS, "name offset past the strings", FDT_ERR_BADSTRUCT},
    {M_BAD_TOKEN, "unknown token deep in the tree", FDT_ERR_BADSTRUCT},
};

static void test_bad_blob_leaves_info_alone(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof bad_blobs / sizeof bad_blobs[0]; i++) {
		size_t n;
		uint8_t *b = ht_load_dtb("virt-gicv3.dtb", &n);
		uint8_t *s = b + ht_get32(b + HT_OFF_STRUCT);
		const void *blob = b;
		uint64_t max = n;

		switch (bad_blobs[i].m) {
		case M_NONE:
			break;
		case M_NULL:
			blob = NULL;
			break;
		case M_TINY:
			max = 39;
			break;
		case M_BAD_MAGIC:
			b[3] ^= 1;
			break;
		case M_TOTALSIZE_PAST_BUFFER:
			max = ht_get32(b + HT_TOTALSIZE) - 1;
			break;
		case M_STRUCT_PAST_END:
			ht_put32(b + HT_OFF_STRUCT, (uint32_t)n);
			break;
		case M_PROP_LEN_PAST_BLOCK:
			ht_put32(s + ht_find_prop(b, "chosen", "stdout-path") + 4, 0x10000000);
			break;
		case M_NAMEOFF_PAST_STRINGS:
			ht_put32(s + ht_find_prop(b, "chosen", "stdout-path") + 8,
				 ht_get32(b + HT_SIZE_STRINGS));
			break;
		case M_BAD_TOKEN:
			/* The last END_NODE before END: everything reads fine
			 * until the very end of the walk. */
			ht_put32(s + ht_find_token(b, HT_END, 0) - 4, 0x7);
			break;
		}

		struct boot_info bi, before;
		board_defaults(&bi);
		memcpy(&before, &bi, sizeof bi);
		ht_warn_reset();
		int err = dtinfo_parse(blob, max, &bi, ht_warn);
		if (err != bad_blobs[i].err)
			fail_msg("%s: got %d (%s), want %d", bad_blobs[i].what, err,
				 fdt_strerror(err), bad_blobs[i].err);
		if (memcmp(&bi, &before, sizeof bi) != 0)
			fail_msg("%s: boot_info changed", bad_blobs[i].what);
		assert_int_equal(ht_nwarn(), 0);
		free(b);
	}

	/* Too deep: structurally fine at the top, refused as a whole. */
	struct boot_info bi, before;
	assert_int_equal(parse_file("deep.dtb", &bi), FDT_ERR_TOODEEP);
	board_defaults(&before);
	assert_memory_equal(&bi, &before, sizeof bi);
}

static void test_ram_size(void **state)
{
	struct boot_info bi;
	(void)state;
	memset(&bi, 0, sizeof bi);
	assert_int_equal(dtinfo_ram_size(&bi), 0);
	bi.nmem = 2;
	bi.mem[0] = (struct mem_range){0, 3 * GiB};
	bi.mem[1] = (struct mem_range){0x100000000ULL, 5 * GiB};
	bi.mem[2] = (struct mem_range){0, 99}; /* beyond nmem: not counted */
	assert_true(dtinfo_ram_size(&bi) == 8 * GiB);
}

int main(void)
{
	struct CMUnitTest tests[] = {
	    /* One named test per QEMU tree; the case is the initial state. */
	    {"virt-gicv2", test_virt, NULL, NULL, (void *)&virt_cases[0]},
	    {"virt-gicv3", test_virt, NULL, NULL, (void *)&virt_cases[1]},
	    {"virt-el2", test_virt, NULL, NULL, (void *)&virt_cases[2]},
	    {"virt-gicv3-smp16", test_virt, NULL, NULL, (void *)&virt_cases[3]},
	    cmocka_unit_test(test_rpi4),
	    cmocka_unit_test(test_many_cpus),
	    cmocka_unit_test(test_odd),
	    cmocka_unit_test(test_sparse),
	    cmocka_unit_test(test_short_gic_node),
	    cmocka_unit_test(test_bad_blob_leaves_info_alone),
	    cmocka_unit_test(test_ram_size),
	};
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
