/*
 * cmd.c — the ways into the litmus runner: the shell's `litmus` command,
 * the boot actions (run=litmus, run=litmus:PATH, run=litmus-bench), and
 * where tests come from:
 *   - the built-in suite (the .litmus files of tests/litmus, compiled in: suite.h);
 *   - a host file read by semihosting (QEMU only: kernel/drivers/semihost.c);
 *   - a test pasted on the serial line (`litmus load`), ending with a line
 *     holding only "." or with Ctrl-D.
 * Every test is parsed at run time (parse.c); a parse error is printed as
 * file:line:col: message and the kernel carries on.  The mechanism is in
 * run.c (running) and log.c (printing); the ARMv8 model's verdict comes
 * from model.h when the model is linked in (see get_verdict).
 */
#include "kernel/litmus/judge.h"
#include "kernel/litmus/log.h"
#include "kernel/litmus/model.h"
#include "kernel/litmus/run.h"
#include "kernel/litmus/suite.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/drivers/console.h"
#include "kernel/shell/input.h"
#include "kernel/shell/commands.h"
#include "kernel/arch/cpu.h"
#include "kernel/bench/csv.h"
#include "kernel/drivers/semihost.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX  (32 * 1024) /* the largest test file taken */
#define PASTE_EOF 0x04 /* Ctrl-D */
#define CTRL_C	  0x03

/* One test at a time: the parsed test and its text live here. */
static struct litmus_test test;
static char text[TEXT_MAX];
static struct litmus_result result;
static struct litmus_verdict verdict;
static struct litmus_summary summary;

static bool test_parsed; /* test holds the test run or loaded last */

static struct litmus_params session; /* the defaults `litmus set` changes */
static bool session_ready;

/* ---------------------------------------------------------------- options */

static const char *const usage[] = {
    "litmus: usage:",
    "  litmus                     run the built-in suite (as run=litmus)",
    "  litmus list                the built-in tests",
    "  litmus run NAME|all [opts] one built-in test, or all of them",
    "  litmus file PATH [opts]    a test file on the host, read by semihosting (QEMU)",
    "  litmus load [opts]         paste a test; end it with a line holding only . (or Ctrl-D)",
    "  litmus show NAME           a built-in test's text and generated code",
    "  litmus why [NAME]          the ARMv8 model's states, and why its condition's outcome is",
    "                             allowed (an execution) or forbidden (the axiom and a cycle);",
    "                             without NAME: the test run or loaded last",
    "  litmus set [opts]          change the defaults of later runs (alone: show them)",
    "  litmus bench               iterations per second for 2-, 3- and 4-thread tests;",
    "                             the ARMv8 model's time per built-in test",
    "options (litmus7's names where it has one):",
    "  -s N      iterations per run, each with fresh cells (size_of_test)",
    "  -r N      runs (number_of_run); s x r iterations in all",
    "  -barrier none|user|timebase   per-iteration start: none, a go flag, a timed start",
    "  -sync K   with -barrier none: the threads meet every K iterations (0: once per run)",
    "  -patience N   a -sync meeting waits at most N x 1024 spins for the others",
    "  +ra | -ra threads change cores every run (random affinity) | keep them",
    "  -p LIST   cores to use, e.g. 0,2,3 (default: every online core)",
    "  -place random|array|line|lines|page   where each iteration's locations go",
    "  -shuffle on|off   iterations visit the cells in a random order",
    "  -preload none|own|all|random   read cells into the cache before each run",
    "  -skew N   timebase: each thread starts up to N counter ticks late",
    "  -seed N   the random seed (0: from the counter)",
    "  -model on|off   print the ARMv8 model's verdict",
    NULL,
};

static void print_usage(void)
{
	for (const char *const *l = usage; *l; l++)
		kprintf("%s\n", *l);
}

