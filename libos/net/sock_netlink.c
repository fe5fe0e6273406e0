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
 * EOPNOTSUPP, named under --trace.
 *
 * Multicast groups (bind's nl_groups, NETLINK_ADD_MEMBERSHIP): any user
 * may join, as on Linux. A member of RTNLGRP_LINK, IPV4_IFADDR,
 * IPV4_ROUTE, IPV6_IFADDR or IPV6_ROUTE is told of what changes there
 * after the VM's start: IPv6 addresses becoming valid once their
 * duplicate detection is done or a router's advertisement brought a
 * prefix (seconds after the network came up), their loss, a DHCP address
 * coming late or changing, an interface going up or down. BIND's named
 * watches so and said "unable to open route socket" when joining was
 * refused. Nothing changes that the other groups would carry.
 */
#include <asm/socket.h>
#include <lwip/netif.h>
#include <lwip/priv/nd6_priv.h>
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
#define RTM_DELLINK 17
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_DELADDR 21
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_DELROUTE 25
#define RTM_GETROUTE 26
#define RTNLGRP_LINK 1
#define RTNLGRP_IPV4_IFADDR 5
#define RTNLGRP_IPV4_ROUTE 7
#define RTNLGRP_IPV6_IFADDR 9
#define RTNLGRP_IPV6_ROUTE 11
#define RTNLGRP_MAX 36 /* Linux 6.1's */
#define SOL_NETLINK 270
#define NETLINK_ADD_MEMBERSHIP 1
#define NETLINK_DROP_MEMBERSHIP 2
#define NETLINK_NO_ENOBUFS 5
#define NETLINK_LIST_MEMBERSHIPS 9
#define RTA_DST 1
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define RTA_PREFSRC 7
#define RTA_TABLE 15
#define RT_TABLE_MAIN 254
#define RTPROT_KERNEL 2
#define RTPROT_BOOT 3
#define RTPROT_RA 9
#define RTN_UNICAST 1
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_TXQLEN 13
#define IFLA_OPERSTATE 16
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_FLAGS 8
#define IF_OPER_UNKNOWN 0
#define IF_OPER_DOWN 2
#define IF_OPER_UP 6
#define IFA_F_DEPRECATED 0x20
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
	uint32_t port;   /* the socket's address (nl_pid) */
	uint64_t groups; /* joined: bit N-1 for group N */
	int overrun;     /* a notification was dropped: ENOBUFS once */
	int no_enobufs;  /* NETLINK_NO_ENOBUFS */
	struct uk_sock *sock;
	struct nl *next_member; /* on members while groups */
};

/* The sockets that joined a group. The library OS is never preempted
 * (sched.c), so the list needs no lock. */
static struct nl *members;

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

/* The interfaces by index, as Linux dumps them: lo (1) first. (lwIP's
 * list has the newest first; indexes are given in order from 1.) */
static struct netif *first(void) { return netif_get_by_index(1); }

static struct netif *next(const struct netif *nif)
{
	return netif_get_by_index((u8_t)(netif_get_index(nif) + 1));
}

