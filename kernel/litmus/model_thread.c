/*
 * model_thread.c — every path of every thread, with every value its reads can
 * return: the "traces" the candidate executions are made of.
 *
 * A thread runs alone here, as an interpreter of its instructions.  Each read
 * is a choice point: it may return any value its location can hold (the
 * location's initial value, or a value some path of some thread writes to
 * it).  A store-exclusive is a choice point too (it succeeds or fails), and
 * so is a successful CAS (Rs's new value taken from memory or from Rs).  The
 * choices made along a path are recorded (trace->choice[]); the paths are
 * enumerated like an odometer: run with a prefix of fixed choices, taking the
 * first option at every later point, then advance the last point that has
 * an option left and run again.  No recursion, no allocation.
 *
 * Which values a location can hold depends on what the threads write, which
 * depends on what they read: the domains grow in rounds.  Round 0 lets every
 * read return its location's initial value; each round enumerates every
 * thread's traces with the values known so far and adds every value written
 * for the next round.  After k rounds the domains hold every value a chain of
 * k writes can make (a write whose value comes from a read of a value the
 * previous write made).  In an allowed execution such chains never repeat a
 * write (a value cycle would be a dependency cycle through rf, which
 * ordered-before forbids), so as many rounds as an execution can have
 * writes (every thread's stores, times the unrolling) are enough, and the
 * rounds stop there even if the domains still grow (as they
 * do for an increment that could read its own result: LDADD).  A trace may
 * read a value no write in its execution provides: model_exec.c pairs every
 * read with a write of the same value, so such a trace takes part in none.
 *
 * Besides the values, the interpreter records the data flow the model's
 * dependencies are made of (aarch64.cat's dtrm and pick-dtrm): for every
 * register, the set of earlier reads of the path its value depends on
 * (rt: through data, rp: also through a conditional choice, CSEL's flags or
 * CAS's comparison), and for every memory event which reads reach its
 * address (addr), its data (data), a conditional branch before it (ctrl), or
 * the access itself (through its operands, or through memory: a read after
 * a write of the same thread to the same location with no write between, a
 * "local read successor", depends on what that write depended on).  The sets
 * are bit masks over the trace's events.  model_order.c turns them into
 * ordering edges.
 *
 * Addresses are tokens: location i's address is ADDR_BASE + i*ADDR_STRIDE,
 * so a register can hold one (p=x tests), index arithmetic that lands on it
 * (EOR-made zero offsets) works, and an access anywhere else is an error.
 *
 * Loops: a backward branch may be taken MODEL_UNROLL times per instruction,
 * as herd's default -unroll; a path that needs more is cut (dropped), and
 * the result says "Loop" as herd does.
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

#define ADDR_BASE   0x7e5700000000ull
#define ADDR_STRIDE 0x1000ull

/* Outcomes of running one path. */
enum { PATH_ERROR = -1, PATH_DONE = 0, PATH_CUT = 1 };

/* ---------------------------------------------------------------- errors */

static void fail_insn(struct model *m, int th, const struct litmus_insn *in, const char *what,
		      bool show_addr, uint64_t addr)
{
	struct strbuf sb;
	char insn[64];
	if (!model_fail(m, in->line, in->col, &sb))
		return;
	litmus_format_insn(&m->t->thread[th], in, insn, sizeof insn);
	sb_puts(&sb, "P");
	sb_putu(&sb, (uint64_t)th);
	sb_puts(&sb, ": ");
	sb_puts(&sb, insn);
	sb_puts(&sb, what);
	if (!show_addr)
		return;
	/* Near a location's token: name it ("x+8"); else the number. */
	uint64_t i = (addr - ADDR_BASE) / ADDR_STRIDE;
	if (addr >= ADDR_BASE && i < (uint64_t)m->t->nlocs) {
		sb_puts(&sb, m->t->loc[i].name);
		sb_putc(&sb, '+');
		sb_putu(&sb, (addr - ADDR_BASE) % ADDR_STRIDE);
	} else {
		sb_puthex(&sb, addr);
	}
	sb_puts(&sb, ", which is no location of the test (the model knows whole locations only)");
}

/* "test too large: P1 makes more than 32 memory accesses on one path
 * (limit 32)": verb, then the limit, then what (th < 0: the whole test). */
