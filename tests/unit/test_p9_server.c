/*
 * Unit tests of the gofer (vmm/p9_server.c and friends), speaking 9P to it
 * over plain buffers: every operation, confinement against a hostile
 * client (run twice: with openat2 and with the O_NOFOLLOW fallback), the
 * read-only share, limits, Tflush ordering, scatter lists, several
 * threads under the seccomp allow-list, and that the allow-list kills.
 *
 * Each test gets a fresh directory tree: top/share (what is shared) and
 * top/outside (what must never change).
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../vmm/p9_int.h" /* P9S_MAX_OPEN */
#include "p9_client.h"
#include "unit.h"

static char top[64], share[128], outside[128];
static struct p9c *C;
static unsigned mode; /* P9S_NO_OPENAT2 for the fallback runs */

/* ---- host-side helpers ---- */

static const char *H(const char *rel) /* a path in the share */
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", share, rel);
	return buf[i];
}

static int put_file(const char *path, const char *data, mode_t m)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, m);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int file_is(const char *path, const char *want)
{
	char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/* Everything about the outside tree that an escape could change. */
static void snapshot(char *out, size_t cap)
{
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && find . -printf '%%p %%m %%s %%n %%T@ %%l\\n' | sort && cat secret sub/* 2>&1",
	    outside);
	p = popen(cmd, "r");
	n = p ? fread(out, 1, cap - 1, p) : 0;
	out[n] = 0;
	if (p)
		pclose(p);
}

static void rm_rf(const char *path)
{
	if (unit_rm_rf(path))
		fprintf(stderr, "rm -rf %s failed\n", path);
}

static void make_tree(void)
{
	rm_rf(share);
	rm_rf(outside);
	mkdir(share, 0755);
	mkdir(outside, 0755);
	put_file(H("hello.txt"), "hello from the host\n", 0644);
	mkdir(H("dir"), 0755);
	put_file(H("dir/inner"), "inner", 0644);
	{
		char p[256];
		snprintf(p, sizeof(p), "%s/secret", outside);
		put_file(p, "secret", 0600);
		snprintf(p, sizeof(p), "%s/sub", outside);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/sub/file", outside);
		put_file(p, "outside file", 0644);
	}
}

/* A new tree, a new server with `flags`, Tversion and Tattach of fid 0. */
static struct p9c *fresh(unsigned flags)
{
	if (C->w)
		p9s_worker_free(C->w);
	if (C->s)
		p9s_close(C->s);
	C->w = NULL;
	C->s = NULL;
	make_tree();
	if (p9s_open(share, flags | mode, &C->s))
		return NULL;
	if (!(C->w = p9s_worker_new(C->s)))
		return NULL;
	C->tag = 0;
	if (p9c_version(C, P9_MSIZE_MAX, P9_VERSION_L) || p9c_attach(C, 0))
		return NULL;
	return C;
}

/* ---- protocol basics ---- */

TEST(version_negotiation)
{
	struct p9c *c = fresh(0);

	EXPECT(c);
	EXPECT(p9c_version(c, 1u << 20, P9_VERSION_L) == 0);
	EXPECT(c->r.u.version.msize == P9_MSIZE_MAX);
	EXPECT(p9c_version(c, 8192, P9_VERSION_L) == 0 && c->r.u.version.msize == 8192);
	EXPECT(p9_str_eq(c->r.u.version.version, "9P2000.L"));
	EXPECT(p9c_version(c, 8192, "9P2000") == 0);
	EXPECT(p9_str_eq(c->r.u.version.version, "unknown"));
	EXPECT(p9c_version(c, 100, P9_VERSION_L) == -EINVAL);
	/* Tversion ends the session: fid 0 is gone */
	EXPECT(p9c_version(c, 8192, P9_VERSION_L) == 0);
	EXPECT(p9c_getattr(c, 0) == -EBADF);
	/* a message longer than msize is refused */
	EXPECT(p9c_attach(c, 0) == 0);
	{
		static char big[9000];
		memset(big, 'a', sizeof(big) - 1);
		EXPECT(p9c_write(c, 0, 0, big, sizeof(big)) == -EMSGSIZE);
	}
}

TEST(attach_walk_getattr)
{
	struct p9c *c = fresh(0);
	struct stat st;

	EXPECT(c);
	EXPECT(p9c_attach(c, 0) == -EBADF); /* fid in use */
	EXPECT(p9c_getattr(c, 0) == 0);
	EXPECT(c->r.u.rgetattr.qid.type == P9_QTDIR && S_ISDIR(c->r.u.rgetattr.mode));
	EXPECT(p9c_walk(c, 0, 1, "dir/inner") == 0);
	EXPECT(c->r.u.rwalk.nwqid == 2 && c->r.u.rwalk.wqid[0].type == P9_QTDIR);
	EXPECT(c->r.u.rwalk.wqid[1].type == P9_QTFILE);
	stat(H("dir/inner"), &st);
	EXPECT(c->r.u.rwalk.wqid[1].path == st.st_ino);
	EXPECT(p9c_getattr(c, 1) == 0);
	EXPECT(c->r.u.rgetattr.size == 5 && c->r.u.rgetattr.nlink == 1);
	EXPECT(c->r.u.rgetattr.mtime_sec == (uint64_t)st.st_mtim.tv_sec);
	/* partial walk: Rwalk with one qid, newfid not made */
	EXPECT(p9c_walk(c, 0, 2, "dir/missing") == 0 && c->r.u.rwalk.nwqid == 1);
	EXPECT(p9c_getattr(c, 2) == -EBADF);
	EXPECT(p9c_walk(c, 0, 2, "missing") == -ENOENT);
	EXPECT(p9c_walk(c, 0, 1, "dir") == -EBADF); /* newfid in use */
	EXPECT(p9c_walk(c, 1, 1, "") == 0);         /* clone onto itself */
	EXPECT(p9c_walk(c, 0, 3, "") == 0);         /* clone */
	EXPECT(p9c_getattr(c, 3) == 0 && c->r.u.rgetattr.qid.type == P9_QTDIR);
	EXPECT(p9c_clunk(c, 3) == 0 && p9c_clunk(c, 3) == -EBADF);
	EXPECT(p9c_walk(c, 0, 4, "hello.txt/x") == 0 && c->r.u.rwalk.nwqid == 1);
}

TEST(create_write_read)
{
	struct p9c *c = fresh(0);
	struct stat st;

	EXPECT(c);
	EXPECT(p9c_walk(c, 0, 1, "") == 0);
	EXPECT(p9c_lcreate(c, 1, "new", O_RDWR | O_CREAT, 0640) == 0);
	EXPECT(c->r.u.ropen.iounit == P9_MSIZE_MAX - P9_IOHDR_SIZE);
	EXPECT(p9c_write(c, 1, 0, "guest data", 10) == 0 && c->r.u.rwrite.count == 10);
	EXPECT(p9c_write(c, 1, 6, "DATA!", 5) == 0);
	EXPECT(file_is(H("new"), "guest DATA!"));
	EXPECT(stat(H("new"), &st) == 0 && (st.st_mode & 07777) == 0640);
	EXPECT(p9c_read(c, 1, 6, 100) == 0 && c->r.u.rread.count == 5);
	EXPECT(memcmp(c->r.u.rread.data, "DATA!", 5) == 0);
	EXPECT(p9c_read(c, 1, 100, 100) == 0 && c->r.u.rread.count == 0);
	EXPECT(p9c_lcreate(c, 1, "again", O_RDWR, 0640) == -EBADF); /* fid is open */
	EXPECT(p9c_clunk(c, 1) == 0);
	/* host -> guest */
	EXPECT(p9c_walk(c, 0, 2, "hello.txt") == 0 && p9c_lopen(c, 2, O_RDONLY) == 0);
	EXPECT(p9c_read(c, 2, 0, 4096) == 0 && c->r.u.rread.count == 20);
	EXPECT(memcmp(c->r.u.rread.data, "hello from the host\n", 20) == 0);
	EXPECT(p9c_write(c, 2, 0, "x", 1) == -EBADF); /* opened read-only */
	EXPECT(p9c_lopen(c, 2, O_RDONLY) == -EBADF);  /* already open */
	EXPECT(p9c_walk(c, 0, 3, "") == 0);
	EXPECT(p9c_lcreate(c, 3, "new", O_RDWR | O_EXCL, 0600) == -EEXIST);
	EXPECT(p9c_read(c, 3, 0, 10) == -EBADF); /* not open */
}

TEST(big_io_at_full_msize)
{
	struct p9c *c = fresh(0);
	static uint8_t data[P9_MSIZE_MAX - P9_IOHDR_SIZE];
	size_t i;

	EXPECT(c);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 11));
	EXPECT(p9c_walk(c, 0, 1, "") == 0 && p9c_lcreate(c, 1, "big", O_RDWR, 0644) == 0);
	EXPECT(p9c_write(c, 1, 0, data, sizeof(data)) == 0);
	EXPECT(c->r.u.rwrite.count == sizeof(data));
	EXPECT(p9c_read(c, 1, 0, 1u << 30) == 0); /* count clipped to the iounit */
	EXPECT(c->r.u.rread.count == sizeof(data));
	EXPECT(memcmp(c->r.u.rread.data, data, sizeof(data)) == 0);
	EXPECT(c->rlen <= P9_MSIZE_MAX);
}

