/*
 * UDP sockets over lwIP's raw API (see sock.h). Datagrams wait in a queue
 * (at most UDP_QUEUE_MAX bytes; more are dropped, as a full socket buffer
 * drops them on Linux) with the address they came from.
 */
#include <asm/socket.h>
#include <lwip/ip.h>
#include <lwip/pbuf.h>
#include <lwip/udp.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>

#include "sock.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define UDP_QUEUE_MAX (256u << 10)
#define UDP_PAYLOAD_MAX 65507

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t from, to; /* to: its destination, for IP_PKTINFO */
	uint16_t port;
	uint8_t ifindex; /* the interface it came in by */
};

struct udp {
	struct dgram *head, *tail;
	size_t bytes;
	int connected;
	int shut_rd, shut_wr;
};

static inline struct udp *U(struct uk_sock *s) { return s->priv; }
static inline struct udp_pcb *P(struct uk_sock *s) { return s->pcb; }

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                    u16_t port)
{
	struct uk_sock *s = arg;
	struct udp *u = U(s);
	struct dgram *d;

	(void)pcb;
	if (u->shut_rd || u->bytes + p->tot_len > UDP_QUEUE_MAX || !(d = uk_kmalloc(sizeof(*d)))) {
		pbuf_free(p);
		return;
	}
	*d = (struct dgram){ .p = p, .port = port };
	ip_addr_copy(d->from, *addr);
	/* (lwIP's input globals: set while it delivers the datagram) */
	ip_addr_copy(d->to, *ip_current_dest_addr());
	d->ifindex = ip_current_input_netif() ? netif_get_index(ip_current_input_netif()) : 0;
	if (u->tail)
		u->tail->next = d;
	else
		u->head = d;
	u->tail = d;
	u->bytes += p->tot_len;
	uk_sock_wake(s);
}

static int udp_open(struct uk_sock *s)
{
	struct udp_pcb *pcb;

	if (!(s->priv = uk_kzalloc(sizeof(struct udp))))
		return -ENOMEM;
	if (!(pcb = udp_new_ip_type(s->family == UK_AF_INET6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4))) {
		uk_kfree(s->priv);
		return -ENOMEM;
	}
	s->pcb = pcb;
	udp_recv(pcb, on_recv, s);
	return 0;
}

static int udp_do_bind(struct uk_sock *s, const struct uk_sockaddr *a)
{
	ip_addr_t ip;

	uk_inet_ip(s, a, &ip);
	if (P(s)->local_port)
		return -EINVAL;
	if (s->opts & UK_SO_REUSE)
		ip_set_option(P(s), SOF_REUSEADDR);
	return uk_sock_errno(udp_bind(P(s), &ip, lwip_ntohs(a->port)));
}

static int udp_do_listen(struct uk_sock *s, int backlog) { return -EOPNOTSUPP; }
static int udp_do_accept(struct uk_sock *s, struct uk_sock **out) { return -EOPNOTSUPP; }

/* Whether an AF_INET6 socket may not reach ip, as Linux answers: bound to
 * an IPv6 address it reaches no IPv4 peer; bound or connected to IPv4 no
 * IPv6 one. */
static int udp_family_mixed(struct uk_sock *s, const ip_addr_t *ip)
{
	const struct udp_pcb *pcb = P(s);

	if (s->family != UK_AF_INET6)
		return 0;
	if (!ip_addr_isany(&pcb->local_ip))
		return IP_GET_TYPE(&pcb->local_ip) != IP_GET_TYPE(ip);
	return U(s)->connected && IP_IS_V4(&pcb->remote_ip) && IP_IS_V6(ip);
}

static int udp_do_connect(struct uk_sock *s, const struct uk_sockaddr *a)
{
	ip_addr_t ip;

	uk_inet_peer_ip(s, a, &ip);
	if (!a->unspec && udp_family_mixed(s, &ip))
		return -EAFNOSUPPORT;
	if (a->unspec) { /* AF_UNSPEC: dissolve (0.0.0.0 port 0 is an address) */
		udp_disconnect(P(s));
		U(s)->connected = 0;
		return 0;
	}
	if (uk_inet_unroutable(&ip))
		return -ENETUNREACH;
	if (!P(s)->local_port) {
		struct uk_sockaddr a_any = { .v6 = s->family == UK_AF_INET6 };
		ip_addr_t any;
		int r;
		uk_inet_ip(s, &a_any, &any);
		r = uk_sock_errno(udp_bind(P(s), &any, 0));
		if (r)
			return r;
	}
	U(s)->connected = 1;
	return uk_sock_errno(udp_connect(P(s), &ip, lwip_ntohs(a->port)));
}

