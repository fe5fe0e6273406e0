/*
 * A tiny 9P2000.L client for the gofer's unit tests: messages are packed
 * with the codec, handed to p9s_handle() as buffers, and the replies
 * decoded. Header-only so each test binary gets its own copy; every
 * function returns 0 or -errno from an Rlerror (-1000 for a reply that is
 * malformed or of the wrong type: a test failure by itself).
 */
#ifndef P9_CLIENT_H
#define P9_CLIENT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <uk/p9.h>

#include "../../vmm/p9_server.h"

#define P9C_BAD (-1000)
#define P9C_BUF (P9_MSIZE_MAX + 4096)

struct p9c {
	struct p9s *s;
	struct p9s_worker *w;
	uint16_t tag;
	struct p9_msg r; /* the last reply */
	uint8_t tx[P9C_BUF], rx[P9C_BUF];
	uint32_t rlen;
};

static inline int p9c_call(struct p9c *c, struct p9_msg *t)
{
	uint32_t n;

	t->tag = t->type == P9_TVERSION ? P9_NOTAG : (uint16_t)(c->tag++ & 0x7fff);
	n = p9_pack(c->tx, sizeof(c->tx), t);
	if (!n)
		return P9C_BAD;
	c->rlen = (uint32_t)p9s_handle(c->w, c->tx, n, c->rx, sizeof(c->rx));
	if (p9_unpack(c->rx, c->rlen, &c->r) || c->r.tag != t->tag)
		return P9C_BAD;
	if (c->r.type == P9_RLERROR)
		return -(int)c->r.u.rlerror.ecode;
	return c->r.type == t->type + 1 ? 0 : P9C_BAD;
}

/* Raw bytes in, decoded reply out (for malformed requests). */
static inline int p9c_raw(struct p9c *c, const void *msg, size_t len)
{
	c->rlen = (uint32_t)p9s_handle(c->w, msg, len, c->rx, sizeof(c->rx));
	if (p9_unpack(c->rx, c->rlen, &c->r))
		return P9C_BAD;
	return c->r.type == P9_RLERROR ? -(int)c->r.u.rlerror.ecode : 0;
}

static inline int p9c_version(struct p9c *c, uint32_t msize, const char *v)
{
	struct p9_msg t = { .type = P9_TVERSION,
		            .u.version = { .msize = msize, .version = p9_str(v) } };

	return p9c_call(c, &t);
}

static inline int p9c_attach(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TATTACH,
		            .u.tattach = { .fid = fid,
		                           .afid = P9_NOFID,
		                           .uname = p9_str("test"),
		                           .aname = p9_str("") } };

	return p9c_call(c, &t);
}

/* Walk "a/b/c" (split here, at most 16 names; "" clones). */
static inline int p9c_walk(struct p9c *c, uint32_t fid, uint32_t newfid, const char *path)
{
	struct p9_msg t = { .type = P9_TWALK };
	const char *p = path;

	t.u.twalk.fid = fid;
	t.u.twalk.newfid = newfid;
	while (*p && t.u.twalk.nwname < P9_MAXWELEM) {
		const char *slash = strchr(p, '/');
		uint16_t len = (uint16_t)(slash ? slash - p : (long)strlen(p));
		t.u.twalk.wname[t.u.twalk.nwname++] = (struct p9_str){ p, len };
		p += len + (slash ? 1 : 0);
	}
	return p9c_call(c, &t);
}

/* Walk with the names given as they are (may hold '/'). */
static inline int p9c_walk_names(struct p9c *c, uint32_t fid, uint32_t newfid, int n,
                                 const char *const *names)
{
	struct p9_msg t = { .type = P9_TWALK };
	int i;

	t.u.twalk.fid = fid;
	t.u.twalk.newfid = newfid;
	t.u.twalk.nwname = (uint16_t)n;
	for (i = 0; i < n; i++)
		t.u.twalk.wname[i] = p9_str(names[i]);
	return p9c_call(c, &t);
}

static inline int p9c_clunk(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK, .u.tfid.fid = fid };

	return p9c_call(c, &t);
}

static inline int p9c_lopen(struct p9c *c, uint32_t fid, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TLOPEN, .u.tlopen = { fid, flags } };

	return p9c_call(c, &t);
}

static inline int p9c_lcreate(struct p9c *c, uint32_t fid, const char *name, uint32_t flags,
                              uint32_t mode)
{
	struct p9_msg t = { .type = P9_TLCREATE,
		            .u.tlcreate = {
		                .fid = fid, .name = p9_str(name), .flags = flags, .mode = mode } };

	return p9c_call(c, &t);
}

static inline int p9c_write(struct p9c *c, uint32_t fid, uint64_t off, const void *data, uint32_t n)
{
	struct p9_msg t = { .type = P9_TWRITE,
		            .u.twrite = {
		                .fid = fid, .offset = off, .d.data = data, .d.count = n } };

	return p9c_call(c, &t);
}

static inline int p9c_read(struct p9c *c, uint32_t fid, uint64_t off, uint32_t n)
{
	struct p9_msg t = { .type = P9_TREAD, .u.tread = { fid, off, n } };

	return p9c_call(c, &t);
}

static inline int p9c_getattr(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TGETATTR, .u.tgetattr = { fid, P9_GETATTR_BASIC } };

	return p9c_call(c, &t);
}

static inline int p9c_mkdir(struct p9c *c, uint32_t dfid, const char *name, uint32_t mode)
{
	struct p9_msg t = { .type = P9_TMKDIR,
		            .u.tmkdir = { .dfid = dfid, .name = p9_str(name), .mode = mode } };

	return p9c_call(c, &t);
}

static inline int p9c_symlink(struct p9c *c, uint32_t dfid, const char *name, const char *target)
{
	struct p9_msg t = { .type = P9_TSYMLINK,
		            .u.tsymlink = {
		                .fid = dfid, .name = p9_str(name), .target = p9_str(target) } };

	return p9c_call(c, &t);
}

static inline int p9c_link(struct p9c *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_msg t = { .type = P9_TLINK,
		            .u.tlink = { .dfid = dfid, .fid = fid, .name = p9_str(name) } };

	return p9c_call(c, &t);
}

static inline int p9c_renameat(struct p9c *c, uint32_t od, const char *on, uint32_t nd,
                               const char *nn)
{
	struct p9_msg t = { .type = P9_TRENAMEAT,
		            .u.trenameat = { .olddfid = od,
		                             .oldname = p9_str(on),
		                             .newdfid = nd,
		                             .newname = p9_str(nn) } };

	return p9c_call(c, &t);
}

static inline int p9c_unlinkat(struct p9c *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TUNLINKAT,
		            .u.tunlinkat = { .dfid = dfid, .name = p9_str(name), .flags = flags } };

	return p9c_call(c, &t);
}

static inline int p9c_setattr(struct p9c *c, uint32_t fid, const struct p9_iattr *a)
{
	struct p9_msg t = { .type = P9_TSETATTR, .u.tsetattr = { .fid = fid, .attr = *a } };

	return p9c_call(c, &t);
}

static inline int p9c_fid_op(struct p9c *c, uint8_t type, uint32_t fid)
{
	struct p9_msg t = { .type = type, .u.tfid.fid = fid };

	return p9c_call(c, &t);
}

static inline int p9c_readdir(struct p9c *c, uint32_t fid, uint64_t off, uint32_t count)
{
	struct p9_msg t = { .type = P9_TREADDIR, .u.treaddir = { fid, off, count } };

	return p9c_call(c, &t);
}

#endif
