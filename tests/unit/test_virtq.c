/*
 * Split virtqueues, both ends (virtio/virtq.c), over a simulated guest
 * memory; then ukrun's virtio-mmio transport (vmm/virtio_mmio.c) driven
 * through its registers with an echo device, without KVM.
 */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uk/virtio.h>
#include <uk/virtio_net.h>
#include <uk/virtq.h>

#include "../../vmm/virtio.h"
#include "mmio_drv.h"
#include "unit.h"

/* ---- a guest memory: GPA = offset into mem ---- */

#define MEM_SIZE (1u << 20)
#define RING_GPA 0x1000u
#define BUF_GPA 0x40000u

static uint8_t *mem;
static int map_any; /* pretend any range is mapped (length overflow test) */

static void *map(void *ctx, uint64_t gpa, uint32_t len)
{
	(void)ctx;
	if (map_any)
		return mem;
	if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
		return NULL;
	return mem + gpa;
}

struct pair {
	struct vq_ring r;
	struct vq_drv drv;
	struct vq_dev dev;
	void *token[256];
	struct vq_seg seg[8];
	struct vq_chain c;
};

static void pair_init(struct pair *p, unsigned num, int event_idx)
{
	memset(mem, 0, MEM_SIZE);
	vq_ring_layout(&p->r, mem + RING_GPA, num);
	vq_drv_init(&p->drv, &p->r, p->token, event_idx);
	vq_dev_init(&p->dev, &p->r, event_idx, map, NULL);
}

static int add_one(struct pair *p, uint32_t out_len, uint32_t in_len, void *token)
{
	struct vq_buf b[2] = { { BUF_GPA, out_len }, { BUF_GPA + 0x1000, in_len } };

	return vq_drv_add(&p->drv, b, 1, 1, token);
}

TEST(layout)
{
	struct vq_ring r;

	EXPECT(vq_ring_bytes(256) == 4096 + 518 + 2 + 2054);
	vq_ring_layout(&r, mem, 256);
	EXPECT((uint8_t *)r.avail - (uint8_t *)r.desc == 4096);
	EXPECT(((uintptr_t)r.used - (uintptr_t)r.desc) % 4 == 0);
	EXPECT(vq_num_valid(256) && !vq_num_valid(0) && !vq_num_valid(100) && !vq_num_valid(65536));
}

TEST(round_trip)
{
	static struct pair p;
	uint32_t len;
	char msg[6];

	pair_init(&p, 8, 1);
	memcpy(mem + BUF_GPA, "hello", 6);
	EXPECT(add_one(&p, 6, 100, (void *)0x1234) == 0);
	EXPECT(vq_drv_nfree(&p.drv) == 6);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 0); /* not published yet */
	EXPECT(vq_drv_kick_needed(&p.drv) == 1);         /* avail_event 0 crossed */
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	EXPECT(p.c.nout == 1 && p.c.nin == 1 && p.c.out_len == 6 && p.c.in_len == 100);
	EXPECT(vq_chain_read(&p.c, 0, msg, sizeof(msg)) == 6 && !strcmp(msg, "hello"));
	EXPECT(vq_chain_write(&p.c, 98, "xyz", 3) == 2); /* only 2 bytes fit */
	EXPECT(!memcmp(mem + BUF_GPA + 0x1000 + 98, "xy", 2));
	vq_dev_push(&p.dev, p.c.head, 42);
	EXPECT(vq_drv_get(&p.drv, &len) == NULL); /* not flushed */
	vq_dev_flush(&p.dev);
	EXPECT(vq_dev_need_interrupt(&p.dev) == 1); /* used_event 0 crossed */
	EXPECT(vq_drv_get(&p.drv, &len) == (void *)0x1234 && len == 42);
	EXPECT(vq_drv_nfree(&p.drv) == 8);
	EXPECT(vq_drv_get(&p.drv, &len) == NULL);
}

/* Many more operations than 2^16, so every index wraps; chains of changing
 * lengths recycle the free list in every order. */
TEST(wraparound)
{
	static struct pair p;
	uint32_t len;
	unsigned done = 0;

	pair_init(&p, 16, 1);
	for (unsigned i = 0; i < 200000; i++) {
		struct vq_buf b[3] = { { BUF_GPA, 1 }, { BUF_GPA, 2 }, { BUF_GPA, 3 } };
		unsigned n = 1 + i % 3;
		while (vq_drv_add(&p.drv, b, 1 + i % 3, 0, (void *)(uintptr_t)(i + 1))) {
			vq_drv_kick_needed(&p.drv);
			vq_dev_refill(&p.dev); /* as the device thread does each round */
			EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
			vq_dev_push(&p.dev, p.c.head, p.c.out_len);
			vq_dev_flush(&p.dev);
			EXPECT(vq_drv_get(&p.drv, &len) == (void *)(uintptr_t)(++done));
			n = 1 + (done - 1) % 3;
			EXPECT(len == n * (n + 1) / 2);
		}
	}
	EXPECT(done > 190000);
}

/* A device takes at most VQ_DEV_BUDGET chains, and makes as many rounds,
 * before its thread looks at its stop request again; the refill says
 * whether work may be left. (A driver that lays its rings over each other
 * can make work forever.) */
TEST(budget)
{
	static struct pair p;
	struct vq_buf b = { BUF_GPA, 1 };
	unsigned popped = 0, rounds = 0;
	uint32_t len;

	pair_init(&p, 16, 1);
	EXPECT(vq_dev_refill(&p.dev) == 0);
	for (;;) {
		while (vq_drv_add(&p.drv, &b, 1, 0, (void *)1) == 0)
			;
		vq_drv_kick_needed(&p.drv);
		if (vq_dev_pop(&p.dev, &p.c, p.seg, 8) != 1)
			break;
		popped++;
		vq_dev_push(&p.dev, p.c.head, 0);
		vq_dev_flush(&p.dev);
		while (vq_drv_get(&p.drv, &len))
			;
	}
	EXPECT(popped == VQ_DEV_BUDGET);
	EXPECT(vq_dev_notify_on(&p.dev) == 0); /* spent: "no more" for now */
	EXPECT(vq_dev_refill(&p.dev) == 1);    /* ... but work may be left */
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_unpop(&p.dev, 1);
	/* rounds cost too: notify_on saying "more" forever stops as well */
	EXPECT(vq_dev_refill(&p.dev) == 0);
	while (vq_dev_notify_on(&p.dev))
		rounds++;
	EXPECT(rounds == VQ_DEV_BUDGET && vq_dev_refill(&p.dev) == 1);
}

TEST(kick_suppression)
{
	static struct pair p;

	pair_init(&p, 8, 1);
	vq_dev_notify_off(&p.dev);
	EXPECT(add_one(&p, 1, 1, (void *)1) == 0);
	EXPECT(vq_drv_kick_needed(&p.drv) == 1); /* avail_event still 0 */
	EXPECT(add_one(&p, 1, 1, (void *)2) == 0);
	EXPECT(vq_drv_kick_needed(&p.drv) == 0); /* the device is busy */
	EXPECT(vq_drv_kick_needed(&p.drv) == 0); /* nothing new */
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	EXPECT(vq_dev_notify_on(&p.dev) == 0);
	EXPECT(add_one(&p, 1, 1, (void *)3) == 0);
	EXPECT(vq_drv_kick_needed(&p.drv) == 1);
	/* An entry published between the last pop and notify_on is seen. */
	EXPECT(add_one(&p, 1, 1, (void *)4) == 0);
	vq_drv_kick_needed(&p.drv);
	EXPECT(vq_dev_notify_on(&p.dev) == 1);
}

TEST(interrupt_suppression)
{
	static struct pair p;
	uint32_t len;

	pair_init(&p, 8, 1);
	for (int i = 1; i <= 3; i++)
		EXPECT(add_one(&p, 1, 1, (void *)(uintptr_t)i) == 0);
	vq_drv_kick_needed(&p.drv);
	vq_drv_irq_off(&p.drv);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_push(&p.dev, p.c.head, 0);
	vq_dev_flush(&p.dev);
	EXPECT(vq_dev_need_interrupt(&p.dev) == 1); /* used_event 0 */
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_push(&p.dev, p.c.head, 0);
	vq_dev_flush(&p.dev);
	EXPECT(vq_dev_need_interrupt(&p.dev) == 0); /* the driver is draining */
	EXPECT(vq_drv_get(&p.drv, &len) && vq_drv_get(&p.drv, &len));
	EXPECT(vq_drv_irq_on(&p.drv) == 0);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_push(&p.dev, p.c.head, 0);
	vq_dev_flush(&p.dev);
	EXPECT(vq_dev_need_interrupt(&p.dev) == 1);
	EXPECT(vq_drv_irq_on(&p.drv) == 1); /* an entry waits: drain again */
}

