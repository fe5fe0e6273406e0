/*
 * TCP sockets over lwIP's raw API (see sock.h).
 *
 * Received data waits in lwIP's own pbufs, linked into one list (chains
 * spliced through ->next; each pbuf is freed alone once read) and the
 * window reopens (tcp_recved) only as the application reads, so a slow
 * reader throttles its sender. Sent data is copied into lwIP
 * (TCP_WRITE_FLAG_COPY) and leaves at once unless Nagle holds it.
 * Connections that arrive on a listening socket are complete sockets at
 * once, queued until accept().
 */
#include <asm/socket.h>
#include <linux/tcp.h>
#include <lwip/ip.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip_hooks.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <vnet.h>

#include "sock.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDHUP 0x2000

enum tcp_st { T_NEW, T_LISTEN, T_CONNECTING, T_CONNECTED, T_DEAD };

struct tcp {
	enum tcp_st st;
	struct pbuf *rx_head, *rx_tail; /* unread data */
	uint16_t rx_off;                /* bytes of rx_head already read */
	size_t rx_bytes;
	int eof; /* the peer sent FIN */
	int shut_rd, shut_wr;
	int nospace; /* a writer or a poll found no room (Linux's SOCK_NOSPACE) */
	/* listening: connections not yet accepted */
	struct uk_sock *q_head, *q_tail;
	int q_len;
	struct uk_sock *q_next; /* link in the listener's queue */
	uint16_t announced;     /* the port the devices were told we listen on */
	int defer_secs;         /* TCP_DEFER_ACCEPT, as Linux reports it */
	int uid;                /* the creator's effective uid */
	/* SO_REUSEPORT: the listeners of one address and port, sharing
	 * lwIP's one listening PCB, linked through g_next */
	struct tcp_group *group;
	struct uk_sock *g_next;
};

/* Listeners that set SO_REUSEPORT before bind, of one user, may listen
 * on one address and port, as on Linux: new connections go to each in
 * turn (Linux picks one by a hash of the connection's addresses; either
 * way each gets its share: nginx's reuseport runs a listener a worker). */
struct tcp_group {
	struct uk_sock *head; /* the members */
	struct uk_sock *rr;   /* the next to get a connection, NULL: head */
};

/* lwIP cannot hold a finished handshake back the way Linux does when a
 * listener's accept queue is full (Linux drops the client's final ACK and
 * the client waits for its retransmission); refusing one here is a reset,
 * which the client sees as an error. So a listener queues this many
 * connections whatever backlog the program asked for (Linux's largest,
 * somaxconn, is 4096 since 5.4; python's http.server asks for 5, Java for
 * 50). Half-open connections: lwip-port/hooks.c. */
#define ACCEPT_QUEUE_MAX 4096

static inline struct tcp *T(struct uk_sock *s) { return s->priv; }
static inline struct tcp_pcb *P(struct uk_sock *s) { return s->pcb; }

/* The ext arg whose destroy callback tells a socket its PCB is gone. */
static u8_t sock_arg = LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID;

/* ---- lwIP's callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct uk_sock *s = arg;
	struct tcp *t = T(s);
	struct pbuf *last;

	(void)pcb, (void)err;
	if (!p) {
		t->eof = 1;
	} else {
		for (last = p; last->next; last = last->next)
			;
		if (t->rx_tail)
			t->rx_tail->next = p;
		else
			t->rx_head = p;
		t->rx_tail = last;
		t->rx_bytes += p->tot_len;
	}
	uk_sock_wake(s);
	return ERR_OK;
}

/* Room was freed. Only a writer (or a poller) that found none waits for
 * that, as on Linux, whose write-space wake-up needs SOCK_NOSPACE (and
 * edge-triggered EPOLLOUT sees no more): an ACK woke every reader too,
 * which found nothing (apps/httpd under wrk over TAP: 3 % of its reads'
 * sleeps; redis-benchmark -c64 through -p: 16 % of redis's epoll_wait
 * sleeps; none now, paravirtual KVM). */
static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct uk_sock *s = arg;

	(void)pcb, (void)len;
	if (T(s)->nospace) {
		T(s)->nospace = 0;
		uk_sock_wake(s);
	}
	return ERR_OK;
}

