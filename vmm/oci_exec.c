/*
 * `ukrun exec [OPTIONS] ID [CMD...]`: a process started in a running
 * container's VM, as runc's exec starts one in a container (podman exec,
 * docker exec, ctr task exec). What to run is --process FILE (the
 * runtime-spec's process object, what conmon passes) or CMD with the
 * container's config.json process as the defaults, changed by --cwd,
 * --env and --user. The VM's ukrun takes it on ROOT/ID/exec.sock (exec.c)
 * with this process's stdin, stdout and stderr, which the new process
 * uses as its own; this process exits with its status (128 + N after
 * signal N), or 126/127 when it could not start (not executable, not
 * found: docker's and runc's codes).
 *
 * --detach (conmon's way): once the process runs, exec returns 0, and a
 * child of it, written into --pid-file, stays to exit with the process's
 * status; the engine's monitor is a subreaper, so it inherits and reaps
 * that child, as it does runc's detached process.
 *
 * Signals exec gets (SIGTERM, SIGINT, SIGHUP, ...: podman's, a ^C, the
 * shim's) go on to the process, as runc's exec forwards them.
 *
 * --tty (-t) or process.terminal: a new pseudo-terminal, whose slave is
 * the process's stdin, stdout and stderr. Its master goes to
 * --console-socket as runc sends it (podman exec -it: conmon has it), or
 * without one, exec relays between it and its own stdin and stdout (its
 * own terminal made raw meanwhile, its size copied at the start and at
 * each SIGWINCH). The session is kept by a child that leads a session of
 * its own with the slave as its controlling terminal: what the terminal
 * signals (a ^C typed, a resize's SIGWINCH, the master's hang-up) reaches
 * it, and it forwards that to the terminal's foreground group in the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

#define START_WAIT_MS 30000 /* for the VM to start the process */

struct exec {
	const struct oci_rt *rt;
	const char *process, *pid_file, *cwd, *user, *id, *console_socket;
	const char *env[VMM_MAX_ARGS];
	int nenv, detach, tty;
	int slave, master; /* a terminal's two ends (-1: none; no master with a console socket) */
	struct oci_spec spec; /* what to run */
};

/* Signals exec takes for the process: the handler writes them into a
 * pipe, and the waiting loop sends them on. */
static const int forwarded[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,  SIGUSR2, SIGALRM,
	                         SIGTERM, SIGCONT, SIGTSTP, SIGWINCH, SIGCHLD };
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &b, 1) < 0) {
		/* 4096 waiting already: this one is lost */
	}
	errno = saved;
}

