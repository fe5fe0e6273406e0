/*
 * procfs: /proc's tree. The system's files (procfs_sys.c), /proc/self and
 * /proc/thread-self, /proc/net (if_inet6: the network's IPv6 addresses,
 * through the net room's hook), and a directory for every process, zombies too
 * (procfs_pid.c: stat, status, cmdline, maps, fd/, task/TID/, ...),
 * listed in pid order.
 *
 * A vnode below /proc/PID names its process by pid and start time, never
 * by pointer: the process is looked up (uk_proc_view) each time one is
 * used, so one that has ended, or a later one given the same pid, is not
 * taken for it. Files are generated as they are read, piece by piece
 * (struct pgen), so maps of any size is shown whole.
 *
 * /proc/PID/fd/N and /proc/PID/cwd are "magic" links: readlink gives a
 * path, but following one (path.c asks uk_procfs_magic) lands on the open
 * file's own vnode, so /dev/stdin works even for files without a name.
 */
#include <linux/capability.h>
#include <asm/statfs.h>
#include <uk/libc.h>
#include <uk/manifest.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"
#include "procfs.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define GEN_CAP 16384            /* a piece of a generated file at most */
#define LIST_COOKIE (1ull << 32) /* readdir's cookie past the fixed entries: + the last id */

struct proc_entry {
	const char *name;
	int node;
	uint32_t mode;
};

static const struct proc_entry root_entries[] = {
	{ "self", N_SELF, S_IFLNK | 0777 },
	{ "thread-self", N_THREAD_SELF, S_IFLNK | 0777 },
	{ "meminfo", N_MEMINFO, S_IFREG | 0444 },
	{ "cpuinfo", N_CPUINFO, S_IFREG | 0444 },
	{ "mounts", N_MOUNTS_LINK, S_IFLNK | 0777 },
	{ "uptime", N_UPTIME, S_IFREG | 0444 },
	{ "version", N_VERSION, S_IFREG | 0444 },
	{ "stat", N_SYSSTAT, S_IFREG | 0444 },
	{ "loadavg", N_LOADAVG, S_IFREG | 0444 },
	{ "vmstat", N_VMSTAT, S_IFREG | 0444 },
	{ "net", N_NET, S_IFDIR | 0555 },
	{ "sys", N_SYS, S_IFDIR | 0555 },
};

/* /proc/net: the network's view, the same for every process (Linux's
 * differs per network namespace; the VM has one). */
static const struct proc_entry net_entries[] = {
	{ "if_inet6", N_IF_INET6, S_IFREG | 0444 },
};

/* /proc/sys: the settings programs and entrypoint scripts read (libcap
 * counts the capabilities in cap_last_cap, scripts take an id from
 * random/uuid, redis compares somaxconn with its backlog), each uk's own
 * value. Read-only, as docker mounts /proc/sys. */
static const struct proc_entry sys_entries[] = {
	{ "fs", N_SYS_FS, S_IFDIR | 0555 },
	{ "kernel", N_SYS_KERNEL, S_IFDIR | 0555 },
	{ "net", N_SYS_NET, S_IFDIR | 0555 },
	{ "vm", N_SYS_VM, S_IFDIR | 0555 },
};
static const struct proc_entry kernel_entries[] = {
	{ "cap_last_cap", N_CAP_LAST_CAP, S_IFREG | 0444 },
	{ "hostname", N_HOSTNAME, S_IFREG | 0444 },
	{ "osrelease", N_OSRELEASE, S_IFREG | 0444 },
	{ "ostype", N_OSTYPE, S_IFREG | 0444 },
	{ "pid_max", N_PID_MAX, S_IFREG | 0444 },
	{ "random", N_SYS_RANDOM, S_IFDIR | 0555 },
};
static const struct proc_entry random_entries[] = {
	{ "boot_id", N_BOOT_ID, S_IFREG | 0444 },
	{ "uuid", N_UUID, S_IFREG | 0444 },
};
static const struct proc_entry sysnet_entries[] = {
	{ "core", N_SYS_NET_CORE, S_IFDIR | 0555 },
};
static const struct proc_entry netcore_entries[] = {
	{ "somaxconn", N_SOMAXCONN, S_IFREG | 0444 },
};
static const struct proc_entry vm_entries[] = {
	{ "max_map_count", N_MAX_MAP_COUNT, S_IFREG | 0444 },
};
static const struct proc_entry fs_entries[] = {
	{ "inotify", N_SYS_INOTIFY, S_IFDIR | 0555 },
	{ "nr_open", N_NR_OPEN, S_IFREG | 0444 },
};
static const struct proc_entry inotify_entries[] = {
	{ "max_queued_events", N_INOTIFY_QUEUED, S_IFREG | 0444 },
	{ "max_user_instances", N_INOTIFY_INSTANCES, S_IFREG | 0444 },
	{ "max_user_watches", N_INOTIFY_WATCHES, S_IFREG | 0444 },
};

