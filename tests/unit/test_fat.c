/*
 * The FAT core (libos/fs/fat_*.c) on image files: volumes made and filled
 * by mtools are read back byte for byte; what the core writes is read
 * back with mtools and checked with `fsck.fat -n`.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libos/fs/fat.h"
#include "unit.h"

static char tmp[256];

/* ---- a block device over an image file ---- */

struct fbdev {
	struct fat_bdev d;
	int fd;
	unsigned reads, writes, flushes;
};

static int fb_read(struct fat_bdev *d, uint64_t sec, void *buf, uint32_t n)
{
	struct fbdev *f = (struct fbdev *)d;
	f->reads++;
	if (sec + n > d->sectors)
		return -EIO;
	return pread(f->fd, buf, (size_t)n * 512, sec * 512) == (ssize_t)n * 512 ? 0 : -EIO;
}

static int fb_write(struct fat_bdev *d, uint64_t sec, const void *buf, uint32_t n)
{
	struct fbdev *f = (struct fbdev *)d;
	f->writes++;
	if (sec + n > d->sectors)
		return -EIO;
	return pwrite(f->fd, buf, (size_t)n * 512, sec * 512) == (ssize_t)n * 512 ? 0 : -EIO;
}

static int fb_flush(struct fat_bdev *d)
{
	((struct fbdev *)d)->flushes++;
	return 0;
}

static int64_t fixed_now(void) { return 1700000000ll * 1000000000ll; }

struct vol {
	struct fbdev b;
	struct fat_fs *fs;
	struct fat_node *root;
};

static unsigned cache_blocks, cache_max; /* 0: the defaults */

static int vol_mount(struct vol *v, const char *img, int ro)
{
	struct fat_opts o = {
		.ro = ro, .now_ns = fixed_now, .cache_blocks = cache_blocks, .cache_max = cache_max
	};
	struct stat st;

	memset(v, 0, sizeof(*v));
	v->b.fd = open(img, ro ? O_RDONLY : O_RDWR);
	if (v->b.fd < 0 || fstat(v->b.fd, &st))
		return -errno;
	v->b.d = (struct fat_bdev){ 512, st.st_size / 512, fb_read, fb_write, fb_flush, NULL };
	return fat_mount(&v->b.d, &o, &v->fs, &v->root);
}

static int vol_umount(struct vol *v)
{
	int r;

	fat_node_put(v->root);
	r = fat_unmount(v->fs);
	close(v->b.fd);
	return r;
}

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static const char *img(const char *name)
{
	static char p[4][300];
	static int i;
	snprintf(p[i & 3], sizeof(p[0]), "%s/%s", tmp, name);
	return p[i++ & 3];
}

/* A fresh image of size (e.g. "16M") with mformat's extra options. */
static int mkimg(const char *name, const char *size, const char *opts)
{
	return sh("rm -f %s && truncate -s %s %s && mformat -i %s %s :: >/dev/null 2>&1", img(name),
	          size, img(name), img(name), opts);
}

