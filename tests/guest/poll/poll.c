/*
 * Readiness: poll, ppoll, select, pselect and epoll on pipes and eventfds,
 * with timeouts; level- versus edge-triggered epoll, one-shot, nesting,
 * registrations that die with their file; threads woken from blocking
 * calls (blocking.c); timerfd ticks (timerfd.c). Prints "poll: N checks, M
 * failed" (status 1 when any failed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int checks, failures;

static void poll_pipes(void)
{
	int p[2], closed;
	struct pollfd fds[4];
	long t0;

	pipe(p);
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK("poll/empty-pipe-only-the-write-end-is-ready",
	      poll(fds, 2, 0) == 1 && fds[0].revents == 0 && fds[1].revents == POLLOUT,
	      "empty pipe: only the write end is ready (%x %x)", fds[0].revents, fds[1].revents);
	t0 = now_ms();
	CHECK("poll/nothing-within-100-ms", poll(fds, 1, 100) == 0 && fds[0].revents == 0,
	      "nothing within 100 ms");
	CHECK("poll/the-timeout-took-ms", WAITED(t0, 100), "the timeout took %ld ms",
	      now_ms() - t0);
	write(p[1], "x", 1);
	CHECK("poll/data-pollin", poll(fds, 2, -1) == 2 && fds[0].revents == POLLIN,
	      "data: POLLIN (%x)", fds[0].revents);
	closed = dup(p[0]);
	close(closed);
	fds[2] = (struct pollfd){ .fd = closed, .events = POLLIN };
	fds[3] = (struct pollfd){ .fd = -1, .events = POLLIN };
	CHECK("poll/a-closed-descriptor-pollnval-a-negative-one",
	      poll(fds, 4, 0) == 3 && fds[2].revents == POLLNVAL && fds[3].revents == 0,
	      "a closed descriptor: POLLNVAL; a negative one: ignored (%x %x)", fds[2].revents,
	      fds[3].revents);
	close(p[1]);
	CHECK("poll/writer-gone-pollhup-with-the-data-left",
	      poll(fds, 1, 0) == 1 && (fds[0].revents & POLLHUP) && (fds[0].revents & POLLIN),
	      "writer gone: POLLHUP with the data left (%x)", fds[0].revents);
	close(p[0]);
	pipe(p);
	close(p[0]);
	fds[0] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK("poll/reader-gone-pollerr", poll(fds, 1, 0) == 1 && (fds[0].revents & POLLERR),
	      "reader gone: POLLERR (%x)", fds[0].revents);
	close(p[1]);
}

static void ppoll_timeout(void)
{
	int p[2];
	struct pollfd fd;
	struct timespec ts = { 0, 50 * 1000000 };
	long t0 = now_ms();

	pipe(p);
	fd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	CHECK("poll/ppoll-times-out", ppoll(&fd, 1, &ts, NULL) == 0, "ppoll times out");
	CHECK("poll/after-50-ms", WAITED(t0, 50), "after 50 ms: %ld", now_ms() - t0);
	CHECK("poll/the-caller-s-timeout-is-left-alone", ts.tv_nsec == 50 * 1000000,
	      "the caller's timeout is left alone");
	ts.tv_nsec = 1000000000;
	CHECK("poll/tv-nsec-of-1e9-einval", ppoll(&fd, 1, &ts, NULL) == -1 && errno == EINVAL,
	      "tv_nsec of 1e9: EINVAL");
	close(p[0]);
	close(p[1]);
}

static void selecting(void)
{
	int p[2], q[2], n;
	fd_set rd, wr;
	struct timeval tv = { 0, 60000 };
	long t0;

	pipe(p);
	pipe(q);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(q[0], &rd);
	n = (p[0] > q[0] ? p[0] : q[0]) + 1;
	t0 = now_ms();
	CHECK("poll/select-times-out", select(n, &rd, NULL, NULL, &tv) == 0, "select times out");
	CHECK("poll/after-60-ms", WAITED(t0, 60), "after 60 ms: %ld", now_ms() - t0);
	CHECK("poll/the-time-left-is-written-back-us", tv.tv_sec == 0 && tv.tv_usec < 60000,
	      "the time left is written back: %ld us", (long)tv.tv_usec);
	write(q[1], "y", 1);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(q[0], &rd);
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	CHECK("poll/two-ready", select(n > p[1] + 1 ? n : p[1] + 1, &rd, &wr, NULL, NULL) == 2,
	      "two ready");
	CHECK("poll/exactly-the-ready-ones-are-left-set",
	      !FD_ISSET(p[0], &rd) && FD_ISSET(q[0], &rd) && FD_ISSET(p[1], &wr),
	      "exactly the ready ones are left set");
	/* beyond newlib's 64 descriptors, with Linux's FD_SETSIZE */
	CHECK("poll/dup2-to-700", dup2(q[0], 700) == 700, "dup2 to 700");
	FD_ZERO(&rd);
	FD_SET(700, &rd);
	CHECK("poll/descriptor-700", select(701, &rd, NULL, NULL, NULL) == 1 && FD_ISSET(700, &rd),
	      "descriptor 700");
	close(700);
	FD_ZERO(&rd);
	FD_SET(700, &rd);
	CHECK("poll/a-closed-one-ebadf", select(701, &rd, NULL, NULL, NULL) == -1 && errno == EBADF,
	      "a closed one: EBADF");
	CHECK("poll/nfds-1-einval", select(-1, NULL, NULL, NULL, NULL) == -1 && errno == EINVAL,
	      "nfds -1: EINVAL");
	tv = (struct timeval){ 0, 2000000 };
	CHECK("poll/tv-usec-2e6-einval", select(0, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL,
	      "tv_usec 2e6: EINVAL");
	{
		struct timespec ts = { 0, 20000000 };
		FD_ZERO(&rd);
		FD_SET(p[0], &rd);
		t0 = now_ms();
		CHECK("poll/pselect-times-out",
		      pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL) == 0 && WAITED(t0, 20),
		      "pselect times out");
		CHECK("poll/pselect-leaves-the-timeout-alone", ts.tv_nsec == 20000000,
		      "pselect leaves the timeout alone");
	}
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static int ep_wait1(int ep, struct epoll_event *ev, int timeout)
{
	memset(ev, 0, sizeof(*ev));
	return epoll_wait(ep, ev, 1, timeout);
}

