/*
 * The image config (the "config" object of an OCI/Docker image config)
 * becomes the uk manifest, by docker run's rules:
 *   - argv = Entrypoint + Cmd; `ukrun IMAGE -- ARGS` replaces Cmd (the
 *     guest does that); --entrypoint on ukbuild replaces Entrypoint and
 *     drops the image's Cmd, as `docker run --entrypoint` does;
 *   - Env as given, -e K=V over it, and docker's default PATH when no PATH;
 *   - WorkingDir (absolute), User (a name is looked up in the image's own
 *     /etc/passwd and /etc/group, as docker does at run time), ExposedPorts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/host.h"
#include "oci.h"

static int copy_list(struct uki_strlist *to, const struct uki_strlist *from)
{
	for (int i = 0; i < from->n; i++)
		if (uki_strlist_add(to, from->v[i]))
			return -1;
	return 0;
}

/* A JSON array of strings (null or absent: empty). */
static int json_list(json_t *a, const char *what, struct uki_strlist *to, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return host_fail(err, errlen, "config: %s is not a list of strings", what);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return host_fail(err, errlen, "config: %s[%zu] is not a string", what, i);
		if (uki_strlist_add(to, json_string_value(v)))
			return host_fail(err, errlen, "out of memory");
	}
	return 0;
}

/* K=V replaces an existing K, else is appended. */
static int env_set(struct uki_strlist *env, const char *kv)
{
	size_t k = strcspn(kv, "=");

	for (int i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], kv, k) && env->v[i][k] == '=') {
			char *dup = strdup(kv);
			if (!dup)
				return -1;
			free(env->v[i]);
			env->v[i] = dup;
			return 0;
		}
	}
	return uki_strlist_add(env, kv);
}

static int make_env(json_t *c, const struct ukb_oci_opts *o, struct uki_manifest *m, char *err,
                    size_t errlen)
{
	struct uki_strlist img = { 0 };
	int has_path = 0, oom = 0;

	if (json_list(json_object_get(c, "Env"), "Env", &img, err, errlen))
		return -1;
	for (int i = 0; i < img.n; i++) {
		if (!strchr(img.v[i], '=') || img.v[i][0] == '=') {
			host_fail(err, errlen, "config: Env entry '%s' is not NAME=VALUE",
			          img.v[i]);
			uki_strlist_free(&img);
			return -1;
		}
		has_path |= !strncmp(img.v[i], "PATH=", 5);
	}
	for (int i = 0; i < o->env.n; i++)
		has_path |= !strncmp(o->env.v[i], "PATH=", 5);
	if (!has_path)
		oom |= uki_strlist_add(&m->env, UKB_DEFAULT_PATH) != 0;
	for (int i = 0; i < img.n; i++)
		oom |= env_set(&m->env, img.v[i]) != 0;
	for (int i = 0; i < o->env.n; i++)
		oom |= env_set(&m->env, o->env.v[i]) != 0;
	uki_strlist_free(&img);
	return oom ? host_fail(err, errlen, "out of memory") : 0;
}

/* A copy of field col (0-based) of the first line of a passwd/group file
 * whose field keycol is key; NULL when there is none. */
static char *db_field(struct ukb_tree *t, const char *file, const char *key, int keycol, int col)
{
	struct ukb_node *n = ukb_tree_lookup(t, file, 1);
	char *buf, *line, *save = NULL, *found = NULL;
	ssize_t len;

	if (!n || !n->inode || n->inode->size > (1u << 20) || !(buf = malloc(n->inode->size + 1)))
		return NULL;
	len = ukb_tree_read(t, n->inode, buf, n->inode->size, 0);
	buf[len > 0 ? len : 0] = 0;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 }, *p = line;
		int k;
		for (k = 0; k < 7 && p; k++)
			f[k] = strsep(&p, ":");
		if (k > col && k > keycol && !strcmp(f[keycol], key))
			found = strdup(f[col]);
	}
	free(buf);
	return found;
}

/* The number in field col of the line whose first field is name. */
static long id_lookup(struct ukb_tree *t, const char *file, const char *name, int col)
{
	char *f = db_field(t, file, name, 0, col);
	long id = f && *f ? strtol(f, NULL, 10) : -1;

	free(f);
	return id;
}

