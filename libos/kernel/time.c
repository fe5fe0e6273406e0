/*
 * Time. Clocks come from the TSC; its frequency from ukrun's runtime tree,
 * else the hypervisor's CPUID timing leaf, else kvmclock, else a PIT
 * calibration (QEMU without KVM). The one-shot LAPIC timer (TSC-deadline
 * mode when the CPU has it) ends sleeps; an idle CPU halts.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/plat.h>
#include <uk/linux.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/timespec.h>

uint64_t uk_tsc_khz;
static uint64_t tsc0;    /* TSC at CLOCK_MONOTONIC 0 */
static uint64_t ns_mult; /* ns = tsc_delta * ns_mult >> 32 */
static uint64_t epoch0;  /* CLOCK_REALTIME at CLOCK_MONOTONIC 0 */
static int tsc_deadline, x2apic;
static uint64_t lapic_khz; /* one-shot mode only */

#define LAPIC_PA 0xfee00000ul
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		uk_wrmsr(0x800 + (reg >> 4), v);
	else
		*(volatile uint32_t *)uk_p2v(LAPIC_PA + reg) = v;
}

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)uk_rdmsr(0x800 + (reg >> 4));
	return *(volatile uint32_t *)uk_p2v(LAPIC_PA + reg);
}

uint64_t uk_tsc_to_ns(uint64_t d) { return (uint64_t)(((unsigned __int128)d * ns_mult) >> 32); }

static uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * uk_tsc_khz / 1000000);
}

uint64_t uk_monotonic_ns(void) { return uk_tsc_to_ns(uk_rdtsc() - tsc0); }

uint64_t uk_tsc_to_monotonic(uint64_t tsc) { return tsc > tsc0 ? uk_tsc_to_ns(tsc - tsc0) : 0; }

uint64_t uk_realtime_ns(void) { return epoch0 + uk_monotonic_ns(); }

void uk_realtime_set(uint64_t ns) { epoch0 = ns - uk_monotonic_ns(); }

uint64_t uk_realtime_offset(void) { return epoch0; }

/* The KVM/VMware timing leaf: EAX = TSC kHz. */
static uint64_t khz_from_cpuid(void)
{
	uint32_t r[4];

	uk_cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000010) {
		uk_cpuid(0x40000010, 0, r);
		if (r[0])
			return r[0];
	}
	uk_cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		uk_cpuid(0x15, 0, r); /* TSC = crystal * EBX / EAX */
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0] / 1000;
	}
	return 0;
}

struct pvclock {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags, pad[2];
};

/* kvmclock's scale gives the TSC frequency; enabled just long enough to
 * read it. */
static uint64_t khz_from_kvmclock(void)
{
	static struct pvclock pv __attribute__((aligned(64)));
	uint32_t r[4];
	uint64_t hz;

	uk_cpuid(0x40000000, 0, r);
	if (r[1] != 0x4b4d564b || r[0] < 0x40000001) /* "KVMK" */
		return 0;
	uk_cpuid(0x40000001, 0, r);
	if (!(r[0] & (1u << 3))) /* KVM_FEATURE_CLOCKSOURCE2 */
		return 0;
	uk_wrmsr(0x4b564d01, uk_v2p(&pv) | 1);
	while (pv.version & 1 || !pv.mul)
		uk_pause();
	uk_wrmsr(0x4b564d01, 0);
	hz = (1000000000ull << 32) / pv.mul;
	hz = pv.shift >= 0 ? hz >> pv.shift : hz << -pv.shift;
	return hz / 1000;
}

/* PIT channel 0 counts down at 1.193182 MHz; count ~10 ms of it. */
static uint64_t khz_from_pit(void)
{
	uint32_t ticks = 0, want = 11932;
	uint16_t last, now;
	uint64_t t0;

	uk_outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	uk_outb(0x40, 0);
	uk_outb(0x40, 0); /* reload 65536 */
	uk_outb(0x43, 0);
	last = uk_inb(0x40);
	last |= uk_inb(0x40) << 8;
	t0 = uk_rdtsc();
	while (ticks < want) {
		uk_outb(0x43, 0); /* latch */
		now = uk_inb(0x40);
		now |= uk_inb(0x40) << 8;
		ticks += (uint16_t)(last - now);
		last = now;
	}
	return (uk_rdtsc() - t0) * 1193182ull / ticks / 1000;
}

