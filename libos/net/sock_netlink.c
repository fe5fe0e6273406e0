/*
 * AF_NETLINK sockets of the NETLINK_ROUTE family, enough to list the
 * interfaces, their addresses and the routes: RTM_GETLINK and
 * RTM_GETADDR, dumped or (a link) by index, and RTM_GETROUTE dumped (the
 * main table's IPv4 routes: each interface's subnet and the default
 * route through its gateway, as `ip route` shows a container's; etcd
 * finds its default host so). glibc's getifaddrs and if_nameindex, Go's
 * net.Interfaces, libuv's uv_interface_addresses (node's
 * os.networkInterfaces) and iproute2 ask so; unbound lists the interfaces
 * at start and ended with "getifaddrs: Address family not supported".
 *
 * A request is answered when it is sent: the answer is one datagram (the
 * NLM_F_MULTI messages and their NLMSG_DONE; two interfaces fit in one)
 * queued on the socket, read as Linux's are (MSG_PEEK, MSG_TRUNC). Other
 * requests get the NLMSG_ERROR Linux gives a type it has no handler for,
 * EOPNOTSUPP, named under --trace; nothing is ever sent to a group (no
 * notifications of changes: uk's interfaces do not change).
 */
#include <asm/socket.h>
#include <lwip/netif.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>

#include "net_impl.h"
#include "sock.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define QUEUE_MAX 8 /* answers not read yet; more requests: ENOBUFS */
#define ANSWER_MAX 8192

/* Linux's uapi (linux/netlink.h, linux/rtnetlink.h, linux/if.h). */
#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLM_F_MULTI 0x2
#define NLM_F_ACK 0x4
#define NLM_F_DUMP 0x300
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_GETROUTE 26
#define RTA_DST 1
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define RTA_PREFSRC 7
#define RTA_TABLE 15
#define RT_TABLE_MAIN 254
#define RTPROT_KERNEL 2
#define RTPROT_BOOT 3
#define RTN_UNICAST 1
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_OPERSTATE 16
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_FLAGS 8
#define IF_OPER_UP 6
#define IFA_F_PERMANENT 0x80
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254

struct nlmsghdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};

struct ifinfomsg {
	uint8_t family, pad;
	uint16_t type;
	int32_t index;
	uint32_t flags, change;
};

struct ifaddrmsg {
	uint8_t family, prefixlen, flags, scope;
	uint32_t index;
};

struct rtmsg {
	uint8_t family, dst_len, src_len, tos, table, protocol, scope, type;
	uint32_t flags;
};

struct rtattr {
	uint16_t len, type;
};

#define ALIGN4(n) (((n) + 3u) & ~3u)

struct answer {
	struct answer *next;
	uint32_t len;
	uint8_t data[];
};

struct nl {
	struct answer *head, *tail;
	int queued;
	uint32_t port; /* the socket's address (nl_pid) */
};

/* An answer being written: full marks one that outgrew ANSWER_MAX. */
struct out {
	uint8_t *buf;
	uint32_t len;
	int full;
};

static void *put(struct out *o, uint32_t n)
{
	void *p;

	if (o->full || o->len + ALIGN4(n) > ANSWER_MAX) {
		o->full = 1;
		return NULL;
	}
	p = o->buf + o->len;
	uk_memset(p, 0, ALIGN4(n));
	o->len += ALIGN4(n);
	return p;
}

/* A message's header, its length fixed by msg_end. */
static struct nlmsghdr *msg_begin(struct out *o, const struct nlmsghdr *req, uint16_t type,
                                  uint16_t flags, struct nl *nl)
{
	struct nlmsghdr *h = put(o, sizeof(*h));

	if (h)
		*h = (struct nlmsghdr){ 0, type, flags, req->seq, nl->port };
	return h;
}

static void msg_end(struct out *o, struct nlmsghdr *h)
{
	if (h && !o->full)
		h->len = (uint32_t)(o->buf + o->len - (uint8_t *)h);
}

