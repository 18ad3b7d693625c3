/*
 * raspi3b.c — Raspberry Pi 3 Model B (BCM2837, 4 x Cortex-A53), as QEMU's
 * -M raspi3b models it: entered at EL2 at 0x80000, the other cores waiting on
 * the spin table, peripherals at 0x3F000000, the ARM local interrupt block
 * at 0x40000000 and no GIC.  QEMU passes no device tree unless given -dtb.
 */
#include "kernel/arch/arch.h"
#include "kernel/irq/bcm2836.h"
#include "kernel/boards/board.h"
#include "kernel/boards/bcm_gpio.h"
#include "kernel/boards/pi.h"

#define PERIPHERAL_BASE 0x3f000000ULL
#define GPIO_BASE	(PERIPHERAL_BASE + 0x200000)
#define UART0_BASE	(PERIPHERAL_BASE + 0x201000)
#define BCM2835_IC_BASE (PERIPHERAL_BASE + 0xb200)
#define LOCAL_BASE	0x40000000ULL
#define UART0_GPU_IRQ	57
#define ARM_RAM_SIZE	0x3c000000ULL /* 1 GiB less the default 64 MiB for the GPU */

static void raspi3b_defaults(struct boot_info *bi)
{
	bi->nmem = 1;
	bi->mem[0].base = 0;
	bi->mem[0].size = ARM_RAM_SIZE;
	pi_default_cpus(bi);
	bi->gic_version = 0;
	bi->uart = UART0_BASE;
	bi->uart_irq = 32 + UART0_GPU_IRQ; /* as bcm2836.c numbers GPU interrupts */
}

static void raspi3b_early_map(struct boot_info *bi)
{
	raspi3b_defaults(bi);
}

static uint64_t raspi3b_find_dtb(void)
{
	return 0; /* only what firmware passes in x0 */
}

static void raspi3b_uart_pins(void)
{
	bcm2835_uart_pins(GPIO_BASE);
}

static const struct irqchip *raspi3b_irqchip(const struct boot_info *bi)
{
	(void)bi;
	bcm2836_configure(LOCAL_BASE, BCM2835_IC_BASE);
	return &bcm2836_chip;
}

const struct board board = {
    .name = "raspi3b",
    .early_map = raspi3b_early_map,
    .defaults = raspi3b_defaults,
    .find_dtb = raspi3b_find_dtb,
    .uart_pins = raspi3b_uart_pins,
    .uart_clock_hz = 48000000, /* config.txt: init_uart_clock=48000000 */
    .irqchip = raspi3b_irqchip,
};
