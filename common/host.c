#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

void host_err(const char *prog, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, line);
}

int host_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

int host_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (int i = 0; units[i]; i++)
		if ((*end | 0x20) == (units[i] | 0x20))
			shift = 10 * (i + 1);
	if (shift) {
		end++;
		if (end[0] == 'i' && end[1] == 'B')
			end += 2;
		else if (end[0] == 'B')
			end++;
	}
	if (*end || v > (~0ull >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int host_hostname_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n == 64 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		                 (s[n] >= '0' && s[n] <= '9') || strchr("-._", s[n])))
			return 0;
	return n > 0;
}
