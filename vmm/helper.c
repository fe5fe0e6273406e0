/*
 * Helper processes: parts of ukrun that run as processes of their own, so
 * that what they hold stays out of the VMM's reach and the VMM's out of
 * theirs: the 9P gofer, one per share (p9_gofer.c), as gVisor's `runsc
 * gofer` is one beside its sandbox, and the network helper of --net user
 * (net_slirp.c: libslirp and its host sockets), as podman runs
 * slirp4netns or pasta beside a container.
 *
 * A helper is an executable started in a mode, `EXE --helper MODE PPID
 * STOPPER NAME ARG...`: posix_spawn during set-up, before the lock-down
 * forbids it. The gofer is ukrun itself again (/proc/self/exe); the
 * network helper is ukrun-net, an executable beside ukrun, because
 * libslirp brings glib, pcre2 and libm, 1.2 MiB of ukrun's resident pages
 * (and ~0.2 ms of its dynamic loading) that a VM without --net user never
 * uses. Which modes an executable serves itself is its own table,
 * vmm_helper_modes (ukrun.c, ukrun_net.c; a unit test's own). Exec rather
 * than fork alone: the helper begins with a fresh address space and
 * exactly the descriptors it is given (3, 4, ...; every other one closed
 * in the child before the exec), so nothing of the VMM (/dev/kvm, the VM and vCPU descriptors,
 * guest memory, TAP or slirp sockets, the image) can stay behind through a forgotten close or
 * munmap, now or when a device is added. The cost is the helper loading ukrun again (~1 ms), which
 * overlaps the VM's boot; posix_spawn's vfork-style clone copies none of ukrun's page tables.
 *
 * Lifetime: a helper dies with ukrun (PR_SET_PDEATHSIG, then a check that
 * its parent is still the one it was told), and ukrun ends with it: the
 * run loop reaps helpers on SIGCHLD, and one that ended while the VM runs
 * stops the VM with status 125 and a line naming it. Once the VM ended,
 * ukrun kills the others (they hold no state of their own: every reply was
 * written through before it was sent) and reaps them. Each is known by a
 * pidfd opened right after the spawn, so no signal can reach a recycled
 * pid, and ukrun's allow-list lets it signal and reap no other process.
 * A helper keeps the invoking user's ids when ukrun takes --user's; its
 * saved uid becomes --user's (STOPPER), so that ukrun may still kill it
 * (jail.c).
 * The terminal's signals (SIGINT, SIGQUIT, SIGHUP, SIGTERM) are blocked in
 * a helper from its first instruction: ukrun alone decides when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm.h"

#define HELPER_ARGS_MAX 8

extern char **environ;

struct helper {
	char name[96];
	pid_t pid;
	int pidfd;
	int done; /* reaped */
};

static struct helper helpers[VMM_HELPER_MAX];
static unsigned nhelpers;

/* ---- ukrun's side ---- */

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static int pidfd_kill(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static void terminal_signals(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGQUIT);
	sigaddset(s, SIGHUP);
	sigaddset(s, SIGTERM);
}

/* fds[i] becomes the child's 3 + i. They are first copied above that
 * range, so that one dup2 cannot overwrite the source of the next. */
