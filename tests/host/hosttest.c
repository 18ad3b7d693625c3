/*
 * hosttest.c — see hosttest.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/host/hosttest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ht_dtb_dir(void)
{
	static char dir[4096];
	const char *env = getenv("HOSTTEST_DTB_DIR");

	if (env && *env)
		return env;
	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 16);
		dir[n > 0 ? n : 0] = '\0'; /* readlink does not terminate */
		char *slash = strrchr(dir, '/');
		if (slash)
			strcpy(slash, "/dtb");
		else
			strcpy(dir, "build/host/dtb"); /* no /proc: assume the repo root */
	}
	return dir;
}

uint8_t *ht_dup(const void *p, size_t n)
{
	/* malloc(0) may return NULL; one spare byte keeps that apart from failure
	 * but is never handed out as part of the blob. */
	uint8_t *q = malloc(n ? n : 1);
	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

uint8_t *ht_load_dtb(const char *name, size_t *size)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", ht_dtb_dir(), name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s (run the host tests through tests/host/Makefile, "
			 "which generates it)",
			 path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	rewind(fp);
	assert_true(n > 0);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*size = (size_t)n;
	return buf;
}

uint32_t ht_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ht_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t ht_pack(uint8_t *blob)
{
	uint32_t end = ht_get32(blob + HT_OFF_STRUCT) + ht_get32(blob + HT_SIZE_STRUCT);
	uint32_t s = ht_get32(blob + HT_OFF_STRINGS) + ht_get32(blob + HT_SIZE_STRINGS);
	if (s > end)
		end = s;
	/* The reservation block ends with an all-zero entry. */
	uint32_t r = ht_get32(blob + HT_OFF_RSVMAP);
	while (ht_get32(blob + r) | ht_get32(blob + r + 4) | ht_get32(blob + r + 8) |
	       ht_get32(blob + r + 12))
		r += 16;
	if (r + 16 > end)
		end = r + 16;
	ht_put32(blob + HT_TOTALSIZE, end);
	return end;
}

/* Calls fn for each token of a well-formed structure block, with the name of
 * the node the token belongs to (properties precede subnodes, so that is the
 * latest BEGIN_NODE); stops when fn returns true.  Returns that offset or -1. */
typedef bool (*scan_fn)(const uint8_t *blob, uint32_t off, uint32_t tok, const char *node,
			const void *arg);

static long scan(const uint8_t *blob, scan_fn fn, const void *arg)
{
	const uint8_t *s = blob + ht_get32(blob + HT_OFF_STRUCT);
	uint32_t size = ht_get32(blob + HT_SIZE_STRUCT), off = 0;
	const char *node = "";

	while (off + 4 <= size) {
		uint32_t tok = ht_get32(s + off);
		if (tok == HT_BEGIN_NODE)
			node = (const char *)s + off + 4;
		if (fn(blob, off, tok, node, arg))
			return off;
		switch (tok) {
		case HT_BEGIN_NODE:
			off += 4 + (uint32_t)strlen(node) + 1;
			break;
		case HT_PROP:
			off += 12 + ht_get32(s + off + 4);
			break;
		case HT_END:
			return -1;
		default:
			off += 4;
		}
		off = (off + 3) & ~3u;
	}
	return -1;
}

struct nth {
	uint32_t tok;
	int left;
};

static bool is_nth(const uint8_t *blob, uint32_t off, uint32_t tok, const char *node,
		   const void *arg)
{
	struct nth *n = (struct nth *)arg;
	(void)blob;
	(void)off;
	(void)node;
	return tok == n->tok && n->left-- == 0;
}

long ht_find_token(const uint8_t *blob, uint32_t tok, int nth)
{
	struct nth n = {tok, nth};
	return scan(blob, is_nth, &n);
}

struct named {
	const char *node, *prop;
};

static bool is_named(const uint8_t *blob, uint32_t off, uint32_t tok, const char *node,
		     const void *arg)
{
	const struct named *want = arg;
	if (tok != HT_PROP || (want->node && strcmp(node, want->node) != 0))
		return false;
	const uint8_t *s = blob + ht_get32(blob + HT_OFF_STRUCT);
	const char *strings = (const char *)blob + ht_get32(blob + HT_OFF_STRINGS);
	return strcmp(strings + ht_get32(s + off + 8), want->prop) == 0;
}

long ht_find_prop(const uint8_t *blob, const char *node, const char *name)
{
	struct named want = {node, name};
	return scan(blob, is_named, &want);
}

void ht_shrink_prop(uint8_t *blob, const char *node, const char *name, uint32_t newlen)
{
	long off = ht_find_prop(blob, node, name);
	assert_true(off >= 0);
	uint8_t *p = blob + ht_get32(blob + HT_OFF_STRUCT) + off;
	uint32_t len = ht_get32(p + 4);
	assert_true(newlen <= len && newlen % 4 == 0);
	uint32_t end = (len + 3) & ~3u;
	ht_put32(p + 4, newlen);
	for (uint32_t i = newlen; i < end; i += 4)
		ht_put32(p + 12 + i, HT_NOP);
}

static void on_alarm(int sig)
{
	static const char msg[] = "\nhost test: watchdog expired (endless loop?); giving up\n";
	(void)sig;
	(void)!write(2, msg, sizeof msg - 1);
	_exit(124);
}

void ht_watchdog(unsigned seconds)
{
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

uint32_t ht_rand(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#define HT_MAX_WARN 64

static char warnings[HT_MAX_WARN][256];
static int nwarn;

void ht_warn(const char *msg)
{
	/* The count keeps going past the buffer, so floods are still visible. */
	if (nwarn < HT_MAX_WARN)
		snprintf(warnings[nwarn], sizeof warnings[nwarn], "%s", msg);
	nwarn++;
}

void ht_warn_reset(void)
{
	nwarn = 0;
}

int ht_nwarn(void)
{
	return nwarn;
}

const char *ht_warning(int i)
{
	return i >= 0 && i < nwarn && i < HT_MAX_WARN ? warnings[i] : NULL;
}

bool ht_warned(const char *a, const char *b)
{
	for (int i = 0; i < nwarn && i < HT_MAX_WARN; i++)
		if (strstr(warnings[i], a) && (!b || strstr(warnings[i], b)))
			return true;
	return false;
}
