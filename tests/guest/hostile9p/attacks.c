/*
 * The attacks on the 9P device's messages, one function each (ring.c:
 * on its buffers and queue). Every one checks the answers it gets; main
 * (hostile9p.c) then checks the guards and that the share still answers a
 * normal request.
 *
 * The share (made by tests/e2e/kvm/hostile.sh): hello.txt (HELLO),
 * big.bin (lines "%05d\n", 1.2 MB), rw.bin (empty, written here), sub/,
 * and two symlinks pointing out of the share, up -> ../outside and abs ->
 * the absolute path of outside/secret.
 */
#include <string.h>
#include <uk/arch.h>

#include "hostile9p.h"

int big_ok(uint64_t off, const uint8_t *data, uint32_t n)
{
	char line[8];

	for (uint32_t i = 0; i < n; i++) {
		uint64_t o = off + i;
		snprintf(line, sizeof(line), "%05u\n", (unsigned)(o / 6));
		if (data[i] != (uint8_t)line[o % 6])
			return 0;
	}
	return 1;
}

int open_file(uint32_t fid, const char *name, uint32_t flags)
{
	const char *names[] = { name };
	int e = p_walk(ROOT, fid, 1, names, NULL);

	return e ? e : p_lopen(fid, flags);
}

/* A Twrite of count bytes (of 'w') to fid at 0, built by hand. Returns the
 * reply's length; *e its Rlerror code (0: none). */
static long write_n(uint32_t fid, uint32_t count, uint32_t *e)
{
	struct mb m;
	long len;

	mb_start(&m, tbuf, P9_TWRITE, 30);
	mb_u32(&m, fid);
	mb_u64(&m, 0);
	mb_u32(&m, count);
	memset(tbuf + m.n, 'w', count);
	m.n += count;
	len = xfer(mb_end(&m), 256);
	*e = reply_err(len, 30);
	return len;
}

static uint64_t size_of(uint32_t fid)
{
	struct p9_attr a;

	return p_getattr(fid, &a) ? ~0ull : a.size;
}

/* ---- sizes that lie ---- */

void attack_oversize(void)
{
	static const char *const none[] = { "no-such-name" };
	char name[256];
	const char *names[P9_MAXWELEM];
	struct mb m;
	uint32_t e;
	long len;

	session(P9_MSIZE_MAX);
	mb_start(&m, tbuf, P9_TCLUNK, 10);
	mb_u32(&m, 77);
	mb_end(&m);
	memcpy(tbuf, "\xf0\xff\xff\xff", 4); /* 4 GiB, in a chain of 11 bytes */
	e = reply_err(xfer(m.n, 256), 10);
	C("size-past-chain", e == L_EPROTO || e == L_EMSGSIZE, "code %u", e);

	mb_start(&m, tbuf, P9_TCLUNK, 10);
	mb_u32(&m, 77);
	mb_end(&m); /* 11, in a chain of 40 */
	e = reply_err(xfer(40, 256), 10);
	C("size-short-of-chain", e == L_EPROTO || e == L_EMSGSIZE, "code %u", e);

	/* A well-formed Twalk of 4129 bytes: more than an msize of 4096, less
	 * than one of 512 KiB. */
	memset(name, 'n', 255);
	name[255] = 0;
	for (unsigned i = 0; i < P9_MAXWELEM; i++)
		names[i] = name;
	session(P9_MSIZE_MIN);
	e = (uint32_t)p_walk(ROOT, 3, P9_MAXWELEM, names, NULL);
	C("message-past-msize", e == L_EMSGSIZE, "code %d", (int)e);
	session(P9_MSIZE_MAX);
	e = (uint32_t)p_walk(ROOT, 3, P9_MAXWELEM, names, NULL);
	C("same-message-within-msize", e == L_ENOENT, "code %d", (int)e);
	e = (uint32_t)p_walk(ROOT, 3, 1, none, NULL);
	C("then-walks-answer", e == L_ENOENT, "code %d", (int)e);

	/* 600 KiB of request, beyond the largest msize: to a fid the gofer
	 * serves and to an open file ukrun serves itself. */
	len = write_n(ROOT, 600 * 1024, &e);
	C("chain-past-largest-msize", e == L_EMSGSIZE, "len %ld code %u", len, e);
	C("open-rw", !open_file(20, "rw.bin", L_O_RDWR), "rw.bin did not open");
	len = write_n(20, 600 * 1024, &e);
	C("chain-past-largest-msize-open-file", e == L_EMSGSIZE, "len %ld code %u", len, e);
	C("nothing-written", size_of(20) == 0, "rw.bin is %llu bytes",
	  (unsigned long long)size_of(20));

	/* A Twrite longer than the msize negotiated (8 KiB), on a file ukrun
	 * serves itself: refused as the gofer refuses it. */
	session(8192);
	C("open-rw-8k", !open_file(20, "rw.bin", L_O_RDWR), "rw.bin did not open");
	len = write_n(20, 20000, &e);
	C("write-past-msize", e == L_EMSGSIZE, "len %ld code %u", len, e);
	C("write-past-msize-nothing-written", size_of(20) == 0, "rw.bin is %llu bytes",
	  (unsigned long long)size_of(20));
	len = write_n(20, 100, &e);
	C("write-within-msize", len == 11 && !e && size_of(20) == 100, "len %ld code %u", len, e);
}

