/*
 * A bundle's config.json, read with docker's meaning and checked before
 * anything is built or started: the process (args, env, cwd, user,
 * terminal), the root filesystem, the hostname, the mounts, the memory
 * limit, the network namespace, the annotations. Every problem is named
 * with its field. What the engines ask for that a uk VM has in its own
 * way (proc, sysfs, devpts, mqueue, cgroup, tmpfs: the guest's own, in its
 * RAM) is accepted; what it cannot do yet (a single file bind-mounted, as
 * podman does /etc/hosts) is accepted with a note in the log.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uk/abi.h>

#include "oci.h"
#include "vmm.h"

#define CONFIG_MAX (4u << 20) /* a config.json larger than this is not one */

struct ctx {
	char *err;
	size_t errlen;
	void (*note)(void *, const char *);
	void *nctx;
};

static void note(struct ctx *c, const char *fmt, const char *a, const char *b)
{
	char msg[4400];

	if (!c->note)
		return;
	snprintf(msg, sizeof(msg), fmt, a, b ? b : "");
	c->note(c->nctx, msg);
}

/* An array of strings into a NULL-terminated copy; each string may have
 * to contain '=' (env). */
static int strings(struct ctx *c, json_t *a, const char *field, int need_eq, char ***out)
{
	size_t i, n;
	json_t *v;
	char **l;

	if (!json_is_array(a))
		return host_fail(c->err, c->errlen, "%s: expected an array of strings", field);
	n = json_array_size(a);
	if (n >= VMM_MAX_ARGS)
		return host_fail(c->err, c->errlen, "%s: %zu entries, at most %d are supported",
		                 field, n, VMM_MAX_ARGS - 1);
	if (!(l = calloc(n + 1, sizeof(*l))))
		return host_fail(c->err, c->errlen, "out of memory");
	*out = l;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			return host_fail(c->err, c->errlen, "%s[%zu]: not a string", field, i);
		if (need_eq && (!strchr(s, '=') || s[0] == '='))
			return host_fail(c->err, c->errlen, "%s[%zu] '%s': expected NAME=VALUE",
			                 field, i, s);
		if (!(l[i] = strdup(s)))
			return host_fail(c->err, c->errlen, "out of memory");
	}
	return 0;
}

