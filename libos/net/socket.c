/*
 * Socket system calls and the file operations of sockets (see sock.h):
 * IPv4 TCP and UDP over lwIP. Addresses are struct sockaddr_in; other
 * families fail with EAFNOSUPPORT, which programs that try IPv6 first
 * take as the cue to use IPv4.
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

#include "sock.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010

/* ---- sockets ---- */

struct uk_sock *uk_sock_new(int type)
{
	struct uk_sock *s = uk_kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->proto = type == UK_SOCK_STREAM ? &uk_tcp_proto : &uk_udp_proto;
	if (s->proto->open(s)) {
		uk_kfree(s);
		return NULL;
	}
	return s;
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
		if (uk_net_pending()) { /* frames wait: handle them here, no wake-up */
			uk_net_poll();
			continue;
		}
		uk_net_leave(); /* kick the devices before sleeping */
		on = uk_irq_save();
		r = ready(s) ? 0 : uk_wq_wait(&s->wq, deadline);
		uk_irq_restore(on);
		uk_net_enter();
		if (r == -ETIMEDOUT)
			return -EAGAIN;
		if (r)
			return r;
	}
}

/* ---- addresses ---- */

static int addr_in(const void *uaddr, uint32_t len, struct uk_sockaddr *a)
{
	const struct sockaddr_in *sin = uaddr;

	if (!uaddr || len < sizeof(uint16_t)) /* sa_family_t */
		return -EINVAL;
	if (sin->sin_family != UK_AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(*sin))
		return -EINVAL;
	a->addr = sin->sin_addr.s_addr;
	a->port = sin->sin_port;
	return 0;
}

static int addr_out(const struct uk_sockaddr *a, void *uaddr, uint32_t *ulen)
{
	struct sockaddr_in sin = { .sin_family = UK_AF_INET,
		                   .sin_port = a->port,
		                   .sin_addr.s_addr = a->addr };

	if (!uaddr || !ulen)
		return 0;
	if ((int)*ulen < 0)
		return -EINVAL;
	uk_memcpy(uaddr, &sin, *ulen < sizeof(sin) ? *ulen : sizeof(sin));
	*ulen = sizeof(sin);
	return 0;
}

/* ---- file operations ---- */

static struct uk_sock *sock_of(int fd, struct uk_file **fp);

static long sock_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos);
static long sock_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos);

static unsigned sock_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct uk_sock *s = f->priv;
	unsigned mask;

	uk_net_enter();
	if (uk_net_pending())
		uk_net_poll();
	if (pt)
		uk_poll_wait(pt, &s->wq);
	mask = s->proto->poll(s);
	uk_net_leave();
	return mask;
}

static long sock_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct uk_sock *s = f->priv;
	long n;

	switch (req) {
	case FIONREAD:
		uk_net_enter();
		n = s->proto->nread(s);
		uk_net_leave();
		*(int *)arg = (int)n;
		return 0;
	case FIONBIO:
		if (*(int *)arg)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	}
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

static void sock_release(struct uk_file *f)
{
	struct uk_sock *s = f->priv;

	uk_net_enter();
	s->proto->close(s);
	uk_net_leave();
	uk_kfree(s);
}

static const struct uk_file_ops sock_ops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.fstat = sock_fstat,
	.release = sock_release,
};

static struct uk_sock *sock_of(int fd, struct uk_file **fp)
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

/* The socket behind fd (a reference held in *fp), or -EBADF/-ENOTSOCK. */
#define SOCK_GET(fd, s, f)                       \
	do {                                     \
		(s) = sock_of((fd), &(f));       \
		if (!(s))                        \
			return -EBADF;           \
		if ((s) == (struct uk_sock *)-1) \
			return -ENOTSOCK;        \
	} while (0)

