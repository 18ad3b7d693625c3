/*
 * gen.c — the machine code that runs one litmus thread over a whole run.
 *
 * The encoder (encode.c) turns a thread's instructions into its *body*; this
 * file wraps the body in a loop, so that one call runs every iteration of a
 * run without going back to C.  The runner (run.c) calls the result as
 *     int run(uint64_t *rows)      (0: done; 1: a faulting access ended it)
 * on a core of its own, interrupts masked.  The code, for thread P:
 *
 *   prologue:  stp x29,x30 / x18..x28 onto the kernel stack  (AAPCS64:
 *              the body may use every register, so save all a caller keeps)
 *              mov x9, sp ; msr tpidrro_el0, x9     the kernel SP, kept in a
 *                                                   system register the body
 *                                                   cannot touch
 *              mov sp, x0                           SP walks the rows
 *   loop:      [sync]                               see below
 *              ldr Xa, [sp, #ROW_ADDR+k]            address registers: this
 *                                                   iteration's fresh cells
 *              mov Xi, #imm                         numeric initial values
 *              <body>                               the test's instructions
 *              str Xo, [sp, #ROW_OBS+k]             observed registers
 *              ldr x9, [sp, #ROW_CTL]
 *              add sp, sp, #row
 *              cbz x9, loop
 *              tbnz x9, #1, done                    LITMUS_CTL_LAST
 *              <window> ; b loop                    LITMUS_CTL_WINDOW
 *   done:      movz x0, #0
 *   exit:      mrs x9, tpidrro_el0 ; mov sp, x9 ; ldp ... ; ret
 *   fault:     movz x0, #1 ; b exit
 *
 * The fault exit: a test may compute an address ([X1,X2] with X2 loaded
 * from memory) that is no location.  The runner arms the kernel's expected-
 * fault hook (kernel/arch/trap.c) with the address of `fault`, so the first
 * faulting access of the body abandons the run there, with the kernel's
 * SP and registers restored, instead of killing the kernel.
 *
 * Why SP: the body never names SP (the parser refuses it), so SP is the one
 * register the runner can keep across the body; with it every row access
 * is one instruction, and nothing else needs reloading per iteration.  The
 * kernel runs on SP_EL0 (boot/vectors.S), and an exception switches to
 * SP_EL1, so an interrupt taken in a window does not write below the rows.
 *
 * The window (interrupts are otherwise masked for the whole run): the
 * kernel SP goes back into SP for it, because an interrupt may be a
 * stop-the-world, whose collector then reads this task's stack from the
 * saved SP (gc/mark.c checks it lies inside the task's stack):
 *     mrs x12, tpidrro_el0 ; mov x13, sp ; mov sp, x12
 *     msr daifclr, #2 ; isb ; msr daifset, #2
 *     mov sp, x13
 * The runner asks for one every few hundred iterations (ROW_CTL), so a
 * stop-the-world waits for at most that many iterations; and every wait
 * loop below opens one each LITMUS_SPIN_WINDOW spins, so a thread waiting
 * for another that is parked in a stop lets the stop reach it too (a wait
 * with interrupts masked throughout would deadlock with the stop).
 *
 * [sync], LITMUS_SYNC_USER (litmus7's user barrier): the iteration's
 * leader (ROW_LEAD nonzero; the runner rotates it) stores to the go word
 * ROW_SYNC points at; the others wait until it is nonzero.
 *     ldp x9, x10, [sp, #ROW_SYNC] ; cbz x10, wait ; str x9, [x9] ; b go
 *   wait: ldr x10, [x9] ; cbnz x10, go ; yield ; (count, window) ; b wait
 *   go:
 * LITMUS_SYNC_TIMEBASE: the leader stores counter + ROW_LEAD (a start time
 * a little ahead) into the go word; every thread waits until the counter
 * reaches that time plus its own random ROW_SKEW, so the threads start
 * together give or take a skew the runner varies per iteration.
 * LITMUS_SYNC_NONE: nothing; the threads start each run together (run.c)
 * and sweep their rows side by side.  LITMUS_SYNC_MEET: the same, but at
 * rows whose ROW_SYNC is set, every thread adds one to that counter (an
 * exclusive pair) and waits until it reaches ROW_LEAD, the thread count:
 * a symmetric barrier (all threads leave it at about the same moment, so
 * they sweep in step), every few iterations rather than every one.
 *     ldr x9, [sp, #ROW_SYNC] ; cbz x9, on
 *     ldr x10, [sp, #ROW_LEAD] ; lsr x15, x10, #32 ; mov w10, w10
 *  1: ldxr x11, [x9] ; add x11, x11, #1 ; stxr w12, x11, [x9] ; cbnz w12, 1b
 *     cbz x15, 2f
 *     wait until [x9] >= x10 (the thread count: ROW_LEAD's low half), or
 *     give up after x15 (ROW_LEAD's high half) rounds of LITMUS_SPIN_WINDOW
 *     spins and a window; then str x15, [sp, #ROW_LEAD]: the rounds left
 *     (0: it gave up), which the runner reads
 *  2:
 *     ldr x10, [sp, #ROW_SKEW] ; 3: subs x10, x10, #1 ; b.hs 3b
 *  on:
 * The delay (ROW_SKEW, random per meeting point and thread) moves the
 * threads a little apart or together, so that over many meetings their
 * relative timing covers the narrow window a reordering needs.  A meeting
 * only helps timing, so its patience is bounded (-patience, in rounds; the
 * runner sets it to 0 for a while on a worker whose meetings time out):
 * under QEMU with more vCPUs than host CPUs the others may not be running
 * at all, and waiting for the host to schedule them would cost a host
 * time slice per meeting.  (A thread that gives up has counted itself, so
 * a late one still finds the count complete and does not wait.)
 *
 * No barrier instruction is added around the body: the harness orders
 * nothing the test does, only when it starts.
 */
