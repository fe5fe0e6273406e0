/*
 * Pseudo-terminals (libos/fs/devpts.c, libos/vfs/tty.c), as a Linux
 * program: openpty's pair and its names (ptsname, ttyname, /dev/pts,
 * /proc/self/fd, devpts's statfs magic), posix_openpt with grantpt and
 * unlockpt (a locked slave refuses its open), TIOCGPTPEER and its flags;
 * canonical input with ERASE (of a tab, of a UTF-8 character under
 * IUTF8), WERASE, KILL and EOF, echo (ECHOCTL, ECHOKE, ECHONL), a line
 * longer than the line discipline holds; 20 KiB of input queued for a
 * slave that does not read; output and input mapping (ONLCR, ICRNL,
 * IGNCR); raw input with VMIN and VTIME; INTR and SUSP signalling the
 * foreground group, with the flush; the window size and SIGWINCH; a
 * controlling terminal through setsid and open (and TIOCSCTTY,
 * TIOCNOTTY), /dev/tty, /proc's tty_nr and tpgid; SIGTTIN and SIGTTOU for
 * a background group; the hang-up when the master closes, EIO on the
 * master after the slave's last close; poll on both ends; TIOCPKT;
 * TIOCSTI's rules. Prints one "PASS pty/name" or "FAIL pty/name: why"
 * line per check and "pty: all passed" at the end; the same program as a
 * Linux process answers the same.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SUITE "pty"
#include "check.h"

#define DEVPTS_SUPER_MAGIC 0x1cd1

/* A pair with the slave's standard modes, non-blocking master. */
static int pair(int *m, int *s, char *name)
{
	if (openpty(m, s, name, NULL, NULL))
		return -1;
	fcntl(*m, F_SETFL, O_RDWR | O_NONBLOCK);
	return 0;
}

/* What a master (or a raw slave) reads, up to size - 1 bytes and
 * NUL-terminated, until want came (10 s at most: Linux moves input and
 * echo between the ends in a worker, late on a loaded host), then what
 * else is there at once; with want NULL, whatever comes within 200 ms
 * (for checks that nothing does). */
static ssize_t drain_for(int m, char *buf, size_t size, const char *want)
{
	struct pollfd p = { m, POLLIN, 0 };
	ssize_t n = 0, r;
	int ms = want ? 10000 : 200;

	while (n < (ssize_t)size - 1 && poll(&p, 1, ms) == 1 && (p.revents & POLLIN) &&
	       (r = read(m, buf + n, size - 1 - (size_t)n)) > 0) {
		n += r;
		if (want && memmem(buf, (size_t)n, want, strlen(want)))
			ms = 0;
	}
	buf[n] = 0;
	return n;
}

static ssize_t drain(int m, char *buf, size_t size) { return drain_for(m, buf, size, NULL); }

/* Wait (10 s at most) for the child's "R" on the master: it has its
 * terminal and its handlers. */
static int ready(int m)
{
	struct pollfd p = { m, POLLIN, 0 };
	char c = 0;

	while (c != 'R' && poll(&p, 1, 10000) == 1 && read(m, &c, 1) == 1)
		;
	return c == 'R';
}

static int lflag(int s, tcflag_t on, tcflag_t off)
{
	struct termios t;

	if (tcgetattr(s, &t))
		return -1;
	t.c_lflag = (t.c_lflag | on) & ~off;
	return tcsetattr(s, TCSANOW, &t);
}

/* The child's exit status from a check run in it: 0 passed, else the
 * number of the step that failed. */
