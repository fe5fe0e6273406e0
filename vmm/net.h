/*
 * ukrun's network: the virtio-net device (virtio_net.c) and its backends,
 * one file each: net_tap.c (a TAP device, frames with virtio-net headers,
 * offloads through TUNSETOFFLOAD), net_vhost.c (the kernel's vhost-net on
 * that TAP: the kernel moves the rings itself), net_user.c (rootless
 * user-mode networking through libslirp).
 *
 * The device thread (virtio.h) runs everything of a device: TX kicks call
 * the backend's send per frame; the backend's fds sit in the thread's poll
 * set and received frames go into the RX queue. Backends need no locks.
 */
#ifndef VMM_NET_H
#define VMM_NET_H

#include <netinet/in.h>
#include <sys/uio.h>
#include <uk/virtio_net.h>

#include "virtio.h"

#define VMM_NET_FWD_MAX 64

/* --net, --ip, --gw, -p as parsed by net_conf_parse (virtio_net.c). */
enum vmm_net_kind { VMM_NET_NONE, VMM_NET_TAP, VMM_NET_USER };
enum vmm_vhost_mode { VMM_VHOST_AUTO, VMM_VHOST_ON, VMM_VHOST_OFF };

struct vmm_net_fwd {
	int udp;
	struct in_addr host_addr; /* default 127.0.0.1 */
	uint16_t host_port, guest_port;
};

struct vmm_net_conf {
	enum vmm_net_kind kind;
	char ifname[16]; /* tap:IFNAME */
	enum vmm_vhost_mode vhost;
	struct vmm_net_fwd fwd[VMM_NET_FWD_MAX];
	int nfwd;
	struct in_addr ip, gw; /* --ip/--gw, 0 = DHCP */
	int prefix;
	int host_loopback; /* user,host-loopback=on: 10.0.2.2 reaches the host's 127.0.0.1 */
	uint16_t mtu;      /* the device's: user,mtu=N, else UK_VIRTIO_NET_MTU(_USER) */
};

struct vmm_net;

struct vmm_net_backend {
	const char *name;
	int vnet_hdr; /* frames carry the 12-byte virtio-net header */
	/* Offload features the backend can honour (UK_VIRTIO_NET_F_*). */
	uint64_t offloads;
	/* At setup (the device exists): open what the backend needs; 0, or
	 * -1 with a message. */
	int (*open)(struct vmm_net *n);
	/* The driver's features are final (n->dev->features): configure
	 * offloads; may take the queues over (vhost: d->own_queues). */
	int (*start)(struct vmm_net *n);
	/* The driver reset the device (it listens on nothing now). Optional. */
	void (*reset)(struct vmm_net *n);
	/* The guest started (on) or stopped listening on a TCP port
	 * (virtio_net.h, UK_VIRTIO_NET_CTRL_UK): open or close the forwards
	 * to it. Device thread, or the vCPU thread while the device thread is
	 * stopped. Optional: the device offers CTRL_VQ only with it. */
	void (*listen)(struct vmm_net *n, uint16_t guest_port, int on);
	/* Transmit one frame; 0, or -errno (the frame is dropped). */
	int (*send)(struct vmm_net *n, const struct iovec *iov, int cnt);
	/* Receive one frame into iov: bytes, 0 when none waits, -errno. NULL
	 * when the backend delivers frames itself (vmm_net_deliver). */
	ssize_t (*recv)(struct vmm_net *n, const struct iovec *iov, int cnt);
	/* Add the backend's fds to the device thread's poll set (want_rx: the
	 * guest has receive buffers); return a timeout in ms or -1. */
	int (*poll)(struct vmm_net *n, struct vmm_pollset *ps, int want_rx);
	/* After poll: 1 when frames wait for recv, else 0. */
	int (*poll_done)(struct vmm_net *n, struct vmm_pollset *ps);
	void (*teardown)(struct vmm_net *n);
};

/* A frame waiting for the guest's RX buffers (backends without recv). */
struct vmm_net_frame {
	struct vmm_net_frame *next;
	double since; /* vmm_now() when kept */
	size_t len;
	uint8_t data[];
};

#define VMM_NET_BACKLOG_BYTES (8u << 20)

struct vmm_net {
	struct vmm_vdev *dev;
	const struct vmm_net_backend *be;
	void *be_priv;
	struct vmm_net_conf conf;
	struct uk_virtio_net_config cfg;
	int rx_starved; /* the RX queue ran out of buffers */
	/* device thread: the RX chains gathered for the frame at hand */
	struct vq_net_rx rx;
	struct iovec rx_iov[UK_VIRTIO_NET_RX_SEGS];
	/* device thread: frames kept while the RX queue had no buffers */
	struct vmm_net_frame *backlog, *backlog_tail;
	size_t backlog_bytes, backlog_peak;
	uint64_t backlog_kept;
	double backlog_wait_max; /* ms */
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	uint64_t rx_merged;     /* frames over more than one RX chain */
	unsigned rx_merged_max; /* the most chains one took */
};

/* Put one frame (no virtio-net header) into the guest's RX queue; kept
 * until the guest gives buffers when it has none (up to
 * VMM_NET_BACKLOG_BYTES, then dropped). Device thread (backends without
 * recv). Returns 0 or -ENOBUFS (dropped). */
int vmm_net_deliver(struct vmm_net *n, const void *frame, size_t len);

/* Parse the network options; 0 or -1 with a message. (virtio_net.c,
 * separate for the unit tests.) */
int vmm_net_conf_parse(const struct vmm_opts *o, struct vmm_net_conf *c);

extern const struct vmm_net_backend vmm_net_tap, vmm_net_user;
/* Open /dev/vhost-net and become its owner, at set-up (after the seccomp
 * lock-down nothing can be opened). The fd, or -errno and *why. */
int vmm_net_vhost_open(const char **why);
/* Hand the rings and the TAP to vhost-net (the TAP backend's start);
 * 0, or -errno with a message. */
int vmm_net_vhost_start(struct vmm_net *n, int vhost_fd, int tap_fd);
/* Take the TAP and the rings back (reset, teardown); vhost_fd stays open
 * for the next start. Safe when not started. */
void vmm_net_vhost_stop(struct vmm_net *n, int vhost_fd);

#endif
