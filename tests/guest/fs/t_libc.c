/* The C library over the VFS: stdio, temporary files, the dirent API. */
#include <dirent.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fs.h"

void test_stdio(void)
{
	char line[64];
	FILE *f = fopen("notes.txt", "w");
	long pos;

	CHECK(f != NULL);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d\n", i);
	CHECK(fclose(f) == 0);
	f = fopen("notes.txt", "r+");
	CHECK(f && fgets(line, sizeof(line), f) && !strcmp(line, "line 0\n"));
	CHECK(fseek(f, -9, SEEK_END) == 0 && fgets(line, sizeof(line), f));
	CHECK(!strcmp(line, "line 999\n"));
	pos = ftell(f);
	CHECK(pos == 8890);
	CHECK(fseek(f, 0, SEEK_SET) == 0 && fputs("LINE", f) >= 0 && fflush(f) == 0);
	rewind(f);
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "LINE 0\n"));
	fclose(f);
	f = fopen("notes.txt", "a");
	fputs("appended\n", f);
	fclose(f);
	struct stat st;
	CHECK(stat("notes.txt", &st) == 0 && st.st_size == 8890 + 9);
	CHECK(fopen("missing/x", "r") == NULL && errno == ENOENT);
	CHECK(remove("notes.txt") == 0 && access("notes.txt", F_OK) == -1);
	CHECK(rename("nothing", "x") == -1 && errno == ENOENT);
}

void test_tempfiles(void)
{
	char tmpl[] = "/tmp/fs-tempfiles/dataXXXXXX", dtmpl[] = "/tmp/fs-tempfiles/dirXXXXXX";
	int fd = mkstemp(tmpl);
	struct stat st;

	CHECK(fd >= 0 && strncmp(tmpl, "/tmp/fs-tempfiles/data", 22) == 0 &&
	      strcmp(tmpl + 22, "XXXXXX"));
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	close(fd);
	CHECK(mkdtemp(dtmpl) != NULL && stat(dtmpl, &st) == 0 && S_ISDIR(st.st_mode));
	FILE *t = tmpfile();
	CHECK(t != NULL);
	if (t) {
		char buf[8] = { 0 };
		CHECK(fputs("temp", t) >= 0 && fseek(t, 0, SEEK_SET) == 0);
		CHECK(fread(buf, 1, 4, t) == 4 && !strcmp(buf, "temp"));
		fclose(t);
	}
}

static int only_f(const struct dirent *e) { return e->d_name[0] == 'f'; }

void test_dir_api(void)
{
	struct dirent **list, *e, ent, *res;
	char name[16];
	long mark = -1;
	int n, fd;
	DIR *d;

	for (int i = 5; i >= 0; i--) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK(put_file(name, "") == 0);
	}
	CHECK(mkdir("sub", 0755) == 0);
	n = scandir(".", &list, only_f, alphasort);
	CHECK(n == 6);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK(!strcmp(list[i]->d_name, name)); /* sorted */
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	/* telldir/seekdir come back to the same entry */
	d = opendir(".");
	CHECK(d != NULL);
	for (int i = 0; i < 3 && (e = readdir(d)); i++)
		mark = telldir(d);
	e = readdir(d);
	CHECK(e != NULL);
	strcpy(name, e ? e->d_name : "");
	seekdir(d, mark);
	e = readdir(d);
	CHECK(e && !strcmp(e->d_name, name));
	CHECK(readdir_r(d, &ent, &res) == 0 && res == &ent);
	fd = dirfd(d);
	CHECK(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC);
	CHECK(closedir(d) == 0);
	fd = open("sub", O_RDONLY | O_DIRECTORY);
	d = fdopendir(fd);
	n = 0;
	while (d && (e = readdir(d)))
		n++;
	CHECK(n == 2);
	closedir(d);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* closedir closed it */
}

static long mem_free_kb(void)
{
	char buf[512], *p;

	if (get_file("/proc/meminfo", buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "MemFree:")))
		return -1;
	return atol(p + 8);
}

/* Files, directories and links made and removed many times give their
 * memory back: references are counted right. */
void test_no_leak(void)
{
	static char data[10000];
	long before, after;

	for (int round = 0; round < 2; round++) {
		before = mem_free_kb();
		for (int i = 0; i < 300; i++) {
			int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
			CHECK(write(fd, data, sizeof(data)) == sizeof(data));
			CHECK(mkdir("d", 0755) == 0 && rename("f", "d/g") == 0);
			CHECK(symlink("d/g", "l") == 0 && link("d/g", "h") == 0);
			CHECK(unlink("d/g") == 0 && chdir("d") == 0 && chdir("..") == 0);
			CHECK(rmdir("d") == 0 && unlink("l") == 0 && unlink("h") == 0);
			close(fd); /* the last name went before the last descriptor */
		}
		after = mem_free_kb();
	}
	/* the second round starts with the heap's slabs already made */
	CHECK(before > 0 && after >= before - 16);
}

/* The POSIX terminal API of a link-mode program (libos/newlib/glue_pty.c),
 * which links pseudo-terminals into its image: a locked pair from
 * posix_openpt, its name, unlockpt, then a line through it; openpty's
 * pair with the window size asked for. */
void test_pty_api(void)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 }, got = { 0 };
	char name[32], buf[16];
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	CHECK(m >= 0 && ptsname(m) && !strncmp(ptsname(m), "/dev/pts/", 9));
	snprintf(name, sizeof(name), "%s", ptsname(m) ? ptsname(m) : "?");
	CHECK_ERR(open(name, O_RDWR | O_NOCTTY), EIO); /* locked */
	CHECK(grantpt(m) == 0 && unlockpt(m) == 0);
	s = open(name, O_RDWR | O_NOCTTY);
	CHECK(s >= 0 && isatty(s) && write(m, "hi\n", 3) == 3);
	CHECK(read(s, buf, sizeof(buf)) == 3 && !memcmp(buf, "hi\n", 3));
	CHECK(ptsname_r(s, buf, sizeof(buf)) == ENOTTY); /* a slave has no slave */
	close(s);
	close(m);
	CHECK(openpty(&m, &s, name, NULL, &ws) == 0 && !strncmp(name, "/dev/pts/", 9));
	CHECK(ioctl(m, TIOCGWINSZ, &got) == 0 && got.ws_row == 24 && got.ws_col == 80);
	close(s);
	close(m);
}

/* devpts unmounted and mounted again many times gives its memory back
 * (its root's vnode was kept at each unmount: 64 bytes). */
void test_devpts_remount(void)
{
	long before, after;
	int ok = 1;

	for (int round = 0; round < 2; round++) {
		before = mem_free_kb();
		for (int i = 0; i < 5000 && ok; i++)
			ok = !umount("/dev/pts") &&
			     !mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, NULL);
		after = mem_free_kb();
	}
	CHECK(ok);
	CHECK(before > 0 && after >= before - 16);
}