/* The PCB is gone (lwIP freed it): a reset, an abort, a timeout. */
static void on_err(void *arg, err_t err)
{
	struct uk_sock *s = arg;
	struct tcp *t = T(s);

	if (t->st == T_CONNECTING) /* ERR_IF, ERR_RTE: an ICMP error (lwip-port/hooks.c) */
		s->err = err == ERR_RST   ? ECONNREFUSED
		         : err == ERR_IF  ? ENETUNREACH
		         : err == ERR_RTE ? EHOSTUNREACH
		                          : ETIMEDOUT;
	else
		s->err = err == ERR_RST ? ECONNRESET : ECONNABORTED;
	s->pcb = NULL;
	t->st = T_DEAD;
	uk_sock_wake(s);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct uk_sock *s = arg;

	(void)err;
	T(s)->st = T_CONNECTED;
	uk_tcp_tso(pcb);
	uk_sock_wake(s);
	return ERR_OK;
}

/* lwIP frees some PCBs without calling their err callback: a connection
 * in TIME-WAIT when its time is up (or sooner: lwip-port/hooks.c bounds
 * how many wait), and one that shut its sending side and was closed by
 * its peer too. Its socket may still be open then: apache's lingering
 * close shuts down its sending side and reads on (its socket then used
 * the freed PCB: "tcp_recved for listen-pcbs" under wrk). The socket
 * learns it here; what it holds stays readable, then EOF, as on Linux.
 * (tcp_abandon frees before it calls the err callback, which then sets
 * the error.) */
static void on_destroy(u8_t id, void *arg)
{
	struct uk_sock *s = arg;

	(void)id;
	if (!s)
		return;
	s->pcb = NULL;
	if (T(s)->st == T_CONNECTED)
		T(s)->st = T_DEAD;
	uk_sock_wake(s);
}

static const struct tcp_ext_arg_callbacks destroy_cb = { .destroy = on_destroy };

static void pcb_hook(struct uk_sock *s, struct tcp_pcb *pcb)
{
	s->pcb = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_ext_arg_set_callbacks(pcb, sock_arg, &destroy_cb);
	tcp_ext_arg_set(pcb, sock_arg, s);
}

static void pcb_unhook(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_ext_arg_set(pcb, sock_arg, NULL);
}

/* Options the listener had pass to its connections, as on Linux. */
static void apply_opts(struct uk_sock *s, struct tcp_pcb *pcb)
{
	if (s->opts & UK_SO_KEEPALIVE)
		ip_set_option(pcb, SOF_KEEPALIVE);
	if (s->opts & UK_SO_NODELAY)
		tcp_nagle_disable(pcb);
}

/* The member of a group whose turn it is. */
static struct uk_sock *group_pick(struct tcp_group *g)
{
	struct uk_sock *s = g->rr ? g->rr : g->head;

	g->rr = T(s)->g_next;
	return s;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct uk_sock *ls = arg, *c = NULL;
	struct tcp *lt;

