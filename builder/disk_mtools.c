/*
 * ukbuild disk: running mtools and checking names before mtools sees them.
 *
 * mtools fails silently (status 1, no message) on a name FAT cannot hold
 * and asks questions on stdin on a name clash, so names are checked here
 * first and every command runs with stdin at /dev/null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk.h"

/* Longest long name, in UTF-16 code units (the FAT LFN limit). */
#define DISK_LFN_MAX 255

static char *disk_slurp(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	if (len < 0)
		len = 0;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	if (pread(fd, buf, len, 0) != len)
		len = 0;
	buf[len] = 0;
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = 0;
	return buf;
}

static void disk_child(const char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* Images are plain files of any size: no geometry checks. */
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	/* Settings that would change what lands on the disk. */
	unsetenv("MTOOLS_NO_VFAT");
	unsetenv("MTOOLS_LOWER_CASE");
	unsetenv("MTOOLS_TWENTY_FOUR_HOUR_CLOCK");
	setenv("LC_ALL", "C.UTF-8", 1);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "%s: %s (install mtools: ci/deps.sh)", argv[0], strerror(errno));
	_exit(127);
}

int ukb_mt_run(const char *const argv[], struct ukb_mt *r, int verbose)
{
	int out = memfd_create("mtools-out", 0), err = memfd_create("mtools-err", 0);
	pid_t pid;
	int st;

	r->status = -1, r->out = r->err = NULL;
	if (verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', stderr);
	}
	if (out < 0 || err < 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		disk_child(argv, out, err);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			goto out;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = disk_slurp(out);
	r->err = disk_slurp(err);
out:
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup(r->status < 0 ? strerror(errno) : "");
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return r->status;
}

void ukb_mt_free(struct ukb_mt *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* UTF-16 code units of a UTF-8 string: 4-byte sequences need two. */
static size_t disk_utf16_len(const unsigned char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if ((*s & 0xc0) != 0x80)
			n++;
		if (*s >= 0xf0)
			n++;
	}
	return n;
}

int ukb_disk_name_check(const char *name, char *why, size_t n)
{
	size_t len = strlen(name);

	if (!len || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(why, n, "'%s' cannot be a file name", name);
		return -EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(why, n, "'%s': control characters are not allowed in FAT names",
			         name);
			return -EINVAL;
		}
		if (strchr("\"*/:<>?\\|", *p)) {
			snprintf(why, n,
			         "'%s': '%c' is not allowed in FAT names (none of \" * / : < > ? "
			         "\\ | may appear)",
			         name, *p);
			return -EINVAL;
		}
		/* mtools converts through a code page and changes the case of
		 * non-ASCII letters: refuse rather than store another name. */
		if (*p >= 0x80) {
			snprintf(why, n,
			         "'%s': only ASCII names are supported by ukbuild disk (mtools "
			         "changes non-ASCII ones)",
			         name);
			return -EINVAL;
		}
	}
	if (name[len - 1] == '.' || name[len - 1] == ' ') {
		snprintf(why, n, "'%s': FAT names cannot end in a dot or a space", name);
		return -EINVAL;
	}
	if (disk_utf16_len((const unsigned char *)name) > DISK_LFN_MAX) {
		snprintf(why, n, "'%.40s...': longer than FAT's %d characters", name, DISK_LFN_MAX);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int disk_casecmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted ignoring case; NULL with errno set on failure. */
static char **disk_names(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **nv;
	size_t k = 0;

	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		nv = realloc(v, (k + 2) * sizeof(*v));
		if (!nv || !(nv[k] = strdup(e->d_name))) {
			v = nv ? nv : v;
			break;
		}
		v = nv, k++;
	}
	closedir(d);
	if (e) {
		while (k)
			free(v[--k]);
		free(v);
		errno = ENOMEM;
		return NULL;
	}
	if (!v)
		v = calloc(1, sizeof(*v));
	qsort(v, k, sizeof(*v), disk_casecmp);
	*count = k;
	return v;
}

static int disk_entry_check(const char *dir, const char *name, uint64_t *bytes, char *why, size_t n)
{
	char path[4096];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		snprintf(why, n, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	if ((r = ukb_disk_name_check(name, why, n))) {
		size_t l = strlen(why);
		snprintf(why + l, n - l, " (at %s)", path);
		return r;
	}
	return ukb_disk_tree_check(path, bytes, why, n);
}

static int disk_dir_check(const char *dir, uint64_t *bytes, char *why, size_t n)
{
	size_t k = 0;
	char **v = disk_names(dir, &k);
	int r = 0;

	if (!v) {
		snprintf(why, n, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < k && !r; i++) {
		if (i && !strcasecmp(v[i - 1], v[i])) {
			snprintf(
			    why, n,
			    "%s: '%s' and '%s' differ only in case, which FAT does not tell apart",
			    dir, v[i - 1], v[i]);
			r = -EEXIST;
		} else {
			r = disk_entry_check(dir, v[i], bytes, why, n);
		}
	}
	while (k)
		free(v[--k]);
	free(v);
	return r;
}

int ukb_disk_tree_check(const char *path, uint64_t *bytes, char *why, size_t n)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode))
		return disk_dir_check(path, bytes, why, n);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, n, "%s: only regular files and directories can go on a FAT disk",
		         path);
		return -EINVAL;
	}
	*bytes += st.st_size;
	return 0;
}

