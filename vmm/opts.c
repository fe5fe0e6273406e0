/* ukrun's command line, docker-like: options, IMAGE, then the arguments that
 * replace the image's default command (optionally after "--"). */
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

static const char usage[] =
    "usage: ukrun [OPTIONS] IMAGE [--] [ARG...]\n"
    "Run a uk image in its own microVM. ARGs replace the image's default command.\n"
    "\n"
    "  -m, --mem SIZE       guest memory (default: the image's, else 64M; K/M/G);\n"
    "      --memory SIZE    the same, as docker spells it\n"
    "  -e, --env K=V        set an environment variable (K alone: take the host's)\n"
    "      --env-file FILE  variables from FILE, a K=V (or K) a line, # comments\n"
    "  -w, --workdir DIR    the directory the program starts in (the image's: default)\n"
    "      --entrypoint CMD run CMD instead of the image's entrypoint, ARGs its\n"
    "                       arguments (the image's default command dropped, as\n"
    "                       docker does; \"\": no entrypoint, ARGs the command)\n"
    "      --rm             accepted: ukrun keeps nothing of a VM once it ends\n"
    "      --net SPEC       none (default), tap:IFNAME[,vhost=on|off|auto], or\n"
    "                       user[,hostfwd=tcp:HOSTPORT-:GUESTPORT...][,host-loopback=on]\n"
    "                       [,mtu=N] (rootless; host-loopback=on: 10.0.2.2 reaches the\n"
    "                       host's 127.0.0.1, closed by default; MTU 65520 unless mtu=N);\n"
    "                       either takes ,mac=XX:XX:XX:XX:XX:XX (the guest's address)\n"
    "      --ip ADDR/LEN    static guest address (default: DHCP)\n"
    "      --gw ADDR        static gateway\n"
    "  -p [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]  forward a host port (user networking;\n"
    "                       HOSTADDR defaults to 127.0.0.1)\n"
    "  -v HOST:GUEST[:ro]   share a host directory over 9P (HOST alone: at the\n"
    "                       image's volume point, when it declares one)\n"
    "      --disk FILE:GUEST[:ro]  attach a FAT disk image (virtio-blk)\n"
    "      --trace          print every system call the application makes (stderr)\n"
    "      --no-syscall-rewrite  a Linux program's system calls all trap, as\n"
    "                       `syscall` does (default: common sites become jumps)\n"
    "      --timeout SECS   stop the VM after SECS seconds (exit status 124)\n"
    "      --stop-timeout SECS  after a SIGTERM, SIGINT or SIGQUIT passed to the\n"
    "                       guest, stop the VM if it still runs SECS later\n"
    "                       (default 10, as docker's and podman's stop; -1: wait;\n"
    "                       a second such signal stops it at once)\n"
    "      --console auto|raw  guest output to a terminal: control sequences other\n"
    "                       than colours shown escaped (auto, the default), or\n"
    "                       passed as they are (raw); pipes and files get it exact\n"
    "      --read-only      the guest's root file system refuses writes (EROFS);\n"
    "                       volumes, disks, --tmpfs and /dev/shm stay writable\n"
    "      --tmpfs PATH     a new RAM file system at PATH in the guest (repeatable)\n"
    "      --hostname NAME  the guest's host name (uname; default: uk)\n"
    "      --user UID[:GID] once set up, run as this unprivileged user (or\n"
    "                       USER[:GROUP]); with or without it, ukrun then drops\n"
    "                       every capability and enters namespaces of its own\n"
    "                       where the host allows (--verbose says which)\n"
    "      --verbose        print the KVM flavour, the boot timeline and exit counts\n"
    "                       (ukrun's and the host kernel's)\n"
    "      --sample         at the end, where the vCPU spent its CPU time: the guest\n"
    "                       functions it was in, sampled every 1 ms of its CPU\n"
    "                       time (or each host tick, when longer)\n"
    "  -h, --help           this text\n"
    "      --version        ukrun's version and guest ABI version\n"
    "\n"
    "Exit status: the application's; 128+N after a crash like signal N;\n"
    "124 on --timeout; 125 when ukrun itself fails.\n";

