/*
 * File mappings: private copies of a file's pages (read-only and
 * writable, at an offset, past the end of the file, MAP_FIXED into a
 * reservation as ld.so does, grown by mremap, refilled by MADV_DONTNEED),
 * shared mappings (read-only, and writable on the RAM root: the file's own
 * pages), a large file mapped whole, /dev/zero, and the
 * refusals.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PG 4096ul
#define FLEN (3 * PG + 100)

static unsigned char data[FLEN];

static int make_file(const char *path)
{
	int fd;

	for (size_t i = 0; i < FLEN; i++)
		data[i] = (unsigned char)(i * 13 + (i >> 12));
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0 || write(fd, data, FLEN) != (long)FLEN)
		return -1;
	return fd;
}

static int zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void private_copies(int fd)
{
	unsigned char *p, *q, buf[16];

	p = mmap(NULL, 5 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("mm/file/a-private-read-only-mapping", p != MAP_FAILED,
	      "a private read-only mapping");
	if (p == MAP_FAILED)
		return;
	CHECK("mm/file/holds-the-file-s-bytes", !memcmp(p, data, FLEN), "holds the file's bytes");
	CHECK("mm/file/the-last-page-is-zero-past-the-end-of-the-file",
	      zero(p + FLEN, 4 * PG - FLEN), "the last page is zero past the end of the file");
	CHECK("mm/file/a-page-wholly-past-the-end-reads-as-zero", zero(p + 4 * PG, PG),
	      "a page wholly past the end reads as zero");
	munmap(p, 5 * PG);

	q = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
	CHECK("mm/file/at-an-offset-of-one-page", q != MAP_FAILED && !memcmp(q, data + PG, 2 * PG),
	      "at an offset of one page");
	memset(q, 0xee, 16);
	CHECK("mm/file/writing-a-private-copy-leaves-the-file-alone",
	      pread(fd, buf, 16, PG) == 16 && !memcmp(buf, data + PG, 16),
	      "writing a private copy leaves the file alone");
	CHECK("mm/file/madv-dontneed-brings-the-file-s-bytes-back",
	      madvise(q, PG, MADV_DONTNEED) == 0 && !memcmp(q, data + PG, PG),
	      "MADV_DONTNEED brings the file's bytes back");
	q = mremap(q, 2 * PG, 3 * PG, MREMAP_MAYMOVE);
	CHECK("mm/file/mremap-grows-it-from-the-file",
	      q != MAP_FAILED && !memcmp(q, data + PG, FLEN - PG), "mremap grows it from the file");
	munmap(q, 3 * PG);
}

/* ld.so's way: reserve the span, then map segments into it. */
static void fixed_segments(int fd)
{
	unsigned char *span = mmap(NULL, 6 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *seg;

	seg = mmap(span + PG, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0);
	CHECK("mm/file/map-fixed-into-a-reservation",
	      seg == span + PG && !memcmp(seg, data, 2 * PG), "MAP_FIXED into a reservation");
	seg = mmap(span + 3 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 2 * PG);
	CHECK("mm/file/a-second-segment", seg == span + 3 * PG && !memcmp(seg, data + 2 * PG, PG),
	      "a second segment");
	seg[0] ^= 1;
	CHECK("mm/file/made-read-only-it-keeps-its-contents",
	      mprotect(span + 3 * PG, PG, PROT_READ) == 0 && seg[0] == (data[2 * PG] ^ 1),
	      "made read-only, it keeps its contents");
	munmap(span, 6 * PG);
}

static void shared_and_refused(int fd, const char *path)
{
	unsigned char *p;
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), pp[2], zfd;

	p = mmap(NULL, FLEN, PROT_READ, MAP_SHARED, ro, 0);
	CHECK("mm/file/shared-read-only", p != MAP_FAILED && !memcmp(p, data, FLEN),
	      "shared, read-only");
	if (p != MAP_FAILED)
		munmap(p, FLEN);
	CHECK("mm/file/shared-writable-from-a-read-only-descriptor",
	      mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED &&
	          errno == EACCES,
	      "shared writable from a read-only descriptor: EACCES");
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mm/file/shared-writable-on-the-ram-root", p != MAP_FAILED,
	      "shared writable on the RAM root");
	if (p != MAP_FAILED) {
		unsigned char b = 0;
		p[10] ^= 0xff;
		CHECK("mm/file/shared-writable-write-reaches-the-file",
		      pread(fd, &b, 1, 10) == 1 && b == (data[10] ^ 0xff),
		      "a write through the mapping reaches the file");
		b = data[10];
		CHECK("mm/file/shared-writable-sees-write",
		      pwrite(fd, &b, 1, 10) == 1 && p[10] == data[10],
		      "the mapping sees a write()");
		munmap(p, PG);
	}
	CHECK("mm/file/a-write-only-descriptor-eacces",
	      mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0) == MAP_FAILED && errno == EACCES,
	      "a write-only descriptor: EACCES");
	CHECK("mm/file/a-bad-descriptor-ebadf",
	      mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED && errno == EBADF,
	      "a bad descriptor: EBADF");
	pipe(pp);
	CHECK("mm/file/a-pipe-enodev",
	      mmap(NULL, PG, PROT_READ, MAP_PRIVATE, pp[0], 0) == MAP_FAILED && errno == ENODEV,
	      "a pipe: ENODEV");
	close(pp[0]);
	close(pp[1]);
	zfd = open("/dev/zero", O_RDWR);
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, zfd, 0);
	CHECK("mm/file/dev-zero-maps-as-zeroed-memory", p != MAP_FAILED && zero(p, 2 * PG),
	      "/dev/zero maps as zeroed memory");
	if (p != MAP_FAILED) {
		p[5] = 5;
		CHECK("mm/file/and-is-writable", p[5] == 5, "and is writable");
		munmap(p, 2 * PG);
	}
	close(zfd);
	close(ro);
	close(wo);
}

