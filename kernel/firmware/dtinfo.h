/*
 * dtinfo.h — what the kernel needs to know about the machine, read from the
 * device tree (or, when there is none, filled from the board's defaults).
 *
 * Portable: the host tests run dtinfo_parse() on QEMU's own device trees and
 * on broken ones.
 */
#ifndef DTINFO_H
#define DTINFO_H

#include <stdint.h>
#include <stdbool.h>

#define DT_MAX_CPUS   64
#define DT_MAX_RANGES 8
#define DT_MAX_GICR   4

enum psci_conduit { PSCI_NONE = 0, PSCI_HVC, PSCI_SMC };
enum cpu_enable { CPU_ENABLE_NONE = 0, CPU_ENABLE_PSCI, CPU_ENABLE_SPIN_TABLE };

struct mem_range {
	uint64_t base, size;
};

/*
 * The machine as the kernel sees it.  It is filled in two layers: the board's
 * defaults first (kernel/boards/bootinfo.c, for a machine whose firmware hands
 * over no usable tree), then whatever dtinfo_parse reads from the device tree.
 * Declared here, beside the parser, so that the parser and its host tests need
 * nothing from the boards.
 */
struct boot_info {
	/* RAM, as "memory" nodes list it. */
	int nmem;
	struct mem_range mem[DT_MAX_RANGES];
	/* Ranges the kernel must not use: the reservation block, /reserved-memory. */
	int nreserved;
	struct mem_range reserved[DT_MAX_RANGES];

	/* CPUs in device-tree order: logical id i has MPIDR cpu_mpidr[i]. */
	int ncpus;
	int cpus_ignored; /* listed beyond DT_MAX_CPUS */
	uint64_t cpu_mpidr[DT_MAX_CPUS];
	enum cpu_enable cpu_enable[DT_MAX_CPUS];
	uint64_t cpu_release_addr[DT_MAX_CPUS]; /* spin-table only */

	enum psci_conduit psci;
	uint32_t psci_cpu_on; /* function id for CPU_ON */

	int gic_version; /* 0 if none found, else 2 or 3 */
	uint64_t gicd, gicc; /* gicc: GICv2 CPU interface */
	int ngicr;
	struct mem_range gicr[DT_MAX_GICR]; /* GICv3 redistributor regions */
	uint64_t gicr_stride; /* 0: derive from GICR_TYPER */

	uint64_t uart; /* PL011 base, 0 if none */
	int uart_irq; /* its GIC INTID, -1 if unknown */

	bool have_bootargs;
	char bootargs[512];
	char model[64];
};

/* A problem worth telling the user about; parsing carries on where it can. */
typedef void (*dt_warn_fn)(const char *what);

/*
 * Fill *bi from the blob.  Returns 0 on success or a negative FDT error when
 * the blob is unusable; fields the blob does not describe are left as they were,
 * so a caller can pre-fill board defaults and let the tree override them.
 */
int dtinfo_parse(const void *blob, uint64_t max_size, struct boot_info *bi, dt_warn_fn warn);

/* Total bytes of RAM in bi. */
uint64_t dtinfo_ram_size(const struct boot_info *bi);

#endif