static void link_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                     uint16_t flags)
{
	struct nlmsghdr *h = msg_begin(o, req, RTM_NEWLINK, flags, nl);
	struct ifinfomsg *i = put(o, sizeof(*i));
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6];
	uint8_t state = loopback(nif) ? IF_OPER_UNKNOWN /* (Linux's) */
	                : netif_is_up(nif) && netif_is_link_up(nif) ? IF_OPER_UP
	                                                            : IF_OPER_DOWN;
	char name[8];

	if (!i)
		return;
	i->index = netif_get_index(nif);
	i->type = (uint16_t)uk_net_if_type(nif);
	i->flags = uk_net_if_flags(nif);
	uk_net_ifname(nif, name, sizeof(name));
	attr(o, IFLA_IFNAME, name, (uint16_t)(uk_strlen(name) + 1));
	attr_u32(o, IFLA_MTU, uk_net_if_mtu(nif));
	attr_u32(o, IFLA_TXQLEN, UK_NET_IF_TXQLEN); /* (iproute2 asks SIOCGIFTXQLEN without) */
	attr(o, IFLA_OPERSTATE, &state, 1);
	if (!loopback(nif)) {
		attr(o, IFLA_ADDRESS, nif->hwaddr, nif->hwaddr_len);
		attr(o, IFLA_BROADCAST, bcast, sizeof(bcast));
	} else { /* Linux's lo: six zero bytes for either */
		attr(o, IFLA_ADDRESS, zero, sizeof(zero));
		attr(o, IFLA_BROADCAST, zero, sizeof(zero));
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

/* An IPv4 address a with netmask m on nif (RTM_NEWADDR or RTM_DELADDR). */
static void addr4_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                      uint16_t type, uint16_t flags, uint32_t a, uint32_t m)
{
	struct nlmsghdr *h;
	struct ifaddrmsg *i;
	char name[8];

	if (!a)
		return;
	h = msg_begin(o, req, type, flags, nl);
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

/* An IPv6 address of nif in lwIP's state (RTM_NEWADDR or RTM_DELADDR). */
static void addr6_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                      uint16_t type, uint16_t flags, const ip6_addr_t *a, uint8_t state)
{
	/* (lwIP's lo holds ::1 merely valid, which is its deprecated) */
	uint32_t f = IFA_F_PERMANENT |
	             (!loopback(nif) && ip6_addr_isdeprecated(state) ? IFA_F_DEPRECATED : 0);
	struct nlmsghdr *h = msg_begin(o, req, type, flags, nl);
	struct ifaddrmsg *i;

	if (!(i = put(o, sizeof(*i))))
		return;
	*i = (struct ifaddrmsg){ UK_AF_INET6, loopback(nif) ? 128 : 64, (uint8_t)f,
		                 ip6_addr_isloopback(a)    ? RT_SCOPE_HOST
		                 : ip6_addr_islinklocal(a) ? RT_SCOPE_LINK
		                                           : RT_SCOPE_UNIVERSE,
		                 netif_get_index(nif) };
	attr(o, IFA_ADDRESS, a->addr, 16);
	attr_u32(o, IFA_FLAGS, f);
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

	for (struct netif *nif = first(); nif; nif = next(nif)) {
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

	for (struct netif *nif = first(); nif; nif = next(nif)) {
		if (family == UK_AF_UNSPEC || family == UK_AF_INET)
			addr4_msg(o, req, nl, nif, RTM_NEWADDR, NLM_F_MULTI,
			          ip4_addr_get_u32(netif_ip4_addr(nif)),
			          ip4_addr_get_u32(netif_ip4_netmask(nif)));
		for (int k = 0; k < LWIP_IPV6_NUM_ADDRESSES; k++)
			if ((family == UK_AF_UNSPEC || family == UK_AF_INET6) &&
			    ip6_addr_isvalid(netif_ip6_addr_state(nif, k)))
				addr6_msg(o, req, nl, nif, RTM_NEWADDR, NLM_F_MULTI,
				          netif_ip6_addr(nif, k), netif_ip6_addr_state(nif, k));
	}
	status_msg(o, req, nl, NLMSG_DONE, 0);
}

static struct rtmsg *route_begin(struct out *o, struct nlmsghdr **h, const struct nlmsghdr *req,
                                 struct nl *nl, uint16_t type, uint16_t flags)
{
	struct rtmsg *r;

	*h = msg_begin(o, req, type, flags, nl);
	if ((r = put(o, sizeof(*r))))
		attr_u32(o, RTA_TABLE, RT_TABLE_MAIN);
	return r;
}

/* One IPv4 route of the main table: to dst/len (len 0: the default,
 * through gw), out of nif, from src. */
static void route4_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                       uint16_t type, uint16_t flags, uint32_t dst, int len, uint32_t gw,
                       uint32_t src)
{
	struct nlmsghdr *h;
	struct rtmsg *r = route_begin(o, &h, req, nl, type, flags);

	if (!r)
		return;
	*r = (struct rtmsg){ .family = UK_AF_INET,
		             .dst_len = (uint8_t)len,
		             .table = RT_TABLE_MAIN,
		             .protocol = len ? RTPROT_KERNEL : RTPROT_BOOT,
		             .scope = len ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
		             .type = RTN_UNICAST };
	if (len) {
		attr(o, RTA_DST, &dst, 4);
		attr(o, RTA_PREFSRC, &src, 4);
	} else {
		attr(o, RTA_GATEWAY, &gw, 4);
	}
	attr_u32(o, RTA_OIF, netif_get_index(nif));
	msg_end(o, h);
}

/* nif's IPv4 routes: its subnet, and the default one through its gateway
 * when nif is the default interface. */
static void routes4(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                    uint16_t type, uint16_t flags, uint32_t a, uint32_t m, uint32_t gw)
{
	if (loopback(nif) || !a)
		return;
	if (gw && nif == netif_default)
		route4_msg(o, req, nl, nif, type, flags, 0, 0, gw, 0);
	route4_msg(o, req, nl, nif, type, flags, a & m, prefix_len(m), 0, a);
}