#include "kernel/litmus/gen.h"
#include "kernel/litmus/encode.h"

#include <string.h>

/* Register numbers. */
#define X9	  9
#define X10	  10
#define X11	  11
#define X12	  12
#define X13	  13
#define X14	  14
#define X15	  15
#define XSP	  31 /* in the encodings below, 31 is SP (add, ldr/str base) */
#define XZR	  31 /* in cmp/subs as a destination, 31 is XZR */
#define XZR_STORE 31 /* and as the register stored by str */

/* System registers, as (op0, op1, CRn, CRm, op2) packed for MRS/MSR. */
#define SYSREG(op0, op1, crn, crm, op2)                                                            \
	((uint32_t)(op0) << 19 | (uint32_t)(op1) << 16 | (uint32_t)(crn) << 12 |                   \
	 (uint32_t)(crm) << 8 | (uint32_t)(op2) << 5)
#define TPIDRRO_EL0 SYSREG(3, 3, 13, 0, 3)
#define CNTVCT_EL0  SYSREG(3, 3, 14, 0, 2)

/* Fixed instructions. */
#define A64_RET	      0xd65f03c0u
#define A64_ISB	      0xd5033fdfu
#define A64_YIELD     0xd503203fu
#define A64_DAIFSET_I 0xd50342dfu /* msr daifset, #2: mask IRQs */
#define A64_DAIFCLR_I 0xd50342ffu /* msr daifclr, #2: unmask IRQs */
#define COND_HS	      2 /* unsigned higher or same */
#define COND_NE	      1
#define COND_LO	      3 /* unsigned lower */
#define SAVE_BYTES    112 /* x18..x30 and a pad word: 14 x 8, 16-byte aligned */

struct emit {
	uint32_t *code;
	int cap;
	int n;
	bool full;
};

static void put(struct emit *e, uint32_t w)
{
	if (e->n < e->cap)
		e->code[e->n] = w;
	else
		e->full = true;
	e->n++;
}

/* stp/ldp Xa, Xb, [sp, #off] (signed offset, off a multiple of 8). */
static uint32_t stp_sp(int a, int b, int off)
{
	return 0xa9000000u | ((uint32_t)(off / 8) & 0x7f) << 15 | (uint32_t)b << 10 | XSP << 5 |
	       (uint32_t)a;
}

static uint32_t ldp_x(int a, int b, int base, int off)
{
	return 0xa9400000u | ((uint32_t)(off / 8) & 0x7f) << 15 | (uint32_t)b << 10 |
	       (uint32_t)base << 5 | (uint32_t)a;
}