static int fsck_clean(const char *name)
{
	return sh("fsck.fat -n %s >/dev/null 2>&1", img(name)) == 0;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

static int write_host(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;
	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* The bytes mtools reads for path on the image equal p. */
static int mtools_has(const char *name, const char *path, const void *p, size_t n)
{
	char out[300], *buf;
	FILE *f;
	size_t got;
	int same;

	snprintf(out, sizeof(out), "%s/mtype.out", tmp);
	if (sh("mcopy -n -i %s '::%s' %s >/dev/null 2>&1", img(name), path, out))
		return 0;
	buf = malloc(n + 1);
	f = fopen(out, "rb");
	got = f ? fread(buf, 1, n + 1, f) : 0;
	same = f && got == n && !memcmp(buf, p, n);
	if (f)
		fclose(f);
	free(buf);
	return same;
}

static int walk(struct vol *v, const char *path, struct fat_node **out)
{
	char buf[1024], *save, *c;
	struct fat_node *n = fat_node_get(v->root), *next;
	int r = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (c = strtok_r(buf, "/", &save); c && !r; c = strtok_r(NULL, "/", &save)) {
		r = fat_lookup(n, c, &next);
		fat_node_put(n);
		n = r ? NULL : next;
	}
	if (r)
		return r;
	*out = n;
	return 0;
}

/* Create (or open) dir/name and write data at 0. */
static long put(struct vol *v, const char *dirpath, const char *name, const void *p, size_t n)
{
	struct fat_node *d, *f;
	long r = walk(v, dirpath, &d);

	if (r)
		return r;
	r = fat_create(d, name, 0, &f);
	if (r == -EEXIST)
		r = fat_lookup(d, name, &f);
	fat_node_put(d);
	if (r)
		return r;
	r = n ? fat_write(f, p, n, 0) : 0;
	fat_node_put(f);
	return r;
}

static int mkdir_at(struct vol *v, const char *dirpath, const char *name)
{
	struct fat_node *d;
	int r = walk(v, dirpath, &d);

	if (r)
		return r;
	r = fat_create(d, name, 1, NULL);
	fat_node_put(d);
	return r;
}

/* Read a whole file in pieces of step bytes. */
static int read_all(struct vol *v, const char *path, uint8_t *p, size_t cap, size_t step, size_t *n)
{
	struct fat_node *f;
	int r = walk(v, path, &f);
	long got;

	if (r)
		return r;
	*n = 0;
	while ((got = fat_read(f, p + *n, cap - *n < step ? cap - *n : step, *n)) > 0)
		*n += got;
	fat_node_put(f);
	return got < 0 ? (int)got : 0;
}

/* ---- tests ---- */

#define BIG (10u << 20)

TEST(reads_what_mtools_wrote)
{
	static uint8_t data[BIG], back[BIG + 1];
	char src[300], name[320];
	struct vol v;
	size_t n;

	EXPECT(mkimg("r.img", "32M", "") == 0);
	fill(data, BIG, 1);
	snprintf(src, sizeof(src), "%s/big.bin", tmp);
	EXPECT(write_host(src, data, BIG) == 0);
	EXPECT(sh("mcopy -i %s %s ::/big.bin", img("r.img"), src) == 0);
	EXPECT(write_host(src, "small\n", 6) == 0);
	EXPECT(sh("mmd -i %s ::/a ::/a/b ::/a/b/c ::/many", img("r.img")) == 0);
	EXPECT(sh("mcopy -i %s %s '::/a/b/c/A rather long file name.text'", img("r.img"), src) ==
	       0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "%s/file-number-%03d.txt", tmp, i);
		EXPECT(write_host(name, name, strlen(name)) == 0);
	}
	EXPECT(sh("mcopy -i %s %s/file-number-*.txt ::/many/", img("r.img"), tmp) == 0);
	EXPECT(vol_mount(&v, img("r.img"), 1) == 0);
	/* 10 MB in whole megabytes, in odd pieces and in single sectors. */
	for (size_t step = 1u << 20; step >= 512; step = step == 1u << 20 ? 7777
	                                                 : step == 7777   ? 512
	                                                                  : 0) {
		EXPECT(read_all(&v, "big.bin", back, sizeof(back), step, &n) == 0);
		EXPECT(n == BIG && !memcmp(back, data, BIG));
		if (step == 512)
			break;
	}
	EXPECT(read_all(&v, "a/b/c/a rather LONG file name.text", back, sizeof(back), 4096, &n) ==
	       0);
	EXPECT(n == 6 && !memcmp(back, "small\n", 6));
	for (int i = 0; i < 300; i += 37) {
		char path[64];
		snprintf(path, sizeof(path), "many/file-number-%03d.txt", i);
		snprintf(name, sizeof(name), "%s/file-number-%03d.txt", tmp, i);
		EXPECT(read_all(&v, path, back, sizeof(back), 4096, &n) == 0);
		EXPECT(n == strlen(name) && !memcmp(back, name, n));
	}
	EXPECT(vol_umount(&v) == 0);
}

struct listing {
	int n, dots, dirs;
	char names[400][300];
};

static int collect(void *ctx, const char *name, uint64_t ino, int is_dir)
{
	struct listing *l = ctx;

	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		l->dots++;
		return 0;
	}
	if (l->n >= 400)
		return 1;
	snprintf(l->names[l->n++], 300, "%s", name);
	l->dirs += is_dir;
	return 0;
}

/* Stops after every third entry, so listings resume from cookies. */
static int collect_some(void *ctx, const char *name, uint64_t ino, int is_dir)
{
	static int calls;
	return ++calls % 3 == 0 ? 1 : collect(ctx, name, ino, is_dir);
}