	if (err != ERR_OK || !pcb || !ls)
		return ERR_VAL;
	if (T(ls)->group)
		ls = group_pick(T(ls)->group);
	lt = T(ls);
	if (lt->q_len < ACCEPT_QUEUE_MAX && (c = uk_kzalloc(sizeof(*c))))
		c->priv = uk_kzalloc(sizeof(struct tcp));
	if (!c || !c->priv) { /* queue full or no memory: the client sees a reset */
		uk_kfree(c);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->family = ls->family;
	c->type = UK_SOCK_STREAM;
	c->proto = &uk_tcp_proto;
	c->opts = ls->opts & (UK_SO_KEEPALIVE | UK_SO_NODELAY);
	T(c)->st = T_CONNECTED;
	pcb_hook(c, pcb);
	apply_opts(c, pcb);
	uk_tcp_tso(pcb);
	if (lt->q_tail)
		T(lt->q_tail)->q_next = c;
	else
		lt->q_head = c;
	lt->q_tail = c;
	lt->q_len++;
	uk_sock_wake(ls);
	return ERR_OK;
}

/* ---- operations ---- */

static int tcp_open(struct uk_sock *s)
{
	struct tcp_pcb *pcb;

	if (sock_arg == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID)
		sock_arg = tcp_ext_arg_alloc_id();
	if (!(s->priv = uk_kzalloc(sizeof(struct tcp))))
		return -ENOMEM;
	T(s)->uid = uk_current_euid();
	if (!(pcb = tcp_new_ip_type(s->family == UK_AF_INET6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4))) {
		uk_kfree(s->priv);
		return -ENOMEM;
	}
	pcb_hook(s, pcb);
	return 0;
}

static int tcp_do_bind(struct uk_sock *s, const struct uk_sockaddr *a)
{
	ip_addr_t ip;

	uk_inet_ip(s, a, &ip);
	if (!P(s) || T(s)->st != T_NEW)
		return -EINVAL;
	if (P(s)->local_port)
		return -EINVAL; /* bound already */
	if (s->opts & UK_SO_REUSE)
		ip_set_option(P(s), SOF_REUSEADDR);
	return uk_sock_errno(tcp_bind(P(s), &ip, lwip_ntohs(a->port)));
}

/* s, bound to the address and port of a listener that lwIP refused
 * to listen on again, joins that listener's group when both set
 * SO_REUSEPORT and one user made them: s's own PCB goes, the
 * listener's serves both. */
static int group_join(struct uk_sock *s)
{
	struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs;
	struct uk_sock *first;
	struct tcp_group *g;
	struct tcp_pcb *own = P(s);

	while (l &&
	       !(l->local_port == own->local_port && ip_addr_cmp(&l->local_ip, &own->local_ip)))
		l = l->next;
	if (!l || !(first = l->callback_arg) || !(s->opts & first->opts & UK_SO_REUSEPORT) ||
	    T(first)->uid != T(s)->uid)
		return -EADDRINUSE;
	if (!(g = T(first)->group)) {
		if (!(g = uk_kzalloc(sizeof(*g))))
			return -ENOMEM;
		g->head = first;
		T(first)->group = g;
	}
	pcb_unhook(own);
	tcp_close(own); /* (bound, not connected: freed at once) */
	s->pcb = l;
	T(s)->st = T_LISTEN;
	T(s)->group = g;
	T(s)->g_next = g->head;
	g->head = s;
	return 0;
}

/* A member leaves its group: 1 while others still listen on the PCB
 * (which then answers to one of them), 0 when s was the last. */
static int group_leave(struct uk_sock *s)
{
	struct tcp *t = T(s);
	struct tcp_group *g = t->group;
	struct uk_sock **p = &g->head;

	while (*p != s)
		p = &T(*p)->g_next;
	*p = t->g_next;
	if (g->rr == s)
		g->rr = t->g_next;
	t->group = NULL;
	if (!g->head) {
		uk_kfree(g);
		return 0;
	}
	tcp_arg(s->pcb, g->head);
	if (t->announced) /* (the devices' forward stays) */
		T(g->head)->announced = t->announced;
	t->announced = 0;
	return 1;
}

static int tcp_do_listen(struct uk_sock *s, int backlog)
{
	(void)backlog; /* see ACCEPT_QUEUE_MAX */
	struct tcp *t = T(s);
	struct tcp_pcb *l;
	struct uk_sockaddr any = { .v6 = s->family == UK_AF_INET6 }; /* :: or 0.0.0.0 */
	err_t err;
	int r;

	if (t->st == T_LISTEN)
		return 0; /* Linux lets listen() change the backlog */
	if (t->st != T_NEW || !P(s))
		return -EINVAL;
	if (!P(s)->local_port && (r = tcp_do_bind(s, &any)))
		return r;
	/* (lwIP frees the old PCB, and the listening one has no use for
	 * on_destroy: it lives until tcp_do_close) */
	tcp_ext_arg_set(P(s), sock_arg, NULL);
	l = tcp_listen_with_backlog_and_err(P(s), 0, &err); /* no limit here: hooks.c */
	if (!l) {
		tcp_ext_arg_set(P(s), sock_arg, s);
		return err == ERR_USE ? group_join(s) : uk_sock_errno(err);
	}
	s->pcb = l;
	tcp_arg(l, s);
	tcp_accept(l, on_accept);
	t->st = T_LISTEN;
	/* ukrun forwards host ports to this one only from now on (vnet.h);
	 * a listener on loopback is no business of the host's. */
	if (!uk_inet_loopback(&l->local_ip)) {
		t->announced = l->local_port;
		uk_vnet_listen(t->announced, 1);
	}
	return 0;
}

static int tcp_do_accept(struct uk_sock *s, struct uk_sock **out)
{
	struct tcp *t = T(s);
	struct uk_sock *c = t->q_head;

	if (t->st != T_LISTEN)
		return -EINVAL;
	if (!c)
		return -EAGAIN;
	t->q_head = T(c)->q_next;
	if (!t->q_head)
		t->q_tail = NULL;
	T(c)->q_next = NULL;
	t->q_len--;
	*out = c;
	return 0;
}

static int tcp_do_connect(struct uk_sock *s, const struct uk_sockaddr *a)
{
	struct tcp *t = T(s);
	ip_addr_t ip;

	uk_inet_peer_ip(s, a, &ip);
	switch (t->st) {
	case T_CONNECTED: return -EISCONN;
	case T_CONNECTING: return -EALREADY;
	case T_LISTEN: return -EISCONN;
	case T_DEAD: return s->err ? -s->err : -EINVAL;
	case T_NEW: break;
	}
	if (!a->port)
		return -ECONNREFUSED;
	if (uk_inet_unroutable(&ip))
		return -ENETUNREACH;
	apply_opts(s, P(s));
	t->st = T_CONNECTING;
	err_t err = tcp_connect(P(s), &ip, lwip_ntohs(a->port), on_connected);
	if (err != ERR_OK) {
		t->st = T_NEW;
		return uk_sock_errno(err);
	}
	return -EINPROGRESS;
}

static int tcp_connected(struct uk_sock *s)
{
	switch (T(s)->st) {
	case T_CONNECTED: return 1;
	case T_CONNECTING: return 0;
	case T_DEAD: return s->err ? -s->err : -ECONNABORTED;
	default: return -ENOTCONN;
	}
}

/* Corked (TCP_CORK), a segment leaves only when full: what is queued
 * holds a full one. Nagle, on while corked, keeps lwIP's own output (on
 * acknowledgements) from sending the partial last one while data is in
 * flight; with nothing in flight lwIP may send it early, where Linux would
 * wait up to 200 ms: cork only ever saves segments, data never waits for
 * more. */
static int full_segment_waits(struct tcp_pcb *pcb)
{
	return pcb->unsent && (pcb->unsent->next || pcb->unsent->len >= pcb->mss);
}

/* TCP_CORK: nginx's tcp_nopush holds its header back to leave with the
 * file's first bytes. Uncorking sends what waits at once, Nagle or not. */
static void set_cork(struct uk_sock *s, struct tcp_pcb *pcb, int on)
{
	s->opts = on ? s->opts | UK_SO_CORK : s->opts & ~UK_SO_CORK;
	if (!pcb)
		return;
	if (on) {
		tcp_nagle_enable(pcb);
		return;
	}
	tcp_nagle_disable(pcb);
	tcp_output(pcb);
	if (!(s->opts & UK_SO_NODELAY))
		tcp_nagle_enable(pcb);
}

static long tcp_do_send(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                        const struct uk_sockaddr *to, struct uk_scm *scm)
{
	struct tcp *t = T(s);
	struct tcp_pcb *pcb = P(s);
	long done = 0;

	(void)to;
	if (t->st == T_DEAD || t->shut_wr)
		return s->err && t->st == T_DEAD ? -s->err : -EPIPE;
	if (t->st == T_CONNECTING)
		return -EAGAIN;
	if (t->st != T_CONNECTED)
		return -ENOTCONN;
	for (int i = 0; i < cnt; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			size_t room = tcp_sndbuf(pcb), n = left < room ? left : room;
			u8_t more = (i + 1 < cnt || n < left || (flags & UK_MSG_MORE))
			                ? TCP_WRITE_FLAG_MORE
			                : 0;
			if (n > 0xffff)
				n = 0xffff;
			if (!n || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4 ||
			    tcp_write(pcb, p, (u16_t)n, TCP_WRITE_FLAG_COPY | more) != ERR_OK) {
				t->nospace = 1;
				goto out;
			}
			p += n, left -= n, done += (long)n;
		}
	}
out:
	if ((s->opts & UK_SO_CORK) ? full_segment_waits(pcb) : !(flags & UK_MSG_MORE))
		tcp_output(pcb);
	/* Nothing asked, nothing sent: 0 as on Linux, full buffer or not
	 * (php's built-in server ends a file with an empty send and took
	 * EAGAIN as "try later", for ever) */
	return done || !uk_iov_len(iov, cnt) ? done : -EAGAIN;
}

