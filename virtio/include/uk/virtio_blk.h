/*
 * virtio-blk (virtio 1.x, section 5.2): feature bits, configuration space,
 * the request header, and the device's request parser (virtio/virtio_blk.c,
 * pure code shared by ukrun, host unit tests and the fuzz target).
 *
 * One queue (0). A request is one chain: the device-readable part starts
 * with struct uk_virtio_blk_req (16 bytes), followed for writes by the data;
 * the device-writable part holds the data of a read (or the ID) and ends
 * with one status byte. Sectors are always 512 bytes here.
 *
 * The mount point: under ukrun the runtime-tree node carries uk,mount (and
 * uk,ro); under QEMU there is no tree, so the guest asks the device for its
 * ID (GET_ID, QEMU's -device virtio-blk-device,serial=...) and an ID
 * starting with '/' names the mount point (at most 20 bytes). ukrun's ID is
 * the guest path as well, so both monitors look alike.
 */
#ifndef UK_VIRTIO_BLK_H
#define UK_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>
#include <uk/virtq.h>

#define UK_VIRTIO_BLK_F_SIZE_MAX 1
#define UK_VIRTIO_BLK_F_SEG_MAX 2
#define UK_VIRTIO_BLK_F_RO 5
#define UK_VIRTIO_BLK_F_BLK_SIZE 6
#define UK_VIRTIO_BLK_F_FLUSH 9
#define UK_VIRTIO_BLK_F_DISCARD 13
#define UK_VIRTIO_BLK_F_WRITE_ZEROES 14

#define UK_VIRTIO_BLK_T_IN 0
#define UK_VIRTIO_BLK_T_OUT 1
#define UK_VIRTIO_BLK_T_FLUSH 4
#define UK_VIRTIO_BLK_T_GET_ID 8
#define UK_VIRTIO_BLK_T_DISCARD 11
#define UK_VIRTIO_BLK_T_WRITE_ZEROES 13

#define UK_VIRTIO_BLK_S_OK 0
#define UK_VIRTIO_BLK_S_IOERR 1
#define UK_VIRTIO_BLK_S_UNSUPP 2

#define UK_VIRTIO_BLK_SECTOR 512u
#define UK_VIRTIO_BLK_ID_BYTES 20
/* Ranges one DISCARD / WRITE_ZEROES request may carry (our device's). */
#define UK_VIRTIO_BLK_RANGES_MAX 16

/* Device configuration space (the fields up to write_zeroes_may_unmap). */
struct uk_virtio_blk_config {
	uint64_t capacity; /* [host] 512-byte sectors */
	uint32_t size_max; /* [host] with F_SIZE_MAX */
	uint32_t seg_max;  /* [host] with F_SEG_MAX: data segments per request */
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size; /* [host] with F_BLK_SIZE */
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors; /* [host] with F_DISCARD */
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors; /* [host] with F_WRITE_ZEROES */
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));
_Static_assert(sizeof(struct uk_virtio_blk_config) == 60, "virtio-blk config layout");

struct uk_virtio_blk_req {
	uint32_t type;     /* [guest] UK_VIRTIO_BLK_T_* */
	uint32_t reserved; /* [guest] */
	uint64_t sector;   /* [guest] first sector of IN / OUT */
};

/* One range of DISCARD / WRITE_ZEROES, in the readable part after the header. */
struct uk_virtio_blk_range {
	uint64_t sector;      /* [guest] */
	uint32_t num_sectors; /* [guest] */
	uint32_t flags;       /* [guest] bit 0: unmap (WRITE_ZEROES) */
};

/* ---- the device's parser ---- */

/* A request as the device will carry it out: everything it needs, copied
 * once out of guest memory and checked. */
struct vq_blk_req {
	uint32_t type;
	uint64_t off;     /* IN / OUT: byte offset in the disk */
	uint32_t len;     /* IN / OUT / GET_ID: data bytes */
	uint8_t *status;  /* the status byte, in guest memory */
	unsigned nranges; /* DISCARD / WRITE_ZEROES */
	struct {
		uint64_t off, len;
	} range[UK_VIRTIO_BLK_RANGES_MAX]; /* bytes */
	const char *why;                   /* why the request fails, when it does */
};

/* Parse a popped chain for a disk of capacity sectors (read-only: ro).
 * Returns UK_VIRTIO_BLK_S_OK with r filled for the device to carry out;
 * S_IOERR or S_UNSUPP (r->why says why, r->status is valid: complete the
 * request with that status); or -1 when the chain has no writable byte for
 * a status (a broken driver: the device should fail the queue). */
int vq_blk_parse(const struct vq_chain *c, uint64_t capacity, int ro, struct vq_blk_req *r);

/* The request's data as segments of the chain: for OUT the readable part
 * after the header, for IN and GET_ID the writable part before the status
 * byte. Returns how many of seg[0 .. max) it used (their total is r->len). */
unsigned vq_blk_data(const struct vq_chain *c, const struct vq_blk_req *r, struct vq_seg *seg,
                     unsigned max);

#endif
