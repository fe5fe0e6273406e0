/*
 * The 9P device driven by hand: the queue, requests built byte by byte,
 * and the guards that catch a device writing where it was not asked to.
 *
 * Memory: one physically contiguous run of pages, guard | request area |
 * guard | reply area | guard. The guards hold a pattern that no reply may
 * change; before each request the part of the reply area given to the
 * device is filled with another, and after it every byte past the length
 * the device reports must still hold it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uk/arch.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/virtio_dev.h>

#include "hostile9p.h"

#define GUARD 0xa5
#define UNTOUCHED 0x5a
#define V9P_F_MOUNT_TAG 0

uint8_t *tbuf, *rbuf;
uint64_t ram_end;
static uint8_t *mem; /* guard, tbuf, guard, rbuf, guard */
static struct uk_virtio_dev *dev;
static struct uk_virtq *q;
static int overrun; /* a reply wrote past its length */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int mem_setup(void)
{
	if (!(mem = uk_pages_alloc(3 + 2 * AREA / PAGE)))
		return -1;
	tbuf = mem + PAGE;
	rbuf = tbuf + AREA + PAGE;
	memset(mem, GUARD, PAGE);
	memset(tbuf + AREA, GUARD, PAGE);
	memset(rbuf + AREA, GUARD, PAGE);
	for (unsigned i = 0; i < uk_plat.nmem; i++)
		if (uk_plat.mem[i].type == UK_E820_RAM &&
		    uk_plat.mem[i].addr + uk_plat.mem[i].size > ram_end)
			ram_end = uk_plat.mem[i].addr + uk_plat.mem[i].size;
	return 0;
}

int dev_setup(void)
{
	if (!mem && mem_setup())
		return -1;
	if (!dev && !(dev = uk_virtio_find(UK_VIRTIO_ID_9P)))
		return -1;
	/* (the rings of an earlier set-up are left behind: a few pages) */
	if (uk_virtio_features(dev, UK_VIRTIO_BIT(V9P_F_MOUNT_TAG)) ||
	    !(q = uk_virtq_create(dev, 0, QSIZE)))
		return -1;
	uk_virtio_ready(dev);
	return 0;
}

int dev_broken(void) { return uk_virtio_broken(dev); }

