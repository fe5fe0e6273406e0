/*
 * uk guest <-> VMM ABI.
 *
 * The one header both sides of the VM boundary include (libos/ and vmm/).
 * C99, self-contained, no host or guest headers beyond <stdint.h>.
 * Every field says who writes it: [guest] or [host].
 *
 * Boot protocol: Xen PVH. The image is an ELF64 with an
 * XEN_ELFNOTE_PHYS32_ENTRY note; the loader enters it in 32-bit protected
 * mode with %ebx = GPA of struct hvm_start_info (below). ukrun passes a
 * flattened device tree (the "runtime tree") as PVH module 0; QEMU passes
 * none, which is how the guest tells the two apart.
 *
 * Calls from the guest to ukrun are port writes ("hypercalls"): one exit to
 * ukrun each, so they are kept rare (console output is one exit per write
 * call, never per byte). Devices are virtio-mmio, listed in the runtime tree.
 *
 * A loader that can set the CPU up itself (ukrun) may instead enter the
 * image in long mode, at the entry its UK_NOTE_LONG note names: that skips
 * the 32-bit code, every instruction of which the paravirtual KVM host
 * emulates (pvm.md).
 */
#ifndef UK_ABI_H
#define UK_ABI_H

#include <stdint.h>

/* Bumped on any incompatible change; the runtime tree carries the host's. */
#define UK_ABI_VERSION 1

/* ---- PVH boot information (Xen's public ABI, arch-x86/hvm/start_info.h) ---- */

#define UK_PVH_NOTE_TYPE 18 /* XEN_ELFNOTE_PHYS32_ENTRY, note name "Xen" */
#define UK_PVH_MAGIC 0x336ec578u

/* uk's long-mode entry: a note named "uk" of this type whose description
 * is struct uk_long_entry. The loader enters at `entry` with
 *   CR0 = UK_LONG_CR0, CR4 = UK_LONG_CR4, EFER = UK_LONG_EFER,
 *   CR3 = `pml4` (the image's boot page tables, prebuilt in its data: the
 *         identity map of 0..1 GiB this entry runs on, and the kernel's),
 *   GDTR = `gdt`, `gdt_limit`; CS = UK_LONG_CS (64-bit code), DS, ES, SS
 *   = UK_LONG_DS; RFLAGS = 2 (interrupts off); %rbx = GPA of the
 *   hvm_start_info, as at the PVH entry.
 * Every address is guest physical and lies in one of the image's loaded
 * segments (ukrun checks that, and that pml4 is page-aligned). */
#define UK_NOTE_LONG 0x756b0001u
#define UK_LONG_CR0 0x80050033ull /* PG | AM | WP | NE | ET | MP | PE */
#define UK_LONG_CR4 0x620ull      /* PAE | OSFXSR | OSXMMEXCPT */
#define UK_LONG_EFER 0xd01ull     /* NXE | LMA | LME | SCE */
#define UK_LONG_CS 0x10
#define UK_LONG_DS 0x18

struct uk_long_entry {
	uint64_t entry;     /* [guest] the 64-bit entry */
	uint64_t pml4;      /* [guest] the boot page tables' root */
	uint64_t gdt;       /* [guest] the boot GDT */
	uint32_t gdt_limit; /* [guest] its size - 1 */
	uint32_t reserved;
};

struct hvm_start_info {
	uint32_t magic;          /* [host] UK_PVH_MAGIC */
	uint32_t version;        /* [host] 1: memmap fields valid */
	uint32_t flags;          /* [host] unused */
	uint32_t nr_modules;     /* [host] entries at modlist_paddr */
	uint64_t modlist_paddr;  /* [host] struct hvm_modlist_entry[] */
	uint64_t cmdline_paddr;  /* [host] NUL-terminated command line or 0 */
	uint64_t rsdp_paddr;     /* [host] ACPI RSDP or 0 */
	uint64_t memmap_paddr;   /* [host] struct hvm_memmap_table_entry[] */
	uint32_t memmap_entries; /* [host] */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;         /* [host] GPA of the module */
	uint64_t size;          /* [host] bytes */
	uint64_t cmdline_paddr; /* [host] 0 */
	uint64_t reserved;
};

