/*
 * inotify(7): watches on files and directories, and a descriptor from
 * which their events are read as struct inotify_event records.
 *
 * A watch names a file by its mount and inode number, not by vnode: a
 * 9P volume makes a new vnode at each lookup of one file. Watches live in
 * one hash table by that key; each also holds a reference to the vnode it
 * was made with. The VFS reports changes through uk_fsnotify (vfs.h),
 * set here while any watch exists, so a program that watches nothing
 * pays one load per change. An event about a file in a watched directory
 * names it: the directory's watch keeps the last few names it found
 * (reading the directory for one is slow on a volume), forgotten when an
 * entry of the directory changes.
 *
 * What differs from Linux: changes made to a volume's files from the
 * host are not seen (as in gVisor, only the VM's own changes are);
 * IN_DELETE_SELF comes with the unlink of a file's last name, not at its
 * last close; IN_EXCL_UNLINK is accepted but events after an unlink are
 * not held back. Limits per user as Linux's (ENOSPC past the watches,
 * EMFILE past the instances; vfs.h's UK_INOTIFY_*), counted for the
 * effective uid that made the instance.
 */
#include <linux/inotify.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>

#include "../vfs/vfs_impl.h"
#include "poll_impl.h"

#define MAX_QUEUED UK_INOTIFY_MAX_QUEUED
#define BUCKETS 256
#define NAMES 4 /* names a directory's watch keeps */
/* The bits inotify_add_watch knows (Linux's ALL_INOTIFY_BITS): a mask
 * without one is refused, others are ignored. */
#define KNOWN_BITS                                                                               \
	(IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW | \
	 IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)
/* Events a directory's watchers get about a file in it. */
#define CHILD_EVENTS (IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE | IN_OPEN)

struct event {
	struct event *next;
	struct inotify_event ev; /* followed by ev.len bytes of name */
};

/* What one user holds (a few users a VM: never freed). */
struct user_count {
	struct user_count *next;
	int uid, instances, watches;
};

struct instance {
	struct uk_wq wq;
	struct user_count *user;
	struct event *head, *tail;
	int count;
	size_t bytes;
	struct watch *watches; /* this instance's, through in_next */
	int next_wd;
	uint64_t ino;
	/* IN_Q_OVERFLOW, queued when the queue is full or memory short */
	struct event overflow;
	int overflowed;
};

/* Names of files found in a watched directory. */
struct names {
	int count, next;
	uint64_t ino[NAMES];
	char name[NAMES][UK_NAME_MAX + 1];
};

struct watch {
	struct instance *in;
	struct watch *in_next, *h_next;
	struct uk_mount *mnt;
	uint64_t ino;
	struct uk_vnode *vn;
	uint32_t mask;
	int wd;
	struct names *names; /* a directory's, made at its first need */
};

static struct watch *table[BUCKETS];
static int nwatches;
static struct user_count *users;
static const struct uk_fsnotify_ops fsnotify_ops;

static struct watch **bucket(const struct uk_mount *mnt, uint64_t ino)
{
	uint64_t h = (ino ^ (uintptr_t)mnt) * 0x9e3779b97f4a7c15ull;
	return &table[h >> 56];
}

static const struct uk_file_ops inotify_ops;

/* Whether w watches vn's file. */
static int is_of(const struct watch *w, const struct uk_vnode *vn)
{
	return w->mnt == vn->mnt && w->ino == vn->ino;
}

static struct instance *instance_of(int fd, struct uk_file **fp)
{
	struct uk_file *f = uk_fd_get(fd);

	*fp = f;
	return f && f->ops == &inotify_ops ? f->priv : NULL;
}

/* ---- events ---- */

static int same_event(const struct event *e, int wd, uint32_t mask, uint32_t cookie,
                      const char *name)
{
	if (e->ev.wd != wd || e->ev.mask != mask || e->ev.cookie != cookie)
		return 0;
	return name ? e->ev.len && !uk_strcmp(e->ev.name, name) : !e->ev.len;
}

