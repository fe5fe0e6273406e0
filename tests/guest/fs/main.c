/* Runs every file system test (or those named on the command line). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

const char *fs_test;
int fs_failed;

int put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

long get_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r;

	if (fd < 0)
		return -1;
	while (n < (long)size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

#define T(name) void test_##name(void);
#include "tests.def"
#undef T

static const struct fs_case cases[] = {
#define T(name) { #name, test_##name },
#include "tests.def"
#undef T
};

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[64];
		if (!wanted(cases[i].name, argc, argv))
			continue;
		/* each test works in a fresh directory of its own */
		snprintf(dir, sizeof(dir), "/tmp/fs-%s", cases[i].name);
		mkdir(dir, 0755);
		if (chdir(dir)) {
			printf("FAIL fs/%s: cannot enter %s\n", cases[i].name, dir);
			failed++;
			continue;
		}
		fs_test = cases[i].name;
		fs_failed = 0;
		cases[i].fn();
		chdir("/");
		if (!fs_failed)
			printf("PASS fs/%s\n", cases[i].name);
		failed += !!fs_failed;
		ran++;
	}
	printf("fs: %d tests, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