#define UK_E820_RAM 1
#define UK_E820_RESERVED 2

struct hvm_memmap_table_entry {
	uint64_t addr; /* [host] */
	uint64_t size; /* [host] */
	uint32_t type; /* [host] UK_E820_* */
	uint32_t reserved;
};

/* ---- Guest physical layout chosen by ukrun ----
 * Everything below UK_GPA_IMAGE_MIN is ukrun's boot data and is marked
 * reserved in the memory map; the image is loaded at its p_paddr, which must
 * lie at or above UK_GPA_IMAGE_MIN and inside RAM. */
#define UK_GPA_START_INFO 0x1000ull /* hvm_start_info, modlist, memmap */
#define UK_GPA_VIF 0x2000ull        /* one 4 KiB VIF page per vCPU */
#define UK_GPA_CMDLINE 0xa000ull    /* up to UK_CMDLINE_MAX bytes */
#define UK_CMDLINE_MAX 0x1000u
#define UK_GPA_DTB 0x10000ull /* runtime tree, up to UK_DTB_MAX */
#define UK_DTB_MAX 0x70000u
#define UK_GPA_IMAGE_MIN 0x100000ull
#define UK_GPA_MMIO_BASE 0xd0000000ull /* virtio-mmio windows, 4 KiB each */
#define UK_RAM_MAX 0xc0000000ull       /* RAM ends below the 3 GiB hole */

/* ---- Hypercalls: `outl %eax, $port` ---- */

#define UK_HC_BASE 0x4c0
enum uk_hc {
	/* eax = GPA (< 4 GiB) of struct uk_hc_write. */
	UK_HC_WRITE = UK_HC_BASE + 0,
	/* eax = GPA of struct uk_hc_read. Blocks the vCPU until input. */
	UK_HC_READ = UK_HC_BASE + 1,
	/* eax = exit status (0..255): the application ended. */
	UK_HC_EXIT = UK_HC_BASE + 2,
	/* eax = GPA of struct uk_hc_crash: the guest crashed; its report is
	 * on stderr, ukrun adds the symbol names of the code addresses. */
	UK_HC_ABORT = UK_HC_BASE + 3,
	/* eax = UK_MARK_*: a boot milestone, sent only when UK_PF_TIMELINE. */
	UK_HC_MARK = UK_HC_BASE + 4,
	/* Signals sent to ukrun (podman stop's SIGTERM, a Ctrl-C) for the
	 * guest's process 1, as `docker run` proxies them. `outl` of
	 * UK_SIGNALS_TAKE: the guest takes them from now on (until then,
	 * and under a guest that never says so, ukrun ends the VM at such a
	 * signal). `inl`: the signals that came since the last read, bit n
	 * for signal n (1..31); the read clears them. ukrun raises the pin
	 * UK_DT_SIGNAL_IRQ (edge) when some wait, and a console read
	 * (UK_HC_READ) they interrupt returns -EINTR (4). */
	UK_HC_SIGNALS = UK_HC_BASE + 5,
	/* eax = GPA of struct uk_hc_stages: when the guest's boot reached
	 * each stage, sent only when UK_PF_TIMELINE, after UK_MARK_MAIN. */
	UK_HC_STAGES = UK_HC_BASE + 6,
	/* `ukrun exec`: processes started in the running VM (vmm/exec.c,
	 * libos/virtio/host_exec.c). eax = GPA of struct uk_hc_exec; only
	 * when the runtime tree has UK_DT_EXEC_IRQ. Never blocks the vCPU:
	 * what must wait answers -EAGAIN (11), and ukrun raises the pin
	 * UK_DT_EXEC_IRQ (edge) when something may have changed. */
	UK_HC_EXEC = UK_HC_BASE + 7,
};

#define UK_SIGNALS_TAKE 1

enum uk_mark {
	UK_MARK_MAIN = 1, /* about to call main() */
};

/* The guest's boot, in the order it runs (libos/init/boot.c). */
enum uk_stage {
	UK_STAGE_ENTRY,  /* uk_boot entered, on the boot stack */
	UK_STAGE_CPU,    /* descriptor tables, physmap, CR4/XCR0 done */
	UK_STAGE_PLAT,   /* start info and runtime tree read */
	UK_STAGE_TIME,   /* clocks and the LAPIC timer */
	UK_STAGE_MM,     /* page allocator */
	UK_STAGE_THREAD, /* the main thread runs */
	UK_STAGE_VFS,    /* root file system and mounts */
	UK_STAGE_MAIN,   /* argv and envp made: main() next */
	UK_STAGES
};

