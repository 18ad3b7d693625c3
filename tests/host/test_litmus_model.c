/*
 * test_litmus_model.c — the ARMv8 axiomatic model (kernel/litmus/model*.c).
 *
 * Covers:
 *   - herd's corpus in ../shared/litmus/herdtools7 (skipped with a line when
 *     absent; LITMUS_SHARED_DIR overrides): every verdict equals the one in
 *     VERDICTS.tsv, and every test whose herd7 output is in
 *     herd7-local-output.txt gets the same final states, and the same
 *     output block as a whole (Ok/No, Witnesses counts, Condition,
 *     Observation);
 *   - the project's own tests in tests/litmus: the verdict each states in
 *     its comment, and for a Forbidden one an explanation with a cycle;
 *   - the dependency analysis on one-thread programs, edge by edge: MOV,
 *     ADD, ORR, EOR (false dependencies), address arithmetic, CSEL (data
 *     when the read's value is selected, pick when the read decides), CBZ,
 *     CMP + B.cond, ISB after a branch, dependencies through memory (lrs),
 *     same-location writes;
 *   - every DMB/DSB option and ISB, acquire, acquirePC and release;
 *   - the enumeration: candidate executions and witnesses counted by hand;
 *   - exclusives and LSE atomics (the atomic axiom), loops (unrolling),
 *     herd's printing of conditions and values, --why, and errors for tests
 *     beyond the limits.
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
#include "kernel/litmus/model.h"
#include "kernel/litmus/model_int.h"
#include "tests/host/hosttest.h"

/* Large: static. */
static struct litmus_test t;
static struct litmus_error err;
static struct model m;

/* ---------------------------------------------------------------- helpers */

static const char *shared_dir(void)
{
	const char *env = getenv("LITMUS_SHARED_DIR");
	return env && *env ? env : "../shared/litmus/herdtools7";
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	assert_true(n >= 0);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* What model_print and model_explain write, collected. */
static char out_buf[1 << 16];
static size_t out_len;

static void collect(void *arg, const char *s, size_t n)
{
	(void)arg;
	assert_true(out_len + n < sizeof out_buf);
	memcpy(out_buf + out_len, s, n);
	out_len += n;
	out_buf[out_len] = '\0';
}

static const struct model_out collector = {collect, NULL};

static const char *printed(void)
{
	out_len = 0;
	out_buf[0] = '\0';
	model_print(&m, &collector, NULL);
	return out_buf;
}

static const char *explained(void)
{
	out_len = 0;
	out_buf[0] = '\0';
	if (model_explain(&m, &collector, &err) != 0)
		fail_msg("model_explain: %s", err.msg);
	return out_buf;
}

static void parse_text(const char *text, size_t len, const char *what)
{
	if (litmus_parse(text, len, &t, &err) != 0)
		fail_msg("%s:%d:%d: %s", what, err.line, err.col, err.msg);
}

/* Parse and run src; fails the test on any error. */
static void run(const char *src, unsigned flags)
{
	parse_text(src, strlen(src), "source");
	if (model_run(&m, &t, flags, &err) != 0)
		fail_msg("model_run: %d:%d: %s\n--- source:\n%s", err.line, err.col, err.msg, src);
}

/* A one-thread test around the given instructions (';'-separated lines).
 * X1, X3, X5, X7 hold x, y, z, w; every other register starts at 0. */
static const char *one_thread(const char *insns)
{
	static char src[4096];
	char body[3000];
	size_t n = 0;
	const char *p = insns;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		n += (size_t)snprintf(body + n, sizeof body - n, " %.*s ;\n", (int)len, p);
		p += len + (semi ? 1 : 0);
	}
	snprintf(src, sizeof src,
		 "AArch64 T\n{ 0:X1=x; 0:X3=y; 0:X5=z; 0:X7=w; }\n P0 ;\n%sexists (0:X0=0)\n",
		 body);
	return src;
}

/* The reason event i is ordered before event j in the first trace of the
 * one-thread program insns (all reads returning the initial 0), or 0. */
static int edge(const char *insns, int i, int j)
{
	static uint8_t label[MODEL_MAX_TEV][MODEL_MAX_TEV];
	run(one_thread(insns), 0);
	const struct model_trace *tr = &m.trace[m.first[0]];
	assert_true(i < tr->nev && j < tr->nev);
	assert_int_equal(model_replay(&m, tr), 0);
	model_local_order(&m.work, label);
	bool ordered = m.work.tr.ord[i] >> j & 1;
	/* The stored trace and the replayed one agree, and every edge has a
	 * reason. */
	assert_int_equal(m.work.tr.ord[i], tr->ord[i]);
	assert_int_equal(ordered, label[i][j] != 0);
	return ordered ? label[i][j] : 0;
}

static void expect_edge(const char *insns, int i, int j, int want)
{
	int got = edge(insns, i, j);
	if (got != want)
		fail_msg("%s: edge %d->%d is %d, expected %d", insns, i, j, got, want);
}

/* ---------------------------------------------------------------- herd's corpus */

struct row {
	char name[96];
	char verdict[16];
	char file[128];
};

static struct row rows[200];

