/*
 * Synchronisation objects on futexes: mutexes (normal, recursive,
 * error-checking; trylock, timedlock), condition variables (with a
 * REALTIME or MONOTONIC clock for timeouts), reader-writer locks (readers
 * first, as glibc's default), barriers, spinlocks, once, semaphores.
 *
 * The fast paths are one atomic instruction; only contention enters the
 * library OS. With one vCPU, spinning before sleeping would only waste
 * the time slice of the thread we wait for, so nothing spins.
 */
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stdarg.h>
#include <uk/syscall.h>

#include "glue.h"
#include "pthread_impl.h"

#define ACQ __ATOMIC_ACQUIRE
#define REL __ATOMIC_RELEASE
#define SEQ __ATOMIC_SEQ_CST

int uk_clock_to_linux(clockid_t clk)
{
	/* by newlib's numbers (time.h; some are GNU-only names there) */
	static const signed char map[] = {
		[0] = 5 /* REALTIME_COARSE */,    [1] = 0 /* REALTIME */,
		[2] = 2 /* PROCESS_CPUTIME_ID */, [3] = 3 /* THREAD_CPUTIME_ID */,
		[4] = 1 /* MONOTONIC */,          [5] = 4 /* MONOTONIC_RAW */,
		[6] = 6 /* MONOTONIC_COARSE */,   [7] = 7 /* BOOTTIME */,
		[8] = 8 /* REALTIME_ALARM */,     [9] = 9 /* BOOTTIME_ALARM */,
	};

	if ((int)clk < 0)
		return (int)clk; /* a CPU clock, already in Linux's encoding */
	return (unsigned)clk < sizeof(map) ? map[clk] : -1;
}

int uk_errno_from_linux(long lx)
{
	int saved = errno, e;

	uk_ret(-lx);
	e = errno;
	errno = saved;
	return e;
}

/* ---- futex calls ---- */

long uk_fx_wait(volatile unsigned *w, unsigned val, const struct timespec *abs, clockid_t clk)
{
	int op = LX_FUTEX_WAIT | LX_FUTEX_PRIVATE;
	long r;

	if (abs) {
		int lx = uk_clock_to_linux(clk);
		if (lx != 0 && lx != 1)
			return -LX_EINVAL;
		op = LX_FUTEX_WAIT_BITSET | LX_FUTEX_PRIVATE |
		     (lx == 0 ? LX_FUTEX_CLOCK_REALTIME : 0);
	}
	r = UK_CALL(futex, w, op, val, abs, 0, ~0u);
	if (uk_attention) /* a signal interrupted the wait: its handler first */
		uk_attention_work();
	return r;
}

long uk_fx_wake(volatile unsigned *w, int n)
{
	return UK_CALL(futex, w, LX_FUTEX_WAKE | LX_FUTEX_PRIVATE, n, 0, 0, 0);
}

static int fx_error(long r)
{
	if (r == -LX_ETIMEDOUT)
		return ETIMEDOUT;
	if (r == -LX_EINVAL)
		return EINVAL;
	return 0; /* woken, value changed, or a signal: look again */
}

/* ---- the word lock ---- */

int uk_lk_trylock(volatile unsigned *w)
{
	unsigned z = 0;

	return __atomic_compare_exchange_n(w, &z, 1, 0, ACQ, __ATOMIC_RELAXED) ? 0 : EBUSY;
}

int uk_lk_lock(volatile unsigned *w, const struct timespec *abs, clockid_t clk)
{
	unsigned c;
	int e;

	if (!uk_lk_trylock(w))
		return 0;
	/* Contended: say so (2), sleep until the holder lets go. */
	while ((c = __atomic_exchange_n(w, 2, ACQ)) != 0)
		if ((e = fx_error(uk_fx_wait(w, 2, abs, clk))))
			return e;
	return 0;
}

