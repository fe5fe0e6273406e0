/* cpio "newc" reader (see cpio.h). Every length is checked against the
 * archive's end before it is used: the archive comes from the image. */
#include "cpio.h"

#define HDR 110
#define EINVAL_ 22 /* pure code: no errno headers on both sides */

static int hex8(const char *p, uint32_t *v)
{
	uint32_t x = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return 0;
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

static int str_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

int uk_cpio_next(const void *base, size_t size, size_t *off, struct uk_cpio_entry *e)
{
	const char *a = base, *h;
	uint32_t f[13], namesize, filesize;
	size_t o = *off, name_end, data_end;

	if (o >= size)
		return 0; /* no trailer, but nothing left either */
	if (size - o < HDR)
		return -EINVAL_;
	h = a + o;
	if (!str_eq(h, "070701", 6) && !str_eq(h, "070702", 6))
		return -EINVAL_;
	for (int i = 0; i < 13; i++)
		if (hex8(h + 6 + 8 * i, &f[i]))
			return -EINVAL_;
	namesize = f[11];
	filesize = f[6];
	if (namesize == 0 || namesize > size - o - HDR)
		return -EINVAL_;
	name_end = o + HDR + namesize;
	if (a[name_end - 1] != 0)
		return -EINVAL_;
	if (pad4(name_end) > size || filesize > size - pad4(name_end))
		return -EINVAL_;
	data_end = pad4(name_end) + filesize;
	e->name = h + HDR;
	/* NULs may follow the name (ukbuild aligns file data so) */
	for (e->name_len = 0; e->name[e->name_len]; e->name_len++)
		;
	e->ino = f[0], e->mode = f[1], e->uid = f[2], e->gid = f[3], e->nlink = f[4];
	e->mtime = f[5], e->devmajor = f[7], e->devminor = f[8];
	e->rdevmajor = f[9], e->rdevminor = f[10];
	e->data = a + pad4(name_end);
	e->size = filesize;
	*off = pad4(data_end) < size ? pad4(data_end) : size;
	if (e->name_len == 10 && str_eq(e->name, "TRAILER!!!", 10))
		return 0;
	return 1;
}
