#include <ctype.h>
#include <errno.h>
#include <getopt.h>
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

#define HOST_OPTS_MAX 32

/* A spec in getopt_long's two forms. */
struct opts_tables {
	struct option lo[HOST_OPTS_MAX + 1];
	char shorts[3 + 2 * HOST_OPTS_MAX];
	char names[1024];
};

static int opts_tables(const char *spec, int flags, struct opts_tables *t)
{
	size_t nl = 0, ns = 0, nn = 0;

	if (flags & HOST_OPTS_FIRST)
		t->shorts[ns++] = '+';
	t->shorts[ns++] = ':'; /* a missing value is ':', not '?' */
	for (const char *p = spec; *p;) {
		const char *end;
		size_t n;
		int has, arg;

		if (*p == ' ') {
			p++;
			continue;
		}
		/* (a key is a letter or digit: getopt_long's own answers are
		 * '?' and ':') */
		if (nl == HOST_OPTS_MAX || !isalnum((unsigned char)p[0]) ||
		    (p[1] != ':' && p[1] != '.'))
			return -1;
		n = strcspn(p + 2, " =");
		has = p[2 + n] == '=';
		end = p + 2 + n + has; /* a space or the end */
		if (!n || (*end && *end != ' ') || nn + n + 1 > sizeof(t->names))
			return -1;
		memcpy(t->names + nn, p + 2, n);
		t->names[nn + n] = 0;
		/* "--name=V" of an option without a value comes back as a value
		 * (optional_argument), for host_opts to refuse with the word it
		 * is in: getopt_long's own '?' for it names no word */
		arg = has ? required_argument : optional_argument;
		t->lo[nl++] = (struct option){ t->names + nn, arg, NULL, (unsigned char)p[0] };
		nn += n + 1;
		if (p[1] == ':') {
			t->shorts[ns++] = p[0];
			if (has)
				t->shorts[ns++] = ':';
		}
		p = end;
	}
	t->lo[nl] = (struct option){ 0 };
	t->shorts[ns] = 0;
	return 0;
}

int host_opts(int argc, char **argv, const char *spec, int flags, const char *help,
              int (*fn)(void *ctx, int key, const char *value), void *ctx, char *err, size_t len)
{
	struct opts_tables t;
	const char *w;
	int c, r, li;

	if (opts_tables(spec, flags, &t))
		return host_fail(err, len, "bad option description '%s'", spec);
	*err = 0;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then reads this spec's '+' again */
	/* (li: which long option it was; -1 for a letter) */
	for (li = -1; (c = getopt_long(argc, argv, t.shorts, t.lo, &li)) != -1; li = -1) {
		/* the word just read, for every answer but an unknown letter
		 * (which may sit inside a word not yet done: "-Xv") */
		w = argv[optind - 1];
		if (c == ':')
			return host_fail(err, len, "option '%s' needs a value (see %s)", w, help);
		if (c == '?' && optopt) /* a letter; a long option's '?' has none */
			return host_fail(err, len, "unknown option '-%c' (see %s)", optopt, help);
		if (c == '?')
			return host_fail(err, len, "unknown option '%s' (see %s)", w, help);
		if (li >= 0 && optarg && t.lo[li].has_arg == optional_argument)
			return host_fail(err, len, "option '%s' takes no value (see %s)", w, help);
		if ((r = fn(ctx, c, optarg)))
			return r;
	}
	return 0;
}
