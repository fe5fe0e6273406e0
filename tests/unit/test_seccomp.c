/*
 * ukrun's seccomp allow-list (vmm/seccomp.c), each case in a forked child
 * that installs it and then tries something: what ukrun needs after
 * set-up passes, what it does not ends the child with status 125 and a
 * line naming the call, whatever thread makes it. The helpers' lists too:
 * the 9P gofer's (vmm/p9_seccomp.c) and the network helper's
 * (vmm/net_seccomp.c, with its Landlock rules).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../vmm/net.h"
#include "../../vmm/p9_server.h"
#include "../../vmm/seccomp.h"
#include "../../vmm/vmm.h"
#include "unit.h"

#define ALL_NEEDS                                                                                \
	(VMM_NEED_THREADS | VMM_NEED_TAP | VMM_NEED_VHOST | VMM_NEED_NET_USER | VMM_NEED_GOFER | \
	 VMM_NEED_DISK | VMM_NEED_HELPERS)

static char err[4096]; /* the last child's stderr */

/* The list a child installs: ukrun's for needs, the gofer's, the network
 * helper's (with its Landlock rules: a TCP forward from host port
 * FWD_PORT), or none (fn installs one itself). */
#define GOFER_LIST (~0u)
#define OWN_LIST (~1u)
#define NET_LIST (~2u)
#define FWD_PORT 18399

static int install(unsigned needs)
{
	struct vmm_net_conf c = { .kind = VMM_NET_USER, .nfwd = 1 };

	c.fwd[0] = (struct vmm_net_fwd){ .family = AF_INET,
		                         .host_addr.s_addr = htonl(INADDR_LOOPBACK),
		                         .host_port = FWD_PORT,
		                         .guest_port = 80 };
	if (needs == OWN_LIST)
		return 0;
	if (needs == NET_LIST)
		return vmm_slirp_confine("the network helper", &c);
	return needs == GOFER_LIST ? p9s_seccomp("gofer of /x: ") : vmm_seccomp(needs);
}

/* Run fn in a child under the allow-list for needs; its wait status. A
 * child that could not install the list exits with 3; without fn it
 * exits with the number of calls allowed. */
static int in_child(unsigned needs, void (*fn)(void))
{
	int p[2], st = -1, count;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		if ((count = install(needs)) < 0)
			_exit(3);
		if (!fn)
			_exit(count);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (n < sizeof(err) - 1 && (k = read(p[0], err + n, sizeof(err) - 1 - n)) > 0)
		n += (size_t)k;
	err[n] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return st;
}

/* Ended by the handler: status 125, one line naming the call (and the
 * gofer, for its list). */
static int stopped_as(int st, const char *who, long nr, const char *name)
{
	char want[128];

	snprintf(want, sizeof(want), "ukrun: %sseccomp: blocked system call %ld (%s); ", who, nr,
	         name);
	return WIFEXITED(st) && WEXITSTATUS(st) == VMM_EXIT_ERROR &&
	       !strncmp(err, want, strlen(want)) && strchr(err, '\n') == err + strlen(err) - 1;
}

static int stopped_by(int st, long nr, const char *name) { return stopped_as(st, "", nr, name); }

static int clean_exit(int st) { return WIFEXITED(st) && WEXITSTATUS(st) == 0 && !err[0]; }

/* ---- what every ukrun does after set-up ---- */

static void everyday(void)
{
	struct timespec ts;
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = malloc(64 << 20);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) || munmap(p, 1 << 20) || !big)
		_exit(1);
	big[12345] = 1;
	big = realloc(big, 128 << 20);
	free(big);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* KVM's run ioctl is allowed: here it fails only for the bad fd */
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		_exit(2);
	if (getpid() <= 0 || write(STDOUT_FILENO, "", 0) < 0)
		_exit(4);
}

TEST(what_ukrun_needs_passes) { EXPECT(clean_exit(in_child(0, everyday))); }

static void do_dup(void) { dup(STDOUT_FILENO); }

