/* The guest test programs' clock: the monotonic clock in nanoseconds. */
#ifndef GUEST_NOW_H
#define GUEST_NOW_H

#include <time.h>

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

#endif
