/*
 * IPv6 beyond the VM, as a Linux program sees it (glibc, binary mode):
 *
 *   prog client NAME PORT   resolve NAME (AF_INET6: a number, with a
 *                           scope for a link-local one, "fe80::1%2", or
 *                           /etc/hosts's AAAA), wait for an address to
 *                           reach it from (SLAAC's from the network's
 *                           router advertisements for a global one) and
 *                           read one line from [NAME]:PORT ("got: LINE");
 *                           "connect: ERROR" when the network refuses
 *   prog serve PORT N       print the interface's addresses ("addr: ..."),
 *                           listen on [::]:PORT (dual-stack), TCP and UDP,
 *                           and answer N in all: HTTP requests with the
 *                           client's family, datagrams echoed
 *
 * client first appends "fec0::2 hostside" to /etc/hosts, as an image's
 * entrypoint may, and checks getaddrinfo's answers, and once connected
 * with a global address, a connection to that address of its own with its
 * interface as the scope (Java's habit): "PASS ipv6/name" or
 * "FAIL ipv6/name: why" per check. It prints the interface's addresses
 * as /proc/net/if_inet6 has them ("addr: ...").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUITE "ipv6"
#include "check.h"

/* name's first AF_INET6 address into a, its scope too: 0, or -1. */
static int resolve6(const char *name, struct sockaddr_in6 *a)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;

	if (getaddrinfo(name, NULL, &hints, &ai))
		return -1;
	*a = *(struct sockaddr_in6 *)ai->ai_addr;
	freeaddrinfo(ai);
	return 0;
}

/* name's first AF_INET6 address as text ("" on none). */
static const char *lookup6(const char *name, char *buf, size_t size)
{
	struct sockaddr_in6 a;

	buf[0] = 0;
	if (!resolve6(name, &a))
		inet_ntop(AF_INET6, &a.sin6_addr, buf, size);
	return buf;
}

/* Whether /proc/net/if_inet6 lists a global (scope 00) address; each
 * line printed as "addr: LINE" when print. */
static int global_address(int print)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char line[256], hex[40];
	unsigned scope;
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (print)
			printf("addr: %s", line);
		if (sscanf(line, "%39s %*x %*x %x", hex, &scope) == 2 && scope == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Connect to a, retrying for up to 20 s while the guest has no route
 * yet (SLAAC's address waits for the router's advertisement and duplicate
 * detection): the fd, or -1 with errno. */
static int dial(const struct sockaddr_in6 *a)
{
	double end = now() + 20;
	int fd, e;

	for (;;) {
		if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) < 0)
			return -1;
		if (!connect(fd, (const struct sockaddr *)a, sizeof(*a)))
			return fd;
		e = errno;
		close(fd);
		errno = e;
		if ((e != EHOSTUNREACH && e != EADDRNOTAVAIL) || now() > end)
			return -1;
		usleep(100000);
	}
}

/* A connection to our own global address with its interface's index as
 * the scope, as Java's NetworkInterface gives every address (Tomcat
 * wakes its acceptor so at shutdown): Linux ignores the scope of an
 * address that is not link-local and loops the connection back; uk sent
 * it out of eth0, where nothing answered. */
static void self_global(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any };
	socklen_t len = sizeof(a);
	char line[256], hex[40];
	unsigned scope, index, byte;
	int found = 0, l = socket(AF_INET6, SOCK_STREAM, 0), c = -1, ok = 0;
	struct pollfd p;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%32s %x %*x %x", hex, &index, &scope) == 3 && scope == 0;
	if (f)
		fclose(f);
	if (found && l >= 0 && !bind(l, (struct sockaddr *)&a, sizeof(a)) && !listen(l, 1) &&
	    !getsockname(l, (struct sockaddr *)&a, &len)) {
		for (int i = 0; i < 16; i++) {
			sscanf(hex + 2 * i, "%2x", &byte);
			a.sin6_addr.s6_addr[i] = (unsigned char)byte;
		}
		a.sin6_scope_id = index;
		c = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
		p = (struct pollfd){ .fd = c, .events = POLLOUT };
		if (c >= 0 &&
		    (!connect(c, (struct sockaddr *)&a, sizeof(a)) || errno == EINPROGRESS))
			ok = poll(&p, 1, 5000) == 1 && !(p.revents & (POLLERR | POLLHUP));
	}
	check("self-global-scoped", found && ok,
	      "no connection to our own global address with its interface as the scope in 5 s");
	close(c);
	close(l);
}