/* ---- messages cut short ---- */

void attack_truncated(void)
{
	struct mb m;
	uint32_t e;
	uint64_t size;
	long len;

	session(P9_MSIZE_MAX);
	C("open-rw", !open_file(20, "rw.bin", L_O_RDWR), "rw.bin did not open");
	size = size_of(20);
	memcpy(tbuf, "\x03\x00\x00", 3);
	e = reply_err(len = xfer(3, 256), P9_NOTAG);
	C("three-bytes", e == L_EPROTO, "len %ld code %u", len, e);
	e = reply_err(len = xfer(0, 256), P9_NOTAG);
	C("no-readable-part", e == L_EPROTO, "len %ld code %u", len, e);

	mb_start(&m, tbuf, P9_TATTACH, 11);
	e = reply_err(xfer(mb_end(&m), 256), 11);
	C("header-only", e == L_EPROTO, "code %u", e);

	mb_start(&m, tbuf, P9_TCLUNK, 12);
	mb_u32(&m, 77);
	mb_end(&m);
	tbuf[0] = 4; /* smaller than the header */
	e = reply_err(xfer(m.n, 256), 12);
	C("size-below-header", e == L_EPROTO || e == L_EMSGSIZE, "code %u", e);

	mb_start(&m, tbuf, P9_TWALK, 13);
	mb_u32(&m, ROOT);
	mb_u32(&m, 3);
	mb_u16(&m, 1);
	mb_u16(&m, 10); /* a name of 10 bytes, 3 of them sent */
	mb_bytes(&m, "sub", 3);
	e = reply_err(xfer(mb_end(&m), 256), 13);
	C("cut-mid-string", e == L_EPROTO, "code %u", e);

	mb_start(&m, tbuf, P9_TWALK, 14);
	mb_u32(&m, ROOT);
	mb_u32(&m, 3);
	mb_u16(&m, 1);
	mb_u16(&m, 0xffff); /* and nothing after */
	e = reply_err(xfer(mb_end(&m), 256), 14);
	C("string-past-end", e == L_EPROTO, "code %u", e);

	mb_start(&m, tbuf, P9_TWALK, 15);
	mb_u32(&m, ROOT);
	mb_u32(&m, 3);
	mb_u16(&m, 5); /* five names, two sent */
	mb_str(&m, "sub", 3);
	mb_str(&m, "..", 2);
	e = reply_err(xfer(mb_end(&m), 256), 15);
	C("names-missing", e == L_EPROTO, "code %u", e);

	mb_start(&m, tbuf, P9_TCLUNK, 16);
	mb_u32(&m, 77);
	mb_u8(&m, 0); /* one byte too many */
	e = reply_err(xfer(mb_end(&m), 256), 16);
	C("trailing-byte", e == L_EPROTO, "code %u", e);

	/* Twrite's count past the bytes sent: to the gofer, and to ukrun */
	for (int open = 0; open < 2; open++) {
		mb_start(&m, tbuf, P9_TWRITE, 17);
		mb_u32(&m, open ? 20 : ROOT);
		mb_u64(&m, 0);
		mb_u32(&m, 1000);
		mb_bytes(&m, "0123456789", 10);
		e = reply_err(xfer(mb_end(&m), 256), 17);
		C(open ? "write-count-past-end-open-file" : "write-count-past-end", e == L_EPROTO,
		  "code %u", e);
	}
	C("nothing-written", size_of(20) == size, "rw.bin went from %llu to %llu bytes",
	  (unsigned long long)size, (unsigned long long)size_of(20));
}

