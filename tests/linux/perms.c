/*
 * Files' permissions as Linux checks them (generic_permission, may_open,
 * may_create, may_delete, setattr_prepare): read, write and execute by
 * fsuid, fsgid and supplementary groups, the owner's class first; root's
 * capabilities (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
 * CAP_CHOWN, CAP_FSETID) and a root that dropped them; search on every
 * directory of a path, write and search on a parent for every change of
 * names, the sticky bit, open's access modes and O_TRUNC, exec, truncate,
 * chmod, chown, utimensat, access with real ids, set-id bits cleared by a
 * write and a chown, new files' owners, setgid directories, umask,
 * setfsuid, an AF_UNIX socket's node, another user's terminal and
 * /proc/PID/environ. Runs as root and drops to other users in forked
 * children (setgroups, setresgid, setresuid), so the same source passes
 * as a Linux process. "perms [DIR]" works below DIR (a new directory in
 * /tmp when none is named: a 9P share is one).
 */
#define _GNU_SOURCE
#define SUITE "perms"
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define A 1001  /* a user with group A */
#define B 1002  /* another, also in group G */
#define G 1500  /* a group B is in */
#define GA 1001 /* A's group */
#define GB 1002 /* B's group */
#define NOBODY 65534

static char D[256];        /* the directory the checks work in, root's 0755 */
static char self[4096];    /* this program, for exec */
static char sock_path[64]; /* a listening AF_UNIX socket of root's */

static int fails(long r, int err) { return r == -1 && errno == err; }

static const char *at(const char *name)
{
	static char buf[8][512];
	static int i;
	char *p = buf[i++ % 8];

	snprintf(p, 512, "%s/%s", D, name);
	return p;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

static int owner_is(const char *path, uid_t u, gid_t g)
{
	struct stat st;

	return !stat(path, &st) && st.st_uid == u && st.st_gid == g;
}

/* As root: a file with mode, owner and group (text "x"). */
static void make(const char *name, int mode, uid_t u, gid_t g)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, "x", 1) != 1 || fchown(fd, u, g) || fchmod(fd, mode))
		check(name, 0, "root could not make the file");
	if (fd >= 0)
		close(fd);
}

static void make_dir(const char *name, int mode, uid_t u, gid_t g)
{
	if ((mkdir(at(name), 0700) && errno != EEXIST) || chown(at(name), u, g) ||
	    chmod(at(name), mode))
		check(name, 0, "root could not make the directory");
}

/* fn in a child as uid with gid and groups (all three ids of each); its
 * checks print there; whether they all passed. */
static void as(uid_t uid, gid_t gid, int n, const gid_t *groups, void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(n, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
			check("drop-ids", 0, "setgroups/setresgid/setresuid");
			_exit(1);
		}
		fn();
		fflush(stdout);
		_exit(failed);
	}
	if (status_of(pid) != 0)
		failed = 1;
}

static const gid_t in_g[] = { G };

/* ---- as user A ---- */

