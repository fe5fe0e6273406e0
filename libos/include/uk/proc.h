/*
 * Processes inside the one VM (libos/kernel/proc.c, libos/sys/proc.c):
 * each has its own lower half (page tables and areas,
 * libos/mm/mm_proc.c), descriptor table, working
 * directory, umask, signal dispositions and pending set, break and loaded
 * program; threads belong to one. The kernel half (the library OS, its
 * heap and stacks) is the same in every address space, so a system call
 * runs in the caller's address space without a switch, and switching
 * threads of one process loads nothing.
 *
 * Process 1 is the image's program; when it ends, the VM ends with its
 * status (the others go with it), as a container does. What every process
 * shares: resource limits, the host name, mounts (one container).
 */
#ifndef UK_PROC_H
#define UK_PROC_H

#include <stdint.h>
#include <uk/sched.h>
#include <uk/signal.h>

struct uk_mm;
struct uk_fdtable;
struct uk_vnode;
struct uk_vfork_wait;

/* Linux's capabilities: 0 (CAP_CHOWN) to CAP_CHECKPOINT_RESTORE, as
 * /proc/sys/kernel/cap_last_cap says. */
#define UK_CAP_LAST 40
#define UK_CAPS_ALL ((1ull << (UK_CAP_LAST + 1)) - 1)

/* Supplementary groups a process may have: Linux allows 65536, programs
 * (initgroups for one user) set a few; setgroups with more is EINVAL. */
#define UK_NGROUPS 32

/* Who a file access is checked as: Linux's fsuid, fsgid, supplementary
 * groups and effective capabilities (vfs/vfs_perm.c checks them). */
struct uk_cred {
	unsigned uid, gid;
	unsigned ngroups;
	const unsigned *groups;
	uint64_t caps;
};

/* rt_sigaction's struct on x86-64. */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

enum uk_proc_state { UK_P_ALIVE, UK_P_ZOMBIE };

/* A change of a living child its parent has not waited for yet. */
enum uk_wait_report { UK_WAIT_NONE, UK_WAIT_STOPPED, UK_WAIT_CONTINUED };

/* One of a process's interval timers (setitimer, alarm: sys/sys_time.c). */
struct uk_itimer {
	struct uk_timer timer;
	uint64_t value; /* when it expires, on its clock; 0: disarmed */
	uint64_t interval;
	struct uk_proc *proc; /* whose: its signal goes there */
};

