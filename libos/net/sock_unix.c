/*
 * AF_UNIX sockets (see sock.h): stream, datagram and seqpacket, between
 * sockets of the one process, never through lwIP.
 *
 * Each socket's state (struct unx) is reference-counted apart from its
 * struct uk_sock, because others point at it after it closes: a stream
 * peer (getpeername still answers), a datagram socket connected to it
 * (its sends fail with ECONNREFUSED), the sender recorded in each queued
 * message. A message is one send's bytes (a stream's are cut at 64 KiB)
 * with the files it passes (SCM_RIGHTS); it is charged to its sender until
 * read, and a sender may send while it has less than SO_SNDBUF unread
 * (Linux's rule), so reading wakes the sender. Datagram receivers other
 * than a sender's own peer also take no more once UNIX_DGRAM_QLEN wait
 * (Linux's net.unix.max_dgram_qlen, and its off-by-one).
 *
 * Names: a path binds a socket file made in the VFS (mknod S_IFSOCK: stat
 * shows it, connect finds it, unlink removes the name as on Linux), an
 * abstract name (a leading NUL) lives only here. Files passed over a
 * socket that holds itself in its own queue are never freed (Linux
 * collects such cycles; nothing here does).
 */
#include <asm/socket.h>
#include <linux/eventpoll.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "sock.h"

#define UNIX_SNDBUF_DEFAULT 212992 /* Linux's net.core.wmem_default */
#define UNIX_SNDBUF_MIN 4608
#define UNIX_SNDBUF_MAX (4 << 20)
#define UNIX_DGRAM_QLEN 10
#define UNIX_CHUNK (64u << 10) /* the largest message a stream send makes */
#define UNIX_BACKLOG_MAX 4096

enum unx_st { U_NEW, U_LISTEN, U_CONNECTING, U_CONNECTED };

/* Shutdown bits, Linux's RCV_SHUTDOWN and SEND_SHUTDOWN. */
#define SHUT_RCV 1
#define SHUT_SEND 2

struct umsg {
	struct umsg *next;
	struct unx *sender; /* referenced */
	size_t len, off;    /* bytes; bytes already read (streams) */
	struct uk_scm scm;
	struct uk_sockaddr *from; /* datagrams: the sender's name, or NULL */
	char data[];
};

struct unx {
	struct uk_sock *s; /* NULL once closed */
	int refs;
	enum unx_st st;
	int shut;
	struct unx *peer;   /* referenced: the connected peer */
	struct unx *target; /* referenced: the listener a connect waits for */
	struct uk_sockaddr name;
	struct uk_vnode *vn; /* the socket file bound to (referenced) */
	int bound;           /* the name is this socket's (not a listener's copy) */
	struct unx *all_next;
	/* received, unread */
	struct umsg *rx_head, *rx_tail;
	size_t rx_bytes;
	int rx_count;
	size_t wmem; /* bytes sent, not yet read */
	int sndbuf, rcvbuf;
	/* listening: connections not yet accepted */
	struct unx *q_head, *q_tail, *q_next;
	int q_len, backlog;
	int queued; /* a connection not yet accepted */
	int paired; /* made by socketpair */
};

static struct unx *all; /* every open AF_UNIX socket */
static unsigned autobind_next;

static inline struct unx *X(struct uk_sock *s) { return s->priv; }

static void wake_connecting_to(struct unx *l);

static struct unx *unx_get(struct unx *u)
{
	u->refs++;
	return u;
}

static void unx_put(struct unx *u)
{
	if (!u || --u->refs)
		return;
	if (u->vn)
		uk_vnode_put(u->vn);
	uk_kfree(u);
}

static int stream_like(const struct uk_sock *s) { return s->type != UK_SOCK_DGRAM; }

/* ---- messages ---- */

/* A copy of the files for MSG_PEEK: new references. */
static int scm_dup(const struct uk_scm *from, struct uk_scm *to)
{
	if (!from->nfiles)
		return 0;
	if (!(to->files = uk_kmalloc(sizeof(*to->files) * (size_t)from->nfiles)))
		return -ENOMEM;
	for (int i = 0; i < from->nfiles; i++)
		to->files[i] = uk_file_get(from->files[i]);
	to->nfiles = from->nfiles;
	return 0;
}

