/*
 * ukbuild oci's sources (builder/oci_source.c): OCI image layouts and
 * docker archives made here, well-formed and hostile. Tags and platforms
 * are chosen as docker does, digests and sizes are checked, a digest can
 * never name a file outside blobs/, a docker archive's names never reach
 * the file system.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../builder/oci.h"
#include "unit.h"

static char dir[256];

static void digest_of(const void *d, size_t n, char out[UKB_DIGEST_LEN + 1])
{
	struct ukb_sha256 s;

	ukb_sha256_init(&s);
	ukb_sha256_update(&s, d, n);
	strcpy(out, "sha256:");
	ukb_sha256_hex(&s, out + 7);
}

static void put_file(const char *name, const void *d, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite(d, 1, n, f);
	fclose(f);
}

/* A blob under blobs/sha256; its digest into out. */
static void blob(const char *text, size_t n, char out[UKB_DIGEST_LEN + 1])
{
	char name[160];

	digest_of(text, n, out);
	snprintf(name, sizeof(name), "blobs/sha256/%s", out + 7);
	put_file(name, text, n);
}

/* A one-file uncompressed layer tar in memory. */
static size_t layer(char *buf, size_t size, const char *name, const char *content)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, size, &used);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, strlen(content));
	archive_write_header(a, e);
	archive_write_data(a, content, strlen(content));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	return used;
}

static void fresh_layout(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/blobs/sha256", dir, dir);
	if (system(cmd))
		abort();
	put_file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

/* An image: one layer, a config with arch, a manifest; the manifest's
 * descriptor (for an index) into desc. */
static void image(const char *arch, const char *file, char *desc, size_t dlen)
{
	static char tar[16384];
	char cfg[1024], man[2048], ld[80], cd[80], md[80], diff[80];
	size_t n = layer(tar, sizeof(tar), file, "content\n");

	blob(tar, n, ld);
	digest_of(tar, n, diff);
	snprintf(cfg, sizeof(cfg),
	         "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/%s\"]},"
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	         arch, file, diff);
	blob(cfg, strlen(cfg), cd);
	snprintf(man, sizeof(man),
	         "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/"
	         "vnd.oci.image.config.v1+json\","
	         "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
	         "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
	         cd, strlen(cfg), ld, n);
	blob(man, strlen(man), md);
	snprintf(desc, dlen,
	         "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
	         "\"size\":%zu,\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}",
	         md, strlen(man), arch);
}

static void index_json(const char *manifests)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,\"manifests\":[%s]}", manifests);
	put_file("index.json", buf, strlen(buf));
}

static int open_src(const char *spec, struct ukb_oci_src *s, char *err, size_t len)
{
	char source[300];

	snprintf(source, sizeof(source), "oci:%s%s", dir, spec);
	return ukb_oci_open(source, s, err, len);
}

TEST(tags_chosen)
{
	char a[1024], b[1024], idx[4096], err[512];
	struct ukb_oci_src s;

	fresh_layout();
	image("amd64", "one", a, sizeof(a));
	image("amd64", "two", b, sizeof(b));
	snprintf(idx, sizeof(idx),
	         "%s,\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
	         "%s,\"annotations\":{\"org.opencontainers.image.ref.name\":\"docker.io/x/y:v2\"}}",
	         a, b);
	index_json(idx);
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "name one as oci:DIR:TAG") &&
	       strstr(err, "v1"));
	EXPECT(open_src(":v2", &s, err, sizeof(err)) == 0);
	EXPECT(s.nlayers == 1 &&
	       !strcmp(json_string_value(json_array_get(
	                   json_object_get(json_object_get(s.config, "config"), "Cmd"), 0)),
	               "/two"));
	ukb_oci_close(&s);
	EXPECT(open_src(":v3", &s, err, sizeof(err)) == -1 && strstr(err, "no image tagged 'v3'"));
}

