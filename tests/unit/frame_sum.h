/* For the tests that make frames: the ones' complement sum of n bytes
 * added to s (folded, not inverted), and a 16-bit field big-endian. */
#ifndef FRAME_SUM_H
#define FRAME_SUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static inline void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

#endif
