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

/*
 * The watchdog, two thresholds (boot arguments stw_watchdog= and stw_panic=):
 * a core that has not parked after STW_WATCHDOG_MS is named in a warning
 * (what it was doing, and the PC it was last seen at) and the stop keeps
 * waiting, warning again at doubling intervals; only after STW_PANIC_MS does
 * it panic.  Under QEMU a vCPU can go unscheduled by a busy host for longer
 * than the first threshold: that is slow, not hung.
 *
 * Why 10 s for the panic: allstop's longest deliberate masked section is
 * inject=publish-early's 10 ms, so on hardware anything past a few ms is
 * already a hang.  But under QEMU on a 2-core host running several QEMUs
 * (load average 15 to 24), test runs saw stops of 1.7 to 2.6 s (4 s once,
 * with 8 vCPUs, when the stopping core itself had not run for 2.8 s), and
 * vCPUs go 2 s without taking a single interrupt, then answer: slow, not
 * hung.  10 s is well above that, and is what the tests used to pass as
 * stw_watchdog=10000 before the watchdog had two limits; time the stopping
 * core itself does not run is not counted either (see stop.c).  The warning
 * at 100 ms names a hung core at once, so the later panic costs little.
 */
#define STW_WATCHDOG_MS_DEFAULT 100
#define STW_PANIC_MS_DEFAULT	10000

/*
 * The two verbs keep Go's names (stopTheWorld, startTheWorld); everything
 * else of this subsystem is stw_*.
 *
 * stop_the_world returns once every other online core is parked.  A core that
 * does not answer is named in warnings, and after the panic limit in a panic.
 */
void stop_the_world(const char *reason);
void start_the_world(void);

/* Is the world stopped (by anyone)? */
bool stw_stopped(void);
/* The interrupted context of a parked core (NULL if not parked). */
struct trap_frame *stw_frame(int cpu);
/* How many times core cpu's wfi has ended while it was parked, since boot:
 * about once per stop (the release), however long the stop, because its
 * tick is held off while it is parked. */
uint64_t stw_park_wakeups(int cpu);
/* The IPI_STOP handler (registered with ipi_register by stw_init). */
void stw_park(struct trap_frame *tf);
/* Register the stop with the interrupt layer: stw_park for IPI_STOP and
 * stw_heartbeat on every interrupt entry.  boot_main calls it before the boot
 * core unmasks interrupts and before any other core starts, so no IPI_STOP
 * (sent only by a running task) and no interrupt can come first. */
void stw_init(void);

/* The two thresholds, in ms; panic_ms must be >= warn_ms (boot_main checks
 * the boot arguments; a smaller one is raised to warn_ms here). */
void stw_set_watchdog_ms(unsigned warn_ms, unsigned panic_ms);

/* Run on entry to every interrupt (the irq entry hook) with the interrupted PC:
 * the core's heartbeat, so the watchdog can say where a silent core was last
 * seen and how long ago.  A core with interrupts masked takes none, so its
 * heartbeat is as old as its masked section. */
void stw_heartbeat(uint64_t pc);

/* Measurements of the last stops, in nanoseconds. */
struct stw_summary {
	uint64_t count; /* stops since boot */
	uint64_t samples; /* how many of the last ones the figures below cover */
	uint64_t latency_min, latency_median, latency_p99, latency_max; /* request -> all parked */
	uint64_t pause_min, pause_median, pause_p99, pause_max; /* request -> released */
};
void stw_summary(struct stw_summary *s);
/* The last stop's latency and pause (false before the first); for the
 * stop's owner, right after start_the_world. */
bool stw_last(uint64_t *latency_ns, uint64_t *pause_ns);
void stw_print_summary(const char *title);

#endif
