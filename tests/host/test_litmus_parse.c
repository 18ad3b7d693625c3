/*
 * test_litmus_parse.c — kernel/litmus/parse.c (and litmus.c): the herd
 * AArch64 litmus parser.
 *
 * Covers:
 *   - every file in ../shared/litmus/herdtools7 (herd's own; skipped with a
 *     line when the folder is absent): it parses, its thread count is the
 *     one in VERDICTS.tsv, each thread's instruction count is the one an
 *     independent, naive reading of the code rows gives, and its condition,
 *     printed back, is the one in VERDICTS.tsv;
 *   - the project's own files in tests/litmus: they parse, and each states
 *     its expected ARMv8 verdict;
 *   - the representation in detail on hand-written tests (init values of
 *     every kind, typed declarations, p=x, labels and branch targets, the
 *     condition tree with precedence, observed places in herd's order,
 *     locations [...], doc and metadata);
 *   - malformed input of every kind: each error names line:col and the
 *     offending construct;
 *   - every prefix of every corpus file: a result or a positioned error,
 *     never a crash (ASan/UBSan);
 *   - litmus_format_insn: every corpus instruction printed and re-parsed
 *     gives the same instruction;
 *   - litmus_insn_regs, litmus_op_flags and litmus_cond_holds.
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

#include "kernel/litmus/litmus.h"
#include "tests/host/hosttest.h"

/* Large (tens of KiB): static. */
static struct litmus_test t, t2;
static struct litmus_error err;

/* ---------------------------------------------------------------- helpers */

static const char *shared_dir(void)
{
	const char *env = getenv("LITMUS_SHARED_DIR");
	return env && *env ? env : "../shared/litmus/herdtools7";
}

/* The whole file in a heap buffer of exactly its size (so ASan sees any read
 * past the end: the parser must not need a terminator). NULL if absent. */
static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	assert_true(n >= 0);
	char *buf = malloc(n ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int parse_str(const char *src, struct litmus_test *out)
{
	size_t n = strlen(src);
	char *copy = (char *)ht_dup(src, n); /* exact size, no terminator */
	int r = litmus_parse(copy, n, out, &err);
	free(copy);
	return r;
}

static void parse_ok(const char *src)
{
	if (parse_str(src, &t) != 0)
		fail_msg("parse failed: %d:%d: %s\n--- source:\n%s", err.line, err.col, err.msg,
			 src);
}

/* The file names (*.litmus) in dir, sorted; returns the count. */
static int list_litmus(const char *dir, char names[][256], int max)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 7 && strcmp(de->d_name + len - 7, ".litmus") == 0 && n < max && len < 256)
			strcpy(names[n++], de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

/*
 * Instructions per thread, counted naively from the text, independently of
 * the parser: the lines after the "P0 | P1 ;" line up to the condition, with
 * comments removed; each '|'-separated cell, with "label:" prefixes removed,
 * that still holds something is one instruction.
 */
static int naive_counts(const char *text, size_t len, int *counts, int max)
{
	char *s = malloc(len + 1);
	assert_non_null(s);
	/* Drop comments (not nested in these files). */
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '(' && i + 1 < len && text[i + 1] == '*') {
			while (i + 1 < len && !(text[i] == '*' && text[i + 1] == ')'))
				i++;
			i++;
			continue;
		}
		s[n++] = text[i];
	}
	s[n] = '\0';
	int nthreads = -1;
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (nthreads < 0) {
			if (p[0] == 'P' && p[1] == '0' && strchr(p, ';') && !strchr(p, '{')) {
				nthreads = 1;
				for (char *q = p; *q; q++)
					nthreads += *q == '|';
				assert_true(nthreads <= max);
				for (int i = 0; i < nthreads; i++)
					counts[i] = 0;
			}
			continue;
		}
		if (strncmp(p, "exists", 6) == 0 || p[0] == '~' || strncmp(p, "forall", 6) == 0 ||
		    strncmp(p, "locations", 9) == 0)
			break;
		char *semi = strrchr(p, ';');
		if (semi)
			*semi = '\0';
		int col = 0;
		char *cell = p;
		for (;;) {
			char *bar = strchr(cell, '|');
			if (bar)
				*bar = '\0';
			char *c = cell;
			/* Strip "label:" prefixes. */
			for (;;) {
				while (*c == ' ' || *c == '\t')
					c++;
				char *colon = strchr(c, ':');
				char *sp = strpbrk(c, " \t,[");
				if (colon && (!sp || colon < sp))
					c = colon + 1;
				else
					break;
			}
			while (*c == ' ' || *c == '\t' || *c == '\r')
				c++;
			if (*c && col < nthreads)
				counts[col]++;
			col++;
			if (!bar)
				break;
			cell = bar + 1;
		}
	}
	free(s);
	return nthreads;
}

/* The condition printed back: quantifier, then the proposition in order
 * with no blanks, parentheses or brackets. */
static void print_value(char *buf, size_t size, const struct litmus_test *tt,
			const struct litmus_value *v)
{
	if (v->kind == LITMUS_VAL_ADDR)
		snprintf(buf, size, "%s", tt->loc[v->loc].name);
	else
		snprintf(buf, size, "%lld", (long long)v->num);
}

static void print_node(char *out, size_t size, const struct litmus_test *tt, int n)
{
	const struct litmus_cond_node *node = &tt->cond.node[n];
	char a[512] = "", b[512] = "", v[64];
	switch (node->kind) {
	case LITMUS_COND_ATOM:
		print_value(v, sizeof v, tt, &node->value);
		if (node->place.kind == LITMUS_PLACE_REG)
			snprintf(out, size, "%d:X%d=%s", node->place.thread, node->place.reg, v);
		else
			snprintf(out, size, "%s=%s", tt->loc[node->place.loc].name, v);
		break;
	case LITMUS_COND_AND:
	case LITMUS_COND_OR:
		print_node(a, sizeof a, tt, node->a);
		print_node(b, sizeof b, tt, node->b);
		snprintf(out, size, "%s%s%s", a, node->kind == LITMUS_COND_AND ? "/\\" : "\\/", b);
		break;
	case LITMUS_COND_NOT:
		print_node(a, sizeof a, tt, node->a);
		snprintf(out, size, "~%s", a);
		break;
	default:
		snprintf(out, size, node->kind == LITMUS_COND_TRUE ? "true" : "false");
	}
}

static void print_cond(char *out, size_t size, const struct litmus_test *tt)
{
	static const char *const q[] = {"exists", "~exists", "forall"};
	char body[1024];
	print_node(body, sizeof body, tt, tt->cond.root);
	snprintf(out, size, "%s%s", q[tt->cond.quant], body);
}

static void squeeze(char *s)
{
	char *d = s;
	for (; *s; s++)
		if (!strchr(" \t()[]", *s))
			*d++ = *s;
	*d = '\0';
}

/* ---------------------------------------------------------------- herd's corpus */

struct verdict_row {
	char file[256];
	int threads;
	char cond[512];
};

