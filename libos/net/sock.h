/*
 * Sockets inside the library OS: files (uk/vfs.h) whose operations go to
 * lwIP's raw API. socket.c has the system calls, the file operations and
 * the options every socket has; sock_tcp.c and sock_udp.c the protocols.
 *
 * lwIP's callbacks (data arrived, data acknowledged, connection reset, new
 * connection) run on whichever thread drives the stack (uk/net.h); they
 * update the socket and wake its wait queue, where blocked calls and
 * poll/epoll wait. Every system call brackets its lwIP work with
 * uk_net_enter/leave.
 */
#ifndef UK_SOCK_H
#define UK_SOCK_H

#include <linux/in.h>
#include <linux/uio.h>
#include <stddef.h>
#include <stdint.h>
#include <uk/sched.h>
#include <uk/vfs.h>

/* Constants user space gets from the C library, not from uapi headers. */
#define UK_AF_UNSPEC 0
#define UK_AF_UNIX 1
#define UK_AF_INET 2
#define UK_AF_INET6 10
#define UK_SOCK_STREAM 1
#define UK_SOCK_DGRAM 2
#define UK_SOCK_TYPE_MASK 0xf
#define UK_MSG_OOB 0x1
#define UK_MSG_PEEK 0x2
#define UK_MSG_TRUNC 0x20
#define UK_MSG_DONTWAIT 0x40
#define UK_MSG_WAITALL 0x100
#define UK_MSG_NOSIGNAL 0x4000
#define UK_MSG_MORE 0x8000
#define UK_SHUT_RD 0
#define UK_SHUT_WR 1
#define UK_SHUT_RDWR 2

/* struct msghdr and struct linger of x86-64 Linux. */
struct uk_msghdr {
	void *msg_name;
	uint32_t msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};

struct uk_linger {
	int l_onoff;
	int l_linger;
};

struct uk_sock;

/* An IPv4 endpoint, network byte order. */
struct uk_sockaddr {
	uint32_t addr;
	uint16_t port;
};

struct uk_sock_proto {
	int (*open)(struct uk_sock *s);
	int (*bind)(struct uk_sock *s, const struct uk_sockaddr *a);
	int (*listen)(struct uk_sock *s, int backlog);
	/* The next queued connection, or -EAGAIN when none waits. */
	int (*accept)(struct uk_sock *s, struct uk_sock **out);
	/* Start connecting; 0 when done already, -EINPROGRESS to wait for
	 * ->connected. */
	int (*connect)(struct uk_sock *s, const struct uk_sockaddr *a);
	/* 1 connected, 0 not yet, -errno failed (s->err stays set). */
	int (*connected)(struct uk_sock *s);
	/* Transfer as much as possible now: bytes, or -EAGAIN (nothing now:
	 * wait on s->wq), or -errno. */
	long (*send)(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
	             const struct uk_sockaddr *to);
	long (*recv)(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
	             struct uk_sockaddr *from, int *msg_flags);
	int (*shutdown)(struct uk_sock *s, int how);
	unsigned (*poll)(struct uk_sock *s);
	int (*name)(struct uk_sock *s, int peer, struct uk_sockaddr *a);
	/* Protocol-level options (IPPROTO_TCP/IPPROTO_IP). */
	int (*setopt)(struct uk_sock *s, int level, int name, const void *val, uint32_t len);
	int (*getopt)(struct uk_sock *s, int level, int name, void *val, uint32_t *len);
	/* Bytes waiting to be read (FIONREAD). */
	long (*nread)(struct uk_sock *s);
	void (*close)(struct uk_sock *s);
};

enum uk_sock_opt {
	UK_SO_REUSEADDR = 1 << 0,
	UK_SO_KEEPALIVE = 1 << 1,
	UK_SO_BROADCAST = 1 << 2,
	UK_SO_LINGER0 = 1 << 3, /* SO_LINGER with l_linger 0: reset on close */
	UK_SO_NODELAY = 1 << 4,
};

struct uk_sock {
	int type; /* UK_SOCK_STREAM / UK_SOCK_DGRAM */
	const struct uk_sock_proto *proto;
	struct uk_wq wq;             /* readers, writers, pollers */
	int err;                     /* pending error (SO_ERROR), positive */
	unsigned opts;               /* enum uk_sock_opt */
	uint64_t rcvtimeo, sndtimeo; /* ns, 0 = none */
	int linger_secs;
	void *pcb;  /* the lwIP PCB, NULL once gone */
	void *priv; /* the protocol's state */
};

/* Wait on s->wq until ready(s) is true, or the timeout (ns, 0 = none)
 * passes: 0, -EAGAIN (non-blocking or timed out, as Linux's SO_RCVTIMEO),
 * -EINTR. Drives the stack itself while frames wait (poll before sleep).
 * Called inside uk_net_enter/leave. */
int uk_sock_wait(struct uk_sock *s, int (*ready)(struct uk_sock *), int nonblock,
                 uint64_t timeout_ns);

/* A new socket of the type with the protocol's state made (->open). */
struct uk_sock *uk_sock_new(int type);
void uk_sock_wake(struct uk_sock *s);

/* lwIP's err_t as -errno. */
int uk_sock_errno(int lwip_err);

/* Total length of an iovec, capped at LONG_MAX; -EINVAL when negative. */
long uk_iov_len(const struct iovec *iov, int cnt);

extern const struct uk_sock_proto uk_tcp_proto, uk_udp_proto;

#endif
