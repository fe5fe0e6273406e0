/*
 * A hostile driver: the program takes ukrun's network device itself (it
 * links no network stack, so the library OS leaves the device alone) and
 * breaks the virtio rules one way at a time, as any code running in a
 * guest can:
 *
 *   outside    descriptors naming memory far outside guest RAM, and
 *              lengths of 4 GiB
 *   loop       a descriptor chain that points back at itself
 *   flood      an avail index 40 000 ahead of what the queue can hold
 *   indirect   an indirect descriptor (not offered)
 *   oversize   a frame of 100 KiB, in guest memory, far beyond the MTU
 *   toggle     DRIVER_OK cleared and set again without a reset, queue
 *              registers rewritten while the device runs, 300 times
 *   fragments  frames the ring carries well but libslirp did not: a lone
 *              IPv4 fragment (offset 8, MF clear: it crashed libslirp
 *              4.7.0), a first fragment, frames cut inside their headers;
 *              the device must answer ARP right after, without a reset
 *
 * After each, the device is reset and set up properly, and must work: an
 * ARP request for the user network's gateway (10.0.2.2) gets its answer.
 * The script (tests/e2e/kvm/hostile.sh) counts ukrun's threads while the
 * program sleeps before and after ("phase" lines) and checks ukrun's exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uk/arch.h>
#include <uk/mm.h>
#include <uk/virtio_dev.h>
#include <uk/virtio_net.h>

#include "../check.h"

int checks, failures;

#define QSIZE 16
#define HDR sizeof(struct uk_virtio_net_hdr)

static struct uk_virtio_dev *dev;
static struct uk_virtq *rxq, *txq;
static uint8_t *rxbuf, *txbuf; /* a page each, physically contiguous */
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };

static void reg(uint32_t off, uint32_t v) { *(volatile uint32_t *)(dev->regs + off) = v; }

static uint32_t reg_read(uint32_t off) { return *(volatile uint32_t *)(dev->regs + off); }