static int read_verdicts(const char *dir)
{
	char path[512], line[4096];
	snprintf(path, sizeof path, "%s/VERDICTS.tsv", dir);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	int n = 0;
	assert_non_null(fgets(line, sizeof line, fp)); /* header */
	while (fgets(line, sizeof line, fp) && n < 200) {
		char *f[6] = {0}, *save = NULL;
		int k = 0;
		for (char *tok = strtok_r(line, "\t\n", &save); tok && k < 6;
		     tok = strtok_r(NULL, "\t\n", &save))
			f[k++] = tok;
		assert_true(k >= 5);
		snprintf(rows[n].name, sizeof rows[n].name, "%s", f[0]);
		snprintf(rows[n].verdict, sizeof rows[n].verdict, "%s", f[1]);
		snprintf(rows[n].file, sizeof rows[n].file, "%s", f[4]);
		n++;
	}
	fclose(fp);
	return n;
}

/* herd's block for test name in herd7-local-output.txt, without its Hash and
 * Time lines, into out; false if absent. */
static bool herd_block(const char *all, const char *name, char *out, size_t size)
{
	char head[128];
	snprintf(head, sizeof head, "Test %s ", name);
	const char *p = all;
	while ((p = strstr(p, head)) != NULL && p != all && p[-1] != '\n')
		p++;
	if (!p)
		return false;
	size_t n = 0;
	while (*p && !(p[0] == '\n' && (p[1] == '\n' || p[1] == '\0'))) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (strncmp(p, "Hash=", 5) != 0 && strncmp(p, "Time ", 5) != 0) {
			assert_true(n + len + 2 < size);
			memcpy(out + n, p, len);
			out[n + len] = '\n';
			n += len + 1;
		}
		p += len;
		if (*p == '\n' && p[1] != '\n')
			p++;
	}
	out[n] = '\0';
	return true;
}

/* The model's block, without Hash. */
static void model_block(char *out, size_t size)
{
	const char *s = printed();
	size_t n = 0;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = (size_t)(eol - s);
		if (len && strncmp(s, "Hash=", 5) != 0) {
			assert_true(n + len + 2 < size);
			memcpy(out + n, s, len + 1);
			n += len + 1;
		}
		s = eol + 1;
	}
	out[n] = '\0';
}

/* The state lines of a block, each once, sorted, into out. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void state_lines(const char *block, char *out, size_t size)
{
	char copy[1 << 14];
	char *lines[4096];
	int n = 0, nstates = 0;
	snprintf(copy, sizeof copy, "%s", block);
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "States ", 7) == 0) {
			nstates = atoi(l + 7);
			continue;
		}
		if (nstates > 0 && n < 4096) {
			lines[n++] = l;
			nstates--;
		}
	}
	qsort(lines, (size_t)n, sizeof lines[0], cmp_str);
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s\n", lines[i]);
}

static void test_herd_corpus(void **state)
{
	(void)state;
	const char *dir = shared_dir();
	char path[600];
	snprintf(path, sizeof path, "%s/VERDICTS.tsv", dir);
	FILE *probe = fopen(path, "r");
	if (!probe) {
		printf("skipped: %s is absent (herd's corpus; set LITMUS_SHARED_DIR)\n", dir);
		skip();
	}
	fclose(probe);
	int n = read_verdicts(dir);
	size_t len;
	snprintf(path, sizeof path, "%s/herd7-local-output.txt", dir);
	char *herd = read_file(path, &len);
	assert_non_null(herd);
	int verdicts = 0, with_output = 0, same_states = 0, same_block = 0;
	static char want[1 << 14], got[1 << 14], ws[1 << 14], gs[1 << 14];
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, rows[i].file);
		char *text = read_file(path, &len);
		assert_non_null(text);
		parse_text(text, len, path);
		free(text);
		if (model_run(&m, &t, 0, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		if (strcmp(model_verdict(&m), rows[i].verdict) != 0)
			fail_msg("%s: the model says %s, VERDICTS.tsv %s", rows[i].name,
				 model_verdict(&m), rows[i].verdict);
		verdicts++;
		if (!herd_block(herd, rows[i].name, want, sizeof want))
			continue;
		with_output++;
		model_block(got, sizeof got);
		state_lines(want, ws, sizeof ws);
		state_lines(got, gs, sizeof gs);
		if (strcmp(ws, gs) != 0)
			fail_msg("%s: final states differ\n--- herd7:\n%s--- model:\n%s",
				 rows[i].name, ws, gs);
		same_states++;
		if (strcmp(want, got) != 0)
			fail_msg("%s: output differs\n--- herd7:\n%s--- model:\n%s", rows[i].name,
				 want, got);
		same_block++;
		/* --why enumerates differently (every co order, incoherent
		 * ones classified): the same result, and an explanation. */
		if (model_run(&m, &t, MODEL_WHY, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		model_block(ws, sizeof ws);
		if (strcmp(ws, got) != 0)
			fail_msg("%s: output with MODEL_WHY differs\n%s", rows[i].name, ws);
		const char *why = explained();
		bool forbidden = strcmp(rows[i].verdict, "Forbidden") == 0;
		if (!strstr(why, forbidden ? " is forbidden: " : " is allowed: ") ||
		    (forbidden && !strstr(why, " -") && !strstr(why, "atomic")))
			fail_msg("%s: unexpected explanation:\n%s", rows[i].name, why);
	}
	free(herd);
	assert_int_equal(verdicts, n);
	printf("herd corpus: %d/%d verdicts agree; of %d herd7 outputs, %d state sets and %d "
	       "whole outputs equal\n",
	       verdicts, n, with_output, same_states, same_block);
}

