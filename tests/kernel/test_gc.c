/*
 * test_gc.c — the collector: allocation, what survives (stack-only,
 * register-only, objects stored by tasks created while marking), what does
 * not (unreachable objects, within two cycles), out-of-memory, and a short
 * run of the churn workload with the verifier on.  The long runs (200 cycles
 * and more, 1 to 8 cores) and the racy/fixed reproduction boot on their own:
 * see tests/run.py.
 */
#include "gc/gc.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "tests/kernel/ktest.h"
#include "kernel/task/task.h"
#include "kernel/workloads/workloads.h"
#include "kernel/arch/timer.h"

#include <string.h>

#define MAGIC 0x7465737467636f62ULL /* "testgcob" */

struct obj {
	uint64_t magic;
	uint64_t n;
	struct obj *next;
};

/* Addresses kept where the collector does not look for pointers: XORed. */
#define HIDE(p) ((uintptr_t)(p) ^ 0x5a5a5a5a5a5a5a5aULL)

static bool verify_was;

/* Another online core than this one (this one if it is alone). */
static int other_core(void)
{
	for_each_online_cpu(c) if (c->id != cpu_id()) return c->id;
	return cpu_id();
}

static void verify_on(void)
{
	verify_was = gc_get_verify();
	gc_set_verify(true);
}

static void verify_restore(void)
{
	gc_set_verify(verify_was);
}

KTEST(gc, alloc_is_zeroed_aligned_and_live)
{
	static const size_t sizes[] = {1, 8, 16, 17, 48, 100, 2048, 2049, 4096, 70000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *p = gc_alloc(sizes[i], i % 2 ? GC_NOSCAN : 0);
		KASSERT(p != NULL);
		KASSERT_EQ((uintptr_t)p % 16, 0);
		for (size_t k = 0; k < sizes[i]; k++)
			KASSERT_EQ(p[k], 0);
		KASSERT(gc_is_live(p));
		KASSERT(gc_is_live(p + sizes[i] - 1)); /* interior pointers count */
		memset(p, 0xee, sizes[i]);
	}
	int local;
	KASSERT(!gc_is_live(&local));
	KASSERT(!gc_is_live(NULL));
}

/* ---- unreachable objects are freed ---- */

#define NGARBAGE 200

static uintptr_t hidden[NGARBAGE];

static void __attribute__((noinline)) make_garbage(void)
{
	for (int i = 0; i < NGARBAGE; i++) {
		struct obj *o = gc_alloc(sizeof *o + (size_t)(i % 7) * 40, 0);
		if (o)
			o->magic = MAGIC;
		hidden[i] = HIDE(o);
	}
}

KTEST(gc, nothing_unreachable_survives_two_cycles)
{
	make_garbage();
	for (int i = 0; i < NGARBAGE; i++)
		KASSERT(gc_is_live((void *)HIDE(hidden[i])));
	gc_collect();
	gc_collect();
	int alive = 0;
	for (int i = 0; i < NGARBAGE; i++)
		alive += gc_is_live((void *)HIDE(hidden[i]));
	KASSERT_EQ(alive, 0);
}

/* ---- roots: globals, stacks, registers ---- */

static struct obj *global_list; /* written with gc_write */

static struct obj *build(int n, uint64_t base)
{
	struct obj *head = NULL;
	for (int i = 0; i < n; i++) {
		struct obj *o = gc_alloc(sizeof *o, 0);
		if (!o)
			return NULL;
		o->magic = MAGIC;
		o->n = base + (uint64_t)i;
		gc_write(&o->next, head);
		head = o;
	}
	return head;
}

static int check(const struct obj *o, int n, uint64_t base)
{
	for (int i = n - 1; i >= 0; i--, o = o->next) {
		if (!o || !gc_is_live(o) || o->magic != MAGIC || o->n != base + (uint64_t)i)
			return 0;
	}
	return o == NULL;
}

/* The list is built, checked and dropped in functions of their own, so that
 * no stale copy of a pointer to it stays in this test's frame. */