/* Free what was read; reopen the window by as much (u16 steps). */
static void rx_consume(struct uk_sock *s, size_t n)
{
	struct tcp *t = T(s);
	size_t acked = n;

	t->rx_bytes -= n;
	while (n) {
		struct pbuf *p = t->rx_head;
		size_t in_p = p->len - t->rx_off;
		if (n < in_p) {
			t->rx_off += (uint16_t)n;
			break;
		}
		n -= in_p;
		t->rx_off = 0;
		t->rx_head = p->next;
		if (!t->rx_head)
			t->rx_tail = NULL;
		p->next = NULL; /* free this one alone */
		pbuf_free(p);
	}
	while (acked && P(s) && t->st == T_CONNECTED) {
		u16_t step = acked > 0xffff ? 0xffff : (u16_t)acked;
		tcp_recved(P(s), step);
		acked -= step;
	}
}

static size_t rx_copy(struct tcp *t, const struct iovec *iov, int cnt)
{
	struct pbuf *p = t->rx_head;
	size_t off = t->rx_off, done = 0;

	for (int i = 0; i < cnt && p; i++) {
		size_t ioff = 0;
		while (ioff < iov[i].iov_len && p) {
			size_t n = p->len - off;
			if (n > iov[i].iov_len - ioff)
				n = iov[i].iov_len - ioff;
			uk_memcpy((char *)iov[i].iov_base + ioff, (char *)p->payload + off, n);
			ioff += n, done += n, off += n;
			if (off == p->len)
				p = p->next, off = 0;
		}
	}
	return done;
}