TEST(anything_else_stops_with_a_message)
{
	EXPECT(stopped_by(in_child(0, do_dup), SYS_dup, "dup"));
}

static void do_exec(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, argv + 1);
}

TEST(exec_stops) { EXPECT(stopped_by(in_child(ALL_NEEDS, do_exec), SYS_execve, "execve")); }

static void do_fork(void)
{
	if (fork() == 0)
		_exit(0);
}

TEST(fork_stops_even_with_threads)
{
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_fork), SYS_clone, "clone"));
}

/* No process after the lock-down, even one sharing memory and files as
 * the teardown's reaper does (ukrun.c makes it before the lock-down): a
 * ukrun taken over cannot leave processes that outlive it. */
static int reaper_exit(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0);
	return 0;
}

static void reaper_with(int flags)
{
	static char stack[16384] __attribute__((aligned(16)));

	if (clone(reaper_exit, stack + sizeof(stack), flags, NULL) < 0)
		_exit(1);
}

static void do_reaper(void) { reaper_with(CLONE_VM | CLONE_FS | CLONE_FILES); }
static void do_reaper_sibling(void)
{
	reaper_with(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_PARENT);
}
static void do_reaper_signalling(void) { reaper_with(CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD); }

TEST(no_process_not_even_a_reaper)
{
	EXPECT(stopped_by(in_child(0, do_reaper), SYS_clone, "clone"));
	EXPECT(stopped_by(in_child(0, do_reaper_sibling), SYS_clone, "clone"));
	EXPECT(stopped_by(in_child(0, do_reaper_signalling), SYS_clone, "clone"));
}

static void do_exec_memory(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void do_exec_protect(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

TEST(no_executable_memory)
{
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_exec_memory), SYS_mmap, "mmap"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_exec_protect), SYS_mprotect, "mprotect"));
}

static void do_ioctl(void)
{
	char c = 'x';

	ioctl(STDIN_FILENO, TIOCSTI, &c);
}

static void do_create_vcpu(void) { ioctl(-1, KVM_CREATE_VCPU, 0); }

TEST(only_listed_ioctls)
{
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_ioctl), SYS_ioctl, "ioctl"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_create_vcpu), SYS_ioctl, "ioctl"));
}

static pid_t parent;

static void do_kill_parent(void) { kill(parent, 0); }
static void do_tgkill_parent(void) { syscall(SYS_tgkill, parent, parent, 0); }

TEST(no_signals_to_other_processes)
{
	parent = getpid();
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_kill_parent), SYS_kill, "kill"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_tgkill_parent), SYS_tgkill, "tgkill"));
}

TEST(abort_still_aborts)
{
	int st = in_child(0, abort);

	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

static void do_ignore_sigsys(void) { signal(SIGSYS, SIG_IGN); }

static void do_block_sigsys_then_exec(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	sigprocmask(SIG_BLOCK, &s, NULL);
	do_exec();
}

/* No second try: the handler cannot be replaced, and blocking SIGSYS
 * gets the kernel's default action instead of the handler. */
TEST(the_handler_stays)
{
	int st;

	EXPECT(stopped_by(in_child(ALL_NEEDS, do_ignore_sigsys), SYS_rt_sigaction, "rt_sigaction"));
	st = in_child(ALL_NEEDS, do_block_sigsys_then_exec);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

/* ---- the groups a device adds ---- */

static void do_socket(void) { socket(AF_INET, SOCK_STREAM, 0); }
static void do_open(void) { open("/dev/null", O_RDONLY); }
static void do_unlink(void) { unlinkat(AT_FDCWD, "/nonexistent", 0); }
static void do_mkdir(void) { mkdirat(AT_FDCWD, "/nonexistent", 0755); }
static void do_rename(void) { renameat(AT_FDCWD, "/nonexistent", AT_FDCWD, "/nonexistent2"); }
static void do_link(void) { linkat(AT_FDCWD, "/nonexistent", AT_FDCWD, "/nonexistent2", 0); }
static void do_symlink(void) { symlinkat("/x", AT_FDCWD, "/nonexistent"); }
static void do_chown(void) { fchownat(AT_FDCWD, "/nonexistent", 0, 0, 0); }
static void do_open_for_writing(void) { open("/dev/null", O_WRONLY); }
static void do_kvm_run(void) { ioctl(-1, KVM_RUN, 0); }

/* libslirp's sockets and resolv.conf are the network helper's: ukrun
 * itself, with every device, makes no socket and has no way to a host
 * file by name (shares are served by their gofer processes). */
TEST(no_sockets_or_host_files_with_any_device)
{
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_socket), SYS_socket, "socket"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_open), SYS_openat, "openat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_unlink), SYS_unlinkat, "unlinkat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_mkdir), SYS_mkdirat, "mkdirat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_rename), SYS_renameat, "renameat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_link), SYS_linkat, "linkat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_symlink), SYS_symlinkat, "symlinkat"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_chown), SYS_fchownat, "fchownat"));
}

