/*
 * ukbuild disk: FAT disk images for `ukrun --disk`, made and filled with
 * Debian's mtools (no root, no mounts). Thin wrappers: the work is
 * mtools', the checks and the messages are ours (disk_mtools.c).
 *
 * Guest paths are written "/dir/name" (or "dir/name"); they name files on
 * the disk, not in the guest's tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "ukbuild.h"

static const char disk_usage[] =
    "usage: ukbuild disk create IMAGE --size SIZE [--fat 12|16|32] [--label L] [--from DIR] "
    "[--force]\n"
    "       ukbuild disk ls IMAGE [PATH] [-l] [-r]\n"
    "       ukbuild disk get IMAGE PATH DEST\n"
    "       ukbuild disk put IMAGE SRC PATH\n"
    "\n"
    "FAT disk images for `ukrun --disk IMAGE:/guest/path`, made with mtools.\n"
    "\n"
    "  create   format a new image of SIZE (64M, 1G ...); FAT12/16/32 chosen by\n"
    "           size unless --fat; --from copies DIR's contents in; an existing\n"
    "           IMAGE is only replaced with --force\n"
    "  ls       list PATH (default /): one name per line, directories end in /;\n"
    "           -l (--long) the long listing with sizes and times, -r\n"
    "           (--recursive) recursive\n"
    "  get      copy PATH (file or directory) out of the image to DEST, as cp -r:\n"
    "           into DEST when that is an existing directory, else as DEST\n"
    "  put      copy SRC (file or directory) into the image as PATH, replacing a\n"
    "           file of that name; PATH ending in / or naming a directory puts\n"
    "           SRC inside it; missing parent directories are made\n"
    "  -v       (--verbose) print the mtools commands\n"
    "\n"
    "Names must be FAT long names: up to 255 ASCII characters, none of\n"
    "\" * / : < > ? \\ | or control characters, not ending in a dot or a space.\n";

/* The FAT sizes mformat can reach with 512-byte sectors, for messages. */
static const char disk_fat_range[] =
    "FAT12 fits up to ~127 MiB, FAT16 ~2 MiB to 2 GiB, FAT32 from ~33 MiB";

static int disk_verbose;

/* "/a/b", "a/b", "::/a/b" -> "::/a/b" with every component checked;
 * "" and "/" are the root. Returns 0, or -1 with a message printed. */
static int disk_gpath(const char *what, const char *img, const char *arg, char *out, size_t n,
                      int check_names)
{
	char tmp[4096], why[512], *save, *c;
	const char *in = arg;
	size_t len;

	if (!strncmp(in, "::", 2))
		in += 2;
	while (*in == '/')
		in++;
	if (snprintf(tmp, sizeof(tmp), "%s", in) >= (int)sizeof(tmp) || strlen(in) + 4 > n) {
		ukb_err("disk %s: %s: '%s': path too long", what, img, arg);
		return -1;
	}
	snprintf(out, n, "::/");
	for (c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "..") || !strcmp(c, ".") ||
		    (check_names && ukb_disk_name_check(c, why, sizeof(why)))) {
			if (!strcmp(c, "..") || !strcmp(c, "."))
				snprintf(why, sizeof(why),
				         "'.' and '..' are not allowed in disk paths");
			ukb_err("disk %s: %s: %s: %s", what, img, arg, why);
			return -1;
		}
		len = strlen(out);
		snprintf(out + len, n - len, "%s%s", len > 3 ? "/" : "", c);
	}
	return 0;
}

/* Report a failed mtools command in our words where we know its meaning. */
static void disk_mt_report(const char *what, const char *img, const char *path,
                           const struct ukb_mt *r)
{
	if (r->status < 0)
		ukb_err("disk %s: cannot run mtools: %s (install mtools: ci/deps.sh)", what,
		        r->err);
	else if (strstr(r->err, "non DOS media") || strstr(r->err, "Cannot initialize"))
		ukb_err("disk %s: %s: not a FAT disk image%s%s", what, img,
		        *r->err ? " (mtools: " : "", *r->err ? ")" : "");
	else if (strstr(r->err, "not found"))
		ukb_err("disk %s: %s: %s: no such file or directory on the disk", what, img,
		        path + 2);
	else if (strstr(r->err, "Bad target") || strstr(r->err, "no match for target"))
		ukb_err("disk %s: %s: %s: the parent directory does not exist on the disk (or is a "
		        "file)",
		        what, img, path + 2);
	else
		ukb_err("disk %s: %s: mtools failed with status %d%s%s", what, img, r->status,
		        *r->err ? ": " : "", r->err);
}

