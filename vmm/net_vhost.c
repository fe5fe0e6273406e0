/*
 * vhost-net: the kernel moves frames between the guest's rings and the TAP
 * itself (the kernel's vhost ABI, <linux/vhost.h>): it learns guest memory
 * (one region: all of RAM), each ring's host addresses (already checked by
 * the transport through VMM_GPA), the kick eventfd (our ioeventfd) and the
 * call eventfd (our irqfd). ukrun's device thread then stays out of the data
 * path entirely (d->own_queues).
 *
 * /dev/vhost-net is opened at set-up, before the seccomp lock-down (which
 * allows the ioctls below and no open); a reset of the device detaches
 * the TAP, and the next DRIVER_OK configures the same descriptor again.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net.h"

#define VHOST_DEV "/dev/vhost-net"

int vmm_net_vhost_open(const char **why)
{
	int fd = open(VHOST_DEV, O_RDWR | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		*why = r == -ENOENT ? "no " VHOST_DEV " on this machine (modprobe vhost_net)"
		       : r == -EACCES || r == -EPERM ? VHOST_DEV ": permission denied"
		                                     : VHOST_DEV ": cannot open it";
		return r;
	}
	if (ioctl(fd, VHOST_SET_OWNER)) {
		r = -errno;
		*why = VHOST_DEV ": VHOST_SET_OWNER failed";
		close(fd);
		return r;
	}
	return fd;
}

static int set_mem(struct vmm *vm, int fd)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 0,
		       .memory_size = vm->ram_size,
		       .userspace_addr = (uint64_t)(uintptr_t)vm->ram },
	};

	return ioctl(fd, VHOST_SET_MEM_TABLE, &mem);
}

static int set_ring(struct vmm_vdev *d, int fd, unsigned q, int tap_fd)
{
	struct vq_ring *r = &d->vq[q].vq.r;
	struct vhost_vring_state num = { .index = q, .num = r->num };
	struct vhost_vring_state base = { .index = q, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uint64_t)(uintptr_t)r->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)r->avail,
		.used_user_addr = (uint64_t)(uintptr_t)r->used,
	};
	struct vhost_vring_file kick = { .index = q, .fd = d->vq[q].kick_fd };
	struct vhost_vring_file call = { .index = q, .fd = d->irq_fd };
	struct vhost_vring_file be = { .index = q, .fd = tap_fd };

	if (!d->vq[q].ready)
		return -EINVAL;
	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) || ioctl(fd, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) || ioctl(fd, VHOST_SET_VRING_KICK, &kick) ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) || ioctl(fd, VHOST_NET_SET_BACKEND, &be))
		return -errno;
	return 0;
}

/* The rings stop; the kernel lets go of the TAP. */
static void detach(int fd)
{
	for (unsigned q = 0; q < 2; q++) {
		struct vhost_vring_file be = { .index = q, .fd = -1 };
		ioctl(fd, VHOST_NET_SET_BACKEND, &be);
	}
}

int vmm_net_vhost_start(struct vmm_net *n, int fd, int tap_fd)
{
	struct vmm_vdev *d = n->dev;
	uint64_t have = 0, want;
	int r;

	if (ioctl(fd, VHOST_GET_FEATURES, &have)) {
		r = -errno;
		goto out;
	}
	/* vhost cares about ring and header features; the rest (MAC, MTU,
	 * offloads) stays ukrun's and the TAP's business. */
	want = d->features & have;
	if (!(want & UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1))) {
		vmm_err("vhost-net does not do virtio 1.x rings");
		r = -ENOTSUP;
		goto out;
	}
	if (ioctl(fd, VHOST_SET_FEATURES, &want) || set_mem(d->vm, fd)) {
		r = -errno;
		goto out;
	}
	for (unsigned q = 0; q < 2; q++) {
		if ((r = set_ring(d, fd, q, tap_fd))) {
			detach(fd);
			goto out;
		}
	}
	d->own_queues = 1;
	return 0;
out:
	vmm_err("vhost-net: %s", strerror(-r));
	return r;
}

void vmm_net_vhost_stop(struct vmm_net *n, int fd)
{
	if (!n->dev->own_queues)
		return;
	detach(fd);
	n->dev->own_queues = 0;
}
