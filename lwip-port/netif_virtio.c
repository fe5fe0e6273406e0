/*
 * A virtio-net device as an lwIP interface.
 *
 * Receive: the RX ring is kept full of page-sized buffers; a frame larger
 * than one (the user network's MTU is 65520: virtio_net.h) spreads over
 * several (VIRTIO_NET_F_MRG_RXBUF: the header's num_buffers says how
 * many), which wait here until the last has come. The frame is copied
 * into one pbuf and its buffers go straight back to the device, so lwIP
 * holding data (out-of-order queues, unread socket data) never starves
 * the ring.
 *
 * Transmit: zero copy: the pbuf chain's payloads are the chain's
 * descriptors, the virtio-net header in the headroom lwIP leaves before
 * the frame (PBUF_LINK_ENCAPSULATION_HLEN) so that a frame is usually one
 * descriptor (lwIP's heap is physically contiguous), the pbuf referenced
 * until the device is done with it (lwIP does not retransmit a segment
 * whose pbuf the driver still holds). A frame that finds the ring full
 * waits in a FIFO for descriptors instead of being dropped. Kicks are
 * batched: uk_vnet_flush() kicks once for all frames added since.
 *
 * Checksums: when the device takes partial checksums (VIRTIO_NET_F_CSUM),
 * lwIP leaves TCP and UDP checksums out and the driver marks each frame
 * NEEDS_CSUM with the pseudo-header sum in place (the host, or the peer's
 * stack behind a TAP, finishes it). When the device may hand us frames
 * whose checksum was verified or never computed (GUEST_CSUM: DATA_VALID,
 * NEEDS_CSUM, typically from the host's own stack), lwIP's checks are off
 * and the driver verifies the frames that carry neither flag itself.
 *
 * Segmentation (HOST_TSO4, a TAP's device: the host kernel segments):
 * lwIP's TCP segments are up to 64 KiB (lwip-port/hooks.c says how),
 * sent as one frame with a GSO header whose segment size the hook left in
 * the pbuf. The interface's MTU is then a 64 KiB packet's so that lwIP's
 * IP layer leaves them whole; every other packet larger than the link's
 * MTU is fragmented here, before ARP, by lwIP's own ip4_frag.
 *
 * Interrupts: the RX queue's while the stack waits (the net thread turns
 * them on before it sleeps), the TX queue's while frames wait for
 * descriptors; used TX chains are reclaimed on every transmit and poll.
 * The interrupt handler just calls the wake function given to
 * uk_vnet_probe.
 */
#include <lwip/etharp.h>
#include <lwip/inet_chksum.h>
#include <lwip/ethip6.h>
#include <lwip/ip4.h>
#include <lwip/ip4_frag.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/prot/ip.h>
#include <netif/ethernet.h>
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/virtio_dev.h>
#include <uk/virtio_net.h>

#include "vnet.h"

#define RX_NUM 256
#define TX_NUM 256
#define RX_BUF 4096     /* a page: 1 MiB for the ring, a 64 KiB frame in 17 */
#define PBUF_MAX 0xffff /* a pbuf's length is 16-bit */
#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define TX_SEGS 16   /* longer pbuf chains are copied into one */
#define TXQ_MAX 4096 /* frames waiting for TX descriptors */
/* A deferred kick is made once this many calls' frames wait for it: the
 * device may start on them meanwhile. */
#define TX_KICK_BATCH 32
/* Nor does one wait longer than this for a caller that keeps calling (a
 * program polling a non-blocking socket; one that computes without
 * calling waits for the net thread's turn, as received frames do). */
#define TX_KICK_DEFER_NS 100000
#define CTRL_NUM 8
/* For the device's ack of a command: ukrun waits 30 s for its network
 * helper, then stops it and the VM (vmm/net_user.c), so an answer comes
 * unless the device gave up (checked every CTRL_CHECK_NS: costs an exit).
 * listen() returns only once the forwards are open, also on a loaded host
 * where the helper waits a second or more for a core. */
#define CTRL_WAIT_NS 35000000000ull
#define CTRL_CHECK_NS 100000000ull
/* How long the VM's end waits for the device to take the last frames. */
#define EXIT_WAIT_NS 100000000ull
/* The interface's MTU with TSO: the largest IPv4 packet whose frame and
 * virtio-net header a pbuf (16-bit lengths) still holds. */
