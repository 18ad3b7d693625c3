/*
 * litmus.c — questions about a parsed test that the parser, the encoder, the
 * model and the runner all ask: what an op does, which registers an
 * instruction reads and writes, how to print it, whether a final state
 * satisfies the condition.  See litmus.h.
 */
#include "kernel/litmus/litmus.h"
#include "kernel/litmus/strbuf.h"

#include <string.h>

struct op_info {
	const char *name;
	unsigned flags;
};

#define LD  LITMUS_F_LOAD
#define ST  LITMUS_F_STORE
#define ACQ LITMUS_F_ACQ
#define REL LITMUS_F_REL
#define RMW (LITMUS_F_LOAD | LITMUS_F_STORE | LITMUS_F_RMW | LITMUS_F_LSE)

static const struct op_info ops[LITMUS_NOPS] = {
    [LITMUS_NOP] = {"NOP", 0},
    [LITMUS_MOV] = {"MOV", 0},
    [LITMUS_LDR] = {"LDR", LD},
    [LITMUS_STR] = {"STR", ST},
    [LITMUS_LDAR] = {"LDAR", LD | ACQ},
    [LITMUS_LDAPR] = {"LDAPR", LD | LITMUS_F_ACQPC | LITMUS_F_RCPC},
    [LITMUS_STLR] = {"STLR", ST | REL},
    [LITMUS_LDXR] = {"LDXR", LD | LITMUS_F_EXCL},
    [LITMUS_LDAXR] = {"LDAXR", LD | ACQ | LITMUS_F_EXCL},
    [LITMUS_STXR] = {"STXR", ST | LITMUS_F_EXCL},
    [LITMUS_STLXR] = {"STLXR", ST | REL | LITMUS_F_EXCL},
    [LITMUS_SWP] = {"SWP", RMW},
    [LITMUS_SWPA] = {"SWPA", RMW | ACQ},
    [LITMUS_SWPL] = {"SWPL", RMW | REL},
    [LITMUS_SWPAL] = {"SWPAL", RMW | ACQ | REL},
    [LITMUS_CAS] = {"CAS", RMW},
    [LITMUS_CASA] = {"CASA", RMW | ACQ},
    [LITMUS_CASL] = {"CASL", RMW | REL},
    [LITMUS_CASAL] = {"CASAL", RMW | ACQ | REL},
    [LITMUS_LDADD] = {"LDADD", RMW},
    [LITMUS_LDADDA] = {"LDADDA", RMW | ACQ},
    [LITMUS_LDADDL] = {"LDADDL", RMW | REL},
    [LITMUS_LDADDAL] = {"LDADDAL", RMW | ACQ | REL},
    [LITMUS_STADD] = {"STADD", RMW},
    [LITMUS_STADDL] = {"STADDL", RMW | REL},
    [LITMUS_DMB] = {"DMB", LITMUS_F_BARRIER},
    [LITMUS_DSB] = {"DSB", LITMUS_F_BARRIER},
    [LITMUS_ISB] = {"ISB", LITMUS_F_BARRIER},
    [LITMUS_ADD] = {"ADD", 0},
    [LITMUS_SUB] = {"SUB", 0},
    [LITMUS_EOR] = {"EOR", 0},
    [LITMUS_AND] = {"AND", 0},
    [LITMUS_ORR] = {"ORR", 0},
    [LITMUS_CMP] = {"CMP", LITMUS_F_SETFLAGS},
    [LITMUS_CSEL] = {"CSEL", LITMUS_F_USEFLAGS},
    [LITMUS_CBZ] = {"CBZ", LITMUS_F_BRANCH},
    [LITMUS_CBNZ] = {"CBNZ", LITMUS_F_BRANCH},
    [LITMUS_B] = {"B", LITMUS_F_BRANCH},
    [LITMUS_BCOND] = {"B", LITMUS_F_BRANCH | LITMUS_F_USEFLAGS},
};

unsigned litmus_op_flags(int op)
{
	return op >= 0 && op < LITMUS_NOPS ? ops[op].flags : 0;
}