struct uk_hc_stages {
	uint64_t tsc[UK_STAGES]; /* [guest] its TSC at each UK_STAGE_* */
};

struct uk_hc_write {
	uint64_t data; /* [guest] GPA of the bytes */
	uint32_t len;  /* [guest] at most UK_HC_IO_MAX */
	uint32_t fd;   /* [guest] 1 stdout, 2 stderr, 3 trace */
};

struct uk_hc_read {
	uint64_t data; /* [guest] GPA of the buffer */
	uint32_t len;  /* [guest] at most UK_HC_IO_MAX */
	int32_t ret;   /* [host] bytes read, 0 at end of input, or -errno */
};

#define UK_CRASH_MAX_PC 16
struct uk_hc_crash {
	uint32_t status;              /* [guest] exit status (128 + signal) */
	uint32_t npc;                 /* [guest] entries of pc, <= UK_CRASH_MAX_PC */
	uint64_t pc[UK_CRASH_MAX_PC]; /* [guest] faulting RIP, then return addresses */
};

/* UK_HC_EXEC's operations. A session is one exec: its process's
 * stdin, stdout and stderr are the `ukrun exec` caller's, and its wait
 * status goes back to it. */
enum uk_exec_op {
	/* The next request's struct uk_exec_spec into data (len bytes):
	 * ret = its session id; -EAGAIN: none waits; -ENOSPC: len is too
	 * small (the request stays). */
	UK_EXEC_NEXT = 1,
	/* arg = the process's pid once it runs, or -errno when it could not
	 * start (-ENOENT: no such program, -EACCES: not executable); then
	 * len = UK_EXEC_FAILED_*: what could not be had. */
	UK_EXEC_STARTED = 2,
	/* Up to len bytes of stdin into data: ret = how many, 0 at its end. */
	UK_EXEC_READ = 3,
	/* len bytes from data to arg = 1 (stdout) or 2 (stderr): ret = how
	 * many were taken; -EPIPE: nobody reads them any more. */
	UK_EXEC_WRITE = 4,
	/* ret = UK_EXEC_IN | UK_EXEC_OUT: what would not wait now (a read
	 * at the end of stdin does not wait). */
	UK_EXEC_POLL = 5,
	/* arg = the process's wait status: the session is over. */
	UK_EXEC_EXIT = 6,
	/* Terminal request what (UK_TTY_*) on descriptor arg (0 stdin, 1
	 * stdout, 2 stderr) as the caller gave it: data is a struct
	 * uk_termios or struct uk_winsize (len its size), read or written.
	 * -ENOTTY: that descriptor is no terminal. */
	UK_EXEC_TTY = 7,
	/* ret = the signals the caller sent the process since the last call
	 * (bit n: signal n, 1..31), then cleared. Session 0: those for
	 * every process of the VM (`ukrun kill --all`). */
	UK_EXEC_SIGNALS = 8,
};
#define UK_EXEC_FAILED_PROGRAM 0 /* the program: not found, not executable, not ELF */
#define UK_EXEC_FAILED_CWD 1     /* the working directory */
#define UK_EXEC_FAILED_SETUP 2   /* memory, descriptors, a process */
#define UK_EXEC_IN 1
#define UK_EXEC_OUT 2
#define UK_TTY_GET 1       /* TCGETS: its struct uk_termios */
#define UK_TTY_SET 2       /* TCSETS, TCSETSW: the same (ukrun waits for no output) */
#define UK_TTY_SET_FLUSH 3 /* TCSETSF: the same, input not yet read dropped */
#define UK_TTY_GET_SIZE 4  /* TIOCGWINSZ: its struct uk_winsize */
#define UK_TTY_SET_SIZE 5  /* TIOCSWINSZ */

/* Linux's struct termios and struct winsize (x86-64), as the host's
 * terminal ioctls read and write them. */
