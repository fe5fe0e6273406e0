/* lwIP's platform functions (NO_SYS): the clock, diagnostics, randomness,
 * zeroed allocation. */
#include <lwip/arch.h>
#include <lwip/pbuf.h>
#include <lwip/sys.h>
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/time.h>

u32_t sys_now(void) { return (u32_t)(uk_monotonic_ns() / 1000000); }

void uk_lwip_diag(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	uk_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	uk_pr("lwip: %s", buf);
}

void uk_lwip_assert(const char *msg, int line, const char *file)
{
	uk_panic("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* RDRAND when the CPU has it, else the TSC mixed (ISNs, ports, DHCP xids:
 * unpredictable enough for a guest behind its host). */
uint32_t uk_lwip_rand(void)
{
	static int have = -1;
	static uint64_t x;
	uint64_t v;
	unsigned char ok;

	if (have < 0) {
		uint32_t r[4];
		uk_cpuid(1, 0, r);
		have = (r[2] >> 30) & 1;
		x = uk_rdtsc() | 1;
	}
	if (have) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok)
			return (uint32_t)v;
	}
	x ^= uk_rdtsc();
	x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift */
	return (uint32_t)x;
}

/* lwIP's memory is not zeroed (its own heap never was): every block it
 * reads it wrote first, but for the fields of ours in struct pbuf
 * (LWIP_PBUF_CUSTOM_DATA, which lwIP does not set), which a PBUF_RAM
 * buffer has at its start. Small blocks are zero anyway (the kernel heap's
 * slabs are zeroed when freed); the large ones (TCP segments of up to
 * 16 KiB, received frames) are not zeroed before lwIP fills them. */
void *uk_lwip_malloc(unsigned long size)
{
	void *p = uk_kmalloc_dirty(size);

	if (p && size > 2048)
		uk_memset(p, 0, sizeof(struct pbuf));
	return p;
}

void *uk_lwip_calloc(unsigned long n, unsigned long size)
{
	if (size && n > ~0ul / size)
		return NULL;
	return uk_kzalloc(n * size); /* the kernel heap hands out zeroed memory */
}
