/*
 * test_fdt.c — kernel/firmware/fdt.c, the bounds-checked device-tree reader.
 *
 * Good trees: QEMU's virt trees and tests/host/dts/rpi4.dts (node walking,
 * parents, siblings, paths, properties of every shape, compatible lists,
 * phandles, #address-cells/#size-cells, "reg" translated through bus "ranges",
 * the memory reservation block).
 *
 * Broken trees, made in C from good ones: each header field out of range, a
 * property length running past the block, a name offset past the strings
 * block, a property name left unterminated at the very end of the blob, an
 * unterminated node name, nesting past the depth limit; then every truncation
 * length, every token replaced, and a few thousand random byte flips.  Each
 * broken blob is copied into a heap buffer of exactly its size and pushed
 * through fdt_open, a walk that calls every reader function on every node,
 * and dtinfo_parse: ASan/UBSan catch any stray read, the walk checks that
 * every answer points inside the blob and agrees with the others, and
 * dtinfo_parse must either fail leaving the caller's boot_info untouched or
 * give one whose counts and strings are in range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel/firmware/dtinfo.h"
#include "kernel/firmware/fdt.h"
#include "tests/host/hosttest.h"

#define RPI4 "rpi4.dtb"
#define VIRT "virt-gicv3.dtb"

static uint8_t *load(const char *name, size_t *size, struct fdt *f)
{
	uint8_t *b = ht_load_dtb(name, size);
	assert_int_equal(fdt_open(f, b, *size), 0);
	return b;
}

static int node_at(const struct fdt *f, const char *path)
{
	int off = fdt_path_offset(f, path);
	if (off < 0)
		fail_msg("%s: %s", path, fdt_strerror(off));
	return off;
}

/* ---------------------------------------------------------------- good trees */

static void test_open_good(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	assert_ptr_equal(f.blob, b);
	assert_int_equal(f.size, size);
	assert_ptr_equal(f.structs, b + ht_get32(b + HT_OFF_STRUCT));
	assert_int_equal(f.struct_size, ht_get32(b + HT_SIZE_STRUCT));
	assert_ptr_equal(f.strings, (const char *)b + ht_get32(b + HT_OFF_STRINGS));
	assert_int_equal(f.strings_size, ht_get32(b + HT_SIZE_STRINGS));
	/* Two /memreserve/ entries plus the terminator fit before the structs. */
	assert_ptr_equal(f.rsvmap, b + ht_get32(b + HT_OFF_RSVMAP));
	assert_true(f.rsvmap_size >= 3 * 16);
	assert_true(f.rsvmap + f.rsvmap_size <= f.structs);

	/* max_size bounds totalsize: exactly enough, or unknown, both work. */
	assert_int_equal(fdt_open(&f, b, SIZE_MAX), 0);
	assert_int_equal(fdt_open(&f, b, size - 1), FDT_ERR_TRUNCATED);
	free(b);
}

static void test_strerror(void **state)
{
	static const int codes[] = {FDT_ERR_NOTFOUND,  FDT_ERR_BADMAGIC,  FDT_ERR_BADVERSION,
				    FDT_ERR_TRUNCATED, FDT_ERR_BADSTRUCT, FDT_ERR_TOODEEP};
	const int n = sizeof codes / sizeof codes[0];
	(void)state;

	for (int i = 0; i < n; i++) {
		assert_non_null(fdt_strerror(codes[i]));
		assert_string_not_equal(fdt_strerror(codes[i]), "unknown error");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(fdt_strerror(codes[i]), fdt_strerror(codes[j]));
	}
	assert_string_equal(fdt_strerror(0), "unknown error");
	assert_string_equal(fdt_strerror(-1000), "unknown error");
}

/* The root's children, in the order rpi4.dts lists them. */
static const char *const rpi4_top[] = {
    "aliases", "chosen", "memory@0", "memory@100000000", "reserved-memory", "psci",
    "cpus",    "soc",	 "scb",	     "allstop-test"};

static void test_children_and_siblings(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);
	const int ntop = sizeof rpi4_top / sizeof rpi4_top[0];

	/* Siblings must be found after leaves (psci) and after nodes with
	 * children (reserved-memory, cpus) alike. */
	int i = 0;
	for (int c = fdt_first_child(&f, 0); c >= 0; c = fdt_next_sibling(&f, c), i++) {
		assert_true(i < ntop);
		assert_string_equal(fdt_node_name(&f, c), rpi4_top[i]);
		assert_int_equal(fdt_parent(&f, c), 0);
	}
	assert_int_equal(i, ntop);

	int cpus = node_at(&f, "/cpus");
	const char *want[] = {"cpu@0", "cpu@1", "cpu@2", "cpu@3", "l2-cache0"};
	i = 0;
	for (int c = fdt_first_child(&f, cpus); c >= 0; c = fdt_next_sibling(&f, c), i++) {
		assert_true(i < 5);
		assert_string_equal(fdt_node_name(&f, c), want[i]);
	}
	assert_int_equal(i, 5);

	/* Ends: a leaf has no child, the last child no sibling, the root neither
	 * a sibling nor a parent. */
	int leaf = node_at(&f, "/psci");
	assert_int_equal(fdt_first_child(&f, leaf), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_next_sibling(&f, node_at(&f, "/allstop-test")), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_next_sibling(&f, node_at(&f, "/cpus/l2-cache0")), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_next_sibling(&f, 0), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_parent(&f, 0), FDT_ERR_NOTFOUND);
	assert_string_equal(fdt_node_name(&f, 0), "");
	assert_null(fdt_node_name(&f, -4));
	assert_null(fdt_node_name(&f, 4)); /* not a BEGIN_NODE token */
	free(b);
}