struct uk_termios {
	uint32_t iflag, oflag, cflag, lflag; /* [both] */
	uint8_t line;                        /* [both] */
	uint8_t cc[19];                      /* [both] */
};
struct uk_winsize {
	uint16_t row, col, xpixel, ypixel; /* [both] */
};

struct uk_hc_exec {
	uint32_t op;      /* [guest] UK_EXEC_* */
	uint32_t session; /* [guest] the id UK_EXEC_NEXT gave (not for NEXT) */
	uint64_t data;    /* [guest] GPA of the buffer (NEXT, READ, WRITE) */
	uint32_t len;     /* [guest] its size, at most UK_HC_IO_MAX */
	int32_t arg;      /* [guest] per operation */
	int32_t ret;      /* [host] per operation, or -errno (-EBADF: no such session) */
	uint32_t what;    /* [guest] UK_EXEC_TTY: UK_TTY_* */
};

/* What to run, as UK_EXEC_NEXT writes it: this header, then NUL-ended
 * strings: the working directory, argc arguments, envc variables. */
struct uk_exec_spec {
	uint32_t uid, gid;   /* [host] the process's ids */
	uint32_t argc, envc; /* [host] argc >= 1 */
	uint32_t size;       /* [host] bytes in all, header included */
	uint32_t pad;
};
#define UK_EXEC_SPEC_MAX (64u << 10)

#define UK_HC_IO_MAX (1u << 20)
#define UK_FD_STDOUT 1
#define UK_FD_STDERR 2
#define UK_FD_TRACE 3

/* QEMU's isa-debug-exit device (the exit path when there is no ukrun):
 * QEMU exits with (value << 1) | 1. */
#define UK_QEMU_DEBUG_EXIT_PORT 0x501

/* ---- Paravirtual KVM ("PVM", see shared/platform/pvm.md) ---- */

/* Per-vCPU virtual interrupt flag page; ukrun registers it before the first
 * KVM_RUN and tells the guest its GPA (UK_DT_VIF). */
struct uk_pvm_vif {
	volatile uint8_t if_;     /* [guest] 1 = interrupts enabled */
	volatile uint8_t pending; /* [host] an interrupt waits: ring the doorbell */
	uint8_t pad[6];
	volatile uint64_t cr2; /* [host] faulting address of the last #PF */
};
#define UK_PVM_MSR_VIF 0x4b564d10u
#define UK_PVM_MSR_SIG 0x4b564d11u /* reads UK_PVM_SIG */
#define UK_PVM_MSR_FEAT 0x4b564d12u
#define UK_PVM_MSR_TSC_KHZ 0x4b564d13u
#define UK_PVM_SIG 0x4d5650u
#define UK_PVM_VIF_VMM 0x400u /* bit the VMM must set when registering */
#define UK_PVM_DOORBELL_PORT 0x80

/* ---- Runtime tree (ukrun -> guest), properties of /chosen ---- */

#define UK_DT_ABI "uk,abi"             /* u32 UK_ABI_VERSION of the host */
#define UK_DT_FLAGS "uk,flags"         /* u32 UK_PF_* */
#define UK_DT_TSC_KHZ "uk,tsc-khz"     /* u32 guest TSC frequency */
#define UK_DT_VIF "uk,vif"             /* u64 GPA of vCPU 0's VIF page (PVM) */
#define UK_DT_CMD "uk,cmd"             /* string list: replaces the manifest's cmd */
#define UK_DT_ENV "uk,env"             /* string list of K=V, over the manifest's */
#define UK_DT_SEED "uk,rng-seed"       /* bytes from the host's getrandom() */
#define UK_DT_EPOCH "uk,epoch-ns"      /* u64 host CLOCK_REALTIME ... */
#define UK_DT_EPOCH_TSC "uk,epoch-tsc" /* u64 ... and the guest TSC then */
#define UK_DT_TTY "uk,tty"             /* u32 bit n: host fd n is a terminal */
#define UK_DT_TMPFS "uk,tmpfs"         /* string list: a new tmpfs at each path */
#define UK_DT_HOSTNAME "uk,hostname"   /* string: uname's nodename (--hostname) */
#define UK_DT_WORKDIR "uk,workdir"     /* string: replaces the manifest's workdir (-w) */
#define UK_DT_ENTRYPOINT                                                                     \
	"uk,entrypoint"                  /* string list: replaces the manifest's entrypoint, \
	                                  * and its cmd when no UK_DT_CMD (--entrypoint) */
