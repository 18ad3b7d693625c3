/*
 * log.c — the runner's log, in litmus7's format, so that herdtools'
 * mcompare7 can read it beside herd7's and litmus7's logs.
 *
 * Per test, what litmus7 prints (checked against litmus7's generated
 * postlude, herdtools7 litmus/skelUtil.ml, and its doc/kvm-log.txt):
 *
 *   %%%%%%%%%%%%%%%%%%%%%%%%%
 *   % Results for SB.litmus %
 *   %%%%%%%%%%%%%%%%%%%%%%%%%
 *   <the test's source>
 *   Generated assembler
 *   #START _litmus_P0
 *   	52800020  MOV W0,#1            (allstop: each word and its instruction)
 *   Test SB Allowed                    Allowed/Forbidden/Required: the quantifier
 *   Histogram (4 states)
 *   203   *>0:X2=0; 1:X2=0;            count (%-6), *> when the state is "shown"
 *   ...                                (the proposition; its negation for forall)
 *   Ok                                 exists: some shown; ~exists, forall: none
 *
 *   Witnesses
 *   Positive: 203, Negative: 199797    exists: shown, not shown; else swapped
 *   Condition exists (0:X2=0 /\ 1:X2=0) is validated      (or "is NOT validated")
 *   KEY=VALUE                          the test's metadata lines
 *   Observation SB Sometimes 203 199797   Never/Sometimes/Always
 *   Time SB 0.25
 *
 * allstop adds, where mcompare7's log reader skips them: a machine header
 * before the first test; "# !! forbidden by the ARMv8 model" after a state
 * the model does not allow (a trailing comment on a histogram line is part
 * of the format); "Model NAME Allowed|Forbidden ..." and, with -sync,
 * "Sync NAME M meetings, G given up" before Time ("KEY NAME text" lines,
 * which the reader passes over); and a closing table.
 */
#include "kernel/litmus/log.h"
#include "kernel/arch/arch.h"
#include "kernel/boards/board.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/boards/bootinfo.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"

#include <string.h>

/* ---------------------------------------------------------------- the machine */

static const char *arm_part(unsigned part)
{
	switch (part) {
	case 0xd03:
		return "Cortex-A53";
	case 0xd04:
		return "Cortex-A35";
	case 0xd05:
		return "Cortex-A55";
	case 0xd07:
		return "Cortex-A57";
	case 0xd08:
		return "Cortex-A72";
	case 0xd09:
		return "Cortex-A73";
	case 0xd0a:
		return "Cortex-A75";
	case 0xd0b:
		return "Cortex-A76";
	case 0xd0c:
		return "Neoverse-N1";
	case 0xd0d:
		return "Cortex-A77";
	case 0xd41:
		return "Cortex-A78";
	default:
		return NULL;
	}
}

/*
 * Is this QEMU?  QEMU's virt machine names itself in its device tree
 * (model and compatible "linux,dummy-virt"); its Raspberry Pi models pass
 * no tree, but run the generic timer at QEMU's default 62.5 MHz, where the
 * boards run it at 54 MHz (Pi 4) and 19.2 MHz (Pi 3): see
 * ../shared/docs/hardware-facts.md.  (The MIDR is no help: QEMU reports
 * the real Cortex-A72's, r0p3 included.)
 */
bool litmus_on_qemu(void)
{
	if (strcmp(boot_info.model, "linux,dummy-virt") == 0)
		return true;
	return strcmp(board.name, "virt") != 0 && timer_freq() == 62500000;
}

void litmus_machine_get(struct litmus_machine *m)
{
	memset(m, 0, sizeof *m);
	m->board = board.name;
	strncpy(m->model, boot_info.model, sizeof m->model - 1);
	m->midr = read_sysreg(midr_el1);
	unsigned impl = (unsigned)(m->midr >> 24) & 0xff, part = (unsigned)(m->midr >> 4) & 0xfff;
	unsigned var = (unsigned)(m->midr >> 20) & 0xf, rev = (unsigned)m->midr & 0xf;
	const char *name = impl == 0x41 ? arm_part(part) : NULL;
	if (name)
		ksnprintf(m->cpu, sizeof m->cpu, "Arm %s r%up%u", name, var, rev);
	else
		ksnprintf(m->cpu, sizeof m->cpu, "implementer %#x part %#x r%up%u", impl, part, var,
			  rev);
	m->cores = cpus_online();
	m->freq = timer_freq();
	m->qemu = litmus_on_qemu();
	/* The host is invisible from inside the guest: tools/litmus, make
	 * litmus and the tests say it with host=`uname -m`. */
	const char *host = bootargs_get(&boot_args, "host");
	if (!m->qemu)
		ksnprintf(m->platform, sizeof m->platform, "real hardware");
	else if (!host)
		ksnprintf(m->platform, sizeof m->platform,
			  "QEMU (TCG or KVM, host unknown: boot with host=`uname -m`)");
	else if (strcmp(host, "x86_64") == 0 || strcmp(host, "amd64") == 0 ||
		 (host[0] == 'i' && strstr(host, "86")))
		ksnprintf(m->platform, sizeof m->platform, "QEMU TCG on an x86 host");
	else
		ksnprintf(m->platform, sizeof m->platform, "QEMU on a %s host", host);
}

