/*
 * model_why.c — why an outcome is forbidden: the axiom its executions break
 * and a shortest cycle, in the notation of the papers:
 *
 *   Wx=1 -dmb.sy-> Wy=1 -rfe-> Ry=1 -addr-> Rx=0 -fre-> Wx=1
 *
 * During the search (model_exec.c with MODEL_WHY) every execution whose
 * final state has the outcome is classified: allowed, or the first axiom it
 * breaks (internal: a coherence cycle at one location; atomic: another
 * thread's write between an rmw's read and write; external: an
 * ordered-before cycle).  model_why_note keeps the one with the shortest
 * cycle.  model_explain rebuilds it, finds the cycle again with its nodes,
 * and names every edge: rf/co/fr with e (between threads) or i (within
 * one), po-loc for coherence, and for ob edges inside a thread the reason
 * model_order.c gives (replaying that thread's trace to get its labels).
 *
 * Shortest cycles: a breadth-first search from every node over the event
 * graph (at most 64 nodes, edges as bit sets).
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

static inline uint64_t bit(int i)
{
	return 1ull << i;
}

int model_shortest_cycle(const uint64_t *out, uint64_t mask, int *path)
{
	int best = 0;
	for (uint64_t ss = mask; ss; ss &= ss - 1) {
		int s = __builtin_ctzll(ss);
		int8_t prev[MODEL_MAX_EVENTS];
		uint64_t seen = bit(s), frontier = bit(s);
		for (int d = 1; frontier && (!best || d < best); d++) {
			uint64_t next = 0;
			int closing = -1;
			for (uint64_t f = frontier; f; f &= f - 1) {
				int u = __builtin_ctzll(f);
				if (out[u] & bit(s)) {
					closing = u;
					break;
				}
				for (uint64_t v = out[u] & mask & ~seen & ~next; v; v &= v - 1) {
					prev[__builtin_ctzll(v)] = (int8_t)u;
					next |= bit(__builtin_ctzll(v));
				}
			}
			if (closing >= 0) { /* s -> ... -> closing -> s, d edges */
				best = d;
				if (path) {
					int u = closing;
					for (int k = d - 1; k >= 0; k--) {
						path[k] = u;
						u = k ? prev[u] : u;
					}
				}
				break;
			}
			seen |= next;
			frontier = next;
		}
	}
	return best;
}

void model_why_note(struct model *m, int axiom, int loc, int len)
{
	struct model_why *y = &m->why;
	const struct model_exec *x = &m->x;
	if (axiom == MODEL_AX_NONE) {
		y->allowed++;
		if (y->witness)
			return;
		y->witness = true;
	} else {
		y->forbidden[axiom]++;
		if (y->witness) /* the outcome is allowed: the witness is the example */
			return;
		/* The example: an execution that is coherent and atomic if
		 * there is one (its ordered-before cycle is what the test is
		 * about), then the shortest cycle; an atomicity break has
		 * none (len 0). */
		if (y->axiom != MODEL_AX_NONE &&
		    (axiom < y->axiom ||
		     (axiom == y->axiom && (len == 0 || (y->len && y->len <= len)))))
			return;
		y->axiom = axiom;
		y->len = len;
		y->loc = loc;
	}
	memcpy(y->cur, x->cur, sizeof y->cur);
	memcpy(y->rf, x->rf, sizeof y->rf);
	memcpy(y->rank, x->rank, sizeof y->rank);
}

/* ---------------------------------------------------------------- printing */

static void emit(const struct model_out *out, struct strbuf *sb)
{
	sb_putc(sb, '\n');
	out->write(out->arg, sb->buf, sb->len < sb->size ? sb->len : sb->size - 1);
	sb->len = 0;
	sb->buf[0] = '\0';
}

static const struct model_event *event(const struct model *m, int g)
{
	return &m->trace[m->x.cur[m->x.thread[g]]].ev[m->x.idx[g]];
}

/* "Wx=1", "Ry=0", "Wp=new". */
static void put_event(const struct model *m, int g, struct strbuf *sb)
{
	const struct model_event *e = event(m, g);
	char v[32];
	sb_putc(sb, e->kind == MODEL_W ? 'W' : 'R');
	sb_puts(sb, m->t->loc[e->loc].name);
	sb_putc(sb, '=');
	model_format_value(m, e->value, v, sizeof v);
	sb_puts(sb, v);
}

