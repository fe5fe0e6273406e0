/*
 * ukrun's virtio-net device (vmm/virtio_net.c) with its user-mode backend
 * (vmm/net_user.c) and Debian's libslirp in the network helper (this
 * binary started again as one, vmm/net_slirp.c) behind the real virtio-mmio
 * transport, without KVM: this test is the guest's driver, with a simulated
 * guest memory, and sends Ethernet frames of its own making through the TX
 * queue, as a hostile guest can (it runs at the library OS's privilege).
 * The verdicts: ukrun's process survives, the device keeps working (ARP
 * and a UDP exchange with a host socket through slirp afterwards), the
 * host's loopback is out of the guest's reach unless asked for, and a
 * helper that dies leaves ukrun's process whole.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uk/virtio.h>
#include <uk/virtio_net.h>
#include <uk/virtq.h>

#include "../../vmm/net.h"
#include "mmio_drv.h"
#include "unit.h"

int vmm_net_setup(struct vmm *vm);
void vmm_net_teardown(struct vmm *vm);

#define MEM_SIZE (8u << 20)
#define RX_RING 0x10000u
#define TX_RING 0x20000u
#define RX_BUFS 0x100000u /* NBUF buffers of BUF_LEN */
#define TX_BUFS 0x300000u
#define QNUM 256u
#define NBUF 64u
#define BUF_LEN 2048u
#define HDR 12u /* struct uk_virtio_net_hdr */

static uint8_t *mem;
static struct vmm_opts opts;
static struct vmm_vdev *dev;

struct drv {
	struct vq_ring r;
	struct vq_drv q;
	void *token[QNUM];
};
static struct drv rx, tx;
static unsigned tx_next;

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t gw_mac[6]; /* slirp's, from its ARP reply */

static void queue_up(struct drv *x, unsigned q, uint64_t ring)
{
	memset(mem + ring, 0, vq_ring_bytes(QNUM));
	vq_ring_layout(&x->r, mem + ring, QNUM);
	vq_drv_init(&x->q, &x->r, x->token, 1);
	queue_give(dev, q, &x->r, mem + ring, ring, QNUM);
}

/* A fresh device for the --net spec: reset, negotiate, RX full of
 * buffers, TX, DRIVER_OK. Returns the status. */
static uint32_t bring_up(const char *net)
{
	uint64_t f = UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX);

	if (dev) {
		vmm_vdev_stop(dev);
		vmm_net_teardown(&tvm);
	}
	opts.net = net;
	if (vmm_net_setup(&tvm))
		return 0;
	dev = vmm_vdevs[vmm_nvdevs - 1];
	negotiate(dev, f);
	queue_up(&rx, UK_VIRTIO_NET_Q_RX, RX_RING);
	queue_up(&tx, UK_VIRTIO_NET_Q_TX, TX_RING);
	for (uintptr_t i = 0; i < NBUF; i++) {
		struct vq_buf b = { RX_BUFS + i * BUF_LEN, BUF_LEN };
		vq_drv_add(&rx.q, &b, 0, 1, (void *)(i + 1));
	}
	vq_drv_kick_needed(&rx.q);
	wr(dev, UK_VIRTIO_MMIO_STATUS, 0xf);
	return rd(dev, UK_VIRTIO_MMIO_STATUS);
}

static struct vmm_net *net(void) { return dev->priv; }

/* Until x has a used entry or ms passed: 1, or 0 at the deadline. */
static int wait_used(struct drv *x, int ms)
{
	struct pollfd p = { .fd = dev->irq_fd, .events = POLLIN };
	uint64_t v;

	while (!vq_drv_has_used(&x->q)) {
		if (vq_drv_irq_on(&x->q))
			continue;
		if (poll(&p, 1, ms) != 1)
			return 0;
		if (read(dev->irq_fd, &v, sizeof(v)) != sizeof(v))
			return 0;
	}
	return 1;
}

