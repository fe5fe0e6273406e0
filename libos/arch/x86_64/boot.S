/*
 * PVH entry and the boot-time tables.
 *
 * A PVH loader (QEMU) enters _start32 in 32-bit protected mode with paging
 * off and %ebx = GPA of struct hvm_start_info; ukrun enters _start64 in
 * long mode instead (uk's long-mode entry note, virtio/include/uk/abi.h),
 * on the same tables with the same %ebx. On the paravirtual KVM host
 * everything before long mode is instruction-emulated (~6 us an
 * instruction at load 12, ~160 us for this path), so the 32-bit path is a
 * handful of instructions and ukrun skips it: the GDT and the boot page
 * tables are prebuilt in the image's data (12 KiB of it; they were .bss
 * filled here, a loop of emulated stores). The physmap has tables of its
 * own, which uk_cpu_init() fills before linking them in: there every store
 * into a table the host already shadows (one in use) is trapped and
 * emulated (~30 us), while stores into tables not yet linked are plain
 * writes (a 512-entry fill of the in-use table took 10-17 ms of a 30 ms
 * boot).
 *
 * Virtual layout (see libos/include/uk/arch.h):
 *   0                   identity map of 0..1 GiB, for the switch to long mode
 *                       only; uk_cpu_init() removes it (NULL faults again)
 *   0xffff888000000000  physmap (PML4 slot 273): 0..4 GiB, the last GiB
 *                       uncached (MMIO); its tables filled by uk_cpu_init().
 *                       Not slot 256 (0xffff800000000000): the paravirtual
 *                       KVM host keeps it for itself and every access there
 *                       faults however the tables read (pvm.md rule 6).
 *   0xffffffff80000000  the kernel image: 0..1 GiB mapped (-mcmodel=kernel)
 * Every entry at every level has U/S=1 (pvm.md: a supervisor-only entry
 * makes the paravirtual host refault forever); SMEP/SMAP stay off.
 */
#define KBASE 0xffffffff80000000
#define PA(x) ((x) - KBASE)
#define PTE_TABLE 0x27 /* present, writable, user, accessed */
#define PDE_2M 0xe7    /* present, writable, user, accessed, dirty, 2 MiB */
#define PDE_2M_UC 0xff /* + write-through, cache-disable */

	.section .note.uk.pvh, "a", @note
	.p2align 2
	.long 4                 /* namesz */
	.long 8                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad PA(_start32)
	.p2align 2
	.long 3                 /* namesz */
	.long 32                /* descsz: struct uk_long_entry */
	.long 0x756b0001        /* UK_NOTE_LONG */
	.asciz "uk"
	.p2align 2
	.quad PA(_start64)
	.quad PA(uk_pml4)
	.quad PA(uk_gdt)
	.long uk_gdt_end - uk_gdt - 1
	.long 0
	.p2align 2

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	mov %ebx, %esi                  /* hvm_start_info, kept for uk_boot */
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
	.globl _start64
_start64:                               /* ukrun: long mode already (abi.h) */
	mov %ebx, %esi
	movabs $start64_segs, %rax      /* leave the identity map; DS, ES, SS */
	jmp *%rax                       /* are loaded already (abi.h) */
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
	/* Each segment load is an emulated instruction on the paravirtual
	 * host (~20 us): the long-mode entry skips these three. */
start64_segs:
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

/* The boot page tables, prebuilt: 2 MiB pages over the first GiB, seen
 * both at 0 (the identity map, for the switch) and at KBASE. One PDPT
 * serves both roots' entries ([0] for the identity map, [510] for KBASE),
 * so the first GiB also shows at 0x0000007f80000000 until uk_cpu_init()
 * drops the identity map, and at 0xffffff8000000000 for good: nothing is
 * placed there, and the physmap maps the same memory anyway (4 KiB of
 * every image saved). */
	.section .data.pgt, "aw"
	.p2align 12
	.globl uk_pml4
uk_pml4:
	.quad PA(pdpt) + PTE_TABLE              /* [0] identity */
	.fill 272, 8, 0
	/* [273] the physmap (UK_PHYSMAP), its tables zero until
	 * uk_cpu_init() fills them: nothing walks them before, so the host
	 * shadows none of them and the fill is plain stores (a store into
	 * this root, which is in use, would be trapped) */
	.quad PA(uk_physmap_pdpt) + PTE_TABLE
	.fill 110, 8, 0
	/* [384] threads' stacks (paging.c's STACK_BASE), its table zero:
	 * linked when the first stack was made, that was a store into this
	 * root in use, trapped and emulated on the paravirtual host */
	.quad PA(uk_stack_pdpt) + PTE_TABLE
	.fill 126, 8, 0
	.quad PA(pdpt) + PTE_TABLE              /* [511] kernel */
pdpt:
	.quad PA(pd) + PTE_TABLE                /* [0]: 0 and 0xffffff8000000000 */
	.fill 509, 8, 0
	.quad PA(pd) + PTE_TABLE                /* [510]: KBASE */
	.quad 0
pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + PDE_2M
	.set i, i + 1
	.endr

	.section .bss.pgt, "aw", @nobits
	.p2align 12
/* The physmap's tables, filled by uk_cpu_init() before it links them. */
	.globl uk_physmap_pdpt, uk_physmap_pd
uk_physmap_pdpt:
	.space 4096
uk_physmap_pd:
	.space 4 * 4096
uk_stack_pdpt:
	.space 4096

	.section .bss.boot, "aw", @nobits
	.p2align 4
	.space 16384
	.globl uk_boot_stack_top
uk_boot_stack_top:
