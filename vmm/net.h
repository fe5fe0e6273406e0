/*
 * ukrun's network: the virtio-net device (virtio_net.c) and its backends,
 * one file each: net_tap.c (a TAP device, frames with virtio-net headers,
 * offloads through TUNSETOFFLOAD), net_vhost.c (the kernel's vhost-net on
 * that TAP: the kernel moves the rings itself), net_user.c (rootless
 * user-mode networking: frames to and from the network helper, a process
 * of its own that runs libslirp, net_slirp.c), net_passt.c (the same
 * network through Debian's passt, a program of its own).
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

/* A forward of one host address's port to the guest's port, in the
 * host address's family: an IPv4 one to the guest's 10.0.2.15, an IPv6
 * one to the guest's IPv6 address (SLAAC's, as libslirp learnt it from
 * the guest's neighbour discovery; libslirp 4.7 cannot forward between
 * the families). */
struct vmm_net_fwd {
	int udp;
	int family;                 /* the host address's: AF_INET or AF_INET6 */
	struct in_addr host_addr;   /* AF_INET: default 127.0.0.1 */
	struct in6_addr host_addr6; /* AF_INET6 (IPV6_V6ONLY: this family only) */
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
	int passt;         /* --net passt: the user network through passt (net_passt.c) */
	int host_loopback; /* user,host-loopback=on: 10.0.2.2 reaches the host's 127.0.0.1 */
	uint16_t mtu;      /* the device's: user,mtu=N, else UK_VIRTIO_NET_MTU(_USER) */
	uint8_t mac[6];    /* ,mac=: the guest's address */
	int has_mac;       /* else one derived from the TAP's name */
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
	/* Transmit one frame; 0, or -errno (the frame is dropped). With
	 * tx_wait, -EAGAIN keeps the frame in the guest's ring instead: the
	 * device sends nothing more until poll_done says there is room. */
	int (*send)(struct vmm_net *n, const struct iovec *iov, int cnt);
	int tx_wait;
	/* Optional: send may queue frames (copied: the guest's buffers go
	 * back), which go at the latest when the device calls this after a
	 * pass over the TX queue; 0, or -EAGAIN (tx_wait) when some still
	 * wait for room: the device calls it again when poll_done says there
	 * is some, before anything else is sent. */
	int (*flush)(struct vmm_net *n);
	/* Receive one frame, its virtio-net header first, into iov: bytes, 0
	 * when none waits, -EMSGSIZE when it was longer than iov (it is
	 * lost), other -errno. */
	ssize_t (*recv)(struct vmm_net *n, const struct iovec *iov, int cnt);
	/* Optional: the length recv would give now (header included), 0 when
	 * none waits. The device then takes only the receive buffers that
	 * frame needs, not enough for the largest: the guest's are pages, so
	 * an acknowledgement took 17 chains, 16 of them given back. A length
	 * recv then exceeds loses that frame, as one too long for any
	 * buffers would. */
	ssize_t (*peek)(struct vmm_net *n);
	/* Add the backend's fds to the device thread's poll set (want_rx: the
	 * guest has receive buffers; want_tx: send said -EAGAIN); return a
	 * timeout in ms or -1. */
	int (*poll)(struct vmm_net *n, struct vmm_pollset *ps, int want_rx, int want_tx);
	/* After poll: VMM_NET_RX_READY when frames wait for recv, with
	 * VMM_NET_TX_READY when send has room again. */
	int (*poll_done)(struct vmm_net *n, struct vmm_pollset *ps);
	void (*teardown)(struct vmm_net *n);
};

#define VMM_NET_RX_READY 1
#define VMM_NET_TX_READY 2

struct vmm_net {
	struct vmm_vdev *dev;
	const struct vmm_net_backend *be;
	void *be_priv;
	struct vmm_net_conf conf;
	struct uk_virtio_net_config cfg;
	int rx_starved; /* the RX queue ran out of buffers */
	int tx_blocked; /* the backend had no room (tx_wait): TX waits for it */
	/* device thread: the RX chains gathered for the frame at hand */
	struct vq_net_rx rx;
	struct iovec rx_iov[UK_VIRTIO_NET_RX_SEGS];
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	uint64_t tx_gso;        /* sent frames the backend segments (TSO) */
	uint64_t rx_merged;     /* frames over more than one RX chain */
	unsigned rx_merged_max; /* the most chains one took */
};

/* Parse the network options; 0 or -1 with a message. (virtio_net.c,
 * separate for the unit tests.) */
int vmm_net_conf_parse(const struct vmm_opts *o, struct vmm_net_conf *c);

extern const struct vmm_net_backend vmm_net_tap, vmm_net_user, vmm_net_passt;

/* ---- the user network's frames (net_frame.c) ---- */

/* What a frame from the guest may be before libslirp sees it: ARP, IPv4
 * with TCP, UDP or ICMP, or IPv6 with TCP, UDP or ICMPv6 right after its
 * header; every header within the frame, no fragment, and unless
 * host_loopback nothing to 127.0.0.0/8, 0.0.0.0/8, ::1 or ::.
 * VMM_FRAME_PASS, or the kind of drop with *why. */
enum vmm_frame_drop {
	VMM_FRAME_PASS,
	VMM_FRAME_FRAGMENT,
	VMM_FRAME_MALFORMED,
	VMM_FRAME_PROTOCOL,
	VMM_FRAME_LOOPBACK,
	VMM_FRAME_KINDS
};
int vmm_net_frame_check(const uint8_t *f, size_t len, int host_loopback, const char **why);
/* "IPv4 fragments", ... for a kind of drop. */
const char *vmm_net_frame_drop_name(int kind);

/* A frame for the guest that only acknowledges: IPv4 TCP with the ACK
 * flag alone, no options, no data (libslirp's acknowledgements). 1 with
 * its connection (addresses and ports, as they stand in the frame) and
 * acknowledgment number, else 0. A later such frame of the same
 * connection that acknowledges more says all the earlier one said (the
 * window too is the later one's): the network helper sends only the last
 * of those libslirp makes in one turn (net_slirp.c). */
struct vmm_net_flow {
	uint8_t b[12]; /* source and destination address, source and destination port */
};
int vmm_net_frame_pure_ack(const uint8_t *f, size_t len, struct vmm_net_flow *flow, uint32_t *ack);

/* Consecutive TCP data segments of one IPv4 connection merged into one
 * (net_merge.c): add a frame the helper checked (vmm_net_frame_check) to
 * the merged one: 1 when it merged (or began one), 0 when it cannot (the
 * merged one goes first, then this frame, which may begin the next).
 * end: the merged frame in buf, headers and checksums finished, its
 * length (0: none); m is empty again. */
struct vmm_net_merge {
	uint8_t *buf;
	size_t cap; /* Ethernet header and the largest IP packet */
	size_t len; /* the merged frame so far; 0: none */
	uint32_t next_seq, sum;
	unsigned count;
	uint8_t psh;
};
int vmm_net_merge_add(struct vmm_net_merge *m, const uint8_t *f, size_t len);
size_t vmm_net_merge_end(struct vmm_net_merge *m);
/* The headers a segment that may merge has (Ethernet, IPv4 and TCP
 * without options): VMM_NET_MERGE_HLEN bytes. The payload bytes of a
 * frame of len bytes whose first VMM_NET_MERGE_HLEN are hdr, when it is a
 * segment that may merge, else 0. add_parts: add as merge_add does the
 * frame whose headers are hdr and payload the rest (read once, copied
 * into buf, never looked at: it may lie in memory another process
 * writes). */
#define VMM_NET_MERGE_HLEN 54
size_t vmm_net_merge_payload(const uint8_t *hdr, size_t len);
int vmm_net_merge_add_parts(struct vmm_net_merge *m, const uint8_t *hdr, const uint8_t *payload,
                            size_t len);