struct uk_proc {
	int pid, pgid, sid;
	enum uk_proc_state state;
	struct uk_proc *parent;
	struct uk_proc *children, *sibling; /* the parent's list of children */
	struct uk_proc *all_next;           /* every process */
	unsigned nthreads;                  /* live application threads */
	int exiting;                        /* exit_group or a fatal signal: threads end */
	int status;                         /* wait status once exiting */
	int exit_signal;                    /* sent to the parent at the end (SIGCHLD) */
	struct uk_wq child_wq;              /* wait4 waits here for children's changes */
	struct uk_vfork_wait *vfork_wait;   /* a vfork child: its parent waits there
	                                     * until it execs or ends (sys/proc.c) */
	/* Job control (kernel/signal_stop.c). */
	int stopped;          /* by a stop signal: its threads park until SIGCONT */
	int stop_sig;         /* the signal that stopped it */
	int wait_report;      /* for its parent's wait: UK_WAIT_STOPPED or _CONTINUED */
	struct uk_wq stop_wq; /* its parked threads */
	/* No controlling terminal (setsid, TIOCNOTTY, a hang-up: uk/tty.h);
	 * 0: its session's terminal, or the console. */
	int tty_none;
	/* Owned by subsystems. */
	struct uk_mm *mm;         /* address space (mm/mm_proc.c) */
	struct uk_fdtable *files; /* descriptors (vfs/vfs_file.c) */
	struct uk_vnode *cwd;     /* working directory (referenced) */
	struct uk_vnode *root;    /* chroot's, where its paths start (referenced),
	                           * or NULL: the VM's root */
	unsigned umask;
	struct ksigaction sig_actions[UK_NSIG + 1];
	uint64_t sig_pending; /* process-directed, not yet taken */
	struct uk_sigrec sig_info[UK_NSIG];
	struct uk_sigq *sig_queue; /* RT signals' instances beyond the pending one */
	struct uk_wq sig_wq;       /* woken when a signal becomes pending (signalfd) */
	/* Ids (sys/sys_proc.c): uid and gid are the effective ones, which
	 * permissions and capabilities go by; the real and saved ones beside
	 * (seteuid(0) takes root back after seteuid(N): varnish's jail). */
	unsigned uid, gid, ruid, rgid, suid, sgid;
	/* The ids files are checked and made with (Linux's fsuid and
	 * fsgid): the effective ones, unless setfsuid/setfsgid moved them;
	 * and the supplementary groups (setgroups). */
	unsigned fsuid, fsgid, ngroups;
	unsigned groups[UK_NGROUPS];
	int ids_known; /* 0: the manifest's, not read yet */
	/* Capabilities (sys/sys_proc.c): those dropped from the bounding
	 * set (PR_CAPBSET_DROP), and those its program lacks (the ones
	 * dropped before its exec): root has UK_CAPS_ALL but these, other
	 * users none. */
	uint64_t caps_dropped, caps_lost;
	/* Its own permitted, effective and inheritable sets once capset or
	 * a change of uid set them (caps_own), else the above decide; and
	 * PR_SET_KEEPCAPS (a uid change keeps the permitted set). */
	uint64_t cap_prm, cap_eff, cap_inh;
	int caps_own, keepcaps;
	/* Not dumpable (prctl's PR_SET_DUMPABLE 0, or its ids changed):
	 * its /proc/PID files are root's, and only root reads what needs
	 * ptrace's access (fs/procfs.c); exec makes it dumpable again. */
	int undumpable;
	uint64_t brk_start, brk_cur, brk_end; /* a Linux program's break */
	char exe[256];                        /* /proc/self/exe */
	struct uk_itimer itimers[3];          /* ITIMER_REAL, _VIRTUAL, _PROF; a child's start
	                                       * disarmed, as fork's do */
	struct uk_ptimer **ptimers;           /* POSIX timers by id (sys/sys_timer.c) */
	int nptimers;                         /* slots in ptimers */
	uint64_t cpu_ns;                      /* CPU time of its ended threads */
	uint64_t child_cpu_ns;                /* of its waited-for children */
	uint64_t start_ns;                    /* when it was made (monotonic) */
	/* Where the loaded program's arguments and environment lie in its
	 * memory (0: none loaded, a link-mode program): /proc/PID/cmdline
	 * reads them there, so a program that rewrites its title shows it. */
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t stack_start; /* its first stack pointer (stat's startstack) */
	uint64_t vdso_start;  /* where its vDSO lies (maps' [vdso]), 0: none */
};

/* The process whose address space and tables are in use: the running
 * application thread's, or the last one's while a library OS thread runs. */
extern struct uk_proc *uk_proc_cur;
/* The running process with its ids known (the manifest's user until it
 * changes them), and its effective uid and gid. */
struct uk_proc *uk_proc_ids(void);
int uk_current_euid(void);
int uk_current_egid(void);
/* p's permitted and effective capabilities. */
void uk_proc_caps(struct uk_proc *p, uint64_t *prm, uint64_t *eff);
/* Whether the calling process has capability cap in effect (Linux's
 * capable(): what root's privileged calls check). */
int uk_capable(int cap);
/* The running thread's credentials for file access into *c: the
 * override the call in progress set (uk_current->cred), else its
 * process's fsuid, fsgid, groups and effective capabilities. Whether gid
 * is c's fsgid or one of its groups (Linux's in_group_p). */
void uk_cred_cur(struct uk_cred *c);
int uk_cred_in_group(const struct uk_cred *c, unsigned gid);
/* Whether c has capability cap. */
static inline int uk_cred_capable(const struct uk_cred *c, int cap) { return (c->caps >> cap) & 1; }

