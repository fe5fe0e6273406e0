/*
 * The image cache: a bundle's root filesystem becomes a uk image once.
 * ROOT/images/KEY.img, where KEY is a SHA-256 over what the image is made
 * of: every entry of the root filesystem (its path, type and mode, owner,
 * size, modification time, device number and link target, walked in name
 * order; a time for files only), the working directory and user baked into its manifest, and the
 * builder that makes it (ukbuild and the library OS beside this ukrun:
 * their files' sizes and times). The engines hand the same image's layers
 * to every container unchanged, so a second container of an image finds
 * its VM image without reading a byte of the files; a file changed in
 * place keeps its key only if its size and time are kept too, which
 * nothing in an engine's image store does.
 *
 * The program's arguments and environment are not part of it: they reach
 * the guest at run time (ukrun's command line), as `ukrun IMAGE ARGS`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <libgen.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

#define WALK_MAX_ENTRIES 4000000 /* a root filesystem with more is refused */
#define KEY_FORMAT "uk-oci-image-2"

struct walk {
	struct sha256_ctx h;
	size_t n;
	char path[PATH_MAX];
	const char *err;
};

static void hash_entry(struct walk *w, const char *rel, const struct stat *st)
{
	char line[PATH_MAX + 200], link[PATH_MAX];
	/* A file's times and inode stand for its bytes: the change time too,
	 * which no one can set back (tar, cp -p, rsync -a and reproducible
	 * builds keep mtime while the bytes change), and the inode (a file
	 * replaced by a rename); a lower layer's file keeps both in every
	 * container's overlay. A directory's or a link's times say only when
	 * an entry was made (podman makes /etc/mtab in every container's
	 * upper layer, copying /etc up): their entries and target are what
	 * they hold. */
	int file = S_ISREG(st->st_mode);
	int n =
	    snprintf(line, sizeof(line), "%s%c%o %u %u %lld %lld.%09ld %lld.%09ld %llu %llu", rel,
	             0, (unsigned)st->st_mode, (unsigned)st->st_uid, (unsigned)st->st_gid,
	             file ? (long long)st->st_size : 0, file ? (long long)st->st_mtim.tv_sec : 0,
	             file ? st->st_mtim.tv_nsec : 0, file ? (long long)st->st_ctim.tv_sec : 0,
	             file ? st->st_ctim.tv_nsec : 0, file ? (unsigned long long)st->st_ino : 0,
	             (unsigned long long)st->st_rdev);

	sha256_update(&w->h, (size_t)n + 1, (const uint8_t *)line);
	if (S_ISLNK(st->st_mode)) {
		ssize_t l = readlink(w->path, link, sizeof(link));
		if (l > 0)
			sha256_update(&w->h, (size_t)l, (const uint8_t *)link);
	}
}

static int no_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* w->path is a directory at offset base; its entries in name order. */
static int walk_dir(struct walk *w, size_t base, size_t top)
{
	struct dirent **names;
	int n = scandir(w->path, &names, no_dots, alphasort), r = 0;

	if (n < 0) {
		w->err = strerror(errno);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		struct stat st;
		if (r || base + 1 + len >= sizeof(w->path) || ++w->n > WALK_MAX_ENTRIES) {
			if (!r)
				w->err = base + 1 + len >= sizeof(w->path) ? "a path too long"
				                                           : "too many entries";
			r = -1;
			free(names[i]);
			continue;
		}
		w->path[base] = '/';
		memcpy(w->path + base + 1, names[i]->d_name, len + 1);
		free(names[i]);
		if (lstat(w->path, &st)) {
			w->err = strerror(errno);
			r = -1;
			continue;
		}
		hash_entry(w, w->path + top, &st);
		if (S_ISDIR(st.st_mode))
			r = walk_dir(w, base + 1 + len, top);
		w->path[base] = 0;
	}
	free(names);
	return r;
}

static int hash_tree(struct walk *w, const char *dir)
{
	size_t len = strlen(dir);

	if (len >= sizeof(w->path))
		return -1;
	memcpy(w->path, dir, len + 1);
	return walk_dir(w, len, len);
}

