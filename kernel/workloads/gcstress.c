/*
 * gcstress.c — run=gcstress, "gc stress", and the collector tests' workload:
 * linked structures built and changed by tasks on every core while cycles
 * run back to back, every structure checked against a checksum kept apart.
 *
 * On each core a mutator task (pinned) owns a list hanging from a global
 * root, stress_lists[core].  It keeps adding, removing and rewriting nodes,
 * each node carrying a pointer-free "blob" whose contents are derived from
 * the node's value, and it walks the list now and then to check every magic
 * number, every blob and the sum of the values.  It also:
 *   - makes garbage (objects it drops at once, and whole lists it replaces);
 *   - spawns child tasks (many of them while a cycle marks: they are not in
 *     the snapshot) that get a tree as their argument, build another tree
 *     held only on their own stack, yield a few times, check both, store a
 *     node into a shared table of globals, and return a node as their result,
 *     which the parent checks after joining.
 * A freed-but-reachable object shows up as a bad magic or blob (freed memory
 * is poisoned with gcverify=1), and the verifier checks each mark as well.
 */
#include "gc/gc.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/spinlock.h"
#include "kernel/arch/timer.h"
#include "kernel/drivers/console.h"
#include "kernel/mm/stack.h"
#include "kernel/panic/panic.h"
#include "kernel/task/alltasks.h"
#include "kernel/task/task.h"
#include "kernel/workloads/workloads.h"

#include <stdlib.h>
#include <string.h>

#define NODE_MAGIC   0x4e4f44456e6f6465ULL
#define BLOB_MAGIC   0x424c4f42626c6f62ULL
#define RESULT_MAGIC 0x524553554c54ULL
#define LIST_TARGET  200
#define SHARED_SLOTS 64
#define PAUSE_CYCLES 4096 /* cycles kept for the pause table */
#define KIDS	     3 /* child tasks each mutator keeps alive, joined a few rounds later */

/*
 * What a mutator does next: it draws r from 0..99 and takes the first line
 * whose bound r is below (so each bound is the running total of the shares):
 *   r < PUSH_BELOW     push a node (45%; and whatever r is while the list
 *                      is shorter than LIST_TARGET / 2, so it never runs
 *                      short: pushes and unlinks are otherwise as frequent)
 *   r < UNLINK_BELOW   unlink a random node (45%)
 *   r < REWRITE_BELOW  give the first node a new value and blob (5%)
 *   r < REPLACE_BELOW  replace the whole list with a copy: all garbage (2%)
 *   otherwise          join a child task and spawn another (3%)
 */
#define PUSH_BELOW    45
#define UNLINK_BELOW  90
#define REWRITE_BELOW 95
#define REPLACE_BELOW 97

struct blob {
	uint64_t magic;
	uint64_t len; /* bytes of data[] */
	uint64_t check; /* derived from the owner's value and the data */
	uint8_t data[];
};

struct node {
	uint64_t magic;
	uint64_t value;
	struct node *next;
	struct node *left, *right; /* trees only */
	struct blob *blob;
};

static struct node *stress_lists[MAX_CPUS];
static struct node *shared[SHARED_SLOTS];
static volatile bool stress_stop;
static uint64_t children_spawned, children_checked;

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* A value for a node: small, so that no value (or sum of values) ever looks
 * like a heap address to the conservative scanner and its verifier. */
static uint64_t small(uint64_t *s)
{
	return rnd(s) % 100000;
}

static uint64_t blob_check(uint64_t value, const struct blob *b)
{
	uint64_t h = value ^ b->len;
	for (uint64_t i = 0; i < b->len; i++)
		h = h * 31 + b->data[i];
	return h;
}

static __attribute__((noreturn)) void corrupt(const char *where, const struct node *n,
					      const char *what)
{
	panic("gcstress: %s: node %p %s (magic %#llx); cycle %llu, cpu%d", where, (void *)n, what,
	      n ? (unsigned long long)n->magic : 0ULL, (unsigned long long)gc_cycles(), cpu_id());
}

/* A node with value v and a blob of 16..271 bytes; NULL when out of memory. */
static struct node *new_node(uint64_t v, uint64_t *seed)
{
	struct node *n = gc_alloc(sizeof *n, 0);
	if (!n)
		return NULL;
	size_t len = 16 + rnd(seed) % 256;
	struct blob *b = gc_alloc(sizeof *b + len, GC_NOSCAN);
	if (!b)
		return NULL; /* n becomes garbage */
	b->magic = BLOB_MAGIC;
	b->len = len;
	for (size_t i = 0; i < len; i++)
		b->data[i] = (uint8_t)rnd(seed);
	b->check = blob_check(v, b);
	n->magic = NODE_MAGIC;
	n->value = v;
	gc_write(&n->blob, b);
	return n;
}

