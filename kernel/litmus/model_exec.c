/*
 * model_exec.c — candidate executions and the axioms.
 *
 * A candidate execution takes one trace per thread (model_thread.c), a
 * reads-from choice for every read (a write of the same location with the
 * value the read returned, or the initial value), and a coherence order (co)
 * of every location's writes, the initial write first.  It is allowed when
 *
 *   internal  po-loc | rf | co | fr is acyclic  (coherence: SC per location)
 *   atomic    no write of another thread comes between an rmw's read and
 *             its write in co (rmw & (fre;coe) is empty)
 *   external  ordered-before, (obs | local)+, is acyclic, where
 *             obs = rfe | coe | fre (the communication between threads) and
 *             local is model_order.c's per-trace part.  Only communication
 *             between different threads enters ob: ARMv8 is other-multi-copy
 *             atomic.
 *
 * (aarch64.cat also puts haz-ob, [R];po-loc;[R];fre, in ob; with coherence
 * holding it is contained in fre, so it adds no edge here.)
 *
 * Enumeration: an odometer over the threads' traces; for each combination,
 * the events are numbered 0..n-1 (n <= 64, so a set of events is one
 * uint64_t and a relation is an array of them), every read gets the set of
 * writes it may read from, and a read with none ends the combination.  The
 * internal and atomic axioms involve one location at a time, so each
 * location enumerates its (rf, co) choices alone and passes on only the
 * coherent, atomic ones (for each rf choice, only among the co orders
 * coherence leaves: see co_require); the locations combine by recursion
 * (depth: the number of locations); each full choice is checked against the
 * external axiom.  An allowed execution contributes its final state (the observed
 * registers from the traces, each location's co-last write) and counts as a
 * positive or negative witness, as herd counts them: executions, not states.
 *
 * With MODEL_WHY, the locations pass on every choice (every rf, every
 * permutation of the writes) and each execution whose final state has the
 * condition's outcome is classified by the first axiom it breaks;
 * model_why.c keeps one example.
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

static inline uint64_t bit(int i)
{
	return 1ull << i;
}

static inline int low(uint64_t s)
{
	return __builtin_ctzll(s);
}

/* The events numbered above i (i <= 63: no shift by 64). */
static inline uint64_t above(int i)
{
	return i >= 63 ? 0 : ~0ull << (i + 1);
}

/* ---------------------------------------------------------------- set-up */

static void too_many_events(struct model *m, int n)
{
	struct strbuf sb;
	if (!model_fail(m, 0, 0, &sb))
		return;
	sb_puts(&sb, "test too large: ");
	sb_putu(&sb, (uint64_t)n);
	sb_puts(&sb, " events (limit ");
	sb_putu(&sb, MODEL_MAX_EVENTS);
	sb_puts(&sb, ")");
}

static const struct model_event *event(const struct model *m, int g)
{
	return &m->trace[m->x.cur[m->x.thread[g]]].ev[m->x.idx[g]];
}

