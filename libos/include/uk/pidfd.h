/*
 * Process file descriptors (pidfd_open; libos/ipc/pidfd.c): an open file
 * naming one process, readable (poll, epoll) once it has ended. The
 * system calls that act through one (pidfd_send_signal, pidfd_getfd,
 * waitid's P_PIDFD) are the processes' (libos/sys/sys_pidfd.c).
 */
#ifndef UK_PIDFD_H
#define UK_PIDFD_H

#include <stdint.h>

struct uk_proc;

/* The process fd names: 0 with *p (NULL once it has been reaped) and
 * its pid in *pid; -EBADF when fd is not a pidfd. *nonblock: whether it
 * was opened PIDFD_NONBLOCK (may be NULL). */
int uk_pidfd_proc(int fd, struct uk_proc **p, int *pid, int *nonblock);

/* clone's CLONE_PIDFD: a pidfd in the caller's table that names no
 * process yet (so that a full table fails the clone before the child
 * exists), its file in *f; uk_pidfd_bind names the child and lets go of
 * *f. The descriptor, or -EMFILE / -ENOMEM. */
struct uk_file;
int uk_pidfd_install(struct uk_file **f);
void uk_pidfd_bind(struct uk_file *f, const struct uk_proc *p);

#endif