static void fail_limit(struct model *m, int th, const char *verb, int limit, const char *what)
{
	struct strbuf sb;
	if (!model_fail(m, 0, 0, &sb))
		return;
	sb_puts(&sb, "test too large: ");
	if (th >= 0) {
		sb_puts(&sb, "P");
		sb_putu(&sb, (uint64_t)th);
		sb_puts(&sb, " ");
	}
	sb_puts(&sb, verb);
	sb_puts(&sb, " more than ");
	sb_putu(&sb, (uint64_t)limit);
	sb_puts(&sb, " ");
	sb_puts(&sb, what);
	sb_puts(&sb, " (limit ");
	sb_putu(&sb, (uint64_t)limit);
	sb_puts(&sb, ")");
}

/* ---------------------------------------------------------------- values */

int model_addr_loc(const struct model *m, uint64_t v)
{
	if (v < ADDR_BASE || (v - ADDR_BASE) % ADDR_STRIDE)
		return -1;
	uint64_t i = (v - ADDR_BASE) / ADDR_STRIDE;
	return i < (uint64_t)m->t->nlocs ? (int)i : -1;
}

uint64_t model_loc_addr(const struct model *m, int loc)
{
	return m->loc_addr[loc];
}

static uint64_t value_of(const struct model *m, const struct litmus_value *v)
{
	return v->kind == LITMUS_VAL_ADDR ? m->loc_addr[v->loc] : (uint64_t)v->num;
}

static uint64_t to_width(uint64_t v, int width)
{
	return width == 32 ? (uint32_t)v : v;
}

/* ---------------------------------------------------------------- registers */

static bool is_zr(struct litmus_reg r)
{
	return !r.width || r.num == LITMUS_ZR;
}

static uint64_t get(const struct model_work *w, struct litmus_reg r)
{
	return is_zr(r) ? 0 : to_width(w->reg[r.num], r.width);
}

static uint32_t tnt(const struct model_work *w, struct litmus_reg r)
{
	return is_zr(r) ? 0 : w->rt[r.num];
}

static uint32_t ptnt(const struct model_work *w, struct litmus_reg r)
{
	return is_zr(r) ? 0 : w->rp[r.num];
}

/* Write a register: the value (a W register zero-extends) and the reads it
 * depends on; pick dependencies include data ones. */
static void set(struct model_work *w, struct litmus_reg r, uint64_t v, uint32_t t, uint32_t p)
{
	if (is_zr(r))
		return;
	w->reg[r.num] = to_width(v, r.width);
	w->rt[r.num] = t;
	w->rp[r.num] = p | t;
}

static uint64_t shifted(uint64_t v, int type, int amount, int width)
{
	amount &= width - 1;
	if (!amount)
		return v;
	switch (type) {
	case LITMUS_LSR:
		return to_width(v, width) >> amount;
	case LITMUS_ASR:
		if (width == 32)
			return (uint32_t)((int32_t)(uint32_t)v >> amount);
		return (uint64_t)((int64_t)v >> amount);
	default:
		return to_width(v << amount, width);
	}
}

/* The second operand of MOV, the ALU ops and CMP, at the operation's width. */
static uint64_t src_value(const struct model_work *w, const struct litmus_insn *in, int width)
{
	if (in->src == LITMUS_SRC_IMM) {
		bool arith = in->op == LITMUS_ADD || in->op == LITMUS_SUB || in->op == LITMUS_CMP;
		uint64_t imm = (uint64_t)in->imm;
		return to_width(arith ? imm << (in->shift & 63) : imm, width);
	}
	return shifted(get(w, in->rm), in->shift_type, in->shift, width);
}

static uint32_t src_t(const struct model_work *w, const struct litmus_insn *in)
{
	return in->src == LITMUS_SRC_REG ? tnt(w, in->rm) : 0;
}

static uint32_t src_p(const struct model_work *w, const struct litmus_insn *in)
{
	return in->src == LITMUS_SRC_REG ? ptnt(w, in->rm) : 0;
}

/* NZCV bits as the flags register holds them. */
#define NZCV_N 8
#define NZCV_Z 4
#define NZCV_C 2
#define NZCV_V 1