void uk_lk_unlock(volatile unsigned *w)
{
	if (__atomic_exchange_n(w, 0, REL) == 2)
		uk_fx_wake(w, 1);
}

/* ---- mutexes ---- */

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
	*a = (pthread_mutexattr_t){ .is_initialized = 1, .type = PTHREAD_MUTEX_DEFAULT };
	return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
	if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_DEFAULT)
		return EINVAL;
	a->type = type;
	return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type)
{
	*type = a->type;
	return 0;
}

int pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	a->process_shared = pshared; /* one process: the same thing */
	return 0;
}

int pthread_mutexattr_getpshared(const pthread_mutexattr_t *a, int *pshared)
{
	*pshared = a->process_shared;
	return 0;
}

int pthread_mutexattr_setprotocol(pthread_mutexattr_t *a, int p)
{
	if (p == PTHREAD_PRIO_NONE) {
		a->protocol = p;
		return 0;
	}
	return p == PTHREAD_PRIO_INHERIT || p == PTHREAD_PRIO_PROTECT ? ENOTSUP : EINVAL;
}

int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *a, int *p)
{
	*p = a->protocol;
	return 0;
}

int pthread_mutexattr_setrobust(pthread_mutexattr_t *a, int robust)
{
	if (robust == PTHREAD_MUTEX_STALLED)
		return 0;
	return robust == PTHREAD_MUTEX_ROBUST ? ENOTSUP : EINVAL;
}

int pthread_mutexattr_getrobust(const pthread_mutexattr_t *a, int *robust)
{
	(void)a;
	*robust = PTHREAD_MUTEX_STALLED;
	return 0;
}

int pthread_mutex_consistent(pthread_mutex_t *m)
{
	(void)m;
	return EINVAL; /* no mutex is robust here */
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	*m = (pthread_mutex_t)_PTHREAD_MUTEX_INITIALIZER;
	if (a)
		m->__type = a->type;
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m) { return m->__lock ? EBUSY : 0; }

static int kind(const pthread_mutex_t *m)
{
	return m->__type == PTHREAD_MUTEX_DEFAULT ? PTHREAD_MUTEX_NORMAL : m->__type;
}

/* Recursive and error-checking mutexes know their owner. */
static int owner_check(pthread_mutex_t *m, int tid, int *done)
{
	*done = 0;
	if (m->__owner != tid || kind(m) == PTHREAD_MUTEX_NORMAL)
		return 0;
	*done = 1;
	if (kind(m) == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	if (m->__count == INT_MAX)
		return EAGAIN;
	m->__count++;
	return 0;
}

static int mutex_lock(pthread_mutex_t *m, const struct timespec *abs, clockid_t clk)
{
	int tid = uk_current->tid, done, e = owner_check(m, tid, &done);

	if (done)
		return e;
	if ((e = uk_lk_lock(&m->__lock, abs, clk)))
		return e;
	m->__owner = tid;
	m->__count = 1;
	return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m) { return mutex_lock(m, NULL, 0); }

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	return mutex_lock(m, abs, CLOCK_REALTIME);
}

int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return mutex_lock(m, abs, clk);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	int tid = uk_current->tid, done, e = owner_check(m, tid, &done);

	if (done)
		return e == EDEADLK ? EBUSY : e;
	if ((e = uk_lk_trylock(&m->__lock)))
		return e;
	m->__owner = tid;
	m->__count = 1;
	return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (kind(m) != PTHREAD_MUTEX_NORMAL) {
		if (m->__owner != uk_current->tid)
			return EPERM;
		if (--m->__count)
			return 0;
	}
	m->__owner = 0;
	m->__count = 0;
	uk_lk_unlock(&m->__lock);
	return 0;
}

/* ---- condition variables ---- */

int pthread_condattr_init(pthread_condattr_t *a)
{
	*a = (pthread_condattr_t){ .is_initialized = 1, .clock = CLOCK_REALTIME };
	return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clk)
{
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	a->clock = clk;
	return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *__restrict a, clockid_t *__restrict clk)
{
	*clk = a->clock;
	return 0;
}