static int word_index(const char *s, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

static int parse_cores(const char *s, uint64_t *mask)
{
	*mask = 0;
	while (*s) {
		char *end;
		unsigned long c = strtoul(s, &end, 10);
		if (end == s || c >= MAX_CPUS)
			return -1;
		*mask |= 1ULL << c;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return *mask ? 0 : -1;
}

/*
 * Options from argv[0..argc) into *p.  Returns 0, or -1 after printing
 * what is wrong.  The word lists match log.c's names.
 */
static int parse_opts(int argc, char **argv, struct litmus_params *p)
{
	static const char *const syncs[] = {"none", "user", "timebase"};
	static const char *const places[] = {"random", "array", "line", "lines", "page"};
	static const char *const preloads[] = {"none", "own", "all", "random"};
	static const char *const onoff[] = {"off", "on"};
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "+ra") == 0 || strcmp(o, "-ra") == 0) {
			p->random_aff = o[0] == '+';
			continue;
		}
		if (i + 1 >= argc) {
			kprintf(
			    "litmus: %s: unknown option, or its value is missing (litmus help)\n",
			    o);
			return -1;
		}
		const char *v = argv[++i];
		unsigned long long n = 0;
		bool num = bootargs_parse_u64(v, &n);
		int k;
		if (strcmp(o, "-s") == 0) {
			if (!num || n < 1 || n > 65536)
				goto bad_number;
			p->size = (unsigned)n;
		} else if (strcmp(o, "-r") == 0) {
			if (!num || n < 1 || n > 100000000)
				goto bad_number;
			p->runs = (unsigned)n;
		} else if (strcmp(o, "-sync") == 0) {
			if (!num || n > 65536)
				goto bad_number;
			p->meet = (unsigned)n;
		} else if (strcmp(o, "-patience") == 0) {
			if (!num || n < 1 || n > 65535)
				goto bad_number;
			p->patience = (unsigned)n;
		} else if (strcmp(o, "-skew") == 0) {
			if (!num || n > 1000000)
				goto bad_number;
			p->skew = (unsigned)n;
		} else if (strcmp(o, "-seed") == 0) {
			if (!num)
				goto bad_number;
			p->seed = n;
		} else if (strcmp(o, "-p") == 0) {
			if (parse_cores(v, &p->cores) < 0) {
				kprintf(
				    "litmus: -p %s: expected core numbers like 0,2,3 (below %d)\n",
				    v, MAX_CPUS);
				return -1;
			}
		} else if (strcmp(o, "-barrier") == 0 && (k = word_index(v, syncs, 3)) >= 0) {
			p->sync = k;
		} else if (strcmp(o, "-place") == 0 && (k = word_index(v, places, 5)) >= 0) {
			p->place = k;
		} else if (strcmp(o, "-preload") == 0 && (k = word_index(v, preloads, 4)) >= 0) {
			p->preload = k;
		} else if (strcmp(o, "-shuffle") == 0 && (k = word_index(v, onoff, 2)) >= 0) {
			p->shuffle = k;
		} else if (strcmp(o, "-model") == 0 && (k = word_index(v, onoff, 2)) >= 0) {
			p->model = k;
		} else {
			kprintf("litmus: %s %s: unknown option or value (litmus help)\n", o, v);
			return -1;
		}
		continue;
	bad_number:
		kprintf("litmus: %s %s: expected a number%s\n", o, v,
			strcmp(o, "-s") == 0	      ? " from 1 to 65536"
			: strcmp(o, "-r") == 0	      ? " from 1 to 100000000"
			: strcmp(o, "-skew") == 0     ? " up to 1000000"
			: strcmp(o, "-sync") == 0     ? " up to 65536"
			: strcmp(o, "-patience") == 0 ? " from 1 to 65535"
						      : "");
		return -1;
	}
	return 0;
}

