/*
 * newlib's feature macros, plus the POSIX options uk implements for every
 * program (newlib enables them only for some targets). Headers such as
 * <time.h> and <unistd.h> test these to declare clock_gettime and friends.
 */
#ifndef _UK_SYS_FEATURES_H
#define _UK_SYS_FEATURES_H

#include_next <sys/features.h>

#ifndef _POSIX_TIMERS
#define _POSIX_TIMERS 200809L
#endif
#ifndef _POSIX_MONOTONIC_CLOCK
#define _POSIX_MONOTONIC_CLOCK 200809L
#endif
#ifndef _POSIX_CPUTIME
#define _POSIX_CPUTIME 200809L
#endif
#ifndef _POSIX_THREAD_CPUTIME
#define _POSIX_THREAD_CPUTIME 200809L
#endif
#ifndef _POSIX_CLOCK_SELECTION
#define _POSIX_CLOCK_SELECTION 200809L
#endif

#endif
