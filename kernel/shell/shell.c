/*
 * shell.c — the serial shell.
 *
 * Line editing: printable characters are echoed, backspace (DEL or ^H)
 * rubs out, ^C abandons the line, ^U clears it, up/down arrows walk the
 * history.  The shell waits for input with wfi: the UART interrupt (or the
 * tick, where there is no UART interrupt) wakes it.
 */
#include "kernel/shell/shell.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "gc/gc.h"
#include "kernel/task/alltasks.h"
#include "kernel/init/bootargs.h"
#include "kernel/irq/ipi.h"
#include "kernel/stw/stop.h"
#include "kernel/task/task.h"
#include "tests/kernel/ktest.h"
#include "kernel/panic/panic.h"
#include "kernel/firmware/power.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

#define HISTORY 8
#define PROMPT	"allstop> "

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[];

static int cmd_help(int argc, char **argv);

static const char *state_name(int s)
{
	switch (s) {
	case CPU_ONLINE:
		return "online";
	case CPU_STARTING:
		return "starting";
	case CPU_FAILED:
		return "failed";
	case CPU_HALTED:
		return "halted";
	default:
		return "absent";
	}
}

static int cmd_cores(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("cpu  MPIDR        EL  state    ticks      irqs       doing\n");
	for (int i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		kprintf("%-4d %#-12llx %-3d %-8s %-10llu %-10llu %s%s\n", i,
			(unsigned long long)c->mpidr, c->entry_el, state_name(cpu_state(c)),
			(unsigned long long)c->ticks, (unsigned long long)c->irqs,
			c->doing ? c->doing : "-", i == cpu_id() ? " (this core)" : "");
	}
	return 0;
}

static int cmd_ipi(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cpus_online() < 2) {
		kprintf("ipi: only one core is online\n");
		return 0;
	}
	for_each_online_cpu(c)
	{
		if (c->id == cpu_id())
			continue;
		int64_t ns = ipi_round_trip_ns(c->id, 100000000ULL);
		if (ns < 0)
			kprintf("ipi: cpu%d did not answer within 100 ms\n", c->id);
		else
			kprintf("ipi: cpu%d -> cpu%d -> back: %lld ns\n", cpu_id(), c->id,
				(long long)ns);
	}
	return 0;
}

static int cmd_panic(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	panic("deliberate panic from the shell");
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	system_exit(0);
}

static int cmd_test(int argc, char **argv)
{
	if (argc > 2) {
		kprintf("test: usage: test [suite[,suite...]|list]\n");
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		ktest_list();
		return 0;
	}
	int ran;
	return ktest_run(argc == 2 ? argv[1] : NULL, &ran) ? 1 : 0;
}

static void print_task(struct task *t)
{
	int st = t->state; /* a racy read: this is a listing, not a decision */
	uint64_t used = 0;
	if (st != TASK_DEAD && st != TASK_RUNNING && t->ctx.sp >= t->stack_lo &&
	    t->ctx.sp <= t->stack_hi)
		used = t->stack_hi - t->ctx.sp;
	char use[24] = "-";
	if (used)
		ksnprintf(use, sizeof use, "%llu/%llu", (unsigned long long)used,
			  (unsigned long long)t->stack_size);
	kprintf("%-6d %-16s %-9s %-4d %-13s %llu\n", t->id, t->name, task_state_name(st), t->cpu,
		use, (unsigned long long)t->runs);
}

static int cmd_tasks(int argc, char **argv)
{
	bool all = argc == 2 && strcmp(argv[1], "all") == 0;
	if (argc > 2 || (argc == 2 && !all)) {
		kprintf("tasks: usage: tasks [all]\n");
		return 1;
	}
	/* A snapshot (taken under the slice lock): every entry below its length
	 * stays valid, and tasks created meanwhile are simply not shown.  (Not
	 * the lock-free view: with inject=publish-early it can read NULL.) */
	struct tasks_view v = alltasks_snapshot();
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	kprintf("id     name             state     core stack(used)   runs\n");
	int shown = 0, dead = 0;
	for (size_t i = 0; i < v.len; i++) {
		struct task *t = v.ptr[i];
		if (t->state == TASK_DEAD) {
			dead++;
			if (!all)
				continue;
		}
		print_task(t);
		shown++;
	}
	kprintf("%d shown; the slice holds %zu tasks (%d dead, for reuse), capacity %zu; "
		"%llu created, %llu reused\n",
		shown, len, dead, cap, (unsigned long long)tasks_created(),
		(unsigned long long)tasks_reused());
	return 0;
}

