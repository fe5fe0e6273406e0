/*
 * What /proc/PID (and /proc/PID/task/TID) shows of a process: stat,
 * status, statm, cmdline, comm, environ, maps, limits, mounts, mountinfo
 * and fdinfo/N, as Linux lays them out (procps, busybox ps, glibc and
 * the JVMs read them). Each piece is made from a view of the process
 * taken when it is read (uk_proc_view), never from memory kept since the
 * open: a process may end in between.
 */
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/manifest.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/signal.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"
#include "procfs.h"

#define TICK_NS 10000000ull /* USER_HZ: 100 ticks a second */
#define PAGE 4096

static const char *state_name(char s)
{
	return s == 'R'   ? "R (running)"
	       : s == 'Z' ? "Z (zombie)"
	       : s == 'T' ? "T (stopped)"
	                  : "S (sleeping)";
}

static void usage(const struct uk_proc_view *v, uint64_t *size, uint64_t *rss)
{
	*size = *rss = 0;
	if (v->mm && uk_procfs_hooks.usage)
		uk_procfs_hooks.usage(v->mm, size, rss);
}

/* Linux's do_task_stat, field by field (man 5 proc). */
static long gen_stat(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t vsize, rss;
	unsigned tty_nr = 0;
	int tpgid = -1;

	if (g->cursor++)
		return 0;
	usage(v, &vsize, &rss);
	if (uk_ptys)
		uk_ptys->of_session(v->sid, &tty_nr, &tpgid);
	return uk_snprintf(
	    buf, size,
	    "%d (%s) %c %d %d %d %u %d 4194560 0 0 0 0 %lu 0 %lu 0 20 0 %u 0 %lu %lu %lu "
	    "18446744073709551615 0 0 %lu 0 0 %lu %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 0 0 0 %lu %lu "
	    "%lu %lu %d\n",
	    g->tid ? v->tid : v->pid, v->comm, v->state, v->ppid, v->pgid, v->sid, tty_nr, tpgid,
	    (unsigned long)(v->cpu_ns / TICK_NS), (unsigned long)(v->child_cpu_ns / TICK_NS),
	    v->nthreads, (unsigned long)(v->start_ns / TICK_NS), (unsigned long)vsize,
	    (unsigned long)(rss / PAGE), (unsigned long)v->stack_start,
	    (unsigned long)(v->sig_pending | v->sig_shared), (unsigned long)v->sig_blocked,
	    (unsigned long)v->sig_ignored, (unsigned long)v->sig_caught,
	    (unsigned long)v->arg_start, (unsigned long)v->arg_end, (unsigned long)v->env_start,
	    (unsigned long)v->env_end, 0);
}

static long gen_statm(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t vsize, rss;

	if (g->cursor++)
		return 0;
	usage(v, &vsize, &rss);
	return uk_snprintf(buf, size, "%lu %lu 0 0 0 0 0\n", (unsigned long)(vsize / PAGE),
	                   (unsigned long)(rss / PAGE));
}

/* Root (uid 0) holds every capability its bounding set held at its exec,
 * as in a container, others none, until capset or a uid change. */
static size_t status_ids(const struct uk_proc_view *v, char *buf, size_t size)
{
	unsigned long long inh = v->caps_inh, prm = v->caps_prm, eff = v->caps_eff,
	                   bset = v->caps_bset;

	return uk_snprintf(buf, size,
	                   "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
	                   "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
	                   "FDSize:\t%d\nGroups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\n"
	                   "NSsid:\t%d\nCapInh:\t%016llx\nCapPrm:\t%016llx\n"
	                   "CapEff:\t%016llx\nCapBnd:\t%016llx\nCapAmb:\t0000000000000000\n",
	                   v->comm, v->umask, state_name(v->state), v->pid, v->tid, v->ppid,
	                   v->ruid, v->uid, v->suid, v->uid, v->rgid, v->gid, v->sgid, v->gid,
	                   v->files ? 64 : 0, v->pid, v->tid, v->pgid, v->sid, inh, prm, eff, bset);
}