static void queue(struct instance *in, int wd, uint32_t mask, uint32_t cookie, const char *name)
{
	size_t nlen = name ? uk_strlen(name) + 1 : 0;
	uint32_t len = (uint32_t)((nlen + sizeof(struct inotify_event) - 1) &
	                          ~(sizeof(struct inotify_event) - 1));
	struct event *e = NULL;

	/* an event the same as the last one still unread is one (Linux) */
	if (in->overflowed || (in->tail && same_event(in->tail, wd, mask, cookie, name)))
		return;
	if (in->count < MAX_QUEUED && (e = uk_kzalloc(sizeof(*e) + len))) {
		e->ev =
		    (struct inotify_event){ .wd = wd, .mask = mask, .cookie = cookie, .len = len };
		if (nlen)
			uk_memcpy(e->ev.name, name, nlen);
	} else { /* events lost from here until this one is read */
		e = &in->overflow;
		e->ev = (struct inotify_event){ .wd = -1, .mask = IN_Q_OVERFLOW };
		e->next = NULL;
		len = 0;
		in->overflowed = 1;
	}
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->count++;
	in->bytes += sizeof(e->ev) + len;
	uk_wq_wake(&in->wq, -1);
}

/* ---- watches ---- */

static void unlink_from(struct watch **list, struct watch *w, int in_list)
{
	while (*list != w)
		list = in_list ? &(*list)->in_next : &(*list)->h_next;
	*list = in_list ? w->in_next : w->h_next;
}

/* The watch ends; its instance reads IN_IGNORED when tell. The VFS stops
 * reporting with the last one. */
static void watch_drop(struct watch *w, int tell)
{
	if (tell)
		queue(w->in, w->wd, IN_IGNORED, 0, NULL);
	unlink_from(bucket(w->mnt, w->ino), w, 0);
	unlink_from(&w->in->watches, w, 1);
	if (!--nwatches)
		uk_fsnotify = NULL;
	w->in->user->watches--;
	uk_vnode_put(w->vn);
	uk_kfree(w->names);
	uk_kfree(w);
}

/* To every watch of vn (by mount and inode) that asked for it: mask's
 * event (with IN_ISDIR), about name when not NULL. */
static void deliver(struct uk_vnode *vn, uint32_t mask, uint32_t cookie, const char *name)
{
	struct watch *w, *next;

	for (w = *bucket(vn->mnt, vn->ino); w; w = next) {
		next = w->h_next;
		if (!is_of(w, vn) || !(w->mask & mask & IN_ALL_EVENTS))
			continue;
		queue(w->in, w->wd, mask, cookie, name);
		if (w->mask & IN_ONESHOT)
			watch_drop(w, 1);
	}
}

/* The first watch of vn, or NULL. */
static struct watch *watch_of(const struct uk_vnode *vn)
{
	struct watch *w = *bucket(vn->mnt, vn->ino);

	while (w && !is_of(w, vn))
		w = w->h_next;
	return w;
}

/* The name of inode ino in the watched directory dir (first: its first
 * watch): 0, or -ENOENT. */
static int child_name(struct watch *first, struct uk_vnode *dir, uint64_t ino, char *name)
{
	struct names *n;

	for (struct watch *w = first; w; w = w->h_next) {
		if (!is_of(w, dir) || !(n = w->names))
			continue;
		for (int i = 0; i < n->count; i++) {
			if (n->ino[i] == ino) {
				uk_memcpy(name, n->name[i], uk_strlen(n->name[i]) + 1);
				return 0;
			}
		}
	}
	if (uk_vfs_name_in(dir, ino, name))
		return -ENOENT;
	/* (the watch may have gone while a volume's directory was read) */
	if ((first = watch_of(dir)) &&
	    (first->names || (first->names = uk_kzalloc(sizeof(*first->names))))) {
		n = first->names;
		n->ino[n->next] = ino;
		uk_memcpy(n->name[n->next], name, uk_strlen(name) + 1);
		n->next = (n->next + 1) % NAMES;
		n->count += n->count < NAMES;
	}
	return 0;
}

