/*
 * The runtime's command line, as runc and crun take it (the runtime-spec's
 * operations plus what conmon and containerd's shim call): global options
 * first, then the command. `create` is oci_create.c; the rest are here.
 * Exit status 0, or 1 with the reason on stderr and in --log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

static const char usage[] =
    "usage: ukrun [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
    "             [--systemd-cgroup] COMMAND [OPTIONS] ID\n"
    "ukrun as an OCI runtime (podman --runtime, docker's runtimes, containerd's\n"
    "runc shim): each container is a uk microVM.\n"
    "\n"
    "  create --bundle DIR [--pid-file F] [--console-socket S] ID\n"
    "                        build (or find) the image of the bundle's rootfs and\n"
    "                        set its VM up, waiting before the guest runs\n"
    "  start ID              run the guest\n"
    "  state ID              the container's state (JSON)\n"
    "  kill [--all] ID [SIGNAL]  signal the VM (default SIGTERM)\n"
    "  delete [--force] ID   forget a stopped container (--force: kill it first)\n"
    "  list [--format table|json] [-q]   the containers under the root\n"
    "  ps [--format table|json] ID       the container's processes (its VM's)\n"
    "  features              what this runtime supports (JSON)\n"
    "  exec [--process F | --cwd D --env K=V --user U:G] [--detach]\n"
    "       [--pid-file F] ID [CMD...]  run a process in the running VM with this\n"
    "                        one's stdin, stdout and stderr; exits with its status\n"
    "\n"
    "Default root: " OCI_DEFAULT_ROOT " ($XDG_RUNTIME_DIR/ukrun for a user other than\n"
    "the host's root, as rootless podman runs it)\n";

/* The container's state, or a message that it does not exist. */
static int load(const struct oci_rt *rt, const char *id, struct oci_state *st)
{
	if (!oci_id_valid(id)) {
		oci_err(rt, "container id '%s': not a valid id", id);
		return -1;
	}
	if (oci_state_read(rt, id, st)) {
		oci_err(rt, "container %s does not exist (under %s)", id, rt->root);
		return -1;
	}
	return 0;
}

/* One ID after the command's options. */
static const char *one_id(const struct oci_rt *rt, int argc, char **argv, const char *use)
{
	if (optind != argc - 1) {
		oci_err(rt, "usage: ukrun %s", use);
		return NULL;
	}
	return argv[optind];
}

/* A command's options (spec: host_opts's; fn sees each), its operands
 * from optind; 0, or -1 and the error said. */
static int cmd_opts(const struct oci_rt *rt, int argc, char **argv, const char *spec,
                    int (*fn)(void *ctx, int key, const char *value), void *ctx)
{
	char err[256];

	if (host_opts(argc, argv, spec, HOST_OPTS_FIRST, "ukrun --root X --help", fn, ctx, err,
	              sizeof(err))) {
		if (*err)
			oci_err(rt, "%s: %s", argv[0], err);
		return -1;
	}
	return 0;
}

static int set_flag(void *ctx, int key, const char *value)
{
	*(int *)ctx = 1;
	return 0;
}

static int no_options(const struct oci_rt *rt, int argc, char **argv)
{
	return cmd_opts(rt, argc, argv, "", NULL, NULL); /* (no option reaches fn) */
}

static int cmd_start(const struct oci_rt *rt, int argc, char **argv)
{
	char dir[PATH_MAX], fifo[PATH_MAX + 16], b;
	struct oci_state st;
	const char *id;
	int fd, r = 1;

	if (no_options(rt, argc, argv) || !(id = one_id(rt, argc, argv, "start ID")) ||
	    load(rt, id, &st))
		return 1;
	if (oci_state_status(&st) != OCI_CREATED) {
		oci_err(rt, "container %s is %s: only a created container starts", id,
		        oci_status_name(oci_state_status(&st)));
		goto out;
	}
	oci_dir(rt, id, dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", dir);
	/* Non-blocking: a VM that died before start leaves no writer, and a
	 * blocking open would wait for ever. */
	if ((fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		oci_err(rt, "%s: %s", fifo, strerror(errno));
		goto out;
	}
	for (int i = 0; i < 100; i++) { /* 10 s: the VM waits in open already */
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) == 1 && read(fd, &b, 1) == 1) {
			r = 0;
			break;
		}
		if (oci_state_status(&st) == OCI_STOPPED)
			break;
	}
	close(fd);
	if (r) {
		oci_err(rt, "container %s: its VM process %d %s", id, (int)st.pid,
		        oci_state_status(&st) == OCI_STOPPED ? "ended before it could start"
		                                             : "did not take the start in 10 s");
		goto out;
	}
	unlink(fifo);
	st.started = 1;
	if (oci_state_write(rt, &st)) {
		oci_err(rt, "%s/state.json: %s", dir, strerror(errno));
		r = 1;
	}
out:
	free(st.annotations);
	return r;
}

