/*
 * ukrun's jail (vmm/jail.c): --user's ids, and what a jailed process
 * keeps, seen from outside through /proc as tests/e2e/kvm/jail.sh sees a
 * running ukrun. The drop cannot be undone, so each runs in a forked
 * child that then waits to be looked at; those need root (they skip
 * without it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../vmm/vmm.h"
#include "unit.h"

/* vmm_user_parse, its messages out of the test's output. */
static int parse(const char *spec, uint32_t *uid, uint32_t *gid)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY), r;

	dup2(null, 2);
	r = vmm_user_parse(spec, uid, gid);
	dup2(saved, 2);
	close(saved);
	close(null);
	return r;
}

TEST(user_numbers)
{
	uint32_t u = 0, g = 0;
	EXPECT(parse("65534:65534", &u, &g) == 0 && u == 65534 && g == 65534);
	EXPECT(parse("1234:5678", &u, &g) == 0 && u == 1234 && g == 5678);
	EXPECT(parse("4294967294:1", &u, &g) == 0 && u == 4294967294u && g == 1);
}

/* A uid alone: its account's group, or the same number without one. */
TEST(user_uid_alone)
{
	struct passwd *pw = getpwnam("nobody");
	uint32_t u = 0, g = 0, free_uid = 3999999;
	char s[16];

	while (getpwuid(free_uid))
		free_uid++;
	snprintf(s, sizeof(s), "%u", (unsigned)free_uid);
	EXPECT(parse(s, &u, &g) == 0 && u == free_uid && g == free_uid);
	snprintf(s, sizeof(s), "%u", (unsigned)pw->pw_uid);
	EXPECT(parse(s, &u, &g) == 0 && u == pw->pw_uid && g == pw->pw_gid);
}

TEST(user_names)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr;
	uint32_t u = 0, g = 0;
	char s[300];

	EXPECT(parse("nobody", &u, &g) == 0 && u == pw->pw_uid && g == pw->pw_gid);
	if ((gr = getgrgid(pw->pw_gid))) {
		snprintf(s, sizeof(s), "nobody:%s", gr->gr_name);
		EXPECT(parse(s, &u, &g) == 0 && u == pw->pw_uid && g == gr->gr_gid);
		snprintf(s, sizeof(s), "1234:%s", gr->gr_name);
		EXPECT(parse(s, &u, &g) == 0 && u == 1234 && g == gr->gr_gid);
	}
	EXPECT(parse("nobody:4321", &u, &g) == 0 && u == pw->pw_uid && g == 4321);
}

TEST(user_rejects)
{
	static const char *bad[] = {
		"",
		":",
		"1:",
		":1",
		"0",
		"0:5",
		"5:0",
		"root",
		"4294967295",
		"1:4294967295",
		"99999999999999999999",
		"-1",
		"1 ",
		" 1",
		"no-such-user-xyz",
		"1:no-such-group-xyz",
		"1:2:3",
	};
	uint32_t u = 7, g = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(parse(bad[i], &u, &g) == -1);
}

/* ---- the drop, in children ---- */

/* What a child does before vmm_jail: become unprivileged (uid != 0). */
struct how {
	const char *user;
	uint32_t uid, gid;
	unsigned needs;
	uid_t before;     /* 0: stay root */
	const char *port; /* a -p */
};

/* Whether the last child jailed said it was still dumpable (its /proc
 * files tell only for a uid other than root). */
static int child_dumpable;

