/*
 * Capabilities and dumpability as Linux answers them: capget's sets
 * (root's agree with /proc/self/status), its version handshake (libcap's
 * probe), prctl's PR_CAPBSET_READ for every capability up to
 * /proc/sys/kernel/cap_last_cap and EINVAL past it (libcap thought none
 * existed), PR_CAPBSET_DROP (the next program lacks the capability);
 * capset (its rules; a dropped capability refused to the call needing it),
 * PR_SET_KEEPCAPS across setuid, PR_GET/SET_DUMPABLE, a change of ids making a process undumpable,
 * and what /proc then allows: its files are root's (environ refused even to the process itself),
 * its exe, cwd and fd/ still its own, another user's never. Real, effective and saved ids
 * apart: seteuid(N) and back to 0 (varnish's jail), the capabilities that follow the effective
 * uid, /proc/self/status's Uid line, setreuid's and setuid's rules for a process without
 * CAP_SETUID. Runs as root; the same source passes as a Linux process.
 */
#define _GNU_SOURCE
#define SUITE "creds"
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* /proc/self/status into buf (4096 bytes); 0, or -1. */
static int status_text(char *buf)
{
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, 4095);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The hex after "key:\t" in /proc/self/status, or ~0. */
static uint64_t status_hex(const char *key)
{
	char buf[4096], *p;

	if (status_text(buf) || !(p = strstr(buf, key)))
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

static int capset_v3(pid_t pid, uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};

	return (int)syscall(SYS_capset, &h, d);
}

/* In a child: capset's rules, and a dropped capability refused to the
 * call that needs it (a lower nice value, CAP_SYS_NICE). */
static int capset_child(void)
{
	uint64_t eff0, prm0, inh, eff, prm, nice = bit(CAP_SYS_NICE),
	                                    bind = bit(CAP_NET_BIND_SERVICE);

	capget_v3(0, &eff0, &prm0, &inh);
	check("capset/drop-effective",
	      !capset_v3(0, eff0 & ~nice, prm0, 0) && !capget_v3(0, &eff, &prm, &inh) &&
	          eff == (eff0 & ~nice) && prm == prm0,
	      "the effective set did not lose CAP_SYS_NICE alone");
	check("capset/dropped-refused", fails(setpriority(PRIO_PROCESS, 0, -5), EACCES),
	      "a lower nice value without CAP_SYS_NICE was not refused with EACCES");
	check("capset/raise-effective",
	      !capset_v3(0, eff0, prm0, 0) && !setpriority(PRIO_PROCESS, 0, -5),
	      "CAP_SYS_NICE, still permitted, did not take effect again");
	check("capset/drop-permitted", !capset_v3(0, eff0 & ~nice, prm0 & ~nice, 0),
	      "dropping a permitted capability failed");
	check("capset/no-regain", fails(capset_v3(0, eff0, prm0, 0), EPERM),
	      "a dropped permitted capability came back");
	check("capset/effective-within-permitted",
	      fails(capset_v3(0, (eff0 & ~nice) | nice, prm0 & ~nice, 0), EPERM),
	      "an effective capability outside the permitted set was not refused");
	check("capset/inheritable",
	      !capset_v3(0, eff0 & ~nice, prm0 & ~nice, bind) && !capget_v3(0, &eff, &prm, &inh) &&
	          inh == bind && status_hex("CapInh") == bind && status_hex("CapPrm") == prm &&
	          status_hex("CapEff") == eff,
	      "the inheritable set, or /proc/self/status, is not what was set");
	check("capset/other-process", fails(capset_v3(getppid(), eff, prm, inh), EPERM),
	      "capset of another process was not refused with EPERM");
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, getppid() };
	check("capset/other-process-first", fails(syscall(SYS_capset, &h, NULL), EPERM),
	      "capset of another process without data was not refused with EPERM first");
	check("capset/no-ambient",
	      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) == 0,
	      "an ambient capability is said to be set");
	return failed;
}

/* In a child: a uid change away from root keeps the permitted set only
 * under PR_SET_KEEPCAPS, none in effect; CAP_SETUID raised again lets it
 * become root, whose permitted set then takes effect. */
