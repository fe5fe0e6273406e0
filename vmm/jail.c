/*
 * The jail: once set-up is over (/dev/kvm, the VM and vCPU, the image,
 * TAP and vhost-net, disks opened and locked, helpers started) and just
 * before the seccomp lock-down (seccomp.c), ukrun gives up what it no
 * longer needs, as Firecracker's jailer does for its VMM:
 *
 *  - its identity, to --user's uid and gid (setgroups to none, setresgid,
 *    setresuid: libcap-ng's capng_change_id);
 *  - every capability, in every set (effective, permitted, inheritable,
 *    ambient, and the bounding set where it holds CAP_SETPCAP);
 *  - its view of the host, in namespaces of its own where the host lets it
 *    make them: mount (the root becomes an empty read-only tmpfs: no host
 *    file by any name), IPC, UTS, and network (a TAP is open already and
 *    keeps working; --net user's host sockets and resolv.conf are the
 *    network helper's, net_slirp.c);
 *  - being dumped or ptraced by its new uid (PR_SET_DUMPABLE 0).
 * PR_SET_NO_NEW_PRIVS comes with the seccomp filter right after.
 *
 * Why, when the seccomp list already keeps a VMM taken over from any file
 * by name, any new process and any signal but to its own helpers: this is
 * the layer beneath. Were the filter passed (a kernel bug in an allowed
 * call), what is left is uid 65534 with no capability, in an empty mount
 * tree, off the host's network, rather than the invoking user, often root.
 *
 * Decisions, and why:
 *  - Optional hardening never fails a run: a host that refuses a namespace
 *    (no privilege, a container, a disabled user namespace) or a bounding
 *    set drop is named under --verbose and ukrun goes on. What the user
 *    asked for, --user, fails the run when it cannot be had, and is
 *    checked before /dev/kvm is opened (vmm_jail_check): a name that is
 *    not in /etc/passwd, root, or another uid without CAP_SETUID.
 *  - Unprivileged, ukrun first makes a user namespace (where the host
 *    allows it; the process must still be single-threaded) that owns the
 *    others: that gives a rootless ukrun the same mount, IPC, UTS and
 *    network namespaces. Its uid is not mapped there (nothing needs it:
 *    no file is made), and every capability it has there is dropped with
 *    the rest. Outside, it stays the user it was.
 *  - No PID namespace. A process enters one only through fork, and KVM
 *    ties a VM to the address space that made it: the fork would have to
 *    come before /dev/kvm opens, with a parent left outside to pass on
 *    the exit status, the terminal's signals and --timeout. What it would
 *    hide, other processes, is out of reach already: the seccomp list
 *    allows no kill but of ukrun itself, signals only through the pidfds
 *    of its own helpers, no ptrace, no open of /proc.
 *  - The empty root is a tmpfs mounted on /tmp in the private mount tree
 *    (a directory nearly every system has, as bubblewrap uses), moved over
 *    / and chrooted into, as switch_root does (an initramfs too). Not
 *    pivot_root with the old root detached: freeing that copy of the
 *    host's mount tree waits for an RCU grace period, on every start (0.3
 *    to 1.1 ms on average here, up to 12 ms under load, against 0.05 ms).
 *    Beneath the tmpfs the old tree is out of reach: chroot needs
 *    CAP_SYS_CHROOT, ukrun holds no directory's descriptor, and there is
 *    no /proc. Without /tmp, host files stay visible.
 *  - The helpers (the 9P gofers, the network helper) are started before
 *    and keep the invoking user's uid: a gofer serves the share as its
 *    owner, as gVisor's gofer does (a share of the user's files stays
 *    writable, and what the guest makes there is the user's, with or
 *    without --user); the network helper's host sockets are the user's,
 *    as slirp4netns's are, and it keeps CAP_NET_BIND_SERVICE alone when a
 *    -p host port is below 1024 (libslirp binds it each time the guest
 *    starts to listen), no capability else. So that ukrun,
 *    as --user's uid, can still stop them (SIGKILL through their pidfds:
 *    the kernel lets a uid signal a process whose saved uid it is), each
 *    sets its saved uid to --user's (vmm_jail_helper). A root gofer keeps
 *    only the file capabilities serving a share needs (vmm_jail_keep).
 *  - The network namespace is made ahead, beside the VM's set-up, where
 *    ukrun holds CAP_SYS_ADMIN (no user namespace has to come first):
 *    making one costs 0.5-0.7 ms (its loopback device and per-namespace
 *    state), half the jail, where entering one made already is a setns of
 *    microseconds. Namespaces belong to a thread, so a thread of its own
 *    unshares it and keeps it open (/proc/thread-self/ns/net); the jail
 *    joins that thread and enters the namespace. The jail then waits
 *    until the process is single-threaded again in the kernel's eyes
 *    too (a joined thread is released a little after its join returns),
 *    as the mount and user namespaces need. Where that fails, the jail
 *    makes the namespace itself, as without the capability.
 *  - Pick a uid for each VM of its own, as Firecracker advises: processes
 *    of one uid may signal each other, and so another process of that uid
 *    could stop this VM (ptrace is refused by PR_SET_DUMPABLE 0).
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm.h"

/* ---- --user, checked before anything is opened ---- */

