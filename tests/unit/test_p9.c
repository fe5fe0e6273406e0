/* Unit tests of the 9P2000.L codec (virtio/p9.c). */
#include <stdint.h>
#include <string.h>
#include <uk/p9.h>

#include "unit.h"

static uint8_t buf[65536], buf2[65536];

/* A message of every type the codec knows, each field set to a value
 * derived from its position so a swapped or dropped field shows. */
static void fill(struct p9_msg *m, unsigned type)
{
	static const char *names[] = { "a", "bb", "ccc", "", "eeeee" };
	uint8_t *raw = (uint8_t *)&m->u;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	m->tag = (uint16_t)(0x100 + type);
	for (i = 0; i < sizeof(m->u); i++)
		raw[i] = (uint8_t)(i * 7 + type);
	switch (type) {
	case P9_TVERSION:
	case P9_RVERSION: m->u.version.version = p9_str(P9_VERSION_L); break;
	case P9_TAUTH:
		m->u.tauth.uname = p9_str("user");
		m->u.tauth.aname = p9_str("/srv");
		break;
	case P9_TATTACH:
		m->u.tattach.uname = p9_str("root");
		m->u.tattach.aname = p9_str("");
		break;
	case P9_TLCREATE: m->u.tlcreate.name = p9_str("new file"); break;
	case P9_TSYMLINK:
		m->u.tsymlink.name = p9_str("l");
		m->u.tsymlink.target = p9_str("../target");
		break;
	case P9_TMKNOD: m->u.tmknod.name = p9_str("node"); break;
	case P9_TRENAME: m->u.trename.name = p9_str("to"); break;
	case P9_RREADLINK: m->u.rreadlink.target = p9_str("/x/y"); break;
	case P9_TXATTRWALK: m->u.txattrwalk.name = p9_str("user.x"); break;
	case P9_TXATTRCREATE: m->u.txattrcreate.name = p9_str("user.y"); break;
	case P9_RREADDIR:
	case P9_RREAD:
		m->u.rread.data = "hello, world";
		m->u.rread.count = 12;
		break;
	case P9_TWRITE:
		m->u.twrite.d.data = "payload";
		m->u.twrite.d.count = 7;
		break;
	case P9_TLOCK: m->u.tlock.client_id = p9_str("guest"); break;
	case P9_TGETLOCK:
	case P9_RGETLOCK: m->u.getlock.client_id = p9_str("cid"); break;
	case P9_TLINK: m->u.tlink.name = p9_str("hard"); break;
	case P9_TMKDIR: m->u.tmkdir.name = p9_str("dir"); break;
	case P9_TRENAMEAT:
		m->u.trenameat.oldname = p9_str("old");
		m->u.trenameat.newname = p9_str("new");
		break;
	case P9_TUNLINKAT: m->u.tunlinkat.name = p9_str("gone"); break;
	case P9_TWALK:
		m->u.twalk.nwname = 5;
		for (i = 0; i < 5; i++)
			m->u.twalk.wname[i] = p9_str(names[i]);
		break;
	case P9_RWALK: m->u.rwalk.nwqid = P9_MAXWELEM; break;
	}
}

/* From type *t on, the first known type (*t set to it) filled into m and
 * packed into buf: its size; 0 when none is left. (round_trip_every_type
 * counts them: a type that would not pack ends its loop early.) */
static uint32_t next_packed(struct p9_msg *m, unsigned *t)
{
	for (; *t < P9_TYPE_MAX; (*t)++)
		if (p9_type_name(*t)) {
			fill(m, *t);
			return p9_pack(buf, sizeof(buf), m);
		}
	return 0;
}

/* Every known type: pack, unpack, pack again gives the same bytes, and
 * the size predicted by p9_packed_header agrees. */
TEST(round_trip_every_type)
{
	struct p9_msg m, back;
	unsigned t, known = 0;
	uint32_t n, n2;

	for (t = 0; (n = next_packed(&m, &t)); t++) {
		known++;
		EXPECT(n >= P9_HDR_SIZE);
		EXPECT(p9_packed_header(&m) == n);
		EXPECT(p9_msg_size(buf, n) == n);
		EXPECT(p9_unpack(buf, n, &back) == 0);
		EXPECT(back.type == t && back.tag == m.tag);
		n2 = p9_pack(buf2, sizeof(buf2), &back);
		EXPECT(n2 == n && memcmp(buf, buf2, n) == 0);
	}
	EXPECT(known == 57);
}