#define TSO_MTU (0xffff - 14 - HDR_LEN)

/* A control command as the device reads it, and its ack. */
struct vnet_cmd {
	struct uk_virtio_net_ctrl_hdr hdr;
	uint16_t port;
	volatile uint8_t ack;
} __attribute__((packed));

struct vnet {
	struct netif nif;
	struct uk_virtio_dev *dev;
	struct uk_virtq *rx, *tx, *ctrl; /* ctrl: NULL without CTRL_VQ */
	struct vnet_cmd *cmd;            /* one per control descriptor pair */
	uint8_t *rx_bufs;                /* RX_NUM * RX_BUF, contiguous */
	struct vq_net_asm rx_asm;        /* the frame being put together */
	uint8_t *rx_held[RX_NUM];        /* its buffers so far */
	uint32_t rx_held_len[RX_NUM];
	unsigned rx_nheld;
	int rx_merge;                     /* MRG_RXBUF negotiated */
	uint32_t rx_frame_max;            /* with GUEST_TSO4: a 64 KiB packet and more */
	struct uk_virtio_net_hdr *tx_hdr; /* one per TX descriptor head */
	int rx_kick, tx_kick;             /* buffers added since the last kick */
	int tx_owed;                      /* the device asked for a kick not yet made */
	uint64_t tx_owed_since;           /* (monotonic ns) */
	unsigned tx_unkicked;             /* flushes with frames since the last kick */
	struct pbuf **txq;                /* frames waiting for the ring: a FIFO */
	uint8_t *txq_segs;                /* their descriptor counts */
	unsigned txq_head, txq_len;
	int tx_csum_off, rx_csum_off; /* checksums offloaded that way */
	int tso;                      /* HOST_TSO4: lwIP's TCP segments up to 64 KiB */
	uint16_t mtu;                 /* the link's (the interface's is TSO_MTU with tso) */
	uint64_t tx_tso;              /* frames sent for the device to segment */
	uint64_t rx_frames, tx_frames, rx_drops, tx_drops, tx_waited, rx_merged;
	struct vnet *next;
};

static struct vnet *vnets;
static void (*wake_fn)(void);

/* ---- receive ---- */

static int rx_post(struct vnet *v, uint8_t *buf)
{
	struct vq_buf b = { uk_v2p(buf), RX_BUF };

	if (vq_drv_add(&v->rx->vq, &b, 0, 1, buf))
		return -1;
	v->rx_kick = 1;
	return 0;
}

/* ---- checksums ---- */

#define ETH_HLEN 14

static int is_v6(const uint8_t *f) { return f[12] == 0x86 && f[13] == 0xdd; }

/* A TCP or UDP frame: over IPv4 and not a fragment, or over IPv6 right
 * after its fixed header (no extension headers: lwIP sends none with
 * them). The offset of its L4 header, the L4 length, and where the
 * checksum field sits in it. The headers lie in f[0 .. hlen), the frame
 * is len bytes long. */
static int l4_of(const uint8_t *f, size_t hlen, size_t len, unsigned *l4, unsigned *l4len,
                 unsigned *field)
{
	const uint8_t *ip = f + ETH_HLEN;
	unsigned ihl, tot;

	if (hlen >= ETH_HLEN + 40 && is_v6(f) && (ip[0] >> 4) == 6) {
		*field = ip[6] == IP_PROTO_TCP ? 16 : ip[6] == IP_PROTO_UDP ? 6 : 0;
		*l4 = ETH_HLEN + 40;
		*l4len = (unsigned)ip[4] << 8 | ip[5];
		return *field && ETH_HLEN + 40 + *l4len <= len && *l4len >= *field + 2u &&
		       *l4 + *field + 2 <= hlen;
	}
	if (hlen < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4)
		return 0;
	ihl = (ip[0] & 15) * 4u;
	tot = (unsigned)ip[2] << 8 | ip[3];
	if (ihl < 20 || tot < ihl || ETH_HLEN + tot > len || (ip[6] & 0x3f) || ip[7])
		return 0;
	*field = ip[9] == IP_PROTO_TCP ? 16 : ip[9] == IP_PROTO_UDP ? 6 : 0;
	*l4 = ETH_HLEN + ihl;
	*l4len = tot - ihl;
	return *field && *l4len >= *field + 2u && *l4 + *field + 2 <= hlen;
}

