/*
 * stop.c — the all-cores stop.
 *
 * A collector needs a moment when nothing else runs: no task on any other
 * core may touch the heap or the task slice.  allstop gets it the most direct
 * way a kernel can: it interrupts every other core with an IPI, and each one
 * parks in its interrupt handler until it is released.
 *
 * Shared state:
 *   owner     -1, or the core that is stopping the world
 *   gen       the generation of the current (or last) stop
 *   acks      how many cores are parked right now
 *   released  the last generation that was released
 *
 * Phases, on the requesting core R (a task, interrupts enabled):
 *   1. claim: CAS owner from -1 to R.  A loser spins with interrupts ENABLED
 *      until owner is -1 again, then retries: while it spins it still takes
 *      the winner's IPI_STOP and parks like any other core.  (A loser that
 *      spun with interrupts masked would never park, and the winner would
 *      wait for it for ever: tests/model shows spin finding that deadlock.)
 *   2. request: gen = gen + 1 (store-release), then one SGI to every other
 *      online core.  The SGI is sent after a DSB (see the irqchips), so a
 *      core that takes it sees the new gen.
 *   3. wait: until acks == cores - 1 (load-acquire), with a watchdog (in
 *      wfi; the count is checked again right after each wfi, interrupts
 *      still masked, so the owner sees the last core's wake before it takes
 *      that interrupt, and its trace event is the wake's receipt).  Each
 *      parked core published its saved frame before its increment (release),
 *      so once we see the count we can read every frame.
 *      The watchdog has two thresholds.  After stw_watchdog ms it warns,
 *      naming every core that has not parked, what it was doing, and the PC
 *      of its last heartbeat (every interrupt records the interrupted PC and
 *      the time: a core spinning with interrupts masked takes none, so "last
 *      seen N ms ago" is when it was last interruptible), and keeps waiting,
 *      warning again at 2, 4, 8... times stw_watchdog.  After stw_panic ms it
 *      panics with the same diagnosis.  Under QEMU a vCPU the host does not
 *      schedule is slow, not hung: the first threshold is for people, the
 *      second for real hangs.
 *   -- the world is stopped: the caller does its work --
 *   4. release: released = gen (store-release), then IPI_WAKE to every
 *      parked core (after a DSB): they wait in WFI, and a pending interrupt
 *      ends a WFI even with interrupts masked.  (The IPI_STOP itself was
 *      ended before its handler ran, so the CPU interface signals the wake.)
 *   5. wait until acks == 0: every core has left its handler, so the next
 *      stop cannot be confused with this one.  Then owner = -1 (release).
 *
 * On every other core, the IPI_STOP handler (interrupts masked throughout):
 *   read gen (acquire); save the frame; acks += 1 (release);
 *   WFI until released == gen (acquire), with its tick held off (a due tick
 *   would end every WFI and make the core spin: timer.c); acks -= 1
 *   (release); return.
 *
 * Invariants (checked by the Promela model in tests/model/, and by the
 * tests in tests/kernel/test_stop.c):
 *   - at most one owner at a time;
 *   - between 3 and 4, every other online core is in its handler: no task
 *     code runs anywhere but on R;
 *   - 4 happens only after all acknowledgements;
 *   - no deadlock: two requesters, idle cores (the IPI ends their WFI), busy
 *     cores (it interrupts them), cores in a critical section (the IPI waits
 *     until they unmask, so the stop waits too: a watchdog bounds it).
 *
 * Latency (request -> all parked) and pause (request -> released) of every
 * stop go to stats.c, which keeps the last ones for `stw` and `stw bench`.
 */
#include "kernel/stw/stop.h"
#include "kernel/task/task.h" /* a late core's task, by name */
#include "kernel/stw/stats.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "kernel/irq/irq.h"
#include "kernel/panic/panic.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/trace/trace.h"

static int owner = -1;
static uint64_t gen;
static int acks;
static uint64_t released;
static struct trap_frame *frames[MAX_CPUS];
static uint64_t parked_gen[MAX_CPUS]; /* for the watchdog's diagnosis */
static uint64_t park_wakeups[MAX_CPUS]; /* times each core's wfi ended while parked */
static uint64_t warn_ns = STW_WATCHDOG_MS_DEFAULT * 1000000ULL; /* set at boot */
static uint64_t panic_ns = STW_PANIC_MS_DEFAULT * 1000000ULL; /* set at boot */
static int expected_acks; /* written by the owner before gen's release */

