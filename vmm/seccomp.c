/*
 * ukrun's lock-down: once set-up is over (image loaded, guest RAM mapped,
 * the vCPU created, TAP and vhost-net opened, helpers started, disks opened
 * and locked, shares' roots opened) and before the guest's first
 * instruction, every thread of ukrun goes under this seccomp allow-list.
 * A guest that took ukrun over keeps what the run loop and the devices
 * need, and loses what only set-up needed: no exec, no fork, no new
 * executable memory, no new VM, memory slot or vCPU, no ptrace, no
 * signals to other processes (but its own helpers, by pidfd); no socket
 * made, bound or connected, and no way to a host file by name: no open,
 * unlink, rename, link, symlink, mkdir or chown, with any device. One
 * reason per line.
 *
 * Groups: the first is every ukrun's; the others are allowed only when
 * set-up made the device that needs them (vm->needs, VMM_NEED_* in
 * vmm.h).
 *
 * Decisions, and why:
 *  - Device threads start when a guest's driver sets DRIVER_OK and stop
 *    when it resets the device (virtio_mmio.c), so after the lock-down:
 *    thread creation stays allowed, but only of threads of this process
 *    (clone with CLONE_THREAD and no namespace flags). clone3 keeps its
 *    flags in memory a filter cannot read: it fails with ENOSYS, and
 *    glibc falls back to clone. Starting every thread before the
 *    lock-down instead would change the transport's life cycle (a reset
 *    must stop a device's queue work) for no gain: a thread of ours is
 *    under this filter from its first instruction.
 *  - A blocked call traps (SIGSYS) into a handler that names it on
 *    stderr and ends ukrun with 125, its status for its own failures,
 *    rather than SECCOMP_RET_KILL_PROCESS's bare "Bad system call"
 *    (status 159): the user learns which call it was and that ukrun, not
 *    the application, stopped. There is no second try: rt_sigaction is
 *    not allowed (but for glibc's SIGSETXID), so the handler stays, and
 *    a thread that blocks SIGSYS gets the kernel's default action, death.
 *  - The crash report's symbols come from the image after the guest
 *    stopped: the image stays open from set-up (vm->image_fd) instead of
 *    being opened again.
 *  - Host files behind a -v share are the 9P gofer's, a process of its
 *    own with its own list (p9_gofer.c, p9_seccomp.c), started before
 *    this lock-down: a ukrun taken over can ask it for what the guest
 *    could ask anyway, files beneath the share, and for nothing else.
 *  - The user network's sockets, forwards and resolv.conf are the network
 *    helper's, another (net_slirp.c, net_seccomp.c): ukrun passes it
 *    frames and the guest's listen commands, as the guest could anyway.
 *  - Fail closed: where the filter cannot be installed (a kernel without
 *    seccomp filters, a container that forbids them) ukrun does not run.
 *  - Cost: libseccomp builds the filter at every start, ~1 ms natively
 *    (--verbose prints it); a binary search over the calls keeps each
 *    checked call cheap on the data path.
 *
 * Debugging: UKRUN_SECCOMP=log lets every call through and has the
 * kernel log those outside the list (the audit log or dmesg, "type=1326
 * ... syscall=N"), to find a call missing here. ukrun says so on stderr.
 * No other setting turns the filter off.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp.h"
#include "vmm.h"

/* glibc's signal for set*id() across threads (SIGRTMIN + 1 of the
 * kernel), whose handler its first pthread_create installs. */
#define GLIBC_SIGSETXID 33
/* Flags a clone must have to make a thread of this process, and flags
 * it must not have. */
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define NS_FLAGS                                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET)
#define ALWAYS 0
#define THREADS VMM_NEED_THREADS
#define TAP VMM_NEED_TAP
#define VHOST VMM_NEED_VHOST
#define NET_USER VMM_NEED_NET_USER
#define GOFER VMM_NEED_GOFER
#define HELPERS VMM_NEED_HELPERS
#define DISK VMM_NEED_DISK
#define EXEC VMM_NEED_EXEC

