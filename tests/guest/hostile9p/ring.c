/*
 * The attacks on the 9P device's buffers and queue: replies with too
 * little room, scattered or laid over the request, buffers outside guest
 * RAM, flushes of nothing, a full queue of good and bad requests, and a
 * reset with the queue full.
 */
#include <string.h>
#include <uk/arch.h>

#include "hostile9p.h"

/* ---- reply buffers too small, scattered, or not there ---- */

void attack_reply_buffer(void)
{
	struct p9_msg t = { .type = P9_TGETATTR, .tag = 100 }, r;
	struct vq_buf b[BATCH];
	uint8_t whole[256];
	uint32_t n, e;
	long len;

	session(P9_MSIZE_MAX);
	C("open", !open_file(50, "big.bin", L_O_RDONLY), "no big.bin");
	t.u.tgetattr.fid = ROOT;
	t.u.tgetattr.mask = P9_GETATTR_BASIC;
	n = p9_pack(tbuf, AREA, &t);
	len = xfer(n, 0);
	C("no-reply-buffer", len == 0, "len %ld", len);
	len = xfer(n, 4);
	C("four-bytes", len == 0, "len %ld", len);
	len = xfer(n, 20);
	e = reply_err(len, 100);
	C("twenty-bytes", len == 11 && e == L_ERANGE, "len %ld code %u", len, e);

	/* The reply scattered over 63 buffers of 3 bytes, 8 apart: the bytes
	 * between them must stay as they were (tail_check: the whole area). */
	for (int ukrun = 0; ukrun < 2; ukrun++) {
		struct mb m;
		mb_start(&m, tbuf, ukrun ? P9_TREAD : P9_TGETATTR, 101);
		mb_u32(&m, ukrun ? 50 : ROOT);
		mb_u64(&m, ukrun ? 6 : P9_GETATTR_BASIC);
		if (ukrun)
			mb_u32(&m, 150);
		b[0] = (struct vq_buf){ uk_v2p(tbuf), mb_end(&m) };
		for (unsigned i = 1; i < BATCH; i++)
			b[i] = (struct vq_buf){ uk_v2p(rbuf) + (i - 1) * 8, 3 };
		memset(rbuf, 0x5a, 4096);
		len = xfer_chain(b, 1, BATCH - 1);
		for (unsigned i = 0; i < BATCH - 1; i++)
			memcpy(whole + i * 3, rbuf + i * 8, 3);
		e = 1;
		for (unsigned i = 0; i < 4096; i++)
			if (i % 8 >= 3 && rbuf[i] != 0x5a)
				e = 0;
		C(ukrun ? "scattered-read-gaps-untouched" : "scattered-gaps-untouched", e,
		  "a byte between the buffers was written");
		if (ukrun)
			C("scattered-read", len == 161 && big_ok(6, whole + 11, 150), "len %ld",
			  len);
		else
			C("scattered",
			  len > 0 && !p9_unpack(whole, (size_t)len, &r) && r.type == P9_RGETATTR,
			  "len %ld", len);
	}

	/* The reply laid over the request itself. */
	b[0] = (struct vq_buf){ uk_v2p(tbuf), n = p9_pack(tbuf, AREA, &t) };
	b[1] = (struct vq_buf){ uk_v2p(tbuf), 512 };
	len = xfer_chain(b, 1, 1);
	C("reply-over-request",
	  len > 0 && !p9_unpack(tbuf, (size_t)len, &r) && r.type == P9_RGETATTR, "len %ld", len);
	memset(tbuf, 0, 512);
}

/* Reply and request buffers outside guest RAM: the device must refuse the
 * chain (DEVICE_NEEDS_RESET), write nothing, and work after a reset. */
static void outside(uint64_t gpa, uint32_t len, int writable)
{
	struct p9_msg t = { .type = P9_TGETATTR, .tag = 110 };
	struct vq_buf b[2];
	long got;

	session(P9_MSIZE_MAX);
	t.u.tgetattr.fid = ROOT;
	t.u.tgetattr.mask = P9_GETATTR_BASIC;
	b[0] = (struct vq_buf){ writable ? uk_v2p(tbuf) : gpa, p9_pack(tbuf, AREA, &t) };
	if (!writable)
		b[0].len = len;
	b[1] = (struct vq_buf){ writable ? gpa : uk_v2p(rbuf), writable ? len : 4096 };
	memset(rbuf, 0x5a, 4096);
	got = xfer_chain(b, 1, 1);
	C("no-answer", got < 0, "the device answered (%ld bytes)", got);
	C("needs-reset", dev_broken(), "the device did not ask for a reset");
	for (got = 0; got < 4096 && rbuf[got] == 0x5a; got++)
		;
	C("nothing-written", got == 4096, "reply area byte %ld written", got);
}