/* Node count and deepest level by fdt_next_node, against the tests' own
 * independent token scan. */
static void check_walk_counts(const char *name, int want_depth)
{
	size_t size;
	struct fdt f;
	uint8_t *b = load(name, &size, &f);
	int n = 1, depth = 0, deepest = 0, off = 0;

	while ((off = fdt_next_node(&f, off, &depth)) >= 0) {
		n++;
		if (depth > deepest)
			deepest = depth;
	}
	assert_int_equal(off, FDT_ERR_NOTFOUND);
	assert_int_equal(depth, -1); /* walked out past the root's END_NODE */

	int tokens = 0;
	while (ht_find_token(b, HT_BEGIN_NODE, tokens) >= 0)
		tokens++;
	assert_int_equal(n, tokens);
	assert_int_equal(deepest, want_depth);

	/* Without depth tracking the walk runs to the END token. */
	int m = 1;
	for (off = 0; (off = fdt_next_node(&f, off, NULL)) >= 0;)
		m++;
	assert_int_equal(m, tokens);
	free(b);
}

static void test_walk_counts(void **state)
{
	(void)state;
	check_walk_counts(RPI4, 3); /* /soc/i2c@7e804000/eeprom@50 */
	check_walk_counts("virt-gicv2.dtb", 5); /* /cpus/cpu-map/socket0/cluster0/core0 */
	check_walk_counts("virt-gicv3-smp16.dtb", 5);
}

static void test_parent(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	int soc = node_at(&f, "/soc");
	int i2c = node_at(&f, "/soc/i2c@7e804000");
	int eeprom = node_at(&f, "/soc/i2c@7e804000/eeprom@50");
	assert_int_equal(fdt_parent(&f, eeprom), i2c);
	assert_int_equal(fdt_parent(&f, i2c), soc);
	assert_int_equal(fdt_parent(&f, soc), 0);
	assert_int_equal(fdt_parent(&f, eeprom + 4), FDT_ERR_NOTFOUND); /* not a node */
	free(b);
}

static void test_path_offset(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	assert_int_equal(fdt_path_offset(&f, "/"), 0);
	assert_string_equal(fdt_node_name(&f, node_at(&f, "/cpus/cpu@2")), "cpu@2");
	/* Without "@unit" a component matches the first node of that name. */
	assert_string_equal(fdt_node_name(&f, node_at(&f, "/cpus/cpu")), "cpu@0");
	assert_string_equal(fdt_node_name(&f, node_at(&f, "/soc/serial")), "serial@7e201000");
	assert_string_equal(fdt_node_name(&f, node_at(&f, "/soc/serial@7e201400")),
			    "serial@7e201400");
	/* Repeated and trailing slashes are harmless. */
	assert_int_equal(fdt_path_offset(&f, "//soc//serial@7e215040/"),
			 node_at(&f, "/soc/serial@7e215040"));
	assert_int_equal(fdt_path_offset(&f, "/reserved-memory/linux,cma"),
			 fdt_first_child(&f, node_at(&f, "/reserved-memory")));

	/* Misses: a unit-address prefix, a unit on a node that has none, a
	 * relative path, a node that is not there, a path through a leaf. */
	assert_int_equal(fdt_path_offset(&f, "/soc/serial@7e2014"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, "/soc@7e000000"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, "/cpu"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, "cpus"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, ""), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, NULL), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, "/nonexistent"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(&f, "/psci/x"), FDT_ERR_NOTFOUND);
	free(b);
}

