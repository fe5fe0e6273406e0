/*
 * RAM filesystem throughput: a file of SIZE MiB (default 64) written,
 * read back and written over again in 64 KiB calls, each phase timed with
 * clock_gettime (CLOCK_MONOTONIC), and the bytes read checked (exit 1 if
 * wrong). The first write also pays for the guest's first touch of every
 * page (an exit to the host kernel per page under KVM); the rewrite shows
 * the copy alone.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One phase from offset 0: chunks of CHUNK bytes written (each chunk's
 * first byte its number), or read back when bad is not NULL (*bad counts
 * the chunks whose first byte is wrong). 0, or -1 after a message. */
static int phase(int fd, long chunks, const char *what, long *bad)
{
	static unsigned char buf[CHUNK];

	lseek(fd, 0, SEEK_SET);
	for (long i = 0; i < chunks; i++) {
		buf[0] = (unsigned char)i; /* each chunk differs */
		if ((bad ? read(fd, buf, CHUNK) : write(fd, buf, CHUNK)) != CHUNK) {
			fprintf(stderr, "fsbench: %s: ", what);
			perror(NULL);
			return -1;
		}
		if (bad)
			*bad += buf[0] != (unsigned char)i;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64, chunks = mib * (1 << 20) / CHUNK, bad = 0;
	double t0, t1, t2, t3;
	int fd = open("/tmp/fsbench.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || mib <= 0) {
		perror("fsbench: open");
		return 2;
	}
	t0 = now();
	if (phase(fd, chunks, "write", NULL))
		return 2;
	t1 = now();
	if (phase(fd, chunks, "read", &bad))
		return 2;
	t2 = now();
	if (phase(fd, chunks, "rewrite", NULL))
		return 2;
	t3 = now();
	close(fd);
	unlink("/tmp/fsbench.dat");
	printf("fsbench: %ld MiB in 64 KiB calls: write %.0f MB/s, read %.0f MB/s, "
	       "rewrite %.0f MB/s, %ld bad chunks\n",
	       mib, mib * 1.048576 / (t1 - t0), mib * 1.048576 / (t2 - t1),
	       mib * 1.048576 / (t3 - t2), bad);
	return bad ? 1 : 0;
}