static const char *const sync_names[] = {"none", "user", "timebase"};
static const char *const place_names[] = {"random", "array", "line", "lines", "page"};
static const char *const preload_names[] = {"none", "own", "all", "random"};

void litmus_format_params(const struct litmus_params *p, char *buf, size_t size)
{
	char cores[24] = "";
	if (p->cores)
		ksnprintf(cores, sizeof cores, " -p %#llx", (unsigned long long)p->cores);
	ksnprintf(
	    buf, size,
	    "-s %u -r %u -barrier %s -sync %u -patience %u %s -place %s -shuffle %s -preload %s "
	    "-skew %u%s%s",
	    p->size, p->runs, sync_names[p->sync], p->meet, p->patience,
	    p->random_aff ? "+ra" : "-ra", place_names[p->place], p->shuffle ? "on" : "off",
	    preload_names[p->preload], p->skew, cores, p->model ? "" : " -model off");
}

void litmus_log_header(const struct litmus_params *p)
{
	struct litmus_machine m;
	char params[160];
	litmus_machine_get(&m);
	litmus_format_params(p, params, sizeof params);
	kprintf("allstop litmus runner (litmus7's log format)\n");
	kprintf("Machine: %s%s%s, MIDR_EL1 %#llx (%s), %d cores online, counter %llu Hz\n", m.board,
		m.model[0] ? " " : "", m.model, (unsigned long long)m.midr, m.cpu, m.cores,
		(unsigned long long)m.freq);
	kprintf("Platform: %s\n", m.platform);
	kprintf("Parameters: %s\n", params);
}

/* ---------------------------------------------------------------- one test */

static void put_value(const struct litmus_test *t, char *buf, size_t size, uint64_t v, bool addr)
{
	if (addr && v < (uint64_t)t->nlocs)
		ksnprintf(buf, size, "%s", t->loc[v].name);
	else
		ksnprintf(buf, size, "%lld", (long long)v);
}

/* "0:X2" or "[x]" */
static void put_place(const struct litmus_test *t, const struct litmus_place *p, char *buf,
		      size_t size)
{
	if (p->kind == LITMUS_PLACE_REG)
		ksnprintf(buf, size, "%d:X%d", p->thread, p->reg);
	else
		ksnprintf(buf, size, "[%s]", t->loc[p->loc].name);
}

/* "0:X2=0; 1:X2=0;" */
void litmus_format_state(const struct litmus_test *t, const struct litmus_state *s, char *buf,
			 size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int k = 0; k < t->nobserved && n < size; k++) {
		char place[40], val[40];
		put_place(t, &t->observed[k], place, sizeof place);
		put_value(t, val, sizeof val, s->v[k], s->addr_mask & (1u << k));
		n += (size_t)ksnprintf(buf + n, size - n, "%s%s=%s;", k ? " " : "", place, val);
	}
}

/* The condition as herd prints it (lib/constrGen.ml): /\ and \/ chains
 * without parentheses, \/ inside /\ in parentheses, "not (p)". */
enum { OP_TOP, OP_AND, OP_OR };

static size_t format_prop(const struct litmus_test *t, int n, int above, char *buf, size_t size,
			  size_t at, int depth)
{
	if (n < 0 || n >= t->cond.nnodes || depth > LITMUS_MAX_COND || at >= size)
		return at;
	const struct litmus_cond_node *node = &t->cond.node[n];
	char place[40], val[40];
	switch (node->kind) {
	case LITMUS_COND_TRUE:
		return at + (size_t)ksnprintf(buf + at, size - at, "true");
	case LITMUS_COND_FALSE:
		return at + (size_t)ksnprintf(buf + at, size - at, "false");
	case LITMUS_COND_ATOM:
		put_place(t, &node->place, place, sizeof place);
		if (node->value.kind == LITMUS_VAL_ADDR)
			put_value(t, val, sizeof val, (uint64_t)node->value.loc, true);
		else
			ksnprintf(val, sizeof val, "%lld", (long long)node->value.num);
		return at + (size_t)ksnprintf(buf + at, size - at, "%s=%s", place, val);
	case LITMUS_COND_NOT:
		at += (size_t)ksnprintf(buf + at, size - at, "not (");
		at = format_prop(t, node->a, OP_TOP, buf, size, at, depth + 1);
		return at < size ? at + (size_t)ksnprintf(buf + at, size - at, ")") : at;
	default: {
		int op = node->kind == LITMUS_COND_AND ? OP_AND : OP_OR;
		bool paren = above == OP_AND && op == OP_OR;
		if (paren)
			at += (size_t)ksnprintf(buf + at, size - at, "(");
		at = format_prop(t, node->a, op, buf, size, at, depth + 1);
		if (at < size)
			at += (size_t)ksnprintf(buf + at, size - at,
						op == OP_AND ? " /\\ " : " \\/ ");
		at = format_prop(t, node->b, op, buf, size, at, depth + 1);
		if (paren && at < size)
			at += (size_t)ksnprintf(buf + at, size - at, ")");
		return at;
	}
	}
}

