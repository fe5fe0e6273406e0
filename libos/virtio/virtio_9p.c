/*
 * The guest's virtio-9p transport: one request queue per device, any
 * number of requests in flight, each a chain of T-message pieces followed
 * by room for the R-message.
 *
 * Under ukrun a kick is an ioeventfd and a reply arrives through an irqfd,
 * so a request costs no exit to ukrun. The interrupt itself is the slow
 * part (~20-40 us on the paravirtual host, pvm.md), and most replies take
 * less than that to come back: so a waiter first polls the used ring for a
 * short while with interrupts suppressed (event index not moved), and
 * only then asks for an interrupt and sleeps.
 *
 * Completions are taken from the ring only by threads (the interrupt
 * handler just wakes them), so the ring needs no lock on one vCPU.
 */
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/virtio_dev.h>

#include "../fs/p9fs.h"

#define V9P_QUEUE 256
#define V9P_F_MOUNT_TAG 0
#define V9P_TAG_MAX 255
/* How long a waiter polls before it sleeps for the interrupt (spin()). */
#define V9P_SPIN_NS 50000
#define V9P_SPIN_MISSES 8
#define V9P_SPIN_PROBE 64

struct uk_p9_chan {
	struct uk_virtio_dev *dev;
	struct uk_virtq *q;
	char tag[V9P_TAG_MAX + 1];
	int ro;
	struct uk_wq wq; /* threads waiting for a reply or for room */
	uint64_t reqs, sleeps;
	unsigned misses; /* polls in a row that found nothing */
};

struct v9p_req {
	volatile int done;
	uint32_t len;
	/* A request nobody waits for: called with the reply's length when it
	 * is taken from the ring (thread context). */
	void (*fn)(void *arg, long len);
	void *arg;
};

static struct uk_p9_chan chans[UK_VIRTIO_DEV_MAX];
static int nchans = -1;

static void v9p_isr(struct uk_virtio_dev *d, void *arg)
{
	struct uk_p9_chan *c = arg;

	uk_wq_wake(&c->wq, -1);
}

/* The tag: from the runtime tree under ukrun (no exits), else from the
 * configuration space, byte by byte. */
static void read_tag(struct uk_p9_chan *c)
{
	uint16_t len = 0;

	if (c->dev->mount) {
		size_t n = uk_strnlen(c->dev->mount, V9P_TAG_MAX);
		uk_memcpy(c->tag, c->dev->mount, n);
		c->tag[n] = 0;
		return;
	}
	if (!(c->dev->features & UK_VIRTIO_BIT(V9P_F_MOUNT_TAG)))
		return;
	uk_virtio_config(c->dev, 0, &len, 2);
	if (len > V9P_TAG_MAX)
		len = V9P_TAG_MAX;
	uk_virtio_config(c->dev, 2, c->tag, len);
	c->tag[len] = 0;
}

static int chan_setup(struct uk_p9_chan *c, struct uk_virtio_dev *d)
{
	c->dev = d;
	c->ro = d->ro;
	if (uk_virtio_features(d, UK_VIRTIO_BIT(V9P_F_MOUNT_TAG)))
		return -EIO;
	read_tag(c);
	if (!(c->q = uk_virtq_create(d, 0, V9P_QUEUE)))
		return -ENOMEM;
	if (uk_virtio_irq(d, v9p_isr, c))
		return -EIO;
	uk_virtio_ready(d);
	return 0;
}

int uk_p9_chans(struct uk_p9_chan **out, int max)
{
	struct uk_virtio_dev *d;
	int i;

	if (nchans < 0) {
		nchans = 0;
		uk_virtio_probe();
		while (nchans < UK_VIRTIO_DEV_MAX && (d = uk_virtio_claim(UK_VIRTIO_ID_9P))) {
			if (chan_setup(&chans[nchans], d) == 0)
				nchans++;
			else
				uk_pr("virtio-9p: the device at %#lx did not start\n",
				      (unsigned long)d->base);
		}
	}
	for (i = 0; i < nchans && i < max; i++)
		out[i] = &chans[i];
	return nchans;
}

struct uk_p9_chan *uk_p9_chan_find(const char *tag)
{
	struct uk_p9_chan *all[UK_VIRTIO_DEV_MAX];
	int n = uk_p9_chans(all, UK_VIRTIO_DEV_MAX);

	for (int i = 0; i < n; i++)
		if (!uk_strcmp(all[i]->tag, tag))
			return all[i];
	return NULL;
}

const char *uk_p9_chan_tag(const struct uk_p9_chan *c) { return c->tag; }
int uk_p9_chan_ro(const struct uk_p9_chan *c) { return c->ro; }

void uk_p9_chan_stats(const struct uk_p9_chan *c, uint64_t *reqs, uint64_t *sleeps)
{
	*reqs = c->reqs;
	*sleeps = c->sleeps;
}

/* ---- requests ---- */