/* CMOS RTC wall clock, BCD or binary, for QEMU without ukrun. */
static uint8_t cmos(uint8_t reg)
{
	uk_outb(0x70, reg);
	return uk_inb(0x71);
}

static uint64_t rtc_epoch_ns(void)
{
	uint8_t s, m, h, d, mo, y, b;
	int bcd;
	uint64_t days;

	while (cmos(0x0a) & 0x80) /* update in progress */
		uk_pause();
	s = cmos(0), m = cmos(2), h = cmos(4), d = cmos(7), mo = cmos(8), y = cmos(9);
	b = cmos(0x0b);
	if (y == 0xff)
		return 0; /* no RTC */
	bcd = !(b & 4);
#define BIN(x) (bcd ? ((x)&15) + ((x) >> 4) * 10 : (x))
	s = BIN(s), m = BIN(m), h = BIN(h & 0x7f), d = BIN(d), mo = BIN(mo), y = BIN(y);
#undef BIN
	/* days from civil (Howard Hinnant's algorithm), year 2000 + y */
	{
		int yy = 2000 + y - (mo <= 2);
		int era = yy / 400, yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = (uint64_t)era * 146097 + doe - 719468;
	}
	return ((days * 24 + h) * 3600 + m * 60 + s) * 1000000000ull;
}

static void timer_irq(unsigned vec, void *arg)
{
	(void)vec, (void)arg;
	lapic_write(LAPIC_EOI, 0);
	uk_sched_timer();
}

static void lapic_init(void)
{
	const uint32_t *r = uk_cpuid1;

	x2apic = (r[2] >> 21) & 1;
	tsc_deadline = (r[2] >> 24) & 1;
	if (x2apic)
		uk_wrmsr(MSR_APIC_BASE, uk_rdmsr(MSR_APIC_BASE) | (1 << 11) | (1 << 10));
	/* (TPR is 0 from reset: not written, a write being an exit) */
	lapic_write(LAPIC_SVR, 0x100 | UK_VEC_SPURIOUS);
	uk_irq_register(UK_VEC_TIMER, timer_irq, 0);
	if (tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, UK_VEC_TIMER | 2 << 17);
		return;
	}
	/* One-shot mode: measure the timer's clock against the TSC. */
	lapic_write(LAPIC_TIMER_DIV, 0xb);                    /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, UK_VEC_TIMER | 1 << 16); /* masked */
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	uint64_t t0 = uk_rdtsc(), span = uk_tsc_khz; /* 1 ms */
	while (uk_rdtsc() - t0 < span)
		uk_pause();
	lapic_khz = 0xffffffffull - lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_write(LAPIC_LVT_TIMER, UK_VEC_TIMER);
}

void uk_time_init(void)
{
	tsc0 = uk_rdtsc();
	uk_tsc_khz = uk_plat.tsc_khz;
	if (!uk_tsc_khz)
		uk_tsc_khz = khz_from_cpuid();
	if (!uk_tsc_khz)
		uk_tsc_khz = khz_from_kvmclock();
	if (!uk_tsc_khz)
		uk_tsc_khz = khz_from_pit();
	if (!uk_tsc_khz)
		uk_panic("cannot tell the TSC frequency");
	ns_mult = (1000000ull << 32) / uk_tsc_khz;
	if (uk_plat.epoch_ns) {
		uint64_t since = tsc0 > uk_plat.epoch_tsc ? tsc0 - uk_plat.epoch_tsc : 0;
		epoch0 = uk_plat.epoch_ns + uk_tsc_to_ns(since);
	} else {
		epoch0 = rtc_epoch_ns();
	}
	lapic_init();
}

