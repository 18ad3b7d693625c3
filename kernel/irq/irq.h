/*
 * irq.h — interrupts: one interrupt controller driver (an irqchip), chosen at
 * boot from the device tree or the board, and a table of handlers.
 *
 * Interrupt numbers are GIC INTIDs: 0-15 are software-generated (SGIs, our
 * IPIs), 16-31 per-core (PPIs: the timer is 27), 32 and up shared (SPIs).  A
 * controller that is not a GIC translates its own numbers into these.
 */
#ifndef IRQ_H
#define IRQ_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

#define IRQ_MAX	     1020
#define IRQ_SPURIOUS 1023
#define NR_SGIS	     16

struct trap_frame;
typedef void (*irq_handler_fn)(int irq, struct trap_frame *tf);

struct irqchip {
	const char *name;
	/* Boot core, once: the distributor.  Returns 0 or a negative error. */
	int (*init)(const struct boot_info *bi);
	/* Every core, itself: its CPU interface, its SGIs and the timer PPI. */
	void (*init_cpu)(void);
	/* Raise SGI `sgi` on every core in mask (bits are logical cpu ids). */
	void (*send_sgi)(uint64_t mask, int sgi);
	/* Raise SGI `sgi` on every core but this one. */
	void (*send_sgi_others)(int sgi);
	/* Acknowledge the highest-priority pending interrupt: returns a raw value
	 * for eoi(), whose low 10 bits are the INTID (IRQ_SPURIOUS if none). */
	uint32_t (*ack)(void);
	void (*eoi)(uint32_t raw);
	/* Enable a shared interrupt, delivered to the boot core. */
	void (*enable_spi)(int irq);
};

extern const struct irqchip *irqchip;

extern const struct irqchip gicv2_chip;
extern const struct irqchip gicv3_chip;
extern const struct irqchip bcm2836_chip;

/* Pick and initialise the controller the device tree names. */
int irq_init(const struct boot_info *bi);
void irq_init_cpu(void);
void irq_register(int irq, irq_handler_fn fn);
void irq_enable_spi(int irq);

#endif