static uintptr_t __attribute__((noinline)) publish_global_list(void)
{
	struct obj *l = build(50, 1000);
	gc_write(&global_list, l);
	return HIDE(l);
}

static int __attribute__((noinline)) check_global_list(void)
{
	return check(global_list, 50, 1000);
}

KTEST(gc, global_root_survives_and_dropping_it_frees)
{
	verify_on();
	uintptr_t h = publish_global_list();
	KASSERT(h != HIDE(NULL));
	for (int i = 0; i < 3; i++)
		gc_collect();
	KASSERT(check_global_list());
	gc_write(&global_list, NULL);
	gc_collect();
	gc_collect();
	KASSERT(!gc_is_live((void *)HIDE(h)));
	verify_restore();
}

static int64_t stack_holder(void *arg)
{
	int cycles = (int)(uintptr_t)arg;
	/* Only in this frame: no global, no heap object points here. */
	struct obj *mine = build(30, 500);
	if (!mine)
		return -1;
	uint64_t start = gc_cycles();
	while (gc_cycles() < start + (uint64_t)cycles)
		task_yield();
	return check(mine, 30, 500) ? 1 : 0;
}

KTEST(gc, stack_only_objects_survive)
{
	verify_on();
	struct task *t = task_create_on(other_core(), true, "stack-holder", stack_holder,
					(void *)(uintptr_t)4, 0);
	KASSERT(t != NULL);
	uint64_t deadline = timer_ns() + 60000000000ULL;
	while (!task_done(t) && timer_ns() < deadline)
		gc_collect();
	KASSERT_EQ(task_join(t), 1);
	verify_restore();
}

/* A task that never yields, its list only in a register: it is running on
 * another core during every stop, so its roots come from the trap frame. */
static volatile int spin_stop;

static int64_t register_holder(void *arg)
{
	(void)arg;
	struct obj *r = build(20, 77);
	uintptr_t h = HIDE(r);
	if (!r)
		return -1;
	r = NULL;
	/* Rebuild the pointer into a register only, and keep it there. */
	struct obj *reg = (struct obj *)HIDE(h);
	while (!spin_stop)
		__asm__ volatile("" : "+r"(reg)); /* reg stays live, in a register */
	return check(reg, 20, 77) ? 1 : 0;
}

KTEST(gc, register_only_objects_of_a_running_task_survive)
{
	if (cpus_online() < 2)
		KSKIP("needs a second core for the task that never yields");
	verify_on();
	spin_stop = 0;
	struct task *t = task_create_on(other_core(), true, "reg-holder", register_holder, NULL, 0);
	KASSERT(t != NULL);
	uint64_t before = 0;
	for (int i = 0; i < 5; i++) {
		struct gc_cycle_stats s;
		gc_collect();
		if (gc_last_stats(&s))
			before += s.stacks_at_stop2;
	}
	spin_stop = 1;
	KASSERT_EQ(task_join(t), 1);
	KASSERT_GT(before, 0); /* the spinner was finished in stop 2 */
	verify_restore();
}

/* The same, with the list's only copy in a vector register (v5): newlib's
 * SIMD memcpy can hold a pointer there, so a parked core's q registers are
 * roots too. */
static int64_t vector_holder(void *arg)
{
	(void)arg;
	struct obj *r = build(20, 99);
	uintptr_t h = HIDE(r);
	if (!r)
		return -1;
	r = NULL;
	/* Unhide straight into d5, through x9 (cleared): no x register keeps it. */
	__asm__ volatile("eor x9, %0, %1\n\t"
			 "fmov d5, x9\n\t"
			 "mov x9, xzr"
			 :
			 : "r"(h), "r"(0x5a5a5a5a5a5a5a5aULL)
			 : "x9", "v5");
	h = 0;
	while (!spin_stop)
		__asm__ volatile("" ::: "memory"); /* kernel C never touches v5 */
	uint64_t back;
	__asm__ volatile("fmov %0, d5\n\t"
			 "fmov d5, xzr"
			 : "=r"(back)
			 :
			 : "v5");
	return check((struct obj *)back, 20, 99) ? 1 : 0;
}

