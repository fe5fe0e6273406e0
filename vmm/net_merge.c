/*
 * The guest's TCP segments merged before libslirp sees them (the network
 * helper, net_slirp.c): consecutive data segments of one IPv4 connection
 * that arrive in one batch become one segment, as a receiving NIC's
 * coalescing (LRO/GRO) makes of them.
 *
 * libslirp writes each segment it takes to the host's socket with a send
 * of its own, and the client on the host is woken for each: a 100 KiB
 * answer in 16 KiB segments (lwipopts.h) was seven sends and up to seven
 * wake-ups of wrk, whose CPU a request was twice what it is against the
 * same nginx as a Linux process (78 against 40 us, wrk -t2 -c64, /usr/bin/
 * time). One segment of up to the MTU (65520) is one send.
 *
 * What merges: IPv4 without options, TCP without options, ACK with or
 * without PSH and nothing else, data, the frame no longer than its packet,
 * the same addresses (Ethernet's too) and ports, each segment starting
 * where the one before ended. The merged segment has the first one's
 * sequence number, the last one's acknowledgement and window (both only
 * grow), PSH if any had it. Its checksum is made from the segments' own
 * (each one's payload sum is what its checksum leaves after the pseudo
 * header and the TCP header): a segment whose checksum was wrong makes
 * the merged one wrong, and libslirp drops it, as it would have dropped
 * that segment (the guest sends the rest again).
 *
 * The helper adds a segment as its headers (its own copy, checked) and its
 * payload where ukrun left it in the ring, copied once into the merged
 * segment (add_parts): each byte of a 100 KiB answer was copied into the
 * helper's copy of the frame first, then into the merged one.
 *
 * Pure code over the frames; the unit test compares the checksums with
 * ones computed over the merged bytes.
 */
#include <netinet/in.h>
#include <string.h>

#include "net.h"

#define ETH_HLEN 14
#define IP_HLEN 20
#define TCP_HLEN 20
#define HLEN VMM_NET_MERGE_HLEN
_Static_assert(HLEN == ETH_HLEN + IP_HLEN + TCP_HLEN, "the headers of a segment that merges");
#define TCP_ACK 0x10
#define TCP_PSH 0x08

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The one's-complement sum of n bytes (n even), folded. */
static uint32_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += be16(p + i);
	return fold(s);
}

/* The pseudo header's sum: the addresses (ip + 12, 8 bytes), TCP, the
 * TCP length. */
static uint32_t pseudo(const uint8_t *ip, size_t tcp_len)
{
	return fold(sum16(ip + 12, 8) + IPPROTO_TCP + (uint32_t)tcp_len);
}

size_t vmm_net_merge_payload(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;

	if (len <= HLEN || be16(f + 12) != 0x0800 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP ||
	    be16(ip + 2) != len - ETH_HLEN || (be16(ip + 6) & 0x3fff) || (tcp[12] >> 4) != 5 ||
	    (tcp[13] & ~TCP_PSH) != TCP_ACK)
		return 0;
	return len - HLEN;
}

/* The payload's sum, from the segment's checksum: the pseudo header, the
 * TCP header (its checksum in it) and the payload sum to 0xffff. */
static uint32_t payload_sum(const uint8_t *f, size_t n)
{
	const uint8_t *ip = f + ETH_HLEN;

	return fold(~fold(pseudo(ip, TCP_HLEN + n) + sum16(ip + IP_HLEN, TCP_HLEN)) & 0xffff);
}

int vmm_net_merge_add(struct vmm_net_merge *m, const uint8_t *f, size_t len)
{
	return vmm_net_merge_add_parts(m, f, f + HLEN, len);
}

int vmm_net_merge_add_parts(struct vmm_net_merge *m, const uint8_t *f, const uint8_t *payload,
                            size_t len)
{
	size_t n = vmm_net_merge_payload(f, len);
	uint32_t s;

	if (!n)
		return 0;
	if (m->len) {
		const uint8_t *head = m->buf;
		if (memcmp(head, f, 14) || memcmp(head + ETH_HLEN + 12, f + ETH_HLEN + 12, 12) ||
		    be32(f + ETH_HLEN + IP_HLEN + 4) != m->next_seq || m->len + n > m->cap)
			return 0;
		memcpy(m->buf + m->len, payload, n);
		/* the last one's acknowledgement, window and flags (PSH kept) */
		m->psh |= f[ETH_HLEN + IP_HLEN + 13] & TCP_PSH;
		memcpy(m->buf + ETH_HLEN + IP_HLEN + 8, f + ETH_HLEN + IP_HLEN + 8, 8);
	} else {
		if (len > m->cap)
			return 0;
		memcpy(m->buf, f, HLEN);
		memcpy(m->buf + HLEN, payload, n);
		m->psh = f[ETH_HLEN + IP_HLEN + 13] & TCP_PSH;
		m->sum = 0;
		m->count = 0;
	}
	s = payload_sum(f, n);
	/* a payload that starts at an odd offset of the merged one adds its
	 * sum byte-swapped */
	if ((m->len ? m->len - HLEN : 0) & 1)
		s = ((s & 0xff) << 8) | (s >> 8);
	m->sum = fold(m->sum + s);
	m->len += m->len ? n : len;
	m->next_seq = be32(f + ETH_HLEN + IP_HLEN + 4) + (uint32_t)n;
	m->count++;
	return 1;
}

size_t vmm_net_merge_end(struct vmm_net_merge *m)
{
	uint8_t *ip = m->buf + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t len = m->len;

	m->len = 0;
	if (!len || m->count == 1) /* as it came */
		return len;
	put16(ip + 2, (unsigned)(len - ETH_HLEN));
	put16(ip + 10, 0);
	put16(ip + 10, ~sum16(ip, IP_HLEN) & 0xffff);
	tcp[13] = (uint8_t)(TCP_ACK | m->psh);
	put16(tcp + 16, 0);
	put16(tcp + 16,
	      ~fold(pseudo(ip, len - ETH_HLEN - IP_HLEN) + sum16(tcp, TCP_HLEN) + m->sum) & 0xffff);
	return len;
}
