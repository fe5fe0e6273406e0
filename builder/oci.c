/*
 * ukbuild oci SOURCE -o IMAGE: a container image into a uk image that runs
 * its unmodified Linux programs. The steps: open the source and check its
 * config and layers; apply the layers in order to an in-memory tree (layer.h:
 * whiteouts, confinement); add --add files; turn the config into the
 * manifest; write the tree as cpio and link the image. The image appears
 * only when everything succeeded (written beside, then renamed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "ukbuild.h"

static const char usage[] =
    "usage: ukbuild oci SOURCE -o IMAGE [OPTIONS]\n"
    "\n"
    "Turn a container image into a uk image that runs its unmodified Linux\n"
    "programs in a microVM (ukrun IMAGE [-- ARGS]).\n"
    "\n"
    "SOURCE:\n"
    "  oci:DIR[:TAG]              an OCI image layout (skopeo copy ... oci:DIR:TAG)\n"
    "  docker-archive:FILE[:REF]  docker save / podman save / skopeo ... docker-archive:\n"
    "  dir:PATH                   a root filesystem; name the program with --entrypoint\n"
    "\n"
    "  -o, --output IMAGE     the image to write (required)\n"
    "      --entrypoint ARG   replaces the image's Entrypoint (repeat for more words)\n"
    "                         and drops its Cmd, as docker run --entrypoint does\n"
    "      --cmd ARG          replaces the image's Cmd (repeatable); ukrun IMAGE -- ARGS\n"
    "                         replaces it again at run time\n"
    "  -e, --env K=V          environment over the image's (repeatable)\n"
    "  -w, --workdir DIR      working directory (absolute)\n"
    "  -u, --user USER[:GROUP]  names are looked up in the image's /etc/passwd\n"
    "      --expose PORT[/udp]  an exposed port besides the image's ExposedPorts\n"
    "      --volume PATH      a volume point besides the image's Volumes (ukrun -v\n"
    "                         HOSTDIR without a guest path shares HOSTDIR there)\n"
    "      --add HOST:GUEST   copy a host file or directory into the root filesystem\n"
    "                         (GUEST/ ending in a slash: into that directory)\n"
    "  -m, --mem SIZE         default guest memory (default: the root filesystem\n"
    "                         + 1G; the host pays only for what the guest touches)\n"
    "  -q, --quiet            no progress or summary\n"
    "  -v, --verbose          print the assembler and linker commands\n"
    "  -h, --help             this text\n"
    "\n"
    "The program is process 1 of the VM's own kernel: it may fork and exec (entrypoint\n"
    "scripts, pipes, nginx's master and workers, redis's background saves), and the\n"
    "VM ends with its exit status when it ends. One vCPU: processes and threads\n"
    "share it. What runs and what does not yet: README.md, \"What runs inside\".\n";

struct oci_cli {
	const char *source, *out;
	struct ukb_oci_opts o;
	struct uki_strlist adds;
	int quiet, verbose;
};

static int parse_opt(void *ctx, int opt, const char *arg)
{
	struct oci_cli *c = ctx;

	switch (opt) {
	case 'o': c->out = arg; return 0;
	case 'q': c->quiet = 1; return 0;
	case 'v': c->verbose = 1; return 0;
	case 'w': c->o.workdir = arg; return 0;
	case 'u': c->o.user = arg; return 0;
	case 'E': c->o.set_entrypoint = 1; return uki_strlist_add(&c->o.entrypoint, arg);
	case 'C': c->o.set_cmd = 1; return uki_strlist_add(&c->o.cmd, arg);
	case 'P': return uki_strlist_add(&c->o.expose, arg);
	case 'V': return uki_strlist_add(&c->o.volumes, arg);
	case 'e': return ukb_env_opt(&c->o.env, arg);
	case 'A':
		if (!strchr(arg, ':') || arg[0] == ':' || strrchr(arg, ':')[1] != '/') {
			ukb_err("--add '%s': expected HOST:GUEST with an absolute GUEST path", arg);
			return -1;
		}
		return uki_strlist_add(&c->adds, arg);
	case 'm':
		if (host_parse_size(arg, &c->o.mem) || c->o.mem < (16u << 20)) {
			ukb_err("--mem '%s': expected a size of at least 16M, like 256M or 1G",
			        arg);
			return -1;
		}
		return 0;
	case 'h': fputs(usage, stdout); return 1;
	}
	return -1;
}

static int parse(int argc, char **argv, struct oci_cli *c)
{
	char err[256];
	int r = host_opts(argc, argv,
	                  "o:output= E.entrypoint= C.cmd= e:env= w:workdir= u:user= P.expose= "
	                  "V.volume= A.add= m:mem= q:quiet v:verbose h:help",
	                  0, "ukbuild oci --help", parse_opt, c, err, sizeof(err));

	if (r > 0)
		exit(0); /* --help */
	if (r) {
		if (*err)
			ukb_err("oci: %s", err);
		return -1;
	}
	if (optind != argc - 1) {
		ukb_err(optind == argc ? "oci: no SOURCE (see ukbuild oci --help)"
		                       : "oci: one SOURCE only (extra '%s')",
		        argv[argc - 1]);
		return -1;
	}
	c->source = argv[optind];
	if (!c->out) {
		ukb_err("oci: no output image: give -o IMAGE");
		return -1;
	}
	return 0;
}

