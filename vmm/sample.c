/*
 * --sample: where the vCPU spends its CPU time, by guest function. perf on
 * the paravirtual host sees none of the guest's instructions (it charges
 * their time to its own event entry), so ukrun samples the guest itself:
 * a timer on the vCPU thread's CPU clock signals the thread every
 * SAMPLE_NS of CPU (or the host's tick, when longer: the clock's timers are
 * looked at on the tick), the signal ends KVM_RUN (one exit to ukrun, ~27 us
 * there: ~3 % at 1 kHz), and the run loop reads RIP and the return address
 * of the frame at RBP (the caller, unless RIP is before the callee's
 * frame is made). A halted vCPU uses no CPU, so it is not sampled. At the
 * end the samples are named from the image's symbols, summed by function,
 * and the largest printed with their largest caller. Code of the lower
 * half (binary mode's program and libraries) is "(program)".
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../image/image.h"
#include "vmm.h"

#define SAMPLE_NS 1000000 /* the host's tick is the finest a CPU clock fires */
#define SLOTS 16384       /* distinct (RIP, caller) pairs kept */
#define FUNCS 1024        /* distinct (function, caller's function) pairs printed from */
#define SHOWN 30
#define LOWER_HALF 0x800000000000ull

struct slot {
	uint64_t rip, ret, n;
};

static struct slot *slots;
static uint64_t taken, lost;
static volatile sig_atomic_t due;
static int sampling;

static void on_prof(int sig)
{
	(void)sig;
	due = 1;
}

int vmm_sample_start(struct vmm *vm)
{
	struct sigaction sa = { .sa_handler = on_prof };
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGPROF };
	struct itimerspec it = { { 0, SAMPLE_NS }, { 0, SAMPLE_NS } };
	clockid_t clock;
	timer_t t;

	if (!vm->opts->sample)
		return 0;
	ev._sigev_un._tid = gettid();
	if (!(slots = calloc(SLOTS, sizeof(*slots))) || sigaction(SIGPROF, &sa, NULL) ||
	    pthread_getcpuclockid(pthread_self(), &clock) || timer_create(clock, &ev, &t) ||
	    timer_settime(t, 0, &it, NULL)) {
		vmm_err("--sample: cannot set the vCPU's sampling timer up");
		return -1;
	}
	sampling = 1;
	return 0;
}

void vmm_sample_sigs(sigset_t *s)
{
	if (sampling)
		sigaddset(s, SIGPROF);
}

static void record(uint64_t rip, uint64_t ret)
{
	uint64_t h = (rip * 0x9e3779b97f4a7c15ull ^ ret) % SLOTS;

	for (unsigned i = 0; i < SLOTS; i++, h = (h + 1) % SLOTS) {
		struct slot *s = &slots[h];
		if (!s->n)
			*s = (struct slot){ rip, ret, 0 };
		if (s->rip == rip && s->ret == ret) {
			s->n++;
			return;
		}
	}
	lost++;
}

void vmm_sample_take(struct vmm *vm)
{
	struct kvm_regs r;
	const uint64_t *f;

	if (!due)
		return;
	due = 0;
	if (ioctl(vm->vcpu, KVM_GET_REGS, &r))
		return;
	f = vmm_guest_frame(vm, r.rbp);
	record(r.rip, f ? f[1] : 0);
	taken++;
}

struct func {
	char name[64], caller[64];
	uint64_t n;
};

/* name gets the function at addr ("(program)" in the lower half). */
static void name_of(const void *img, size_t size, uint64_t addr, char *name, size_t len)
{
	uint64_t off;

	if (addr < LOWER_HALF)
		snprintf(name, len, addr ? "(program)" : "?");
	else if (!img || uki_image_symbol(img, size, addr, name, len, &off))
		snprintf(name, len, "%#llx", (unsigned long long)addr);
}

static void add_func(struct func *fs, unsigned *nf, const char *name, const char *caller,
                     uint64_t n)
{
	unsigned i;

	for (i = 0; i < *nf; i++)
		if (!strcmp(fs[i].name, name) && !strcmp(fs[i].caller, caller))
			break;
	if (i == *nf) {
		if (*nf == FUNCS)
			return;
		snprintf(fs[i].name, sizeof(fs[i].name), "%s", name);
		snprintf(fs[i].caller, sizeof(fs[i].caller), "%s", caller);
		(*nf)++;
	}
	fs[i].n += n;
}

/* Functions alone (caller "") and each function with its callers. */
static unsigned summarize(const void *img, size_t size, struct func *fs)
{
	unsigned nf = 0;
	char name[64], caller[64];

	for (unsigned i = 0; i < SLOTS; i++) {
		if (!slots[i].n)
			continue;
		name_of(img, size, slots[i].rip, name, sizeof(name));
		name_of(img, size, slots[i].ret, caller, sizeof(caller));
		add_func(fs, &nf, name, "", slots[i].n);
		add_func(fs, &nf, name, caller, slots[i].n);
	}
	return nf;
}

/* The entry with the most samples among fs's: functions alone (name
 * NULL), or name's callers; unshown ones only. (No qsort: glibc's asks
 * sysinfo, which the seccomp filter refuses.) */
static struct func *most(struct func *fs, unsigned nf, const char *name)
{
	struct func *m = NULL;

	for (unsigned i = 0; i < nf; i++)
		if (fs[i].n && !!fs[i].caller[0] == !!name &&
		    (!name || !strcmp(fs[i].name, name)) && (!m || fs[i].n > m->n))
			m = &fs[i];
	return m;
}

void vmm_sample_print(struct vmm *vm)
{
	off_t size = vm->image_fd >= 0 ? lseek(vm->image_fd, 0, SEEK_END) : -1;
	void *img = size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, vm->image_fd, 0) : NULL;
	struct func *fs = calloc(FUNCS, sizeof(*fs));
	struct func *f, *c;
	struct timespec cpu;
	unsigned nf;

	if (!slots || !taken || !fs)
		goto out;
	if (img == MAP_FAILED)
		img = NULL;
	nf = summarize(img, size, fs);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu); /* (this is the vCPU's thread) */
	vmm_err("--sample: %llu samples over %.2f s of the vCPU's CPU time (%llu not kept)",
	        (unsigned long long)taken, cpu.tv_sec + cpu.tv_nsec / 1e9,
	        (unsigned long long)lost);
	for (int i = 0; i < SHOWN && (f = most(fs, nf, NULL)); i++) {
		c = most(fs, nf, f->name);
		vmm_err("  %5.1f %%  %-32s from %s (%.0f %%)", 100.0 * f->n / taken, f->name,
		        c ? c->caller : "?", c ? 100.0 * c->n / f->n : 0.0);
		f->n = 0; /* shown */
	}
out:
	free(fs);
	if (img)
		munmap(img, size);
}
