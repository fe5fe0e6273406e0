/*
 * What ukrun and ukbuild share on the host: one way to say what went
 * wrong, one size grammar, one host-name rule. Plain C and libc, for host code anywhere
 * (vmm/, builder/, image/'s host side).
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

#endif
