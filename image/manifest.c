/* The manifest as a device tree, through libfdt. */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <uk/abi.h>
#include <uk/manifest.h>

#include "manifest.h"

int uki_strlist_add(struct uki_strlist *l, const char *s)
{
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	if (!(v[l->n] = strdup(s)))
		return -ENOMEM;
	v[++l->n] = NULL;
	return 0;
}

void uki_strlist_free(struct uki_strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int put_list(void *fdt, const char *name, const struct uki_strlist *l)
{
	size_t len = 0;
	char *buf, *p;
	int r;

	if (!l->n)
		return 0;
	for (int i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	if (!(p = buf = malloc(len)))
		return -FDT_ERR_NOSPACE;
	for (int i = 0; i < l->n; i++)
		p = stpcpy(p, l->v[i]) + 1;
	r = fdt_property(fdt, name, buf, (int)len);
	free(buf);
	return r;
}

int uki_manifest_write(const struct uki_manifest *m, void *buf, size_t size)
{
	int r = fdt_create(buf, (int)size);

	r = r ?: fdt_finish_reservemap(buf);
	r = r ?: fdt_begin_node(buf, "");
	r = r ?: fdt_begin_node(buf, UK_MF_NODE + 1);
	r = r ?: fdt_property_u32(buf, "abi", UK_ABI_VERSION);
	r = r ?: put_list(buf, UK_MF_ENTRYPOINT, &m->entrypoint);
	r = r ?: put_list(buf, UK_MF_CMD, &m->cmd);
	r = r ?: put_list(buf, UK_MF_ENV, &m->env);
	r = r ?: put_list(buf, UK_MF_PORTS, &m->ports);
	r = r ?: put_list(buf, UK_MF_MOUNTS, &m->volumes);
	if (m->workdir)
		r = r ?: fdt_property_string(buf, UK_MF_WORKDIR, m->workdir);
	if (m->user)
		r = r ?: fdt_property_string(buf, UK_MF_USER, m->user);
	if (m->mode)
		r = r ?: fdt_property_string(buf, UK_MF_MODE, m->mode);
	if (m->mem)
		r = r ?: fdt_property_u64(buf, UK_MF_MEM, m->mem);
	r = r ?: fdt_end_node(buf);
	r = r ?: fdt_end_node(buf);
	r = r ?: fdt_finish(buf);
	if (r)
		return r == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
	return (int)fdt_totalsize(buf);
}

static int copy_list(const struct uk_mf_list *from, struct uki_strlist *to)
{
	const char *p;
	int pos = 0, len;

	while ((p = uk_mf_next(from, &pos, &len)))
		if (uki_strlist_add(to, p))
			return -ENOMEM;
	return 0;
}

static int copy_str(const char *from, char **to)
{
	return !from || (*to = strdup(from)) ? 0 : -ENOMEM;
}

int uki_manifest_read(const void *fdt, size_t size, struct uki_manifest *m)
{
	struct uk_mf mf;
	int r;

	memset(m, 0, sizeof(*m));
	if (uk_mf_read(&mf, fdt, size))
		return -EINVAL;
	r = copy_list(&mf.entrypoint, &m->entrypoint);
	r = r ?: copy_list(&mf.cmd, &m->cmd);
	r = r ?: copy_list(&mf.env, &m->env);
	r = r ?: copy_list(&mf.ports, &m->ports);
	r = r ?: copy_list(&mf.mounts, &m->volumes);
	r = r ?: copy_str(mf.workdir, &m->workdir);
	r = r ?: copy_str(mf.user, &m->user);
	r = r ?: copy_str(mf.mode, &m->mode);
	m->mem = mf.mem;
	if (r)
		uki_manifest_free(m);
	return r;
}

int uki_manifest_add_volume(struct uki_manifest *m, const char *path)
{
	char *p;
	size_t n;
	int r;

	if (path[0] != '/' || !(p = strdup(path)))
		return path[0] != '/' ? -EINVAL : -ENOMEM;
	for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = 0;
	r = !strcmp(p, "/") || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
	            (n >= 2 && !strcmp(p + n - 2, "/.")) || (n >= 3 && !strcmp(p + n - 3, "/.."))
	        ? -EINVAL
	        : 0;
	for (int i = 0; !r && i < m->volumes.n; i++)
		if (!strcmp(m->volumes.v[i], p))
			r = 1;
	if (!r)
		r = uki_strlist_add(&m->volumes, p);
	free(p);
	return r > 0 ? 0 : r;
}

void uki_manifest_free(struct uki_manifest *m)
{
	uki_strlist_free(&m->entrypoint);
	uki_strlist_free(&m->cmd);
	uki_strlist_free(&m->env);
	uki_strlist_free(&m->ports);
	uki_strlist_free(&m->volumes);
	free(m->workdir);
	free(m->user);
	free(m->mode);
	memset(m, 0, sizeof(*m));
}

static void print_list(FILE *f, const char *label, const struct uki_strlist *l)
{
	fprintf(f, "%-12s", label);
	if (!l->n)
		fprintf(f, " (none)");
	for (int i = 0; i < l->n; i++)
		fprintf(f, " \"%s\"", l->v[i]);
	fputc('\n', f);
}

void uki_manifest_print(FILE *f, const struct uki_manifest *m)
{
	print_list(f, "entrypoint:", &m->entrypoint);
	print_list(f, "cmd:", &m->cmd);
	fprintf(f, "env:\n");
	for (int i = 0; i < m->env.n; i++)
		fprintf(f, "  %s\n", m->env.v[i]);
	print_list(f, "ports:", &m->ports);
	print_list(f, "volumes:", &m->volumes);
	fprintf(f, "%-12s %s\n", "workdir:", m->workdir ? m->workdir : "/");
	fprintf(f, "%-12s %s\n", "user:", m->user ? m->user : "0:0 (root)");
	fprintf(f, "%-12s %s\n", "mode:", m->mode ? m->mode : "link");
	if (m->mem)
		fprintf(f, "%-12s %llu MiB\n", "memory:", (unsigned long long)(m->mem >> 20));
	else
		fprintf(f, "%-12s ukrun's default\n", "memory:");
}
