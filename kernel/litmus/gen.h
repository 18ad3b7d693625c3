/*
 * gen.h — the harness the runner wraps around each thread's encoded body:
 * machine code that runs one thread of a litmus test over a whole run of
 * iterations (see the comment at the top of gen.c for the code and the
 * top of run.c for how the runner uses it).
 *
 * Portable C, like the parser and the encoder: it only writes words into a
 * buffer.  Making them executable (cache maintenance) is the runner's job.
 */
#ifndef LITMUS_GEN_H
#define LITMUS_GEN_H

#include <stdint.h>

#include "kernel/litmus/encode.h"
#include "kernel/litmus/litmus.h"

/* How the threads start each iteration (litmus7's -barrier). */
enum litmus_sync {
	LITMUS_SYNC_NONE, /* no per-iteration synchronisation: one barrier per run */
	LITMUS_SYNC_USER, /* a go flag per iteration, set by a rotating leader */
	LITMUS_SYNC_TIMEBASE, /* the leader publishes a start time; all wait for it plus a skew */
	LITMUS_SYNC_MEET, /* -barrier none with -sync K: every thread meets at a counter
			   * every K iterations (only gen.c sees this one) */
};

/*
 * A row: what one thread's code reads and writes for one iteration, in
 * 8-byte words.  The code walks the rows with SP, so a row is a multiple of
 * 16 bytes (SP-relative accesses must keep SP 16-byte aligned).
 *   ROW_CTL     0, or LITMUS_CTL_* flags: what to do after this iteration
 *   ROW_SYNC    the iteration's go word (LITMUS_SYNC_USER, _TIMEBASE), or
 *               for _MEET the counter of a meeting point (0: none here)
 *   ROW_LEAD    nonzero if this thread leads the iteration: for
 *               _TIMEBASE, how many counter ticks ahead it sets the start;
 *               for _MEET, the number of threads, and in the high 32 bits
 *               how many rounds the meeting may wait (the code writes
 *               back the rounds it had left: 0 when it gave up)
 *   ROW_SKEW    _TIMEBASE: counter ticks this thread waits past the start;
 *               _MEET: turns of a delay loop after the meeting
 *   ROW_ADDR..  the address each address register starts with (fresh cells)
 *   then        the final value of each observed register of the thread
 */
#define ROW_CTL	 0
#define ROW_SYNC 1
#define ROW_LEAD 2
#define ROW_SKEW 3
#define ROW_ADDR 4

#define LITMUS_CTL_WINDOW 1 /* open an interrupt window after this iteration */
#define LITMUS_CTL_LAST	  2 /* the run ends after this iteration */

struct litmus_layout {
	int words; /* row size in 8-byte words (even) */
	int naddr; /* registers starting as a location's address */
	uint8_t addr_reg[LITMUS_NREGS]; /* ... which register */
	int16_t addr_loc[LITMUS_NREGS]; /* ... which location's address */
	int nobs; /* observed registers of this thread */
	uint8_t obs_reg[LITMUS_NREGS]; /* ... which register */
	int8_t obs_index[LITMUS_NREGS]; /* ... its index in test->observed[] */
	uint32_t imm_regs; /* registers set to a number each iteration */
	int64_t imm_value[LITMUS_NREGS]; /* ... the number */
};

/* The row of thread th of t.  Word index of observed register k: */
#define ROW_OBS(lay, k) (ROW_ADDR + (lay)->naddr + (k))
void litmus_layout(const struct litmus_test *t, int th, struct litmus_layout *lay);

/* Spins of a wait loop between interrupt windows (see gen.c). */
#define LITMUS_SPIN_WINDOW 1024

/* The most words litmus_gen can produce for one thread. */
#define LITMUS_GEN_MAX_WORDS (LITMUS_MAX_BODY_WORDS + LITMUS_NREGS * 6 + 128)

/* Where things are in a thread's generated code (word indexes). */
struct litmus_gen_map {
	int words; /* the code's length */
	int body_at; /* the test's first instruction */
	int word_of[LITMUS_MAX_INSNS + 1]; /* instruction i at body_at + word_of[i] */
	int fault_at; /* the fault exit: see gen.c */
};

/*
 * Generate thread th's code into code[0..cap): a C function
 *     int run(uint64_t *rows)
 * that runs the thread once per row, from rows[0] until a row whose
 * ROW_CTL has LITMUS_CTL_LAST, with interrupts masked by the caller (the
 * code opens short windows itself, see gen.c).  It returns 0; the fault
 * exit at map->fault_at returns 1 (the runner makes a faulting access
 * resume there).  Returns the number of words, or -1 with *err set.
 */
int litmus_gen(const struct litmus_test *t, int th, int sync, const struct litmus_layout *lay,
	       uint32_t *code, int cap, struct litmus_gen_map *map, struct litmus_error *err);

#endif
