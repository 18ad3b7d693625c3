/*
 * parse.c — read a herd AArch64 litmus test from a memory buffer into a
 * struct litmus_test.  See litmus.h for the representation.
 *
 * The parser is a hand-written recursive descent over the text, in the order
 * the file has its parts:
 *   1. header:     "AArch64 NAME", an optional "doc string", KEY=VALUE lines
 *   2. init block: "{ entry; entry; ... }"
 *   3. code:       a row "P0 | P1 ... ;", then rows of cells ending in ";"
 *                  (each cell: labels "L0:" and at most one instruction)
 *   4. the end:    optional "locations [...]", then exists/~exists/forall
 *                  with a condition over /\ \/ ~ ( ) and atoms.
 * OCaml comments "(* ... *)" (nested) count as blanks anywhere.  Outside the
 * header and metadata lines newlines are blanks too, as in herd.
 *
 * The first problem stops the parse with its line and column.  Whatever the
 * runner could not execute exactly as written (an unknown instruction, an
 * immediate with no encoding, a semantic metadata key such as Variant=) is an
 * error, never skipped.  Every loop is bounded by the input or by a LITMUS_MAX_*
 * limit, so any input, however malformed, ends in a result or an error.
 */
#include "kernel/litmus/litmus.h"
#include "kernel/litmus/encode.h"
#include "kernel/litmus/strbuf.h"

#include <string.h>

#define MAX_OPERANDS 5
/* Nesting of ( and ~ in the condition: each level costs about 200 bytes of
 * stack (parse_atom, parse_or, parse_and), and a kernel task has 16 KiB. */
#define MAX_DEPTH 16
#define WORD_MAX  32 /* longest word (mnemonic, register, label) we read */

struct parser {
	const char *s;
	size_t len, pos;
	int line, col;
	struct litmus_test *t;
	struct litmus_error *err;
	/* The init block may name threads before the code says how many there
	 * are: remember the highest, and where, to check it afterwards. */
	int init_max_thread, init_line, init_col;
};

/* ---------------------------------------------------------------- errors */

/* Record an error at line:col whose message is a, b, c concatenated (NULLs
 * skipped).  Returns -1 so callers can "return fail(...)". */
static int fail_at(struct parser *p, int line, int col, const char *a, const char *b, const char *c)
{
	struct strbuf sb;
	p->err->line = line;
	p->err->col = col;
	sb_init(&sb, p->err->msg, sizeof p->err->msg);
	sb_puts(&sb, a);
	sb_puts(&sb, b);
	sb_puts(&sb, c);
	return -1;
}

static int fail(struct parser *p, const char *a, const char *b, const char *c)
{
	return fail_at(p, p->line, p->col, a, b, c);
}

/* A number as text, for messages: uses a small caller-supplied buffer. */
static const char *num_text(char *buf, size_t size, int64_t v)
{
	struct strbuf sb;
	sb_init(&sb, buf, size);
	sb_puti(&sb, v);
	return buf;
}

/* "too many <what> (limit N)" */
static int fail_limit(struct parser *p, int line, int col, const char *what, int limit)
{
	char n[24], msg[80];
	struct strbuf sb;
	sb_init(&sb, msg, sizeof msg);
	sb_puts(&sb, "too many ");
	sb_puts(&sb, what);
	sb_puts(&sb, " (limit ");
	sb_puts(&sb, num_text(n, sizeof n, limit));
	sb_puts(&sb, ")");
	return fail_at(p, line, col, msg, NULL, NULL);
}

/* The character at the cursor, quoted for a message: 'x', or "end of file". */
static const char *here_text(struct parser *p, char *buf, size_t size)
{
	struct strbuf sb;
	sb_init(&sb, buf, size);
	if (p->pos >= p->len) {
		sb_puts(&sb, "end of file");
		return buf;
	}
	unsigned char c = (unsigned char)p->s[p->pos];
	if (c == '\n') {
		sb_puts(&sb, "end of line");
	} else if (c >= 0x20 && c < 0x7f) {
		sb_putc(&sb, '\'');
		sb_putc(&sb, (char)c);
		sb_putc(&sb, '\'');
	} else {
		sb_puts(&sb, "byte ");
		sb_puthex(&sb, c);
	}
	return buf;
}

static int fail_expected(struct parser *p, const char *what)
{
	char found[24], msg[LITMUS_ERR_MAX];
	struct strbuf sb;
	sb_init(&sb, msg, sizeof msg);
	sb_puts(&sb, "expected ");
	sb_puts(&sb, what);
	sb_puts(&sb, ", found ");
	sb_puts(&sb, here_text(p, found, sizeof found));
	return fail(p, msg, NULL, NULL);
}

/* ---------------------------------------------------------------- characters */

