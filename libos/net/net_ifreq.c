/*
 * The interfaces as ioctls show them (net_impl.h): by name and index,
 * their list with IPv4 addresses (SIOCGIFCONF), each one's flags,
 * addresses, MTU, transmit queue length and hardware address (SIOCGIF*: what Java's
 * NetworkInterface asks), and an address's entry in an interface's ARP
 * cache (SIOCGARP), with Linux's structs and errors (net/core/dev_ioctl.c,
 * net/ipv4/devinet.c, net/ipv4/arp.c).
 */
#include <lwip/etharp.h>
#include <lwip/netif.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/net.h>

#include "net_impl.h"
#include "sock.h"

/* struct ifreq of x86-64 Linux (40 bytes): a name, then (here) an
 * index, flags, an MTU, an address or a hardware address. */
struct uk_ifreq {
	char name[16];
	union {
		int32_t index;
		int16_t flags;
		int32_t mtu;
		struct {
			uint16_t family, port;
			uint32_t addr;
		} in;
		struct {
			uint16_t family;
			uint8_t data[14];
		} hw;
		char pad[24];
	};
};

/* struct ifconf: a length, then (8-byte aligned) the caller's buffer. */
struct uk_ifconf {
	int32_t len;
	char *buf;
};

/* struct arpreq: the protocol and hardware addresses as struct
 * sockaddrs, flags, a netmask, the device's name. */
struct uk_arpreq {
	struct {
		uint16_t family, port;
		uint32_t addr;
		char zero[8];
	} pa;
	struct {
		uint16_t family;
		uint8_t data[14];
	} ha;
	int32_t flags;
	char netmask[16];
	char dev[16];
};

#define ATF_COM 0x02 /* a complete entry */

static int loopback(const struct netif *nif) { return nif->name[0] == 'l'; }

unsigned uk_net_if_flags(const struct netif *nif)
{
	return (netif_is_up(nif) ? IFF_UP | IFF_RUNNING | IFF_LOWER_UP : 0) |
	       (loopback(nif) ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST);
}

unsigned uk_net_if_mtu(const struct netif *nif) { return loopback(nif) ? 65536 : nif->mtu; }

unsigned uk_net_if_type(const struct netif *nif)
{
	return loopback(nif) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
}

/* SIOCGIFFLAGS and the others that name an interface: ENODEV for a name
 * that is none; EADDRNOTAVAIL for an address it does not have (an
 * interface without IPv4 yet), as Linux's devinet_ioctl. */
static long if_get(unsigned long req, struct uk_ifreq *r)
{
	char name[16];
	struct netif *nif;
	uint32_t a, m;
	int index;
	long err = 0;

	uk_memcpy(name, r->name, sizeof(name));
	name[15] = 0;
	if ((index = uk_net_ifindex(name)) < 0)
		return index;
	uk_net_enter();
	nif = netif_get_by_index((u8_t)index);
	a = ip4_addr_get_u32(netif_ip4_addr(nif));
	m = ip4_addr_get_u32(netif_ip4_netmask(nif));
	uk_memset(r->pad, 0, sizeof(r->pad));
	switch (req) {
	case UK_SIOCGIFFLAGS: r->flags = (int16_t)uk_net_if_flags(nif); break;
	case UK_SIOCGIFMTU: r->mtu = (int32_t)uk_net_if_mtu(nif); break;
	case UK_SIOCGIFTXQLEN: r->index = UK_NET_IF_TXQLEN; break; /* (ifr_qlen) */
	case UK_SIOCGIFHWADDR:
		r->hw.family = (uint16_t)uk_net_if_type(nif);
		if (!loopback(nif))
			uk_memcpy(r->hw.data, nif->hwaddr, nif->hwaddr_len);
		break;
	default: /* the IPv4 ones */
		if (!a) {
			err = -EADDRNOTAVAIL;
			break;
		}
		r->in.family = UK_AF_INET;
		/* (lo has no broadcast address: 0.0.0.0, as Linux's) */
		r->in.addr = req == UK_SIOCGIFADDR      ? a
		             : req == UK_SIOCGIFNETMASK ? m
		             : loopback(nif)            ? 0
		                                        : (a | ~m);
	}
	uk_net_leave();
	return err;
}

