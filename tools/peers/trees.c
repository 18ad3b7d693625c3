/*
 * trees.c — binary-trees, the peer of allstop's run=bench:trees, for Linux on
 * AArch64 (run under qemu-aarch64 by tools/bench-peers).  Compiled twice:
 *
 *   -DUSE_BOEHM   nodes from Boehm GC (GC_MALLOC), never freed: the collector
 *                 finds the dropped trees.  Worker threads are created through
 *                 gc.h's pthread_create (GC_THREADS), so the collector stops
 *                 and scans them.
 *   (plain)       nodes from malloc, each tree freed after it is checked: the
 *                 no-collector baseline.
 *
 * The workload (identical in the kernel, in trees.go and here):
 *   min_depth = 4, max_depth = max(min_depth + 2, DEPTH), long = LONG
 *   (default max_depth).  A tree of depth d has 2^(d+1)-1 nodes of two
 *   pointers; check(tree) counts them.
 *   1. build a "stretch" tree of depth max_depth+1, check it, drop it;
 *   2. build the long-lived tree of depth long, kept to the end;
 *   3. for d = min_depth, min_depth+2, ... max_depth: 2^(max_depth-d+min_depth)
 *      trees of depth d, split over WORKERS workers (each takes
 *      iterations/WORKERS, the first iterations%WORKERS one more), each
 *      builds, checks and drops its trees; the checks are summed;
 *   4. check the long-lived tree.
 * The check lines must match the other implementations' exactly; the last
 * line is "wall_ms N", the time from the start of main to the end.
 *
 * Usage: trees DEPTH [LONG [WORKERS]]
 */
#ifdef USE_BOEHM
#define GC_THREADS /* gc.h then routes pthread_create through the collector */
#include <gc.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct node {
	struct node *left, *right;
};

enum { MIN_DEPTH = 4 };

static struct node *new_node(struct node *left, struct node *right)
{
#ifdef USE_BOEHM
	struct node *n = GC_MALLOC(sizeof *n);
#else
	struct node *n = malloc(sizeof *n);
#endif
	if (n == NULL) {
		fprintf(stderr, "trees: out of memory\n");
		exit(1);
	}
	n->left = left;
	n->right = right;
	return n;
}

static struct node *build(int depth)
{
	if (depth == 0)
		return new_node(NULL, NULL);
	struct node *left = build(depth - 1);
	return new_node(left, build(depth - 1));
}

static long check(const struct node *n)
{
	if (n->left == NULL)
		return 1;
	return 1 + check(n->left) + check(n->right);
}

/* Drop a tree: malloc's trees are freed; Boehm's are left to the collector. */
static void drop(struct node *n)
{
#ifdef USE_BOEHM
	(void)n;
#else
	if (n->left != NULL) {
		drop(n->left);
		drop(n->right);
	}
	free(n);
#endif
}

struct work {
	pthread_t thread;
	int depth;
	long trees;
	long sum; /* the checks of this worker's trees */
};

static void *worker(void *arg)
{
	struct work *w = arg;
	for (long i = 0; i < w->trees; i++) {
		struct node *t = build(w->depth);
		w->sum += check(t);
		drop(t);
	}
	return NULL;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

static int arg_int(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 30) {
		fprintf(stderr, "trees: %s must be a number 0..30, not '%s'\n", what, s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: trees DEPTH [LONG [WORKERS]]\n");
		return 2;
	}
#ifdef USE_BOEHM
	GC_INIT();
#endif
	int max_depth = arg_int(argv[1], "DEPTH");
	if (max_depth < MIN_DEPTH + 2)
		max_depth = MIN_DEPTH + 2;
	int long_depth = argc > 2 ? arg_int(argv[2], "LONG") : max_depth;
	int workers = argc > 3 ? arg_int(argv[3], "WORKERS") : 1;
	if (workers < 1) {
		fprintf(stderr, "trees: WORKERS must be at least 1\n");
		return 2;
	}

	struct node *stretch = build(max_depth + 1);
	printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
	drop(stretch);

	struct node *long_lived = build(long_depth);

	struct work *w = calloc(workers, sizeof *w);
	if (w == NULL)
		return 1;
	for (int d = MIN_DEPTH; d <= max_depth; d += 2) {
		long iterations = 1L << (max_depth - d + MIN_DEPTH);
		for (int k = 0; k < workers; k++) {
			w[k].depth = d;
			w[k].trees = iterations / workers + (k < iterations % workers);
			w[k].sum = 0;
		}
		long sum = 0;
		if (workers == 1) { /* one worker: the main thread, no thread to create */
			worker(&w[0]);
		} else {
			for (int k = 0; k < workers; k++)
				if (pthread_create(&w[k].thread, NULL, worker, &w[k]) != 0) {
					fprintf(stderr, "trees: cannot create worker %d\n", k);
					return 1;
				}
			for (int k = 0; k < workers; k++)
				pthread_join(w[k].thread, NULL);
		}
		for (int k = 0; k < workers; k++)
			sum += w[k].sum;
		printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, sum);
	}

	printf("long lived tree of depth %d\t check: %ld\n", long_depth, check(long_lived));
	printf("wall_ms %ld\n", ms_since(&t0));
	return 0;
}
