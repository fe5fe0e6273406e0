/* timerfd_create(2) and friends, as in Linux's <sys/timerfd.h>. */
#ifndef _SYS_TIMERFD_H
#define _SYS_TIMERFD_H

#include <sys/cdefs.h>
#include <time.h>

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_CLOEXEC 0x40000 /* newlib's O_CLOEXEC, translated by the glue */
#define TFD_NONBLOCK 0x4000 /* newlib's O_NONBLOCK */

__BEGIN_DECLS
int timerfd_create(clockid_t clockid, int flags);
int timerfd_settime(int fd, int flags, const struct itimerspec *new_value,
                    struct itimerspec *old_value);
int timerfd_gettime(int fd, struct itimerspec *curr_value);
__END_DECLS

#endif
