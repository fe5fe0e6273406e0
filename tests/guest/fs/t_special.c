/* The working directory, /dev, /proc, realpath, files from the image. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

void test_cwd(void)
{
	char buf[PATH_MAX];
	int fd;

	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-cwd"));
	CHECK(mkdir("a", 0755) == 0 && mkdir("a/b", 0755) == 0);
	CHECK(chdir("a/b") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-cwd/a/b"));
	CHECK(put_file("here", "h") == 0 &&
	      get_file("/tmp/fs-cwd/a/b/here", buf, sizeof(buf)) == 1);
	CHECK(chdir("..") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-cwd/a"));
	CHECK(getcwd(buf, 5) == NULL && errno == ERANGE);
	fd = open("b", O_RDONLY | O_DIRECTORY);
	CHECK(chdir("/") == 0 && fchdir(fd) == 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-cwd/a/b"));
	CHECK(faccessat(fd, "here", F_OK, 0) == 0); /* relative to a directory fd */
	int f2 = openat(fd, "new", O_CREAT | O_WRONLY, 0644);
	CHECK(f2 >= 0 && access("/tmp/fs-cwd/a/b/new", F_OK) == 0);
	close(f2);
	close(fd);
	CHECK_ERR(chdir("here"), ENOTDIR);
	CHECK_ERR(chdir("missing"), ENOENT);
	fd = open("here", O_RDONLY);
	CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
	CHECK_ERR(fchdir(fd), ENOTDIR);
	close(fd);
	char *p = getcwd(NULL, 0); /* allocated, as glibc does */
	CHECK(p && !strcmp(p, "/tmp/fs-cwd/a/b"));
	free(p);
	/* a removed working directory has no name any more */
	CHECK(mkdir("gone", 0755) == 0 && chdir("gone") == 0 && rmdir("../gone") == 0);
	CHECK(getcwd(buf, sizeof(buf)) == NULL && errno == ENOENT);
	CHECK(chdir("/") == 0);
}

void test_dotdot_root(void)
{
	char buf[64];
	struct stat a, b;

	CHECK(chdir("/") == 0 && chdir("..") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	CHECK(stat("/..", &a) == 0 && stat("/", &b) == 0 && a.st_ino == b.st_ino);
	CHECK(stat("/../../tmp/../..", &a) == 0 && a.st_ino == b.st_ino);
	/* ".." from a mount's root leads to the directory it is mounted on */
	CHECK(chdir("/proc/self") == 0 && chdir("../..") == 0 && getcwd(buf, sizeof(buf)));
	CHECK(!strcmp(buf, "/"));
	CHECK(stat("/dev/../tmp", &a) == 0 && S_ISDIR(a.st_mode));
}

void test_devfs(void)
{
	char buf[64];
	int fd, nonzero = 0;

	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0 && write(fd, "x", 1) == 1);
	CHECK(lseek(fd, 100, SEEK_SET) == 0);
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_TRUNC | O_CREAT, 0644); /* what "> /dev/null" does */
	CHECK(fd >= 0);
	close(fd);
	memset(buf, 1, sizeof(buf));
	fd = open("/dev/zero", O_RDONLY);
	CHECK(read(fd, buf, sizeof(buf)) == sizeof(buf) && buf[0] == 0 && buf[63] == 0);
	close(fd);
	fd = open("/dev/full", O_RDWR);
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	CHECK(read(fd, buf, sizeof(buf)) == sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		nonzero += buf[i] != 0;
	CHECK(nonzero > 32);
	close(fd);
	CHECK(readlink("/dev/stdout", buf, sizeof(buf)) == 15 &&
	      !memcmp(buf, "/proc/self/fd/1", 15));
	fd = open("/dev/stderr", O_WRONLY); /* through /proc/self/fd/2 to the console */
	CHECK(fd >= 0 && write(fd, "", 0) == 0);
	close(fd);
	CHECK(access("/dev/tty", F_OK) == 0 && access("/dev/console", F_OK) == 0);
	CHECK_ERR(open("/dev/nope", O_RDONLY), ENOENT);
	CHECK_ERR(open("/dev/newfile", O_CREAT | O_WRONLY, 0644), EPERM);
}

