/*
 * ukbuild oci: container images into uk images. Shared declarations of
 * builder/oci*.c and builder/layer*.c (ukbuild-internal, not an ABI).
 *
 *   oci.c          the command: options, the steps, the output
 *   oci_source.c   OCI image layouts and docker archives -> config + layers
 *   oci_config.c   the image config -> the uk manifest (docker's rules)
 *   oci_image.c    the rootfs as cpio, the manifest, the link
 *   oci_sha256.c   content digests
 *   layer*.c       the root filesystem tree (layer.h)
 */
#ifndef UKB_OCI_H
#define UKB_OCI_H

#include <jansson.h>
#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#include "layer.h"
#include "../image/manifest.h"

/* ---- SHA-256 ---- */

struct ukb_sha256 {
	struct sha256_ctx ctx;
};

void ukb_sha256_init(struct ukb_sha256 *s);
void ukb_sha256_update(struct ukb_sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits; s is used up. */
void ukb_sha256_hex(struct ukb_sha256 *s, char out[65]);

/* "sha256:" + 64 lowercase hex digits: the only digests accepted (a blob
 * name is built from it, so nothing else may get through). */
int ukb_digest_valid(const char *d);

/* ---- sources ---- */

#define UKB_DIGEST_LEN 71           /* "sha256:" + 64 */
#define UKB_PROGRESS_MIN (8u << 20) /* layers this big show progress */

struct ukb_oci_layer {
	char digest[UKB_DIGEST_LEN + 1];  /* of the blob as stored; "" unknown */
	char diff_id[UKB_DIGEST_LEN + 1]; /* of the uncompressed tar; "" unknown */
	uint64_t size;                    /* blob bytes; 0 unknown */
	int fd;                           /* the blob, open */
	char label[64];                   /* "layer 2/5 (sha256:abcdef012345)" */
};

struct ukb_oci_src {
	json_t *config; /* the image config; NULL for dir: */
	char config_digest[UKB_DIGEST_LEN + 1];
	char *ref; /* the tag or name chosen, if any */
	int nlayers;
	struct ukb_oci_layer *layers;
	uint64_t stored_bytes;   /* sum of the blobs: the image's size */
	char *rootdir;           /* dir:PATH */
	const char *source_name; /* SOURCE as given */
};

/* Open SOURCE (oci:DIR[:TAG], docker-archive:FILE[:REF], dir:PATH):
 * find and check the config and the layers (nothing applied yet).
 * Returns 0, or -1 with a message in err. */
int ukb_oci_open(const char *source, struct ukb_oci_src *s, char *err, size_t errlen);
void ukb_oci_close(struct ukb_oci_src *s);

/* Apply one layer to the tree, checking its digests and size. Returns 0,
 * or -1 with the reason in err (without the layer's name). */
int ukb_layer_apply(struct ukb_tree *t, const struct ukb_oci_layer *l, int layer, int show_progress,
                    char *err, size_t errlen);

/* ---- config -> manifest ---- */

struct ukb_oci_opts {
	struct uki_strlist entrypoint, cmd, env, expose, volumes;
	int set_entrypoint, set_cmd; /* given on the command line */
	const char *workdir, *user;
	uint64_t mem;
};

/* Docker's default PATH, used when the image's environment has none. */
#define UKB_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The manifest for config (NULL: flags only) with the command line's
 * overrides; a user name is looked up in the tree's /etc/passwd. Returns
 * 0, or -1 with a message in err. */
int ukb_oci_manifest(json_t *config, const struct ukb_oci_opts *o, struct ukb_tree *t,
                     struct uki_manifest *m, char *err, size_t errlen);

/* ---- the image ---- */

/* Write the tree as a cpio (newc) archive to fd. Returns 0, or -1 with a
 * message in err. */
int ukb_rootfs_cpio(struct ukb_tree *t, int fd, uint64_t *bytes, char *err, size_t errlen);

/* Link the library OS in "binary" mode with manifest and rootfs (a cpio
 * file) into out, atomically. Returns 0 or a ukbuild exit status. */
int ukb_oci_link(const struct uki_manifest *m, const struct ukb_oci_src *s, const char *cpio,
                 const char *out, const char *tmpdir, int verbose);

/* Properties of the manifest's "oci" node: where the image came from, for
 * `ukbuild inspect`. The guest ignores them. */
#define UKB_OCI_NODE "oci"
#define UKB_OCI_SOURCE "source"
#define UKB_OCI_CONFIG "config"
#define UKB_OCI_LAYERS "layers" /* string list of digests (diff_id if no blob digest) */
#define UKB_OCI_STORED "stored-bytes"

/* `ukbuild inspect`: print the oci node of a manifest, if any. */
void ukb_oci_inspect(const void *manifest, size_t size);

#endif
