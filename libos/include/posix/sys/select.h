/*
 * newlib's <sys/select.h> with Linux's FD_SETSIZE (1024) unless the
 * program sets its own: newlib's default of 64 is too small for a server.
 * The kernel side reads as many bits as select's first argument says.
 */
#ifndef _UK_SYS_SELECT_H
#define _UK_SYS_SELECT_H

#ifndef FD_SETSIZE
#define FD_SETSIZE 1024
#endif

#include_next <sys/select.h>

#endif
