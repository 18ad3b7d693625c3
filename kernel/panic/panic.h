/*
 * panic.h — the end of the line: a full report, every other core stopped.
 */
#ifndef PANIC_H
#define PANIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;
struct task;

/* Report and stop.  Runs a BRK so the report has the caller's registers. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Report the exception in tf (reason: one line saying what went wrong). */
void die(struct trap_frame *tf, const char *reason) __attribute__((noreturn));
/* IPI_PANIC lands here: save the frame for the report and halt. */
void panic_park(struct trap_frame *tf) __attribute__((noreturn));
/* Register panic_park for IPI_PANIC.  boot_main calls it before any other
 * core starts: only another core's panic sends that IPI. */
void panic_init(void);
/* The task system's way to name a task in the report (registered at boot by
 * tasks_init, since the task system sits above this layer). */
void panic_set_task_describer(void (*describe)(const struct task *t, bool with_stack, char *buf,
					       size_t n));
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
