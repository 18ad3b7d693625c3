/*
 * test_bootargs.c — kernel/firmware/bootargs.c: the "key=value flag key=\"quoted\""
 * command-line parser and bootargs_parse_u64.
 *
 * Covers plain keys, bare flags, quoted values (spaces, '=', empty), every
 * separator (space, tab, CR, LF), unknown keys (the warning must name the
 * key), repeated keys (last wins, with a warning), empty keys, keys and values
 * at and one past their size limits, an unterminated quote, more than
 * BOOTARGS_MAX arguments, a NULL or blank line, a NULL warning callback, and
 * numbers: decimal, hex, the 64-bit limit, overflow, garbage and empty input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kernel/firmware/bootargs.h"
#include "tests/host/hosttest.h"

static const char *const known[] = {"run", "exit", "loglevel", "verbose", "msg", NULL};

/* Parse with warnings captured; the struct is static because it is 5 KiB. */
static struct bootargs ba;

static int parse(const char *line, const char *const *keys)
{
	ht_warn_reset();
	memset(&ba, 0x5a, sizeof ba); /* stale junk must not show through */
	return bootargs_parse(&ba, line, keys, ht_warn);
}

static void test_plain_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("run=test exit=semihost", known), 0);
	assert_int_equal(ht_nwarn(), 0);
	assert_int_equal(ba.n, 2);
	assert_string_equal(ba.arg[0].key, "run");
	assert_string_equal(ba.arg[0].value, "test");
	assert_string_equal(bootargs_get(&ba, "run"), "test");
	assert_string_equal(bootargs_get(&ba, "exit"), "semihost");
	assert_null(bootargs_get(&ba, "loglevel"));
	/* A value may itself hold '='. */
	assert_int_equal(parse("run=a=b", known), 0);
	assert_string_equal(bootargs_get(&ba, "run"), "a=b");
}

static void test_flags(void **state)
{
	(void)state;
	assert_int_equal(parse("verbose run=x", known), 0);
	assert_int_equal(ba.n, 2);
	/* A flag is present with an empty value: not the same as absent. */
	assert_non_null(bootargs_get(&ba, "verbose"));
	assert_string_equal(bootargs_get(&ba, "verbose"), "");
	/* "key=" is an empty value too. */
	assert_int_equal(parse("run=", known), 0);
	assert_string_equal(bootargs_get(&ba, "run"), "");
}

static void test_quoted_values(void **state)
{
	(void)state;
	assert_int_equal(parse("msg=\"hello  world\" run=x", known), 0);
	assert_int_equal(ba.n, 2);
	assert_string_equal(bootargs_get(&ba, "msg"), "hello  world");
	assert_string_equal(bootargs_get(&ba, "run"), "x");

	/* Quotes may cover part of a value; the quote characters go. */
	assert_int_equal(parse("msg=ab\"c d\"e", known), 0);
	assert_string_equal(bootargs_get(&ba, "msg"), "abc de");

	/* Tabs, '=' and an empty quoted value. */
	assert_int_equal(parse("msg=\"a\tb=c\" run=\"\"", known), 0);
	assert_string_equal(bootargs_get(&ba, "msg"), "a\tb=c");
	assert_string_equal(bootargs_get(&ba, "run"), "");
}

static void test_separators(void **state)
{
	(void)state;
	assert_int_equal(parse("  run=1\texit=2\nloglevel=3\r\nverbose \t\n", known), 0);
	assert_int_equal(ba.n, 4);
	assert_string_equal(bootargs_get(&ba, "run"), "1");
	assert_string_equal(bootargs_get(&ba, "exit"), "2");
	assert_string_equal(bootargs_get(&ba, "loglevel"), "3");
	assert_string_equal(bootargs_get(&ba, "verbose"), "");
}

