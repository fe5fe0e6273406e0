/*
 * ukbuild oci's pure parts: SHA-256, the layer tree (whiteouts, the
 * confinement of hostile entries, replacement rules), digest checks of a
 * layer stream, the config -> manifest rules, the cpio round trip. Layers
 * are made in memory with libarchive's writer.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../builder/oci.h"
#include "unit.h"

/* ---- helpers: layers as tar streams in a memfd ---- */

struct tar {
	struct archive *a;
	int fd;
};

static void tar_begin(struct tar *t, int gzip)
{
	t->fd = memfd_create("layer", 0);
	t->a = archive_write_new();
	archive_write_set_format_gnutar(t->a);
	if (gzip)
		archive_write_add_filter_gzip(t->a);
	archive_write_open_fd(t->a, t->fd);
}

static void tar_add(struct tar *t, const char *name, unsigned type, const char *data,
                    const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	if (link && type == AE_IFREG) /* a hard link */
		archive_entry_set_hardlink(e, link);
	archive_entry_set_size(e, data ? strlen(data) : 0);
	archive_write_header(t->a, e);
	if (data)
		archive_write_data(t->a, data, strlen(data));
	archive_entry_free(e);
}

#define FILE_(t, n, d) tar_add(t, n, AE_IFREG, d, NULL)
#define DIR_(t, n) tar_add(t, n, AE_IFDIR, NULL, NULL)
#define LINK(t, n, to) tar_add(t, n, AE_IFLNK, NULL, to)
#define HARD(t, n, to) tar_add(t, n, AE_IFREG, NULL, to)

/* Finish the tar and apply it as layer n; returns what apply returned. */
static int tar_apply(struct tar *t, struct ukb_tree *tree, int n, char *err, size_t errlen)
{
	struct ukb_oci_layer l = { .fd = t->fd };
	int r;

	archive_write_close(t->a);
	archive_write_free(t->a);
	snprintf(l.label, sizeof(l.label), "layer %d", n);
	r = ukb_layer_apply(tree, &l, n, 0, err, errlen);
	close(t->fd);
	return r;
}

static int apply(struct tar *t, struct ukb_tree *tree, int n)
{
	char err[512];
	int r = tar_apply(t, tree, n, err, sizeof(err));

	if (r)
		printf("# apply: %s\n", err);
	return r;
}

