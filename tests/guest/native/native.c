/*
 * The native-speed check: a fixed loop of 2^N dec/jnz iterations (N is
 * argv[1], default 26), timed with the TSC-based monotonic clock. Native: ~0.3 ns per iteration; a
 * guest the paravirtual host instruction-emulates: ~1000 ns. Also checks
 * that SSE/AVX state survives a clock read and a sleep (xsave set up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../now.h"

int main(int argc, char **argv)
{
	int log2 = argc > 1 ? atoi(argv[1]) : 26;
	unsigned long n = 1ul << log2;
	long long t0 = now_ns(), dt;
	volatile double x = 1.5;
	struct timespec ms = { 0, 1000000 };

	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
	dt = now_ns() - t0;
	printf("native: 2^%d iterations in %lld us, %lld ps/iteration\n", log2, dt / 1000,
	       dt * 1000 / (1ll << log2));
	nanosleep(&ms, NULL);
	x = x * 3.0;
	printf("float: %.2f\n", x);
	return 0;
}