/* The receivers whose queue was full of others' datagrams: wake the
 * sockets connected to u, which may now send (poll included). */
static void wake_senders_to(struct unx *u)
{
	for (struct unx *o = all; o; o = o->all_next)
		if (o->peer == u && o->s)
			uk_sock_wake(o->s);
}

/* A message read or thrown away: its sender may send again. */
static void msg_free(struct umsg *m)
{
	struct unx *snd = m->sender;

	snd->wmem -= m->len - m->off;
	if (snd->s)
		uk_sock_wake(snd->s);
	unx_put(snd);
	uk_cmsg_drop(&m->scm);
	uk_kfree(m->from);
	uk_kfree(m);
}

static struct umsg *rx_pop(struct unx *u)
{
	struct umsg *m = u->rx_head;
	int was_full = u->rx_count > UNIX_DGRAM_QLEN;

	u->rx_head = m->next;
	if (!u->rx_head)
		u->rx_tail = NULL;
	u->rx_bytes -= m->len - m->off;
	u->rx_count--;
	if (was_full && u->s && u->s->type == UK_SOCK_DGRAM)
		wake_senders_to(u);
	return m;
}

static void rx_drop_all(struct unx *u)
{
	while (u->rx_head)
		msg_free(rx_pop(u));
}

static void rx_push(struct unx *u, struct umsg *m)
{
	m->next = NULL;
	if (u->rx_tail)
		u->rx_tail->next = m;
	else
		u->rx_head = m;
	u->rx_tail = m;
	u->rx_bytes += m->len;
	u->rx_count++;
	if (u->s)
		uk_sock_wake(u->s);
}

