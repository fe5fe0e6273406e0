#define _GNU_SOURCE 1 /* dup3 */
/* Descriptors: dup, fcntl, close-on-exec, ioctl. */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fs.h"

void test_dup_shared_pos(void)
{
	char buf[4];
	int a, b, c;

	CHECK(put_file("f", "abcdef") == 0);
	a = open("f", O_RDONLY);
	b = dup(a);
	CHECK(b > a);
	CHECK(read(a, buf, 2) == 2);
	CHECK(read(b, buf, 2) == 2 && !memcmp(buf, "cd", 2)); /* one position */
	c = open("f", O_RDONLY); /* a separate open: its own position */
	CHECK(read(c, buf, 2) == 2 && !memcmp(buf, "ab", 2));
	CHECK(dup2(c, b) == b);
	CHECK(read(b, buf, 2) == 2 && !memcmp(buf, "cd", 2)); /* now c's */
	CHECK(dup2(a, a) == a);
	CHECK_ERR(dup2(99, a), EBADF);
	CHECK_ERR(dup3(a, a, 0), EINVAL);
	CHECK(close(a) == 0);
	CHECK(read(b, buf, 2) == 2 && !memcmp(buf, "ef", 2));
	close(b);
	close(c);
	/* dup2 to a large number */
	CHECK(dup2(1, 500) == 500);
	CHECK(write(500, "", 0) == 0);
	CHECK(close(500) == 0);
}

void test_fcntl(void)
{
	int fd, d;
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	fd = open("f", O_RDWR | O_CREAT, 0644);
	d = fcntl(fd, F_DUPFD, 40);
	CHECK(d >= 40);
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	CHECK(!(fcntl(fd, F_GETFL) & O_APPEND));
	CHECK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK) == 0);
	CHECK(fcntl(d, F_GETFL) & O_APPEND); /* flags belong to the open file */
	CHECK(fcntl(d, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(fd, F_SETLK, &lk) == 0);
	CHECK(fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type == F_UNLCK);
	CHECK(flock(fd, LOCK_EX) == 0 && flock(fd, LOCK_UN) == 0);
	CHECK_ERR(fcntl(fd, 12345), EINVAL);
	CHECK_ERR(fcntl(99, F_GETFL), EBADF);
	close(d);
	close(fd);
}

void test_cloexec(void)
{
	int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644), d;

	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
	d = dup(fd);
	CHECK(fcntl(d, F_GETFD) == 0); /* dup clears it */
	CHECK(fcntl(d, F_SETFD, FD_CLOEXEC) == 0 && fcntl(d, F_GETFD) == FD_CLOEXEC);
	CHECK(fcntl(fd, F_SETFD, 0) == 0 && fcntl(fd, F_GETFD) == 0);
	CHECK(dup3(fd, 60, O_CLOEXEC) == 60 && fcntl(60, F_GETFD) == FD_CLOEXEC);
	CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 0) > fd);
	CHECK(dup2(fd, 60) == 60 && fcntl(60, F_GETFD) == 0);
	close(60);
	close(d);
	close(fd);
}

void test_ioctl(void)
{
	int fd, n = -1, on = 1;
	struct winsize ws;

	CHECK(put_file("f", "0123456789") == 0);
	fd = open("f", O_RDONLY);
	CHECK(lseek(fd, 3, SEEK_SET) == 3);
	CHECK(ioctl(fd, FIONREAD, &n) == 0 && n == 7);
	CHECK(ioctl(fd, FIONBIO, &on) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK));
	on = 0;
	CHECK(ioctl(fd, FIONBIO, &on) == 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK));
	CHECK_ERR(ioctl(fd, TCGETS, &ws), ENOTTY);
	CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	close(fd);
	CHECK_ERR(ioctl(77, FIONREAD, &n), EBADF);
	/* the console: a terminal under QEMU, maybe not under ukrun */
	if (isatty(1))
		CHECK(ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0);
	else
		CHECK_ERR(ioctl(1, TIOCGWINSZ, &ws), ENOTTY);
}

void test_termios(void)
{
	struct termios t;
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	CHECK_ERR(tcgetattr(fd, &t), ENOTTY);
	close(fd);
	if (!isatty(1)) {
		CHECK_ERR(tcgetattr(1, &t), ENOTTY);
		return;
	}
	CHECK(tcgetattr(1, &t) == 0 && (t.c_lflag & ICANON) && (t.c_cflag & CSIZE) == CS8);
	CHECK(cfgetospeed(&t) == B38400);
	cfmakeraw(&t);
	CHECK(!(t.c_lflag & (ICANON | ECHO)) && t.c_cc[VMIN] == 1);
	CHECK(cfsetospeed(&t, B9600) == 0 && cfgetospeed(&t) == B9600);
	CHECK(tcsetattr(1, TCSANOW, &t) == 0 && tcdrain(1) == 0 && tcflush(0, TCIFLUSH) == 0);
	CHECK_ERR(tcsetattr(1, 7, &t), EINVAL);
	CHECK(tcgetpgrp(1) == 1);
}
