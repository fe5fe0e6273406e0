/*
 * Vnodes and mounts. A mount covers a directory vnode of another mount;
 * path lookup (path.c) steps from the covered vnode to the mount's root
 * and back for "..". Mounts are matched by (mount, inode number), so a
 * filesystem may return a fresh vnode for every lookup (9P does).
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

struct vfs_mount {
	struct uk_mount m;        /* first: uk_mount pointers convert back */
	struct uk_vnode *covered; /* referenced; NULL for / */
	struct vfs_mount *next;   /* newest first */
};

static struct vfs_mount *mounts;

struct uk_vnode *uk_vfs_root;

struct uk_vnode *uk_vnode_new(struct uk_mount *mnt, const struct uk_vnode_ops *ops, uint64_t ino,
                              uint32_t mode, void *priv)
{
	struct uk_vnode *vn = uk_kzalloc(sizeof(*vn));

	if (!vn)
		return NULL;
	vn->ops = ops;
	vn->mnt = mnt;
	vn->ino = ino;
	vn->mode = mode;
	vn->refs = 1;
	vn->priv = priv;
	return vn;
}

struct uk_vnode *uk_vnode_get(struct uk_vnode *vn)
{
	vn->refs++;
	return vn;
}

void uk_vnode_put(struct uk_vnode *vn)
{
	while (vn && --vn->refs == 0) {
		struct uk_vnode *parent = vn->parent;
		if (vn->ops && vn->ops->release)
			vn->ops->release(vn);
		uk_kfree(vn);
		vn = parent; /* iteratively: deep trees must not recurse */
	}
}

void uk_vfs_set_parent(struct uk_vnode *vn, struct uk_vnode *parent)
{
	if (vn == parent || vn->parent == parent)
		return;
	if (parent)
		uk_vnode_get(parent);
	uk_vnode_put(vn->parent);
	vn->parent = parent;
}

int uk_vfs_is_dir(const struct uk_vnode *vn) { return (vn->mode & S_IFMT) == S_IFDIR; }

struct __kernel_timespec uk_vfs_now(void)
{
	uint64_t ns = uk_realtime_ns();
	return (struct __kernel_timespec){ (long long)(ns / 1000000000),
		                           (long long)(ns % 1000000000) };
}

struct uk_mount *uk_vfs_covering(struct uk_vnode *vn)
{
	for (struct vfs_mount *m = mounts; m; m = m->next)
		if (m->covered && m->covered->mnt == vn->mnt && m->covered->ino == vn->ino)
			return &m->m;
	return NULL;
}

struct uk_vnode *uk_vfs_covered(struct uk_mount *mnt) { return ((struct vfs_mount *)mnt)->covered; }

static const struct uk_fs_type *fs_type(const char *name)
{
	for (int i = 0; uk_fs_types[i]; i++)
		if (!uk_strcmp(uk_fs_types[i]->name, name))
			return uk_fs_types[i];
	if (uk_ptys && !uk_strcmp(uk_ptys->fs->name, name))
		return uk_ptys->fs;
	/* Linux's name for a RAM filesystem. */
	if (!uk_strcmp(name, "tmpfs"))
		return &uk_ramfs_type;
	return NULL;
}

static void copy_str(char *dst, const char *src, size_t size)
{
	size_t n = src ? uk_strnlen(src, size - 1) : 0;
	uk_memcpy(dst, src, n);
	dst[n] = 0;
}

/* Where the new mount goes: the directory at target, or nothing for the
 * first mount at "/". */
static int mount_point(const char *target, struct uk_vnode **covered)
{
	int r;

	*covered = NULL;
	if (!uk_vfs_root)
		return target[0] == '/' && !target[1] ? 0 : -ENOENT;
	r = uk_path_lookup(AT_FDCWD, target, UK_AT_FOLLOW, covered);
	if (r == 0 && !uk_vfs_is_dir(*covered)) {
		uk_vnode_put(*covered);
		r = -ENOTDIR;
	}
	return r;
}