static void user_a(void)
{
	int fd;

	/* read and write by class: the owner's bits first */
	check("other-read-0644", (fd = open(at("r644"), O_RDONLY)) >= 0, "open O_RDONLY");
	close(fd);
	check("other-write-0644-refused", fails(open(at("r644"), O_WRONLY), EACCES), "not EACCES");
	check("other-rdwr-0604-refused", fails(open(at("r604"), O_RDWR), EACCES), "not EACCES");
	check("other-read-0600-refused", fails(open(at("r600"), O_RDONLY), EACCES), "not EACCES");
	check("owner-without-bit-refused", fails(open(at("a077"), O_RDONLY), EACCES),
	      "the owner class decides: not EACCES");
	check("group-not-member-refused", fails(open(at("g640"), O_RDONLY), EACCES), "not EACCES");
	check("trunc-needs-write", fails(open(at("a444"), O_RDONLY | O_TRUNC), EACCES),
	      "O_TRUNC of a file without write: not EACCES");
	/* directories: search on each one walked, read to list */
	check("search-refused", fails(access(at("nosearch/f"), F_OK), EACCES),
	      "stat below a dir without x");
	check("search-refused-open", fails(open(at("nosearch/f"), O_RDONLY), EACCES), "not EACCES");
	check("search-refused-dotdot", fails(access(at("nosearch/.."), F_OK), EACCES),
	      "not EACCES");
	check("search-only-open", (fd = open(at("xonly/f"), O_RDONLY)) >= 0, "open below 0711");
	close(fd);
	check("search-only-list-refused", fails(open(at("xonly"), O_RDONLY | O_DIRECTORY), EACCES),
	      "reading a 0711 directory: not EACCES");
	check("chdir-refused", fails(chdir(at("nosearch")), EACCES), "not EACCES");
	check("private-dir-refused", fails(open(at("adir-root/f"), O_RDONLY), EACCES),
	      "not EACCES");
	/* names in root's directory */
	check("create-refused", fails(open(at("new"), O_WRONLY | O_CREAT, 0644), EACCES),
	      "not EACCES");
	check("mkdir-refused", fails(mkdir(at("newdir"), 0755), EACCES), "not EACCES");
	check("mkdir-existing-eexist", fails(mkdir(at("xonly"), 0755), EEXIST),
	      "an existing name: not EEXIST");
	check("unlink-refused", fails(unlink(at("r644")), EACCES), "not EACCES");
	check("rmdir-refused", fails(rmdir(at("emptydir")), EACCES), "not EACCES");
	check("rename-refused", fails(rename(at("r644"), at("r644b")), EACCES), "not EACCES");
	check("symlink-refused", fails(symlink("x", at("ln")), EACCES), "not EACCES");
	check("link-refused", fails(link(at("a644"), at("ln2")), EACCES), "not EACCES");
	check("mkfifo-refused", fails(mkfifo(at("fifo"), 0644), EACCES), "not EACCES");
	/* moving a directory to another parent writes its ".." */
	check("rename-dir-needs-write-on-it", fails(rename(at("mv1/sub"), at("mv2/sub")), EACCES),
	      "not EACCES");
	check("rename-file-across", rename(at("mv1/file"), at("mv2/file")) == 0, "rename");
	/* truncate */
	check("truncate-refused", fails(truncate(at("r644"), 0), EACCES), "not EACCES");
	fd = open(at("r644"), O_RDONLY);
	check("ftruncate-readonly-einval", fails(ftruncate(fd, 0), EINVAL), "not EINVAL");
	close(fd);
	/* attributes of others' files */
	check("chmod-others-refused", fails(chmod(at("r644"), 0666), EPERM), "not EPERM");
	check("chown-others-refused", fails(chown(at("r644"), A, GA), EPERM), "not EPERM");
	check("chown-own-to-other-refused", fails(chown(at("a644"), B, -1), EPERM), "not EPERM");
	check("chgrp-own-to-own-group", chown(at("a644"), -1, GA) == 0, "chgrp to A's group");
	check("chgrp-own-to-foreign-refused", fails(chown(at("a644"), -1, G), EPERM), "not EPERM");
	check("chmod-own", chmod(at("a644"), 0640) == 0 && mode_of(at("a644")) == 0640, "chmod");
	/* S_ISGID dropped when the caller is not in the file's group */
	check("chmod-sgid-dropped", chmod(at("ag"), 02755) == 0 && mode_of(at("ag")) == 0755,
	      "a group A is not in: set-group-ID kept");
	/* set-id bits go with a chown and a write */
	check("chown-clears-setid", chown(at("asuid"), -1, GA) == 0 && mode_of(at("asuid")) == 0755,
	      "mode after chgrp");
	fd = open(at("awsuid"), O_WRONLY);
	check("write-clears-setid",
	      fd >= 0 && write(fd, "y", 1) == 1 && mode_of(at("awsuid")) == 0777,
	      "mode after a write");
	close(fd);
	/* times: now for whoever may write, explicit ones for the owner */
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	check("utimes-now-writable", utimensat(AT_FDCWD, at("r666"), NULL, 0) == 0,
	      "utimensat NULL");
	check("utimes-now-unwritable-refused",
	      fails(utimensat(AT_FDCWD, at("r644"), NULL, 0), EACCES), "not EACCES");
	check("utimes-set-others-refused", fails(utimensat(AT_FDCWD, at("r666"), ts, 0), EPERM),
	      "explicit times of another's file: not EPERM");
	check("utimes-set-own", utimensat(AT_FDCWD, at("a444"), ts, 0) == 0,
	      "explicit times, owner");
	/* exec: an execute bit of ours, not read */
	check("access-x-ok", access(at("prog711"), X_OK) == 0, "access X_OK of 0711");
	check("access-r-refused", fails(access(at("prog711"), R_OK), EACCES),
	      "access R_OK of 0711");
	check("access-w-refused", fails(access(at("r644"), W_OK), EACCES), "not EACCES");
	/* sticky /tmp-like directory: A's own file there */
	fd = open(at("sticky/afile"), O_WRONLY | O_CREAT | O_EXCL, 0666);
	check("sticky-create", fd >= 0, "create in a 1777 directory");
	close(fd);
	/* new files: fsuid's, fsgid's, less the umask; a setgid directory's group */
	umask(027);
	fd = open(at("sticky/anew"), O_WRONLY | O_CREAT | O_EXCL, 0666);
	close(fd);
	check("new-owner-and-umask",
	      owner_is(at("sticky/anew"), A, GA) && mode_of(at("sticky/anew")) == 0640,
	      "owner, group or mode of a new file");
	if (!(mode_of(at("sgid")) & 02000)) {
		/* (a share's gofer lacks CAP_FSETID: its host cleared the bit) */
		printf("SKIP perms/setgid-dir: the directory did not keep its set-group-ID bit\n");
	} else {
		fd = open(at("sgid/f"), O_WRONLY | O_CREAT | O_EXCL, 0666);
		close(fd);
		check("setgid-dir-group", owner_is(at("sgid/f"), A, G),
		      "group of a file in a setgid dir");
		check("setgid-dir-subdir",
		      mkdir(at("sgid/d"), 0777) == 0 && owner_is(at("sgid/d"), A, G) &&
		          (mode_of(at("sgid/d")) & 02000),
		      "a new directory in a setgid dir: its group and setgid");
	}
	/* a file just made opens as asked whatever its mode */
	fd = open(at("sticky/ro"), O_RDWR | O_CREAT | O_EXCL, 0444);
	check("create-readonly-opens-rdwr", fd >= 0, "open O_RDWR|O_CREAT 0444");
	close(fd);
	check("reopen-readonly-refused", fails(open(at("sticky/ro"), O_RDWR), EACCES),
	      "not EACCES");
	/* an AF_UNIX socket's node needs write to connect */
	struct sockaddr_un sa = { AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	check("unix-connect-refused", fails(connect(s, (struct sockaddr *)&sa, sizeof(sa)), EACCES),
	      "connect to root's 0755 socket: not EACCES");
	close(s);
}

static void user_b(void)
{
	int fd;

	check("group-member-read", (fd = open(at("g640"), O_RDONLY)) >= 0, "supplementary group");
	close(fd);
	check("group-member-write-refused", fails(open(at("g640"), O_WRONLY), EACCES),
	      "not EACCES");
	check("other-class-read", (fd = open(at("a077"), O_RDONLY)) >= 0, "others' bits for B");
	close(fd);
	check("sticky-unlink-refused", fails(unlink(at("sticky/afile")), EPERM), "not EPERM");
	check("sticky-rename-refused", fails(rename(at("sticky/afile"), at("sticky/b")), EPERM),
	      "not EPERM");
	check("chgrp-member-group", chown(at("b644"), -1, G) == 0,
	      "chgrp to a supplementary group");
	check("unlink-own-dir-others-file", unlink(at("bdir/rootfile")) == 0,
	      "unlink root's file in B's own directory");
}

/* A again: its own file in the sticky directory. */
static void user_a_after(void)
{
	check("sticky-unlink-own", unlink(at("sticky/afile")) == 0, "unlink own file in 1777");
}

/* ---- access(2) by real ids ---- */

static void access_real_a(void)
{
	/* real A, effective root */
	if (setresuid(A, 0, 0)) {
		check("access-setresuid", 0, "setresuid(A, 0, 0)");
		return;
	}
	check("access-real-refused", fails(access(at("r600"), R_OK), EACCES), "real A: not EACCES");
	check("access-eaccess-root", faccessat(AT_FDCWD, at("r600"), R_OK, AT_EACCESS) == 0,
	      "AT_EACCESS as root");
	int fd = open(at("r600"), O_RDONLY);
	check("open-by-effective-root", fd >= 0, "effective root opens 0600");
	close(fd);
}

static void access_real_root(void)
{
	if (setresuid(0, A, 0)) {
		check("access-setresuid", 0, "setresuid(0, A, 0)");
		return;
	}
	check("access-real-root", access(at("r600"), R_OK) == 0, "real root");
	check("access-eaccess-refused",
	      fails(faccessat(AT_FDCWD, at("r600"), R_OK, AT_EACCESS), EACCES),
	      "effective A: not EACCES");
}

/* ---- root, with and without its capabilities ---- */

static int caps_drop(uint64_t drop)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective &= ~(uint32_t)(drop >> (32 * i));
		d[i].permitted &= ~(uint32_t)(drop >> (32 * i));
	}
	return (int)syscall(SYS_capset, &h, d);
}