/* A message of n bytes gathered from iov from skip on; charged to snd. */
static struct umsg *msg_new(struct unx *snd, const struct iovec *iov, int cnt, size_t skip,
                            size_t n)
{
	struct umsg *m = uk_kmalloc(sizeof(*m) + n);
	size_t done = 0;

	if (!m)
		return NULL;
	*m = (struct umsg){ .sender = unx_get(snd), .len = n };
	for (int i = 0; i < cnt && done < n; i++) {
		size_t len = iov[i].iov_len, k;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		k = len - skip < n - done ? len - skip : n - done;
		uk_memcpy(m->data + done, (char *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	snd->wmem += n;
	return m;
}

/* ---- names ---- */

static int same_name(const struct uk_sockaddr *a, const struct uk_sockaddr *b)
{
	return a->len && a->len == b->len && !uk_memcmp(a->path, b->path, a->len);
}

static int same_vnode(struct uk_vnode *a, struct uk_vnode *b)
{
	return a == b || (a->mnt == b->mnt && a->ino == b->ino);
}

/* The open socket bound to the name (a path or an abstract name), or
 * NULL. */
static struct unx *find_bound(const struct uk_sockaddr *a, int *err)
{
	struct uk_vnode *vn = NULL;
	struct unx *u;

	*err = -ECONNREFUSED;
	if (a->path[0]) {
		int r = uk_path_lookup(AT_FDCWD, a->path, UK_AT_FOLLOW, &vn);
		if (r) {
			*err = r;
			return NULL;
		}
		if ((vn->mode & S_IFMT) != S_IFSOCK) {
			uk_vnode_put(vn);
			return NULL;
		}
		/* connecting (or sending) writes to the socket's node */
		if ((r = uk_vfs_permission(vn, UK_MAY_WRITE))) {
			uk_vnode_put(vn);
			*err = r;
			return NULL;
		}
	}
	for (u = all; u; u = u->all_next) {
		if (!u->s || !u->bound)
			continue;
		if (vn ? u->vn && same_vnode(u->vn, vn) : !u->vn && same_name(&u->name, a))
			break;
	}
	if (vn)
		uk_vnode_put(vn);
	return u;
}

static int bind_path(struct unx *u, const struct uk_sockaddr *a)
{
	struct uk_vnode *vn;
	int r = uk_vfs_mknodat(AT_FDCWD, a->path, S_IFSOCK | 0777, &vn);

	if (r)
		return r == -EEXIST ? -EADDRINUSE : r;
	u->vn = vn;
	u->name = *a;
	u->bound = 1;
	return 0;
}

/* bind with only the family: an abstract name of five hex digits, as
 * Linux's autobind. */
static int autobind(struct unx *u)
{
	static const char hex[] = "0123456789abcdef";
	struct uk_sockaddr a = { .len = 6 };
	int err;

	for (unsigned tries = 0; tries < 0x100000; tries++) {
		unsigned n = autobind_next++ & 0xfffff;
		for (int i = 0; i < 5; i++)
			a.path[1 + i] = hex[(n >> (16 - 4 * i)) & 0xf];
		if (!find_bound(&a, &err)) {
			u->name = a;
			u->bound = 1;
			return 0;
		}
	}
	return -EADDRINUSE;
}

/* ---- operations ---- */

static int unix_open(struct uk_sock *s)
{
	struct unx *u = uk_kzalloc(sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->s = s;
	u->refs = 1;
	u->sndbuf = u->rcvbuf = UNIX_SNDBUF_DEFAULT;
	u->all_next = all;
	all = u;
	s->priv = u;
	return 0;
}

static int unix_bind(struct uk_sock *s, const struct uk_sockaddr *a)
{
	struct unx *u = X(s);
	int err;

	if (u->name.len)
		return -EINVAL; /* bound already */
	if (!a->len)
		return autobind(u);
	if (a->path[0])
		return bind_path(u, a);
	if (find_bound(a, &err))
		return -EADDRINUSE;
	u->name = *a;
	u->bound = 1;
	return 0;
}

static int unix_listen(struct uk_sock *s, int backlog)
{
	struct unx *u = X(s);

	if (s->type == UK_SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (u->st != U_NEW && u->st != U_LISTEN)
		return -EINVAL;
	if (!u->name.len)
		return -EINVAL; /* Linux: listen needs a bound socket */
	u->backlog = backlog > UNIX_BACKLOG_MAX ? UNIX_BACKLOG_MAX : backlog;
	u->st = U_LISTEN;
	uk_sock_wake(s);
	return 0;
}

static int unix_accept(struct uk_sock *s, struct uk_sock **out)
{
	struct unx *u = X(s), *c = u->q_head;

	if (u->st != U_LISTEN)
		return -EINVAL;
	if (!c)
		return -EAGAIN;
	u->q_head = c->q_next;
	if (!u->q_head)
		u->q_tail = NULL;
	c->q_next = NULL;
	c->queued = 0;
	u->q_len--;
	*out = c->s;
	wake_connecting_to(u);
	return 0;
}

/* Two sockets as one connection. */
static void pair(struct unx *a, struct unx *b)
{
	a->peer = unx_get(b);
	b->peer = unx_get(a);
	a->st = b->st = U_CONNECTED;
}

/* The server's end of a connection to listener l: queued until accepted,
 * like Linux's, so the client may write at once. */
static int enqueue_at(struct unx *c, struct unx *l)
{
	struct uk_sock *ss;
	struct unx *su;

	if (l->q_len > l->backlog) /* as Linux: one more than the backlog */
		return -EAGAIN;
	if (!(ss = uk_sock_new(UK_AF_UNIX, c->s->type)))
		return -ENOMEM;
	su = X(ss);
	su->name = l->name;
	if (l->vn)
		su->vn = uk_vnode_get(l->vn);
	pair(c, su);
	su->queued = 1;
	if (l->q_tail)
		l->q_tail->q_next = su;
	else
		l->q_head = su;
	l->q_tail = su;
	l->q_len++;
	uk_sock_wake(l->s);
	return 0;
}

static int unix_connect(struct uk_sock *s, const struct uk_sockaddr *a)
{
	struct unx *u = X(s), *l;
	int err, r;

	if (s->type == UK_SOCK_DGRAM) {
		if (a->unspec) { /* AF_UNSPEC: dissolve */
			unx_put(u->peer);
			u->peer = NULL;
			return 0;
		}
		if (!(l = find_bound(a, &err)))
			return err;
		if (l->s->type != UK_SOCK_DGRAM)
			return -EPROTOTYPE;
		unx_put(u->peer);
		u->peer = unx_get(l);
		return 0;
	}
	if (u->st == U_CONNECTED)
		return -EISCONN;
	if (u->st == U_LISTEN)
		return -EINVAL;
	if (!(l = find_bound(a, &err)))
		return err;
	if (l->s->type != s->type)
		return -EPROTOTYPE;
	if (l->st != U_LISTEN)
		return -ECONNREFUSED;
	unx_put(u->target);
	u->target = NULL;
	if ((r = enqueue_at(u, l)) != -EAGAIN)
		return r;
	/* The backlog is full: a blocking connect waits for an accept. */
	u->target = unx_get(l);
	u->st = U_CONNECTING;
	return -EAGAIN;
}

static void wake_connecting_to(struct unx *l)
{
	for (struct unx *o = all; o; o = o->all_next)
		if (o->target == l && o->s)
			uk_sock_wake(o->s);
}

static int unix_connected(struct uk_sock *s)
{
	struct unx *u = X(s), *l = u->target;
	int r;

	if (u->st == U_CONNECTED || s->type == UK_SOCK_DGRAM)
		return 1;
	if (u->st != U_CONNECTING || !l)
		return -ENOTCONN;
	if (!l->s || l->st != U_LISTEN)
		r = -ECONNREFUSED;
	else if ((r = enqueue_at(u, l)) == -EAGAIN)
		return 0;
	u->target = NULL;
	unx_put(l);
	if (r && u->st == U_CONNECTING)
		u->st = U_NEW;
	return r ? r : 1;
}

/* Where a send goes: the peer, or to (datagrams), referenced. */
static int send_target(struct uk_sock *s, const struct uk_sockaddr *to, struct unx **out)
{
	struct unx *u = X(s), *o;
	int err;

	if (s->type != UK_SOCK_DGRAM || !to) {
		if (u->st != U_CONNECTED && s->type != UK_SOCK_DGRAM)
			return -ENOTCONN;
		if (!u->peer)
			return s->type == UK_SOCK_DGRAM ? -ENOTCONN : -EPIPE;
		o = u->peer;
		if (!o->s) {
			if (s->type != UK_SOCK_DGRAM)
				return -EPIPE;
			unx_put(u->peer); /* as Linux: the dead peer is forgotten */
			u->peer = NULL;
			return -ECONNREFUSED;
		}
	} else {
		if (!(o = find_bound(to, &err)))
			return err;
		if (o->s->type != UK_SOCK_DGRAM)
			return -EPROTOTYPE;
	}
	if (s->type == UK_SOCK_DGRAM && o->peer && o->peer != u && o->peer->s)
		return -EPERM; /* it is connected to another, as Linux */
	*out = unx_get(o);
	return 0;
}

/* Room for a message to o: the sender's own budget, and for datagrams
 * the receiver's queue unless it is the sender's own peer. */
static int room_for(struct unx *u, struct unx *o)
{
	if (u->wmem >= (size_t)u->sndbuf)
		return 0;
	return u->s->type != UK_SOCK_DGRAM || o->peer == u || o->rx_count <= UNIX_DGRAM_QLEN;
}

static long send_message(struct uk_sock *s, struct unx *o, const struct iovec *iov, int cnt,
                         long len, struct uk_scm *scm)
{
	struct unx *u = X(s);
	struct umsg *m;

	if (len > u->sndbuf - 32)
		return -EMSGSIZE; /* as Linux: a message never fits */
	if (!room_for(u, o))
		return -EAGAIN;
	if (!(m = msg_new(u, iov, cnt, 0, (size_t)len)))
		return -ENOBUFS;
	if (s->type == UK_SOCK_DGRAM && u->name.len && (m->from = uk_kmalloc(sizeof(*m->from))))
		*m->from = u->name;
	if (scm) {
		m->scm = *scm;
		*scm = (struct uk_scm){ 0 };
	}
	rx_push(o, m);
	return len;
}

static long send_stream(struct uk_sock *s, struct unx *o, const struct iovec *iov, int cnt,
                        long len, struct uk_scm *scm)
{
	struct unx *u = X(s);
	size_t done = 0;

	while (done < (size_t)len && u->wmem < (size_t)u->sndbuf) {
		size_t n = (size_t)len - done, room = (size_t)u->sndbuf - u->wmem;
		struct umsg *m;
		if (n > room)
			n = room;
		if (n > UNIX_CHUNK)
			n = UNIX_CHUNK;
		if (!(m = msg_new(u, iov, cnt, done, n)))
			break;
		if (scm && scm->nfiles) { /* the files go with the first bytes */
			m->scm = *scm;
			*scm = (struct uk_scm){ 0 };
		}
		rx_push(o, m);
		done += n;
	}
	return done ? (long)done : !len ? 0 : u->wmem >= (size_t)u->sndbuf ? -EAGAIN : -ENOBUFS;
}

static long unix_send(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                      const struct uk_sockaddr *to, struct uk_scm *scm)
{
	struct unx *u = X(s), *o = NULL;
	long len = uk_iov_len(iov, cnt), r;

	if (len < 0)
		return len;
	if (s->err) {
		r = -s->err;
		s->err = 0;
		return r;
	}
	if (u->shut & SHUT_SEND)
		return -EPIPE;
	if ((r = send_target(s, to, &o)))
		return r;
	if (stream_like(s) && (o->shut & SHUT_RCV))
		r = -EPIPE;
	else if (s->type == UK_SOCK_STREAM)
		r = send_stream(s, o, iov, cnt, len, scm);
	else
		r = send_message(s, o, iov, cnt, len, scm);
	unx_put(o);
	return r;
}

/* ---- receiving ---- */

static size_t copy_out(const struct umsg *m, size_t off, const struct iovec *iov, int cnt,
                       size_t skip)
{
	size_t done = 0, left = m->len - off;

	for (int i = 0; i < cnt && left; i++) {
		size_t len = iov[i].iov_len, k;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		k = len - skip < left ? len - skip : left;
		uk_memcpy((char *)iov[i].iov_base + skip, m->data + off, k);
		done += k, off += k, left -= k;
		skip = 0;
	}
	return done;
}

static void take_scm(struct umsg *m, int peek, struct uk_scm *scm)
{
	if (!scm || !m->scm.nfiles)
		return;
	if (peek) {
		scm_dup(&m->scm, scm);
		return;
	}
	*scm = m->scm;
	m->scm = (struct uk_scm){ 0 };
}

/* One whole message (datagram, seqpacket); the rest of it is lost when
 * the buffer is shorter (MSG_TRUNC), as on Linux. */
static long recv_message(struct unx *u, const struct iovec *iov, int cnt, int flags,
                         struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	struct umsg *m = u->rx_head;
	size_t n = copy_out(m, 0, iov, cnt, 0);
	long r = (flags & UK_MSG_TRUNC) ? (long)m->len : (long)n;

	if (n < m->len && msg_flags)
		*msg_flags |= UK_MSG_TRUNC;
	if (from) {
		if (m->from)
			*from = *m->from;
		else if (u->s->type != UK_SOCK_DGRAM && u->peer)
			*from = u->peer->name;
		else
			from->len = 0;
	}
	take_scm(m, flags & UK_MSG_PEEK, scm);
	if (!(flags & UK_MSG_PEEK))
		msg_free(rx_pop(u));
	return r;
}

/* Bytes across messages; one that carries files ends the read (the
 * files come with its bytes), as on Linux. */
static long recv_stream(struct unx *u, const struct iovec *iov, int cnt, int flags,
                        struct uk_scm *scm)
{
	int peek = flags & UK_MSG_PEEK;
	size_t done = 0, want = (size_t)uk_iov_len(iov, cnt);
	struct umsg *m = u->rx_head;

	while (m && done < want) {
		int files = m->scm.nfiles != 0;
		size_t n = copy_out(m, m->off, iov, cnt, done);
		done += n;
		take_scm(m, peek, scm);
		if (peek) {
			m = m->next;
		} else {
			m->off += n;
			u->rx_bytes -= n;
			m->sender->wmem -= n;
			if (m->off == m->len) {
				msg_free(rx_pop(u));
			} else if (m->sender->s) {
				uk_sock_wake(m->sender->s);
			}
			m = u->rx_head;
		}
		if (files)
			break;
	}
	return (long)done;
}

static long unix_recv(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                      struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	struct unx *u = X(s);
	long r;

	if (s->type != UK_SOCK_DGRAM && u->st == U_LISTEN)
		return -EINVAL;
	if (!u->rx_head) {
		if (s->err) {
			r = -s->err;
			s->err = 0;
			return r;
		}
		if (u->shut & SHUT_RCV)
			return 0;
		if (s->type != UK_SOCK_DGRAM && u->st != U_CONNECTED)
			return -EINVAL; /* as Linux for an unconnected stream */
		return -EAGAIN;
	}
	if (s->type != UK_SOCK_STREAM)
		return recv_message(u, iov, cnt, flags, from, msg_flags, scm);
	r = recv_stream(u, iov, cnt, flags, scm);
	if (from) {
		if (u->peer)
			*from = u->peer->name;
		else
			from->len = 0;
	}
	return r;
}

/* ---- the rest ---- */

static int unix_shutdown(struct uk_sock *s, int how)
{
	struct unx *u = X(s), *o = u->peer;
	int mode = (how != UK_SHUT_WR ? SHUT_RCV : 0) | (how != UK_SHUT_RD ? SHUT_SEND : 0);

	u->shut |= mode;
	uk_sock_wake(s);
	if (o && o->s && stream_like(s)) { /* the peer's other half */
		o->shut |= (mode & SHUT_RCV ? SHUT_SEND : 0) | (mode & SHUT_SEND ? SHUT_RCV : 0);
		uk_sock_wake(o->s);
	}
	return 0;
}

/* Linux's unix_writable: a quarter of the send budget at most in flight. */
static int writable(struct unx *u) { return u->st != U_LISTEN && u->wmem * 4 <= (size_t)u->sndbuf; }

static unsigned unix_poll(struct uk_sock *s)
{
	struct unx *u = X(s), *o = u->peer;
	unsigned m = 0;

	if (u->st == U_LISTEN)
		return u->q_head ? EPOLLIN | EPOLLRDNORM : 0;
	if (s->err)
		m |= EPOLLERR;
	if (u->shut == (SHUT_RCV | SHUT_SEND))
		m |= EPOLLHUP;
	if (u->shut & SHUT_RCV)
		m |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (u->rx_head)
		m |= EPOLLIN | EPOLLRDNORM;
	if (stream_like(s) && (u->st == U_NEW || u->st == U_CONNECTING)) {
		m |= EPOLLHUP; /* as Linux: a connection-mode socket not connected */
		if (u->st == U_CONNECTING)
			return m;
	}
	if (writable(u) && (s->type != UK_SOCK_DGRAM || !o || !o->s || o->peer == u ||
	                    o->rx_count <= UNIX_DGRAM_QLEN))
		m |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return m;
}

static int unix_name(struct uk_sock *s, int peer, struct uk_sockaddr *a)
{
	struct unx *u = X(s);

	if (peer) {
		if (!u->peer || (stream_like(s) && u->st != U_CONNECTED))
			return -ENOTCONN;
		*a = u->peer->name;
	} else {
		*a = u->name;
	}
	return 0;
}

static int clamp_buf(int v)
{
	long d = (long)v * 2; /* as Linux: doubled for its bookkeeping */

	return d < UNIX_SNDBUF_MIN   ? UNIX_SNDBUF_MIN
	       : d > UNIX_SNDBUF_MAX ? UNIX_SNDBUF_MAX
	                             : (int)d;
}

static int unix_setopt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	struct unx *u = X(s);
	int v, r;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP; /* as Linux: AF_UNIX has no other level */
	if ((r = uk_sockopt_int(val, len, &v)))
		return r;
	switch (name) {
	case SO_SNDBUF: u->sndbuf = clamp_buf(v); break;
	case SO_RCVBUF: u->rcvbuf = clamp_buf(v); break;
	default: return -ENOPROTOOPT;
	}
	uk_sock_wake(s);
	return 0;
}

/* struct ucred: every socket here is the one process's. */
struct uk_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

void uk_unix_ucred(void *out)
{
	struct uk_ucred c = { uk_proc_cur->pid, (uint32_t)uk_current_euid(),
		              (uint32_t)uk_current_egid() };

	uk_memcpy(out, &c, sizeof(c));
}

static int unix_getopt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	struct unx *u = X(s);
	struct uk_ucred c = { 0, ~0u, ~0u }; /* Linux's answer without a peer */
	int v;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (name) {
	case SO_SNDBUF: v = u->sndbuf; break;
	case SO_RCVBUF: v = u->rcvbuf; break;
	case SO_ACCEPTCONN: v = u->st == U_LISTEN; break;
	case SO_PEERCRED: /* a connection's, or a pair's (any type), as Linux */
		if (u->peer && (stream_like(s) || u->paired))
			uk_unix_ucred(&c);
		return uk_sockopt_put(val, len, &c, sizeof(c));
	default: return -ENOPROTOOPT;
	}
	return uk_sockopt_put(val, len, &v, sizeof(v));
}

/* FIONREAD: the unread bytes, or a datagram socket's next message's size. */
static long unix_nread(struct uk_sock *s)
{
	struct unx *u = X(s);

	if (s->type != UK_SOCK_DGRAM) /* seqpacket too, as Linux */
		return (long)u->rx_bytes;
	return u->rx_head ? (long)u->rx_head->len : 0;
}

static void forget(struct unx *u)
{
	for (struct unx **p = &all; *p; p = &(*p)->all_next) {
		if (*p == u) {
			*p = u->all_next;
			return;
		}
	}
}

static void unix_close(struct uk_sock *s)
{
	struct unx *u = X(s), *o = u->peer, *c;
	int unread = u->rx_head != NULL;

	forget(u);
	u->s = NULL;
	u->shut = SHUT_RCV | SHUT_SEND;
	while ((c = u->q_head)) { /* never accepted: their clients see a reset */
		u->q_head = c->q_next;
		c->q_next = NULL;
		uk_sock_free(c->s);
	}
	u->q_tail = NULL;
	if (o && o->s && stream_like(s)) {
		o->shut = SHUT_RCV | SHUT_SEND;
		if (unread || u->queued)
			o->s->err = ECONNRESET;
		uk_sock_wake(o->s);
	}
	if (s->type == UK_SOCK_DGRAM)
		wake_senders_to(u);
	wake_connecting_to(u);
	rx_drop_all(u);
	u->peer = NULL;
	unx_put(o);
	unx_put(u->target);
	u->target = NULL;
	s->priv = NULL;
	unx_put(u);
}

const struct uk_sock_proto uk_unix_proto = {
	.open = unix_open,
	.bind = unix_bind,
	.listen = unix_listen,
	.accept = unix_accept,
	.connect = unix_connect,
	.connected = unix_connected,
	.send = unix_send,
	.recv = unix_recv,
	.shutdown = unix_shutdown,
	.poll = unix_poll,
	.name = unix_name,
	.setopt = unix_setopt,
	.getopt = unix_getopt,
	.nread = unix_nread,
	.close = unix_close,
};

/* socketpair(2): two sockets of the type, connected. */
int uk_unix_pair(int type, struct uk_sock **a, struct uk_sock **b)
{
	if (!(*a = uk_sock_new(UK_AF_UNIX, type)))
		return -ENOMEM;
	if (!(*b = uk_sock_new(UK_AF_UNIX, type))) {
		uk_sock_free(*a);
		return -ENOMEM;
	}
	pair(X(*a), X(*b));
	X(*a)->paired = X(*b)->paired = 1;
	return 0;
}