/* The flags of a - b at width (CMP). */
static uint64_t nzcv_sub(uint64_t a, uint64_t b, int width)
{
	a = to_width(a, width);
	b = to_width(b, width);
	uint64_t r = to_width(a - b, width);
	uint64_t top = width == 32 ? 1ull << 31 : 1ull << 63;
	uint64_t f = 0;
	if (r & top)
		f |= NZCV_N;
	if (r == 0)
		f |= NZCV_Z;
	if (a >= b) /* no borrow */
		f |= NZCV_C;
	if ((a ^ b) & (a ^ r) & top)
		f |= NZCV_V;
	return f;
}

static bool cond_holds(uint64_t f, int cc)
{
	bool n = f & NZCV_N, z = f & NZCV_Z, c = f & NZCV_C, v = f & NZCV_V;
	bool r;
	switch (cc >> 1) {
	case 0: /* EQ, NE */
		r = z;
		break;
	case 1: /* CS, CC */
		r = c;
		break;
	case 2: /* MI, PL */
		r = n;
		break;
	case 3: /* VS, VC */
		r = v;
		break;
	case 4: /* HI, LS */
		r = c && !z;
		break;
	case 5: /* GE, LT */
		r = n == v;
		break;
	case 6: /* GT, LE */
		r = !z && n == v;
		break;
	default: /* AL, NV */
		return true;
	}
	return (cc & 1) ? !r : r;
}

/* ---------------------------------------------------------------- events */

/* The next choice of the path: fixed by the prefix, or the first option. */
static int choose(struct model *m, int th, struct model_work *w, int nopt)
{
	int k = w->nchoice;
	if (k >= MODEL_MAX_TEV) {
		fail_limit(m, th, "passes", MODEL_MAX_TEV,
			   "choice points (reads, store-exclusives) on one path");
		return -1;
	}
	w->nchoice++;
	w->nopt[k] = (uint8_t)nopt;
	if (k >= w->tr.nchoice) {
		w->tr.choice[k] = 0;
		w->tr.nchoice = (uint8_t)(k + 1);
	}
	return w->tr.choice[k];
}

static int new_event(struct model *m, int th, struct model_work *w, int pc, int kind, int loc,
		     uint64_t value, unsigned flags)
{
	if (w->tr.nev >= MODEL_MAX_TEV) {
		fail_limit(m, th, "makes", MODEL_MAX_TEV, "memory accesses on one path");
		return -1;
	}
	int e = w->tr.nev++;
	struct model_event *ev = &w->tr.ev[e];
	ev->value = value;
	ev->kind = (uint8_t)kind;
	ev->flags = (uint8_t)flags;
	ev->loc = (int8_t)loc;
	ev->pair = -1;
	ev->insn = (int16_t)pc;
	ev->step = (int16_t)w->steps;
	memset(&w->wev[e], 0, sizeof w->wev[e]);
	w->wev[e].lrs = -1;
	w->wev[e].ct = w->ct;
	w->wev[e].cp = w->cp | w->ct;
	return e;
}

/* The location an access to addr touches, or -1 (error set). */
static int access_loc(struct model *m, int th, const struct litmus_insn *in, uint64_t addr)
{
	int loc = model_addr_loc(m, addr);
	if (loc < 0)
		fail_insn(m, th, in, " accesses address ", true, addr);
	return loc;
}

/* The address an LDR/STR (any mode) or another memory op ([Xn]) uses, and
 * the reads it depends on. */
static uint64_t address(const struct model_work *w, const struct litmus_insn *in, uint32_t *t,
			uint32_t *p)
{
	uint64_t base = get(w, in->rn);
	*t = tnt(w, in->rn);
	*p = ptnt(w, in->rn);
	bool ldst = in->op == LITMUS_LDR || in->op == LITMUS_STR;
	if (!ldst || in->addr == LITMUS_ADDR_BASE)
		return base;
	if (in->addr == LITMUS_ADDR_IMM)
		return base + (uint64_t)in->imm;
	*t |= tnt(w, in->rm);
	*p |= ptnt(w, in->rm);
	uint64_t idx = get(w, in->rm);
	if (in->addr == LITMUS_ADDR_SXTW)
		idx = (uint64_t)(int64_t)(int32_t)(uint32_t)idx;
	else if (in->addr == LITMUS_ADDR_UXTW)
		idx = (uint32_t)idx;
	return base + (idx << (in->shift & 63));
}

/* The most recent write of the path to loc (a read now would be its local
 * read successor), or -1. */
