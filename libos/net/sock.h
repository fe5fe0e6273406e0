/*
 * Sockets inside the library OS: files (uk/vfs.h) whose operations go to
 * lwIP's raw API, or stay within the process (AF_UNIX). socket.c has the
 * system calls and the file operations, socket_opt.c the options every
 * socket has, socket_cmsg.c control messages; sock_tcp.c, sock_udp.c and
 * sock_unix.c the protocols.
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
#include <uk/net.h>
#include <uk/sched.h>
#include <uk/vfs.h>

/* Constants user space gets from the C library, not from uapi headers. */
#define UK_AF_UNSPEC 0
#define UK_AF_UNIX 1
#define UK_AF_INET 2
#define UK_AF_INET6 10
#define UK_AF_NETLINK 16
#define UK_IPPROTO_IPV6 41
#define UK_IPV6_V6ONLY 26
#define UK_IP_RECVERR 11
#define UK_IPV6_RECVERR 25
#define UK_IP_MTU_DISCOVER 10
#define UK_IPV6_MTU_DISCOVER 23
#define UK_IP_PKTINFO 8
#define UK_IPV6_RECVPKTINFO 49
#define UK_IPV6_PKTINFO 50
#define UK_SOCK_STREAM 1
#define UK_SOCK_DGRAM 2
#define UK_SOCK_RAW 3
#define UK_SOCK_SEQPACKET 5
#define UK_SOCK_TYPE_MASK 0xf
#define UK_MSG_OOB 0x1
#define UK_MSG_PEEK 0x2
#define UK_MSG_CTRUNC 0x8
#define UK_MSG_TRUNC 0x20
#define UK_MSG_DONTWAIT 0x40
#define UK_MSG_WAITALL 0x100
#define UK_MSG_ERRQUEUE 0x2000
#define UK_MSG_NOSIGNAL 0x4000
#define UK_MSG_MORE 0x8000
#define UK_MSG_CMSG_CLOEXEC 0x40000000
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

#define UK_UNIX_PATH_MAX 108 /* sizeof(sun_path) */

/* An endpoint. AF_INET and AF_INET6: port and addr (IPv4), or addr6 and
 * scope when v6, network byte order. AF_UNIX: the name's len bytes in
 * path (0: unnamed; path[0] 0: an abstract name, else a path with its NUL
 * counted). */
struct uk_sockaddr {
	uint32_t addr;
	uint16_t port;
	uint16_t len;
	uint8_t v6;
	uint8_t unspec; /* AF_UNSPEC: connect dissolves a datagram association */
	uint8_t addr6[16];
	uint32_t scope;
	char path[UK_UNIX_PATH_MAX];
	uint32_t nl_pid, nl_groups; /* AF_NETLINK's */
};

/* Ancillary data of one message. AF_UNIX: the descriptors passed
 * (SCM_RIGHTS) as open files, a reference each, in an array from
 * uk_kmalloc. A received datagram of AF_INET/AF_INET6 (IP_PKTINFO,
 * IPV6_PKTINFO): the address it was sent to, IPv4 in dst4 unless dst_v6,
 * and the index of the interface it came in by. */
#define UK_SCM_MAX_FD 253 /* Linux's SCM_MAX_FD */
struct uk_scm {
	int nfiles;
	struct uk_file **files;
	int ifindex;
	uint8_t dst_v6;
	uint32_t dst4;
	uint8_t dst6[16];
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
	 * wait on s->wq), or -errno. scm (AF_UNIX only, else NULL): send
	 * takes the files over when it sends anything (scm->nfiles 0 after);
	 * recv hands over those that came with what it read (AF_INET's
	 * datagrams: where the datagram was sent to, when scm). */
	long (*send)(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
	             const struct uk_sockaddr *to, struct uk_scm *scm);
	long (*recv)(struct uk_sock *s, const struct iovec *iov, int cnt, int flags,
	             struct uk_sockaddr *from, int *msg_flags, struct uk_scm *scm);
	int (*shutdown)(struct uk_sock *s, int how);
	unsigned (*poll)(struct uk_sock *s);
	int (*name)(struct uk_sock *s, int peer, struct uk_sockaddr *a);
	/* Protocol-level options (IPPROTO_TCP/IPPROTO_IP; SOL_SOCKET ones
	 * socket.c leaves to the protocol). */
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
	UK_SO_CORK = 1 << 5, /* TCP_CORK */
	UK_SO_PASSCRED = 1 << 6,
	UK_SO_V6ONLY = 1 << 7,  /* IPV6_V6ONLY */
	UK_SO_RECVERR = 1 << 8, /* IP_RECVERR, IPV6_RECVERR */
	UK_SO_REUSEPORT = 1 << 9,
	UK_SO_PKTINFO = 1 << 10,  /* IP_PKTINFO */
	UK_SO_PKTINFO6 = 1 << 11, /* IPV6_RECVPKTINFO */
};
/* Either lets lwIP bind a port another socket holds (SOF_REUSEADDR); a
 * second listener on one address and port is refused by lwIP whatever
 * they say, unless both set SO_REUSEPORT (sock_tcp.c's listener groups;
 * UDP: socket_opt.c). */
#define UK_SO_REUSE (UK_SO_REUSEADDR | UK_SO_REUSEPORT)

