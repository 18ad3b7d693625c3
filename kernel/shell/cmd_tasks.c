/*
 * cmd_tasks.c — the shell's commands about tasks: tasks (the task slice, as
 * a snapshot) and spawn (start small tasks over the cores).
 */
#include "kernel/arch/cpu.h"
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/shell/commands.h"
#include "kernel/task/alltasks.h"
#include "kernel/task/task.h"
#include "kernel/workloads/workloads.h"

#include <string.h>

static void print_task(struct task *t)
{
	int st = t->state; /* a racy read: this is a listing, not a decision */
	uint64_t used = 0;
	if (st != TASK_DEAD && st != TASK_RUNNING && t->ctx.sp >= t->stack_lo &&
	    t->ctx.sp <= t->stack_hi)
		used = t->stack_hi - t->ctx.sp;
	char use[24] = "-";
	if (used)
		ksnprintf(use, sizeof use, "%llu/%llu", (unsigned long long)used,
			  (unsigned long long)t->stack_size);
	kprintf("%-6d %-16s %-9s %-4d %-13s %llu\n", t->id, t->name, task_state_name(st), t->cpu,
		use, (unsigned long long)t->runs);
}

int cmd_tasks(int argc, char **argv)
{
	bool all = argc == 2 && strcmp(argv[1], "all") == 0;
	if (argc > 2 || (argc == 2 && !all)) {
		kprintf("tasks: usage: tasks [all]\n");
		return 1;
	}
	/* A snapshot (taken under the slice lock): every entry below its length
	 * stays valid, and tasks created meanwhile are simply not shown.  (Not
	 * the lock-free view: with inject=publish-early it can read NULL.) */
	struct tasks_view v = alltasks_snapshot();
	size_t len, cap, arrays;
	alltasks_stats(&len, &cap, &arrays);
	kprintf("id     name             state     core stack(used)   runs\n");
	int shown = 0, dead = 0;
	for (size_t i = 0; i < v.len; i++) {
		struct task *t = v.ptr[i];
		if (t->state == TASK_DEAD) {
			dead++;
			if (!all)
				continue;
		}
		print_task(t);
		shown++;
	}
	kprintf("%d shown; the slice holds %zu tasks (%d dead, for reuse), capacity %zu; "
		"%llu created, %llu reused\n",
		shown, len, dead, cap, (unsigned long long)tasks_created(),
		(unsigned long long)tasks_reused());
	return 0;
}

int cmd_spawn(int argc, char **argv)
{
	unsigned long long n;
	if (argc != 2 || !bootargs_parse_u64(argv[1], &n) || n < 1 || n > 10000) {
		kprintf("spawn: usage: spawn N (N from 1 to 10000)\n");
		return 1;
	}
	unsigned long long made = 0;
	for (unsigned long long i = 0; i < n; i++) {
		struct task *t = task_create_on((int)(i % (unsigned long long)ncpus), false, "work",
						workload_busy, (void *)(uintptr_t)i, 8192);
		if (!t)
			break;
		task_detach(t);
		made++;
	}
	kprintf("spawn: %llu task%s started over %d cores (tasks shows them; they end by "
		"themselves)\n",
		made, made == 1 ? "" : "s", cpus_online());
	return made == n ? 0 : 1;
}
