/*
 * virtio-9p: one device per `-v HOST:GUEST[:ro]`, its mount tag the guest
 * path (also in the runtime tree as uk,mount / uk,ro). Requests are served
 * by the gofer (p9_server.h) on the device's own thread, which the
 * transport wakes through an ioeventfd kick and which answers through an
 * irqfd: the guest's file I/O never exits to ukrun's vCPU thread. That
 * thread puts itself under the gofer's seccomp allow-list before it
 * touches the first request.
 *
 * Requests are served in the order they arrive (so a Tflush always comes
 * after the reply it flushes); a guest may have as many in flight as its
 * queue holds. Payloads move between guest memory and host files without
 * copies (preadv/pwritev on the mapped descriptors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p9_server.h"
#include "virtio.h"

/* Room for a 512 KiB payload in 4 KiB pages plus headers in one chain. */
#define V9P_QUEUE_MAX 256
#define V9P_SEG_MAX V9P_QUEUE_MAX /* a chain is never longer than its queue */
#define V9P_TAG_MAX 255
#define V9P_F_MOUNT_TAG 0 /* the config space holds a mount tag */

struct v9p {
	struct p9s *srv;
	struct p9s_worker *w;
	const char *host, *guest;
	char *spec;                   /* the option, split in place */
	uint8_t cfg[2 + V9P_TAG_MAX]; /* le16 tag_len, then the tag */
	struct vq_seg seg[V9P_SEG_MAX];
	struct iovec in[V9P_SEG_MAX], out[V9P_SEG_MAX];
	uint64_t requests;
};

static struct v9p *shares[VMM_VDEV_MAX];
static unsigned nshares;

/* Whether the running device thread is under the allow-list yet. */
static __thread int sandboxed;

static void v9p_config(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write)
{
	struct v9p *v = d->priv;

	if (!write) /* the transport checked off + len against config_size */
		memcpy(buf, v->cfg + off, len);
}

static uint32_t serve(struct v9p *v, const struct vq_chain *c)
{
	struct p9s_req req;
	unsigned i;
	size_t n;

	for (i = 0; i < c->nout; i++)
		v->in[i] = (struct iovec){ c->seg[i].p, c->seg[i].len };
	for (i = 0; i < c->nin; i++)
		v->out[i] = (struct iovec){ c->seg[c->nout + i].p, c->seg[c->nout + i].len };
	req = (struct p9s_req){ v->in, (int)c->nout, v->out, (int)c->nin, 0, 0, 0 };
	p9s_req_begin(v->srv, &req);
	n = p9s_req_run(v->w, &req);
	p9s_req_end(v->srv, &req);
	v->requests++;
	return (uint32_t)n;
}

static void v9p_queue(struct vmm_vdev *d, unsigned q)
{
	struct v9p *v = d->priv;
	struct vq_dev *vq = vmm_vdev_vq(d, q);
	struct vq_chain c;
	int r;

	if (!vq)
		return;
	if (!sandboxed) {
		if ((r = p9s_seccomp())) {
			vmm_vdev_fail(d, q, "cannot install the gofer's seccomp filter");
			return;
		}
		sandboxed = 1;
	}
	do {
		vq_dev_notify_off(vq);
		while ((r = vq_dev_pop(vq, &c, v->seg, V9P_SEG_MAX)) == 1) {
			vq_dev_push(vq, c.head, serve(v, &c));
			/* Each reply at once: the guest thread behind it waits. */
			vmm_vdev_interrupt(d, q);
		}
		if (r < 0) {
			vmm_vdev_fail(d, q, vq->err);
			return;
		}
	} while (vq_dev_notify_on(vq));
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
	p9s_close(v->srv);
	free(v->spec);
	free(v);
}

/* One share; on failure nothing of it is left behind. */
static int add_share(struct vmm *vm, const char *opt)
{
	struct v9p *v = calloc(1, sizeof(*v));
	struct vmm_vdev *d;
	size_t tl;
	int ro, r;

	if (!v || !(v->spec = strdup(opt))) {
		vmm_err("-v %s: out of memory", opt);
		goto out;
	}
	if (parse_volume(vm->opts, opt, v->spec, &v->host, &v->guest, &ro))
		goto out;
	for (unsigned i = 0; i < nshares; i++) {
		if (!strcmp(shares[i]->guest, v->guest)) {
			vmm_err("-v %s: %s is shared twice", opt, v->guest);
			goto out;
		}
	}
	if ((r = p9s_open(v->host, ro ? P9S_RO : 0, &v->srv))) {
		vmm_err("-v %s: %s: %s (an existing directory is needed)", opt, v->host,
		        strerror(-r));
		goto out;
	}
	if (!(v->w = p9s_worker_new(v->srv))) {
		vmm_err("-v %s: out of memory", opt);
		goto out;
	}
	tl = strlen(v->guest);
	v->cfg[0] = (uint8_t)tl;
	v->cfg[1] = (uint8_t)(tl >> 8);
	memcpy(v->cfg + 2, v->guest, tl);
	if (!(d = vmm_vdev_add(vm, &v9p_ops, v)))
		goto out;
	d->mount = v->guest;
	d->ro = ro;
	shares[nshares++] = v;
	vm->needs |= VMM_NEED_GOFER;
	vmm_verbose(vm, "9P share %s at %s%s, paths resolved by %s", v->host, v->guest,
	            ro ? " (read-only)" : "",
	            p9s_uses_openat2(v->srv) ? "openat2" : "O_NOFOLLOW walks");
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
		if (v->requests)
			vmm_verbose(vm, "9P share %s: %llu requests", v->guest,
			            (unsigned long long)v->requests);
		free_share(v);
	}
	nshares = 0;
}