static void root_no_dac(void)
{
	if (caps_drop(1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH)) {
		check("capset", 0, "capset");
		return;
	}
	check("nodac-read-refused", fails(open(at("a600"), O_RDONLY), EACCES), "not EACCES");
	check("nodac-search-refused", fails(access(at("adir/f"), F_OK), EACCES), "not EACCES");
	check("nodac-write-refused", fails(open(at("a644"), O_WRONLY), EACCES), "not EACCES");
	check("nodac-create-refused", fails(open(at("adir2/n"), O_CREAT | O_WRONLY, 0600), EACCES),
	      "not EACCES");
	int fd = open(at("r600"), O_RDWR);
	check("nodac-own-file", fd >= 0, "root's own 0600 file by its owner class");
	close(fd);
}

static void root_read_search_only(void)
{
	if (caps_drop(1ull << CAP_DAC_OVERRIDE)) {
		check("capset", 0, "capset");
		return;
	}
	int fd = open(at("a600"), O_RDONLY);
	check("readsearch-read", fd >= 0, "CAP_DAC_READ_SEARCH reads");
	close(fd);
	check("readsearch-search", access(at("adir/f"), F_OK) == 0, "and searches");
	check("readsearch-write-refused", fails(open(at("a600"), O_WRONLY), EACCES), "not EACCES");
}