static int install(struct uk_sock *s, int flags)
{
	struct uk_file *f = uk_file_new(&sock_ops, O_RDWR | (flags & O_NONBLOCK), s);
	int fd;

	if (!f) {
		s->proto->close(s);
		uk_kfree(s);
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

/* Send it all (blocking), or what fits (non-blocking), as Linux does.
 * SIGPIPE is not raised: a write to a closed connection fails with EPIPE
 * (as with MSG_NOSIGNAL). */
static long do_send(struct uk_file *f, struct uk_sock *s, const struct iovec *iov, int cnt,
                    int flags, const struct uk_sockaddr *to)
{
	long total = uk_iov_len(iov, cnt), done = 0, r;
	int nb = nonblocking(f, flags), i = 0;
	size_t skip = 0;

	if (total < 0)
		return total;
	struct iovec rest[cnt ? cnt : 1];
	uk_net_enter();
	for (;;) {
		for (int k = i; k < cnt; k++) /* the part not sent yet */
			rest[k - i] = (struct iovec){ (char *)iov[k].iov_base + (k == i ? skip : 0),
				                      iov[k].iov_len - (k == i ? skip : 0) };
		r = s->proto->send(s, rest, cnt - i, flags, to);
		if (r > 0) {
			done += r;
			iov_advance(iov, cnt, &i, &skip, r);
		}
		if ((r < 0 && r != -EAGAIN) || done == total || s->type == UK_SOCK_DGRAM)
			break;
		if ((r = uk_sock_wait(s, can_send, nb, s->sndtimeo)))
			break;
	}
	uk_net_leave();
	return done ? done : r;
}

static long do_recv(struct uk_file *f, struct uk_sock *s, const struct iovec *iov, int cnt,
                    int flags, struct uk_sockaddr *from, int *msg_flags)
{
	long total = uk_iov_len(iov, cnt), r;
	int nb = nonblocking(f, flags);

	if (total < 0)
		return total;
	if (flags & UK_MSG_OOB)
		return -EINVAL; /* urgent data is not supported */
	uk_net_enter();
	for (;;) {
		r = s->proto->recv(s, iov, cnt, flags, from, msg_flags);
		if (r != -EAGAIN)
			break;
		if ((r = uk_sock_wait(s, can_recv, nb, s->rcvtimeo)))
			break;
	}
	uk_net_leave();
	return r;
}

static long sock_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct iovec iov = { buf, len };

	(void)pos;
	return do_recv(f, f->priv, &iov, 1, 0, NULL, NULL);
}

static long sock_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct iovec iov = { (void *)buf, len };

	(void)pos;
	return do_send(f, f->priv, &iov, 1, 0, NULL);
}

/* ---- system calls ---- */