int pthread_condattr_setpshared(pthread_condattr_t *a, int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	a->process_shared = pshared;
	return 0;
}

int pthread_condattr_getpshared(const pthread_condattr_t *a, int *pshared)
{
	*pshared = a->process_shared;
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	*c = (pthread_cond_t)_PTHREAD_COND_INITIALIZER;
	if (a && a->clock != CLOCK_REALTIME)
		c->__clock = (int)a->clock;
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

/* Sleep until the sequence number moves on from the value seen before the
 * mutex was released: a signal in between is never lost. The mutex's
 * recursion count survives the wait. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs,
                     clockid_t clk)
{
	unsigned seq = __atomic_load_n(&c->__seq, SEQ);
	int count = m->__count, e, r;

	if (kind(m) != PTHREAD_MUTEX_NORMAL && m->__owner != uk_current->tid)
		return EPERM;
	m->__count = 1;
	if ((e = pthread_mutex_unlock(m)))
		return e;
	r = fx_error(uk_fx_wait(&c->__seq, seq, abs, clk));
	mutex_lock(m, NULL, 0); /* cannot fail: we do not hold it */
	m->__count = count;
	return r;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { return cond_wait(c, m, NULL, 0); }

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs)
{
	return cond_wait(c, m, abs, c->__clock ? (clockid_t)c->__clock : CLOCK_REALTIME);
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                           const struct timespec *abs)
{
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return cond_wait(c, m, abs, clk);
}

int pthread_cond_signal(pthread_cond_t *c)
{
	__atomic_add_fetch(&c->__seq, 1, SEQ);
	uk_fx_wake(&c->__seq, 1);
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	__atomic_add_fetch(&c->__seq, 1, SEQ);
	uk_fx_wake(&c->__seq, INT_MAX);
	return 0;
}

/* ---- reader-writer locks: readers go first, as glibc's default ---- */

#define RW_WRITER 0x7fffffffu

int pthread_rwlockattr_init(pthread_rwlockattr_t *a)
{
	*a = (pthread_rwlockattr_t){ .is_initialized = 1 };
	return 0;
}

int pthread_rwlockattr_destroy(pthread_rwlockattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_rwlockattr_setpshared(pthread_rwlockattr_t *a, int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	a->process_shared = pshared;
	return 0;
}

int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *a, int *pshared)
{
	*pshared = a->process_shared;
	return 0;
}

int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *a)
{
	(void)a;
	*rw = (pthread_rwlock_t)_PTHREAD_RWLOCK_INITIALIZER;
	return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rw) { return rw->__state ? EBUSY : 0; }

static int rd_try(pthread_rwlock_t *rw)
{
	unsigned s = __atomic_load_n(&rw->__state, SEQ);

	while (s < RW_WRITER - 1)
		if (__atomic_compare_exchange_n(&rw->__state, &s, s + 1, 0, SEQ, SEQ))
			return 0;
	return s == RW_WRITER ? EBUSY : EAGAIN; /* EAGAIN: too many readers */
}

static int rdlock(pthread_rwlock_t *rw, const struct timespec *abs, clockid_t clk)
{
	for (;;) {
		unsigned seq = __atomic_load_n(&rw->__rseq, SEQ);
		int e = rd_try(rw);
		if (e != EBUSY)
			return e;
		if (rw->__writer == uk_current->tid)
			return EDEADLK;
		if ((e = fx_error(uk_fx_wait(&rw->__rseq, seq, abs, clk))))
			return e;
	}
}

static int wr_try(pthread_rwlock_t *rw)
{
	unsigned z = 0;

	if (!__atomic_compare_exchange_n(&rw->__state, &z, RW_WRITER, 0, SEQ, SEQ))
		return EBUSY;
	rw->__writer = uk_current->tid;
	return 0;
}

