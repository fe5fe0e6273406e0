/*
 * Capabilities and dumpability as Linux answers them: capget's sets
 * (root's agree with /proc/self/status), its version handshake (libcap's
 * probe), prctl's PR_CAPBSET_READ for every capability up to
 * /proc/sys/kernel/cap_last_cap and EINVAL past it (libcap thought none
 * existed), PR_CAPBSET_DROP (the next program lacks the capability);
 * PR_GET/SET_DUMPABLE, a change of ids making a process undumpable, and
 * what /proc then allows: its files are root's (environ refused even to
 * the process itself), its exe, cwd and fd/ still its own, another
 * user's never. Runs as root; the same source passes as a Linux process.
 */
#define _GNU_SOURCE
#define SUITE "creds"
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define NOBODY 65534

static int fails(long r, int err) { return r == -1 && errno == err; }

static int capget_v3(pid_t pid, uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

/* The hex after "key:\t" in /proc/self/status, or ~0. */
static uint64_t status_hex(const char *key)
{
	char buf[4096], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return ~0ull;
	buf[n] = 0;
	if (!(p = strstr(buf, key)))
		return ~0ull;
	return strtoull(p + strlen(key) + 2, NULL, 16);
}

static int cap_last(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 && buf[n - 1] == '\n' ? atoi(buf) : -1;
}

static uint64_t bit(int cap) { return 1ull << cap; }

static void root_caps(void)
{
	uint64_t eff, prm, inh,
	    want = bit(CAP_CHOWN) | bit(CAP_SETUID) | bit(CAP_NET_BIND_SERVICE) |
	           bit(CAP_SYS_ADMIN) | bit(CAP_CHECKPOINT_RESTORE);
	int last = cap_last(), agree = 1;

	check("cap_last_cap", last >= CAP_CHECKPOINT_RESTORE, "no /proc/sys/kernel/cap_last_cap");
	check("capget",
	      !capget_v3(0, &eff, &prm, &inh) && (eff & want) == want && prm == eff && !inh,
	      "root lacks a capability");
	check("capget-is-status", eff == status_hex("CapEff") && prm == status_hex("CapPrm"),
	      "capget and /proc/self/status differ");
	for (int c = 0; c <= last; c++)
		agree &= prctl(PR_CAPBSET_READ, c) == !!(status_hex("CapBnd") & bit(c));
	check("capbset-read-each", last > 0 && agree, "PR_CAPBSET_READ and CapBnd differ");
	check("capbset-read-chown", prctl(PR_CAPBSET_READ, CAP_CHOWN) == 1, "not 1");
	check("capbset-read-past-last", fails(prctl(PR_CAPBSET_READ, last + 1), EINVAL),
	      "not EINVAL");
	check("capbset-read-negative", fails(prctl(PR_CAPBSET_READ, -1), EINVAL), "not EINVAL");

	struct __user_cap_header_struct h = { 0x12345678, 0 };
	struct __user_cap_data_struct d[2];
	check("capget-probe",
	      !syscall(SYS_capget, &h, NULL) && h.version == _LINUX_CAPABILITY_VERSION_3,
	      "NULL data with an unknown version not answered with v3");
	h.version = 0x12345678;
	check("capget-bad-version",
	      fails(syscall(SYS_capget, &h, d), EINVAL) && h.version == _LINUX_CAPABILITY_VERSION_3,
	      "not EINVAL and v3");
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_1, 0 };
	check("capget-v1", !syscall(SYS_capget, &h, d) && d[0].effective == (uint32_t)eff,
	      "not the low word");
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, -1 };
	check("capget-negative-pid", fails(syscall(SYS_capget, &h, d), EINVAL), "not EINVAL");
	h.pid = 99999;
	check("capget-no-such-pid", fails(syscall(SYS_capget, &h, d), ESRCH), "not ESRCH");
}

/* Dropped from the bounding set: gone from CapBnd at once, from the
 * process's own sets only in its next program. */
