/*
 * model.h — the ARMv8 axiomatic memory model over a parsed litmus test: which
 * final states the architecture allows, in herd7's terms and output format.
 *
 * What it computes (the model of the Arm ARM's chapter B2.3 as herd7's
 * aarch64.cat states it; the files below say which part lives where):
 *
 *   model_thread.c  every path each thread can take and every value each read
 *                   can return: a "trace" per (path, read values), with its
 *                   memory events and, per event, which earlier reads reach
 *                   its address, data or a branch before it (register data
 *                   flow, and flow through memory by a local read successor);
 *   model_order.c   the orders inside one trace: locally-ordered-before
 *                   (dependencies, barriers, acquire/release, rmw, same-
 *                   location writes) and the hardware-required extras;
 *   model_exec.c    candidate executions: one trace per thread, every
 *                   reads-from choice, every coherence order per location;
 *                   the axioms internal (coherence), atomic and external
 *                   (ordered-before acyclic: other-multi-copy atomicity); the
 *                   final states and herd's execution counts;
 *   model_print.c   the result as herd7 prints it;
 *   model_why.c     for a forbidden outcome, the axiom and a shortest cycle.
 *
 * Portable C, built into the kernel (freestanding, no floating point, no
 * allocation: everything lives in the caller's struct model, and a test too
 * large for its bounded arrays is an error naming the limit) and on the host
 * (tools/litmus-model, tests/host/test_litmus_model.c).  A struct model is
 * large (about 1 MiB): allocate it once, never on a stack.
 */
#ifndef LITMUS_MODEL_H
#define LITMUS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/litmus/litmus.h"

/* Limits.  A test beyond one is refused with "test too large: ...". */
#define MODEL_MAX_TEV	    32 /* memory events on one thread's path */
#define MODEL_MAX_EVENTS    64 /* memory events in one execution, all threads */
#define MODEL_MAX_VALUES    16 /* distinct values one location can hold */
#define MODEL_MAX_TRACES    1024 /* thread traces (paths x read values), all threads */
#define MODEL_MAX_FENCES    32 /* barriers executed on one path */
#define MODEL_MAX_STEPS	    512 /* instructions executed on one path */
#define MODEL_MAX_STATES    2048 /* distinct final states */
#define MODEL_MAX_STATE_VAL 16384 /* values stored for them: states x observed */
#define MODEL_UNROLL	    2 /* times a backward branch may be taken (herd's -unroll) */

/* model_run flags. */
#define MODEL_WHY 0x1 /* also find, for the condition's outcome, why it is forbidden */

/* ---------------------------------------------------------------- traces */

enum model_ev_kind { MODEL_R, MODEL_W };

/* Event flags: the sets of aarch64.cat an event belongs to. */
#define MODEL_EV_A     0x01 /* acquire read: LDAR, LDAXR, *A atomics */
#define MODEL_EV_Q     0x02 /* acquirePC read: LDAPR */
#define MODEL_EV_L     0x04 /* release write: STLR, STLXR, *L atomics */
#define MODEL_EV_EXCL  0x08 /* load/store exclusive */
#define MODEL_EV_AMO   0x10 /* half of a single-instruction read-modify-write */
#define MODEL_EV_NORET 0x20 /* the read of an atomic that returns nothing (STADD) */

/* One memory access on a thread's path. */
struct model_event {
	uint64_t value; /* read or written */
	uint8_t kind; /* enum model_ev_kind */
	uint8_t flags; /* MODEL_EV_* */
	int8_t loc; /* index into test->loc[] */
	int8_t pair; /* rmw: the other half (index in the trace), else -1 */
	int16_t insn; /* the instruction (index in the thread) */
	int16_t step; /* position in program order (instructions executed before) */
};

/* A thread's path with its read values: what an execution takes from it. */
struct model_trace {
	uint8_t thread;
	uint8_t nev;
	uint8_t nchoice;
	bool shareability; /* has a DMB/DSB with an ISH or OSH option */
	uint8_t choice[MODEL_MAX_TEV]; /* the choices that made it (see model_thread.c) */
	struct model_event ev[MODEL_MAX_TEV];
	/* Local part of ordered-before: bit j of ord[i] says event i is
	 * ordered before event j by the thread alone (model_order.c). */
	uint32_t ord[MODEL_MAX_TEV];
	/* Final value of each observed place that is one of this thread's
	 * registers (indexed like test->observed[]; others unused). */
	uint64_t obs[LITMUS_MAX_OBSERVED];
};