TEST(flags_without_event_idx)
{
	static struct pair p;

	pair_init(&p, 8, 0);
	vq_dev_notify_off(&p.dev);
	EXPECT(add_one(&p, 1, 1, (void *)1) == 0);
	EXPECT(vq_drv_kick_needed(&p.drv) == 0);
	EXPECT(vq_dev_notify_on(&p.dev) == 1);
	EXPECT(add_one(&p, 1, 1, (void *)2) == 0);
	EXPECT(vq_drv_kick_needed(&p.drv) == 1);
	vq_drv_irq_off(&p.drv);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_push(&p.dev, p.c.head, 0);
	vq_dev_flush(&p.dev);
	EXPECT(vq_dev_need_interrupt(&p.dev) == 0);
}

TEST(full_ring)
{
	static struct pair p;

	pair_init(&p, 4, 1);
	EXPECT(add_one(&p, 1, 1, (void *)1) == 0);
	EXPECT(add_one(&p, 1, 1, (void *)2) == 0);
	EXPECT(add_one(&p, 1, 1, (void *)3) == -1);
	EXPECT(vq_drv_nfree(&p.drv) == 0);
}

TEST(unpop)
{
	static struct pair p;
	uint16_t head;

	pair_init(&p, 8, 1);
	EXPECT(add_one(&p, 1, 1, (void *)1) == 0);
	vq_drv_kick_needed(&p.drv);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	head = p.c.head;
	vq_dev_unpop(&p.dev, 1);
	EXPECT(vq_dev_pending(&p.dev) == 1);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1 && p.c.head == head);
}

/* ---- a hostile driver ---- */

/* Publish one chain whose descriptors the test then corrupts. */
static void hostile_init(struct pair *p)
{
	pair_init(p, 8, 1);
	add_one(p, 16, 16, (void *)1);
	vq_drv_kick_needed(&p->drv);
}

static int pop_fails(struct pair *p, const char *why)
{
	int r = vq_dev_pop(&p->dev, &p->c, p->seg, 8);
	return r == -1 && p->dev.err && strstr(p->dev.err, why) && p->dev.last_avail == 0;
}

TEST(hostile_head)
{
	static struct pair p;

	hostile_init(&p);
	p.r.avail->ring[0] = 8;
	EXPECT(pop_fails(&p, "out of range"));
}

TEST(hostile_next)
{
	static struct pair p;

	hostile_init(&p);
	p.r.desc[p.r.avail->ring[0]].next = 300;
	EXPECT(pop_fails(&p, "out of range"));
}

TEST(hostile_loop)
{
	static struct pair p;
	uint16_t h;

	hostile_init(&p);
	h = p.r.avail->ring[0];
	p.r.desc[p.r.desc[h].next].flags = VQ_DESC_F_NEXT; /* readable, back to h */
	p.r.desc[p.r.desc[h].next].next = h;
	EXPECT(pop_fails(&p, "loops"));
}

TEST(hostile_order)
{
	static struct pair p;
	uint16_t h;

	hostile_init(&p);
	h = p.r.avail->ring[0];
	p.r.desc[h].flags |= VQ_DESC_F_WRITE;
	p.r.desc[p.r.desc[h].next].flags &= ~VQ_DESC_F_WRITE;
	EXPECT(pop_fails(&p, "readable descriptor after a writable"));
}

TEST(hostile_indirect)
{
	static struct pair p;

	hostile_init(&p);
	p.r.desc[p.r.avail->ring[0]].flags |= VQ_DESC_F_INDIRECT;
	EXPECT(pop_fails(&p, "indirect"));
}

TEST(hostile_address)
{
	static struct pair p;

	hostile_init(&p);
	p.r.desc[p.r.avail->ring[0]].addr = MEM_SIZE - 8; /* 16 bytes: 8 outside */
	EXPECT(pop_fails(&p, "outside guest memory"));
	p.dev.err = NULL;
	p.r.desc[p.r.avail->ring[0]].addr = UINT64_MAX - 4; /* wraps */
	EXPECT(pop_fails(&p, "outside guest memory"));
}

