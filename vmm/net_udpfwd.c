/*
 * Answers to UDP forwards from the host's loopback (the network helper's,
 * net_slirp.c).
 *
 * libslirp hands a datagram that reached a forward (-p H:G/udp) from the
 * host's 127.0.0.1 (::1) to the guest as coming from 10.0.2.2 (fec0::2),
 * and sends the guest's answer there back through the forward's socket,
 * to the host's loopback — unless the host's loopback is closed to the
 * guest (ukrun's default), when it refuses the answer: every UDP service
 * behind -p was silent to local clients. The helper keeps, per forward,
 * the loopback ports datagrams came from (as a firewall's connection
 * tracking does, for 120 s since the last datagram either way), and turns
 * an answer from the forward's guest address and port to 10.0.2.2:PORT of
 * such a client into one to 127.0.0.1:PORT (::1) before libslirp sees it:
 * libslirp finds the forward's socket by the answer's source and sends it
 * from the forwarded host port, as to any address not its own. Any other
 * datagram to 10.0.2.2 still meets the closed loopback; the host's
 * loopback ports that never wrote to a forward stay out of reach.
 *
 * libslirp keeps the last answer's destination as the forward's peer, and
 * shows the next clients as 10.0.2.2 only while that peer is 10.0.2.2:
 * after an answer to 127.0.0.1 they come as themselves (127.0.0.x, ::1),
 * and are shown to the guest as 10.0.2.2 (fec0::2) here, their address
 * kept for the answer. Before that a loopback client's exact address is
 * not known (libslirp made it 10.0.2.2): the answer goes to 127.0.0.1
 * (::1), as libslirp's own with the loopback open. Pure code over frames
 * the helper checked (net_frame.c: no fragments, headers within the
 * frame).
 */
#include <netinet/in.h>
#include <string.h>

#include "net.h"

#define ETH_HLEN 14
#define ETH_IP 0x0800
#define ETH_IP6 0x86dd
#define IP6_HLEN 40
#define KEEP_MS 120000 /* Linux's nf_conntrack_udp_timeout_stream */
#define PROBE 8
#define BOOTPS 67 /* libslirp's DHCP server answers from 10.0.2.2 too */

static const uint8_t alias4[4] = { 10, 0, 2, 2 }, loop4[4] = { 127, 0, 0, 1 };
static const uint8_t bcast4[4] = { 10, 0, 2, 255 }; /* libslirp's vnetwork's */
static const uint8_t alias6[16] = { 0xfe, 0xc0, [15] = 2 }, loop6[16] = { [15] = 1 };

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

void vmm_udpfwd_init(struct vmm_udpfwd *t, const struct vmm_net_conf *c, struct in_addr guest,
                     struct in6_addr guest6)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->guest4, &guest, 4);
	memcpy(t->guest6, &guest6, 16);
	for (int i = 0; i < c->nfwd && !c->host_loopback; i++)
		if (c->fwd[i].udp)
			t->ports[t->nports++] = c->fwd[i].guest_port;
}

static int forwarded(const struct vmm_udpfwd *t, unsigned port)
{
	for (unsigned i = 0; i < t->nports; i++)
		if (t->ports[i] == port)
			return 1;
	return 0;
}

/* The UDP header of an IPv4 or IPv6 packet in a checked frame, with its
 * family's source and destination addresses; NULL when not UDP. */
static uint8_t *udp_of(uint8_t *f, size_t len, int *v6, uint8_t **src, uint8_t **dst)
{
	uint8_t *ip = f + ETH_HLEN;

	if (len >= ETH_HLEN + IP6_HLEN + 8 && be16(f + 12) == ETH_IP6 && ip[6] == IPPROTO_UDP) {
		*v6 = 1, *src = ip + 8, *dst = ip + 24;
		return ip + IP6_HLEN;
	}
	if (len < ETH_HLEN + 28 || be16(f + 12) != ETH_IP || ip[9] != IPPROTO_UDP ||
	    len < ETH_HLEN + (size_t)(ip[0] & 15) * 4 + 8)
		return NULL;
	*v6 = 0, *src = ip + 12, *dst = ip + 16;
	return ip + (ip[0] & 15) * 4;
}

static unsigned slot(int v6, unsigned cport, unsigned gport)
{
	return (cport * 31 + gport * 7 + (unsigned)v6) % VMM_UDPFWD_SLOTS;
}

static struct vmm_udpfwd_flow *find(struct vmm_udpfwd *t, int v6, unsigned cport, unsigned gport,
                                    int64_t now)
{
	unsigned s = slot(v6, cport, gport);

	for (unsigned i = 0; i < PROBE; i++) {
		struct vmm_udpfwd_flow *e = &t->flow[(s + i) % VMM_UDPFWD_SLOTS];
		if (e->until > now && e->v6 == v6 && e->cport == cport && e->gport == gport)
			return e;
	}
	return NULL;
}

