/*
 * model_print.c — the model's result as herd7 prints it:
 *
 *   Test MP Allowed                       the quantifier's kind (exists:
 *   States 4                              Allowed, ~exists: Forbidden,
 *   1:X0=0; 1:X2=0;                       forall: Required), the final
 *   ...                                   states (sorted), "Ok" when the
 *   Ok                                    condition is validated (prefixed
 *   Witnesses                             "Loop " when paths were cut),
 *   Positive: 1 Negative: 3               executions satisfying it or not
 *   Condition exists (1:X0=1 /\ 1:X2=0)   (for ~exists: its negation),
 *   Observation MP Sometimes 1 3          how often the proposition holds
 *   Time MP 0.00                          (when the caller gives a time)
 *   Hash=...                              (the test's own Hash=, if any)
 *
 * The condition is printed as herd does: [x] for a location, "not (...)",
 * parentheses only where /\ and \/ would otherwise mislead.
 */
#include "kernel/litmus/model_int.h"

#include <string.h>

#define LINE_MAX 2048

size_t model_format_value(const struct model *m, uint64_t v, char *buf, size_t size)
{
	struct strbuf sb;
	sb_init(&sb, buf, size);
	int loc = model_addr_loc(m, v);
	if (loc >= 0)
		sb_puts(&sb, m->t->loc[loc].name);
	else
		sb_puti(&sb, (int64_t)v);
	return sb.len;
}

static void emit(const struct model_out *out, struct strbuf *sb)
{
	sb_putc(sb, '\n');
	out->write(out->arg, sb->buf, sb->len < sb->size ? sb->len : sb->size - 1);
	sb->len = 0;
	sb->buf[0] = '\0';
}

static void put_place(const struct litmus_test *t, const struct litmus_place *p, struct strbuf *sb)
{
	if (p->kind == LITMUS_PLACE_REG) {
		sb_putu(sb, p->thread);
		sb_puts(sb, ":X");
		sb_putu(sb, p->reg);
	} else {
		sb_putc(sb, '[');
		sb_puts(sb, t->loc[p->loc].name);
		sb_putc(sb, ']');
	}
}

/* ---------------------------------------------------------------- the condition */

enum { ABOVE_TOP, ABOVE_AND, ABOVE_OR };

static void put_prop(const struct litmus_test *t, int n, int above, int depth, struct strbuf *sb);

/* The operands of a chain of one operator (a /\ b /\ c), each at the
 * operator's level. */
static void put_chain(const struct litmus_test *t, int n, int kind, int level, int depth,
		      struct strbuf *sb)
{
	const struct litmus_cond_node *node = &t->cond.node[n];
	if (node->kind == kind && depth < LITMUS_MAX_COND) {
		put_chain(t, node->a, kind, level, depth + 1, sb);
		sb_puts(sb, kind == LITMUS_COND_AND ? " /\\ " : " \\/ ");
		put_chain(t, node->b, kind, level, depth + 1, sb);
	} else {
		put_prop(t, n, level, depth + 1, sb);
	}
}

static void put_prop(const struct litmus_test *t, int n, int above, int depth, struct strbuf *sb)
{
	if (n < 0 || n >= t->cond.nnodes || depth > LITMUS_MAX_COND) {
		sb_puts(sb, "?");
		return;
	}
	const struct litmus_cond_node *node = &t->cond.node[n];
	switch (node->kind) {
	case LITMUS_COND_TRUE:
		sb_puts(sb, "true");
		break;
	case LITMUS_COND_FALSE:
		sb_puts(sb, "false");
		break;
	case LITMUS_COND_ATOM:
		put_place(t, &node->place, sb);
		sb_putc(sb, '=');
		if (node->value.kind == LITMUS_VAL_ADDR)
			sb_puts(sb, t->loc[node->value.loc].name);
		else
			sb_puti(sb, node->value.num);
		break;
	case LITMUS_COND_NOT:
		sb_puts(sb, "not (");
		put_prop(t, node->a, ABOVE_TOP, depth + 1, sb);
		sb_puts(sb, ")");
		break;
	case LITMUS_COND_AND:
		put_chain(t, n, LITMUS_COND_AND, ABOVE_AND, depth, sb);
		break;
	case LITMUS_COND_OR:
		if (above == ABOVE_AND)
			sb_putc(sb, '(');
		put_chain(t, n, LITMUS_COND_OR, ABOVE_OR, depth, sb);
		if (above == ABOVE_AND)
			sb_putc(sb, ')');
		break;
	}
}

