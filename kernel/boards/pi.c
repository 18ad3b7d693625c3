/*
 * pi.c — see pi.h.
 */
#include "kernel/boards/pi.h"

void pi_default_cpus(struct boot_info *bi)
{
	bi->ncpus = 4;
	for (int i = 0; i < 4; i++) {
		bi->cpu_mpidr[i] = (uint64_t)i;
		bi->cpu_enable[i] = CPU_ENABLE_SPIN_TABLE;
		bi->cpu_release_addr[i] = PI_SPIN_TABLE_BASE + 8 * (uint64_t)i;
	}
	bi->psci = PSCI_NONE;
}