UK_SYSCALL3(socket, int, domain, int, type, int, protocol)
{
	int kind = type & UK_SOCK_TYPE_MASK, flags = 0;
	struct uk_sock *s;
	int r;

	if (domain != UK_AF_INET)
		return -EAFNOSUPPORT; /* IPv4 only; no AF_UNIX or AF_INET6 (yet) */
	if (type & ~(UK_SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (kind != UK_SOCK_STREAM && kind != UK_SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != (kind == UK_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	if ((r = uk_net_up()))
		return r;
	flags = type & (O_NONBLOCK | O_CLOEXEC);
	uk_net_enter();
	s = uk_sock_new(kind);
	uk_net_leave();
	return s ? install(s, flags) : -ENOMEM;
}

UK_SYSCALL4(socketpair, int, domain, int, type, int, protocol, int *, sv)
{
	/* AF_UNIX sockets are not implemented; AF_INET has no pairs. */
	return domain == UK_AF_UNIX ? -EAFNOSUPPORT : -EOPNOTSUPP;
}

UK_SYSCALL3(bind, int, fd, const void *, addr, uint32_t, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a;
	int r;

	SOCK_GET(fd, s, f);
	if (!(r = addr_in(addr, len, &a))) {
		uk_net_enter();
		r = s->proto->bind(s, &a);
		uk_net_leave();
	}
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(listen, int, fd, int, backlog)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	SOCK_GET(fd, s, f);
	uk_net_enter();
	r = s->proto->listen(s, backlog < 1 ? 1 : backlog > 4096 ? 4096 : backlog);
	uk_net_leave();
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
	uk_net_enter();
	while ((r = s->proto->accept(s, &c)) == -EAGAIN)
		if ((r = uk_sock_wait(s, accept_ready, nonblocking(f, 0), s->rcvtimeo)))
			break;
	if (!r && addr && len)
		c->proto->name(c, 1, &a);
	uk_net_leave();
	uk_file_put(f);
	if (r)
		return r;
	if (addr && len && (r = addr_out(&a, addr, len))) {
		c->proto->close(c);
		uk_kfree(c);
		return r;
	}
	return install(c, flags);
}

UK_SYSCALL3(accept, int, fd, void *, addr, uint32_t *, len)
{
	return uk_sys_accept4(fd, (long)addr, (long)len, 0, 0, 0);
}

static int connect_ready(struct uk_sock *s) { return s->proto->connected(s) != 0; }

UK_SYSCALL3(connect, int, fd, const void *, addr, uint32_t, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a = { 0 };
	const struct sockaddr_in *sin = addr;
	int r;

	SOCK_GET(fd, s, f);
	if (s->type == UK_SOCK_DGRAM && addr && len >= 2 && sin->sin_family == UK_AF_UNSPEC)
		a.addr = 0, r = 0; /* UDP: dissolve the association */
	else
		r = addr_in(addr, len, &a);
	uk_net_enter();
	if (!r)
		r = s->proto->connect(s, &a);
	if (r == -EINPROGRESS && !nonblocking(f, 0)) {
		r = uk_sock_wait(s, connect_ready, 0, s->sndtimeo);
		if (!r) {
			int c = s->proto->connected(s);
			if (c < 0) /* reported here, so no longer pending */
				s->err = 0, r = c;
		} else if (r == -EAGAIN) {
			r = -ETIMEDOUT;
		}
	}
	uk_net_leave();
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
		r = addr_in(to, tolen, &a);
	if (!r)
		r = do_send(f, s, &iov, 1, flags, to && s->type == UK_SOCK_DGRAM ? &a : NULL);
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
	r = do_recv(f, s, &iov, 1, flags, &a, NULL);
	if (r >= 0 && from && fromlen) {
		int e = s->type == UK_SOCK_STREAM ? s->proto->name(s, 1, &a) : 0;
		if (!e)
			e = addr_out(&a, from, fromlen);
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
	long r = 0;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	SOCK_GET(fd, s, f);
	if (m->msg_name && s->type == UK_SOCK_DGRAM)
		r = addr_in(m->msg_name, m->msg_namelen, &a);
	if (!r)
		r = do_send(f, s, m->msg_iov, (int)m->msg_iovlen, flags,
		            m->msg_name && s->type == UK_SOCK_DGRAM ? &a : NULL);
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(recvmsg, int, fd, struct uk_msghdr *, m, int, flags)
{
	struct uk_file *f;
	struct uk_sock *s;
	struct uk_sockaddr a = { 0 };
	long r;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	SOCK_GET(fd, s, f);
	m->msg_flags = 0;
	r = do_recv(f, s, m->msg_iov, (int)m->msg_iovlen, flags, &a, &m->msg_flags);
	if (r >= 0 && m->msg_name) {
		if (s->type == UK_SOCK_STREAM)
			m->msg_namelen = 0; /* as Linux: no address for stream sockets */
		else
			addr_out(&a, m->msg_name, &m->msg_namelen);
	}
	m->msg_controllen = 0;
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
	uk_net_enter();
	r = s->proto->shutdown(s, how);
	uk_net_leave();
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
	uk_net_enter();
	r = s->proto->name(s, peer, &a);
	uk_net_leave();
	uk_file_put(f);
	return r ? r : addr_out(&a, addr, len);
}

UK_SYSCALL3(getsockname, int, fd, void *, addr, uint32_t *, len)
{
	return name_call(fd, addr, len, 0);
}

UK_SYSCALL3(getpeername, int, fd, void *, addr, uint32_t *, len)
{
	return name_call(fd, addr, len, 1);
}

/* ---- options ---- */

static int opt_int(const void *val, uint32_t len, int *v)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	uk_memcpy(v, val, sizeof(int));
	return 0;
}

static int opt_timeout(const void *val, uint32_t len, uint64_t *ns)
{
	struct __kernel_old_timeval tv;

	if (!val || len < sizeof(tv))
		return -EINVAL;
	uk_memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000 || tv.tv_sec < 0)
		return -EDOM;
	*ns = (uint64_t)tv.tv_sec * 1000000000 + (uint64_t)tv.tv_usec * 1000;
	return 0;
}

static void set_flag(struct uk_sock *s, unsigned flag, int on)
{
	s->opts = on ? s->opts | flag : s->opts & ~flag;
}

static int sol_set(struct uk_sock *s, int name, const void *val, uint32_t len)
{
	struct uk_linger l;
	int v = 0, r = 0;

	switch (name) {
	case SO_RCVTIMEO_OLD: return opt_timeout(val, len, &s->rcvtimeo);
	case SO_SNDTIMEO_OLD: return opt_timeout(val, len, &s->sndtimeo);
	case SO_LINGER:
		if (!val || len < sizeof(l))
			return -EINVAL;
		uk_memcpy(&l, val, sizeof(l));
		set_flag(s, UK_SO_LINGER0, l.l_onoff && !l.l_linger);
		s->linger_secs = l.l_onoff ? l.l_linger : 0;
		return 0;
	}
	if ((r = opt_int(val, len, &v)))
		return r;
	switch (name) {
	case SO_REUSEADDR: set_flag(s, UK_SO_REUSEADDR, v); break;
	case SO_KEEPALIVE: set_flag(s, UK_SO_KEEPALIVE, v); break;
	case SO_BROADCAST: set_flag(s, UK_SO_BROADCAST, v); break;
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_RCVLOWAT:
	case SO_PRIORITY: return 0; /* advisory on Linux too (clamped); our sizes are fixed */
	default: return -ENOPROTOOPT;
	}
	/* Flags the PCB carries: the protocol applies them. */
	return s->proto->setopt(s, SOL_SOCKET, name, val, len);
}

static int put_int(void *val, uint32_t *len, int v)
{
	if (!val || !len || (int)*len < 0)
		return -EINVAL;
	uk_memcpy(val, &v, *len < sizeof(int) ? *len : sizeof(int));
	*len = *len < sizeof(int) ? *len : sizeof(int);
	return 0;
}

static int put_timeout(void *val, uint32_t *len, uint64_t ns)
{
	struct __kernel_old_timeval tv = { (long)(ns / 1000000000),
		                           (long)(ns % 1000000000 / 1000) };

	if (!val || !len || *len < sizeof(tv))
		return -EINVAL;
	uk_memcpy(val, &tv, sizeof(tv));
	*len = sizeof(tv);
	return 0;
}

static int sol_get(struct uk_sock *s, int name, void *val, uint32_t *len)
{
	int e;

	switch (name) {
	case SO_TYPE: return put_int(val, len, s->type);
	case SO_DOMAIN: return put_int(val, len, UK_AF_INET);
	case SO_PROTOCOL:
		return put_int(val, len, s->type == UK_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	case SO_ERROR:
		e = s->err;
		s->err = 0;
		return put_int(val, len, e);
	case SO_REUSEADDR: return put_int(val, len, !!(s->opts & UK_SO_REUSEADDR));
	case SO_KEEPALIVE: return put_int(val, len, !!(s->opts & UK_SO_KEEPALIVE));
	case SO_BROADCAST: return put_int(val, len, !!(s->opts & UK_SO_BROADCAST));
	case SO_RCVTIMEO_OLD: return put_timeout(val, len, s->rcvtimeo);
	case SO_SNDTIMEO_OLD: return put_timeout(val, len, s->sndtimeo);
	case SO_LINGER: {
		struct uk_linger l = { !!(s->opts & UK_SO_LINGER0) || s->linger_secs,
			               s->linger_secs };
		if (!val || !len || *len < sizeof(l))
			return -EINVAL;
		uk_memcpy(val, &l, sizeof(l));
		*len = sizeof(l);
		return 0;
	}
	}
	return s->proto->getopt(s, SOL_SOCKET, name, val, len);
}

UK_SYSCALL5(setsockopt, int, fd, int, level, int, name, const void *, val, uint32_t, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	SOCK_GET(fd, s, f);
	uk_net_enter();
	r = level == SOL_SOCKET ? sol_set(s, name, val, len)
	                        : s->proto->setopt(s, level, name, val, len);
	uk_net_leave();
	uk_file_put(f);
	return r;
}

UK_SYSCALL5(getsockopt, int, fd, int, level, int, name, void *, val, uint32_t *, len)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	SOCK_GET(fd, s, f);
	uk_net_enter();
	r = level == SOL_SOCKET ? sol_get(s, name, val, len)
	                        : s->proto->getopt(s, level, name, val, len);
	uk_net_leave();
	uk_file_put(f);
	return r;
}
