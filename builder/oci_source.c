/*
 * Where images come from:
 *   oci:DIR[:TAG]              an OCI image layout (index.json -> [index ->]
 *                              manifest -> config + layers, blobs/sha256/...)
 *   docker-archive:FILE[:REF]  what docker save, podman save and
 *                              skopeo copy ... docker-archive: write (the
 *                              classic layout and Docker 25's OCI-in-tar)
 *   dir:PATH                   a root filesystem; everything else is flags
 * Every blob is checked against its digest and size before it is believed;
 * a digest is accepted only as "sha256:" + 64 hex digits, so it can never
 * name a path outside blobs/.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/host.h"
#include "oci.h"

#define MAX_JSON (8u << 20)
#define MAX_MEMBERS 100000
#define MAX_DEPTH 4 /* nested indexes */

int ukb_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != UKB_DIGEST_LEN)
		return 0;
	for (d += 7; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return 0;
	return 1;
}

/* The whole of fd (at most max bytes), NUL-terminated. */
static char *read_all(int fd, size_t max, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1), *nb;
	ssize_t r;

	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
		goto fail;
	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= max || !(nb = realloc(buf, (cap *= 2) + 1)))
				goto fail;
			buf = nb;
		}
	}
	if (!buf || r < 0)
		goto fail;
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

static void sha256_of(const void *data, size_t len, char out[UKB_DIGEST_LEN + 1])
{
	struct ukb_sha256 s;

	ukb_sha256_init(&s);
	ukb_sha256_update(&s, data, len);
	memcpy(out, "sha256:", 7);
	ukb_sha256_hex(&s, out + 7);
}