static int add_env(struct vmm_opts *o, const char *kv)
{
	if (o->nenv == VMM_MAX_ARGS) {
		vmm_err("-e: more than %d variables", VMM_MAX_ARGS);
		return -1;
	}
	if (!*kv || *kv == '=') {
		vmm_err("-e '%s': expected NAME=VALUE", kv);
		return -1;
	}
	if (!strchr(kv, '=')) { /* docker: -e NAME passes the host's value */
		const char *v = getenv(kv);
		char *s;
		if (!v)
			return 0;
		if (asprintf(&s, "%s=%s", kv, v) < 0)
			return -1;
		kv = s;
	}
	o->env[o->nenv++] = kv;
	return 0;
}

/* docker's --env-file: a variable a line (K=V, or K for the host's
 * value), '#' lines and blank ones skipped, nothing unquoted. */
static int env_file(struct vmm_opts *o, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	if (!f) {
		vmm_err("--env-file %s: %s", path, strerror(errno));
		return -1;
	}
	while (!r && (n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		char *s = line + strspn(line, " \t"); /* (docker trims the front) */
		if (!*s || *s == '#')
			continue;
		if (strcspn(s, " \t=") != strcspn(s, "=")) {
			vmm_err("--env-file %s: '%s': a variable's name has no blanks", path, s);
			r = -1;
			break;
		}
		char *kv = strdup(s);
		r = kv ? add_env(o, kv) : -1;
	}
	if (ferror(f))
		vmm_err("--env-file %s: %s", path, strerror(errno)), r = -1;
	free(line);
	fclose(f);
	return r;
}

/* -w: an absolute path without "..", as the image's own workdir. */
static int workdir(struct vmm_opts *o, const char *v)
{
	if (v[0] != '/' || strstr(v, "/../") ||
	    (strlen(v) >= 3 && !strcmp(v + strlen(v) - 3, "/.."))) {
		vmm_err("-w '%s': expected an absolute path without '..'", v);
		return -1;
	}
	o->workdir = v;
	return 0;
}

/* A descriptor number given by the OCI runtime's create (oci_create.c). */
static int fd_arg(const char *opt, const char *v, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || end == v || n < 3 || n > 65535) {
		vmm_err("%s '%s': expected a descriptor number", opt, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int seconds(const char *opt, const char *v, double *out)
{
	char *end;

	*out = strtod(v, &end);
	if (*end || end == v || !(*out > 0) || *out > 1e9) {
		vmm_err("%s '%s': expected a positive number of seconds", opt, v);
		return -1;
	}
	return 0;
}

/* A repeatable option's value into a list. */
static int add_item(const char **list, int *n, const char *opt, const char *v)
{
	if (*n == VMM_MAX_ARGS) {
		vmm_err("%s: more than %d given", opt, VMM_MAX_ARGS);
		return -1;
	}
	if (!*v) {
		vmm_err("%s: empty value", opt);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

/* One option; keys of options without a short form are capitals and
 * letters not taken (the spec in vmm_parse_args says which). */
static int ukrun_opt(void *ctx, int key, const char *v)
{
	struct vmm_opts *o = ctx;

	switch (key) {
	case 'M':
	case 'm':
		if (host_parse_size(v, &o->mem) || o->mem < (2u << 20)) {
			vmm_err("--mem '%s': expected a size of at least 2M, like 64M or 1G", v);
			return -1;
		}
		return 0;
	case 'e': return add_env(o, v);
	case 'f': return env_file(o, v);
	case 'w': return workdir(o, v);
	case 'B': o->entrypoint = v; return 0;
	case 'k': return 0; /* --rm: nothing is kept anyway */
	case 'T': o->trace = 1; return 0;
	case 'N': o->no_rewrite = 1; return 0;
	case 'n': o->net = v; return 0;
	case 'i': o->ip = v; return 0;
	case 'g': o->gw = v; return 0;
	case 'p': return add_item(o->ports, &o->nports, "-p", v);
	case 'v': return add_item(o->volumes, &o->nvolumes, "-v", v);
	case 'd': return add_item(o->disks, &o->ndisks, "--disk", v);
	case 't': return seconds("--timeout", v, &o->timeout);
	case 's':
		if (!strcmp(v, "-1")) { /* wait for the guest (docker's -1) */
			o->stop_timeout = 0;
			return 0;
		}
		return seconds("--stop-timeout", v, &o->stop_timeout);
	case 'V': o->verbose = 1; return 0;
	case 'P': o->sample = 1; return 0;
	case 'u': o->user = v; return 0;
	case 'r': o->read_only = 1; return 0;
	case 'F':
		if (v[0] != '/' || !v[1] || strchr(v, ':') || strstr(v, "/../") ||
		    (strlen(v) >= 3 && !strcmp(v + strlen(v) - 3, "/.."))) {
			vmm_err("--tmpfs '%s': expected an absolute path other than / "
			        "(without '..'; options are not supported)",
			        v);
			return -1;
		}
		return add_item(o->tmpfs, &o->ntmpfs, "--tmpfs", v);
	case 'H':
		if (!host_hostname_ok(v)) {
			vmm_err(
			    "--hostname '%s': expected 1 to 64 letters, digits, '-', '.' or '_'",
			    v);
			return -1;
		}
		o->hostname = v;
		return 0;
	case 'S': o->oci_fifo = v; return 0;
	case 'R': return fd_arg("--oci-ready", v, &o->oci_ready);
	case 'E': return fd_arg("--oci-stderr", v, &o->oci_stderr);
	case 'X': o->oci_exec = v; return 0;
	case 'c':
		if (strcmp(v, "auto") && strcmp(v, "raw")) {
			vmm_err("--console '%s': expected auto (filter the guest's output to a "
			        "terminal) or raw",
			        v);
			return -1;
		}
		o->console_raw = !strcmp(v, "raw");
		return 0;
	case 'h': fputs(usage, stdout); return 1;
	case 'A': printf("ukrun 0.1 (guest ABI %d)\n", UK_ABI_VERSION); return 1;
	}
	return 0;
}

int vmm_parse_args(int argc, char **argv, struct vmm_opts *o)
{
	/* --oci-*: not for people, the OCI runtime's create starts the VM so */
	static const char spec[] = "m:mem= M.memory= e:env= f.env-file= w:workdir= B.entrypoint= "
	                           "k.rm T.trace N.no-syscall-rewrite t.timeout= "
	                           "s.stop-timeout= V.verbose P.sample h:help A.version "
	                           "n.net= i.ip= g.gw= p:publish= v:volume= d.disk= c.console= "
	                           "u.user= H.hostname= r.read-only F.tmpfs= S.oci-start= "
	                           "R.oci-ready= E.oci-stderr= X.oci-exec=";
	char err[256];
	int r;

	memset(o, 0, sizeof(*o));
	o->oci_ready = o->oci_stderr = -1;
	o->stop_timeout = VMM_STOP_TIMEOUT;
	r = host_opts(argc, argv, spec, HOST_OPTS_FIRST, "ukrun --help", ukrun_opt, o, err,
	              sizeof(err));
	if (r) {
		if (*err)
			vmm_err("%s", err);
		return r > 0 ? 1 : -1;
	}
	if (optind >= argc) {
		vmm_err("no image given (usage: ukrun [OPTIONS] IMAGE [--] [ARG...])");
		return -1;
	}
	o->image = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++, o->cmd = (const char *const *)argv + optind; /* may be empty */
	else if (optind < argc)
		o->cmd = (const char *const *)argv + optind;
	o->ncmd = o->cmd ? argc - optind : 0;
	return 0;
}