TEST(hostile_length)
{
	static struct pair p;
	uint16_t h;

	hostile_init(&p);
	h = p.r.avail->ring[0];
	p.r.desc[h].addr = 0;
	p.r.desc[h].len = 0x80000000u;
	p.r.desc[h].flags |= VQ_DESC_F_NEXT;
	p.r.desc[h].next = h ^ 1;
	/* Two readable descriptors of 2 GiB: 4 GiB does not fit a u32. */
	p.r.desc[h ^ 1] = (struct vq_desc){ 0, 0x80000000u, 0, 0 };
	map_any = 1;
	EXPECT(pop_fails(&p, "longer than 4 GiB"));
	map_any = 0;
}

TEST(hostile_avail_idx)
{
	static struct pair p;

	hostile_init(&p);
	p.r.avail->idx = 9; /* more than 8 ahead */
	EXPECT(pop_fails(&p, "ran more than a queue ahead"));
	EXPECT(vq_dev_pending(&p.dev) == -1);
}

TEST(hostile_long_chain)
{
	static struct pair p;
	struct vq_buf b[8];

	pair_init(&p, 8, 1);
	for (int i = 0; i < 8; i++)
		b[i] = (struct vq_buf){ BUF_GPA, 1 };
	EXPECT(vq_drv_add(&p.drv, b, 8, 0, (void *)1) == 0);
	vq_drv_kick_needed(&p.drv);
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 4) == -1 && strstr(p.dev.err, "longer"));
}

/* A device returning an impossible head: the driver skips it. */
TEST(hostile_device)
{
	static struct pair p;
	uint32_t len;

	pair_init(&p, 8, 1);
	EXPECT(add_one(&p, 1, 1, (void *)7) == 0);
	vq_drv_kick_needed(&p.drv);
	vq_dev_push(&p.dev, 200, 0);
	vq_dev_push(&p.dev, 5, 0); /* valid index, but no chain there */
	EXPECT(vq_dev_pop(&p.dev, &p.c, p.seg, 8) == 1);
	vq_dev_push(&p.dev, p.c.head, 3);
	vq_dev_flush(&p.dev);
	EXPECT(vq_drv_get(&p.drv, &len) == (void *)7 && len == 3);
}

/* ---- the net header check ---- */

TEST(net_hdr)
{
	uint64_t all = ~0ull, none = 0;
	struct uk_virtio_net_hdr h = { 0 };

	EXPECT(vq_net_hdr_check(&h, 60, none, 1500) == NULL);
	EXPECT(vq_net_hdr_check(&h, 10, none, 1500) != NULL);  /* runt */
	EXPECT(vq_net_hdr_check(&h, 1600, all, 1500) != NULL); /* over the MTU */
	h.flags = UK_VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 34, h.csum_offset = 16;
	EXPECT(vq_net_hdr_check(&h, 60, none, 1500) != NULL); /* not negotiated */
	EXPECT(vq_net_hdr_check(&h, 60, all, 1500) == NULL);
	EXPECT(vq_net_hdr_check(&h, 51, all, 1500) != NULL); /* field beyond frame */
	h.csum_start = 60000, h.csum_offset = 60000;
	EXPECT(vq_net_hdr_check(&h, 1500, all, 1500) != NULL); /* no u16 overflow */
	h.csum_start = 34, h.csum_offset = 16;
	h.gso_type = UK_VIRTIO_NET_HDR_GSO_TCPV4, h.gso_size = 1448, h.hdr_len = 66;
	EXPECT(vq_net_hdr_check(&h, 65000, all, 1500) == NULL);
	EXPECT(vq_net_hdr_check(&h, 65000, UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CSUM), 1500) != NULL);
	h.gso_size = 0;
	EXPECT(vq_net_hdr_check(&h, 65000, all, 1500) != NULL);
	h.gso_size = 1448, h.gso_type = 2;
	EXPECT(vq_net_hdr_check(&h, 65000, all, 1500) != NULL);
	h.gso_type = UK_VIRTIO_NET_HDR_GSO_TCPV4, h.flags = 0;
	EXPECT(vq_net_hdr_check(&h, 65000, all, 1500) != NULL);
	h.flags = 0x80;
	EXPECT(vq_net_hdr_check(&h, 65000, all, 1500) != NULL);
	/* Without GSO the device's MTU is the limit: the user network's. */
	h = (struct uk_virtio_net_hdr){ 0 };
	EXPECT(vq_net_hdr_check(&h, 14 + 65520, none, 65520) == NULL);
	EXPECT(vq_net_hdr_check(&h, 14 + 4 + 65520 + 1, none, 65520) != NULL);
	EXPECT(vq_net_hdr_check(&h, 14 + 1501 + 4, none, 1500) != NULL);
}