static int spawn(const char *exe, char *const argv[], const int *fds, int nfds, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int high[HELPER_ARGS_MAX], r = 0, i, n = 0;
	sigset_t blocked;

	for (; n < nfds && r == 0; n++)
		if ((high[n] = fcntl(fds[n], F_DUPFD_CLOEXEC, 3 + nfds)) < 0)
			r = errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	r = r ?: posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = r ?: posix_spawn_file_actions_adddup2(&fa, 2, 1);
	for (i = 0; i < nfds && !r; i++)
		r = posix_spawn_file_actions_adddup2(&fa, high[i], 3 + i);
	r = r ?: posix_spawn_file_actions_addclosefrom_np(&fa, 3 + nfds);
	terminal_signals(&blocked);
	r = r ?: posix_spawnattr_setsigmask(&at, &blocked);
	r = r ?: posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	r = r ?: posix_spawn(pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (i = 0; i < n; i++)
		if (high[i] >= 0)
			close(high[i]);
	return -r;
}

static int serves(const char *mode)
{
	for (size_t i = 0; i < vmm_helper_nmodes; i++)
		if (!strcmp(mode, vmm_helper_modes[i].mode))
			return 1;
	return 0;
}

/* Mode's executable: this one, or ukrun-MODE beside it. -errno. */
static int helper_exe(const char *mode, char *exe, size_t cap)
{
	char name[32];

	if (serves(mode)) {
		snprintf(exe, cap, "/proc/self/exe");
		return 0;
	}
	if ((size_t)snprintf(name, sizeof(name), "ukrun-%s", mode) >= sizeof(name))
		return -ENAMETOOLONG;
	return vmm_sibling(name, exe, cap);
}

/* The spawn and its bookkeeping; hint follows an ENOENT. */
static int run(struct vmm *vm, const char *name, const char *path, char *const argv[],
               const int *fds, int nfds, const char *hint)
{
	struct helper *h = &helpers[nhelpers];
	int r;

	if (nhelpers == VMM_HELPER_MAX || nfds > HELPER_ARGS_MAX) {
		vmm_err("%s: more than %d helper processes", name, VMM_HELPER_MAX);
		return -1;
	}
	if (h->name != name)
		snprintf(h->name, sizeof(h->name), "%s", name);
	if ((r = spawn(path, argv, fds, nfds, &h->pid))) {
		vmm_err("%s: cannot start it (%s): %s%s", name, path, strerror(-r),
		        r == -ENOENT ? hint : "");
		return -1;
	}
	if ((h->pidfd = pidfd_open(h->pid)) < 0) {
		vmm_err("%s: pidfd_open: %s (Linux 5.3 or later is needed)", name, strerror(errno));
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		return -1;
	}
	nhelpers++;
	vm->needs |= VMM_NEED_HELPERS;
	vmm_verbose(vm, "%s: process %d", name, (int)h->pid);
	return (int)(h - helpers);
}

int vmm_helper_start(struct vmm *vm, const char *name, const char *mode, const char *const *args,
                     const int *fds, int nfds)
{
	char *argv[7 + HELPER_ARGS_MAX], ppid[16], stopper[16] = "-", exe[4096];
	struct helper *h = &helpers[nhelpers];
	int n = 0, r;

	if (nhelpers == VMM_HELPER_MAX || nfds > HELPER_ARGS_MAX) {
		vmm_err("%s: more than %d helper processes", name, VMM_HELPER_MAX);
		return -1;
	}
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	if (vm->opts->user)
		snprintf(stopper, sizeof(stopper), "%u", (unsigned)vm->opts->uid);
	snprintf(h->name, sizeof(h->name), "%s", name);
	argv[n++] = "ukrun";
	argv[n++] = VMM_HELPER_ARG;
	argv[n++] = (char *)mode;
	argv[n++] = ppid;
	argv[n++] = stopper;
	argv[n++] = h->name;
	while (*args && n < 6 + HELPER_ARGS_MAX)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if ((r = helper_exe(mode, exe, sizeof(exe)))) {
		vmm_err("%s: cannot find its executable, ukrun-%s: %s", name, mode, strerror(-r));
		return -1;
	}
	return run(vm, h->name, exe, argv, fds, nfds,
	           " (ukrun's executables are installed together)");
}

int vmm_helper_run(struct vmm *vm, const char *name, const char *path, char *const argv[],
                   const int *fds, int nfds)
{
	return run(vm, name, path, argv, fds, nfds, "");
}

void vmm_helper_kill(int id)
{
	if (id >= 0 && (unsigned)id < nhelpers && pidfd_kill(helpers[id].pidfd) < 0)
		return; /* already gone: the run loop reaps it all the same */
}

static void say_how(const struct helper *h, const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		vmm_err("%s (process %d) exited with status %d; the VM stops", h->name, (int)h->pid,
		        si->si_status);
	else
		vmm_err("%s (process %d) was killed by signal %d (SIG%s); the VM stops", h->name,
		        (int)h->pid, si->si_status, sigabbrev_np(si->si_status) ?: "?");
}

int vmm_helpers_reap(struct vmm *vm)
{
	(void)vm;
	for (unsigned i = 0; i < nhelpers; i++) {
		struct helper *h = &helpers[i];
		siginfo_t si = { 0 };
		if (h->done || waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED | WNOHANG) ||
		    !si.si_pid)
			continue;
		h->done = 1;
		say_how(h, &si);
		return 1;
	}
	return 0;
}

void vmm_helpers_stop(struct vmm *vm)
{
	(void)vm;
	for (unsigned i = 0; i < nhelpers; i++) {
		struct helper *h = &helpers[i];
		siginfo_t si;
		if (!h->done) {
			pidfd_kill(h->pidfd);
			waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED);
			h->done = 1;
		}
		close(h->pidfd);
	}
	nhelpers = 0;
}

/* ---- the helper's side ---- */

int vmm_helper_main(int argc, char **argv)
{
	char comm[16];
	long ppid;

	if (argc < 6 || (ppid = strtol(argv[3], NULL, 10)) <= 0) {
		vmm_err("%s is for ukrun's own use: %s MODE PPID STOPPER NAME [ARG...]",
		        VMM_HELPER_ARG, VMM_HELPER_ARG);
		return VMM_EXIT_ERROR;
	}
	/* After the exec: a parent gone before this line left us to init. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != (pid_t)ppid)
		return VMM_EXIT_ERROR;
	snprintf(comm, sizeof(comm), "ukrun-%s", argv[2]);
	prctl(PR_SET_NAME, comm);
	if (vmm_jail_helper(argv[5], argv[4]))
		return VMM_EXIT_ERROR;
	for (size_t i = 0; i < vmm_helper_nmodes; i++)
		if (!strcmp(argv[2], vmm_helper_modes[i].mode))
			return vmm_helper_modes[i].main(argv[5], argc - 6, argv + 6);
	vmm_err("%s %s: no such helper", VMM_HELPER_ARG, argv[2]);
	return VMM_EXIT_ERROR;
}