/* ldr/str Xt, [Xn|SP, #off] (unsigned offset, a multiple of 8). */
static uint32_t ldr_x(int t, int base, int off)
{
	return 0xf9400000u | (uint32_t)(off / 8) << 10 | (uint32_t)base << 5 | (uint32_t)t;
}

static uint32_t str_x(int t, int base, int off)
{
	return 0xf9000000u | (uint32_t)(off / 8) << 10 | (uint32_t)base << 5 | (uint32_t)t;
}

/* add Xd|SP, Xn|SP, #imm12 (mov to or from SP is add #0). */
static uint32_t add_imm(int d, int n, int imm)
{
	return 0x91000000u | (uint32_t)imm << 10 | (uint32_t)n << 5 | (uint32_t)d;
}

/* add Xd, Xn, Xm */
static uint32_t add_reg(int d, int n, int m)
{
	return 0x8b000000u | (uint32_t)m << 16 | (uint32_t)n << 5 | (uint32_t)d;
}

/* subs Xd, Xn, #imm12 */
static uint32_t subs_imm(int d, int n, int imm)
{
	return 0xf1000000u | (uint32_t)imm << 10 | (uint32_t)n << 5 | (uint32_t)d;
}

/* cmp Xn, Xm */
static uint32_t cmp_reg(int n, int m)
{
	return 0xeb000000u | (uint32_t)m << 16 | (uint32_t)n << 5 | XZR;
}

/* ldxr Xt, [Xn] ; stxr Ws, Xt, [Xn] */
static uint32_t ldxr_x(int t, int n)
{
	return 0xc85f7c00u | (uint32_t)n << 5 | (uint32_t)t;
}

static uint32_t stxr_x(int s, int t, int n)
{
	return 0xc8007c00u | (uint32_t)s << 16 | (uint32_t)n << 5 | (uint32_t)t;
}

/* lsr Xd, Xn, #32 (ubfm Xd, Xn, #32, #63) */
static uint32_t lsr32_x(int d, int n)
{
	return 0xd360fc00u | (uint32_t)n << 5 | (uint32_t)d;
}

/* mov Wd, Wn (orr Wd, wzr, Wn): the low half, zero-extended */
static uint32_t mov_w(int d, int n)
{
	return 0x2a0003e0u | (uint32_t)n << 16 | (uint32_t)d;
}

/* cbnz Wt, off */
static uint32_t cbnz_w(int t, int off)
{
	return 0x35000000u | ((uint32_t)off & 0x7ffff) << 5 | (uint32_t)t;
}

/* movz Xd, #imm16 */
static uint32_t movz(int d, int imm)
{
	return 0xd2800000u | (uint32_t)imm << 5 | (uint32_t)d;
}

static uint32_t mrs(int t, uint32_t sysreg)
{
	return 0xd5200000u | sysreg | (uint32_t)t;
}

static uint32_t msr(uint32_t sysreg, int t)
{
	return 0xd5000000u | sysreg | (uint32_t)t;
}

/* Branches; offsets in words from the branch itself. */
static uint32_t b_to(int off)
{
	return 0x14000000u | ((uint32_t)off & 0x3ffffff);
}

static uint32_t bcond(int cond, int off)
{
	return 0x54000000u | ((uint32_t)off & 0x7ffff) << 5 | (uint32_t)cond;
}

static uint32_t cbz_x(int t, int off)
{
	return 0xb4000000u | ((uint32_t)off & 0x7ffff) << 5 | (uint32_t)t;
}

static uint32_t cbnz_x(int t, int off)
{
	return 0xb5000000u | ((uint32_t)off & 0x7ffff) << 5 | (uint32_t)t;
}

/* tbnz Xt, #bit, off (bit < 32) */
static uint32_t tbnz(int t, int bit, int off)
{
	return 0x37000000u | (uint32_t)bit << 19 | ((uint32_t)off & 0x3fff) << 5 | (uint32_t)t;
}