/* ---------------------------------------------------------------- the project's own */

/* Does a forbidden outcome's explanation end in a cycle, "A -e-> B ... -f-> A"?
 * Its last line must hold at least one edge and start and end at the same
 * event.  (Not every cycle has an fre: LB's are rfe and dependencies only,
 * CoWW's po-loc and coi.) */
static bool has_cycle(const char *why)
{
	size_t n = strlen(why);
	while (n > 0 && why[n - 1] == '\n')
		n--;
	size_t start = n;
	while (start > 0 && why[start - 1] != '\n')
		start--;
	while (start < n && why[start] == ' ')
		start++;
	const char *line = why + start;
	size_t len = n - start;
	const char *sp = memchr(line, ' ', len);
	if (!strstr(why, "a shortest cycle:") || !sp || !strstr(line, "-> "))
		return false;
	size_t first = (size_t)(sp - line);
	return len > 2 * first && memcmp(line, line + len - first, first) == 0 &&
	       line[len - first - 1] == ' ';
}

static void test_own_tests(void **state)
{
	(void)state;
	DIR *d = opendir("tests/litmus");
	assert_non_null(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 8 || strcmp(de->d_name + nl - 7, ".litmus") != 0)
			continue;
		char path[512];
		size_t len;
		snprintf(path, sizeof path, "tests/litmus/%s", de->d_name);
		char *text = read_file(path, &len);
		assert_non_null(text);
		const char *line = strstr(text, "Expected ARMv8 verdict:");
		if (!line)
			fail_msg("%s: no \"Expected ARMv8 verdict:\" line", path);
		char want[16] = "";
		sscanf(line + strlen("Expected ARMv8 verdict:"), " %15[A-Za-z]", want);
		parse_text(text, len, path);
		free(text);
		if (model_run(&m, &t, MODEL_WHY, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		if (strcmp(model_verdict(&m), want) != 0)
			fail_msg("%s: the model says %s, the file %s", path, model_verdict(&m),
				 want);
		const char *why = explained();
		if (strcmp(want, "Forbidden") == 0 && !has_cycle(why))
			fail_msg("%s: no cycle in the explanation:\n%s", path, why);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
	printf("tests/litmus: %d files, every verdict as stated\n", n);
}

/* ---------------------------------------------------------------- dependencies */

static void test_dependencies(void **state)
{
	(void)state;
	/* Register data flow: MOV, ADD, ORR carry it; a constant ends it. */
	expect_edge("LDR W0,[X1];MOV W2,W0;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];ADD W2,W0,#1;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];ORR W2,W9,W0;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];SUB W2,W0,W0;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];AND W2,W0,#1;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];MOV W0,#1;STR W0,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];MOV W2,W9;STR W2,[X3]", 0, 1, 0);
	/* EOR Xd,Xs,Xs is always 0 and still a dependency (a false one). */
	expect_edge("LDR W0,[X1];EOR W2,W0,W0;LDR W4,[X3,W2,SXTW]", 0, 1, MODEL_E_ADDR);
	expect_edge("LDR W0,[X1];EOR W2,W0,W0;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR X0,[X1];EOR X2,X0,X0;ADD X3,X3,X2;LDR W4,[X3]", 0, 1, MODEL_E_ADDR);
	expect_edge("LDR W0,[X1];EOR W2,W0,W0;LDR W4,[X3,W2,SXTW];STR W6,[X5]", 0, 2,
		    MODEL_E_ADDRPO);
	/* Two reads with no flow between them are not ordered. */
	expect_edge("LDR W0,[X1];LDR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];STR W2,[X3]", 0, 1, 0);
	expect_edge("STR W0,[X1];LDR W2,[X3]", 0, 1, 0);
	/* CSEL: the selected register's flow is data; the flags' is pick,
	 * which orders writes but not reads. */
	expect_edge("LDR W0,[X1];CMP W9,#0;CSEL W2,W0,W8,EQ;STR W2,[X3]", 0, 1, MODEL_E_DATA);
	expect_edge("LDR W0,[X1];CMP W9,#0;CSEL W2,W8,W0,EQ;STR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL W2,W8,W9,EQ;STR W2,[X3]", 0, 1, MODEL_E_PDATA);
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL X2,X3,X5,EQ;LDR W4,[X2]", 0, 1, 0);
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL X2,X3,X5,EQ;STR W4,[X2]", 0, 1, MODEL_E_PADDR);
	/* Branches: ctrl orders later writes, later reads only after an ISB. */
	expect_edge("LDR W0,[X1];CBZ W0,L0;L0: MOV W2,#1;STR W2,[X3]", 0, 1, MODEL_E_CTRL);
	expect_edge("LDR W0,[X1];CBNZ W0,L0;L0: STR W2,[X3]", 0, 1, MODEL_E_CTRL);
	expect_edge("LDR W0,[X1];CMP W0,#1;B.EQ L0;L0: STR W2,[X3]", 0, 1, MODEL_E_CTRL);
	expect_edge("LDR W0,[X1];CMP W9,#1;B.EQ L0;L0: STR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];CBZ W0,L0;L0: LDR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];CBZ W0,L0;L0: ISB;LDR W2,[X3]", 0, 1, MODEL_E_CTRLISB);
	expect_edge("LDR W0,[X1];ISB;CBZ W0,L0;L0: LDR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];EOR W2,W0,W0;LDR W4,[X3,W2,SXTW];ISB;LDR W6,[X5]", 0, 2,
		    MODEL_E_ADDRISB);
	/* Through memory: a read after the thread's own write to the same
	 * location (a local read successor) inherits its dependencies. */
	expect_edge("LDR W0,[X1];STR W0,[X3];LDR W2,[X3]", 0, 2, MODEL_E_DATALRS);
	expect_edge("LDR W0,[X1];EOR W2,W0,W0;STR W8,[X3,W2,SXTW];LDR W4,[X3]", 0, 2,
		    MODEL_E_ADDRLRS);
	expect_edge("LDR W0,[X1];STR W0,[X3];STR W9,[X3];LDR W2,[X3]", 0, 3, 0);
	expect_edge("LDR W0,[X1];STR W0,[X3];LDR W2,[X3];EOR W4,W2,W2;LDR W6,[X5,W4,SXTW]", 0, 3,
		    MODEL_E_ADDR);
	/* A read picking (CSEL on its value) an access's address orders
	 * later writes (pick-addr;po;[W]).  pick-basic-dep;lob;[W]: the read
	 * picks the value stored to z, z is read back by an acquire (a local
	 * read successor), and the acquire is ordered before the write; with
	 * a plain read back, nothing orders the write. */
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL X2,X3,X5,EQ;LDR W4,[X2];STR W6,[X7]", 0, 2,
		    MODEL_E_PADDRPO);
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL W2,W8,W9,EQ;STR W2,[X3];LDAR W4,[X3];"
		    "STR W6,[X7]",
		    0, 3, MODEL_E_PICKLOB);
	expect_edge("LDR W0,[X1];CMP W0,#0;CSEL W2,W8,W9,EQ;STR W2,[X3];LDR W4,[X3];"
		    "STR W6,[X7]",
		    0, 3, 0);
	/* A later write to the same location. */
	expect_edge("LDR W0,[X1];STR W2,[X1]", 0, 1, MODEL_E_POLOC);
	expect_edge("STR W0,[X1];STR W2,[X1]", 0, 1, MODEL_E_POLOC);
	expect_edge("STR W0,[X1];LDR W2,[X1]", 0, 1, 0);
}

