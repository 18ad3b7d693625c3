/*
 * console.h — kernel output on the serial port.
 *
 * kprintf() formats the whole message first (newlib's vsnprintf, with this
 * core's own reentrancy state), then writes it under the console lock: output
 * from several cores never interleaves within one call, so within a line as
 * long as a line is printed by one call.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void console_init(uintptr_t uart_base, uint32_t clock_hz);
uintptr_t console_uart(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
/* snprintf through this core's newlib state (safe on any core). */
int ksnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
void console_write(const char *s, size_t len);

/* After a panic: take the console lock with a timeout, then without it. */
void console_panic_mode(void);

#endif
