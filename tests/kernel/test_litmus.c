/*
 * test_litmus.c — the litmus runner inside the kernel: every iteration is
 * counted once, each -barrier mode runs, a forbidden outcome never shows, a
 * faulting access is reported without killing the kernel, a test wider than
 * the cores allowed is refused, and stop-the-world requests get through
 * while tests run (the interrupt windows of kernel/litmus/gen.c).
 * Kept short: this suite runs in every boot of the test matrix.
 */
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/litmus/log.h"
#include "kernel/litmus/run.h"
#include "kernel/stw/stop.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"

#include <string.h>

static struct litmus_test test;
static struct litmus_result res;
static char err[256];

static const char sb[] = "AArch64 SB\n{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }\n"
			 " P0          | P1          ;\n"
			 " MOV W0,#1   | MOV W0,#1   ;\n"
			 " STR W0,[X1] | STR W0,[X1] ;\n"
			 " LDR W2,[X3] | LDR W2,[X3] ;\n"
			 "exists (0:X2=0 /\\ 1:X2=0)\n";

static const char sb_dmbs[] = "AArch64 SB+dmbs\n{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }\n"
			      " P0          | P1          ;\n"
			      " MOV W0,#1   | MOV W0,#1   ;\n"
			      " STR W0,[X1] | STR W0,[X1] ;\n"
			      " DMB ISH     | DMB ISH     ;\n"
			      " LDR W2,[X3] | LDR W2,[X3] ;\n"
			      "exists (0:X2=0 /\\ 1:X2=0)\n";

/* P0 loads from x + 0x7000000000: unmapped, so the access faults. */
static const char faulting[] = "AArch64 FAULT\n{ 0:X1=x; 0:X2=0x7000000000; 1:X1=x; }\n"
			       " P0             | P1          ;\n"
			       " LDR W0,[X1,X2] | MOV W0,#1   ;\n"
			       "                | STR W0,[X1] ;\n"
			       "exists (0:X0=0)\n";

static bool parse(const char *text)
{
	struct litmus_error e;
	if (litmus_parse(text, strlen(text), &test, &e) < 0) {
		kprintf("parse: %d:%d: %s\n", e.line, e.col, e.msg);
		return false;
	}
	return true;
}

static void params(struct litmus_params *p, unsigned s, unsigned r, int sync)
{
	litmus_default_params(p, true);
	p->size = s;
	p->runs = r;
	p->sync = sync;
	p->seed = 12345;
}

static uint64_t total(void)
{
	uint64_t n = 0;
	for (int i = 0; i < res.nstates; i++)
		n += res.state[i].count;
	return n;
}

/* Each state of SB: 0:X2 and 1:X2 are 0 or 1. */
static bool sb_states_sane(void)
{
	for (int i = 0; i < res.nstates; i++)
		if (res.state[i].addr_mask || res.state[i].v[0] > 1 || res.state[i].v[1] > 1)
			return false;
	return true;
}

KTEST(litmus, every_iteration_counted_in_each_mode)
{
	if (cpus_online() < 2)
		KSKIP("needs 2 cores");
	KASSERT(parse(sb));
	static const int modes[] = {LITMUS_SYNC_NONE, LITMUS_SYNC_USER, LITMUS_SYNC_TIMEBASE};
	for (unsigned m = 0; m < 4; m++) {
		struct litmus_params p;
		params(&p, 200, 3, modes[m < 3 ? m : 0]);
		if (m == 3)
			p.meet = 4; /* -barrier none -sync 4: the meeting counter */
		p.place = m == 0 ? LITMUS_PLACE_RANDOM : (int)m;
		KASSERT_EQ(litmus_run(&test, &p, &res, err, sizeof err), 0);
		KASSERT_EQ(res.iterations, 600);
		KASSERT_EQ(total(), 600);
		KASSERT_EQ(res.lost, 0);
		KASSERT(sb_states_sane());
		litmus_result_free(&res);
	}
}