/* The pseudo header's one's-complement sum, folded, not inverted: the
 * addresses, the protocol and the L4 length (IPv4's or IPv6's). */
static uint16_t pseudo_sum(const uint8_t *f, unsigned l4len)
{
	const uint8_t *ip = f + ETH_HLEN;
	int v6 = is_v6(f), from = v6 ? 8 : 12, to = v6 ? 40 : 20;
	uint32_t s = (v6 ? ip[6] : ip[9]) + l4len;

	for (int i = from; i < to; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A received frame nobody vouched for: 1 when its TCP/UDP checksum holds
 * (or it has none we can check here), 0 when it is corrupt. */
static int rx_csum_ok(const uint8_t *f, size_t len)
{
	unsigned l4, l4len, field;
	uint32_t s;

	if (!l4_of(f, len, len, &l4, &l4len, &field))
		return 1; /* not TCP/UDP, or a fragment: lwIP's business */
	if (field == 6 && !f[l4 + 6] && !f[l4 + 7])
		return !is_v6(f); /* UDP without a checksum: IPv4 allows it */
	/* inet_chksum's sum is in network order, ours in host order. */
	s = pseudo_sum(f, l4len) + lwip_ntohs((u16_t)~inet_chksum(f + l4, (u16_t)l4len));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* lwIP left the checksum to us and the device cannot do it for this frame
 * (headers split across pbufs, which lwIP never does): compute it here. An
 * IP fragment is skipped: lwIP leaves fragmented UDP without a checksum
 * (legal in IPv4) and never fragments TCP. */
static void tx_csum_soft(struct pbuf *p)
{
	uint8_t f[ETH_HLEN + 60 + 20];
	u16_t n = pbuf_copy_partial(p, f, sizeof(f), 0);
	unsigned l4, l4len, field;
	uint32_t s;

	if (!l4_of(f, n, p->tot_len, &l4, &l4len, &field))
		return;
	pbuf_put_at(p, (u16_t)(l4 + field), 0);
	pbuf_put_at(p, (u16_t)(l4 + field + 1), 0);
	s = pseudo_sum(f, l4len);
	for (unsigned off = 0; off < l4len; off += 2) {
		uint8_t hi = pbuf_get_at(p, (u16_t)(l4 + off));
		uint8_t lo = off + 1 < l4len ? pbuf_get_at(p, (u16_t)(l4 + off + 1)) : 0;
		s += (uint32_t)hi << 8 | lo;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	if (field == 6 && !s)
		s = 0xffff; /* UDP: 0 would mean "no checksum" */
	pbuf_put_at(p, (u16_t)(l4 + field), (u8_t)(s >> 8));
	pbuf_put_at(p, (u16_t)(l4 + field + 1), (u8_t)s);
}

/* Leave the TCP/UDP checksum to the device: the pseudo-header sum in the
 * field, NEEDS_CSUM in the header. The payload may continue in further
 * pbufs; the headers are in the first (lwIP builds them there). A frame
 * larger than the link's MTU (tx_tso_ok checked it) is for the device to
 * segment, its pseudo-header sum over the whole, as Linux leaves it. */
static void tx_csum(struct vnet *v, struct pbuf *p, struct uk_virtio_net_hdr *h)
{
	uint8_t *f = p->payload;
	unsigned l4, l4len, field;
	uint16_t s;

	if (!l4_of(f, p->len, p->tot_len, &l4, &l4len, &field)) {
		tx_csum_soft(p);
		return;
	}
	s = pseudo_sum(f, l4len);
	f[l4 + field] = (uint8_t)(s >> 8);
	f[l4 + field + 1] = (uint8_t)s;
	h->flags = UK_VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4;
	h->csum_offset = (uint16_t)field;
	if (p->tot_len > ETH_HLEN + v->mtu) {
		h->gso_type = UK_VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = p->uk_tso_mss;
		h->hdr_len = (uint16_t)(l4 + (f[l4 + 12] >> 4) * 4u);
		v->tx_tso++;
	}
}

/* A frame larger than the link's MTU that the device may segment: TCP
 * over IPv4, its headers in the first pbuf, with a segment size from
 * lwip-port/hooks.c that fits the link. */
static int tx_tso_ok(struct vnet *v, struct pbuf *p)
{
	const uint8_t *f = p->payload;
	unsigned l4, l4len, field;

	return v->tso && l4_of(f, p->len, p->tot_len, &l4, &l4len, &field) && !is_v6(f) &&
	       field == 16 && l4 + 20 <= p->len && l4 + (f[l4 + 12] >> 4) * 4u <= p->len &&
	       p->uk_tso_mss && p->uk_tso_mss <= v->mtu - 40u;
}

/* Bytes [from, len) of the frame in the held buffers (the first one's
 * after its header) into a pbuf: NULL when memory is short. */
static struct pbuf *rx_copy(struct vnet *v, uint32_t from, uint32_t len)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(len - from), PBUF_RAM);
	uint32_t at = 0; /* frame offset of the buffer at hand */

	if (!p)
		return NULL;
	for (unsigned i = 0; i < v->rx_nheld; i++) {
		const uint8_t *d = v->rx_held[i] + (i ? 0 : HDR_LEN);
		uint32_t n = v->rx_held_len[i] - (i ? 0 : HDR_LEN), skip = 0;
		if (at < from)
			skip = from - at < n ? from - at : n;
		if (n > skip)
			pbuf_take_at(p, d + skip, (u16_t)(n - skip), (u16_t)(at + skip - from));
		at += n;
	}
	return p;
}

/* The frame held, as a pbuf lwIP may take: NULL when it is refused. A
 * frame longer than a pbuf holds (the host's coalesced TCP, up to a 64 KiB
 * IPv4 packet and its Ethernet header) comes as its IPv4 packet alone
 * (*ip: for ip4_input, past ethernet_input). */
static struct pbuf *rx_frame(struct vnet *v, uint32_t len, int *ip)
{
	const struct uk_virtio_net_hdr *h = (const void *)v->rx_held[0];
	const uint8_t *f = v->rx_held[0] + HDR_LEN;
	int vouched =
	    !!(h->flags & (UK_VIRTIO_NET_HDR_F_DATA_VALID | UK_VIRTIO_NET_HDR_F_NEEDS_CSUM));
	struct pbuf *p;

	*ip = len > PBUF_MAX;
	if (*ip &&
	    (v->rx_held_len[0] < HDR_LEN + ETH_HLEN || f[12] != 0x08 || f[13] != 0x00 || !vouched))
		return NULL; /* only IPv4 comes so large, with its checksum left to us */
	p = rx_copy(v, *ip ? ETH_HLEN : 0, len);
	if (p && !*ip && v->rx_csum_off && !vouched && !rx_csum_ok(p->payload, len)) {
		pbuf_free(p);
		p = NULL;
	}
	return p;
}

/* Every used RX buffer: into the frame being put together; a complete
 * frame copied out, its buffers back to the ring, then into lwIP (which
 * may take long: it wakes threads, transmits). */
static int rx_drain(struct vnet *v)
{
	struct pbuf *p;
	uint8_t *buf;
	uint32_t len;
	int n = 0, r, ip = 0;

	while ((buf = vq_drv_get(&v->rx->vq, &len))) {
		r = vq_net_asm_add(&v->rx_asm, buf, len, RX_BUF, RX_NUM, v->rx_frame_max,
		                   v->rx_merge);
		v->rx_held[v->rx_nheld] = buf;
		v->rx_held_len[v->rx_nheld++] = len;
		if (r == VQ_NET_ASM_MORE)
			continue;
		p = r == VQ_NET_ASM_DONE ? rx_frame(v, v->rx_asm.len, &ip) : NULL;
		v->rx_merged += p && v->rx_nheld > 1;
		for (unsigned i = 0; i < v->rx_nheld; i++)
			rx_post(v, v->rx_held[i]);
		v->rx_nheld = 0;
		if (!p) {
			v->rx_drops++;
			continue;
		}
		v->rx_frames++;
		n++;
		if ((ip ? ip4_input(p, &v->nif) : v->nif.input(p, &v->nif)) != ERR_OK)
			pbuf_free(p);
	}
	return n;
}

/* ---- transmit ---- */

/* Frames put on the ring (or the wait list) go out; what waits goes on
 * when the device returns descriptors (the TX interrupt is on only while
 * frames wait). Never dropped for a full ring: a dropped TCP segment costs
 * a retransmission timeout (a second or more), a dropped ACK as much. */
static void tx_wait_flush(struct vnet *v);

static void tx_reclaim(struct vnet *v)
{
	struct pbuf *p;
	uint32_t len;

	while ((p = vq_drv_get(&v->tx->vq, &len)))
		pbuf_free(p);
	if (v->txq_len)
		tx_wait_flush(v);
}

/* A chain the device can take directly: few segments, each physically
 * contiguous. Else a copy into one pbuf from the heap. */
static struct pbuf *tx_prepare(struct pbuf *p, unsigned *segs)
{
	struct pbuf *q, *c;
	unsigned n = 0;

	for (q = p; q; q = q->next) {
		if (q->len && uk_phys_run(q->payload, q->len) != q->len)
			break;
		n += q->len != 0;
	}
	if (!q && n <= TX_SEGS) {
		pbuf_ref(p);
		*segs = n;
		return p;
	}
	if (!(c = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_RAM)))
		return NULL;
	pbuf_copy(c, p);
	c->uk_tso_mss = p->uk_tso_mss;
	*segs = 1;
	return c;
}

/* Where the virtio-net header goes: in the head pbuf's headroom when it is
 * physically contiguous with the frame (one descriptor for the lot: lwIP
 * leaves PBUF_LINK_ENCAPSULATION_HLEN bytes for it), else the slot of the
 * head descriptor the chain will get (a descriptor of its own). */
static struct uk_virtio_net_hdr *tx_hdr_at(struct vnet *v, struct pbuf *p)
{
	if (pbuf_add_header(p, HDR_LEN) == 0) {
		if (uk_phys_run(p->payload, p->len) == p->len)
			return p->payload;
		pbuf_remove_header(p, HDR_LEN);
	}
	return &v->tx_hdr[v->tx->vq.free_head];
}

/* A prepared chain (ours: referenced or copied) onto the ring; 0, or -1
 * when the ring has no room for it now. */
static int tx_submit(struct vnet *v, struct pbuf *p, unsigned segs)
{
	struct vq_buf b[TX_SEGS + 1];
	struct uk_virtio_net_hdr h = { 0 }, *at;
	unsigned i = 0;
	struct pbuf *q;

	if (vq_drv_nfree(&v->tx->vq) < segs + 1)
		return -1;
	if (v->tx_csum_off)
		tx_csum(v, p, &h);
	at = tx_hdr_at(v, p);
	*at = h;
	if ((void *)at != p->payload)
		b[i++] = (struct vq_buf){ uk_v2p(at), HDR_LEN };
	for (q = p; q; q = q->next)
		if (q->len)
			b[i++] = (struct vq_buf){ uk_v2p(q->payload), q->len };
	if ((void *)at == p->payload)
		pbuf_remove_header(p, HDR_LEN); /* lwIP's view of its pbuf unchanged */
	vq_drv_add(&v->tx->vq, b, i, 0, p);
	v->tx_kick = 1;
	v->tx_frames++;
	return 0;
}

static void tx_wait_flush(struct vnet *v)
{
	struct pbuf *p;
	uint32_t len;

	for (;;) {
		while (v->txq_len) {
			p = v->txq[v->txq_head];
			if (tx_submit(v, p, v->txq_segs[v->txq_head]))
				break;
			v->txq_head = (v->txq_head + 1) % TXQ_MAX;
			v->txq_len--;
		}
		if (!v->txq_len) {
			vq_drv_irq_off(&v->tx->vq);
			return;
		}
		/* Wake when the device returns a descriptor; if it did meanwhile,
		 * go round again. */
		if (!vq_drv_irq_on(&v->tx->vq))
			return;
		while ((p = vq_drv_get(&v->tx->vq, &len)))
			pbuf_free(p);
	}
}

static err_t vnet_output(struct netif *nif, struct pbuf *p)
{
	struct vnet *v = nif->state;
	unsigned segs, tail;

	tx_reclaim(v);
	if (p->tot_len > ETH_HLEN + v->mtu && !tx_tso_ok(v, p))
		goto drop; /* the device would refuse it */
	if (!(p = tx_prepare(p, &segs)))
		goto drop;
	if (!v->txq_len && tx_submit(v, p, segs) == 0)
		return ERR_OK;
	if (v->txq_len == TXQ_MAX) {
		pbuf_free(p);
		goto drop; /* the device stopped taking frames */
	}
	tail = (v->txq_head + v->txq_len) % TXQ_MAX;
	v->txq[tail] = p;
	v->txq_segs[tail] = (uint8_t)segs;
	v->txq_len++;
	v->tx_waited++;
	tx_wait_flush(v);
	return ERR_OK;
drop:
	v->tx_drops++;
	return ERR_MEM;
}

/* ---- the netif ---- */

/* lwIP's IP output with TSO: a TCP segment goes whole (the device cuts
 * it), any other packet larger than the link's MTU in fragments of it. */
static err_t vnet_ip_output(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
	struct vnet *v = nif->state;
	const uint8_t *ip = p->payload;
	err_t err;

	if (p->tot_len <= v->mtu || (p->len >= 20 && ip[9] == IP_PROTO_TCP && p->uk_tso_mss))
		return etharp_output(nif, p, dst);
	/* ip4_frag cuts to the interface's MTU and hands the pieces back here
	 * through nif->output. */
	nif->mtu = v->mtu;
	err = ip4_frag(p, nif, dst);
	nif->mtu = TSO_MTU;
	return err;
}

static void vnet_isr(struct uk_virtio_dev *d, void *arg)
{
	(void)d, (void)arg;
	if (wake_fn)
		wake_fn();
}

static err_t vnet_init(struct netif *nif)
{
	struct vnet *v = nif->state;
	uint16_t mtu = UK_VIRTIO_NET_MTU, max;

	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = vnet_output;
	nif->hwaddr_len = 6;
	uk_virtio_config(v->dev, 0, nif->hwaddr, 6);
	if (v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MTU))
		uk_virtio_config(v->dev, 10, &mtu, 2);
	/* Without MRG_RXBUF a frame must fit one buffer. */
	max = v->rx_merge ? UK_VIRTIO_NET_MTU_USER : RX_BUF - HDR_LEN - ETH_HLEN;
	v->mtu = mtu > max ? max : mtu < UK_VIRTIO_NET_MTU_MIN ? UK_VIRTIO_NET_MTU_MIN : mtu;
	nif->flags =
	    NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	v->tx_csum_off = !!(v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CSUM));
	v->rx_csum_off = !!(v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_CSUM));
	/* (a link with an MTU of 64 KiB has nothing to gain from it) */
	v->tso = v->tx_csum_off && (v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_TSO4)) &&
	         v->mtu < TSO_MTU / 2;
	nif->mtu = v->tso ? TSO_MTU : v->mtu;
	if (v->tso)
		nif->output = vnet_ip_output;
	NETIF_SET_CHECKSUM_CTRL(
	    nif, NETIF_CHECKSUM_ENABLE_ALL &
	             ~(v->tx_csum_off ? NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP : 0) &
	             ~(v->rx_csum_off ? NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP : 0));
	return ERR_OK;
}

