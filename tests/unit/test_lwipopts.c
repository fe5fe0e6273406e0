/* What lwipopts.h changes in lwIP's own arithmetic: the first ephemeral
 * TCP port drawn from any random number, and the step lwIP's
 * tcp_new_port takes from it (restated: increment, back to the start at
 * the range's end), stay inside the range and never reach 0 (lwIP's own
 * draw could be 65535, whose step is 0). */
#include <stdint.h>

typedef uint16_t u16_t;
#include "../../lwip-port/include/lwipopts.h"
#include "unit.h"

static u16_t next_port(u16_t port)
{
	port++;
	if (port == TCP_LOCAL_PORT_RANGE_END)
		port = TCP_LOCAL_PORT_RANGE_START;
	return port;
}

static int in_range(u16_t p)
{
	return p >= TCP_LOCAL_PORT_RANGE_START && p < TCP_LOCAL_PORT_RANGE_END;
}

static int good_draw(uint32_t r)
{
	u16_t p = TCP_ENSURE_LOCAL_PORT_RANGE(r);

	return in_range(p) && in_range(next_port(p));
}

TEST(first_port_from_any_draw)
{
	uint32_t bad = 0, r = 0;

	do /* every 16-bit draw, then every 32-bit one with low bits all ones */
		bad += !good_draw(r);
	while (++r <= 0x1ffff);
	for (int bits = 17; bits <= 32; bits++)
		bad += !good_draw((uint32_t)((1ull << bits) - 1));
	EXPECT(bad == 0);
}

int main(void)
{
	RUN("lwipopts", first_port_from_any_draw);
	return unit_failures != 0;
}