/* Mark every finished request done; wake the others' waiters. */
static void drain(struct uk_p9_chan *c)
{
	struct v9p_req *r;
	uint32_t len;
	int n = 0;

	while ((r = vq_drv_get(&c->q->vq, &len))) {
		if (r->fn) {
			r->fn(r->arg, len);
			uk_kfree(r);
			continue;
		}
		r->len = len;
		r->done = 1;
		n++;
	}
	if (n)
		uk_wq_wake(&c->wq, -1);
}

static unsigned to_bufs(const struct uk_p9_seg *s, unsigned n, struct vq_buf *b)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (struct vq_buf){ uk_v2p(s[i].p), (uint32_t)s[i].len };
	return n;
}

static int all_done(const struct v9p_req *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!r[i].done)
			return 0;
	return 1;
}

/* Polling pays only when the device thread runs beside us: on a host with
 * one CPU for both it cannot run until we stop, and polling just delays
 * it. So after V9P_SPIN_MISSES polls in a row that came back empty, poll
 * only one request in V9P_SPIN_PROBE, to notice when things change. */
static void spin(struct uk_p9_chan *c, struct v9p_req *r, unsigned n)
{
	uint64_t until = uk_monotonic_ns() + V9P_SPIN_NS;

	if (c->misses >= V9P_SPIN_MISSES && c->reqs % V9P_SPIN_PROBE)
		return;
	while (!all_done(r, n)) {
		if (vq_drv_has_used(&c->q->vq)) {
			drain(c);
		} else if (uk_monotonic_ns() > until) {
			c->misses += c->misses < V9P_SPIN_MISSES;
			return;
		} else {
			__builtin_ia32_pause();
		}
	}
	c->misses = 0;
}

/* Put a request on the ring, waiting for room while other threads' fill
 * it; kick the device when asked to (the last of a batch). */
static int post(struct uk_p9_chan *c, const struct uk_p9_seg *out, unsigned nout,
                const struct uk_p9_seg *in, unsigned nin, struct v9p_req *r, int kick)
{
	struct vq_buf b[2 * UK_P9_SEG_MAX];
	int on;

	if (nout > UK_P9_SEG_MAX || nin > UK_P9_SEG_MAX)
		return -EINVAL;
	to_bufs(out, nout, b);
	to_bufs(in, nin, b + nout);
	on = uk_irq_save();
	while (vq_drv_add(&c->q->vq, b, nout, nin, r)) {
		uk_virtq_kick(c->q); /* what this batch added so far must move */
		drain(c);
		if (vq_drv_nfree(&c->q->vq) >= nout + nin)
			continue;
		if (!vq_drv_irq_on(&c->q->vq))
			uk_wq_wait(&c->wq, 0);
	}
	if (kick)
		uk_virtq_kick(c->q);
	c->reqs++;
	uk_irq_restore(on);
	return 0;
}

int uk_p9_chan_post(struct uk_p9_chan *c, const struct uk_p9_seg *out, unsigned nout,
                    const struct uk_p9_seg *in, unsigned nin, void (*fn)(void *arg, long len),
                    void *arg)
{
	struct v9p_req *r = uk_kzalloc(sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	r->fn = fn;
	r->arg = arg;
	if ((e = post(c, out, nout, in, nin, r, 1)))
		uk_kfree(r);
	return e;
}

static int wait_all(struct uk_p9_chan *c, struct v9p_req *r, unsigned n)
{
	int on;

	spin(c, r, n);
	on = uk_irq_save();
	while (!all_done(r, n)) {
		drain(c);
		if (all_done(r, n) || vq_drv_irq_on(&c->q->vq))
			continue;
		c->sleeps++;
		/* A signal does not end the wait. Only a long one asks whether
		 * the device gave up: asking costs an exit. */
		if (uk_wq_wait(&c->wq, uk_monotonic_ns() + 1000000000ull) == -ETIMEDOUT &&
		    uk_virtio_broken(c->dev)) {
			uk_irq_restore(on);
			uk_pr("virtio-9p %s: the device stopped (see ukrun's message)\n", c->tag);
			return -EIO;
		}
	}
	uk_irq_restore(on);
	return 0;
}

int uk_p9_chan_rpcv(struct uk_p9_chan *c, struct uk_p9_req *rq, unsigned n)
{
	struct v9p_req r[UK_P9_BATCH_MAX];
	unsigned i;
	int e = 0;

	if (n > UK_P9_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < n && !e; i++) {
		r[i] = (struct v9p_req){ 0, 0, NULL, NULL };
		e = post(c, rq[i].out, rq[i].nout, rq[i].in, rq[i].nin, &r[i], i + 1 == n);
	}
	if (e) {
		if (i > 1)
			uk_virtq_kick(c->q);
		n = i - 1; /* wait for what went out before giving up */
	}
	if (wait_all(c, r, n))
		return -EIO;
	for (i = 0; i < n; i++)
		rq[i].len = r[i].len;
	return e;
}

long uk_p9_chan_rpc(struct uk_p9_chan *c, const struct uk_p9_seg *out, unsigned nout,
                    const struct uk_p9_seg *in, unsigned nin)
{
	struct uk_p9_req rq = { out, nout, in, nin, 0 };
	int e = uk_p9_chan_rpcv(c, &rq, 1);

	return e ? e : rq.len;
}
