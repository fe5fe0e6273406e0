/* Sleeps for argv[1] milliseconds (default 100) and reports how long the
 * monotonic clock says it took. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../now.h"

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 100;
	struct timespec req = { ms / 1000, ms % 1000 * 1000000 };
	struct timespec bad = { 0, 1000000000 };
	long long t0 = now_ns();

	if (nanosleep(&req, NULL))
		return 2;
	printf("slept %lld ms\n", (now_ns() - t0) / 1000000);
	if (nanosleep(&bad, NULL) == 0) {
		printf("nanosleep accepted tv_nsec = 1e9\n");
		return 1;
	}
	printf("realtime %lld\n", (long long)time(NULL));
	return 0;
}
