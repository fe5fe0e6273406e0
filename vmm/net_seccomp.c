/*
 * The network helper's confinement (net_slirp.c): Landlock where the
 * kernel has it, then its seccomp allow-list, installed once libslirp
 * runs and the forwards are open, before the first frame.
 *
 * Landlock, files (Linux 5.13 and later): nothing may be opened,
 * created, removed or executed anywhere, but files read beneath the
 * directory that holds /etc/resolv.conf (after its symbolic links:
 * /etc, or /run/systemd/resolve with systemd-resolved), which libslirp
 * reads again whenever it changes as the guest asks 10.0.2.3. The file
 * alone would be tighter, but a rule holds an inode, and
 * NetworkManager and systemd-resolved replace resolv.conf by renaming a
 * new one over it: the guest's DNS would then stop for the rest of the
 * run. Landlock, network (Linux 6.7 and later, ABI 4): TCP binds only to
 * the forwards' host ports; connections out stay open (the guest's).
 *
 * The seccomp allow-list: what libslirp does for the guest (sockets of
 * the IPv4 and IPv6 families and what is done with them, reading
 * resolv.conf), the
 * frames and commands to and from ukrun over the two sockets it was
 * given, and the C library underneath. No exec, fork or thread, no
 * executable memory, no ioctl but three harmless ones, no signals to
 * others, no file written. A call outside the list traps into a handler
 * that names it and ends the helper with 125; ukrun then stops the VM,
 * naming the helper. One reason per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "net.h"
#include "seccomp.h"

/* Landlock's network rules (ABI 4), which Debian 12's kernel headers lack. */
#define LL_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LL_RULE_NET_PORT 2

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* The directory that holds resolv.conf, symbolic links followed: an
 * O_PATH descriptor, or -1 (no rule then: libslirp finds no resolver). */
static int resolv_dir(void)
{
	char path[PATH_MAX];
	char *slash;

	if (!realpath("/etc/resolv.conf", path))
		snprintf(path, sizeof(path), "/etc/resolv.conf");
	if (!(slash = strrchr(path, '/')) || slash == path)
		return -1; /* not the whole file system for it */
	*slash = 0;
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int add_rules(int rs, long abi, const struct vmm_net_conf *c)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE };
	int r = 0;

	if ((pb.parent_fd = resolv_dir()) >= 0) {
		r = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		close(pb.parent_fd);
	}
	for (int i = 0; abi >= 4 && i < c->nfwd && !r; i++) {
		struct ll_net_port_attr np = { LL_ACCESS_NET_BIND_TCP, c->fwd[i].host_port };
		if (!c->fwd[i].udp)
			r = (int)syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &np, 0);
	}
	return r;
}

/* 0, or -errno. */
static int landlock(const struct vmm_net_conf *c, long abi)
{
	struct ll_ruleset_attr ra = { vmm_landlock_fs(abi), abi >= 4 ? LL_ACCESS_NET_BIND_TCP : 0 };
	size_t size = abi >= 4 ? sizeof(ra) : sizeof(ra.handled_access_fs);
	int rs, r;

	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &ra, size, 0)) < 0)
		return -errno;
	r = add_rules(rs, abi, c) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, rs, 0);
	r = r ? -errno : 0;
	close(rs);
	return r;
}

#define ALWAYS 0