/* Reset, negotiate, both queues, DRIVER_OK: what a correct driver does. */
static int setup(void)
{
	if (uk_virtio_features(dev, 0))
		return -1;
	if (!(rxq = uk_virtq_create(dev, 0, QSIZE)) || !(txq = uk_virtq_create(dev, 1, QSIZE)))
		return -1;
	uk_virtio_ready(dev);
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* An ARP request for 10.0.2.2 from 10.0.2.15; 1 when slirp answers. */
static int arp_works(void)
{
	static const uint8_t req[42 - 14] = { 0, 1,    8,    0,    6,  4, 0, 1,  0x52, 0x54,
		                              0, 0x12, 0x34, 0x99, 10, 0, 2, 15, 0,    0,
		                              0, 0,    0,    0,    10, 0, 2, 2 };
	struct vq_buf in = { uk_v2p(rxbuf), 2048 }, out = { uk_v2p(txbuf), HDR + 42 };
	uint8_t *f = txbuf + HDR;
	uint32_t len;

	memset(txbuf, 0, HDR);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	memcpy(f + 14, req, sizeof(req));
	if (vq_drv_add(&rxq->vq, &in, 0, 1, rxbuf) || vq_drv_add(&txq->vq, &out, 1, 0, txbuf))
		return 0;
	uk_virtq_kick(rxq);
	uk_virtq_kick(txq);
	for (double end = now() + 5; now() < end;) {
		void *t = vq_drv_get(&rxq->vq, &len);
		if (!t) {
			usleep(1000);
			continue;
		}
		f = rxbuf + HDR;
		if (len >= HDR + 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
		    !memcmp(f + 28, "\x0a\x00\x02\x02", 4))
			return 1;
		vq_drv_add(&rxq->vq, &in, 0, 1, rxbuf); /* something else: wait on */
		uk_virtq_kick(rxq);
	}
	return 0;
}

/* Publish chain head 0 as one more available entry and kick. */
static void post(struct uk_virtq *q, uint16_t idx_step)
{
	struct vq_ring *r = &q->vq.r;

	r->avail->ring[r->avail->idx % r->num] = 0;
	__atomic_store_n(&r->avail->idx, (uint16_t)(r->avail->idx + idx_step), __ATOMIC_RELEASE);
	reg(UK_VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

static void attack_toggle(void)
{
	for (int i = 0; i < 300; i++) {
		reg(UK_VIRTIO_MMIO_STATUS, 0xb); /* DRIVER_OK off, no reset */
		reg(UK_VIRTIO_MMIO_QUEUE_SEL, 0);
		reg(UK_VIRTIO_MMIO_QUEUE_READY, 0);
		reg(UK_VIRTIO_MMIO_QUEUE_DESC_LOW, 0xfffff000);
		reg(UK_VIRTIO_MMIO_QUEUE_NUM, 3);
		reg(UK_VIRTIO_MMIO_STATUS, 0xf);
	}
}

static void attack_outside(void)
{
	struct vq_desc *d = txq->vq.r.desc;

	d[0] = (struct vq_desc){ 1ull << 40, 4096, 0, 0 };
	post(txq, 1);
	d[0] = (struct vq_desc){ uk_v2p(txbuf), 0xffffffffu, 0, 0 };
	post(txq, 1);
	rxq->vq.r.desc[0] = (struct vq_desc){ ~0ull - 100, 2048, VQ_DESC_F_WRITE, 0 };
	post(rxq, 1);
}

static void attack_loop(void)
{
	txq->vq.r.desc[0] = (struct vq_desc){ uk_v2p(txbuf), 64, VQ_DESC_F_NEXT, 0 };
	post(txq, 1);
	rxq->vq.r.desc[0] =
	    (struct vq_desc){ uk_v2p(rxbuf), 64, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 0 };
	post(rxq, 1);
}

static void attack_flood(void)
{
	txq->vq.r.desc[0] = (struct vq_desc){ uk_v2p(txbuf), HDR + 60, 0, 0 };
	post(txq, 40000);
}

static void attack_indirect(void)
{
	txq->vq.r.desc[0] = (struct vq_desc){ uk_v2p(txbuf), 16, VQ_DESC_F_INDIRECT, 0 };
	post(txq, 1);
}

static void attack_oversize(void)
{
	static uint8_t *big;
	struct vq_desc *d = txq->vq.r.desc;

	if (!big && !(big = uk_pages_alloc(25)))
		return;
	memset(big, 0, HDR + 14);
	for (int i = 0; i < 4; i++) /* four 25 KiB pieces: 100 KiB */
		d[i] = (struct vq_desc){ uk_v2p(big) + i * 25600u, 25600,
			                 i < 3 ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1) };
	post(txq, 1);
}

/* One frame through TX, the way a driver sends it; 1 once the device
 * has taken it. */
static int send_frame(const uint8_t *frame, uint32_t len)
{
	struct vq_buf out = { uk_v2p(txbuf), (uint32_t)HDR + len };
	uint32_t used;

	memset(txbuf, 0, HDR);
	memcpy(txbuf + HDR, frame, len);
	if (vq_drv_add(&txq->vq, &out, 1, 0, txbuf))
		return 0;
	uk_virtq_kick(txq);
	for (double end = now() + 5; now() < end; usleep(1000))
		if (vq_drv_get(&txq->vq, &used) == txbuf)
			return 1;
	return 0;
}

static void attack_fragments(void)
{
	/* to slirp's MAC, IPv4 UDP 10.0.2.15 -> 10.0.2.2, 8 bytes of UDP */
	uint8_t f[42] = {
		0x52, 0x55, 10, 0,  2,    2,    0x52, 0x54, 0,    0x12, 0x34, 0x99, 8,  0,
		0x45, 0,    0,  28, 0x12, 0x34, 0,    0,    64,   17,   0,    0,    10, 0,
		2,    15,   10, 0,  2,    2,    0x9c, 0x40, 0x30, 0x39, 0,    8,    0,  0
	};
	static const uint16_t frag[] = { 0x0001, 0x2000, 0x2001, 0x0001 };
	int sent = 1;

	for (unsigned i = 0; i < sizeof(frag) / sizeof(*frag); i++) {
		uint32_t sum = 0;
		f[20] = (uint8_t)(frag[i] >> 8), f[21] = (uint8_t)frag[i];
		f[24] = f[25] = 0;
		for (int k = 14; k < 34; k += 2)
			sum += (uint32_t)f[k] << 8 | f[k + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		f[24] = (uint8_t)(~sum >> 8), f[25] = (uint8_t)~sum;
		sent &= send_frame(f, sizeof(f));
	}
	for (uint32_t len = 1; len < 42; len += 5) /* cut inside a header */
		sent &= send_frame(f, len);
	CHECK("hostile/fragments/taken", sent, "the device did not take the frames");
	CHECK("hostile/fragments/works-without-reset", arp_works(),
	      "no ARP answer right after the fragments");
}

static const struct {
	const char *name;
	void (*fn)(void);
	int breaks; /* the device must give up on it: wait until it says so */
} attacks[] = {
	/* (toggle last: its 300 violations use up what ukrun prints) */
	{ "outside", attack_outside, 1 },   { "loop", attack_loop, 1 },
	{ "flood", attack_flood, 0 },       { "indirect", attack_indirect, 0 },
	{ "oversize", attack_oversize, 0 }, { "fragments", attack_fragments, 0 },
	{ "toggle", attack_toggle, 0 },
};

/* Up to 10 s for DEVICE_NEEDS_RESET: the device thread may not have run
 * yet when a loaded or emulated host is slow (a reset before it did would
 * hide what the check is about). */
static int wait_needs_reset(void)
{
	for (int i = 0; i < 1000; i++) {
		if (reg_read(UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET)
			return 1;
		usleep(10 * 1000);
	}
	return 0;
}

int main(void)
{
	char name[64];

	setvbuf(stdout, NULL, _IONBF, 0);
	dev = uk_virtio_claim(UK_VIRTIO_ID_NET);
	rxbuf = uk_pages_alloc(1);
	txbuf = uk_pages_alloc(1);
	CHECK("hostile/device", dev && rxbuf && txbuf, "no network device (run with --net user)");
	if (!dev)
		return 1;
	CHECK("hostile/setup", !setup(), "a correct set-up failed");
	CHECK("hostile/arp-before", arp_works(), "no ARP answer from 10.0.2.2");
	printf("phase before\n");
	sleep(2);
	for (unsigned i = 0; i < sizeof(attacks) / sizeof(*attacks); i++) {
		attacks[i].fn();
		usleep(100 * 1000);
		if (attacks[i].breaks) {
			snprintf(name, sizeof(name), "hostile/%s/needs-reset", attacks[i].name);
			CHECK(name, wait_needs_reset(), "the device did not give up on it");
		}
		snprintf(name, sizeof(name), "hostile/%s/status-read", attacks[i].name);
		CHECK(name, reg_read(UK_VIRTIO_MMIO_MAGIC) == UK_VIRTIO_MMIO_MAGIC_VALUE,
		      "the device's registers no longer answer");
		snprintf(name, sizeof(name), "hostile/%s/works-after-reset", attacks[i].name);
		CHECK(name, !setup() && arp_works(), "after a reset the device does not work");
	}
	printf("phase after\n");
	sleep(2);
	return failures ? 1 : 0;
}
