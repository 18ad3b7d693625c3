/*
 * suite.c — finding a test of the built-in suite by its file name.
 */
#include "kernel/litmus/suite.h"

#include <string.h>

const struct litmus_builtin *litmus_builtin_file(const char *name)
{
	size_t n = strlen(name);
	for (const struct litmus_builtin *b = litmus_builtins; b->file; b++)
		if (strcmp(b->file, name) == 0 ||
		    (strncmp(b->file, name, n) == 0 && strcmp(b->file + n, ".litmus") == 0))
			return b;
	return NULL;
}
