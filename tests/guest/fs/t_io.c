/* open, read, write, positions, holes. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs.h"

void test_open_create(void)
{
	char buf[32];
	int fd;

	CHECK_ERR(open("missing", O_RDONLY), ENOENT);
	CHECK_ERR(open("nodir/x", O_RDONLY | O_CREAT, 0644), ENOENT);
	fd = open("f", O_RDWR | O_CREAT, 0640);
	CHECK(fd >= 3);
	CHECK(write(fd, "abc", 3) == 3);
	CHECK(close(fd) == 0);
	CHECK(get_file("f", buf, sizeof(buf)) == 3 && !strcmp(buf, "abc"));
	fd = creat("g", 0600);
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, buf, 1), EBADF); /* creat opens write-only */
	close(fd);
}

void test_open_flags(void)
{
	char buf[32];
	int fd;

	CHECK(put_file("f", "hello") == 0);
	CHECK_ERR(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	CHECK(mkdir("d", 0755) == 0);
	CHECK_ERR(open("d", O_WRONLY), EISDIR);
	CHECK_ERR(open("d", O_CREAT | O_WRONLY, 0644), EISDIR);
	CHECK_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("f/", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("f/x", O_RDONLY), ENOTDIR);
	fd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, buf, 1), EISDIR);
	close(fd);
	/* O_TRUNC empties, without O_TRUNC the bytes stay */
	fd = open("f", O_WRONLY);
	CHECK(write(fd, "J", 1) == 1);
	close(fd);
	CHECK(get_file("f", buf, sizeof(buf)) == 5 && !strcmp(buf, "Jello"));
	fd = open("f", O_WRONLY | O_TRUNC);
	close(fd);
	CHECK(get_file("f", buf, sizeof(buf)) == 0);
	CHECK(symlink("f", "lnk") == 0);
	CHECK_ERR(open("lnk", O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(open("lnk", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	/* O_CREAT through a symlink to nowhere makes its target */
	CHECK(mkdir("run", 0755) == 0 && symlink("../fs-open_flags/run/conf", "dangling") == 0);
	fd = open("dangling", O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && write(fd, "nameserver", 10) == 10);
	close(fd);
	CHECK(get_file("run/conf", buf, sizeof(buf)) == 10);
	CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
	CHECK_ERR(open("loop1", O_CREAT | O_WRONLY, 0600), ELOOP);
}

void test_badf(void)
{
	char c;
	struct stat st;

	CHECK_ERR(read(-1, &c, 1), EBADF);
	CHECK_ERR(write(999, &c, 1), EBADF);
	CHECK_ERR(close(4000), EBADF);
	CHECK_ERR(fstat(77, &st), EBADF);
	CHECK_ERR(lseek(77, 0, SEEK_SET), EBADF);
	CHECK_ERR(dup(77), EBADF);
	CHECK_ERR(fsync(77), EBADF);
	int fd = open("x", O_CREAT | O_RDONLY, 0644);
	CHECK_ERR(write(fd, "a", 1), EBADF);
	close(fd);
	CHECK_ERR(close(fd), EBADF); /* closed twice */
}

void test_partial_read(void)
{
	char buf[100];
	int fd;

	CHECK(put_file("f", "0123456789") == 0);
	fd = open("f", O_RDONLY);
	CHECK(read(fd, buf, 4) == 4 && !memcmp(buf, "0123", 4));
	CHECK(read(fd, buf, 100) == 6 && !memcmp(buf, "456789", 6));
	CHECK(read(fd, buf, 100) == 0);
	CHECK(read(fd, buf, 0) == 0);
	close(fd);
}

void test_append(void)
{
	char buf[32];
	int fd;

	CHECK(put_file("f", "abc") == 0);
	fd = open("f", O_WRONLY | O_APPEND);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(write(fd, "de", 2) == 2);
	CHECK(lseek(fd, 0, SEEK_CUR) == 5);
	CHECK(pwrite(fd, "f", 1, 0) == 1); /* Linux appends even here */
	close(fd);
	CHECK(get_file("f", buf, sizeof(buf)) == 6 && !strcmp(buf, "abcdef"));
}

void test_seek(void)
{
	int fd;

	CHECK(put_file("f", "0123456789") == 0);
	fd = open("f", O_RDONLY);
	CHECK(lseek(fd, 3, SEEK_SET) == 3);
	CHECK(lseek(fd, 2, SEEK_CUR) == 5);
	CHECK(lseek(fd, -1, SEEK_END) == 9);
	CHECK(lseek(fd, 100, SEEK_SET) == 100); /* past the end is fine */
	CHECK_ERR(lseek(fd, -200, SEEK_CUR), EINVAL);
	CHECK_ERR(lseek(fd, 0, 42), EINVAL);
	CHECK(lseek(fd, 100, SEEK_SET) == 100); /* a failed seek left it alone */
	CHECK(lseek(fd, 0, 3 /* SEEK_DATA */) == 0);
	CHECK(lseek(fd, 0, 4 /* SEEK_HOLE */) == 10);
	CHECK_ERR(lseek(fd, 10, 3), ENXIO);
	close(fd);
	CHECK_ERR(lseek(1, 0, SEEK_CUR), ESPIPE); /* the console */
}

void test_sparse(void)
{
	char buf[8192];
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT, 0644), zeros = 1;

	CHECK(lseek(fd, 1 << 20, SEEK_SET) == 1 << 20);
	CHECK(write(fd, "end", 3) == 3);
	CHECK(fstat(fd, &st) == 0 && st.st_size == (1 << 20) + 3);
	CHECK(st.st_blocks < 64); /* the hole takes no pages */
	CHECK(pread(fd, buf, sizeof(buf), 500000) == sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		zeros &= buf[i] == 0;
	CHECK(zeros);
	/* shrink into a page, grow again: the cut bytes read as zeros */
	CHECK(pwrite(fd, "XXXXXXXX", 8, 100) == 8);
	CHECK(ftruncate(fd, 102) == 0);
	CHECK(ftruncate(fd, 4096) == 0);
	CHECK(pread(fd, buf, 8, 100) == 8 && !memcmp(buf, "XX\0\0\0\0\0\0", 8));
	close(fd);
}

void test_positioned(void)
{
	char buf[8];
	int fd;

	CHECK(put_file("f", "abcdefgh") == 0);
	fd = open("f", O_RDWR);
	CHECK(read(fd, buf, 2) == 2);
	CHECK(pread(fd, buf, 3, 5) == 3 && !memcmp(buf, "fgh", 3));
	CHECK(pwrite(fd, "XY", 2, 0) == 2);
	CHECK(lseek(fd, 0, SEEK_CUR) == 2); /* untouched by pread/pwrite */
	CHECK(read(fd, buf, 2) == 2 && !memcmp(buf, "cd", 2));
	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
	CHECK(pread(fd, buf, 8, 0) == 8 && !memcmp(buf, "XYcdefgh", 8));
	close(fd);
	CHECK_ERR(pwrite(1, "x", 1, 0), ESPIPE);
}

void test_vectored(void)
{
	char a[3], b[5], all[16];
	struct iovec w[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	struct iovec r[2] = { { a, 3 }, { b, 5 } };
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(writev(fd, w, 3) == 8);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(readv(fd, r, 2) == 8 && !memcmp(a, "abc", 3) && !memcmp(b, "defgh", 5));
	CHECK(preadv(fd, r, 2, 4) == 4 && !memcmp(a, "efg", 3) && b[0] == 'h');
	CHECK(pwritev(fd, w, 1, 8) == 3);
	CHECK(get_file("f", all, sizeof(all)) == 11 && !strcmp(all, "abcdefghabc"));
	CHECK_ERR(readv(fd, r, -1), EINVAL);
	close(fd);
}

/* 3 MiB of a pattern in odd-sized pieces, read back in other sizes. */
void test_big_file(void)
{
	static unsigned char buf[65536];
	const size_t total = 3 << 20;
	size_t done = 0, bad = 0;
	int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);

	while (done < total) {
		size_t n = total - done < 12345 ? total - done : 12345;
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)((done + i) * 7 + ((done + i) >> 12));
		CHECK(write(fd, buf, n) == (ssize_t)n);
		done += n;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	for (done = 0; done < total;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != (unsigned char)((done + i) * 7 + ((done + i) >> 12));
		done += n;
	}
	CHECK(done == total);
	CHECK(bad == 0);
	close(fd);
	CHECK(unlink("big") == 0);
}
