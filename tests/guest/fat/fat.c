/*
 * FAT on virtio-blk, from inside the guest. One mode per run:
 *
 *   sums DIR...       "cksum size path" for every file below each DIR
 *                     (POSIX cksum CRCs: the host compares with cksum(1))
 *   write DIR         make files, directories, long names, 300 entries in
 *                     one directory, appends, truncations, renames,
 *                     removals; print the sums of what should now be there
 *   ro DIR            every kind of change must fail with EROFS
 *   full DIR          write until ENOSPC; the file keeps what was written
 *   names DIR         names FAT cannot hold: EINVAL / ENAMETOOLONG
 *   sync-and-wait DIR write and fsync a file, say "synced", then spin
 *   bench DIR MB N    sequential write/read of MB MiB (MB/s), N small files
 *                     made (files/s)
 *
 * Lines starting "PASS " or "FAIL " are verdicts (check.h); the exit
 * status is the number of failures (0: all passed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;

/* ---- POSIX cksum ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i << 24;
		for (int k = 0; k < 8; k++)
			c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--)
		crc = (crc << 8) ^ crc_table[(crc >> 24) ^ *p++];
	return crc;
}

static uint32_t crc_final(uint32_t crc, uint64_t len)
{
	for (; len; len >>= 8)
		crc = (crc << 8) ^ crc_table[(crc >> 24) ^ (len & 0xff)];
	return ~crc;
}

static uint32_t cksum_mem(const uint8_t *p, size_t n) { return crc_final(crc_update(0, p, n), n); }

static int cksum_file(const char *path, uint32_t *sum, uint64_t *size)
{
	static uint8_t buf[65536];
	int fd = open(path, O_RDONLY);
	uint32_t crc = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc_update(crc, buf, n), *size += n;
	close(fd);
	*sum = crc_final(crc, *size);
	return n < 0 ? -1 : 0;
}

static void sums(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024], sub[1024];
	struct stat st;
	uint32_t sum;
	uint64_t size;

	if (!d) {
		printf("FAIL cannot open %s (errno %d)\n", dir, errno);
		failures++;
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(path, &st)) {
			printf("FAIL stat %s (errno %d)\n", path, errno);
			failures++;
		} else if (S_ISDIR(st.st_mode)) {
			sums(path, sub);
		} else if (cksum_file(path, &sum, &size)) {
			printf("FAIL read %s (errno %d)\n", path, errno);
			failures++;
		} else {
			printf("%u %llu %s\n", sum, (unsigned long long)size, sub);
		}
	}
	closedir(d);
}

/* ---- making files ---- */

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = seed >> 16;
	}
}

static int put(const char *path, const void *p, size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	ssize_t w = 0;

	if (fd < 0)
		return -1;
	while (n) {
		size_t k = n < 100000 ? n : 100000; /* several calls: short writes matter */
		if ((w = write(fd, p, k)) <= 0)
			break;
		p = (const uint8_t *)p + w, n -= w;
	}
	return close(fd) || n ? -1 : 0;
}

static uint8_t big[3u << 20];

