/*
 * bcm_gpio.c — see bcm_gpio.h.
 */
#include "kernel/boards/bcm_gpio.h"
#include "kernel/arch/arch.h"

#define GPFSEL1		    0x04
#define GPPUD		    0x94
#define GPPUDCLK0	    0x98
#define GPIO_PUP_PDN_CNTRL0 0xe4

#define FSEL_ALT0	4u
#define FSEL_SHIFT(pin) (((pin) % 10) * 3)
#define PULL_UP_2711	1u /* GPIO_PUP_PDN_CNTRL: 0 none, 1 up, 2 down */
#define PULL_UP_2835	2u /* GPPUD: 0 off, 1 down, 2 up */

static void select_alt0(uintptr_t gpio)
{
	uint32_t v = mmio_read32(gpio + GPFSEL1);
	v &= ~((7u << FSEL_SHIFT(14)) | (7u << FSEL_SHIFT(15)));
	v |= (FSEL_ALT0 << FSEL_SHIFT(14)) | (FSEL_ALT0 << FSEL_SHIFT(15));
	mmio_write32(gpio + GPFSEL1, v);
}

void bcm2711_uart_pins(uintptr_t gpio)
{
	select_alt0(gpio);
	uint32_t v = mmio_read32(gpio + GPIO_PUP_PDN_CNTRL0);
	v &= ~((3u << 28) | (3u << 30)); /* GPIO 14 (TX): no pull */
	v |= PULL_UP_2711 << 30; /* GPIO 15 (RX): pull-up, idle high */
	mmio_write32(gpio + GPIO_PUP_PDN_CNTRL0, v);
}

static void wait_cycles(int n)
{
	for (int i = 0; i < n; i++)
		__asm__ volatile("nop");
}

void bcm2835_uart_pins(uintptr_t gpio)
{
	select_alt0(gpio);
	/* The documented dance: set the control, wait 150 cycles, clock it into
	 * the pins, wait, then remove both. */
	mmio_write32(gpio + GPPUD, PULL_UP_2835);
	wait_cycles(150);
	mmio_write32(gpio + GPPUDCLK0, 1u << 15);
	wait_cycles(150);
	mmio_write32(gpio + GPPUD, 0);
	mmio_write32(gpio + GPPUDCLK0, 0);
}