static void test_unknown_key_warns(void **state)
{
	(void)state;
	assert_int_equal(parse("run=x bogus=1 otherflag exit=y", known), 2);
	assert_int_equal(ht_nwarn(), 2);
	assert_true(ht_warned("unknown", "'bogus'"));
	assert_true(ht_warned("unknown", "'otherflag'"));
	/* Dropped, and the known ones around them kept. */
	assert_int_equal(ba.n, 2);
	assert_null(bootargs_get(&ba, "bogus"));
	assert_string_equal(bootargs_get(&ba, "exit"), "y");

	/* With no list every key is accepted. */
	assert_int_equal(parse("bogus=1", NULL), 0);
	assert_string_equal(bootargs_get(&ba, "bogus"), "1");
}

static void test_repeated_key_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("run=a exit=e run=b run=\"c d\"", known), 2);
	assert_int_equal(ba.n, 2);
	assert_string_equal(bootargs_get(&ba, "run"), "c d");
	assert_true(ht_warned("'run'", "more than once"));
	/* A repeated flag replaces the value with "" too. */
	assert_int_equal(parse("run=a run", known), 1);
	assert_string_equal(bootargs_get(&ba, "run"), "");
}

static void test_empty_key(void **state)
{
	(void)state;
	assert_int_equal(parse("=x run=1", known), 1);
	assert_true(ht_warned("no key", "'=x'"));
	assert_int_equal(ba.n, 1);
	assert_string_equal(bootargs_get(&ba, "run"), "1");

	assert_int_equal(parse("= =\"a b\"", known), 2);
	assert_int_equal(ba.n, 0);
}

static void test_long_key_and_value(void **state)
{
	char line[512], key[64], val[256];
	(void)state;

	/* The longest key that fits: BOOTARGS_KEY_MAX - 1 characters. */
	memset(key, 'k', BOOTARGS_KEY_MAX - 1);
	key[BOOTARGS_KEY_MAX - 1] = '\0';
	snprintf(line, sizeof line, "%s=1", key);
	assert_int_equal(parse(line, NULL), 0);
	assert_string_equal(bootargs_get(&ba, key), "1");

	/* One more is refused (not truncated into a different key). */
	key[BOOTARGS_KEY_MAX - 1] = 'k';
	key[BOOTARGS_KEY_MAX] = '\0';
	snprintf(line, sizeof line, "%s=1 run=ok", key);
	assert_int_equal(parse(line, NULL), 1);
	assert_true(ht_warned("too long", "kkkkkkkk"));
	assert_int_equal(ba.n, 1);
	assert_string_equal(bootargs_get(&ba, "run"), "ok");

	/* Values: BOOTARGS_VAL_MAX - 1 fits, one more does not. */
	memset(val, 'v', BOOTARGS_VAL_MAX - 1);
	val[BOOTARGS_VAL_MAX - 1] = '\0';
	snprintf(line, sizeof line, "msg=%s", val);
	assert_int_equal(parse(line, known), 0);
	assert_string_equal(bootargs_get(&ba, "msg"), val);

	val[BOOTARGS_VAL_MAX - 1] = 'v';
	val[BOOTARGS_VAL_MAX] = '\0';
	snprintf(line, sizeof line, "msg=%s run=ok", val);
	assert_int_equal(parse(line, known), 1);
	assert_true(ht_warned("too long", "msg=vvvv"));
	assert_null(bootargs_get(&ba, "msg"));
	assert_string_equal(bootargs_get(&ba, "run"), "ok");

	/* A quoted value longer than the limit, spaces and all. */
	snprintf(line, sizeof line, "msg=\"%.100s %.100s\"", val, val);
	assert_int_equal(parse(line, known), 1);
	assert_int_equal(ba.n, 0);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	/* The quote runs to the end of the line: one warning, nothing read past
	 * the terminator (ASan), and the text so far kept as the value. */
	assert_int_equal(parse("run=1 msg=\"never closed exit=2", known), 1);
	assert_true(ht_warned("unterminated", "msg="));
	assert_int_equal(ba.n, 2);
	assert_string_equal(bootargs_get(&ba, "msg"), "never closed exit=2");
	assert_null(bootargs_get(&ba, "exit"));

	assert_int_equal(parse("msg=\"", known), 1);
	assert_string_equal(bootargs_get(&ba, "msg"), "");
}

