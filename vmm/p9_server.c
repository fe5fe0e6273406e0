/*
 * The gofer's session: the share, its fid table, requests in flight, and
 * the framing between a transport's scatter lists and the codec. The
 * operations themselves are in p9_ops.c, host access in p9_host.c.
 *
 * Guest memory is shared and hostile: a request is copied out of it once
 * before it is decoded (so nothing changes under a check), except
 * Twrite's payload, which goes straight from the guest's buffers to the
 * host file (pwritev), and Rread's, which goes straight in (preadv).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "p9_int.h"

/* ---- the share ---- */

/* Each share holds up to P9S_MAX_OPEN host descriptors for the guest's
 * open files (the gofer's, and ukrun's copies of those handed over): room
 * for them on top of what the process had, per share, so that a guest
 * opening files on several shares cannot take the descriptors ukrun needs
 * for anything else (libslirp's sockets, for one). */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur =
	    rl.rlim_max - rl.rlim_cur < P9S_MAX_OPEN ? rl.rlim_max : rl.rlim_cur + P9S_MAX_OPEN;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int p9s_open_fd(int root, unsigned flags, struct p9s **out)
{
	struct p9s *s = calloc(1, sizeof(*s));
	struct stat st;
	int r;

	if (!s || fstat(root, &st)) {
		r = s ? -errno : -ENOMEM;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		goto out;
	}
	s->root = root;
	s->root_dev = st.st_dev;
	s->flags = flags;
	s->openat2 = !(flags & P9S_NO_OPENAT2) && p9s_has_openat2(s->root);
	s->msize = P9_MSIZE_MAX;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->flushed, NULL);
	raise_fd_limit();
	*out = s;
	return 0;
out:
	close(root);
	free(s);
	return r;
}

int p9s_open_data(unsigned flags, struct p9s **out)
{
	struct p9s *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->root = -1;
	s->flags = flags | P9S_DATA;
	s->msize = P9_MSIZE_MAX;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->flushed, NULL);
	raise_fd_limit();
	*out = s;
	return 0;
}

int p9s_open(const char *host_dir, unsigned flags, struct p9s **out)
{
	int root = open(host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return root < 0 ? -errno : p9s_open_fd(root, flags, out);
}

static void clunk_all(struct p9s *s)
{
	struct p9s_fid *f;
	unsigned i;

	for (i = 0; i < P9S_FID_BUCKETS; i++) {
		for (;;) {
			pthread_mutex_lock(&s->lock);
			f = s->fids[i];
			if (f) {
				s->fids[i] = f->next;
				f->gone = 1;
			}
			pthread_mutex_unlock(&s->lock);
			if (!f)
				break;
			p9s_fid_put(s, f);
		}
	}
}

void p9s_close(struct p9s *s)
{
	if (!s)
		return;
	clunk_all(s);
	if (s->root >= 0)
		close(s->root);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->flushed);
	free(s);
}

int p9s_uses_openat2(const struct p9s *s) { return s->openat2; }

struct p9s_worker *p9s_worker_new(struct p9s *s)
{
	struct p9s_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->s = s;
	w->in = malloc(P9_MSIZE_MAX);
	w->out = malloc(P9_MSIZE_MAX);
	w->iov = calloc(IOV_MAX, sizeof(*w->iov));
	if (!w->in || !w->out || !w->iov) {
		p9s_worker_free(w);
		return NULL;
	}
	return w;
}

void p9s_worker_free(struct p9s_worker *w)
{
	if (!w)
		return;
	free(w->in);
	free(w->out);
	free(w->iov);
	free(w);
}

/* ---- fids ---- */

static unsigned bucket(uint32_t id)
{
	return (id * 2654435761u) >> 22; /* 10 bits: P9S_FID_BUCKETS */
}

static struct p9s_fid **find(struct p9s *s, uint32_t id)
{
	struct p9s_fid **p = &s->fids[bucket(id)];

