/*
 * Measurements for make bench (not a test): pipe and TCP loopback
 * throughput and round trips between two threads, eventfd round trips, the cost of
 * epoll_wait and poll with many registered descriptors and one ready, and
 * mmap's costs. One line per measure: "bench NAME VALUE UNIT".
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"
#include "../tcp_pair.h"

static void report(const char *name, double value, const char *unit)
{
	printf("bench %s %.1f %s\n", name, value, unit);
}

/* ---- two threads over a pair of descriptors ---- */

struct pair {
	int in, out; /* the echo thread reads in, writes out */
	size_t msg;
	long rounds;
};

static void *echo(void *arg)
{
	struct pair *p = arg;
	char buf[8];

	for (long i = 0; i < p->rounds; i++)
		if (read(p->in, buf, p->msg) != (long)p->msg ||
		    write(p->out, buf, p->msg) != (long)p->msg)
			break;
	return NULL;
}

static double round_trip_us(int to_echo, int from_echo, int echo_in, int echo_out, size_t msg,
                            long rounds)
{
	struct pair p = { echo_in, echo_out, msg, rounds };
	uint64_t v = 1, t0;
	pthread_t t;

	pthread_create(&t, NULL, echo, &p);
	t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		if (write(to_echo, &v, msg) != (long)msg || read(from_echo, &v, msg) != (long)msg)
			break;
	t0 = now_ns() - t0;
	pthread_join(t, NULL);
	return t0 / 1000.0 / rounds;
}

static void *sink(void *arg)
{
	static char buf[65536];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* 256 MiB in 64 KiB writes to fd[1], read by another thread from fd[0];
 * both closed after. MiB/s. */
static double throughput(int fd[2])
{
	static char buf[65536];
	long total = 256l << 20;
	pthread_t t;
	uint64_t t0;

	pthread_create(&t, NULL, sink, &fd[0]);
	t0 = now_ns();
	for (long done = 0; done < total;) {
		long n = write(fd[1], buf, sizeof(buf));
		if (n <= 0)
			break;
		done += n;
	}
	close(fd[1]);
	pthread_join(t, NULL);
	t0 = now_ns() - t0;
	close(fd[0]);
	return total / 1048576.0 / (t0 / 1e9);
}

static void pipes(void)
{
	int a[2], b[2], e1 = eventfd(0, 0), e2 = eventfd(0, 0);

	pipe(a);
	report("pipe-throughput", throughput(a), "MiB/s");
	/* (the send path's copies and checksums without a device: the
	 * loopback interface sums and checks as a NIC without offloads) */
	if (tcp_pair(a) == 0)
		report("tcp-loopback-throughput", throughput(a), "MiB/s");

	pipe(a);
	pipe(b);
	report("pipe-round-trip", round_trip_us(a[1], b[0], a[0], b[1], 1, 20000), "us");
	report("eventfd-round-trip", round_trip_us(e1, e2, e1, e2, 8, 20000), "us");
	close(a[0]), close(a[1]), close(b[0]), close(b[1]), close(e1), close(e2);
}

/* ---- readiness with many descriptors, one ready ---- */

static void readiness(void)
{
	enum { N = 1000, CALLS = 2000 };
	static int fds[N][2];
	static struct pollfd pfd[N];
	struct epoll_event ev;
	int ep = epoll_create1(0), n = 0;
	uint64_t t0;

	for (int i = 0; i < N; i++) {
		pipe(fds[i]);
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = i };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i][0], &ev);
		pfd[i] = (struct pollfd){ .fd = fds[i][0], .events = POLLIN };
	}
	write(fds[50][1], "x", 1); /* within the first 100 */
	t0 = now_ns();
	for (int i = 0; i < CALLS; i++)
		n += epoll_wait(ep, &ev, 1, 0);
	report("epoll_wait-1000-registered-1-ready", (now_ns() - t0) / (double)CALLS, "ns");
	t0 = now_ns();
	for (int i = 0; i < CALLS / 10; i++)
		n += poll(pfd, 100, 0);
	report("poll-100-fds", (now_ns() - t0) / (double)(CALLS / 10), "ns");
	t0 = now_ns();
	for (int i = 0; i < CALLS / 10; i++)
		n += poll(pfd, N, 0);
	report("poll-1000-fds", (now_ns() - t0) / (double)(CALLS / 10), "ns");
	if (n != CALLS + CALLS / 5)
		printf("bench: unexpected readiness count %d\n", n);
	for (int i = 0; i < N; i++)
		close(fds[i][0]), close(fds[i][1]);
	close(ep);
}

/* ---- memory ---- */

static void memory(void)
{
	enum { ROUNDS = 2000 };
	size_t len = 64ul << 20;
	uint64_t t0;
	char *p;

	t0 = now_ns();
	for (int i = 0; i < ROUNDS; i++) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p[0] = 1;
		munmap(p, 4096);
	}
	report("mmap-touch-munmap-1-page", (now_ns() - t0) / (double)ROUNDS, "ns");
	t0 = now_ns();
	for (int i = 0; i < ROUNDS; i++)
		munmap(
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		    1 << 20);
	report("mmap-munmap-1MiB-untouched", (now_ns() - t0) / (double)ROUNDS, "ns");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t0 = now_ns();
	for (size_t o = 0; o < len; o += 4096)
		p[o] = 1;
	report("first-touch-per-page", (now_ns() - t0) / (double)(len / 4096), "ns");
	/* the same on the break, which needs no fault: the host's share */
	{
		char *h = sbrk(len);
		if (h != (char *)-1) {
			t0 = now_ns();
			for (size_t o = 0; o < len; o += 4096)
				h[o] = 1;
			report("first-touch-per-page-brk", (now_ns() - t0) / (double)(len / 4096),
			       "ns");
			sbrk(-(long)len);
		}
	}
	t0 = now_ns();
	munmap(p, len);
	report("munmap-64MiB-touched", (now_ns() - t0) / 1000.0, "us");
}

int main(void)
{
	pipes();
	readiness();
	memory();
	return 0;
}