static int wrlock(pthread_rwlock_t *rw, const struct timespec *abs, clockid_t clk)
{
	for (;;) {
		unsigned seq = __atomic_load_n(&rw->__wseq, SEQ);
		int e = wr_try(rw);
		if (!e)
			return 0;
		if (rw->__writer == uk_current->tid)
			return EDEADLK;
		__atomic_add_fetch(&rw->__wwaiting, 1, SEQ);
		e = fx_error(uk_fx_wait(&rw->__wseq, seq, abs, clk));
		__atomic_sub_fetch(&rw->__wwaiting, 1, SEQ);
		if (e)
			return e;
	}
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rw) { return rdlock(rw, NULL, 0); }
int pthread_rwlock_wrlock(pthread_rwlock_t *rw) { return wrlock(rw, NULL, 0); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw) { return rd_try(rw); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *rw) { return wr_try(rw); }

int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
	return rdlock(rw, abs, CLOCK_REALTIME);
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
	return wrlock(rw, abs, CLOCK_REALTIME);
}

int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
	unsigned s = __atomic_load_n(&rw->__state, SEQ);

	if (s == RW_WRITER) {
		if (rw->__writer != uk_current->tid)
			return EPERM;
		rw->__writer = 0;
		__atomic_store_n(&rw->__state, 0, REL);
		__atomic_add_fetch(&rw->__rseq, 1, SEQ); /* readers waited for this writer */
		uk_fx_wake(&rw->__rseq, INT_MAX);
	} else if (!s) {
		return EPERM;
	} else if (__atomic_sub_fetch(&rw->__state, 1, REL)) {
		return 0;
	}
	if (__atomic_load_n(&rw->__wwaiting, SEQ)) {
		__atomic_add_fetch(&rw->__wseq, 1, SEQ);
		uk_fx_wake(&rw->__wseq, 1);
	}
	return 0;
}

/* ---- barriers ---- */

int pthread_barrierattr_init(pthread_barrierattr_t *a)
{
	*a = (pthread_barrierattr_t){ .is_initialized = 1 };
	return 0;
}

int pthread_barrierattr_destroy(pthread_barrierattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_barrierattr_setpshared(pthread_barrierattr_t *a, int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	a->process_shared = pshared;
	return 0;
}

int pthread_barrierattr_getpshared(const pthread_barrierattr_t *a, int *pshared)
{
	*pshared = a->process_shared;
	return 0;
}

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned count)
{
	(void)a;
	if (!count)
		return EINVAL;
	*b = (pthread_barrier_t){ .__total = count };
	return 0;
}

int pthread_barrier_destroy(pthread_barrier_t *b) { return b->__count ? EBUSY : 0; }

/* The last to arrive starts the next round and is the "serial" thread. */
int pthread_barrier_wait(pthread_barrier_t *b)
{
	unsigned seq = __atomic_load_n(&b->__seq, SEQ);

	if (__atomic_add_fetch(&b->__count, 1, SEQ) == b->__total) {
		__atomic_store_n(&b->__count, 0, SEQ);
		__atomic_add_fetch(&b->__seq, 1, SEQ);
		uk_fx_wake(&b->__seq, INT_MAX);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	while (__atomic_load_n(&b->__seq, SEQ) == seq)
		uk_fx_wait(&b->__seq, seq, NULL, 0);
	return 0;
}

/* ---- spinlocks: yield instead of spinning, there is one CPU ---- */

int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	(void)pshared;
	*l = 0;
	return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *l) { return *l ? EBUSY : 0; }

int pthread_spin_trylock(pthread_spinlock_t *l) { return uk_lk_trylock(l); }

int pthread_spin_lock(pthread_spinlock_t *l)
{
	while (uk_lk_trylock(l))
		UK_CALL(sched_yield, 0, 0, 0, 0, 0, 0);
	return 0;
}