TEST(fields_decode_to_their_values)
{
	struct p9_msg m, back;
	uint32_t n;

	fill(&m, P9_TWALK);
	m.u.twalk.fid = 11;
	m.u.twalk.newfid = 12;
	n = p9_pack(buf, sizeof(buf), &m);
	EXPECT(p9_unpack(buf, n, &back) == 0);
	EXPECT(back.u.twalk.fid == 11 && back.u.twalk.newfid == 12);
	EXPECT(back.u.twalk.nwname == 5);
	EXPECT(p9_str_eq(back.u.twalk.wname[1], "bb"));
	EXPECT(p9_str_eq(back.u.twalk.wname[3], ""));
	EXPECT(!p9_str_eq(back.u.twalk.wname[2], "cc"));
	EXPECT(!p9_str_eq(back.u.twalk.wname[2], "cccc"));

	fill(&m, P9_RGETATTR);
	m.u.rgetattr.size = 0x1122334455667788ull;
	m.u.rgetattr.qid = (struct p9_qid){ P9_QTDIR, 9, 77 };
	m.u.rgetattr.data_version = 5;
	n = p9_pack(buf, sizeof(buf), &m);
	EXPECT(n == P9_HDR_SIZE + 8 + 13 + 3 * 4 + 15 * 8);
	EXPECT(p9_unpack(buf, n, &back) == 0);
	EXPECT(back.u.rgetattr.size == 0x1122334455667788ull);
	EXPECT(back.u.rgetattr.qid.type == P9_QTDIR && back.u.rgetattr.qid.path == 77);
	EXPECT(back.u.rgetattr.data_version == 5);
}

/* Bytes written down by hand from the spec, not by our encoder. */
TEST(known_bytes_tversion)
{
	static const uint8_t want[] = { 21, 0, 0,   0,   100, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00,
		                        8,  0, '9', 'P', '2', '0',  '0',  '0',  '.',  'L' };
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };

	m.u.version.msize = 0x80000;
	m.u.version.version = p9_str(P9_VERSION_L);
	EXPECT(p9_pack(buf, sizeof(buf), &m) == sizeof(want));
	EXPECT(memcmp(buf, want, sizeof(want)) == 0);
	EXPECT(p9_unpack(want, sizeof(want), &m) == 0);
	EXPECT(m.u.version.msize == 0x80000 && p9_str_eq(m.u.version.version, "9P2000.L"));
}

TEST(every_truncation_is_refused)
{
	struct p9_msg m, back;
	unsigned t;
	uint32_t n, cut;

	for (t = 0; (n = next_packed(&m, &t)); t++)
		for (cut = 0; cut < n; cut++) {
			/* fix the size field so only the body is short */
			if (cut >= 4) {
				buf[0] = (uint8_t)cut;
				buf[1] = (uint8_t)(cut >> 8);
			}
			EXPECT(p9_unpack(buf, cut, &back) < 0);
		}
}

TEST(trailing_bytes_and_bad_size_are_refused)
{
	struct p9_msg m, back;
	uint32_t n;

	fill(&m, P9_TCLUNK);
	n = p9_pack(buf, sizeof(buf), &m);
	EXPECT(p9_unpack(buf, n - 1, &back) == -P9_EMSGSIZE);
	buf[n] = 0;
	EXPECT(p9_unpack(buf, n + 1, &back) == -P9_EMSGSIZE);
	buf[0] = (uint8_t)(n + 1);
	EXPECT(p9_unpack(buf, n + 1, &back) == -P9_EPROTO);
	memset(buf, 0xff, 4);
	EXPECT(p9_unpack(buf, n, &back) == -P9_EMSGSIZE);
}

TEST(nul_in_a_string_is_refused)
{
	struct p9_msg m, back;
	uint32_t n;

	m = (struct p9_msg){ .type = P9_TMKDIR, .tag = 1 };
	m.u.tmkdir.name = (struct p9_str){ "a\0b", 3 };
	n = p9_pack(buf, sizeof(buf), &m);
	EXPECT(n > 0);
	EXPECT(p9_unpack(buf, n, &back) == -P9_EPROTO);
}

TEST(too_many_walk_names_are_refused)
{
	struct p9_msg m, back;
	uint32_t n;

	fill(&m, P9_TWALK);
	m.u.twalk.nwname = P9_MAXWELEM + 1;
	EXPECT(p9_pack(buf, sizeof(buf), &m) == 0);
	m.u.twalk.nwname = 1;
	n = p9_pack(buf, sizeof(buf), &m);
	buf[15] = P9_MAXWELEM + 1; /* size4 type1 tag2 fid4 newfid4 -> nwname */
	EXPECT(p9_unpack(buf, n, &back) == -P9_EPROTO);
}

TEST(data_longer_than_the_message_is_refused)
{
	struct p9_msg m, back;
	uint32_t n;

	fill(&m, P9_TWRITE);
	n = p9_pack(buf, sizeof(buf), &m);
	EXPECT(n == P9_IOHDR_SIZE + 7);
	buf[19] = 8; /* count */
	EXPECT(p9_unpack(buf, n, &back) == -P9_EPROTO);
	buf[19] = 7;
	buf[22] = 0x80; /* a count of 2^31+7 must not wrap a length check */
	EXPECT(p9_unpack(buf, n, &back) == -P9_EPROTO);
	buf[22] = 0;
	EXPECT(p9_unpack(buf, n, &back) == 0);
	EXPECT(back.u.twrite.d.count == 7 && memcmp(back.u.twrite.d.data, "payload", 7) == 0);
}