static void on_event(struct uk_vnode *vn, uint32_t mask)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir = vn->parent;
	struct watch *w, *next;
	int self = mask & UK_FSNOTIFY_SELF;

	mask &= ~UK_FSNOTIFY_SELF;
	if ((vn->mode & S_IFMT) == S_IFDIR)
		mask |= IN_ISDIR;
	deliver(vn, mask, 0, NULL);
	/* its directory's watchers, with its name (a mount's root has none
	 * there); the directory held while a volume's is read */
	if (!self && (mask & CHILD_EVENTS) && dir && dir->mnt == vn->mnt && (w = watch_of(dir))) {
		uk_vnode_get(dir);
		if (child_name(w, dir, vn->ino, name) == 0)
			deliver(dir, mask, 0, name);
		uk_vnode_put(dir);
	}
	if (mask & IN_DELETE_SELF) {
		for (w = *bucket(vn->mnt, vn->ino); w; w = next) {
			next = w->h_next;
			if (is_of(w, vn))
				watch_drop(w, 1);
		}
	}
}

static void on_entry(struct uk_vnode *dir, const char *name, uint32_t mask, uint32_t cookie)
{
	/* an entry changed: the names the directory's watches keep may be
	 * wrong now */
	for (struct watch *w = *bucket(dir->mnt, dir->ino); w; w = w->h_next)
		if (is_of(w, dir) && w->names)
			w->names->count = w->names->next = 0;
	deliver(dir, mask, cookie, name);
}

/* mnt goes: its watches hear IN_UNMOUNT, then IN_IGNORED. */
static void on_unmount(struct uk_mount *mnt)
{
	struct watch *w, *next;

	for (int b = 0; b < BUCKETS; b++) {
		for (w = table[b]; w; w = next) {
			next = w->h_next;
			if (w->mnt == mnt) {
				queue(w->in, w->wd,
				      IN_UNMOUNT | (uk_vfs_is_dir(w->vn) ? IN_ISDIR : 0), 0, NULL);
				watch_drop(w, 1);
			}
		}
	}
}

static uint32_t new_cookie(void)
{
	static uint32_t last;
	return ++last ? last : ++last;
}

static const struct uk_fsnotify_ops fsnotify_ops = {
	.event = on_event,
	.entry = on_entry,
	.cookie = new_cookie,
	.unmount = on_unmount,
};

/* ---- the descriptor ---- */

static long inotify_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct instance *in = f->priv;
	struct event *e;
	size_t done = 0, size;
	int r;

	if (!in->head && (f->flags & O_NONBLOCK))
		return -EAGAIN;
	if ((r = uk_wait_event(&in->wq, in->head, 0)))
		return r;
	while ((e = in->head) && (size = sizeof(e->ev) + e->ev.len) <= len - done) {
		uk_memcpy((char *)buf + done, &e->ev, size);
		done += size;
		in->head = e->next;
		if (!in->head)
			in->tail = NULL;
		in->count--;
		in->bytes -= size;
		if (e == &in->overflow)
			in->overflowed = 0;
		else
			uk_kfree(e);
	}
	return done ? (long)done : -EINVAL; /* the first does not fit */
}

static unsigned inotify_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct instance *in = f->priv;

	uk_poll_wait(pt, &in->wq);
	return in->head ? EPOLLIN | EPOLLRDNORM : 0;
}

static long inotify_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct instance *in = f->priv;

	if (req != FIONREAD)
		return -ENOTTY;
	if (!arg)
		return -EFAULT;
	*(int *)arg = (int)in->bytes;
	return 0;
}

static int inotify_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, ((struct instance *)f->priv)->ino);
}

static void inotify_release(struct uk_file *f)
{
	struct instance *in = f->priv;
	struct event *e;

	while (in->watches)
		watch_drop(in->watches, 0);
	while ((e = in->head)) {
		in->head = e->next;
		if (e != &in->overflow)
			uk_kfree(e);
	}
	in->user->instances--;
	uk_kfree(in);
}

static const struct uk_file_ops inotify_ops = {
	.anon_name = "inotify",
	.read = inotify_read,
	.poll = inotify_poll,
	.ioctl = inotify_ioctl,
	.fstat = inotify_fstat,
	.release = inotify_release,
};

/* ---- the calls ---- */

/* The counts of user uid, made at its first instance (NULL: no memory). */
static struct user_count *user_of(int uid)
{
	struct user_count *u = users;

