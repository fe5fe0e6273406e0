/*
 * FAT names and times.
 *
 * Long names are UTF-16 (up to 255 units) in long-name entries; every
 * file also has an 8.3 short entry. A name that is already a valid 8.3
 * name in one case per part ("README.TXT", "readme.txt", "Makefile" is
 * not) gets the short entry alone, with the NT case bits Windows, Linux
 * and mtools all honour; any other name gets long-name entries and a
 * generated alias ("LONGFI~1.TXT"), as Microsoft's specification
 * describes.
 *
 * Times are stored as local time by FAT; we store UTC (see fat.h).
 */
#include "fat_impl.h"

/* Characters a long name may not hold (besides controls). */
static int fn_forbidden(uint32_t c)
{
	return c < 0x20 || c == 0x7f || c == '"' || c == '*' || c == '/' || c == ':' || c == '<' ||
	       c == '>' || c == '?' || c == '\\' || c == '|';
}

/* One code point from UTF-8, strictly (no overlongs, no surrogates). */
static int fn_utf8_next(const uint8_t **sp, uint32_t *cp)
{
	const uint8_t *s = *sp;
	uint32_t c = *s++, min;
	int more;

	if (c < 0x80)
		more = 0, min = 0;
	else if ((c & 0xe0) == 0xc0)
		more = 1, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		more = 2, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		more = 3, c &= 0x07, min = 0x10000;
	else
		return -EINVAL;
	while (more--) {
		if ((*s & 0xc0) != 0x80)
			return -EINVAL;
		c = c << 6 | (*s++ & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -EINVAL;
	*sp = s, *cp = c;
	return 0;
}

int fat_name_from_utf8(const char *name, uint16_t *u, unsigned *len)
{
	const uint8_t *s = (const uint8_t *)name;
	unsigned n = 0;
	uint32_t c;

	if (!*s)
		return -EINVAL;
	while (*s) {
		if (fn_utf8_next(&s, &c) || fn_forbidden(c))
			return -EINVAL;
		if (n + (c >= 0x10000 ? 2 : 1) > FAT_LFN_MAX)
			return -ENAMETOOLONG;
		if (c >= 0x10000) {
			c -= 0x10000;
			u[n++] = 0xd800 | c >> 10;
			u[n++] = 0xdc00 | (c & 0x3ff);
		} else {
			u[n++] = c;
		}
	}
	/* Windows drops trailing dots and spaces; a name that cannot come
	 * back the way it was written is refused instead. */
	if (u[n - 1] == '.' || u[n - 1] == ' ')
		return -EINVAL;
	if (n == 1 && u[0] == '.')
		return -EINVAL;
	if (n == 2 && u[0] == '.' && u[1] == '.')
		return -EINVAL;
	*len = n;
	return 0;
}

static char *fn_put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		*o++ = c;
	} else if (c < 0x800) {
		*o++ = 0xc0 | c >> 6, *o++ = 0x80 | (c & 0x3f);
	} else if (c < 0x10000) {
		*o++ = 0xe0 | c >> 12, *o++ = 0x80 | ((c >> 6) & 0x3f), *o++ = 0x80 | (c & 0x3f);
	} else {
		*o++ = 0xf0 | c >> 18, *o++ = 0x80 | ((c >> 12) & 0x3f);
		*o++ = 0x80 | ((c >> 6) & 0x3f), *o++ = 0x80 | (c & 0x3f);
	}
	return o;
}

void fat_name_to_utf8(const uint16_t *u, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++) {
		uint32_t c = u[i];
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && u[i + 1] >= 0xdc00 &&
		    u[i + 1] <= 0xdfff)
			c = 0x10000 + ((c - 0xd800) << 10) + (u[++i] - 0xdc00);
		else if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd; /* a lone surrogate from a foreign writer */
		out = fn_put_utf8(out, c);
	}
	*out = 0;
}

static uint16_t fn_upper(uint16_t c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

int fat_name_eq(const uint16_t *a, unsigned alen, const uint16_t *b, unsigned blen)
{
	if (alen != blen)
		return 0;
	for (unsigned i = 0; i < alen; i++)
		if (fn_upper(a[i]) != fn_upper(b[i]))
			return 0;
	return 1;
}

/* Characters an 8.3 name may hold besides letters and digits. */
static int fn_short_char(uint16_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '$':
	case '%':
	case '\'':
	case '-':
	case '_':
	case '@':
	case '~':
	case '`':
	case '!':
	case '(':
	case ')':
	case '{':
	case '}':
	case '^':
	case '#':
	case '&': return 1;
	}
	return 0;
}

/* One part (base or extension) of an 8.3 name: its case bit, or -1 when
 * the part mixes cases or holds a character 8.3 cannot. */
static int fn_short_part(const uint16_t *u, unsigned n, uint8_t *dst, uint8_t lowbit)
{
	int lower = 0, upper = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!fn_short_char(u[i]))
			return -1;
		lower |= u[i] >= 'a' && u[i] <= 'z';
		upper |= u[i] >= 'A' && u[i] <= 'Z';
		dst[i] = fn_upper(u[i]);
	}
	return lower && upper ? -1 : lower ? lowbit : 0;
}