static int udp_connected(struct uk_sock *s) { return 1; }

/* Whether a datagram to ip:port would find no socket in this VM, ip
 * being one of its own addresses (lwIP's udp_input answers it with an
 * ICMP port unreachable that it tells no socket of). */
static int udp_refused(const ip_addr_t *ip, u16_t port)
{
	struct netif *nif;
	int local = ip_addr_isloopback(ip);

	NETIF_FOREACH(nif)
	{
		if (IP_IS_V4(ip) && ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(nif)))
			local = 1;
	}
	if (!local)
		return 0;
	for (struct udp_pcb *pcb = udp_pcbs; pcb; pcb = pcb->next)
		if (pcb->local_port == port &&
		    (ip_addr_isany(&pcb->local_ip) || ip_addr_cmp(&pcb->local_ip, ip)))
			return 0;
	return 1;
}

static long udp_do_send(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                        const struct uk_sockaddr *to, struct uk_scm *scm)
{
	long len = uk_iov_len(iov, cnt);
	struct pbuf *p;
	size_t off = 0;
	err_t err;

	if (U(s)->shut_wr)
		return -EPIPE;
	if (s->err) { /* an earlier datagram's refusal, reported once */
		long e = -s->err;
		s->err = 0;
		return e;
	}
	if (!to && !U(s)->connected)
		return -EDESTADDRREQ;
	if (len > UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (!(p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM)))
		return -ENOBUFS;
	for (int i = 0; i < cnt; i++) {
		pbuf_take_at(p, iov[i].iov_base, (u16_t)iov[i].iov_len, (u16_t)off);
		off += iov[i].iov_len;
	}
	if (to) {
		ip_addr_t ip;
		uk_inet_peer_ip(s, to, &ip);
		u32_t v4 = ip_2_ip4(&ip)->addr;
		int bcast = IP_IS_V4(&ip) &&
		            (v4 == IPADDR_BROADCAST ||
		             (netif_default && ip4_addr_isbroadcast_u32(v4, netif_default)));
		if (bcast && !(s->opts & UK_SO_BROADCAST)) {
			pbuf_free(p);
			return -EACCES; /* as Linux without SO_BROADCAST */
		}
		if (uk_inet_unroutable(&ip)) {
			pbuf_free(p);
			return -ENETUNREACH;
		}
		err = udp_sendto(P(s), p, &ip, lwip_ntohs(to->port));
	} else {
		err = udp_send(P(s), p);
	}
	pbuf_free(p);
	/* A connected socket hears that its peer, in this VM, has no socket:
	 * Linux's ECONNREFUSED from the ICMP port unreachable (glibc's
	 * resolver moves on at once; without it a name server missing at
	 * 127.0.0.1 cost each look-up 5 s a try) */
	if (err == ERR_OK && !to && udp_refused(&P(s)->remote_ip, P(s)->remote_port)) {
		s->err = ECONNREFUSED;
		uk_sock_wake(s);
	}
	return err == ERR_OK ? len : uk_sock_errno(err);
}

/* Where d was sent to, for recvmsg's IP_PKTINFO and IPV6_PKTINFO. */
static void dgram_dst(const struct dgram *d, struct uk_scm *scm)
{
	scm->ifindex = d->ifindex;
	scm->dst_v6 = IP_IS_V6(&d->to);
	if (scm->dst_v6)
		uk_memcpy(scm->dst6, ip_2_ip6(&d->to)->addr, 16);
	else
		scm->dst4 = ip_2_ip4(&d->to)->addr;
}

static long udp_do_recv(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                        struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	struct udp *u = U(s);
	struct dgram *d = u->head;
	size_t off = 0;
	u16_t len;

	if (!d && s->err) {
		long e = -s->err;
		s->err = 0;
		return e;
	}
	if (!d)
		return u->shut_rd ? 0 : -EAGAIN;
	len = d->p->tot_len;
	for (int i = 0; i < cnt && off < len; i++) {
		u16_t n =
		    (u16_t)(iov[i].iov_len < (size_t)(len - off) ? iov[i].iov_len : len - off);
		pbuf_copy_partial(d->p, iov[i].iov_base, n, (u16_t)off);
		off += n;
	}
	if (from)
		uk_inet_addr(s, &d->from, d->port, from);
	if (scm)
		dgram_dst(d, scm);
	if (off < len && msg_flags)
		*msg_flags |= UK_MSG_TRUNC;
	if (!(flags & UK_MSG_PEEK)) {
		u->head = d->next;
		if (!u->head)
			u->tail = NULL;
		u->bytes -= len;
		pbuf_free(d->p);
		uk_kfree(d);
	}
	return (flags & UK_MSG_TRUNC) ? (long)len : (long)off;
}

