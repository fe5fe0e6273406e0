/*
 * What the VFS core, its filesystems (libos/fs/) and the file system calls
 * share beyond the public contract in uk/vfs.h. Private to those files.
 */
#ifndef UK_VFS_IMPL_H
#define UK_VFS_IMPL_H

#include <linux/eventpoll.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <uk/linux.h>
#include <uk/proc.h>
#include <uk/vfs.h>

#define UK_PATH_MAX 4096
#define UK_NAME_MAX 255
#define UK_SYMLOOP_MAX 40

/* getdents d_type values: the S_IFMT type shifted down, as on Linux. */
#define DT_DIR 4
#define DT_LNK 10
#define DT_REG 8
#define UK_DT(mode) (((mode)&S_IFMT) >> 12)

/* The root of the tree (not referenced: it lives as long as the VM). */
extern struct uk_vnode *uk_vfs_root;
/* The running process's working directory (referenced) and file mode
 * creation mask. */
#define uk_vfs_cwd (uk_proc_cur->cwd)
#define uk_vfs_umask (uk_proc_cur->umask)
/* Where the running process's absolute paths start: its chroot's
 * directory, else the root of the tree (not referenced). */
#define uk_vfs_proot (uk_proc_cur->root ? uk_proc_cur->root : uk_vfs_root)

/* The mount covering vn, or NULL (mount points are matched by mount and
 * inode number, so filesystems may hand out a fresh vnode per lookup). */
struct uk_mount *uk_vfs_covering(struct uk_vnode *vn);
/* The vnode a mount's root covers, or NULL for /. */
struct uk_vnode *uk_vfs_covered(struct uk_mount *mnt);
/* /proc/mounts text into buf; returns its length. */
size_t uk_vfs_mounts_text(char *buf, size_t size);
/* /proc/PID/mountinfo's: each mount with an id and its parent's. */
size_t uk_vfs_mountinfo_text(char *buf, size_t size);
int uk_vfs_umount(const char *target, int flags);
/* sync(2) (only NULL) or syncfs(2): each filesystem's root fsync, which
 * for a filesystem with one volume-wide cache (FAT) writes it all. */
int uk_vfs_sync(struct uk_mount *only);
/* Whether an open file or the working directory lies on mnt. */
int uk_vfs_mount_busy(struct uk_mount *mnt);

/* Path-level operations (vfs_at.c) the system calls share: look up name
 * in dir without following it; whether path ends in '/'; open or create
 * path as openat(2) does (O_TMPFILE aside) into *out; mkdirat(2); make
 * vn (referenced, given away) the working directory. */
int uk_vfs_child(struct uk_vnode *dir, const char *name, struct uk_vnode **out);
int uk_vfs_trailing_slash(const char *path);
int uk_vfs_open_at(int dirfd, const char *path, unsigned flags, unsigned mode,
                   struct uk_file **out);
int uk_vfs_mkdirat(int dirfd, const char *path, unsigned mode);
/* open(2) with O_TMPFILE: an unnamed file in the directory path names,
 * as Linux checks the flags (EINVAL without write access or with
 * O_CREAT); -EOPNOTSUPP where the file system cannot make one. */
int uk_vfs_tmpfile_at(int dirfd, const char *path, unsigned flags, unsigned mode,
                      struct uk_file **out);
int uk_vfs_set_cwd(struct uk_vnode *vn);

/* Set vn->parent, keeping the references right. */
void uk_vfs_set_parent(struct uk_vnode *vn, struct uk_vnode *parent);

/* Open vn as a file with Linux open flags: the common part of open(2),
 * devfs and /proc/self/fd. *out gets one reference. The file's
 * permissions are not asked (a file just made, a terminal's peer); an
 * open by name asks them with uk_vfs_open_named. */
int uk_vfs_open_vnode(struct uk_vnode *vn, unsigned flags, struct uk_file **out);
int uk_vfs_open_named(struct uk_vnode *vn, unsigned flags, struct uk_file **out);

/* The console as a file standing for the host's descriptor hostfd (0, 1
 * or 2): writes go to the host's stderr for 2, else its stdout; reads come
 * from its stdin; isatty follows the host's descriptor. */
extern const struct uk_file_ops uk_console_ops;
struct uk_file *uk_console_file(int hostfd);

/* Filesystem types (fstypes.c lists them). */
extern const struct uk_fs_type uk_ramfs_type, uk_devfs_type, uk_procfs_type;

/* Pseudo-terminals (fs/devpts.c), where the image has them: sets uk_ptys
 * (uk/tty.h). Boot calls it through a weak reference, so that an image
 * without them links it to nothing. */
void uk_devpts_init(void);

/* ramfs extras: a regular file whose bytes are len bytes at data, which
 * stays valid and unchanged for the VM's life (the boot archive); the file
 * copies them only when first written. */
int uk_ramfs_set_extern(struct uk_vnode *vn, const void *data, uint64_t len);
/* Set the modification time and owner as the archive records them. */
void uk_ramfs_set_meta(struct uk_vnode *vn, uint64_t mtime_s, uint32_t uid, uint32_t gid);

/* Unpack the image's .uk_rootfs archive into the tree at /. */
int uk_rootfs_unpack(void);

/* procfs: if vn is a /proc/self/fd/N link, its target: 1 and *target (a
 * referenced vnode), or -ENXIO when the file has no vnode (a pipe, a
 * socket); 0 when vn is an ordinary vnode. */
int uk_procfs_magic(struct uk_vnode *vn, struct uk_vnode **target);

/* Small helpers. */
static inline int uk_vfs_rofs(const struct uk_vnode *vn)
{
	return vn->mnt && (vn->mnt->flags & MS_RDONLY);
}

/* The vnode a *at() call names: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH ("" is
 * dirfd itself), extra UK_AT_* flags. */
static inline int uk_vfs_at_lookup(int dirfd, const char *path, int atflags, unsigned extra,
                                   struct uk_vnode **vn)
{
	unsigned lf = extra | (atflags & AT_SYMLINK_NOFOLLOW ? 0 : UK_AT_FOLLOW);

	if (atflags & AT_EMPTY_PATH)
		lf |= UK_AT_EMPTY;
	return uk_path_lookup(dirfd, path, lf, vn);
}

int uk_vfs_is_dir(const struct uk_vnode *vn);
struct __kernel_timespec uk_vfs_now(void);

/* A file's last reference went: its flock lock goes (vfs_flock.c). */
void uk_flock_release(struct uk_file *f);

#endif
