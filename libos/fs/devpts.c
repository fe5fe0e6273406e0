/*
 * Pseudo-terminals, as Linux's devpts gives them (pty(7)): each open of
 * /dev/ptmx makes a pair, its master the open file, its slave the
 * terminal /dev/pts/N (uk/tty.h's line discipline). What the master
 * writes is the terminal's input; what the terminal outputs the master
 * reads.
 *
 * devpts is mounted at /dev/pts: a node per pair whose master is open,
 * named by its number, mode 0620, owned by the opener and by group tty
 * where /etc/group has one (Linux's devpts with gid=5,mode=620, as
 * container runtimes mount it), and ptmx (mode 0000, as Linux's). A new
 * pair is locked until unlockpt (TIOCSPTLCK): its slave opens fail with
 * EIO until then. Closing the master hangs the terminal up; the master's
 * reads fail with EIO once the slave's last file closed (after the output
 * left behind). Numbers start at 1 when the console is a terminal: its
 * st_rdev is /dev/pts/0's, as in a container given a terminal.
 */
#include <asm/statfs.h>
#include <linux/capability.h>
#include <uk/console.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/poll.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

#define DEVPTS_MAGIC 0x1cd1
#define PTY_MAX 4096  /* /proc/sys/kernel/pty/max */
#define PTY_OUT 16384 /* output the master has not read yet */
/* Input the master wrote that the line discipline has no room for yet:
 * Linux's flip buffers hold ~16 KiB more (a pair's writer not read from
 * queues 20 KiB in all there, measured on 6.18), so a paste or a
 * program's burst does not block its writer at the line discipline's
 * 4 KiB. */
#define PTY_IN 16384
#define INO_ROOT 1
#define INO_PTMX 2
#define INO_PTS0 3   /* /dev/pts/N is inode N + 3 */
#define PTS_DEV 0x1d /* st_dev of the nodes: devpts's own */

struct pty {
	struct uk_tty tty;   /* the slave's terminal (first: the driver's ops get it) */
	int locked;          /* until unlockpt */
	int master;          /* its master is open */
	int slaves;          /* open files of the slave */
	int slave_gone;      /* the slave's last file closed: master reads EIO */
	int pkt, pkt_status; /* TIOCPKT: packet mode, and the status byte to read */
	uint32_t uid, gid, mode;
	struct __kernel_timespec born;
	struct uk_vnode *vn; /* /dev/pts/N (referenced) */
	char out[PTY_OUT];   /* ring: the terminal's output */
	size_t ohead, olen;
	char in[PTY_IN]; /* ring: the master's writes the line discipline has not taken */
	size_t ihead, ilen;
	int feeding;      /* in feed_input (an INTR's flush calls back from inside) */
	struct uk_wq mwq; /* master readers: output, or the slave's last close */
	struct pty *next; /* by number, until both ends are gone (its number is taken) */
};

static struct pty *ptys; /* every pair not freed yet, by number */
static unsigned npairs;  /* every pair not freed yet */
static struct uk_mount *pts_mnt;
static struct uk_vnode *pts_root, *pts_ptmx;

static const struct uk_vnode_ops devpts_vops;
static const struct uk_file_ops master_ops, slave_ops;

/* ---- the terminal's output: the driver's side ---- */

static struct pty *pty_of(struct uk_tty *t) { return (struct pty *)t; }

static size_t out_room(struct uk_tty *t) { return PTY_OUT - pty_of(t)->olen; }

static void out_put(struct uk_tty *t, const char *buf, size_t n)
{
	struct pty *p = pty_of(t);

	for (size_t i = 0; i < n; i++)
		p->out[(p->ohead + p->olen++) % PTY_OUT] = buf[i];
	if (n)
		uk_wq_wake(&p->mwq, -1);
}

/* (TIOCOUTQ: 0, as Linux's pseudo-terminals say: what the slave writes is
 * the master's input at once) */
static size_t out_pending(struct uk_tty *t) { return 0; }

static void out_flush(struct uk_tty *t)
{
	struct pty *p = pty_of(t);

	p->ohead = p->olen = 0;
	if (p->pkt) {
		p->pkt_status |= TIOCPKT_FLUSHWRITE;
		uk_wq_wake(&p->mwq, -1);
	}
}