/* The contents of a file in the tree, as a string (static buffer). */
static const char *content(struct ukb_tree *t, const char *path)
{
	static char buf[256];
	struct ukb_node *n = ukb_tree_lookup(t, path, 1);
	ssize_t len;

	if (!n || !n->inode)
		return NULL;
	len = ukb_tree_read(t, n->inode, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	return buf;
}

/* ---- SHA-256 ---- */

static void hex_of(const void *d, size_t n, char out[65])
{
	struct ukb_sha256 s;

	ukb_sha256_init(&s);
	ukb_sha256_update(&s, d, n);
	ukb_sha256_hex(&s, out);
}

TEST(sha256_vectors)
{
	char h[65];

	/* FIPS 180-4 examples */
	hex_of("abc", 3, h);
	EXPECT(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	hex_of("", 0, h);
	EXPECT(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	EXPECT(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

/* Against sha256sum, for lengths around the block and padding edges, fed
 * in odd-sized pieces. */
TEST(sha256_against_coreutils)
{
	static unsigned char data[4096];
	char h[65], want[65], cmd[64];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + (i >> 5));
	for (size_t len = 50; len < 200; len += 7) {
		int fd = memfd_create("d", 0);
		struct ukb_sha256 s;
		FILE *p;
		EXPECT(write(fd, data, len) == (ssize_t)len);
		snprintf(cmd, sizeof(cmd), "sha256sum /proc/self/fd/%d", fd);
		EXPECT((p = popen(cmd, "r")) && fscanf(p, "%64s", want) == 1);
		pclose(p);
		close(fd);
		ukb_sha256_init(&s);
		for (size_t off = 0; off < len; off += 13)
			ukb_sha256_update(&s, data + off, len - off < 13 ? len - off : 13);
		ukb_sha256_hex(&s, h);
		EXPECT(!strcmp(h, want));
	}
}

TEST(digest_names)
{
	EXPECT(ukb_digest_valid(
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	EXPECT(!ukb_digest_valid("sha256:../../../../etc/passwd"));
	EXPECT(!ukb_digest_valid(
	    "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	EXPECT(!ukb_digest_valid(
	    "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	EXPECT(!ukb_digest_valid(
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
	EXPECT(!ukb_digest_valid(NULL));
}

/* ---- layers ---- */

TEST(whiteouts)
{
	struct ukb_tree t;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 1);
	DIR_(&a, "data/");
	FILE_(&a, "data/keep", "keep");
	FILE_(&a, "data/gone", "gone");
	FILE_(&a, "opq/old", "old");
	FILE_(&a, "opq/sub/deep", "deep");
	EXPECT(apply(&a, &t, 1) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "opq/early", "same layer, before the marker");
	FILE_(&a, "data/.wh.gone", "");
	FILE_(&a, "opq/.wh..wh..opq", "");
	FILE_(&a, "opq/late", "same layer, after the marker");
	FILE_(&a, "data/.wh.never-existed", "");
	EXPECT(apply(&a, &t, 2) == 0);
	EXPECT(content(&t, "data/keep") && !strcmp(content(&t, "data/keep"), "keep"));
	EXPECT(!ukb_tree_lookup(&t, "data/gone", 0));
	EXPECT(!ukb_tree_lookup(&t, "opq/old", 0));
	EXPECT(!ukb_tree_lookup(&t, "opq/sub", 0));
	EXPECT(ukb_tree_lookup(&t, "opq/early", 0) && ukb_tree_lookup(&t, "opq/late", 0));
	EXPECT(!ukb_tree_lookup(&t, "opq/.wh..wh..opq", 0) &&
	       !ukb_tree_lookup(&t, "data/.wh.gone", 0));
	/* A later layer brings a deleted name back. */
	tar_begin(&a, 0);
	FILE_(&a, "data/gone", "back");
	EXPECT(apply(&a, &t, 3) == 0);
	EXPECT(content(&t, "/data/gone") && !strcmp(content(&t, "/data/gone"), "back"));
	ukb_tree_free(&t);
}

/* Whiteouts only hide lower layers: the same layer's file stays. */
TEST(whiteout_same_layer)
{
	struct ukb_tree t;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "x", "1");
	FILE_(&a, ".wh.x", "");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(ukb_tree_lookup(&t, "x", 0) != NULL);
	ukb_tree_free(&t);
}

TEST(dotdot_refused)
{
	struct ukb_tree t;
	struct tar a;
	char err[512];

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "ok", "ok");
	FILE_(&a, "a/../../escape", "x");
	EXPECT(tar_apply(&a, &t, 1, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "leaves the root") && strstr(err, "a/../../escape"));
	ukb_tree_free(&t);
}

/* Absolute names and absolute symlinks stay inside the tree. */
TEST(symlinks_confined)
{
	struct ukb_tree t;
	struct ukb_node *n;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "/etc/abs", "absolute name");
	LINK(&a, "evil", "/etc");
	FILE_(&a, "evil/passwd", "through an absolute link");
	LINK(&a, "up", "../../../../..");
	FILE_(&a, "up/tmp/x", "through a relative link");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(content(&t, "etc/abs") != NULL);
	EXPECT(content(&t, "etc/passwd") &&
	       !strcmp(content(&t, "etc/passwd"), "through an absolute link"));
	EXPECT(content(&t, "tmp/x") != NULL);
	/* the link itself is still a link */
	EXPECT((n = ukb_tree_lookup(&t, "evil", 0)) && S_ISLNK(n->mode));
	ukb_tree_free(&t);
}

/* An entry replaces a symlink at its own name: it is never written through. */
TEST(last_component_not_followed)
{
	struct ukb_tree t;
	struct ukb_node *n;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "target", "original");
	LINK(&a, "l", "target");
	FILE_(&a, "l", "replacing the link");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(!strcmp(content(&t, "target"), "original"));
	EXPECT((n = ukb_tree_lookup(&t, "l", 0)) && S_ISREG(n->mode));
	ukb_tree_free(&t);
}

TEST(symlink_loop)
{
	struct ukb_tree t;
	struct tar a;
	char err[512];

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	LINK(&a, "a", "b");
	LINK(&a, "b", "a");
	FILE_(&a, "a/x", "never");
	EXPECT(tar_apply(&a, &t, 1, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "too many levels of symbolic links"));
	ukb_tree_free(&t);
}

TEST(hard_links)
{
	struct ukb_tree t;
	struct ukb_node *x, *y;
	struct tar a;
	char err[512];

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "bin/x", "shared");
	HARD(&a, "bin/y", "bin/x");
	HARD(&a, "bin/x", "bin/x"); /* to itself: harmless */
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT((x = ukb_tree_lookup(&t, "bin/x", 0)) && (y = ukb_tree_lookup(&t, "bin/y", 0)));
	EXPECT(x->inode == y->inode && x->inode->nlink == 2);
	/* A later layer replacing one name leaves the other. */
	tar_begin(&a, 0);
	FILE_(&a, "bin/x", "new");
	EXPECT(apply(&a, &t, 2) == 0);
	EXPECT(!strcmp(content(&t, "bin/y"), "shared") && !strcmp(content(&t, "bin/x"), "new"));
	tar_begin(&a, 0);
	HARD(&a, "passwd", "../etc/passwd");
	EXPECT(tar_apply(&a, &t, 3, err, sizeof(err)) == -1 && strstr(err, "leaves the root"));
	tar_begin(&a, 0);
	HARD(&a, "passwd", "/etc/passwd");
	EXPECT(tar_apply(&a, &t, 4, err, sizeof(err)) == -1 && strstr(err, "no such file"));
	tar_begin(&a, 0);
	HARD(&a, "d", "bin");
	EXPECT(tar_apply(&a, &t, 5, err, sizeof(err)) == -1 && strstr(err, "a directory"));
	ukb_tree_free(&t);
}

TEST(replace_and_merge)
{
	struct ukb_tree t;
	struct ukb_node *n;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "d/inner", "1");
	FILE_(&a, "f", "file");
	EXPECT(apply(&a, &t, 1) == 0);
	tar_begin(&a, 0);
	DIR_(&a, "d/"); /* merged: keeps d/inner */
	DIR_(&a, "f/"); /* a directory replaces the file */
	FILE_(&a, "f/g", "in the new directory");
	EXPECT(apply(&a, &t, 2) == 0);
	EXPECT(content(&t, "d/inner") != NULL);
	EXPECT((n = ukb_tree_lookup(&t, "f", 0)) && S_ISDIR(n->mode) && content(&t, "f/g"));
	tar_begin(&a, 0);
	FILE_(&a, "d", "a file replaces a whole directory");
	EXPECT(apply(&a, &t, 3) == 0);
	EXPECT(!ukb_tree_lookup(&t, "d/inner", 0) && content(&t, "d"));
	ukb_tree_free(&t);
}

TEST(devices_skipped)
{
	struct ukb_tree t;
	struct tar a;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	tar_add(&a, "dev/sda", AE_IFBLK, NULL, NULL);
	tar_add(&a, "fifo", AE_IFIFO, NULL, NULL);
	FILE_(&a, "ok", "ok");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(t.skipped == 2 && !strcmp(t.skipped_example, "dev/sda"));
	EXPECT(!ukb_tree_lookup(&t, "fifo", 0) && content(&t, "ok"));
	ukb_tree_free(&t);
}

/* A gzip stream cut short fails with libarchive's reason. */
TEST(truncated_gzip)
{
	struct ukb_tree t;
	struct ukb_oci_layer l = { .label = "layer 1" };
	struct tar a;
	char big[20000], err[512];
	struct stat st;

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = 'a' + (char)((i * 7919) % 26) + (i % 3 ? 0 : 0);
	big[sizeof(big) - 1] = 0;
	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 1);
	for (int i = 0; i < 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		FILE_(&a, name, big);
	}
	archive_write_close(a.a);
	archive_write_free(a.a);
	EXPECT(fstat(a.fd, &st) == 0 && st.st_size > 100);
	EXPECT(ftruncate(a.fd, st.st_size / 2) == 0);
	l.fd = a.fd;
	EXPECT(ukb_layer_apply(&t, &l, 1, 0, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "runcated") || strstr(err, "corrupt") || strstr(err, "premature"));
	close(a.fd);
	ukb_tree_free(&t);
}

