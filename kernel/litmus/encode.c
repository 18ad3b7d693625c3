/*
 * encode.c — AArch64 machine code for litmus instructions.  See encode.h for
 * the ABI a thread's body assumes.
 *
 * Each instruction class has its own small function that fills the fields of
 * its encoding (Arm ARM, chapter C4 "A64 Instruction Set Encoding"; field
 * names as there: sf, Rd, Rn, Rm, Rt, Rs, imm12, ...).  Where an assembler
 * has a choice (MOV #imm, a negative ADD immediate, an unaligned LDR offset),
 * the choice is GNU as's, so the host tests can compare word for word.
 */
#include "kernel/litmus/encode.h"
#include "kernel/litmus/strbuf.h"

#include <string.h>

/* Register fields. */
#define RD(r)	((uint32_t)(r).num << 0)
#define RT(r)	((uint32_t)(r).num << 0)
#define RN(r)	((uint32_t)(r).num << 5)
#define RM(r)	((uint32_t)(r).num << 16)
#define RS(r)	((uint32_t)(r).num << 16)
#define SF(r)	((r).width == 64 ? 1u << 31 : 0u)
#define SIZE(r) ((r).width == 64 ? 3u << 30 : 2u << 30) /* loads/stores: 32 or 64 bits */

/* Fixed instructions and opcode bases (the 32-bit forms, size/sf clear). */
#define A64_NOP	     0xd503201fu
#define A64_ISB	     0xd5033fdfu /* ISB SY */
#define A64_DMB	     0xd50330bfu /* | CRm << 8 */
#define A64_DSB	     0xd503309fu /* | CRm << 8 */
#define A64_MOVN     0x12800000u
#define A64_MOVZ     0x52800000u
#define A64_MOVK     0x72800000u
#define A64_ADD_IMM  0x11000000u
#define A64_ADDS_IMM 0x31000000u
#define A64_SUB_IMM  0x51000000u
#define A64_SUBS_IMM 0x71000000u
#define A64_ADD_REG  0x0b000000u
#define A64_SUB_REG  0x4b000000u
#define A64_SUBS_REG 0x6b000000u
#define A64_AND_IMM  0x12000000u
#define A64_ORR_IMM  0x32000000u
#define A64_EOR_IMM  0x52000000u
#define A64_AND_REG  0x0a000000u
#define A64_ORR_REG  0x2a000000u
#define A64_EOR_REG  0x4a000000u
#define A64_CSEL     0x1a800000u
#define A64_LDR_UIMM 0x39400000u /* | SIZE */
#define A64_STR_UIMM 0x39000000u
#define A64_LDUR     0x38400000u
#define A64_STUR     0x38000000u
#define A64_LDR_REG  0x38600800u
#define A64_STR_REG  0x38200800u
#define A64_LDAR     0x08dffc00u
#define A64_STLR     0x089ffc00u
#define A64_LDAPR    0x38bfc000u
#define A64_LDXR     0x085f7c00u
#define A64_LDAXR    0x085ffc00u
#define A64_STXR     0x08007c00u
#define A64_STLXR    0x0800fc00u
#define A64_SWP	     0x38208000u
#define A64_LDADD    0x38200000u
#define A64_CAS	     0x08a07c00u
#define A64_CBZ	     0x34000000u
#define A64_CBNZ     0x35000000u
#define A64_B	     0x14000000u
#define A64_BCOND    0x54000000u

/* Acquire/release bits of the LSE atomics. */
#define LSE_A	   (1u << 23)
#define LSE_R	   (1u << 22)
#define CAS_ACQ	   (1u << 22) /* CAS: L field */
#define CAS_REL	   (1u << 15) /* CAS: o0 field */
#define LDST_REG_S (1u << 12) /* register offset: shift by the access size */

/* The option field of a register-offset load/store. */
#define OPT_UXTW 2u
#define OPT_LSL	 3u
#define OPT_SXTW 6u

