/*
 * memloop.h — the loop that measures system emulation against user-mode
 * emulation (memloop.c).  Shared with tools/peers/loop.c.
 */
#ifndef BENCH_MEMLOOP_H
#define BENCH_MEMLOOP_H

#include <stddef.h>
#include <stdint.h>

/* The sizes both builds use. */
#define MEMLOOP_STEPS (20ULL * 1000 * 1000)
#define MEMLOOP_MIB   64

/* steps multiply-adds, each depending on the last; returns the result (so
 * the compiler cannot drop the loop). */
uint64_t memloop_alu(uint64_t steps);
/* steps loads and stores at pseudo-random places of buf (words 64-bit words,
 * a power of two); returns a sum of what was read. */
uint64_t memloop_mem(uint64_t *buf, size_t words, uint64_t steps);

#endif
