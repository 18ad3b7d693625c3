/*
 * smp.h — starting the other cores, and running a function on one of them.
 */
#ifndef SMP_H
#define SMP_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

#define CPU_START_TIMEOUT_MS_DEFAULT 1000

/* Start every core the device tree lists; report those that do not come up
 * within timeout_ms.  Returns the number online (the boot core included). */
int smp_start_cpus(const struct boot_info *bi, unsigned timeout_ms);

/*
 * smp_call: post fn(arg) to a core and wake it with an IPI; the core runs it
 * from its scheduler loop (between tasks), with interrupts enabled.  smp_call_wait waits
 * for it to finish (up to timeout_ns; returns false on timeout).  On the
 * calling core itself fn runs at once.  One call per target at a time.
 */
bool smp_call(int cpu, void (*fn)(void *), void *arg);
bool smp_call_wait(int cpu, uint64_t timeout_ns);
/* Run fn on every online core (this one too, last) and wait for all. */
bool smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_ns);

#endif
