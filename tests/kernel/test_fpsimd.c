/*
 * test_fpsimd.c — a task's FP/SIMD registers survive interrupts whose
 * handlers run newlib's SIMD code, faults, and task switches.
 *
 * Kernel C is built with -mgeneral-regs-only, so the registers are written
 * and read in assembly: fpsimd_load() sets v0-v31, FPCR and FPSR from a
 * struct fpsimd_state, fpsimd_store() saves them into one.  Between the two
 * only kernel C runs on the task's side, which never touches them; whatever
 * changes them is an exception handler (or a switch) that did not restore
 * what it found.
 */
#include "kernel/arch/cpu.h"
#include "kernel/irq/ipi.h"
#include "tests/kernel/ktest.h"
#include "kernel/task/task.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/fault.h"
#include "kernel/arch/trap.h"

#define SECOND 1000000000ULL

/* FPCR: the bits a task could set.  A core without a feature reads its bit
 * as 0, so the test compares against what the core kept. */
#define FPCR_AHP	   (1ULL << 26) /* alternative half-precision */
#define FPCR_DN		   (1ULL << 25) /* default NaN */
#define FPCR_FZ		   (1ULL << 24) /* flush denormals to zero */
#define FPCR_RMODE_PLUSINF (1ULL << 22) /* RMode (bits 23:22) = 0b01: toward +infinity */
#define FPCR_PATTERN	   (FPCR_AHP | FPCR_DN | FPCR_FZ | FPCR_RMODE_PLUSINF)
/* FPSR: the saturation flag and every cumulative exception flag. */
#define FPSR_QC	     (1ULL << 27) /* saturation */
#define FPSR_IDC     (1ULL << 7) /* input denormal */
#define FPSR_IXC     (1ULL << 4) /* inexact */
#define FPSR_UFC     (1ULL << 3) /* underflow */
#define FPSR_OFC     (1ULL << 2) /* overflow */
#define FPSR_DZC     (1ULL << 1) /* divide by zero */
#define FPSR_IOC     (1ULL << 0) /* invalid operation */
#define FPSR_PATTERN (FPSR_QC | FPSR_IDC | FPSR_IXC | FPSR_UFC | FPSR_OFC | FPSR_DZC | FPSR_IOC)

struct fpsimd_state {
	uint64_t q[32][2]; /* q0..q31: [0] the low 64 bits, [1] the high */
	uint64_t fpcr, fpsr;
};

void fpsimd_load(const struct fpsimd_state *s);
void fpsimd_store(struct fpsimd_state *s);

/* Plain AAPCS64 functions, so that the compiler has no say in what the
 * registers hold between them. */
__asm__(".text\n"
	".balign 4\n"
	".globl fpsimd_load\n"
	"fpsimd_load:\n"
	"	ldp	q0, q1, [x0, #32 * 0]\n"
	"	ldp	q2, q3, [x0, #32 * 1]\n"
	"	ldp	q4, q5, [x0, #32 * 2]\n"
	"	ldp	q6, q7, [x0, #32 * 3]\n"
	"	ldp	q8, q9, [x0, #32 * 4]\n"
	"	ldp	q10, q11, [x0, #32 * 5]\n"
	"	ldp	q12, q13, [x0, #32 * 6]\n"
	"	ldp	q14, q15, [x0, #32 * 7]\n"
	"	ldp	q16, q17, [x0, #32 * 8]\n"
	"	ldp	q18, q19, [x0, #32 * 9]\n"
	"	ldp	q20, q21, [x0, #32 * 10]\n"
	"	ldp	q22, q23, [x0, #32 * 11]\n"
	"	ldp	q24, q25, [x0, #32 * 12]\n"
	"	ldp	q26, q27, [x0, #32 * 13]\n"
	"	ldp	q28, q29, [x0, #32 * 14]\n"
	"	ldp	q30, q31, [x0, #32 * 15]\n"
	"	add	x3, x0, #512\n"
	"	ldp	x1, x2, [x3]\n"
	"	msr	fpcr, x1\n"
	"	msr	fpsr, x2\n"
	"	ret\n"
	".globl fpsimd_store\n"
	"fpsimd_store:\n"
	"	stp	q0, q1, [x0, #32 * 0]\n"
	"	stp	q2, q3, [x0, #32 * 1]\n"
	"	stp	q4, q5, [x0, #32 * 2]\n"
	"	stp	q6, q7, [x0, #32 * 3]\n"
	"	stp	q8, q9, [x0, #32 * 4]\n"
	"	stp	q10, q11, [x0, #32 * 5]\n"
	"	stp	q12, q13, [x0, #32 * 6]\n"
	"	stp	q14, q15, [x0, #32 * 7]\n"
	"	stp	q16, q17, [x0, #32 * 8]\n"
	"	stp	q18, q19, [x0, #32 * 9]\n"
	"	stp	q20, q21, [x0, #32 * 10]\n"
	"	stp	q22, q23, [x0, #32 * 11]\n"
	"	stp	q24, q25, [x0, #32 * 12]\n"
	"	stp	q26, q27, [x0, #32 * 13]\n"
	"	stp	q28, q29, [x0, #32 * 14]\n"
	"	stp	q30, q31, [x0, #32 * 15]\n"
	"	mrs	x1, fpcr\n"
	"	mrs	x2, fpsr\n"
	"	add	x3, x0, #512\n"
	"	stp	x1, x2, [x3]\n"
	"	ret\n");

