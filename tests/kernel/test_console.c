/*
 * test_console.c — lines printed by every core at once arrive whole.
 *
 * The kernel cannot see its own serial output, so this test only prints;
 * tests/run.py checks every "console-check" line of every boot for a
 * damaged or interleaved line.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/smp/smp.h"

#define LINES 40

static int go;

static void print_lines(void *arg)
{
	(void)arg;
	/* acquire: all cores start printing together */
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (int i = 0; i < LINES; i++)
		kprintf("console-check cpu%02d line%02d abcdefghijklmnopqrstuvwxyz0123456789 end\n",
			cpu_id(), i);
}

KTEST(console, lines_from_every_core_at_once)
{
	__atomic_store_n(&go, 0, __ATOMIC_RELAXED); /* before the posts' release */
	for_each_online_cpu(c) if (c->id != cpu_id()) KASSERT(smp_call(c->id, print_lines, NULL));
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE); /* start them */
	print_lines(NULL);
	for_each_online_cpu(c) if (c->id != cpu_id()) KASSERT(smp_call_wait(c->id, 30000000000ULL));
}

KTEST(console, long_output_is_truncated_not_overrun)
{
	char big[700];
	for (unsigned i = 0; i < sizeof big - 1; i++)
		big[i] = 'x';
	big[sizeof big - 1] = '\0';
	/* more than the 512-byte line buffer: must print a marker, not overflow */
	int n = kprintf("console-long %s\n", big);
	KASSERT_EQ(n, (int)(sizeof big - 1) + 14);
}
