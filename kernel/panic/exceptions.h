/*
 * exceptions.h — the synchronous-exception policy's one registration: the
 * task system's stack-overflow handler.
 */
#ifndef EXCEPTIONS_H
#define EXCEPTIONS_H

#include <stdbool.h>

struct trap_frame;

/*
 * The task system's stack-overflow handler: called for every abort; returns
 * false if the fault is not a task's stack guard or the task cannot be killed
 * safely, and does not return if it killed the task.
 */
void exceptions_set_stack_fault(bool (*handler)(struct trap_frame *tf));

#endif
