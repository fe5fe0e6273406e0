/*
 * The driver's side of a virtio-mmio device in the host tests and fuzz
 * targets: register access through the real transport (vmm_virtio_mmio on
 * the test's `tvm`), and the process's thread count (a device thread must
 * not outlive its reset). Include after vmm/virtio.h.
 */
#ifndef MMIO_DRV_H
#define MMIO_DRV_H

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

static struct vmm tvm __attribute__((unused));

static inline uint32_t rd(struct vmm_vdev *d, uint32_t off)
{
	uint32_t v = 0;
	vmm_virtio_mmio(&tvm, d->base + off, (uint8_t *)&v, 4, 0);
	return v;
}

static inline void wr(struct vmm_vdev *d, uint32_t off, uint32_t v)
{
	vmm_virtio_mmio(&tvm, d->base + off, (uint8_t *)&v, 4, 1);
}

/* The driver's steps up to FEATURES_OK, accepting feat: the status after. */
static inline uint32_t negotiate(struct vmm_vdev *d, uint64_t feat)
{
	wr(d, UK_VIRTIO_MMIO_STATUS, 0);
	wr(d, UK_VIRTIO_MMIO_STATUS, UK_VIRTIO_S_ACKNOWLEDGE | UK_VIRTIO_S_DRIVER);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
	wr(d, UK_VIRTIO_MMIO_STATUS,
	   UK_VIRTIO_S_ACKNOWLEDGE | UK_VIRTIO_S_DRIVER | UK_VIRTIO_S_FEATURES_OK);
	return rd(d, UK_VIRTIO_MMIO_STATUS);
}

/* Hand queue q to the device: num entries laid out by vq_ring_layout at
 * host (guest address gpa), then QUEUE_READY. */
static inline void queue_give(struct vmm_vdev *d, uint32_t q, const struct vq_ring *r,
                              const uint8_t *host, uint64_t gpa, uint32_t num)
{
	wr(d, UK_VIRTIO_MMIO_QUEUE_SEL, q);
	wr(d, UK_VIRTIO_MMIO_QUEUE_NUM, num);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)gpa);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW,
	   (uint32_t)(gpa + ((const uint8_t *)r->avail - host)));
	wr(d, UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(gpa + ((const uint8_t *)r->used - host)));
	wr(d, UK_VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Wait up to ms for d's interrupt and take it: 1, or 0 when none came. */
static inline int irq_wait(struct vmm_vdev *d, int ms)
{
	struct pollfd p = { .fd = d->irq_fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(d->irq_fd, &v, sizeof(v)) == sizeof(v);
}

/* Threads of this process. */
static inline int threads(void)
{
	int n = 0;
	DIR *dir = opendir("/proc/self/task");

	while (dir && readdir(dir))
		n++;
	if (dir)
		closedir(dir);
	return n - 2; /* . and .. */
}

#endif