/* ---------------------------------------------------------------- barriers */

static void test_barriers(void **state)
{
	(void)state;
	/* W0 R1 | barrier | W2 R3 on four locations: which of the four pairs
	 * across it are ordered. */
	static const struct {
		const char *b;
		bool ww, wr, rw, rr;
	} cases[] = {
	    {"DMB SY", 1, 1, 1, 1},    {"DMB ISH", 1, 1, 1, 1},	  {"DMB OSH", 1, 1, 1, 1},
	    {"DMB LD", 0, 0, 1, 1},    {"DMB ISHLD", 0, 0, 1, 1}, {"DMB OSHLD", 0, 0, 1, 1},
	    {"DMB ST", 1, 0, 0, 0},    {"DMB ISHST", 1, 0, 0, 0}, {"DMB OSHST", 1, 0, 0, 0},
	    {"DMB NSH", 0, 0, 0, 0},   {"DMB NSHLD", 0, 0, 0, 0}, {"DMB NSHST", 0, 0, 0, 0},
	    {"DSB SY", 1, 1, 1, 1},    {"DSB ISH", 1, 1, 1, 1},	  {"DSB LD", 0, 0, 1, 1},
	    {"DSB ISHLD", 0, 0, 1, 1}, {"DSB ST", 1, 1, 0, 0},	  {"DSB ISHST", 1, 1, 0, 0},
	    {"DSB NSH", 0, 0, 0, 0},   {"ISB", 0, 0, 0, 0},
	};
	char insns[200];
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		snprintf(insns, sizeof insns, "STR W0,[X1];LDR W2,[X3];%s;STR W4,[X5];LDR W6,[X7]",
			 cases[k].b);
		bool got[4] = {edge(insns, 0, 2) != 0, edge(insns, 0, 3) != 0,
			       edge(insns, 1, 2) != 0, edge(insns, 1, 3) != 0};
		bool want[4] = {cases[k].ww, cases[k].wr, cases[k].rw, cases[k].rr};
		for (int p = 0; p < 4; p++)
			if (got[p] != want[p])
				fail_msg("%s: %s->%s ordered %d, expected %d", cases[k].b,
					 p < 2 ? "W" : "R", p % 2 ? "R" : "W", got[p], want[p]);
		/* Nothing orders the pairs on one side of the barrier. */
		assert_int_equal(edge(insns, 0, 1), 0);
		assert_int_equal(edge(insns, 2, 3), 0);
	}
	/* The label names the barrier. */
	char name[32];
	struct strbuf sb;
	int l = edge("STR W0,[X1];DMB ISHST;STR W2,[X3]", 0, 1);
	sb_init(&sb, name, sizeof name);
	model_edge_name(&m.work, l, &sb);
	assert_string_equal(name, "dmb.ishst");

	/* Acquire (LDAR) and acquirePC (LDAPR) order what follows; release
	 * (STLR) what precedes; release then acquire (not acquirePC) too. */
	expect_edge("LDAR W0,[X1];STR W2,[X3]", 0, 1, MODEL_E_ACQ);
	expect_edge("LDAR W0,[X1];LDR W2,[X3]", 0, 1, MODEL_E_ACQ);
	expect_edge("LDAPR W0,[X1];LDR W2,[X3]", 0, 1, MODEL_E_ACQPC);
	expect_edge("LDR W0,[X1];STLR W2,[X3]", 0, 1, MODEL_E_REL);
	expect_edge("STR W0,[X1];STLR W2,[X3]", 0, 1, MODEL_E_REL);
	expect_edge("STLR W0,[X1];LDAR W2,[X3]", 0, 1, MODEL_E_RELACQ);
	expect_edge("STLR W0,[X1];LDAPR W2,[X3]", 0, 1, 0);
	expect_edge("STLR W0,[X1];LDR W2,[X3]", 0, 1, 0);
	expect_edge("STR W0,[X1];LDAR W2,[X3]", 0, 1, 0);
	expect_edge("LDR W0,[X1];LDAR W2,[X3]", 0, 1, 0);
}