static int udp_do_shutdown(struct uk_sock *s, int how)
{
	if (!U(s)->connected)
		return -ENOTCONN;
	if (how != UK_SHUT_WR)
		U(s)->shut_rd = 1;
	if (how != UK_SHUT_RD)
		U(s)->shut_wr = 1;
	uk_sock_wake(s);
	return 0;
}

static unsigned udp_do_poll(struct uk_sock *s)
{
	return (U(s)->head || U(s)->shut_rd ? EPOLLIN : 0) | EPOLLOUT | (s->err ? EPOLLERR : 0);
}

/* A connected socket bound to any address names the source its peer's
 * route gives, as Linux's does: glibc's getaddrinfo sorts its answers by
 * it. */
static int udp_name(struct uk_sock *s, int peer, struct uk_sockaddr *a)
{
	const ip_addr_t *ip = peer ? &P(s)->remote_ip : &P(s)->local_ip;
	struct netif *nif;

	if (peer && !U(s)->connected)
		return -ENOTCONN;
	if (!peer && U(s)->connected && ip_addr_isany(ip)) {
		const ip_addr_t *src = (nif = ip_route(IP_ANY_TYPE, &P(s)->remote_ip))
		                           ? ip_netif_get_local_ip(nif, &P(s)->remote_ip)
		                           : NULL;
		if (src && !ip_addr_isany(src))
			ip = src;
		else if (IP_IS_V4(&P(s)->remote_ip))
			ip = IP4_ADDR_ANY; /* an IPv4 peer: an IPv4 (or mapped) source */
	}
	uk_inet_addr(s, ip, peer ? P(s)->remote_port : P(s)->local_port, a);
	return 0;
}

static int udp_setopt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	int v, r;

	if (level == SOL_SOCKET) {
		if ((name == SO_REUSEADDR || name == SO_REUSEPORT))
			(s->opts & UK_SO_REUSE) ? ip_set_option(P(s), SOF_REUSEADDR)
			                        : ip_reset_option(P(s), SOF_REUSEADDR);
		return 0;
	}
	if (level != IPPROTO_IP || (name != IP_TOS && name != IP_TTL))
		return -ENOPROTOOPT;
	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	if (v < 0 || v > 255)
		return -EINVAL;
	if (name == IP_TOS)
		P(s)->tos = (u8_t)v;
	else
		P(s)->ttl = (u8_t)v;
	return 0;
}

static int udp_getopt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	int v;

	if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF))
		v = (int)UDP_QUEUE_MAX;
	else if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
		v = 0;
	else if (level == IPPROTO_IP && name == IP_TOS)
		v = P(s)->tos;
	else if (level == IPPROTO_IP && name == IP_TTL)
		v = P(s)->ttl;
	else
		return -ENOPROTOOPT;
	if (!val || !len || *len < sizeof(int))
		return -EINVAL;
	uk_memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

/* FIONREAD on a datagram socket: the size of the next datagram. */
static long udp_nread(struct uk_sock *s) { return U(s)->head ? U(s)->head->p->tot_len : 0; }

static void udp_do_close(struct uk_sock *s)
{
	struct udp *u = U(s);

	udp_remove(P(s));
	s->pcb = NULL;
	while (u->head) {
		struct dgram *d = u->head;
		u->head = d->next;
		pbuf_free(d->p);
		uk_kfree(d);
	}
	uk_kfree(u);
	s->priv = NULL;
}

const struct uk_sock_proto uk_udp_proto = {
	.open = udp_open,
	.bind = udp_do_bind,
	.listen = udp_do_listen,
	.accept = udp_do_accept,
	.connect = udp_do_connect,
	.connected = udp_connected,
	.send = udp_do_send,
	.recv = udp_do_recv,
	.shutdown = udp_do_shutdown,
	.poll = udp_do_poll,
	.name = udp_name,
	.setopt = udp_setopt,
	.getopt = udp_getopt,
	.nread = udp_nread,
	.close = udp_do_close,
};
