/*
 * Open files and the descriptor tables, one a process (uk/proc.h; fork
 * copies the caller's); a table grows on demand up to UK_FD_LIMIT
 * descriptors (the hard RLIMIT_NOFILE a container typically gets).
 *
 * A descriptor holds one reference to its open file; dup'd descriptors
 * share the file and so its position and status flags, as on Linux. The
 * close-on-exec bit belongs to the descriptor.
 */
#include <uk/epoll.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

struct fd_slot {
	struct uk_file *f;
	int cloexec;
};

struct uk_fdtable {
	struct fd_slot *slots;
	int size;
};

/* Process 1's, from boot. */
struct uk_fdtable uk_fd_init_table;

/* The running process's table (its fields, by the names they had when
 * there was one table). */
static struct uk_fdtable *cur(void)
{
	return uk_proc_cur->files ? uk_proc_cur->files : &uk_fd_init_table;
}
#define fdt (cur()->slots)
#define fdt_size (cur()->size)

const struct uk_file_ops uk_dir_fops = { 0 };

const struct uk_fsnotify_ops *uk_fsnotify;

struct uk_file *uk_file_new(const struct uk_file_ops *ops, unsigned flags, void *priv)
{
	struct uk_file *f = uk_kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->ops = ops;
	f->refs = 1;
	f->flags = flags;
	f->priv = priv;
	return f;
}

struct uk_file *uk_file_get(struct uk_file *f)
{
	f->refs++;
	return f;
}

void uk_file_put(struct uk_file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->opened) {
		unsigned acc = f->flags & O_ACCMODE;
		uk_fsnotify_event(f->vn, acc == O_WRONLY || acc == O_RDWR ? IN_CLOSE_WRITE
		                                                          : IN_CLOSE_NOWRITE);
	}
	uk_flock_release(f);
	uk_epoll_release(f); /* before the file's wait queues go */
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->vn)
		uk_vnode_put(f->vn);
	uk_kfree(f);
}

/* Make room for descriptor fd. */
static int fdt_grow(int fd)
{
	int n = fdt_size ? fdt_size : 64;
	struct fd_slot *t;

	if (fd >= UK_FD_LIMIT)
		return -EMFILE;
	while (n <= fd)
		n *= 2;
	if (n > UK_FD_LIMIT)
		n = UK_FD_LIMIT;
	t = uk_kzalloc(n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (fdt)
		uk_memcpy(t, fdt, fdt_size * sizeof(*t));
	uk_kfree(fdt);
	fdt = t;
	fdt_size = n;
	return 0;
}

int uk_fd_install(struct uk_file *f, int min_fd, int cloexec)
{
	int fd = min_fd < 0 ? 0 : min_fd;

	for (; fd < fdt_size && fdt[fd].f; fd++)
		;
	if (fd >= fdt_size) {
		int r = fdt_grow(fd);
		if (r < 0)
			return r == -ENOMEM ? -ENOMEM : -EMFILE;
	}
	fdt[fd].f = f;
	fdt[fd].cloexec = !!cloexec;
	return fd;
}

struct uk_file *uk_fd_get(int fd)
{
	if (fd < 0 || fd >= fdt_size || !fdt[fd].f)
		return NULL;
	return uk_file_get(fdt[fd].f);
}

int uk_fd_close(int fd)
{
	struct uk_file *f;

	if (fd < 0 || fd >= fdt_size || !fdt[fd].f)
		return -EBADF;
	f = fdt[fd].f;
	fdt[fd].f = NULL;
	fdt[fd].cloexec = 0;
	uk_file_put(f);
	return 0;
}

int uk_fd_dup_to(int oldfd, int newfd, int cloexec)
{
	struct uk_file *f = uk_fd_get(oldfd), *old;

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= UK_FD_LIMIT) {
		uk_file_put(f);
		return -EBADF;
	}
	if (newfd >= fdt_size) {
		int r = fdt_grow(newfd);
		if (r < 0) {
			uk_file_put(f);
			return r;
		}
	}
	old = fdt[newfd].f;
	fdt[newfd].f = f;
	fdt[newfd].cloexec = !!cloexec;
	if (old)
		uk_file_put(old); /* after the switch: release may block */
	return newfd;
}

int uk_fd_get_cloexec(int fd)
{
	if (fd < 0 || fd >= fdt_size || !fdt[fd].f)
		return -EBADF;
	return fdt[fd].cloexec;
}

int uk_fd_set_cloexec(int fd, int on)
{
	if (fd < 0 || fd >= fdt_size || !fdt[fd].f)
		return -EBADF;
	fdt[fd].cloexec = !!on;
	return 0;
}

int uk_fd_max(void)
{
	int n = fdt_size;

	while (n > 0 && !fdt[n - 1].f)
		n--;
	return n;
}

struct uk_file *uk_fdt_get(struct uk_fdtable *t, int fd, int *cloexec)
{
	if (!t || fd < 0 || fd >= t->size || !t->slots[fd].f)
		return NULL;
	if (cloexec)
		*cloexec = t->slots[fd].cloexec;
	return uk_file_get(t->slots[fd].f);
}

int uk_fdt_max(struct uk_fdtable *t)
{
	int n = t ? t->size : 0;

	while (n > 0 && !t->slots[n - 1].f)
		n--;
	return n;
}

struct uk_fdtable *uk_fd_table_new(void) { return uk_kzalloc(sizeof(struct uk_fdtable)); }

struct uk_fdtable *uk_fd_fork(void)
{
	struct uk_fdtable *t = uk_kzalloc(sizeof(*t));
	int n = uk_fd_max();

	if (!t)
		return NULL;
	if (n && !(t->slots = uk_kzalloc(n * sizeof(*t->slots)))) {
		uk_kfree(t);
		return NULL;
	}
	t->size = n;
	for (int fd = 0; fd < n; fd++) {
		t->slots[fd] = fdt[fd];
		if (t->slots[fd].f)
			uk_file_get(t->slots[fd].f);
	}
	return t;
}

void uk_fd_table_put(struct uk_fdtable *t)
{
	/* one slot at a time, the table still whole: a release may block */
	for (int fd = 0; fd < t->size; fd++) {
		struct uk_file *f = t->slots[fd].f;
		t->slots[fd].f = NULL;
		if (f)
			uk_file_put(f);
	}
	uk_kfree(t->slots);
	if (t != &uk_fd_init_table)
		uk_kfree(t);
}

int uk_vfs_mount_busy(struct uk_mount *mnt)
{
	if (uk_vfs_cwd && uk_vfs_cwd->mnt == mnt)
		return 1;
	for (int fd = 0; fd < fdt_size; fd++)
		if (fdt[fd].f && fdt[fd].f->vn && fdt[fd].f->vn->mnt == mnt)
			return 1;
	return 0;
}
