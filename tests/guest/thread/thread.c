/*
 * Threads: pthreads on the library OS's clone and futex. Prints one line
 * per check, "PASS name" or "FAIL name: why", then "thread tests done".
 *
 * argv[1] picks a scenario run on its own (the exit status is what is
 * checked): "lastexit" (main calls pthread_exit, the last thread's return
 * ends the program with status 0 after atexit handlers), "exitthread"
 * (exit(7) from a second thread ends everything with 7), "exitlocked"
 * (returning from main while another thread holds stdout's lock for good
 * still ends the program, status 5).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "thread_test.h"

int checks, failures;

/* ---- 8 threads x 100 000 mutex-protected increments ---- */

#define NT 8
#define NINC 100000

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static volatile int running, max_running;

static void *incr(void *arg)
{
	int r = __atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST);

	if (r > max_running)
		max_running = r;
	for (int i = 0; i < NINC; i++) {
		pthread_mutex_lock(&count_lock);
		long v = counter;
		if ((i & 1023) == 0)
			sched_yield(); /* hold the lock across a switch */
		counter = v + 1;
		pthread_mutex_unlock(&count_lock);
	}
	__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
	return arg;
}

static void test_counter(void)
{
	pthread_t t[NT];
	int created = 0;

	for (long i = 0; i < NT; i++)
		created += pthread_create(&t[i], NULL, incr, (void *)i) == 0;
	for (int i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/mutex-8x100000", created == NT && counter == (long)NT * NINC,
	      "%d threads, counter %ld, want %ld", created, counter, (long)NT * NINC);
	CHECK("thread/concurrent", max_running > 1, "at most %d ran at once", max_running);
}

/* ---- join values, pthread_exit, errors ---- */

static void *square(void *arg)
{
	long i = (long)arg;

	if (i == 3)
		pthread_exit((void *)(i * i)); /* the other way out */
	return (void *)(i * i);
}

static void test_join(void)
{
	pthread_t t[6];
	int ok = 1;
	void *r;

	for (long i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, square, (void *)i);
	for (long i = 5; i >= 0; i--) { /* out of order */
		int e = pthread_join(t[i], &r);
		if (e || (long)r != i * i) {
			printf("# join %ld: error %d value %ld\n", i, e, (long)r);
			ok = 0;
		}
	}
	CHECK("thread/join-values", ok, "a join returned the wrong value");
	CHECK("thread/join-self-edeadlk", pthread_join(pthread_self(), &r) == EDEADLK,
	      "no EDEADLK");
	CHECK("thread/join-twice-esrch", pthread_join(t[0], &r) == ESRCH, "joined a reaped thread");
	CHECK("thread/equal",
	      pthread_equal(pthread_self(), pthread_self()) && !pthread_equal(t[0], t[1]),
	      "pthread_equal wrong");
}

/* ---- detached threads ---- */

static volatile int detached_done;

static void *detached_fn(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&detached_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_detached(void)
{
	pthread_attr_t a;
	pthread_t t;
	int made = 0, e, state;
	long long t0 = mono_ms();

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_getdetachstate(&a, &state);
	for (int round = 0; round < 5; round++) /* later rounds reuse freed memory */
		for (int i = 0; i < 20; i++)
			made += pthread_create(&t, &a, detached_fn, NULL) == 0;
	while (detached_done < 100 && mono_ms() - t0 < 5 * SLACK_MS)
		usleep(1000);
	CHECK("thread/detached-ran", made == 100 && detached_done == 100, "%d made, %d ran", made,
	      detached_done);
	CHECK("thread/detachstate-attr", state == PTHREAD_CREATE_DETACHED, "state %d", state);
	e = pthread_join(t, NULL);
	CHECK("thread/join-detached-fails", e == EINVAL || e == ESRCH, "join gave %d", e);
	pthread_create(&t, NULL, detached_fn, NULL);
	CHECK("thread/detach", pthread_detach(t) == 0, "pthread_detach failed");
	pthread_attr_destroy(&a);
}

/* ---- TLS, errno and keys per thread ---- */

__thread int tls_int = 42;
__thread char tls_str[16] = "initial";
__thread long tls_zero[64];
__thread long tls_aligned __attribute__((aligned(64)));
static pthread_key_t key;
static volatile int dtor_calls;
static long dtor_sum;

static void key_dtor(void *v)
{
	__atomic_add_fetch(&dtor_calls, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&dtor_sum, (long)v, __ATOMIC_SEQ_CST);
}

static uint64_t main_canary;

/* The TCB as the x86-64 ABI and gcc's stack protector see it. */
static uint64_t fs_word(int off)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"((long)off));
	return v;
}

static void *tls_fn(void *arg)
{
	long id = (long)arg;
	int ok = tls_int == 42 && !strcmp(tls_str, "initial") && tls_zero[63] == 0 &&
	         ((uintptr_t)&tls_aligned & 63) == 0 && pthread_getspecific(key) == NULL &&
	         fs_word(0) == (uint64_t)pthread_self() && fs_word(0x28) == main_canary;

	tls_int = (int)id;
	snprintf(tls_str, sizeof(tls_str), "t%ld", id);
	tls_zero[63] = id;
	errno = (int)id + 1000;
	pthread_setspecific(key, (void *)id);
	for (int i = 0; i < 10; i++)
		sched_yield(); /* the others write theirs meanwhile */
	ok = ok && tls_int == id && tls_zero[63] == id && errno == id + 1000 &&
	     (long)pthread_getspecific(key) == id;
	snprintf(tls_str, sizeof(tls_str), "t%ld", id);
	return (void *)(long)ok;
}