#define TABLE(t) t, sizeof(t) / sizeof(t[0])

/* The system's directories below /proc, each with its entries. */
static const struct proc_dir {
	int node;
	const struct proc_entry *entries;
	size_t n;
} sys_dirs[] = {
	{ N_NET, TABLE(net_entries) },
	{ N_SYS, TABLE(sys_entries) },
	{ N_SYS_KERNEL, TABLE(kernel_entries) },
	{ N_SYS_RANDOM, TABLE(random_entries) },
	{ N_SYS_NET, TABLE(sysnet_entries) },
	{ N_SYS_NET_CORE, TABLE(netcore_entries) },
	{ N_SYS_VM, TABLE(vm_entries) },
	{ N_SYS_FS, TABLE(fs_entries) },
	{ N_SYS_INOTIFY, TABLE(inotify_entries) },
};

/* The system's directory node, or NULL (the root, a process's). */
static const struct proc_dir *sys_dir(int node)
{
	for (size_t i = 0; i < sizeof(sys_dirs) / sizeof(sys_dirs[0]); i++)
		if (sys_dirs[i].node == node)
			return &sys_dirs[i];
	return NULL;
}

/* A process's directory, and a thread's (all but task). */
static const struct proc_entry pid_entries[] = {
	{ "cgroup", N_CGROUP, S_IFREG | 0444 },
	{ "cmdline", N_CMDLINE, S_IFREG | 0444 },
	{ "comm", N_COMM, S_IFREG | 0644 },
	{ "cwd", N_CWD, S_IFLNK | 0777 },
	{ "environ", N_ENVIRON, S_IFREG | 0400 },
	{ "exe", N_EXE, S_IFLNK | 0777 },
	{ "fd", N_FD, S_IFDIR | 0500 },
	{ "fdinfo", N_FDINFO, S_IFDIR | 0500 },
	{ "limits", N_LIMITS, S_IFREG | 0444 },
	{ "maps", N_MAPS, S_IFREG | 0444 },
	{ "mountinfo", N_MOUNTINFO, S_IFREG | 0444 },
	{ "mounts", N_MOUNTS, S_IFREG | 0444 },
	{ "root", N_ROOTLINK, S_IFLNK | 0777 },
	{ "stat", N_STAT, S_IFREG | 0444 },
	{ "statm", N_STATM, S_IFREG | 0444 },
	{ "status", N_STATUS, S_IFREG | 0444 },
	{ "task", N_TASK, S_IFDIR | 0555 },
};

#define N_ROOT_ENTRIES (sizeof(root_entries) / sizeof(root_entries[0]))
#define N_PID_ENTRIES (sizeof(pid_entries) / sizeof(pid_entries[0]))

/* What a vnode below /proc/PID stands for (its priv). */
struct pid_ref {
	int node, pid, tid, fd; /* tid 0: the process itself */
	uint64_t start_ns;
};

static const struct uk_vnode_ops procfs_vops;

struct uk_procfs_hooks uk_procfs_hooks;

