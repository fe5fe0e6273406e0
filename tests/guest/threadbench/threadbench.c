/*
 * Measurements for make bench: the cost of a link-mode system call
 * (getpid), a thread switch (two threads ping-ponging with sched_yield),
 * futex wake-to-run latency, an uncontended mutex, pthread_create+join.
 * Prints "bench NAME VALUE UNIT" lines.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"

static void bench_getpid(long n)
{
	long long t0 = now_ns();
	volatile int sink = 0;

	for (long i = 0; i < n; i++)
		sink += getpid();
	printf("bench syscall_getpid %.1f ns\n", (double)(now_ns() - t0) / n);
}

static volatile long yields;

static void *yielder(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++)
		sched_yield();
	return NULL;
}

static void bench_switch(long n)
{
	pthread_t a, b;
	long long t0 = now_ns();

	pthread_create(&a, NULL, yielder, (void *)n);
	pthread_create(&b, NULL, yielder, (void *)n);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("bench thread_switch %.1f ns\n", (double)(now_ns() - t0) / (2 * n));
}

/* Ping-pong over two futex words: main wakes the other thread and waits;
 * the other records when it runs. */
static unsigned ping, pong;
static long long woke_at[1000], ran_at[1000];

static void *ponger(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		while (__atomic_load_n(&ping, __ATOMIC_SEQ_CST) == (unsigned)i)
			syscall(202, &ping, 0 | 128, (unsigned)i, NULL, 0, 0);
		ran_at[i] = now_ns();
		__atomic_store_n(&pong, (unsigned)i + 1, __ATOMIC_SEQ_CST);
		syscall(202, &pong, 1 | 128, 1, NULL, 0, 0);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void bench_futex(long n)
{
	pthread_t t;
	long long lat[1000];

	pthread_create(&t, NULL, ponger, (void *)n);
	for (long i = 0; i < n; i++) {
		woke_at[i] = now_ns();
		__atomic_store_n(&ping, (unsigned)i + 1, __ATOMIC_SEQ_CST);
		syscall(202, &ping, 1 | 128, 1, NULL, 0, 0);
		while (__atomic_load_n(&pong, __ATOMIC_SEQ_CST) == (unsigned)i)
			syscall(202, &pong, 0 | 128, (unsigned)i, NULL, 0, 0);
	}
	pthread_join(t, NULL);
	for (long i = 0; i < n; i++)
		lat[i] = ran_at[i] - woke_at[i];
	qsort(lat, n, sizeof(*lat), cmp);
	printf("bench futex_wake_to_run %.1f ns\n", (double)lat[n / 2]);
}

static void bench_mutex(long n)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	long long t0 = now_ns();

	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	printf("bench mutex_lock_unlock %.1f ns\n", (double)(now_ns() - t0) / n);
}

static void *nothing(void *arg) { return arg; }

static void bench_create(long n)
{
	long long t0 = now_ns();
	pthread_t t;

	for (long i = 0; i < n; i++) {
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	printf("bench pthread_create_join %.1f us\n", (double)(now_ns() - t0) / n / 1000);
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 10; /* 1 under slow emulation */

	bench_getpid(1000000 * scale);
	bench_switch(100000 * scale);
	bench_futex(1000);
	bench_mutex(1000000 * scale);
	bench_create(1000);
	return 0;
}