static int child_status(pid_t pid)
{
	int st = status_of(pid);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The check that the child's steps all passed. */
static void check_child(const char *name, pid_t pid)
{
	char why[32];
	int n = child_status(pid);

	snprintf(why, sizeof(why), "child's status %d", n);
	check(name, n == 0, why);
}

static void test_names(void)
{
	char name[64], link[64], path[64];
	struct stat st, fst;
	struct statfs sf;
	int m, s, found = 0;
	DIR *d;
	struct dirent *e;

	if (pair(&m, &s, name)) {
		check("openpty", 0, "openpty failed");
		return;
	}
	check("openpty", !strncmp(name, "/dev/pts/", 9), name);
	check("ptsname", ptsname(m) && !strcmp(ptsname(m), name), "ptsname differs");
	check("ttyname", ttyname(s) && !strcmp(ttyname(s), name), "ttyname differs");
	check("isatty", isatty(s) && isatty(m), "not a terminal");
	check("stat-slave",
	      !stat(name, &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
	          major(st.st_rdev) <= 143 && st.st_uid == geteuid(),
	      "not a pts node of ours");
	check("fstat-is-node",
	      !fstat(s, &fst) && fst.st_ino == st.st_ino && fst.st_dev == st.st_dev,
	      "the open slave is not the node");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
	memset(link, 0, sizeof(link));
	check("proc-fd-link", readlink(path, link, sizeof(link) - 1) > 0 && !strcmp(link, name),
	      link);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	memset(link, 0, sizeof(link));
	check("proc-fd-link-master",
	      readlink(path, link, sizeof(link) - 1) > 0 && !strcmp(link, "/dev/ptmx"), link);
	check("devpts-magic", !statfs("/dev/pts", &sf) && sf.f_type == DEVPTS_SUPER_MAGIC,
	      "statfs(/dev/pts)");
	if ((d = opendir("/dev/pts"))) {
		while ((e = readdir(d)))
			found |= !strcmp(e->d_name, name + 9);
		closedir(d);
	}
	check("listed", found, "not in /dev/pts");
	close(s);
	close(m);
	check("gone-with-master", stat(name, &st) && errno == ENOENT, "node still there");
}

/* A pair's number stays taken while its slave is open after the master
 * closed: Linux's devpts frees it with the last end, so a new pair never
 * shares a name (or st_rdev, tty_nr) with a terminal still open. */
static void test_number_kept(void)
{
	char name[64], name2[64];
	int m, s, m2, s2;

	if (openpty(&m, &s, name, NULL, NULL))
		return;
	close(m);
	if (openpty(&m2, &s2, name2, NULL, NULL) == 0) {
		check("number-kept", strcmp(name, name2) != 0, name2);
		close(s2);
		close(m2);
	}
	close(s);
}

static void test_posix_openpt(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), m2, s, peer, n = -1;
	char name[64];
	struct stat a, b;

	if (m < 0) {
		check("posix_openpt", 0, "failed");
		return;
	}
	snprintf(name, sizeof(name), "%s", ptsname(m) ? ptsname(m) : "?");
	check("locked", open(name, O_RDWR | O_NOCTTY) < 0 && errno == EIO,
	      "open of a locked slave");
	check("grantpt", !grantpt(m), "grantpt");
	check("unlockpt", !unlockpt(m), "unlockpt");
	s = open(name, O_RDWR | O_NOCTTY);
	check("open-unlocked", s >= 0, name);
	check("TIOCGPTN", !ioctl(m, TIOCGPTN, &n) && n == atoi(name + 9), "number differs");
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	check("TIOCGPTPEER",
	      peer >= 0 && !fstat(peer, &a) && !fstat(s, &b) && a.st_ino == b.st_ino &&
	          a.st_rdev == b.st_rdev,
	      "peer is not the slave");
	m2 = posix_openpt(O_RDWR | O_NOCTTY);
	check("new-pair-each-open", m2 >= 0 && ptsname(m2) && strcmp(ptsname(m2), name),
	      "same name twice");
	check("TIOCGPTN-slave", ioctl(s, TIOCGPTN, &n) < 0 && errno == ENOTTY, "slave answered");
	close(m2);
	close(peer);
	close(s);
	close(m);
}

/* TIOCGPTPEER takes any flags, as Linux's ptm_open_peer: those a path's
 * open alone means nothing by, O_APPEND kept, O_CLOEXEC on the new
 * descriptor; O_DIRECT alone fails (devpts cannot do it). */
static void test_peer_flags(void)
{
	char name[64];
	int m, s, peer, fl = 0, fd = 0;

	if (pair(&m, &s, name))
		return;
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_APPEND | O_NOCTTY);
	if (peer >= 0)
		fl = fcntl(peer, F_GETFL);
	check("peer-append", peer >= 0 && (fl & O_APPEND) && (fl & O_ACCMODE) == O_RDWR,
	      strerror(errno));
	close(peer);
	peer = ioctl(m, TIOCGPTPEER, O_WRONLY | O_TRUNC | O_CREAT | O_EXCL | O_NOCTTY);
	if (peer >= 0)
		fl = fcntl(peer, F_GETFL);
	check("peer-open-only-flags",
	      peer >= 0 && (fl & O_ACCMODE) == O_WRONLY && !(fl & (O_TRUNC | O_CREAT | O_EXCL)),
	      strerror(errno));
	close(peer);
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (peer >= 0) {
		fl = fcntl(peer, F_GETFL);
		fd = fcntl(peer, F_GETFD);
	}
	check("peer-cloexec-nonblock", peer >= 0 && (fd & FD_CLOEXEC) && (fl & O_NONBLOCK),
	      strerror(errno));
	close(peer);
	errno = 0;
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_DIRECT);
	check("peer-direct-refused", peer < 0 && errno == EINVAL, "O_DIRECT accepted");
	if (peer >= 0)
		close(peer);
	close(s);
	close(m);
}

