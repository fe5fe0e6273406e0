/*
 * The 9P share from inside the guest. One mode per run:
 *
 *   basic DIR      file I/O, names and attributes on a read-write share the
 *                  host script prepared (host.txt, links pointing out)
 *   ro DIR         every write-type call fails with EROFS
 *   fsync DIR      write and fsync DIR/fsynced, say "fsynced", then wait to
 *                  be killed: what was fsynced must be on the host
 *   copy SRC DST   copy a file (1 MiB pieces), print its size and MB/s
 *   bench DIR MB N sequential write and read of MB MiB, N small files
 *                  created, stat'ed and unlinked; prints the rates
 *
 * Prints "PASS p9/MODE/NAME" or "FAIL p9/MODE/NAME: why" per check (check.h).
 */
#define _GNU_SOURCE 1 /* memmem */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

static const char *mode, *dir;
int checks, failures;

/* A check of this mode: "p9/MODE/NAME" with the condition as its message. */
#define P9_CHECK(name, cond) CHECK(p9_name(name), cond, "%s", #cond)

static const char *p9_name(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "p9/%s/%s", mode, name);
	return buf;
}

static const char *P(const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

static int put(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, n);
	return close(fd) == 0 && w == (ssize_t)n ? 0 : -1;
}

static long get(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r;

	if (fd < 0)
		return -1;
	while (n < (long)cap && (r = read(fd, buf + n, cap - (size_t)n)) > 0)
		n += r;
	close(fd);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- basic ---- */

static void round_trips(void)
{
	static const char guest_text[] = "written by the guest\n";
	char buf[256];
	struct stat st;
	long n;

	n = get(P("host.txt"), buf, sizeof(buf));
	P9_CHECK("host-to-guest", n == 20 && !memcmp(buf, "hello from the host\n", 20));
	P9_CHECK("stat", stat(P("host.txt"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 20);
	P9_CHECK("guest-to-guest",
	         put(P("guest.txt"), guest_text, sizeof(guest_text) - 1) == 0 &&
	             get(P("guest.txt"), buf, sizeof(buf)) == (long)sizeof(guest_text) - 1 &&
	             !memcmp(buf, guest_text, sizeof(guest_text) - 1));
}

/* The guest's own changes show at once, cache or not. */
static void attributes(void)
{
	char buf[2000];
	struct stat st;
	int fd = open(P("grow"), O_RDWR | O_CREAT | O_TRUNC, 0600), ok;

	memset(buf, 'g', sizeof(buf));
	ok = fd >= 0 && write(fd, buf, 100) == 100 && fstat(fd, &st) == 0 && st.st_size == 100;
	ok = ok && write(fd, buf, 50) == 50 && fstat(fd, &st) == 0 && st.st_size == 150;
	ok = ok && ftruncate(fd, 10) == 0 && fstat(fd, &st) == 0 && st.st_size == 10;
	ok = ok && stat(P("grow"), &st) == 0 && st.st_size == 10 && (st.st_mode & 0777) == 0600;
	P9_CHECK("size-follows-own-writes", ok);
	ok = fd >= 0 && pwrite(fd, "XYZ", 3, 1000) == 3 && pread(fd, buf, 3, 1000) == 3 &&
	     !memcmp(buf, "XYZ", 3) && fstat(fd, &st) == 0 && st.st_size == 1003;
	P9_CHECK("pread-pwrite", ok);
	ok =
	    chmod(P("grow"), 0640) == 0 && stat(P("grow"), &st) == 0 && (st.st_mode & 0777) == 0640;
	P9_CHECK("chmod", ok);
	ok = fsync(fd) == 0 && fdatasync(fd) == 0;
	P9_CHECK("fsync", ok);
	close(fd);
	fd = open(P("grow"), O_WRONLY | O_APPEND);
	ok = fd >= 0 && write(fd, "end", 3) == 3 && stat(P("grow"), &st) == 0 && st.st_size == 1006;
	close(fd);
	P9_CHECK("append",
	         ok && get(P("grow"), buf, sizeof(buf)) == 1006 && !memcmp(buf + 1003, "end", 3));
	fd = open(P("grow"), O_RDWR | O_TRUNC);
	P9_CHECK("o-trunc", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
}

static void names(void)
{
	char buf[64];
	struct stat st;
	long n;

	put(P("victim"), "old", 3);
	put(P("src"), "new", 3);
	P9_CHECK("rename-over-existing",
	         rename(P("src"), P("victim")) == 0 && get(P("victim"), buf, sizeof(buf)) == 3 &&
	             !memcmp(buf, "new", 3) && stat(P("src"), &st) != 0 && errno == ENOENT);
	P9_CHECK("mkdir-rmdir", mkdir(P("d"), 0755) == 0 && mkdir(P("d/e"), 0700) == 0 &&
	                            rmdir(P("d")) != 0 && errno == ENOTEMPTY &&
	                            rmdir(P("d/e")) == 0 && rmdir(P("d")) == 0);
	P9_CHECK("symlink-readlink", symlink("guest.txt", P("sl")) == 0 &&
	                                 (n = readlink(P("sl"), buf, sizeof(buf))) == 9 &&
	                                 !memcmp(buf, "guest.txt", 9) &&
	                                 get(P("sl"), buf, sizeof(buf)) == 21 &&
	                                 lstat(P("sl"), &st) == 0 && S_ISLNK(st.st_mode));
	P9_CHECK("hard-link", link(P("guest.txt"), P("hard")) == 0 && stat(P("hard"), &st) == 0 &&
	                          st.st_nlink == 2 && unlink(P("hard")) == 0 &&
	                          stat(P("guest.txt"), &st) == 0 && st.st_nlink == 1);
	P9_CHECK("unlink", unlink(P("sl")) == 0 && unlink(P("victim")) == 0 &&
	                       stat(P("victim"), &st) != 0 && errno == ENOENT);
}

static void thousand_files(void)
{
	char name[64];
	struct dirent *de;
	DIR *d;
	int i, made = 0, seen = 0, dots = 0, gone = 0;

	mkdir(P("many"), 0755);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many/f%04d", i);
		made += put(P(name), name, strlen(name)) == 0;
	}
	d = opendir(P("many"));
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			dots++;
		else if (de->d_name[0] == 'f' && atoi(de->d_name + 1) < 1000)
			seen++;
	}
	if (d)
		closedir(d);
	P9_CHECK("thousand-files-listed", made == 1000 && seen == 1000 && dots == 2);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many/f%04d", i);
		gone += unlink(P(name)) == 0;
	}
	P9_CHECK("thousand-files-removed", gone == 1000 && rmdir(P("many")) == 0);
}

/* Big transfers from the heap (straight to the device) and from the
 * stack (bounced): both must come back intact. */
static void big_io(void)
{
	size_t n = 3u << 20, i;
	unsigned char *heap = malloc(n), *back = malloc(n), stack[70000];
	int fd, ok;

	for (i = 0; heap && i < n; i++)
		heap[i] = (unsigned char)(i * 7 + (i >> 13));
	for (i = 0; i < sizeof(stack); i++)
		stack[i] = (unsigned char)(i * 3);
	fd = open(P("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok = heap && back && fd >= 0 && write(fd, heap, n) == (ssize_t)n &&
	     pread(fd, back, n, 0) == (ssize_t)n && !memcmp(heap, back, n);
	P9_CHECK("big-io-heap", ok);
	ok = fd >= 0 && pwrite(fd, stack, sizeof(stack), 12345) == (ssize_t)sizeof(stack);
	memset(stack, 0, sizeof(stack));
	ok = ok && pread(fd, stack, sizeof(stack), 12345) == (ssize_t)sizeof(stack);
	for (i = 0; ok && i < sizeof(stack); i++)
		ok = stack[i] == (unsigned char)(i * 3);
	P9_CHECK("big-io-stack", ok);
	close(fd);
	unlink(P("big"));
	free(heap);
	free(back);
}

/* Links the host planted, pointing out of the share: the guest follows
 * them in its own namespace, where the host's files are not. */
static void escapes(void)
{
	char buf[256];
	long n;
	int fd;

	n = get(P("hostabs"), buf, sizeof(buf) - 1);
	P9_CHECK("host-absolute-link-stays-in-guest",
	         n < 0 || !memmem(buf, (size_t)n, "SECRET", 6));
	n = get(P("hostrel"), buf, sizeof(buf) - 1);
	P9_CHECK("host-relative-link-stays-in-guest",
	         n < 0 || !memmem(buf, (size_t)n, "SECRET", 6));
	n = get(P("../../../../../../../../etc/passwd"), buf, sizeof(buf) - 1);
	P9_CHECK("dotdot-stays-in-guest", n < 0 || !memmem(buf, (size_t)n, "root:x:0:0", 10));
	P9_CHECK("guest-link-out",
	         symlink("/proc/self/root/../../../../etc/passwd", P("out")) == 0);
	n = get(P("out"), buf, sizeof(buf) - 1);
	P9_CHECK("guest-link-out-stays-in-guest",
	         n < 0 || !memmem(buf, (size_t)n, "root:x:0:0", 10));
	unlink(P("out"));
	P9_CHECK("hard-link-across-mounts", link("/dev/null", P("devnull")) != 0 && errno == EXDEV);
	fd = open(P("outside-write-attempt"), O_WRONLY | O_CREAT, 0644);
	P9_CHECK("create-in-share", fd >= 0);
	close(fd);
}

/* ---- read-only ---- */

static void read_only(void)
{
	char buf[64];
	struct stat st;

	P9_CHECK("read", get(P("host.txt"), buf, sizeof(buf)) == 20);
	P9_CHECK("open-write", open(P("host.txt"), O_WRONLY) < 0 && errno == EROFS);
	P9_CHECK("open-trunc", open(P("host.txt"), O_RDONLY | O_TRUNC) < 0 && errno == EROFS);
	P9_CHECK("create", open(P("new"), O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
	P9_CHECK("mkdir", mkdir(P("newdir"), 0755) != 0 && errno == EROFS);
	P9_CHECK("unlink", unlink(P("host.txt")) != 0 && errno == EROFS);
	P9_CHECK("rmdir", rmdir(P("sub")) != 0 && errno == EROFS);
	P9_CHECK("rename", rename(P("host.txt"), P("moved")) != 0 && errno == EROFS);
	P9_CHECK("symlink", symlink("x", P("sl")) != 0 && errno == EROFS);
	P9_CHECK("link", link(P("host.txt"), P("hard")) != 0 && errno == EROFS);
	P9_CHECK("truncate", truncate(P("host.txt"), 0) != 0 && errno == EROFS);
	P9_CHECK("chmod", chmod(P("host.txt"), 0777) != 0 && errno == EROFS);
	P9_CHECK("unchanged", stat(P("host.txt"), &st) == 0 && st.st_size == 20);
}

/* ---- fsync, copy, bench ---- */

/* 65536 numbered lines, so the host can tell what it got. */
static int fsync_then_wait(void)
{
	size_t n = 65536 * 12, i;
	char *p = malloc(n + 1);
	int fd = open(P("fsynced"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (i = 0; p && i < 65536; i++)
		snprintf(p + i * 12, 13, "line %06zu\n", i);
	if (!p || fd < 0 || write(fd, p, n) != (ssize_t)n || fsync(fd)) {
		printf("FAIL p9/fsync/write: errno %d\n", errno);
		return 1;
	}
	printf("fsynced\n");
	fflush(stdout);
	for (;;)
		sleep(1); /* the host kills us */
}

static int copy(const char *src, const char *dst)
{
	size_t cap = 1u << 20;
	char *buf = malloc(cap);
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long long total = 0;
	double t0 = now(), t;
	ssize_t n;

	if (!buf || in < 0 || out < 0) {
		printf("FAIL p9/copy/open: errno %d\n", errno);
		return 1;
	}
	while ((n = read(in, buf, cap)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			printf("FAIL p9/copy/write: errno %d\n", errno);
			return 1;
		}
		total += n;
	}
	if (n < 0 || close(out)) {
		printf("FAIL p9/copy/read: errno %d\n", errno);
		return 1;
	}
	t = now() - t0;
	printf("copied %lld bytes in %.3f s: %.1f MB/s\n", total, t, total / t / 1e6);
	return 0;
}

static void bench(long mb, long files)
{
	size_t cap = 1u << 20;
	char *buf = malloc(cap), name[64];
	double t0, tw, tr, tf;
	struct stat st;
	int fd, ok = 1;
	long i;

	memset(buf, 'b', cap);
	fd = open(P("bench.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t0 = now();
	for (i = 0; i < mb && ok; i++)
		ok = write(fd, buf, cap) == (ssize_t)cap;
	ok = ok && fsync(fd) == 0;
	tw = now() - t0;
	close(fd);
	fd = open(P("bench.dat"), O_RDONLY);
	t0 = now();
	for (i = 0; i < mb && ok; i++)
		ok = read(fd, buf, cap) == (ssize_t)cap;
	tr = now() - t0;
	close(fd);
	unlink(P("bench.dat"));
	t0 = now();
	for (i = 0; i < files && ok; i++) {
		snprintf(name, sizeof(name), "small%ld", i);
		fd = open(P(name), O_WRONLY | O_CREAT | O_EXCL, 0644);
		ok = fd >= 0 && close(fd) == 0 && stat(P(name), &st) == 0 && unlink(P(name)) == 0;
	}
	tf = now() - t0;
	P9_CHECK("bench-ran", ok);
	printf("bench: write %.1f MB/s, read %.1f MB/s, create+stat+unlink %.0f ops/s\n",
	       mb / tw * 1.048576, mb / tr * 1.048576, files / tf);
	free(buf);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mode = argc > 1 ? argv[1] : "basic";
	dir = argc > 2 ? argv[2] : "/data";
	if (!strcmp(mode, "basic")) {
		round_trips();
		attributes();
		names();
		thousand_files();
		big_io();
		escapes();
	} else if (!strcmp(mode, "ro")) {
		read_only();
	} else if (!strcmp(mode, "fsync")) {
		return fsync_then_wait();
	} else if (!strcmp(mode, "copy") && argc > 3) {
		return copy(argv[2], argv[3]);
	} else if (!strcmp(mode, "bench") && argc > 4) {
		bench(atol(argv[3]), atol(argv[4]));
	} else {
		printf("usage: p9 basic|ro|fsync DIR | copy SRC DST | bench DIR MB FILES\n");
		return 2;
	}
	printf("p9 %s: %d failed\n", mode, failures);
	return failures ? 1 : 0;
}