static void test_getprop(void **state)
{
	size_t size;
	struct fdt f;
	int len;
	uint32_t v;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);
	int t = node_at(&f, "/allstop-test");

	assert_string_equal(fdt_getprop_string(&f, t, "str"), "hello");
	const char *s = fdt_getprop(&f, t, "str", &len);
	assert_int_equal(len, 6);
	assert_memory_equal(s, "hello", 6);

	/* A string list reads as its first string. */
	assert_string_equal(fdt_getprop_string(&f, t, "strlist"), "first");
	fdt_getprop(&f, t, "strlist", &len);
	assert_int_equal(len, sizeof "first" + sizeof "second" + sizeof "third");

	assert_true(fdt_getprop_u32(&f, t, "u32", &v));
	assert_int_equal(v, 0xdeadbeef);
	v = 7;
	assert_false(fdt_getprop_u32(&f, t, "u64", &v)); /* 8 bytes is not a u32 */
	assert_false(fdt_getprop_u32(&f, t, "bytes", &v));
	assert_false(fdt_getprop_u32(&f, t, "missing", &v));
	assert_int_equal(v, 7);
	const void *p = fdt_getprop(&f, t, "u64", &len);
	assert_int_equal(len, 8);
	assert_true(fdt_read_cells(p, 2) == 0x1122334455667788ULL);
	assert_int_equal(fdt_read_cells(p, 1), 0x11223344);

	/* Not NUL-terminated inside its value: not a string. */
	assert_null(fdt_getprop_string(&f, t, "bytes"));
	assert_non_null(fdt_getprop(&f, t, "bytes", &len));
	assert_int_equal(len, 3);

	/* An empty property is present, with length 0, and not a string. */
	assert_non_null(fdt_getprop(&f, t, "empty", &len));
	assert_int_equal(len, 0);
	assert_null(fdt_getprop_string(&f, t, "empty"));

	assert_null(fdt_getprop(&f, t, "missing", &len));
	assert_int_equal(len, FDT_ERR_NOTFOUND);
	assert_null(fdt_getprop(&f, t, "missing", NULL));
	assert_null(fdt_getprop(&f, -1, "str", &len));

	/* A node's properties only, not its children's nor its parent's. */
	assert_null(fdt_getprop(&f, 0, "str", &len));
	assert_null(fdt_getprop(&f, node_at(&f, "/soc"), "interrupts", &len));
	assert_null(fdt_getprop(&f, node_at(&f, "/soc/serial@7e201000"), "#address-cells", &len));
	free(b);
}

static void test_compatible(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);
	int uart0 = node_at(&f, "/soc/serial@7e201000");

	assert_true(fdt_is_compatible(&f, uart0, "arm,pl011"));
	assert_true(fdt_is_compatible(&f, uart0, "arm,primecell")); /* second entry */
	assert_false(fdt_is_compatible(&f, uart0, "arm,pl01")); /* prefix */
	assert_false(fdt_is_compatible(&f, uart0, "arm,pl0111"));
	assert_false(fdt_is_compatible(&f, node_at(&f, "/chosen"), "arm,pl011"));

	/* Every PL011, in document order, then the end. */
	int first = fdt_find_compatible(&f, -1, "arm,pl011");
	assert_int_equal(first, uart0);
	int second = fdt_find_compatible(&f, first, "arm,pl011");
	assert_int_equal(second, node_at(&f, "/soc/serial@7e201400"));
	assert_int_equal(fdt_find_compatible(&f, second, "arm,pl011"), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_find_compatible(&f, -1, "no,such-device"), FDT_ERR_NOTFOUND);
	/* The root itself can match. */
	assert_int_equal(fdt_find_compatible(&f, -1, "brcm,bcm2711"), 0);
	free(b);
}

static void test_phandle(void **state)
{
	size_t size;
	struct fdt f;
	uint32_t ph;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	assert_true(fdt_getprop_u32(&f, node_at(&f, "/allstop-test"), "gic-ref", &ph));
	assert_int_equal(fdt_node_by_phandle(&f, ph), node_at(&f, "/soc/interrupt-controller"));
	assert_int_equal(fdt_node_by_phandle(&f, 0xdead), FDT_ERR_NOTFOUND);
	free(b);
}

static void test_cells(void **state)
{
	size_t size;
	struct fdt f;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	assert_int_equal(fdt_address_cells(&f, node_at(&f, "/memory@0")), 2);
	assert_int_equal(fdt_size_cells(&f, node_at(&f, "/memory@0")), 1);
	assert_int_equal(fdt_address_cells(&f, node_at(&f, "/soc/serial")), 1);
	assert_int_equal(fdt_size_cells(&f, node_at(&f, "/soc/serial")), 1);
	assert_int_equal(fdt_address_cells(&f, node_at(&f, "/cpus/cpu@1")), 1);
	assert_int_equal(fdt_size_cells(&f, node_at(&f, "/cpus/cpu@1")), 0);
	free(b);

	/* A parent without the properties gives the specification's 2 and 1. */
	b = load("virt-gicv2.dtb", &size, &f);
	int socket = node_at(&f, "/cpus/cpu-map/socket0/cluster0");
	assert_int_equal(fdt_address_cells(&f, socket), 2);
	assert_int_equal(fdt_size_cells(&f, socket), 1);
	free(b);
}

static void expect_reg(const struct fdt *f, const char *path, int index, uint64_t addr,
		       uint64_t size)
{
	uint64_t a = 1, s = 1;
	int err = fdt_get_reg(f, node_at(f, path), index, &a, &s);
	if (err)
		fail_msg("%s reg[%d]: %s", path, index, fdt_strerror(err));
	if (a != addr || s != size)
		fail_msg("%s reg[%d]: got %#llx+%#llx, want %#llx+%#llx", path, index,
			 (unsigned long long)a, (unsigned long long)s, (unsigned long long)addr,
			 (unsigned long long)size);
}

