/*
 * Split virtqueues, both ends (see uk/virtq.h for the contracts). Pure code:
 * no allocation, no system calls, no errno; shared by the library OS,
 * ukrun and the host tests.
 */
#include <stdint.h>
#include <string.h>
#include <uk/virtq.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "virtio rings are little-endian; this code uses them directly");
_Static_assert(sizeof(struct vq_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct vq_used_elem) == 8, "used element layout");

/* Indexes move with acquire/release semantics; the event handshakes need
 * a full fence between publishing an index and reading the peer's event. */
static inline uint16_t load_acq(const uint16_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint16_t load_once(const uint16_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void store_rel(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void store_once(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void full_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* The event fields trail the rings. */
static inline uint16_t *used_event(const struct vq_ring *r) { return &r->avail->ring[r->num]; }
static inline uint16_t *avail_event(const struct vq_ring *r)
{
	return (uint16_t *)&r->used->ring[r->num];
}

size_t vq_ring_bytes(unsigned num)
{
	size_t used_off = (vq_desc_bytes(num) + vq_avail_bytes(num) + 3) & ~(size_t)3;

	return used_off + vq_used_bytes(num);
}

void vq_ring_layout(struct vq_ring *r, void *mem, unsigned num)
{
	uint8_t *p = mem;
	size_t used_off = (vq_desc_bytes(num) + vq_avail_bytes(num) + 3) & ~(size_t)3;

	r->num = num;
	r->desc = (struct vq_desc *)p;
	r->avail = (struct vq_avail *)(p + vq_desc_bytes(num));
	r->used = (struct vq_used *)(p + used_off);
}

/* ---- device side ---- */

void vq_dev_init(struct vq_dev *q, const struct vq_ring *r, int event_idx, vq_map_fn map,
                 void *map_ctx)
{
	memset(q, 0, sizeof(*q));
	q->r = *r;
	q->event_idx = event_idx;
	q->map = map;
	q->map_ctx = map_ctx;
	q->budget = VQ_DEV_BUDGET;
	/* A queue starts at index 0 on both rings (spec 2.7.13). */
}

int vq_dev_refill(struct vq_dev *q)
{
	int spent = q->spent;

	q->budget = VQ_DEV_BUDGET;
	q->spent = 0;
	return spent;
}

int vq_dev_pending(struct vq_dev *q)
{
	uint16_t n = (uint16_t)(load_acq(&q->r.avail->idx) - q->last_avail);

	if (q->err)
		return -1;
	if (n > q->r.num) {
		q->err = "the driver's avail index ran more than a queue ahead";
		return -1;
	}
	return n;
}

/* Copy descriptor i once: the guest may rewrite it while we look. */
static void desc_read(const struct vq_dev *q, uint16_t i, struct vq_desc *d)
{
	const volatile struct vq_desc *s = &q->r.desc[i];

	d->addr = s->addr;
	d->len = s->len;
	d->flags = s->flags;
	d->next = s->next;
}

/* Add descriptor d to chain c; 0 or -1 with q->err set. */
static int chain_add(struct vq_dev *q, struct vq_chain *c, const struct vq_desc *d, unsigned max)
{
	int writable = d->flags & VQ_DESC_F_WRITE;
	uint32_t *total = writable ? &c->in_len : &c->out_len;
	void *p;

	if (d->flags & VQ_DESC_F_INDIRECT) {
		q->err = "indirect descriptor (not negotiated)";
		return -1;
	}
	if (!writable && c->nin) {
		q->err = "a device-readable descriptor after a writable one";
		return -1;
	}
	if (c->nout + c->nin == max) {
		q->err = "descriptor chain longer than the device supports";
		return -1;
	}
	if (d->len > UINT32_MAX - *total) {
		q->err = "descriptor chain longer than 4 GiB";
		return -1;
	}
	if (!(p = q->map(q->map_ctx, d->addr, d->len))) {
		q->err = "descriptor buffer outside guest memory";
		return -1;
	}
	c->seg[c->nout + c->nin] = (struct vq_seg){ p, d->len };
	*total += d->len;
	if (writable)
		c->nin++;
	else
		c->nout++;
	return 0;
}

int vq_dev_pop(struct vq_dev *q, struct vq_chain *c, struct vq_seg *seg, unsigned max)
{
	int pending = vq_dev_pending(q);
	uint16_t i;
	struct vq_desc d;

	if (pending <= 0)
		return pending;
	if (!q->budget) {
		q->spent = 1;
		return 0;
	}
	*c = (struct vq_chain){ .seg = seg };
	i = load_once(&q->r.avail->ring[q->last_avail & (q->r.num - 1)]);
	c->head = i;
	for (unsigned n = 0;; n++) {
		if (i >= q->r.num) {
			q->err = "descriptor index out of range";
			return -1;
		}
		if (n == q->r.num) {
			q->err = "descriptor chain loops";
			return -1;
		}
		desc_read(q, i, &d);
		if (chain_add(q, c, &d, max))
			return -1;
		if (!(d.flags & VQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	q->last_avail++;
	q->budget--;
	return 1;
}

void vq_dev_unpop(struct vq_dev *q, unsigned n) { q->last_avail = (uint16_t)(q->last_avail - n); }

void vq_dev_push(struct vq_dev *q, uint16_t head, uint32_t len)
{
	volatile struct vq_used_elem *e = &q->r.used->ring[q->used_idx & (q->r.num - 1)];

	e->id = head;
	e->len = len;
	q->used_idx++;
}

void vq_dev_flush(struct vq_dev *q) { store_rel(&q->r.used->idx, q->used_idx); }

/* Whether the other end wants to hear that our index moved from *told to
 * now: the same rule both ways, by its event index with EVENT_IDX, else by
 * its "do not tell me" flag. */
static int peer_wants(uint16_t *told, uint16_t now, int event_idx, const uint16_t *event,
                      const uint16_t *flags, uint16_t quiet)
{
	uint16_t old = *told;

	if (old == now)
		return 0;
	*told = now;
	full_fence(); /* our index is visible before we read the peer's wish */
	if (event_idx)
		return vq_need_event(load_once(event), now, old);
	return !(load_once(flags) & quiet);
}

/* Ask the other end to tell us of its next entry past seen: by our event
 * index with EVENT_IDX, else by clearing our "do not tell me" flag. */
static void ask_peer(int event_idx, uint16_t *event, uint16_t seen, uint16_t *flags)
{
	if (event_idx)
		store_once(event, seen);
	else
		store_once(flags, 0);
	full_fence(); /* the wish is visible before we look at the peer's index */
}

int vq_dev_need_interrupt(struct vq_dev *q)
{
	return peer_wants(&q->signalled, q->used_idx, q->event_idx, used_event(&q->r),
	                  &q->r.avail->flags, VQ_AVAIL_F_NO_INTERRUPT);
}

int vq_dev_notify_on(struct vq_dev *q)
{
	ask_peer(q->event_idx, avail_event(&q->r), q->last_avail, &q->r.used->flags);
	if (!q->budget) {     /* (a round costs one: rings laid over each other can */
		q->spent = 1; /* make this say "more" forever without a chain) */
		return 0;
	}
	q->budget--;
	return load_acq(&q->r.avail->idx) != q->last_avail;
}

void vq_dev_notify_off(struct vq_dev *q)
{
	/* With EVENT_IDX the driver kicks only when it passes avail_event,
	 * which stays where notify_on left it: nothing to write. */
	if (!q->event_idx)
		store_once(&q->r.used->flags, VQ_USED_F_NO_NOTIFY);
}

/* Bytes between buf and a chain's segments [first, end), from byte off of
 * them on: into the segments with to_seg, else out of them. */
static size_t chain_copy(const struct vq_chain *c, unsigned first, unsigned end, size_t off,
                         uint8_t *buf, size_t len, int to_seg)
{
	size_t done = 0;

	for (unsigned i = first; i < end && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		if (to_seg)
			memcpy((uint8_t *)s->p + off, buf + done, n);
		else
			memcpy(buf + done, (const uint8_t *)s->p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vq_chain_read(const struct vq_chain *c, size_t off, void *dst, size_t len)
{
	return chain_copy(c, 0, c->nout, off, dst, len, 0);
}

size_t vq_chain_write(const struct vq_chain *c, size_t off, const void *src, size_t len)
{
	return chain_copy(c, c->nout, c->nout + c->nin, off, (uint8_t *)src, len, 1);
}

/* ---- driver side ---- */

void vq_drv_init(struct vq_drv *q, const struct vq_ring *r, void **token, int event_idx)
{
	memset(q, 0, sizeof(*q));
	q->r = *r;
	q->token = token;
	q->event_idx = event_idx;
	q->nfree = (uint16_t)(r->num > UINT16_MAX ? UINT16_MAX : r->num);
	for (unsigned i = 0; i < r->num; i++) {
		r->desc[i].next = (uint16_t)(i + 1);
		token[i] = NULL;
	}
	q->free_head = 0;
}

int vq_drv_add(struct vq_drv *q, const struct vq_buf *b, unsigned nout, unsigned nin, void *token)
{
	unsigned n = nout + nin;
	uint16_t head = q->free_head, i = head;

	if (!n || n > q->nfree)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		struct vq_desc *d = &q->r.desc[i];
		d->addr = b[k].addr;
		d->len = b[k].len;
		d->flags = (uint16_t)((k >= nout ? VQ_DESC_F_WRITE : 0) |
		                      (k + 1 < n ? VQ_DESC_F_NEXT : 0));
		i = d->next;
	}
	q->free_head = i;
	q->nfree -= n;
	q->token[head] = token;
	q->r.avail->ring[q->avail_idx & (q->r.num - 1)] = head;
	q->avail_idx++;
	return 0;
}

int vq_drv_kick_needed(struct vq_drv *q)
{
	store_rel(&q->r.avail->idx, q->avail_idx);
	return peer_wants(&q->kicked_idx, q->avail_idx, q->event_idx, avail_event(&q->r),
	                  &q->r.used->flags, VQ_USED_F_NO_NOTIFY);
}

/* Put a used chain's descriptors back on the free list. */
static void free_chain(struct vq_drv *q, uint16_t head)
{
	uint16_t i = head;
	unsigned n = 1;

	while (q->r.desc[i].flags & VQ_DESC_F_NEXT) {
		i = q->r.desc[i].next;
		n++;
	}
	q->r.desc[i].next = q->free_head;
	q->free_head = head;
	q->nfree += n;
}

void *vq_drv_get(struct vq_drv *q, uint32_t *len)
{
	const volatile struct vq_used_elem *e;
	uint32_t id;
	void *token;

	while (load_acq(&q->r.used->idx) != q->last_used) {
		e = &q->r.used->ring[q->last_used & (q->r.num - 1)];
		id = e->id;
		*len = e->len;
		q->last_used++;
		if (id >= q->r.num || !(token = q->token[id]))
			continue; /* a device bug: skip it; its descriptors stay lost */
		q->token[id] = NULL;
		free_chain(q, (uint16_t)id);
		return token;
	}
	return NULL;
}

int vq_drv_has_used(const struct vq_drv *q) { return load_acq(&q->r.used->idx) != q->last_used; }

int vq_drv_all_used(const struct vq_drv *q) { return load_acq(&q->r.used->idx) == q->avail_idx; }

int vq_drv_irq_on(struct vq_drv *q)
{
	ask_peer(q->event_idx, used_event(&q->r), q->last_used, &q->r.avail->flags);
	return load_acq(&q->r.used->idx) != q->last_used;
}

void vq_drv_irq_off(struct vq_drv *q)
{
	if (!q->event_idx)
		store_once(&q->r.avail->flags, VQ_AVAIL_F_NO_INTERRUPT);
}
