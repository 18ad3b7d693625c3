/*
 * fuzz_shell_split.c — libFuzzer target for kernel/shell/parse.c.
 *
 * The input's first byte chooses max (its low four bits, so an ASCII digit
 * chooses itself); the rest, cut at its first NUL, is the line.  The line and
 * argv are heap blocks of exactly their size, so ASan reports a write past
 * either.  Checked against a plain reference count of the words:
 *   - the result is in [-1, max]: -1 exactly when there are more than max
 *     words, else the number of words;
 *   - every argv[i] points into the line, at the start of the i-th word of the
 *     original, is non-empty, holds no blank and is that whole word;
 *   - the only bytes changed are blanks right after a word, now its NUL.
 * Built and run by `make -f tests/host/Makefile fuzz`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/shell/shell.h"

#include "fuzz_check.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int max = data[0] & 15;
	const char *src = (const char *)data + 1;
	size_t len = strnlen(src, size - 1);

	char *orig = malloc(len + 1), *line = malloc(len + 1);
	char **argv = malloc(max ? sizeof *argv * (size_t)max : 1);
	CHECK(orig && line && argv);
	memcpy(orig, src, len);
	orig[len] = '\0';
	memcpy(line, orig, len + 1);

	/* The reference: where each word starts, and how many there are. */
	size_t starts[SHELL_LINE_MAX * 4];
	size_t nwords = 0;
	for (size_t i = 0; i < len; i++)
		if (!blank(orig[i]) && (i == 0 || blank(orig[i - 1]))) {
			if (nwords < sizeof starts / sizeof starts[0])
				starts[nwords] = i;
			nwords++;
		}

	int n = shell_split(line, argv, max);
	CHECK(n >= -1 && n <= max);
	if (nwords > (size_t)max)
		CHECK(n == -1);
	else
		CHECK(n == (int)nwords);

	if (n >= 0) {
		for (int i = 0; i < n; i++) {
			char *w = argv[i];
			CHECK(w >= line && w < line + len);
			size_t off = (size_t)(w - line), wl = strlen(w);
			CHECK(off == starts[i]);
			CHECK(wl > 0);
			CHECK(strchr(w, ' ') == NULL && strchr(w, '\t') == NULL);
			CHECK(memcmp(w, orig + off, wl) == 0);
			/* The whole word: it ends where the original's does. */
			CHECK(orig[off + wl] == '\0' || blank(orig[off + wl]));
		}
		for (size_t k = 0; k <= len; k++) {
			if (line[k] == orig[k])
				continue;
			CHECK(line[k] == '\0' && blank(orig[k]));
			bool ends_word = false;
			for (int i = 0; i < n; i++)
				if (argv[i] + strlen(argv[i]) == line + k)
					ends_word = true;
			CHECK(ends_word);
		}
	}
	free(orig);
	free(line);
	free(argv);
	return 0;
}
