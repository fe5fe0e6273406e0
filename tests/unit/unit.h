/*
 * A tiny host unit-test harness. Each TEST is one test case; it prints
 * "PASS name" or "FAIL name: expression (file:line)" for tests/run.sh.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_case_failed, unit_failures;

#define EXPECT(c)                                                                         \
	do {                                                                              \
		if (!(c)) {                                                               \
			printf("FAIL %s: expected %s (%s:%d)\n", unit_name, #c, __FILE__, \
			       __LINE__);                                                 \
			unit_case_failed = 1;                                             \
			return;                                                           \
		}                                                                         \
	} while (0)

#define TEST(fn) static void fn(const char *unit_name)

#define RUN(prefix, fn)                                      \
	do {                                                 \
		unit_case_failed = 0;                        \
		fn(prefix "/" #fn);                          \
		if (unit_case_failed)                        \
			unit_failures++;                     \
		else                                         \
			printf("PASS %s\n", prefix "/" #fn); \
		fflush(stdout);                              \
	} while (0)

/* Removes a test's scratch tree; 0 when rm -rf says it is gone. */
static inline int unit_rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

#endif