/* A nested index (multi-platform): linux/amd64 is picked. */
TEST(platform_chosen)
{
	char arm[1024], amd[1024], nested[4096], nd[80], idx[1200], err[512];
	struct ukb_oci_src s;

	fresh_layout();
	image("arm64", "arm", arm, sizeof(arm));
	image("amd64", "amd", amd, sizeof(amd));
	snprintf(nested, sizeof(nested),
	         "{\"schemaVersion\":2,\"mediaType\":"
	         "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[%s},%s}]}",
	         arm, amd);
	blob(nested, strlen(nested), nd);
	snprintf(idx, sizeof(idx),
	         "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	         "\"digest\":\"%s\",\"size\":%zu}",
	         nd, strlen(nested));
	index_json(idx);
	EXPECT(open_src("", &s, err, sizeof(err)) == 0);
	EXPECT(!strcmp(json_string_value(json_object_get(s.config, "architecture")), "amd64"));
	ukb_oci_close(&s);
	/* only arm64: refused, with the reason */
	snprintf(idx, sizeof(idx), "%s}", arm);
	index_json(idx);
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "arm64"));
}

TEST(hostile_layouts)
{
	char a[1024], idx[2048], err[512];
	struct ukb_oci_src s;

	fresh_layout();
	image("amd64", "one", a, sizeof(a));
	/* a digest that would name a file outside blobs/ */
	index_json("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	           "\"digest\":\"sha256:../../../../../../etc/passwd\",\"size\":10}");
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "not sha256:<64 hex>"));
	/* a size that does not match the blob */
	snprintf(idx, sizeof(idx), "%s", a);
	*strstr(idx, "\"size\":") = 0;
	strcat(idx, "\"size\":3}");
	index_json(idx);
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "bytes, not 3"));
	/* a blob whose content was changed */
	snprintf(idx, sizeof(idx), "%s}", a);
	index_json(idx);
	EXPECT(open_src("", &s, err, sizeof(err)) == 0);
	ukb_oci_close(&s);
	{
		char *d = strstr(a, "sha256:") + 7, path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/blobs/sha256/%.64s", dir, d);
		f = fopen(path, "r+");
		fputc(' ', f); /* same size, other bytes */
		fclose(f);
	}
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "tampered"));
	index_json("");
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "no manifests"));
	index_json("[1,2]");
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "digest"));
	put_file("index.json", "{\"manifests\": [", 15);
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "bad JSON"));
	unlink(strcat(strcpy(idx, dir), "/oci-layout"));
	EXPECT(open_src("", &s, err, sizeof(err)) == -1 && strstr(err, "not an OCI image layout"));
}

/* The test image's config (one layer: file f) into cfg, its digest into
 * cd ("sha256:..."; cd + 7 is the name docker gives it, without .json). */
static void test_config(char *cfg, size_t size, char cd[80])
{
	char tar[16384], diff[80];
	size_t n = layer(tar, sizeof(tar), "f", "x\n");

	digest_of(tar, n, diff);
	snprintf(cfg, size,
	         "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"/f\"]},"
	         "\"rootfs\":{\"diff_ids\":[\"%s\"]}}",
	         diff);
	digest_of(cfg, strlen(cfg), cd);
}

/* A docker archive: manifest.json names the config and layers by member
 * name; names with ".." only ever match members, never files. */
