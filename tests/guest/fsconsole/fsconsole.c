/*
 * One write(2) of KIB KiB (default 40) to stdout from a buffer on the
 * thread's stack, which is not physically contiguous: the console must
 * still reach ukrun in one exit per write call, not one per page (the
 * host script counts exits with ukrun --verbose).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[64 << 10];
	size_t n = (argc > 1 ? atoi(argv[1]) : 40) << 10;

	if (n > sizeof(buf))
		n = sizeof(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	return write(1, buf, n) == (ssize_t)n ? 0 : 1;
}