KTEST(gc, a_running_tasks_vector_register_is_a_root)
{
	if (cpus_online() < 2)
		KSKIP("needs a second core for the task that never yields");
	verify_on();
	spin_stop = 0;
	struct task *t = task_create_on(other_core(), true, "vec-holder", vector_holder, NULL, 0);
	KASSERT(t != NULL);
	for (int i = 0; i < 3; i++)
		gc_collect();
	spin_stop = 1;
	KASSERT_EQ(task_join(t), 1);
	verify_restore();
}

/* The collecting task's own callers: pointers that one of them holds only
 * in callee-saved registers (x19-x28, one object each) while it calls
 * gc_collect.  The collector's own functions save whichever of those they
 * use somewhere below the caller's frame; the collector must scan those
 * save areas, or the objects are freed under the caller's feet.  The
 * pointers are kept XORed everywhere else, so the registers hold the only
 * copies.  (Which registers the collector saves depends on the compiler:
 * holding one object in each callee-saved register covers them all.) */
#define NCALLEE 10 /* x19..x28 */
void gc_test_hold_in_callee_saved(uintptr_t hidden[NCALLEE], uint64_t (*collect)(void));
__asm__(
    ".pushsection .text.gc_test_hold_in_callee_saved, \"ax\"\n"
    ".globl gc_test_hold_in_callee_saved\n"
    ".type gc_test_hold_in_callee_saved, %function\n"
    "gc_test_hold_in_callee_saved:\n"
    "	stp	x29, x30, [sp, #-112]!\n"
    "	mov	x29, sp\n"
    "	stp	x19, x20, [sp, #16]\n" /* the caller's registers, not our pointers */
    "	stp	x21, x22, [sp, #32]\n"
    "	stp	x23, x24, [sp, #48]\n"
    "	stp	x25, x26, [sp, #64]\n"
    "	stp	x27, x28, [sp, #80]\n"
    "	stp	x0, x1, [sp, #96]\n" /* the array and the callback: not pointers to objects */
    "	ldr	x9, =0x5a5a5a5a5a5a5a5a\n" /* HIDE's key */
    "	ldp	x19, x20, [x0, #0]\n"
    "	ldp	x21, x22, [x0, #16]\n"
    "	ldp	x23, x24, [x0, #32]\n"
    "	ldp	x25, x26, [x0, #48]\n"
    "	ldp	x27, x28, [x0, #64]\n"
    "	eor	x19, x19, x9\n" /* the pointers, now only in x19-x28 */
    "	eor	x20, x20, x9\n"
    "	eor	x21, x21, x9\n"
    "	eor	x22, x22, x9\n"
    "	eor	x23, x23, x9\n"
    "	eor	x24, x24, x9\n"
    "	eor	x25, x25, x9\n"
    "	eor	x26, x26, x9\n"
    "	eor	x27, x27, x9\n"
    "	eor	x28, x28, x9\n"
    "	blr	x1\n" /* collect(): x19-x28 survive it, as the ABI says */
    "	ldr	x1, [sp, #104]\n"
    "	blr	x1\n" /* twice: unreachable objects are freed within two cycles */
    "	ldr	x9, =0x5a5a5a5a5a5a5a5a\n"
    "	ldr	x0, [sp, #96]\n"
    "	eor	x19, x19, x9\n" /* hide them again to hand them back */
    "	eor	x20, x20, x9\n"
    "	eor	x21, x21, x9\n"
    "	eor	x22, x22, x9\n"
    "	eor	x23, x23, x9\n"
    "	eor	x24, x24, x9\n"
    "	eor	x25, x25, x9\n"
    "	eor	x26, x26, x9\n"
    "	eor	x27, x27, x9\n"
    "	eor	x28, x28, x9\n"
    "	stp	x19, x20, [x0, #0]\n"
    "	stp	x21, x22, [x0, #16]\n"
    "	stp	x23, x24, [x0, #32]\n"
    "	stp	x25, x26, [x0, #48]\n"
    "	stp	x27, x28, [x0, #64]\n"
    "	ldp	x19, x20, [sp, #16]\n"
    "	ldp	x21, x22, [sp, #32]\n"
    "	ldp	x23, x24, [sp, #48]\n"
    "	ldp	x25, x26, [sp, #64]\n"
    "	ldp	x27, x28, [sp, #80]\n"
    "	ldp	x29, x30, [sp], #112\n"
    "	ret\n"
    ".ltorg\n"
    ".size gc_test_hold_in_callee_saved, . - gc_test_hold_in_callee_saved\n"
    ".popsection\n");