static int read_verdicts(const char *dir, struct verdict_row *rows, int max)
{
	char path[512];
	snprintf(path, sizeof path, "%s/VERDICTS.tsv", dir);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char line[4096];
	int n = 0;
	assert_non_null(fgets(line, sizeof line, fp)); /* the header */
	while (fgets(line, sizeof line, fp) && n < max) {
		/* name verdict source condition file family threads ... */
		char *f[9] = {0};
		char *save = NULL;
		int k = 0;
		for (char *tok = strtok_r(line, "\t\n", &save); tok && k < 9;
		     tok = strtok_r(NULL, "\t\n", &save))
			f[k++] = tok;
		assert_true(k >= 7);
		snprintf(rows[n].cond, sizeof rows[n].cond, "%s", f[3]);
		snprintf(rows[n].file, sizeof rows[n].file, "%s", f[4]);
		rows[n].threads = atoi(f[6]);
		n++;
	}
	fclose(fp);
	return n;
}

static char names[200][256];
static struct verdict_row rows[200];

static void test_herd_corpus(void **state)
{
	(void)state;
	const char *dir = shared_dir();
	int n = list_litmus(dir, names, 200);
	if (n < 0) {
		printf("skipped: %s is absent (herd's corpus; set LITMUS_SHARED_DIR)\n", dir);
		skip();
	}
	int nrows = read_verdicts(dir, rows, 200);
	assert_int_equal(n, nrows);
	assert_true(n >= 78);
	int total_insns = 0;
	for (int i = 0; i < n; i++) {
		char path[600];
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *text = read_file(path, &len);
		assert_non_null(text);
		if (litmus_parse(text, len, &t, &err) != 0)
			fail_msg("%s:%d:%d: %s", path, err.line, err.col, err.msg);

		const struct verdict_row *row = NULL;
		for (int k = 0; k < nrows; k++)
			if (strcmp(rows[k].file, names[i]) == 0)
				row = &rows[k];
		if (!row)
			fail_msg("%s: not in VERDICTS.tsv", names[i]);
		if (t.nthreads != row->threads)
			fail_msg("%s: %d threads, VERDICTS.tsv says %d", names[i], t.nthreads,
				 row->threads);

		int counts[LITMUS_MAX_THREADS];
		int nt = naive_counts(text, len, counts, LITMUS_MAX_THREADS);
		assert_int_equal(nt, t.nthreads);
		for (int k = 0; k < nt; k++) {
			if (t.thread[k].ninsns != counts[k])
				fail_msg("%s: P%d has %d instructions, the text %d", names[i], k,
					 t.thread[k].ninsns, counts[k]);
			total_insns += counts[k];
		}

		char got[1024], want[1024];
		print_cond(got, sizeof got, &t);
		snprintf(want, sizeof want, "%s", row->cond);
		squeeze(want);
		if (strcmp(got, want) != 0)
			fail_msg("%s: condition %s, VERDICTS.tsv %s", names[i], got, want);
		free(text);
	}
	printf("herd corpus: %d files, %d instructions parsed\n", n, total_insns);
}

/* ---------------------------------------------------------------- the project's own */

static void test_own_tests(void **state)
{
	(void)state;
	const char *dir = "tests/litmus";
	int n = list_litmus(dir, names, 200);
	assert_true(n >= 6);
	for (int i = 0; i < n; i++) {
		char path[600];
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *text = read_file(path, &len);
		assert_non_null(text);
		if (litmus_parse(text, len, &t, &err) != 0)
			fail_msg("%s:%d:%d: %s", path, err.line, err.col, err.msg);
		char *z = malloc(len + 1);
		memcpy(z, text, len);
		z[len] = '\0';
		if (!strstr(z, "Expected ARMv8 verdict: Allowed") &&
		    !strstr(z, "Expected ARMv8 verdict: Forbidden"))
			fail_msg("%s: no 'Expected ARMv8 verdict: Allowed|Forbidden' line", path);
		if (strstr(z, "verdict: Forbidden") && !strstr(z, "cycle"))
			fail_msg("%s: a Forbidden test must give its cycle", path);
		free(z);
		free(text);
	}
	/* The allgs shape: a location holding another's address, and an
	 * address in the condition. */
	size_t len;
	char *text = read_file("tests/litmus/allgs.litmus", &len);
	assert_non_null(text);
	assert_int_equal(litmus_parse(text, len, &t, &err), 0);
	free(text);
	int p = litmus_find_loc(&t, "p"), old = litmus_find_loc(&t, "old");
	int nw = litmus_find_loc(&t, "new");
	assert_true(p >= 0 && old >= 0 && nw >= 0);
	assert_int_equal(t.loc[p].type, LITMUS_TYPE_UINT64);
	assert_int_equal(t.loc[p].init.kind, LITMUS_VAL_ADDR);
	assert_int_equal(t.loc[p].init.loc, old);
	assert_int_equal(t.loc[old].init.num, 1);
	assert_int_equal(t.thread[0].init[12].value.kind, LITMUS_VAL_ADDR);
	assert_int_equal(t.thread[0].init[12].value.loc, nw);
	const struct litmus_cond_node *root = &t.cond.node[t.cond.root];
	assert_int_equal(root->kind, LITMUS_COND_AND);
	const struct litmus_cond_node *a = &t.cond.node[root->a];
	assert_int_equal(a->kind, LITMUS_COND_ATOM);
	assert_int_equal(a->value.kind, LITMUS_VAL_ADDR);
	assert_int_equal(a->value.loc, nw);
}

/* ---------------------------------------------------------------- the representation */

static const char detail_src[] = "AArch64 Detail+test\n"
				 "\"a doc string\"\n"
				 "Cycle=Rfe PodRR Fre PodWW\n"
				 "Orig=whatever = with equals  \n"
				 "(* a comment (* nested *) before the init block *)\n"
				 "{\n"
				 "  int64_t x; uint32_t y=7; p=x; [z]=-3;\n"
				 "  0:X1=x; 0:X2=0x10; uint64_t 1:X4; int64_t 1:X5=-1;\n"
				 "  1:X0=y; 1:X3=p\n"
				 "}\n"
				 " P0              | P1            ;\n"
				 " MOV W0,#1       | L0:           ;\n"
				 " STR W0,[X1]     | LDR X6,[X3]   ; (* a row comment *)\n"
				 " L1: CBNZ W0,L2  | CMP X6,#0     ;\n"
				 " B L1            | B.NE L0       ;\n"
				 " L2:             | LDAPR W7,[X0] ;\n"
				 "locations [y; 1:X7;]\n"
				 "exists (0:X0=1 \\/ ~1:X6=0 /\\ [x]=1 /\\ (z=2 \\/ 1:X6=p))\n";

