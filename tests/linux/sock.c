/*
 * Sockets as a Linux program sees them, checked against Linux's answers
 * (the same program runs as a process here). TCP over loopback:
 *
 *   lingering   a server shuts its sending side down and reads on while
 *               its connection, closed by the peer too, sits in TIME-WAIT;
 *               then more than a thousand newer connections end in
 *               TIME-WAIT (uk keeps 1024 and frees the oldest): the
 *               socket has no peer (ENOTCONN), still reads what came,
 *               then EOF, and a send fails with EPIPE (apache's lingering
 *               close under wrk used the freed connection)
 *   unaccepted  a listener closed before accepting a connection resets
 *               it (the client reads ECONNRESET) and leaves the port free
 *               for a new listener
 *   defer       TCP_DEFER_ACCEPT on a listener: set, read back as Linux
 *               rounds it, and a client that sends is accepted
 *   reuseport   SO_REUSEPORT, as servers set it before bind: accepted, read
 *               back, and the socket binds, listens and serves; two more
 *               listeners with it on the same port share the connections
 *               (each gets some of 48), one without it is refused
 *               (EADDRINUSE), and the last serves on alone once the
 *               others are closed; a UDP socket takes it too
 *   bulk        a writer sends 256 MiB and closes while a reader thread
 *               drains: EOF comes within 1 s of the close (Linux: a few
 *               ms; uk took 1.5-3 s when the FIN met a full window: the
 *               receiver dropped it and the sender resent it only on its
 *               retransmission timer, lwip-port/hooks.c)
 *   unspecified a connection (and UDP) to 0.0.0.0 reaches a listener on 127.0.0.1,
 *               and its peer is 127.0.0.1, as Linux routes it (etcd's
 *               HTTP gateway dials its own 0.0.0.0:2379; uk timed out)
 *   room        a nonblocking writer fills its buffers (EAGAIN, not
 *               writable); once the peer reads, epoll's edge-triggered
 *               EPOLLOUT and poll's POLLOUT say there is room (uk wakes a
 *               socket's waiters on an ACK only after a writer or a poll
 *               found no room, as Linux does past SOCK_NOSPACE); a send
 *               of nothing returns 0, blocking, and with the buffers full
 *               (php's built-in server ends a file with one: uk's EAGAIN
 *               left it retrying for ever)
 *
 * AF_UNIX:
 *
 *   backlog     listen(fd, -1) is the largest backlog (php-fpm's default):
 *               100 non-blocking connects all wait for their accept
 *   normbits    poll for POLLWRNORM alone on a non-blocking connect to a
 *               listener (varnish's wait for its backend), then for
 *               POLLRDNORM alone once data came: both are answered
 *   bindtodev   getsockopt(SO_BINDTODEVICE) of a socket bound to no
 *               device: an empty name (length 0), whatever the buffer's
 *               size (sshd asks it of every connection)
 *
 * UDP:
 *
 *   pmtu        IP_MTU_DISCOVER: the default, OMIT, a bad value
 *   pktinfo     IP_PKTINFO and IPV6_RECVPKTINFO: off by default, set and
 *               read back; recvmsg then says where each datagram was sent
 *               and the interface (lo's index): IP_PKTINFO of an AF_INET
 *               socket, IPV6_PKTINFO (a mapped address for IPv4) then
 *               IP_PKTINFO of an AF_INET6 one bound to ::, IPV6_PKTINFO
 *               alone for ::1; nothing unasked; IPV6_RECVPKTINFO of an
 *               AF_INET socket is ENOPROTOOPT (dnsmasq, bound to the
 *               wildcard, would not start without IP_PKTINFO)
 *   refused     a connected socket's datagram to a port of 127.0.0.1 where
 *               no socket is: POLLERR, then ECONNREFUSED once from recv,
 *               and from the next send after another; an unconnected
 *               socket hears nothing (glibc's resolver with no name
 *               server at 127.0.0.1 waited 5 s a try: postfix's smtpd
 *               took 10 s a connection)
 *
 * The interfaces through ioctl (squid's look-up of each client's MAC
 * address logged "Attempt to retrieve interface list failed" at each
 * request):
 *
 *   ifconf      SIOCGIFCONF: the length needed, then the list (lo with
 *               127.0.0.1, names if_nametoindex knows, each up with the
 *               address SIOCGIFADDR gives and an MTU), whole entries
 *               only; lo's flags, netmask and hardware type (Java's
 *               NetworkInterface asks them all, and threw on the first);
 *               ENODEV for another name; SIOCGARP: ENODEV without a
 *               device or with an unknown one, ENXIO for lo (no ARP)
 *
 * AF_NETLINK (NETLINK_ROUTE: unbound listed the interfaces at start
 * with getifaddrs and ended on EAFNOSUPPORT):
 *
 *   ifaddrs     getifaddrs: lo up and loopback with 127.0.0.1/8 and a
 *               link entry; every interface's IPv4 address can be bound;
 *               if_nameindex and if_nametoindex agree with it
 *   rtnetlink   RTM_GETLINK of lo's index by hand: one RTM_NEWLINK naming
 *               it; MSG_PEEK|MSG_TRUNC tells the answer's length first;
 *               getsockname's family; an RTM_GETADDR dump ends in
 *               NLMSG_DONE, a message of the socket's own port; an
 *               RTM_GETROUTE dump is routes, then NLMSG_DONE ("routes":
 *               the main table printed, for proc.sh's check of uk's)
 *   groups      multicast groups: bind's nl_groups joins 1-32 and
 *               getsockname tells them; NETLINK_ADD/DROP_MEMBERSHIP by
 *               number, group 0 EINVAL; NETLINK_LIST_MEMBERSHIPS agrees
 *
 *   prog notify   joins the link, address and route groups at once and
 *                 prints each notification for up to 8 s ("notify
 *                 RTM_NEWADDR inet6 ADDR/LEN", "notify RTM_NEWROUTE
 *                 inet6 DST/LEN"), until a global IPv6 address came:
 *                 proc.sh checks uk's as its network's router advertises
 *   prog ll-self  a TCP connection to the machine's own link-local
 *                 address (fe80::...%eth0, once valid): "ll-self:
 *                 connected" or the error (Tomcat's shutdown port is
 *                 reached so)
 *   prog routes6  the IPv6 routes of the main table ("route6 DST/LEN via
 *                 GW"), after waiting up to 8 s for a global address
 *
 * One verdict line a check (check.h); the exit status says whether all
 * passed.
 *
 *   prog hostname   the host name's IPv4 address from getaddrinfo before
 *                   the program's first socket and after it ("before: A",
 *                   "after: A", or the error), as a container's program
 *                   looks itself up; the VM's answer, not Linux's (a
 *                   machine's own name need not resolve)
 *   prog resolv     /etc/resolv.conf's lines before the program's first
 *                   socket ("resolv: LINE", or "resolv: none"), as a
 *                   container's program copies it at its start (postfix
 *                   into its chroot); the VM's answer, not Linux's
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUITE "sock"
#include "check.h"

/* More than lwip-port/hooks.c's UK_TCP_TIME_WAIT_MAX. */
#define TIME_WAITS 1100

