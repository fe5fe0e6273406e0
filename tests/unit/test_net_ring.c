/* The frames ring between ukrun and its network helper (vmm/net_ring.c):
 * frames come out as they went in, in order, across the end of the ring;
 * room is what the helper gave back; a tail the helper moved where it
 * cannot be, and a length ukrun never wrote, are seen. */
#include <stdlib.h>
#include <string.h>

#include "../../vmm/net.h"
#include "unit.h"

static struct vmm_neth_ring *ring_new(void) { return calloc(1, sizeof(struct vmm_neth_ring)); }

/* A frame of len bytes, each the low byte of seed + its offset. */
static void put(struct vmm_ring_tx *t, size_t len, unsigned seed)
{
	uint8_t *p = vmm_ring_put(t, len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

static int frame_is(const uint8_t *p, size_t len, size_t want, unsigned seed)
{
	if (!p || len != want)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i))
			return 0;
	return 1;
}

TEST(in_order_across_the_end)
{
	struct vmm_neth_ring *r = ring_new();
	struct vmm_ring_tx t = { .r = r };
	uint32_t tail = 0;
	const uint8_t *p;
	size_t len, big = VMM_NETH_MSG_MAX;
	unsigned sent = 0, got = 0;

	EXPECT(r);
	/* many rounds of frames of awkward sizes: the ring wraps several times */
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 3; k++) {
			size_t n = (sent * 7919u) % big + 1;
			EXPECT(vmm_ring_room(&t, n) == 1);
			put(&t, n, sent++);
		}
		EXPECT(vmm_ring_publish(&t) == 1 && vmm_ring_publish(&t) == 0);
		while ((p = vmm_ring_get(r, &tail, &len))) {
			EXPECT(frame_is(p, len, (got * 7919u) % big + 1, got));
			got++;
		}
		EXPECT(vmm_ring_release(r, tail) == 0);
	}
	EXPECT(got == sent && t.head == r->head && tail == r->head);
	free(r);
}

TEST(full_until_released)
{
	struct vmm_neth_ring *r = ring_new();
	struct vmm_ring_tx t = { .r = r };
	const uint8_t *p;
	uint32_t tail = 0;
	size_t len;
	int n = 0;

	EXPECT(r);
	while (vmm_ring_room(&t, VMM_NETH_MSG_MAX) == 1)
		put(&t, VMM_NETH_MSG_MAX, (unsigned)n++);
	EXPECT(n > 8 && n < 80);
	vmm_ring_publish(&t);
	/* ukrun waits for room: the helper's release says to signal it */
	r->want_room = 1;
	p = vmm_ring_get(r, &tail, &len);
	EXPECT(frame_is(p, len, VMM_NETH_MSG_MAX, 0));
	EXPECT(vmm_ring_release(r, tail) == 1 && r->want_room == 0);
	EXPECT(vmm_ring_room(&t, VMM_NETH_MSG_MAX) == 1);
	free(r);
}

TEST(hostile_helper_tail)
{
	struct vmm_neth_ring *r = ring_new();
	struct vmm_ring_tx t = { .r = r };

	EXPECT(r);
	put(&t, 100, 1);
	vmm_ring_publish(&t);
	r->tail = t.head + 8; /* past what was published */
	EXPECT(vmm_ring_room(&t, 100) == -1);
	r->tail = 0;
	EXPECT(vmm_ring_room(&t, 100) == 1);
	r->tail = t.head;
	EXPECT(vmm_ring_room(&t, 100) == 1);
	r->tail = 0; /* back */
	EXPECT(vmm_ring_room(&t, 100) == -1);
	free(r);
}

TEST(length_ukrun_never_writes)
{
	struct vmm_neth_ring *r = ring_new();
	struct vmm_ring_tx t = { .r = r };
	uint32_t tail = 0, n = VMM_NETH_MSG_MAX + 1;
	size_t len = 1;

	EXPECT(r);
	put(&t, 100, 1);
	vmm_ring_publish(&t);
	memcpy(r->data, &n, 4);
	EXPECT(vmm_ring_get(r, &tail, &len) && len == 0 && tail == 0);
	n = 200; /* beyond the head */
	memcpy(r->data, &n, 4);
	EXPECT(vmm_ring_get(r, &tail, &len) && len == 0);
	n = 100;
	memcpy(r->data, &n, 4);
	r->head = tail + VMM_NETH_RING_BYTES + 8; /* a head further than the ring */
	EXPECT(vmm_ring_get(r, &tail, &len) && len == 0 && tail == 0);
	free(r);
}

int main(void)
{
	RUN("net-ring", in_order_across_the_end);
	RUN("net-ring", full_until_released);
	RUN("net-ring", hostile_helper_tail);
	RUN("net-ring", length_ukrun_never_writes);
	return unit_failures != 0;
}
