/*
 * openpty (glibc's <pty.h>): a pseudo-terminal pair, libos/newlib/glue_pty.c.
 * A link-mode program cannot fork, so there is no forkpty or login_tty.
 */
#ifndef _UK_PTY_H
#define _UK_PTY_H

#include <sys/ioctl.h>
#include <termios.h>

#ifdef __cplusplus
extern "C" {
#endif

int openpty(int *master, int *slave, char *name, const struct termios *tio,
            const struct winsize *ws);

#ifdef __cplusplus
}
#endif

#endif