static void test_tls(void)
{
	pthread_t t[4];
	long all = 1;
	void *r;

	main_canary = fs_word(0x28);
	CHECK("thread/tcb-main", fs_word(0) == (uint64_t)pthread_self() && main_canary != 0,
	      "fs:0 %#lx, self %#lx, canary %#lx", (unsigned long)fs_word(0),
	      (unsigned long)pthread_self(), (unsigned long)main_canary);
	pthread_key_create(&key, key_dtor);
	errno = 0;
	tls_int = 7;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, tls_fn, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		all &= (long)r;
	}
	CHECK("thread/tls-per-thread", all, "a thread saw another's TLS, errno, key or TCB");
	CHECK("thread/tls-main-kept", tls_int == 7 && errno == 0, "main's TLS changed: %d %d",
	      tls_int, errno);
	CHECK("thread/key-destructors", dtor_calls == 4 && dtor_sum == 1 + 2 + 3 + 4,
	      "%d calls, sum %ld", dtor_calls, dtor_sum);
	CHECK("thread/key-delete",
	      pthread_key_delete(key) == 0 && pthread_setspecific(key, &r) == EINVAL,
	      "deleted key still usable");
}

/* ---- condition variable: bounded buffer, 2 producers, 2 consumers ---- */

#define QLEN 4
#define ITEMS 5000

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QLEN], qhead, qcount, producers_left = 2;
static long consumed_sum, consumed_n;

static void *producer(void *arg)
{
	int base = (int)(long)arg;

	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&qlock);
		while (qcount == QLEN)
			pthread_cond_wait(&not_full, &qlock);
		queue[(qhead + qcount++) % QLEN] = base + i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&qlock);
	}
	pthread_mutex_lock(&qlock);
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qlock);
		while (qcount == 0 && producers_left)
			pthread_cond_wait(&not_empty, &qlock);
		if (qcount == 0) {
			pthread_mutex_unlock(&qlock);
			return NULL;
		}
		int v = queue[qhead];
		qhead = (qhead + 1) % QLEN;
		qcount--;
		consumed_sum += v;
		consumed_n++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&qlock);
	}
}

static void test_condvar(void)
{
	pthread_t p[2], c[2];
	long want = 2l * ITEMS * (ITEMS + 1) / 2 + 1000000l * ITEMS;

	pthread_create(&c[0], NULL, consumer, NULL);
	pthread_create(&c[1], NULL, consumer, NULL);
	pthread_create(&p[0], NULL, producer, (void *)0l);
	pthread_create(&p[1], NULL, producer, (void *)1000000l);
	for (int i = 0; i < 2; i++) {
		pthread_join(p[i], NULL);
		pthread_join(c[i], NULL);
	}
	CHECK("thread/condvar-producer-consumer", consumed_n == 2 * ITEMS && consumed_sum == want,
	      "consumed %ld items summing %ld, want %d summing %ld", consumed_n, consumed_sum,
	      2 * ITEMS, want);
}

/* ---- whole-program scenarios ---- */

static void say_atexit(void) { printf("atexit handler ran\n"); }

static void *late(void *arg)
{
	usleep(30000);
	printf("last thread returning\n");
	return arg;
}

static void *exit7(void *arg)
{
	(void)arg;
	exit(7);
}

static volatile int stdout_held;

static void *hold_stdout(void *arg)
{
	(void)arg;
	flockfile(stdout);
	stdout_held = 1;
	for (;;)
		sleep(100);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc > 1 && !strcmp(argv[1], "lastexit")) {
		atexit(say_atexit);
		pthread_create(&t, NULL, late, NULL);
		pthread_exit(NULL);
	}
	if (argc > 1 && !strcmp(argv[1], "exitlocked")) {
		/* exit() flushes stdout although another thread holds it */
		printf("buffered before exit\n");
		pthread_create(&t, NULL, hold_stdout, NULL);
		while (!stdout_held)
			sched_yield();
		return 5;
	}
	if (argc > 1 && !strcmp(argv[1], "exitthread")) {
		pthread_create(&t, NULL, exit7, NULL);
		for (;;)
			sleep(1);
	}
	test_counter();
	test_join();
	test_detached();
	test_tls();
	test_condvar();
	test_cond_timeout(CLOCK_REALTIME, "thread/cond-timedwait-realtime");
	test_cond_timeout(CLOCK_MONOTONIC, "thread/cond-timedwait-monotonic");
	test_futex_timeout();
	test_requeue();
	test_robust();
	test_mutex_kinds();
	test_rwlock();
	test_barrier();
	test_once();
	test_spin();
	test_sem();
	test_preempt();
	test_malloc();
	test_attrs();
	printf("thread tests done: %d failed\n", failures);
	return failures ? 1 : 0;
}
