/*
 * alltasks.c — the global task slice.
 *
 * Every task ever created is recorded here, once, in creation order: the
 * slice never shrinks and an entry, once written, never changes.  (A dead
 * task's struct is reused for a later task, but it stays in its slot.)  This
 * is Go's allgs (runtime/proc.go), and it is here for the same reason: the
 * garbage collector walks it to find every task's stack.
 *
 * The slice is three words: ptr (the backing array), len and cap.  Writers
 * (task creation) serialise on alltasks_lock.  Appending when len < cap
 * writes the entry and then publishes the new length.  Appending when the
 * array is full grows it, in Go's append order:
 *
 *   1. allocate a new array of at least twice the capacity (zeroed);
 *   2. copy the old entries into it                      <- write A
 *   3. publish the new array: ptr = new                  <- write B
 *   4. add the entry and publish the new length.
 *
 * How step 3 is ordered after step 2 is selectable, to teach the Go bug:
 * ALLTASKS_PUBLISH_RELEASE (a store-release: the default), _PLAIN (a plain
 * store, as Go 1.17's append: an Arm core may let others see B before A) and
 * _EARLY (B is written first, then a delay, then A: the reordering forced,
 * so an x86-hosted QEMU shows it too).
 *
 * The old array is never freed: a reader that loaded the old ptr may still be
 * reading it, and its entries stay correct forever (they are never changed).
 *
 * Readers come in three kinds, each with the ordering it relies on:
 *
 *   - with the world stopped, or holding the lock (alltasks_snapshot): no
 *     writer runs, so plain loads see a consistent header.  This is what the
 *     collector does (Go 1.18 and later): it takes the header during the stop
 *     and afterwards reads only entries below that length, which never change.
 *
 *   - racy, without the lock (alltasks_racy): load len with acquire, then ptr
 *     with acquire.  Writers store ptr (release) before len (release), so a
 *     reader that sees a new len also sees an array at least that long whose
 *     entries were copied before it was published.  New tasks may be missed.
 *     That holds only for ALLTASKS_PUBLISH_RELEASE: with _PLAIN or _EARLY
 *     nothing orders the copy before the new ptr, so a reader that loads the
 *     old len and then the new ptr can find NULL entries below that len.
 *
 *   - unordered (alltasks_unordered): plain loads of the live header during
 *     concurrent marking.  This is Go 1.17's markroot, and it is wrong on a
 *     weak-memory machine: write B may become visible before write A, and the
 *     reader then finds a NULL entry in the new array.  allstop keeps it to
 *     demonstrate exactly that bug (gc=racy; docs/the-allgs-bug.md).
 */
#include "kernel/task/alltasks.h"
#include "kernel/arch/spinlock.h"
#include "kernel/task/task.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 16

static struct spinlock alltasks_lock = SPINLOCK_INIT("alltasks");
static struct task **all_ptr; /* written with release, under the lock */
static size_t all_len; /* written with release, under the lock */
static size_t all_cap; /* only under the lock */
static size_t arrays; /* backing arrays allocated (old ones are kept) */

void (*alltasks_grow_hook)(enum alltasks_step step, struct task **new_array, size_t len);
void (*alltasks_publish_delay)(void);
static enum alltasks_publish publish_order = ALLTASKS_PUBLISH_RELEASE;

void alltasks_set_publish(enum alltasks_publish order)
{
	uint64_t flags = spin_lock_irqsave(&alltasks_lock);
	publish_order = order;
	spin_unlock_irqrestore(&alltasks_lock, flags);
}

enum alltasks_publish alltasks_get_publish(void)
{
	return publish_order;
}

size_t alltasks_next_cap(size_t cap, size_t need)
{
	/* At least double, as Go's append does for a small slice; 0 on overflow. */
	if (cap > SIZE_MAX / 2)
		return 0;
	size_t n = cap ? cap * 2 : INITIAL_CAP;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return 0;
		n *= 2;
	}
	return n;
}

static void report_step(enum alltasks_step step, struct task **a, size_t len)
{
	if (alltasks_grow_hook)
		alltasks_grow_hook(step, a, len);
}

