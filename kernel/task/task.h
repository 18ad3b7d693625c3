/*
 * task.h — cooperative tasks.
 *
 * A task runs until it yields, blocks (join, sleep, a wait queue) or exits:
 * nothing preempts it.  Each core runs the tasks on its own run queue and
 * steals from the others when it has none (kernel/task/sched.c).  Every task ever
 * created is recorded in the global task slice (kernel/task/alltasks.h), which is
 * what the garbage collector walks to find stacks.
 *
 * The states are named after Go's goroutine states (runtime2.go):
 *   TASK_IDLE      just allocated, not yet set up        (_Gidle)
 *   TASK_RUNNABLE  on a run queue, waiting for a core     (_Grunnable)
 *   TASK_RUNNING   running on a core                     (_Grunning)
 *   TASK_WAITING   blocked: join, sleep or a wait queue  (_Gwaiting)
 *   TASK_DEAD      exited; its slot waits to be reused   (_Gdead)
 *
 * Locking: a task's own lock (t->lock) guards its state and queue links.
 * Lock order: a wait queue's lock, then a task's lock, then a run queue's
 * lock.  A task switches away (to its core's scheduler) holding its own lock
 * with interrupts masked; the scheduler releases it once the task's registers
 * are saved, so nobody can run or wake a task whose context is half-saved.
 */
#ifndef TASK_H
#define TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/spinlock.h"

enum task_state {
	TASK_IDLE = 0,
	TASK_RUNNABLE,
	TASK_RUNNING,
	TASK_WAITING,
	TASK_DEAD,
};

/* What switch_to() saves: the callee-saved registers of the AAPCS64. */
struct context {
	uint64_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
	uint64_t fp, lr; /* x29, x30 */
	uint64_t sp;
	uint64_t d8, d9, d10, d11, d12, d13, d14, d15;
};

struct task;

/* Tasks blocked on something, in FIFO order.  The caller's lock protects it. */
struct waitq {
	struct task *head, *tail;
};

#define TASK_NAME_MAX	   24
#define TASK_STACK_DEFAULT (16 * 1024)
#define TASK_KILLED	   (-1000) /* join result of a task killed by the kernel */

struct task {
	struct spinlock lock;
	int id; /* unique for the task's lifetime; a reused slot gets a new one */
	int slot; /* index in the global task slice: fixed for the struct */
	char name[TASK_NAME_MAX];
	int state; /* enum task_state, under lock */
	int cpu; /* core it runs on or is queued for */
	int pinned; /* -1, or the only core it may run on */
	bool detached; /* nobody joins: recycle at exit */
	bool joined; /* its result has been collected */
	struct context ctx; /* saved registers while not running */
	uint64_t stack_lo, stack_hi; /* usable stack [lo, hi); the guard page is below lo */
	uint64_t stack_size;
	int64_t (*entry)(void *);
	void *arg;
	int64_t result;
	uint64_t wake_at_ns; /* sleeping: when to wake */
	uint64_t runs; /* times it has been switched to */
	uint64_t created_ns;
	struct task *next; /* run queue, wait queue or sleep list link */
	struct waitq joiners; /* tasks waiting for this one to exit (under lock) */
	struct task *free_next; /* the free list of dead tasks */
	uint64_t gc_scanned; /* the collector cycle that last scanned it (under lock) */
};

/* Create a runnable task on this core's run queue (other cores may steal it).
 * stack_size 0 means TASK_STACK_DEFAULT.  Returns NULL, with a message, when
 * no stack or memory is left. */
struct task *task_create(const char *name, int64_t (*fn)(void *), void *arg, size_t stack_size);
/* The same, queued on core cpu (and pinned there if pin). */
struct task *task_create_on(int cpu, bool pin, const char *name, int64_t (*fn)(void *), void *arg,
			    size_t stack_size);
/* Add n dead task structs to the slice, ready for reuse (as a program that
 * once had n more tasks would leave it).  Returns how many were added. */
size_t task_reserve(size_t n);
/* Has t exited?  (t must not have been joined or detached yet.) */
bool task_done(struct task *t);
/* Nobody will join t: its slot is recycled when it exits. */
void task_detach(struct task *t);
/* Wait for t to exit and return its result; t's slot is then recycled. */
int64_t task_join(struct task *t);
void task_yield(void);
void task_exit(int64_t result) __attribute__((noreturn));
/* Block for at least ns nanoseconds (never less). */
void task_sleep_ns(uint64_t ns);

/* The running task of this core, or NULL in the scheduler or an interrupt. */
struct task *task_current(void);
const char *task_state_name(int state);

/* Wait queues.  `held` is the lock that protects the condition and q; the
 * caller holds it (taken with spin_lock_irqsave, flags in *flags) and has it
 * again when task_wait returns.  Returns having been woken: re-check the
 * condition. */
void task_wait(struct waitq *q, struct spinlock *held);
/* Wake the first / every task on q.  The caller holds q's lock. */
bool task_wake_one(struct waitq *q);
int task_wake_all(struct waitq *q);

/* Make a waiting task runnable (used by wait queues, join and sleep). */
void task_make_runnable(struct task *t);

/* The current task's stack overflowed into its guard page: report, and kill
 * it if that leaves the kernel consistent.  Called from the fault handler. */
struct trap_frame;
bool task_stack_fault(struct trap_frame *tf);

/* Register the task system's handlers with the layers below it (the panic
 * report's task names, the stack-overflow handler).  Once, at boot, before
 * the first task. */
void tasks_init(void);

/*
 * Hooks for a layer above (the collector): a new task's argument, and a task's
 * result at exit and at join, move between tasks outside the heap, so the
 * collector shades them; a task about to yield may scan its own stack
 * (yielding, called in the task, before it gives up its core).  Any may be
 * NULL.  Installed once; a core that creates, yields or ends a task after
 * that calls them.
 */
struct task_hooks {
	void (*created)(struct task *t);
	void (*result)(int64_t result);
	void (*yielding)(struct task *t);
};
void task_set_hooks(const struct task_hooks *h);

/* Statistics for the shell and tests. */
uint64_t tasks_created(void);
uint64_t tasks_reused(void);
/* Dead task structs waiting for reuse: task_create takes one of these before
 * it adds a new struct to the task slice. */
size_t tasks_free(void);

#endif
