/*
 * Blocking calls woken by another thread: pipe reads and writes (with a
 * 4 MiB transfer checked end to end, PIPE_BUF-sized records never torn
 * between two writers), EPIPE for a writer blocked when the reader goes,
 * poll, select, epoll_wait and eventfd reads woken by writes, and a
 * signal interrupting poll (EINTR) and ppoll with its own mask.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#include "check.h"

struct job {
	int fd;
	int delay_ms;
	const void *buf;
	size_t len;
	long result;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* After a delay, write the whole buffer (in as many calls as it takes). */
static void *writer(void *arg)
{
	struct job *j = arg;
	size_t done = 0;

	sleep_ms(j->delay_ms);
	while (done < j->len) {
		long n = write(j->fd, (const char *)j->buf + done, j->len - done);
		if (n <= 0) {
			j->result = n < 0 ? -errno : (long)done;
			return NULL;
		}
		done += n;
	}
	j->result = (long)done;
	return NULL;
}

static void *closer(void *arg)
{
	struct job *j = arg;

	sleep_ms(j->delay_ms);
	close(j->fd);
	return NULL;
}

static uint32_t pattern(size_t i) { return (uint32_t)(i * 2654435761u); }

static void big_transfer(void)
{
	enum { LEN = 4 << 20 };
	static uint32_t out[LEN / 4], in[LEN / 4];
	int p[2];
	pthread_t t;
	struct job j;
	size_t got = 0;
	long n;

	for (size_t i = 0; i < LEN / 4; i++)
		out[i] = pattern(i);
	pipe(p);
	j = (struct job){ .fd = p[1], .buf = out, .len = LEN };
	pthread_create(&t, NULL, writer, &j);
	while (got < LEN && (n = read(p[0], (char *)in + got, 100000)) > 0)
		got += n;
	pthread_join(t, NULL);
	CHECK("poll/blocking/4-mib-through-a-pipe-read-written", got == LEN && j.result == LEN,
	      "4 MiB through a pipe: %zu read, %ld written", got, j.result);
	CHECK("poll/blocking/the-bytes-arrive-in-order", !memcmp(in, out, LEN),
	      "the bytes arrive in order");
	close(p[0]);
	close(p[1]);
}

/* Two writers of 4096-byte records, one record per write call, through a
 * pipe that keeps filling up: the reader never sees a record torn. */
enum { REC = 4096, RECS = 200 };

static void *rec_writer(void *arg)
{
	struct job *j = arg;
	char rec[REC];

	memset(rec, *(const char *)j->buf, sizeof(rec));
	for (int i = 0; i < RECS; i++)
		if (write(j->fd, rec, REC) != REC)
			return NULL;
	j->result = RECS;
	return NULL;
}

