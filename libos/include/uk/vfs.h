/*
 * The virtual file system: open files, the descriptor table, vnodes,
 * filesystems and mounts, path lookup. Filesystems (ramfs, devfs, procfs,
 * the 9P client, FAT) implement struct uk_vnode_ops; things that are files
 * without a name (pipes, sockets, eventfd, epoll, timerfd) implement only
 * struct uk_file_ops.
 *
 * Conventions: every function returns 0 / a count, or -errno (Linux values,
 * uk/linux.h). Names passed to vnode ops are single components,
 * NUL-terminated, never "." or "..". The VFS checks read-only mounts
 * (-EROFS), directory/non-directory mismatches (-EISDIR, -ENOTDIR) and
 * access modes (-EBADF) before calling a filesystem.
 *
 * Concurrency: the scheduler is cooperative (uk/sched.h), so VFS and
 * filesystem code runs without locks, except that any call which blocks
 * (a pipe read, a 9P request) lets other threads run: hold references
 * (uk_file_get / uk_vnode_get) across such calls.
 */
#ifndef UK_VFS_H
#define UK_VFS_H

#include <linux/inotify.h>
#include <stddef.h>
#include <stdint.h>
#include <uk/linux.h>
#include <uk/sched.h>

struct uk_file;
struct uk_vnode;
struct uk_mount;
struct uk_poll_table;
struct iovec;
struct statfs;

/* ---- open files ---- */

struct uk_file_ops {
	/* Transfer at *pos and advance it; pos is &f->pos, or the offset of
	 * pread/pwrite; streams ignore it. A file opened O_NONBLOCK returns
	 * -EAGAIN instead of blocking. With O_APPEND in f->flags, write
	 * appends (the filesystem knows the size) and leaves *pos after it.
	 * NULL: -EISDIR on a directory, else -EINVAL. */
	long (*read)(struct uk_file *f, void *buf, size_t len, uint64_t *pos);
	long (*write)(struct uk_file *f, const void *buf, size_t len, uint64_t *pos);
	/* Optional: readv/writev's buffers as one transfer (a socket's one
	 * datagram or message spans them all). NULL: a transfer per buffer,
	 * stopping at a short one. */
	long (*rwv)(struct uk_file *f, const struct iovec *iov, int cnt, int wr);
	/* Readiness as an EPOLL* mask (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). When
	 * pt is not NULL, also hand the file's wait queue(s) to uk_poll_wait()
	 * so the poller is woken when readiness may have changed. NULL:
	 * always ready to read and write, as Linux's regular files. */
	unsigned (*poll)(struct uk_file *f, struct uk_poll_table *pt);
	long (*ioctl)(struct uk_file *f, unsigned long req, void *arg);
	/* Optional; the VFS falls back to the vnode's ops, else -EINVAL. */
	int (*fstat)(struct uk_file *f, struct stat *st);
	int (*truncate)(struct uk_file *f, uint64_t size);
	int (*fsync)(struct uk_file *f, int datasync);
	/* The last reference went away. */
	void (*release)(struct uk_file *f);
	/* Optional lseek; returns the new position. NULL: the VFS seeks
	 * files that have a vnode (regular files, directories, devices;
	 * SEEK_END from getattr's size) and says -ESPIPE for the others. */
	long (*llseek)(struct uk_file *f, int64_t off, int whence);
	/* Linux's name for a file without one, an anonymous inode's
	 * ("[eventfd]", "[eventpoll]", "[timerfd]"): /proc/PID/fd's links
	 * read anon_inode:NAME. Pipes and sockets need none (their fstat
	 * says what they are). */
	const char *anon_name;
};

struct uk_file {
	const struct uk_file_ops *ops;
	int refs;
	unsigned flags;      /* O_ACCMODE, O_APPEND, O_NONBLOCK, ... */
	uint64_t pos;        /* offset, or the directory cookie */
	struct uk_vnode *vn; /* NULL for anonymous files */
	void *priv;
	int opened; /* opened by open(2): its close is an event (uk_fsnotify) */
};

/* An open directory's file, for a file system with nothing of its own
 * there: the listing is the vnode's readdir, read and write say -EISDIR,
 * poll says ready. */
