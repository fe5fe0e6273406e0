/*
 * A link-mode program that opens /dev/ptmx but calls none of the POSIX
 * terminal API: its image has no pseudo-terminals (libos/newlib/glue_pty.c
 * is what links them), so the open fails with ENODEV (--trace says why),
 * devpts cannot be mounted and /dev/pts is empty; /dev/tty is the console
 * still. Prints "noterm: ok" when all of that holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(void)
{
	int bad = 0, fd, n = 0;
	DIR *d;

	errno = 0;
	if ((fd = open("/dev/ptmx", O_RDWR | O_NOCTTY)) >= 0 || errno != ENODEV)
		printf("FAIL noterm: open(/dev/ptmx) gave %d, %s\n", fd, strerror(errno)), bad++;
	errno = 0;
	if (mount("devpts", "/tmp", "devpts", 0, NULL) == 0 || errno != ENODEV)
		printf("FAIL noterm: mount(devpts): %s\n", strerror(errno)), bad++;
	if ((d = opendir("/dev/pts"))) {
		while (readdir(d))
			n++;
		closedir(d);
	}
	if (n != 2)
		printf("FAIL noterm: /dev/pts has %d entries, not . and ..\n", n), bad++;
	if ((fd = open("/dev/tty", O_WRONLY)) < 0 || write(fd, "tty\n", 4) != 4)
		printf("FAIL noterm: /dev/tty: %s\n", strerror(errno)), bad++;
	if (!bad)
		printf("noterm: ok\n");
	return bad;
}
