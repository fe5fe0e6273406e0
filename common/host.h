/*
 * What ukrun and ukbuild share on the host: one way to say what went
 * wrong, one size grammar, one host-name rule, one option parser. Plain C and libc, for host code
 * anywhere (vmm/, builder/, image/'s host side).
 */
#ifndef UK_COMMON_HOST_H
#define UK_COMMON_HOST_H

#include <stddef.h>
#include <stdint.h>

/* One line on stderr: "PROG: message". */
void host_err(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same line written into err (len bytes) instead, for a caller to
 * print with its context; returns -1. */
int host_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A size: bytes ("1048576"), or a number with a binary unit K, M, G or T
 * (either case, optionally followed by "iB" or "B": "512K", "64M", "2GiB",
 * "128MB"). Returns 0, or -1 (*out untouched) for anything else, a
 * negative number or one that does not fit in 64 bits. */
int host_parse_size(const char *s, uint64_t *out);

/* A host name a guest may take (uname's nodename: at most 64 bytes):
 * letters, digits, '-', '.' and '_', not empty. 1 if s is one. */
int host_hostname_ok(const char *s);

/* A command's options, described in one string of words "K:name" (-K and
 * --name) or "K.name" (--name only; K is just the key the handler sees),
 * each ending in '=' when the option takes a value:
 *   "o:output= v:verbose T.trace"
 * host_opts reads argv as getopt_long does (values as "--name V",
 * "--name=V", "-KV" or "-K V"; "--" ends the options), calls
 * fn(ctx, key, value) for each option in order (value NULL when it takes
 * none) and leaves the global optind at the first operand. Flags:
 * HOST_OPTS_FIRST stops at the first operand (what follows it is the
 * program's), else options and operands may mix.
 * Returns 0; or what fn returned when that was not 0 (fn says why, err is
 * ""); or -1 with err saying, the same way for every command, "unknown
 * option '--x' (see HELP)" or "option '--name' needs a value (see HELP)". */
#define HOST_OPTS_FIRST 1
int host_opts(int argc, char **argv, const char *spec, int flags, const char *help,
              int (*fn)(void *ctx, int key, const char *value), void *ctx, char *err, size_t len);

#endif
