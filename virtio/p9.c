/*
 * 9P2000.L codec (see uk/p9.h). One table describes every message as a
 * list of fields; one loop decodes and one encodes, so a layout is written
 * down once and both directions agree by construction.
 *
 * Pure code: compiled into the library OS (freestanding, no SSE, no
 * libc), into ukrun and into the host tests, so it uses nothing but its
 * own byte loops.
 */
#include <uk/p9.h>

enum p9_kind {
	K_END,
	K_U8,
	K_U16,
	K_U32,
	K_U64,
	K_STR,
	K_QID,
	K_DATA,   /* count[4] then count bytes; always the last field */
	K_WNAMES, /* n[2] then n strings: off = n, off2 = array */
	K_WQIDS,  /* n[2] then n qids */
};

struct p9_field {
	uint8_t kind;
	uint16_t off, off2;
};

/* A field of kind k at member f of the message's union. (clang-format
 * would spread each of these one-line initializers over four lines.) */
/* clang-format off */
#define OFF(f) ((uint16_t)offsetof(struct p9_msg, u.f))
#define FIELD(k, f) { k, OFF(f), 0 }
#define U8(f) FIELD(K_U8, f)
#define U16(f) FIELD(K_U16, f)
#define U32(f) FIELD(K_U32, f)
#define U64(f) FIELD(K_U64, f)
#define STR(f) FIELD(K_STR, f)
#define QID(f) FIELD(K_QID, f)
#define DATA(f) FIELD(K_DATA, f)
#define END { K_END, 0, 0 }
/* clang-format on */

static const struct p9_field f_empty[] = { END };
static const struct p9_field f_version[] = { U32(version.msize), STR(version.version), END };
static const struct p9_field f_tauth[] = { U32(tauth.afid), STR(tauth.uname), STR(tauth.aname),
	                                   U32(tauth.n_uname), END };
static const struct p9_field f_tattach[] = { U32(tattach.fid),     U32(tattach.afid),
	                                     STR(tattach.uname),   STR(tattach.aname),
	                                     U32(tattach.n_uname), END };
static const struct p9_field f_rqid[] = { QID(rqid.qid), END };
static const struct p9_field f_rlerror[] = { U32(rlerror.ecode), END };
static const struct p9_field f_tfid[] = { U32(tfid.fid), END };
static const struct p9_field f_rstatfs[] = { U32(rstatfs.type),    U32(rstatfs.bsize),
	                                     U64(rstatfs.blocks),  U64(rstatfs.bfree),
	                                     U64(rstatfs.bavail),  U64(rstatfs.files),
	                                     U64(rstatfs.ffree),   U64(rstatfs.fsid),
	                                     U32(rstatfs.namelen), END };
static const struct p9_field f_tlopen[] = { U32(tlopen.fid), U32(tlopen.flags), END };
static const struct p9_field f_ropen[] = { QID(ropen.qid), U32(ropen.iounit), END };
static const struct p9_field f_tlcreate[] = { U32(tlcreate.fid),   STR(tlcreate.name),
	                                      U32(tlcreate.flags), U32(tlcreate.mode),
	                                      U32(tlcreate.gid),   END };
static const struct p9_field f_tsymlink[] = { U32(tsymlink.fid), STR(tsymlink.name),
	                                      STR(tsymlink.target), U32(tsymlink.gid), END };
static const struct p9_field f_tmknod[] = { U32(tmknod.dfid),
	                                    STR(tmknod.name),
	                                    U32(tmknod.mode),
	                                    U32(tmknod.major),
	                                    U32(tmknod.minor),
	                                    U32(tmknod.gid),
	                                    END };
static const struct p9_field f_trename[] = { U32(trename.fid), U32(trename.dfid), STR(trename.name),
	                                     END };
static const struct p9_field f_rreadlink[] = { STR(rreadlink.target), END };
static const struct p9_field f_tgetattr[] = { U32(tgetattr.fid), U64(tgetattr.mask), END };
static const struct p9_field f_rgetattr[] = {
	U64(rgetattr.valid),      QID(rgetattr.qid),          U32(rgetattr.mode),
	U32(rgetattr.uid),        U32(rgetattr.gid),          U64(rgetattr.nlink),
	U64(rgetattr.rdev),       U64(rgetattr.size),         U64(rgetattr.blksize),
	U64(rgetattr.blocks),     U64(rgetattr.atime_sec),    U64(rgetattr.atime_nsec),
	U64(rgetattr.mtime_sec),  U64(rgetattr.mtime_nsec),   U64(rgetattr.ctime_sec),
	U64(rgetattr.ctime_nsec), U64(rgetattr.btime_sec),    U64(rgetattr.btime_nsec),
	U64(rgetattr.gen),        U64(rgetattr.data_version), END
};
static const struct p9_field f_tsetattr[] = { U32(tsetattr.fid),
	                                      U32(tsetattr.attr.valid),
	                                      U32(tsetattr.attr.mode),
	                                      U32(tsetattr.attr.uid),
	                                      U32(tsetattr.attr.gid),
	                                      U64(tsetattr.attr.size),
	                                      U64(tsetattr.attr.atime_sec),
	                                      U64(tsetattr.attr.atime_nsec),
	                                      U64(tsetattr.attr.mtime_sec),
	                                      U64(tsetattr.attr.mtime_nsec),
	                                      END };