static void test_detail(void **state)
{
	(void)state;
	parse_ok(detail_src);
	assert_string_equal(t.name, "Detail+test");
	assert_string_equal(t.doc, "a doc string");
	assert_int_equal(t.nmeta, 2);
	assert_string_equal(t.meta[0].key, "Cycle");
	assert_string_equal(t.meta[0].value, "Rfe PodRR Fre PodWW");
	assert_string_equal(t.meta[1].value, "whatever = with equals");

	/* Locations, in order of first appearance: x y p z. */
	assert_int_equal(t.nlocs, 4);
	int x = litmus_find_loc(&t, "x"), y = litmus_find_loc(&t, "y");
	int p = litmus_find_loc(&t, "p"), z = litmus_find_loc(&t, "z");
	assert_int_equal(x, 0);
	assert_int_equal(y, 1);
	assert_int_equal(p, 2);
	assert_int_equal(z, 3);
	assert_int_equal(t.loc[x].type, LITMUS_TYPE_INT64);
	assert_false(t.loc[x].set);
	assert_int_equal(t.loc[x].init.kind, LITMUS_VAL_INT);
	assert_int_equal(t.loc[x].init.num, 0);
	assert_int_equal(t.loc[y].type, LITMUS_TYPE_UINT32);
	assert_int_equal(t.loc[y].init.num, 7);
	assert_int_equal(litmus_loc_width(&t, y), 32);
	assert_int_equal(litmus_loc_width(&t, x), 64);
	assert_int_equal(t.loc[p].init.kind, LITMUS_VAL_ADDR);
	assert_int_equal(t.loc[p].init.loc, x);
	assert_int_equal(t.loc[z].init.num, -3);

	/* Registers. */
	const struct litmus_reginit *r0 = t.thread[0].init, *r1 = t.thread[1].init;
	assert_true(r0[1].set);
	assert_int_equal(r0[1].value.kind, LITMUS_VAL_ADDR);
	assert_int_equal(r0[1].value.loc, x);
	assert_int_equal(r0[2].value.kind, LITMUS_VAL_INT);
	assert_int_equal(r0[2].value.num, 16);
	assert_false(r0[3].set);
	assert_true(r1[4].set);
	assert_int_equal(r1[4].type, LITMUS_TYPE_UINT64);
	assert_int_equal(r1[4].value.num, 0);
	assert_int_equal(r1[5].type, LITMUS_TYPE_INT64);
	assert_int_equal(r1[5].value.num, -1);
	assert_int_equal(r1[3].value.kind, LITMUS_VAL_ADDR);
	assert_int_equal(r1[3].value.loc, p);

	/* Code: labels alone in a cell, before an instruction, at the end. */
	const struct litmus_thread *p0 = &t.thread[0], *p1 = &t.thread[1];
	assert_int_equal(t.nthreads, 2);
	assert_int_equal(p0->ninsns, 4);
	assert_int_equal(p1->ninsns, 4);
	assert_int_equal(p0->insn[2].op, LITMUS_CBNZ);
	assert_int_equal(p0->insn[2].target, 4); /* L2: the end */
	assert_string_equal(p0->label[p0->insn[2].label].name, "L2");
	assert_int_equal(p0->insn[3].op, LITMUS_B);
	assert_int_equal(p0->insn[3].target, 2); /* L1 */
	assert_int_equal(p0->insn[2].line, 14);
	assert_int_equal(p0->insn[2].col, 6);
	assert_int_equal(p1->insn[0].op, LITMUS_LDR);
	assert_int_equal(p1->insn[0].rd.width, 64);
	assert_int_equal(p1->insn[0].rd.num, 6);
	assert_int_equal(p1->insn[0].rn.num, 3);
	assert_int_equal(p1->insn[1].op, LITMUS_CMP);
	assert_int_equal(p1->insn[1].src, LITMUS_SRC_IMM);
	assert_int_equal(p1->insn[2].op, LITMUS_BCOND);
	assert_int_equal(p1->insn[2].cond, LITMUS_NE);
	assert_int_equal(p1->insn[2].target, 0);
	assert_int_equal(p1->insn[3].op, LITMUS_LDAPR);

	/* locations [...] as written. */
	assert_int_equal(t.nlocations, 2);
	assert_int_equal(t.locations[0].kind, LITMUS_PLACE_LOC);
	assert_int_equal(t.locations[0].loc, y);
	assert_int_equal(t.locations[1].kind, LITMUS_PLACE_REG);
	assert_int_equal(t.locations[1].thread, 1);
	assert_int_equal(t.locations[1].reg, 7);

	/* The condition: \/ binds looser than /\, ~ tighter than both:
	 * 0:X0=1 \/ ((~1:X6=0 /\ x=1) /\ (z=2 \/ 1:X6=p)). */
	assert_int_equal(t.cond.quant, LITMUS_EXISTS);
	const struct litmus_cond_node *n = t.cond.node, *root = &n[t.cond.root];
	assert_int_equal(root->kind, LITMUS_COND_OR);
	assert_int_equal(n[root->a].kind, LITMUS_COND_ATOM);
	assert_int_equal(n[root->a].place.reg, 0);
	const struct litmus_cond_node *and2 = &n[root->b];
	assert_int_equal(and2->kind, LITMUS_COND_AND);
	const struct litmus_cond_node *and1 = &n[and2->a];
	assert_int_equal(and1->kind, LITMUS_COND_AND);
	assert_int_equal(n[and1->a].kind, LITMUS_COND_NOT);
	assert_int_equal(n[n[and1->a].a].kind, LITMUS_COND_ATOM);
	assert_int_equal(n[and1->b].place.kind, LITMUS_PLACE_LOC);
	assert_int_equal(n[and1->b].place.loc, x);
	const struct litmus_cond_node *or2 = &n[and2->b];
	assert_int_equal(or2->kind, LITMUS_COND_OR);
	assert_int_equal(n[or2->b].value.kind, LITMUS_VAL_ADDR);
	assert_int_equal(n[or2->b].value.loc, p);

	/* Observed: registers by thread and number, then locations by name. */
	assert_int_equal(t.nobserved, 6);
	const struct litmus_place *o = t.observed;
	assert_true(o[0].kind == LITMUS_PLACE_REG && o[0].thread == 0 && o[0].reg == 0);
	assert_true(o[1].kind == LITMUS_PLACE_REG && o[1].thread == 1 && o[1].reg == 6);
	assert_true(o[2].kind == LITMUS_PLACE_REG && o[2].thread == 1 && o[2].reg == 7);
	assert_true(o[3].kind == LITMUS_PLACE_LOC && o[3].loc == x);
	assert_true(o[4].kind == LITMUS_PLACE_LOC && o[4].loc == y);
	assert_true(o[5].kind == LITMUS_PLACE_LOC && o[5].loc == z);
}

