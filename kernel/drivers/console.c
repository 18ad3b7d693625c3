/*
 * console.c — see console.h.
 *
 * Input arrives in a small ring: the UART interrupt handler (or a poll from
 * console_getc, before interrupts are set up) moves bytes from the FIFO into
 * it under rx_lock, and readers take them out under the same lock.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/drivers/pl011.h"
#include "kernel/arch/spinlock.h"
#include "kernel/task/task.h"

#include <stdio.h>
#include <string.h>

#define LINE_MAX_OUT	   512
#define RX_SIZE		   256
#define PANIC_LOCK_WAIT_NS 100000000ULL /* 100 ms */

static uintptr_t uart;
static struct spinlock console_lock = SPINLOCK_INIT("console");
static int panic_mode;

static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_SIZE];
static unsigned rx_head, rx_tail; /* head: next write, tail: next read */
static int rx_irq = -1;
static struct waitq rx_waiters; /* tasks in console_getc_wait, under rx_lock */

void console_init(uintptr_t uart_base, uint32_t clock_hz)
{
	uart = uart_base;
	pl011_init(uart, clock_hz, 115200);
}

uintptr_t console_uart(void)
{
	return uart;
}

static struct _reent *my_reent(void)
{
	struct cpu *c = (struct cpu *)read_sysreg(tpidr_el1);
	return c ? &c->reent : _impure_ptr;
}

static void put_raw(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			pl011_putc(uart, '\r');
		pl011_putc(uart, s[i]);
	}
}

void console_write(const char *s, size_t len)
{
	if (!uart)
		return;
	uint64_t flags = irq_save();
	/* relaxed: the flag only changes how patient we are with the lock */
	if (__atomic_load_n(&panic_mode, __ATOMIC_RELAXED)) {
		/* The holder may be a core the panic stopped: wait a while, then write
		 * anyway.  A garbled line beats a silent hang. */
		bool locked = spin_lock_timeout(&console_lock, PANIC_LOCK_WAIT_NS);
		put_raw(s, len);
		if (locked)
			spin_unlock(&console_lock);
	} else {
		spin_lock(&console_lock);
		put_raw(s, len);
		spin_unlock(&console_lock);
	}
	irq_restore(flags);
}

void console_panic_mode(void)
{
	__atomic_store_n(&panic_mode, 1, __ATOMIC_RELAXED); /* see console_write */
}

int kvprintf(const char *fmt, va_list ap)
{
	char buf[LINE_MAX_OUT];
	int n = _vsnprintf_r(my_reent(), buf, sizeof buf, fmt, ap);
	if (n < 0)
		return n;
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	console_write(buf, len);
	if ((size_t)n >= sizeof buf)
		console_write("[...]\n", 6);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

int kvsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	return _vsnprintf_r(my_reent(), buf, len, fmt, ap);
}

int ksnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

/* Move whatever the UART holds into the ring.  Called with rx_lock held. */
static void rx_drain(void)
{
	/* Stop when the ring is full: what is left waits in the UART's FIFO (and,
	 * under QEMU, in the host's buffer) until a reader makes room. */
	while ((rx_head + 1) % RX_SIZE != rx_tail) {
		int c = pl011_getc(uart);
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
		pl011_enable_rx_irq(uart);
}

static void rx_irq_handler(int irq, struct trap_frame *tf)
{
	(void)irq;
	(void)tf;
	spin_lock(&rx_lock);
	/* Acknowledge first, then drain: a byte that arrives after the drain
	 * raises the interrupt again.  The other order loses it (and, with a
	 * full FIFO, all input after it). */
	pl011_ack_rx_irq(uart);
	rx_drain();
	if (rx_full())
		pl011_disable_rx_irq(uart); /* no storm while the ring is full */
	task_wake_all(&rx_waiters); /* rx_waiters is guarded by rx_lock, held */
	spin_unlock(&rx_lock);
}

void console_enable_rx_irq(int irq)
{
	if (!uart || irq < 0)
		return;
	rx_irq = irq;
	irq_register(irq, rx_irq_handler);
	irq_enable_spi(irq);
	pl011_enable_rx_irq(uart);
}

int console_getc(void)
{
	int c = -1;
	if (!uart)
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

int console_getc_wait(void)
{
	if (!uart)
		return -1;
	if (!task_current()) {
		/* Not a task (boot code): sleep until an interrupt, then look. */
		int c;
		while ((c = console_getc()) < 0) {
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

void console_inject(const char *s)
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