/* Send one frame through TX and wait until the device has taken it. */
static int send_frame(const void *frame, size_t len)
{
	uint64_t gpa = TX_BUFS + (tx_next++ % NBUF) * BUF_LEN;
	struct vq_buf b = { gpa, (uint32_t)(HDR + len) };
	uint32_t used;

	if (HDR + len > BUF_LEN)
		return -1;
	memset(mem + gpa, 0, HDR);
	memcpy(mem + gpa + HDR, frame, len);
	if (vq_drv_add(&tx.q, &b, 1, 0, (void *)1))
		return -1;
	if (vq_drv_kick_needed(&tx.q))
		wr(dev, UK_VIRTIO_MMIO_QUEUE_NOTIFY, UK_VIRTIO_NET_Q_TX);
	if (!wait_used(&tx, 10000))
		return -1;
	return vq_drv_get(&tx.q, &used) == (void *)1 ? 0 : -1;
}

/* The next frame from the device within ms, copied into f (its buffer
 * goes back to the ring): its length, or 0. */
static size_t recv_frame(uint8_t *f, int ms)
{
	uint32_t len;
	void *tok;
	uintptr_t i;
	struct vq_buf b;

	if (!wait_used(&rx, ms) || !(tok = vq_drv_get(&rx.q, &len)))
		return 0;
	i = (uintptr_t)tok - 1;
	len = len < HDR ? 0 : len - HDR;
	memcpy(f, mem + RX_BUFS + i * BUF_LEN + HDR, len);
	b = (struct vq_buf){ RX_BUFS + i * BUF_LEN, BUF_LEN };
	vq_drv_add(&rx.q, &b, 0, 1, tok);
	if (vq_drv_kick_needed(&rx.q))
		wr(dev, UK_VIRTIO_MMIO_QUEUE_NOTIFY, UK_VIRTIO_NET_Q_RX);
	return len;
}

/* ---- frames ---- */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

#define GUEST_IP "10.0.2.15"
#define HOST_IP "10.0.2.2"

static void eth(uint8_t *f, const uint8_t *dst, unsigned type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
}

/* Ethernet + IPv4 header (checksummed) for l4 bytes of proto to dst,
 * with the fragment field frag; the L4 part starts at f + 34. */
static size_t ipv4(uint8_t *f, unsigned proto, const char *dst, size_t l4, unsigned frag)
{
	uint8_t *ip = f + 14;

	eth(f, gw_mac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + l4));
	put16(ip + 4, 0x1234);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	inet_pton(AF_INET, GUEST_IP, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	return 34 + l4;
}

static size_t udp(uint8_t *f, const char *dst, unsigned sport, unsigned dport, const char *data)
{
	size_t n = strlen(data);
	uint8_t *u = f + 34;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + n));
	put16(u + 6, 0); /* no checksum */
	memcpy(u + 8, data, n);
	return ipv4(f, IPPROTO_UDP, dst, 8 + n, 0);
}

/* A SYN's TCP header at t, its checksum left to the caller (IPv4's or
 * IPv6's pseudo-header). */
static void syn_header(uint8_t *t, unsigned sport, unsigned dport)
{
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	t[7] = 1;       /* sequence number 1 */
	t[12] = 5 << 4; /* data offset */
	t[13] = 0x02;   /* SYN */
	put16(t + 14, 65535);
}

static size_t tcp_syn(uint8_t *f, const char *dst, unsigned sport, unsigned dport)
{
	uint8_t *t = f + 34;
	size_t len = ipv4(f, IPPROTO_TCP, dst, 20, 0);
	uint32_t s;

	syn_header(t, sport, dport);
	s = sum16(f + 26, 8, IPPROTO_TCP + 20); /* pseudo-header: addresses, protocol, length */
	put16(t + 16, fold(sum16(t, 20, s)));
	return len;
}

static size_t arp_request(uint8_t *f, const char *target)
{
	uint8_t *a = f + 14;

	eth(f, bcast_mac, 0x0806);
	put16(a, 1);          /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6, a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, guest_mac, 6);
	inet_pton(AF_INET, GUEST_IP, a + 14);
	memset(a + 18, 0, 6);
	inet_pton(AF_INET, target, a + 24);
	return 42;
}

