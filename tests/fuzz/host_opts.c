/*
 * libFuzzer target: the option parser both tools share (common/host.c
 * host_opts) on hostile command lines, under the option descriptions
 * ukrun, the OCI runtime and ukbuild really use, and under arbitrary ones.
 * Input: a byte choosing the description (and HOST_OPTS_FIRST), then
 * NUL-separated words: the description when it is the fuzzer's, then argv.
 *
 * Whatever host_opts hands over must be what the command line said: each
 * key one the description has, a value exactly when that option takes
 * one, pointing into one of the words; optind at an operand or the end;
 * an error only as -1 with a message naming a word (or letter) of the
 * command line, "takes no value" only of a "--name=value" word.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "../../common/host.h"

#define MAX_WORDS 64
#define HELP "cmd --help"

static const char *const specs[] = {
	/* ukrun (vmm/opts.c) */
	"m:mem= e:env= T.trace N.no-syscall-rewrite t.timeout= s.stop-timeout= V.verbose h:help "
	"A.version n.net= i.ip= g.gw= p:publish= v:volume= d.disk= c.console= u.user= "
	"H.hostname= r.read-only F.tmpfs= S.oci-start= R.oci-ready= E.oci-stderr=",
	/* the OCI runtime's global options and create's (vmm/oci_runtime.c, oci_create.c) */
	"r.root= l.log= f.log-format= d.debug s.systemd-cgroup R.rootless= h:help",
	"b:bundle= p.pid-file= c.console-socket= n.no-pivot k.no-new-keyring f.preserve-fds=",
	/* ukbuild link, disk create (builder/link.c, disk.c) */
	"o:output= e:env= c.cmd= n.name= m:mem= v:verbose R.rootfs= A.add= w:workdir= V.volume=",
	"s:size= F.fat= L.label= d.from= f:force v:verbose",
};

struct line {
	const char *spec;
	char *words[MAX_WORDS + 1]; /* argv as given (getopt_long reorders argv) */
	int n;
	int calls;
};

/* Does the description have key with (1) or without (0) a value? */
static int spec_has(const char *spec, int key, int value)
{
	for (const char *p = spec; *p; p++) {
		size_t n;

		if (p != spec && p[-1] != ' ')
			continue;
		if (p[0] != key || (p[1] != ':' && p[1] != '.'))
			continue;
		n = strcspn(p + 2, " =");
		if ((p[2 + n] == '=') == value)
			return 1;
	}
	return 0;
}

static int in_word(const struct line *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (s >= l->words[i] && s <= l->words[i] + strlen(l->words[i]))
			return 1;
	return 0;
}

static int is_word(const struct line *l, const char *s, size_t len)
{
	for (int i = 0; i < l->n; i++)
		if (strlen(l->words[i]) == len && !memcmp(l->words[i], s, len))
			return 1;
	return 0;
}

static int seen(void *ctx, int key, const char *value)
{
	struct line *l = ctx;

	if (!spec_has(l->spec, key, value != NULL) || (value && !in_word(l, value)))
		abort();
	l->calls++;
	return key == 'h' ? 7 : 0; /* as --help does: stop, say nothing */
}

/* err is "unknown option 'W' (see HELP)", "option 'W' needs a value (see
 * HELP)" or "option 'W' takes no value (see HELP)": W a word of the command
 * line, or a letter of one ("-X"); "takes no value" only of
 * "--name=value". */
static int err_ok(const struct line *l, const char *err)
{
	static const char *const forms[][2] = {
		{ "unknown option '", "' (see " HELP ")" },
		{ "option '", "' needs a value (see " HELP ")" },
		{ "option '", "' takes no value (see " HELP ")" },
	};
	size_t len = strlen(err), a, b;
	const char *w;
	int f;

	for (f = 0; f < 3; f++) {
		a = strlen(forms[f][0]), b = strlen(forms[f][1]);
		if (len >= a + b && !strncmp(err, forms[f][0], a) &&
		    !strcmp(err + len - b, forms[f][1]))
			break;
	}
	if (f == 3)
		return 0;
	w = err + a, len -= a + b;
	if (f == 2 && (strncmp(w, "--", 2) || !memchr(w, '=', len)))
		return 0;
	if (f == 0 && len == 2 && w[0] == '-') /* a letter of "-abc" ('-' too: "-a-") */
		for (int i = 0; i < l->n; i++)
			if (l->words[i][0] == '-' && l->words[i][1] != '-' &&
			    strchr(l->words[i] + 1, w[1]))
				return 1;
	return is_word(l, w, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char err[8192];
	struct line l = { 0 };
	char *argv[MAX_WORDS + 2] = { "cmd" };
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	char *own = NULL;
	int sel, r;

	if (size < 1)
		return 0;
	sel = data[0] & 7;
	if (sel >= 5) { /* the description is the first word */
		size_t n = strnlen(p, (size_t)(end - p));
		own = strndup(p, n);
		l.spec = own;
		p += n + (p + n < end);
	} else {
		l.spec = specs[sel];
	}
	while (p < end && l.n < MAX_WORDS) {
		size_t n = strnlen(p, (size_t)(end - p));
		l.words[l.n] = strndup(p, n); /* each its own block: ASan sees past its end */
		argv[l.n + 1] = l.words[l.n];
		l.n++;
		p += n + 1;
	}
	argv[l.n + 1] = NULL;

	r = host_opts(l.n + 1, argv, l.spec, data[0] & 8 ? HOST_OPTS_FIRST : 0, HELP, seen, &l, err,
	              sizeof(err));
	if (r == 0 && (*err || optind < 1 || optind > l.n + 1))
		abort();
	if (r == 7 && *err)
		abort();
	if (r == -1 && !strncmp(err, "bad option description", 22)) {
		if (!own) /* the tools' own descriptions are good */
			abort();
	} else if (r == -1 && !err_ok(&l, err)) {
		fprintf(stderr, "host_opts said: %s\n", err);
		abort();
	}
	if (r != 0 && r != 7 && r != -1)
		abort();
	for (int i = 0; i < l.n; i++)
		free(l.words[i]);
	free(own);
	return 0;
}