/* Patch the branch at `at` to go to `to` (both word indexes). */
static void patch(struct emit *e, int at, int to)
{
	if (at >= e->cap || e->full)
		return;
	uint32_t w = e->code[at];
	int off = to - at;
	if ((w & 0xfc000000u) == 0x14000000u)
		e->code[at] = b_to(off);
	else if ((w & 0x7e000000u) == 0x34000000u) /* cbz/cbnz */
		e->code[at] = (w & 0xff00001fu) | ((uint32_t)off & 0x7ffff) << 5;
	else if ((w & 0x7e000000u) == 0x36000000u) /* tbz/tbnz */
		e->code[at] = (w & 0xfff8001fu) | ((uint32_t)off & 0x3fff) << 5;
	else if ((w & 0xff000010u) == 0x54000000u) /* b.cond */
		e->code[at] = (w & 0xff00001fu) | ((uint32_t)off & 0x7ffff) << 5;
}

/* The interrupt window (see the top of the file); uses x12 and x13. */
static void emit_window(struct emit *e)
{
	put(e, mrs(X12, TPIDRRO_EL0)); /* the kernel SP */
	put(e, add_imm(X13, XSP, 0)); /* mov x13, sp: the row pointer */
	put(e, add_imm(XSP, X12, 0)); /* mov sp, x12 */
	put(e, A64_DAIFCLR_I);
	/* A context synchronisation event: a pending interrupt is taken here,
	 * before the mask comes back. */
	put(e, A64_ISB);
	put(e, A64_DAIFSET_I);
	put(e, add_imm(XSP, X13, 0)); /* mov sp, x13 */
}

/*
 * Wait until the word at [x9] is nonzero (count == false), leaving it in
 * x10; or until it reaches x10 (count == true), giving up after `patience`
 * rounds.  A round is LITMUS_SPIN_WINDOW spins and an interrupt window.
 * Uses x10 or x14 and x15, x11 (and the window's x12, x13).
 */
static void emit_wait(struct emit *e, bool count)
{
	int top = e->n;
	put(e, movz(X11, LITMUS_SPIN_WINDOW));
	int poll = e->n, to_go;
	if (!count) {
		put(e, ldr_x(X10, X9, 0)); /* the go word: plain load, the leader's plain store */
		to_go = e->n;
		put(e, cbnz_x(X10, 0));
	} else {
		put(e, ldr_x(X14, X9, 0)); /* the counter: plain load, after the others' stxr */
		put(e, cmp_reg(X14, X10));
		to_go = e->n;
		put(e, bcond(COND_HS, 0));
	}
	put(e, A64_YIELD); /* a spin: let an SMT sibling or QEMU's other vCPU run */
	put(e, subs_imm(X11, X11, 1));
	put(e, bcond(COND_NE, poll - e->n));
	emit_window(e);
	if (count) {
		/* a meeting is patient only that long (see the top of the file) */
		put(e, subs_imm(X15, X15, 1));
		put(e, bcond(COND_NE, top - e->n));
		patch(e, to_go, e->n);
		/* for the runner: the rounds left (0: it gave up) */
		put(e, str_x(X15, XSP, ROW_LEAD * 8));
	} else {
		put(e, b_to(top - e->n));
		patch(e, to_go, e->n);
	}
}

/* LITMUS_SYNC_MEET: see the top of the file. */
static void emit_meet(struct emit *e)
{
	put(e, ldr_x(X9, XSP, ROW_SYNC * 8));
	int to_on = e->n;
	put(e, cbz_x(X9, 0));
	put(e, ldr_x(X10, XSP, ROW_LEAD * 8));
	put(e, lsr32_x(X15, X10)); /* the patience, in rounds */
	put(e, mov_w(X10, X10)); /* the thread count (the low half) */
	int again = e->n;
	put(e, ldxr_x(X11, X9)); /* exclusive pair: one more thread has arrived */
	put(e, add_imm(X11, X11, 1));
	put(e, stxr_x(X12, X11, X9));
	put(e, cbnz_w(X12, again - e->n));
	int to_delay = e->n;
	put(e, cbz_x(X15, 0)); /* patience 0: no waiting at all */
	emit_wait(e, true);
	patch(e, to_delay, e->n);
	/* then this thread's own small random delay: a loop of ROW_SKEW + 1 */
	put(e, ldr_x(X10, XSP, ROW_SKEW * 8));
	int delay = e->n;
	put(e, subs_imm(X10, X10, 1));
	put(e, bcond(COND_HS, delay - e->n));
	patch(e, to_on, e->n);
}