/* A canonical line longer than the line discipline holds (4095 bytes and
 * its end): what it cannot keep is echoed all the same, as Linux's
 * n_tty echoes every byte typed, and the line is its first 4095 bytes
 * and the newline. */
static void test_long_line(void)
{
	static char buf[8192];
	char name[64];
	ssize_t n, echoed = 0, w;
	int m, s, bs = 0;

	if (pair(&m, &s, name))
		return;
	memset(buf, 'b', 5000);
	w = write(m, buf, 5000);
	check("long-line-written", w == 5000, "short write");
	while (echoed < 5000 && (n = drain_for(m, buf, sizeof(buf), "bbbb")) > 0) {
		for (ssize_t i = 0; i < n; i++)
			bs += buf[i] == 'b';
		echoed += n;
	}
	snprintf(name, sizeof(name), "%d echoed", bs);
	check("long-line-echo", bs == 5000, name);
	write(m, "\n", 1);
	n = read(s, buf, sizeof(buf));
	check("long-line-kept", n == 4096 && buf[4094] == 'b' && buf[4095] == '\n', "line differs");
	close(s);
	close(m);
}

/* A writer to a master whose slave does not read queues ~20 KiB before it
 * would block (Linux's 4 KiB line discipline and its flip buffers behind
 * it), and the reader then gets it all, in order. */
