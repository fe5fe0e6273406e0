/*
 * CHECK(name, cond, fmt, ...), the guest test programs' one way to check:
 * each check prints its verdict, "PASS name", or "FAIL name: " with the
 * message and errno (as the check left it). The program defines
 * int checks, failures (the checks made, the FAIL lines among them) and
 * ends with check_totals(); the host scripts relay or count the lines.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <errno.h>
#include <stdio.h>

extern int checks, failures;

#define CHECK(name, cond, ...)                                 \
	do {                                                   \
		checks++;                                      \
		if (cond) {                                    \
			printf("PASS %s\n", name);             \
		} else {                                       \
			int check_errno_ = errno;              \
			printf("FAIL %s: ", name);             \
			printf(__VA_ARGS__);                   \
			printf(" (errno %d)\n", check_errno_); \
			failures++;                            \
		}                                              \
	} while (0)

/* The last line, "PROG: N checks, M failed"; the exit status: 1 when a
 * check failed. */
static inline int check_totals(const char *prog)
{
	printf("%s: %d checks, %d failed\n", prog, checks, failures);
	return failures ? 1 : 0;
}

#endif
