/*
 * csv.h — benchmark figures as lines a host script can collect.
 *
 * A benchmark prints its human-readable table and, beside it, its figures
 * as CSV lines on the console:
 *
 *   csv NAME header col1,col2,...
 *   csv NAME row v1,v2,...
 *
 * tools/bench and tools/bench-peers gather every NAME's lines into
 * build/bench/NAME.csv (a header printed again for the same NAME starts the
 * same file over only if its columns differ).  Values are plain numbers or
 * single words, never containing a comma.
 */
#ifndef BENCH_CSV_H
#define BENCH_CSV_H

/* The columns of table name. */
void csv_header(const char *name, const char *columns);
/* One row of table name, formatted as printf does. */
void csv_row(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
