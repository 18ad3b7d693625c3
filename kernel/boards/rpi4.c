/*
 * rpi4.c — Raspberry Pi 4 Model B (BCM2711, 4 x Cortex-A72, GIC-400).
 *
 * The firmware (start4.elf with arm_64bit=1) enters core 0 at EL2 at
 * 0x80000 with the device tree in x0, and leaves cores 1-3 in its spin table.
 * Peripherals sit at 0xFE000000 (low-peripheral mode), the GIC-400 at
 * 0xFF841000/0xFF842000.  Everything here is a default the device tree, when
 * the firmware passes one, overrides.  QEMU >= 9.0 models it as -M raspi4b.
 */
#include "kernel/arch/arch.h"
#include "kernel/boards/board.h"
#include "kernel/boards/bcm_gpio.h"
#include "kernel/boards/pi.h"

#define PERIPHERAL_BASE 0xfe000000ULL
#define GPIO_BASE	(PERIPHERAL_BASE + 0x200000)
#define UART0_BASE	(PERIPHERAL_BASE + 0x201000)
#define GICD_BASE	0xff841000ULL
#define GICC_BASE	0xff842000ULL
#define UART0_SPI	121
/* Every Pi 4 has at least this much below the GPU's share with the default
 * gpu_mem (the firmware's device tree says exactly how much there is). */
#define ARM_RAM_SIZE 0x3b400000ULL

static void rpi4_defaults(struct boot_info *bi)
{
	bi->nmem = 1;
	bi->mem[0].base = 0;
	bi->mem[0].size = ARM_RAM_SIZE;
	pi_default_cpus(bi);
	bi->gic_version = 2;
	bi->gicd = GICD_BASE;
	bi->gicc = GICC_BASE;
	bi->uart = UART0_BASE;
	bi->uart_irq = 32 + UART0_SPI;
}

static void rpi4_early_map(struct boot_info *bi)
{
	rpi4_defaults(bi);
}

static uint64_t rpi4_find_dtb(void)
{
	return 0; /* only what firmware passes in x0 */
}

static void rpi4_uart_pins(void)
{
	bcm2711_uart_pins(GPIO_BASE);
}

const struct board board = {
    .name = "rpi4",
    .early_map = rpi4_early_map,
    .defaults = rpi4_defaults,
    .find_dtb = rpi4_find_dtb,
    .uart_pins = rpi4_uart_pins,
    .uart_clock_hz = 48000000, /* config.txt: init_uart_clock=48000000 */
    .irqchip = NULL, /* the GIC-400 the tree (or the defaults) name */
};
