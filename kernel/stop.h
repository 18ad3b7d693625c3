/*
 * stop.h — stopping the world: every other core interrupted by an IPI and
 * parked until released.  The protocol is explained at the top of stop.c.
 *
 * Rules for callers:
 *   - call stop_the_world() from a task, with interrupts enabled, never from
 *     an interrupt handler;
 *   - it does not nest: the owner must call start_the_world() before it
 *     stops again;
 *   - between the two, the owner must not block, sleep, join or yield (every
 *     other core is frozen: whatever it would wait for cannot happen).
 *
 * While the world is stopped, every other online core is inside its IPI_STOP
 * handler with interrupts masked: no task code runs there, and the context it
 * interrupted is saved in a trap frame that stw_frame() returns.
 */
#ifndef STOP_H
#define STOP_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

#define STW_WATCHDOG_MS_DEFAULT 100

/* Returns once every other online core is parked.  If some core does not
 * answer within the watchdog time, panics naming it and what it was doing. */
void stop_the_world(const char *reason);
void start_the_world(void);

/* Is the world stopped (by anyone)? */
bool world_stopped(void);
/* The interrupted context of a parked core (NULL if not parked). */
struct trap_frame *stw_frame(int cpu);
/* The IPI_STOP handler (kernel/ipi.c). */
void stw_park(struct trap_frame *tf);

void stw_set_watchdog_ms(unsigned ms);

/* Measurements of the last stops, in nanoseconds. */
struct stw_summary {
	uint64_t count; /* stops since boot */
	uint64_t samples; /* how many of the last ones the figures below cover */
	uint64_t latency_min, latency_median, latency_p99, latency_max; /* request -> all parked */
	uint64_t pause_min, pause_median, pause_p99, pause_max; /* request -> released */
};
void stw_summary(struct stw_summary *s);
void stw_print_summary(const char *title);

#endif