static void root_no_fowner_chown(void)
{
	if (caps_drop(1ull << CAP_FOWNER | 1ull << CAP_CHOWN)) {
		check("capset", 0, "capset");
		return;
	}
	check("nofowner-chmod-refused", fails(chmod(at("a644"), 0600), EPERM), "not EPERM");
	check("nochown-chown-refused", fails(chown(at("a644"), B, GB), EPERM), "not EPERM");
	check("nofowner-sticky-refused", fails(unlink(at("stickya/bfile")), EPERM), "not EPERM");
}

static void root_checks(void)
{
	int fd;

	fd = open(at("a000"), O_RDWR);
	check("root-reads-writes-0000", fd >= 0, "CAP_DAC_OVERRIDE");
	close(fd);
	check("root-searches-0000", access(at("adir/f"), F_OK) == 0, "a 0700 dir of A's");
	check("root-x-needs-a-bit", fails(access(at("r644"), X_OK), EACCES),
	      "X_OK of 0644: not EACCES");
	check("root-chmod-others", chmod(at("b644"), 0644) == 0, "CAP_FOWNER");
	check("root-chown", chown(at("b644"), B, GB) == 0 && owner_is(at("b644"), B, GB),
	      "CAP_CHOWN");
	check("root-sticky-unlink", unlink(at("stickya/bfile2")) == 0, "CAP_FOWNER in A's 1777");
}