/* Lock the image as ukrun does (flock: shared to read, exclusive to
 * write), so a running VM's disk is never changed or read half-written
 * under it. Returns the descriptor holding the lock, or -1 with a message. */
static int disk_lock(const char *img, const char *what, int fd, int excl)
{
	if (flock(fd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK)
		ukb_err("disk %s: %s is in use by a running VM (ukrun --disk): stop it first", what,
		        img);
	else
		ukb_err("disk %s: %s: cannot lock it: %s", what, img, strerror(errno));
	close(fd);
	return -1;
}

/* An existing FAT image, locked; its descriptor (left open: the lock
 * holds until ukbuild exits), or -1 with a message. */
static int disk_image_ok(const char *img, const char *what, int excl)
{
	struct ukb_fatinfo fi;
	char why[512];
	int fd = open(img, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ukb_err("disk %s: %s: %s", what, img, strerror(errno));
		return -1;
	}
	if (ukb_disk_fatinfo(img, &fi, why, sizeof(why))) {
		ukb_err("disk %s: %s", what, why);
		close(fd);
		return -1;
	}
	return disk_lock(img, what, fd, excl);
}

/* ---- create ---- */

struct disk_create {
	const char *img, *label, *from, *size_arg;
	uint64_t size;
	unsigned fat;
	int force;
};

static int disk_label_ok(const char *l)
{
	if (strlen(l) > 11) {
		ukb_err("disk create: --label '%s': at most 11 characters", l);
		return -1;
	}
	for (const char *p = l; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr(" !#$%&'()-@^_`{}~", *p))) {
			ukb_err("disk create: --label '%s': '%c' is not allowed in a FAT label "
			        "(letters, digits, space and !#$%%&'()-@^_`{}~)",
			        l, *p);
			return -1;
		}
	return 0;
}

/* mformat once with the given sectors per cluster (0: its choice). */
static int disk_mformat(const struct disk_create *c, int spc, struct ukb_fatinfo *fi, char *err,
                        size_t n)
{
	const char *argv[12];
	char spcs[8];
	struct ukb_mt r;
	int k = 0, st;

	argv[k++] = "mformat", argv[k++] = "-i", argv[k++] = c->img;
	if (c->fat == 32)
		argv[k++] = "-F";
	if (spc) {
		snprintf(spcs, sizeof(spcs), "%d", spc);
		argv[k++] = "-c", argv[k++] = spcs;
	}
	if (c->label)
		argv[k++] = "-v", argv[k++] = c->label;
	argv[k++] = "::", argv[k] = NULL;
	st = ukb_mt_run(argv, &r, disk_verbose);
	snprintf(err, n, "%s", r.err);
	ukb_mt_free(&r);
	if (st)
		return -1;
	return ukb_disk_fatinfo(c->img, fi, err, n) ? -1 : 0;
}

/* mformat picks the FAT type from the cluster count it arrives at; when
 * that is not the one asked for, retry with the smallest or largest
 * cluster. */
static int disk_format(const struct disk_create *c)
{
	static const int tries[] = { 0, 1, 64 };
	struct ukb_fatinfo fi = { 0 };
	char err[512] = "";

	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (disk_mformat(c, tries[i], &fi, err, sizeof(err)) == 0 &&
		    (!c->fat || fi.bits == c->fat))
			return 0;
		if (!c->fat)
			break;
	}
	if (c->fat && (fi.bits || strstr(err, "clusters")))
		ukb_err("disk create: %s: %llu bytes cannot hold a FAT%u volume (%s)", c->img,
		        (unsigned long long)c->size, c->fat, disk_fat_range);
	else
		ukb_err("disk create: %s: mformat failed%s%s", c->img, *err ? ": " : "", err);
	return -1;
}