/* ---------------------------------------------------------------- enumeration */

static const char *const MP_SRC = "AArch64 MP\n"
				  "{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }\n"
				  " P0          | P1          ;\n"
				  " MOV W0,#1   | LDR W0,[X3] ;\n"
				  " STR W0,[X1] | LDR W2,[X1] ;\n"
				  " MOV W2,#1   |             ;\n"
				  " STR W2,[X3] |             ;\n"
				  "exists (1:X0=1 /\\ 1:X2=0)\n";

static void expect_counts(const char *src, uint64_t cands, uint64_t pos, uint64_t neg, int states)
{
	run(src, 0);
	if (m.candidates != cands || m.pos != pos || m.neg != neg || m.nstates != states)
		fail_msg("%s: %llu candidates, %llu+%llu allowed, %d states; expected %llu, "
			 "%llu+%llu, %d",
			 t.name, (unsigned long long)m.candidates, (unsigned long long)m.pos,
			 (unsigned long long)m.neg, m.nstates, (unsigned long long)cands,
			 (unsigned long long)pos, (unsigned long long)neg, states);
}

static void test_enumeration(void **state)
{
	(void)state;
	/* MP: each read from the initial write or P0's: 2 x 2 executions,
	 * co trivial (one write per location); all allowed. */
	expect_counts(MP_SRC, 4, 1, 3, 4);
	/* With DMB SY on both sides: the same 4 candidates, 3 allowed. */
	expect_counts("AArch64 MP+dmbs\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }\n"
		      " P0          | P1          ;\n MOV W0,#1   | LDR W0,[X3] ;\n"
		      " STR W0,[X1] | DMB SY      ;\n DMB SY      | LDR W2,[X1] ;\n"
		      " STR W0,[X3] |             ;\nexists (1:X0=1 /\\ 1:X2=0)\n",
		      4, 0, 3, 3);
	/* 2+2W: two co orders per location, 4 candidates, 4 final states. */
	expect_counts("AArch64 2+2W\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }\n"
		      " P0          | P1          ;\n MOV W0,#1   | MOV W0,#1   ;\n"
		      " STR W0,[X1] | STR W0,[X3] ;\n MOV W2,#2   | MOV W2,#2   ;\n"
		      " STR W2,[X3] | STR W2,[X1] ;\nexists (x=2 /\\ y=2)\n",
		      4, 1, 3, 4);
	/* One read, three writes to read from (init, 1, 2), two co orders of
	 * the writes: 6 candidates, all coherent and allowed, 6 states. */
	expect_counts("AArch64 R3\n{ 0:X1=x; 1:X1=x; 2:X1=x; }\n"
		      " P0          | P1          | P2          ;\n"
		      " MOV W0,#1   | MOV W0,#2   | LDR W2,[X1] ;\n"
		      " STR W0,[X1] | STR W0,[X1] |             ;\n"
		      "exists (2:X2=1 /\\ x=1)\n",
		      6, 1, 5, 6);
	/* CoRR: 2 x 2 rf choices, one incoherent (new then old): 3. */
	expect_counts("AArch64 CoRR\n{ 0:X1=x; 1:X1=x; }\n"
		      " P0          | P1          ;\n MOV W0,#1   | LDR W0,[X1] ;\n"
		      " STR W0,[X1] | LDR W2,[X1] ;\nexists (1:X0=1 /\\ 1:X2=0)\n",
		      3, 0, 3, 3);
	/* CoRR with two writes: P2 reads x twice; 3 x 3 rf choices, 2 co
	 * orders, 18 candidates; coherent when the reads go forward in co:
	 * 6 per co order, 12 allowed, 12 states.  Reading 1 then 2 with 1
	 * last in co is not among them. */
	expect_counts("AArch64 CoRR2\n{ 0:X1=x; 1:X1=x; 2:X1=x; }\n"
		      " P0          | P1          | P2          ;\n"
		      " MOV W0,#1   | MOV W0,#2   | LDR W0,[X1] ;\n"
		      " STR W0,[X1] | STR W0,[X1] | LDR W2,[X1] ;\n"
		      "exists (2:X0=1 /\\ 2:X2=2 /\\ x=1)\n",
		      12, 0, 12, 12);
	/* CoWR: P1 writes 2 then reads x: its own 2 (either co order) or
	 * P0's 1 (only if 1 is co-after 2), never the initial 0: 3. */
	expect_counts("AArch64 CoWR2\n{ 0:X1=x; 1:X1=x; }\n"
		      " P0          | P1          ;\n"
		      " MOV W0,#1   | MOV W0,#2   ;\n"
		      " STR W0,[X1] | STR W0,[X1] ;\n"
		      "             | LDR W2,[X1] ;\n"
		      "exists (1:X2=1 /\\ x=2)\n",
		      3, 0, 3, 3);
	/* One thread, two writes: co has two orders, only po's is coherent. */
	expect_counts("AArch64 CoWW\n{ 0:X1=x; }\n P0 ;\n MOV W0,#1 ;\n STR W0,[X1] ;\n"
		      " MOV W0,#2 ;\n STR W0,[X1] ;\nexists (x=1)\n",
		      1, 0, 1, 1);
	/* A read of a value nobody writes is in no execution: the test has
	 * only the executions where it reads 0 and 1 ([x]=1 once). */
	expect_counts("AArch64 V\n{ 0:X1=x; 1:X1=x; }\n P0          | P1          ;\n"
		      " MOV W0,#1   | LDR W2,[X1] ;\n STR W0,[X1] | ADD W2,W2,#5 ;\n"
		      "exists (1:X2=6)\n",
		      2, 1, 1, 2);
}

