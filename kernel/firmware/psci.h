/*
 * psci.h — the Power State Coordination Interface: how an OS asks firmware
 * (here: QEMU) to start, stop and power off cores, through HVC or SMC.
 */
#ifndef PSCI_H
#define PSCI_H

#include <stdint.h>
#include "kernel/firmware/dtinfo.h"

#define PSCI_VERSION	  0x84000000u
#define PSCI_CPU_OFF	  0x84000002u
#define PSCI_CPU_ON_64	  0xc4000003u
#define PSCI_SYSTEM_OFF	  0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	-1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_DENIED		-3
#define PSCI_ALREADY_ON		-4
#define PSCI_ON_PENDING		-5
#define PSCI_INTERNAL_FAILURE	-6
#define PSCI_NOT_PRESENT	-7
#define PSCI_DISABLED		-8
#define PSCI_INVALID_ADDRESS	-9

void psci_init(enum psci_conduit conduit, uint32_t cpu_on_fn);
bool psci_available(void);
int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
void psci_system_off(void);
const char *psci_strerror(int64_t err);

#endif
