/*
 * Binary compatibility: unmodified Linux x86-64 programs from the image's
 * root filesystem ("binary" mode, `ukbuild oci`).
 *
 *   elf.c           ELF checks and load layout: pure code over buffers
 *                   (host unit tests, tests/unit/test_elf.c)
 *   binary_stack.c  the initial stack: argv, envp, auxv (pure code too)
 *   binary.c        loading from the VFS into the lower half, the start
 *   binary_sys.c    the system-call path (arch/x86_64/syscall_entry.S),
 *                   execve
 *   vdso*           the vDSO: time calls without a trap
 *
 * The program runs at CPL0 in the library OS's address space, in the lower
 * half (uk/vm.h): a static program at its link address (0x400000), a PIE
 * or static-pie at 0x555555554000 as Linux places it without ASLR, its
 * PT_INTERP (ld.so, from the image) wherever mmap puts it.
 */
#ifndef UK_BINARY_H
#define UK_BINARY_H

#include <stddef.h>
#include <stdint.h>

/* ---- ELF (elf.c) ---- */

#define UK_ELF_MAX_LOADS 16
#define UK_ELF_PIE_BASE 0x555555554000ul /* Linux's ELF_ET_DYN_BASE, no ASLR */
#define UK_ELF_MAX_PHNUM 256
#define UK_ELF_MAX_INTERP 4096

struct uk_elf_load {
	uint64_t vaddr, memsz; /* where, before the load bias */
	uint64_t off, filesz;  /* what of the file fills it; the rest is zero */
	unsigned prot;         /* PROT_READ | PROT_WRITE | PROT_EXEC */
};

struct uk_elf {
	int dyn;        /* ET_DYN (PIE, static-pie, ld.so) */
	uint64_t entry; /* before the bias */
	uint64_t phoff; /* program headers in the file */
	unsigned phnum;
	uint64_t phdr;   /* their address in memory before the bias, 0: not loaded */
	uint64_t lo, hi; /* page-aligned span of the loads */
	unsigned nload;
	struct uk_elf_load load[UK_ELF_MAX_LOADS];
	uint64_t interp_off; /* PT_INTERP: the interpreter's path in the file */
	uint64_t interp_len; /* with its NUL; 0: none */
	int exec_stack;      /* PT_GNU_STACK asks for PROT_EXEC */
};

/* Check the 64-byte ELF header of a file; fill e's header fields. Returns
 * 0, or -ENOEXEC with *why saying what is wrong. */
int uk_elf_check_header(const void *ehdr, size_t len, struct uk_elf *e, const char **why);

/* Check the program headers (e->phnum of them, from e->phoff) and fill
 * the loads, span, interpreter and stack fields. filesz: the file's size,
 * every load must lie inside it. 0 or -ENOEXEC with *why. */
int uk_elf_check_phdrs(const void *phdrs, size_t len, uint64_t filesz, struct uk_elf *e,
                       const char **why);

/* ---- the initial stack (binary_stack.c) ---- */

struct uk_stack_in {
	int argc;
	char *const *argv;
	int envc;
	char *const *envp;
	const char *execfn;      /* AT_EXECFN */
	const uint8_t *random16; /* AT_RANDOM's 16 bytes */
	const uint64_t *auxv;    /* type, value pairs; AT_NULL ends them; AT_RANDOM,
	                          * AT_EXECFN and AT_PLATFORM are added here */
};

/* Lay out Linux's initial process stack in buf, which is the memory at
 * virtual addresses [top - size, top): strings at the top, then auxv,
 * envp, argv and argc, with the result 16-byte aligned as the ABI wants.
 * Returns the stack pointer (the address of argc), or 0 when it does not
 * fit. Every pointer written is a virtual address. */
uint64_t uk_stack_build(void *buf, size_t size, uint64_t top, const struct uk_stack_in *in);

/* ---- the program (binary.c) ---- */

/* main() of a binary-mode image (ukbuild oci links main to it): load
 * argv[0] from the root filesystem (found through envp's PATH when it has
 * no '/') and run it. Returns only when that fails: 127 not found, 126
 * not runnable (after a message). */