static int vnet_queues(struct vnet *v)
{
	v->rx_merge = !!(v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MRG_RXBUF));
	v->rx_frame_max = v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4)
	                      ? ETH_HLEN + PBUF_MAX
	                      : PBUF_MAX;
	if (!(v->rx = uk_virtq_create(v->dev, UK_VIRTIO_NET_Q_RX, RX_NUM)) ||
	    !(v->tx = uk_virtq_create(v->dev, UK_VIRTIO_NET_Q_TX, TX_NUM)))
		return -1;
	v->rx_bufs = uk_pages_alloc(v->rx->vq.r.num * RX_BUF / UK_PAGE_SIZE);
	v->tx_hdr = uk_kzalloc(v->tx->vq.r.num * sizeof(*v->tx_hdr));
	v->txq = uk_kzalloc(TXQ_MAX * sizeof(*v->txq));
	v->txq_segs = uk_kzalloc(TXQ_MAX);
	if (!v->rx_bufs || !v->tx_hdr || !v->txq || !v->txq_segs)
		return -1;
	if (v->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CTRL_VQ)) {
		if (!(v->ctrl = uk_virtq_create(v->dev, UK_VIRTIO_NET_Q_CTRL, CTRL_NUM)) ||
		    !(v->cmd = uk_kzalloc(v->ctrl->vq.r.num * sizeof(*v->cmd))))
			return -1;
		vq_drv_irq_off(&v->ctrl->vq); /* acks are polled for */
	}
	for (unsigned i = 0; i < v->rx->vq.r.num; i++)
		rx_post(v, v->rx_bufs + i * RX_BUF);
	vq_drv_irq_off(&v->tx->vq); /* reclaimed as we go, on while frames wait */
	return 0;
}

