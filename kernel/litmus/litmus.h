/*
 * litmus.h — a herd AArch64 litmus test, parsed: the representation shared by
 * the parser (parse.c), the encoder (encode.c), the ARMv8 model and the
 * in-kernel runner.
 *
 * Portable C: built into the kernel (freestanding, no malloc: every array here
 * is bounded, and the parser says "too many X (limit N)" when a test needs
 * more) and on the host (tests, tools/litmus-model).  A struct litmus_test is
 * self-contained: it holds no pointer into the source text, so it may be
 * copied with memcpy and outlive the buffer it was parsed from.  It is large
 * (tens of KiB): keep it static or on the heap, never on a kernel stack.
 *
 * A test, as herd writes it (see tests/litmus/ for the project's own):
 *
 *   AArch64 MP                        the architecture and the test's name
 *   "PodWW Rfe PodRR Fre"             optional doc string         -> doc
 *   Cycle=Rfe PodRR Fre PodWW         KEY=VALUE metadata lines     -> meta[]
 *   { 0:X1=x; 0:X3=y; 1:X1=y; ... }   initial state                -> loc[], thread[].init[]
 *    P0          | P1          ;      code: one column per thread  -> thread[].insn[]
 *    MOV W0,#1   | LDR W0,[X1] ;
 *    ...
 *   locations [x; 1:X5;]              optional extra observations  -> locations[]
 *   exists (1:X0=1 /\ 1:X2=0)         the final condition          -> cond
 *
 * Locations (memory cells) are named symbols.  Every symbol the test mentions
 * (in the init block, as a register's initial value, or in the condition)
 * becomes a struct litmus_location, indexed in order of first appearance.
 * A location's initial value is a number (x=1, [x]=1; 0 when not given) or
 * the address of another location (p=x: message passing through a pointer).
 * A register's initial value is likewise a number or a location's address
 * (0:X1=x); registers the init block does not name start at 0.
 *
 * Instructions keep their operands by role (see struct litmus_insn): which of
 * rd/rn/rm/rs an op uses is listed at enum litmus_op.  Branch targets are
 * resolved to instruction indexes within the thread, so consumers never look
 * at label names (kept only for printing).
 *
 * Values: numbers are int64_t as written (herd's are 64-bit signed); a W
 * register or a 32-bit location compares on its low 32 bits (see
 * litmus_value_matches).  Addresses are symbolic (LITMUS_VAL_ADDR + location
 * index): the runner substitutes real addresses, the model its own tokens.
 */
#ifndef LITMUS_H
#define LITMUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits.  The parser reports a test that exceeds one, naming the limit. */
#define LITMUS_MAX_THREADS  8 /* QEMU virt -smp 8; a Pi has 4 cores */
#define LITMUS_MAX_INSNS    64 /* per thread, labels not counted */
#define LITMUS_MAX_LABELS   16 /* per thread */
#define LITMUS_MAX_LOCS	    16 /* memory locations (x, y, ...) */
#define LITMUS_MAX_COND	    64 /* nodes in the final condition's tree */
#define LITMUS_MAX_OBSERVED 32 /* registers and locations a final state shows */
#define LITMUS_MAX_META	    16 /* KEY=VALUE lines kept (more are dropped) */
#define LITMUS_NAME_MAX	    96 /* test name, with its NUL */
#define LITMUS_SYM_MAX	    24 /* location and label names, with their NUL */
#define LITMUS_DOC_MAX	    128 /* doc string and metadata values (longer: cut) */
#define LITMUS_KEY_MAX	    24 /* metadata keys */
#define LITMUS_NREGS	    31 /* X0..X30 */
#define LITMUS_ZR	    31 /* register number of XZR/WZR */
#define LITMUS_ERR_MAX	    160

/* ---------------------------------------------------------------- values */

enum litmus_value_kind {
	LITMUS_VAL_INT, /* num */
	LITMUS_VAL_ADDR, /* the address of location loc */
};

struct litmus_value {
	uint8_t kind; /* enum litmus_value_kind */
	int16_t loc; /* LITMUS_VAL_ADDR: index into test->loc[] */
	int64_t num; /* LITMUS_VAL_INT */
};

/* Declared types (int64_t x; uint64_t 1:X4;).  8- and 16-bit types are
 * refused: mixed-size accesses are outside what the runner supports. */
enum litmus_type {
	LITMUS_TYPE_NONE, /* not declared: herd's default (int, but X accesses are 64-bit) */
	LITMUS_TYPE_INT32,
	LITMUS_TYPE_UINT32,
	LITMUS_TYPE_INT64,
	LITMUS_TYPE_UINT64,
	LITMUS_TYPE_PTR, /* intptr_t, uintptr_t, or any type ending in '*' */
};