static int last_write(const struct model_work *w, int loc)
{
	for (int e = w->tr.nev - 1; e >= 0; e--)
		if (w->tr.ev[e].kind == MODEL_W && w->tr.ev[e].loc == loc)
			return e;
	return -1;
}

/* A read of loc: choose its value; returns the event or -1. */
static int do_read(struct model *m, int th, struct model_work *w, int pc, int loc, uint32_t at,
		   uint32_t ap, unsigned flags)
{
	int k = choose(m, th, w, m->nvals[loc]);
	if (k < 0)
		return -1;
	int e = new_event(m, th, w, pc, MODEL_R, loc, m->vals[loc][k], flags);
	if (e < 0)
		return -1;
	struct model_wev *x = &w->wev[e];
	x->at = at;
	x->ap = ap | at;
	x->mt = at;
	x->mp = x->ap;
	x->lrs = (int8_t)last_write(w, loc);
	if (x->lrs >= 0) { /* dependencies flow through memory to a local read successor */
		x->mt |= w->wev[x->lrs].mt;
		x->mp |= w->wev[x->lrs].mp;
	}
	return e;
}

static int do_write(struct model *m, int th, struct model_work *w, int pc, int loc, uint64_t value,
		    uint32_t at, uint32_t ap, uint32_t dt, uint32_t dp, unsigned flags)
{
	int e = new_event(m, th, w, pc, MODEL_W, loc, value, flags);
	if (e < 0)
		return -1;
	struct model_wev *x = &w->wev[e];
	x->at = at;
	x->ap = ap | at;
	x->dt = dt;
	x->dp = dp | dt;
	x->mt = at | dt;
	x->mp = x->ap | x->dp;
	return e;
}

/* A read's value into its destination register: it depends on the read
 * itself and on what the access depended on. */
static void load_result(struct model_work *w, struct litmus_reg rd, int e)
{
	uint32_t self = 1u << e;
	set(w, rd, w->tr.ev[e].value, self | w->wev[e].mt, self | w->wev[e].mp);
}

static int width_of(struct litmus_reg r)
{
	return r.width == 32 ? 32 : 64;
}

/* Event flags an op gives its read and write halves. */
static unsigned read_flags(int op)
{
	unsigned f = litmus_op_flags(op), r = 0;
	if (f & LITMUS_F_ACQ)
		r |= MODEL_EV_A;
	if (f & LITMUS_F_ACQPC)
		r |= MODEL_EV_Q;
	if (f & LITMUS_F_EXCL)
		r |= MODEL_EV_EXCL;
	if (f & LITMUS_F_RMW)
		r |= MODEL_EV_AMO;
	return r;
}

static unsigned write_flags(int op)
{
	unsigned f = litmus_op_flags(op), r = 0;
	if (f & LITMUS_F_REL)
		r |= MODEL_EV_L;
	if (f & LITMUS_F_EXCL)
		r |= MODEL_EV_EXCL;
	if (f & LITMUS_F_RMW)
		r |= MODEL_EV_AMO;
	return r;
}

static void pair(struct model_work *w, int r, int wr)
{
	w->tr.ev[r].pair = (int8_t)wr;
	w->tr.ev[wr].pair = (int8_t)r;
}

/* ---------------------------------------------------------------- instructions */

static int fence(struct model *m, int th, struct model_work *w, const struct litmus_insn *in)
{
	if (w->nfence >= MODEL_MAX_FENCES) {
		fail_limit(m, th, "executes", MODEL_MAX_FENCES, "barriers on one path");
		return -1;
	}
	struct model_fence *f = &w->fence[w->nfence++];
	f->step = (int16_t)w->steps;
	f->op = in->op;
	f->barrier = in->barrier;
	f->ct = w->ct;
	f->cp = w->cp | w->ct;
	if (in->op == LITMUS_ISB) {
		f->kind = MODEL_F_ISB;
		return 0;
	}
	/* herd's aarch64.cat: every observer is in one inner-shareable domain,
	 * so ISH and OSH act as SY; NSH options order nothing it models. */
	switch (in->barrier) {
	case LITMUS_BAR_SY:
	case LITMUS_BAR_ISH:
	case LITMUS_BAR_OSH:
		f->kind = MODEL_F_FULL;
		break;
	case LITMUS_BAR_LD:
	case LITMUS_BAR_ISHLD:
	case LITMUS_BAR_OSHLD:
		f->kind = MODEL_F_LD;
		break;
	case LITMUS_BAR_ST:
	case LITMUS_BAR_ISHST:
	case LITMUS_BAR_OSHST:
		f->kind = in->op == LITMUS_DSB ? MODEL_F_DSBST : MODEL_F_ST;
		break;
	default:
		f->kind = MODEL_F_NONE;
		break;
	}
	return 0;
}