/* ---- exec ---- */

static int run(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)path, "exit0", NULL };
		execv(path, argv);
		_exit(errno == EACCES ? 13 : 99);
	}
	int st = status_of(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void exec_a(void)
{
	check("exec-0711", run(at("prog711")) == 0, "exec of 0711 without read");
	check("exec-0700-refused", run(at("prog700")) == 13, "exec of root's 0700: not EACCES");
	check("exec-0644-refused", run(at("r644")) == 13, "exec of 0644: not EACCES");
}

static void exec_root(void)
{
	check("root-exec-0700-of-A", run(at("prog-a700")) == 0, "root runs A's 0700");
	check("root-exec-nox-refused", run(at("r644")) == 13, "root, no x bit: not EACCES");
	check("root-exec-dir-refused", run(D) != 0, "a directory runs");
}

/* ---- setfsuid ---- */

static void fsuid_a(void)
{
	setfsuid(A);
	setfsgid(GA);
	check("fsuid-is-a", setfsuid(-1) == A, "setfsuid's answer");
	int fd = open(at("sticky/fsfile"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	check("fsuid-owns-new-file", owner_is(at("sticky/fsfile"), A, GA), "owner of a new file");
	check("fsuid-drops-dac", fails(open(at("r600"), O_RDONLY), EACCES), "not EACCES");
	setfsuid(0);
	fd = open(at("r600"), O_RDONLY);
	check("fsuid-back-to-root", fd >= 0, "fsuid 0 again");
	close(fd);
}

/* ---- another user's terminal and process ---- */

static int pts = -1;
static char pts_name[64];
static pid_t b_pid;

static void terminal_a(void)
{
	check("pts-others-refused", fails(open(pts_name, O_RDWR | O_NOCTTY), EACCES),
	      "another user's 0620 /dev/pts/N: not EACCES");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)b_pid);
	check("proc-environ-others-refused", fails(open(path, O_RDONLY), EACCES), "not EACCES");
}

static void setup(void)
{
	static const char *dirs[] = { "nosearch", "xonly", "adir-root", "emptydir", "mv1",
		                      "mv1/sub",  "mv2",   "sticky",    "sgid",     "adir",
		                      "adir2",    "bdir",  "stickya" };
	static const int dmodes[] = { 0766,  0711,  0700, 0755, 0777, 0755, 0777,
		                      01777, 02777, 0700, 0755, 0755, 01777 };
	static const uid_t downers[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, A, A, B, A };
	static const gid_t dgroups[] = { 0, 0, 0, 0, 0, 0, 0, 0, G, GA, GA, GB, GA };

	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		make_dir(dirs[i], dmodes[i], downers[i], dgroups[i]);
	make("r644", 0644, 0, 0);
	make("r604", 0604, 0, 0);
	make("r600", 0600, 0, 0);
	make("r666", 0666, 0, 0);
	make("g640", 0640, 0, G);
	make("a077", 0077, A, GA);
	make("a444", 0444, A, GA);
	make("a644", 0644, A, GA);
	make("a600", 0600, A, GA);
	make("a000", 0000, A, GA);
	make("b644", 0644, B, GB);
	make("ag", 0755, A, G);
	make("asuid", 06755, A, GA);
	make("awsuid", 06777, A, GA);
	make("nosearch/f", 0644, 0, 0);
	make("xonly/f", 0644, 0, 0);
	make("adir-root/f", 0644, 0, 0);
	make("adir/f", 0644, A, GA);
	make("mv1/file", 0644, 0, 0);
	make("stickya/bfile", 0644, B, GB);
	make("stickya/bfile2", 0644, B, GB);
	make("bdir/rootfile", 0644, 0, 0);
	/* programs: this one, copied */
	static const char *progs[] = { "prog711", "prog700", "prog-a700" };
	static const int pmodes[] = { 0711, 0700, 0700 };
	for (int i = 0; i < 3; i++) {
		int in = open(self, O_RDONLY),
		    out = open(at(progs[i]), O_WRONLY | O_CREAT | O_TRUNC, 0700);
		char buf[65536];
		ssize_t n;
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		if (in >= 0)
			close(in);
		if (out >= 0) {
			if (fchown(out, i == 2 ? A : 0, i == 2 ? GA : 0) || fchmod(out, pmodes[i]))
				check("prog", 0, "chown/chmod");
			close(out);
		}
	}
	/* a socket of root's, 0755 (in /tmp: a share's files cannot be
	 * sockets) */
	struct sockaddr_un sa = { AF_UNIX };
	snprintf(sock_path, sizeof(sock_path), "/tmp/perms-sock.%d", (int)getpid());
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	mode_t old = umask(022);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 4))
		check("unix-bind", 0, "bind");
	umask(old);
}

