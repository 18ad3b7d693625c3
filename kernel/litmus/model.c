/*
 * model.c — the model's entry point and its verdicts; the work is done by
 * model_thread.c (traces), model_order.c (local orders), model_exec.c
 * (executions and axioms), model_print.c (herd's output) and model_why.c
 * (the explainer).  See model.h.
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

/* ---------------------------------------------------------------- errors */

struct strbuf *model_fail(struct model *m, int line, int col, struct strbuf *sb)
{
	if (m->failed)
		return NULL;
	m->failed = true;
	m->err->line = line;
	m->err->col = col;
	sb_init(sb, m->err->msg, sizeof m->err->msg);
	return sb;
}

/* ---------------------------------------------------------------- running */

int model_run(struct model *m, const struct litmus_test *t, unsigned flags,
	      struct litmus_error *err)
{
	m->t = t;
	m->flags = flags;
	m->err = err;
	m->failed = false;
	err->line = err->col = 0;
	err->msg[0] = '\0';
	m->candidates = m->pos = m->neg = 0;
	m->nstates = 0;
	m->shareability = false;
	memset(&m->why, 0, sizeof m->why);
	if (model_traces(m) < 0 || model_executions(m) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- verdicts */

bool model_reachable(const struct model *m)
{
	return m->pos > 0;
}

const char *model_verdict(const struct model *m)
{
	return model_reachable(m) ? "Allowed" : "Forbidden";
}

const char *model_observation(const struct model *m)
{
	if (m->pos == 0)
		return "Never";
	return m->neg == 0 ? "Always" : "Sometimes";
}
