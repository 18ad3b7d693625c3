/*
 * shell.h — the serial shell, the boot demo and the benchmarks.
 */
#ifndef SHELL_H
#define SHELL_H

#define SHELL_MAX_ARGS 8
#define SHELL_LINE_MAX 128

/* Split line (modified in place) into at most max words; returns the count,
 * or -1 if there were more words than max.  Portable: host-tested. */
int shell_split(char *line, char **argv, int max);

/* Run one command line; returns 0 on success. */
int shell_exec(char *line);
/* Read-eval loop on the console; returns when the user types "exit". */
void shell_run(void);

void demo_run(void);
int bench_run(void);
int stw_bench(unsigned n);

#endif