/* Both digests are checked: of the blob, and of the uncompressed tar. */
TEST(layer_digests)
{
	struct ukb_tree t;
	struct ukb_oci_layer l = { .label = "layer 1" };
	struct ukb_sha256 s;
	struct tar a;
	char err[512], *blob;
	struct stat st;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 1);
	FILE_(&a, "f", "digest me");
	archive_write_close(a.a);
	archive_write_free(a.a);
	EXPECT(fstat(a.fd, &st) == 0);
	blob = malloc(st.st_size);
	EXPECT(pread(a.fd, blob, st.st_size, 0) == st.st_size);
	ukb_sha256_init(&s);
	ukb_sha256_update(&s, blob, st.st_size);
	strcpy(l.digest, "sha256:");
	ukb_sha256_hex(&s, l.digest + 7);
	l.size = st.st_size;
	l.fd = a.fd;
	EXPECT(ukb_layer_apply(&t, &l, 1, 0, err, sizeof(err)) == 0);
	l.digest[10] ^= 1; /* a different digest */
	EXPECT(ukb_layer_apply(&t, &l, 2, 0, err, sizeof(err)) == -1 && strstr(err, "tampered"));
	l.digest[10] ^= 1;
	strcpy(l.diff_id, l.digest); /* the uncompressed stream differs from the gzip */
	EXPECT(ukb_layer_apply(&t, &l, 3, 0, err, sizeof(err)) == -1 && strstr(err, "diff_id"));
	l.diff_id[0] = 0;
	l.size++;
	EXPECT(ukb_layer_apply(&t, &l, 4, 0, err, sizeof(err)) == -1 && strstr(err, "bytes"));
	free(blob);
	close(a.fd);
	ukb_tree_free(&t);
}

