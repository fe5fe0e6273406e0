/* The namespace: directories, unlink, rename, links, symlinks. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

void test_mkdir_rmdir(void)
{
	struct stat st;

	CHECK(mkdir("d", 0755) == 0);
	CHECK(stat("d", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 2);
	CHECK_ERR(mkdir("d", 0755), EEXIST);
	CHECK_ERR(mkdir("nope/d", 0755), ENOENT);
	CHECK(mkdir("d/sub", 0755) == 0);
	CHECK(stat("d", &st) == 0 && st.st_nlink == 3);
	CHECK(mkdir("d/trail/", 0755) == 0);
	CHECK_ERR(rmdir("d"), ENOTEMPTY);
	CHECK(put_file("file", "x") == 0);
	CHECK_ERR(rmdir("file"), ENOTDIR);
	CHECK_ERR(mkdir("file/x", 0755), ENOTDIR);
	CHECK_ERR(rmdir("d/sub/."), EINVAL);
	CHECK_ERR(mkdir("/", 0755), EEXIST);
	CHECK(rmdir("d/sub") == 0 && rmdir("d/trail/") == 0);
	CHECK(rmdir("d") == 0);
	CHECK_ERR(stat("d", &st), ENOENT);
	CHECK_ERR(rmdir("d"), ENOENT);
}

void test_unlink_open(void)
{
	char buf[16];
	struct stat st;
	int fd;

	CHECK(put_file("f", "still here") == 0);
	fd = open("f", O_RDWR);
	CHECK(unlink("f") == 0);
	CHECK_ERR(open("f", O_RDONLY), ENOENT);
	CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0);
	CHECK(read(fd, buf, sizeof(buf)) == 10 && !memcmp(buf, "still here", 10));
	CHECK(write(fd, "!", 1) == 1); /* and writable */
	CHECK(pread(fd, buf, 11, 0) == 11 && buf[10] == '!');
	CHECK(close(fd) == 0);
	CHECK(mkdir("d", 0755) == 0);
	CHECK_ERR(unlink("d"), EISDIR);
	CHECK(put_file("g", "") == 0);
	CHECK_ERR(unlink("g/"), ENOTDIR);
	CHECK_ERR(unlink("missing"), ENOENT);
	CHECK(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR) == 0);
	CHECK(remove("g") == 0 && mkdir("d", 0755) == 0 && remove("d") == 0);
}

/* Names in a directory, compared as a set: the order is the VFS's. */
static int list(const char *path, char names[][16], int max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		snprintf(names[n++], 16, "%s", e->d_name);
	closedir(d);
	return n;
}

static int has(char names[][16], int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return 1;
	return 0;
}

void test_dir_listing(void)
{
	char names[64][16], name[16];
	struct dirent *e;
	DIR *d;
	int n, seen = 0;

	CHECK(mkdir("d", 0755) == 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "d/f%02d", i);
		CHECK(put_file(name, "x") == 0);
	}
	CHECK(mkdir("d/sub", 0700) == 0);
	n = list("d", names, 64);
	CHECK(n == 43); /* ".", "..", 40 files, sub */
	CHECK(has(names, n, ".") && has(names, n, "..") && has(names, n, "sub"));
	CHECK(has(names, n, "f00") && has(names, n, "f39") && !has(names, n, "f40"));
	/* types, and removing entries while listing */
	d = opendir("d");
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, "sub"))
			CHECK(e->d_type == DT_DIR);
		if (!strcmp(e->d_name, "f05"))
			CHECK(e->d_type == DT_REG);
		if (e->d_name[0] == 'f') {
			snprintf(name, sizeof(name), "d/%s", e->d_name);
			CHECK(unlink(name) == 0);
			seen++;
		}
	}
	CHECK(seen == 40);
	rewinddir(d);
	n = 0;
	while ((e = readdir(d)))
		n++;
	CHECK(n == 3);
	closedir(d);
	CHECK(opendir("nope") == NULL && errno == ENOENT);
	CHECK(put_file("plain", "") == 0);
	CHECK(opendir("plain") == NULL && errno == ENOTDIR);
}

struct lx_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