/* ---------------------------------------------------------------- atomics */

static const char *const INC_SRC = "AArch64 INC\n{ 0:X1=x; 1:X1=x; }\n"
				   " P0               | P1               ;\n"
				   " LDXR W0,[X1]     | LDXR W0,[X1]     ;\n"
				   " ADD W0,W0,#1     | ADD W0,W0,#1     ;\n"
				   " STXR W2,W0,[X1]  | STXR W2,W0,[X1]  ;\n"
				   "exists (0:X2=0 /\\ 1:X2=0 /\\ x=1)\n";

static void test_atomics(void **state)
{
	(void)state;
	/* Two exclusive increments that both succeed cannot lose one. */
	run(INC_SRC, MODEL_WHY);
	assert_string_equal(model_verdict(&m), "Forbidden");
	const char *why = explained();
	if (!strstr(why, "atomic"))
		fail_msg("no atomicity break in:\n%s", why);
	/* Without the exclusives, an increment is lost. */
	run("AArch64 INC2\n{ 0:X1=x; 1:X1=x; }\n P0          | P1          ;\n"
	    " LDR W0,[X1] | LDR W0,[X1] ;\n ADD W0,W0,#1 | ADD W0,W0,#1 ;\n"
	    " STR W0,[X1] | STR W0,[X1] ;\nexists (x=1)\n",
	    0);
	assert_string_equal(model_verdict(&m), "Allowed");
	/* LDADD twice: always 2 (herd's "Required" test kind, Ok, Always). */
	run("AArch64 ADD2\n{ 0:X1=x; 1:X1=x; 0:X2=1; 1:X2=1; }\n P0 | P1 ;\n"
	    " LDADD W2,W3,[X1] | LDADD W2,W3,[X1] ;\nforall (x=2)\n",
	    0);
	assert_string_equal(model_observation(&m), "Always");
	assert_non_null(strstr(printed(), "Test ADD2 Required\n"));
	assert_non_null(strstr(out_buf, "\nOk\n"));
	/* SWP with acquire orders the later read; with Rt=ZR it does not. */
	run("AArch64 SWPA\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; 1:X4=2; }\n"
	    " P0 | P1 ;\n MOV W0,#1 | SWPA W4,W5,[X3] ;\n STR W0,[X1] | LDR W0,[X1] ;\n"
	    " STLR W0,[X3] | ;\nexists (y=2 /\\ 1:X5=1 /\\ 1:X0=0)\n",
	    0);
	assert_string_equal(model_verdict(&m), "Forbidden");
	run("AArch64 SWPAZR\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; 1:X4=2; }\n"
	    " P0 | P1 ;\n MOV W0,#1 | SWPA W4,WZR,[X3] ;\n STR W0,[X1] | LDR W0,[X1] ;\n"
	    " STLR W0,[X3] | ;\nexists (y=2 /\\ 1:X0=0)\n",
	    0);
	assert_string_equal(model_verdict(&m), "Allowed");
	/* CAS: the compare value decides whether it writes (a pick
	 * dependency orders that write after the read that made it). */
	run("AArch64 LBCAS\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }\n"
	    " P0 | P1 ;\n MOV W9,#1 | MOV W4,#1 ;\n LDR W0,[X3] | LDR W5,[X1] ;\n"
	    " STLR W9,[X1] | AND W10,W5,#2 ;\n | CAS W10,W4,[X3] ;\n"
	    "exists (1:X5=1 /\\ 0:X0=1)\n",
	    0);
	assert_string_equal(model_verdict(&m), "Forbidden");
}

/* ---------------------------------------------------------------- pick */

