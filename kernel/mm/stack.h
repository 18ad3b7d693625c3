/*
 * stack.h — task stacks, each with an unmapped guard page below it.
 *
 * Stacks come from one region of RAM mapped with 4 KiB pages.  A stack slot is
 * a guard page followed by the stack; the guard is unmapped when the slot is
 * first carved, so running off the bottom of a stack faults (translation
 * fault, level 3) instead of silently overwriting the neighbour.  Freed slots
 * go back to a free list per size class and keep their guard.
 */
#ifndef STACK_H
#define STACK_H

#include <stdbool.h>
#include <stdint.h>

#define STACK_GUARD 4096ULL

/* Set up the region: size bytes (rounded to 2 MiB) from the page allocator. */
int stack_init(uint64_t size);
/* A stack of at least size bytes: returns its lowest usable address (the
 * guard page is just below) and sets *got to its size; 0 if none is left. */
uint64_t stack_alloc(uint64_t size, uint64_t *got);
void stack_free(uint64_t lo, uint64_t size);
/* Is addr inside some stack's guard page? */
bool stack_is_guard(uint64_t addr);
/* Bytes of the region in use / in all. */
void stack_usage(uint64_t *used, uint64_t *total);

#endif
