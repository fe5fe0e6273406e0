/*
 * The frames rings (net.h, struct vmm_neth_rings): frames between ukrun
 * and the network helper in memory both map, one ring each way, each
 * with one producer and one consumer (ukrun's device thread, the helper).
 *
 * Over the socket pair each frame was copied three times between the
 * guest's ring and libslirp (ukrun's copy for the check, the kernel's
 * into a socket buffer, the helper's out of it) and made a socket buffer
 * of its own: a 100 KiB answer through nginx spent 27 % of ukrun's and the
 * helper's CPU in sendmmsg and recvmmsg (perf). Here ukrun's copy for the
 * check is the only one; a pass over the TX queue still wakes the helper
 * once (an eventfd). The other way the helper's sendmmsg was 13 % of the
 * samples under redis-benchmark: a helper turn's frames now wake ukrun
 * once, and its device thread copies each into the guest's buffers.
 *
 * Records: a 32-bit length, the frame, padding to 8 bytes; a record never
 * wraps (a length of VMM_NETH_RING_SKIP sends the reader to the start).
 * The head and tail count bytes, free-running. The helper may be hostile
 * (it parses every byte a guest sends): as producer ukrun reads nothing
 * of the ring but its tail, and a tail that is not between the last one
 * and the head is a broken helper; as consumer it takes a head no further
 * than the ring, a length no longer than a frame and within the ring, and
 * copies out what lies there (bytes the helper changes meanwhile are only
 * a frame's contents). The helper checks ukrun's the same way.
 */
#include <string.h>

#include "net.h"

#define REC_ALIGN 8u

static uint32_t rec_size(size_t len)
{
	return (uint32_t)((4 + len + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1));
}

/* ---- ukrun: the producer ---- */

int vmm_ring_room(struct vmm_ring_tx *t, size_t len)
{
	/* (sequentially consistent: after the caller's want_room store, the
	 * reader's release and its look at want_room are ordered with it) */
	uint32_t tail = __atomic_load_n(&t->r->tail, __ATOMIC_SEQ_CST);
	uint32_t used = t->head - tail, pos = t->head % VMM_NETH_RING_BYTES;
	uint32_t need = rec_size(len);

	/* the tail moves forward only, up to what was published */
	if (tail - t->tail_seen > t->published - t->tail_seen)
		return -1;
	t->tail_seen = tail;
	if (VMM_NETH_RING_BYTES - pos < need)
		need += VMM_NETH_RING_BYTES - pos; /* a skip to the start first */
	return used + need <= VMM_NETH_RING_BYTES;
}

uint8_t *vmm_ring_put(struct vmm_ring_tx *t, size_t len)
{
	uint32_t pos = t->head % VMM_NETH_RING_BYTES, n = (uint32_t)len;

	if (VMM_NETH_RING_BYTES - pos < rec_size(len)) {
		uint32_t skip = VMM_NETH_RING_SKIP;
		memcpy(t->r->data + pos, &skip, 4);
		t->head += VMM_NETH_RING_BYTES - pos;
		pos = 0;
	}
	memcpy(t->r->data + pos, &n, 4);
	t->head += rec_size(len);
	return t->r->data + pos + 4;
}

int vmm_ring_publish(struct vmm_ring_tx *t)
{
	if (t->head == t->published)
		return 0;
	__atomic_store_n(&t->r->head, t->head, __ATOMIC_RELEASE);
	t->published = t->head;
	return 1;
}

/* ---- the helper: the consumer ---- */

const uint8_t *vmm_ring_get(struct vmm_neth_ring *r, uint32_t *tail, size_t *len)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), pos, n;

	if (head - *tail > VMM_NETH_RING_BYTES) { /* (so the skips below end soon) */
		*len = 0;
		return r->data; /* broken: ukrun never writes this */
	}
	for (;;) {
		if (*tail == head)
			return NULL;
		pos = *tail % VMM_NETH_RING_BYTES;
		memcpy(&n, r->data + pos, 4);
		if (n == VMM_NETH_RING_SKIP) {
			*tail += VMM_NETH_RING_BYTES - pos;
			continue;
		}
		if (n > VMM_NETH_MSG_MAX || rec_size(n) > VMM_NETH_RING_BYTES - pos ||
		    rec_size(n) > head - *tail) {
			*len = 0;
			return r->data; /* broken: ukrun never writes this */
		}
		*tail += rec_size(n);
		*len = n;
		return r->data + pos + 4;
	}
}

/* want_room is read before it is taken: the producer waits for room
 * rarely, and an exchange each time (ukrun releases every frame it
 * takes) took the line from the producer's core for nothing. The tail's
 * store and that read are ordered (seq_cst), as the producer's setting
 * and its second look at the tail are: one of the two sees the other. */
int vmm_ring_release(struct vmm_neth_ring *r, uint32_t tail)
{
	__atomic_store_n(&r->tail, tail, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&r->want_room, __ATOMIC_SEQ_CST) &&
	       __atomic_exchange_n(&r->want_room, 0, __ATOMIC_SEQ_CST) != 0;
}