#define TSO_NEEDS                                                                               \
	(UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MRG_RXBUF) | \
	 UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_CSUM))
#define TSO_OUT (UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_TSO4) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CSUM))

static struct vnet *vnet_open(struct uk_virtio_dev *d)
{
	struct vnet *v = uk_kzalloc(sizeof(*v));
	uint64_t want =
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MAC) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MTU) |
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_STATUS) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MRG_RXBUF) |
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CSUM) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_CSUM);
	uint64_t offered;

	if (!v)
		return NULL;
	/* ukrun's device wants the guest's listeners (virtio_net.h); QEMU's
	 * has no use for them. */
	if (d->node >= 0)
		want |= UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CTRL_VQ);
	offered = uk_virtio_offered(d);
	/* The host's receive offload (a TAP's): coalesced TCP frames up to a
	 * 64 KiB packet, which need buffers merged and checksums left to the
	 * device. */
	if ((offered & TSO_NEEDS) == TSO_NEEDS)
		want |= UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4);
	/* And its segmentation: our TCP segments up to 64 KiB, the device's
	 * partial checksums needed for them. */
	if ((offered & TSO_OUT) == TSO_OUT)
		want |= UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_TSO4);
	v->dev = d;
	if (uk_virtio_features(d, want) || vnet_queues(v) || uk_virtio_irq(d, vnet_isr, v)) {
		uk_pr("virtio-net at %#lx: cannot set the device up", (unsigned long)d->base);
		return NULL; /* its memory stays: the device may still use it */
	}
	uk_virtio_ready(d);
	uk_virtq_kick(v->rx);
	v->rx_kick = 0;
	return v;
}

