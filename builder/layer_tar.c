/*
 * Layers as libarchive tar streams: entries mapped onto the tree, and the
 * reader stack that checks both digests a layer has, in one pass:
 *
 *   blob file --(sha256: the descriptor's digest)--> decompression
 *   (gzip, zstd, xz, bzip2 or none, detected) --(sha256: the config's
 *   diff_id)--> tar reader --> ukb_tree_put()
 *
 * A truncated or corrupt stream, or a digest mismatch, fails the layer
 * with libarchive's reason; nothing is written anywhere but the tree.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "layer.h"
#include "oci.h"

static ssize_t entry_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	struct archive *a = ctx;
	la_ssize_t n = archive_read_data(a, buf, len);

	if (n < 0)
		snprintf(err, errlen, "%s",
		         archive_error_string(a) ? archive_error_string(a) : "corrupt data");
	return n;
}

static enum ukb_etype entry_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return UKB_E_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR: return UKB_E_DIR;
	case AE_IFREG: return UKB_E_FILE;
	case AE_IFLNK: return UKB_E_SYMLINK;
	default: return UKB_E_OTHER; /* devices, FIFOs, sockets */
	}
}

int ukb_tree_apply_tar(struct ukb_tree *t, struct archive *a, int layer)
{
	struct archive_entry *ae;
	int r;

	t->layer = layer;
	t->whiteouts = 1;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		struct ukb_entry e = {
			.path = archive_entry_pathname(ae),
			.type = entry_type(ae),
			.perm = archive_entry_perm(ae) & 07777,
			.uid = (uint32_t)archive_entry_uid(ae),
			.gid = (uint32_t)archive_entry_gid(ae),
			.mtime = archive_entry_mtime(ae),
		};
		if (!e.path) {
			snprintf(t->err, sizeof(t->err), "an entry without a readable name");
			return -1;
		}
		e.link = e.type == UKB_E_HARDLINK ? archive_entry_hardlink(ae)
		                                  : archive_entry_symlink(ae);
		if (e.type == UKB_E_FILE) {
			e.read = entry_read;
			e.ctx = a;
		}
		if (ukb_tree_put(t, &e))
			return -1;
	}
	if (r != ARCHIVE_EOF) {
		snprintf(t->err, sizeof(t->err), "%s",
		         archive_error_string(a) ? archive_error_string(a) : "corrupt tar stream");
		return -1;
	}
	return 0;
}

/* ---- the reader stack ---- */

#define BUFSZ (1 << 16)

struct layer_rd {
	int fd;
	struct archive *raw, *tar;
	struct ukb_sha256 zsum, sum;
	uint64_t zbytes, bytes, total;
	const char *label;
	int progress; /* 1: print progress on stderr */
	int tty;
	int last_pct;
	time_t last_t;
	char zbuf[BUFSZ], buf[BUFSZ];
};

static void progress(struct layer_rd *r)
{
	int pct = r->total ? (int)(r->zbytes * 100 / r->total) : 0;
	time_t now = time(NULL);

	if (!r->progress || !r->tty || pct == r->last_pct || now == r->last_t)
		return;
	r->last_pct = pct;
	r->last_t = now;
	fprintf(stderr, "\rukbuild: %s: %3d%% of %.1f MiB", r->label, pct, r->total / 1048576.0);
}

/* The compressed bytes, straight from the blob file. */
static la_ssize_t file_read(struct archive *a, void *ctx, const void **out)
{
	struct layer_rd *r = ctx;
	ssize_t n = read(r->fd, r->zbuf, BUFSZ);

	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	ukb_sha256_update(&r->zsum, r->zbuf, n);
	r->zbytes += n;
	progress(r);
	*out = r->zbuf;
	return n;
}

/* The decompressed tar stream, fed to the tar reader. */
static la_ssize_t raw_read(struct archive *a, void *ctx, const void **out)
{
	struct layer_rd *r = ctx;
	la_ssize_t n = archive_read_data(r->raw, r->buf, BUFSZ);

	if (n < 0) {
		archive_set_error(a, EIO, "%s",
		                  archive_error_string(r->raw) ? archive_error_string(r->raw)
		                                               : "corrupt compressed stream");
		return -1;
	}
	ukb_sha256_update(&r->sum, r->buf, n);
	r->bytes += n;
	*out = r->buf;
	return n;
}

