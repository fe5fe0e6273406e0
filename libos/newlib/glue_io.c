/*
 * newlib glue: memory mappings, pipes, events and polling (see glue.c for
 * the conventions). The POSIX headers for these calls (libos/include/posix)
 * use Linux's values and layouts, so arguments pass through unchanged.
 */
#define _GNU_SOURCE /* CLOCK_BOOTTIME and friends */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uk/syscall.h>

#include "glue.h"

/* ---- memory mappings ---- */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)uk_ret(UK_CALL(mmap, addr, len, prot, flags, fd, off));
}

int munmap(void *addr, size_t len) { return (int)uk_ret(UK_CALL(munmap, addr, len, 0, 0, 0, 0)); }

int mprotect(void *addr, size_t len, int prot)
{
	return (int)uk_ret(UK_CALL(mprotect, addr, len, prot, 0, 0, 0));
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *to = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		to = va_arg(ap, void *);
		va_end(ap);
	}
	return (void *)uk_ret(UK_CALL(mremap, old, old_len, new_len, flags, to, 0));
}

int msync(void *addr, size_t len, int flags)
{
	return (int)uk_ret(UK_CALL(msync, addr, len, flags, 0, 0, 0));
}

int madvise(void *addr, size_t len, int advice)
{
	return (int)uk_ret(UK_CALL(madvise, addr, len, advice, 0, 0, 0));
}

/* POSIX's DONTNEED is a hint that must keep the contents (glibc ignores
 * it too); errors are returned, not set in errno. */
int posix_madvise(void *addr, size_t len, int advice)
{
	long r;

	if (advice == POSIX_MADV_DONTNEED)
		return 0;
	r = UK_CALL(madvise, addr, len, advice, 0, 0, 0);
	if (r < 0) {
		int saved = errno;
		uk_ret(r);
		r = errno;
		errno = saved;
	}
	return (int)r;
}

int mincore(void *addr, size_t len, unsigned char *vec)
{
	return (int)uk_ret(UK_CALL(mincore, addr, len, vec, 0, 0, 0));
}

int mlock(const void *addr, size_t len)
{
	return (int)uk_ret(UK_CALL(mlock, addr, len, 0, 0, 0, 0));
}

int munlock(const void *addr, size_t len)
{
	return (int)uk_ret(UK_CALL(munlock, addr, len, 0, 0, 0, 0));
}

int mlockall(int flags) { return (int)uk_ret(UK_CALL(mlockall, flags, 0, 0, 0, 0, 0)); }

int munlockall(void) { return (int)uk_ret(UK_CALL(munlockall, 0, 0, 0, 0, 0, 0)); }

/* ---- flags and signal sets ---- */

#define LX_O_NONBLOCK 04000
#define LX_O_CLOEXEC 02000000

/* newlib's O_NONBLOCK and O_CLOEXEC (which EFD_, TFD_ and EPOLL_CLOEXEC
 * equal) to Linux's; other bits stay, for the kernel side to refuse. */
static long nb_cloexec_to_linux(int flags)
{
	long lx = flags & ~(O_NONBLOCK | O_CLOEXEC);

	if (flags & O_NONBLOCK)
		lx |= LX_O_NONBLOCK;
	if (flags & O_CLOEXEC)
		lx |= LX_O_CLOEXEC;
	return lx;
}

/* The signals glue (glue_signal.c) numbers signals as newlib does; a
 * mask for the kernel side is Linux's. */
int uk_sig_to_linux(int sig);

static const uint64_t *sigset_to_linux(const sigset_t *set, uint64_t *lx)
{
	if (!set)
		return NULL;
	*lx = 0;
	for (int sig = 1; sig < 64; sig++) {
		int l = (*set >> sig) & 1 ? uk_sig_to_linux(sig) : 0;
		if (l > 0)
			*lx |= 1ull << (l - 1);
	}
	return lx;
}

/* ---- pipes and events ---- */

int pipe(int fds[2]) { return (int)uk_ret(UK_CALL(pipe, fds, 0, 0, 0, 0, 0)); }

int pipe2(int fds[2], int flags)
{
	long lx = nb_cloexec_to_linux(flags);

	if (flags & O_DIRECT)
		lx = (lx & ~O_DIRECT) | 040000; /* Linux's O_DIRECT: refused there */
	return (int)uk_ret(UK_CALL(pipe2, fds, lx, 0, 0, 0, 0));
}