/* Called with the lock held and the array full. */
static int grow(void)
{
	size_t cap = alltasks_next_cap(all_cap, all_len + 1);
	if (!cap)
		return -1;
	struct task **a = calloc(cap, sizeof *a); /* 1. allocate, zeroed */
	if (!a)
		return -1;
	report_step(GROW_ALLOCATED, a, all_len);
	/* release fence: calloc's zeroing is visible before any later store (the
	 * copy, the publish), as the publication barrier at the end of Go's
	 * mallocgc: a reader of the new array sees zeros or copied entries,
	 * never what the memory held before */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	struct task **old = all_ptr;
	size_t n = all_len;
	switch (publish_order) {
	case ALLTASKS_PUBLISH_EARLY:
		/* Write B before write A, with time in between: what a weak-memory
		 * core may let other cores see.  relaxed, on purpose (the bug) */
		__atomic_store_n(&all_ptr, a, __ATOMIC_RELAXED);
		if (alltasks_publish_delay)
			alltasks_publish_delay();
		if (n)
			memcpy(a, old, n * sizeof *a); /* write A, late */
		report_step(GROW_COPIED, a, n);
		break;
	case ALLTASKS_PUBLISH_PLAIN:
		if (n)
			memcpy(a, old, n * sizeof *a); /* 2. copy: write A */
		report_step(GROW_COPIED, a, n);
		/* 3. publish: write B.  relaxed, as Go 1.17's append: nothing orders
		 * it after write A, and an Arm core may make it visible first */
		__atomic_store_n(&all_ptr, a, __ATOMIC_RELAXED);
		break;
	default:
		if (n)
			memcpy(a, old, n * sizeof *a); /* 2. copy: write A */
		report_step(GROW_COPIED, a, n);
		/* 3. publish: write B.  release: the copy (A) is visible to any
		 * reader that acquires this pointer */
		__atomic_store_n(&all_ptr, a, __ATOMIC_RELEASE);
	}
	report_step(GROW_PUBLISHED_PTR, a, all_len);
	all_cap = cap;
	arrays++;
	return 0;
}

int alltasks_add(struct task *t)
{
	uint64_t flags = spin_lock_irqsave(&alltasks_lock);
	if (all_len == all_cap && grow() != 0) {
		spin_unlock_irqrestore(&alltasks_lock, flags);
		return -1;
	}
	t->slot = (int)all_len;
	/* The entry is written before the length that covers it is published. */
	all_ptr[all_len] = t;
	/* 4. release: the entry (and the array) are visible to any reader that
	 * acquires this length */
	__atomic_store_n(&all_len, all_len + 1, __ATOMIC_RELEASE);
	report_step(GROW_PUBLISHED_LEN, all_ptr, all_len);
	spin_unlock_irqrestore(&alltasks_lock, flags);
	return 0;
}

struct tasks_view alltasks_snapshot(void)
{
	/* The world is stopped or we hold the lock: nothing is changing, and the
	 * stop (or the lock) orders these loads after the last writer's stores. */
	uint64_t flags = spin_lock_irqsave(&alltasks_lock);
	struct tasks_view v = {all_ptr, all_len};
	spin_unlock_irqrestore(&alltasks_lock, flags);
	return v;
}

void alltasks_for_each_locked(void (*fn)(struct task *t, void *arg), void *arg)
{
	uint64_t flags = spin_lock_irqsave(&alltasks_lock);
	for (size_t i = 0; i < all_len; i++)
		fn(all_ptr[i], arg);
	spin_unlock_irqrestore(&alltasks_lock, flags);
}

struct tasks_view alltasks_racy(void)
{
	struct tasks_view v;
	/* acquire: pairs with the release of len in alltasks_add; load len first */
	v.len = __atomic_load_n(&all_len, __ATOMIC_ACQUIRE);
	/* acquire: pairs with the release of ptr in grow(); this ptr is the one
	 * published with that len or a later one, never an earlier, shorter one */
	v.ptr = __atomic_load_n(&all_ptr, __ATOMIC_ACQUIRE);
	return v;
}

struct tasks_view alltasks_unordered(void)
{
	struct tasks_view v;
	/* relaxed, on purpose: this is the bug (see the comment at the top) */
	v.ptr = __atomic_load_n(&all_ptr, __ATOMIC_RELAXED);
	v.len = __atomic_load_n(&all_len, __ATOMIC_RELAXED); /* relaxed, and read second: the bug */
	return v;
}

void alltasks_stats(size_t *len, size_t *cap, size_t *narrays)
{
	uint64_t flags = spin_lock_irqsave(&alltasks_lock);
	*len = all_len;
	*cap = all_cap;
	*narrays = arrays;
	spin_unlock_irqrestore(&alltasks_lock, flags);
}
