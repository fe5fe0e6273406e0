/*
 * The thread test's second half: timeouts, futex operations, mutex kinds,
 * rwlocks, barriers, once, spinlocks, semaphores, preemption, malloc from
 * many threads, attributes.
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

/* ---- timeouts ---- */

void test_cond_timeout(clockid_t clk, const char *name)
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
	deadline_in(&abs, clk, 30);
	e = pthread_cond_timedwait(&c, &m, &abs);
	ms = mono_ms() - t0;
	CHECK(name,
	      e == ETIMEDOUT && ms >= 29 && ms < SLACK_MS && pthread_mutex_trylock(&m) == EBUSY,
	      "error %d after %lld ms (want ETIMEDOUT after 30)", e, ms);
	pthread_mutex_unlock(&m);
}

void test_futex_timeout(void)
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
	CHECK("thread/futex-timeout-accuracy",
	      r == -1 && e == ETIMEDOUT && ms >= 50 && ms < SLACK_MS,
	      "futex gave %ld errno %d after %lld ms (want ETIMEDOUT after 50)", r, e, ms);
	printf("# futex 50 ms timeout took %lld ms\n", ms);
	r = syscall(202, &word, 0, 6, &rel, 0, 0);
	CHECK("thread/futex-eagain", r == -1 && errno == EAGAIN, "value mismatch gave %ld/%d", r,
	      errno);
	t0 = mono_ms();
	deadline_in(&abs, CLOCK_REALTIME, 20);
	/* FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME: absolute on the wall clock */
	r = syscall(202, &word, 9 | 256, 5, &abs, 0, ~0u);
	e = errno;
	ms = mono_ms() - t0;
	CHECK("thread/futex-abs-realtime", r == -1 && e == ETIMEDOUT && ms >= 19 && ms < SLACK_MS,
	      "gave %ld/%d after %lld ms", r, e, ms);
	r = syscall(202, &word, 9, 5, NULL, 0, 0);
	CHECK("thread/futex-bitset-zero-einval", r == -1 && errno == EINVAL, "gave %ld/%d", r,
	      errno);
	r = syscall(202, (char *)&word + 1, 0, 5, &rel, 0, 0);
	CHECK("thread/futex-misaligned-einval", r == -1 && errno == EINVAL, "gave %ld/%d", r,
	      errno);
	r = syscall(202, &word, 1 /* FUTEX_WAKE */, 1, 0, 0, 0);
	CHECK("thread/futex-wake-none", r == 0, "woke %ld", r);
	/* priority-inheritance: a free word taken is the caller's tid, and
	 * given back free */
	word = 0;
	r = syscall(202, &word, 6 /* FUTEX_LOCK_PI */, 0, 0, 0, 0);
	CHECK("thread/futex-pi-lock", r == 0 && word == (unsigned)syscall(186 /* gettid */),
	      "gave %ld/%d, word %#x", r, errno, word);
	r = syscall(202, &word, 7 /* FUTEX_UNLOCK_PI */, 0, 0, 0, 0);
	CHECK("thread/futex-pi-unlock", r == 0 && word == 0, "gave %ld/%d, word %#x", r, errno,
	      word);
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

void test_requeue(void)
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
	CHECK("thread/futex-cmp-requeue",
	      r1 == -1 && r2 == 3 && after_first == 1 && r3 == 2 && rq_woken == 3,
	      "r1 %ld r2 %ld woken %d then wake(b) %ld", r1, r2, after_first, r3);
}

/* set_robust_list: a lock word the dying thread holds gets FUTEX_OWNER_DIED. */
struct robust_node {
	struct robust_node *next;
	unsigned word;
};

static struct robust_node *robust_head[3]; /* next, futex_offset, op_pending */
static struct robust_node robust_entry;

static void *robust_fn(void *arg)
{
	(void)arg;
	robust_head[0] = &robust_entry;
	robust_head[1] = (void *)(long)__builtin_offsetof(struct robust_node, word);
	robust_entry.next = (struct robust_node *)robust_head; /* the list is circular */
	robust_entry.word = (unsigned)gettid();
	return (void *)syscall(273 /* set_robust_list */, robust_head, sizeof(robust_head));
}

void test_robust(void)
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, robust_fn, NULL);
	pthread_join(t, &r);
	CHECK("thread/robust-list-owner-died", r == 0 && robust_entry.word == 0x40000000u,
	      "set_robust_list gave %ld, word %#x", (long)r, robust_entry.word);
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