static int enc_fail(const struct litmus_insn *in, struct litmus_error *err, const char *what,
		    int64_t value, const char *tail)
{
	struct strbuf sb;
	err->line = in->line;
	err->col = in->col;
	sb_init(&sb, err->msg, sizeof err->msg);
	sb_puts(&sb, litmus_op_name(in->op));
	if (in->op == LITMUS_BCOND)
		sb_puts(&sb, ".");
	sb_puts(&sb, ": ");
	sb_puts(&sb, what);
	if (tail) {
		sb_puti(&sb, value);
		sb_puts(&sb, tail);
	}
	return -1;
}

/* ---------------------------------------------------------------- immediates */

/* Rotate the low size bits of v right by r. */
static uint64_t ror(uint64_t v, int r, int size)
{
	uint64_t mask = size == 64 ? ~0ull : (1ull << size) - 1;
	v &= mask;
	if (r == 0)
		return v;
	return ((v >> r) | (v << (size - r))) & mask;
}

/*
 * The N:immr:imms fields of a logical (bitmask) immediate: a pattern of
 * element size 2..64 bits, repeated, each element a rotated run of ones.
 * Returns false if imm (taken at width bits) has no such form (0, all ones,
 * or not a repeated rotated run).
 */
static bool bitmask_imm(uint64_t imm, int width, uint32_t *fields)
{
	if (width == 32) {
		imm &= 0xffffffffu;
		imm |= imm << 32;
	}
	if (imm == 0 || imm == ~0ull)
		return false;
	/* The smallest element that repeats to make imm. */
	int size = 64;
	while (size > 2) {
		int half = size / 2;
		uint64_t mask = (1ull << half) - 1;
		if ((imm & mask) != ((imm >> half) & mask))
			break;
		size = half;
	}
	uint64_t elem = imm & (size == 64 ? ~0ull : (1ull << size) - 1);
	int ones = 0;
	for (int i = 0; i < size; i++)
		ones += (int)((elem >> i) & 1);
	uint64_t run = (1ull << ones) - 1; /* ones < size <= 64 */
	for (int r = 0; r < size; r++) {
		if (ror(run, r, size) != elem)
			continue;
		uint32_t n = size == 64;
		uint32_t imms = ((~(uint32_t)(size - 1) << 1) & 0x3f) | (uint32_t)(ones - 1);
		*fields = n << 22 | (uint32_t)r << 16 | imms << 10;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- MOV */

/* MOV Rd,#imm as GNU as picks it: MOVZ, else MOVN, else ORR with a bitmask;
 * failing all three, MOVZ then MOVK per further non-zero halfword. */
static int enc_mov_imm(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	int width = in->rd.width;
	uint64_t v = (uint64_t)in->imm;
	if (width == 32) {
		if (in->imm < INT32_MIN || in->imm > (int64_t)UINT32_MAX)
			return enc_fail(in, err, "immediate ", in->imm,
					" does not fit in a W register");
		v &= 0xffffffffu;
	}
	uint64_t mask = width == 64 ? ~0ull : 0xffffffffull;
	int chunks = width / 16;
	uint32_t sf = SF(in->rd);

	for (int hw = 0; hw < chunks; hw++) /* MOVZ: one halfword */
		if ((v & ~(0xffffull << (16 * hw))) == 0) {
			out[0] = A64_MOVZ | sf | (uint32_t)hw << 21 |
				 (uint32_t)((v >> (16 * hw)) & 0xffff) << 5 | RD(in->rd);
			return 1;
		}
	uint64_t nv = ~v & mask;
	for (int hw = 0; hw < chunks; hw++) /* MOVN: the complement is one halfword */
		if ((nv & ~(0xffffull << (16 * hw))) == 0) {
			out[0] = A64_MOVN | sf | (uint32_t)hw << 21 |
				 (uint32_t)((nv >> (16 * hw)) & 0xffff) << 5 | RD(in->rd);
			return 1;
		}
	uint32_t fields;
	if (bitmask_imm(v, width, &fields)) {
		if (in->rd.num == LITMUS_ZR)
			return enc_fail(in, err, "MOV to XZR/WZR of this immediate has no encoding",
					0, NULL);
		out[0] = A64_ORR_IMM | sf | fields | 31u << 5 | RD(in->rd);
		return 1;
	}
	int n = 0;
	for (int hw = 0; hw < chunks; hw++) {
		uint32_t half = (uint32_t)((v >> (16 * hw)) & 0xffff);
		if (half == 0)
			continue;
		out[n] = (n == 0 ? A64_MOVZ : A64_MOVK) | sf | (uint32_t)hw << 21 | half << 5 |
			 RD(in->rd);
		n++;
	}
	return n;
}

static int enc_mov(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	if (in->src == LITMUS_SRC_IMM)
		return enc_mov_imm(in, out, err);
	/* MOV Rd,Rm is ORR Rd,ZR,Rm. */
	out[0] = A64_ORR_REG | SF(in->rd) | RM(in->rm) | 31u << 5 | RD(in->rd);
	return 1;
}

/* ---------------------------------------------------------------- ALU */

/* ADD/SUB/CMP with an immediate: the 12-bit field, shifted by 12 if needed;
 * a negative immediate flips the operation (ADD -> SUB, CMP -> CMN). */
static int enc_addsub_imm(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	bool cmp = in->op == LITMUS_CMP;
	bool sub = in->op == LITMUS_SUB || cmp; /* CMP is SUBS */
	int64_t v = in->imm;
	if (v < 0 && v > -(1ll << 24)) {
		v = -v;
		sub = !sub;
	}
	uint32_t sh = 0;
	if (in->shift == 12) {
		sh = 1;
	} else if (v > 0xfff && (v & 0xfff) == 0) {
		sh = 1; /* as GNU as: #4096 becomes #1, LSL #12 */
		v >>= 12;
	}
	if (v < 0 || v > 0xfff)
		return enc_fail(in, err, "immediate ", in->imm,
				" out of range (0..4095, optionally LSL #12)");
	uint32_t base;
	if (cmp)
		base = sub ? A64_SUBS_IMM : A64_ADDS_IMM; /* CMP = SUBS ZR; CMN = ADDS ZR */
	else
		base = sub ? A64_SUB_IMM : A64_ADD_IMM;
	struct litmus_reg rd = cmp ? (struct litmus_reg){LITMUS_ZR, in->rn.width} : in->rd;
	if ((!cmp && rd.num == LITMUS_ZR) || in->rn.num == LITMUS_ZR)
		return enc_fail(in, err, "XZR/WZR here would mean SP", 0, NULL);
	out[0] = base | SF(in->rn) | sh << 22 | (uint32_t)v << 10 | RN(in->rn) | RD(rd);
	return 1;
}

static int enc_logic_imm(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	uint32_t fields;
	int width = in->rd.width;
	if (width == 32 && (in->imm < INT32_MIN || in->imm > (int64_t)UINT32_MAX))
		return enc_fail(in, err, "immediate ", in->imm, " does not fit in a W register");
	if (!bitmask_imm((uint64_t)in->imm, width, &fields)) {
		enc_fail(in, err, "immediate ", in->imm, " (");
		struct strbuf sb = {err->msg, sizeof err->msg, strlen(err->msg)};
		sb_puthex(&sb, width == 32 ? (uint32_t)in->imm : (uint64_t)in->imm);
		sb_puts(&sb, ") has no logical-immediate (bitmask) encoding");
		return -1;
	}
	if (in->rd.num == LITMUS_ZR)
		return enc_fail(in, err, "XZR/WZR as destination would mean SP", 0, NULL);
	uint32_t base = in->op == LITMUS_AND   ? A64_AND_IMM
			: in->op == LITMUS_ORR ? A64_ORR_IMM
					       : A64_EOR_IMM;
	out[0] = base | SF(in->rd) | fields | RN(in->rn) | RD(in->rd);
	return 1;
}

/* ADD, SUB, EOR, AND, ORR, CMP with a (shifted) register. */
static int enc_alu_reg(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	uint32_t base;
	struct litmus_reg rd = in->rd;
	switch (in->op) {
	case LITMUS_ADD:
		base = A64_ADD_REG;
		break;
	case LITMUS_SUB:
		base = A64_SUB_REG;
		break;
	case LITMUS_CMP:
		base = A64_SUBS_REG;
		rd = (struct litmus_reg){LITMUS_ZR, in->rn.width};
		break;
	case LITMUS_AND:
		base = A64_AND_REG;
		break;
	case LITMUS_ORR:
		base = A64_ORR_REG;
		break;
	default:
		base = A64_EOR_REG;
		break;
	}
	if (in->shift >= in->rn.width)
		return enc_fail(in, err, "shift amount ", in->shift, " out of range");
	out[0] = base | SF(in->rn) | (uint32_t)in->shift_type << 22 | RM(in->rm) |
		 (uint32_t)in->shift << 10 | RN(in->rn) | RD(rd);
	return 1;
}

static int enc_alu(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	if (in->src == LITMUS_SRC_REG)
		return enc_alu_reg(in, out, err);
	if (in->op == LITMUS_ADD || in->op == LITMUS_SUB || in->op == LITMUS_CMP)
		return enc_addsub_imm(in, out, err);
	return enc_logic_imm(in, out, err);
}

/* ---------------------------------------------------------------- loads and stores */

static int enc_ldr_str(const struct litmus_insn *in, uint32_t *out, struct litmus_error *err)
{
	bool load = in->op == LITMUS_LDR;
	int scale = in->rd.width == 64 ? 3 : 2;
	uint32_t size = SIZE(in->rd);
	if (in->addr == LITMUS_ADDR_BASE || in->addr == LITMUS_ADDR_IMM) {
		int64_t off = in->addr == LITMUS_ADDR_IMM ? in->imm : 0;
		/* The scaled unsigned offset when it fits, else the unscaled
		 * signed one (LDUR/STUR), as GNU as does. */
		if (off >= 0 && (off & ((1 << scale) - 1)) == 0 && (off >> scale) <= 0xfff) {
			out[0] = (load ? A64_LDR_UIMM : A64_STR_UIMM) | size |
				 (uint32_t)(off >> scale) << 10 | RN(in->rn) | RT(in->rd);
			return 1;
		}
		if (off >= -256 && off <= 255) {
			out[0] = (load ? A64_LDUR : A64_STUR) | size |
				 ((uint32_t)off & 0x1ff) << 12 | RN(in->rn) | RT(in->rd);
			return 1;
		}
		return enc_fail(in, err, "offset ", off,
				" out of range (-256..255, or a multiple of the access size "
				"up to 4095 times it)");
	}
	uint32_t option = in->addr == LITMUS_ADDR_REG	 ? OPT_LSL
			  : in->addr == LITMUS_ADDR_SXTW ? OPT_SXTW
							 : OPT_UXTW;
	uint32_t s = 0;
	if (in->shift == scale)
		s = LDST_REG_S;
	else if (in->shift != 0)
		return enc_fail(in, err, "index shift #", in->shift,
				" must be #0 or the size's log2");
	out[0] = (load ? A64_LDR_REG : A64_STR_REG) | size | RM(in->rm) | option << 13 | s |
		 RN(in->rn) | RT(in->rd);
	return 1;
}

/* LDAR, LDAPR, STLR, LDXR, LDAXR, STXR, STLXR: [Xn] only. */
static int enc_ordered(const struct litmus_insn *in, uint32_t *out)
{
	uint32_t base;
	switch (in->op) {
	case LITMUS_LDAR:
		base = A64_LDAR;
		break;
	case LITMUS_STLR:
		base = A64_STLR;
		break;
	case LITMUS_LDAPR:
		base = A64_LDAPR;
		break;
	case LITMUS_LDXR:
		base = A64_LDXR;
		break;
	case LITMUS_LDAXR:
		base = A64_LDAXR;
		break;
	case LITMUS_STXR:
		base = A64_STXR | RS(in->rs);
		break;
	default:
		base = A64_STLXR | RS(in->rs);
		break;
	}
	out[0] = base | SIZE(in->rd) | RN(in->rn) | RT(in->rd);
	return 1;
}

/* SWP, LDADD, STADD, CAS and their A/L/AL forms. */
static int enc_atomic(const struct litmus_insn *in, uint32_t *out)
{
	unsigned f = litmus_op_flags(in->op);
	bool acq = f & LITMUS_F_ACQ, rel = f & LITMUS_F_REL;
	uint32_t w;
	switch (in->op) {
	case LITMUS_CAS:
	case LITMUS_CASA:
	case LITMUS_CASL:
	case LITMUS_CASAL:
		w = A64_CAS | (acq ? CAS_ACQ : 0) | (rel ? CAS_REL : 0);
		break;
	case LITMUS_SWP:
	case LITMUS_SWPA:
	case LITMUS_SWPL:
	case LITMUS_SWPAL:
		w = A64_SWP | (acq ? LSE_A : 0) | (rel ? LSE_R : 0);
		break;
	default: /* LDADD*, STADD* (rd = ZR) */
		w = A64_LDADD | (acq ? LSE_A : 0) | (rel ? LSE_R : 0);
		break;
	}
	out[0] = w | SIZE(in->rs) | RS(in->rs) | RN(in->rn) | RT(in->rd);
	return 1;
}

/* ---------------------------------------------------------------- branches */

static int enc_branch(const struct litmus_insn *in, int32_t offset, uint32_t *out,
		      struct litmus_error *err)
{
	if (in->op == LITMUS_B) {
		if (offset < -(1 << 25) || offset >= (1 << 25))
			return enc_fail(in, err, "branch offset ", offset, " out of range");
		out[0] = A64_B | ((uint32_t)offset & 0x3ffffff);
		return 1;
	}
	if (offset < -(1 << 18) || offset >= (1 << 18))
		return enc_fail(in, err, "branch offset ", offset, " out of range");
	uint32_t imm19 = ((uint32_t)offset & 0x7ffff) << 5;
	switch (in->op) {
	case LITMUS_CBZ:
		out[0] = A64_CBZ | SF(in->rd) | imm19 | RT(in->rd);
		break;
	case LITMUS_CBNZ:
		out[0] = A64_CBNZ | SF(in->rd) | imm19 | RT(in->rd);
		break;
	default:
		out[0] = A64_BCOND | imm19 | in->cond;
		break;
	}
	return 1;
}

/* ---------------------------------------------------------------- entry points */

/* The checks every encoder relies on, whoever built the instruction. */
static int check_operands(const struct litmus_insn *in, struct litmus_error *err)
{
	const struct litmus_reg *regs[] = {&in->rd, &in->rn, &in->rm, &in->rs};
	for (int i = 0; i < 4; i++)
		if (regs[i]->num > LITMUS_ZR ||
		    (regs[i]->width != 0 && regs[i]->width != 32 && regs[i]->width != 64))
			return enc_fail(in, err, "bad register operand", 0, NULL);
	unsigned f = litmus_op_flags(in->op);
	if ((f & (LITMUS_F_LOAD | LITMUS_F_STORE)) &&
	    (in->rn.width != 64 || in->rn.num == LITMUS_ZR))
		return enc_fail(in, err, "the base register must be X0..X30", 0, NULL);
	return 0;
}

int litmus_encode_insn(const struct litmus_insn *in, int32_t offset, uint32_t *out,
		       struct litmus_error *err)
{
	if (in->op >= LITMUS_NOPS)
		return enc_fail(in, err, "unknown operation", 0, NULL);
	if (check_operands(in, err) < 0)
		return -1;
	switch (in->op) {
	case LITMUS_NOP:
		out[0] = A64_NOP;
		return 1;
	case LITMUS_ISB:
		out[0] = A64_ISB;
		return 1;
	case LITMUS_DMB:
	case LITMUS_DSB:
		if (in->barrier == 0 || in->barrier > 15 || (in->barrier & 3) == 0)
			return enc_fail(in, err, "bad barrier option ", in->barrier, "");
		out[0] = (in->op == LITMUS_DMB ? A64_DMB : A64_DSB) | (uint32_t)in->barrier << 8;
		return 1;
	case LITMUS_MOV:
		return enc_mov(in, out, err);
	case LITMUS_ADD:
	case LITMUS_SUB:
	case LITMUS_EOR:
	case LITMUS_AND:
	case LITMUS_ORR:
	case LITMUS_CMP:
		return enc_alu(in, out, err);
	case LITMUS_CSEL:
		out[0] = A64_CSEL | SF(in->rd) | RM(in->rm) | (uint32_t)(in->cond & 15) << 12 |
			 RN(in->rn) | RD(in->rd);
		return 1;
	case LITMUS_LDR:
	case LITMUS_STR:
		return enc_ldr_str(in, out, err);
	case LITMUS_LDAR:
	case LITMUS_LDAPR:
	case LITMUS_STLR:
	case LITMUS_LDXR:
	case LITMUS_LDAXR:
	case LITMUS_STXR:
	case LITMUS_STLXR:
		return enc_ordered(in, out);
	case LITMUS_CBZ:
	case LITMUS_CBNZ:
	case LITMUS_B:
	case LITMUS_BCOND:
		return enc_branch(in, offset, out, err);
	default:
		return enc_atomic(in, out);
	}
}

int litmus_insn_words(const struct litmus_insn *in, struct litmus_error *err)
{
	uint32_t scratch[LITMUS_MAX_INSN_WORDS];
	return litmus_encode_insn(in, 0, scratch, err);
}

int litmus_encode_thread(const struct litmus_thread *th, uint32_t *buf, int cap, int *word_of,
			 struct litmus_error *err)
{
	int start[LITMUS_MAX_INSNS + 1];
	if (th->ninsns < 0 || th->ninsns > LITMUS_MAX_INSNS) {
		err->line = err->col = 0;
		strcpy(err->msg, "bad instruction count");
		return -1;
	}
	/* Pass 1: where each instruction starts (sizes never depend on
	 * branch offsets). */
	int n = 0;
	for (int i = 0; i < th->ninsns; i++) {
		start[i] = n;
		int k = litmus_insn_words(&th->insn[i], err);
		if (k < 0)
			return -1;
		n += k;
	}
	start[th->ninsns] = n;
	if (n > cap) {
		err->line = err->col = 0;
		strcpy(err->msg, "code buffer too small for the thread");
		return -1;
	}
	/* Pass 2: encode, branches now knowing their distance. */
	for (int i = 0; i < th->ninsns; i++) {
		const struct litmus_insn *in = &th->insn[i];
		int32_t offset = 0;
		if (litmus_op_flags(in->op) & LITMUS_F_BRANCH) {
			if (in->target < 0 || in->target > th->ninsns)
				return enc_fail(in, err, "unresolved branch target", 0, NULL);
			offset = start[in->target] - start[i];
		}
		if (litmus_encode_insn(in, offset, buf + start[i], err) < 0)
			return -1;
	}
	if (word_of)
		for (int i = 0; i <= th->ninsns; i++)
			word_of[i] = start[i];
	return n;
}