static const struct p9_field f_txattrwalk[] = { U32(txattrwalk.fid), U32(txattrwalk.newfid),
	                                        STR(txattrwalk.name), END };
static const struct p9_field f_rxattrwalk[] = { U64(rxattrwalk.size), END };
static const struct p9_field f_txattrcreate[] = { U32(txattrcreate.fid), STR(txattrcreate.name),
	                                          U64(txattrcreate.size), U32(txattrcreate.flags),
	                                          END };
static const struct p9_field f_treaddir[] = { U32(treaddir.fid), U64(treaddir.offset),
	                                      U32(treaddir.count), END };
static const struct p9_field f_rreaddir[] = { DATA(rreaddir), END };
static const struct p9_field f_tfsync[] = { U32(tfsync.fid), U32(tfsync.datasync), END };
static const struct p9_field f_tlock[] = { U32(tlock.fid),       U8(tlock.type),
	                                   U32(tlock.flags),     U64(tlock.start),
	                                   U64(tlock.length),    U32(tlock.proc_id),
	                                   STR(tlock.client_id), END };
static const struct p9_field f_rlock[] = { U8(rlock.status), END };
static const struct p9_field f_tgetlock[] = { U32(getlock.fid),
	                                      U8(getlock.type),
	                                      U64(getlock.start),
	                                      U64(getlock.length),
	                                      U32(getlock.proc_id),
	                                      STR(getlock.client_id),
	                                      END };
static const struct p9_field f_rgetlock[] = { U8(getlock.type),       U64(getlock.start),
	                                      U64(getlock.length),    U32(getlock.proc_id),
	                                      STR(getlock.client_id), END };
static const struct p9_field f_tlink[] = { U32(tlink.dfid), U32(tlink.fid), STR(tlink.name), END };
static const struct p9_field f_tmkdir[] = { U32(tmkdir.dfid), STR(tmkdir.name), U32(tmkdir.mode),
	                                    U32(tmkdir.gid), END };
static const struct p9_field f_trenameat[] = { U32(trenameat.olddfid), STR(trenameat.oldname),
	                                       U32(trenameat.newdfid), STR(trenameat.newname),
	                                       END };
static const struct p9_field f_tunlinkat[] = { U32(tunlinkat.dfid), STR(tunlinkat.name),
	                                       U32(tunlinkat.flags), END };
static const struct p9_field f_tflush[] = { U16(tflush.oldtag), END };
static const struct p9_field f_twalk[] = {
	U32(twalk.fid), U32(twalk.newfid), { K_WNAMES, OFF(twalk.nwname), OFF(twalk.wname) }, END
};
static const struct p9_field f_rwalk[] = { { K_WQIDS, OFF(rwalk.nwqid), OFF(rwalk.wqid) }, END };
static const struct p9_field f_tread[] = { U32(tread.fid), U64(tread.offset), U32(tread.count),
	                                   END };
static const struct p9_field f_rread[] = { DATA(rread), END };
static const struct p9_field f_twrite[] = { U32(twrite.fid), U64(twrite.offset), DATA(twrite.d),
	                                    END };
static const struct p9_field f_rwrite[] = { U32(rwrite.count), END };

/* Every message: its type, name and layout. A dense table and an index
 * by type (not one table indexed by type: the types are sparse, and its
 * 2 KiB were in every image). */
