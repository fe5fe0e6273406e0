/*
 * setsockopt and getsockopt: the options every socket has (SOL_SOCKET),
 * the rest by the protocol (see sock.h). An option not supported fails
 * with ENOPROTOOPT and says so under --trace, never a pretended success.
 */
#include <asm/socket.h>
#include <linux/time.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/syscall.h>

#include "sock.h"

int uk_sockopt_int(const void *val, uint32_t len, int *v)
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
	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	switch (name) {
	case SO_REUSEADDR: set_flag(s, UK_SO_REUSEADDR, v); break;
	case SO_REUSEPORT:
		/* Servers set it to run a listener per worker (nginx's
		 * reuseport): TCP listeners of one port share its connections
		 * (sock_tcp.c). UDP sockets may bind one port, but a datagram
		 * goes to one of them, not spread as by Linux's hash. */
		set_flag(s, UK_SO_REUSEPORT, v);
		if (v && s->type == UK_SOCK_DGRAM)
			uk_trace_note("setsockopt(SO_REUSEPORT): accepted; of UDP sockets bound "
			              "to one port, one gets the datagrams");
		break;
	case SO_KEEPALIVE: set_flag(s, UK_SO_KEEPALIVE, v); break;
	case SO_BROADCAST: set_flag(s, UK_SO_BROADCAST, v); break;
	case SO_PASSCRED:
		set_flag(s, UK_SO_PASSCRED, v); /* only AF_UNIX's messages carry them */
		return 0;
	case SO_SNDBUF:
	case SO_RCVBUF:
		if (s->family == UK_AF_UNIX) /* its sends are bounded by SO_SNDBUF */
			return s->proto->setopt(s, SOL_SOCKET, name, val, len);
		return 0; /* advisory on Linux too (clamped); lwIP's sizes are fixed */
	case SO_RCVLOWAT:
	case SO_PRIORITY: return 0; /* advisory on Linux too (clamped); our sizes are fixed */
	default: return -ENOPROTOOPT;
	}
	if (s->family == UK_AF_UNIX)
		return 0; /* as on Linux: recorded, nothing to apply */
	/* Flags the PCB carries: the protocol applies them. */
	return s->proto->setopt(s, SOL_SOCKET, name, val, len);
}

int uk_sockopt_put(void *val, uint32_t *len, const void *v, uint32_t size)
{
	if (!val || !len || (int)*len < 0)
		return -EINVAL;
	uk_memcpy(val, v, *len < size ? *len : size);
	*len = *len < size ? *len : size;
	return 0;
}

int uk_sockopt_put_int(void *val, uint32_t *len, int v)
{
	return uk_sockopt_put(val, len, &v, sizeof(v));
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
	case SO_TYPE: return uk_sockopt_put_int(val, len, s->type);
	case SO_DOMAIN: return uk_sockopt_put_int(val, len, s->family);
	case SO_PROTOCOL:
		if (s->family == UK_AF_UNIX)
			return uk_sockopt_put_int(val, len, 0);
		return uk_sockopt_put_int(val, len,
		                          s->type == UK_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	case SO_PASSCRED: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_PASSCRED));
	case SO_ERROR:
		e = s->err;
		s->err = 0;
		return uk_sockopt_put_int(val, len, e);
	case SO_REUSEADDR: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_REUSEADDR));
	case SO_REUSEPORT: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_REUSEPORT));
	case SO_KEEPALIVE: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_KEEPALIVE));
	case SO_BROADCAST: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_BROADCAST));
	case SO_RCVTIMEO_OLD: return put_timeout(val, len, s->rcvtimeo);
	case SO_SNDTIMEO_OLD: return put_timeout(val, len, s->sndtimeo);
	case SO_BINDTODEVICE:
		/* Setting it is refused, so no socket has a device: Linux's
		 * answer for one without, an empty name (sshd asks each
		 * connection's, for its routing domain, and logs an error) */
		if (!len)
			return -EINVAL;
		*len = 0;
		return 0;
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

/* IPV6_V6ONLY: an AF_INET6 socket bound to :: takes IPv4 too unless set
 * (Linux's net.ipv6.bindv6only 0); it counts at bind. */
static int set_v6only(struct uk_sock *s, const void *val, uint32_t len)
{
	int v, r;

	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	set_flag(s, UK_SO_V6ONLY, v);
	return 0;
}

/* IP_RECVERR / IPV6_RECVERR: on Linux, ICMP errors then also go to the
 * socket's error queue (MSG_ERRQUEUE). glibc's resolver turns it on for
 * every query and gives up when it fails. Recorded; lwIP reports ICMP
 * errors to no one, so the error queue stays empty (recvmsg with
 * MSG_ERRQUEUE: EAGAIN, as Linux's for an empty queue). */
static int inet(const struct uk_sock *s)
{
	return s->family == UK_AF_INET || s->family == UK_AF_INET6;
}

static int recverr(const struct uk_sock *s, int level, int name)
{
	return inet(s) && ((level == IPPROTO_IP && name == UK_IP_RECVERR) ||
	                   (level == UK_IPPROTO_IPV6 && name == UK_IPV6_RECVERR));
}

