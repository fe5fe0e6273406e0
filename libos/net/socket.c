/*
 * Socket system calls and the file operations of sockets (see sock.h):
 * TCP and UDP over lwIP, IPv4 and IPv6 (AF_INET6 sockets are dual-stack:
 * sock_inet.c), and AF_UNIX (sock_unix.c), which never touches the network
 * (no bring-up, no enter/leave). Options: socket_opt.c.
 */
#include <asm/ioctls.h>
#include <limits.h>
#include <asm/socket.h>
#include <linux/time.h>
#include <uk/linux.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/net.h>
#include <uk/poll.h>
#include <uk/syscall.h>
#include <uk/time.h>

#include "net_impl.h"
#include "sock.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDNORM 0x040
#define EPOLLWRNORM 0x100

/* ---- sockets ---- */

/* Over lwIP: AF_INET and AF_INET6. */
static int inet(const struct uk_sock *s)
{
	return s->family == UK_AF_INET || s->family == UK_AF_INET6;
}
#define enter uk_sock_enter
#define leave uk_sock_leave

struct uk_sock *uk_sock_new(int family, int type)
{
	struct uk_sock *s = uk_kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->family = family;
	s->type = type;
	s->proto = family == UK_AF_UNIX      ? &uk_unix_proto
	           : family == UK_AF_NETLINK ? &uk_netlink_proto
	           : type == UK_SOCK_STREAM  ? &uk_tcp_proto
	                                     : &uk_udp_proto;
	if (s->proto->open(s)) {
		uk_kfree(s);
		return NULL;
	}
	return s;
}

void uk_sock_free(struct uk_sock *s)
{
	enter(s);
	s->proto->close(s);
	leave(s);
	uk_kfree(s);
}

void uk_sock_wake(struct uk_sock *s) { uk_wq_wake(&s->wq, -1); }

int uk_sock_errno(int e)
{
	switch (e) {
	case 0: return 0;         /* ERR_OK */
	case -1: return -ENOMEM;  /* ERR_MEM */
	case -2: return -ENOBUFS; /* ERR_BUF */
	case -3: return -ETIMEDOUT;
	case -4: return -EHOSTUNREACH; /* ERR_RTE */
	case -5: return -EINPROGRESS;
	case -6: return -EINVAL; /* ERR_VAL */
	case -7: return -EAGAIN; /* ERR_WOULDBLOCK */
	case -8: return -EADDRINUSE;
	case -9: return -EALREADY;
	case -10: return -EISCONN;
	case -11: return -ENOTCONN;    /* ERR_CONN */
	case -12: return -ENETUNREACH; /* ERR_IF */
	case -13: return -ECONNABORTED;
	case -14: return -ECONNRESET;
	case -15: return -ENOTCONN; /* ERR_CLSD */
	default: return -EINVAL;    /* ERR_ARG and the rest */
	}
}

long uk_iov_len(const struct iovec *iov, int cnt)
{
	long total = 0;

	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	for (int i = 0; i < cnt; i++) {
		if ((long)iov[i].iov_len < 0 || iov[i].iov_len > (size_t)(LONG_MAX - total))
			return -EINVAL;
		total += (long)iov[i].iov_len;
	}
	return total;
}

int uk_sock_wait(struct uk_sock *s, int (*ready)(struct uk_sock *), int nonblock,
                 uint64_t timeout_ns)
{
	uint64_t deadline = timeout_ns ? uk_monotonic_ns() + timeout_ns : 0;
	int r, on;

	for (;;) {
		if (ready(s))
			return 0;
		if (nonblock)
			return -EAGAIN;
		if (inet(s) && uk_net_pending()) { /* frames wait: handle them here */
			uk_net_poll();
			continue;
		}
		leave(s); /* kick the devices before sleeping */
		on = uk_irq_save();
		r = ready(s) ? 0 : uk_wq_wait(&s->wq, deadline);
		uk_irq_restore(on);
		enter(s);
		if (r == -ETIMEDOUT)
			return -EAGAIN;
		if (r)
			return r;
	}
}

/* ---- addresses ---- */

/* struct sockaddr_un: a path (its NUL counted, as Linux keeps it), an
 * abstract name (a leading NUL, every byte counts), or nothing. */