/* ---- frames over several receive buffers (MRG_RXBUF) ---- */

#define RXB 100 /* the driver's receive buffers here */
#define NHDR sizeof(struct uk_virtio_net_hdr)

static struct vq_net_rx rx;

/* n receive buffers of len bytes each (one writable descriptor), tokens
 * 1 .. n, published: 0, or -1 when the ring has no room. */
static int rx_post(struct pair *p, unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		struct vq_buf b = { BUF_GPA + i * 0x100, len };
		if (vq_drv_add(&p->drv, &b, 0, 1, (void *)(uintptr_t)(i + 1)))
			return -1;
	}
	vq_drv_kick_needed(&p->drv);
	return 0;
}

/* A frame the device spreads over six buffers comes out whole: the
 * header names six, all but the last are full, the driver's assembly
 * gives back exactly the bytes sent; the buffers it did not need stay
 * available. */
TEST(net_rx_merge)
{
	static struct pair p;
	struct uk_virtio_net_hdr h = { .num_buffers = 1 };
	struct vq_net_asm a = { 0 };
	uint8_t frame[500], got[6 * RXB];
	const char *why;
	size_t at = 0;
	uint32_t len;
	void *tok;
	int r = -1;

	pair_init(&p, 16, 1);
	EXPECT(rx_post(&p, 8, RXB) == 0);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 3);
	EXPECT(vq_net_rx_gather(&p.dev, &rx, NHDR + sizeof(frame), 1, &why) == 1);
	EXPECT(rx.n == 6 && rx.room == 6 * RXB);
	EXPECT(vq_net_rx_write(&rx, 0, &h, NHDR) == NHDR);
	EXPECT(vq_net_rx_write(&rx, NHDR, frame, sizeof(frame)) == sizeof(frame));
	EXPECT(vq_net_rx_fill(&p.dev, &rx, NHDR + sizeof(frame)) == 6);
	vq_dev_flush(&p.dev);
	for (unsigned i = 0; i < 6; i++) {
		EXPECT((tok = vq_drv_get(&p.drv, &len)) == (void *)(uintptr_t)(i + 1));
		EXPECT(len == (i < 5 ? RXB : NHDR + sizeof(frame) - 5 * RXB));
		if (!i)
			EXPECT(((struct uk_virtio_net_hdr *)(mem + BUF_GPA))->num_buffers == 6);
		r = vq_net_asm_add(&a, mem + BUF_GPA + i * 0x100, len, RXB, 256, 0xffff, 1);
		EXPECT(r == (i < 5 ? VQ_NET_ASM_MORE : VQ_NET_ASM_DONE));
		memcpy(got + at, mem + BUF_GPA + i * 0x100 + (i ? 0 : NHDR), len - (i ? 0 : NHDR));
		at += len - (i ? 0 : NHDR);
	}
	EXPECT(r == VQ_NET_ASM_DONE && a.got == 6 && a.len == sizeof(frame));
	EXPECT(at == sizeof(frame) && !memcmp(got, frame, sizeof(frame)));
	EXPECT(vq_drv_get(&p.drv, &len) == NULL);
	/* Two buffers left: too few for another such frame: wait, both given
	 * back; a small frame takes one. */
	EXPECT(vq_net_rx_gather(&p.dev, &rx, NHDR + sizeof(frame), 1, &why) == 0 && !rx.n);
	EXPECT(vq_dev_pending(&p.dev) == 2);
	EXPECT(vq_net_rx_gather(&p.dev, &rx, NHDR + 50, 1, &why) == 1 && rx.n == 1);
	EXPECT(vq_net_rx_fill(&p.dev, &rx, NHDR + 50) == 1);
	EXPECT(vq_dev_pending(&p.dev) == 1);
	/* Without MRG_RXBUF: one chain, whatever it holds. */
	EXPECT(vq_net_rx_gather(&p.dev, &rx, NHDR + sizeof(frame), 0, &why) == 1 && rx.n == 1);
	vq_net_rx_cancel(&p.dev, &rx);
	EXPECT(vq_dev_pending(&p.dev) == 1);
}