void test_procfs(void)
{
	char buf[4096], link[64];
	struct dirent *e;
	DIR *d;
	int fd, found = 0;
	long n;

	n = readlink("/proc/self/exe", buf, sizeof(buf));
	CHECK(n > 1 && buf[0] == '/');
	CHECK(readlink("/proc/self", buf, sizeof(buf)) == 1 && buf[0] == '1');
	CHECK(put_file("marker", "m") == 0);
	fd = open("marker", O_RDONLY);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf));
	CHECK(n == 21 && !memcmp(buf, "/tmp/fs-procfs/marker", 21));
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d)))
		found += atoi(e->d_name) == fd && e->d_type == DT_LNK;
	closedir(d);
	CHECK(found == 1);
	/* opening the link opens the file itself */
	int fd2 = open(link, O_RDONLY);
	CHECK(fd2 >= 0 && read(fd2, buf, 1) == 1 && buf[0] == 'm');
	close(fd2);
	close(fd);
	CHECK_ERR(readlink(link, buf, sizeof(buf)), ENOENT);
	CHECK(get_file("/proc/meminfo", buf, sizeof(buf)) > 0 && strstr(buf, "MemTotal:"));
	CHECK(get_file("/proc/cpuinfo", buf, sizeof(buf)) > 0 && strstr(buf, "processor\t: 0"));
	CHECK(get_file("/proc/mounts", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " / ramfs rw") && strstr(buf, " /proc proc ") &&
	      strstr(buf, " /dev devtmpfs "));
	CHECK(readlink("/proc/self/cwd", buf, sizeof(buf)) == 14 &&
	      !memcmp(buf, "/tmp/fs-procfs", 14));
	CHECK_ERR(open("/proc/meminfo", O_WRONLY), EACCES);
	CHECK(get_file("/proc/uptime", buf, sizeof(buf)) > 0 && strchr(buf, '.'));
	{
		unsigned long user, nice, sys, idle;
		CHECK(get_file("/proc/stat", buf, sizeof(buf)) > 0 &&
		      sscanf(buf, "cpu %lu %lu %lu %lu", &user, &nice, &sys, &idle) == 4 &&
		      strstr(buf, "\ncpu0 ") && strstr(buf, "\nbtime "));
	}
}

void test_realpath(void)
{
	char buf[PATH_MAX];

	CHECK(mkdir("d", 0755) == 0 && put_file("d/f", "") == 0 && symlink("d/f", "l") == 0);
	CHECK(realpath("d/../d/./f", buf) && !strcmp(buf, "/tmp/fs-realpath/d/f"));
	CHECK(realpath("l", buf) && !strcmp(buf, "/tmp/fs-realpath/d/f"));
	CHECK(realpath("/", buf) && !strcmp(buf, "/"));
	CHECK(realpath("/proc/self/..", buf) && !strcmp(buf, "/proc"));
	CHECK(realpath("missing", buf) == NULL && errno == ENOENT);
	char *p = realpath(".", NULL);
	CHECK(p && !strcmp(p, "/tmp/fs-realpath"));
	free(p);
}

/* Put in the image by ukbuild --add (tests/guest/fs/ukbuild.flags). */
void test_rootfs_added(void)
{
	char buf[256];
	struct stat st;

	CHECK(get_file("/etc/uk-fs-test/fixture.txt", buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "uk fs test fixture: the bytes ukbuild --add put in the image\n"));
	CHECK(stat("/etc/uk-fs-test", &st) == 0 && S_ISDIR(st.st_mode));
	/* writable: the first write copies it out of the archive */
	int fd = open("/etc/uk-fs-test/fixture.txt", O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "more\n", 5) == 5);
	close(fd);
	CHECK(get_file("/etc/uk-fs-test/fixture.txt", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "image\nmore\n"));
	CHECK(unlink("/etc/uk-fs-test/fixture.txt") == 0);
}
