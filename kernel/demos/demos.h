/*
 * demos.h — what allstop shows a visitor: the boot demo (demo.c) and Go's
 * allgs bug, then its fix (allgs.c).  Run by run=demo and run=allgs, and by
 * the shell's "demo" command.
 */
#ifndef DEMOS_H
#define DEMOS_H

#include <stdbool.h>

/* Tasks spreading over the cores, the IPI round trip, a few collections. */
void demo_run(void);
/* The allgs bug in gc=racy, then none in gc=fixed; returns nonzero if the
 * fixed half failed.  long_mode: gc=racy with no injection for up to
 * long_cycles cycles, for a core that reorders stores by itself. */
int gc_allgs_demo(bool long_mode, unsigned long_cycles);

#endif
