/*
 * line.c — the shell's line editor.
 *
 * Printable characters are echoed, backspace (DEL or ^H) rubs out, ^C
 * abandons the line, ^U clears it, up/down arrows (ESC [ A, ESC [ B) walk the
 * history of the last HISTORY lines.  Reading blocks the shell's task, not
 * its core (kernel/shell/input.c).
 */
#include "kernel/drivers/console.h"
#include "kernel/shell/input.h"
#include "kernel/shell/shell.h"

#include <string.h>

#define HISTORY 8

#define KEY_ESC	   0x1b
#define KEY_CTRL_C 0x03
#define KEY_CTRL_U 0x15
#define KEY_DEL	   0x7f

static char history[HISTORY][SHELL_LINE_MAX];
static int history_len; /* lines ever added; the last HISTORY are kept */

/* The line being edited. */
struct edit {
	char *buf; /* SHELL_LINE_MAX bytes */
	int len;
	int hist; /* the history line shown, history_len when none */
	int esc; /* 0, or how far into an ESC [ x sequence we are (1, 2) */
};

/* Rub out what is shown and show `with` instead. */
static void replace_line(struct edit *e, const char *with)
{
	while (e->len > 0) {
		kprintf("\b \b");
		e->len--;
	}
	strncpy(e->buf, with, SHELL_LINE_MAX - 1);
	e->buf[SHELL_LINE_MAX - 1] = '\0';
	e->len = (int)strlen(e->buf);
	console_write(e->buf, (size_t)e->len);
}

/* The third byte of ESC [ x: up (A) or down (B) in the history. */
static void history_key(struct edit *e, int c)
{
	if (c == 'A' && e->hist > 0 && history_len - e->hist < HISTORY)
		replace_line(e, history[--e->hist % HISTORY]);
	else if (c == 'B' && e->hist < history_len)
		replace_line(e, ++e->hist < history_len ? history[e->hist % HISTORY] : "");
}

static void rub_out(struct edit *e)
{
	if (e->len > 0) {
		e->len--;
		kprintf("\b \b");
	}
}

static void type_char(struct edit *e, int c)
{
	if (c >= 0x20 && c < KEY_DEL && e->len < SHELL_LINE_MAX - 1) {
		char ch = (char)c;
		e->buf[e->len++] = ch;
		console_write(&ch, 1);
	}
}

/* One key of an escape sequence; true if c was part of one. */
static bool escape_key(struct edit *e, int c)
{
	if (e->esc == 1) {
		e->esc = (c == '[') ? 2 : 0;
		return true;
	}
	if (e->esc == 2) {
		e->esc = 0;
		history_key(e, c);
		return true;
	}
	return false;
}

bool shell_read_line(char *line)
{
	struct edit e = {line, 0, history_len, 0};
	line[0] = '\0';
	for (;;) {
		int c = input_getc_wait(); /* blocks this task, not the core */
		if (escape_key(&e, c))
			continue;
		switch (c) {
		case KEY_ESC:
			e.esc = 1;
			break;
		case '\r':
		case '\n':
			kprintf("\n");
			line[e.len] = '\0';
			return true;
		case KEY_CTRL_C:
			kprintf("^C\n");
			return false;
		case KEY_CTRL_U:
			replace_line(&e, "");
			break;
		case KEY_DEL:
		case '\b':
			rub_out(&e);
			break;
		default:
			type_char(&e, c);
		}
	}
}

void shell_remember(const char *line)
{
	strncpy(history[history_len % HISTORY], line, SHELL_LINE_MAX - 1);
	history[history_len % HISTORY][SHELL_LINE_MAX - 1] = '\0';
	history_len++;
}
