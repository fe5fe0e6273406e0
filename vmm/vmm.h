/* ukrun: the monitor's shared state and the contracts between its files. */
#ifndef VMM_H
#define VMM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <uk/abi.h>

#include "../common/host.h"

#define VMM_MAX_ARGS 256

/* ukrun's own failures exit with 125, as `docker run` does; 124 when
 * --timeout fires, as timeout(1) does. */
#define VMM_EXIT_ERROR 125
#define VMM_EXIT_TIMEOUT 124

struct vmm_opts {
	const char *image;
	uint64_t mem; /* 0: the manifest's, else 64 MiB */
	int cpus;
	const char *env[VMM_MAX_ARGS];
	int nenv;
	const char *const *cmd; /* arguments after "--", or NULL */
	int ncmd;
	int trace, verbose;
	int sample;          /* --sample: where the vCPU's CPU time goes (sample.c) */
	int no_rewrite;      /* --no-syscall-rewrite */
	int console_raw;     /* --console raw: the guest's output unfiltered on a terminal */
	double timeout;      /* seconds, 0 = none */
	double stop_timeout; /* --stop-timeout: seconds after a passed SIGTERM, 0 = wait */
	/* Devices, as given; the device code checks and reports them. */
	const char *net;     /* --net none|tap:IF[,vhost=on|off|auto]|user[,hostfwd=...] */
	const char *ip, *gw; /* --ip A.B.C.D/N, --gw A.B.C.D: static guest address */
	const char *ports[VMM_MAX_ARGS]; /* -p HOSTPORT:GUESTPORT[/udp] */
	int nports;
	const char *volumes[VMM_MAX_ARGS]; /* -v HOST:GUEST[:ro] (9P) */
	int nvolumes;
	char *const *vpoints; /* the image's volume points: -v HOST[:ro] goes there */
	int nvpoints;
	const char *disks[VMM_MAX_ARGS]; /* --disk FILE:GUEST[:ro] (virtio-blk) */
	int ndisks;
	const char *hostname;            /* --hostname, checked, or NULL: "uk" */
	const char *workdir;             /* -w: the working directory, or NULL: the image's */
	const char *entrypoint;          /* --entrypoint ("": none), or NULL: the image's */
	int read_only;                   /* --read-only: the guest's root refuses writes */
	const char *tmpfs[VMM_MAX_ARGS]; /* --tmpfs PATH: a RAM file system there */
	int ntmpfs;
	const char *user;  /* --user UID[:GID] or USER[:GROUP], or NULL */
	uint32_t uid, gid; /* what --user names (vmm_jail_check) */
	/* The OCI runtime's VM (oci.h): wait on this FIFO before the guest
	 * runs, after saying so on oci_ready; oci_stderr is the container's
	 * stderr (-1: none given). */
	const char *oci_fifo;
	int oci_ready, oci_stderr;
	const char *oci_exec; /* the socket `ukrun exec` connects to (exec.c), or NULL */
};

struct vmm_timeline {
	double start, kvm_open, vm_created, mem_ready, loaded, vcpu_ready, jailed, locked,
	    first_run, main, end;
	double epoch;            /* when epoch_tsc was read */
	double stage[UK_STAGES]; /* the guest's (UK_HC_STAGES); 0: not sent */
};

struct vmm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram; /* guest physical 0 .. ram_size */
	uint64_t ram_size;
	int pvm;           /* the paravirtual KVM flavour */
	int pic_masked;    /* the 8259 PICs masked from here (UK_PF_PIC_MASKED) */
	int signal_routed; /* VMM_SIGNAL_PIN routed from here (UK_PF_SIGNAL_ROUTED) */
	uint32_t tsc_khz;
	uint64_t epoch_tsc; /* guest TSC when the runtime tree was written */
	uint64_t exits, io_exits, mmio_exits;
	int stats_fd[2]; /* KVM's statistics of the VM and the vCPU (--verbose), or -1 */
	int status;      /* exit status once the guest ended, else -1 */
	int image_fd;    /* the image, open for a crash report's symbols */
	unsigned needs;  /* VMM_NEED_*: what the devices do after set-up */
	struct vmm_timeline t;
	const struct vmm_opts *opts;
};

/* ---- guest memory (mem.c) ---- */

/* Map guest RAM. Returns 0 or -errno. */
int vmm_mem_init(struct vmm *vm, uint64_t size);