/* spawn: a small workload, spread over the cores, that yields and sleeps. */
static int64_t workload(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
	uint64_t sum = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 20000; i++)
			sum +=
			    (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33;
		if (round % 2)
			task_sleep_ns((seed % 100 + 20) * 1000000ULL);
		else
			task_yield();
	}
	return (int64_t)(sum & 0xffff);
}

static int cmd_spawn(int argc, char **argv)
{
	unsigned long long n;
	if (argc != 2 || !bootargs_parse_u64(argv[1], &n) || n < 1 || n > 10000) {
		kprintf("spawn: usage: spawn N (N from 1 to 10000)\n");
		return 1;
	}
	unsigned long long made = 0;
	for (unsigned long long i = 0; i < n; i++) {
		struct task *t = task_create_on((int)(i % (unsigned long long)ncpus), false, "work",
						workload, (void *)(uintptr_t)i, 8192);
		if (!t)
			break;
		task_detach(t);
		made++;
	}
	kprintf("spawn: %llu task%s started over %d cores (tasks shows them; they end by "
		"themselves)\n",
		made, made == 1 ? "" : "s", cpus_online());
	return made == n ? 0 : 1;
}

static int cmd_stw(int argc, char **argv)
{
	unsigned long long n = 0;
	if (argc == 1) {
		stw_print_summary("stw");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "bench") != 0 || !bootargs_parse_u64(argv[2], &n) ||
	    n < 1 || n > 1000000) {
		kprintf("stw: usage: stw [bench N] (N from 1 to 1000000)\n");
		return 1;
	}
	return stw_bench((unsigned)n);
}

static int cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t ms = timer_ns() / 1000000;
	kprintf("up %llu.%03llu s\n", (unsigned long long)(ms / 1000),
		(unsigned long long)(ms % 1000));
	return 0;
}

static int cmd_gc(int argc, char **argv)
{
	return gc_shell(argc, argv);
}

static int cmd_demo(int argc, char **argv)
{
	unsigned long long n = 10000;
	if (argc == 1) {
		demo_run();
		return 0;
	}
	if (strcmp(argv[1], "allgs") == 0 && argc == 2)
		return gc_allgs_demo(false, 0);
	if (strcmp(argv[1], "allgs") == 0 && strcmp(argv[2], "long") == 0 &&
	    (argc == 3 ||
	     (argc == 4 && bootargs_parse_u64(argv[3], &n) && n >= 1 && n <= 100000000)))
		return gc_allgs_demo(true, (unsigned)n);
	kprintf("demo: usage: demo [allgs [long [cycles]]]\n");
	return 1;
}

int litmus_shell(int argc, char **argv); /* kernel/shell/cmd_litmus.c */