/* Queued input into the line discipline, as far as it takes it. */
static void feed_input(struct uk_tty *t)
{
	struct pty *p = pty_of(t);
	size_t n, took;

	if (p->feeding)
		return;
	p->feeding = 1;
	while (p->ilen) {
		n = PTY_IN - p->ihead < p->ilen ? PTY_IN - p->ihead : p->ilen;
		took = uk_tty_receive(t, p->in + p->ihead, n);
		p->ihead = (p->ihead + took) % PTY_IN;
		p->ilen -= took;
		if (took < n)
			break;
	}
	if (!p->ilen)
		p->ihead = 0;
	p->feeding = 0;
}

static void in_flush(struct uk_tty *t) { pty_of(t)->ihead = pty_of(t)->ilen = 0; }

static const struct uk_tty_ops pty_tty_ops = {
	.room = out_room,
	.put = out_put,
	.pending = out_pending,
	.flush = out_flush,
	.input_room = feed_input,
	.input_flush = in_flush,
};

/* ---- pairs ---- */

/* Group tty's id from /etc/group, else the opener's group (-1: not
 * read yet). */
static int tty_group = -1;

/* The id on a line "tty:x:ID:..." of /etc/group's text, or -2. */
static int group_tty(const char *g, long n)
{
	for (long i = 0; i + 4 <= n; i++) {
		if ((i && g[i - 1] != '\n') || uk_strncmp(g + i, "tty:", 4))
			continue;
		for (i += 4; i < n && g[i] != ':' && g[i] != '\n'; i++)
			;
		if (i < n && g[i] == ':' && i + 1 < n && g[i + 1] >= '0' && g[i + 1] <= '9') {
			int id = 0;
			for (i++; i < n && g[i] >= '0' && g[i] <= '9'; i++)
				id = id * 10 + (g[i] - '0');
			return id;
		}
	}
	return -2;
}

static uint32_t pts_gid(void)
{
	char *buf;
	long n;

	if (tty_group == -1 && (buf = uk_kmalloc(16384))) {
		n = uk_vfs_read_file("/etc/group", buf, 16384);
		tty_group = group_tty(buf, n);
		uk_kfree(buf);
	}
	return tty_group >= 0 ? (uint32_t)tty_group : (uint32_t)uk_current_egid();
}

/* The lowest free number (0 is the console's when it is a terminal) and
 * where its pair goes in the list. */
static unsigned free_index(struct pty ***at)
{
	unsigned i = uk_console_isatty(0) || uk_console_isatty(1) ? 1 : 0;
	struct pty **pp = &ptys;

	for (; *pp && (*pp)->tty.index <= i; pp = &(*pp)->next)
		if ((*pp)->tty.index == i)
			i++;
	*at = pp;
	return i;
}

