/*
 * Pipes, FIFOs and eventfd: partial reads, end of file, EPIPE, capacity,
 * PIPE_BUF atomicity, non-blocking EAGAIN, FIONREAD, flags; eventfd's
 * counter and semaphore modes. Prints "pipe: N checks, M failed" (status 1
 * when any failed). With the argument "sigpipe" it writes to a pipe
 * without a reader and SIGPIPE's default action must end it (141).
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;

static int set_nonblock(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void basics(void)
{
	int p[2], avail = -1;
	char buf[64];
	struct stat st;

	CHECK("pipe/pipe", pipe(p) == 0, "pipe");
	CHECK("pipe/two-new-descriptors", p[0] >= 3 && p[1] >= 3 && p[0] != p[1],
	      "two new descriptors: %d %d", p[0], p[1]);
	CHECK("pipe/write-10", write(p[1], "0123456789", 10) == 10, "write 10");
	CHECK("pipe/fionread", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 10, "FIONREAD: %d",
	      avail);
	CHECK("pipe/partial-read-of-4", read(p[0], buf, 4) == 4 && !memcmp(buf, "0123", 4),
	      "partial read of 4");
	CHECK("pipe/the-rest-a-read-returns-what-is-there",
	      read(p[0], buf, sizeof(buf)) == 6 && !memcmp(buf, "456789", 6),
	      "the rest: a read returns what is there");
	CHECK("pipe/write-of-0-bytes", write(p[1], "", 0) == 0, "write of 0 bytes");
	CHECK("pipe/fstat-a-fifo-mode", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode),
	      "fstat: a FIFO (mode %o)", (unsigned)st.st_mode);
	CHECK("pipe/lseek-espipe", lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE,
	      "lseek: ESPIPE");
	CHECK("pipe/read-from-the-write-end-ebadf", read(p[1], buf, 1) == -1 && errno == EBADF,
	      "read from the write end: EBADF");
	CHECK("pipe/write-to-the-read-end-ebadf", write(p[0], "x", 1) == -1 && errno == EBADF,
	      "write to the read end: EBADF");
	CHECK("pipe/close-the-write-end", close(p[1]) == 0, "close the write end");
	CHECK("pipe/end-of-file-without-writers", read(p[0], buf, sizeof(buf)) == 0,
	      "end of file without writers");
	close(p[0]);
}

static void eof_after_data(void)
{
	int p[2];
	char buf[16];

	pipe(p);
	write(p[1], "abc", 3);
	close(p[1]);
	CHECK("pipe/data-written-before-close-is-read", read(p[0], buf, sizeof(buf)) == 3,
	      "data written before close is read");
	CHECK("pipe/then-end-of-file", read(p[0], buf, sizeof(buf)) == 0, "then end of file");
	close(p[0]);
}

static void epipe(void)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	CHECK("pipe/write-without-a-reader-epipe", write(p[1], "x", 1) == -1 && errno == EPIPE,
	      "write without a reader: EPIPE");
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void capacity(void)
{
	static char block[8192];
	int p[2];
	long total = 0, n;

	pipe(p);
	CHECK("pipe/o-nonblock-through-fcntl", set_nonblock(p[1]) == 0, "O_NONBLOCK through fcntl");
	while ((n = write(p[1], block, 4096)) > 0)
		total += n;
	CHECK("pipe/a-full-pipe-eagain", n == -1 && errno == EAGAIN, "a full pipe: EAGAIN");
	CHECK("pipe/capacity-bytes", total == 65536, "capacity: %ld bytes", total);
	CHECK("pipe/make-room-for-1000-bytes", read(p[0], block, 1000) == 1000,
	      "make room for 1000 bytes");
	CHECK("pipe/2000-bytes-at-most-pipe-buf-go-whole-or-not-at",
	      write(p[1], block, 2000) == -1 && errno == EAGAIN,
	      "2000 bytes (at most PIPE_BUF) go whole or not at all");
	CHECK("pipe/5000-bytes-more-than-pipe-buf-go-in-part", write(p[1], block, 5000) == 1000,
	      "5000 bytes (more than PIPE_BUF) go in part");
	CHECK("pipe/a-large-read", read(p[0], block, 8192) == 8192, "a large read");
	close(p[0]);
	close(p[1]);
}

/* The ring starts small and grows: bytes that wrapped round keep their
 * order when it does. */
static void growth(void)
{
	static unsigned char out[12000], in[12000];
	int p[2];
	long n = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + (i >> 8));
	pipe(p);
	CHECK("pipe/3000-bytes", write(p[1], out, 3000) == 3000, "3000 bytes");
	CHECK("pipe/2000-out", read(p[0], in, 2000) == 2000, "2000 out");
	CHECK("pipe/3000-more-wrapping-round", write(p[1], out + 3000, 3000) == 3000,
	      "3000 more, wrapping round");
	CHECK("pipe/6000-more-growing-the-ring", write(p[1], out + 6000, 6000) == 6000,
	      "6000 more, growing the ring");
	while (n < 10000) {
		long r = read(p[0], in + 2000 + n, 10000 - n);
		if (r <= 0)
			break;
		n += r;
	}
	CHECK("pipe/all-12000-bytes-in-order", n == 10000 && !memcmp(in, out, 12000),
	      "all 12000 bytes in order");
	close(p[0]);
	close(p[1]);
}