static void attr(struct out *o, uint16_t type, const void *v, uint16_t n)
{
	struct rtattr *a = put(o, sizeof(*a) + n);

	if (!a)
		return;
	a->len = (uint16_t)(sizeof(*a) + n);
	a->type = type;
	uk_memcpy(a + 1, v, n);
}

static void attr_u32(struct out *o, uint16_t type, uint32_t v) { attr(o, type, &v, 4); }

static int loopback(const struct netif *nif) { return nif->name[0] == 'l'; }

static void link_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                     uint16_t flags)
{
	struct nlmsghdr *h = msg_begin(o, req, RTM_NEWLINK, flags, nl);
	struct ifinfomsg *i = put(o, sizeof(*i));
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t state = IF_OPER_UP;
	char name[8];

	if (!i)
		return;
	i->index = netif_get_index(nif);
	i->type = (uint16_t)uk_net_if_type(nif);
	i->flags = uk_net_if_flags(nif);
	uk_net_ifname(nif, name, sizeof(name));
	attr(o, IFLA_IFNAME, name, (uint16_t)(uk_strlen(name) + 1));
	attr_u32(o, IFLA_MTU, uk_net_if_mtu(nif));
	attr(o, IFLA_OPERSTATE, &state, 1);
	if (!loopback(nif)) {
		attr(o, IFLA_ADDRESS, nif->hwaddr, nif->hwaddr_len);
		attr(o, IFLA_BROADCAST, bcast, sizeof(bcast));
	} else {
		attr(o, IFLA_ADDRESS, bcast, 0);
	}
	msg_end(o, h);
}

static int prefix_len(uint32_t mask)
{
	int n = 0;

	for (mask = lwip_ntohl(mask); mask & 0x80000000u; mask <<= 1)
		n++;
	return n;
}

static void addr4_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif)
{
	uint32_t a = ip4_addr_get_u32(netif_ip4_addr(nif)),
	         m = ip4_addr_get_u32(netif_ip4_netmask(nif));
	struct nlmsghdr *h;
	struct ifaddrmsg *i;
	char name[8];

	if (!a)
		return;
	h = msg_begin(o, req, RTM_NEWADDR, NLM_F_MULTI, nl);
	if (!(i = put(o, sizeof(*i))))
		return;
	*i = (struct ifaddrmsg){ UK_AF_INET, (uint8_t)prefix_len(m), IFA_F_PERMANENT,
		                 loopback(nif) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
		                 netif_get_index(nif) };
	attr(o, IFA_ADDRESS, &a, 4);
	attr(o, IFA_LOCAL, &a, 4);
	if (!loopback(nif))
		attr_u32(o, IFA_BROADCAST, a | ~m);
	uk_net_ifname(nif, name, sizeof(name));
	attr(o, IFA_LABEL, name, (uint16_t)(uk_strlen(name) + 1));
	attr_u32(o, IFA_FLAGS, IFA_F_PERMANENT);
	msg_end(o, h);
}

static void addr6_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                      int k)
{
	const ip6_addr_t *a = netif_ip6_addr(nif, k);
	struct nlmsghdr *h;
	struct ifaddrmsg *i;

	if (!ip6_addr_isvalid(netif_ip6_addr_state(nif, k)))
		return;
	h = msg_begin(o, req, RTM_NEWADDR, NLM_F_MULTI, nl);
	if (!(i = put(o, sizeof(*i))))
		return;
	*i = (struct ifaddrmsg){ UK_AF_INET6, loopback(nif) ? 128 : 64, IFA_F_PERMANENT,
		                 ip6_addr_isloopback(a)    ? RT_SCOPE_HOST
		                 : ip6_addr_islinklocal(a) ? RT_SCOPE_LINK
		                                           : RT_SCOPE_UNIVERSE,
		                 netif_get_index(nif) };
	attr(o, IFA_ADDRESS, a->addr, 16);
	attr_u32(o, IFA_FLAGS, IFA_F_PERMANENT);
	msg_end(o, h);
}