static void check_node(const char *where, const struct node *n)
{
	if (!n || n->magic != NODE_MAGIC)
		corrupt(where, n, "has a bad magic number: freed while reachable?");
	const struct blob *b = n->blob;
	if (!b || b->magic != BLOB_MAGIC || b->check != blob_check(n->value, b))
		corrupt(where, n, "has a damaged blob: freed while reachable?");
}

/* Walk list; its length and the sum of its values must be as expected. */
static void check_list(int core, struct node *head, size_t len, uint64_t sum)
{
	size_t n = 0;
	uint64_t s = 0;
	for (struct node *p = head; p; p = p->next) {
		check_node("list", p);
		s += p->value;
		if (++n > len)
			break;
	}
	if (n != len || s != sum)
		panic("gcstress: cpu%d's list has %zu nodes summing to %llu, expected %zu summing "
		      "to %llu; cycle %llu",
		      core, n, (unsigned long long)s, len, (unsigned long long)sum,
		      (unsigned long long)gc_cycles());
}

static struct node *build_tree(int depth, uint64_t *seed, uint64_t *sum)
{
	if (depth == 0)
		return NULL;
	struct node *n = new_node(small(seed), seed);
	if (!n)
		return NULL;
	*sum += n->value;
	gc_write(&n->left, build_tree(depth - 1, seed, sum));
	gc_write(&n->right, build_tree(depth - 1, seed, sum));
	return n;
}

static uint64_t tree_sum(const struct node *n)
{
	if (!n)
		return 0;
	check_node("tree", n);
	return n->value + tree_sum(n->left) + tree_sum(n->right);
}

/* A child: its argument is a tree whose sum is in the root's... value field
 * of a header node; see spawn_child. */
static int64_t child(void *arg)
{
	struct node *given = arg; /* a header: value = expected sum, left = the tree */
	check_node("child's argument", given);
	uint64_t seed = given->value ^ (uint64_t)cpu_id();
	uint64_t mine_sum = 0;
	/* Held only in this frame (stack or registers): the stack root test. */
	struct node *mine = build_tree(4, &seed, &mine_sum);
	for (int i = 0; i < 3; i++)
		task_yield();
	if (tree_sum(given->left) != given->value)
		corrupt("child", given, "argument tree's sum changed");
	if (mine && tree_sum(mine) != mine_sum)
		corrupt("child", mine, "stack-only tree's sum changed");
	/* Store a node where others look: objects stored by tasks created while
	 * marking must survive. */
	struct node *s = new_node(small(&seed), &seed);
	if (s) {
		/* release: the node's contents before the pointer, for readers on
		 * other cores (they load it with acquire) */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		gc_write(&shared[rnd(&seed) % SHARED_SLOTS], s);
	}
	struct node *r = new_node(RESULT_MAGIC, &seed);
	return (int64_t)(uintptr_t)r; /* shaded by task_exit while marking */
}

static struct task *spawn_child(uint64_t *seed)
{
	uint64_t sum = 0;
	struct node *hdr = new_node(0, seed);
	if (!hdr)
		return NULL;
	gc_write(&hdr->left, build_tree(3, seed, &sum));
	hdr->value = sum;
	hdr->blob->check = blob_check(sum, hdr->blob);
	struct task *t = task_create("gcstress-child", child, hdr, 8192);
	if (t)
		__atomic_fetch_add(&children_spawned, 1, __ATOMIC_RELAXED); /* a statistic */
	return t;
}

static void check_shared(void)
{
	for (int i = 0; i < SHARED_SLOTS; i++) {
		/* acquire: pairs with the release fence in child() */
		struct node *n = __atomic_load_n(&shared[i], __ATOMIC_ACQUIRE);
		if (n)
			check_node("shared table", n);
	}
}

/* One mutator's state: its list (the global root stress_lists[core]) and
 * the length and sum it must have, and its children. */
struct mutator {
	int core;
	uint64_t seed;
	struct node **root;
	size_t len;
	uint64_t sum;
	struct task *kids[KIDS];
};

static void push_node(struct mutator *m)
{
	struct node *n = new_node(rnd(&m->seed) % 1000, &m->seed);
	if (!n)
		return;
	gc_write(&n->next, *m->root);
	gc_write(m->root, n);
	m->len++;
	m->sum += n->value;
}

