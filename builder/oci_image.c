/*
 * The uk image of a container image: the library OS from the sysroot in
 * "binary" mode (its main() is uk_binary_main, which loads the entrypoint
 * program from the root filesystem), the manifest, and the root filesystem
 * as a cpio (newc) archive in section .uk_rootfs. No application objects.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "ukbuild.h"

/* ---- the manifest, with where the image came from ---- */

static int add_oci_node(void *buf, size_t size, const struct ukb_oci_src *s, const char *source)
{
	int uk, n, r;
	size_t len = 0;
	char *list, *p;

	if ((r = fdt_open_into(buf, buf, (int)size)))
		return r;
	if ((uk = fdt_path_offset(buf, "/uk")) < 0 ||
	    (n = fdt_add_subnode(buf, uk, UKB_OCI_NODE)) < 0)
		return uk < 0 ? uk : n;
	r = fdt_setprop_string(buf, n, UKB_OCI_SOURCE, source);
	if (!r && s->config_digest[0])
		r = fdt_setprop_string(buf, n, UKB_OCI_CONFIG, s->config_digest);
	if (!r)
		r = fdt_setprop_u64(buf, n, UKB_OCI_STORED, s->stored_bytes);
	for (int i = 0; i < s->nlayers; i++)
		len += UKB_DIGEST_LEN + 1;
	if (!r && len) {
		if (!(p = list = calloc(1, len)))
			return -FDT_ERR_NOSPACE;
		for (int i = 0; i < s->nlayers; i++) {
			const struct ukb_oci_layer *l = &s->layers[i];
			p = stpcpy(p, l->digest[0] ? l->digest : l->diff_id) + 1;
		}
		r = fdt_setprop(buf, n, UKB_OCI_LAYERS, list, (int)(p - list));
		free(list);
	}
	return r ? r : fdt_pack(buf);
}

int ukb_oci_link(const struct uki_manifest *m, const struct ukb_oci_src *s, const char *cpio,
                 const char *out, const char *tmpdir, int verbose)
{
	static char buf[1 << 20];
	int n;

	if ((n = uki_manifest_write(m, buf, sizeof(buf))) < 0 ||
	    (n = add_oci_node(buf, sizeof(buf), s, s->source_name)) < 0) {
		ukb_err("manifest: %s",
		        n == -ENOSPC || n == -FDT_ERR_NOSPACE
		            ? "too large (more than 1 MiB of arguments and environment)"
		            : "cannot be written");
		return UKB_EXIT_ERROR;
	}
	return ukb_link_image(&(struct ukb_link){
	    .out = out,
	    .tmp = tmpdir,
	    .manifest = buf,
	    .manifest_size = fdt_totalsize(buf),
	    .rootfs = cpio,
	    .binary = 1,
	    .verbose = verbose,
	});
}

/* ---- ukbuild inspect ---- */

static void print_strings(const char *label, const char *p, int len)
{
	for (const char *end = p + len; p < end && !end[-1]; p += strlen(p) + 1)
		printf("%-12s %s\n", label, p), label = "";
}

void ukb_oci_inspect(const void *mf, size_t size)
{
	const char *p;
	const void *v;
	int n, len;

	if (size < sizeof(struct fdt_header) || fdt_check_full(mf, size) ||
	    (n = fdt_path_offset(mf, "/uk/" UKB_OCI_NODE)) < 0)
		return;
	if ((p = fdt_getprop(mf, n, UKB_OCI_SOURCE, &len)) && len > 0 && !p[len - 1])
		printf("%-12s %s\n", "oci source:", p);
	if ((p = fdt_getprop(mf, n, UKB_OCI_CONFIG, &len)) && len > 0 && !p[len - 1])
		printf("%-12s %s\n", "oci config:", p);
	if ((v = fdt_getprop(mf, n, UKB_OCI_STORED, &len)) && len == 8)
		printf("%-12s %llu bytes (the image as stored, compressed)\n",
		       "oci size:", (unsigned long long)fdt64_ld(v));
	if ((p = fdt_getprop(mf, n, UKB_OCI_LAYERS, &len)) && len > 0)
		print_strings("layers:", p, len);
}