/* A frame larger than every buffer of the ring together can never come:
 * refused (-2) rather than waited for, the buffers left for others. */
TEST(net_rx_too_big)
{
	static struct pair p;
	const char *why;

	pair_init(&p, 4, 1);
	EXPECT(rx_post(&p, 4, RXB) == 0);
	EXPECT(vq_net_rx_gather(&p.dev, &rx, 4 * RXB + 1, 1, &why) == -2 && !rx.n);
	EXPECT(vq_dev_pending(&p.dev) == 4);
	EXPECT(vq_net_rx_gather(&p.dev, &rx, 4 * RXB, 1, &why) == 1 && rx.n == 4);
}

/* Receive chains the spec forbids break the ring, with a reason. */
TEST(net_rx_hostile)
{
	static struct pair p;
	const char *why;

	pair_init(&p, 8, 1);
	EXPECT(rx_post(&p, 1, RXB) == 0);
	EXPECT(rx_post(&p, 1, NHDR - 1) == 0); /* shorter than the header */
	EXPECT(vq_net_rx_gather(&p.dev, &rx, 2 * RXB, 1, &why) == -1 && why &&
	       strstr(why, "shorter than the header") && !rx.n && p.dev.last_avail == 0);
	pair_init(&p, 8, 1);
	EXPECT(add_one(&p, 16, 100, (void *)1) == 0); /* a readable part */
	vq_drv_kick_needed(&p.drv);
	EXPECT(vq_net_rx_gather(&p.dev, &rx, 50, 1, &why) == -1 && strstr(why, "not writable"));
}

/* The driver trusts num_buffers and lengths no further than its buffers
 * go: a refused frame is dropped whole, the next one comes through. */
