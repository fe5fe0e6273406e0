/*
 * AF_UNIX sockets: socketpair of each type, paths in the filesystem and
 * abstract names, listen/accept4/connect, shutdown, non-blocking calls,
 * poll/select/epoll readiness, names, SO_PEERCRED, SCM_RIGHTS and
 * SCM_CREDENTIALS, SO_SNDBUF, MSG_PEEK/MSG_DONTWAIT/MSG_TRUNC, FIONREAD,
 * and the errors Linux gives. Prints "unix: N checks, M failed" (status 1
 * when any failed). The same source runs as a Linux process (tests/e2e/
 * kvm/unix.sh compares): every check holds on Linux too.
 */
#define _GNU_SOURCE /* accept4, struct ucred, MSG_CMSG_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;
static char dir[64];

static socklen_t path_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static unsigned revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, 0) == 1 ? (unsigned)p.revents : 0;
}

static void pair_stream(void)
{
	int sv[2], n = -1, v = 0;
	socklen_t len;
	char buf[64];
	struct stat st;
	struct sockaddr_un a;
	struct ucred cred;

	CHECK("unix/socketpair-stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair stream");
	CHECK("unix/a-new-pair-is-writable-only", revents(sv[0], POLLIN | POLLOUT) == POLLOUT,
	      "a new pair is writable only: %#x", revents(sv[0], POLLIN | POLLOUT));
	CHECK("unix/write-5", write(sv[0], "hello", 5) == 5, "write 5");
	CHECK("unix/write-6", write(sv[0], " world", 6) == 6, "write 6");
	CHECK("unix/readable-after-a-write", revents(sv[1], POLLIN) == POLLIN,
	      "readable after a write");
	CHECK("unix/fionread-11", ioctl(sv[1], FIONREAD, &n) == 0 && n == 11, "FIONREAD 11: %d", n);
	CHECK("unix/msg-peek", recv(sv[1], buf, 3, MSG_PEEK) == 3 && !memcmp(buf, "hel", 3),
	      "MSG_PEEK");
	CHECK("unix/a-stream-read-crosses-writes",
	      read(sv[1], buf, sizeof(buf)) == 11 && !memcmp(buf, "hello world", 11),
	      "a stream read crosses writes");
	CHECK("unix/msg-dontwait-eagain",
	      recv(sv[1], buf, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "MSG_DONTWAIT: EAGAIN");
	CHECK("unix/the-other-way",
	      write(sv[1], "back", 4) == 4 && read(sv[0], buf, 4) == 4 && !memcmp(buf, "back", 4),
	      "the other way");
	CHECK("unix/fstat-a-socket", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode),
	      "fstat: a socket (%o)", (unsigned)st.st_mode);
	len = sizeof(v);
	CHECK("unix/so-type",
	      getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM,
	      "SO_TYPE %d", v);
	CHECK("unix/so-domain",
	      getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_UNIX,
	      "SO_DOMAIN %d", v);
	len = sizeof(a);
	CHECK("unix/an-unnamed-socket-s-name-is-the-family-alone-len",
	      getsockname(sv[0], (struct sockaddr *)&a, &len) == 0 && len == sizeof(sa_family_t) &&
	          a.sun_family == AF_UNIX,
	      "an unnamed socket's name is the family alone: len %u", (unsigned)len);
	len = sizeof(a);
	CHECK("unix/so-is-its-peer-s",
	      getpeername(sv[0], (struct sockaddr *)&a, &len) == 0 && len == sizeof(sa_family_t),
	      "so is its peer's");
	len = sizeof(cred);
	CHECK("unix/so-peercred-pid-uid-gid",
	      getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && len == sizeof(cred) &&
	          cred.pid == getpid() && cred.uid == geteuid() && cred.gid == getegid(),
	      "SO_PEERCRED: pid %d uid %d gid %d", (int)cred.pid, (int)cred.uid, (int)cred.gid);
	CHECK("unix/a-tcp-option-eopnotsupp",
	      setsockopt(sv[0], IPPROTO_TCP, 1, &v, sizeof(v)) == -1 && errno == EOPNOTSUPP,
	      "a TCP option: EOPNOTSUPP");
	CHECK("unix/an-unknown-option-enoprotoopt",
	      setsockopt(sv[0], SOL_SOCKET, 999, &v, sizeof(v)) == -1 && errno == ENOPROTOOPT,
	      "an unknown option: ENOPROTOOPT");
	CHECK("unix/lseek-espipe", lseek(sv[0], 0, SEEK_SET) == -1 && errno == ESPIPE,
	      "lseek: ESPIPE");

	CHECK("unix/shutdown-shut-wr", shutdown(sv[0], SHUT_WR) == 0, "shutdown SHUT_WR");
	CHECK("unix/the-peer-sees-end-of-file",
	      revents(sv[1], POLLIN | POLLRDHUP) == (POLLIN | POLLRDHUP),
	      "the peer sees end of file: %#x", revents(sv[1], POLLIN | POLLRDHUP));
	CHECK("unix/read-end-of-file", read(sv[1], buf, sizeof(buf)) == 0, "read: end of file");
	CHECK("unix/write-after-shut-wr-epipe", write(sv[0], "x", 1) == -1 && errno == EPIPE,
	      "write after SHUT_WR: EPIPE");
	CHECK("unix/the-other-direction-still-works",
	      write(sv[1], "still", 5) == 5 && read(sv[0], buf, 5) == 5,
	      "the other direction still works");
	CHECK("unix/close-one-end", close(sv[1]) == 0, "close one end");
	CHECK("unix/the-other-sees-pollhup", revents(sv[0], POLLIN) & POLLHUP,
	      "the other sees POLLHUP: %#x", revents(sv[0], POLLIN));
	CHECK("unix/and-end-of-file", read(sv[0], buf, sizeof(buf)) == 0, "and end of file");
	close(sv[0]);
}