TEST(unknown_type_keeps_the_tag)
{
	static const uint8_t msg[] = {
		11, 0, 0, 0, 112, 0x34, 0x12, 1, 2, 3, 4
	}; /* Topen (9P2000) */
	struct p9_msg m;

	EXPECT(p9_unpack(msg, sizeof(msg), &m) == -P9_EOPNOTSUPP);
	EXPECT(m.type == 112 && m.tag == 0x1234);
	EXPECT(p9_unpack(msg, 3, &m) == -P9_EPROTO);
}

TEST(pack_never_overruns)
{
	struct p9_msg m;
	unsigned t;
	uint32_t n, cap;

	for (t = 0; (n = next_packed(&m, &t)); t++)
		for (cap = 0; cap < n; cap++) {
			memset(buf2, 0xa5, sizeof(buf2));
			EXPECT(p9_pack(buf2, cap, &m) == 0);
			EXPECT(buf2[cap] == 0xa5);
		}
}

TEST(payload_left_to_the_caller)
{
	struct p9_msg m = { .type = P9_RREAD, .tag = 3 }, back;
	uint32_t n;

	m.u.rread.count = 4096;
	n = p9_pack(buf, 11, &m);
	EXPECT(n == 11 + 4096);
	EXPECT(p9_packed_header(&m) == 11);
	memset(buf + 11, 'x', 4096);
	EXPECT(p9_unpack(buf, n, &back) == 0);
	EXPECT(back.u.rread.count == 4096 && ((const char *)back.u.rread.data)[4095] == 'x');
}

TEST(error_reply)
{
	struct p9_msg m;

	EXPECT(p9_pack_error(buf, 10, 7, 2) == 0);
	EXPECT(p9_pack_error(buf, sizeof(buf), 7, 2) == 11);
	EXPECT(p9_unpack(buf, 11, &m) == 0);
	EXPECT(m.type == P9_RLERROR && m.tag == 7 && m.u.rlerror.ecode == 2);
}

TEST(dirents)
{
	struct p9_dirent d = { { P9_QTFILE, 0, 42 }, 100, 8, { "file", 4 } }, out;
	size_t pos = 0, rpos = 0;
	int i;

	for (i = 0; i < 3; i++) {
		d.offset = 100 + i;
		EXPECT(p9_dirent_pack(buf, 90, &pos, &d) == 0);
	}
	EXPECT(pos == 3 * (13 + 8 + 1 + 2 + 4));
	EXPECT(p9_dirent_pack(buf, 90, &pos, &d) == -1); /* no room for a fourth */
	EXPECT(pos == 84);
	for (i = 0; i < 3; i++) {
		EXPECT(p9_dirent_next(buf, pos, &rpos, &out) == 1);
		EXPECT(out.offset == 100u + i && out.qid.path == 42 && p9_str_eq(out.name, "file"));
	}
	EXPECT(p9_dirent_next(buf, pos, &rpos, &out) == 0);
	rpos = 0;
	EXPECT(p9_dirent_next(buf, pos - 1, &rpos, &out) == 1);
	EXPECT(p9_dirent_next(buf, pos - 1, &rpos, &out) == 1);
	EXPECT(p9_dirent_next(buf, pos - 1, &rpos, &out) == -1);
	rpos = pos + 5;
	EXPECT(p9_dirent_next(buf, pos, &rpos, &out) == 0);
}

TEST(strings)
{
	char small[4];
	struct p9_str s = p9_str("abc");

	EXPECT(s.len == 3);
	EXPECT(p9_str_copy(small, sizeof(small), s) == 0 && strcmp(small, "abc") == 0);
	s = p9_str("abcd");
	EXPECT(p9_str_copy(small, sizeof(small), s) == -1);
	EXPECT(p9_str(NULL).s == NULL);
	{
		static char big[70000];
		memset(big, 'a', sizeof(big) - 1);
		EXPECT(p9_str(big).s == NULL && p9_str(big).len == 0);
	}
}

int main(void)
{
	RUN("p9", round_trip_every_type);
	RUN("p9", fields_decode_to_their_values);
	RUN("p9", known_bytes_tversion);
	RUN("p9", every_truncation_is_refused);
	RUN("p9", trailing_bytes_and_bad_size_are_refused);
	RUN("p9", nul_in_a_string_is_refused);
	RUN("p9", too_many_walk_names_are_refused);
	RUN("p9", data_longer_than_the_message_is_refused);
	RUN("p9", unknown_type_keeps_the_tag);
	RUN("p9", pack_never_overruns);
	RUN("p9", payload_left_to_the_caller);
	RUN("p9", error_reply);
	RUN("p9", dirents);
	RUN("p9", strings);
	return unit_failures ? 1 : 0;
}