static void format_cond(const struct litmus_test *t, char *buf, size_t size)
{
	static const char *const q[] = {"exists", "~exists", "forall"};
	size_t at = (size_t)ksnprintf(buf, size, "%s (", q[t->cond.quant]);
	at = format_prop(t, t->cond.root, OP_TOP, buf, size, at, 0);
	if (at < size)
		ksnprintf(buf + at, size - at, ")");
}

static const char *kind_word(const struct litmus_test *t)
{
	return t->cond.quant == LITMUS_EXISTS	    ? "Allowed"
	       : t->cond.quant == LITMUS_NOT_EXISTS ? "Forbidden"
						    : "Required";
}

void litmus_count(const struct litmus_test *t, const struct litmus_result *r, uint64_t *pos,
		  uint64_t *neg)
{
	*pos = *neg = 0;
	for (int i = 0; i < r->nstates; i++) {
		if (litmus_state_shown(t, &r->state[i]))
			*pos += r->state[i].count;
		else
			*neg += r->state[i].count;
	}
}

static void print_source(const char *file, const char *src, size_t len)
{
	char title[160];
	ksnprintf(title, sizeof title, "%% Results for %s %%", file);
	char bar[160];
	size_t n = strlen(title);
	memset(bar, '%', n);
	bar[n] = '\0';
	kprintf("%s\n%s\n%s\n", bar, title, bar);
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && src[j] != '\n')
			j++;
		int show = (int)(j - i > 400 ? 400 : j - i);
		if (show > 0 && src[i + (size_t)show - 1] == '\r')
			show--;
		kprintf("%.*s\n", show, src + i);
		i = j + 1;
	}
}

static void print_time(const char *key, const char *name, uint64_t ticks)
{
	uint64_t centis = ticks_to_ns(ticks) / 10000000ULL;
	kprintf("%s %s %llu.%02llu\n", key, name, (unsigned long long)(centis / 100),
		(unsigned long long)(centis % 100));
}

void litmus_log_test(const struct litmus_test *t, const char *file, const char *src, size_t len,
		     const struct litmus_params *p, const struct litmus_result *r,
		     const struct litmus_verdict *v)
{
	static char line[512]; /* one task prints at a time: the runner's caller */
	uint64_t p_true, p_false;
	litmus_count(t, r, &p_true, &p_false);

	if (src)
		print_source(file, src, len);
	kprintf("Generated assembler\n");
	litmus_print_code(t, p);

	kprintf("Test %s %s\n", t->name, kind_word(t));
	kprintf("Histogram (%d states)\n", r->nstates);
	for (int i = 0; i < r->nstates; i++) {
		const struct litmus_state *s = &r->state[i];
		litmus_format_state(t, s, line, sizeof line);
		bool shown = litmus_state_shown(t, s);
#ifdef LITMUS_BREAK_STAR
		shown = i == 0 ? !shown : shown; /* deliberately broken: tests/litmus_stage.py */
#endif
		kprintf("%-6llu%c>%s%s\n", (unsigned long long)s->count, shown ? '*' : ':', line,
			v->known && v->forbidden[i] ? " # !! forbidden by the ARMv8 model" : "");
	}
	bool ok = t->cond.quant == LITMUS_EXISTS ? p_true > 0 : p_true == 0;
	kprintf("%s\n\nWitnesses\n", ok ? "Ok" : "No");
	bool exists = t->cond.quant == LITMUS_EXISTS;
	kprintf("Positive: %llu, Negative: %llu\n", (unsigned long long)(exists ? p_true : p_false),
		(unsigned long long)(exists ? p_false : p_true));
	format_cond(t, line, sizeof line);
	kprintf("Condition %s is %svalidated\n", line, ok ? "" : "NOT ");
	for (int i = 0; i < t->nmeta; i++)
		if (strcmp(t->meta[i].key, "Prefetch") != 0 && strcmp(t->meta[i].key, "Relax") != 0)
			kprintf("%s=%s\n", t->meta[i].key, t->meta[i].value);
	uint64_t c_true = t->cond.quant == LITMUS_FORALL ? p_false : p_true;
	uint64_t c_false = t->cond.quant == LITMUS_FORALL ? p_true : p_false;
	kprintf("Observation %s %s %llu %llu\n", t->name,
		!c_true	   ? "Never"
		: !c_false ? "Always"
			   : "Sometimes",
		(unsigned long long)c_true, (unsigned long long)c_false);
	if (v->known)
		kprintf("Model %s %s (the ARMv8 model allows %d states; %d seen outside them%s)\n",
			t->name, v->word, v->nstates, v->forbidden_seen,
			v->forbidden_seen ? ": !! forbidden by the ARMv8 model" : "");
	else
		kprintf("Model %s ? (%s)\n", t->name, v->why);
	if (r->meetings) /* -sync: how often the threads were not running together */
		kprintf("Sync %s %llu meetings, %llu given up\n", t->name,
			(unsigned long long)r->meetings, (unsigned long long)r->gave_up);
	print_time("Time", t->name, r->ticks);
	if (r->lost)
		kprintf("Warning: some hash table was full, some outcomes were not collected "
			"(%llu iterations: more than %d states)\n",
			(unsigned long long)r->lost, LITMUS_MAX_STATES);
	kprintf("\n");
}

