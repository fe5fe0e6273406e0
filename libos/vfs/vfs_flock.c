/*
 * flock(2): whole-file locks held by open files (open file descriptions:
 * dup and fork share one), shared or exclusive, between every process of
 * the VM, as Linux keeps them. A lock goes with LOCK_UN, a conversion, or
 * the last close of its file. Waiters sleep on one queue and look again
 * at each release (locks are few: postfix's accept lock, dpkg's, a
 * daemon's pid file). Before, uk accepted every flock without keeping it,
 * and postfix's smtpd processes all went for the same connection.
 */
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

struct flk {
	struct flk *next;
	struct uk_file *f; /* the holder (not referenced: its last put drops this) */
	/* What is locked: the file's mount and inode number (a share's
	 * file system may give each open its own vnode), or for a file
	 * without a vnode (a pipe) the file itself. */
	const void *key;
	uint64_t ino;
	int ex;
};

static const void *key_of(const struct uk_file *f) { return f->vn ? (const void *)f->vn->mnt : f; }
static uint64_t ino_of(const struct uk_file *f) { return f->vn ? f->vn->ino : 0; }

static struct flk *locks;
static struct uk_wq waiters;

static struct flk **find(const struct uk_file *f)
{
	struct flk **pp = &locks;

	while (*pp && (*pp)->f != f)
		pp = &(*pp)->next;
	return pp;
}

/* Whether another open file holds f's in a way that excludes ex. */
static int conflicts(const struct uk_file *f, int ex)
{
	for (struct flk *l = locks; l; l = l->next)
		if (l->key == key_of(f) && l->ino == ino_of(f) && l->f != f && (ex || l->ex))
			return 1;
	return 0;
}

static void drop(struct uk_file *f)
{
	struct flk **pp = find(f), *l = *pp;

	if (!l)
		return;
	*pp = l->next;
	uk_kfree(l);
	uk_wq_wake(&waiters, -1);
}

void uk_flock_release(struct uk_file *f)
{
	if (locks)
		drop(f);
}

/* Linux drops a held lock before converting it, so a waiter may come
 * in between; so here. */
static long lock(struct uk_file *f, int ex, int nb)
{
	struct flk *l = *find(f);
	int r;

	if (l && l->ex == ex)
		return 0;
	if (l)
		drop(f);
	while (conflicts(f, ex)) {
		if (nb)
			return -EWOULDBLOCK;
		if ((r = uk_wait_event(&waiters, !conflicts(f, ex), 0)))
			return r;
	}
	if (!(l = uk_kzalloc(sizeof(*l))))
		return -ENOLCK;
	*l = (struct flk){ .next = locks, .f = f, .key = key_of(f), .ino = ino_of(f), .ex = ex };
	locks = l;
	return 0;
}

UK_SYSCALL2(flock, int, fd, int, op)
{
	struct uk_file *f = uk_fd_get(fd);
	int how = op & ~LOCK_NB;
	long r;

	if (!f)
		return -EBADF;
	if (how != LOCK_SH && how != LOCK_EX && how != LOCK_UN)
		r = -EINVAL;
	else if (f->flags & O_PATH)
		r = -EBADF;
	else if (how == LOCK_UN)
		drop(f), r = 0;
	else
		r = lock(f, how == LOCK_EX, op & LOCK_NB);
	uk_file_put(f);
	return r;
}
