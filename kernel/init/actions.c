/*
 * actions.c — run=: what the kernel does once it is up.
 *
 * The first task (main_task, on the boot core) runs the actions run= names,
 * in order, then ends the run with their combined status (exit= decides how:
 * kernel/firmware/power.c).  Each action is a row of the table below: a name,
 * whether it takes an argument after a colon (`test:ipi`, `crash:null`,
 * `litmus:PATH`), and the function that runs it.  The functions live with
 * what they run: the tests, the demos, the workloads, the shell.
 */
#include "kernel/init/actions.h"
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/bench/bench.h"
#include "kernel/demos/demos.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/firmware/power.h"
#include "kernel/init/args.h"
#include "kernel/lessons/lessons.h"
#include "kernel/shell/commands.h"
#include "kernel/shell/shell.h"
#include "kernel/workloads/workloads.h"
#include "tests/kernel/ktest.h"

#include <string.h>

#define RUN_DEFAULT "demo,shell"

struct action {
	const char *name;
	bool takes_arg; /* name:ARG (the argument may not be empty) */
	int (*run)(const char *arg); /* returns the action's status: 0 passed */
};

static int run_tests(const char *suites)
{
	int ran = 0;
	int failed = ktest_run(suites, &ran);
	if (ran == 0) {
		kprintf("run: no test ran: count as a failure\n");
		return 1;
	}
	return failed ? 1 : 0;
}

static int run_demo(const char *arg)
{
	(void)arg;
	demo_run();
	return 0;
}

static int run_gcstress(const char *arg)
{
	(void)arg;
	return gc_stress(bootarg_number("cycles", 200, 1, 10000000), false);
}

static int run_allgs(const char *arg)
{
	(void)arg;
	return gc_allgs_demo(false, 0);
}

static int run_bench(const char *arg)
{
	(void)arg;
	return bench_run();
}

/* One of bench:trees's boot arguments: *out is key's number, or dflt if it
 * is not given; false, after saying why, if it is not a number in range
 * (a benchmark does not run on a default the user did not ask for). */
static bool trees_arg(const char *key, unsigned dflt, unsigned min, unsigned max, unsigned *out)
{
	const char *v = bootargs_get(&boot_args, key);
	unsigned long long n = dflt;
	if (v && (!bootargs_parse_u64(v, &n) || n < min || n > max)) {
		kprintf("run: bench:trees: %s=%s: expected a number from %u to %u\n", key, v, min,
			max);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

/* bench:trees takes its parameters from depth=, long= and workers=. */
static int run_bench_named(const char *name)
{
	if (strcmp(name, "trees") != 0)
		return bench_run_named(name);
	unsigned depth, long_depth, workers;
	if (!trees_arg("depth", TREES_DEFAULT_DEPTH, 1, 23, &depth) ||
	    !trees_arg("long", depth < TREES_LEAST_DEPTH ? TREES_LEAST_DEPTH : depth, 0, 24,
		       &long_depth) ||
	    !trees_arg("workers", (unsigned)cpus_online(), 1, TREES_MAX_WORKERS, &workers))
		return 1;
	struct trees_params p = {(int)depth, (int)long_depth, workers};
	return trees_bench(&p);
}

static int run_shell(const char *arg)
{
	(void)arg;
	shell_run(); /* returns only on "exit" */
	return 0;
}

static int run_litmus_suite(const char *arg)
{
	(void)arg;
	return litmus_run_suite();
}

static int run_lesson(const char *arg)
{
	unsigned long long n;
	if (!bootargs_parse_u64(arg, &n) || n < 1 || n > LESSON_COUNT) {
		kprintf("run: lesson:%s: expected a lesson number from 1 to %d\n", arg,
			LESSON_COUNT);
		return 1;
	}
	return lesson_run((int)n, bootarg_number("quick", 0, 0, 1) != 0);
}

static int run_lessons(const char *arg)
{
	(void)arg;
	return lessons_run_all(bootarg_number("quick", 0, 0, 1) != 0);
}

static int run_litmus_bench(const char *arg)
{
	(void)arg;
	return litmus_run_bench();
}

static const struct action actions[] = {
    {"test", false, run_tests},
    {"test", true, run_tests},
    {"demo", false, run_demo},
    {"gcstress", false, run_gcstress},
    {"allgs", false, run_allgs},
    {"bench", false, run_bench},
    {"bench", true, run_bench_named},
    {"shell", false, run_shell},
    {"crash", true, crash_run},
    {"litmus", false, run_litmus_suite},
    {"litmus", true, litmus_run_path},
    {"litmus-bench", false, run_litmus_bench},
    {"lesson", true, run_lesson},
    {"lessons", false, run_lessons},
    {"trace", true, trace_dump_action}, /* trace:PATH or trace:serial (cmd_trace.c) */
    {NULL, false, NULL},
};

/* The row for word ("name" or "name:arg"), with *arg set; NULL if none. */
static const struct action *find_action(const char *word, const char **arg)
{
	size_t len = strcspn(word, ":");
	bool has_arg = word[len] == ':';
	for (const struct action *a = actions; a->name; a++) {
		if (strlen(a->name) != len || strncmp(a->name, word, len) != 0)
			continue;
		if (a->takes_arg == has_arg) {
			*arg = has_arg ? word + len + 1 : NULL;
			return a;
		}
	}
	return NULL;
}

static int run_one(const char *word)
{
	const char *arg = NULL;
	const struct action *a = find_action(word, &arg);
	if (a && (!a->takes_arg || *arg))
		return a->run(arg);
	kprintf("run: unknown action '%s' (expected test, test:<suite>, demo, gcstress, allgs, "
		"bench, bench:<name>, shell, crash:<kind>, litmus[:PATH], litmus-bench, lesson:<N> "
		"lessons or trace:<PATH|serial>)\n",
		word);
	return 1;
}

int run_actions(const char *run)
{
	int status = 0;
	char buf[BOOTARGS_VAL_MAX];
	strncpy(buf, run, sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	for (char *p = buf; p && *p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		status |= run_one(p);
		p = comma ? comma + 1 : NULL;
	}
	return status;
}

int64_t main_task(void *arg)
{
	(void)arg;
	gc_start();
	const char *run = bootargs_get(&boot_args, "run");
	int status = run_actions(run ? run : RUN_DEFAULT);
	kprintf("allstop: run finished with status %d\n", status);
	system_exit(status);
}
