/*
 * The image's root filesystem: the cpio archive ukbuild put in section
 * .uk_rootfs, unpacked at boot into the RAM filesystem at /. File data is
 * not copied: ramfs files point into the archive until first written.
 *
 * Entries are applied in order, a later one replacing an earlier one of
 * the same name (ukbuild's --add comes after --rootfs); missing parent
 * directories are made (0755). A damaged entry is reported and skipped;
 * a corrupt archive stops the unpacking where it is corrupt.
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"
#include "cpio.h"

extern const char __uk_rootfs_start[], __uk_rootfs_end[];

/* Files with several names: newc stores the data with the last one. */
struct hardlink {
	uint32_t ino;
	struct uk_vnode *vn;
};

struct unpack {
	struct hardlink *links;
	int nlinks, cap;
	char path[UK_PATH_MAX];
	char leaf[UK_NAME_MAX + 1];
};

static int mkdir_p(char *path)
{
	struct uk_vnode *dir, *vn;
	int r;

	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn);
		if (r == -ENOENT &&
		    (r = uk_path_parent(AT_FDCWD, path, &dir, (char[UK_NAME_MAX + 1]){ 0 })) == 0) {
			const char *name = path + uk_strlen(path);
			while (name > path && name[-1] != '/')
				name--;
			r = dir->ops->mkdir ? dir->ops->mkdir(dir, name, 0755) : -EPERM;
			uk_vnode_put(dir);
		} else if (r == 0) {
			r = uk_vfs_is_dir(vn) ? 0 : -ENOTDIR;
			uk_vnode_put(vn);
		}
		*p = c;
		if (r || !c)
			return r;
	}
}

/* Remove whatever is called leaf in dir, unless it is a directory and
 * the new entry is one too (then it is kept, with its contents). */
static int clear_name(struct uk_vnode *dir, const char *leaf, uint32_t type, struct uk_vnode **keep)
{
	struct uk_vnode *old;

	*keep = NULL;
	if (dir->ops->lookup(dir, leaf, &old))
		return 0;
	if (uk_vfs_is_dir(old) && type == S_IFDIR) {
		*keep = old;
		return 0;
	}
	int isdir = uk_vfs_is_dir(old);
	uk_vnode_put(old);
	return isdir ? dir->ops->rmdir(dir, leaf) : dir->ops->unlink(dir, leaf);
}

static struct hardlink *link_find(struct unpack *u, uint32_t ino)
{
	for (int i = 0; i < u->nlinks; i++)
		if (u->links[i].ino == ino)
			return &u->links[i];
	return NULL;
}

static void link_remember(struct unpack *u, uint32_t ino, struct uk_vnode *vn)
{
	if (u->nlinks == u->cap) {
		int cap = u->cap ? u->cap * 2 : 16;
		struct hardlink *n = uk_kmalloc(cap * sizeof(*n));
		if (!n)
			return; /* the names then become separate files */
		if (u->links)
			uk_memcpy(n, u->links, u->nlinks * sizeof(*n));
		uk_kfree(u->links);
		u->links = n;
		u->cap = cap;
	}
	u->links[u->nlinks++] = (struct hardlink){ ino, uk_vnode_get(vn) };
}

static int make_file(struct unpack *u, struct uk_vnode *dir, const struct uk_cpio_entry *e,
                     struct uk_vnode **out)
{
	struct hardlink *hl = e->nlink > 1 ? link_find(u, e->ino) : NULL;
	int r;

	if (hl) {
		if ((r = dir->ops->link(hl->vn, dir, u->leaf)))
			return r;
		*out = uk_vnode_get(hl->vn);
	} else {
		if ((r = dir->ops->create(dir, u->leaf, e->mode & (S_IFMT | 07777), out)))
			return r;
		if (e->nlink > 1)
			link_remember(u, e->ino, *out);
	}
	if ((e->mode & S_IFMT) == S_IFREG && (e->size || !hl))
		r = uk_ramfs_set_extern(*out, e->data, e->size);
	return r;
}

static int make_symlink(struct unpack *u, struct uk_vnode *dir, const struct uk_cpio_entry *e,
                        struct uk_vnode **out)
{
	char *t;
	int r;