TEST(readdir_lists_and_resumes)
{
	static struct listing l;
	struct fat_node *d;
	uint64_t cookie = 0, prev;
	struct vol v;
	int seen[300] = { 0 };

	EXPECT(vol_mount(&v, img("r.img"), 1) == 0);
	EXPECT(walk(&v, "many", &d) == 0);
	memset(&l, 0, sizeof(l));
	do {
		prev = cookie;
		EXPECT(fat_readdir(d, &cookie, collect_some, &l) == 0);
	} while (cookie != prev);
	EXPECT(l.n == 300 && l.dots == 2 && l.dirs == 0);
	for (int i = 0; i < l.n; i++) {
		int k = -1;
		EXPECT(sscanf(l.names[i], "file-number-%d.txt", &k) == 1 && k >= 0 && k < 300);
		seen[k]++;
	}
	for (int i = 0; i < 300; i++)
		EXPECT(seen[i] == 1);
	fat_node_put(d);
	EXPECT(vol_umount(&v) == 0);
}

/* Files and directories the core makes, on each FAT variant, as mtools
 * and fsck.fat see them. */
static void roundtrip(const char *unit_name, const char *name, const char *size, const char *opts,
                      unsigned bits)
{
	static uint8_t data[3u << 20];
	struct fat_statfs sf;
	struct vol v;

	fill(data, sizeof(data), bits);
	EXPECT(mkimg(name, size, opts) == 0);
	EXPECT(vol_mount(&v, img(name), 0) == 0);
	fat_statfs(v.fs, &sf);
	EXPECT(sf.bits == bits);
	EXPECT(put(&v, "", "hello.txt", "hello, world\n", 13) == 13);
	EXPECT(put(&v, "", "README.TXT", "upper", 5) == 5);
	EXPECT(put(&v, "", "Mixed Case Long Name.data", data, 100000) == 100000);
	EXPECT(mkdir_at(&v, "", "dir") == 0);
	EXPECT(mkdir_at(&v, "dir", "sub dir") == 0);
	EXPECT(put(&v, "dir/sub dir", "deep.bin", data, sizeof(data)) == (long)sizeof(data));
	EXPECT(put(&v, "dir", "empty", NULL, 0) == 0);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean(name));
	EXPECT(mtools_has(name, "/hello.txt", "hello, world\n", 13));
	EXPECT(mtools_has(name, "/README.TXT", "upper", 5));
	EXPECT(mtools_has(name, "/Mixed Case Long Name.data", data, 100000));
	EXPECT(mtools_has(name, "/dir/sub dir/deep.bin", data, sizeof(data)));
	EXPECT(mtools_has(name, "/dir/empty", "", 0));
	/* Names keep their case in listings. */
	EXPECT(sh("mdir -b -i %s ::/ | grep -q '^::/hello.txt$'", img(name)) == 0);
	EXPECT(sh("mdir -b -i %s ::/ | grep -q '^::/README.TXT$'", img(name)) == 0);
	EXPECT(sh("mdir -b -i %s ::/dir | grep -q '^::/dir/sub dir/$'", img(name)) == 0);
}

TEST(writes_fat12) { roundtrip(unit_name, "w12.img", "4M", "", 12); }
TEST(writes_fat16) { roundtrip(unit_name, "w16.img", "32M", "", 16); }
TEST(writes_fat32) { roundtrip(unit_name, "w32.img", "64M", "-F", 32); }

TEST(append_truncate_sparse)
{
	static uint8_t a[20000], back[70000];
	struct fat_node *f;
	struct vol v;
	size_t n;

	fill(a, sizeof(a), 7);
	EXPECT(mkimg("t.img", "8M", "-c 1") == 0);
	EXPECT(vol_mount(&v, img("t.img"), 0) == 0);
	EXPECT(put(&v, "", "f", a, 1000) == 1000);
	EXPECT(walk(&v, "f", &f) == 0);
	/* append, across sector and cluster boundaries */
	EXPECT(fat_write(f, a + 1000, 19000, 1000) == 19000);
	EXPECT(f->size == 20000);
	/* shrink inside a cluster, then grow: the gap reads as zeros */
	EXPECT(fat_truncate(f, 700) == 0);
	EXPECT(fat_truncate(f, 5000) == 0);
	/* a write past the end leaves zeros in between */
	EXPECT(fat_write(f, "tail", 4, 60000) == 4);
	fat_node_put(f);
	EXPECT(read_all(&v, "f", back, sizeof(back), 3000, &n) == 0);
	EXPECT(n == 60004 && !memcmp(back, a, 700) && !memcmp(back + 60000, "tail", 4));
	for (size_t i = 700; i < 60000; i++)
		EXPECT(back[i] == 0);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("t.img"));
	EXPECT(mtools_has("t.img", "/f", back, 60004));
	/* and back to nothing */
	EXPECT(vol_mount(&v, img("t.img"), 0) == 0);
	EXPECT(walk(&v, "f", &f) == 0);
	EXPECT(fat_truncate(f, 0) == 0);
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("t.img"));
	EXPECT(mtools_has("t.img", "/f", "", 0));
}

