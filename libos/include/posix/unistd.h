/*
 * newlib's <unistd.h> plus the Linux calls uk provides that newlib does
 * not declare.
 */
#ifndef _UK_UNISTD_H
#define _UK_UNISTD_H

#include_next <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

long syscall(long, ...);
pid_t gettid(void);
int getresuid(uid_t *, uid_t *, uid_t *);
int getresgid(gid_t *, gid_t *, gid_t *);
int setresuid(uid_t, uid_t, uid_t);
int setresgid(gid_t, gid_t, gid_t);

#ifdef __cplusplus
}
#endif

#endif