static int numeric(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* "name|uid[:group|gid]" -> "uid:gid". */
static int resolve_user(struct ukb_tree *t, const char *spec, char **out, char *err, size_t errlen)
{
	char *u = strdup(spec), *g = strchr(u, ':');
	long uid, gid = 0;

	if (g)
		*g++ = 0;
	uid = numeric(u) ? strtol(u, NULL, 10) : id_lookup(t, "/etc/passwd", u, 2);
	if (uid < 0 || uid > 0x7fffffff) {
		host_fail(err, errlen, "user '%s' is not in the image's /etc/passwd", u);
		free(u);
		return -1;
	}
	if (g)
		gid = numeric(g) ? strtol(g, NULL, 10) : id_lookup(t, "/etc/group", g, 2);
	else if (!numeric(u))
		gid = id_lookup(t, "/etc/passwd", u, 3);
	if (gid < 0 || gid > 0x7fffffff) {
		host_fail(err, errlen, "group '%s' is not in the image's /etc/%s", g ? g : u,
		          g ? "group" : "passwd");
		free(u);
		return -1;
	}
	free(u);
	return asprintf(out, "%ld:%ld", uid, gid) < 0 ? host_fail(err, errlen, "out of memory") : 0;
}

/* "80", "80/tcp", "53/udp" -> "N/proto". */
static int add_port(struct uki_manifest *m, const char *spec, char *err, size_t errlen)
{
	char *end, buf[32];
	long n = strtol(spec, &end, 10);
	const char *proto = *end == '/' ? end + 1 : "tcp";

	if (end == spec || n < 1 || n > 65535 || (*end && *end != '/') ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
		return host_fail(err, errlen, "port '%s': expected PORT[/tcp|/udp]", spec);
	snprintf(buf, sizeof(buf), "%ld/%s", n, proto);
	for (int i = 0; i < m->ports.n; i++)
		if (!strcmp(m->ports.v[i], buf))
			return 0;
	return uki_strlist_add(&m->ports, buf) ? host_fail(err, errlen, "out of memory") : 0;
}

static int add_volume(struct uki_manifest *m, const char *path, char *err, size_t errlen)
{
	int r = uki_manifest_add_volume(m, path);

	if (r == -EINVAL)
		return host_fail(err, errlen,
		                 "volume '%s': expected an absolute path other than /, "
		                 "without . or ..",
		                 path);
	return r ? host_fail(err, errlen, "out of memory") : 0;
}

typedef int add_fn(struct uki_manifest *m, const char *s, char *err, size_t errlen);

/* The keys of the config's object name (its values are empty: docker's
 * ExposedPorts, Volumes), then the command line's more, each through add. */
static int add_keys(json_t *c, const char *name, const struct uki_strlist *more, add_fn *add,
                    struct uki_manifest *m, char *err, size_t errlen)
{
	json_t *obj = json_object_get(c, name), *v;
	const char *k;

	if (obj && !json_is_object(obj) && !json_is_null(obj))
		return host_fail(err, errlen, "config: %s is not an object", name);
	json_object_foreach(obj, k, v) if (add(m, k, err, errlen)) return -1;
	for (int i = 0; i < more->n; i++)
		if (add(m, more->v[i], err, errlen))
			return -1;
	return 0;
}

static int make_argv(json_t *c, const struct ukb_oci_opts *o, struct uki_manifest *m, char *err,
                     size_t errlen)
{
	int r = 0;

	if (o->set_entrypoint)
		r = copy_list(&m->entrypoint, &o->entrypoint);
	else
		r = json_list(json_object_get(c, "Entrypoint"), "Entrypoint", &m->entrypoint, err,
		              errlen);
	if (!r && o->set_cmd)
		r = copy_list(&m->cmd, &o->cmd);
	else if (!r && !o->set_entrypoint)
		r = json_list(json_object_get(c, "Cmd"), "Cmd", &m->cmd, err, errlen);
	if (r)
		return -1;
	/* An empty --entrypoint "" clears it, as docker's does. */
	if (m->entrypoint.n == 1 && !m->entrypoint.v[0][0])
		uki_strlist_free(&m->entrypoint);
	if (!m->entrypoint.n && !m->cmd.n)
		return host_fail(err, errlen,
		                 "the image names no program to run (no Entrypoint or Cmd): "
		                 "give --entrypoint PROGRAM");
	if (!(m->entrypoint.n ? m->entrypoint.v[0] : m->cmd.v[0])[0])
		return host_fail(err, errlen, "the program to run is an empty string");
	return 0;
}

/* HOME, when neither the image nor -e sets it: the user's home directory
 * from the image's /etc/passwd, else "/", as docker does at run time. */
static int set_home(struct ukb_tree *t, struct uki_manifest *m)
{
	char uid[24] = "0", *home, *kv;
	int r;

	for (int i = 0; i < m->env.n; i++)
		if (!strncmp(m->env.v[i], "HOME=", 5))
			return 0;
	if (m->user)
		snprintf(uid, sizeof(uid), "%.*s", (int)strcspn(m->user, ":"), m->user);
	home = db_field(t, "/etc/passwd", uid, 2, 5);
	r = asprintf(&kv, "HOME=%s", home && home[0] == '/' ? home : "/");
	free(home);
	if (r < 0)
		return -1;
	r = uki_strlist_add(&m->env, kv);
	free(kv);
	return r;
}

int ukb_oci_manifest(json_t *config, const struct ukb_oci_opts *o, struct ukb_tree *t,
                     struct uki_manifest *m, char *err, size_t errlen)
{
	json_t *c = json_object_get(config, "config");
	const char *wd, *user;

	memset(m, 0, sizeof(*m));
	if (config && c && !json_is_object(c) && !json_is_null(c))
		return host_fail(err, errlen, "config: \"config\" is not an object");
	if (make_argv(c, o, m, err, errlen) || make_env(c, o, m, err, errlen) ||
	    add_keys(c, "ExposedPorts", &o->expose, add_port, m, err, errlen) ||
	    /* docker's VOLUME and --volume: the image's volume points */
	    add_keys(c, "Volumes", &o->volumes, add_volume, m, err, errlen))
		return -1;
	wd = o->workdir ? o->workdir : json_string_value(json_object_get(c, "WorkingDir"));
	if (wd && *wd) {
		if (wd[0] != '/')
			return host_fail(err, errlen, "working directory '%s' is not absolute", wd);
		if (!(m->workdir = strdup(wd)))
			return host_fail(err, errlen, "out of memory");
	}
	user = o->user ? o->user : json_string_value(json_object_get(c, "User"));
	if (user && *user && resolve_user(t, user, &m->user, err, errlen))
		return -1;
	if (set_home(t, m))
		return host_fail(err, errlen, "out of memory");
	if (!(m->mode = strdup("binary")))
		return host_fail(err, errlen, "out of memory");
	m->mem = o->mem;
	return 0;
}