static void put_condition(const struct litmus_test *t, struct strbuf *sb)
{
	static const char *const quant[] = {"exists", "~exists", "forall"};
	sb_puts(sb, quant[t->cond.quant <= LITMUS_FORALL ? t->cond.quant : 0]);
	sb_puts(sb, " (");
	put_prop(t, t->cond.root, ABOVE_TOP, 0, sb);
	sb_puts(sb, ")");
}

/* herd's "Ok": the condition, quantifier included, is validated. */
static bool validated(const struct model *m)
{
	switch (m->t->cond.quant) {
	case LITMUS_NOT_EXISTS:
		return m->pos == 0;
	case LITMUS_FORALL:
		return m->neg == 0;
	default:
		return m->pos > 0;
	}
}

/* ---------------------------------------------------------------- the output */

void model_print(const struct model *m, const struct model_out *out, const char *time)
{
	const struct litmus_test *t = m->t;
	static const char *const kinds[] = {"Allowed", "Forbidden", "Required"};
	char line[LINE_MAX], v[64];
	struct strbuf sb;
	sb_init(&sb, line, sizeof line);

	sb_puts(&sb, "Test ");
	sb_puts(&sb, t->name);
	sb_putc(&sb, ' ');
	sb_puts(&sb, kinds[t->cond.quant <= LITMUS_FORALL ? t->cond.quant : 0]);
	emit(out, &sb);

	sb_puts(&sb, "States ");
	sb_putu(&sb, (uint64_t)m->nstates);
	emit(out, &sb);
	for (int s = 0; s < m->nstates; s++) {
		const uint64_t *vals = &m->state[s * t->nobserved];
		for (int i = 0; i < t->nobserved; i++) {
			put_place(t, &t->observed[i], &sb);
			sb_putc(&sb, '=');
			model_format_value(m, vals[i], v, sizeof v);
			sb_puts(&sb, v);
			sb_puts(&sb, i + 1 < t->nobserved ? "; " : ";");
		}
		emit(out, &sb);
	}

	if (m->loop_cut)
		sb_puts(&sb, "Loop ");
	sb_puts(&sb, validated(m) ? "Ok" : "No");
	emit(out, &sb);
	sb_puts(&sb, "Witnesses");
	emit(out, &sb);
	/* For ~exists herd counts the executions satisfying the condition,
	 * the negated proposition: the proposition's counts swapped. */
	bool swap = t->cond.quant == LITMUS_NOT_EXISTS;
	sb_puts(&sb, "Positive: ");
	sb_putu(&sb, swap ? m->neg : m->pos);
	sb_puts(&sb, " Negative: ");
	sb_putu(&sb, swap ? m->pos : m->neg);
	emit(out, &sb);
	if (m->shareability) {
		sb_puts(&sb, "Flag Assuming-common-inner-shareable-domain");
		emit(out, &sb);
	}
	sb_puts(&sb, "Condition ");
	put_condition(t, &sb);
	emit(out, &sb);
	sb_puts(&sb, "Observation ");
	sb_puts(&sb, t->name);
	sb_putc(&sb, ' ');
	sb_puts(&sb, model_observation(m));
	sb_putc(&sb, ' ');
	sb_putu(&sb, m->pos);
	sb_putc(&sb, ' ');
	sb_putu(&sb, m->neg);
	emit(out, &sb);
	if (time) {
		sb_puts(&sb, "Time ");
		sb_puts(&sb, t->name);
		sb_putc(&sb, ' ');
		sb_puts(&sb, time);
		emit(out, &sb);
	}
	for (int i = 0; i < t->nmeta; i++) {
		if (strcmp(t->meta[i].key, "Hash") == 0) {
			sb_puts(&sb, "Hash=");
			sb_puts(&sb, t->meta[i].value);
			emit(out, &sb);
		}
	}
	emit(out, &sb);
}