int uk_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
             const void *data)
{
	const struct uk_fs_type *type = fstype ? fs_type(fstype) : NULL;
	struct vfs_mount *m;
	struct uk_vnode *covered, *root;
	int r;

	if (!type)
		return -ENODEV;
	if ((r = mount_point(target, &covered)))
		return r;
	r = -ENOMEM;
	if (!(m = uk_kzalloc(sizeof(*m))))
		goto out;
	m->m.type = type;
	m->m.flags = flags;
	copy_str(m->m.source, source ? source : "none", sizeof(m->m.source));
	if (covered)
		r = uk_vfs_path_of(covered, m->m.path, sizeof(m->m.path));
	else
		copy_str(m->m.path, "/", sizeof(m->m.path)), r = 0;
	if (r == 0)
		r = type->mount(&m->m, source, data, &root);
	if (r)
		goto out;
	m->m.root = root;
	m->covered = covered;
	covered = NULL;
	m->next = mounts;
	mounts = m;
	if (!uk_vfs_root) {
		uk_vfs_root = root;
		uk_vfs_cwd = uk_vnode_get(root);
	}
	m = NULL;
out:
	uk_kfree(m);
	uk_vnode_put(covered);
	return r;
}

int uk_vfs_umount(const char *target, int flags)
{
	struct uk_vnode *vn;
	struct vfs_mount **pp, *m;
	int r = uk_path_lookup(AT_FDCWD, target, UK_AT_FOLLOW, &vn);

	if (r)
		return r;
	for (pp = &mounts; (m = *pp); pp = &m->next)
		if (m->m.root->mnt == vn->mnt && m->m.root->ino == vn->ino)
			break;
	uk_vnode_put(vn);
	if (!m)
		return -EINVAL; /* not a mount point */
	if (!m->covered || uk_vfs_mount_busy(&m->m) || (m->m.type->busy && m->m.type->busy(&m->m)))
		return -EBUSY; /* / and anything still in use stay */
	*pp = m->next;
	if (uk_fsnotify)
		uk_fsnotify->unmount(&m->m);
	if (m->m.type->unmount)
		m->m.type->unmount(&m->m);
	uk_vnode_put(m->m.root);
	uk_vnode_put(m->covered);
	uk_kfree(m);
	return 0;
}

size_t uk_vfs_mounts_text(char *buf, size_t size)
{
	size_t n = 0;
	struct vfs_mount *order[64];
	int cnt = 0;

	/* Oldest first, as Linux lists them. */
	for (struct vfs_mount *m = mounts; m && cnt < 64; m = m->next)
		order[cnt++] = m;
	while (cnt-- > 0 && n < size) {
		struct uk_mount *m = &order[cnt]->m;
		n += uk_snprintf(buf + n, size - n, "%s %s %s %s 0 0\n", m->source, m->path,
		                 m->type->name, m->flags & MS_RDONLY ? "ro" : "rw");
	}
	return n < size ? n : size;
}

/* A mount's id: its place, oldest first, from Linux's usual first id. */
#define MOUNT_ID0 21

/* The id of the mount order[i] is on: the newest older one whose path
 * leads to its path; its own for the first (/). */
static int parent_id(struct vfs_mount *const *order, int cnt, int i)
{
	const char *path = order[i]->m.path;
	int best = i;
	size_t best_len = 0;

	for (int j = i + 1; j < cnt; j++) {
		const char *q = order[j]->m.path;
		size_t n = uk_strlen(q);
		int under = (n == 1 && q[0] == '/') ||
		            (!uk_strncmp(q, path, n) && (path[n] == '/' || !path[n]));
		if (under && (best == i || n > best_len)) {
			best = j;
			best_len = n;
		}
	}
	return MOUNT_ID0 + (cnt - 1 - best);
}

size_t uk_vfs_mountinfo_text(char *buf, size_t size)
{
	struct vfs_mount *order[64];
	int cnt = 0;
	size_t n = 0;

	for (struct vfs_mount *m = mounts; m && cnt < 64; m = m->next)
		order[cnt++] = m;
	for (int i = cnt - 1; i >= 0 && n < size; i--) {
		struct uk_mount *m = &order[i]->m;
		n += uk_snprintf(buf + n, size - n, "%d %d 0:%d / %s %s,relatime - %s %s %s\n",
		                 MOUNT_ID0 + (cnt - 1 - i), parent_id(order, cnt, i), cnt - i + 20,
		                 m->path, m->flags & MS_RDONLY ? "ro" : "rw", m->type->name,
		                 m->source, m->flags & MS_RDONLY ? "ro" : "rw");
	}
	return n < size ? n : size;
}

int uk_vfs_sync(struct uk_mount *only)
{
	int r = 0;

	for (struct vfs_mount *m = mounts; m; m = m->next) {
		struct uk_vnode *root = m->m.root;
		if ((only && &m->m != only) || !root->ops->fsync)
			continue;
		int e = root->ops->fsync(root, 0);
		if (e && !r)
			r = e;
	}
	return r;
}