/* Back guest RAM from GPA from (rounded up to 2 MiB) to its end with the
 * host's transparent huge pages where it has them; a refusal is only
 * reported under --verbose. */
void vmm_mem_huge(struct vmm *vm, uint64_t from);

/* The only way from a guest address to a host pointer: the whole range
 * [gpa, gpa + len) must lie in guest RAM (no overflow). Otherwise NULL, and
 * a report naming the caller's file:line. */
void *vmm_gpa_check(struct vmm *vm, uint64_t gpa, uint64_t len, const char *file, int line);
#define VMM_GPA(vm, gpa, len) vmm_gpa_check((vm), (gpa), (len), __FILE__, __LINE__)

/* ---- options (opts.c) ---- */

/* Parse argv; on error prints one line and returns -1; 1 after --help. */
int vmm_parse_args(int argc, char **argv, struct vmm_opts *o);

/* ---- loading (load.c) ---- */

struct uki_image;
struct uk_mf;
/* Map and validate an image file and read its manifest (*mf empty when it
 * has none); NULL with a message printed. The file stays open in *fd (for
 * a crash report's symbols: after the seccomp lock-down nothing can be
 * opened). */
void *vmm_image_open(const char *path, size_t *size, struct uki_image *img, struct uk_mf *mf,
                     int *fd);
/* Whether every segment fits in [UK_GPA_IMAGE_MIN, mem); else a message. */
int vmm_image_fits(const struct uki_image *img, uint64_t mem, const char *path);
struct uki_strlist;
/* The manifest's volume points as a list; -1 with a message printed. */
int vmm_image_volumes(const struct uk_mf *mf, struct uki_strlist *out);
/* Place the image and the boot data (start info, memory map, runtime device
 * tree). Returns the PVH entry, or 0 with a message printed. */
uint64_t vmm_load(struct vmm *vm, const void *file, const struct uki_image *img, const char *path);

/* ---- KVM (kvm_x86_64.c: set-up; kvm_run_x86_64.c: the run loop) ---- */

/* Open KVM, create the VM with its irqchip and the vCPU, tell the KVM
 * flavour, map guest RAM. Returns 0 or -1 with a message printed. */
int vmm_kvm_init(struct vmm *vm, uint64_t mem);
/* Open KVM's statistics of the VM and the vCPU, with --verbose only (a
 * kernel without them leaves them out); print the counters that moved and
 * close them, once the guest ended (kvm_stats.c). */
void vmm_kvm_stats_open(struct vmm *vm);
void vmm_kvm_stats_print(struct vmm *vm);
/* The guest's TSC now. */
uint64_t vmm_guest_tsc(struct vmm *vm);
/* The guest's boot stages (UK_HC_STAGES, its TSC readings) on the
 * timeline's clock, for --verbose. (ukrun.c) */
void vmm_stages(struct vmm *vm, const struct uk_hc_stages *s);
/* Registers for the image's entry (its long-mode one when it has it, else
 * PVH's 32-bit one); the VIF page on the paravirtual host. */
int vmm_vcpu_init(struct vmm *vm, const struct uki_image *img);
/* Catch SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2, which end
 * the run loop or go to the guest (signal_fwd.c), SIGCHLD (a
 * helper process ended: helper.c), and start its
 * watchdog tick (SIGALRM), which ends it at --timeout or when the guest
 * is dead. Before the seccomp lock-down, which forbids sigaction and
 * setitimer. Returns 0 or -1 with a message printed. */
int vmm_catch_signals(struct vmm *vm);
/* Whether the run should end now (a signal, --timeout, a helper process
 * ended): a hypercall that blocks (console input) gives up when this says
 * so. */
int vmm_interrupted(void);
/* Let the watchdog tick interrupt this thread's system calls (on = 1) or
 * not (0, as everywhere but in KVM_RUN): around a blocking console read. */
void vmm_tick_unblock(int on);
/* Run until the guest ends; returns its exit status, or 124 (--timeout),
 * 128 + N (signal N stopped ukrun; the guest triple-faulted: 139; it
 * halted for good: 134), 125 (KVM failed). */
int vmm_run(struct vmm *vm);

/* ---- hypercalls (hypercall.c) ---- */

/* Handle a port access; returns 0 to continue, 1 when the guest ended
 * (vm->status set), -1 on an ABI violation. */