/* clang-format off: one rule a line, reasons aligned */
static const struct vmm_rule rules[] = {
	/* ---- the vCPU loop and the console (main thread) ---- */
	IOCTL(ALWAYS, KVM_RUN),          /* running the guest */
	IOCTL(ALWAYS, KVM_GET_REGS),     /* a failed guest's registers, for the report */
	IOCTL(ALWAYS, KVM_GET_SREGS),    /* the same, its control registers */
	IOCTL(ALWAYS, KVM_TRANSLATE),    /* the same, its stack's frame chain */
	IOCTL(ALWAYS, KVM_GET_MP_STATE), /* the watchdog: is the vCPU halted for good? */
	IOCTL(ALWAYS, KVM_IRQ_LINE),     /* a signal for the guest: its pin (signal_fwd.c) */
	ALLOW(ALWAYS, write),            /* console hypercalls, messages, eventfd signals */
	ALLOW(ALWAYS, read),             /* console input hypercall, draining eventfds */
	ALLOW(ALWAYS, lseek),            /* the image's size, for a crash report's symbols */
	ALLOW(ALWAYS, close),            /* device teardown once the guest ended */
	ALLOW(ALWAYS, getrusage),        /* peak RSS in the --verbose summary */
	ALLOW(ALWAYS, exit_group),       /* the end */
	ALLOW(ALWAYS, close_range),      /* the end: all but the VM's and the reaper's (ukrun.c) */
	/* ---- signals: the watchdog tick and those ukrun catches end KVM_RUN ---- */
	ALLOW(ALWAYS, rt_sigreturn),             /* returning from those handlers */
	ALLOW(ALWAYS, restart_syscall),          /* a call those signals interrupted */
	ALLOW(ALWAYS, rt_sigprocmask),           /* threads start with signals blocked; abort() */
	ALLOW(ALWAYS, getpid),                   /* abort(); glib's message prefix */
	ALLOW(ALWAYS, gettid),                   /* abort() */
	ARG_IS(ALWAYS, tgkill, 0, THIS_PROCESS), /* abort() raising SIGABRT */
	/* ---- memory: glibc's malloc, the crash report's view of the image ---- */
	ALLOW_IF(ALWAYS, mmap, 2, PROT_EXEC, 0),     /* never executable */
	ALLOW_IF(ALWAYS, mprotect, 2, PROT_EXEC, 0), /* arenas, thread stacks; never executable */
	ALLOW(ALWAYS, munmap),                       /* free of large blocks */
	ALLOW(ALWAYS, mremap),                       /* realloc of large blocks */
	ALLOW(ALWAYS, madvise),                      /* free returning memory; thread exit */
	ALLOW(ALWAYS, brk),                          /* malloc in the main arena */
	ALLOW(ALWAYS, futex),                        /* locks; joining device threads */
	ALLOW(ALWAYS, clock_gettime),                /* timestamps (vDSO fallback) */
	/* a new thread's glibc set-up, each about the calling thread only:
	 * the stop's watch thread (signal_fwd.c), made just before the
	 * lock-down, may still be in it after */
	ALLOW(ALWAYS, set_robust_list), ALLOW(ALWAYS, rseq),

	/* ---- device threads (virtio_mmio.c), started at DRIVER_OK ---- */
	ALLOW_IF(THREADS, clone, 0, THREAD_FLAGS | NS_FLAGS, THREAD_FLAGS), /* threads only */
	FAIL(THREADS, clone3, ENOSYS), /* flags unreadable by a filter: glibc uses clone */
	ARG_IS(THREADS, rt_sigaction, 0, GLIBC_SIGSETXID), /* glibc's first pthread_create */
	ALLOW(THREADS, exit),        /* a device thread ends (reset, teardown) */
	ALLOW(THREADS, poll),        /* a device thread waits for kicks and its fds */
	ALLOW(THREADS, ppoll),       /* the same through newer glibc */
	ALLOW(THREADS, sched_yield), /* lock contention */

	/* ---- TAP backend (net_tap.c) ---- */
	ALLOW(TAP, readv),         /* frames from the TAP into guest buffers */
	ALLOW(TAP, writev),        /* frames from guest buffers to the TAP */
	IOCTL(TAP, TUNSETOFFLOAD), /* the offloads the driver accepted, at DRIVER_OK */

	/* ---- vhost-net (net_vhost.c): rings handed over at DRIVER_OK ---- */
	IOCTL(VHOST, VHOST_GET_FEATURES),    /* what the kernel's vhost offers */
	IOCTL(VHOST, VHOST_SET_FEATURES),    /* what the driver accepted */
	IOCTL(VHOST, VHOST_SET_MEM_TABLE),   /* guest RAM, one region */
	IOCTL(VHOST, VHOST_SET_VRING_NUM),   /* queue size */
	IOCTL(VHOST, VHOST_SET_VRING_BASE),  /* queue start index */
	IOCTL(VHOST, VHOST_SET_VRING_ADDR),  /* ring addresses, checked by the transport */
	IOCTL(VHOST, VHOST_SET_VRING_KICK),  /* our ioeventfd */
	IOCTL(VHOST, VHOST_SET_VRING_CALL),  /* our irqfd */
	IOCTL(VHOST, VHOST_NET_SET_BACKEND), /* the TAP attached, or detached at reset */

	/* ---- user-mode network (net_user.c): commands to its helper (frames: net_ring.c) ---- */
	ARG_IS(NET_USER, sendto, 3, MSG_NOSIGNAL), /* a command: listen, unlisten, reset */

	/* ---- 9P shares (virtio_9p.c): requests pass to the gofer, a process of its own ---- */
	ARG_IS(GOFER, sendto, 3, MSG_NOSIGNAL), /* a request (EPIPE, not SIGPIPE, if it died) */
	ARG_IS(GOFER, recvmsg, 2, MSG_CMSG_CLOEXEC), /* its reply, and a file the guest opened */
	ALLOW(GOFER, preadv),  /* Tread on such a file, straight into guest buffers */
	ALLOW(GOFER, pwritev), /* Twrite on such a file, straight from guest buffers */

	/* ---- helper processes (helper.c), each known by a pidfd opened at set-up ---- */
	ALLOW(HELPERS, pidfd_send_signal),   /* SIGKILL at the end: ukrun's pidfds name only them */
	ARG_IS(HELPERS, waitid, 0, P_PIDFD), /* reaping one, and how it ended */

	/* ---- virtio-blk (virtio_blk.c) ---- */
	ALLOW(DISK, preadv),    /* reads straight into guest buffers */
	ALLOW(DISK, pwritev),   /* writes straight from guest buffers */
	ALLOW(DISK, pwrite64),  /* WRITE_ZEROES where fallocate cannot */
	ALLOW(DISK, fallocate), /* DISCARD and WRITE_ZEROES: holes */
	ALLOW(DISK, fdatasync), /* FLUSH */
	/* ---- `ukrun exec` (exec.c): its socket, bound at set-up, and its callers' descriptors
	   ---- */
	ALLOW(EXEC, accept4),                    /* a caller (SO_PEERCRED checked) */
	ARG_IS(EXEC, getsockopt, 1, SOL_SOCKET), /* its uid */
	ARG_IS(EXEC, recvmsg, 2, MSG_DONTWAIT | MSG_CMSG_CLOEXEC), /* its request and stdio */
	ARG_IS(EXEC, recvfrom, 3, MSG_DONTWAIT), /* its signals for the process; its hang-up */
	ARG_IS(EXEC, sendto, 3, MSG_DONTWAIT | MSG_NOSIGNAL), /* replies */
	IOCTL(EXEC, TCGETS),     /* a caller's terminal: the guest's tcgetattr, isatty */
	IOCTL(EXEC, TCSETS),     /* the same: its tcsetattr */
	IOCTL(EXEC, TCFLSH),     /* the same: tcsetattr's TCSAFLUSH */
	IOCTL(EXEC, TIOCGWINSZ), /* the same: its window size */
	IOCTL(EXEC, TIOCSWINSZ), /* the same: its window size set */
};
/* clang-format on */

