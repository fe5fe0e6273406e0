/*
 * The in-memory root filesystem tree: nodes, path resolution confined to
 * the tree, whiteouts, replacement rules. See layer.h for the rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"

#define MAX_PATH 4096
#define MAX_NAME 255
#define MAX_COMPS 1024
#define MAX_HOPS 40 /* symlinks followed in one lookup, as Linux */
#define MAX_NODES (4u << 20)
#define DEFAULT_MAX_BYTES (3ull << 30) /* more cannot fit in a guest anyway */

static int fail(struct ukb_tree *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ukb_tree *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- nodes and the (parent, name) hash ---- */

static size_t bucket(const struct ukb_tree *t, const struct ukb_node *dir, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)dir;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return (size_t)(h ^ h >> 29) & (t->nbuckets - 1);
}

static struct ukb_node *child(const struct ukb_tree *t, const struct ukb_node *dir,
                              const char *name)
{
	struct ukb_node *n = t->hash[bucket(t, dir, name)];

	for (; n; n = n->hnext)
		if (n->parent == dir && !strcmp(n->name, name))
			return n;
	return NULL;
}

static int grow_hash(struct ukb_tree *t)
{
	size_t old = t->nbuckets;
	struct ukb_node **oh = t->hash;

	t->nbuckets = old ? old * 2 : 1024;
	if (!(t->hash = calloc(t->nbuckets, sizeof(*t->hash)))) {
		t->hash = oh, t->nbuckets = old;
		return -1;
	}
	for (size_t i = 0; i < old; i++) {
		for (struct ukb_node *n = oh[i], *next; n; n = next) {
			size_t b = bucket(t, n->parent, n->name);
			next = n->hnext;
			n->hnext = t->hash[b];
			t->hash[b] = n;
		}
	}
	free(oh);
	return 0;
}

static struct ukb_node *node_new(struct ukb_tree *t, struct ukb_node *dir, const char *name,
                                 uint32_t mode)
{
	struct ukb_node *n;
	size_t b;

	if (t->nnodes >= MAX_NODES) {
		fail(t, "more than %u entries in the root filesystem", MAX_NODES);
		return NULL;
	}
	if (t->nnodes >= t->nbuckets && grow_hash(t))
		goto oom;
	if (!(n = calloc(1, sizeof(*n))) || !(n->name = strdup(name))) {
		free(n);
		goto oom;
	}
	n->mode = mode;
	n->layer = t->layer;
	n->parent = dir;
	n->prev = dir->last;
	if (dir->last)
		dir->last->next = n;
	else
		dir->first = n;
	dir->last = n;
	b = bucket(t, dir, name);
	n->hnext = t->hash[b];
	t->hash[b] = n;
	t->nnodes++;
	return n;
oom:
	fail(t, "out of memory");
	return NULL;
}

static void node_free(struct ukb_node *n)
{
	if (n->inode && --n->inode->nlink == 0)
		free(n->inode);
	free(n->target);
	free(n->name);
	free(n);
}

/* Unlink n (and everything beneath it) from the tree. */
static void node_remove(struct ukb_tree *t, struct ukb_node *n)
{
	struct ukb_node **pp;

	while (n->first)
		node_remove(t, n->first);
	for (pp = &t->hash[bucket(t, n->parent, n->name)]; *pp != n; pp = &(*pp)->hnext)
		;
	*pp = n->hnext;
	if (n->prev)
		n->prev->next = n->next;
	else
		n->parent->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		n->parent->last = n->prev;
	t->nnodes--;
	node_free(n);
}

static int is_dir(const struct ukb_node *n) { return S_ISDIR(n->mode); }

/* ---- paths ---- */

struct comps {
	char buf[MAX_PATH + 1];
	char *v[MAX_COMPS];
	int n;
};

/* Split path into components; "" and "." vanish. With dotdot false a ".."
 * is refused (entry names); symlink targets keep them for resolution. */