/* ukrun's side of --net user: commands over the socket to the helper,
 * never SIGPIPE (a dead helper gives EPIPE); frames go both ways through
 * the rings (vmm/net_ring.c: memory and eventfds), none on a socket. */
static int net_pair[2];

static int send_frames(int fd, int flags)
{
	struct iovec io[2] = { { "frame", 5 }, { "frame", 5 } };
	struct mmsghdr m[2] = { { .msg_hdr = { .msg_iov = &io[0], .msg_iovlen = 1 } },
		                { .msg_hdr = { .msg_iov = &io[1], .msg_iovlen = 1 } } };

	return sendmmsg(fd, m, 2, flags);
}

static void frames_to_the_helper(void)
{
	if (send(net_pair[0], "cmd", 3, MSG_NOSIGNAL) != 3)
		_exit(1);
}

static void frame_from_the_socket(void)
{
	struct iovec io = { (char[16]){ 0 }, 16 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1 };

	recvmsg(net_pair[0], &mh, MSG_DONTWAIT);
}

static void frames_on_the_socket(void) { send_frames(net_pair[0], MSG_DONTWAIT | MSG_NOSIGNAL); }
static void do_connect(void) { connect(net_pair[0], NULL, 0); }

TEST(frames_to_the_network_helper)
{
	EXPECT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, net_pair) == 0);
	EXPECT(clean_exit(in_child(VMM_NEED_NET_USER, frames_to_the_helper)));
	EXPECT(stopped_by(in_child(VMM_NEED_NET_USER, frames_on_the_socket), SYS_sendmmsg,
	                  "sendmmsg"));
	EXPECT(
	    stopped_by(in_child(VMM_NEED_NET_USER, frame_from_the_socket), SYS_recvmsg, "recvmsg"));
	EXPECT(stopped_by(in_child(ALL_NEEDS, do_connect), SYS_connect, "connect"));
	close(net_pair[0]);
	close(net_pair[1]);
}

/* The network helper's own list: what libslirp does. Its Landlock rules
 * (where the kernel has them): resolv.conf readable, nothing else; TCP
 * binds to the forward's host port only. */
static int bind_tcp(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(port),
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), r;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(s, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	close(s);
	return r;
}

static long landlock_abi;          /* looked up before the list forbids it */
static int helper_ep, helper_evfd; /* made before the list, as the helper makes them */

/* The helper's loop: its epoll set changed and waited on; the frames
 * ring's eventfds read (ukrun's kick) and written (room for ukrun). */
static int loop_calls(void)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = helper_evfd };
	uint64_t one = 1;

	return epoll_ctl(helper_ep, EPOLL_CTL_ADD, helper_evfd, &e) == 0 &&
	       write(helper_evfd, &one, sizeof(one)) == sizeof(one) &&
	       epoll_wait(helper_ep, &e, 1, 0) == 1 &&
	       read(helper_evfd, &one, sizeof(one)) == sizeof(one) &&
	       epoll_ctl(helper_ep, EPOLL_CTL_DEL, helper_evfd, NULL) == 0;
}

