/*
 * pi.h — what the Raspberry Pi boards share: four cores released from the
 * firmware's spin table.
 */
#ifndef PI_H
#define PI_H

#include "kernel/firmware/dtinfo.h"

/* The firmware's spin-table slots for cores 1-3 (core 0's slot is 0xd8). */
#define PI_SPIN_TABLE_BASE 0xd8

/* Four cores, MPIDR Aff0 = 0..3, released through the spin table. */
void pi_default_cpus(struct boot_info *bi);

#endif
