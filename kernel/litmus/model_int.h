/*
 * model_int.h — what the model's files (model_*.c) share among themselves;
 * users include model.h only.
 */
#ifndef LITMUS_MODEL_INT_H
#define LITMUS_MODEL_INT_H

#include "kernel/litmus/model.h"
#include "kernel/litmus/strbuf.h"

/* ---------------------------------------------------------------- model_thread.c */

/* The traces of every thread into m->trace, with the value domains. */
int model_traces(struct model *m);
/* Run a stored trace's path again into m->work (for the explainer). */
int model_replay(struct model *m, const struct model_trace *tr);
/* The location whose address token is v, or -1. */
int model_addr_loc(const struct model *m, uint64_t v);

/* ---------------------------------------------------------------- model_order.c */

/* Labels of local edges; codes >= MODEL_E_FENCE name a fence (+ its index). */
enum model_edge {
	MODEL_E_NONE,
	MODEL_E_POLOC, /* lws: a later write to the same location */
	MODEL_E_ACQ, /* [A];po */
	MODEL_E_ACQPC, /* [Q];po */
	MODEL_E_REL, /* po;[L] */
	MODEL_E_RELACQ, /* [L];po;[A] */
	MODEL_E_AMOAL, /* [range([A];amo;[L])];po */
	MODEL_E_ADDR, /* addr */
	MODEL_E_DATA, /* data */
	MODEL_E_CTRL, /* ctrl;[W] */
	MODEL_E_ADDRPO, /* addr;po;[W] */
	MODEL_E_ADDRISB, /* addr;po;[ISB];po */
	MODEL_E_CTRLISB, /* ctrl;[ISB];po */
	MODEL_E_ADDRLRS, /* addr;lrs */
	MODEL_E_DATALRS, /* data;lrs */
	MODEL_E_PADDR, /* pick-addr-dep;[W] */
	MODEL_E_PDATA, /* pick-data-dep;[W] */
	MODEL_E_PCTRL, /* pick-ctrl-dep;[W] */
	MODEL_E_PICK, /* pick-basic-dep;[W] (through a comparison) */
	MODEL_E_PCTRLISB, /* pick-ctrl-dep;[ISB];po */
	MODEL_E_PADDRISB, /* pick-addr-dep;po;[ISB];po */
	MODEL_E_PADDRPO, /* pick-addr-dep;po;[W] */
	MODEL_E_RMW, /* rmw */
	MODEL_E_RMWLRS, /* rmw;lrs;[A|Q] */
	MODEL_E_PICKLOB, /* pick-basic-dep;lob;[W] */
	MODEL_E_FENCE, /* + fence index: po;[F];po as the fence allows */
};

/* The local ordered-before edges of the trace in w (into w->tr.ord); with
 * label non-NULL, the reason for each edge too. */
void model_local_order(struct model_work *w, uint8_t (*label)[MODEL_MAX_TEV]);
/* The printed name of a local edge label ("addr", "dmb.sy"). */
void model_edge_name(const struct model_work *w, int label, struct strbuf *sb);

/* ---------------------------------------------------------------- model_exec.c */

/* Every candidate execution; fills the results. */
int model_executions(struct model *m);
/* Set up m->x for the traces cur[] (false: some read has no write of its
 * value, so no execution uses this combination). */
bool model_exec_build(struct model *m, const int *cur);
/* After m->x.rf and m->x.rank are set: the co masks (after, rfto). */
void model_exec_co(struct model *m);
/* Ordered-before edges of m->x, local and observed-by, into out[]. */
void model_exec_ob(const struct model *m, uint64_t *out);
/* Coherence edges of location loc in m->x (po-loc, rf, co, fr) into out[]. */
void model_exec_coherence(const struct model *m, int loc, uint64_t *out);
/* The final state of m->x into values[]; returns the proposition's truth. */
bool model_exec_state(const struct model *m, uint64_t *values);
/* The first axiom m->x breaks (enum model_axiom; MODEL_AX_NONE: allowed),
 * *bad its location; with locations false only the external axiom is
 * checked (the enumeration guarantees the others).  out[]: ob's edges.
 * Needs m->x.rfto. */
int model_exec_axiom(const struct model *m, bool locations, int *bad, uint64_t *out);
/* Does a final state with the proposition's truth holds have the outcome
 * --why explains (the proposition; for forall, its negation)? */
bool model_exec_outcome(const struct model *m, bool holds);

/* ---------------------------------------------------------------- model_why.c */

/* Length of a shortest cycle among the nodes in mask of the graph out[]
 * (0: none); with path non-NULL, its nodes in order. */
int model_shortest_cycle(const uint64_t *out, uint64_t mask, int *path);
/* Keep the current execution (m->x) as the example if it is a better one. */
void model_why_note(struct model *m, int axiom, int loc, int len);

/* ---------------------------------------------------------------- errors */

/* Start an error message in m->err (line/col: where in the test) and return
 * a strbuf to finish it; NULL when an error is already set (the first wins). */
struct strbuf *model_fail(struct model *m, int line, int col, struct strbuf *sb);

#endif