static int is_ipv4_from(const uint8_t *f, size_t len, unsigned proto, const char *src)
{
	uint8_t a[4];

	inet_pton(AF_INET, src, a);
	return len >= 34 && get16(f + 12) == 0x0800 && f[14 + 9] == proto &&
	       !memcmp(f + 26, a, 4) && !memcmp(f, guest_mac, 6);
}

/* ARP for 10.0.2.2: slirp answers (and learns our address). 1 when it did. */
static int arp_works(void)
{
	uint8_t f[BUF_LEN], host[4];
	size_t len;

	inet_pton(AF_INET, HOST_IP, host);
	if (send_frame(f, arp_request(f, HOST_IP)))
		return 0;
	while ((len = recv_frame(f, 5000))) {
		if (len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
		    !memcmp(f + 28, host, 4)) {
			memcpy(gw_mac, f + 22, 6);
			return 1;
		}
	}
	return 0;
}

/* A host UDP socket on 127.0.0.1, any port; its port in *port. */
static int host_udp(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* The datagram a host socket got within ms, into buf (NUL-terminated);
 * its sender in *from. Length, or -1. */
static ssize_t host_recv(int fd, char *buf, size_t size, struct sockaddr_in *from, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t fl = sizeof(*from);
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recvfrom(fd, buf, size - 1, 0, (struct sockaddr *)from, &fl);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* A datagram from the guest to 10.0.2.2:port reaches the host socket fd
 * on 127.0.0.1, and its answer comes back to the guest. 1 when both did. */
static int udp_round_trip(int fd, unsigned port, const char *msg)
{
	uint8_t f[BUF_LEN];
	char got[256];
	struct sockaddr_in from;
	size_t len;

	if (send_frame(f, udp(f, HOST_IP, 40000, port, msg)) ||
	    host_recv(fd, got, sizeof(got), &from, 5000) != (ssize_t)strlen(msg) ||
	    strcmp(got, msg))
		return 0;
	if (sendto(fd, "answer", 6, 0, (struct sockaddr *)&from, sizeof(from)) != 6)
		return 0;
	while ((len = recv_frame(f, 5000))) {
		if (is_ipv4_from(f, len, IPPROTO_UDP, HOST_IP) && get16(f + 34) == port &&
		    get16(f + 36) == 40000 && len >= 48 && !memcmp(f + 42, "answer", 6))
			return 1;
	}
	return 0;
}

/* Whether a frame that is_it accepts comes within ms. */
static int frame_comes(int ms, int (*is_it)(const uint8_t *f, size_t len))
{
	uint8_t f[BUF_LEN];
	size_t len;

	while ((len = recv_frame(f, ms)))
		if (is_it(f, len))
			return 1;
	return 0;
}

/* An ICMP destination-unreachable from 10.0.2.2. */
static int unreachable(const uint8_t *f, size_t len)
{
	return is_ipv4_from(f, len, IPPROTO_ICMP, HOST_IP) && f[34] == 3;
}

static int device_ok(void) { return !(rd(dev, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET); }

/* ---- tests ---- */

static int ufd = -1;
static unsigned uport;

TEST(network_works)
{
	EXPECT(bring_up("user,host-loopback=on") == 0xf);
	EXPECT(arp_works());
	EXPECT((ufd = host_udp(&uport)) >= 0);
	EXPECT(udp_round_trip(ufd, uport, "before"));
}

/* Fragments: libslirp 4.7.0's reassembly crashed on a lone non-first one
 * (offset 8, MF clear). None reaches it; a first fragment, a whole pair,
 * and fragments of every shape are dropped and counted. */
TEST(fragments_dropped)
{
	uint8_t f[BUF_LEN];
	uint64_t dropped = net()->tx_dropped;
	unsigned frags[] = { 0x0001, 0x2000, 0x2000, 0x0001, 0x1fff, 0x3fff, 0x4001, 0x6000 };
	unsigned n = 0;

	for (unsigned r = 0; r < 20; r++) {
		for (unsigned i = 0; i < sizeof(frags) / sizeof(frags[0]); i++, n++) {
			size_t len = udp(f, HOST_IP, 40000, uport, "fragment-payload");
			put16(f + 14 + 6, frags[i]);
			put16(f + 14 + 10, 0);
			put16(f + 14 + 10, fold(sum16(f + 14, 20, 0)));
			EXPECT(send_frame(f, len) == 0);
		}
	}
	EXPECT(net()->tx_dropped - dropped == n);
	EXPECT(device_ok());
	EXPECT(arp_works());
	EXPECT(udp_round_trip(ufd, uport, "after fragments"));
}

/* Frames shorter than their headers, or whose lengths point past their
 * end: dropped before libslirp, the device working on. */
static unsigned nbad;

static int send_bad(const uint8_t *f, size_t len)
{
	nbad++;
	return send_frame(f, len);
}

TEST(short_frames_dropped)
{
	uint8_t f[BUF_LEN], g[BUF_LEN];
	uint64_t dropped = net()->tx_dropped;
	size_t base = udp(g, HOST_IP, 40000, uport, "x");

	/* cut short anywhere in the Ethernet, IPv4 or UDP header */
	for (size_t len = 0; len < 42; len++)
		EXPECT(send_bad(g, len) == 0);
	/* ARP cut short */
	EXPECT(send_bad(f, arp_request(f, HOST_IP) - 1) == 0);
	/* IPv4 header length beyond the frame, below 20; version 6 */
	memcpy(f, g, base);
	f[14] = 0x4f;
	EXPECT(send_bad(f, 40) == 0);
	f[14] = 0x44;
	EXPECT(send_bad(f, base) == 0);
	f[14] = 0x65;
	EXPECT(send_bad(f, base) == 0);
	/* total length past the frame, or below the header */
	memcpy(f, g, base);
	put16(f + 16, 1400);
	EXPECT(send_bad(f, base) == 0);
	put16(f + 16, 12);
	EXPECT(send_bad(f, base) == 0);
	/* UDP length past the packet */
	memcpy(f, g, base);
	put16(f + 38, 600);
	EXPECT(send_bad(f, base) == 0);
	/* TCP data offset past the packet; TCP header cut */
	tcp_syn(f, HOST_IP, 40001, uport);
	f[34 + 12] = 15 << 4;
	EXPECT(send_bad(f, 54) == 0);
	tcp_syn(f, HOST_IP, 40001, uport);
	put16(f + 16, 30);
	EXPECT(send_bad(f, 44) == 0);
	/* ICMP cut; a protocol slirp does not carry (IGMP); IPv4 as IPv6 */
	memset(f, 0, sizeof(f));
	EXPECT(send_bad(f, ipv4(f, IPPROTO_ICMP, HOST_IP, 4, 0)) == 0);
	EXPECT(send_bad(f, ipv4(f, 2, HOST_IP, 8, 0)) == 0);
	memcpy(f, g, base);
	put16(f + 12, 0x86dd);
	EXPECT(send_bad(f, base) == 0);
	EXPECT(net()->tx_dropped - dropped == nbad);
	EXPECT(device_ok());
	EXPECT(arp_works());
	EXPECT(udp_round_trip(ufd, uport, "after short frames"));
}

/* With host-loopback=on, 10.0.2.2 is the host's 127.0.0.1 (above); by
 * default it is closed: a datagram or a connection gets "network
 * unreachable" back and the host's socket sees nothing; a packet to
 * 127.0.0.1 or 0.0.0.0 itself is dropped. */
TEST(host_loopback_closed)
{
	uint8_t f[BUF_LEN];
	char got[64];
	struct sockaddr_in from,
	    a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), cfd;
	uint64_t dropped;

	EXPECT(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	       listen(lfd, 4) == 0 && getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	EXPECT(bring_up("user") == 0xf);
	EXPECT(arp_works());
	EXPECT(send_frame(f, udp(f, HOST_IP, 40000, uport, "closed")) == 0);
	EXPECT(frame_comes(5000, unreachable));
	EXPECT(send_frame(f, tcp_syn(f, HOST_IP, 40002, ntohs(a.sin_port))) == 0);
	EXPECT(frame_comes(5000, unreachable));
	dropped = net()->tx_dropped;
	EXPECT(send_frame(f, udp(f, "127.0.0.1", 40000, uport, "direct")) == 0);
	EXPECT(send_frame(f, udp(f, "0.0.0.0", 40000, uport, "direct")) == 0);
	EXPECT(send_frame(f, tcp_syn(f, "127.0.0.1", 40003, ntohs(a.sin_port))) == 0);
	EXPECT(net()->tx_dropped - dropped == 3);
	EXPECT(host_recv(ufd, got, sizeof(got), &from, 1000) < 0); /* nothing came */
	cfd = accept(lfd, NULL, NULL);
	EXPECT(cfd < 0); /* no connection either */
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	EXPECT(device_ok());
}

/* ---- IPv6 ---- */

#define GUEST6 "fec0::5054:ff:fe12:3456" /* SLAAC's from guest_mac */
#define HOST6 "fec0::2"

/* Ethernet + IPv6 header for l4 bytes of next to dst, from src (the
 * Ethernet destination: slirp's, or all-routers' for ff02::2); the L4
 * part starts at f + 54. */
static size_t ipv6(uint8_t *f, unsigned next, const char *src, const char *dst, size_t l4)
{
	static const uint8_t routers_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t *ip = f + 14;

	eth(f, strncmp(dst, "ff02", 4) ? gw_mac : routers_mac, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (unsigned)l4);
	ip[6] = (uint8_t)next;
	ip[7] = 255; /* neighbour discovery's hop limit */
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	return 54 + l4;
}

/* The L4 checksum over IPv6's pseudo-header, into f + 54 + at. */
static void l4_sum6(uint8_t *f, size_t l4, size_t at)
{
	uint32_t s = sum16(f + 22, 32, (uint32_t)l4 + f[20]);

	put16(f + 54 + at, 0);
	put16(f + 54 + at, fold(sum16(f + 54, l4, s)));
}

static size_t udp6(uint8_t *f, const char *dst, unsigned sport, unsigned dport, const char *data)
{
	size_t n = strlen(data), len = ipv6(f, IPPROTO_UDP, GUEST6, dst, 8 + n);
	uint8_t *u = f + 54;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + n));
	memcpy(u + 8, data, n);
	l4_sum6(f, 8 + n, 6);
	return len;
}

static size_t tcp_syn6(uint8_t *f, const char *dst, unsigned sport, unsigned dport)
{
	size_t len = ipv6(f, IPPROTO_TCP, GUEST6, dst, 20);
	uint8_t *t = f + 54;

	syn_header(t, sport, dport);
	l4_sum6(f, 20, 16);
	return len;
}

/* A router solicitation to ff02::2 from src, with the guest's link
 * address (slirp learns it). */
static size_t router_solicit(uint8_t *f, const char *src)
{
	size_t len = ipv6(f, IPPROTO_ICMPV6, src, "ff02::2", 16);
	uint8_t *m = f + 54;

	memset(m, 0, 16);
	m[0] = 133;         /* router solicitation */
	m[8] = 1, m[9] = 1; /* source link-layer address, 8 bytes */
	memcpy(m + 10, guest_mac, 6);
	l4_sum6(f, 16, 2);
	return len;
}

static int is_ipv6_from(const uint8_t *f, size_t len, unsigned next, const char *src)
{
	uint8_t a[16];

	inet_pton(AF_INET6, src, a);
	return len >= 62 && get16(f + 12) == 0x86dd && f[14 + 6] == next && !memcmp(f + 22, a, 16);
}

/* slirp answers a solicitation with an advertisement of fec0::/64
 * (SLAAC's prefix, autonomous). 1 when it did. */
static int router_advertised(void)
{
	static const uint8_t prefix[8] = { 0xfe, 0xc0 };
	uint8_t f[BUF_LEN];
	size_t len;

	if (send_frame(f, router_solicit(f, "fe80::5054:ff:fe12:3456")) ||
	    send_frame(f, router_solicit(f, GUEST6)))
		return 0;
	while ((len = recv_frame(f, 5000))) {
		if (len < 54 + 16 || get16(f + 12) != 0x86dd || f[20] != IPPROTO_ICMPV6 ||
		    f[54] != 134)
			continue;
		memcpy(gw_mac, f + 6, 6);
		for (size_t o = 54 + 16; o + 2 <= len && f[o + 1]; o += f[o + 1] * 8u)
			if (f[o] == 3 && o + 32 <= len && f[o + 2] == 64 && (f[o + 3] & 0x40) &&
			    !memcmp(f + o + 16, prefix, 8))
				return 1;
	}
	return 0;
}

/* An ICMPv6 destination-unreachable (slirp sends its errors from its
 * link-local address, fe80::2). */
static int unreachable6(const uint8_t *f, size_t len)
{
	return is_ipv6_from(f, len, IPPROTO_ICMPV6, "fe80::2") && f[54] == 1;
}

/* A host UDP socket on ::1, any port; its port in *port. -1 where the
 * host has no IPv6 loopback. */
static int host_udp6(unsigned *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin6_port);
	return fd;
}