static void epoll_levels(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ull };
	char c;
	long t0;

	CHECK("poll/epoll-create1-epoll-cloexec", ep >= 0 && fcntl(ep, F_GETFD) == FD_CLOEXEC,
	      "epoll_create1(EPOLL_CLOEXEC)");
	pipe(p);
	CHECK("poll/add-level-triggered", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "add, level-triggered");
	CHECK("poll/again-eexist", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST,
	      "again: EEXIST");
	CHECK("poll/nothing-yet", ep_wait1(ep, &ev, 0) == 0, "nothing yet");
	t0 = now_ms();
	CHECK("poll/a-timeout-of-80-ms", ep_wait1(ep, &ev, 80) == 0 && WAITED(t0, 80),
	      "a timeout of 80 ms");
	write(p[1], "ab", 2);
	CHECK("poll/data-epollin-with-the-user-data",
	      ep_wait1(ep, &ev, -1) == 1 && ev.events == EPOLLIN &&
	          ev.data.u64 == 0x1122334455667788ull,
	      "data: EPOLLIN with the user data");
	CHECK("poll/level-triggered-still-reported", ep_wait1(ep, &ev, 0) == 1,
	      "level-triggered: still reported");
	read(p[0], &c, 1);
	CHECK("poll/one-byte-left-still-reported", ep_wait1(ep, &ev, 0) == 1,
	      "one byte left: still reported");
	read(p[0], &c, 1);
	CHECK("poll/drained-not-reported", ep_wait1(ep, &ev, 0) == 0, "drained: not reported");
	close(p[1]);
	CHECK("poll/writer-gone-epollhup", ep_wait1(ep, &ev, 0) == 1 && ev.events == EPOLLHUP,
	      "writer gone: EPOLLHUP (%x)", ev.events);
	close(p[0]);
	CHECK("poll/closing-the-file-took-it-out-of-the-set", ep_wait1(ep, &ev, 0) == 0,
	      "closing the file took it out of the set");
	close(ep);
}

static void epoll_edges(void)
{
	int ep = epoll_create(1), p[2];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = 7 };
	char buf[8];

	pipe(p);
	CHECK("poll/add-edge-triggered", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "add, edge-triggered");
	write(p[1], "a", 1);
	CHECK("poll/an-edge", ep_wait1(ep, &ev, 0) == 1 && ev.data.fd == 7, "an edge");
	CHECK("poll/reported-once-per-edge", ep_wait1(ep, &ev, 0) == 0, "reported once per edge");
	write(p[1], "b", 1);
	CHECK("poll/more-data-a-new-edge", ep_wait1(ep, &ev, 0) == 1, "more data: a new edge");
	read(p[0], buf, sizeof(buf));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.fd = 8 };
	CHECK("poll/modify-to-one-shot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0,
	      "modify to one-shot");
	write(p[1], "c", 1);
	CHECK("poll/one-shot-once", ep_wait1(ep, &ev, 0) == 1 && ev.data.fd == 8, "one-shot: once");
	write(p[1], "d", 1);
	CHECK("poll/then-disabled", ep_wait1(ep, &ev, 0) == 0, "then disabled");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = 9 };
	CHECK("poll/re-armed-by-epoll-ctl-mod",
	      epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0 && ep_wait1(ep, &ev, 0) == 1 &&
	          ev.data.fd == 9,
	      "re-armed by EPOLL_CTL_MOD");
	CHECK("poll/delete", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "delete");
	CHECK("poll/gone-from-the-set", ep_wait1(ep, &ev, 0) == 0, "gone from the set");
	CHECK("poll/again-enoent",
	      epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT, "again: ENOENT");
	CHECK("poll/modify-enoent",
	      epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == -1 && errno == ENOENT, "modify: ENOENT");
	close(p[0]), close(p[1]), close(ep);
}

