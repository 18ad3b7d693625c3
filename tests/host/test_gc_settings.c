/*
 * test_gc_settings.c — gc/settings.c: the collector's settings table, the
 * one vocabulary of the boot arguments (gc=racy, inject=publish-early,
 * gcverify=1) and the shell (gc mode racy, gc inject off, gc verify on).
 *
 * Against stub setters and getters (below) that record what they were given.
 * Covers: every word and every alias reaching its setter with the right value,
 * by the shell name and by the boot argument; the words a setting prints
 * back; bad words and unknown keys refused with a message naming the key, the
 * bad word and the words allowed, with no setter called; the old spellings
 * the test suite and the README use (gc=racy, gc=fixed,
 * inject=publish-early, inject=none, gcverify=1); words that differ only in
 * case or are empty; messages cut to a small buffer (a heap block of exactly
 * its size, for ASan) and no buffer at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gc/gc.h"
#include "tests/host/hosttest.h"

/* ---- the stubs: the collector's setters, recording their calls ---- */

static enum gc_mode mode;
static bool inject, verify, autocollect;
static int calls; /* setter calls since reset() */

void gc_set_mode(enum gc_mode m)
{
	mode = m;
	calls++;
}

enum gc_mode gc_get_mode(void)
{
	return mode;
}

void gc_set_inject(bool on)
{
	inject = on;
	calls++;
}

bool gc_get_inject(void)
{
	return inject;
}

void gc_set_verify(bool on)
{
	verify = on;
	calls++;
}

bool gc_get_verify(void)
{
	return verify;
}

void gc_set_auto(bool on)
{
	autocollect = on;
	calls++;
}

bool gc_get_auto(void)
{
	return autocollect;
}

static void reset(void)
{
	mode = GC_FIXED;
	inject = false;
	verify = false;
	autocollect = true;
	calls = 0;
}

static char err[160];

/* gc_setting_set that must succeed. */
static void set_ok(const char *key, const char *value)
{
	int calls0 = calls;
	if (gc_setting_set(key, value, err, sizeof err) != 0)
		fail_msg("%s %s refused: %s", key, value, err);
	assert_int_equal(calls, calls0 + 1);
}

/* gc_setting_set that must fail with exactly this message, calling nothing. */
static void set_bad(const char *key, const char *value, const char *want)
{
	int calls0 = calls;
	assert_int_equal(gc_setting_set(key, value, err, sizeof err), -1);
	assert_string_equal(err, want);
	assert_int_equal(calls, calls0);
}

static void test_every_word(void **state)
{
	(void)state;
	reset();
	set_ok("mode", "racy");
	assert_int_equal(mode, GC_RACY);
	set_ok("mode", "fixed");
	assert_int_equal(mode, GC_FIXED);
	set_ok("inject", "publish-early");
	assert_true(inject);
	set_ok("inject", "off");
	assert_false(inject);
	set_ok("verify", "on");
	assert_true(verify);
	set_ok("verify", "off");
	assert_false(verify);
	set_ok("auto", "off");
	assert_false(autocollect);
	set_ok("auto", "on");
	assert_true(autocollect);
}

static void test_aliases(void **state)
{
	(void)state;
	reset();
	set_ok("inject", "publish-early");
	set_ok("inject", "none");
	assert_false(inject);
	set_ok("verify", "1");
	assert_true(verify);
	set_ok("verify", "0");
	assert_false(verify);
	set_ok("auto", "0");
	assert_false(autocollect);
	set_ok("auto", "1");
	assert_true(autocollect);
}