/* A datagram from the guest to [fec0::2]:port reaches the host socket fd
 * on ::1, and its answer comes back to the guest over IPv6. */
static int udp6_round_trip(int fd, unsigned port, const char *msg)
{
	uint8_t f[BUF_LEN];
	char got[256];
	struct sockaddr_in6 from;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t fl = sizeof(from);
	ssize_t n;
	size_t len;

	if (send_frame(f, udp6(f, HOST6, 40000, port, msg)) || poll(&p, 1, 5000) != 1 ||
	    (n = recvfrom(fd, got, sizeof(got) - 1, 0, (struct sockaddr *)&from, &fl)) !=
	        (ssize_t)strlen(msg) ||
	    memcmp(got, msg, (size_t)n))
		return 0;
	if (sendto(fd, "answer6", 7, 0, (struct sockaddr *)&from, fl) != 7)
		return 0;
	while ((len = recv_frame(f, 5000)))
		if (is_ipv6_from(f, len, IPPROTO_UDP, HOST6) && get16(f + 54) == port &&
		    get16(f + 56) == 40000 && len >= 69 && !memcmp(f + 62, "answer6", 7))
			return 1;
	return 0;
}

/* IPv6 through the user network: slirp's router advertisement (the
 * guest's SLAAC), a UDP exchange with the host's ::1 through fec0::2
 * (host-loopback=on), the helper's seccomp letting its IPv6 sockets
 * be. */