/* NLMSG_DONE's or NLMSG_ERROR's message: an int, then (an error's) the
 * request's header. */
static void status_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, uint16_t type,
                       int err)
{
	struct nlmsghdr *h = msg_begin(o, req, type, type == NLMSG_DONE ? NLM_F_MULTI : 0, nl);
	int32_t *e = put(o, sizeof(*e));

	if (e)
		*e = err;
	if (type == NLMSG_ERROR && put(o, sizeof(*req)))
		uk_memcpy(e + 1, req, sizeof(*req));
	msg_end(o, h);
}

/* RTM_GETLINK: every interface (a dump), or the one of ifi_index. */
static void get_link(struct out *o, const struct nlmsghdr *req, struct nl *nl)
{
	const struct ifinfomsg *want = (const void *)(req + 1);
	int dump = (req->flags & NLM_F_DUMP) == NLM_F_DUMP;

	for (struct netif *nif = netif_list; nif; nif = nif->next) {
		if (dump)
			link_msg(o, req, nl, nif, NLM_F_MULTI);
		else if (req->len >= sizeof(*req) + sizeof(*want) &&
		         want->index == netif_get_index(nif)) {
			link_msg(o, req, nl, nif, 0);
			return;
		}
	}
	if (dump)
		status_msg(o, req, nl, NLMSG_DONE, 0);
	else
		status_msg(o, req, nl, NLMSG_ERROR, -ENODEV);
}

/* RTM_GETADDR, a dump: ifa_family AF_UNSPEC for both families. */
static void get_addr(struct out *o, const struct nlmsghdr *req, struct nl *nl)
{
	const struct ifaddrmsg *want = (const void *)(req + 1);
	int family = req->len >= sizeof(*req) + 1 ? want->family : UK_AF_UNSPEC;

	for (struct netif *nif = netif_list; nif; nif = nif->next) {
		if (family == UK_AF_UNSPEC || family == UK_AF_INET)
			addr4_msg(o, req, nl, nif);
		for (int k = 0; k < LWIP_IPV6_NUM_ADDRESSES; k++)
			if (family == UK_AF_UNSPEC || family == UK_AF_INET6)
				addr6_msg(o, req, nl, nif, k);
	}
	status_msg(o, req, nl, NLMSG_DONE, 0);
}

/* One IPv4 route of the main table: to dst/len (len 0: the default,
 * through gw), out of nif. */
static void route4_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                       uint32_t dst, int len, uint32_t gw)
{
	struct nlmsghdr *h = msg_begin(o, req, RTM_NEWROUTE, NLM_F_MULTI, nl);
	struct rtmsg *r = put(o, sizeof(*r));

	if (!r)
		return;
	*r = (struct rtmsg){ .family = UK_AF_INET,
		             .dst_len = (uint8_t)len,
		             .table = RT_TABLE_MAIN,
		             .protocol = len ? RTPROT_KERNEL : RTPROT_BOOT,
		             .scope = len ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
		             .type = RTN_UNICAST };
	attr_u32(o, RTA_TABLE, RT_TABLE_MAIN);
	if (len) {
		uint32_t src = ip4_addr_get_u32(netif_ip4_addr(nif));

		attr(o, RTA_DST, &dst, 4);
		attr(o, RTA_PREFSRC, &src, 4);
	} else {
		attr(o, RTA_GATEWAY, &gw, 4);
	}
	attr_u32(o, RTA_OIF, netif_get_index(nif));
	msg_end(o, h);
}

/* RTM_GETROUTE, a dump: rtm_family AF_UNSPEC or AF_INET (IPv6's routes,
 * a router's advertisements', are not listed: an AF_INET6 dump is
 * empty). */
