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

static int failures;
/* Timeouts may end late (an emulated CPU on a busy host stalls), never
 * early: the upper bound only catches "never woke up". */
#define SLACK_MS 2000

#define CHECK(name, cond, ...)                                   \
	do {                                                     \
		if (cond) {                                      \
			printf("PASS %s\n", name);               \
		} else {                                         \
			printf("FAIL %s: ", name);               \
			printf(__VA_ARGS__);                     \
			printf("\n");                            \
			failures++;                              \
		}                                                \
	} while (0)

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static long long mono_ms(void) { return now_ns(CLOCK_MONOTONIC) / 1000000; }

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
	CHECK("thread/join-self-edeadlk", pthread_join(pthread_self(), &r) == EDEADLK, "no EDEADLK");
	CHECK("thread/join-twice-esrch", pthread_join(t[0], &r) == ESRCH, "joined a reaped thread");
	CHECK("thread/equal", pthread_equal(pthread_self(), pthread_self()) && !pthread_equal(t[0], t[1]),
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
	CHECK("thread/detached-ran", made == 100 && detached_done == 100, "%d made, %d ran",
	      made, detached_done);
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
	CHECK("thread/key-delete", pthread_key_delete(key) == 0 && pthread_setspecific(key, &r) == EINVAL,
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

/* ---- timeouts ---- */

static void test_cond_timeout(clockid_t clk, const char *name)
{
	pthread_condattr_t ca;
	pthread_cond_t c;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec abs;
	long long t0, ms;
	int e;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, clk);
	pthread_cond_init(&c, &ca);
	pthread_mutex_lock(&m);
	t0 = mono_ms(); /* before the deadline is read: a stall cannot shorten it */
	clock_gettime(clk, &abs);
	abs.tv_nsec += 30000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	e = pthread_cond_timedwait(&c, &m, &abs);
	ms = mono_ms() - t0;
	CHECK(name, e == ETIMEDOUT && ms >= 29 && ms < SLACK_MS && pthread_mutex_trylock(&m) == EBUSY,
	      "error %d after %lld ms (want ETIMEDOUT after 30)", e, ms);
	pthread_mutex_unlock(&m);
}

static void test_futex_timeout(void)
{
	unsigned word = 5;
	struct timespec rel = { 0, 50000000 }, abs;
	long long t0, ms;
	long r;
	int e;

	t0 = mono_ms();
	r = syscall(202, &word, 0 /* FUTEX_WAIT */, 5, &rel, 0, 0);
	e = errno;
	ms = mono_ms() - t0;
	CHECK("thread/futex-timeout-accuracy", r == -1 && e == ETIMEDOUT && ms >= 50 && ms < SLACK_MS,
	      "futex gave %ld errno %d after %lld ms (want ETIMEDOUT after 50)", r, e, ms);
	printf("# futex 50 ms timeout took %lld ms\n", ms);
	r = syscall(202, &word, 0, 6, &rel, 0, 0);
	CHECK("thread/futex-eagain", r == -1 && errno == EAGAIN, "value mismatch gave %ld/%d", r, errno);
	t0 = mono_ms();
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	/* FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME: absolute on the wall clock */
	r = syscall(202, &word, 9 | 256, 5, &abs, 0, ~0u);
	e = errno;
	ms = mono_ms() - t0;
	CHECK("thread/futex-abs-realtime", r == -1 && e == ETIMEDOUT && ms >= 19 && ms < SLACK_MS,
	      "gave %ld/%d after %lld ms", r, e, ms);
	r = syscall(202, &word, 9, 5, NULL, 0, 0);
	CHECK("thread/futex-bitset-zero-einval", r == -1 && errno == EINVAL, "gave %ld/%d", r, errno);
	r = syscall(202, (char *)&word + 1, 0, 5, &rel, 0, 0);
	CHECK("thread/futex-misaligned-einval", r == -1 && errno == EINVAL, "gave %ld/%d", r, errno);
	r = syscall(202, &word, 1 /* FUTEX_WAKE */, 1, 0, 0, 0);
	CHECK("thread/futex-wake-none", r == 0, "woke %ld", r);
	r = syscall(202, &word, 6 /* FUTEX_LOCK_PI */, 0, 0, 0, 0);
	CHECK("thread/futex-pi-enosys", r == -1 && errno == ENOSYS, "gave %ld/%d", r, errno);
}

/* FUTEX_CMP_REQUEUE: wake one, move the rest to a second word. */
static unsigned rq_a, rq_b;
static volatile int rq_woken;

static void *rq_waiter(void *arg)
{
	(void)arg;
	syscall(202, &rq_a, 0, 0, NULL, 0, 0);
	__atomic_add_fetch(&rq_woken, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_requeue(void)
{
	pthread_t t[3];
	long r1, r2, r3;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, rq_waiter, NULL);
	for (int i = 0; i < 20; i++)
		sched_yield(); /* let them all wait */
	r1 = syscall(202, &rq_a, 4 /* CMP_REQUEUE */, 1, (void *)2l, &rq_b, 1 /* wrong */);
	r2 = syscall(202, &rq_a, 4, 1, (void *)2l, &rq_b, 0);
	for (int i = 0; i < 20; i++)
		sched_yield();
	int after_first = rq_woken;
	r3 = syscall(202, &rq_b, 1, 10, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/futex-cmp-requeue", r1 == -1 && r2 == 3 && after_first == 1 && r3 == 2 &&
	      rq_woken == 3, "r1 %ld r2 %ld woken %d then wake(b) %ld", r1, r2, after_first, r3);
}

/* ---- mutex kinds ---- */

static pthread_mutex_t held;
static volatile int held_ready, held_release;

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	held_ready = 1;
	while (!held_release)
		usleep(1000);
	pthread_mutex_unlock(&held);
	return NULL;
}

static void test_mutex_kinds(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t rec, ec;
	struct timespec abs;
	pthread_t t;
	long long t0, ms;
	int e;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);
	e = pthread_mutex_lock(&rec) | pthread_mutex_lock(&rec) | pthread_mutex_trylock(&rec);
	e |= pthread_mutex_unlock(&rec) | pthread_mutex_unlock(&rec);
	CHECK("thread/mutex-recursive", e == 0 && pthread_mutex_unlock(&rec) == 0 &&
	      pthread_mutex_unlock(&rec) == EPERM, "recursion counts wrong");
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &a);
	pthread_mutex_lock(&ec);
	CHECK("thread/mutex-errorcheck", pthread_mutex_lock(&ec) == EDEADLK &&
	      pthread_mutex_unlock(&ec) == 0 && pthread_mutex_unlock(&ec) == EPERM,
	      "no EDEADLK/EPERM");
	CHECK("thread/mutexattr-bad-type", pthread_mutexattr_settype(&a, 99) == EINVAL, "accepted");

	pthread_mutex_init(&held, NULL);
	pthread_create(&t, NULL, holder, NULL);
	while (!held_ready)
		sched_yield();
	CHECK("thread/mutex-trylock-busy", pthread_mutex_trylock(&held) == EBUSY, "not EBUSY");
	t0 = mono_ms();
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	e = pthread_mutex_timedlock(&held, &abs);
	ms = mono_ms() - t0;
	CHECK("thread/mutex-timedlock-timeout", e == ETIMEDOUT && ms >= 19 && ms < SLACK_MS,
	      "gave %d after %lld ms", e, ms);
	held_release = 1;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += 5;
	e = pthread_mutex_timedlock(&held, &abs);
	CHECK("thread/mutex-timedlock-gets-it", e == 0, "gave %d", e);
	pthread_mutex_unlock(&held);
	pthread_join(t, NULL);
	CHECK("thread/mutex-destroy", pthread_mutex_destroy(&held) == 0, "destroy failed");
}