static int cmd_state(const struct oci_rt *rt, int argc, char **argv)
{
	struct oci_state st;
	enum oci_status s;
	const char *id;
	json_t *o, *ann;
	char *text;

	if (no_options(rt, argc, argv) || !(id = one_id(rt, argc, argv, "state ID")) ||
	    load(rt, id, &st))
		return 1;
	s = oci_state_status(&st);
	ann = st.annotations ? json_loads(st.annotations, 0, NULL) : NULL;
	o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o}", "ociVersion", OCI_VERSION, "id", id,
	              "status", oci_status_name(s), "pid", s == OCI_STOPPED ? 0 : (int)st.pid,
	              "bundle", st.bundle, "created", st.created, "annotations",
	              ann ? ann : json_object());
	text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
	free(st.annotations);
	return text ? 0 : 1;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "HUP", SIGHUP },   { "INT", SIGINT },    { "QUIT", SIGQUIT },
		      { "KILL", SIGKILL }, { "TERM", SIGTERM },  { "USR1", SIGUSR1 },
		      { "USR2", SIGUSR2 }, { "STOP", SIGSTOP },  { "CONT", SIGCONT },
		      { "ALRM", SIGALRM }, { "WINCH", SIGWINCH } };
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	return -1;
}

/* The signal goes to the VM process through a pidfd opened before its
 * start time is checked again: a pid that ended and was given to another
 * process in between is not signalled (kill(2) alone would). */
static int signal_vm(const struct oci_state *st, int sig)
{
	int fd = pidfd_open(st->pid, 0), r;

	if (fd < 0 && errno != ENOSYS)
		return -1;
	if (fd < 0)
		return kill(st->pid, sig); /* a kernel before 5.3 */
	if (oci_state_status(st) == OCI_STOPPED) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	r = pidfd_send_signal(fd, sig, NULL, 0);
	close(fd);
	return r;
}

static int cmd_kill(const struct oci_rt *rt, int argc, char **argv)
{
	struct oci_state st;
	int all = 0, sig = SIGTERM, r = 1;
	const char *id;

	if (cmd_opts(rt, argc, argv, "a:all", set_flag, &all))
		return 1;
	if (optind != argc - 1 && optind != argc - 2) {
		oci_err(rt, "usage: ukrun kill [--all] ID [SIGNAL]");
		return 1;
	}
	id = argv[optind];
	if (optind == argc - 2 && (sig = parse_signal(argv[optind + 1])) < 0) {
		oci_err(rt, "kill: signal '%s': expected a name (TERM, SIGKILL) or a number",
		        argv[optind + 1]);
		return 1;
	}
	if (load(rt, id, &st))
		return 1;
	if (oci_state_status(&st) == OCI_STOPPED) {
		/* runc's words: containerd's shim matches them */
		oci_err(rt, "container not running: %s has stopped", id);
		goto out;
	}
	/* --all: the VM's other processes, through its exec socket (said when
	 * it fails); process 1 whatever came of that. A SIGKILL needs no
	 * --all: the VM's end ends them all. */
	if (all && sig != SIGKILL)
		oci_exec_kill_all(rt, id, sig);
	if (signal_vm(&st, sig))
		oci_err(rt, "kill %d (container %s): %s", (int)st.pid, id, strerror(errno));
	else
		r = 0;
out:
	free(st.annotations);
	return r;
}

