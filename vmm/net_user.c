/*
 * User-mode networking (--net user, -p), ukrun's side: rootless, through
 * Debian's libslirp in the network helper, a process of its own
 * (net_slirp.c: the network the guest sees, the forwards, DNS). ukrun
 * keeps the virtio-net device and passes frames: each from the guest is
 * made contiguous, checked (net_frame.c: libslirp crashed on one lone IP
 * fragment; the first of each kind dropped is named under --verbose)
 * in the frames ring, memory the helper maps too (net_ring.c), and a pass
 * over the TX queue's frames wakes the helper once (an eventfd); the
 * helper's frames are read straight into the guest's receive buffers, as
 * a TAP's are. ukrun itself then makes no socket and opens no file for
 * the network (seccomp.c).
 *
 * Set-up starts the helper, sends it the configuration and waits for its
 * word: the forwards' host ports are bound, or ukrun stops with the
 * helper's message. The driver's listen and unlisten commands (the
 * control queue) go to the helper and are answered once done, so a
 * client that connects when the guest says it listens finds the port
 * open.
 *
 * A helper that dies (a crash in libslirp) ends the VM with 125 and a line
 * naming it and its signal (helper.c), as a dead 9P gofer does. Docker
 * and podman keep a container whose slirp4netns or pasta died running
 * without a network; a server that can no longer be reached yet looks
 * alive to its supervisor is worse than one that stops and is restarted.
 * A helper that stops answering (30 s) is killed to the same end.
 *
 * Full ring: the guest's frames wait in its TX ring (send says -EAGAIN,
 * the device waits for the helper's word that it made room) rather than
 * being dropped, as a TCP retransmission would cost a second or more.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define ANSWER_MS 30000
/* Room for several of the largest frames in each direction (Linux
 * doubles it, up to net.core.wmem_max). */
#define SOCK_BUF (1 << 20)

struct user {
	int helper;      /* its id (helper.c) */
	int frames, ctl; /* the sockets to it (net.h, VMM_NETH_*) */
	int kick, wake;  /* eventfds: the helper's wake-up; ukrun's (net.h) */
	int gone;        /* it closed its end or stopped answering: killed */
	int poll_idx, wake_idx;
	int ready_now; /* VMM_NET_*_READY found when the device was to wait */
	uint64_t dropped[VMM_FRAME_KINDS];
	uint64_t tx_calls;            /* kicks of the helper */
	uint64_t ring_full;           /* frames that waited for room in the ring */
	struct vmm_neth_rings *rings; /* (net_ring.c) */
	struct vmm_ring_tx tx;        /* the guest's frames: rings->to_helper */
	uint32_t rx_tail;             /* the helper's: rings->to_ukrun */
};

/* The helper broke the conversation or died: it is killed (reaped by the
 * run loop, which ends the VM naming it), and nothing more goes to it. */
static void helper_gone(struct user *u)
{
	if (!u->gone)
		vmm_helper_kill(u->helper);
	u->gone = 1;
}

/* A message on the control socket and its answer: VMM_NETH_OK or
 * VMM_NETH_FAILED, or -1 when none came within ANSWER_MS. */