static int addr_in_unix(const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	const char *path = (const char *)uaddr + sizeof(uint16_t);
	uint32_t n = len - (uint32_t)sizeof(uint16_t);

	if (*(const uint16_t *)uaddr != UK_AF_UNIX || len > sizeof(uint16_t) + UK_UNIX_PATH_MAX)
		return -EINVAL;
	uk_memset(a, 0, sizeof(*a));
	if (n && path[0]) {
		while (a->len < n && path[a->len])
			a->len++;
		if (a->len == UK_UNIX_PATH_MAX)
			return -EINVAL; /* no room for the NUL */
		uk_memcpy(a->path, path, a->len);
		a->len++;
	} else {
		uk_memcpy(a->path, path, n);
		a->len = (uint16_t)n;
	}
	return 0;
}

/* struct sockaddr_in6 of x86-64 Linux. */
struct uk_sockaddr_in6 {
	uint16_t family, port;
	uint32_t flowinfo;
	uint8_t addr[16];
	uint32_t scope;
};

static int addr_in6(const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	struct uk_sockaddr_in6 sin6 = { 0 };

	if (len < 24) /* SIN6_LEN_RFC2133: without the scope; first, as Linux */
		return -EINVAL;
	if (*(const uint16_t *)uaddr != UK_AF_INET6)
		return -EAFNOSUPPORT;
	uk_memcpy(&sin6, uaddr, len < sizeof(sin6) ? len : sizeof(sin6));
	a->v6 = 1;
	a->port = sin6.port;
	uk_memcpy(a->addr6, sin6.addr, 16);
	a->scope = sin6.scope;
	a->len = 0;
	return 0;
}

static int addr_in4(const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	const struct sockaddr_in *sin = uaddr;

	if (sin->sin_family != UK_AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(*sin))
		return -EINVAL;
	a->addr = sin->sin_addr.s_addr;
	a->port = sin->sin_port;
	a->len = 0;
	a->v6 = 0;
	return 0;
}

/* struct sockaddr_nl of x86-64 Linux. */
struct uk_sockaddr_nl {
	uint16_t family, pad;
	uint32_t pid, groups;
};

static int addr_in_netlink(const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	const struct uk_sockaddr_nl *nl = uaddr;

	if (len < sizeof(*nl))
		return -EINVAL;
	if (nl->family != UK_AF_NETLINK)
		return -EINVAL;
	uk_memset(a, 0, sizeof(*a));
	a->nl_pid = nl->pid;
	a->nl_groups = nl->groups;
	return 0;
}

static int addr_in(const struct uk_sock *s, const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	if (!uaddr || len < sizeof(uint16_t)) /* sa_family_t */
		return -EINVAL;
	if (s->family == UK_AF_NETLINK)
		return addr_in_netlink(uaddr, len, a);
	if (!inet(s))
		return addr_in_unix(uaddr, len, a);
	return s->family == UK_AF_INET6 ? addr_in6(uaddr, len, a) : addr_in4(uaddr, len, a);
}

/* A peer's address (connect, sendto, sendmsg). An AF_INET6 datagram socket
 * also takes an AF_INET one unless IPV6_V6ONLY, as Linux's does: glibc's
 * getaddrinfo connects one socket to each of its answers in turn to sort
 * them by source address. */
static int peer_in(const struct uk_sock *s, const void *uaddr, uint32_t len, struct uk_sockaddr *a,
                   int sending)
{
	if (s->family == UK_AF_INET6 && s->type == UK_SOCK_DGRAM && uaddr &&
	    len >= sizeof(uint16_t) && *(const uint16_t *)uaddr == UK_AF_INET) {
		if (s->opts & UK_SO_V6ONLY) /* Linux: connect and send differ */
			return sending ? -ENETUNREACH : -EAFNOSUPPORT;
		return addr_in4(uaddr, len, a);
	}
	return addr_in(s, uaddr, len, a);
}

/* Write the address out as far as *ulen allows, *ulen its full length.
 * AF_UNIX: an unnamed socket is just the family, or nothing at all where a
 * message's sender is reported (from, as Linux). */