/* clang-format off */
#define P9_LAYOUTS(X) \
	X(P9_RLERROR, "Rlerror", f_rlerror) \
	X(P9_TSTATFS, "Tstatfs", f_tfid) \
	X(P9_RSTATFS, "Rstatfs", f_rstatfs) \
	X(P9_TLOPEN, "Tlopen", f_tlopen) \
	X(P9_RLOPEN, "Rlopen", f_ropen) \
	X(P9_TLCREATE, "Tlcreate", f_tlcreate) \
	X(P9_RLCREATE, "Rlcreate", f_ropen) \
	X(P9_TSYMLINK, "Tsymlink", f_tsymlink) \
	X(P9_RSYMLINK, "Rsymlink", f_rqid) \
	X(P9_TMKNOD, "Tmknod", f_tmknod) \
	X(P9_RMKNOD, "Rmknod", f_rqid) \
	X(P9_TRENAME, "Trename", f_trename) \
	X(P9_RRENAME, "Rrename", f_empty) \
	X(P9_TREADLINK, "Treadlink", f_tfid) \
	X(P9_RREADLINK, "Rreadlink", f_rreadlink) \
	X(P9_TGETATTR, "Tgetattr", f_tgetattr) \
	X(P9_RGETATTR, "Rgetattr", f_rgetattr) \
	X(P9_TSETATTR, "Tsetattr", f_tsetattr) \
	X(P9_RSETATTR, "Rsetattr", f_empty) \
	X(P9_TXATTRWALK, "Txattrwalk", f_txattrwalk) \
	X(P9_RXATTRWALK, "Rxattrwalk", f_rxattrwalk) \
	X(P9_TXATTRCREATE, "Txattrcreate", f_txattrcreate) \
	X(P9_RXATTRCREATE, "Rxattrcreate", f_empty) \
	X(P9_TREADDIR, "Treaddir", f_treaddir) \
	X(P9_RREADDIR, "Rreaddir", f_rreaddir) \
	X(P9_TFSYNC, "Tfsync", f_tfsync) \
	X(P9_RFSYNC, "Rfsync", f_empty) \
	X(P9_TLOCK, "Tlock", f_tlock) \
	X(P9_RLOCK, "Rlock", f_rlock) \
	X(P9_TGETLOCK, "Tgetlock", f_tgetlock) \
	X(P9_RGETLOCK, "Rgetlock", f_rgetlock) \
	X(P9_TLINK, "Tlink", f_tlink) \
	X(P9_RLINK, "Rlink", f_empty) \
	X(P9_TMKDIR, "Tmkdir", f_tmkdir) \
	X(P9_RMKDIR, "Rmkdir", f_rqid) \
	X(P9_TRENAMEAT, "Trenameat", f_trenameat) \
	X(P9_RRENAMEAT, "Rrenameat", f_empty) \
	X(P9_TUNLINKAT, "Tunlinkat", f_tunlinkat) \
	X(P9_RUNLINKAT, "Runlinkat", f_empty) \
	X(P9_TVERSION, "Tversion", f_version) \
	X(P9_RVERSION, "Rversion", f_version) \
	X(P9_TAUTH, "Tauth", f_tauth) \
	X(P9_RAUTH, "Rauth", f_rqid) \
	X(P9_TATTACH, "Tattach", f_tattach) \
	X(P9_RATTACH, "Rattach", f_rqid) \
	X(P9_TFLUSH, "Tflush", f_tflush) \
	X(P9_RFLUSH, "Rflush", f_empty) \
	X(P9_TWALK, "Twalk", f_twalk) \
	X(P9_RWALK, "Rwalk", f_rwalk) \
	X(P9_TREAD, "Tread", f_tread) \
	X(P9_RREAD, "Rread", f_rread) \
	X(P9_TWRITE, "Twrite", f_twrite) \
	X(P9_RWRITE, "Rwrite", f_rwrite) \
	X(P9_TCLUNK, "Tclunk", f_tfid) \
	X(P9_RCLUNK, "Rclunk", f_empty) \
	X(P9_TREMOVE, "Tremove", f_tfid) \
	X(P9_RREMOVE, "Rremove", f_empty)
/* clang-format on */

#define P9_SLOT(t, n, f) S_##t,
enum { P9_LAYOUTS(P9_SLOT) };
#define P9_ENTRY(t, n, f) { n, f },
static const struct {
	const char *name;
	const struct p9_field *f;
} layouts[] = { P9_LAYOUTS(P9_ENTRY) };
/* (the index is one more than the slot: 0 for a type with no layout) */
#define P9_INDEX(t, n, f) [t] = S_##t + 1,
static const uint8_t slot_of[P9_TYPE_MAX] = { P9_LAYOUTS(P9_INDEX) };

const char *p9_type_name(unsigned type)
{
	return type < P9_TYPE_MAX && slot_of[type] ? layouts[slot_of[type] - 1].name : NULL;
}

static const struct p9_field *layout(unsigned type)
{
	return type < P9_TYPE_MAX && slot_of[type] ? layouts[slot_of[type] - 1].f : NULL;
}

/* ---- decoding: a cursor that refuses to move past its end ---- */