const char *litmus_op_name(int op)
{
	return op >= 0 && op < LITMUS_NOPS && ops[op].name ? ops[op].name : "?";
}

const char *litmus_barrier_name(int barrier)
{
	static const char *const names[16] = {
	    [LITMUS_BAR_OSHLD] = "OSHLD", [LITMUS_BAR_OSHST] = "OSHST", [LITMUS_BAR_OSH] = "OSH",
	    [LITMUS_BAR_NSHLD] = "NSHLD", [LITMUS_BAR_NSHST] = "NSHST", [LITMUS_BAR_NSH] = "NSH",
	    [LITMUS_BAR_ISHLD] = "ISHLD", [LITMUS_BAR_ISHST] = "ISHST", [LITMUS_BAR_ISH] = "ISH",
	    [LITMUS_BAR_LD] = "LD",	  [LITMUS_BAR_ST] = "ST",	[LITMUS_BAR_SY] = "SY",
	};
	return barrier >= 0 && barrier < 16 && names[barrier] ? names[barrier] : "?";
}

const char *litmus_cc_name(int cc)
{
	static const char *const names[16] = {"EQ", "NE", "CS", "CC", "MI", "PL", "VS", "VC",
					      "HI", "LS", "GE", "LT", "GT", "LE", "AL", "NV"};
	return cc >= 0 && cc < 16 ? names[cc] : "?";
}

/* ---------------------------------------------------------------- printing */

static void put_reg(struct strbuf *sb, struct litmus_reg r)
{
	sb_putc(sb, r.width == 32 ? 'W' : 'X');
	if (r.num == LITMUS_ZR)
		sb_puts(sb, "ZR");
	else
		sb_putu(sb, r.num);
}

static void put_imm(struct strbuf *sb, int64_t v)
{
	sb_putc(sb, '#');
	sb_puti(sb, v);
}

static void put_addr(struct strbuf *sb, const struct litmus_insn *in)
{
	static const char *const shifts[] = {"LSL", "LSR", "ASR"};
	sb_putc(sb, '[');
	put_reg(sb, in->rn);
	switch (in->addr) {
	case LITMUS_ADDR_IMM:
		sb_putc(sb, ',');
		put_imm(sb, in->imm);
		break;
	case LITMUS_ADDR_REG:
	case LITMUS_ADDR_SXTW:
	case LITMUS_ADDR_UXTW:
		sb_putc(sb, ',');
		put_reg(sb, in->rm);
		if (in->addr == LITMUS_ADDR_REG && in->shift) {
			sb_puts(sb, ",");
			sb_puts(sb, shifts[0]);
			sb_puts(sb, " #");
			sb_putu(sb, in->shift);
		} else if (in->addr != LITMUS_ADDR_REG) {
			sb_puts(sb, in->addr == LITMUS_ADDR_SXTW ? ",SXTW" : ",UXTW");
			if (in->shift) {
				sb_puts(sb, " #");
				sb_putu(sb, in->shift);
			}
		}
		break;
	}
	sb_putc(sb, ']');
}

static void put_src(struct strbuf *sb, const struct litmus_insn *in)
{
	static const char *const shifts[] = {"LSL", "LSR", "ASR"};
	if (in->src == LITMUS_SRC_IMM)
		put_imm(sb, in->imm);
	else
		put_reg(sb, in->rm);
	if (in->shift) {
		sb_putc(sb, ',');
		sb_puts(sb, shifts[in->shift_type < 3 ? in->shift_type : 0]);
		sb_puts(sb, " #");
		sb_putu(sb, in->shift);
	}
}

static void put_target(struct strbuf *sb, const struct litmus_thread *th,
		       const struct litmus_insn *in)
{
	if (th && in->label >= 0 && in->label < th->nlabels)
		sb_puts(sb, th->label[in->label].name);
	else
		sb_puts(sb, "?");
}

/*
 * An instruction's operands in the order it is written, one letter each:
 * d rd, n rn, m rm, s rs, a the address, v the source (a register or an
 * immediate, with its shift), c the condition, t the branch target, o the
 * barrier option.
 */
