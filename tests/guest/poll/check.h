/* The poll suite's checks: each prints a line when it fails. */
#ifndef POLL_CHECK_H
#define POLL_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <time.h>

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

static inline long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A timed wait took at least ms and not absurdly longer. */
#define WAITED(t0, ms) (now_ms() - (t0) >= (ms) && now_ms() - (t0) < (ms) + 2000)

void blocking_tests(void);
void timerfd_tests(void);

#endif