void litmus_log_error(const char *file, const char *msg)
{
	kprintf("litmus: %s: %s\n", file, msg);
}

/* ---------------------------------------------------------------- the closing table */

static struct litmus_summary_row *summary_row(struct litmus_summary *s)
{
	if (s->n == (int)(sizeof s->row / sizeof s->row[0])) {
		s->dropped++;
		return NULL;
	}
	struct litmus_summary_row *row = &s->row[s->n++];
	memset(row, 0, sizeof *row);
	return row;
}

void litmus_summary_add(struct litmus_summary *s, const struct litmus_test *t,
			const struct litmus_result *r, const struct litmus_verdict *v)
{
	struct litmus_summary_row *row = summary_row(s);
	if (!row)
		return;
	uint64_t p_true, p_false;
	litmus_count(t, r, &p_true, &p_false);
	strncpy(row->name, t->name, sizeof row->name - 1);
	strcpy(row->kind, kind_word(t));
	uint64_t c_true = t->cond.quant == LITMUS_FORALL ? p_false : p_true;
	uint64_t c_false = t->cond.quant == LITMUS_FORALL ? p_true : p_false;
	strcpy(row->seen, !c_true ? "Never" : !c_false ? "Always" : "Sometimes");
	strcpy(row->model, v->known ? v->word : "?");
	row->pos = c_true;
	row->total = c_true + c_false;
	row->centis = ticks_to_ns(r->ticks) / 10000000ULL;
	row->forbidden = v->known && v->forbidden_seen > 0;
}

void litmus_summary_error(struct litmus_summary *s, const char *name, const char *seen)
{
	struct litmus_summary_row *row = summary_row(s);
	if (!row)
		return;
	strncpy(row->name, name, sizeof row->name - 1);
	strcpy(row->kind, "-");
	strncpy(row->seen, seen, sizeof row->seen - 1);
	strcpy(row->model, "-");
}

void litmus_log_summary(const struct litmus_summary *s)
{
	if (s->n == 0)
		return;
	kprintf("Summary of %d test%s (seen: how often the condition's outcome showed; model: "
		"what the ARMv8 model says of it)\n",
		s->n + s->dropped, s->n + s->dropped == 1 ? "" : "s");
	kprintf("  %-28s %-9s %-9s %-9s %12s %12s %8s\n", "name", "kind", "seen", "model",
		"positive", "total", "time");
	int errors = 0, skipped = 0, bad = 0;
	for (int i = 0; i < s->n; i++) {
		const struct litmus_summary_row *row = &s->row[i];
		if (strcmp(row->seen, "error") == 0 || strcmp(row->seen, "skipped") == 0) {
			kprintf("  %-28s %-9s %-9s %-9s %12s %12s %8s\n", row->name, row->kind,
				row->seen, row->model, "-", "-", "-");
			errors += row->seen[0] == 'e';
			skipped += row->seen[0] == 's';
			continue;
		}
		kprintf("  %-28s %-9s %-9s %-9s %12llu %12llu %5llu.%02llu%s\n", row->name,
			row->kind, row->seen, row->model, (unsigned long long)row->pos,
			(unsigned long long)row->total, (unsigned long long)(row->centis / 100),
			(unsigned long long)(row->centis % 100),
			row->forbidden ? "  !! forbidden by the ARMv8 model" : "");
		bad += row->forbidden;
	}
	if (s->dropped)
		kprintf("  (%d more not shown)\n", s->dropped);
	kprintf(
	    "Summary: %d tests, %d could not run, %d skipped, %d showed a state the ARMv8 model "
	    "forbids\n",
	    s->n + s->dropped, errors, skipped, bad);
}