static void capbset_drop(const char *self)
{
	pid_t pid = fork();
	uint64_t eff, prm, inh;

	if (pid == 0) {
		if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW) ||
		    prctl(PR_CAPBSET_READ, CAP_NET_RAW) != 0 ||
		    (status_hex("CapBnd") & bit(CAP_NET_RAW)))
			_exit(1);
		if (capget_v3(0, &eff, &prm, &inh) || !(eff & bit(CAP_NET_RAW)))
			_exit(2);
		if (!fails(prctl(PR_CAPBSET_DROP, cap_last() + 1), EINVAL))
			_exit(3);
		execl(self, self, "after-drop", (char *)NULL);
		_exit(4);
	}
	check("capbset-drop", status_of(pid) == 0, "drop, then exec: a check failed");
}

/* The program exec'd after the drop. */
static int after_drop(void)
{
	uint64_t eff, prm, inh;

	if (capget_v3(0, &eff, &prm, &inh) || (eff & bit(CAP_NET_RAW)) || !(eff & bit(CAP_CHOWN)))
		return 5;
	return prctl(PR_CAPBSET_READ, CAP_NET_RAW) == 0 ? 0 : 6;
}

static uid_t owner(const char *path)
{
	struct stat st;

	return stat(path, &st) ? (uid_t)-1 : st.st_uid;
}

static int opens(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void dumpable(void)
{
	char buf[256], path[64];
	pid_t parent = getpid(), pid;

	check("dumpable-default", prctl(PR_GET_DUMPABLE) == 1, "not 1");
	check("dumpable-bad", fails(prctl(PR_SET_DUMPABLE, 2), EINVAL), "2 not EINVAL");
	check("dumpable-set",
	      !prctl(PR_SET_DUMPABLE, 0) && prctl(PR_GET_DUMPABLE) == 0 &&
	          !prctl(PR_SET_DUMPABLE, 1) && prctl(PR_GET_DUMPABLE) == 1,
	      "not kept");
	if ((pid = fork()) == 0) {
		uint64_t eff, prm, inh;
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		/* each check's number is the exit status when it fails */
		if (prctl(PR_GET_DUMPABLE) != 0)
			_exit(1);
		if (capget_v3(0, &eff, &prm, &inh) || eff || prm)
			_exit(2);
		if (prctl(PR_CAPBSET_READ, CAP_CHOWN) != 1)
			_exit(3);
		if (!fails(prctl(PR_CAPBSET_DROP, CAP_CHOWN), EPERM))
			_exit(4);
		if (owner("/proc/self/status") != 0)
			_exit(5);
		if (!fails(open("/proc/self/environ", O_RDONLY), EACCES))
			_exit(6);
		if (readlink("/proc/self/exe", buf, sizeof(buf)) <= 0)
			_exit(7);
		if (!opens("/proc/self/fd", O_RDONLY | O_DIRECTORY))
			_exit(8);
		snprintf(path, sizeof(path), "/proc/%d/environ", parent);
		if (opens(path, O_RDONLY))
			_exit(9);
		snprintf(path, sizeof(path), "/proc/%d/exe", parent);
		if (!fails(readlink(path, buf, sizeof(buf)), EACCES))
			_exit(10);
		snprintf(path, sizeof(path), "/proc/%d/fd", parent);
		if (opens(path, O_RDONLY | O_DIRECTORY))
			_exit(11);
		prctl(PR_SET_DUMPABLE, 1);
		if (owner("/proc/self/status") != NOBODY)
			_exit(12);
		if (!opens("/proc/self/environ", O_RDONLY))
			_exit(13);
		_exit(0);
	}
	int st = status_of(pid);
	check("setuid-undumpable", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a check after setuid failed (its number: the status)");
	if (WIFEXITED(st) && WEXITSTATUS(st))
		printf("  status %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "after-drop"))
		return after_drop();
	setvbuf(stdout, NULL, _IOLBF, 0);
	root_caps();
	capbset_drop("/proc/self/exe");
	dumpable();
	return check_done();
}