/* The name of edge u -> v of the cycle. */
static void put_edge(struct model *m, int axiom, int u, int v, struct strbuf *sb)
{
	const struct model_exec *x = &m->x;
	bool same = x->thread[u] == x->thread[v];
	const char *ie = same ? "i" : "e";
	if (axiom == MODEL_AX_EXTERNAL && same) {
		uint8_t label[MODEL_MAX_TEV][MODEL_MAX_TEV];
		const struct model_trace *tr = &m->trace[x->cur[x->thread[u]]];
		if (model_replay(m, tr) < 0) {
			sb_puts(sb, "?");
			return;
		}
		model_local_order(&m->work, label);
		model_edge_name(&m->work, label[x->idx[u]][x->idx[v]], sb);
		return;
	}
	/* rf, co, fr if the pair is one; else the coherence graph's po-loc. */
	const char *rel = "po-loc";
	uint64_t fr = 0;
	if (x->kind[u] == MODEL_R)
		fr = x->rf[u] < 0 ? x->locw[x->loc[u]] : x->after[x->rf[u]];
	if (x->kind[u] == MODEL_W && x->kind[v] == MODEL_R && x->rf[v] == u)
		rel = "rf";
	else if (x->kind[u] == MODEL_W && x->kind[v] == MODEL_W && (x->after[u] & bit(v)))
		rel = "co";
	else if (x->kind[u] == MODEL_R && x->kind[v] == MODEL_W && (fr & bit(v)))
		rel = "fr";
	sb_puts(sb, rel);
	if (rel[0] != 'p')
		sb_puts(sb, ie);
}

static void put_place_cond(const struct model *m, struct strbuf *sb)
{
	sb_puts(sb, m->t->cond.quant == LITMUS_FORALL ? "the negation of the condition"
						      : "the condition's outcome");
}

/* Rebuild the execution model_why_note kept, and check it is what it was
 * kept as: it has the outcome, and breaks the axiom it was counted under
 * (none for a witness).  False with an error otherwise. */
static bool rebuild(struct model *m, int axiom)
{
	struct model_why *y = &m->why;
	uint64_t out[MODEL_MAX_EVENTS], values[LITMUS_MAX_OBSERVED];
	int bad;
	struct strbuf sb;
	if (model_exec_build(m, y->cur)) {
		memcpy(m->x.rf, y->rf, sizeof y->rf);
		memcpy(m->x.rank, y->rank, sizeof y->rank);
		model_exec_co(m);
		if (model_exec_axiom(m, true, &bad, out) == axiom &&
		    model_exec_outcome(m, model_exec_state(m, values)))
			return true;
	}
	if (model_fail(m, 0, 0, &sb))
		sb_puts(&sb, "internal error: the example execution kept for --why is not what it "
			     "was counted as");
	return false;
}

static void explain_cycle(struct model *m, const struct model_out *out, struct strbuf *sb)
{
	struct model_why *y = &m->why;
	uint64_t g[MODEL_MAX_EVENTS];
	int path[MODEL_MAX_EVENTS + 1];
	uint64_t mask;
	if (y->axiom == MODEL_AX_INTERNAL) {
		model_exec_coherence(m, y->loc, g);
		mask = m->x.locm[y->loc];
		sb_puts(sb, "  internal (coherence: po-loc | rf | co | fr acyclic) at ");
		sb_puts(sb, m->t->loc[y->loc].name);
		sb_puts(sb, ":");
	} else {
		model_exec_ob(m, g);
		mask = m->x.n == 64 ? ~0ull : bit(m->x.n) - 1;
		sb_puts(sb, "  external (ordered-before acyclic):");
	}
	emit(out, sb);
	int len = model_shortest_cycle(g, mask, path);
	sb_puts(sb, "    ");
	for (int k = 0; k < len; k++) {
		int u = path[k], v = path[(k + 1) % len];
		put_event(m, u, sb);
		sb_puts(sb, " -");
		put_edge(m, y->axiom, u, v, sb);
		sb_puts(sb, "-> ");
	}
	if (len)
		put_event(m, path[0], sb);
	emit(out, sb);
}