/* ---- types nobody serves ---- */

void attack_types(void)
{
	static const uint8_t none[] = { 0, 1, 5, 99, 128, 200, 255 }; /* no layout */
	static const uint8_t reply[] = { 6, 7, 101, 111, 117, 127 };  /* R-types, Tlerror */
	struct p9_msg t = { .type = P9_TAUTH, .tag = 9 }, r;
	char what[48];
	struct mb m;
	uint32_t e;

	session(P9_MSIZE_MAX);
	for (unsigned i = 0; i < sizeof(none); i++) {
		mb_start(&m, tbuf, none[i], 40 + i);
		mb_u32(&m, ROOT);
		e = reply_err(xfer(mb_end(&m), 256), (uint16_t)(40 + i));
		snprintf(what, sizeof(what), "type-%u", none[i]);
		C(what, e == L_EOPNOTSUPP, "code %u", e);
	}
	for (unsigned i = 0; i < sizeof(reply); i++) {
		mb_start(&m, tbuf, reply[i], 50 + i);
		mb_u32(&m, ROOT);
		e = reply_err(xfer(mb_end(&m), 256), (uint16_t)(50 + i));
		snprintf(what, sizeof(what), "type-%u", reply[i]);
		C(what, e == L_EOPNOTSUPP || e == L_EPROTO, "code %u", e);
	}
	t.u.tauth.afid = 5;
	t.u.tauth.uname = p9_str("root");
	t.u.tauth.aname = p9_str("");
	e = rpc_err(rpc(&t, &r, 256), &r);
	C("tauth", e == L_EOPNOTSUPP, "code %u", e);
}

/* ---- msize up and down in one session ---- */

void attack_version(void)
{
	static const char *const big[] = { "big.bin" };
	const uint8_t *data;
	uint32_t got = 0, n = 0;
	int e;

	e = p_version(0xffffffffu, P9_VERSION_L, &got);
	C("msize-4g-capped", !e && got == P9_MSIZE_MAX, "code %d msize %u", e, got);
	e = p_version(100, P9_VERSION_L, &got);
	C("msize-100-refused", e == L_EINVAL, "code %d", e);
	e = p_version(P9_MSIZE_MAX, "9P2000.u", &got);
	C("other-dialect-unknown", e == -2, "code %d", e);

	/* An open file (served by ukrun) dies with its session. */
	session(P9_MSIZE_MAX);
	C("open", !p_walk(ROOT, 21, 1, big, NULL) && !p_lopen(21, L_O_RDONLY), "no big.bin");
	C("read-before", !p_read(21, 0, 100, 4096, &data, &n) && n == 100 && big_ok(0, data, n),
	  "%u bytes", n);
	e = p_version(8192, P9_VERSION_L, &got);
	C("down-to-8k", !e && got == 8192, "code %d msize %u", e, got);
	e = p_read(21, 0, 100, 4096, &data, &n);
	C("old-fid-gone", e == L_EBADF, "code %d", e);
	C("attach", !p_attach(ROOT), "no attach");

	/* Reads are cut to the msize, by ukrun as by the gofer. */
	C("open-8k", !p_walk(ROOT, 21, 1, big, NULL) && !p_lopen(21, L_O_RDONLY), "no big.bin");
	e = p_read(21, 6, 100000, 200000, &data, &n);
	C("read-cut-to-msize", !e && n <= 8192 - 11 && n > 0 && big_ok(6, data, n),
	  "code %d, %u bytes for an msize of 8192", e, n);

	/* A refused Tversion leaves the session as it was. */
	e = p_version(100, P9_VERSION_L, &got);
	C("msize-100-refused-again", e == L_EINVAL, "code %d", e);
	e = p_read(21, 12, 100000, 200000, &data, &n);
	C("still-open-after-refusal", !e && n <= 8192 - 11 && n > 0 && big_ok(12, data, n),
	  "code %d, %u bytes", e, n);

	/* Up again: long reads come back. */
	e = p_version(P9_MSIZE_MAX, P9_VERSION_L, &got);
	C("up-to-512k", !e && got == P9_MSIZE_MAX, "code %d msize %u", e, got);
	C("attach-512k", !p_attach(ROOT), "no attach");
	C("open-512k", !p_walk(ROOT, 21, 1, big, NULL) && !p_lopen(21, L_O_RDONLY), "no big.bin");
	e = p_read(21, 0, 100000, 200000, &data, &n);
	C("long-read", !e && n == 100000 && big_ok(0, data, n), "code %d, %u bytes", e, n);
}

