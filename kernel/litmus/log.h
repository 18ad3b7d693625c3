/*
 * log.h — the runner's output, in litmus7's log format (see log.c).
 */
#ifndef LITMUS_LOG_H
#define LITMUS_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/litmus/run.h"

/* What the ARMv8 model says about a test (cmd.c fills it when the model is
 * in the kernel; known = false otherwise). */
struct litmus_verdict {
	bool known;
	const char *word; /* "Allowed" or "Forbidden": is the outcome reachable */
	int nstates; /* final states the model allows */
	int forbidden_seen; /* states of the run outside those */
	bool forbidden[LITMUS_MAX_STATES]; /* per result state: outside the model's */
	char why[160]; /* known = false: why there is no verdict */
};

/* The machine, for the log's header. */
struct litmus_machine {
	const char *board; /* allstop's board: virt, raspi3b, rpi4 */
	char model[64]; /* the device tree's model, if any */
	uint64_t midr;
	char cpu[48]; /* "Cortex-A72 r0p3" */
	int cores; /* online */
	uint64_t freq; /* CNTFRQ_EL0 */
	bool qemu; /* see litmus_machine_get */
	char platform[96]; /* "QEMU TCG on an x86 host", "real hardware" */
};

void litmus_machine_get(struct litmus_machine *m);
bool litmus_on_qemu(void);

/* The header: the machine and the parameters. */
void litmus_log_header(const struct litmus_params *p);
/* "-s 1000 -r 200 -barrier none +ra ..." */
void litmus_format_params(const struct litmus_params *p, char *buf, size_t size);

/* One test's block: the banner, its source, the generated code, then
 * litmus7's results (Test, Histogram, Ok/No, Witnesses, Condition,
 * Observation, Time).  file: where it came from (for the banner). */
void litmus_log_test(const struct litmus_test *t, const char *file, const char *src, size_t len,
		     const struct litmus_params *p, const struct litmus_result *r,
		     const struct litmus_verdict *v);
/* A test that could not run: litmus7 prints nothing; we say why. */
void litmus_log_error(const char *file, const char *msg);

/* The closing table, one row per test (litmus_summary_add after each). */
struct litmus_summary_row {
	char name[40];
	char kind[12]; /* Allowed / Forbidden / Required, from the quantifier */
	char seen[12]; /* Never / Sometimes / Always, or "error" / "skipped" */
	char model[12]; /* the model's verdict, or "?" */
	uint64_t pos, total;
	uint64_t centis; /* seconds x 100 */
	bool forbidden; /* a state the model forbids was seen */
};

struct litmus_summary {
	int n, dropped;
	struct litmus_summary_row row[64];
};

void litmus_summary_add(struct litmus_summary *s, const struct litmus_test *t,
			const struct litmus_result *r, const struct litmus_verdict *v);
/* A row for a test that did not run: seen is "error" or "skipped". */
void litmus_summary_error(struct litmus_summary *s, const char *name, const char *seen);
void litmus_log_summary(const struct litmus_summary *s);

/* litmus7's positive count ("shown" states, see run.h) and the total. */
/* One state as herd prints it: "0:X2=0; 1:X2=0;". */
void litmus_format_state(const struct litmus_test *t, const struct litmus_state *s, char *buf,
			 size_t size);
void litmus_count(const struct litmus_test *t, const struct litmus_result *r, uint64_t *pos,
		  uint64_t *neg);

#endif
