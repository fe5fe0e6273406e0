/*
 * pthread types for uk (replaces newlib's, whose objects are 32-bit ids
 * into an RTOS's tables). Ours are the objects themselves, built on
 * futexes (libos/newlib/pthread*.c): every one may be statically
 * initialised with zeroes, which is what the _INITIALIZER macros say.
 * The macro names and values are newlib's, so its <pthread.h> declares
 * the functions unchanged.
 */
#ifndef _SYS__PTHREADTYPES_H_
#define _SYS__PTHREADTYPES_H_

#include <sys/sched.h>

typedef unsigned long pthread_t; /* the thread's TCB address */

#define PTHREAD_SCOPE_PROCESS 0
#define PTHREAD_SCOPE_SYSTEM 1
#define PTHREAD_INHERIT_SCHED 1
#define PTHREAD_EXPLICIT_SCHED 2
#define PTHREAD_CREATE_DETACHED 0
#define PTHREAD_CREATE_JOINABLE 1
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
#define PTHREAD_PRIO_NONE 0
#define PTHREAD_PRIO_INHERIT 1
#define PTHREAD_PRIO_PROTECT 2
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT 3
#define PTHREAD_MUTEX_STALLED 0
#define PTHREAD_MUTEX_ROBUST 1

typedef struct {
	int is_initialized;
	void *stackaddr;
	__SIZE_TYPE__ stacksize;
	__SIZE_TYPE__ guardsize;
	int contentionscope;
	int inheritsched;
	int schedpolicy;
	struct sched_param schedparam;
	int detachstate;
} pthread_attr_t;

/* __lock: 0 free, 1 locked, 2 locked with waiters (a futex word). */
typedef struct {
	unsigned int __lock;
	int __owner; /* thread id, for recursive and error-checking mutexes */
	int __count;
	int __type;
} pthread_mutex_t;

typedef struct {
	int is_initialized;
	int type;
	int process_shared;
	int protocol;
	int prio_ceiling;
	int robust;
} pthread_mutexattr_t;

#define _PTHREAD_MUTEX_INITIALIZER \
	{                          \
		0, 0, 0, 0         \
	}

/* __seq: bumped by every signal and broadcast (the futex word). */
typedef struct {
	unsigned int __seq;
	int __clock; /* clockid_t for timed waits; 0 means CLOCK_REALTIME */
	void *__pad;
} pthread_cond_t;

#define _PTHREAD_COND_INITIALIZER \
	{                         \
		0, 0, 0           \
	}

typedef struct {
	int is_initialized;
	int clock;
	int process_shared;
} pthread_condattr_t;

typedef unsigned int pthread_key_t;

/* init_executed: 0 not run, 1 running, 2 done, 3 running with waiters. */
typedef struct {
	int is_initialized;
	int init_executed;
} pthread_once_t;

#define _PTHREAD_ONCE_INIT \
	{                  \
		1, 0       \
	}

typedef struct {
	unsigned int __seq;   /* bumped when a round completes (futex word) */
	unsigned int __count; /* threads waiting in this round */
	unsigned int __total;
	unsigned int __pad;
} pthread_barrier_t;

typedef struct {
	int is_initialized;
	int process_shared;
} pthread_barrierattr_t;

typedef unsigned int pthread_spinlock_t;

/* __state: readers holding it, or 0x7fffffff when a writer does. */
typedef struct {
	unsigned int __state;
	unsigned int __wseq;     /* writer wake-ups (futex word) */
	unsigned int __rseq;     /* reader wake-ups (futex word) */
	unsigned int __wwaiting; /* writers waiting: readers let them go first */
	int __writer;            /* thread id of the writer */
	unsigned int __pad;
} pthread_rwlock_t;

#define _PTHREAD_RWLOCK_INITIALIZER \
	{                           \
		0, 0, 0, 0, 0, 0    \
	}

typedef struct {
	int is_initialized;
	int process_shared;
} pthread_rwlockattr_t;

#endif
