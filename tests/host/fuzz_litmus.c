/*
 * fuzz_litmus.c — libFuzzer target for kernel/litmus/parse.c (with the
 * encoder and litmus.c behind it).
 *
 * The input is a litmus file (any bytes, NULs included: the parser takes a
 * length).  It is parsed from an exact-size heap copy, so ASan sees any read
 * past the end.  Checked:
 *   - on failure: the error has a line >= 1 and a column >= 1 within the
 *     input's line count, and a non-empty, terminated message;
 *   - on success, the representation is well formed: 1..8 threads, counts
 *     within their limits, every branch target in 0..ninsns and equal to its
 *     label's index, every location and thread index in range, the
 *     condition's tree acyclic (children before parents) with its root in
 *     range, the observed places distinct and in herd's order;
 *   - every thread encodes, with word_of increasing;
 *   - every instruction, printed by litmus_format_insn and parsed again,
 *     gives the same instruction.
 * Seeds: tests/host/corpus/litmus/, tests/litmus/ and herd's corpus (copied
 * by the Makefile).  Built and run by `make -f tests/host/Makefile fuzz`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/litmus/encode.h"
#include "kernel/litmus/litmus.h"

#include "fuzz_check.h"

static struct litmus_test t, t2;
static struct litmus_error err;

static void check_place(const struct litmus_place *p)
{
	if (p->kind == LITMUS_PLACE_REG) {
		CHECK(p->thread < t.nthreads);
		CHECK(p->reg < LITMUS_NREGS);
	} else {
		CHECK(p->kind == LITMUS_PLACE_LOC);
		CHECK(p->loc >= 0 && p->loc < t.nlocs);
	}
}

static void check_value(const struct litmus_value *v)
{
	if (v->kind == LITMUS_VAL_ADDR)
		CHECK(v->loc >= 0 && v->loc < t.nlocs);
	else
		CHECK(v->kind == LITMUS_VAL_INT);
}

/* Is a before b in herd's order (registers by thread, number; locations by name)? */
static bool before(const struct litmus_place *a, const struct litmus_place *b)
{
	if (a->kind != b->kind)
		return a->kind == LITMUS_PLACE_REG;
	if (a->kind == LITMUS_PLACE_REG)
		return a->thread < b->thread || (a->thread == b->thread && a->reg < b->reg);
	return strcmp(t.loc[a->loc].name, t.loc[b->loc].name) < 0;
}

static void check_round_trip(const struct litmus_thread *th)
{
	static char src[LITMUS_MAX_INSNS * 80 + LITMUS_MAX_LABELS * 40 + 128];
	size_t n = 0;
	n += (size_t)snprintf(src + n, sizeof src - n, "AArch64 R\n{}\n P0 ;\n");
	for (int i = 0; i <= th->ninsns; i++) {
		for (int l = 0; l < th->nlabels; l++)
			if (th->label[l].index == i)
				n += (size_t)snprintf(src + n, sizeof src - n, " %s: ;\n",
						      th->label[l].name);
		if (i == th->ninsns)
			break;
		char buf[96];
		litmus_format_insn(th, &th->insn[i], buf, sizeof buf);
		n += (size_t)snprintf(src + n, sizeof src - n, " %s ;\n", buf);
	}
	n += (size_t)snprintf(src + n, sizeof src - n, "exists (0:X0=0)\n");
	CHECK(n < sizeof src);
	if (litmus_parse(src, n, &t2, &err) != 0) {
		fprintf(stderr, "re-parse failed: %d:%d: %s\n%s", err.line, err.col, err.msg, src);
		CHECK(0);
	}
	CHECK(t2.thread[0].ninsns == th->ninsns);
	for (int i = 0; i < th->ninsns; i++) {
		struct litmus_insn a = th->insn[i], b = t2.thread[0].insn[i];
		a.line = b.line = a.col = b.col = 0;
		a.label = b.label = 0;
		if (memcmp(&a, &b, sizeof a) != 0) {
			char buf[96];
			litmus_format_insn(th, &th->insn[i], buf, sizeof buf);
			fprintf(stderr, "'%s' does not round-trip\n", buf);
			CHECK(0);
		}
	}
}

