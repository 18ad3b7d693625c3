/*
 * bench.h — benchmarks that print numbers (never pass/fail on speed):
 * bench.c (IPIs, traps, the stop) and gc.c (the collector's pauses against
 * the length of the task slice).  Run by run=bench and the shell's
 * "stw bench" and "gc bench".
 */
#ifndef BENCH_H
#define BENCH_H

/* Every benchmark below, in turn; nonzero if one could not run. */
int bench_run(void);
/* n stops against one SGI round trip to every other core. */
int stw_bench(unsigned n);
/* Both pauses with 10, 1,000 and 100,000 tasks. */
int gc_bench(void);

#endif