/* bulk: bytes sent, and the reader's bound on its wait for EOF after
 * the writer's close (ms; Linux takes a few). */
#define BULK_BYTES (256l << 20)
#define BULK_EOF_MS 1000

/* A listener on 127.0.0.1 (an ephemeral port); its address in *a. */
static int listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
		                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) || listen(l, 64) ||
	    getsockname(l, (struct sockaddr *)a, &len))
		return -1;
	return l;
}

/* A connection to a: *c the client's end, the server's returned (-1). */
static int pair(int l, const struct sockaddr_in *a, int *c)
{
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (const struct sockaddr *)a, sizeof(*a)))
		return -1;
	return accept(l, NULL, NULL);
}

/* Whether fd becomes ready for events within 5 s. */
static int ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 5000) == 1 && (p.revents & events);
}

/* One more connection that ends in TIME-WAIT on the server's side (the
 * server closes first). */
static int time_wait_one(int l, const struct sockaddr_in *a)
{
	char b;
	int c, s = pair(l, a, &c), ok;

	ok = s >= 0 && close(s) == 0 && ready(c, POLLIN) && read(c, &b, 1) == 0;
	close(c);
	return ok;
}

static void lingering(void)
{
	struct sockaddr_in a, peer;
	socklen_t len = sizeof(peer);
	int l = listener(&a), c, s, made = 0;
	char b[4] = "";

	s = l < 0 ? -1 : pair(l, &a, &c);
	check("lingering/connect", s >= 0, "listen, connect or accept failed");
	if (s < 0)
		return;
	/* the peer's data, unread; the server's FIN; the peer's */
	check("lingering/send", write(c, "x", 1) == 1, "write failed");
	check("lingering/shutdown", shutdown(s, SHUT_WR) == 0, "shutdown failed");
	check("lingering/peer-eof", ready(c, POLLIN) && read(c, b, 1) == 0, "the peer saw no EOF");
	close(c);
	check("lingering/fin", ready(s, POLLRDHUP), "no POLLRDHUP after the peer's close");
	while (made < TIME_WAITS && time_wait_one(l, &a))
		made++;
	check("lingering/time-waits", made == TIME_WAITS, "a connection failed");
	/* (Linux's socket is closed since its TIME-WAIT began) */
	errno = 0;
	check("lingering/no-peer",
	      getpeername(s, (struct sockaddr *)&peer, &len) == -1 && errno == ENOTCONN,
	      "getpeername did not fail with ENOTCONN");
	check("lingering/poll-in", ready(s, POLLIN), "not readable");
	check("lingering/read-data", read(s, b, sizeof(b)) == 1 && b[0] == 'x',
	      "the peer's byte was not read");
	check("lingering/read-eof", read(s, b, sizeof(b)) == 0, "no EOF after the data");
	errno = 0;
	check("lingering/send-epipe", send(s, "y", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE,
	      "a send after SHUT_WR did not fail with EPIPE");
	check("lingering/close", close(s) == 0, "close failed");
	close(l);
}

/* UDP to 0.0.0.0: sendto and connect reach a socket bound to 127.0.0.1,
 * which sees the sender at 127.0.0.1. */
/* readv/writev on a datagram socket: one datagram spans the buffers, as
 * recvmsg/sendmsg's (uk moved one a buffer: a writev of two sent two
 * datagrams, and a readv's first buffer took the datagram and dropped its
 * rest). For UDP on 127.0.0.1 and an AF_UNIX pair. */
static void vector_datagrams(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int u[2] = { socket(AF_INET, SOCK_DGRAM, 0), socket(AF_INET, SOCK_DGRAM, 0) }, x[2];
	const char *names[2][2] = { { "vector/udp-writev-one-datagram", "vector/udp-readv-whole" },
		                    { "vector/unix-writev-one-datagram",
		                      "vector/unix-readv-whole" } };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u[0] < 0 || u[1] < 0 || bind(u[0], (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(u[0], (struct sockaddr *)&a, &len) ||
	    connect(u[1], (struct sockaddr *)&a, sizeof(a)))
		u[0] = -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, x))
		x[0] = -1;
	for (int k = 0; k < 2; k++) {
		int r = k ? x[0] : u[0], w = k ? x[1] : u[1];
		char a4[4] = "", b4[4] = "", big[16] = "";
		struct iovec out[2] = { { "abcd", 4 }, { "efgh", 4 } };
		struct iovec in[2] = { { a4, 4 }, { b4, 4 } };

		check(names[k][0],
		      r >= 0 && writev(w, out, 2) == 8 && ready(r, POLLIN) &&
		          recv(r, big, sizeof(big), MSG_DONTWAIT) == 8 &&
		          !memcmp(big, "abcdefgh", 8) &&
		          recv(r, big, sizeof(big), MSG_DONTWAIT) < 0,
		      "writev of 4 + 4 bytes did not arrive as one 8-byte datagram");
		check(names[k][1],
		      r >= 0 && send(w, "ijklmnop", 8, 0) == 8 && ready(r, POLLIN) &&
		          readv(r, in, 2) == 8 && !memcmp(a4, "ijkl", 4) && !memcmp(b4, "mnop", 4),
		      "readv into 4 + 4 bytes did not take the whole 8-byte datagram");
	}
	for (int i = 0; i < 2; i++) {
		if (u[i] >= 0)
			close(u[i]);
		if (x[0] >= 0)
			close(x[i]);
	}
}

static void unspecified_udp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, from;
	socklen_t len = sizeof(a);
	int r = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
	char b[4] = "";

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r < 0 || c < 0 || bind(r, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(r, (struct sockaddr *)&a, &len))
		a.sin_port = 0;
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	len = sizeof(from);
	check("unspecified/udp-sendto",
	      a.sin_port && sendto(c, "u", 1, 0, (struct sockaddr *)&a, sizeof(a)) == 1 &&
	          ready(r, POLLIN) &&
	          recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&from, &len) == 1 &&
	          b[0] == 'u' && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "a datagram to 0.0.0.0 did not reach 127.0.0.1's socket from 127.0.0.1");
	check("unspecified/udp-connect",
	      a.sin_port && !connect(c, (struct sockaddr *)&a, sizeof(a)) &&
	          send(c, "v", 1, 0) == 1 && ready(r, POLLIN) && recv(r, b, sizeof(b), 0) == 1 &&
	          b[0] == 'v',
	      "connect to 0.0.0.0 then send did not reach 127.0.0.1's socket");
	close(r);
	close(c);
}

