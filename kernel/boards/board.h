/*
 * board.h — what differs between machines, behind one small interface.
 *
 * Each board is one file in kernel/boards/ (plus a .mk that gives its load
 * address and QEMU command line).  The rest of the kernel asks the board for
 * its defaults and lets the device tree override them.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"
#include "kernel/irq/irq.h"

struct board {
	const char *name;
	/* The memory map to use before the device tree is read: RAM generous
	 * enough to hold the kernel and wherever firmware put the tree. */
	void (*early_map)(struct boot_info *bi);
	/* What the machine looks like when there is no (usable) device tree. */
	void (*defaults)(struct boot_info *bi);
	/* Where to look for a device tree when x0 held none (may return 0). */
	uint64_t (*find_dtb)(void);
	/* Before the console: route the UART's pins (may be NULL). */
	void (*uart_pins)(void);
	/* UART reference clock for the baud divisor; 0 = firmware set it up. */
	uint32_t uart_clock_hz;
	/* The interrupt controller (NULL: choose from the device tree's GIC). */
	const struct irqchip *(*irqchip)(const struct boot_info *bi);
};

extern const struct board board;

/* The irqchip for this machine: the board's, or the GIC the tree names. */
const struct irqchip *board_irqchip(const struct boot_info *bi);

#endif