static int page_is(const uint8_t *p, uint8_t v)
{
	for (unsigned i = 0; i < PAGE; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int guards_ok(void)
{
	return !overrun && page_is(mem, GUARD) && page_is(tbuf + AREA, GUARD) &&
	       page_is(rbuf + AREA, GUARD);
}

/* Bytes [from, to) of the reply area must be as they were filled. */
static void tail_check(uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		if (rbuf[i] != UNTOUCHED) {
			if (!overrun)
				printf("reply area byte %u written, past the %u bytes reported\n",
				       i, from);
			overrun = 1;
			return;
		}
	}
}

/* Wait for every token of want[0..n) (NULL once taken); len[i] set. */
static int wait_used(void **want, long *len, unsigned n)
{
	unsigned got = 0;
	double end = now() + 5, look = now() + 0.001;
	uint32_t l;
	void *t;

	while (got < n && now() < end) {
		if (!(t = vq_drv_get(&q->vq, &l))) {
			/* (a look at the status is an exit: not at every poll) */
			if (now() > look && dev_broken())
				break;
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (want[i] == t) {
				want[i] = NULL;
				len[i] = l;
				got++;
			}
		}
	}
	return (int)got;
}

long xfer_chain(const struct vq_buf *b, unsigned nout, unsigned nin)
{
	void *want = (void *)b;
	long len = -1;

	if (vq_drv_add(&q->vq, b, nout, nin, want))
		return -1;
	uk_virtq_kick(q);
	wait_used(&want, &len, 1);
	return len;
}

long xfer(uint32_t tlen, uint32_t rcap)
{
	struct vq_buf b[2] = { { uk_v2p(tbuf), tlen }, { uk_v2p(rbuf), rcap } };
	long len;

	memset(rbuf, UNTOUCHED, rcap);
	if (!tlen) /* no readable part at all */
		len = xfer_chain(b + 1, 0, 1);
	else
		len = xfer_chain(b, 1, rcap ? 1 : 0);
	if (len > (long)rcap) {
		printf("reply of %ld bytes in a buffer of %u\n", len, rcap);
		overrun = 1;
	}
	tail_check(len < 0 ? 0 : (uint32_t)len, rcap);
	return len;
}

/* Post request i of a batch (slot i of both areas). 0 or -1. */
static int post(unsigned i, uint32_t tlen)
{
	struct vq_buf b[2] = { { uk_v2p(tbuf + i * TSLOT), tlen },
		               { uk_v2p(rbuf + i * RSLOT), RSLOT } };

	return vq_drv_add(&q->vq, b, 1, 1, tbuf + i * TSLOT);
}

int xfer_batch(unsigned n, const uint32_t *tlen, long *rlen)
{
	void *want[BATCH];
	int got;

	if (n > BATCH)
		return -1;
	memset(rbuf, UNTOUCHED, n * RSLOT);
	for (unsigned i = 0; i < n; i++) {
		want[i] = tbuf + i * TSLOT;
		rlen[i] = -1;
		if (post(i, tlen[i]))
			return -1;
	}
	uk_virtq_kick(q);
	got = wait_used(want, rlen, n);
	for (unsigned i = 0; i < n; i++) {
		if (rlen[i] > (long)RSLOT)
			overrun = 1;
		else if (rlen[i] >= 0)
			tail_check(i * RSLOT + (uint32_t)rlen[i], (i + 1) * RSLOT);
	}
	return got;
}

int post_and_reset(unsigned n, const uint32_t *tlen)
{
	for (unsigned i = 0; i < n && i < BATCH; i++)
		if (post(i, tlen[i]))
			return -1;
	uk_virtq_kick(q);
	return dev_setup();
}

/* ---- messages by hand ---- */

void mb_start(struct mb *m, uint8_t *at, uint8_t type, uint16_t tag)
{
	m->p = at;
	m->n = 4;
	mb_u8(m, type);
	mb_u16(m, tag);
}

void mb_u8(struct mb *m, uint8_t v) { m->p[m->n++] = v; }
void mb_u16(struct mb *m, uint16_t v)
{
	mb_u8(m, (uint8_t)v);
	mb_u8(m, (uint8_t)(v >> 8));
}
void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, (uint16_t)v);
	mb_u16(m, (uint16_t)(v >> 16));
}
void mb_u64(struct mb *m, uint64_t v)
{
	mb_u32(m, (uint32_t)v);
	mb_u32(m, (uint32_t)(v >> 32));
}
void mb_bytes(struct mb *m, const void *s, uint32_t len)
{
	memcpy(m->p + m->n, s, len);
	m->n += len;
}
void mb_str(struct mb *m, const char *s, uint16_t len)
{
	mb_u16(m, len);
	mb_bytes(m, s, len);
}

uint32_t mb_end(struct mb *m)
{
	uint32_t n = m->n;

	m->p[0] = (uint8_t)n, m->p[1] = (uint8_t)(n >> 8);
	m->p[2] = (uint8_t)(n >> 16), m->p[3] = (uint8_t)(n >> 24);
	return n;
}

/* ---- well-formed requests ---- */

int rpc(const struct p9_msg *t, struct p9_msg *r, uint32_t rcap)
{
	uint32_t n = p9_pack(tbuf, AREA, t);
	long len;

	if (!n || (len = xfer(n, rcap)) < 0 || p9_unpack(rbuf, (size_t)len, r))
		return -1;
	return r->type;
}

uint32_t rpc_err(int type, const struct p9_msg *r)
{
	return type == P9_RLERROR ? r->u.rlerror.ecode : 0;
}

uint32_t reply_err(long len, uint16_t tag)
{
	struct p9_msg r;

	if (len < 0 || p9_unpack(rbuf, (size_t)len, &r) || r.type != P9_RLERROR || r.tag != tag)
		return 0;
	return r.u.rlerror.ecode;
}

