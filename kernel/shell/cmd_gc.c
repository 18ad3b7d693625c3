/*
 * cmd.c — the shell's "gc" command and "gc bench".
 */
#include "gc/internal.h"
#include "kernel/init/bootargs.h"
#include "kernel/drivers/console.h"
#include "kernel/stw/stop.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "gc: usage:",
    "  gc                      run one cycle and print what it did",
    "  gc stats                the last cycles, the heap, where the pauses went",
    "  gc stress [N]           N cycles (default 100) under task churn on every core",
    "  gc mode fixed|racy      stack roots from the snapshot (Go 1.18) or the live slice (1.17)",
    "  gc inject publish-early|off   the task slice publishes its new array before the copy",
    "  gc verify on|off        check every mark and poison freed memory",
    "  gc auto on|off          cycles started by allocation",
    "  gc bench                both pauses with 10, 1,000 and 100,000 tasks",
    NULL,
};

/* One kprintf per line: a console line has a bounded length. */
static void print_usage(void)
{
	for (const char *const *l = usage; *l; l++)
		kprintf("%s\n", *l);
}

static int parse_on_off(const char *s, bool *on)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*on = true;
	else if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*on = false;
	else
		return -1;
	return 0;
}

int gc_shell(int argc, char **argv)
{
	bool on;
	if (!gc.ready) {
		kprintf("gc: there is no heap (see the boot messages)\n");
		return 1;
	}
	if (argc == 1) {
		struct gc_cycle_stats s;
		gc_cycle_stats(gc_collect(), &s);
		gc_print_cycle(&s);
		return 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "stats") == 0 && argc == 2) {
		gc_print_stats();
		return 0;
	}
	if (strcmp(sub, "stress") == 0 && argc <= 3) {
		unsigned long long n = 100;
		if (argc == 3 && (!bootargs_parse_u64(argv[2], &n) || n < 1 || n > 10000000)) {
			kprintf("gc stress: N must be a number from 1 to 10000000\n");
			return 1;
		}
		return gc_stress((unsigned)n, false);
	}
	if (strcmp(sub, "mode") == 0 && argc == 3) {
		if (strcmp(argv[2], "fixed") == 0)
			gc_set_mode(GC_FIXED);
		else if (strcmp(argv[2], "racy") == 0)
			gc_set_mode(GC_RACY);
		else {
			kprintf("gc mode: expected fixed or racy, not '%s'\n", argv[2]);
			return 1;
		}
		kprintf("gc: mode %s\n", gc_mode_name(gc_get_mode()));
		return 0;
	}
	if (strcmp(sub, "inject") == 0 && argc == 3) {
		if (strcmp(argv[2], "publish-early") == 0)
			gc_set_inject(true);
		else if (strcmp(argv[2], "off") == 0 || strcmp(argv[2], "none") == 0)
			gc_set_inject(false);
		else {
			kprintf("gc inject: expected publish-early or off, not '%s'\n", argv[2]);
			return 1;
		}
		kprintf("gc: injection %s\n", gc_get_inject() ? "publish-early" : "off");
		return 0;
	}
	if (strcmp(sub, "verify") == 0 && argc == 3 && parse_on_off(argv[2], &on) == 0) {
		gc_set_verify(on);
		kprintf("gc: verifier %s\n", on ? "on" : "off");
		return 0;
	}
	if (strcmp(sub, "auto") == 0 && argc == 3 && parse_on_off(argv[2], &on) == 0) {
		gc_set_auto(on);
		kprintf("gc: automatic cycles %s\n", on ? "on" : "off");
		return 0;
	}
	if (strcmp(sub, "bench") == 0 && argc == 2)
		return gc_bench();
	if (strcmp(sub, "help") == 0 && argc == 2) {
		print_usage();
		return 0;
	}
	print_usage();
	return 1;
}

/* ---- gc bench ---- */

#define BENCH_CYCLES 15

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_u64);
	return v[n / 2];
}

/* What stop 1 would cost if it copied the slice instead of taking its
 * header: a stop, a copy of every entry, a restart. */
static uint64_t copy_pause(void)
{
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	struct task **copy = malloc((len + 1) * sizeof *copy);
	if (!copy)
		return 0;
	uint64_t t0 = timer_ns();
	stop_the_world("gc bench: copy the slice");
	struct tasks_view v = alltasks_snapshot();
	memcpy(copy, v.ptr, v.len * sizeof *copy);
	start_the_world();
	uint64_t ns = timer_ns() - t0;
	free(copy);
	return ns;
}

int gc_bench(void)
{
	static const size_t sizes[] = {10, 1000, 100000};
	uint64_t first_median = 0, last_median = 0;
	kprintf("gc bench: the pauses (request to release, median of %d cycles) against the "
		"length of the task slice\n",
		BENCH_CYCLES);
	kprintf(
	    "  tasks    stop1 median   stop1 max   stop2 median   copy-the-slice pause (median)\n");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len, cap, arrays;
		alltasks_stats(&len, &cap, &arrays);
		if (len < sizes[i] && task_reserve(sizes[i] - len) < sizes[i] - len) {
			kprintf("gc bench: no memory for %zu tasks: stopping here\n", sizes[i]);
			return 1;
		}
		alltasks_stats(&len, &cap, &arrays);
		uint64_t p[BENCH_CYCLES], p2[BENCH_CYCLES], c[BENCH_CYCLES], max = 0;
		for (int k = 0; k < BENCH_CYCLES; k++) {
			struct gc_cycle_stats s;
			gc_cycle_stats(gc_collect(), &s);
			p[k] = s.stop1_ns;
			p2[k] = s.stop2_ns; /* nor does stop 2 walk the tasks */
			max = p[k] > max ? p[k] : max;
			c[k] = copy_pause();
		}
		uint64_t m = median(p, BENCH_CYCLES);
		if (i == 0)
			first_median = m;
		last_median = m;
		kprintf("  %-7zu  %8llu us    %8llu us    %8llu us    %8llu us\n", len,
			(unsigned long long)(m / 1000), (unsigned long long)(max / 1000),
			(unsigned long long)(median(p2, BENCH_CYCLES) / 1000),
			(unsigned long long)(median(c, BENCH_CYCLES) / 1000));
	}
	kprintf("gc bench: stop-1 median with 100,000 tasks / with the fewest: %llu.%02llu "
		"(target <= 1.10)\n",
		(unsigned long long)(last_median / (first_median ? first_median : 1)),
		(unsigned long long)(last_median * 100 / (first_median ? first_median : 1) % 100));
	return 0;
}
