/*
 * lesson.c — presenting a lesson on the console.
 *
 * For each lesson: its title and idea (course.c); then for each of its tests,
 * taken from the built-in suite: the code as the file has it (one column per
 * thread), the ARMv8 model's verdict and, when the model forbids the outcome,
 * the cycle that forbids it; a run on the cores with the runner's defaults;
 * the histogram with a bar per state; and a line saying whether what was seen
 * matches what the architecture allows and what this kind of machine is
 * expected to show.  The lesson's status fails only on a state the model
 * forbids (but one course.c lists as this emulator's known bug) or a test
 * that could not be set up; a relaxed outcome that did not show this time is
 * said, not failed, since it depends on timing, and a test using an
 * instruction this CPU lacks (LDAPR on a Cortex-A72) is said and skipped.
 */
#include "kernel/lessons/lessons.h"
#include "kernel/demos/demos.h"
#include "kernel/drivers/console.h"
#include "kernel/litmus/judge.h"
#include "kernel/litmus/litmus.h"
#include "kernel/litmus/log.h"
#include "kernel/litmus/suite.h"

#include <string.h>

#define BAR_WIDTH  40
#define QUICK_RUNS 10 /* quick: 10 runs of the default size (10,000 iterations) */

/* One test at a time, as the shell's litmus command. */
static struct litmus_test test;
static struct litmus_result result;
static struct litmus_verdict verdict;

static const char *const expect_words[] = {
    [SHOWS] = "expected",
    [HIDDEN] = "not expected",
    [NEVER] = "never (the architecture forbids it)",
    [EMULATOR_BUG] = "forbidden, but shown by a known emulator bug",
};

/* "-- title ----...": a rule across the 76-column console. */
static void rule(const char *title)
{
	static const char dashes[] =
	    "----------------------------------------------------------------------";
	int pad = 70 - (int)strlen(title);
	kprintf("\n-- %s %.*s\n", title, pad > 0 ? pad : 0, dashes);
}

/* The file's code rows and its condition, printed as the file has them (one
 * column per thread, as herd writes them): everything after the init block,
 * which is the first line that starts with '{' up to the '}' that ends it,
 * comment lines left out. */
static void print_code(const char *text)
{
	const char *p = text[0] == '{' ? text : strstr(text, "\n{");
	p = p ? strchr(p, '}') : NULL;
	p = p ? strchr(p, '\n') : NULL;
	while (p && *++p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n && strncmp(p, "(*", 2) != 0)
			kprintf("  %.*s\n", (int)n, p);
		if (!end)
			break;
		p = end;
	}
}

/* The model's verdict; for a forbidden outcome, the axiom and the cycle. */
static void explain_model(void)
{
	struct litmus_error e;
	struct model *m = litmus_model();
	if (!m || model_run(m, &test, MODEL_WHY, &e) < 0) {
		kprintf("The ARMv8 model cannot judge it: %s\n", m ? e.msg : "no memory");
		return;
	}
	const char *word = model_verdict(m); /* herd's: is the condition's outcome reachable */
	bool forbidden = strcmp(word, "Forbidden") == 0;
	kprintf("The ARMv8 model: %s (%d final states allowed).\n", word, m->nstates);
	if (forbidden && model_explain(m, &litmus_console_out, &e) < 0)
		kprintf("(no explanation: %s)\n", e.msg);
}

/* "  0:X2=0; 1:X2=0;   1234 *> ##########" for each state. */
static void print_histogram(void)
{
	uint64_t most = 1;
	for (int i = 0; i < result.nstates; i++)
		if (result.state[i].count > most)
			most = result.state[i].count;
	for (int i = 0; i < result.nstates; i++) {
		const struct litmus_state *s = &result.state[i];
		char line[160];
		litmus_format_state(&test, s, line, sizeof line);
		int bar = (int)(s->count * BAR_WIDTH / most);
		kprintf("  %-28s %9llu %s ", line, (unsigned long long)s->count,
			litmus_state_holds(&test, s) ? "*>" : ":>");
		for (int k = 0; k < (bar ? bar : 1); k++)
			kprintf("#");
		kprintf("%s\n", verdict.known && verdict.forbidden[i] ? "  !! forbidden" : "");
	}
}

/* What was seen, beside what was expected here.  Returns 1 on a forbidden
 * state. */
