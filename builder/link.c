/*
 * Link mode: compile the application's C files against newlib and the
 * library OS headers, write its manifest, link everything into one image.
 * The image appears atomically (written beside, then renamed): a failed
 * build never leaves a half-written file under the output name.
 */
#include <errno.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"
#include "ukbuild.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

struct link_opts {
	const char *out, *name;
	struct uki_manifest m;
	struct ukb_argv inputs, extra;
	struct ukb_argv rootfs_host, rootfs_guest; /* --rootfs DIR, --add HOST:GUEST */
	int verbose;
};

/* --rootfs DIR puts DIR's contents at /; --add HOST:GUEST puts HOST (a
 * file or a directory tree) at GUEST. Split at the last ":/" so host paths
 * may contain colons. */
static int rootfs_opt(struct link_opts *o, int c, const char *arg)
{
	struct stat st;
	char *host = strdup(arg), *guest = "/", *colon;

	if (c == 'A') {
		for (colon = host + strlen(host);
		     colon > host && !(colon[0] == ':' && colon[1] == '/');)
			colon--;
		if (colon == host) {
			ukb_err("--add '%s': expected HOST:GUEST with an absolute GUEST path", arg);
			return -1;
		}
		*colon = 0;
		guest = colon + 1;
	}
	if (lstat(host, &st)) {
		ukb_err("%s '%s': %s", c == 'A' ? "--add" : "--rootfs", host, strerror(errno));
		return -1;
	}
	if (c == 'R' && !S_ISDIR(st.st_mode)) {
		ukb_err("--rootfs '%s': not a directory", host);
		return -1;
	}
	ukb_add(&o->rootfs_host, host);
	ukb_add(&o->rootfs_guest, guest);
	return 0;
}

static int link_opt(void *ctx, int key, const char *v)
{
	struct link_opts *o = ctx;

	switch (key) {
	case 'o': o->out = v; return 0;
	case 'n': o->name = v; return 0;
	case 'v': o->verbose = 1; return 0;
	case 'c': return uki_strlist_add(&o->m.cmd, v);
	case 'e': return ukb_env_opt(&o->m.env, v);
	case 'm':
		if (host_parse_size(v, &o->m.mem) || o->m.mem < (2u << 20)) {
			ukb_err("--mem '%s': expected a size like 64M or 1G", v);
			return -1;
		}
		return 0;
	case 'w':
		if (v[0] != '/') {
			ukb_err("--workdir '%s': expected an absolute path", v);
			return -1;
		}
		return (o->m.workdir = strdup(v)) ? 0 : -ENOMEM;
	case 'V':
		if (uki_manifest_add_volume(&o->m, v)) {
			ukb_err("--volume '%s': expected an absolute guest path other than /, "
			        "without . or ..",
			        v);
			return -1;
		}
		return 0;
	}
	return rootfs_opt(o, key, v); /* 'R', 'A' */
}

