/*
 * lessons.h — nine weak-memory lessons, each one command (see lesson.c).
 */
#ifndef LESSONS_H
#define LESSONS_H

#include <stdbool.h>

/* What a test is expected to show on a kind of machine. */
enum lesson_expect {
	SHOWS, /* the condition's outcome appears */
	HIDDEN, /* allowed, but this kind of machine is not expected to show it */
	NEVER, /* forbidden by the architecture: it must not appear */
	EMULATOR_BUG, /* forbidden, yet this emulator shows it: a known defect (qemu only) */
};

struct lesson_test {
	const char *file; /* a test of the built-in suite (tests/litmus/) */
	const char *point; /* one sentence: what this test shows */
	enum lesson_expect qemu; /* QEMU TCG on an x86 host */
	const char *qemu_why; /* for EMULATOR_BUG: why QEMU shows it */
	enum lesson_expect arm; /* a Cortex-A72 (a Pi 4), as published */
};

#define LESSON_MAX_TESTS 6
#define LESSON_MAX_LINES 8

struct lesson {
	const char *title;
	const char *idea[LESSON_MAX_LINES]; /* the idea in a few sentences */
	struct lesson_test test[LESSON_MAX_TESTS];
	const char *closing[LESSON_MAX_LINES]; /* what the person just saw */
	bool runtime_half; /* lesson 9: then the allgs demo on the runtime */
};

#define LESSON_COUNT 9
extern const struct lesson lessons[LESSON_COUNT]; /* course.c; lesson N is lessons[N - 1] */

/* Lesson n (1..9): the idea, each test's code, the model's verdict and cycle,
 * a run with a histogram, and what it comes to.  quick: fewer iterations
 * (the test suite's short runs).  Returns 0 if every test behaved as the
 * architecture allows and nothing forbidden was seen. */
int lesson_run(int n, bool quick);
/* Every lesson in turn; the status of all of them. */
int lessons_run_all(bool quick);
/* One line per lesson. */
void lessons_list(void);

#endif
