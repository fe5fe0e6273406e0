/*
 * libFuzzer target: config.json of arbitrary bytes, read as ukrun's OCI
 * runtime reads a bundle's (vmm/oci_spec.c), in a bundle with a root
 * filesystem, a directory and a file to share, and a symlink out of it.
 * Whatever the input, nothing may crash or leak, and a config it accepts
 * holds what create relies on: a program, absolute paths without "..",
 * shared sources that exist, within the limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uk/abi.h>

#include "../../vmm/oci.h"
#include "../unit/oci_bundle.h"

/* In a tmpfs where there is one: ext4 writes a file truncated and written
 * again back at its close, which made each run wait for the disk. */
static char dir[64], path[96];

static void cleanup(void)
{
	static const char *const names[] = { "config.json", "rootfs", "share", "hosts", "out" };
	char p[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		remove(p);
	}
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz_oci_spec.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_oci_spec.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	if (oci_test_bundle(dir))
		abort();
	snprintf(path, sizeof(path), "%s/config.json", dir);
	atexit(cleanup);
}

static void check_path(const char *p)
{
	if (!p || p[0] != '/' || strstr(p, "/../") ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec s;
	char err[1024];
	FILE *f;

	if (!path[0])
		setup();
	if (!(f = fopen(path, "w")) || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (oci_spec_read(dir, &s, err, sizeof(err), NULL, NULL)) {
		if (!err[0])
			abort(); /* a refusal says why */
		oci_spec_free(&s);
		return 0;
	}
	if (!s.args || !s.args[0] || !s.args[0][0])
		abort();
	check_path(s.cwd);
	check_path(s.rootfs);
	if (s.nmounts > OCI_MAX_MOUNTS || s.nfiles > OCI_MAX_FILES)
		abort();
	for (int i = 0; i < s.nmounts; i++) {
		struct stat st;
		check_path(s.mounts[i].dst);
		if (!strcmp(s.mounts[i].dst, "/") || strchr(s.mounts[i].dst, ':') ||
		    stat(s.mounts[i].src, &st) || !S_ISDIR(st.st_mode))
			abort();
	}
	for (int i = 0; i < s.nfiles; i++)
		check_path(s.files[i].dst);
	if (s.mem && (s.mem < (2u << 20) || s.mem > UK_RAM_MAX))
		abort();
	for (int i = 0; s.env && s.env[i]; i++)
		if (!strchr(s.env[i], '=') || s.env[i][0] == '=')
			abort();
	oci_spec_free(&s);
	return 0;
}
