/*
 * The gofer's only way to the host tree: every path is resolved from the
 * share's root descriptor, never following a symlink, never leaving the
 * root. With openat2 the kernel enforces it (RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS); without it, a walk opens
 * one component at a time with O_NOFOLLOW, so a directory swapped for a
 * symlink between two requests is refused either way, not followed.
 *
 * Symlinks inside the share are the client's business: 9P walks do not
 * follow them, the client reads them and walks the target itself, which
 * is again confined.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p9_int.h"

static int open_beneath(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* Copies the next component of *p into comp and advances *p past it and
 * its slash. Refuses what a fid path never holds ("", ".", "..", long). */
static int next_component(const char **p, char comp[P9S_NAME_MAX + 1])
{
	const char *slash = strchr(*p, '/');
	size_t n = slash ? (size_t)(slash - *p) : strlen(*p);

	if (n == 0 || n > P9S_NAME_MAX)
		return -EINVAL;
	memcpy(comp, *p, n);
	comp[n] = 0;
	if (!strcmp(comp, ".") || !strcmp(comp, ".."))
		return -EINVAL;
	*p += n + (slash ? 1 : 0);
	return slash ? 1 : 0;
}

static int open_walk(int root, const char *path, int flags, mode_t mode)
{
	char comp[P9S_NAME_MAX + 1];
	int dir, next, more = 1, fd;

	dir = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	if (!*path) {
		fd = openat(dir, ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
		goto out;
	}
	while (more) {
		more = next_component(&path, comp);
		if (more < 0) {
			close(dir);
			return more;
		}
		if (!more)
			break;
		next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			fd = -1;
			goto out;
		}
		close(dir);
		dir = next;
	}
	fd = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
out:
	if (fd < 0)
		fd = -errno;
	close(dir);
	return fd;
}

int p9s_host_open(struct p9s *s, const char *path, int flags, mode_t mode)
{
	if (s->openat2)
		return open_beneath(s->root, path, flags, mode);
	return open_walk(s->root, path, flags, mode);
}

int p9s_host_parent(struct p9s *s, const char *path, char name[P9S_NAME_MAX + 1])
{
	char dir[P9S_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!*path) {
		strcpy(name, ".");
		return p9s_host_open(s, "", O_PATH | O_DIRECTORY, 0);
	}
	n = slash ? (size_t)(slash - path) : 0;
	if (strlen(slash ? slash + 1 : path) > P9S_NAME_MAX)
		return -ENAMETOOLONG;
	strcpy(name, slash ? slash + 1 : path);
	memcpy(dir, path, n);
	dir[n] = 0;
	return p9s_host_open(s, dir, O_PATH | O_DIRECTORY, 0);
}

int p9s_host_stat(struct p9s *s, const char *path, struct stat *st)
{
	int fd = p9s_host_open(s, path, O_PATH, 0), r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, st))
		r = -errno;
	close(fd);
	return r;
}

int p9s_name(struct p9_str n, char out[P9S_NAME_MAX + 1])
{
	if (n.len == 0 || n.len > P9S_NAME_MAX)
		return n.len ? -ENAMETOOLONG : -EINVAL;
	if (memchr(n.s, '/', n.len))
		return -EINVAL;
	memcpy(out, n.s, n.len);
	out[n.len] = 0;
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		return -EINVAL;
	return 0;
}

int p9s_join(char out[P9S_PATH_MAX], const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + 1 + b + 1 > P9S_PATH_MAX)
		return -ENAMETOOLONG;
	if (a) {
		memmove(out, dir, a);
		out[a++] = '/';
	}
	memcpy(out + a, name, b + 1);
	return 0;
}

void p9s_qid(const struct p9s *s, const struct stat *st, struct p9_qid *q)
{
	q->type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : P9_QTFILE;
	/* Inode numbers repeat across file systems mounted inside the share:
	 * fold the device into the top bits so qids stay distinct. */
	q->path = (uint64_t)st->st_ino;
	if (st->st_dev != s->root_dev)
		q->path ^= (uint64_t)st->st_dev << 48;
	/* Changes when the file does, so a caching client notices. */
	q->version = (uint32_t)(st->st_mtim.tv_sec ^ st->st_mtim.tv_nsec ^ st->st_size);
	if (S_ISDIR(st->st_mode))
		q->version = 0;
}

int p9s_has_openat2(int dirfd)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, dirfd, ".", &how, sizeof(how));

	/* ENOSYS on old kernels; EPERM under some container filters. */
	if (fd < 0)
		return 0;
	close((int)fd);
	return 1;
}
