/*
 * User-mode networking (--net user, -p), ukrun's side: rootless, through
 * Debian's libslirp in the network helper, a process of its own
 * (net_slirp.c: the network the guest sees, the forwards, DNS). ukrun
 * keeps the virtio-net device and passes frames: each from the guest is
 * made contiguous, checked (net_frame.c: libslirp crashed on one lone IP
 * fragment; the first of each kind dropped is named under --verbose) and
 * sent to the helper as one message, a pass over the TX queue's frames in
 * one sendmmsg (the helper wakes once for them); the helper's frames are
 * read straight into the guest's receive buffers, as a TAP's are. ukrun
 * itself then makes no socket and opens no file for the network
 * (seccomp.c).
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
 * Full socket: the guest's frames wait in its TX ring (send says -EAGAIN,
 * the device polls for room) rather than being dropped, as a TCP
 * retransmission would cost a second or more.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define HDR_LEN sizeof(struct uk_virtio_net_hdr)
#define ANSWER_MS 30000
/* Room for several of the largest frames in each direction (Linux
 * doubles it, up to net.core.wmem_max). */
#define SOCK_BUF (1 << 20)

/* TX frames queued for one sendmmsg: a message each woke the helper, which
 * on a busy host took the core from the device thread at once, and the
 * next frame waited for it. */
#define TX_BATCH 64
#define TX_BYTES (256u << 10)

struct user {
	int helper;      /* its id (helper.c) */
	int frames, ctl; /* the sockets to it (net.h, VMM_NETH_*) */
	int gone;        /* it closed its end or stopped answering: killed */
	int poll_idx;
	uint64_t dropped[VMM_FRAME_KINDS];
	uint64_t tx_calls; /* sendmmsg calls that sent frames */
	/* TX frames made contiguous, header first, checked, not sent yet:
	 * tx_msg[tx_sent .. tx_n) */
	struct mmsghdr tx_msg[TX_BATCH];
	struct iovec tx_iov[TX_BATCH];
	unsigned tx_n, tx_sent;
	size_t tx_used;
	uint8_t tx_buf[TX_BYTES];
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

/* The helper with its ends of fr and ct (closed here either way). */
static int start_helper(struct vmm_net *n, struct user *u, int fr[2], int ct[2])
{
	const char *args[] = { vmm_verbose_on ? "1" : "0", NULL };
	int fds[2] = { [VMM_NETH_FD_FRAMES - 3] = fr[1], [VMM_NETH_FD_CTL - 3] = ct[1] };

	u->helper = vmm_helper_start(n->dev->vm, "the network helper", "net", args, fds, 2);
	close(fr[1]);
	close(ct[1]);
	u->frames = fr[0];
	u->ctl = ct[0];
	return u->helper < 0 ? -1 : 0;
}

static int user_open(struct vmm_net *n)
{
	struct user *u = calloc(1, sizeof(*u));
	struct vmm_net_conf conf;
	int fr[2] = { -1, -1 }, ct[2] = { -1, -1 }, a;

	if (!u)
		return -1;
	n->be_priv = u;
	u->frames = u->ctl = -1;
	if (pair(fr) || pair(ct)) {
		vmm_err("--net user: the network helper's sockets: %s", strerror(errno));
		for (int i = 0; i < 2; i++)
			if (fr[i] >= 0)
				close(fr[i]);
		goto fail;
	}
	if (start_helper(n, u, fr, ct))
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
	if (u->frames >= 0)
		close(u->frames);
	if (u->ctl >= 0)
		close(u->ctl);
	free(u);
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

/* The queued frames to the helper: 0 all sent, -EAGAIN some wait for
 * room in its socket, -EPIPE it is gone (they are lost). */
static int user_flush(struct vmm_net *n)
{
	struct user *u = n->be_priv;
	int r;

	while (u->tx_sent < u->tx_n && !u->gone) {
		r = sendmmsg(u->frames, u->tx_msg + u->tx_sent, u->tx_n - u->tx_sent,
		             MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			u->tx_sent += (unsigned)r;
			u->tx_calls++;
		} else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			return -EAGAIN;
		} else if (r < 0 && errno != EINTR) {
			helper_gone(u);
		}
	}
	r = u->tx_sent < u->tx_n ? -EPIPE : 0;
	u->tx_n = u->tx_sent = 0;
	u->tx_used = 0;
	return r;
}

static int user_send(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct user *u = n->be_priv;
	const char *why;
	uint8_t *msg;
	size_t len = 0;
	unsigned i;
	int drop, r;

	for (int k = 0; k < cnt; k++)
		len += iov[k].iov_len;
	if (len > VMM_NETH_MSG_MAX)
		return -EMSGSIZE;
	if (len < HDR_LEN)
		return -EPROTO;
	if (u->gone)
		return -EPIPE;
	if ((u->tx_n == TX_BATCH || len > TX_BYTES - u->tx_used) && (r = user_flush(n)))
		return r; /* -EAGAIN: this frame waits in the guest's ring */
	/* A copy first: the guest cannot change the frame after the check. */
	msg = u->tx_buf + u->tx_used;
	for (int k = 0, at = 0; k < cnt; at += (int)iov[k].iov_len, k++)
		memcpy(msg + at, iov[k].iov_base, iov[k].iov_len);
	drop = vmm_net_frame_check(msg + HDR_LEN, len - HDR_LEN, n->conf.host_loopback, &why);
	if (drop) {
		if (!u->dropped[drop]++)
			vmm_verbose(n->dev->vm,
			            "user-mode network: dropped a frame from the guest: %s "
			            "(the next of its kind only counted)",
			            why);
		return -EPROTO;
	}
	i = u->tx_n++;
	u->tx_iov[i] = (struct iovec){ msg, len };
	u->tx_msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &u->tx_iov[i], .msg_iovlen = 1 } };
	u->tx_used += len;
	return 0;
}