static int split(struct ukb_tree *t, const char *path, struct comps *c, int dotdot)
{
	size_t len = strlen(path);
	char *p, *s;

	if (len > MAX_PATH)
		return fail(t, "path '%.64s...' is longer than %d bytes", path, MAX_PATH);
	memcpy(c->buf, path, len + 1);
	c->n = 0;
	for (p = c->buf; (s = strsep(&p, "/"));) {
		if (!*s || !strcmp(s, "."))
			continue;
		if (!dotdot && !strcmp(s, ".."))
			return fail(t, "entry '%s' leaves the root filesystem (a '..' component)",
			            path);
		if (strlen(s) > MAX_NAME)
			return fail(t, "entry '%.64s...': a name longer than %d bytes", path,
			            MAX_NAME);
		if (c->n == MAX_COMPS)
			return fail(t, "entry '%.64s...': more than %d components", path,
			            MAX_COMPS);
		c->v[c->n++] = s;
	}
	return 0;
}

static struct ukb_node *walk(struct ukb_tree *t, struct ukb_node *dir, char *const *v, int n,
                             int create, int *hops);

static struct ukb_node *up(struct ukb_node *dir) { return dir->parent ? dir->parent : dir; }

/* Where symlink l leads, its last component resolved too: inside the
 * tree, never outside it (an absolute target starts at the tree's root,
 * ".." stops there). With create, a missing last directory is made, as
 * Docker's MkdirAll through a link does. */
static struct ukb_node *follow(struct ukb_tree *t, struct ukb_node *l, int create, int *hops)
{
	struct ukb_node *dir, *r = NULL;
	struct comps *c;
	const char *last;

	if (++*hops > MAX_HOPS) {
		fail(t, "too many levels of symbolic links at '%s'", l->name);
		return NULL;
	}
	if (!(c = malloc(sizeof(*c)))) {
		fail(t, "out of memory");
		return NULL;
	}
	if (split(t, l->target, c, 1))
		goto out;
	dir = l->target[0] == '/' ? t->root : l->parent;
	if (!c->n) {
		r = dir;
		goto out;
	}
	if (!(dir = walk(t, dir, c->v, c->n - 1, create, hops)))
		goto out;
	last = c->v[c->n - 1];
	r = !strcmp(last, "..") ? up(dir) : child(t, dir, last);
	if (!r && create)
		r = node_new(t, dir, last, S_IFDIR | 0755);
	if (r && S_ISLNK(r->mode))
		r = follow(t, r, create, hops);
out:
	free(c);
	return r;
}

/* The directory v[0..n) names, starting at dir. With create, missing
 * directories are made (as tar and Docker do) and a failure leaves a
 * message; without, NULL just means it is not there. */
static struct ukb_node *walk(struct ukb_tree *t, struct ukb_node *dir, char *const *v, int n,
                             int create, int *hops)
{
	for (int i = 0; i < n && dir; i++) {
		struct ukb_node *c;
		if (!strcmp(v[i], "..")) {
			dir = up(dir);
			continue;
		}
		c = child(t, dir, v[i]);
		if (!c && !create)
			return NULL;
		if (!c)
			c = node_new(t, dir, v[i], S_IFDIR | 0755);
		else if (S_ISLNK(c->mode))
			c = follow(t, c, create, hops);
		if (c && !is_dir(c)) {
			if (create)
				fail(t, "'%s' is not a directory", v[i]);
			return NULL;
		}
		dir = c;
	}
	return dir;
}

struct ukb_node *ukb_tree_lookup(struct ukb_tree *t, const char *path, int follow_last)
{
	struct comps *c = malloc(sizeof(*c));
	struct ukb_node *dir, *n = NULL;
	int hops = 0;

	if (!c || split(t, path, c, 1))
		goto out;
	if (!c->n) {
		n = t->root;
		goto out;
	}
	dir = walk(t, t->root, c->v, c->n - 1, 0, &hops);
	if (!dir)
		goto out;
	if (!strcmp(c->v[c->n - 1], ".."))
		n = up(dir);
	else
		n = child(t, dir, c->v[c->n - 1]);
	if (n && follow_last && S_ISLNK(n->mode))
		n = follow(t, n, 0, &hops);
out:
	free(c);
	return n;
}

