/*
 * cmd_demo.c — the shell's demo command: the boot demo, or Go's allgs bug.
 */
#include "kernel/demos/demos.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/shell/commands.h"

#include <string.h>

int cmd_demo(int argc, char **argv)
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
