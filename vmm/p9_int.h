/* The gofer's internals, shared by vmm/p9_*.c only (see p9_server.h). */
#ifndef VMM_P9_INT_H
#define VMM_P9_INT_H

#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <uk/p9.h>

#include "p9_server.h"

#define P9S_PATH_MAX 4096 /* a fid's path, with its NUL (PATH_MAX) */
#define P9S_NAME_MAX 255  /* one component (NAME_MAX) */
#define P9S_FID_BUCKETS 1024
#define P9S_MAX_FIDS 65536 /* a guest cannot eat host memory with fids */
#define P9S_MAX_PATH_BYTES (64u << 20)
#define P9S_MAX_OPEN 4096 /* host descriptors held open for the guest */
#define P9S_INFLIGHT 1024 /* tracked requests (a virtqueue's size) */
/* The permission bits a guest may set on a shared file or directory: no
 * set-user-ID or set-group-ID, which would hand a host user who runs the
 * file the rights of its owner (chown() to root first: the guest runs its
 * own root). Sticky and rwx bits pass. */
#define P9S_MODE_MASK 01777

/* A fid names a file by its path below the share root ("" is the root,
 * else "a/b/c": no ".", "..", empty or over-long components, ever), so
 * every use resolves again under the root's confinement. */
struct p9s_fid {
	uint32_t id;
	int refs;           /* table + users; under s->lock */
	int fd;             /* the open file after Tlopen/Tlcreate, else -1 */
	int oflags;         /* its open flags */
	uint8_t qtype;      /* P9_QT* when walked */
	uint8_t xattr;      /* an (always empty) xattr fid from Txattrwalk */
	uint8_t gone;       /* clunked while in use */
	pthread_mutex_t mu; /* serializes readdir's seek + read, and opening */
	char *path;         /* under s->lock: a rename can rewrite it */
	struct p9s_fid *next;
};

struct p9s {
	int root; /* O_PATH descriptor of the share, opened at start */
	dev_t root_dev;
	unsigned flags; /* P9S_* */
	int openat2;    /* the kernel has openat2 */
	pthread_mutex_t lock;
	pthread_cond_t flushed;
	uint32_t msize;
	struct p9s_fid *fids[P9S_FID_BUCKETS];
	unsigned nfids, nopen;
	size_t path_bytes;
	struct {
		uint16_t tag;
		uint8_t flush;
	} inflight[P9S_INFLIGHT];
	unsigned ninflight;
};

struct p9s_worker {
	struct p9s *s;
	uint8_t *in, *out;      /* P9_MSIZE_MAX each */
	struct iovec *iov;      /* IOV_MAX entries, for Rread's data */
	char tmp[P9S_PATH_MAX]; /* a reply's string (Rreadlink) */
};

/* One request being served. */
struct p9s_ctx {
	struct p9s *s;
	struct p9s_worker *w;
	const struct p9s_req *req;
	uint32_t room;    /* reply bytes allowed: min(msize, out space) */
	size_t read_done; /* Tread: bytes already placed in req->out */
};

/* ---- host side, confined (p9_host.c) ---- */

/* Open path (a fid path) below the root with open flags; O_NOFOLLOW and
 * O_CLOEXEC are always added. Returns a descriptor or -errno. */
int p9s_host_open(struct p9s *s, const char *path, int flags, mode_t mode);
/* The directory holding path's last component (O_PATH) and that name;
 * for the root, the root itself and ".". Returns a descriptor or -errno. */
int p9s_host_parent(struct p9s *s, const char *path, char name[P9S_NAME_MAX + 1]);
/* lstat of a fid path. */
int p9s_host_stat(struct p9s *s, const char *path, struct stat *st);
/* Whether a guest's name is one component we accept: 1..255 bytes, no
 * '/', not "." or "..". Copies it with a NUL. Returns 0 or -errno. */
int p9s_name(struct p9_str n, char out[P9S_NAME_MAX + 1]);
/* dir + "/" + name into out. 0 or -ENAMETOOLONG. */
int p9s_join(char out[P9S_PATH_MAX], const char *dir, const char *name);
void p9s_qid(const struct p9s *s, const struct stat *st, struct p9_qid *q);

/* ---- fids (p9_server.c) ---- */

/* The fid with a reference, or NULL. */
struct p9s_fid *p9s_fid_get(struct p9s *s, uint32_t id);
void p9s_fid_put(struct p9s *s, struct p9s_fid *f);
/* A new fid naming path. -EBADF when id is taken or NOFID, -EMFILE /
 * -ENOMEM past the limits. With replace, an existing id is reused in
 * place (a walk onto its own fid). */
int p9s_fid_add(struct p9s *s, uint32_t id, const char *path, uint8_t qtype, int replace);
/* Copy the fid's current path. */
void p9s_fid_path(struct p9s *s, struct p9s_fid *f, char out[P9S_PATH_MAX]);
/* The same by id, for a request's fid: 0, or -EBADF when unknown. */
int p9s_fid_path_of(struct p9s *s, uint32_t id, char out[P9S_PATH_MAX]);
/* Attach an open descriptor; -EBADF when the fid is already open,
 * -EMFILE past P9S_MAX_OPEN (fd is closed in both cases). */
int p9s_fid_set_open(struct p9s *s, struct p9s_fid *f, int fd, int oflags, const char *path);
/* A rename moved from -> to: rewrite every fid at or below from. */
void p9s_fid_renamed(struct p9s *s, const char *from, const char *to);

/* ---- session (p9_server.c) ---- */

/* Wait until no request with oldtag is in flight (Tflush). */
void p9s_flush_wait(struct p9s *s, uint16_t oldtag);
int p9s_readonly(const struct p9s *s);
/* Bytes [off, off + len) of a scatter list as c->w->iov; returns the
 * number of entries (at most IOV_MAX: a shorter transfer, never more). */
int p9s_iov_slice(struct p9s_ctx *c, const struct iovec *v, int n, size_t off, size_t len);

/* ---- operations (p9_ops.c) ---- */

typedef int (*p9s_op)(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r);
/* The handler for a T-message type, or NULL. */
p9s_op p9s_op_for(unsigned type);
/* The same for the namespace operations (p9_ops_dir.c). */
p9s_op p9s_dir_op_for(unsigned type);

#endif
