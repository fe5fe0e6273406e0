/* poll(2) and ppoll(2), as in Linux's <poll.h>: Linux's values and
 * layout, passed through the glue unchanged. */
#ifndef _POLL_H
#define _POLL_H

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/_sigset.h>
#include <sys/_timespec.h>

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLMSG 0x400
#define POLLREMOVE 0x1000
#define POLLRDHUP 0x2000

typedef unsigned long nfds_t;

struct pollfd {
	int fd;
	short events;
	short revents;
};

__BEGIN_DECLS
int poll(struct pollfd *fds, nfds_t nfds, int timeout);
/* sigmask: signals blocked during the wait, numbered as in <signal.h>. */
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
          const __sigset_t *sigmask);
__END_DECLS

#endif
