/*
 * The one way ukbuild links an image, in link mode and for OCI images
 * alike, and the few things around it: the sysroot, running the
 * compiler, a file's bytes as a section.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../image/image.h"
#include "ukbuild.h"

const char *ukb_sysroot(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv("UK_SYSROOT"))
		return getenv("UK_SYSROOT");
	if (path[0])
		return path;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/../lib/uk", dirname(exe));
	return path;
}

int ukb_spawn(char *const argv[], int verbose)
{
	pid_t pid;
	int st;

	if (verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', stderr);
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "ukbuild: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int ukb_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static int section_object(const char *tmp, const char *stem, const char *section, const char *path,
                          char **obj, int verbose)
{
	char *src = NULL, *text = NULL;
	int r = -1;

	*obj = NULL;
	if (asprintf(&src, "%s/%s.S", tmp, stem) < 0 || asprintf(obj, "%s/%s.o", tmp, stem) < 0 ||
	    asprintf(&text, ".section %s, \"a\"\n.incbin \"%s\"\n", section, path) < 0)
		goto out;
	char *cc[] = { "gcc", "-c", src, "-o", *obj, NULL };
	if (ukb_write_file(src, text, strlen(text)) || ukb_spawn(cc, verbose))
		goto out;
	r = 0;
out:
	free(src);
	free(text);
	return r;
}

static int pack_symbols(const char *path)
{
	struct stat st;
	char err[256];
	void *p = MAP_FAILED, *out = NULL;
	size_t outsize;
	int fd, r = -1;

	if ((fd = open(path, O_RDWR)) < 0 || fstat(fd, &st) || !st.st_size ||
	    (p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		ukb_err("%s: %s", path, strerror(errno));
		goto out;
	}
	switch (uki_image_pack_symbols(p, st.st_size, &out, &outsize, err, sizeof(err))) {
	case 1: /* no symbol table */ r = 0; goto out;
	case -1: ukb_err("%s: cannot pack its symbols: %s", path, err); goto out;
	}
	if (pwrite(fd, out, outsize, 0) != (ssize_t)outsize || ftruncate(fd, outsize)) {
		ukb_err("%s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (p != MAP_FAILED)
		munmap(p, st.st_size);
	if (fd >= 0)
		close(fd);
	free(out);
	return r;
}

void ukb_add(struct ukb_argv *a, const char *s)
{
	if (a->n == UKB_MAX_ARGV - 1) {
		ukb_err("more than %d arguments", UKB_MAX_ARGV - 1);
		exit(UKB_EXIT_ERROR);
	}
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

int ukb_env_opt(struct uki_strlist *env, const char *v)
{
	if (!strchr(v, '=') || v[0] == '=') {
		ukb_err("-e '%s': expected NAME=VALUE", v);
		return -1;
	}
	return uki_strlist_add(env, v);
}

const char *ukb_sysroot_checked(void)
{
	const char *sys = ukb_sysroot();
	char *lib = NULL;
	struct stat st;
	int ok = sys && asprintf(&lib, "%s/lib/libuk.a", sys) >= 0 && !stat(lib, &st);

	free(lib);
	if (!ok)
		ukb_err("the uk sysroot is missing at %s (run make, or set UK_SYSROOT)",
		        sys ? sys : "?");
	return ok ? sys : NULL;
}

int ukb_link_image(const struct ukb_link *l)
{
	const char *sys = ukb_sysroot_checked();
	char *dtb = NULL, *mobj = NULL, *robj = NULL, *partial = NULL, *script = NULL,
	     *libdir = NULL;
	static struct ukb_argv ld;
	int r = UKB_EXIT_ERROR;

	if (!sys)
		return UKB_EXIT_ERROR;
	if (asprintf(&dtb, "%s/manifest.dtb", l->tmp) < 0 ||
	    asprintf(&partial, "%s.partial", l->out) < 0 ||
	    asprintf(&script, "-Wl,-T,%s/lib/uk.ld", sys) < 0 ||
	    asprintf(&libdir, "-L%s/lib", sys) < 0)
		goto out;
	if (ukb_write_file(dtb, l->manifest, l->manifest_size) ||
	    section_object(l->tmp, "manifest", ".uk_manifest", dtb, &mobj, l->verbose) ||
	    (l->rootfs &&
	     section_object(l->tmp, "rootfs", ".uk_rootfs", l->rootfs, &robj, l->verbose))) {
		ukb_err("cannot write or assemble the manifest and rootfs in %s", l->tmp);
		goto out;
	}
	ld.n = 0;
	ukb_add(&ld, "gcc");
	ukb_add(&ld, "-nostdlib"), ukb_add(&ld, "-static"), ukb_add(&ld, "-no-pie");
	ukb_add(&ld, script);
	ukb_add(&ld, "-Wl,--gc-sections"), ukb_add(&ld, "-Wl,-z,max-page-size=4096");
	ukb_add(&ld, "-Wl,--build-id=none"), ukb_add(&ld, "-Wl,-z,noexecstack");
	if (!l->debug)
		ukb_add(&ld, "-Wl,--strip-debug"); /* function names stay (.uk_syms) */
	ukb_add(&ld, "-o"), ukb_add(&ld, partial);
	for (int i = 0; i < l->ninputs; i++)
		ukb_add(&ld, l->inputs[i]);
	ukb_add(&ld, mobj);
	if (robj)
		ukb_add(&ld, robj);
	for (int i = 0; i < l->nextra; i++)
		ukb_add(&ld, l->extra[i]);
	ukb_add(&ld, libdir);
	/* The glue that replaces newlib's own functions is linked whole; the
	 * rest of the library OS is an ordinary archive, so only what the
	 * program uses is linked (see the Makefile). A Linux program can make
	 * any system call: binary mode links all of it, and the library OS's
	 * main() loads the program from the root filesystem. */
	if (l->binary)
		ukb_add(&ld, "-Wl,--defsym=main=uk_binary_main");
	ukb_add(&ld, "-Wl,--whole-archive"), ukb_add(&ld, "-lukglue");
	if (l->binary)
		ukb_add(&ld, "-luk");
	ukb_add(&ld, "-Wl,--no-whole-archive");
	ukb_add(&ld, "-Wl,--start-group");
	if (!l->binary)
		ukb_add(&ld, "-luk");
	ukb_add(&ld, "-lc"), ukb_add(&ld, "-lm"), ukb_add(&ld, "-lfdt"), ukb_add(&ld, "-lgcc");
	ukb_add(&ld, "-Wl,--end-group");
	r = ukb_spawn(ld.v, l->verbose);
	if (r == 0 && !l->debug && pack_symbols(partial))
		r = UKB_EXIT_ERROR;
	if (r == 0 && rename(partial, l->out)) {
		ukb_err("%s: %s", l->out, strerror(errno));
		r = UKB_EXIT_ERROR;
	}
	if (r) {
		unlink(partial);
		if (r < 0)
			r = UKB_EXIT_ERROR;
	}
out:
	free(dtb);
	free(mobj);
	free(robj);
	free(partial);
	free(script);
	free(libdir);
	return r;
}
