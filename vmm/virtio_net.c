/*
 * virtio-net: one device per --net, moving frames between the guest's
 * queues and a backend (net.h) on the device thread. TX chains go to the
 * backend straight from guest memory (an iovec, the header copied first so
 * the guest cannot change it after the check); RX frames are read straight
 * into the guest's buffers. Offloads are offered as far as the backend can
 * honour them.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define QUEUE_SIZE 256
#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define RX_BATCH 256 /* frames per wake-up before TX gets a turn */

static struct vmm_net *the_net;

/* ---- transmit ---- */

/* One chain: [header][frame] from the readable part. 0, or -EAGAIN when
 * the backend has no room for it now (tx_wait: the chain goes back). */
static int tx_one(struct vmm_net *n, const struct vq_chain *c)
{
	struct uk_virtio_net_hdr h;
	struct iovec iov[VMM_SEG_MAX + 1];
	int cnt = 0, r;
	size_t skip = HDR_LEN;
	const char *why;

	if (vq_chain_read(c, 0, &h, HDR_LEN) != HDR_LEN) {
		n->tx_dropped++;
		return 0;
	}
	if ((why = vq_net_hdr_check(&h, c->out_len - HDR_LEN, n->dev->features, n->cfg.mtu))) {
		vmm_verbose(n->dev->vm, "virtio-net: dropped a transmitted frame: %s", why);
		n->tx_dropped++;
		return 0;
	}
	if (n->be->vnet_hdr)
		iov[cnt++] = (struct iovec){ &h, HDR_LEN };
	for (unsigned i = 0; i < c->nout; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		iov[cnt++] = (struct iovec){ (uint8_t *)s->p + skip, s->len - skip };
		skip = 0;
	}
	r = n->be->send(n, iov, cnt);
	if (r == -EAGAIN && n->be->tx_wait)
		return r;
	if (r) {
		n->tx_dropped++;
		return 0;
	}
	n->tx_frames++;
	n->tx_gso += h.gso_type != UK_VIRTIO_NET_HDR_GSO_NONE;
	return 0;
}

/* Frames the backend queued (send): 0, or -EAGAIN while some wait. */
static int tx_flush(struct vmm_net *n) { return n->be->flush ? n->be->flush(n) : 0; }

static void net_tx(struct vmm_vdev *d, struct vmm_net *n)
{
	struct vq_dev *vq = vmm_vdev_vq(d, UK_VIRTIO_NET_Q_TX);
	struct vq_seg seg[VMM_SEG_MAX];
	struct vq_chain c;
	int r;

	if (!vq) /* failed by the vCPU thread since the device thread looked */
		return;
	n->tx_blocked = 0;
	if (tx_flush(n) == -EAGAIN)
		goto blocked;
	do {
		vq_dev_notify_off(vq);
		while ((r = vq_dev_pop(vq, &c, seg, VMM_SEG_MAX)) == 1) {
			if (tx_one(n, &c) == -EAGAIN) {
				vq_dev_unpop(vq, 1);
				goto blocked;
			}
			vq_dev_push(vq, c.head, 0);
		}
		if (tx_flush(n) == -EAGAIN)
			goto blocked;
		vmm_vdev_interrupt(d, UK_VIRTIO_NET_Q_TX);
		if (r < 0) {
			vmm_vdev_fail(d, UK_VIRTIO_NET_Q_TX, vq->err);
			return;
		}
	} while (!vmm_vdev_poll_later(d, UK_VIRTIO_NET_Q_TX) && vq_dev_notify_on(vq));
	return;
blocked:
	/* Kicks stay off: the backend's room wakes us. */
	n->tx_blocked = 1;
	vmm_vdev_interrupt(d, UK_VIRTIO_NET_Q_TX);
}

/* ---- receive ---- */

static int rx_merge(const struct vmm_net *n)
{
	return !!(n->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MRG_RXBUF));
}

/* RX chains for need bytes into n->rx: 1, 0 (starved: a kick is asked for
 * when buffers come), -1 (the ring is broken: the device stops), -2 (the
 * frame cannot fit the guest's buffers). */
