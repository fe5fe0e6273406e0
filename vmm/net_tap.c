/*
 * The TAP backend (--net tap:IFNAME): frames with virtio-net headers
 * (IFF_VNET_HDR, 12-byte headers), so checksum and TSO offloads pass
 * through in both directions; TUNSETOFFLOAD tells the kernel what the
 * guest accepts. With vhost-net (auto when /dev/vhost-net can be opened)
 * the kernel moves the rings itself and this file only opens the TAP and
 * /dev/vhost-net (both at set-up, before the seccomp lock-down).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net.h"

struct tap {
	int fd;
	int poll_idx;
	int vhost_fd; /* /dev/vhost-net, used at start; -1: frames go through ukrun */
};

/* Offloads a TAP with IFF_VNET_HDR can do both ways. */
#define TAP_OFFLOADS                                                                           \
	(UK_VIRTIO_BIT(UK_VIRTIO_NET_F_CSUM) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_CSUM) |     \
	 UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_TSO4) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_TSO6) | \
	 UK_VIRTIO_BIT(UK_VIRTIO_NET_F_HOST_ECN) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4) | \
	 UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO6) | UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_ECN))

static int tap_attach(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), hdr = 12;

	if (fd < 0) {
		vmm_err("--net tap:%s: /dev/net/tun: %s", ifname, strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		if (errno == EBUSY)
			vmm_err("--net tap:%s: busy (another program has it open)", ifname);
		else if (errno == EPERM)
			vmm_err("--net tap:%s: permission denied (create it for your user: "
			        "ip tuntap add %s mode tap user $USER)",
			        ifname, ifname);
		else
			vmm_err("--net tap:%s: %s", ifname, strerror(errno));
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		vmm_err("--net tap:%s: TUNSETVNETHDRSZ: %s", ifname, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int tap_open(struct vmm_net *n)
{
	struct tap *t = calloc(1, sizeof(*t));
	const char *why = NULL;

	if (!t)
		return -1;
	t->vhost_fd = -1;
	if ((t->fd = tap_attach(n->conf.ifname)) < 0) {
		free(t);
		return -1;
	}
	if (n->conf.vhost != VMM_VHOST_OFF)
		t->vhost_fd = vmm_net_vhost_open(&why);
	if (n->conf.vhost == VMM_VHOST_ON && t->vhost_fd < 0) {
		vmm_err("--net tap:%s,vhost=on: %s", n->conf.ifname, why);
		close(t->fd);
		free(t);
		return -1;
	}
	if (t->vhost_fd >= 0)
		vmm_verbose(n->dev->vm, "virtio-net: TAP %s through vhost-net", n->conf.ifname);
	else
		vmm_verbose(n->dev->vm, "virtio-net: TAP %s through the device thread (%s)",
		            n->conf.ifname, why ? why : "vhost=off");
	n->dev->vm->needs |= VMM_NEED_TAP | (t->vhost_fd >= 0 ? VMM_NEED_VHOST : 0);
	n->be_priv = t;
	return 0;
}

/* What the guest accepts is what the kernel may hand us. */
static unsigned tun_offloads(uint64_t f)
{
	unsigned o = 0;

	if (!(f & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	o |= TUN_F_CSUM;
	if (f & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO4))
		o |= TUN_F_TSO4;
	if (f & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_TSO6))
		o |= TUN_F_TSO6;
	if ((o & (TUN_F_TSO4 | TUN_F_TSO6)) && (f & UK_VIRTIO_BIT(UK_VIRTIO_NET_F_GUEST_ECN)))
		o |= TUN_F_TSO_ECN;
	return o;
}

static int tap_start(struct vmm_net *n)
{
	struct tap *t = n->be_priv;

	if (ioctl(t->fd, TUNSETOFFLOAD, tun_offloads(n->dev->features))) {
		vmm_err("--net tap:%s: TUNSETOFFLOAD: %s", n->conf.ifname, strerror(errno));
		return -errno;
	}
	if (t->vhost_fd < 0 || !vmm_net_vhost_start(n, t->vhost_fd, t->fd))
		return 0;
	if (n->conf.vhost == VMM_VHOST_ON)
		return -ENOTSUP;
	vmm_err("--net tap:%s: vhost-net failed; moving frames in ukrun instead", n->conf.ifname);
	close(t->vhost_fd);
	t->vhost_fd = -1;
	return 0;
}

static void tap_reset(struct vmm_net *n)
{
	struct tap *t = n->be_priv;

	if (t->vhost_fd >= 0)
		vmm_net_vhost_stop(n, t->vhost_fd);
}

static int tap_send(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct tap *t = n->be_priv;
	ssize_t r;

	do
		r = writev(t->fd, iov, cnt);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0; /* EIO: the interface is down; EAGAIN: full */
}

static ssize_t tap_recv(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct tap *t = n->be_priv;
	ssize_t r;

	do
		r = readv(t->fd, iov, cnt);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	return r;
}

static int tap_poll(struct vmm_net *n, struct vmm_pollset *ps, int want_rx, int want_tx)
{
	struct tap *t = n->be_priv;

	(void)want_tx; /* never asked for: a full TAP drops the frame (tx_wait 0) */
	t->poll_idx = want_rx ? vmm_poll_add(ps, t->fd, POLLIN) : -1;
	return -1;
}

static int tap_poll_done(struct vmm_net *n, struct vmm_pollset *ps)
{
	struct tap *t = n->be_priv;

	return t->poll_idx >= 0 && (ps->fd[t->poll_idx].revents & POLLIN) ? VMM_NET_RX_READY : 0;
}

static void tap_teardown(struct vmm_net *n)
{
	struct tap *t = n->be_priv;

	if (t->vhost_fd >= 0) {
		vmm_net_vhost_stop(n, t->vhost_fd);
		close(t->vhost_fd);
	}
	close(t->fd);
	free(t);
}

const struct vmm_net_backend vmm_net_tap = {
	.name = "tap",
	.vnet_hdr = 1,
	.offloads = TAP_OFFLOADS,
	.open = tap_open,
	.start = tap_start,
	.reset = tap_reset,
	.send = tap_send,
	.recv = tap_recv,
	.poll = tap_poll,
	.poll_done = tap_poll_done,
	.teardown = tap_teardown,
};
