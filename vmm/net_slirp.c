/*
 * The network helper: `ukrun --helper net`, the user-mode network
 * (--net user, -p) in a process of its own, as the 9P gofer is one
 * (helper.c). It runs Debian's libslirp: the guest sees 10.0.2.0/24 with
 * the gateway 10.0.2.2, DNS at 10.0.2.3 (slirp forwards to the host's
 * resolvers, from /etc/resolv.conf) and gets 10.0.2.15 by DHCP; host ports
 * forward to the guest (hostfwd). Every host socket of the user network
 * is here, and so is every byte of libslirp's parsing of the guest's
 * frames: a frame that crashes it ends this process, not ukrun, which
 * then stops the VM naming it (status 125), as a dead gofer does.
 *
 * It holds two sockets to ukrun's virtio-net device (net_user.c, net.h's
 * VMM_NETH_*), the frames rings (memory ukrun maps too, net_ring.c) and
 * their two eventfds, and nothing else of ukrun's: no /dev/kvm, no guest
 * memory. Frames go both ways through the rings; what ukrun sends is
 * checked again before libslirp sees it (net_frame.c), as its lengths in
 * the ring are. Frames for the guest that find
 * the ring to ukrun full (the guest gives no buffers, or ukrun is slow) are
 * kept, oldest first, as QEMU's network queue keeps them: a frame dropped
 * here costs the peer's TCP a retransmission timeout (libslirp's is a
 * second at least). Bounded: a guest that stops reading loses frames
 * again.
 *
 * A TCP forward is open on the host (slirp listens there) only while the
 * guest listens on its guest port (ukrun passes the driver's word on, and
 * answers the driver once the port is open here). While it is closed the
 * helper holds the host port bound without listening: the port stays
 * taken, and a client's connection is refused at once (a reset:
 * ECONNREFUSED), as by a host whose server has not started yet, rather
 * than accepted by slirp for a guest that cannot take it. UDP forwards
 * are open all the time.
 *
 * IPv6 too, as QEMU's user network has it: the prefix fec0::/64, the
 * gateway fec0::2, DNS at fec0::3; the guest takes its address from
 * slirp's router advertisements (SLAAC). A forward from an IPv6 host
 * address ([::1]) goes to the guest's IPv6 address (libslirp 4.7 does
 * not forward between the families): a server on the guest's [::]
 * answers it.
 *
 * 10.0.2.2 (fec0::2) is the host, but not the host's loopback: libslirp
 * would turn a connection to it into one to the host's 127.0.0.1 (::1),
 * where services that trust the local machine listen (docker's and
 * podman's rootless networks close it the same way). The guest gets
 * "network unreachable" there unless --net user,host-loopback=on; only
 * its answers to a UDP forward's clients on the host's loopback go there
 * (net_udpfwd.c).
 *
 * Confined from before the first frame (net_seccomp.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <linux/capability.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define TIMERS_MAX 16
#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define BACKLOG_BYTES (8u << 20)
#define IN_BATCH 64  /* frames from ukrun a turn, before slirp's sockets get theirs */
#define HELD_MAX 32  /* connections whose last acknowledgement waits for the turn's end */
#define HELD_LEN 128 /* an acknowledgement's frame: 54 bytes (60 padded) */

struct slirp_timer {
	int used;
	int64_t expire_ms; /* -1: not armed */
	SlirpTimerId id;
	void *cb_opaque;
};

struct slirp_fwd {
	int hold_fd;   /* the host port bound, not listening, while closed; or -1 */
	int open;      /* slirp listens on the host port */
	int listeners; /* the guest's listeners on its guest port */
};

/* libslirp's last acknowledgement of a connection this turn, not sent yet. */
struct held {
	struct vmm_net_flow flow;
	uint32_t ack;
	size_t len;
	uint8_t frame[HELD_LEN];
};

/* A frame for the guest that found ukrun's socket full. */
struct kept {
	struct kept *next;
	size_t len; /* header and frame */
	uint8_t data[];
};

