/*
 * The rootfs archive: what ukbuild writes (builder/rootfs.c) is what the
 * library OS reads (libos/fs/cpio.c) — modes, symlinks, directories, hard
 * links stored once, file bytes — and a damaged archive is refused, never
 * read past its end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../builder/rootfs.h"
#include "../../libos/fs/cpio.h"
#include "unit.h"

static char dir[] = "/tmp/uk-rootfs-test.XXXXXX";
static char *arc;
static size_t arc_len;

static void put(const char *rel, const char *text, mode_t mode)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static char *path(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, rel);
	return p[i];
}

/* The tree: modes, a subdirectory, symlinks, two names of one file. */
static int make_tree(void)
{
	struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	mkdir(path("root"), 0755);
	mkdir(path("root/etc"), 0750);
	mkdir(path("root/empty"), 0700);
	put("root/etc/conf", "key=value\n", 0600);
	put("root/tool", "#!/bin/sh\n", 04755);
	utimes(path("root/etc/conf"), tv);
	symlink("etc/conf", path("root/rel"));
	symlink("/nowhere", path("root/dangling"));
	put("root/hard1", "shared bytes", 0644);
	link(path("root/hard1"), path("root/hard2"));
	put("added", "added file", 0640);
	f = fopen(path("root/big"), "w");
	for (int i = 0; i < 3 * 4096 + 5; i++)
		fputc(i % 251, f);
	fclose(f);
	return 0;
}

