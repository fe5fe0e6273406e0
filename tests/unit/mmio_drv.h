/*
 * The driver's side of a virtio-mmio device in the host tests and fuzz
 * targets: register access through the real transport (vmm_virtio_mmio on
 * the test's `tvm`), and the process's thread count (a device thread must
 * not outlive its reset). Include after vmm/virtio.h.
 */
#ifndef MMIO_DRV_H
#define MMIO_DRV_H

#include <dirent.h>
#include <stdint.h>

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