extern const struct uk_file_ops uk_dir_fops;

/* A new open file with one reference; NULL when out of memory. */
struct uk_file *uk_file_new(const struct uk_file_ops *ops, unsigned flags, void *priv);
struct uk_file *uk_file_get(struct uk_file *f);
void uk_file_put(struct uk_file *f);

/* ---- the descriptor table (one process per VM) ---- */

/* A table grows up to this many descriptors (/proc/sys/fs/nr_open). */
#define UK_FD_LIMIT 65536

/* Install f at the lowest free descriptor >= min_fd; takes over the
 * caller's reference. Returns the descriptor or -EMFILE. */
int uk_fd_install(struct uk_file *f, int min_fd, int cloexec);
/* The file behind fd with a new reference (uk_file_put it), or NULL. */
struct uk_file *uk_fd_get(int fd);
int uk_fd_close(int fd);
/* dup2/dup3 semantics. */
int uk_fd_dup_to(int oldfd, int newfd, int cloexec);
int uk_fd_get_cloexec(int fd);
int uk_fd_set_cloexec(int fd, int on);
/* One more than the highest open descriptor, for /proc/self/fd. */
int uk_fd_max(void);
/* The same of any process's table (uk/proc.h's files), for /proc/PID/fd:
 * the file behind fd with a new reference and its close-on-exec bit in
 * *cloexec (when not NULL), or NULL; one more than its highest open
 * descriptor. */
struct uk_fdtable;
struct uk_file *uk_fdt_get(struct uk_fdtable *t, int fd, int *cloexec);
int uk_fdt_max(struct uk_fdtable *t);

/* ---- vnodes ---- */

/* Attribute changes for setattr; mask is UK_SA_*. */
#define UK_SA_MODE 0x1
#define UK_SA_UID 0x2
#define UK_SA_GID 0x4
#define UK_SA_SIZE 0x8
#define UK_SA_ATIME 0x10
#define UK_SA_MTIME 0x20

struct uk_setattr {
	unsigned mask;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct __kernel_timespec atime, mtime;
};

/* The callback readdir calls per entry; a nonzero return stops the walk
 * (the entry it was given is then not consumed). */
typedef int (*uk_dirent_fn)(void *ctx, const char *name, uint64_t ino, unsigned dtype);

/* Linux 6.3's exec seal (memfd_create's MFD_NOEXEC_SEAL); Debian's
 * headers may predate it. */
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