/* The layers, then dir:PATH, then --add: everything into the tree. */
static int fill_tree(struct oci_cli *c, struct ukb_oci_src *s, struct ukb_tree *t)
{
	char err[1024];

	for (int i = 0; i < s->nlayers; i++) {
		if (ukb_layer_apply(t, &s->layers[i], i + 1, !c->quiet, err, sizeof(err))) {
			ukb_err("%s: %s: %s", c->source, s->layers[i].label, err);
			return -1;
		}
	}
	if (s->rootdir && ukb_tree_add_host(t, s->rootdir, "/")) {
		ukb_err("%s: %s", c->source, t->err);
		return -1;
	}
	for (int i = 0; i < c->adds.n; i++) {
		char *spec = strdup(c->adds.v[i]), *colon = strrchr(spec, ':'), *guest = NULL;
		const char *g = colon + 1;
		struct stat st;
		int r;
		*colon = 0;
		/* "FILE:/dir/" puts the file into the directory, as COPY does */
		if (g[strlen(g) - 1] == '/' && !stat(spec, &st) && !S_ISDIR(st.st_mode) &&
		    asprintf(&guest, "%s%s", g,
		             strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec) > 0)
			g = guest;
		r = ukb_tree_add_host(t, spec, g);
		free(guest);
		free(spec);
		if (r) {
			ukb_err("--add %s: %s", c->adds.v[i], t->err);
			return -1;
		}
	}
	if (t->skipped && !c->quiet)
		fprintf(stderr,
		        "ukbuild: note: %u device node(s), FIFO(s) or socket(s) skipped "
		        "(e.g. /%s): the library OS provides its own /dev\n",
		        t->skipped, t->skipped_example);
	return 0;
}

/* A program the image cannot start is worth a warning before booting: the
 * name is looked up as the guest will (PATH of the manifest's env). */
static void check_program(struct ukb_tree *t, const struct uki_manifest *m)
{
	const char *prog = m->entrypoint.n ? m->entrypoint.v[0] : m->cmd.v[0], *path = "";
	struct ukb_node *n = NULL;
	char buf[4200];

	if (strchr(prog, '/')) {
		snprintf(buf, sizeof(buf), "%s/%s",
		         prog[0] == '/' ? ""
		         : m->workdir   ? m->workdir
		                        : "",
		         prog);
		n = ukb_tree_lookup(t, buf, 1);
	} else {
		for (int i = 0; i < m->env.n; i++)
			if (!strncmp(m->env.v[i], "PATH=", 5))
				path = m->env.v[i] + 5;
		for (const char *p = path; *p && !n; p += strcspn(p, ":"), p += *p == ':') {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)strcspn(p, ":"), p, prog);
			n = ukb_tree_lookup(t, buf, 1);
			if (n && !S_ISREG(n->mode))
				n = NULL;
		}
	}
	if (!n || !S_ISREG(n->mode))
		fprintf(stderr,
		        "ukbuild: warning: the program '%s' is not a file in the image%s%s\n", prog,
		        strchr(prog, '/') ? "" : " (searched PATH=", strchr(prog, '/') ? "" : path);
	else if (!(n->mode & 0111))
		fprintf(stderr, "ukbuild: warning: '%s' is not executable in the image\n", prog);
}