static int signals_take(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(*forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
	return 0;
}

/* The signals that came: into sig (up to n), how many. */
static int signals_read(unsigned char *sig, int n)
{
	ssize_t r = sig_pipe[0] >= 0 ? read(sig_pipe[0], sig, (size_t)n) : -1;

	return r > 0 ? (int)r : 0;
}

static int exec_opt(void *ctx, int key, const char *v)
{
	struct exec *e = ctx;

	switch (key) {
	case 'p': e->process = v; break;
	case 'P': e->pid_file = v; break;
	case 'w': e->cwd = v; break;
	case 'u': e->user = v; break;
	case 'd': e->detach = 1; break;
	case 't': e->tty = 1; break;
	case 'C': e->console_socket = v; break;
	case 'e':
		if (e->nenv == VMM_MAX_ARGS - 1 || !strchr(v, '=') || v[0] == '=') {
			oci_err(e->rt, "exec: --env '%s': expected NAME=VALUE (at most %d)", v,
			        VMM_MAX_ARGS - 1);
			return -1;
		}
		e->env[e->nenv++] = v;
		break;
	} /* -i, --cap, --no-new-privs, --apparmor, --process-label, --preserve-fds,
	   * --cgroup, --ignore-paused, -g: accepted; a VM has no such host state, and
	   * stdin is always the caller's */
	return 0;
}

/* The defaults' list with NAME=VALUE from --env put over it. */
static int env_over(struct exec *e)
{
	size_t n = 0;
	char **l;

	while (e->spec.env && e->spec.env[n])
		n++;
	if (!(l = realloc(e->spec.env, (n + (size_t)e->nenv + 1) * sizeof(*l))))
		return -1;
	e->spec.env = l;
	for (int i = 0; i < e->nenv; i++) {
		size_t k = strcspn(e->env[i], "=") + 1, j;
		for (j = 0; j < n && strncmp(l[j], e->env[i], k); j++)
			;
		if (j == n)
			n++;
		else
			free(l[j]);
		if (!(l[j] = strdup(e->env[i])))
			return -1;
	}
	l[n] = NULL;
	return 0;
}

static int user_arg(struct exec *e)
{
	char *end;
	unsigned long uid = strtoul(e->user, &end, 10), gid = 0;

	if (end != e->user && *end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (end == e->user || *end || uid > 0xfffffffe || gid > 0xfffffffe) {
		oci_err(e->rt, "exec: --user '%s': expected UID[:GID] (numbers)", e->user);
		return -1;
	}
	e->spec.uid = (uint32_t)uid, e->spec.gid = (uint32_t)gid;
	return 0;
}

/* What to run: --process, or CMD over config.json's process. */
static int what_to_run(struct exec *e, const struct oci_state *st, int argc, char **argv)
{
	char err[512];
	int n = argc - optind - 1;

	if (e->process ? oci_process_read(e->process, &e->spec, err, sizeof(err))
	               : oci_spec_read(st->bundle, &e->spec, err, sizeof(err), NULL, NULL)) {
		oci_err(e->rt, "exec: %s", err);
		return -1;
	}
	if (!e->process && n < 1) {
		oci_err(e->rt, "usage: ukrun exec [--process FILE | OPTIONS] ID CMD [ARG...]");
		return -1;
	}
	if (n > 0) {
		char **a = calloc((size_t)n + 1, sizeof(*a));
		if (!a)
			return -1;
		for (int i = 0; i < n; i++)
			a[i] = strdup(argv[optind + 1 + i]);
		for (int i = 0; e->spec.args && e->spec.args[i]; i++)
			free(e->spec.args[i]);
		free(e->spec.args);
		e->spec.args = a;
	}
	if (e->cwd) {
		free(e->spec.cwd);
		e->spec.cwd = strdup(e->cwd);
		if (e->cwd[0] != '/') {
			oci_err(e->rt, "exec: --cwd '%s': expected an absolute path", e->cwd);
			return -1;
		}
	}
	if ((e->user && user_arg(e)) || env_over(e))
		return -1;
	e->tty |= e->spec.terminal;
	if (e->tty && e->detach && !e->console_socket) {
		oci_err(e->rt, "exec: --tty with --detach needs --console-socket (where the "
		               "terminal goes)");
		return -1;
	}
	return 0;
}

/* -t: the terminal; its master to the console socket, or kept to relay. */
static int tty_open(struct exec *e)
{
	char name[128];

	if (e->console_socket)
		return oci_console(e->rt, e->console_socket, &e->slave);
	if ((e->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(e->master) ||
	    unlockpt(e->master) || ptsname_r(e->master, name, sizeof(name)) ||
	    (e->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		oci_err(e->rt, "exec: a pseudo-terminal: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The request: struct uk_exec_spec and its strings. */
static void *request(const struct oci_spec *s, size_t *len)
{
	size_t n = sizeof(struct uk_exec_spec) + strlen(s->cwd) + 1;
	uint32_t argc = 0, envc = 0;
	struct uk_exec_spec *sp;
	char *p;

	for (; s->args[argc]; argc++)
		n += strlen(s->args[argc]) + 1;
	for (; s->env && s->env[envc]; envc++)
		n += strlen(s->env[envc]) + 1;
	if (n > UK_EXEC_SPEC_MAX || !(sp = calloc(1, n)))
		return NULL;
	*sp = (struct uk_exec_spec){ s->uid, s->gid, argc, envc, (uint32_t)n, 0 };
	p = stpcpy((char *)(sp + 1), s->cwd) + 1;
	for (uint32_t i = 0; i < argc; i++)
		p = stpcpy(p, s->args[i]) + 1;
	for (uint32_t i = 0; i < envc; i++)
		p = stpcpy(p, s->env[i]) + 1;
	*len = n;
	return sp;
}

static int connect_vm(const struct exec *e, const char *dir)
{
	char path[PATH_MAX + 16];
	struct sockaddr_un sa;
	int fd = -1, dirfd = -1;

	snprintf(path, sizeof(path), "%s/exec.sock", dir);
	if (vmm_exec_addr(path, &sa, &dirfd) ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		oci_err(e->rt, "exec: container %s: its VM takes no exec (%s: %s)", e->id, path,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

static int send_request(const struct exec *e, int fd)
{
	int fds[3] = { 0, 1, 2 };

	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} c = { 0 };
	size_t len = 0;
	void *req = request(&e->spec, &len);
	struct iovec iov = { req, len };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = c.buf,
		            .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	ssize_t n;

	if (!req) {
		oci_err(e->rt, "exec: the command and environment take more than %u KiB",
		        UK_EXEC_SPEC_MAX >> 10);
		return -1;
	}
	if (e->slave >= 0)
		fds[0] = fds[1] = fds[2] = e->slave;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	n = sendmsg(fd, &m, MSG_NOSIGNAL);
	free(req);
	if (n != (ssize_t)len) {
		oci_err(e->rt, "exec: sending the request to container %s's VM: %s", e->id,
		        n < 0 ? strerror(errno) : "cut short");
		return -1;
	}
	return 0;
}

/* One reply; timeout_ms < 0: no limit. 0, or -1 when the VM went away
 * (its socket closed) or did not answer in time (*timed_out). */
static int get_reply(int fd, struct vmm_exec_reply *r, int timeout_ms, int *timed_out)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int n;

	*timed_out = 0;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		*timed_out = 1;
		return -1;
	}
	return recv(fd, r, sizeof(*r), 0) == (ssize_t)sizeof(*r) ? 0 : -1;
}

/* Until the process's end (its status, 0), sending on the signals that
 * come meanwhile; -1 when the VM went away. */
static int wait_exit(int fd, struct vmm_exec_reply *r)
{
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { sig_pipe[0], POLLIN, 0 } };
		unsigned char sig[64];
		int n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -1;
		n = signals_read(sig, sizeof(sig));
		for (int i = 0; i < n; i++) {
			struct vmm_exec_msg m = { VMM_EXEC_SIGNAL, sig[i] };
			if (sig[i] != SIGCHLD && send(fd, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
				/* the VM is gone: the recv says so */
			}
		}
		if (p[0].revents)
			return recv(fd, r, sizeof(*r), 0) == (ssize_t)sizeof(*r) ? 0 : -1;
	}
}

static int start_failed(const struct exec *e, const struct vmm_exec_reply *r)
{
	const char *prog = e->spec.args[0];
	int err = -r->value;

	if (r->kind == VMM_EXEC_REFUSED) {
		oci_err(e->rt, "exec: container %s's VM refused the request: %s", e->id,
		        err == EAGAIN ? "too many execs at once (16)" : strerror(err));
		return 1;
	}
	if (r->what == UK_EXEC_FAILED_CWD) {
		oci_err(e->rt, "exec failed: cwd %s: %s", e->spec.cwd, strerror(err));
		return 126;
	}
	if (r->what == UK_EXEC_FAILED_SETUP) {
		oci_err(e->rt, "exec failed: %s: %s", prog, strerror(err));
		return 126;
	}
	/* the words runc and crun use: podman turns them into 127 and 126 */
	if (err == ENOENT)
		oci_err(e->rt,
		        "exec failed: %s: executable file not found in $PATH: No such file "
		        "or directory",
		        prog);
	else if (err == EACCES)
		oci_err(e->rt, "exec failed: %s: permission denied", prog);
	else if (err == ENOEXEC)
		oci_err(e->rt, "exec failed: %s: exec format error (not a program the VM runs)",
		        prog);
	else
		oci_err(e->rt, "exec failed: %s: %s", prog, strerror(err));
	return err == ENOENT ? 127 : 126;
}

static int write_pid(const struct exec *e, pid_t pid)
{
	char tmp[PATH_MAX + 16];
	FILE *f;

	if (!e->pid_file)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", e->pid_file);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d", (int)pid) < 0 || fclose(f) ||
	    rename(tmp, e->pid_file)) {
		oci_err(e->rt, "exec: --pid-file %s: %s", e->pid_file, strerror(errno));
		return -1;
	}
	return 0;
}

static int wait_status(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Request, start, end. started (>= 0): where to say "started" (a byte)
 * once the process runs. The exit status. */
static int session(const struct exec *e, const char *dir, int started)
{
	struct vmm_exec_reply r;
	int fd = connect_vm(e, dir), timed_out, s;

	if (fd < 0 || send_request(e, fd) || signals_take())
		return 1;
	if (get_reply(fd, &r, START_WAIT_MS, &timed_out)) {
		oci_err(e->rt, "exec: container %s's VM %s", e->id,
		        timed_out ? "did not start the process in 30 s"
		                  : "ended before the process started");
		return timed_out ? 1 : 137;
	}
	if (r.kind != VMM_EXEC_STARTED || r.value < 0)
		return start_failed(e, &r);
	if (started >= 0) {
		if (write(started, "s", 1) != 1) {
			/* the parent is gone: the status is still ours to give */
		}
		close(started);
	}
	if (wait_exit(fd, &r) || r.kind != VMM_EXEC_EXITED) {
		oci_err(e->rt, "exec: container %s stopped before the process ended", e->id);
		return 137; /* killed with its container, as runc's would be */
	}
	s = wait_status(r.value);
	close(fd);
	return s;
}

/* The terminal's size: the caller's own, when it has one. */
static void size_copy(int master)
{
	struct winsize w;

	if (!ioctl(0, TIOCGWINSZ, &w))
		ioctl(master, TIOCSWINSZ, &w);
}

static int write_all(int fd, const char *p, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= w;
	}
	return 0;
}

/* One of the relay's ends has something: copied to the other; 0 once
 * it ended. */
static int copy(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	return n > 0 && !write_all(to, buf, n);
}

/* Foreground with a child keeping the session: the signals exec gets go
 * to it (a resize to the terminal), and without a console socket the
 * terminal is relayed; until the child ended and the terminal with it. */
static int wait_child(const struct exec *e, pid_t child)
{
	int in = e->master >= 0, out = in, status = 0, done;

	/* a child that ended before signals_take caught SIGCHLD: its
	 * SIGCHLD is gone (the default ignores it), its status is not */
	done = waitpid(child, &status, WNOHANG) == child;

	while (!done || out) {
		struct pollfd p[3] = { { sig_pipe[0], POLLIN, 0 },
			               { out ? e->master : -1, POLLIN, 0 },
			               { in ? 0 : -1, POLLIN, 0 } };
		unsigned char sig[64];
		int n;

		/* once the child ended, what the terminal still holds, then
		 * the end (a process the VM left holding it does not keep us) */
		if (poll(p, 3, done ? 200 : -1) == 0)
			break;
		n = signals_read(sig, sizeof(sig));
		for (int i = 0; i < n; i++) {
			if (sig[i] == SIGCHLD)
				done |= waitpid(child, &status, WNOHANG) == child;
			else if (sig[i] == SIGWINCH && e->master >= 0)
				size_copy(e->master); /* the child hears it from the terminal */
			else
				kill(child, sig[i]);
		}
		if (out && p[1].revents)
			out = copy(e->master, 1);
		if (in && p[2].revents)
			in = copy(0, e->master);
	}
	if (!done)
		waitpid(child, &status, 0);
	return wait_status(status);
}

/* A child keeps the session (--detach, --tty): the parent returns once
 * the process runs (--detach), or waits for the child (the terminal's
 * relay, signals passed on), or with the child's status when the process
 * could not start. */
static int in_child(const struct exec *e, const char *dir)
{
	struct termios saved, raw;
	int p[2], status, r, own_tty = 0;
	pid_t pid;
	char b;

	if (e->master >= 0)
		size_copy(e->master); /* before the process may ask it */
	if (pipe2(p, O_CLOEXEC) || (pid = fork()) < 0) {
		oci_err(e->rt, "exec: %s", strerror(errno));
		return 1;
	}
	if (!pid) {
		close(p[0]);
		if (e->slave >= 0 && (setsid() < 0 || ioctl(e->slave, TIOCSCTTY, 0) < 0)) {
			oci_err(e->rt, "exec: the terminal: %s", strerror(errno));
			_exit(1);
		}
		if (e->master >= 0)
			close(e->master);
		_exit(session(e, dir, p[1]));
	}
	close(p[1]);
	if (e->slave >= 0)
		close(e->slave); /* the child's and the VM's: its end ends the relay */
	r = read(p[0], &b, 1);
	close(p[0]);
	if (r != 1 || e->detach) {
		if (r != 1)
			waitpid(pid, &status, 0);
		return r != 1 ? wait_status(status) : write_pid(e, pid) ? 1 : 0;
	}
	if (signals_take()) {
		oci_err(e->rt, "exec: %s", strerror(errno));
		return 1;
	}
	if (e->master >= 0) {
		size_copy(e->master); /* (a resize while it started) */
		if (isatty(0) && !tcgetattr(0, &saved)) {
			raw = saved;
			cfmakeraw(&raw);
			own_tty = !tcsetattr(0, TCSANOW, &raw);
		}
	}
	r = wait_child(e, pid);
	if (own_tty)
		tcsetattr(0, TCSANOW, &saved);
	return r;
}

int oci_exec_kill_all(const struct oci_rt *rt, const char *id, int sig)
{
	struct exec e = { .rt = rt, .id = id };
	struct vmm_exec_msg m = { VMM_EXEC_KILL_ALL, sig };
	struct vmm_exec_reply r;
	char dir[PATH_MAX];
	int fd, timed_out;

	oci_dir(rt, id, dir, sizeof(dir));
	if ((fd = connect_vm(&e, dir)) < 0)
		return -1;
	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m) ||
	    get_reply(fd, &r, START_WAIT_MS, &timed_out) || r.kind != VMM_EXEC_DONE) {
		oci_log(rt, "warning",
		        "kill --all: container %s's VM did not take the signal for its other "
		        "processes (process 1 gets it)",
		        id);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int oci_exec(const struct oci_rt *rt, int argc, char **argv)
{
	struct exec e = { .rt = rt, .slave = -1, .master = -1 };
	struct oci_state st;
	char err[256], dir[PATH_MAX];
	enum oci_status s;
	int r;

	if ((r = host_opts(argc, argv,
	                   "p:process= P.pid-file= w.cwd= u:user= d:detach t:tty "
	                   "C.console-socket= e:env= i:interactive c:cap= n.no-new-privs "
	                   "a.apparmor= l.process-label= f.preserve-fds= g:additional-gids= "
	                   "G.cgroup= I.ignore-paused",
	                   HOST_OPTS_FIRST, "ukrun --root X --help", exec_opt, &e, err,
	                   sizeof(err)))) {
		if (*err)
			oci_err(rt, "exec: %s", err);
		return 1;
	}
	if (optind >= argc) {
		oci_err(rt, "usage: ukrun exec [--process FILE | OPTIONS] ID [CMD [ARG...]]");
		return 1;
	}
	e.id = argv[optind];
	if (!oci_id_valid(e.id) || oci_state_read(rt, e.id, &st)) {
		oci_err(rt, "exec: container %s does not exist (under %s)", e.id, rt->root);
		return 1;
	}
	free(st.annotations);
	if ((s = oci_state_status(&st)) != OCI_RUNNING) {
		/* runc's words for a stopped one: containerd's shim matches them */
		oci_err(rt, "exec: cannot exec in a %s container: %s is %s%s",
		        s == OCI_STOPPED ? "stopped" : "not started", e.id, oci_status_name(s),
		        s == OCI_STOPPED ? "" : " (start it first)");
		return 1;
	}
	if (what_to_run(&e, &st, argc, argv)) {
		oci_spec_free(&e.spec);
		return 1;
	}
	oci_dir(rt, e.id, dir, sizeof(dir));
	if (e.tty && tty_open(&e))
		r = 1;
	else if (!e.detach && write_pid(&e, getpid()))
		r = 1;
	else if (e.detach || e.tty)
		r = in_child(&e, dir);
	else
		r = session(&e, dir, -1);
	if (e.master >= 0)
		close(e.master);
	oci_spec_free(&e.spec);
	return r;
}