struct uk_vnode_ops {
	int (*lookup)(struct uk_vnode *dir, const char *name, struct uk_vnode **out);
	int (*create)(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out);
	int (*mkdir)(struct uk_vnode *dir, const char *name, uint32_t mode);
	int (*unlink)(struct uk_vnode *dir, const char *name);
	int (*rmdir)(struct uk_vnode *dir, const char *name);
	/* flags: RENAME_NOREPLACE / RENAME_EXCHANGE as renameat2. */
	int (*rename)(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
	              const char *nname, unsigned flags);
	int (*link)(struct uk_vnode *vn, struct uk_vnode *dir, const char *name);
	int (*symlink)(struct uk_vnode *dir, const char *name, const char *target);
	long (*readlink)(struct uk_vnode *vn, char *buf, size_t len);
	int (*getattr)(struct uk_vnode *vn, struct stat *st);
	int (*setattr)(struct uk_vnode *vn, const struct uk_setattr *a);
	/* Fill f->ops (and f->priv) for an open of vn with f->flags. Called
	 * for directories too (getdents goes to readdir, not to f->ops). */
	int (*open)(struct uk_vnode *vn, struct uk_file *f);
	/* Entries from *cookie on, "." and ".." included (as Linux lists
	 * them; cookie 0 is the start). After each entry emit accepts,
	 * *cookie must already name the position after it (getdents reports
	 * it as d_off when emit is next called), so a later call continues
	 * there. Returns 0 (also at the end) or -errno. */
	int (*readdir)(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx);
	int (*statfs)(struct uk_vnode *vn, struct statfs *sf);
	int (*fsync)(struct uk_vnode *vn, int datasync);
	/* The last reference went away. */
	void (*release)(struct uk_vnode *vn);
	/* Optional, for a filesystem whose file data lies in memory (ramfs):
	 * the regular file's bytes in the page at off (a multiple of 4 KiB)
	 * where they lie, so that a page fault can copy them without
	 * blocking. Returns how many there are (4096; fewer in the last page;
	 * 0 past the end) with *data at them, or NULL for a hole (zeros).
	 * Valid until the file next changes. Without it, a file mapping is
	 * read whole when it is made (libos/mm/mmap_file.c). */
	long (*page_data)(struct uk_vnode *vn, uint64_t off, const void **data);
	/* Optional, with page_data: the regular file's own page at off for a
	 * MAP_SHARED mapping, made (zeroed) where the file has a hole, so
	 * that every process mapping the file, and read and write, see the
	 * same bytes. 0 with *page, 1 past the end, -ENOMEM; never blocks.
	 * The mapping counts itself a holder (uk_page_ref); the file lets
	 * go of a page with uk_page_put, and keeps one that mappings hold
	 * (zeroed) when it is truncated or punched, so that the mappings
	 * and the file never part. */
	long (*page_shared)(struct uk_vnode *vn, uint64_t off, void **page);
	/* Optional: the regular file's bytes in [off, off + len) read as
	 * zeros from now on, its size unchanged (fallocate's PUNCH_HOLE and
	 * ZERO_RANGE, MADV_REMOVE); a page every mapping sees stays the same
	 * page. 0 or -errno. */
	int (*punch)(struct uk_vnode *vn, uint64_t off, uint64_t len);
	/* Optional (ramfs, as Linux's tmpfs): the file's seals (F_SEAL_*)
	 * after adding add (fcntl's F_ADD_SEALS; 0 reads them), or -EPERM
	 * once F_SEAL_SEAL is among them. The file system refuses what they
	 * forbid (write, a size change, a punched hole); the caller checks
	 * that no shared mapping may write before adding F_SEAL_WRITE.
	 * Without it files cannot be sealed (-EINVAL). */
	int (*seals)(struct uk_vnode *vn, unsigned add);
	/* Optional: an unnamed regular file of dir's file system with
	 * nlink 0 (open's O_TMPFILE), *out referenced; linkat may give it a
	 * name unless excl (O_EXCL). Without it: -EOPNOTSUPP. */
	int (*tmpfile)(struct uk_vnode *dir, uint32_t mode, int excl, struct uk_vnode **out);
	/* Optional: the name a file that has no path goes by (a memfd's
	 * "memfd:NAME", an O_TMPFILE's "#INO"), which /proc/PID/fd's links
	 * read as Linux's do: "/NAME (deleted)", below its directory if it
	 * has one. Its length, or -ENOENT for a file with a path. */
	long (*dname)(struct uk_vnode *vn, char *buf, size_t size);
};

struct uk_vnode {
	const struct uk_vnode_ops *ops;
	struct uk_mount *mnt;
	uint64_t ino;
	uint32_t mode; /* S_IFMT type (fixed) and permission bits */
	/* Its owner and group, which permissions are checked by: kept
	 * here by the file system (as mode), 0 (root's) unless it sets
	 * them. */
	uint32_t uid, gid;
	int refs;
	void *priv;
	/* VFS-private: the directory the vnode was last found in
	 * (referenced), so "..", getcwd and /proc/self/fd need nothing
	 * from filesystems. */
	struct uk_vnode *parent;
};

/* A new vnode with one reference. */
struct uk_vnode *uk_vnode_new(struct uk_mount *mnt, const struct uk_vnode_ops *ops, uint64_t ino,
                              uint32_t mode, void *priv);
struct uk_vnode *uk_vnode_get(struct uk_vnode *vn);
void uk_vnode_put(struct uk_vnode *vn);

/* ---- filesystems and mounts ---- */

struct uk_fs_type {
	const char *name;
	/* Build the tree; *root gets one reference. data is fs-specific. */
	int (*mount)(struct uk_mount *mnt, const char *source, const void *data,
	             struct uk_vnode **root);
	void (*unmount)(struct uk_mount *mnt);
	/* Optional: in use beyond the open files and working directories
	 * the VFS sees (devpts while pseudo-terminals exist), so umount is
	 * EBUSY. */
	int (*busy)(struct uk_mount *mnt);
};