static int addr_out(const struct uk_sock *s, const struct uk_sockaddr *a, void *uaddr,
                    uint32_t *ulen, int from)
{
	struct sockaddr_in sin = { .sin_family = UK_AF_INET,
		                   .sin_port = a->port,
		                   .sin_addr.s_addr = a->addr };
	struct {
		uint16_t family;
		char path[UK_UNIX_PATH_MAX];
	} sun = { UK_AF_UNIX, { 0 } };
	struct uk_sockaddr_in6 sin6 = { UK_AF_INET6, a->port, 0, { 0 }, a->scope };
	struct uk_sockaddr_nl snl = { UK_AF_NETLINK, 0, a->nl_pid, a->nl_groups };
	const void *src = &sin;
	uint32_t n = sizeof(sin);

	if (!uaddr || !ulen)
		return 0;
	if ((int)*ulen < 0)
		return -EINVAL;
	if (s->family == UK_AF_INET6) {
		uk_memcpy(sin6.addr, a->addr6, 16);
		src = &sin6;
		n = sizeof(sin6);
	} else if (s->family == UK_AF_NETLINK) {
		src = &snl;
		n = sizeof(snl);
	} else if (!inet(s)) {
		uk_memcpy(sun.path, a->path, a->len);
		src = &sun;
		n = from && !a->len ? 0 : (uint32_t)sizeof(uint16_t) + a->len;
	}
	uk_memcpy(uaddr, src, *ulen < n ? *ulen : n);
	*ulen = n;
	return 0;
}

/* ---- file operations ---- */

static long sock_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos);
static long sock_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos);
static long sock_rwv(struct uk_file *f, const struct iovec *iov, int cnt, int wr);

static unsigned sock_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct uk_sock *s = f->priv;
	unsigned mask;

	enter(s);
	if (inet(s) && uk_net_pending())
		uk_net_poll();
	if (pt)
		uk_poll_wait(pt, &s->wq);
	mask = s->proto->poll(s);
	leave(s);
	/* Linux's sockets set the normal-data bits with IN and OUT: varnish
	 * waits for its backend's connect with POLLWRNORM alone (it timed
	 * out, "fail errno 110", with the backend listening) */
	if (mask & EPOLLIN)
		mask |= EPOLLRDNORM;
	if (mask & EPOLLOUT)
		mask |= EPOLLWRNORM;
	return mask;
}

static long sock_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct uk_sock *s = f->priv;
	long n;

	switch (req) {
	case FIONREAD:
		enter(s);
		n = s->proto->nread(s);
		leave(s);
		*(int *)arg = (int)n;
		return 0;
	case FIONBIO:
		if (*(int *)arg)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	case UK_SIOCGIFINDEX:
	case UK_SIOCGIFNAME:
	case UK_SIOCGIFCONF:
	case UK_SIOCGIFFLAGS:
	case UK_SIOCGIFADDR:
	case UK_SIOCGIFBRDADDR:
	case UK_SIOCGIFNETMASK:
	case UK_SIOCGIFMTU:
	case UK_SIOCGIFHWADDR:
	case UK_SIOCGIFTXQLEN:
	case UK_SIOCGARP: return uk_net_if_ioctl(req, arg);
	case 0x5452: /* FIOASYNC */
		/* Accepted, with the difference said: no SIGIO is sent. nginx's
		 * master asks it of each worker's channel before it forks the
		 * worker, and only notes the signal when it comes. */
		uk_trace_note("ioctl(FIOASYNC): accepted, but uk sends no SIGIO (no signal-driven "
		              "I/O)");
		return 0;
	}
	uk_trace_note("ioctl: request %#lx is not supported on sockets", req);
	return -ENOTTY;
}

static int sock_fstat(struct uk_file *f, struct stat *st)
{
	uk_memset(st, 0, sizeof(*st));
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_ino = (unsigned long)f->priv >> 4;
	st->st_blksize = 4096;
	return 0;
}

static void sock_release(struct uk_file *f) { uk_sock_free(f->priv); }

static const struct uk_file_ops sock_ops = {
	.read = sock_read,
	.write = sock_write,
	.rwv = sock_rwv,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.fstat = sock_fstat,
	.release = sock_release,
};

int uk_file_is_socket(const struct uk_file *f) { return f->ops == &sock_ops; }