void attack_reply_outside(void) { outside(1ull << 40, 4096, 1); }
void attack_reply_past_ram(void) { outside(ram_end - 16, 4096, 1); }
void attack_reply_4g(void) { outside(uk_v2p(rbuf), 0xffffffffu, 1); }
void attack_request_outside(void) { outside(ram_end - 8, 64, 0); }

/* ---- flushes of what is not there ---- */

static uint32_t flush(uint16_t tag, uint16_t oldtag)
{
	struct p9_msg t = { .type = P9_TFLUSH, .tag = tag }, r;
	int type;

	t.u.tflush.oldtag = oldtag;
	type = rpc(&t, &r, 256);
	return type == P9_RFLUSH ? 0 : type == P9_RLERROR ? r.u.rlerror.ecode : 0xffff;
}

void attack_flush(void)
{
	uint32_t e;

	session(P9_MSIZE_MAX);
	e = flush(120, 1234);
	C("unknown-tag", !e, "code %u", e);
	e = flush(121, 121);
	C("own-tag", !e, "code %u", e);
	e = flush(122, P9_NOTAG);
	C("notag", !e, "code %u", e);
	e = flush(P9_NOTAG, P9_NOTAG);
	C("notag-notag", !e, "code %u", e);
}

/* ---- many at once ---- */

/* Request i of a batch: a mix of walks, getattrs, flushes of each other,
 * reads, clunks of nothing; tags repeat. */
static uint32_t mixed(unsigned i, uint8_t *type)
{
	struct p9_msg t = { .tag = (uint16_t)(i % 3) };

	switch (i % 5) {
	case 0:
		t.type = P9_TWALK;
		t.u.twalk.fid = ROOT;
		t.u.twalk.newfid = 200 + i;
		break;
	case 1:
		t.type = P9_TGETATTR;
		t.u.tgetattr.fid = ROOT;
		t.u.tgetattr.mask = P9_GETATTR_BASIC;
		break;
	case 2:
		t.type = P9_TFLUSH;
		t.u.tflush.oldtag = (uint16_t)((i + 1) % 3);
		break;
	case 3:
		t.type = P9_TREAD;
		t.u.tread.fid = 60;
		t.u.tread.count = 700;
		break;
	default: t.type = P9_TCLUNK; t.u.tfid.fid = 99999;
	}
	*type = t.type;
	return p9_pack(tbuf + i * TSLOT, TSLOT, &t);
}

void attack_inflight(void)
{
	uint32_t tlen[BATCH], seed = 12345;
	uint8_t type[BATCH];
	long rlen[BATCH];
	struct p9_msg r;
	int got, ok = 1, errs = 1;

	session(P9_MSIZE_MAX);
	C("open", !open_file(60, "big.bin", L_O_RDONLY), "no big.bin");
	for (unsigned i = 0; i < BATCH; i++)
		tlen[i] = mixed(i, &type[i]);
	got = xfer_batch(BATCH, tlen, rlen);
	C("all-answered", got == BATCH, "%d of %d", got, BATCH);
	for (unsigned i = 0; i < BATCH; i++) {
		if (rlen[i] < 0 || p9_unpack(rbuf + i * RSLOT, (size_t)rlen[i], &r) ||
		    (r.type != type[i] + 1 && r.type != P9_RLERROR) || r.tag != i % 3)
			ok = 0;
	}
	C("each-answer-its-own", ok, "a reply does not match its request");

	/* 64 of garbage: lengths 0..99 of random bytes, sizes that lie */
	for (unsigned i = 0; i < BATCH; i++) {
		seed = seed * 1103515245 + 12345;
		tlen[i] = (seed >> 16) % 100;
		for (unsigned k = 0; k < tlen[i]; k++) {
			seed = seed * 1103515245 + 12345;
			tbuf[i * TSLOT + k] = (uint8_t)(seed >> 16);
		}
		if (!tlen[i])
			tlen[i] = 1;
	}
	got = xfer_batch(BATCH, tlen, rlen);
	C("garbage-all-answered", got == BATCH, "%d of %d", got, BATCH);
	for (unsigned i = 0; i < BATCH; i++)
		if (rlen[i] < 0 || p9_unpack(rbuf + i * RSLOT, (size_t)rlen[i], &r) ||
		    r.type != P9_RLERROR)
			errs = 0;
	C("garbage-each-an-error", errs, "a reply is not an Rlerror");
}

/* A reset with the queue full: the device drops what the old ring held
 * and the answer at the gofer, and starts afresh (main checks that). */
void attack_reset_inflight(void)
{
	uint32_t tlen[BATCH];
	uint8_t type;

	session(P9_MSIZE_MAX);
	C("open", !open_file(60, "big.bin", L_O_RDONLY), "no big.bin");
	for (unsigned i = 0; i < BATCH; i++)
		tlen[i] = mixed(i, &type);
	C("set-up-again", !post_and_reset(BATCH, tlen), "the device did not set up again");
}
