/*
 * dtinfo.c — turn a device tree into a struct boot_info.  See dtinfo.h.
 *
 * Each part of the machine is read by its own small function, and each one
 * warns and carries on when its part is missing or malformed: a tree with a bad
 * /psci node still gives us the RAM size and the UART.
 */
#include "dtinfo.h"
#include "fdt.h"

#include <stdio.h>
#include <string.h>

/* PSCI 0.2 and later fix the function ids; 0.1 names them in the node. */
#define PSCI_0_2_FN64_CPU_ON 0xc4000003u

static void warnf(dt_warn_fn warn, const char *fmt, const char *a, const char *b)
{
	char msg[160];
	if (!warn)
		return;
	snprintf(msg, sizeof msg, fmt, a, b);
	warn(msg);
}

static void read_memory(const struct fdt *f, struct boot_info *bi, dt_warn_fn warn)
{
	int found = 0;
	for (int off = 0; (off = fdt_next_node(f, off, NULL)) >= 0;) {
		const char *type = fdt_getprop_string(f, off, "device_type");
		if (!type || strcmp(type, "memory") != 0)
			continue;
		/* Secure-only RAM (QEMU virt,secure=on) is "disabled" to us. */
		const char *status = fdt_getprop_string(f, off, "status");
		if (status && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0)
			continue;
		for (int i = 0;; i++) {
			uint64_t base, size;
			int err = fdt_get_reg(f, off, i, &base, &size);
			if (err == FDT_ERR_NOTFOUND)
				break;
			if (err < 0) {
				warnf(warn, "memory node %s: bad reg (%s)", fdt_node_name(f, off),
				      fdt_strerror(err));
				break;
			}
			if (size == 0)
				continue;
			if (found >= DT_MAX_RANGES) {
				warnf(warn, "memory node %s: too many ranges, ignoring the rest%s",
				      fdt_node_name(f, off), "");
				break;
			}
			bi->mem[found].base = base;
			bi->mem[found].size = size;
			found++;
		}
	}
	if (found)
		bi->nmem = found;
	else
		warnf(warn, "no memory node: using the board's RAM size%s%s", "", "");
}

static void add_reserved(struct boot_info *bi, uint64_t base, uint64_t size, dt_warn_fn warn)
{
	if (!size)
		return;
	if (bi->nreserved >= DT_MAX_RANGES) {
		/* Dropping it would let the kernel hand that memory out: say so. */
		char msg[120];
		snprintf(msg, sizeof msg,
			 "more than %d reserved ranges: [%#llx, +%#llx) is NOT kept free",
			 DT_MAX_RANGES, (unsigned long long)base, (unsigned long long)size);
		if (warn)
			warn(msg);
		return;
	}
	bi->reserved[bi->nreserved].base = base;
	bi->reserved[bi->nreserved].size = size;
	bi->nreserved++;
}

static void read_reserved(const struct fdt *f, struct boot_info *bi, dt_warn_fn warn)
{
	/* The tree is the whole truth about reservations: start afresh. */
	bi->nreserved = 0;
	uint64_t rsv[DT_MAX_RANGES + 1][2];
	int n = fdt_get_rsvmap(f, rsv, DT_MAX_RANGES + 1);
	for (int i = 0; i < n; i++)
		add_reserved(bi, rsv[i][0], rsv[i][1], warn);

	int node = fdt_path_offset(f, "/reserved-memory");
	if (node < 0)
		return;
	for (int c = fdt_first_child(f, node); c >= 0; c = fdt_next_sibling(f, c)) {
		uint64_t base, size;
		for (int i = 0; fdt_get_reg(f, c, i, &base, &size) == 0; i++)
			add_reserved(bi, base, size, warn);
	}
}