/* The compressions a layer may come in (the OCI media types name gzip and
 * zstd; xz and bzip2 are read as well). */
static int (*const layer_filters[])(struct archive *) = {
	archive_read_support_filter_gzip,
	archive_read_support_filter_zstd,
	archive_read_support_filter_xz,
	archive_read_support_filter_bzip2,
};

static int rd_open(struct layer_rd *r, char *err, size_t errlen)
{
	struct archive_entry *ae;

	if (!(r->raw = archive_read_new()) || !(r->tar = archive_read_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sizeof(layer_filters) / sizeof(layer_filters[0]); i++)
		layer_filters[i](r->raw);
	archive_read_support_format_raw(r->raw);
	archive_read_support_format_tar(r->tar);
	if (archive_read_open(r->raw, r, NULL, file_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(r->raw, &ae) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s",
		         archive_error_string(r->raw) ? archive_error_string(r->raw)
		                                      : "unreadable (empty?)");
		return -1;
	}
	if (archive_read_open(r->tar, r, NULL, raw_read, NULL) != ARCHIVE_OK) {
		snprintf(err, errlen, "not a tar stream: %s",
		         archive_error_string(r->tar) ? archive_error_string(r->tar) : "?");
		return -1;
	}
	return 0;
}

/* Read what the tar reader left (padding, a trailing gzip member) so both
 * digests cover every byte. */
static int rd_drain(struct layer_rd *r, char *err, size_t errlen)
{
	la_ssize_t n;
	ssize_t m;

	while ((n = archive_read_data(r->raw, r->buf, BUFSZ)) > 0) {
		ukb_sha256_update(&r->sum, r->buf, n);
		r->bytes += n;
	}
	if (n < 0) {
		snprintf(err, errlen, "%s",
		         archive_error_string(r->raw) ? archive_error_string(r->raw)
		                                      : "corrupt compressed stream");
		return -1;
	}
	while ((m = read(r->fd, r->zbuf, BUFSZ)) > 0) {
		ukb_sha256_update(&r->zsum, r->zbuf, m);
		r->zbytes += m;
	}
	return 0;
}

static int check_digest(struct ukb_sha256 *s, const char *want, const char *what, char *err,
                        size_t errlen)
{
	char hex[65];

	ukb_sha256_hex(s, hex);
	if (!want || !*want || !strncmp(want + 7, hex, 64))
		return 0;
	snprintf(err, errlen,
	         "its %s is sha256:%.12s..., not %.19s... as the image says "
	         "(corrupt or tampered)",
	         what, hex, want);
	return -1;
}

int ukb_layer_apply(struct ukb_tree *t, const struct ukb_oci_layer *l, int layer, int show_progress,
                    char *err, size_t errlen)
{
	struct layer_rd *r = calloc(1, sizeof(*r));
	int ret = -1;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->fd = l->fd;
	r->total = l->size;
	r->label = l->label;
	r->last_pct = -1;
	r->tty = isatty(2);
	r->progress = show_progress && l->size >= UKB_PROGRESS_MIN;
	if (r->progress && !r->tty)
		fprintf(stderr, "ukbuild: %s (%.1f MiB)\n", l->label, l->size / 1048576.0);
	if (lseek(r->fd, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "cannot rewind: %s", strerror(errno));
		goto out;
	}
	ukb_sha256_init(&r->zsum);
	ukb_sha256_init(&r->sum);
	if (rd_open(r, err, errlen))
		goto out;
	if (ukb_tree_apply_tar(t, r->tar, layer)) {
		snprintf(err, errlen, "%s", t->err);
		goto out;
	}
	if (rd_drain(r, err, errlen))
		goto out;
	if (l->size && r->zbytes != l->size) {
		snprintf(err, errlen, "%llu bytes, not %llu as the image says (truncated?)",
		         (unsigned long long)r->zbytes, (unsigned long long)l->size);
		goto out;
	}
	if (check_digest(&r->zsum, l->digest, "digest", err, errlen) ||
	    check_digest(&r->sum, l->diff_id, "uncompressed digest (diff_id)", err, errlen))
		goto out;
	ret = 0;
out:
	if (r->progress && r->tty)
		fprintf(stderr, "\rukbuild: %s: %s%*s\n", l->label, ret ? "failed" : "done", 20,
		        "");
	if (r->tar)
		archive_read_free(r->tar);
	if (r->raw)
		archive_read_free(r->raw);
	free(r);
	return ret;
}