/* A number that fits a uid or gid: 0 and its value; 1 when s is not a
 * number (a name); -1 out of range. (uid_t)-1 means "unchanged" to the
 * kernel, so it is out of range too. */
static int parse_id(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || s[strspn(s, "0123456789")])
		return 1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v >= UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * /etc/passwd's and /etc/group's entries, read with glibc's fgetpwent and
 * fgetgrent rather than getpwnam and its kin: ukrun is a static program
 * (Makefile), where glibc's NSS would load the host's shared NSS modules,
 * which want a libc of their own (a crash, when the name is not in
 * /etc/passwd). A user of ukrun's jail is a local account; LDAP or
 * systemd's dynamic users are not looked up.
 */
static struct passwd *passwd_entry(const char *name, uint32_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw = NULL;

	while (f && (pw = fgetpwent(f)) && (name ? strcmp(pw->pw_name, name) : pw->pw_uid != uid))
		;
	if (f)
		fclose(f);
	return pw;
}

static struct group *group_entry(const char *name)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr = NULL;

	while (f && (gr = fgetgrent(f)) && strcmp(gr->gr_name, name))
		;
	if (f)
		fclose(f);
	return gr;
}

static int user_id(const char *spec, const char *u, uint32_t *uid, uint32_t *gid, int *has_gid)
{
	struct passwd *pw;
	int r = parse_id(u, uid);

	if (r < 0) {
		vmm_err("--user '%s': uid %s is out of range (0 to %u)", spec, u, UINT32_MAX - 1);
		return -1;
	}
	pw = passwd_entry(r ? u : NULL, *uid);
	if (r && !pw) {
		vmm_err("--user '%s': no user %s in /etc/passwd (give UID[:GID] as numbers)", spec,
		        u);
		return -1;
	}
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		*has_gid = 1;
	}
	return 0;
}

static int group_id(const char *spec, const char *g, uint32_t *gid)
{
	struct group *gr;
	int r = parse_id(g, gid);

	if (r < 0) {
		vmm_err("--user '%s': gid %s is out of range (0 to %u)", spec, g, UINT32_MAX - 1);
		return -1;
	}
	if (r && !(gr = group_entry(g))) {
		vmm_err("--user '%s': no group %s in /etc/group (give UID[:GID] as numbers)", spec,
		        g);
		return -1;
	}
	if (r)
		*gid = gr->gr_gid;
	return 0;
}

int vmm_user_parse(const char *spec, uint32_t *uid, uint32_t *gid)
{
	char u[256], *colon;
	const char *g = NULL;
	int has_gid = 0;

	if (strlen(spec) >= sizeof(u) || !*spec || *spec == ':') {
		vmm_err("--user '%s': expected UID[:GID] or USER[:GROUP]", spec);
		return -1;
	}
	strcpy(u, spec);
	if ((colon = strchr(u, ':'))) {
		*colon = 0;
		g = colon + 1;
		if (!*g) {
			vmm_err("--user '%s': expected a group after ':'", spec);
			return -1;
		}
	}
	if (user_id(spec, u, uid, gid, &has_gid) || (g && group_id(spec, g, gid)))
		return -1;
	if (!g && !has_gid)
		*gid = *uid; /* a uid with no account: its own number as group */
	if (*uid == 0 || *gid == 0) {
		vmm_err("--user '%s': %s 0 is root's; --user takes an unprivileged user (leave it "
		        "out to keep ukrun's own ids)",
		        spec, *uid == 0 ? "uid" : "gid");
		return -1;
	}
	return 0;
}

/* Whether ukrun, with real and effective id cur and eff, can become id
 * want (uid or gid, through capability cap): 0, or -1 after a message. */