/* Answers to UDP forwards from the host's loopback (net_udpfwd.c): the
 * helper notes each frame libslirp sends the guest (to_guest: the frame
 * to send, f or copy, len bytes of room, with a loopback client's address
 * shown as 10.0.2.2) and turns the guest's answer to a loopback client of
 * a UDP forward, which libslirp would refuse while the host's loopback is
 * closed, into one to the client's address before libslirp sees it
 * (answer: 1 when it did, -1 for a frame to drop; the frame was checked). Times in ms. Nothing to
 * do (nports 0) with the loopback open or no UDP forward. */
#define VMM_UDPFWD_SLOTS 256
struct vmm_udpfwd_flow {
	int64_t until; /* 0: free */
	uint16_t cport, gport;
	uint8_t v6;
	uint8_t addr[16]; /* the client's loopback address, as far as known */
};
struct vmm_udpfwd {
	uint16_t ports[VMM_NET_FWD_MAX]; /* the UDP forwards' guest ports */
	unsigned nports;
	uint8_t guest4[4], guest6[16];
	struct vmm_udpfwd_flow flow[VMM_UDPFWD_SLOTS];
};
void vmm_udpfwd_init(struct vmm_udpfwd *t, const struct vmm_net_conf *c, struct in_addr guest,
                     struct in6_addr guest6);
const uint8_t *vmm_udpfwd_to_guest(struct vmm_udpfwd *t, const uint8_t *f, size_t len, int64_t now,
                                   uint8_t *copy);
int vmm_udpfwd_answer(struct vmm_udpfwd *t, uint8_t *f, size_t len, int64_t now);

/* ---- the network helper (net_user.c in ukrun, net_slirp.c the helper) ----
 *
 * `ukrun --helper net PPID NAME VERBOSE`, given two sockets (SOCK_SEQPACKET
 * socketpairs, one message each), the frames ring and its two eventfds: */
#define VMM_NETH_FD_FRAMES 3      /* nothing is sent: either end sees the other's close */
#define VMM_NETH_FD_CTL 4         /* ukrun's conf, then its commands; one byte answers each */
#define VMM_NETH_FD_RING 5        /* memory: struct vmm_neth_rings */
#define VMM_NETH_FD_WAKE_HELPER 6 /* eventfd: frames for the helper, or room for its */
#define VMM_NETH_FD_WAKE_UKRUN 7  /* eventfd: frames for ukrun, or room for its */

/* The header is the guest's (checked by the device) toward the helper,
 * zero from it (whole frames, finished checksums). A frame and its header
 * at most: */
#define VMM_NETH_MSG_MAX (sizeof(struct uk_virtio_net_hdr) + 14 + 4 + UK_VIRTIO_NET_MTU_USER)

/* The frames rings (net_ring.c), in memory both processes map: the
 * guest's frames for the helper, the helper's for the guest. Records of a
 * 32-bit length and the frame ([virtio-net header][frame]; the helper's
 * header is zero: whole frames, finished checksums), 8-byte aligned,
 * never wrapping. */
#define VMM_NETH_RING_BYTES (4u << 20)
#define VMM_NETH_RING_SKIP 0xffffffffu /* a record's length: on at the start */
struct vmm_neth_ring {
	uint32_t head;      /* written by ukrun: bytes published, free-running */
	uint32_t want_room; /* written by ukrun (1) and the helper (0): signal ROOM */
	uint8_t pad0[56];
	uint32_t tail; /* written by the helper: bytes it is done with */
	uint8_t pad1[60];
	uint8_t data[VMM_NETH_RING_BYTES];
};
struct vmm_neth_rings {
	struct vmm_neth_ring to_helper, to_ukrun;
};
/* The producer's side (ukrun's to the helper, the helper's to ukrun): its
 * own copy of the head, what it published, the tail it last saw. */
