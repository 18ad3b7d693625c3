/*
 * cmd_trace.c — the shell's trace command (the per-core tracer,
 * kernel/trace/trace.c) and the run=trace:PATH action that dumps a trace at
 * the end of a boot (make trace).
 *
 *   trace                 the same as trace status
 *   trace on | off        start a new trace (every core's buffer empties) / stop
 *   trace status          on or off, events and dropped events per core
 *   trace dump [PATH]     stop, then write the Chrome JSON to PATH on the host
 *                         by semihosting (default trace.json); without
 *                         semihosting, or with PATH "serial", frame it on the
 *                         console for tools/trace-decode
 *   trace cost            what one trace point costs on this core: off (a
 *                         NOP), recording, dropping, beside one counter read
 *                         (kernel/bench/tracepoint.c; it leaves a trace of
 *                         its own: trace on starts a new one)
 */
#include "kernel/arch/cpu.h"
#include "kernel/bench/bench.h"
#include "kernel/drivers/console.h"
#include "kernel/drivers/semihost.h"
#include "kernel/shell/commands.h"
#include "kernel/trace/trace.h"

#include <string.h>

#define TRACE_FILE_DEFAULT "trace.json"

static void print_status(void)
{
	struct trace_status s;
	trace_get_status(&s);
	kprintf("trace: %s, %llu events, %llu dropped (%u events per core on %d cores)\n",
		trace_running() ? "on" : "off", (unsigned long long)s.events,
		(unsigned long long)s.dropped, s.capacity, s.ncpu);
	for (int i = 0; i < s.ncpu; i++)
		if (cpu_state(&cpus[i]) == CPU_ONLINE || s.core_events[i])
			kprintf("  cpu%d: %llu events, %llu dropped\n", i,
				(unsigned long long)s.core_events[i],
				(unsigned long long)s.core_dropped[i]);
}

/* Stop tracing, then dump to path (a host file) or "serial". */
static int dump(const char *path)
{
	if (trace_running()) {
		trace_stop();
		kprintf("trace: stopped for the dump (trace on starts a new one)\n");
	}
	print_status();
	if (strcmp(path, "serial") == 0 || !semihost_available()) {
		trace_dump_serial();
		return 0;
	}
	char err[160];
	if (trace_dump_file(path, err, sizeof err) != 0) {
		kprintf("trace: dump to %s: %s\n", path, err);
		return 1;
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "status";
	if (!trace_ready()) {
		kprintf("trace: no trace buffers (no memory at boot)\n");
		return 1;
	}
	if (strcmp(sub, "on") == 0 && argc == 2) {
		trace_start();
		kprintf("trace: on\n");
		return 0;
	}
	if (strcmp(sub, "off") == 0 && argc == 2) {
		trace_stop();
		kprintf("trace: off\n");
		return 0;
	}
	if (strcmp(sub, "status") == 0 && argc <= 2) {
		print_status();
		return 0;
	}
	if (strcmp(sub, "dump") == 0 && argc <= 3)
		return dump(argc == 3 ? argv[2] : TRACE_FILE_DEFAULT);
	if (strcmp(sub, "cost") == 0 && argc == 2)
		return trace_point_cost(); /* kernel/bench/tracepoint.c */
	kprintf("trace: usage: trace [on|off|status|dump [PATH|serial]|cost]\n");
	return 1;
}

int trace_dump_action(const char *path)
{
	if (!trace_ready()) {
		kprintf("run: trace:%s: no trace buffers\n", path);
		return 1;
	}
	return dump(path);
}