static void test_input_queue(void)
{
	static char buf[32768];
	struct pollfd p;
	struct termios t;
	char name[64];
	ssize_t queued = 0, got = 0, n;
	int m, s, ok = 1;

	if (pair(&m, &s, name))
		return;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	/* (until a write would block and the master stays unwritable a while:
	 * Linux moves input on in a worker) */
	p = (struct pollfd){ m, POLLOUT, 0 };
	while (queued < 65536) {
		for (int i = 0; i < 1024; i++)
			buf[i] = (char)('a' + (queued + i) % 26);
		n = write(m, buf, 1024);
		if (n > 0)
			queued += n;
		else if (n < 0 && errno == EAGAIN && poll(&p, 1, 200) != 1)
			break;
		else if (n < 0 && errno != EAGAIN)
			break;
	}
	snprintf(name, sizeof(name), "%zd bytes queued", queued);
	check("input-queue-16k", queued >= 16384 && queued < 65536, name);
	p = (struct pollfd){ s, POLLIN, 0 };
	while (got < queued && poll(&p, 1, 10000) == 1 && (n = read(s, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			ok &= buf[i] == (char)('a' + (got + i) % 26);
		got += n;
	}
	check("input-queue-read-back", got == queued && ok, "bytes lost or out of order");
	close(s);
	close(m);
}

/* TIOCSTI: a byte as if typed. Root may push it into any terminal, a
 * master's included (its reads take it); an unprivileged process into
 * its controlling terminal only (EPERM), and on a Linux whose
 * dev.tty.legacy_tiocsti is 0 not at all (EIO). */
static int legacy_tiocsti(void)
{
	FILE *f = fopen("/proc/sys/dev/tty/legacy_tiocsti", "r");
	int legacy = 1;

	if (f) {
		if (fscanf(f, "%d", &legacy) != 1)
			legacy = 1;
		fclose(f);
	}
	return legacy;
}

/* In a child of its own session with the slave name as its terminal,
 * then unprivileged: 0 when the rules above held. */
static int tiocsti_steps(const char *name, int other)
{
	int t, r;
	char c = 'y';

	setsid();
	if ((t = open(name, O_RDWR)) < 0)
		return 1;
	if (setgid(65534) || setuid(65534))
		return 2;
	r = ioctl(other, TIOCSTI, &c);
	if (r == 0 || (errno != EPERM && !(errno == EIO && !legacy_tiocsti())))
		return 3;
	r = ioctl(t, TIOCSTI, &c);
	if (legacy_tiocsti() ? r != 0 : r == 0 || errno != EIO)
		return 4;
	return 0;
}

static void test_tiocsti(void)
{
	char name[64], buf[16], c = 'q';
	struct termios t;
	int m, s, m2, s2;
	pid_t pid;

	if (geteuid() != 0) {
		printf("SKIP pty/tiocsti: not root\n");
		return;
	}
	if (pair(&m, &s, name))
		return;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	check("tiocsti-root", !ioctl(s, TIOCSTI, &c), strerror(errno));
	check("tiocsti-input", drain_for(s, buf, sizeof(buf), "q") == 1 && buf[0] == 'q',
	      "not read");
	c = 'w';
	check("tiocsti-master", !ioctl(m, TIOCSTI, &c), strerror(errno));
	check("tiocsti-master-reads", drain_for(m, buf, sizeof(buf), "w") == 1 && buf[0] == 'w',
	      "not read on the master");
	if (pair(&m2, &s2, NULL) == 0) {
		if ((pid = fork()) == 0) {
			alarm(20);
			close(m);
			close(m2);
			_exit(tiocsti_steps(name, s2));
		}
		check_child("tiocsti-unprivileged", pid);
		if (legacy_tiocsti())
			check("tiocsti-own-terminal",
			      drain_for(s, buf, sizeof(buf), "y") == 1 && buf[0] == 'y',
			      "not read");
		close(s2);
		close(m2);
	}
	close(s);
	close(m);
}

static void test_canonical(void)
{
	char name[64], buf[128];
	int m, s, n;

	if (pair(&m, &s, name))
		return;
	fcntl(s, F_SETFL, O_RDWR | O_NONBLOCK);
	write(m, "abx\177c", 5);
	check("partial-line-waits", read(s, buf, sizeof(buf)) < 0 && errno == EAGAIN,
	      "a partial line was read");
	check("partial-line-FIONREAD", !ioctl(s, FIONREAD, &n) && n == 0, "counted");
	write(m, "\n", 1);
	n = (int)read(s, buf, sizeof(buf));
	check("erase", n == 4 && !memcmp(buf, "abc\n", 4), "line differs");
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echo-erase", !strcmp(buf, "abx\b \bc\r\n"), "echo differs");
	write(m, "junk\025ok\r", 8);
	n = (int)read(s, buf, sizeof(buf));
	check("kill-and-icrnl", n == 3 && !memcmp(buf, "ok\n", 3), "line differs");
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echo-kill", !strcmp(buf, "junk\b \b\b \b\b \b\b \bok\r\n"), "echo differs");
	write(m, "foo bar\027baz\n", 12);
	n = (int)read(s, buf, sizeof(buf));
	check("werase", n == 8 && !memcmp(buf, "foo baz\n", 8), "line differs");
	drain_for(m, buf, sizeof(buf), "\r\n");
	write(m, "ab\t\177\n", 5);
	n = (int)read(s, buf, sizeof(buf));
	check("erase-tab", n == 3 && !memcmp(buf, "ab\n", 3), "line differs");
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echo-erase-tab", !strcmp(buf, "ab\t\b\b\b\b\b\b\r\n"), "echo differs");
	{
		struct termios t;
		tcgetattr(s, &t);
		t.c_iflag |= IUTF8;
		tcsetattr(s, TCSANOW, &t);
	}
	write(m, "x\xc3\xa9\177\n", 5);
	n = (int)read(s, buf, sizeof(buf));
	check("erase-utf8", n == 2 && !memcmp(buf, "x\n", 2), "line differs");
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echo-erase-utf8", !strcmp(buf, "x\xc3\xa9\b \b\r\n"), "echo differs");
	write(m, "one\ntwo\n", 8);
	n = (int)read(s, buf, sizeof(buf));
	check("one-line-a-read", n == 4 && !memcmp(buf, "one\n", 4), "more than a line");
	n = (int)read(s, buf, 2);
	check("short-read", n == 2 && !memcmp(buf, "tw", 2), "short read");
	n = (int)read(s, buf, sizeof(buf));
	check("rest-of-line", n == 2 && !memcmp(buf, "o\n", 2), "rest differs");
	write(m, "xy\004", 3);
	n = (int)read(s, buf, sizeof(buf));
	check("eof-pushes-line", n == 2 && !memcmp(buf, "xy", 2), "EOF after text");
	write(m, "\004", 1);
	check("eof-at-start", read(s, buf, sizeof(buf)) == 0, "EOF at a line's start");
	drain_for(m, buf, sizeof(buf), "\r\n");
	write(m, "\001\n", 2);
	read(s, buf, sizeof(buf));
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echoctl", !strcmp(buf, "^A\r\n"), "echo differs");
	lflag(s, ECHONL, ECHO);
	write(m, "hid\n", 4);
	read(s, buf, sizeof(buf));
	drain_for(m, buf, sizeof(buf), "\r\n");
	check("echonl", !strcmp(buf, "\r\n"), "echo differs");
	lflag(s, 0, ECHONL);
	write(m, "hid\n", 4);
	read(s, buf, sizeof(buf));
	check("no-echo", drain(m, buf, sizeof(buf)) == 0, "echoed");
	write(m, "left\n", 5);
	{
		struct termios t;
		tcgetattr(s, &t);
		tcsetattr(s, TCSAFLUSH, &t);
	}
	check("tcsaflush", !ioctl(s, FIONREAD, &n) && n == 0, "input kept");
	write(m, "more\n", 5);
	tcflush(s, TCIFLUSH);
	check("tcflush", !ioctl(s, FIONREAD, &n) && n == 0, "input kept");
	close(s);
	close(m);
}

static void test_output(void)
{
	char name[64], buf[64];
	struct termios t;
	int m, s;

	if (pair(&m, &s, name))
		return;
	write(s, "a\nb", 3);
	drain_for(m, buf, sizeof(buf), "a\r\nb");
	check("onlcr", !strcmp(buf, "a\r\nb"), "output differs");
	tcgetattr(s, &t);
	t.c_oflag |= OCRNL;
	t.c_oflag &= ~ONLCR;
	tcsetattr(s, TCSANOW, &t);
	write(s, "x\ry\n", 4);
	drain_for(m, buf, sizeof(buf), "y\n");
	check("ocrnl", !strcmp(buf, "x\ny\n"), "output differs");
	t.c_oflag &= ~OPOST;
	t.c_oflag |= ONLCR;
	tcsetattr(s, TCSANOW, &t);
	write(s, "a\nb", 3);
	drain_for(m, buf, sizeof(buf), "b");
	check("no-opost", !strcmp(buf, "a\nb"), "output differs");
	t.c_iflag |= IGNCR;
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	write(m, "p\rq\n", 4);
	check("igncr", read(s, buf, sizeof(buf)) == 3 && !memcmp(buf, "pq\n", 3), "input differs");
	close(s);
	close(m);
}

static void test_raw(void)
{
	char name[64], buf[64];
	struct termios t;
	struct pollfd p;
	int m, s, n;

	if (pair(&m, &s, name))
		return;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	check("vmin0-vtime0", read(s, buf, sizeof(buf)) == 0, "did not return at once");
	t.c_cc[VTIME] = 1;
	tcsetattr(s, TCSANOW, &t);
	check("vmin0-vtime-expires", read(s, buf, sizeof(buf)) == 0, "timer did not end the read");
	write(m, "z", 1);
	check("vmin0-vtime-byte", read(s, buf, sizeof(buf)) == 1 && buf[0] == 'z', "byte lost");
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	write(m, "12", 2);
	p = (struct pollfd){ s, POLLIN, 0 };
	check("vmin-poll-short", poll(&p, 1, 0) == 0, "ready before VMIN bytes");
	write(m, "3\r", 2);
	check("vmin-poll-ready", poll(&p, 1, 1000) == 1 && (p.revents & POLLIN), "not ready");
	n = (int)read(s, buf, sizeof(buf));
	check("vmin-read", n == 4 && !memcmp(buf, "123\r", 4), "raw bytes differ");
	t.c_cc[VMIN] = 2;
	t.c_cc[VTIME] = 1;
	tcsetattr(s, TCSANOW, &t);
	write(m, "q", 1);
	check("vmin-vtime-interbyte", read(s, buf, sizeof(buf)) == 1 && buf[0] == 'q',
	      "the timer after a byte did not end the read");
	check("raw-no-echo", drain(m, buf, sizeof(buf)) == 0, "echoed");
	close(s);
	close(m);
}

static void test_poll(void)
{
	char name[64], buf[64];
	struct pollfd p[2];
	int m, s;

	if (pair(&m, &s, name))
		return;
	p[0] = (struct pollfd){ m, POLLIN | POLLOUT, 0 };
	p[1] = (struct pollfd){ s, POLLIN | POLLOUT, 0 };
	check("poll-writable",
	      poll(p, 2, 0) == 2 && p[0].revents == POLLOUT && p[1].revents == POLLOUT,
	      "not just writable");
	lflag(s, 0, ECHO);
	write(m, "ab", 2);
	poll(p, 2, 0);
	check("poll-partial-line", !(p[1].revents & POLLIN), "readable without a line");
	write(m, "\n", 1);
	check("poll-line", poll(p, 2, 1000) >= 1 && (p[1].revents & POLLIN), "line not readable");
	read(s, buf, sizeof(buf));
	write(s, "out", 3);
	check("poll-master-in", poll(p, 1, 1000) == 1 && (p[0].revents & POLLIN), "no output");
	drain_for(m, buf, sizeof(buf), "out");
	close(s);
	p[0].events = POLLIN;
	check("poll-master-hup", poll(p, 1, 1000) == 1 && (p[0].revents & POLLHUP), "no hang-up");
	check("master-eio", read(m, buf, sizeof(buf)) < 0 && errno == EIO, "read after the slave");
	close(m);
}

static void test_pkt(void)
{
	char name[64], buf[64];
	int m, s, on = 1;

	if (pair(&m, &s, name))
		return;
	check("TIOCPKT", !ioctl(m, TIOCPKT, &on), "refused");
	write(s, "x", 1);
	check("pkt-data",
	      drain_for(m, buf, sizeof(buf), "x") == 2 && buf[0] == TIOCPKT_DATA && buf[1] == 'x',
	      "no data byte first");
	close(s);
	close(m);
}

/* ---- sessions: each in a child of its own session ---- */

static volatile sig_atomic_t got;
static void on_sig(int sig) { got = sig; }

static int wait_sig(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!got)
		sigsuspend(&none); /* (alarm bounds it) */
	return got;
}

/* A child in a new session whose controlling terminal becomes the slave:
 * returns 0 in the child (slave in *s, master closed there). The parent
 * keeps its slave open until the child is ready (a master reads EIO
 * while no slave is open). */
static pid_t session_child(int m, const char *name, int *s)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	alarm(20);
	close(m);
	close(*s);
	setsid();
	*s = open(name, O_RDWR);
	return 0;
}