/*
 * Heartbeats: where each core was when it last took an interrupt, and when.
 * One writer (the core itself, in its interrupt handler: no nesting), any
 * reader (the watchdog), so a sequence count makes the pair consistent: odd
 * while it is being written, and a reader that sees it change reads again.
 * Each on its own cache line: it is written on every interrupt.
 */
struct heartbeat {
	uint32_t seq; /* even: pc and ticks are a pair */
	uint64_t pc; /* the interrupted ELR */
	uint64_t ticks; /* timer_count() at the interrupt; 0: never */
} __attribute__((aligned(64)));
static struct heartbeat heartbeats[MAX_CPUS];

/* The current stop's times, written only by its owner. */
static uint64_t t_request, t_parked;

void stw_set_watchdog_ms(unsigned warn_ms, unsigned panic_ms)
{
	/* at boot, before any other core runs: plain stores */
	warn_ns = (uint64_t)warn_ms * 1000000ULL;
	panic_ns = (uint64_t)(panic_ms < warn_ms ? warn_ms : panic_ms) * 1000000ULL;
}

void stw_init(void)
{
	/* The interrupt layer below calls us only through what we register:
	 * the IPI_STOP handler and the heartbeat on every interrupt entry. */
	ipi_register_receipt(IPI_STOP, stw_park); /* the park is the receipt */
	irq_set_entry_hook(stw_heartbeat);
}

void stw_heartbeat(uint64_t pc)
{
	struct heartbeat *h = &heartbeats[cpu_id()];
	uint32_t s = __atomic_load_n(&h->seq, __ATOMIC_RELAXED); /* only this core writes it */
	__atomic_store_n(&h->seq, s + 1, __ATOMIC_RELAXED); /* odd: being written */
	/* release fence: the odd count is visible before the new pc and ticks
	 * (a reader that sees either of them then sees the count changed) */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&h->pc, pc, __ATOMIC_RELAXED); /* ordered by the fence above */
	__atomic_store_n(&h->ticks, timer_count(), __ATOMIC_RELAXED); /* and the release below */
	/* release: pc and ticks are visible before the even count */
	__atomic_store_n(&h->seq, s + 2, __ATOMIC_RELEASE);
}

/* A consistent copy of core i's heartbeat (a few tries; a silent core does
 * not write it, so the first try almost always succeeds). */
static void read_heartbeat(int i, uint64_t *pc, uint64_t *ticks)
{
	struct heartbeat *h = &heartbeats[i];
	for (int try = 0; try < 100; try++) {
		/* acquire: pairs with the writer's release of the even count, so
		 * the pc and ticks read below are at least that new */
		uint32_t s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		*pc = __atomic_load_n(&h->pc, __ATOMIC_RELAXED); /* checked by the count */
		*ticks = __atomic_load_n(&h->ticks, __ATOMIC_RELAXED); /* likewise */
		/* acquire fence: the pc and ticks are read before the count is read
		 * again (pairs with the writer's release fence) */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint32_t s2 = __atomic_load_n(&h->seq, __ATOMIC_RELAXED); /* ordered by the fence */
		if (s1 == s2 && !(s1 & 1))
			return;
		cpu_relax();
	}
}

bool stw_stopped(void)
{
	/* acquire: pairs with the owner's release of owner = -1 */
	return __atomic_load_n(&owner, __ATOMIC_ACQUIRE) >= 0;
}

uint64_t stw_park_wakeups(int cpu)
{
	/* relaxed: a statistic (one writer, the core itself) */
	return cpu >= 0 && cpu < MAX_CPUS ? __atomic_load_n(&park_wakeups[cpu], __ATOMIC_RELAXED)
					  : 0;
}

struct trap_frame *stw_frame(int cpu)
{
	/* acquire: redundant, kept for callers outside the stop.  What orders
	 * the frame for the owner is its acquire load of acks (stop_the_world),
	 * which read every parked core's release increment; each core stored
	 * frames[id] (relaxed) and its trap frame before that increment. */
	return cpu >= 0 && cpu < MAX_CPUS ? __atomic_load_n(&frames[cpu], __ATOMIC_ACQUIRE) : NULL;
}

