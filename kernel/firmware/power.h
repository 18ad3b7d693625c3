/*
 * power.h — ending a run: through semihosting (QEMU exits with a status code,
 * for tests) or PSCI SYSTEM_OFF (the machine powers off), or halting.
 */
#ifndef POWER_H
#define POWER_H

enum exit_mode { EXIT_PSCI = 0, EXIT_SEMIHOST, EXIT_HALT };

void power_set_exit_mode(enum exit_mode m);
enum exit_mode power_exit_mode(void);
/* End the run with status (0 = success).  Does not return. */
void system_exit(int status) __attribute__((noreturn));
/* Stop this core for good, interrupts masked. */
void cpu_halt(void) __attribute__((noreturn));
/* QEMU semihosting SYS_EXIT.  Without -semihosting-config the HLT is an
 * undefined instruction and the kernel panics: only exit=semihost uses it. */
void semihost_exit(int status) __attribute__((noreturn));

#endif