int eventfd(unsigned int initval, int flags)
{
	return (int)uk_ret(UK_CALL(eventfd2, initval, nb_cloexec_to_linux(flags), 0, 0, 0, 0));
}

int eventfd_read(int fd, eventfd_t *value)
{
	return read(fd, value, sizeof(*value)) == sizeof(*value) ? 0 : -1;
}

int eventfd_write(int fd, eventfd_t value)
{
	return write(fd, &value, sizeof(value)) == sizeof(value) ? 0 : -1;
}

/* ---- poll and select ---- */

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return (int)uk_ret(UK_CALL(poll, fds, n, timeout, 0, 0, 0));
}

/* glibc's wrappers leave the caller's timeout alone; the system call
 * writes the time left back, so it gets a copy. */
int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	struct timespec t, *tp = ts ? (t = *ts, &t) : NULL;
	uint64_t lx;
	const uint64_t *m = sigset_to_linux(mask, &lx);

	return (int)uk_ret(UK_CALL(ppoll, fds, n, tp, m, m ? 8 : 0, 0));
}

int select(int n, fd_set *in, fd_set *out, fd_set *ex, struct timeval *tv)
{
	return (int)uk_ret(UK_CALL(select, n, in, out, ex, tv, 0));
}

int pselect(int n, fd_set *in, fd_set *out, fd_set *ex, const struct timespec *ts,
            const sigset_t *mask)
{
	struct timespec t, *tp = ts ? (t = *ts, &t) : NULL;
	uint64_t lx;
	struct {
		const uint64_t *mask;
		size_t size;
	} sig = { sigset_to_linux(mask, &lx), 8 };

	return (int)uk_ret(UK_CALL(pselect6, n, in, out, ex, tp, &sig));
}

/* ---- epoll ---- */

int epoll_create(int size) { return (int)uk_ret(UK_CALL(epoll_create, size, 0, 0, 0, 0, 0)); }

int epoll_create1(int flags)
{
	return (int)uk_ret(UK_CALL(epoll_create1, nb_cloexec_to_linux(flags), 0, 0, 0, 0, 0));
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)uk_ret(UK_CALL(epoll_ctl, epfd, op, fd, ev, 0, 0));
}

int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return (int)uk_ret(UK_CALL(epoll_wait, epfd, evs, max, timeout, 0, 0));
}

int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout, const sigset_t *mask)
{
	uint64_t lx;
	const uint64_t *m = sigset_to_linux(mask, &lx);

	return (int)uk_ret(UK_CALL(epoll_pwait, epfd, evs, max, timeout, m, m ? 8 : 0));
}

int epoll_pwait2(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
                 const sigset_t *mask)
{
	uint64_t lx;
	const uint64_t *m = sigset_to_linux(mask, &lx);

	return (int)uk_ret(UK_CALL(epoll_pwait2, epfd, evs, max, ts, m, m ? 8 : 0));
}

/* ---- timerfd ---- */

/* The clocks timerfd takes, newlib's numbers to Linux's; -1 for others. */
static long timer_clock_to_linux(clockid_t clk)
{
	switch (clk) {
	case CLOCK_REALTIME: return 0;
	case CLOCK_MONOTONIC: return 1;
	case CLOCK_BOOTTIME: return 7;
	case CLOCK_REALTIME_ALARM: return 8;
	case CLOCK_BOOTTIME_ALARM: return 9;
	}
	return -1;
}

int timerfd_create(clockid_t clk, int flags)
{
	return (int)uk_ret(UK_CALL(timerfd_create, timer_clock_to_linux(clk),
	                           nb_cloexec_to_linux(flags), 0, 0, 0, 0));
}

int timerfd_settime(int fd, int flags, const struct itimerspec *its, struct itimerspec *old)
{
	return (int)uk_ret(UK_CALL(timerfd_settime, fd, flags, its, old, 0, 0));
}

int timerfd_gettime(int fd, struct itimerspec *cur)
{
	return (int)uk_ret(UK_CALL(timerfd_gettime, fd, cur, 0, 0, 0, 0));
}