static void docker_tar(const char *path, const char *manifest, const char *layer_name,
                       const char *sparse_name)
{
	static char tar[16384];
	char cfg[512], cfgname[128];
	size_t n = layer(tar, sizeof(tar), "f", "x\n");
	struct archive *a = archive_write_new();
	struct {
		const char *name;
		const void *data;
		size_t len;
	} m[3];

	test_config(cfg, sizeof(cfg), cfgname);
	strcpy(cfgname + 71, ".json");
	m[0].name = "manifest.json", m[0].data = manifest, m[0].len = strlen(manifest);
	m[1].name = cfgname + 7, m[1].data = cfg, m[1].len = strlen(cfg);
	m[2].name = layer_name, m[2].data = tar, m[2].len = n;
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (int i = 0; i < 3; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, m[i].len);
		archive_write_header(a, e);
		archive_write_data(a, m[i].data, m[i].len);
		archive_entry_free(e);
	}
	if (sparse_name) { /* 20 GiB declared, 512 bytes of data: a bomb */
		struct archive_entry *e = archive_entry_new();
		static char zero[512];
		archive_entry_set_pathname(e, sparse_name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 20ll << 30);
		archive_entry_sparse_add_entry(e, 0, sizeof(zero));
		archive_write_header(a, e);
		archive_write_data(a, zero, sizeof(zero));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

TEST(docker_archives)
{
	char path[512], man[512], src[600], err[512];
	struct ukb_oci_src s;

	snprintf(path, sizeof(path), "%s/d.tar", dir);
	/* the config's name is "<digest>.json": build it the same way */
	for (int round = 0; round < 2; round++) {
		char cfg[512], cd[80];
		test_config(cfg, sizeof(cfg), cd);
		snprintf(man, sizeof(man),
		         "[{\"Config\":\"%s.json\",\"RepoTags\":[\"a/b:c\"],"
		         "\"Layers\":[\"%s\"]}]",
		         cd + 7, round ? "../../../etc/passwd" : "l/layer.tar");
		docker_tar(path, man, "l/layer.tar", NULL);
		snprintf(src, sizeof(src), "docker-archive:%s", path);
		if (!round) {
			EXPECT(ukb_oci_open(src, &s, err, sizeof(err)) == 0 && s.nlayers == 1);
			ukb_oci_close(&s);
			snprintf(src, sizeof(src), "docker-archive:%s:a/b:c", path);
			EXPECT(ukb_oci_open(src, &s, err, sizeof(err)) == 0);
			ukb_oci_close(&s);
			snprintf(src, sizeof(src), "docker-archive:%s:nope", path);
			EXPECT(ukb_oci_open(src, &s, err, sizeof(err)) == -1 &&
			       strstr(err, "nope"));
		} else {
			EXPECT(ukb_oci_open(src, &s, err, sizeof(err)) == -1 &&
			       strstr(err, "is not in the archive"));
		}
	}
	EXPECT(ukb_oci_open("docker-archive:/nonexistent.tar", &s, err, sizeof(err)) == -1);
}

/* A member that declares 20 GiB in a tar of a few KiB: nothing is written
 * for it when the image does not use it, and it is refused before a byte
 * is written when it does (the test would take minutes and 20 GiB of disk
 * otherwise). */
TEST(docker_archive_bombs)
{
	char path[512], man[512], src[600], err[512], cfg[512], cd[80];
	struct ukb_oci_src s;

	snprintf(path, sizeof(path), "%s/bomb.tar", dir);
	snprintf(src, sizeof(src), "docker-archive:%s", path);
	test_config(cfg, sizeof(cfg), cd);
	snprintf(man, sizeof(man), "[{\"Config\":\"%s.json\",\"Layers\":[\"l/layer.tar\"]}]",
	         cd + 7);
	docker_tar(path, man, "l/layer.tar", "junk/big");
	int ok = ukb_oci_open(src, &s, err, sizeof(err)) == 0;
	EXPECT(ok && s.nlayers == 1);
	if (ok)
		ukb_oci_close(&s);
	snprintf(man, sizeof(man),
	         "[{\"Config\":\"%s.json\",\"Layers\":[\"l/layer.tar\",\"junk/big\"]}]", cd + 7);
	docker_tar(path, man, "l/layer.tar", "junk/big");
	EXPECT(ukb_oci_open(src, &s, err, sizeof(err)) == -1 && strstr(err, "junk/big") &&
	       strstr(err, "sparse"));
	EXPECT(ukb_oci_open("tarball:/x", &s, err, sizeof(err)) == -1 && strstr(err, "dir:PATH"));
}

int main(void)
{
	strcpy(dir, "/tmp/uk-oci-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN("oci-source", tags_chosen);
	RUN("oci-source", platform_chosen);
	RUN("oci-source", hostile_layouts);
	RUN("oci-source", docker_archives);
	RUN("oci-source", docker_archive_bombs);
	if (unit_rm_rf(dir))
		return 1;
	return unit_failures ? 1 : 0;
}