/* LDR, LDAR, LDAPR, LDXR, LDAXR. */
static int exec_load(struct model *m, int th, struct model_work *w, int pc,
		     const struct litmus_insn *in)
{
	uint32_t at, ap;
	uint64_t a = address(w, in, &at, &ap);
	int loc = access_loc(m, th, in, a);
	if (loc < 0)
		return -1;
	int e = do_read(m, th, w, pc, loc, at, ap, read_flags(in->op));
	if (e < 0)
		return -1;
	load_result(w, in->rd, e);
	if (in->op == LITMUS_LDXR || in->op == LITMUS_LDAXR)
		w->excl = e;
	return 0;
}

/* STR, STLR. */
static int exec_store(struct model *m, int th, struct model_work *w, int pc,
		      const struct litmus_insn *in)
{
	uint32_t at, ap;
	uint64_t a = address(w, in, &at, &ap);
	int loc = access_loc(m, th, in, a);
	if (loc < 0)
		return -1;
	int e = do_write(m, th, w, pc, loc, get(w, in->rd), at, ap, tnt(w, in->rd), ptnt(w, in->rd),
			 write_flags(in->op));
	return e < 0 ? -1 : 0;
}

/*
 * STXR, STLXR: succeeds (writes, status 0) or fails (status 1).  It can
 * succeed only paired with the open load-exclusive of the path, to the same
 * location; the status register carries no dependency (aarch64.cat leaves
 * the register write of a store-exclusive out of dtrm).
 */
static int exec_store_excl(struct model *m, int th, struct model_work *w, int pc,
			   const struct litmus_insn *in)
{
	uint32_t at, ap;
	uint64_t a = address(w, in, &at, &ap);
	int loc = access_loc(m, th, in, a);
	if (loc < 0)
		return -1;
	int open = w->excl;
	w->excl = -1;
	bool can = open >= 0 && w->tr.ev[open].loc == loc;
	int k = can ? choose(m, th, w, 2) : 1;
	if (k < 0)
		return -1;
	if (k == 1) {
		set(w, in->rs, 1, 0, 0);
		return 0;
	}
	int e = do_write(m, th, w, pc, loc, get(w, in->rd), at, ap, tnt(w, in->rd), ptnt(w, in->rd),
			 write_flags(in->op));
	if (e < 0)
		return -1;
	pair(w, open, e);
	set(w, in->rs, 0, 0, 0);
	return 0;
}

/* SWP*, LDADD*, STADD*, CAS*: a read and (CAS: when equal) a write of one
 * instruction, paired as rmw. */
