/*
 * main.c — the boot core's path from boot/entry.S to a running system.
 *
 *   1. MMU on with the board's early memory map (newlib needs Normal memory);
 *   2. console on the board's default UART, banner;
 *   3. device tree: x0, or wherever the board looks; a bad one is reported and
 *      the board's defaults are used instead;
 *   4. the real memory map, the boot arguments, interrupts, the tick;
 *   5. every other core started;
 *   6. the actions run= names (tests, demo, shell, bench), then exit= decides
 *      how the run ends.
 */
#include "boot/boot.h"
#include "gc/gc.h"
#include "boot/mmu.h"
#include "kernel/arch/arch.h"
#include "kernel/boards/board.h"
#include "kernel/firmware/bootinfo.h"
#include "kernel/init/bootargs.h"
#include "bootargs_default.h" /* generated: BOOTARGS_DEFAULT from make BOOTARGS= */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/firmware/dtinfo.h"
#include "kernel/firmware/fdt.h"
#include "kernel/irq/irq.h"
#include "tests/kernel/ktest.h"
#include "kernel/panic/panic.h"
#include "kernel/firmware/power.h"
#include "kernel/firmware/psci.h"
#include "kernel/shell/shell.h"
#include "kernel/mm/page.h"
#include "kernel/task/sched.h"
#include "kernel/smp/smp.h"
#include "kernel/mm/stack.h"
#include "kernel/stw/stop.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

/* Everything the kernel learned at boot; read-only after boot_main. */
struct boot_info boot_info;
struct bootargs boot_args;
uint64_t boot_dtb;

/* Not roots of the collector (section .bss.noscan, see gc/internal.h): the
 * scheduler loops hold no objects, and an exception stack holds a copy of an
 * interrupted task's registers, which the collector reads from the task. */
uint8_t boot_stacks[MAX_CPUS][BOOT_STACK_SIZE] __attribute__((aligned(16), section(".bss.noscan")));
uint8_t exception_stacks[MAX_CPUS][EXCEPTION_STACK_SIZE]
    __attribute__((aligned(16), section(".bss.noscan")));

void libc_init(uint64_t arena_size);
uintptr_t libc_arena_end(void);
int crash_run(const char *kind);
int litmus_action(const char *action); /* kernel/shell/cmd_litmus.c */

static const char *const known_keys[] = {
    "run", /* comma-separated: test, test:<suite>[+<suite>], demo, gcstress, allgs, shell, bench,
	      crash:<panic|abort|undef|null|double|stw-watchdog|stw-slow> */
    "exit", /* psci (default) | semihost | halt */
    "tick", /* timer tick in Hz */
    "cpu_timeout", /* ms to wait for each secondary core */
    "maxcpus", /* start at most this many cores */
    "stw_watchdog", /* ms a stop-the-world waits for a core before it warns */
    "stw_panic", /* ms a stop-the-world waits for a core before it panics */
    "gc", /* fixed (default) | racy */
    "inject", /* publish-early | none */
    "gcverify", /* 1: verify every mark, poison freed memory */
    "gcheap", /* MiB for the collector's heap */
    "cycles", /* run=gcstress: how many cycles */
    "litmus", /* the litmus runner's default options, e.g. "-s 500 -r 100" */
    "host", /* the machine QEMU runs on (uname -m), for the litmus log's header */
    NULL,
};

static void args_warn(const char *msg)
{
	kprintf("%s\n", msg);
}

static void apply_bootargs(void)
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

