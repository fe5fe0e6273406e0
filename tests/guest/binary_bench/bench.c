/*
 * The cost of a system call and of a clock read, the same source built
 * both ways: in link mode (this directory's image: getppid() is a function
 * call into the library OS) and with the host's gcc and glibc as a static
 * Linux program run by `ukbuild oci dir:` (the `syscall` instruction
 * through MSR_LSTAR; clock_gettime through the vDSO). Prints
 * "bench MODE getppid NS clock_gettime NS" in ns per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const int n = argc > 1 ? atoi(argv[1]) : 200000;
	volatile long sink = 0;
	double t0, t1, t2;

	t0 = now_ns();
	for (int i = 0; i < n; i++)
		sink += getppid();
	t1 = now_ns();
	for (int i = 0; i < n; i++)
		sink += (long)now_ns();
	t2 = now_ns();
#ifdef __uk__
	const char *mode = "link";
#else
	const char *mode = "binary";
#endif
	printf("bench %s getppid %.1f clock_gettime %.1f\n", mode, (t1 - t0) / n, (t2 - t1) / n);
	return sink == 42; /* keeps the loops */
}
