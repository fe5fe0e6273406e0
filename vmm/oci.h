/*
 * ukrun as an OCI runtime (the runtime-spec's command line, as runc and
 * crun take it): podman's conmon and containerd's runc shim run it as
 * `ukrun [--root DIR] [--log FILE] ... create --bundle DIR ID`, then
 * `start`, `state`, `kill`, `delete`. A container is one microVM: `create`
 * builds the bundle's root filesystem into a uk image (cached by content
 * under the root), starts `ukrun` on it with config.json's process, mounts
 * and memory, and leaves that process waiting before the guest's first
 * instruction; `start` lets it run. Its pid is the container's: its exit
 * status is the program's.
 *
 * Files: oci_runtime.c (the commands), oci_spec.c (config.json), oci_image.c
 * (the image cache), oci_state.c (a container's state under the root, the
 * log), oci_wait.c (the VM process's side of create/start).
 */
#ifndef VMM_OCI_H
#define VMM_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OCI_VERSION "1.0.2"
#define OCI_DEFAULT_ROOT "/run/ukrun"

/* The global options. */
struct oci_rt {
	const char *root; /* state of every container, and the image cache */
	const char *log;  /* --log FILE, or NULL: stderr only */
	int log_json;     /* --log-format json */
	int debug;
};

/* ---- the log (oci_state.c) ---- */

/* A message on stderr ("ukrun: ...") and in --log (text or JSON lines, as
 * conmon and containerd read them). level: "error", "warning", "info",
 * "debug" (only with --debug). */
void oci_log(const struct oci_rt *rt, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define oci_err(rt, ...) oci_log((rt), "error", __VA_ARGS__)

/* ---- config.json (oci_spec.c) ---- */

#define OCI_MAX_MOUNTS 16 /* 9P shares: as many as ukrun has devices */
#define OCI_MAX_FILES 16
#define OCI_FILES_DIR "/.uk/files" /* in the guest */
#define OCI_FILE_MAX (1u << 20)    /* a bind-mounted file is copied: at most this */

struct oci_mount {
	char *src, *dst;
	int ro;
};

struct oci_spec {
	char *bundle; /* absolute, resolved */
	char *rootfs; /* absolute, resolved, inside nothing in particular */
	int readonly; /* root.readonly: ukrun --read-only */
	char **args;  /* process.args, NULL-terminated */
	char **env;   /* process.env, NULL-terminated */
	char *cwd;    /* process.cwd, absolute */
	uint32_t uid, gid;
	int terminal;
	char *hostname;                          /* or NULL */
	uint64_t mem;                            /* linux.resources.memory.limit, 0: the image's */
	char *netns;                             /* linux.namespaces' network path, or NULL */
	struct oci_mount mounts[OCI_MAX_MOUNTS]; /* bind mounts of directories */
	int nmounts;
	/* Bind mounts of single files (podman's /etc/hosts, /etc/resolv.conf,
	 * /etc/hostname): the image has a link at each destination into
	 * OCI_FILES_DIR, a share of the container's copies of them. */
	struct oci_mount files[OCI_MAX_FILES];
	int nfiles;
	char *tmpfs[OCI_MAX_MOUNTS]; /* tmpfs mounts' destinations: ukrun --tmpfs */
	int ntmpfs;
	char *annotations; /* JSON object text, or NULL */
};

/* Read and check BUNDLE/config.json into *s. 0, or -1 with the problem
 * (naming the field) in err. notes(level, line) hears what is accepted
 * but not done (file bind mounts, cgroup limits). */
int oci_spec_read(const char *bundle, struct oci_spec *s, char *err, size_t errlen,
                  void (*note)(void *ctx, const char *msg), void *ctx);
/* A process object alone (`exec --process FILE`: the process of
 * config.json) into s's process fields. 0, or -1 with the problem in err. */
int oci_process_read(const char *path, struct oci_spec *s, char *err, size_t errlen);
void oci_spec_free(struct oci_spec *s);

/* ---- the engine's network (oci_net.c) ---- */

struct oci_net {
	char veth[16], tap[16]; /* interface names */
	char ip[48], gw[40];    /* "A.B.C.D/N", "A.B.C.D" or "" */
	char mac[18];           /* the veth's, the guest's too: "02:42:..." or "" */
	int mtu;
};

/* Enter the network namespace at path (this process, and so the VM it
 * starts), make a TAP there (named after container id) and join it to the engine's veth both ways
 * (tc mirred); the guest's address and gateway into *net. 0, or -1 with
 * a message logged. */
int oci_net_join(const struct oci_rt *rt, const char *id, const char *netns, struct oci_net *net);

/* ---- the image cache (oci_image.c) ---- */

#define OCI_CACHE_DAYS 7 /* an image no container used for this long goes */

/* The uk image of s's root filesystem, working directory and user: from
 * ROOT/images/KEY.img when it is there (its time then says it was used),
 * else built with ukbuild (beside this ukrun) and put there, after which
 * images unused for OCI_CACHE_DAYS go. The path into out, and in *hold a
 * descriptor keeping the image from being removed: close it once the VM
 * has the image open. 0, or -1 with a message logged. */
int oci_image_get(const struct oci_rt *rt, const struct oci_spec *s, char *out, size_t outlen,
                  int *hold);

/* ---- a container's state (oci_state.c) ---- */

enum oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_STOPPED };