/* Copy the entries of dir into the root, up to 256 per mcopy. */
static int disk_fill(const struct disk_create *c)
{
	const char *argv[256 + 8];
	struct ukb_mt r;
	char *paths[256];
	struct dirent **ents;
	int n = scandir(c->from, &ents, NULL, alphasort), i = 0, st = 0;

	if (n < 0) {
		ukb_err("disk create: --from %s: %s", c->from, strerror(errno));
		return -1;
	}
	while (i < n && !st) {
		int k = 0, np = 0;

		argv[k++] = "mcopy", argv[k++] = "-s", argv[k++] = "-m", argv[k++] = "-i";
		argv[k++] = c->img;
		for (; i < n && np < 256; i++) {
			const char *nm = ents[i]->d_name;
			if (!strcmp(nm, ".") || !strcmp(nm, ".."))
				continue;
			if (asprintf(&paths[np], "%s/%s", c->from, nm) < 0)
				break;
			argv[k++] = paths[np++];
		}
		argv[k++] = "::/", argv[k] = NULL;
		if (np)
			st = ukb_mt_run(argv, &r, disk_verbose);
		if (np && st)
			strstr(r.err, "Disk full")
			    ? ukb_err("disk create: %s: the disk is full: %s does not fit", c->img,
			              c->from)
			    : disk_mt_report("create", c->img, "::/", &r);
		if (np)
			ukb_mt_free(&r);
		while (np)
			free(paths[--np]);
	}
	for (int j = 0; j < n; j++)
		free(ents[j]);
	free(ents);
	return st ? -1 : 0;
}

static int disk_create_opt(void *ctx, int key, const char *v)
{
	struct disk_create *c = ctx;

	switch (key) {
	case 's': c->size_arg = v; break;
	case 'F':
		c->fat = atoi(v);
		if (strcmp(v, "12") && strcmp(v, "16") && strcmp(v, "32")) {
			ukb_err("disk create: --fat '%s': expected 12, 16 or 32", v);
			return -1;
		}
		break;
	case 'L': c->label = v; break;
	case 'd': c->from = v; break;
	case 'f': c->force = 1; break;
	case 'v': disk_verbose = 1; break;
	}
	return 0;
}

static int disk_create_args(int argc, char **argv, struct disk_create *c)
{
	const char *size;
	char err[256];

	if (host_opts(argc, argv, "s:size= F.fat= L.label= d.from= f:force v:verbose", 0,
	              "ukbuild disk --help", disk_create_opt, c, err, sizeof(err))) {
		if (*err)
			ukb_err("disk create: %s", err);
		return -1;
	}
	size = c->size_arg;
	if (optind != argc - 1 || !size) {
		ukb_err("usage: ukbuild disk create IMAGE --size SIZE [--fat 12|16|32] [--label L] "
		        "[--from DIR] [--force]");
		return -1;
	}
	c->img = argv[optind];
	/* 32-bit sector counts: 2 TiB is FAT's limit with 512-byte sectors. */
	if (host_parse_size(size, &c->size) || c->size < (64u << 10) ||
	    c->size > (2ull << 40) - 512) {
		ukb_err("disk create: --size '%s': expected a size from 64K to 2T, like 64M or 1G",
		        size);
		return -1;
	}
	c->size &= ~511ull;
	return c->label ? disk_label_ok(c->label) : 0;
}

static int disk_create(int argc, char **argv)
{
	struct disk_create c = { 0 };
	uint64_t bytes = 0;
	char why[1024];
	int fd, r = -1;

	if (disk_create_args(argc, argv, &c))
		return UKB_EXIT_ERROR;
	if (c.from && ukb_disk_tree_check(c.from, &bytes, why, sizeof(why))) {
		ukb_err("disk create: --from: %s", why);
		return UKB_EXIT_ERROR;
	}
	if (bytes > c.size) {
		ukb_err("disk create: %s: the disk would be full: --from %s holds %llu bytes, "
		        "--size is %llu",
		        c.img, c.from, (unsigned long long)bytes, (unsigned long long)c.size);
		return UKB_EXIT_ERROR;
	}
	/* Truncated only once locked: --force never clobbers a running VM's disk. */
	fd = open(c.img, O_WRONLY | O_CREAT | O_CLOEXEC | (c.force ? 0 : O_EXCL), 0644);
	if (fd < 0) {
		ukb_err("disk create: %s: %s%s", c.img, strerror(errno),
		        errno == EEXIST ? " (use --force to replace it)" : "");
		return UKB_EXIT_ERROR;
	}
	if (disk_lock(c.img, "create", fd, 1) < 0)
		return UKB_EXIT_ERROR;
	if (ftruncate(fd, 0) || ftruncate(fd, c.size)) {
		ukb_err("disk create: %s: cannot size it to %llu bytes: %s", c.img,
		        (unsigned long long)c.size, strerror(errno));
		goto out;
	}
	if (disk_format(&c))
		goto out;
	r = c.from ? disk_fill(&c) : 0;
out:
	if (r)
		unlink(c.img);
	close(fd);
	return r ? UKB_EXIT_ERROR : 0;
}