TEST(names)
{
	char longest[300];
	struct fat_node *f;
	struct vol v;

	EXPECT(mkimg("n.img", "8M", "") == 0);
	EXPECT(vol_mount(&v, img("n.img"), 0) == 0);
	EXPECT(put(&v, "", "a:b", "x", 1) == -EINVAL);
	EXPECT(put(&v, "", "what?", "x", 1) == -EINVAL);
	EXPECT(put(&v, "", "trailing.", "x", 1) == -EINVAL);
	EXPECT(put(&v, "", "trailing ", "x", 1) == -EINVAL);
	EXPECT(put(&v, "", "bad\xff", "x", 1) == -EINVAL);
	memset(longest, 'n', 256);
	longest[256] = 0;
	EXPECT(put(&v, "", longest, "x", 1) == -ENAMETOOLONG);
	longest[255] = 0;
	EXPECT(put(&v, "", longest, "x", 1) == 1);
	EXPECT(put(&v, "", "caf\xc3\xa9 \xe2\x82\xac.txt", "utf", 3) == 3);
	/* FAT folds case: one file, whatever the spelling */
	EXPECT(put(&v, "", "Readme.md", "1", 1) == 1);
	EXPECT(walk(&v, "README.MD", &f) == 0);
	fat_node_put(f);
	EXPECT(fat_create(v.root, "readme.MD", 0, NULL) == -EEXIST);
	/* many long names sharing a prefix get distinct aliases */
	for (int i = 0; i < 40; i++) {
		char nm[64];
		snprintf(nm, sizeof(nm), "shared prefix number %d.longext", i);
		EXPECT(put(&v, "", nm, nm, strlen(nm)) == (long)strlen(nm));
	}
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("n.img"));
	EXPECT(mtools_has("n.img", "/shared prefix number 39.longext",
	                  "shared prefix number 39.longext", 31));
	EXPECT(sh("mdir -b -i %s ::/ | grep -c '^::/shared prefix' | grep -qx 40", img("n.img")) ==
	       0);
	EXPECT(sh("mdir -b -i %s ::/ | grep -q '^::/%s$'", img("n.img"), longest) == 0);
}

TEST(rename_unlink_rmdir)
{
	struct fat_node *a, *b, *f;
	struct vol v;
	char buf[16];

	EXPECT(mkimg("m.img", "8M", "") == 0);
	EXPECT(vol_mount(&v, img("m.img"), 0) == 0);
	EXPECT(mkdir_at(&v, "", "a") == 0);
	EXPECT(mkdir_at(&v, "", "b") == 0);
	EXPECT(mkdir_at(&v, "a", "inner") == 0);
	EXPECT(put(&v, "a/inner", "file one", "one", 3) == 3);
	EXPECT(put(&v, "b", "victim", "old", 3) == 3);
	EXPECT(walk(&v, "a", &a) == 0 && walk(&v, "b", &b) == 0);
	/* a directory moves and its ".." follows (fsck checks it) */
	EXPECT(fat_rename(a, "inner", b, "moved inner", 0) == 0);
	EXPECT(fat_lookup(a, "inner", &f) == -ENOENT);
	/* into itself: refused */
	EXPECT(walk(&v, "b/moved inner", &f) == 0);
	EXPECT(fat_rename(b, "moved inner", f, "loop", 0) == -EINVAL);
	fat_node_put(f);
	/* a file replaces another; NOREPLACE refuses */
	EXPECT(walk(&v, "b/moved inner", &f) == 0);
	EXPECT(fat_rename(f, "file one", b, "victim", 1) == -EEXIST);
	EXPECT(fat_rename(f, "file one", b, "victim", 0) == 0);
	fat_node_put(f);
	EXPECT(read_all(&v, "b/victim", (uint8_t *)buf, sizeof(buf), 16, &(size_t){ 0 }) == 0);
	EXPECT(!memcmp(buf, "one", 3));
	/* case-only rename */
	EXPECT(fat_rename(b, "victim", b, "VICTIM", 0) == 0);
	/* rmdir wants an empty directory; unlink wants a file */
	EXPECT(fat_rmdir(v.root, "b") == -ENOTEMPTY);
	EXPECT(fat_unlink(v.root, "b") == -EISDIR);
	EXPECT(fat_rmdir(b, "VICTIM") == -ENOTDIR);
	EXPECT(fat_unlink(b, "VICTIM") == 0);
	EXPECT(fat_rmdir(b, "moved inner") == 0);
	EXPECT(fat_rmdir(v.root, "b") == 0);
	EXPECT(fat_lookup(v.root, "b", &f) == -ENOENT);
	fat_node_put(a);
	fat_node_put(b);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("m.img"));
	EXPECT(sh("test \"$(mdir -b -/ -i %s ::/)\" = '::/a/'", img("m.img")) == 0);
}