static uint32_t node_mode(int node)
{
	for (size_t i = 0; i < N_ROOT_ENTRIES; i++)
		if (root_entries[i].node == node)
			return root_entries[i].mode;
	for (size_t i = 0; i < N_PID_ENTRIES; i++)
		if (pid_entries[i].node == node)
			return pid_entries[i].mode;
	for (size_t d = 0; d < sizeof(sys_dirs) / sizeof(sys_dirs[0]); d++)
		for (size_t i = 0; i < sys_dirs[d].n; i++)
			if (sys_dirs[d].entries[i].node == node)
				return sys_dirs[d].entries[i].mode;
	switch (node) {
	case N_FDLINK: return S_IFLNK | 0700;
	case N_FDINFO_N: return S_IFREG | 0444;
	}
	return S_IFDIR | 0555; /* /proc, /proc/PID, task/TID */
}

/* Unique within /proc, the same from lookup and readdir (the VFS finds a
 * name by its inode number): a process's nodes by pid, a thread's by tid
 * with bit 31, descriptors' by their number. */
static uint64_t node_ino(int node, int pid, int tid, int fd)
{
	if (!pid)
		return (uint64_t)node;
	return (uint64_t)(tid ? tid : pid) << 32 | (tid ? 1ull << 31 : 0) | (uint64_t)node << 16 |
	       (uint64_t)(fd & 0xffff);
}

static const struct pid_ref *ref_of(const struct uk_vnode *vn) { return vn->priv; }

static int node_of(const struct uk_vnode *vn) { return vn->priv ? ref_of(vn)->node : (int)vn->ino; }

/* The process (or thread) r names, if it is still the one it named. */
static int view_of(const struct pid_ref *r, struct uk_proc_view *v)
{
	if (uk_proc_view(r->pid, r->tid, v) || v->start_ns != r->start_ns)
		return -ESRCH;
	return 0;
}

/* Whose a process's files are: its user's, or root's while it is not
 * dumpable (Linux's task_dump_owner). */
static unsigned owner_of(const struct uk_proc_view *v) { return v->dumpable ? v->uid : 0; }

/* Linux's ptrace read access, which a process's cwd, exe and open files
 * need: root, the process itself, or its user while it is dumpable. */
static int may_inspect(const struct uk_proc_view *v)
{
	int euid = uk_current_euid();

	return uk_capable(CAP_SYS_PTRACE) || v->pid == uk_proc_cur->pid ||
	       ((int)v->uid == euid && v->dumpable);
}

/* fd/ and fdinfo/ (mode 0500): their owner, root, or the process itself. */
static int may_list_fds(const struct uk_proc_view *v)
{
	int euid = uk_current_euid();

	return uk_capable(CAP_DAC_READ_SEARCH) || v->pid == uk_proc_cur->pid ||
	       (int)owner_of(v) == euid;
}

static struct uk_vnode *sys_vnode(struct uk_mount *mnt, int node)
{
	return uk_vnode_new(mnt, &procfs_vops, (uint64_t)node, node_mode(node), NULL);
}

/* A process's file's owner and group for the VFS's checks: as getattr
 * shows them; fd/ and fdinfo/ are the process's own whoever owns them
 * (Linux's proc_fd_permission lets the process itself in). */
static void pid_owner(struct uk_vnode *vn, const struct pid_ref *r, const struct uk_proc_view *v)
{
	vn->uid = owner_of(v);
	vn->gid = v->dumpable ? v->gid : 0;
	if ((r->node == N_FD || r->node == N_FDINFO) && v->pid == uk_proc_cur->pid)
		vn->uid = uk_proc_ids()->fsuid;
}

static int pid_vnode(struct uk_mount *mnt, const struct pid_ref *r, struct uk_vnode **out)
{
	struct pid_ref *c = uk_kmalloc(sizeof(*c));
	struct uk_proc_view v;

	if (!c)
		return -ENOMEM;
	*c = *r;
	*out = uk_vnode_new(mnt, &procfs_vops, node_ino(r->node, r->pid, r->tid, r->fd),
	                    node_mode(r->node), c);
	if (!*out) {
		uk_kfree(c);
		return -ENOMEM;
	}
	if (!view_of(r, &v))
		pid_owner(*out, r, &v);
	return 0;
}

