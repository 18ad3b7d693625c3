/*
 * model_order.c — what one thread alone orders: the local part of
 * ordered-before, between the memory events of one trace.
 *
 * The relations are aarch64.cat's (herd's libdir, after the Arm ARM B2.3),
 * restricted to explicit memory events, written here over the dependency
 * sets model_thread.c records (t: data flow, p: also pick flow; see there):
 *
 *   lws    po-loc;[W]         a later write to the same location
 *   dob    addr | data | ctrl;[W] | addr;po;[W] | addr;po;[ISB];po;[R]
 *          | (addr|data);lrs
 *   pob    the pick versions: pick-dep;[W] | pick-ctrl;[ISB];po
 *          | pick-addr;po;[ISB];po | pick-addr;po;[W]
 *   aob    rmw | rmw;lrs;[A|Q]
 *   bob    po;[DMB full];po | [R\NoRet];po;[DMB LD];po | [W];po;[DMB ST];po;[W]
 *          | [A|Q];po | po;[L] | [L];po;[A] | [range([A];amo;[L])];po
 *   lob    (lws | dob | pob | aob | bob)+
 *
 * and the hardware requirements outside lob that ordered-before also takes:
 *
 *   pick-lob   pick-basic-dep;lob;[W]: a read that, through a conditional
 *              choice, reaches an access ordered before a write
 *   CSE-ob     [R];ctrl;[ISB];po and [R];addr;po;[ISB];po (to any event)
 *   DSB-ob     [W];po;[DSB ST];po (a DSB ST orders a write before reads too)
 *
 * DSB is DMB for every other option (standard tests cannot tell them apart).
 * Edges are kept unclosed (ordered-before's transitive closure is the
 * executions' business); only pick-lob needs lob's closure, computed here.
 * With a label array the reason for each edge is kept too, for the
 * explainer: the first rule that holds, in the order above's bob, dob,
 * pob, aob, lws.
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

/* The first fence strictly between steps a and b whose kind is in kinds
 * (a bit mask of enum model_fence_kind), or -1. */
static int fence_between(const struct model_work *w, int a, int b, unsigned kinds)
{
	for (int f = 0; f < w->nfence; f++)
		if (w->fence[f].step > a && w->fence[f].step < b &&
		    (kinds & (1u << w->fence[f].kind)))
			return f;
	return -1;
}

/* Is there an access k before step b whose address read i reaches (by data
 * flow, or with pick by pick flow too)? */
static bool addr_before(const struct model_work *w, int i, int b, bool pick)
{
	for (int k = 0; k < w->tr.nev; k++)
		if (w->tr.ev[k].step < b && ((pick ? w->wev[k].ap : w->wev[k].at) >> i & 1))
			return true;
	return false;
}

/* Is there an access k, then an ISB, both before step b, with read i
 * reaching k's address? */
static bool addr_isb_before(const struct model_work *w, int i, int b, bool pick)
{
	for (int f = 0; f < w->nfence; f++)
		if (w->fence[f].kind == MODEL_F_ISB && w->fence[f].step < b &&
		    addr_before(w, i, w->fence[f].step, pick))
			return true;
	return false;
}

/* Is there an ISB before step b that read i reaches by ctrl? */
static bool ctrl_isb_before(const struct model_work *w, int i, int b, bool pick)
{
	for (int f = 0; f < w->nfence; f++)
		if (w->fence[f].kind == MODEL_F_ISB && w->fence[f].step < b &&
		    ((pick ? w->fence[f].cp : w->fence[f].ct) >> i & 1))
			return true;
	return false;
}

/* The bob reason for i before j (po-ordered, i's step < j's), or 0. */
static int bob(const struct model_work *w, int i, int j)
{
	const struct model_event *a = &w->tr.ev[i], *b = &w->tr.ev[j];
	unsigned kinds = 1u << MODEL_F_FULL;
	if (a->kind == MODEL_R && !(a->flags & MODEL_EV_NORET))
		kinds |= 1u << MODEL_F_LD;
	if (a->kind == MODEL_W && b->kind == MODEL_W)
		kinds |= 1u << MODEL_F_ST | 1u << MODEL_F_DSBST;
	int f = fence_between(w, a->step, b->step, kinds);
	if (f >= 0)
		return MODEL_E_FENCE + f;
	if ((a->flags & MODEL_EV_L) && (b->flags & MODEL_EV_A))
		return MODEL_E_RELACQ;
	if (a->kind == MODEL_R && (a->flags & MODEL_EV_A))
		return MODEL_E_ACQ;
	if (a->kind == MODEL_R && (a->flags & MODEL_EV_Q))
		return MODEL_E_ACQPC;
	if (b->kind == MODEL_W && (b->flags & MODEL_EV_L))
		return MODEL_E_REL;
	if (a->kind == MODEL_W &&
	    (a->flags & (MODEL_EV_AMO | MODEL_EV_L)) == (MODEL_EV_AMO | MODEL_EV_L) &&
	    a->pair >= 0 && (w->tr.ev[a->pair].flags & MODEL_EV_A))
		return MODEL_E_AMOAL;
	return 0;
}

