/*
 * litmus-model — the ARMv8 model (kernel/litmus/model*.c) as a host command:
 * for each litmus file, herd7's output (Test, States, Ok/No, Witnesses,
 * Condition, Observation).
 *
 *   tools/litmus-model [--why] [--time] [--bench N] FILE...
 *
 *   --why      after each test, why its condition's outcome is allowed or
 *              forbidden: the axiom and a shortest forbidding cycle
 *   --time     print herd's "Time NAME seconds" line
 *   --bench N  run each test N times and print one line per test,
 *              "Bench NAME threads T executions E seconds S" (S per run),
 *              instead of herd's output
 *
 * Exit status 0 when every file was read, parsed and run, else 1 (each
 * problem is printed as "file:line:col: message").  Built by `make host-tools`
 * (tools/litmus-model, the wrapper script, does it when needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/litmus/litmus.h"
#include "kernel/litmus/model.h"

static void to_file(void *arg, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)arg);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		size_t got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		char *bigger = realloc(buf, cap);
		if (!bigger) {
			free(buf);
			buf = NULL;
		}
		buf = bigger;
	}
	fclose(fp);
	*len = n;
	return buf;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: tools/litmus-model [--why] [--time] [--bench N] FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool why = false, timing = false;
	long bench = 0;
	int status = 0, nfiles = 0;
	static struct litmus_test t;
	struct litmus_error err;
	struct model *m = malloc(sizeof *m);
	struct model_out out = {to_file, stdout};
	if (!m) {
		fprintf(stderr, "litmus-model: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--why") == 0) {
			why = true;
		} else if (strcmp(argv[i], "--time") == 0) {
			timing = true;
		} else if (strcmp(argv[i], "--bench") == 0) {
			if (i + 1 >= argc || (bench = strtol(argv[++i], NULL, 10)) <= 0)
				usage();
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage();
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *path = argv[i];
		if (strcmp(path, "--bench") == 0) {
			i++;
			continue;
		}
		if (path[0] == '-' && path[1])
			continue;
		nfiles++;
		size_t len;
		char *text = read_file(path, &len);
		if (!text) {
			fprintf(stderr, "%s: cannot read it\n", path);
			status = 1;
			continue;
		}
		char msg[LITMUS_ERR_MAX + 300];
		if (litmus_parse(text, len, &t, &err) != 0) {
			litmus_format_error(&err, path, msg, sizeof msg);
			fprintf(stderr, "%s\n", msg);
			free(text);
			status = 1;
			continue;
		}
		free(text);
		long runs = bench > 0 ? bench : 1;
		double start = now();
		int r = 0;
		for (long k = 0; k < runs && r == 0; k++)
			r = model_run(m, &t, why ? MODEL_WHY : 0, &err);
		double secs = (now() - start) / (double)runs;
		if (r != 0) {
			litmus_format_error(&err, path, msg, sizeof msg);
			fprintf(stderr, "%s\n", msg);
			status = 1;
			continue;
		}
		if (bench > 0) {
			printf("Bench %s threads %d executions %llu seconds %.6f\n", t.name,
			       t.nthreads, (unsigned long long)(m->pos + m->neg), secs);
			continue;
		}
		char tbuf[32];
		snprintf(tbuf, sizeof tbuf, "%0.2f", secs);
		model_print(m, &out, timing ? tbuf : NULL);
		if (why && model_explain(m, &out, &err) != 0) {
			litmus_format_error(&err, path, msg, sizeof msg);
			fprintf(stderr, "%s\n", msg);
			status = 1;
		}
		if (why)
			printf("\n");
		fflush(stdout);
	}
	if (!nfiles)
		usage();
	free(m);
	return status;
}