struct oci_state {
	char id[256];
	char bundle[4096];
	pid_t pid;
	unsigned long long start_time; /* the pid's, from /proc: a recycled pid is not ours */
	int started;                   /* start was called */
	char created[40];              /* RFC 3339 */
	char *annotations;             /* JSON object text, or NULL */
};

/* Whether id is a container name we take: [A-Za-z0-9][A-Za-z0-9_.+-]*,
 * at most 255 bytes (no '/', no "..": it names a directory). */
int oci_id_valid(const char *id);
/* ROOT/ID (the container's directory) into out. */
int oci_dir(const struct oci_rt *rt, const char *id, char *out, size_t len);
int oci_state_read(const struct oci_rt *rt, const char *id, struct oci_state *st);
int oci_state_write(const struct oci_rt *rt, const struct oci_state *st);
/* What the container is now: its VM process alive (not a zombie, the same
 * start time) and started or not. */
enum oci_status oci_state_status(const struct oci_state *st);
const char *oci_status_name(enum oci_status s);
/* The process's start time (field 22 of /proc/PID/stat), 0 when it is gone
 * or a zombie. */
unsigned long long oci_proc_start_time(pid_t pid);

/* The VM process's pid and start time also in ROOT/ID/vm.pid, written as
 * soon as it exists: a delete --force finds the VM by it when state.json
 * is missing or cannot be read. 0, or -1 (errno). */
int oci_vm_pid_write(const char *dir, pid_t pid, unsigned long long start_time);
int oci_vm_pid_read(const char *dir, struct oci_state *st);
/* The container's directory locked (flock, exclusive) for as long as the
 * descriptor returned stays open: create holds it until it has ended, so
 * a delete --force in the meantime does not pull the directory from under
 * it. wait: block for it, else -1 with EWOULDBLOCK when it is held; -1
 * with ENOENT when dir went (or names another directory) before it was
 * locked. */
int oci_dir_lock(const char *dir, int wait);

/* Now, in the state's format (RFC 3339, UTC). */
void oci_state_now(char *buf, size_t len);
/* Remove what a container left in dir, and dir. */
void oci_remove_dir(const char *dir);

/* ---- the VM process's side (oci_wait.c) ---- */

/* Called by ukrun once the VM is set up, before anything of the guest
 * runs: tell `create` (ready_fd: one byte, then closed), restore the
 * container's stderr (stderr_fd, when >= 0), then wait until `start` opens
 * the FIFO. 0, or -1 with a message. */
int oci_wait_start(int ready_fd, int stderr_fd, const char *fifo);

/* ---- the commands (oci_runtime.c; the list in oci_cmd.c) ---- */

/* The runtime's command words, NULL-terminated (those it does not support
 * too, to say so). */
extern const char *const oci_commands[];
/* Whether argv asks for the runtime (a global option or command word
 * first): ukrun then hands it to ukrun-oci. */
int oci_is_runtime(int argc, char **argv);
/* `create [OPTIONS] ID` (oci_create.c): argv[0] is "create". */
int oci_create(const struct oci_rt *rt, int argc, char **argv);
/* `exec [OPTIONS] ID [CMD...]` (oci_exec.c): argv[0] is "exec". */
int oci_exec(const struct oci_rt *rt, int argc, char **argv);
/* `kill --all`: sig for every process of container id's VM but process 1
 * (whose signal goes to the VM process, as without --all): 0, or -1
 * (said). */
int oci_exec_kill_all(const struct oci_rt *rt, const char *id, int sig);
/* A new pseudo-terminal whose master goes to the engine over
 * console_socket (SCM_RIGHTS, with its name), as runc sends it: 0 and
 * *slave open, or -1 (said). */
int oci_console(const struct oci_rt *rt, const char *console_socket, int *slave);
/* The runtime's main: its exit status. */
int oci_main(int argc, char **argv);

#endif
