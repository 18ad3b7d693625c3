/*
 * test_litmus_encode.c — kernel/litmus/encode.c against the GNU assembler.
 *
 * The test generates herd-syntax instruction text for every form the parser
 * accepts, over every register in every operand position, a spread of
 * immediates (every logical immediate there is, built here by construction
 * rather than by the encoder's search), every barrier option, every
 * condition code and branch offsets in both directions.  Each text goes two
 * ways: through litmus_parse + litmus_encode_thread (in one-thread tests of
 * up to LITMUS_MAX_INSNS instructions), and into one assembly file for
 * aarch64-linux-gnu-as (GNU as reads herd's syntax as it is: upper case,
 * "#imm", "[X1,W2,SXTW]", "B.EQ label").  The two streams of words must be
 * identical, so an encoding error cannot hide.
 *
 * Also: texts GNU as refuses (immediates with no encoding, out-of-range
 * offsets and shifts) must be refused by the parser too; MOV of a wide
 * immediate (no single instruction) must equal the MOVZ/MOVK sequence; and
 * every thread of herd's corpus (../shared/litmus/herdtools7, when present)
 * assembles to the encoder's words.
 *
 * Needs aarch64-linux-gnu-as and -objcopy (tools/setup installs them): their
 * absence fails the test, since skipping would hide encoding errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/litmus/encode.h"
#include "kernel/litmus/litmus.h"
#include "tests/host/hosttest.h"

#define AS	"aarch64-linux-gnu-as"
#define OBJCOPY "aarch64-linux-gnu-objcopy"
#define MARCH	"-march=armv8.3-a" /* LSE (8.1) and LDAPR (8.3) */

static struct litmus_test t;
static struct litmus_error err;
static char tmpdir[64];

/* ---------------------------------------------------------------- the two streams */

#define MAX_WORDS (1 << 17)
#define GAS_MAX	  (8 << 20)

static uint32_t ours[MAX_WORDS]; /* the encoder's words, in order */
static int ours_insn[MAX_WORDS]; /* the text each word came from */
static int nours;

static char *texts[MAX_WORDS]; /* every instruction text, for messages */
static int ntexts;

static char gas[GAS_MAX]; /* the assembly file */
static size_t gas_len;

/* The program being built: one thread, labels renamed for gas. */
static char prog[LITMUS_MAX_INSNS * 2 * 64 + 256];
static size_t prog_len;
static int prog_insns, prog_labels, prog_text0, nprogs;

static void gas_puts(const char *s)
{
	size_t n = strlen(s);
	assert_true(gas_len + n < GAS_MAX);
	memcpy(gas + gas_len, s, n);
	gas_len += n;
}

static void prog_puts(const char *s)
{
	size_t n = strlen(s);
	assert_true(prog_len + n < sizeof prog);
	memcpy(prog + prog_len, s, n);
	prog_len += n;
	prog[prog_len] = '\0';
}

static void flush(void);

/* This program's name for label l, as gas sees it. */
static const char *glabel(const char *l)
{
	static char buf[4][64];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "p%d_%s", nprogs, l);
	return buf[k];
}

/* One instruction: lit for the parser, as_text for gas (NULL: the same). */
static void emit2(const char *lit, const char *as_text)
{
	if (prog_insns == LITMUS_MAX_INSNS)
		flush();
	assert_true(ntexts < MAX_WORDS);
	texts[ntexts++] = strdup(lit);
	prog_puts(" ");
	prog_puts(lit);
	prog_puts(" ;\n");
	gas_puts("\t");
	gas_puts(as_text ? as_text : lit);
	gas_puts("\n");
	prog_insns++;
}

static void emit(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	emit2(buf, NULL);
}

static void label(const char *l)
{
	char buf[80];
	assert_true(prog_labels < LITMUS_MAX_LABELS);
	snprintf(buf, sizeof buf, " %s: ;\n", l);
	prog_puts(buf);
	snprintf(buf, sizeof buf, "%s:\n", glabel(l));
	gas_puts(buf);
	prog_labels++;
}

/* A branch "OP[ reg,]label": the label renamed on the gas side. */
static void branch(const char *op_and_reg, const char *l)
{
	char lit[96], as_text[96];
	snprintf(lit, sizeof lit, "%s%s", op_and_reg, l);
	snprintf(as_text, sizeof as_text, "%s%s", op_and_reg, glabel(l));
	emit2(lit, as_text);
}