/* The boot arguments of tests/run.py and the README, by their boot names. */
static void test_boot_arguments(void **state)
{
	(void)state;
	reset();
	set_ok("gc", "racy");
	assert_int_equal(mode, GC_RACY);
	set_ok("gc", "fixed");
	assert_int_equal(mode, GC_FIXED);
	set_ok("inject", "publish-early");
	assert_true(inject);
	set_ok("inject", "none");
	assert_false(inject);
	set_ok("gcverify", "1");
	assert_true(verify);
	set_ok("gcverify", "on");
	assert_true(verify);
	assert_ptr_equal(gc_setting_find("gc"), gc_setting_find("mode"));
	assert_ptr_equal(gc_setting_find("gcverify"), gc_setting_find("verify"));
	assert_null(gc_setting_find("gcauto")); /* auto has no boot argument */
	int with_bootarg = 0;
	for (const struct gc_setting *s = gc_settings; s->name; s++)
		with_bootarg += s->bootarg != NULL;
	assert_int_equal(with_bootarg, 3); /* gc, inject, gcverify: main.c reads these */
}

/* What the shell prints back: "gc: mode racy", "gc: injection off". */
static void test_words_back(void **state)
{
	(void)state;
	reset();
	const struct gc_setting *m = gc_setting_find("mode"), *i = gc_setting_find("inject");
	assert_string_equal(gc_setting_word(m), "fixed");
	set_ok("gc", "racy");
	assert_string_equal(gc_setting_word(m), "racy");
	set_ok("inject", "none");
	assert_string_equal(gc_setting_word(i), "off"); /* the word, not the alias */
	assert_string_equal(i->label, "injection");
	assert_string_equal(gc_setting_find("verify")->label, "verifier");
	char words[32];
	assert_string_equal(gc_setting_words(m, words, sizeof words), "fixed|racy");
	assert_string_equal(gc_setting_words(i, words, sizeof words), "publish-early|off");
	assert_string_equal(gc_setting_words(gc_setting_find("auto"), words, sizeof words),
			    "on|off");
}

static void test_bad_words(void **state)
{
	(void)state;
	reset();
	/* The shell prefixes "gc ": these are the messages tests/run.py reads. */
	set_bad("mode", "bogus", "mode: expected fixed or racy, not 'bogus'");
	set_bad("inject", "bogus", "inject: expected publish-early or off, not 'bogus'");
	set_bad("verify", "maybe", "verify: expected on or off, not 'maybe'");
	/* At boot the key is the boot argument's. */
	set_bad("gc", "RACY", "gc: expected fixed or racy, not 'RACY'");
	set_bad("gcverify", "2", "gcverify: expected on or off, not '2'");
	set_bad("inject", "", "inject: expected publish-early or off, not ''");
	set_bad("inject", "publish", "inject: expected publish-early or off, not 'publish'");
	/* An alias of one setting is not a word of another. */
	set_bad("mode", "none", "mode: expected fixed or racy, not 'none'");
	set_bad("mode", "on", "mode: expected fixed or racy, not 'on'");
	assert_int_equal(mode, GC_FIXED);
	assert_false(inject);
}

static void test_unknown_key(void **state)
{
	(void)state;
	reset();
	set_bad("colour", "red", "colour: no such gc setting (mode, inject, verify or auto)");
	set_bad("", "on", ": no such gc setting (mode, inject, verify or auto)");
	set_bad("Mode", "racy", "Mode: no such gc setting (mode, inject, verify or auto)");
}

/* A message longer than the buffer is cut, still a string, never past it. */
static void test_small_buffer(void **state)
{
	(void)state;
	reset();
	for (size_t n = 1; n <= 48; n++) {
		char *small = malloc(n);
		assert_non_null(small);
		assert_int_equal(gc_setting_set("inject", "bogus", small, n), -1);
		assert_int_equal(strlen(small), n - 1); /* the message is 50 characters */
		assert_memory_equal(small, "inject: expected publish-early or off, not 'bogus'",
				    n - 1);
		assert_int_equal(gc_setting_set("nope", "x", small, n), -1);
		assert_true(strlen(small) < n);
		free(small);
	}
	assert_int_equal(gc_setting_set("mode", "bogus", NULL, 0), -1); /* no buffer */
	assert_int_equal(gc_setting_set("mode", "racy", NULL, 0), 0);
	assert_int_equal(mode, GC_RACY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_word),	   cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_boot_arguments), cmocka_unit_test(test_words_back),
	    cmocka_unit_test(test_bad_words),	   cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_small_buffer),
	};
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
