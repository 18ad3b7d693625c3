/*
 * libc.h — newlib's heap, the region behind malloc (kernel/mm/libc.c).
 */
#ifndef MM_LIBC_H
#define MM_LIBC_H

#include <stdint.h>

/* The malloc arena: arena_size bytes (at least 8 MiB) right after the kernel
 * image.  Called once before anything allocates, with 0, and again when the
 * RAM size is known: the second call may only move the end. */
void libc_init(uint64_t arena_size);
/* The arena's end: the page allocator takes the RAM from there. */
uintptr_t libc_arena_end(void);

#endif