static unsigned disk_le16(const unsigned char *p) { return p[0] | p[1] << 8; }

static uint32_t disk_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The FAT type follows from the count of data clusters alone (Microsoft's
 * FAT specification, "FAT type determination"). */
int ukb_disk_fatinfo(const char *img, struct ukb_fatinfo *fi, char *why, size_t n)
{
	unsigned char b[512];
	int fd = open(img, O_RDONLY);
	uint32_t bps, spc, rsvd, nfat, rootents, tot, fatsz, rootsec, meta;
	ssize_t got = fd < 0 ? -1 : pread(fd, b, sizeof(b), 0);

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof(b)) {
		snprintf(why, n, "%s: cannot read the boot sector: %s", img,
		         got < 0 ? strerror(errno) : "file too short");
		return -EIO;
	}
	bps = disk_le16(b + 11), spc = b[13], rsvd = disk_le16(b + 14), nfat = b[16];
	rootents = disk_le16(b + 17);
	tot = disk_le16(b + 19) ? disk_le16(b + 19) : disk_le32(b + 32);
	fatsz = disk_le16(b + 22) ? disk_le16(b + 22) : disk_le32(b + 36);
	if (b[510] != 0x55 || b[511] != 0xaa || bps < 512 || bps > 4096 || (bps & (bps - 1)) ||
	    !spc || (spc & (spc - 1)) || !rsvd || !nfat || !fatsz) {
		snprintf(why, n, "%s: not a FAT volume (no valid boot sector)", img);
		return -EINVAL;
	}
	rootsec = (rootents * 32 + bps - 1) / bps;
	meta = rsvd + nfat * fatsz + rootsec;
	if (meta >= tot) {
		snprintf(why, n, "%s: not a FAT volume (boot sector sizes do not add up)", img);
		return -EINVAL;
	}
	fi->clusters = (tot - meta) / spc;
	fi->cluster_bytes = bps * spc;
	fi->bits = fi->clusters < 4085 ? 12 : fi->clusters < 65525 ? 16 : 32;
	return 0;
}

/* mdir ends with "  1 234 567 bytes free": digits grouped by spaces. */
long long ukb_disk_free(const char *img, int verbose)
{
	const char *argv[] = { "mdir", "-i", img, "::/", NULL };
	struct ukb_mt r;
	long long v = -1;
	char *p, *end;

	if (ukb_mt_run(argv, &r, verbose) == 0 && (end = strstr(r.out, " bytes free"))) {
		for (p = end; p > r.out && (p[-1] == ' ' || (p[-1] >= '0' && p[-1] <= '9'));)
			p--;
		for (v = 0; p < end; p++)
			if (*p >= '0' && *p <= '9')
				v = v * 10 + (*p - '0');
	}
	ukb_mt_free(&r);
	return v;
}