struct uk_mount {
	const struct uk_fs_type *type;
	unsigned long flags; /* MS_RDONLY, ... */
	struct uk_vnode *root;
	char path[256]; /* where it is mounted, for /proc/mounts */
	char source[256];
	void *priv;
};

/* The filesystem types, in one table (libos/vfs/fstypes.c). */
extern const struct uk_fs_type *const uk_fs_types[];

/* An unnamed RAM file of size bytes, open read-write (*out): the memory
 * behind a MAP_SHARED|MAP_ANONYMOUS mapping, which processes then share
 * page by page as they touch it, as Linux's shmem files are. 0 or
 * -ENOMEM. */
int uk_ramfs_anon_file(uint64_t size, struct uk_file **out);
/* memfd_create(2)'s file: an unnamed RAM file, empty, open read-write
 * (*out), with mode's permissions and seals (F_SEAL_SEAL: never sealed),
 * going by "memfd:NAME" in /proc. 0, -ENOMEM. */
int uk_ramfs_memfd(const char *name, uint32_t mode, unsigned seals, struct uk_file **out);
/* Where a file of the image lies that nobody has written since boot: the
 * archive's bytes of the regular file vn (ramfs), which cannot change
 * while it stays so (a write first gives the file pages of its own), or
 * NULL for any other file. Physical addresses of them name the file's
 * bytes for the VM's life (binary_rewrite.c keeps rewritten code by
 * them). */
const void *uk_ramfs_image_data(struct uk_vnode *vn);
/* A vnode's seals (F_SEAL_*): 0 on a file system that has none. */
unsigned uk_vnode_seals(struct uk_vnode *vn);

int uk_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
             const void *data);

/* ---- paths ---- */

#define UK_AT_FOLLOW 0x1 /* follow a final symlink */
#define UK_AT_DIR 0x2    /* the result must be a directory */
#define UK_AT_EMPTY 0x4  /* "" means dirfd itself (AT_EMPTY_PATH) */

/* Resolve path relative to dirfd (AT_FDCWD: the working directory),
 * crossing mounts, following symlinks (ELOOP after 40). */
int uk_path_lookup(int dirfd, const char *path, unsigned flags, struct uk_vnode **out);
/* realpath(3): the absolute path of what path names, with no symlink,
 * "." or ".." in it; 0 or -errno. */
int uk_path_real(const char *path, char *buf, size_t size);
/* Resolve all but the last component: *dir (referenced) and its name
 * (NAME_MAX + 1 bytes). -EINVAL when path ends in "." or "..". */
int uk_path_parent(int dirfd, const char *path, struct uk_vnode **dir, char *name);
/* The name under which dir lists inode ino (UK_NAME_MAX + 1 bytes at
 * name): 0, or -ENOENT. */
int uk_vfs_name_in(struct uk_vnode *dir, uint64_t ino, char *name);

/* The absolute path of vn (a directory, or a file found by lookup whose
 * parent is known) as the running process names it (from its chroot's
 * directory), found by walking parents; -ENOENT once unreachable. */
int uk_vfs_path_of(struct uk_vnode *vn, char *buf, size_t size);

/* ---- permissions (vfs/vfs_perm.c) ---- */

/* What an access asks for, as Linux's MAY_*. */
#define UK_MAY_EXEC 1
#define UK_MAY_WRITE 2
#define UK_MAY_READ 4

struct uk_cred;
/* Whether the running thread's credentials (uk_cred_cur) or c may do
 * mask on vn: 0 or -EACCES (generic_permission). */
int uk_vfs_permission(const struct uk_vnode *vn, int mask);
int uk_vfs_perm_cred(const struct uk_cred *c, const struct uk_vnode *vn, int mask);
/* Whether the caller owns vn or has CAP_FOWNER (chmod, utimes). */
int uk_vfs_owner_or_capable(const struct uk_vnode *vn);
/* Search permission on a directory of a path walk: a mode every class
 * may search passes with one compare. */