bool model_exec_build(struct model *m, const int *cur)
{
	const struct litmus_test *t = m->t;
	struct model_exec *x = &m->x;
	uint64_t mine[LITMUS_MAX_THREADS];
	int n = 0;
	for (int th = 0; th < t->nthreads; th++)
		n += m->trace[cur[th]].nev;
	if (n > MODEL_MAX_EVENTS) {
		too_many_events(m, n);
		return false;
	}
	x->n = n;
	memset(x->nw, 0, sizeof x->nw);
	memset(x->nr, 0, sizeof x->nr);
	memset(x->locw, 0, sizeof x->locw);
	memset(x->locm, 0, sizeof x->locm);
	n = 0;
	for (int th = 0; th < t->nthreads; th++) {
		const struct model_trace *tr = &m->trace[cur[th]];
		int base = n;
		x->cur[th] = cur[th];
		mine[th] = 0;
		for (int e = 0; e < tr->nev; e++, n++) {
			const struct model_event *ev = &tr->ev[e];
			x->thread[n] = (uint8_t)th;
			x->idx[n] = (uint8_t)e;
			x->loc[n] = ev->loc;
			x->kind[n] = ev->kind;
			x->pair[n] = (int8_t)(ev->pair >= 0 ? base + ev->pair : -1);
			x->local[n] = (uint64_t)tr->ord[e] << base;
			mine[th] |= bit(n);
			x->locm[ev->loc] |= bit(n);
			if (ev->kind == MODEL_W) {
				x->locw[ev->loc] |= bit(n);
				x->w[ev->loc][x->nw[ev->loc]++] = (uint8_t)n;
			} else {
				x->r[ev->loc][x->nr[ev->loc]++] = (uint8_t)n;
			}
		}
	}
	for (int g = 0; g < n; g++) {
		uint64_t same = mine[x->thread[g]];
		x->ext[g] = (n == 64 ? ~0ull : bit(n) - 1) & ~same;
		/* Events of the thread are numbered in program order. */
		x->poloc[g] = same & x->locm[x->loc[g]] & above(g);
	}
	/* Which writes each read may read from: same value; never the write
	 * of its own rmw instruction. */
	for (int g = 0; g < n; g++) {
		if (x->kind[g] != MODEL_R)
			continue;
		uint64_t v = event(m, g)->value;
		int l = x->loc[g];
		x->cand[g] = 0;
		for (int k = 0; k < x->nw[l]; k++) {
			int w = x->w[l][k];
			if (event(m, w)->value == v && w != x->pair[g])
				x->cand[g] |= bit(w);
		}
		x->init_ok[g] = m->vals[l][0] == v;
		if (!x->cand[g] && !x->init_ok[g])
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- one location */

/* co masks of location l from the order in x->w[l]. */
static void set_co(struct model_exec *x, int l)
{
	uint64_t later = 0;
	for (int k = x->nw[l] - 1; k >= 0; k--) {
		int w = x->w[l][k];
		x->rank[w] = (uint8_t)(k + 1);
		x->after[w] = later;
		later |= bit(w);
	}
}

/* Writes co-after what read r reads. */
static uint64_t fr_of(const struct model_exec *x, int r)
{
	return x->rf[r] < 0 ? x->locw[x->loc[r]] : x->after[x->rf[r]];
}

void model_exec_coherence(const struct model *m, int l, uint64_t *out)
{
	const struct model_exec *x = &m->x;
	for (uint64_t s = x->locm[l]; s; s &= s - 1) {
		int g = low(s);
		out[g] = x->poloc[g] | (x->kind[g] == MODEL_W ? x->after[g] : fr_of(x, g));
	}
	for (uint64_t s = x->locm[l]; s; s &= s - 1) {
		int g = low(s);
		if (x->kind[g] == MODEL_R && x->rf[g] >= 0)
			out[x->rf[g]] |= bit(g);
	}
}

/* Is the graph out[] acyclic on the nodes in mask?  Peel off sinks. */
static bool acyclic(const uint64_t *out, uint64_t mask)
{
	uint64_t left = mask;
	while (left) {
		uint64_t sinks = 0;
		for (uint64_t s = left; s; s &= s - 1)
			if (!(out[low(s)] & left))
				sinks |= bit(low(s));
		if (!sinks)
			return false;
		left &= ~sinks;
	}
	return true;
}

static bool coherent(const struct model *m, int l)
{
	uint64_t out[MODEL_MAX_EVENTS];
	model_exec_coherence(m, l, out);
	return acyclic(out, m->x.locm[l]);
}

/* No write of another thread between an rmw's read and its write in co. */
static bool atomic(const struct model_exec *x, int l)
{
	for (int k = 0; k < x->nr[l]; k++) {
		int r = x->r[l][k], w = x->pair[r];
		if (w < 0)
			continue;
		uint64_t between = fr_of(x, r) & ~x->after[w] & ~bit(w);
		if (between & x->ext[r])
			return false;
	}
	return true;
}

/* rf odometer for read r: the initial write first, then writes in order. */
static void rf_first(struct model_exec *x, int r)
{
	x->rf[r] = (int8_t)(x->init_ok[r] ? -1 : low(x->cand[r]));
}

static bool rf_next(struct model_exec *x, int r)
{
	uint64_t rest = x->rf[r] < 0 ? x->cand[r] : x->cand[r] & above(x->rf[r]);
	if (!rest) {
		rf_first(x, r);
		return false;
	}
	x->rf[r] = (int8_t)low(rest);
	return true;
}

/* The next permutation of a[0..n) in lexicographic order; false (and a
 * sorted again) after the last. */
static bool next_perm(uint8_t *a, int n)
{
	int i = n - 2;
	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i >= 0) {
		int j = n - 1;
		while (a[j] <= a[i])
			j--;
		uint8_t tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
	for (int lo = i + 1, hi = n - 1; lo < hi; lo++, hi--) {
		uint8_t tmp = a[lo];
		a[lo] = a[hi];
		a[hi] = tmp;
	}
	return i >= 0;
}

/* The next rf choice of location l's reads (an odometer); false after the
 * last (every read back at its first). */
static bool rf_advance(struct model_exec *x, int l)
{
	for (int k = 0; k < x->nr[l]; k++)
		if (rf_next(x, x->r[l][k]))
			return true;
	return false;
}

/*
 * The co orders a coherent execution can have, given rf: coherence (SC per
 * location) holds exactly when co avoids the four shapes CoWW, CoRW, CoWR
 * and CoRR, each of which says one write must be co-before another.  Those
 * constraints go into x->req (for write w, the writes that must precede it;
 * global event bits) and co is enumerated among their linear extensions
 * only, instead of among all permutations.  False when rf alone breaks
 * coherence (a read of a later write of its own thread, or of the initial
 * value after its thread wrote or read a write) or the constraints cycle.
 */
static bool co_require(struct model_exec *x, int l)
{
	uint64_t W = x->locw[l];
	for (uint64_t s = W; s; s &= s - 1)
		x->req[low(s)] = 0;
	for (uint64_t s = W; s; s &= s - 1) /* CoWW: po-loc orders writes */
		for (uint64_t t = x->poloc[low(s)] & W; t; t &= t - 1)
			x->req[low(t)] |= bit(low(s));
	for (int k = 0; k < x->nr[l]; k++) {
		int r = x->r[l][k], w = x->rf[r];
		uint64_t later = x->poloc[r];
		for (uint64_t s = W & ~later; s; s &= s - 1) {
			int w1 = low(s); /* a write before r in its thread: CoWR */
			if (!(x->poloc[w1] >> r & 1) || w1 == w)
				continue;
			if (w < 0)
				return false;
			x->req[w] |= bit(w1);
		}
		if (w < 0) /* reading the initial value constrains no write */
			continue;
		if (later & bit(w))
			return false;
		for (uint64_t s = later & W & ~bit(w); s; s &= s - 1) /* CoRW */
			x->req[low(s)] |= bit(w);
		for (uint64_t s = later & ~W; s; s &= s - 1) { /* CoRR */
			int w2 = x->rf[low(s)];
			if (w2 < 0)
				return false;
			if (w2 != w)
				x->req[w2] |= bit(w);
		}
	}
	return true;
}

/* Complete x->w[l][k..] with the first linear extension, given that the
 * writes in placed are at 0..k-1; false if none (the constraints cycle). */
static bool co_fill(struct model_exec *x, int l, int k, uint64_t placed)
{
	for (; k < x->nw[l]; k++) {
		uint64_t s = x->locw[l] & ~placed;
		while (s && (x->req[low(s)] & ~placed))
			s &= s - 1;
		if (!s)
			return false;
		x->w[l][k] = (uint8_t)low(s);
		placed |= bit(low(s));
	}
	return true;
}

/* The next linear extension after the one in x->w[l]; false after the last. */
static bool co_next(struct model_exec *x, int l)
{
	uint64_t placed = x->locw[l];
	for (int k = x->nw[l] - 1; k >= 0; k--) {
		int cur = x->w[l][k];
		placed &= ~bit(cur);
		for (uint64_t s = x->locw[l] & ~placed & above(cur); s; s &= s - 1) {
			int c = low(s);
			if (x->req[c] & ~placed)
				continue;
			x->w[l][k] = (uint8_t)c;
			if (co_fill(x, l, k + 1, placed | bit(c)))
				return true;
		}
	}
	return false;
}

/* Is location l's current choice coherent and atomic?  (With the co
 * constraints above it is coherent by construction; the check stays as
 * the definition's own word.) */
static bool loc_ok(struct model *m, int l)
{
	return atomic(&m->x, l) && coherent(m, l);
}

/* From the current rf choice on, the first acceptable (rf, co) choice. */
static bool loc_settle(struct model *m, int l)
{
	struct model_exec *x = &m->x;
	for (;;) {
		if (co_require(x, l) && co_fill(x, l, 0, 0)) {
			do {
				set_co(x, l);
				if (loc_ok(m, l))
					return true;
			} while (co_next(x, l));
		}
		if (!rf_advance(x, l))
			return false;
	}
}

/* With MODEL_WHY every choice is passed on, coherent or not: rf times all
 * permutations of the writes (visit classifies them). */
static bool loc_advance_all(struct model_exec *x, int l)
{
	if (rf_advance(x, l))
		return true;
	if (!next_perm(x->w[l], x->nw[l]))
		return false;
	set_co(x, l);
	return true;
}

static bool loc_first(struct model *m, int l)
{
	struct model_exec *x = &m->x;
	for (int k = 0; k < x->nr[l]; k++)
		rf_first(x, x->r[l][k]);
	if (m->flags & MODEL_WHY) {
		/* x->w[l] holds the writes in event order: the first permutation. */
		set_co(x, l);
		return true;
	}
	return loc_settle(m, l);
}

static bool loc_next(struct model *m, int l)
{
	struct model_exec *x = &m->x;
	if (m->flags & MODEL_WHY)
		return loc_advance_all(x, l);
	while (co_next(x, l)) {
		set_co(x, l);
		if (loc_ok(m, l))
			return true;
	}
	return rf_advance(x, l) && loc_settle(m, l);
}

/* ---------------------------------------------------------------- one execution */

void model_exec_co(struct model *m)
{
	struct model_exec *x = &m->x;
	for (int l = 0; l < m->t->nlocs; l++) {
		/* x->w[l] in co order from the ranks. */
		for (int a = 0; a < x->nw[l]; a++)
			for (int b = a + 1; b < x->nw[l]; b++)
				if (x->rank[x->w[l][b]] < x->rank[x->w[l][a]]) {
					uint8_t tmp = x->w[l][a];
					x->w[l][a] = x->w[l][b];
					x->w[l][b] = tmp;
				}
		set_co(x, l);
	}
	for (int g = 0; g < x->n; g++)
		x->rfto[g] = 0;
	for (int g = 0; g < x->n; g++)
		if (x->kind[g] == MODEL_R && x->rf[g] >= 0)
			x->rfto[x->rf[g]] |= bit(g);
}

void model_exec_ob(const struct model *m, uint64_t *out)
{
	const struct model_exec *x = &m->x;
	for (int g = 0; g < x->n; g++) {
		uint64_t o = x->local[g];
		if (x->kind[g] == MODEL_W)
			o |= (x->after[g] | x->rfto[g]) & x->ext[g]; /* coe, rfe */
		else
			o |= fr_of(x, g) & x->ext[g]; /* fre */
		out[g] = o;
	}
}

bool model_exec_state(const struct model *m, uint64_t *values)
{
	const struct litmus_test *t = m->t;
	const struct model_exec *x = &m->x;
	for (int i = 0; i < t->nobserved; i++) {
		const struct litmus_place *p = &t->observed[i];
		if (p->kind == LITMUS_PLACE_REG) {
			values[i] = m->trace[x->cur[p->thread]].obs[i];
		} else {
			int l = p->loc, nw = x->nw[l];
			values[i] = nw ? event(m, x->w[l][nw - 1])->value : m->vals[l][0];
		}
	}
	return litmus_cond_holds(t, values, m->loc_addr);
}

/* ---------------------------------------------------------------- states */

static int cmp_value(const struct model *m, uint64_t a, uint64_t b)
{
	int la = model_addr_loc(m, a), lb = model_addr_loc(m, b);
	if (la < 0 && lb < 0)
		return (int64_t)a < (int64_t)b ? -1 : (int64_t)a > (int64_t)b;
	if (la < 0 || lb < 0)
		return la < 0 ? -1 : 1;
	return strcmp(m->t->loc[la].name, m->t->loc[lb].name);
}

static int cmp_state(const struct model *m, const uint64_t *a, const uint64_t *b)
{
	for (int i = 0; i < m->t->nobserved; i++) {
		int c = cmp_value(m, a[i], b[i]);
		if (c)
			return c;
	}
	return 0;
}

int model_find_state(const struct model *m, const uint64_t *values)
{
	int nobs = m->t->nobserved, lo = 0, hi = m->nstates;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int c = cmp_state(m, &m->state[mid * nobs], values);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(lo + 1);
}

static int add_state(struct model *m, const uint64_t *values, bool pos)
{
	int nobs = m->t->nobserved;
	int at = model_find_state(m, values);
	if (at >= 0)
		return 0;
	at = -at - 1;
	if (m->nstates >= MODEL_MAX_STATES || (m->nstates + 1) * nobs > MODEL_MAX_STATE_VAL) {
		struct strbuf sb;
		if (model_fail(m, 0, 0, &sb)) {
			sb_puts(&sb, "test too large: more than ");
			sb_putu(&sb, (uint64_t)m->nstates);
			sb_puts(&sb, " final states (limit ");
			sb_putu(&sb, MODEL_MAX_STATES);
			sb_puts(&sb, " states, ");
			sb_putu(&sb, MODEL_MAX_STATE_VAL);
			sb_puts(&sb, " values)");
		}
		return -1;
	}
	memmove(&m->state[(at + 1) * nobs], &m->state[at * nobs],
		(size_t)(m->nstates - at) * (size_t)nobs * sizeof m->state[0]);
	memmove(&m->state_pos[at + 1], &m->state_pos[at],
		(size_t)(m->nstates - at) * sizeof m->state_pos[0]);
	memcpy(&m->state[at * nobs], values, (size_t)nobs * sizeof values[0]);
	m->state_pos[at] = pos;
	m->nstates++;
	return 0;
}

/* ---------------------------------------------------------------- the search */

int model_exec_axiom(const struct model *m, bool locations, int *bad, uint64_t *out)
{
	const struct model_exec *x = &m->x;
	*bad = -1;
	for (int l = 0; locations && l < m->t->nlocs; l++) {
		*bad = l;
		if (!coherent(m, l))
			return MODEL_AX_INTERNAL;
		if (!atomic(x, l))
			return MODEL_AX_ATOMIC;
	}
	*bad = -1;
	model_exec_ob(m, out);
	return acyclic(out, x->n == 64 ? ~0ull : bit(x->n) - 1) ? MODEL_AX_NONE : MODEL_AX_EXTERNAL;
}

bool model_exec_outcome(const struct model *m, bool holds)
{
	return m->t->cond.quant == LITMUS_FORALL ? !holds : holds;
}

static void visit(struct model *m)
{
	struct model_exec *x = &m->x;
	uint64_t out[MODEL_MAX_EVENTS], values[LITMUS_MAX_OBSERVED];
	bool why = m->flags & MODEL_WHY;
	int bad;
	for (int g = 0; g < x->n; g++)
		x->rfto[g] = 0;
	for (int g = 0; g < x->n; g++)
		if (x->kind[g] == MODEL_R && x->rf[g] >= 0)
			x->rfto[x->rf[g]] |= bit(g);
	/* Without MODEL_WHY the locations passed on coherent, atomic choices
	 * only; with it, everything. */
	int axiom = model_exec_axiom(m, why, &bad, out);
	bool holds = (!axiom || why) && model_exec_state(m, values);
	if (!axiom) {
		m->candidates++;
		if (holds)
			m->pos++;
		else
			m->neg++;
		for (int th = 0; th < m->t->nthreads; th++)
			if (m->trace[x->cur[th]].shareability)
				m->shareability = true;
		if (add_state(m, values, holds) < 0)
			return;
	} else if (axiom == MODEL_AX_EXTERNAL) {
		m->candidates++;
	}
	if (why && model_exec_outcome(m, holds)) {
		int len = 0;
		if (axiom == MODEL_AX_INTERNAL) {
			model_exec_coherence(m, bad, out);
			len = model_shortest_cycle(out, x->locm[bad], NULL);
		} else if (axiom == MODEL_AX_EXTERNAL) {
			len = model_shortest_cycle(out, x->n == 64 ? ~0ull : bit(x->n) - 1, NULL);
		}
		model_why_note(m, axiom, bad, len);
	}
}

/* Every (rf, co) choice of locations l.. (recursion over the locations). */
static void choose_loc(struct model *m, int l)
{
	if (m->failed)
		return;
	if (l == m->t->nlocs) {
		visit(m);
		return;
	}
	if (!m->x.locm[l]) {
		choose_loc(m, l + 1);
		return;
	}
	if (!loc_first(m, l))
		return;
	do
		choose_loc(m, l + 1);
	while (!m->failed && loc_next(m, l));
}

int model_executions(struct model *m)
{
	const struct litmus_test *t = m->t;
	int cur[LITMUS_MAX_THREADS];
	for (int th = 0; th < t->nthreads; th++) {
		if (m->count[th] == 0) /* every path was cut: no execution */
			return 0;
		cur[th] = m->first[th];
	}
	for (;;) {
		if (model_exec_build(m, cur))
			choose_loc(m, 0);
		if (m->failed)
			return -1;
		int th = t->nthreads - 1;
		while (th >= 0 && ++cur[th] == m->first[th] + m->count[th]) {
			cur[th] = m->first[th];
			th--;
		}
		if (th < 0)
			return 0;
	}
}