TEST(ipv6_works)
{
	int fd;
	unsigned port;

	EXPECT(bring_up("user,host-loopback=on") == 0xf);
	EXPECT(arp_works());
	EXPECT(router_advertised());
	if ((fd = host_udp6(&port)) < 0) {
		printf("SKIP virtio-net/ipv6_works: the host has no ::1 (%s)\n", strerror(errno));
		return;
	}
	EXPECT(udp6_round_trip(fd, port, "over IPv6"));
	EXPECT(udp_round_trip(ufd, uport, "IPv4 still"));
	close(fd);
	EXPECT(device_ok());
}

/* IPv6 frames shorter than their headers or lengths, fragments, headers
 * slirp does not parse, and (host-loopback off) packets to ::1, :: or an
 * IPv4-mapped loopback: dropped before libslirp; fec0::2 is closed too
 * (a datagram reaches nothing, a SYN gets "no route"). */
TEST(ipv6_bad_frames_dropped)
{
	uint8_t f[BUF_LEN], g[BUF_LEN];
	uint64_t dropped;
	size_t base;
	int fd;
	unsigned port;

	EXPECT(bring_up("user") == 0xf);
	EXPECT(arp_works());
	EXPECT(router_advertised());
	dropped = net()->tx_dropped;
	nbad = 0;
	base = udp6(g, HOST6, 40000, 9, "x");
	for (size_t len = 14; len < 62; len += 4) /* cut in the IPv6 or UDP header */
		EXPECT(send_bad(g, len) == 0);
	memcpy(f, g, base);
	put16(f + 18, 600); /* payload length past the frame */
	EXPECT(send_bad(f, base) == 0);
	memcpy(f, g, base);
	put16(f + 58, 600); /* UDP length past the packet */
	EXPECT(send_bad(f, base) == 0);
	memcpy(f, g, base);
	f[20] = 44; /* a fragment header */
	EXPECT(send_bad(f, base) == 0);
	f[20] = 0; /* hop-by-hop options */
	EXPECT(send_bad(f, base) == 0);
	f[20] = 58; /* ICMPv6 cut short */
	put16(f + 18, 4);
	EXPECT(send_bad(f, 58) == 0);
	EXPECT(send_bad(f, udp6(f, "::1", 40000, 9, "lo")) == 0);
	EXPECT(send_bad(f, udp6(f, "::", 40000, 9, "any")) == 0);
	EXPECT(send_bad(f, udp6(f, "::ffff:127.0.0.1", 40000, 9, "mapped")) == 0);
	EXPECT(net()->tx_dropped - dropped == nbad);
	EXPECT(device_ok());
	if ((fd = host_udp6(&port)) >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		EXPECT(send_frame(f, udp6(f, HOST6, 40000, port, "closed")) == 0);
		EXPECT(poll(&p, 1, 1000) == 0); /* nothing came */
		close(fd);
		EXPECT(send_frame(f, tcp_syn6(f, HOST6, 40002, port)) == 0);
		EXPECT(frame_comes(5000, unreachable6));
	}
	EXPECT(router_advertised());
}

