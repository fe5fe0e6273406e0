/* eventfd(2), as in Linux's <sys/eventfd.h>. */
#ifndef _SYS_EVENTFD_H
#define _SYS_EVENTFD_H

#include <stdint.h>
#include <sys/cdefs.h>

typedef uint64_t eventfd_t;

/* Linux's values; the glue translates EFD_NONBLOCK and EFD_CLOEXEC from
 * newlib's O_NONBLOCK and O_CLOEXEC, which these equal. */
#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC 0x40000 /* newlib's O_CLOEXEC */
#define EFD_NONBLOCK 0x4000 /* newlib's O_NONBLOCK */

__BEGIN_DECLS
int eventfd(unsigned int initval, int flags);
int eventfd_read(int fd, eventfd_t *value);
int eventfd_write(int fd, eventfd_t value);
__END_DECLS

#endif