/* The host name uname(2) gives (one for the VM: processes share it). */
extern char uk_hostname[65];
/* The kernel release uname(2) and /proc give: new enough for C
 * libraries' checks. */
#define UK_OS_RELEASE "6.1.0-uk"

/* Woken whenever a process ends (pidfds' pollers wait here). */
extern struct uk_wq uk_proc_exit_wq;

/* Process 1, and every process (by all_next). */
extern struct uk_proc uk_proc_init;
extern struct uk_proc *uk_procs;
/* Process 1's ids and umask: the first thing boot does. */
void uk_proc_boot(void);

/* What the kernel room (kernel/proc.c) asks of the rooms above it, which
 * register these the first time a process forks or execs (sys/proc.c). */
struct uk_proc_hooks {
	void (*mm_switch)(struct uk_mm *mm);          /* load mm (if not loaded) */
	void (*release)(struct uk_proc *p);           /* p's last thread is ending */
	void (*ended)(struct uk_proc *p, long value); /* ... and has ended */
};
extern struct uk_proc_hooks uk_proc_hooks;

/* Make p current (its address space loaded); the scheduler calls it when
 * an application thread of another process is switched in. */
void uk_proc_switch(struct uk_proc *p);

/* Process by id, or NULL (zombies too). */
struct uk_proc *uk_proc_find(int pid);
/* CPU time of p's threads, the ended ones' included. */
uint64_t uk_proc_cpu_ns(const struct uk_proc *p);

/* End the running process with a wait status (exit_group, a fatal
 * signal): every thread of it ends; the last one makes it a zombie. Never
 * returns. */
__attribute__((noreturn)) void uk_proc_exit(int wait_status);

/* For sched.c. An application thread of p is about to end (it may still
 * block): when it is the last, p lets go of its memory and descriptors. */
void uk_proc_thread_ending(struct uk_proc *p);
/* The last application thread of p has ended (interrupts disabled): p
 * becomes a zombie and its parent is told; process 1 ends the VM with
 * status value. */
void uk_proc_last_thread(struct uk_proc *p, long value);
/* Thread t (new, not started) belongs to p instead. */
void uk_thread_move(struct uk_thread *t, struct uk_proc *p);

/* fork, vfork, clone and clone3 without CLONE_THREAD: the child's pid or
 * -errno. CLONE_PIDFD puts a pidfd of the child at *pidfd. */
long uk_proc_clone(const char *call, unsigned long flags, uint64_t sp, int *ptid, int *ctid,
                   uint64_t tls, int *pidfd);

/* A signal for process p (not a thread), from the running context:
 * 0 or -errno. */
int uk_proc_signal(struct uk_proc *p, int sig, int code, int pid);

/* Parent hears of a change of its child pid: signal sig (SIGCHLD) with
 * si_code code (CLD_*) and si_status status. 0 or -errno. */
int uk_proc_child_signal(struct uk_proc *parent, int sig, int code, int pid, int status);

/* Whether process 1 drops sig from another process: one it has left at
 * its default action, as a container's init does (sys/proc.c). */
int uk_proc_init_ignores(const struct uk_proc *p, int sig);

/* An ending process's interval timers stop (sys/sys_time.c). */
void uk_itimers_stop(struct uk_proc *p);
/* Delete p's POSIX timers (exec, exit; sys/sys_timer.c). */
void uk_ptimers_delete(struct uk_proc *p);

/* ---- for /proc (fs/procfs.c): what it shows of a process ---- */

/* A process, or one of its threads, as /proc shows it. A snapshot: the
 * pointers stay valid until the caller blocks (a process that ends lets
 * go of them). */
