/*
 * The Internet checksum for lwIP (LWIP_CHKSUM, lwipopts.h): the sum of a
 * buffer's 16-bit words in one's complement, 32 bytes a round. lwIP's own
 * adds 2 bytes a step, which the compiler cannot widen here (the library
 * OS has no vector registers): 1.4-1.7 GB/s against 9.8 on this machine's
 * host, and every byte the guest sends or receives without the device's
 * offload goes through it once (user networking: libslirp takes only
 * finished checksums), ~70 us of a 100 KiB answer. Pure code:
 * tests/unit/test_chksum.c holds it to a plain RFC 1071 sum for every
 * alignment and length.
 *
 * One's complement addition is the same in any word size once the carries
 * are folded back in (RFC 1071 2(B)), and in either byte order up to a
 * swap of the result (2(A)): the words are loaded in the machine's order
 * and the result is lwIP's "host order" sum of network-order data.
 */
#include <stdint.h>

#include "include/chksum.h"

static uint64_t add(uint64_t s, uint64_t v)
{
	s += v;
	return s + (s < v); /* the carry goes round */
}

/* Unaligned loads: __builtin_memcpy, one mov each (the library OS is built
 * freestanding, where a plain memcpy is a call to newlib's). */
static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
	return v;
}

uint16_t uk_inet_sum(const void *data, int len)
{
	const uint8_t *p = data;
	uint64_t s = 0, a = 0, b = 0, c = 0, d = 0;
	int odd = (uintptr_t)p & 1;
	uint32_t w;
	uint16_t h;

	if (len <= 0)
		return 0;
	/* From an odd address the sum is of the words one byte on, swapped
	 * at the end: the first byte is then a word's high half. */
	if (odd) {
		s = (uint64_t)*p++ << 8;
		len--;
	}
	/* The bulk as 32-bit halves into four 64-bit sums: no carry to
	 * fold back for 2^31 rounds (a length is an int), and four
	 * independent chains of additions. */
	for (; len >= 32; p += 32, len -= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16),
		         w3 = load64(p + 24);
		a += (w0 & 0xffffffff) + (w1 & 0xffffffff);
		b += (w0 >> 32) + (w1 >> 32);
		c += (w2 & 0xffffffff) + (w3 & 0xffffffff);
		d += (w2 >> 32) + (w3 >> 32);
	}
	a += c;
	b += d;
	s = add(add(s, a), b);
	for (; len >= 8; p += 8, len -= 8)
		s = add(s, load64(p));
	if (len >= 4) {
		__builtin_memcpy(&w, p, 4);
		s = add(s, w);
		p += 4, len -= 4;
	}
	if (len >= 2) {
		__builtin_memcpy(&h, p, 2);
		s = add(s, h);
		p += 2, len -= 2;
	}
	if (len)
		s = add(s, *p); /* the last byte is a word's low half in memory order */
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	if (odd)
		s = ((s & 0xff) << 8) | (s >> 8);
	return (uint16_t)s;
}