/* Parse and encode the program; start the next one. */
static void flush(void)
{
	if (prog_insns == 0 && prog_labels == 0)
		return;
	static char src[sizeof prog + 128];
	snprintf(src, sizeof src, "AArch64 Gen%d\n{}\n P0 ;\n%sexists (0:X0=0)\n", nprogs, prog);
	if (litmus_parse(src, strlen(src), &t, &err) != 0)
		fail_msg("generated program %d does not parse: %d:%d: %s\n%s", nprogs, err.line,
			 err.col, err.msg, src);
	assert_int_equal(t.thread[0].ninsns, prog_insns);
	int word_of[LITMUS_MAX_INSNS + 1];
	assert_true(nours + LITMUS_MAX_BODY_WORDS <= MAX_WORDS);
	int n =
	    litmus_encode_thread(&t.thread[0], ours + nours, LITMUS_MAX_BODY_WORDS, word_of, &err);
	if (n < 0)
		fail_msg("program %d does not encode: %d:%d: %s", nprogs, err.line, err.col,
			 err.msg);
	for (int i = 0; i < prog_insns; i++)
		for (int w = word_of[i]; w < word_of[i + 1]; w++)
			ours_insn[nours + w] = prog_text0 + i;
	nours += n;
	nprogs++;
	prog_len = 0;
	prog[0] = '\0';
	prog_insns = prog_labels = 0;
	prog_text0 = ntexts;
}

/* ---------------------------------------------------------------- running gas */

