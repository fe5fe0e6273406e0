/*
 * virtio-9p: one device per `-v HOST:GUEST[:ro]`, its mount tag the guest
 * path (also in the runtime tree as uk,mount / uk,ro). Requests are served
 * by the share's gofer, a process of its own (p9_gofer.c): this device's
 * thread, which the transport wakes through an ioeventfd kick and which
 * answers through an irqfd (the guest's file I/O never exits to ukrun's
 * vCPU thread), copies a request out of the guest's buffers into the
 * window it shares with the gofer, passes its length over their socket,
 * and copies the reply back once the gofer's answer comes (the device
 * thread's poll waits for it with the kicks). But reads and writes of a
 * file the guest opened: the gofer handed its descriptor over with the
 * Rlopen or Rlcreate, and they are served here, straight between guest
 * memory and the file, by the same server code (a P9S_DATA share).
 *
 * Requests are served in the order they arrive, one at the gofer at a time
 * (so a Tflush always comes after the reply it flushes); a guest may have
 * as many in flight as its queue holds. A gofer that ends while the VM
 * runs ends the VM (helper.c); one that breaks the conversation is
 * killed, which comes to the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p9_server.h"
#include "virtio.h"

/* Room for a 512 KiB payload in 4 KiB pages plus headers in one chain. */
#define V9P_QUEUE_MAX 256
#define V9P_SEG_MAX V9P_QUEUE_MAX /* a chain is never longer than its queue */
#define V9P_TAG_MAX 255
#define V9P_F_MOUNT_TAG 0 /* the config space holds a mount tag */

struct v9p {
	const char *host, *guest;
	char *spec;                   /* the option, split in place */
	char name[V9P_TAG_MAX + 32];  /* "the gofer of /data" */
	uint8_t cfg[2 + V9P_TAG_MAX]; /* le16 tag_len, then the tag */
	int openat2;                  /* the host resolves with openat2 */
	int gofer;                    /* its helper id */
	int sock;                     /* to the gofer: lengths, and handed-over files */
	uint8_t *win;                 /* shared with the gofer: P9G_WINDOW bytes */
	struct p9s *files;            /* the files it handed over (P9S_DATA) */
	struct p9s_worker *w;         /* serves reads and writes on them */
	/* the chain popped last, and the request at the gofer (device thread) */
	struct vq_seg seg[V9P_SEG_MAX];
	struct iovec in[V9P_SEG_MAX], out[V9P_SEG_MAX];
	struct vq_chain chain;
	uint32_t outcap;
	uint32_t fid;   /* of a Tlopen or Tlcreate at the gofer */
	uint32_t msize; /* the session's, as the gofer last agreed it */
	int busy;       /* a request is at the gofer */
	int orphan;     /* ... from before a reset: its answer is dropped */
	int broken;     /* the socket failed: nothing more is sent */
	int poll_ix;
	uint64_t requests, direct;
};

static struct v9p *shares[VMM_VDEV_MAX];
static unsigned nshares;