/* ---------------------------------------------------------------- the model */

/* Where printed text goes: the kernel's console, a host FILE, a buffer. */
struct model_out {
	void (*write)(void *arg, const char *s, size_t n);
	void *arg;
};

/* Scratch state of one thread running one path (model_thread.c). */
struct model_wev {
	uint32_t at, ap; /* reads reaching the address: by data flow (t), also by pick (p) */
	uint32_t dt, dp; /* reads reaching the data written (W) */
	uint32_t ct, cp; /* reads reaching a conditional branch before it */
	uint32_t mt, mp; /* reads reaching the access itself (address, data, lrs) */
	uint32_t xp; /* reads reaching it through a comparison (CAS) */
	int8_t lrs; /* R: the write it is a local read successor of, or -1 */
};

enum model_fence_kind {
	MODEL_F_NONE, /* a DMB/DSB NSH* option: orders nothing the model sees */
	MODEL_F_FULL, /* DMB/DSB SY, ISH, OSH */
	MODEL_F_LD, /* DMB/DSB LD, ISHLD, OSHLD */
	MODEL_F_ST, /* DMB ST, ISHST, OSHST */
	MODEL_F_DSBST, /* DSB ST, ISHST, OSHST (also orders W before everything) */
	MODEL_F_ISB,
};

struct model_fence {
	int16_t step;
	uint8_t kind; /* enum model_fence_kind */
	uint8_t op; /* LITMUS_DMB, LITMUS_DSB, LITMUS_ISB */
	uint8_t barrier; /* enum litmus_barrier */
	uint32_t ct, cp; /* ctrl reaching it (ISB) */
};

struct model_work {
	struct model_trace tr;
	struct model_wev wev[MODEL_MAX_TEV];
	int nfence;
	struct model_fence fence[MODEL_MAX_FENCES];
	uint64_t reg[32]; /* X0..X30, and NZCV at LITMUS_FLAGS_BIT */
	uint32_t rt[32], rp[32]; /* reads each register's value depends on */
	uint32_t ct, cp; /* reads reaching the branches executed so far */
	int excl; /* the open load-exclusive (event index), or -1 */
	int steps;
	uint8_t taken[LITMUS_MAX_INSNS]; /* backward branches taken, per instruction */
	uint8_t nopt[MODEL_MAX_TEV]; /* options at each choice point */
	int nchoice; /* choice points passed */
};

/* The candidate execution under examination (model_exec.c). */
struct model_exec {
	int cur[LITMUS_MAX_THREADS]; /* trace index per thread */
	int n; /* events */
	uint8_t thread[MODEL_MAX_EVENTS];
	uint8_t idx[MODEL_MAX_EVENTS]; /* index in its trace */
	int8_t loc[MODEL_MAX_EVENTS];
	uint8_t kind[MODEL_MAX_EVENTS];
	int8_t pair[MODEL_MAX_EVENTS]; /* rmw partner, global index, or -1 */
	uint64_t local[MODEL_MAX_EVENTS]; /* thread-local ordered-before */
	uint64_t poloc[MODEL_MAX_EVENTS]; /* same thread, same location, later */
	uint64_t ext[MODEL_MAX_EVENTS]; /* events of other threads */
	uint64_t cand[MODEL_MAX_EVENTS]; /* R: writes with the value it read */
	bool init_ok[MODEL_MAX_EVENTS]; /* R: the initial value is the one it read */
	int8_t rf[MODEL_MAX_EVENTS]; /* R: the write it reads from, -1: initial */
	uint64_t after[MODEL_MAX_EVENTS]; /* W: writes co-after it */
	uint64_t rfto[MODEL_MAX_EVENTS]; /* W: reads reading from it */
	uint8_t rank[MODEL_MAX_EVENTS]; /* W: place in co (1..), 0 is the initial write */
	uint64_t req[MODEL_MAX_EVENTS]; /* W: writes coherence puts co-before it */
	uint64_t locw[LITMUS_MAX_LOCS]; /* writes to each location */
	uint64_t locm[LITMUS_MAX_LOCS]; /* reads and writes of each location */
	int nw[LITMUS_MAX_LOCS], nr[LITMUS_MAX_LOCS];
	uint8_t w[LITMUS_MAX_LOCS][MODEL_MAX_EVENTS]; /* writes per location, in co order */
	uint8_t r[LITMUS_MAX_LOCS][MODEL_MAX_EVENTS]; /* reads per location */
	uint16_t incoherent; /* locations whose choice breaks coherence or atomicity */
};