/* ---------------------------------------------------------------- init state */

struct litmus_location {
	char name[LITMUS_SYM_MAX];
	uint8_t type; /* enum litmus_type */
	bool set; /* the init block gave a value */
	struct litmus_value init; /* initial value (INT 0 when not set) */
};

struct litmus_reginit {
	bool set; /* named in the init block */
	uint8_t type; /* enum litmus_type */
	struct litmus_value value; /* initial value (INT 0 when not set) */
};

/* ---------------------------------------------------------------- instructions */

/*
 * Operand roles per op (rd = Rd or Rt in the Arm ARM; "src" = the second
 * operand, register rm or immediate imm, see insn->src):
 *   NOP, ISB                    -
 *   DMB, DSB                    barrier
 *   MOV                         rd <- src
 *   ADD SUB EOR AND ORR         rd <- rn OP src   (src reg may be shifted: shift_type, shift)
 *   CMP                         flags <- rn - src
 *   CSEL                        rd <- cond ? rn : rm
 *   LDR, STR                    rd = Rt, address mode addr (rn, imm, rm, shift)
 *   LDAR LDAPR STLR LDXR LDAXR  rd = Rt, [rn]
 *   STXR STLXR                  rs = status Ws, rd = Rt, [rn]
 *   SWP*                        rs = value stored, rd = old value loaded, [rn]
 *   CAS*                        rs = compare value, overwritten with the old
 *                               value; rd = new value, [rn]
 *   LDADD*                      rs = addend, rd = old value, [rn]
 *   STADD*                      rs = addend, [rn] (LDADD with rd = ZR)
 *   CBZ, CBNZ                   rd tested, target
 *   B                           target
 *   B.cond                      cond, target
 * The A/L/AL suffixes of the atomics are separate ops; litmus_op_flags says
 * which ones acquire or release.
 */
enum litmus_op {
	LITMUS_NOP,
	LITMUS_MOV,
	LITMUS_LDR,
	LITMUS_STR,
	LITMUS_LDAR,
	LITMUS_LDAPR,
	LITMUS_STLR,
	LITMUS_LDXR,
	LITMUS_LDAXR,
	LITMUS_STXR,
	LITMUS_STLXR,
	LITMUS_SWP,
	LITMUS_SWPA,
	LITMUS_SWPL,
	LITMUS_SWPAL,
	LITMUS_CAS,
	LITMUS_CASA,
	LITMUS_CASL,
	LITMUS_CASAL,
	LITMUS_LDADD,
	LITMUS_LDADDA,
	LITMUS_LDADDL,
	LITMUS_LDADDAL,
	LITMUS_STADD,
	LITMUS_STADDL,
	LITMUS_DMB,
	LITMUS_DSB,
	LITMUS_ISB,
	LITMUS_ADD,
	LITMUS_SUB,
	LITMUS_EOR,
	LITMUS_AND,
	LITMUS_ORR,
	LITMUS_CMP,
	LITMUS_CSEL,
	LITMUS_CBZ,
	LITMUS_CBNZ,
	LITMUS_B,
	LITMUS_BCOND,
	LITMUS_NOPS /* count */
};

/* What an op does, for the model and the runner (litmus_op_flags). */
#define LITMUS_F_LOAD	  0x0001 /* reads memory */
#define LITMUS_F_STORE	  0x0002 /* writes memory (for CAS: when it succeeds) */
#define LITMUS_F_ACQ	  0x0004 /* acquire (LDAR, LDAXR, *A atomics) */
#define LITMUS_F_ACQPC	  0x0008 /* acquirePC (LDAPR) */
#define LITMUS_F_REL	  0x0010 /* release (STLR, STLXR, *L atomics) */
#define LITMUS_F_EXCL	  0x0020 /* load/store exclusive */
#define LITMUS_F_RMW	  0x0040 /* single-copy atomic read-modify-write (LSE) */
#define LITMUS_F_BARRIER  0x0080 /* DMB, DSB, ISB */
#define LITMUS_F_BRANCH	  0x0100 /* may change the control flow */
#define LITMUS_F_SETFLAGS 0x0200 /* writes NZCV (CMP) */
#define LITMUS_F_USEFLAGS 0x0400 /* reads NZCV (B.cond, CSEL) */
#define LITMUS_F_LSE	  0x0800 /* needs FEAT_LSE (ID_AA64ISAR0_EL1.Atomic) */
#define LITMUS_F_RCPC	  0x1000 /* needs FEAT_LRCPC (ID_AA64ISAR1_EL1.LRCPC) */

