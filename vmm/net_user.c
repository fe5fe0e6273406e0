/*
 * User-mode networking (--net user, -p): rootless, through Debian's
 * libslirp. The guest sees 10.0.2.0/24 with the gateway 10.0.2.2, DNS at
 * 10.0.2.3 (slirp forwards to the host's resolvers) and gets 10.0.2.15 by
 * DHCP; host ports forward to the guest (hostfwd). slirp runs entirely on
 * the device thread: its sockets join the thread's poll set, its timers
 * become the poll timeout, and its frames go to the RX queue
 * (vmm_net_deliver; kept a while when the guest has no buffer).
 *
 * A TCP forward is open on the host (slirp listens there) only while the
 * guest listens on its guest port (the driver says so on the control
 * queue: virtio_net.h). While it is closed ukrun holds the host port bound
 * without listening: the port stays taken, and a client's connection is
 * refused at once (a reset: ECONNREFUSED), as by a host whose server has
 * not started yet, rather than accepted by slirp for a guest that cannot
 * take it (the client then hung until the guest listened, or saw its
 * connection closed). UDP forwards are open all the time.
 *
 * The guest's frames are checked before libslirp sees them (frame_check):
 * libslirp 4.7 trusts the lengths in them more than it should, and its IP
 * reassembly crashed on one lone fragment. IP fragments are dropped on
 * this network (counted under --verbose): lwIP sends TCP in segments that
 * fit the MTU; only a UDP datagram above 1472 bytes is lost.
 *
 * 10.0.2.2 is the host, but not the host's loopback: libslirp would turn a
 * connection to it into one to the host's 127.0.0.1, where services that
 * trust the local machine listen (docker's and podman's rootless networks
 * close it the same way). The guest gets "network unreachable" there
 * unless --net user,host-loopback=on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/ip.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define TIMERS_MAX 16
#define FRAME_MAX (UK_VIRTIO_NET_MTU_USER + 18)

struct user_timer {
	int used;
	int64_t expire_ms; /* -1: not armed */
	SlirpTimerId id;
	void *cb_opaque;
};

struct user_fwd {
	int hold_fd;   /* the host port bound, not listening, while closed; or -1 */
	int open;      /* slirp listens on the host port */
	int listeners; /* the guest's listeners on its guest port */
};

/* What frame_check drops, by kind. */
enum user_drop { PASS, DROP_FRAGMENT, DROP_MALFORMED, DROP_PROTOCOL, DROP_LOOPBACK, DROP_KINDS };

static const char *const drop_name[DROP_KINDS] = {
	[DROP_FRAGMENT] = "IPv4 fragments",
	[DROP_MALFORMED] = "malformed frames",
	[DROP_PROTOCOL] = "frames of other protocols",
	[DROP_LOOPBACK] = "packets to the host's loopback",
};

struct user {
	Slirp *slirp;
	uint64_t dropped[DROP_KINDS];
	struct user_fwd fwd[VMM_NET_FWD_MAX]; /* as n->conf.fwd */
	struct vmm_net *n;
	struct vmm_pollset *ps; /* during poll/poll_done */
	unsigned ps_base;       /* slirp's first entry in ps */
	struct user_timer timer[TIMERS_MAX];
	uint8_t frame[FRAME_MAX]; /* a TX frame made contiguous */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- slirp's callbacks ---- */

static ssize_t cb_send(const void *buf, size_t len, void *opaque)
{
	struct user *u = opaque;

	vmm_net_deliver(u->n, buf, len);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	vmm_err("user-mode network: guest error: %s", msg);
}

static int64_t cb_clock(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct user *u = opaque;

	for (int i = 0; i < TIMERS_MAX; i++) {
		if (!u->timer[i].used) {
			u->timer[i] = (struct user_timer){ 1, -1, id, cb_opaque };
			return &u->timer[i];
		}
	}
	vmm_err("user-mode network: more than %d timers", TIMERS_MAX);
	return NULL;
}

static void cb_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct user_timer *)timer)->used = 0;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct user_timer *)timer)->expire_ms = expire_ms;
}

static void cb_nop_fd(int fd, void *opaque) { (void)fd, (void)opaque; }
static void cb_notify(void *opaque) { (void)opaque; } /* we re-poll every turn */