int uk_binary_main(int argc, char **argv, char **envp);

/* Take `ukrun exec`'s requests, when ukrun offers them (exec_host.c):
 * once process 1 is a Linux program about to start (link mode's program
 * cannot exec another). */
void uk_exec_host_start(void);

/* Whether a Linux program is running (binary mode). */
extern int uk_binary_active;

/* Replace the running program, as execve(2) does: 0 never (the new
 * program runs), or -errno with the old program intact when the new one
 * cannot even be opened and checked. */
long uk_binary_exec(const char *path, char *const *argv, char *const *envp);
/* The same for a process started from the library OS (`ukrun exec`): name
 * found through envp's PATH when it has no '/', as execvp does, and
 * committed(arg) called once the program will run (nothing fails after
 * it). -ENOEXEC in link mode (no Linux program runs). */
long uk_binary_exec_as(const char *name, char *const *argv, char *const *envp,
                       void (*committed)(void *), void *arg);

/* The vDSO mapped into the program's half (vdso.c); its base. */
uint64_t uk_vdso_map(void);

/* ---- system calls (binary_sys.c) ---- */

/* The program's break back at its start (execve). */
void uk_binary_brk_reset(void);

/* Point MSR_LSTAR at the entry stub; once, before the first program. */
void uk_binary_syscall_init(void);

/* ---- the program's pointers (binary_uaccess.c) ---- */

/* Build the table of checked calls; once, before the first program. */
void uk_binary_uaccess_init(void);
/* Nonzero for a call nr whose pointers are checked. */
extern unsigned char uk_binary_uaccess_rows[];
/* What a call's structures were copied to: an iovec array, a msghdr and
 * clone3's arguments are read once from the program, checked, and the
 * call given the copy (the program's could change while the call
 * sleeps, as Linux's import_iovec and copy_msghdr_from_user guard
 * against). Lives on the caller's stack for the whole call. */
#define UK_UCOPY_FASTIOV 8 /* iovecs without an allocation (Linux's UIO_FASTIOV) */
struct uk_ucopy {
	uint64_t spare[2]; /* a read-only timeout's copy */
	long ret;          /* nonzero: the call's answer, without running it */
	void *heap;        /* a longer iovec array's copy, freed after the call */
	uint64_t back;     /* recvmsg: the program's msghdr, given the copy's lengths after */
	uint64_t hdr[7];   /* a msghdr */
	uint64_t fast[2 * UK_UCOPY_FASTIOV]; /* iovecs, or clone3's arguments */
};
/* Check call nr's pointer arguments a[0..5] against the process's
 * areas: 0 when they are its memory (a data buffer's length in a[] may
 * be cut to the part that is, a read-only timeout or a structure
 * replaced by its copy in *c, c->ret set when the call's answer is known
 * without it), else the argument (1-6) that is not, or -1 for a pointer
 * inside a structure. c->ret, c->heap and c->back must be zero before. */
int uk_binary_uaccess(long nr, long *a, struct uk_ucopy *c);
/* After a call given copies (c->heap or c->back set): recvmsg's lengths
 * and flags written back, the copies freed; the call's result. */
long uk_binary_uaccess_done(struct uk_ucopy *c, long ret);
/* sendmmsg and recvmmsg of a Linux program: each message's header copied
 * and checked before it is sent or received. */
long uk_binary_mmsg(long nr, const long *a);

/* ---- system-call sites (binary_rewrite.c) ---- */

/* Rewrite the common system-call sites of a Linux program's code just
 * mapped executable at [start, end) into jumps to the library OS, and
 * its cpuid sites of one shape into jumps to their answers (nothing under
 * ukrun --no-syscall-rewrite). */
void uk_binary_rewrite(uintptr_t start, uintptr_t end);

/* Sites rewritten so far, and system calls that came through a rewritten
 * site or trapped through `syscall` (syscall_entry.S); cpuid sites
 * rewritten. */
extern uint64_t uk_rewritten_sites, uk_syscalls_jumped, uk_syscalls_trapped;
extern uint64_t uk_rewritten_cpuid;

#endif
