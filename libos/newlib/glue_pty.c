/*
 * newlib glue: the POSIX terminal API, pseudo-terminals (see glue.c for
 * the conventions). newlib has none of it: these are glibc's, over
 * /dev/ptmx and its requests (libos/fs/devpts.c).
 *
 * This file is what links pseudo-terminals into a link-mode image: it is
 * in the lazy archive, so only a program that calls one of these links it,
 * and its reference to uk_devpts_init links devpts and the line
 * discipline, which boot then sets up. A program that opens /dev/ptmx
 * without calling any of these finds no pseudo-terminals (ENODEV, with a
 * note under --trace), as a kernel built without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

void uk_devpts_init(void);
void (*const uk_glue_pty_links)(void) = uk_devpts_init;

int posix_openpt(int flags) { return open("/dev/ptmx", flags); }

/* devpts gives the slave to its opener already (glibc's grantpt on devpts
 * only checks that fd is a master). */
int grantpt(int fd)
{
	unsigned n;

	return ioctl(fd, TIOCGPTN, &n) ? -1 : 0;
}

int unlockpt(int fd)
{
	int unlock = 0;

	return ioctl(fd, TIOCSPTLCK, &unlock);
}

int ptsname_r(int fd, char *buf, size_t len)
{
	unsigned n;
	int saved = errno;

	if (ioctl(fd, TIOCGPTN, &n)) {
		int r = errno == EINVAL ? ENOTTY : errno; /* (as glibc's) */
		errno = saved;
		return r;
	}
	if ((size_t)snprintf(buf, len, "/dev/pts/%u", n) >= len)
		return ERANGE;
	return 0;
}

char *ptsname(int fd)
{
	static char name[32];
	int r = ptsname_r(fd, name, sizeof(name));

	if (r) {
		errno = r;
		return NULL;
	}
	return name;
}

int openpty(int *master, int *slave, char *name, const struct termios *tio,
            const struct winsize *ws)
{
	char path[32];
	int m, s = -1;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) < 0)
		return -1;
	if (unlockpt(m) || ptsname_r(m, path, sizeof(path)) ||
	    (s = ioctl(m, TIOCGPTPEER, 02 | 0400 /* Linux's O_RDWR | O_NOCTTY */)) < 0)
		goto fail;
	if ((tio && tcsetattr(s, TCSANOW, tio)) || (ws && ioctl(s, TIOCSWINSZ, ws)))
		goto fail;
	if (name)
		strcpy(name, path);
	*master = m;
	*slave = s;
	return 0;
fail:
	if (s >= 0)
		close(s);
	close(m);
	return -1;
}
