/*
 * ramfs's files without a name, and seals.
 *
 * MAP_SHARED|MAP_ANONYMOUS memory and memfd_create's files live on a
 * mount of their own that no path reaches, as Linux's shmem files do:
 * a memfd cannot be linked into the tree (EXDEV), and copy_file_range
 * copies between two memfds but not from one to /tmp (EXDEV), as there.
 * O_TMPFILE's files belong to their directory's mount, with no link
 * until linkat gives them one.
 *
 * Seals (fcntl's F_ADD_SEALS) are Linux's tmpfs rules: a file made
 * without MFD_ALLOW_SEALING carries F_SEAL_SEAL and so can never be
 * sealed; the others refuse writes (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE),
 * a smaller or larger size (F_SEAL_SHRINK, F_SEAL_GROW), a change of the
 * exec bits (F_SEAL_EXEC). Mappings are the memory room's: mmap refuses a
 * writable shared mapping of a write-sealed file, and F_ADD_SEALS refuses
 * F_SEAL_WRITE while one may write (sys/sys_memfd.c).
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"
#include "ramfs_impl.h"

#define WRITE_SEALS (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

static struct uk_mount anon_mnt = { .type = &uk_ramfs_type, .source = "shmem" };

/* A new unnamed regular file on the hidden mount, opened read-write. */
static int anon_open(uint32_t mode, struct uk_vnode **vn, struct uk_file **out)
{
	struct uk_vnode *root;
	int r;

	if (!anon_mnt.priv) {
		if ((r = uk_ramfs_mount(&anon_mnt, "shmem", NULL, &root)))
			return r;
		anon_mnt.root = root;
	}
	if (!(*vn = uk_ramfs_node_new(&anon_mnt, S_IFREG | mode)))
		return -ENOMEM;
	if ((r = uk_vfs_open_vnode(*vn, O_RDWR, out)))
		uk_vnode_put(*vn);
	return r;
}

int uk_ramfs_anon_file(uint64_t size, struct uk_file **out)
{
	struct uk_vnode *vn;
	int r;

	if (size > MAX_FILE)
		return -ENOMEM;
	if ((r = anon_open(0600, &vn, out)))
		return r;
	node(vn)->size = size;
	uk_vnode_put(vn);
	return 0;
}

int uk_ramfs_memfd(const char *name, uint32_t mode, unsigned seals, struct uk_file **out)
{
	size_t len = uk_strlen(name);
	char *full = uk_kmalloc(len + sizeof("memfd:"));
	struct uk_vnode *vn;
	int r;

	if (!full)
		return -ENOMEM;
	uk_memcpy(full, "memfd:", 6);
	uk_memcpy(full + 6, name, len + 1);
	if ((r = anon_open(mode & 07777, &vn, out))) {
		uk_kfree(full);
		return r;
	}
	node(vn)->memfd = full;
	node(vn)->seals = seals;
	uk_vnode_put(vn);
	return 0;
}

int uk_ramfs_tmpfile(struct uk_vnode *dir, uint32_t mode, int excl, struct uk_vnode **out)
{
	uint32_t m = S_IFREG | (mode & 07777), uid, gid;
	struct uk_vnode *vn;

	uk_vfs_new_owner(dir, &m, &uid, &gid);
	if (!(vn = uk_ramfs_node_new(dir->mnt, m)))
		return -ENOSPC;
	vn->uid = uid, vn->gid = gid;
	node(vn)->tmp = excl ? RAMFS_TMP_EXCL : RAMFS_TMP_LINKABLE;
	uk_vfs_set_parent(vn, dir);
	*out = vn;
	return 0;
}

/* Linux's names for these files' dentries, which have no path. */
long uk_ramfs_dname(struct uk_vnode *vn, char *buf, size_t size)
{
	struct ramfs_node *n = node(vn);

	if (n->memfd)
		return uk_snprintf(buf, size, "%s", n->memfd);
	if (n->tmp && !n->nlink)
		return uk_snprintf(buf, size, "#%lu", (unsigned long)vn->ino);
	return -ENOENT;
}

int uk_ramfs_seals(struct uk_vnode *vn, unsigned add)
{
	struct ramfs_node *n = node(vn);

	if (add && (n->seals & F_SEAL_SEAL))
		return -EPERM;
	n->seals |= add; /* (F_SEAL_EXEC's implied seals: sys_memfd.c) */
	return (int)n->seals;
}

int uk_ramfs_seal_write(const struct ramfs_node *n, uint64_t off, size_t *len)
{
	uint64_t inside = n->size & ~(PAGE - 1);

	if (n->seals & WRITE_SEALS)
		return -EPERM;
	if (!(n->seals & F_SEAL_GROW) || off + *len <= n->size)
		return 0;
	if (inside <= off)
		return -EPERM;
	*len = inside - off;
	return 0;
}

int uk_ramfs_seal_resize(const struct ramfs_node *n, uint64_t size)
{
	if (size < n->size && (n->seals & F_SEAL_SHRINK))
		return -EPERM;
	if (size > n->size && (n->seals & F_SEAL_GROW))
		return -EPERM;
	return 0;
}

int uk_ramfs_seal_punch(const struct ramfs_node *n) { return n->seals & WRITE_SEALS ? -EPERM : 0; }

int uk_ramfs_seal_mode(const struct uk_vnode *vn, uint32_t mode)
{
	const struct ramfs_node *n = vn->priv;

	return (n->seals & F_SEAL_EXEC) && ((vn->mode ^ mode) & 0111) ? -EPERM : 0;
}