/* Split a boot argument's value into words (in place). */
static int split_words(char *s, char **argv, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		if (n == max)
			return -1;
		argv[n++] = s;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

static struct litmus_params *defaults(void)
{
	if (session_ready)
		return &session;
	session_ready = true;
	litmus_default_params(&session, litmus_on_qemu());
	/* litmus="-s 500 -r 10": the session's defaults from the boot line */
	const char *v = bootargs_get(&boot_args, "litmus");
	if (v) {
		char buf[BOOTARGS_VAL_MAX];
		char *argv[24];
		strncpy(buf, v, sizeof buf - 1);
		buf[sizeof buf - 1] = '\0';
		int n = split_words(buf, argv, 24);
		if (n < 0 || parse_opts(n, argv, &session) < 0)
			kprintf("bootargs: litmus=%s: ignored (see litmus help)\n", v);
	}
	return &session;
}

/* ---------------------------------------------------------------- running */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Parse and run one test's text; file names it in messages.  Returns 0 if
 * it ran and showed no state the model forbids.  In a suite (skip_wide), a
 * test with more threads than usable cores, or using an instruction this CPU
 * lacks (LDAPR, LSE atomics on a Cortex-A72), is skipped, not an error. */
static int run_text(const char *file, const char *src, size_t len, const struct litmus_params *p,
		    bool skip_wide)
{
	struct litmus_error e;
	char msg[LITMUS_ERR_MAX + 160];
	test_parsed = false;
	if (litmus_parse(src, len, &test, &e) < 0) {
		litmus_format_error(&e, file, msg, sizeof msg);
		kprintf("%s\n", msg);
		litmus_summary_error(&summary, base_name(file), "error");
		return 1;
	}
	test_parsed = true;
	int usable = litmus_cores_usable(p);
	if (skip_wide && test.nthreads > usable) {
		kprintf("litmus: %s: skipped: it needs %d cores, %d %s usable\n\n", file,
			test.nthreads, usable, usable == 1 ? "is" : "are");
		litmus_summary_error(&summary, test.name, "skipped");
		return 0;
	}
	if (skip_wide && litmus_check_cpu(&test, msg, sizeof msg) < 0) {
		kprintf("litmus: %s: skipped: %s\n\n", file, msg);
		litmus_summary_error(&summary, test.name, "skipped");
		return 0;
	}
	if (litmus_run(&test, p, &result, msg, sizeof msg) < 0) {
		litmus_log_error(file, msg);
		litmus_summary_error(&summary, test.name, "error");
		return 1;
	}
	litmus_judge(&test, &result, p->model, &verdict);
	litmus_log_test(&test, file, src, len, p, &result, &verdict);
	litmus_summary_add(&summary, &test, &result, &verdict);
	litmus_result_free(&result);
	return verdict.known && verdict.forbidden_seen ? 1 : 0;
}

static int run_builtin(const struct litmus_builtin *b, const struct litmus_params *p, bool suite)
{
	return run_text(b->file, b->text, strlen(b->text), p, suite);
}

/* A built-in test by its name (the AArch64 header's) or its file name. */
static const struct litmus_builtin *find_builtin(const char *name)
{
	struct litmus_error e;
	const struct litmus_builtin *byfile = litmus_builtin_file(name);
	if (byfile)
		return byfile;
	for (const struct litmus_builtin *b = litmus_builtins; b->file; b++) {
		test_parsed = false; /* test is the scratch space of this search */
		if (litmus_parse(b->text, strlen(b->text), &test, &e) == 0 &&
		    strcmp(test.name, name) == 0)
			return b;
	}
	return NULL;
}

static void begin(const struct litmus_params *p)
{
	memset(&summary, 0, sizeof summary);
	litmus_log_header(p);
	kprintf("\n");
}

static int run_suite(const struct litmus_params *p)
{
	int status = 0;
	begin(p);
	for (const struct litmus_builtin *b = litmus_builtins; b->file; b++)
		status |= run_builtin(b, p, true);
	litmus_log_summary(&summary);
	return status;
}

static int run_file(const char *path, const struct litmus_params *p)
{
	size_t len;
	char err[160];
	if (semihost_read_file(path, text, sizeof text, &len, err, sizeof err) < 0) {
		litmus_log_error(path, err);
		litmus_summary_error(&summary, base_name(path), "error");
		return 1;
	}
	return run_text(path, text, len, p, false);
}

/* @LIST: a host file naming one test file per line (tools/litmus). */
static int run_list(const char *list, const struct litmus_params *p)
{
	static char names[8192];
	size_t len;
	char err[160];
	if (semihost_read_file(list, names, sizeof names - 1, &len, err, sizeof err) < 0) {
		litmus_log_error(list, err);
		return 1;
	}
	names[len] = '\0';
	int status = 0;
	for (char *line = names; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n)
			status |= run_file(line, p);
		line = nl ? nl + 1 : NULL;
	}
	return status;
}