/* Unlink a node picked at random. */
static void unlink_node(struct mutator *m)
{
	size_t k = rnd(&m->seed) % m->len;
	struct node **pp = m->root;
	while (k--)
		pp = &(*pp)->next;
	struct node *victim = *pp;
	check_node("unlink", victim);
	m->sum -= victim->value;
	m->len--;
	gc_write(pp, victim->next);
}

/* Rewrite the first node's value: a new blob, the old one becomes garbage. */
static void rewrite_first(struct mutator *m)
{
	struct node *n = *m->root;
	struct node *fresh = new_node(rnd(&m->seed) % 1000, &m->seed);
	if (!fresh)
		return;
	m->sum = m->sum - n->value + fresh->value;
	n->value = fresh->value;
	gc_write(&n->blob, fresh->blob);
}

/* Replace the whole list with a copy: the old one is garbage.  Out of
 * memory part way, the list becomes what was copied; with nothing copied,
 * the old list stays. */
static void replace_list(struct mutator *m)
{
	struct node *copy = NULL, **tail = &copy;
	for (struct node *p = *m->root; p; p = p->next) {
		struct node *n = new_node(p->value, &m->seed);
		if (!n)
			break;
		gc_write(tail, n);
		tail = &n->next;
	}
	if (tail == &copy && *m->root)
		return;
	size_t n = 0;
	uint64_t s = 0;
	for (struct node *p = copy; p; p = p->next, n++)
		s += p->value;
	gc_write(m->root, copy);
	m->len = n;
	m->sum = s;
}

/* Join one of the children (checking its result) and spawn another in its
 * place. */
static void replace_child(struct mutator *m)
{
	int k = (int)(rnd(&m->seed) % KIDS);
	if (m->kids[k]) {
		struct node *res = (struct node *)(uintptr_t)task_join(m->kids[k]);
		if (res) {
			check_node("child's result", res);
			if (res->value != RESULT_MAGIC)
				corrupt("child's result", res, "has a wrong value");
		}
		__atomic_fetch_add(&children_checked, 1, __ATOMIC_RELAXED); /* a statistic */
	}
	m->kids[k] = spawn_child(&m->seed);
}

/* One operation, chosen as the comment at PUSH_BELOW says. */
static void mutator_step(struct mutator *m)
{
	uint64_t r = rnd(&m->seed) % 100;
	if (r < PUSH_BELOW || m->len < LIST_TARGET / 2)
		push_node(m);
	else if (r < UNLINK_BELOW && m->len > 0)
		unlink_node(m);
	else if (r < REWRITE_BELOW && m->len > 0)
		rewrite_first(m);
	else if (r < REPLACE_BELOW)
		replace_list(m);
	else
		replace_child(m);
}

static int64_t mutator(void *arg)
{
	struct mutator m = {0};
	m.core = (int)(uintptr_t)arg;
	m.seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(m.core + 1);
	m.root = &stress_lists[m.core];
	gc_write(m.root, NULL);
	for (uint64_t op = 0; !stress_stop; op++) {
		mutator_step(&m);
		(void)gc_alloc(32 + rnd(&m.seed) % 200, GC_NOSCAN); /* garbage at once */
		if (op % 64 == 0) {
			check_list(m.core, *m.root, m.len, m.sum);
			check_shared();
		}
		if (op % 8 == 0)
			task_yield();
	}
	for (int k = 0; k < KIDS; k++)
		if (m.kids[k])
			task_join(m.kids[k]);
	check_list(m.core, *m.root, m.len, m.sum);
	gc_write(m.root, NULL);
	return 0;
}

/* ---- the grower: task creation that grows the slice while marking ---- */

/* Sleepers at most: half of the stack space left when the stress starts,
 * and no more than GROW_MAX. */
#define GROW_MAX 1024
static int grow_limit;

static struct spinlock sleep_lock = SPINLOCK_INIT("gcstress-sleepers");
static struct waitq sleep_wq;
static int sleepers_alive;
static uint64_t last_growths;

/* Holds one node, only on its stack, until the stress ends. */
static int64_t sleeper(void *arg)
{
	struct node *mine = arg;
	uint64_t flags = spin_lock_irqsave(&sleep_lock);
	while (!stress_stop)
		task_wait(&sleep_wq, &sleep_lock);
	sleepers_alive--;
	spin_unlock_irqrestore(&sleep_lock, flags);
	check_node("sleeper's node", mine);
	return 0;
}

