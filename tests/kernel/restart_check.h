/*
 * restart_check.h — for the tests of restartable sequences (the write
 * barrier's, test_restart.c; the tracer's, test_trace.c).
 */
#ifndef RESTART_CHECK_H
#define RESTART_CHECK_H

#include <stdint.h>

/* How many of the return addresses around [start, end) the interrupt layer
 * gets wrong: every instruction inside must go back to start, end itself
 * and the one before start must stay.  Prints the first one wrong. */
int restart_errors(uintptr_t start, uintptr_t end);

#endif