static void get_route(struct out *o, const struct nlmsghdr *req, struct nl *nl)
{
	const struct rtmsg *want = (const void *)(req + 1);
	int family = req->len >= sizeof(*req) + 1 ? want->family : UK_AF_UNSPEC;

	for (struct netif *nif = netif_list; nif; nif = nif->next) {
		uint32_t a = ip4_addr_get_u32(netif_ip4_addr(nif)),
		         m = ip4_addr_get_u32(netif_ip4_netmask(nif)),
		         gw = ip4_addr_get_u32(netif_ip4_gw(nif));

		if (loopback(nif) || !a || (family != UK_AF_UNSPEC && family != UK_AF_INET))
			continue;
		if (gw && nif == netif_default)
			route4_msg(o, req, nl, nif, 0, 0, gw);
		route4_msg(o, req, nl, nif, a & m, prefix_len(m), 0);
	}
	status_msg(o, req, nl, NLMSG_DONE, 0);
}

static void answer(struct out *o, const struct nlmsghdr *req, struct nl *nl)
{
	if (req->type == RTM_GETLINK)
		get_link(o, req, nl);
	else if (req->type == RTM_GETADDR && (req->flags & NLM_F_DUMP))
		get_addr(o, req, nl);
	else if (req->type == RTM_GETROUTE && (req->flags & NLM_F_DUMP))
		get_route(o, req, nl);
	else if (req->type < RTM_NEWLINK) /* NOOP, ERROR, DONE, OVERRUN: ignored */
		return;
	else {
		uk_trace_note("netlink: request type %u is not supported (RTM_GETLINK, "
		              "RTM_GETADDR and RTM_GETROUTE dumps are)",
		              req->type);
		status_msg(o, req, nl, NLMSG_ERROR, -EOPNOTSUPP);
		return;
	}
	if ((req->flags & NLM_F_ACK) && !(req->flags & NLM_F_DUMP))
		status_msg(o, req, nl, NLMSG_ERROR, 0);
}