int vmm_io(struct vmm *vm, uint16_t port, int out, uint8_t *data, int size);
/* Whether the guest's output goes through the terminal filter, per host
 * fd (isatty, --console): before the lock-down, which forbids the ioctl. */
void vmm_console_init(const struct vmm_opts *o);

/* ---- signals for the guest (signal_fwd.c) ---- */

#define VMM_SIGNAL_PIN 12 /* IOAPIC pin of UK_HC_SIGNALS (after the devices' pins) */

/* Whether ukrun passes sig to the guest (SIGHUP, INT, QUIT, USR1, USR2,
 * TERM): the signals the run loop catches on top of its own. */
int vmm_sigfwd_want(int sig);
/* From the signal handler: 1 when sig is for the guest (it takes signals,
 * and this is not a second SIGINT/TERM/QUIT), 0 when it ends the VM. */
int vmm_sigfwd_catch(int sig);
/* Whether a caught signal waits to be passed (a console read gives up). */
int vmm_sigfwd_waiting(void);
/* The run loop, before entering the guest: caught signals become the
 * guest's and its pin is raised. 0, or -1 with a message. */
int vmm_sigfwd_pass(struct vmm *vm);
/* The status to end with once --stop-timeout ran out, else 0. */
int vmm_sigfwd_expired(struct vmm *vm);
/* --stop-timeout's default: docker's and podman's stop timeout. */
#define VMM_STOP_TIMEOUT 10
/* Start the thread that stops the VM when the run loop cannot (stuck in
 * a host-side wait) a second after it should have; after the jail (a
 * thread keeps the capabilities and namespaces it was made with) and
 * before the lock-down. 0, or -1 with errno. */
int vmm_sigfwd_watch(struct vmm *vm);
/* From the signal handler: sig stops the VM at once (the loop's, else
 * the watch thread's a second later). */
void vmm_sigfwd_stop(int sig);
/* The run loop returned: the watch thread has nothing to stop. */
void vmm_sigfwd_loop_ended(void);
/* The UK_HC_SIGNALS port. 0, or -1 on an ABI violation. */
int vmm_sigfwd_io(struct vmm *vm, int out, uint8_t *data, int size);

/* ---- processes started in the running VM: `ukrun exec` (exec.c) ---- */

#define VMM_EXEC_PIN 13 /* IOAPIC pin of UK_HC_EXEC (unused by the devices) */

/* Listen on path (a unix socket, mode 0600) for `ukrun exec`, from the
 * uid ukrun runs as only; the pin wired (set-up, before the jail); then,
 * after the jail, start the thread that accepts callers and watches their
 * descriptors. 0, or -1 with a message. */
int vmm_exec_setup(struct vmm *vm, const char *path);
/* Its thread, started once the jail is in place (exec.c). */
int vmm_exec_start(struct vmm *vm);
/* The UK_HC_EXEC hypercall: 0, or -1 on an ABI violation. */
int vmm_exec_io(struct vmm *vm, uint32_t gpa);

/* The conversation on the socket (SOCK_SEQPACKET): the caller sends one
 * message, a struct uk_exec_spec with its strings (uk/abi.h) and its
 * stdin, stdout and stderr (SCM_RIGHTS); ukrun answers with these. */
struct vmm_exec_reply {
	int32_t kind;  /* VMM_EXEC_* */
	int32_t value; /* STARTED: the pid in the VM, or -errno; EXITED: the wait status */
	int32_t what;  /* STARTED with -errno: UK_EXEC_FAILED_* */
};
#define VMM_EXEC_STARTED 1
#define VMM_EXEC_EXITED 2
#define VMM_EXEC_REFUSED 3 /* value: -errno (too many execs, a malformed request) */
#define VMM_EXEC_DONE 4    /* a VMM_EXEC_KILL_ALL was passed on */
/* Later messages of the caller: a signal (value) it had for the process
 * (`ukrun exec` forwards those it gets, as runc's does). Or, instead of a
 * request, VMM_EXEC_KILL_ALL: signal value for every process of the VM. */
struct vmm_exec_msg {
	int32_t kind; /* VMM_EXEC_SIGNAL, VMM_EXEC_KILL_ALL */
	int32_t value;
};
#define VMM_EXEC_SIGNAL 1
#define VMM_EXEC_KILL_ALL 2
struct sockaddr_un;
/* The socket's address for path, which may be longer than sun_path holds
 * (docker's state directories): then through /proc/self/fd/N/NAME, N
 * being *dirfd, the directory open until the bind or connect is done
 * (close it then; -1 when not needed). 0, or -1 with errno. */