struct helper {
	const char *name;
	Slirp *slirp;
	struct vmm_net_conf conf;
	struct slirp_fwd fwd[VMM_NET_FWD_MAX]; /* as conf.fwd */
	struct slirp_timer timer[TIMERS_MAX];
	struct vmm_epset ps; /* ukrun's two sockets and slirp's (net_epset.c) */
	int ukrun_gone;      /* a send to ukrun failed for good */
	int poll_failed;     /* this turn's set could not be made */
	struct kept *kept, *kept_tail;
	size_t kept_bytes, kept_peak;
	struct held held[HELD_MAX];
	unsigned nheld;
	/* Frames for ukrun, into the ring to it, published (and ukrun woken
	 * once) at the turn's end (out_flush): each frame a message woke
	 * ukrun's device thread, which on a busy host took the core from this
	 * process at once, so a turn of n frames cost n round trips. */
	struct vmm_ring_tx out;
	uint64_t to_guest, from_guest, kept_count, lost, refused, folded;
	uint64_t out_calls;      /* wake-ups of ukrun for frames */
	uint64_t merged, merges; /* segments merged, into how many (net_merge.c) */
	struct vmm_net_merge mrg;
	uint8_t mrg_buf[14 + UK_VIRTIO_NET_MTU_USER];
	struct vmm_neth_ring *ring; /* frames from ukrun (net_ring.c) */
	struct vmm_neth_rings *rings;
	uint32_t ring_tail;
	int ring_more;         /* frames wait beyond this turn's IN_BATCH */
	struct vmm_udpfwd udp; /* answers to UDP forwards (net_udpfwd.c) */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- frames for the guest ---- */

static const struct uk_virtio_net_hdr zero_hdr; /* whole frames, checksums done */

static void keep(struct helper *h, const void *frame, size_t len)
{
	struct kept *k;

	if (h->kept_bytes + HDR_LEN + len > BACKLOG_BYTES ||
	    !(k = malloc(sizeof(*k) + HDR_LEN + len))) {
		h->lost++;
		return;
	}
	k->next = NULL;
	k->len = HDR_LEN + len;
	memset(k->data, 0, HDR_LEN);
	memcpy(k->data + HDR_LEN, frame, len);
	if (h->kept_tail)
		h->kept_tail->next = k;
	else
		h->kept = k;
	h->kept_tail = k;
	h->kept_bytes += k->len;
	h->kept_count++;
	if (h->kept_bytes > h->kept_peak)
		h->kept_peak = h->kept_bytes;
}

/* A frame into the ring to ukrun (net_ring.c): 1, 0 when it has no room
 * now (ukrun is asked to say when it made some), -1 when ukrun broke it. */
static int ring_out(struct helper *h, const void *frame, size_t len)
{
	int r = vmm_ring_room(&h->out, HDR_LEN + len);
	uint8_t *p;

	if (r == 0) {
		__atomic_store_n(&h->out.r->want_room, 1, __ATOMIC_SEQ_CST);
		r = vmm_ring_room(&h->out, HDR_LEN + len); /* (made meanwhile?) */
	}
	if (r < 0) {
		vmm_err("%s: ukrun broke the ring of frames for the guest", h->name);
		h->ukrun_gone = 1;
	}
	if (r <= 0)
		return r;
	p = vmm_ring_put(&h->out, HDR_LEN + len);
	memcpy(p, &zero_hdr, HDR_LEN);
	memcpy(p + HDR_LEN, frame, len);
	return 1;
}

/* The frames put in the ring go to ukrun, which is woken once for them. */
static void out_flush(struct helper *h)
{
	uint64_t one = 1;

	if (vmm_ring_publish(&h->out) &&
	    write(VMM_NETH_FD_WAKE_UKRUN, &one, sizeof(one)) == sizeof(one))
		h->out_calls++;
}

/* Kept frames, oldest first, while the ring takes them. */
static void flush_kept(struct helper *h)
{
	struct kept *k;

	while ((k = h->kept) && ring_out(h, k->data + HDR_LEN, k->len - HDR_LEN) == 1) {
		h->kept = k->next;
		h->kept_bytes -= k->len;
		free(k);
	}
	if (!h->kept)
		h->kept_tail = NULL;
	out_flush(h);
}

/* A frame to ukrun with the turn's others, or kept behind frames that
 * wait for room in the ring. */
static void emit(struct helper *h, const void *frame, size_t len)
{
	if (h->ukrun_gone)
		return;
	if (h->kept || ring_out(h, frame, len) == 0)
		keep(h, frame, len);
}

/* ---- acknowledgements folded ----
 *
 * libslirp acknowledges every segment of the guest's at once, and each
 * acknowledgement is a frame that wakes ukrun and reaches the guest: as
 * many frames toward the guest as it sent. Within one turn (the guest's
 * frames of a batch, then slirp's sockets), only the last acknowledgement
 * of a connection goes out, when it acknowledges more than the one before
 * (TCP's are cumulative, and it carries the later window); one that
 * acknowledges no more (a duplicate: the guest's fast retransmission
 * counts those) and every other frame go out in order, after the
 * acknowledgements held before them. At the turn's end all go. */

static void held_flush(struct helper *h)
{
	for (unsigned i = 0; i < h->nheld; i++)
		emit(h, h->held[i].frame, h->held[i].len);
	h->nheld = 0;
}

/* 1 when the frame is held (or replaced a held one), 0 when it is to go
 * now. */
static int held_take(struct helper *h, const void *frame, size_t len)
{
	struct vmm_net_flow flow;
	struct held *e = NULL;
	uint32_t ack;

	if (len > HELD_LEN || !vmm_net_frame_pure_ack(frame, len, &flow, &ack)) {
		held_flush(h);
		return 0;
	}
	for (unsigned i = 0; i < h->nheld && !e; i++)
		if (!memcmp(&h->held[i].flow, &flow, sizeof(flow)))
			e = &h->held[i];
	if (e && (int32_t)(ack - e->ack) > 0) {
		h->folded++;
	} else {
		if (e || h->nheld == HELD_MAX)
			held_flush(h); /* order kept */
		e = &h->held[h->nheld++];
		e->flow = flow;
	}
	e->ack = ack;
	e->len = len;
	memcpy(e->frame, frame, len);
	return 1;
}

/* ---- slirp's callbacks ---- */

static ssize_t cb_send(const void *frame, size_t len, void *opaque)
{
	static uint8_t copy[VMM_NETH_MSG_MAX];
	struct helper *h = opaque;
	const void *buf = frame;

	h->to_guest++;
	if (h->udp.nports && len <= sizeof(copy))
		buf = vmm_udpfwd_to_guest(&h->udp, frame, len, now_ms(), copy);
	if (len > VMM_NETH_MSG_MAX - HDR_LEN)
		h->lost++; /* beyond the MTU ukrun told libslirp: never */
	else if (!held_take(h, buf, len))
		emit(h, buf, len);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	vmm_err("user-mode network: guest error: %s", msg);
}

static int64_t cb_clock(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cb_timer_new(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct helper *h = opaque;

	for (int i = 0; i < TIMERS_MAX; i++) {
		if (!h->timer[i].used) {
			h->timer[i] = (struct slirp_timer){ 1, -1, id, cb_opaque };
			return &h->timer[i];
		}
	}
	vmm_err("user-mode network: more than %d timers", TIMERS_MAX);
	return NULL;
}

static void cb_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->used = 0;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

/* A socket slirp made: its number may have named another (net_epset.c). */
static void cb_register_fd(int fd, void *opaque)
{
	struct helper *h = opaque;

	vmm_epset_forget(&h->ps, fd);
}

static void cb_nop_fd(int fd, void *opaque) { (void)fd, (void)opaque; }
static void cb_notify(void *opaque) { (void)opaque; } /* we re-poll every turn */

static const SlirpCb callbacks = {
	.send_packet = cb_send,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_fd,
	.unregister_poll_fd = cb_nop_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new,
};

/* ---- forwards ---- */

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct in6_addr addr6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static struct in_addr guest_addr(const struct vmm_net_conf *c)
{
	return c->ip.s_addr ? c->ip : addr("10.0.2.15");
}

/* The forward's host address and port: its length. */
static socklen_t fwd_host(const struct vmm_net_fwd *f, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (f->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(f->host_port);
		a->sin6_addr = f->host_addr6;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(f->host_port);
	a->sin_addr = f->host_addr;
	return sizeof(*a);
}

/* "127.0.0.1:8080" or "[::1]:8080" */
static const char *fwd_name(const struct vmm_net_fwd *f, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int v6 = f->family == AF_INET6;

	inet_ntop(f->family, v6 ? (const void *)&f->host_addr6 : &f->host_addr, a, sizeof(a));
	snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", f->host_port);
	return buf;
}

static void fwd_err(const struct vmm_net_fwd *f, const char *what)
{
	char host[INET6_ADDRSTRLEN + 8];

	vmm_err("--net user: %s %s %s (is the port in use?)", what, f->udp ? "udp" : "tcp",
	        fwd_name(f, host, sizeof(host)));
}

/* The guest's IPv6 address: SLAAC's in fec0::/64 from its MAC address
 * (EUI-64, as lwIP makes it; ukrun sends the device's MAC in the conf). */
static struct in6_addr guest_addr6(const struct vmm_net_conf *c)
{
	struct in6_addr a = addr6("fec0::");

	a.s6_addr[8] = c->mac[0] ^ 0x02; /* the universal/local bit inverted */
	a.s6_addr[9] = c->mac[1];
	a.s6_addr[10] = c->mac[2];
	a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 0xfe;
	a.s6_addr[13] = c->mac[3];
	a.s6_addr[14] = c->mac[4];
	a.s6_addr[15] = c->mac[5];
	return a;
}

/* slirp_add_hostxfwd's: to the guest's address of the host address's
 * family and port, and flags. */
static int fwd_add(struct helper *h, const struct vmm_net_fwd *f)
{
	struct sockaddr_storage host;
	socklen_t hl = fwd_host(f, &host);
	struct sockaddr_in guest = { .sin_family = AF_INET,
		                     .sin_port = htons(f->guest_port),
		                     .sin_addr = guest_addr(&h->conf) };
	struct sockaddr_in6 guest6 = { .sin6_family = AF_INET6,
		                       .sin6_port = htons(f->guest_port),
		                       .sin6_addr = guest_addr6(&h->conf) };
	int v6 = f->family == AF_INET6;

	return slirp_add_hostxfwd(h->slirp, (struct sockaddr *)&host, hl,
	                          v6 ? (struct sockaddr *)&guest6 : (struct sockaddr *)&guest,
	                          v6 ? sizeof(guest6) : sizeof(guest),
	                          (f->udp ? SLIRP_HOSTFWD_UDP : 0) |
	                              (f->family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0));
}

static void fwd_remove(struct helper *h, const struct vmm_net_fwd *f)
{
	struct sockaddr_storage host;
	socklen_t hl = fwd_host(f, &host);

	slirp_remove_hostxfwd(h->slirp, (struct sockaddr *)&host, hl,
	                      (f->udp ? SLIRP_HOSTFWD_UDP : 0) |
	                          (f->family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0));
}

/* The forward's host port bound (SO_REUSEADDR, as slirp binds it; an
 * IPv6 one IPV6_V6ONLY, as slirp's) but not listening: the fd, or -1
 * with errno. */
static int hold_port(const struct vmm_net_fwd *f)
{
	struct sockaddr_storage a;
	socklen_t al = fwd_host(f, &a);
	int one = 1, fd = socket(f->family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (f->family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&a, al)) {
		e = errno;
		close(fd);
		errno = e;
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

/* 0, or -1 when the forward could not open (said on stderr). */
static int fwd_open(struct helper *h, int i)
{
	const struct vmm_net_fwd *f = &h->conf.fwd[i];
	struct slirp_fwd *sf = &h->fwd[i];
	uint32_t timeout = UINT32_MAX;

	if (sf->hold_fd >= 0)
		close(sf->hold_fd);
	sf->hold_fd = -1;
	if (fwd_add(h, f)) {
		fwd_err(f, "the guest listens, but ukrun cannot forward");
		sf->hold_fd = hold_port(f);
		return -1;
	}
	sf->open = 1;
	vmm_epset_forget_all(&h->ps); /* slirp's listening socket: no register_poll_fd */
	/* Every listening socket slirp has is a forward's. */
	slirp_pollfds_fill(h->slirp, &timeout, cb_widen_backlog, h);
	return 0;
}

static void fwd_close(struct helper *h, int i)
{
	const struct vmm_net_fwd *f = &h->conf.fwd[i];
	struct slirp_fwd *sf = &h->fwd[i];

	if (sf->open)
		fwd_remove(h, f);
	sf->open = 0;
	vmm_epset_forget_all(&h->ps); /* the hold_port below may take its number */
	if (sf->hold_fd < 0 && (sf->hold_fd = hold_port(f)) < 0)
		fwd_err(f, "the guest stopped listening, and ukrun lost");
}

/* UDP forwards open now; TCP ones held until the guest listens. */
static int add_forwards(struct helper *h)
{
	const struct vmm_net_conf *c = &h->conf;

	for (int i = 0; i < c->nfwd; i++)
		h->fwd[i].hold_fd = -1;
	for (int i = 0; i < c->nfwd; i++) {
		const struct vmm_net_fwd *f = &c->fwd[i];
		if (f->udp ? fwd_add(h, f) == 0 : (h->fwd[i].hold_fd = hold_port(f)) >= 0)
			continue;
		fwd_err(f, "cannot forward");
		return -1;
	}
	vmm_epset_forget_all(&h->ps); /* UDP forwards: no register_poll_fd */
	return 0;
}

/* The guest started (on) or stopped listening on a TCP port. */
static int listen_port(struct helper *h, uint32_t port, int on)
{
	int r = 0;

	for (int i = 0; i < h->conf.nfwd; i++) {
		struct slirp_fwd *sf = &h->fwd[i];
		if (h->conf.fwd[i].udp || h->conf.fwd[i].guest_port != port)
			continue;
		if (on && sf->listeners < INT_MAX && sf->listeners++ == 0)
			r |= fwd_open(h, i);
		else if (!on && sf->listeners > 0 && --sf->listeners == 0)
			fwd_close(h, i);
	}
	return r;
}

static void listen_none(struct helper *h)
{
	for (int i = 0; i < h->conf.nfwd; i++) {
		if (h->fwd[i].listeners) {
			h->fwd[i].listeners = 0;
			fwd_close(h, i);
		}
	}
}

/* ---- set-up ---- */

static int cb_no_revents(int idx, void *opaque)
{
	(void)idx, (void)opaque;
	return 0;
}

/* ukrun's conf, checked: the same binary wrote it, but it is input. */
static int read_conf(struct helper *h)
{
	const struct vmm_net_conf *c = &h->conf;
	ssize_t n = read(VMM_NETH_FD_CTL, &h->conf, sizeof(h->conf));

	if (n != (ssize_t)sizeof(h->conf) || c->kind != VMM_NET_USER || c->nfwd < 0 ||
	    c->nfwd > VMM_NET_FWD_MAX || c->mtu < UK_VIRTIO_NET_MTU_MIN ||
	    c->mtu > UK_VIRTIO_NET_MTU_USER) {
		vmm_err("%s: a configuration ukrun never sends (%zd bytes)", h->name, n);
		return -1;
	}
	return 0;
}

static int start_slirp(struct helper *h)
{
	const struct vmm_net_conf *c = &h->conf;
	SlirpConfig cfg = {
		.version = 4,
		.in_enabled = true,
		.vnetwork = addr("10.0.2.0"),
		.vnetmask = addr("255.255.255.0"),
		.vhost = addr("10.0.2.2"),
		.vdhcp_start = addr("10.0.2.15"),
		.vnameserver = addr("10.0.2.3"),
		/* IPv6 as QEMU's user network has it: the guest's address by
		 * SLAAC from slirp's router advertisements */
		.in6_enabled = true,
		.vprefix_addr6 = addr6("fec0::"),
		.vprefix_len = 64,
		.vhost6 = addr6("fec0::2"),
		.vnameserver6 = addr6("fec0::3"),
		.vhostname = "uk",
		.if_mtu = c->mtu, /* the device's, virtio_net.h */
		.if_mru = c->mtu,
		.disable_host_loopback = !c->host_loopback,
	};

	vmm_udpfwd_init(&h->udp, c, guest_addr(c), guest_addr6(c));
	if (!(h->slirp = slirp_new(&cfg, &callbacks, h))) {
		vmm_err("--net user: libslirp could not start");
		return -1;
	}
	/* libslirp reads its clock (a global, in ms) only in slirp_pollfds_poll:
	 * before the first one it is 0, and a UDP socket made then for the
	 * guest's first frames expires at the next (its answer lost). */
	slirp_pollfds_poll(h->slirp, 0, cb_no_revents, h);
	if (add_forwards(h))
		return -1;
	vmm_verbose(NULL,
	            "virtio-net: user-mode network (libslirp %s) in %s, IPv4 and IPv6 "
	            "(fec0::/64), %d forwards, the host's loopback %s",
	            slirp_version_string(), h->name, c->nfwd,
	            c->host_loopback ? "reachable at 10.0.2.2 and fec0::2" : "closed");
	return 0;
}

/* The helper's capabilities: CAP_NET_BIND_SERVICE alone when a TCP
 * forward's host port is below the kernel's unprivileged start (libslirp
 * binds it each time the guest starts to listen), else none (jail.c). */
static int keep_caps(struct helper *h)
{
	static const unsigned bind_service[] = { CAP_NET_BIND_SERVICE };
	unsigned start = 1024;
	int low = 0;
	FILE *f;

	if ((f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r"))) {
		if (fscanf(f, "%u", &start) != 1)
			start = 1024;
		fclose(f);
	}
	for (int i = 0; i < h->conf.nfwd; i++)
		low |= !h->conf.fwd[i].udp && h->conf.fwd[i].host_port < start;
	return vmm_jail_keep(h->name, bind_service, low);
}

/* ---- the loop ---- */

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct helper *h = opaque;

	/* (ukrun's fds are open: slirp's never have their numbers; the
	 * ring's was closed after its mapping and may be one of slirp's) */
	h->poll_failed |= vmm_epset_add(&h->ps, fd,
	                                (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
	                                        ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
	                                        ((events & SLIRP_POLL_PRI) ? POLLPRI : 0))) < 0;
	return fd;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct helper *h = opaque;
	short re;

	re = vmm_epset_revents(&h->ps, idx);
	return ((re & POLLIN) ? SLIRP_POLL_IN : 0) | ((re & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((re & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((re & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((re & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* The first timer due, in ms from now: poll's timeout, -1 for none. */
static int timers_next(const struct helper *h, uint32_t slirp_timeout)
{
	int64_t now = now_ms(), t = slirp_timeout == UINT32_MAX ? -1 : (int64_t)slirp_timeout;

	for (int i = 0; i < TIMERS_MAX; i++) {
		const struct slirp_timer *s = &h->timer[i];
		if (s->used && s->expire_ms >= 0 && (t < 0 || s->expire_ms - now < t))
			t = s->expire_ms <= now ? 0 : s->expire_ms - now;
	}
	return t > INT_MAX ? INT_MAX : (int)t;
}

static void timers_run(struct helper *h)
{
	int64_t now = now_ms();

	for (int i = 0; i < TIMERS_MAX; i++) {
		struct slirp_timer *s = &h->timer[i];
		if (s->used && s->expire_ms >= 0 && s->expire_ms <= now) {
			s->expire_ms = -1;
			slirp_handle_timer(h->slirp, s->id, s->cb_opaque);
		}
	}
}

/* One frame from ukrun, as it sends them: [header][frame]. */
/* The segments merged so far (net_merge.c), if any, to libslirp. */
static void merge_flush(struct helper *h)
{
	unsigned count = h->mrg.count;
	size_t len = vmm_net_merge_end(&h->mrg);
	const char *why;

	if (!len)
		return;
	if (count > 1) {
		h->merged += count;
		h->merges++;
	}
	/* (made of checked frames: checked again all the same) */
	if (vmm_net_frame_check(h->mrg.buf, len, h->conf.host_loopback, &why))
		h->refused += count;
	else
		slirp_input(h->slirp, h->mrg.buf, (int)len);
}

/* A TCP segment that may merge (headers copied to f, whose checks
 * read only those): its payload goes from the ring into the merged
 * segment, copied once, not first into the helper's copy of the frame.
 * 0 when it did not merge: the caller copies the rest and goes on. */
static int from_guest_merge(struct helper *h, const uint8_t *f, const uint8_t *payload, size_t len)
{
	const char *why;

	if (!vmm_net_merge_payload(f, len))
		return 0;
	if (vmm_net_frame_check(f, len, h->conf.host_loopback, &why)) {
		h->refused++;
		return 1;
	}
	if (!vmm_net_merge_add_parts(&h->mrg, f, payload, len)) {
		merge_flush(h); /* what came before it first */
		if (!vmm_net_merge_add_parts(&h->mrg, f, payload, len))
			return 0;
	}
	h->from_guest++;
	return 1;
}

static void from_guest_one(struct helper *h, const uint8_t *msg, size_t n)
{
	static uint8_t own[VMM_NETH_MSG_MAX];
	const uint8_t *f = own + HDR_LEN;
	const char *why;

	/* ukrun checked it; a frame this side refuses means ukrun is not
	 * itself, and libslirp must not see it either way. Checked and used
	 * in a copy of the helper's own: the ring is ukrun's memory too, and
	 * a ukrun not itself could change a frame between the check and
	 * libslirp's reading it. */
	if (n < HDR_LEN || n > VMM_NETH_MSG_MAX) {
		h->refused++;
		return;
	}
	if (n > HDR_LEN + VMM_NET_MERGE_HLEN) {
		memcpy(own, msg, HDR_LEN + VMM_NET_MERGE_HLEN);
		if (from_guest_merge(h, f, msg + HDR_LEN + VMM_NET_MERGE_HLEN, n - HDR_LEN))
			return;
		memcpy(own + HDR_LEN + VMM_NET_MERGE_HLEN, msg + HDR_LEN + VMM_NET_MERGE_HLEN,
		       n - HDR_LEN - VMM_NET_MERGE_HLEN);
	} else {
		memcpy(own, msg, n);
	}
	if (vmm_net_frame_check(f, n - HDR_LEN, h->conf.host_loopback, &why)) {
		h->refused++;
		return;
	}
	h->from_guest++;
	if (h->udp.nports && vmm_udpfwd_answer(&h->udp, own + HDR_LEN, n - HDR_LEN, now_ms()) < 0) {
		h->refused++;
		return;
	}
	if (vmm_net_merge_add(&h->mrg, f, n - HDR_LEN))
		return;
	merge_flush(h); /* what came before it first */
	if (!vmm_net_merge_add(&h->mrg, f, n - HDR_LEN))
		slirp_input(h->slirp, f, (int)(n - HDR_LEN));
}

/* Frames from the guest in the ring, up to IN_BATCH, then the room they
 * took back to ukrun (with word of it when ukrun waits for room). 1 when
 * the ring is broken: ukrun is not itself. */
static int from_guest_batch(struct helper *h)
{
	const uint8_t *f;
	uint64_t one = 1;
	size_t len;
	int got = 0, bad = 0;

	while (got < IN_BATCH && (f = vmm_ring_get(h->ring, &h->ring_tail, &len))) {
		if (!len) {
			vmm_err("%s: the frames ring is broken", h->name);
			bad = 1;
			break;
		}
		from_guest_one(h, f, len);
		got++;
	}
	h->ring_more = got == IN_BATCH;
	if (vmm_ring_release(h->ring, h->ring_tail) &&
	    write(VMM_NETH_FD_WAKE_UKRUN, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return 1;
	return bad;
}

/* The batch, a connection's consecutive segments merged (net_merge.c). */
static int from_guest(struct helper *h)
{
	int r = from_guest_batch(h);

	merge_flush(h);
	return r;
}

/* ukrun's kick drained, and its frames socket read: it sends nothing
 * there, so a message is only ever its end. 1 when it closed. */
static int ukrun_wake(struct helper *h, short kick, short frames)
{
	uint64_t v;
	uint8_t b;

	if ((kick & POLLIN) && read(VMM_NETH_FD_WAKE_HELPER, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 1;
	if (!(frames & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (recv(VMM_NETH_FD_FRAMES, &b, 1, MSG_DONTWAIT) == 0)
		return 1;
	h->refused++;
	return 0;
}

static void summary(const struct helper *h)
{
	vmm_verbose(NULL,
	            "%s: %llu frames to the guest (%llu sends; %llu acknowledgements folded into "
	            "a later one; %llu waited for room in the ring to ukrun, at most %zu KiB; %llu "
	            "lost), %llu from it (%llu refused; %llu TCP segments merged into %llu)",
	            h->name, (unsigned long long)h->to_guest, (unsigned long long)h->out_calls,
	            (unsigned long long)h->folded, (unsigned long long)h->kept_count,
	            h->kept_peak >> 10, (unsigned long long)h->lost,
	            (unsigned long long)h->from_guest, (unsigned long long)h->refused,
	            (unsigned long long)h->merged, (unsigned long long)h->merges);
}

/* One command from ukrun, answered. 1 when ukrun closed its end. */
static int command(struct helper *h)
{
	struct vmm_neth_cmd c;
	ssize_t n = read(VMM_NETH_FD_CTL, &c, sizeof(c));
	uint8_t a = VMM_NETH_OK;

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return 1;
	if (n < 0)
		return 0;
	if (n != (ssize_t)sizeof(c) || c.op < VMM_NETH_LISTEN || c.op > VMM_NETH_END) {
		vmm_err("%s: a command ukrun never sends (%zd bytes)", h->name, n);
		return 1;
	}
	if (c.op == VMM_NETH_LISTEN || c.op == VMM_NETH_UNLISTEN)
		a = listen_port(h, c.port, c.op == VMM_NETH_LISTEN) ? VMM_NETH_FAILED : VMM_NETH_OK;
	else if (c.op == VMM_NETH_RESET)
		listen_none(h);
	else
		summary(h);
	return send(VMM_NETH_FD_CTL, &a, 1, MSG_NOSIGNAL) == 1 ? 0 : 1;
}

/* One turn: ukrun's sockets and slirp's, poll, then what each has. 1 when
 * ukrun is gone (the VM has ended), -1 on a failure. */
static int turn(struct helper *h)
{
	uint32_t timeout = UINT32_MAX;
	short ctl, frames, kick;
	int r;

	vmm_epset_next(&h->ps);
	h->poll_failed = vmm_epset_add(&h->ps, VMM_NETH_FD_CTL, POLLIN) < 0 ||
	                 vmm_epset_add(&h->ps, VMM_NETH_FD_WAKE_HELPER, POLLIN) < 0 ||
	                 vmm_epset_add(&h->ps, VMM_NETH_FD_FRAMES, POLLIN) < 0;
	slirp_pollfds_fill(h->slirp, &timeout, cb_add_poll, h);
	if (h->poll_failed)
		return -1; /* out of memory for the set, or epoll_ctl refused */
	r = vmm_epset_wait(&h->ps, h->ring_more ? 0 : timers_next(h, timeout));
	if (r < 0 && errno != EINTR)
		return -1;
	ctl = r > 0 ? vmm_epset_revents(&h->ps, VMM_NETH_FD_CTL) : 0;
	frames = r > 0 ? vmm_epset_revents(&h->ps, VMM_NETH_FD_FRAMES) : 0;
	kick = r > 0 ? vmm_epset_revents(&h->ps, VMM_NETH_FD_WAKE_HELPER) : 0;
	slirp_pollfds_poll(h->slirp, r < 0, cb_get_revents, h);
	timers_run(h);
	if (h->kept) /* (ukrun's wake-up says it made room; looked at anyway) */
		flush_kept(h);
	/* (the ring is looked at every turn: a kick only wakes the helper) */
	if (ukrun_wake(h, kick, frames) || from_guest(h))
		return 1;
	held_flush(h);
	out_flush(h);
	if ((ctl & (POLLIN | POLLHUP | POLLERR)) && command(h))
		return 1;
	return h->ukrun_gone;
}

int vmm_slirp_main(const char *name, int argc, char **argv)
{
	static struct helper h; /* its frame buffer is large */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	uint8_t a = VMM_NETH_FAILED;
	int r;

	if (argc != 1 || (strcmp(argv[0], "0") && strcmp(argv[0], "1"))) {
		vmm_err("%s: expected one argument, 0 or 1 (--verbose)", name);
		return VMM_EXIT_ERROR;
	}
	vmm_verbose_on = argv[0][0] == '1';
	h.name = name;
	sigaction(SIGPIPE, &ign, NULL); /* a peer gone: EPIPE, not the end */
	if (vmm_epset_init(&h.ps)) {
		vmm_err("%s: epoll_create1: %s", name, strerror(errno));
		return VMM_EXIT_ERROR;
	}
	h.mrg.buf = h.mrg_buf;
	h.rings =
	    mmap(NULL, sizeof(*h.rings), PROT_READ | PROT_WRITE, MAP_SHARED, VMM_NETH_FD_RING, 0);
	h.ring = &h.rings->to_helper;
	h.out.r = &h.rings->to_ukrun;
	if (h.rings == MAP_FAILED) {
		vmm_err("%s: the frames ring: %s", name, strerror(errno));
		return VMM_EXIT_ERROR;
	}
	close(VMM_NETH_FD_RING); /* (the mapping stays) */
	if (read_conf(&h) == 0 && (h.mrg.cap = 14 + h.conf.mtu) && start_slirp(&h) == 0 &&
	    keep_caps(&h) == 0 && vmm_slirp_confine(name, &h.conf) == 0)
		a = VMM_NETH_OK;
	if (send(VMM_NETH_FD_CTL, &a, 1, MSG_NOSIGNAL) != 1 || a != VMM_NETH_OK)
		return VMM_EXIT_ERROR;
	while ((r = turn(&h)) == 0)
		;
	if (r < 0)
		vmm_err("%s: epoll: %s", name, strerror(errno));
	return r < 0 ? VMM_EXIT_ERROR : 0;
}
