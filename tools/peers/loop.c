/*
 * loop.c — the memloop of kernel/bench/memloop.c as a Linux program, run
 * under qemu-aarch64 by tools/bench-peers beside the kernel's run=bench:loop
 * under qemu-system-aarch64: the ratio of the two times is the handicap of
 * system emulation (QEMU's software MMU) that the peers do not pay.
 *
 * Prints the kernel's lines exactly:
 *   csv loop header kind,steps,mib,ns
 *   csv loop row alu,STEPS,0,NS
 *   csv loop row mem,STEPS,MIB,NS
 * The buffer is written once before the timing, so Linux's page faults are
 * not in the figure.
 *
 * Build (from the repository root): gcc -O2 -I. tools/peers/loop.c kernel/bench/memloop.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/bench/memloop.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

volatile uint64_t sink; /* the loops' results, so the compiler keeps them */

int main(void)
{
	size_t words = (size_t)MEMLOOP_MIB * 1024 * 1024 / 8;
	uint64_t *buf = malloc(words * sizeof *buf);
	if (buf == NULL) {
		fprintf(stderr, "loop: cannot allocate %d MiB\n", MEMLOOP_MIB);
		return 1;
	}
	memset(buf, 0, words * sizeof *buf);

	printf("csv loop header kind,steps,mib,ns\n");
	uint64_t t = now_ns();
	sink = memloop_alu(MEMLOOP_STEPS);
	t = now_ns() - t;
	printf("csv loop row alu,%llu,0,%llu\n", (unsigned long long)MEMLOOP_STEPS,
	       (unsigned long long)t);

	t = now_ns();
	sink = memloop_mem(buf, words, MEMLOOP_STEPS);
	t = now_ns() - t;
	printf("csv loop row mem,%llu,%d,%llu\n", (unsigned long long)MEMLOOP_STEPS, MEMLOOP_MIB,
	       (unsigned long long)t);
	free(buf);
	return 0;
}
