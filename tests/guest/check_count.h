/*
 * CHECK(cond, fmt, ...) for the guest test programs that count their
 * checks and print only failures: "FAIL file:line: " with the message and
 * errno. The program defines int checks, failed and prints the totals.
 */
#ifndef GUEST_CHECK_COUNT_H
#define GUEST_CHECK_COUNT_H

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

#endif