/* This ukrun's directory (build/bin/, or where it was installed). */
static int self_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = 0;
	snprintf(out, len, "%s", dirname(exe));
	return 0;
}

static int make_key(const struct oci_rt *rt, const struct oci_spec *s, const char *bin, char *key)
{
	static struct walk w; /* PATH_MAX of path: off the stack */
	uint8_t d[SHA256_DIGEST_SIZE];
	char ids[64], path[PATH_MAX + 32];
	struct stat st;

	sha256_init(&w.h);
	w.n = 0;
	sha256_update(&w.h, sizeof(KEY_FORMAT), (const uint8_t *)KEY_FORMAT);
	if (hash_tree(&w, s->rootfs)) {
		oci_err(rt, "root filesystem %s: %s (at %s)", s->rootfs,
		        w.err ? w.err : "unreadable", w.path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ukbuild", bin);
	if (stat(path, &st)) {
		oci_err(rt,
		        "%s: %s (ukbuild builds the container's image: install it beside ukrun)",
		        path, strerror(errno));
		return -1;
	}
	hash_entry(&w, "ukbuild", &st);
	snprintf(path, sizeof(path), "%s/../lib/uk", bin);
	if (hash_tree(&w, path)) {
		oci_err(rt, "%s: %s (the uk sysroot, beside ukrun)", path,
		        w.err ? w.err : "unreadable");
		return -1;
	}
	for (int i = 0; i < s->nfiles; i++) /* each a link into OCI_FILES_DIR */
		sha256_update(&w.h, strlen(s->files[i].dst) + 1, (const uint8_t *)s->files[i].dst);
	sha256_update(&w.h, 1, (const uint8_t *)"");
	sha256_update(&w.h, strlen(s->cwd) + 1, (const uint8_t *)s->cwd);
	snprintf(ids, sizeof(ids), "%u:%u", s->uid, s->gid);
	sha256_update(&w.h, strlen(ids) + 1, (const uint8_t *)ids);
	sha256_digest(&w.h, sizeof(d), d);
	for (int i = 0; i < (int)sizeof(d); i++)
		sprintf(key + 2 * i, "%02x", d[i]);
	oci_log(rt, "debug", "image key %.16s... from %zu entries of %s", key, w.n, s->rootfs);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	remove(path); /* best effort: the next build starts over */
	return 0;
}

/* mkdir -p of path's parent directories below stage. */
static int parents(char *path, size_t from)
{
	for (char *p = path + from + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* The tree ukbuild adds over the root filesystem: OCI_FILES_DIR, and a
 * link into it at each single file's destination. */
static int make_stage(const struct oci_rt *rt, const struct oci_spec *s, const char *stage)
{
	char path[PATH_MAX], target[64];
	size_t n = strlen(stage);

	nftw(stage, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(path, sizeof(path), "%s%s/", stage, OCI_FILES_DIR);
	if (mkdir(stage, 0755) || parents(path, n))
		goto fail;
	for (int i = 0; i < s->nfiles; i++) {
		snprintf(path, sizeof(path), "%s%s", stage, s->files[i].dst);
		snprintf(target, sizeof(target), "%s/%d", OCI_FILES_DIR, i);
		if (parents(path, n) || symlink(target, path))
			goto fail;
	}
	return 0;
fail:
	oci_err(rt, "%s: %s", path, strerror(errno));
	return -1;
}

/* Run ukbuild, its output into logpath; 0 when it made out. */
static int build(const struct oci_rt *rt, const struct oci_spec *s, const char *bin,
                 const char *out, const char *logpath, const char *stage)
{
	char ukbuild[PATH_MAX + 16], src[PATH_MAX + 8], ids[32], add[PATH_MAX + 128];
	const char *argv[20];
	int n = 0, status, fd;
	pid_t pid;

	snprintf(ukbuild, sizeof(ukbuild), "%s/ukbuild", bin);
	snprintf(src, sizeof(src), "dir:%s", s->rootfs);
	snprintf(ids, sizeof(ids), "%u:%u", s->uid, s->gid);
	argv[n++] = ukbuild;
	argv[n++] = "oci";
	argv[n++] = src;
	argv[n++] = "-o";
	argv[n++] = out;
	argv[n++] = "-q";
	argv[n++] = "--cmd"; /* replaced at run time; names the program to check for */
	argv[n++] = s->args[0];
	argv[n++] = "-w";
	argv[n++] = s->cwd;
	if (s->uid || s->gid)
		argv[n++] = "-u", argv[n++] = ids;
	snprintf(add, sizeof(add), "%s:/", stage);
	argv[n++] = "--add";
	argv[n++] = add;
	argv[n] = NULL;
	if (make_stage(rt, s, stage))
		return -1;
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		oci_err(rt, "%s: %s", logpath, strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(fd);
		oci_err(rt, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(ukbuild, (char *const *)argv);
		dprintf(2, "ukrun: %s: %s\n", ukbuild, strerror(errno));
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static void log_tail(const struct oci_rt *rt, const char *rootfs, const char *path)
{
	char buf[1500];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	oci_err(rt, "building the image of %s: %s", rootfs, buf);
}

/* Images no container used for OCI_CACHE_DAYS go when another is built
 * (builds are rare: the cost is paid then). One in use is not touched: a
 * container holds its image's lock, shared, until its VM has the image
 * open, and a pruner takes it exclusive without waiting. */
static void prune(const struct oci_rt *rt, const char *dir)
{
	struct dirent **names;
	time_t now = time(NULL);
	int n = scandir(dir, &names, no_dots, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char img[PATH_MAX + 300], lock[PATH_MAX + 300];
		size_t len = strlen(name);
		struct stat st;
		int fd;
		if (len == 68 && !strcmp(name + 64, ".img") &&
		    snprintf(img, sizeof(img), "%s/%s", dir, name) > 0 && !stat(img, &st) &&
		    now - st.st_mtime > OCI_CACHE_DAYS * 86400) {
			snprintf(lock, sizeof(lock), "%s/%.64s.lock", dir, name);
			fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
			if (fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB) && !unlink(img))
				oci_log(rt, "info",
				        "image cache: removed %s (unused for %lld days)", name,
				        (long long)(now - st.st_mtime) / 86400);
			if (fd >= 0)
				close(fd); /* the lock file stays: a waiter may hold it */
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

int oci_image_get(const struct oci_rt *rt, const struct oci_spec *s, char *out, size_t outlen,
                  int *hold)
{
	char bin[PATH_MAX], key[2 * SHA256_DIGEST_SIZE + 1], dir[PATH_MAX], lock[PATH_MAX + 96],
	    tmp[PATH_MAX + 96], logp[PATH_MAX + 96], stage[PATH_MAX + 96];
	int fd, r;

	*hold = -1;
	if (self_dir(bin, sizeof(bin)) || make_key(rt, s, bin, key))
		return -1;
	snprintf(dir, sizeof(dir), "%s/images", rt->root);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		oci_err(rt, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(out, outlen, "%s/%s.img", dir, key);
	snprintf(lock, sizeof(lock), "%s/%s.lock", dir, key);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(fd, LOCK_SH)) {
		oci_err(rt, "%s: %s", lock, strerror(errno));
		goto fail;
	}
	if (!utimensat(AT_FDCWD, out, NULL, 0)) { /* there: now used */
		*hold = fd;
		return 0;
	}
	/* One builder of an image at a time: the second container waits for
	 * the first one's image instead of building it again. */
	if (flock(fd, LOCK_EX)) {
		oci_err(rt, "%s: %s", lock, strerror(errno));
		goto fail;
	}
	if (!access(out, R_OK))
		goto built;
	snprintf(tmp, sizeof(tmp), "%s/%s.img.tmp", dir, key);
	snprintf(logp, sizeof(logp), "%s/%s.log", dir, key);
	oci_log(rt, "info", "building the image of %s into %s", s->rootfs, out);
	snprintf(stage, sizeof(stage), "%s/%s.stage", dir, key);
	r = build(rt, s, bin, tmp, logp, stage);
	nftw(stage, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (r) {
		log_tail(rt, s->rootfs, logp);
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, out)) {
		oci_err(rt, "%s: %s", out, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	unlink(logp);
	prune(rt, dir);
built:
	flock(fd, LOCK_SH);
	*hold = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd); /* the lock file stays: a waiter may hold its lock */
	return -1;
}
