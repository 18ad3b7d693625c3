/*
 * cmd_lesson.c — the shell's lesson command: the nine weak-memory lessons
 * (kernel/lessons/).
 */
#include "kernel/drivers/console.h"
#include "kernel/firmware/bootargs.h"
#include "kernel/lessons/lessons.h"
#include "kernel/shell/commands.h"

#include <string.h>

static void lesson_usage(void)
{
	kprintf("lesson: usage: lesson [N|all] [quick]   (N from 1 to %d)\n", LESSON_COUNT);
	lessons_list();
}

int cmd_lesson(int argc, char **argv)
{
	bool quick = argc == 3 && strcmp(argv[2], "quick") == 0;
	unsigned long long n;
	if (argc == 1) {
		lesson_usage();
		return 0;
	}
	if (argc > 3 || (argc == 3 && !quick)) {
		lesson_usage();
		return 1;
	}
	if (strcmp(argv[1], "all") == 0)
		return lessons_run_all(quick);
	if (!bootargs_parse_u64(argv[1], &n) || n < 1 || n > LESSON_COUNT) {
		kprintf("lesson: '%s': expected a lesson number from 1 to %d, or all\n", argv[1],
			LESSON_COUNT);
		return 1;
	}
	return lesson_run((int)n, quick);
}