/* Prefix the message of a failure below with context. */
static int refail(struct ukb_tree *t, const char *what, const char *path)
{
	char why[sizeof(t->err)];

	memcpy(why, t->err, sizeof(why));
	return fail(t, "%s '%s': %s", what, path, why);
}

/* ---- whiteouts ---- */

/* Hide every entry of lower layers beneath dir; this layer's stay. */
static void prune_lower(struct ukb_tree *t, struct ukb_node *dir)
{
	for (struct ukb_node *c = dir->first, *next; c; c = next) {
		next = c->next;
		if (c->layer < t->layer)
			node_remove(t, c);
		else if (is_dir(c))
			prune_lower(t, c);
	}
}

/* name starts with ".wh.": an entry of the layer that deletes. */
static int whiteout(struct ukb_tree *t, struct comps *c, const char *path)
{
	const char *name = c->v[c->n - 1], *hidden = name + 4;
	struct ukb_node *dir, *n;
	int hops = 0;

	if (!strcmp(name, ".wh..wh..opq")) {
		if (!(dir = walk(t, t->root, c->v, c->n - 1, 1, &hops)))
			return refail(t, "opaque whiteout", path);
		dir->layer = t->layer;
		prune_lower(t, dir);
		return 0;
	}
	if (!strncmp(name, ".wh..wh.", 8))
		return 0; /* aufs bookkeeping (.wh..wh.plnk ...): nothing to do */
	if (!*hidden || !strcmp(hidden, "..") || !strcmp(hidden, "."))
		return fail(t, "whiteout '%s' names no entry", path);
	dir = walk(t, t->root, c->v, c->n - 1, 0, &hops);
	n = dir ? child(t, dir, hidden) : NULL;
	/* Only lower layers' entries: the spec keeps this layer's. */
	if (n && n->layer < t->layer)
		node_remove(t, n);
	return 0;
}

/* ---- putting entries ---- */

static void set_meta(struct ukb_tree *t, struct ukb_node *n, const struct ukb_entry *e)
{
	n->mode = (n->mode & S_IFMT) | (e->perm & 07777);
	n->uid = e->uid;
	n->gid = e->gid;
	n->mtime = e->mtime;
	n->layer = t->layer;
}

static int copy_data(struct ukb_tree *t, struct ukb_inode *ino, const struct ukb_entry *e)
{
	static char buf[1 << 16];
	char why[256] = "";
	ssize_t n;

	ino->off = t->data_size;
	while ((n = e->read(e->ctx, buf, sizeof(buf), why, sizeof(why))) > 0) {
		if (t->data_size + n > t->max_bytes)
			return fail(t, "'%s': the root filesystem exceeds %llu MiB", e->path,
			            (unsigned long long)(t->max_bytes >> 20));
		for (ssize_t done = 0, w; done < n; done += w) {
			w = pwrite(t->data_fd, buf + done, n - done, t->data_size + done);
			if (w <= 0)
				return fail(t, "temporary file: %s", strerror(w ? errno : ENOSPC));
		}
		t->data_size += n;
		ino->size += n;
	}
	if (n < 0)
		return fail(t, "'%s': %s", e->path, why[0] ? why : "read error");
	return 0;
}

static int put_file(struct ukb_tree *t, struct ukb_node *dir, const char *name,
                    const struct ukb_entry *e)
{
	struct ukb_node *n = node_new(t, dir, name, S_IFREG);

	if (!n)
		return -1;
	set_meta(t, n, e);
	if (!(n->inode = calloc(1, sizeof(*n->inode))))
		return fail(t, "out of memory");
	n->inode->nlink = 1;
	n->inode->ino = ++t->next_ino;
	return e->read ? copy_data(t, n->inode, e) : 0;
}