/* A new flow takes a free or expired slot of its probe, else the one
 * that expires first. */
static struct vmm_udpfwd_flow *take(struct vmm_udpfwd *t, unsigned s, int64_t now)
{
	struct vmm_udpfwd_flow *best = &t->flow[s];

	for (unsigned i = 0; i < PROBE; i++) {
		struct vmm_udpfwd_flow *e = &t->flow[(s + i) % VMM_UDPFWD_SLOTS];
		if (e->until <= now)
			return e;
		if (e->until < best->until)
			best = e;
	}
	return best;
}

/* RFC 1624's update of a ones' complement sum for a field that changed
 * from a to b (n bytes, even). */
static void sum_update(uint8_t *sum, const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t s = (uint16_t)~be16(sum);

	for (size_t i = 0; i < n; i += 2)
		s += (uint16_t)~be16(a + i) + be16(b + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = (uint16_t)~s;
	sum[0] = (uint8_t)(s >> 8), sum[1] = (uint8_t)s;
}

/* The source or destination address a of the packet in frame f becomes
 * b, its checksums kept right. */
static void readdress(uint8_t *f, int v6, uint8_t *a, const uint8_t *b)
{
	uint8_t *ip = f + ETH_HLEN, *udp = ip + (v6 ? IP6_HLEN : (ip[0] & 15) * 4);
	size_t n = v6 ? 16 : 4;

	if (v6 || be16(udp + 6)) { /* (IPv4's 0: no checksum) */
		sum_update(udp + 6, a, b, n);
		if (!be16(udp + 6))
			udp[6] = udp[7] = 0xff; /* 0 is "none": its other form */
	}
	if (!v6)
		sum_update(ip + 10, a, b, n);
	memcpy(a, b, n);
}

/* A loopback address: 127.0.0.0/8, ::1. */
static int loopback(const uint8_t *a, int v6) { return v6 ? !memcmp(a, loop6, 16) : a[0] == 127; }

const uint8_t *vmm_udpfwd_to_guest(struct vmm_udpfwd *t, const uint8_t *f, size_t len, int64_t now,
                                   uint8_t *copy)
{
	uint8_t *src, *dst, *udp;
	struct vmm_udpfwd_flow *e;
	unsigned cport, gport;
	size_t n;
	int v6;

	if (!(udp = udp_of((uint8_t *)f, len, &v6, &src, &dst)))
		return f;
	cport = be16(udp), gport = be16(udp + 2), n = v6 ? 16 : 4;
	/* to the guest's own address only: a socket libslirp made for a
	 * source the guest made up is not the forward's */
	if (cport == BOOTPS || !forwarded(t, gport) || memcmp(dst, v6 ? t->guest6 : t->guest4, n) ||
	    (memcmp(src, v6 ? alias6 : alias4, n) && !loopback(src, v6)))
		return f;
	if (!(e = find(t, v6, cport, gport, now))) {
		e = take(t, slot(v6, cport, gport), now);
		e->v6 = (uint8_t)v6, e->cport = (uint16_t)cport, e->gport = (uint16_t)gport;
		memcpy(e->addr, v6 ? loop6 : loop4, n);
	}
	e->until = now + KEEP_MS;
	if (!loopback(src, v6))
		return f;
	/* libslirp took the forward's peer for the last answer's
	 * destination: the client shows as itself, and is 10.0.2.2 again */
	memcpy(e->addr, src, n);
	memcpy(copy, f, len);
	udp_of(copy, len, &v6, &src, &dst);
	readdress(copy, v6, src, v6 ? alias6 : alias4);
	return copy;
}

int vmm_udpfwd_answer(struct vmm_udpfwd *t, uint8_t *f, size_t len, int64_t now)
{
	uint8_t *src, *dst, *udp;
	struct vmm_udpfwd_flow *e;
	size_t n;
	int v6;

	if (!(udp = udp_of(f, len, &v6, &src, &dst)))
		return 0;
	/* A datagram to the network's broadcast makes it its socket's peer in
	 * libslirp (refused: EPERM with the loopback closed), which then
	 * shows every sender, from anywhere, as 10.0.2.2: never seen. */
	if (!v6 && !memcmp(dst, bcast4, 4))
		return -1;
	n = v6 ? 16 : 4;
	if (memcmp(dst, v6 ? alias6 : alias4, n) || memcmp(src, v6 ? t->guest6 : t->guest4, n) ||
	    !(e = find(t, v6, be16(udp + 2), be16(udp), now)))
		return 0;
	e->until = now + KEEP_MS;
	readdress(f, v6, dst, e->addr);
	return 1;
}
