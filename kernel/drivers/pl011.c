/*
 * pl011.c — PL011 driver: polled transmit, interrupt-driven or polled receive.
 */
#include "kernel/drivers/pl011.h"
#include "kernel/arch/arch.h"

#define UART_DR	  0x00
#define UART_FR	  0x18
#define UART_IBRD 0x24
#define UART_FBRD 0x28
#define UART_LCRH 0x2c
#define UART_CR	  0x30
#define UART_IMSC 0x38
#define UART_ICR  0x44

#define FR_RXFE (1u << 4) /* receive FIFO empty */
#define FR_TXFF (1u << 5) /* transmit FIFO full */
#define FR_BUSY (1u << 3)

#define LCRH_FEN    (1u << 4) /* FIFOs on */
#define LCRH_WLEN_8 (3u << 5)
#define CR_UARTEN   (1u << 0)
#define CR_TXE	    (1u << 8)
#define CR_RXE	    (1u << 9)
#define INT_RX	    (1u << 4)
#define INT_RT	    (1u << 6) /* receive timeout: a few bytes sat in the FIFO */

void pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud)
{
	if (!clock_hz) {
		/* Keep the baud rate, but use the FIFOs: 8N1. */
		mmio_write32(base + UART_LCRH, LCRH_FEN | LCRH_WLEN_8);
		return;
	}
	while (mmio_read32(base + UART_FR) & FR_BUSY)
		;
	mmio_write32(base + UART_CR, 0);
	/* divisor = clock / (16 * baud), as a 16.6 fixed-point number, rounded */
	uint32_t div64 = (uint32_t)(((uint64_t)clock_hz * 4 + baud / 2) / baud);
	mmio_write32(base + UART_IBRD, div64 >> 6);
	mmio_write32(base + UART_FBRD, div64 & 0x3f);
	mmio_write32(base + UART_LCRH, LCRH_FEN | LCRH_WLEN_8); /* 8N1 */
	mmio_write32(base + UART_CR, CR_UARTEN | CR_TXE | CR_RXE);
}

void pl011_putc(uintptr_t base, char c)
{
	while (mmio_read32(base + UART_FR) & FR_TXFF)
		cpu_relax();
	mmio_write32(base + UART_DR, (uint8_t)c);
}

int pl011_getc(uintptr_t base)
{
	if (mmio_read32(base + UART_FR) & FR_RXFE)
		return -1;
	return (int)(mmio_read32(base + UART_DR) & 0xff);
}

void pl011_enable_rx_irq(uintptr_t base)
{
	mmio_write32(base + UART_IMSC, INT_RX | INT_RT);
}

void pl011_disable_rx_irq(uintptr_t base)
{
	mmio_write32(base + UART_IMSC, 0);
}

void pl011_ack_rx_irq(uintptr_t base)
{
	mmio_write32(base + UART_ICR, INT_RX | INT_RT);
}