static void check_test(void)
{
	CHECK(t.nthreads >= 1 && t.nthreads <= LITMUS_MAX_THREADS);
	CHECK(t.nlocs >= 0 && t.nlocs <= LITMUS_MAX_LOCS);
	CHECK(memchr(t.name, '\0', sizeof t.name) && t.name[0]);
	CHECK(memchr(t.doc, '\0', sizeof t.doc));
	CHECK(t.nmeta >= 0 && t.nmeta <= LITMUS_MAX_META);
	for (int i = 0; i < t.nlocs; i++) {
		CHECK(memchr(t.loc[i].name, '\0', sizeof t.loc[i].name));
		CHECK(litmus_find_loc(&t, t.loc[i].name) == i); /* names distinct */
		check_value(&t.loc[i].init);
	}
	for (int k = 0; k < t.nthreads; k++) {
		const struct litmus_thread *th = &t.thread[k];
		CHECK(th->ninsns >= 0 && th->ninsns <= LITMUS_MAX_INSNS);
		CHECK(th->nlabels >= 0 && th->nlabels <= LITMUS_MAX_LABELS);
		for (int r = 0; r < LITMUS_NREGS; r++)
			check_value(&th->init[r].value);
		for (int l = 0; l < th->nlabels; l++)
			CHECK(th->label[l].index >= 0 && th->label[l].index <= th->ninsns);
		for (int i = 0; i < th->ninsns; i++) {
			const struct litmus_insn *in = &th->insn[i];
			CHECK(in->op < LITMUS_NOPS);
			if (litmus_op_flags(in->op) & LITMUS_F_BRANCH) {
				CHECK(in->label >= 0 && in->label < th->nlabels);
				CHECK(in->target == th->label[in->label].index);
			}
		}
		uint32_t words[LITMUS_MAX_BODY_WORDS];
		int word_of[LITMUS_MAX_INSNS + 1];
		int n = litmus_encode_thread(th, words, LITMUS_MAX_BODY_WORDS, word_of, &err);
		CHECK(n >= th->ninsns);
		for (int i = 0; i < th->ninsns; i++)
			CHECK(word_of[i + 1] > word_of[i] &&
			      word_of[i + 1] - word_of[i] <= LITMUS_MAX_INSN_WORDS);
		CHECK(word_of[th->ninsns] == n);
		check_round_trip(th);
	}
	const struct litmus_cond *c = &t.cond;
	CHECK(c->quant <= LITMUS_FORALL);
	CHECK(c->nnodes >= 1 && c->nnodes <= LITMUS_MAX_COND);
	CHECK(c->root >= 0 && c->root < c->nnodes);
	for (int i = 0; i < c->nnodes; i++) {
		const struct litmus_cond_node *nd = &c->node[i];
		switch (nd->kind) {
		case LITMUS_COND_ATOM:
			check_place(&nd->place);
			check_value(&nd->value);
			break;
		case LITMUS_COND_NOT:
			CHECK(nd->a >= 0 && nd->a < i);
			break;
		case LITMUS_COND_AND:
		case LITMUS_COND_OR:
			CHECK(nd->a >= 0 && nd->a < i && nd->b >= 0 && nd->b < i);
			break;
		default:
			CHECK(nd->kind == LITMUS_COND_TRUE || nd->kind == LITMUS_COND_FALSE);
		}
	}
	CHECK(t.nobserved >= 0 && t.nobserved <= LITMUS_MAX_OBSERVED);
	for (int i = 0; i < t.nobserved; i++) {
		check_place(&t.observed[i]);
		if (i > 0)
			CHECK(before(&t.observed[i - 1], &t.observed[i]));
	}
	for (int i = 0; i < t.nlocations; i++)
		check_place(&t.locations[i]);
	/* Evaluating the condition on an all-zero state must terminate. */
	uint64_t zeros[LITMUS_MAX_OBSERVED] = {0};
	(void)litmus_cond_holds(&t, zeros, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	CHECK(copy);
	if (size)
		memcpy(copy, data, size);
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (litmus_parse(copy, size, &t, &err) != 0) {
		CHECK(err.line >= 1 && err.line <= lines);
		CHECK(err.col >= 1);
		CHECK(memchr(err.msg, '\0', sizeof err.msg));
		CHECK(err.msg[0] != '\0');
	} else {
		check_test();
	}
	free(copy);
	return 0;
}
