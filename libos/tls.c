/*
 * Thread control blocks. %fs points at one, as the x86-64 TLS ABI wants:
 * fs:0 is its own address and fs:0x28 the stack-protector canary, which
 * code built with -fstack-protector (Debian's libfdt.a among it) reads.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/print.h>

struct uk_tcb {
	struct uk_tcb *self;
	uint64_t pad[4];
	uint64_t canary; /* 0x28 */
};

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
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	have_fsgsbase = (cr4 >> 16) & 1;
	boot_tcb.self = &boot_tcb;
	boot_tcb.canary = uk_rdtsc() * 0x9e3779b97f4a7c15ull;
	uk_set_fs((uint64_t)&boot_tcb);
}

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	uk_panic("stack smashing detected");
}