static void slirp_calls(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), fd;
	long abi = landlock_abi;
	char buf[64];

	if (s < 0 || fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK))
		_exit(1);
	/* glibc's if_nametoindex tries netlink, then unix, then inet sockets */
	if (socket(AF_UNIX, SOCK_DGRAM, 0) != -1 || errno != EAFNOSUPPORT ||
	    socket(AF_NETLINK, SOCK_DGRAM, 0) != -1 || errno != EAFNOSUPPORT)
		_exit(2);
	/* IPv6: the guest's connections and flows, forwards on [::1] (a
	 * host without IPv6 refuses the family itself) */
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0 && errno != EAFNOSUPPORT)
		_exit(11);
	if (fd >= 0)
		close(fd);
	if (if_nametoindex("lo") == 0)
		_exit(3);
	if ((fd = open("/etc/resolv.conf", O_RDONLY)) >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			_exit(4);
		close(fd);
	} else if (errno != ENOENT) {
		_exit(5);
	}
	if (abi && (open("/proc/self/status", O_RDONLY) != -1 || errno != EACCES))
		_exit(6);
	if (bind_tcp(FWD_PORT) == -EACCES)
		_exit(7);
	if (abi >= 4 && bind_tcp(FWD_PORT + 1) != -EACCES)
		_exit(8);
	/* ukrun's end looked at (frames go through the rings: nothing is
	 * sent there, and its close is its end) */
	if (recv(net_pair[1], buf, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		_exit(9);
	if (!loop_calls())
		_exit(10);
}

static void net_helper(void)
{
	landlock_abi = vmm_landlock_abi();
	helper_ep = epoll_create1(EPOLL_CLOEXEC);
	helper_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (helper_ep < 0 || helper_evfd < 0 || install(NET_LIST) < 0)
		_exit(3);
	slirp_calls();
}

TEST(the_network_helpers_list)
{
	EXPECT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, net_pair) == 0);
	EXPECT(clean_exit(in_child(OWN_LIST, net_helper)));
	EXPECT(stopped_as(in_child(NET_LIST, do_open_for_writing),
	                  "the network helper: ", SYS_openat, "openat"));
	EXPECT(
	    stopped_as(in_child(NET_LIST, do_kvm_run), "the network helper: ", SYS_ioctl, "ioctl"));
	EXPECT(
	    stopped_as(in_child(NET_LIST, do_exec), "the network helper: ", SYS_execve, "execve"));
	EXPECT(stopped_as(in_child(NET_LIST, do_fork), "the network helper: ", SYS_clone, "clone"));
	EXPECT(stopped_as(in_child(NET_LIST, do_exec_memory), "the network helper: ", SYS_mmap,
	                  "mmap"));
	EXPECT(stopped_as(in_child(NET_LIST, do_unlink), "the network helper: ", SYS_unlinkat,
	                  "unlinkat"));
	EXPECT(strstr(err, "vmm/net_seccomp.c"));
	close(net_pair[0]);
	close(net_pair[1]);
}

static void *noop(void *p) { return p; }

static void threads(void)
{
	pthread_t t;

	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, noop, NULL) || pthread_join(t, NULL))
			_exit(1);
	/* clone3's flags are out of a filter's reach: glibc falls back */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		_exit(2);
}

TEST(device_threads_start_and_stop) { EXPECT(clean_exit(in_child(VMM_NEED_THREADS, threads))); }

/* ---- the gofer and other helper processes ---- */

static int pair[2], helper_pidfd;
static pid_t helper_pid;

/* A request to the gofer: send with MSG_NOSIGNAL only (a dead gofer must
 * give EPIPE, not a SIGPIPE that kills ukrun). */
static void gofer_request(void)
{
	if (send(pair[0], "q", 1, MSG_NOSIGNAL) != 1)
		_exit(1);
}

static void gofer_request_signalling(void) { send(pair[0], "q", 1, 0); }

