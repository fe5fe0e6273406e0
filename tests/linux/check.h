/*
 * What the Linux test programs share: one verdict line a check, "PASS
 * SUITE/name" or "FAIL SUITE/name: why (errno N)" (SUITE, a string, is
 * defined before this is included), and failed set by any FAIL; a
 * child's wait status.
 */
#ifndef LINUX_CHECK_H
#define LINUX_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

static int failed;

static inline void check(const char *name, int ok, const char *why)
{
	if (ok)
		printf("PASS " SUITE "/%s\n", name);
	else
		printf("FAIL " SUITE "/%s: %s (errno %d)\n", name, why, errno);
	if (!ok)
		failed = 1;
	fflush(stdout);
}

/* The end of main: "SUITE: all passed" when no check failed; the exit
 * status. */
static inline int check_done(void)
{
	if (!failed)
		printf(SUITE ": all passed\n");
	return failed;
}

/* Child pid's wait status, or -1. */
static inline int status_of(pid_t pid)
{
	int st = -1;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

#endif