static void test_get_reg(void **state)
{
	size_t size;
	struct fdt f;
	uint64_t a, s;
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	/* /soc maps 0x7e000000 to 0xfe000000 and 0x40000000 to 0xff800000. */
	expect_reg(&f, "/soc/serial@7e201000", 0, 0xfe201000, 0x200);
	expect_reg(&f, "/soc/serial@7e201400", 0, 0xfe201400, 0x200);
	expect_reg(&f, "/soc/i2c@7e804000", 0, 0xfe804000, 0x1000);
	expect_reg(&f, "/soc/interrupt-controller", 0, 0xff841000, 0x1000);
	expect_reg(&f, "/soc/interrupt-controller", 1, 0xff842000, 0x2000);
	expect_reg(&f, "/soc/interrupt-controller", 3, 0xff846000, 0x2000);
	/* /scb: two-cell child addresses. */
	expect_reg(&f, "/scb/ethernet@7d580000", 0, 0xfd580000, 0x10000);
	expect_reg(&f, "/scb/pcie-window@600000000", 0, 0x600000000ULL, 0x1000);
	/* Root children are not translated; two address cells, one size cell. */
	expect_reg(&f, "/memory@0", 1, 0x40000000, 0xbc000000);
	expect_reg(&f, "/memory@100000000", 0, 0x100000000ULL, 0x80000000);

	int gic = node_at(&f, "/soc/interrupt-controller");
	assert_int_equal(fdt_get_reg(&f, gic, 4, &a, &s), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_get_reg(&f, gic, -1, &a, &s), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_get_reg(&f, node_at(&f, "/chosen"), 0, &a, &s), FDT_ERR_NOTFOUND);
	/* /cpus has no "ranges": a cpu's "reg" is an MPIDR, not an address. */
	assert_int_equal(fdt_get_reg(&f, node_at(&f, "/cpus/cpu@2"), 0, &a, &s), FDT_ERR_NOTFOUND);
	/* Outside every range of /scb, and behind an i2c bus (no "ranges"):
	 * there is no CPU address, and guessing one would be wrong. */
	assert_int_equal(fdt_get_reg(&f, node_at(&f, "/scb/stray"), 0, &a, &s), FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_get_reg(&f, node_at(&f, "/soc/i2c/eeprom@50"), 0, &a, &s),
			 FDT_ERR_NOTFOUND);
	free(b);

	/* QEMU's GIC node has an empty "ranges" (identity) above its ITS. */
	b = load(VIRT, &size, &f);
	expect_reg(&f, "/intc@8000000", 1, 0x080a0000, 0xf60000);
	expect_reg(&f, "/intc@8000000/its@8080000", 0, 0x08080000, 0x20000);
	free(b);
}

static void test_rsvmap(void **state)
{
	size_t size;
	struct fdt f;
	uint64_t r[4][2];
	(void)state;
	uint8_t *b = load(RPI4, &size, &f);

	memset(r, 0xff, sizeof r);
	assert_int_equal(fdt_get_rsvmap(&f, r, 4), 2);
	assert_true(r[0][0] == 0 && r[0][1] == 0x1000);
	assert_true(r[1][0] == 0x1f000000 && r[1][1] == 0x200000);
	assert_true(r[2][0] == ~0ULL); /* untouched past the count */
	assert_int_equal(fdt_get_rsvmap(&f, r, 1), 1);
	assert_int_equal(fdt_get_rsvmap(&f, r, 0), 0);
	free(b);

	b = load(VIRT, &size, &f);
	assert_int_equal(fdt_get_rsvmap(&f, r, 4), 0);
	free(b);
}

/* ---------------------------------------------------------------- the checker */

/* Every pointer the reader returns must lie inside the block it came from. */
static void assert_inside(const struct fdt *f, const void *p, size_t len)
{
	const uint8_t *q = p, *lo = f->structs, *hi = f->structs + f->struct_size;
	if (q < lo || q > hi || len > (size_t)(hi - q))
		fail_msg("pointer %p+%zu outside the structure block", p, len);
}

static const char *const props[] = {
    "reg",
    "compatible",
    "status",
    "device_type",
    "#address-cells",
    "#size-cells",
    "ranges",
    "interrupts",
    "phandle",
    "bootargs",
    "stdout-path",
    "model",
    "method",
    "cpu_on",
    "cpu-release-addr",
    "enable-method",
    "#redistributor-regions",
};

/* Call every per-node reader on node; with thorough, the tree-walking ones
 * (parent, child, sibling, cells, reg) too, whose answers must agree with
 * the walk: parent is the node one level up. */
static void visit(const struct fdt *f, int node, int parent, bool thorough)
{
	const char *name = fdt_node_name(f, node);
	assert_non_null(name); /* the walk validated it */
	assert_inside(f, name, strlen(name) + 1);

	for (unsigned i = 0; i < sizeof props / sizeof props[0]; i++) {
		int len;
		const void *p = fdt_getprop(f, node, props[i], &len);
		if (p) {
			assert_true(len >= 0);
			assert_inside(f, p, (size_t)len);
		} else {
			assert_true(len < 0);
		}
		const char *s = fdt_getprop_string(f, node, props[i]);
		if (s)
			assert_inside(f, s, strlen(s) + 1);
		uint32_t v;
		fdt_getprop_u32(f, node, props[i], &v);
	}
	fdt_is_compatible(f, node, "arm,pl011");
	fdt_is_compatible(f, node, "");

	if (!thorough)
		return;
	if (node != 0)
		assert_int_equal(fdt_parent(f, node), parent);
	int c = fdt_first_child(f, node);
	if (c >= 0)
		assert_true(c > node);
	int s = fdt_next_sibling(f, node);
	if (s >= 0)
		assert_true(s > node);
	fdt_address_cells(f, node);
	fdt_size_cells(f, node);
	for (int i = 0; i < 3; i++) {
		uint64_t a, sz;
		fdt_get_reg(f, node, i, &a, &sz);
	}
}