int pthread_spin_unlock(pthread_spinlock_t *l)
{
	__atomic_store_n(l, 0, REL);
	return 0;
}

/* ---- once ---- */

int pthread_once(pthread_once_t *o, void (*fn)(void))
{
	volatile int *st = &o->init_executed;

	for (;;) {
		int s = 0;
		if (__atomic_compare_exchange_n(st, &s, 1, 0, SEQ, SEQ)) {
			fn();
			if (__atomic_exchange_n(st, 2, REL) == 3)
				uk_fx_wake((volatile unsigned *)st, INT_MAX);
			return 0;
		}
		if (s == 2)
			return 0;
		if (s == 1 && !__atomic_compare_exchange_n(st, &s, 3, 0, SEQ, SEQ))
			continue;
		uk_fx_wait((volatile unsigned *)st, 3, NULL, 0);
	}
}

/* ---- semaphores (unnamed) ---- */

int sem_init(sem_t *s, int pshared, unsigned value)
{
	(void)pshared;
	if (value > SEM_VALUE_MAX) {
		errno = EINVAL;
		return -1;
	}
	*s = (sem_t){ .__value = value };
	return 0;
}

int sem_destroy(sem_t *s)
{
	(void)s;
	return 0;
}

int sem_trywait(sem_t *s)
{
	unsigned v = __atomic_load_n(&s->__value, SEQ);

	while (v > 0)
		if (__atomic_compare_exchange_n(&s->__value, &v, v - 1, 0, SEQ, SEQ))
			return 0;
	errno = EAGAIN;
	return -1;
}

/* sem_wait is interrupted by a signal handler (EINTR), unlike mutexes. */
static int sem_wait_until(sem_t *s, const struct timespec *abs, clockid_t clk)
{
	long r;

	for (;;) {
		if (sem_trywait(s) == 0)
			return 0;
		__atomic_add_fetch(&s->__waiters, 1, SEQ);
		r = uk_fx_wait(&s->__value, 0, abs, clk);
		__atomic_sub_fetch(&s->__waiters, 1, SEQ);
		if (r == -LX_ETIMEDOUT || r == -LX_EINTR || r == -LX_EINVAL) {
			errno = r == -LX_ETIMEDOUT ? ETIMEDOUT : r == -LX_EINTR ? EINTR : EINVAL;
			return -1;
		}
	}
}

int sem_wait(sem_t *s) { return sem_wait_until(s, NULL, 0); }

int sem_timedwait(sem_t *__restrict s, const struct timespec *__restrict abs)
{
	return sem_wait_until(s, abs, CLOCK_REALTIME);
}

int sem_clockwait(sem_t *__restrict s, clockid_t clk, const struct timespec *__restrict abs)
{
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) {
		errno = EINVAL;
		return -1;
	}
	return sem_wait_until(s, abs, clk);
}

int sem_post(sem_t *s)
{
	unsigned v = __atomic_load_n(&s->__value, SEQ);

	do {
		if (v >= SEM_VALUE_MAX) {
			errno = EOVERFLOW;
			return -1;
		}
	} while (!__atomic_compare_exchange_n(&s->__value, &v, v + 1, 0, SEQ, SEQ));
	if (__atomic_load_n(&s->__waiters, SEQ))
		uk_fx_wake(&s->__value, 1);
	return 0;
}

int sem_getvalue(sem_t *__restrict s, int *__restrict v)
{
	*v = (int)__atomic_load_n(&s->__value, SEQ);
	return 0;
}

/* Named semaphores exist to share between processes; there is one. */
sem_t *sem_open(const char *name, int oflag, ...)
{
	(void)name, (void)oflag;
	errno = ENOSYS;
	return SEM_FAILED;
}

int sem_close(sem_t *s)
{
	(void)s;
	errno = EINVAL;
	return -1;
}

int sem_unlink(const char *name)
{
	(void)name;
	errno = ENOENT;
	return -1;
}