TEST(net_rx_asm_hostile)
{
	struct vq_net_asm a = { 0 };
	struct uk_virtio_net_hdr h = { 0 };
	const uint8_t *b = (const void *)&h;

	h.num_buffers = 0;
	EXPECT(vq_net_asm_add(&a, b, 50, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP);
	h.num_buffers = 9; /* more than the ring holds */
	EXPECT(vq_net_asm_add(&a, b, 50, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP);
	h.num_buffers = 1;
	EXPECT(vq_net_asm_add(&a, b, RXB + 1, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP);
	EXPECT(vq_net_asm_add(&a, b, NHDR, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP); /* empty */
	/* Three announced, the second empty: the frame and its third go. */
	h.num_buffers = 3;
	EXPECT(vq_net_asm_add(&a, b, RXB, RXB, 8, 0xffff, 1) == VQ_NET_ASM_MORE);
	EXPECT(vq_net_asm_add(&a, b, 0, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP);
	EXPECT(vq_net_asm_add(&a, b, RXB, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DROP);
	/* Longer than the driver can hold. */
	h.num_buffers = 3;
	EXPECT(vq_net_asm_add(&a, b, RXB, RXB, 8, 150, 1) == VQ_NET_ASM_MORE);
	EXPECT(vq_net_asm_add(&a, b, RXB, RXB, 8, 150, 1) == VQ_NET_ASM_DROP);
	EXPECT(vq_net_asm_add(&a, b, 10, RXB, 8, 150, 1) == VQ_NET_ASM_DROP);
	/* Then a good one; without MRG_RXBUF num_buffers means nothing. */
	h.num_buffers = 2;
	EXPECT(vq_net_asm_add(&a, b, RXB, RXB, 8, 0xffff, 1) == VQ_NET_ASM_MORE);
	EXPECT(vq_net_asm_add(&a, b, 20, RXB, 8, 0xffff, 1) == VQ_NET_ASM_DONE);
	EXPECT(a.got == 2 && a.len == RXB - NHDR + 20);
	h.num_buffers = 0;
	EXPECT(vq_net_asm_add(&a, b, 60, RXB, 8, 0xffff, 0) == VQ_NET_ASM_DONE && a.got == 1 &&
	       a.len == 60 - NHDR);
}

/* ---- the transport, through its registers, with an echo device ---- */

/* Echo: copy each chain's readable bytes into its writable part. */
static void echo_queue(struct vmm_vdev *d, unsigned q)
{
	struct vq_dev *vq = vmm_vdev_vq(d, q);
	struct vq_seg seg[VMM_SEG_MAX];
	struct vq_chain c;
	char buf[256];
	int r;

	while ((r = vq_dev_pop(vq, &c, seg, VMM_SEG_MAX)) == 1) {
		size_t n = vq_chain_read(&c, 0, buf, sizeof(buf));
		vq_dev_push(vq, c.head, (uint32_t)vq_chain_write(&c, 0, buf, n));
	}
	if (r < 0)
		vmm_vdev_fail(d, q, vq->err);
	vmm_vdev_interrupt(d, q);
}

static uint8_t echo_cfg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void echo_config(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write)
{
	if (write)
		memcpy(echo_cfg + off, buf, len);
	else
		memcpy(buf, echo_cfg + off, len);
}

static const struct vmm_vdev_ops echo_ops = {
	.name = "echo",
	.device_id = 42,
	.nqueues = 1,
	.queue_max = 64,
	.features = UK_VIRTIO_BIT(5),
	.config_size = sizeof(echo_cfg),
	.config = echo_config,
	.queue = echo_queue,
};

static void queue_regs(struct vmm_vdev *d, uint32_t num, uint64_t desc)
{
	wr(d, UK_VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(d, UK_VIRTIO_MMIO_QUEUE_NUM, num);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(d, UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)desc + 16 * num);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW,
	   (uint32_t)(desc + ((16 * num + 6 + 2 * num + 3) & ~3u)));
	wr(d, UK_VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	wr(d, UK_VIRTIO_MMIO_QUEUE_READY, 1);
}

static struct vmm_vdev *echo;

TEST(mmio_identity)
{
	uint16_t w = 0;

	EXPECT(rd(echo, UK_VIRTIO_MMIO_MAGIC) == UK_VIRTIO_MMIO_MAGIC_VALUE);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_VERSION) == 2);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_DEVICE_ID) == 42);
	wr(echo, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 */
	wr(echo, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_DEVICE_FEATURES) ==
	       (UK_VIRTIO_BIT(5) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX)));
	EXPECT(vmm_virtio_mmio(&tvm, echo->base + 0x102, (uint8_t *)&w, 2, 0) == 0 && w == 0x0403);
	EXPECT(vmm_virtio_mmio(&tvm, echo->base + 0x107, (uint8_t *)&w, 2, 0) == 0 && w == 0);
	/* Sub-word register access: refused, not a crash. */
	EXPECT(vmm_virtio_mmio(&tvm, echo->base + 0x70, (uint8_t *)&w, 2, 1) == 0);
	EXPECT(vmm_virtio_mmio(&tvm, echo->base + UK_VIRTIO_MMIO_SIZE, (uint8_t *)&w, 2, 0) == -1);
	wr(echo, UK_VIRTIO_MMIO_QUEUE_SEL, 5);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
}

TEST(mmio_features)
{
	/* Without VERSION_1, or with a feature never offered: no FEATURES_OK. */
	EXPECT(!(negotiate(echo, UK_VIRTIO_BIT(5)) & UK_VIRTIO_S_FEATURES_OK));
	EXPECT(!(negotiate(echo, UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(6)) &
	         UK_VIRTIO_S_FEATURES_OK));
	EXPECT(negotiate(echo, UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1)) & UK_VIRTIO_S_FEATURES_OK);
	EXPECT(echo->features == UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1));
}

TEST(mmio_bad_queues)
{
	negotiate(echo, UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1));
	queue_regs(echo, 48, RING_GPA); /* not a power of two */
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
	queue_regs(echo, 128, RING_GPA); /* over QUEUE_NUM_MAX */
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
	queue_regs(echo, 16, RING_GPA + 8); /* misaligned */
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
	queue_regs(echo, 16, MEM_SIZE - 64); /* beyond RAM */
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
	queue_regs(echo, 16, UINT64_MAX & ~15ull); /* wraps */
	EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
}

