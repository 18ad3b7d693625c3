/*
 * alltasks.h — the global task slice: every task ever created.
 * The protocol is explained at the top of alltasks.c.
 */
#ifndef ALLTASKS_H
#define ALLTASKS_H

#include <stddef.h>
#include <stdint.h>

struct task;

/* A view of the slice: `len` entries from `ptr`. */
struct tasks_view {
	struct task **ptr;
	size_t len;
};

/* Append t (a new, never-listed task) to the slice; sets t->slot.  Returns 0,
 * or -1 if the slice could not grow (no memory): t is then not listed. */
int alltasks_add(struct task *t);

/* 1. Snapshot: the header, to be taken while the world is stopped (or with
 *    the lock held).  Every entry below .len stays valid and unchanged
 *    forever, so the snapshot can be read afterwards without the lock. */
struct tasks_view alltasks_snapshot(void);

/* 2. Locked iteration: fn on every task, with the slice lock held. */
void alltasks_for_each_locked(void (*fn)(struct task *t, void *arg), void *arg);

/* 3. Racy iteration without the lock: load the length (acquire), then the
 *    pointer (acquire).  Sees every task added before the call started, and
 *    maybe some added during it.  Only while the slice publishes its arrays
 *    with ALLTASKS_PUBLISH_RELEASE (the default): with _PLAIN or _EARLY a
 *    reader that gets the old length may still get the new array before the
 *    copy into it, and read NULL entries below that length. */
struct tasks_view alltasks_racy(void);

/* The live header, read with no ordering at all: what Go 1.17's markroot
 * did.  Only the racy-GC demonstration may use it. */
struct tasks_view alltasks_unordered(void);

/* Size and capacity, consistent with each other (taken under the lock). */
void alltasks_stats(size_t *len, size_t *cap, size_t *arrays);

/* Hook for teaching and tests: called between the steps of a growth (see
 * alltasks.c), and with GROW_PUBLISHED_LEN after every add; NULL normally. */
enum alltasks_step { GROW_ALLOCATED, GROW_COPIED, GROW_PUBLISHED_PTR, GROW_PUBLISHED_LEN };
extern void (*alltasks_grow_hook)(enum alltasks_step step, struct task **new_array, size_t len);

/* How a growth publishes the new array (see alltasks.c). */
enum alltasks_publish {
	ALLTASKS_PUBLISH_RELEASE, /* copy, then store-release the pointer */
	ALLTASKS_PUBLISH_PLAIN, /* copy, then a plain store: Go 1.17 */
	ALLTASKS_PUBLISH_EARLY, /* store the pointer, delay, then copy: the bug, forced */
};
void alltasks_set_publish(enum alltasks_publish order);
enum alltasks_publish alltasks_get_publish(void);
/* With ALLTASKS_PUBLISH_EARLY: called between the early publish and the copy,
 * with the slice lock held. */
extern void (*alltasks_publish_delay)(void);

/* Portable core of the growth, host-tested: the next capacity. */
size_t alltasks_next_cap(size_t cap, size_t need);

#endif