static void do_write(const char *dir)
{
	char p[1024], q[1024];
	struct stat st;
	int fd;

	pattern(big, sizeof(big), 42);
	snprintf(p, sizeof(p), "%s/guest", dir);
	CHECK("fat/mkdir", mkdir(p, 0755) == 0, "mkdir %s", p);
	snprintf(p, sizeof(p), "%s/guest/small.txt", dir);
	CHECK("fat/small-file", put(p, "hello from the guest\n", 21, O_TRUNC) == 0, "small file");
	snprintf(p, sizeof(p), "%s/guest/big.bin", dir);
	CHECK("fat/3-mib-file", put(p, big, sizeof(big), O_TRUNC) == 0, "3 MiB file");
	snprintf(p, sizeof(p), "%s/guest/A long file name, with spaces & more.data", dir);
	CHECK("fat/long-name", put(p, big, 5000, O_TRUNC) == 0, "long name");
	snprintf(p, sizeof(p), "%s/guest/a/b/c", dir);
	snprintf(q, sizeof(q), "%s/guest/a", dir);
	CHECK("fat/mkdir-a", mkdir(q, 0755) == 0, "mkdir a");
	snprintf(q, sizeof(q), "%s/guest/a/b", dir);
	CHECK("fat/nested-directories", mkdir(q, 0755) == 0 && mkdir(p, 0755) == 0,
	      "nested directories");
	snprintf(p, sizeof(p), "%s/guest/a/b/c/deep.txt", dir);
	CHECK("fat/nested-file", put(p, "deep\n", 5, O_TRUNC) == 0, "nested file");
	snprintf(p, sizeof(p), "%s/guest/many", dir);
	CHECK("fat/mkdir-many", mkdir(p, 0755) == 0, "mkdir many");
	for (int i = 0; i < 300; i++) {
		snprintf(q, sizeof(q), "%s/guest/many/entry number %03d.txt", dir, i);
		if (put(q, q, strlen(q), O_TRUNC)) {
			CHECK("fat/file-of-300", 0, "file %d of 300", i);
			break;
		}
	}
	/* append, truncate, rename, unlink, rmdir */
	snprintf(p, sizeof(p), "%s/guest/small.txt", dir);
	CHECK("fat/append", put(p, "appended\n", 9, O_APPEND) == 0, "append");
	snprintf(p, sizeof(p), "%s/guest/big.bin", dir);
	CHECK("fat/truncate",
	      truncate(p, 1000000) == 0 && stat(p, &st) == 0 && st.st_size == 1000000, "truncate");
	snprintf(q, sizeof(q), "%s/guest/a/renamed.bin", dir);
	CHECK("fat/rename-across-directories", rename(p, q) == 0 && access(p, F_OK) != 0,
	      "rename across directories");
	snprintf(p, sizeof(p), "%s/guest/gone.txt", dir);
	CHECK("fat/unlink", put(p, "x", 1, O_TRUNC) == 0 && unlink(p) == 0 && access(p, F_OK) != 0,
	      "unlink");
	snprintf(p, sizeof(p), "%s/guest/emptydir", dir);
	CHECK("fat/rmdir", mkdir(p, 0755) == 0 && rmdir(p) == 0, "rmdir");
	snprintf(p, sizeof(p), "%s/guest/a", dir);
	CHECK("fat/rmdir-of-a-full-directory-enotempty", rmdir(p) != 0 && errno == ENOTEMPTY,
	      "rmdir of a full directory: ENOTEMPTY");
	/* times are kept */
	snprintf(p, sizeof(p), "%s/guest/small.txt", dir);
	{
		struct timespec ts[2] = { { 1234567890, 0 }, { 1234567890, 0 } };
		CHECK("fat/utimensat-keeps-the-time",
		      utimensat(AT_FDCWD, p, ts, 0) == 0 && stat(p, &st) == 0 &&
		          st.st_mtime == 1234567890,
		      "utimensat keeps the time");
	}
	fd = open(p, O_RDONLY);
	CHECK("fat/fsync", fd >= 0 && fsync(fd) == 0, "fsync");
	close(fd);
	printf("sums:\n");
	snprintf(p, sizeof(p), "%s/guest", dir);
	sums(p, "guest");
}

static void do_ro(const char *dir)
{
	char p[1024], q[1024];

	snprintf(p, sizeof(p), "%s/new.txt", dir);
	errno = 0;
	CHECK("fat/create-erofs", open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS,
	      "create: EROFS");
	snprintf(p, sizeof(p), "%s/newdir", dir);
	CHECK("fat/mkdir-erofs", mkdir(p, 0755) < 0 && errno == EROFS, "mkdir: EROFS");
	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	CHECK("fat/open-for-writing-erofs", open(p, O_WRONLY) < 0 && errno == EROFS,
	      "open for writing: EROFS");
	CHECK("fat/unlink-erofs", unlink(p) < 0 && errno == EROFS, "unlink: EROFS");
	CHECK("fat/truncate-erofs", truncate(p, 0) < 0 && errno == EROFS, "truncate: EROFS");
	snprintf(q, sizeof(q), "%s/moved.txt", dir);
	CHECK("fat/rename-erofs", rename(p, q) < 0 && errno == EROFS, "rename: EROFS");
	{
		uint32_t sum;
		uint64_t size;
		CHECK("fat/still-readable-bytes", cksum_file(p, &sum, &size) == 0,
		      "still readable (%llu bytes)", (unsigned long long)size);
	}
}