TEST(requests_to_the_gofer)
{
	EXPECT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == 0);
	EXPECT(clean_exit(in_child(VMM_NEED_GOFER, gofer_request)));
	EXPECT(
	    stopped_by(in_child(VMM_NEED_GOFER, gofer_request_signalling), SYS_sendto, "sendto"));
	close(pair[0]);
	close(pair[1]);
}

/* A helper is signalled and reaped through the pidfd opened at set-up;
 * any other process, or a helper by its pid, is out of reach. */
static void stop_helper(void)
{
	siginfo_t si = { 0 };

	if (syscall(SYS_pidfd_send_signal, helper_pidfd, SIGKILL, NULL, 0) ||
	    waitid(P_PIDFD, (id_t)helper_pidfd, &si, WEXITED) || si.si_pid != helper_pid)
		_exit(1);
}

static void kill_helper_by_pid(void) { kill(helper_pid, SIGKILL); }
static void reap_by_pid(void) { waitpid(helper_pid, NULL, WNOHANG); }

static void start_helper(void)
{
	if ((helper_pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	helper_pidfd = (int)syscall(SYS_pidfd_open, helper_pid, 0);
}

TEST(helpers_through_their_pidfds_only)
{
	int st;

	start_helper();
	EXPECT(helper_pid > 0 && helper_pidfd >= 0);
	EXPECT(stopped_by(in_child(VMM_NEED_HELPERS, kill_helper_by_pid), SYS_kill, "kill"));
	EXPECT(stopped_by(in_child(VMM_NEED_HELPERS, reap_by_pid), SYS_wait4, "wait4"));
	kill(helper_pid, SIGKILL);
	waitpid(helper_pid, &st, 0);
	close(helper_pidfd);
}

static void helper_parent(void)
{
	start_helper();
	if (helper_pid <= 0 || helper_pidfd < 0)
		_exit(2);
	if (vmm_seccomp(VMM_NEED_HELPERS) < 0)
		_exit(3);
	stop_helper();
}

/* The child starts its own helper, as ukrun its gofers, then locks down. */
TEST(stopping_a_helper) { EXPECT(clean_exit(in_child(OWN_LIST, helper_parent))); }

/* The gofer's own list: file calls, not what ukrun does. */

static void everyday_files(void)
{
	int dir = open("/tmp", O_PATH | O_DIRECTORY), fd;
	char name[64], buf[8];
	struct stat st;
	char *big;

	snprintf(name, sizeof(name), "seccomp-test.%d", (int)getpid());
	if (dir < 0 || install(GOFER_LIST) < 0)
		_exit(3);
	if ((fd = openat(dir, name, O_CREAT | O_RDWR | O_EXCL, 0600)) < 0 ||
	    pwrite(fd, "gofer", 5, 0) != 5 || pread(fd, buf, 5, 0) != 5 || fstat(fd, &st) ||
	    ftruncate(fd, 2) || fsync(fd) || close(fd))
		_exit(1);
	if (mkdirat(dir, "seccomp-test.d", 0700) == 0)
		unlinkat(dir, "seccomp-test.d", AT_REMOVEDIR);
	if (unlinkat(dir, name, 0) || !(big = malloc(8 << 20)))
		_exit(2);
	big[12345] = 1;
	free(big);
}

TEST(the_gofers_list)
{
	EXPECT(clean_exit(in_child(OWN_LIST, everyday_files)));
	EXPECT(stopped_as(in_child(GOFER_LIST, do_socket), "gofer of /x: ", SYS_socket, "socket"));
	EXPECT(stopped_as(in_child(GOFER_LIST, do_kvm_run), "gofer of /x: ", SYS_ioctl, "ioctl"));
	EXPECT(stopped_as(in_child(GOFER_LIST, do_exec), "gofer of /x: ", SYS_execve, "execve"));
	EXPECT(stopped_as(in_child(GOFER_LIST, do_fork), "gofer of /x: ", SYS_clone, "clone"));
	EXPECT(stopped_as(in_child(GOFER_LIST, do_exec_memory), "gofer of /x: ", SYS_mmap, "mmap"));
	EXPECT(strstr(err, "vmm/p9_seccomp.c"));
}

/* ---- every thread, the count, the escape hatch ---- */

static int park[2]; /* never written: reading it parks a thread */

static void *parked(void *p)
{
	char c;

	(void)!read(park[0], &c, 1);
	return p;
}

static int all_tasks_filtered(pid_t pid, int *ntasks)
{
	char path[300], buf[4096];
	struct dirent *e;
	DIR *dir;
	int ok = 1;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path)))
		return 0;
	*ntasks = 0;
	while ((e = readdir(dir))) {
		FILE *f;
		size_t n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		(*ntasks)++;
		ok &= strstr(buf, "\nSeccomp:\t2\n") != NULL;
	}
	closedir(dir);
	return ok;
}

