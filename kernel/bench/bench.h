/*
 * bench.h — benchmarks that print numbers (never pass/fail on speed):
 * bench.c (IPIs, traps, the stop, task switches, the emulator loop and the
 * table of them all), gc.c (the collector's pauses against the length of
 * the task slice), trees.c (binary-trees, the workload the peers run
 * too), tracecost.c (the tracer's cost on stops and pauses) and tracepoint.c
 * (one trace point's).  Each prints a table for people and csv lines (csv.h)
 * for tools/bench.  Run by run=bench, run=bench:NAME and the shell's "stw
 * bench", "gc bench", "gc bench trees" and "trace cost".
 */
#ifndef BENCH_H
#define BENCH_H

/* Every benchmark marked "in all" in bench.c's table, in turn; nonzero if
 * one could not run. */
int bench_run(void);
/* The benchmark called name (run=bench:NAME, but not trees: it takes
 * parameters); unknown names are listed. */
int bench_run_named(const char *name);
/* n stops against one SGI round trip to every other core. */
int stw_bench(unsigned n);
/* Both pauses with 10, 1,000 and 100,000 tasks. */
int gc_bench(void);
/* Stops and GC cycles with tracing off and on in turn (tracecost.c). */
int trace_cost_bench(void);
/* One trace point on this core: off, recording, dropping, beside a counter
 * read (tracepoint.c; the shell's "trace cost").  Tracing must be off. */
int trace_point_cost(void);

#define TREES_MAX_WORKERS 64

struct trees_params {
	int depth; /* the deepest trees (at least 6) */
	int long_depth; /* the tree kept alive throughout */
	unsigned workers; /* tasks building trees, one pinned to each core in turn */
};
#define TREES_DEFAULT_DEPTH 16
#define TREES_LEAST_DEPTH   6 /* a smaller depth is raised to this, as the peers do */
/* binary-trees (trees.c).  Nonzero if a check failed or the heap ran out.
 * (run=bench:trees takes p from the boot arguments depth=, long=, workers=.) */
int trees_bench(const struct trees_params *p);

#endif
