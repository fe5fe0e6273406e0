/*
 * ukbuild: C sources, an OCI image or a root filesystem -> one bootable
 * uk image; FAT data disks; inspection.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../image/image.h"
#include "oci.h"
#include "ukbuild.h"

static const char usage[] =
    "usage: ukbuild [-o IMAGE] [OPTIONS] FILE.c... [-- CFLAGS/LDFLAGS...]\n"
    "       ukbuild oci SOURCE -o IMAGE [OPTIONS]   (ukbuild oci --help)\n"
    "       ukbuild disk create|ls|get|put ...       (ukbuild disk --help)\n"
    "       ukbuild inspect [--symbols] IMAGE\n"
    "\n"
    "Compile C files with newlib and the uk library OS into one bootable image\n"
    "(PVH ELF: ukrun IMAGE, or qemu-system-x86_64 -M microvm -kernel IMAGE).\n"
    "\n"
    "  -o, --output IMAGE   the image to write (default: first file's name + .img)\n"
    "  -e, --env K=V        default environment variable (repeatable)\n"
    "      --cmd ARG        default argument (repeatable; ukrun IMAGE ARGS replaces them)\n"
    "      --name NAME      argv[0] of the program (default: the image's base name)\n"
    "  -m, --mem SIZE       default guest memory (ukrun -m overrides)\n"
    "      --rootfs DIR     the image's root filesystem: DIR's files, directories,\n"
    "                       modes and symlinks (a RAM filesystem at / when it runs)\n"
    "      --add HOST:GUEST also put file or directory HOST at GUEST (repeatable)\n"
    "  -w, --workdir DIR    the directory the program starts in (made when missing)\n"
    "      --volume PATH    declare a volume point (repeatable): ukrun -v HOSTDIR\n"
    "                       without a guest path shares HOSTDIR there\n"
    "  -v, --verbose        print the compiler and linker commands\n"
    "  -h, --help           this text\n"
    "\n"
    "Everything after -- goes to the compiler and linker unchanged; with -g the\n"
    "image keeps its debug information and full ELF symbol table (otherwise only\n"
    "function names, for ukrun's crash reports).\n";

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

int ukb_section_object(const char *tmp, const char *stem, const char *section, const char *path,
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

int ukb_pack_symbols(const char *path)
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

static void print_symbol(void *ctx, uint64_t addr, const char *name)
{
	printf("%016llx %s\n", (unsigned long long)addr, name);
}

static void count_symbol(void *ctx, uint64_t addr, const char *name) {}

int ukb_cmd_inspect(int argc, char **argv)
{
	struct uki_image img;
	struct uki_manifest m;
	struct stat st;
	char err[256];
	void *p;
	int fd, r = UKB_EXIT_ERROR, symbols = argc == 3 && !strcmp(argv[1], "--symbols");

	if (argc != 2 && !symbols) {
		ukb_err("usage: ukbuild inspect [--symbols] IMAGE");
		return UKB_EXIT_ERROR;
	}
	argv += symbols;
	if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st)) {
		ukb_err("%s: %s", argv[1], strerror(errno));
		return UKB_EXIT_ERROR;
	}
	p = st.st_size ? mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (p == MAP_FAILED) {
		ukb_err("%s: %s", argv[1], st.st_size ? strerror(errno) : "empty file");
		return UKB_EXIT_ERROR;
	}
	if (uki_image_parse(p, st.st_size, &img, err, sizeof(err))) {
		ukb_err("%s: %s", argv[1], err);
	} else if (symbols) {
		/* Like nm: the functions ukrun names in crash reports. */
		if (uki_image_symbols(p, st.st_size, print_symbol, NULL) >= 0)
			r = 0;
		else
			ukb_err("%s: no symbols", argv[1]);
	} else if (!img.manifest) {
		ukb_err("%s: a PVH kernel without a uk manifest (.uk_manifest)", argv[1]);
	} else if (uki_manifest_read(img.manifest, img.manifest_size, &m)) {
		ukb_err("%s: the manifest is corrupt", argv[1]);
	} else {
		printf("%-12s %s (%lld bytes)\n", "image:", argv[1], (long long)st.st_size);
		printf("%-12s %#llx (PVH)\n", "entry:", (unsigned long long)img.entry32);
		uki_manifest_print(stdout, &m);
		printf("%-12s %llu bytes\n", "rootfs:", (unsigned long long)img.rootfs_size);
		printf("%-12s %d functions named\n",
		       "symbols:", uki_image_symbols(p, st.st_size, count_symbol, NULL));
		ukb_oci_inspect(img.manifest, img.manifest_size); /* oci: source, layers */
		uki_manifest_free(&m);
		r = 0;
	}
	munmap(p, st.st_size);
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "inspect"))
		return ukb_cmd_inspect(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "oci"))
		return ukb_cmd_oci(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "disk"))
		return ukb_cmd_disk(argc - 1, argv + 1);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? UKB_EXIT_ERROR : 0;
	}
	return ukb_cmd_link(argc, argv);
}