static const ip6_addr_t *link_local_prefix(void)
{
	static ip6_addr_t p;

	IP6_ADDR(&p, PP_HTONL(0xfe800000ul), 0, 0, 0);
	return &p;
}

/* One IPv6 route of the main table: to dst/64 (NULL: the default,
 * through the router gw), out of nif, as Linux's own (the link-local
 * prefix) or a router advertisement's. */
static void route6_msg(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif,
                       uint16_t type, uint16_t flags, const ip6_addr_t *dst, const ip6_addr_t *gw,
                       uint8_t protocol)
{
	struct nlmsghdr *h;
	struct rtmsg *r = route_begin(o, &h, req, nl, type, flags);

	if (!r)
		return;
	*r = (struct rtmsg){ .family = UK_AF_INET6,
		             .dst_len = dst ? 64 : 0,
		             .table = RT_TABLE_MAIN,
		             .protocol = protocol,
		             .scope = RT_SCOPE_UNIVERSE,
		             .type = RTN_UNICAST };
	if (dst)
		attr(o, RTA_DST, dst->addr, 16);
	else
		attr(o, RTA_GATEWAY, gw->addr, 16);
	attr_u32(o, RTA_OIF, netif_get_index(nif));
	msg_end(o, h);
}

/* nif's IPv6 routes as lwIP's neighbour discovery holds them: fe80::/64
 * while the interface is up (as Linux's, before its link-local address
 * is valid), each on-link prefix a router advertised, the default route
 * through each router. */
static void routes6(struct out *o, const struct nlmsghdr *req, struct nl *nl, struct netif *nif)
{
	if (loopback(nif) || !netif_is_up(nif))
		return;
	for (int i = 0; i < LWIP_ND6_NUM_ROUTERS; i++) {
		const struct nd6_neighbor_cache_entry *n = default_router_list[i].neighbor_entry;
		if (n && n->netif == nif && default_router_list[i].invalidation_timer)
			route6_msg(o, req, nl, nif, RTM_NEWROUTE, NLM_F_MULTI, NULL,
			           &n->next_hop_address, RTPROT_RA);
	}
	route6_msg(o, req, nl, nif, RTM_NEWROUTE, NLM_F_MULTI, link_local_prefix(), NULL,
	           RTPROT_KERNEL);
	for (int i = 0; i < LWIP_ND6_NUM_PREFIXES; i++)
		if (prefix_list[i].netif == nif && prefix_list[i].invalidation_timer)
			route6_msg(o, req, nl, nif, RTM_NEWROUTE, NLM_F_MULTI,
			           &prefix_list[i].prefix, NULL, RTPROT_KERNEL);
}