static long tcp_do_recv(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
                        struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm)
{
	struct tcp *t = T(s);
	size_t n;
	int e;

	(void)from, (void)msg_flags;
	if (t->shut_rd && !t->rx_bytes)
		return 0;
	if (!t->rx_bytes) {
		if (t->st == T_DEAD && s->err) {
			e = s->err;
			s->err = 0;
			return -e;
		}
		if (t->eof || t->st == T_DEAD)
			return 0;
		if (t->st == T_CONNECTING || t->st == T_CONNECTED)
			return -EAGAIN;
		return -ENOTCONN;
	}
	n = rx_copy(t, iov, cnt);
	if (!(flags & UK_MSG_PEEK))
		rx_consume(s, n);
	return (long)n;
}

static int tcp_do_shutdown(struct uk_sock *s, int how)
{
	struct tcp *t = T(s);

	if (t->st != T_CONNECTED && t->st != T_DEAD)
		return -ENOTCONN;
	if (how != UK_SHUT_WR)
		t->shut_rd = 1;
	if (how != UK_SHUT_RD && !t->shut_wr) {
		t->shut_wr = 1;
		if (P(s))
			tcp_shutdown(P(s), 0, 1); /* FIN after what is queued */
	}
	uk_sock_wake(s);
	return 0;
}

static unsigned tcp_do_poll(struct uk_sock *s)
{
	struct tcp *t = T(s);
	unsigned m = 0;

	switch (t->st) {
	case T_NEW: return EPOLLOUT | EPOLLHUP;
	case T_LISTEN: return t->q_head ? EPOLLIN : 0;
	case T_CONNECTING: return 0;
	case T_DEAD: return EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP | (s->err ? EPOLLERR : 0);
	case T_CONNECTED: break;
	}
	if (t->rx_bytes || t->eof || t->shut_rd)
		m |= EPOLLIN;
	if (t->eof)
		m |= EPOLLRDHUP;
	if (t->shut_wr ||
	    (tcp_sndbuf(P(s)) >= TCP_MSS && tcp_sndqueuelen(P(s)) < TCP_SND_QUEUELEN / 2))
		m |= EPOLLOUT;
	else
		t->nospace = 1; /* whoever asks waits for room: on_sent wakes */
	if (t->eof && t->shut_wr)
		m |= EPOLLHUP;
	return m;
}