static void test_pick(void **state)
{
	(void)state;
	/* Load buffering where P0's read decides (CSEL) what it stores to z,
	 * reads z back with an acquire, then writes y: the read is ordered
	 * before that write by pick-basic-dep;lob, so the cycle through P1's
	 * DMB is forbidden.  With a plain read back it is allowed. */
	static const char *const fmt = "AArch64 PICK\n{ 0:X1=x; 0:X3=z; 0:X5=y; 1:X1=x; 1:X5=y; }\n"
				       " P0               | P1          ;\n"
				       " LDR W0,[X1]      | LDR W0,[X5] ;\n"
				       " CMP W0,#1        | DMB SY      ;\n"
				       " CSEL W2,W8,W9,EQ | MOV W2,#1   ;\n"
				       " STR W2,[X3]      | STR W2,[X1] ;\n"
				       " %s W4,[X3]     |             ;\n"
				       " MOV W6,#1        |             ;\n"
				       " STR W6,[X5]      |             ;\n"
				       "exists (0:X0=1 /\\ 1:X0=1)\n";
	char src[1024];
	snprintf(src, sizeof src, fmt, "LDAR");
	run(src, MODEL_WHY);
	assert_string_equal(model_verdict(&m), "Forbidden");
	const char *why = explained();
	if (!strstr(why, "Rx=1 -pick;lob-> Wy=1"))
		fail_msg("unexpected explanation:\n%s", why);
	snprintf(src, sizeof src, fmt, "LDR ");
	run(src, 0);
	assert_string_equal(model_verdict(&m), "Allowed");
}

/* ---------------------------------------------------------------- loops */

static void test_loop(void **state)
{
	(void)state;
	/* A spin until x is set: the paths that spin more than the unroll
	 * bound are cut, and herd's result says "Loop". */
	run("AArch64 SPIN\n{ 0:X1=x; 1:X1=x; }\n P0          | P1          ;\n"
	    " MOV W0,#1   | L0:         ;\n STR W0,[X1] | LDR W2,[X1] ;\n"
	    "             | CBZ W2,L0   ;\nexists (1:X2=1)\n",
	    0);
	assert_true(m.loop_cut);
	assert_non_null(strstr(printed(), "\nLoop Ok\n"));
	assert_string_equal(model_observation(&m), "Always");
	/* The last read saw 1: after 0, 1 or 2 reads of 0. */
	assert_int_equal(m.pos, 3);
}

/* ---------------------------------------------------------------- printing */

static void test_printing(void **state)
{
	(void)state;
	run(MP_SRC, 0);
	assert_string_equal(printed(), "Test MP Allowed\n"
				       "States 4\n"
				       "1:X0=0; 1:X2=0;\n"
				       "1:X0=0; 1:X2=1;\n"
				       "1:X0=1; 1:X2=0;\n"
				       "1:X0=1; 1:X2=1;\n"
				       "Ok\n"
				       "Witnesses\n"
				       "Positive: 1 Negative: 3\n"
				       "Condition exists (1:X0=1 /\\ 1:X2=0)\n"
				       "Observation MP Sometimes 1 3\n"
				       "\n");
	/* ~exists: Forbidden, Positive counts the negation's executions. */
	run("AArch64 N\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\n~exists (0:X0=1)\n", 0);
	assert_non_null(strstr(printed(), "Test N Forbidden\n"));
	assert_non_null(strstr(out_buf, "\nOk\nWitnesses\nPositive: 1 Negative: 0\n"));
	assert_non_null(strstr(out_buf, "Observation N Never 0 1\n"));
	/* Precedence, locations as [x], negation as herd writes it, an
	 * address as a location's name, the ISH flag. */
	run("AArch64 C\n{ p=x; 0:X1=p; 0:X3=y; }\n P0 ;\n LDR X0,[X1] ;\n DMB ISH ;\n"
	    " LDR W2,[X3] ;\nexists ((0:X0=x \\/ y=1) /\\ ~0:X2=1 \\/ 0:X0=y /\\ true)\n",
	    0);
	printed();
	assert_non_null(strstr(out_buf, "0:X0=x; 0:X2=0; [y]=0;\n"));
	assert_non_null(strstr(out_buf, "Flag Assuming-common-inner-shareable-domain\n"));
	assert_non_null(strstr(out_buf, "Condition exists ((0:X0=x \\/ [y]=1) /\\ not (0:X2=1) \\/ "
					"0:X0=y /\\ true)\n"));
	/* A state the model allows, and one it does not. */
	uint64_t ok[3] = {model_loc_addr(&m, litmus_find_loc(&t, "x")), 0, 0};
	uint64_t bad[3] = {model_loc_addr(&m, litmus_find_loc(&t, "x")), 1, 0};
	assert_true(model_find_state(&m, ok) >= 0);
	assert_true(model_find_state(&m, bad) < 0);
	/* The time line, when given. */
	run(MP_SRC, 0);
	out_len = 0;
	model_print(&m, &collector, "0.00");
	assert_non_null(strstr(out_buf, "Observation MP Sometimes 1 3\nTime MP 0.00\n"));
}

/* ---------------------------------------------------------------- --why */