/* 1000 files, read with small Treaddir counts so the cookie is used. */
TEST(readdir_thousand)
{
	struct p9c *c = fresh(0);
	static char seen[1000];
	struct p9_dirent d;
	uint64_t off = 0;
	int i, total = 0, dots = 0, rounds = 0;

	EXPECT(c);
	mkdir(H("many"), 0755);
	for (i = 0; i < 1000; i++) {
		char n[64];
		snprintf(n, sizeof(n), "many/file-%04d", i);
		EXPECT(put_file(H(n), "", 0644) == 0);
	}
	memset(seen, 0, sizeof(seen));
	EXPECT(p9c_walk(c, 0, 1, "many") == 0 && p9c_lopen(c, 1, O_RDONLY | O_DIRECTORY) == 0);
	for (;;) {
		size_t pos = 0;
		EXPECT(p9c_readdir(c, 1, off, 700) == 0);
		EXPECT(c->rlen <= 700 + 11);
		if (!c->r.u.rreaddir.count)
			break;
		rounds++;
		while (p9_dirent_next(c->r.u.rreaddir.data, c->r.u.rreaddir.count, &pos, &d) == 1) {
			char name[300];
			p9_str_copy(name, sizeof(name), d.name);
			off = d.offset;
			if (!strcmp(name, ".") || !strcmp(name, "..")) {
				dots++;
				continue;
			}
			EXPECT(strncmp(name, "file-", 5) == 0);
			i = atoi(name + 5);
			EXPECT(i >= 0 && i < 1000 && !seen[i]);
			seen[i] = 1;
			total++;
		}
		EXPECT(pos == c->r.u.rreaddir.count);
	}
	EXPECT(total == 1000 && dots == 2 && rounds > 20);
	EXPECT(p9c_walk(c, 0, 2, "many") == 0);
	EXPECT(p9c_readdir(c, 2, 0, 4096) == -EBADF); /* not opened */
}