static int tcp_name(struct uk_sock *s, int peer, struct uk_sockaddr *a)
{
	struct tcp *t = T(s);

	if (peer && t->st != T_CONNECTED)
		return -ENOTCONN;
	if (!P(s)) {
		*a = (struct uk_sockaddr){ 0 };
		return peer ? -ENOTCONN : 0;
	}
	if (peer) {
		uk_inet_addr(s, &P(s)->remote_ip, P(s)->remote_port, a);
	} else if (t->st == T_LISTEN) {
		struct tcp_pcb_listen *l = s->pcb;
		uk_inet_addr(s, &l->local_ip, l->local_port, a);
	} else {
		uk_inet_addr(s, &P(s)->local_ip, P(s)->local_port, a);
	}
	return 0;
}

/* ---- options ---- */

/* TCP_DEFER_ACCEPT's seconds as Linux keeps them: a count of SYN-ACK
 * retransmissions (1 s, doubling up to 120 s) reaching past them, read
 * back as those retransmissions' total time (5 -> 7). */
static int defer_rounded(int secs)
{
	int n = 0, timeout = 1, period = 0;

	while (secs > period && n < 255) {
		period += timeout;
		timeout = timeout * 2 > 120 ? 120 : timeout * 2;
		n++;
	}
	return period;
}

/* Options a server sets that change when it sees a connection, not what
 * it sees: TCP_DEFER_ACCEPT (apache, nginx's deferred; an accept does not
 * wait for the first data here) and TCP_FASTOPEN (a client's SYN data is
 * refused, so it sends it after the handshake, as to a server without
 * it). Recorded, and --trace says so. */
static int set_accept_hint(struct uk_sock *s, int name, int v)
{
	if (name == TCP_DEFER_ACCEPT)
		T(s)->defer_secs = v > 0 ? defer_rounded(v) : 0;
	uk_trace_note("setsockopt(%s): accepted; connections are accepted %s",
	              name == TCP_DEFER_ACCEPT ? "TCP_DEFER_ACCEPT" : "TCP_FASTOPEN",
	              name == TCP_DEFER_ACCEPT ? "before their first data" : "without fast open");
	return 0;
}

/* Options of a connection PCB (a listening PCB has none of these). */
static struct tcp_pcb *conn_pcb(struct uk_sock *s) { return T(s)->st == T_LISTEN ? NULL : P(s); }

static int tcp_setopt(struct uk_sock *s, int level, int name, const void *val, uint32_t len)
{
	struct tcp_pcb *pcb = conn_pcb(s);
	int v, r;

	if (level == SOL_SOCKET) { /* flags socket.c already recorded */
		if (P(s) && (name == SO_REUSEADDR || name == SO_REUSEPORT))
			(s->opts & UK_SO_REUSE) ? ip_set_option(P(s), SOF_REUSEADDR)
			                        : ip_reset_option(P(s), SOF_REUSEADDR);
		if (pcb && name == SO_KEEPALIVE)
			(s->opts & UK_SO_KEEPALIVE) ? ip_set_option(pcb, SOF_KEEPALIVE)
			                            : ip_reset_option(pcb, SOF_KEEPALIVE);
		return 0;
	}
	if ((level != IPPROTO_TCP && level != IPPROTO_IP) || (r = uk_sockopt_int(val, len, &v)))
		return level != IPPROTO_TCP && level != IPPROTO_IP ? -ENOPROTOOPT : r;
	if (level == IPPROTO_IP) {
		if (name != IP_TOS && name != IP_TTL)
			return -ENOPROTOOPT;
		if (v < 0 || v > 255)
			return -EINVAL;
		if (pcb && name == IP_TOS)
			pcb->tos = (u8_t)v;
		else if (pcb)
			pcb->ttl = (u8_t)v;
		return 0;
	}
	switch (name) {
	case TCP_NODELAY:
		s->opts = v ? s->opts | UK_SO_NODELAY : s->opts & ~UK_SO_NODELAY;
		if (pcb && v && !(s->opts & UK_SO_CORK)) { /* as Linux: cork prevails */
			tcp_nagle_disable(pcb);
			tcp_output(pcb);
		} else if (pcb) {
			tcp_nagle_enable(pcb);
		}
		return 0;
	case TCP_CORK: set_cork(s, pcb, v != 0); return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (!pcb)
			return 0;
		if (name == TCP_KEEPIDLE)
			pcb->keep_idle = (u32_t)v * 1000;
		else if (name == TCP_KEEPINTVL)
			pcb->keep_intvl = (u32_t)v * 1000;
		else
			pcb->keep_cnt = (u32_t)v;
		return 0;
	case TCP_QUICKACK: /* lwIP acknowledges at once when it should */
		if (pcb && v)
			tcp_ack_now(pcb);
		return 0;
	case TCP_DEFER_ACCEPT:
	case TCP_FASTOPEN: return set_accept_hint(s, name, v);
	}
	return -ENOPROTOOPT;
}

