/*
 * IPv6 beyond the VM, as a Linux program sees it (glibc, binary mode):
 *
 *   prog client NAME PORT   wait for a global address (SLAAC from the
 *                           network's router advertisements), resolve NAME
 *                           (AF_INET6: /etc/hosts's AAAA) and read one
 *                           line from [NAME]:PORT ("got: LINE"); "connect:
 *                           ERROR" when the network refuses
 *   prog serve PORT N       listen on [::]:PORT (dual-stack) and answer N
 *                           HTTP requests with the client's family
 *
 * client first appends "fec0::2 hostside" to /etc/hosts, as an image's
 * entrypoint may, and checks getaddrinfo's answers: "PASS ipv6/name" or
 * "FAIL ipv6/name: why" per check. It prints the interface's addresses
 * as /proc/net/if_inet6 has them ("addr: ...").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUITE "ipv6"
#include "check.h"

/* getaddrinfo's first AF_INET6 answer for name, as text ("" on none). */
static const char *lookup6(const char *name, char *buf, size_t size)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;

	buf[0] = 0;
	if (getaddrinfo(name, NULL, &hints, &ai))
		return buf;
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, buf, size);
	freeaddrinfo(ai);
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

/* Connect to [addr]:port, retrying for up to 20 s while the guest has no
 * route yet (SLAAC's address waits for the router's advertisement and
 * duplicate detection): the fd, or -1 with errno. */
static int dial(const struct in6_addr *addr, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
		                  .sin6_port = htons(port),
		                  .sin6_addr = *addr };
	double end = now() + 20;
	int fd, e;

	for (;;) {
		if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		e = errno;
		close(fd);
		errno = e;
		if ((e != EHOSTUNREACH && e != EADDRNOTAVAIL) || now() > end)
			return -1;
		usleep(100000);
	}
}

static int client(const char *name, int port)
{
	char buf[INET6_ADDRSTRLEN], line[256];
	struct in6_addr addr;
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
	if (inet_pton(AF_INET6, name, &addr) != 1 &&
	    inet_pton(AF_INET6, lookup6(name, buf, sizeof(buf)), &addr) != 1) {
		printf("connect: %s does not resolve to an IPv6 address\n", name);
		return 1;
	}
	if ((fd = dial(&addr, port)) < 0) {
		printf("connect: %s\n", strerror(errno));
		global_address(1);
		return 1;
	}
	check("global-address-listed", global_address(1) == 1,
	      "no global address in /proc/net/if_inet6");
	n = read(fd, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("got: %s\n", line);
	close(fd);
	return failed;
}

static int serve(int port, int count)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
		                  .sin6_port = htons(port),
		                  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0), c;
	char req[1024], body[64], resp[256];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		printf("serve: %s\n", strerror(errno));
		return 1;
	}
	printf("listening on [::]:%d\n", port);
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		struct sockaddr_in6 peer;
		socklen_t pl = sizeof(peer);
		if ((c = accept(fd, (struct sockaddr *)&peer, &pl)) < 0)
			return 1;
		if (read(c, req, sizeof(req)) <= 0) {
			close(c);
			continue;
		}
		snprintf(body, sizeof(body), "from-guest %s\n",
		         IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr) ? "ipv4-mapped" : "ipv6");
		snprintf(resp, sizeof(resp),
		         "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		         strlen(body), body);
		if (write(c, resp, strlen(resp)) < 0)
			printf("serve: write: %s\n", strerror(errno));
		close(c);
		printf("answered %d\n", i + 1);
		fflush(stdout);
	}
	close(fd);
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
