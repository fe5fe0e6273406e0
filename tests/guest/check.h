/*
 * CHECK(name, cond, fmt, ...) for the guest test programs that print a
 * verdict line per check: "PASS name", or "FAIL name: " and the message.
 * The program defines int failures, the count of FAIL lines.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdio.h>

extern int failures;

#define CHECK(name, cond, ...)                     \
	do {                                       \
		if (cond) {                        \
			printf("PASS %s\n", name); \
		} else {                           \
			printf("FAIL %s: ", name); \
			printf(__VA_ARGS__);       \
			printf("\n");              \
			failures++;                \
		}                                  \
	} while (0)

#endif
