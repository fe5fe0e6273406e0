/*
 * A network test server for the e2e scripts, one thread per connection:
 *
 *   tcp 7      echo until the client closes
 *   udp 7      echo each datagram
 *   tcp 9      sink: count bytes until the client half-closes (SHUT_WR),
 *              then answer "<bytes>\n" and close: half-close works
 *   tcp 19     source: read "<bytes>\n", send that many bytes of the
 *              pattern 'a'..'z' repeated, close (slow readers, resets)
 *   tcp 1000   control, one command per connection, one line answer:
 *              "fds" (open descriptors), "resolve NAME" (its first IPv4
 *              address), "resolve6 NAME" (IPv6), "connect ADDR PORT"
 *              (errno name or OK), "mss" (the control connection's TCP
 *              segment size: the link's MTU shows), "read PATH" (its
 *              first line), "write PATH WORD" (the file becomes WORD and a
 *              newline, fsynced: OK), "udpto ADDR PORT WORD" (WORD
 *              as a datagram from udp 7's socket: errno name or OK),
 *              "quit" (exit 0)
 *
 * Prints "ready <address>" once listening. Every failure that is not the
 * peer's doing is printed as "error: ..." so the scripts can catch it.
 *
 *   net-echo [-d SECONDS]   first bring the network up, print "up", and
 *                           wait that long before listening (connections
 *                           before "ready" must be refused)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../write_all.h"

uint32_t uk_net_ip(void);

#define BUF 65536

static int udp_fd; /* udp 7's */

static int listen_on(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 256))) {
		printf("error: listening on %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static void *echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF);
	ssize_t n;

	while (buf && (n = read(fd, buf, BUF)) > 0)
		if (write_all(fd, buf, (size_t)n))
			break;
	free(buf);
	close(fd);
	return NULL;
}

static void *sink(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF);
	unsigned long long total = 0;
	char line[32];
	ssize_t n = -1;

	while (buf && (n = read(fd, buf, BUF)) > 0)
		total += (unsigned long long)n;
	free(buf);
	if (n == 0) { /* half-closed by the peer: our direction still works */
		snprintf(line, sizeof(line), "%llu\n", total);
		write_all(fd, line, strlen(line));
	}
	close(fd);
	return NULL;
}

static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

static void *source(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF);
	char line[32];
	unsigned long long want, sent = 0;

	if (!buf || read_line(fd, line, sizeof(line)) < 0) {
		free(buf);
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < BUF; i++)
		buf[i] = (char)('a' + i % 26);
	want = strtoull(line, NULL, 10);
	while (sent < want) {
		/* Whole 26-byte periods per write so the pattern continues. */
		size_t n = want - sent < 26 * 2520 ? (size_t)(want - sent) : 26 * 2520;
		ssize_t w = write(fd, buf, n);
		if (w <= 0)
			break; /* the peer reset or went away: that is the test */
		sent += (unsigned long long)w;
		if ((size_t)w < n) { /* keep the pattern aligned after a short write */
			size_t rest = n - (size_t)w;
			if (write_all(fd, buf + w, rest))
				break;
			sent += rest;
		}
	}
	free(buf);
	close(fd);
	return NULL;
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static const char *errname(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	}
	return strerror(e);
}

/* "read PATH" and "write PATH WORD": a share's files, through -p. */
static void file_cmd(char *out, size_t cap, const char *cmd)
{
	char path[64], word[64], line[64] = "";
	int n = 0, fd;

	if (sscanf(cmd, "write %63s %63s", path, word) == 2) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		n = snprintf(line, sizeof(line), "%s\n", word);
		if (fd < 0 || write(fd, line, n) != n || fsync(fd) || close(fd))
			snprintf(out, cap, "error %s\n", strerror(errno));
		else
			snprintf(out, cap, "OK\n");
		return;
	}
	sscanf(cmd, "read %63s", path);
	if ((fd = open(path, O_RDONLY)) < 0 || (n = read(fd, line, sizeof(line) - 1)) < 0) {
		snprintf(out, cap, "error %s\n", strerror(errno));
	} else {
		line[n] = 0;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, cap, "%s\n", line);
	}
	if (fd >= 0)
		close(fd);
}