static void procfs_release(struct uk_vnode *vn) { uk_kfree(vn->priv); }

/* ---- reading generated files ---- */

static long pf_refill(struct pgen *g)
{
	struct uk_proc_view v;
	pgen_fn gen = uk_procfs_gen(g->node);
	long r;

	if (g->pid) {
		struct pid_ref ref = { g->node, g->pid, g->tid, g->fd, g->start_ns };
		if (view_of(&ref, &v))
			return g->buf_pos || g->len ? 0 : -ESRCH; /* gone since: the end */
	}
	if (!g->buf && !(g->buf = uk_kmalloc(GEN_CAP)))
		return -ENOMEM;
	r = gen(g, g->pid ? &v : NULL, g->buf, GEN_CAP);
	return r >= GEN_CAP ? GEN_CAP - 1 : r; /* (a text cut short ends in its NUL) */
}

static long pf_read(struct uk_file *f, void *ubuf, size_t len, uint64_t *pos)
{
	struct pgen *g = f->priv;
	size_t done = 0;

	if (*pos < g->buf_pos) { /* back (a seek): from the start again */
		g->cursor = g->end = 0;
		g->done = 0;
		g->buf_pos = g->len = 0;
	}
	while (done < len) {
		if (*pos >= g->buf_pos + g->len) {
			long r;
			if (g->done)
				break;
			if ((r = pf_refill(g)) < 0)
				return done ? (long)done : r;
			g->buf_pos += g->len;
			g->len = (size_t)r;
			g->done = !r;
			continue;
		}
		size_t off = *pos - g->buf_pos, n = g->len - off;
		if (n > len - done)
			n = len - done;
		uk_memcpy((char *)ubuf + done, g->buf + off, n);
		done += n;
		*pos += n;
	}
	return (long)done;
}

static long pf_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct pgen *g = f->priv;

	if (g->node != N_COMM)
		return -EACCES;
	return uk_procfs_comm_write(g, buf, len);
}

static unsigned pf_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return EPOLLIN | EPOLLRDNORM;
}

static void pf_release(struct uk_file *f)
{
	struct pgen *g = f->priv;

	uk_kfree(g->buf);
	uk_kfree(g);
}

static const struct uk_file_ops gen_ops = {
	.read = pf_read,
	.write = pf_write,
	.poll = pf_poll,
	.release = pf_release,
};

/* Directories here are ready to read only, as the files. */
static const struct uk_file_ops dir_ops = { .poll = pf_poll };

/* ---- links ---- */

/* A process's program, for /proc/PID/exe: the loaded binary's, else (a
 * linked program has no file of its own) the manifest's argv[0] made
 * absolute. */
static long exe_path(const struct uk_proc_view *v, char *buf, size_t size)
{
	int pos = 0, len;
	const char *name;

	if (v->exe[0])
		return uk_snprintf(buf, size, "%s", v->exe);
	name = uk_mf_next(&uk_plat.mf.entrypoint, &pos, &len);
	if (!name || !name[0])
		name = "app";
	return uk_snprintf(buf, size, "%s%s", name[0] == '/' ? "" : "/", name);
}

/* A file without a path that has a name (a memfd, an O_TMPFILE's) as
 * Linux reads it: "/NAME (deleted)", after its directory's path. An
 * O_TMPFILE's descriptor keeps its name "#INO" once linkat gave the file
 * one, as Linux's (only a new open has the path). */