TEST(mmio_echo)
{
	static struct pair p;
	uint32_t len;

	for (int round = 0; round < 2; round++) { /* twice: reset, then again */
		EXPECT(negotiate(echo, UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) |
		                           UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX)) &
		       UK_VIRTIO_S_FEATURES_OK);
		pair_init(&p, 16, 1);
		tvm.ram = mem; /* the pair's memory is the VM's RAM */
		queue_regs(echo, 16, RING_GPA);
		EXPECT(rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 1);
		wr(echo, UK_VIRTIO_MMIO_STATUS, 0xf);
		EXPECT(echo->running);
		memcpy(mem + BUF_GPA, "ping", 5);
		EXPECT(add_one(&p, 5, 64, (void *)9) == 0);
		EXPECT(vq_drv_kick_needed(&p.drv));
		wr(echo, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		EXPECT(irq_wait(echo, 5000));
		EXPECT(rd(echo, UK_VIRTIO_MMIO_INTERRUPT_STATUS) & UK_VIRTIO_INT_VRING);
		wr(echo, UK_VIRTIO_MMIO_INTERRUPT_ACK, UK_VIRTIO_INT_VRING);
		EXPECT(rd(echo, UK_VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
		EXPECT(vq_drv_get(&p.drv, &len) == (void *)9 && len == 5);
		EXPECT(!strcmp((char *)mem + BUF_GPA + 0x1000, "ping"));
		wr(echo, UK_VIRTIO_MMIO_STATUS, 0); /* reset joins the thread */
		EXPECT(!echo->running && rd(echo, UK_VIRTIO_MMIO_QUEUE_READY) == 0);
	}
}

/* A broken chain: the device says NEEDS_RESET, the process lives on. */
TEST(mmio_hostile)
{
	static struct pair p;

	negotiate(echo,
	          UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX));
	pair_init(&p, 16, 1);
	queue_regs(echo, 16, RING_GPA);
	wr(echo, UK_VIRTIO_MMIO_STATUS, 0xf);
	EXPECT(add_one(&p, 5, 64, (void *)9) == 0);
	p.r.desc[p.r.avail->ring[0]].addr = MEM_SIZE;
	vq_drv_kick_needed(&p.drv);
	wr(echo, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	EXPECT(irq_wait(echo, 5000));
	EXPECT(rd(echo, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_INTERRUPT_STATUS) & UK_VIRTIO_INT_CONFIG);
	wr(echo, UK_VIRTIO_MMIO_STATUS, 0);
	EXPECT(rd(echo, UK_VIRTIO_MMIO_STATUS) == 0);
}

int main(void)
{
	mem = aligned_alloc(4096, MEM_SIZE);
	RUN("virtq", layout);
	RUN("virtq", round_trip);
	RUN("virtq", wraparound);
	RUN("virtq", budget);
	RUN("virtq", kick_suppression);
	RUN("virtq", interrupt_suppression);
	RUN("virtq", flags_without_event_idx);
	RUN("virtq", full_ring);
	RUN("virtq", unpop);
	RUN("virtq", hostile_head);
	RUN("virtq", hostile_next);
	RUN("virtq", hostile_loop);
	RUN("virtq", hostile_order);
	RUN("virtq", hostile_indirect);
	RUN("virtq", hostile_address);
	RUN("virtq", hostile_length);
	RUN("virtq", hostile_avail_idx);
	RUN("virtq", hostile_long_chain);
	RUN("virtq", hostile_device);
	RUN("virtq", net_hdr);
	RUN("virtq", net_rx_merge);
	RUN("virtq", net_rx_too_big);
	RUN("virtq", net_rx_hostile);
	RUN("virtq", net_rx_asm_hostile);
	tvm = (struct vmm){ .kvm = -1, .vm = -1, .vcpu = -1, .ram = mem, .ram_size = MEM_SIZE };
	echo = vmm_vdev_add(&tvm, &echo_ops, NULL);
	if (!echo) {
		printf("FAIL virtio-mmio/add: vmm_vdev_add failed\n");
		return 1;
	}
	RUN("virtio-mmio", mmio_identity);
	RUN("virtio-mmio", mmio_features);
	RUN("virtio-mmio", mmio_bad_queues);
	RUN("virtio-mmio", mmio_echo);
	RUN("virtio-mmio", mmio_hostile);
	vmm_vdev_stop(echo);
	free(mem);
	return unit_failures != 0;
}
