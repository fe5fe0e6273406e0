/* What the thread test's files share (thread.c, thread_sync.c). */
#ifndef THREAD_TEST_H
#define THREAD_TEST_H

#include <stdio.h>
#include <time.h>

#include "../check.h"

/* Timeouts may end late (an emulated CPU on a busy host stalls), never
 * early: the upper bound only catches "never woke up". */
#define SLACK_MS 2000

static inline long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static inline long long mono_ms(void) { return now_ns(CLOCK_MONOTONIC) / 1000000; }

/* An absolute deadline: clock clk's now plus ms milliseconds (ms < 1000). */
static inline void deadline_in(struct timespec *ts, clockid_t clk, long ms)
{
	clock_gettime(clk, ts);
	ts->tv_nsec += ms * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* thread_sync.c */
void test_cond_timeout(clockid_t clk, const char *name);
void test_futex_timeout(void);
void test_requeue(void);
void test_robust(void);
void test_mutex_kinds(void);
void test_rwlock(void);
void test_barrier(void);
void test_once(void);
void test_spin(void);
void test_sem(void);
void test_preempt(void);
void test_malloc(void);
void test_attrs(void);

#endif
