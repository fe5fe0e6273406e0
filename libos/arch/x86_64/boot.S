/*
 * PVH entry and the boot-time tables.
 *
 * A PVH loader (ukrun, QEMU) enters _start32 in 32-bit protected mode with
 * paging off and %ebx = GPA of struct hvm_start_info. On the paravirtual KVM
 * host everything before long mode is instruction-emulated (~1 us per
 * instruction), so this path is a handful of instructions: the GDT is
 * prebuilt; the page tables are .bss (zero as loaded, 16 KiB the image file
 * does not carry) and get only the entries that reach long mode and the
 * image: four stores and one 2 MiB page per 2 MiB of image. The physmap
 * has tables of its own, which uk_cpu_init() fills before linking them in:
 * there every store into a table the host already shadows (one in use) is
 * trapped and emulated (~30 us), while stores into tables not yet linked
 * are plain writes (a 512-entry fill of the in-use table took 10-17 ms of
 * a 30 ms boot).
 *
 * Virtual layout (see libos/include/uk/arch.h):
 *   0                   identity map of 0..4 GiB, for the switch to long mode
 *                       only; uk_cpu_init() removes it (NULL faults again)
 *   0xffff888000000000  physmap (PML4 slot 273): 0..4 GiB, the last GiB
 *                       uncached (MMIO); made by uk_cpu_init().
 *                       Not slot 256 (0xffff800000000000): the paravirtual
 *                       KVM host keeps it for itself and every access there
 *                       faults however the tables read (pvm.md rule 6).
 *   0xffffffff80000000  the kernel image: 0..2 GiB (-mcmodel=kernel)
 * Every entry at every level has U/S=1 (pvm.md: a supervisor-only entry
 * makes the paravirtual host refault forever); SMEP/SMAP stay off.
 */
#define KBASE 0xffffffff80000000
#define PA(x) ((x) - KBASE)
#define PTE_TABLE 0x7  /* present, writable, user */
#define PDE_2M 0x87    /* present, writable, user, 2 MiB */
#define PDE_2M_UC 0x9f /* + write-through, cache-disable */

	.section .note.uk.pvh, "a", @note
	.p2align 2
	.long 4                 /* namesz */
	.long 8                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad PA(_start32)
	.p2align 2

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	mov %ebx, %esi                  /* hvm_start_info, kept for uk_boot */
	movl $PA(pdpt_low) + PTE_TABLE, PA(uk_pml4)             /* [0] identity */
	movl $PA(pdpt_high) + PTE_TABLE, PA(uk_pml4) + 511 * 8  /* [511] kernel */
	movl $PA(pd) + PTE_TABLE, PA(pdpt_low)
	movl $PA(pd) + PTE_TABLE, PA(pdpt_high) + 510 * 8
	mov $PA(pd), %edi               /* 2 MiB pages up to the image's end */
	mov $PDE_2M, %eax
1:	mov %eax, (%edi)
	add $8, %edi
	add $0x200000, %eax
	cmp $__uk_boot_map_end, %eax     /* physical, from uk.ld */
	jb 1b
	mov $0x620, %eax                /* CR4: PAE | OSFXSR | OSXMMEXCPT */
	mov %eax, %cr4
	mov $PA(uk_pml4), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx           /* EFER: SCE | LME | NXE */
	rdmsr
	or $0x901, %eax
	wrmsr
	mov $0x80050033, %eax           /* CR0: PG | AM | WP | NE | ET | MP | PE */
	mov %eax, %cr0
	lgdt PA(gdt_desc32)
	ljmp $0x10, $PA(start64_low)

	.code64
start64_low:
	movabs $start64, %rax           /* leave the identity map */
	jmp *%rax

	.text
start64:
	/* The physmap is uk_cpu_init()'s to build, in tables of its own. */
	mov $0x18, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	lea uk_boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	mov %esi, %edi                  /* zero-extends: GPA of start_info */
	call uk_boot
1:	hlt
	jmp 1b

	.section .data.boot, "aw"
	.p2align 4
	.globl uk_gdt
uk_gdt:
	.quad 0                         /* 0x00 null */
	.quad 0                         /* 0x08 unused */
	.quad 0x00af9a000000ffff        /* 0x10 kernel code, 64-bit */
	.quad 0x00cf92000000ffff        /* 0x18 kernel data */
	.quad 0x00cffa000000ffff        /* 0x20 user code, 32-bit */
	.quad 0x00cff2000000ffff        /* 0x28 user data */
	.quad 0x00affa000000ffff        /* 0x30 user code, 64-bit */
	.quad 0, 0                      /* 0x38 TSS, filled by uk_cpu_init */
	.globl uk_gdt_end
uk_gdt_end:

gdt_desc32:
	.word uk_gdt_end - uk_gdt - 1
	.long PA(uk_gdt)

	.section .bss.pgt, "aw", @nobits
	.p2align 12
	.globl uk_pml4
uk_pml4:
	.space 4096
pdpt_low:
	.space 4096
pdpt_high:
	.space 4096
pd:
	.space 4096
/* The physmap's tables, filled by uk_cpu_init() before it links them. */
	.globl uk_physmap_pdpt, uk_physmap_pd
uk_physmap_pdpt:
	.space 4096
uk_physmap_pd:
	.space 4 * 4096

	.section .bss.boot, "aw", @nobits
	.p2align 4
	.space 16384
	.globl uk_boot_stack_top
uk_boot_stack_top:
