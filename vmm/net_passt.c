/*
 * User-mode networking through passt (--net passt): rootless, as
 * --net user, but the frames go to Debian's passt, a program of its own
 * that podman 5 runs beside its containers (as pasta) and QEMU beside its
 * VMs. ukrun keeps the virtio-net device; passt terminates the guest's
 * TCP and UDP in host sockets, answers ARP and DHCP, forwards DNS and the
 * published ports. Why beside libslirp (net_user.c, net_slirp.c): passt
 * keeps a large window (the kernel's socket buffers; libslirp 4.7 has no
 * window scaling: 64 KiB in flight), and it is built and sandboxed
 * (namespaces, seccomp, no file) to face a hostile guest.
 *
 * The link is QEMU's stream protocol: one SOCK_STREAM socketpair, each
 * frame a 4-byte big-endian length and the frame, both ways. passt is
 * started with its end (-F 3, -1: it ends when ukrun's end closes, ukrun's
 * own end included), through helper.c as ukrun's helpers are: known by a
 * pidfd, and one that ends while the VM runs stops it (status 125).
 * Set-up waits until passt answers an ARP request for the gateway: by then
 * its forwards' host ports are bound (passt binds them before its first
 * frame), or it ended with its message (a port taken).
 *
 * The guest sees what --net user gives it: 10.0.2.15/24 by DHCP (or
 * --ip/--gw) and the gateway 10.0.2.2, IPv4 only (-4). Differences from
 * libslirp: DNS is the host's resolver as passt offers it (the gateway
 * when the host's resolver is on its loopback); a published TCP port is
 * open from the start (passt listens at once: a client that comes before
 * the guest listens is reset rather than refused); and the gateway's
 * address is the host's loopback for passt (its --map-gw, which a client
 * on the host's loopback and the guest's UDP answers need), so unless
 * host-loopback=on ukrun drops what the guest itself starts toward it
 * (gw_check) and answers a SYN there with a reset: ECONNREFUSED rather
 * than libslirp's ENETUNREACH.
 *
 * Each frame from the guest is copied and checked as for libslirp
 * (net_frame.c: IPv4 only, nothing to the host's loopback), frames for
 * passt are queued and go in one write after a pass over the TX queue;
 * frames from passt are read many at a time into a buffer and copied
 * into the guest's receive buffers. ukrun itself opens nothing: read and
 * sendto on a socket made at set-up (the calls --net user has).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define LEN_LEN 4 /* the stream protocol's frame length */
#define FRAME_MAX (14 + 4 + UK_VIRTIO_NET_MTU_USER)
#define TX_BYTES (256u << 10)
#define RX_BYTES (512u << 10)
#define SOCK_BUF (1 << 20)
#define READY_MS 30000
#define RST_MAX 4
#define RST_LEN 54 /* Ethernet, IPv4, TCP: no options */

struct passt {
	int helper; /* its id (helper.c) */
	int fd;     /* ukrun's end of the stream */
	int gone;   /* its end closed or it broke the protocol: killed */
	int poll_idx;
	struct in_addr gw; /* passt's address for the host's loopback */
	/* Resets for the guest's SYNs to it (gw_check), before passt's frames. */
	uint8_t rst[RST_MAX][RST_LEN];
	unsigned nrst;
	uint64_t dropped[VMM_FRAME_KINDS];
	uint64_t tx_calls, rx_calls; /* writes and reads that moved bytes */
	/* to passt, [length][frame]...: tx_buf[tx_off .. tx_used) */
	size_t tx_off, tx_used;
	uint8_t tx_buf[TX_BYTES];
	/* from passt: rx_buf[rx_off .. rx_used) */
	size_t rx_off, rx_used;
	uint8_t rx_buf[RX_BYTES];
};

static void passt_gone(struct passt *p)
{
	if (!p->gone)
		vmm_helper_kill(p->helper);
	p->gone = 1;
}