static int read_all(const char *p)
{
	FILE *f = fopen(p, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	arc = malloc(n);
	arc_len = fread(arc, 1, n, f);
	fclose(f);
	return arc_len == (size_t)n ? 0 : -1;
}

/* The entry called name (the last one: later entries win). */
static int find(const char *name, struct uk_cpio_entry *out)
{
	struct uk_cpio_entry e;
	size_t off = 0;
	int found = 0;

	while (uk_cpio_next(arc, arc_len, &off, &e) == 1)
		if (e.name_len == strlen(name) && !memcmp(e.name, name, e.name_len))
			*out = e, found = 1;
	return found;
}

TEST(write_archive)
{
	struct ukb_cpio *c;
	char out[300], err[512];

	EXPECT(make_tree() == 0);
	snprintf(out, sizeof(out), "%s/out.cpio", dir);
	EXPECT((c = ukb_cpio_open(out, err, sizeof(err))) != NULL);
	EXPECT(ukb_cpio_add(c, path("root"), "/") == 0);
	EXPECT(ukb_cpio_add(c, path("added"), "/opt/x/added.txt") == 0);
	EXPECT(ukb_cpio_add(c, path("added"), "relative") == -1);
	EXPECT(strstr(err, "must be absolute") != NULL);
	EXPECT(ukb_cpio_add(c, path("missing"), "/m") == -1);
	EXPECT(ukb_cpio_close(c) == 0);
	EXPECT(read_all(out) == 0 && arc_len > 0 && arc_len % 4 == 0);
}

TEST(modes_and_data)
{
	struct uk_cpio_entry e;

	EXPECT(find("etc/conf", &e));
	EXPECT((e.mode & 0170000) == 0100000 && (e.mode & 07777) == 0600);
	EXPECT(e.size == 10 && !memcmp(e.data, "key=value\n", 10));
	EXPECT(e.mtime == 1000000000 && e.uid == 0 && e.gid == 0);
	EXPECT(find("tool", &e) && (e.mode & 07777) == 04755);
	EXPECT(find("etc", &e) && (e.mode & 0170000) == 040000 && (e.mode & 07777) == 0750);
	EXPECT(find("empty", &e) && (e.mode & 07777) == 0700);
	EXPECT(find("opt/x/added.txt", &e) && e.size == 10 && !memcmp(e.data, "added file", 10));
	EXPECT(!find(".", &e) && !find("", &e));
}

/* A file of a page or more starts on a page of the archive (the library
 * OS maps those pages), smaller ones are not padded. */
TEST(big_file_data_page_aligned)
{
	struct uk_cpio_entry e;
	const unsigned char *d;

	EXPECT(find("big", &e) && e.size == 3 * 4096 + 5 && e.name_len == 3);
	EXPECT(((const char *)e.data - arc) % 4096 == 0);
	d = e.data;
	for (size_t i = 0; i < e.size; i++)
		if (d[i] != i % 251)
			EXPECT(!"the big file's bytes");
	EXPECT(find("etc/conf", &e) && e.name_len == 8);
}

TEST(symlinks)
{
	struct uk_cpio_entry e;

	EXPECT(find("rel", &e) && (e.mode & 0170000) == 0120000);
	EXPECT(e.size == 8 && !memcmp(e.data, "etc/conf", 8));
	EXPECT(find("dangling", &e) && e.size == 8 && !memcmp(e.data, "/nowhere", 8));
}

TEST(hard_links_stored_once)
{
	struct uk_cpio_entry a, b;

	EXPECT(find("hard1", &a) && find("hard2", &b));
	EXPECT(a.ino == b.ino && a.nlink == 2 && b.nlink == 2);
	EXPECT(a.size + b.size == 12); /* the bytes once, with one of the names */
	EXPECT(!memcmp(a.size ? a.data : b.data, "shared bytes", 12));
}

TEST(corrupt_archives_refused)
{
	struct uk_cpio_entry e;
	size_t off;
	char *bad = malloc(arc_len);

	memcpy(bad, arc, arc_len);
	bad[0] = 'X'; /* magic */
	off = 0;
	EXPECT(uk_cpio_next(bad, arc_len, &off, &e) == -EINVAL);
	memcpy(bad, arc, arc_len);
	bad[20] = 'g'; /* a hex digit of the mode */
	off = 0;
	EXPECT(uk_cpio_next(bad, arc_len, &off, &e) == -EINVAL);
	memcpy(bad, arc, arc_len);
	memcpy(bad + 54, "FFFFFFF0", 8); /* filesize beyond the end */
	off = 0;
	EXPECT(uk_cpio_next(bad, arc_len, &off, &e) == -EINVAL);
	off = 0;
	EXPECT(uk_cpio_next(arc, 100, &off, &e) == -EINVAL); /* a cut header */
	free(bad);
}

/* Every truncation and many single-byte changes: each entry returned lies
 * inside the buffer (ASan checks the reads). */
TEST(mutations_stay_inside)
{
	struct uk_cpio_entry e;
	char *m = malloc(arc_len);
	unsigned seed = 1;

	for (size_t cut = 0; cut < arc_len; cut += 7) {
		char *t = malloc(cut ? cut : 1);
		size_t off = 0;
		memcpy(t, arc, cut);
		while (uk_cpio_next(t, cut, &off, &e) == 1)
			EXPECT((const char *)e.data + e.size <= t + cut && off <= cut);
		free(t);
	}
	for (int i = 0; i < 20000; i++) {
		size_t off = 0;
		memcpy(m, arc, arc_len);
		seed = seed * 1103515245 + 12345;
		m[(seed >> 8) % arc_len] = (char)(seed >> 3);
		while (uk_cpio_next(m, arc_len, &off, &e) == 1)
			EXPECT((const char *)e.data + e.size <= m + arc_len &&
			       e.name[e.name_len] == 0);
	}
	free(m);
}

int main(void)
{
	RUN("rootfs", write_archive);
	if (arc) {
		RUN("rootfs", modes_and_data);
		RUN("rootfs", big_file_data_page_aligned);
		RUN("rootfs", symlinks);
		RUN("rootfs", hard_links_stored_once);
		RUN("rootfs", corrupt_archives_refused);
		RUN("rootfs", mutations_stay_inside);
	}
	if (unit_rm_rf(dir))
		unit_failures++;
	free(arc);
	return unit_failures ? 1 : 0;
}