static unsigned arg_number(const char *key, unsigned dflt, unsigned min, unsigned max)
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
static void apply_stw_args(void)
{
	unsigned warn = arg_number("stw_watchdog", STW_WATCHDOG_MS_DEFAULT, 1, 600000);
	unsigned dflt = warn > STW_PANIC_MS_DEFAULT ? warn : STW_PANIC_MS_DEFAULT;
	unsigned limit = arg_number("stw_panic", dflt, 1, 600000);
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

/* Find the boot core in the device tree's list, so logical ids match it. */
static int find_boot_cpu(uint64_t mpidr)
{
	for (int i = 0; i < boot_info.ncpus; i++)
		if ((boot_info.cpu_mpidr[i] & MPIDR_AFF_MASK) == mpidr)
			return i;
	kprintf("smp: the boot core (MPIDR %#llx) is not in the device tree's /cpus: "
		"running on it alone\n",
		(unsigned long long)mpidr);
	boot_info.ncpus = 1;
	boot_info.cpu_mpidr[0] = mpidr;
	return 0;
}

static void print_machine(void)
{
	uint64_t ram = dtinfo_ram_size(&boot_info);
	kprintf("machine: %s%s%s\n", board.name, boot_info.model[0] ? ", " : "", boot_info.model);
	kprintf("ram: %llu MiB", (unsigned long long)(ram >> 20));
	for (int i = 0; i < boot_info.nmem; i++)
		kprintf("%s[%#llx, %#llx)", i ? " " : " at ",
			(unsigned long long)boot_info.mem[i].base,
			(unsigned long long)(boot_info.mem[i].base + boot_info.mem[i].size));
	kprintf("\n");
	kprintf("timer: %llu Hz, tick %u Hz\n", (unsigned long long)timer_freq(), timer_tick_hz());
	kprintf("psci: %s\n", boot_info.psci == PSCI_HVC   ? "hvc"
			      : boot_info.psci == PSCI_SMC ? "smc"
							   : "none");
}

static int run_tests(const char *suites)
{
	int ran = 0;
	int failed = ktest_run(suites, &ran);
	if (ran == 0) {
		kprintf("run: no test ran: count as a failure\n");
		return 1;
	}
	return failed ? 1 : 0;
}

/* Run each action in run=, in order.  Returns the exit status. */
static int run_actions(const char *run)
{
	int status = 0;
	char buf[BOOTARGS_VAL_MAX];
	strncpy(buf, run, sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';

	for (char *p = buf; p && *p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (strcmp(p, "test") == 0)
			status |= run_tests(NULL);
		else if (strncmp(p, "test:", 5) == 0)
			status |= run_tests(p + 5);
		else if (strcmp(p, "demo") == 0)
			demo_run();
		else if (strcmp(p, "gcstress") == 0)
			status |= gc_stress(arg_number("cycles", 200, 1, 10000000), false);
		else if (strcmp(p, "allgs") == 0)
			status |= gc_allgs_demo(false, 0);
		else if (strcmp(p, "bench") == 0)
			status |= bench_run();
		else if (strncmp(p, "crash:", 6) == 0)
			status |= crash_run(p + 6);
		else if (strcmp(p, "litmus") == 0 || strncmp(p, "litmus:", 7) == 0 ||
			 strcmp(p, "litmus-bench") == 0)
			status |= litmus_action(p);
		else if (strcmp(p, "shell") == 0)
			shell_run(); /* returns only on "exit" */
		else {
			kprintf("run: unknown action '%s' (expected test, test:<suite>, demo, "
				"gcstress, allgs, bench, shell, crash:<kind>, litmus[:PATH] or "
				"litmus-bench)\n",
				p);
			status |= 1;
		}
		p = comma ? comma + 1 : NULL;
	}
	return status;
}

static int64_t main_task(void *arg)
{
	(void)arg;
	gc_start();
	const char *run = bootargs_get(&boot_args, "run");
	int status = run_actions(run ? run : "demo,shell");
	kprintf("allstop: run finished with status %d\n", status);
	system_exit(status);
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Carve RAM: newlib's heap after the kernel, then the page allocator over
 * the rest, then the task-stack region from it. */
static void setup_memory(void)
{
	uint64_t ram = dtinfo_ram_size(&boot_info);
	libc_init(clamp(ram / 16, 8ULL << 20, 64ULL << 20));
	page_init(&boot_info, libc_arena_end());
	if (stack_init(clamp(ram / 8, 8ULL << 20, 128ULL << 20)) != 0)
		panic("no memory for task stacks (%llu MiB of RAM)",
		      (unsigned long long)(ram >> 20));
}

/* The collector's heap, from what is left (after the boot arguments: gcheap=). */
static void setup_gc(void)
{
	uint64_t ram = dtinfo_ram_size(&boot_info);
	uint64_t room = page_largest_free();
	uint64_t dflt = clamp(ram / 4, 4ULL << 20, 512ULL << 20);
	unsigned mib = arg_number("gcheap", (unsigned)(dflt >> 20), 2, 65536);
	uint64_t heap = (uint64_t)mib << 20;
	if (heap + (4ULL << 20) > room) {
		kprintf("gc: gcheap=%u MiB does not fit (%llu MiB free): using %llu MiB\n", mib,
			(unsigned long long)(room >> 20), (unsigned long long)(room / 2 >> 20));
		heap = room / 2;
	}
	gc_init(heap);
}

/* The collector's boot arguments. */
static void apply_gc_args(void)
{
	const char *m = bootargs_get(&boot_args, "gc");
	if (m && strcmp(m, "racy") == 0)
		gc_set_mode(GC_RACY);
	else if (m && strcmp(m, "fixed") != 0)
		kprintf("bootargs: gc=%s: expected fixed or racy; using fixed\n", m);
	const char *inj = bootargs_get(&boot_args, "inject");
	if (inj && strcmp(inj, "publish-early") == 0)
		gc_set_inject(true);
	else if (inj && strcmp(inj, "none") != 0)
		kprintf("bootargs: inject=%s: expected publish-early or none; using none\n", inj);
	if (arg_number("gcverify", 0, 0, 1))
		gc_set_verify(true);
}

/*
 * Unmap [0, NULL_GUARD_SIZE), so that a NULL dereference is a data abort.
 * Called once the secondary cores are started: on the Pi the spin table they
 * were released from lies there (0xd8-0xf0).  Old Pi firmware also loads the
 * device tree at 0x100: it is copied out first (boot_dtb stays readable).
 */
static void unmap_null_guard(void)
{
	struct fdt f;
	if (boot_dtb && boot_dtb < NULL_GUARD_SIZE &&
	    fdt_open(&f, (const void *)(uintptr_t)boot_dtb, BOOTINFO_DTB_MAX) == 0) {
		void *copy = malloc(f.size);
		if (copy)
			memcpy(copy, (const void *)(uintptr_t)boot_dtb, f.size);
		kprintf("mmu: the device tree at %#llx is in low memory: %s\n",
			(unsigned long long)boot_dtb, copy ? "copied out" : "no memory to copy it");
		boot_dtb = (uint64_t)(uintptr_t)copy;
	}
	if (mmu_unmap_low(NULL_GUARD_SIZE) != 0)
		kprintf("mmu: cannot unmap [0, %#llx): a NULL dereference will not fault\n",
			(unsigned long long)NULL_GUARD_SIZE);
}

void boot_main(uint64_t dtb, int entry_el)
{
	static struct boot_info early;
	board.early_map(&early);
	mmu_init(&early);
	libc_init(0);

	board.defaults(&boot_info);
	if (board.uart_pins)
		board.uart_pins();
	console_init(boot_info.uart, board.uart_clock_hz);
	kprintf("\nallstop: booting on %s, boot core entered at EL%d, device tree at %#llx\n",
		board.name, entry_el, (unsigned long long)dtb);

	if (!dtb && board.find_dtb)
		dtb = board.find_dtb();
	if (bootinfo_read(dtb, BOOTINFO_DTB_MAX, &boot_info) == 0)
		boot_dtb = dtb;
	mmu_init(&boot_info);
	if (boot_info.uart && boot_info.uart != console_uart())
		console_init(boot_info.uart, board.uart_clock_hz);
	setup_memory();

	uint64_t mpidr = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	boot_cpu_id = find_boot_cpu(mpidr);
	ncpus = boot_info.ncpus < MAX_CPUS ? boot_info.ncpus : MAX_CPUS;
	if (boot_info.ncpus > MAX_CPUS || boot_info.cpus_ignored)
		kprintf("smp: the device tree lists %d cpus; allstop handles %d\n",
			boot_info.ncpus + boot_info.cpus_ignored, MAX_CPUS);
	cpu_init_self(boot_cpu_id, mpidr, entry_el);
	cpus[boot_cpu_id].doing = "booting";

	apply_bootargs();
	setup_gc();
	apply_gc_args();
	unsigned maxcpus = arg_number("maxcpus", (unsigned)ncpus, 1, (unsigned)ncpus);
	if ((int)maxcpus < ncpus && boot_cpu_id < (int)maxcpus)
		ncpus = (int)maxcpus;

	if (entry_el == 3) {
		/* We were entered at EL3: nothing beneath us implements PSCI. */
		if (boot_info.psci != PSCI_NONE)
			kprintf("psci: entered at EL3, so there is no PSCI firmware: "
				"cores start from the holding pen\n");
		boot_info.psci = PSCI_NONE;
	}
	psci_init(boot_info.psci, boot_info.psci_cpu_on);
	print_machine();
	apply_stw_args();
	if (irq_init(&boot_info) == 0)
		kprintf("irq: %s\n", irqchip->name);
	irq_init_cpu();
	timer_start_tick(arg_number("tick", TICK_HZ_DEFAULT, 1, 10000));
	cpu_set_state(&cpus[boot_cpu_id], CPU_ONLINE);
	irq_enable();
	console_enable_rx_irq(boot_info.uart_irq);

	kprintf("cpu%d: online, MPIDR %#llx, entered at EL%d (boot core)\n", boot_cpu_id,
		(unsigned long long)mpidr, entry_el);
	int online = smp_start_cpus(
	    &boot_info, arg_number("cpu_timeout", CPU_START_TIMEOUT_MS_DEFAULT, 1, 60000));
	kprintf("smp: %d of %d cpus online\n", online, ncpus);
	unmap_null_guard(); /* every core has left the spin table (or never will) */

	/* What run= asks for runs as the first task, on this core; then this
	 * core, like every other, becomes a scheduler. */
	if (!task_create_on(boot_cpu_id, true, "main", main_task, NULL, 64 * 1024))
		panic("cannot create the main task");
	sched_run();
}
