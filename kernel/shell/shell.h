/*
 * shell.h — the serial shell.
 */
#ifndef SHELL_H
#define SHELL_H

#include <stdbool.h>

#define SHELL_MAX_ARGS 8
#define SHELL_LINE_MAX 128

/* Split line (modified in place) into at most max words; returns the count,
 * or -1 if there were more words than max.  Portable: host-tested. */
int shell_split(char *line, char **argv, int max);

/* Run one command line; returns 0 on success. */
int shell_exec(char *line);
/* Read-eval loop on the console; returns when the user types "exit". */
void shell_run(void);

/* The line editor (line.c): read one line into line (SHELL_LINE_MAX bytes);
 * false if it was abandoned with ^C.  shell_remember adds a line to the
 * history the arrows walk. */
bool shell_read_line(char *line);
void shell_remember(const char *line);

#endif
