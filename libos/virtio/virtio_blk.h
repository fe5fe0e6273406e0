/*
 * The guest's virtio-blk driver (libos/virtio/virtio_blk.c): whole
 * sectors of 512 bytes to and from any buffer, one request at a time per
 * disk (callers on other threads wait their turn). Used by the FAT
 * filesystem (libos/fs/fat_vfs.c), which mounts each disk at boot.
 *
 * Completion: the driver polls the used ring for a short while (a fast
 * device answers before an interrupt could), then sleeps until the
 * device's interrupt; with interrupts off (the exit path) it only polls.
 */
#ifndef UK_VIRTIO_BLK_DRV_H
#define UK_VIRTIO_BLK_DRV_H

#include <stdint.h>

struct uk_vblk;

/* Claim and start every virtio-blk device (once). Returns how many. */
int uk_vblk_probe(void);
/* Disk i in discovery order (runtime-tree or command-line order), or NULL. */
struct uk_vblk *uk_vblk_get(unsigned i);

uint64_t uk_vblk_sectors(const struct uk_vblk *b);
int uk_vblk_ro(const struct uk_vblk *b);
/* Where the disk wants to be mounted: the runtime tree's uk,mount, else
 * a device ID that starts with '/' (QEMU's serial=/path), else NULL. */
const char *uk_vblk_mount(const struct uk_vblk *b);

/* count sectors from sector, to or from buf (any alignment, any memory
 * the library OS can address). 0, -EIO (device error or beyond the end),
 * -EROFS. */
int uk_vblk_read(struct uk_vblk *b, uint64_t sector, void *buf, uint32_t count);
int uk_vblk_write(struct uk_vblk *b, uint64_t sector, const void *buf, uint32_t count);
/* Completed writes reach stable storage (the host's fdatasync). */
int uk_vblk_flush(struct uk_vblk *b);

#endif