static void test_quantifiers_and_forms(void **state)
{
	(void)state;
	parse_ok("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\n~exists 0:X0=1\n");
	assert_int_equal(t.cond.quant, LITMUS_NOT_EXISTS);
	assert_int_equal(t.cond.node[t.cond.root].kind, LITMUS_COND_ATOM);

	parse_ok("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\nforall (0:X0=0 \\/ 0:X0=1)\n");
	assert_int_equal(t.cond.quant, LITMUS_FORALL);
	assert_int_equal(t.cond.node[t.cond.root].kind, LITMUS_COND_OR);

	parse_ok("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\nexists(true /\\ ~false)\n");
	assert_int_equal(t.cond.node[t.cond.root].kind, LITMUS_COND_AND);

	parse_ok("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\n~ exists\n(~(0:X0=1))\n");
	assert_int_equal(t.cond.quant, LITMUS_NOT_EXISTS);
	assert_int_equal(t.cond.node[t.cond.root].kind, LITMUS_COND_NOT);

	/* An empty init block, lower-case mnemonics and registers, a test with
	 * no instructions in a thread, CRLF line ends. */
	parse_ok("AArch64 A\r\n{}\r\n P0 | P1 ;\r\n ldr w0,[x1] | ;\r\nexists (0:X0=0)\r\n");
	assert_int_equal(t.thread[0].ninsns, 1);
	assert_int_equal(t.thread[1].ninsns, 0);
	assert_int_equal(t.thread[0].insn[0].op, LITMUS_LDR);

	/* Doc string on the name line; comments between rows; a final ';' in
	 * init is optional. */
	parse_ok("AArch64 A \"doc\"\n{ 0:X1=x }\n P0 ;\n(* c *)\n NOP ;\n(* c *) exists "
		 "(0:X0=0) (* end *)\n");
	assert_string_equal(t.doc, "doc");

	/* Blanks around a thread's ':' and its '=', in the init and the condition. */
	parse_ok("AArch64 A\n{ 0: X1 = x; 0 :X3=y; }\n P0 ;\n LDR W0,[X1] ;\nexists (0: X0 = 0)\n");
	assert_int_equal(t.cond.node[t.cond.root].kind, LITMUS_COND_ATOM);

	/* A ';' after the condition, as some writers end it like a code row. */
	parse_ok("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\nexists (0:X0=0);\n");
	assert_int_equal(t.cond.quant, LITMUS_EXISTS);
}

/* Every form the instruction parser knows, with its fields. */
static void test_instruction_fields(void **state)
{
	(void)state;
	parse_ok("AArch64 I\n{}\n P0 ;\n"
		 " LDR X0,[X1,#-8] ;\n" /* 0 */
		 " STR W2,[X3,X4,LSL #2] ;\n" /* 1 */
		 " LDR X5,[X6,W7,UXTW #3] ;\n" /* 2 */
		 " ADD X8,X9,#1,LSL #12 ;\n" /* 3 */
		 " EOR W10,W11,W12,ASR #3 ;\n" /* 4 */
		 " CSEL X13,X14,XZR,HS ;\n" /* 5 */
		 " STXR W15,X16,[X17] ;\n" /* 6 */
		 " CASAL W18,W19,[X20] ;\n" /* 7 */
		 " STADDL X21,[X22] ;\n" /* 8 */
		 " DSB OSHLD ;\n" /* 9 */
		 " MOV X23,#0x123456789abcdef0 ;\n" /* 10 */
		 "exists (0:X0=0)\n");
	const struct litmus_insn *in = t.thread[0].insn;
	assert_int_equal(in[0].addr, LITMUS_ADDR_IMM);
	assert_int_equal(in[0].imm, -8);
	assert_int_equal(in[1].addr, LITMUS_ADDR_REG);
	assert_int_equal(in[1].rm.num, 4);
	assert_int_equal(in[1].shift, 2);
	assert_int_equal(in[2].addr, LITMUS_ADDR_UXTW);
	assert_int_equal(in[2].rm.width, 32);
	assert_int_equal(in[2].shift, 3);
	assert_int_equal(in[3].src, LITMUS_SRC_IMM);
	assert_int_equal(in[3].imm, 1);
	assert_int_equal(in[3].shift, 12);
	assert_int_equal(in[4].src, LITMUS_SRC_REG);
	assert_int_equal(in[4].shift_type, LITMUS_ASR);
	assert_int_equal(in[4].shift, 3);
	assert_int_equal(in[5].rm.num, LITMUS_ZR);
	assert_int_equal(in[5].cond, LITMUS_CS);
	assert_int_equal(in[6].rs.num, 15);
	assert_int_equal(in[6].rd.num, 16);
	assert_int_equal(in[6].rn.num, 17);
	assert_int_equal(in[7].op, LITMUS_CASAL);
	assert_int_equal(in[7].rs.num, 18);
	assert_int_equal(in[7].rd.num, 19);
	assert_int_equal(in[8].op, LITMUS_STADDL);
	assert_int_equal(in[8].rs.num, 21);
	assert_int_equal(in[8].rd.num, LITMUS_ZR);
	assert_int_equal(in[9].barrier, LITMUS_BAR_OSHLD);
	assert_int_equal((uint64_t)in[10].imm, 0x123456789abcdef0ull);
}

/* ---------------------------------------------------------------- malformed input */

struct bad {
	const char *src;
	int line, col;
	const char *msg; /* a substring the message must hold */
};

#define T1     "AArch64 T\n{ 0:X1=x; }\n P0 ;\n" /* code at line 4 */
#define T2     "AArch64 T\n{ 0:X1=x; 1:X1=y; }\n P0 | P1 ;\n" /* code at line 4 */
#define COND   "exists (0:X0=1)\n"
#define ROW(i) " " i " ;\n"

