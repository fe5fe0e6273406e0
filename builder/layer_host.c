/*
 * Host files into the tree: the dir:PATH source and --add HOST:GUEST.
 * The named path itself may be a symlink (the user meant what it points
 * to); beneath it, symlinks are copied as links and never followed, so a
 * link inside a directory tree cannot pull in the rest of the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"

static ssize_t fd_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	ssize_t n = read(*(int *)ctx, buf, len);

	if (n < 0)
		snprintf(err, errlen, "%s", strerror(errno));
	return n;
}

static int add_one(struct ukb_tree *t, const char *host, const char *guest, const struct stat *st);

static int add_dir(struct ukb_tree *t, const char *host, const char *guest)
{
	DIR *d = opendir(host);
	struct dirent *de;
	int r = 0;

	if (!d) {
		snprintf(t->err, sizeof(t->err), "%s: %s", host, strerror(errno));
		return -1;
	}
	while (!r && (de = readdir(d))) {
		char *h, *g;
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&h, "%s/%s", host, de->d_name) < 0)
			h = NULL;
		if (asprintf(&g, "%s/%s", guest, de->d_name) < 0)
			g = NULL;
		if (!h || !g) {
			snprintf(t->err, sizeof(t->err), "out of memory");
			r = -1;
		} else if (lstat(h, &st)) {
			snprintf(t->err, sizeof(t->err), "%s: %s", h, strerror(errno));
			r = -1;
		} else {
			r = add_one(t, h, g, &st);
		}
		free(h);
		free(g);
	}
	closedir(d);
	return r;
}

static int add_one(struct ukb_tree *t, const char *host, const char *guest, const struct stat *st)
{
	struct ukb_entry e = {
		.path = guest,
		.perm = st->st_mode & 07777,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.mtime = st->st_mtime,
	};
	char target[4097];
	ssize_t n;
	int fd, r;

	if (S_ISDIR(st->st_mode)) {
		e.type = UKB_E_DIR;
		return ukb_tree_put(t, &e) ? -1 : add_dir(t, host, guest);
	}
	if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(host, target, sizeof(target) - 1)) < 0) {
			snprintf(t->err, sizeof(t->err), "%s: %s", host, strerror(errno));
			return -1;
		}
		target[n] = 0;
		e.type = UKB_E_SYMLINK;
		e.link = target;
		return ukb_tree_put(t, &e);
	}
	if (!S_ISREG(st->st_mode)) {
		e.type = UKB_E_OTHER;
		return ukb_tree_put(t, &e);
	}
	/* The file opened must be the one looked at (not swapped for a
	 * symlink meanwhile); the top-level path was stat()ed through. Never
	 * blocking: a FIFO swapped in opens at once and fails the check. */
	struct stat now;
	if ((fd = open(host, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(fd, &now) ||
	    now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		snprintf(t->err, sizeof(t->err), "%s: %s", host,
		         fd < 0 ? strerror(errno) : "changed while being read");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	e.type = UKB_E_FILE;
	e.read = fd_read;
	e.ctx = &fd;
	r = ukb_tree_put(t, &e);
	close(fd);
	return r;
}

int ukb_tree_add_host(struct ukb_tree *t, const char *host, const char *guest)
{
	struct stat st;

	t->whiteouts = 0; /* a host file named .wh.x is just a file */
	t->layer++;
	if (stat(host, &st)) {
		snprintf(t->err, sizeof(t->err), "%s: %s", host, strerror(errno));
		return -1;
	}
	return add_one(t, host, guest, &st);
}
