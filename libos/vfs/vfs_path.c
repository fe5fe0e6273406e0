/*
 * Path lookup: component by component from / or a directory, crossing
 * mounts downwards at covered directories and upwards at ".." on a mount's
 * root, following symlinks (at most UK_SYMLOOP_MAX per lookup, then
 * -ELOOP). "/" is the process's root (chroot's directory, else the
 * tree's), and ".." there stays there, as on Linux.
 *
 * Each directory walked through needs search permission (EACCES), a
 * compare of its mode where every class may search.
 *
 * The path is read in place; only a symlink makes a copy (the link's text
 * followed by what was left of the path), so the common lookup allocates
 * nothing and uses little stack: lookups run on the application's threads'
 * stacks.
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

struct walk {
	struct uk_vnode *cur; /* referenced */
	const char *p;        /* what is left of the path */
	char *buf;            /* the copy p points into after a symlink */
	int links;
};

static int same(const struct uk_vnode *a, const struct uk_vnode *b)
{
	return a == b || (a->mnt == b->mnt && a->ino == b->ino);
}

static int is_mount_root(const struct uk_vnode *vn)
{
	return vn->mnt && vn->mnt->root && same(vn, vn->mnt->root);
}

static void walk_set(struct walk *w, struct uk_vnode *vn)
{
	struct uk_vnode *old = w->cur;
	w->cur = vn;
	uk_vnode_put(old);
}

static int walk_start(struct walk *w, int dirfd, const char *path)
{
	struct uk_file *f;

	w->p = path;
	if (path[0] == '/') {
		w->cur = uk_vnode_get(uk_vfs_proot);
	} else if (dirfd == AT_FDCWD) {
		w->cur = uk_vnode_get(uk_vfs_cwd);
	} else {
		if (!(f = uk_fd_get(dirfd)))
			return -EBADF;
		w->cur = f->vn ? uk_vnode_get(f->vn) : NULL;
		uk_file_put(f);
		if (!w->cur)
			return -ENOTDIR;
	}
	return 0;
}

static void step_up(struct walk *w)
{
	struct uk_vnode *cur = w->cur;

	if (same(cur, uk_vfs_proot))
		return;
	while (is_mount_root(cur)) {
		struct uk_vnode *cov = uk_vfs_covered(cur->mnt);
		if (!cov)
			return; /* the root of everything */
		cur = cov;
	}
	if (cur->parent)
		walk_set(w, uk_vnode_get(cur->parent));
	else if (cur != w->cur)
		walk_set(w, uk_vnode_get(cur));
}

/* The vnode called name in dir, across any mount on it. */
static int step_down(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct uk_vnode *child;
	struct uk_mount *m;
	int r;

	if (!uk_vfs_is_dir(dir) || !dir->ops->lookup)
		return -ENOTDIR;
	if ((r = dir->ops->lookup(dir, name, &child)))
		return r;
	if (!is_mount_root(child))
		uk_vfs_set_parent(child, dir);
	while (uk_vfs_is_dir(child) && (m = uk_vfs_covering(child))) {
		struct uk_vnode *root = uk_vnode_get(m->root);
		uk_vnode_put(child);
		child = root;
	}
	*out = child;
	return 0;
}

/* Continue the walk through symlink ln; rest is what followed it. */
static int follow(struct walk *w, struct uk_vnode *ln, const char *rest)
{
	struct uk_vnode *target;
	size_t rlen;
	long n;
	char *buf;
	int r;

	if (++w->links > UK_SYMLOOP_MAX)
		return -ELOOP;
	if ((r = uk_procfs_magic(ln, &target)) != 0) {
		if (r > 0)
			walk_set(w, target);
		return r < 0 ? r : 0;
	}
	if (!ln->ops->readlink)
		return -EINVAL;
	if (!(buf = uk_kmalloc(UK_PATH_MAX + 1)))
		return -ENOMEM;
	n = ln->ops->readlink(ln, buf, UK_PATH_MAX);
	rlen = uk_strlen(rest);
	if (n <= 0 || n + rlen > UK_PATH_MAX) {
		uk_kfree(buf);
		return n < 0 ? (int)n : n == 0 ? -ENOENT : -ENAMETOOLONG;
	}
	uk_memcpy(buf + n, rest, rlen + 1);
	uk_kfree(w->buf);
	w->buf = buf;
	w->p = buf;
	if (buf[0] == '/')
		walk_set(w, uk_vnode_get(uk_vfs_proot));
	return 0;
}

/* Walk w->p. With last_name, stop before the last component and store it
 * there (-EINVAL when it is "." or "..", or there is none). */
