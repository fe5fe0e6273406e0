/* Scatter/gather I/O, Linux's layout (the glue passes it through). */
#ifndef _UK_SYS_UIO_H
#define _UK_SYS_UIO_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _UK_STRUCT_IOVEC
#define _UK_STRUCT_IOVEC
struct iovec {
	void *iov_base;
	size_t iov_len;
};
#endif

#define UIO_MAXIOV 1024
#define IOV_MAX 1024

ssize_t readv(int fd, const struct iovec *iov, int cnt);
ssize_t writev(int fd, const struct iovec *iov, int cnt);
ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off);
ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off);

#ifdef __cplusplus
}
#endif

#endif