static long dname_text(struct uk_file *f, char *buf, size_t size)
{
	struct uk_vnode *vn = f->vn;
	char name[UK_NAME_MAX + 1];
	size_t dl = 0;

	if ((f->flags & O_TMPFILE) == O_TMPFILE)
		uk_snprintf(name, sizeof(name), "#%lu", (unsigned long)vn->ino);
	else if (!vn->ops->dname || vn->ops->dname(vn, name, sizeof(name)) < 0)
		return -ENOENT;
	if (vn->parent && !uk_vfs_path_of(vn->parent, buf, size))
		dl = uk_strlen(buf);
	if (dl == 1)
		dl = 0; /* the root: "/#12" */
	return dl + uk_snprintf(buf + dl, size - dl, "/%s (deleted)", name);
}

/* What fd/N reads: the file's path, or Linux's name for one without. */
static long fd_link_text(struct uk_file *f, char *buf, size_t size)
{
	struct stat st;
	long n;

	if (f->vn && (n = dname_text(f, buf, size)) >= 0)
		return n;
	if (f->vn && !uk_vfs_path_of(f->vn, buf, size))
		return (long)uk_strlen(buf);
	if (f->vn)
		return uk_snprintf(buf, size, "anon_inode:[deleted]");
	uk_memset(&st, 0, sizeof(st));
	if (f->ops->fstat)
		f->ops->fstat(f, &st);
	if (S_ISFIFO(st.st_mode))
		return uk_snprintf(buf, size, "pipe:[%lu]", (unsigned long)st.st_ino);
	if (S_ISSOCK(st.st_mode))
		return uk_snprintf(buf, size, "socket:[%lu]", (unsigned long)st.st_ino);
	return uk_snprintf(buf, size, "anon_inode:%s",
	                   f->ops->anon_name ? f->ops->anon_name : "[file]");
}

static long pid_link_text(const struct pid_ref *r, char *buf, size_t size)
{
	struct uk_proc_view v;
	struct uk_file *f;
	long n;

	if (view_of(r, &v))
		return -ENOENT;
	if ((r->node != N_ROOTLINK || v.root) && !may_inspect(&v))
		return -EACCES;
	switch (r->node) {
	case N_EXE: return exe_path(&v, buf, size);
	case N_ROOTLINK: /* a chrooted process's root as the reader names it */
		if (!v.root)
			return uk_snprintf(buf, size, "/");
		return uk_vfs_path_of(v.root, buf, size) ?: (long)uk_strlen(buf);
	case N_CWD:
		if (!v.cwd)
			return -ENOENT;
		return uk_vfs_path_of(v.cwd, buf, size) ?: (long)uk_strlen(buf);
	case N_FDLINK:
		if (!(f = uk_fdt_get(v.files, r->fd, NULL)))
			return -ENOENT;
		n = fd_link_text(f, buf, size);
		uk_file_put(f);
		return n;
	}
	return -EINVAL;
}

static long procfs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	char *tmp = uk_kmalloc(UK_PATH_MAX);
	long n = -EINVAL;

	if (!tmp)
		return -ENOMEM;
	if (vn->priv)
		n = pid_link_text(ref_of(vn), tmp, UK_PATH_MAX);
	else if (vn->ino == N_SELF)
		n = uk_snprintf(tmp, UK_PATH_MAX, "%d", uk_proc_cur->pid);
	else if (vn->ino == N_THREAD_SELF)
		n = uk_snprintf(tmp, UK_PATH_MAX, "%d/task/%d", uk_proc_cur->pid,
		                uk_current && (uk_current->flags & UK_TF_APP) ? uk_current->tid
		                                                              : uk_proc_cur->pid);
	else if (vn->ino == N_MOUNTS_LINK)
		n = uk_snprintf(tmp, UK_PATH_MAX, "self/mounts");
	if (n > (long)UK_PATH_MAX - 1)
		n = UK_PATH_MAX - 1;
	if (n > 0) {
		if ((size_t)n > len)
			n = (long)len;
		uk_memcpy(buf, tmp, n);
	}
	uk_kfree(tmp);
	return n;
}