static int walk(struct walk *w, unsigned flags, char *last_name, int *slash_out)
{
	char name[UK_NAME_MAX + 1];
	int r;

	for (;;) {
		const char *p = w->p, *q, *rest;
		struct uk_vnode *child;
		size_t len;
		int last, slash;

		while (*p == '/')
			p++;
		if (!*p)
			return last_name ? -EINVAL : 0;
		for (q = p; *q && *q != '/'; q++)
			;
		if ((len = q - p) > UK_NAME_MAX)
			return -ENAMETOOLONG;
		for (rest = q; *rest == '/'; rest++)
			;
		last = !*rest;
		slash = last && *q == '/';
		uk_memcpy(name, p, len);
		name[len] = 0;
		w->p = q;
		if (slash_out)
			*slash_out = slash;
		if (last && last_name) {
			if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
				return -EINVAL;
			uk_memcpy(last_name, name, len + 1);
			/* (not a directory: walk_path says ENOTDIR) */
			return uk_vfs_is_dir(w->cur) ? uk_vfs_may_search(w->cur) : 0;
		}
		if (!uk_vfs_is_dir(w->cur))
			return -ENOTDIR;
		/* search permission on each directory walked through, as
		 * Linux's may_lookup: "." and ".." included */
		if ((r = uk_vfs_may_search(w->cur)))
			return r;
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			step_up(w);
			continue;
		}
		if ((r = step_down(w->cur, name, &child)))
			return r;
		if ((child->mode & S_IFMT) == S_IFLNK &&
		    (!last || slash || (flags & UK_AT_FOLLOW))) {
			r = follow(w, child, q);
			uk_vnode_put(child);
			if (r)
				return r;
			continue;
		}
		walk_set(w, child);
	}
}

static int check_path(const char *path)
{
	if (!path)
		return -EFAULT;
	if (uk_strnlen(path, UK_PATH_MAX) >= UK_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Walk path to its vnode, or with last_name to its parent directory (the
 * last name stored there). A vnode that must be a directory is one with
 * UK_AT_DIR, one named with a trailing slash, and a parent. */
static int walk_path(int dirfd, const char *path, unsigned flags, char *last_name,
                     struct uk_vnode **out)
{
	struct walk w = { 0 };
	int r, slash = 0;

	if ((r = check_path(path)))
		return r;
	if (!path[0] && !(flags & UK_AT_EMPTY))
		return -ENOENT;
	if ((r = walk_start(&w, dirfd, path)))
		goto out;
	r = walk(&w, flags, last_name, &slash);
	if (r == 0 && (slash || last_name || (flags & UK_AT_DIR)) && !uk_vfs_is_dir(w.cur))
		r = -ENOTDIR;
out:
	uk_kfree(w.buf);
	if (r == 0)
		*out = w.cur;
	else
		uk_vnode_put(w.cur);
	return r;
}

int uk_path_lookup(int dirfd, const char *path, unsigned flags, struct uk_vnode **out)
{
	return walk_path(dirfd, path, flags, NULL, out);
}

int uk_path_parent(int dirfd, const char *path, struct uk_vnode **dir, char *name)
{
	return walk_path(dirfd, path, 0, name, dir);
}

/* ---- the way back: a vnode's absolute path ---- */

struct find_name {
	uint64_t ino;
	char *name;
	int found;
};

static int match_ino(void *ctx, const char *name, uint64_t ino, unsigned dtype)
{
	struct find_name *fn = ctx;
	size_t len = uk_strlen(name);

	if (ino != fn->ino || (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))))
		return 0;
	uk_memcpy(fn->name, name, len + 1);
	fn->found = 1;
	return 1;
}

int uk_vfs_name_in(struct uk_vnode *dir, uint64_t ino, char *name)
{
	struct find_name fn = { ino, name, 0 };
	uint64_t cookie = 0;
	int r;

	if (!dir->ops->readdir)
		return -ENOENT;
	r = dir->ops->readdir(dir, &cookie, match_ino, &fn);
	return r < 0 ? r : fn.found ? 0 : -ENOENT;
}

int uk_vfs_path_of(struct uk_vnode *vn, char *buf, size_t size)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *cur = uk_vnode_get(vn), *next;
	size_t pos = size - 1, len;
	int r = 0;

	if (size < 2)
		return -ERANGE;
	buf[pos] = 0;
	/* (from the process's root, as Linux's d_path; a vnode outside it
	 * gets its path from the tree's root) */
	while (!same(cur, uk_vfs_root) && !same(cur, uk_vfs_proot)) {
		if (is_mount_root(cur)) {
			next = uk_vfs_covered(cur->mnt);
			if (!next)
				break;
		} else {
			if (!(next = cur->parent)) {
				r = -ENOENT;
				break;
			}
			if ((r = uk_vfs_name_in(next, cur->ino, name)))
				break;
			len = uk_strlen(name);
			if (len + 1 > pos) {
				r = -ERANGE;
				break;
			}
			pos -= len;
			uk_memcpy(buf + pos, name, len);
			buf[--pos] = '/';
		}
		uk_vnode_get(next);
		uk_vnode_put(cur);
		cur = next;
	}
	uk_vnode_put(cur);
	if (r)
		return r;
	if (pos == size - 1)
		buf[--pos] = '/';
	len = size - pos;
	for (size_t i = 0; i < len; i++)
		buf[i] = buf[pos + i];
	return 0;
}

int uk_path_real(const char *path, char *buf, size_t size)
{
	struct uk_vnode *vn;
	int r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn);

	if (r)
		return r;
	r = uk_vfs_path_of(vn, buf, size);
	uk_vnode_put(vn);
	return r;
}
