/*
 * trees.c — binary-trees on the collector: "gc bench trees" and
 * run=bench:trees.  The same workload as the peers of tools/bench-peers
 * (tools/peers/trees.c for Boehm GC and malloc/free, trees.go for Go), so
 * that allstop's collector can be set beside theirs.
 *
 * The workload (the shape of Boehm's GCBench and of the benchmarks game):
 *
 *   - a "stretch" tree of depth max+1 is built, checked and dropped;
 *   - a long-lived tree of depth LONG is built and kept to the end;
 *   - for d = 4, 6, ... max: 2^(max - d + 4) trees of depth d are built,
 *     checked and dropped, the iterations split over WORKERS tasks, one
 *     pinned to each core in turn;
 *   - the long-lived tree is checked.
 * A tree of depth d has 2^(d+1) - 1 nodes of two pointers (16 bytes), and
 * its check is its node count: the lines printed are the peers' lines, so
 * the benchmark compares them word for word.
 *
 * Nodes are allocated with gc_alloc and linked with gc_write (the write
 * barrier), children first.  A worker yields every YIELD_NODES nodes, as a
 * Go goroutine would be preempted, so that the mark worker of its core gets
 * to run while a cycle marks.  Cycles start on their own (the collector's
 * trigger: twice the heap that survived the last cycle, at least 4 MiB).
 *
 * What it reports: the wall time from the first allocation to the last
 * check, every cycle's two pauses (a cycle observer, gc_set_cycle_observer,
 * records each one: the collector keeps only the last GC_HISTORY), the
 * median mark phase, and the peak of the heap: the most bytes allocated and
 * not yet swept, as sampled by the workers at each yield and by the
 * collector at the start of each cycle.  The table of where each pause
 * went, step by step (gc_print_pauses), is the profile of a pause.
 */
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"
#include "kernel/bench/bench.h"
#include "kernel/bench/csv.h"
#include "kernel/drivers/console.h"
#include "kernel/lib/stats.h"
#include "kernel/task/task.h"

#include <stdlib.h>
#include <string.h>

#define MIN_DEPTH     4
#define YIELD_NODES   4096 /* about 64 KiB of nodes between yields */
#define MAX_RECORDED  4096 /* cycles whose pauses are kept */
#define TREES_MAX_DEP 24

struct node {
	struct node *left, *right;
};

/* One worker's share of a depth: filled in by trees_run, the rest by the worker. */
struct trees_job {
	int depth;
	uint64_t iterations;
	uint64_t check; /* the sum of its trees' checks */
	bool out_of_memory;
	uint64_t peak_bytes; /* the most live heap bytes it saw */
	unsigned since_yield; /* nodes built since it last yielded */
};

/* ---- every cycle's figures, recorded by the collecting task ---- */

/* malloc'd (the collector does not scan it: it holds no pointer). */
static struct gc_cycle_stats *records;
static uint64_t nrecords; /* written by the observer only; read with acquire */
static uint64_t cycles_missed; /* cycles past MAX_RECORDED */

static void record_cycle(const struct gc_cycle_stats *s)
{
	uint64_t n = nrecords; /* only this function writes it */
	if (n == MAX_RECORDED) {
		cycles_missed++;
		return;
	}
	records[n] = *s;
	/* release: the record above is complete before the reader, which loads
	 * nrecords with acquire, reads it */
	__atomic_store_n(&nrecords, n + 1, __ATOMIC_RELEASE);
}

/* ---- the trees ---- */

static void note_heap(struct trees_job *job)
{
	struct gc_heap_stats hs;
	gc_heap_stats(&hs);
	if (hs.live_bytes > job->peak_bytes)
		job->peak_bytes = hs.live_bytes;
}

/* A node, yielding now and then; NULL when the heap is exhausted. */
static struct node *new_node(struct trees_job *job)
{
	if (++job->since_yield == YIELD_NODES) {
		job->since_yield = 0;
		note_heap(job);
		task_yield();
	}
	return gc_alloc(sizeof(struct node), 0);
}

/* A complete tree of depth d, children first; NULL if the heap ran out. */
static struct node *build(struct trees_job *job, int d)
{
	struct node *n = new_node(job);
	if (!n || d == 0)
		return n;
	struct node *left = build(job, d - 1);
	struct node *right = left ? build(job, d - 1) : NULL;
	if (!right)
		return NULL;
	gc_write(&n->left, left);
	gc_write(&n->right, right);
	return n;
}

/* The tree's node count. */
static uint64_t check(const struct node *n)
{
	if (!n->left)
		return 1;
	return 1 + check(n->left) + check(n->right);
}

