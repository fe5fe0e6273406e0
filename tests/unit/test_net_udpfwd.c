/* Answers to UDP forwards from the host's loopback (vmm/net_udpfwd.c):
 * the guest's answer to a client libslirp brought it from 10.0.2.2
 * (fec0::2) goes to 127.0.0.1 (::1) with checksums that are right when
 * computed again; nothing else to 10.0.2.2 is touched: other ports, other
 * sources, a client unheard of for 120 s, the DHCP server, the loopback
 * open. */
#include <arpa/inet.h>
#include <string.h>

#include "../../vmm/net.h"
#include "frame_sum.h"
#include "unit.h"

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* The UDP checksum over the pseudo-header (addresses at a, n bytes each). */
static unsigned udp_sum(const uint8_t *a, size_t n, const uint8_t *udp, size_t len)
{
	uint32_t s = sum(a, 2 * n, 17 + (uint32_t)len);
	unsigned r = ~sum(udp, len, s) & 0xffff;

	return r ? r : 0xffff;
}

/* A UDP frame: IPv4 (v6 0) or IPv6 from src:sp to dst:dp, "hello",
 * checksums right (v4 with csum 0: none). Its length. */
static size_t frame(uint8_t *f, int v6, const char *src, unsigned sp, const char *dst, unsigned dp,
                    int csum)
{
	size_t ipl = v6 ? 40 : 20, n = 8 + 5;
	uint8_t *ip = f + 14, *udp = ip + ipl;

	memset(f, 0, 14 + ipl + n);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		ip[0] = 0x60, ip[6] = 17, ip[7] = 64;
		put16(ip + 4, (unsigned)n);
		inet_pton(AF_INET6, src, ip + 8), inet_pton(AF_INET6, dst, ip + 24);
	} else {
		ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
		put16(ip + 2, (unsigned)(ipl + n));
		inet_pton(AF_INET, src, ip + 12), inet_pton(AF_INET, dst, ip + 16);
		put16(ip + 10, ~sum(ip, 20, 0) & 0xffff);
	}
	put16(udp, sp), put16(udp + 2, dp), put16(udp + 4, (unsigned)n);
	memcpy(udp + 8, "hello", 5);
	if (csum)
		put16(udp + 6, udp_sum(ip + (v6 ? 8 : 12), v6 ? 16 : 4, udp, n));
	return 14 + ipl + n;
}

/* 1 when f's checksums are right as they stand. */
static int sums_right(const uint8_t *f, int v6)
{
	const uint8_t *ip = f + 14, *udp = ip + (v6 ? 40 : 20);
	uint8_t copy[13];

	if (!v6 && (~sum(ip, 20, 0) & 0xffff))
		return 0;
	if (!v6 && !get16(udp + 6))
		return 1;
	memcpy(copy, udp, sizeof(copy));
	put16(copy + 6, 0);
	return get16(udp + 6) == udp_sum(ip + (v6 ? 8 : 12), v6 ? 16 : 4, copy, sizeof(copy));
}

static struct vmm_udpfwd t;
static uint8_t f[200], copy[200];

static const uint8_t *to_guest(size_t n, int64_t now)
{
	return vmm_udpfwd_to_guest(&t, f, n, now, copy);
}

static void setup(int host_loopback)
{
	struct vmm_net_conf c = { .nfwd = 2, .host_loopback = host_loopback };
	struct in_addr g4;
	struct in6_addr g6;

	c.fwd[0] = (struct vmm_net_fwd){ .udp = 1, .family = AF_INET, .guest_port = 53 };
	c.fwd[1] = (struct vmm_net_fwd){ .udp = 0, .family = AF_INET, .guest_port = 80 };
	inet_pton(AF_INET, "10.0.2.15", &g4);
	inet_pton(AF_INET6, "fec0::5054:ff:fe12:3456", &g6);
	vmm_udpfwd_init(&t, &c, g4, g6);
}

/* A client 10.0.2.2:40000 of the forward to guest port 53 at 1 s, and
 * the guest's answer to it at `at`: what answer said; the answer in f. */
static int client_then_answer(int64_t at)
{
	size_t n;

	setup(0);
	n = frame(f, 0, "10.0.2.2", 40000, "10.0.2.15", 53, 1);
	to_guest(n, 1000);
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	return vmm_udpfwd_answer(&t, f, n, at);
}

TEST(answer_v4_goes_to_loopback)
{
	size_t n;

	EXPECT(client_then_answer(2000) == 1);
	EXPECT(!memcmp(f + 14 + 16, "\x7f\x00\x00\x01", 4));
	EXPECT(sums_right(f, 0));
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 0); /* no checksum: none after */
	EXPECT(vmm_udpfwd_answer(&t, f, n, 3000) == 1);
	EXPECT(get16(f + 14 + 20 + 6) == 0 && sums_right(f, 0));
}

TEST(answer_v6_goes_to_loopback)
{
	static const uint8_t loop6[16] = { [15] = 1 };
	size_t n;

	setup(0);
	n = frame(f, 1, "fec0::2", 40001, "fec0::5054:ff:fe12:3456", 53, 1);
	to_guest(n, 1000);
	n = frame(f, 1, "fec0::5054:ff:fe12:3456", 53, "fec0::2", 40001, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 1);
	EXPECT(!memcmp(f + 14 + 24, loop6, 16));
	EXPECT(sums_right(f, 1));
}