/* A large file mapped whole costs the pages touched, and a page not yet
 * touched shows the file as it is when it is (as on Linux). */
static void large_file(void)
{
	const char *path = "/mm-large-file";
	size_t len = 8ul << 20, resident = 0;
	static unsigned char page[PG], vec[(8ul << 20) / PG];
	unsigned char *p;
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600), ok = fd >= 0;

	for (size_t o = 0; ok && o < len; o += PG) {
		memset(page, (int)(o / PG % 251), PG);
		ok = write(fd, page, PG) == (long)PG;
	}
	CHECK("mm/file/an-8-mib-file", ok, "an 8 MiB file");
	if (!ok)
		return;
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("mm/file/mapped-whole", p != MAP_FAILED, "mapped whole");
	if (p == MAP_FAILED)
		return;
	CHECK("mm/file/pages-read-the-file-s-bytes",
	      p[3 * PG] == 3 && p[1000 * PG + 7] == 1000 % 251 &&
	          p[len - 1] == (len / PG - 1) % 251,
	      "pages read the file's bytes");
	CHECK("mm/file/a-page-first-touched-after-a-write-shows-it",
	      pwrite(fd, "new", 3, 1500 * PG) == 3 && !memcmp(p + 1500 * PG, "new", 3),
	      "a page first touched after a write shows it");
	CHECK("mm/file/mincore", mincore(p, len, vec) == 0, "mincore");
	for (size_t i = 0; i < len / PG; i++)
		resident += vec[i] & 1;
	CHECK("mm/file/only-pages-near-those-touched-are-resident",
	      resident >= 4 && resident <= 4 * 64, /* 256 KiB around each */
	      "only pages near those touched are resident: %zu", resident);
	munmap(p, len);
	close(fd);
	unlink(path);
}

void file_tests(void)
{
	const char *path = "/mm-file-test";
	int fd = make_file(path);
	unsigned char *p;

	CHECK("mm/file/a-test-file", fd >= 0, "a test file");
	if (fd < 0)
		return;
	private_copies(fd);
	fixed_segments(fd);
	shared_and_refused(fd, path);
	large_file();
	p = mmap(NULL, FLEN, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	unlink(path);
	CHECK("mm/file/the-mapping-outlives-its-descriptor-and-the",
	      p != MAP_FAILED && !memcmp(p, data, FLEN),
	      "the mapping outlives its descriptor and the file's name");
	munmap(p, FLEN);
}