int vmm_exec_addr(const char *path, struct sockaddr_un *sa, int *dirfd);
/* Whether spec (n bytes received) is well formed: sizes, counts and
 * terminating NULs. */
int vmm_exec_spec_ok(const void *spec, size_t n);

/* ---- the guest's output toward a terminal (console.c) ---- */

#define VMM_TTY_PEND 34 /* ESC [ and an SGR sequence's parameters */

/* One host fd's filter state; zeroed to start. */
struct vmm_tty_filter {
	uint8_t pend[VMM_TTY_PEND]; /* a sequence not yet decided on */
	unsigned n;
};

/* Room for what len bytes of input can become. */
#define VMM_TTY_OUT_MAX(len) (4 * ((len) + VMM_TTY_PEND))

/* The guest's bytes made safe for a terminal, into out; returns the
 * number of bytes put there. Part of a sequence may wait for the next
 * call. */
size_t vmm_tty_filter(struct vmm_tty_filter *f, const uint8_t *in, size_t len, uint8_t *out);
/* What waits, shown escaped (the output ends). */
size_t vmm_tty_filter_end(struct vmm_tty_filter *f, uint8_t *out);

/* ---- crashes (crash.c) ---- */

/* Name the code addresses of a guest crash report; first labels pc[0]
 * ("crashed in"), the rest were called from. */
void vmm_crash_report(struct vmm *vm, const struct uk_hc_crash *c, const char *first);
/* A report for a guest that made none (a triple fault, a dead vCPU): its
 * registers, then its RIP and frame-pointer chain named as above. */
void vmm_crash_regs(struct vmm *vm, const char *first);

/* The 16 bytes of a guest stack frame (saved rbp, return address) at
 * guest virtual address fp, or NULL when it is not in RAM. (crash.c) */
const uint64_t *vmm_guest_frame(struct vmm *vm, uint64_t fp);

/* --sample (sample.c): start the vCPU thread's sampling timer (0, or -1);
 * add its signal to those KVM_RUN lets in; after KVM_RUN returned EINTR,
 * take the sample due; at the end, print where the samples fell. */
int vmm_sample_start(struct vmm *vm);
void vmm_sample_sigs(sigset_t *s);
void vmm_sample_take(struct vmm *vm);
void vmm_sample_print(struct vmm *vm);

/* ---- the lock-down (seccomp.c) ---- */

/* What devices do after set-up beyond what every ukrun does, each
 * allowing a group of system calls; a device's setup adds its own. */
#define VMM_NEED_THREADS 0x01  /* device threads (any virtio device) */
#define VMM_NEED_TAP 0x02      /* frames through a TAP, its offloads */
#define VMM_NEED_VHOST 0x04    /* vhost-net's ioctls at DRIVER_OK */
#define VMM_NEED_NET_USER 0x08 /* user-mode network: frames to its helper process */
#define VMM_NEED_GOFER 0x10    /* 9P: requests to a share's gofer process */
#define VMM_NEED_DISK 0x20     /* virtio-blk: I/O on an open image */
#define VMM_NEED_HELPERS 0x40  /* helper processes to stop and reap (helper.c) */
#define VMM_NEED_EXEC 0x80     /* `ukrun exec`'s socket and its callers' descriptors */

/* Put every thread of ukrun, and each it starts later, under the seccomp
 * allow-list for needs (VMM_NEED_*); a call outside it ends ukrun with
 * VMM_EXIT_ERROR and a line on stderr naming the call. Returns the number
 * of system calls allowed, or -errno with a message printed. Environment:
 * UKRUN_SECCOMP=log logs such calls instead (debugging), any other value
 * is refused. */
int vmm_seccomp(unsigned needs);

/* ---- the jail (jail.c) ---- */

/* --user's UID[:GID] or USER[:GROUP] (from /etc/passwd and /etc/group; a
 * USER or a UID with an account alone: its group, a UID without one: the
 * same number) into ids; root's uid or gid 0 is refused. 0, or -1 with a
 * message naming the problem. */