/* Parse JSON held in fd; checked against digest when one is given. */
static json_t *json_from_fd(int fd, const char *what, const char *digest, char *err, size_t errlen)
{
	char *text, sum[UKB_DIGEST_LEN + 1];
	json_error_t je;
	json_t *j = NULL;
	size_t len;

	if (!(text = read_all(fd, MAX_JSON, &len))) {
		host_fail(err, errlen, "%s: unreadable or larger than %u MiB", what,
		          MAX_JSON >> 20);
		return NULL;
	}
	sha256_of(text, len, sum);
	if (digest && strcmp(digest, sum))
		host_fail(err, errlen,
		          "%s: its digest is %.19s..., not %.19s... (corrupt or tampered)", what,
		          sum, digest);
	else if (!(j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
		host_fail(err, errlen, "%s: bad JSON at line %d: %s", what, je.line, je.text);
	else if (!json_is_object(j) && !json_is_array(j)) {
		host_fail(err, errlen, "%s: not a JSON object", what);
		json_decref(j);
		j = NULL;
	}
	free(text);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void set_label(struct ukb_oci_layer *l, int i, int n)
{
	const char *d = l->digest[0] ? l->digest : l->diff_id;

	snprintf(l->label, sizeof(l->label), "layer %d/%d (%.19s)", i + 1, n,
	         d[0] ? d : "no digest");
}

/* The image config's diff_ids, one per layer. */
static int diff_ids(struct ukb_oci_src *s, char *err, size_t errlen)
{
	json_t *ids = json_object_get(json_object_get(s->config, "rootfs"), "diff_ids");
	const char *arch = jstr(s->config, "architecture"), *os = jstr(s->config, "os");

	if (arch && strcmp(arch, "amd64"))
		return host_fail(err, errlen,
		                 "the image is built for %s; uk runs x86-64 (amd64) programs",
		                 arch);
	if (os && strcmp(os, "linux"))
		return host_fail(err, errlen, "the image is for %s, not linux", os);
	if (!json_is_array(ids))
		return 0; /* digests of the blobs still hold */
	if (json_array_size(ids) != (size_t)s->nlayers)
		return host_fail(err, errlen, "the config lists %zu layers, the manifest %d",
		                 json_array_size(ids), s->nlayers);
	for (int i = 0; i < s->nlayers; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!ukb_digest_valid(d))
			return host_fail(err, errlen, "config: diff_id %d is not a sha256 digest",
			                 i + 1);
		strcpy(s->layers[i].diff_id, d);
	}
	return 0;
}

/* ---- OCI image layout ---- */

static int blob_open(const char *dir, const char *digest, char *err, size_t errlen)
{
	char path[4200];
	int fd;

	if (!ukb_digest_valid(digest))
		return host_fail(err, errlen,
		                 "a descriptor's digest '%.80s' is not sha256:<64 hex>",
		                 digest ? digest : "(none)");
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return host_fail(err, errlen, "%s: %s (a blob the image needs is missing)", path,
		                 strerror(errno));
	return fd;
}

/* A descriptor's blob as JSON, checked against digest and size. */
static json_t *blob_json(const char *dir, json_t *desc, const char *what, char *err, size_t errlen)
{
	const char *digest = jstr(desc, "digest");
	json_int_t size = json_integer_value(json_object_get(desc, "size"));
	struct stat st;
	json_t *j;
	int fd;

	if ((fd = blob_open(dir, digest, err, errlen)) < 0)
		return NULL;
	if (fstat(fd, &st) || (json_object_get(desc, "size") && st.st_size != size)) {
		host_fail(err, errlen, "%s %.19s: %lld bytes, not %lld as its descriptor says",
		          what, digest, (long long)st.st_size, (long long)size);
		close(fd);
		return NULL;
	}
	j = json_from_fd(fd, what, digest, err, errlen);
	close(fd);
	return j;
}

static int is_index(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
	              !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

/* Does descriptor d carry tag (as "tag" or "name:tag")? */
static int has_tag(json_t *d, const char *tag)
{
	const char *ref =
	    jstr(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name");
	const char *colon;
	size_t n;

	if (!ref)
		return 0;
	if (!strcmp(ref, tag))
		return 1;
	colon = strrchr(ref, ':');
	n = colon ? (size_t)(colon - ref) : 0;
	return (colon && !strchr(colon, '/') && !strcmp(colon + 1, tag)) ||
	       (n == strlen(tag) && !strncmp(ref, tag, n)); /* "name" of "name:latest" */
}

static int is_amd64(json_t *d)
{
	json_t *p = json_object_get(d, "platform");
	const char *arch = jstr(p, "architecture"), *os = jstr(p, "os");

	return !p || ((!arch || !strcmp(arch, "amd64")) && (!os || !strcmp(os, "linux")));
}

static void list_tags(json_t *ms, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *d;

	buf[0] = 0;
	json_array_foreach(ms, i, d)
	{
		const char *ref =
		    jstr(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name");
		if (ref && n < len)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", ref);
	}
	if (!n)
		snprintf(buf, len, "none tagged");
}

static void list_platforms(json_t *ms, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *d;

	buf[0] = 0;
	json_array_foreach(ms, i, d)
	{
		json_t *p = json_object_get(d, "platform");
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%s/%s", n ? ", " : "",
			              jstr(p, "os") ? jstr(p, "os") : "?",
			              jstr(p, "architecture") ? jstr(p, "architecture") : "?");
	}
}

/* The descriptor of the image in an index: by tag at the top level, by
 * platform (linux/amd64) in nested indexes. */
static json_t *pick(json_t *index, const char *tag, int top, char *err, size_t errlen)
{
	json_t *ms = json_object_get(index, "manifests"), *d, *found = NULL;
	size_t i;
	char tags[512];

	if (!json_is_array(ms) || !json_array_size(ms)) {
		host_fail(err, errlen, "the image index lists no manifests");
		return NULL;
	}
	json_array_foreach(ms, i, d)
	{
		int ok = top && tag ? has_tag(d, tag) : is_amd64(d);
		if (ok && !found)
			found = d;
	}
	if (top && !tag && json_array_size(ms) > 1) {
		found = NULL;
		json_array_foreach(ms, i, d) if (!found && has_tag(d, "latest")) found = d;
		if (!found) {
			list_tags(ms, tags, sizeof(tags));
			host_fail(err, errlen,
			          "the layout holds %zu images; name one as oci:DIR:TAG (%s)",
			          json_array_size(ms), tags);
		}
	} else if (!found && top && tag) {
		list_tags(ms, tags, sizeof(tags));
		host_fail(err, errlen, "no image tagged '%s' in the layout (%s)", tag, tags);
	} else if (!found) {
		list_platforms(ms, tags, sizeof(tags));
		host_fail(err, errlen, "no linux/amd64 image in the index (it has %s)", tags);
	}
	return found;
}

/* s->layers for n layers, none open yet. */
static int layers_new(struct ukb_oci_src *s, size_t n, char *err, size_t errlen)
{
	s->nlayers = (int)n;
	if (!(s->layers = calloc(n + 1, sizeof(*s->layers))))
		return host_fail(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		s->layers[i].fd = -1;
	return 0;
}

static int layer_type_ok(const char *mt)
{
	return !mt || strstr(mt, ".tar") || strstr(mt, "rootfs.diff");
}

static int oci_layers(const char *dir, json_t *manifest, struct ukb_oci_src *s, char *err,
                      size_t errlen)
{
	json_t *ls = json_object_get(manifest, "layers"), *l;
	size_t i;

	if (!json_is_array(ls))
		return host_fail(err, errlen, "the manifest has no layers list");
	if (layers_new(s, json_array_size(ls), err, errlen))
		return -1;
	json_array_foreach(ls, i, l)
	{
		struct ukb_oci_layer *y = &s->layers[i];
		const char *mt = jstr(l, "mediaType"), *dg = jstr(l, "digest");
		json_int_t size = json_integer_value(json_object_get(l, "size"));
		if (!layer_type_ok(mt))
			return host_fail(err, errlen,
			                 "layer %zu has type %s, not a filesystem layer", i + 1,
			                 mt);
		if ((y->fd = blob_open(dir, dg, err, errlen)) < 0)
			return -1;
		if (size < 0)
			return host_fail(err, errlen, "layer %zu: negative size", i + 1);
		strcpy(y->digest, dg);
		y->size = (uint64_t)size;
		s->stored_bytes += y->size;
	}
	return 0;
}

/* Index descriptors down to the image manifest (nested indexes pick the
 * linux/amd64 entry). Returns the manifest's descriptor, referenced. */
static json_t *descend(const char *dir, json_t *d, char *err, size_t errlen)
{
	json_t *cur = json_incref(d), *idx;

	for (int depth = 0; cur && is_index(jstr(cur, "mediaType")); depth++) {
		idx = depth < MAX_DEPTH ? blob_json(dir, cur, "image index", err, errlen) : NULL;
		if (depth == MAX_DEPTH)
			host_fail(err, errlen, "image indexes nested more than %d deep", MAX_DEPTH);
		json_decref(cur);
		d = idx ? pick(idx, NULL, 0, err, errlen) : NULL;
		cur = d ? json_incref(d) : NULL;
		json_decref(idx);
	}
	return cur;
}

static int oci_layout(const char *dir, const char *tag, struct ukb_oci_src *s, char *err,
                      size_t errlen)
{
	char path[4200];
	json_t *top, *d = NULL, *m = NULL, *cfgd;
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/oci-layout", dir);
	if (access(path, R_OK))
		return host_fail(err, errlen, "%s: not an OCI image layout (no oci-layout file)",
		                 dir);
	snprintf(path, sizeof(path), "%s/index.json", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return host_fail(err, errlen, "%s: %s", path, strerror(errno));
	top = json_from_fd(fd, "index.json", NULL, err, errlen);
	close(fd);
	if (!top || !(d = pick(top, tag, 1, err, errlen)) || !(d = descend(dir, d, err, errlen)) ||
	    !(m = blob_json(dir, d, "manifest", err, errlen)))
		goto out;
	cfgd = json_object_get(m, "config");
	if (!(s->config = blob_json(dir, cfgd, "image config", err, errlen)))
		goto out;
	strcpy(s->config_digest, jstr(cfgd, "digest"));
	s->stored_bytes = json_integer_value(json_object_get(cfgd, "size"));
	r = oci_layers(dir, m, s, err, errlen);
out:
	json_decref(d); /* descend() referenced it */
	json_decref(m);
	json_decref(top);
	return r;
}

/* ---- docker archives ---- */

/* A docker archive is read twice: first its table of contents (names,
 * declared sizes, symlinks) and manifest.json, then only the members the
 * chosen image names, each into an unlinked temporary file (the layers
 * are needed in the manifest's order, not the archive's). Nothing is
 * written for a member the image does not use, and a member is refused
 * before a byte of it is written when it is sparse (docker save never
 * writes one; its holes would be written out as zeros) or declares more
 * than the archive could hold: the archive's own size when it is a plain
 * tar, 1024 times it when compressed (gzip's ceiling is about 1032:1), and
 * so for all of them together. */
struct member {
	char *name, *link; /* link: a symlink's target, resolved by name */
	int64_t size;
	int sparse, want;
	int fd;
};

struct members {
	struct member *v;
	int n;
	uint64_t bound; /* what the members may declare, all together */
};

static char *clean_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return strdup(name);
}

static struct archive *archive_open(const char *file, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		host_fail(err, errlen, "%s: %s", file, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int kept(struct archive_entry *ae)
{
	return archive_entry_filetype(ae) == AE_IFREG || archive_entry_filetype(ae) == AE_IFLNK;
}

static int read_end(struct archive *a, int r, char *err, size_t errlen)
{
	if (r == ARCHIVE_EOF)
		return 0;
	return host_fail(err, errlen, "%s",
	                 archive_error_string(a) ? archive_error_string(a) : "not a tar archive");
}

/* The member's data into an unlinked temporary file, m->fd. */
static int extract(struct archive *a, struct member *m, char *err, size_t errlen)
{
	static char buf[1 << 16];
	la_ssize_t n;
	FILE *f;

	if (!(f = tmpfile()) || (m->fd = dup(fileno(f))) < 0) {
		if (f)
			fclose(f);
		return host_fail(err, errlen, "temporary file: %s", strerror(errno));
	}
	fclose(f);
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		if (write(m->fd, buf, n) != n)
			return host_fail(err, errlen, "temporary file: %s", strerror(errno));
	return n < 0 ? host_fail(err, errlen, "%s: %s", m->name, archive_error_string(a)) : 0;
}

/* Pass one: every regular file and symlink's name, size and target; the
 * data of manifest.json only. */
static int table(struct archive *a, struct members *ms, char *err, size_t errlen)
{
	struct archive_entry *ae;
	int r;

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		struct member *m;
		if (!kept(ae))
			continue;
		if (ms->n == MAX_MEMBERS)
			return host_fail(err, errlen, "more than %d files in the archive",
			                 MAX_MEMBERS);
		if (!(m = realloc(ms->v, (ms->n + 1) * sizeof(*m))))
			return host_fail(err, errlen, "out of memory");
		ms->v = m;
		m = &ms->v[ms->n++];
		memset(m, 0, sizeof(*m));
		m->fd = -1;
		m->name = clean_name(archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "");
		m->size = archive_entry_size(ae);
		m->sparse = archive_entry_sparse_count(ae) > 0;
		if (archive_entry_filetype(ae) == AE_IFLNK) {
			m->link =
			    strdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
			continue;
		}
		if (!strcmp(m->name, "manifest.json")) {
			if (m->size > MAX_JSON)
				return host_fail(err, errlen, "manifest.json: larger than %u MiB",
				                 MAX_JSON >> 20);
			if (extract(a, m, err, errlen))
				return -1;
		}
	}
	return read_end(a, r, err, errlen);
}

/* Pass two: the data of the members wanted, found in the same order. */
static int fetch(struct archive *a, struct members *ms, char *err, size_t errlen)
{
	struct archive_entry *ae;
	int r, i = 0;

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (!kept(ae))
			continue;
		if (i == ms->n)
			return host_fail(err, errlen, "the archive changed while being read");
		struct member *m = &ms->v[i++];
		if (m->want && m->fd < 0 && extract(a, m, err, errlen))
			return -1;
	}
	return read_end(a, r, err, errlen);
}

/* A member by name; a symlink member (old docker saves link duplicate
 * layers) is resolved lexically against the archive's names. */
static struct member *member(struct members *ms, const char *name, int depth)
{
	for (int i = 0; i < ms->n; i++) {
		struct member *m = &ms->v[i];
		if (strcmp(m->name, name))
			continue;
		if (!m->link)
			return m;
		if (depth > 8)
			return NULL;
		char *dir = strdup(m->name), *slash = strrchr(dir, '/'), *full, *p, *q;
		struct member *r = NULL;
		if (slash)
			slash[1] = 0;
		else
			dir[0] = 0;
		if (asprintf(&full, "%s%s", m->link[0] == '/' ? "" : dir, m->link) >= 0) {
			/* collapse "x/../" */
			while ((p = strstr(full, "/../"))) {
				*p = 0;
				q = strrchr(full, '/');
				memmove(q ? q + 1 : full, p + 4, strlen(p + 4) + 1);
			}
			r = member(ms, full[0] == '/' ? full + 1 : full, depth + 1);
			free(full);
		}
		free(dir);
		return r;
	}
	return NULL;
}

/* The entry of manifest.json to use: by RepoTags when a ref is given. */
static json_t *docker_pick(json_t *mj, const char *ref, char *err, size_t errlen)
{
	size_t i, j;
	json_t *e, *t;

	if (!json_is_array(mj) || !json_array_size(mj)) {
		host_fail(err, errlen, "manifest.json lists no images");
		return NULL;
	}
	if (!ref && json_array_size(mj) == 1)
		return json_array_get(mj, 0);
	json_array_foreach(mj, i, e)
	{
		json_array_foreach(json_object_get(e, "RepoTags"), j, t)
		{
			const char *s = json_string_value(t);
			if (s && ref &&
			    (!strcmp(s, ref) ||
			     (strrchr(s, ':') && !strcmp(strrchr(s, ':') + 1, ref))))
				return e;
		}
	}
	if (ref)
		host_fail(err, errlen, "no image tagged '%s' in the archive", ref);
	else
		host_fail(err, errlen,
		          "the archive holds %zu images; name one as "
		          "docker-archive:FILE:NAME:TAG",
		          json_array_size(mj));
	return NULL;
}

/* "abc.json" or "blobs/sha256/abc": the digest a member's name promises. */
static void name_digest(const char *name, char out[UKB_DIGEST_LEN + 1])
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char d[UKB_DIGEST_LEN + 8];

	out[0] = 0;
	snprintf(d, sizeof(d), "sha256:%.64s", base);
	if (ukb_digest_valid(d) && (!strcmp(base + 64, ".json") || !base[64]))
		strcpy(out, d);
}

/* Mark what name resolves to for pass two, after the checks: 0 and *out
 * (NULL when no member has that name), or -1 when it is refused. */
static int want(struct members *ms, const char *name, uint64_t *total, struct member **out,
                char *err, size_t errlen)
{
	struct member *m = *out = member(ms, name, 0);

	if (!m || m->want)
		return 0;
	if (m->sparse)
		return host_fail(err, errlen, "%s: a sparse file (docker save never writes one)",
		                 name);
	if (m->size < 0 || (uint64_t)m->size > ms->bound - *total)
		return host_fail(err, errlen,
		                 "%s declares %lld bytes, more than the archive could hold "
		                 "(%llu in all)",
		                 name, (long long)m->size, (unsigned long long)ms->bound);
	*total += (uint64_t)m->size;
	m->want = 1;
	return 0;
}

/* The config and layers img names, marked for pass two. */
static int want_image(json_t *img, struct members *ms, char *err, size_t errlen)
{
	json_t *ls = json_object_get(img, "Layers"), *l;
	const char *cfg = jstr(img, "Config");
	struct member *m;
	uint64_t total = 0;
	size_t i;

	if (want(ms, cfg ? cfg : "", &total, &m, err, errlen))
		return -1;
	if (!m)
		return host_fail(err, errlen, "the image's config %s is not in the archive",
		                 cfg ? cfg : "(none)");
	if (!json_is_array(ls))
		return host_fail(err, errlen, "manifest.json: no Layers list");
	json_array_foreach(ls, i, l)
	{
		const char *name = json_string_value(l);
		if (want(ms, name ? name : "", &total, &m, err, errlen))
			return -1;
		if (!m)
			return host_fail(err, errlen, "layer %zu (%s) is not in the archive", i + 1,
			                 name ? name : "?");
	}
	return 0;
}

static int docker_layers(json_t *img, struct members *ms, struct ukb_oci_src *s, char *err,
                         size_t errlen)
{
	json_t *ls = json_object_get(img, "Layers"), *l;
	size_t i;

	if (layers_new(s, json_array_size(ls), err, errlen))
		return -1;
	json_array_foreach(ls, i, l)
	{
		const char *name = json_string_value(l);
		struct member *m = member(ms, name, 0);
		struct stat st;
		if (!m || m->fd < 0)
			return host_fail(err, errlen, "layer %zu (%s) is not in the archive", i + 1,
			                 name);
		if ((s->layers[i].fd = dup(m->fd)) < 0 || fstat(m->fd, &st))
			return host_fail(err, errlen, "%s", strerror(errno));
		s->layers[i].size = st.st_size;
		if (!strncmp(name, "blobs/", 6))
			name_digest(name, s->layers[i].digest);
	}
	return 0;
}

static int docker_archive(const char *file, const char *ref, struct ukb_oci_src *s, char *err,
                          size_t errlen)
{
	struct archive *a;
	struct members ms = { 0 };
	struct member *mm, *cm;
	json_t *mj = NULL, *img;
	const char *cfg;
	struct stat st;
	int r = -1, compressed;

	if (stat(file, &st))
		return host_fail(err, errlen, "%s: %s", file, strerror(errno));
	if (!(a = archive_open(file, err, errlen)))
		return -1;
	r = table(a, &ms, err, errlen);
	compressed = archive_filter_count(a) > 1;
	archive_read_free(a);
	if (r)
		goto out;
	r = -1;
	ms.bound = (uint64_t)st.st_size * (compressed ? 1024 : 1);
	if (!(mm = member(&ms, "manifest.json", 0)) || mm->fd < 0) {
		host_fail(err, errlen, "%s: no manifest.json: not a docker archive", file);
		goto out;
	}
	if (!(mj = json_from_fd(mm->fd, "manifest.json", NULL, err, errlen)) ||
	    !(img = docker_pick(mj, ref, err, errlen)) || want_image(img, &ms, err, errlen))
		goto out;
	if (!(a = archive_open(file, err, errlen)))
		goto out;
	r = fetch(a, &ms, err, errlen);
	archive_read_free(a);
	if (r)
		goto out;
	r = -1;
	cfg = jstr(img, "Config");
	if (!(cm = member(&ms, cfg, 0)) || cm->fd < 0) {
		host_fail(err, errlen, "the image's config %s is not in the archive", cfg);
		goto out;
	}
	name_digest(cfg, s->config_digest);
	if (!(s->config = json_from_fd(cm->fd, "image config",
	                               s->config_digest[0] ? s->config_digest : NULL, err, errlen)))
		goto out;
	r = docker_layers(img, &ms, s, err, errlen);
	if (!r)
		s->stored_bytes = st.st_size;
out:
	for (int i = 0; i < ms.n; i++) {
		if (ms.v[i].fd >= 0)
			close(ms.v[i].fd);
		free(ms.v[i].name);
		free(ms.v[i].link);
	}
	free(ms.v);
	json_decref(mj);
	return r;
}

/* ---- SOURCE ---- */

/* "PATH[:REF]": REF only when PATH alone does not exist. */
static char *split_ref(const char *spec, char **ref)
{
	char *path = strdup(spec), *c;
	struct stat st;

	*ref = NULL;
	if (!path || !stat(path, &st))
		return path;
	for (c = strchr(path, ':'); c; c = strchr(c + 1, ':')) {
		*c = 0;
		if (!stat(path, &st)) {
			*ref = strdup(c + 1);
			return path;
		}
		*c = ':';
	}
	return path;
}

int ukb_oci_open(const char *source, struct ukb_oci_src *s, char *err, size_t errlen)
{
	char *path = NULL, *ref = NULL;
	int r = -1;

	memset(s, 0, sizeof(*s));
	s->source_name = source;
	if (!strncmp(source, "dir:", 4)) {
		s->rootdir = strdup(source + 4);
		return 0;
	}
	if (!strncmp(source, "oci:", 4)) {
		path = split_ref(source + 4, &ref);
		r = oci_layout(path, ref, s, err, errlen);
	} else if (!strncmp(source, "docker-archive:", 15)) {
		path = split_ref(source + 15, &ref);
		r = docker_archive(path, ref, s, err, errlen);
	} else {
		host_fail(err, errlen,
		          "'%s': name the source as oci:DIR[:TAG], docker-archive:FILE "
		          "or dir:PATH",
		          source);
	}
	if (!r)
		r = diff_ids(s, err, errlen);
	if (!r)
		for (int i = 0; i < s->nlayers; i++)
			set_label(&s->layers[i], i, s->nlayers);
	s->ref = ref;
	free(path);
	if (r)
		ukb_oci_close(s);
	return r;
}

void ukb_oci_close(struct ukb_oci_src *s)
{
	for (int i = 0; s->layers && i < s->nlayers; i++)
		if (s->layers[i].fd >= 0)
			close(s->layers[i].fd);
	free(s->layers);
	free(s->ref);
	free(s->rootdir);
	json_decref(s->config);
	memset(s, 0, sizeof(*s));
}