/* A child that jailed itself as h says and now waits; -1 if it failed. */
static pid_t jailed(const struct how *h)
{
	int p[2];
	char c[2] = { 0, 0 };
	pid_t pid;

	if (pipe(p))
		return -1;
	if (!(pid = fork())) {
		static struct vmm_opts o;
		static struct vmm vm;
		close(p[0]);
		o.user = h->user, o.uid = h->uid, o.gid = h->gid;
		o.ports[0] = h->port, o.nports = h->port != NULL;
		vm.opts = &o, vm.needs = h->needs;
		if (h->before &&
		    (setgroups(0, NULL) || setresgid(h->before, h->before, h->before) ||
		     setresuid(h->before, h->before, h->before)))
			_exit(1);
		c[0] = vmm_jail(&vm) ? 'F' : 'J';
		c[1] = (char)prctl(PR_GET_DUMPABLE);
		if (write(p[1], c, 2) != 2)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], c, 2) != 2 || c[0] != 'J') {
		if (pid > 0)
			kill(pid, SIGKILL), waitpid(pid, NULL, 0);
		pid = -1;
	}
	child_dumpable = c[1];
	close(p[0]);
	return pid;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Line NAME of /proc/PID/status, after its tab(s), into out. */
static int field(pid_t pid, const char *name, char *out, size_t cap)
{
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;
	int r = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (r && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, cap, "%s", line + n + 1 + strspn(line + n + 1, "\t "));
		r = 0;
	}
	fclose(f);
	return r;
}

static int field_is(pid_t pid, const char *name, const char *want)
{
	char v[128];
	return field(pid, name, v, sizeof(v)) == 0 && !strcmp(v, want);
}

static int no_caps(pid_t pid)
{
	static const char *sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

	for (int i = 0; i < 5; i++)
		if (!field_is(pid, sets[i], "0000000000000000"))
			return 0;
	return 1;
}

/* Whether the child's namespace NS is not ours. */
static int own_ns(pid_t pid, const char *ns)
{
	char a[64], b[64], pa[64], pb[64];
	ssize_t n, m;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/%s", (int)pid, ns);
	snprintf(pb, sizeof(pb), "/proc/self/ns/%s", ns);
	if ((n = readlink(pa, a, sizeof(a) - 1)) < 0 || (m = readlink(pb, b, sizeof(b) - 1)) < 0)
		return -1;
	a[n] = b[m] = 0;
	return strcmp(a, b) != 0;
}