static uintptr_t __attribute__((noinline)) make_hidden_obj(uint64_t n)
{
	struct obj *o = gc_alloc(sizeof *o, 0);
	if (!o)
		return 0;
	o->magic = MAGIC;
	o->n = n;
	return HIDE(o);
}

/* Overwrite the stack below us, where make_hidden_obj's callees may have
 * left copies of the pointers that would keep them alive by accident. */
static void __attribute__((noinline)) scrub_stack(void)
{
	uint64_t junk[1024];
	memset(junk, 0, sizeof junk);
	__asm__ volatile("" : : "r"(junk) : "memory"); /* the stores are not dead */
}

static int64_t callee_saved_holder(void *arg)
{
	(void)arg;
	uintptr_t h[NCALLEE];
	for (int i = 0; i < NCALLEE; i++)
		if (!(h[i] = make_hidden_obj(4200 + (uint64_t)i)))
			return -1;
	scrub_stack();
	gc_test_hold_in_callee_saved(h, gc_collect);
	int kept = 0;
	for (int i = 0; i < NCALLEE; i++) {
		const struct obj *o = (const struct obj *)HIDE(h[i]);
		if (gc_is_live(o) && o->magic == MAGIC && o->n == 4200 + (uint64_t)i)
			kept++;
		else
			kprintf("  x%d's object %p was freed\n", 19 + i, (const void *)o);
	}
	return kept;
}

KTEST(gc, pointers_only_in_callee_saved_registers_of_the_collectors_caller_survive)
{
	verify_on(); /* freed objects are poisoned: a freed one fails the check */
	struct task *t = task_create("callee-saved", callee_saved_holder, NULL, 64 * 1024);
	KASSERT(t != NULL);
	KASSERT_EQ(task_join(t), NCALLEE);
	verify_restore();
}

/* ---- tasks created while marking ---- */

#define NSTORE 16
static struct obj *stored[NSTORE];
static volatile int creator_done;

static int64_t storer(void *arg)
{
	int i = (int)(uintptr_t)arg;
	struct obj *o = build(10, (uint64_t)i * 100);
	if (o) {
		__atomic_thread_fence(__ATOMIC_RELEASE); /* contents before the pointer */
		gc_write(&stored[i], o);
	}
	return 0;
}

static int64_t creator(void *arg)
{
	(void)arg;
	struct task *t[NSTORE];
	for (int i = 0; i < NSTORE; i++) {
		gc_wait_marking(); /* a cycle is marking: the new task is not in its snapshot */
		t[i] = task_create("storer", storer, (void *)(uintptr_t)i, 0);
	}
	for (int i = 0; i < NSTORE; i++)
		if (t[i])
			task_join(t[i]);
	creator_done = 1;
	return 0;
}

KTEST(gc, objects_stored_by_tasks_created_while_marking_survive)
{
	if (cpus_online() < 2)
		KSKIP("needs a second core to create tasks while this one collects");
	verify_on();
	for (int i = 0; i < NSTORE; i++)
		gc_write(&stored[i], NULL);
	creator_done = 0;
	struct task *c = task_create_on(other_core(), true, "creator", creator, NULL, 0);
	KASSERT(c != NULL);
	uint64_t created = 0, deadline = timer_ns() + 120000000000ULL;
	while (!creator_done && timer_ns() < deadline) {
		struct gc_cycle_stats s;
		gc_collect();
		if (gc_last_stats(&s))
			created += s.tasks_created;
	}
	task_join(c);
	KASSERT(creator_done);
	KASSERT_GT(created, 0);
	for (int i = 0; i < 3; i++)
		gc_collect();
	for (int i = 0; i < NSTORE; i++) {
		/* acquire: pairs with the fence in storer */
		struct obj *o = __atomic_load_n(&stored[i], __ATOMIC_ACQUIRE);
		KASSERT(check(o, 10, (uint64_t)i * 100));
		gc_write(&stored[i], NULL);
	}
	verify_restore();
}

