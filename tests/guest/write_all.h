/* The test programs' whole write (the guest's, and nettool on the host):
 * n bytes of buf to fd, however many calls it takes; 0, or -1. */
#ifndef TESTS_WRITE_ALL_H
#define TESTS_WRITE_ALL_H

#include <stddef.h>
#include <unistd.h>

static inline int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

#endif
