/*
 * `ukrun create --bundle DIR [--pid-file F] [--console-socket S] ID`: the
 * container's VM, set up and waiting (oci_wait.c). The VM process is
 * ukrun itself started on the container's image with config.json's
 * process, mounts and memory as its options; it is a child of `create`
 * that `create` leaves behind, so the engine's monitor (conmon, the
 * containerd shim: subreapers) inherits it and reaps its exit status.
 * Until the VM is ready ukrun's messages go to ROOT/ID/setup.log, so that
 * `create` can give the reason a VM could not be made; then the
 * container's own stderr takes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

struct create {
	const struct oci_rt *rt;
	const char *id, *bundle, *pid_file, *console_socket;
	char dir[PATH_MAX], fifo[PATH_MAX + 16], setup_log[PATH_MAX + 16], image[PATH_MAX];
	struct oci_spec spec;
	struct oci_net net; /* when spec.netns */
	int pty_slave;
	int image_hold; /* the image's lock, until the VM has it open */
};

static void spec_note(void *ctx, const char *msg) { oci_log(ctx, "debug", "config.json: %s", msg); }

/* ukrun's command line for the VM. */
static char **vm_argv(struct create *c, int ready_fd, int stderr_fd)
{
	const struct oci_spec *s = &c->spec;
	size_t n = 0, max = 64 + 2 * VMM_MAX_ARGS + 4 * OCI_MAX_MOUNTS + VMM_MAX_ARGS;
	char **v = calloc(max, sizeof(*v)), buf[64];

#define ADD(x) (v[n++] = strdup(x))
	if (!v)
		return NULL;
	ADD("ukrun");
	ADD("--oci-start");
	ADD(c->fifo);
	snprintf(buf, sizeof(buf), "%d", ready_fd);
	ADD("--oci-ready");
	ADD(buf);
	snprintf(buf, sizeof(buf), "%d", stderr_fd);
	ADD("--oci-stderr");
	ADD(buf);
	ADD("--oci-exec");
	if (asprintf(&v[n++], "%s/exec.sock", c->dir) < 0)
		return NULL;
	if (s->readonly)
		ADD("--read-only");
	for (int i = 0; i < s->ntmpfs; i++) {
		ADD("--tmpfs");
		ADD(s->tmpfs[i]);
	}
	if (s->hostname) {
		ADD("--hostname");
		ADD(s->hostname);
	}
	if (s->mem) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->mem);
		ADD("--mem");
		ADD(buf);
	}
	for (int i = 0; s->env && s->env[i]; i++) {
		ADD("-e");
		ADD(s->env[i]);
	}
	for (int i = 0; i < s->nmounts; i++) {
		char *m;
		if (asprintf(&m, "%s:%s%s", s->mounts[i].src, s->mounts[i].dst,
		             s->mounts[i].ro ? ":ro" : "") < 0)
			return NULL;
		ADD("-v");
		v[n++] = m;
	}
	if (s->netns) {
		char *tap;
		if (asprintf(&tap, "tap:%s%s%s", c->net.tap, *c->net.mac ? ",mac=" : "",
		             c->net.mac) < 0)
			return NULL;
		ADD("--net");
		v[n++] = tap;
		ADD("--ip");
		ADD(c->net.ip);
		if (*c->net.gw) {
			ADD("--gw");
			ADD(c->net.gw);
		}
	}
	if (s->nfiles) {
		char *m;
		if (asprintf(&m, "%s/files:%s", c->dir, OCI_FILES_DIR) < 0)
			return NULL;
		ADD("-v");
		v[n++] = m;
	}
	ADD(c->image);
	ADD("--");
	for (int i = 0; s->args[i]; i++)
		ADD(s->args[i]);
#undef ADD
	return v;
}

/* The terminal: the slave becomes the VM's stdin, stdout and stderr. */
static int console(struct create *c)
{
	return oci_console(c->rt, c->console_socket, &c->pty_slave);
}

