/*
 * judge.h — the ARMv8 model's word on a run (see judge.c).
 */
#ifndef LITMUS_JUDGE_H
#define LITMUS_JUDGE_H

#include <stdbool.h>

#include "kernel/litmus/log.h"
#include "kernel/litmus/model.h"
#include "kernel/litmus/run.h"

/* The kernel's one model workspace (about 1 MiB), allocated on first use;
 * NULL if there is no memory for it.  One test at a time: callers are the
 * shell's and the lessons' task, which run one command at a time. */
struct model *litmus_model(void);

/* The model's output (model_print, model_explain) on the console. */
extern const struct model_out litmus_console_out;

/* The model's verdict on t, and which of r's states it forbids.  enabled
 * false (-model off), or a model that cannot run t, leaves v->known false
 * with v->why saying why. */
void litmus_judge(const struct litmus_test *t, const struct litmus_result *r, bool enabled,
		  struct litmus_verdict *v);

#endif