	if (!e->size || e->size >= UK_PATH_MAX)
		return -ENAMETOOLONG;
	if (!(t = uk_kmalloc(e->size + 1)))
		return -ENOMEM;
	uk_memcpy(t, e->data, e->size);
	t[e->size] = 0;
	r = dir->ops->symlink(dir, u->leaf, t);
	uk_kfree(t);
	return r ? r : dir->ops->lookup(dir, u->leaf, out);
}

static int make_entry(struct unpack *u, struct uk_vnode *dir, const struct uk_cpio_entry *e)
{
	uint32_t type = e->mode & S_IFMT;
	struct uk_vnode *vn = NULL;
	int r;

	if ((r = clear_name(dir, u->leaf, type, &vn)))
		return r;
	if (vn) /* an existing directory: takes the new mode */
		vn->mode = S_IFDIR | (e->mode & 07777);
	else if (type == S_IFDIR)
		r = dir->ops->mkdir(dir, u->leaf, e->mode & 07777)
		        ?: dir->ops->lookup(dir, u->leaf, &vn);
	else if (type == S_IFLNK)
		r = make_symlink(u, dir, e, &vn);
	else
		r = make_file(u, dir, e, &vn);
	if (r == 0)
		uk_ramfs_set_meta(vn, e->mtime, e->uid, e->gid);
	if (r == 0 && type != S_IFLNK) /* (as archived: no setgid directory's) */
		vn->mode = type | (e->mode & 07777);
	uk_vnode_put(vn);
	return r;
}

/* "./a/b/", "a/b" and "/a/b" all name /a/b; "" and "." name /. */
static int entry_path(struct unpack *u, const struct uk_cpio_entry *e)
{
	const char *n = e->name;
	size_t len = e->name_len;

	while (len && (n[0] == '/' || (n[0] == '.' && (len == 1 || n[1] == '/'))))
		n++, len--;
	while (len && n[len - 1] == '/')
		len--;
	if (len + 2 > sizeof(u->path))
		return -ENAMETOOLONG;
	u->path[0] = '/';
	uk_memcpy(u->path + 1, n, len);
	u->path[len + 1] = 0;
	return 0;
}

static int unpack_one(struct unpack *u, const struct uk_cpio_entry *e)
{
	struct uk_vnode *dir;
	int r;

	if ((r = entry_path(u, e)))
		return r;
	if (!u->path[1]) { /* the root itself: its mode and owner */
		uk_vfs_root->mode = S_IFDIR | (e->mode & 07777);
		uk_ramfs_set_meta(uk_vfs_root, e->mtime, e->uid, e->gid);
		return 0;
	}
	r = uk_path_parent(AT_FDCWD, u->path, &dir, u->leaf);
	if (r == -ENOENT) {
		char *slash = u->path + uk_strlen(u->path);
		while (*slash != '/')
			slash--;
		*slash = 0;
		r = mkdir_p(u->path);
		*slash = '/';
		if (r == 0)
			r = uk_path_parent(AT_FDCWD, u->path, &dir, u->leaf);
	}
	if (r)
		return r;
	r = make_entry(u, dir, e);
	uk_vnode_put(dir);
	return r;
}

int uk_rootfs_unpack(void)
{
	size_t size = (size_t)(__uk_rootfs_end - __uk_rootfs_start), off = 0, at;
	struct uk_cpio_entry e;
	struct unpack *u;
	int r, n = 0;

	if (!size)
		return 0;
	if (!(u = uk_kzalloc(sizeof(*u))))
		return -ENOMEM;
	for (at = off; (r = uk_cpio_next(__uk_rootfs_start, size, &off, &e)) == 1; at = off) {
		int err = unpack_one(u, &e);
		if (err)
			uk_pr("rootfs: %s: cannot unpack (error %d), skipped", e.name, -err);
		n++;
	}
	if (r < 0)
		uk_pr("rootfs: the archive is corrupt at byte %zu; unpacked %d entries before it",
		      at, n);
	for (int i = 0; i < u->nlinks; i++)
		uk_vnode_put(u->links[i].vn);
	uk_kfree(u->links);
	uk_kfree(u);
	return r < 0 ? r : n;
}