_Static_assert(__builtin_offsetof(struct fpsimd_state, fpcr) == 512, "layout the asm uses");

/* A value per register, half, core and round: a register restored from the
 * wrong slot, core or time does not match either. */
static void make_pattern(struct fpsimd_state *s, int cpu, int round)
{
	for (uint64_t i = 0; i < 32; i++) {
		uint64_t v = 0xa5ULL << 56 | (uint64_t)cpu << 40 | (uint64_t)round << 16 | i << 1;
		s->q[i][0] = v;
		s->q[i][1] = ~v;
	}
	s->fpcr = FPCR_PATTERN;
	s->fpsr = FPSR_PATTERN;
}

/* Back to the state every task expects (FPCR and FPSR belong to the core, not
 * the task: a test must not leave it rounding toward +infinity). */
static void fpsimd_reset(void)
{
	static const struct fpsimd_state zero;
	fpsimd_load(&zero);
}

/* The first difference, as a register number (32 FPCR, 33 FPSR), or -1.
 * Only the low halves of v8-v15 (d8-d15) if callee_saved_only. */
static int first_difference(const struct fpsimd_state *a, const struct fpsimd_state *b,
			    bool callee_saved_only)
{
	for (int i = 0; i < 32; i++) {
		if (callee_saved_only && (i < 8 || i > 15))
			continue;
		if (a->q[i][0] != b->q[i][0] || (!callee_saved_only && a->q[i][1] != b->q[i][1]))
			return i;
	}
	if (callee_saved_only)
		return -1;
	if (a->fpcr != b->fpcr)
		return 32;
	return a->fpsr != b->fpsr ? 33 : -1;
}

static const char *reg_name(int reg)
{
	static const char *const v[32] = {"v0",	 "v1",	"v2",  "v3",  "v4",  "v5",  "v6",  "v7",
					  "v8",	 "v9",	"v10", "v11", "v12", "v13", "v14", "v15",
					  "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
					  "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31"};
	return reg < 32 ? v[reg] : reg == 32 ? "FPCR" : "FPSR";
}

/* ---- interrupts whose handlers print ---- */

#define SAYS 4 /* IPI_SAY interrupts per core: each prints one line */

struct say_result {
	int says_seen; /* IPI_SAY interrupts this core took while the registers were live */
	int bad_reg; /* first register that changed, or -1 */
	int bad_round;
	uint64_t want_lo, got_lo, want_hi, got_hi;
	uint64_t fpcr_kept; /* FPCR as the core kept the pattern */
};

static struct fpsimd_state say_want[MAX_CPUS], say_got[MAX_CPUS];
static struct say_result say_results[MAX_CPUS];

static uint64_t says(int cpu)
{
	/* acquire: pairs with the release in ipi_handle */
	return __atomic_load_n(&cpus[cpu].ipi_count[IPI_SAY], __ATOMIC_ACQUIRE);
}

static void record_difference(struct say_result *r, const struct fpsimd_state *want,
			      const struct fpsimd_state *got, int reg, int round)
{
	r->bad_reg = reg;
	r->bad_round = round;
	if (reg < 32) {
		r->want_lo = want->q[reg][0], r->want_hi = want->q[reg][1];
		r->got_lo = got->q[reg][0], r->got_hi = got->q[reg][1];
	} else {
		r->want_lo = reg == 32 ? want->fpcr : want->fpsr;
		r->got_lo = reg == 32 ? got->fpcr : got->fpsr;
	}
}

/*
 * Pinned on one core: load the pattern, then interrupt this core with
 * IPI_SAY (its handler prints through newlib) and check every register after
 * each one.  A new pattern every round, so a stale copy does not pass.
 */
static int64_t hold_registers_through_says(void *arg)
{
	(void)arg;
	int me = cpu_id();
	struct fpsimd_state *want = &say_want[me], *got = &say_got[me];
	struct say_result *r = &say_results[me];
	r->bad_reg = -1;
	for (int round = 0; round < SAYS; round++) {
		make_pattern(want, me, round);
		fpsimd_load(want);
		fpsimd_store(want); /* what the core kept of FPCR and FPSR */
		uint64_t before = says(me);
		ipi_send(me, IPI_SAY);
		uint64_t deadline = timer_ns() + SECOND;
		while (says(me) == before && timer_ns() < deadline)
			cpu_relax();
		fpsimd_store(got);
		if (says(me) != before)
			r->says_seen++;
		int bad = first_difference(want, got, false);
		if (bad >= 0 && r->bad_reg < 0)
			record_difference(r, want, got, bad, round);
	}
	r->fpcr_kept = want->fpcr;
	fpsimd_reset();
	return 0;
}