/* ---- out of memory ---- */

#define NKEEP 4096
static void *keep[NKEEP];

KTEST(gc, out_of_memory_returns_null_and_the_heap_stays_sound)
{
	verify_on();
	gc_collect();
	struct gc_heap_stats hs;
	gc_heap_stats(&hs);
	/* Room for what is live now plus 256 KiB. */
	gc_set_heap_limit(hs.capacity - hs.pages_free * 4096 + 256 * 1024);
	int n = 0;
	void *p = NULL;
	while (n < NKEEP && (p = gc_alloc(1000, 0)) != NULL) {
		memset(p, n % 100 + 1, 1000); /* never the poison byte, 0xa5 */
		gc_write(&keep[n++], p);
	}
	KASSERT(p == NULL); /* it ran out (and said so on the console) */
	KASSERT_GT(n, 100);
	KASSERT(gc_alloc(64 * 1024, 0) == NULL);
	gc_collect(); /* verified: everything kept is marked */
	for (int i = 0; i < n; i++) {
		const uint8_t *b = keep[i];
		KASSERT(gc_is_live(b));
		KASSERT_EQ(b[0], i % 100 + 1);
		KASSERT_EQ(b[999], i % 100 + 1);
	}
	/* Drop half: the next allocation collects and finds room again. */
	for (int i = 0; i < n; i += 2)
		gc_write(&keep[i], NULL);
	KASSERT(gc_alloc(1000, 0) != NULL);
	gc_set_heap_limit(0);
	for (int i = 0; i < NKEEP; i++)
		gc_write(&keep[i], NULL);
	KASSERT(gc_alloc(1 << 20, GC_NOSCAN) != NULL);
	verify_restore();
}

/* ---- churn ---- */

KTEST(gc, churn_on_every_core_with_the_verifier)
{
	verify_on();
	uint64_t c0 = gc_cycles();
	KASSERT_EQ(gc_stress(20, true), 0);
	KASSERT_GE(gc_cycles() - c0, 20);
	struct gc_cycle_stats s;
	KASSERT(gc_cycle_stats(c0 + 1, &s));
	KASSERT(s.verified);
	KASSERT(s.swept); /* a later cycle started only after this sweep ended */
	verify_restore();
}

KTEST(gc, stats_add_up)
{
	gc_collect();
	struct gc_cycle_stats s;
	KASSERT(gc_last_stats(&s));
	KASSERT_EQ(s.cycle, gc_cycles());
	KASSERT(s.swept);
	KASSERT_GT(s.stop1_ns, 0);
	KASSERT_GT(s.stop2_ns, 0);
	/* The steps of each pause add up to it (gc stats shows them). */
	uint64_t sum1 = 0, sum2 = 0;
	for (int i = GC_S1_PARK; i <= GC_S1_RELEASE; i++)
		sum1 += s.step_ns[i];
	for (int i = GC_S2_PARK; i <= GC_S2_RELEASE; i++)
		sum2 += s.step_ns[i];
	KASSERT_EQ(sum1, s.stop1_ns);
	KASSERT_EQ(sum2, s.stop2_ns);
	if (cpus_online() > 1) {
		/* Parking another core and letting it go take an IPI each way:
		 * never nothing. */
		KASSERT_GT(s.step_ns[GC_S1_PARK], 0);
		KASSERT_GT(s.step_ns[GC_S1_RELEASE], 0);
		KASSERT_GT(s.step_ns[GC_S2_PARK], 0);
		KASSERT_GT(s.step_ns[GC_S2_RELEASE], 0);
	}
	KASSERT_GT(s.snapshot_len, 0);
	KASSERT_GE(s.stacks_scanned, 1); /* at least this task */
	KASSERT_LE(s.stacks_at_stop2, s.stacks_scanned);
}