static void epoll_rules(void)
{
	int ep = epoll_create1(0), ep2 = epoll_create1(0), p[2], file, d;
	struct epoll_event ev = { .events = EPOLLIN };

	pipe(p);
	file = open("/epoll-regular", O_CREAT | O_RDWR, 0600);
	CHECK("poll/a-regular-file-eperm",
	      epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev) == -1 && errno == EPERM,
	      "a regular file: EPERM");
	close(file);
	unlink("/epoll-regular");
	CHECK("poll/itself-einval", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL,
	      "itself: EINVAL");
	CHECK("poll/not-an-epoll-descriptor-einval",
	      epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev) == -1 && errno == EINVAL,
	      "not an epoll descriptor: EINVAL");
	CHECK("poll/bad-fd-ebadf", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev) == -1 && errno == EBADF,
	      "bad fd: EBADF");
	CHECK("poll/bad-op-einval", epoll_ctl(ep, 99, p[0], &ev) == -1 && errno == EINVAL,
	      "bad op: EINVAL");
	CHECK("poll/maxevents-0-einval", epoll_wait(ep, &ev, 0, 0) == -1 && errno == EINVAL,
	      "maxevents 0: EINVAL");
	CHECK("poll/wait-on-a-pipe-einval", epoll_wait(p[0], &ev, 1, 0) == -1 && errno == EINVAL,
	      "wait on a pipe: EINVAL");
	CHECK("poll/epoll-create-0-einval", epoll_create(0) == -1 && errno == EINVAL,
	      "epoll_create(0): EINVAL");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK("poll/epollexclusive-accepted", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0,
	      "EPOLLEXCLUSIVE accepted");
	CHECK("poll/but-not-with-epoll-ctl-mod",
	      epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == -1 && errno == EINVAL,
	      "but not with EPOLL_CTL_MOD");
	/* nesting */
	ev.events = EPOLLIN;
	CHECK("poll/a-set-inside-a-set", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev) == 0,
	      "a set inside a set");
	CHECK("poll/a-loop-eloop", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev) == -1 && errno == ELOOP,
	      "a loop: ELOOP");
	{
		struct pollfd pf = { .fd = ep, .events = POLLIN };
		CHECK("poll/poll-on-an-idle-set", poll(&pf, 1, 0) == 0, "poll on an idle set");
		write(p[1], "x", 1);
		CHECK("poll/poll-on-a-set-with-news", poll(&pf, 1, 0) == 1 && pf.revents == POLLIN,
		      "poll on a set with news");
		CHECK("poll/the-outer-set-sees-the-inner-one", ep_wait1(ep2, &ev, 0) == 1,
		      "the outer set sees the inner one");
	}
	/* registrations are keyed by (descriptor, file): a dup keeps the file */
	d = dup(p[0]);
	close(p[0]);
	CHECK("poll/a-dup-keeps-the-registration-alive", ep_wait1(ep, &ev, 0) == 1,
	      "a dup keeps the registration alive");
	close(d);
	CHECK("poll/the-last-descriptor-closed-gone", ep_wait1(ep, &ev, 0) == 0,
	      "the last descriptor closed: gone");
	close(p[1]);
	close(ep2);
	close(ep);
}

static void eventfd_readiness(void)
{
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = efd };
	struct pollfd pf = { .fd = efd, .events = POLLIN | POLLOUT };
	eventfd_t v;

	CHECK("poll/eventfd-at-0-writable-only", poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT,
	      "eventfd at 0: writable only");
	CHECK("poll/eventfd-in-epoll", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0,
	      "eventfd in epoll");
	eventfd_write(efd, 1);
	CHECK("poll/after-a-write-readable",
	      poll(&pf, 1, 0) == 1 && pf.revents == (POLLIN | POLLOUT), "after a write: readable");
	CHECK("poll/epoll-sees-the-write", ep_wait1(ep, &ev, 0) == 1 && ev.data.fd == efd,
	      "epoll sees the write");
	eventfd_write(efd, 1);
	CHECK("poll/each-write-is-an-edge", ep_wait1(ep, &ev, 0) == 1, "each write is an edge");
	eventfd_read(efd, &v);
	CHECK("poll/read-no-edge", v == 2 && ep_wait1(ep, &ev, 0) == 0, "read: no edge");
	close(efd);
	close(ep);
}

int main(void)
{
	poll_pipes();
	ppoll_timeout();
	selecting();
	epoll_levels();
	epoll_edges();
	epoll_rules();
	eventfd_readiness();
	blocking_tests();
	timerfd_tests();
	return check_totals("poll");
}