/* ---- ls, get, put ---- */

/* ls's -l and -r */
struct disk_ls_flags {
	int l, rec;
};

static int disk_flag(void *ctx, int key, const char *v)
{
	struct disk_ls_flags *f = ctx;

	switch (key) {
	case 'l': f->l = 1; break;
	case 'r': f->rec = 1; break;
	case 'v': disk_verbose = 1; break;
	}
	return 0;
}

/* ls's, get's and put's options (spec: host_opts's; f only for ls's -l and
 * -r), operands at optind. */
static int disk_flags(int argc, char **argv, const char *spec, struct disk_ls_flags *f)
{
	char err[256];

	if (host_opts(argc, argv, spec, 0, "ukbuild disk --help", disk_flag, f, err, sizeof(err))) {
		ukb_err("disk %s: %s", argv[0], err);
		return -1;
	}
	return 0;
}

/* mdir -b prints "::/dir/name" per entry, directories with a trailing /. */
static void disk_print_bare(const char *out)
{
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 2 && !strncmp(p, "::", 2))
			printf("%.*s\n", (int)(len - 2), p + 2);
		p += len + (nl != NULL);
	}
}

static int disk_ls(int argc, char **argv)
{
	const char *mv[8];
	char path[4096];
	struct ukb_mt r;
	struct disk_ls_flags f = { 0 };
	int k = 0, st, lk;

	if (disk_flags(argc, argv, "l:long r:recursive v:verbose", &f) || optind < argc - 2 ||
	    optind >= argc) {
		ukb_err("usage: ukbuild disk ls IMAGE [PATH] [-l] [-r]");
		return UKB_EXIT_ERROR;
	}
	if ((lk = disk_image_ok(argv[optind], "ls", 0)) < 0 ||
	    disk_gpath("ls", argv[optind], optind + 1 < argc ? argv[optind + 1] : "/", path,
	               sizeof(path), 0))
		return UKB_EXIT_ERROR;
	mv[k++] = "mdir", mv[k++] = "-a";
	if (!f.l)
		mv[k++] = "-b";
	if (f.rec)
		mv[k++] = "-/";
	mv[k++] = "-i", mv[k++] = argv[optind], mv[k++] = path, mv[k] = NULL;
	st = ukb_mt_run(mv, &r, disk_verbose);
	if (st)
		disk_mt_report("ls", argv[optind], path, &r);
	else if (f.l)
		printf("%s\n", r.out);
	else
		disk_print_bare(r.out);
	ukb_mt_free(&r);
	return st ? UKB_EXIT_ERROR : 0;
}

static int disk_get(int argc, char **argv)
{
	const char *mv[10];
	char path[4096];
	struct ukb_mt r;
	int k = 0, st, lk;

	if (disk_flags(argc, argv, "v:verbose", NULL) || optind != argc - 3) {
		ukb_err("usage: ukbuild disk get IMAGE PATH DEST");
		return UKB_EXIT_ERROR;
	}
	if ((lk = disk_image_ok(argv[optind], "get", 0)) < 0 ||
	    disk_gpath("get", argv[optind], argv[optind + 1], path, sizeof(path), 0))
		return UKB_EXIT_ERROR;
	/* -n: replace DEST without asking, as cp does; -m: keep times. */
	mv[k++] = "mcopy", mv[k++] = "-s", mv[k++] = "-n", mv[k++] = "-m";
	mv[k++] = "-i", mv[k++] = argv[optind], mv[k++] = path, mv[k++] = argv[optind + 2];
	mv[k] = NULL;
	st = ukb_mt_run(mv, &r, disk_verbose);
	if (st && *r.err == 0 && access(argv[optind + 2], W_OK) && errno != ENOENT)
		ukb_err("disk get: %s: %s", argv[optind + 2], strerror(errno));
	else if (st)
		disk_mt_report("get", argv[optind], path, &r);
	ukb_mt_free(&r);
	return st ? UKB_EXIT_ERROR : 0;
}