#define WALK_MAX_DEPTH 32 /* FDT_MAX_DEPTH in fdt.c */

/* Walk the whole tree with every reader; returns how the walk ended
 * (FDT_ERR_NOTFOUND when it reached the end cleanly). */
static int full_walk(const struct fdt *f, bool thorough)
{
	int stack[WALK_MAX_DEPTH + 1];
	int depth = 0, off = 0;

	stack[0] = 0;
	visit(f, 0, -1, thorough);
	while ((off = fdt_next_node(f, off, &depth)) >= 0) {
		assert_true(off % 4 == 0 && (uint32_t)off < f->struct_size);
		assert_in_range(depth, 1, WALK_MAX_DEPTH);
		stack[depth] = off;
		visit(f, off, stack[depth - 1], thorough);
	}
	assert_true(off < 0);

	static const char *const paths[] = {"/cpus/cpu@0", "/chosen", "/soc/serial",
					    "/aliases",	   "/psci",   "/memory"};
	for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		int n = fdt_path_offset(f, paths[i]);
		if (n >= 0)
			assert_non_null(fdt_node_name(f, n));
	}
	/* Compatible search moves strictly forward. */
	int prev = -1, found = 0;
	for (int n = fdt_find_compatible(f, -1, "arm,pl011"); n >= 0;
	     n = fdt_find_compatible(f, n, "arm,pl011")) {
		assert_true(n > prev);
		prev = n;
		assert_true(++found <= 4096);
	}
	for (uint32_t ph = 0; ph < 4; ph++)
		fdt_node_by_phandle(f, ph);
	uint64_t r[8][2];
	int n = fdt_get_rsvmap(f, r, 8);
	assert_in_range(n, 0, 8);
	assert_true((uint32_t)n * 16 <= f->rsvmap_size);
	return off;
}

/* Board defaults a caller might pre-fill, in the ranges check_boot_info
 * accepts, so a parse that leaves a field alone still passes the check. */
static void prefill(struct boot_info *bi)
{
	memset(bi, 0, sizeof *bi);
	bi->nmem = 1;
	bi->mem[0] = (struct mem_range){0x40000000, 128 << 20};
	bi->ncpus = 1;
	bi->gic_version = 2;
	bi->gicd = 0x08000000;
	bi->gicc = 0x08010000;
	bi->uart = 0x09000000;
	bi->uart_irq = 33;
	strcpy(bi->model, "board defaults");
}

static bool has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_boot_info(const struct boot_info *bi)
{
	assert_in_range(bi->nmem, 0, DT_MAX_RANGES);
	assert_in_range(bi->nreserved, 0, DT_MAX_RANGES);
	assert_in_range(bi->ncpus, 1, DT_MAX_CPUS);
	assert_true(bi->cpus_ignored >= 0);
	for (int i = 0; i < bi->ncpus; i++)
		assert_in_range(bi->cpu_enable[i], CPU_ENABLE_NONE, CPU_ENABLE_SPIN_TABLE);
	assert_in_range(bi->psci, PSCI_NONE, PSCI_SMC);
	assert_true(bi->gic_version == 2 || bi->gic_version == 3);
	assert_in_range(bi->ngicr, 0, DT_MAX_GICR);
	/* -1 or a GIC INTID (PPIs 16-31, SPIs 32-1019). */
	assert_true(bi->uart_irq == -1 || (bi->uart_irq >= 16 && bi->uart_irq < 1020));
	assert_true(has_nul(bi->bootargs, sizeof bi->bootargs));
	assert_true(has_nul(bi->model, sizeof bi->model));
	assert_true(!bi->have_bootargs || bi->bootargs[0]);
}

/* dtinfo_parse on a possibly broken blob: a failure must leave the caller's
 * data exactly as it was, a success must be in range.  Returns the result. */
static int check_parse(const uint8_t *b, size_t n, struct boot_info *out)
{
	struct boot_info bi, before;
	prefill(&bi);
	memcpy(&before, &bi, sizeof bi); /* padding too: compared with memcmp */
	ht_warn_reset();
	int err = dtinfo_parse(b, n, &bi, ht_warn);
	if (err < 0) {
		assert_memory_equal(&bi, &before, sizeof bi);
		assert_int_equal(ht_nwarn(), 0);
	} else {
		assert_int_equal(err, 0);
		check_boot_info(&bi);
	}
	if (out)
		memcpy(out, &bi, sizeof bi);
	return err;
}

/* The whole battery on one blob of exactly n bytes. */
static void check_blob(const uint8_t *b, size_t n, bool thorough)
{
	struct fdt f;
	if (fdt_open(&f, b, n) == 0)
		full_walk(&f, thorough);
	check_parse(b, n, NULL);
}