struct uk_sock {
	int family; /* UK_AF_INET / UK_AF_UNIX */
	int type;   /* UK_SOCK_STREAM / UK_SOCK_DGRAM / UK_SOCK_SEQPACKET */
	const struct uk_sock_proto *proto;
	struct uk_wq wq;             /* readers, writers, pollers */
	int err;                     /* pending error (SO_ERROR), positive */
	unsigned opts;               /* enum uk_sock_opt */
	uint64_t rcvtimeo, sndtimeo; /* ns, 0 = none */
	int linger_secs;
	uint8_t pmtudisc; /* IP_MTU_DISCOVER's value + 1, 0 if never set */
	void *pcb;        /* the lwIP PCB, NULL once gone */
	void *priv;       /* the protocol's state */
};

/* Wait on s->wq until ready(s) is true, or the timeout (ns, 0 = none)
 * passes: 0, -EAGAIN (non-blocking or timed out, as Linux's SO_RCVTIMEO),
 * -EINTR. AF_INET: drives the stack itself while frames wait (poll before
 * sleep); called inside uk_sock_enter/leave. */
int uk_sock_wait(struct uk_sock *s, int (*ready)(struct uk_sock *), int nonblock,
                 uint64_t timeout_ns);

/* A new socket of the family and type with the protocol's state made
 * (->open). */
struct uk_sock *uk_sock_new(int family, int type);
void uk_sock_wake(struct uk_sock *s);

/* lwIP's err_t as -errno. */
int uk_sock_errno(int lwip_err);

/* Total length of an iovec, capped at LONG_MAX; -EINVAL when negative. */
long uk_iov_len(const struct iovec *iov, int cnt);

/* AF_UNIX (sock_unix.c, socket_cmsg.c). */
#define UK_SCM_RIGHTS 1
#define UK_SCM_CREDENTIALS 2
/* socketpair(2): two sockets of the type, connected. */
int uk_unix_pair(int type, struct uk_sock **a, struct uk_sock **b);
/* struct ucred of this process (12 bytes at out). */
void uk_unix_ucred(void *out);
/* sendmsg's control messages into scm: 0, or -errno (then drop what
 * scm holds). */
int uk_cmsg_in(const struct uk_msghdr *m, struct uk_scm *scm);
/* recvmsg's: the files of scm as new descriptors (those installed leave
 * scm), and this process's credentials when creds; msg_controllen and
 * MSG_CTRUNC as Linux sets them. */
void uk_cmsg_out(struct uk_msghdr *m, struct uk_scm *scm, int creds, int cloexec);
/* recvmsg's of an AF_INET/AF_INET6 datagram: IP_PKTINFO and
 * IPV6_PKTINFO as the socket asked for them (msg_controllen set). */
void uk_cmsg_pktinfo_out(struct uk_msghdr *m, const struct uk_sock *s, const struct uk_scm *scm);
/* Let go of the files scm still holds. */
void uk_cmsg_drop(struct uk_scm *scm);

/* An int option's value from setsockopt's val and len: 0, or -EINVAL
 * when there is less than an int. */
int uk_sockopt_int(const void *val, uint32_t len, int *v);
/* getsockopt's answer: size bytes of v, cut to *len as Linux does, and
 * *len set to what was written; -EINVAL for a missing or negative len. */
int uk_sockopt_put(void *val, uint32_t *len, const void *v, uint32_t size);
int uk_sockopt_put_int(void *val, uint32_t *len, int v);

/* Release a socket no descriptor holds (a connection never accepted). */
void uk_sock_free(struct uk_sock *s);

/* The bracket around lwIP (uk/net.h), for the sockets that use it. */
static inline void uk_sock_enter(const struct uk_sock *s)
{
	if (s->family != UK_AF_UNIX)
		uk_net_enter();
}

static inline void uk_sock_leave(const struct uk_sock *s)
{
	if (s->family != UK_AF_UNIX)
		uk_net_leave();
}

/* AF_INET and AF_INET6 addresses to and from lwIP's (sock_inet.c). */
struct ip_addr;
void uk_inet_ip(const struct uk_sock *s, const struct uk_sockaddr *a, struct ip_addr *ip);
void uk_inet_peer_ip(const struct uk_sock *s, const struct uk_sockaddr *a, struct ip_addr *ip);
void uk_inet_addr(const struct uk_sock *s, const struct ip_addr *ip, uint16_t port,
                  struct uk_sockaddr *a);
/* Whether ip is a loopback address of either version. */
int uk_inet_loopback(const struct ip_addr *ip);
/* Whether ip is an IPv6 address only the loopback interface would take
 * and does not hold (no device reaches it): connect and send say
 * ENETUNREACH. Between uk_net_enter and uk_net_leave. */
int uk_inet_unroutable(const struct ip_addr *ip);

/* The socket behind fd with a reference held in *fp; NULL when fd is not
 * open, (struct uk_sock *)-1 when it is not a socket. */
struct uk_sock *uk_sock_of(int fd, struct uk_file **fp);

/* The socket behind fd (a reference held in *fp), or return
 * -EBADF/-ENOTSOCK. */
#define SOCK_GET(fd, s, f)                       \
	do {                                     \
		(s) = uk_sock_of((fd), &(f));    \
		if (!(s))                        \
			return -EBADF;           \
		if ((s) == (struct uk_sock *)-1) \
			return -ENOTSOCK;        \
	} while (0)

extern const struct uk_sock_proto uk_tcp_proto, uk_udp_proto, uk_unix_proto, uk_netlink_proto;

#endif