/* The shortest forbidding cycle found so far (model_why.c). */
enum model_axiom { MODEL_AX_NONE, MODEL_AX_INTERNAL, MODEL_AX_ATOMIC, MODEL_AX_EXTERNAL };

struct model_why {
	int axiom; /* of the best one; MODEL_AX_NONE: none found */
	int len; /* its cycle length */
	int loc; /* internal, atomic: the location */
	int cur[LITMUS_MAX_THREADS];
	int8_t rf[MODEL_MAX_EVENTS];
	uint8_t rank[MODEL_MAX_EVENTS];
	uint64_t forbidden[4]; /* executions reaching the outcome, per axiom broken */
	uint64_t allowed; /* allowed executions reaching the outcome */
	bool witness; /* an allowed one is kept (cur/rf/rank) */
};

struct model {
	const struct litmus_test *t;
	unsigned flags;

	/* The address each location stands for in register and memory values:
	 * a token no test value is likely to equal (model_thread.c). */
	uint64_t loc_addr[LITMUS_MAX_LOCS];
	/* Every value each location may hold: its initial value (first) and
	 * every value some path writes to it; next: what this round of
	 * enumeration adds (model_thread.c). */
	int nvals[LITMUS_MAX_LOCS];
	uint64_t vals[LITMUS_MAX_LOCS][MODEL_MAX_VALUES];
	int nnext[LITMUS_MAX_LOCS];
	uint64_t next[LITMUS_MAX_LOCS][MODEL_MAX_VALUES];

	int ntraces;
	int first[LITMUS_MAX_THREADS], count[LITMUS_MAX_THREADS];
	struct model_trace trace[MODEL_MAX_TRACES];
	bool loop_cut; /* some path was cut at the unroll bound (herd: "Loop") */
	bool shareability; /* an allowed execution has an ISH/OSH barrier (herd's flag) */

	/* Results. */
	uint64_t candidates; /* candidate executions (coherent, atomic) looked at */
	uint64_t pos, neg; /* allowed executions satisfying / not the proposition */
	int nstates;
	bool state_pos[MODEL_MAX_STATES]; /* the state satisfies the proposition */
	uint64_t state[MODEL_MAX_STATE_VAL]; /* nstates x test->nobserved values, sorted */

	struct model_why why;

	/* Scratch. */
	struct model_work work;
	struct model_exec x;
	struct litmus_error *err;
	bool failed;
};

/* ---------------------------------------------------------------- API */

/*
 * Run the model on a parsed test: every candidate execution, the axioms, the
 * final states.  flags: MODEL_WHY to also look for the explanation that
 * model_explain prints.  Returns 0, or -1 with *err set (test too large, an
 * access to an address that is no location, ...).
 */
int model_run(struct model *m, const struct litmus_test *t, unsigned flags,
	      struct litmus_error *err);

/* herd7's output for the test: Test, States, Ok/No, Witnesses, Condition,
 * Observation, "Time NAME <time>" when time is not NULL (the model has no
 * clock: the caller formats it), Hash when the test has one, a blank line. */
void model_print(const struct model *m, const struct model_out *out, const char *time);

/* Is the condition's proposition reachable by some allowed execution? */
bool model_reachable(const struct model *m);

/* herd's verdict word for the test's outcome: "Allowed" when the
 * proposition is reachable, else "Forbidden" (as in VERDICTS.tsv). */
const char *model_verdict(const struct model *m);

/* "Never", "Sometimes" or "Always": how often the proposition holds. */
const char *model_observation(const struct model *m);

/* Index of a final state (values in test->observed order, addresses as
 * model_loc_addr tokens) among the allowed ones, or -1. */
int model_find_state(const struct model *m, const uint64_t *values);

/* The value standing for location loc's address in the model's states. */
uint64_t model_loc_addr(const struct model *m, int loc);

/* A value as herd prints it: a location's name for its address, else decimal. */
size_t model_format_value(const struct model *m, uint64_t v, char *buf, size_t size);

/*
 * After model_run(..., MODEL_WHY): explain the condition's outcome (the
 * proposition, or for a forall its negation).  Forbidden: the axiom broken by
 * the executions that reach it and one shortest cycle, e.g.
 *   Wx=1 -dmb.sy-> Wy=1 -rfe-> Ry=1 -dmb.sy-> Rx=0 -fre-> Wx=1
 * Allowed: one execution that reaches it.  Returns 0, or -1 with *err set.
 */
int model_explain(struct model *m, const struct model_out *out, struct litmus_error *err);

#endif