TEST(namespace_ops)
{
	struct p9c *c = fresh(0);
	struct stat st;

	EXPECT(c);
	EXPECT(p9c_mkdir(c, 0, "sub", 0750) == 0 && c->r.u.rqid.qid.type == P9_QTDIR);
	EXPECT(stat(H("sub"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0750);
	EXPECT(p9c_mkdir(c, 0, "sub", 0750) == -EEXIST);
	EXPECT(p9c_symlink(c, 0, "ln", "hello.txt") == 0);
	EXPECT(c->r.u.rqid.qid.type == P9_QTSYMLINK);
	EXPECT(p9c_walk(c, 0, 1, "ln") == 0 && p9c_fid_op(c, P9_TREADLINK, 1) == 0);
	EXPECT(p9_str_eq(c->r.u.rreadlink.target, "hello.txt"));
	EXPECT(p9c_walk(c, 0, 2, "hello.txt") == 0 && p9c_link(c, 0, 2, "hard") == 0);
	EXPECT(stat(H("hard"), &st) == 0 && st.st_nlink == 2);
	/* rename over an existing file */
	put_file(H("victim"), "old contents", 0644);
	put_file(H("src"), "new contents", 0644);
	EXPECT(p9c_renameat(c, 0, "src", 0, "victim") == 0);
	EXPECT(file_is(H("victim"), "new contents") && access(H("src"), F_OK) != 0);
	EXPECT(p9c_walk(c, 0, 3, "sub") == 0 && p9c_renameat(c, 0, "victim", 3, "moved") == 0);
	EXPECT(file_is(H("sub/moved"), "new contents"));
	EXPECT(p9c_unlinkat(c, 0, "sub", 0) == -EISDIR);
	EXPECT(p9c_unlinkat(c, 3, "moved", 0) == 0);
	EXPECT(p9c_unlinkat(c, 0, "sub", P9_AT_REMOVEDIR) == 0 && access(H("sub"), F_OK) != 0);
	EXPECT(p9c_unlinkat(c, 0, "hard", 0x1) == -EINVAL);
	EXPECT(p9c_fid_op(c, P9_TSTATFS, 0) == 0 && c->r.u.rstatfs.bsize > 0);
	EXPECT(c->r.u.rstatfs.namelen >= 255);
	/* an open file keeps answering Tgetattr after its name is gone */
	EXPECT(p9c_walk(c, 0, 5, "") == 0 && p9c_lcreate(c, 5, "tmpfile", O_RDWR, 0600) == 0);
	EXPECT(p9c_unlinkat(c, 0, "tmpfile", 0) == 0);
	EXPECT(p9c_getattr(c, 5) == 0 && c->r.u.rgetattr.nlink == 0);
	EXPECT(p9c_write(c, 5, 0, "still here", 10) == 0 && p9c_read(c, 5, 0, 10) == 0);
	EXPECT(c->r.u.rread.count == 10);
	/* Tremove clunks even when it fails */
	EXPECT(p9c_walk(c, 0, 4, "hard") == 0 && p9c_fid_op(c, P9_TREMOVE, 4) == 0);
	EXPECT(access(H("hard"), F_OK) != 0 && p9c_getattr(c, 4) == -EBADF);
	EXPECT(p9c_fid_op(c, P9_TREMOVE, 0) == -EBUSY && p9c_getattr(c, 0) == -EBADF);
}

TEST(rename_keeps_fids)
{
	struct p9c *c = fresh(0);

	EXPECT(c);
	EXPECT(p9c_walk(c, 0, 1, "dir/inner") == 0 && p9c_walk(c, 0, 2, "dir") == 0);
	EXPECT(p9c_renameat(c, 0, "dir", 0, "dir2") == 0);
	EXPECT(p9c_getattr(c, 1) == 0 && c->r.u.rgetattr.size == 5);
	EXPECT(p9c_lopen(c, 1, O_RDONLY) == 0 && p9c_read(c, 1, 0, 10) == 0);
	EXPECT(memcmp(c->r.u.rread.data, "inner", 5) == 0);
	/* the old Trename moves the fid itself */
	{
		struct p9_msg t = { .type = P9_TRENAME };
		t.u.trename.fid = 2;
		t.u.trename.dfid = 0;
		t.u.trename.name = p9_str("dir3");
		EXPECT(p9c_call(c, &t) == 0);
	}
	EXPECT(access(H("dir3/inner"), F_OK) == 0);
	EXPECT(p9c_walk(c, 2, 3, "inner") == 0);
}

TEST(setattr_and_fsync)
{
	struct p9c *c = fresh(0);
	struct p9_iattr a = { 0 };
	struct stat st;

	EXPECT(c);
	EXPECT(p9c_walk(c, 0, 1, "hello.txt") == 0);
	a.valid = P9_SETATTR_MODE;
	a.mode = 0600;
	EXPECT(p9c_setattr(c, 1, &a) == 0);
	EXPECT(stat(H("hello.txt"), &st) == 0 && (st.st_mode & 0777) == 0600);
	a.valid = P9_SETATTR_SIZE;
	a.size = 5;
	EXPECT(p9c_setattr(c, 1, &a) == 0 && file_is(H("hello.txt"), "hello"));
	a.valid = P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET | P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
	a.mtime_sec = 1000000000;
	a.atime_sec = 1000000001;
	EXPECT(p9c_setattr(c, 1, &a) == 0);
	EXPECT(stat(H("hello.txt"), &st) == 0 && st.st_mtime == 1000000000 &&
	       st.st_atime == 1000000001);
	/* set-user-ID and set-group-ID never reach the host */
	a.valid = P9_SETATTR_MODE;
	a.mode = 06755;
	EXPECT(p9c_setattr(c, 1, &a) == 0);
	EXPECT(stat(H("hello.txt"), &st) == 0 && (st.st_mode & 07777) == 0755);
	EXPECT(p9c_walk(c, 0, 2, "") == 0 && p9c_lcreate(c, 2, "suid", O_RDWR, 04755) == 0);
	EXPECT(stat(H("suid"), &st) == 0 && (st.st_mode & 07000) == 0);
	EXPECT(p9c_mkdir(c, 0, "sgid", 03777) == 0);
	EXPECT(stat(H("sgid"), &st) == 0 && (st.st_mode & 07000) == 01000);
	a.valid = P9_SETATTR_UID | P9_SETATTR_GID; /* to ourselves: allowed */
	a.uid = getuid();
	a.gid = getgid();
	EXPECT(p9c_setattr(c, 1, &a) == 0);
	EXPECT(p9c_lopen(c, 1, O_RDWR) == 0);
	{
		struct p9_msg t = { .type = P9_TFSYNC, .u.tfsync = { 1, 0 } };
		EXPECT(p9c_call(c, &t) == 0);
		t.u.tfsync.datasync = 1;
		EXPECT(p9c_call(c, &t) == 0);
		t.u.tfsync.fid = 0; /* not open */
		EXPECT(p9c_call(c, &t) == -EBADF);
	}
	/* truncate through the open fid too */
	a.valid = P9_SETATTR_SIZE;
	a.size = 2;
	EXPECT(p9c_setattr(c, 1, &a) == 0 && file_is(H("hello.txt"), "he"));
}

TEST(xattr_lock_mknod)
{
	struct p9c *c = fresh(0);
	struct p9_msg t;

	EXPECT(c);
	t = (struct p9_msg){ .type = P9_TXATTRWALK };
	t.u.txattrwalk.fid = 0;
	t.u.txattrwalk.newfid = 5;
	t.u.txattrwalk.name = p9_str("");
	EXPECT(p9c_call(c, &t) == 0 && c->r.u.rxattrwalk.size == 0);
	EXPECT(p9c_read(c, 5, 0, 100) == 0 && c->r.u.rread.count == 0);
	EXPECT(p9c_clunk(c, 5) == 0);
	t.u.txattrwalk.name = p9_str("user.foo");
	EXPECT(p9c_call(c, &t) == -ENODATA);
	t = (struct p9_msg){ .type = P9_TXATTRCREATE };
	t.u.txattrcreate.name = p9_str("user.foo");
	EXPECT(p9c_call(c, &t) == -EOPNOTSUPP);
	t = (struct p9_msg){ .type = P9_TMKNOD };
	t.u.tmknod.name = p9_str("node");
	t.u.tmknod.mode = S_IFIFO | 0644;
	EXPECT(p9c_call(c, &t) == -EPERM && access(H("node"), F_OK) != 0);
	/* locks: two opens of one file conflict; unlock lets the other in */
	EXPECT(p9c_walk(c, 0, 1, "hello.txt") == 0 && p9c_lopen(c, 1, O_RDWR) == 0);
	EXPECT(p9c_walk(c, 0, 2, "hello.txt") == 0 && p9c_lopen(c, 2, O_RDWR) == 0);
	t = (struct p9_msg){ .type = P9_TLOCK };
	t.u.tlock.fid = 1;
	t.u.tlock.type = P9_LOCK_TYPE_WRLCK;
	t.u.tlock.client_id = p9_str("guest");
	EXPECT(p9c_call(c, &t) == 0 && c->r.u.rlock.status == P9_LOCK_SUCCESS);
	t.u.tlock.fid = 2;
	EXPECT(p9c_call(c, &t) == 0 && c->r.u.rlock.status == P9_LOCK_BLOCKED);
	{
		struct p9_msg g = { .type = P9_TGETLOCK };
		g.u.getlock.fid = 2;
		g.u.getlock.type = P9_LOCK_TYPE_WRLCK;
		g.u.getlock.client_id = p9_str("guest");
		EXPECT(p9c_call(c, &g) == 0 && c->r.u.getlock.type == P9_LOCK_TYPE_WRLCK);
	}
	t.u.tlock.fid = 1;
	t.u.tlock.type = P9_LOCK_TYPE_UNLCK;
	EXPECT(p9c_call(c, &t) == 0 && c->r.u.rlock.status == P9_LOCK_SUCCESS);
	t.u.tlock.fid = 2;
	t.u.tlock.type = P9_LOCK_TYPE_WRLCK;
	EXPECT(p9c_call(c, &t) == 0 && c->r.u.rlock.status == P9_LOCK_SUCCESS);
	t.u.tlock.type = 7;
	EXPECT(p9c_call(c, &t) == -EINVAL);
	t.u.tlock.type = P9_LOCK_TYPE_RDLCK;
	t.u.tlock.fid = 0; /* not open */
	EXPECT(p9c_call(c, &t) == -EBADF);
}

/* ---- confinement: run with openat2 and with the fallback walk ---- */

#define SNAP_BEFORE()                            \
	static char before[16384], after[16384]; \
	snapshot(before, sizeof(before))
#define SNAP_SAME() (snapshot(after, sizeof(after)), strcmp(before, after) == 0)

TEST(uses_the_resolver_asked_for)
{
	struct p9c *c = fresh(0);

	EXPECT(c);
	EXPECT(p9s_uses_openat2(c->s) == !(mode & P9S_NO_OPENAT2));
}

TEST(dotdot_walks)
{
	struct p9c *c = fresh(0);
	static const char *const up[] = { "..", "..", "..", "outside" };
	static const char *const slash[] = { "../outside" };
	static const char *const dot[] = { "." };
	uint64_t root;
	int i;
	SNAP_BEFORE();

	EXPECT(c);
	EXPECT(p9c_getattr(c, 0) == 0);
	root = c->r.u.rgetattr.qid.path;
	EXPECT(p9c_walk_names(c, 0, 1, 3, up) == 0 && c->r.u.rwalk.wqid[2].path == root);
	EXPECT(p9c_walk_names(c, 0, 5, 4, up) == 0 && c->r.u.rwalk.nwqid == 3);
	EXPECT(p9c_getattr(c, 5) == -EBADF);
	EXPECT(p9c_walk_names(c, 0, 5, 1, slash) == -EINVAL);
	EXPECT(p9c_walk_names(c, 0, 5, 1, dot) == -EINVAL);
	EXPECT(p9c_walk(c, 0, 5, "dir/../../..") == 0 && c->r.u.rwalk.wqid[3].path == root);
	/* 1000 components: ".." 992 times then "outside" */
	EXPECT(p9c_walk(c, 0, 2, "") == 0);
	for (i = 0; i < 62; i++)
		EXPECT(p9c_walk(c, 2, 2, "../../../../../../../../../../../../../../../..") == 0);
	EXPECT(p9c_getattr(c, 2) == 0 && c->r.u.rgetattr.qid.path == root);
	EXPECT(p9c_walk(c, 2, 3, "../../../../../../../outside") == 0);
	EXPECT(c->r.u.rwalk.nwqid == 7);
	EXPECT(p9c_lcreate(c, 2, "../escaped", O_RDWR, 0644) == -EINVAL);
	EXPECT(p9c_mkdir(c, 0, "..", 0755) == -EINVAL);
	EXPECT(p9c_mkdir(c, 0, "a/b", 0755) == -EINVAL);
	EXPECT(p9c_symlink(c, 0, "../x", "y") == -EINVAL);
	EXPECT(p9c_renameat(c, 0, "hello.txt", 0, "../stolen") == -EINVAL);
	EXPECT(p9c_unlinkat(c, 0, "..", P9_AT_REMOVEDIR) == -EINVAL);
	EXPECT(p9c_mkdir(c, 0, "", 0755) == -EINVAL);
	EXPECT(SNAP_SAME());
}

TEST(deep_walks_stop_at_path_max)
{
	struct p9c *c = fresh(0);
	static const char name[] = "ddddddddddddddddddddddddddddddddddddddd"; /* 39 */
	char walk[16 * 40];
	int dir, next, i, r = 0, steps = 0;

	EXPECT(c);
	/* 150 levels, 6000 bytes: beyond PATH_MAX, built with *at calls */
	dir = open(share, O_PATH | O_DIRECTORY);
	for (i = 0; i < 150 && dir >= 0; i++) {
		mkdirat(dir, name, 0755);
		next = openat(dir, name, O_PATH | O_DIRECTORY);
		close(dir);
		dir = next;
	}
	EXPECT(dir >= 0);
	close(dir);
	walk[0] = 0;
	for (i = 0; i < 16; i++)
		strcat(strcat(walk, i ? "/" : ""), name);
	EXPECT(p9c_walk(c, 0, 1, "") == 0);
	for (i = 0; i < 10 && r == 0; i++) {
		r = p9c_walk(c, 1, 1, walk);
		if (r == 0 && c->r.u.rwalk.nwqid < 16)
			r = -ENAMETOOLONG; /* a partial walk stops at the limit */
		steps += r == 0;
	}
	EXPECT(r == -ENAMETOOLONG && steps == 6); /* 6*16*40 < 4096 < 7*16*40 */
	EXPECT(p9c_getattr(c, 1) == 0 && c->r.u.rgetattr.qid.type == P9_QTDIR);
}

TEST(host_symlinks_pointing_out)
{
	struct p9c *c = fresh(0);
	struct p9_iattr a = { .valid = P9_SETATTR_MODE | P9_SETATTR_SIZE, .mode = 0777, .size = 0 };
	char target[256];
	SNAP_BEFORE();

	EXPECT(c);
	snprintf(target, sizeof(target), "%s/secret", outside);
	EXPECT(symlink(target, H("abs")) == 0);
	EXPECT(symlink(outside, H("absdir")) == 0);
	EXPECT(symlink("../outside/secret", H("rel")) == 0);
	EXPECT(symlink("../outside", H("reldir")) == 0);
	EXPECT(symlink("/proc/self/root/etc", H("proc")) == 0);
	/* a walk reaches the link itself, never its target */
	EXPECT(p9c_walk(c, 0, 1, "abs") == 0 && c->r.u.rwalk.wqid[0].type == P9_QTSYMLINK);
	EXPECT(p9c_getattr(c, 1) == 0 && S_ISLNK(c->r.u.rgetattr.mode));
	EXPECT(p9c_lopen(c, 1, O_RDONLY) == -ELOOP);
	EXPECT(p9c_lopen(c, 1, O_RDWR | O_TRUNC) == -ELOOP);
	p9c_setattr(c, 1, &a);
	EXPECT(p9c_walk(c, 0, 2, "rel") == 0 && p9c_lopen(c, 2, O_RDONLY) == -ELOOP);
	EXPECT(p9c_walk(c, 0, 3, "absdir/secret") == 0 && c->r.u.rwalk.nwqid == 1);
	EXPECT(p9c_walk(c, 0, 3, "reldir/sub/file") == 0 && c->r.u.rwalk.nwqid == 1);
	EXPECT(p9c_walk(c, 0, 3, "proc/passwd") == 0 && c->r.u.rwalk.nwqid == 1);
	/* creating through a directory symlink */
	EXPECT(p9c_walk(c, 0, 4, "absdir") == 0);
	EXPECT(p9c_lcreate(c, 4, "planted", O_RDWR, 0644) < 0);
	EXPECT(p9c_mkdir(c, 4, "planted", 0755) < 0);
	EXPECT(p9c_symlink(c, 4, "planted", "x") < 0);
	EXPECT(p9c_unlinkat(c, 4, "secret", 0) < 0);
	EXPECT(p9c_walk(c, 0, 5, "hello.txt") == 0 && p9c_link(c, 4, 5, "planted") < 0);
	EXPECT(p9c_renameat(c, 0, "hello.txt", 4, "planted") < 0);
	EXPECT(p9c_renameat(c, 4, "secret", 0, "got") < 0);
	EXPECT(p9c_fid_op(c, P9_TSTATFS, 4) == 0); /* the link itself: harmless */
	/* hard link of the symlink: links the link, not the secret */
	EXPECT(p9c_link(c, 0, 1, "hardlink") == 0);
	EXPECT(p9c_walk(c, 0, 6, "hardlink") == 0 && p9c_lopen(c, 6, O_RDONLY) == -ELOOP);
	EXPECT(SNAP_SAME());
}

TEST(guest_symlinks_pointing_out)
{
	struct p9c *c = fresh(0);
	char target[256];
	SNAP_BEFORE();

	EXPECT(c);
	snprintf(target, sizeof(target), "%s/secret", outside);
	EXPECT(p9c_symlink(c, 0, "abs", target) == 0);
	EXPECT(p9c_symlink(c, 0, "rel", "../outside/sub") == 0);
	EXPECT(p9c_symlink(c, 0, "magic", "/proc/self/cwd") == 0);
	EXPECT(p9c_symlink(c, 0, "fd", "/proc/self/fd/3") == 0);
	EXPECT(p9c_walk(c, 0, 1, "abs") == 0 && p9c_lopen(c, 1, O_RDWR) == -ELOOP);
	EXPECT(p9c_walk(c, 0, 2, "rel/file") == 0 && c->r.u.rwalk.nwqid == 1);
	EXPECT(p9c_walk(c, 0, 2, "magic/hello.txt") == 0 && c->r.u.rwalk.nwqid == 1);
	EXPECT(p9c_walk(c, 0, 2, "fd") == 0 && p9c_lopen(c, 2, O_RDONLY) == -ELOOP);
	EXPECT(p9c_walk(c, 0, 3, "rel") == 0);
	EXPECT(p9c_lcreate(c, 3, "planted", O_RDWR, 0644) < 0);
	/* lcreate of an existing symlink's name must not open its target */
	EXPECT(p9c_walk(c, 0, 4, "") == 0);
	EXPECT(p9c_lcreate(c, 4, "abs", O_RDWR | O_TRUNC, 0644) < 0);
	EXPECT(SNAP_SAME());
}

/* A directory replaced by a symlink after the client walked into it. */
TEST(symlink_race)
{
	struct p9c *c = fresh(0);
	char outdir[256];
	SNAP_BEFORE();

	EXPECT(c);
	snprintf(outdir, sizeof(outdir), "%s/sub", outside);
	put_file(H("dir/file"), "in the share", 0644);
	EXPECT(p9c_walk(c, 0, 1, "dir") == 0);
	EXPECT(p9c_walk(c, 0, 2, "dir/file") == 0);
	EXPECT(rename(H("dir"), H("dir.old")) == 0 && symlink(outdir, H("dir")) == 0);
	EXPECT(p9c_lopen(c, 2, O_RDWR | O_TRUNC) < 0);
	EXPECT(p9c_getattr(c, 2) < 0);
	EXPECT(p9c_lcreate(c, 1, "file", O_RDWR | O_TRUNC, 0644) < 0);
	EXPECT(p9c_walk(c, 1, 3, "file") < 0);
	EXPECT(p9c_mkdir(c, 1, "planted", 0755) < 0);
	EXPECT(p9c_unlinkat(c, 1, "file", 0) < 0);
	{
		struct p9_iattr a = { .valid = P9_SETATTR_MODE | P9_SETATTR_SIZE, .mode = 0777 };
		EXPECT(p9c_setattr(c, 2, &a) < 0);
	}
	/* and a file swapped for a symlink between walk and open */
	EXPECT(p9c_walk(c, 0, 4, "hello.txt") == 0);
	EXPECT(unlink(H("hello.txt")) == 0);
	{
		char t[256];
		snprintf(t, sizeof(t), "%s/secret", outside);
		EXPECT(symlink(t, H("hello.txt")) == 0);
	}
	EXPECT(p9c_lopen(c, 4, O_RDWR | O_TRUNC) == -ELOOP);
	EXPECT(SNAP_SAME());
}

TEST(hard_links_to_outside)
{
	struct p9c *c = fresh(0);
	char p[256];
	struct stat st;
	SNAP_BEFORE();

	EXPECT(c);
	/* The host user linked a file from outside in: it is in the share,
	 * and a guest may use it, but not reach its directory. */
	snprintf(p, sizeof(p), "%s/sub/file", outside);
	EXPECT(link(p, H("linked")) == 0);
	EXPECT(p9c_walk(c, 0, 1, "linked") == 0 && p9c_lopen(c, 1, O_RDONLY) == 0);
	EXPECT(p9c_read(c, 1, 0, 100) == 0 && c->r.u.rread.count == 12);
	EXPECT(p9c_walk(c, 0, 2, "linked/..") == 0 && c->r.u.rwalk.nwqid == 1);
	/* a guest can only name files in the share as link sources */
	EXPECT(p9c_walk(c, 0, 3, "hello.txt") == 0 && p9c_link(c, 0, 3, "l2") == 0);
	EXPECT(stat(p, &st) == 0 && st.st_nlink == 2);
	EXPECT(p9c_link(c, 0, 0, "rootlink") < 0);
	unlink(H("linked"));
	EXPECT(SNAP_SAME());
}

/* Bytes no client should send: each gets an error reply, nothing else. */
TEST(malformed_and_huge_messages)
{
	struct p9c *c = fresh(0);
	static uint8_t msg[P9_MSIZE_MAX + 16];
	uint32_t i, n;
	SNAP_BEFORE();

	EXPECT(c);
	EXPECT(p9c_raw(c, "\x03\x00", 2) == -EPROTO && c->r.tag == P9_NOTAG);
	/* size field says more than there is */
	memcpy(msg, "\xff\xff\x00\x00\x78\x01\x00\x00\x00\x00\x00", 11);
	EXPECT(p9c_raw(c, msg, 11) == -EPROTO);
	/* longer than msize */
	memset(msg, 0, sizeof(msg));
	n = P9_MSIZE_MAX + 16;
	msg[0] = (uint8_t)n;
	msg[1] = (uint8_t)(n >> 8);
	msg[2] = (uint8_t)(n >> 16);
	msg[4] = P9_TWRITE;
	EXPECT(p9c_raw(c, msg, n) == -EMSGSIZE);
	/* Twrite whose count disagrees with its size */
	memcpy(msg, "\x1a\x00\x00\x00\x76\x01\x00\x00\x00\x00\x00\0\0\0\0\0\0\0\0\x10\0\0\0abc",
	       26);
	EXPECT(p9c_raw(c, msg, 26) == -EPROTO);
	/* a 9P2000 (not .L) message type and an R-message sent as a request */
	memcpy(msg, "\x0b\x00\x00\x00\x70\x01\x00\x00\x00\x00\x00", 11);
	EXPECT(p9c_raw(c, msg, 11) == -EOPNOTSUPP);
	memcpy(msg, "\x0b\x00\x00\x00\x07\x01\x00\x02\x00\x00\x00", 11);
	EXPECT(p9c_raw(c, msg, 11) == -EOPNOTSUPP);
	/* random bytes with valid headers */
	srand(1);
	for (i = 0; i < 20000; i++) {
		n = 7 + (uint32_t)rand() % 64;
		for (uint32_t k = 0; k < n; k++)
			msg[k] = (uint8_t)rand();
		msg[0] = (uint8_t)n;
		msg[1] = msg[2] = msg[3] = 0;
		msg[4] = (uint8_t)(i % 128);
		p9c_raw(c, msg, n);
	}
	/* no reply room at all: nothing written */
	EXPECT(p9s_handle(c->w, "\x0b\x00\x00\x00\x78\x01\x00\x00\x00\x00\x00", 11, msg, 5) == 0);
	EXPECT(SNAP_SAME());
	EXPECT(file_is(H("hello.txt"), "hello from the host\n"));
}

TEST(fid_limits)
{
	struct p9c *c = fresh(0);
	uint32_t i;
	int r = 0;

	EXPECT(c);
	EXPECT(p9c_walk(c, 0, P9_NOFID, "") == -EBADF);
	for (i = 1; i <= 65536 && r == 0; i++)
		r = p9c_walk(c, 0, i, "");
	EXPECT(r == -EMFILE && i == 65537);
	for (i = 1; i < 65536; i++)
		EXPECT(p9c_clunk(c, i) == 0);
	r = 0;
	for (i = 0; i < 5000 && r == 0; i++) {
		r = p9c_walk(c, 0, 100 + i, "hello.txt");
		if (!r)
			r = p9c_lopen(c, 100 + i, O_RDONLY);
	}
	EXPECT(r == -EMFILE && i <= 4097);
}

/* Room for every share's open files: each share raises the descriptor
 * limit by P9S_MAX_OPEN (ukrun holds the descriptors of every share's
 * handed-over files; with a flat limit two shares' worth of open files
 * left none for its network). */
TEST(descriptor_room_per_share)
{
	struct rlimit saved, rl;
	struct p9s *a = NULL, *b = NULL;
	rlim_t want;

	EXPECT(getrlimit(RLIMIT_NOFILE, &saved) == 0);
	rl = saved;
	rl.rlim_cur = 1024;
	EXPECT(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	EXPECT(p9s_open_data(0, &a) == 0 && p9s_open_data(0, &b) == 0);
	EXPECT(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	want = 1024 + 2 * P9S_MAX_OPEN;
	EXPECT(rl.rlim_cur == (want < saved.rlim_max ? want : saved.rlim_max));
	p9s_close(a);
	p9s_close(b);
	EXPECT(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

/* ---- the read-only share ---- */

TEST(readonly_share_refuses_writes)
{
	struct p9c *c = fresh(P9S_RO);
	struct p9_iattr a = { .valid = P9_SETATTR_MODE, .mode = 0777 };
	struct p9_msg t;
	char before[16384], after[16384], cmd[512];
	FILE *p;
	size_t n;

	EXPECT(c);
	snprintf(cmd, sizeof(cmd),
	         "cd %s && find . -printf '%%p %%m %%s %%T@\\n' | sort && cat hello.txt dir/inner",
	         share);
	p = popen(cmd, "r");
	n = fread(before, 1, sizeof(before) - 1, p);
	before[n] = 0;
	pclose(p);
	EXPECT(p9c_walk(c, 0, 1, "hello.txt") == 0);
	EXPECT(p9c_lopen(c, 1, O_WRONLY) == -EROFS);
	EXPECT(p9c_lopen(c, 1, O_RDWR) == -EROFS);
	EXPECT(p9c_lopen(c, 1, O_RDONLY | O_TRUNC) == -EROFS);
	EXPECT(p9c_setattr(c, 1, &a) == -EROFS);
	a.valid = P9_SETATTR_SIZE;
	EXPECT(p9c_setattr(c, 1, &a) == -EROFS);
	EXPECT(p9c_lopen(c, 1, O_RDONLY) == 0);
	EXPECT(p9c_write(c, 1, 0, "x", 1) == -EROFS);
	EXPECT(p9c_read(c, 1, 0, 5) == 0 && c->r.u.rread.count == 5);
	EXPECT(p9c_walk(c, 0, 2, "") == 0);
	EXPECT(p9c_lcreate(c, 2, "new", O_RDONLY, 0644) == -EROFS);
	EXPECT(p9c_lcreate(c, 2, "new", O_RDWR, 0644) == -EROFS);
	EXPECT(p9c_mkdir(c, 0, "new", 0755) == -EROFS);
	EXPECT(p9c_symlink(c, 0, "new", "x") == -EROFS);
	EXPECT(p9c_walk(c, 0, 3, "hello.txt") == 0 && p9c_link(c, 0, 3, "new") == -EROFS);
	EXPECT(p9c_renameat(c, 0, "hello.txt", 0, "new") == -EROFS);
	EXPECT(p9c_unlinkat(c, 0, "hello.txt", 0) == -EROFS);
	EXPECT(p9c_unlinkat(c, 0, "dir", P9_AT_REMOVEDIR) == -EROFS);
	EXPECT(p9c_fid_op(c, P9_TREMOVE, 3) == -EROFS);
	t = (struct p9_msg){ .type = P9_TRENAME };
	t.u.trename.fid = 1;
	t.u.trename.name = p9_str("new");
	EXPECT(p9c_call(c, &t) == -EROFS);
	t = (struct p9_msg){ .type = P9_TMKNOD };
	t.u.tmknod.name = p9_str("node");
	EXPECT(p9c_call(c, &t) == -EROFS);
	t = (struct p9_msg){ .type = P9_TXATTRCREATE };
	t.u.txattrcreate.name = p9_str("user.x");
	EXPECT(p9c_call(c, &t) == -EROFS);
	/* reading and listing still work */
	EXPECT(p9c_walk(c, 0, 4, "dir") == 0 && p9c_lopen(c, 4, O_RDONLY) == 0);
	EXPECT(p9c_readdir(c, 4, 0, 4096) == 0 && c->r.u.rreaddir.count > 0);
	p = popen(cmd, "r");
	n = fread(after, 1, sizeof(after) - 1, p);
	after[n] = 0;
	pclose(p);
	EXPECT(strcmp(before, after) == 0);
}

/* ---- transport-facing behaviour ---- */

TEST(scatter_lists)
{
	struct p9c *c = fresh(0);
	struct p9_msg t = { .type = P9_TWRITE, .tag = 9 }, r;
	static uint8_t msg[200], rep[200];
	struct iovec in[3], out[3];
	struct p9s_req req;
	uint32_t n;

	EXPECT(c);
	EXPECT(p9c_walk(c, 0, 1, "") == 0 && p9c_lcreate(c, 1, "sg", O_RDWR, 0644) == 0);
	t.u.twrite.fid = 1;
	t.u.twrite.d.data = "0123456789abcdefghij";
	t.u.twrite.d.count = 20;
	n = p9_pack(msg, sizeof(msg), &t);
	in[0] = (struct iovec){ msg, 5 };
	in[1] = (struct iovec){ msg + 5, 25 };
	in[2] = (struct iovec){ msg + 30, n - 30 };
	out[0] = (struct iovec){ rep, sizeof(rep) };
	req = (struct p9s_req){ in, 3, out, 1, 0, 0, 0 };
	p9s_req_begin(c->s, &req);
	EXPECT(req.tag == 9 && req.type == P9_TWRITE);
	n = (uint32_t)p9s_req_run(c->w, &req);
	p9s_req_end(c->s, &req);
	EXPECT(p9_unpack(rep, n, &r) == 0 && r.type == P9_RWRITE && r.u.rwrite.count == 20);
	EXPECT(file_is(H("sg"), "0123456789abcdefghij"));
	/* Rread into three pieces, the header split too */
	t = (struct p9_msg){ .type = P9_TREAD, .tag = 10, .u.tread = { 1, 2, 100 } };
	n = p9_pack(msg, sizeof(msg), &t);
	in[0] = (struct iovec){ msg, n };
	memset(rep, 0, sizeof(rep));
	out[0] = (struct iovec){ rep, 3 };
	out[1] = (struct iovec){ rep + 3, 10 };
	out[2] = (struct iovec){ rep + 13, 10 };
	req = (struct p9s_req){ in, 1, out, 3, 0, 0, 0 };
	p9s_req_begin(c->s, &req);
	n = (uint32_t)p9s_req_run(c->w, &req);
	p9s_req_end(c->s, &req);
	EXPECT(n == 11 + 12); /* 23 bytes of room: 12 of data */
	EXPECT(p9_unpack(rep, n, &r) == 0 && r.u.rread.count == 12);
	EXPECT(memcmp(r.u.rread.data, "23456789abcd", 12) == 0);
}

struct flush_arg {
	struct p9s *s;
	struct p9s_worker *w;
	volatile int done;
	int ok;
};

static void *flush_thread(void *p)
{
	struct flush_arg *a = p;
	struct p9_msg t = { .type = P9_TFLUSH, .tag = 2, .u.tflush.oldtag = 1 }, r;
	uint8_t msg[64], rep[64];
	uint32_t n = p9_pack(msg, sizeof(msg), &t);

	n = (uint32_t)p9s_handle(a->w, msg, n, rep, sizeof(rep));
	a->ok = p9_unpack(rep, n, &r) == 0 && r.type == P9_RFLUSH && r.tag == 2;
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Rflush must not overtake the reply of the request it flushes. */
TEST(flush_waits_for_the_flushed_request)
{
	struct p9c *c = fresh(0);
	struct flush_arg a = { 0 };
	struct p9_msg t = { .type = P9_TCLUNK, .tag = 1, .u.tfid.fid = 77 };
	uint8_t msg[64];
	struct iovec in;
	struct p9s_req req;
	pthread_t th;
	int i;

	EXPECT(c);
	in = (struct iovec){ msg, p9_pack(msg, sizeof(msg), &t) };
	req = (struct p9s_req){ &in, 1, NULL, 0, 0, 0, 0 };
	a.s = c->s;
	a.w = p9s_worker_new(c->s);
	EXPECT(a.w);
	p9s_req_begin(c->s, &req); /* tag 1 in flight, not answered yet */
	pthread_create(&th, NULL, flush_thread, &a);
	usleep(100000);
	EXPECT(!__atomic_load_n(&a.done, __ATOMIC_SEQ_CST));
	p9s_req_end(c->s, &req);
	for (i = 0; i < 200 && !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	pthread_join(th, NULL);
	p9s_worker_free(a.w);
	EXPECT(a.done && a.ok);
	/* a flush of a tag not in flight answers at once */
	t = (struct p9_msg){ .type = P9_TFLUSH, .u.tflush.oldtag = 1234 };
	EXPECT(p9c_call(c, &t) == 0);
}

/* ---- ukrun's side: reads and writes on files a gofer handed over ---- */

/* The gofer hands over an opened file's descriptor; a P9S_DATA share
 * serves Tread and Twrite on it and refuses everything else. */
TEST(data_share_on_handed_over_files)
{
	static struct p9c d;
	int oflags = -1, fd;

	EXPECT(fresh(0));
	EXPECT(p9c_walk(C, 0, 1, "") == 0 && p9c_lcreate(C, 1, "handed", O_RDWR, 0644) == 0);
	EXPECT(p9c_walk(C, 0, 2, "") == 0 && p9c_lopen(C, 2, O_RDONLY | O_DIRECTORY) == 0);
	EXPECT(p9s_fid_fd(C->s, 2, &oflags) == -1); /* a directory stays with the gofer */
	fd = p9s_fid_fd(C->s, 1, &oflags);
	EXPECT(fd >= 0 && (oflags & O_ACCMODE) == O_RDWR);
	EXPECT(p9s_open_data(0, &d.s) == 0 && (d.w = p9s_worker_new(d.s)));
	EXPECT(p9s_fid_adopt(d.s, 7, dup(fd), oflags) == 0 && p9s_fid_is_open(d.s, 7));
	EXPECT(p9c_write(&d, 7, 0, "straight", 8) == 0 && d.r.u.rwrite.count == 8);
	EXPECT(p9c_read(C, 1, 0, 100) == 0); /* through the gofer's own fid */
	EXPECT(C->r.u.rread.count == 8 && !memcmp(C->r.u.rread.data, "straight", 8));
	EXPECT(p9c_read(&d, 7, 2, 100) == 0 && d.r.u.rread.count == 6);
	EXPECT(p9c_walk(&d, 7, 8, "") == -EOPNOTSUPP);
	EXPECT(p9c_clunk(&d, 7) == -EOPNOTSUPP);
	EXPECT(p9c_read(&d, 9, 0, 1) == -EBADF); /* never handed over */
	EXPECT(p9s_fid_clunk(d.s, 7) == 0 && !p9s_fid_is_open(d.s, 7));
	p9s_worker_free(d.w);
	p9s_close(d.s);
	/* a read-only share's side refuses writes as the gofer would */
	EXPECT(p9s_open_data(P9S_RO, &d.s) == 0 && (d.w = p9s_worker_new(d.s)));
	EXPECT(p9s_fid_adopt(d.s, 7, dup(fd), oflags) == 0);
	EXPECT(p9c_write(&d, 7, 0, "x", 1) == -EROFS);
	p9s_worker_free(d.w);
	p9s_close(d.s);
}

/* ---- the gofer's seccomp allow-list ---- */

/* Every operation, over and over, on this thread's own files. */
static int exercise(struct p9c *c, int id)
{
	char name[32], data[64];
	uint32_t base = (uint32_t)id * 1000 + 10, j;

	for (j = 0; j < 100; j++) {
		struct p9_iattr a = { .valid = P9_SETATTR_MODE | P9_SETATTR_SIZE,
			              .mode = 0600,
			              .size = 3 };
		snprintf(name, sizeof(name), "t%d-%u", id, j);
		snprintf(data, sizeof(data), "thread %d round %u", id, j);
		if (p9c_walk(c, 0, base, "") || p9c_lcreate(c, base, name, O_RDWR, 0644) ||
		    p9c_write(c, base, 0, data, (uint32_t)strlen(data)) || p9c_clunk(c, base))
			return 0;
		if (p9c_walk(c, 0, base + 1, name) || p9c_lopen(c, base + 1, O_RDONLY) ||
		    p9c_read(c, base + 1, 0, 100) || c->r.u.rread.count != strlen(data) ||
		    memcmp(c->r.u.rread.data, data, strlen(data)) || p9c_getattr(c, base + 1) ||
		    p9c_setattr(c, base + 1, &a) || p9c_fid_op(c, P9_TSTATFS, base + 1) ||
		    p9c_clunk(c, base + 1))
			return 0;
		if (p9c_mkdir(c, 0, name, 0755) != -EEXIST)
			return 0;
		snprintf(data, sizeof(data), "%s.lnk", name);
		if (p9c_symlink(c, 0, data, name) || p9c_unlinkat(c, 0, data, 0))
			return 0;
		snprintf(data, sizeof(data), "%s.moved", name);
		if (p9c_renameat(c, 0, name, 0, data) || p9c_unlinkat(c, 0, data, 0))
			return 0;
	}
	if (p9c_walk(c, 0, base, "") || p9c_lopen(c, base, O_RDONLY | O_DIRECTORY) ||
	    p9c_readdir(c, base, 0, 8192) || p9c_clunk(c, base))
		return 0;
	return 1;
}

/* Landlock: nothing outside the share opens, whatever the path, and
 * everything the server does inside it still works (renames and links
 * across directories included). */
TEST(confined_beneath_the_share)
{
	char p[300];
	pid_t pid;
	int st;

	if (!p9s_landlock_abi()) {
		printf("SKIP p9s/confined_beneath_the_share: no Landlock ABI 2 in this kernel\n");
		return;
	}
	EXPECT(fresh(0));
	snprintf(p, sizeof(p), "%s/sub/file", outside);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int root = open(share, O_PATH | O_DIRECTORY), r = p9s_confine(root);
		if (r < 2)
			syscall(SYS_exit_group, 2);
		if (open(p, O_RDONLY) >= 0 || errno != EACCES || open("/", O_RDONLY) >= 0)
			syscall(SYS_exit_group, 3);
		/* a rename and a link across directories; no FIFO */
		r = mkdirat(root, "ll", 0755) ||
		    (st = openat(root, "llf", O_CREAT | O_WRONLY, 0644)) < 0 ||
		    renameat(root, "llf", root, "ll/f") || linkat(root, "ll/f", root, "llg", 0) ||
		    unlinkat(root, "llg", 0) || unlinkat(root, "ll/f", 0) ||
		    unlinkat(root, "ll", AT_REMOVEDIR) || mkfifoat(root, "fifo", 0644) == 0;
		if (r)
			syscall(SYS_exit_group, 4);
		syscall(SYS_exit_group, exercise(C, 1) ? 0 : 1);
	}
	EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT(open(p, O_RDONLY) >= 0); /* the parent is not confined */
}

/* Every operation, in a child under the gofer's list: nothing missing. */
TEST(serving_under_seccomp)
{
	pid_t pid;
	int st;

	EXPECT(fresh(0));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (p9s_seccomp("gofer of /test: ") < 0)
			_exit(2);
		/* past the sanitizers' exit work (a leak check needs calls
		 * the gofer's list does not have) */
		syscall(SYS_exit_group, exercise(C, 1) ? 0 : 1);
	}
	EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* 125: a call missing from the list */
}

/* Anything else ends the gofer with 125 and a line naming the call (its
 * stderr, caught through a pipe). */
TEST(seccomp_stops_a_forbidden_call)
{
	char err[512] = { 0 };
	size_t n = 0;
	int p[2], st;
	ssize_t k;
	pid_t pid;

	EXPECT(pipe(p) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		if (p9s_seccomp("gofer of /test: ") < 0)
			_exit(2);
		socket(AF_INET, SOCK_STREAM, 0);
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	while (n < sizeof(err) - 1 && (k = read(p[0], err + n, sizeof(err) - 1 - n)) > 0)
		n += (size_t)k;
	close(p[0]);
	EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 125);
	EXPECT(strstr(err, "ukrun: gofer of /test: seccomp: blocked system call") &&
	       strstr(err, "(socket)") && strstr(err, "vmm/p9_seccomp.c"));
}

int main(void)
{
	int i;

	snprintf(top, sizeof(top), "/tmp/p9s-test.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	snprintf(share, sizeof(share), "%s/share", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	C = calloc(1, sizeof(*C));

	RUN("p9s", version_negotiation);
	RUN("p9s", attach_walk_getattr);
	RUN("p9s", create_write_read);
	RUN("p9s", big_io_at_full_msize);
	RUN("p9s", readdir_thousand);
	RUN("p9s", namespace_ops);
	RUN("p9s", rename_keeps_fids);
	RUN("p9s", setattr_and_fsync);
	RUN("p9s", xattr_lock_mknod);
	for (i = 0; i < 2; i++) {
		mode = i ? P9S_NO_OPENAT2 : 0;
#define ESCAPES(prefix)                           \
	RUN(prefix, uses_the_resolver_asked_for); \
	RUN(prefix, dotdot_walks);                \
	RUN(prefix, deep_walks_stop_at_path_max); \
	RUN(prefix, host_symlinks_pointing_out);  \
	RUN(prefix, guest_symlinks_pointing_out); \
	RUN(prefix, symlink_race);                \
	RUN(prefix, hard_links_to_outside);       \
	RUN(prefix, malformed_and_huge_messages); \
	RUN(prefix, readonly_share_refuses_writes)
		if (i) {
			ESCAPES("p9s/fallback");
		} else {
			ESCAPES("p9s/openat2");
		}
	}
	mode = 0;
	RUN("p9s", fid_limits);
	RUN("p9s", descriptor_room_per_share);
	RUN("p9s", scatter_lists);
	RUN("p9s", flush_waits_for_the_flushed_request);
	RUN("p9s", data_share_on_handed_over_files);
	RUN("p9s", confined_beneath_the_share);
	RUN("p9s", serving_under_seccomp);
	RUN("p9s", seccomp_stops_a_forbidden_call);

	if (C->w)
		p9s_worker_free(C->w);
	if (C->s)
		p9s_close(C->s);
	free(C);
	rm_rf(top);
	return unit_failures ? 1 : 0;
}