static void pty_free(struct pty *p)
{
	for (struct pty **pp = &ptys; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	uk_tty_forget(&p->tty);
	if (p->vn) {
		p->vn->priv = NULL;
		uk_vnode_put(p->vn);
	}
	uk_pages_free(p, (sizeof(*p) + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE);
	npairs--;
}

/* /dev/ptmx: a new pair, f its master. */
static int ptmx_open(struct uk_file *f)
{
	struct pty **at, *p;
	unsigned index = free_index(&at);

	if (!pts_mnt)
		return -ENODEV;
	if (index >= PTY_MAX)
		return -ENOSPC;
	if (!(p = uk_pages_alloc((sizeof(*p) + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE)))
		return -ENOMEM;
	uk_memset(p, 0, sizeof(*p));
	p->vn = uk_vnode_new(pts_mnt, &devpts_vops, INO_PTS0 + index, S_IFCHR | 0620, p);
	if (!p->vn) {
		uk_pages_free(p, (sizeof(*p) + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE);
		return -ENOMEM;
	}
	uk_vfs_set_parent(p->vn, pts_root);
	npairs++;
	uk_tty_init(&p->tty, &pty_tty_ops, index);
	p->locked = p->master = 1;
	p->uid = p->vn->uid = (uint32_t)uk_proc_ids()->fsuid;
	p->gid = p->vn->gid = pts_gid();
	p->mode = 0620;
	p->born = uk_vfs_now();
	p->next = *at;
	*at = p;
	f->ops = &master_ops;
	f->priv = p;
	return 0;
}

/* ---- the master ---- */

static int nonblock(const struct uk_file *f) { return (f->flags & O_NONBLOCK) != 0; }

static size_t out_take(struct pty *p, char *buf, size_t len)
{
	size_t n = 0;

	while (p->olen && n < len) {
		buf[n++] = p->out[p->ohead];
		p->ohead = (p->ohead + 1) % PTY_OUT;
		p->olen--;
	}
	if (!p->olen)
		p->ohead = 0;
	uk_tty_output_room(&p->tty);
	return n;
}

static long master_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct pty *p = f->priv;
	char *b = buf;
	int r;

	if (!len)
		return 0;
	for (;;) {
		if (p->pkt && p->pkt_status) {
			b[0] = (char)p->pkt_status;
			p->pkt_status = 0;
			return 1;
		}
		if (p->olen) {
			if (!p->pkt)
				return (long)out_take(p, b, len);
			b[0] = TIOCPKT_DATA;
			return 1 + (long)out_take(p, b + 1, len - 1);
		}
		if (p->slave_gone)
			return -EIO;
		if (nonblock(f))
			return -EAGAIN;
		r = uk_wait_event(&p->mwq, p->olen || p->slave_gone || (p->pkt && p->pkt_status),
		                  0);
		if (r)
			return r;
	}
}

/* Input goes to the line discipline, what it has no room for to the
 * queue behind it (in order: straight in only while the queue is empty). */
static size_t input_take(struct pty *p, const char *buf, size_t len)
{
	size_t done = 0;

	feed_input(&p->tty);
	if (!p->ilen)
		done = uk_tty_receive(&p->tty, buf, len);
	while (done < len && p->ilen < PTY_IN)
		p->in[(p->ihead + p->ilen++) % PTY_IN] = buf[done++];
	return done;
}

static int input_room(struct pty *p) { return p->ilen < PTY_IN || p->tty.hung; }

static long master_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct pty *p = f->priv;
	size_t done = 0;
	int r;

	while (done < len) {
		done += input_take(p, (const char *)buf + done, len - done);
		if (done == len)
			break;
		if (nonblock(f))
			return done ? (long)done : -EAGAIN;
		r = uk_wait_event(&p->tty.inroom, input_room(p), 0);
		if (r)
			return done ? (long)done : r;
	}
	return (long)done;
}

static unsigned master_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct pty *p = f->priv;
	unsigned mask = 0;

	uk_poll_wait(pt, &p->mwq);
	uk_poll_wait(pt, &p->tty.inroom);
	if (p->olen)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (p->pkt && p->pkt_status)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLPRI;
	if (p->slave_gone)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP; /* (a read fails at once) */
	if (input_room(p))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* TIOCGPTPEER: the slave opened with flags, as a new descriptor. Linux's
 * ptm_open_peer takes any flags: O_DIRECT fails (devpts cannot do it),
 * those that mean something only to a path's open do nothing. */
static long open_peer(struct pty *p, unsigned long flags)
{
	struct uk_file *sf;
	int r;

	if (flags & O_DIRECT)
		return -EINVAL;
	flags &= ~(unsigned long)(O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY);
	if ((r = uk_vfs_open_vnode(p->vn, (unsigned)flags, &sf)))
		return r;
	if ((r = uk_fd_install(sf, 0, flags & O_CLOEXEC)) < 0)
		uk_file_put(sf);
	return r;
}

/* The master's own requests, and those whose meaning differs on it; the
 * others are the terminal's, as on Linux (termios, window size). */
static long master_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct pty *p = f->priv;

	switch (req) {
	case TIOCGPTN: *(unsigned *)arg = p->tty.index; return 0;
	case TIOCSPTLCK: p->locked = *(int *)arg != 0; return 0;
	case TIOCGPTLCK: *(int *)arg = p->locked; return 0;
	case TIOCGPTPEER: return open_peer(p, (unsigned long)arg);
	case TIOCPKT:
		p->pkt = *(int *)arg != 0;
		p->pkt_status = 0;
		return 0;
	case TIOCGPKT: *(int *)arg = p->pkt; return 0;
	case FIONREAD: *(int *)arg = (int)p->olen; return 0;
	case TIOCOUTQ: *(int *)arg = 0; return 0; /* (what it writes is input at once) */
	case TCFLSH: {
		/* the master's input is the terminal's output, and its output
		 * the terminal's input */
		unsigned long how = (unsigned long)arg;
		if (how > TCIOFLUSH)
			return -EINVAL;
		if (how != TCOFLUSH) {
			p->ohead = p->olen = 0;
			uk_tty_output_room(&p->tty);
		}
		if (how != TCIFLUSH)
			uk_tty_ioctl(&p->tty, f, TCFLSH, (void *)TCIFLUSH, 1);
		return 0;
	}
	}
	return uk_tty_ioctl(&p->tty, f, req, arg, 1);
}

static void master_release(struct uk_file *f)
{
	struct pty *p = f->priv;

	p->master = 0; /* (its node goes; its number stays taken while the slave is open, as
	                * Linux's devpts keeps it) */
	uk_tty_hangup(&p->tty);
	if (!p->slaves)
		pty_free(p);
}

static long pty_llseek(struct uk_file *f, int64_t off, int whence) { return -ESPIPE; }

static const struct uk_file_ops master_ops = {
	.read = master_read,
	.write = master_write,
	.poll = master_poll,
	.ioctl = master_ioctl,
	.release = master_release,
	.llseek = pty_llseek,
};

/* ---- the slave ---- */

static long slave_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	return uk_tty_read(&((struct pty *)f->priv)->tty, f, buf, len);
}