struct uk_proc_view {
	int pid, tid, ppid, pgid, sid;
	char state; /* Linux's letter: R running, S sleeping, T stopped, Z zombie */
	char comm[16];
	unsigned uid, gid, umask, nthreads; /* uid, gid: the effective ones */
	unsigned ruid, rgid, suid, sgid;
	int dumpable;                                     /* prctl's PR_GET_DUMPABLE */
	uint64_t caps_prm, caps_eff, caps_inh, caps_bset; /* CapPrm, CapEff, CapInh, CapBnd */
	uint64_t start_ns;     /* with pid, names this process and no later one */
	uint64_t cpu_ns;       /* the process's (every thread's), or the thread's */
	uint64_t child_cpu_ns; /* of its waited-for children */
	uint64_t sig_pending;  /* the thread's (the process's first thread's) */
	uint64_t sig_shared;   /* the process's */
	uint64_t sig_blocked;  /* the thread's mask */
	uint64_t sig_ignored, sig_caught;
	struct uk_mm *mm;         /* NULL once it has ended */
	struct uk_fdtable *files; /* NULL once it has ended */
	struct uk_vnode *cwd;     /* NULL once it has ended */
	struct uk_vnode *root;    /* its chroot's directory; NULL: the VFS root, or ended */
	const char *exe;          /* "" for a link-mode program */
	uint64_t arg_start, arg_end, env_start, env_end, stack_start;
	uint64_t brk_start, brk_end, vdso_start; /* maps' [heap] and [vdso] */
};

/* Process pid (tid 0), or its thread tid, into *v: 0, or -ESRCH when
 * there is none (a thread that has ended included). */
int uk_proc_view(int pid, int tid, struct uk_proc_view *v);
/* The lowest pid above after, or 0 when none: /proc's listing, in order. */
int uk_proc_next(int after);
/* The process whose live application thread tid is, or 0. */
int uk_proc_thread_pid(int tid);
/* The lowest id above after of a live thread of process pid, or 0. */
int uk_proc_thread_next(int pid, int after);
/* Thread tid of process pid (tid 0: its first) takes name (len bytes, at
 * most 15 kept): prctl(PR_SET_NAME)'s, through /proc/PID/comm. 0 or
 * -ESRCH. */
int uk_proc_set_comm(int pid, int tid, const char *name, size_t len);

/* ---- sys/proc.c ---- */

/* Before the first fork or exec: the hooks above registered, process 1's
 * address space and descriptors named. */
void uk_proc_setup(void);
/* execve replaced the running process's image: a vfork parent goes on. */
void uk_proc_exec_done(void);
/* A new process, child of parent, with ids uid and gid, no address space
 * or descriptors yet, process 1's working directory and a session of its
 * own; its first thread (an application thread) runs entry(arg) in the
 * library OS. It sends its parent no signal at its end. NULL when out of
 * memory or processes. */
struct uk_proc *uk_proc_spawn(struct uk_proc *parent, void (*entry)(void *), void *arg,
                              uint32_t uid, uint32_t gid);
/* p's wait status once it is a zombie (p is then gone), else -EAGAIN. */
int uk_proc_reap(struct uk_proc *p);

/* ---- what subsystems provide for fork and exit ---- */

/* Address spaces (mm/mm_proc.c). */
struct uk_mm *uk_mm_fork(void); /* a copy-on-write copy of the current one */
struct uk_mm *uk_mm_new(void);  /* empty */
/* exec's address space, built: its tables moved into those another run
 * of the same program (tag: the program's) left, where there are some
 * (the paravirtual host kept its shadows of them: fewer faults). */
void uk_mm_settle(uint64_t tag);
struct uk_mm *uk_mm_get(struct uk_mm *mm);
void uk_mm_put(struct uk_mm *mm);    /* not in use any more: freed at the last */
void uk_mm_switch(struct uk_mm *mm); /* load it */
extern struct uk_mm *uk_mm_cur;

/* Descriptor tables (vfs/vfs_file.c). */
struct uk_fdtable *uk_fd_fork(void);      /* a copy of the current one */
struct uk_fdtable *uk_fd_table_new(void); /* empty */
void uk_fd_table_put(struct uk_fdtable *t);

#endif