static int client(const char *name, int port)
{
	char buf[INET6_ADDRSTRLEN], line[256];
	struct sockaddr_in6 a;
	FILE *hosts = fopen("/etc/hosts", "a");
	ssize_t n;
	int fd;

	check("hosts-writable", hosts != NULL, "cannot append to /etc/hosts");
	if (hosts) {
		fputs("fec0::2\thostside\n", hosts);
		fclose(hosts);
	}
	check("aaaa-localhost", !strcmp(lookup6("ip6-localhost", buf, sizeof(buf)), "::1"), buf);
	check("aaaa-from-hosts", !strcmp(lookup6("hostside", buf, sizeof(buf)), "fec0::2"), buf);
	if (resolve6(name, &a)) {
		printf("connect: %s does not resolve to an IPv6 address\n", name);
		return 1;
	}
	a.sin6_port = htons(port);
	if ((fd = dial(&a)) < 0) {
		printf("connect: %s\n", strerror(errno));
		global_address(1);
		return 1;
	}
	/* (a link-local peer is reached from the link-local address) */
	check("global-address-listed",
	      global_address(1) == 1 || IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr),
	      "no global address in /proc/net/if_inet6");
	if (global_address(0) == 1)
		self_global();
	n = read(fd, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("got: %s\n", line);
	close(fd);
	return failed;
}

/* A socket of type on [::]:port (dual-stack), or -1 (said why). */
static int open_any(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
		                  .sin6_port = htons(port),
		                  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, fd = socket(AF_INET6, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		printf("serve: %s\n", strerror(errno));
		return -1;
	}
	return fd;
}

/* One HTTP request on a connection from lfd, answered with the client's
 * family: 1 when answered. */
static int answer_http(int lfd)
{
	struct sockaddr_in6 peer;
	socklen_t pl = sizeof(peer);
	char req[1024], body[64], resp[256];
	int c = accept(lfd, (struct sockaddr *)&peer, &pl), ok = 0;

	if (c < 0)
		return 0;
	if (read(c, req, sizeof(req)) > 0) {
		snprintf(body, sizeof(body), "from-guest %s\n",
		         IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr) ? "ipv4-mapped" : "ipv6");
		snprintf(resp, sizeof(resp),
		         "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		         strlen(body), body);
		if (!(ok = write(c, resp, strlen(resp)) > 0))
			printf("serve: write: %s\n", strerror(errno));
	}
	close(c);
	return ok;
}

/* One datagram on ufd, sent back where it came from: 1 when echoed. */
static int echo_udp(int ufd)
{
	struct sockaddr_in6 peer;
	socklen_t pl = sizeof(peer);
	char buf[2048];
	ssize_t n = recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);

	if (n < 0)
		return 0;
	if (sendto(ufd, buf, (size_t)n, 0, (struct sockaddr *)&peer, pl) != n) {
		printf("serve: sendto: %s\n", strerror(errno));
		return 0;
	}
	return 1;
}

static int serve(int port, int count)
{
	struct pollfd p[2] = { { .fd = open_any(SOCK_STREAM, port), .events = POLLIN },
		               { .fd = open_any(SOCK_DGRAM, port), .events = POLLIN } };
	int done = 0;

	if (p[0].fd < 0 || p[1].fd < 0)
		return 1;
	global_address(1);
	printf("listening on [::]:%d\n", port);
	while (done < count) {
		if (poll(p, 2, -1) < 0)
			return 1;
		if ((p[0].revents & POLLIN) && answer_http(p[0].fd))
			printf("answered %d (tcp)\n", ++done);
		if ((p[1].revents & POLLIN) && echo_udp(p[1].fd))
			printf("answered %d (udp)\n", ++done);
	}
	close(p[0].fd);
	close(p[1].fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: prog client NAME PORT | serve PORT N\n");
	return 2;
}