struct uk_sock *uk_sock_of(int fd, struct uk_file **fp)
{
	struct uk_file *f = uk_fd_get(fd);

	*fp = f;
	if (!f)
		return NULL;
	if (f->ops != &sock_ops) {
		uk_file_put(f);
		*fp = NULL;
		return (struct uk_sock *)-1;
	}
	return f->priv;
}

static int install(struct uk_sock *s, int flags)
{
	struct uk_file *f = uk_file_new(&sock_ops, O_RDWR | (flags & O_NONBLOCK), s);
	int fd;

	if (!f) {
		uk_sock_free(s);
		return -ENOMEM;
	}
	if ((fd = uk_fd_install(f, 0, !!(flags & O_CLOEXEC))) < 0)
		uk_file_put(f);
	return fd;
}

/* ---- transfers ---- */

static int nonblocking(struct uk_file *f, int flags)
{
	return (f->flags & O_NONBLOCK) || (flags & UK_MSG_DONTWAIT);
}

static int can_send(struct uk_sock *s)
{
	return (s->proto->poll(s) & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
}

static int can_recv(struct uk_sock *s)
{
	return (s->proto->poll(s) & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
}

/* Move (*i, *skip) n bytes further into iov. */
static void iov_advance(const struct iovec *iov, int cnt, int *i, size_t *skip, long n)
{
	while (*i < cnt && (size_t)n >= iov[*i].iov_len - *skip) {
		n -= (long)(iov[*i].iov_len - *skip);
		(*i)++;
		*skip = 0;
	}
	*skip += (size_t)n;
}

/* Send it all (blocking), or what fits (non-blocking), as Linux does; a
 * message (datagram, seqpacket) whole or not at all. SIGPIPE is not
 * raised: a write to a closed connection fails with EPIPE (as with
 * MSG_NOSIGNAL). */
static long do_send(struct uk_file *f, struct uk_sock *s, const struct iovec *iov, int cnt,
                    int flags, const struct uk_sockaddr *to, struct uk_scm *scm)
{
	long total = uk_iov_len(iov, cnt), done = 0, r;
	int nb = nonblocking(f, flags), i = 0;
	size_t skip = 0;

	if (total < 0)
		return total;
	struct iovec rest[cnt ? cnt : 1];
	enter(s);
	for (;;) {
		for (int k = i; k < cnt; k++) /* the part not sent yet */
			rest[k - i] = (struct iovec){ (char *)iov[k].iov_base + (k == i ? skip : 0),
				                      iov[k].iov_len - (k == i ? skip : 0) };
		r = s->proto->send(s, rest, cnt - i, flags, to, scm);
		if (r > 0) {
			done += r;
			iov_advance(iov, cnt, &i, &skip, r);
		}
		if ((r < 0 && r != -EAGAIN) || done == total ||
		    (s->type != UK_SOCK_STREAM && r != -EAGAIN))
			break;
		if ((r = uk_sock_wait(s, can_send, nb, s->sndtimeo)))
			break;
	}
	leave(s);
	return done ? done : r;
}

static long do_recv(struct uk_file *f, struct uk_sock *s, const struct iovec *iov, int cnt,
                    int flags, struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	long total = uk_iov_len(iov, cnt), r;
	int nb = nonblocking(f, flags);

	if (total < 0)
		return total;
	if (flags & UK_MSG_OOB)
		return -EINVAL; /* urgent data is not supported */
	if (flags & UK_MSG_ERRQUEUE)
		return -EAGAIN; /* nothing is ever queued there (socket_opt.c: IP_RECVERR) */
	enter(s);
	for (;;) {
		r = s->proto->recv(s, iov, cnt, flags, from, msg_flags, scm);
		if (r != -EAGAIN)
			break;
		if ((r = uk_sock_wait(s, can_recv, nb, s->rcvtimeo)))
			break;
	}
	leave(s);
	return r;
}

static long sock_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct iovec iov = { buf, len };

	(void)pos;
	return do_recv(f, f->priv, &iov, 1, 0, NULL, NULL, NULL);
}

static long sock_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct iovec iov = { (void *)buf, len };

	(void)pos;
	return do_send(f, f->priv, &iov, 1, 0, NULL, NULL);
}