/* A modified copy of a blob: the caller edits it, then runs check_blob. */
static uint8_t *copy_of(const char *name, size_t *size)
{
	size_t n;
	uint8_t *good = ht_load_dtb(name, &n);
	uint8_t *b = ht_dup(good, n);
	free(good);
	*size = n;
	return b;
}

static void test_checker_on_good_trees(void **state)
{
	static const char *const names[] = {RPI4,	    "virt-gicv2.dtb", "virt-gicv3.dtb",
					    "virt-el2.dtb", "many-cpus.dtb",  "odd.dtb",
					    "sparse.dtb"};
	(void)state;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n;
		struct fdt f;
		uint8_t *b = load(names[i], &n, &f);
		assert_int_equal(full_walk(&f, true), FDT_ERR_NOTFOUND);
		assert_int_equal(check_parse(b, n, NULL), 0);
		free(b);
	}
}

/* ---------------------------------------------------------------- broken headers */

static int open_edited(const char *name, int field, uint32_t value)
{
	size_t n;
	struct fdt f;
	uint8_t *b = copy_of(name, &n);
	ht_put32(b + field, value);
	int err = fdt_open(&f, b, n);
	check_blob(b, n, true);
	free(b);
	return err;
}

static void test_bad_header(void **state)
{
	size_t n;
	struct fdt f;
	(void)state;
	uint8_t *b = copy_of(RPI4, &n);
	uint32_t total = (uint32_t)n;
	uint32_t os = ht_get32(b + HT_OFF_STRUCT), ss = ht_get32(b + HT_SIZE_STRUCT);
	uint32_t ostr = ht_get32(b + HT_OFF_STRINGS);

	assert_int_equal(fdt_open(&f, NULL, n), FDT_ERR_TRUNCATED);
	assert_int_equal(fdt_open(&f, b, 39), FDT_ERR_TRUNCATED);
	assert_int_equal(fdt_open(&f, b, 0), FDT_ERR_TRUNCATED);
	free(b);

	assert_int_equal(open_edited(RPI4, HT_MAGIC, 0xedfe0dd0), FDT_ERR_BADMAGIC);
	assert_int_equal(open_edited(RPI4, HT_MAGIC, 0), FDT_ERR_BADMAGIC);
	assert_int_equal(open_edited(RPI4, HT_VERSION, 15), FDT_ERR_BADVERSION);
	assert_int_equal(open_edited(RPI4, HT_LAST_COMP, 18), FDT_ERR_BADVERSION);
	assert_int_equal(open_edited(RPI4, HT_VERSION, 16), 0);

	/* totalsize larger than the buffer, or smaller than a header. */
	assert_int_equal(open_edited(RPI4, HT_TOTALSIZE, total + 1), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_TOTALSIZE, 0xffffffff), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_TOTALSIZE, 39), FDT_ERR_TRUNCATED);

	/* Blocks starting or ending past totalsize, including by wrapping. */
	assert_int_equal(open_edited(RPI4, HT_OFF_STRUCT, total + 4), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRUCT, total - os + 4), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRUCT, 0xfffffffc), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_OFF_STRINGS, total + 1), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRINGS, total - ostr + 1), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRINGS, 0xffffffff), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_OFF_RSVMAP, total + 8), FDT_ERR_TRUNCATED);
	assert_int_equal(open_edited(RPI4, HT_OFF_RSVMAP, 32), FDT_ERR_TRUNCATED); /* in header */

	/* Misaligned or too small. */
	assert_int_equal(open_edited(RPI4, HT_OFF_STRUCT, os + 2), FDT_ERR_BADSTRUCT);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRUCT, ss - 2), FDT_ERR_BADSTRUCT);
	assert_int_equal(open_edited(RPI4, HT_SIZE_STRUCT, 4), FDT_ERR_BADSTRUCT);
	assert_int_equal(open_edited(RPI4, HT_OFF_RSVMAP, 44), FDT_ERR_BADSTRUCT);
	/* A structure block that does not open with the root node. */
	assert_int_equal(open_edited(RPI4, HT_OFF_STRUCT, os + 4), FDT_ERR_BADSTRUCT);
}

/* ---------------------------------------------------------------- broken blocks */

static uint8_t *struct_block(uint8_t *b)
{
	return b + ht_get32(b + HT_OFF_STRUCT);
}

static void test_prop_len_past_block(void **state)
{
	/* 0 stands for "one byte more than the block holds"; the others also
	 * wrap a 32-bit offset + length sum. */
	static const uint32_t lens[] = {0, 0x7ffffff0, 0xfffffff4, 0xffffffff};
	(void)state;
	for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t n;
		struct fdt f;
		int len;
		uint8_t *b = copy_of(RPI4, &n);
		/* The root's first property is "model". */
		long prop = ht_find_prop(b, "", "model");
		assert_true(prop >= 0);
		uint32_t ss = ht_get32(b + HT_SIZE_STRUCT);
		uint32_t past = ss - (uint32_t)prop - 12 + 1; /* one byte past the block */
		ht_put32(struct_block(b) + prop + 4, lens[i] ? lens[i] : past);

		assert_int_equal(fdt_open(&f, b, n), 0); /* the header is fine */
		assert_int_equal(full_walk(&f, true), FDT_ERR_BADSTRUCT);
		assert_null(fdt_getprop(&f, 0, "model", &len));
		assert_int_equal(len, FDT_ERR_BADSTRUCT);
		assert_int_equal(fdt_next_node(&f, 0, NULL), FDT_ERR_BADSTRUCT);
		assert_int_equal(check_parse(b, n, NULL), FDT_ERR_BADSTRUCT);
		free(b);
	}
}