/* The dob reason for read i before j (po-ordered), or 0. */
static int dob(const struct model_work *w, int i, int j)
{
	const struct model_event *b = &w->tr.ev[j];
	const struct model_wev *x = &w->wev[j];
	bool isw = b->kind == MODEL_W;
	if (x->at >> i & 1)
		return MODEL_E_ADDR;
	if (isw && (x->dt >> i & 1))
		return MODEL_E_DATA;
	if (isw && (x->ct >> i & 1))
		return MODEL_E_CTRL;
	if (isw && addr_before(w, i, b->step, false))
		return MODEL_E_ADDRPO;
	if (!isw && addr_isb_before(w, i, b->step, false))
		return MODEL_E_ADDRISB;
	if (!isw && x->lrs >= 0) {
		if (w->wev[x->lrs].at >> i & 1)
			return MODEL_E_ADDRLRS;
		if (w->wev[x->lrs].dt >> i & 1)
			return MODEL_E_DATALRS;
	}
	return 0;
}

/* The pob reason for read i before j (po-ordered), or 0. */
static int pob(const struct model_work *w, int i, int j)
{
	const struct model_event *b = &w->tr.ev[j];
	const struct model_wev *x = &w->wev[j];
	if (b->kind == MODEL_W) {
		if (x->ap >> i & 1)
			return MODEL_E_PADDR;
		if (x->dp >> i & 1)
			return MODEL_E_PDATA;
		if (x->cp >> i & 1)
			return MODEL_E_PCTRL;
		if (x->mp >> i & 1)
			return MODEL_E_PICK;
	}
	/* pick-ctrl;[ISB];po and pick-addr;po;[ISB];po: named by their
	 * plain versions when those hold (ctrl;isb, addr;po;isb). */
	if (ctrl_isb_before(w, i, b->step, true))
		return ctrl_isb_before(w, i, b->step, false) ? MODEL_E_CTRLISB : MODEL_E_PCTRLISB;
	if (addr_isb_before(w, i, b->step, true))
		return addr_isb_before(w, i, b->step, false) ? MODEL_E_ADDRISB : MODEL_E_PADDRISB;
	if (b->kind == MODEL_W && addr_before(w, i, b->step, true))
		return MODEL_E_PADDRPO;
	return 0;
}

/* Why i is locally ordered before j (i earlier in the trace), or 0. */
static int lob(const struct model_work *w, int i, int j)
{
	const struct model_event *a = &w->tr.ev[i], *b = &w->tr.ev[j];
	if (a->kind == MODEL_R && a->pair == j) /* aob: rmw (an atomic, or LDXR;STXR) */
		return MODEL_E_RMW;
	if (a->step == b->step) /* one instruction: nothing else */
		return 0;
	int why = bob(w, i, j);
	if (!why && a->kind == MODEL_R)
		why = dob(w, i, j);
	if (!why && a->kind == MODEL_R)
		why = pob(w, i, j);
	if (!why && a->kind == MODEL_R && a->pair >= 0 && b->kind == MODEL_R &&
	    (b->flags & (MODEL_EV_A | MODEL_EV_Q)) && w->wev[j].lrs == a->pair)
		why = MODEL_E_RMWLRS;
	if (!why && b->kind == MODEL_W && a->loc == b->loc)
		why = MODEL_E_POLOC;
	return why;
}

/* Hardware requirements outside lob (CSE-ob, DSB-ob), or 0. */
static int hw_only(const struct model_work *w, int i, int j)
{
	const struct model_event *a = &w->tr.ev[i], *b = &w->tr.ev[j];
	if (a->step == b->step)
		return 0;
	if (a->kind == MODEL_R && ctrl_isb_before(w, i, b->step, false))
		return MODEL_E_CTRLISB;
	if (a->kind == MODEL_R && addr_isb_before(w, i, b->step, false))
		return MODEL_E_ADDRISB;
	if (a->kind == MODEL_W) {
		int f = fence_between(w, a->step, b->step, 1u << MODEL_F_DSBST);
		if (f >= 0)
			return MODEL_E_FENCE + f;
	}
	return 0;
}