/* ---- walks that try to leave ---- */

/* A Twalk of n copies of name from ROOT to newfid 3, by hand. */
static uint32_t walk_raw(unsigned n, const char *name, uint16_t len)
{
	struct mb m;

	mb_start(&m, tbuf, P9_TWALK, 60);
	mb_u32(&m, ROOT);
	mb_u32(&m, 3);
	mb_u16(&m, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		mb_str(&m, name, len);
	return reply_err(xfer(mb_end(&m), 1024), 60);
}

void attack_walk(void)
{
	static const char *const dots[16] = { "..", "..", "..", "..", "..", "..", "..", "..",
		                              "..", "..", "..", "..", "..", "..", "..", ".." };
	static const char *const round[] = { "sub", "..", "..", "..", "hello.txt" };
	static const char *const bad[] = { "a/b", "/", "/etc", ".", "sub/..", "../hello.txt" };
	static const char *const up2[] = { "up", "secret" }, *const up[] = { "up" };
	static const char *const abs1[] = { "abs" }, *const past[] = { "hello.txt", "x" };
	struct p9_attr root, a;
	const uint8_t *data;
	char what[48], longname[257];
	uint16_t nq = 0;
	uint32_t n;
	int e;

	session(P9_MSIZE_MAX);
	C("root", !p_getattr(ROOT, &root), "no getattr of the root");
	e = (int)walk_raw(17, "sub", 3);
	C("17-names", e == L_EPROTO, "code %d", e);
	e = p_walk(ROOT, 10, 16, dots, &nq);
	C("16-dotdots", !e && nq == 16, "code %d, %u qids", e, nq);
	C("16-dotdots-stay-at-root", !p_getattr(10, &a) && a.qid.path == root.qid.path,
	  "the fid is not the share's root");
	e = p_walk(ROOT, 11, 5, round, &nq);
	C("down-and-up-past-root", !e && nq == 5, "code %d, %u qids", e, nq);
	C("lands-on-the-share's-file",
	  !p_lopen(11, L_O_RDONLY) && !p_read(11, 0, 100, 4096, &data, &n) && hello_ok(data, n),
	  "hello.txt not read");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e = p_walk(ROOT, 12, 1, &bad[i], NULL);
		snprintf(what, sizeof(what), "name-%u-refused", i);
		C(what, e == L_EINVAL, "'%s': code %d", bad[i], e);
	}
	e = (int)walk_raw(1, "", 0);
	C("empty-name", e == L_EINVAL, "code %d", e);
	e = (int)walk_raw(1, "a\0b", 3);
	C("nul-inside", e == L_EPROTO, "code %d", e);
	e = (int)walk_raw(1, "..\0/etc", 7);
	C("dotdot-nul", e == L_EPROTO, "code %d", e);
	memset(longname, 'x', 256);
	longname[256] = 0;
	e = (int)walk_raw(1, longname, 256);
	C("name-256", e == L_ENAMETOOLONG, "code %d", e);

	/* The links out of the share: walked to as links, never through. */
	e = p_walk(ROOT, 13, 1, up, &nq);
	C("to-link", !e && nq == 1, "code %d", e);
	e = p_lopen(13, L_O_RDONLY);
	C("link-not-opened", e == L_ELOOP, "code %d", e);
	e = p_walk(ROOT, 14, 2, up2, &nq);
	C("through-link", !e && nq == 1, "code %d, %u qids", e, nq);
	C("partial-walk-makes-no-fid", p_getattr(14, NULL) == L_EBADF, "fid 14 exists");
	e = p_walk(ROOT, 15, 1, abs1, &nq);
	C("absolute-link-not-opened", !e && p_lopen(15, L_O_RDONLY) == L_ELOOP, "code %d", e);
	e = p_walk(ROOT, 16, 2, past, &nq);
	C("past-a-file", !e && nq == 1, "code %d, %u qids", e, nq);
}

