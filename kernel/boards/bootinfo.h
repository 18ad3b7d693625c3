/*
 * bootinfo.h — where the kernel's picture of the machine comes from: the
 * board's defaults, overridden by the device tree when there is a good one.
 */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

/* A device tree larger than this is not believed. */
#define BOOTINFO_DTB_MAX (2u << 20)

extern struct boot_info boot_info; /* read-only once boot_main has set it up */
extern uint64_t boot_dtb; /* the tree in use, 0 if none */

/*
 * Fill *bi with the board's defaults, then with what the tree at dtb says.
 * A missing, unreachable or malformed tree is reported on the console by name
 * and leaves *bi at the defaults: returns 0 if the tree was used, else -1.
 * The tree's own memory is added to bi's reserved ranges.
 */
int bootinfo_read(uint64_t dtb, uint64_t max_size, struct boot_info *bi);

#endif