static bool spawn_sleeper(uint64_t *seed)
{
	struct node *n = new_node(small(seed), seed);
	if (!n)
		return false;
	uint64_t flags = spin_lock_irqsave(&sleep_lock);
	sleepers_alive++;
	spin_unlock_irqrestore(&sleep_lock, flags);
	struct task *t = task_create("gcstress-sleep", sleeper, n, 8192);
	if (!t) {
		flags = spin_lock_irqsave(&sleep_lock);
		sleepers_alive--;
		spin_unlock_irqrestore(&sleep_lock, flags);
		return false;
	}
	task_detach(t);
	return true;
}

/*
 * Keep the task slice full (len == cap, and no dead task struct left to
 * reuse), then, as soon as a cycle starts marking, create one more task: the
 * slice grows while the markers read it.  That is the moment Go's bug needs.
 * Each growth doubles the slice, so the sleepers it takes double too: the
 * grower stops at grow_limit of them.  (The slice never shrinks, so a later
 * run in the same boot needs more sleepers for its first growth.)
 */
static int64_t grower(void *arg)
{
	(void)arg;
	uint64_t seed = 12345;
	int made = 0;
	while (!stress_stop && made < grow_limit) {
		size_t len, cap, arrays;
		alltasks_stats(&len, &cap, &arrays);
		while ((len < cap || tasks_free() > 0) && made < grow_limit && !stress_stop) {
			if (!spawn_sleeper(&seed))
				return 0;
			made++;
			alltasks_stats(&len, &cap, &arrays);
		}
		gc_wait_marking();
		if (stress_stop)
			break;
		uint64_t n = gc_cycles();
		if (!spawn_sleeper(&seed))
			return 0;
		made++;
		/* Let this cycle end (cycles may run back to back). */
		while (gc_cycles() == n && gc_marking() && !stress_stop)
			task_sleep_ns(200 * 1000);
	}
	return 0;
}

static void stop_sleepers(void)
{
	uint64_t flags = spin_lock_irqsave(&sleep_lock);
	task_wake_all(&sleep_wq);
	spin_unlock_irqrestore(&sleep_lock, flags);
	for (;;) {
		flags = spin_lock_irqsave(&sleep_lock);
		int left = sleepers_alive;
		spin_unlock_irqrestore(&sleep_lock, flags);
		if (!left)
			return;
		task_sleep_ns(1000 * 1000);
	}
}

/* ---- the outcome: what the cycles did, counted from their statistics ---- */

struct stress_outcome {
	unsigned run; /* cycles that ran (their statistics were read) */
	unsigned verified; /* ... of which the verifier passed */
	uint64_t created, at_stop2, growths;
};

static void count_cycle(struct stress_outcome *o, const struct gc_cycle_stats *s)
{
	o->run++;
	o->verified += s->verified;
	o->created += s->tasks_created;
	o->at_stop2 += s->stacks_at_stop2;
	o->growths += s->slice_growths;
}

/* The closing lines say what happened, never what was asked for; returns
 * the number of failures. */
static int report(const struct stress_outcome *o, unsigned cycles, uint64_t ms, uint64_t nil)
{
	unsigned not_run = cycles - o->run;
	unsigned not_verified = gc_get_verify() ? o->run - o->verified : 0;
	kprintf("gcstress: %u of %u cycles run in %llu ms: %llu tasks created while marking, "
		"%llu children checked, %llu stacks finished in stop 2, %llu slice growths "
		"published while marking, %llu nil tasks read; every list, tree and result "
		"checked\n",
		o->run, cycles, (unsigned long long)ms, (unsigned long long)o->created,
		(unsigned long long)children_checked, (unsigned long long)o->at_stop2,
		(unsigned long long)o->growths, (unsigned long long)nil);
	uint64_t failures = not_run + not_verified + nil;
	if (!failures) {
		kprintf("gcstress: passed: %u cycles, %s\n", o->run,
			gc_get_verify() ? "every mark verified" : "verifier off");
		return 0;
	}
	kprintf("gcstress: FAILED: %u cycles not run, %u not verified, %llu nil tasks read\n",
		not_run, not_verified, (unsigned long long)nil);
	return failures > 1000000 ? 1000000 : (int)failures;
}

/* ---- the run: start the tasks, drive the cycles, stop the tasks ---- */

struct stress_tasks {
	struct task *mutators[MAX_CPUS]; /* one per online core, pinned */
	int nmutators;
	struct task *grower; /* on another core than the driver's */
};

