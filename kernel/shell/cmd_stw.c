/*
 * cmd_stw.c — the shell's stw command: the stop-the-world's statistics, and
 * its benchmark.
 */
#include "kernel/bench/bench.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/shell/commands.h"
#include "kernel/stw/stop.h"

#include <string.h>

int cmd_stw(int argc, char **argv)
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
