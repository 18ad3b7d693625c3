/*
 * allgs.c — "demo allgs": Go's allgs bug, then its fix, on this machine.
 *
 * Both halves run the gcstress workload, whose grower task makes the task
 * slice grow at the start of a mark phase, while the markers read it.
 *   1. gc=racy (Go 1.17): each root job reads its task from the live slice.
 *      With inject=publish-early the slice publishes its new array before
 *      copying into it, so a marker reads NULL: Go's "markroot: nil task".
 *      Here that fatal error is caught and reported instead, so the demo can
 *      go on (the task is scanned in stop 2, and the heap stays consistent).
 *   2. gc=fixed (Go 1.18): roots come from the snapshot taken in stop 1.
 *      The same injection, the same workload: no nil task, ever.
 * The long mode runs the racy half with no injection, for a real Arm core
 * (a Pi 4) to reorder the two writes by itself; it counts cycles until it
 * does.  docs/the-allgs-bug.md tells the whole story.
 */
#include "gc/gc.h"
#include "kernel/demos/demos.h"
#include "kernel/drivers/console.h"
#include "kernel/workloads/workloads.h"

#define DEMO_CYCLES 40

static void explain(void)
{
	kprintf("demo allgs: Go's allgs bug (golang.org/issue/49686), on %s\n",
		"allstop's own task slice");
	kprintf("  Growing the task slice: allocate a new array, copy the old entries (write A),\n"
		"  publish the new array (write B).  A marker reads the array pointer (read A),\n"
		"  then an entry (read B).  If B is visible before A, the entry is NULL.\n");
}

/* One half: returns gc_stress's failures; *caught is how many nil tasks the
 * markers read (and the collector caught instead of dying). */
static int run_half(enum gc_mode mode, bool inject, unsigned cycles, uint64_t *caught)
{
	gc_set_mode(mode);
	gc_set_inject(inject);
	gc_take_caught_nil();
	int failures = gc_stress(cycles, true);
	*caught = gc_take_caught_nil();
	return failures;
}

/* The long mode: gc=racy with no injection, until a core reorders the two
 * writes by itself (or the cycles run out). */
static void long_half(unsigned cycles)
{
	kprintf("demo allgs long: gc=racy, no injection, up to %u cycles; only a core that "
		"reorders stores by itself (a Pi 4, not QEMU on x86) can fail\n",
		cycles);
	uint64_t c0 = gc_cycles(), caught;
	/* A caught nil task is what this half looks for, not a failure. */
	(void)run_half(GC_RACY, false, cycles, &caught);
	struct gc_nil_report nil;
	gc_get_nil_report(&nil);
	if (caught)
		kprintf("demo allgs long: the reordering happened by itself after %llu cycles: "
			"nil task at index %zu in cycle %llu on cpu%d\n",
			(unsigned long long)(nil.cycle - c0), nil.index,
			(unsigned long long)nil.cycle, nil.cpu);
	else
		kprintf("demo allgs long: %llu cycles, %llu growths while marking, no nil task "
			"seen\n",
			(unsigned long long)(gc_cycles() - c0),
			(unsigned long long)gc_stress_growths());
}

/* 1. gc=racy with the injection: a marker should read a NULL task. */
static void racy_half(void)
{
	uint64_t caught;
	kprintf("\n1. gc=racy (Go 1.17) with inject=publish-early, up to %d cycles:\n",
		DEMO_CYCLES);
	/* A caught nil task is what this half shows, not a failure. */
	(void)run_half(GC_RACY, true, DEMO_CYCLES, &caught);
	struct gc_nil_report nil;
	gc_get_nil_report(&nil);
	if (caught)
		kprintf("   -> a marker read a NULL task at index %zu in cycle %llu on cpu%d.\n"
			"      Go 1.17 crashed here (a nil g in markroot); allstop, outside this "
			"demo, stops with \"fatal error: markroot: nil task at index N\".\n",
			nil.index, (unsigned long long)nil.cycle, nil.cpu);
	else
		kprintf("   -> no nil task this time (%llu growths while marking; %s)\n",
			(unsigned long long)gc_stress_growths(),
			gc_stress_growths() ? "none met a marker"
					    : "the slice did not grow: reboot and try again");
}

/* 2. gc=fixed with the same injection: never a NULL task.  Returns nonzero
 * if it failed. */
static int fixed_half(void)
{
	uint64_t caught;
	kprintf("\n2. gc=fixed (Go 1.18) with the same injection, %d cycles:\n", DEMO_CYCLES);
	int failures = run_half(GC_FIXED, true, DEMO_CYCLES, &caught);
	if (caught)
		kprintf("   -> %llu NULL tasks read in gc=fixed: the snapshot invariant is broken "
			"(a bug in allstop)\n",
			(unsigned long long)caught);
	else if (failures)
		kprintf("   -> %d failures (see the gcstress lines above)\n", failures);
	else if (!gc_stress_growths())
		kprintf("   -> no nil task, but the slice never grew while marking, so this proves "
			"nothing: reboot and try again\n");
	else
		kprintf("   -> no nil task, with %llu growths while marking: the markers only read "
			"the snapshot taken while the world was stopped, whose entries never "
			"change.\n",
			(unsigned long long)gc_stress_growths());
	return caught || failures;
}

int gc_allgs_demo(bool long_mode, unsigned long_cycles)
{
	enum gc_mode mode0 = gc_get_mode();
	bool inject0 = gc_get_inject();
	int status = 0;
	explain();
	gc_set_catch_nil(true);
	if (long_mode) {
		long_half(long_cycles);
	} else {
		racy_half();
		status = fixed_half();
	}
	gc_set_catch_nil(false);
	gc_set_mode(mode0);
	gc_set_inject(inject0);
	return status;
}