static long gen_status(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t vsize, rss;
	size_t n;

	if (g->cursor++)
		return 0;
	n = status_ids(v, buf, size);
	usage(v, &vsize, &rss);
	if (v->mm && n < size)
		n +=
		    uk_snprintf(buf + n, size - n,
		                "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n"
		                "VmPin:\t       0 kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
		                "RssAnon:\t%8lu kB\nRssFile:\t       0 kB\nRssShmem:\t       0 kB\n"
		                "VmSwap:\t       0 kB\n",
		                (unsigned long)(vsize >> 10), (unsigned long)(vsize >> 10),
		                (unsigned long)(rss >> 10), (unsigned long)(rss >> 10),
		                (unsigned long)(rss >> 10));
	if (n < size)
		n += uk_snprintf(buf + n, size - n,
		                 "Threads:\t%u\nSigQ:\t%u/%d\nSigPnd:\t%016lx\nShdPnd:\t%016lx\n"
		                 "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n"
		                 "NoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t1\n"
		                 "Cpus_allowed_list:\t0\n",
		                 v->nthreads,
		                 (unsigned)__builtin_popcountll(v->sig_pending | v->sig_shared) +
		                     uk_sig_queued(),
		                 UK_SIGQUEUE_MAX, (unsigned long)v->sig_pending,
		                 (unsigned long)v->sig_shared, (unsigned long)v->sig_blocked,
		                 (unsigned long)v->sig_ignored, (unsigned long)v->sig_caught);
	return (long)n;
}

static long gen_comm(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size, "%s\n", v->comm);
}

long uk_procfs_comm_write(struct pgen *g, const char *buf, size_t len)
{
	int r;

	if (g->pid != uk_proc_cur->pid) /* Linux: only a thread of its own */
		return -EINVAL;
	r = uk_proc_set_comm(g->pid, g->tid, buf, len);

	return r ? r : (long)len;
}

/* The memory [from, to) of the process, from g->cursor on. */
static long mem_piece(struct pgen *g, const struct uk_proc_view *v, uint64_t from, uint64_t to,
                      char *buf, size_t size)
{
	uint64_t at = from + g->cursor;
	long n;

	if (!v->mm || !uk_procfs_hooks.mem_read || at >= to)
		return 0;
	if (size > to - at)
		size = to - at;
	n = uk_procfs_hooks.mem_read(v->mm, at, buf, size);
	if (n <= 0)
		return 0;
	g->cursor += (uint64_t)n;
	return n;
}

/* A link-mode program's arguments: the manifest's (it has no memory of
 * its own to read them from). */
static long manifest_args(struct pgen *g, char *buf, size_t size)
{
	int pos = 0, len;
	size_t n = 0;
	const char *a;

	if (g->cursor++)
		return 0;
	while ((a = uk_mf_next(&uk_plat.mf.entrypoint, &pos, &len)) && n + len + 1 <= size) {
		uk_memcpy(buf + n, a, len);
		n += len;
		buf[n++] = 0;
	}
	return (long)n;
}

/* The arguments where the program keeps them. One that rewrote its title
 * over them (setproctitle: nginx's "master process", postgres's) has
 * overwritten their last NUL: then, as Linux does, the text runs on into
 * the environment up to the first NUL. */
static long gen_cmdline(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (!v->arg_start)
		return v->pid == 1 ? manifest_args(g, buf, size) : 0;
	if (!g->end) {
		char last = 0;
		g->end = v->arg_end;
		if (v->mm && uk_procfs_hooks.mem_read &&
		    uk_procfs_hooks.mem_read(v->mm, v->arg_end - 1, &last, 1) == 1 && last)
			g->end = v->env_end | 1ull << 63; /* (a title: up to a NUL) */
	}
	if (g->end >> 63) {
		long n = mem_piece(g, v, v->arg_start, g->end & ~(1ull << 63), buf, size);
		for (long i = 0; i < n; i++)
			if (!buf[i]) {
				g->end = v->arg_start; /* ends here */
				return i;
			}
		return n;
	}
	return mem_piece(g, v, v->arg_start, g->end, buf, size);
}