static void test_nameoff_past_strings(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		size_t n;
		struct fdt f;
		int len;
		uint8_t *b = copy_of(RPI4, &n);
		long prop = ht_find_prop(b, "", "model");
		uint32_t sstr = ht_get32(b + HT_SIZE_STRINGS);
		uint32_t bad[] = {sstr, sstr + 1000, 0xffffffff};
		ht_put32(struct_block(b) + prop + 8, bad[i]);

		assert_int_equal(fdt_open(&f, b, n), 0);
		assert_null(fdt_getprop(&f, 0, "model", &len));
		assert_int_equal(len, FDT_ERR_BADSTRUCT);
		assert_int_equal(full_walk(&f, true), FDT_ERR_BADSTRUCT);
		assert_int_equal(check_parse(b, n, NULL), FDT_ERR_BADSTRUCT);
		free(b);
	}
}

/* The strings block is last in a dtc blob; cutting its final byte leaves the
 * last property name without its NUL, right at the end of the buffer. */
static void test_name_unterminated_at_end(void **state)
{
	size_t n;
	struct fdt f;
	int len;
	(void)state;
	uint8_t *good = ht_load_dtb(RPI4, &n);
	uint32_t ostr = ht_get32(good + HT_OFF_STRINGS), sstr = ht_get32(good + HT_SIZE_STRINGS);
	assert_int_equal(ostr + sstr, n);
	/* The last name: back from the final NUL to the one before it. */
	const char *strings = (const char *)good + ostr;
	uint32_t start = sstr - 1;
	while (start > 0 && strings[start - 1])
		start--;
	char last[64];
	strcpy(last, strings + start);
	assert_string_equal(last, "gic-ref"); /* the last new name in rpi4.dts */

	uint8_t *b = ht_dup(good, n - 1);
	ht_put32(b + HT_TOTALSIZE, (uint32_t)n - 1);
	ht_put32(b + HT_SIZE_STRINGS, sstr - 1);
	assert_int_equal(fdt_open(&f, b, n - 1), 0);
	int t = node_at(&f, "/allstop-test");
	assert_null(fdt_getprop(&f, t, last, &len));
	assert_int_equal(len, FDT_ERR_BADSTRUCT);
	/* Names before it still read. */
	assert_string_equal(fdt_getprop_string(&f, t, "str"), "hello");
	check_blob(b, n - 1, true);
	free(b);
	free(good);
}

static void test_unterminated_node_name(void **state)
{
	size_t n;
	struct fdt f;
	(void)state;
	uint8_t *b = copy_of(RPI4, &n);
	uint8_t *s = struct_block(b);
	uint32_t ss = ht_get32(b + HT_SIZE_STRUCT);
	/* The last node's name runs on to the end of the structure block. */
	int last = 0;
	while (ht_find_token(b, HT_BEGIN_NODE, last + 1) >= 0)
		last++;
	long node = ht_find_token(b, HT_BEGIN_NODE, last);
	assert_string_equal((const char *)s + node + 4, "allstop-test");
	memset(s + node + 4, 'x', ss - (uint32_t)node - 4);

	assert_int_equal(fdt_open(&f, b, n), 0);
	assert_null(fdt_node_name(&f, (int)node));
	assert_int_equal(fdt_path_offset(&f, "/allstop-test"), FDT_ERR_BADSTRUCT);
	assert_int_equal(full_walk(&f, true), FDT_ERR_BADSTRUCT);
	assert_int_equal(check_parse(b, n, NULL), FDT_ERR_BADSTRUCT);
	/* Nodes before it are still reachable by path. */
	assert_true(fdt_path_offset(&f, "/soc/serial@7e201000") > 0);
	free(b);
}

static void test_too_deep(void **state)
{
	size_t n;
	struct fdt f;
	(void)state;
	uint8_t *b = load("deep.dtb", &n, &f);
	int depth = 0, off = 0;
	while ((off = fdt_next_node(&f, off, &depth)) >= 0)
		;
	assert_int_equal(off, FDT_ERR_TOODEEP);
	assert_int_equal(check_parse(b, n, NULL), FDT_ERR_TOODEEP);
	/* Looking up the deepest node must fail cleanly, not overflow a stack. */
	int leaf = 0;
	for (off = 0; (off = fdt_next_node(&f, off, NULL)) >= 0;)
		leaf = off;
	assert_int_equal(fdt_parent(&f, leaf), FDT_ERR_TOODEEP);
	uint64_t a, s;
	assert_true(fdt_get_reg(&f, leaf, 0, &a, &s) < 0);
	check_blob(b, n, true);
	free(b);
}

/* ---------------------------------------------------------------- bulk damage */

/*
 * Cut the blob at every length.  As is, the header then claims more than the
 * buffer holds and fdt_open must refuse; with the header patched to match the
 * cut, the damage is inside the blocks and must be found there.
 */
