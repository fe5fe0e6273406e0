/* The 9P client filesystem's internals: p9fs.c (mount, names, RPCs) and
 * p9fs_file.c (I/O, directories, attributes). */
#ifndef UK_P9FS_IMPL_H
#define UK_P9FS_IMPL_H

#include <uk/p9.h>
#include <uk/vfs.h>

#include "p9fs.h"

/* One RPC's room: the T-message (a Tsymlink with a PATH_MAX target is the
 * longest) and the R-message (an Rreadlink of PATH_MAX). Payloads of
 * Tread, Twrite and Treaddir travel in their own buffers. */
#define P9FS_TCAP 4608
#define P9FS_RCAP 4608

/* How long attributes fetched from the host stay good when the guest
 * changed nothing on the mount meanwhile: long enough for the stat that
 * follows every lookup, short enough that the host's own changes show. */
#define P9FS_ATTR_NS 50000000ull

/* Directory entries fetched per Treaddir. */
#define P9FS_DIRBUF 16384

struct p9fs {
	struct uk_p9_chan *ch;
	uint32_t msize, iounit; /* iounit: payload per Tread/Twrite */
	uint32_t next_fid;
	uint16_t next_tag;
	uint32_t dev; /* st_dev of the files */
	uint64_t gen; /* bumped by every change the guest makes */
	/* Batches (p9fs_rpcn), and how many a server that serves requests out
	 * of order (QEMU's) made us send again in part; serial once that is
	 * most of them. */
	uint32_t batches, retried;
	int serial;
};

struct p9fs_node {
	uint32_t fid;           /* walked, never opened: names and attributes */
	uint32_t dirfid;        /* opened for Treaddir, or P9_NOFID */
	uint32_t spare;         /* O_RDWR fid left by create for the first open */
	struct stat st;         /* cached attributes ... */
	uint64_t st_at, st_gen; /* ... fetched then, under that generation */
	int st_ok;
};

struct p9fs_call {
	struct p9_msg t, r;
	uint8_t *buf; /* P9FS_TCAP + P9FS_RCAP */
};

static inline struct p9fs *p9fs_of(struct uk_vnode *vn) { return vn->mnt->priv; }
static inline struct p9fs_node *p9fs_node(struct uk_vnode *vn) { return vn->priv; }

/* A call with its buffer, or NULL when memory is short; p9fs_put frees. */
struct p9fs_call *p9fs_get(uint8_t type);
void p9fs_put(struct p9fs_call *c);

/* Send c->t, decode the reply into c->r (views into c's buffer). With
 * dout, Twrite's payload (c->t's data NULL); with din, room for Rread's or
 * Rreaddir's payload. Both must be linear kernel memory. Returns 0, or
 * -errno from an Rlerror, -EIO for a reply that makes no sense. */
int p9fs_rpc(struct p9fs *fs, struct p9fs_call *c, const void *dout, size_t dout_len, void *din,
             size_t din_len);

/* Calls without payloads sent back to back, one round trip for all:
 * res[i] gets each one's result as p9fs_rpc would. Returns 0, or -errno
 * when nothing could be sent. */
int p9fs_rpcn(struct p9fs *fs, struct p9fs_call **cs, int n, int *res);

uint32_t p9fs_fid_new(struct p9fs *fs);
/* Tclunk, result ignored (the fid is gone either way). */
void p9fs_clunk(struct p9fs *fs, uint32_t fid);
/* Twalk of fid with no names: a new fid for the same file. */
int p9fs_clone(struct p9fs *fs, uint32_t fid, uint32_t *out);
/* Tfsync of an open fid (nothing for P9_NOFID). */
int p9fs_fsync_fid(struct p9fs *fs, uint32_t fid, int datasync);
/* Tsetattr of fid: 0 or -errno. */
int p9fs_setattr_fid(struct p9fs *fs, uint32_t fid, const struct uk_setattr *a);
/* Tgetattr into a struct stat. */
int p9fs_getattr_fid(struct p9fs *fs, uint32_t fid, struct stat *st);

/* The guest changed something on fs: cached attributes are stale. */
static inline void p9fs_changed(struct p9fs *fs) { fs->gen++; }

/* p9fs_file.c */
extern const struct uk_file_ops p9fs_fops;
int p9fs_open(struct uk_vnode *vn, struct uk_file *f);
int p9fs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx);
int p9fs_getattr(struct uk_vnode *vn, struct stat *st);
int p9fs_setattr(struct uk_vnode *vn, const struct uk_setattr *a);

#endif
