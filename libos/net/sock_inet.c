/*
 * Addresses of AF_INET and AF_INET6 sockets as lwIP holds them (see
 * sock.h). Dual stack, as Linux with net.ipv6.bindv6only 0: an AF_INET6
 * socket bound to :: also takes IPv4 connections and datagrams unless
 * IPV6_V6ONLY, and reaches and reports IPv4 peers as ::ffff:a.b.c.d.
 */
#include <lwip/ip6.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <uk/libc.h>

#include "sock.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
static const uint8_t unspecified[16];

void uk_inet_ip(const struct uk_sock *s, const struct uk_sockaddr *a, ip_addr_t *ip)
{
	uint32_t v4;

	if (!a->v6) {
		ip_addr_set_ip4_u32_val(*ip, a->addr);
		return;
	}
	if (!uk_memcmp(a->addr6, v4_mapped, sizeof(v4_mapped))) {
		uk_memcpy(&v4, a->addr6 + 12, 4);
		ip_addr_set_ip4_u32_val(*ip, v4);
		return;
	}
	if (!uk_memcmp(a->addr6, unspecified, 16) && !(s->opts & UK_SO_V6ONLY)) {
		ip_addr_copy(*ip, *IP_ANY_TYPE);
		return;
	}
	IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
	uk_memcpy(ip_2_ip6(ip)->addr, a->addr6, 16);
	/* A scope is an interface index, and lwIP's zones are too (lo 1, the
	 * devices from 2: if_nametoindex's numbers). Only a link-local
	 * address takes one: Linux ignores sin6_scope_id on others, which
	 * Java's NetworkInterface sets on every address (zoned, a connection
	 * to the VM's own fec0:: address left through eth0 instead of looping
	 * back, and Tomcat's wake-up of its acceptor never arrived). */
	ip6_addr_set_zone(ip_2_ip6(ip),
	                  a->scope <= 0xff && ip6_addr_has_scope(ip_2_ip6(ip), IP6_UNKNOWN)
	                      ? (u8_t)a->scope
	                      : IP6_NO_ZONE);
}

/* A peer at the unspecified address is the host itself, as Linux routes
 * it (0.0.0.0 to 127.0.0.1, :: to ::1), for TCP and UDP: etcd's HTTP
 * gateway dials its own listener at 0.0.0.0:2379. */
void uk_inet_peer_ip(const struct uk_sock *s, const struct uk_sockaddr *a, ip_addr_t *ip)
{
	uk_inet_ip(s, a, ip);
	if (ip_addr_isany(ip))
		ip_addr_set_loopback(!IP_IS_V4_VAL(*ip), ip);
}

void uk_inet_addr(const struct uk_sock *s, const ip_addr_t *ip, uint16_t port,
                  struct uk_sockaddr *a)
{
	a->port = lwip_htons(port);
	a->len = 0;
	if (s->family != UK_AF_INET6) {
		a->v6 = 0;
		a->addr = ip_2_ip4(ip)->addr;
		return;
	}
	a->v6 = 1;
	a->scope = 0;
	if (IP_IS_ANY_TYPE_VAL(*ip)) {
		uk_memset(a->addr6, 0, 16);
	} else if (IP_IS_V4(ip)) {
		uk_memcpy(a->addr6, v4_mapped, sizeof(v4_mapped));
		uk_memcpy(a->addr6 + 12, &ip_2_ip4(ip)->addr, 4);
	} else {
		uk_memcpy(a->addr6, ip_2_ip6(ip)->addr, 16);
		a->scope = ip6_addr_zone(ip_2_ip6(ip));
	}
}

int uk_inet_loopback(const ip_addr_t *ip)
{
	if (IP_IS_ANY_TYPE_VAL(*ip))
		return 0;
	return IP_IS_V4(ip) ? ip4_addr_isloopback(ip_2_ip4(ip)) : ip6_addr_isloopback(ip_2_ip6(ip));
}

/* lwIP sends every IPv6 packet out of the one interface there is when
 * there is one (ip6_route's shortcut): with no device (--net none) a SYN
 * to fec0::2 went round the loopback and the connect timed out after
 * 20 s, where Linux says ENETUNREACH at once. */
int uk_inet_unroutable(const ip_addr_t *ip)
{
	struct netif *nif;

	if (!IP_IS_V6(ip) || ip6_addr_isloopback(ip_2_ip6(ip)) || ip6_addr_isany(ip_2_ip6(ip)))
		return 0;
	if (!(nif = ip6_route(IP6_ADDR_ANY6, ip_2_ip6(ip))) || nif != netif_get_by_index(1))
		return 0; /* a device's route, or none (lwIP says so itself) */
	return netif_get_ip6_addr_match(nif, ip_2_ip6(ip)) < 0;
}