static int rx_gather(struct vmm_net *n, struct vq_dev *vq, size_t need)
{
	const char *why;
	int r;

	for (;;) {
		r = vq_net_rx_gather(vq, &n->rx, need, rx_merge(n), &why);
		if (r == -1) {
			vmm_vdev_fail(n->dev, UK_VIRTIO_NET_Q_RX, why ? why : "broken ring");
			return r;
		}
		if (r != 0) {
			n->rx_starved = 0;
			return r;
		}
		n->rx_starved = 1;
		if (!vq_dev_notify_on(vq))
			return 0;
	}
}

/* A frame of len bytes (header included) went into the gathered chains. */
static void rx_done(struct vmm_net *n, struct vq_dev *vq, size_t len)
{
	unsigned used = vq_net_rx_fill(vq, &n->rx, len);

	n->rx_frames++;
	if (used > 1) {
		n->rx_merged++;
		if (used > n->rx_merged_max)
			n->rx_merged_max = used;
	}
}

/* The most a backend with recv may hand over at once, header included:
 * with the kernel's receive offloads a 64 KiB super-frame. */
static size_t rx_pull_need(const struct vmm_net *n)
{
	uint64_t tso =
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO6);

	if (!rx_merge(n))
		return HDR_LEN; /* one chain, whatever it holds */
	if (n->dev->features & tso)
		return HDR_LEN + UK_VIRTIO_NET_FRAME_MAX;
	return HDR_LEN + 14 + 4 + n->cfg.mtu;
}

/* The guest's buffers could never take the backend's next frame: read it
 * anyway (the backend's fd stays readable else, and the device thread
 * would spin) and drop it. 1 when a frame was dropped, 0 none waited. */
static int rx_pull_drop(struct vmm_net *n)
{
	static uint8_t frame[HDR_LEN + UK_VIRTIO_NET_FRAME_MAX]; /* device thread */
	struct iovec iov = { frame, sizeof(frame) };

	if (n->be->recv(n, &iov, 1) <= 0)
		return 0;
	n->rx_dropped++;
	return 1;
}

/* The bytes of chains to gather for the backend's next frame: as many as
 * the largest frame needs, or the frame's own length when the backend
 * can tell it (0: no frame waits). */
static size_t rx_next_need(struct vmm_net *n, size_t most)
{
	ssize_t len;

	if (!n->be->peek)
		return most;
	len = n->be->peek(n);
	if (len <= 0)
		return 0;
	return rx_merge(n) && (size_t)len < most ? (size_t)len : most;
}

/* Frames from the backend: read straight into the guest's buffers (with
 * their virtio-net headers: a TAP's, or the helper's), as many chains as
 * the frame takes, or without peek the largest frame could take (those
 * it did not are given back). */
static void rx_pull(struct vmm_net *n)
{
	struct vq_dev *vq = vmm_vdev_vq(n->dev, UK_VIRTIO_NET_Q_RX);
	size_t most = vq ? rx_pull_need(n) : 0, need;
	ssize_t len;
	int cnt, r;

	for (int i = 0; vq && i < RX_BATCH; i++) {
		/* No frame waits: whether the guest has buffers is asked when
		 * one does (rx_gather). A starved flag left from before would
		 * keep the device from waiting for the backend's frames once
		 * the guest's buffers came (their kick finds no frame here). */
		if (!(need = rx_next_need(n, most))) {
			n->rx_starved = 0;
			break;
		}
		r = rx_gather(n, vq, need);
		if (r == -2 && rx_pull_drop(n))
			continue;
		if (r != 1)
			break;
		cnt = 0;
		for (unsigned c = 0; c < n->rx.n; c++)
			for (unsigned k = 0; k < n->rx.c[c].nin; k++)
				n->rx_iov[cnt++] =
				    (struct iovec){ n->rx.c[c].seg[k].p, n->rx.c[c].seg[k].len };
		len = n->be->recv(n, n->rx_iov, cnt);
		if (len == -EMSGSIZE) { /* longer than one chain without MRG_RXBUF */
			vq_net_rx_cancel(vq, &n->rx);
			n->rx_dropped++;
			continue;
		}
		if (len < (ssize_t)HDR_LEN) { /* nothing waits (or an error) */
			vq_net_rx_cancel(vq, &n->rx);
			break;
		}
		/* The kernel fills the first 10 bytes; num_buffers is ours. */
		rx_done(n, vq, (size_t)len);
	}
	if (vq)
		vmm_vdev_interrupt(n->dev, UK_VIRTIO_NET_Q_RX);
}

/* ---- control ---- */

