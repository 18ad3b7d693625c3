/*
 * args.h — applying the boot arguments (see args.c).
 */
#ifndef INIT_ARGS_H
#define INIT_ARGS_H

/* Parse the device tree's (or the built-in) boot arguments into boot_args,
 * warn about unknown keys, and apply exit=. */
void bootargs_apply(void);
/* The value of key as a number from min to max; dflt if absent or bad (a bad
 * one is reported by name). */
unsigned bootarg_number(const char *key, unsigned dflt, unsigned min, unsigned max);
/* stw_watchdog= and stw_panic=. */
void bootargs_apply_stw(void);
/* The collector's settings (gc/settings.c's table: gc=, inject=, gcverify=). */
void bootargs_apply_gc(void);
/* The tracer's buffers (tracebuf=) and trace=on. */
void bootargs_apply_trace(void);

#endif
