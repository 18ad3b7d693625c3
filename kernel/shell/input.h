/*
 * input.h — bytes from the serial line (see input.c).
 */
#ifndef INPUT_H
#define INPUT_H

/* Input: a byte from the receive buffer (filled by the UART interrupt), or -1. */
int input_getc(void);
/* Wait for a byte: a task sleeps on a wait queue the receive interrupt wakes. */
int input_getc_wait(void);
/* Start interrupt-driven receive on irq (a GIC INTID, routed to this core). */
void input_enable_irq(int irq);
/* Feed bytes as if typed (tests use this to drive the shell). */
void input_inject(const char *s);

#endif