/* One command: its ack. */
static uint8_t ctrl_one(struct vmm_net *n, const struct vq_chain *c)
{
	struct uk_virtio_net_ctrl_hdr h;
	uint16_t port;

	if (vq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h) || h.cls != UK_VIRTIO_NET_CTRL_UK ||
	    (h.cmd != UK_VIRTIO_NET_CTRL_UK_LISTEN && h.cmd != UK_VIRTIO_NET_CTRL_UK_UNLISTEN) ||
	    c->out_len != sizeof(h) + sizeof(port) ||
	    vq_chain_read(c, sizeof(h), &port, sizeof(port)) != sizeof(port))
		return UK_VIRTIO_NET_ERR;
	n->be->listen(n, port, h.cmd == UK_VIRTIO_NET_CTRL_UK_LISTEN);
	return UK_VIRTIO_NET_OK;
}

static void net_ctrl(struct vmm_vdev *d, struct vmm_net *n)
{
	struct vq_dev *vq = vmm_vdev_vq(d, UK_VIRTIO_NET_Q_CTRL);
	struct vq_seg seg[VMM_SEG_MAX];
	struct vq_chain c;
	uint8_t ack;
	int r;

	if (!vq) /* as in net_tx */
		return;
	do {
		vq_dev_notify_off(vq);
		while ((r = vq_dev_pop(vq, &c, seg, VMM_SEG_MAX)) == 1) {
			if (!c.in_len) {
				vmm_vdev_fail(d, UK_VIRTIO_NET_Q_CTRL,
				              "command without an ack byte");
				return;
			}
			ack = ctrl_one(n, &c);
			vq_chain_write(&c, 0, &ack, 1);
			vq_dev_push(vq, c.head, 1);
		}
		vmm_vdev_interrupt(d, UK_VIRTIO_NET_Q_CTRL);
		if (r < 0) {
			vmm_vdev_fail(d, UK_VIRTIO_NET_Q_CTRL, vq->err);
			return;
		}
	} while (vq_dev_notify_on(vq));
}

/* A driver that does not report its listeners (without CTRL_VQ) gets every
 * forward opened (the backend's reset closes them again). */
static void listen_all(struct vmm_net *n)
{
	for (int i = 0; i < n->conf.nfwd; i++)
		if (!n->conf.fwd[i].udp)
			n->be->listen(n, n->conf.fwd[i].guest_port, 1);
}

/* ---- device ops ---- */

static void net_queue(struct vmm_vdev *d, unsigned q)
{
	struct vmm_net *n = d->priv;

	if (q == UK_VIRTIO_NET_Q_TX && !n->tx_blocked)
		net_tx(d, n);
	else if (q == UK_VIRTIO_NET_Q_CTRL)
		net_ctrl(d, n);
	else if (q == UK_VIRTIO_NET_Q_RX)
		rx_pull(n); /* buffers came: frames may wait */
}

static int net_poll(struct vmm_vdev *d, struct vmm_pollset *ps)
{
	struct vmm_net *n = d->priv;

	return n->be->poll(n, ps, !n->rx_starved, n->tx_blocked);
}

static void net_poll_done(struct vmm_vdev *d, struct vmm_pollset *ps)
{
	struct vmm_net *n = d->priv;
	int ready = n->be->poll_done(n, ps);

	if (ready & VMM_NET_RX_READY)
		rx_pull(n);
	if ((ready & VMM_NET_TX_READY) && n->tx_blocked)
		net_tx(d, n);
}

static void net_config(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write)
{
	struct vmm_net *n = d->priv;

	if (!write) /* the driver cannot change our MAC or status */
		memcpy(buf, (uint8_t *)&n->cfg + off, len);
}

static int net_start(struct vmm_vdev *d)
{
	struct vmm_net *n = d->priv;

	n->rx_starved = 0;
	n->tx_blocked = 0;
	if (n->be->listen && !(d->features & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CTRL_VQ)))
		listen_all(n);
	return n->be->start ? n->be->start(n) : 0;
}

static void net_reset(struct vmm_vdev *d)
{
	struct vmm_net *n = d->priv;

	if (n->be->reset)
		n->be->reset(n);
}

static int fdt_addr(void *fdt, const char *name, struct in_addr a, int prefix)
{
	fdt32_t v[2] = { a.s_addr, cpu_to_fdt32((uint32_t)prefix) }; /* s_addr is big-endian */

	return fdt_property(fdt, name, v, prefix ? 8 : 4);
}