/* ---- rwlock, barrier, once, spinlock, semaphore ---- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile int readers_in, max_readers, writer_in, rw_bad;

static void *reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		pthread_rwlock_rdlock(&rw);
		int n = __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
		if (n > max_readers)
			max_readers = n;
		if (writer_in)
			rw_bad = 1;
		sched_yield();
		__atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		pthread_rwlock_wrlock(&rw);
		writer_in = 1;
		if (readers_in)
			rw_bad = 1;
		sched_yield();
		writer_in = 0;
		pthread_rwlock_unlock(&rw);
		sched_yield();
	}
	return NULL;
}

static void test_rwlock(void)
{
	pthread_t t[4];

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	pthread_create(&t[3], NULL, writer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/rwlock", !rw_bad && max_readers > 1, "exclusion broken (%d) or no shared "
	      "readers (max %d)", rw_bad, max_readers);
	pthread_rwlock_wrlock(&rw);
	CHECK("thread/rwlock-try", pthread_rwlock_tryrdlock(&rw) == EBUSY &&
	      pthread_rwlock_trywrlock(&rw) == EBUSY && pthread_rwlock_wrlock(&rw) == EDEADLK,
	      "try/deadlock answers wrong");
	pthread_rwlock_unlock(&rw);
}

static pthread_barrier_t bar;
static volatile int serials, phase_bad, phase[4];

static void *bar_fn(void *arg)
{
	long id = (long)arg;

	for (int round = 0; round < 3; round++) {
		phase[id] = round;
		if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serials, 1, __ATOMIC_SEQ_CST);
		for (int j = 0; j < 4; j++)
			if (phase[j] < round)
				phase_bad = 1;
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

static void test_barrier(void)
{
	pthread_t t[4];

	pthread_barrier_init(&bar, NULL, 4);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bar_fn, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/barrier", serials == 3 && !phase_bad, "%d serial threads (want 3), order %s",
	      serials, phase_bad ? "broken" : "fine");
	CHECK("thread/barrier-zero-einval", pthread_barrier_init(&bar, NULL, 0) == EINVAL, "accepted");
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static volatile int once_runs;

static void once_init(void)
{
	once_runs++;
	sched_yield(); /* others arrive while it runs */
}

static void *once_fn(void *arg)
{
	(void)arg;
	pthread_once(&once, once_init);
	return (void *)(long)once_runs;
}

