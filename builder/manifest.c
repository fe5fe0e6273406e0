/* The manifest as a device tree, through libfdt. */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <uk/abi.h>

#include "manifest.h"

int ukb_strlist_add(struct ukb_strlist *l, const char *s)
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

void ukb_strlist_free(struct ukb_strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int put_list(void *fdt, const char *name, const struct ukb_strlist *l)
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

int ukb_manifest_write(const struct ukb_manifest *m, void *buf, size_t size)
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

static int get_list(const void *fdt, int node, const char *name, struct ukb_strlist *l)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len), *end;

	if (!p)
		return 0;
	if (len > 0 && p[len - 1])
		return -EINVAL; /* the last string must be terminated */
	for (end = p + len; p < end; p += strlen(p) + 1)
		if (ukb_strlist_add(l, p))
			return -ENOMEM;
	return 0;
}

static int get_str(const void *fdt, int node, const char *name, char **out)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);

	if (!p)
		return 0;
	if (len < 1 || p[len - 1])
		return -EINVAL;
	return (*out = strdup(p)) ? 0 : -ENOMEM;
}

int ukb_manifest_read(const void *fdt, size_t size, struct ukb_manifest *m)
{
	int node, len, r;
	const void *mem;

	memset(m, 0, sizeof(*m));
	if (size < sizeof(struct fdt_header) || fdt_check_full(fdt, size))
		return -EINVAL;
	if ((node = fdt_path_offset(fdt, UK_MF_NODE)) < 0)
		return -EINVAL;
	r = get_list(fdt, node, UK_MF_ENTRYPOINT, &m->entrypoint);
	r = r ?: get_list(fdt, node, UK_MF_CMD, &m->cmd);
	r = r ?: get_list(fdt, node, UK_MF_ENV, &m->env);
	r = r ?: get_list(fdt, node, UK_MF_PORTS, &m->ports);
	r = r ?: get_list(fdt, node, UK_MF_MOUNTS, &m->volumes);
	r = r ?: get_str(fdt, node, UK_MF_WORKDIR, &m->workdir);
	r = r ?: get_str(fdt, node, UK_MF_USER, &m->user);
	r = r ?: get_str(fdt, node, UK_MF_MODE, &m->mode);
	if (!r && (mem = fdt_getprop(fdt, node, UK_MF_MEM, &len))) {
		if (len == 8)
			m->mem = fdt64_ld(mem);
		else
			r = -EINVAL;
	}
	if (r)
		ukb_manifest_free(m);
	return r;
}

int ukb_manifest_add_volume(struct ukb_manifest *m, const char *path)
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
		r = ukb_strlist_add(&m->volumes, p);
	free(p);
	return r > 0 ? 0 : r;
}

void ukb_manifest_free(struct ukb_manifest *m)
{
	ukb_strlist_free(&m->entrypoint);
	ukb_strlist_free(&m->cmd);
	ukb_strlist_free(&m->env);
	ukb_strlist_free(&m->ports);
	ukb_strlist_free(&m->volumes);
	free(m->workdir);
	free(m->user);
	free(m->mode);
	memset(m, 0, sizeof(*m));
}

static void print_list(FILE *f, const char *label, const struct ukb_strlist *l)
{
	fprintf(f, "%-12s", label);
	if (!l->n)
		fprintf(f, " (none)");
	for (int i = 0; i < l->n; i++)
		fprintf(f, " \"%s\"", l->v[i]);
	fputc('\n', f);
}

void ukb_manifest_print(FILE *f, const struct ukb_manifest *m)
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