static long slave_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	return uk_tty_write(&((struct pty *)f->priv)->tty, f, buf, len);
}

static unsigned slave_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return uk_tty_poll(&((struct pty *)f->priv)->tty, pt);
}

static long slave_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct pty *p = f->priv;

	if (p->tty.hung)
		return req == TIOCSPGRP ? -ENOTTY : -EIO; /* as Linux's hung-up terminal */
	if (req == TIOCGDEV) {
		*(unsigned *)arg = (unsigned)uk_tty_pts_dev(p->tty.index);
		return 0;
	}
	return uk_tty_ioctl(&p->tty, f, req, arg, 0);
}

static void slave_release(struct uk_file *f)
{
	struct pty *p = f->priv;

	if (--p->slaves)
		return;
	if (p->master) {
		p->slave_gone = 1;
		uk_wq_wake(&p->mwq, -1);
	} else {
		pty_free(p);
	}
}

static const struct uk_file_ops slave_ops = {
	.read = slave_read,
	.write = slave_write,
	.poll = slave_poll,
	.ioctl = slave_ioctl,
	.release = slave_release,
	.llseek = pty_llseek,
};

/* f opens pair p's slave (its flags decide about the controlling
 * terminal). */
static int slave_open(struct pty *p, struct uk_file *f)
{
	if (!p || !p->master || p->tty.hung)
		return -EIO;
	if (p->locked)
		return -EIO;
	if (p->tty.exclusive && !uk_capable(CAP_SYS_ADMIN))
		return -EBUSY;
	f->ops = &slave_ops;
	f->priv = p;
	p->slaves++;
	p->slave_gone = 0;
	uk_tty_opened(&p->tty, f->flags);
	return 0;
}

/* /dev/tty, when the caller's controlling terminal is one of these. */
static int ctty_open(struct uk_file *f)
{
	struct uk_tty *t = uk_tty_ctty();
	int r;

	if (!t)
		return 0;
	return (r = slave_open(pty_of(t), f)) ? r : 1;
}

/* ---- the file system ---- */

static int devpts_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	unsigned long n = 0;
	const char *c = name;

	if (!uk_strcmp(name, "ptmx")) {
		*out = uk_vnode_get(pts_ptmx);
		return 0;
	}
	for (; *c >= '0' && *c <= '9' && n < PTY_MAX; c++)
		n = n * 10 + (unsigned long)(*c - '0');
	if (*c || c == name || (name[0] == '0' && name[1]))
		return -ENOENT;
	for (struct pty *p = ptys; p; p = p->next) {
		if (p->tty.index == n && p->master) {
			*out = uk_vnode_get(p->vn);
			return 0;
		}
	}
	return -ENOENT;
}

/* Cookies: 0 ".", 1 "..", 2 "ptmx", 3 + N the pair numbered N. */
static int devpts_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	struct uk_vnode *up = dir->parent ? dir->parent : dir;
	char name[16];

	for (; *cookie < 3; ++*cookie) {
		uint64_t c = *cookie;
		if (emit(ctx,
		         c == 0   ? "."
		         : c == 1 ? ".."
		                  : "ptmx",
		         c == 0   ? INO_ROOT
		         : c == 1 ? up->ino
		                  : INO_PTMX,
		         c < 2 ? DT_DIR : 2))
			return 0;
	}
	for (struct pty *p = ptys; p; p = p->next) {
		if (INO_PTS0 + p->tty.index < *cookie || !p->master)
			continue;
		uk_snprintf(name, sizeof(name), "%u", p->tty.index);
		if (emit(ctx, name, INO_PTS0 + p->tty.index, 2 /* DT_CHR */))
			return 0;
		*cookie = INO_PTS0 + p->tty.index + 1;
	}
	return 0;
}

