/* x86-64 helpers for the library OS: address maps, registers, port I/O. */
#ifndef UK_ARCH_H
#define UK_ARCH_H

#include <stdint.h>

#define UK_KBASE 0xffffffff80000000ul /* kernel image: phys 0..2 GiB */
/* All of phys 0..4 GiB, at PML4 slot 273 (where Linux keeps its direct map):
 * the paravirtual KVM host owns slot 256 (pvm.md rule 6). */
#define UK_PHYSMAP 0xffff888000000000ul
#define UK_PHYSMAP_SIZE (4ul << 30)
#define UK_PAGE_SIZE 4096ul

/* Segment selectors of the GDT in boot.S. */
#define UK_SEL_KCODE 0x10
#define UK_SEL_KDATA 0x18
#define UK_SEL_UCODE32 0x23
#define UK_SEL_UDATA 0x2b
#define UK_SEL_UCODE 0x33
#define UK_SEL_TSS 0x38

/* The frame every trap stub builds (entry.S), lowest address first. */
struct uk_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

static inline void *uk_p2v(uint64_t pa) { return (void *)(UK_PHYSMAP + pa); }

uint64_t uk_virt_to_phys(uintptr_t va);

/* Whether va lies in one of the linear maps (image, physmap), where
 * physical memory is contiguous. */
static inline int uk_linear(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= UK_KBASE || (v >= UK_PHYSMAP && v < UK_PHYSMAP + UK_PHYSMAP_SIZE);
}

/* Guest-physical address of a mapped pointer. Device DMA and hypercalls go
 * through this; outside the linear maps (stacks, a program's pages)
 * physical memory is contiguous only within a page: see uk_phys_run(). */
static inline uint64_t uk_v2p(const void *va)
{
	uint64_t v = (uint64_t)va;
	if (v >= UK_KBASE)
		return v - UK_KBASE;
	if (v >= UK_PHYSMAP && v < UK_PHYSMAP + UK_PHYSMAP_SIZE)
		return v - UK_PHYSMAP;
	return uk_virt_to_phys(v);
}

/* How many of the len bytes at va are physically contiguous. */
static inline uint64_t uk_phys_run(const void *va, uint64_t len)
{
	uint64_t to_page_end = UK_PAGE_SIZE - ((uint64_t)va & (UK_PAGE_SIZE - 1));
	return uk_linear(va) || len <= to_page_end ? len : to_page_end;
}

static inline void uk_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void uk_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t uk_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t uk_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint64_t uk_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}
static inline uint64_t uk_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}
static inline void uk_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
	                 : "memory");
}
static inline void uk_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}
static inline void uk_pause(void) { __asm__ volatile("pause" ::: "memory"); }
#define uk_barrier() __asm__ volatile("" ::: "memory")

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_APIC_BASE 0x1bu
#define MSR_TSC_DEADLINE 0x6e0u

/* ---- entry points in assembly, for C ---- */

struct uk_thread;
/* switch.S: save the running context's rsp in *save_rsp, continue at
 * new_rsp; a new thread's first switch lands in uk_arch_thread_start. */
void uk_arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
void uk_arch_thread_start(void);
/* signal_x86_64.S: enter a program frame (never returns); the library OS's
 * own handlers' trampoline and stack switch; a Linux handler's return. */
__attribute__((noreturn)) void uk_arch_frame_enter(struct uk_regs *r);
void uk_sig_trampoline(void);
void uk_call_on_stack(uint64_t fn, int sig, void *info, void *uc, uint64_t top);
void uk_linux_trampoline(void);
/* syscall_entry.S: the `syscall` instruction's entry, and the one a
 * rewritten site jumps to. */
void uk_syscall_entry(void);
void uk_syscall_entry_jmp(void);
/* exception.c: every trap stub of entry.S ends here. */
void uk_exception(struct uk_regs *r);

#endif