static const struct bad bad_inputs[] = {
    /* header */
    {"", 1, 1, "expected 'AArch64 NAME' at the start of the test, found end of file"},
    {"X86 SB\n{}\n", 1, 1, "unsupported architecture 'X86'"},
    {"AArch64\n{}\n", 1, 8, "expected the test's name after 'AArch64'"},
    {"AArch64 T\n\"doc\n{}\n", 2, 1, "unterminated doc string"},
    {"AArch64 T\n(* open\n{}\n", 2, 1, "unterminated comment '(*'"},
    {"AArch64 T\nVariant=mixed\n{}\n", 2, 1, "unsupported metadata 'Variant='"},
    {"AArch64 T\nEL0=P1\n{}\n", 2, 1, "unsupported metadata 'EL0='"},
    {"AArch64 T\nCycle Rfe\n{}\n", 2, 7, "expected '=' after a metadata key"},
    {"AArch64 T\n$\n", 2, 1, "expected '{' to start the init block, found '$'"},
    /* init block */
    {"AArch64 T\n{ 0:X31=x; }\n", 2, 5, "expected a register X0..X30 after '0:'"},
    {"AArch64 T\n{ 0 X1=x; }\n", 2, 5, "expected ':' after a thread number"},
    {"AArch64 T\n{ 9:X1=x; }\n", 2, 3, "thread 9 out of range (limit 8 threads)"},
    {"AArch64 T\n{ int8_t x; }\n", 2, 3, "unsupported type 'int8_t'"},
    {"AArch64 T\n{ x[2]=1; }\n", 2, 3, "arrays are not supported: 'x[...]'"},
    {"AArch64 T\n{ [PTE(x)]=1; }\n", 2, 4, "unsupported construct 'PTE(...)'"},
    {"AArch64 T\n{ 0:X1=PA(x); }\n", 2, 8, "unsupported construct 'PA(...)'"},
    {"AArch64 T\n{ 0:X1=x;\n 0:X1=y; }\n", 3, 2, "register initialised twice in thread 0"},
    {"AArch64 T\n{ x=1; [x]=2; }\n", 2, 8, "location 'x' initialised twice"},
    {"AArch64 T\n{ 0:X1=x 0:X2=y }\n", 2, 10, "expected ';' or '}' after an init entry"},
    {"AArch64 T\n{ 0:X1=; }\n", 2, 8, "expected a location name, found ';'"},
    {"AArch64 T\n{ 0:X1=99999999999999999999; }\n", 2, 8, "number too large"},
    {"AArch64 T\n{ 0:X1=0xg; }\n", 2, 10, "bad digit in number"},
    {"AArch64 T\n{ 0:X1=x;", 2, 10, "expected '}' to close the init block, found end of file"},
    {"AArch64 T\n{ 0:X1=x;\0 }\n", 2, 10, "found byte 0x0"},
    {"AArch64 T\n{ 0:X1=x; 2:X1=y; }\n P0 | P1 ;\n NOP | NOP ;\n" COND, 2, 11,
     "the init block names thread 2, which the code does not have"},
    /* thread names */
    {"AArch64 T\n{}\n P1 ;\n", 3, 2, "expected thread name P0 (threads are P0, P1, ... in order)"},
    {"AArch64 T\n{}\n P0 | P1.F ;\n", 3, 7, "handler threads like P1.F are not supported"},
    {"AArch64 T\n{}\n P0 P1 ;\n", 3, 5, "expected '|' or ';' after a thread name"},
    {"AArch64 T\n{}\n Q0 ;\n", 3, 2, "expected a thread name P0, P1, ..."},
    {"AArch64 T\n{}\nP0|P1|P2|P3|P4|P5|P6|P7|P8;\n", 3, 25, "too many threads (limit 8)"},
    /* rows */
    {T1 ROW("NOP | NOP") COND, 4, 6, "too many columns in this row (the test has 1 threads)"},
    {T2 ROW("NOP") COND, 4, 6, "too few columns in this row (the test has 2 threads)"},
    {T1 " NOP\n" COND, 4, 5, "expected '|' or ';' (a code row ends with ';')"},
    {T1 ROW("NOP ]") COND, 4, 6, "expected an operand, found ']'"},
    {T1 ROW("L: NOP,") COND, 4, 8, "expected an operand, found ','"},
    {T1 ROW("L: ]") COND, 4, 5, "expected an instruction or a label, found ']'"},
    {T1 ROW("$") COND, 4, 2, "expected an instruction or a label, found '$'"},
    /* instructions */
    {T1 ROW("LDRB W0,[X1]") COND, 4, 2, "unsupported instruction 'LDRB'"},
    {T1 ROW("exist (0:X0=1)") COND, 4, 2, "unsupported instruction 'exist'"},
    {T1 ROW("B.XX L0") COND, 4, 2, "unknown condition code in 'B.XX'"},
    {T1 ROW("MOV W0") COND, 4, 2, "MOV: too few operands"},
    {T1 ROW("MOV W0,W1,W2") COND, 4, 12, "MOV: too many operands"},
    {T1 ROW("NOP NOP") COND, 4, 6, "NOP: too many operands"},
    {T1 ROW("MOV W0,[X1]") COND, 4, 9, "MOV: expected a register or an immediate '#imm'"},
    {T1 ROW("MOV W0,1") COND, 4, 9, "expected an operand, found '1'"},
    {T1 ROW("MOV W0,#") COND, 4, 10, "expected a number, found ' '"},
    {T1 ROW("ADD W0,X1,W2") COND, 4, 9, "ADD: registers must be all W or all X"},
    {T1 ROW("ADD W0,W1,X2") COND, 4, 12, "ADD: registers must be all W or all X"},
    {T1 ROW("MOV X0,SP") COND, 4, 9, "the stack pointer 'SP' is not supported"},
    {T1 ROW("MOV X0,X31") COND, 4, 9, "no register 'X31'"},
    {T1 ROW("ADD X0,XZR,#1") COND, 4, 9, "ADD: XZR/WZR is not allowed here"},
    {T1 ROW("ORR XZR,X1,#1") COND, 4, 6, "ORR: XZR/WZR is not allowed here"},
    {T1 ROW("CMP XZR,#1") COND, 4, 6, "CMP: XZR/WZR is not allowed here"},
    {T1 ROW("CMP W0,#1,LSL #3") COND, 4, 12,
     "CMP: an immediate may only be shifted by LSL #0 or LSL #12"},
    {T1 ROW("ADD W0,W1,W2,ROR #3") COND, 4, 15, "ADD: unsupported operand (a shift is 'LSL #n')"},
    {T1 ROW("ADD W0,W1,W2,LSL #32") COND, 4, 15, "ADD: shift amount out of range"},
    {T1 ROW("MOV W0,W1,LSL #1") COND, 4, 12, "MOV: too many operands"},
    {T1 ROW("LDR W0,[X1,#4]!") COND, 4, 16, "pre-indexed addressing"},
    {T1 ROW("LDR W0,[X1],#4") COND, 4, 13, "post-indexed addressing"},
    {T1 ROW("LDR W0,[X1") COND, 4, 13, "expected ']' to close the address"},
    {T1 ROW("LDR W0,[#4]") COND, 4, 10, "expected a base register Xn after '['"},
    {T1 ROW("LDR W0,[W1]") COND, 4, 9, "LDR: the base register must be X0..X30"},
    {T1 ROW("LDR W0,[XZR]") COND, 4, 9, "LDR: the base register must be X0..X30"},
    {T1 ROW("LDAR W0,[X1,#8]") COND, 4, 10, "LDAR: only the address form [Xn] is allowed"},
    {T1 ROW("STLR W0,X1") COND, 4, 10, "STLR: expected an address [Xn]"},
    {T1 ROW("LDR W0,[X1,X2,SXTX]") COND, 4, 16, "unsupported index extend 'SXTX'"},
    {T1 ROW("LDR W0,[X1,X2,SXTW]") COND, 4, 9, "LDR: SXTW/UXTW take a W index register"},
    {T1 ROW("LDR W0,[X1,W2]") COND, 4, 9, "LDR: the index register must be an X register"},
    {T1 ROW("LDR W0,[X1,X2,LSL #1]") COND, 4, 9, "LDR: the index shift must be #0"},
    {T1 ROW("LDR W0,[X1,X2,LSL]") COND, 4, 19, "expected '#amount' after LSL"},
    {T1 ROW("LDR W0,[X1,#-300]") COND, 4, 2, "LDR: offset -300 out of range"},
    {T1 ROW("STR X0,[X1,#32761]") COND, 4, 2, "STR: offset 32761 out of range"},
    {T1 ROW("EOR W0,W1,#5") COND, 4, 2,
     "EOR: immediate 5 (0x5) has no logical-immediate (bitmask) encoding"},
    {T1 ROW("AND X0,X1,#0") COND, 4, 2, "AND: immediate 0 (0x0) has no logical-immediate"},
    {T1 ROW("ORR W0,W1,#-1") COND, 4, 2, "(0xffffffff) has no logical-immediate"},
    {T1 ROW("ADD W0,W1,#5000") COND, 4, 2, "ADD: immediate 5000 out of range"},
    {T1 ROW("MOV W0,#0x100000000") COND, 4, 2,
     "MOV: immediate 4294967296 does not fit in a W register"},
    {T1 ROW("STXR W0,W0,[X1]") COND, 4, 7, "STXR: the status register must differ"},
    {T1 ROW("STXR X2,W0,[X1]") COND, 4, 7, "STXR: expected a W register for the status"},
    {T1 ROW("SWP W0,X1,[X2]") COND, 4, 9, "SWP: registers must be all W or all X"},
    {T1 ROW("DMB XX") COND, 4, 6, "DMB: expected a barrier option (SY, ST, LD, ISH"},
    {T1 ROW("DSB") COND, 4, 2, "DSB: too few operands"},
    {T1 ROW("ISB SY") COND, 4, 6, "ISB: too many operands"},
    {T1 ROW("CSEL W0,W1,W2,XX") COND, 4, 16, "CSEL: expected a condition code"},
    {T1 ROW("CBZ W0,#4") COND, 4, 9, "CBZ: expected a label"},
    {T1 ROW("B nowhere") COND, 4, 2, "undefined label 'nowhere'"},
    {T1 ROW("L0: NOP") ROW("L0: NOP") COND, 5, 2, "label 'L0' defined twice"},
    {T1 ROW("L.0: NOP") COND, 4, 2, "bad label name 'L.0'"},
    /* the condition */
    {T1 ROW("NOP"), 5, 1, "missing final condition (exists, ~exists or forall)"},
    {T1 ROW("NOP") "exists (0:X0=1 /\\ )\n", 5, 19,
     "expected a register (0:X1) or a location (x, [x]), found ')'"},
    {T1 ROW("NOP") "exists (0:X0=1\n", 6, 1, "expected ')', found end of file"},
    {T1 ROW("NOP") "exists (5:X0=1)\n", 5, 9, "no thread 5 in this test"},
    {T1 ROW("NOP") "exists (0:X0=1) junk\n", 5, 17,
     "expected the end of the test after the condition, found 'j'"},
    {T1 ROW("NOP") "exists (0:X0=1);;\n", 5, 17,
     "expected the end of the test after the condition, found ';'"},
    {T1 ROW("NOP") "exists (0:X0=1) /\\\n", 6, 1, "expected a register (0:X1) or a location"},
    {T1 ROW("NOP") "filter (0:X0=1)\n", 5, 1, "unsupported construct 'filter'"},
    {T1 ROW("NOP") "exists (0:X0 1)\n", 5, 14, "expected '=' in a condition atom"},
    {T1 ROW("NOP") "exists (0:X0=)\n", 5, 14, "expected a location name, found ')'"},
    {T1 ROW("NOP") "~ forall (0:X0=1)\n", 5, 3, "expected 'exists' after '~'"},
    {T1 ROW("NOP") "exists (x=PTE(y))\n", 5, 11, "unsupported construct 'PTE(...)'"},
    {T1 ROW("NOP") "exists (0:X0=1 (* open\n", 5, 16, "unterminated comment"},
    {T1 ROW("NOP") "locations [0:X0\nexists (0:X0=1)\n", 6, 1, "expected ';' or ']' in locations"},
    {T1 ROW("NOP") "locations 0:X0;\n" COND, 5, 11, "expected '[' after 'locations'"},
    {T1 ROW("NOP") "exists (0:X0=1 /\\ 3:X1=2)\n", 5, 19, "no thread 3 in this test"},
};