static int run(const char *cmd)
{
	int r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

static void need_tools(void)
{
	if (run("command -v " AS " >/dev/null 2>&1 && command -v " OBJCOPY " >/dev/null 2>&1") != 0)
		fail_msg(AS " or " OBJCOPY " not found: run tools/setup (the encoder cannot be "
			    "checked without them)");
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/litmus-encode-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
}

/* Assemble text; the .text words into *words (malloc'ed). Returns the count,
 * or -1 if gas failed (its messages in tmpdir/as.err). */
static int assemble(const char *text, size_t len, uint32_t **words)
{
	char s[300], o[300], bin[300], cmd[1200];
	snprintf(s, sizeof s, "%s/gen.s", tmpdir);
	snprintf(o, sizeof o, "%s/gen.o", tmpdir);
	snprintf(bin, sizeof bin, "%s/gen.bin", tmpdir);
	write_file(s, text, len);
	snprintf(cmd, sizeof cmd, AS " " MARCH " -o %s %s 2>%s/as.err", o, s, tmpdir);
	if (run(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, OBJCOPY " -O binary -j .text %s %s", o, bin);
	assert_int_equal(run(cmd), 0);
	FILE *fp = fopen(bin, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	*words = malloc((size_t)n + 4);
	assert_non_null(*words);
	uint8_t *b = (uint8_t *)*words;
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	for (long i = 0; i < n / 4; i++) /* little-endian words */
		(*words)[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
			      (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
	return (int)(n / 4);
}

/* Compare the encoder's stream with gas's; print the first mismatches. */
static void compare_streams(const char *what)
{
	flush();
	uint32_t *as_words;
	int n = assemble(gas, gas_len, &as_words);
	if (n < 0) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "head -20 %s/as.err", tmpdir);
		(void)!system(cmd);
		fail_msg("%s: GNU as refused the generated text", what);
	}
	int bad = 0;
	if (n != nours)
		printf("%s: GNU as made %d words, the encoder %d\n", what, n, nours);
	for (int i = 0; i < n && i < nours; i++) {
		if (as_words[i] == ours[i])
			continue;
		if (bad++ < 20)
			printf("  %-32s encoder %08x, GNU as %08x\n", texts[ours_insn[i]], ours[i],
			       as_words[i]);
	}
	free(as_words);
	if (bad || n != nours)
		fail_msg("%s: %d of %d words differ from GNU as", what, bad, nours);
	printf("%s: %d instructions, %d words, all equal to GNU as's\n", what, ntexts, nours);
}

static void reset_streams(void)
{
	for (int i = 0; i < ntexts; i++)
		free(texts[i]);
	ntexts = nours = nprogs = 0;
	gas_len = 0;
	prog_len = 0;
	prog_insns = prog_labels = prog_text0 = 0;
	gas_puts("\t.text\n");
}

/* ---------------------------------------------------------------- generators */

/* Register names; rotating buffers so several fit in one printf. */
static const char *R(int width, int n)
{
	static char buf[16][8];
	static int k;
	k = (k + 1) % 16;
	if (n == 31)
		snprintf(buf[k], sizeof buf[k], "%cZR", width == 64 ? 'X' : 'W');
	else
		snprintf(buf[k], sizeof buf[k], "%c%d", width == 64 ? 'X' : 'W', n);
	return buf[k];
}

/*
 * Register assignments for an instruction with nslots register operands:
 * each slot in turn takes every value 0..31 (or 0..30 where ZR is not
 * allowed, zr_ok bit clear) while the others take values derived from it,
 * all different where distinct is set.  Calls fn with the slot values.
 */
typedef void (*regs_fn)(const int *r, void *ctx);

static void each_regs(int nslots, unsigned zr_ok, bool distinct, regs_fn fn, void *ctx)
{
	for (int s = 0; s < nslots; s++) {
		for (int v = 0; v < 32; v++) {
			int r[4];
			bool ok = true;
			for (int k = 0; k < nslots; k++) {
				r[k] = k == s ? v : (v + 7 * (k + 1) + 3 * s) % 31;
				if (r[k] == 31 && !(zr_ok & (1u << k)))
					ok = false;
				for (int j = 0; j < k && distinct; j++)
					if (r[j] == r[k])
						ok = false;
			}
			if (ok)
				fn(r, ctx);
		}
	}
}

struct form {
	const char *fmt; /* printf format taking the register names */
	int width; /* of the data registers; 0 = both 32 and 64 */
};

/* ---- loads and stores */

static void gen_ldst_base(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,[%s]", op, R(32, r[0]), R(64, r[1]));
	emit("%s %s,[%s]", op, R(64, r[0]), R(64, r[1]));
}

static void gen_ldst_index(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,[%s,%s]", op, R(32, r[0]), R(64, r[1]), R(64, r[2]));
	emit("%s %s,[%s,%s,LSL #2]", op, R(32, r[0]), R(64, r[1]), R(64, r[2]));
	emit("%s %s,[%s,%s,LSL #3]", op, R(64, r[0]), R(64, r[1]), R(64, r[2]));
	emit("%s %s,[%s,%s,SXTW]", op, R(32, r[0]), R(64, r[1]), R(32, r[2]));
	emit("%s %s,[%s,%s,UXTW]", op, R(64, r[0]), R(64, r[1]), R(32, r[2]));
	emit("%s %s,[%s,%s,SXTW #3]", op, R(64, r[0]), R(64, r[1]), R(32, r[2]));
	emit("%s %s,[%s,%s,UXTW #2]", op, R(32, r[0]), R(64, r[1]), R(32, r[2]));
	emit("%s %s,[%s,%s,UXTW #0]", op, R(32, r[0]), R(64, r[1]), R(32, r[2]));
	emit("%s %s,[%s,%s,LSL #0]", op, R(64, r[0]), R(64, r[1]), R(64, r[2]));
}

static void gen_loads_stores(void)
{
	static const char *const ops[] = {"LDR", "STR"};
	for (int o = 0; o < 2; o++) {
		each_regs(2, 1u << 0, false, gen_ldst_base, (void *)ops[o]);
		each_regs(3, 1u << 0 | 1u << 2, false, gen_ldst_index, (void *)ops[o]);
		/* Offsets: every unscaled one, a spread of scaled ones. */
		for (int off = -256; off <= 255; off++) {
			emit("%s W%d,[X%d,#%d]", ops[o], (off + 300) % 31, (off + 301) % 31, off);
			if (off % 3 == 0)
				emit("%s X%d,[X%d,#%d]", ops[o], (off + 302) % 31, (off + 303) % 31,
				     off);
		}
		for (int k = 0; k <= 4095; k += (k < 64 ? 1 : 37)) {
			emit("%s W1,[X2,#%d]", ops[o], 4 * k);
			emit("%s X3,[X4,#%d]", ops[o], 8 * k);
		}
		emit("%s W5,[X6,#16380]", ops[o]);
		emit("%s X7,[X8,#32760]", ops[o]);
		emit("%s X7,[X8,#0]", ops[o]);
	}
}

/* ---- ordered, exclusive and atomic accesses */

static void gen_rt_rn(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,[%s]", op, R(32, r[0]), R(64, r[1]));
	emit("%s %s,[%s]", op, R(64, r[0]), R(64, r[1]));
}

static void gen_stxr(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,%s,[%s]", op, R(32, r[0]), R(32, r[1]), R(64, r[2]));
	emit("%s %s,%s,[%s]", op, R(32, r[0]), R(64, r[1]), R(64, r[2]));
}

static void gen_rs_rt_rn(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,%s,[%s]", op, R(32, r[0]), R(32, r[1]), R(64, r[2]));
	emit("%s %s,%s,[%s]", op, R(64, r[0]), R(64, r[1]), R(64, r[2]));
}

static void gen_ordered_atomic(void)
{
	static const char *const rt_rn[] = {"LDAR",  "STLR",  "LDAPR", "LDXR",
					    "LDAXR", "STADD", "STADDL"};
	static const char *const st_ex[] = {"STXR", "STLXR"};
	static const char *const rmw[] = {"SWP",  "SWPA",  "SWPL",  "SWPAL",  "CAS",	"CASA",
					  "CASL", "CASAL", "LDADD", "LDADDA", "LDADDL", "LDADDAL"};
	for (size_t i = 0; i < sizeof rt_rn / sizeof *rt_rn; i++)
		each_regs(2, 1u << 0, false, gen_rt_rn, (void *)rt_rn[i]);
	for (size_t i = 0; i < sizeof st_ex / sizeof *st_ex; i++)
		each_regs(3, 1u << 1, true, gen_stxr, (void *)st_ex[i]);
	for (size_t i = 0; i < sizeof rmw / sizeof *rmw; i++)
		each_regs(3, 1u << 0 | 1u << 1, false, gen_rs_rt_rn, (void *)rmw[i]);
}

/* ---- ALU */

static void gen_alu_reg(const int *r, void *ctx)
{
	const char *op = ctx;
	emit("%s %s,%s,%s", op, R(32, r[0]), R(32, r[1]), R(32, r[2]));
	emit("%s %s,%s,%s", op, R(64, r[0]), R(64, r[1]), R(64, r[2]));
}

static void gen_mov_csel_cmp(const int *r, void *ctx)
{
	(void)ctx;
	emit("MOV %s,%s", R(32, r[0]), R(32, r[1]));
	emit("MOV %s,%s", R(64, r[0]), R(64, r[1]));
	emit("CMP %s,%s", R(32, r[0]), R(32, r[1]));
	emit("CMP %s,%s", R(64, r[0]), R(64, r[1]));
	emit("CSEL %s,%s,%s,%s", R(32, r[0]), R(32, r[1]), R(32, r[2]), litmus_cc_name(r[0] % 16));
	emit("CSEL %s,%s,%s,%s", R(64, r[0]), R(64, r[1]), R(64, r[2]), litmus_cc_name(r[1] % 16));
}

static void gen_alu_imm_regs(const int *r, void *ctx)
{
	(void)ctx;
	emit("ADD %s,%s,#%d", R(32, r[0]), R(32, r[1]), r[0] * 100 + r[1]);
	emit("SUB %s,%s,#%d", R(64, r[0]), R(64, r[1]), r[1] * 100 + r[0]);
	emit("CMP %s,#%d", R(64, r[0]), r[1] * 3);
	emit("MOV %s,#%d", R(64, r[0]), r[1] * 1000);
}

static void gen_logic_imm_regs(const int *r, void *ctx)
{
	(void)ctx;
	/* Rd is never ZR here (it would mean SP); Rn may be. */
	if (r[0] == 31)
		return;
	emit("AND %s,%s,#0xff", R(32, r[0]), R(32, r[1]));
	emit("ORR %s,%s,#0xf0f0f0f0f0f0f0f0", R(64, r[0]), R(64, r[1]));
	emit("EOR %s,%s,#0x1", R(64, r[0]), R(64, r[1]));
}

static void gen_alu(void)
{
	static const char *const ops[] = {"ADD", "SUB", "EOR", "AND", "ORR"};
	static const char *const shifts[] = {"LSL", "LSR", "ASR"};
	for (int o = 0; o < 5; o++) {
		each_regs(3, 7, false, gen_alu_reg, (void *)ops[o]);
		for (int s = 0; s < 3; s++)
			for (int a = 0; a < 64; a++) {
				if (a < 32)
					emit("%s W%d,W%d,W%d,%s #%d", ops[o], a % 31, (a + 5) % 31,
					     (a + 9) % 31, shifts[s], a);
				emit("%s X%d,X%d,X%d,%s #%d", ops[o], (a + 1) % 31, (a + 6) % 31,
				     (a + 10) % 31, shifts[s], a);
			}
	}
	for (int s = 0; s < 3; s++)
		for (int a = 0; a < 64; a += 5)
			emit("CMP X%d,X%d,%s #%d", a % 31, (a + 3) % 31, shifts[s], a);
	each_regs(3, 7, false, gen_mov_csel_cmp, NULL);
	each_regs(2, 0, false, gen_alu_imm_regs, NULL);
	each_regs(2, 3, false, gen_logic_imm_regs, NULL);

	/* ADD/SUB/CMP immediates: the 12-bit range, shifted ones, negatives
	 * (which GNU as turns into SUB/ADD/CMN). */
	static const int64_t addsub[] = {
	    0,	  1,	2,	3,	  7,	    100, 255, 256,  1000,  2048,  4094,	 4095,
	    4096, 8192, 0x7000, 0xfff000, 0x123000, -1,	 -2,  -100, -4095, -4096, -8192, -0xfff000};
	for (size_t i = 0; i < sizeof addsub / sizeof *addsub; i++) {
		long long v = (long long)addsub[i];
		emit("ADD W1,W2,#%lld", v);
		emit("ADD X3,X4,#%lld", v);
		emit("SUB W5,W6,#%lld", v);
		emit("SUB X7,X8,#%lld", v);
		emit("CMP W9,#%lld", v);
		emit("CMP X10,#%lld", v);
	}
	for (int v = 0; v < 4096; v += 211) {
		emit("ADD X1,X2,#%d,LSL #12", v);
		emit("SUB W3,W4,#%d,LSL #12", v);
		emit("CMP X5,#%d,LSL #12", v);
		emit("ADD X6,X7,#%d,LSL #0", v);
	}
}

/*
 * Every logical immediate, built from its definition: an element of size e
 * (2..64 bits) holding a run of `ones` ones (1..e-1), rotated right by rot,
 * repeated to fill 64 bits.  Returns the count; values[] gets each once.
 */
static int all_bitmask_imms(uint64_t *values, int max)
{
	int n = 0;
	for (int e = 2; e <= 64; e *= 2)
		for (int ones = 1; ones < e; ones++)
			for (int rot = 0; rot < e; rot++) {
				uint64_t mask = e == 64 ? ~0ull : (1ull << e) - 1;
				uint64_t elem = (1ull << ones) - 1;
				if (rot)
					elem = ((elem >> rot) | (elem << (e - rot))) & mask;
				uint64_t v = 0;
				for (int k = 0; k < 64; k += e)
					v |= elem << k;
				assert_true(n < max);
				values[n++] = v;
			}
	return n;
}

static bool is_32bit_bitmask(uint64_t v)
{
	return (v >> 32) == (v & 0xffffffffu); /* repeats with a period of 32 or less */
}

static uint64_t bitmask_values[6000];
static int nbitmask;

static void gen_logic_and_mov_imm(void)
{
	static const char *const ops[] = {"AND", "ORR", "EOR"};
	nbitmask = all_bitmask_imms(bitmask_values, 6000);
	assert_int_equal(nbitmask, 5334); /* the known count of 64-bit logical immediates */
	int n32 = 0;
	for (int i = 0; i < nbitmask; i++) {
		uint64_t v = bitmask_values[i];
		const char *op = ops[i % 3];
		emit("%s X%d,%s,#0x%llx", op, i % 31, R(64, (i + 11) % 32), (unsigned long long)v);
		emit("MOV X%d,#0x%llx", (i + 3) % 31, (unsigned long long)v);
		if (is_32bit_bitmask(v)) {
			n32++;
			emit("%s W%d,%s,#0x%llx", ops[(i + 1) % 3], (i + 5) % 31,
			     R(32, (i + 2) % 32), (unsigned long long)(v & 0xffffffffu));
			emit("MOV W%d,#0x%llx", (i + 7) % 31,
			     (unsigned long long)(v & 0xffffffffu));
		}
	}
	assert_int_equal(n32, 1302); /* and of 32-bit ones */

	/* MOVZ and MOVN shapes, each halfword position. */
	static const uint64_t halves[] = {0,	  1,	  2,	  0x7f,	  0x80,	  0xff,	 0x100,
					  0x1234, 0x7fff, 0x8000, 0xabcd, 0xfffe, 0xffff};
	for (int hw = 0; hw < 4; hw++)
		for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
			uint64_t v = halves[i] << (16 * hw);
			emit("MOV X%d,#0x%llx", (int)(i + hw) % 32, (unsigned long long)v);
			emit("MOV X%d,#0x%llx", (int)(i + hw + 1) % 32, (unsigned long long)~v);
			if (hw < 2) {
				emit("MOV W%d,#0x%llx", (int)i % 32, (unsigned long long)v);
				emit("MOV W%d,#0x%llx", (int)i % 32,
				     (unsigned long long)(~v & 0xffffffffu));
			}
		}
	static const long long negs[] = {-1, -2, -0x10000, -0x7fffffff, -2147483648LL, -12345};
	for (size_t i = 0; i < sizeof negs / sizeof *negs; i++) {
		emit("MOV X%d,#%lld", (int)i, negs[i]);
		emit("MOV W%d,#%lld", (int)i + 10, negs[i]);
	}
}

/* ---- barriers, branches, the rest */

static void gen_barriers_misc(void)
{
	static const char *const opts[] = {"SY",  "ST",	   "LD",    "ISH", "ISHST", "ISHLD",
					   "NSH", "NSHST", "NSHLD", "OSH", "OSHST", "OSHLD"};
	for (int i = 0; i < 12; i++) {
		emit("DMB %s", opts[i]);
		emit("DSB %s", opts[i]);
	}
	emit("ISB");
	emit("NOP");
}

/* Branches of every kind over offsets -k and +k words. */
static void gen_branches(void)
{
	static const char *const ccs[] = {"EQ", "NE", "CS", "HS", "CC", "LO", "MI", "PL", "VS",
					  "VC", "HI", "LS", "GE", "LT", "GT", "LE", "AL", "NV"};
	char op[32];
	int kind = 0;
	for (int k = 0; k < LITMUS_MAX_INSNS - 1; k++, kind++) {
		/* Backward: L0, k NOPs, the branch. */
		flush();
		int r = kind % 32;
		switch (kind % 4) {
		case 0:
			snprintf(op, sizeof op, "B ");
			break;
		case 1:
			snprintf(op, sizeof op, "B.%s ", ccs[kind % 18]);
			break;
		case 2:
			snprintf(op, sizeof op, "CBZ %s,", R(kind % 8 < 4 ? 32 : 64, r));
			break;
		default:
			snprintf(op, sizeof op, "CBNZ %s,", R(kind % 8 < 4 ? 32 : 64, r));
			break;
		}
		label("L0");
		for (int i = 0; i < k; i++)
			emit("NOP");
		branch(op, "L0");
		/* Forward: the branch, k NOPs, a label (at the end: the word after
		 * the body). */
		flush();
		branch(op, "L1");
		for (int i = 0; i < k; i++)
			emit("NOP");
		label("L1");
	}
	/* Every condition and register with a short hop, both ways (in
	 * programs that fit a thread); a branch to itself. */
	flush();
	label("A");
	for (int i = 0; i < 18; i++) {
		snprintf(op, sizeof op, "B.%s ", ccs[i]);
		branch(op, i % 2 ? "A" : "Z");
	}
	label("Z");
	for (int half = 0; half < 2; half++) {
		flush();
		label("A");
		for (int r = 16 * half; r < 16 * half + 16; r++) {
			snprintf(op, sizeof op, "CBZ %s,", R(r % 2 ? 32 : 64, r));
			branch(op, r % 2 ? "A" : "Z");
			snprintf(op, sizeof op, "CBNZ %s,", R(r % 2 ? 64 : 32, r));
			branch(op, r % 2 ? "Z" : "A");
		}
		label("Z");
	}
	flush();
	label("S");
	branch("B ", "S");
	flush();
}

/* ---------------------------------------------------------------- the tests */

static void test_all_forms(void **state)
{
	(void)state;
	need_tools();
	reset_streams();
	gen_loads_stores();
	gen_ordered_atomic();
	gen_alu();
	gen_logic_and_mov_imm();
	gen_barriers_misc();
	gen_branches();
	compare_streams("all forms");
}

/* MOV of an immediate no single instruction can make: GNU as refuses it,
 * the encoder makes MOVZ then a MOVK per further non-zero halfword. */
static void test_wide_mov(void **state)
{
	(void)state;
	need_tools();
	reset_streams();
	if (nbitmask == 0)
		nbitmask = all_bitmask_imms(bitmask_values, 6000);
	uint32_t seed = 12345;
	static char refuse[1 << 16];
	size_t rlen = 0;
	int nrefuse = 0;
	for (int i = 0; i < 300; i++) {
		uint64_t v = (uint64_t)ht_rand(&seed) << 32 | ht_rand(&seed);
		if (i % 3 == 1)
			v &= 0xffff0000ffffull; /* zero halfwords in between */
		if (i % 3 == 2)
			v &= 0xffffffffull;
		/* Only values with no single-instruction form. */
		int nz = 0, nff = 0;
		for (int h = 0; h < 4; h++) {
			nz += ((v >> (16 * h)) & 0xffff) != 0;
			nff += ((v >> (16 * h)) & 0xffff) != 0xffff;
		}
		bool bitmask = false;
		for (int k = 0; k < nbitmask; k++)
			bitmask |= bitmask_values[k] == v;
		if (nz <= 1 || nff <= 1 || bitmask)
			continue;
		char lit[64], as_text[160];
		int r = i % 31;
		snprintf(lit, sizeof lit, "MOV X%d,#0x%llx", r, (unsigned long long)v);
		size_t n = 0;
		bool first = true;
		for (int h = 0; h < 4; h++) {
			unsigned half = (unsigned)(v >> (16 * h)) & 0xffff;
			if (!half)
				continue;
			n += (size_t)snprintf(as_text + n, sizeof as_text - n,
					      "%s%s X%d,#0x%x,LSL #%d", first ? "" : "\n\t",
					      first ? "MOVZ" : "MOVK", r, half, 16 * h);
			first = false;
		}
		emit2(lit, as_text);
		rlen += (size_t)snprintf(refuse + rlen, sizeof refuse - rlen, "\t%s\n", lit);
		nrefuse++;
	}
	assert_true(nrefuse > 200);
	compare_streams("wide MOV");
	/* GNU as must refuse each of them as a single MOV. */
	uint32_t *w;
	assert_int_equal(assemble(refuse, rlen, &w), -1);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "grep -c 'Error:' %s/as.err > %s/count", tmpdir, tmpdir);
	(void)!system(cmd);
	snprintf(cmd, sizeof cmd, "%s/count", tmpdir);
	FILE *fp = fopen(cmd, "r");
	int errors = 0;
	assert_int_equal(fscanf(fp, "%d", &errors), 1);
	fclose(fp);
	assert_int_equal(errors, nrefuse);
}

/* Texts GNU as refuses must be refused by the parser too, with the
 * instruction's position. */
static void test_refused_alike(void **state)
{
	(void)state;
	need_tools();
	static const char *const bad[] = {
	    "EOR W0,W1,#5",
	    "AND X0,X1,#0",
	    "ORR X0,X1,#-1",
	    "AND W0,W1,#0xffffffff",
	    "EOR X0,X1,#0x1234",
	    "ORR W2,W3,#0x100000000",
	    "ADD W0,W1,#4097",
	    "ADD X0,X1,#0x1001000",
	    "SUB X0,X1,#0x1000000",
	    "CMP W0,#4097",
	    "ADD X1,X2,#4096,LSL #12",
	    "LDR W0,[X1,#16384]",
	    "LDR W0,[X1,#-257]",
	    "STR X0,[X1,#32761]",
	    "LDR X0,[X1,#32768]",
	    "LDR W0,[X1,#258]",
	    "LDR W0,[X1,X2,LSL #3]",
	    "LDR X0,[X1,X2,LSL #2]",
	    "LDR W0,[X1,W2,SXTW #1]",
	    "ADD W0,W1,W2,LSL #32",
	    "MOV W0,#0x100000000",
	    "MOV X0,#-0x100000000000000000",
	    "CMP X0,#-4097",
	    "LDAR W0,[X1,#4]",
	    "ADD X0,XZR,#1",
	    "AND WZR,W1,#1",
	    "STR W0,[X1,#-300]",
	    "CMP W0,#1,LSL #1",
	};
	int n = (int)(sizeof bad / sizeof *bad);
	static char text[8192];
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(text + len, sizeof text - len, "\t%s\n", bad[i]);
		char src[256];
		snprintf(src, sizeof src, "AArch64 B\n{}\n P0 ;\n %s ;\nexists (0:X0=0)\n", bad[i]);
		if (litmus_parse(src, strlen(src), &t, &err) == 0)
			fail_msg("the parser accepts '%s', which GNU as refuses", bad[i]);
		if (err.line != 4)
			fail_msg("'%s': error at line %d, not the instruction's", bad[i], err.line);
	}
	/* Each line on its own: gas stops at nothing, but count per line. */
	uint32_t *w;
	assert_int_equal(assemble(text, len, &w), -1);
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		 "grep -o '^[^:]*:[0-9]*: Error' %s/as.err | cut -d: -f2 | sort -un | wc -l "
		 "> %s/count",
		 tmpdir, tmpdir);
	(void)!system(cmd);
	snprintf(cmd, sizeof cmd, "%s/count", tmpdir);
	FILE *fp = fopen(cmd, "r");
	int lines = 0;
	assert_int_equal(fscanf(fp, "%d", &lines), 1);
	fclose(fp);
	if (lines != n) {
		snprintf(cmd, sizeof cmd, "cat %s/as.err", tmpdir);
		(void)!system(cmd);
		fail_msg("GNU as refused %d of the %d lines", lines, n);
	}
	printf("%d texts refused by both GNU as and the parser\n", n);
}