static void atomic_records(void)
{
	static char rec[REC];
	struct job ja, jb;
	pthread_t ta, tb;
	int p[2], torn = 0, count = 0, as = 0;

	pipe(p);
	ja = (struct job){ .fd = p[1], .buf = "a" };
	jb = (struct job){ .fd = p[1], .buf = "b" };
	pthread_create(&ta, NULL, rec_writer, &ja);
	pthread_create(&tb, NULL, rec_writer, &jb);
	for (int i = 0; i < 2 * RECS; i++) {
		size_t got = 0;
		while (got < REC) {
			long n = read(p[0], rec + got, REC - got);
			if (n <= 0)
				break;
			got += n;
		}
		for (int k = 1; k < REC; k++)
			torn += rec[k] != rec[0];
		as += rec[0] == 'a';
		count++;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK("poll/blocking/all-records-arrive-of-them-a-s",
	      count == 2 * RECS && ja.result == RECS && jb.result == RECS && as == RECS,
	      "all records arrive (%d, %d of them a's)", count, as);
	CHECK("poll/blocking/records-of-pipe-buf-bytes-are-never-torn-torn", !torn,
	      "records of PIPE_BUF bytes are never torn (%d torn bytes)", torn);
	close(p[0]);
	close(p[1]);
}

static void wakeups(void)
{
	int p[2], efd = eventfd(0, 0), ep = epoll_create1(0);
	struct job j;
	pthread_t t;
	char c;
	long t0;
	struct pollfd pf;
	fd_set rd;
	struct epoll_event ev = { .events = EPOLLIN };
	eventfd_t v = 0;
	static const eventfd_t five = 5;

	pipe(p);
	j = (struct job){ .fd = p[1], .delay_ms = 50, .buf = "r", .len = 1 };
	t0 = now_ms();
	pthread_create(&t, NULL, writer, &j);
	CHECK("poll/blocking/a-blocked-read-is-woken",
	      read(p[0], &c, 1) == 1 && c == 'r' && WAITED(t0, 50), "a blocked read is woken");
	pthread_join(t, NULL);

	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	j.buf = "p";
	t0 = now_ms();
	pthread_create(&t, NULL, writer, &j);
	CHECK("poll/blocking/a-blocked-poll-is-woken-ms",
	      poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN && WAITED(t0, 50),
	      "a blocked poll is woken (%ld ms)", now_ms() - t0);
	pthread_join(t, NULL);
	read(p[0], &c, 1);

	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	t0 = now_ms();
	pthread_create(&t, NULL, writer, &j);
	CHECK("poll/blocking/a-blocked-select-is-woken",
	      select(p[0] + 1, &rd, NULL, NULL, NULL) == 1 && WAITED(t0, 50),
	      "a blocked select is woken");
	pthread_join(t, NULL);
	read(p[0], &c, 1);

	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	j = (struct job){ .fd = efd, .delay_ms = 50, .buf = &five, .len = 8 };
	t0 = now_ms();
	pthread_create(&t, NULL, writer, &j);
	CHECK("poll/blocking/a-blocked-epoll-wait-is-woken",
	      epoll_wait(ep, &ev, 1, 5000) == 1 && WAITED(t0, 50), "a blocked epoll_wait is woken");
	pthread_join(t, NULL);
	CHECK("poll/blocking/the-eventfd-holds-5", read(efd, &v, 8) == 8 && v == 5,
	      "the eventfd holds 5");
	pthread_create(&t, NULL, writer, &j);
	t0 = now_ms();
	CHECK("poll/blocking/a-blocked-eventfd-read-is-woken",
	      read(efd, &v, 8) == 8 && v == 5 && WAITED(t0, 50), "a blocked eventfd read is woken");
	pthread_join(t, NULL);
	close(ep);
	close(efd);
	close(p[0]);
	close(p[1]);
}

static void epipe_while_blocked(void)
{
	static char fill[65536];
	int p[2];
	pthread_t t;
	struct job j;

	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	write(p[1], fill, sizeof(fill)); /* full */
	j = (struct job){ .fd = p[0], .delay_ms = 50 };
	pthread_create(&t, NULL, closer, &j);
	CHECK("poll/blocking/a-writer-blocked-on-a-full-pipe-gets-epipe-when",
	      write(p[1], "x", 1) == -1 && errno == EPIPE,
	      "a writer blocked on a full pipe gets EPIPE when the reader goes");
	pthread_join(t, NULL);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static volatile int alarms;
static void on_alarm(int sig) { alarms++; }

static void interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	sigset_t block, none, now;
	struct pollfd pf;
	int p[2];
	long t0;

	sigaction(SIGALRM, &sa, NULL);
	pipe(p);
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	alarm(1);
	t0 = now_ms();
	CHECK("poll/blocking/sigalrm-interrupts-poll-eintr-after-the-handler",
	      poll(&pf, 1, 10000) == -1 && errno == EINTR && alarms == 1,
	      "SIGALRM interrupts poll: EINTR after the handler (%d)", alarms);
	CHECK("poll/blocking/promptly", now_ms() - t0 < 5000, "promptly");
	/* ppoll unblocks SIGALRM only while it waits */
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	alarm(1);
	CHECK("poll/blocking/ppoll-with-an-empty-mask-sigalrm-gets-through",
	      ppoll(&pf, 1, NULL, &none) == -1 && errno == EINTR && alarms == 2,
	      "ppoll with an empty mask: SIGALRM gets through (%d)", alarms);
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK("poll/blocking/and-is-blocked-again-afterwards", sigismember(&now, SIGALRM) == 1,
	      "and is blocked again afterwards");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

void blocking_tests(void)
{
	big_transfer();
	atomic_records();
	wakeups();
	epipe_while_blocked();
	interrupted();
}