static int tcp_getopt(struct uk_sock *s, int level, int name, void *val, uint32_t *len)
{
	struct tcp_pcb *pcb = conn_pcb(s);

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ACCEPTCONN: return uk_sockopt_put_int(val, len, T(s)->st == T_LISTEN);
		case SO_SNDBUF: return uk_sockopt_put_int(val, len, TCP_SND_BUF);
		case SO_RCVBUF: return uk_sockopt_put_int(val, len, TCP_WND);
		case SO_RCVLOWAT:
		case SO_SNDLOWAT: return uk_sockopt_put_int(val, len, 1);
		}
		return -ENOPROTOOPT;
	}
	if (level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL))
		return uk_sockopt_put_int(val, len,
		                          !pcb             ? (name == IP_TTL ? IP_DEFAULT_TTL : 0)
		                          : name == IP_TOS ? pcb->tos
		                                           : pcb->ttl);
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_NODELAY));
	case TCP_CORK: return uk_sockopt_put_int(val, len, !!(s->opts & UK_SO_CORK));
	case TCP_MAXSEG: return uk_sockopt_put_int(val, len, pcb ? uk_tcp_mss(pcb) : TCP_MSS);
	case TCP_KEEPIDLE:
		return uk_sockopt_put_int(val, len, pcb ? (int)(pcb->keep_idle / 1000) : 7200);
	case TCP_KEEPINTVL:
		return uk_sockopt_put_int(val, len, pcb ? (int)(pcb->keep_intvl / 1000) : 75);
	case TCP_KEEPCNT: return uk_sockopt_put_int(val, len, pcb ? (int)pcb->keep_cnt : 9);
	case TCP_DEFER_ACCEPT: return uk_sockopt_put_int(val, len, T(s)->defer_secs);
	}
	return -ENOPROTOOPT;
}

static long tcp_nread(struct uk_sock *s) { return (long)T(s)->rx_bytes; }

/* ---- closing ---- */

static void drop_rx(struct tcp *t)
{
	while (t->rx_head) {
		struct pbuf *p = t->rx_head;
		t->rx_head = p->next;
		p->next = NULL;
		pbuf_free(p);
	}
	t->rx_tail = NULL;
	t->rx_bytes = 0;
}

static void tcp_do_close(struct uk_sock *s)
{
	struct tcp *t = T(s);
	struct uk_sock *c;

	if (t->st == T_LISTEN) {
		if (!t->group || !group_leave(s)) {
			if (t->announced)
				uk_vnet_listen(t->announced, 0);
			tcp_arg(s->pcb, NULL);
			tcp_accept(s->pcb, NULL);
			tcp_close(s->pcb);
		}
		while (tcp_do_accept(s, &c) == 0) { /* never accepted: reset them */
			c->opts |= UK_SO_LINGER0;
			tcp_do_close(c);
			uk_kfree(c);
		}
	} else if (P(s)) {
		struct tcp_pcb *pcb = P(s);
		pcb_unhook(pcb);
		/* Unread data or SO_LINGER 0: a reset, as Linux. Else the FIN
		 * follows what is queued: lwIP 2.1's tcp_close of a connection
		 * does not fail for want of memory (it sends the FIN later from
		 * its timer, TF_CLOSEPEND), so the abort is for errors only. */
		if (t->rx_bytes || (s->opts & UK_SO_LINGER0) || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	s->pcb = NULL;
	drop_rx(t);
	uk_kfree(t);
	s->priv = NULL;
}

const struct uk_sock_proto uk_tcp_proto = {
	.open = tcp_open,
	.bind = tcp_do_bind,
	.listen = tcp_do_listen,
	.accept = tcp_do_accept,
	.connect = tcp_do_connect,
	.connected = tcp_connected,
	.send = tcp_do_send,
	.recv = tcp_do_recv,
	.shutdown = tcp_do_shutdown,
	.poll = tcp_do_poll,
	.name = tcp_name,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
	.nread = tcp_nread,
	.close = tcp_do_close,
};
