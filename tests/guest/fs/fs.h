/*
 * The file system test suite's harness: each test is a function; CHECK
 * records a failure with its line and errno; the runner prints
 * "PASS fs/NAME" or "FAIL fs/NAME: why" per test, which the host scripts
 * pass on to tests/run.sh.
 */
#ifndef FS_TEST_H
#define FS_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const char *fs_test;
extern int fs_failed;

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond) && !fs_failed++)                                                  \
			printf("FAIL fs/%s: line %d: %s (errno %d: %s)\n", fs_test, __LINE__, \
			       #cond, errno, strerror(errno));                                \
	} while (0)

/* A call that must fail with errno e. */
#define CHECK_ERR(call, e)                                                                   \
	do {                                                                                 \
		errno = 0;                                                                   \
		long r_ = (long)(call);                                                      \
		if ((r_ != -1 || errno != (e)) && !fs_failed++)                              \
			printf("FAIL fs/%s: line %d: %s gave %ld, errno %d (%s); want %s\n", \
			       fs_test, __LINE__, #call, r_, errno, strerror(errno), #e);    \
	} while (0)

/* Whole-file helpers. */
int put_file(const char *path, const char *text);
/* The file's bytes as a string in buf (size bytes); the length or -1. */
long get_file(const char *path, char *buf, size_t size);

/* Not in newlib's headers; uk's glue has them (glibc's names). */
long syscall(long nr, ...);
int renameat2(int odirfd, const char *oldp, int ndirfd, const char *newp, unsigned flags);
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

struct fs_case {
	const char *name;
	void (*fn)(void);
};

#endif