/* The live network helper among this process's children (the earlier
 * ones ended when their device was torn down): its pid, or -1. */
static pid_t live_helper(void)
{
	char path[300], buf[2048];
	pid_t found = -1;
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		FILE *f;
		size_t n;
		char want[32];
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !(f = fopen(path, "r")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		snprintf(want, sizeof(want), "\nPPid:\t%d\n", (int)getpid());
		if (strstr(buf, want) && !strncmp(buf, "Name:\tukrun-net\n", 16) &&
		    !strstr(buf, "\nState:\tZ"))
			found = (pid_t)atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* libslirp's process dies (killed here; a crash in libslirp would do the
 * same): ukrun's device lives on, taking the guest's frames and dropping
 * them (EPIPE, never SIGPIPE), and the run loop learns of the end (it
 * stops the VM, naming the helper). */
TEST(helper_dies)
{
	uint8_t f[BUF_LEN];
	uint64_t dropped;
	pid_t pid;
	int n;

	EXPECT(bring_up("user,host-loopback=on") == 0xf);
	EXPECT(arp_works());
	while (vmm_helpers_reap(&tvm)) /* the helpers of earlier devices, which ended */
		;
	EXPECT((pid = live_helper()) > 0);
	if (pid > 0)
		kill(pid, SIGKILL);
	for (n = 0; n < 1000 && !vmm_helpers_reap(&tvm); n++)
		usleep(10000);
	EXPECT(n < 1000);
	dropped = net()->tx_dropped;
	EXPECT(send_frame(f, arp_request(f, HOST_IP)) == 0);
	EXPECT(send_frame(f, udp(f, HOST_IP, 40000, uport, "after")) == 0);
	EXPECT(net()->tx_dropped - dropped == 2);
	EXPECT(recv_frame(f, 200) == 0);
	EXPECT(device_ok());
}

/* The device thread can find a queue gone (the vCPU thread failed the
 * device between its look and the queue's handler): the handlers return. */
TEST(queue_gone)
{
	vmm_vdev_stop(dev);
	wr(dev, UK_VIRTIO_MMIO_STATUS, UK_VIRTIO_S_ACKNOWLEDGE); /* bits cleared: NEEDS_RESET */
	EXPECT(!device_ok());
	dev->ops->queue(dev, UK_VIRTIO_NET_Q_TX);
	dev->ops->queue(dev, UK_VIRTIO_NET_Q_CTRL);
	dev->ops->queue(dev, UK_VIRTIO_NET_Q_RX);
	EXPECT(1); /* still here */
}

/* A TCP segment's frame as libslirp sends the guest: flags, options
 * (words of 4 bytes) and data bytes; the frame's length. */
static size_t tcp_seg(uint8_t *f, unsigned flags, unsigned optwords, size_t data, uint32_t ack)
{
	uint8_t *t = f + 34;
	size_t l4 = 20 + 4 * optwords + data;
	size_t len = ipv4(f, IPPROTO_TCP, "10.0.2.2", l4, 0);

	memset(t, 0, l4);
	put16(t, 8080);
	put16(t + 2, 40000);
	put16(t + 8, ack >> 16);
	put16(t + 10, ack & 0xffff);
	t[12] = (uint8_t)((5 + optwords) << 4);
	t[13] = (uint8_t)flags;
	return len;
}

/* Which frames the network helper may fold into a later acknowledgement
 * (net.h): only an IPv4 TCP segment that acknowledges and says nothing
 * else. */
TEST(pure_acks)
{
	uint8_t f[256], g[256];
	struct vmm_net_flow a, b;
	uint32_t ack = 0;
	size_t n;

	n = tcp_seg(f, 0x10, 0, 0, 0x12345678);
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 1 && ack == 0x12345678);
	EXPECT(vmm_net_frame_pure_ack(f, n + 6, &b, &ack) == 1); /* Ethernet padding */
	EXPECT(!memcmp(&a, &b, sizeof(a)));
	memcpy(g, f, n);
	put16(g + 34, 8081); /* another connection */
	EXPECT(vmm_net_frame_pure_ack(g, n, &b, &ack) == 1 && memcmp(&a, &b, sizeof(a)));
	EXPECT(vmm_net_frame_pure_ack(f, n - 1, &a, &ack) == 0); /* cut short */
	n = tcp_seg(f, 0x10, 0, 1, 1);                           /* data */
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
	static const unsigned other[] = { 0x11, 0x12, 0x14, 0x18, 0x30, 0x02, 0x00 };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		n = tcp_seg(f, other[i], 0, 0, 1); /* FIN, SYN, RST, PSH, URG, no ACK */
		EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
	}
	n = tcp_seg(f, 0x10, 3, 0, 1); /* options (SACK blocks, timestamps) */
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
	n = tcp_seg(f, 0x10, 0, 0, 1);
	put16(f + 20, 0x2000); /* a fragment */
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
	n = udp(f, "10.0.2.2", 1, 2, "x");
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
	n = arp_request(f, "10.0.2.2");
	EXPECT(vmm_net_frame_pure_ack(f, n, &a, &ack) == 0);
}

