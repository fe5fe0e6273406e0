/* The manifest reader for ukrun and the library OS: see uk/manifest.h. */
#include <libfdt.h>
#include <uk/manifest.h>

/* A string: absent, or terminated within its property; *bad otherwise. */
static const char *string(const void *fdt, int node, const char *name, int *bad)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);

	if (p && (len < 1 || p[len - 1]))
		*bad = 1;
	return *bad ? NULL : p;
}

/* A list: absent, empty, or its last string terminated. */
static struct uk_mf_list list(const void *fdt, int node, const char *name, int *bad)
{
	int len;
	const char *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len <= 0)
		return (struct uk_mf_list){ 0 };
	if (p[len - 1])
		*bad = 1;
	return (struct uk_mf_list){ p, len };
}

/* "uid[:gid]", digits only; a user name means nothing to a guest without
 * /etc/passwd lookups at this level. */
static void ids(struct uk_mf *m)
{
	const char *p = m->user;
	unsigned u = 0, g = 0;

	if (!p || *p < '0' || *p > '9')
		return;
	while (*p >= '0' && *p <= '9')
		u = u * 10 + (*p++ - '0');
	if (*p == ':')
		for (p++; *p >= '0' && *p <= '9';)
			g = g * 10 + (*p++ - '0');
	if (*p)
		return;
	m->has_ids = 1;
	m->uid = u;
	m->gid = g;
}

int uk_mf_read(struct uk_mf *m, const void *blob, size_t size)
{
	int node, len, bad = 0;
	const void *mem;

	*m = (struct uk_mf){ 0 };
	if (size < sizeof(struct fdt_header) || size > INT32_MAX || fdt_check_full(blob, size) ||
	    (node = fdt_path_offset(blob, UK_MF_NODE)) < 0)
		return -1;
	m->entrypoint = list(blob, node, UK_MF_ENTRYPOINT, &bad);
	m->cmd = list(blob, node, UK_MF_CMD, &bad);
	m->env = list(blob, node, UK_MF_ENV, &bad);
	m->ports = list(blob, node, UK_MF_PORTS, &bad);
	m->mounts = list(blob, node, UK_MF_MOUNTS, &bad);
	m->workdir = string(blob, node, UK_MF_WORKDIR, &bad);
	m->user = string(blob, node, UK_MF_USER, &bad);
	m->mode = string(blob, node, UK_MF_MODE, &bad);
	if ((mem = fdt_getprop(blob, node, UK_MF_MEM, &len)) && len != 8)
		bad = 1;
	if (bad) {
		*m = (struct uk_mf){ 0 };
		return -1;
	}
	m->mem = mem ? fdt64_ld(mem) : 0;
	m->present = 1;
	ids(m);
	return 0;
}

const char *uk_mf_next(const struct uk_mf_list *l, int *pos, int *len)
{
	const char *s;
	int n = 0;

	if (*pos >= l->size)
		return NULL;
	s = l->p + *pos;
	while (*pos + n < l->size && s[n])
		n++;
	*len = n;
	*pos += n + 1;
	return s;
}