static int put_symlink(struct ukb_tree *t, struct ukb_node *dir, const char *name,
                       const struct ukb_entry *e, const char *target)
{
	struct ukb_node *n;

	if (!target || !*target || strlen(target) > MAX_PATH)
		return fail(t, "symlink '%s': empty or overlong target", e->path);
	if (!(n = node_new(t, dir, name, S_IFLNK)))
		return -1;
	set_meta(t, n, e);
	n->mode = S_IFLNK | 0777;
	return (n->target = strdup(target)) ? 0 : fail(t, "out of memory");
}

/* The node a hard link names: already in the tree, inside it. */
static struct ukb_node *link_target(struct ukb_tree *t, const struct ukb_entry *e)
{
	struct comps *c = malloc(sizeof(*c));
	struct ukb_node *dir, *to = NULL;
	int hops = 0;

	if (!c) {
		fail(t, "out of memory");
		return NULL;
	}
	if (!e->link || split(t, e->link, c, 0)) {
		refail(t, "hard link", e->path);
		goto out;
	}
	dir = c->n ? walk(t, t->root, c->v, c->n - 1, 0, &hops) : NULL;
	to = dir ? child(t, dir, c->v[c->n - 1]) : NULL;
	if (!to || is_dir(to)) {
		fail(t, "hard link '%s' to '%s': %s", e->path, e->link,
		     to ? "a directory" : "no such file earlier in the image");
		to = NULL;
	}
out:
	free(c);
	return to;
}

static int put_hardlink(struct ukb_tree *t, struct ukb_node *dir, const char *name,
                        const struct ukb_entry *e)
{
	struct ukb_node *to = link_target(t, e), *old = child(t, dir, name), *n;
	struct ukb_inode *ino;
	char *target;
	int r;

	if (!to)
		return -1;
	if (to == old)
		return 0;        /* a link to itself */
	if (S_ISLNK(to->mode)) { /* link(2) does not follow: a second symlink */
		if (!(target = strdup(to->target)))
			return fail(t, "out of memory");
		if (old)
			node_remove(t, old);
		r = put_symlink(t, dir, name, e, target);
		free(target);
		return r;
	}
	/* Hold the contents: the old entry may contain the target. */
	ino = to->inode;
	ino->nlink++;
	struct ukb_node meta = *to;
	if (old)
		node_remove(t, old);
	if (!(n = node_new(t, dir, name, meta.mode))) {
		if (--ino->nlink == 0)
			free(ino);
		return -1;
	}
	n->uid = meta.uid, n->gid = meta.gid, n->mtime = meta.mtime;
	n->inode = ino;
	return 0;
}

static void note_skipped(struct ukb_tree *t, const char *path)
{
	if (!t->skipped++)
		snprintf(t->skipped_example, sizeof(t->skipped_example), "%s", path);
}

static int put_new(struct ukb_tree *t, struct ukb_node *dir, const char *name,
                   const struct ukb_entry *e)
{
	struct ukb_node *n;

	switch (e->type) {
	case UKB_E_DIR:
		if (!(n = node_new(t, dir, name, S_IFDIR)))
			return -1;
		set_meta(t, n, e);
		return 0;
	case UKB_E_FILE: return put_file(t, dir, name, e);
	case UKB_E_SYMLINK: return put_symlink(t, dir, name, e, e->link);
	default: return fail(t, "entry '%s': unknown type", e->path);
	}
}

static int put_at(struct ukb_tree *t, const struct ukb_entry *e, struct comps *c)
{
	const char *name = c->v[c->n - 1];
	struct ukb_node *dir, *old;
	int hops = 0;

	if (t->whiteouts && !strncmp(name, ".wh.", 4))
		return whiteout(t, c, e->path);
	if (e->type == UKB_E_OTHER) {
		note_skipped(t, e->path);
		return 0;
	}
	if (!(dir = walk(t, t->root, c->v, c->n - 1, 1, &hops)))
		return refail(t, "entry", e->path);
	if (e->type == UKB_E_HARDLINK)
		return put_hardlink(t, dir, name, e);
	old = child(t, dir, name);
	if (old && is_dir(old) && e->type == UKB_E_DIR) {
		set_meta(t, old, e); /* merged: the directory keeps its entries */
		return 0;
	}
	if (old) /* replaced, never written through (a symlink stays unfollowed) */
		node_remove(t, old);
	return put_new(t, dir, name, e);
}

