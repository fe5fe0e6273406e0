/*
 * The gofer's own cost, without a VM: 9P requests handed to p9s_handle()
 * as buffers, against the same work done with plain system calls (what dd
 * does). Built as build/tests/bench/p9_bench (not a unit test: it only
 * measures). Prints one line per measure:
 *
 *   p9_bench MEASURE 9p=VALUE direct=VALUE ratio=R UNIT
 *
 * Usage: p9_bench [DIR [MB [FILES]]]  (DIR: a scratch directory on the disk
 * to measure, default /var/tmp).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p9_client.h"

static struct p9c *c;
static uint8_t *data;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void line(const char *what, double p9, double direct, const char *unit)
{
	printf("p9_bench %s 9p=%.0f direct=%.0f ratio=%.2f %s\n", what, p9, direct, p9 / direct,
	       unit);
}

static int die(const char *what)
{
	fprintf(stderr, "p9_bench: %s failed\n", what);
	exit(1);
}

static void seq_io(const char *dir, long mb)
{
	uint32_t chunk = P9_MSIZE_MAX - P9_IOHDR_SIZE;
	uint64_t total = (uint64_t)mb << 20, off;
	char path[512];
	double t, w9, r9, wd, rd;
	int fd;

	snprintf(path, sizeof(path), "%s/direct.dat", dir);
	if (p9c_walk(c, 0, 1, "") || p9c_lcreate(c, 1, "p9.dat", O_RDWR, 0644))
		die("Tlcreate");
	t = now();
	for (off = 0; off < total; off += chunk)
		if (p9c_write(c, 1, off, data, chunk))
			die("Twrite");
	w9 = total / (now() - t) / 1e6;
	t = now();
	for (off = 0; off < total; off += chunk)
		if (p9c_read(c, 1, off, chunk) || c->r.u.rread.count != chunk)
			die("Tread");
	r9 = total / (now() - t) / 1e6;
	p9c_clunk(c, 1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	t = now();
	for (off = 0; off < total; off += chunk)
		if (pwrite(fd, data, chunk, (off_t)off) != chunk)
			die("pwrite");
	wd = total / (now() - t) / 1e6;
	t = now();
	for (off = 0; off < total; off += chunk)
		if (pread(fd, c->rx, chunk, (off_t)off) != chunk)
			die("pread");
	rd = total / (now() - t) / 1e6;
	close(fd);
	unlink(path);
	line("seq-write", w9, wd, "MB/s");
	line("seq-read", r9, rd, "MB/s");
}

/* create + stat + unlink, as the guest's small-file loop asks for them. */
static void small_files(const char *dir, long n)
{
	char name[64], path[512];
	struct stat st;
	double t, p9, direct;
	long i;
	int fd;

	t = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%ld", i);
		if (p9c_walk(c, 0, 2, "") || p9c_lcreate(c, 2, name, O_RDWR | O_EXCL, 0644) ||
		    p9c_clunk(c, 2) || p9c_walk(c, 0, 3, name) || p9c_getattr(c, 3) ||
		    p9c_clunk(c, 3) || p9c_unlinkat(c, 0, name, 0))
			die("small-file requests");
	}
	p9 = n / (now() - t);
	t = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/d%ld", dir, i);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || close(fd) || stat(path, &st) || unlink(path))
			die("small-file calls");
	}
	direct = n / (now() - t);
	line("create+stat+unlink", p9, direct, "ops/s");
}

int main(int argc, char **argv)
{
	char dir[256];
	long mb = argc > 2 ? atol(argv[2]) : 256, files = argc > 3 ? atol(argv[3]) : 20000;

	snprintf(dir, sizeof(dir), "%s/p9bench.XXXXXX", argc > 1 ? argv[1] : "/var/tmp");
	if (!mkdtemp(dir))
		return die("mkdtemp");
	c = calloc(1, sizeof(*c));
	data = malloc(P9_MSIZE_MAX);
	if (!c || !data || p9s_open(dir, 0, &c->s) || !(c->w = p9s_worker_new(c->s)))
		return die("setting up the server");
	memset(data, 0x5a, P9_MSIZE_MAX);
	if (p9c_version(c, P9_MSIZE_MAX, P9_VERSION_L) || p9c_attach(c, 0))
		return die("Tversion/Tattach");
	seq_io(dir, mb);
	small_files(dir, files);
	unlink(strcat(dir, "/p9.dat"));
	*strrchr(dir, '/') = 0;
	rmdir(dir);
	return 0;
}
