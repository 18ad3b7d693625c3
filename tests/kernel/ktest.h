/*
 * ktest.h — the in-kernel test framework.
 *
 *   KTEST(ipi, unicast_reaches_every_core) { ...; KASSERT_EQ(got, want); }
 *
 * declares a test in suite "ipi".  Tests live in tests/kernel/, are collected
 * by the linker into one table, and run on the boot core with run=test (every
 * suite) or run=test:<suite>.  An assertion that fails prints file:line, the
 * expression and both values, marks the test failed and returns from it.
 * The runner's last line is "N passed, N failed".
 */
#ifndef KTEST_H
#define KTEST_H

#include <stdint.h>
#include <stdbool.h>

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(void);
};

#define KTEST(suite, name)                                                                         \
	static void ktest_fn_##suite##_##name(void);                                               \
	static const struct ktest ktest_##suite##_##name                                           \
	    __attribute__((used, section(".ktest"), aligned(8))) = {#suite, #name,                 \
								    ktest_fn_##suite##_##name};    \
	static void ktest_fn_##suite##_##name(void)

void ktest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ktest_skip(const char *why);
bool ktest_failed(void);

#define KASSERT(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			ktest_fail(__FILE__, __LINE__, "expected %s", #cond);                      \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define KASSERT_CMP(a, op, b)                                                                      \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (!(_a op _b)) {                                                                 \
			ktest_fail(__FILE__, __LINE__,                                             \
				   "expected %s %s %s: %lld (%#llx) vs %lld (%#llx)", #a, #op, #b, \
				   _a, (unsigned long long)_a, _b, (unsigned long long)_b);        \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define KASSERT_EQ(a, b) KASSERT_CMP(a, ==, b)
#define KASSERT_NE(a, b) KASSERT_CMP(a, !=, b)
#define KASSERT_LT(a, b) KASSERT_CMP(a, <, b)
#define KASSERT_LE(a, b) KASSERT_CMP(a, <=, b)
#define KASSERT_GT(a, b) KASSERT_CMP(a, >, b)
#define KASSERT_GE(a, b) KASSERT_CMP(a, >=, b)

#define KSKIP(why)                                                                                 \
	do {                                                                                       \
		ktest_skip(why);                                                                   \
		return;                                                                            \
	} while (0)

/* Run the tests whose suite is in the comma-separated list (NULL: all).
 * Returns the number of failures; sets *ran to the number run. */
int ktest_run(const char *suites, int *ran);
/* List suites and test names. */
void ktest_list(void);

#endif
