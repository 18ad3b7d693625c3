/*
 * bootargs.c — the command-line parser.  See bootargs.h.
 */
#include "bootargs.h"

#include <stdio.h>
#include <string.h>

struct bootargs boot_args;

static void warn_msg(bootargs_warn_fn warn, const char *fmt, const char *what)
{
	char msg[200];
	if (!warn)
		return;
	snprintf(msg, sizeof msg, fmt, what);
	warn(msg);
}

static bool is_known(const char *const *known, const char *key)
{
	if (!known)
		return true;
	for (; *known; known++)
		if (strcmp(*known, key) == 0)
			return true;
	return false;
}

static struct bootarg *find(struct bootargs *ba, const char *key)
{
	for (int i = 0; i < ba->n; i++)
		if (strcmp(ba->arg[i].key, key) == 0)
			return &ba->arg[i];
	return NULL;
}

/* Copy one word (up to the next unquoted blank) into key and value. */
static const char *split_word(const char *p, char *key, char *value, bool *too_long,
			      bool *unterminated)
{
	size_t k = 0, v = 0;
	bool in_value = false, quoted = false;

	*too_long = false;
	*unterminated = false;
	for (; *p; p++) {
		char c = *p;
		if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
			break;
		if (c == '"' && in_value) {
			quoted = !quoted;
			continue;
		}
		if (c == '=' && !in_value) {
			in_value = true;
			continue;
		}
		if (!in_value) {
			if (k + 1 < BOOTARGS_KEY_MAX)
				key[k++] = c;
			else
				*too_long = true;
		} else {
			if (v + 1 < BOOTARGS_VAL_MAX)
				value[v++] = c;
			else
				*too_long = true;
		}
	}
	key[k] = '\0';
	value[v] = '\0';
	*unterminated = quoted;
	return p;
}

int bootargs_parse(struct bootargs *ba, const char *line, const char *const *known,
		   bootargs_warn_fn warn)
{
	int warnings = 0;
	const char *p = line ? line : "";

	ba->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		char key[BOOTARGS_KEY_MAX], value[BOOTARGS_VAL_MAX];
		bool too_long, unterminated;
		const char *start = p;
		p = split_word(p, key, value, &too_long, &unterminated);

		char word[48];
		size_t wl =
		    (size_t)(p - start) < sizeof word - 1 ? (size_t)(p - start) : sizeof word - 1;
		memcpy(word, start, wl);
		word[wl] = '\0';

		if (unterminated) {
			warn_msg(warn, "bootargs: unterminated quote in '%s'", word);
			warnings++;
		}
		if (key[0] == '\0') {
			warn_msg(warn, "bootargs: '%s' has no key (ignored)", word);
			warnings++;
			continue;
		}
		if (too_long) {
			warn_msg(warn, "bootargs: '%s' is too long (ignored)", word);
			warnings++;
			continue;
		}
		if (!is_known(known, key)) {
			warn_msg(warn, "bootargs: unknown key '%s' (ignored)", key);
			warnings++;
			continue;
		}
		struct bootarg *a = find(ba, key);
		if (a) {
			warn_msg(warn, "bootargs: '%s' given more than once; the last one wins",
				 key);
			warnings++;
		} else {
			if (ba->n >= BOOTARGS_MAX) {
				warn_msg(warn, "bootargs: too many arguments, '%s' ignored", key);
				warnings++;
				continue;
			}
			a = &ba->arg[ba->n++];
			strcpy(a->key, key);
		}
		strcpy(a->value, value);
	}
	return warnings;
}

const char *bootargs_get(const struct bootargs *ba, const char *key)
{
	for (int i = 0; i < ba->n; i++)
		if (strcmp(ba->arg[i].key, key) == 0)
			return ba->arg[i].value;
	return NULL;
}

bool bootargs_parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned base = 10;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (~0ULL - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
