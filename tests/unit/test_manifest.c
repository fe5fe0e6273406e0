/* The manifest: round trip through libfdt, and corrupt trees refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <uk/manifest.h>

#include "../../image/manifest.h"
#include "unit.h"

static char buf[65536];

TEST(round_trip)
{
	struct uki_manifest m = { 0 }, r;
	int n;

	uki_strlist_add(&m.entrypoint, "/usr/bin/redis-server");
	uki_strlist_add(&m.cmd, "--port");
	uki_strlist_add(&m.cmd, ""); /* empty arguments survive */
	uki_strlist_add(&m.env, "PATH=/usr/bin:/bin");
	uki_strlist_add(&m.env, "A=b=c");
	uki_strlist_add(&m.ports, "6379/tcp");
	EXPECT(uki_manifest_add_volume(&m, "/data/") == 0);
	EXPECT(uki_manifest_add_volume(&m, "/data") == 0); /* a repeat, ignored */
	EXPECT(uki_manifest_add_volume(&m, "/var/log") == 0);
	EXPECT(uki_manifest_add_volume(&m, "/") == -EINVAL);
	EXPECT(uki_manifest_add_volume(&m, "data") == -EINVAL);
	EXPECT(uki_manifest_add_volume(&m, "/a/../b") == -EINVAL);
	EXPECT(uki_manifest_add_volume(&m, "/a/..") == -EINVAL);
	EXPECT(uki_manifest_add_volume(&m, "/a//b") == -EINVAL);
	m.workdir = strdup("/data");
	m.user = strdup("999:999");
	m.mem = 256ull << 20;
	n = uki_manifest_write(&m, buf, sizeof(buf));
	EXPECT(n > 0);
	EXPECT(uki_manifest_read(buf, n, &r) == 0);
	EXPECT(r.entrypoint.n == 1 && !strcmp(r.entrypoint.v[0], "/usr/bin/redis-server"));
	EXPECT(r.cmd.n == 2 && !strcmp(r.cmd.v[0], "--port") && !strcmp(r.cmd.v[1], ""));
	EXPECT(r.env.n == 2 && !strcmp(r.env.v[1], "A=b=c"));
	EXPECT(r.ports.n == 1 && !strcmp(r.ports.v[0], "6379/tcp"));
	EXPECT(r.volumes.n == 2 && !strcmp(r.volumes.v[0], "/data") &&
	       !strcmp(r.volumes.v[1], "/var/log"));
	EXPECT(r.workdir && !strcmp(r.workdir, "/data"));
	EXPECT(r.user && !strcmp(r.user, "999:999"));
	EXPECT(r.mem == 256ull << 20);
	EXPECT(r.cmd.v[2] == NULL); /* lists stay NULL-terminated */
	uki_manifest_free(&r);
	uki_manifest_free(&m);
}

TEST(empty)
{
	struct uki_manifest m = { 0 }, r;
	int n = uki_manifest_write(&m, buf, sizeof(buf));

	EXPECT(n > 0);
	EXPECT(uki_manifest_read(buf, n, &r) == 0);
	EXPECT(r.entrypoint.n == 0 && r.cmd.n == 0 && !r.workdir && r.mem == 0);
	uki_manifest_free(&r);
}

TEST(too_small)
{
	struct uki_manifest m = { 0 };
	char small[64];

	uki_strlist_add(&m.cmd, "an argument longer than the buffer we give it");
	EXPECT(uki_manifest_write(&m, small, sizeof(small)) == -ENOSPC);
	uki_manifest_free(&m);
}

/* Every truncation and many byte flips: refused or read, never a crash. */
TEST(corrupt)
{
	struct uki_manifest m = { 0 }, r;
	static char bad[65536];
	int n;

	uki_strlist_add(&m.cmd, "x");
	uki_strlist_add(&m.env, "K=V");
	n = uki_manifest_write(&m, buf, sizeof(buf));
	EXPECT(n > 0);
	for (int len = 0; len < n; len++)
		EXPECT(uki_manifest_read(buf, len, &r) == -EINVAL);
	srand(1);
	for (int i = 0; i < 20000; i++) {
		memcpy(bad, buf, n);
		for (int k = 0; k < 1 + i % 4; k++)
			bad[rand() % n] = (char)rand();
		if (uki_manifest_read(bad, n, &r) == 0)
			uki_manifest_free(&r);
	}
	EXPECT(uki_manifest_read("not a tree at all, definitely", 30, &r) == -EINVAL);
	uki_manifest_free(&m);
}

