/* The bundle test_oci_spec and the oci_spec fuzz target read config.json
 * in: rootfs/ and share/ (directories), hosts (a file) and out (a link to
 * "/", out of the bundle). */
#ifndef OCI_BUNDLE_H
#define OCI_BUNDLE_H

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes the bundle's entries in the directory dir; 0, or -1. */
static inline int oci_test_bundle(const char *dir)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/rootfs", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/share", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/hosts", dir);
	if (!(f = fopen(p, "w")))
		return -1;
	fclose(f);
	snprintf(p, sizeof(p), "%s/out", dir);
	return symlink("/", p);
}

#endif
