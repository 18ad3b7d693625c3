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
 *      how the run ends (kernel/init/actions.c).
 * The boot arguments' vocabulary is kernel/init/args.c.
 */
#include "boot/boot.h"
#include "gc/gc.h"
#include "boot/mmu.h"
#include "kernel/arch/arch.h"
#include "kernel/boards/board.h"
#include "kernel/boards/bootinfo.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/init/actions.h"
#include "kernel/init/args.h"
#include "kernel/drivers/console.h"
#include "kernel/shell/input.h"
#include "kernel/arch/cpu.h"
#include "kernel/firmware/dtinfo.h"
#include "kernel/firmware/fdt.h"
#include "kernel/irq/irq.h"
#include "kernel/panic/panic.h"
#include "kernel/firmware/power.h"
#include "kernel/firmware/psci.h"
#include "kernel/mm/libc.h"
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
uint64_t boot_dtb;

/* Not roots of the collector (section .bss.noscan, see gc/internal.h): the
 * scheduler loops hold no objects, and an exception stack holds a copy of an
 * interrupted task's registers, which the collector reads from the task. */
uint8_t boot_stacks[MAX_CPUS][BOOT_STACK_SIZE] __attribute__((aligned(16), section(".bss.noscan")));
uint8_t exception_stacks[MAX_CPUS][EXCEPTION_STACK_SIZE]
    __attribute__((aligned(16), section(".bss.noscan")));

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
	unsigned mib = bootarg_number("gcheap", (unsigned)(dflt >> 20), 2, 65536);
	uint64_t heap = (uint64_t)mib << 20;
	if (heap + (4ULL << 20) > room) {
		kprintf("gc: gcheap=%u MiB does not fit (%llu MiB free): using %llu MiB\n", mib,
			(unsigned long long)(room >> 20), (unsigned long long)(room / 2 >> 20));
		heap = room / 2;
	}
	gc_init(heap);
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
	tasks_init(); /* the task system's handlers, before a panic could name a task */

	bootargs_apply();
	setup_gc();
	bootargs_apply_gc();
	unsigned maxcpus = bootarg_number("maxcpus", (unsigned)ncpus, 1, (unsigned)ncpus);
	if ((int)maxcpus < ncpus && boot_cpu_id < (int)maxcpus)
		ncpus = (int)maxcpus;
	bootargs_apply_trace(); /* buffers for the ncpus cores; trace=on starts it */

	if (entry_el == 3) {
		/* We were entered at EL3: nothing beneath us implements PSCI. */
		if (boot_info.psci != PSCI_NONE)
			kprintf("psci: entered at EL3, so there is no PSCI firmware: "
				"cores start from the holding pen\n");
		boot_info.psci = PSCI_NONE;
	}
	psci_init(boot_info.psci, boot_info.psci_cpu_on);
	print_machine();
	bootargs_apply_stw();
	/* The interrupt layer calls up only through what is registered here,
	 * before this core unmasks interrupts and before any other core starts
	 * (each core's first interrupt comes after both). */
	stw_init(); /* IPI_STOP, and the heartbeat on every interrupt */
	panic_init(); /* IPI_PANIC */
	timer_set_tick_hook(sched_tick);
	irq_register(TIMER_VIRT_PPI, timer_irq);
	if (irq_init(board_irqchip(&boot_info), &boot_info) == 0)
		kprintf("irq: %s\n", irqchip->name);
	irq_init_cpu();
	timer_start_tick(bootarg_number("tick", TICK_HZ_DEFAULT, 1, 10000));
	cpu_set_state(&cpus[boot_cpu_id], CPU_ONLINE);
	irq_enable();
	input_enable_irq(boot_info.uart_irq);

	kprintf("cpu%d: online, MPIDR %#llx, entered at EL%d (boot core)\n", boot_cpu_id,
		(unsigned long long)mpidr, entry_el);
	int online = smp_start_cpus(
	    &boot_info, bootarg_number("cpu_timeout", CPU_START_TIMEOUT_MS_DEFAULT, 1, 60000));
	kprintf("smp: %d of %d cpus online\n", online, ncpus);
	unmap_null_guard(); /* every core has left the spin table (or never will) */

	/* What run= asks for runs as the first task, on this core; then this
	 * core, like every other, becomes a scheduler. */
	if (!task_create_on(boot_cpu_id, true, "main", main_task, NULL, 64 * 1024))
		panic("cannot create the main task");
	sched_run();
}
