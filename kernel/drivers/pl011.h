/*
 * pl011.h — the Arm PL011 UART (QEMU virt, Raspberry Pi 3 and 4).
 */
#ifndef PL011_H
#define PL011_H

#include <stdint.h>
#include <stdbool.h>

/* clock_hz = 0 keeps the baud rate firmware or QEMU set up. */
void pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void pl011_putc(uintptr_t base, char c);
/* A received byte, or -1 if the receive FIFO is empty. */
int pl011_getc(uintptr_t base);
void pl011_enable_rx_irq(uintptr_t base);
void pl011_disable_rx_irq(uintptr_t base);
/* Clear the receive interrupt once the FIFO has been drained. */
void pl011_ack_rx_irq(uintptr_t base);

#endif