/* ---------------------------------------------------------------- pasting */

/*
 * Read a pasted test from the console into text[].  It ends at a line
 * holding only "." or at Ctrl-D; Ctrl-C abandons it.  Nothing is echoed
 * (at 115200 baud an echo would slow the paste); a count follows.
 * Returns the length, or -1 if abandoned or too long.
 */
static long read_paste(void)
{
	size_t len = 0, line_start = 0;
	bool too_long = false, last_cr = false;
	for (;;) {
		int c = input_getc_wait();
		if (c == CTRL_C) {
			kprintf("litmus load: abandoned (^C)\n");
			return -1;
		}
		if (c == PASTE_EOF)
			break;
		if (c == '\n' && last_cr) {
			last_cr = false;
			continue; /* the \n of a \r\n */
		}
		last_cr = c == '\r';
		if (c == '\r')
			c = '\n';
		if (c == '\n') {
			/* A line of only "." (spaces around it allowed) ends the test. */
			size_t a = line_start, b = len;
			while (a < b && (text[a] == ' ' || text[a] == '\t'))
				a++;
			while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t'))
				b--;
			if (!too_long && b == a + 1 && text[a] == '.') {
				len = line_start;
				break;
			}
		}
		if (len + 1 >= sizeof text) {
			too_long = true; /* keep reading to the end, then refuse */
			if (c == '\n')
				len = line_start = 0;
			continue;
		}
		text[len++] = (char)c;
		if (c == '\n')
			line_start = len;
	}
	if (too_long) {
		kprintf("litmus load: the test is longer than %d bytes: refused\n", TEXT_MAX);
		return -1;
	}
	/* Leading blank lines (the end of the command line's \r\n). */
	size_t skip = 0;
	while (skip < len && (text[skip] == '\n' || text[skip] == ' '))
		skip++;
	memmove(text, text + skip, len - skip);
	len -= skip;
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	kprintf("litmus load: %d lines, %zu bytes\n", lines, len);
	return (long)len;
}

/* ---------------------------------------------------------------- bench */

/* n-thread store buffering: each thread writes its location, then reads
 * the next thread's; all reads 0 is the relaxed outcome (x86-TSO shows it,
 * so QEMU on an x86 host does). */
static const char *const bench_tests[] = {
    "AArch64 SB\n{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }\n"
    " P0          | P1          ;\n"
    " MOV W0,#1   | MOV W0,#1   ;\n"
    " STR W0,[X1] | STR W0,[X1] ;\n"
    " LDR W2,[X3] | LDR W2,[X3] ;\n"
    "exists (0:X2=0 /\\ 1:X2=0)\n",
    "AArch64 3.SB\n{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=z; 2:X1=z; 2:X3=x; }\n"
    " P0          | P1          | P2          ;\n"
    " MOV W0,#1   | MOV W0,#1   | MOV W0,#1   ;\n"
    " STR W0,[X1] | STR W0,[X1] | STR W0,[X1] ;\n"
    " LDR W2,[X3] | LDR W2,[X3] | LDR W2,[X3] ;\n"
    "exists (0:X2=0 /\\ 1:X2=0 /\\ 2:X2=0)\n",
    "AArch64 4.SB\n{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=z; 2:X1=z; 2:X3=a; 3:X1=a; 3:X3=x; }\n"
    " P0          | P1          | P2          | P3          ;\n"
    " MOV W0,#1   | MOV W0,#1   | MOV W0,#1   | MOV W0,#1   ;\n"
    " STR W0,[X1] | STR W0,[X1] | STR W0,[X1] | STR W0,[X1] ;\n"
    " LDR W2,[X3] | LDR W2,[X3] | LDR W2,[X3] | LDR W2,[X3] ;\n"
    "exists (0:X2=0 /\\ 1:X2=0 /\\ 2:X2=0 /\\ 3:X2=0)\n",
};