int uk_procfs_magic(struct uk_vnode *vn, struct uk_vnode **target)
{
	const struct pid_ref *r;
	struct uk_proc_view v;
	struct uk_file *f;

	if (vn->ops != &procfs_vops || !vn->priv)
		return 0;
	r = ref_of(vn);
	if (r->node != N_CWD && r->node != N_FDLINK && r->node != N_ROOTLINK)
		return 0;
	if (view_of(r, &v))
		return -ENOENT;
	if (r->node == N_ROOTLINK && !v.root)
		return 0; /* ("/": the VFS root, as its text says) */
	if (!may_inspect(&v))
		return -EACCES;
	if (r->node == N_CWD || r->node == N_ROOTLINK) {
		if (!(r->node == N_CWD ? v.cwd : v.root))
			return -ENOENT;
		*target = uk_vnode_get(r->node == N_CWD ? v.cwd : v.root);
		return 1;
	}
	if (!(f = uk_fdt_get(v.files, r->fd, NULL)))
		return -ENOENT;
	*target = f->vn ? uk_vnode_get(f->vn) : NULL;
	uk_file_put(f);
	return *target ? 1 : -ENXIO;
}

/* ---- lookup ---- */

/* A decimal id without sign or leading zero, else -1. */
static int parse_id(const char *s)
{
	long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static int lookup_root(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct uk_proc_view v;
	struct pid_ref r = { N_PIDDIR, 0, 0, 0, 0 };

	const struct proc_dir *d = sys_dir((int)dir->ino);

	if (d) {
		for (size_t i = 0; i < d->n; i++)
			if (!uk_strcmp(d->entries[i].name, name))
				return (*out = sys_vnode(dir->mnt, d->entries[i].node)) ? 0
				                                                        : -ENOMEM;
		return -ENOENT;
	}
	for (size_t i = 0; i < N_ROOT_ENTRIES; i++)
		if (!uk_strcmp(root_entries[i].name, name))
			return (*out = sys_vnode(dir->mnt, root_entries[i].node)) ? 0 : -ENOMEM;
	if ((r.pid = parse_id(name)) <= 0)
		return -ENOENT;
	if (uk_proc_view(r.pid, 0, &v)) {
		/* a thread's id: its process as that thread sees it (Linux
		 * answers /proc/TID, and lists only processes) */
		r.tid = r.pid;
		if (!(r.pid = uk_proc_thread_pid(r.tid)) || uk_proc_view(r.pid, 0, &v))
			return -ENOENT;
	}
	r.start_ns = v.start_ns;
	return pid_vnode(dir->mnt, &r, out);
}

static int lookup_pid(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct pid_ref r = *ref_of(dir);
	struct uk_proc_view v;
	struct uk_file *f;
	int id;

	if (view_of(&r, &v))
		return -ENOENT;
	switch (r.node) {
	case N_PIDDIR:
	case N_TASKDIR:
		for (size_t i = 0; i < N_PID_ENTRIES; i++)
			if (!uk_strcmp(pid_entries[i].name, name) &&
			    !(r.node == N_TASKDIR && pid_entries[i].node == N_TASK)) {
				r.node = pid_entries[i].node;
				return pid_vnode(dir->mnt, &r, out);
			}
		return -ENOENT;
	case N_TASK:
		if ((id = parse_id(name)) <= 0 || uk_proc_view(r.pid, id, &v))
			return -ENOENT;
		r.node = N_TASKDIR;
		r.tid = id;
		return pid_vnode(dir->mnt, &r, out);
	case N_FD:
	case N_FDINFO:
		if (!may_list_fds(&v))
			return -EACCES;
		if ((id = parse_id(name)) < 0 || !(f = uk_fdt_get(v.files, id, NULL)))
			return -ENOENT;
		uk_file_put(f);
		r.node = r.node == N_FD ? N_FDLINK : N_FDINFO_N;
		r.fd = id;
		return pid_vnode(dir->mnt, &r, out);
	}
	return -ENOENT;
}

static int procfs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	return dir->priv ? lookup_pid(dir, name, out) : lookup_root(dir, name, out);
}

