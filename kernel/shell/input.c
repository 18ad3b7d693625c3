/*
 * input.c — the serial line's input, for the shell and the litmus loader.
 *
 * Input arrives in a small ring: the UART's receive interrupt (or a poll from
 * input_getc, before interrupts are set up or where the board gives no
 * interrupt) moves bytes from the FIFO into it under rx_lock, and readers take
 * them out under the same lock.  A task that waits for a byte sleeps on a wait
 * queue the interrupt wakes.  This sits above the task system (it blocks
 * tasks), which is why it is not part of the console driver.
 */
#include "kernel/shell/input.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/spinlock.h"
#include "kernel/drivers/console.h"
#include "kernel/drivers/pl011.h"
#include "kernel/irq/irq.h"
#include "kernel/task/task.h"

#define RX_SIZE 256

static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_SIZE];
static unsigned rx_head, rx_tail; /* head: next write, tail: next read */
static int rx_irq = -1;
static struct waitq rx_waiters; /* tasks in input_getc_wait, under rx_lock */

/* Move whatever the UART holds into the ring.  Called with rx_lock held. */
static void rx_drain(void)
{
	/* Stop when the ring is full: what is left waits in the UART's FIFO (and,
	 * under QEMU, in the host's buffer) until a reader makes room. */
	while ((rx_head + 1) % RX_SIZE != rx_tail) {
		int c = pl011_getc(console_uart());
		if (c < 0)
			break;
		rx_buf[rx_head] = (char)c;
		rx_head = (rx_head + 1) % RX_SIZE;
	}
}

static bool rx_full(void)
{
	return (rx_head + 1) % RX_SIZE == rx_tail;
}

/* A reader took bytes: refill from the FIFO and let the interrupt back on. */
static void rx_made_room(void)
{
	if (rx_irq < 0)
		return;
	rx_drain();
	if (!rx_full())
		pl011_enable_rx_irq(console_uart());
}

static void rx_irq_handler(int irq, struct trap_frame *tf)
{
	(void)irq;
	(void)tf;
	spin_lock(&rx_lock);
	/* Acknowledge first, then drain: a byte that arrives after the drain
	 * raises the interrupt again.  The other order loses it (and, with a
	 * full FIFO, all input after it). */
	pl011_ack_rx_irq(console_uart());
	rx_drain();
	if (rx_full())
		pl011_disable_rx_irq(console_uart()); /* no storm while the ring is full */
	task_wake_all(&rx_waiters); /* rx_waiters is guarded by rx_lock, held */
	spin_unlock(&rx_lock);
}

void input_enable_irq(int irq)
{
	if (!console_uart() || irq < 0)
		return;
	rx_irq = irq;
	irq_register(irq, rx_irq_handler);
	irq_enable_spi(irq);
	pl011_enable_rx_irq(console_uart());
}

int input_getc(void)
{
	int c = -1;
	if (!console_uart())
		return -1;
	uint64_t flags = spin_lock_irqsave(&rx_lock);
	if (rx_irq < 0)
		rx_drain(); /* no interrupt: poll */
	if (rx_tail != rx_head) {
		c = (unsigned char)rx_buf[rx_tail];
		rx_tail = (rx_tail + 1) % RX_SIZE;
		rx_made_room();
	}
	spin_unlock_irqrestore(&rx_lock, flags);
	return c;
}

int input_getc_wait(void)
{
	if (!console_uart())
		return -1;
	if (!task_current()) {
		/* Not a task (boot code): sleep until an interrupt, then look. */
		int c;
		while ((c = input_getc()) < 0) {
			irq_disable();
			wfi();
			irq_enable();
		}
		return c;
	}
	uint64_t flags = spin_lock_irqsave(&rx_lock);
	while (rx_tail == rx_head) {
		if (rx_irq < 0) {
			/* No receive interrupt: poll every 10 ms. */
			spin_unlock_irqrestore(&rx_lock, flags);
			task_sleep_ns(10000000);
			flags = spin_lock_irqsave(&rx_lock);
			rx_drain();
			continue;
		}
		task_wait(&rx_waiters, &rx_lock);
	}
	int c = (unsigned char)rx_buf[rx_tail];
	rx_tail = (rx_tail + 1) % RX_SIZE;
	rx_made_room();
	spin_unlock_irqrestore(&rx_lock, flags);
	return c;
}

void input_inject(const char *s)
{
	uint64_t flags = spin_lock_irqsave(&rx_lock);
	for (; *s; s++) {
		unsigned next = (rx_head + 1) % RX_SIZE;
		if (next == rx_tail)
			break;
		rx_buf[rx_head] = *s;
		rx_head = next;
	}
	task_wake_all(&rx_waiters); /* under rx_lock, held */
	spin_unlock_irqrestore(&rx_lock, flags);
}
