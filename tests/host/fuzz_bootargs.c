/*
 * fuzz_bootargs.c — libFuzzer target for kernel/firmware/bootargs.c.
 *
 * The input, cut at its first NUL, is a command line.  It is parsed with a
 * list of known keys and with NULL (every key accepted), with and without a
 * warning callback.  Checked:
 *   - 0 <= n <= BOOTARGS_MAX, and the result is the number of warnings given;
 *   - every key is non-empty, NUL-terminated within its array, holds no
 *     separator and no '=', and (with the list) is a known key;
 *   - every value is NUL-terminated within its array;
 *   - bootargs_get(key) returns that very argument's value (so keys are
 *     distinct); a key the line does not hold gives NULL;
 *   - the same parse without a callback gives the same arguments;
 *   - bootargs_parse_u64 on each value agrees with strtoull on the grammar it
 *     documents (decimal, or 0x/0X hex; no sign, no blanks, no suffix).
 * Every warning message must be a NUL-terminated string.
 * Built and run by `make -f tests/host/Makefile fuzz`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/firmware/bootargs.h"

#include "fuzz_check.h"

static const char *const known[] = {"run",     "exit", "loglevel", "verbose", "msg",
				    "maxcpus", "tick", "a",	   NULL};

static int nwarn;

static void warn(const char *msg)
{
	CHECK(msg != NULL);
	CHECK(strlen(msg) < 4096); /* terminated (ASan checks the read) */
	nwarn++;
}

static bool is_known(const char *key)
{
	for (const char *const *k = known; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

/* What strtoull makes of s under bootargs_parse_u64's grammar. */
static bool ref_u64(const char *s, unsigned long long *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!(*p >= '0' && *p <= '9') &&
		    !(base == 16 && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))))
			return false;
	char *end;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno == 0 && *end == '\0';
}

static void check(const struct bootargs *ba, const char *const *keys)
{
	CHECK(ba->n >= 0 && ba->n <= BOOTARGS_MAX);
	for (int i = 0; i < ba->n; i++) {
		const struct bootarg *a = &ba->arg[i];
		CHECK(memchr(a->key, '\0', sizeof a->key) != NULL);
		CHECK(memchr(a->value, '\0', sizeof a->value) != NULL);
		CHECK(a->key[0] != '\0');
		CHECK(strpbrk(a->key, " \t\r\n=") == NULL);
		if (keys)
			CHECK(is_known(a->key));
		CHECK(bootargs_get(ba, a->key) == a->value);

		unsigned long long v = 12345, r;
		bool ok = bootargs_parse_u64(a->value, &v);
		bool rok = ref_u64(a->value, &r);
		CHECK(ok == rok);
		if (ok)
			CHECK(v == r);
		else
			CHECK(v == 12345); /* left alone on failure */
	}
	/* "=x" can never be a key: an empty key is refused. */
	CHECK(bootargs_get(ba, "") == NULL);
}

static struct bootargs ba, ba2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan sees a read past the terminator. */
	size_t len = strnlen((const char *)data, size);
	char *line = malloc(len + 1);
	CHECK(line);
	memcpy(line, data, len);
	line[len] = '\0';

	static const char *const *const lists[] = {known, NULL};
	for (int l = 0; l < 2; l++) {
		memset(&ba, 0x5a, sizeof ba);
		nwarn = 0;
		int w = bootargs_parse(&ba, line, lists[l], warn);
		CHECK(w == nwarn);
		check(&ba, lists[l]);

		memset(&ba2, 0xa5, sizeof ba2);
		CHECK(bootargs_parse(&ba2, line, lists[l], NULL) == w);
		CHECK(ba2.n == ba.n);
		for (int i = 0; i < ba.n; i++) {
			CHECK(strcmp(ba.arg[i].key, ba2.arg[i].key) == 0);
			CHECK(strcmp(ba.arg[i].value, ba2.arg[i].value) == 0);
		}
	}
	free(line);
	return 0;
}