static const char *operand_layout(const struct litmus_insn *in)
{
	switch (in->op) {
	case LITMUS_NOP:
	case LITMUS_ISB:
		return "";
	case LITMUS_DMB:
	case LITMUS_DSB:
		return "o";
	case LITMUS_MOV:
		return "dv";
	case LITMUS_ADD:
	case LITMUS_SUB:
	case LITMUS_EOR:
	case LITMUS_AND:
	case LITMUS_ORR:
		return "dnv";
	case LITMUS_CMP:
		return "nv";
	case LITMUS_CSEL:
		return "dnmc";
	case LITMUS_STXR:
	case LITMUS_STLXR:
		return "sda";
	case LITMUS_STADD:
	case LITMUS_STADDL:
		return "sa";
	case LITMUS_CBZ:
	case LITMUS_CBNZ:
		return "dt";
	case LITMUS_B:
	case LITMUS_BCOND: /* its condition is part of the mnemonic: B.EQ */
		return "t";
	default: /* loads and stores; SWP, CAS, LDADD take Rs first */
		return litmus_op_flags(in->op) & LITMUS_F_RMW ? "sda" : "da";
	}
}

static void put_operand(struct strbuf *sb, char kind, const struct litmus_thread *th,
			const struct litmus_insn *in)
{
	switch (kind) {
	case 'd':
		put_reg(sb, in->rd);
		break;
	case 'n':
		put_reg(sb, in->rn);
		break;
	case 'm':
		put_reg(sb, in->rm);
		break;
	case 's':
		put_reg(sb, in->rs);
		break;
	case 'a':
		put_addr(sb, in);
		break;
	case 'v':
		put_src(sb, in);
		break;
	case 'c':
		sb_puts(sb, litmus_cc_name(in->cond));
		break;
	case 't':
		put_target(sb, th, in);
		break;
	case 'o':
		sb_puts(sb, litmus_barrier_name(in->barrier));
		break;
	}
}

size_t litmus_format_insn(const struct litmus_thread *th, const struct litmus_insn *in, char *buf,
			  size_t size)
{
	struct strbuf sb;
	sb_init(&sb, buf, size);
	sb_puts(&sb, litmus_op_name(in->op));
	if (in->op == LITMUS_BCOND) {
		sb_putc(&sb, '.');
		sb_puts(&sb, litmus_cc_name(in->cond));
	}
	const char *layout = operand_layout(in);
	for (int i = 0; layout[i]; i++) {
		sb_putc(&sb, i ? ',' : ' ');
		put_operand(&sb, layout[i], th, in);
	}
	return sb.len;
}

/* ---------------------------------------------------------------- data flow */

static uint32_t bit(struct litmus_reg r)
{
	return r.width && r.num != LITMUS_ZR ? 1u << r.num : 0;
}