static void test_malformed(void **state)
{
	(void)state;
	int nbad = (int)(sizeof bad_inputs / sizeof bad_inputs[0]);
	int failed = 0;
	for (int i = 0; i < nbad; i++) {
		const struct bad *b = &bad_inputs[i];
		/* sizeof-based length for the one input with a NUL in it. */
		size_t n = strlen(b->src);
		if (strstr(b->msg, "byte 0x0"))
			n = strlen(b->src) + 1 + strlen(b->src + strlen(b->src) + 1);
		char *copy = (char *)ht_dup(b->src, n);
		int r = litmus_parse(copy, n, &t, &err);
		free(copy);
		if (r == 0) {
			printf("case %d parsed, but must fail with %d:%d: %s\n--- source:\n%s\n", i,
			       b->line, b->col, b->msg, b->src);
			failed++;
			continue;
		}
		if (err.line != b->line || err.col != b->col || !strstr(err.msg, b->msg)) {
			printf("case %d: got %d:%d: %s\n  want %d:%d: ...%s...\n--- source:\n%s\n",
			       i, err.line, err.col, err.msg, b->line, b->col, b->msg, b->src);
			failed++;
			continue;
		}
		char line[400], want[40];
		litmus_format_error(&err, "f.litmus", line, sizeof line);
		snprintf(want, sizeof want, "f.litmus:%d:%d: ", b->line, b->col);
		assert_memory_equal(line, want, strlen(want));
	}
	assert_int_equal(failed, 0);
	printf("%d malformed inputs, each with its line:col and message\n", nbad);
}

/* A test with count copies of row (each row one line) in one thread. */
static char *repeat_rows(const char *head, const char *row, int count, const char *tail)
{
	size_t n = strlen(head) + (size_t)count * (strlen(row) + 16) + strlen(tail) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	strcpy(s, head);
	for (int i = 0; i < count; i++) {
		char r[64];
		snprintf(r, sizeof r, row, i);
		strcat(s, r);
	}
	strcat(s, tail);
	return s;
}

static void expect_limit(const char *src, int ok, const char *msg)
{
	int r = parse_str(src, &t);
	if (ok) {
		if (r != 0)
			fail_msg("at the limit: %d:%d: %s", err.line, err.col, err.msg);
	} else {
		if (r == 0 || !strstr(err.msg, msg) || err.line == 0)
			fail_msg("past the limit: got %d:%d: %s, want %s", err.line, err.col,
				 r ? err.msg : "(success)", msg);
	}
}