/*
 * The owner's waits.  Spinning would be fastest on real cores, but under QEMU
 * a spinning vCPU takes a host CPU away from the very cores it waits for
 * (measured: a median stop of 120 us but a p99 of 8 ms with 4 vCPUs on 2 host
 * cores).  So the owner sleeps in wfi, and the core whose count completes the
 * condition sends it an IPI_WAKE.  Interrupts are masked between the check
 * and the wfi, so a wake-up arriving in between still ends the wfi.
 *
 * Returns true once the count has reached its target, with interrupts still
 * masked: the caller records the moment (its trace event is the receipt of
 * that IPI_WAKE, whose interrupt comes when the caller unmasks) and then
 * unmasks.  Returns false, interrupts enabled, after a wfi that ended
 * without it (a tick, or another interrupt, taken on the way out).
 */
static bool reached(int v, int target, bool up)
{
	return up ? v >= target : v == target;
}

static bool wait_for_event_or_tick(int *count, int target, bool up)
{
	irq_disable();
	/* acquire: as in the callers' loops */
	if (reached(__atomic_load_n(count, __ATOMIC_ACQUIRE), target, up))
		return true;
	wfi();
	/* acquire: likewise, after the wfi (the wake's sender counted first) */
	if (reached(__atomic_load_n(count, __ATOMIC_ACQUIRE), target, up))
		return true;
	irq_enable();
	return false;
}