static void pair_messages(int type, const char *what)
{
	int sv[2], n = -1;
	char buf[64];
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	CHECK("unix/socketpair", socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair %s", what);
	CHECK("unix/four-messages",
	      send(sv[0], "one", 3, 0) == 3 && send(sv[0], "two!", 4, 0) == 4 &&
	          send(sv[0], "", 0, 0) == 0 && send(sv[0], "three", 5, 0) == 5,
	      "%s: four messages", what);
	CHECK("unix/fionread-the-next-message-dgram-or-all-seqpacket",
	      ioctl(sv[1], FIONREAD, &n) == 0 && n == (type == SOCK_DGRAM ? 3 : 12),
	      "%s: FIONREAD, the next message (dgram) or all (seqpacket): %d", what, n);
	CHECK("unix/boundaries-kept-3", recv(sv[1], buf, sizeof(buf), 0) == 3,
	      "%s: boundaries kept (3)", what);
	CHECK("unix/msg-trunc-gives-the-length", recv(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC) == 4,
	      "%s: MSG_TRUNC gives the length", what);
	CHECK("unix/then-4", recv(sv[1], buf, sizeof(buf), 0) == 4 && !memcmp(buf, "two!", 4),
	      "%s: then 4", what);
	CHECK("unix/an-empty-message", recv(sv[1], buf, sizeof(buf), 0) == 0,
	      "%s: an empty message", what);
	CHECK("unix/a-short-buffer-cuts-the-message-msg-trunc-in",
	      recvmsg(sv[1], &m, 0) == 4 && (m.msg_flags & MSG_TRUNC) && !memcmp(buf, "thre", 4),
	      "%s: a short buffer cuts the message (MSG_TRUNC in msg_flags: %#x)", what,
	      m.msg_flags);
	CHECK("unix/the-rest-of-it-is-gone",
	      recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "%s: the rest of it is gone", what);
	close(sv[0]);
	if (type == SOCK_SEQPACKET)
		CHECK("unix/seqpacket-end-of-file-after-close",
		      recv(sv[1], buf, sizeof(buf), 0) == 0, "seqpacket: end of file after close");
	else
		CHECK("unix/dgram-sending-to-a-closed-peer-econnrefused",
		      send(sv[1], "x", 1, 0) == -1 && errno == ECONNREFUSED,
		      "dgram: sending to a closed peer: ECONNREFUSED");
	close(sv[1]);
}

static void path_stream(void)
{
	struct sockaddr_un a, b;
	socklen_t alen = path_addr(&a, "s.sock"), len;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c, s, d;
	struct stat st;
	char buf[16];

	CHECK("unix/socket-af-unix-stream", l >= 0, "socket AF_UNIX stream");
	CHECK("unix/listen-unbound-einval", listen(l, 4) == -1 && errno == EINVAL,
	      "listen unbound: EINVAL");
	CHECK("unix/bind", bind(l, (struct sockaddr *)&a, alen) == 0, "bind %s", a.sun_path);
	CHECK("unix/stat-a-socket-file", stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode),
	      "stat: a socket file (%o)", (unsigned)st.st_mode);
	CHECK("unix/open-a-socket-file-enxio", open(a.sun_path, O_RDWR) == -1 && errno == ENXIO,
	      "open a socket file: ENXIO");
	d = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("unix/bind-the-same-path-eaddrinuse",
	      bind(d, (struct sockaddr *)&a, alen) == -1 && errno == EADDRINUSE,
	      "bind the same path: EADDRINUSE");
	CHECK("unix/connect-before-listen-econnrefused",
	      connect(d, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED,
	      "connect before listen: ECONNREFUSED");
	close(d);
	CHECK("unix/listen", listen(l, 4) == 0, "listen");
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK("unix/non-blocking-accept-eagain", accept(l, NULL, NULL) == -1 && errno == EAGAIN,
	      "non-blocking accept: EAGAIN");
	CHECK("unix/a-listener-with-nothing-queued-is-not-readable", revents(l, POLLIN) == 0,
	      "a listener with nothing queued is not readable");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("unix/connect", connect(c, (struct sockaddr *)&a, alen) == 0, "connect");
	CHECK("unix/a-client-writes-before-it-is-accepted", write(c, "early", 5) == 5,
	      "a client writes before it is accepted");
	CHECK("unix/the-listener-is-readable", revents(l, POLLIN) == POLLIN,
	      "the listener is readable");
	len = sizeof(b);
	s = accept4(l, (struct sockaddr *)&b, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK("unix/accept4", s >= 0, "accept4");
	CHECK("unix/the-client-is-unnamed-len", len == sizeof(sa_family_t),
	      "the client is unnamed: len %u", (unsigned)len);
	CHECK("unix/sock-cloexec-and-sock-nonblock",
	      (fcntl(s, F_GETFD) & FD_CLOEXEC) && (fcntl(s, F_GETFL) & O_NONBLOCK),
	      "SOCK_CLOEXEC and SOCK_NONBLOCK");
	len = sizeof(b);
	CHECK("unix/the-accepted-socket-has-the-listener-s-name",
	      getsockname(s, (struct sockaddr *)&b, &len) == 0 && len == alen &&
	          !strcmp(b.sun_path, a.sun_path),
	      "the accepted socket has the listener's name: %s (%u)", b.sun_path, (unsigned)len);
	len = sizeof(b);
	CHECK("unix/getpeername-the-path",
	      getpeername(c, (struct sockaddr *)&b, &len) == 0 && len == alen &&
	          !strcmp(b.sun_path, a.sun_path),
	      "getpeername: the path");
	CHECK("unix/the-early-bytes", read(s, buf, sizeof(buf)) == 5 && !memcmp(buf, "early", 5),
	      "the early bytes");
	CHECK("unix/then-eagain", read(s, buf, sizeof(buf)) == -1 && errno == EAGAIN,
	      "then EAGAIN");
	CHECK("unix/connect-again-eisconn",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == EISCONN,
	      "connect again: EISCONN");
	d = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("unix/a-second-client-the-first-accepted",
	      connect(d, (struct sockaddr *)&a, alen) == 0, "a second client, the first accepted");
	close(d);
	close(c);
	close(s);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("unix/a-datagram-socket-to-a-stream-listener",
	      connect(d, (struct sockaddr *)&a, alen) == -1 && errno == EPROTOTYPE,
	      "a datagram socket to a stream listener: EPROTOTYPE");
	close(d);
	CHECK("unix/unlink-the-name", unlink(a.sun_path) == 0, "unlink the name");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("unix/connect-to-a-removed-name-enoent",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ENOENT,
	      "connect to a removed name: ENOENT");
	close(c);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	alen = path_addr(&a, "plain");
	close(open(a.sun_path, O_CREAT | O_WRONLY, 0600));
	CHECK("unix/connect-to-a-regular-file-econnrefused",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED,
	      "connect to a regular file: ECONNREFUSED");
	unlink(a.sun_path);
	close(c);
}

static void reset_unaccepted(void)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "uk-reset");
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[4];

	bind(l, (struct sockaddr *)&a, alen);
	listen(l, 4);
	CHECK("unix/connect-to-an-abstract-name", connect(c, (struct sockaddr *)&a, alen) == 0,
	      "connect to an abstract name");
	close(l);
	CHECK("unix/the-listener-closed-before-accepting-econnreset",
	      read(c, buf, sizeof(buf)) == -1 && errno == ECONNRESET,
	      "the listener closed before accepting: ECONNRESET");
	CHECK("unix/then-end-of-file", read(c, buf, sizeof(buf)) == 0, "then end of file");
	close(c);
}