static void test_limits(void **state)
{
	(void)state;
	char *s;
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n", " NOP ;\n", LITMUS_MAX_INSNS, COND);
	expect_limit(s, 1, NULL);
	free(s);
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n", " NOP ;\n", LITMUS_MAX_INSNS + 1, COND);
	expect_limit(s, 0, "too many instructions in a thread (limit 64)");
	assert_int_equal(err.line, 4 + LITMUS_MAX_INSNS);
	free(s);
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n", " L%d: ;\n", LITMUS_MAX_LABELS, COND);
	expect_limit(s, 1, NULL);
	free(s);
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n", " L%d: ;\n", LITMUS_MAX_LABELS + 1, COND);
	expect_limit(s, 0, "too many labels in a thread (limit 16)");
	free(s);
	s = repeat_rows("AArch64 T\n{\n", " v%d=1;\n", LITMUS_MAX_LOCS, "}\n P0 ;\n NOP ;\n" COND);
	expect_limit(s, 1, NULL);
	free(s);
	s = repeat_rows("AArch64 T\n{\n", " v%d=1;\n", LITMUS_MAX_LOCS + 1,
			"}\n P0 ;\n NOP ;\n" COND);
	expect_limit(s, 0, "too many memory locations (limit 16)");
	assert_int_equal(err.line, 2 + LITMUS_MAX_LOCS + 1);
	free(s);
	/* Observed places: 31 registers + 1 location = 32; one more fails. */
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n NOP ;\nexists (x=0", " /\\ 0:X%d=0", 31, ")\n");
	expect_limit(s, 1, NULL);
	free(s);
	s = repeat_rows("AArch64 T\n{}\n P0 | P1 ;\n NOP | NOP ;\nexists (x=0 /\\ y=0",
			" /\\ 0:X%d=0", 31, ")\n");
	expect_limit(s, 0, "too many observed registers and locations (limit 32)");
	free(s);
	/* Condition terms: 64 nodes is 32 atoms and 31 ANDs... */
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n NOP ;\nexists (0:X0=0", " /\\ 0:X0=%d",
			LITMUS_MAX_COND, ")\n");
	expect_limit(s, 0, "too many terms in the condition (limit 64)");
	free(s);
	/* Nesting. */
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n NOP ;\nexists ", "(", 40, "0:X0=0");
	expect_limit(s, 0, "condition nested too deeply");
	free(s);
	s = repeat_rows("AArch64 T\n{}\n P0 ;\n NOP ;\nexists ", "~", 200, "0:X0=0");
	expect_limit(s, 0, "condition nested too deeply");
	free(s);
	/* A long name: at the limit, and one past. */
	char name[LITMUS_NAME_MAX + 1];
	memset(name, 'n', sizeof name);
	name[LITMUS_NAME_MAX - 1] = '\0';
	char src[512];
	snprintf(src, sizeof src, "AArch64 %s\n{}\n P0 ;\n NOP ;\n" COND, name);
	expect_limit(src, 1, NULL);
	assert_int_equal(strlen(t.name), LITMUS_NAME_MAX - 1);
	name[LITMUS_NAME_MAX - 1] = 'n';
	name[LITMUS_NAME_MAX] = '\0';
	snprintf(src, sizeof src, "AArch64 %s\n{}\n P0 ;\n NOP ;\n" COND, name);
	expect_limit(src, 0, "too many characters in the test name (limit 95)");
	/* Metadata past LITMUS_MAX_META is dropped, not an error. */
	s = repeat_rows("AArch64 T\n", "K%d=v\n", LITMUS_MAX_META + 3, "{}\n P0 ;\n NOP ;\n" COND);
	expect_limit(s, 1, NULL);
	assert_int_equal(t.nmeta, LITMUS_MAX_META);
	free(s);
}

/* ---------------------------------------------------------------- robustness */

/* Every prefix of every corpus file: a result, or an error with a position
 * inside the text; never a crash or a read past the end (ASan). */
static void check_prefixes(const char *path)
{
	size_t len;
	char *text = read_file(path, &len);
	assert_non_null(text);
	for (size_t n = 0; n <= len; n++) {
		char *copy = (char *)ht_dup(text, n);
		int r = litmus_parse(copy, n, &t, &err);
		free(copy);
		if (r != 0) {
			assert_true(err.line >= 1);
			assert_true(err.col >= 1);
			assert_true(err.msg[0] != '\0');
		}
	}
	free(text);
}

static void test_prefixes(void **state)
{
	(void)state;
	const char *dirs[] = {shared_dir(), "tests/litmus"};
	int files = 0;
	for (int d = 0; d < 2; d++) {
		int n = list_litmus(dirs[d], names, 200);
		for (int i = 0; i < n; i++) {
			char path[600];
			snprintf(path, sizeof path, "%s/%s", dirs[d], names[i]);
			check_prefixes(path);
			files++;
		}
	}
	printf("every prefix of %d files\n", files);
}

/* ---------------------------------------------------------------- printing */

/* Print every instruction of tt back, re-parse the text, compare. */
static void round_trip(const struct litmus_test *tt, const char *what)
{
	static char src[65536];
	for (int k = 0; k < tt->nthreads; k++) {
		const struct litmus_thread *th = &tt->thread[k];
		int n = snprintf(src, sizeof src, "AArch64 R\n{}\n P0 ;\n");
		for (int i = 0; i <= th->ninsns; i++) {
			for (int l = 0; l < th->nlabels; l++)
				if (th->label[l].index == i)
					n += snprintf(src + n, sizeof src - (size_t)n, " %s: ;\n",
						      th->label[l].name);
			if (i == th->ninsns)
				break;
			char buf[128];
			size_t want = litmus_format_insn(th, &th->insn[i], buf, sizeof buf);
			assert_int_equal(want, strlen(buf));
			n += snprintf(src + n, sizeof src - (size_t)n, " %s ;\n", buf);
		}
		snprintf(src + n, sizeof src - (size_t)n, "exists (0:X0=0)\n");
		if (parse_str(src, &t2) != 0)
			fail_msg("%s P%d: re-parse failed: %d:%d: %s\n%s", what, k, err.line,
				 err.col, err.msg, src);
		const struct litmus_thread *r = &t2.thread[0];
		assert_int_equal(r->ninsns, th->ninsns);
		for (int i = 0; i < th->ninsns; i++) {
			struct litmus_insn a = th->insn[i], b = r->insn[i];
			a.line = b.line = 0;
			a.col = b.col = 0;
			a.label = b.label = 0; /* label numbering may differ */
			if (memcmp(&a, &b, sizeof a) != 0) {
				char buf[128];
				litmus_format_insn(th, &th->insn[i], buf, sizeof buf);
				fail_msg("%s P%d insn %d '%s' does not round-trip", what, k, i,
					 buf);
			}
		}
	}
}

static void test_format_round_trip(void **state)
{
	(void)state;
	int count = 0;
	const char *dirs[] = {shared_dir(), "tests/litmus"};
	for (int d = 0; d < 2; d++) {
		int n = list_litmus(dirs[d], names, 200);
		for (int i = 0; i < n; i++) {
			char path[600];
			size_t len;
			snprintf(path, sizeof path, "%s/%s", dirs[d], names[i]);
			char *text = read_file(path, &len);
			assert_int_equal(litmus_parse(text, len, &t, &err), 0);
			free(text);
			static struct litmus_test copy;
			copy = t;
			round_trip(&copy, names[i]);
			count++;
		}
	}
	parse_ok(detail_src);
	static struct litmus_test copy;
	copy = t;
	round_trip(&copy, "detail");
	printf("%d files round-trip through litmus_format_insn\n", count + 1);

	/* Exact texts. */
	parse_ok("AArch64 F\n{}\n P0 ;\n LDR W4,[X1,W2,SXTW] ;\n L: B.EQ L ;\n"
		 " ADD X1,X2,#1,LSL #12 ;\n SWPAL W1,W2,[X3] ;\n CSEL W1,W2,WZR,LO ;\n" COND);
	char buf[64];
	const struct litmus_thread *th = &t.thread[0];
	litmus_format_insn(th, &th->insn[0], buf, sizeof buf);
	assert_string_equal(buf, "LDR W4,[X1,W2,SXTW]");
	litmus_format_insn(th, &th->insn[1], buf, sizeof buf);
	assert_string_equal(buf, "B.EQ L");
	litmus_format_insn(th, &th->insn[2], buf, sizeof buf);
	assert_string_equal(buf, "ADD X1,X2,#1,LSL #12");
	litmus_format_insn(th, &th->insn[3], buf, sizeof buf);
	assert_string_equal(buf, "SWPAL W1,W2,[X3]");
	litmus_format_insn(th, &th->insn[4], buf, sizeof buf);
	assert_string_equal(buf, "CSEL W1,W2,WZR,CC");
	/* Every operand layout of litmus_format_insn, one instruction each. */
	parse_ok("AArch64 G\n{}\n P0 ;\n L: STXR W1,W0,[X2] ;\n STADDL W3,[X4] ;\n CBNZ W5,L ;\n"
		 " DMB ISHST ;\n CMP W6,#7 ;\n EOR X1,X2,X3 ;\n MOV W8,W9 ;\n B L ;\n ISB ;\n"
		 " LDAR W1,[X2] ;\n" COND);
	static const char *const want[] = {
	    "STXR W1,W0,[X2]", "STADDL W3,[X4]", "CBNZ W5,L", "DMB ISHST", "CMP W6,#7",
	    "EOR X1,X2,X3",    "MOV W8,W9",	 "B L",	      "ISB",	   "LDAR W1,[X2]",
	};
	th = &t.thread[0];
	assert_int_equal(th->ninsns, (int)(sizeof want / sizeof want[0]));
	for (int i = 0; i < th->ninsns; i++) {
		litmus_format_insn(th, &th->insn[i], buf, sizeof buf);
		assert_string_equal(buf, want[i]);
	}

	/* A short buffer: cut, terminated, the wanted length returned. */
	char small[6];
	th = &t.thread[0];
	assert_int_equal(litmus_format_insn(th, &th->insn[0], small, sizeof small), 15);
	assert_string_equal(small, "STXR ");
}

/* ---------------------------------------------------------------- helpers in litmus.c */

static void test_regs_and_flags(void **state)
{
	(void)state;
	parse_ok("AArch64 R\n{}\n P0 ;\n"
		 " EOR W2,W0,W0 ;\n" /* 0 */
		 " LDR W4,[X1,W2,SXTW] ;\n" /* 1 */
		 " STR W5,[X6] ;\n" /* 2 */
		 " CMP W0,#1 ;\n" /* 3 */
		 " CSEL X7,X8,X9,EQ ;\n" /* 4 */
		 " CASA W10,W11,[X12] ;\n" /* 5 */
		 " STXR W13,X14,[X15] ;\n" /* 6 */
		 " MOV X16,XZR ;\n" /* 7 */
		 " L: CBZ X17,L ;\n" /* 8 */
		 " STADD W18,[X19] ;\n" /* 9 */
		 " SWPL X20,X21,[X22] ;\n" /* 10 */
		 COND);
	const struct litmus_insn *in = t.thread[0].insn;
	uint32_t r, w;
	const uint32_t F = 1u << LITMUS_FLAGS_BIT;
	litmus_insn_regs(&in[0], &r, &w);
	assert_int_equal(r, 1u << 0);
	assert_int_equal(w, 1u << 2);
	litmus_insn_regs(&in[1], &r, &w);
	assert_int_equal(r, 1u << 1 | 1u << 2);
	assert_int_equal(w, 1u << 4);
	litmus_insn_regs(&in[2], &r, &w);
	assert_int_equal(r, 1u << 5 | 1u << 6);
	assert_int_equal(w, 0);
	litmus_insn_regs(&in[3], &r, &w);
	assert_int_equal(r, 1u << 0);
	assert_int_equal(w, F);
	litmus_insn_regs(&in[4], &r, &w);
	assert_int_equal(r, 1u << 8 | 1u << 9 | F);
	assert_int_equal(w, 1u << 7);
	litmus_insn_regs(&in[5], &r, &w);
	assert_int_equal(r, 1u << 10 | 1u << 11 | 1u << 12);
	assert_int_equal(w, 1u << 10);
	litmus_insn_regs(&in[6], &r, &w);
	assert_int_equal(r, 1u << 14 | 1u << 15);
	assert_int_equal(w, 1u << 13);
	litmus_insn_regs(&in[7], &r, &w);
	assert_int_equal(r, 0);
	assert_int_equal(w, 1u << 16);
	litmus_insn_regs(&in[8], &r, &w);
	assert_int_equal(r, 1u << 17);
	assert_int_equal(w, 0);
	litmus_insn_regs(&in[9], &r, &w);
	assert_int_equal(r, 1u << 18 | 1u << 19);
	assert_int_equal(w, 0);
	litmus_insn_regs(&in[10], &r, &w);
	assert_int_equal(r, 1u << 20 | 1u << 22);
	assert_int_equal(w, 1u << 21);

	assert_int_equal(litmus_op_flags(LITMUS_LDAR), LITMUS_F_LOAD | LITMUS_F_ACQ);
	assert_int_equal(litmus_op_flags(LITMUS_LDAPR),
			 LITMUS_F_LOAD | LITMUS_F_ACQPC | LITMUS_F_RCPC);
	assert_int_equal(litmus_op_flags(LITMUS_STLR), LITMUS_F_STORE | LITMUS_F_REL);
	assert_true(litmus_op_flags(LITMUS_SWPAL) & LITMUS_F_ACQ);
	assert_true(litmus_op_flags(LITMUS_SWPAL) & LITMUS_F_REL);
	assert_true(litmus_op_flags(LITMUS_CASL) & LITMUS_F_LSE);
	assert_false(litmus_op_flags(LITMUS_CASL) & LITMUS_F_ACQ);
	assert_true(litmus_op_flags(LITMUS_LDAXR) & LITMUS_F_EXCL);
	assert_true(litmus_op_flags(LITMUS_BCOND) & LITMUS_F_USEFLAGS);
	for (int op = 0; op < LITMUS_NOPS; op++)
		assert_string_not_equal(litmus_op_name(op), "?");
	assert_string_equal(litmus_barrier_name(LITMUS_BAR_ISHLD), "ISHLD");
	assert_string_equal(litmus_cc_name(LITMUS_LE), "LE");
}

static void test_cond_holds(void **state)
{
	(void)state;
	/* observed: 0:X0, 1:X1, x(32-bit), y */
	parse_ok("AArch64 C\n{ int x; 0:X9=y; }\n P0 | P1 ;\n NOP | NOP ;\n"
		 "exists (0:X0=1 /\\ ~(1:X1=2) \\/ x=-1 /\\ y=y)\n");
	assert_int_equal(t.nobserved, 4);
	uint64_t addr[2] = {0x1000, 0x2000}; /* x, y */
	uint64_t v[4] = {1, 3, 0, 0};
	assert_true(litmus_cond_holds(&t, v, addr)); /* left side */
	v[1] = 2;
	assert_false(litmus_cond_holds(&t, v, addr));
	v[2] = 0xffffffff; /* x is 32-bit: -1 */
	assert_false(litmus_cond_holds(&t, v, addr)); /* y is not &y */
	v[3] = 0x2000;
	assert_true(litmus_cond_holds(&t, v, addr));
	assert_false(litmus_cond_holds(&t, v, NULL)); /* no addresses: no match */
	v[2] = 0xfffffffe;
	assert_false(litmus_cond_holds(&t, v, addr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_herd_corpus),
	    cmocka_unit_test(test_own_tests),
	    cmocka_unit_test(test_detail),
	    cmocka_unit_test(test_quantifiers_and_forms),
	    cmocka_unit_test(test_instruction_fields),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_regs_and_flags),
	    cmocka_unit_test(test_cond_holds),
	};
	ht_watchdog(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
