/*
 * /proc's files about the whole system: meminfo, cpuinfo, uptime,
 * version, stat, loadavg, net/if_inet6, sys/'s settings. Each is one
 * piece of text, made when first read.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/net.h>
#include <uk/paging.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/vfs.h>

#include "procfs.h"

static long gen_meminfo(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t total = uk_mm_total() >> 10, avail = uk_mm_free() >> 10;

	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size,
	                   "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n"
	                   "MemAvailable:   %8lu kB\nBuffers:               0 kB\n"
	                   "Cached:                0 kB\nSwapCached:            0 kB\n"
	                   "Shmem:                 0 kB\nSwapTotal:             0 kB\n"
	                   "SwapFree:              0 kB\n",
	                   (unsigned long)total, (unsigned long)avail, (unsigned long)avail);
}

static void cpu_brand(char *out)
{
	uint32_t r[4];

	uk_cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000004) {
		uk_memcpy(out, "unknown", 8);
		return;
	}
	for (uint32_t leaf = 0; leaf < 3; leaf++) {
		uk_cpuid(0x80000002 + leaf, 0, r);
		uk_memcpy(out + 16 * leaf, r, 16);
	}
	out[48] = 0;
}

static long gen_cpuinfo(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	static const struct {
		int reg, bit;
		const char *name;
	} flags[] = {
		{ 3, 0, "fpu" },     { 3, 4, "tsc" },     { 3, 15, "cmov" },
		{ 3, 25, "sse" },    { 3, 26, "sse2" },   { 2, 0, "pni" },
		{ 2, 9, "ssse3" },   { 2, 19, "sse4_1" }, { 2, 20, "sse4_2" },
		{ 2, 23, "popcnt" }, { 2, 25, "aes" },    { 2, 26, "xsave" },
		{ 2, 28, "avx" },    { 2, 30, "rdrand" }, { 2, 31, "hypervisor" },
	};
	uint32_t vr[4], r[4];
	char vendor[13], brand[49];
	size_t n;

	if (g->cursor++)
		return 0;
	uk_cpuid(0, 0, vr);
	uk_memcpy(vendor, &vr[1], 4);
	uk_memcpy(vendor + 4, &vr[3], 4);
	uk_memcpy(vendor + 8, &vr[2], 4);
	vendor[12] = 0;
	cpu_brand(brand);
	uk_cpuid(1, 0, r);
	n = uk_snprintf(buf, size,
	                "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
	                "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\n"
	                "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n"
	                "flags\t\t:",
	                vendor, ((r[0] >> 8) & 0xf) + ((r[0] >> 20) & 0xff),
	                ((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0), brand, r[0] & 0xf,
	                (unsigned long)(uk_tsc_khz / 1000), (unsigned long)(uk_tsc_khz % 1000));
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && n < size; i++)
		if ((r[flags[i].reg] >> flags[i].bit) & 1)
			n += uk_snprintf(buf + n, size - n, " %s", flags[i].name);
	if (n < size)
		n += uk_snprintf(buf + n, size - n, "\n\n");
	return (long)(n < size ? n : size);
}

static long gen_uptime(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t up = uk_monotonic_ns() / 10000000, idle = uk_idle_ns() / 10000000;

	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size, "%lu.%02lu %lu.%02lu\n", (unsigned long)(up / 100),
	                   (unsigned long)(up % 100), (unsigned long)(idle / 100),
	                   (unsigned long)(idle % 100));
}

static long gen_version(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size, "Linux version " UK_OS_RELEASE " (uk library OS) #1\n");
}

static long gen_cap_last_cap(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++)
		return 0;
	return uk_snprintf(buf, size, "%d\n", UK_CAP_LAST);
}

/* A random (version 4) UUID, as Linux's random/uuid gives one a read. */
static long uuid_text(char *buf, size_t size)
{
	uint8_t u[16];

	uk_random_fill(u, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	return uk_snprintf(buf, size,
	                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
	                   u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
	                   u[12], u[13], u[14], u[15]);
}

/* /proc/sys's settings: the limits the library OS keeps. */
static long gen_sysctl(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	static char boot_id[40];

	if (g->cursor++)
		return 0;
	switch (g->node) {
	case N_HOSTNAME: return uk_snprintf(buf, size, "%s\n", uk_hostname);
	case N_OSRELEASE: return uk_snprintf(buf, size, "%s\n", UK_OS_RELEASE);
	case N_OSTYPE: return uk_snprintf(buf, size, "Linux\n");
	case N_PID_MAX: return uk_snprintf(buf, size, "%d\n", UK_PID_MAX);
	case N_UUID: return uuid_text(buf, size);
	case N_BOOT_ID:
		if (!boot_id[0])
			uuid_text(boot_id, sizeof(boot_id));
		return uk_snprintf(buf, size, "%s", boot_id);
	case N_SOMAXCONN: return uk_snprintf(buf, size, "%d\n", UK_SOMAXCONN);
	case N_MAX_MAP_COUNT: return uk_snprintf(buf, size, "%d\n", UK_MAX_MAP_COUNT);
	case N_NR_OPEN: return uk_snprintf(buf, size, "%d\n", UK_FD_LIMIT);
	case N_INOTIFY_QUEUED: return uk_snprintf(buf, size, "%d\n", UK_INOTIFY_MAX_QUEUED);
	case N_INOTIFY_INSTANCES: return uk_snprintf(buf, size, "%d\n", UK_INOTIFY_MAX_INSTANCES);
	case N_INOTIFY_WATCHES: return uk_snprintf(buf, size, "%d\n", UK_INOTIFY_MAX_WATCHES);
	}
	return -EIO;
}

/* How many threads the processes have, how many of them can run, and the
 * newest pid. */
static void count_procs(unsigned *threads, unsigned *running, int *last)
{
	struct uk_proc_view pv;

	*threads = *running = 0;
	*last = 1;
	for (int pid = uk_proc_next(0); pid; pid = uk_proc_next(pid)) {
		*last = pid;
		for (int tid = uk_proc_thread_next(pid, 0); tid;
		     tid = uk_proc_thread_next(pid, tid)) {
			++*threads;
			if (!uk_proc_view(pid, tid, &pv) && pv.state == 'R')
				++*running;
		}
	}
}

/* The CPU times, in USER_HZ (100) ticks: time not halted counts as user
 * time, halted as idle (one CPU; the library OS's own time is not told
 * apart). Node's os.cpus(), glibc's CPU count fallback, the JVM's load,
 * top's summary. */
static long gen_stat(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	uint64_t up = uk_monotonic_ns() / 10000000, idle = uk_idle_ns() / 10000000;
	unsigned long busy = (unsigned long)(up > idle ? up - idle : 0), id = (unsigned long)idle;
	unsigned threads, running;
	int last;

	if (g->cursor++)
		return 0;
	count_procs(&threads, &running, &last);
	return uk_snprintf(buf, size,
	                   "cpu  %lu 0 0 %lu 0 0 0 0 0 0\ncpu0 %lu 0 0 %lu 0 0 0 0 0 0\n"
	                   "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %u\n"
	                   "procs_blocked 0\n",
	                   busy, id, busy, id,
	                   (unsigned long)((uk_realtime_ns() - uk_monotonic_ns()) / 1000000000),
	                   last, running);
}

/* No load average is kept: zeros, with the counts that are known. */
static long gen_loadavg(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	unsigned threads, running;
	int last;

	if (g->cursor++)
		return 0;
	count_procs(&threads, &running, &last);
	return uk_snprintf(buf, size, "0.00 0.00 0.00 %u/%u %d\n", running, threads, last);
}

/* The network's IPv6 addresses, as Linux's /proc/net/if_inet6 (the net
 * room's hook: empty until a program's first socket brings it up). */
static long gen_if_inet6(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	if (g->cursor++ || !uk_procfs_hooks.if_inet6)
		return 0;
	return (long)uk_procfs_hooks.if_inet6(buf, size);
}

/* Linux's pgfault, then uk's own counts of what address spaces cost
 * (uk/paging.h): make bench reads them around fork and exec. */
static long gen_vmstat(struct pgen *g, const struct uk_proc_view *v, char *buf, size_t size)
{
	const struct uk_vm_counts *c = &uk_vm_counts;

	if (g->cursor++)
		return 0;
	return uk_snprintf(
	    buf, size,
	    "pgfault %lu\nuk_pt_alloc %lu\nuk_cr3_load %lu\nuk_invlpg %lu\n"
	    "uk_tlb_flush %lu\nuk_pte_write %lu\nuk_cow_copy %lu\nuk_cow_reuse %lu\n"
	    "uk_fork_copy %lu\nuk_file_copy %lu\nuk_file_share %lu\nuk_file_image %lu\n"
	    "uk_code_scan %lu\nuk_code_kept %lu\nuk_pt_queued %lu\n",
	    c->pgfault, c->pt_alloc, c->cr3_load, c->invlpg, c->tlb_flush, c->pte_write,
	    c->cow_copy, c->cow_reuse, c->fork_copy, c->file_copy, c->file_share, c->file_image,
	    c->code_scan, c->code_kept, c->pt_queued);
}

pgen_fn uk_procfs_sys_gen(int node)
{
	switch (node) {
	case N_MEMINFO: return gen_meminfo;
	case N_CPUINFO: return gen_cpuinfo;
	case N_UPTIME: return gen_uptime;
	case N_VERSION: return gen_version;
	case N_SYSSTAT: return gen_stat;
	case N_LOADAVG: return gen_loadavg;
	case N_IF_INET6: return gen_if_inet6;
	case N_VMSTAT: return gen_vmstat;
	case N_CAP_LAST_CAP: return gen_cap_last_cap;
	}
	if (node >= N_SYSCTL_FIRST && node < N_SYSCTL_END)
		return gen_sysctl;
	return NULL;
}
