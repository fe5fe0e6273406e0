/*
 * The Internet checksum (lwip-port/chksum.c), for lwIP and the host tests.
 */
#ifndef UK_CHKSUM_H
#define UK_CHKSUM_H

#include <stdint.h>

/* The one's complement sum of the 16-bit words of len bytes at data,
 * folded to 16 bits, not inverted, in the machine's byte order (lwIP's
 * LWIP_CHKSUM: the same as its lwip_standard_chksum). data may be at any
 * address; an odd last byte counts as a word's first half. */
uint16_t uk_inet_sum(const void *data, int len);

#endif