static int exec_atomic(struct model *m, int th, struct model_work *w, int pc,
		       const struct litmus_insn *in)
{
	uint32_t at, ap;
	uint64_t a = address(w, in, &at, &ap);
	int loc = access_loc(m, th, in, a);
	if (loc < 0)
		return -1;
	bool cas = in->op >= LITMUS_CAS && in->op <= LITMUS_CASAL;
	bool add = in->op >= LITMUS_LDADD && in->op <= LITMUS_STADDL;
	unsigned rflags = read_flags(in->op);
	/* An atomic whose old value goes to ZR (ST<op>, SWP/LDADD with Rt=ZR,
	 * CAS with Rs=ZR) returns nothing: its read is not acquire (the Arm
	 * ARM: acquire "if the destination register is not WZR/XZR") and DMB
	 * LD does not order it. */
	if (is_zr(cas ? in->rs : in->rd) || in->op == LITMUS_STADD || in->op == LITMUS_STADDL)
		rflags = (rflags & ~(unsigned)MODEL_EV_A) | MODEL_EV_NORET;
	/* Operands are read before the destination is written. */
	uint64_t rs = get(w, in->rs), rt = get(w, in->rd);
	uint32_t rs_t = tnt(w, in->rs), rs_p = ptnt(w, in->rs);
	uint32_t rt_t = tnt(w, in->rd), rt_p = ptnt(w, in->rd);
	int r = do_read(m, th, w, pc, loc, at, ap, rflags);
	if (r < 0)
		return -1;
	uint64_t old = w->tr.ev[r].value;
	uint32_t self = 1u << r;
	int e = -1;
	if (cas) {
		int width = width_of(in->rs);
		if (to_width(old, width) == to_width(rs, width)) {
			e = do_write(m, th, w, pc, loc, to_width(rt, width_of(in->rd)), at, ap,
				     rt_t, rt_p, write_flags(in->op));
			if (e < 0)
				return -1;
			/* The write happens because of the comparison: a pick
			 * dependency on the read and on the compared value. */
			w->wev[e].xp = self | w->wev[r].mp | rs_p;
			w->wev[e].mp |= w->wev[e].xp;
			/* Rs gets the old value, equal to Rs: the hardware may
			 * take it from memory or keep Rs, so both are candidate
			 * traces.  Either way it is picked by the comparison's
			 * read.  (What herd's catalogue requires: the kinds of
			 * MP+rel+CAS-ok-MRs-addr, -RsRs-addr, -bothRs-addr and
			 * LB+rel+CAS-ok-MRs-addr, -RsRs-addr.) */
			int keep = choose(m, th, w, 2);
			if (keep < 0)
				return -1;
			if (keep) {
				set(w, in->rs, rs, rs_t, rs_p | self | w->wev[r].mp);
				pair(w, r, e);
				return 0;
			}
		}
		load_result(w, in->rs, r);
	} else {
		int width = width_of(in->rs);
		uint64_t v = add ? to_width(old + rs, width) : to_width(rs, width);
		e = do_write(m, th, w, pc, loc, v, at, ap, rs_t, rs_p, write_flags(in->op));
		if (e < 0)
			return -1;
		if (add) { /* the value written is computed from the value read */
			w->wev[e].mt |= self | w->wev[r].mt;
			w->wev[e].mp |= self | w->wev[r].mp;
		}
		if (!(rflags & MODEL_EV_NORET))
			load_result(w, in->rd, r);
	}
	if (e >= 0)
		pair(w, r, e);
	return 0;
}

/* A taken branch: backward ones at most MODEL_UNROLL times each. */
static int branch(struct model_work *w, int pc, int target, int *next)
{
	if (target <= pc && ++w->taken[pc] > MODEL_UNROLL)
		return PATH_CUT;
	*next = target;
	return PATH_DONE;
}

static int exec_alu(struct model_work *w, const struct litmus_insn *in)
{
	int width = width_of(in->rd);
	uint64_t a = get(w, in->rn), b = src_value(w, in, width), r;
	switch (in->op) {
	case LITMUS_ADD:
		r = a + b;
		break;
	case LITMUS_SUB:
		r = a - b;
		break;
	case LITMUS_EOR:
		r = a ^ b;
		break;
	case LITMUS_AND:
		r = a & b;
		break;
	default: /* ORR */
		r = a | b;
		break;
	}
	/* EOR Xd,Xs,Xs is 0 whatever Xs holds, and still a dependency on it. */
	set(w, in->rd, r, tnt(w, in->rn) | src_t(w, in), ptnt(w, in->rn) | src_p(w, in));
	return 0;
}

