/*
 * semihost.c — see semihost.h.  (Exiting QEMU through semihosting is in
 * power.c.)
 */
#include "kernel/drivers/semihost.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/fault.h"
#include "kernel/arch/trap.h"

#include <stdint.h>
#include <string.h>

/* Operation numbers (Arm's "Semihosting for AArch32 and AArch64"). */
#define SYS_OPEN  0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ  0x06
#define SYS_FLEN  0x0c
#define SYS_ERRNO 0x13

#define OPEN_MODE_RB 1 /* fopen's "rb" */
#define OPEN_MODE_WB 5 /* fopen's "wb": create or truncate */

static uint64_t call(uint64_t op, void *args)
{
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)args;
	/* memory: the host reads the argument block and writes buffers */
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

bool semihost_available(void)
{
	static int known; /* 0: not probed, 1: yes, 2: no */
	if (!known) {
		/* SYS_ERRNO reads nothing and changes nothing: a safe probe.
		 * Without semihosting the HLT faults, and the expected-fault
		 * hook skips it. */
		fault_expect_begin();
		call(SYS_ERRNO, NULL);
		known = fault_expect_end(NULL, NULL) ? 2 : 1;
	}
	return known == 1;
}

int semihost_read_file(const char *path, char *buf, size_t cap, size_t *len, char *err,
		       size_t errlen)
{
	if (!semihost_available()) {
		ksnprintf(err, errlen,
			  "no semihosting (QEMU needs -semihosting-config enable=on; a real board "
			  "has none: paste the test with litmus load)");
		return -1;
	}
	uint64_t open_args[3] = {(uint64_t)(uintptr_t)path, OPEN_MODE_RB, strlen(path)};
	int64_t fd = (int64_t)call(SYS_OPEN, open_args);
	if (fd < 0) {
		ksnprintf(err, errlen, "cannot open it on the host (errno %lld)",
			  (long long)call(SYS_ERRNO, NULL));
		return -1;
	}
	uint64_t flen_args[1] = {(uint64_t)fd};
	int64_t size = (int64_t)call(SYS_FLEN, flen_args);
	int rc = 0;
	if (size < 0) {
		ksnprintf(err, errlen, "cannot tell its size");
		rc = -1;
	} else if ((uint64_t)size > cap) {
		ksnprintf(err, errlen, "too large: %lld bytes (at most %zu)", (long long)size, cap);
		rc = -1;
	} else {
		uint64_t read_args[3] = {(uint64_t)fd, (uint64_t)(uintptr_t)buf, (uint64_t)size};
		uint64_t left = call(SYS_READ, read_args); /* bytes NOT read */
		if (left > (uint64_t)size) {
			ksnprintf(err, errlen, "read error");
			rc = -1;
		} else {
			*len = (size_t)((uint64_t)size - left);
		}
	}
	uint64_t close_args[1] = {(uint64_t)fd};
	call(SYS_CLOSE, close_args);
	return rc;
}

int semihost_open_write(const char *path)
{
	if (!semihost_available())
		return -1;
	uint64_t args[3] = {(uint64_t)(uintptr_t)path, OPEN_MODE_WB, strlen(path)};
	int64_t fd = (int64_t)call(SYS_OPEN, args);
	return fd < 0 ? -1 : (int)fd;
}

int semihost_write(int fd, const void *buf, size_t len)
{
	uint64_t args[3] = {(uint64_t)fd, (uint64_t)(uintptr_t)buf, len};
	return call(SYS_WRITE, args) == 0 ? 0 : -1; /* it returns the bytes NOT written */
}

int semihost_close(int fd)
{
	uint64_t args[1] = {(uint64_t)fd};
	return (int64_t)call(SYS_CLOSE, args) == 0 ? 0 : -1;
}

long long semihost_errno(void)
{
	return (long long)call(SYS_ERRNO, NULL);
}