static void print_rate(const char *what, const struct litmus_result *r, uint64_t pos)
{
	uint64_t ns = ticks_to_ns(r->ticks);
	uint64_t rate = ns ? r->iterations * 1000000000ULL / ns : 0;
	uint64_t pm = r->iterations ? pos * 10000 / r->iterations : 0; /* 0.01 % units */
	uint64_t run_us = ticks_to_ns(r->max_batch_ticks) / 1000;
	char gave_up[48] = "";
	if (r->meetings)
		ksnprintf(gave_up, sizeof gave_up, ", %llu%% of meetings given up",
			  (unsigned long long)(r->gave_up * 100 / r->meetings));
	kprintf("litmus bench: %-28s %9llu iterations in %4llu.%03llu s: %8llu iterations/s, "
		"relaxed %llu.%02llu%%, longest run %llu us%s\n",
		what, (unsigned long long)r->iterations, (unsigned long long)(ns / 1000000000ULL),
		(unsigned long long)(ns / 1000000ULL % 1000), (unsigned long long)rate,
		(unsigned long long)(pm / 100), (unsigned long long)(pm % 100),
		(unsigned long long)run_us, gave_up);
}

#define MODEL_BENCH_RUNS 100

/*
 * The ARMv8 model's time per test, on this machine: each built-in test run
 * MODEL_BENCH_RUNS times.  One "Bench" line per test, as the host command's
 * --bench prints (tools/litmus-model), so the two can be set side by side.
 */
static int bench_model(void)
{
	struct litmus_error e;
	struct model *m = litmus_model();
	if (!m) {
		kprintf("litmus bench: no memory for the ARMv8 model\n");
		return 1;
	}
	for (const struct litmus_builtin *b = litmus_builtins; b->file; b++) {
		if (litmus_parse(b->text, strlen(b->text), &test, &e) < 0)
			return 1;
		test_parsed = true;
		uint64_t t0 = timer_ns();
		for (int k = 0; k < MODEL_BENCH_RUNS; k++)
			if (model_run(m, &test, 0, &e) < 0) {
				kprintf("litmus bench: model: %s: %s\n", test.name, e.msg);
				return 1;
			}
		uint64_t ns = (timer_ns() - t0) / MODEL_BENCH_RUNS;
		kprintf("Bench %s threads %d executions %llu seconds %llu.%06llu\n", test.name,
			test.nthreads, (unsigned long long)(m->pos + m->neg),
			(unsigned long long)(ns / 1000000000ULL),
			(unsigned long long)(ns % 1000000000ULL / 1000));
	}
	return 0;
}