/* Run instruction pc; *next is where the path goes on. */
static int step(struct model *m, int th, struct model_work *w, int pc, int *next)
{
	const struct litmus_insn *in = &m->t->thread[th].insn[pc];
	const int F = LITMUS_FLAGS_BIT;
	*next = pc + 1;
	switch (in->op) {
	case LITMUS_NOP:
		return 0;
	case LITMUS_MOV:
		set(w, in->rd, src_value(w, in, width_of(in->rd)), src_t(w, in), src_p(w, in));
		return 0;
	case LITMUS_ADD:
	case LITMUS_SUB:
	case LITMUS_EOR:
	case LITMUS_AND:
	case LITMUS_ORR:
		return exec_alu(w, in);
	case LITMUS_CMP: {
		int width = width_of(in->rn);
		w->reg[F] = nzcv_sub(get(w, in->rn), src_value(w, in, width), width);
		w->rt[F] = tnt(w, in->rn) | src_t(w, in);
		w->rp[F] = ptnt(w, in->rn) | src_p(w, in) | w->rt[F];
		return 0;
	}
	case LITMUS_CSEL: {
		struct litmus_reg s = cond_holds(w->reg[F], in->cond) ? in->rn : in->rm;
		/* The value comes from s (data); which one was picked
		 * depends on the flags (a pick dependency). */
		set(w, in->rd, get(w, s), tnt(w, s), ptnt(w, s) | w->rp[F]);
		return 0;
	}
	case LITMUS_CBZ:
	case LITMUS_CBNZ: {
		bool zero = get(w, in->rd) == 0;
		w->ct |= tnt(w, in->rd);
		w->cp |= ptnt(w, in->rd);
		if (zero == (in->op == LITMUS_CBZ))
			return branch(w, pc, in->target, next);
		return 0;
	}
	case LITMUS_B:
		return branch(w, pc, in->target, next);
	case LITMUS_BCOND:
		w->ct |= w->rt[F];
		w->cp |= w->rp[F];
		if (cond_holds(w->reg[F], in->cond))
			return branch(w, pc, in->target, next);
		return 0;
	case LITMUS_DMB:
	case LITMUS_DSB:
	case LITMUS_ISB:
		return fence(m, th, w, in);
	case LITMUS_LDR:
	case LITMUS_LDAR:
	case LITMUS_LDAPR:
	case LITMUS_LDXR:
	case LITMUS_LDAXR:
		return exec_load(m, th, w, pc, in);
	case LITMUS_STR:
	case LITMUS_STLR:
		return exec_store(m, th, w, pc, in);
	case LITMUS_STXR:
	case LITMUS_STLXR:
		return exec_store_excl(m, th, w, pc, in);
	default:
		if (litmus_op_flags(in->op) & LITMUS_F_RMW)
			return exec_atomic(m, th, w, pc, in);
		fail_insn(m, th, in, ": the model does not know this instruction", false, 0);
		return -1;
	}
}

/* Run thread th along the path w->tr.choice[0..w->tr.nchoice) fixes (first
 * options beyond it).  PATH_DONE, PATH_CUT or PATH_ERROR. */
static int run_path(struct model *m, int th, struct model_work *w)
{
	const struct litmus_thread *thr = &m->t->thread[th];
	w->tr.thread = (uint8_t)th;
	w->tr.nev = 0;
	w->nfence = 0;
	w->nchoice = 0;
	w->steps = 0;
	w->ct = w->cp = 0;
	w->excl = -1;
	memset(w->reg, 0, sizeof w->reg);
	memset(w->rt, 0, sizeof w->rt);
	memset(w->rp, 0, sizeof w->rp);
	memset(w->taken, 0, sizeof w->taken);
	for (int r = 0; r < LITMUS_NREGS; r++)
		if (thr->init[r].set)
			w->reg[r] = value_of(m, &thr->init[r].value);
	int pc = 0;
	while (pc < thr->ninsns) {
		if (w->steps >= MODEL_MAX_STEPS) {
			fail_limit(m, th, "executes", MODEL_MAX_STEPS, "instructions on one path");
			return PATH_ERROR;
		}
		int next, r = step(m, th, w, pc, &next);
		if (r != PATH_DONE)
			return r;
		w->steps++;
		pc = next;
	}
	w->tr.nchoice = (uint8_t)w->nchoice;
	/* The final values of the observed registers of this thread. */
	for (int i = 0; i < m->t->nobserved; i++) {
		const struct litmus_place *p = &m->t->observed[i];
		if (p->kind == LITMUS_PLACE_REG && p->thread == th)
			w->tr.obs[i] = w->reg[p->reg];
	}
	return PATH_DONE;
}

/* ---------------------------------------------------------------- traces */

/* Add v to the next round's domain of loc; *grew says it was new. */
static int add_value(struct model *m, int loc, uint64_t v, bool *grew)
{
	for (int i = 0; i < m->nnext[loc]; i++)
		if (m->next[loc][i] == v)
			return 0;
	if (m->nnext[loc] >= MODEL_MAX_VALUES) {
		struct strbuf sb;
		if (model_fail(m, 0, 0, &sb)) {
			sb_puts(&sb, "test too large: location ");
			sb_puts(&sb, m->t->loc[loc].name);
			sb_puts(&sb, " can hold more than ");
			sb_putu(&sb, MODEL_MAX_VALUES);
			sb_puts(&sb, " values (limit ");
			sb_putu(&sb, MODEL_MAX_VALUES);
			sb_puts(&sb, ")");
		}
		return -1;
	}
	m->next[loc][m->nnext[loc]++] = v;
	*grew = true;
	return 0;
}