static uint32_t get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* ---- the stream ---- */

/* The next whole frame in rx_buf: its length (its bytes at rx_buf +
 * rx_off + LEN_LEN), 0 when none is whole yet, -1 when the length is not
 * one of a frame (passt broke the protocol). */
static long rx_frame(struct passt *p)
{
	size_t have = p->rx_used - p->rx_off;
	uint32_t len;

	if (have < LEN_LEN)
		return 0;
	len = get_be32(p->rx_buf + p->rx_off);
	if (len < 14 || len > FRAME_MAX)
		return -1;
	return have - LEN_LEN >= len ? (long)len : 0;
}

/* Read what passt sent, after what is buffered: 1 bytes came, 0 none
 * waits, -1 its end closed or failed. */
static int rx_fill(struct passt *p)
{
	ssize_t r;

	if (p->rx_off) { /* what is left to the front: a frame always fits */
		memmove(p->rx_buf, p->rx_buf + p->rx_off, p->rx_used - p->rx_off);
		p->rx_used -= p->rx_off;
		p->rx_off = 0;
	}
	do
		r = read(p->fd, p->rx_buf + p->rx_used, RX_BYTES - p->rx_used);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0)
		return -1;
	p->rx_used += (size_t)r;
	p->rx_calls++;
	return 1;
}

/* The next frame, read when none is buffered: its length, 0 none, -1
 * passt is gone (killed). */
static long rx_next(struct passt *p)
{
	long len = rx_frame(p);

	if (len == 0 && !p->gone) {
		if (rx_fill(p) < 0) {
			passt_gone(p);
			return -1;
		}
		len = rx_frame(p);
	}
	if (len < 0) {
		vmm_err("passt: a frame length outside 14 to %d bytes: stopping it", FRAME_MAX);
		passt_gone(p);
	}
	return len;
}

/* ---- set-up ---- */

/* An ARP request for the gateway from the guest's address. */
static void arp_probe(const struct vmm_net *n, struct in_addr ip, struct in_addr gw, uint8_t *f)
{
	static const uint8_t head[] = { 0, 1, 8, 0, 6, 4, 0, 1 }; /* Ethernet, IPv4, request */

	memset(f, 0xff, 6);
	memcpy(f + 6, n->cfg.mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	memcpy(f + 14, head, sizeof(head));
	memcpy(f + 22, n->cfg.mac, 6);
	memcpy(f + 28, &ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &gw, 4);
}

static int is_arp_reply(const uint8_t *f, long len, struct in_addr gw)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       !memcmp(f + 28, &gw, 4);
}

/* Wait until passt answers the probe: it is in its loop, its ports
 * bound. 0, or -1 with a message. Frames before the answer are dropped:
 * the guest has not run, so none is an answer it waits for. */
static int wait_ready(struct vmm_net *n, struct passt *p, struct in_addr ip, struct in_addr gw)
{
	struct pollfd pf = { .fd = p->fd, .events = POLLIN };
	double deadline = vmm_now() + READY_MS / 1e3;
	uint8_t probe[LEN_LEN + 42];
	long len;

	put_be32(probe, 42);
	arp_probe(n, ip, gw, probe + LEN_LEN);
	if (send(p->fd, probe, sizeof(probe), MSG_NOSIGNAL) != (ssize_t)sizeof(probe))
		goto ended;
	for (;;) {
		double left;
		while ((len = rx_next(p)) > 0) {
			uint8_t *f = p->rx_buf + p->rx_off + LEN_LEN;
			p->rx_off += LEN_LEN + (size_t)len;
			if (is_arp_reply(f, len, gw))
				return 0;
		}
		if (len < 0)
			goto ended;
		/* (tested before each poll: frames that keep coming are no answer) */
		left = deadline - vmm_now();
		if (left <= 0 || poll(&pf, 1, (int)(left * 1e3) + 1) == 0) {
			vmm_err("--net passt: passt did not answer in %d s: stopping it",
			        READY_MS / 1000);
			passt_gone(p);
			return -1;
		}
	}
ended:
	vmm_err("--net passt: passt ended before it was ready (it said why above)");
	return -1;
}