static int ctty_steps(const char *name)
{
	int s, t, m2, s2, nr = 0, tpgid = 0;
	char stat[512], *p;
	struct stat a, b;
	FILE *f;

	setsid();
	if (open("/dev/tty", O_RDWR) >= 0 || errno != ENXIO)
		return 1;
	if ((s = open(name, O_RDWR | O_NOCTTY)) < 0)
		return 2;
	if (open("/dev/tty", O_RDWR) >= 0 || errno != ENXIO)
		return 3;
	close(s);
	if ((s = open(name, O_RDWR)) < 0 || (t = open("/dev/tty", O_RDWR)) < 0)
		return 4;
	if (fstat(t, &a) || major(a.st_rdev) != 5 || minor(a.st_rdev) != 0)
		return 5;
	if (write(t, "via-tty", 7) != 7)
		return 6;
	if (tcgetsid(s) != getpid() || tcgetpgrp(s) != getpgrp())
		return 7;
	if (!(f = fopen("/proc/self/stat", "r")) || !fgets(stat, sizeof(stat), f))
		return 8;
	fclose(f);
	fstat(s, &b);
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %d %d", &nr, &tpgid) != 2 ||
	    (dev_t)nr != b.st_rdev || tpgid != getpgrp())
		return 9;
	if (openpty(&m2, &s2, NULL, NULL, NULL) || ioctl(s2, TIOCSCTTY, 0) == 0 || errno != EPERM)
		return 10;
	signal(SIGHUP, SIG_IGN); /* (the leader's TIOCNOTTY hangs up its own group) */
	if (ioctl(s, TIOCNOTTY) || (open("/dev/tty", O_RDWR) >= 0 || errno != ENXIO))
		return 11;
	if (ioctl(s2, TIOCSCTTY, 0) || tcgetsid(s2) != getpid())
		return 12;
	return 0;
}