TEST(unlinked_but_open)
{
	static uint8_t d[50000], back[50000];
	struct fat_statfs s0, s1;
	struct fat_node *f;
	struct vol v;

	fill(d, sizeof(d), 3);
	EXPECT(mkimg("u.img", "4M", "") == 0);
	EXPECT(vol_mount(&v, img("u.img"), 0) == 0);
	fat_statfs(v.fs, &s0);
	EXPECT(put(&v, "", "open", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(walk(&v, "open", &f) == 0);
	EXPECT(fat_unlink(v.root, "open") == 0);
	EXPECT(fat_read(f, back, sizeof(back), 0) == (long)sizeof(back));
	EXPECT(!memcmp(back, d, sizeof(d)));
	fat_node_put(f);
	fat_statfs(v.fs, &s1);
	EXPECT(s1.free_clusters == s0.free_clusters);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("u.img"));
}

TEST(full_disk)
{
	static uint8_t d[1u << 20];
	struct fat_node *f;
	struct vol v;
	long got, total = 0;

	fill(d, sizeof(d), 9);
	EXPECT(mkimg("f.img", "2M", "") == 0);
	EXPECT(vol_mount(&v, img("f.img"), 0) == 0);
	EXPECT(fat_create(v.root, "filler", 0, &f) == 0);
	while ((got = fat_write(f, d, sizeof(d), total)) > 0)
		total += got;
	EXPECT(got == -ENOSPC);
	EXPECT(total > (1 << 20) && total < (2 << 20) && f->size == (uint32_t)total);
	EXPECT(fat_create(v.root, "one more dir", 1, NULL) == -ENOSPC);
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("f.img"));
	EXPECT(sh("mdir -i %s ::/ | grep -q 'filler.*%ld'", img("f.img"), total) == 0);
}

TEST(read_only)
{
	struct fat_node *f;
	struct vol v;

	EXPECT(vol_mount(&v, img("w16.img"), 1) == 0);
	EXPECT(walk(&v, "hello.txt", &f) == 0);
	EXPECT(fat_write(f, "x", 1, 0) == -EROFS);
	EXPECT(fat_truncate(f, 0) == -EROFS);
	fat_node_put(f);
	EXPECT(fat_create(v.root, "new", 0, NULL) == -EROFS);
	EXPECT(fat_unlink(v.root, "hello.txt") == -EROFS);
	EXPECT(v.b.writes == 0);
	EXPECT(vol_umount(&v) == 0);
}

TEST(times_kept)
{
	const int64_t t = 1234567890ll * 1000000000ll; /* 2009-02-13 23:31:30 UTC */
	struct fat_stat st;
	struct fat_node *f;
	struct vol v;

	EXPECT(vol_mount(&v, img("w32.img"), 0) == 0);
	EXPECT(walk(&v, "hello.txt", &f) == 0);
	fat_stat(f, &st);
	EXPECT(st.mtime_ns == 1700000000ll * 1000000000ll); /* fixed_now, even seconds */
	EXPECT(fat_set_times(f, t, t) == 0);
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(vol_mount(&v, img("w32.img"), 1) == 0);
	EXPECT(walk(&v, "hello.txt", &f) == 0);
	fat_stat(f, &st);
	EXPECT(st.mtime_ns == t && st.size == 13 && !st.dir);
	EXPECT(st.atime_ns == 1234483200ll * 1000000000ll); /* the date alone */
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(sh("TZ=UTC mdir -i %s ::/hello.txt | grep -q '2009-02-13  23:31'", img("w32.img")) ==
	       0);
}

