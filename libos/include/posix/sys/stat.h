/*
 * newlib's <sys/stat.h> plus what its x86_64-elf build leaves out but
 * Linux programs use: lstat, mknod, UTIME_NOW/UTIME_OMIT (newlib's own
 * values; the glue translates them to Linux's).
 */
#ifndef _UK_SYS_STAT_H
#define _UK_SYS_STAT_H

#include_next <sys/stat.h>

#ifndef UTIME_NOW
#define UTIME_NOW -2L
#define UTIME_OMIT -1L
#endif

#ifdef __cplusplus
extern "C" {
#endif

int lstat(const char *__restrict __path, struct stat *__restrict __buf);
int mknod(const char *__path, mode_t __mode, dev_t __dev);

#ifdef __cplusplus
}
#endif

#endif
