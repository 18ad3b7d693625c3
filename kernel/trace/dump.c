/*
 * dump.c — where a trace goes: a host file by semihosting (QEMU), or the
 * console as a framed, checksummed block (a board without semihosting),
 * which tools/trace-decode turns back into the same JSON.
 *
 * The serial frame (docs/tracing.md):
 *
 *   === allstop trace begin: json ===
 *   TR 000000 <base64 of up to 48 bytes> <crc32 of those bytes, 8 hex digits>
 *   TR 000001 ...
 *   === allstop trace end: <lines> lines, <bytes> bytes, crc32 <crc32 of all> ===
 *
 * Lines are numbered from 0, so a lost line is a gap; each line's CRC finds
 * a changed byte; the end line's counts and CRC find a lost tail.  Other
 * cores may print lines in between: the decoder skips lines that are not
 * "TR " lines.  The CRC is zlib's (IEEE 802.3, reflected, 0xEDB88320).
 */
#include "kernel/trace/trace.h"
#include "kernel/drivers/console.h"
#include "kernel/drivers/semihost.h"

#include <string.h>

/* ---- to a host file ---- */

struct file_sink {
	int fd;
	int failed;
};

static void file_write(void *ctx, const char *s, size_t n)
{
	struct file_sink *f = ctx;
	if (!f->failed && semihost_write(f->fd, s, n) != 0)
		f->failed = 1;
}

int trace_dump_file(const char *path, char *err, size_t errlen)
{
	if (!semihost_available()) {
		ksnprintf(err, errlen,
			  "no semihosting (QEMU needs -semihosting-config enable=on; on a board "
			  "use trace dump serial and tools/trace-decode)");
		return -1;
	}
	struct file_sink f = {semihost_open_write(path), 0};
	if (f.fd < 0) {
		ksnprintf(err, errlen, "cannot create %s on the host (errno %lld)", path,
			  semihost_errno());
		return -1;
	}
	uint64_t n = trace_export_json(file_write, &f);
	if (semihost_close(f.fd) != 0 || f.failed) {
		ksnprintf(err, errlen, "writing %s on the host failed (errno %lld)", path,
			  semihost_errno());
		return -1;
	}
	kprintf("trace: %llu events written to %s\n", (unsigned long long)n, path);
	return 0;
}

/* ---- framed on the console ---- */

#define FRAME_BYTES 48 /* payload per line: 64 base64 characters */

static uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of src[0..n) into dst (4 * ceil(n / 3) + 1 bytes). */
static void base64(char *dst, const uint8_t *src, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)src[i + 1] << 8;
		if (i + 2 < n)
			v |= src[i + 2];
		dst[j++] = b64[(v >> 18) & 63];
		dst[j++] = b64[(v >> 12) & 63];
		dst[j++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		dst[j++] = i + 2 < n ? b64[v & 63] : '=';
	}
	dst[j] = '\0';
}

struct serial_sink {
	uint8_t chunk[FRAME_BYTES];
	size_t len; /* bytes in chunk */
	uint32_t lines;
	uint64_t bytes;
	uint32_t crc; /* of everything so far */
};

static void frame_line(struct serial_sink *s)
{
	char text[FRAME_BYTES / 3 * 4 + 1];
	base64(text, s->chunk, s->len);
	kprintf("TR %06u %s %08x\n", s->lines++, text, crc32_update(0, s->chunk, s->len));
	s->len = 0;
}

static void serial_write(void *ctx, const char *p, size_t n)
{
	struct serial_sink *s = ctx;
	s->crc = crc32_update(s->crc, p, n);
	s->bytes += n;
	while (n) {
		size_t k = FRAME_BYTES - s->len < n ? FRAME_BYTES - s->len : n;
		memcpy(s->chunk + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
		if (s->len == FRAME_BYTES)
			frame_line(s);
	}
}

void trace_dump_serial(void)
{
	static struct serial_sink s; /* one dump at a time (the shell's) */
	memset(&s, 0, sizeof s);
	kprintf("=== allstop trace begin: json ===\n");
	uint64_t n = trace_export_json(serial_write, &s);
	if (s.len)
		frame_line(&s);
	kprintf("=== allstop trace end: %u lines, %llu bytes, crc32 %08x ===\n", s.lines,
		(unsigned long long)s.bytes, s.crc);
	kprintf("trace: %llu events framed on the console (tools/trace-decode LOG > trace.json)\n",
		(unsigned long long)n);
}
