/*
 * ipi.h — inter-processor interrupts.  Each kind is one SGI number, and its
 * handler is registered by the layer that owns it (IPI_STOP by the stop,
 * IPI_PANIC by panic), so this layer needs neither.  WAKE, CALL and PING
 * need no handler: taking the interrupt is the point.
 */
#ifndef IPI_H
#define IPI_H

#include <stdint.h>

enum ipi {
	IPI_WAKE = 0, /* nothing to do: just leave wfi and look for work */
	IPI_CALL = 1, /* run the function posted in struct cpu (smp_call) */
	IPI_STOP = 2, /* park until the world is started again (kernel/stw/stop.c) */
	IPI_PANIC = 3, /* another core panicked: halt here (kernel/panic/panic.c) */
	IPI_PING = 4, /* count and return: tests and round-trip timing */
	IPI_SAY = 5, /* print a line from the handler: newlib's SIMD code at
			interrupt level (tests/kernel/test_fpsimd.c) */
	IPI_COUNT = 8,
};

struct trap_frame;
typedef void (*ipi_handler_fn)(struct trap_frame *tf);

/* fn runs (interrupts masked, after the IPI's end of interrupt) whenever
 * this core takes ipi.  Register it before anyone can send that IPI: see
 * irq.h for when that is. */
void ipi_register(enum ipi ipi, ipi_handler_fn fn);
/* The same for a handler whose first trace event is the IPI's receipt
 * (trace_event_receipt): the IPI layer then records neither the receipt
 * nor the handler's end around it (the stop's park: two events fewer on
 * every parked core). */
void ipi_register_receipt(enum ipi ipi, ipi_handler_fn fn);
void ipi_send(int cpu, enum ipi ipi);
void ipi_send_mask(uint64_t mask, enum ipi ipi);
/* The same, for a caller whose own trace event was the send
 * (trace_event_send: the stop's request and release). */
void ipi_send_mask_untraced(uint64_t mask, enum ipi ipi);
/* To one core, likewise (trace_event_amend_send: a parked core's wake). */
void ipi_send_untraced(int cpu, enum ipi ipi);
void ipi_send_others(enum ipi ipi);
/* The interrupt path calls this for every SGI. */
void ipi_handle(int sgi, struct trap_frame *tf);
const char *ipi_name(int ipi);
/* Send IPI_PING to cpu and wait for its handler to count it: the round trip
 * in nanoseconds, or -1 if the core is not online or did not answer. */
int64_t ipi_round_trip_ns(int cpu, uint64_t timeout_ns);

#endif