static int can_become(const char *user, const char *what, unsigned cur, unsigned eff, unsigned want,
                      unsigned cap, const char *cap_name)
{
	if ((want == cur && want == eff) || capng_have_capability(CAPNG_EFFECTIVE, cap) == 1)
		return 0;
	vmm_err("--user %s: ukrun runs as %s %u without %s and cannot become %s %u (run it as "
	        "root, or leave --user out)",
	        user, what, cur, cap_name, what, want);
	return -1;
}

int vmm_jail_check(struct vmm_opts *o)
{
	if (!o->user)
		return 0;
	if (vmm_user_parse(o->user, &o->uid, &o->gid))
		return -1;
	if (can_become(o->user, "uid", getuid(), geteuid(), o->uid, CAP_SETUID, "CAP_SETUID"))
		return -1;
	return can_become(o->user, "gid", getgid(), getegid(), o->gid, CAP_SETGID, "CAP_SETGID");
}

/* ---- the drop, just before the lock-down ---- */

/* What was done, for the --verbose line. */
struct report {
	char ns[64];      /* namespaces entered: " mnt ipc ..." */
	char refused[96]; /* those the host refused: " net" */
	int err;          /* the first refusal's errno */
	const char *root; /* how the host's files went, or why they did not */
	char why[160];    /* the same, with an error */
};

static void add(char *list, size_t cap, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, " %s", name);
}

static void enter(struct report *r, int flag, const char *name)
{
	if (!unshare(flag)) {
		add(r->ns, sizeof(r->ns), name);
		return;
	}
	add(r->refused, sizeof(r->refused), name);
	r->err = r->err ? r->err : errno;
}

/* ---- the network namespace, made ahead ---- */

static struct {
	pthread_t thread;
	int started;
	int fd; /* the namespace, once made */
} net_ahead = { .fd = -1 };

static void *make_net(void *arg)
{
	(void)arg;
	if (!unshare(CLONE_NEWNET))
		net_ahead.fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return NULL;
}

void vmm_jail_ahead(void)
{
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) == 1)
		net_ahead.started = !pthread_create(&net_ahead.thread, NULL, make_net, NULL);
}

/* The threads of ukrun that were joined gone, also from the kernel's
 * count, which drops after pthread_join returns (the exit's last steps):
 * unshare refuses a mount or user namespace to a process with another
 * thread, or with one sharing its file-system state. The main thread
 * stays, which no wait would see go (exec.c's starts after the jail: a
 * thread keeps its own capabilities and namespaces). */
static void single_threaded(void)
{
	char buf[512], *p;
	int fd;

	for (int i = 0; i < 10000; i++) {
		ssize_t n = -1;
		if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
		}
		if (n <= 0)
			return; /* no /proc: unshare says what it finds */
		buf[n] = 0;
		/* field 20, num_threads, counted after the command's ')' */
		p = strrchr(buf, ')');
		for (int f = 2; p && f < 20; f++)
			p = strchr(p + 1, ' ');
		if (!p || strtol(p + 1, NULL, 10) <= 1)
			return;
		sched_yield();
	}
}

/* The namespace made ahead, once its thread is gone: its descriptor, or
 * -1 (none was made: the jail makes one). */
static int net_ahead_take(void)
{
	int fd;

	if (!net_ahead.started)
		return -1;
	pthread_join(net_ahead.thread, NULL);
	net_ahead.started = 0;
	fd = net_ahead.fd;
	net_ahead.fd = -1;
	return fd;
}

/* The tmpfs on /tmp moved over / and chrooted into, as switch_root does. */
static int move_root(void)
{
	int r = 0;

	if (chdir("/tmp"))
		return -errno;
	if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot("."))
		r = -errno;
	if (chdir("/") && !r)
		r = -errno;
	return r;
}

/* In the mount namespace just made: none of it reaches the host's (the
 * tree turns private first), and then an empty root. */
static void hide_files(struct report *r)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const char *step;
	int e;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		step = "a private mount tree";
	} else if (mount("ukrun-jail", "/tmp", "tmpfs", ro, "mode=0555,size=4k")) {
		step = "a tmpfs on /tmp";
	} else if ((e = move_root())) {
		errno = -e;
		step = "the tmpfs moved over /";
	} else {
		r->root = "an empty root";
		return;
	}
	snprintf(r->why, sizeof(r->why), "host files kept (%s: %s)", step, strerror(errno));
	r->root = r->why;
}