/* RTM_GETROUTE, a dump: rtm_family AF_UNSPEC, AF_INET or AF_INET6. */
static void get_route(struct out *o, const struct nlmsghdr *req, struct nl *nl)
{
	const struct rtmsg *want = (const void *)(req + 1);
	int family = req->len >= sizeof(*req) + 1 ? want->family : UK_AF_UNSPEC;

	for (struct netif *nif = first(); nif; nif = next(nif))
		if (family == UK_AF_UNSPEC || family == UK_AF_INET)
			routes4(o, req, nl, nif, RTM_NEWROUTE, NLM_F_MULTI,
			        ip4_addr_get_u32(netif_ip4_addr(nif)),
			        ip4_addr_get_u32(netif_ip4_netmask(nif)),
			        ip4_addr_get_u32(netif_ip4_gw(nif)));
	for (struct netif *nif = first(); nif; nif = next(nif))
		if (family == UK_AF_UNSPEC || family == UK_AF_INET6)
			routes6(o, req, nl, nif);
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

/* ---- notifications to the groups ---- */

/* A notification is written as an answer to no request: sequence 0, port
 * 0, as the kernel's own messages to a group are. */
static const struct nlmsghdr no_request;
static struct nl kernel;

static int joined(const struct nl *nl, int group) { return nl->groups >> (group - 1) & 1; }

/* The message written in o queued on every member of group; a member
 * whose queue is full loses it and reads ENOBUFS once (unless it asked
 * NETLINK_NO_ENOBUFS), as on Linux. */
static void send_group(struct out *o, int group)
{
	if (o->full || !o->len)
		return;
	for (struct nl *nl = members; nl; nl = nl->next_member) {
		struct answer *a;

		if (!joined(nl, group))
			continue;
		if (nl->queued >= QUEUE_MAX || !(a = uk_kmalloc(sizeof(*a) + o->len))) {
			nl->overrun = !nl->no_enobufs;
			uk_sock_wake(nl->sock);
			continue;
		}
		a->len = o->len;
		a->next = NULL;
		uk_memcpy(a->data, o->buf, o->len);
		*(nl->head ? &nl->tail->next : &nl->head) = a;
		nl->tail = a;
		nl->queued++;
		uk_sock_wake(nl->sock);
	}
}

static int anyone(int group)
{
	for (struct nl *nl = members; nl; nl = nl->next_member)
		if (joined(nl, group))
			return 1;
	return 0;
}

#define OUT(o, buf) struct out o = { buf, 0, 0 }

static void ipv4_changed(struct netif *nif, netif_nsc_reason_t why,
                         const netif_ext_callback_args_t *args)
{
	const struct ipv4_changed_s *old = &args->ipv4_changed;
	uint32_t a = ip4_addr_get_u32(netif_ip4_addr(nif)),
	         m = ip4_addr_get_u32(netif_ip4_netmask(nif)),
	         gw = ip4_addr_get_u32(netif_ip4_gw(nif));
	uint32_t oa = why & LWIP_NSC_IPV4_ADDRESS_CHANGED
	                  ? ip4_addr_get_u32(ip_2_ip4(old->old_address))
	                  : a,
	         om = why & LWIP_NSC_IPV4_NETMASK_CHANGED
	                  ? ip4_addr_get_u32(ip_2_ip4(old->old_netmask))
	                  : m,
	         ogw = why & LWIP_NSC_IPV4_GATEWAY_CHANGED ? ip4_addr_get_u32(ip_2_ip4(old->old_gw))
	                                                   : gw;
	uint8_t buf[512];

	if (oa == a && om == m && ogw == gw)
		return;
	if (oa != a || om != m) {
		OUT(o, buf);
		addr4_msg(&o, &no_request, &kernel, nif, RTM_DELADDR, 0, oa, om);
		send_group(&o, RTNLGRP_IPV4_IFADDR);
		o = (struct out){ buf, 0, 0 };
		addr4_msg(&o, &no_request, &kernel, nif, RTM_NEWADDR, 0, a, m);
		send_group(&o, RTNLGRP_IPV4_IFADDR);
	}
	OUT(r, buf);
	routes4(&r, &no_request, &kernel, nif, RTM_DELROUTE, 0, oa, om, ogw);
	send_group(&r, RTNLGRP_IPV4_ROUTE);
	r = (struct out){ buf, 0, 0 };
	routes4(&r, &no_request, &kernel, nif, RTM_NEWROUTE, 0, a, m, gw);
	send_group(&r, RTNLGRP_IPV4_ROUTE);
}

/* An IPv6 address became valid, stopped being, or went from preferred
 * to deprecated: the address, and its /64 as a route. */
static void ipv6_changed(struct netif *nif, const netif_ext_callback_args_t *args)
{
	const struct ipv6_addr_state_changed_s *c = &args->ipv6_addr_state_changed;
	uint8_t state = netif_ip6_addr_state(nif, c->addr_index);
	int was = ip6_addr_isvalid(c->old_state) != 0, is = ip6_addr_isvalid(state) != 0;
	const ip6_addr_t *a = ip_2_ip6(c->address);
	ip6_addr_t prefix;
	uint8_t buf[256];

	if (!was && !is)
		return; /* tentative states: not listed until valid */
	if (was == is && ip6_addr_isdeprecated(c->old_state) == ip6_addr_isdeprecated(state))
		return;
	OUT(o, buf);
	addr6_msg(&o, &no_request, &kernel, nif, is ? RTM_NEWADDR : RTM_DELADDR, 0, a,
	          is ? state : c->old_state);
	send_group(&o, RTNLGRP_IPV6_IFADDR);
	if (was == is)
		return;
	IP6_ADDR(&prefix, a->addr[0], a->addr[1], 0, 0);
	o = (struct out){ buf, 0, 0 };
	route6_msg(&o, &no_request, &kernel, nif, is ? RTM_NEWROUTE : RTM_DELROUTE, 0, &prefix,
	           NULL, RTPROT_KERNEL);
	send_group(&o, RTNLGRP_IPV6_ROUTE);
}

/* lwIP's word of a change to an interface (in the network's context). */
static void changed(struct netif *nif, netif_nsc_reason_t why,
                    const netif_ext_callback_args_t *args)
{
	if (!members || loopback(nif))
		return;
	if ((why & (LWIP_NSC_LINK_CHANGED | LWIP_NSC_STATUS_CHANGED)) && anyone(RTNLGRP_LINK)) {
		uint8_t buf[256];
		OUT(o, buf);
		link_msg(&o, &no_request, &kernel, nif, 0);
		send_group(&o, RTNLGRP_LINK);
	}
	if (why & LWIP_NSC_IPV4_SETTINGS_CHANGED ||
	    why & (LWIP_NSC_IPV4_ADDRESS_CHANGED | LWIP_NSC_IPV4_NETMASK_CHANGED |
	           LWIP_NSC_IPV4_GATEWAY_CHANGED))
		ipv4_changed(nif, why, args);
	if (why & LWIP_NSC_IPV6_ADDR_STATE_CHANGED)
		ipv6_changed(nif, args);
}

/* The socket's groups become groups: on the members' list while any. */
static void set_groups(struct nl *nl, uint64_t groups)
{
	static netif_ext_callback_t cb;
	static int registered;

	if (groups && !nl->groups) {
		if (!registered) {
			netif_add_ext_callback(&cb, changed);
			registered = 1;
		}
		nl->next_member = members;
		members = nl;
	} else if (!groups && nl->groups) {
		struct nl **p = &members;
		while (*p != nl)
			p = &(*p)->next_member;
		*p = nl->next_member;
	}
	nl->groups = groups;
}

static int nl_open(struct uk_sock *s)
{
	struct nl *nl = uk_kzalloc(sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	nl->port = (uint32_t)uk_proc_cur->pid; /* Linux's first socket's */
	nl->sock = s;
	s->priv = nl;
	return 0;
}

static int nl_bind(struct uk_sock *s, const struct uk_sockaddr *a)
{
	struct nl *nl = s->priv;

	if (a->nl_pid)
		nl->port = a->nl_pid;
	/* bind's mask sets groups 1-32, leaving those joined by number */
	set_groups(nl, (nl->groups & ~0xffffffffull) | a->nl_groups);
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
	if (nl->overrun) {
		nl->overrun = 0;
		return -ENOBUFS;
	}
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
	struct nl *nl = s->priv;

	return EPOLLOUT | (nl->head || nl->overrun ? EPOLLIN : 0);
}

static int nl_name(struct uk_sock *s, int peer, struct uk_sockaddr *a)
{
	uk_memset(a, 0, sizeof(*a));
	a->nl_pid = peer ? 0 : ((struct nl *)s->priv)->port;
	a->nl_groups = peer ? 0 : (uint32_t)((struct nl *)s->priv)->groups;
	return 0;
}

/* SOL_SOCKET's buffer sizes are advisory. SOL_NETLINK: the groups by
 * number, NETLINK_NO_ENOBUFS; the others (extended acks, strict checking)
 * are not here: iproute2 goes on without them. */
static int nl_setopt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	struct nl *nl = s->priv;
	int v;

	if (level == SOL_SOCKET)
		return 0;
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	if (len < sizeof(int))
		return -EINVAL;
	uk_memcpy(&v, val, sizeof(v));
	switch (name) {
	case NETLINK_ADD_MEMBERSHIP:
	case NETLINK_DROP_MEMBERSHIP:
		if (v < 1 || v > RTNLGRP_MAX)
			return -EINVAL;
		set_groups(nl, name == NETLINK_ADD_MEMBERSHIP ? nl->groups | 1ull << (v - 1)
		                                              : nl->groups & ~(1ull << (v - 1)));
		return 0;
	case NETLINK_NO_ENOBUFS:
		nl->no_enobufs = v != 0;
		nl->overrun &= !nl->no_enobufs;
		return 0;
	}
	uk_trace_note("netlink: SOL_NETLINK option %d is not supported", name);
	return -ENOPROTOOPT;
}

/* SOL_NETLINK's NETLINK_LIST_MEMBERSHIPS and NETLINK_NO_ENOBUFS. */
static int nl_getopt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	struct nl *nl = s->priv;

	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	if (name == NETLINK_LIST_MEMBERSHIPS) {
		/* the mask in 32-bit words; the length needed told back */
		uint32_t w[2] = { (uint32_t)nl->groups, (uint32_t)(nl->groups >> 32) };
		uint32_t need = sizeof(w), n = *len < need ? *len & ~3u : need;

		uk_memcpy(val, w, n);
		*len = need;
		return 0;
	}
	if (name == NETLINK_NO_ENOBUFS)
		return uk_sockopt_put_int(val, len, nl->no_enobufs);
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

	set_groups(nl, 0);
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