/* The program ends and the VM with it, while its last frames may still
 * sit on the TX ring, kicked but not yet taken by the device (ukrun's
 * thread, QEMU's): a datagram sent just before exit, or an answer and
 * its FIN, were lost (a UDP echo's last reply, 1 run in 3). Linux sends
 * them after the process is gone; here the end waits until the device
 * has taken them, EXIT_WAIT_NS at most. */
static void vnet_exit(void)
{
	uint64_t end = uk_monotonic_ns() + EXIT_WAIT_NS;

	uk_vnet_flush();
	for (struct vnet *v = vnets; v; v = v->next)
		while (!vq_drv_all_used(&v->tx->vq) && uk_monotonic_ns() < end)
			uk_pause();
}

int uk_vnet_probe(void (*wake)(void),
                  struct netif *(*add)(struct netif *nif, void *state, netif_init_fn init))
{
	struct uk_virtio_dev *d;
	struct vnet *v;
	int n = 0;

	wake_fn = wake;
	while ((d = uk_virtio_claim(UK_VIRTIO_ID_NET))) {
		if (!(v = vnet_open(d)) || !add(&v->nif, v, vnet_init))
			continue;
		/* IPv6 keeps the link's MTU (netif_add copied the interface's,
		 * a TSO packet's with tso): lwIP fragments and sizes its
		 * segments to it, no TSO for them. */
		v->nif.mtu6 = v->mtu;
		v->next = vnets;
		vnets = v;
		n++;
	}
	if (n)
		uk_plat_on_exit(vnet_exit);
	return n;
}