static void control_cmd(int fd, char *cmd)
{
	char out[128], host[64], word[64];
	struct addrinfo *ai, hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	int port, r;

	if (!strcmp(cmd, "fds")) {
		snprintf(out, sizeof(out), "%d\n", open_fds());
	} else if (!strcmp(cmd, "mss")) {
		int mss = 0;
		socklen_t len = sizeof(mss);
		if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len))
			snprintf(out, sizeof(out), "error %s\n", strerror(errno));
		else
			snprintf(out, sizeof(out), "%d\n", mss);
	} else if (!strncmp(cmd, "resolve ", 8) || !strncmp(cmd, "resolve6 ", 9)) {
		hints.ai_family = cmd[7] == '6' ? AF_INET6 : AF_INET;
		r = getaddrinfo(strchr(cmd, ' ') + 1, NULL, &hints, &ai);
		if (r) {
			snprintf(out, sizeof(out), "error %s\n", gai_strerror(r));
		} else {
			getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
			            NI_NUMERICHOST);
			snprintf(out, sizeof(out), "%s\n", host);
			freeaddrinfo(ai);
		}
	} else if (sscanf(cmd, "connect %63s %d", host, &port) == 2) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		int c = socket(AF_INET, SOCK_STREAM, 0);
		inet_pton(AF_INET, host, &a.sin_addr);
		r = connect(c, (struct sockaddr *)&a, sizeof(a));
		snprintf(out, sizeof(out), "%s\n", r ? errname(errno) : "OK");
		close(c);
	} else if (sscanf(cmd, "udpto %63s %d %63s", host, &port, word) == 3) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		inet_pton(AF_INET, host, &a.sin_addr);
		r = (int)sendto(udp_fd, word, strlen(word), 0, (struct sockaddr *)&a, sizeof(a));
		snprintf(out, sizeof(out), "%s\n", r < 0 ? errname(errno) : "OK");
	} else if (!strncmp(cmd, "read ", 5) || !strncmp(cmd, "write ", 6)) {
		file_cmd(out, sizeof(out), cmd);
	} else if (!strcmp(cmd, "quit")) {
		write_all(fd, "bye\n", 4);
		close(fd);
		exit(0);
	} else {
		snprintf(out, sizeof(out), "error: unknown command '%s'\n", cmd);
	}
	write_all(fd, out, strlen(out));
}

static void *control(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char cmd[128];

	if (read_line(fd, cmd, sizeof(cmd)) >= 0)
		control_cmd(fd, cmd);
	close(fd);
	return NULL;
}

struct service {
	int port;
	void *(*fn)(void *);
	int lfd;
};

static void *acceptor(void *arg)
{
	struct service *s = arg;
	pthread_t t;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			printf("error: accept on %d: %s\n", s->port, strerror(errno));
			continue;
		}
		if (pthread_create(&t, NULL, s->fn, (void *)(intptr_t)fd)) {
			printf("error: pthread_create: %s\n", strerror(errno));
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static void *udp_echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	struct sockaddr_in from;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0) {
			printf("error: recvfrom: %s\n", strerror(errno));
			continue;
		}
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct service services[] = {
		{ 7, echo, -1 },
		{ 9, sink, -1 },
		{ 19, source, -1 },
		{ 1000, control, -1 },
	};
	pthread_t t;
	uint32_t ip;

	if (argc == 3 && !strcmp(argv[1], "-d")) {
		close(socket(AF_INET, SOCK_DGRAM, 0)); /* the network comes up */
		printf("up\n");
		fflush(stdout);
		sleep((unsigned)atoi(argv[2]));
	}
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		services[i].lfd = listen_on(SOCK_STREAM, services[i].port);
		pthread_create(&t, NULL, acceptor, &services[i]);
	}
	udp_fd = listen_on(SOCK_DGRAM, 7);
	pthread_create(&t, NULL, udp_echo, (void *)(intptr_t)udp_fd);
	ip = uk_net_ip();
	printf("ready %u.%u.%u.%u\n", ip & 255, (ip >> 8) & 255, (ip >> 16) & 255, ip >> 24);
	fflush(stdout);
	pthread_join(t, NULL);
	return 0;
}