/* Every thread of herd's corpus, printed with litmus_format_insn. */
static void test_herd_corpus_words(void **state)
{
	(void)state;
	need_tools();
	const char *env = getenv("LITMUS_SHARED_DIR");
	const char *dir = env && *env ? env : "../shared/litmus/herdtools7";
	DIR *d = opendir(dir);
	if (!d) {
		printf("skipped: %s is absent (herd's corpus)\n", dir);
		skip();
	}
	reset_streams();
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 8 || strcmp(de->d_name + nl - 7, ".litmus") != 0)
			continue;
		char path[600];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		static char text[1 << 16];
		size_t len = fread(text, 1, sizeof text, fp);
		fclose(fp);
		static struct litmus_test ht;
		assert_int_equal(litmus_parse(text, len, &ht, &err), 0);
		for (int k = 0; k < ht.nthreads; k++) {
			const struct litmus_thread *th = &ht.thread[k];
			flush();
			for (int i = 0; i <= th->ninsns; i++) {
				for (int l = 0; l < th->nlabels; l++)
					if (th->label[l].index == i)
						label(th->label[l].name);
				if (i == th->ninsns)
					break;
				const struct litmus_insn *in = &th->insn[i];
				char buf[128];
				litmus_format_insn(th, in, buf, sizeof buf);
				if (litmus_op_flags(in->op) & LITMUS_F_BRANCH) {
					/* Re-split "OP[ reg,]label" to rename the label. */
					const char *name = th->label[in->label].name;
					buf[strlen(buf) - strlen(name)] = '\0';
					branch(buf, name);
				} else {
					emit2(buf, NULL);
				}
			}
			flush();
		}
		files++;
	}
	closedir(d);
	compare_streams("herd corpus");
	printf("(%d files)\n", files);
}