static void do_full(const char *dir)
{
	static uint8_t buf[1 << 20];
	char p[1024];
	struct stat st;
	long long total = 0;
	ssize_t w;
	int fd, err = 0;

	pattern(buf, sizeof(buf), 7);
	snprintf(p, sizeof(p), "%s/filler.bin", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK("fat/open-filler", fd >= 0, "open %s", p);
	while ((w = write(fd, buf, sizeof(buf))) > 0)
		total += w;
	err = errno;
	CHECK("fat/write-until-full-enospc", w < 0 && err == ENOSPC,
	      "write until the disk is full: ENOSPC after %lld bytes", total);
	printf("ENOSPC after %lld bytes\n", total);
	CHECK("fat/fsync-and-close-after-enospc", fsync(fd) == 0 && close(fd) == 0,
	      "fsync and close after ENOSPC");
	CHECK("fat/the-file-holds-what-was-written", stat(p, &st) == 0 && st.st_size == total,
	      "the file holds what was written (%lld)", (long long)st.st_size);
	snprintf(p, sizeof(p), "%s/one more", dir);
	errno = 0;
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK("fat/another-file-enospc",
	      fd < 0 ? errno == ENOSPC : write(fd, buf, 65536) < 0 && errno == ENOSPC,
	      "another file: ENOSPC");
	if (fd >= 0)
		close(fd);
}

static void do_names(const char *dir)
{
	char p[1024], longname[300];

	snprintf(p, sizeof(p), "%s/a:b", dir);
	CHECK("fat/colon-in-a-name-einval",
	      open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == EINVAL, "':' in a name: EINVAL");
	snprintf(p, sizeof(p), "%s/what?", dir);
	CHECK("fat/question-mark-in-a-name-einval", mkdir(p, 0755) < 0 && errno == EINVAL,
	      "'?' in a name: EINVAL");
	snprintf(p, sizeof(p), "%s/dot.", dir);
	CHECK("fat/a-trailing-dot-einval", open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == EINVAL,
	      "a trailing dot: EINVAL");
	memset(longname, 'x', 256);
	longname[256] = 0;
	snprintf(p, sizeof(p), "%s/%s", dir, longname);
	CHECK("fat/256-characters-enametoolong",
	      open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == ENAMETOOLONG,
	      "256 characters: ENAMETOOLONG");
	longname[255] = 0;
	snprintf(p, sizeof(p), "%s/%s", dir, longname);
	CHECK("fat/255-characters-fine", put(p, "255", 3, O_TRUNC) == 0, "255 characters: fine");
	snprintf(p, sizeof(p), "%s/MiXeD.TxT", dir);
	CHECK("fat/mixed-case", put(p, "case", 4, O_TRUNC) == 0, "mixed case");
	snprintf(p, sizeof(p), "%s/mixed.txt", dir);
	CHECK("fat/found-in-another-case", access(p, F_OK) == 0, "found in another case");
	CHECK("fat/o-excl-in-another-case-eexist",
	      open(p, O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST,
	      "O_EXCL in another case: EEXIST");
}

static void do_sync_wait(const char *dir)
{
	char p[1024];
	int fd;

	pattern(big, 1u << 20, 99);
	snprintf(p, sizeof(p), "%s/synced", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/synced/data.bin", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK("fat/write-and-fsync",
	      fd >= 0 && write(fd, big, 1u << 20) == 1 << 20 && fsync(fd) == 0, "write and fsync");
	printf("synced %u %u\n", cksum_mem(big, 1u << 20), 1u << 20);
	fflush(stdout);
	/* More changes that are never synced: the kill must not hurt the above. */
	snprintf(p, sizeof(p), "%s/synced/unsynced.bin", dir);
	put(p, big, 100000, O_TRUNC);
	for (;;)
		sleep(1);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void do_bench(const char *dir, int mb, int files)
{
	static uint8_t buf[1 << 20];
	char p[1024];
	double t0, t;
	int fd, n = 0;

	pattern(buf, sizeof(buf), 1);
	snprintf(p, sizeof(p), "%s/bench.bin", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t0 = now();
	for (int i = 0; i < mb; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	fsync(fd);
	close(fd);
	t = now() - t0;
	printf("bench write %d MiB %.3f s %.1f MB/s\n", mb, t, mb ? mb * 1.048576 / t : 0.0);
	fd = open(p, O_RDONLY);
	t0 = now();
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	t = now() - t0;
	printf("bench read %d MiB %.3f s %.1f MB/s\n", mb, t, mb ? mb * 1.048576 / t : 0.0);
	snprintf(p, sizeof(p), "%s/small", dir);
	mkdir(p, 0755);
	t0 = now();
	for (n = 0; n < files; n++) {
		snprintf(p, sizeof(p), "%s/small/f%04d", dir, n);
		if (put(p, buf, 100, O_TRUNC))
			break;
	}
	fd = open(dir, O_RDONLY);
	fsync(fd);
	close(fd);
	t = now() - t0;
	printf("bench creates %d %.3f s %.0f files/s\n", n, t, n ? n / t : 0.0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *dir = argc > 2 ? argv[2] : "/data";

	crc_init();
	if (!strcmp(mode, "sums"))
		for (int i = 2; i < argc || i == 2; i++)
			sums(i < argc ? argv[i] : dir, "");
	else if (!strcmp(mode, "write"))
		do_write(dir);
	else if (!strcmp(mode, "ro"))
		do_ro(dir);
	else if (!strcmp(mode, "full"))
		do_full(dir);
	else if (!strcmp(mode, "names"))
		do_names(dir);
	else if (!strcmp(mode, "sync-and-wait"))
		do_sync_wait(dir);
	else if (!strcmp(mode, "bench"))
		do_bench(dir, argc > 3 ? atoi(argv[3]) : 10, argc > 4 ? atoi(argv[4]) : 1000);
	else {
		printf("usage: fat sums|write|ro|full|names|sync-and-wait|bench DIR\n");
		return 2;
	}
	return failures;
}