static void abstract_names(void)
{
	struct sockaddr_un a, b;
	socklen_t alen = abstract_addr(&a, "uk-abstract"), len = sizeof(b);
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0), c = socket(AF_UNIX, SOCK_SEQPACKET, 0), s, d;
	char buf[16];

	CHECK("unix/bind-an-abstract-name", bind(l, (struct sockaddr *)&a, alen) == 0,
	      "bind an abstract name");
	CHECK("unix/getsockname-the-same-bytes",
	      getsockname(l, (struct sockaddr *)&b, &len) == 0 && len == alen &&
	          !memcmp(&a, &b, alen),
	      "getsockname: the same bytes (%u)", (unsigned)len);
	d = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK("unix/the-name-again-eaddrinuse",
	      bind(d, (struct sockaddr *)&a, alen) == -1 && errno == EADDRINUSE,
	      "the name again: EADDRINUSE");
	close(d);
	listen(l, 1);
	CHECK("unix/seqpacket-connect", connect(c, (struct sockaddr *)&a, alen) == 0,
	      "seqpacket connect");
	s = accept(l, NULL, NULL);
	CHECK("unix/two-messages", send(c, "abc", 3, 0) == 3 && send(c, "de", 2, 0) == 2,
	      "two messages");
	CHECK("unix/seqpacket-keeps-boundaries-over-a-connection",
	      recv(s, buf, sizeof(buf), 0) == 3 && recv(s, buf, sizeof(buf), 0) == 2,
	      "seqpacket keeps boundaries over a connection");
	close(c);
	close(s);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("unix/the-name-is-gone-with-its-socket",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED,
	      "the name is gone with its socket");
	close(c);
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = sizeof(b);
	CHECK("unix/autobind-an-abstract-name-of-5-characters-len",
	      bind(c, (struct sockaddr *)&a, sizeof(sa_family_t)) == 0 &&
	          getsockname(c, (struct sockaddr *)&b, &len) == 0 &&
	          len == offsetof(struct sockaddr_un, sun_path) + 6 && b.sun_path[0] == 0,
	      "autobind: an abstract name of 5 characters (len %u)", (unsigned)len);
	close(c);
}

