/* The poll suite's checks: each prints its verdict (check.h). */
#ifndef POLL_CHECK_H
#define POLL_CHECK_H

#include <time.h>

#include "../check.h"

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
