/*
 * panic.h — the end of the line: a full report, every other core stopped.
 */
#ifndef PANIC_H
#define PANIC_H

#include <stdint.h>

struct trap_frame;

/* Report and stop.  Runs a BRK so the report has the caller's registers. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Report the exception in tf (reason: one line saying what went wrong). */
void die(struct trap_frame *tf, const char *reason) __attribute__((noreturn));
/* IPI_PANIC lands here: save the frame for the report and halt. */
void panic_park(struct trap_frame *tf) __attribute__((noreturn));
/* Has some core panicked? */
int panic_in_progress(void);

/* BRK immediate that panic() uses, recognised by trap_sync. */
#define PANIC_BRK_IMM 0x9a1

#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (cond)                                                                          \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);                   \
	} while (0)

#endif
