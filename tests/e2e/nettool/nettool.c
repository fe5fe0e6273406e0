/*
 * The host side of the network tests (busybox's nc has no UDP and no
 * concurrency; the nested KVM host has nothing else). Talks to the guest's
 * tests/guest/net-echo services and to httpd. Prints one result line; exits
 * 0 when the check held, 1 when not, 2 on bad usage.
 *
 *   nettool udp HOST PORT MSG           send a datagram, print the reply
 *   nettool conns HOST PORT N           N connections open at once to an echo
 *                                       service; print how many echoed
 *   nettool http HOST PORT N PATH       N concurrent HTTP/1.0 GETs; print how
 *                                       many answered 200
 *   nettool echo HOST PORT MB           MB MiB through an echo service while
 *                                       reading it back; compare checksums
 *   nettool source HOST PORT MB         receive MB MiB of the a-z pattern; MB/s
 *   nettool sink HOST PORT MB           send MB MiB, half-close, expect the count
 *   nettool reset HOST PORT             take a little of a big transfer, then
 *                                       reset the connection (SO_LINGER 0)
 *   nettool slow HOST PORT KB           read KB KiB of the pattern slowly
 *   nettool vanish HOST PORT N          N connections that send nothing and
 *                                       reset (SO_LINGER 0) at once
 *   nettool reconnect HOST PORT N MB    N connections one after another from
 *                                       one local port, each receiving MB MiB
 *                                       of the pattern and the end
 *   nettool dnsd PORT NAME ADDR[,ADDR6] answer A (and AAAA) queries for NAME
 *                                       on 127.0.0.1:PORT (NXDOMAIN for other
 *                                       names)
 *   nettool listen PORT                 a TCP service on 127.0.0.1:PORT: a
 *                                       line per connection (closed at once);
 *                                       and UDP's: "datagram MSG" for each
 *   nettool serve6 ADDR PORT LINE       a TCP service on [ADDR]:PORT (IPv6)
 *                                       that writes LINE to each connection;
 *                                       prints "accepted from ADDR" for each
 *   nettool ra IF PREFIX                a router's advertisement of PREFIX/64
 *                                       (on-link, for SLAAC) on IF every
 *                                       second, for ever
 *
 * HOST and ADDR are numbers, IPv4 or IPv6 (a link-local one with its
 * scope: fe80::1%tap0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../guest/write_all.h"

#define MIB (1u << 20)

/* A numeric address and port: IPv4 or IPv6 (link-local with its scope,
 * fe80::1%tap0). */