/* The requests Linux takes through the master for its slave: TIOCSCTTY
 * makes the slave the caller's terminal, TIOCSPGRP sets its foreground
 * group; TIOCNOTTY is the slave's alone. */
static int master_ctty_steps(void)
{
	int m, s, pg;

	setsid();
	if (openpty(&m, &s, NULL, NULL, NULL))
		return 1;
	if (ioctl(m, TIOCSCTTY, 0) || tcgetsid(s) != getpid())
		return 2;
	pg = getpgrp();
	if (ioctl(m, TIOCSPGRP, &pg) || tcgetpgrp(s) != pg)
		return 3;
	if (ioctl(m, TIOCNOTTY) == 0 || errno != ENOTTY)
		return 4;
	return 0;
}

static void test_ctty(void)
{
	char name[64], buf[64];
	int m, s;
	pid_t pid;

	if (pair(&m, &s, name))
		return;
	close(s);
	if ((pid = fork()) == 0) {
		alarm(20);
		close(m);
		_exit(ctty_steps(name));
	}
	check_child("controlling-terminal", pid);
	drain_for(m, buf, sizeof(buf), "via-tty");
	check("dev-tty-writes-to-it", strstr(buf, "via-tty") != NULL, "nothing came");
	close(m);
	if ((pid = fork()) == 0) {
		alarm(20);
		_exit(master_ctty_steps());
	}
	check_child("controlling-terminal-through-master", pid);
}

