/*
 * stress.c — run=gcstress, "gc stress", and the collector tests' workload:
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
#include "gc/internal.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/panic/panic.h"
#include "kernel/mm/stack.h"
#include "kernel/arch/timer.h"

#include <stdlib.h>
#include <string.h>

#define NODE_MAGIC   0x4e4f44456e6f6465ULL
#define BLOB_MAGIC   0x424c4f42626c6f62ULL
#define RESULT_MAGIC 0x524553554c54ULL
#define LIST_TARGET  200
#define SHARED_SLOTS 64
#define PAUSE_CYCLES 4096 /* cycles kept for the pause table */

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

static int64_t mutator(void *arg)
{
	int core = (int)(uintptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(core + 1);
	size_t len = 0;
	uint64_t sum = 0;
	gc_write(&stress_lists[core], NULL);
	struct task *kids[3] = {NULL, NULL, NULL};
	for (uint64_t op = 0; !stress_stop; op++) {
		uint64_t r = rnd(&seed) % 100;
		struct node **root = &stress_lists[core];
		if (r < 45 || len < LIST_TARGET / 2) {
			/* push a node */
			struct node *n = new_node(rnd(&seed) % 1000, &seed);
			if (n) {
				gc_write(&n->next, *root);
				gc_write(root, n);
				len++;
				sum += n->value;
			}
		} else if (r < 90 && len > 0) {
			/* unlink the k-th node */
			size_t k = rnd(&seed) % len;
			struct node **pp = root;
			while (k--)
				pp = &(*pp)->next;
			struct node *victim = *pp;
			check_node("unlink", victim);
			sum -= victim->value;
			len--;
			gc_write(pp, victim->next);
		} else if (r < 95 && len > 0) {
			/* rewrite a value: a new blob, the old one becomes garbage */
			struct node *n = *root;
			struct node *fresh = new_node(rnd(&seed) % 1000, &seed);
			if (fresh) {
				sum = sum - n->value + fresh->value;
				n->value = fresh->value;
				gc_write(&n->blob, fresh->blob);
			}
		} else if (r < 97) {
			/* replace the whole list with a copy: the old one is garbage */
			struct node *copy = NULL, **tail = &copy;
			for (struct node *p = *root; p; p = p->next) {
				struct node *n = new_node(p->value, &seed);
				if (!n)
					break;
				gc_write(tail, n);
				tail = &n->next;
			}
			if (tail != &copy || !*root) {
				size_t n = 0;
				uint64_t s = 0;
				for (struct node *p = copy; p; p = p->next, n++)
					s += p->value;
				gc_write(root, copy);
				len = n;
				sum = s;
			}
		} else {
			/* a child task, joined a few rounds later */
			int k = (int)(rnd(&seed) % 3);
			if (kids[k]) {
				struct node *res = (struct node *)(uintptr_t)task_join(kids[k]);
				if (res) {
					check_node("child's result", res);
					if (res->value != RESULT_MAGIC)
						corrupt("child's result", res, "has a wrong value");
				}
				__atomic_fetch_add(&children_checked, 1,
						   __ATOMIC_RELAXED); /* a statistic */
			}
			kids[k] = spawn_child(&seed);
		}
		(void)gc_alloc(32 + rnd(&seed) % 200, GC_NOSCAN); /* garbage at once */
		if (op % 64 == 0) {
			check_list(core, *root, len, sum);
			check_shared();
		}
		if (op % 8 == 0)
			task_yield();
	}
	for (int k = 0; k < 3; k++)
		if (kids[k])
			task_join(kids[k]);
	check_list(core, stress_lists[core], len, sum);
	gc_write(&stress_lists[core], NULL);
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
	unsigned not_verified = gc.verify ? o->run - o->verified : 0;
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
			gc.verify ? "every mark verified" : "verifier off");
		return 0;
	}
	kprintf("gcstress: FAILED: %u cycles not run, %u not verified, %llu nil tasks read\n",
		not_run, not_verified, (unsigned long long)nil);
	return failures > 1000000 ? 1000000 : (int)failures;
}

int gc_stress(unsigned cycles, bool quiet)
{
	if (!gc.ready) {
		kprintf("gcstress: no heap\n");
		return 1;
	}
	struct task *m[MAX_CPUS] = {0};
	stress_stop = false;
	int nm = 0;
	for_each_online_cpu(c)
	{
		m[c->id] =
		    task_create_on(c->id, true, "gcstress", mutator, (void *)(uintptr_t)c->id, 0);
		nm += m[c->id] != NULL;
	}
	children_checked = children_spawned = 0;
	uint64_t used, total;
	stack_usage(&used, &total);
	grow_limit = (int)((total - used) / 2 / (8192 + 4096));
	if (grow_limit > GROW_MAX)
		grow_limit = GROW_MAX; /* every sleeper's stack is scanned every cycle */
	/* The grower on another core than this one, which drives the cycles: a
	 * growth stalls its core (the slice lock masks interrupts), and the
	 * collector must go on marking meanwhile. */
	int gcore = cpu_id();
	for_each_online_cpu(c)
	{
		if (c->id != cpu_id()) {
			gcore = c->id;
			break;
		}
	}
	struct task *grow = task_create_on(gcore, true, "gcstress-grow", grower, NULL, 0);
	kprintf("gcstress: %u cycles, %d mutators, mode %s%s%s\n", cycles, nm,
		gc_mode_name(gc.mode), gc.inject ? ", inject=publish-early" : "",
		gc.verify ? ", verifier on" : "");
	uint64_t t0 = timer_ns();
	/* relaxed: a counter, read before and after the cycles */
	uint64_t nil0 = __atomic_load_n(&gc.nil_caught, __ATOMIC_RELAXED);
	struct stress_outcome o = {0};
	/* Every cycle's statistics (the last PAUSE_CYCLES), for the pause table.
	 * malloc'd: the collector does not scan that memory. */
	size_t keep = cycles < PAUSE_CYCLES ? cycles : PAUSE_CYCLES;
	struct gc_cycle_stats *kept = quiet ? NULL : malloc(keep * sizeof *kept);
	for (unsigned i = 0; i < cycles && !gc_stress_should_stop(); i++) {
		uint64_t n = gc_collect();
		struct gc_cycle_stats s;
		if (!gc_cycle_stats(n, &s))
			continue; /* not counted as run: shows as a failure below */
		if (kept)
			kept[o.run % keep] = s;
		count_cycle(&o, &s);
		if (!quiet && (i < 5 || (i + 1) % 50 == 0 || i + 1 == cycles))
			gc_print_cycle(&s);
	}
	stress_stop = true;
	/* The grower may be waiting for a cycle to mark: give it one. */
	while (grow && !task_done(grow))
		gc_collect();
	if (grow)
		task_join(grow);
	stop_sleepers();
	for (int i = 0; i < MAX_CPUS; i++)
		if (m[i])
			task_join(m[i]);
	check_shared();
	for (int i = 0; i < SHARED_SLOTS; i++)
		gc_write(&shared[i], NULL);
	last_growths = o.growths;
	/* relaxed: as above */
	uint64_t nil = __atomic_load_n(&gc.nil_caught, __ATOMIC_RELAXED) - nil0;
	if (kept)
		gc_print_pauses(kept, o.run < keep ? o.run : keep);
	free(kept);
	return report(&o, cycles, (timer_ns() - t0) / 1000000, nil);
}

uint64_t gc_stress_growths(void)
{
	return last_growths;
}