struct peer {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

static struct peer target(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	struct peer a = { .len = 0 };

	if (getaddrinfo(host, port, &hints, &ai) || ai->ai_addrlen > sizeof(a.u)) {
		fprintf(stderr, "nettool: %s port %s: not an IP address and port\n", host, port);
		exit(2);
	}
	memcpy(&a.u, ai->ai_addr, ai->ai_addrlen);
	a.len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return a;
}

/* The port of a (network order), either family's. */
static in_port_t *port_of(struct peer *a)
{
	return a->u.sa.sa_family == AF_INET6 ? &a->u.in6.sin6_port : &a->u.in.sin_port;
}

static int dial(struct peer a)
{
	int fd = socket(a.u.sa.sa_family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, &a.u.sa, a.len)) {
		printf("connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int cmd_udp(char **av)
{
	struct peer a = target(av[0], av[1]);
	int fd = socket(a.u.sa.sa_family, SOCK_DGRAM, 0);
	struct timeval tv = { 3, 0 };
	char buf[2048];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sendto(fd, av[2], strlen(av[2]), 0, &a.u.sa, a.len);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		printf("no reply: %s\n", strerror(errno));
		return 1;
	}
	buf[n] = 0;
	printf("%s\n", buf);
	return strcmp(buf, av[2]) != 0;
}

static int cmd_conns(char **av)
{
	struct peer a = target(av[0], av[1]);
	int n = atoi(av[2]), ok = 0;
	int *fd = calloc((size_t)n, sizeof(int));
	char msg[32], buf[32];

	for (int i = 0; i < n; i++) /* all open before any is used */
		fd[i] = dial(a);
	for (int i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "conn %d\n", i);
		write_all(fd[i], msg, strlen(msg));
	}
	for (int i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "conn %d\n", i);
		size_t got = 0;
		while (got < strlen(msg)) {
			ssize_t r = read(fd[i], buf + got, strlen(msg) - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		ok += got == strlen(msg) && !memcmp(buf, msg, got);
		close(fd[i]);
	}
	printf("%d of %d answered\n", ok, n);
	return ok != n;
}

static int cmd_http(char **av)
{
	struct peer a = target(av[0], av[1]);
	int n = atoi(av[2]), ok = 0;
	int *fd = calloc((size_t)n, sizeof(int));
	char req[512], buf[4096];

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", av[3], av[0]);
	for (int i = 0; i < n; i++)
		fd[i] = dial(a);
	for (int i = 0; i < n; i++)
		write_all(fd[i], req, strlen(req));
	for (int i = 0; i < n; i++) {
		ssize_t r, got = 0;
		while ((r = read(fd[i], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0 &&
		       got + r < (ssize_t)sizeof(buf) - 1)
			got += r;
		buf[got] = 0;
		ok += !strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 200", 4);
		close(fd[i]);
	}
	printf("%d of %d answered 200\n", ok, n);
	return ok != n;
}

/* A deterministic byte stream (xorshift), so both ends can check it. */
static void fill(unsigned char *p, size_t n, uint64_t *x)
{
	for (size_t i = 0; i < n; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		p[i] = (unsigned char)*x;
	}
}

static int cmd_echo(char **av)
{
	struct peer a = target(av[0], av[1]);
	size_t total = (size_t)atoi(av[2]) * MIB, sent = 0, got = 0, chunk = 0, off = 0;
	unsigned char *out = malloc(65536), *in = malloc(65536);
	uint64_t hs = 0xcbf29ce484222325ull, hr = hs, x = 88172645463325252ull;
	int fd = dial(a);
	double t0 = now();

	while (got < total) {
		struct pollfd p = { fd, POLLIN | (sent < total ? POLLOUT : 0), 0 };
		if (poll(&p, 1, 10000) <= 0) {
			printf("stalled after %zu bytes sent, %zu received\n", sent, got);
			return 1;
		}
		if ((p.revents & POLLOUT) && sent < total) {
			if (off == chunk) {
				chunk = total - sent < 65536 ? total - sent : 65536;
				fill(out, chunk, &x);
				hs = fnv(hs, out, chunk);
				off = 0;
			}
			ssize_t w = write(fd, out + off, chunk - off);
			if (w > 0)
				off += (size_t)w, sent += (size_t)w;
			if (sent == total)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(fd, in, 65536);
			if (r <= 0) {
				printf("connection ended after %zu of %zu bytes\n", got, total);
				return 1;
			}
			hr = fnv(hr, in, (size_t)r);
			got += (size_t)r;
		}
	}
	printf("%zu bytes echoed, checksums %s (%016llx), %.1f MB/s\n", got,
	       hs == hr ? "match" : "DIFFER", (unsigned long long)hr,
	       2 * total / 1e6 / (now() - t0));
	return hs != hr;
}

static int check_pattern(const unsigned char *p, size_t n, size_t at)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 'a' + (at + i) % 26)
			return -1;
	return 0;
}

static int read_pattern(int fd, size_t want, size_t step, useconds_t pause, double *secs)
{
	unsigned char *buf = malloc(65536);
	size_t got = 0;
	double t0 = now();
	ssize_t r;

	while (got < want && (r = read(fd, buf, step)) > 0) {
		if (check_pattern(buf, (size_t)r, got)) {
			printf("wrong byte near offset %zu\n", got);
			return -1;
		}
		got += (size_t)r;
		if (pause)
			usleep(pause);
	}
	*secs = now() - t0;
	if (got != want) {
		printf("got %zu of %zu bytes\n", got, want);
		return -1;
	}
	return 0;
}

/* Asks the source service behind fd for want bytes, then reads them step
 * bytes at a time (pause after each) and checks them. */
static int fetch_pattern(int fd, size_t want, size_t step, useconds_t pause, double *secs)
{
	char line[32];

	snprintf(line, sizeof(line), "%zu\n", want);
	write_all(fd, line, strlen(line));
	return read_pattern(fd, want, step, pause, secs);
}

static int cmd_source(char **av)
{
	size_t want = (size_t)atoi(av[2]) * MIB;
	double secs;

	if (fetch_pattern(dial(target(av[0], av[1])), want, 65536, 0, &secs))
		return 1;
	printf("%zu bytes received, %.1f MB/s\n", want, want / 1e6 / secs);
	return 0;
}

static int cmd_slow(char **av)
{
	size_t want = (size_t)atoi(av[2]) * 1024;
	double secs;

	if (fetch_pattern(dial(target(av[0], av[1])), want, 512, 2000, &secs))
		return 1;
	printf("%zu bytes read slowly in %.1f s, pattern intact\n", want, secs);
	return 0;
}

/* One connection from local port *port (any when 0, then set) that asks
 * the source service for want bytes: all of them, then the end. */
static int source_from(struct peer a, in_port_t *port, size_t want)
{
	struct peer me = { .u.sa.sa_family = a.u.sa.sa_family, .len = a.len };
	struct timeval tv = { 20, 0 }; /* a stall fails, it does not hang */
	int fd, one = 1, r = -1;
	double secs;
	char c;

	/* The port may still be ours in LAST-ACK until the guest's last ACK
	 * comes (late on a loaded machine): EADDRINUSE is this host's, not the
	 * guest's refusal, so try again for up to 10 s. */
	for (int tries = 0;; tries++) {
		fd = socket(a.u.sa.sa_family, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		*port_of(&me) = *port;
		if (!(*port && bind(fd, &me.u.sa, me.len)) && !connect(fd, &a.u.sa, a.len))
			break;
		if (errno != EADDRINUSE || tries == 100) {
			printf("connect: %s\n", strerror(errno));
			goto out;
		}
		close(fd);
		usleep(100000);
	}
	getsockname(fd, &me.u.sa, &me.len);
	*port = *port_of(&me);
	if (fetch_pattern(fd, want, 65536, 0, &secs))
		goto out;
	if (read(fd, &c, 1) != 0) {
		printf("no end after %zu bytes\n", want);
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* A local port below the kernel's ephemeral range (32768 and up), free
 * now: one the kernel picked for our first connection could be picked
 * again for another program's while ours waits between connections (a
 * reconnect then met EADDRINUSE for seconds under a loaded suite). */
static in_port_t free_port(void)
{
	int one = 1;

	for (int i = 0; i < 1000; i++) {
		struct sockaddr_in me = { .sin_family = AF_INET };
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		me.sin_port = htons((uint16_t)(20000 + (getpid() + i * 13) % 12000));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ok = !bind(fd, (struct sockaddr *)&me, sizeof(me));
		close(fd);
		if (ok)
			return me.sin_port;
	}
	return 0; /* the kernel's choice, as before */
}

/* The guest closes first, so it holds each connection in TIME-WAIT when
 * the next one comes from the same port, as clients' ports come again. */
static int cmd_reconnect(char **av)
{
	struct peer a = target(av[0], av[1]);
	size_t want = (size_t)atoi(av[3]) * MIB;
	int n = atoi(av[2]);
	in_port_t port = free_port();

	for (int i = 0; i < n; i++) {
		if (source_from(a, &port, want)) {
			printf("(connection %d of %d, from port %u)\n", i + 1, n, ntohs(port));
			return 1;
		}
		/* (our FIN reaches the guest before the next SYN: TIME-WAIT) */
		usleep(300000);
	}
	printf("%d connections from port %u got all %zu bytes each\n", n, ntohs(port), want);
	return 0;
}

static int cmd_sink(char **av)
{
	size_t total = (size_t)atoi(av[2]) * MIB, sent = 0;
	unsigned char *buf = calloc(1, 65536);
	int fd = dial(target(av[0], av[1]));
	char reply[64] = "";
	double t0 = now();
	ssize_t r;

	while (sent < total) {
		size_t n = total - sent < 65536 ? total - sent : 65536;
		if (write_all(fd, buf, n)) {
			printf("write failed after %zu bytes: %s\n", sent, strerror(errno));
			return 1;
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR); /* half-close: the answer still comes back */
	r = read(fd, reply, sizeof(reply) - 1);
	reply[r > 0 ? r : 0] = 0;
	if (strtoull(reply, NULL, 10) != total) {
		printf("sent %zu bytes, the guest counted '%s'\n", total, reply);
		return 1;
	}
	printf("%zu bytes sent and counted after a half-close, %.1f MB/s\n", total,
	       total / 1e6 / (now() - t0));
	return 0;
}

static int cmd_reset(char **av)
{
	int fd = dial(target(av[0], av[1]));
	struct linger l = { 1, 0 };
	unsigned char buf[4096];
	const char *req = "104857600\n";
	ssize_t r;

	write_all(fd, req, strlen(req));
	r = read(fd, buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd); /* RST in the middle of the transfer */
	printf("reset after %zd bytes\n", r);
	return r <= 0;
}

static int cmd_vanish(char **av)
{
	struct peer a = target(av[0], av[1]);
	struct linger l = { 1, 0 };
	int n = atoi(av[2]);

	for (int i = 0; i < n; i++) {
		int fd = dial(a);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
	}
	printf("%d connections reset\n", n);
	return 0;
}

/* ---- a tiny DNS server ---- */

static size_t qname_end(const unsigned char *q, size_t n, size_t off)
{
	while (off < n && q[off])
		off += q[off] + 1;
	return off < n ? off + 1 : 0;
}

static int name_is(const unsigned char *q, size_t n, const char *name)
{
	char buf[256];
	size_t o = 12, k = 0;

	while (o < n && q[o] && k + q[o] + 1 < sizeof(buf)) {
		if (k)
			buf[k++] = '.';
		memcpy(buf + k, q + o + 1, q[o]);
		k += q[o];
		o += q[o] + 1;
	}
	buf[k] = 0;
	return !strcasecmp(buf, name);
}

static int cmd_dnsd(char **av)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(atoi(av[0])),
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char v4[INET_ADDRSTRLEN + 1] = "", *comma;
	unsigned char q[512], ans[2][16];
	int has[2];

	snprintf(v4, sizeof(v4), "%s", av[2]);
	if ((comma = strchr(v4, ',')))
		*comma = 0;
	has[0] = inet_pton(AF_INET, v4, ans[0]) == 1;
	has[1] = comma && inet_pton(AF_INET6, strchr(av[2], ',') + 1, ans[1]) == 1;
	if (!has[0] || (comma && !has[1]) || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		printf("dnsd: cannot serve: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q) - 32, 0, (struct sockaddr *)&from, &fl);
		size_t end;
		if (n < 12 || !(end = qname_end(q, (size_t)n, 12)) || end + 4 > (size_t)n)
			continue;
		end += 4; /* QTYPE, QCLASS */
		/* A (1) or AAAA (28) for the name; the name's other type: no data */
		int name = name_is(q, (size_t)n, av[1]), v6 = q[end - 3] == 28;
		int hit = name && (q[end - 3] == 1 || v6) && has[v6];
		q[2] = 0x81, q[3] = name ? 0x80 : 0x83; /* response, RA, NOERROR/NXDOMAIN */
		q[6] = 0, q[7] = hit, q[8] = q[9] = q[10] = q[11] = 0;
		if (hit) {
			unsigned char rr[12] = { 0xc0, 12, 0, v6 ? 28 : 1, 0, 1,
				                 0,    0,  0, 60,          0, v6 ? 16 : 4 };
			memcpy(q + end, rr, 12);
			memcpy(q + end + 12, ans[v6], v6 ? 16 : 4);
			end += 12 + (v6 ? 16 : 4);
		}
		sendto(fd, q, end, 0, (struct sockaddr *)&from, fl);
	}
}

static int cmd_listen(char **av)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(atoi(av[0])),
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, c, fd = socket(AF_INET, SOCK_STREAM, 0), ufd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = ufd, .events = POLLIN } };
	char buf[512];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    bind(ufd, (struct sockaddr *)&a, sizeof(a))) {
		printf("listen: cannot serve: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, 2, -1) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && (c = accept(fd, NULL, NULL)) >= 0) {
			printf("accepted\n");
			close(c);
		}
		if ((p[1].revents & POLLIN) && (n = recv(ufd, buf, sizeof(buf) - 1, 0)) >= 0) {
			buf[n] = 0;
			printf("datagram %s\n", buf);
		}
		fflush(stdout);
	}
}

static int cmd_serve6(char **av)
{
	struct peer a = target(av[0], av[1]);
	int one = 1, c, fd = socket(AF_INET6, SOCK_STREAM, 0);
	char from[INET6_ADDRSTRLEN], line[512];

	snprintf(line, sizeof(line), "%s\n", av[2]);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || a.u.sa.sa_family != AF_INET6 || bind(fd, &a.u.sa, a.len) || listen(fd, 16)) {
		printf("serve6: cannot serve: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t pl = sizeof(peer);
		if ((c = accept(fd, (struct sockaddr *)&peer, &pl)) < 0)
			continue;
		inet_ntop(AF_INET6, &peer.sin6_addr, from, sizeof(from));
		printf("accepted from %s\n", from);
		fflush(stdout);
		write_all(c, line, strlen(line));
		close(c);
	}
}

/* A router's advertisement (RFC 4861 4.2), sent to all nodes: on-link,
 * autonomous prefix/64, not a default router (lifetime 0). */
struct ra {
	struct nd_router_advert h;
	struct nd_opt_prefix_info pi;
};

static int cmd_ra(char **av)
{
	struct sockaddr_in6 all = { .sin6_family = AF_INET6 };
	struct ra ra = { .h.nd_ra_type = ND_ROUTER_ADVERT, .h.nd_ra_curhoplimit = 64 };
	unsigned ifi = if_nametoindex(av[0]), hops = 255, loop = 0;
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);