/* "perms bench N": N stats of a path of 6 directories and open+close of
 * a file there, in ns each: what a path walk's checks cost. */
static int bench(int n)
{
	char path[64] = "/tmp/pb";
	struct timespec t0, t1, t2;
	struct stat st;

	for (int i = 0; i < 6; i++) {
		strcat(path, "/d");
		mkdir(path, 0755);
	}
	strcat(path, "/f");
	close(open(path, O_WRONLY | O_CREAT, 0644));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		stat(path, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < n; i++)
		close(open(path, O_RDONLY));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("bench: stat %.0f ns, open+close %.0f ns (7 components)\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n,
	       ((t2.tv_sec - t1.tv_sec) * 1e9 + (t2.tv_nsec - t1.tv_nsec)) / n);
	return 0;
}

int main(int argc, char **argv)
{
	static const gid_t none[1];

	if (argc > 1 && !strcmp(argv[1], "exit0"))
		return 0;
	if (argc > 2 && !strcmp(argv[1], "bench"))
		return bench(atoi(argv[2]));
	setvbuf(stdout, NULL, _IOLBF, 0);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(D, sizeof(D), "%s/perms.XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(D) || chmod(D, 0755)) {
		check("mkdtemp", 0, D);
		return check_done();
	}
	umask(022);
	setup();
	as(A, GA, 0, none, user_a);
	as(B, GB, 1, in_g, user_b);
	as(A, GA, 0, none, user_a_after);
	as(0, 0, 0, none, access_real_a);
	as(0, 0, 0, none, access_real_root);
	as(0, 0, 0, none, root_no_dac);
	as(0, 0, 0, none, root_read_search_only);
	as(0, 0, 0, none, root_no_fowner_chown);
	root_checks();
	as(A, GA, 0, none, exec_a);
	exec_root();
	as(0, 0, 0, none, fsuid_a);
	/* a terminal of root's, a process of B's */
	if ((pts = posix_openpt(O_RDWR | O_NOCTTY)) >= 0 && !grantpt(pts) && !unlockpt(pts) &&
	    !ptsname_r(pts, pts_name, sizeof(pts_name))) {
		int pipefd[2];
		if (pipe(pipefd))
			return 1;
		if ((b_pid = fork()) == 0) {
			char c;
			if (setresgid(GB, GB, GB) || setresuid(B, B, B))
				_exit(1);
			close(pipefd[1]);
			(void)!read(pipefd[0], &c, 1); /* until the parent closes */
			_exit(0);
		}
		close(pipefd[0]);
		usleep(100000);
		as(A, GA, 0, none, terminal_a);
		close(pipefd[1]);
		status_of(b_pid);
	} else {
		printf("SKIP perms/pts: no pseudo-terminal here\n");
	}
	unlink(sock_path);
	return check_done();
}
