/* The manifest: round trip through libfdt, and corrupt trees refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../builder/manifest.h"
#include "unit.h"

static char buf[65536];

TEST(round_trip)
{
	struct ukb_manifest m = { 0 }, r;
	int n;

	ukb_strlist_add(&m.entrypoint, "/usr/bin/redis-server");
	ukb_strlist_add(&m.cmd, "--port");
	ukb_strlist_add(&m.cmd, ""); /* empty arguments survive */
	ukb_strlist_add(&m.env, "PATH=/usr/bin:/bin");
	ukb_strlist_add(&m.env, "A=b=c");
	ukb_strlist_add(&m.ports, "6379/tcp");
	EXPECT(ukb_manifest_add_volume(&m, "/data/") == 0);
	EXPECT(ukb_manifest_add_volume(&m, "/data") == 0); /* a repeat, ignored */
	EXPECT(ukb_manifest_add_volume(&m, "/var/log") == 0);
	EXPECT(ukb_manifest_add_volume(&m, "/") == -EINVAL);
	EXPECT(ukb_manifest_add_volume(&m, "data") == -EINVAL);
	EXPECT(ukb_manifest_add_volume(&m, "/a/../b") == -EINVAL);
	EXPECT(ukb_manifest_add_volume(&m, "/a/..") == -EINVAL);
	EXPECT(ukb_manifest_add_volume(&m, "/a//b") == -EINVAL);
	m.workdir = strdup("/data");
	m.user = strdup("999:999");
	m.mem = 256ull << 20;
	n = ukb_manifest_write(&m, buf, sizeof(buf));
	EXPECT(n > 0);
	EXPECT(ukb_manifest_read(buf, n, &r) == 0);
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
	ukb_manifest_free(&r);
	ukb_manifest_free(&m);
}

TEST(empty)
{
	struct ukb_manifest m = { 0 }, r;
	int n = ukb_manifest_write(&m, buf, sizeof(buf));

	EXPECT(n > 0);
	EXPECT(ukb_manifest_read(buf, n, &r) == 0);
	EXPECT(r.entrypoint.n == 0 && r.cmd.n == 0 && !r.workdir && r.mem == 0);
	ukb_manifest_free(&r);
}

TEST(too_small)
{
	struct ukb_manifest m = { 0 };
	char small[64];

	ukb_strlist_add(&m.cmd, "an argument longer than the buffer we give it");
	EXPECT(ukb_manifest_write(&m, small, sizeof(small)) == -ENOSPC);
	ukb_manifest_free(&m);
}

/* Every truncation and many byte flips: refused or read, never a crash. */
TEST(corrupt)
{
	struct ukb_manifest m = { 0 }, r;
	static char bad[65536];
	int n;

	ukb_strlist_add(&m.cmd, "x");
	ukb_strlist_add(&m.env, "K=V");
	n = ukb_manifest_write(&m, buf, sizeof(buf));
	EXPECT(n > 0);
	for (int len = 0; len < n; len++)
		EXPECT(ukb_manifest_read(buf, len, &r) == -EINVAL);
	srand(1);
	for (int i = 0; i < 20000; i++) {
		memcpy(bad, buf, n);
		for (int k = 0; k < 1 + i % 4; k++)
			bad[rand() % n] = (char)rand();
		if (ukb_manifest_read(bad, n, &r) == 0)
			ukb_manifest_free(&r);
	}
	EXPECT(ukb_manifest_read("not a tree at all, definitely", 30, &r) == -EINVAL);
	ukb_manifest_free(&m);
}

int main(void)
{
	RUN("unit/manifest", round_trip);
	RUN("unit/manifest", empty);
	RUN("unit/manifest", too_small);
	RUN("unit/manifest", corrupt);
	return unit_failures != 0;
}
