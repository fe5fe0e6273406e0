/*
 * The vDSO a Linux program gets (AT_SYSINFO_EHDR): a tiny ELF shared
 * object, written out here field by field so that it needs no build step
 * of its own. C libraries look up __vdso_clock_gettime, __vdso_gettimeofday,
 * __vdso_time and __vdso_getcpu (version LINUX_2.6) in it through its
 * dynamic section, hash table, symbol table and version definitions, the
 * way they read Linux's own vDSO.
 *
 * The program runs at CPL0 in the library OS's address space, so a vDSO
 * function need not be a copy of the kernel's clock code: it calls through
 * a slot that uk_vdso_map() (vdso.c) fills with the library OS function's
 * address. No trap, no exit: a call and the clock read.
 *
 * Layout (one read+execute PT_LOAD at address 0, position independent):
 * ELF header, program headers, .hash, .dynsym, .dynstr, .gnu.version,
 * .gnu.version_d, .dynamic, the slots, the code.
 */
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PF_X 1
#define PF_R 4
#define STB_GLOBAL 1
#define STT_FUNC 2
#define DT_NULL 0
#define DT_HASH 4
#define DT_STRTAB 5
#define DT_SYMTAB 6
#define DT_STRSZ 10
#define DT_SYMENT 11
#define DT_SONAME 14
#define DT_VERSYM 0x6ffffff0
#define DT_VERDEF 0x6ffffffc
#define DT_VERDEFNUM 0x6ffffffd
#define VER_FLG_BASE 1
/* ELF hashes (the System V ABI's function) of the two version names */
#define HASH_SONAME 0xdeebfa1  /* "linux-vdso.so.1" */
#define HASH_LINUX_2_6 0x3ae75f6 /* "LINUX_2.6" */
#define NSYMS 8 /* + the null symbol */

/* A symbol: name (offset in .dynstr), global function, in a section
 * (any index but SHN_UNDEF), value and size relative to the image. */
#define SYM(name, fn) .long name - strtab; .byte (STB_GLOBAL << 4) | STT_FUNC; .byte 0; \
	.short 1; .quad fn - img; .quad 8

	.section .rodata
	.p2align 12
	.globl uk_vdso_image
img:
uk_vdso_image:
	/* ELF header */
	.byte 0x7f, 'E', 'L', 'F', 2, 1, 1, 0
	.quad 0
	.short ET_DYN, EM_X86_64
	.long 1
	.quad 0                         /* e_entry */
	.quad phdrs - img               /* e_phoff */
	.quad 0                         /* e_shoff: no section headers */
	.long 0                         /* e_flags */
	.short 64, 56, 2                /* e_ehsize, e_phentsize, e_phnum */
	.short 64, 0, 0                 /* e_shentsize, e_shnum, e_shstrndx */
phdrs:
	.long PT_LOAD, PF_R | PF_X
	.quad 0, 0, 0                   /* offset, vaddr, paddr */
	.quad end - img, end - img      /* filesz, memsz */
	.quad 4096
	.long PT_DYNAMIC, PF_R
	.quad dynamic - img, dynamic - img, dynamic - img
	.quad dynamic_end - dynamic, dynamic_end - dynamic
	.quad 8

	.p2align 3
hash:   /* one bucket: every lookup walks the chain 1, 2, ... NSYMS */
	.long 1, NSYMS + 1              /* nbucket, nchain */
	.long 1                         /* bucket[0] */
	.long 0                         /* chain[0] */
	.set i, 1
	.rept NSYMS - 1
	.long i + 1
	.set i, i + 1
	.endr
	.long 0                         /* chain[NSYMS] */

	.p2align 3
symtab:
	.quad 0, 0, 0                   /* the null symbol */
	SYM(s_cg, f_clock_gettime)
	SYM(s_gtod, f_gettimeofday)
	SYM(s_time, f_time)
	SYM(s_getcpu, f_getcpu)
	SYM(s_cg + 7, f_clock_gettime)  /* the same names without "__vdso_" */
	SYM(s_gtod + 7, f_gettimeofday)
	SYM(s_time + 7, f_time)
	SYM(s_getcpu + 7, f_getcpu)

strtab:
	.byte 0
s_soname:
	.asciz "linux-vdso.so.1"
s_version:
	.asciz "LINUX_2.6"
s_cg:
	.asciz "__vdso_clock_gettime"
s_gtod:
	.asciz "__vdso_gettimeofday"
s_time:
	.asciz "__vdso_time"
s_getcpu:
	.asciz "__vdso_getcpu"
strtab_end:

	.p2align 1
versym: /* every symbol has version 2, LINUX_2.6 */
	.short 0
	.rept NSYMS
	.short 2
	.endr

	.p2align 2
verdef:
	.short 1, VER_FLG_BASE, 1, 1    /* version, flags, index, aux count */
	.long HASH_SONAME, 20, 28       /* hash, aux offset, next offset */
	.long s_soname - strtab, 0      /* aux: name, next */
	.short 1, 0, 2, 1
	.long HASH_LINUX_2_6, 20, 0
	.long s_version - strtab, 0

	.p2align 3
dynamic:
	.quad DT_HASH, hash - img
	.quad DT_STRTAB, strtab - img
	.quad DT_SYMTAB, symtab - img
	.quad DT_STRSZ, strtab_end - strtab
	.quad DT_SYMENT, 24
	.quad DT_SONAME, s_soname - strtab
	.quad DT_VERSYM, versym - img
	.quad DT_VERDEF, verdef - img
	.quad DT_VERDEFNUM, 2
	.quad DT_NULL, 0
dynamic_end:

	/* Filled in by uk_vdso_map() in the program's copy. */
	.p2align 3
	.globl uk_vdso_slots
uk_vdso_slots:
slot_clock_gettime:
	.quad 0
slot_gettimeofday:
	.quad 0
slot_time:
	.quad 0
slot_getcpu:
	.quad 0
slot_attention:                         /* &uk_attention */
	.quad 0

/* Each function calls the library OS's and returns, unless a signal or
 * the end of a time slice is waiting: then it makes one cheap system call,
 * whose way out delivers it, as Linux's return to user mode would (an
 * interrupt that found the program in library OS code could not). */
#define VCALL(slot)                      \
	sub $8, %rsp;                    \
	call *slot(%rip);                \
	add $8, %rsp;                    \
	mov slot_attention(%rip), %rcx;  \
	cmpl $0, (%rcx);                 \
	jne attention;                   \
	ret

	.p2align 4
f_clock_gettime:
	VCALL(slot_clock_gettime)
	.p2align 4
f_gettimeofday:
	VCALL(slot_gettimeofday)
	.p2align 4
f_time:
	VCALL(slot_time)
	.p2align 4
f_getcpu:
	VCALL(slot_getcpu)
attention:
	push %rax
	mov $39, %eax                   /* getpid */
	syscall
	pop %rax
	ret
	.p2align 3
end:
	.globl uk_vdso_image_end
uk_vdso_image_end:

	.section .note.GNU-stack, "", @progbits
