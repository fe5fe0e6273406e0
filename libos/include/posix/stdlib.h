/*
 * newlib's <stdlib.h> plus glibc's pseudo-terminal calls, which newlib
 * does not have (libos/newlib/glue_pty.c: a program that calls them links
 * pseudo-terminals into its image).
 */
#ifndef _UK_STDLIB_H
#define _UK_STDLIB_H

#include_next <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

int posix_openpt(int flags);
int grantpt(int fd);
int unlockpt(int fd);
char *ptsname(int fd);
int ptsname_r(int fd, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
