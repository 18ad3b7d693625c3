/*
 * suite.h — the built-in litmus suite: every .litmus file in tests/litmus,
 * compiled into the kernel as text by a Makefile rule (the generated
 * $(BUILD)/gen/litmus_suite.c), so that every image can run them with
 * run=litmus or the shell's `litmus`, and parse them at run time like any
 * other test.
 */
#ifndef LITMUS_SUITE_H
#define LITMUS_SUITE_H

struct litmus_builtin {
	const char *file; /* "SB.litmus" */
	const char *text; /* the file's contents */
};

/* Ends with {NULL, NULL}. */
extern const struct litmus_builtin litmus_builtins[];

/* The test whose file is name or name.litmus ("SB", "SB.litmus"), or NULL. */
const struct litmus_builtin *litmus_builtin_file(const char *name);

#endif