static void claim(int me)
{
	for (;;) {
		int expected = -1;
		/* acquire: the previous owner's stop (and its start) happened before */
		if (__atomic_compare_exchange_n(&owner, &expected, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (expected == me)
			panic("stop_the_world does not nest (cpu%d already owns the stop)", me);
		/* Lost: wait with interrupts on, so the winner's IPI parks us. */
		while (__atomic_load_n(&owner, __ATOMIC_RELAXED) >= 0) /* re-checked by the CAS */
			cpu_relax();
	}
}

static uint64_t others_mask(int me, int *n)
{
	uint64_t mask = 0;
	*n = 0;
	for_each_online_cpu(c) if (c->id != me)
	{
		mask |= 1ULL << c->id;
		(*n)++;
	}
	return mask;
}

static unsigned long long ms(uint64_t ns)
{
	return (unsigned long long)(ns / 1000000);
}

/* Has core i parked for stop g? */
static bool parked_for(int i, uint64_t g)
{
	/* acquire: pairs with the handler's release of parked_gen */
	return __atomic_load_n(&parked_gen[i], __ATOMIC_ACQUIRE) == g;
}

/* "cpu2, cpu3": the cores in mask that have not parked for stop g.
 * Returns how many there are. */
static int silent_cores(uint64_t g, uint64_t mask, char *buf, size_t size)
{
	int n = 0, len = 0;
	buf[0] = '\0';
	for (int i = 0; i < ncpus; i++) {
		if (!(mask & (1ULL << i)) || parked_for(i, g))
			continue;
		n++;
		if (len < (int)size)
			len +=
			    ksnprintf(buf + len, size - (size_t)len, "%scpu%d", len ? ", " : "", i);
	}
	return n;
}

/* One line per core that has not parked: what it was doing, in which task,
 * and where and when it last took an interrupt. */
static void describe_silent(const char *reason, uint64_t g, uint64_t mask, uint64_t waited_ns,
			    const char *verb)
{
	uint64_t now = timer_count();
	for (int i = 0; i < ncpus; i++) {
		if (!(mask & (1ULL << i)) || parked_for(i, g))
			continue;
		struct cpu *c = &cpus[i];
		struct task *t = c->current; /* a hint: it may change under us */
		uint64_t pc = 0, seen = 0;
		read_heartbeat(i, &pc, &seen);
		char where[80];
		if (seen)
			ksnprintf(where, sizeof where, "last seen at PC %#llx %llu ms ago",
				  (unsigned long long)pc,
				  ms(ticks_to_ns(now > seen ? now - seen : 0)));
		else
			ksnprintf(where, sizeof where, "never seen taking an interrupt");
		kprintf("stop-the-world (%s): cpu%d %s %llu ms: it was %s%s%s%s; "
			"%s (its interrupts are masked, or it is hung, or its host CPU is busy)\n",
			reason, i, verb, ms(waited_ns), c->doing ? c->doing : "?",
			t ? ", in task '" : "", t ? t->name : "", t ? "'" : "", where);
	}
}

/*
 * The owner's view of one stop's wait, for the watchdog.
 *
 * The owner checks at least once a tick (its wfi ends with its own tick).  A
 * gap of more than STW_STALL_MS (or 3 ticks, if longer) between two checks
 * means this core itself did not run: under QEMU, a host that does not
 * schedule the vCPU, or stops the whole machine (tests/run.py pauses QEMU for
 * 4 s).  The other cores were probably not running either, so that gap does
 * not count toward stw_panic.  Shorter gaps are ordinary host jitter and do
 * count.  On hardware there are none, and the panic comes after stw_panic of
 * real time.
 */
#define STW_STALL_MS 100

struct stw_wait {
	const char *reason;
	uint64_t gen, mask; /* the stop, and the cores it waits for */
	uint64_t next_warn_ns; /* when to warn next */
	uint64_t last_check; /* timer_count() at the previous check */
	uint64_t unwatched; /* ticks of gaps: not counted toward stw_panic */
};

/*
 * Called while the owner waits for the acks.  It warns at stw_watchdog, then
 * at twice that, four times..., so a long wait prints a few lines, not one per
 * tick: the first warning describes every silent core, the later ones only
 * name them.  It panics once the time watched reaches stw_panic.
 */
static void watchdog(struct stw_wait *w)
{
	uint64_t now = timer_count();
	uint64_t stall = ns_to_ticks(STW_STALL_MS * 1000000ULL);
	if (stall < 3 * (timer_freq() / timer_tick_hz()))
		stall = 3 * (timer_freq() / timer_tick_hz()); /* 3 ticks */
	if (now - w->last_check > stall)
		w->unwatched += now - w->last_check;
	w->last_check = now;
	uint64_t waited_ns = ticks_to_ns(now - t_request);
	uint64_t watched_ns = ticks_to_ns(now - t_request - w->unwatched);
	char who[200];
	if (waited_ns < w->next_warn_ns && watched_ns < panic_ns)
		return;
	if (!silent_cores(w->gen, w->mask, who, sizeof who))
		return; /* they all parked just now: the caller sees the count */
	if (watched_ns >= panic_ns) {
		describe_silent(w->reason, w->gen, w->mask, waited_ns,
				"did not answer IPI_STOP within");
		if (w->unwatched)
			kprintf("stop-the-world (%s): %llu ms of the wait, when this core itself "
				"did not run, not counted toward stw_panic\n",
				w->reason, ms(ticks_to_ns(w->unwatched)));
		panic("stop-the-world: no answer from %s within %llu ms (stw_panic)", who,
		      ms(panic_ns));
	}
	if (w->next_warn_ns == warn_ns) {
		describe_silent(w->reason, w->gen, w->mask, waited_ns,
				"has not answered IPI_STOP after");
		kprintf("stop-the-world (%s): still waiting; panic after %llu ms (stw_panic)\n",
			w->reason, ms(panic_ns));
	} else {
		kprintf("stop-the-world (%s): still waiting after %llu ms for %s\n", w->reason,
			ms(waited_ns), who);
	}
	while (w->next_warn_ns <= waited_ns) /* the next doubling after now */
		w->next_warn_ns *= 2;
}

void stop_the_world(const char *reason)
{
	struct cpu *me = this_cpu();
	if (!irqs_enabled())
		panic("stop_the_world(%s) with interrupts masked on cpu%d: it could never be "
		      "stopped by a rival requester",
		      reason, me->id);
	claim(me->id);
	const char *was = me->doing;
	me->doing = reason;

	int n;
	uint64_t mask = others_mask(me->id, &n);
	uint64_t g = gen + 1; /* only the owner writes gen */
	expected_acks = n; /* published by the release of gen below */
	/* recorded before the clock starts (the stop's latency is its own),
	 * and also the IPI_STOP's send: each target's receipt reads its flow */
	trace_event_send(TR_STW_REQUEST, (uint32_t)g, (uint64_t)(uintptr_t)reason, mask, IPI_STOP);
	t_request = timer_count();
	/* release: everything before the stop is visible to a core that reads
	 * this gen in its handler (and the SGI is sent after a DSB) */
	__atomic_store_n(&gen, g, __ATOMIC_RELEASE);
	ipi_send_mask_untraced(mask, IPI_STOP); /* the request event was its send */

	struct stw_wait w = {reason, g, mask, warn_ns, t_request, 0};
	/* acquire (inside the wait): every parked core's frame and its work
	 * before parking are visible once we see its increment */
	while (!wait_for_event_or_tick(&acks, n, true))
		watchdog(&w);
	t_parked = timer_count(); /* interrupts masked since the count was seen */
	/* the receipt of the last core's IPI_WAKE, which is taken below */
	trace_event_receipt(TR_STW_PARKED, (uint32_t)g, IPI_WAKE);
	irq_enable();
	if (w.next_warn_ns != warn_ns) /* we warned: say that it ended well */
		kprintf("stop-the-world (%s): every core answered after %llu ms\n", reason,
			ms(ticks_to_ns(t_parked - t_request)));
	me->doing = was;
}

void start_the_world(void)
{
	struct cpu *me = this_cpu();
	if (__atomic_load_n(&owner, __ATOMIC_RELAXED) != me->id) /* only we could have set it */
		panic("start_the_world on cpu%d, which did not stop the world", me->id);
	uint64_t g = gen;
	int n;
	uint64_t mask = others_mask(me->id, &n);
	/* before any core can leave; also the IPI_WAKE's send, whose flow id
	 * each parked core's unpark reads after it sees the release */
	trace_event_send(TR_STW_RELEASE, (uint32_t)g, 0, mask, IPI_WAKE);
	/* release: the owner's work while stopped is visible to every core that
	 * sees the release */
	__atomic_store_n(&released, g, __ATOMIC_RELEASE);
	uint64_t t_release = timer_count();
	/* Wake the parked cores from their wfi.  The send is preceded by a DSB
	 * (see the irqchips), so they see the release when they wake. */
	ipi_send_mask_untraced(mask, IPI_WAKE); /* the release event was its send */
	/* acquire (inside the wait): every parked core has left its handler
	 * (see phase 5) */
	while (!wait_for_event_or_tick(&acks, 0, false))
		;
	/* interrupts masked: the receipt of the last core's IPI_WAKE */
	trace_event_receipt(TR_STW_DONE, (uint32_t)g, IPI_WAKE);
	stw_stats_record(t_parked - t_request, t_release - t_request); /* still the owner */
	/* release: the next owner's acquire sees this stop complete */
	__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
	irq_enable();
}

void stw_park(struct trap_frame *tf)
{
	int id = cpu_id();
	/* acquire: pairs with the owner's release of gen */
	uint64_t g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
	const char *was = cpus[id].doing;
	cpus[id].doing = "parked (world stopped)";
	__atomic_store_n(&frames[id], tf, __ATOMIC_RELAXED); /* published by the increment */
	__atomic_store_n(&parked_gen[id], g, __ATOMIC_RELEASE); /* for the watchdog */
	/* before the owner can count us; also the IPI's receipt */
	trace_event_receipt(TR_STW_PARK, (uint32_t)g, IPI_STOP);
	/* release: the frame (and everything this core did) is visible to the
	 * owner once it counts us */
	int now = __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
	int own = __atomic_load_n(&owner, __ATOMIC_RELAXED); /* set before gen was released */
	if (now == expected_acks && own >= 0) {
		/* the last one in wakes the owner: its park event is the send */
		trace_event_amend_send(TR_STW_PARK, (uint32_t)g, own, IPI_WAKE);
		ipi_send_untraced(own, IPI_WAKE);
	}
	/* Our tick must not end every wfi below once it falls due (timer.c). */
	uint64_t tick = timer_tick_hold();
	/* acquire: pairs with the owner's release of `released` */
	while (__atomic_load_n(&released, __ATOMIC_ACQUIRE) != g) {
		if (panic_in_progress())
			panic_park(tf);
		/* Sleep until an interrupt is pending (masked, it still ends the
		 * wfi): the owner's IPI_WAKE, or a panic's IPI.  Under QEMU this
		 * also gives the host CPU back instead of spinning. */
		wfi();
		/* relaxed: a statistic; only this core writes it */
		__atomic_store_n(&park_wakeups[id], park_wakeups[id] + 1, __ATOMIC_RELAXED);
	}
	/* also the receipt of the owner's IPI_WAKE, whose interrupt this core
	 * takes only after the handler (and the tracer does not record again) */
	trace_event_receipt(TR_STW_UNPARK, (uint32_t)g, IPI_WAKE);
	timer_tick_resume(tick); /* a tick missed while parked comes after the handler */
	__atomic_store_n(&frames[id], NULL, __ATOMIC_RELAXED); /* before the decrement */
	cpus[id].doing = was;
	/* release: we are out of the handler's shared state before the owner
	 * sees the count drop */
	own = __atomic_load_n(&owner, __ATOMIC_RELAXED); /* still the owner: it waits for us */
	if (__atomic_sub_fetch(&acks, 1, __ATOMIC_RELEASE) == 0) {
		/* the last one out wakes the owner: its unpark event is the send */
		trace_event_amend_send(TR_STW_UNPARK, (uint32_t)g, own, IPI_WAKE);
		ipi_send_untraced(own, IPI_WAKE);
	}
}
