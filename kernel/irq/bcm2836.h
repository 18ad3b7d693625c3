/*
 * bcm2836.h — the Raspberry Pi 2/3 interrupt controller (see bcm2836.c).
 */
#ifndef BCM2836_H
#define BCM2836_H

#include <stdint.h>

/* Where the ARM local block and the BCM2835 controller are; call before
 * irq_init() uses bcm2836_chip. */
void bcm2836_configure(uintptr_t local_block, uintptr_t bcm2835_ic);

#endif