int fat_name_is_short(const uint16_t *u, unsigned len, uint8_t sn[11], uint8_t *ntcase)
{
	unsigned dot = len, blen, elen;
	int b, e;

	for (unsigned i = 0; i < len; i++)
		if (u[i] == '.') {
			if (dot != len)
				return 0;
			dot = i;
		}
	blen = dot, elen = dot < len ? len - dot - 1 : 0;
	if (blen < 1 || blen > 8 || elen > 3 || (dot < len && !elen))
		return 0;
	fat_memset(sn, ' ', 11);
	b = fn_short_part(u, blen, sn, 0x08);
	e = fn_short_part(u + dot + 1, elen, sn + 8, 0x10);
	if (b < 0 || e < 0)
		return 0;
	*ntcase = b | e;
	return 1;
}

void fat_name_basis(const uint16_t *u, unsigned len, uint8_t sn[11])
{
	unsigned last = len, start = 0, k = 0;

	for (unsigned i = 0; i < len; i++)
		if (u[i] == '.')
			last = i;
	while (start < len && (u[start] == '.' || u[start] == ' '))
		start++;
	fat_memset(sn, ' ', 11);
	for (unsigned i = start; i < last && k < 8; i++)
		if (u[i] != ' ' && u[i] != '.')
			sn[k++] = fn_short_char(u[i]) ? fn_upper(u[i]) : '_';
	if (!k)
		sn[k++] = '_';
	k = 8;
	for (unsigned i = last + 1; i < len && k < 11; i++)
		if (u[i] != ' ' && u[i] != '.')
			sn[k++] = fn_short_char(u[i]) ? fn_upper(u[i]) : '_';
}

void fat_name_tail(const uint8_t basis[11], unsigned n, uint8_t sn[11])
{
	char tail[12];
	unsigned tl = 0, bl = 0, keep;

	for (unsigned v = n; v; v /= 10)
		tail[tl++] = '0' + v % 10;
	tail[tl++] = '~';
	while (bl < 8 && basis[bl] != ' ')
		bl++;
	keep = bl < 8 - tl ? bl : 8 - tl;
	fat_memset(sn, ' ', 8);
	fat_memcpy(sn, basis, keep);
	for (unsigned i = 0; i < tl; i++)
		sn[keep + i] = tail[tl - 1 - i];
	fat_memcpy(sn + 8, basis + 8, 3);
}

uint8_t fat_name_sum(const uint8_t sn[11])
{
	uint8_t s = 0;

	for (int i = 0; i < 11; i++)
		s = (uint8_t)(((s & 1) << 7) + (s >> 1) + sn[i]);
	return s;
}

unsigned fat_short_to_utf16(const uint8_t *de, uint16_t *u)
{
	unsigned n = 0, bl = 8, el = 3;
	uint8_t nt = de[12];

	while (bl && de[bl - 1] == ' ')
		bl--;
	while (el && de[8 + el - 1] == ' ')
		el--;
	for (unsigned i = 0; i < bl; i++) {
		uint16_t c = i == 0 && de[0] == 0x05 ? 0xe5 : de[i];
		u[n++] = (nt & 0x08) && c >= 'A' && c <= 'Z' ? c + 32 : c;
	}
	if (el)
		u[n++] = '.';
	for (unsigned i = 0; i < el; i++)
		u[n++] = (nt & 0x10) && de[8 + i] >= 'A' && de[8 + i] <= 'Z' ? de[8 + i] + 32
		                                                             : de[8 + i];
	return n;
}

/* ---- times ---- */

#define FAT_EPOCH 315532800ll /* 1980-01-01T00:00:00Z in Unix seconds */

static int64_t fn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void fn_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t fat_time_ns(uint16_t date, uint16_t time, uint8_t tenth)
{
	unsigned y = 1980 + (date >> 9), m = (date >> 5) & 15, d = date & 31;
	unsigned hh = time >> 11, mm = (time >> 5) & 63, ss = (time & 31) * 2;
	int64_t s;

	if (!date)
		return FAT_EPOCH * 1000000000ll;
	m = m < 1 ? 1 : m > 12 ? 12 : m;
	d = d < 1 ? 1 : d;
	s = fn_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	if (tenth < 200)
		s = s * 100 + tenth;
	else
		s *= 100;
	return s * 10000000ll;
}

void fat_time_from_ns(int64_t ns, uint16_t *date, uint16_t *time, uint8_t *tenth)
{
	int64_t s = ns / 1000000000, days, y;
	const int64_t max = fn_days_from_civil(2107, 12, 31) * 86400 + 86399;
	unsigned m, d, sod;

	if (s < FAT_EPOCH)
		s = FAT_EPOCH, ns = s * 1000000000;
	if (s > max)
		s = max, ns = s * 1000000000;
	days = s / 86400, sod = s % 86400;
	fn_civil_from_days(days, &y, &m, &d);
	*date = (y - 1980) << 9 | m << 5 | d;
	*time = (sod / 3600) << 11 | ((sod / 60) % 60) << 5 | (sod % 60) / 2;
	if (tenth)
		*tenth = (sod % 2) * 100 + (ns % 1000000000) / 10000000;
}

void fat_time_now(struct fat_fs *fs, uint16_t *date, uint16_t *time, uint8_t *tenth)
{
	fat_time_from_ns(fs->opts.now_ns ? fs->opts.now_ns() : 0, date, time, tenth);
}