static void path_dgram(void)
{
	struct sockaddr_un a, b, from;
	socklen_t alen = path_addr(&a, "d.sock"), blen = path_addr(&b, "e.sock"), len;
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0), n = 0;
	char buf[16];

	CHECK("unix/bind-a-datagram-socket", bind(r, (struct sockaddr *)&a, alen) == 0,
	      "bind a datagram socket");
	CHECK("unix/sendto-from-unnamed", sendto(u, "anon", 4, 0, (struct sockaddr *)&a, alen) == 4,
	      "sendto from unnamed");
	len = sizeof(from);
	CHECK("unix/recvfrom-an-unnamed-sender-has-no-address-len",
	      recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) == 4 && len == 0,
	      "recvfrom: an unnamed sender has no address (len %u)", (unsigned)len);
	CHECK("unix/sendto-from-a-named-socket",
	      bind(s, (struct sockaddr *)&b, blen) == 0 &&
	          sendto(s, "named", 5, 0, (struct sockaddr *)&a, alen) == 5,
	      "sendto from a named socket");
	len = sizeof(from);
	CHECK("unix/recvfrom-its-path",
	      recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) == 5 &&
	          len == blen && !strcmp(from.sun_path, b.sun_path),
	      "recvfrom: its path (%u)", (unsigned)len);
	CHECK("unix/send-unconnected-enotconn", send(u, "x", 1, 0) == -1 && errno == ENOTCONN,
	      "send unconnected: ENOTCONN");
	CHECK("unix/connect-then-send",
	      connect(u, (struct sockaddr *)&a, alen) == 0 && send(u, "conn", 4, 0) == 4,
	      "connect, then send");
	CHECK("unix/received", recv(r, buf, sizeof(buf), 0) == 4, "received");
	/* A receiver queues few datagrams from senders it is not connected to. */
	fcntl(u, F_SETFL, O_NONBLOCK);
	while (n < 10000 && send(u, "fill", 4, 0) == 4)
		n++;
	CHECK("unix/a-full-receiver-eagain-after", n > 0 && n < 10000 && errno == EAGAIN,
	      "a full receiver: EAGAIN after %d", n);
	CHECK("unix/and-the-sender-is-not-writable", !(revents(u, POLLOUT) & POLLOUT),
	      "and the sender is not writable");
	CHECK("unix/read-one", recv(r, buf, sizeof(buf), 0) == 4, "read one");
	CHECK("unix/the-sender-is-writable-again", revents(u, POLLOUT) & POLLOUT,
	      "the sender is writable again");
	unlink(a.sun_path);
	unlink(b.sun_path);
	close(r);
	close(s);
	close(u);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "F", 1 };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = cbuf,
		            .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(cbuf, 0, sizeof(cbuf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return (int)sendmsg(sock, &m, 0);
}

/* The descriptor that came with a message, -1 if none; *flags its
 * msg_flags. */
static int recv_fd(int sock, int flags, size_t room, int *mflags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)], b;
	struct iovec iov = { &b, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = room
	};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &m, flags) != 1)
		return -2;
	*mflags = m.msg_flags;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* recvmsg into buf: bytes read, *fd the descriptor that came (or -1). */