/* Entries in the child's root directory, as it sees it. */
static int root_entries(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Not dumpable: the kernel gives its /proc files to root. */
static int undumpable(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return stat(path, &st) == 0 && st.st_uid == 0;
}

TEST(user_drops_everything)
{
	struct how h = { "65534:65534", 65534, 65534, 0, 0, NULL };
	pid_t pid;

	EXPECT((pid = jailed(&h)) > 0);
	if (!field_is(pid, "Uid", "65534\t65534\t65534\t65534") ||
	    !field_is(pid, "Gid", "65534\t65534\t65534\t65534") || !field_is(pid, "Groups", "") ||
	    !no_caps(pid) || !undumpable(pid) || own_ns(pid, "mnt") != 1 ||
	    own_ns(pid, "ipc") != 1 || own_ns(pid, "uts") != 1 || own_ns(pid, "net") != 1 ||
	    own_ns(pid, "pid") != 0 || root_entries(pid) != 0) {
		end(pid);
		EXPECT(!"the child kept ids, capabilities, namespaces or host files");
	}
	end(pid);
}

/* Root without --user: still uid 0, but without any capability. */
TEST(root_keeps_its_ids_only)
{
	struct how h = { NULL, 0, 0, 0, 0, NULL };
	pid_t pid;
	int ok;

	EXPECT((pid = jailed(&h)) > 0);
	ok = field_is(pid, "Uid", "0\t0\t0\t0") && no_caps(pid) && own_ns(pid, "mnt") == 1 &&
	     root_entries(pid) == 0 && !child_dumpable;
	end(pid);
	EXPECT(ok);
}

/* --net user: its host sockets and resolv.conf are the network
 * helper's, so ukrun leaves the host's network and files all the same,
 * and keeps no capability even for -p 80 (the helper binds it). */
TEST(net_user_leaves_host_net_too)
{
	struct how h = { "65534:65534", 65534, 65534, VMM_NEED_NET_USER, 0, "80:80" };
	pid_t pid;
	int ok;

	EXPECT((pid = jailed(&h)) > 0);
	ok = own_ns(pid, "net") == 1 && own_ns(pid, "mnt") == 1 && own_ns(pid, "ipc") == 1 &&
	     root_entries(pid) == 0 && no_caps(pid) &&
	     field_is(pid, "Uid", "65534\t65534\t65534\t65534");
	end(pid);
	EXPECT(ok);
}

/* Unprivileged, no --user: a user namespace where the host allows one
 * (then the others in it, and no capability even there); where it does
 * not, the run goes on all the same. */
TEST(unprivileged_carries_on)
{
	struct how h = { NULL, 0, 0, 0, 65534, NULL };
	pid_t pid;
	int user, ok;

	EXPECT((pid = jailed(&h)) > 0);
	user = own_ns(pid, "user");
	ok = field_is(pid, "Uid", "65534\t65534\t65534\t65534") &&
	     field_is(pid, "CapEff", "0000000000000000");
	if (user == 1)
		ok = ok && no_caps(pid) && own_ns(pid, "mnt") == 1 && own_ns(pid, "net") == 1 &&
		     root_entries(pid) == 0;
	end(pid);
	EXPECT(ok);
	if (user != 1)
		printf("SKIP jail/unprivileged_namespaces: this host makes no user namespace for "
		       "an unprivileged process\n");
}

/* A helper's side: root's gofer keeps only its file capabilities, and
 * --user's uid (its saved uid) may stop it, which another may not. */
static int can_signal_as(pid_t pid, uid_t uid)
{
	pid_t k = fork();
	int st;

	if (!k)
		_exit(setresuid(uid, uid, uid) || kill(pid, 0) ? 1 : 0);
	return k > 0 && waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static pid_t helper(const char *stopper)
{
	static const unsigned caps[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
		                         CAP_FOWNER };
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	if (!(pid = fork())) {
		close(p[0]);
		c = vmm_jail_helper("test", stopper) || vmm_jail_keep("test", caps, 4) ? 'F' : 'J';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'J')
		pid = pid > 0 ? (end(pid), -1) : -1;
	close(p[0]);
	return pid;
}

TEST(helper_keeps_file_caps_and_can_be_stopped)
{
	pid_t pid, plain;
	int ok;

	EXPECT((pid = helper("65534")) > 0);
	if ((plain = helper("-")) < 0)
		end(pid);
	EXPECT(plain > 0);
	ok = field_is(pid, "Uid", "0\t0\t65534\t0") &&
	     field_is(pid, "CapEff", "000000000000000f") &&
	     field_is(pid, "CapPrm", "000000000000000f") &&
	     field_is(pid, "CapBnd", "000000000000000f") &&
	     field_is(pid, "CapInh", "0000000000000000") && undumpable(pid) &&
	     can_signal_as(pid, 65534) && !can_signal_as(plain, 65534) &&
	     field_is(plain, "Uid", "0\t0\t0\t0");
	end(pid);
	end(plain);
	EXPECT(ok);
}

/* The account the name tests use: an unprivileged "nobody". */
static int have_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	return pw && pw->pw_uid && pw->pw_gid;
}

int main(void)
{
	RUN("jail", user_numbers);
	RUN("jail", user_rejects);
	if (have_nobody()) {
		RUN("jail", user_uid_alone);
		RUN("jail", user_names);
	} else {
		printf("SKIP jail/user_names: no unprivileged 'nobody' in /etc/passwd\n");
	}
	if (geteuid()) {
		printf("SKIP jail/drop: the drop is tested as root (to have something to drop)\n");
		return unit_failures ? 1 : 0;
	}
	RUN("jail", user_drops_everything);
	RUN("jail", root_keeps_its_ids_only);
	RUN("jail", net_user_leaves_host_net_too);
	RUN("jail", unprivileged_carries_on);
	RUN("jail", helper_keeps_file_caps_and_can_be_stopped);
	return unit_failures ? 1 : 0;
}
