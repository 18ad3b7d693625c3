/*
 * ktest.c — the in-kernel test runner.  See ktest.h.
 */
#include "tests/kernel/ktest.h"
#include "kernel/drivers/console.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/timer.h"

#include <stdarg.h>
#include <string.h>

extern const struct ktest __ktest_start[], __ktest_end[];

static bool current_failed, current_skipped;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kprintf("    FAIL %s:%d: %s\n", file, line, msg);
	current_failed = true;
}

void ktest_skip(const char *why)
{
	kprintf("    skipped: %s\n", why);
	current_skipped = true;
}

bool ktest_failed(void)
{
	return current_failed;
}

static bool suite_selected(const char *suites, const char *suite)
{
	if (!suites || !*suites || strcmp(suites, "all") == 0)
		return true;
	size_t n = strlen(suite);
	for (const char *p = suites; *p;) {
		size_t len = strcspn(p, ",+");
		if (len == n && strncmp(p, suite, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

int ktest_run(const char *suites, int *ran)
{
	int passed = 0, failed = 0, skipped = 0;
	kprintf("ktest: running %s on %d core%s\n", suites && *suites ? suites : "all suites",
		cpus_online(), cpus_online() == 1 ? "" : "s");
	for (const struct ktest *t = __ktest_start; t < __ktest_end; t++) {
		if (!suite_selected(suites, t->suite))
			continue;
		current_failed = current_skipped = false;
		kprintf("[ RUN      ] %s.%s\n", t->suite, t->name);
		this_cpu()->doing = t->name;
		uint64_t start = timer_ns();
		t->fn();
		uint64_t ms = (timer_ns() - start) / 1000000;
		this_cpu()->doing = "ktest";
		if (current_failed) {
			failed++;
			kprintf("[     FAIL ] %s.%s (%llu ms)\n", t->suite, t->name,
				(unsigned long long)ms);
		} else if (current_skipped) {
			skipped++;
			kprintf("[     SKIP ] %s.%s\n", t->suite, t->name);
		} else {
			passed++;
			kprintf("[       OK ] %s.%s (%llu ms)\n", t->suite, t->name,
				(unsigned long long)ms);
		}
	}
	if (passed + failed + skipped == 0)
		kprintf("ktest: no test matches '%s'\n", suites ? suites : "");
	kprintf("ktest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (ran)
		*ran = passed + failed;
	return failed;
}

void ktest_list(void)
{
	for (const struct ktest *t = __ktest_start; t < __ktest_end; t++)
		kprintf("  %s.%s\n", t->suite, t->name);
}