/* Remove what a container left under the root (its directory's files). */
void oci_remove_dir(const char *dir)
{
	static const char *const files[] = { "state.json", "state.json.tmp", "exec.fifo",
		                             "setup.log",  "vm.pid",         "exec.sock",
		                             NULL };
	char path[PATH_MAX + 32];

	for (int i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	for (int i = 0; i < OCI_MAX_FILES; i++) { /* the bind-mounted files' copies */
		snprintf(path, sizeof(path), "%s/files/%d", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/files", dir);
	rmdir(path);
	rmdir(dir);
}

/* delete --force without a readable state.json: not while a create holds
 * the directory (it would fail on a directory gone, or leave it half);
 * a VM that vm.pid names is ended first (a state.json that is corrupt
 * left it running, and its directory gone). */
static int force_remove(const struct oci_rt *rt, const char *id, const char *dir)
{
	struct oci_state st;
	int lock = oci_dir_lock(dir, 0);

	if (lock < 0 && errno == EWOULDBLOCK) {
		oci_err(rt, "container %s is being created: delete it once create has ended", id);
		return 1;
	}
	if (!oci_vm_pid_read(dir, &st) && oci_state_status(&st) != OCI_STOPPED) {
		oci_log(rt, "warning", "container %s: state.json unreadable; ending VM process %d",
		        id, (int)st.pid);
		signal_vm(&st, SIGKILL);
		for (int i = 0; i < 100 && oci_state_status(&st) != OCI_STOPPED; i++)
			usleep(20000);
	}
	oci_remove_dir(dir);
	if (lock >= 0)
		close(lock);
	return 0;
}

static int cmd_delete(const struct oci_rt *rt, int argc, char **argv)
{
	struct oci_state st;
	char dir[PATH_MAX];
	const char *id;
	int force = 0;
	enum oci_status s;

	if (cmd_opts(rt, argc, argv, "f:force", set_flag, &force) ||
	    !(id = one_id(rt, argc, argv, "delete [--force] ID")))
		return 1;
	/* As runc: --force of a container that is not there (never fully
	 * created, or deleted already: containerd's shim deletes again when it
	 * cleans up) removes what is left and succeeds. */
	if (force && oci_id_valid(id) && oci_state_read(rt, id, &st) &&
	    !oci_dir(rt, id, dir, sizeof(dir)))
		return force_remove(rt, id, dir);
	if (load(rt, id, &st))
		return 1;
	free(st.annotations);
	s = oci_state_status(&st);
	if (s == OCI_RUNNING && !force) {
		oci_err(rt, "container %s is running: stop it first, or delete --force", id);
		return 1;
	}
	if (s != OCI_STOPPED) {
		/* A created one never ran: deleting it ends its VM, as runc's
		 * delete does. */
		signal_vm(&st, SIGKILL);
		for (int i = 0; i < 100 && oci_state_status(&st) != OCI_STOPPED; i++)
			usleep(20000);
	}
	oci_dir(rt, id, dir, sizeof(dir));
	oci_remove_dir(dir);
	return 0;
}

/* list's and ps's --format (and list's -q) */
struct format_opts {
	const struct oci_rt *rt;
	const char *cmd;
	int *json, *quiet;
};

static int format_opt(void *ctx, int key, const char *v)
{
	struct format_opts *o = ctx;

	if (key == 'q') {
		*o->quiet = 1;
	} else if (!strcmp(v, "json") || !strcmp(v, "table")) {
		*o->json = !strcmp(v, "json");
	} else {
		oci_err(o->rt, "%s: --format '%s': expected table or json", o->cmd, v);
		return -1;
	}
	return 0;
}

static int format_arg(const struct oci_rt *rt, int argc, char **argv, int *json, int *quiet)
{
	struct format_opts o = { rt, argv[0], json, quiet };

	return cmd_opts(rt, argc, argv, quiet ? "f:format= q:quiet" : "f:format=", format_opt, &o);
}

static int cmd_list(const struct oci_rt *rt, int argc, char **argv)
{
	int json = 0, quiet = 0;
	json_t *all = json_array();
	struct dirent *d;
	DIR *dir;

	if (format_arg(rt, argc, argv, &json, &quiet) || optind != argc)
		return 1;
	if (!json && !quiet)
		printf("%-24s %-8s %-10s %-36s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	if ((dir = opendir(rt->root))) {
		while ((d = readdir(dir))) {
			struct oci_state st;
			enum oci_status s;
			if (!oci_id_valid(d->d_name) || oci_state_read(rt, d->d_name, &st))
				continue;
			s = oci_state_status(&st);
			if (quiet)
				printf("%s\n", st.id);
			else if (!json)
				printf("%-24s %-8d %-10s %-36s %s\n", st.id,
				       s == OCI_STOPPED ? 0 : (int)st.pid, oci_status_name(s),
				       st.bundle, st.created);
			json_array_append_new(all,
			                      json_pack("{s:s, s:i, s:s, s:s, s:s}", "id", st.id,
			                                "pid", s == OCI_STOPPED ? 0 : (int)st.pid,
			                                "status", oci_status_name(s), "bundle",
			                                st.bundle, "created", st.created));
			free(st.annotations);
		}
		closedir(dir);
	}
	if (json && !quiet) {
		char *t = json_dumps(all, JSON_COMPACT);
		printf("%s\n", t ? t : "[]");
		free(t);
	}
	json_decref(all);
	return 0;
}

static int cmd_ps(const struct oci_rt *rt, int argc, char **argv)
{
	struct oci_state st;
	int json = 0;
	const char *id;

	if (format_arg(rt, argc, argv, &json, NULL) ||
	    !(id = one_id(rt, argc, argv, "ps [--format table|json] ID")) || load(rt, id, &st))
		return 1;
	free(st.annotations);
	/* The guest's program is one process, the VM's. */
	if (oci_state_status(&st) == OCI_STOPPED)
		printf(json ? "[]\n" : "PID\n");
	else
		printf(json ? "[%d]\n" : "PID\n%d\n", (int)st.pid);
	return 0;
}

static int cmd_features(const struct oci_rt *rt, int argc, char **argv)
{
	json_t *o;
	char *t;

	if (no_options(rt, argc, argv) || optind != argc)
		return 1;
	o = json_pack("{s:s, s:s, s:[], s:[s,s,s], s:{s:[s], s:[], s:{s:b}}, s:{s:s, s:s}}",
	              "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks",
	              "mountOptions", "bind", "rbind", "ro", "linux", "namespaces", "network",
	              "capabilities", "cgroup", "v2", 0, "annotations", "org.uk.runtime", "microvm",
	              "org.uk.exec", "supported, without a terminal");
	t = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	if (t)
		printf("%s\n", t);
	free(t);
	json_decref(o);
	return t ? 0 : 1;
}

static int cmd_unsupported(const struct oci_rt *rt, int argc, char **argv)
{
	oci_err(rt,
	        "%s: not supported by ukrun's runtime (create, start, state, kill, "
	        "delete, exec, list, ps, features are)",
	        argv[0]);
	return 1;
}

static int global_opt(void *ctx, int key, const char *v)
{
	struct oci_rt *rt = ctx;

	switch (key) {
	case 'r': rt->root = v; break;
	case 'l': rt->log = v; break;
	case 'f':
		if (strcmp(v, "text") && strcmp(v, "json")) {
			oci_err(rt, "--log-format '%s': expected text or json", v);
			return -1;
		}
		rt->log_json = !strcmp(v, "json");
		break;
	case 'd': rt->debug = 1; break;
	case 'h': fputs(usage, stdout); return 1;
	} /* --systemd-cgroup, --rootless: cgroups are the engine's; a VM is one process */
	return 0;
}

static int global_opts(int argc, char **argv, struct oci_rt *rt)
{
	char err[256];
	int r =
	    host_opts(argc, argv,
	              "r.root= l.log= f.log-format= d.debug s.systemd-cgroup R.rootless= "
	              "h:help",
	              HOST_OPTS_FIRST, "ukrun --root X --help", global_opt, rt, err, sizeof(err));

	if (r) {
		if (*err)
			oci_err(rt, "%s", err);
		return r > 0 ? 1 : -1;
	}
	if (rt->root[0] != '/') {
		oci_err(rt, "--root '%s': expected an absolute path", rt->root);
		return -1;
	}
	return 0;
}

/* Whether this process is in a user namespace other than the host's:
 * the host's maps every uid to itself. */
static int in_user_ns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "r");
	unsigned long inside, outside, count;
	int n = f ? fscanf(f, "%lu %lu %lu", &inside, &outside, &count) : 0;

	if (f)
		fclose(f);
	return n == 3 && !(inside == 0 && outside == 0 && count == 4294967295ul);
}

/* /run/ukrun, or for a user other than the host's root (rootless podman
 * runs the runtime as root of its user namespace, and gives no --root)
 * $XDG_RUNTIME_DIR/ukrun, as runc and crun choose theirs. */
static const char *default_root(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (!xdg || xdg[0] != '/' || (geteuid() == 0 && !in_user_ns()))
		return OCI_DEFAULT_ROOT;
	snprintf(buf, len, "%s/ukrun", xdg);
	return buf;
}

int oci_main(int argc, char **argv)
{
	char root[PATH_MAX];
	static const struct {
		const char *name;
		int (*fn)(const struct oci_rt *, int, char **);
	} table[] = {
		{ "create", oci_create }, { "start", cmd_start },       { "state", cmd_state },
		{ "kill", cmd_kill },     { "delete", cmd_delete },     { "list", cmd_list },
		{ "ps", cmd_ps },         { "features", cmd_features }, { "exec", oci_exec },
	};
	struct oci_rt rt = { .root = default_root(root, sizeof(root)) };
	int r = global_opts(argc, argv, &rt);

	if (r)
		return r > 0 ? 0 : 1;
	if (optind >= argc) {
		oci_err(&rt, "no command given (see ukrun --root X --help)");
		return 1;
	}
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(argv[0], table[i].name))
			return table[i].fn(&rt, argc, argv);
	for (int i = 0; oci_commands[i]; i++)
		if (!strcmp(argv[0], oci_commands[i]))
			return cmd_unsupported(&rt, argc, argv);
	oci_err(&rt, "unknown command '%s' (see ukrun --root X --help)", argv[0]);
	return 1;
}
