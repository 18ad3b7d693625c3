/*
 * irq.h — interrupts: one interrupt controller driver (an irqchip), chosen at
 * boot from the device tree or the board, and a table of handlers.
 *
 * Interrupt numbers are GIC INTIDs: 0-15 are software-generated (SGIs, our
 * IPIs), 16-31 per-core (PPIs: the timer is 27), 32 and up shared (SPIs).  A
 * controller that is not a GIC translates its own numbers into these.
 *
 * This layer knows no user: it sits below the scheduler, the stop and panic,
 * which register what they want run instead of being called by name.
 *   irq_register(irq, fn)        a PPI or SPI's handler (the timer's tick,
 *                                the UART's receive);
 *   ipi_register(ipi, fn)        an SGI's handler (ipi.h: stop, panic);
 *   irq_set_entry_hook(fn)       run first on every interrupt, with the
 *                                interrupted PC (the stop's heartbeat);
 *   irq_add_restartable(lo, hi)  a restartable sequence: an interrupt
 *                                taken inside it resumes at its start (the
 *                                collector's write barrier, gc/write.S).
 * Each must be registered before its interrupt can arrive: boot_main does
 * the timer, stw_init and panic_init before the boot core unmasks interrupts
 * and before any other core starts; a driver before it enables its SPI.
 */
#ifndef IRQ_H
#define IRQ_H

#include <stdbool.h>
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
	 * for eoi(), whose low 10 bits (GIC_IAR_INTID) are the INTID
	 * (IRQ_SPURIOUS if none). */
	uint32_t (*ack)(void);
	void (*eoi)(uint32_t raw);
	/* Enable a shared interrupt, delivered to the boot core. */
	void (*enable_spi)(int irq);
};

extern const struct irqchip *irqchip;

extern const struct irqchip gicv2_chip;
extern const struct irqchip gicv3_chip;
extern const struct irqchip bcm2836_chip;

/* Initialise chip (the board's, from board_irqchip: NULL if it has none).
 * Returns 0, or a negative error after saying why; interrupts then stay off. */
int irq_init(const struct irqchip *chip, const struct boot_info *bi);
void irq_init_cpu(void);
/* fn runs for interrupt irq, a PPI or SPI (NR_SGIS <= irq < IRQ_MAX; an SGI's
 * handler is set with ipi_register). */
void irq_register(int irq, irq_handler_fn fn);
void irq_enable_spi(int irq);

/* Run first on every interrupt entry, before it is acknowledged, with the
 * interrupted PC (NULL: nothing). */
typedef void (*irq_entry_hook_fn)(uint64_t pc);
void irq_set_entry_hook(irq_entry_hook_fn fn);

/*
 * A restartable sequence, [start, end): a few instructions whose only effect
 * is a store at their very end (stores before it may only go where nobody
 * looks until that last one, as in the tracer's record.S, which fills an
 * event and then publishes it).  An interrupt taken inside it (its return
 * address at or after start, before end) returns to start instead, so the
 * sequence runs again from the top with what the interrupt changed (a
 * stop-the-world that turned the write barrier on) in view.  This is Linux's
 * rseq and Go's "unsafe points" in one: the sequence never needs to mask
 * interrupts.  Register at boot, before the code can run; at most
 * IRQ_RESTARTABLE_MAX.  Returns 0, or -1 with a message.
 */
#define IRQ_RESTARTABLE_MAX 4 /* used: the write barrier (gc/write.S), the tracer */
int irq_add_restartable(uintptr_t start, uintptr_t end);
/* If tf's return address lies inside a restartable sequence, move it to the
 * sequence's start; true if it did.  trap_irq calls it first. */
bool irq_restart_sequence(struct trap_frame *tf);

#endif
