/*
 * epoll's one hook outside itself (libos/ipc/epoll.c). Registrations hold no
 * reference to their file, as on Linux; so whoever frees an open file
 * calls this first, and the file leaves every epoll set before its wait
 * queues go away.
 */
#ifndef UK_EPOLL_H
#define UK_EPOLL_H

struct uk_file;

/* f's last reference is gone: drop its epoll registrations. */
void uk_epoll_release(struct uk_file *f);

#endif
