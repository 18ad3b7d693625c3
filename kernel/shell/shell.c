/*
 * shell.c — the serial shell: a table of commands, and the read-eval loop.
 *
 * Each command family lives in its own file (cmd_system.c, cmd_tasks.c,
 * cmd_stw.c, cmd_gc.c, cmd_demo.c, cmd_litmus.c, cmd_trace.c), declared in commands.h; a
 * new command is one function there and one row here.  Lines come from the
 * line editor (line.c) and are split into words by parse.c.
 */
#include "kernel/shell/shell.h"
#include "kernel/arch/cpu.h"
#include "kernel/drivers/console.h"
#include "kernel/shell/commands.h"

#include <string.h>

#define PROMPT "allstop> "

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv);

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
    {"lesson", "[N|all] [quick]", "the weak-memory lessons (alone: list them)", cmd_lesson},
    {"litmus", "[sub]", "litmus tests on the cores; litmus help: run, list, load, file",
     cmd_litmus},
    {"trace", "[sub]", "the per-core tracer: on, off, status, dump [PATH|serial], cost", cmd_trace},
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

/* Is line the word "exit" (the loop's own command, not a table entry)? */
static bool is_exit(const char *line)
{
	line += strspn(line, " \t");
	return strncmp(line, "exit", 4) == 0 &&
	       (line[4] == '\0' || line[4] == ' ' || line[4] == '\t');
}

void shell_run(void)
{
	char line[SHELL_LINE_MAX];
	kprintf("allstop shell: type help for the commands\n");
	for (;;) {
		this_cpu()->doing = "shell";
		kprintf(PROMPT);
		if (!shell_read_line(line))
			continue;
		if (line[strspn(line, " \t")] == '\0')
			continue;
		shell_remember(line);
		if (is_exit(line))
			return;
		this_cpu()->doing = "shell command";
		shell_exec(line);
	}
}