static int run_bench(void)
{
	static const char *const syncs[] = {"none", "user", "timebase"};
	int status = 0;
	struct litmus_params p = *defaults();
	kprintf("litmus bench: %d cores online; %s\n", cpus_online(),
		litmus_on_qemu() ? "QEMU" : "hardware");
	csv_header("litmus_rate", "test,threads,barrier,cores,iterations,ns,iterations_per_s");
	for (unsigned i = 0; i < sizeof bench_tests / sizeof bench_tests[0]; i++) {
		struct litmus_error e;
		char msg[200];
		const char *src = bench_tests[i];
		if (litmus_parse(src, strlen(src), &test, &e) < 0) {
			kprintf("litmus bench: internal test %u: %s\n", i, e.msg);
			return 1;
		}
		for (int sync = LITMUS_SYNC_NONE; sync <= LITMUS_SYNC_TIMEBASE; sync++) {
			/* Per-iteration barriers wait for every thread, every
			 * iteration: under QEMU that needs a host CPU per thread,
			 * which this project's test host (2 cores) lacks for 3 and
			 * 4 threads: there they would take minutes. */
			if (sync != LITMUS_SYNC_NONE && litmus_on_qemu() && test.nthreads > 2) {
				kprintf("litmus bench: %s (%d threads) -barrier %s: not under QEMU "
					"(a host CPU per thread needed)\n",
					test.name, test.nthreads, syncs[sync]);
				continue;
			}
			p.sync = sync;
			p.size = 1000;
			/* 1,000,000 iterations batched; per-iteration sync is slower */
			p.runs = sync == LITMUS_SYNC_NONE ? 1000 : 20;
			char what[64];
			if (sync == LITMUS_SYNC_NONE)
				ksnprintf(what, sizeof what,
					  "%s (%d threads) -barrier none -sync %u", test.name,
					  test.nthreads, p.meet);
			else
				ksnprintf(what, sizeof what, "%s (%d threads) -barrier %s",
					  test.name, test.nthreads, syncs[sync]);
			if (litmus_run(&test, &p, &result, msg, sizeof msg) < 0) {
				kprintf("litmus bench: %s: %s\n", what, msg);
				if (test.nthreads <= cpus_online())
					status = 1;
				break;
			}
			uint64_t pos, neg;
			litmus_count(&test, &result, &pos, &neg);
			print_rate(what, &result, pos);
			uint64_t ns = ticks_to_ns(result.ticks);
			csv_row(
			    "litmus_rate", "%s,%d,%s,%d,%llu,%llu,%llu", test.name, test.nthreads,
			    syncs[sync], cpus_online(), (unsigned long long)result.iterations,
			    (unsigned long long)ns,
			    (unsigned long long)(ns ? result.iterations * 1000000000ULL / ns : 0));
			litmus_result_free(&result);
		}
	}
	kprintf("litmus bench: the ARMv8 model, time per test (%d runs each):\n", MODEL_BENCH_RUNS);
	return status | bench_model();
}

/* ---------------------------------------------------------------- commands */

static int cmd_list(void)
{
	struct litmus_error e;
	kprintf("%-24s %-8s %-12s %s\n", "name", "threads", "quantifier", "file");
	for (const struct litmus_builtin *b = litmus_builtins; b->file; b++) {
		if (litmus_parse(b->text, strlen(b->text), &test, &e) < 0) {
			char msg[LITMUS_ERR_MAX + 64];
			litmus_format_error(&e, b->file, msg, sizeof msg);
			kprintf("%s\n", msg);
			continue;
		}
		static const char *const q[] = {"exists", "~exists", "forall"};
		kprintf("%-24s %-8d %-12s %s\n", test.name, test.nthreads, q[test.cond.quant],
			b->file);
	}
	return 0;
}

static int cmd_show(const char *name)
{
	const struct litmus_builtin *b = find_builtin(name);
	struct litmus_error e;
	if (!b) {
		kprintf("litmus: no built-in test '%s' (litmus list)\n", name);
		return 1;
	}
	kprintf("%s", b->text);
	test_parsed = litmus_parse(b->text, strlen(b->text), &test, &e) == 0;
	if (!test_parsed)
		return 1;
	kprintf("Generated assembler\n");
	litmus_print_code(&test, defaults());
	return 0;
}

