/*
 * newlib's <fcntl.h> plus posix_fallocate and posix_fadvise (advice values
 * are Linux's and pass through the glue unchanged).
 */
#ifndef _UK_FCNTL_H
#define _UK_FCNTL_H

#include_next <fcntl.h>

#define POSIX_FADV_NORMAL 0
#define POSIX_FADV_RANDOM 1
#define POSIX_FADV_SEQUENTIAL 2
#define POSIX_FADV_WILLNEED 3
#define POSIX_FADV_DONTNEED 4
#define POSIX_FADV_NOREUSE 5

#ifdef __cplusplus
extern "C" {
#endif

int posix_fallocate(int __fd, off_t __off, off_t __len);
int posix_fadvise(int __fd, off_t __off, off_t __len, int __advice);

#ifdef __cplusplus
}
#endif

#endif
