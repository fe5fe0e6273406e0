/*
 * procfs's files, shared by its tree (procfs.c), the system's files
 * (procfs_sys.c) and each process's (procfs_pid.c). Private to libos/fs/.
 */
#ifndef UK_FS_PROCFS_H
#define UK_FS_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <uk/proc.h>

/* What each node is. The system's first, then what every /proc/PID and
 * /proc/PID/task/TID holds. */
enum {
	N_ROOT = 1,
	N_SELF,
	N_THREAD_SELF,
	N_MEMINFO,
	N_CPUINFO,
	N_MOUNTS_LINK,
	N_UPTIME,
	N_VERSION,
	N_SYSSTAT,
	N_LOADAVG,
	N_NET,      /* /proc/net */
	N_IF_INET6, /* /proc/net/if_inet6 */
	N_VMSTAT,
	N_SYS,          /* /proc/sys */
	N_SYS_KERNEL,   /* /proc/sys/kernel */
	N_CAP_LAST_CAP, /* /proc/sys/kernel/cap_last_cap */
	N_SYS_RANDOM,   /* /proc/sys/kernel/random */
	N_SYS_NET,      /* /proc/sys/net */
	N_SYS_NET_CORE, /* /proc/sys/net/core */
	N_SYS_VM,       /* /proc/sys/vm */
	N_SYS_FS,       /* /proc/sys/fs */
	N_SYS_INOTIFY,  /* /proc/sys/fs/inotify */
	N_SYSCTL_FIRST, /* the settings' files (procfs_sys.c's gen_sysctl) */
	N_HOSTNAME = N_SYSCTL_FIRST,
	N_OSRELEASE,
	N_OSTYPE,
	N_PID_MAX,
	N_UUID,
	N_BOOT_ID,
	N_SOMAXCONN,
	N_MAX_MAP_COUNT,
	N_NR_OPEN,
	N_INOTIFY_QUEUED,
	N_INOTIFY_INSTANCES,
	N_INOTIFY_WATCHES,
	N_SYSCTL_END,
	N_PID_FIRST, /* the rest are a process's (or a thread's) */
	N_PIDDIR = N_PID_FIRST,
	N_STAT,
	N_STATUS,
	N_STATM,
	N_CMDLINE,
	N_COMM,
	N_ENVIRON,
	N_EXE,
	N_CWD,
	N_ROOTLINK,
	N_FD,
	N_FDINFO,
	N_MAPS,
	N_LIMITS,
	N_CGROUP,
	N_MOUNTS,
	N_MOUNTINFO,
	N_TASK,    /* /proc/PID/task */
	N_TASKDIR, /* /proc/PID/task/TID */
	N_FDLINK,  /* fd/N */
	N_FDINFO_N,
	N_COUNT
};

/* One open file of procfs, generated piece by piece as it is read. */
struct pgen {
	int node, pid, tid, fd; /* tid 0: the process as a whole */
	uint64_t start_ns;      /* the process's: a later one with its pid is not it */
	uint64_t cursor;        /* where the next piece starts (the generator's) */
	uint64_t end;           /* the generator's, set by its first piece */
	int done;
	uint64_t buf_pos; /* the file offset of buf[0] */
	size_t len, cap;
	char *buf;
};

/* A node's generator: the next piece of its text into buf (at most size
 * bytes), advancing g->cursor: its length, 0 at the end, or -errno. v is
 * the process's (NULL for the system's files). */
typedef long (*pgen_fn)(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size);

/* Generators (procfs_sys.c, procfs_pid.c): NULL for nodes that are not
 * files. */
pgen_fn uk_procfs_gen(int node);
pgen_fn uk_procfs_sys_gen(int node);

/* /proc/PID/comm written: the thread's new name. */
long uk_procfs_comm_write(struct pgen *g, const char *buf, size_t len);

#endif