static int peek(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int peek_at(struct parser *p, size_t k)
{
	return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static void advance(struct parser *p)
{
	if (p->pos >= p->len)
		return;
	if (p->s[p->pos] == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->pos++;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive equality of a NUL-terminated word with s. */
static bool same_word(const char *word, const char *s)
{
	for (; *word && *s; word++, s++)
		if (upper((unsigned char)*word) != upper((unsigned char)*s))
			return false;
	return *word == *s;
}

/* Skip blanks and (nested) comments; newlines too when lines is true.
 * Returns -1 on an unterminated comment. */
static int skip_blank(struct parser *p, bool lines)
{
	for (;;) {
		int c = peek(p);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' ||
		    (lines && c == '\n')) {
			advance(p);
		} else if (c == '(' && peek_at(p, 1) == '*') {
			int line = p->line, col = p->col, depth = 0;
			do {
				if (peek(p) < 0)
					return fail_at(p, line, col, "unterminated comment '(*'",
						       NULL, NULL);
				if (peek(p) == '(' && peek_at(p, 1) == '*') {
					depth++;
					advance(p);
				} else if (peek(p) == '*' && peek_at(p, 1) == ')') {
					depth--;
					advance(p);
				}
				advance(p);
			} while (depth > 0);
		} else {
			return 0;
		}
	}
}

static int skip(struct parser *p)
{
	return skip_blank(p, true);
}

/* Expect character c (after blanks). */
static int expect(struct parser *p, char c, const char *what)
{
	if (skip(p) < 0)
		return -1;
	if (peek(p) != (unsigned char)c)
		return fail_expected(p, what);
	advance(p);
	return 0;
}

/* Read a word of [A-Za-z0-9_] (and '.' if dots) into buf.  Empty if none. */
static int read_word(struct parser *p, char *buf, size_t size, bool dots)
{
	int line = p->line, col = p->col;
	size_t n = 0;
	while (is_alnum(peek(p)) || (dots && peek(p) == '.')) {
		if (n + 1 >= size)
			return fail_at(p, line, col, "name too long", NULL, NULL);
		buf[n++] = (char)peek(p);
		advance(p);
	}
	buf[n] = '\0';
	return 0;
}

/* The word at the cursor, without consuming it (for keyword checks). */
static bool at_word(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);
	if (p->pos + n > p->len || memcmp(p->s + p->pos, kw, n) != 0)
		return false;
	return !is_alnum(peek_at(p, n));
}

/* A number: optional '-', then decimal or 0x hex.  Anything up to 2^64-1 is
 * taken (as its bit pattern); negative down to -2^63. */
static int read_number(struct parser *p, int64_t *out)
{
	int line = p->line, col = p->col;
	bool neg = false;
	if (peek(p) == '-') {
		neg = true;
		advance(p);
	}
	if (!is_digit(peek(p)))
		return fail_expected(p, "a number");
	uint64_t v = 0;
	unsigned base = 10;
	if (peek(p) == '0' && (peek_at(p, 1) == 'x' || peek_at(p, 1) == 'X')) {
		base = 16;
		advance(p);
		advance(p);
		if (!is_alnum(peek(p)))
			return fail_expected(p, "hex digits after 0x");
	}
	while (is_alnum(peek(p))) {
		int c = upper(peek(p));
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad digit in number", NULL, NULL);
		if (v > (UINT64_MAX - d) / base)
			return fail_at(p, line, col, "number too large (limit 64 bits)", NULL,
				       NULL);
		v = v * base + d;
		advance(p);
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return fail_at(p, line, col, "number too small (limit -2^63)", NULL, NULL);
		*out = (int64_t)(0 - v);
	} else {
		*out = (int64_t)v;
	}
	return 0;
}

/* ---------------------------------------------------------------- locations */

/* The index of location name, created (initial value 0) if new. */
static int intern_loc(struct parser *p, const char *name, int line, int col)
{
	struct litmus_test *t = p->t;
	int i = litmus_find_loc(t, name);
	if (i >= 0)
		return i;
	if (t->nlocs >= LITMUS_MAX_LOCS)
		return fail_limit(p, line, col, "memory locations", LITMUS_MAX_LOCS);
	if (strlen(name) >= LITMUS_SYM_MAX)
		return fail_at(p, line, col, "location name '", name, "' too long");
	struct litmus_location *l = &t->loc[t->nlocs];
	memset(l, 0, sizeof *l);
	strcpy(l->name, name);
	l->init.kind = LITMUS_VAL_INT;
	return t->nlocs++;
}

/* A location name: an identifier that is not followed by '(' or '['
 * (herd's PTE(x), arrays...: not supported). */
static int read_loc_name(struct parser *p, char *buf, size_t size)
{
	int line = p->line, col = p->col;
	if (!is_alpha(peek(p)))
		return fail_expected(p, "a location name");
	if (read_word(p, buf, size, false) < 0)
		return -1;
	if (peek(p) == '(')
		return fail_at(p, line, col, "unsupported construct '", buf, "(...)'");
	if (peek(p) == '[')
		return fail_at(p, line, col, "arrays are not supported: '", buf, "[...]'");
	return 0;
}

/* A value: a number, or a location name standing for its address. */
static int read_value(struct parser *p, struct litmus_value *v)
{
	if (skip(p) < 0)
		return -1;
	memset(v, 0, sizeof *v);
	if (is_digit(peek(p)) || peek(p) == '-') {
		v->kind = LITMUS_VAL_INT;
		return read_number(p, &v->num);
	}
	if (peek(p) == '&')
		advance(p); /* &x: the address of x, as x alone */
	int line = p->line, col = p->col;
	char name[LITMUS_SYM_MAX];
	if (read_loc_name(p, name, sizeof name) < 0)
		return -1;
	int loc = intern_loc(p, name, line, col);
	if (loc < 0)
		return -1;
	v->kind = LITMUS_VAL_ADDR;
	v->loc = (int16_t)loc;
	return 0;
}

/* "N:Xk" (the digit at the cursor).  W registers are accepted where width
 * does not matter (the condition): herd compares the whole register. */
static int read_reg_place(struct parser *p, struct litmus_place *pl)
{
	int line = p->line, col = p->col;
	int64_t th;
	char n[24];
	if (read_number(p, &th) < 0)
		return -1;
	if (skip_blank(p, false) < 0)
		return -1;
	if (peek(p) != ':')
		return fail_expected(p, "':' after a thread number (as in 0:X1)");
	advance(p);
	if (skip_blank(p, false) < 0) /* herd takes "0: X1" too */
		return -1;
	if (th < 0 || th >= LITMUS_MAX_THREADS) {
		char msg[80];
		struct strbuf sb;
		sb_init(&sb, msg, sizeof msg);
		sb_puts(&sb, "thread ");
		sb_puti(&sb, th);
		sb_puts(&sb, " out of range (limit ");
		sb_putu(&sb, LITMUS_MAX_THREADS);
		sb_puts(&sb, " threads)");
		return fail_at(p, line, col, msg, NULL, NULL);
	}
	int rline = p->line, rcol = p->col;
	char word[WORD_MAX];
	if (read_word(p, word, sizeof word, false) < 0)
		return -1;
	int c0 = upper((unsigned char)word[0]);
	int reg = -1;
	if ((c0 == 'X' || c0 == 'W') && is_digit((unsigned char)word[1])) {
		reg = 0;
		for (const char *d = word + 1; *d; d++) {
			if (!is_digit((unsigned char)*d) || reg > 30) {
				reg = -1;
				break;
			}
			reg = reg * 10 + (*d - '0');
		}
		if (word[1] == '0' && word[2])
			reg = -1; /* X01 */
	}
	if (reg < 0 || reg > 30)
		return fail_at(p, rline, rcol, "expected a register X0..X30 after '",
			       num_text(n, sizeof n, th), ":'");
	pl->kind = LITMUS_PLACE_REG;
	pl->thread = (uint8_t)th;
	pl->reg = (uint8_t)reg;
	pl->loc = -1;
	return 0;
}

/* A location place: "x" or "[x]". */
static int read_loc_place(struct parser *p, struct litmus_place *pl)
{
	bool bracket = peek(p) == '[';
	if (bracket) {
		advance(p);
		if (skip(p) < 0)
			return -1;
	}
	int line = p->line, col = p->col;
	char name[LITMUS_SYM_MAX];
	if (read_loc_name(p, name, sizeof name) < 0)
		return -1;
	if (bracket && expect(p, ']', "']'") < 0)
		return -1;
	int loc = intern_loc(p, name, line, col);
	if (loc < 0)
		return -1;
	pl->kind = LITMUS_PLACE_LOC;
	pl->thread = 0;
	pl->reg = 0;
	pl->loc = (int16_t)loc;
	return 0;
}

static int read_place(struct parser *p, struct litmus_place *pl)
{
	if (skip(p) < 0)
		return -1;
	if (is_digit(peek(p)))
		return read_reg_place(p, pl);
	if (peek(p) == '[' || is_alpha(peek(p)))
		return read_loc_place(p, pl);
	return fail_expected(p, "a register (0:X1) or a location (x, [x])");
}

/* ---------------------------------------------------------------- 1. header */

static bool is_key_char(int c)
{
	return is_alnum(c) || c == '-' || c == '.';
}

/* Metadata keys that change what the test means: refused, since the runner
 * and the model know only plain ARMv8 at one exception level. */
static const char *const semantic_keys[] = {"Variant", "EL0", "Scopes", "Levels", NULL};

/* The rest of the line (to '\n' or the end), trimmed, cut to fit buf. */
static void read_line_rest(struct parser *p, char *buf, size_t size)
{
	size_t n = 0;
	while (peek(p) >= 0 && peek(p) != '\n') {
		if (n + 1 < size)
			buf[n++] = (char)peek(p);
		advance(p);
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
}

static int read_doc(struct parser *p)
{
	int line = p->line, col = p->col;
	size_t n = 0;
	advance(p); /* the opening quote */
	while (peek(p) != '"') {
		if (peek(p) < 0)
			return fail_at(p, line, col, "unterminated doc string", NULL, NULL);
		if (n + 1 < sizeof p->t->doc)
			p->t->doc[n++] = (char)peek(p);
		advance(p);
	}
	advance(p);
	p->t->doc[n] = '\0';
	return 0;
}

static int read_meta(struct parser *p)
{
	struct litmus_test *t = p->t;
	int line = p->line, col = p->col;
	char key[LITMUS_KEY_MAX];
	size_t n = 0;
	while (is_key_char(peek(p))) {
		if (n + 1 >= sizeof key)
			return fail_at(p, line, col, "metadata key too long", NULL, NULL);
		key[n++] = (char)peek(p);
		advance(p);
	}
	key[n] = '\0';
	if (skip_blank(p, false) < 0)
		return -1;
	if (peek(p) != '=')
		return fail_expected(p, "'=' after a metadata key, or '{' to start the init block");
	advance(p);
	for (int i = 0; semantic_keys[i]; i++)
		if (strcmp(key, semantic_keys[i]) == 0)
			return fail_at(p, line, col, "unsupported metadata '", key,
				       "=' (it changes the test's meaning)");
	char value[LITMUS_DOC_MAX];
	read_line_rest(p, value, sizeof value);
	if (t->nmeta < LITMUS_MAX_META) {
		strcpy(t->meta[t->nmeta].key, key);
		strcpy(t->meta[t->nmeta].value, value);
		t->nmeta++;
	}
	return 0;
}

static int parse_header(struct parser *p)
{
	char arch[WORD_MAX];
	if (skip(p) < 0)
		return -1;
	int line = p->line, col = p->col;
	if (!is_alpha(peek(p)))
		return fail_expected(p, "'AArch64 NAME' at the start of the test");
	if (read_word(p, arch, sizeof arch, false) < 0)
		return -1;
	if (strcmp(arch, "AArch64") != 0)
		return fail_at(p, line, col, "unsupported architecture '", arch,
			       "' (only AArch64 tests)");
	if (skip_blank(p, false) < 0)
		return -1;
	line = p->line;
	col = p->col;
	size_t n = 0;
	while (peek(p) > ' ' && peek(p) < 0x7f && peek(p) != '"') {
		if (n + 1 >= sizeof p->t->name)
			return fail_limit(p, line, col, "characters in the test name",
					  LITMUS_NAME_MAX - 1);
		p->t->name[n++] = (char)peek(p);
		advance(p);
	}
	p->t->name[n] = '\0';
	if (n == 0)
		return fail_expected(p, "the test's name after 'AArch64'");

	/* Doc strings and metadata until the init block. */
	for (;;) {
		if (skip(p) < 0)
			return -1;
		int c = peek(p);
		if (c == '{')
			return 0;
		if (c == '"') {
			if (read_doc(p) < 0)
				return -1;
		} else if (is_key_char(c)) {
			if (read_meta(p) < 0)
				return -1;
		} else {
			return fail_expected(p, "'{' to start the init block");
		}
	}
}

/* ---------------------------------------------------------------- 2. init block */

struct type_name {
	const char *name;
	int type; /* enum litmus_type, or -1: refused */
};

static const struct type_name type_names[] = {
    {"int", LITMUS_TYPE_INT32},
    {"int32_t", LITMUS_TYPE_INT32},
    {"uint32_t", LITMUS_TYPE_UINT32},
    {"int64_t", LITMUS_TYPE_INT64},
    {"uint64_t", LITMUS_TYPE_UINT64},
    {"long", LITMUS_TYPE_INT64},
    {"intptr_t", LITMUS_TYPE_PTR},
    {"uintptr_t", LITMUS_TYPE_PTR},
    {"char", -1},
    {"short", -1},
    {"int8_t", -1},
    {"uint8_t", -1},
    {"int16_t", -1},
    {"uint16_t", -1},
    {"int128_t", -1},
    {"uint128_t", -1},
    {"pteval_t", -1},
    {NULL, 0},
};

static const struct type_name *find_type(const char *word)
{
	for (const struct type_name *tn = type_names; tn->name; tn++)
		if (strcmp(tn->name, word) == 0)
			return tn;
	return NULL;
}

static int init_reg(struct parser *p, const struct litmus_place *pl, int type, bool has_value,
		    const struct litmus_value *v, int line, int col)
{
	char n[24];
	struct litmus_reginit *ri = &p->t->thread[pl->thread].init[pl->reg];
	if (ri->set)
		return fail_at(p, line, col, "register initialised twice in thread ",
			       num_text(n, sizeof n, pl->thread), "");
	ri->set = true;
	ri->type = (uint8_t)type;
	if (has_value)
		ri->value = *v;
	if (pl->thread > p->init_max_thread) {
		p->init_max_thread = pl->thread;
		p->init_line = line;
		p->init_col = col;
	}
	return 0;
}

static int init_loc(struct parser *p, const struct litmus_place *pl, int type, bool has_value,
		    const struct litmus_value *v, int line, int col)
{
	struct litmus_location *l = &p->t->loc[pl->loc];
	if (l->set && has_value)
		return fail_at(p, line, col, "location '", l->name, "' initialised twice");
	if (type != LITMUS_TYPE_NONE)
		l->type = (uint8_t)type;
	if (has_value) {
		l->set = true;
		l->init = *v;
	}
	return 0;
}

/* One entry: [type] place [= value]. */
static int parse_init_entry(struct parser *p)
{
	int line = p->line, col = p->col;
	int type = LITMUS_TYPE_NONE;

	/* A type name is a word followed by blanks and another place. */
	if (is_alpha(peek(p))) {
		size_t save = p->pos;
		int sline = p->line, scol = p->col;
		char word[WORD_MAX];
		if (read_word(p, word, sizeof word, false) < 0)
			return -1;
		const struct type_name *tn = find_type(word);
		if (tn) {
			if (tn->type < 0)
				return fail_at(p, line, col, "unsupported type '", word,
					       "' (only 32- and 64-bit values)");
			type = tn->type;
			if (skip(p) < 0)
				return -1;
			while (peek(p) == '*') {
				type = LITMUS_TYPE_PTR;
				advance(p);
				if (skip(p) < 0)
					return -1;
			}
		} else {
			p->pos = save;
			p->line = sline;
			p->col = scol;
		}
	}

	int pline = p->line, pcol = p->col;
	struct litmus_place pl;
	if (read_place(p, &pl) < 0)
		return -1;
	if (skip(p) < 0)
		return -1;
	struct litmus_value v = {.kind = LITMUS_VAL_INT};
	bool has_value = false;
	if (peek(p) == '=') {
		advance(p);
		if (read_value(p, &v) < 0)
			return -1;
		has_value = true;
	}
	if (pl.kind == LITMUS_PLACE_REG)
		return init_reg(p, &pl, type, has_value, &v, pline, pcol);
	return init_loc(p, &pl, type, has_value, &v, pline, pcol);
}

static int parse_init(struct parser *p)
{
	if (expect(p, '{', "'{'") < 0)
		return -1;
	for (;;) {
		if (skip(p) < 0)
			return -1;
		if (peek(p) == '}') {
			advance(p);
			return 0;
		}
		if (peek(p) == ';') { /* an empty entry */
			advance(p);
			continue;
		}
		if (peek(p) < 0)
			return fail_expected(p, "'}' to close the init block");
		if (parse_init_entry(p) < 0)
			return -1;
		if (skip(p) < 0)
			return -1;
		if (peek(p) == ';')
			advance(p);
		else if (peek(p) != '}')
			return fail_expected(p, "';' or '}' after an init entry");
	}
}

/* ---------------------------------------------------------------- 3. instructions */

enum operand_kind { OPD_REG, OPD_IMM, OPD_MEM, OPD_WORD };

/* Index/extend of a memory operand. */
enum ext_kind { EXT_NONE, EXT_LSL, EXT_SXTW, EXT_UXTW };

struct operand {
	int kind; /* enum operand_kind */
	int line, col;
	struct litmus_reg reg; /* REG; MEM: the base */
	int64_t imm; /* IMM; WORD: the amount after it (LSL #12); MEM: the offset */
	bool has_imm; /* WORD, MEM */
	char word[WORD_MAX]; /* WORD */
	/* MEM with an index register */
	struct litmus_reg index;
	int ext; /* enum ext_kind */
	int amount; /* the extend's shift amount */
	bool has_amount;
};

struct insn_text {
	const char *mnemonic;
	int line, col; /* of the mnemonic */
	int nops;
	struct operand op[MAX_OPERANDS];
};

/* Register names: X0..X30, W0..W30, XZR, WZR.  Returns 1 and fills *r if
 * word is one, 0 if it is not a register name, -1 (error set) for SP or a
 * number out of range. */
static int reg_from_word(struct parser *p, const char *word, int line, int col,
			 struct litmus_reg *r)
{
	int c0 = upper((unsigned char)word[0]);
	if (same_word(word, "SP") || same_word(word, "WSP"))
		return fail_at(p, line, col, "the stack pointer '", word,
			       "' is not supported (the runner owns SP)");
	if (c0 != 'X' && c0 != 'W')
		return 0;
	r->width = c0 == 'X' ? 64 : 32;
	if (same_word(word + 1, "ZR")) {
		r->num = LITMUS_ZR;
		return 1;
	}
	if (!is_digit((unsigned char)word[1]))
		return 0;
	int n = 0;
	for (const char *d = word + 1; *d; d++) {
		if (!is_digit((unsigned char)*d))
			return 0; /* X1a: not a register (maybe a label) */
		if (n > 30)
			break;
		n = n * 10 + (*d - '0');
	}
	if (n > 30 || (word[1] == '0' && word[2]))
		return fail_at(p, line, col, "no register '", word,
			       "' (X0..X30, W0..W30, XZR, WZR)");
	r->num = (uint8_t)n;
	return 1;
}

/* Blanks within an instruction (comments included, newlines not: a cell
 * ends at '|' or ';'). */
static int skip_in_insn(struct parser *p)
{
	return skip_blank(p, false);
}

static bool at_cell_end(struct parser *p)
{
	int c = peek(p);
	return c == '|' || c == ';' || c == '\n' || c < 0;
}

/* '#' number */
static int read_imm(struct parser *p, int64_t *v)
{
	if (peek(p) != '#')
		return fail_expected(p, "'#' and an immediate");
	advance(p);
	return read_number(p, v);
}

/* A register operand where one must be (inside [...]). */
static int read_reg(struct parser *p, struct litmus_reg *r, const char *what)
{
	int line = p->line, col = p->col;
	char word[WORD_MAX];
	if (skip_in_insn(p) < 0)
		return -1;
	line = p->line;
	col = p->col;
	if (!is_alpha(peek(p)))
		return fail_expected(p, what);
	if (read_word(p, word, sizeof word, false) < 0)
		return -1;
	int k = reg_from_word(p, word, line, col, r);
	if (k < 0)
		return -1;
	if (k == 0)
		return fail_at(p, line, col, "expected ", what, "");
	return 0;
}

/* [Xn], [Xn,#imm], [Xn,Xm], [Xn,Xm,LSL #s], [Xn,Wm,SXTW], [Xn,Wm,UXTW #s] */
static int read_mem(struct parser *p, struct operand *o)
{
	advance(p); /* '[' */
	o->kind = OPD_MEM;
	o->ext = EXT_NONE;
	if (read_reg(p, &o->reg, "a base register Xn after '['") < 0)
		return -1;
	if (skip_in_insn(p) < 0)
		return -1;
	if (peek(p) == ',') {
		advance(p);
		if (skip_in_insn(p) < 0)
			return -1;
		if (peek(p) == '#') {
			if (read_imm(p, &o->imm) < 0)
				return -1;
			o->has_imm = true;
		} else {
			if (read_reg(p, &o->index, "an offset '#imm' or an index register") < 0)
				return -1;
			o->ext = EXT_LSL;
			if (skip_in_insn(p) < 0)
				return -1;
			if (peek(p) == ',') {
				advance(p);
				if (skip_in_insn(p) < 0)
					return -1;
				int line = p->line, col = p->col;
				char word[WORD_MAX];
				if (read_word(p, word, sizeof word, false) < 0)
					return -1;
				if (same_word(word, "SXTW"))
					o->ext = EXT_SXTW;
				else if (same_word(word, "UXTW"))
					o->ext = EXT_UXTW;
				else if (same_word(word, "LSL"))
					o->ext = EXT_LSL;
				else
					return fail_at(p, line, col, "unsupported index extend '",
						       word, "' (LSL, SXTW or UXTW)");
				if (skip_in_insn(p) < 0)
					return -1;
				if (peek(p) == '#') {
					int64_t a;
					if (read_imm(p, &a) < 0)
						return -1;
					o->amount = (int)(a < 0 || a > 63 ? 64 : a);
					o->has_amount = true;
				} else if (o->ext == EXT_LSL) {
					return fail_expected(p, "'#amount' after LSL");
				}
			}
		}
		if (skip_in_insn(p) < 0)
			return -1;
	}
	if (peek(p) != ']')
		return fail_expected(p, "']' to close the address");
	advance(p);
	if (peek(p) == '!')
		return fail(p, "pre-indexed addressing '[...]!' is not supported", NULL, NULL);
	if (skip_in_insn(p) < 0)
		return -1;
	if (peek(p) == ',')
		return fail(p, "post-indexed addressing '[...],#imm' is not supported", NULL, NULL);
	return 0;
}

static int read_operand(struct parser *p, struct operand *o)
{
	memset(o, 0, sizeof *o);
	if (skip_in_insn(p) < 0)
		return -1;
	o->line = p->line;
	o->col = p->col;
	int c = peek(p);
	if (c == '#') {
		o->kind = OPD_IMM;
		return read_imm(p, &o->imm);
	}
	if (c == '[')
		return read_mem(p, o);
	if (!is_alpha(c))
		return fail_expected(p, "an operand");
	if (read_word(p, o->word, sizeof o->word, false) < 0)
		return -1;
	int k = reg_from_word(p, o->word, o->line, o->col, &o->reg);
	if (k < 0)
		return -1;
	if (k == 1) {
		o->kind = OPD_REG;
		return 0;
	}
	o->kind = OPD_WORD;
	if (skip_in_insn(p) < 0)
		return -1;
	if (peek(p) == '#') { /* LSL #12 */
		if (read_imm(p, &o->imm) < 0)
			return -1;
		o->has_imm = true;
	}
	return 0;
}

/* The operands after a mnemonic, up to the end of the cell. */
static int read_operands(struct parser *p, struct insn_text *it)
{
	it->nops = 0;
	if (skip_in_insn(p) < 0)
		return -1;
	if (at_cell_end(p))
		return 0;
	for (;;) {
		if (it->nops >= MAX_OPERANDS)
			return fail(p, it->mnemonic, ": too many operands", NULL);
		if (read_operand(p, &it->op[it->nops++]) < 0)
			return -1;
		if (skip_in_insn(p) < 0)
			return -1;
		if (at_cell_end(p))
			return 0;
		if (peek(p) != ',')
			return fail_expected(p, "',' or the end of the instruction ('|' or ';')");
		advance(p);
	}
}

/* ---- operand checks, each naming the instruction in its message */

static int bad_operand(struct parser *p, const struct insn_text *it, int i, const char *what)
{
	if (i < it->nops)
		return fail_at(p, it->op[i].line, it->op[i].col, it->mnemonic, ": expected ", what);
	return fail_at(p, it->line, it->col, it->mnemonic, ": missing operand: ", what);
}

static int want_count(struct parser *p, const struct insn_text *it, int lo, int hi)
{
	if (it->nops > hi)
		return fail_at(p, it->op[hi].line, it->op[hi].col, it->mnemonic,
			       ": too many operands", NULL);
	if (it->nops < lo)
		return fail_at(p, it->line, it->col, it->mnemonic, ": too few operands", NULL);
	return 0;
}

static int want_reg(struct parser *p, const struct insn_text *it, int i, struct litmus_reg *r)
{
	if (i >= it->nops || it->op[i].kind != OPD_REG)
		return bad_operand(p, it, i, "a register (Xn or Wn)");
	*r = it->op[i].reg;
	return 0;
}

/* A register that must not be XZR/WZR (the encoding would mean SP). */
static int want_nzr(struct parser *p, const struct insn_text *it, int i, struct litmus_reg *r)
{
	if (want_reg(p, it, i, r) < 0)
		return -1;
	if (r->num == LITMUS_ZR)
		return fail_at(p, it->op[i].line, it->op[i].col, it->mnemonic,
			       ": XZR/WZR is not allowed here (the encoding would mean SP)", NULL);
	return 0;
}

static int same_width(struct parser *p, const struct insn_text *it, int i,
		      const struct litmus_reg *a, const struct litmus_reg *b)
{
	if (a->width != b->width)
		return fail_at(p, it->op[i].line, it->op[i].col, it->mnemonic,
			       ": registers must be all W or all X", NULL);
	return 0;
}

/* [Xn] (or [Xn,#0]) only. */
static int want_base(struct parser *p, const struct insn_text *it, int i, struct litmus_insn *in)
{
	if (i >= it->nops || it->op[i].kind != OPD_MEM)
		return bad_operand(p, it, i, "an address [Xn]");
	const struct operand *o = &it->op[i];
	if (o->ext != EXT_NONE || (o->has_imm && o->imm != 0))
		return fail_at(p, o->line, o->col, it->mnemonic,
			       ": only the address form [Xn] is allowed", NULL);
	if (o->reg.width != 64 || o->reg.num == LITMUS_ZR)
		return fail_at(p, o->line, o->col, it->mnemonic,
			       ": the base register must be X0..X30", NULL);
	in->rn = o->reg;
	in->addr = LITMUS_ADDR_BASE;
	return 0;
}

/* Any LDR/STR address. */
static int want_addr(struct parser *p, const struct insn_text *it, int i, struct litmus_insn *in)
{
	if (i >= it->nops || it->op[i].kind != OPD_MEM)
		return bad_operand(p, it, i, "an address such as [Xn], [Xn,#imm] or [Xn,Wm,SXTW]");
	const struct operand *o = &it->op[i];
	if (o->reg.width != 64 || o->reg.num == LITMUS_ZR)
		return fail_at(p, o->line, o->col, it->mnemonic,
			       ": the base register must be X0..X30", NULL);
	in->rn = o->reg;
	if (o->ext == EXT_NONE) {
		in->addr = o->has_imm ? LITMUS_ADDR_IMM : LITMUS_ADDR_BASE;
		in->imm = o->has_imm ? o->imm : 0;
		return 0;
	}
	int want = o->ext == EXT_LSL ? 64 : 32;
	if (o->index.width != want)
		return fail_at(p, o->line, o->col, it->mnemonic,
			       want == 64 ? ": the index register must be an X register here"
					  : ": SXTW/UXTW take a W index register",
			       NULL);
	in->addr = o->ext == EXT_LSL	? LITMUS_ADDR_REG
		   : o->ext == EXT_SXTW ? LITMUS_ADDR_SXTW
					: LITMUS_ADDR_UXTW;
	in->rm = o->index;
	/* The amount must be 0 (the same as none, as GNU as has it) or log2 of
	 * the access size. */
	int scale = in->rd.width == 64 ? 3 : 2;
	if (o->has_amount && o->amount != 0 && o->amount != scale)
		return fail_at(p, o->line, o->col, it->mnemonic,
			       ": the index shift must be #0 or the access size's log2 "
			       "(#2 for W, #3 for X)",
			       NULL);
	in->shift = (uint8_t)(o->has_amount ? o->amount : 0);
	return 0;
}

/* A branch target: a label name (looked up, or added as undefined). */
static int want_label(struct parser *p, const struct insn_text *it, int i, struct litmus_thread *th,
		      struct litmus_insn *in)
{
	if (i >= it->nops || it->op[i].kind != OPD_WORD || it->op[i].has_imm)
		return bad_operand(p, it, i, "a label");
	const struct operand *o = &it->op[i];
	if (strlen(o->word) >= LITMUS_SYM_MAX)
		return fail_at(p, o->line, o->col, "label name '", o->word, "' too long");
	int k;
	for (k = 0; k < th->nlabels; k++)
		if (strcmp(th->label[k].name, o->word) == 0)
			break;
	if (k == th->nlabels) {
		if (th->nlabels >= LITMUS_MAX_LABELS)
			return fail_limit(p, o->line, o->col, "labels in a thread",
					  LITMUS_MAX_LABELS);
		strcpy(th->label[k].name, o->word);
		th->label[k].index = -1; /* not yet defined */
		th->nlabels++;
	}
	in->label = (int16_t)k;
	in->target = -1;
	return 0;
}

struct named {
	const char *name;
	int value;
};

static const struct named barriers[] = {
    {"SY", LITMUS_BAR_SY},
    {"ST", LITMUS_BAR_ST},
    {"LD", LITMUS_BAR_LD},
    {"ISH", LITMUS_BAR_ISH},
    {"ISHST", LITMUS_BAR_ISHST},
    {"ISHLD", LITMUS_BAR_ISHLD},
    {"NSH", LITMUS_BAR_NSH},
    {"NSHST", LITMUS_BAR_NSHST},
    {"NSHLD", LITMUS_BAR_NSHLD},
    {"OSH", LITMUS_BAR_OSH},
    {"OSHST", LITMUS_BAR_OSHST},
    {"OSHLD", LITMUS_BAR_OSHLD},
    {NULL, 0},
};

static const struct named conds[] = {
    {"EQ", LITMUS_EQ}, {"NE", LITMUS_NE}, {"CS", LITMUS_CS}, {"HS", LITMUS_CS}, {"CC", LITMUS_CC},
    {"LO", LITMUS_CC}, {"MI", LITMUS_MI}, {"PL", LITMUS_PL}, {"VS", LITMUS_VS}, {"VC", LITMUS_VC},
    {"HI", LITMUS_HI}, {"LS", LITMUS_LS}, {"GE", LITMUS_GE}, {"LT", LITMUS_LT}, {"GT", LITMUS_GT},
    {"LE", LITMUS_LE}, {"AL", LITMUS_AL}, {"NV", LITMUS_NV}, {NULL, 0},
};

static int lookup(const struct named *table, const char *word)
{
	for (; table->name; table++)
		if (same_word(word, table->name))
			return table->value;
	return -1;
}

static int want_cond(struct parser *p, const struct insn_text *it, int i, struct litmus_insn *in)
{
	int c = -1;
	if (i < it->nops && it->op[i].kind == OPD_WORD && !it->op[i].has_imm)
		c = lookup(conds, it->op[i].word);
	if (c < 0)
		return bad_operand(p, it, i, "a condition code (EQ, NE, ...)");
	in->cond = (uint8_t)c;
	return 0;
}

/* The second operand of MOV/ALU/CMP at index i: a register (optionally
 * shifted by a following "LSL #n" operand) or an immediate (ADD/SUB/CMP:
 * optionally "LSL #12"). */
static int want_src(struct parser *p, const struct insn_text *it, int i, struct litmus_insn *in,
		    bool shifts)
{
	if (i < it->nops && it->op[i].kind == OPD_IMM) {
		in->src = LITMUS_SRC_IMM;
		in->imm = it->op[i].imm;
	} else if (i < it->nops && it->op[i].kind == OPD_REG) {
		in->src = LITMUS_SRC_REG;
		in->rm = it->op[i].reg;
	} else {
		return bad_operand(p, it, i, "a register or an immediate '#imm'");
	}
	if (i + 1 >= it->nops)
		return 0;
	const struct operand *o = &it->op[i + 1];
	bool addsub = in->op == LITMUS_ADD || in->op == LITMUS_SUB || in->op == LITMUS_CMP;
	int st = -1;
	if (o->kind == OPD_WORD) {
		if (same_word(o->word, "LSL"))
			st = LITMUS_LSL;
		else if (same_word(o->word, "LSR"))
			st = LITMUS_LSR;
		else if (same_word(o->word, "ASR"))
			st = LITMUS_ASR;
	}
	if (!shifts || st < 0 || !o->has_imm)
		return fail_at(p, o->line, o->col, it->mnemonic,
			       ": unsupported operand (a shift is 'LSL #n')", NULL);
	if (in->src == LITMUS_SRC_IMM) {
		if (!addsub || st != LITMUS_LSL || (o->imm != 0 && o->imm != 12))
			return fail_at(p, o->line, o->col, it->mnemonic,
				       ": an immediate may only be shifted by LSL #0 or LSL #12",
				       NULL);
	} else {
		int width = in->rm.width ? in->rm.width : 64;
		if (o->imm < 0 || o->imm >= width)
			return fail_at(p, o->line, o->col, it->mnemonic,
				       ": shift amount out of range", NULL);
	}
	in->shift_type = (uint8_t)st;
	in->shift = (uint8_t)o->imm;
	return 0;
}

/* Mnemonics and their ops.  B.cond is handled apart. */
static const struct named mnemonics[] = {
    {"NOP", LITMUS_NOP},
    {"MOV", LITMUS_MOV},
    {"LDR", LITMUS_LDR},
    {"STR", LITMUS_STR},
    {"LDAR", LITMUS_LDAR},
    {"LDAPR", LITMUS_LDAPR},
    {"STLR", LITMUS_STLR},
    {"LDXR", LITMUS_LDXR},
    {"LDAXR", LITMUS_LDAXR},
    {"STXR", LITMUS_STXR},
    {"STLXR", LITMUS_STLXR},
    {"SWP", LITMUS_SWP},
    {"SWPA", LITMUS_SWPA},
    {"SWPL", LITMUS_SWPL},
    {"SWPAL", LITMUS_SWPAL},
    {"CAS", LITMUS_CAS},
    {"CASA", LITMUS_CASA},
    {"CASL", LITMUS_CASL},
    {"CASAL", LITMUS_CASAL},
    {"LDADD", LITMUS_LDADD},
    {"LDADDA", LITMUS_LDADDA},
    {"LDADDL", LITMUS_LDADDL},
    {"LDADDAL", LITMUS_LDADDAL},
    {"STADD", LITMUS_STADD},
    {"STADDL", LITMUS_STADDL},
    {"DMB", LITMUS_DMB},
    {"DSB", LITMUS_DSB},
    {"ISB", LITMUS_ISB},
    {"ADD", LITMUS_ADD},
    {"SUB", LITMUS_SUB},
    {"EOR", LITMUS_EOR},
    {"AND", LITMUS_AND},
    {"ORR", LITMUS_ORR},
    {"CMP", LITMUS_CMP},
    {"CSEL", LITMUS_CSEL},
    {"CBZ", LITMUS_CBZ},
    {"CBNZ", LITMUS_CBNZ},
    {"B", LITMUS_B},
    {NULL, 0},
};

/* Fill in from the operand list; the op is already set. */
static int build_insn(struct parser *p, const struct insn_text *it, struct litmus_thread *th,
		      struct litmus_insn *in)
{
	switch (in->op) {
	case LITMUS_NOP:
	case LITMUS_ISB:
		return want_count(p, it, 0, 0);
	case LITMUS_DMB:
	case LITMUS_DSB: {
		if (want_count(p, it, 1, 1) < 0)
			return -1;
		int b = -1;
		if (it->op[0].kind == OPD_WORD && !it->op[0].has_imm)
			b = lookup(barriers, it->op[0].word);
		if (b < 0)
			return bad_operand(p, it, 0,
					   "a barrier option (SY, ST, LD, ISH, ISHST, ISHLD, NSH, "
					   "NSHST, NSHLD, OSH, OSHST, OSHLD)");
		in->barrier = (uint8_t)b;
		return 0;
	}
	case LITMUS_MOV:
		if (want_count(p, it, 2, 2) < 0 || want_reg(p, it, 0, &in->rd) < 0 ||
		    want_src(p, it, 1, in, false) < 0)
			return -1;
		if (in->src == LITMUS_SRC_REG)
			return same_width(p, it, 1, &in->rd, &in->rm);
		return 0;
	case LITMUS_ADD:
	case LITMUS_SUB:
	case LITMUS_EOR:
	case LITMUS_AND:
	case LITMUS_ORR:
		if (want_count(p, it, 3, 4) < 0 || want_reg(p, it, 0, &in->rd) < 0 ||
		    want_reg(p, it, 1, &in->rn) < 0 || same_width(p, it, 1, &in->rd, &in->rn) < 0 ||
		    want_src(p, it, 2, in, true) < 0)
			return -1;
		if (in->src == LITMUS_SRC_REG)
			return same_width(p, it, 2, &in->rd, &in->rm);
		if (in->op == LITMUS_ADD || in->op == LITMUS_SUB) {
			if (in->rd.num == LITMUS_ZR)
				return want_nzr(p, it, 0, &in->rd);
			return want_nzr(p, it, 1, &in->rn);
		}
		return want_nzr(p, it, 0, &in->rd);
	case LITMUS_CMP:
		if (want_count(p, it, 2, 3) < 0 || want_reg(p, it, 0, &in->rn) < 0 ||
		    want_src(p, it, 1, in, true) < 0)
			return -1;
		if (in->src == LITMUS_SRC_REG)
			return same_width(p, it, 1, &in->rn, &in->rm);
		return want_nzr(p, it, 0, &in->rn);
	case LITMUS_CSEL:
		if (want_count(p, it, 4, 4) < 0 || want_reg(p, it, 0, &in->rd) < 0 ||
		    want_reg(p, it, 1, &in->rn) < 0 || want_reg(p, it, 2, &in->rm) < 0 ||
		    same_width(p, it, 1, &in->rd, &in->rn) < 0 ||
		    same_width(p, it, 2, &in->rd, &in->rm) < 0)
			return -1;
		return want_cond(p, it, 3, in);
	case LITMUS_LDR:
	case LITMUS_STR:
		if (want_count(p, it, 2, 2) < 0 || want_reg(p, it, 0, &in->rd) < 0)
			return -1;
		return want_addr(p, it, 1, in);
	case LITMUS_LDAR:
	case LITMUS_LDAPR:
	case LITMUS_STLR:
	case LITMUS_LDXR:
	case LITMUS_LDAXR:
		if (want_count(p, it, 2, 2) < 0 || want_reg(p, it, 0, &in->rd) < 0)
			return -1;
		return want_base(p, it, 1, in);
	case LITMUS_STXR:
	case LITMUS_STLXR:
		if (want_count(p, it, 3, 3) < 0 || want_reg(p, it, 0, &in->rs) < 0 ||
		    want_reg(p, it, 1, &in->rd) < 0 || want_base(p, it, 2, in) < 0)
			return -1;
		if (in->rs.width != 32)
			return bad_operand(p, it, 0, "a W register for the status");
		if (in->rs.num == in->rd.num || in->rs.num == in->rn.num)
			return fail_at(p, it->op[0].line, it->op[0].col, it->mnemonic,
				       ": the status register must differ from the others "
				       "(else the result is UNPREDICTABLE)",
				       NULL);
		return 0;
	case LITMUS_STADD:
	case LITMUS_STADDL:
		if (want_count(p, it, 2, 2) < 0 || want_reg(p, it, 0, &in->rs) < 0 ||
		    want_base(p, it, 1, in) < 0)
			return -1;
		in->rd.num = LITMUS_ZR;
		in->rd.width = in->rs.width;
		return 0;
	case LITMUS_CBZ:
	case LITMUS_CBNZ:
		if (want_count(p, it, 2, 2) < 0 || want_reg(p, it, 0, &in->rd) < 0)
			return -1;
		return want_label(p, it, 1, th, in);
	case LITMUS_B:
		if (want_count(p, it, 1, 1) < 0)
			return -1;
		return want_label(p, it, 0, th, in);
	case LITMUS_BCOND:
		if (want_count(p, it, 1, 1) < 0)
			return -1;
		return want_label(p, it, 0, th, in);
	default: /* SWP*, CAS*, LDADD*: Rs, Rt, [Xn] */
		if (want_count(p, it, 3, 3) < 0 || want_reg(p, it, 0, &in->rs) < 0 ||
		    want_reg(p, it, 1, &in->rd) < 0 || same_width(p, it, 1, &in->rs, &in->rd) < 0)
			return -1;
		return want_base(p, it, 2, in);
	}
}

/* One instruction whose mnemonic word was read at line:col. */
static int parse_insn(struct parser *p, struct litmus_thread *th, const char *word, int line,
		      int col)
{
	struct insn_text it;
	memset(&it, 0, sizeof it);
	it.mnemonic = word;
	it.line = line;
	it.col = col;
	if (th->ninsns >= LITMUS_MAX_INSNS)
		return fail_limit(p, line, col, "instructions in a thread", LITMUS_MAX_INSNS);
	struct litmus_insn *in = &th->insn[th->ninsns];
	memset(in, 0, sizeof *in);
	in->line = (uint16_t)(line > 0xffff ? 0xffff : line);
	in->col = (uint16_t)(col > 0xffff ? 0xffff : col);
	in->target = -1;
	in->label = -1;

	int op = lookup(mnemonics, word);
	if (op < 0 && upper((unsigned char)word[0]) == 'B' && word[1] == '.') {
		int c = lookup(conds, word + 2);
		if (c < 0)
			return fail_at(p, line, col, "unknown condition code in '", word, "'");
		op = LITMUS_BCOND;
		in->cond = (uint8_t)c;
	}
	if (op < 0)
		return fail_at(p, line, col, "unsupported instruction '", word, "'");
	in->op = (uint8_t)op;
	if (read_operands(p, &it) < 0 || build_insn(p, &it, th, in) < 0)
		return -1;

	/* Every instruction must encode: catch an immediate without an
	 * encoding here, with its position, not when the runner needs it. */
	struct litmus_error e;
	if (litmus_insn_words(in, &e) < 0)
		return fail_at(p, line, col, e.msg, NULL, NULL);
	th->ninsns++;
	return 0;
}

static int define_label(struct parser *p, struct litmus_thread *th, const char *name, int line,
			int col)
{
	if (strlen(name) >= LITMUS_SYM_MAX)
		return fail_at(p, line, col, "label name '", name, "' too long");
	for (int k = 0; k < th->nlabels; k++) {
		if (strcmp(th->label[k].name, name) != 0)
			continue;
		if (th->label[k].index >= 0)
			return fail_at(p, line, col, "label '", name, "' defined twice");
		th->label[k].index = (int16_t)th->ninsns;
		return 0;
	}
	if (th->nlabels >= LITMUS_MAX_LABELS)
		return fail_limit(p, line, col, "labels in a thread", LITMUS_MAX_LABELS);
	strcpy(th->label[th->nlabels].name, name);
	th->label[th->nlabels].index = (int16_t)th->ninsns;
	th->nlabels++;
	return 0;
}

/* One cell: labels, then at most one instruction, up to '|' or ';'. */
static int parse_cell(struct parser *p, struct litmus_thread *th)
{
	for (;;) {
		if (skip_blank(p, false) < 0)
			return -1;
		if (at_cell_end(p))
			return 0;
		int line = p->line, col = p->col;
		char word[WORD_MAX];
		if (!is_alpha(peek(p)))
			return fail_expected(p, "an instruction or a label");
		if (read_word(p, word, sizeof word, true) < 0)
			return -1;
		if (skip_blank(p, false) < 0)
			return -1;
		if (peek(p) == ':') {
			advance(p);
			if (strchr(word, '.'))
				return fail_at(p, line, col, "bad label name '", word, "'");
			if (define_label(p, th, word, line, col) < 0)
				return -1;
			continue;
		}
		if (parse_insn(p, th, word, line, col) < 0)
			return -1;
		if (skip_blank(p, false) < 0)
			return -1;
		if (!at_cell_end(p))
			return fail_expected(p, "'|' or ';' after the instruction");
		return 0;
	}
}

/* The first row: "P0 | P1 | ... ;" */
static int parse_thread_names(struct parser *p)
{
	struct litmus_test *t = p->t;
	char n[24];
	for (;;) {
		if (skip(p) < 0)
			return -1;
		int line = p->line, col = p->col;
		char word[WORD_MAX];
		if (peek(p) != 'P' || !is_digit(peek_at(p, 1)))
			return fail_expected(p, "a thread name P0, P1, ...");
		if (read_word(p, word, sizeof word, true) < 0)
			return -1;
		if (t->nthreads >= LITMUS_MAX_THREADS)
			return fail_limit(p, line, col, "threads", LITMUS_MAX_THREADS);
		char want[8];
		struct strbuf sb;
		sb_init(&sb, want, sizeof want);
		sb_putc(&sb, 'P');
		sb_putu(&sb, (uint64_t)t->nthreads);
		if (strcmp(word, want) != 0)
			return fail_at(p, line, col, "expected thread name P",
				       num_text(n, sizeof n, t->nthreads),
				       strchr(word, '.') ? " (handler threads like P1.F are not "
							   "supported)"
							 : " (threads are P0, P1, ... in order)");
		t->nthreads++;
		if (skip(p) < 0)
			return -1;
		if (peek(p) == ';') {
			advance(p);
			return 0;
		}
		if (peek(p) != '|')
			return fail_expected(p, "'|' or ';' after a thread name");
		advance(p);
	}
}

/* Does the final part start here (the code rows are over)? */
static bool at_final_part(struct parser *p)
{
	return peek(p) < 0 || peek(p) == '~' || at_word(p, "exists") || at_word(p, "forall") ||
	       at_word(p, "locations") || at_word(p, "filter");
}

static int resolve_labels(struct parser *p)
{
	struct litmus_test *t = p->t;
	for (int i = 0; i < t->nthreads; i++) {
		struct litmus_thread *th = &t->thread[i];
		for (int k = 0; k < th->ninsns; k++) {
			struct litmus_insn *in = &th->insn[k];
			if (in->label < 0)
				continue;
			const struct litmus_label *l = &th->label[in->label];
			if (l->index < 0)
				return fail_at(p, in->line, in->col, "undefined label '", l->name,
					       "'");
			in->target = l->index;
		}
	}
	return 0;
}

static int parse_code(struct parser *p)
{
	struct litmus_test *t = p->t;
	char a[24];
	if (parse_thread_names(p) < 0)
		return -1;
	for (;;) {
		if (skip(p) < 0)
			return -1;
		if (at_final_part(p))
			break;
		for (int i = 0; i < t->nthreads; i++) {
			if (parse_cell(p, &t->thread[i]) < 0)
				return -1;
			int c = peek(p);
			if (i + 1 < t->nthreads && c == '|') {
				advance(p);
			} else if (i + 1 == t->nthreads && c == ';') {
				advance(p);
			} else if (c == '|') {
				return fail(p, "too many columns in this row (the test has ",
					    num_text(a, sizeof a, t->nthreads), " threads)");
			} else if (c == ';') {
				return fail(p, "too few columns in this row (the test has ",
					    num_text(a, sizeof a, t->nthreads), " threads)");
			} else {
				return fail_expected(p, "'|' or ';' (a code row ends with ';')");
			}
		}
	}
	if (p->init_max_thread >= t->nthreads)
		return fail_at(p, p->init_line, p->init_col, "the init block names thread ",
			       num_text(a, sizeof a, p->init_max_thread),
			       ", which the code does not have");
	return resolve_labels(p);
}

/* ---------------------------------------------------------------- observed places */

static int place_cmp(const struct litmus_test *t, const struct litmus_place *a,
		     const struct litmus_place *b)
{
	if (a->kind != b->kind)
		return a->kind == LITMUS_PLACE_REG ? -1 : 1;
	if (a->kind == LITMUS_PLACE_REG) {
		if (a->thread != b->thread)
			return a->thread < b->thread ? -1 : 1;
		return a->reg < b->reg ? -1 : a->reg > b->reg;
	}
	return strcmp(t->loc[a->loc].name, t->loc[b->loc].name);
}

/* Add pl to the places a final state shows (once), keeping herd's order. */
static int observe(struct parser *p, const struct litmus_place *pl, int line, int col)
{
	struct litmus_test *t = p->t;
	int i;
	for (i = 0; i < t->nobserved; i++)
		if (place_cmp(t, &t->observed[i], pl) == 0)
			return 0;
	if (t->nobserved >= LITMUS_MAX_OBSERVED)
		return fail_limit(p, line, col, "observed registers and locations",
				  LITMUS_MAX_OBSERVED);
	/* Insertion keeps the list in herd's order. */
	for (i = t->nobserved; i > 0 && place_cmp(t, &t->observed[i - 1], pl) > 0; i--)
		t->observed[i] = t->observed[i - 1];
	t->observed[i] = *pl;
	t->nobserved++;
	return 0;
}

/* ---------------------------------------------------------------- 4. condition */

static int new_node(struct parser *p, int kind, int a, int b, int line, int col)
{
	struct litmus_cond *c = &p->t->cond;
	if (c->nnodes >= LITMUS_MAX_COND)
		return fail_limit(p, line, col, "terms in the condition", LITMUS_MAX_COND);
	struct litmus_cond_node *n = &c->node[c->nnodes];
	memset(n, 0, sizeof *n);
	n->kind = (uint8_t)kind;
	n->a = (int16_t)a;
	n->b = (int16_t)b;
	return c->nnodes++;
}

static int check_place(struct parser *p, const struct litmus_place *pl, int line, int col)
{
	char n[24];
	if (pl->kind == LITMUS_PLACE_REG && pl->thread >= p->t->nthreads)
		return fail_at(p, line, col, "no thread ", num_text(n, sizeof n, pl->thread),
			       " in this test");
	return 0;
}

static int parse_or(struct parser *p, int depth);

static int parse_atom(struct parser *p, int depth)
{
	if (skip(p) < 0)
		return -1;
	int line = p->line, col = p->col;
	if (depth > MAX_DEPTH)
		return fail(p, "condition nested too deeply", NULL, NULL);
	if (peek(p) == '(') {
		advance(p);
		int n = parse_or(p, depth + 1);
		if (n < 0 || expect(p, ')', "')'") < 0)
			return -1;
		return n;
	}
	if (peek(p) == '~') {
		advance(p);
		int a = parse_atom(p, depth + 1);
		if (a < 0)
			return -1;
		return new_node(p, LITMUS_COND_NOT, a, -1, line, col);
	}
	if (at_word(p, "true") || at_word(p, "false")) {
		bool t = at_word(p, "true");
		for (int i = t ? 4 : 5; i > 0; i--)
			advance(p);
		return new_node(p, t ? LITMUS_COND_TRUE : LITMUS_COND_FALSE, -1, -1, line, col);
	}
	struct litmus_place pl;
	if (read_place(p, &pl) < 0 || check_place(p, &pl, line, col) < 0)
		return -1;
	if (skip(p) < 0)
		return -1;
	if (peek(p) != '=')
		return fail_expected(p, "'=' in a condition atom (as in 1:X0=1)");
	advance(p);
	struct litmus_value v;
	if (read_value(p, &v) < 0)
		return -1;
	int n = new_node(p, LITMUS_COND_ATOM, -1, -1, line, col);
	if (n < 0 || observe(p, &pl, line, col) < 0)
		return -1;
	p->t->cond.node[n].place = pl;
	p->t->cond.node[n].value = v;
	return n;
}

static bool at_op(struct parser *p, char a, char b)
{
	return peek(p) == (unsigned char)a && peek_at(p, 1) == (unsigned char)b;
}

static int parse_and(struct parser *p, int depth)
{
	int left = parse_atom(p, depth);
	for (;;) {
		if (left < 0 || skip(p) < 0)
			return -1;
		if (!at_op(p, '/', '\\'))
			return left;
		int line = p->line, col = p->col;
		advance(p);
		advance(p);
		int right = parse_atom(p, depth);
		if (right < 0)
			return -1;
		left = new_node(p, LITMUS_COND_AND, left, right, line, col);
	}
}

static int parse_or(struct parser *p, int depth)
{
	int left = parse_and(p, depth);
	for (;;) {
		if (left < 0 || skip(p) < 0)
			return -1;
		if (!at_op(p, '\\', '/'))
			return left;
		int line = p->line, col = p->col;
		advance(p);
		advance(p);
		int right = parse_and(p, depth);
		if (right < 0)
			return -1;
		left = new_node(p, LITMUS_COND_OR, left, right, line, col);
	}
}

/* locations [x; 1:X0; [y];] */
static int parse_locations(struct parser *p)
{
	struct litmus_test *t = p->t;
	for (int i = 0; i < 9; i++)
		advance(p); /* "locations" */
	if (expect(p, '[', "'[' after 'locations'") < 0)
		return -1;
	for (;;) {
		if (skip(p) < 0)
			return -1;
		if (peek(p) == ']') {
			advance(p);
			return 0;
		}
		int line = p->line, col = p->col;
		if (t->nlocations >= LITMUS_MAX_OBSERVED)
			return fail_limit(p, line, col, "entries in locations",
					  LITMUS_MAX_OBSERVED);
		struct litmus_place *pl = &t->locations[t->nlocations];
		if (read_place(p, pl) < 0 || check_place(p, pl, line, col) < 0 ||
		    observe(p, pl, line, col) < 0)
			return -1;
		t->nlocations++;
		if (skip(p) < 0)
			return -1;
		if (peek(p) == ';')
			advance(p);
		else if (peek(p) != ']')
			return fail_expected(p, "';' or ']' in locations");
	}
}

static int parse_final(struct parser *p)
{
	struct litmus_cond *c = &p->t->cond;
	if (skip(p) < 0)
		return -1;
	if (at_word(p, "locations")) {
		if (parse_locations(p) < 0 || skip(p) < 0)
			return -1;
	}
	if (at_word(p, "filter"))
		return fail(p, "unsupported construct 'filter'", NULL, NULL);
	if (peek(p) == '~') {
		advance(p);
		if (skip(p) < 0)
			return -1;
		if (!at_word(p, "exists"))
			return fail_expected(p, "'exists' after '~'");
		c->quant = LITMUS_NOT_EXISTS;
		for (int i = 0; i < 6; i++)
			advance(p);
	} else if (at_word(p, "exists")) {
		c->quant = LITMUS_EXISTS;
		for (int i = 0; i < 6; i++)
			advance(p);
	} else if (at_word(p, "forall")) {
		c->quant = LITMUS_FORALL;
		for (int i = 0; i < 6; i++)
			advance(p);
	} else if (peek(p) < 0) {
		return fail(p, "missing final condition (exists, ~exists or forall)", NULL, NULL);
	} else {
		return fail_expected(p, "the final condition (exists, ~exists or forall)");
	}
	int root = parse_or(p, 0);
	if (root < 0 || skip(p) < 0)
		return -1;
	if (peek(p) == ';') { /* some writers end the condition like a code row */
		advance(p);
		if (skip(p) < 0)
			return -1;
	}
	if (peek(p) >= 0)
		return fail_expected(p, "the end of the test after the condition");
	c->root = (int16_t)root;
	return 0;
}

/* ---------------------------------------------------------------- entry point */

int litmus_parse(const char *text, size_t len, struct litmus_test *t, struct litmus_error *err)
{
	struct parser p = {
	    .s = text,
	    .len = len,
	    .line = 1,
	    .col = 1,
	    .t = t,
	    .err = err,
	    .init_max_thread = -1,
	};
	memset(t, 0, sizeof *t);
	memset(err, 0, sizeof *err);
	if (parse_header(&p) < 0 || parse_init(&p) < 0 || parse_code(&p) < 0 || parse_final(&p) < 0)
		return -1;
	return 0;
}

void litmus_format_error(const struct litmus_error *err, const char *file, char *buf, size_t size)
{
	struct strbuf sb;
	sb_init(&sb, buf, size);
	sb_puts(&sb, file);
	if (err->line > 0) {
		sb_putc(&sb, ':');
		sb_putu(&sb, (uint64_t)err->line);
		sb_putc(&sb, ':');
		sb_putu(&sb, (uint64_t)err->col);
	}
	sb_puts(&sb, ": ");
	sb_puts(&sb, err->msg);
}