	while (u && u->uid != uid)
		u = u->next;
	if (!u && (u = uk_kzalloc(sizeof(*u)))) {
		u->uid = uid;
		u->next = users;
		users = u;
	}
	return u;
}

UK_SYSCALL1(inotify_init1, int, flags)
{
	static uint64_t next_ino = 1;
	struct user_count *u;
	struct instance *in;
	struct uk_file *f;
	int fd;

	if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
		return -EINVAL;
	if (!(u = user_of(uk_current_euid())))
		return -ENOMEM;
	if (u->instances >= UK_INOTIFY_MAX_INSTANCES)
		return -EMFILE;
	if (!(in = uk_kzalloc(sizeof(*in))))
		return -ENOMEM;
	in->ino = next_ino++;
	in->user = u;
	if (!(f = uk_file_new(&inotify_ops, O_RDWR | (flags & IN_NONBLOCK), in))) {
		uk_kfree(in);
		return -ENOMEM;
	}
	u->instances++; /* (the release gives it back) */
	if ((fd = uk_fd_install(f, 0, !!(flags & IN_CLOEXEC))) < 0)
		uk_file_put(f);
	return fd;
}

UK_SYSCALL0(inotify_init) { return uk_sys_inotify_init1(0, 0, 0, 0, 0, 0); }

static struct watch *find_watch(struct instance *in, const struct uk_vnode *vn, int wd)
{
	struct watch *w = in->watches;

	while (w && (vn ? !is_of(w, vn) : w->wd != wd))
		w = w->in_next;
	return w;
}

static long add_watch(struct instance *in, struct uk_vnode *vn, uint32_t mask)
{
	struct watch *w = find_watch(in, vn, 0), **b;
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);

	if (w) {
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mask = (mask & IN_MASK_ADD) ? w->mask | keep : keep;
		return w->wd;
	}
	if (in->next_wd == INT32_MAX || in->user->watches >= UK_INOTIFY_MAX_WATCHES ||
	    !(w = uk_kzalloc(sizeof(*w))))
		return -ENOSPC;
	*w = (struct watch){ .in = in,
		             .mnt = vn->mnt,
		             .ino = vn->ino,
		             .vn = uk_vnode_get(vn),
		             .mask = keep,
		             .wd = ++in->next_wd };
	b = bucket(vn->mnt, vn->ino);
	w->h_next = *b;
	*b = w;
	w->in_next = in->watches;
	in->watches = w;
	nwatches++;
	in->user->watches++;
	uk_fsnotify = &fsnotify_ops;
	return w->wd;
}

UK_SYSCALL3(inotify_add_watch, int, fd, const char *, path, uint32_t, mask)
{
	struct uk_file *f;
	struct instance *in;
	struct uk_vnode *vn;
	long r;

	/* Linux's order: the mask, then the descriptor */
	if ((mask & (IN_MASK_ADD | IN_MASK_CREATE)) == (IN_MASK_ADD | IN_MASK_CREATE) ||
	    !(mask & KNOWN_BITS))
		return -EINVAL;
	if (!(in = instance_of(fd, &f)) && !f)
		return -EBADF;
	if (!in)
		r = -EINVAL;
	else if (!path)
		r = -EFAULT;
	else if (!(r = uk_path_lookup(AT_FDCWD, path,
	                              (mask & IN_DONT_FOLLOW ? 0 : UK_AT_FOLLOW) |
	                                  (mask & IN_ONLYDIR ? UK_AT_DIR : 0),
	                              &vn))) {
		r = (mask & IN_ONLYDIR) && !uk_vfs_is_dir(vn)  ? -ENOTDIR
		    : (r = uk_vfs_permission(vn, UK_MAY_READ)) ? r /* (Linux: read access) */
		                                               : add_watch(in, vn, mask);
		uk_vnode_put(vn);
	}
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(inotify_rm_watch, int, fd, int, wd)
{
	struct uk_file *f;
	struct instance *in = instance_of(fd, &f);
	struct watch *w = in ? find_watch(in, NULL, wd) : NULL;

	if (w)
		watch_drop(w, 1);
	uk_file_put(f);
	return !f ? -EBADF : w ? 0 : -EINVAL;
}
