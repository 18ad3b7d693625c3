/*
 * commands.h — the shell's commands, one family per file, each
 * int cmd_NAME(int argc, char **argv) returning 0 on success; and the litmus
 * runner's boot actions (run=litmus...), which live with its command.
 */
#ifndef SHELL_COMMANDS_H
#define SHELL_COMMANDS_H

/* cmd_system.c */
int cmd_cores(int argc, char **argv);
int cmd_ipi(int argc, char **argv);
int cmd_uptime(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_panic(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
/* cmd_tasks.c */
int cmd_tasks(int argc, char **argv);
int cmd_spawn(int argc, char **argv);
/* cmd_stw.c */
int cmd_stw(int argc, char **argv);
/* cmd_gc.c */
int cmd_gc(int argc, char **argv);
/* cmd_demo.c */
int cmd_demo(int argc, char **argv);
/* cmd_lesson.c */
int cmd_lesson(int argc, char **argv);
/* cmd_litmus.c */
int cmd_litmus(int argc, char **argv);
int litmus_run_suite(void); /* run=litmus: the built-in suite */
int litmus_run_path(const char *path); /* run=litmus:PATH (or @LIST) by semihosting */
int litmus_run_bench(void); /* run=litmus-bench */
/* cmd_trace.c */
int cmd_trace(int argc, char **argv);
int trace_dump_action(const char *path); /* run=trace:PATH (or trace:serial) */

#endif