int ukb_tree_put(struct ukb_tree *t, const struct ukb_entry *e)
{
	struct comps *c = malloc(sizeof(*c));
	int r;

	if (!c)
		return fail(t, "out of memory");
	if ((r = split(t, e->path, c, 0)))
		goto out;
	if (!c->n) { /* the root itself: "./" in most layers */
		if (e->type == UKB_E_DIR)
			set_meta(t, t->root, e);
		else
			r = fail(t, "entry '%s': the root must be a directory", e->path);
		goto out;
	}
	r = put_at(t, e, c);
out:
	free(c);
	return r;
}

/* ---- reading and walking ---- */

ssize_t ukb_tree_read(struct ukb_tree *t, const struct ukb_inode *in, void *buf, size_t len,
                      uint64_t off)
{
	if (!in || off > in->size)
		return -1;
	if (len > in->size - off)
		len = in->size - off;
	for (size_t done = 0; done < len;) {
		ssize_t r = pread(t->data_fd, (char *)buf + done, len - done, in->off + off + done);
		if (r <= 0)
			return -1;
		done += r;
	}
	return (ssize_t)len;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct ukb_node *const *)a)->name, (*(struct ukb_node *const *)b)->name);
}

static int walk_dir(struct ukb_tree *t, struct ukb_node *dir, char *path, size_t len,
                    int (*fn)(void *, const char *, const struct ukb_node *), void *ctx)
{
	struct ukb_node **v;
	size_t n = 0, i;
	int r = 0;

	for (struct ukb_node *c = dir->first; c; c = c->next)
		n++;
	if (!n)
		return 0;
	if (!(v = malloc(n * sizeof(*v))))
		return fail(t, "out of memory");
	for (struct ukb_node *c = (i = 0, dir->first); c; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n && !r; i++) {
		size_t l = strlen(v[i]->name);
		if (len + l + 2 > MAX_PATH + 1) {
			r = fail(t, "a path longer than %d bytes beneath '%s'", MAX_PATH, path);
			break;
		}
		sprintf(path + len, "%s%s", len ? "/" : "", v[i]->name);
		r = fn(ctx, path, v[i]);
		if (!r && is_dir(v[i]))
			r = walk_dir(t, v[i], path, len + l + !!len, fn, ctx);
		path[len] = 0;
	}
	free(v);
	return r;
}

int ukb_tree_walk(struct ukb_tree *t, int (*fn)(void *, const char *, const struct ukb_node *),
                  void *ctx)
{
	char path[MAX_PATH + 2] = "";
	int r = fn(ctx, "", t->root);

	return r ? r : walk_dir(t, t->root, path, 0, fn, ctx);
}

/* ---- the tree ---- */

int ukb_tree_init(struct ukb_tree *t)
{
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->data_fd = -1;
	t->max_bytes = DEFAULT_MAX_BYTES;
	if (grow_hash(t) || !(t->root = calloc(1, sizeof(*t->root))) ||
	    !(t->root->name = strdup("")))
		return fail(t, "out of memory");
	t->root->mode = S_IFDIR | 0755;
	/* Unlinked at once: nothing is left behind, whatever happens. */
	if (!(f = tmpfile()) || (t->data_fd = dup(fileno(f))) < 0)
		return fail(t, "temporary file in %s: %s",
		            getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
	fclose(f);
	return 0;
}

void ukb_tree_free(struct ukb_tree *t)
{
	if (t->root) {
		while (t->root->first)
			node_remove(t, t->root->first);
		node_free(t->root);
	}
	free(t->hash);
	if (t->data_fd >= 0)
		close(t->data_fd);
	memset(t, 0, sizeof(*t));
	t->data_fd = -1;
}
