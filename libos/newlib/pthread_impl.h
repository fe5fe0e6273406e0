/*
 * The pthread library for newlib programs (pthread.c: threads, keys,
 * attributes; pthread_sync.c: mutexes, condition variables, rwlocks,
 * barriers, spinlocks, once, semaphores). Everything that waits waits on a
 * futex, through the same futex(2) a Linux program uses.
 *
 * Functions return newlib's errno values (pthread functions return them
 * rather than setting errno); the library OS answers with Linux's, hence
 * the LX_ names.
 */
#ifndef UK_PTHREAD_IMPL_H
#define UK_PTHREAD_IMPL_H

#include <pthread.h>
#include <reent.h>
#include <stdint.h>
#include <time.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/thread.h>

#define LX_EINTR 4
#define LX_EAGAIN 11
#define LX_EINVAL 22
#define LX_ETIMEDOUT 110
#define LX_FUTEX_WAIT 0
#define LX_FUTEX_WAKE 1
#define LX_FUTEX_WAIT_BITSET 9
#define LX_FUTEX_PRIVATE 128
#define LX_FUTEX_CLOCK_REALTIME 256

/* The TCB: %fs points here, the TLS block lies right below. The first
 * words are where the x86-64 ABI and gcc look: the self pointer at 0, the
 * stack-protector canary at 0x28. */
struct pthread {
	struct pthread *self;  /* 0x00 */
	void *dtv;             /* 0x08 */
	struct pthread *self2; /* 0x10 */
	uintptr_t pad[2];
	uint64_t canary;        /* 0x28 */
	uint64_t pointer_guard; /* 0x30 */
	volatile int tid;       /* 0 once the thread is gone (CLONE_CHILD_CLEARTID) */
	volatile int state;     /* ST_* */
	void *result;
	void *(*start)(void *);
	void *arg;
	void *mem;            /* the allocation holding TLS block + TCB */
	struct pthread *next; /* every thread's pthread, or the graveyard */
	struct _pthread_cleanup_context *cleanup;
	int cancel_disabled, cancel_async;
	volatile int canceled;
	const void *keys[PTHREAD_KEYS_MAX];
	struct _reent reent;
};

#define ST_JOINABLE 0
#define ST_DETACHED 1
#define ST_EXITING 2 /* joinable, on its way out */

static inline struct pthread *uk_pthread_self(void)
{
	struct pthread *p;

	__asm__("mov %%fs:0, %0" : "=r"(p));
	return p;
}

/* The futex word lock every other object is built from: 0 free, 1 held,
 * 2 held with waiters. abs: an absolute timeout on clk (newlib clock id),
 * or NULL. 0, ETIMEDOUT or EINVAL. */
int uk_lk_lock(volatile unsigned *w, const struct timespec *abs, clockid_t clk);
int uk_lk_trylock(volatile unsigned *w);
void uk_lk_unlock(volatile unsigned *w);

/* futex(2) on w: wait while *w == val (abs/clk as above; NULL: forever),
 * wake n. Returns the Linux result (0 or -LX_*). Signals that arrived meanwhile are
 * delivered before uk_fx_wait returns. */
long uk_fx_wait(volatile unsigned *w, unsigned val, const struct timespec *abs, clockid_t clk);
long uk_fx_wake(volatile unsigned *w, int n);

/* newlib clock id -> Linux's (negative CPU-clock ids pass through); -1
 * for an unknown one. */
int uk_clock_to_linux(clockid_t clk);

/* Linux errno value -> newlib's (glue.c's table). */
int uk_errno_from_linux(long lx);

/* Linux signal numbers <-> newlib's (0 when the other side has none). */
int uk_sig_to_linux(int sig);
int uk_sig_from_linux(int sig);

/* Main-thread set-up (start.c calls it before constructors run). */
void uk_pthread_init_main(void);

#endif
