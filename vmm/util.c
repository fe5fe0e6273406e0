/* Messages and time for ukrun. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

int vmm_verbose_on;

double vmm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A guest can repeat a violation forever (reset, break, reset...): only the
 * first GUEST_ERR_PRINTED complaints reach the host's logs, the rest are
 * counted and the count is said at the end. */
#define GUEST_ERR_PRINTED 20
static unsigned long guest_errs;

void vmm_guest_err(const char *fmt, ...)
{
	unsigned long n = __atomic_add_fetch(&guest_errs, 1, __ATOMIC_RELAXED);
	va_list ap;
	char line[1024];

	if (n > GUEST_ERR_PRINTED)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ukrun: guest broke the ABI%s\n", line);
	if (n == GUEST_ERR_PRINTED)
		fprintf(stderr, "ukrun: (further violations are counted, not printed)\n");
}

void vmm_guest_err_total(void)
{
	unsigned long n = __atomic_load_n(&guest_errs, __ATOMIC_RELAXED);

	if (n > GUEST_ERR_PRINTED)
		vmm_err("the guest broke the ABI %lu times in all (the first %d printed)", n,
		        GUEST_ERR_PRINTED);
}

void vmm_verbose(const struct vmm *vm, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	(void)vm;
	if (!vmm_verbose_on)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ukrun: %s\n", line);
}

int vmm_sibling(const char *name, char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap);
	char *slash;
	size_t dir;

	if (n < 0)
		return -errno;
	if ((size_t)n >= cap)
		return -ENAMETOOLONG;
	out[n] = 0;
	slash = strrchr(out, '/');
	dir = slash ? (size_t)(slash + 1 - out) : 0;
	if ((size_t)snprintf(out + dir, cap - dir, "%s", name) >= cap - dir)
		return -ENAMETOOLONG;
	return 0;
}
