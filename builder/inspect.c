/* ukbuild inspect: what an image holds (its manifest, or its functions). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../image/image.h"
#include "oci.h"
#include "ukbuild.h"

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