static int ask(struct user *u, const void *msg, size_t len)
{
	struct pollfd p = { .fd = u->ctl, .events = POLLIN };
	double deadline = vmm_now() + ANSWER_MS / 1e3;
	uint8_t a;
	int r;

	if (u->gone || send(u->ctl, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		goto gone;
	do
		r = poll(&p, 1, (int)((deadline - vmm_now()) * 1e3) + 1);
	while (r < 0 && errno == EINTR && vmm_now() < deadline);
	if (r == 1 && read(u->ctl, &a, 1) == 1 && a <= VMM_NETH_FAILED)
		return a;
	if (r == 0)
		vmm_err("the network helper did not answer in %d s: stopping it", ANSWER_MS / 1000);
gone:
	helper_gone(u);
	return -1;
}

static int cmd(struct user *u, enum vmm_neth_op op, uint16_t port)
{
	struct vmm_neth_cmd c = { op, port };

	return ask(u, &c, sizeof(c));
}

/* ---- set-up ---- */

static int pair(int sv[2])
{
	int size = SOCK_BUF;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	for (int i = 0; i < 2; i++) /* a smaller buffer still works: best effort */
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return 0;
}

/* The frames ring in memory the helper maps too, and the two eventfds: 0,
 * or -1 with errno (*ring_fd, for the helper, closed after its start).
 * Its size sealed: a helper that could shrink it would make ukrun's next
 * touch of the ring a SIGBUS (its filter allows no ftruncate either). */
static int make_ring(struct user *u, int *ring_fd)
{
	void *p;

	*ring_fd = memfd_create("uk-net-rings", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*ring_fd < 0 || ftruncate(*ring_fd, sizeof(struct vmm_neth_rings)) ||
	    fcntl(*ring_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -1;
	p = mmap(NULL, sizeof(struct vmm_neth_rings), PROT_READ | PROT_WRITE, MAP_SHARED, *ring_fd,
	         0);
	if (p == MAP_FAILED)
		return -1;
	u->rings = p;
	u->tx.r = &u->rings->to_helper;
	u->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return u->kick < 0 || u->wake < 0 ? -1 : 0;
}

/* The helper with its ends of fr and ct (closed here either way) and the
 * ring's. */
static int start_helper(struct vmm_net *n, struct user *u, int fr[2], int ct[2], int ring_fd)
{
	const char *args[] = { vmm_verbose_on ? "1" : "0", NULL };
	int fds[5] = { [VMM_NETH_FD_FRAMES - 3] = fr[1],
		       [VMM_NETH_FD_CTL - 3] = ct[1],
		       [VMM_NETH_FD_RING - 3] = ring_fd,
		       [VMM_NETH_FD_WAKE_HELPER - 3] = u->kick,
		       [VMM_NETH_FD_WAKE_UKRUN - 3] = u->wake };

	u->helper = vmm_helper_start(n->dev->vm, "the network helper", "net", args, fds, 5);
	close(fr[1]);
	close(ct[1]);
	u->frames = fr[0];
	u->ctl = ct[0];
	return u->helper < 0 ? -1 : 0;
}

static void close_all(struct user *u)
{
	int fd[] = { u->frames, u->ctl, u->kick, u->wake };

	for (unsigned i = 0; i < sizeof(fd) / sizeof(fd[0]); i++)
		if (fd[i] >= 0)
			close(fd[i]);
	if (u->rings)
		munmap(u->rings, sizeof(*u->rings));
	free(u);
}

static int user_open(struct vmm_net *n)
{
	struct user *u = calloc(1, sizeof(*u));
	struct vmm_net_conf conf;
	int fr[2] = { -1, -1 }, ct[2] = { -1, -1 }, ring_fd = -1, a, r;

	if (!u)
		return -1;
	n->be_priv = u;
	u->frames = u->ctl = u->kick = u->wake = -1;
	if (make_ring(u, &ring_fd) || pair(fr) || pair(ct)) {
		vmm_err("--net user: the network helper's sockets and ring: %s", strerror(errno));
		for (int i = 0; i < 2; i++)
			if (fr[i] >= 0)
				close(fr[i]);
		if (ring_fd >= 0)
			close(ring_fd);
		goto fail;
	}
	r = start_helper(n, u, fr, ct, ring_fd);
	close(ring_fd); /* (the mapping stays) */
	if (r)
		goto fail;
	/* the guest's MAC address as the device has it: the helper forwards
	 * IPv6 to the address SLAAC makes of it */
	conf = n->conf;
	memcpy(conf.mac, n->cfg.mac, sizeof(conf.mac));
	conf.has_mac = 1;
	a = ask(u, &conf, sizeof(conf));
	if (a < 0)
		vmm_err("--net user: the network helper ended before it was ready");
	if (a != VMM_NETH_OK) /* it said why */
		goto fail;
	n->dev->vm->needs |= VMM_NEED_NET_USER;
	return 0;
fail:
	close_all(u);
	n->be_priv = NULL;
	return -1;
}

/* ---- the guest's listeners, reset ---- */

static void user_listen(struct vmm_net *n, uint16_t guest_port, int on)
{
	cmd(n->be_priv, on ? VMM_NETH_LISTEN : VMM_NETH_UNLISTEN, guest_port);
}

static void user_reset(struct vmm_net *n) { cmd(n->be_priv, VMM_NETH_RESET, 0); }

/* ---- the data path (device thread) ---- */

/* The frames put in the ring go to the helper, which is woken once for
 * them: 0, or -EPIPE when it is gone (they are lost). */
static int user_flush(struct vmm_net *n)
{
	struct user *u = n->be_priv;
	uint64_t one = 1;

	if (u->gone)
		return -EPIPE;
	if (vmm_ring_publish(&u->tx) && write(u->kick, &one, sizeof(one)) == sizeof(one))
		u->tx_calls++;
	return 0;
}

/* Room in the ring for len bytes: 1, 0 (after the frames waiting there
 * went to the helper), -EPIPE when the helper broke the ring. */
static int ring_room(struct user *u, size_t len)
{
	int r = vmm_ring_room(&u->tx, len);

	if (r < 0) {
		vmm_err("the network helper broke the frames ring: stopping it");
		helper_gone(u);
		return -EPIPE;
	}
	return r;
}

static int user_send(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct user *u = n->be_priv;
	const char *why;
	uint8_t *msg;
	size_t len = 0;
	uint32_t head = u->tx.head;
	int drop, r;

	for (int k = 0; k < cnt; k++)
		len += iov[k].iov_len;
	if (len > VMM_NETH_MSG_MAX)
		return -EMSGSIZE;
	if (len < HDR_LEN)
		return -EPROTO;
	if (u->gone)
		return -EPIPE;
	if ((r = ring_room(u, len)) == 0) {
		user_flush(n); /* what it holds goes; then it may have room */
		r = ring_room(u, len);
	}
	if (r == 0)
		u->ring_full++;
	if (r <= 0)
		return r ?: -EAGAIN; /* -EAGAIN: this frame waits in the guest's ring */
	/* A copy first: the guest cannot change the frame after the check. */
	msg = vmm_ring_put(&u->tx, len);
	for (int k = 0, at = 0; k < cnt; at += (int)iov[k].iov_len, k++)
		memcpy(msg + at, iov[k].iov_base, iov[k].iov_len);
	drop = vmm_net_frame_check(msg + HDR_LEN, len - HDR_LEN, n->conf.host_loopback, &why);
	if (drop) {
		u->tx.head = head; /* taken back */
		if (!u->dropped[drop]++)
			vmm_verbose(n->dev->vm,
			            "user-mode network: dropped a frame from the guest: %s "
			            "(the next of its kind only counted)",
			            why);
		return -EPROTO;
	}
	return 0;
}

/* The helper's next frame from its ring, copied into iov (the helper may
 * be hostile: the ring checks the length, and the bytes it changes while
 * they are copied are only the guest's to judge, as any frame's). */
static ssize_t user_recv(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct user *u = n->be_priv;
	struct vmm_neth_ring *r = &u->rings->to_ukrun;
	const uint8_t *f;
	size_t len, room = 0, at = 0;
	uint64_t one = 1;

	if (u->gone || !(f = vmm_ring_get(r, &u->rx_tail, &len)))
		return 0;
	if (!len) {
		vmm_err("the network helper broke the ring of frames for the guest: stopping it");
		helper_gone(u);
		return 0;
	}
	for (int k = 0; k < cnt; k++)
		room += iov[k].iov_len;
	for (int k = 0; k < cnt && at < len && len <= room; k++) {
		size_t c = len - at < iov[k].iov_len ? len - at : iov[k].iov_len;
		memcpy(iov[k].iov_base, f + at, c);
		at += c;
	}
	if (vmm_ring_release(r, u->rx_tail) && write(u->kick, &one, sizeof(one)) < 0)
		helper_gone(u);
	return len > room ? -EMSGSIZE : (ssize_t)len;
}

/* The next frame's length, left in the ring for user_recv (which checks
 * it again against the buffers: the helper may change it meanwhile). */
static ssize_t user_peek(struct vmm_net *n)
{
	struct user *u = n->be_priv;
	uint32_t tail = u->rx_tail;
	size_t len;

	if (u->gone || !vmm_ring_get(&u->rings->to_ukrun, &tail, &len))
		return 0;
	return len ? (ssize_t)len : 1; /* broken: user_recv says so */
}

/* Waiting for room: the helper is asked to say when it made some, and
 * the ring is looked at again (it may have made it meanwhile). 1 when
 * there is room now. */
static int room_wait(struct user *u)
{
	__atomic_store_n(&u->tx.r->want_room, 1, __ATOMIC_SEQ_CST);
	return ring_room(u, VMM_NETH_MSG_MAX) != 0;
}

/* The helper's wake-up says there are frames for the guest or room for
 * its; what the device waits for may be there already. */
static int user_poll(struct vmm_net *n, struct vmm_pollset *ps, int want_rx, int want_tx)
{
	struct user *u = n->be_priv;
	struct vmm_neth_ring *rx = &u->rings->to_ukrun;

	u->poll_idx = u->wake_idx = -1;
	u->ready_now = 0;
	if (u->gone)
		return -1;
	/* (the helper's end closing is seen without POLLIN: POLLHUP) */
	u->poll_idx = vmm_poll_add(ps, u->frames, 0);
	if (want_rx && __atomic_load_n(&rx->head, __ATOMIC_ACQUIRE) != u->rx_tail)
		u->ready_now |= VMM_NET_RX_READY;
	if (want_tx && room_wait(u))
		u->ready_now |= VMM_NET_TX_READY;
	if (u->ready_now)
		return 0;
	if (want_rx || want_tx)
		u->wake_idx = vmm_poll_add(ps, u->wake, POLLIN);
	return -1;
}

static int user_poll_done(struct vmm_net *n, struct vmm_pollset *ps)
{
	struct user *u = n->be_priv;
	int ready = u->ready_now;
	uint64_t v;

	if (u->wake_idx >= 0 && (ps->fd[u->wake_idx].revents & POLLIN)) {
		if (read(u->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
			helper_gone(u);
		ready |= VMM_NET_RX_READY | VMM_NET_TX_READY;
	}
	if (u->poll_idx >= 0 && (ps->fd[u->poll_idx].revents & (POLLHUP | POLLERR))) {
		helper_gone(u);
		return VMM_NET_RX_READY | VMM_NET_TX_READY;
	}
	return ready;
}

static void user_teardown(struct vmm_net *n)
{
	struct user *u = n->be_priv;

	for (int k = VMM_FRAME_PASS + 1; k < VMM_FRAME_KINDS; k++)
		if (u->dropped[k])
			vmm_verbose(n->dev->vm,
			            "user-mode network: %llu %s from the guest dropped before the "
			            "network helper",
			            (unsigned long long)u->dropped[k], vmm_net_frame_drop_name(k));
	vmm_verbose(n->dev->vm,
	            "user-mode network: %llu frames to the network helper in %llu sends (the "
	            "ring's wake-ups; %llu times it was full)",
	            (unsigned long long)n->tx_frames, (unsigned long long)u->tx_calls,
	            (unsigned long long)u->ring_full);
	if (vmm_verbose_on && !u->gone)
		cmd(u, VMM_NETH_END, 0); /* its own counts */
	close_all(u);                    /* the helper sees the end */
}

const struct vmm_net_backend vmm_net_user = {
	.name = "user",
	.vnet_hdr = 1, /* to the helper as the guest sent it; zero from it */
	.offloads = 0, /* slirp takes whole frames with finished checksums */
	.open = user_open,
	.reset = user_reset,
	.listen = user_listen,
	.send = user_send,
	.tx_wait = 1,
	.flush = user_flush,
	.recv = user_recv,
	.peek = user_peek,
	.poll = user_poll,
	.poll_done = user_poll_done,
	.teardown = user_teardown,
};
