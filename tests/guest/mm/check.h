/* The mm suite's checks: each prints a line when it fails. */
#ifndef MM_CHECK_H
#define MM_CHECK_H

#include <errno.h>
#include <stdio.h>

extern int checks, failed;

#define CHECK(cond, ...)                                            \
	do {                                                        \
		checks++;                                           \
		if (!(cond)) {                                      \
			failed++;                                   \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                        \
			printf(" (errno %d)\n", errno);             \
		}                                                   \
	} while (0)

void file_tests(void);

#endif