static const SlirpCb callbacks = {
	.send_packet = cb_send,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_nop_fd,
	.unregister_poll_fd = cb_nop_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new,
};

/* ---- set-up ---- */

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct in_addr guest_addr(const struct vmm_net_conf *c)
{
	return c->ip.s_addr ? c->ip : addr("10.0.2.15");
}

static void fwd_err(const struct vmm_net_fwd *f, const char *what)
{
	char host[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
	vmm_err("--net user: %s %s %s:%u (is the port in use?)", what, f->udp ? "udp" : "tcp", host,
	        f->host_port);
}

/* The forward's host port bound (SO_REUSEADDR, as slirp binds it) but not
 * listening: the fd, or -1. */
static int hold_port(const struct vmm_net_fwd *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(f->host_port),
		                 .sin_addr = f->host_addr };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* libslirp listens on a forwarded port with a backlog of 1 and accepts one
 * connection per poll turn: when many clients connect at once, the host
 * kernel drops their SYNs and each waits for its retransmission (1 s, 3 s
 * ...). Linux lets listen() on a listening socket change its backlog. */
static int cb_widen_backlog(int fd, int events, void *opaque)
{
	int on = 0;
	socklen_t len = sizeof(on);

	(void)events, (void)opaque;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		listen(fd, SOMAXCONN);
	return -1; /* not polled this turn: poll is level-triggered, the next sees it */
}

static void fwd_open(struct user *u, int i)
{
	const struct vmm_net_fwd *f = &u->n->conf.fwd[i];
	struct user_fwd *uf = &u->fwd[i];
	uint32_t timeout = UINT32_MAX;

	if (uf->hold_fd >= 0)
		close(uf->hold_fd);
	uf->hold_fd = -1;
	if (slirp_add_hostfwd(u->slirp, 0, f->host_addr, f->host_port, guest_addr(&u->n->conf),
	                      f->guest_port)) {
		fwd_err(f, "the guest listens, but ukrun cannot forward");
		uf->hold_fd = hold_port(f);
		return;
	}
	uf->open = 1;
	/* Every listening socket slirp has is a forward's. */
	slirp_pollfds_fill(u->slirp, &timeout, cb_widen_backlog, u);
}

static void fwd_close(struct user *u, int i)
{
	const struct vmm_net_fwd *f = &u->n->conf.fwd[i];
	struct user_fwd *uf = &u->fwd[i];

	if (uf->open)
		slirp_remove_hostfwd(u->slirp, 0, f->host_addr, f->host_port);
	uf->open = 0;
	if (uf->hold_fd < 0 && (uf->hold_fd = hold_port(f)) < 0)
		fwd_err(f, "the guest stopped listening, and ukrun lost");
}

/* UDP forwards open now; TCP ones held until the guest listens. */
static int add_forwards(struct user *u, const struct vmm_net_conf *c)
{
	for (int i = 0; i < c->nfwd; i++)
		u->fwd[i].hold_fd = -1;
	for (int i = 0; i < c->nfwd; i++) {
		const struct vmm_net_fwd *f = &c->fwd[i];
		if (f->udp ? slirp_add_hostfwd(u->slirp, 1, f->host_addr, f->host_port,
		                               guest_addr(c), f->guest_port) == 0
		           : (u->fwd[i].hold_fd = hold_port(f)) >= 0)
			continue;
		fwd_err(f, "cannot forward");
		return -1;
	}
	return 0;
}

static void close_holds(struct user *u)
{
	for (int i = 0; i < u->n->conf.nfwd; i++)
		if (u->fwd[i].hold_fd >= 0)
			close(u->fwd[i].hold_fd);
}

static void user_listen(struct vmm_net *n, uint16_t guest_port, int on)
{
	struct user *u = n->be_priv;

	for (int i = 0; i < n->conf.nfwd; i++) {
		struct user_fwd *uf = &u->fwd[i];
		if (n->conf.fwd[i].udp || n->conf.fwd[i].guest_port != guest_port)
			continue;
		if (on && uf->listeners < INT_MAX && uf->listeners++ == 0)
			fwd_open(u, i);
		else if (!on && uf->listeners > 0 && --uf->listeners == 0)
			fwd_close(u, i);
	}
}

static void user_reset(struct vmm_net *n)
{
	struct user *u = n->be_priv;

	for (int i = 0; i < n->conf.nfwd; i++) {
		if (u->fwd[i].listeners) {
			u->fwd[i].listeners = 0;
			fwd_close(u, i);
		}
	}
}

static int cb_no_revents(int idx, void *opaque)
{
	(void)idx, (void)opaque;
	return 0;
}

static int user_open(struct vmm_net *n)
{
	struct user *u = calloc(1, sizeof(*u));
	SlirpConfig cfg = {
		.version = 4,
		.in_enabled = true,
		.vnetwork = addr("10.0.2.0"),
		.vnetmask = addr("255.255.255.0"),
		.vhost = addr("10.0.2.2"),
		.vdhcp_start = addr("10.0.2.15"),
		.vnameserver = addr("10.0.2.3"),
		.vhostname = "uk",
		.if_mtu = n->conf.mtu, /* the device's, virtio_net.h */
		.if_mru = n->conf.mtu,
		.disable_host_loopback = !n->conf.host_loopback,
	};

	if (!u)
		return -1;
	u->n = n;
	n->be_priv = u;
	if (!(u->slirp = slirp_new(&cfg, &callbacks, u))) {
		vmm_err("--net user: libslirp could not start");
		free(u);
		return -1;
	}
	/* libslirp reads its clock (a global, in ms) only in slirp_pollfds_poll:
	 * before the first one it is 0, and a UDP socket made then for the
	 * guest's first frames expires at the next (its answer lost). */
	slirp_pollfds_poll(u->slirp, 0, cb_no_revents, u);
	if (add_forwards(u, &n->conf)) {
		close_holds(u);
		slirp_cleanup(u->slirp);
		free(u);
		return -1;
	}
	n->dev->vm->needs |= VMM_NEED_SLIRP;
	vmm_verbose(n->dev->vm,
	            "virtio-net: user-mode network (libslirp %s), %d forwards, the host's "
	            "loopback %s",
	            slirp_version_string(), n->conf.nfwd,
	            n->conf.host_loopback ? "reachable at 10.0.2.2" : "closed");
	return 0;
}

/* ---- the data path (device thread) ---- */

#define ETH_HLEN 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define ARP_LEN 28 /* Ethernet/IPv4 ARP */

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* An IPv4 packet's transport header within the packet (l4 bytes after
 * the IP header): NULL, or what is wrong. */