/* This binary is its own network helper (ukrun's is ukrun-net). */
const struct vmm_helper_mode vmm_helper_modes[] = { { "net", vmm_slirp_main } };
const size_t vmm_helper_nmodes = 1;

int main(int argc, char **argv)
{
	/* The network helper: ends past the sanitizers' exit work (a leak
	 * check makes calls the helper's list rightly does not have). */
	if (argc > 1 && !strcmp(argv[1], VMM_HELPER_ARG))
		syscall(SYS_exit_group, vmm_helper_main(argc, argv));
	mem = aligned_alloc(4096, MEM_SIZE);
	if (!mem)
		return 1;
	tvm = (struct vmm){
		.kvm = -1, .vm = -1, .vcpu = -1, .ram = mem, .ram_size = MEM_SIZE, .opts = &opts
	};
	RUN("virtio-net", pure_acks);
	RUN("virtio-net", network_works);
	RUN("virtio-net", fragments_dropped);
	RUN("virtio-net", short_frames_dropped);
	RUN("virtio-net", host_loopback_closed);
	RUN("virtio-net", ipv6_works);
	RUN("virtio-net", ipv6_bad_frames_dropped);
	RUN("virtio-net", helper_dies);
	RUN("virtio-net", queue_gone);
	if (dev) {
		vmm_vdev_stop(dev);
		vmm_net_teardown(&tvm);
	}
	if (ufd >= 0)
		close(ufd);
	free(mem);
	return unit_failures ? 1 : 0;
}
