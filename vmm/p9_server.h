/*
 * The gofer: ukrun's 9P2000.L server for one shared host directory, run in
 * a process of its own (p9_gofer.c) beside ukrun, one per share.
 *
 * The guest never touches host files, nor does ukrun; this server does, on
 * the guest's behalf and only beneath the directory opened by p9s_open().
 * Every host path it resolves goes through openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS) from that directory's
 * descriptor (or, where the kernel lacks openat2, a component-wise
 * O_NOFOLLOW walk), so no name, ".." or symlink the guest sends or plants
 * can lead outside. A read-only share refuses every call that would change
 * the host tree with EROFS.
 *
 * Transport-independent: a request is a scatter list of T-message bytes
 * and a scatter list to write the R-message into (the window the gofer
 * shares with ukrun's device, or plain buffers in the unit tests). Several
 * requests may be served at once by several threads, each with its own
 * struct p9s_worker (the gofer process serves one at a time).
 */
#ifndef VMM_P9_SERVER_H
#define VMM_P9_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <uk/p9.h>

struct p9s;
struct p9s_worker;

#define P9S_RO 0x1         /* refuse every write with EROFS */
#define P9S_NO_OPENAT2 0x2 /* resolve by O_NOFOLLOW walks (tests the fallback) */
#define P9S_DATA 0x4       /* no directory: Tread and Twrite on adopted fids only */

/* Open the share rooted at host_dir (which must be a directory). Returns
 * 0 and *out, or -errno (the caller names host_dir in its message). */
int p9s_open(const char *host_dir, unsigned flags, struct p9s **out);
/* The same for a directory already open (O_PATH will do), which the share
 * owns from here on (closed on failure too). */
int p9s_open_fd(int root, unsigned flags, struct p9s **out);
void p9s_close(struct p9s *s);
/* A share without a directory (P9S_DATA and flags): ukrun's side of a
 * gofer's share, which serves Tread and Twrite itself on the descriptors
 * the gofer hands over (p9s_fid_adopt) and nothing else (EOPNOTSUPP). */
int p9s_open_data(unsigned flags, struct p9s **out);
/* fid stands for fd from now on, open with oflags (an earlier fid of that
 * number is dropped first). 0, or -errno with fd closed. */
int p9s_fid_adopt(struct p9s *s, uint32_t fid, int fd, int oflags);
/* Drop fid from the table. -EBADF when unknown. */
int p9s_fid_clunk(struct p9s *s, uint32_t fid);
/* Tversion: clunk every fid, use msize from now on. */
void p9s_reset(struct p9s *s, uint32_t msize);
/* Whether fid is open here. */
int p9s_fid_is_open(struct p9s *s, uint32_t fid);
/* fid's descriptor when it is an open regular file (-1 otherwise), and
 * its open flags: what a gofer hands over. */
int p9s_fid_fd(struct p9s *s, uint32_t fid, int *oflags);
/* Whether this share resolves with openat2 (0: the fallback walk). */
int p9s_uses_openat2(const struct p9s *s);
/* Whether the kernel resolves with openat2 beneath dirfd. */
int p9s_has_openat2(int dirfd);

/* Per-thread scratch (two msize buffers, allocated lazily by the kernel).
 * NULL when out of memory. */
struct p9s_worker *p9s_worker_new(struct p9s *s);
void p9s_worker_free(struct p9s_worker *w);

struct p9s_req {
	const struct iovec *in; /* the T-message, possibly in pieces */
	int nin;
	const struct iovec *out; /* room for the R-message */
	int nout;
	uint16_t tag; /* set by p9s_req_begin */
	uint8_t type;
	uint8_t tracked;
};

/* A transport calls these in this order for every request:
 * begin, in the order requests arrive (so a Tflush knows what came first);
 * run, on any worker thread: serves it and returns the length of the reply
 * written to req->out (0 only when not even an error reply fits);
 * end, once the reply is visible to the client (a Tflush for this tag
 * waits until then, as 9P requires). */
void p9s_req_begin(struct p9s *s, struct p9s_req *req);
size_t p9s_req_run(struct p9s_worker *w, struct p9s_req *req);
void p9s_req_end(struct p9s *s, struct p9s_req *req);

/* All three for one contiguous request and reply buffer. */
size_t p9s_handle(struct p9s_worker *w, const void *in, size_t inlen, void *out, size_t outcap);

/* Confine the calling process's file system access to the tree beneath
 * root (Landlock, p9_seccomp.c): the ABI used, 0 where the kernel has no
 * usable Landlock (before 5.19), or -errno. */
int p9s_confine(int root);
/* The Landlock ABI p9s_confine would use, or 0. */
long p9s_landlock_abi(void);
/* Install the gofer's seccomp allow-list (p9_seccomp.c) on the gofer
 * process; who names it in the message of a blocked call ("gofer of
 * /data: "). Returns the number of calls allowed, or -errno with a message
 * printed. */
int p9s_seccomp(const char *who);

/* ---- the gofer process (p9_gofer.c) ----
 *
 * One per share, started by the virtio-9p device (virtio_9p.c) as
 * `ukrun --helper gofer PPID NAME FLAGS` (helper.c) with three
 * descriptors: */
#define P9G_FD_SOCK 3   /* SOCK_SEQPACKET to the device: p9g_req in, p9g_rep out */
#define P9G_FD_ROOT 4   /* the share's root directory (O_PATH) */
#define P9G_FD_WINDOW 5 /* a memfd of P9G_WINDOW bytes, mapped by both */

/* The window: the T-message at its start, room for the R-message at
 * P9G_REPLY. Only lengths cross the socket, and the descriptor of a
 * regular file the guest opened (Rlopen, Rlcreate: SCM_RIGHTS), whose
 * reads and writes ukrun then serves itself (P9S_DATA). */
#define P9G_REPLY P9_MSIZE_MAX
#define P9G_WINDOW (2 * P9_MSIZE_MAX)

struct p9g_req {
	uint32_t inlen;  /* the T-message's length: only the first P9_MSIZE_MAX bytes
	                    are in the window (longer: Rlerror EMSGSIZE) */
	uint32_t outcap; /* room for the reply, at most P9_MSIZE_MAX */
};

struct p9g_rep {
	uint32_t len;    /* of the R-message at P9G_REPLY; at most outcap */
	uint32_t oflags; /* with a descriptor (an Rlopen or Rlcreate): its open flags */
};

/* The gofer's main: args are FLAGS (P9S_*, decimal). Returns its exit
 * status: 0 when ukrun closed the socket. */
int p9g_main(const char *name, int argc, char **argv);

#endif