static void nonblocking(void)
{
	int p[2], fl;
	char c;

	CHECK("pipe/pipe2-o-nonblock", pipe2(p, O_NONBLOCK) == 0, "pipe2(O_NONBLOCK)");
	fl = fcntl(p[0], F_GETFL);
	CHECK("pipe/both-ends-non-blocking",
	      (fl & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK), "both ends non-blocking");
	CHECK("pipe/access-modes",
	      (fl & O_ACCMODE) == O_RDONLY && (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY,
	      "access modes");
	CHECK("pipe/an-empty-pipe-eagain", read(p[0], &c, 1) == -1 && errno == EAGAIN,
	      "an empty pipe: EAGAIN");
	CHECK("pipe/no-fd-cloexec-without-o-cloexec", fcntl(p[0], F_GETFD) == 0,
	      "no FD_CLOEXEC without O_CLOEXEC");
	close(p[0]);
	close(p[1]);
	CHECK("pipe/pipe2-o-cloexec", pipe2(p, O_CLOEXEC) == 0, "pipe2(O_CLOEXEC)");
	CHECK("pipe/both-ends-close-on-exec",
	      fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC,
	      "both ends close-on-exec");
	CHECK("pipe/and-blocking", !(fcntl(p[0], F_GETFL) & O_NONBLOCK), "and blocking");
	close(p[0]);
	close(p[1]);
	CHECK("pipe/an-unknown-flag-einval", pipe2(p, 0x10000000) == -1 && errno == EINVAL,
	      "an unknown flag: EINVAL");
}

/* The kernel copies into memory the program never touched. */
static void into_fresh_memory(void)
{
	int p[2];
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	pipe(p);
	write(p[1], "fresh", 5);
	CHECK("pipe/a-read-into-untouched-mmap-pages-across-a-page",
	      read(p[0], m + 4094, 5) == 5 && !memcmp(m + 4094, "fresh", 5),
	      "a read into untouched mmap pages, across a page boundary");
	munmap(m, 8192);
	close(p[0]);
	close(p[1]);
}

static void fifo(void)
{
	int r, w;
	char buf[8];

	unlink("/fifo-test");
	CHECK("pipe/mkfifo", mkfifo("/fifo-test", 0600) == 0, "mkfifo");
	w = open("/fifo-test", O_WRONLY | O_NONBLOCK);
	CHECK("pipe/a-writer-without-a-reader-o-nonblock-enxio", w == -1 && errno == ENXIO,
	      "a writer without a reader, O_NONBLOCK: ENXIO");
	r = open("/fifo-test", O_RDONLY | O_NONBLOCK);
	CHECK("pipe/a-reader-o-nonblock-opens-at-once", r >= 0,
	      "a reader, O_NONBLOCK, opens at once");
	w = open("/fifo-test", O_WRONLY | O_NONBLOCK);
	CHECK("pipe/then-a-writer", w >= 0, "then a writer");
	CHECK("pipe/data-through-the-fifo",
	      write(w, "via", 3) == 3 && read(r, buf, sizeof(buf)) == 3 && !memcmp(buf, "via", 3),
	      "data through the FIFO");
	close(w);
	CHECK("pipe/end-of-file-once-the-writer-is-gone", read(r, buf, sizeof(buf)) == 0,
	      "end of file once the writer is gone");
	close(r);
	CHECK("pipe/unlink-the-fifo", unlink("/fifo-test") == 0, "unlink the FIFO");
}

static void eventfd_counter(void)
{
	int fd = eventfd(3, EFD_NONBLOCK);
	eventfd_t v = 0;

	CHECK("pipe/eventfd", fd >= 0, "eventfd");
	CHECK("pipe/the-initial-value", read(fd, &v, 8) == 8 && v == 3, "the initial value: %llu",
	      (unsigned long long)v);
	CHECK("pipe/zero-eagain", read(fd, &v, 8) == -1 && errno == EAGAIN, "zero: EAGAIN");
	CHECK("pipe/two-writes", eventfd_write(fd, 5) == 0 && eventfd_write(fd, 7) == 0,
	      "two writes");
	CHECK("pipe/they-add-up", eventfd_read(fd, &v) == 0 && v == 12, "they add up: %llu",
	      (unsigned long long)v);
	CHECK("pipe/a-4-byte-read-einval", read(fd, &v, 4) == -1 && errno == EINVAL,
	      "a 4-byte read: EINVAL");
	v = UINT64_MAX;
	CHECK("pipe/writing-2-64-1-einval", write(fd, &v, 8) == -1 && errno == EINVAL,
	      "writing 2^64-1: EINVAL");
	v = UINT64_MAX - 1;
	CHECK("pipe/the-largest-value", write(fd, &v, 8) == 8, "the largest value");
	v = 1;
	CHECK("pipe/overflow-non-blocking-eagain", write(fd, &v, 8) == -1 && errno == EAGAIN,
	      "overflow, non-blocking: EAGAIN");
	close(fd);
	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK("pipe/efd-cloexec", fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "EFD_CLOEXEC");
	for (int i = 0; i < 3; i++)
		CHECK("pipe/semaphore-read", eventfd_read(fd, &v) == 0 && v == 1,
		      "semaphore read %d: %llu", i, (unsigned long long)v);
	CHECK("pipe/semaphore-at-zero-eagain", eventfd_read(fd, &v) == -1 && errno == EAGAIN,
	      "semaphore at zero: EAGAIN");
	close(fd);
	CHECK("pipe/an-unknown-flag-einval-2", eventfd(0, 0x10000000) == -1 && errno == EINVAL,
	      "an unknown flag: EINVAL");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "sigpipe")) {
		int p[2];
		pipe(p);
		close(p[0]);
		printf("writing to a pipe without a reader\n");
		fflush(stdout);
		write(p[1], "x", 1);
		printf("survived SIGPIPE (errno %d)\n", errno);
		return 1;
	}
	basics();
	eof_after_data();
	epipe();
	capacity();
	growth();
	nonblocking();
	into_fresh_memory();
	fifo();
	eventfd_counter();
	return check_totals("pipe");
}
