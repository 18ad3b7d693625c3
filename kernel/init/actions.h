/*
 * actions.h — run= (see actions.c).
 */
#ifndef INIT_ACTIONS_H
#define INIT_ACTIONS_H

#include <stdint.h>

/* Run each action of a comma-separated run= list; returns the exit status
 * (0 if every action passed). */
int run_actions(const char *run);
/* The first task: starts the collector, runs run= (default "demo,shell"),
 * then ends the run. */
int64_t main_task(void *arg) __attribute__((noreturn));

#endif