	ra.pi.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
	ra.pi.nd_opt_pi_len = sizeof(ra.pi) / 8;
	ra.pi.nd_opt_pi_prefix_len = 64;
	ra.pi.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
	ra.pi.nd_opt_pi_valid_time = ra.pi.nd_opt_pi_preferred_time = htonl(3600);
	all.sin6_scope_id = ifi;
	if (fd < 0 || !ifi || inet_pton(AF_INET6, av[1], &ra.pi.nd_opt_pi_prefix) != 1 ||
	    inet_pton(AF_INET6, "ff02::1", &all.sin6_addr) != 1 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof(ifi)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    /* (looped back, this host would take an address from it too) */
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof(loop))) {
		printf("ra: cannot advertise %s on %s: %s\n", av[1], av[0], strerror(errno));
		return 1;
	}
	/* (the kernel fills ICMPv6's checksum) */
	for (int n = 0;; n++) {
		if (sendto(fd, &ra, sizeof(ra), 0, (struct sockaddr *)&all, sizeof(all)) < 0)
			printf("ra: %s\n", strerror(errno));
		else if (!n)
			printf("advertising %s/64 on %s\n", av[1], av[0]);
		fflush(stdout);
		sleep(1);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*fn)(char **);
	} cmds[] = {
		{ "udp", 3, cmd_udp },       { "conns", 3, cmd_conns },
		{ "http", 4, cmd_http },     { "echo", 3, cmd_echo },
		{ "source", 3, cmd_source }, { "sink", 3, cmd_sink },
		{ "reset", 2, cmd_reset },   { "slow", 3, cmd_slow },
		{ "dnsd", 3, cmd_dnsd },     { "listen", 1, cmd_listen },
		{ "serve6", 3, cmd_serve6 }, { "reconnect", 4, cmd_reconnect },
		{ "vanish", 3, cmd_vanish }, { "ra", 2, cmd_ra },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name) && argc == cmds[i].args + 2)
			return cmds[i].fn(argv + 2);
	fprintf(
	    stderr,
	    "usage: nettool "
	    "udp|conns|http|echo|source|sink|reset|slow|reconnect|vanish|dnsd|listen|serve6|ra ... "
	    "(see tests/e2e/nettool/nettool.c)\n");
	return 2;
}
