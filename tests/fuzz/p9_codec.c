/*
 * libFuzzer target: the 9P2000.L codec on arbitrary bytes. Whatever decodes
 * must re-encode to exactly the same bytes (the wire format has one
 * encoding per message), and every directory entry of an Rreaddir must
 * decode without reading past its payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uk/p9.h>

static uint8_t out[1 << 20];

static void walk_dirents(const struct p9_msg *m)
{
	struct p9_dirent d;
	size_t pos = 0;
	int r;

	while ((r = p9_dirent_next(m->u.rreaddir.data, m->u.rreaddir.count, &pos, &d)) == 1)
		if (pos > m->u.rreaddir.count)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p9_msg m;
	uint32_t n;

	if (p9_unpack(data, size, &m) != 0)
		return 0;
	if (m.type == P9_RREADDIR)
		walk_dirents(&m);
	n = p9_pack(out, sizeof(out), &m);
	if (size > sizeof(out))
		return 0;
	if (n != size || memcmp(out, data, size) != 0)
		abort();
	if (p9_packed_header(&m) != n)
		abort();
	return 0;
}
