/*
 * test_shell_parse.c — kernel/shell/parse.c: shell_split, the shell's word
 * splitter.
 *
 * Covers an empty line, blanks only, leading, trailing and repeated spaces and
 * tabs, exactly max words (for several max, 0 included), one word too many
 * (-1), words NUL-terminated in place and pointing into the line with nothing
 * else in it changed, and 127-character lines (the longest the shell reads).
 * The line and argv are heap blocks of exactly their size, so ASan reports any
 * write past either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel/shell/shell.h"
#include "tests/host/hosttest.h"

/* The last split: its line (a copy of text), argv and result. */
static const char *text;
static char *line;
static size_t line_len;
static char **argv;
static int argv_max;

static char *const UNTOUCHED = (char *)"(untouched)";

static int split(const char *s, int max)
{
	free(line);
	free(argv);
	text = s;
	line_len = strlen(s);
	line = (char *)ht_dup(s, line_len + 1);
	argv_max = max;
	argv = malloc(max ? sizeof *argv * (size_t)max : 1);
	assert_non_null(argv);
	for (int i = 0; i < max; i++)
		argv[i] = UNTOUCHED;
	return shell_split(line, argv, max);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* After a split that returned n: argv[0..n) are the words given, each pointing
 * into the line where it stood in the original text and cut there by a NUL
 * written over the blank after it; argv past n is untouched; every other byte
 * of the line is as it was. */
static void check_words(int n, const char *const *want)
{
	for (int i = 0; i < n; i++) {
		char *w = argv[i];
		assert_true(w >= line && w < line + line_len);
		size_t off = (size_t)(w - line), len = strlen(want[i]);
		assert_string_equal(w, want[i]);
		assert_memory_equal(text + off, want[i], len);
		/* A whole word: a blank or the start before it, a blank or the end after. */
		assert_true(off == 0 || blank(text[off - 1]));
		assert_true(text[off + len] == '\0' || blank(text[off + len]));
		if (i > 0)
			assert_true(w > argv[i - 1] + strlen(argv[i - 1]));
	}
	for (int i = n; i < argv_max; i++)
		assert_ptr_equal(argv[i], UNTOUCHED);
	for (size_t k = 0; k <= line_len; k++) {
		if (line[k] == text[k])
			continue;
		/* Changed: a blank right after one of the words, now its NUL. */
		assert_int_equal(line[k], '\0');
		assert_true(blank(text[k]));
		bool ends_word = false;
		for (int i = 0; i < n; i++)
			if (argv[i] + strlen(argv[i]) == line + k)
				ends_word = true;
		assert_true(ends_word);
	}
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__})

static void test_empty_line(void **state)
{
	(void)state;
	assert_int_equal(split("", SHELL_MAX_ARGS), 0);
	check_words(0, NULL);
	assert_int_equal(split("", 0), 0);
	check_words(0, NULL);
}

static void test_blanks_only(void **state)
{
	(void)state;
	static const char *const lines[] = {" ", "\t", "  ", " \t \t  ", "\t\t\t"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		assert_int_equal(split(lines[i], SHELL_MAX_ARGS), 0);
		check_words(0, NULL);
		assert_int_equal(split(lines[i], 0), 0);
		check_words(0, NULL);
	}
}

static void test_one_word(void **state)
{
	(void)state;
	static const char *const lines[] = {"ls",   " ls",  "ls ",	 "  ls  ",
					    "\tls", "ls\t", " \t ls \t "};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		assert_int_equal(split(lines[i], SHELL_MAX_ARGS), 1);
		check_words(1, WORDS("ls"));
		assert_int_equal(split(lines[i], 1), 1);
		check_words(1, WORDS("ls"));
	}
	/* No blank after it: the word ends at the line's own NUL. */
	assert_int_equal(split("help", 2), 1);
	assert_ptr_equal(argv[0], line);
}

static void test_spaces_and_tabs(void **state)
{
	(void)state;
	assert_int_equal(split("a b", SHELL_MAX_ARGS), 2);
	check_words(2, WORDS("a", "b"));
	assert_int_equal(split("a  b\t\tc \t d", SHELL_MAX_ARGS), 4);
	check_words(4, WORDS("a", "b", "c", "d"));
	assert_int_equal(split("\t  run   test:smp \t", SHELL_MAX_ARGS), 2);
	check_words(2, WORDS("run", "test:smp"));
	assert_int_equal(split("x\ty", SHELL_MAX_ARGS), 2);
	check_words(2, WORDS("x", "y"));
	/* Only space and tab separate: other bytes belong to the word. */
	assert_int_equal(split("k=v \"q\" -x", SHELL_MAX_ARGS), 3);
	check_words(3, WORDS("k=v", "\"q\"", "-x"));
}

