/*
 * memloop.c — one loop, compiled twice: into the kernel (run=bench:loop,
 * under qemu-system-aarch64) and into a Linux program (tools/peers/loop.c,
 * under qemu-aarch64).  The peers of the binary-trees benchmark run in user
 * mode, where QEMU translates a guest address by adding an offset; the
 * kernel runs under system emulation, where every load and store goes
 * through QEMU's software TLB and page tables.  This loop measures that
 * handicap, so the benchmark can report it beside the ratios.
 *
 * Two kinds of work, the same in both builds:
 *   alu   a dependent chain of multiply-adds: no memory at all, so the two
 *         emulators should take the same time;
 *   mem   loads and stores at pseudo-random places in a buffer of some MiB
 *         (larger than the software TLB covers): the emulated MMU's cost.
 *
 * Plain portable C, no kernel or libc headers beyond <stddef.h>/<stdint.h>.
 */
#include "kernel/bench/memloop.h"

uint64_t memloop_alu(uint64_t steps)
{
	uint64_t x = 1;
	for (uint64_t i = 0; i < steps; i++)
		x = x * 6364136223846793005ULL + i; /* each step needs the one before */
	return x;
}

uint64_t memloop_mem(uint64_t *buf, size_t words, uint64_t steps)
{
	uint64_t x = 1, sum = 0;
	size_t mask = words - 1; /* words is a power of two */
	for (uint64_t i = 0; i < steps; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t at = (size_t)(x >> 20) & mask;
		sum += buf[at];
		buf[at] = sum;
	}
	return sum;
}
