/* Messages and time for ukrun. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "vmm.h"

int vmm_verbose_on;

double vmm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void vmm_err(const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ukrun: %s\n", line);
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