/* ---- readdir ---- */

static int emit_id(uk_dirent_fn emit, void *ctx, int id, uint64_t ino, unsigned type)
{
	char name[16];

	uk_snprintf(name, sizeof(name), "%d", id);
	return emit(ctx, name, ino, type);
}

/* Entries by index from cookie 2 (after "." and ".."); skip: a node left out. */
static int readdir_table(const struct proc_entry *t, size_t n, const struct pid_ref *r,
                         uint64_t *cookie, uk_dirent_fn emit, void *ctx, int skip)
{
	for (; *cookie - 2 < n; ++*cookie) {
		const struct proc_entry *e = &t[*cookie - 2];
		if (e->node == skip)
			continue;
		if (emit(ctx, e->name, r ? node_ino(e->node, r->pid, r->tid, 0) : (uint64_t)e->node,
		         (e->mode & S_IFMT) >> 12))
			return 1;
	}
	return 0;
}

static int readdir_root(uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	if (*cookie < LIST_COOKIE) {
		if (readdir_table(root_entries, N_ROOT_ENTRIES, NULL, cookie, emit, ctx, 0))
			return 0;
		*cookie = LIST_COOKIE;
	}
	for (int pid = uk_proc_next((int)(*cookie - LIST_COOKIE)); pid; pid = uk_proc_next(pid)) {
		if (emit_id(emit, ctx, pid, node_ino(N_PIDDIR, pid, 0, 0), DT_DIR))
			return 0;
		*cookie = LIST_COOKIE + (uint64_t)pid;
	}
	return 0;
}

static int readdir_tasks(const struct pid_ref *r, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	if (*cookie < LIST_COOKIE)
		*cookie = LIST_COOKIE;
	for (int tid = uk_proc_thread_next(r->pid, (int)(*cookie - LIST_COOKIE)); tid;
	     tid = uk_proc_thread_next(r->pid, tid)) {
		if (emit_id(emit, ctx, tid, node_ino(N_TASKDIR, r->pid, tid, 0), DT_DIR))
			return 0;
		*cookie = LIST_COOKIE + (uint64_t)tid;
	}
	return 0;
}

static int readdir_fds(const struct pid_ref *r, struct uk_fdtable *t, uint64_t *cookie,
                       uk_dirent_fn emit, void *ctx)
{
	int max = uk_fdt_max(t), link = r->node == N_FD;

	if (*cookie - 2 >= (uint64_t)max)
		return 0; /* past the last descriptor (or a cookie from lseek) */
	for (int fd = (int)(*cookie - 2); fd < max; fd++, *cookie = (uint64_t)fd + 2) {
		struct uk_file *f = uk_fdt_get(t, fd, NULL);
		if (!f)
			continue;
		uk_file_put(f);
		if (emit_id(emit, ctx, fd,
		            node_ino(link ? N_FDLINK : N_FDINFO_N, r->pid, r->tid, fd),
		            link ? DT_LNK : DT_REG))
			return 0;
	}
	*cookie = 2 + (uint64_t)max;
	return 0;
}

static int procfs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	const struct pid_ref *r = dir->priv;
	const struct proc_dir *d;
	struct uk_proc_view v;

	if (*cookie == 0) {
		if (emit(ctx, ".", dir->ino, DT_DIR))
			return 0;
		*cookie = 1;
	}
	if (*cookie == 1) {
		/* (the VFS knows the parent: its number only has to be a directory's) */
		if (emit(ctx, "..", N_ROOT, DT_DIR))
			return 0;
		*cookie = 2;
	}
	if (!r && (d = sys_dir((int)dir->ino))) {
		readdir_table(d->entries, d->n, NULL, cookie, emit, ctx, 0);
		return 0;
	}
	if (!r)
		return readdir_root(cookie, emit, ctx);
	if (view_of(r, &v))
		return 0; /* gone: nothing left in it */
	switch (r->node) {
	case N_PIDDIR:
	case N_TASKDIR:
		readdir_table(pid_entries, N_PID_ENTRIES, r, cookie, emit, ctx,
		              r->node == N_TASKDIR ? N_TASK : 0);
		return 0;
	case N_TASK: return readdir_tasks(r, cookie, emit, ctx);
	case N_FD:
	case N_FDINFO: return readdir_fds(r, v.files, cookie, emit, ctx);
	}
	return 0;
}