int vmm_user_parse(const char *spec, uint32_t *uid, uint32_t *gid);
/* Check --user before anything is opened: its ids (into o->uid, o->gid),
 * and that ukrun may take them. 0, or -1 with a message. */
int vmm_jail_check(struct vmm_opts *o);
/* Early in set-up: start making what the jail will enter, where that can
 * go on beside the set-up (its network namespace, jail.c). */
void vmm_jail_ahead(void);
/* Set-up is over: new namespaces where the host allows them (an empty
 * root where nothing needs host files), --user's ids, no capabilities,
 * not dumpable; what was done under --verbose. Before the seccomp
 * lock-down. 0, or -1 with a message when --user cannot be had. */
int vmm_jail(struct vmm *vm);
/* A helper's side: let uid stopper (a number, or "-": ukrun keeps its
 * ids) stop it, as its saved uid. 0, or -1 with a message. */
int vmm_jail_helper(const char *name, const char *stopper);
/* A helper with capabilities keeps only caps[0..ncaps) (in the bounding
 * set too); with or without, it stops being dumpable. 0, or -1 with a
 * message. */
int vmm_jail_keep(const char *name, const unsigned *caps, int ncaps);

/* ---- helper processes (helper.c) ---- */

#define VMM_HELPER_MAX 17 /* a gofer per share (VMM_VDEV_MAX), and the network's */
#define VMM_HELPER_ARG "--helper"

/* The helpers an executable serves itself: each executable that links
 * helper.c defines this table (ukrun: the gofer; ukrun-net: the network
 * helper). */
struct vmm_helper_mode {
	const char *mode;
	int (*main)(const char *name, int argc, char **argv);
};
extern const struct vmm_helper_mode vmm_helper_modes[];
extern const size_t vmm_helper_nmodes;

/* Start helper MODE (`EXE --helper MODE ...`, EXE ukrun itself when it
 * serves MODE, else ukrun-MODE beside it) with args
 * (NULL-terminated) and the descriptors fds[0..nfds) as its 3, 4, ...;
 * every other descriptor closed, stdin /dev/null, stdout its stderr, the
 * terminal's signals blocked. name names it in messages ("the gofer of
 * /data"). Set-up only (before the lock-down). Returns the helper's id,
 * or -1 with a message printed. */
int vmm_helper_start(struct vmm *vm, const char *name, const char *mode, const char *const *args,
                     const int *fds, int nfds);
/* The same for another program: path run with argv (argv[0] its name),
 * no ukrun helper mode; it is not told ukrun's pid and gets no
 * PR_SET_PDEATHSIG: it must end when the descriptors it was given close
 * (passt: -1). */
int vmm_helper_run(struct vmm *vm, const char *name, const char *path, char *const argv[],
                   const int *fds, int nfds);
/* Stop helper id, which broke its side of the conversation (SIGKILL): the
 * run loop then reaps it and ends the VM. Any thread. */
void vmm_helper_kill(int id);
/* A helper ended while the VM runs: 1, with a message naming it and how it
 * ended; 0 when all are running. The run loop, on SIGCHLD. */
int vmm_helpers_reap(struct vmm *vm);
/* Kill and reap every helper still running (the VM has ended). */
void vmm_helpers_stop(struct vmm *vm);
/* `EXE --helper MODE PPID STOPPER NAME ARG...`: the helper's side (its
 * main), for the modes of vmm_helper_modes. */
int vmm_helper_main(int argc, char **argv);

/* ---- misc ---- */

/* The executables of ukrun (helper.c says why they are three): ukrun, the
 * monitor; ukrun-net, its network helper; ukrun-oci, the OCI runtime. */
#define VMM_EXE_NET "ukrun-net"
#define VMM_EXE_OCI "ukrun-oci"
#define VMM_EXE_VMM "ukrun"
/* out = the path of executable name in this executable's directory (where
 * ukrun and its other executables are installed together). 0, or -errno
 * (-ENAMETOOLONG when it does not fit cap). */
int vmm_sibling(const char *name, char *out, size_t cap);

extern int vmm_verbose_on;
double vmm_now(void);
#define vmm_err(...) host_err("ukrun", __VA_ARGS__)
void vmm_verbose(const struct vmm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ukrun: guest broke the ABI" + the message (": what", or " (where): what"),
 * the first 20 times; vmm_guest_err_total() then says how many in all. */
void vmm_guest_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmm_guest_err_total(void);

#endif