/* ^C to the foreground group: SIGINT, and what was typed is flushed. */
static void test_isig(void)
{
	char name[64], buf[64];
	int m, s, n = -1, st;
	pid_t pid;

	if (pair(&m, &s, name))
		return;
	if ((pid = session_child(m, name, &s)) == 0) {
		signal(SIGINT, on_sig);
		write(s, "R", 1);
		wait_sig();
		ioctl(s, FIONREAD, &n);
		_exit((got == SIGINT ? 0 : 1) | (n == 0 ? 0 : 2));
	}
	ready(m);
	close(s);
	write(m, "typed\003", 6);
	check_child("isig-intr", pid);
	drain_for(m, buf, sizeof(buf), "^C");
	check("isig-echo", strstr(buf, "^C") != NULL, "no ^C echoed");
	/* ^Z stops a job the shell put in the foreground */
	s = open(name, O_RDWR | O_NOCTTY);
	if ((pid = session_child(m, name, &s)) == 0) {
		pid_t job = fork();
		if (job == 0) {
			setpgid(0, 0);
			for (;;)
				pause();
		}
		setpgid(job, job);
		tcsetpgrp(s, job);
		write(s, "R", 1);
		st = 0;
		waitpid(job, &st, WUNTRACED);
		kill(job, SIGKILL);
		_exit(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP ? 0 : 1);
	}
	ready(m);
	close(s);
	write(m, "\032", 1);
	check_child("isig-susp", pid);
	close(m);
}