static int devpts_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct pty *p = vn->priv;

	uk_memset(st, 0, sizeof(*st));
	st->st_dev = PTS_DEV;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = vn->ino == INO_ROOT ? 2 : 1;
	st->st_blksize = 1024;
	if (vn->ino == INO_PTMX)
		st->st_rdev = (5 << 8) | 2;
	if (vn->ino < INO_PTS0)
		return 0;
	if (!p)
		return -ENOENT;
	st->st_mode = S_IFCHR | p->mode;
	st->st_uid = p->uid;
	st->st_gid = p->gid;
	st->st_rdev = uk_tty_pts_dev(p->tty.index);
	st->st_atime = st->st_mtime = st->st_ctime = p->born.tv_sec;
	return 0;
}

/* sshd and grantpt give a terminal to its user: chown, chmod. */
static int devpts_setattr(struct uk_vnode *vn, const struct uk_setattr *a)
{
	struct pty *p = vn->priv;

	if (a->mask & UK_SA_SIZE)
		return -EINVAL;
	if (vn->ino < INO_PTS0) {
		if (a->mask & UK_SA_MODE)
			vn->mode = (vn->mode & S_IFMT) | (a->mode & 07777);
		return 0;
	}
	if (!p)
		return -ENOENT;
	if (a->mask & UK_SA_MODE) {
		p->mode = a->mode & 07777;
		vn->mode = S_IFCHR | p->mode;
	}
	if (a->mask & UK_SA_UID)
		p->uid = vn->uid = a->uid;
	if (a->mask & UK_SA_GID)
		p->gid = vn->gid = a->gid;
	return 0;
}

static int devpts_open(struct uk_vnode *vn, struct uk_file *f)
{
	switch (vn->ino) {
	case INO_ROOT: f->ops = &uk_dir_fops; return 0;
	case INO_PTMX: return ptmx_open(f);
	}
	return slave_open(vn->priv, f);
}

static int devpts_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = DEVPTS_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = UK_NAME_MAX;
	return 0;
}

static const struct uk_vnode_ops devpts_vops = {
	.lookup = devpts_lookup,
	.getattr = devpts_getattr,
	.setattr = devpts_setattr,
	.open = devpts_open,
	.readdir = devpts_readdir,
	.statfs = devpts_statfs,
};

/* One instance, as a container has. */
static int devpts_mount(struct uk_mount *mnt, const char *source, const void *data,
                        struct uk_vnode **root)
{
	if (pts_mnt)
		return -EBUSY; /* (no second instance: one container) */
	pts_root = uk_vnode_new(mnt, &devpts_vops, INO_ROOT, S_IFDIR | 0755, NULL);
	pts_ptmx = uk_vnode_new(mnt, &devpts_vops, INO_PTMX, S_IFCHR, NULL);
	if (!pts_root || !pts_ptmx) {
		if (pts_root)
			uk_vnode_put(pts_root);
		if (pts_ptmx)
			uk_vnode_put(pts_ptmx);
		pts_root = pts_ptmx = NULL;
		return -ENOMEM;
	}
	uk_vfs_set_parent(pts_ptmx, pts_root);
	pts_mnt = mnt;
	*root = uk_vnode_get(pts_root);
	return 0;
}

/* (its pairs' nodes point at the mount: it stays while they exist) */
static int devpts_busy(struct uk_mount *mnt) { return npairs != 0; }

static void devpts_unmount(struct uk_mount *mnt)
{
	uk_vnode_put(pts_ptmx);
	uk_vnode_put(pts_root); /* (ours from its making; the VFS puts the one it was given) */
	pts_mnt = NULL;
	pts_root = pts_ptmx = NULL;
}

static const struct uk_fs_type devpts_type = {
	.name = "devpts",
	.mount = devpts_mount,
	.unmount = devpts_unmount,
	.busy = devpts_busy,
};

static const struct uk_pty_hooks devpts_hooks = {
	.fs = &devpts_type,
	.open_ptmx = ptmx_open,
	.open_ctty = ctty_open,
	.of_session = uk_tty_of_session,
	.leader_exit = uk_tty_leader_exit,
};

void uk_devpts_init(void) { uk_ptys = &devpts_hooks; }
