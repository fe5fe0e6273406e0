/* The Internet checksum lwIP uses in the guest (lwip-port/chksum.c)
 * against a plain RFC 1071 sum, 16 bits at a time: every alignment, every
 * length up to a few frames, and the buffers whose carries go round most
 * (all ones) or not at all (zeros). */
#include <stdlib.h>
#include <string.h>

#include "../../lwip-port/include/chksum.h"
#include "unit.h"

/* lwIP's convention: words as the machine loads them, pairs from the
 * first byte, a last odd byte as a word's first byte in memory. */
static uint16_t reference(const uint8_t *p, int len)
{
	uint32_t s = 0;
	uint16_t w;

	for (int i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		s += w;
	}
	if (len & 1) {
		uint8_t last[2] = { p[len - 1], 0 };
		memcpy(&w, last, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static int agrees(const uint8_t *buf, int len)
{
	return uk_inet_sum(buf, len) == reference(buf, len);
}

TEST(every_alignment_and_length)
{
	static uint8_t buf[4096 + 8];

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (int off = 0; off < 8; off++)
		for (int len = 0; len <= 4096; len += len < 80 ? 1 : 37)
			EXPECT(agrees(buf + off, len));
}

TEST(carries)
{
	static uint8_t ones[65536 + 1], zeros[64];

	memset(ones, 0xff, sizeof(ones));
	EXPECT(agrees(ones, 65536) && agrees(ones + 1, 65535) && agrees(ones, 65535));
	EXPECT(uk_inet_sum(ones, 65536) == 0xffff);
	EXPECT(agrees(zeros, 64) && uk_inet_sum(zeros, 64) == 0);
	EXPECT(uk_inet_sum(ones, 0) == 0 && uk_inet_sum(ones, -1) == 0);
}

TEST(random_buffers)
{
	static uint8_t buf[70000];

	srand(2);
	for (int n = 0; n < 200; n++) {
		int len = rand() % 65536, off = rand() % 8;
		uint8_t fill = (uint8_t)rand();
		for (int i = 0; i < len; i++) /* runs of one byte, then noise */
			buf[off + i] = i % 1000 < 500 ? fill : (uint8_t)rand();
		EXPECT(agrees(buf + off, len));
	}
}

int main(void)
{
	RUN("chksum", every_alignment_and_length);
	RUN("chksum", carries);
	RUN("chksum", random_buffers);
	return unit_failures != 0;
}