static void truncate_everywhere(const char *name, bool thorough)
{
	size_t n;
	struct boot_info whole, got;
	uint8_t *good = ht_load_dtb(name, &n);
	size_t size = ht_pack(good);
	assert_int_equal(check_parse(good, size, &whole), 0);

	for (size_t len = 0; len <= size; len++) {
		struct fdt f;
		uint8_t *b = ht_dup(good, len);
		int err = fdt_open(&f, b, len);
		if (len < size) {
			assert_int_equal(err, FDT_ERR_TRUNCATED);
			assert_true(check_parse(b, len, NULL) < 0);
		} else {
			assert_int_equal(err, 0);
			assert_int_equal(check_parse(b, len, &got), 0);
			assert_memory_equal(&got, &whole, sizeof got);
		}

		if (len >= 40) {
			uint32_t os = ht_get32(b + HT_OFF_STRUCT),
				 ss = ht_get32(b + HT_SIZE_STRUCT);
			uint32_t ostr = ht_get32(b + HT_OFF_STRINGS);
			uint32_t sstr = ht_get32(b + HT_SIZE_STRINGS);
			if (os + ss > len)
				ss = len > os ? (uint32_t)(len - os) & ~3u : 0;
			if (ostr + sstr > len)
				sstr = len > ostr ? (uint32_t)(len - ostr) : 0;
			ht_put32(b + HT_TOTALSIZE, (uint32_t)len);
			ht_put32(b + HT_SIZE_STRUCT, ss);
			ht_put32(b + HT_SIZE_STRINGS, sstr);
			check_blob(b, len, thorough);
		}
		free(b);
	}
	free(good);
}

static void test_truncated_rpi4(void **state)
{
	(void)state;
	truncate_everywhere(RPI4, true);
}

static void test_truncated_virt(void **state)
{
	(void)state;
	truncate_everywhere(VIRT, false);
}

/* Replace each token of the structure block in turn with each token value
 * (and two that are none): misplaced BEGIN/END_NODEs, PROPs whose length and
 * name offset are whatever follows, early ENDs. */
static void test_every_token_replaced(void **state)
{
	static const uint32_t repl[] = {HT_BEGIN_NODE, HT_END_NODE, HT_PROP,   HT_NOP,
					HT_END,	       0,	    0xffffffff};
	size_t n;
	(void)state;
	uint8_t *good = ht_load_dtb(RPI4, &n);
	uint32_t ss = ht_get32(good + HT_SIZE_STRUCT);

	/* Every 4-byte word, not just token positions: the walk may be led
	 * into names and values. */
	for (uint32_t off = 0; off + 4 <= ss; off += 4) {
		for (unsigned r = 0; r < sizeof repl / sizeof repl[0]; r++) {
			uint8_t *b = ht_dup(good, n);
			ht_put32(struct_block(b) + off, repl[r]);
			check_blob(b, n, false);
			free(b);
		}
	}
	free(good);
}

static void flip_bytes(const char *name, int iterations, uint32_t seed, bool thorough)
{
	size_t n;
	uint8_t *good = ht_load_dtb(name, &n);
	size_t size = ht_pack(good);

	for (int i = 0; i < iterations; i++) {
		uint8_t *b = ht_dup(good, size);
		int flips = 1 + (int)(ht_rand(&seed) % 4);
		for (int k = 0; k < flips; k++)
			b[ht_rand(&seed) % size] ^= (uint8_t)(1 + ht_rand(&seed) % 255);
		check_blob(b, size, thorough);
		free(b);
	}
	free(good);
}

static void test_random_flips_rpi4(void **state)
{
	(void)state;
	flip_bytes(RPI4, 3000, 0x2545f491, true);
}

static void test_random_flips_virt(void **state)
{
	(void)state;
	flip_bytes(VIRT, 2000, 0x9e3779b9, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_good),
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_children_and_siblings),
	    cmocka_unit_test(test_walk_counts),
	    cmocka_unit_test(test_parent),
	    cmocka_unit_test(test_path_offset),
	    cmocka_unit_test(test_getprop),
	    cmocka_unit_test(test_compatible),
	    cmocka_unit_test(test_phandle),
	    cmocka_unit_test(test_cells),
	    cmocka_unit_test(test_get_reg),
	    cmocka_unit_test(test_rsvmap),
	    cmocka_unit_test(test_checker_on_good_trees),
	    cmocka_unit_test(test_bad_header),
	    cmocka_unit_test(test_prop_len_past_block),
	    cmocka_unit_test(test_nameoff_past_strings),
	    cmocka_unit_test(test_name_unterminated_at_end),
	    cmocka_unit_test(test_unterminated_node_name),
	    cmocka_unit_test(test_too_deep),
	    cmocka_unit_test(test_truncated_rpi4),
	    cmocka_unit_test(test_truncated_virt),
	    cmocka_unit_test(test_every_token_replaced),
	    cmocka_unit_test(test_random_flips_rpi4),
	    cmocka_unit_test(test_random_flips_virt),
	};
	ht_watchdog(120); /* about 4 s normally; generous for slow machines */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