static int keep_trace(struct model *m, struct model_work *w, bool *grew)
{
	if (m->ntraces >= MODEL_MAX_TRACES) {
		fail_limit(m, -1, "has", MODEL_MAX_TRACES, "thread paths");
		return -1;
	}
	model_local_order(w, NULL);
	/* herd flags tests that use shareability options (the model assumes
	 * every observer is in one inner-shareable domain). */
	w->tr.shareability = false;
	for (int f = 0; f < w->nfence; f++) {
		int b = w->fence[f].barrier;
		if (w->fence[f].kind != MODEL_F_ISB && w->fence[f].kind != MODEL_F_NONE &&
		    b != LITMUS_BAR_SY && b != LITMUS_BAR_LD && b != LITMUS_BAR_ST)
			w->tr.shareability = true;
	}
	m->trace[m->ntraces++] = w->tr;
	for (int e = 0; e < w->tr.nev; e++)
		if (w->tr.ev[e].kind == MODEL_W &&
		    add_value(m, w->tr.ev[e].loc, w->tr.ev[e].value, grew) < 0)
			return -1;
	return 0;
}

/* Every trace of thread th into m->trace. */
static int thread_traces(struct model *m, int th, bool *grew)
{
	struct model_work *w = &m->work;
	memset(&w->tr, 0, sizeof w->tr);
	for (;;) {
		int r = run_path(m, th, w);
		if (r == PATH_ERROR)
			return -1;
		if (r == PATH_DONE) {
			if (keep_trace(m, w, grew) < 0)
				return -1;
		} else {
			m->loop_cut = true;
		}
		/* Advance the odometer: the last choice point with an option left. */
		int k = w->nchoice - 1;
		while (k >= 0 && w->tr.choice[k] + 1 >= w->nopt[k])
			k--;
		if (k < 0)
			return 0;
		w->tr.choice[k]++;
		w->tr.nchoice = (uint8_t)(k + 1);
	}
}

/* How many writes one path of each thread can make, summed: the rounds
 * the value domains need (see the top of the file). */
static int write_sites(const struct litmus_test *t)
{
	int n = 0;
	for (int th = 0; th < t->nthreads; th++) {
		const struct litmus_thread *thr = &t->thread[th];
		int stores = 0, loops = 0;
		for (int i = 0; i < thr->ninsns; i++) {
			if (litmus_op_flags(thr->insn[i].op) & LITMUS_F_STORE)
				stores++;
			if ((litmus_op_flags(thr->insn[i].op) & LITMUS_F_BRANCH) &&
			    thr->insn[i].target <= i)
				loops = 1;
		}
		n += stores * (loops ? MODEL_UNROLL + 1 : 1);
	}
	return n;
}

int model_traces(struct model *m)
{
	const struct litmus_test *t = m->t;
	bool grew = false;
	for (int l = 0; l < t->nlocs; l++) {
		m->loc_addr[l] = ADDR_BASE + (uint64_t)l * ADDR_STRIDE;
		m->nnext[l] = 0;
	}
	for (int l = 0; l < t->nlocs; l++)
		if (add_value(m, l, value_of(m, &t->loc[l].init), &grew) < 0)
			return -1;
	int rounds = write_sites(t);
	for (int round = 0;; round++) {
		memcpy(m->nvals, m->nnext, sizeof m->nvals);
		memcpy(m->vals, m->next, sizeof m->vals);
		grew = false;
		m->ntraces = 0;
		m->loop_cut = false;
		for (int th = 0; th < t->nthreads; th++) {
			m->first[th] = m->ntraces;
			if (thread_traces(m, th, &grew) < 0)
				return -1;
			m->count[th] = m->ntraces - m->first[th];
		}
		if (!grew || round >= rounds)
			return 0;
	}
}

int model_replay(struct model *m, const struct model_trace *tr)
{
	struct model_work *w = &m->work;
	memcpy(w->tr.choice, tr->choice, sizeof tr->choice);
	w->tr.nchoice = tr->nchoice;
	if (run_path(m, tr->thread, w) != PATH_DONE)
		return -1;
	return 0;
}