/* A client of 0.0.0.0 (the header: unspecified). */

static void unspecified(void)
{
	struct sockaddr_in a, peer;
	socklen_t len = sizeof(peer);
	int l = listener(&a), c = -1, s;

	a.sin_addr.s_addr = htonl(INADDR_ANY);
	s = l >= 0 ? pair(l, &a, &c) : -1;
	check("unspecified/connects", s >= 0,
	      "connect to 0.0.0.0 did not reach 127.0.0.1's listener");
	check("unspecified/peer-is-loopback",
	      c >= 0 && !getpeername(c, (struct sockaddr *)&peer, &len) &&
	          peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && peer.sin_port == a.sin_port,
	      "the client's peer is not 127.0.0.1 and the listener's port");
	close(s);
	close(c);
	close(l);
	unspecified_udp();
}

static void unaccepted(void)
{
	struct sockaddr_in a;
	int l = listener(&a), c = socket(AF_INET, SOCK_STREAM, 0),
	    l2 = socket(AF_INET, SOCK_STREAM, 0);
	char b;

	check("unaccepted/connect",
	      l >= 0 && c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "listen or connect failed");
	close(l);
	errno = 0;
	check("unaccepted/reset", ready(c, POLLIN) && read(c, &b, 1) == -1 && errno == ECONNRESET,
	      "the client did not read ECONNRESET");
	check("unaccepted/port-free",
	      l2 >= 0 && bind(l2, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l2, 8) == 0,
	      "a new listener on the port failed");
	close(c);
	close(l2);
}

static void defer(void)
{
	struct sockaddr_in a;
	int l = listener(&a), v = 5, got = 0, c, s;
	socklen_t len = sizeof(got);
	char b[4] = "";

	check("defer/set",
	      l >= 0 && setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)) == 0,
	      "setsockopt(TCP_DEFER_ACCEPT) failed");
	/* Linux keeps a count of SYN-ACK retransmissions: 1+2+4 s */
	check("defer/get-rounded",
	      getsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &got, &len) == 0 && got == 7,
	      "getsockopt(TCP_DEFER_ACCEPT) did not answer 7 for 5");
	c = socket(AF_INET, SOCK_STREAM, 0);
	s = -1;
	if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 && write(c, "hi", 2) == 2)
		s = accept(l, NULL, NULL);
	check("defer/accept",
	      s >= 0 && ready(s, POLLIN) && read(s, b, sizeof(b)) == 2 && memcmp(b, "hi", 2) == 0,
	      "the client's data did not reach the accepted socket");
	close(s);
	close(c);
	close(l);
}

/* A socket bound to a, SO_REUSEPORT set when reuse; listening when it
 * could: its descriptor, or -1 with errno. */
static int listen_on(const struct sockaddr_in *a, int reuse)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), e;

	if (l >= 0 && (setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &reuse, sizeof(reuse)) ||
	               bind(l, (const struct sockaddr *)a, sizeof(*a)) || listen(l, 64))) {
		e = errno;
		close(l);
		errno = e;
		return -1;
	}
	return l;
}

/* A connection to a, accepted by whichever of the n listeners l gets
 * it: its index, or -1. */
static int connect_to_any(const struct sockaddr_in *a, const int *l, int n)
{
	struct pollfd p[3];
	int c = socket(AF_INET, SOCK_STREAM, 0), s = -1, i = -1;

	for (int k = 0; k < n; k++)
		p[k] = (struct pollfd){ .fd = l[k], .events = POLLIN };
	if (c >= 0 && connect(c, (const struct sockaddr *)a, sizeof(*a)) == 0 &&
	    poll(p, n, 5000) > 0)
		for (i = 0; i < n && !(p[i].revents & POLLIN); i++)
			;
	if (i >= 0 && (s = accept(l[i], NULL, NULL)) < 0)
		i = -1;
	close(s);
	close(c);
	return i;
}

#define SHARED 48

/* Two more listeners with SO_REUSEPORT on the port of a, where first
 * listens with it set. */
static void reuseport_group(int first, const struct sockaddr_in *a)
{
	int l[3] = { first, listen_on(a, 1), listen_on(a, 1) }, got[3] = { 0 }, n, i;

	check("reuseport/more-listeners", l[1] >= 0 && l[2] >= 0,
	      "more listeners with SO_REUSEPORT failed");
	errno = 0;
	check("reuseport/without-refused", listen_on(a, 0) == -1 && errno == EADDRINUSE,
	      "a listener without SO_REUSEPORT on the port was not refused with EADDRINUSE");
	if (l[1] < 0 || l[2] < 0)
		return;
	for (n = 0; n < SHARED && (i = connect_to_any(a, l, 3)) >= 0; n++)
		got[i]++;
	check("reuseport/shared", n == SHARED && got[0] && got[1] && got[2],
	      "connections did not all arrive, or a listener got none");
	close(first); /* (the one that listened first) */
	close(l[1]);
	for (n = 0; n < 4 && connect_to_any(a, &l[2], 1) == 0; n++)
		;
	check("reuseport/after-close", n == 4, "a listener did not serve after the others closed");
	close(l[2]);
}

static void reuseport(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int l = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1, got = 0, c = -1, s = -1;
	socklen_t len = sizeof(got), alen = sizeof(a);

	check("reuseport/set",
	      l >= 0 && setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0,
	      "setsockopt(SO_REUSEPORT) failed");
	check("reuseport/get", getsockopt(l, SOL_SOCKET, SO_REUSEPORT, &got, &len) == 0 && got == 1,
	      "getsockopt(SO_REUSEPORT) did not answer 1");
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 8) == 0 &&
	    getsockname(l, (struct sockaddr *)&a, &alen) == 0)
		s = pair(l, &a, &c);
	check("reuseport/serves", s >= 0, "bind, listen, connect or accept failed");
	close(s);
	close(c);
	if (s >= 0)
		reuseport_group(l, &a);
	else
		close(l);
	check("reuseport/udp",
	      u >= 0 && setsockopt(u, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
	          bind(u, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET },
	               sizeof(struct sockaddr_in)) == 0,
	      "SO_REUSEPORT on a UDP socket, or its bind, failed");
	close(u);
}

