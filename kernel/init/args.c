/*
 * args.c — the boot arguments' vocabulary: which keys the kernel knows, and
 * what the general ones (exit=, the numbers, the stop's watchdog, the
 * collector's settings) do.  The parser itself is kernel/firmware/bootargs.c;
 * run= is kernel/init/actions.c.
 */
#include "kernel/init/args.h"
#include "bootargs_default.h" /* generated: BOOTARGS_DEFAULT from make BOOTARGS= */
#include "gc/gc.h"
#include "kernel/boards/bootinfo.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/firmware/power.h"
#include "kernel/irq/ipi.h"
#include "kernel/irq/irq.h"
#include "kernel/mm/page.h"
#include "kernel/arch/cpu.h"
#include "kernel/stw/stop.h"
#include "kernel/trace/trace.h"

#include <string.h>

static const char *const known_keys[] = {
    "run", /* comma-separated actions, the table of kernel/init/actions.c: test,
	      test:<suite>[+<suite>], demo, gcstress, allgs, shell, bench, crash:<kind>,
	      litmus[:PATH], litmus-bench, lesson:<N>, lessons */
    "exit", /* psci (default) | semihost | halt */
    "tick", /* timer tick in Hz */
    "cpu_timeout", /* ms to wait for each secondary core */
    "maxcpus", /* start at most this many cores */
    "stw_watchdog", /* ms a stop-the-world waits for a core before it warns */
    "stw_panic", /* ms a stop-the-world waits for a core before it panics */
    "gc", /* fixed (default) | racy: the words of gc/settings.c, as for inject and gcverify */
    "inject", /* publish-early | off (default; none is the same) */
    "gcverify", /* on (or 1): verify every mark, poison freed memory */
    "gcheap", /* MiB for the collector's heap */
    "cycles", /* run=gcstress: how many cycles */
    "litmus", /* the litmus runner's default options, e.g. "-s 500 -r 100" */
    "host", /* the machine QEMU runs on (uname -m), for the litmus log's header */
    "quick", /* run=lesson:N, run=lessons: 1 for short runs (the test suite's) */
    "trace", /* on (or 1): start the per-core tracer at boot; off (default) */
    "tracebuf", /* the tracer's buffer: events per core (default 16384) */
    "depth", /* run=bench:trees: the deepest trees (default 16) */
    "long", /* run=bench:trees: the long-lived tree's depth (default: depth) */
    "workers", /* run=bench:trees: tasks building trees (default: one per core) */
    NULL,
};

static void args_warn(const char *msg)
{
	kprintf("%s\n", msg);
}

void bootargs_apply(void)
{
	const char *line = boot_info.have_bootargs ? boot_info.bootargs : BOOTARGS_DEFAULT;
	kprintf("bootargs: \"%s\"%s\n", line, boot_info.have_bootargs ? "" : " (built-in default)");
	bootargs_parse(&boot_args, line, known_keys, args_warn);

	const char *exit = bootargs_get(&boot_args, "exit");
	if (exit) {
		if (strcmp(exit, "semihost") == 0)
			power_set_exit_mode(EXIT_SEMIHOST);
		else if (strcmp(exit, "psci") == 0)
			power_set_exit_mode(EXIT_PSCI);
		else if (strcmp(exit, "halt") == 0)
			power_set_exit_mode(EXIT_HALT);
		else
			kprintf("bootargs: exit=%s: expected psci, semihost or halt; using psci\n",
				exit);
	}
}

unsigned bootarg_number(const char *key, unsigned dflt, unsigned min, unsigned max)
{
	const char *v = bootargs_get(&boot_args, key);
	unsigned long long n;
	if (!v)
		return dflt;
	if (!bootargs_parse_u64(v, &n) || n < min || n > max) {
		kprintf("bootargs: %s=%s: expected a number from %u to %u; using %u\n", key, v, min,
			max, dflt);
		return dflt;
	}
	return (unsigned)n;
}

/* The stop-the-world watchdog: warn after stw_watchdog ms, panic after
 * stw_panic ms.  Without stw_panic, the panic comes at the default or at
 * stw_watchdog, whichever is later; a stw_panic below stw_watchdog would panic
 * before the warning, and is rejected. */
void bootargs_apply_stw(void)
{
	unsigned warn = bootarg_number("stw_watchdog", STW_WATCHDOG_MS_DEFAULT, 1, 600000);
	unsigned dflt = warn > STW_PANIC_MS_DEFAULT ? warn : STW_PANIC_MS_DEFAULT;
	unsigned limit = bootarg_number("stw_panic", dflt, 1, 600000);
	if (limit < warn) {
		kprintf(
		    "bootargs: stw_panic=%u is below stw_watchdog=%u: the stop must warn before "
		    "it panics; using stw_panic=%u\n",
		    limit, warn, dflt);
		limit = dflt;
	}
	stw_set_watchdog_ms(warn, limit);
	kprintf("stop-the-world: warn after %u ms, panic after %u ms\n", warn, limit);
}

/* The collector's boot arguments: its settings' table (gc/settings.c) says
 * which they are and what words they take, as for the shell's gc command. */
void bootargs_apply_gc(void)
{
	char err[128];
	for (const struct gc_setting *s = gc_settings; s->name; s++) {
		const char *v = s->bootarg ? bootargs_get(&boot_args, s->bootarg) : NULL;
		if (v && gc_setting_set(s->bootarg, v, err, sizeof err) != 0)
			kprintf("bootargs: %s; keeping %s=%s\n", err, s->bootarg,
				gc_setting_word(s));
	}
}

/* The tracer: its buffers (tracebuf= events per core, for the cores that
 * may run), and trace=on starts it here, so the trace begins at boot. */
void bootargs_apply_trace(void)
{
	unsigned per = bootarg_number("tracebuf", TRACE_EVENTS_DEFAULT, 256, 1u << 22);
	uint64_t bytes = (uint64_t)per * TRACE_EVENT_BYTES * (uint64_t)ncpus;
	uint64_t mem = page_alloc((bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE);
	if (!mem) {
		kprintf("trace: no memory for %u events per core (%llu KiB): no tracing\n", per,
			(unsigned long long)(bytes >> 10));
		return;
	}
	/* an event is a restartable sequence (kernel/trace/record.S): without
	 * it an interrupt could overwrite a half-written event */
	if (irq_add_restartable((uintptr_t)trace_record_seq, (uintptr_t)trace_record_seq_end) !=
	    0) {
		kprintf("trace: its restartable sequence could not be registered: no tracing\n");
		return;
	}
	trace_init((void *)(uintptr_t)mem, bytes, ncpus);
	trace_set_ipi_names(ipi_name);
	const char *v = bootargs_get(&boot_args, "trace");
	if (!v || strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return;
	if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0) {
		trace_start();
		kprintf("trace: on from boot, %u events per core on %d cores\n", per, ncpus);
	} else {
		kprintf("bootargs: trace=%s: expected on or off; tracing stays off\n", v);
	}
}