struct vmm_ring_tx {
	struct vmm_neth_ring *r;
	uint32_t head, published, tail_seen;
};
/* 1 when a frame of len bytes fits now, 0 when not, -1 when the reader
 * broke the ring (its tail went back, or past the head). */
int vmm_ring_room(struct vmm_ring_tx *t, size_t len);
/* Room for len bytes (vmm_ring_room said so), not published: where they
 * go. Taking it back: t->head as it was. */
uint8_t *vmm_ring_put(struct vmm_ring_tx *t, size_t len);
/* What was put goes to the helper: 1 when there was any. */
int vmm_ring_publish(struct vmm_ring_tx *t);
/* The reader's side: the next frame after *tail (advanced past it), NULL
 * when none; *len 0 when the ring is broken (its head or a length is
 * none the producer writes). Done with them: release says so, 1 when the
 * producer waits for room (wake it). */
const uint8_t *vmm_ring_get(struct vmm_neth_ring *r, uint32_t *tail, size_t *len);
int vmm_ring_release(struct vmm_neth_ring *r, uint32_t tail);

/* The first message on the control socket is ukrun's struct vmm_net_conf
 * (the same binary on both ends); the helper answers VMM_NETH_OK once its
 * forwards are open and it is confined, else VMM_NETH_FAILED (it said why
 * on stderr) and ends. Then commands: */
enum vmm_neth_op {
	VMM_NETH_LISTEN = 1, /* the guest listens on port: open its TCP forwards */
	VMM_NETH_UNLISTEN,   /* it stopped: close them when no listener is left */
	VMM_NETH_RESET,      /* the driver reset the device: it listens on nothing */
	VMM_NETH_END,        /* the VM ended: say what passed (--verbose) */
};
struct vmm_neth_cmd {
	uint32_t op; /* enum vmm_neth_op */
	uint32_t port;
};
#define VMM_NETH_OK 0
#define VMM_NETH_FAILED 1

/* The helper's poll set, kept in an epoll instance across its turns
 * (net_epset.c): each turn names the fds it wants watched (add), waits
 * once, then asks what each had (revents) before the next turn (next).
 * Where an fd number may have come to name another file since the turn
 * that last named it, forget (or forget_all) must be called first. */
#define VMM_EPSET_BATCH 256 /* ready fds one wait reports (the rest: the next) */
struct vmm_epset {
	int ep;
	uint64_t turn;
	struct epset_fd *fd; /* by number */
	unsigned cap;
	int *reg; /* the numbers registered in the kernel */
	unsigned nreg, reg_cap;
};
/* 0, or -1 with errno. */
int vmm_epset_init(struct vmm_epset *s);
void vmm_epset_free(struct vmm_epset *s);
/* Watch fd for events (POLLIN, POLLOUT, POLLPRI) this turn: its index for
 * revents (the fd), or -1 with errno. */
int vmm_epset_add(struct vmm_epset *s, int fd, short events);
/* epoll_wait's answer: the number of ready fds, or -1 with errno. */
int vmm_epset_wait(struct vmm_epset *s, int timeout_ms);
/* What the wait found for fd (POLL* bits), 0 when nothing or not asked. */
short vmm_epset_revents(const struct vmm_epset *s, int fd);
void vmm_epset_next(struct vmm_epset *s);
void vmm_epset_forget(struct vmm_epset *s, int fd);
void vmm_epset_forget_all(struct vmm_epset *s);

/* The helper's side: its main (helper.c's table). */
int vmm_slirp_main(const char *name, int argc, char **argv);
/* Its confinement (net_seccomp.c): Landlock (no file but resolv.conf's
 * directory, read-only; TCP binds only to the forwards' host ports, where
 * the kernel has it), then its seccomp allow-list. 0, or -1 with a
 * message. */
int vmm_slirp_confine(const char *who, const struct vmm_net_conf *c);
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