void model_local_order(struct model_work *w, uint8_t (*label)[MODEL_MAX_TEV])
{
	int n = w->tr.nev;
	uint32_t lo[MODEL_MAX_TEV], clo[MODEL_MAX_TEV];
	uint32_t *ord = w->tr.ord;
	memset(ord, 0, sizeof w->tr.ord);
	if (label)
		memset(label, 0, MODEL_MAX_TEV * sizeof label[0]);
	for (int i = 0; i < n; i++) {
		lo[i] = 0;
		for (int j = i + 1; j < n; j++) {
			int why = lob(w, i, j);
			if (why)
				lo[i] |= 1u << j;
			else
				why = hw_only(w, i, j);
			if (why) {
				ord[i] |= 1u << j;
				if (label)
					label[i][j] = (uint8_t)why;
			}
		}
	}
	/* lob+, for pick-lob (Warshall: n <= 32). */
	memcpy(clo, lo, (size_t)n * sizeof clo[0]);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < n; i++)
			if (clo[i] >> k & 1)
				clo[i] |= clo[k];
	/* pick-basic-dep;lob;[W]: read i reaches access e through a pick
	 * (its address, its data, a local read successor's), and e is
	 * locally ordered before write j. */
	for (int i = 0; i < n; i++) {
		if (w->tr.ev[i].kind != MODEL_R)
			continue;
		for (int e = i + 1; e < n; e++) {
			if (!(w->wev[e].mp >> i & 1))
				continue;
			for (int j = e + 1; j < n; j++) {
				if (!(clo[e] >> j & 1) || w->tr.ev[j].kind != MODEL_W ||
				    (ord[i] >> j & 1))
					continue;
				ord[i] |= 1u << j;
				if (label)
					label[i][j] = MODEL_E_PICKLOB;
			}
		}
	}
}

static void put_lower(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		sb_putc(sb, *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s);
}

void model_edge_name(const struct model_work *w, int label, struct strbuf *sb)
{
	static const char *const names[MODEL_E_FENCE] = {
	    [MODEL_E_NONE] = "?",
	    [MODEL_E_POLOC] = "po-loc",
	    [MODEL_E_ACQ] = "acq",
	    [MODEL_E_ACQPC] = "acqpc",
	    [MODEL_E_REL] = "rel",
	    [MODEL_E_RELACQ] = "rel-acq",
	    [MODEL_E_AMOAL] = "amo.al",
	    [MODEL_E_ADDR] = "addr",
	    [MODEL_E_DATA] = "data",
	    [MODEL_E_CTRL] = "ctrl",
	    [MODEL_E_ADDRPO] = "addr;po",
	    [MODEL_E_ADDRISB] = "addr;po;isb",
	    [MODEL_E_CTRLISB] = "ctrl;isb",
	    [MODEL_E_ADDRLRS] = "addr;lrs",
	    [MODEL_E_DATALRS] = "data;lrs",
	    [MODEL_E_PADDR] = "pick-addr",
	    [MODEL_E_PDATA] = "pick-data",
	    [MODEL_E_PCTRL] = "pick-ctrl",
	    [MODEL_E_PICK] = "pick",
	    [MODEL_E_PCTRLISB] = "pick-ctrl;isb",
	    [MODEL_E_PADDRISB] = "pick-addr;po;isb",
	    [MODEL_E_PADDRPO] = "pick-addr;po",
	    [MODEL_E_RMW] = "rmw",
	    [MODEL_E_RMWLRS] = "rmw;lrs",
	    [MODEL_E_PICKLOB] = "pick;lob",
	};
	if (label >= MODEL_E_FENCE && label - MODEL_E_FENCE < w->nfence) {
		const struct model_fence *f = &w->fence[label - MODEL_E_FENCE];
		put_lower(sb, litmus_op_name(f->op));
		if (f->op != LITMUS_ISB) {
			sb_putc(sb, '.');
			put_lower(sb, litmus_barrier_name(f->barrier));
		}
		return;
	}
	sb_puts(sb, label > 0 && label < MODEL_E_FENCE ? names[label] : "?");
}