/* One tree of depth d built and checked: its check, or 0 out of memory. */
static uint64_t one_tree(struct trees_job *job, int d)
{
	struct node *t = build(job, d);
	if (!t) {
		job->out_of_memory = true;
		return 0;
	}
	return check(t);
}

static int64_t worker(void *arg)
{
	struct trees_job *job = arg;
	for (uint64_t i = 0; i < job->iterations && !job->out_of_memory; i++)
		job->check += one_tree(job, job->depth);
	note_heap(job);
	return 0;
}

/* ---- one run ---- */

struct trees_run {
	struct trees_params p;
	int cores[MAX_CPUS]; /* the online cores, in order */
	int ncores;
	struct trees_job *jobs; /* p.workers of them, malloc'd */
	uint64_t peak_bytes;
	bool failed;
};

/* iterations trees of depth d over the workers; returns the sum of checks. */
static uint64_t run_depth(struct trees_run *r, int d, uint64_t iterations)
{
	unsigned w = r->p.workers;
	struct task *tasks[TREES_MAX_WORKERS];
	for (unsigned i = 0; i < w; i++) {
		r->jobs[i] = (struct trees_job){.depth = d, .iterations = iterations / w};
		if (i < iterations % w)
			r->jobs[i].iterations++;
		tasks[i] =
		    task_create_on(r->cores[i % r->ncores], true, "trees", worker, &r->jobs[i], 0);
		if (!tasks[i]) {
			r->jobs[i].out_of_memory = true;
			r->failed = true;
		}
	}
	uint64_t sum = 0;
	for (unsigned i = 0; i < w; i++) {
		if (tasks[i])
			task_join(tasks[i]);
		sum += r->jobs[i].check;
		if (r->jobs[i].peak_bytes > r->peak_bytes)
			r->peak_bytes = r->jobs[i].peak_bytes;
		if (r->jobs[i].out_of_memory)
			r->failed = true;
	}
	return sum;
}

/* Checks a tree's count against 2^(d+1) - 1 times n; prints the line. */
static bool expect(struct trees_run *r, uint64_t got, int d, uint64_t n)
{
	uint64_t want = n * ((2ULL << d) - 1);
	if (got == want)
		return true;
	kprintf("trees: check FAILED: %llu trees of depth %d gave %llu nodes, not %llu\n",
		(unsigned long long)n, d, (unsigned long long)got, (unsigned long long)want);
	r->failed = true;
	return false;
}

/* The workload itself (the lines the peers print too). */
static void run_workload(struct trees_run *r)
{
	int max = r->p.depth;
	struct trees_job main_job = {0};
	uint64_t c = one_tree(&main_job, max + 1);
	kprintf("stretch tree of depth %d\t check: %llu\n", max + 1, (unsigned long long)c);
	expect(r, c, max + 1, 1);

	struct node *long_lived = build(&main_job, r->p.long_depth);
	if (!long_lived)
		main_job.out_of_memory = true;
	for (int d = MIN_DEPTH; d <= max && !r->failed && long_lived; d += 2) {
		uint64_t iterations = 1ULL << (max - d + MIN_DEPTH);
		uint64_t sum = run_depth(r, d, iterations);
		kprintf("%llu\t trees of depth %d\t check: %llu\n", (unsigned long long)iterations,
			d, (unsigned long long)sum);
		expect(r, sum, d, iterations);
	}
	c = long_lived ? check(long_lived) : 0;
	kprintf("long lived tree of depth %d\t check: %llu\n", r->p.long_depth,
		(unsigned long long)c);
	expect(r, c, r->p.long_depth, 1);
	note_heap(&main_job);
	if (main_job.peak_bytes > r->peak_bytes)
		r->peak_bytes = main_job.peak_bytes;
	if (main_job.out_of_memory || r->failed) {
		kprintf("trees: the heap ran out or a worker could not start (gcheap= sets the "
			"heap's MiB)\n");
		r->failed = true;
	}
}

/* ---- the report ---- */