/* The reader ukrun and the library OS share: in place, nothing copied. */
TEST(reader)
{
	struct uki_manifest m = { 0 };
	struct uk_mf mf;
	const char *p;
	int n, pos = 0, len;

	uki_strlist_add(&m.cmd, "--port");
	uki_strlist_add(&m.cmd, "");
	uki_strlist_add(&m.cmd, "6379");
	m.user = strdup("1000:50");
	m.workdir = strdup("/srv");
	n = uki_manifest_write(&m, buf, sizeof(buf));
	EXPECT(n > 0 && uk_mf_read(&mf, buf, n) == 0 && mf.present);
	EXPECT((p = uk_mf_next(&mf.cmd, &pos, &len)) && len == 6 && !strcmp(p, "--port"));
	EXPECT((p = uk_mf_next(&mf.cmd, &pos, &len)) && len == 0);
	EXPECT((p = uk_mf_next(&mf.cmd, &pos, &len)) && len == 4 && !strcmp(p, "6379"));
	EXPECT(!uk_mf_next(&mf.cmd, &pos, &len));
	pos = 0;
	EXPECT(!uk_mf_next(&mf.entrypoint, &pos, &len)); /* absent: no strings */
	EXPECT(mf.has_ids && mf.uid == 1000 && mf.gid == 50);
	EXPECT(mf.workdir && !strcmp(mf.workdir, "/srv") && !mf.mode && mf.mem == 0);
	EXPECT((uintptr_t)mf.workdir > (uintptr_t)buf &&
	       (uintptr_t)mf.workdir < (uintptr_t)buf + n);
	uki_manifest_free(&m);

	/* a user name is no uid; a user "12x" neither */
	m.user = strdup("redis");
	n = uki_manifest_write(&m, buf, sizeof(buf));
	EXPECT(uk_mf_read(&mf, buf, n) == 0 && !mf.has_ids && !strcmp(mf.user, "redis"));
	free(m.user);
	m.user = strdup("12x");
	n = uki_manifest_write(&m, buf, sizeof(buf));
	EXPECT(uk_mf_read(&mf, buf, n) == 0 && !mf.has_ids);
	uki_manifest_free(&m);
}

/* A key of the wrong form makes the whole manifest corrupt, for both
 * readers: the guest and ukrun never act on half of one. */
TEST(wrong_form)
{
	struct uki_manifest r;
	struct uk_mf mf;
	static const char unterminated[3] = { 'a', 'b', 'c' };
	static const char mem4[4] = { 0 };
	struct {
		const char *key;
		const void *val;
		int len;
	} cases[] = {
		{ UK_MF_WORKDIR, unterminated, 3 },
		{ UK_MF_USER, "", 0 },
		{ UK_MF_CMD, unterminated, 3 },
		{ UK_MF_MEM, mem4, 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r0 = fdt_create(buf, sizeof(buf));
		r0 = r0 ?: fdt_finish_reservemap(buf);
		r0 = r0 ?: fdt_begin_node(buf, "");
		r0 = r0 ?: fdt_begin_node(buf, UK_MF_NODE + 1);
		r0 = r0 ?: fdt_property(buf, cases[i].key, cases[i].val, cases[i].len);
		r0 = r0 ?: fdt_end_node(buf);
		r0 = r0 ?: fdt_end_node(buf);
		r0 = r0 ?: fdt_finish(buf);
		EXPECT(r0 == 0);
		EXPECT(uk_mf_read(&mf, buf, fdt_totalsize(buf)) == -1 && !mf.present);
		EXPECT(uki_manifest_read(buf, fdt_totalsize(buf), &r) == -EINVAL);
	}
	/* no /uk node at all */
	EXPECT(fdt_create_empty_tree(buf, sizeof(buf)) == 0);
	EXPECT(uk_mf_read(&mf, buf, fdt_totalsize(buf)) == -1);
}

int main(void)
{
	RUN("unit/manifest", reader);
	RUN("unit/manifest", wrong_form);
	RUN("unit/manifest", round_trip);
	RUN("unit/manifest", empty);
	RUN("unit/manifest", too_small);
	RUN("unit/manifest", corrupt);
	return unit_failures != 0;
}