/* clang-format off: one rule a line, reasons aligned */
static const struct vmm_rule rules[] = {
	/* ---- libslirp's sockets for the guest ---- */
	/* AF_INET (2) and AF_INET6 (10) alone pass the mask (they differ in bit 3):
	 * a guest's TCP connection, UDP flow or ping, either family; a forward
	 * held on a host address of either */
	ALLOW_IF(ALWAYS, socket, 0, ~(uint64_t)(AF_INET ^ AF_INET6), AF_INET),
	FAIL_IF(ALWAYS, socket, 0, SCMP_CMP_GT, AF_INET6,
	        EAFNOSUPPORT), /* if_nametoindex: netlink first */
	FAIL_IF(ALWAYS, socket, 0, SCMP_CMP_LT, AF_INET, EAFNOSUPPORT), /* and AF_UNIX */
	ALLOW(ALWAYS, connect),     /* a guest's outgoing connection */
	ALLOW(ALWAYS, accept),      /* a connection to a forwarded host port */
	ALLOW(ALWAYS, bind),        /* a forwarded port opened or held (Landlock: only those) */
	ALLOW(ALWAYS, listen),      /* the same, and its backlog widened */
	ALLOW(ALWAYS, setsockopt),  /* SO_OOBINLINE, TCP_NODELAY, IP_TTL, IP_RECVERR */
	ALLOW(ALWAYS, getsockopt),  /* SO_ERROR of a failed connect; SO_ACCEPTCONN */
	ALLOW(ALWAYS, getsockname), /* forwarded ports; glib asks if stderr is journald */
	ALLOW(ALWAYS, getpeername), /* whether a connect finished */
	ALLOW(ALWAYS, sendto),      /* send(), UDP/ICMP datagrams; answers to ukrun */
	ALLOW(ALWAYS, recvfrom),    /* recv(), UDP/ICMP datagrams */
	ALLOW(ALWAYS, recvmsg),     /* ICMP errors (MSG_ERRQUEUE) */
	ALLOW(ALWAYS, shutdown),    /* a half-close passed on */
	ALLOW(ALWAYS, close),       /* a connection's end */
	ARG_IS(ALWAYS, fcntl, 1, F_GETFL), /* O_NONBLOCK on a new socket */
	ARG_IS(ALWAYS, fcntl, 1, F_SETFL), /* the same */
	IOCTL(ALWAYS, FIONREAD),           /* the size of a waiting UDP datagram */
	IOCTL(ALWAYS, SIOCGIFINDEX),       /* if_nametoindex: "nameserver fe80::1%eth0" */
	IOCTL(ALWAYS, TCGETS),             /* glib asks if stderr is a terminal (colours) */
	ALLOW(ALWAYS, epoll_wait),         /* the loop: ukrun's sockets and slirp's */
	ALLOW(ALWAYS, epoll_pwait),        /* the same through other glibcs */
	ALLOW(ALWAYS, epoll_ctl),          /* the set changed since the last turn */
	ALLOW(ALWAYS, clock_gettime),      /* slirp's clock and timers (vDSO fallback) */
	/* /etc/resolv.conf, re-read when it changes as the guest asks 10.0.2.3:
	 * read-only opens (Landlock: beneath its directory only) */
	ALLOW_IF(ALWAYS, openat, 2, ~(uint64_t)O_CLOEXEC & 0xffffffffu, O_RDONLY),
	ALLOW(ALWAYS, newfstatat), /* stat() of resolv.conf, fstat() of the file */
	ALLOW(ALWAYS, fstat),      /* older glibc's fstat */
	ALLOW(ALWAYS, read),       /* the file; commands from ukrun; its kicks (eventfd) */
	ALLOW(ALWAYS, lseek),      /* stdio's fclose of a file read */
	/* ---- ukrun's device: frames to and from the guest ---- */
	ALLOW(ALWAYS, write), /* messages on stderr; the ring's room (eventfd) */
	/* ---- the C library and glib underneath ---- */
	ALLOW_IF(ALWAYS, mmap, 2, PROT_EXEC, 0),     /* malloc of large blocks; never executable */
	ALLOW_IF(ALWAYS, mprotect, 2, PROT_EXEC, 0), /* sanitizers' allocator; never executable */
	ALLOW(ALWAYS, munmap),                       /* free of large blocks */
	ALLOW(ALWAYS, mremap),                       /* realloc of large blocks (the poll set) */
	ALLOW(ALWAYS, madvise),                      /* free returning memory */
	ALLOW(ALWAYS, brk),                          /* malloc in the main arena */
	ALLOW(ALWAYS, futex),                        /* glib's locks */
	ALLOW(ALWAYS, restart_syscall),              /* a call a signal interrupted */
	ALLOW(ALWAYS, exit_group),                   /* the end: ukrun closed its sockets */
	ALLOW(ALWAYS, rt_sigprocmask),               /* abort() on a failed assertion */
	ALLOW(ALWAYS, getpid),                       /* the same; glib's message prefix */
	ALLOW(ALWAYS, gettid),                       /* the same */
	ARG_IS(ALWAYS, tgkill, 0, THIS_PROCESS),     /* the same, raising SIGABRT */
};
/* clang-format on */

int vmm_slirp_confine(const char *who, const struct vmm_net_conf *c)
{
	char prefix[128];
	long abi = vmm_landlock_abi();
	int r = abi ? landlock(c, abi) : 0;
	struct vmm_filter f = { rules,  sizeof(rules) / sizeof(rules[0]),
		                0,      1,
		                prefix, "vmm/net_seccomp.c" };

	if (r) {
		vmm_err("%s: Landlock: %s", who, strerror(-r));
		return -1;
	}
	vmm_verbose(NULL, "%s: %s", who,
	            !abi      ? "no Landlock in this kernel: files and binds unconfined"
	            : abi < 4 ? "confined by Landlock (resolv.conf's directory, read-only)"
	                      : "confined by Landlock (resolv.conf's directory, read-only; TCP "
	                        "binds to the forwards' host ports)");
	snprintf(prefix, sizeof(prefix), "%s: ", who);
	return vmm_seccomp_load(&f) < 0 ? -1 : 0;
}