/* Static addresses for the guest (else it asks DHCP). */
static int net_fdt(struct vmm_vdev *d, void *fdt)
{
	struct vmm_net *n = d->priv;
	int r = 0;

	if (n->conf.ip.s_addr)
		r = fdt_addr(fdt, UK_DT_NET_IP, n->conf.ip, n->conf.prefix);
	if (n->conf.gw.s_addr)
		r = r ?: fdt_addr(fdt, UK_DT_NET_GW, n->conf.gw, 0);
	/* libslirp's name server (net_slirp.c), known before the guest asks
	 * DHCP: a container has /etc/resolv.conf from its start */
	if (n->conf.kind == VMM_NET_USER && !n->conf.passt)
		r = r ?: fdt_addr(fdt, UK_DT_NET_DNS, (struct in_addr){ htonl(0x0a000203) }, 0);
	return r;
}

static struct vmm_vdev_ops net_ops = {
	.name = "virtio-net",
	.device_id = UK_VIRTIO_ID_NET,
	.nqueues = 3, /* the control queue only with CTRL_VQ */
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct uk_virtio_net_config),
	.config = net_config,
	.start = net_start,
	.queue = net_queue,
	.poll = net_poll,
	.poll_done = net_poll_done,
	.reset = net_reset,
	.fdt = net_fdt,
};

/* 02:75:6b ("uk", locally administered) and a hash of the backend's name:
 * the same TAP gives the same address, so a restarted guest does not meet
 * its predecessor's entry in the host's neighbour table. */
static void stable_mac(uint8_t mac[6], const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	mac[0] = 0x02, mac[1] = 0x75, mac[2] = 0x6b;
	mac[3] = (uint8_t)(h >> 16), mac[4] = (uint8_t)(h >> 8), mac[5] = (uint8_t)h;
}

int vmm_net_check(const struct vmm_opts *o)
{
	struct vmm_net_conf c;

	return vmm_net_conf_parse(o, &c);
}

int vmm_net_setup(struct vmm *vm)
{
	struct vmm_net *n;

	if (!(n = calloc(1, sizeof(*n))) || vmm_net_conf_parse(vm->opts, &n->conf))
		goto fail;
	if (n->conf.kind == VMM_NET_NONE) {
		free(n);
		return 0;
	}
	n->be = n->conf.kind == VMM_NET_TAP ? &vmm_net_tap
	        : n->conf.passt             ? &vmm_net_passt
	                                    : &vmm_net_user;
	if (n->conf.has_mac)
		memcpy(n->cfg.mac, n->conf.mac, sizeof(n->cfg.mac));
	else
		stable_mac(n->cfg.mac, n->conf.kind == VMM_NET_TAP ? n->conf.ifname : "user");
	n->cfg.status = UK_VIRTIO_NET_S_LINK_UP;
	n->cfg.mtu = n->conf.mtu;
	net_ops.features =
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MAC) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_STATUS) |
	    UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MTU) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_MRG_RXBUF) |
	    n->be->offloads | (n->be->listen ? UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CTRL_VQ) : 0);
	if (!(n->dev = vmm_vdev_add(vm, &net_ops, n)))
		goto fail;
	if (n->be->open(n))
		goto fail;
	the_net = n;
	return 0;
fail:
	free(n);
	return -1;
}

void vmm_net_teardown(struct vmm *vm)
{
	struct vmm_net *n = the_net;

	if (!n)
		return;
	vmm_verbose(vm,
	            "virtio-net: %llu frames received (%llu dropped; %llu over several buffers, "
	            "up to %u), %llu sent (%llu dropped, %llu to be segmented), %llu interrupts, "
	            "%llu kicks; "
	            "polled the rings %llu times before sleeping, %llu found work",
	            (unsigned long long)n->rx_frames, (unsigned long long)n->rx_dropped,
	            (unsigned long long)n->rx_merged, n->rx_merged_max,
	            (unsigned long long)n->tx_frames, (unsigned long long)n->tx_dropped,
	            (unsigned long long)n->tx_gso, (unsigned long long)n->dev->interrupts,
	            (unsigned long long)n->dev->kicks, (unsigned long long)n->dev->spins,
	            (unsigned long long)n->dev->spins_won);
	if (n->be->teardown)
		n->be->teardown(n);
	the_net = NULL;
}