int oci_console(const struct oci_rt *rt, const char *console_socket, int *slave)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[128], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int m = -1, sock = -1, r = -1;

	if (strlen(console_socket) >= sizeof(sa.sun_path)) {
		oci_err(rt, "--console-socket %s: path too long", console_socket);
		return -1;
	}
	strcpy(sa.sun_path, console_socket);
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(m) || unlockpt(m) ||
	    ptsname_r(m, name, sizeof(name)) ||
	    (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		oci_err(rt, "a pseudo-terminal: %s", strerror(errno));
		goto out;
	}
	if ((sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		oci_err(rt, "--console-socket %s: %s", console_socket, strerror(errno));
		goto out;
	}
	iov.iov_base = name;
	iov.iov_len = strlen(name);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &m, sizeof(int));
	if (sendmsg(sock, &mh, 0) < 0) {
		oci_err(rt, "--console-socket %s: sending the terminal: %s", console_socket,
		        strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (m >= 0)
		close(m);
	if (sock >= 0)
		close(sock);
	return r;
}

/* In the child: descriptors as the VM process has them, then ukrun. */
static void __attribute__((noreturn)) vm_exec(struct create *c, int ready_w, int log_fd)
{
	char **argv, exe[PATH_MAX];
	int stderr_fd, r;

	setsid();
	if (c->pty_slave >= 0) {
		if (ioctl(c->pty_slave, TIOCSCTTY, 0) < 0 || dup2(c->pty_slave, 0) < 0 ||
		    dup2(c->pty_slave, 1) < 0 || dup2(c->pty_slave, 2) < 0) {
			dprintf(log_fd, "ukrun: the container's terminal: %s\n", strerror(errno));
			_exit(VMM_EXIT_ERROR);
		}
	}
	/* The container's stderr kept aside; the set-up's goes to the log. */
	if ((stderr_fd = fcntl(2, F_DUPFD, 3)) < 0 || dup2(log_fd, 2) < 0) {
		dprintf(log_fd, "ukrun: descriptors for the VM: %s\n", strerror(errno));
		_exit(VMM_EXIT_ERROR);
	}
	/* Only what the VM needs crosses the exec: an engine's other
	 * descriptors stay with it. */
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	fcntl(ready_w, F_SETFD, 0);
	fcntl(stderr_fd, F_SETFD, 0);
	if (!(argv = vm_argv(c, ready_w, stderr_fd))) {
		dprintf(2, "ukrun: out of memory\n");
		_exit(VMM_EXIT_ERROR);
	}
	if ((r = vmm_sibling(VMM_EXE_VMM, exe, sizeof(exe))) == 0) {
		execv(exe, argv);
		r = -errno;
	}
	dprintf(2, "ukrun: %s: %s\n", r == -ENAMETOOLONG ? VMM_EXE_VMM : exe, strerror(-r));
	_exit(VMM_EXIT_ERROR);
}

/* What ukrun said before it failed, into the log as the error. */
static void report_setup(struct create *c, int status)
{
	char buf[2048] = "", *p;
	int fd = open(c->setup_log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (p = buf; (p = strstr(p, "ukrun: ")) == buf;) /* one prefix is enough */
		memmove(p, p + 7, strlen(p + 7) + 1);
	while (*buf && buf[strlen(buf) - 1] == '\n')
		buf[strlen(buf) - 1] = 0;
	for (p = buf; (p = strchr(p, '\n'));)
		*p = ' ';
	oci_err(c->rt, "the VM of container %s could not be set up (%s %d): %s", c->id,
	        WIFSIGNALED(status) ? "signal" : "status",
	        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	        *buf ? buf : "no message");
}

static int write_pid_file(const struct oci_rt *rt, const char *path, pid_t pid)
{
	char tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d", (int)pid) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		oci_err(rt, "--pid-file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Start the VM process and wait until it is ready (or failed). */
static int start_vm(struct create *c, pid_t *pidp)
{
	int ready[2] = { -1, -1 }, log_fd, status;
	char b;
	ssize_t n;
	pid_t pid;

	if ((log_fd = open(c->setup_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    pipe2(ready, O_CLOEXEC)) {
		oci_err(c->rt, "%s: %s", c->setup_log, strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		oci_err(c->rt, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid)
		vm_exec(c, ready[1], log_fd);
	close(ready[1]);
	close(log_fd);
	while ((n = read(ready[0], &b, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n == 1) {
		*pidp = pid;
		return 0;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	report_setup(c, status);
	return -1;
}

/* Copy the bind-mounted single files into DIR/files/N: the share their
 * links in the image point into. A copy, not the engine's file: what the
 * engine writes there later (podman's /etc/hosts when a network is
 * connected) is not seen, and what the guest writes stays in the copy. */
static int copy_files(struct create *c)
{
	char path[PATH_MAX + 32], buf[8192];
	int in = -1, out = -1;
	ssize_t n = 0;

	snprintf(path, sizeof(path), "%s/files", c->dir);
	if (c->spec.nfiles && mkdir(path, 0755))
		goto fail;
	for (int i = 0; i < c->spec.nfiles; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/files/%d", c->dir, i);
		if ((in = open(c->spec.files[i].src,
		               O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 ||
		    fstat(in, &st) || !S_ISREG(st.st_mode) ||
		    (out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		                c->spec.files[i].ro ? 0444 : 0644)) < 0) {
			snprintf(path, sizeof(path), "%s", c->spec.files[i].src);
			goto fail;
		}
		for (size_t total = 0; (n = read(in, buf, sizeof(buf))) > 0; total += (size_t)n)
			if (total + (size_t)n > OCI_FILE_MAX || write(out, buf, (size_t)n) != n) {
				errno = EFBIG;
				goto fail;
			}
		if (n < 0)
			goto fail;
		close(in);
		close(out);
		in = out = -1;
	}
	return 0;
fail:
	oci_err(c->rt, "%s: %s", path, errno ? strerror(errno) : "not a regular file");
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return -1;
}

static int create_run(struct create *c)
{
	char err[1024];
	struct oci_state st = { 0 };
	pid_t pid;

	if (oci_spec_read(c->bundle, &c->spec, err, sizeof(err), spec_note, (void *)c->rt)) {
		oci_err(c->rt, "bundle %s: %s", c->bundle, err);
		return -1;
	}
	if (c->spec.terminal && !c->console_socket) {
		oci_err(c->rt, "process.terminal is true: give --console-socket");
		return -1;
	}
	if (oci_image_get(c->rt, &c->spec, c->image, sizeof(c->image), &c->image_hold))
		return -1;
	if (c->spec.netns && oci_net_join(c->rt, c->id, c->spec.netns, &c->net))
		return -1;
	if (copy_files(c))
		return -1;
	if (mkfifo(c->fifo, 0600)) {
		oci_err(c->rt, "%s: %s", c->fifo, strerror(errno));
		return -1;
	}
	if (c->spec.terminal && console(c))
		return -1;
	if (start_vm(c, &pid))
		return -1;
	snprintf(st.id, sizeof(st.id), "%s", c->id);
	snprintf(st.bundle, sizeof(st.bundle), "%s", c->spec.bundle);
	st.pid = pid;
	st.start_time = oci_proc_start_time(pid);
	oci_state_now(st.created, sizeof(st.created));
	st.annotations = c->spec.annotations;
	if (oci_vm_pid_write(c->dir, pid, st.start_time) || oci_state_write(c->rt, &st)) {
		oci_err(c->rt, "%s/state.json: %s", c->dir, strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	oci_log(c->rt, "debug", "container %s: VM process %d waits for start", c->id, (int)pid);
	if (c->pid_file && write_pid_file(c->rt, c->pid_file, pid)) {
		kill(pid, SIGKILL); /* it waits on a FIFO that is about to go */
		return -1;
	}
	return 0;
}

/* The root and its parents, as runc makes them (containerd gives
 * /run/containerd/runc/NAMESPACE). */
static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return errno = ENAMETOOLONG, -1;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0711) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

static int create_opt(void *ctx, int key, const char *v)
{
	struct create *c = ctx;

	switch (key) {
	case 'b': c->bundle = v; break;
	case 'p': c->pid_file = v; break;
	case 'c': c->console_socket = v; break;
	}
	return 0;
}

int oci_create(const struct oci_rt *rt, int argc, char **argv)
{
	struct create c = { .rt = rt, .bundle = ".", .pty_slave = -1, .image_hold = -1 };
	char err[256];
	int r, lock;

	/* nothing of the host is pivoted, keyed or passed: --no-pivot,
	 * --no-new-keyring and --preserve-fds are accepted and change nothing */
	if ((r = host_opts(argc, argv,
	                   "b:bundle= p.pid-file= c.console-socket= n.no-pivot k.no-new-keyring "
	                   "f.preserve-fds=",
	                   HOST_OPTS_FIRST, "ukrun --root X --help", create_opt, &c, err,
	                   sizeof(err)))) {
		oci_err(rt, "create: %s", err);
		return 1;
	}
	if (optind != argc - 1) {
		oci_err(rt, "usage: ukrun create --bundle DIR [--pid-file F] "
		            "[--console-socket S] ID");
		return 1;
	}
	c.id = argv[optind];
	if (!oci_id_valid(c.id)) {
		oci_err(rt, "container id '%s': expected letters, digits and _.+- (at most 255)",
		        c.id);
		return 1;
	}
	if (oci_dir(rt, c.id, c.dir, sizeof(c.dir)) || mkdir_p(rt->root)) {
		oci_err(rt, "--root %s: %s", rt->root, strerror(errno));
		return 1;
	}
	if (mkdir(c.dir, 0700)) {
		oci_err(rt, errno == EEXIST ? "container %s already exists" : "%s: %s",
		        errno == EEXIST ? c.id : c.dir, strerror(errno));
		return 1;
	}
	if ((lock = oci_dir_lock(c.dir, 1)) < 0) {
		if (errno == ENOENT) { /* a delete --force took it: what is there is not ours */
			oci_err(rt, "container %s was deleted while it was being created", c.id);
			return 1;
		}
		oci_err(rt, "%s: %s", c.dir, strerror(errno));
		rmdir(c.dir);
		return 1;
	}
	snprintf(c.fifo, sizeof(c.fifo), "%s/exec.fifo", c.dir);
	snprintf(c.setup_log, sizeof(c.setup_log), "%s/setup.log", c.dir);
	r = create_run(&c);
	if (r) /* nothing is left behind */
		oci_remove_dir(c.dir);
	close(lock);
	if (c.pty_slave >= 0)
		close(c.pty_slave);
	if (c.image_hold >= 0)
		close(c.image_hold);
	oci_spec_free(&c.spec);
	return r ? 1 : 0;
}
