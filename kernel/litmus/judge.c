/*
 * judge.c — every run judged by the ARMv8 model.  The model (model*.c)
 * computes the final states the architecture allows for the test; each state
 * the cores showed is looked up among them, and one that is missing is a
 * state the architecture forbids: the log marks it "!! forbidden by the
 * ARMv8 model" and the run fails.
 */
#include "kernel/litmus/judge.h"
#include "kernel/drivers/console.h"

#include <stdlib.h>
#include <string.h>

static struct model *model_mem;

static void write_console(void *arg, const char *s, size_t n)
{
	(void)arg;
	console_write(s, n);
}

const struct model_out litmus_console_out = {write_console, NULL};

struct model *litmus_model(void)
{
	if (!model_mem)
		model_mem = malloc(sizeof *model_mem);
	return model_mem;
}

void litmus_judge(const struct litmus_test *t, const struct litmus_result *r, bool enabled,
		  struct litmus_verdict *v)
{
	memset(v, 0, sizeof *v);
	if (!enabled) {
		strcpy(v->why, "-model off");
		return;
	}
	struct model *m = litmus_model();
	if (!m) {
		strcpy(v->why, "no memory for the ARMv8 model");
		return;
	}
	struct litmus_error e;
	if (model_run(m, t, 0, &e) < 0) {
		ksnprintf(v->why, sizeof v->why, "the model cannot run it: %s", e.msg);
		return;
	}
	v->known = true;
	v->word = model_verdict(m);
	v->nstates = m->nstates;
	for (int i = 0; i < r->nstates; i++) {
		uint64_t vals[LITMUS_MAX_OBSERVED];
		const struct litmus_state *s = &r->state[i];
		for (int k = 0; k < t->nobserved; k++)
			vals[k] =
			    s->addr_mask & (1u << k) ? model_loc_addr(m, (int)s->v[k]) : s->v[k];
		v->forbidden[i] = model_find_state(m, vals) < 0;
		v->forbidden_seen += v->forbidden[i];
	}
}