static void explain_atomic(struct model *m, const struct model_out *out, struct strbuf *sb)
{
	const struct model_exec *x = &m->x;
	int l = m->why.loc;
	sb_puts(sb, "  atomic (no other thread's write between an rmw's read and write) at ");
	sb_puts(sb, m->t->loc[l].name);
	sb_puts(sb, ":");
	emit(out, sb);
	for (int k = 0; k < x->nr[l]; k++) {
		int r = x->r[l][k], w = x->pair[r];
		if (w < 0)
			continue;
		uint64_t fr = x->rf[r] < 0 ? x->locw[l] : x->after[x->rf[r]];
		uint64_t between = fr & ~x->after[w] & ~bit(w) & x->ext[r];
		if (!between)
			continue;
		int b = __builtin_ctzll(between);
		sb_puts(sb, "    ");
		put_event(m, r, sb);
		sb_puts(sb, " -fre-> ");
		put_event(m, b, sb);
		sb_puts(sb, " -coe-> ");
		put_event(m, w, sb);
		sb_puts(sb, ", and ");
		put_event(m, r, sb);
		sb_puts(sb, " -rmw-> ");
		put_event(m, w, sb);
		emit(out, sb);
		return;
	}
}

/* The reads-from and coherence choices of the rebuilt execution. */
static void explain_witness(struct model *m, const struct model_out *out, struct strbuf *sb)
{
	const struct model_exec *x = &m->x;
	for (int g = 0; g < x->n; g++) {
		if (x->kind[g] != MODEL_R)
			continue;
		sb_puts(sb, "    ");
		if (x->rf[g] < 0) {
			put_event(m, g, sb);
			sb_puts(sb, " reads the initial value");
		} else {
			put_event(m, x->rf[g], sb);
			sb_puts(sb, x->thread[x->rf[g]] == x->thread[g] ? " -rfi-> " : " -rfe-> ");
			put_event(m, g, sb);
		}
		emit(out, sb);
	}
	for (int l = 0; l < m->t->nlocs; l++) {
		if (x->nw[l] < 2)
			continue;
		sb_puts(sb, "    co ");
		sb_puts(sb, m->t->loc[l].name);
		sb_puts(sb, ":");
		for (int k = 0; k < x->nw[l]; k++) {
			sb_puts(sb, k ? " -> " : " ");
			put_event(m, x->w[l][k], sb);
		}
		emit(out, sb);
	}
}

int model_explain(struct model *m, const struct model_out *out, struct litmus_error *err)
{
	struct model_why *y = &m->why;
	char line[1024];
	struct strbuf sb;
	m->err = err;
	m->failed = false;
	sb_init(&sb, line, sizeof line);
	if (!(m->flags & MODEL_WHY)) {
		if (model_fail(m, 0, 0, &sb))
			sb_puts(&sb, "model_explain needs model_run(..., MODEL_WHY)");
		return -1;
	}
	sb_init(&sb, line, sizeof line);
	uint64_t forbidden = y->forbidden[MODEL_AX_INTERNAL] + y->forbidden[MODEL_AX_ATOMIC] +
			     y->forbidden[MODEL_AX_EXTERNAL];
	sb_puts(&sb, "Why ");
	sb_puts(&sb, m->t->name);
	sb_puts(&sb, ": ");
	put_place_cond(m, &sb);
	if (y->allowed) {
		sb_puts(&sb, " is allowed: ");
		sb_putu(&sb, y->allowed);
		sb_puts(&sb, " allowed execution(s) reach it");
		if (forbidden) {
			sb_puts(&sb, " (and ");
			sb_putu(&sb, forbidden);
			sb_puts(&sb, " forbidden ones)");
		}
		sb_puts(&sb, "; one of them:");
		emit(out, &sb);
		if (!rebuild(m, MODEL_AX_NONE))
			return -1;
		explain_witness(m, out, &sb);
		return m->failed ? -1 : 0;
	}
	if (!forbidden) {
		sb_puts(&sb, " is reached by no candidate execution: no path of the threads, "
			     "with values the writes provide, ends in it");
		emit(out, &sb);
		return 0;
	}
	sb_puts(&sb, " is forbidden: every one of the ");
	sb_putu(&sb, forbidden);
	sb_puts(&sb, " candidate execution(s) reaching it breaks an axiom (");
	static const char *const names[] = {"", "internal", "atomic", "external"};
	bool first = true;
	for (int a = MODEL_AX_INTERNAL; a <= MODEL_AX_EXTERNAL; a++) {
		if (!y->forbidden[a])
			continue;
		if (!first)
			sb_puts(&sb, ", ");
		first = false;
		sb_puts(&sb, names[a]);
		sb_puts(&sb, ": ");
		sb_putu(&sb, y->forbidden[a]);
	}
	sb_puts(&sb, "); a shortest cycle:");
	emit(out, &sb);
	if (!rebuild(m, y->axiom))
		return -1;
	if (y->axiom == MODEL_AX_ATOMIC)
		explain_atomic(m, out, &sb);
	else
		explain_cycle(m, out, &sb);
	return m->failed ? -1 : 0;
}
