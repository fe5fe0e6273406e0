/* IPv4 (the socket options live in <netinet/in.h>). */
#ifndef _UK_NETINET_IP_H
#define _UK_NETINET_IP_H

#include <netinet/in.h>

#define IPTOS_LOWDELAY 0x10
#define IPTOS_THROUGHPUT 0x08
#define IPTOS_RELIABILITY 0x04
#define IPDEFTTL 64
#define IPVERSION 4

#endif