static inline int uk_vfs_may_search(const struct uk_vnode *dir)
{
	return (dir->mode & 0111) == 0111 ? 0 : uk_vfs_permission(dir, UK_MAY_EXEC);
}
/* name made in dir: -EROFS, -EACCES without write and search on dir,
 * but -EEXIST when name (not NULL) is there already. */
int uk_vfs_may_create(struct uk_vnode *dir, const char *name);
/* victim's name in dir removed: as may_create, and dir's sticky bit
 * (-EPERM unless the caller owns victim or dir, or has CAP_FOWNER). */
int uk_vfs_may_delete(struct uk_vnode *dir, const struct uk_vnode *victim);
/* For file systems making a file in dir (NULL: a root or unnamed
 * file): its owner (the fsuid), group (the fsgid, or dir's when dir is
 * setgid) and mode (a directory in a setgid one is setgid). */
void uk_vfs_new_owner(const struct uk_vnode *dir, uint32_t *mode, uint32_t *uid, uint32_t *gid);
/* A regular file written or truncated by a caller without CAP_FSETID
 * loses its set-user-ID bit, and set-group-ID with group execute: 0 or
 * the setattr's -errno. */
int uk_vfs_kill_suid(struct uk_vnode *vn);
/* Around the library OS's own file work (/etc/hosts, mount points):
 * root's credentials with every capability for the running thread, and
 * back to what uk_vfs_as_kernel returned. */
const struct uk_cred *uk_vfs_as_kernel(void);
void uk_vfs_as_caller(const struct uk_cred *old);

/* execve's open of path (the program, its interpreter): a regular file
 * (-EACCES; a directory -EISDIR) the caller may execute, opened for
 * reading whether or not it may read it. 0 with *out, or -errno. */
int uk_vfs_open_exec(const char *path, struct uk_file **out);
/* getattr through a file: its own fstat op first, else its vnode's. */
int uk_vfs_fstat(struct uk_file *f, struct stat *st);

/* ---- boot, and hooks other subsystems may provide ---- */

/* What /proc asks of the rooms above it, set at boot: of a process's
 * address space, the memory room's uk_vm_maps_text, uk_vm_mem_read and
 * uk_vm_usage (uk/vm.h); the resource limits, the system calls' (every
 * process shares them); the network's addresses, the net room's
 * uk_net_if_inet6 (uk/net.h). */
struct uk_mm;
struct uk_proc_view;
struct uk_procfs_hooks {
	size_t (*maps)(struct uk_mm *mm, const struct uk_proc_view *v, uintptr_t *from, char *buf,
	               size_t size);
	long (*mem_read)(struct uk_mm *mm, uintptr_t addr, void *buf, size_t len);
	void (*usage)(struct uk_mm *mm, uint64_t *size, uint64_t *rss);
	void (*rlimit)(int resource, uint64_t *soft, uint64_t *hard);
	/* /proc/net/if_inet6's text into buf (NUL-terminated): its length */
	size_t (*if_inet6)(char *buf, size_t size);
};
extern struct uk_procfs_hooks uk_procfs_hooks;

/* For the library OS's own files (the network's /etc/resolv.conf and
 * /etc/hosts, mount points): mkdir -p path (absolute, shorter than 4096
 * bytes; missing parents get 0755, the last component mode; errors are
 * ignored: the mount or chdir that follows reports them); read up to size
 * bytes of a regular file (how many, or -errno; -EINVAL for anything
 * else: a FIFO there must not block the library OS); make or replace a file with len
 * bytes (0 or -errno). As the running process, with its umask. */
void uk_vfs_mkdir_p(const char *path, unsigned mode);
/* mknodat(2) of a regular file, FIFO or socket node (mode: type and
 * permissions, less the umask); *out (if not NULL) gets the new vnode,
 * referenced. 0 or -errno (-EEXIST when path exists). */
int uk_vfs_mknodat(int dirfd, const char *path, unsigned mode, struct uk_vnode **out);
/* Whether an /etc/hosts text (len bytes) names name on a line, comments
 * aside, without regard to case. */
int uk_hosts_names(const char *hosts, long len, const char *name);
/* As in a container, names resolve without a DNS server: lines (whole
 * lines) are added to /etc/hosts (a regular file of up to 64 KiB, made
 * when missing) unless a line there names name already. 0 or -errno. */