/* Second operand of MOV, ALU ops and CMP. */
enum litmus_src {
	LITMUS_SRC_NONE,
	LITMUS_SRC_REG, /* rm, shifted by shift_type/shift */
	LITMUS_SRC_IMM, /* imm (ADD/SUB/CMP: shifted left by shift, 0 or 12) */
};

/* Addressing modes of LDR/STR.  Every other memory op takes [Xn] only. */
enum litmus_addr {
	LITMUS_ADDR_BASE, /* [Xn] */
	LITMUS_ADDR_IMM, /* [Xn,#imm] (LDR/LDUR chosen as GNU as does) */
	LITMUS_ADDR_REG, /* [Xn,Xm] or [Xn,Xm,LSL #shift] */
	LITMUS_ADDR_SXTW, /* [Xn,Wm,SXTW] or [Xn,Wm,SXTW #shift] */
	LITMUS_ADDR_UXTW, /* [Xn,Wm,UXTW] or [Xn,Wm,UXTW #shift] */
};

enum litmus_shift_type { LITMUS_LSL, LITMUS_LSR, LITMUS_ASR };

/* DMB/DSB options; the value is the CRm field of the encoding. */
enum litmus_barrier {
	LITMUS_BAR_OSHLD = 1,
	LITMUS_BAR_OSHST = 2,
	LITMUS_BAR_OSH = 3,
	LITMUS_BAR_NSHLD = 5,
	LITMUS_BAR_NSHST = 6,
	LITMUS_BAR_NSH = 7,
	LITMUS_BAR_ISHLD = 9,
	LITMUS_BAR_ISHST = 10,
	LITMUS_BAR_ISH = 11,
	LITMUS_BAR_LD = 13,
	LITMUS_BAR_ST = 14,
	LITMUS_BAR_SY = 15,
};

/* Condition codes; the value is the cond field of the encoding. */
enum litmus_cc {
	LITMUS_EQ,
	LITMUS_NE,
	LITMUS_CS, /* also HS */
	LITMUS_CC, /* also LO */
	LITMUS_MI,
	LITMUS_PL,
	LITMUS_VS,
	LITMUS_VC,
	LITMUS_HI,
	LITMUS_LS,
	LITMUS_GE,
	LITMUS_LT,
	LITMUS_GT,
	LITMUS_LE,
	LITMUS_AL,
	LITMUS_NV,
};

struct litmus_reg {
	uint8_t num; /* 0..30, or LITMUS_ZR for XZR/WZR (SP is never accepted) */
	uint8_t width; /* 64 (Xn) or 32 (Wn); 0: the operand is absent */
};

struct litmus_insn {
	uint8_t op; /* enum litmus_op */
	uint8_t src; /* enum litmus_src: MOV, ALU ops, CMP */
	uint8_t addr; /* enum litmus_addr: LDR, STR */
	uint8_t barrier; /* enum litmus_barrier: DMB, DSB */
	uint8_t cond; /* enum litmus_cc: B.cond, CSEL */
	uint8_t shift_type; /* enum litmus_shift_type: shifted register src */
	uint8_t shift; /* shift amount (src reg, ADD/SUB imm, index register) */
	struct litmus_reg rd, rn, rm, rs;
	int64_t imm; /* immediate operand or address offset */
	int16_t target; /* branches: index of the target insn; == ninsns: the end */
	int16_t label; /* branches: index into thread->label[] */
	uint16_t line; /* where the instruction starts in the source (1-based) */
	uint16_t col;
};

struct litmus_label {
	char name[LITMUS_SYM_MAX];
	int16_t index; /* the instruction it stands before; == ninsns: the end */
};

struct litmus_thread {
	int ninsns;
	struct litmus_insn insn[LITMUS_MAX_INSNS];
	int nlabels;
	struct litmus_label label[LITMUS_MAX_LABELS];
	struct litmus_reginit init[LITMUS_NREGS]; /* X0..X30 */
};

/* ---------------------------------------------------------------- final condition */

enum litmus_quant {
	LITMUS_EXISTS, /* exists P */
	LITMUS_NOT_EXISTS, /* ~exists P */
	LITMUS_FORALL, /* forall P */
};

/* Something a final state shows: a thread's register or a location. */
enum litmus_place_kind { LITMUS_PLACE_REG, LITMUS_PLACE_LOC };

struct litmus_place {
	uint8_t kind; /* enum litmus_place_kind */
	uint8_t thread; /* REG */
	uint8_t reg; /* REG: 0..30 */
	int16_t loc; /* LOC: index into test->loc[] */
};

enum litmus_node_kind {
	LITMUS_COND_TRUE,
	LITMUS_COND_FALSE,
	LITMUS_COND_ATOM, /* place = value */
	LITMUS_COND_NOT, /* ~a */
	LITMUS_COND_AND, /* a /\ b */
	LITMUS_COND_OR, /* a \/ b */
};

