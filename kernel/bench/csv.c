/*
 * csv.c — the "csv NAME header|row ..." lines of csv.h.  Each line is
 * printed with one kprintf, so lines from two cores never interleave.
 */
#include "kernel/bench/csv.h"
#include "kernel/drivers/console.h"

#include <stdarg.h>

#define CSV_LINE 256

void csv_header(const char *name, const char *columns)
{
	kprintf("csv %s header %s\n", name, columns);
}

void csv_row(const char *name, const char *fmt, ...)
{
	char line[CSV_LINE];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	kprintf("csv %s row %s\n", name, line);
}
