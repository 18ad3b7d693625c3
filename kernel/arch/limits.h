/*
 * limits.h — sizes fixed at build time that both the assembly of boot/ and the
 * C of every layer use.  Safe to include from .S files.
 */
#ifndef ARCH_LIMITS_H
#define ARCH_LIMITS_H

#define MAX_CPUS 32 /* cores the kernel can run; more in the device tree are ignored */

#endif