static const char *l4_check(unsigned proto, const uint8_t *h, size_t l4)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (l4 < 20 || (h[12] >> 4) < 5 || (size_t)(h[12] >> 4) * 4 > l4)
			return "TCP header beyond the packet";
		return NULL;
	case IPPROTO_UDP:
		if (l4 < 8 || be16(h + 4) < 8 || be16(h + 4) > l4)
			return "UDP length beyond the packet";
		return NULL;
	case IPPROTO_ICMP: return l4 < 8 ? "ICMP header beyond the packet" : NULL;
	}
	return NULL;
}

/* A frame from the guest, before libslirp sees it: what it can take
 * (ARP; IPv4 with TCP, UDP or ICMP: what slirp carries anyway), every
 * header within the frame, no fragments, and unless host_loopback nothing
 * addressed to 127.0.0.0/8 or 0.0.0.0/8 (libslirp sends a guest's packet
 * to such an address from the host as it is: disable_host_loopback only
 * covers 10.0.2.2). PASS, or the kind of drop with *why. */
static int frame_check(const uint8_t *f, size_t len, int host_loopback, const char **why)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t hl, tot;

	*why = "shorter than an Ethernet header";
	if (len < ETH_HLEN)
		return DROP_MALFORMED;
	if (be16(f + 12) == ETH_ARP) {
		*why = "ARP shorter than its header";
		return len < ETH_HLEN + ARP_LEN ? DROP_MALFORMED : PASS;
	}
	*why = "not ARP or IPv4";
	if (be16(f + 12) != ETH_IP)
		return DROP_PROTOCOL;
	*why = "IPv4 header beyond the frame";
	if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5 ||
	    (hl = (size_t)(ip[0] & 15) * 4) > len - ETH_HLEN)
		return DROP_MALFORMED;
	tot = be16(ip + 2);
	*why = "IPv4 total length outside the frame";
	if (tot < hl || tot > len - ETH_HLEN)
		return DROP_MALFORMED;
	*why = "an IPv4 fragment (not carried by the user network)";
	if (be16(ip + 6) & (IP_MF | IP_OFFMASK))
		return DROP_FRAGMENT;
	*why = "to 127.0.0.0/8 or 0.0.0.0/8 (host-loopback=off)";
	if (!host_loopback && (ip[16] == 127 || ip[16] == 0))
		return DROP_LOOPBACK;
	*why = "not TCP, UDP or ICMP";
	if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP && ip[9] != IPPROTO_ICMP)
		return DROP_PROTOCOL;
	*why = l4_check(ip[9], ip + hl, tot - hl);
	return *why ? DROP_MALFORMED : PASS;
}