static int parse(int argc, char **argv, struct link_opts *o)
{
	char err[256];
	int nargs = argc;

	/* Everything after "--" goes to the compiler untouched: split it off
	 * before getopt sees (and swallows) the marker. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			nargs = i;
			for (i++; i < argc; i++)
				ukb_add(&o->extra, argv[i]);
			break;
		}
	}
	if (host_opts(nargs, argv,
	              "o:output= e:env= c.cmd= n.name= m:mem= v:verbose R.rootfs= A.add= "
	              "w:workdir= V.volume=",
	              0, "ukbuild --help", link_opt, o, err, sizeof(err))) {
		if (*err)
			ukb_err("%s", err);
		return -1;
	}
	for (; optind < nargs; optind++)
		ukb_add(&o->inputs, argv[optind]);
	if (!o->inputs.n) {
		ukb_err("no input files (usage: ukbuild [-o IMAGE] FILE.c...)");
		return -1;
	}
	return 0;
}

/* Whitespace-separated words of a small file, as arguments. */
static void add_file_words(struct ukb_argv *a, const char *path)
{
	FILE *f = fopen(path, "r");
	char w[512];

	while (f && fscanf(f, "%511s", w) == 1)
		ukb_add(a, strdup(w));
	if (f)
		fclose(f);
}

/* Flags every application object is compiled with: newlib's headers (and
 * our POSIX additions) instead of the host's, the code model of an image
 * linked in the top 2 GiB, frame pointers for crash backtraces. */
static void app_cflags(struct ukb_argv *a, const char *sys, char *gcc_inc)
{
	ukb_add(a, "-nostdinc");
	ukb_add(a, "-isystem"), ukb_add(a, fmt("%s/include/posix", sys));
	ukb_add(a, "-isystem"), ukb_add(a, gcc_inc);
	ukb_add(a, "-isystem"), ukb_add(a, fmt("%s/include", sys));
	ukb_add(a, "-D__uk__"), ukb_add(a, "-D__LINUX_ERRNO_EXTENSIONS__");
	add_file_words(a, fmt("%s/cflags", sys)); /* newlib's ABI macros */
	ukb_add(a, "-O2"), ukb_add(a, "-fno-pic"), ukb_add(a, "-fno-pie"),
	    ukb_add(a, "-mcmodel=kernel");
	/* Interrupts use IST stacks, which leave a red zone alone; but on the
	 * paravirtual host the delivery is the host's, so do not bet on it. */
	ukb_add(a, "-mno-red-zone");
	ukb_add(a, "-fno-omit-frame-pointer"), ukb_add(a, "-fcf-protection=none");
	ukb_add(a, "-fno-asynchronous-unwind-tables");
}

static char *gcc_include_dir(void)
{
	FILE *p = popen("gcc -print-file-name=include", "r");
	char buf[4096], *nl;

	if (!p || !fgets(buf, sizeof(buf), p)) {
		if (p)
			pclose(p);
		return NULL;
	}
	pclose(p);
	if ((nl = strchr(buf, '\n')))
		*nl = 0;
	return strdup(buf);
}

/* The --rootfs/--add archive, tmp/rootfs.cpio; "" when there is none,
 * NULL after a message. */
static char *rootfs_archive(struct link_opts *o, const char *tmp)
{
	char *cpio = fmt("%s/rootfs.cpio", tmp);
	struct ukb_cpio *c;
	char err[512];
	int r = 0;

	if (!o->rootfs_host.n)
		return "";
	if (!(c = ukb_cpio_open(cpio, err, sizeof(err)))) {
		ukb_err("%s", err);
		return NULL;
	}
	for (int i = 0; i < o->rootfs_host.n && !r; i++)
		r = ukb_cpio_add(c, o->rootfs_host.v[i], o->rootfs_guest.v[i]);
	if (ukb_cpio_close(c) || r) {
		ukb_err("%s", err);
		return NULL;
	}
	return cpio;
}

/* Debug information stays in the image only when asked for with -g. */
static int wants_debug(const struct link_opts *o)
{
	for (int i = 0; i < o->extra.n; i++)
		if (!strncmp(o->extra.v[i], "-g", 2) && strcmp(o->extra.v[i], "-g0"))
			return 1;
	return 0;
}

static char *default_output(const char *first)
{
	char *copy = strdup(first), *base = basename(copy), *dot = strrchr(base, '.');

	if (dot)
		*dot = 0;
	return fmt("%s.img", base);
}

static void cleanup(const char *tmp)
{
	char *cmd[] = { "rm", "-rf", (char *)tmp, NULL };
	ukb_spawn(cmd, 0);
}

static int build(struct link_opts *o, const char *tmp)
{
	static char mf[1 << 20];
	const char *sys = ukb_sysroot_checked();
	char *gcc_inc = gcc_include_dir(), *cpio;
	struct ukb_argv objs = { 0 }, cc;
	int r, n;

	if (!sys)
		return UKB_EXIT_ERROR;
	if (!gcc_inc) {
		ukb_err("gcc not found (apt-get install gcc)");
		return UKB_EXIT_ERROR;
	}
	for (int i = 0; i < o->inputs.n; i++) {
		const char *in = o->inputs.v[i], *dot = strrchr(in, '.');
		if (!dot || strcmp(dot, ".c")) {
			ukb_add(&objs, in); /* objects and archives go to the linker */
			continue;
		}
		char *obj = fmt("%s/%d.o", tmp, i);
		cc.n = 0;
		ukb_add(&cc, "gcc");
		app_cflags(&cc, sys, gcc_inc);
		for (int j = 0; j < o->extra.n; j++)
			ukb_add(&cc, o->extra.v[j]);
		ukb_add(&cc, "-c"), ukb_add(&cc, in), ukb_add(&cc, "-o"), ukb_add(&cc, obj);
		if ((r = ukb_spawn(cc.v, o->verbose)))
			return r < 0 ? UKB_EXIT_ERROR : r; /* the compiler said why */
		ukb_add(&objs, obj);
	}
	if ((n = uki_manifest_write(&o->m, mf, sizeof(mf))) < 0) {
		ukb_err("manifest: %s", strerror(-n));
		return UKB_EXIT_ERROR;
	}
	if (!(cpio = rootfs_archive(o, tmp)))
		return UKB_EXIT_ERROR;
	return ukb_link_image(&(struct ukb_link){
	    .out = o->out,
	    .tmp = tmp,
	    .manifest = mf,
	    .manifest_size = n,
	    .rootfs = *cpio ? cpio : NULL,
	    .inputs = objs.v,
	    .ninputs = objs.n,
	    .extra = o->extra.v,
	    .nextra = o->extra.n,
	    .debug = wants_debug(o),
	    .verbose = o->verbose,
	});
}

int ukb_cmd_link(int argc, char **argv)
{
	struct link_opts o = { 0 };
	char tmp[] = "/tmp/ukbuild.XXXXXX";
	char *name;
	int r;

	if (parse(argc, argv, &o))
		return UKB_EXIT_ERROR;
	if (!o.out)
		o.out = default_output(o.inputs.v[0]);
	name = o.name ? (char *)o.name : default_output(o.out);
	if (!o.name && strlen(name) > 4)
		name[strlen(name) - 4] = 0; /* drop ".img" */
	uki_strlist_add(&o.m.entrypoint, name);
	o.m.mode = "link";
	if (!mkdtemp(tmp)) {
		ukb_err("temporary directory: %s", strerror(errno));
		return UKB_EXIT_ERROR;
	}
	r = build(&o, tmp);
	cleanup(tmp);
	return r;
}