void test_mutex_kinds(void)
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
	CHECK("thread/mutex-recursive",
	      e == 0 && pthread_mutex_unlock(&rec) == 0 && pthread_mutex_unlock(&rec) == EPERM,
	      "recursion counts wrong");
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &a);
	pthread_mutex_lock(&ec);
	CHECK("thread/mutex-errorcheck",
	      pthread_mutex_lock(&ec) == EDEADLK && pthread_mutex_unlock(&ec) == 0 &&
	          pthread_mutex_unlock(&ec) == EPERM,
	      "no EDEADLK/EPERM");
	CHECK("thread/mutexattr-bad-type", pthread_mutexattr_settype(&a, 99) == EINVAL, "accepted");

	pthread_mutex_init(&held, NULL);
	pthread_create(&t, NULL, holder, NULL);
	while (!held_ready)
		sched_yield();
	CHECK("thread/mutex-trylock-busy", pthread_mutex_trylock(&held) == EBUSY, "not EBUSY");
	t0 = mono_ms();
	deadline_in(&abs, CLOCK_REALTIME, 20);
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

void test_rwlock(void)
{
	pthread_t t[4];

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	pthread_create(&t[3], NULL, writer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/rwlock", !rw_bad && max_readers > 1,
	      "exclusion broken (%d) or no shared "
	      "readers (max %d)",
	      rw_bad, max_readers);
	pthread_rwlock_wrlock(&rw);
	CHECK("thread/rwlock-try",
	      pthread_rwlock_tryrdlock(&rw) == EBUSY && pthread_rwlock_trywrlock(&rw) == EBUSY &&
	          pthread_rwlock_wrlock(&rw) == EDEADLK,
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

void test_barrier(void)
{
	pthread_t t[4];

	pthread_barrier_init(&bar, NULL, 4);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bar_fn, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK("thread/barrier", serials == 3 && !phase_bad, "%d serial threads (want 3), order %s",
	      serials, phase_bad ? "broken" : "fine");
	CHECK("thread/barrier-zero-einval", pthread_barrier_init(&bar, NULL, 0) == EINVAL,
	      "accepted");
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

void test_once(void)
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

void test_spin(void)
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

void test_sem(void)
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
	deadline_in(&abs, CLOCK_REALTIME, 20);
	e = sem_timedwait(&sem, &abs) == -1 ? errno : 0;
	ms = mono_ms() - t0;
	CHECK("thread/sem-timedwait", e == ETIMEDOUT && ms >= 19 && ms < SLACK_MS,
	      "gave %d after %lld ms", e, ms);
}

/* ---- preemption: a spinning thread does not starve the others ---- */

static volatile int flag;

static void *set_flag(void *arg)
{
	(void)arg;
	flag = 1;
	return NULL;
}

void test_preempt(void)
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

void test_malloc(void)
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

void test_attrs(void)
{
	pthread_attr_t a;
	pthread_t t;
	size_t size;
	static char own_stack[256 << 10] __attribute__((aligned(16)));
	char *where = NULL;
	char name[16] = "";

	pthread_attr_init(&a);
	CHECK("thread/attr-stacksize-min", pthread_attr_setstacksize(&a, 1024) == EINVAL,
	      "accepted 1 KiB");
	pthread_attr_setstacksize(&a, 1 << 20);
	pthread_attr_getstacksize(&a, &size);
	CHECK("thread/attr-stacksize",
	      size == 1 << 20 && pthread_create(&t, &a, stack_probe, &where) == 0 &&
	          pthread_join(t, NULL) == 0 && where,
	      "size %zu", size);
	pthread_attr_setstack(&a, own_stack, sizeof(own_stack));
	where = NULL;
	pthread_create(&t, &a, stack_probe, &where);
	pthread_join(t, NULL);
	CHECK("thread/attr-setstack", where > own_stack && where < own_stack + sizeof(own_stack),
	      "ran on %p, not in %p+%zu", (void *)where, (void *)own_stack, sizeof(own_stack));
	pthread_attr_destroy(&a);
	CHECK("thread/setname",
	      pthread_setname_np(pthread_self(), "main-thread") == 0 &&
	          pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 &&
	          !strcmp(name, "main-thread"),
	      "name '%s'", name);
	CHECK("thread/gettid-main", gettid() == getpid(), "main's tid %d, pid %d", gettid(),
	      getpid());
}
