/* newlib's <utime.h> has struct utimbuf but no utime(). */
#ifndef _UK_UTIME_H
#define _UK_UTIME_H

#include_next <utime.h>

#ifdef __cplusplus
extern "C" {
#endif

int utime(const char *__path, const struct utimbuf *__times);

#ifdef __cplusplus
}
#endif

#endif