void test_getdents_small(void)
{
	char buf[256];
	int fd = open(".", O_RDONLY | O_DIRECTORY), f;
	long n;

	CHECK(fd >= 0);
	errno = 0;
	n = syscall(217, fd, buf, 8); /* getdents64: no entry fits */
	CHECK(n == -1 && errno == EINVAL);
	n = syscall(217, fd, buf, sizeof(buf));
	CHECK(n > 0);
	if (n > 0) {
		struct lx_dirent64 *e = (void *)buf;
		CHECK(e->reclen % 8 == 0 && e->reclen <= n && e->off > 0);
		/* seeking to d_off continues after that entry */
		CHECK(lseek(fd, e->off, SEEK_SET) == e->off);
		CHECK(syscall(217, fd, buf, sizeof(buf)) == n - e->reclen);
	}
	CHECK(syscall(217, fd, buf, sizeof(buf)) == 0); /* the end */
	/* the old getdents: d_type in the record's last byte */
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	n = syscall(78, fd, buf, sizeof(buf));
	CHECK(n > 0);
	if (n > 0) {
		unsigned short reclen = *(unsigned short *)(buf + 16);
		CHECK(!strcmp(buf + 18, ".") && buf[reclen - 1] == DT_DIR && reclen <= n);
	}
	f = open("file", O_CREAT | O_RDONLY, 0644);
	errno = 0;
	CHECK(syscall(217, f, buf, sizeof(buf)) == -1 && errno == ENOTDIR);
	close(f);
	close(fd);
}

void test_rename(void)
{
	char buf[16];
	struct stat st;
	int fd;

	CHECK(put_file("a", "AAA") == 0 && put_file("b", "B") == 0);
	fd = open("b", O_RDONLY); /* the replaced file stays readable */
	CHECK(rename("a", "b") == 0);
	CHECK_ERR(stat("a", &st), ENOENT);
	CHECK(get_file("b", buf, sizeof(buf)) == 3 && !strcmp(buf, "AAA"));
	CHECK(read(fd, buf, sizeof(buf)) == 1 && buf[0] == 'B');
	close(fd);
	CHECK(rename("b", "b") == 0);
	CHECK_ERR(rename("missing", "x"), ENOENT);
	CHECK(mkdir("d", 0755) == 0);
	CHECK_ERR(rename("b", "d"), EISDIR);
	CHECK_ERR(rename("d", "b"), ENOTDIR);
	CHECK(rename("b", "d/b") == 0 && get_file("d/b", buf, sizeof(buf)) == 3);
	CHECK(put_file("c", "C") == 0);
	CHECK_ERR(renameat2(AT_FDCWD, "c", AT_FDCWD, "d/b", RENAME_NOREPLACE), EEXIST);
	CHECK(renameat2(AT_FDCWD, "c", AT_FDCWD, "d/b", RENAME_EXCHANGE) == 0);
	CHECK(get_file("c", buf, sizeof(buf)) == 3 && get_file("d/b", buf, sizeof(buf)) == 1);
	/* two names of one file: rename does nothing */
	CHECK(link("c", "c2") == 0 && rename("c", "c2") == 0);
	CHECK(stat("c", &st) == 0 && stat("c2", &st) == 0);
}

