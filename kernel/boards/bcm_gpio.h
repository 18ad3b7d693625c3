/*
 * bcm_gpio.h — the few GPIO operations the Raspberry Pi boards need: put
 * GPIO 14/15 on the PL011 (function ALT0) with a pull-up on RX.
 */
#ifndef BCM_GPIO_H
#define BCM_GPIO_H

#include <stdint.h>

/* BCM2711 (Pi 4): pulls through GPIO_PUP_PDN_CNTRL_REG0. */
void bcm2711_uart_pins(uintptr_t gpio_base);
/* BCM2835/7 (Pi 3): pulls through the GPPUD/GPPUDCLK0 sequence. */
void bcm2835_uart_pins(uintptr_t gpio_base);

#endif