static void report(struct trees_run *r, uint64_t wall_ns)
{
	/* acquire: pairs with record_cycle's release: records[0..n) are complete */
	uint64_t n = __atomic_load_n(&nrecords, __ATOMIC_ACQUIRE);
	uint64_t *pauses = malloc((2 * n + 1) * sizeof *pauses);
	uint64_t *marks = malloc((n + 1) * sizeof *marks);
	if (!pauses || !marks) {
		kprintf("trees: no memory for the report\n");
		r->failed = true;
		free(pauses);
		free(marks);
		return;
	}
	csv_header("trees_pauses", "cycle,stop,pause_ns");
	for (uint64_t i = 0; i < n; i++) {
		const struct gc_cycle_stats *c = &records[i];
		csv_row("trees_pauses", "%llu,1,%llu", (unsigned long long)c->cycle,
			(unsigned long long)c->stop1_ns);
		csv_row("trees_pauses", "%llu,2,%llu", (unsigned long long)c->cycle,
			(unsigned long long)c->stop2_ns);
		pauses[2 * i] = c->stop1_ns;
		pauses[2 * i + 1] = c->stop2_ns;
		marks[i] = c->mark_ns;
		if (c->live_before > r->peak_bytes)
			r->peak_bytes = c->live_before;
	}
	struct stats_summary s = {0};
	if (n)
		stats_summarize(pauses, 2 * n, &s);
	uint64_t mark = n ? stats_median(marks, n) : 0;
	kprintf("trees: wall %llu ms, %llu cycles%s, pauses (both stops of each cycle): max %llu "
		"us, median %llu us, p99 %llu us; mark %llu ms (median); peak heap %llu KiB\n",
		(unsigned long long)(wall_ns / 1000000), (unsigned long long)n,
		cycles_missed ? " recorded (more ran)" : "", (unsigned long long)(s.max / 1000),
		(unsigned long long)(s.median / 1000), (unsigned long long)(s.p99 / 1000),
		(unsigned long long)(mark / 1000000), (unsigned long long)(r->peak_bytes >> 10));
	if (n)
		gc_print_pauses(records, n); /* where each pause's time went, step by step */
	csv_header("trees", "depth,long,workers,cores,wall_ms,cycles,pause_max_us,pause_median_us,"
			    "pause_p99_us,mark_median_ms,peak_heap_kib,checks");
	csv_row("trees", "%d,%d,%u,%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%s", r->p.depth,
		r->p.long_depth, r->p.workers, r->ncores, (unsigned long long)(wall_ns / 1000000),
		(unsigned long long)n, (unsigned long long)(s.max / 1000),
		(unsigned long long)(s.median / 1000), (unsigned long long)(s.p99 / 1000),
		(unsigned long long)(mark / 1000000), (unsigned long long)(r->peak_bytes >> 10),
		r->failed ? "failed" : "ok");
	free(pauses);
	free(marks);
}

/* ---- the entry point ---- */

static bool params_valid(const struct trees_params *p)
{
	if (p->depth < 1 || p->depth > TREES_MAX_DEP - 1 || p->long_depth < 0 ||
	    p->long_depth > TREES_MAX_DEP || p->workers < 1 || p->workers > TREES_MAX_WORKERS) {
		kprintf("trees: depth %d, long %d, workers %u: expected a depth from 1 to %d, a "
			"long-lived depth from 0 to %d and 1 to %d workers\n",
			p->depth, p->long_depth, p->workers, TREES_MAX_DEP - 1, TREES_MAX_DEP,
			TREES_MAX_WORKERS);
		return false;
	}
	return true;
}

int trees_bench(const struct trees_params *given)
{
	if (!gc_ready()) {
		kprintf("trees: no heap\n");
		return 1;
	}
	struct trees_run r = {.p = *given};
	if (r.p.depth < TREES_LEAST_DEPTH)
		r.p.depth = TREES_LEAST_DEPTH; /* as the peers: at least two depths to run */
	if (!params_valid(&r.p))
		return 1;
	for_each_online_cpu(c) r.cores[r.ncores++] = c->id;
	r.jobs = malloc(r.p.workers * sizeof *r.jobs);
	if (!records)
		records = malloc(MAX_RECORDED * sizeof *records); /* once: see the end */
	if (!r.jobs || !records) {
		kprintf("trees: no memory for the workers' records\n");
		free(r.jobs);
		return 1;
	}
	kprintf("trees: max depth %d, long-lived tree depth %d, %u workers on %d cores\n",
		r.p.depth, r.p.long_depth, r.p.workers, r.ncores);
	/* Start from a heap without another run's garbage.  This also waits for
	 * a cycle of an earlier run, so no observer call is left in flight when
	 * the count is reset (the observer runs inside the cycle). */
	gc_collect();
	nrecords = 0;
	cycles_missed = 0;
	gc_set_cycle_observer(record_cycle);
	uint64_t t0 = timer_ns();
	run_workload(&r);
	uint64_t wall = timer_ns() - t0;
	gc_set_cycle_observer(NULL);
	report(&r, wall);
	free(r.jobs);
	/* records stays allocated: a cycle that loaded the observer just before
	 * it was removed may still write into it (never past MAX_RECORDED) */
	return r.failed ? 1 : 0;
}
