/*
 * inotify as a Linux program sees it, checked against Linux's answers
 * (the same program runs as a process here), in a directory of its own
 * under /tmp (or argv[1]):
 *
 *   dir      a watched directory hears of a file made, opened, written,
 *            closed, read, chmod'ed, renamed (one cookie for both
 *            halves), removed, and of a directory made and removed
 *   file     a watched file hears of its own changes (no name), of its
 *            last name going (IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED)
 *   merge    two writes in a row are one event; FIONREAD counts bytes;
 *            poll sees the queue; a buffer smaller than an event: EINVAL
 *   watches  one wd per file; IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR,
 *            IN_ONESHOT; rm_watch's IN_IGNORED; the errors of bad calls
 *   links    a second name: IN_CREATE alone to the directory (the file's
 *            own IN_ATTRIB is not the directory's); a rename between two
 *            names of one file: no event; a directory listed: IN_ACCESS
 *   unmount  watches of a mount that goes: IN_UNMOUNT, IN_IGNORED (as
 *            root: it mounts a tmpfs)
 *
 * One verdict line a check (check.h); the exit status says whether all
 * passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUITE "inotify"
#include "check.h"

static char dir[256], path[300], path2[300], sub[300];

/* The events queued now (none waiting), as "MASK:NAME" words. */
static int events(int fd, char *out, size_t size, uint32_t *cookies)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;
	size_t used = 0;
	int count = 0;

	out[0] = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (cookies && count < 8)
				cookies[count] = e->cookie;
			used += (size_t)snprintf(out + used, size - used, "%s%x:%s",
			                         used ? " " : "", e->mask, e->len ? e->name : "");
			count++;
			p += sizeof(*e) + e->len;
		}
	}
	return count;
}