static void emit_sync(struct emit *e, int sync)
{
	if (sync == LITMUS_SYNC_NONE)
		return;
	if (sync == LITMUS_SYNC_MEET) {
		emit_meet(e);
		return;
	}
	put(e, ldp_x(X9, X10, XSP, ROW_SYNC * 8)); /* x9 = &go, x10 = lead */
	int to_wait = e->n;
	put(e, cbz_x(X10, 0));
	if (sync == LITMUS_SYNC_USER) {
		put(e, str_x(X9, X9, 0)); /* go: any nonzero value (its own address) */
	} else {
		put(e, mrs(X11, CNTVCT_EL0));
		put(e, add_reg(X10, X11, X10)); /* the start time: now + lead */
		put(e, str_x(X10, X9, 0));
	}
	int to_go = e->n;
	put(e, b_to(0));
	patch(e, to_wait, e->n);
	emit_wait(e, false);
	patch(e, to_go, e->n);
	if (sync == LITMUS_SYNC_TIMEBASE) {
		/* x10 = start time; wait until the counter passes start + skew. */
		put(e, ldr_x(X11, XSP, ROW_SKEW * 8));
		put(e, add_reg(X10, X10, X11));
		int spin = e->n;
		put(e, mrs(X11, CNTVCT_EL0));
		put(e, cmp_reg(X11, X10));
		put(e, bcond(COND_LO, spin - e->n));
	}
}

void litmus_layout(const struct litmus_test *t, int th, struct litmus_layout *lay)
{
	const struct litmus_thread *thr = &t->thread[th];
	memset(lay, 0, sizeof *lay);
	/* Registers that need their initial value each iteration: every one the
	 * body reads, every one the init block names, every observed one (an
	 * observed register the body never writes shows its initial value). */
	uint32_t need = 0, observed = 0;
	for (int i = 0; i < thr->ninsns; i++) {
		uint32_t r, w;
		litmus_insn_regs(&thr->insn[i], &r, &w);
		need |= r;
	}
	for (int k = 0; k < t->nobserved; k++) {
		const struct litmus_place *p = &t->observed[k];
		if (p->kind == LITMUS_PLACE_REG && p->thread == th && p->reg < LITMUS_NREGS &&
		    !(observed & (1u << p->reg))) {
			observed |= 1u << p->reg;
			lay->obs_reg[lay->nobs] = p->reg;
			lay->obs_index[lay->nobs] = (int8_t)k;
			lay->nobs++;
		}
	}
	need |= observed;
	for (int r = 0; r < LITMUS_NREGS; r++) {
		if (thr->init[r].set)
			need |= 1u << r;
		if (!(need & (1u << r)))
			continue;
		const struct litmus_value *v = &thr->init[r].value;
		if (thr->init[r].set && v->kind == LITMUS_VAL_ADDR) {
			lay->addr_reg[lay->naddr] = (uint8_t)r;
			lay->addr_loc[lay->naddr] = v->loc;
			lay->naddr++;
		} else {
			lay->imm_regs |= 1u << r;
			lay->imm_value[r] = thr->init[r].set ? v->num : 0;
		}
	}
	lay->words = ROW_ADDR + lay->naddr + lay->nobs;
	lay->words += lay->words & 1;
}

static int gen_fail(struct litmus_error *err, const char *msg)
{
	err->line = err->col = 0;
	strncpy(err->msg, msg, sizeof err->msg - 1);
	err->msg[sizeof err->msg - 1] = '\0';
	return -1;
}

/* mov Xr, #v through the encoder (MOVZ/MOVN/ORR or MOVZ+MOVK, as GNU as). */
static int emit_mov_imm(struct emit *e, int r, int64_t v, struct litmus_error *err)
{
	struct litmus_insn in;
	uint32_t w[LITMUS_MAX_INSN_WORDS];
	memset(&in, 0, sizeof in);
	in.op = LITMUS_MOV;
	in.src = LITMUS_SRC_IMM;
	in.rd.num = (uint8_t)r;
	in.rd.width = 64;
	in.imm = v;
	int k = litmus_encode_insn(&in, 0, w, err);
	if (k < 0)
		return -1;
	for (int i = 0; i < k; i++)
		put(e, w[i]);
	return 0;
}