/* Names that would make something outside: mkdir, create, symlink and
 * rename with "..", "/" and friends. The script checks the outside. */
void attack_names(void)
{
	static const char *const bad[] = { "..", ".", "../escape", "/escape", "sub/../../escape" };
	struct p9_msg t, r;
	char what[48];
	uint32_t e;

	session(P9_MSIZE_MAX);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		t = (struct p9_msg){ .type = P9_TMKDIR, .tag = 70 };
		t.u.tmkdir.dfid = ROOT;
		t.u.tmkdir.name = p9_str(bad[i]);
		t.u.tmkdir.mode = 0755;
		e = rpc_err(rpc(&t, &r, 256), &r);
		snprintf(what, sizeof(what), "mkdir-%u", i);
		C(what, e == L_EINVAL, "'%s': code %u", bad[i], e);

		t = (struct p9_msg){ .type = P9_TSYMLINK, .tag = 71 };
		t.u.tsymlink.fid = ROOT;
		t.u.tsymlink.name = p9_str(bad[i]);
		t.u.tsymlink.target = p9_str("/etc/passwd");
		e = rpc_err(rpc(&t, &r, 256), &r);
		snprintf(what, sizeof(what), "symlink-%u", i);
		C(what, e == L_EINVAL, "'%s': code %u", bad[i], e);

		t = (struct p9_msg){ .type = P9_TRENAMEAT, .tag = 72 };
		t.u.trenameat.olddfid = ROOT;
		t.u.trenameat.oldname = p9_str("hello.txt");
		t.u.trenameat.newdfid = ROOT;
		t.u.trenameat.newname = p9_str(bad[i]);
		e = rpc_err(rpc(&t, &r, 256), &r);
		snprintf(what, sizeof(what), "rename-%u", i);
		C(what, e == L_EINVAL, "'%s': code %u", bad[i], e);

		C("clone", !p_walk(ROOT, 73, 0, NULL, NULL), "no clone of the root");
		t = (struct p9_msg){ .type = P9_TLCREATE, .tag = 73 };
		t.u.tlcreate.fid = 73;
		t.u.tlcreate.name = p9_str(bad[i]);
		t.u.tlcreate.flags = L_O_RDWR;
		t.u.tlcreate.mode = 0644;
		e = rpc_err(rpc(&t, &r, 256), &r);
		snprintf(what, sizeof(what), "create-%u", i);
		C(what, e == L_EINVAL, "'%s': code %u", bad[i], e);
		p_clunk(73);
	}
}

/* ---- fids used wrongly ---- */

void attack_fid_reuse(void)
{
	struct p9_msg t, r;
	const uint8_t *data;
	uint32_t n;
	int e;

	session(P9_MSIZE_MAX);
	e = p_attach(ROOT);
	C("attach-twice", e == L_EBADF, "code %d", e);
	C("walk", !p_walk(ROOT, 20, 1, hello_txt, NULL), "no walk");
	e = p_walk(ROOT, 20, 1, hello_txt, NULL);
	C("walk-to-fid-in-use", e == L_EBADF, "code %d", e);
	C("open", !p_lopen(20, L_O_RDONLY), "no open");
	e = p_lopen(20, L_O_RDONLY);
	C("open-twice", e == L_EBADF, "code %d", e);
	t = (struct p9_msg){ .type = P9_TLCREATE, .tag = 80 };
	t.u.tlcreate.fid = 20;
	t.u.tlcreate.name = p9_str("made");
	t.u.tlcreate.flags = L_O_RDWR;
	t.u.tlcreate.mode = 0644;
	e = (int)rpc_err(rpc(&t, &r, 256), &r);
	C("create-on-open-fid", e == L_EBADF, "code %d", e);
	t = (struct p9_msg){ .type = P9_TXATTRWALK, .tag = 81 };
	t.u.txattrwalk.fid = ROOT;
	t.u.txattrwalk.newfid = 20;
	t.u.txattrwalk.name = p9_str("");
	e = (int)rpc_err(rpc(&t, &r, 256), &r);
	C("xattrwalk-to-fid-in-use", e == L_EBADF, "code %d", e);
	e = p_walk(ROOT, ROOT, 0, NULL, NULL);
	C("walk-onto-itself", !e, "code %d", e);
	e = p_read(20, 0, 100, 4096, &data, &n);
	C("still-reads", !e && hello_ok(data, n), "code %d", e);
}

