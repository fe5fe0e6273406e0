/*
 * Thread control blocks and the program's static TLS. %fs points at a TCB,
 * as the x86-64 TLS ABI (variant II) wants: fs:0 is its own address,
 * fs:0x28 the stack-protector canary, which code built with
 * -fstack-protector (Debian's libfdt.a among it) reads, and the program's
 * PT_TLS block lies right below it. The linker computed every __thread
 * variable's offset from %fs as (its offset in the segment) - (segment
 * size rounded up to the segment's alignment), so that is where the block
 * goes (uk.ld gives the alignment as __uk_tls_align).
 *
 * The boot TCB serves the library OS until the program starts; the C
 * library's thread code (libos/newlib/pthread.c) gives every application
 * thread, the main one included, a TLS block and TCB of its own.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/thread.h>

struct uk_tcb {
	struct uk_tcb *self;
	uint64_t pad[4];
	uint64_t canary; /* 0x28 */
};

extern char __uk_tdata_start[], __uk_tdata_end[], __uk_tbss_end[], __uk_tls_align[];

static struct uk_tcb boot_tcb;
static int have_fsgsbase;

void uk_set_fs(uint64_t base)
{
	if (have_fsgsbase)
		__asm__ volatile("wrfsbase %0" : : "r"(base) : "memory");
	else
		uk_wrmsr(MSR_FS_BASE, base);
}

uint64_t uk_get_fs(void)
{
	uint64_t base;

	if (!have_fsgsbase)
		return uk_rdmsr(MSR_FS_BASE);
	__asm__ volatile("rdfsbase %0" : "=r"(base));
	return base;
}

void uk_tls_boot(void)
{
	have_fsgsbase = (uk_cr4 >> 16) & 1; /* after uk_cpu_init */
	boot_tcb.self = &boot_tcb;
	boot_tcb.canary = uk_rdtsc() * 0x9e3779b97f4a7c15ull;
	uk_set_fs((uint64_t)&boot_tcb);
}

size_t uk_tls_align(void)
{
	size_t a = (size_t)__uk_tls_align;

	return a < 16 ? 16 : a;
}

size_t uk_tls_size(void)
{
	size_t n = __uk_tbss_end - __uk_tdata_start, a = uk_tls_align();

	return (n + a - 1) & ~(a - 1);
}

void uk_tls_init(void *tp)
{
	size_t size = uk_tls_size(), data = __uk_tdata_end - __uk_tdata_start;
	char *block = (char *)tp - size;

	uk_memcpy(block, __uk_tdata_start, data);
	uk_memset(block + data, 0, size - data);
}

uint64_t uk_tls_canary(void) { return boot_tcb.canary; }

/* The library OS's own threads keep the boot TCB: an application thread's
 * may be freed while they run (and libfdt reads its canary). */
uint64_t uk_tls_boot_tp(void) { return (uint64_t)&boot_tcb; }

/* The %fs base of t; the running thread's register changes at once, the
 * others' at their next switch. */
void uk_tls_set_thread(struct uk_thread *t, uint64_t tp)
{
	int on = uk_irq_save();

	t->fs_base = tp;
	if (t == uk_current)
		uk_set_fs(tp);
	uk_irq_restore(on);
}

void uk_tls_set(uint64_t tp) { uk_tls_set_thread(uk_current, tp); }

__attribute__((noreturn)) void __stack_chk_fail(void) { uk_panic("stack smashing detected"); }
