/*
 * The guest's frames on the user network, checked before libslirp sees
 * them: libslirp 4.7 trusts the lengths in them more than it should, and
 * its IP reassembly crashed on one lone fragment. IP fragments (IPv4's and
 * IPv6's fragment header) are dropped on this network: lwIP sends TCP in
 * segments that fit the MTU; only a UDP datagram above the MTU is lost.
 * IPv6 passes with TCP, UDP or ICMPv6 (neighbour discovery, echo) right
 * after its header: lwIP sends no extension header here (no MLD), and
 * libslirp parses none but the fragment header. Pure code: ukrun checks each frame
 * before it leaves for the network helper (and names the first drop of
 * each kind under --verbose), and the helper checks again what it is
 * given before libslirp does (net_slirp.c).
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>

#include "net.h"

#define ETH_HLEN 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define ETH_IP6 0x86dd
#define IP6_HLEN 40
#define ARP_LEN 28 /* Ethernet/IPv4 ARP */

static const char *const drop_name[VMM_FRAME_KINDS] = {
	[VMM_FRAME_PASS] = "frames passed",
	[VMM_FRAME_FRAGMENT] = "IP fragments",
	[VMM_FRAME_MALFORMED] = "malformed frames",
	[VMM_FRAME_PROTOCOL] = "frames of other protocols",
	[VMM_FRAME_LOOPBACK] = "packets to the host's loopback",
};

const char *vmm_net_frame_drop_name(int kind)
{
	return kind >= 0 && kind < VMM_FRAME_KINDS ? drop_name[kind] : "?";
}

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* An IP packet's transport header within the packet (l4 bytes after
 * the IP header): NULL, or what is wrong. */
static const char *l4_check(unsigned proto, const uint8_t *h, size_t l4)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (l4 < 20 || (h[12] >> 4) < 5 || (size_t)(h[12] >> 4) * 4 > l4)
			return "TCP header beyond the packet";
		return NULL;
	case IPPROTO_UDP:
		if (l4 < 8 || be16(h + 4) < 8 || be16(h + 4) > l4)
			return "UDP length beyond the packet";
		return NULL;
	case IPPROTO_ICMP: return l4 < 8 ? "ICMP header beyond the packet" : NULL;
	case IPPROTO_ICMPV6: return l4 < 8 ? "ICMPv6 header beyond the packet" : NULL;
	}
	return NULL;
}

/* An IPv6 destination that is the host's loopback once libslirp opens a
 * host socket to it: ::1, ::, or IPv4-mapped 127.0.0.0/8 or 0.0.0.0/8
 * (a dual-stack socket reaches those over IPv4). */
static int ip6_loopback(const uint8_t *a)
{
	static const uint8_t zero[10];

	if (memcmp(a, zero, 10))
		return 0;
	if (a[10] == 0 && a[11] == 0)
		return !a[12] && !a[13] && !a[14] && a[15] <= 1;
	return a[10] == 0xff && a[11] == 0xff && (a[12] == 127 || a[12] == 0);
}

static int ip6_check(const uint8_t *ip, size_t room, int host_loopback, const char **why)
{
	size_t pl;

	*why = "IPv6 header beyond the frame";
	if (room < IP6_HLEN || (ip[0] >> 4) != 6)
		return VMM_FRAME_MALFORMED;
	pl = be16(ip + 4);
	*why = "IPv6 payload length outside the frame";
	if (pl > room - IP6_HLEN)
		return VMM_FRAME_MALFORMED;
	*why = "an IPv6 fragment (not carried by the user network)";
	if (ip[6] == IPPROTO_FRAGMENT)
		return VMM_FRAME_FRAGMENT;
	*why = "to ::1, :: or IPv4-mapped 127.0.0.0/8 or 0.0.0.0/8 (host-loopback=off)";
	if (!host_loopback && ip6_loopback(ip + 24))
		return VMM_FRAME_LOOPBACK;
	*why = "not TCP, UDP or ICMPv6 right after the IPv6 header";
	if (ip[6] != IPPROTO_TCP && ip[6] != IPPROTO_UDP && ip[6] != IPPROTO_ICMPV6)
		return VMM_FRAME_PROTOCOL;
	*why = l4_check(ip[6], ip + IP6_HLEN, pl);
	return *why ? VMM_FRAME_MALFORMED : VMM_FRAME_PASS;
}

/* libslirp sends a guest's packet to 127.0.0.0/8 or 0.0.0.0/8 (or ::1)
 * from the host as it is: disable_host_loopback only covers 10.0.2.2
 * (and its IPv6 prefix's addresses). */
int vmm_net_frame_check(const uint8_t *f, size_t len, int host_loopback, const char **why)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t hl, tot;

	*why = "shorter than an Ethernet header";
	if (len < ETH_HLEN)
		return VMM_FRAME_MALFORMED;
	if (be16(f + 12) == ETH_ARP) {
		*why = "ARP shorter than its header";
		return len < ETH_HLEN + ARP_LEN ? VMM_FRAME_MALFORMED : VMM_FRAME_PASS;
	}
	if (be16(f + 12) == ETH_IP6)
		return ip6_check(ip, len - ETH_HLEN, host_loopback, why);
	*why = "not ARP, IPv4 or IPv6";
	if (be16(f + 12) != ETH_IP)
		return VMM_FRAME_PROTOCOL;
	*why = "IPv4 header beyond the frame";
	if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5 ||
	    (hl = (size_t)(ip[0] & 15) * 4) > len - ETH_HLEN)
		return VMM_FRAME_MALFORMED;
	tot = be16(ip + 2);
	*why = "IPv4 total length outside the frame";
	if (tot < hl || tot > len - ETH_HLEN)
		return VMM_FRAME_MALFORMED;
	*why = "an IPv4 fragment (not carried by the user network)";
	if (be16(ip + 6) & (IP_MF | IP_OFFMASK))
		return VMM_FRAME_FRAGMENT;
	*why = "to 127.0.0.0/8 or 0.0.0.0/8 (host-loopback=off)";
	if (!host_loopback && (ip[16] == 127 || ip[16] == 0))
		return VMM_FRAME_LOOPBACK;
	*why = "not TCP, UDP or ICMP";
	if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP && ip[9] != IPPROTO_ICMP)
		return VMM_FRAME_PROTOCOL;
	*why = l4_check(ip[9], ip + hl, tot - hl);
	return *why ? VMM_FRAME_MALFORMED : VMM_FRAME_PASS;
}

int vmm_net_frame_pure_ack(const uint8_t *f, size_t len, struct vmm_net_flow *flow, uint32_t *ack)
{
	const uint8_t *ip = f + ETH_HLEN, *tcp;
	size_t hl;

	if (len < ETH_HLEN + 40 || be16(f + 12) != ETH_IP || (ip[0] >> 4) != 4 ||
	    ip[9] != IPPROTO_TCP || (be16(ip + 6) & (IP_MF | IP_OFFMASK)))
		return 0;
	hl = (size_t)(ip[0] & 15) * 4;
	if (hl < 20 || be16(ip + 2) != hl + 20 || len < ETH_HLEN + hl + 20)
		return 0;
	tcp = ip + hl;
	if ((tcp[12] >> 4) != 5 || (tcp[13] & 0x3f) != 0x10) /* no options; ACK alone */
		return 0;
	memcpy(flow->b, ip + 12, 8);
	memcpy(flow->b + 8, tcp, 4);
	*ack = (uint32_t)be16(tcp + 8) << 16 | be16(tcp + 10);
	return 1;
}