static long recv_fd_n(int sock, char *buf, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = cbuf,
		            .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	long n = recvmsg(sock, &m, 0);

	*fd = -1;
	for (c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

static void rights(void)
{
	int sv[2], p[2], fd, fl = 0, bad = 12345;
	char buf[8];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(p);
	CHECK("unix/sendmsg-scm-rights", send_fd(sv[0], p[0]) == 1, "sendmsg SCM_RIGHTS");
	fd = recv_fd(sv[1], MSG_CMSG_CLOEXEC, CMSG_SPACE(sizeof(int)), &fl);
	CHECK("unix/a-new-descriptor-came-sent", fd >= 0 && fd != p[0],
	      "a new descriptor came: %d (sent %d)", fd, p[0]);
	CHECK("unix/msg-cmsg-cloexec", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "MSG_CMSG_CLOEXEC");
	close(p[0]);
	CHECK("unix/it-is-the-same-pipe",
	      write(p[1], "via", 3) == 3 && read(fd, buf, sizeof(buf)) == 3 &&
	          !memcmp(buf, "via", 3),
	      "it is the same pipe");
	close(fd);
	CHECK("unix/send-another", send_fd(sv[0], p[1]) == 1, "send another");
	fd = recv_fd(sv[1], 0, CMSG_LEN(0), &fl);
	CHECK("unix/no-room-for-it-msg-ctrunc", fd == -1 && (fl & MSG_CTRUNC),
	      "no room for it: MSG_CTRUNC (%#x)", fl);
	CHECK("unix/a-descriptor-not-open-ebadf", send_fd(sv[0], bad) == -1 && errno == EBADF,
	      "a descriptor not open: EBADF");
	CHECK("unix/bytes-a-descriptor-with-a-byte-bytes",
	      write(sv[0], "ab", 2) == 2 && send_fd(sv[0], p[1]) == 1 && write(sv[0], "c", 1) == 1,
	      "bytes, a descriptor with a byte, bytes");
	CHECK("unix/a-stream-read-takes-the-descriptor-s-byte-and",
	      recv_fd_n(sv[1], buf, sizeof(buf), &fd) == 3 && !memcmp(buf, "abF", 3) && fd >= 0,
	      "a stream read takes the descriptor's byte and stops after it");
	CHECK("unix/then-the-rest", read(sv[1], buf, sizeof(buf)) == 1 && buf[0] == 'c',
	      "then the rest");
	close(fd);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void credentials(void)
{
	int sv[2], on = 1;
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], b;
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = cbuf,
		            .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct ucred u = { 0, 0, 0 };
	socklen_t len;

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	len = sizeof(u);
	CHECK("unix/so-peercred-of-a-datagram-pair-pid",
	      getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &u, &len) == 0 && u.pid == getpid(),
	      "SO_PEERCRED of a datagram pair: pid %d", (int)u.pid);
	CHECK("unix/so-passcred", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0,
	      "SO_PASSCRED");
	send(sv[0], "c", 1, 0);
	CHECK("unix/scm-credentials-came-pid-uid",
	      recvmsg(sv[1], &m, 0) == 1 && (c = CMSG_FIRSTHDR(&m)) &&
	          c->cmsg_type == SCM_CREDENTIALS && (memcpy(&u, CMSG_DATA(c), sizeof(u)), 1) &&
	          u.pid == getpid() && u.uid == getuid(),
	      "SCM_CREDENTIALS came: pid %d uid %d", (int)u.pid, (int)u.uid);
	close(sv[0]);
	close(sv[1]);
}

static void nonblocking_full(void)
{
	int sv[2], sz = 65536, got = 0;
	long total = 0, n;
	static char block[4096];
	socklen_t len = sizeof(got);

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	CHECK("unix/so-sndbuf-is-doubled-as-linux",
	      setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0 &&
	          getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 && got == 2 * sz,
	      "SO_SNDBUF is doubled, as Linux: %d", got);
	while (total < (64l << 20) && (n = write(sv[0], block, sizeof(block))) > 0)
		total += n;
	CHECK("unix/a-full-socket-eagain-after-bytes",
	      n == -1 && errno == EAGAIN && total >= 4096 && total <= 4 * sz,
	      "a full socket: EAGAIN after %ld bytes", total);
	CHECK("unix/not-writable", !(revents(sv[0], POLLOUT) & POLLOUT), "not writable");
	while (read(sv[1], block, sizeof(block)) > 0)
		;
	CHECK("unix/writable-once-read", revents(sv[0], POLLOUT) & POLLOUT, "writable once read");
	close(sv[0]);
	close(sv[1]);
}

static void *late_writer(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	write(*(int *)arg, "late", 4);
	return NULL;
}

static void readiness(void)
{
	int sv[2], ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[2];
	fd_set rs;
	struct timeval tv = { 0, 0 };
	pthread_t t;
	char buf[8];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ev.data.fd = sv[1];
	CHECK("unix/epoll-ctl", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0, "epoll_ctl");
	CHECK("unix/epoll-nothing-yet", epoll_wait(ep, out, 2, 0) == 0, "epoll: nothing yet");
	FD_ZERO(&rs);
	FD_SET(sv[1], &rs);
	CHECK("unix/select-nothing-yet", select(sv[1] + 1, &rs, NULL, NULL, &tv) == 0,
	      "select: nothing yet");
	pthread_create(&t, NULL, late_writer, &sv[0]);
	CHECK("unix/epoll-wait-wakes-for-a-write-from-another-thread",
	      epoll_wait(ep, out, 2, 5000) == 1 && out[0].data.fd == sv[1] &&
	          (out[0].events & EPOLLIN),
	      "epoll_wait wakes for a write from another thread");
	CHECK("unix/edge-triggered-once", epoll_wait(ep, out, 2, 0) == 0, "edge-triggered: once");
	FD_ZERO(&rs);
	FD_SET(sv[1], &rs);
	CHECK("unix/select-readable",
	      select(sv[1] + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(sv[1], &rs),
	      "select: readable");
	CHECK("unix/read-it", read(sv[1], buf, sizeof(buf)) == 4, "read it");
	pthread_join(t, NULL);
	pthread_create(&t, NULL, late_writer, &sv[0]);
	CHECK("unix/a-blocking-read-waits-for-the-writer", read(sv[1], buf, sizeof(buf)) == 4,
	      "a blocking read waits for the writer");
	pthread_join(t, NULL);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

/* What Java's NIO does at start: a pair, one end closed at once, the other
 * dup2'ed over descriptors being closed, which must then read as closed. */
static void preclose(void)
{
	int sv[2], fd;
	char b;

	CHECK("unix/socketpair-for-the-pre-close", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	      "socketpair for the pre-close");
	close(sv[1]);
	fd = dup(0);
	CHECK("unix/dup2-over-a-descriptor", dup2(sv[0], fd) == fd, "dup2 over a descriptor");
	CHECK("unix/it-reads-end-of-file", read(fd, &b, 1) == 0, "it reads end of file");
	CHECK("unix/and-writes-epipe", write(fd, "x", 1) == -1 && errno == EPIPE,
	      "and writes EPIPE");
	close(fd);
	close(sv[0]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/uk-unix-XXXXXX");
	mkdir("/tmp", 0777);
	if (!mkdtemp(dir)) {
		printf("unix: cannot make a directory in /tmp (errno %d)\n", errno);
		return 1;
	}
	pair_stream();
	pair_messages(SOCK_DGRAM, "dgram");
	pair_messages(SOCK_SEQPACKET, "seqpacket");
	path_stream();
	reset_unaccepted();
	abstract_names();
	path_dgram();
	rights();
	credentials();
	nonblocking_full();
	readiness();
	preclose();
	rmdir(dir);
	return check_totals("unix");
}
