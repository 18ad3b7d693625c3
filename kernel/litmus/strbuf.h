/*
 * strbuf.h — building short texts (error messages, instructions) into a
 * fixed buffer, without printf: the litmus code uses nothing of the C library
 * beyond <string.h>, so it builds the same in the kernel and on the host.
 *
 * A strbuf never overflows: text beyond its size is dropped, the buffer stays
 * NUL-terminated, and len counts what was wanted (as snprintf's result does).
 */
#ifndef LITMUS_STRBUF_H
#define LITMUS_STRBUF_H

#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;
	size_t size; /* > 0 */
	size_t len; /* characters wanted so far */
};

static inline void sb_init(struct strbuf *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	if (size)
		buf[0] = '\0';
}

static inline void sb_putc(struct strbuf *sb, char c)
{
	if (sb->size && sb->len + 1 < sb->size) {
		sb->buf[sb->len] = c;
		sb->buf[sb->len + 1] = '\0';
	}
	sb->len++;
}

static inline void sb_puts(struct strbuf *sb, const char *s)
{
	while (s && *s)
		sb_putc(sb, *s++);
}

/* At most n characters of s (s need not be terminated within them). */
static inline void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		sb_putc(sb, s[i]);
}

static inline void sb_putu(struct strbuf *sb, uint64_t v)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		sb_putc(sb, digits[--n]);
}

static inline void sb_puti(struct strbuf *sb, int64_t v)
{
	if (v < 0) {
		sb_putc(sb, '-');
		sb_putu(sb, -(uint64_t)v);
	} else {
		sb_putu(sb, (uint64_t)v);
	}
}

static inline void sb_puthex(struct strbuf *sb, uint64_t v)
{
	char digits[16];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	sb_puts(sb, "0x");
	while (n)
		sb_putc(sb, digits[--n]);
}

#endif
