/*
 * The application's address space: the lower half, Linux's user range.
 *
 *   0 .. 64 KiB             never mapped (NULL and small offsets fault)
 *   64 KiB .. 0x7f00…       mmap areas, placed top-down from
 *                           UK_VM_MMAP_TOP unless an address is asked for;
 *                           a loaded Linux program (binary compatibility)
 *                           sits at 0x400000 with its ld.so and libraries
 *                           mapped here by MAP_FIXED mmaps
 *   UK_VM_MMAP_TOP .. UK_VM_END   free for hints and MAP_FIXED (a loaded
 *                           program's main stack)
 *
 * Link mode keeps its code, data, heap (brk) and thread stacks in the upper
 * half; mmap hands out lower-half memory to both kinds of program.
 *
 * Pages are committed on first touch, through the page-fault handler, as on
 * Linux: untouched memory costs nothing. Private file mappings are read into
 * fresh pages when mapped (a fault cannot wait for a filesystem); read-only
 * shared ones are the same snapshot, shared writable ones are refused
 * (libos/mm/mmap_file.c says why). Every
 * entry has U/S=1 (pvm.md); pages without PROT_EXEC are NX; PROT_NONE pages
 * keep their frame but are not present. Memory is never swapped out.
 *
 * Sizes are refused the way Linux's default overcommit heuristic refuses
 * them: a mapping that will be charged (private writable, shared anonymous;
 * not MAP_NORESERVE) fails with ENOMEM when it is larger than all of RAM.
 * Touching more memory than there is ends the program as Linux's OOM killer
 * would: a message naming the address, exit status 137.
 */
#ifndef UK_VM_H
#define UK_VM_H

#include <stddef.h>
#include <stdint.h>

struct uk_file;

#define UK_VM_MIN 0x10000ul /* Linux's vm.mmap_min_addr */
#define UK_VM_MMAP_TOP 0x7f0000000000ul
#define UK_VM_END 0x7ffffffff000ul /* Linux's TASK_SIZE */

struct uk_mm;
struct uk_proc_view;

/* For /proc/PID (fs/procfs.c's hooks), of any process's address space:
 * maps's lines for the areas from the first ending above *from, as many
 * whole lines as fit in size bytes (*from then past the last one; 0 at
 * the end; anonymous areas named [stack], [heap], [vdso] by v's
 * addresses); up to len bytes at addr, as far as pages are held there
 * (how many); the areas' total size and the bytes of pages held in them. */
size_t uk_vm_maps_text(struct uk_mm *mm, const struct uk_proc_view *v, uintptr_t *from, char *buf,
                       size_t size);
long uk_vm_mem_read(struct uk_mm *mm, uintptr_t addr, void *buf, size_t len);
void uk_vm_usage(struct uk_mm *mm, uint64_t *size, uint64_t *rss);

/* mmap(2) with the file already looked up (NULL for MAP_ANONYMOUS): the
 * address, or -errno. For the ELF loader as well as the system call. */
long uk_vm_mmap(uintptr_t addr, size_t len, unsigned prot, unsigned flags, struct uk_file *f,
                uint64_t off);

/* Anonymous private memory of len bytes anywhere inside [lo, hi), for
 * what must lie near other code (binary_rewrite.c's stubs), committed:
 * its address, or -ENOMEM when no gap there is large enough. */
long uk_vm_mmap_within(uintptr_t lo, uintptr_t hi, size_t len, unsigned prot);
int uk_vm_munmap(uintptr_t addr, size_t len);
/* Commit the missing pages of accessible areas in [start, end), as their
 * first touch would: 0 or -ENOMEM. */
int uk_vm_populate(uintptr_t start, uintptr_t end);
int uk_vm_mprotect(uintptr_t addr, size_t len, unsigned prot);

/* From the #PF handler: commit the page holding addr when an area allows
 * the access (error = the CPU's error code). 1 if handled, 0 if the fault
 * is the program's (a crash report follows). */
int uk_vm_fault(uintptr_t addr, uint64_t error);

/* For binary mode's checks of a system call's pointers: how many bytes
 * from addr (at most len) lie in the process's areas that allow the
 * access (write: PROT_WRITE; else any of PROT_READ, PROT_WRITE,
 * PROT_EXEC), committed or not; 0 for the upper half. And whether the
 * C string at addr is readable up to its NUL, or for max bytes: 0 or
 * -EFAULT (its pages are touched, so committed). */
size_t uk_vm_user_span(uintptr_t addr, size_t len, int write);
int uk_vm_user_str(uintptr_t addr, size_t max);

/* For futexes (uk_futex_on_shared): 1 and the physical address of addr
 * when it lies in a MAP_SHARED area (its page committed), else 0;
 * -EFAULT when its page cannot be committed. */
int uk_vm_futex_key(uintptr_t addr, uint64_t *pa);

/* Bytes of application pages committed now, and at most so far. */
uint64_t uk_vm_rss(void);
uint64_t uk_vm_rss_peak(void);

/* Each area in address order, for /proc/self/maps; a nonzero return of fn
 * stops the walk and is returned. */
int uk_vm_foreach(int (*fn)(void *ctx, uintptr_t start, uintptr_t end, unsigned prot, int shared,
                            struct uk_file *f, uint64_t off),
                  void *ctx);

/* Whether some process has a shared mapping of vn that may write (its
 * file open read-write, so mprotect could add PROT_WRITE): F_ADD_SEALS
 * refuses F_SEAL_WRITE then (EBUSY), as Linux does. */
struct uk_vnode;
int uk_vm_maps_writable(struct uk_vnode *vn);

/* The page holding va made the program's own, a copy where the frame is
 * shared (the image's file pages): its physmap address, for writes into
 * mapped code (binary_rewrite.c); NULL when nothing is mapped there or
 * memory is out. */
void *uk_vm_page_own(uintptr_t va);

/* Whether [start, end) lies in one private mapping that may not be
 * written, of a file of the image that nobody has written
 * (uk_ramfs_image_data): its bytes are then fixed for the VM's life, and
 * *key, the physical address of the file's byte at start, names them.
 * (Rewritten code is kept by it: binary_rewrite.c.) */
int uk_vm_file_fixed(uintptr_t start, uintptr_t end, uint64_t *key);

/* The page at va shows frame pa's bytes from now on, pa's holder keeping
 * it (a page reference is taken for the mapping): pa is mapped in place
 * of a frame others hold too (the image's) or of none, read-only or
 * copy-on-write as the area allows; a frame the process owns alone gets
 * pa's bytes copied in instead (no entry changed). Present entries
 * replaced are flushed at once, or with uk_pt_flush_hold's batch. 0, or
 * -EINVAL outside a private area, -ENOMEM. */
int uk_vm_page_share(uintptr_t va, uint64_t pa);

/* Binary mode rewrites the system call sites of executable file mappings
 * (process/binary_rewrite.c): fn runs on each new PROT_EXEC mapping of a
 * file, all of whose pages are mapped then (the image archive's own where
 * whole: fn writes a page only through uk_vm_page_own). */
void uk_vm_on_exec_map(void (*fn)(uintptr_t start, uintptr_t end));

#endif
