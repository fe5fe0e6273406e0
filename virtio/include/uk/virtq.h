/*
 * Split virtqueues (virtio 1.x, section 2.7): the ring layout and the logic
 * both ends share, as pure code over memory views. virtio/virtq.c is
 * compiled into the library OS (driver side, vq_drv_*), into ukrun (device
 * side, vq_dev_*) and into host unit and fuzz tests.
 *
 * Neither side allocates: the caller lays the three ring areas out in memory
 * it owns (vq_ring_layout) or maps them from the guest (the device side gets
 * host pointers after checking the whole area, VMM_GPA in ukrun), and gives
 * the driver side an array of num token slots.
 *
 * Memory ordering: the rings are shared with a concurrently running peer.
 * Index fields are read with acquire and written with release semantics;
 * where a side publishes an index and then reads the peer's event field
 * (the notification-suppression handshake), a full fence sits between.
 *
 * Trust: the device side treats every byte of the rings as hostile (the
 * guest may change them while they are read): each descriptor is copied
 * once before use, every index is range-checked, chains are bounded by the
 * queue size (no loops), buffer addresses go through the caller's map
 * function, which must check the whole range. A broken ring makes the
 * device-side calls fail with a reason in vq_dev.err; the device should then
 * stop using the queue (ukrun sets DEVICE_NEEDS_RESET).
 *
 * Not supported (never offered): indirect descriptors, packed rings.
 */
#ifndef UK_VIRTQ_H
#define UK_VIRTQ_H

#include <stddef.h>
#include <stdint.h>

/* ---- the ring layout (little-endian, as on the wire) ---- */

struct vq_desc {
	uint64_t addr;  /* [guest] GPA of the buffer */
	uint32_t len;   /* [guest] its length in bytes */
	uint16_t flags; /* [guest] VQ_DESC_F_* */
	uint16_t next;  /* [guest] the next descriptor when VQ_DESC_F_NEXT */
};
#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2    /* device writes (else device reads) */
#define VQ_DESC_F_INDIRECT 4 /* not supported */

/* The driver's ring ("avail"): ring[num], then used_event (u16). */
struct vq_avail {
	uint16_t flags;  /* [guest] VQ_AVAIL_F_NO_INTERRUPT (without EVENT_IDX) */
	uint16_t idx;    /* [guest] free-running count of entries made available */
	uint16_t ring[]; /* [guest] chain heads */
};
#define VQ_AVAIL_F_NO_INTERRUPT 1

struct vq_used_elem {
	uint32_t id;  /* [host] chain head */
	uint32_t len; /* [host] bytes written into the chain's writable part */
};

/* The device's ring ("used"): ring[num], then avail_event (u16). */
struct vq_used {
	uint16_t flags; /* [host] VQ_USED_F_NO_NOTIFY (without EVENT_IDX) */
	uint16_t idx;   /* [host] free-running count of entries used */
	struct vq_used_elem ring[];
};
#define VQ_USED_F_NO_NOTIFY 1

/* Largest queue size virtio allows. Sizes are powers of two. */
#define VQ_NUM_MAX 32768u

/* Alignment the spec requires of each area. */
#define VQ_DESC_ALIGN 16
#define VQ_AVAIL_ALIGN 2
#define VQ_USED_ALIGN 4

static inline size_t vq_desc_bytes(unsigned num) { return 16 * (size_t)num; }
static inline size_t vq_avail_bytes(unsigned num) { return 6 + 2 * (size_t)num; }
static inline size_t vq_used_bytes(unsigned num) { return 6 + 8 * (size_t)num; }

/* A queue's three areas, as pointers the caller may dereference. */
struct vq_ring {
	unsigned num; /* a power of two, 1 .. VQ_NUM_MAX */
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
};

/* Bytes for all three areas of a queue of num entries laid out back to
 * back by vq_ring_layout (descriptors, avail, then used 4-aligned). */
size_t vq_ring_bytes(unsigned num);
/* Point r at mem (16-byte aligned, vq_ring_bytes(num) bytes, zeroed). */
void vq_ring_layout(struct vq_ring *r, void *mem, unsigned num);

/* Whether num is a valid split-queue size. */
static inline int vq_num_valid(unsigned num)
{
	return num && num <= VQ_NUM_MAX && !(num & (num - 1));
}

/* The event-index rule (spec 2.7.10): notify when the peer's event index
 * lies in the window of entries published since the last check. */
static inline int vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* ---- the device side (ukrun) ---- */

/* Turn a guest buffer [gpa, gpa + len) into a host pointer, or NULL when any
 * part of it lies outside guest memory. */
typedef void *(*vq_map_fn)(void *ctx, uint64_t gpa, uint32_t len);

/* One buffer of a chain, mapped. */
struct vq_seg {
	void *p;
	uint32_t len;
};

/* A popped chain: the device-readable segments come first (seg[0 ..
 * nout)), then the device-writable ones (seg[nout .. nout + nin)). */
struct vq_chain {
	uint16_t head; /* give it back to vq_dev_push */
	unsigned nout, nin;
	uint32_t out_len;   /* total readable bytes */
	uint32_t in_len;    /* total writable bytes */
	struct vq_seg *seg; /* the caller's array (vq_dev_pop's seg) */
};

