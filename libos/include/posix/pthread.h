/*
 * newlib's <pthread.h> (declarations; uk's types are in
 * <sys/_pthreadtypes.h>), plus what glibc programs commonly use on top.
 */
#ifndef _UK_PTHREAD_H
#define _UK_PTHREAD_H

#include_next <pthread.h>

#include <signal.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PTHREAD_STACK_MIN
#define PTHREAD_STACK_MIN 16384
#endif
#ifndef PTHREAD_KEYS_MAX
#define PTHREAD_KEYS_MAX 128
#endif
#define PTHREAD_DESTRUCTOR_ITERATIONS 4

#define PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP   \
	{                                        \
		0, 0, 0, PTHREAD_MUTEX_RECURSIVE \
	}
#define PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP   \
	{                                         \
		0, 0, 0, PTHREAD_MUTEX_ERRORCHECK \
	}
#define PTHREAD_MUTEX_RECURSIVE_NP PTHREAD_MUTEX_RECURSIVE
#define PTHREAD_MUTEX_ERRORCHECK_NP PTHREAD_MUTEX_ERRORCHECK

int pthread_tryjoin_np(pthread_t, void **);
int pthread_timedjoin_np(pthread_t, void **, const struct timespec *);
int pthread_getattr_np(pthread_t, pthread_attr_t *);
int pthread_cond_clockwait(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
int pthread_mutex_clocklock(pthread_mutex_t *, clockid_t, const struct timespec *);
int pthread_mutexattr_setrobust(pthread_mutexattr_t *, int);
int pthread_mutexattr_getrobust(const pthread_mutexattr_t *, int *);
int pthread_mutex_consistent(pthread_mutex_t *);
#if !__GNU_VISIBLE
int pthread_getname_np(pthread_t, char *, size_t);
int pthread_setname_np(pthread_t, const char *);
#endif

#ifdef __cplusplus
}
#endif

#endif