#define CONNECTS 100

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The reading end: drains fd to EOF. */
struct bulk {
	int fd;
	long got;
	ssize_t last; /* the last read's answer */
	double eof;   /* when it read EOF (ms) */
};

static void *bulk_reader(void *arg)
{
	static char b[65536];
	struct bulk *r = arg;

	while ((r->last = read(r->fd, b, sizeof(b))) > 0)
		r->got += r->last;
	r->eof = now_ms();
	return NULL;
}

static void bulk(void)
{
	static char b[65536];
	struct sockaddr_in a;
	struct bulk r = { 0 };
	pthread_t t;
	long sent = 0, n;
	double closed;
	int c, l = listener(&a);

	r.fd = l >= 0 ? pair(l, &a, &c) : -1;
	check("bulk/connect", r.fd >= 0, "listen, connect or accept failed");
	if (r.fd < 0 || pthread_create(&t, NULL, bulk_reader, &r))
		return;
	while (sent < BULK_BYTES && (n = write(c, b, sizeof(b))) > 0)
		sent += n;
	closed = now_ms();
	close(c);
	pthread_join(t, NULL);
	check("bulk/all-read", r.last == 0 && r.got == BULK_BYTES && sent == BULK_BYTES,
	      "short transfer or a write or read failed");
	check("bulk/eof-soon", r.eof - closed < BULK_EOF_MS, "EOF came over 1 s after the close");
	if (r.eof - closed >= BULK_EOF_MS)
		printf("bulk: EOF %.0f ms after the close\n", r.eof - closed);
	close(r.fd);
	close(l);
}

/* Drain fd (nonblocking) of what has come. */
static void drain(int fd)
{
	static char b[65536];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

static void room(void)
{
	static char b[65536];
	struct sockaddr_in a;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET }, got;
	struct pollfd p;
	int c, l = listener(&a), s = l >= 0 ? pair(l, &a, &c) : -1, ep = epoll_create1(0), woke = 0;
	double end;

	check("room/connect", s >= 0 && ep >= 0, "listen, connect, accept or epoll_create1 failed");
	if (s < 0 || ep < 0)
		return;
	check("room/empty-send", send(c, "", 0, 0) == 0 && write(c, "", 0) == 0,
	      "a blocking send or write of nothing did not return 0");
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (write(c, b, sizeof(b)) > 0)
		;
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	check("room/full", errno == EAGAIN && poll(&p, 1, 0) == 0,
	      "the writer did not end with EAGAIN, or poll said it could write");
	check("room/full-empty-send", send(c, "", 0, 0) == 0,
	      "a send of nothing on a full connection did not return 0 (EAGAIN: php -S waited for "
	      "ever)");
	check("room/epoll-add", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0, "epoll_ctl failed");
	for (end = now_ms() + 5000; !woke && now_ms() < end;) {
		drain(s);
		woke = epoll_wait(ep, &got, 1, 10) == 1 && (got.events & EPOLLOUT);
	}
	check("room/epollet-epollout", woke, "no EPOLLOUT within 5 s of the peer reading");
	check("room/pollout", ready(c, POLLOUT), "poll did not say POLLOUT");
	close(ep);
	close(c);
	close(s);
	close(l);
}

static void backlog(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c[CONNECTS], n = 0, taken = 0, s;

	/* (an abstract name: nothing left in the file system) */
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "uk-sock-backlog-%d", (int)getpid());
	check("backlog/listen-minus-1",
	      l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, -1) == 0,
	      "bind or listen(-1) failed");
	for (; n < CONNECTS; n++) {
		c[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c[n] < 0 || connect(c[n], (struct sockaddr *)&a, sizeof(a))) {
			close(c[n]);
			break;
		}
	}
	check("backlog/all-queued", n == CONNECTS, "a non-blocking connect failed");
	while (taken < n && (s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		close(s);
		taken++;
	}
	check("backlog/all-accepted", taken == n, "fewer accepted than connected");
	while (n--)
		close(c[n]);
	close(l);
}

/* A datagram from a new socket of family to the port of u at addr (a
 * text address); then u's recvmsg into ctl: the control length, or -1. */
static long pktinfo_round(int u, int family, const char *addr, char *ctl, size_t size)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 own;
	socklen_t len = sizeof(own);
	char b[8];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = size
	};
	int c = socket(family, SOCK_DGRAM, 0), sent;

	getsockname(u, (struct sockaddr *)&own, &len);
	a4.sin_port = a6.sin6_port = own.sin6_port; /* (same place in both) */
	if (family == AF_INET)
		inet_pton(AF_INET, addr, &a4.sin_addr);
	else
		inet_pton(AF_INET6, addr, &a6.sin6_addr);
	sent = family == AF_INET ? sendto(c, "p", 1, 0, (struct sockaddr *)&a4, sizeof(a4))
	                         : sendto(c, "p", 1, 0, (struct sockaddr *)&a6, sizeof(a6));
	close(c);
	if (sent != 1 || !ready(u, POLLIN) || recvmsg(u, &m, 0) != 1)
		return -1;
	return (long)m.msg_controllen;
}

/* The control message of level and type in m's buffer, or NULL. */
static struct cmsghdr *pktinfo_find(char *ctl, size_t len, int level, int type, int *order)
{
	struct msghdr m = { .msg_control = ctl, .msg_controllen = len };
	int i = 0;

	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h), i++)
		if (h->cmsg_level == level && h->cmsg_type == type) {
			*order = i;
			return h;
		}
	return NULL;
}

static int pktinfo_v4(char *ctl, long len, int want_order)
{
	int order = -1;
	struct cmsghdr *h =
	    len > 0 ? pktinfo_find(ctl, (size_t)len, IPPROTO_IP, IP_PKTINFO, &order) : NULL;
	struct in_pktinfo pi;

	if (!h || h->cmsg_len != CMSG_LEN(sizeof(pi)) || order != want_order)
		return 0;
	memcpy(&pi, CMSG_DATA(h), sizeof(pi));
	return pi.ipi_addr.s_addr == htonl(INADDR_LOOPBACK) &&
	       pi.ipi_spec_dst.s_addr == htonl(INADDR_LOOPBACK) &&
	       pi.ipi_ifindex == (int)if_nametoindex("lo");
}

static int pktinfo_v6(char *ctl, long len, const char *want)
{
	int order = -1;
	struct cmsghdr *h =
	    len > 0 ? pktinfo_find(ctl, (size_t)len, IPPROTO_IPV6, IPV6_PKTINFO, &order) : NULL;
	struct in6_pktinfo pi;
	struct in6_addr w;

	inet_pton(AF_INET6, want, &w);
	if (!h || h->cmsg_len != CMSG_LEN(sizeof(pi)) || order != 0)
		return 0;
	memcpy(&pi, CMSG_DATA(h), sizeof(pi));
	return !memcmp(&pi.ipi6_addr, &w, sizeof(w)) &&
	       pi.ipi6_ifindex == (int)if_nametoindex("lo");
}