#define NRULES (sizeof(rules) / sizeof(rules[0]))

int vmm_seccomp(unsigned needs)
{
	struct vmm_filter f = { rules, NRULES, needs, 1, "", "vmm/seccomp.c" };

	return vmm_seccomp_load(&f);
}

/* ---- Landlock's rights, for the helpers ---- */

long vmm_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? abi : 0;
}

uint64_t vmm_landlock_fs(long abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV_;
	return r;
}

/* ---- installing a list (this one, and the helpers') ---- */

static uint32_t native_arch;
static char sigsys_who[160], sigsys_src[64];

static size_t put(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

/* The process ends at once, past any exit work a library interposes on
 * _exit (a sanitizer's leak check), whose calls may not be on the list. */
static void end(void) { syscall(SYS_exit_group, VMM_EXIT_ERROR); }

/*
 * The number is written first, the name after: libseccomp's name lookup
 * allocates, which a signal handler should not. It is safe enough here:
 * the handler never returns, and the trapped thread is not inside malloc
 * (malloc's own calls are all on the list), so at worst a lock held by a
 * hijacked thread stalls the message half-way, and the call stays blocked.
 * Looking every name up before the lock-down instead costs ~0.7 ms of
 * every boot for a message that should never be printed.
 */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char buf[400], num[12];
	size_t n = 0, k = sizeof(num);
	unsigned v = (unsigned)si->si_syscall;
	char *name;

	(void)sig, (void)ctx;
	num[--k] = 0;
	do
		num[--k] = (char)('0' + v % 10);
	while ((v /= 10) && k);
	n = put(buf, n, sizeof(buf), "ukrun: ");
	n = put(buf, n, sizeof(buf), sigsys_who);
	n = put(buf, n, sizeof(buf), "seccomp: blocked system call ");
	n = put(buf, n, sizeof(buf), num + k);
	if (si->si_arch != native_arch)
		n = put(buf, n, sizeof(buf), " of another architecture");
	if (write(STDERR_FILENO, buf, n) < 0)
		end();
	n = 0;
	if (si->si_arch == native_arch &&
	    (name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall))) {
		n = put(buf, n, sizeof(buf), " (");
		n = put(buf, n, sizeof(buf), name);
		n = put(buf, n, sizeof(buf), ")");
	}
	n = put(buf, n, sizeof(buf), *sigsys_who ? "; it stops" : "; the VM stops");
	n = put(buf, n, sizeof(buf), " (if ukrun needs this call, see ");
	n = put(buf, n, sizeof(buf), sigsys_src);
	n = put(buf, n, sizeof(buf), "; UKRUN_SECCOMP=log lets it through)\n");
	if (write(STDERR_FILENO, buf, n) < 0)
		end();
	end();
}

