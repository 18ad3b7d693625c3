/*
 * smp.c — secondary start-up and smp_call.  (The table of cores is
 * kernel/arch/cpu.c.)  (The idle loop is the
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

static const struct idle_work posted_calls; /* smp_call's, below */

int smp_start_cpus(const struct boot_info *bi, unsigned timeout_ms)
{
	/* before any core (the boot core included) enters its idle loop */
	sched_set_idle_work(&posted_calls);
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

/* One function posted to a core by smp_call, run by that core's idle loop. */
struct call_slot {
	void (*fn)(void *);
	void *arg;
	int pending; /* 1 posted, 0 done; release/acquire pair with the poster */
} __attribute__((aligned(64)));
static struct call_slot calls[MAX_CPUS];

static bool call_pending(void)
{
	/* relaxed: only a hint for the idle loop; run_posted_call re-reads it
	 * with acquire */
	return __atomic_load_n(&calls[cpu_id()].pending, __ATOMIC_RELAXED);
}

static void run_posted_call(void)
{
	struct cpu *c = this_cpu();
	struct call_slot *s = &calls[c->id];
	/* acquire: pairs with the release in smp_call, so fn/arg are current */
	if (!__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE))
		return;
	c->doing = "smp_call";
	s->fn(s->arg);
	c->doing = "idle";
	/* release: fn's effects are visible to whoever sees the call finished */
	__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
}

static const struct idle_work posted_calls = {call_pending, run_posted_call};

bool smp_call(int cpu, void (*fn)(void *), void *arg)
{
	if (cpu < 0 || cpu >= ncpus || cpu_state(&cpus[cpu]) != CPU_ONLINE)
		return false;
	if (cpu == cpu_id()) {
		fn(arg);
		return true;
	}
	struct call_slot *s = &calls[cpu];
	/* acquire: a previous call on that core has finished with fn/arg */
	if (__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE))
		return false;
	s->fn = fn;
	s->arg = arg;
	/* release: fn and arg are visible before the core sees the call pending */
	__atomic_store_n(&s->pending, 1, __ATOMIC_RELEASE);
	ipi_send(cpu, IPI_CALL);
	return true;
}

bool smp_call_wait(int cpu, uint64_t timeout_ns)
{
	uint64_t deadline = timer_ns() + timeout_ns;
	/* acquire: what fn wrote is visible once we see it done */
	while (__atomic_load_n(&calls[cpu].pending, __ATOMIC_ACQUIRE)) {
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