struct rd {
	const uint8_t *p;
	size_t len, pos;
	int bad;
};

static uint64_t rd_le(struct rd *r, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	if (r->bad || r->len - r->pos < n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->pos + i] << (8 * i);
	r->pos += n;
	return v;
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->pos < n) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

/* A string: no NUL inside, since every consumer hands it to C. */
static void rd_str(struct rd *r, struct p9_str *s)
{
	uint16_t n = (uint16_t)rd_le(r, 2);
	const uint8_t *p = rd_bytes(r, n);
	uint16_t i;

	s->s = (const char *)p;
	s->len = p ? n : 0;
	for (i = 0; p && i < n; i++)
		if (!p[i])
			r->bad = 1;
}

static void rd_qid(struct rd *r, struct p9_qid *q)
{
	q->type = (uint8_t)rd_le(r, 1);
	q->version = (uint32_t)rd_le(r, 4);
	q->path = rd_le(r, 8);
}

static void rd_field(struct rd *r, const struct p9_field *f, uint8_t *base)
{
	void *at = base + f->off;
	uint16_t n, i;

	switch (f->kind) {
	case K_U8: *(uint8_t *)at = (uint8_t)rd_le(r, 1); break;
	case K_U16: *(uint16_t *)at = (uint16_t)rd_le(r, 2); break;
	case K_U32: *(uint32_t *)at = (uint32_t)rd_le(r, 4); break;
	case K_U64: *(uint64_t *)at = rd_le(r, 8); break;
	case K_STR: rd_str(r, at); break;
	case K_QID: rd_qid(r, at); break;
	case K_DATA: {
		struct p9_data *d = at;
		d->count = (uint32_t)rd_le(r, 4);
		d->data = rd_bytes(r, d->count);
		break;
	}
	case K_WNAMES:
	case K_WQIDS:
		n = (uint16_t)rd_le(r, 2);
		*(uint16_t *)at = n;
		if (n > P9_MAXWELEM) {
			r->bad = 1;
			break;
		}
		for (i = 0; i < n && !r->bad; i++) {
			if (f->kind == K_WNAMES)
				rd_str(r, (struct p9_str *)(base + f->off2) + i);
			else
				rd_qid(r, (struct p9_qid *)(base + f->off2) + i);
		}
		break;
	}
}

uint32_t p9_msg_size(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len < 4)
		return 0;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int p9_unpack(const void *buf, size_t len, struct p9_msg *m)
{
	struct rd r = { buf, len, 0, 0 };
	const struct p9_field *f;
	uint32_t size;

	m->type = 0;
	m->tag = P9_NOTAG;
	if (len < P9_HDR_SIZE)
		return -P9_EPROTO;
	size = (uint32_t)rd_le(&r, 4);
	m->type = (uint8_t)rd_le(&r, 1);
	m->tag = (uint16_t)rd_le(&r, 2);
	if (size != len)
		return -P9_EMSGSIZE;
	if (!(f = layout(m->type)))
		return -P9_EOPNOTSUPP;
	for (; f->kind != K_END && !r.bad; f++)
		rd_field(&r, f, (uint8_t *)m);
	if (r.bad || r.pos != len)
		return -P9_EPROTO;
	return 0;
}

/* ---- encoding ---- */

struct wr {
	uint8_t *p; /* NULL: count only */
	size_t cap, pos;
	uint64_t extra; /* payload the caller places after the header */
	int bad;
};

static void wr_le(struct wr *w, uint64_t v, unsigned n)
{
	unsigned i;

	if (w->bad || w->cap - w->pos < n) {
		w->bad = 1;
		return;
	}
	for (i = 0; w->p && i < n; i++)
		w->p[w->pos + i] = (uint8_t)(v >> (8 * i));
	w->pos += n;
}

static void wr_bytes(struct wr *w, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i;

	if (w->bad || w->cap - w->pos < n) {
		w->bad = 1;
		return;
	}
	for (i = 0; w->p && i < n; i++)
		w->p[w->pos + i] = s[i];
	w->pos += n;
}

static void wr_str(struct wr *w, const struct p9_str *s)
{
	if (!s->s && s->len) {
		w->bad = 1;
		return;
	}
	wr_le(w, s->len, 2);
	wr_bytes(w, s->s, s->len);
}

static void wr_qid(struct wr *w, const struct p9_qid *q)
{
	wr_le(w, q->type, 1);
	wr_le(w, q->version, 4);
	wr_le(w, q->path, 8);
}