/* Docker creates a missing working directory when the container starts;
 * here it is made in the image. */
static int ensure_workdir(struct ukb_tree *t, const char *wd)
{
	struct ukb_entry e = { .path = wd, .type = UKB_E_DIR, .perm = 0755 };
	struct ukb_node *n = ukb_tree_lookup(t, wd, 1);

	if (n && !S_ISDIR(n->mode)) {
		ukb_err("working directory %s: not a directory in the image", wd);
		return -1;
	}
	if (n)
		return 0;
	t->whiteouts = 0;
	t->layer++;
	if (ukb_tree_put(t, &e)) {
		ukb_err("working directory %s: %s", wd, t->err);
		return -1;
	}
	return 0;
}

/* The root filesystem (guest RAM holds it) and 1 GiB to work in: guest
 * RAM costs the host only what the guest touches, and a container without
 * -m may use what it needs (docker's default is no limit; Kata gives 2
 * GiB). With less, Node.js serving 256 clients ran out of memory. */
static uint64_t default_mem(uint64_t rootfs)
{
	uint64_t m = rootfs + (1ull << 30);

	return (m + (16u << 20) - 1) & ~((16ull << 20) - 1);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int build(struct oci_cli *c, struct ukb_oci_src *s, struct ukb_tree *t, const char *tmp)
{
	struct uki_manifest m = { 0 };
	char err[1024], *cpio = NULL;
	uint64_t bytes = 0;
	struct stat st;
	FILE *f = NULL;
	int r = UKB_EXIT_ERROR;

	if (fill_tree(c, s, t))
		goto out;
	if (ukb_oci_manifest(s->config, &c->o, t, &m, err, sizeof(err))) {
		ukb_err("%s: %s", c->source, err);
		goto out;
	}
	if (m.workdir && ensure_workdir(t, m.workdir))
		goto out;
	check_program(t, &m);
	if (asprintf(&cpio, "%s/rootfs.cpio", tmp) < 0 || !(f = fopen(cpio, "wb")) ||
	    ukb_rootfs_cpio(t, fileno(f), &bytes, err, sizeof(err))) {
		ukb_err("root filesystem: %s", f ? err : strerror(errno));
		goto out;
	}
	if (!m.mem)
		m.mem = default_mem(bytes);
	r = ukb_oci_link(&m, s, cpio, c->out, tmp, c->verbose);
	if (!r && !c->quiet && !stat(c->out, &st))
		fprintf(stderr,
		        "ukbuild: %s: %d layer(s), rootfs %.1f MiB in %zu entries, "
		        "image %.1f MiB (the source stores %.1f MiB)\n",
		        c->out, s->nlayers, bytes / 1048576.0, t->nnodes + 1,
		        st.st_size / 1048576.0, s->stored_bytes / 1048576.0);
out:
	if (f)
		fclose(f);
	free(cpio);
	uki_manifest_free(&m);
	return r;
}

int ukb_cmd_oci(int argc, char **argv)
{
	struct oci_cli c = { 0 };
	struct ukb_oci_src s = { 0 };
	struct ukb_tree t;
	char tmp[] = "/tmp/ukbuild-oci.XXXXXX", err[1024];
	struct timespec t0;
	int r = UKB_EXIT_ERROR;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (parse(argc, argv, &c))
		return UKB_EXIT_ERROR;
	if (ukb_tree_init(&t)) {
		ukb_err("%s", t.err);
		return UKB_EXIT_ERROR;
	}
	if (ukb_oci_open(c.source, &s, err, sizeof(err))) {
		ukb_err("%s: %s", c.source, err);
		goto out;
	}
	if (!mkdtemp(tmp)) {
		ukb_err("temporary directory: %s", strerror(errno));
		goto out;
	}
	r = build(&c, &s, &t, tmp);
	char *rm[] = { "rm", "-rf", tmp, NULL };
	ukb_spawn(rm, 0);
	if (!r && !c.quiet)
		fprintf(stderr, "ukbuild: %s written in %.2f s\n", c.out, seconds_since(&t0));
out:
	ukb_oci_close(&s);
	ukb_tree_free(&t);
	return r;
}