/* ---- config -> manifest ---- */

static json_t *cfg(const char *text) { return json_loads(text, 0, NULL); }

TEST(config_docker_rules)
{
	struct ukb_oci_opts o = { 0 };
	struct uki_manifest m;
	struct ukb_tree t;
	char err[256];
	json_t *c =
	    cfg("{\"config\":{\"Entrypoint\":[\"/bin/redis-server\"],\"Cmd\":[\"--port\",\"1\"],"
	        "\"Env\":[\"A=1\",\"B=2\"],\"WorkingDir\":\"/data\",\"ExposedPorts\":{\"6379/"
	        "tcp\":{}},\"Volumes\":{\"/data\":{}}}}");

	EXPECT(ukb_tree_init(&t) == 0);
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0);
	EXPECT(m.entrypoint.n == 1 && m.cmd.n == 2 && !strcmp(m.cmd.v[1], "1"));
	EXPECT(m.env.n == 4 && !strcmp(m.env.v[0], UKB_DEFAULT_PATH)); /* docker's PATH */
	EXPECT(!strcmp(m.env.v[3], "HOME=/")); /* no /etc/passwd: docker's "/" */
	EXPECT(!strcmp(m.workdir, "/data") && !strcmp(m.mode, "binary"));
	EXPECT(m.ports.n == 1 && !strcmp(m.ports.v[0], "6379/tcp"));
	EXPECT(m.volumes.n == 1 && !strcmp(m.volumes.v[0], "/data")); /* docker's VOLUME */
	uki_manifest_free(&m);
	/* --entrypoint drops the image's Cmd; -e replaces; --expose adds */
	o.set_entrypoint = 1;
	uki_strlist_add(&o.entrypoint, "sh");
	uki_strlist_add(&o.env, "B=3");
	uki_strlist_add(&o.env, "PATH=/x");
	uki_strlist_add(&o.expose, "53/udp");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0);
	EXPECT(m.entrypoint.n == 1 && !strcmp(m.entrypoint.v[0], "sh") && m.cmd.n == 0);
	EXPECT(m.env.n == 4 && !strcmp(m.env.v[1], "B=3") && !strcmp(m.env.v[2], "PATH=/x"));
	EXPECT(m.ports.n == 2 && !strcmp(m.ports.v[1], "53/udp"));
	uki_manifest_free(&m);
	uki_strlist_free(&o.entrypoint);
	uki_strlist_free(&o.env);
	uki_strlist_free(&o.expose);
	json_decref(c);
	ukb_tree_free(&t);
}

TEST(config_errors)
{
	struct ukb_oci_opts o = { 0 };
	struct uki_manifest m;
	struct ukb_tree t;
	char err[256];
	json_t *c;

	EXPECT(ukb_tree_init(&t) == 0);
	c = cfg("{\"config\":{\"Env\":[\"A=1\"]}}");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == -1 &&
	       strstr(err, "--entrypoint"));
	uki_manifest_free(&m);
	json_decref(c);
	c = cfg("{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"relative\"}}");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == -1 && strstr(err, "absolute"));
	uki_manifest_free(&m);
	json_decref(c);
	c = cfg("{\"config\":{\"Cmd\":[\"x\"],\"ExposedPorts\":{\"99999/tcp\":{}}}}");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == -1 && strstr(err, "99999"));
	uki_manifest_free(&m);
	json_decref(c);
	c = cfg("{\"config\":{\"Cmd\":[\"x\"],\"Volumes\":{\"relative\":{}}}}");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == -1 &&
	       strstr(err, "volume 'relative'"));
	uki_manifest_free(&m);
	json_decref(c);
	c = cfg("{\"config\":{\"Cmd\":[\"x\"],\"User\":\"nobody\"}}");
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == -1 &&
	       strstr(err, "/etc/passwd"));
	uki_manifest_free(&m);
	json_decref(c);
	ukb_tree_free(&t);
}