static void wr_field(struct wr *w, const struct p9_field *f, const uint8_t *base)
{
	const void *at = base + f->off;
	uint16_t n, i;

	switch (f->kind) {
	case K_U8: wr_le(w, *(const uint8_t *)at, 1); break;
	case K_U16: wr_le(w, *(const uint16_t *)at, 2); break;
	case K_U32: wr_le(w, *(const uint32_t *)at, 4); break;
	case K_U64: wr_le(w, *(const uint64_t *)at, 8); break;
	case K_STR: wr_str(w, at); break;
	case K_QID: wr_qid(w, at); break;
	case K_DATA: {
		const struct p9_data *d = at;
		wr_le(w, d->count, 4);
		if (d->data)
			wr_bytes(w, d->data, d->count);
		else
			w->extra = d->count;
		break;
	}
	case K_WNAMES:
	case K_WQIDS:
		n = *(const uint16_t *)at;
		if (n > P9_MAXWELEM) {
			w->bad = 1;
			break;
		}
		wr_le(w, n, 2);
		for (i = 0; i < n; i++) {
			if (f->kind == K_WNAMES)
				wr_str(w, (const struct p9_str *)(base + f->off2) + i);
			else
				wr_qid(w, (const struct p9_qid *)(base + f->off2) + i);
		}
		break;
	}
}

uint32_t p9_pack(void *buf, size_t cap, const struct p9_msg *m)
{
	struct wr w = { buf, cap, P9_HDR_SIZE, 0, 0 };
	const struct p9_field *f = layout(m->type);
	uint64_t size;

	if (!f || cap < P9_HDR_SIZE)
		return 0;
	for (; f->kind != K_END && !w.bad; f++)
		wr_field(&w, f, (const uint8_t *)m);
	size = w.pos + w.extra;
	if (w.bad || size > 0xffffffffu)
		return 0;
	w.pos = 0;
	wr_le(&w, size, 4);
	wr_le(&w, m->type, 1);
	wr_le(&w, m->tag, 2);
	return (uint32_t)size;
}

/* The same walk over a sink without memory: it only counts. */
uint32_t p9_packed_header(const struct p9_msg *m)
{
	struct wr w = { 0, (size_t)-1, P9_HDR_SIZE, 0, 0 };
	const struct p9_field *f = layout(m->type);

	if (!f)
		return 0;
	for (; f->kind != K_END && !w.bad; f++)
		wr_field(&w, f, (const uint8_t *)m);
	return w.bad || w.pos > 0xffffffffu ? 0 : (uint32_t)w.pos;
}

uint32_t p9_pack_error(void *buf, size_t cap, uint16_t tag, uint32_t ecode)
{
	struct p9_msg m = { .type = P9_RLERROR, .tag = tag, .u.rlerror.ecode = ecode };

	return p9_pack(buf, cap, &m);
}

/* ---- strings ---- */

struct p9_str p9_str(const char *s)
{
	struct p9_str r = { 0, 0 };
	size_t n = 0;

	if (!s)
		return r;
	while (s[n] && n <= 0xffff)
		n++;
	if (n > 0xffff)
		return r;
	r.s = s;
	r.len = (uint16_t)n;
	return r;
}

int p9_str_eq(struct p9_str a, const char *c)
{
	uint16_t i;

	for (i = 0; i < a.len; i++)
		if (!c[i] || c[i] != a.s[i])
			return 0;
	return c[a.len] == 0;
}

int p9_str_copy(char *dst, size_t cap, struct p9_str a)
{
	uint16_t i;

	if ((size_t)a.len + 1 > cap)
		return -1;
	for (i = 0; i < a.len; i++)
		dst[i] = a.s[i];
	dst[a.len] = 0;
	return 0;
}

/* ---- directory entries ---- */

int p9_dirent_pack(void *buf, size_t cap, size_t *pos, const struct p9_dirent *d)
{
	struct wr w = { buf, cap, *pos, 0, 0 };

	if (*pos > cap)
		return -1;
	wr_qid(&w, &d->qid);
	wr_le(&w, d->offset, 8);
	wr_le(&w, d->type, 1);
	wr_str(&w, &d->name);
	if (w.bad)
		return -1;
	*pos = w.pos;
	return 0;
}

int p9_dirent_next(const void *data, size_t len, size_t *pos, struct p9_dirent *d)
{
	struct rd r = { data, len, *pos, 0 };

	if (*pos >= len)
		return 0;
	rd_qid(&r, &d->qid);
	d->offset = rd_le(&r, 8);
	d->type = (uint8_t)rd_le(&r, 1);
	rd_str(&r, &d->name);
	if (r.bad)
		return -1;
	*pos = r.pos;
	return 1;
}
