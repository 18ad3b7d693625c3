/*
 * virt.c — QEMU's -M virt machine.
 *
 * Everything real comes from the device tree QEMU generates; the defaults only
 * matter when booting without one (an ELF boot that does not find it).
 */
#include "kernel/boards/board.h"
#include "kernel/arch/arch.h"
#include "kernel/firmware/fdt.h"

#define VIRT_RAM_BASE	 0x40000000ULL
#define VIRT_RAM_MAX	 (255ULL << 30) /* virt's RAM window below its high MMIO */
#define VIRT_RAM_DEFAULT (128ULL << 20) /* QEMU's default -m */

static void virt_early_map(struct boot_info *bi)
{
	bi->nmem = 1;
	bi->mem[0].base = VIRT_RAM_BASE;
	bi->mem[0].size = VIRT_RAM_MAX;
}

static void virt_defaults(struct boot_info *bi)
{
	bi->nmem = 1;
	bi->mem[0].base = VIRT_RAM_BASE;
	bi->mem[0].size = VIRT_RAM_DEFAULT;
	bi->ncpus = 1;
	bi->cpu_mpidr[0] = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	bi->psci = PSCI_HVC;
	bi->psci_cpu_on = 0xc4000003;
	bi->gic_version = 2;
	bi->gicd = 0x08000000;
	bi->gicc = 0x08010000;
	bi->uart = 0x09000000;
	bi->uart_irq = 33;
}

static uint64_t virt_find_dtb(void)
{
	/* With an ELF image QEMU passes x0 = 0 but still puts the tree at the
	 * start of RAM (when the image leaves room there, as ours does). */
	const uint32_t *p = (const uint32_t *)VIRT_RAM_BASE;
	return fdt_be32(p) == FDT_MAGIC ? VIRT_RAM_BASE : 0;
}

const struct board board = {
    .name = "virt",
    .early_map = virt_early_map,
    .defaults = virt_defaults,
    .find_dtb = virt_find_dtb,
    .uart_clock_hz = 0,
    .irqchip = NULL,
};