static void pktinfo(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	int u = socket(AF_INET, SOCK_DGRAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0), on = 1,
	    v = -1;
	socklen_t len = sizeof(v);
	char ctl[256];
	long n;

	check("pktinfo/bind",
	      !bind(u, (struct sockaddr *)&a, sizeof(a)) &&
	          !bind(u6, (struct sockaddr *)&a6, sizeof(a6)),
	      "bind to the wildcard failed");
	check("pktinfo/default", !getsockopt(u, IPPROTO_IP, IP_PKTINFO, &v, &len) && v == 0,
	      "IP_PKTINFO not 0 at first");
	n = pktinfo_round(u, AF_INET, "127.0.0.1", ctl, sizeof(ctl));
	check("pktinfo/unasked", n == 0, "control messages nobody asked for");
	check("pktinfo/set",
	      !setsockopt(u, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) &&
	          !getsockopt(u, IPPROTO_IP, IP_PKTINFO, &v, &len) && v == 1,
	      "IP_PKTINFO not taken");
	n = pktinfo_round(u, AF_INET, "127.0.0.1", ctl, sizeof(ctl));
	check("pktinfo/v4", pktinfo_v4(ctl, n, 0), "no IP_PKTINFO of 127.0.0.1 on lo");
	check("pktinfo/v6-option-on-v4",
	      setsockopt(u, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == -1 &&
	          errno == ENOPROTOOPT,
	      "IPV6_RECVPKTINFO taken by an AF_INET socket");
	check("pktinfo/set-v6",
	      !setsockopt(u6, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) &&
	          !setsockopt(u6, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) &&
	          !getsockopt(u6, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, &len) && v == 1,
	      "IPV6_RECVPKTINFO or IP_PKTINFO not taken by an AF_INET6 socket");
	n = pktinfo_round(u6, AF_INET, "127.0.0.1", ctl, sizeof(ctl));
	check("pktinfo/v6-socket-v4",
	      pktinfo_v6(ctl, n, "::ffff:127.0.0.1") && pktinfo_v4(ctl, n, 1),
	      "not IPV6_PKTINFO ::ffff:127.0.0.1 then IP_PKTINFO");
	n = pktinfo_round(u6, AF_INET6, "::1", ctl, sizeof(ctl));
	check("pktinfo/v6-socket-v6",
	      pktinfo_v6(ctl, n, "::1") && n == (long)CMSG_SPACE(sizeof(struct in6_pktinfo)),
	      "not IPV6_PKTINFO ::1 alone");
	close(u);
	close(u6);
}

static void refused(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int u = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct pollfd p = { c, 0, 0 };
	char b;

	/* a free port: bound, named, then let go */
	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &len);
	close(u);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	check("refused/unconnected-silent",
	      sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)) == 1 &&
	          poll(&(struct pollfd){ u, 0, 0 }, 1, 200) == 0,
	      "an unconnected socket heard of the refusal");
	check("refused/send",
	      !connect(c, (struct sockaddr *)&a, sizeof(a)) && send(c, "x", 1, 0) == 1,
	      "connect or the first send failed");
	check("refused/pollerr", poll(&p, 1, 2000) == 1 && (p.revents & POLLERR),
	      "no POLLERR within 2 s");
	check("refused/recv", recv(c, &b, 1, 0) == -1 && errno == ECONNREFUSED,
	      "recv did not say ECONNREFUSED");
	check("refused/once", recv(c, &b, 1, 0) == -1 && errno == EAGAIN,
	      "the refusal was reported twice");
	check("refused/next-send",
	      send(c, "x", 1, 0) == 1 && poll(&p, 1, 2000) == 1 && send(c, "x", 1, 0) == -1 &&
	          errno == ECONNREFUSED,
	      "the send after a refusal did not say ECONNREFUSED");
	close(u);
	close(c);
}

/* "WHEN: ADDRESS" of the host name, or "WHEN: error TEXT". */
/* IP_MTU_DISCOVER of a UDP socket: Linux's default read back, OMIT set
 * and read back (unbound sets it and ended when it failed), a value out of
 * range refused. */
static void mtu_discover(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), v = -1, omit = IP_PMTUDISC_OMIT, bad = 6;
	socklen_t len = sizeof(v);

	check("pmtu/default",
	      !getsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, &len) && v == IP_PMTUDISC_WANT,
	      "not IP_PMTUDISC_WANT");
	check("pmtu/omit",
	      !setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit)) &&
	          !getsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, &len) && v == IP_PMTUDISC_OMIT,
	      "IP_PMTUDISC_OMIT not taken");
	check("pmtu/out-of-range",
	      setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &bad, sizeof(bad)) == -1 &&
	          errno == EINVAL,
	      "6 was taken");
	close(u);
}

static void normbits(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0),
	    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), s = -1, r;
	struct pollfd p = { c, POLLWRNORM, 0 };

	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		a.sin_port = 0;
	r = connect(c, (struct sockaddr *)&a, sizeof(a));
	check("normbits/connect", a.sin_port && (r == 0 || errno == EINPROGRESS), "no connect");
	check("normbits/wrnorm", poll(&p, 1, 5000) == 1 && (p.revents & POLLWRNORM),
	      "POLLWRNORM alone never came");
	s = accept(l, NULL, NULL);
	p.events = POLLRDNORM;
	check("normbits/rdnorm",
	      s >= 0 && write(s, "x", 1) == 1 && poll(&p, 1, 5000) == 1 && (p.revents & POLLRDNORM),
	      "POLLRDNORM alone never came");
	close(s);
	close(c);
	close(l);
}

static void bindtodev(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	char dev[IFNAMSIZ] = "x";
	socklen_t len = sizeof(dev);

	check("bindtodev/none", !getsockopt(t, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) && len == 0,
	      "not an empty name");
	len = 4;
	check("bindtodev/short-buffer",
	      !getsockopt(t, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) && len == 0,
	      "not an empty name in 4 bytes");
	close(t);
}

/* ---- AF_NETLINK ---- */