static int conclude(const struct lesson_test *lt, bool qemu)
{
	uint64_t pos, neg;
	litmus_count(&test, &result, &pos, &neg);
	enum lesson_expect want = qemu ? lt->qemu : lt->arm;
	const char *machine = qemu ? "QEMU on this host" : "this Arm core";
	kprintf("Seen: the condition's outcome %llu times in %llu.  On %s: %s.\n",
		(unsigned long long)pos, (unsigned long long)(pos + neg), machine,
		expect_words[want]);
	if (verdict.known && verdict.forbidden_seen && want == EMULATOR_BUG) {
		kprintf("!! %d state(s) the ARMv8 model forbids, from the emulator, not the "
			"architecture:\n%s\n",
			verdict.forbidden_seen, lt->qemu_why);
		return 0;
	}
	if (verdict.known && verdict.forbidden_seen) {
		kprintf("!! %d state(s) the ARMv8 model forbids: a hardware or emulator bug, or a "
			"runner bug\n",
			verdict.forbidden_seen);
		return 1;
	}
	if (want == SHOWS && pos == 0)
		kprintf("Not seen this time: it depends on timing; run the lesson again.\n");
	else if (want == HIDDEN && pos > 0)
		kprintf("Seen although not expected here: the architecture allows it.\n");
	else
		kprintf("As expected.\n");
	return 0;
}

static int run_test(const struct lesson_test *lt, int i, bool quick)
{
	struct litmus_error e;
	char msg[200];
	const struct litmus_builtin *b = litmus_builtin_file(lt->file);
	rule(lt->file);
	if (!b || litmus_parse(b->text, strlen(b->text), &test, &e) < 0) {
		kprintf("lesson: test %d '%s' is not in the built-in suite\n", i + 1, lt->file);
		return 1;
	}
	kprintf("%s.\n", lt->point);
	print_code(b->text);
	explain_model();
	bool qemu = litmus_on_qemu();
	if (litmus_check_cpu(&test, msg, sizeof msg) < 0) {
		/* said, not failed: the lesson's point stands on the model's verdict */
		kprintf("Not run here: %s\n", msg);
		return 0;
	}
	struct litmus_params p;
	litmus_default_params(&p, qemu);
	if (quick)
		p.runs = QUICK_RUNS;
	if (litmus_run(&test, &p, &result, msg, sizeof msg) < 0) {
		kprintf("lesson: %s: %s\n", lt->file, msg);
		return 1;
	}
	litmus_judge(&test, &result, true, &verdict);
	kprintf("Ran %llu iterations on %d cores%s:\n", (unsigned long long)result.iterations,
		result.ncores, qemu ? " (QEMU)" : "");
	print_histogram();
	int status = conclude(lt, qemu);
	litmus_result_free(&result);
	return status;
}

static void print_lines(const char *const *lines)
{
	for (int i = 0; i < LESSON_MAX_LINES && lines[i]; i++)
		kprintf("%s\n", lines[i]);
}

static bool needs_arm(const struct lesson *l)
{
	for (int i = 0; i < LESSON_MAX_TESTS && l->test[i].file; i++)
		if (l->test[i].qemu == HIDDEN && l->test[i].arm == SHOWS)
			return true;
	return false;
}

int lesson_run(int n, bool quick)
{
	if (n < 1 || n > LESSON_COUNT) {
		kprintf("lesson: no lesson %d (1 to %d; lesson alone lists them)\n", n,
			LESSON_COUNT);
		return 1;
	}
	const struct lesson *l = &lessons[n - 1];
	int status = 0;
	kprintf("\n==== Lesson %d: %s ====\n", n, l->title);
	print_lines(l->idea);
	for (int i = 0; i < LESSON_MAX_TESTS && l->test[i].file; i++)
		status |= run_test(&l->test[i], i, quick);
	if (l->runtime_half) {
		rule("the runtime: gc=racy, then gc=fixed");
		status |= gc_allgs_demo(false, 0);
	}
	rule("what you saw");
	print_lines(l->closing);
	if (litmus_on_qemu() && needs_arm(l))
		kprintf("Under QEMU on x86 part of this lesson stays hidden: run it on a Pi 4 "
			"(make BOARD=rpi4, run=lesson:%d).\n",
			n);
	kprintf("lesson %d: %s\n", n, status ? "FAILED (see above)" : "done");
	return status;
}

int lessons_run_all(bool quick)
{
	int status = 0;
	for (int n = 1; n <= LESSON_COUNT; n++)
		status |= lesson_run(n, quick);
	return status;
}

void lessons_list(void)
{
	for (int n = 1; n <= LESSON_COUNT; n++)
		kprintf("  lesson %d  %s\n", n, lessons[n - 1].title);
}