static int catch_sigsys(const struct vmm_filter *f)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	native_arch = seccomp_arch_native();
	snprintf(sigsys_who, sizeof(sigsys_who), "%s", f->who);
	snprintf(sigsys_src, sizeof(sigsys_src), "%s", f->src);
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct vmm_rule *r)
{
	struct scmp_arg_cmp c = r->cmp;

	if (r->ncmp && c.op == SCMP_CMP_MASKED_EQ && c.datum_b == THIS_PROCESS)
		c.datum_b = (scmp_datum_t)getpid();
	return r->ncmp ? seccomp_rule_add_exact_array(ctx, r->action, r->nr, 1, &c)
	               : seccomp_rule_add_exact(ctx, r->action, r->nr, 0);
}

/* Adds the rules for f's needs; counts the calls allowed (in some form). */
static int add_rules(scmp_filter_ctx ctx, const struct vmm_filter *f, int *count)
{
	static unsigned char seen[1024];
	int r = 0;

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < f->nrules && !r; i++) {
		const struct vmm_rule *u = &f->rules[i];
		if (u->need && !(u->need & f->needs))
			continue;
		r = add_rule(ctx, u);
		if (u->action == SCMP_ACT_ALLOW && u->nr >= 0 && u->nr < 1024)
			seen[u->nr] = 1;
	}
	*count = 0;
	for (int nr = 0; nr < 1024; nr++)
		*count += seen[nr];
	return r;
}

int vmm_seccomp_load(const struct vmm_filter *f)
{
	const char *mode = getenv("UKRUN_SECCOMP");
	int log = mode && !strcmp(mode, "log"), count = 0, r;
	scmp_filter_ctx ctx;

	if (mode && !log) {
		vmm_err("UKRUN_SECCOMP=%s: only 'log' is understood (unset it to run under the "
		        "seccomp allow-list)",
		        mode);
		return -EINVAL;
	}
	if (!log && (r = catch_sigsys(f)))
		goto out;
	if (!(ctx = seccomp_init(log ? SCMP_ACT_LOG : SCMP_ACT_TRAP))) {
		r = -ENOMEM;
		goto out;
	}
	/* Every thread, also one a library may have started. */
	r = f->all_threads ? seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) : 0;
	r = r ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	r = r ?: seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, log ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	r = r ?: add_rules(ctx, f, &count);
	r = r ?: seccomp_load(ctx);
	seccomp_release(ctx);
out:
	if (r) {
		r = r < 0 ? r : -EINVAL;
		vmm_err("%sseccomp: cannot install the allow-list: %s", f->who, strerror(-r));
		return r;
	}
	if (log)
		vmm_err("%sseccomp: UKRUN_SECCOMP=log: calls outside the allow-list are logged "
		        "by the kernel (dmesg), not stopped; for debugging only",
		        f->who);
	return count;
}