static void test_once(void)
{
	pthread_t t[4];
	void *r;
	int ok = 1;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, once_fn, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		ok &= (long)r == 1;
	}
	CHECK("thread/once", once_runs == 1 && ok, "init ran %d times", once_runs);
}

static pthread_spinlock_t spin;
static long spin_count;

static void *spin_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_spin_lock(&spin);
		long v = spin_count;
		if ((i & 4095) == 0)
			sched_yield();
		spin_count = v + 1;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void test_spin(void)
{
	pthread_t t[3];

	pthread_spin_init(&spin, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, spin_fn, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/spinlock", spin_count == 60000, "count %ld", spin_count);
}

static sem_t sem;

static void *sem_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++)
		sem_post(&sem);
	return NULL;
}

static void test_sem(void)
{
	pthread_t t;
	struct timespec abs;
	int got = 0, v, e;
	long long t0, ms;

	sem_init(&sem, 0, 0);
	CHECK("thread/sem-trywait-eagain", sem_trywait(&sem) == -1 && errno == EAGAIN, "no EAGAIN");
	pthread_create(&t, NULL, sem_fn, NULL);
	for (int i = 0; i < 10; i++)
		got += sem_wait(&sem) == 0;
	pthread_join(t, NULL);
	sem_getvalue(&sem, &v);
	CHECK("thread/sem-post-wait", got == 10 && v == 0, "got %d, value %d", got, v);
	t0 = mono_ms();
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	e = sem_timedwait(&sem, &abs) == -1 ? errno : 0;
	ms = mono_ms() - t0;
	CHECK("thread/sem-timedwait", e == ETIMEDOUT && ms >= 19 && ms < SLACK_MS, "gave %d after %lld ms",
	      e, ms);
}

/* ---- preemption: a spinning thread does not starve the others ---- */

static volatile int flag;

static void *set_flag(void *arg)
{
	(void)arg;
	flag = 1;
	return NULL;
}

static void test_preempt(void)
{
	pthread_t t;
	long long t0 = mono_ms();

	pthread_create(&t, NULL, set_flag, NULL);
	while (!flag && mono_ms() - t0 < 5 * SLACK_MS)
		; /* no system call: only preemption lets set_flag run */
	CHECK("thread/preempt-spinner", flag, "the spinning main thread starved the other one");
	printf("# the other thread ran after %lld ms of spinning\n", mono_ms() - t0);
	pthread_join(t, NULL);
}

/* ---- malloc and stdio from many threads ---- */

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(long)arg, bad = 0;
	char *p[32] = { 0 };
	size_t len[32];

	for (int i = 0; i < 4000; i++) {
		int k = (seed = seed * 1103515245 + 12345) >> 16 & 31;
		if (p[k]) {
			for (size_t j = 0; j < len[k]; j++)
				bad += p[k][j] != (char)(k + j + (long)arg);
			free(p[k]);
			p[k] = NULL;
		} else {
			len[k] = 1 + (seed >> 8) % 3000;
			if ((p[k] = malloc(len[k])))
				for (size_t j = 0; j < len[k]; j++)
					p[k][j] = (char)(k + j + (long)arg);
		}
		if ((i & 255) == 0)
			sched_yield();
	}
	for (int k = 0; k < 32; k++)
		free(p[k]);
	printf("# churn thread %ld done\n", (long)arg);
	return (void *)(long)bad;
}

static void test_malloc(void)
{
	pthread_t t[4];
	long bad = 0;
	void *r;

	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, (void *)i);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	CHECK("thread/malloc-concurrent", bad == 0, "%ld corrupt bytes", bad);
}

/* ---- attributes and identity ---- */

static void *stack_probe(void *arg)
{
	char here;
	*(char **)arg = &here;
	return NULL;
}

static void test_attrs(void)
{
	pthread_attr_t a;
	pthread_t t;
	size_t size;
	static char own_stack[256 << 10] __attribute__((aligned(16)));
	char *where = NULL;
	char name[16] = "";

	pthread_attr_init(&a);
	CHECK("thread/attr-stacksize-min", pthread_attr_setstacksize(&a, 1024) == EINVAL, "accepted 1 KiB");
	pthread_attr_setstacksize(&a, 1 << 20);
	pthread_attr_getstacksize(&a, &size);
	CHECK("thread/attr-stacksize", size == 1 << 20 && pthread_create(&t, &a, stack_probe, &where) == 0 &&
	      pthread_join(t, NULL) == 0 && where, "size %zu", size);
	pthread_attr_setstack(&a, own_stack, sizeof(own_stack));
	where = NULL;
	pthread_create(&t, &a, stack_probe, &where);
	pthread_join(t, NULL);
	CHECK("thread/attr-setstack", where > own_stack && where < own_stack + sizeof(own_stack),
	      "ran on %p, not in %p+%zu", (void *)where, (void *)own_stack, sizeof(own_stack));
	pthread_attr_destroy(&a);
	CHECK("thread/setname", pthread_setname_np(pthread_self(), "main-thread") == 0 &&
	      pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 && !strcmp(name, "main-thread"),
	      "name '%s'", name);
	CHECK("thread/gettid-main", gettid() == getpid(), "main's tid %d, pid %d", gettid(), getpid());
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
