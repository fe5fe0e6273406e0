/*
 * Names and addresses of both families as glibc answers them: inet_pton
 * and inet_ntop for IPv6, getaddrinfo for AF_INET6 and AF_UNSPEC (numbers,
 * scopes, no node, AI_V4MAPPED, the order of the answers), getnameinfo;
 * then a dual-stack server found through getaddrinfo, reached through
 * "::1" and "127.0.0.1". Linked with uk, and built as a Linux program
 * with glibc (tests/e2e/guest/net.sh runs both: the checks hold on
 * Linux too). The guest's /etc/hosts is the library OS's (localhost for
 * both families); the host's may differ, so those checks are uk's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;

#define PORT 5020

/* inet_pton(AF_INET6, in) formatted back by inet_ntop is want ("" for an
 * address inet_pton refuses). */
static int round_trip(const char *in, const char *want)
{
	struct in6_addr a;
	char out[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, in, &a) != 1)
		return !*want;
	return inet_ntop(AF_INET6, &a, out, sizeof(out)) && !strcmp(out, want);
}

static void text_checks(void)
{
	static const char *const v[][2] = {
		{ "::", "::" },
		{ "::1", "::1" },
		{ "1::", "1::" },
		{ "FE80::0:0:0:1", "fe80::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" }, /* the first of two runs */
		{ "2001:0db8:0:1:0:0:0:1", "2001:db8:0:1::1" },  /* the longer run */
		{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },        /* one zero: no "::" */
		{ "::ffff:10.1.2.3", "::ffff:10.1.2.3" },
		{ "::10.1.2.3", "::10.1.2.3" },
		{ "::ffff:0:1", "::ffff:0.0.0.1" },
		{ "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304" },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
		{ "1:2:3:4:5:6:7::8", "" }, /* "::" for no group */
		{ "1:2:3:4:5:6:7:8:9", "" },
		{ ":1::2", "" },
		{ "1::2::3", "" },
		{ "12345::", "" },
		{ "1:", "" },
		{ "::1.2.3", "" },
		{ "::01.2.3.4", "" },
		{ "fe80::1%1", "" },
		{ "g::", "" },
	};
	char name[64], buf[INET6_ADDRSTRLEN];
	struct in6_addr a;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "names6/text/%s", v[i][0]);
		CHECK(name, round_trip(v[i][0], v[i][1]), "not '%s'", v[i][1]);
	}
	inet_pton(AF_INET6, "::1", &a);
	CHECK("names6/ntop-too-small", !inet_ntop(AF_INET6, &a, buf, 3) && errno == ENOSPC,
	      "a 3-byte buffer taken");
	CHECK("names6/pton-bad-family", inet_pton(12345, "::1", &a) == -1 && errno == EAFNOSUPPORT,
	      "family 12345 taken");
}

/* getaddrinfo's answers for node as "family address[%scope]" lines in
 * out (one per address: SOCK_STREAM only); 0, or the EAI code. */
