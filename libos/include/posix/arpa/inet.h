/* Address conversions (libos/newlib/glue_net.c). */
#ifndef _UK_ARPA_INET_H
#define _UK_ARPA_INET_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

in_addr_t inet_addr(const char *s);
int inet_aton(const char *s, struct in_addr *a);
char *inet_ntoa(struct in_addr a);
int inet_pton(int af, const char *s, void *dst);
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
in_addr_t inet_network(const char *s);

#ifdef __cplusplus
}
#endif

#endif