static long ifname_ioctl(unsigned long req, struct uk_ifreq *r)
{
	char name[16];
	int i;

	if (req == UK_SIOCGIFNAME) {
		if ((i = uk_net_ifname_of(r->index, name, sizeof(name))))
			return i;
		uk_memcpy(r->name, name, sizeof(name));
		return 0;
	}
	uk_memcpy(name, r->name, sizeof(name));
	name[15] = 0;
	if ((i = uk_net_ifindex(name)) < 0)
		return i;
	r->index = i;
	return 0;
}

/* An ifreq for each interface with an IPv4 address, by index (lo first,
 * as Linux lists them); whole entries as far as the buffer goes, none
 * (the length needed) without one. */
static long ifconf(struct uk_ifconf *c)
{
	long done = 0;
	struct netif *nif;

	uk_net_enter();
	for (u8_t i = 1; (nif = netif_get_by_index(i)); i++) {
		struct uk_ifreq r = { 0 };

		if (ip4_addr_isany_val(*netif_ip4_addr(nif)))
			continue;
		if (c->buf && done + (long)sizeof(r) > c->len)
			break;
		if (c->buf) {
			uk_net_ifname(nif, r.name, sizeof(r.name));
			r.in.family = UK_AF_INET;
			r.in.addr = ip4_addr_get_u32(netif_ip4_addr(nif));
			uk_memcpy(c->buf + done, &r, sizeof(r));
		}
		done += (long)sizeof(r);
	}
	uk_net_leave();
	c->len = (int32_t)done;
	return 0;
}

/* Linux asks for a device by name (ENODEV without one) and answers from
 * its neighbour table: ENXIO when the address has no complete entry there
 * (lo keeps none). Reading it needs no privilege. */
static long arp_get(struct uk_arpreq *r)
{
	char name[16];
	struct eth_addr *eth;
	const ip4_addr_t *found;
	ip4_addr_t want;
	struct netif *nif;
	int index;
	long err = -ENXIO;

	if (r->pa.family != UK_AF_INET)
		return -EPFNOSUPPORT;
	uk_memcpy(name, r->dev, sizeof(name));
	name[15] = 0;
	if (!name[0] || (index = uk_net_ifindex(name)) < 0)
		return -ENODEV;
	ip4_addr_set_u32(&want, r->pa.addr);
	uk_net_enter();
	nif = netif_get_by_index((u8_t)index);
	if (nif && (nif->flags & NETIF_FLAG_ETHARP) &&
	    etharp_find_addr(nif, &want, &eth, &found) >= 0) {
		r->ha.family = ARPHRD_ETHER;
		uk_memcpy(r->ha.data, eth->addr, ETH_HWADDR_LEN);
		r->flags = ATF_COM;
		err = 0;
	}
	uk_net_leave();
	return err;
}

long uk_net_if_ioctl(unsigned long req, void *arg)
{
	long r;

	if ((r = uk_net_up()))
		return -ENODEV;
	switch (req) {
	case UK_SIOCGIFNAME:
	case UK_SIOCGIFINDEX: return ifname_ioctl(req, arg);
	case UK_SIOCGIFCONF: return ifconf(arg);
	case UK_SIOCGIFFLAGS:
	case UK_SIOCGIFADDR:
	case UK_SIOCGIFBRDADDR:
	case UK_SIOCGIFNETMASK:
	case UK_SIOCGIFMTU:
	case UK_SIOCGIFHWADDR:
	case UK_SIOCGIFTXQLEN: return if_get(req, arg);
	case UK_SIOCGARP: return arp_get(arg);
	}
	return -ENOTTY;
}