TEST(others_untouched)
{
	uint8_t before[200];
	size_t n;

	setup(0);
	n = frame(f, 0, "10.0.2.2", 40000, "10.0.2.15", 53, 1);
	to_guest(n, 1000);
	n = frame(f, 0, "10.0.2.2", 67, "10.0.2.15", 53, 1); /* slirp's DHCP server */
	to_guest(n, 1000);
	n = frame(f, 0, "10.0.2.2", 40002, "10.0.2.15", 80, 1); /* not a UDP forward's */
	to_guest(n, 1000);
	n = frame(f, 0, "10.0.2.3", 40003, "10.0.2.15", 53, 1); /* not from 10.0.2.2 */
	to_guest(n, 1000);

	/* a port that never wrote, another source port or address, another
	 * destination, the DHCP server, the TCP forward's port, a stranger */
	const struct {
		const char *src, *dst;
		unsigned sp, dp;
	} no[] = {
		{ "10.0.2.15", "10.0.2.2", 53, 40009 }, { "10.0.2.15", "10.0.2.2", 54, 40000 },
		{ "10.0.2.16", "10.0.2.2", 53, 40000 }, { "10.0.2.15", "10.0.2.3", 53, 40000 },
		{ "10.0.2.15", "10.0.2.2", 53, 67 },    { "10.0.2.15", "10.0.2.2", 80, 40002 },
		{ "10.0.2.15", "10.0.2.2", 53, 40003 },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		n = frame(f, 0, no[i].src, no[i].sp, no[i].dst, no[i].dp, 1);
		memcpy(before, f, n);
		EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 0);
		EXPECT(!memcmp(before, f, n));
	}
	/* the other family's client is another */
	n = frame(f, 1, "fec0::5054:ff:fe12:3456", 53, "fec0::2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 0);
}

/* Once libslirp shows loopback clients as themselves (after an answer to
 * 127.0.0.1 it keeps that as the forward's peer), the guest still sees
 * 10.0.2.2 (fec0::2), and the answer goes to the client's own address. */
TEST(loopback_clients_shown_as_the_host)
{
	const uint8_t *g;
	size_t n;

	setup(0);
	n = frame(f, 0, "127.0.0.5", 40000, "10.0.2.15", 53, 1);
	g = to_guest(n, 1000);
	EXPECT(g == copy && !memcmp(g + 14 + 12, "\x0a\x00\x02\x02", 4) && sums_right(g, 0));
	n = frame(f, 0, "127.0.0.5", 40001, "10.0.2.15", 53, 0); /* no checksum */
	g = to_guest(n, 1000);
	EXPECT(g == copy && get16(g + 14 + 20 + 6) == 0 && sums_right(g, 0));
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 1);
	EXPECT(!memcmp(f + 14 + 16, "\x7f\x00\x00\x05", 4) && sums_right(f, 0));
	n = frame(f, 1, "::1", 40002, "fec0::5054:ff:fe12:3456", 53, 1);
	g = to_guest(n, 1000);
	EXPECT(g == copy && g[14 + 8] == 0xfe && g[14 + 9] == 0xc0 && g[14 + 23] == 2 &&
	       sums_right(g, 1));
	/* others pass as they are */
	n = frame(f, 0, "192.168.1.5", 40000, "10.0.2.15", 53, 1);
	EXPECT(to_guest(n, 1000) == f);
	n = frame(f, 0, "127.0.0.1", 40000, "10.0.2.15", 80, 1);
	EXPECT(to_guest(n, 1000) == f);
}

TEST(flows_expire_and_refresh)
{
	size_t n;

	EXPECT(client_then_answer(100000) == 1); /* and it lasts 120 s from here */
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 219999) == 1);
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 340000) == 0);
}

TEST(many_clients_keep_the_newest)
{
	size_t n;
	int kept = 0;

	setup(0);
	for (unsigned p = 1000; p < 1000 + 2 * VMM_UDPFWD_SLOTS; p++) {
		n = frame(f, 0, "10.0.2.2", p, "10.0.2.15", 53, 1);
		to_guest(n, p);
	}
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 1000 + 2 * VMM_UDPFWD_SLOTS - 1, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 5000) == 1);
	for (unsigned p = 1000; p < 1000 + 2 * VMM_UDPFWD_SLOTS; p++) {
		n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", p, 1);
		kept += vmm_udpfwd_answer(&t, f, n, 5000);
	}
	EXPECT(kept > VMM_UDPFWD_SLOTS / 2 && kept <= VMM_UDPFWD_SLOTS);
}

/* A datagram to the network's broadcast would make libslirp show every
 * sender to the forward, from anywhere, as 10.0.2.2: dropped. A frame
 * to another guest address (a socket for a source the guest made up)
 * teaches nothing. */
TEST(broadcast_dropped_strangers_unlearned)
{
	size_t n;

	setup(0);
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.255", 9, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 1000) == -1);
	n = frame(f, 0, "10.0.2.2", 40000, "10.0.2.16", 53, 1);
	EXPECT(to_guest(n, 1000) == f);
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 0);
}

TEST(loopback_open_leaves_it_to_slirp)
{
	size_t n;

	setup(1);
	EXPECT(t.nports == 0);
	n = frame(f, 0, "10.0.2.2", 40000, "10.0.2.15", 53, 1);
	to_guest(n, 1000);
	n = frame(f, 0, "10.0.2.15", 53, "10.0.2.2", 40000, 1);
	EXPECT(vmm_udpfwd_answer(&t, f, n, 2000) == 0);
}

int main(void)
{
	RUN("net_udpfwd", answer_v4_goes_to_loopback);
	RUN("net_udpfwd", answer_v6_goes_to_loopback);
	RUN("net_udpfwd", others_untouched);
	RUN("net_udpfwd", loopback_clients_shown_as_the_host);
	RUN("net_udpfwd", flows_expire_and_refresh);
	RUN("net_udpfwd", many_clients_keep_the_newest);
	RUN("net_udpfwd", broadcast_dropped_strangers_unlearned);
	RUN("net_udpfwd", loopback_open_leaves_it_to_slirp);
	return unit_failures != 0;
}