/* A background job that reads gets SIGTTIN; one that writes under
 * TOSTOP, SIGTTOU. */
static void test_background(void)
{
	char name[64], buf[64];
	int m, s;
	pid_t pid;

	if (pair(&m, &s, name))
		return;
	if ((pid = session_child(m, name, &s)) == 0) {
		int st1 = 0, st2 = 0;
		pid_t job = fork();
		if (job == 0) {
			setpgid(0, 0);
			read(s, buf, 1);
			_exit(0);
		}
		setpgid(job, job);
		waitpid(job, &st1, WUNTRACED);
		kill(job, SIGKILL);
		lflag(s, TOSTOP, 0);
		if ((job = fork()) == 0) {
			setpgid(0, 0);
			write(s, "x", 1);
			_exit(0);
		}
		setpgid(job, job);
		waitpid(job, &st2, WUNTRACED);
		kill(job, SIGKILL);
		_exit((WIFSTOPPED(st1) && WSTOPSIG(st1) == SIGTTIN ? 0 : 1) |
		      (WIFSTOPPED(st2) && WSTOPSIG(st2) == SIGTTOU ? 0 : 2));
	}
	close(s);
	s = child_status(pid);
	snprintf(buf, sizeof(buf), "status %d", s);
	check("background-read-sigttin", !(s & 1) && s < 100, buf);
	check("background-write-sigttou", !(s & 2) && s < 100, buf);
	close(m);
}

static void test_winsize(void)
{
	char name[64];
	struct winsize w = { .ws_row = 33, .ws_col = 101 };
	int m, s;
	pid_t pid;

	if (pair(&m, &s, name))
		return;
	if ((pid = session_child(m, name, &s)) == 0) {
		struct winsize g;
		signal(SIGWINCH, on_sig);
		write(s, "R", 1);
		wait_sig();
		_exit(got == SIGWINCH && !ioctl(s, TIOCGWINSZ, &g) && g.ws_row == 33 &&
		              g.ws_col == 101
		          ? 0
		          : 1);
	}
	ready(m);
	close(s);
	check("TIOCSWINSZ", !ioctl(m, TIOCSWINSZ, &w), "refused");
	check_child("sigwinch", pid);
	close(m);
}

/* Closing the master: SIGHUP to the session's leader, the slave reads
 * end (0) and writes fail (EIO). */
static void test_hangup(void)
{
	char name[64], buf[64];
	int m, s;
	pid_t pid;

	if (pair(&m, &s, name))
		return;
	if ((pid = session_child(m, name, &s)) == 0) {
		signal(SIGHUP, on_sig);
		write(s, "R", 1);
		wait_sig();
		_exit((got == SIGHUP ? 0 : 1) | (read(s, buf, 1) == 0 ? 0 : 2) |
		      (write(s, "x", 1) < 0 && errno == EIO ? 0 : 4) |
		      (open("/dev/tty", O_RDWR) < 0 ? 0 : 8));
	}
	ready(m);
	close(s);
	close(m);
	check_child("hangup", pid);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(120);
	test_names();
	test_number_kept();
	test_posix_openpt();
	test_peer_flags();
	test_canonical();
	test_long_line();
	test_input_queue();
	test_output();
	test_raw();
	test_poll();
	test_pkt();
	test_ctty();
	test_isig();
	test_background();
	test_winsize();
	test_hangup();
	test_tiocsti();
	return check_done();
}