static void ifaddrs(void)
{
	struct ifaddrs *all, *i;
	int lo_link = 0, lo_v4 = 0, bound = 1, named = 1;
	struct if_nameindex *ni;
	int r = getifaddrs(&all);

	check("ifaddrs/getifaddrs", r == 0, "getifaddrs failed");
	if (r)
		return;
	for (i = all; i; i = i->ifa_next) {
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
		if (!strcmp(i->ifa_name, "lo") && fam == AF_PACKET)
			lo_link =
			    (i->ifa_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK);
		if (!strcmp(i->ifa_name, "lo") && fam == AF_INET)
			lo_v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
			            htonl(INADDR_LOOPBACK) &&
			        ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr ==
			            htonl(0xff000000);
		if (fam == AF_INET) {
			struct sockaddr_in a = *(struct sockaddr_in *)i->ifa_addr;
			int u = socket(AF_INET, SOCK_DGRAM, 0);
			a.sin_port = 0;
			bound &= u >= 0 && bind(u, (struct sockaddr *)&a, sizeof(a)) == 0;
			close(u);
		}
		named &= if_nametoindex(i->ifa_name) > 0;
	}
	freeifaddrs(all);
	check("ifaddrs/lo-link", lo_link, "no link entry for lo, up and loopback");
	check("ifaddrs/lo-v4", lo_v4, "lo has no 127.0.0.1/8");
	check("ifaddrs/addresses-bind", bound, "an interface's address cannot be bound");
	check("ifaddrs/names-known", named, "if_nametoindex does not know a name");
	ni = if_nameindex();
	check("ifaddrs/if_nameindex", ni && ni[0].if_index, "if_nameindex failed");
	for (struct if_nameindex *p = ni; p && p->if_index; p++)
		named &= if_nametoindex(p->if_name) == p->if_index;
	check("ifaddrs/if_nameindex-agrees", named, "if_nameindex's numbers differ");
	if (ni)
		if_freenameindex(ni);
}

struct nlreq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
	};
};

/* The interfaces the old way (squid looks each client up in the ARP
 * cache of each interface, and logged "Attempt to retrieve interface list
 * failed" at each request): SIOCGIFCONF's length alone, then the list;
 * SIOCGARP's errors. */
static void ifconf(void)
{
	struct ifreq r[64];
	struct ifconf c = { .ifc_len = 0, .ifc_buf = NULL };
	struct arpreq a = { .arp_flags = 0 };
	struct sockaddr_in *pa = (struct sockaddr_in *)&a.arp_pa;
	int s = socket(AF_INET, SOCK_DGRAM, 0), need, lo = 0, known = 1;

	check("ifconf/length",
	      ioctl(s, SIOCGIFCONF, &c) == 0 && c.ifc_len > 0 &&
	          c.ifc_len % (int)sizeof(struct ifreq) == 0,
	      "SIOCGIFCONF without a buffer did not say the length");
	need = c.ifc_len;
	c = (struct ifconf){ .ifc_len = sizeof(r), .ifc_req = r };
	check("ifconf/list", ioctl(s, SIOCGIFCONF, &c) == 0 && c.ifc_len == need,
	      "SIOCGIFCONF's list is not as long as it said");
	for (int i = 0; i < c.ifc_len / (int)sizeof(*r); i++) {
		struct sockaddr_in *in = (struct sockaddr_in *)&r[i].ifr_addr;
		lo |= !strcmp(r[i].ifr_name, "lo") && in->sin_family == AF_INET &&
		      in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
		known &= if_nametoindex(r[i].ifr_name) > 0 && in->sin_family == AF_INET;
	}
	check("ifconf/lo", lo, "no lo with 127.0.0.1 in the list");
	check("ifconf/names-known", known, "an entry's name is unknown or not AF_INET");
	/* each entry's flags and address the other ioctls (Java's
	 * NetworkInterface threw "ioctl SIOCGIFFLAGS failed") */
	for (int i = 0; i < c.ifc_len / (int)sizeof(*r); i++) {
		struct ifreq q = { 0 };
		strcpy(q.ifr_name, r[i].ifr_name);
		known &= ioctl(s, SIOCGIFFLAGS, &q) == 0 && (q.ifr_flags & IFF_UP);
		known &= ioctl(s, SIOCGIFADDR, &q) == 0 &&
		         ((struct sockaddr_in *)&q.ifr_addr)->sin_addr.s_addr ==
		             ((struct sockaddr_in *)&r[i].ifr_addr)->sin_addr.s_addr;
		known &= ioctl(s, SIOCGIFMTU, &q) == 0 && q.ifr_mtu > 0;
	}
	check("ifconf/flags-address-mtu", known,
	      "SIOCGIFFLAGS, SIOCGIFADDR or SIOCGIFMTU disagree");
	struct ifreq q = { .ifr_name = "lo" };
	check("ifreq/lo-flags",
	      ioctl(s, SIOCGIFFLAGS, &q) == 0 &&
	          (q.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)) ==
	              (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
	      "lo is not up, running and loopback");
	check("ifreq/lo-netmask",
	      ioctl(s, SIOCGIFNETMASK, &q) == 0 &&
	          ((struct sockaddr_in *)&q.ifr_netmask)->sin_addr.s_addr == htonl(0xff000000),
	      "lo's netmask is not 255.0.0.0");
	check("ifreq/lo-txqlen", ioctl(s, SIOCGIFTXQLEN, &q) == 0 && q.ifr_qlen == 1000,
	      "lo's transmit queue length is not Linux's 1000");
	check("ifreq/lo-hwaddr",
	      ioctl(s, SIOCGIFHWADDR, &q) == 0 && q.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK,
	      "lo's hardware address is not ARPHRD_LOOPBACK's");
	strcpy(q.ifr_name, "nosuch0");
	check("ifreq/unknown", ioctl(s, SIOCGIFFLAGS, &q) == -1 && errno == ENODEV,
	      "SIOCGIFFLAGS of an interface that is not there is not ENODEV");
	c = (struct ifconf){ .ifc_len = sizeof(*r) + 8, .ifc_req = r };
	check("ifconf/whole-entries", ioctl(s, SIOCGIFCONF, &c) == 0 && c.ifc_len == sizeof(*r),
	      "a buffer of one entry and a half did not get exactly one");
	pa->sin_family = AF_INET;
	pa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check("arp/no-device", ioctl(s, SIOCGARP, &a) == -1 && errno == ENODEV,
	      "SIOCGARP without a device is not ENODEV");
	strcpy(a.arp_dev, "nosuch0");
	check("arp/unknown-device", ioctl(s, SIOCGARP, &a) == -1 && errno == ENODEV,
	      "SIOCGARP on a device that is not there is not ENODEV");
	strcpy(a.arp_dev, "lo");
	check("arp/lo-none", ioctl(s, SIOCGARP, &a) == -1 && errno == ENXIO,
	      "SIOCGARP of 127.0.0.1 on lo is not ENXIO");
	close(s);
}

