/*
 * The 9P client's two halves: the transport (a request/reply channel per
 * virtio-9p device, libos/virtio/virtio_9p.c) and the filesystem over it
 * (libos/fs/p9fs.c). Private to those files.
 */
#ifndef UK_P9FS_H
#define UK_P9FS_H

#include <stddef.h>
#include <stdint.h>

struct uk_p9_chan;

/* A piece of a request or of the room for its reply: kernel memory in the
 * linear maps (heap, image), so each piece is physically contiguous. */
struct uk_p9_seg {
	const void *p;
	size_t len;
};

/* Most pieces one request may have (out + in). */
#define UK_P9_SEG_MAX 8

/* Set up every virtio-9p device (once); returns how many channels there
 * are, up to max of them in out[]. */
int uk_p9_chans(struct uk_p9_chan **out, int max);

/* The channel whose mount tag is tag, or NULL. */
struct uk_p9_chan *uk_p9_chan_find(const char *tag);

/* Its mount tag (the guest path under ukrun), and whether ukrun shares it
 * read-only (runtime tree uk,ro). */
const char *uk_p9_chan_tag(const struct uk_p9_chan *c);
int uk_p9_chan_ro(const struct uk_p9_chan *c);

/* Send the out pieces as one T-message and block (uninterruptibly, as a
 * hard NFS mount does) until the device has written the R-message into the
 * in pieces. Returns the reply's length, or -EIO when the device is gone.
 * Any number of threads may have requests in flight. */
long uk_p9_chan_rpc(struct uk_p9_chan *c, const struct uk_p9_seg *out, unsigned nout,
                    const struct uk_p9_seg *in, unsigned nin);

/* Several requests sent back to back, waited for together: one round
 * trip for a walk and what follows it. The server may answer them in any
 * order (QEMU's does); in[] of each gets its own reply, len its length. */
#define UK_P9_BATCH_MAX 4
struct uk_p9_req {
	const struct uk_p9_seg *out;
	unsigned nout;
	const struct uk_p9_seg *in;
	unsigned nin;
	long len; /* set on return */
};
int uk_p9_chan_rpcv(struct uk_p9_chan *c, struct uk_p9_req *rq, unsigned n);

/* The same without waiting: fn(arg, reply length or -EIO) runs later, on
 * whichever thread takes the reply off the ring. 0 or -errno. */
int uk_p9_chan_post(struct uk_p9_chan *c, const struct uk_p9_seg *out, unsigned nout,
                    const struct uk_p9_seg *in, unsigned nin, void (*fn)(void *arg, long len),
                    void *arg);

/* Requests so far, and how many of them slept for an interrupt rather
 * than finding the reply while polling. */
void uk_p9_chan_stats(const struct uk_p9_chan *c, uint64_t *reqs, uint64_t *sleeps);

#endif