static int abs_path_ok(const char *p)
{
	return p && p[0] == '/' && !strstr(p, "/../") &&
	       !(strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/.."));
}

static int id_field(struct ctx *c, json_t *u, const char *name, uint32_t *out)
{
	json_t *v = json_object_get(u, name);
	json_int_t n;

	if (!v)
		return host_fail(c->err, c->errlen, "process.user.%s: missing", name);
	n = json_integer_value(v);
	if (!json_is_integer(v) || n < 0 || n > 0xfffffffe)
		return host_fail(c->err, c->errlen,
		                 "process.user.%s: expected a number from 0 to 4294967294", name);
	*out = (uint32_t)n;
	return 0;
}

static int process(struct ctx *c, json_t *p, struct oci_spec *s)
{
	json_t *args = json_object_get(p, "args"), *env = json_object_get(p, "env");
	json_t *u = json_object_get(p, "user"), *t = json_object_get(p, "terminal");
	const char *cwd = json_string_value(json_object_get(p, "cwd"));

	if (!json_is_object(p))
		return host_fail(c->err, c->errlen, "process: missing or not an object");
	if (!args || strings(c, args, "process.args", 0, &s->args))
		return args ? -1 : host_fail(c->err, c->errlen, "process.args: missing");
	if (!s->args[0] || !s->args[0][0])
		return host_fail(c->err, c->errlen,
		                 "process.args: empty: name the program to run first");
	if (env && strings(c, env, "process.env", 1, &s->env))
		return -1;
	if (!cwd || !abs_path_ok(cwd))
		return host_fail(c->err, c->errlen,
		                 "process.cwd: '%s': expected an absolute path without '..'",
		                 cwd ? cwd : "(missing)");
	if (!(s->cwd = strdup(cwd)))
		return host_fail(c->err, c->errlen, "out of memory");
	if (u && (!json_is_object(u) || id_field(c, u, "uid", &s->uid) ||
	          id_field(c, u, "gid", &s->gid)))
		return json_is_object(u)
		           ? -1
		           : host_fail(c->err, c->errlen, "process.user: not an object");
	if (t && !json_is_boolean(t))
		return host_fail(c->err, c->errlen, "process.terminal: expected true or false");
	s->terminal = json_is_true(t);
	if (json_object_get(p, "rlimits"))
		note(c, "process.rlimits: the guest has its own limits; not applied%s", "", NULL);
	return 0;
}

/* path (relative to the bundle, or absolute) resolved through every
 * symlink; a relative one must stay inside the bundle. */
static int resolve(struct ctx *c, const char *bundle, const char *path, const char *field,
                   char **out)
{
	char *joined = NULL, *real;
	size_t bl = strlen(bundle);

	if (!path || !*path)
		return host_fail(c->err, c->errlen, "%s: missing or empty", field);
	if (path[0] != '/' && asprintf(&joined, "%s/%s", bundle, path) < 0)
		return host_fail(c->err, c->errlen, "out of memory");
	real = realpath(joined ? joined : path, NULL);
	if (!real) {
		host_fail(c->err, c->errlen, "%s '%s': %s", field, path, strerror(errno));
		free(joined);
		return -1;
	}
	free(joined);
	if (path[0] != '/' && (strncmp(real, bundle, bl) || (real[bl] && real[bl] != '/'))) {
		host_fail(c->err, c->errlen,
		          "%s '%s': leaves the bundle through a symlink (it is %s); "
		          "give an absolute path to mean that",
		          field, path, real);
		free(real);
		return -1;
	}
	*out = real;
	return 0;
}

static int root(struct ctx *c, json_t *r, struct oci_spec *s)
{
	json_t *ro = json_object_get(r, "readonly");
	struct stat st;

	if (!json_is_object(r))
		return host_fail(c->err, c->errlen, "root: missing or not an object");
	if (resolve(c, s->bundle, json_string_value(json_object_get(r, "path")), "root.path",
	            &s->rootfs))
		return -1;
	if (stat(s->rootfs, &st) || !S_ISDIR(st.st_mode))
		return host_fail(c->err, c->errlen, "root.path %s: not a directory", s->rootfs);
	if (!strcmp(s->rootfs, "/"))
		return host_fail(c->err, c->errlen,
		                 "root.path: the host's own root cannot be a container's");
	if (ro && !json_is_boolean(ro))
		return host_fail(c->err, c->errlen, "root.readonly: expected true or false");
	s->readonly = json_is_true(ro);
	return 0;
}

static int has_option(json_t *opts, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(opts, i, v)
	{
		const char *o = json_string_value(v);
		if (o && !strcmp(o, name))
			return 1;
	}
	return 0;
}

/* The kinds of mount the guest has of its own. */
static int guest_own(const char *type)
{
	static const char *const own[] = { "proc",   "sysfs",   "devpts", "mqueue",
		                           "cgroup", "cgroup2", "tmpfs",  "shm" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (type && !strcmp(type, own[i]))
			return 1;
	return 0;
}

/* /proc, /sys and /dev and beneath: the library OS's own. */
static int under_own(const char *dst)
{
	static const char *const own[] = { "/proc", "/sys", "/dev" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		size_t n = strlen(own[i]);
		if (!strncmp(dst, own[i], n) && (!dst[n] || dst[n] == '/'))
			return 1;
	}
	return 0;
}

static int mount1(struct ctx *c, json_t *m, size_t i, struct oci_spec *s)
{
	const char *dst = json_string_value(json_object_get(m, "destination"));
	const char *type = json_string_value(json_object_get(m, "type"));
	const char *src = json_string_value(json_object_get(m, "source"));
	json_t *opts = json_object_get(m, "options");
	char field[64], *real = NULL;
	struct stat st;

	snprintf(field, sizeof(field), "mounts[%zu]", i);
	if (!json_is_object(m))
		return host_fail(c->err, c->errlen, "%s: not an object", field);
	if (!abs_path_ok(dst) || !strcmp(dst, "/"))
		return host_fail(c->err, c->errlen,
		                 "%s.destination '%s': expected an absolute path without '..', "
		                 "not /",
		                 field, dst ? dst : "(missing)");
	if (under_own(dst)) {
		note(c, "mount at %s: the guest has its own /proc, /sys and /dev; left out%s", dst,
		     NULL);
		return 0;
	}
	if (opts && !json_is_array(opts))
		return host_fail(c->err, c->errlen, "%s.options: expected an array", field);
	if (type && !strcmp(type, "tmpfs") && !has_option(opts, "bind") &&
	    !has_option(opts, "rbind")) {
		if (strchr(dst, ':'))
			return host_fail(c->err, c->errlen,
			                 "%s.destination '%s': ':' in a tmpfs path", field, dst);
		if (s->ntmpfs == OCI_MAX_MOUNTS)
			return host_fail(c->err, c->errlen, "mounts: more than %d tmpfs mounts",
			                 OCI_MAX_MOUNTS);
		if (!(s->tmpfs[s->ntmpfs++] = strdup(dst)))
			return host_fail(c->err, c->errlen, "out of memory");
		return 0;
	}
	if (!(type && !strcmp(type, "bind")) && !has_option(opts, "bind") &&
	    !has_option(opts, "rbind")) {
		if (!guest_own(type))
			note(c, "mount of %s (type %s): not supported in a uk VM; left out", dst,
			     type ? type : "none");
		return 0;
	}
	if (strchr(dst, ':') || (src && strchr(src, ':')))
		return host_fail(c->err, c->errlen,
		                 "%s: a path with ':' cannot be shared (ukrun -v takes HOST:GUEST)",
		                 field);
	strcat(field, ".source");
	if (resolve(c, s->bundle, src, field, &real))
		return -1;
	if (stat(real, &st)) {
		free(real);
		return host_fail(c->err, c->errlen, "%s '%s': %s", field, src, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		/* podman's /etc/hosts, /etc/resolv.conf, /etc/hostname: a 9P share
		 * is a directory, so the file is copied into one (oci_create.c). */
		if (!S_ISREG(st.st_mode) || st.st_size > OCI_FILE_MAX ||
		    s->nfiles == OCI_MAX_FILES) {
			note(c,
			     "bind mount of %s at %s: not a regular file of at most 1 MiB, or "
			     "too many; left out",
			     real, dst);
			free(real);
			return 0;
		}
		s->files[s->nfiles].src = real;
		s->files[s->nfiles].ro = has_option(opts, "ro");
		if (!(s->files[s->nfiles++].dst = strdup(dst)))
			return host_fail(c->err, c->errlen, "out of memory");
		return 0;
	}
	if (s->nmounts == OCI_MAX_MOUNTS) {
		free(real);
		return host_fail(c->err, c->errlen, "mounts: more than %d directories to share",
		                 OCI_MAX_MOUNTS);
	}
	s->mounts[s->nmounts].src = real;
	s->mounts[s->nmounts].ro = has_option(opts, "ro");
	if (!(s->mounts[s->nmounts++].dst = strdup(dst)))
		return host_fail(c->err, c->errlen, "out of memory");
	return 0;
}

static int linux_part(struct ctx *c, json_t *l, struct oci_spec *s)
{
	json_t *lim =
	    json_object_get(json_object_get(json_object_get(l, "resources"), "memory"), "limit");
	json_t *ns = json_object_get(l, "namespaces"), *v;
	size_t i;

	if (lim && !json_is_null(lim)) {
		json_int_t n = json_integer_value(lim);
		if (!json_is_integer(lim))
			return host_fail(
			    c->err, c->errlen,
			    "linux.resources.memory.limit: expected a number of bytes");
		if (n > 0 && ((uint64_t)n < (2u << 20) || (uint64_t)n > UK_RAM_MAX))
			return host_fail(c->err, c->errlen,
			                 "linux.resources.memory.limit: %lld bytes; a uk VM takes "
			                 "from 2 MiB to %llu MiB",
			                 (long long)n, (unsigned long long)(UK_RAM_MAX >> 20));
		s->mem = n > 0 ? (uint64_t)n : 0;
	}
	if (json_object_get(json_object_get(l, "resources"), "cpu"))
		note(c, "linux.resources.cpu: noted; the VM has one vCPU%s", "", NULL);
	if (ns && !json_is_array(ns))
		return host_fail(c->err, c->errlen, "linux.namespaces: expected an array");
	json_array_foreach(ns, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *path = json_string_value(json_object_get(v, "path"));
		if (type && !strcmp(type, "network") && path) {
			if (path[0] != '/')
				return host_fail(c->err, c->errlen,
				                 "linux.namespaces[%zu].path '%s': not absolute", i,
				                 path);
			if (!(s->netns = strdup(path)))
				return host_fail(c->err, c->errlen, "out of memory");
		}
	}
	return 0;
}

static int check_annotations(struct ctx *c, json_t *a, struct oci_spec *s)
{
	const char *k;
	json_t *v;

	if (!a)
		return 0;
	if (!json_is_object(a))
		return host_fail(c->err, c->errlen, "annotations: expected an object");
	json_object_foreach(a, k, v) if (!json_is_string(v)) return host_fail(
	    c->err, c->errlen, "annotations.%s: expected a string", k);
	s->annotations = json_dumps(a, JSON_COMPACT);
	return 0;
}

static int by_dst(const void *a, const void *b)
{
	return strcmp(((const struct oci_mount *)a)->dst, ((const struct oci_mount *)b)->dst);
}

static json_t *load(struct ctx *c, const char *path)
{
	json_error_t je;
	struct stat st;
	json_t *o;

	if (stat(path, &st))
		return host_fail(c->err, c->errlen, "%s: %s", path, strerror(errno)), NULL;
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX)
		return host_fail(c->err, c->errlen, "%s: not a file of at most %u MiB", path,
		                 CONFIG_MAX >> 20),
		       NULL;
	if (!(o = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
		return host_fail(c->err, c->errlen, "%s: line %d: %s", path, je.line, je.text),
		       NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return host_fail(c->err, c->errlen, "%s: not a JSON object", path), NULL;
	}
	return o;
}

int oci_spec_read(const char *bundle, struct oci_spec *s, char *err, size_t errlen,
                  void (*notef)(void *ctx, const char *msg), void *nctx)
{
	struct ctx c = { err, errlen, notef, nctx };
	char path[PATH_MAX + 16];
	json_t *o = NULL, *mounts, *v;
	const char *ver, *host;
	size_t i;
	int r = -1;

	memset(s, 0, sizeof(*s));
	if (!(s->bundle = realpath(bundle, NULL)))
		return host_fail(err, errlen, "bundle %s: %s", bundle, strerror(errno));
	snprintf(path, sizeof(path), "%s/config.json", s->bundle);
	if (!(o = load(&c, path)))
		return -1;
	ver = json_string_value(json_object_get(o, "ociVersion"));
	if (!ver || strncmp(ver, "1.", 2)) {
		host_fail(err, errlen, "ociVersion: '%s': expected 1.x", ver ? ver : "(missing)");
		goto out;
	}
	if (process(&c, json_object_get(o, "process"), s) ||
	    root(&c, json_object_get(o, "root"), s))
		goto out;
	host = json_string_value(json_object_get(o, "hostname"));
	if (host && *host && !host_hostname_ok(host)) {
		host_fail(err, errlen,
		          "hostname '%.80s': expected 1 to 64 letters, digits, '-', "
		          "'.' or '_'",
		          host);
		goto out;
	}
	if (host && *host && !(s->hostname = strdup(host)))
		goto out;
	mounts = json_object_get(o, "mounts");
	if (mounts && !json_is_array(mounts)) {
		host_fail(err, errlen, "mounts: expected an array");
		goto out;
	}
	json_array_foreach(mounts, i, v) if (mount1(&c, v, i, s)) goto out;
	/* podman lists its files (/etc/hosts, /etc/hostname, ...) in a map's
	 * order, new each time: sorted, the image's links and key are the
	 * same for every container. */
	qsort(s->files, (size_t)s->nfiles, sizeof(s->files[0]), by_dst);
	if (linux_part(&c, json_object_get(o, "linux"), s) ||
	    check_annotations(&c, json_object_get(o, "annotations"), s))
		goto out;
	r = 0;
out:
	json_decref(o);
	return r;
}

int oci_process_read(const char *path, struct oci_spec *s, char *err, size_t errlen)
{
	struct ctx c = { err, errlen, NULL, NULL };
	json_t *o;
	int r;

	memset(s, 0, sizeof(*s));
	if (!(o = load(&c, path)))
		return -1;
	r = process(&c, o, s);
	json_decref(o);
	return r;
}

static void free_list(char **l)
{
	for (int i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

void oci_spec_free(struct oci_spec *s)
{
	free(s->bundle);
	free(s->rootfs);
	free_list(s->args);
	free_list(s->env);
	free(s->cwd);
	free(s->hostname);
	free(s->netns);
	for (int i = 0; i < s->nmounts; i++)
		free(s->mounts[i].src), free(s->mounts[i].dst);
	for (int i = 0; i < s->nfiles; i++)
		free(s->files[i].src), free(s->files[i].dst);
	for (int i = 0; i < s->ntmpfs; i++)
		free(s->tmpfs[i]);
	free(s->annotations);
	memset(s, 0, sizeof(*s));
}