static void test_why(void **state)
{
	(void)state;
	run("AArch64 MP+dmb.sys\n{ 0:X1=x; 0:X3=y; 1:X1=x; 1:X3=y; }\n"
	    " P0          | P1          ;\n MOV W0,#1   | LDR W0,[X3] ;\n"
	    " STR W0,[X1] | DMB SY      ;\n DMB SY      | LDR W2,[X1] ;\n"
	    " STR W0,[X3] |             ;\nexists (1:X0=1 /\\ 1:X2=0)\n",
	    MODEL_WHY);
	const char *why = explained();
	if (!strstr(why, "external (ordered-before acyclic):\n"
			 "    Wx=1 -dmb.sy-> Wy=1 -rfe-> Ry=1 -dmb.sy-> Rx=0 -fre-> Wx=1\n"))
		fail_msg("unexpected explanation:\n%s", why);
	run("AArch64 CoRR\n{ 0:X1=x; 1:X1=x; }\n"
	    " P0          | P1          ;\n MOV W0,#1   | LDR W0,[X1] ;\n"
	    " STR W0,[X1] | LDR W2,[X1] ;\nexists (1:X0=1 /\\ 1:X2=0)\n",
	    MODEL_WHY);
	why = explained();
	if (!strstr(why, "internal (coherence: po-loc | rf | co | fr acyclic) at x:\n"
			 "    Wx=1 -rfe-> Rx=1 -po-loc-> Rx=0 -fre-> Wx=1\n"))
		fail_msg("unexpected explanation:\n%s", why);
	run(MP_SRC, MODEL_WHY);
	why = explained();
	if (!strstr(why, "is allowed") || !strstr(why, "Wy=1 -rfe-> Ry=1\n") ||
	    !strstr(why, "Rx=0 reads the initial value\n"))
		fail_msg("unexpected explanation:\n%s", why);
	/* Without MODEL_WHY there is nothing to explain. */
	run(MP_SRC, 0);
	assert_int_equal(model_explain(&m, &collector, &err), -1);
	assert_non_null(strstr(err.msg, "MODEL_WHY"));
}

/* ---------------------------------------------------------------- limits */

static void expect_error(const char *src, const char *msg)
{
	parse_text(src, strlen(src), "source");
	if (model_run(&m, &t, 0, &err) == 0)
		fail_msg("no error, expected \"%s\"", msg);
	if (!strstr(err.msg, msg))
		fail_msg("error \"%s\", expected \"%s\"", err.msg, msg);
}

static void test_limits(void **state)
{
	(void)state;
	static char src[16384];
	size_t n;
	/* 5 threads x 13 stores: 65 events in every execution. */
	n = (size_t)snprintf(src, sizeof src, "AArch64 BIG\n{");
	for (int th = 0; th < 5; th++)
		n += (size_t)snprintf(src + n, sizeof src - n, " %d:X1=x;", th);
	n += (size_t)snprintf(src + n, sizeof src - n, " }\n P0 | P1 | P2 | P3 | P4 ;\n");
	for (int i = 0; i < 13; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, "%s",
				      " STR W9,[X1] | STR W9,[X1] | STR W9,[X1] | STR W9,[X1] |"
				      " STR W9,[X1] ;\n");
	snprintf(src + n, sizeof src - n, "exists (x=0)\n");
	expect_error(src, "test too large: 65 events (limit 64)");
	/* Exactly at the limits: 2 threads x 32 reads, 64 events, one
	 * execution (every read of the initial value). */
	n = (size_t)snprintf(src, sizeof src, "AArch64 FULL\n{ 0:X1=x; 1:X1=x; }\n P0 | P1 ;\n");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, " LDR W0,[X1] | LDR W0,[X1] ;\n");
	snprintf(src + n, sizeof src - n, "exists (x=0)\n");
	run(src, 0);
	assert_int_equal(m.candidates, 1);
	assert_string_equal(model_observation(&m), "Always");
	/* One thread, 33 accesses on its path. */
	n = (size_t)snprintf(src, sizeof src, "AArch64 LONG\n{ 0:X1=x; }\n P0 ;\n");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, " STR W9,[X1] ;\n");
	snprintf(src + n, sizeof src - n, "exists (x=0)\n");
	expect_error(src, "test too large: P0 makes more than 32 memory accesses on one path "
			  "(limit 32)");
	/* An address that is no location: the error names the thread, the
	 * instruction and its line. */
	expect_error("AArch64 A\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1,#4] ;\nexists (0:X0=0)\n",
		     "P0: LDR W0,[X1,#4] accesses address x+4, which is no location");
	assert_int_equal(err.line, 4);
	/* A location with more than 16 values. */
	n = (size_t)snprintf(src, sizeof src, "AArch64 VALS\n{ 0:X1=x; }\n P0 ;\n");
	for (int i = 1; i <= 17; i++)
		n +=
		    (size_t)snprintf(src + n, sizeof src - n, " MOV W0,#%d ;\n STR W0,[X1] ;\n", i);
	snprintf(src + n, sizeof src - n, "exists (x=0)\n");
	expect_error(src, "location x can hold more than 16 values (limit 16)");
}

int main(void)
{
	ht_watchdog(600);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_herd_corpus),	 cmocka_unit_test(test_own_tests),
	    cmocka_unit_test(test_dependencies), cmocka_unit_test(test_barriers),
	    cmocka_unit_test(test_enumeration),	 cmocka_unit_test(test_atomics),
	    cmocka_unit_test(test_pick),	 cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_printing),	 cmocka_unit_test(test_why),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
