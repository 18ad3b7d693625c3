/*
 * semihost.h — reading and writing host files through QEMU's semihosting (the Arm
 * semihosting interface: HLT #0xF000 with an operation in w0 and a pointer
 * to its arguments in x1).  Needs QEMU's -semihosting-config enable=on;
 * without it HLT is an undefined instruction, which semihost_available()
 * catches once and remembers.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdbool.h>
#include <stddef.h>

bool semihost_available(void);

/*
 * Read the host file path (relative to QEMU's working directory) into
 * buf[0..cap).  Returns 0 with *len set, or -1 with a message in err (no
 * semihosting, cannot open, larger than cap, read error).
 */
int semihost_read_file(const char *path, char *buf, size_t cap, size_t *len, char *err,
		       size_t errlen);

/*
 * Writing a host file (the tracer's dump): open path for writing (created
 * or truncated; returns a handle, or -1 without semihosting or when the
 * host refuses: semihost_errno() says why), write all of buf (0, or -1),
 * close (0, or -1).
 */
int semihost_open_write(const char *path);
int semihost_write(int fd, const void *buf, size_t len);
int semihost_close(int fd);
long long semihost_errno(void);

#endif
