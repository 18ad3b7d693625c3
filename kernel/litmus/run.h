/*
 * run.h — the in-kernel litmus runner: a parsed test, run on cores of its
 * own for many iterations, gives a histogram of final states.  How it works
 * is the comment at the top of run.c; the log it prints, log.c.
 */
#ifndef LITMUS_RUN_H
#define LITMUS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/litmus/gen.h"
#include "kernel/litmus/litmus.h"

/* Where a run puts each iteration's locations (-place). */
enum litmus_place_mode {
	LITMUS_PLACE_RANDOM, /* one of the four below, chosen at random per run */
	LITMUS_PLACE_ARRAY, /* litmus7's: an array per location, cells side by side */
	LITMUS_PLACE_LINE, /* an iteration's locations share one cache line */
	LITMUS_PLACE_LINES, /* each location of an iteration in its own cache line */
	LITMUS_PLACE_PAGE, /* each location in its own pages */
	LITMUS_PLACE_NMODES
};

/* Cache preconditioning before each run (-preload, litmus7's names). */
enum litmus_preload {
	LITMUS_PRELOAD_NONE, /* nothing */
	LITMUS_PRELOAD_OWN, /* each thread reads the cells it will touch */
	LITMUS_PRELOAD_ALL, /* each thread reads every cell of the run */
	LITMUS_PRELOAD_RANDOM, /* each thread reads a random half of the cells */
};

struct litmus_params {
	unsigned size; /* -s: iterations per run, each with fresh cells (litmus7 size_of_test) */
	unsigned runs; /* -r: runs (litmus7 number_of_run) */
	int sync; /* -barrier: enum litmus_sync (none, user, timebase) */
	unsigned meet; /* -sync K: with -barrier none, all threads meet every K iterations */
	unsigned patience; /* -patience N: a meeting waits at most N x 1024 spins */
	bool random_aff; /* +ra (default): threads change cores every run; -ra: fixed */
	uint64_t cores; /* -p: cores allowed (bit per core); 0: every online core */
	int place; /* -place: enum litmus_place_mode */
	bool shuffle; /* -shuffle: iterations visit the cells in a random order */
	int preload; /* -preload: enum litmus_preload */
	unsigned skew; /* -skew: timebase start skew, up to this many counter ticks */
	uint64_t seed; /* -seed: 0 picks one from the counter */
	bool model; /* -model: print the ARMv8 model's verdict (when linked in) */
};

/* The defaults: fewer iterations under QEMU, so a suite stays quick. */
void litmus_default_params(struct litmus_params *p, bool qemu);

/* One distinct final state and how often it was seen. */
struct litmus_state {
	uint64_t count;
	uint32_t addr_mask; /* bit k: value k is a location's address (its index) */
	uint64_t *v; /* test->nobserved values, in test->observed order */
};

#define LITMUS_MAX_STATES 1024

struct litmus_result {
	uint64_t iterations; /* s x r */
	uint64_t ticks; /* wall time of the whole test, counter ticks */
	uint64_t run_ticks; /* of which spent in the generated code */
	uint64_t max_batch_ticks; /* the longest single run (masked but for its windows) */
	uint64_t lost; /* iterations whose state found no room (more states than the table) */
	uint64_t meetings, gave_up; /* -sync meetings waited at, and given up on */
	uint64_t seed; /* the seed used */
	int cores[LITMUS_MAX_THREADS]; /* the cores used (first run) */
	int ncores;
	int nstates;
	struct litmus_state state[LITMUS_MAX_STATES]; /* sorted */
	uint64_t *values; /* backing store of the states' values (malloc) */
};

/*
 * Run t with params p.  Returns 0 with *r filled (free it with
 * litmus_result_free), or -1 with a message in err (not enough cores,
 * memory, a CPU feature missing, a faulting access...).
 */
int litmus_run(const struct litmus_test *t, const struct litmus_params *p, struct litmus_result *r,
	       char *err, size_t errlen);
void litmus_result_free(struct litmus_result *r);

/* How many cores a run with p may use (online, and allowed by -p). */
int litmus_cores_usable(const struct litmus_params *p);

/* Does the CPU run every instruction t uses?  0, or -1 with a message. */
int litmus_check_cpu(const struct litmus_test *t, char *err, size_t errlen);

/* Print each thread's generated code (for `litmus asm`, and the log's
 * "Generated assembler" section when asked). */
void litmus_print_code(const struct litmus_test *t, const struct litmus_params *p);

/* Does a state satisfy the test's proposition?  (tokens for addresses) */
bool litmus_state_holds(const struct litmus_test *t, const struct litmus_state *s);
/* litmus7's "shown" (*>): the proposition for exists/~exists, its negation
 * for forall. */
bool litmus_state_shown(const struct litmus_test *t, const struct litmus_state *s);

#endif