/* ukrun's identity when the jail began. */
struct ids {
	unsigned uid, gid;
	int change; /* --user names other ids */
};

static void namespaces(const struct ids *id, struct report *r)
{
	int net = net_ahead_take();

	single_threaded(); /* that thread, and set-up's others (kvm_x86_64.c) */
	r->root = "host files kept";
	/* Not before a change of ids: they are not mapped in it. */
	if (!id->change && capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) != 1)
		enter(r, CLONE_NEWUSER, "user");
	enter(r, CLONE_NEWNS, "mnt");
	enter(r, CLONE_NEWIPC, "ipc");
	enter(r, CLONE_NEWUTS, "uts");
	if (net >= 0 && !setns(net, CLONE_NEWNET))
		add(r->ns, sizeof(r->ns), "net");
	else
		enter(r, CLONE_NEWNET, "net");
	if (net >= 0)
		close(net);
	if (strstr(r->ns, " mnt"))
		hide_files(r);
}

/* Every capability, in every set; the ids too with --user. 0, or -1 with
 * a message (--user was asked for). *bounds: the bounding set cleared. */
static int drop(const struct vmm_opts *o, const struct ids *id, int *bounds)
{
	int r;

	capng_clear(CAPNG_SELECT_ALL);
	*bounds = capng_apply(CAPNG_SELECT_BOUNDS) == 0;
	if (id->change) {
		/* takes CAP_SETUID and CAP_SETGID back for the change only */
		if ((r = capng_change_id((int)o->uid, (int)o->gid, CAPNG_DROP_SUPP_GRP))) {
			vmm_err("--user %s: cannot become uid %u gid %u (libcap-ng's step %d: %s)",
			        o->user, (unsigned)o->uid, (unsigned)o->gid, -r, strerror(errno));
			return -1;
		}
	} else if (capng_apply(CAPNG_SELECT_CAPS)) {
		vmm_err("jail: cannot clear ukrun's capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0)) {
		vmm_err("jail: PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vmm_jail(struct vmm *vm)
{
	const struct vmm_opts *o = vm->opts;
	struct ids id = { (unsigned)getuid(), (unsigned)getgid(), 0 };
	struct report r = { .err = 0 };
	char refused[160] = "";
	double t0 = vmm_now();
	int bounds;

	id.change = o->user && (o->uid != id.uid || o->uid != geteuid() || o->gid != id.gid ||
	                        o->gid != getegid());
	namespaces(&id, &r);
	if (drop(o, &id, &bounds))
		return -1;
	if (*r.refused)
		snprintf(refused, sizeof(refused), " (refused:%s: %s)", r.refused, strerror(r.err));
	vmm_verbose(
	    vm, "jail: uid %u gid %u%s, no capabilities%s, %s%s%s, %s (%.2f ms)",
	    o->user ? (unsigned)o->uid : id.uid, o->user ? (unsigned)o->gid : id.gid,
	    o->user ? "" : " (no --user)", bounds ? "" : " (the bounding set kept: no CAP_SETPCAP)",
	    *r.ns ? "namespaces" : "no namespaces", r.ns, refused, r.root, (vmm_now() - t0) * 1e3);
	return 0;
}

/* ---- the helpers' side ---- */

int vmm_jail_helper(const char *name, const char *stopper)
{
	uint32_t uid;

	if (!strcmp(stopper, "-"))
		return 0;
	if (parse_id(stopper, &uid)) {
		vmm_err("%s: the uid to be stopped by is not a number: %s", name, stopper);
		return -1;
	}
	if (setresuid((uid_t)-1, (uid_t)-1, (uid_t)uid)) {
		vmm_err("%s: cannot let uid %u stop it (its saved uid): %s", name, (unsigned)uid,
		        strerror(errno));
		return -1;
	}
	return 0;
}

int vmm_jail_keep(const char *name, const unsigned *caps, int ncaps)
{
	int setpcap;

	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return prctl(PR_SET_DUMPABLE, 0) ? -1 : 0; /* nothing to keep or drop */
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	for (int i = 0; i < ncaps; i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		             caps[i]);
	/* The bounding set first, while CAP_SETPCAP is still there; without
	 * it the bounding set stays as it is. */
	if ((setpcap && capng_apply(CAPNG_SELECT_BOUNDS)) || capng_apply(CAPNG_SELECT_CAPS) ||
	    prctl(PR_SET_DUMPABLE, 0)) {
		vmm_err("%s: cannot give up its capabilities: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}