	while (*p && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

struct p9s_fid *p9s_fid_get(struct p9s *s, uint32_t id)
{
	struct p9s_fid *f;

	pthread_mutex_lock(&s->lock);
	f = *find(s, id);
	if (f)
		f->refs++;
	pthread_mutex_unlock(&s->lock);
	return f;
}

void p9s_fid_put(struct p9s *s, struct p9s_fid *f)
{
	int last;

	pthread_mutex_lock(&s->lock);
	last = --f->refs == 0;
	if (last) {
		s->nfids--;
		s->path_bytes -= strlen(f->path) + 1;
		if (f->fd >= 0)
			s->nopen--;
	}
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_destroy(&f->mu);
	free(f->path);
	free(f);
}

/* Replace f's path, keeping the byte count; under s->lock. */
static int set_path(struct p9s *s, struct p9s_fid *f, const char *path)
{
	size_t n = strlen(path) + 1, old = strlen(f->path) + 1;
	char *p;

	if (s->path_bytes - old + n > P9S_MAX_PATH_BYTES)
		return -ENOMEM;
	if (!(p = strdup(path)))
		return -ENOMEM;
	free(f->path);
	f->path = p;
	s->path_bytes = s->path_bytes - old + n;
	return 0;
}

static int fid_new(struct p9s *s, uint32_t id, const char *path, uint8_t qtype)
{
	size_t n = strlen(path) + 1;
	struct p9s_fid *f;

	if (s->nfids >= P9S_MAX_FIDS)
		return -EMFILE;
	if (s->path_bytes + n > P9S_MAX_PATH_BYTES)
		return -ENOMEM;
	if (!(f = calloc(1, sizeof(*f))) || !(f->path = strdup(path))) {
		free(f);
		return -ENOMEM;
	}
	f->id = id;
	f->refs = 1;
	f->fd = -1;
	f->qtype = qtype;
	pthread_mutex_init(&f->mu, NULL);
	f->next = s->fids[bucket(id)];
	s->fids[bucket(id)] = f;
	s->nfids++;
	s->path_bytes += n;
	return 0;
}

int p9s_fid_add(struct p9s *s, uint32_t id, const char *path, uint8_t qtype, int replace)
{
	struct p9s_fid *f;
	int r;

	if (id == P9_NOFID)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	f = *find(s, id);
	if (f && !replace)
		r = -EBADF;
	else if (f && f->fd >= 0)
		r = -EBUSY;
	else if (f) {
		r = set_path(s, f, path);
		if (!r)
			f->qtype = qtype;
	} else
		r = fid_new(s, id, path, qtype);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int p9s_fid_clunk(struct p9s *s, uint32_t id)
{
	struct p9s_fid **p, *f;

	pthread_mutex_lock(&s->lock);
	p = find(s, id);
	f = *p;
	if (f) {
		*p = f->next;
		f->gone = 1;
	}
	pthread_mutex_unlock(&s->lock);
	if (!f)
		return -EBADF;
	p9s_fid_put(s, f);
	return 0;
}

void p9s_fid_path(struct p9s *s, struct p9s_fid *f, char out[P9S_PATH_MAX])
{
	pthread_mutex_lock(&s->lock);
	strcpy(out, f->path);
	pthread_mutex_unlock(&s->lock);
}

int p9s_fid_path_of(struct p9s *s, uint32_t id, char out[P9S_PATH_MAX])
{
	struct p9s_fid *f = p9s_fid_get(s, id);

	if (!f)
		return -EBADF;
	p9s_fid_path(s, f, out);
	p9s_fid_put(s, f);
	return 0;
}

int p9s_fid_set_open(struct p9s *s, struct p9s_fid *f, int fd, int oflags, const char *path)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (f->fd >= 0 || f->xattr)
		r = -EBADF;
	else if (s->nopen >= P9S_MAX_OPEN)
		r = -EMFILE;
	else if (path)
		r = set_path(s, f, path);
	if (!r) {
		f->fd = fd;
		f->oflags = oflags;
		s->nopen++;
	}
	pthread_mutex_unlock(&s->lock);
	if (r)
		close(fd);
	return r;
}

void p9s_fid_renamed(struct p9s *s, const char *from, const char *to)
{
	size_t n = strlen(from);
	char np[P9S_PATH_MAX];
	struct p9s_fid *f;
	unsigned i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < P9S_FID_BUCKETS; i++) {
		for (f = s->fids[i]; f; f = f->next) {
			if (strncmp(f->path, from, n) || (f->path[n] && f->path[n] != '/'))
				continue;
			/* Too long now: the fid keeps its old path, which fails
			 * to resolve (ENOENT) rather than naming another file. */
			if (!f->path[n])
				set_path(s, f, to);
			else if (p9s_join(np, to, f->path + n + 1) == 0)
				set_path(s, f, np);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

int p9s_fid_adopt(struct p9s *s, uint32_t fid, int fd, int oflags)
{
	struct p9s_fid *f;
	int r;

	p9s_fid_clunk(s, fid);
	if ((r = p9s_fid_add(s, fid, "", P9_QTFILE, 0))) {
		close(fd);
		return r;
	}
	f = p9s_fid_get(s, fid);
	r = p9s_fid_set_open(s, f, fd, oflags, NULL);
	p9s_fid_put(s, f);
	if (r)
		p9s_fid_clunk(s, fid);
	return r;
}

int p9s_fid_is_open(struct p9s *s, uint32_t fid)
{
	struct p9s_fid *f = p9s_fid_get(s, fid);
	int open = f && f->fd >= 0;

	if (f)
		p9s_fid_put(s, f);
	return open;
}

int p9s_fid_fd(struct p9s *s, uint32_t fid, int *oflags)
{
	struct p9s_fid *f = p9s_fid_get(s, fid);
	struct stat st;
	int fd = -1;

	if (f && f->fd >= 0 && !f->xattr && !fstat(f->fd, &st) && S_ISREG(st.st_mode)) {
		fd = f->fd;
		*oflags = f->oflags;
	}
	if (f)
		p9s_fid_put(s, f);
	return fd;
}

/* ---- requests in flight, for Tflush ---- */

void p9s_req_begin(struct p9s *s, struct p9s_req *req)
{
	uint8_t h[P9_HDR_SIZE];
	size_t i, got = 0;

	for (i = 0; i < (size_t)req->nin && got < sizeof(h); i++) {
		size_t n =
		    req->in[i].iov_len < sizeof(h) - got ? req->in[i].iov_len : sizeof(h) - got;
		memcpy(h + got, req->in[i].iov_base, n);
		got += n;
	}
	req->tracked = 0;
	req->type = got == sizeof(h) ? h[4] : 0;
	req->tag = got == sizeof(h) ? (uint16_t)(h[5] | h[6] << 8) : P9_NOTAG;
	pthread_mutex_lock(&s->lock);
	if (s->ninflight < P9S_INFLIGHT) {
		s->inflight[s->ninflight].tag = req->tag;
		s->inflight[s->ninflight].flush = req->type == P9_TFLUSH;
		s->ninflight++;
		req->tracked = 1;
	}
	pthread_mutex_unlock(&s->lock);
}

void p9s_req_end(struct p9s *s, struct p9s_req *req)
{
	unsigned i;
	uint8_t flush = req->type == P9_TFLUSH;

	if (!req->tracked)
		return;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->ninflight; i++) {
		if (s->inflight[i].tag == req->tag && s->inflight[i].flush == flush) {
			s->inflight[i] = s->inflight[--s->ninflight];
			break;
		}
	}
	pthread_cond_broadcast(&s->flushed);
	pthread_mutex_unlock(&s->lock);
	req->tracked = 0;
}

static int inflight(struct p9s *s, uint16_t tag)
{
	unsigned i;

	for (i = 0; i < s->ninflight; i++)
		if (s->inflight[i].tag == tag && !s->inflight[i].flush)
			return 1;
	return 0;
}

/* Never waits for another Tflush: two flushes naming each other would
 * otherwise hold two workers forever. */
void p9s_flush_wait(struct p9s *s, uint16_t oldtag)
{
	pthread_mutex_lock(&s->lock);
	while (inflight(s, oldtag))
		pthread_cond_wait(&s->flushed, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void p9s_reset(struct p9s *s, uint32_t msize)
{
	clunk_all(s);
	__atomic_store_n(&s->msize, msize, __ATOMIC_RELAXED);
}

int p9s_readonly(const struct p9s *s) { return s->flags & P9S_RO; }

/* ---- framing ---- */

static size_t iov_total(const struct iovec *v, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += v[i].iov_len;
	return t;
}

/* Copy bytes [off, off + len) of a scatter list into dst. */
static void iov_gather(const struct iovec *v, int n, size_t off, void *dst, size_t len)
{
	uint8_t *d = dst;
	int i;

	for (i = 0; i < n && len; i++) {
		size_t seg = v[i].iov_len, k;
		if (off >= seg) {
			off -= seg;
			continue;
		}
		k = seg - off < len ? seg - off : len;
		memcpy(d, (uint8_t *)v[i].iov_base + off, k);
		d += k;
		len -= k;
		off = 0;
	}
}

static void iov_scatter(const struct iovec *v, int n, const void *src, size_t len)
{
	const uint8_t *s = src;
	int i;

	for (i = 0; i < n && len; i++) {
		size_t k = v[i].iov_len < len ? v[i].iov_len : len;
		memcpy(v[i].iov_base, s, k);
		s += k;
		len -= k;
	}
}

int p9s_iov_slice(struct p9s_ctx *c, const struct iovec *v, int n, size_t off, size_t len)
{
	struct iovec *o = c->w->iov;
	int i, k = 0;

	for (i = 0; i < n && len && k < IOV_MAX; i++) {
		size_t seg = v[i].iov_len;
		if (off >= seg) {
			off -= seg;
			continue;
		}
		o[k].iov_base = (uint8_t *)v[i].iov_base + off;
		o[k].iov_len = seg - off < len ? seg - off : len;
		len -= o[k].iov_len;
		off = 0;
		k++;
	}
	return k;
}

/* Twrite's header is decoded from a copy of its first 23 bytes; its
 * payload stays where the client put it. */
static int parse_twrite(struct p9s_ctx *c, size_t inlen, struct p9_msg *t)
{
	uint8_t h[P9_IOHDR_SIZE];
	uint32_t size, count;

	if (inlen < sizeof(h))
		return -EPROTO;
	iov_gather(c->req->in, c->req->nin, 0, h, sizeof(h));
	size = p9_msg_size(h, sizeof(h));
	count = p9_msg_size(h + 19, 4);
	if (size != inlen || count != inlen - sizeof(h))
		return -EPROTO;
	memset(h, 0, 4);
	memset(h + 19, 0, 4);
	h[0] = sizeof(h);
	/* The type byte is read again here: the guest may have changed it. */
	if (p9_unpack(h, sizeof(h), t) || t->type != P9_TWRITE)
		return -EPROTO;
	t->u.twrite.d.data = NULL;
	t->u.twrite.d.count = count;
	return 0;
}

static int parse(struct p9s_ctx *c, size_t inlen, struct p9_msg *t)
{
	uint32_t msize = __atomic_load_n(&c->s->msize, __ATOMIC_RELAXED);
	int r;

	if (inlen < P9_HDR_SIZE)
		return -EPROTO;
	if (inlen > msize)
		return -EMSGSIZE;
	if (c->req->type == P9_TWRITE)
		return parse_twrite(c, inlen, t);
	iov_gather(c->req->in, c->req->nin, 0, c->w->in, inlen);
	r = p9_unpack(c->w->in, inlen, t);
	if (r == -P9_EOPNOTSUPP)
		return -EOPNOTSUPP;
	return r ? -EPROTO : 0;
}

static size_t reply_error(struct p9s_ctx *c, int err)
{
	uint32_t n = p9_pack_error(c->w->out, c->room, c->req->tag, (uint32_t)-err);

	iov_scatter(c->req->out, c->req->nout, c->w->out, n);
	return n;
}

size_t p9s_req_run(struct p9s_worker *w, struct p9s_req *req)
{
	struct p9s_ctx c = { w->s, w, req, 0, 0 };
	size_t inlen = iov_total(req->in, req->nin), outcap = iov_total(req->out, req->nout);
	uint32_t msize = __atomic_load_n(&w->s->msize, __ATOMIC_RELAXED), n;
	struct p9_msg t, r;
	p9s_op op;
	int err;

	/* Tversion may raise msize: its reply is small anyway. */
	c.room = (uint32_t)(outcap < msize ? outcap : msize);
	err = parse(&c, inlen, &t);
	if (!err && !(op = p9s_op_for(t.type)))
		err = -EOPNOTSUPP;
	if (!err && (w->s->flags & P9S_DATA) && t.type != P9_TREAD && t.type != P9_TWRITE)
		err = -EOPNOTSUPP;
	if (err)
		return reply_error(&c, err);
	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)(t.type + 1);
	r.tag = t.tag;
	err = op(&c, &t, &r);
	if (err)
		return reply_error(&c, err);
	n = p9_pack(w->out, c.room, &r);
	if (!n)
		return reply_error(&c, -ERANGE);
	/* Rread's payload is in place already; only its header moves. */
	iov_scatter(req->out, req->nout, w->out, r.type == P9_RREAD ? P9_HDR_SIZE + 4 : n);
	return n;
}

size_t p9s_handle(struct p9s_worker *w, const void *in, size_t inlen, void *out, size_t outcap)
{
	struct iovec vi = { (void *)in, inlen }, vo = { out, outcap };
	struct p9s_req req = { &vi, 1, &vo, 1, 0, 0, 0 };
	size_t n;

	p9s_req_begin(w->s, &req);
	n = p9s_req_run(w, &req);
	p9s_req_end(w->s, &req);
	return n;
}