static void read_cpus(const struct fdt *f, struct boot_info *bi, dt_warn_fn warn)
{
	int cpus = fdt_path_offset(f, "/cpus");
	if (cpus < 0) {
		warnf(warn, "no /cpus node: running on the boot core only%s%s", "", "");
		return;
	}
	int n = 0, ignored = 0;
	for (int c = fdt_first_child(f, cpus); c >= 0; c = fdt_next_sibling(f, c)) {
		const char *type = fdt_getprop_string(f, c, "device_type");
		if (!type || strcmp(type, "cpu") != 0)
			continue; /* cpu-map and friends */
		const char *status = fdt_getprop_string(f, c, "status");
		if (status && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0)
			continue;
		int len;
		const void *reg = fdt_getprop(f, c, "reg", &len);
		int ac = fdt_address_cells(f, c);
		if (!reg || ac < 1 || ac > 2 || len < 4 * ac) {
			warnf(warn, "cpu node %s: no usable reg, skipped%s", fdt_node_name(f, c),
			      "");
			continue;
		}
		if (n >= DT_MAX_CPUS) {
			ignored++;
			continue;
		}
		bi->cpu_mpidr[n] = fdt_read_cells(reg, ac);
		const char *method = fdt_getprop_string(f, c, "enable-method");
		bi->cpu_enable[n] = CPU_ENABLE_NONE;
		bi->cpu_release_addr[n] = 0;
		if (method && strcmp(method, "psci") == 0) {
			bi->cpu_enable[n] = CPU_ENABLE_PSCI;
		} else if (method && strcmp(method, "spin-table") == 0) {
			const void *rel = fdt_getprop(f, c, "cpu-release-addr", &len);
			if (rel && (len == 8 || len == 4)) {
				bi->cpu_enable[n] = CPU_ENABLE_SPIN_TABLE;
				bi->cpu_release_addr[n] = fdt_read_cells(rel, len / 4);
			}
		}
		n++;
	}
	if (n == 0) {
		warnf(warn, "/cpus lists no usable cpu: running on the boot core only%s%s", "", "");
		return;
	}
	bi->ncpus = n;
	/* Set, not added to: a second parse must not double the count. */
	bi->cpus_ignored = ignored;
}

static void read_psci(const struct fdt *f, struct boot_info *bi, dt_warn_fn warn)
{
	int node = fdt_path_offset(f, "/psci");
	if (node < 0)
		return;
	const char *method = fdt_getprop_string(f, node, "method");
	if (method && strcmp(method, "hvc") == 0) {
		bi->psci = PSCI_HVC;
	} else if (method && strcmp(method, "smc") == 0) {
		bi->psci = PSCI_SMC;
	} else {
		warnf(warn, "/psci: unknown method '%s': PSCI disabled%s",
		      method ? method : "(none)", "");
		bi->psci = PSCI_NONE;
		return;
	}
	uint32_t id;
	if (fdt_is_compatible(f, node, "arm,psci-0.2") ||
	    fdt_is_compatible(f, node, "arm,psci-1.0"))
		bi->psci_cpu_on = PSCI_0_2_FN64_CPU_ON;
	else if (fdt_getprop_u32(f, node, "cpu_on", &id))
		bi->psci_cpu_on = id;
	else
		bi->psci_cpu_on = PSCI_0_2_FN64_CPU_ON;
}

static const char *const gicv2_compat[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
					   "arm,cortex-a7-gic", "arm,gic-v2"};

/* Both versions read into locals and store only a complete description: a
 * half-usable node must not leave the caller's GIC half-overwritten (say, the
 * board's version with the tree's distributor and no redistributors). */
static void read_gic(const struct fdt *f, struct boot_info *bi, dt_warn_fn warn)
{
	uint64_t gicd, gicc, size;
	int node = fdt_find_compatible(f, -1, "arm,gic-v3");
	if (node >= 0) {
		if (fdt_get_reg(f, node, 0, &gicd, &size) != 0) {
			warnf(warn, "GICv3 node %s: bad reg%s", fdt_node_name(f, node), "");
			return;
		}
		uint32_t nregions = 1;
		fdt_getprop_u32(f, node, "#redistributor-regions", &nregions);
		struct mem_range gicr[DT_MAX_GICR];
		int ngicr = 0;
		/* The regions follow GICD in "reg": stop at the first one that is
		 * not there rather than trusting the count, which a broken tree
		 * can set to four billion. */
		for (uint32_t i = 0; i < nregions && ngicr < DT_MAX_GICR; i++) {
			struct mem_range *r = &gicr[ngicr];
			if (fdt_get_reg(f, node, 1 + (int)i, &r->base, &r->size) != 0)
				break;
			ngicr++;
		}
		uint64_t stride = 0;
		int len;
		const void *p = fdt_getprop(f, node, "redistributor-stride", &len);
		if (p && (len == 4 || len == 8))
			stride = fdt_read_cells(p, len / 4);
		if (ngicr == 0) {
			warnf(warn, "GICv3 node %s: no redistributor region%s",
			      fdt_node_name(f, node), "");
			return;
		}
		bi->gicd = gicd;
		bi->ngicr = ngicr;
		memcpy(bi->gicr, gicr, sizeof gicr[0] * (size_t)ngicr);
		bi->gicr_stride = stride;
		bi->gic_version = 3;
		return;
	}
	for (unsigned i = 0; i < sizeof gicv2_compat / sizeof gicv2_compat[0]; i++) {
		node = fdt_find_compatible(f, -1, gicv2_compat[i]);
		if (node < 0)
			continue;
		if (fdt_get_reg(f, node, 0, &gicd, &size) != 0 ||
		    fdt_get_reg(f, node, 1, &gicc, &size) != 0) {
			warnf(warn, "GICv2 node %s: bad reg%s", fdt_node_name(f, node), "");
			return;
		}
		bi->gicd = gicd;
		bi->gicc = gicc;
		bi->gic_version = 2;
		return;
	}
}