static long gen_environ(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	return mem_piece(g, v, v->env_start, v->env_end, buf, size);
}

/* As many areas' lines as fit, from the one after the last shown (the
 * cursor: the address they reached), so that any number of areas is
 * shown whole. */
static long gen_maps(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uintptr_t from = (uintptr_t)g->cursor;
	size_t n;

	if (!v->mm || !uk_procfs_hooks.maps || g->cursor == ~0ull)
		return 0;
	n = uk_procfs_hooks.maps(v->mm, v, &from, buf, size);
	g->cursor = n ? from : ~0ull;
	return (long)n;
}

/* cgroup: the root of cgroup v2's tree, as a container with its own
 * cgroup namespace shows it (Go's and the JVM's container checks read
 * it; uk has no cgroup files below it to limit them). */
static long gen_cgroup(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size, "0::/\n");
}

static long gen_limits(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	static const char *const names[16][2] = {
		{ "Max cpu time", "seconds" },     { "Max file size", "bytes" },
		{ "Max data size", "bytes" },      { "Max stack size", "bytes" },
		{ "Max core file size", "bytes" }, { "Max resident set", "bytes" },
		{ "Max processes", "processes" },  { "Max open files", "files" },
		{ "Max locked memory", "bytes" },  { "Max address space", "bytes" },
		{ "Max file locks", "locks" },     { "Max pending signals", "signals" },
		{ "Max msgqueue size", "bytes" },  { "Max nice priority", "" },
		{ "Max realtime priority", "" },   { "Max realtime timeout", "us" },
	};
	char lim[2][24];
	size_t n;

	if (g->cursor++)
		return 0;
	n = uk_snprintf(buf, size, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit",
	                "Units");
	for (int r = 0; r < 16 && n < size; r++) {
		uint64_t v2[2] = { 0, 0 };
		if (uk_procfs_hooks.rlimit)
			uk_procfs_hooks.rlimit(r, &v2[0], &v2[1]);
		for (int i = 0; i < 2; i++)
			if (v2[i] == ~0ull)
				uk_snprintf(lim[i], sizeof(lim[i]), "unlimited");
			else
				uk_snprintf(lim[i], sizeof(lim[i]), "%lu", (unsigned long)v2[i]);
		n += uk_snprintf(buf + n, size - n,
		                 names[r][1][0] ? "%-25s %-20s %-20s %-10s\n"
		                                : "%-25s %-20s %-20s %s\n",
		                 names[r][0], lim[0], lim[1], names[r][1]);
	}
	return (long)n;
}

static long gen_mounts(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return (long)uk_vfs_mounts_text(buf, size);
}

static long gen_mountinfo(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return (long)uk_vfs_mountinfo_text(buf, size);
}

/* fdinfo/N: the open file's position and status flags. */
static long gen_fdinfo(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	int cloexec = 0;
	struct uk_file *f;
	long n;

	if (g->cursor++)
		return 0;
	if (!(f = uk_fdt_get(v->files, g->fd, &cloexec)))
		return -ENOENT;
	n = uk_snprintf(buf, size, "pos:\t%lu\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n",
	                (unsigned long)f->pos, f->flags | (cloexec ? O_CLOEXEC : 0),
	                f->vn ? 21 : 15, f->vn ? (unsigned long)f->vn->ino : 0ul);
	uk_file_put(f);
	return n;
}

pgen_fn uk_procfs_gen(int node)
{
	switch (node) {
	case N_STAT: return gen_stat;
	case N_STATUS: return gen_status;
	case N_STATM: return gen_statm;
	case N_CMDLINE: return gen_cmdline;
	case N_COMM: return gen_comm;
	case N_ENVIRON: return gen_environ;
	case N_MAPS: return gen_maps;
	case N_LIMITS: return gen_limits;
	case N_CGROUP: return gen_cgroup;
	case N_MOUNTS: return gen_mounts;
	case N_MOUNTINFO: return gen_mountinfo;
	case N_FDINFO_N: return gen_fdinfo;
	}
	return uk_procfs_sys_gen(node);
}