static int keepcaps_child(int keep)
{
	uint64_t eff0, prm0, inh, eff, prm;

	capget_v3(0, &eff0, &prm0, &inh);
	check(keep ? "keepcaps/set" : "keepcaps/unset",
	      /* (arguments past the second as a two-argument call leaves them) */
	      !prctl(PR_SET_KEEPCAPS, keep, 7, 7, 7) && prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == keep,
	      "PR_SET_KEEPCAPS not read back");
	if (setuid(NOBODY) || capget_v3(0, &eff, &prm, &inh))
		return 1;
	if (!keep) {
		check("keepcaps/none-kept", !eff && !prm, "capabilities left after setuid");
		return failed;
	}
	check("keepcaps/permitted-kept", !eff && prm == prm0,
	      "not the permitted set alone after setuid");
	check("keepcaps/back-to-root",
	      !capset_v3(0, bit(CAP_SETUID), prm, 0) && !setuid(0) &&
	          !capget_v3(0, &eff, &prm, &inh) && eff == prm0,
	      "CAP_SETUID did not make it root with its permitted set in effect");
	return failed;
}

static void caps_set(void)
{
	pid_t pid;

	for (int i = 0; i < 3; i++) {
		fflush(stdout);
		if ((pid = fork()) == 0)
			_exit(i == 0 ? capset_child() : keepcaps_child(i == 1));
		if (status_of(pid) != 0)
			failed = 1;
	}
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

static int resuid_is(uid_t r, uid_t e, uid_t s)
{
	uid_t gr, ge, gs;

	return !getresuid(&gr, &ge, &gs) && gr == r && ge == e && gs == s;
}

/* "Uid:\t..." of /proc/self/status is want. */
static int uid_line_is(const char *want)
{
	char buf[4096], *p;

	return !status_text(buf) && (p = strstr(buf, "\nUid:\t")) &&
	       !strncmp(p + 6, want, strlen(want));
}

static void saved_ids_child(void)
{
	uint64_t eff, prm, inh;

	check("ids/seteuid",
	      seteuid(NOBODY) == 0 && resuid_is(0, NOBODY, 0) && getuid() == 0 &&
	          geteuid() == NOBODY,
	      "getresuid is not 0, nobody, 0");
	check("ids/seteuid-caps", !capget_v3(0, &eff, &prm, &inh) && eff == 0 && prm != 0,
	      "the effective set did not go, or the permitted set went");
	check("ids/status-uid-line", uid_line_is("0\t65534\t0\t65534\n"),
	      "/proc/self/status's Uid line is not real, effective, saved, fs");
	check("ids/seteuid-back", seteuid(0) == 0 && resuid_is(0, 0, 0), "seteuid(0) refused");
	check("ids/seteuid-back-caps", !capget_v3(0, &eff, &prm, &inh) && eff == prm && eff != 0,
	      "the permitted set is not in effect again");
	check("ids/setegid-and-back",
	      setegid(NOBODY) == 0 && getegid() == NOBODY && getgid() == 0 && setegid(0) == 0 &&
	          getegid() == 0,
	      "setegid to nobody and back failed");
	check("ids/setresuid", setresuid(1000, 1001, 1002) == 0 && resuid_is(1000, 1001, 1002),
	      "setresuid(1000, 1001, 1002)");
	check("ids/no-uid-0-no-caps", !capget_v3(0, &eff, &prm, &inh) && eff == 0 && prm == 0,
	      "capabilities left with no uid 0");
	check("ids/unprivileged-seteuid-saved", seteuid(1002) == 0 && resuid_is(1000, 1002, 1002),
	      "seteuid to the saved uid refused");
	check("ids/unprivileged-setreuid", setreuid(1002, -1) == 0 && resuid_is(1002, 1002, 1002),
	      "setreuid to the effective uid (the saved one follows)");
	check("ids/unprivileged-setuid-other",
	      setuid(1000) == -1 && errno == EPERM && seteuid(0) == -1 && errno == EPERM,
	      "an id the process does not have was taken");
	_exit(failed);
}

static void saved_ids(void)
{
	pid_t pid = fork();

	if (pid == 0)
		saved_ids_child();
	check("ids/all-in-child", status_of(pid) == 0, "a check of the ids failed");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "after-drop"))
		return after_drop();
	setvbuf(stdout, NULL, _IOLBF, 0);
	root_caps();
	caps_set();
	capbset_drop("/proc/self/exe");
	dumpable();
	saved_ids();
	return check_done();
}