void test_rename_dirs(void)
{
	char buf[64];

	CHECK(mkdir("a", 0755) == 0 && mkdir("a/in", 0755) == 0 && mkdir("b", 0755) == 0);
	CHECK(put_file("a/in/f", "deep") == 0);
	CHECK_ERR(rename("a", "a/in/x"), EINVAL); /* into itself */
	CHECK(put_file("b/x", "") == 0);
	CHECK_ERR(rename("a", "b"), ENOTEMPTY);
	CHECK(unlink("b/x") == 0);
	CHECK(rename("a", "b") == 0); /* over an empty directory */
	CHECK(get_file("b/in/f", buf, sizeof(buf)) == 4);
	CHECK(chdir("b/in") == 0);
	CHECK(rename("/tmp/fs-rename_dirs/b", "/tmp/fs-rename_dirs/c") == 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-rename_dirs/c/in"));
	CHECK(chdir("..") == 0 && getcwd(buf, sizeof(buf)) &&
	      !strcmp(buf, "/tmp/fs-rename_dirs/c"));
	CHECK_ERR(rename(".", "x"), EBUSY);
	/* exchanged directories both know their new places */
	CHECK(chdir("/tmp/fs-rename_dirs") == 0);
	CHECK(mkdir("x", 0755) == 0 && mkdir("x/inner", 0755) == 0 && mkdir("y", 0755) == 0);
	CHECK(chdir("y") == 0);
	CHECK(renameat2(AT_FDCWD, "../x/inner", AT_FDCWD, "../y", RENAME_EXCHANGE) == 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/fs-rename_dirs/x/inner"));
}

void test_link(void)
{
	struct stat a, b;
	char buf[8];

	CHECK(put_file("f", "data") == 0);
	CHECK(link("f", "g") == 0);
	CHECK(stat("f", &a) == 0 && stat("g", &b) == 0);
	CHECK(a.st_ino == b.st_ino && a.st_nlink == 2);
	CHECK_ERR(link("f", "g"), EEXIST);
	CHECK_ERR(link("missing", "h"), ENOENT);
	CHECK(mkdir("d", 0755) == 0);
	CHECK_ERR(link("d", "d2"), EPERM);
	CHECK(unlink("f") == 0);
	CHECK(stat("g", &b) == 0 && b.st_nlink == 1);
	CHECK(get_file("g", buf, sizeof(buf)) == 4);
	CHECK_ERR(link("g", "/dev/g"), EXDEV);
}

void test_symlink(void)
{
	char buf[64];
	struct stat st;

	CHECK(put_file("target", "T") == 0);
	CHECK(symlink("target", "rel") == 0);
	CHECK(symlink("/tmp/fs-symlink/target", "abs") == 0);
	CHECK(readlink("rel", buf, sizeof(buf)) == 6 && !memcmp(buf, "target", 6));
	CHECK(readlink("rel", buf, 3) == 3 && !memcmp(buf, "tar", 3)); /* truncated, no NUL */
	CHECK(stat("abs", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 1);
	CHECK(lstat("abs", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 22);
	CHECK_ERR(readlink("target", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(symlink("x", "rel"), EEXIST);
	CHECK(symlink("nowhere", "dangling") == 0);
	CHECK_ERR(stat("dangling", &st), ENOENT);
	CHECK(lstat("dangling", &st) == 0);
	/* through directories, relative to the link's own directory */
	CHECK(mkdir("d", 0755) == 0 && mkdir("d/e", 0755) == 0);
	CHECK(put_file("d/e/f", "deep") == 0);
	CHECK(symlink("d/e", "de") == 0 && symlink("../e/f", "d/e/up") == 0);
	CHECK(get_file("de/f", buf, sizeof(buf)) == 4);
	CHECK(get_file("de/up", buf, sizeof(buf)) == 4 && !strcmp(buf, "deep"));
	CHECK(get_file("de/../e/f", buf, sizeof(buf)) == 4); /* ".." is physical */
	CHECK(get_file("de/../target", buf, sizeof(buf)) == -1 && errno == ENOENT);
	CHECK_ERR(symlink("", "empty"), ENOENT);
	CHECK(unlink("rel") == 0 && stat("target", &st) == 0); /* the link, not the file */
}

void test_symlink_loop(void)
{
	struct stat st;
	char name[16], prev[16];

	CHECK(symlink("b", "a") == 0 && symlink("a", "b") == 0);
	CHECK_ERR(stat("a", &st), ELOOP);
	CHECK_ERR(open("a/x", O_RDONLY), ELOOP);
	CHECK(symlink("self/x", "self") == 0);
	CHECK_ERR(stat("self", &st), ELOOP);
	/* a chain of 30 links resolves; 50 is too many */
	CHECK(put_file("end", "E") == 0);
	strcpy(prev, "end");
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		CHECK(symlink(prev, name) == 0);
		strcpy(prev, name);
	}
	CHECK(stat("c29", &st) == 0 && st.st_size == 1);
	CHECK_ERR(stat("c49", &st), ELOOP);
}