/* mkdir -p of path's parents (everything before the last component);
 * mmd refuses existing ones, which is fine: mcopy reports what is left. */
static void disk_mkparents(const char *img, const char *path)
{
	char dir[4096];
	const char *mv[6] = { "mmd", "-i", img, dir, NULL };
	struct ukb_mt r;

	for (const char *p = strchr(path + 3, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - path), path);
		ukb_mt_run(mv, &r, disk_verbose);
		ukb_mt_free(&r);
	}
}

static void disk_full_report(const char *img, const char *src, uint64_t bytes)
{
	long long fr = ukb_disk_free(img, disk_verbose);

	ukb_err("disk put: %s: the disk is full: %s needs %llu bytes, %lld bytes are free%s", img,
	        src, (unsigned long long)bytes, fr,
	        " (files copied before it stay; a partly copied file is removed)");
}

static int disk_put(int argc, char **argv)
{
	const char *mv[12], *img, *src;
	char path[4096], why[1024], *srccopy;
	uint64_t bytes = 0;
	struct ukb_mt r;
	int k = 0, st, lk;
	size_t len;

	if (disk_flags(argc, argv, "v:verbose", NULL) || optind != argc - 3) {
		ukb_err("usage: ukbuild disk put IMAGE SRC PATH");
		return UKB_EXIT_ERROR;
	}
	img = argv[optind], src = argv[optind + 1];
	if ((lk = disk_image_ok(img, "put", 1)) < 0 ||
	    disk_gpath("put", img, argv[optind + 2], path, sizeof(path), 1))
		return UKB_EXIT_ERROR;
	if (ukb_disk_tree_check(src, &bytes, why, sizeof(why))) {
		ukb_err("disk put: %s", why);
		return UKB_EXIT_ERROR;
	}
	len = strlen(argv[optind + 2]);
	if (len && argv[optind + 2][len - 1] == '/') {
		/* Into a directory: SRC's own name lands on the disk. */
		srccopy = strdup(src);
		if (!srccopy || ukb_disk_name_check(basename(srccopy), why, sizeof(why))) {
			ukb_err("disk put: %s: %s", src, srccopy ? why : strerror(ENOMEM));
			free(srccopy);
			return UKB_EXIT_ERROR;
		}
		free(srccopy);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s",
		         strlen(path) > 3 ? "/" : "");
	}
	disk_mkparents(img, path);
	/* -D o: replace a file of the same name; -m: keep times. */
	mv[k++] = "mcopy", mv[k++] = "-s", mv[k++] = "-m", mv[k++] = "-D", mv[k++] = "o";
	mv[k++] = "-i", mv[k++] = img, mv[k++] = src, mv[k++] = path, mv[k] = NULL;
	st = ukb_mt_run(mv, &r, disk_verbose);
	if (st && strstr(r.err, "Disk full"))
		disk_full_report(img, src, bytes);
	else if (st)
		disk_mt_report("put", img, path, &r);
	ukb_mt_free(&r);
	return st ? UKB_EXIT_ERROR : 0;
}

int ukb_cmd_disk(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(disk_usage, stdout);
		return 0;
	}
	if (!strcmp(sub, "create"))
		return disk_create(argc - 1, argv + 1);
	if (!strcmp(sub, "ls"))
		return disk_ls(argc - 1, argv + 1);
	if (!strcmp(sub, "get"))
		return disk_get(argc - 1, argv + 1);
	if (!strcmp(sub, "put"))
		return disk_put(argc - 1, argv + 1);
	if (*sub)
		ukb_err("disk: unknown subcommand '%s'", sub);
	fputs(disk_usage, stderr);
	return UKB_EXIT_ERROR;
}
