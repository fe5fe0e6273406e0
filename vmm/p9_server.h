/*
 * The gofer: ukrun's 9P2000.L server for one shared host directory.
 *
 * The guest never touches host files; this server does, on its behalf and
 * only beneath the directory opened by p9s_open(). Every host path it
 * resolves goes through openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_SYMLINKS) from that directory's descriptor (or, where the
 * kernel lacks openat2, a component-wise O_NOFOLLOW walk), so no name, ".."
 * or symlink the guest sends or plants can lead outside. A read-only share
 * refuses every call that would change the host tree with EROFS.
 *
 * Transport-independent: a request is a scatter list of T-message bytes
 * and a scatter list to write the R-message into (virtio descriptors, or
 * plain buffers in the unit tests). Several requests may be served at once
 * by several threads, each with its own struct p9s_worker.
 */
#ifndef VMM_P9_SERVER_H
#define VMM_P9_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct p9s;
struct p9s_worker;

#define P9S_RO 0x1         /* refuse every write with EROFS */
#define P9S_NO_OPENAT2 0x2 /* resolve by O_NOFOLLOW walks (tests the fallback) */

/* Open the share rooted at host_dir (which must be a directory). Returns
 * 0 and *out, or -errno (the caller names host_dir in its message). */
int p9s_open(const char *host_dir, unsigned flags, struct p9s **out);
void p9s_close(struct p9s *s);
/* Whether this share resolves with openat2 (0: the fallback walk). */
int p9s_uses_openat2(const struct p9s *s);

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

/* Install the gofer's seccomp allow-list on the calling thread (threads
 * it creates afterwards inherit it). Returns 0 or -errno. */
int p9s_seccomp(void);
/* The system calls on that list (ukrun's own list must allow them). */
extern const int p9s_seccomp_calls[];
extern const unsigned p9s_seccomp_ncalls;

#endif