TEST(config_user_names)
{
	struct ukb_oci_opts o = { 0 };
	struct uki_manifest m;
	struct ukb_tree t;
	struct tar a;
	char err[256];
	json_t *c = cfg("{\"config\":{\"Cmd\":[\"x\"],\"User\":\"redis\"}}");

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "etc/passwd",
	      "root:x:0:0:root:/root:/bin/sh\nredis:x:100:101::/var/lib/redis:/bin/false\n");
	FILE_(&a, "etc/group", "root:x:0:\nstaff:x:50:\n");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0 &&
	       !strcmp(m.user, "100:101"));
	EXPECT(!strcmp(m.env.v[m.env.n - 1], "HOME=/var/lib/redis")); /* the user's, from passwd */
	uki_manifest_free(&m);
	o.user = "root";
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0 && !strcmp(m.user, "0:0"));
	EXPECT(!strcmp(m.env.v[m.env.n - 1], "HOME=/root"));
	uki_manifest_free(&m);
	uki_strlist_add(&o.env, "HOME=/mine"); /* -e HOME wins */
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0);
	EXPECT(!strcmp(m.env.v[m.env.n - 1], "HOME=/mine"));
	uki_manifest_free(&m);
	uki_strlist_free(&o.env);
	o.user = "redis:staff";
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0 && !strcmp(m.user, "100:50"));
	uki_manifest_free(&m);
	o.user = "1234:5";
	EXPECT(ukb_oci_manifest(c, &o, &t, &m, err, sizeof(err)) == 0 && !strcmp(m.user, "1234:5"));
	uki_manifest_free(&m);
	json_decref(c);
	ukb_tree_free(&t);
}

/* ---- cpio ---- */

/* The tree written as cpio reads back with libarchive: names, types,
 * contents, one copy of a hard-linked file's data. */
TEST(cpio_round_trip)
{
	struct ukb_tree t;
	struct archive *r;
	struct archive_entry *e;
	struct tar a;
	char err[256], data[64];
	uint64_t bytes;
	int fd = memfd_create("cpio", 0), seen = 0, with_data = 0;

	EXPECT(ukb_tree_init(&t) == 0);
	tar_begin(&a, 0);
	FILE_(&a, "bin/prog", "#!/bin/sh\n");
	HARD(&a, "bin/alias", "bin/prog");
	LINK(&a, "sbin", "bin");
	DIR_(&a, "empty/");
	EXPECT(apply(&a, &t, 1) == 0);
	EXPECT(ukb_rootfs_cpio(&t, fd, &bytes, err, sizeof(err)) == 0 && bytes > 0);
	lseek(fd, 0, SEEK_SET);
	r = archive_read_new();
	archive_read_support_format_cpio(r);
	EXPECT(archive_read_open_fd(r, fd, 4096) == ARCHIVE_OK);
	while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
		const char *n = archive_entry_pathname(e);
		la_ssize_t len = archive_read_data(r, data, sizeof(data));
		seen++;
		if (!strcmp(n, "bin/prog") || !strcmp(n, "bin/alias")) {
			EXPECT(archive_entry_nlink(e) == 2);
			if (len > 0) {
				with_data++;
				EXPECT(len == 10 && !memcmp(data, "#!/bin/sh\n", 10));
			}
		}
		if (!strcmp(n, "sbin"))
			EXPECT(archive_entry_filetype(e) == AE_IFLNK &&
			       !strcmp(archive_entry_symlink(e), "bin"));
	}
	EXPECT(seen == 6 && with_data == 1); /* ".", bin, both names, sbin, empty */
	archive_read_free(r);
	close(fd);
	ukb_tree_free(&t);
}

int main(void)
{
	RUN("oci", sha256_vectors);
	RUN("oci", sha256_against_coreutils);
	RUN("oci", digest_names);
	RUN("oci", whiteouts);
	RUN("oci", whiteout_same_layer);
	RUN("oci", dotdot_refused);
	RUN("oci", symlinks_confined);
	RUN("oci", last_component_not_followed);
	RUN("oci", symlink_loop);
	RUN("oci", hard_links);
	RUN("oci", replace_and_merge);
	RUN("oci", devices_skipped);
	RUN("oci", truncated_gzip);
	RUN("oci", layer_digests);
	RUN("oci", config_docker_rules);
	RUN("oci", config_errors);
	RUN("oci", config_user_names);
	RUN("oci", cpio_round_trip);
	return unit_failures ? 1 : 0;
}