/* PATH's passt, or NULL. */
static const char *find_passt(char *buf, size_t size)
{
	const char *path = getenv("PATH") ?: "/usr/bin:/bin", *end;

	for (; *path; path = *end ? end + 1 : end) {
		end = strchrnul(path, ':');
		if (end > path &&
		    snprintf(buf, size, "%.*s/passt", (int)(end - path), path) < (int)size &&
		    access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* passt's command line: the user network's addresses, the forwards. */
struct passt_args {
	char *argv[2 * VMM_NET_FWD_MAX + 40];
	char fwd[VMM_NET_FWD_MAX][48], ip[16], gw[16], prefix[4], mtu[8], runas[24];
};

static void make_args(const struct vmm_net *n, const struct vmm_opts *o, struct passt_args *a,
                      struct in_addr ip, struct in_addr gw)
{
	const struct vmm_net_conf *c = &n->conf;
	int k = 0;
	char **v = a->argv;

	v[k++] = "passt";
	v[k++] = "--foreground";
	v[k++] = "--quiet";
	v[k++] = "--one-off"; /* ends with ukrun's end of the stream */
	v[k++] = "--fd";
	v[k++] = "3";
	v[k++] = "--ipv4-only";
	inet_ntop(AF_INET, &ip, a->ip, sizeof(a->ip));
	inet_ntop(AF_INET, &gw, a->gw, sizeof(a->gw));
	snprintf(a->prefix, sizeof(a->prefix), "%d", c->ip.s_addr ? c->prefix : 24);
	snprintf(a->mtu, sizeof(a->mtu), "%u", (unsigned)c->mtu);
	v[k++] = "--address", v[k++] = a->ip;
	v[k++] = "--netmask", v[k++] = a->prefix;
	v[k++] = "--gateway", v[k++] = a->gw;
	v[k++] = "--mtu", v[k++] = a->mtu;
	/* The ids ukrun ends with, so that it may stop passt (passt would
	 * take nobody's when started as root). */
	snprintf(a->runas, sizeof(a->runas), "%u:%u", o->user ? o->uid : (unsigned)getuid(),
	         o->user ? o->gid : (unsigned)getgid());
	v[k++] = "--runas", v[k++] = a->runas;
	for (int i = 0; i < c->nfwd; i++) {
		const struct vmm_net_fwd *f = &c->fwd[i];
		char addr[16] = "";
		if (f->host_addr.s_addr != htonl(INADDR_ANY))
			snprintf(addr, sizeof(addr), "%s/", inet_ntoa(f->host_addr));
		snprintf(a->fwd[i], sizeof(a->fwd[i]), "%s%u:%u", addr, f->host_port,
		         f->guest_port);
		v[k++] = f->udp ? "--udp-ports" : "--tcp-ports";
		v[k++] = a->fwd[i];
	}
	v[k] = NULL;
}

static int start_passt(struct vmm_net *n, struct passt *p, int *theirs)
{
	struct in_addr ip = n->conf.ip, gw = n->conf.gw;
	struct passt_args *a = calloc(1, sizeof(*a));
	char path[512];
	int r = -1;

	if (!ip.s_addr)
		inet_aton("10.0.2.15", &ip);
	if (!gw.s_addr)
		inet_aton("10.0.2.2", &gw);
	if (!a)
		return -1;
	if (!find_passt(path, sizeof(path))) {
		vmm_err("--net passt: no passt in PATH (Debian's package passt; or --net user)");
		goto out;
	}
	p->gw = gw;
	make_args(n, n->dev->vm->opts, a, ip, gw);
	p->helper = vmm_helper_run(n->dev->vm, "passt (--net passt)", path, a->argv, theirs, 1);
	close(*theirs); /* passt's alone now: its end is the end */
	*theirs = -1;
	if (p->helper >= 0)
		r = wait_ready(n, p, ip, gw);
out:
	free(a);
	return r;
}

static int passt_open(struct vmm_net *n)
{
	struct passt *p = calloc(1, sizeof(*p));
	int sv[2], size = SOCK_BUF, r;

	if (!p)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		vmm_err("--net passt: socketpair: %s", strerror(errno));
		free(p);
		return -1;
	}
	for (int i = 0; i < 2; i++) { /* a smaller buffer still works: best effort */
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	p->fd = sv[0];
	r = fcntl(p->fd, F_SETFL, O_NONBLOCK) ? -1 : start_passt(n, p, &sv[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (r) {
		close(p->fd);
		free(p);
		return -1;
	}
	n->be_priv = p;
	n->dev->vm->needs |= VMM_NEED_NET_USER;
	return 0;
}

/* ---- the data path (device thread) ---- */

/* The queued frames to passt: 0 all written, -EAGAIN some wait for room
 * in the socket, -EPIPE it is gone (they are lost). */
static int passt_flush(struct vmm_net *n)
{
	struct passt *p = n->be_priv;
	ssize_t r;

	while (p->tx_off < p->tx_used && !p->gone) {
		r = sendto(p->fd, p->tx_buf + p->tx_off, p->tx_used - p->tx_off, MSG_NOSIGNAL, NULL,
		           0);
		if (r > 0) {
			p->tx_off += (size_t)r;
			p->tx_calls++;
		} else if (r < 0 && errno == EAGAIN) {
			return -EAGAIN;
		} else if (r < 0 && errno != EINTR) {
			passt_gone(p);
		}
	}
	r = p->tx_off < p->tx_used ? -EPIPE : 0;
	p->tx_off = p->tx_used = 0;
	return (int)r;
}

/* passt maps the gateway's address to the host's loopback (--map-gw,
 * its default): that is how a client on this host's loopback reaches a
 * published port, and how the guest's UDP answers get back to it. Unless
 * host-loopback=on, what the guest itself starts toward the gateway is
 * dropped: a TCP SYN, and UDP but from a published UDP port of the guest's
 * (its answers) or to DNS's port (passt gives the gateway as the DNS
 * server when the host's resolver is on its loopback). ICMP echo there is
 * passt's own answer. VMM_FRAME_PASS or VMM_FRAME_LOOPBACK with *why. */
static int gw_check(const struct vmm_net *n, struct in_addr gw, const uint8_t *f, const char **why)
{
	const uint8_t *ip = f + 14, *l4;
	unsigned sport;

	if (n->conf.host_loopback || f[12] != 0x08 || f[13] != 0x00 || memcmp(ip + 16, &gw, 4))
		return VMM_FRAME_PASS; /* (the frame passed vmm_net_frame_check: headers within) */
	l4 = ip + (ip[0] & 15) * 4;
	*why = "a connection to the gateway, the host's loopback (host-loopback=off)";
	if (ip[9] == IPPROTO_TCP)
		return (l4[13] & 0x12) == 0x02 ? VMM_FRAME_LOOPBACK
		                               : VMM_FRAME_PASS; /* SYN alone */
	if (ip[9] != IPPROTO_UDP || (l4[2] << 8 | l4[3]) == 53)
		return VMM_FRAME_PASS;
	sport = (unsigned)l4[0] << 8 | l4[1];
	for (int i = 0; i < n->conf.nfwd; i++)
		if (n->conf.fwd[i].udp && n->conf.fwd[i].guest_port == sport)
			return VMM_FRAME_PASS;
	*why = "UDP to the gateway, the host's loopback, not from a published port "
	       "(host-loopback=off)";
	return VMM_FRAME_LOOPBACK;
}

static uint16_t csum(uint32_t sum, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The answer to a SYN gw_check dropped: a reset from the gateway, so the
 * guest's connect fails at once (ECONNREFUSED) rather than after its
 * retransmissions, as from a host with nothing listening. f passed
 * vmm_net_frame_check: a TCP header within it. */
static void rst_queue(struct passt *p, const uint8_t *f)
{
	const uint8_t *ip = f + 14, *tcp = ip + (ip[0] & 15) * 4;
	uint8_t *r = p->rst[p->nrst], *rip = r + 14, *rtcp = rip + 20;
	uint32_t seq = get_be32(tcp + 4) + 1, sum;

	if (p->nrst == RST_MAX)
		return; /* the guest's next SYN gets one */
	memset(r, 0, RST_LEN);
	memcpy(r, f + 6, 6); /* to the guest's MAC, from the one it sent to */
	memcpy(r + 6, f, 6);
	r[12] = 0x08;
	rip[0] = 0x45, rip[3] = 40, rip[8] = 64, rip[9] = IPPROTO_TCP;
	memcpy(rip + 12, ip + 16, 4);
	memcpy(rip + 16, ip + 12, 4);
	sum = csum(0, rip, 20);
	rip[10] = (uint8_t)(sum >> 8), rip[11] = (uint8_t)sum;
	memcpy(rtcp, tcp + 2, 2); /* ports swapped */
	memcpy(rtcp + 2, tcp, 2);
	put_be32(rtcp + 8, seq);
	rtcp[12] = 5 << 4, rtcp[13] = 0x14; /* RST, ACK */
	/* pseudo-header: addresses, protocol, TCP length */
	sum = csum(IPPROTO_TCP + 20 + ((uint32_t)rip[12] << 8 | rip[13]) +
	               ((uint32_t)rip[14] << 8 | rip[15]) + ((uint32_t)rip[16] << 8 | rip[17]) +
	               ((uint32_t)rip[18] << 8 | rip[19]),
	           rtcp, 20);
	rtcp[16] = (uint8_t)(sum >> 8), rtcp[17] = (uint8_t)sum;
	p->nrst++;
}

static int passt_send(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct passt *p = n->be_priv;
	const char *why;
	uint8_t *msg;
	size_t len = 0;
	int drop, r;

	for (int k = 0; k < cnt; k++)
		len += iov[k].iov_len;
	if (len > FRAME_MAX)
		return -EMSGSIZE;
	if (p->gone)
		return -EPIPE;
	if (LEN_LEN + len > TX_BYTES - p->tx_used && (r = passt_flush(n)))
		return r; /* -EAGAIN: this frame waits in the guest's ring */
	/* A copy first: the guest cannot change the frame after the check. */
	msg = p->tx_buf + p->tx_used;
	for (int k = 0, at = LEN_LEN; k < cnt; at += (int)iov[k].iov_len, k++)
		memcpy(msg + at, iov[k].iov_base, iov[k].iov_len);
	drop = vmm_net_frame_check(msg + LEN_LEN, len, n->conf.host_loopback, &why);
	if (!drop && (drop = gw_check(n, p->gw, msg + LEN_LEN, &why)))
		rst_queue(p, msg + LEN_LEN);
	if (drop) {
		if (!p->dropped[drop]++)
			vmm_verbose(n->dev->vm,
			            "passt network: dropped a frame from the guest: %s "
			            "(the next of its kind only counted)",
			            why);
		return -EPROTO;
	}
	put_be32(msg, (uint32_t)len);
	p->tx_used += LEN_LEN + len;
	return 0;
}

static ssize_t passt_recv(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	static const uint8_t zero[HDR_LEN];
	struct passt *p = n->be_priv;
	long len = p->nrst ? RST_LEN : rx_next(p);
	const uint8_t *f;
	size_t room = 0, at = 0, want;

	if (len <= 0)
		return 0;
	if (p->nrst) {
		f = p->rst[--p->nrst];
	} else {
		f = p->rx_buf + p->rx_off + LEN_LEN;
		p->rx_off += LEN_LEN + (size_t)len;
	}
	for (int k = 0; k < cnt; k++)
		room += iov[k].iov_len;
	if (HDR_LEN + (size_t)len > room)
		return -EMSGSIZE;
	/* The header (no offload: whole frames, checksums done), then the frame. */
	for (int k = 0; k < cnt && at < HDR_LEN + (size_t)len; k++) {
		uint8_t *d = iov[k].iov_base;
		for (size_t o = 0; o < iov[k].iov_len && at < HDR_LEN + (size_t)len; o += want) {
			const uint8_t *s = at < HDR_LEN ? zero + at : f + (at - HDR_LEN);
			want = at < HDR_LEN ? HDR_LEN - at : (size_t)len - (at - HDR_LEN);
			if (want > iov[k].iov_len - o)
				want = iov[k].iov_len - o;
			memcpy(d + o, s, want);
			at += want;
		}
	}
	return (ssize_t)at;
}

/* The next frame's length with its header (passt_recv's), 0 when none. */
static ssize_t passt_peek(struct vmm_net *n)
{
	struct passt *p = n->be_priv;
	long len = p->nrst ? RST_LEN : rx_next(p);

	return len > 0 ? (ssize_t)(HDR_LEN + (size_t)len) : 0;
}

static int passt_poll(struct vmm_net *n, struct vmm_pollset *ps, int want_rx, int want_tx)
{
	struct passt *p = n->be_priv;
	short ev = (short)((want_rx ? POLLIN : 0) | (want_tx ? POLLOUT : 0));

	p->poll_idx = ev && !p->gone ? vmm_poll_add(ps, p->fd, ev) : -1;
	/* Frames already read wait for no readiness of the socket. */
	return want_rx && (p->nrst || rx_frame(p) > 0) ? 0 : -1;
}

static int passt_poll_done(struct vmm_net *n, struct vmm_pollset *ps)
{
	struct passt *p = n->be_priv;
	int ready = p->nrst || rx_frame(p) > 0 ? VMM_NET_RX_READY : 0;
	short re;

	if (p->poll_idx < 0)
		return ready;
	re = ps->fd[p->poll_idx].revents;
	if (re & (POLLHUP | POLLERR)) {
		passt_gone(p);
		return VMM_NET_RX_READY | VMM_NET_TX_READY;
	}
	return ready | ((re & POLLIN) ? VMM_NET_RX_READY : 0) |
	       ((re & POLLOUT) ? VMM_NET_TX_READY : 0);
}

static void passt_teardown(struct vmm_net *n)
{
	struct passt *p = n->be_priv;

	for (int k = VMM_FRAME_PASS + 1; k < VMM_FRAME_KINDS; k++)
		if (p->dropped[k])
			vmm_verbose(n->dev->vm,
			            "passt network: %llu %s from the guest dropped before passt",
			            (unsigned long long)p->dropped[k], vmm_net_frame_drop_name(k));
	vmm_verbose(n->dev->vm,
	            "passt network: %llu frames to passt in %llu writes, %llu frames from it "
	            "in %llu reads",
	            (unsigned long long)n->tx_frames, (unsigned long long)p->tx_calls,
	            (unsigned long long)n->rx_frames, (unsigned long long)p->rx_calls);
	close(p->fd); /* passt sees the end, and ends (--one-off) */
	free(p);
}

const struct vmm_net_backend vmm_net_passt = {
	.name = "passt",
	.vnet_hdr = 0, /* whole frames, both ways */
	.offloads = 0, /* passt takes frames with finished checksums */
	.open = passt_open,
	.send = passt_send,
	.tx_wait = 1,
	.flush = passt_flush,
	.recv = passt_recv,
	.peek = passt_peek,
	.poll = passt_poll,
	.poll_done = passt_poll_done,
	.teardown = passt_teardown,
};