static int nl_ask(int fd, int type, int flags, int index, unsigned seq)
{
	struct nlreq r = { .h = { sizeof(r), type, NLM_F_REQUEST | flags, seq, 0 } };
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };

	r.link.ifi_index = index;
	if (type == RTM_GETADDR)
		r.addr = (struct ifaddrmsg){ .ifa_family = AF_UNSPEC };
	return sendto(fd, &r, sizeof(r), 0, (struct sockaddr *)&k, sizeof(k)) == sizeof(r);
}

/* RTM_NEWLINK's IFLA_IFNAME, or "". */
static const char *link_name(struct nlmsghdr *h)
{
	struct ifinfomsg *i = NLMSG_DATA(h);
	int len = IFLA_PAYLOAD(h);

	for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			return RTA_DATA(a);
	return "";
}

/* An RTM_GETROUTE dump of the IPv4 routes on fd: the main table's
 * printed when print ("route DST/LEN via GW src SRC"), the count, or -1
 * when a message is not a route or no NLMSG_DONE ends it. */
static int routes(int fd, int print)
{
	static char buf[16384];
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} q = { { sizeof(q), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 9, 0 },
		{ .rtm_family = AF_INET } };
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	int n, done = 0, count = 0, bad = 0;

	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&k, sizeof(k)) != sizeof(q))
		return -1;
	while (!done && !bad && (n = (int)recv(fd, buf, sizeof(buf), 0)) > 0)
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			struct rtmsg *r = NLMSG_DATA(h);
			char dst[16] = "0.0.0.0", gw[16] = "-", src[16] = "-";
			int len = RTM_PAYLOAD(h);

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_family != AF_INET) {
				bad = 1;
				break;
			}
			count++;
			for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				char *to = a->rta_type == RTA_DST       ? dst
				           : a->rta_type == RTA_GATEWAY ? gw
				           : a->rta_type == RTA_PREFSRC ? src
				                                        : NULL;
				if (to)
					inet_ntop(AF_INET, RTA_DATA(a), to, 16);
			}
			if (print && r->rtm_table == RT_TABLE_MAIN)
				printf("route %s/%d via %s src %s\n", dst, r->rtm_dst_len, gw, src);
		}
	return done && !bad ? count : -1;
}

static void rtnetlink(void)
{
	static char buf[16384];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
	    lo = if_nametoindex("lo");
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(me);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int n, done = 0, ours = 1;

	check("rtnetlink/socket", fd >= 0 && bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0,
	      "socket or bind");
	check("rtnetlink/getsockname",
	      !getsockname(fd, (struct sockaddr *)&me, &len) && me.nl_family == AF_NETLINK &&
	          len == sizeof(me),
	      "getsockname");
	check("rtnetlink/getlink-sent", nl_ask(fd, RTM_GETLINK, 0, lo, 7), "sendto");
	n = (int)recv(fd, buf, 1, MSG_PEEK | MSG_TRUNC);
	check("rtnetlink/peek-trunc", n > (int)sizeof(*h) && recv(fd, buf, sizeof(buf), 0) == n,
	      "MSG_PEEK|MSG_TRUNC did not give the answer's length");
	check("rtnetlink/getlink-lo",
	      NLMSG_OK(h, n) && h->nlmsg_type == RTM_NEWLINK && h->nlmsg_seq == 7 &&
	          ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == lo &&
	          !strcmp(link_name(h), "lo"),
	      "no RTM_NEWLINK for lo");
	check("rtnetlink/getaddr-sent", nl_ask(fd, RTM_GETADDR, NLM_F_DUMP, 0, 8), "sendto");
	while (!done && (n = (int)recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			ours &= h->nlmsg_seq == 8 && h->nlmsg_pid == me.nl_pid;
			done |= h->nlmsg_type == NLMSG_DONE;
		}
	check("rtnetlink/getaddr-done", done && ours, "no NLMSG_DONE of ours");
	check("rtnetlink/getroute-done", routes(fd, 0) >= 0,
	      "an RTM_GETROUTE dump did not end in NLMSG_DONE after RTM_NEWROUTE messages");
	close(fd);
}

static void groups(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), g = RTNLGRP_IPV4_ROUTE,
	    zero = 0;
	struct sockaddr_nl me = { .nl_family = AF_NETLINK,
		                  .nl_groups = RTMGRP_LINK | RTMGRP_IPV6_IFADDR };
	socklen_t len = sizeof(me);
	uint32_t list[4] = { 0 };
	socklen_t llen = sizeof(list);

	check("groups/bind", fd >= 0 && bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0,
	      "bind with nl_groups");
	me.nl_groups = 0;
	check("groups/getsockname",
	      !getsockname(fd, (struct sockaddr *)&me, &len) &&
	          me.nl_groups == (RTMGRP_LINK | RTMGRP_IPV6_IFADDR),
	      "getsockname did not tell the groups bind joined");
	check("groups/add", !setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)),
	      "NETLINK_ADD_MEMBERSHIP");
	check("groups/add-zero",
	      setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &zero, sizeof(zero)) == -1 &&
	          errno == EINVAL,
	      "joining group 0 is not EINVAL");
	check("groups/list",
	      !getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, list, &llen) && llen >= 4 &&
	          list[0] == (RTMGRP_LINK | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE),
	      "NETLINK_LIST_MEMBERSHIPS is not the groups joined");
	g = RTNLGRP_LINK;
	len = sizeof(me);
	check("groups/drop",
	      !setsockopt(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &g, sizeof(g)) &&
	          !getsockname(fd, (struct sockaddr *)&me, &len) &&
	          me.nl_groups == (RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE),
	      "NETLINK_DROP_MEMBERSHIP did not leave the group");
	close(fd);
}

static const char *ip6_str(const void *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Has an interface a global IPv6 address? (an RTM_GETADDR dump on a new
 * socket) */
static int global6(void)
{
	static char buf[16384];
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} q = { { sizeof(q), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 },
		{ .ifa_family = AF_INET6 } };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), n, done = 0, found = 0;

	if (fd < 0 || send(fd, &q, sizeof(q), 0) != sizeof(q))
		return close(fd), 0;
	while (!done && (n = (int)recv(fd, buf, sizeof(buf), 0)) > 0)
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifaddrmsg *a = NLMSG_DATA(h);
			done |= h->nlmsg_type == NLMSG_DONE;
			found |= h->nlmsg_type == RTM_NEWADDR && a->ifa_scope == RT_SCOPE_UNIVERSE;
		}
	close(fd);
	return found;
}