static void v9p_config(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write)
{
	struct v9p *v = d->priv;

	if (!write) /* the transport checked off + len against config_size */
		memcpy(buf, v->cfg + off, len);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The conversation broke (a short or failed send or receive, a reply
 * longer than its room): the gofer is killed, and the run loop, reaping
 * it, ends the VM with a message naming it. */
static void gofer_broken(struct v9p *v)
{
	v->broken = 1;
	vmm_helper_kill(v->gofer);
}

/* ---- reads and writes of open files: here, on what the gofer handed over ---- */

/* A Tread or Twrite on a fid whose file the gofer handed over is served
 * here, straight between guest memory and the file, as the gofer would
 * (the same code): no trip to the gofer, no copy. 1 when served. */
static int serve_here(struct vmm_vdev *d, struct vq_dev *vq, const struct vq_chain *c)
{
	struct v9p *v = d->priv;
	uint8_t h[P9_HDR_SIZE + 4];
	struct p9s_req req;
	size_t got = 0, n;
	unsigned i;

	for (i = 0; i < c->nout && got < sizeof(h); i++) {
		n = c->seg[i].len < sizeof(h) - got ? c->seg[i].len : sizeof(h) - got;
		memcpy(h + got, c->seg[i].p, n);
		got += n;
	}
	if (got < sizeof(h) || (h[4] != P9_TREAD && h[4] != P9_TWRITE) ||
	    !p9s_fid_is_open(v->files, le32(h + P9_HDR_SIZE)))
		return 0;
	for (i = 0; i < c->nout; i++)
		v->in[i] = (struct iovec){ c->seg[i].p, c->seg[i].len };
	for (i = 0; i < c->nin; i++)
		v->out[i] = (struct iovec){ c->seg[c->nout + i].p, c->seg[c->nout + i].len };
	req = (struct p9s_req){ v->in, (int)c->nout, v->out, (int)c->nin, 0, 0, 0 };
	p9s_req_begin(v->files, &req);
	n = p9s_req_run(v->w, &req);
	p9s_req_end(v->files, &req);
	vq_dev_push(vq, c->head, (uint32_t)n);
	vmm_vdev_interrupt(d, 0);
	v->direct++;
	return 1;
}

/* The fids a request (in the window) makes or ends stop standing for a
 * handed-over file here before the gofer sees it; the gofer, which keeps
 * every fid, stays the one truth. */
static void forget_fids(struct v9p *v, uint32_t inlen)
{
	const uint8_t *m = v->win;

	if (inlen < P9_HDR_SIZE + 4)
		return;
	switch (m[4]) {
	case P9_TVERSION: p9s_reset(v->files, v->msize); return;
	case P9_TWALK:
	case P9_TXATTRWALK:
		if (inlen >= P9_HDR_SIZE + 8)
			p9s_fid_clunk(v->files, le32(m + P9_HDR_SIZE + 4)); /* newfid */
		return;
	case P9_TATTACH:
	case P9_TCLUNK:
	case P9_TREMOVE:
	case P9_TXATTRCREATE:
	case P9_TLOPEN:
	case P9_TLCREATE: p9s_fid_clunk(v->files, le32(m + P9_HDR_SIZE)); return;
	}
}

/* ---- everything else: through the gofer ---- */

/* Copy the request's readable part into the window and send its length. */
static void send_request(struct v9p *v, const struct vq_chain *c)
{
	struct p9g_req q = { c->out_len, c->in_len < P9_MSIZE_MAX ? c->in_len : P9_MSIZE_MAX };
	uint32_t done = 0;

	for (unsigned i = 0; i < c->nout && done < P9_MSIZE_MAX; i++) {
		uint32_t k =
		    c->seg[i].len < P9_MSIZE_MAX - done ? c->seg[i].len : P9_MSIZE_MAX - done;
		memcpy(v->win + done, c->seg[i].p, k);
		done += k;
	}
	forget_fids(v, done);
	v->fid = done >= P9_HDR_SIZE + 4 ? le32(v->win + P9_HDR_SIZE) : P9_NOFID;
	v->chain = *c;
	v->outcap = q.outcap;
	if (send(v->sock, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		gofer_broken(v);
		return;
	}
	v->busy = 1;
}

/* The gofer's answer: its length, and with an Rlopen or Rlcreate of a
 * regular file, that file's descriptor (SCM_RIGHTS). 0, or -1. */
static int recv_reply(struct v9p *v, struct p9g_rep *rep, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec io = { rep, sizeof(*rep) };
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)
	};
	struct cmsghdr *cm;

	*fd = -1;
	if (recvmsg(v->sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*rep))
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

/* Copy the reply (len bytes, checked) into the chain's writable part. */
static void copy_reply(struct v9p *v, uint32_t len)
{
	const struct vq_chain *c = &v->chain;
	const uint8_t *src = v->win + P9G_REPLY;

	for (unsigned i = c->nout; i < c->nout + c->nin && len; i++) {
		uint32_t k = c->seg[i].len < len ? c->seg[i].len : len;
		memcpy(c->seg[i].p, src, k);
		src += k;
		len -= k;
	}
}

/* A Tversion the gofer accepted (Rversion "9P2000.L") sets the msize of
 * the reads and writes served here too: a Twrite longer than it is
 * refused and a Tread cut to it, as the gofer does. Taken from the reply
 * to a request orphaned by a reset as well: the gofer's session changed. */
static void note_version(struct v9p *v, uint32_t len)
{
	struct p9_msg m;

	if (len > P9_HDR_SIZE && v->win[P9G_REPLY + 4] == P9_RVERSION &&
	    !p9_unpack(v->win + P9G_REPLY, len, &m) &&
	    p9_str_eq(m.u.version.version, P9_VERSION_L) && m.u.version.msize >= P9_MSIZE_MIN &&
	    m.u.version.msize <= P9_MSIZE_MAX) {
		v->msize = m.u.version.msize;
		p9s_reset(v->files, v->msize);
	}
}

/* An opened file handed over: its fid's reads and writes stay here. */
static void adopt(struct v9p *v, const struct p9g_rep *rep, int fd)
{
	uint8_t type = rep->len > P9_HDR_SIZE ? v->win[P9G_REPLY + 4] : 0;

	if (v->orphan || (type != P9_RLOPEN && type != P9_RLCREATE) || v->fid == P9_NOFID)
		close(fd);
	else
		p9s_fid_adopt(v->files, v->fid, fd, (int)rep->oflags);
}

/* Serve what the queue holds: reads and writes here, the rest through the
 * gofer, one request there at a time. */
static void pump(struct vmm_vdev *d)
{
	struct v9p *v = d->priv;
	struct vq_dev *vq = vmm_vdev_vq(d, 0);
	struct vq_chain c;
	int r;

	if (!vq || v->busy || v->broken)
		return;
	do {
		vq_dev_notify_off(vq);
		while ((r = vq_dev_pop(vq, &c, v->seg, V9P_SEG_MAX)) == 1) {
			if (serve_here(d, vq, &c))
				continue;
			send_request(v, &c);
			return;
		}
		if (r < 0) {
			vmm_vdev_fail(d, 0, vq->err);
			return;
		}
	} while (vq_dev_notify_on(vq));
}

static void on_reply(struct vmm_vdev *d)
{
	struct v9p *v = d->priv;
	struct vq_dev *vq;
	struct p9g_rep rep;
	int fd;

	if (recv_reply(v, &rep, &fd) || rep.len > v->outcap) {
		if (fd >= 0)
			close(fd);
		gofer_broken(v);
		return;
	}
	if (fd >= 0)
		adopt(v, &rep, fd);
	note_version(v, rep.len);
	v->busy = 0;
	if (v->orphan) {
		v->orphan = 0;
	} else if ((vq = vmm_vdev_vq(d, 0))) {
		copy_reply(v, rep.len);
		vq_dev_push(vq, v->chain.head, rep.len);
		/* Each reply at once: the guest thread behind it waits. */
		vmm_vdev_interrupt(d, 0);
		v->requests++;
	}
	pump(d);
}

static void v9p_queue(struct vmm_vdev *d, unsigned q)
{
	(void)q;
	pump(d);
}

static int v9p_poll(struct vmm_vdev *d, struct vmm_pollset *ps)
{
	struct v9p *v = d->priv;

	v->poll_ix = v->busy && !v->broken ? vmm_poll_add(ps, v->sock, POLLIN) : -1;
	return -1;
}

static void v9p_poll_done(struct vmm_vdev *d, struct vmm_pollset *ps)
{
	struct v9p *v = d->priv;

	if (v->poll_ix >= 0 && ps->fd[v->poll_ix].revents)
		on_reply(d);
}

/* The driver reset the device while a request was at the gofer: its
 * chain belongs to the old ring, so its answer, when it comes, is read
 * and dropped before the next request goes. */
static void v9p_reset(struct vmm_vdev *d)
{
	struct v9p *v = d->priv;

	v->orphan = v->busy;
}

static const struct vmm_vdev_ops v9p_ops = {
	.name = "virtio-9p",
	.device_id = UK_VIRTIO_ID_9P,
	.nqueues = 1,
	.queue_max = V9P_QUEUE_MAX,
	.features = UK_VIRTIO_BIT(V9P_F_MOUNT_TAG),
	.config_size = sizeof(((struct v9p *)0)->cfg),
	.config = v9p_config,
	.queue = v9p_queue,
	.poll = v9p_poll,
	.poll_done = v9p_poll_done,
	.reset = v9p_reset,
};

/* ---- -v HOST:GUEST[:ro] ---- */

/* Split spec in place; HOST alone goes to the image's volume point when it
 * declares one. 0, or -1 with a message. */
static int parse_volume(const struct vmm_opts *o, const char *opt, char *spec, const char **host,
                        const char **guest, int *ro)
{
	size_t n = strlen(spec);
	char *colon;

	*ro = 0;
	if (n > 3 && (!strcmp(spec + n - 3, ":ro") || !strcmp(spec + n - 3, ":rw"))) {
		*ro = spec[n - 2] == 'r' && spec[n - 1] == 'o';
		spec[n - 3] = 0;
	}
	colon = strrchr(spec, ':');
	if (!colon && *spec && o->nvpoints == 1) { /* an image is input: checked below */
		*host = spec;
		*guest = o->vpoints[0];
		n = strlen(*guest);
		goto check;
	}
	if (!colon && *spec && o->nvpoints > 1) {
		vmm_err("-v %s: the image declares %d volume points (%s, %s%s): name one, "
		        "-v %s:%s",
		        opt, o->nvpoints, o->vpoints[0], o->vpoints[1],
		        o->nvpoints > 2 ? ", ..." : "", spec, o->vpoints[0]);
		return -1;
	}
	if (!colon || colon == spec || !colon[1]) {
		vmm_err("-v %s: expected HOST:GUEST[:ro], e.g. -v ./data:/data (HOST alone when "
		        "the image declares one volume point; this one declares none)",
		        opt);
		return -1;
	}
	*colon = 0;
	*host = spec;
	*guest = colon + 1;
	for (n = strlen(*guest); n > 1 && (*guest)[n - 1] == '/'; n--)
		colon[n] = 0; /* "/data/" -> "/data" */
check:
	if ((*guest)[0] != '/' || !strcmp(*guest, "/") || strstr(*guest, "/../") ||
	    strstr(*guest, "/./") || (n >= 3 && !strcmp(*guest + n - 3, "/..")) ||
	    strlen(*guest) > V9P_TAG_MAX) {
		vmm_err("-v %s: the guest path must be absolute, not /, without . or .. and at "
		        "most %d bytes",
		        opt, V9P_TAG_MAX);
		return -1;
	}
	return 0;
}

static void free_share(struct v9p *v)
{
	p9s_worker_free(v->w);
	if (v->files)
		p9s_close(v->files);
	if (v->win)
		munmap(v->win, P9G_WINDOW);
	if (v->sock >= 0)
		close(v->sock); /* the gofer sees the end */
	free(v->spec);
	free(v);
}

/* The window both map: sealed at its size, so neither side can shrink it
 * under the other. The memfd, or -1 with errno. */
static int make_window(struct v9p *v)
{
	int fd = memfd_create("uk-9p-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, P9G_WINDOW) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ||
	    (p = mmap(NULL, P9G_WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	v->win = p;
	return fd;
}

/* The share's gofer, given root (closed here either way). 0 or -1. */
static int start_gofer(struct vmm *vm, struct v9p *v, int root, int ro)
{
	int sv[2] = { -1, -1 }, win, r = -1;
	char flags[16];
	const char *args[] = { flags, NULL };

	if ((win = make_window(v)) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		vmm_err("%s: its window and socket: %s", v->name, strerror(errno));
		goto out;
	}
	snprintf(flags, sizeof(flags), "%u", ro ? P9S_RO : 0);
	{
		int fds[3] = { [P9G_FD_SOCK - 3] = sv[1],
			       [P9G_FD_ROOT - 3] = root,
			       [P9G_FD_WINDOW - 3] = win };
		v->gofer = vmm_helper_start(vm, v->name, "gofer", args, fds, 3);
	}
	if (v->gofer >= 0) {
		v->sock = sv[0];
		sv[0] = -1;
		r = 0;
	}
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (win >= 0)
		close(win);
	close(root);
	return r;
}

/* The share's root, opened here so that a mistyped path is named at once. */
static int open_root(struct v9p *v, const char *opt)
{
	int root = open(v->host, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0) {
		vmm_err("-v %s: %s: %s (an existing directory is needed)", opt, v->host,
		        strerror(errno));
		return -1;
	}
	v->openat2 = p9s_has_openat2(root);
	return root;
}

/* One share; on failure nothing of it is left behind but, once started, a
 * gofer (ukrun ends, and it with ukrun). */
static int add_share(struct vmm *vm, const char *opt)
{
	struct v9p *v = calloc(1, sizeof(*v));
	struct vmm_vdev *d;
	int ro, root;
	size_t tl;

	if (!v || !(v->spec = strdup(opt))) {
		vmm_err("-v %s: out of memory", opt);
		goto out;
	}
	v->sock = -1;
	v->msize = P9_MSIZE_MAX; /* the gofer's until a Tversion */
	if (parse_volume(vm->opts, opt, v->spec, &v->host, &v->guest, &ro))
		goto out;
	for (unsigned i = 0; i < nshares; i++) {
		if (!strcmp(shares[i]->guest, v->guest)) {
			vmm_err("-v %s: %s is shared twice", opt, v->guest);
			goto out;
		}
	}
	if (p9s_open_data(ro ? P9S_RO : 0, &v->files) || !(v->w = p9s_worker_new(v->files))) {
		vmm_err("-v %s: out of memory", opt);
		goto out;
	}
	if ((root = open_root(v, opt)) < 0)
		goto out;
	snprintf(v->name, sizeof(v->name), "the gofer of %s", v->guest);
	tl = strlen(v->guest);
	v->cfg[0] = (uint8_t)tl;
	v->cfg[1] = (uint8_t)(tl >> 8);
	memcpy(v->cfg + 2, v->guest, tl);
	if (!(d = vmm_vdev_add(vm, &v9p_ops, v))) {
		close(root);
		goto out;
	}
	d->mount = v->guest;
	d->ro = ro;
	shares[nshares++] = v;
	if (start_gofer(vm, v, root, ro))
		return -1; /* v stays in shares: the device has it */
	vm->needs |= VMM_NEED_GOFER;
	vmm_verbose(vm, "9P share %s at %s%s, paths resolved by %s, the gofer confined %s", v->host,
	            v->guest, ro ? " (read-only)" : "", v->openat2 ? "openat2" : "O_NOFOLLOW walks",
	            p9s_landlock_abi() ? "beneath it by Landlock"
	                               : "by its filter only (no Landlock)");
	return 0;
out:
	if (v)
		free_share(v);
	return -1;
}

int vmm_9p_check(const struct vmm_opts *o)
{
	const char *host, *guest;
	int ro, r = 0;

	if (o->nvolumes > VMM_VDEV_MAX)
		return vmm_err("-v: at most %d volumes", VMM_VDEV_MAX), -1;
	for (int i = 0; i < o->nvolumes && !r; i++) {
		char *spec = strdup(o->volumes[i]);
		if (!spec)
			return vmm_err("-v %s: out of memory", o->volumes[i]), -1;
		r = parse_volume(o, o->volumes[i], spec, &host, &guest, &ro);
		free(spec);
	}
	return r;
}

int vmm_9p_setup(struct vmm *vm)
{
	for (int i = 0; i < vm->opts->nvolumes; i++) {
		if (nshares == VMM_VDEV_MAX) {
			vmm_err("-v: at most %d volumes", VMM_VDEV_MAX);
			return -1;
		}
		if (add_share(vm, vm->opts->volumes[i]))
			return -1;
	}
	return 0;
}

void vmm_9p_teardown(struct vmm *vm)
{
	for (unsigned i = 0; i < nshares; i++) {
		struct v9p *v = shares[i];
		if (v->requests || v->direct)
			vmm_verbose(vm,
			            "9P share %s: %llu requests through the gofer, %llu reads and "
			            "writes here",
			            v->guest, (unsigned long long)v->requests,
			            (unsigned long long)v->direct);
		free_share(v);
	}
	nshares = 0;
}