/* The model on test: herd7's output, then model_explain's reason. */
static int explain_test(const struct litmus_test *t)
{
	struct litmus_error e;
	struct model *m = litmus_model();
	if (!m) {
		kprintf("litmus why: no memory for the ARMv8 model\n");
		return 1;
	}
	if (model_run(m, t, MODEL_WHY, &e) < 0) {
		kprintf("litmus why: %s: the model cannot run it: %s\n", t->name, e.msg);
		return 1;
	}
	model_print(m, &litmus_console_out, NULL);
	if (model_explain(m, &litmus_console_out, &e) < 0) {
		kprintf("litmus why: %s: the model cannot explain it: %s\n", t->name, e.msg);
		return 1;
	}
	return 0;
}

static int cmd_why(const char *name)
{
	struct litmus_error e;
	if (!name) {
		if (!test_parsed) {
			kprintf("litmus why: no test run or loaded yet: name a built-in one "
				"(litmus list)\n");
			return 1;
		}
		return explain_test(&test);
	}
	const struct litmus_builtin *b = find_builtin(name);
	if (!b) {
		kprintf("litmus: no built-in test '%s' (litmus list)\n", name);
		return 1;
	}
	if (litmus_parse(b->text, strlen(b->text), &test, &e) < 0) {
		kprintf("litmus why: %s: %s\n", b->file, e.msg);
		return 1;
	}
	test_parsed = true;
	return explain_test(&test);
}

int cmd_litmus(int argc, char **argv)
{
	struct litmus_params p = *defaults();
	const char *sub = argc > 1 ? argv[1] : "";
	if (argc == 1)
		return run_suite(&p);
	if (strcmp(sub, "help") == 0) {
		print_usage();
		return 0;
	}
	if (strcmp(sub, "list") == 0 && argc == 2)
		return cmd_list();
	if (strcmp(sub, "show") == 0 && argc == 3)
		return cmd_show(argv[2]);
	if (strcmp(sub, "why") == 0 && argc <= 3)
		return cmd_why(argc == 3 ? argv[2] : NULL);
	if (strcmp(sub, "bench") == 0 && argc == 2)
		return run_bench();
	if (strcmp(sub, "set") == 0) {
		if (parse_opts(argc - 2, argv + 2, &session) < 0)
			return 1;
		char buf[160];
		litmus_format_params(&session, buf, sizeof buf);
		kprintf("litmus: %s\n", buf);
		return 0;
	}
	if (strcmp(sub, "run") == 0 && argc >= 3) {
		if (parse_opts(argc - 3, argv + 3, &p) < 0)
			return 1;
		if (strcmp(argv[2], "all") == 0)
			return run_suite(&p);
		const struct litmus_builtin *b = find_builtin(argv[2]);
		if (!b) {
			kprintf("litmus: no built-in test '%s' (litmus list)\n", argv[2]);
			return 1;
		}
		begin(&p);
		return run_builtin(b, &p, false);
	}
	if (strcmp(sub, "file") == 0 && argc >= 3) {
		if (parse_opts(argc - 3, argv + 3, &p) < 0)
			return 1;
		begin(&p);
		return run_file(argv[2], &p);
	}
	if (strcmp(sub, "load") == 0) {
		if (parse_opts(argc - 2, argv + 2, &p) < 0)
			return 1;
		kprintf("litmus load: paste the test, then a line holding only . (or Ctrl-D)\n");
		long len = read_paste();
		if (len < 0)
			return 1;
		begin(&p);
		return run_text("pasted", text, (size_t)len, &p, false);
	}
	print_usage();
	return 1;
}

/* Boot actions: litmus, litmus:PATH, litmus:@LIST, litmus-bench. */
int litmus_run_suite(void)
{
	struct litmus_params p = *defaults();
	return run_suite(&p);
}

int litmus_run_bench(void)
{
	return run_bench();
}

int litmus_run_path(const char *path)
{
	struct litmus_params p = *defaults();
	int status;
	begin(&p);
	if (path[0] == '@')
		status = run_list(path + 1, &p);
	else
		status = run_file(path, &p);
	litmus_log_summary(&summary);
	return status;
}
