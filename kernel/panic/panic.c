/*
 * panic.c — stop everything and say why.
 *
 * The first core to panic owns the report: it stops every other core with
 * IPI_PANIC (each saves its interrupted frame and halts), waits a bounded time
 * for them, and prints one report.  A second core that panics meanwhile does
 * not print: it leaves its reason for the owner and halts, so two cores
 * panicking at once still give one coherent report.
 */
#include "kernel/panic/panic.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/irq/irq.h"
#include "kernel/firmware/power.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"

#include <stdarg.h>

#define PANIC_EXIT_STATUS 3
#define HALT_WAIT_NS	  100000000ULL /* 100 ms for the other cores to stop */

static int panic_owner = -1;
static char panic_msg[MAX_CPUS][160];
static const char *also_panicked[MAX_CPUS];
static struct trap_frame *halted_frame[MAX_CPUS];

static int my_id(void)
{
	struct cpu *c = (struct cpu *)read_sysreg(tpidr_el1);
	return c ? c->id : boot_cpu_id;
}

int panic_in_progress(void)
{
	/* relaxed: a hint for callers that want to stay quiet during a panic */
	return __atomic_load_n(&panic_owner, __ATOMIC_RELAXED) >= 0;
}

void panic(const char *fmt, ...)
{
	irq_disable();
	int id = my_id();
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(panic_msg[id], sizeof panic_msg[id], fmt, ap);
	va_end(ap);
	/* Trap, so that die() gets this core's registers in a frame. */
	__asm__ volatile("brk %0" ::"i"(PANIC_BRK_IMM) : "memory");
	cpu_halt();
}

static void __attribute__((noreturn)) halt_here(struct trap_frame *tf)
{
	int id = my_id();
	halted_frame[id] = tf;
	/* release: our frame and reason are visible to the reporter once it sees
	 * us halted */
	cpu_set_state(&cpus[id], CPU_HALTED);
	cpu_halt();
}

void panic_park(struct trap_frame *tf)
{
	halt_here(tf);
}

void panic_init(void)
{
	ipi_register(IPI_PANIC, panic_park); /* the interrupt layer calls us only so */
}

static void dump_frame(const struct trap_frame *tf)
{
	for (int i = 0; i < 30; i += 3)
		kprintf("  x%-2d %016llx  x%-2d %016llx  x%-2d %016llx\n", i,
			(unsigned long long)tf->x[i], i + 1, (unsigned long long)tf->x[i + 1],
			i + 2, (unsigned long long)tf->x[i + 2]);
	kprintf("  x30 %016llx  sp  %016llx\n", (unsigned long long)tf->x[30],
		(unsigned long long)tf->sp);
}

static void wait_for_others(void)
{
	uint64_t deadline = timer_ns() + HALT_WAIT_NS;
	for (int i = 0; i < ncpus; i++) {
		if (i == my_id())
			continue;
		while (cpu_state(&cpus[i]) == CPU_ONLINE && timer_ns() < deadline)
			cpu_relax();
	}
}

static void (*describe_task)(const struct task *t, bool with_stack, char *buf, size_t n);

void panic_set_task_describer(void (*describe)(const struct task *t, bool with_stack, char *buf,
					       size_t n))
{
	/* release: pairs with the acquire in task_words */
	__atomic_store_n(&describe_task, describe, __ATOMIC_RELEASE);
}

/* "3 'name'" for a task, by the task system's describer. */
static const char *task_words(const struct task *t, bool with_stack, char *buf, size_t n)
{
	/* acquire: the task system was set up before it registered */
	void (*describe)(const struct task *, bool, char *, size_t) =
	    __atomic_load_n(&describe_task, __ATOMIC_ACQUIRE);
	if (describe)
		describe(t, with_stack, buf, n);
	else
		ksnprintf(buf, n, "at %p", (const void *)t);
	return buf;
}

/*
 * Win the right to report, or leave our reason for the core that did and
 * halt.  Returns only to the winner, with every other core asked to stop.
 */
static void win_the_report(struct trap_frame *tf, const char *why)
{
	int id = my_id();
	int expected = -1;
	/* acq_rel: exactly one core wins the right to report; the others' reasons
	 * (written before they halt) are read after they are seen halted */
	if (!__atomic_compare_exchange_n(&panic_owner, &expected, id, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		also_panicked[id] = why;
		halt_here(tf);
	}

	console_panic_mode();
	dsb(ish); /* panic_owner is visible before the event below */
	/* Cores parked by a stop-the-world wait in wfi: the IPI below reaches
	 * them.  The event is for a core still in a wfe loop (a boot pen). */
	sev();
	if (irqchip)
		ipi_send_others(IPI_PANIC);
	wait_for_others();
}

/* This core: why, the exception registers, the task, the general registers. */
static void print_this_core(int id, struct trap_frame *tf, const char *reason, const char *why)
{
	struct cpu *c = &cpus[id];
	char esr[160], task[96];
	esr_describe(tf->esr, esr, sizeof esr);
	kprintf("\n======== PANIC on cpu%d ========\n", id);
	kprintf("%s%s\n", reason ? "exception: " : "panic: ", why);
	kprintf("ESR  %016llx  %s\n", (unsigned long long)tf->esr, esr);
	kprintf("FAR  %016llx  ELR %016llx  SPSR %016llx\n", (unsigned long long)tf->far,
		(unsigned long long)tf->elr, (unsigned long long)tf->spsr);
	if (c->current)
		kprintf("cpu%d MPIDR %#llx, task: %s\n", id, (unsigned long long)c->mpidr,
			task_words(c->current, true, task, sizeof task));
	else
		kprintf("cpu%d MPIDR %#llx, task: none (cpu was %s)\n", id,
			(unsigned long long)c->mpidr, c->doing ? c->doing : "booting");
	dump_frame(tf);
}

/* Every other core: where it stopped, or that it did not. */
static void print_other_cores(int id)
{
	char task[96];
	for (int i = 0; i < ncpus; i++) {
		if (i == id)
			continue;
		int st = cpu_state(&cpus[i]);
		uint64_t elr = halted_frame[i] ? halted_frame[i]->elr : 0;
		if (also_panicked[i])
			kprintf("cpu%d: also panicked: %s (ELR %#llx)\n", i, also_panicked[i],
				(unsigned long long)elr);
		else if (st == CPU_HALTED && cpus[i].current)
			kprintf("cpu%d: stopped at ELR %#llx in task %s\n", i,
				(unsigned long long)elr,
				task_words(cpus[i].current, false, task, sizeof task));
		else if (st == CPU_HALTED)
			kprintf("cpu%d: stopped at ELR %#llx (was %s)\n", i,
				(unsigned long long)elr, cpus[i].doing ? cpus[i].doing : "?");
		else if (st == CPU_ONLINE)
			kprintf("cpu%d: did not answer the panic IPI within 100 ms (was %s)\n", i,
				cpus[i].doing ? cpus[i].doing : "?");
	}
}

void die(struct trap_frame *tf, const char *reason)
{
	irq_disable();
	int id = my_id();
	const char *why = reason ? reason : panic_msg[id];
	win_the_report(tf, why);
	print_this_core(id, tf, reason, why);
	print_other_cores(id);
	kprintf("hint: addr2line -e build/<board>/kernel.elf %#llx\n", (unsigned long long)tf->elr);
	kprintf("======== end of panic report ========\n");
	cpu_set_state(&cpus[id], CPU_HALTED);
	if (power_exit_mode() == EXIT_SEMIHOST)
		semihost_exit(PANIC_EXIT_STATUS);
	kprintf("system halted.\n");
	cpu_halt();
}