static int nl_open(struct uk_sock *s)
{
	struct nl *nl = uk_kzalloc(sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	nl->port = (uint32_t)uk_proc_cur->pid; /* Linux's first socket's */
	s->priv = nl;
	return 0;
}

static int nl_bind(struct uk_sock *s, const struct uk_sockaddr *a)
{
	struct nl *nl = s->priv;

	if (a->nl_groups) {
		uk_trace_note("netlink: no multicast groups (nothing changes to notify of)");
		return -EPERM;
	}
	if (a->nl_pid)
		nl->port = a->nl_pid;
	return 0;
}

static int nl_connect(struct uk_sock *s, const struct uk_sockaddr *a)
{
	(void)s;
	return a->nl_pid ? -ECONNREFUSED : 0; /* the kernel (0) alone */
}

static int nl_connected(struct uk_sock *s)
{
	(void)s;
	return 1;
}

/* Each request of the datagram is answered into one answer, queued. */
static long nl_send(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                    const struct uk_sockaddr *to, struct uk_scm *scm)
{
	struct nl *nl = s->priv;
	long len = uk_iov_len(iov, cnt);
	struct answer *ans;
	uint8_t *req;
	struct out o;

	(void)flags, (void)scm;
	if (len < 0)
		return len;
	if (to && to->nl_pid)
		return -ECONNREFUSED;
	if (nl->queued >= QUEUE_MAX)
		return -ENOBUFS;
	if (len > ANSWER_MAX || !(req = uk_kmalloc((size_t)len + 1)))
		return len > ANSWER_MAX ? -EMSGSIZE : -ENOMEM;
	if (!(ans = uk_kmalloc(sizeof(*ans) + ANSWER_MAX))) {
		uk_kfree(req);
		return -ENOMEM;
	}
	for (long off = 0, i = 0; i < cnt; off += (long)iov[i].iov_len, i++)
		uk_memcpy(req + off, iov[i].iov_base, iov[i].iov_len);
	o = (struct out){ ans->data, 0, 0 }; /* (lwIP's interfaces: the caller entered) */
	for (long off = 0; off + (long)sizeof(struct nlmsghdr) <= len;) {
		const struct nlmsghdr *h = (const void *)(req + off);
		if (h->len < sizeof(*h) || h->len > (uint64_t)(len - off))
			break;
		answer(&o, h, nl);
		off += ALIGN4(h->len);
	}
	uk_kfree(req);
	if (!o.len || o.full) {
		uk_kfree(ans);
		return o.full ? -ENOBUFS : len;
	}
	ans->len = o.len;
	ans->next = NULL;
	*(nl->head ? &nl->tail->next : &nl->head) = ans;
	nl->tail = ans;
	nl->queued++;
	uk_sock_wake(s);
	return len;
}

static long nl_recv(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                    struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	struct nl *nl = s->priv;
	struct answer *a = nl->head;
	uint32_t done = 0;

	(void)scm;
	if (!a)
		return -EAGAIN;
	for (int i = 0; i < cnt && done < a->len; i++) {
		uint32_t n =
		    a->len - done < iov[i].iov_len ? a->len - done : (uint32_t)iov[i].iov_len;
		uk_memcpy(iov[i].iov_base, a->data + done, n);
		done += n;
	}
	if (done < a->len && msg_flags)
		*msg_flags |= UK_MSG_TRUNC;
	if (from)
		uk_memset(from, 0, sizeof(*from)); /* from the kernel: port 0 */
	if (!(flags & UK_MSG_PEEK)) {
		nl->head = a->next;
		nl->queued--;
		done = (flags & UK_MSG_TRUNC) ? a->len : done;
		uk_kfree(a);
		return done;
	}
	return (flags & UK_MSG_TRUNC) ? a->len : done;
}

static int nl_shutdown(struct uk_sock *s, int how)
{
	(void)s, (void)how;
	return 0;
}

static unsigned nl_poll(struct uk_sock *s)
{
	return EPOLLOUT | (((struct nl *)s->priv)->head ? EPOLLIN : 0);
}

static int nl_name(struct uk_sock *s, int peer, struct uk_sockaddr *a)
{
	uk_memset(a, 0, sizeof(*a));
	a->nl_pid = peer ? 0 : ((struct nl *)s->priv)->port;
	return 0;
}

/* SOL_SOCKET's buffer sizes are advisory; SOL_NETLINK's (extended acks,
 * strict checking) are not here: iproute2 goes on without them. */
static int nl_setopt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	(void)s, (void)name, (void)val, (void)len;
	return level == SOL_SOCKET ? 0 : -ENOPROTOOPT;
}

static int nl_getopt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	(void)s, (void)level, (void)name, (void)val, (void)len;
	return -ENOPROTOOPT;
}

static long nl_nread(struct uk_sock *s)
{
	struct nl *nl = s->priv;

	return nl->head ? nl->head->len : 0;
}

static void nl_close(struct uk_sock *s)
{
	struct nl *nl = s->priv;

	while (nl->head) {
		struct answer *a = nl->head;
		nl->head = a->next;
		uk_kfree(a);
	}
	uk_kfree(nl);
}

static int nl_listen(struct uk_sock *s, int backlog)
{
	(void)s, (void)backlog;
	return -EOPNOTSUPP;
}

static int nl_accept(struct uk_sock *s, struct uk_sock **out)
{
	(void)s, (void)out;
	return -EOPNOTSUPP;
}

const struct uk_sock_proto uk_netlink_proto = {
	.open = nl_open,
	.bind = nl_bind,
	.listen = nl_listen,
	.accept = nl_accept,
	.connect = nl_connect,
	.connected = nl_connected,
	.send = nl_send,
	.recv = nl_recv,
	.shutdown = nl_shutdown,
	.poll = nl_poll,
	.name = nl_name,
	.setopt = nl_setopt,
	.getopt = nl_getopt,
	.nread = nl_nread,
	.close = nl_close,
};
