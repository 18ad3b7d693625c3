/*
 * settings.c — the collector's settings by name: one table, read by the boot
 * arguments (kernel/init/args.c: gc=racy, inject=publish-early, gcverify=on)
 * and by the shell (kernel/shell/cmd_gc.c: gc mode racy, gc inject
 * publish-early, gc verify on), so both take the same words.
 *
 * Each setting lists the words it takes, each with the value its setter
 * gets.  A word may have an alias: the spelling one of the two used before
 * they shared this table (inject=none for off, gcverify=1 and "gc verify 1"
 * for on), still accepted and shown in help.  A key is either the setting's
 * shell name or its boot argument: gc_setting_set("gc", "racy") and
 * gc_setting_set("mode", "racy") do the same.
 *
 * Portable (only gc.h and <string.h>): tests/host/test_gc_settings.c runs it
 * against stub setters.
 */
#include "gc/gc.h"

#include <string.h>

static void set_mode(int v)
{
	gc_set_mode((enum gc_mode)v);
}

static int get_mode(void)
{
	return (int)gc_get_mode();
}

static void set_inject(int v)
{
	gc_set_inject(v != 0);
}

static int get_inject(void)
{
	return gc_get_inject();
}

static void set_verify(int v)
{
	gc_set_verify(v != 0);
}

static int get_verify(void)
{
	return gc_get_verify();
}

static void set_auto(int v)
{
	gc_set_auto(v != 0);
}

static int get_auto(void)
{
	return gc_get_auto();
}

const struct gc_setting gc_settings[] = {
    {"mode",
     "gc",
     "mode",
     "stack roots from the snapshot (Go 1.18) or the live slice (1.17)",
     set_mode,
     get_mode,
     {{"fixed", NULL, GC_FIXED}, {"racy", NULL, GC_RACY}}},
    {"inject",
     "inject",
     "injection",
     "the task slice publishes its new array before the copy",
     set_inject,
     get_inject,
     {{"publish-early", NULL, 1}, {"off", "none", 0}}},
    {"verify",
     "gcverify",
     "verifier",
     "check every mark and poison freed memory",
     set_verify,
     get_verify,
     {{"on", "1", 1}, {"off", "0", 0}}},
    {"auto",
     NULL,
     "automatic cycles",
     "cycles started by allocation",
     set_auto,
     get_auto,
     {{"on", "1", 1}, {"off", "0", 0}}},
    {NULL, NULL, NULL, NULL, NULL, NULL, {{NULL, NULL, 0}}},
};

const struct gc_setting *gc_setting_find(const char *key)
{
	for (const struct gc_setting *s = gc_settings; s->name; s++)
		if (strcmp(key, s->name) == 0 || (s->bootarg && strcmp(key, s->bootarg) == 0))
			return s;
	return NULL;
}

/* The word of s that spells text (itself or its alias), or NULL. */
static const struct gc_setting_word *find_word(const struct gc_setting *s, const char *text)
{
	for (const struct gc_setting_word *w = s->words; w < s->words + GC_SETTING_WORDS && w->word;
	     w++)
		if (strcmp(text, w->word) == 0 || (w->alias && strcmp(text, w->alias) == 0))
			return w;
	return NULL;
}

/* Append text to buf (n bytes), cut short if it does not fit: buf stays a
 * string. */
static void append(char *buf, size_t n, const char *text)
{
	if (n == 0)
		return;
	size_t len = strlen(buf);
	if (len + 1 >= n)
		return;
	strncat(buf, text, n - len - 1);
}

/* "fixed or racy", "a, b or c": the words, for a message. */
static void append_choices(char *buf, size_t n, const struct gc_setting *s)
{
	size_t count = 0;
	while (count < GC_SETTING_WORDS && s->words[count].word)
		count++;
	for (size_t i = 0; i < count; i++) {
		if (i)
			append(buf, n, i + 1 == count ? " or " : ", ");
		append(buf, n, s->words[i].word);
	}
}

const char *gc_setting_words(const struct gc_setting *s, char *buf, size_t n)
{
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < GC_SETTING_WORDS && s->words[i].word; i++) {
		if (i)
			append(buf, n, "|");
		append(buf, n, s->words[i].word);
	}
	return buf;
}

/* "unknown: no such gc setting (mode, inject, verify or auto)" */
static void unknown_key(const char *key, char *err, size_t n)
{
	append(err, n, key);
	append(err, n, ": no such gc setting (");
	for (const struct gc_setting *s = gc_settings; s->name; s++) {
		if (s != gc_settings)
			append(err, n, s[1].name ? ", " : " or ");
		append(err, n, s->name);
	}
	append(err, n, ")");
}

int gc_setting_set(const char *key, const char *value, char *err, size_t n)
{
	if (n)
		err[0] = '\0';
	const struct gc_setting *s = gc_setting_find(key);
	if (!s) {
		unknown_key(key, err, n);
		return -1;
	}
	const struct gc_setting_word *w = find_word(s, value);
	if (!w) {
		/* "inject: expected publish-early or off, not 'bogus'" */
		append(err, n, key);
		append(err, n, ": expected ");
		append_choices(err, n, s);
		append(err, n, ", not '");
		append(err, n, value);
		append(err, n, "'");
		return -1;
	}
	s->set(w->value);
	return 0;
}

const char *gc_setting_word(const struct gc_setting *s)
{
	int v = s->get();
	for (size_t i = 0; i < GC_SETTING_WORDS && s->words[i].word; i++)
		if (s->words[i].value == v)
			return s->words[i].word;
	return "?";
}
