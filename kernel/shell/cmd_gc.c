/*
 * cmd_gc.c — the shell's "gc" command: run a cycle, print the statistics, run
 * the churn workload (kernel/workloads/gcstress.c), change a setting, run the
 * benchmark (kernel/bench/gc.c).
 *
 * The settings and their words come from the collector's table
 * (gc/settings.c), the same one the boot arguments use: "gc mode racy" here
 * is gc=racy at boot, "gc inject off" is inject=off (or its alias none).
 */
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/bench/bench.h"
#include "kernel/drivers/console.h"
#include "kernel/shell/commands.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/shell/shell.h"
#include "kernel/workloads/workloads.h"

#include <string.h>

#define STRESS_CYCLES_DEFAULT 100
#define STRESS_CYCLES_MAX     10000000u

/* "gc help", around the lines of the settings (which come from the table). */
static const char *const usage_head[] = {
    "gc: usage:",
    "  gc                      run one cycle and print what it did",
    "  gc stats                the last cycles, the heap, where the pauses went",
    "  gc stress [N]           N cycles (default 100) under task churn on every core",
    NULL,
};
static const char *const usage_tail[] = {
    "  gc bench                both pauses with 10, 1,000 and 100,000 tasks",
    "  gc bench trees [D [L [W]]]  binary-trees: max depth D (16), a tree of depth L",
    "                          (D) kept alive, W workers (one per core)",
    NULL,
};

/* One kprintf per line: a console line has a bounded length. */
static void print_lines(const char *const *l)
{
	for (; *l; l++)
		kprintf("%s\n", *l);
}

/* " (none = off)": the older spellings s still takes. */
static void alias_note(const struct gc_setting *s, char *buf, size_t n)
{
	int len = 0;
	buf[0] = '\0';
	for (int i = 0; i < GC_SETTING_WORDS && s->words[i].word; i++)
		if (s->words[i].alias && len < (int)n)
			len += ksnprintf(buf + len, n - (size_t)len, "%s%s = %s", len ? ", " : " (",
					 s->words[i].alias, s->words[i].word);
	if (len && len < (int)n)
		ksnprintf(buf + len, n - (size_t)len, ")");
}

/* "  gc mode fixed|racy      stack roots from ...", for each setting. */
static void print_settings_usage(void)
{
	char words[48], left[64], aliases[80];
	for (const struct gc_setting *s = gc_settings; s->name; s++) {
		ksnprintf(left, sizeof left, "%s %s", s->name,
			  gc_setting_words(s, words, sizeof words));
		alias_note(s, aliases, sizeof aliases);
		kprintf("  gc %-20s %s%s\n", left, s->help, aliases);
	}
}

static void print_usage(void)
{
	print_lines(usage_head);
	print_settings_usage();
	print_lines(usage_tail);
}

/* "gc": one cycle now, and what it did. */
static int collect_now(void)
{
	struct gc_cycle_stats s;
	gc_cycle_stats(gc_collect(), &s);
	gc_print_cycle(&s);
	return 0;
}

/* "gc stress [N]" */
static int stress(int argc, char **argv)
{
	unsigned long long n = STRESS_CYCLES_DEFAULT;
	if (argc == 3 && (!bootargs_parse_u64(argv[2], &n) || n < 1 || n > STRESS_CYCLES_MAX)) {
		kprintf("gc stress: N must be a number from 1 to %u\n", STRESS_CYCLES_MAX);
		return 1;
	}
	return gc_stress((unsigned)n, false);
}

/* "gc bench trees [DEPTH [LONG [WORKERS]]]" */
static int trees(int argc, char **argv)
{
	unsigned long long v[3] = {TREES_DEFAULT_DEPTH, 0, (unsigned long long)cpus_online()};
	static const unsigned long long most[3] = {23, 24, TREES_MAX_WORKERS};
	for (int i = 3; i < argc; i++)
		if (!bootargs_parse_u64(argv[i], &v[i - 3]) || v[i - 3] > most[i - 3] ||
		    (i != 4 && v[i - 3] == 0)) {
			kprintf(
			    "gc bench trees: '%s': expected DEPTH (1-23), LONG (0-24) and WORKERS "
			    "(1-%d)\n",
			    argv[i], TREES_MAX_WORKERS);
			return 1;
		}
	if (argc < 5) /* LONG not given: the (raised) depth */
		v[1] = v[0] < TREES_LEAST_DEPTH ? TREES_LEAST_DEPTH : v[0];
	struct trees_params p = {(int)v[0], (int)v[1], (unsigned)v[2]};
	return trees_bench(&p);
}

/* "gc <setting> <word>": set it and say what it is now. */
static int change_setting(const struct gc_setting *s, int argc, char **argv)
{
	char err[128], words[48];
	if (argc != 3) {
		kprintf("gc %s: expected one word: %s\n", s->name,
			gc_setting_words(s, words, sizeof words));
		return 1;
	}
	if (gc_setting_set(s->name, argv[2], err, sizeof err) != 0) {
		kprintf("gc %s\n", err); /* "gc mode: expected fixed or racy, not 'x'" */
		return 1;
	}
	kprintf("gc: %s %s\n", s->label, gc_setting_word(s));
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	if (!gc_ready()) {
		kprintf("gc: there is no heap (see the boot messages)\n");
		return 1;
	}
	if (argc == 1)
		return collect_now();
	const char *sub = argv[1];
	const struct gc_setting *setting = gc_setting_find(sub);
	if (setting)
		return change_setting(setting, argc, argv);
	if (strcmp(sub, "stats") == 0 && argc == 2) {
		gc_print_stats();
		return 0;
	}
	if (strcmp(sub, "stress") == 0 && argc <= 3)
		return stress(argc, argv);
	if (strcmp(sub, "bench") == 0 && argc == 2)
		return gc_bench();
	if (strcmp(sub, "bench") == 0 && argc <= 6 && strcmp(argv[2], "trees") == 0)
		return trees(argc, argv);
	print_usage();
	return strcmp(sub, "help") == 0 && argc == 2 ? 0 : 1;
}