/* With gc_set_catch_nil(true) (demo allgs), the first nil task caught ends
 * the run: the demo has seen what it came for. */
static bool stress_should_stop(void)
{
	struct gc_nil_report nil;
	gc_get_nil_report(&nil);
	return nil.catching && nil.caught > 0;
}

static uint64_t nil_caught(void)
{
	struct gc_nil_report nil;
	gc_get_nil_report(&nil);
	return nil.caught;
}

/* Sleepers at most: half of the stack space left, and no more than GROW_MAX
 * (every sleeper's stack is scanned every cycle). */
static int sleepers_limit(void)
{
	uint64_t used, total;
	stack_usage(&used, &total);
	int limit = (int)((total - used) / 2 / (8192 + 4096));
	return limit > GROW_MAX ? GROW_MAX : limit;
}

/* The grower goes on another core than this one, which drives the cycles: a
 * growth stalls its core (the slice lock masks interrupts), and the
 * collector must go on marking meanwhile. */
static int grower_core(void)
{
	for_each_online_cpu(c)
	{
		if (c->id != cpu_id())
			return c->id;
	}
	return cpu_id();
}

static void start_tasks(struct stress_tasks *t)
{
	memset(t, 0, sizeof *t);
	stress_stop = false;
	children_checked = children_spawned = 0;
	for_each_online_cpu(c)
	{
		t->mutators[c->id] =
		    task_create_on(c->id, true, "gcstress", mutator, (void *)(uintptr_t)c->id, 0);
		t->nmutators += t->mutators[c->id] != NULL;
	}
	grow_limit = sleepers_limit();
	t->grower = task_create_on(grower_core(), true, "gcstress-grow", grower, NULL, 0);
}

static void stop_tasks(struct stress_tasks *t)
{
	stress_stop = true;
	/* The grower may be waiting for a cycle to mark: give it one. */
	while (t->grower && !task_done(t->grower))
		gc_collect();
	if (t->grower)
		task_join(t->grower);
	stop_sleepers();
	for (int i = 0; i < MAX_CPUS; i++)
		if (t->mutators[i])
			task_join(t->mutators[i]);
	check_shared();
	for (int i = 0; i < SHARED_SLOTS; i++)
		gc_write(&shared[i], NULL);
}

/* Run the cycles, counting what they did into o; keep the statistics of the
 * last keep_n of them in kept (if not NULL), for the pause table. */
static void run_cycles(unsigned cycles, bool quiet, struct stress_outcome *o,
		       struct gc_cycle_stats *kept, size_t keep_n)
{
	for (unsigned i = 0; i < cycles && !stress_should_stop(); i++) {
		uint64_t n = gc_collect();
		struct gc_cycle_stats s;
		if (!gc_cycle_stats(n, &s))
			continue; /* not counted as run: shows as a failure */
		if (kept)
			kept[o->run % keep_n] = s;
		count_cycle(o, &s);
		if (!quiet && (i < 5 || (i + 1) % 50 == 0 || i + 1 == cycles))
			gc_print_cycle(&s);
	}
}

int gc_stress(unsigned cycles, bool quiet)
{
	if (!gc_ready()) {
		kprintf("gcstress: no heap\n");
		return 1;
	}
	struct stress_tasks t;
	start_tasks(&t);
	kprintf("gcstress: %u cycles, %d mutators, mode %s%s%s\n", cycles, t.nmutators,
		gc_mode_name(gc_get_mode()), gc_get_inject() ? ", inject=publish-early" : "",
		gc_get_verify() ? ", verifier on" : "");
	uint64_t t0 = timer_ns();
	uint64_t nil0 = nil_caught();
	struct stress_outcome o = {0};
	/* Every cycle's statistics (the last PAUSE_CYCLES), for the pause table.
	 * malloc'd: the collector does not scan that memory. */
	size_t keep = cycles < PAUSE_CYCLES ? cycles : PAUSE_CYCLES;
	struct gc_cycle_stats *kept = quiet ? NULL : malloc(keep * sizeof *kept);
	run_cycles(cycles, quiet, &o, kept, keep);
	stop_tasks(&t);
	last_growths = o.growths;
	uint64_t nil = nil_caught() - nil0;
	if (kept)
		gc_print_pauses(kept, o.run < keep ? o.run : keep);
	free(kept);
	return report(&o, cycles, (timer_ns() - t0) / 1000000, nil);
}

uint64_t gc_stress_growths(void)
{
	return last_growths;
}