void litmus_insn_regs(const struct litmus_insn *in, uint32_t *reads, uint32_t *writes)
{
	uint32_t r = 0, w = 0;
	unsigned flags = litmus_op_flags(in->op);
	switch (in->op) {
	case LITMUS_MOV:
		w = bit(in->rd);
		if (in->src == LITMUS_SRC_REG)
			r = bit(in->rm);
		break;
	case LITMUS_ADD:
	case LITMUS_SUB:
	case LITMUS_EOR:
	case LITMUS_AND:
	case LITMUS_ORR:
		w = bit(in->rd);
		r = bit(in->rn) | (in->src == LITMUS_SRC_REG ? bit(in->rm) : 0);
		break;
	case LITMUS_CMP:
		r = bit(in->rn) | (in->src == LITMUS_SRC_REG ? bit(in->rm) : 0);
		break;
	case LITMUS_CSEL:
		w = bit(in->rd);
		r = bit(in->rn) | bit(in->rm);
		break;
	case LITMUS_CBZ:
	case LITMUS_CBNZ:
		r = bit(in->rd);
		break;
	case LITMUS_LDR:
	case LITMUS_LDAR:
	case LITMUS_LDAPR:
	case LITMUS_LDXR:
	case LITMUS_LDAXR:
		w = bit(in->rd);
		r = bit(in->rn) | bit(in->rm);
		break;
	case LITMUS_STR:
	case LITMUS_STLR:
		r = bit(in->rd) | bit(in->rn) | bit(in->rm);
		break;
	case LITMUS_STXR:
	case LITMUS_STLXR:
		w = bit(in->rs);
		r = bit(in->rd) | bit(in->rn);
		break;
	case LITMUS_CAS:
	case LITMUS_CASA:
	case LITMUS_CASL:
	case LITMUS_CASAL:
		w = bit(in->rs); /* the old value */
		r = bit(in->rs) | bit(in->rd) | bit(in->rn);
		break;
	default:
		if (flags & LITMUS_F_RMW) { /* SWP, LDADD, STADD */
			w = bit(in->rd);
			r = bit(in->rs) | bit(in->rn);
		}
		break;
	}
	if (flags & LITMUS_F_SETFLAGS)
		w |= 1u << LITMUS_FLAGS_BIT;
	if (flags & LITMUS_F_USEFLAGS)
		r |= 1u << LITMUS_FLAGS_BIT;
	*reads = r;
	*writes = w;
}

/* ---------------------------------------------------------------- final states */

int litmus_find_loc(const struct litmus_test *t, const char *name)
{
	for (int i = 0; i < t->nlocs; i++)
		if (strcmp(t->loc[i].name, name) == 0)
			return i;
	return -1;
}

int litmus_loc_width(const struct litmus_test *t, int loc)
{
	int type = t->loc[loc].type;
	return type == LITMUS_TYPE_INT32 || type == LITMUS_TYPE_UINT32 ? 32 : 64;
}

bool litmus_value_matches(const struct litmus_test *t, const struct litmus_place *p, uint64_t v,
			  const struct litmus_value *want, const uint64_t *loc_addr)
{
	if (want->kind == LITMUS_VAL_ADDR)
		return loc_addr && v == loc_addr[want->loc];
	uint64_t w = (uint64_t)want->num;
	if (p->kind == LITMUS_PLACE_LOC && litmus_loc_width(t, p->loc) == 32)
		return (uint32_t)v == (uint32_t)w;
	return v == w;
}

static int place_index(const struct litmus_test *t, const struct litmus_place *p)
{
	for (int i = 0; i < t->nobserved; i++) {
		const struct litmus_place *o = &t->observed[i];
		if (o->kind != p->kind)
			continue;
		if (p->kind == LITMUS_PLACE_REG ? o->thread == p->thread && o->reg == p->reg
						: o->loc == p->loc)
			return i;
	}
	return -1;
}

static bool eval(const struct litmus_test *t, int n, const uint64_t *values,
		 const uint64_t *loc_addr, int depth)
{
	if (n < 0 || n >= t->cond.nnodes || depth > LITMUS_MAX_COND)
		return false;
	const struct litmus_cond_node *node = &t->cond.node[n];
	switch (node->kind) {
	case LITMUS_COND_TRUE:
		return true;
	case LITMUS_COND_NOT:
		return !eval(t, node->a, values, loc_addr, depth + 1);
	case LITMUS_COND_AND:
		return eval(t, node->a, values, loc_addr, depth + 1) &&
		       eval(t, node->b, values, loc_addr, depth + 1);
	case LITMUS_COND_OR:
		return eval(t, node->a, values, loc_addr, depth + 1) ||
		       eval(t, node->b, values, loc_addr, depth + 1);
	case LITMUS_COND_ATOM: {
		int i = place_index(t, &node->place);
		return i >= 0 &&
		       litmus_value_matches(t, &node->place, values[i], &node->value, loc_addr);
	}
	default:
		return false;
	}
}

bool litmus_cond_holds(const struct litmus_test *t, const uint64_t *values,
		       const uint64_t *loc_addr)
{
	return eval(t, t->cond.root, values, loc_addr, 0);
}