void uk_timer_arm(uint64_t deadline_ns)
{
	if (tsc_deadline) {
		uk_wrmsr(MSR_TSC_DEADLINE, deadline_ns ? tsc0 + ns_to_tsc(deadline_ns) : 0);
		return;
	}
	if (!deadline_ns) {
		lapic_write(LAPIC_TIMER_INIT, 0);
		return;
	}
	uint64_t now = uk_monotonic_ns();
	uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
	uint64_t count = delta * lapic_khz / 1000000 + 1;
	lapic_write(LAPIC_TIMER_INIT, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

int uk_sleep_until(uint64_t deadline_ns)
{
	int on = uk_irq_save(), r;

	do
		r = uk_sched_block(deadline_ns);
	while (r == 0); /* nobody wakes a sleeper but its timer or a signal */
	uk_irq_restore(on);
	return r == -ETIMEDOUT ? 0 : r;
}

/* ---- timespecs and deadlines (the system calls' and futexes' timeouts) ---- */

int uk_timespec_ns(const struct __kernel_timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long long)UK_NSEC)
		return -EINVAL;
	/* ~146 years is forever enough, and keeps sums from overflowing. */
	if ((uint64_t)ts->tv_sec > (1ull << 62) / UK_NSEC)
		*ns = 1ull << 62;
	else
		*ns = ts->tv_sec * UK_NSEC + ts->tv_nsec;
	return 0;
}

void uk_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts)
{
	ts->tv_sec = ns / UK_NSEC;
	ts->tv_nsec = ns % UK_NSEC;
}

int uk_clock_realtime(int clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI ||
	       clk == CLOCK_REALTIME_ALARM;
}

int uk_clock_monotonic(int clk)
{
	return clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW ||
	       clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME ||
	       clk == CLOCK_BOOTTIME_ALARM;
}

/* Linux's encoding of per-process and per-thread CPU clocks
 * (clock_getcpuclockid, pthread_getcpuclockid): ~pid << 3 | flags. */
static int cpu_clock_ns(int clk, uint64_t *ns)
{
	int id = ~(clk >> 3), which = clk & 3;
	struct uk_thread *t;

	if (which == 3) /* a clock descriptor: none exist */
		return -EINVAL;
	if (!(clk & 4)) { /* a process */
		struct uk_proc *p = id ? uk_proc_find(id) : uk_proc_cur;
		if (!p)
			return -EINVAL;
		*ns = uk_proc_cpu_ns(p);
		return 0;
	}
	t = id ? uk_thread_find(id) : uk_current;
	if (!t)
		return -EINVAL;
	*ns = uk_thread_cpu_ns(t);
	return 0;
}

int uk_clock_read(int clk, uint64_t *ns)
{
	if (uk_clock_realtime(clk))
		*ns = uk_realtime_ns();
	else if (uk_clock_monotonic(clk))
		*ns = uk_monotonic_ns();
	else if (clk == CLOCK_PROCESS_CPUTIME_ID)
		*ns = uk_process_cpu_ns();
	else if (clk == CLOCK_THREAD_CPUTIME_ID)
		*ns = uk_thread_cpu_ns(uk_current);
	else if (clk < 0)
		return cpu_clock_ns(clk, ns);
	else
		return -EINVAL;
	return 0;
}

int uk_deadline(int clk, const struct __kernel_timespec *ts, int abs, uint64_t *deadline)
{
	uint64_t ns, mono = uk_monotonic_ns(), d;

	if (!ts)
		return -EFAULT;
	if (uk_timespec_ns(ts, &ns))
		return -EINVAL;
	if (!abs) {
		d = mono + ns;
	} else if (uk_clock_realtime(clk)) {
		uint64_t off = uk_realtime_offset();
		d = ns > off ? ns - off : 0;
	} else if (uk_clock_monotonic(clk)) {
		d = ns;
	} else {
		return -EINVAL;
	}
	*deadline = d ? d : 1; /* 0 would mean "no deadline" */
	return 0;
}