/* ---- attributes, open ---- */

static int procfs_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct __kernel_timespec boot = uk_vfs_now();
	struct uk_proc_view v;

	boot.tv_sec -= (long long)(uk_monotonic_ns() / 1000000000);
	uk_memset(st, 0, sizeof(*st));
	st->st_dev = 4;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = uk_vfs_is_dir(vn) ? 2 : 1;
	st->st_blksize = 1024;
	st->st_atime = st->st_mtime = st->st_ctime = boot.tv_sec;
	if (vn->priv && !view_of(ref_of(vn), &v)) { /* a process's: its owner's, from its start */
		st->st_uid = owner_of(&v);
		st->st_gid = v.dumpable ? v.gid : 0;
		pid_owner(vn, ref_of(vn), &v); /* (it may have changed since) */
		st->st_atime = st->st_mtime = st->st_ctime =
		    boot.tv_sec + (long long)(v.start_ns / 1000000000);
	}
	return 0;
}

/* Linux's checks of a process's files: environ (mode 0400) is read by
 * its owner (root's while the process is not dumpable, even for the
 * process itself) or root; fd/ and fdinfo/ as may_list_fds; comm is
 * written by its owner or root (the write itself only by the process:
 * uk_procfs_comm_write). */
static int may_open(const struct pid_ref *r, int node, int write)
{
	struct uk_proc_view v;
	int euid = uk_current_euid();

	if (uk_capable(CAP_SYS_PTRACE) ||
	    (node != N_ENVIRON && node != N_FD && node != N_FDINFO && !(node == N_COMM && write)))
		return 0;
	if (view_of(r, &v))
		return -ESRCH;
	if (node == N_FD || node == N_FDINFO)
		return may_list_fds(&v) ? 0 : -EACCES;
	return (int)owner_of(&v) == euid ? 0 : -EACCES;
}

static int procfs_open(struct uk_vnode *vn, struct uk_file *f)
{
	const struct pid_ref *r = vn->priv;
	int node = node_of(vn), e;
	struct pgen *g;

	if (uk_vfs_is_dir(vn)) {
		f->ops = &dir_ops;
		return r ? may_open(r, node, 0) : 0;
	}
	if (!uk_procfs_gen(node))
		return -ELOOP;
	if ((f->flags & O_ACCMODE) != O_RDONLY && node != N_COMM)
		return -EACCES;
	if (r && (e = may_open(r, node, (f->flags & O_ACCMODE) != O_RDONLY)))
		return e;
	if (!(g = uk_kzalloc(sizeof(*g))))
		return -ENOMEM;
	g->node = node;
	if (r) {
		g->pid = r->pid;
		g->tid = r->tid;
		g->fd = r->fd;
		g->start_ns = r->start_ns;
	}
	f->ops = &gen_ops;
	f->priv = g;
	return 0;
}

static int procfs_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = PROC_SUPER_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = UK_NAME_MAX;
	return 0;
}

static const struct uk_vnode_ops procfs_vops = {
	.lookup = procfs_lookup,
	.readlink = procfs_readlink,
	.getattr = procfs_getattr,
	.open = procfs_open,
	.readdir = procfs_readdir,
	.statfs = procfs_statfs,
	.release = procfs_release,
};

static int procfs_mount(struct uk_mount *mnt, const char *source, const void *data,
                        struct uk_vnode **root)
{
	return (*root = sys_vnode(mnt, N_ROOT)) ? 0 : -ENOMEM;
}

const struct uk_fs_type uk_procfs_type = {
	.name = "proc",
	.mount = procfs_mount,
};