int uk_vfs_hosts_add(const char *name, const char *lines);
/* The host name's address in /etc/hosts (up to 64 bytes of text): a line
 * UK_HOST_ADDR name (what boot writes) is replaced by it, else it is
 * added as uk_vfs_hosts_add adds. 0 or -errno. */
#define UK_HOST_ADDR "127.0.1.1"
int uk_vfs_hosts_name(const char *name, const char *addr);
long uk_vfs_read_file(const char *path, void *buf, size_t size);
int uk_vfs_write_file(const char *path, const void *buf, size_t len, unsigned mode);

/* Mount / (the image's .uk_rootfs unpacked into a RAM filesystem), /dev
 * and /proc, and put the console on fds 0-2. Called once by the boot
 * thread before main(). */
void uk_vfs_init(void);
/* Enter the manifest's working directory: after the volumes are mounted,
 * so that a volume there (redis's /data) is where relative paths go. */
void uk_vfs_enter_workdir(void);
/* The last of the file tree's set-up, once every share and disk is
 * mounted: ukrun's --tmpfs mounts (made where missing, mode 1777), then
 * with --read-only the root refuses every change (EROFS). */
void uk_vfs_root_done(void);

/* Opening a FIFO (mknod S_IFIFO) in any filesystem: the pipe code's
 * (libos/ipc/pipe.c). A strong reference, so linking only what a program uses
 * still brings it along with the filesystems. */
int uk_fifo_open(struct uk_vnode *vn, struct uk_file *f);

/* ---- change notification (inotify, libos/ipc/inotify.c) ----
 *
 * The VFS reports each change through these while some file is watched
 * (else the pointer is NULL and a change costs a load). event: about vn
 * itself (IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_OPEN, IN_CLOSE_*,
 * IN_DELETE_SELF, IN_MOVE_SELF), to its watchers and, for those about a
 * file's use or content, its directory's (not with UK_FSNOTIFY_SELF: a
 * link count's change). entry: about the name in dir (IN_CREATE,
 * IN_DELETE, IN_MOVED_FROM/TO with their cookie; IN_ISDIR when the entry
 * is a directory). unmount: mnt goes (its watches end). */
#define UK_FSNOTIFY_SELF 0x08000000u /* (a bit no inotify mask uses) */
/* inotify's limits, per user as Linux counts them (/proc/sys/fs/inotify/
 * shows them): instances and watches a user may have, events a queue
 * holds before IN_Q_OVERFLOW. Linux sizes max_user_watches by memory
 * (8192 for a VM of 1 GiB); a watch costs uk less than a Linux inode. */
#define UK_INOTIFY_MAX_INSTANCES 128
#define UK_INOTIFY_MAX_WATCHES 65536
#define UK_INOTIFY_MAX_QUEUED 16384
struct uk_fsnotify_ops {
	void (*event)(struct uk_vnode *vn, uint32_t mask);
	void (*entry)(struct uk_vnode *dir, const char *name, uint32_t mask, uint32_t cookie);
	uint32_t (*cookie)(void); /* a new rename's */
	void (*unmount)(struct uk_mount *mnt);
};
extern const struct uk_fsnotify_ops *uk_fsnotify;

static inline void uk_fsnotify_event(struct uk_vnode *vn, uint32_t mask)
{
	if (uk_fsnotify && vn)
		uk_fsnotify->event(vn, mask);
}

static inline void uk_fsnotify_entry(struct uk_vnode *dir, const char *name, uint32_t mask,
                                     uint32_t cookie)
{
	if (uk_fsnotify)
		uk_fsnotify->entry(dir, name, mask, cookie);
}

/* Volumes are the user's choice at run time (ukrun -v, --disk), so every
 * image carries the 9P client and FAT. Once at boot, after the root
 * filesystem exists: every 9P share at its guest path (ukrun: uk,mount;
 * QEMU: the mount tag when it is an absolute path), read-only where asked
 * (fs/p9fs.c); every disk at its path or /diskN (fs/fat_vfs.c). */
void uk_p9fs_mount_shares(void);
void uk_fat_mount_disks(void);

#endif
