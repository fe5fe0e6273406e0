/*
 * The socket API over loopback (no network device needed): readiness
 * through poll and epoll, non-blocking connect and accept, options,
 * names, shutdown, timeouts, UDP, errors. One "PASS NAME" or "FAIL NAME: why"
 * line per check (check.h); the exit status is the number of failures.
 */
#define _GNU_SOURCE /* accept4, on the host */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;

/* A check with its condition as the message. */
#define API_CHECK(name, cond) CHECK(name, cond, "%s", #cond)

static struct sockaddr_in loop(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int listener(int port)
{
	struct sockaddr_in a = loop(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16))
		return -1;
	return fd;
}

static void tcp_checks(void)
{
	int l = listener(5001), c, s, err = -1, one = 1, v = 0, n = 0, ep;
	struct sockaddr_in a = loop(5001), name;
	socklen_t len = sizeof(err);
	struct pollfd p;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	char buf[64];

	API_CHECK("tcp/listen", l >= 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	API_CHECK("tcp/nonblocking-connect-in-progress",
	          connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	p = (struct pollfd){ c, POLLOUT, 0 };
	API_CHECK("tcp/poll-connected", poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
	API_CHECK("tcp/so-error-clear",
	          !getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) && err == 0);
	ep = epoll_create1(0);
	ev.data.fd = l;
	API_CHECK("tcp/epoll-listener", !epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) &&
	                                    epoll_wait(ep, &out, 1, 5000) == 1 && out.data.fd == l);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	API_CHECK("tcp/accept4", s >= 0 && (fcntl(s, F_GETFD) & FD_CLOEXEC));
	len = sizeof(name);
	API_CHECK("tcp/getpeername", !getpeername(s, (struct sockaddr *)&name, &len) &&
	                                 name.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	len = sizeof(name);
	API_CHECK("tcp/getsockname",
	          !getsockname(s, (struct sockaddr *)&name, &len) && ntohs(name.sin_port) == 5001);
	API_CHECK("tcp/nodelay",
	          !setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) &&
	              (len = sizeof(v), !getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len)) &&
	              v == 1);
	API_CHECK("tcp/keepalive", !setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	API_CHECK("tcp/nonblocking-read-empty",
	          recv(c, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	API_CHECK("tcp/send", send(s, "hello", 5, 0) == 5);
	API_CHECK("tcp/epoll-readable", epoll_wait(ep, &out, 1, 5000) == 1 && out.data.fd == c);
	API_CHECK("tcp/fionread", !ioctl(c, FIONREAD, &n) && n == 5);
	API_CHECK("tcp/peek", recv(c, buf, sizeof(buf), MSG_PEEK) == 5 && !memcmp(buf, "hello", 5));
	API_CHECK("tcp/recv", recv(c, buf, sizeof(buf), 0) == 5);
	/* TCP_CORK (nginx's tcp_nopush): held while corked, sent by uncorking. */
	API_CHECK("tcp/cork",
	          !setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) &&
	              (len = sizeof(v), !getsockopt(s, IPPROTO_TCP, TCP_CORK, &v, &len)) && v == 1);
	API_CHECK("tcp/corked-sends", send(s, "head", 4, 0) == 4 && send(s, "body", 4, 0) == 4);
	v = 0;
	API_CHECK("tcp/uncork",
	          !setsockopt(s, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) &&
	              (len = sizeof(v), !getsockopt(s, IPPROTO_TCP, TCP_CORK, &v, &len)) && v == 0);
	for (n = 0; n < 8;) {
		p = (struct pollfd){ c, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1 || (v = (int)recv(c, buf + n, sizeof(buf) - n, 0)) <= 0)
			break;
		n += v;
	}
	API_CHECK("tcp/uncorked-arrives", n == 8 && !memcmp(buf, "headbody", 8));
	API_CHECK("tcp/shutdown-write", !shutdown(s, SHUT_WR));
	p = (struct pollfd){ c, POLLIN, 0 };
	API_CHECK("tcp/eof-readable", poll(&p, 1, 5000) == 1 && read(c, buf, sizeof(buf)) == 0);
	API_CHECK("tcp/half-closed-still-sends",
	          write(c, "back", 4) == 4 && read(s, buf, sizeof(buf)) == 4);
	close(c);
	close(s);
	close(ep);
	close(l);
}

static void error_checks(void)
{
	struct sockaddr_in a = loop(5999);
	struct timeval tv = { 0, 200000 };
	int c = socket(AF_INET, SOCK_STREAM, 0), l, s;
	char buf[8];

	API_CHECK("err/connection-refused",
	          connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED);
	close(c);
	API_CHECK("err/family-unsupported", socket(AF_PACKET, SOCK_RAW, 0) < 0);
	API_CHECK("err/not-a-socket", listen(1, 1) < 0 && errno == ENOTSOCK);
	API_CHECK("err/bad-fd", listen(999, 1) < 0 && errno == EBADF);
	l = listener(5002);
	c = socket(AF_INET, SOCK_STREAM, 0);
	a = loop(5002);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	s = accept(l, NULL, NULL);
	API_CHECK("err/rcvtimeo", !setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	                              recv(c, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
	API_CHECK("err/addr-in-use", listener(5002) < 0 && errno == EADDRINUSE);
	close(s);
	API_CHECK("err/peer-closed-read-eof", read(c, buf, sizeof(buf)) == 0);
	close(c);
	close(l);
}

static void udp_checks(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loop(5003), from;
	socklen_t len = sizeof(from);
	struct pollfd p = { u, POLLIN, 0 };
	char buf[16];

	API_CHECK("udp/bind", !bind(u, (struct sockaddr *)&a, sizeof(a)));
	API_CHECK("udp/sendto", sendto(v, "datagram", 8, 0, (struct sockaddr *)&a, sizeof(a)) == 8);
	API_CHECK("udp/poll-readable", poll(&p, 1, 5000) == 1);
	API_CHECK("udp/recvfrom",
	          recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) == 8 &&
	              from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	API_CHECK("udp/truncated",
	          sendto(v, "0123456789", 10, 0, (struct sockaddr *)&a, sizeof(a)) == 10 &&
	              recv(u, buf, 4, MSG_TRUNC) == 10);
	API_CHECK("udp/connected-send", !connect(v, (struct sockaddr *)&a, sizeof(a)) &&
	                                    send(v, "x", 1, 0) == 1 &&
	                                    recv(u, buf, sizeof(buf), 0) == 1);
	close(u);
	close(v);
}

static void name_checks(void)
{
	struct addrinfo *ai,
	    hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	char host[32];
	struct in_addr in;

	API_CHECK("names/numeric", !getaddrinfo("127.0.0.1", "80", &hints, &ai) &&
	                               ((struct sockaddr_in *)ai->ai_addr)->sin_port == htons(80));
	freeaddrinfo(ai);
	API_CHECK("names/localhost", !getaddrinfo("localhost", "http", &hints, &ai));
	freeaddrinfo(ai);
	API_CHECK("names/passive-any",
	          !getaddrinfo(NULL, "8080", &hints, &ai) &&
	              ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr == 0);
	freeaddrinfo(ai);
	API_CHECK("names/inet",
	          inet_pton(AF_INET, "10.1.2.3", &in) == 1 &&
	              !strcmp(inet_ntop(AF_INET, &in, host, sizeof(host)), "10.1.2.3"));
	API_CHECK("names/inet-bad", inet_pton(AF_INET, "10.1.2", &in) == 0);
}

/* Interfaces by name and index, as netlink and the ioctls name them (no
 * network device here: lo alone). */
static void if_checks(void)
{
	struct if_nameindex *v = if_nameindex();
	char name[IF_NAMESIZE];

	API_CHECK("if/lo-index", if_nametoindex("lo") == 1);
	API_CHECK("if/lo-name", if_indextoname(1, name) && !strcmp(name, "lo"));
	API_CHECK("if/no-eth0", if_nametoindex("eth0") == 0 && errno == ENODEV);
	API_CHECK("if/no-index-2", !if_indextoname(2, name) && errno == ENXIO);
	API_CHECK("if/list-lo-alone", v && v[0].if_index == 1 && !strcmp(v[0].if_name, "lo") &&
	                                  v[1].if_index == 0 && !v[1].if_name);
	if_freenameindex(v);
}

static struct sockaddr_in6 loop6(const struct in6_addr *addr, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	a.sin6_addr = *addr;
	return a;
}

/* A TCP connection from fd to a, accepted on l: the accepted socket. */
static int connect_accept(int l, int fd, const void *a, socklen_t alen)
{
	if (connect(fd, a, alen))
		return -1;
	return accept(l, NULL, NULL);
}

/* IPv6: ::1, dual-stack listeners (IPv4 peers as ::ffff:a.b.c.d),
 * IPV6_V6ONLY, UDP. */
/* A fresh IPv6 datagram socket that binds or connects to a (first), then
 * connects to b of the other family: refused with EAFNOSUPPORT. */
static int mix_refused(int (*first)(int, const struct sockaddr *, socklen_t), const void *a,
                       socklen_t alen, const void *b, socklen_t blen)
{
	int c = socket(AF_INET6, SOCK_DGRAM, 0);
	int r = !first(c, a, alen) && connect(c, b, blen) == -1 && errno == EAFNOSUPPORT;
	int e = errno;

	close(c);
	errno = e; /* for the check's message */
	return r;
}

static void ipv6_checks(void)
{
	static const unsigned char mapped_loop[16] = {
		[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1
	};
	struct sockaddr_in6 any = loop6(&in6addr_any, 5010), lo = loop6(&in6addr_loopback, 5010),
	                    name;
	struct sockaddr_in v4 = loop(5010);
	int l = socket(AF_INET6, SOCK_STREAM, 0), c, s, v = -1, one = 1;
	socklen_t len = sizeof(v);
	char buf[8];

	API_CHECK("ipv6/socket", l >= 0);
	API_CHECK("ipv6/v6only-default-off",
	          !getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) && v == 0);
	API_CHECK("ipv6/listen-any",
	          !bind(l, (struct sockaddr *)&any, sizeof(any)) && !listen(l, 8));
	len = sizeof(name);
	API_CHECK("ipv6/getsockname-any", !getsockname(l, (struct sockaddr *)&name, &len) &&
	                                      len == sizeof(name) && name.sin6_family == AF_INET6 &&
	                                      !memcmp(&name.sin6_addr, &in6addr_any, 16) &&
	                                      ntohs(name.sin6_port) == 5010);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	s = connect_accept(l, c, &lo, sizeof(lo));
	API_CHECK("ipv6/loopback-connect", s >= 0);
	len = sizeof(name);
	API_CHECK("ipv6/peer-is-loopback", !getpeername(s, (struct sockaddr *)&name, &len) &&
	                                       !memcmp(&name.sin6_addr, &in6addr_loopback, 16));
	API_CHECK("ipv6/transfer", write(c, "six", 3) == 3 && read(s, buf, sizeof(buf)) == 3);
	close(c);
	close(s);
	c = socket(AF_INET, SOCK_STREAM, 0);
	s = connect_accept(l, c, &v4, sizeof(v4));
	API_CHECK("ipv6/dual-stack-takes-ipv4", s >= 0);
	len = sizeof(name);
	API_CHECK("ipv6/ipv4-peer-mapped", !getpeername(s, (struct sockaddr *)&name, &len) &&
	                                       name.sin6_family == AF_INET6 &&
	                                       !memcmp(&name.sin6_addr, mapped_loop, 16));
	API_CHECK("ipv6/ipv4-transfer", write(s, "four", 4) == 4 && read(c, buf, sizeof(buf)) == 4);
	close(c);
	close(s);
	close(l);

	l = socket(AF_INET6, SOCK_STREAM, 0);
	any.sin6_port = lo.sin6_port = v4.sin_port = htons(5011);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	API_CHECK("ipv6/v6only", !setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) &&
	                             !bind(l, (struct sockaddr *)&any, sizeof(any)) &&
	                             !listen(l, 8));
	c = socket(AF_INET, SOCK_STREAM, 0);
	API_CHECK("ipv6/v6only-refuses-ipv4",
	          connect(c, (struct sockaddr *)&v4, sizeof(v4)) == -1 && errno == ECONNREFUSED);
	close(c);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	s = connect_accept(l, c, &lo, sizeof(lo));
	API_CHECK("ipv6/v6only-takes-ipv6", s >= 0);
	close(c);
	close(s);
	close(l);

	l = socket(AF_INET6, SOCK_DGRAM, 0);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	lo.sin6_port = htons(5012);
	len = sizeof(name);
	API_CHECK("ipv6/udp",
	          !bind(l, (struct sockaddr *)&lo, sizeof(lo)) &&
	              sendto(c, "dgram", 5, 0, (struct sockaddr *)&lo, sizeof(lo)) == 5 &&
	              recvfrom(l, buf, sizeof(buf), 0, (struct sockaddr *)&name, &len) == 5 &&
	              len == sizeof(name) && !memcmp(&name.sin6_addr, &in6addr_loopback, 16));
	close(c);
	close(l);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	API_CHECK("ipv6/ipv4-address-refused", /* as Linux: too short for a sockaddr_in6 */
	          connect(c, (struct sockaddr *)&v4, sizeof(v4)) == -1 && errno == EINVAL);
	close(c);

	/* A datagram socket takes an IPv4 peer, as Linux's (glibc's
	 * getaddrinfo connects one to each answer to sort them), and names
	 * itself as ::ffff:a.b.c.d; not with IPV6_V6ONLY. */
	l = socket(AF_INET, SOCK_DGRAM, 0);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	v4 = loop(5013);
	len = sizeof(name);
	API_CHECK("ipv6/udp-ipv4-peer", !bind(l, (struct sockaddr *)&v4, sizeof(v4)) &&
	                                    !connect(c, (struct sockaddr *)&v4, sizeof(v4)) &&
	                                    send(c, "d", 1, 0) == 1 &&
	                                    recv(l, buf, sizeof(buf), 0) == 1);
	API_CHECK("ipv6/udp-ipv4-peer-source", /* what getaddrinfo sorts by */
	          !getsockname(c, (struct sockaddr *)&name, &len) && name.sin6_family == AF_INET6 &&
	              IN6_IS_ADDR_V4MAPPED(&name.sin6_addr) && name.sin6_addr.s6_addr[12] == 127);
	close(c);
	/* glibc's getaddrinfo sorting the answers of a passive lookup (:: and
	 * 0.0.0.0, port 0) on one socket: it asserts the second source is
	 * mapped (apache2 aborted; 0.0.0.0 port 0 was taken for AF_UNSPEC) */
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	any.sin6_port = htons(0);
	v4 = loop(0);
	v4.sin_addr.s_addr = htonl(INADDR_ANY);
	len = sizeof(name);
	API_CHECK("ipv6/udp-any-then-ipv4-any",
	          (connect(c, (struct sockaddr *)&any, sizeof(any)),
	           connect(c, (struct sockaddr *)&(struct sockaddr){ .sa_family = AF_UNSPEC },
	                   sizeof(struct sockaddr)),
	           !connect(c, (struct sockaddr *)&v4, sizeof(v4))) &&
	              !getsockname(c, (struct sockaddr *)&name, &len) &&
	              IN6_IS_ADDR_V4MAPPED(&name.sin6_addr));
	close(c);
	v4 = loop(5013);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	API_CHECK("ipv6/udp-ipv4-peer-v6only",
	          !setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) &&
	              connect(c, (struct sockaddr *)&v4, sizeof(v4)) == -1 &&
	              errno == EAFNOSUPPORT);
	API_CHECK("ipv6/udp-ipv4-sendto-v6only", /* Linux: no route, not no family */
	          sendto(c, "d", 1, 0, (struct sockaddr *)&v4, sizeof(v4)) == -1 &&
	              errno == ENETUNREACH);
	close(c);
	/* Families do not mix once one is chosen, as on Linux: bound to ::1, no
	 * IPv4 peer; connected to an IPv4 peer, no IPv6 one. */
	lo.sin6_port = htons(0);
	API_CHECK("ipv6/udp-bound-v6-refuses-ipv4",
	          mix_refused(bind, &lo, sizeof(lo), &v4, sizeof(v4)));
	lo.sin6_port = htons(5012);
	API_CHECK("ipv6/udp-ipv4-peer-refuses-ipv6",
	          mix_refused(connect, &v4, sizeof(v4), &lo, sizeof(lo)));
	close(l);
}

/* glibc's resolver sets IP_RECVERR on every query's socket and gives up
 * when it fails; the error queue of a socket without errors is empty. */
static void recverr_checks(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int one = 1, v = 0;
	socklen_t len = sizeof(v);
	char buf[16];
	struct iovec io = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1 };

	API_CHECK("udp/ip-recverr", !setsockopt(u, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) &&
	                                !getsockopt(u, IPPROTO_IP, IP_RECVERR, &v, &len) && v == 1);
	API_CHECK("udp/ipv6-recverr",
	          !setsockopt(u6, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)));
	API_CHECK("udp/errqueue-empty",
	          recvmsg(u, &m, MSG_ERRQUEUE | MSG_DONTWAIT) == -1 && errno == EAGAIN);
	close(u);
	close(u6);
}

int main(void)
{
	tcp_checks();
	error_checks();
	udp_checks();
	name_checks();
	if_checks();
	ipv6_checks();
	recverr_checks();
	printf("%d failures\n", failures);
	return failures;
}