KTEST(litmus, forbidden_outcome_never_seen)
{
	if (cpus_online() < 2)
		KSKIP("needs 2 cores");
	KASSERT(parse(sb_dmbs));
	struct litmus_params p;
	params(&p, 1000, 10, LITMUS_SYNC_NONE);
	p.meet = 8;
	KASSERT_EQ(litmus_run(&test, &p, &res, err, sizeof err), 0);
	uint64_t pos, neg;
	litmus_count(&test, &res, &pos, &neg);
	KASSERT_EQ(pos, 0);
	KASSERT_EQ(neg, 10000);
	litmus_result_free(&res);
}

KTEST(litmus, faulting_access_is_reported)
{
	if (cpus_online() < 2)
		KSKIP("needs 2 cores");
	KASSERT(parse(faulting));
	struct litmus_params p;
	params(&p, 100, 3, LITMUS_SYNC_USER); /* P1 waits on P0's go words: released */
	KASSERT_EQ(litmus_run(&test, &p, &res, err, sizeof err), -1);
	KASSERT(strstr(err, "P0 faulted at 'LDR W0,[X1,X2]' (line 4") != NULL);
	KASSERT(strstr(err, "translation fault") != NULL);
	/* and the runner still works */
	KASSERT(parse(sb));
	params(&p, 100, 3, LITMUS_SYNC_NONE);
	KASSERT_EQ(litmus_run(&test, &p, &res, err, sizeof err), 0);
	KASSERT_EQ(total(), 300);
	litmus_result_free(&res);
}

KTEST(litmus, too_few_cores_is_an_error)
{
	KASSERT(parse(sb));
	struct litmus_params p;
	params(&p, 10, 1, LITMUS_SYNC_NONE);
	p.cores = 1ULL << cpu_id(); /* -p with one core */
	KASSERT_EQ(litmus_run(&test, &p, &res, err, sizeof err), -1);
	KASSERT(strstr(err, "the test needs 2 cores, one per thread, and 1 is available") != NULL);
}

/* ---- stops get through while tests run ---- */

static int stopping;
static uint64_t stops_done, worst_ns;

static int64_t stopper(void *arg)
{
	(void)arg;
	/* acquire: pairs with the release that ends the test */
	while (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		uint64_t t0 = timer_ns();
		stop_the_world("litmus test");
		uint64_t ns = timer_ns() - t0;
		start_the_world();
		if (ns > worst_ns)
			worst_ns = ns;
		stops_done++;
		task_sleep_ns(2000000);
	}
	return 0;
}

KTEST(litmus, stops_get_through_during_runs)
{
	if (cpus_online() < 3)
		KSKIP("needs 3 cores: two for the test, one to stop the world from");
	KASSERT(parse(sb));
	struct litmus_params p;
	/* per-iteration waits (user) with masked interrupts: the case that
	 * would deadlock with a stop if the waits had no window */
	params(&p, 1000, 10, LITMUS_SYNC_USER);
	p.cores = cpus_online_mask() & ~(1ULL << cpu_id());
	stops_done = worst_ns = 0;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE); /* before the stopper starts */
	struct task *t = task_create_on(cpu_id(), true, "stopper", stopper, NULL, 0);
	KASSERT(t != NULL);
	int rc = litmus_run(&test, &p, &res, err, sizeof err);
	__atomic_store_n(&stopping, 0, __ATOMIC_RELEASE); /* the stopper's last round */
	task_join(t);
	KASSERT_EQ(rc, 0);
	KASSERT_EQ(total(), 10000);
	KASSERT_GT(stops_done, 0);
	kprintf("litmus: %llu stops during the runs, the slowest took %llu us; the longest run "
		"took %llu us\n",
		(unsigned long long)stops_done, (unsigned long long)(worst_ns / 1000),
		(unsigned long long)(ticks_to_ns(res.max_batch_ticks) / 1000));
	litmus_result_free(&res);
}