#define UK_DT_SIGNAL_IRQ "uk,signal-irq" /* u32 IOAPIC pin of UK_HC_SIGNALS */
#define UK_DT_EXEC_IRQ "uk,exec-irq"     /* u32 IOAPIC pin of UK_HC_EXEC, when offered */

#define UK_PF_PVM (1u << 0)        /* paravirtual KVM: use the VIF page */
#define UK_PF_TRACE (1u << 1)      /* --trace: report system calls on fd 3 */
#define UK_PF_TIMELINE (1u << 2)   /* --verbose: send UK_HC_MARK milestones */
#define UK_PF_NO_REWRITE (1u << 3) /* --no-syscall-rewrite: Linux programs trap */
#define UK_PF_ROOT_RO (1u << 4)    /* --read-only: the root refuses writes (EROFS) */
#define UK_PF_PIC_MASKED (1u << 5) /* the legacy 8259 PICs come masked */
/* A container's VM: process 1 killed by a signal is not announced on its
 * stderr (crun says nothing: the wait status says it). */
#define UK_PF_QUIET_END (1u << 6)
/* UK_DT_SIGNAL_IRQ's pin comes routed in the IOAPIC: to UK_SIGNAL_VECTOR
 * on APIC 0, edge-triggered, unmasked (the guest's own routing is six
 * register accesses, an exit each). ukrun raises the pin only after
 * UK_SIGNALS_TAKE, so nothing arrives before the guest's handler. */
#define UK_PF_SIGNAL_ROUTED (1u << 7)
#define UK_SIGNAL_VECTOR 0x48

/* ---- Devices: virtio-mmio (virtio 1.x), one runtime-tree node each ----
 * Node "/virtio_mmio@<hex addr>" with
 *   compatible = "virtio,mmio"
 *   reg        = <u64 GPA, u64 size>
 *   interrupts = <u32 IOAPIC pin>, edge-triggered (ukrun raises it by irqfd)
 *   uk,mount   = "/guest/path"  (9P shares and disks: where to mount them)
 *   uk,ro      (empty)          mount read-only
 *   uk,ip      = <u32 IPv4 address, u32 prefix length>  (virtio-net: a static
 *                address; absent: the guest asks DHCP)
 *   uk,gw      = <u32 IPv4 address>  (virtio-net: static default gateway)
 *   uk,dns     = <u32 IPv4 address>  (virtio-net: the name server the
 *                network will have, known before it is up: the user
 *                network's; the guest writes /etc/resolv.conf at boot)
 *   uk,notify-port = <u32 I/O port>  (optional: see below)
 *   (IPv4 addresses as FDT cells: big-endian, i.e. network byte order)
 * Under QEMU the guest finds devices on the kernel command line instead, in
 * Linux's convention "virtio_mmio.device=<size>@<addr>:<irq>" (microvm adds
 * these itself); a 9P share's mount tag is then its guest path. */
#define UK_DT_VIRTIO_COMPAT "virtio,mmio"
#define UK_DT_MOUNT "uk,mount"
#define UK_DT_RO "uk,ro"
#define UK_DT_NET_IP "uk,ip"
#define UK_DT_NET_GW "uk,gw"
#define UK_DT_NET_DNS "uk,dns"
#define UK_VIRTIO_MMIO_SIZE 0x1000u

/* Queue notifications by port I/O. A write to QUEUE_NOTIFY is an MMIO
 * access, which the paravirtual host decodes instruction by instruction
 * (~35 us measured, against ~3 us for a port write to an ioeventfd): one
 * per packet sent. So ukrun gives each device a port (uk,notify-port):
 * `outl` of a queue index there is that queue's QUEUE_NOTIFY write. A
 * device without the property (QEMU) is notified through QUEUE_NOTIFY. */
#define UK_DT_NOTIFY_PORT "uk,notify-port"
#define UK_NOTIFY_PORT_BASE 0x4e0 /* + the device's slot, 16 ports */

/* The manifest's keys (section .uk_manifest): image/include/uk/manifest.h. */

#endif /* UK_ABI_H */
