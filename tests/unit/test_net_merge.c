/* The guest's TCP segments merged before libslirp (vmm/net_merge.c):
 * consecutive data segments of one connection become one whose headers
 * and checksums are those of the merged bytes; anything else is left
 * alone, and a wrong checksum stays wrong. */
#include <string.h>

#include "../../vmm/net.h"
#include "frame_sum.h"
#include "unit.h"

#define HLEN 54

static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v & 0xffff); }

/* The IPv4 and TCP checksums of frame f (len bytes) as they should be. */
static void checksums(uint8_t *f, size_t len, unsigned *ip_sum, unsigned *tcp_sum)
{
	uint8_t *ip = f + 14;
	uint32_t s;

	put16(ip + 10, 0);
	*ip_sum = ~sum(ip, 20, 0) & 0xffff;
	put16(ip + 10, *ip_sum);
	put16(ip + 20 + 16, 0);
	s = sum(ip + 12, 8, 6 + (uint32_t)(len - 34));
	*tcp_sum = ~sum(ip + 20, len - 34, s) & 0xffff;
	put16(ip + 20 + 16, *tcp_sum);
}

/* A data segment: seq, n payload bytes (a pattern from seed), flags. */
static size_t segment(uint8_t *f, uint32_t seq, uint32_t ack, size_t n, int seed, uint8_t flags)
{
	unsigned a, b;

	memset(f, 0, HLEN);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x75\x6b\x01\x02\x03\x08\x00", 14);
	f[14] = 0x45, f[14 + 8] = 64, f[14 + 9] = 6;
	put16(f + 16, (unsigned)(20 + 20 + n));
	memcpy(f + 26, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	put16(f + 34, 80), put16(f + 36, 40000);
	put32(f + 38, seq), put32(f + 42, ack);
	f[46] = 5 << 4, f[47] = flags;
	put16(f + 48, 30000 + (unsigned)seed);
	for (size_t i = 0; i < n; i++)
		f[HLEN + i] = (uint8_t)(i * 7 + (size_t)seed * 13);
	checksums(f, HLEN + n, &a, &b);
	return HLEN + n;
}

static uint8_t frames[4][4000], out[20000];

TEST(merges_with_right_checksums)
{
	struct vmm_net_merge m = { .buf = out, .cap = sizeof(out) };
	size_t n[4] = { 1000, 999, 1001, 3 }, len[4], total;
	uint32_t seq = 0xfffffc00u; /* wraps within the run */
	unsigned ip_sum, tcp_sum, got_ip, got_tcp;
	uint8_t expect[20000];

	for (int i = 0; i < 4; i++) {
		len[i] = segment(frames[i], seq, 100 + (uint32_t)i, n[i], i, i == 3 ? 0x18 : 0x10);
		seq += (uint32_t)n[i];
		EXPECT(vmm_net_merge_add(&m, frames[i], len[i]) == 1);
	}
	total = vmm_net_merge_end(&m);
	EXPECT(total == HLEN + 1000 + 999 + 1001 + 3 && m.len == 0);
	/* the same bytes built whole: the first's seq, the last's ack and
	 * window, PSH */
	memcpy(expect, out, total);
	got_ip = (unsigned)out[24] << 8 | out[25];
	got_tcp = (unsigned)out[50] << 8 | out[51];
	checksums(expect, total, &ip_sum, &tcp_sum);
	EXPECT(got_ip == ip_sum && got_tcp == tcp_sum);
	EXPECT(!memcmp(out + 38, frames[0] + 38, 4) && !memcmp(out + 42, frames[3] + 42, 4));
	EXPECT(out[47] == 0x18 && !memcmp(out + 48, frames[3] + 48, 2));
	EXPECT(!memcmp(out + HLEN, frames[0] + HLEN, 1000) &&
	       !memcmp(out + HLEN + 1000, frames[1] + HLEN, 999) &&
	       !memcmp(out + HLEN + 1999, frames[2] + HLEN, 1001) &&
	       !memcmp(out + HLEN + 3000, frames[3] + HLEN, 3));
}

/* Headers and payload apart (the helper's copy of the headers, the
 * payload in the ring): the same merged frame as from whole frames. */
TEST(parts_as_whole)
{
	static uint8_t whole[20000], hdr[2][HLEN], payload[2][4000];
	struct vmm_net_merge m = { .buf = whole, .cap = sizeof(whole) };
	size_t len[2], total;

	for (int i = 0; i < 2; i++) {
		len[i] = segment(frames[i], 7 + 700 * (uint32_t)i, 9, 700, i, 0x10);
		EXPECT(vmm_net_merge_payload(frames[i], len[i]) == 700);
		EXPECT(vmm_net_merge_add(&m, frames[i], len[i]) == 1);
	}
	total = vmm_net_merge_end(&m);
	m.buf = out;
	for (int i = 0; i < 2; i++) {
		memcpy(hdr[i], frames[i], HLEN);
		memcpy(payload[i], frames[i] + HLEN, 700);
		memset(frames[i] + HLEN, 0, 700); /* only the payload's copy has them */
		EXPECT(vmm_net_merge_add_parts(&m, hdr[i], payload[i], len[i]) == 1);
	}
	EXPECT(vmm_net_merge_end(&m) == total && !memcmp(out, whole, total));
	EXPECT(vmm_net_merge_payload(frames[0], HLEN) == 0); /* no payload: no merge */
}

TEST(wrong_checksum_stays_wrong)
{
	struct vmm_net_merge m = { .buf = out, .cap = sizeof(out) };
	unsigned ip_sum, tcp_sum;
	size_t a = segment(frames[0], 1, 1, 500, 1, 0x10),
	       b = segment(frames[1], 501, 1, 500, 2, 0x10);

	frames[1][HLEN + 10] ^= 0x40; /* corrupted after its checksum */
	EXPECT(vmm_net_merge_add(&m, frames[0], a) && vmm_net_merge_add(&m, frames[1], b));
	a = vmm_net_merge_end(&m);
	memcpy(frames[2], out, a);
	checksums(frames[2], a, &ip_sum, &tcp_sum);
	EXPECT(((unsigned)out[50] << 8 | out[51]) != tcp_sum);
}

TEST(what_does_not_merge)
{
	struct vmm_net_merge m = { .buf = out, .cap = sizeof(out) };
	size_t a = segment(frames[0], 1, 1, 100, 1, 0x10), b;

	EXPECT(vmm_net_merge_add(&m, frames[0], a) == 1);
	b = segment(frames[1], 102, 1, 100, 2, 0x10); /* a gap */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	b = segment(frames[1], 101, 1, 100, 2, 0x11); /* FIN */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	b = segment(frames[1], 101, 1, 0, 2, 0x10); /* a pure acknowledgement */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	b = segment(frames[1], 101, 1, 100, 2, 0x10);
	frames[1][37] ^= 1; /* another connection */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	b = segment(frames[1], 101, 1, 100, 2, 0x10);
	frames[1][14] = 0x46; /* IP options */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	b = segment(frames[1], 101, 1, 100, 2, 0x10);
	EXPECT(vmm_net_merge_add(&m, frames[1], b - 1) == 0); /* shorter than its packet */
	b = segment(frames[1], 101, 1, 3900, 2, 0x10);
	m.cap = 4000; /* beyond the MTU */
	EXPECT(vmm_net_merge_add(&m, frames[1], b) == 0);
	/* one segment alone comes out as it went in */
	EXPECT(vmm_net_merge_end(&m) == a && !memcmp(out, frames[0], a));
	EXPECT(vmm_net_merge_end(&m) == 0);
}

int main(void)
{
	RUN("net-merge", merges_with_right_checksums);
	RUN("net-merge", parts_as_whole);
	RUN("net-merge", wrong_checksum_stays_wrong);
	RUN("net-merge", what_does_not_merge);
	return unit_failures != 0;
}