static const struct command commands[] = {
    {"help", "", "list the commands", cmd_help},
    {"cores", "", "every core: MPIDR, entry EL, state, ticks, interrupts", cmd_cores},
    {"ipi", "", "ping every other core and print the round-trip times", cmd_ipi},
    {"tasks", "[all]", "tasks: id, name, state, core, stack use (all: dead ones too)", cmd_tasks},
    {"spawn", "N", "start N small tasks spread over the cores", cmd_spawn},
    {"stw", "[bench N]", "stop-the-world latency and pause; bench: N stops vs an SGI", cmd_stw},
    {"gc", "[sub]", "one collection; gc help: stats, stress, mode, inject, verify, bench", cmd_gc},
    {"demo", "[allgs [long]]", "the boot demo; allgs: Go's allgs bug, racy then fixed", cmd_demo},
    {"test", "[suite|list]", "run the in-kernel tests (all, or one suite)", cmd_test},
    {"litmus", "[sub]", "litmus tests on the cores; litmus help: run, list, load, file",
     litmus_shell},
    {"uptime", "", "time since boot", cmd_uptime},
    {"panic", "", "panic on purpose, to see the report", cmd_panic},
    {"poweroff", "", "end the run (exit= decides how)", cmd_poweroff},
    {"exit", "", "leave the shell and continue the run", NULL},
    {NULL, NULL, NULL, NULL},
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (const struct command *c = commands; c->name; c++)
		kprintf("  %-9s %-14s %s\n", c->name, c->args, c->help);
	return 0;
}

int shell_exec(char *line)
{
	char *argv[SHELL_MAX_ARGS];
	int argc = shell_split(line, argv, SHELL_MAX_ARGS);
	if (argc < 0) {
		kprintf("shell: too many words (at most %d)\n", SHELL_MAX_ARGS);
		return 1;
	}
	if (argc == 0)
		return 0;
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, argv[0]) == 0 && c->fn)
			return c->fn(argc, argv);
	kprintf("shell: unknown command '%s' (try help)\n", argv[0]);
	return 1;
}

/* ---- line editing ---- */

static char history[HISTORY][SHELL_LINE_MAX];
static int history_len;

static int wait_char(void)
{
	return console_getc_wait(); /* blocks this task, not the core */
}

static void replace_line(char *line, int *len, const char *with)
{
	while (*len > 0) {
		kprintf("\b \b");
		(*len)--;
	}
	strncpy(line, with, SHELL_LINE_MAX - 1);
	line[SHELL_LINE_MAX - 1] = '\0';
	*len = (int)strlen(line);
	console_write(line, (size_t)*len);
}

/* Read one line; returns false if it was abandoned with ^C. */
static bool read_line(char *line)
{
	int len = 0, hist = history_len, esc = 0;
	line[0] = '\0';
	for (;;) {
		int c = wait_char();
		if (esc == 1) {
			esc = (c == '[') ? 2 : 0;
			continue;
		}
		if (esc == 2) {
			esc = 0;
			if (c == 'A' && hist > 0 && history_len - hist < HISTORY)
				replace_line(line, &len, history[--hist % HISTORY]);
			else if (c == 'B' && hist < history_len)
				replace_line(line, &len,
					     ++hist < history_len ? history[hist % HISTORY] : "");
			continue;
		}
		switch (c) {
		case 0x1b:
			esc = 1;
			break;
		case '\r':
		case '\n':
			kprintf("\n");
			line[len] = '\0';
			return true;
		case 0x03: /* ^C */
			kprintf("^C\n");
			return false;
		case 0x15: /* ^U */
			replace_line(line, &len, "");
			break;
		case 0x7f:
		case '\b':
			if (len > 0) {
				len--;
				kprintf("\b \b");
			}
			break;
		default:
			if (c >= 0x20 && c < 0x7f && len < SHELL_LINE_MAX - 1) {
				line[len++] = (char)c;
				char ch = (char)c;
				console_write(&ch, 1);
			}
		}
	}
}

void shell_run(void)
{
	char line[SHELL_LINE_MAX];
	kprintf("allstop shell: type help for the commands\n");
	for (;;) {
		this_cpu()->doing = "shell";
		kprintf(PROMPT);
		if (!read_line(line))
			continue;
		if (line[strspn(line, " \t")] == '\0')
			continue;
		strcpy(history[history_len % HISTORY], line);
		history_len++;
		char first[8];
		strncpy(first, line + strspn(line, " \t"), sizeof first - 1);
		first[sizeof first - 1] = '\0';
		if (strncmp(first, "exit", 4) == 0 && (first[4] == '\0' || first[4] == ' '))
			return;
		this_cpu()->doing = "shell command";
		shell_exec(line);
	}
}
