/*
 * Readiness: how poll(2), select(2) and epoll(7) learn that a file may
 * have become ready. A file's poll op reports its EPOLL* mask and hands its
 * wait queue(s) to uk_poll_wait(); the file wakes those queues
 * (uk_wq_wake(wq, -1)) whenever its readiness may have changed, e.g. a
 * pipe when data arrives or the last writer closes.
 */
#ifndef UK_POLL_H
#define UK_POLL_H

#include <uk/sched.h>

/* A poller collecting wait queues: opaque to files. */
struct uk_poll_table;

/* From a file's poll op: wake the poller when wq is woken. */
void uk_poll_wait(struct uk_poll_table *pt, struct uk_wq *wq);

#endif