int uk_vnet_poll(void)
{
	int n = 0;

	for (struct vnet *v = vnets; v; v = v->next) {
		tx_reclaim(v);
		n += rx_drain(v);
	}
	return n;
}

void uk_vnet_flush_lazy(int defer)
{
	for (struct vnet *v = vnets; v; v = v->next) {
		if (v->rx_kick)
			uk_virtq_kick(v->rx);
		/* Published either way: a device polling the ring takes them. */
		if (v->tx_kick && vq_drv_kick_needed(&v->tx->vq) && !v->tx_owed) {
			v->tx_owed = 1;
			v->tx_owed_since = defer ? uk_monotonic_ns() : 0;
		}
		v->tx_unkicked += v->tx_kick;
		v->rx_kick = v->tx_kick = 0;
		if (v->tx_owed && (!defer || v->tx_unkicked >= TX_KICK_BATCH ||
		                   uk_monotonic_ns() - v->tx_owed_since >= TX_KICK_DEFER_NS)) {
			uk_virtq_notify(v->tx);
			v->tx_owed = 0;
		}
		if (!v->tx_owed)
			v->tx_unkicked = 0;
	}
}

void uk_vnet_flush(void) { uk_vnet_flush_lazy(0); }

int uk_vnet_pending(void)
{
	for (struct vnet *v = vnets; v; v = v->next)
		if (vq_drv_has_used(&v->rx->vq))
			return 1;
	return 0;
}