/* readv/writev: the buffers as one message, as sendmsg/recvmsg take
 * them (a transfer per buffer split a datagram writev into several and
 * dropped the rest of one a readv's first buffer could not hold). */
static long sock_rwv(struct uk_file *f, const struct iovec *iov, int cnt, int wr)
{
	return wr ? do_send(f, f->priv, iov, cnt, 0, NULL, NULL)
	          : do_recv(f, f->priv, iov, cnt, 0, NULL, NULL, NULL);
}

/* ---- system calls ---- */

static int socket_args(int domain, int kind, int protocol)
{
	switch (domain) {
	case UK_AF_INET:
	case UK_AF_INET6:
		if (kind != UK_SOCK_STREAM && kind != UK_SOCK_DGRAM)
			return -ESOCKTNOSUPPORT;
		if (protocol && protocol != (kind == UK_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
			return -EPROTONOSUPPORT;
		return 0;
	case UK_AF_UNIX:
		if (kind != UK_SOCK_STREAM && kind != UK_SOCK_DGRAM && kind != UK_SOCK_SEQPACKET)
			return -ESOCKTNOSUPPORT;
		if (protocol && protocol != UK_AF_UNIX) /* Linux takes PF_UNIX too */
			return -EPROTONOSUPPORT;
		return 0;
	case UK_AF_NETLINK:
		if (kind != UK_SOCK_RAW && kind != UK_SOCK_DGRAM)
			return -ESOCKTNOSUPPORT;
		if (protocol) { /* NETLINK_ROUTE alone */
			uk_trace_note(
			    "socket: netlink protocol %d is not supported (NETLINK_ROUTE is)",
			    protocol);
			return -EPROTONOSUPPORT;
		}
		return 0;
	}
	uk_trace_note("socket: address family %d is not supported (AF_INET, AF_INET6, AF_UNIX, "
	              "AF_NETLINK are)",
	              domain);
	return -EAFNOSUPPORT;
}

UK_SYSCALL3(socket, int, domain, int, type, int, protocol)
{
	int kind = type & UK_SOCK_TYPE_MASK, flags = type & (O_NONBLOCK | O_CLOEXEC);
	struct uk_sock *s;
	int r;

	if (type & ~(UK_SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if ((r = socket_args(domain, kind, protocol)))
		return r;
	if (domain != UK_AF_UNIX && (r = uk_net_up()))
		return r;
	if (domain != UK_AF_UNIX)
		uk_net_enter();
	s = uk_sock_new(domain, kind);
	if (domain != UK_AF_UNIX)
		uk_net_leave();
	return s ? install(s, flags) : -ENOMEM;
}

UK_SYSCALL4(socketpair, int, domain, int, type, int, protocol, int *, sv)
{
	int kind = type & UK_SOCK_TYPE_MASK, flags = type & (O_NONBLOCK | O_CLOEXEC), r, fd0;
	struct uk_sock *a, *b;

	if (type & ~(UK_SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if ((r = socket_args(domain, kind, protocol)))
		return r;
	if (domain != UK_AF_UNIX)
		return -EOPNOTSUPP; /* as Linux: no pairs of TCP or UDP */
	if (!sv)
		return -EFAULT;
	if ((r = uk_unix_pair(kind, &a, &b)))
		return r;
	if ((fd0 = install(a, flags)) < 0) {
		uk_sock_free(b);
		return fd0;
	}
	if ((r = install(b, flags)) < 0) {
		uk_fd_close(fd0);
		return r;
	}
	sv[0] = fd0;
	sv[1] = r;
	return 0;
}

UK_SYSCALL3(bind, int, fd, const void *, addr, uint32_t, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a;
	int r;

	SOCK_GET(fd, s, f);
	if (!(r = addr_in(s, addr, len, &a))) {
		enter(s);
		r = s->proto->bind(s, &a);
		leave(s);
	}
	uk_file_put(f);
	return r;
}

/* Linux bounds the backlog by somaxconn (4096) as an unsigned number: a
 * negative one is the largest (php-fpm's default listen.backlog is -1),
 * 0 keeps one connection waiting. */
UK_SYSCALL2(listen, int, fd, int, backlog)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	SOCK_GET(fd, s, f);
	enter(s);
	r = s->proto->listen(s, (unsigned)backlog > UK_SOMAXCONN ? UK_SOMAXCONN : backlog);
	leave(s);
	uk_file_put(f);
	return r;
}

static int accept_ready(struct uk_sock *s) { return (s->proto->poll(s) & EPOLLIN) != 0; }

UK_SYSCALL4(accept4, int, fd, void *, addr, uint32_t *, len, int, flags)
{
	struct uk_file *f;
	struct uk_sock *s, *c = NULL;
	struct uk_sockaddr a;
	int r;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	SOCK_GET(fd, s, f);
	enter(s);
	while ((r = s->proto->accept(s, &c)) == -EAGAIN)
		if ((r = uk_sock_wait(s, accept_ready, nonblocking(f, 0), s->rcvtimeo)))
			break;
	if (!r && addr && len)
		c->proto->name(c, 1, &a);
	leave(s);
	uk_file_put(f);
	if (r)
		return r;
	if (addr && len && (r = addr_out(c, &a, addr, len, 0))) {
		uk_sock_free(c);
		return r;
	}
	return install(c, flags);
}

UK_SYSCALL3(accept, int, fd, void *, addr, uint32_t *, len)
{
	return uk_sys_accept4(fd, (long)addr, (long)len, 0, 0, 0);
}

static int connect_ready(struct uk_sock *s) { return s->proto->connected(s) != 0; }

/* A blocking connect waits: for the handshake (TCP: -EINPROGRESS), or
 * for room in the listener's backlog (AF_UNIX: -EAGAIN, which a
 * non-blocking one returns as Linux does). */
static int connect_wait(struct uk_file *f, struct uk_sock *s, int r)
{
	if (nonblocking(f, 0) || (r != -EINPROGRESS && (r != -EAGAIN || inet(s))))
		return r;
	r = uk_sock_wait(s, connect_ready, 0, s->sndtimeo);
	if (!r) {
		int c = s->proto->connected(s);
		if (c < 0) /* reported here, so no longer pending */
			s->err = 0, r = c;
	} else if (r == -EAGAIN) {
		r = inet(s) ? -ETIMEDOUT : -EAGAIN;
	}
	return r;
}

UK_SYSCALL3(connect, int, fd, const void *, addr, uint32_t, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a = { 0 };
	const struct sockaddr_in *sin = addr;
	int r;

	SOCK_GET(fd, s, f);
	if (s->type == UK_SOCK_DGRAM && addr && len >= 2 && sin->sin_family == UK_AF_UNSPEC)
		r = 0, a.unspec = 1; /* datagrams: dissolve the association */
	else if (!(r = peer_in(s, addr, len, &a, 0)) && s->family == UK_AF_UNIX && !a.len)
		r = -EINVAL; /* AF_UNIX: no name to connect to */
	enter(s);
	if (!r)
		r = connect_wait(f, s, s->proto->connect(s, &a));
	leave(s);
	uk_file_put(f);
	return r;
}

UK_SYSCALL6(sendto, int, fd, const void *, buf, size_t, len, int, flags, const void *, to, uint32_t,
            tolen)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct iovec iov = { (void *)buf, len };
	struct uk_sockaddr a;
	long r = 0;

	SOCK_GET(fd, s, f);
	if (to && s->type == UK_SOCK_DGRAM)
		r = peer_in(s, to, tolen, &a, 1);
	if (!r)
		r = do_send(f, s, &iov, 1, flags, to && s->type == UK_SOCK_DGRAM ? &a : NULL, NULL);
	uk_file_put(f);
	return r;
}

UK_SYSCALL6(recvfrom, int, fd, void *, buf, size_t, len, int, flags, void *, from, uint32_t *,
            fromlen)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct iovec iov = { buf, len };
	struct uk_sockaddr a = { 0 };
	long r;

	SOCK_GET(fd, s, f);
	r = do_recv(f, s, &iov, 1, flags, &a, NULL, NULL);
	if (r >= 0 && from && fromlen) {
		int e = inet(s) && s->type == UK_SOCK_STREAM ? s->proto->name(s, 1, &a) : 0;
		if (!e)
			e = addr_out(s, &a, from, fromlen, 1);
		if (e)
			r = e;
	}
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(sendmsg, int, fd, const struct uk_msghdr *, m, int, flags)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a;
	struct uk_scm scm = { 0 };
	long r = 0;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	SOCK_GET(fd, s, f);
	if (m->msg_name && s->type == UK_SOCK_DGRAM)
		r = peer_in(s, m->msg_name, m->msg_namelen, &a, 1);
	if (!r && s->family == UK_AF_UNIX) /* others ignore what they are given (IP_PKTINFO ...) */
		r = uk_cmsg_in(m, &scm);
	if (!r)
		r = do_send(f, s, m->msg_iov, (int)m->msg_iovlen, flags,
		            m->msg_name && s->type == UK_SOCK_DGRAM ? &a : NULL,
		            inet(s) ? NULL : &scm);
	uk_cmsg_drop(&scm); /* what was not sent */
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(recvmsg, int, fd, struct uk_msghdr *, m, int, flags)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a = { 0 };
	struct uk_scm scm = { 0 };
	long r;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	SOCK_GET(fd, s, f);
	m->msg_flags = 0;
	r = do_recv(f, s, m->msg_iov, (int)m->msg_iovlen, flags, &a, &m->msg_flags,
	            inet(s) && s->type != UK_SOCK_DGRAM ? NULL : &scm);
	if (r >= 0 && m->msg_name) {
		if (inet(s) && s->type == UK_SOCK_STREAM)
			m->msg_namelen = 0; /* as Linux: no address for TCP */
		else
			addr_out(s, &a, m->msg_name, &m->msg_namelen, 1);
	}
	if (r >= 0 && s->family == UK_AF_UNIX)
		uk_cmsg_out(m, &scm, s->opts & UK_SO_PASSCRED, flags & UK_MSG_CMSG_CLOEXEC);
	else if (r >= 0 && inet(s) && s->type == UK_SOCK_DGRAM)
		uk_cmsg_pktinfo_out(m, s, &scm);
	else
		m->msg_controllen = 0;
	uk_cmsg_drop(&scm);
	uk_file_put(f);
	return r;
}

struct uk_mmsghdr {
	struct uk_msghdr hdr;
	unsigned int len;
};

UK_SYSCALL4(sendmmsg, int, fd, struct uk_mmsghdr *, v, unsigned, n, int, flags)
{
	unsigned i;
	long r = 0;

	for (i = 0; i < n && i < UIO_MAXIOV; i++) {
		r = uk_sys_sendmsg(fd, (long)&v[i].hdr, flags, 0, 0, 0);
		if (r < 0)
			break;
		v[i].len = (unsigned)r;
	}
	return i ? (long)i : r;
}

UK_SYSCALL5(recvmmsg, int, fd, struct uk_mmsghdr *, v, unsigned, n, int, flags, void *, timeout)
{
	unsigned i;
	long r = 0;

	if (timeout)
		return -EOPNOTSUPP; /* the timeout form is not implemented */
	for (i = 0; i < n && i < UIO_MAXIOV; i++) {
		r = uk_sys_recvmsg(fd, (long)&v[i].hdr, i ? flags | UK_MSG_DONTWAIT : flags, 0, 0,
		                   0);
		if (r < 0)
			break;
		v[i].len = (unsigned)r;
	}
	return i ? (long)i : r;
}

UK_SYSCALL2(shutdown, int, fd, int, how)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	if (how < UK_SHUT_RD || how > UK_SHUT_RDWR)
		return -EINVAL;
	SOCK_GET(fd, s, f);
	enter(s);
	r = s->proto->shutdown(s, how);
	leave(s);
	uk_file_put(f);
	return r;
}

static int name_call(int fd, void *addr, uint32_t *len, int peer)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a;
	int r;

	SOCK_GET(fd, s, f);
	enter(s);
	r = s->proto->name(s, peer, &a);
	leave(s);
	if (!r)
		r = addr_out(s, &a, addr, len, 0);
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(getsockname, int, fd, void *, addr, uint32_t *, len)
{
	return name_call(fd, addr, len, 0);
}

UK_SYSCALL3(getpeername, int, fd, void *, addr, uint32_t *, len)
{
	return name_call(fd, addr, len, 1);
}
