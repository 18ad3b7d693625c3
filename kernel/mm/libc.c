/*
 * libc.c — the hooks newlib needs from its host: a heap (_sbrk), output
 * (_write), exit, and locks.
 *
 * The heap behind malloc is a fixed region right after the kernel image; the
 * garbage-collected heap is separate and much larger.
 *
 * newlib's locks ("retargetable locking") protect malloc, stdio set-up, the
 * environment and so on.  They are recursive spin locks keyed by core: newlib
 * never sleeps inside them, and a task never yields inside newlib, so a core
 * is the right owner.  They mask interrupts while held so an interrupt handler
 * on the same core can never spin on a lock its own core holds.
 */
#include "kernel/mm/libc.h"
#include "boot/boot.h"
#include "kernel/arch/arch.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/firmware/power.h"
#include "kernel/arch/spinlock.h"

#include <errno.h>
#include <stdint.h>
#include <sys/lock.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MALLOC_ARENA_MIN (8u << 20)

static uintptr_t arena_next, arena_end;

void libc_init(uint64_t arena_size)
{
	/* Called once before anything allocates, and again when the RAM size is
	 * known: the second call may only move the end. */
	if (arena_size < MALLOC_ARENA_MIN)
		arena_size = MALLOC_ARENA_MIN;
	uintptr_t start = ALIGN_UP((uintptr_t)_end, 4096);
	if (!arena_next)
		arena_next = start;
	if (start + arena_size > arena_end)
		arena_end = start + arena_size;
}

uintptr_t libc_arena_end(void)
{
	return arena_end;
}

void *_sbrk(ptrdiff_t incr)
{
	/* Called only with newlib's malloc lock held: no other core is here. */
	if (!arena_next)
		libc_init(MALLOC_ARENA_MIN);
	if (incr < 0 || (uintptr_t)incr > arena_end - arena_next) {
		errno = ENOMEM;
		return (void *)-1;
	}
	uintptr_t old = arena_next;
	arena_next += (uintptr_t)incr;
	return (void *)old;
}

int _write(int fd, const void *buf, size_t len)
{
	(void)fd;
	console_write(buf, len);
	return (int)len;
}

int _read(int fd, void *buf, size_t len)
{
	(void)fd;
	(void)buf;
	(void)len;
	return 0;
}

int _close(int fd)
{
	(void)fd;
	return -1;
}

int _fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd)
{
	(void)fd;
	return 1;
}

off_t _lseek(int fd, off_t off, int whence)
{
	(void)fd;
	(void)off;
	(void)whence;
	return 0;
}

int _getpid(void)
{
	return 1;
}

int _kill(int pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EINVAL;
	return -1;
}

void _exit(int status)
{
	system_exit(status);
}

/* ---- newlib's retargetable locks ---- */

struct __lock {
	struct spinlock lock;
	int owner; /* cpu id holding it, -1 if none; written only by the holder */
	int depth;
	uint64_t flags;
};

struct __lock __lock___sinit_recursive_mutex = {SPINLOCK_INIT("newlib-sinit"), -1, 0, 0};
struct __lock __lock___sfp_recursive_mutex = {SPINLOCK_INIT("newlib-sfp"), -1, 0, 0};
struct __lock __lock___atexit_recursive_mutex = {SPINLOCK_INIT("newlib-atexit"), -1, 0, 0};
struct __lock __lock___at_quick_exit_mutex = {SPINLOCK_INIT("newlib-quick-exit"), -1, 0, 0};
struct __lock __lock___malloc_recursive_mutex = {SPINLOCK_INIT("newlib-malloc"), -1, 0, 0};
struct __lock __lock___env_recursive_mutex = {SPINLOCK_INIT("newlib-env"), -1, 0, 0};
struct __lock __lock___tz_mutex = {SPINLOCK_INIT("newlib-tz"), -1, 0, 0};
struct __lock __lock___dd_hash_mutex = {SPINLOCK_INIT("newlib-dd-hash"), -1, 0, 0};
struct __lock __lock___arc4random_mutex = {SPINLOCK_INIT("newlib-arc4random"), -1, 0, 0};

/* Locks newlib creates at run time (per FILE) would need an allocator here;
 * the kernel opens no files, so those calls share one static lock. */
static struct __lock dynamic_lock = {SPINLOCK_INIT("newlib-dynamic"), -1, 0, 0};

void __retarget_lock_init(_LOCK_T *lock)
{
	*lock = &dynamic_lock;
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	*lock = &dynamic_lock;
}

void __retarget_lock_close(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	(void)lock;
}

static int lock_owner_id(void)
{
	struct cpu *c = (struct cpu *)read_sysreg(tpidr_el1);
	return c ? c->id : boot_cpu_id;
}

void __retarget_lock_acquire_recursive(_LOCK_T l)
{
	int me = lock_owner_id();
	/* relaxed: only this core can have stored its own id here */
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me) {
		l->depth++;
		return;
	}
	uint64_t flags = spin_lock_irqsave(&l->lock);
	l->flags = flags;
	__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED); /* inside the lock: ordered by it */
	l->depth = 1;
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
	if (--l->depth > 0)
		return;
	uint64_t flags = l->flags;
	__atomic_store_n(&l->owner, -1, __ATOMIC_RELAXED); /* before the unlock's release */
	spin_unlock_irqrestore(&l->lock, flags);
}

int __retarget_lock_try_acquire_recursive(_LOCK_T l)
{
	int me = lock_owner_id();
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me) { /* as in acquire */
		l->depth++;
		return 1;
	}
	uint64_t flags = irq_save();
	if (!spin_trylock(&l->lock)) {
		irq_restore(flags);
		return 0;
	}
	l->flags = flags;
	__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED); /* as in acquire */
	l->depth = 1;
	return 1;
}

void __retarget_lock_acquire(_LOCK_T l)
{
	__retarget_lock_acquire_recursive(l);
}

void __retarget_lock_release(_LOCK_T l)
{
	__retarget_lock_release_recursive(l);
}

int __retarget_lock_try_acquire(_LOCK_T l)
{
	return __retarget_lock_try_acquire_recursive(l);
}