/* IP_MTU_DISCOVER / IPV6_MTU_DISCOVER: lwIP never sets Don't Fragment
 * and discovers no path MTU, which is what IP_PMTUDISC_DONT, _INTERFACE
 * and _OMIT ask (unbound asks OMIT of its UDP sockets and ended when it
 * failed). WANT (Linux's default), DO and PROBE are recorded, with the
 * difference under --trace; getsockopt reads the value back. */
#define PMTUDISC_WANT 1
#define PMTUDISC_PROBE 3
#define PMTUDISC_MAX 5

static int mtu_discover(const struct uk_sock *s, int level, int name)
{
	return inet(s) && ((level == IPPROTO_IP && name == UK_IP_MTU_DISCOVER) ||
	                   (level == UK_IPPROTO_IPV6 && name == UK_IPV6_MTU_DISCOVER));
}

static int set_mtu_discover(struct uk_sock *s, const void *val, uint32_t len)
{
	int v, r;

	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	if (v < 0 || v > PMTUDISC_MAX)
		return -EINVAL;
	s->pmtudisc = (uint8_t)(v + 1);
	if (v >= PMTUDISC_WANT && v <= PMTUDISC_PROBE)
		uk_trace_note("setsockopt: IP_MTU_DISCOVER %d recorded; lwIP sends without Don't "
		              "Fragment and discovers no path MTU",
		              v);
	return 0;
}

static int set_recverr(struct uk_sock *s, const void *val, uint32_t len)
{
	int v, r;

	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	set_flag(s, UK_SO_RECVERR, v);
	uk_trace_note("setsockopt: IP_RECVERR recorded; ICMP errors are not queued here");
	return 0;
}

/* IP_PKTINFO (any AF_INET or AF_INET6 socket, as Linux takes it) and
 * IPV6_RECVPKTINFO (AF_INET6): recvmsg then says where each datagram was
 * sent to (socket_cmsg.c); the flag bit of the option, else 0. */
static unsigned pktinfo(const struct uk_sock *s, int level, int name)
{
	if (inet(s) && level == IPPROTO_IP && name == UK_IP_PKTINFO)
		return UK_SO_PKTINFO;
	if (s->family == UK_AF_INET6 && level == UK_IPPROTO_IPV6 && name == UK_IPV6_RECVPKTINFO)
		return UK_SO_PKTINFO6;
	return 0;
}

static int set_pktinfo(struct uk_sock *s, unsigned flag, const void *val, uint32_t len)
{
	int v, r;

	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	set_flag(s, flag, v);
	return 0;
}

static int set_opt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	unsigned flag = pktinfo(s, level, name);

	if (flag)
		return set_pktinfo(s, flag, val, len);
	if (level == UK_IPPROTO_IPV6 && name == UK_IPV6_V6ONLY && s->family == UK_AF_INET6)
		return set_v6only(s, val, len);
	if (recverr(s, level, name))
		return set_recverr(s, val, len);
	if (mtu_discover(s, level, name))
		return set_mtu_discover(s, val, len);
	return level == SOL_SOCKET ? sol_set(s, name, val, len)
	                           : s->proto->setopt(s, level, name, val, len);
}

static int get_opt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	unsigned flag = pktinfo(s, level, name);

	if (flag)
		return uk_sockopt_put_int(val, len, !!(s->opts & flag));
	if (level == UK_IPPROTO_IPV6 && name == UK_IPV6_V6ONLY && s->family == UK_AF_INET6)
		return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_V6ONLY));
	if (recverr(s, level, name))
		return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_RECVERR));
	if (mtu_discover(s, level, name)) /* (0: never set, Linux's default) */
		return uk_sockopt_put_int(val, len, s->pmtudisc ? s->pmtudisc - 1 : PMTUDISC_WANT);
	return level == SOL_SOCKET ? sol_get(s, name, val, len)
	                           : s->proto->getopt(s, level, name, val, len);
}

/* setsockopt (len: the value's size) or, with get, getsockopt (lenp: in
 * and out, the guest's) under the socket's lock; options not handled here
 * are named by --trace. */
static long sock_opt(int get, int fd, int level, int name, void *val, uint32_t len, uint32_t *lenp)
{
	struct uk_file *f;
	struct uk_sock *s;
	int r;

	SOCK_GET(fd, s, f);
	uk_sock_enter(s);
	r = get ? get_opt(s, level, name, val, lenp) : set_opt(s, level, name, val, len);
	uk_sock_leave(s);
	uk_file_put(f);
	if (r == -ENOPROTOOPT || r == -EOPNOTSUPP)
		uk_trace_note("%s: option %d of level %d is not supported here",
		              get ? "getsockopt" : "setsockopt", name, level);
	return r;
}

UK_SYSCALL5(setsockopt, int, fd, int, level, int, name, const void *, val, uint32_t, len)
{
	return sock_opt(0, fd, level, name, (void *)val, len, NULL);
}

UK_SYSCALL5(getsockopt, int, fd, int, level, int, name, void *, val, uint32_t *, len)
{
	return sock_opt(1, fd, level, name, val, 0, len);
}
