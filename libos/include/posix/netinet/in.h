/* Internet addresses, Linux's values and layouts. */
#ifndef _UK_NETINET_IN_H
#define _UK_NETINET_IN_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct in_addr {
	in_addr_t s_addr;
};

struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port;
	struct in_addr sin_addr;
	unsigned char sin_zero[8];
};

struct in6_addr {
	union {
		uint8_t __u6_addr8[16];
		uint16_t __u6_addr16[8];
		uint32_t __u6_addr32[4];
	} __in6_u;
};
#define s6_addr __in6_u.__u6_addr8

/* The RFC 3493 tests a program may use on an address (a pointer). */
#define IN6_IS_ADDR_UNSPECIFIED(a)                                       \
	(!(a)->__in6_u.__u6_addr32[0] && !(a)->__in6_u.__u6_addr32[1] && \
	 !(a)->__in6_u.__u6_addr32[2] && !(a)->__in6_u.__u6_addr32[3])
#define IN6_IS_ADDR_LOOPBACK(a)                                          \
	(!(a)->__in6_u.__u6_addr32[0] && !(a)->__in6_u.__u6_addr32[1] && \
	 !(a)->__in6_u.__u6_addr32[2] && (a)->__in6_u.__u6_addr32[3] == htonl(1))
#define IN6_IS_ADDR_V4MAPPED(a)                                          \
	(!(a)->__in6_u.__u6_addr32[0] && !(a)->__in6_u.__u6_addr32[1] && \
	 (a)->__in6_u.__u6_addr32[2] == htonl(0xffff))
#define IN6_IS_ADDR_LINKLOCAL(a) (((a)->s6_addr[0] == 0xfe) && (((a)->s6_addr[1] & 0xc0) == 0x80))
#define IN6_IS_ADDR_MULTICAST(a) ((a)->s6_addr[0] == 0xff)

struct sockaddr_in6 {
	sa_family_t sin6_family;
	in_port_t sin6_port;
	uint32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	uint32_t sin6_scope_id;
};

struct ip_mreq {
	struct in_addr imr_multiaddr;
	struct in_addr imr_interface;
};

extern const struct in6_addr in6addr_any, in6addr_loopback;
#define IN6ADDR_ANY_INIT          \
	{                         \
		{                 \
			{         \
				0 \
			}         \
		}                 \
	}
#define IN6ADDR_LOOPBACK_INIT                                                  \
	{                                                                      \
		{                                                              \
			{                                                      \
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 \
			}                                                      \
		}                                                              \
	}

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_ICMPV6 58
#define IPPROTO_RAW 255

#define INADDR_ANY ((in_addr_t)0x00000000)
#define INADDR_BROADCAST ((in_addr_t)0xffffffff)
#define INADDR_NONE ((in_addr_t)0xffffffff)
#define INADDR_LOOPBACK ((in_addr_t)0x7f000001)

#define INET_ADDRSTRLEN 16
#define INET6_ADDRSTRLEN 46

#define IP_TOS 1
#define IP_TTL 2
#define IP_HDRINCL 3
#define IP_OPTIONS 4
#define IP_RECVERR 11
#define IP_MULTICAST_IF 32
#define IP_MULTICAST_TTL 33
#define IP_MULTICAST_LOOP 34
#define IP_ADD_MEMBERSHIP 35
#define IP_DROP_MEMBERSHIP 36
#define IPV6_V6ONLY 26
#define IPV6_RECVERR 25

#define IN_LOOPBACK(a) ((((in_addr_t)(a)) & 0xff000000) == 0x7f000000)
#define IN_MULTICAST(a) ((((in_addr_t)(a)) & 0xf0000000) == 0xe0000000)

#define htons(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define ntohs(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define htonl(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define ntohl(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))

#ifdef __cplusplus
}
#endif

#endif