/* Metadata reaches the disk only in fat_sync: an image copied at any
 * moment (a killed VM) holds the last synced state and is clean. */
TEST(crash_after_sync)
{
	static uint8_t d[300000];
	struct vol v;

	fill(d, sizeof(d), 5);
	EXPECT(mkimg("c.img", "16M", "-F -c 1") == 0 || mkimg("c.img", "40M", "-F -c 1") == 0);
	EXPECT(vol_mount(&v, img("c.img"), 0) == 0);
	EXPECT(mkdir_at(&v, "", "kept") == 0);
	EXPECT(put(&v, "kept", "synced.bin", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(fat_sync(v.fs) == 0 && v.b.flushes == 1);
	EXPECT(put(&v, "kept", "late.bin", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(mkdir_at(&v, "", "late dir") == 0);
	EXPECT(fat_unlink(v.root, "kept") == -EISDIR);
	EXPECT(sh("cp %s %s", img("c.img"), img("crash.img")) == 0);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("crash.img"));
	EXPECT(mtools_has("crash.img", "/kept/synced.bin", d, sizeof(d)));
	EXPECT(sh("mdir -i %s ::/kept/late.bin >/dev/null 2>&1", img("crash.img")) != 0);
	EXPECT(fsck_clean("c.img"));
	EXPECT(mtools_has("c.img", "/kept/late.bin", d, sizeof(d)));
}

/* Set FAT12 entry c of the image's first FAT (at sector 1) to val. */
static int fat12_poke(const char *name, uint32_t c, uint32_t val)
{
	int fd = open(img(name), O_RDWR), ok;
	uint8_t b[2];

	ok = fd >= 0 && pread(fd, b, 2, 512 + c + c / 2) == 2;
	if (c & 1)
		b[0] = (b[0] & 0x0f) | (val & 0xf) << 4, b[1] = val >> 4;
	else
		b[0] = val & 0xff, b[1] = (b[1] & 0xf0) | ((val >> 8) & 0xf);
	ok = ok && pwrite(fd, b, 2, 512 + c + c / 2) == 2;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Damaged or hostile images: errors, never a hang or a wild access. */
TEST(damaged_images)
{
	static uint8_t d[3000], back[3000];
	struct fat_node *f;
	uint32_t c1, c2;
	struct vol v;

	EXPECT(sh("head -c 1048576 /dev/zero > %s", img("z.img")) == 0);
	EXPECT(vol_mount(&v, img("z.img"), 1) == -EINVAL);
	close(v.b.fd);
	EXPECT(sh("head -c 1000 /dev/zero > %s", img("z.img")) == 0);
	EXPECT(vol_mount(&v, img("z.img"), 1) == -EINVAL);
	close(v.b.fd);
	/* FAT12 on 4M: 1 KiB clusters, so 3000 bytes take three */
	EXPECT(mkimg("l.img", "4M", "") == 0);
	EXPECT(vol_mount(&v, img("l.img"), 0) == 0);
	EXPECT(put(&v, "", "wild", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(put(&v, "", "loop", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(walk(&v, "wild", &f) == 0);
	c1 = f->first;
	fat_node_put(f);
	EXPECT(walk(&v, "loop", &f) == 0);
	c2 = f->first;
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fat12_poke("l.img", c1, 0xff0) == 0); /* past the last cluster */
	EXPECT(fat12_poke("l.img", c2, c2) == 0);    /* onto itself */
	EXPECT(vol_mount(&v, img("l.img"), 0) == 0);
	EXPECT(walk(&v, "wild", &f) == 0);
	EXPECT(fat_read(f, back, sizeof(back), 0) == -EIO);
	fat_node_put(f);
	EXPECT(walk(&v, "loop", &f) == 0);
	EXPECT(fat_truncate(f, 0) == -EIO);
	fat_node_put(f);
	EXPECT(vol_umount(&v) == 0);
}

/* A cache of 8 blocks: every path that makes room (data written back
 * early, whole syncs when metadata fills it) still ends consistent; and
 * small files' data goes out in few, coalesced requests. */
TEST(tiny_cache)
{
	static uint8_t d[200000];
	char name[64], path[80];
	struct vol v;
	unsigned before;

	fill(d, sizeof(d), 11);
	EXPECT(mkimg("tc.img", "16M", "-c 1") == 0);
	cache_blocks = 8;
	EXPECT(vol_mount(&v, img("tc.img"), 0) == 0);
	EXPECT(mkdir_at(&v, "", "dir") == 0);
	for (int i = 0; i < 120; i++) {
		snprintf(name, sizeof(name), "small file %d with a long name", i);
		EXPECT(put(&v, "dir", name, d + i, 700 + i) == 700 + i);
	}
	EXPECT(put(&v, "", "big", d, sizeof(d)) == (long)sizeof(d));
	EXPECT(vol_umount(&v) == 0);
	cache_blocks = 0;
	EXPECT(fsck_clean("tc.img"));
	EXPECT(mtools_has("tc.img", "/big", d, sizeof(d)));
	EXPECT(mtools_has("tc.img", "/dir/small file 119 with a long name", d + 119, 819));
	/* 100 files of 600 bytes, synced once: far fewer writes than blocks */
	EXPECT(mkimg("co.img", "16M", "-c 1") == 0);
	EXPECT(vol_mount(&v, img("co.img"), 0) == 0);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		EXPECT(put(&v, "", name, d, 600) == 600);
	}
	before = v.b.writes;
	EXPECT(fat_sync(v.fs) == 0);
	EXPECT(v.b.writes - before < 20);
	EXPECT(vol_umount(&v) == 0);
	EXPECT(fsck_clean("co.img"));
	snprintf(path, sizeof(path), "/f%d", 99);
	EXPECT(mtools_has("co.img", path, d, 600));
}

/* A small cache that fills with metadata between syncs: whenever the
 * disk is looked at (a crash), it holds whole operations only. */
TEST(crash_any_time)
{
	static uint8_t d[3000];
	char name[80];
	struct vol v;

	fill(d, sizeof(d), 13);
	EXPECT(mkimg("ca.img", "4M", "-c 1") == 0);
	cache_blocks = 8, cache_max = 64;
	EXPECT(vol_mount(&v, img("ca.img"), 0) == 0);
	EXPECT(mkdir_at(&v, "", "dir") == 0);
	for (int i = 0; i < 160; i++) {
		struct fat_node *dir;
		snprintf(name, sizeof(name), "file number %d, a name long enough for aliases", i);
		EXPECT(put(&v, "dir", name, d, 1000 + i) == 1000 + i);
		if (i % 3 == 0 && i) {
			snprintf(name, sizeof(name),
			         "file number %d, a name long enough for aliases", i - 2);
			EXPECT(walk(&v, "dir", &dir) == 0);
			EXPECT(fat_unlink(dir, name) == 0);
			fat_node_put(dir);
		}
		if (i % 20 == 19) {
			EXPECT(sh("cp %s %s", img("ca.img"), img("snap.img")) == 0);
			EXPECT(fsck_clean("snap.img"));
		}
	}
	EXPECT(v.fs != NULL);
	EXPECT(vol_umount(&v) == 0);
	cache_blocks = 0, cache_max = 0;
	EXPECT(fsck_clean("ca.img"));
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/uk-fat.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp) ||
	    system("command -v mformat >/dev/null && command -v fsck.fat >/dev/null")) {
		printf("SKIP fat: mtools or dosfstools missing (ci/deps.sh installs them)\n");
		return 0;
	}
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	RUN("fat", reads_what_mtools_wrote);
	RUN("fat", readdir_lists_and_resumes);
	RUN("fat", writes_fat12);
	RUN("fat", writes_fat16);
	RUN("fat", writes_fat32);
	RUN("fat", append_truncate_sparse);
	RUN("fat", names);
	RUN("fat", rename_unlink_rmdir);
	RUN("fat", unlinked_but_open);
	RUN("fat", full_disk);
	RUN("fat", read_only);
	RUN("fat", times_kept);
	RUN("fat", crash_after_sync);
	RUN("fat", damaged_images);
	RUN("fat", tiny_cache);
	RUN("fat", crash_any_time);
	if (!getenv("FAT_TEST_KEEP")) /* keep the images to look at */
		sh("rm -rf %s", tmp);
	else
		printf("images kept in %s\n", tmp);
	return unit_failures ? 1 : 0;
}