static int cleanup(void **state)
{
	(void)state;
	if (tmpdir[0]) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
		(void)!system(cmd);
	}
	reset_streams();
	return 0;
}

/* The encoder alone: what the parser cannot produce must still not encode. */
static void test_encoder_guards(void **state)
{
	(void)state;
	struct litmus_insn in;
	uint32_t out[LITMUS_MAX_INSN_WORDS];
	memset(&in, 0, sizeof in);
	in.op = LITMUS_LDR;
	in.rd = (struct litmus_reg){0, 32};
	in.rn = (struct litmus_reg){LITMUS_ZR, 64}; /* would be SP */
	assert_int_equal(litmus_encode_insn(&in, 0, out, &err), -1);
	in.rn = (struct litmus_reg){1, 32}; /* a W base */
	assert_int_equal(litmus_encode_insn(&in, 0, out, &err), -1);
	in.rn = (struct litmus_reg){1, 64};
	assert_int_equal(litmus_encode_insn(&in, 0, out, &err), 1);
	in.op = LITMUS_NOPS;
	assert_int_equal(litmus_encode_insn(&in, 0, out, &err), -1);
	memset(&in, 0, sizeof in);
	in.op = LITMUS_DMB;
	in.barrier = 4; /* not a DMB option */
	assert_int_equal(litmus_encode_insn(&in, 0, out, &err), -1);
	in.op = LITMUS_B;
	assert_int_equal(litmus_encode_insn(&in, 1 << 25, out, &err), -1);
	assert_int_equal(litmus_encode_insn(&in, -(1 << 25), out, &err), 1);
	in.op = LITMUS_CBZ;
	in.rd = (struct litmus_reg){0, 64};
	assert_int_equal(litmus_encode_insn(&in, 1 << 18, out, &err), -1);

	/* A thread too big for the buffer, and word_of. */
	const char *src = "AArch64 W\n{}\n P0 ;\n MOV X0,#0x123456789abc ;\n L: NOP ;\n B L ;\n"
			  "exists (0:X0=0)\n";
	assert_int_equal(litmus_parse(src, strlen(src), &t, &err), 0);
	uint32_t buf[8];
	int word_of[LITMUS_MAX_INSNS + 1];
	assert_int_equal(litmus_encode_thread(&t.thread[0], buf, 4, word_of, &err), -1);
	assert_int_equal(litmus_encode_thread(&t.thread[0], buf, 8, word_of, &err), 5);
	assert_int_equal(word_of[0], 0);
	assert_int_equal(word_of[1], 3);
	assert_int_equal(word_of[2], 4);
	assert_int_equal(word_of[3], 5);
	assert_int_equal(buf[4], 0x17ffffffu); /* B -1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_forms),	   cmocka_unit_test(test_wide_mov),
	    cmocka_unit_test(test_refused_alike),  cmocka_unit_test(test_herd_corpus_words),
	    cmocka_unit_test(test_encoder_guards),
	};
	ht_watchdog(240);
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