static int has(const char *got, uint32_t mask, const char *name)
{
	char want[300];
	size_t len = (size_t)snprintf(want, sizeof(want), "%x:%s", mask, name);

	for (const char *p = got; (p = strstr(p, want)); p++)
		if ((p == got || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return 1;
	return 0;
}

static void write_file(const char *p, const char *text)
{
	int f = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f >= 0) {
		write(f, text, strlen(text));
		close(f);
	}
}

static void dir_events(int in)
{
	char got[2048], b[8];
	uint32_t c[8] = { 0 };
	int wd = inotify_add_watch(in, dir, IN_ALL_EVENTS), f;

	check("dir/watch", wd > 0, "inotify_add_watch of the directory failed");
	f = open(path, O_WRONLY | O_CREAT, 0644);
	write(f, "hello", 5);
	close(f);
	events(in, got, sizeof(got), NULL);
	check("dir/create", has(got, IN_CREATE, "a"), got);
	check("dir/open", has(got, IN_OPEN, "a"), got);
	check("dir/modify", has(got, IN_MODIFY, "a"), got);
	check("dir/close-write", has(got, IN_CLOSE_WRITE, "a"), got);
	f = open(path, O_RDONLY);
	read(f, b, sizeof(b));
	close(f);
	chmod(path, 0600);
	events(in, got, sizeof(got), NULL);
	check("dir/access", has(got, IN_ACCESS, "a"), got);
	check("dir/close-nowrite", has(got, IN_CLOSE_NOWRITE, "a"), got);
	check("dir/attrib", has(got, IN_ATTRIB, "a"), got);
	rename(path, path2);
	check("dir/moved",
	      events(in, got, sizeof(got), c) == 2 && has(got, IN_MOVED_FROM, "a") &&
	          has(got, IN_MOVED_TO, "b"),
	      got);
	check("dir/moved-cookie", c[0] && c[0] == c[1], "the two halves' cookies differ or are 0");
	unlink(path2);
	mkdir(sub, 0755);
	rmdir(sub);
	events(in, got, sizeof(got), NULL);
	check("dir/delete", has(got, IN_DELETE, "b"), got);
	check("dir/mkdir", has(got, IN_CREATE | IN_ISDIR, "d"), got);
	check("dir/rmdir", has(got, IN_DELETE | IN_ISDIR, "d"), got);
	inotify_rm_watch(in, wd);
	events(in, got, sizeof(got), NULL);
}

static void file_events(int in)
{
	char got[2048];
	int wd, f;

	write_file(path, "x");
	wd = inotify_add_watch(in, path, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_CLOSE_WRITE);
	check("file/watch", wd > 0, "inotify_add_watch of the file failed");
	f = open(path, O_WRONLY | O_APPEND);
	write(f, "y", 1);
	close(f);
	events(in, got, sizeof(got), NULL);
	check("file/modify", !strcmp(got, "2: 8:"), got); /* IN_MODIFY, IN_CLOSE_WRITE */
	unlink(path);
	events(in, got, sizeof(got), NULL);
	check("file/deleted", !strcmp(got, "4: 400: 8000:"),
	      got); /* ATTRIB, DELETE_SELF, IGNORED */
	errno = 0;
	check("file/watch-gone", inotify_rm_watch(in, wd) == -1 && errno == EINVAL,
	      "rm_watch of a deleted file's watch did not fail with EINVAL");
}

static void merge(int in)
{
	char got[2048], small[8];
	struct pollfd p = { .fd = in, .events = POLLIN };
	int wd, f, queued = -1;

	write_file(path, "");
	wd = inotify_add_watch(in, path, IN_MODIFY);
	check("merge/not-ready", poll(&p, 1, 0) == 0, "poll saw events before any");
	f = open(path, O_WRONLY);
	write(f, "1", 1);
	write(f, "2", 1);
	close(f);
	check("merge/ready", poll(&p, 1, 1000) == 1 && (p.revents & POLLIN), "poll saw no event");
	check("merge/fionread",
	      ioctl(in, FIONREAD, &queued) == 0 && queued == (int)sizeof(struct inotify_event),
	      "FIONREAD did not count one nameless event");
	errno = 0;
	check("merge/small-buffer", read(in, small, sizeof(small)) == -1 && errno == EINVAL,
	      "a read smaller than the event did not fail with EINVAL");
	check("merge/one-event", events(in, got, sizeof(got), NULL) == 1 && !strcmp(got, "2:"),
	      got);
	inotify_rm_watch(in, wd);
	events(in, got, sizeof(got), NULL);
	unlink(path);
}

static void watches(int in)
{
	char got[2048];
	int a, b, n;

	write_file(path, "");
	a = inotify_add_watch(in, path, IN_MODIFY);
	b = inotify_add_watch(in, path, IN_ATTRIB);
	check("watches/same-wd", a > 0 && a == b, "a second watch of one file got another wd");
	write_file(path, "z"); /* IN_MODIFY no longer asked for */
	chmod(path, 0640);
	n = events(in, got, sizeof(got), NULL);
	check("watches/mask-replaced", n == 1 && !strcmp(got, "4:"), got);
	inotify_add_watch(in, path, IN_MODIFY | IN_MASK_ADD);
	write_file(path, "w");
	chmod(path, 0600);
	events(in, got, sizeof(got), NULL);
	check("watches/mask-added", has(got, IN_MODIFY, "") && has(got, IN_ATTRIB, ""), got);
	errno = 0;
	check("watches/mask-create",
	      inotify_add_watch(in, path, IN_MODIFY | IN_MASK_CREATE) == -1 && errno == EEXIST,
	      "IN_MASK_CREATE on a watched file did not fail with EEXIST");
	errno = 0;
	check("watches/onlydir",
	      inotify_add_watch(in, path, IN_MODIFY | IN_ONLYDIR) == -1 && errno == ENOTDIR,
	      "IN_ONLYDIR on a file did not fail with ENOTDIR");
	check("watches/rm", inotify_rm_watch(in, a) == 0, "rm_watch failed");
	events(in, got, sizeof(got), NULL);
	check("watches/ignored", !strcmp(got, "8000:"), got);
	errno = 0;
	check("watches/rm-again", inotify_rm_watch(in, a) == -1 && errno == EINVAL,
	      "a second rm_watch did not fail with EINVAL");
	a = inotify_add_watch(in, path, IN_ATTRIB | IN_ONESHOT);
	chmod(path, 0644);
	chmod(path, 0640);
	events(in, got, sizeof(got), NULL);
	check("watches/oneshot", !strcmp(got, "4: 8000:"), got);
	unlink(path);
	errno = 0;
	check("watches/enoent", inotify_add_watch(in, path, IN_MODIFY) == -1 && errno == ENOENT,
	      "a watch of a missing file did not fail with ENOENT");
	errno = 0;
	check("watches/no-events", inotify_add_watch(in, dir, 0) == -1 && errno == EINVAL,
	      "a watch for no event did not fail with EINVAL");
	errno = 0;
	check("watches/not-inotify", inotify_add_watch(0, dir, IN_MODIFY) == -1 && errno == EINVAL,
	      "a watch through a descriptor that is not inotify's did not fail with EINVAL");
	errno = 0;
	check("watches/bad-fd", inotify_add_watch(-1, dir, IN_MODIFY) == -1 && errno == EBADF,
	      "a watch through -1 did not fail with EBADF");
	errno = 0;
	check("watches/bad-flags", inotify_init1(0x1) == -1 && errno == EINVAL,
	      "inotify_init1 with an unknown flag did not fail with EINVAL");
	errno = 0;
	check("watches/mask-before-fd", inotify_add_watch(-1, dir, 0) == -1 && errno == EINVAL,
	      "an empty mask through -1 did not fail with EINVAL (the mask is checked first)");
	a = inotify_add_watch(in, dir, IN_ISDIR);
	check("watches/flag-only", a > 0 && inotify_rm_watch(in, a) == 0,
	      "a mask of IN_ISDIR alone was refused");
	events(in, got, sizeof(got), NULL);
}

static void links(int in)
{
	char got[2048];
	DIR *d;
	int wd;

	write_file(path, "x");
	wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
	link(path, path2);
	events(in, got, sizeof(got), NULL);
	check("links/create-only", !strcmp(got, "100:b"), got);
	rename(path, path2);
	check("links/rename-same-file", events(in, got, sizeof(got), NULL) == 0, got);
	if ((d = opendir(dir))) {
		while (readdir(d))
			;
		closedir(d);
	}
	events(in, got, sizeof(got), NULL);
	check("links/dir-read",
	      has(got, IN_OPEN | IN_ISDIR, "") && has(got, IN_ACCESS | IN_ISDIR, "") &&
	          has(got, IN_CLOSE_NOWRITE | IN_ISDIR, ""),
	      got);
	inotify_rm_watch(in, wd);
	unlink(path);
	unlink(path2);
	events(in, got, sizeof(got), NULL);
}

static void unmounted(int in)
{
	char got[2048];
	int wd[2] = { -1, -1 };

	if (mkdir(sub, 0755) || mount("none", sub, "tmpfs", 0, NULL)) {
		check("unmount/mount", 0, "mkdir or mount of a tmpfs failed");
		return;
	}
	snprintf(path, sizeof(path), "%s/f", sub);
	write_file(path, "x");
	wd[0] = inotify_add_watch(in, sub, IN_MODIFY);
	wd[1] = inotify_add_watch(in, path, IN_MODIFY);
	check("unmount/umount", umount(sub) == 0, "umount failed");
	check("unmount/events",
	      events(in, got, sizeof(got), NULL) == 4 && has(got, IN_UNMOUNT | IN_ISDIR, "") &&
	          has(got, IN_UNMOUNT, "") && has(got, IN_IGNORED, ""),
	      got);
	errno = 0;
	check("unmount/watch-gone", inotify_rm_watch(in, wd[0]) == -1 && errno == EINVAL,
	      "an unmounted directory's watch is still there");
	rmdir(sub);
}

static long limit_of(const char *name)
{
	char p[96], buf[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "/proc/sys/fs/inotify/%s", name);
	if (!(f = fopen(p, "r")))
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atol(buf) : -1;
}

/* The limits /proc/sys/fs/inotify/ shows, and max_user_instances kept:
 * the user's instances (this one's and other processes') stop there with
 * EMFILE. */
static void limits(void)
{
	long max = limit_of("max_user_instances");
	int fds[4096], n = 0, err = 0;

	check("limits/shown",
	      max > 0 && limit_of("max_user_watches") >= 8192 &&
	          limit_of("max_queued_events") >= 16384,
	      "max_user_instances, max_user_watches or max_queued_events missing or small");
	while (max > 0 && n < (int)(sizeof(fds) / sizeof(fds[0])) && n <= max) {
		if ((fds[n] = inotify_init1(IN_CLOEXEC)) < 0) {
			err = errno;
			break;
		}
		n++;
	}
	check("limits/instances", max > 0 && err == EMFILE && n <= max,
	      "instances past max_user_instances were not refused with EMFILE");
	while (n > 0)
		close(fds[--n]);
	check("limits/instances-freed", (n = inotify_init1(IN_CLOEXEC)) >= 0,
	      "closing the instances did not free them");
	close(n);
}

int main(int argc, char **argv)
{
	char got[64];
	int in;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "%s/uk-inotify-%d", argc > 1 ? argv[1] : "/tmp", (int)getpid());
	snprintf(path, sizeof(path), "%s/a", dir);
	snprintf(path2, sizeof(path2), "%s/b", dir);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	check("init", in >= 0 && mkdir(dir, 0755) == 0, "inotify_init1 or mkdir failed");
	if (in < 0)
		return check_done();
	errno = 0;
	check("init/nonblock-empty", read(in, got, sizeof(got)) == -1 && errno == EAGAIN,
	      "a read of no events did not fail with EAGAIN");
	dir_events(in);
	file_events(in);
	merge(in);
	watches(in);
	links(in);
	unmounted(in);
	rmdir(dir);
	close(in);
	limits();
	return check_done();
}