/* "prog notify": see the top. */
static int notify(void)
{
	static char buf[16384];
	struct sockaddr_nl me = { .nl_family = AF_NETLINK,
		                  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
		                               RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR |
		                               RTMGRP_IPV6_ROUTE };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), n, global = 0;
	struct pollfd p = { fd, POLLIN, 0 };
	time_t end = time(NULL) + 8;

	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("notify: bind"), 1;
	while (!global && time(NULL) < end && poll(&p, 1, 1000) >= 0)
		while ((n = (int)recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
			     h = NLMSG_NEXT(h, n)) {
				const char *t = h->nlmsg_type == RTM_NEWADDR    ? "RTM_NEWADDR"
				                : h->nlmsg_type == RTM_DELADDR  ? "RTM_DELADDR"
				                : h->nlmsg_type == RTM_NEWROUTE ? "RTM_NEWROUTE"
				                : h->nlmsg_type == RTM_DELROUTE ? "RTM_DELROUTE"
				                : h->nlmsg_type == RTM_NEWLINK  ? "RTM_NEWLINK"
				                                                : "other";
				char a[INET6_ADDRSTRLEN] = "-";
				int len = 0, family = 0, plen = 0;
				struct rtattr *r = NULL;

				if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
					struct ifaddrmsg *i = NLMSG_DATA(h);
					family = i->ifa_family, plen = i->ifa_prefixlen;
					r = IFA_RTA(i), len = IFA_PAYLOAD(h);
					global |= family == AF_INET6 &&
					          i->ifa_scope == RT_SCOPE_UNIVERSE &&
					          h->nlmsg_type == RTM_NEWADDR;
				} else if (h->nlmsg_type == RTM_NEWROUTE ||
				           h->nlmsg_type == RTM_DELROUTE) {
					struct rtmsg *i = NLMSG_DATA(h);
					family = i->rtm_family, plen = i->rtm_dst_len;
					r = RTM_RTA(i), len = RTM_PAYLOAD(h);
				}
				for (; r && RTA_OK(r, len); r = RTA_NEXT(r, len))
					if ((r->rta_type == IFA_ADDRESS ||
					     r->rta_type == RTA_DST) &&
					    family == AF_INET6)
						ip6_str(RTA_DATA(r), a);
					else if (r->rta_type == IFA_ADDRESS ||
					         r->rta_type == RTA_DST)
						inet_ntop(AF_INET, RTA_DATA(r), a, sizeof(a));
				printf("notify %s %s %s/%d seq %u pid %u\n", t,
				       family == AF_INET6  ? "inet6"
				       : family == AF_INET ? "inet"
				                           : "-",
				       a, plen, h->nlmsg_seq, h->nlmsg_pid);
			}
	close(fd);
	return 0;
}

/* "prog ll-self": see the top. */
static int ll_self(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT }, to;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET6, SOCK_STREAM, 0), c = socket(AF_INET6, SOCK_STREAM, 0), found = 0;
	char name[INET6_ADDRSTRLEN];

	for (time_t end = time(NULL) + 8; !found && time(NULL) < end; usleep(100000)) {
		struct ifaddrs *ifs, *i;
		if (getifaddrs(&ifs))
			break;
		for (i = ifs; i && !found; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
			    IN6_IS_ADDR_LINKLOCAL(
			        &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr) &&
			    !(i->ifa_flags & IFF_LOOPBACK)) {
				to = *(struct sockaddr_in6 *)i->ifa_addr;
				found = 1;
			}
		freeifaddrs(ifs);
	}
	if (!found)
		return puts("ll-self: no link-local address"), 1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return perror("ll-self: listen"), 1;
	to.sin6_port = a.sin6_port;
	ip6_str(&to.sin6_addr, name);
	if (connect(c, (struct sockaddr *)&to, sizeof(to)))
		return printf("ll-self: connect to %s%%%u: %s\n", name, to.sin6_scope_id,
		              strerror(errno)),
		       1;
	printf("ll-self: connected to %s%%%u\n", name, to.sin6_scope_id);
	return 0;
}

/* "prog routes6": see the top. */
static int routes6(void)
{
	static char buf[16384];
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} q = { { sizeof(q), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 3, 0 },
		{ .rtm_family = AF_INET6 } };
	int fd, n, done = 0;

	for (time_t end = time(NULL) + 8; !global6() && time(NULL) < end;)
		usleep(100000);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || send(fd, &q, sizeof(q), 0) != sizeof(q))
		return perror("routes6"), 1;
	while (!done && (n = (int)recv(fd, buf, sizeof(buf), 0)) > 0)
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			struct rtmsg *r = NLMSG_DATA(h);
			char dst[INET6_ADDRSTRLEN] = "::", gw[INET6_ADDRSTRLEN] = "-";
			int len = RTM_PAYLOAD(h);

			done |= h->nlmsg_type == NLMSG_DONE;
			if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_family != AF_INET6 ||
			    r->rtm_table != RT_TABLE_MAIN)
				continue;
			for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == RTA_DST)
					ip6_str(RTA_DATA(a), dst);
				else if (a->rta_type == RTA_GATEWAY)
					ip6_str(RTA_DATA(a), gw);
			printf("route6 %s/%d via %s\n", dst, r->rtm_dst_len, gw);
		}
	close(fd);
	return !done;
}

static void print_host(const char *when)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	char name[256] = "", addr[INET_ADDRSTRLEN] = "";
	int r;

	gethostname(name, sizeof(name) - 1);
	if ((r = getaddrinfo(name, NULL, &hints, &ai))) {
		printf("%s: error %s\n", when, gai_strerror(r));
		return;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
	printf("%s: %s\n", when, addr);
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "routes")) { /* (the main table's, by netlink) */
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

		return routes(fd, 1) < 0;
	}
	if (argc > 1 && !strcmp(argv[1], "notify"))
		return notify();
	if (argc > 1 && !strcmp(argv[1], "ll-self"))
		return ll_self();
	if (argc > 1 && !strcmp(argv[1], "routes6"))
		return routes6();
	if (argc > 1 && !strcmp(argv[1], "resolv")) {
		FILE *f = fopen("/etc/resolv.conf", "r");
		char line[256];

		if (!f)
			printf("resolv: none\n");
		while (f && fgets(line, sizeof(line), f))
			printf("resolv: %s", line);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "hostname")) {
		print_host("before");
		close(socket(AF_INET, SOCK_DGRAM, 0)); /* (brings uk's network up) */
		print_host("after");
		return 0;
	}
	lingering();
	unaccepted();
	unspecified();
	defer();
	reuseport();
	bulk();
	room();
	backlog();
	bindtodev();
	normbits();
	mtu_discover();
	pktinfo();
	refused();
	ifaddrs();
	ifconf();
	rtnetlink();
	groups();
	vector_datagrams();
	return check_done();
}