static int answers(const char *node, int family, int flags, char *out, size_t size)
{
	struct addrinfo hints = { .ai_family = family,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_flags = flags },
	                *ai, *p;
	char host[NI_MAXHOST];
	size_t n = 0;
	int r = getaddrinfo(node, "80", &hints, &ai);

	out[0] = 0;
	if (r)
		return r;
	for (p = ai; p && n < size; p = p->ai_next) {
		getnameinfo(p->ai_addr, p->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		n += (size_t)snprintf(out + n, size - n, "%s%s %s", n ? ", " : "",
		                      p->ai_family == AF_INET6 ? "6" : "4", host);
	}
	freeaddrinfo(ai);
	return 0;
}

static void lookup(const char *name, const char *node, int family, int flags, const char *want)
{
	char got[256];
	int r = answers(node, family, flags, got, sizeof(got));

	if (r)
		snprintf(got, sizeof(got), "error %d", r);
	CHECK(name, !strcmp(got, want), "'%s', not '%s'", got, want);
}

static void lookup_checks(void)
{
	char err[32];

	lookup("names6/numeric-v6", "::1", AF_UNSPEC, 0, "6 ::1");
	lookup("names6/numeric-v6-as-inet6", "2001:db8::1", AF_INET6, 0, "6 2001:db8::1");
	lookup("names6/numeric-v4-unspec", "127.0.0.1", AF_UNSPEC, 0, "4 127.0.0.1");
	lookup("names6/numeric-scope", "fe80::1%1", AF_INET6, AI_NUMERICHOST, "6 fe80::1%lo");
	lookup("names6/numeric-global-scope", "fd00::1%2", AF_INET6, 0, "6 fd00::1%2");
	lookup("names6/numeric-ipv4-mapped", "::ffff:1.2.3.4", AF_UNSPEC, 0, "6 ::ffff:1.2.3.4");
	snprintf(err, sizeof(err), "error %d", EAI_ADDRFAMILY);
	lookup("names6/v4-number-as-inet6", "127.0.0.1", AF_INET6, 0, err);
	lookup("names6/v6-number-as-inet", "::1", AF_INET, 0, err);
	lookup("names6/v4-number-mapped", "127.0.0.1", AF_INET6, AI_V4MAPPED, "6 ::ffff:127.0.0.1");
	snprintf(err, sizeof(err), "error %d", EAI_NONAME);
	lookup("names6/numerichost-refuses-name", "localhost", AF_UNSPEC, AI_NUMERICHOST, err);
	lookup("names6/bad-scope", "fe80::1%nosuchif", AF_INET6, 0, err);
	/* No node: IPv6's wildcard sorts after IPv4's (RFC 6724's precedence
	 * of ::/96 is below IPv4's), ::1 before 127.0.0.1. */
	lookup("names6/passive-unspec", NULL, AF_UNSPEC, AI_PASSIVE, "4 0.0.0.0, 6 ::");
	lookup("names6/passive-inet6", NULL, AF_INET6, AI_PASSIVE, "6 ::");
	lookup("names6/loopback-unspec", NULL, AF_UNSPEC, 0, "6 ::1, 4 127.0.0.1");
#ifdef __uk__
	/* /etc/hosts: 127.0.0.1 and ::1 both name localhost */
	lookup("names6/localhost-unspec", "localhost", AF_UNSPEC, 0, "6 ::1, 4 127.0.0.1");
	lookup("names6/localhost-inet6", "localhost", AF_INET6, 0, "6 ::1");
	lookup("names6/localhost-inet", "localhost", AF_INET, 0, "4 127.0.0.1");
	lookup("names6/ip6-localhost", "ip6-localhost", AF_UNSPEC, 0, "6 ::1");
	lookup("names6/localhost-mapped-all", "localhost", AF_INET6, AI_V4MAPPED | AI_ALL,
	       "6 ::1, 6 ::ffff:127.0.0.1");
#endif
}

static void nameinfo_checks(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(8080) };
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	inet_pton(AF_INET6, "2001:db8::2", &a.sin6_addr);
	CHECK("names6/nameinfo",
	      !getnameinfo((struct sockaddr *)&a, sizeof(a), host, sizeof(host), serv, sizeof(serv),
	                   NI_NUMERICHOST | NI_NUMERICSERV) &&
	          !strcmp(host, "2001:db8::2") && !strcmp(serv, "8080"),
	      "'%s' '%s'", host, serv);
	CHECK("names6/nameinfo-short-sockaddr",
	      getnameinfo((struct sockaddr *)&a, sizeof(struct sockaddr_in), host, sizeof(host),
	                  NULL, 0, NI_NUMERICHOST) == EAI_FAMILY,
	      "a sockaddr_in's length taken for AF_INET6");
	CHECK("names6/nameinfo-overflow",
	      getnameinfo((struct sockaddr *)&a, sizeof(a), host, 4, NULL, 0, NI_NUMERICHOST) ==
	          EAI_OVERFLOW,
	      "a 4-byte host buffer taken");
}

/* A socket of type to getaddrinfo's first answer for node (passive
 * without one), connected or bound and listening: the fd, or -1. */
static int open_first(const char *node, int family, int listening)
{
	struct addrinfo hints = { .ai_family = family,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_flags = listening ? AI_PASSIVE : 0 },
	                *ai;
	int fd = -1, one = 1;

	if (getaddrinfo(node, "5020", &hints, &ai))
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd >= 0 && (listening ? bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 4)
	                          : connect(fd, ai->ai_addr, ai->ai_addrlen))) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* The server on [::] (getaddrinfo's AF_INET6 passive answer) takes a
 * client through node; the peer it sees, numeric. */
static void dual_stack(int l, const char *node, const char *peer)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	char name[64], host[NI_MAXHOST] = "";
	int c = open_first(node, AF_UNSPEC, 0), s = -1;

	if (c >= 0 && (s = accept(l, (struct sockaddr *)&a, &len)) >= 0)
		getnameinfo((struct sockaddr *)&a, len, host, sizeof(host), NULL, 0,
		            NI_NUMERICHOST);
	snprintf(name, sizeof(name), "names6/dual-stack-via-%s", node);
	CHECK(name, c >= 0 && s >= 0 && !strcmp(host, peer), "connect %d accept %d peer '%s'", c, s,
	      host);
	close(c);
	close(s);
}

int main(void)
{
	int l;

	setvbuf(stdout, NULL, _IOLBF, 0);
	text_checks();
	lookup_checks();
	nameinfo_checks();
	l = open_first(NULL, AF_INET6, 1);
	CHECK("names6/listen-on-any6", l >= 0, "no listener on [::]:%d", PORT);
	dual_stack(l, "::1", "::1");
	dual_stack(l, "127.0.0.1", "::ffff:127.0.0.1");
	close(l);
	return check_totals("names6");
}