static ssize_t user_recv(struct vmm_net *n, const struct iovec *iov, int cnt)
{
	struct user *u = n->be_priv;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };
	ssize_t r;

	if (u->gone)
		return 0;
	do
		r = recvmsg(u->frames, &mh, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (r == 0) { /* the helper's end closed: it is gone */
		helper_gone(u);
		return 0;
	}
	return (mh.msg_flags & MSG_TRUNC) ? -EMSGSIZE : r;
}

static int user_poll(struct vmm_net *n, struct vmm_pollset *ps, int want_rx, int want_tx)
{
	struct user *u = n->be_priv;
	short ev = (short)((want_rx ? POLLIN : 0) | (want_tx ? POLLOUT : 0));

	u->poll_idx = ev && !u->gone ? vmm_poll_add(ps, u->frames, ev) : -1;
	return -1;
}

static int user_poll_done(struct vmm_net *n, struct vmm_pollset *ps)
{
	struct user *u = n->be_priv;
	short re;

	if (u->poll_idx < 0)
		return 0;
	re = ps->fd[u->poll_idx].revents;
	if (re & (POLLHUP | POLLERR)) {
		/* Frames the guest cannot take yet would keep this set. */
		helper_gone(u);
		return VMM_NET_RX_READY | VMM_NET_TX_READY;
	}
	return ((re & POLLIN) ? VMM_NET_RX_READY : 0) | ((re & POLLOUT) ? VMM_NET_TX_READY : 0);
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
	            "user-mode network: %llu frames to the network helper in %llu sends",
	            (unsigned long long)n->tx_frames, (unsigned long long)u->tx_calls);
	if (vmm_verbose_on && !u->gone)
		cmd(u, VMM_NETH_END, 0); /* its own counts */
	close(u->frames);                /* the helper sees the end */
	close(u->ctl);
	free(u);
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
	.poll = user_poll,
	.poll_done = user_poll_done,
	.teardown = user_teardown,
};