static void test_too_many_args(void **state)
{
	char line[1024], key[16];
	size_t len = 0;
	(void)state;

	for (int i = 0; i < BOOTARGS_MAX + 8; i++)
		len += (size_t)snprintf(line + len, sizeof line - len, "k%d=%d ", i, i);
	/* Once full, a key already present is still updated. */
	snprintf(line + len, sizeof line - len, "k0=last");

	assert_int_equal(parse(line, NULL), 8 + 1);
	assert_int_equal(ba.n, BOOTARGS_MAX);
	assert_true(ht_warned("too many", "'k32'"));
	assert_true(ht_warned("too many", "'k39'"));
	assert_true(ht_warned("'k0'", "more than once"));
	assert_string_equal(bootargs_get(&ba, "k0"), "last");
	snprintf(key, sizeof key, "k%d", BOOTARGS_MAX - 1);
	assert_non_null(bootargs_get(&ba, key));
	snprintf(key, sizeof key, "k%d", BOOTARGS_MAX);
	assert_null(bootargs_get(&ba, key));
}

static void test_null_and_empty_line(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL, known), 0);
	assert_int_equal(ba.n, 0);
	assert_int_equal(parse("", known), 0);
	assert_int_equal(ba.n, 0);
	assert_int_equal(parse(" \t\r\n ", known), 0);
	assert_int_equal(ba.n, 0);
	assert_int_equal(ht_nwarn(), 0);
	assert_null(bootargs_get(&ba, "run"));
}

static void test_null_warn_callback(void **state)
{
	(void)state;
	/* Warnings are still counted when nobody listens. */
	assert_int_equal(bootargs_parse(&ba, "bogus run=1 run=2 =x", known, NULL), 3);
	assert_int_equal(ba.n, 1);
	assert_string_equal(bootargs_get(&ba, "run"), "2");
}

static void test_parse_u64(void **state)
{
	unsigned long long v;
	(void)state;

	assert_true(bootargs_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_true(bootargs_parse_u64("12345", &v));
	assert_int_equal(v, 12345);
	assert_true(bootargs_parse_u64("000123", &v)); /* decimal, not octal */
	assert_int_equal(v, 123);
	assert_true(bootargs_parse_u64("0x1f", &v));
	assert_int_equal(v, 0x1f);
	assert_true(bootargs_parse_u64("0XdeadBEEF", &v));
	assert_int_equal(v, 0xdeadbeef);
	assert_true(bootargs_parse_u64("18446744073709551615", &v));
	assert_true(v == ~0ULL);
	assert_true(bootargs_parse_u64("0xffffffffffffffff", &v));
	assert_true(v == ~0ULL);
	assert_true(bootargs_parse_u64("0x00000000000000000001", &v)); /* leading zeros */
	assert_int_equal(v, 1);

	/* Failures leave *out alone. */
	v = 77;
	assert_false(bootargs_parse_u64("18446744073709551616", &v));
	assert_false(bootargs_parse_u64("99999999999999999999", &v));
	assert_false(bootargs_parse_u64("0x10000000000000000", &v));
	assert_false(bootargs_parse_u64("", &v));
	assert_false(bootargs_parse_u64(NULL, &v));
	assert_false(bootargs_parse_u64("0x", &v));
	assert_false(bootargs_parse_u64("0xg", &v));
	assert_false(bootargs_parse_u64("12a", &v));
	assert_false(bootargs_parse_u64("ff", &v));
	assert_false(bootargs_parse_u64("-1", &v));
	assert_false(bootargs_parse_u64("+1", &v));
	assert_false(bootargs_parse_u64(" 1", &v));
	assert_false(bootargs_parse_u64("1 ", &v));
	assert_false(bootargs_parse_u64("1K", &v));
	assert_int_equal(v, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_keys),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_quoted_values),
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_unknown_key_warns),
	    cmocka_unit_test(test_repeated_key_last_wins),
	    cmocka_unit_test(test_empty_key),
	    cmocka_unit_test(test_long_key_and_value),
	    cmocka_unit_test(test_unterminated_quote),
	    cmocka_unit_test(test_too_many_args),
	    cmocka_unit_test(test_null_and_empty_line),
	    cmocka_unit_test(test_null_warn_callback),
	    cmocka_unit_test(test_parse_u64),
	};
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