/* A thread older than the filter is under it too (TSYNC). */
TEST(every_thread_is_filtered)
{
	int ready[2], st, n = 0, ok;
	pthread_t t;
	pid_t pid;
	char c = 1;

	EXPECT(pipe(ready) == 0 && pipe(park) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		pthread_create(&t, NULL, parked, NULL);
		if (vmm_seccomp(VMM_NEED_THREADS) < 0 || write(ready[1], &c, 1) != 1)
			_exit(3);
		parked(NULL); /* the parent looks, then kills */
		_exit(0);
	}
	close(ready[1]);
	ok = read(ready[0], &c, 1) == 1 && all_tasks_filtered(pid, &n);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(ready[0]);
	close(park[0]);
	close(park[1]);
	EXPECT(ok && n == 2);
}

static int count_for(unsigned needs)
{
	int st = in_child(needs, NULL);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(devices_add_calls)
{
	int base = count_for(0), all = count_for(ALL_NEEDS), net = count_for(VMM_NEED_NET_USER);

	printf("# seccomp: %d system calls allowed at least, %d with every device\n", base, all);
	EXPECT(base >= 20 && base < 40);
	EXPECT(net > base && all > net && all < 100);
}

static void logged(void)
{
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		_exit(1);
}

/* A socket with UKRUN_SECCOMP=value; the child's wait status. */
static int socket_with(const char *value)
{
	int st;

	setenv("UKRUN_SECCOMP", value, 1);
	st = in_child(0, logged);
	unsetenv("UKRUN_SECCOMP");
	return st;
}

TEST(log_mode_lets_calls_through_and_says_so)
{
	int st = socket_with("log");

	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT(strstr(err, "UKRUN_SECCOMP=log") && strstr(err, "not stopped"));
}

TEST(no_other_escape_hatch)
{
	int st = socket_with("off");

	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	EXPECT(strstr(err, "UKRUN_SECCOMP=off: only 'log'"));
}

int main(void)
{
	RUN("seccomp", what_ukrun_needs_passes);
	RUN("seccomp", anything_else_stops_with_a_message);
	RUN("seccomp", exec_stops);
	RUN("seccomp", fork_stops_even_with_threads);
	RUN("seccomp", no_process_not_even_a_reaper);
	RUN("seccomp", no_executable_memory);
	RUN("seccomp", only_listed_ioctls);
	RUN("seccomp", no_signals_to_other_processes);
	RUN("seccomp", abort_still_aborts);
	RUN("seccomp", the_handler_stays);
	RUN("seccomp", no_sockets_or_host_files_with_any_device);
	RUN("seccomp", frames_to_the_network_helper);
	RUN("seccomp", device_threads_start_and_stop);
	RUN("seccomp", requests_to_the_gofer);
	RUN("seccomp", helpers_through_their_pidfds_only);
	RUN("seccomp", stopping_a_helper);
	RUN("seccomp", the_gofers_list);
	RUN("seccomp", the_network_helpers_list);
	RUN("seccomp", every_thread_is_filtered);
	RUN("seccomp", devices_add_calls);
	RUN("seccomp", log_mode_lets_calls_through_and_says_so);
	RUN("seccomp", no_other_escape_hatch);
	return unit_failures ? 1 : 0;
}
