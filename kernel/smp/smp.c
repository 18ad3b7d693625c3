/*
 * smp.c — secondary start-up and smp_call.  (The idle loop is the
 * scheduler's: kernel/task/sched.c.)
 *
 * Start-up: the boot core asks firmware to start each core (PSCI CPU_ON, or
 * a spin-table write for boards that use one), then waits for each to mark
 * itself CPU_ONLINE.  The new core arrives in boot/entry.S, joins the MMU
 * and calls secondary_main() below.
 */
#include "kernel/smp/smp.h"
#include "boot/boot.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/irq/irq.h"
#include "kernel/firmware/psci.h"
#include "kernel/task/sched.h"
#include "kernel/arch/timer.h"

struct cpu cpus[MAX_CPUS];
int ncpus = 1;
int boot_cpu_id;

void cpu_init_self(int id, uint64_t mpidr, int entry_el)
{
	struct cpu *c = &cpus[id];
	c->id = id;
	c->mpidr = mpidr;
	c->entry_el = entry_el;
	_REENT_INIT_PTR(&c->reent);
	write_sysreg(tpidr_el1, c);
	isb(); /* this_cpu() sees the new TPIDR from here on */
}

int cpus_online(void)
{
	int n = 0;
	for_each_online_cpu(c) n++;
	return n;
}

uint64_t cpus_online_mask(void)
{
	uint64_t m = 0;
	for_each_online_cpu(c) m |= 1ULL << c->id;
	return m;
}

void secondary_main(int id, int entry_el)
{
	cpu_init_self(id, read_sysreg(mpidr_el1) & MPIDR_AFF_MASK, entry_el);
	irq_init_cpu();
	timer_start_tick(0);
	cpu_set_state(&cpus[id], CPU_ONLINE); /* release: our set-up happens-before */
	kprintf("cpu%d: online, MPIDR %#llx, entered at EL%d\n", id,
		(unsigned long long)cpus[id].mpidr, entry_el);
	sched_run();
}

static int64_t start_one(const struct boot_info *bi, int id)
{
	if (cpus[boot_cpu_id].entry_el == 3) {
		/* No firmware beneath us: the core is in our own holding pen
		 * (boot/entry.S), waiting on the slot of its Aff0. */
		uint64_t aff0 = bi->cpu_mpidr[id] & 0xff;
		if ((bi->cpu_mpidr[id] & MPIDR_AFF_MASK) != aff0 || aff0 != (uint64_t)id)
			return PSCI_NOT_SUPPORTED; /* only the simple numbering is penned */
		pen_release[aff0] = 1;
		dcache_clean_range((const void *)&pen_release[aff0], 8); /* ends with dsb sy */
		sev(); /* wake the pen's wfe */
		return PSCI_SUCCESS;
	}
	switch (bi->cpu_enable[id]) {
	case CPU_ENABLE_PSCI:
		if (!psci_available())
			return PSCI_NOT_SUPPORTED;
		return psci_cpu_on(bi->cpu_mpidr[id], (uint64_t)(uintptr_t)secondary_entry,
				   (uint64_t)id);
	case CPU_ENABLE_SPIN_TABLE: {
		/* Write our entry into the core's slot, push it out of our cache (the
		 * waiting core has its MMU and caches off), then wake it. */
		volatile uint64_t *slot = (volatile uint64_t *)(uintptr_t)bi->cpu_release_addr[id];
		*slot = (uint64_t)(uintptr_t)spin_table_entry;
		dcache_clean_range((const void *)slot, sizeof *slot); /* ends with dsb sy */
		sev(); /* the core waits in wfe: the event wakes it to read the slot */
		return PSCI_SUCCESS;
	}
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

int smp_start_cpus(const struct boot_info *bi, unsigned timeout_ms)
{
	for (int i = 0; i < ncpus; i++) {
		if (i == boot_cpu_id)
			continue;
		cpus[i].id = i;
		cpus[i].mpidr = bi->cpu_mpidr[i];
		cpu_set_state(&cpus[i], CPU_STARTING);
		int64_t err = start_one(bi, i);
		if (err != PSCI_SUCCESS) {
			cpus[i].start_error = err;
			cpu_set_state(&cpus[i], CPU_FAILED);
			kprintf("smp: cpu%d (MPIDR %#llx) not started: %s returned %s (%lld)\n", i,
				(unsigned long long)bi->cpu_mpidr[i],
				bi->cpu_enable[i] == CPU_ENABLE_PSCI ? "PSCI CPU_ON" : "start",
				psci_strerror(err), (long long)err);
		}
	}
	/* Wait for them all together: the timeout is per boot, not per core. */
	uint64_t deadline = timer_ns() + (uint64_t)timeout_ms * 1000000ULL;
	for (int i = 0; i < ncpus; i++) {
		while (cpu_state(&cpus[i]) == CPU_STARTING && timer_ns() < deadline)
			cpu_relax();
		if (cpu_state(&cpus[i]) == CPU_STARTING) {
			cpus[i].start_error = PSCI_SUCCESS;
			cpu_set_state(&cpus[i], CPU_FAILED);
			kprintf("smp: cpu%d (MPIDR %#llx) did not come online within %u ms "
				"(its start request returned SUCCESS)\n",
				i, (unsigned long long)bi->cpu_mpidr[i], timeout_ms);
		}
	}
	return cpus_online();
}

bool smp_call(int cpu, void (*fn)(void *), void *arg)
{
	if (cpu < 0 || cpu >= ncpus || cpu_state(&cpus[cpu]) != CPU_ONLINE)
		return false;
	struct cpu *c = &cpus[cpu];
	if (c == this_cpu()) {
		fn(arg);
		return true;
	}
	/* acquire: a previous call on that core has finished with fn/arg */
	if (__atomic_load_n(&c->call_pending, __ATOMIC_ACQUIRE))
		return false;
	c->call_fn = fn;
	c->call_arg = arg;
	/* release: fn and arg are visible before the core sees the call pending */
	__atomic_store_n(&c->call_pending, 1, __ATOMIC_RELEASE);
	ipi_send(cpu, IPI_CALL);
	return true;
}

bool smp_call_wait(int cpu, uint64_t timeout_ns)
{
	uint64_t deadline = timer_ns() + timeout_ns;
	/* acquire: what fn wrote is visible once we see it done */
	while (__atomic_load_n(&cpus[cpu].call_pending, __ATOMIC_ACQUIRE)) {
		if (timer_ns() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

bool smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_ns)
{
	bool ok = true;
	int me = cpu_id();
	for_each_online_cpu(c) if (c->id != me) ok &= smp_call(c->id, fn, arg);
	fn(arg);
	for_each_online_cpu(c) if (c->id != me) ok &= smp_call_wait(c->id, timeout_ns);
	return ok;
}