void attack_clunk(void)
{
	struct p9_msg t, r;
	const uint8_t *data;
	uint32_t n;
	int e;

	session(P9_MSIZE_MAX);
	C("walk", !p_walk(ROOT, 30, 0, NULL, NULL), "no clone");
	C("clunk", !p_clunk(30), "no clunk");
	e = p_clunk(30);
	C("clunk-twice", e == L_EBADF, "code %d", e);
	e = p_getattr(30, NULL);
	C("getattr-after-clunk", e == L_EBADF, "code %d", e);
	/* an open file, served by ukrun: its copy must go too */
	C("open", !p_walk(ROOT, 31, 1, hello_txt, NULL) && !p_lopen(31, L_O_RDONLY), "no open");
	C("clunk-open", !p_clunk(31), "no clunk");
	e = p_read(31, 0, 100, 4096, &data, &n);
	C("read-after-clunk", e == L_EBADF, "code %d", e);
	e = p_clunk(31);
	C("clunk-open-twice", e == L_EBADF, "code %d", e);
	e = p_clunk(P9_NOFID);
	C("clunk-nofid", e == L_EBADF, "code %d", e);
	e = p_clunk(0xdeadbeef);
	C("clunk-never-made", e == L_EBADF, "code %d", e);
	C("clone", !p_walk(ROOT, 32, 0, NULL, NULL), "no clone");
	t = (struct p9_msg){ .type = P9_TREMOVE, .tag = 90 };
	t.u.tfid.fid = 32;
	e = (int)rpc_err(rpc(&t, &r, 256), &r);
	C("remove-root", e == L_EBUSY, "code %d", e);
	e = p_getattr(32, NULL);
	C("remove-clunks", e == L_EBADF, "code %d", e);
	C("root-still-there", !p_getattr(ROOT, NULL), "the root fid is gone");
}

/* ---- reads that ask too much ---- */

void attack_read_count(void)
{
	static const char *const sub[] = { "sub" };
	struct p9_msg t, r;
	const uint8_t *data;
	uint32_t n = 0;
	long len;
	int e;

	session(P9_MSIZE_MAX);
	C("open", !open_file(40, "big.bin", L_O_RDONLY), "no big.bin");
	e = p_read(40, 0, 0xffffffffu, AREA, &data, &n);
	C("count-4g", !e && n == P9_MSIZE_MAX - 11 && big_ok(0, data, n), "code %d, %u bytes", e,
	  n);
	e = p_read(40, 0, 0xffffffffu, 100, &data, &n);
	C("count-4g-buffer-100", !e && n == 100 - 11 && big_ok(0, data, n), "code %d, %u bytes", e,
	  n);
	e = p_read(40, 1ull << 63, 10, 4096, &data, &n);
	C("offset-2^63", e == L_EINVAL, "code %d", e);
	e = p_read(40, ~0ull, 10, 4096, &data, &n);
	C("offset-2^64-1", e == L_EINVAL, "code %d", e);
	e = p_read(40, 2000000, 10, 4096, &data, &n);
	C("past-end", !e && n == 0, "code %d, %u bytes", e, n);
	/* A directory is the gofer's to read. */
	C("open-dir", !p_walk(ROOT, 41, 1, sub, NULL) && !p_lopen(41, L_O_RDONLY), "no sub/");
	t = (struct p9_msg){ .type = P9_TREADDIR, .tag = 91 };
	t.u.treaddir.fid = 41;
	t.u.treaddir.count = 0xffffffffu;
	len = rpc(&t, &r, AREA);
	C("readdir-count-4g", len == P9_RREADDIR && r.u.rreaddir.count <= P9_MSIZE_MAX - 11,
	  "type %ld", len);
}