struct litmus_cond_node {
	uint8_t kind; /* enum litmus_node_kind */
	int16_t a, b; /* children: indexes into cond->node[] */
	struct litmus_place place; /* ATOM */
	struct litmus_value value; /* ATOM */
};

struct litmus_cond {
	uint8_t quant; /* enum litmus_quant */
	int16_t root; /* index into node[] */
	int nnodes;
	struct litmus_cond_node node[LITMUS_MAX_COND];
};

/* ---------------------------------------------------------------- the test */

struct litmus_meta {
	char key[LITMUS_KEY_MAX];
	char value[LITMUS_DOC_MAX];
};

struct litmus_test {
	char name[LITMUS_NAME_MAX];
	char doc[LITMUS_DOC_MAX]; /* the quoted doc string, "" if none */
	int nmeta;
	struct litmus_meta meta[LITMUS_MAX_META];

	int nlocs;
	struct litmus_location loc[LITMUS_MAX_LOCS];

	int nthreads;
	struct litmus_thread thread[LITMUS_MAX_THREADS];

	int nlocations; /* the locations [...] clause, as written */
	struct litmus_place locations[LITMUS_MAX_OBSERVED];

	struct litmus_cond cond;

	/* What a final state records, in herd's printing order: registers by
	 * thread then number, then locations by name.  The union of the
	 * condition's places and locations[], without repeats. */
	int nobserved;
	struct litmus_place observed[LITMUS_MAX_OBSERVED];
};

/* Where and what went wrong.  line/col are 1-based; 0 when not applicable. */
struct litmus_error {
	int line;
	int col;
	char msg[LITMUS_ERR_MAX];
};

/* ---------------------------------------------------------------- parse.c */

/*
 * Parse a herd AArch64 litmus test from text[0..len) (it need not be
 * NUL-terminated) into *t.  Returns 0, or -1 with *err set: the first
 * problem, its line and column, naming the construct ("unsupported
 * instruction 'LDRB'", "too many threads (limit 8)", ...).  Anything the
 * runner could not run exactly as written is an error, never ignored.
 */
int litmus_parse(const char *text, size_t len, struct litmus_test *t, struct litmus_error *err);

/* "file:line:col: msg" (or "file: msg" without a position) into buf. */
void litmus_format_error(const struct litmus_error *err, const char *file, char *buf, size_t size);

/* ---------------------------------------------------------------- litmus.c */

/* LITMUS_F_* bits of op. */
unsigned litmus_op_flags(int op);

/* Upper-case mnemonic of op ("LDR", "B.", for BCOND "B"). */
const char *litmus_op_name(int op);

/* "SY", "ISHLD", ... for a barrier option; "EQ", ... for a condition code. */
const char *litmus_barrier_name(int barrier);
const char *litmus_cc_name(int cc);

/* The instruction in herd's syntax ("LDR W4,[X1,W2,SXTW]", "B.EQ over").
 * Returns the length it wanted (like snprintf); buf is always terminated. */
size_t litmus_format_insn(const struct litmus_thread *th, const struct litmus_insn *in, char *buf,
			  size_t size);

/* Registers an instruction reads and writes, as bit masks over X0..X30;
 * bit LITMUS_FLAGS_BIT stands for NZCV.  ZR is in neither. */
#define LITMUS_FLAGS_BIT 31
void litmus_insn_regs(const struct litmus_insn *in, uint32_t *reads, uint32_t *writes);

/* Index of the location named name, or -1. */
int litmus_find_loc(const struct litmus_test *t, const char *name);

/* Width in bits (32 or 64) a location's values have: 32 for declared
 * 32-bit types, else 64. */
int litmus_loc_width(const struct litmus_test *t, int loc);

/*
 * Does a final value v (as read from the register or location) match the
 * condition's value want?  INT values compare on the place's width (a
 * location's litmus_loc_width, registers always 64); ADDR values compare with
 * loc_addr[want->loc], the address the caller gave that location (pass NULL
 * if the caller has none: an ADDR value then never matches).
 */
bool litmus_value_matches(const struct litmus_test *t, const struct litmus_place *p, uint64_t v,
			  const struct litmus_value *want, const uint64_t *loc_addr);

/*
 * Evaluate the condition's proposition (without its quantifier) on a final
 * state: values[i] is the value of t->observed[i].  loc_addr as above.
 */
bool litmus_cond_holds(const struct litmus_test *t, const uint64_t *values,
		       const uint64_t *loc_addr);

/* ---------------------------------------------------------------- encode.c: see encode.h */

#endif