static int user_send(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct user *u = n->be_priv;
	const char *why;
	size_t len = 0;
	int drop;

	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > sizeof(u->frame) - len)
			return -EMSGSIZE;
		memcpy(u->frame + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if ((drop = frame_check(u->frame, len, n->conf.host_loopback, &why))) {
		if (!u->dropped[drop]++)
			vmm_verbose(n->dev->vm,
			            "user-mode network: dropped a frame from the guest: %s "
			            "(the next of its kind only counted)",
			            why);
		return -EPROTO;
	}
	slirp_input(u->slirp, u->frame, (int)len);
	return 0;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct user *u = opaque;
	short ev = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
	                   ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
	                   ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));
	int i = vmm_poll_add(u->ps, fd, ev);

	return i < 0 ? -1 : i - (int)u->ps_base;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct user *u = opaque;
	short re;

	if (idx < 0 || u->ps_base + (unsigned)idx >= u->ps->n)
		return 0;
	re = u->ps->fd[u->ps_base + idx].revents;
	return ((re & POLLIN) ? SLIRP_POLL_IN : 0) | ((re & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((re & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((re & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((re & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static int user_poll(struct vmm_net *n, struct vmm_pollset *ps, int want_rx)
{
	struct user *u = n->be_priv;
	uint32_t timeout = UINT32_MAX;
	int64_t now = now_ns() / 1000000;

	(void)want_rx; /* slirp's frames are dropped while the guest has no buffers */
	u->ps = ps;
	u->ps_base = ps->n;
	for (int i = 0; i < TIMERS_MAX; i++) {
		const struct user_timer *t = &u->timer[i];
		if (t->used && t->expire_ms >= 0)
			timeout = t->expire_ms <= now
			              ? 0
			              : (uint32_t)(t->expire_ms - now < timeout ? t->expire_ms - now
			                                                        : timeout);
	}
	slirp_pollfds_fill(u->slirp, &timeout, cb_add_poll, u);
	return timeout == UINT32_MAX ? -1 : (int)(timeout > INT32_MAX ? INT32_MAX : timeout);
}

static int user_poll_done(struct vmm_net *n, struct vmm_pollset *ps)
{
	struct user *u = n->be_priv;
	int64_t now;

	u->ps = ps;
	slirp_pollfds_poll(u->slirp, 0, cb_get_revents, u);
	now = now_ns() / 1000000;
	for (int i = 0; i < TIMERS_MAX; i++) {
		struct user_timer *t = &u->timer[i];
		if (t->used && t->expire_ms >= 0 && t->expire_ms <= now) {
			t->expire_ms = -1;
			slirp_handle_timer(u->slirp, t->id, t->cb_opaque);
		}
	}
	return 0;
}

static void user_teardown(struct vmm_net *n)
{
	struct user *u = n->be_priv;

	for (int k = PASS + 1; k < DROP_KINDS; k++)
		if (u->dropped[k])
			vmm_verbose(
			    n->dev->vm,
			    "user-mode network: %llu %s from the guest dropped before libslirp",
			    (unsigned long long)u->dropped[k], drop_name[k]);
	close_holds(u);
	slirp_cleanup(u->slirp);
	free(u);
}

const struct vmm_net_backend vmm_net_user = {
	.name = "user",
	.vnet_hdr = 0,
	.offloads = 0, /* slirp takes whole frames with finished checksums */
	.open = user_open,
	.reset = user_reset,
	.listen = user_listen,
	.send = user_send,
	.poll = user_poll,
	.poll_done = user_poll_done,
	.teardown = user_teardown,
};