static void test_exactly_max(void **state)
{
	(void)state;
	assert_int_equal(split("1 2 3 4 5 6 7 8", 8), 8);
	check_words(8, WORDS("1", "2", "3", "4", "5", "6", "7", "8"));
	/* Blanks after the last word are not a ninth word. */
	assert_int_equal(split(" 1 2 3 4 5 6 7 8 \t ", 8), 8);
	check_words(8, WORDS("1", "2", "3", "4", "5", "6", "7", "8"));
	assert_int_equal(split("only", 1), 1);
	check_words(1, WORDS("only"));
	assert_int_equal(split("one two three", 3), 3);
	check_words(3, WORDS("one", "two", "three"));
	/* The shell's own limit. */
	assert_int_equal(split("w w w w w w w w", SHELL_MAX_ARGS), SHELL_MAX_ARGS);
}

static void test_one_too_many(void **state)
{
	(void)state;
	assert_int_equal(split("1 2 3 4 5 6 7 8 9", 8), -1);
	/* ASan checks argv[8] was not written (argv holds exactly 8). */
	assert_int_equal(split("1 2 3 4 5 6 7 8 9 ", 8), -1);
	assert_int_equal(split("one two", 1), -1);
	assert_int_equal(split("x", 0), -1);
	assert_int_equal(split("  x  ", 0), -1);
	assert_int_equal(split("a b c d e f g h i", SHELL_MAX_ARGS), -1);
	/* The words before the limit are still there. */
	assert_int_equal(split("one two three", 2), -1);
	assert_string_equal(argv[0], "one");
	assert_string_equal(argv[1], "two");
}

static void test_in_place(void **state)
{
	(void)state;
	assert_int_equal(split("  echo  hello\tworld  ", SHELL_MAX_ARGS), 3);
	check_words(3, WORDS("echo", "hello", "world"));
	assert_ptr_equal(argv[0], line + 2);
	assert_ptr_equal(argv[1], line + 8);
	assert_ptr_equal(argv[2], line + 14);
	/* The blank right after each word is now its NUL; the others are kept. */
	assert_int_equal(line[6], '\0');
	assert_int_equal(line[7], ' ');
	assert_int_equal(line[13], '\0');
	assert_int_equal(line[19], '\0');
	assert_int_equal(line[20], ' ');
	assert_int_equal(line[21], '\0');
}

static void test_127_chars(void **state)
{
	(void)state;
	char buf[SHELL_LINE_MAX];
	const size_t n = SHELL_LINE_MAX - 1; /* 127: the longest line the shell keeps */

	/* One word filling the whole line. */
	memset(buf, 'x', n);
	buf[n] = '\0';
	assert_int_equal(split(buf, SHELL_MAX_ARGS), 1);
	assert_ptr_equal(argv[0], line);
	assert_int_equal(strlen(argv[0]), n);

	/* Eight 15-character words and seven blanks: 127. */
	memset(buf, 'y', n);
	for (int i = 1; i < 8; i++)
		buf[i * 16 - 1] = i % 2 ? ' ' : '\t';
	assert_int_equal(split(buf, SHELL_MAX_ARGS), 8);
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(argv[i], line + i * 16);
		assert_int_equal(strlen(argv[i]), 15);
	}

	/* 64 one-letter words: too many for the shell, fine with room for 64. */
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 2 ? ' ' : 'a';
	assert_int_equal(split(buf, SHELL_MAX_ARGS), -1);
	assert_int_equal(split(buf, 64), 64);
	for (int i = 0; i < 64; i++) {
		assert_ptr_equal(argv[i], line + 2 * i);
		assert_string_equal(argv[i], "a");
	}
	assert_int_equal(split(buf, 63), -1);

	/* 127 blanks. */
	memset(buf, ' ', n);
	assert_int_equal(split(buf, SHELL_MAX_ARGS), 0);
	check_words(0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_line),	cmocka_unit_test(test_blanks_only),
	    cmocka_unit_test(test_one_word),	cmocka_unit_test(test_spaces_and_tabs),
	    cmocka_unit_test(test_exactly_max), cmocka_unit_test(test_one_too_many),
	    cmocka_unit_test(test_in_place),	cmocka_unit_test(test_127_chars),
	};
	ht_watchdog(20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