struct vq_dev {
	struct vq_ring r;
	int event_idx; /* UK_VIRTIO_F_EVENT_IDX negotiated */
	vq_map_fn map;
	void *map_ctx;
	uint16_t last_avail; /* next avail entry to take */
	uint16_t used_idx;   /* entries pushed (published by vq_dev_flush) */
	uint16_t signalled;  /* used_idx when vq_dev_need_interrupt last ran */
	const char *err;     /* why the ring is broken, NULL while it is fine */
	unsigned budget;     /* pops and rounds left (vq_dev_refill) */
	int spent;           /* one was refused for want of budget */
};

/* Chains a device takes (and rounds of vq_dev_notify_on it makes) between
 * two looks at its stop request. A driver can make a ring feed itself
 * (buffers or the used ring laid over its own avail ring): the device's
 * own writes then make new work forever, and a device thread without a
 * budget never looks up again. */
#define VQ_DEV_BUDGET 1024

/* Start using a ring the driver set up (areas already mapped and checked). */
void vq_dev_init(struct vq_dev *q, const struct vq_ring *r, int event_idx, vq_map_fn map,
                 void *map_ctx);

/* Entries the driver has made available and the device not yet taken:
 * 0 .. num, or -1 (q->err set) when the driver's index is impossible. */
int vq_dev_pending(struct vq_dev *q);

/* Take the next available chain and map its buffers into seg[0 .. max).
 * Returns 1 with *c filled, 0 when none is available or the budget is
 * spent, -1 when the ring is broken (q->err says why; the entry is not
 * consumed). A chain longer than max segments is reported as broken. */
int vq_dev_pop(struct vq_dev *q, struct vq_chain *c, struct vq_seg *seg, unsigned max);

/* Give back the n chains popped last, untouched (e.g. RX chains too small
 * for the frame at hand); the next pops return them again. */
void vq_dev_unpop(struct vq_dev *q, unsigned n);

/* A new budget of VQ_DEV_BUDGET; returns whether the last one was spent
 * (work may be left: come back without waiting for a kick). */
int vq_dev_refill(struct vq_dev *q);

/* Return a chain to the driver with len bytes written; visible to the
 * driver after vq_dev_flush. */
void vq_dev_push(struct vq_dev *q, uint16_t head, uint32_t len);

/* Publish everything pushed so far (one index store for a batch). */
void vq_dev_flush(struct vq_dev *q);

/* After a flush: whether the driver wants an interrupt for what was
 * published since the previous call (used_event, or the NO_INTERRUPT flag
 * without EVENT_IDX). */
int vq_dev_need_interrupt(struct vq_dev *q);

/* Ask for kicks again after working with them suppressed; returns 1 when
 * entries arrived meanwhile (process them: no kick will come for them). */
int vq_dev_notify_on(struct vq_dev *q);

/* Suppress kicks while the device is busy with the queue anyway. */
void vq_dev_notify_off(struct vq_dev *q);

/* Copy out of / into a chain's segments: from byte off of the readable part,
 * or to byte off of the writable part. Return the bytes copied. */
size_t vq_chain_read(const struct vq_chain *c, size_t off, void *dst, size_t len);
size_t vq_chain_write(const struct vq_chain *c, size_t off, const void *src, size_t len);

/* ---- the driver side (library OS) ---- */

/* A buffer given to the device: guest physical address and length. */
struct vq_buf {
	uint64_t addr;
	uint32_t len;
};

struct vq_drv {
	struct vq_ring r;
	int event_idx;      /* UK_VIRTIO_F_EVENT_IDX negotiated */
	void **token;       /* num slots: the cookie of each chain, by head */
	uint16_t free_head; /* free descriptors, linked through desc.next */
	uint16_t nfree;
	uint16_t avail_idx;  /* entries added (published by vq_drv_kick_needed) */
	uint16_t kicked_idx; /* avail_idx when vq_drv_kick_needed last ran */
	uint16_t last_used;  /* next used entry to take */
};

/* Start a ring laid out by vq_ring_layout (zeroed), token[num] slots. */
void vq_drv_init(struct vq_drv *q, const struct vq_ring *r, void **token, int event_idx);

/* Make a chain of nout device-readable then nin device-writable buffers
 * available; token (not NULL) comes back from vq_drv_get. Returns 0, or -1
 * when fewer than nout + nin descriptors are free (nothing is added). */
int vq_drv_add(struct vq_drv *q, const struct vq_buf *b, unsigned nout, unsigned nin, void *token);

/* Publish what was added and tell whether the device wants a kick (its
 * avail_event, or the NO_NOTIFY flag without EVENT_IDX). */
int vq_drv_kick_needed(struct vq_drv *q);

/* The next chain the device used: its token and *len (bytes the device
 * wrote), or NULL when none. Its descriptors are free again. A device that
 * returns an impossible head is ignored (NULL). */
void *vq_drv_get(struct vq_drv *q, uint32_t *len);

/* Whether used entries wait (cheap: one load). */
int vq_drv_has_used(const struct vq_drv *q);

/* Whether the device has used every chain added and published (taken or
 * not by vq_drv_get). */
int vq_drv_all_used(const struct vq_drv *q);

/* Ask for an interrupt at the next used entry; returns 1 when entries
 * arrived meanwhile (drain again: no interrupt will come for them). */
int vq_drv_irq_on(struct vq_drv *q);

/* Suppress interrupts while draining anyway. */
void vq_drv_irq_off(struct vq_drv *q);

static inline unsigned vq_drv_nfree(const struct vq_drv *q) { return q->nfree; }

#endif /* UK_VIRTQ_H */