int outcome(int type, const struct p9_msg *r, int want)
{
	if (type == want)
		return 0;
	return type == P9_RLERROR ? (int)r->u.rlerror.ecode : -1;
}

int p_version(uint32_t msize, const char *version, uint32_t *got)
{
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG }, r;
	int e;

	t.u.version.msize = msize;
	t.u.version.version = p9_str(version);
	e = outcome(rpc(&t, &r, 256), &r, P9_RVERSION);
	if (!e && got)
		*got = r.u.version.msize;
	if (!e && !p9_str_eq(r.u.version.version, version))
		e = -2; /* "unknown" */
	return e;
}

int p_attach(uint32_t fid)
{
	struct p9_msg t = { .type = P9_TATTACH, .tag = 1 }, r;

	t.u.tattach.fid = fid;
	t.u.tattach.afid = P9_NOFID;
	t.u.tattach.uname = p9_str("root");
	t.u.tattach.aname = p9_str("");
	return outcome(rpc(&t, &r, 256), &r, P9_RATTACH);
}

int p_walk(uint32_t fid, uint32_t newfid, unsigned n, const char *const *names, uint16_t *nwqid)
{
	struct p9_msg t = { .type = P9_TWALK, .tag = 2 }, r;
	int e;

	t.u.twalk.fid = fid;
	t.u.twalk.newfid = newfid;
	t.u.twalk.nwname = (uint16_t)n;
	for (unsigned i = 0; i < n && i < P9_MAXWELEM; i++)
		t.u.twalk.wname[i] = p9_str(names[i]);
	e = outcome(rpc(&t, &r, 1024), &r, P9_RWALK);
	if (!e && nwqid)
		*nwqid = r.u.rwalk.nwqid;
	return e;
}

int p_lopen(uint32_t fid, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TLOPEN, .tag = 3 }, r;

	t.u.tlopen.fid = fid;
	t.u.tlopen.flags = flags;
	return outcome(rpc(&t, &r, 256), &r, P9_RLOPEN);
}

int p_clunk(uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK, .tag = 4 }, r;

	t.u.tfid.fid = fid;
	return outcome(rpc(&t, &r, 256), &r, P9_RCLUNK);
}

int p_getattr(uint32_t fid, struct p9_attr *a)
{
	struct p9_msg t = { .type = P9_TGETATTR, .tag = 5 }, r;
	int e;

	t.u.tgetattr.fid = fid;
	t.u.tgetattr.mask = P9_GETATTR_BASIC;
	e = outcome(rpc(&t, &r, 512), &r, P9_RGETATTR);
	if (!e && a)
		*a = r.u.rgetattr;
	return e;
}

int p_read(uint32_t fid, uint64_t off, uint32_t count, uint32_t rcap, const uint8_t **data,
           uint32_t *got)
{
	struct p9_msg t = { .type = P9_TREAD, .tag = 6 }, r;
	int e;

	t.u.tread.fid = fid;
	t.u.tread.offset = off;
	t.u.tread.count = count;
	e = outcome(rpc(&t, &r, rcap), &r, P9_RREAD);
	if (!e) {
		*data = r.u.rread.data;
		*got = r.u.rread.count;
	}
	return e;
}

int session(uint32_t msize)
{
	if (p_version(msize, P9_VERSION_L, NULL))
		return -1;
	return p_attach(ROOT) ? -1 : 0;
}

const char *const hello_txt[1] = { "hello.txt" };

int hello_ok(const uint8_t *data, uint32_t n)
{
	return n == sizeof(HELLO) - 1 && !memcmp(data, HELLO, n);
}

int share_works(void)
{
	const uint8_t *data;
	uint32_t got;

	if (session(P9_MSIZE_MAX) || p_walk(ROOT, 2, 1, hello_txt, NULL) ||
	    p_lopen(2, L_O_RDONLY) || p_read(2, 0, 4096, 8192, &data, &got))
		return 0;
	return hello_ok(data, got) && !p_clunk(2);
}
