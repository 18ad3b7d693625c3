/*
 * bootargs.h — the kernel command line: "key=value key2=value2 flag".
 *
 * Portable (host-tested).  The line comes from /chosen/bootargs (QEMU
 * -append) or, without one, from the default built in with make BOOTARGS=.
 * Keys the kernel does not know are reported, not silently dropped.
 */
#ifndef BOOTARGS_H
#define BOOTARGS_H

#include <stdbool.h>

#define BOOTARGS_MAX	 32
#define BOOTARGS_KEY_MAX 32
#define BOOTARGS_VAL_MAX 128

struct bootarg {
	char key[BOOTARGS_KEY_MAX];
	char value[BOOTARGS_VAL_MAX]; /* "" for a bare flag */
};

struct bootargs {
	int n;
	struct bootarg arg[BOOTARGS_MAX];
};

/* The kernel's own boot arguments: parsed once at boot (kernel/init/args.c),
 * read-only after that. */
extern struct bootargs boot_args;

typedef void (*bootargs_warn_fn)(const char *msg);

/*
 * Parse line into ba.  Words are separated by spaces or tabs; a value may be
 * double-quoted to hold spaces.  known is a NULL-terminated list of accepted
 * keys (NULL accepts every key).  Unknown keys, empty keys, over-long words and
 * repeated keys are reported through warn; a repeated key's last value wins.
 * Returns the number of warnings.
 */
int bootargs_parse(struct bootargs *ba, const char *line, const char *const *known,
		   bootargs_warn_fn warn);

/* The value of key, or NULL if absent. */
const char *bootargs_get(const struct bootargs *ba, const char *key);

/* Parse an unsigned number with an optional K/M/G suffix (binary) or ms/us/s
 * for durations is left to the caller; this takes plain decimal or 0x hex.
 * Returns false on garbage or overflow. */
bool bootargs_parse_u64(const char *s, unsigned long long *out);

#endif