int litmus_gen(const struct litmus_test *t, int th, int sync, const struct litmus_layout *lay,
	       uint32_t *code, int cap, struct litmus_gen_map *map, struct litmus_error *err)
{
	struct emit e = {code, cap, 0, false};
	int row_bytes = lay->words * 8;
	if (row_bytes % 16 || row_bytes > 4095 || ROW_OBS(lay, lay->nobs) > lay->words)
		return gen_fail(err, "internal error: bad row layout");

	/* Prologue: save x18..x30 (x18 too: some ABIs reserve it). */
	put(&e, 0xa9800000u | ((uint32_t)(-SAVE_BYTES / 8) & 0x7f) << 15 | 30u << 10 | XSP << 5 |
		    29u); /* stp x29, x30, [sp, #-SAVE_BYTES]! */
	for (int r = 18, off = 16; r <= 28; r += 2, off += 16)
		put(&e, stp_sp(r, r + 1 <= 28 ? r + 1 : XZR, off));
	put(&e, add_imm(X9, XSP, 0)); /* mov x9, sp */
	put(&e, msr(TPIDRRO_EL0, X9)); /* the kernel SP, for windows and the exit */
	put(&e, add_imm(XSP, 0, 0)); /* mov sp, x0: the first row */

	int loop = e.n;
	emit_sync(&e, sync);
	for (int k = 0; k < lay->naddr; k++)
		put(&e, ldr_x(lay->addr_reg[k], XSP, (ROW_ADDR + k) * 8));
	for (int r = 0; r < LITMUS_NREGS; r++)
		if (lay->imm_regs & (1u << r) && emit_mov_imm(&e, r, lay->imm_value[r], err) < 0)
			return -1;

	map->body_at = e.n;
	int room = e.n < cap ? cap - e.n : 0;
	int nbody = litmus_encode_thread(&t->thread[th], code + (e.n < cap ? e.n : 0), room,
					 map->word_of, err);
	if (nbody < 0)
		return -1;
	e.n += nbody;

	for (int k = 0; k < lay->nobs; k++) {
#ifdef LITMUS_BREAK_EPILOGUE
		/* Deliberately broken (tests/litmus_stage.py's mutants): the
		 * last observed register is never stored. */
		if (k == lay->nobs - 1)
			break;
#endif
		put(&e, str_x(lay->obs_reg[k], XSP, ROW_OBS(lay, k) * 8));
	}
	put(&e, ldr_x(X9, XSP, ROW_CTL * 8));
	put(&e, add_imm(XSP, XSP, row_bytes));
	put(&e, cbz_x(X9, loop - e.n));
	int to_done = e.n;
	put(&e, tbnz(X9, 1, 0)); /* LITMUS_CTL_LAST */
	emit_window(&e); /* LITMUS_CTL_WINDOW */
	put(&e, b_to(loop - e.n));
	patch(&e, to_done, e.n);

	/* Epilogue. */
	put(&e, movz(0, 0)); /* return 0: the run is done */
	int exit = e.n;
	put(&e, mrs(X9, TPIDRRO_EL0));
	put(&e, add_imm(XSP, X9, 0)); /* mov sp, x9 */
	for (int r = 18, off = 16; r <= 28; r += 2, off += 16)
		put(&e, ldp_x(r, r + 1 <= 28 ? r + 1 : XZR, XSP, off));
	put(&e, 0xa8c00000u | ((uint32_t)(SAVE_BYTES / 8) & 0x7f) << 15 | 30u << 10 | XSP << 5 |
		    29u); /* ldp x29, x30, [sp], #SAVE_BYTES */
	put(&e, A64_RET);
	map->fault_at = e.n;
	put(&e, movz(0, 1)); /* return 1: a faulting access ended the run */
	put(&e, b_to(exit - e.n));
	map->words = e.n;

	if (e.full)
		return gen_fail(err, "code buffer too small for the thread");
	if (e.n - loop > (1 << 18))
		return gen_fail(err, "thread too long for the harness's branches");
	return e.n;
}
