/*
 * console.c — see console.h.  (Input is the shell's: kernel/shell/input.c.)
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/drivers/pl011.h"
#include "kernel/arch/spinlock.h"

#include <stdio.h>
#include <string.h>

#define LINE_MAX_OUT	   512
#define PANIC_LOCK_WAIT_NS 100000000ULL /* 100 ms */

static uintptr_t uart;
static struct spinlock console_lock = SPINLOCK_INIT("console");
static int panic_mode;

void console_init(uintptr_t uart_base, uint32_t clock_hz)
{
	uart = uart_base;
	pl011_init(uart, clock_hz, 115200);
}

uintptr_t console_uart(void)
{
	return uart;
}

/* newlib's per-thread state, one per core, so that two cores formatting at
 * once do not share it.  Each core initialises its own on first use; no
 * other core ever touches it. */
static struct _reent reents[MAX_CPUS];
static bool reent_ready[MAX_CPUS];

static struct _reent *my_reent(void)
{
	struct cpu *c = this_cpu(); /* NULL before the boot core set TPIDR_EL1 */
	if (!c)
		return _impure_ptr;
	if (!reent_ready[c->id]) {
		_REENT_INIT_PTR(&reents[c->id]);
		reent_ready[c->id] = true;
	}
	return &reents[c->id];
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