KTEST(fpsimd, interrupts_that_print_keep_every_vector_register)
{
	struct task *t[MAX_CPUS] = {0};
	for_each_online_cpu(c)
	{
		say_results[c->id] = (struct say_result){.bad_reg = -1};
		t[c->id] =
		    task_create_on(c->id, true, "fpsimd-say", hold_registers_through_says, NULL, 0);
		KASSERT(t[c->id] != NULL);
	}
	for (int i = 0; i < ncpus; i++)
		if (t[i])
			task_join(t[i]);
	for (int i = 0; i < ncpus; i++) {
		if (!t[i])
			continue;
		struct say_result *r = &say_results[i];
		if (r->bad_reg >= 0)
			ktest_fail(__FILE__, __LINE__,
				   "cpu%d round %d: %s changed across an interrupt: "
				   "want %#llx:%#llx, got %#llx:%#llx",
				   i, r->bad_round, reg_name(r->bad_reg),
				   (unsigned long long)r->want_hi, (unsigned long long)r->want_lo,
				   (unsigned long long)r->got_hi, (unsigned long long)r->got_lo);
		KASSERT_EQ(r->bad_reg, -1);
		KASSERT_EQ(r->says_seen, SAYS);
		/* The pattern took: FZ, DN and RMode exist on every Armv8-A core. */
		KASSERT_EQ(r->fpcr_kept & (FPCR_DN | FPCR_FZ | FPCR_RMODE_PLUSINF),
			   FPCR_DN | FPCR_FZ | FPCR_RMODE_PLUSINF);
	}
}

/* ---- a synchronous exception: a fault the handler skips ---- */

#define UNMAPPED 0x7f00000000ULL /* inside the 39-bit space, mapped by nothing */

static struct fpsimd_state fault_want, fault_got;

KTEST(fpsimd, a_fault_keeps_every_vector_register)
{
	make_pattern(&fault_want, cpu_id(), 99);
	fpsimd_load(&fault_want);
	fpsimd_store(&fault_want);
	fault_expect_begin();
	__asm__ volatile("ldr xzr, [%0]" ::"r"(UNMAPPED) : "memory");
	uint64_t esr = fault_expect_end(NULL, NULL);
	fpsimd_store(&fault_got);
	fpsimd_reset();
	KASSERT_EQ((esr >> 26) & 0x3f, 0x25); /* the data abort was taken */
	int bad = first_difference(&fault_want, &fault_got, false);
	KASSERT_EQ(bad, -1);
}

/* ---- task switches: d8-d15 are the switch's to keep ---- */

#define YIELDS 20

static struct fpsimd_state switch_want[2], switch_got[2];
static int switch_bad[2], switch_bad_round[2];

/*
 * Two of these take turns on one core, each with its own d8-d15.  A task
 * switch is a function call (switch_to), so it keeps what the AAPCS64 says a
 * callee keeps: d8-d15, the low halves of v8-v15.  newlib code that calls
 * back into code that switches (qsort's comparison, stdio's write hook) may
 * hold values there across the switch.
 */
static int64_t hold_d8_to_d15_through_yields(void *arg)
{
	int who = (int)(uintptr_t)arg;
	switch_bad[who] = -1;
	for (int round = 0; round < YIELDS; round++) {
		make_pattern(&switch_want[who], who, round);
		fpsimd_load(&switch_want[who]);
		task_yield();
		fpsimd_store(&switch_got[who]);
		int bad = first_difference(&switch_want[who], &switch_got[who], true);
		if (bad >= 0 && switch_bad[who] < 0) {
			switch_bad[who] = bad;
			switch_bad_round[who] = round;
		}
	}
	fpsimd_reset();
	return 0;
}

KTEST(fpsimd, a_task_switch_keeps_d8_to_d15)
{
	struct task *t[2];
	for (int i = 0; i < 2; i++) {
		t[i] = task_create_on(cpu_id(), true, "fpsimd-yield", hold_d8_to_d15_through_yields,
				      (void *)(uintptr_t)i, 0);
		KASSERT(t[i] != NULL);
	}
	for (int i = 0; i < 2; i++)
		task_join(t[i]);
	for (int i = 0; i < 2; i++) {
		if (switch_bad[i] >= 0)
			ktest_fail(__FILE__, __LINE__,
				   "task %d round %d: the low half of %s changed across a yield", i,
				   switch_bad_round[i], reg_name(switch_bad[i]));
		KASSERT_EQ(switch_bad[i], -1);
	}
}
