/*
 * workloads.h — programs that exercise the kernel to test it, not part of
 * it: the collector's churn (gcstress.c) and deliberate crashes (crash.c).
 * Run by run=gcstress and run=crash:<kind>, the shell's "gc stress" and
 * "panic", the demos and the in-kernel tests.
 */
#ifndef WORKLOADS_H
#define WORKLOADS_H

#include <stdbool.h>
#include <stdint.h>

/* Run cycles collection cycles back to back while tasks on every core build,
 * change and check linked structures (gcstress.c).  quiet: no per-cycle
 * lines, no pause table.  Returns the number of failures it saw (cycles not
 * run, cycles not verified while the verifier was on, nil tasks caught): 0
 * means all passed.  With gc_set_catch_nil(true), it stops at the first nil
 * task caught. */
int gc_stress(unsigned cycles, bool quiet);
/* How often, during the last gc_stress, the task slice published a new array
 * while a cycle was marking (the collector counts it at the publication:
 * struct gc_cycle_stats' slice_growths). */
uint64_t gc_stress_growths(void);

/* A deliberate failure of the given kind ("panic", "abort", "stw-slow", ...:
 * crash.c lists them); returns only for the kinds that do not crash. */
int crash_run(const char *kind);

/* The shell's spawn: a task that computes, yields and sleeps a while (busy.c). */
int64_t workload_busy(void *arg);

#endif
