/*
 * hosttest.h — helpers shared by the host unit tests: loading the generated
 * device trees, poking at raw blob bytes (independently of kernel/firmware/fdt.c, so a
 * bug there cannot hide itself), a fixed-seed PRNG and warning capture.
 *
 * Include after <cmocka.h>: the loaders fail the running test on error.
 */
#ifndef HOSTTEST_H
#define HOSTTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Byte offsets of the FDT header fields. */
enum {
	HT_MAGIC = 0,
	HT_TOTALSIZE = 4,
	HT_OFF_STRUCT = 8,
	HT_OFF_STRINGS = 12,
	HT_OFF_RSVMAP = 16,
	HT_VERSION = 20,
	HT_LAST_COMP = 24,
	HT_BOOT_CPU = 28,
	HT_SIZE_STRINGS = 32,
	HT_SIZE_STRUCT = 36,
};

/* Structure-block tokens, spelled out here rather than taken from fdt.c. */
enum { HT_BEGIN_NODE = 1, HT_END_NODE = 2, HT_PROP = 3, HT_NOP = 4, HT_END = 9 };

/* Directory holding the generated blobs: $HOSTTEST_DTB_DIR, else dtb/ next to
 * the test binary (build/host/dtb), so the tests run from any directory. */
const char *ht_dtb_dir(void);

/* Load dtb/<name> into a heap buffer of exactly its size (free() it); fails the
 * current test if the file is missing: the Makefile must have made it. */
uint8_t *ht_load_dtb(const char *name, size_t *size);

/* A heap copy of exactly n bytes, so ASan reports any read past the end. */
uint8_t *ht_dup(const void *p, size_t n);

uint32_t ht_get32(const uint8_t *p);
void ht_put32(uint8_t *p, uint32_t v);

/* QEMU pads its blob to 1 MiB; set totalsize to the bytes the blocks use and
 * return it, so byte-level loops cover only meaningful bytes. */
size_t ht_pack(uint8_t *blob);

/* Offset in the structure block of the nth (0-based) occurrence of token tok,
 * or -1.  Only for well-formed blobs (it is the tests' own walker). */
long ht_find_token(const uint8_t *blob, uint32_t tok, int nth);
/* Offset in the structure block of the first PROP token named name, or -1;
 * with node non-NULL, only a property of a node with exactly that name. */
long ht_find_prop(const uint8_t *blob, const char *node, const char *name);
/* Cut that property's value to newlen bytes (a multiple of 4), filling the
 * freed space with NOP tokens: the blob stays valid, the value gets shorter. */
void ht_shrink_prop(uint8_t *blob, const char *node, const char *name, uint32_t newlen);

/* Kill the whole binary with a message after `seconds`: cmocka has no
 * timeouts, and a loop bounded by a value from a broken tree would otherwise
 * hang the test run instead of failing it.  The last "[ RUN      ]" line
 * names the culprit. */
void ht_watchdog(unsigned seconds);

/* xorshift32: the same sequence on every run, so a failure reproduces. */
uint32_t ht_rand(uint32_t *state);

/* Warning capture, usable as both dt_warn_fn and bootargs_warn_fn. */
void ht_warn(const char *msg);
void ht_warn_reset(void);
int ht_nwarn(void);
const char *ht_warning(int i);
/* True if some captured warning contains every one of the (up to two)
 * substrings; b may be NULL. */
bool ht_warned(const char *a, const char *b);

#endif