int uk_vnet_irq(int on)
{
	int pending = 0;

	for (struct vnet *v = vnets; v; v = v->next) {
		if (on)
			pending |= vq_drv_irq_on(&v->rx->vq);
		else
			vq_drv_irq_off(&v->rx->vq);
	}
	return pending;
}

/* One command on v's control queue, waited for: the device's ack, or -1
 * (no answer within CTRL_WAIT_NS, or the device gave up). One command at a time (threads that
 * call at once wait their turn), so the answer to come back is ours or
 * one given up on earlier. */
static int ctrl_send(struct vnet *v, uint8_t cmd, uint16_t port)
{
	static int busy;
	uint64_t end = uk_monotonic_ns() + CTRL_WAIT_NS, now, check;
	struct vnet_cmd *c;
	struct vq_buf b[2];
	void *done = NULL;
	uint32_t len;

	while (busy && uk_monotonic_ns() < end)
		uk_sched_yield();
	if (busy)
		return -1;
	while (vq_drv_get(&v->ctrl->vq, &len)) /* answers given up on */
		;
	if (vq_drv_nfree(&v->ctrl->vq) < 2)
		return -1;
	busy = 1;
	c = &v->cmd[v->ctrl->vq.free_head];
	*c = (struct vnet_cmd){ { UK_VIRTIO_NET_CTRL_UK, cmd }, port, 0xff };
	b[0] = (struct vq_buf){ uk_v2p(c), sizeof(c->hdr) + sizeof(c->port) };
	b[1] = (struct vq_buf){ uk_v2p((const void *)&c->ack), 1 };
	vq_drv_add(&v->ctrl->vq, b, 1, 1, c);
	uk_virtq_kick(v->ctrl);
	check = uk_monotonic_ns() + CTRL_CHECK_NS;
	while ((done = vq_drv_get(&v->ctrl->vq, &len)) != c && (now = uk_monotonic_ns()) < end) {
		if (done)
			continue;
		if (now >= check) {
			if (uk_virtio_broken(v->dev))
				break;
			check = now + CTRL_CHECK_NS;
		}
		uk_sched_yield(); /* the device thread answers in microseconds */
	}
	busy = 0;
	return done == c ? c->ack : -1;
}

void uk_vnet_listen(uint16_t port, int on)
{
	for (struct vnet *v = vnets; v; v = v->next)
		if (v->ctrl)
			ctrl_send(
			    v, on ? UK_VIRTIO_NET_CTRL_UK_LISTEN : UK_VIRTIO_NET_CTRL_UK_UNLISTEN,
			    port);
}

static const struct vnet *vnet_of(const struct netif *nif)
{
	for (const struct vnet *v = vnets; v; v = v->next)
		if (&v->nif == nif)
			return v;
	return NULL;
}

unsigned uk_vnet_link_mtu(const struct netif *nif)
{
	const struct vnet *v = vnet_of(nif);

	return v ? v->mtu : nif->mtu;
}

unsigned uk_vnet_tso_mtu(const struct netif *nif)
{
	const struct vnet *v = vnet_of(nif);

	return v && v->tso ? v->mtu : 0;
}

const struct uk_virtio_dev *uk_vnet_dev(struct netif *nif)
{
	for (struct vnet *v = vnets; v; v = v->next)
		if (&v->nif == nif)
			return v->dev;
	return NULL;
}