/* The interrupt number of a node's first GIC-style interrupt (3 cells:
 * type, number, flags), as a GIC INTID. */
static int first_irq(const struct fdt *f, int node)
{
	int len;
	const uint8_t *p = fdt_getprop(f, node, "interrupts", &len);
	if (!p || len < 12)
		return -1;
	uint32_t type = fdt_be32(p), num = fdt_be32(p + 4);
	/* Range-check before converting: a number past the GIC's INTIDs is no
	 * interrupt, and (int)num + 32 would overflow for a huge one. */
	if (type == 0 && num < 988)
		return (int)num + 32; /* SPI: INTIDs 32-1019 */
	if (type == 1 && num < 16)
		return (int)num + 16; /* PPI: INTIDs 16-31 */
	return -1;
}

static void read_uart(const struct fdt *f, struct boot_info *bi)
{
	int node = -1;
	/* Prefer the console /chosen names; else the first PL011. */
	const char *path = fdt_getprop_string(f, fdt_path_offset(f, "/chosen"), "stdout-path");
	if (path) {
		char buf[128];
		size_t len = strcspn(path, ":"); /* "serial0:115200n8" */
		if (len < sizeof buf) {
			memcpy(buf, path, len);
			buf[len] = '\0';
			if (buf[0] != '/') {
				const char *alias =
				    fdt_getprop_string(f, fdt_path_offset(f, "/aliases"), buf);
				if (alias && strlen(alias) < sizeof buf)
					strcpy(buf, alias);
			}
			node = fdt_path_offset(f, buf);
			if (node >= 0 && !fdt_is_compatible(f, node, "arm,pl011"))
				node = -1;
		}
	}
	if (node < 0)
		node = fdt_find_compatible(f, -1, "arm,pl011");
	uint64_t base, size;
	if (node >= 0 && fdt_get_reg(f, node, 0, &base, &size) == 0) {
		bi->uart = base;
		bi->uart_irq = first_irq(f, node);
	}
}

static void read_chosen(const struct fdt *f, struct boot_info *bi)
{
	int chosen = fdt_path_offset(f, "/chosen");
	const char *args = fdt_getprop_string(f, chosen, "bootargs");
	if (args && args[0]) {
		snprintf(bi->bootargs, sizeof bi->bootargs, "%s", args);
		bi->have_bootargs = true;
	}
	const char *model = fdt_getprop_string(f, 0, "model");
	if (model)
		snprintf(bi->model, sizeof bi->model, "%s", model);
}

int dtinfo_parse(const void *blob, uint64_t max_size, struct boot_info *bi, dt_warn_fn warn)
{
	struct fdt f;
	int err = fdt_open(&f, blob, (size_t)max_size);
	if (err)
		return err;
	/* Walk the whole structure once: a malformed block is rejected as a whole
	 * rather than half-read. */
	int off = 0, depth = 0;
	while ((off = fdt_next_node(&f, off, &depth)) >= 0)
		;
	if (off != FDT_ERR_NOTFOUND)
		return off;

	read_memory(&f, bi, warn);
	read_reserved(&f, bi, warn);
	read_cpus(&f, bi, warn);
	read_psci(&f, bi, warn);
	read_gic(&f, bi, warn);
	read_uart(&f, bi);
	read_chosen(&f, bi);
	return 0;
}

uint64_t dtinfo_ram_size(const struct boot_info *bi)
{
	uint64_t total = 0;
	for (int i = 0; i < bi->nmem; i++)
		total += bi->mem[i].size;
	return total;
}
