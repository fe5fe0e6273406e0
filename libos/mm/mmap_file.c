/*
 * File mappings. A private mapping of a file whose data lies in memory
 * (ramfs: the image's root filesystem) gets its pages on first touch,
 * copied by the page-fault handler from where the file keeps them (the
 * vnode's page_data), as Linux fills a mapping from its page cache: a
 * program that maps a large file and reads a little of it (the JVM maps
 * its 129 MB class archive whole) pays for what it reads. Until touched,
 * a page shows the file as it is then, as on Linux.
 *
 * Other files (9P, FAT) get fresh pages filled from the file when the
 * mapping is made (and when mremap grows it, or MADV_DONTNEED drops its
 * pages): the page-fault handler runs on an exception stack and cannot
 * wait for a filesystem. So do executable mappings while Linux programs'
 * system calls are rewritten, as the rewriting reads all their code
 * anyway. Pages wholly past the end of the file read as zero when touched
 * (Linux would raise SIGBUS there).
 *
 * A shared mapping of a file opened read-write on a filesystem that
 * hands out its own pages (ramfs: the root, tmpfs, /dev/shm) maps those
 * pages themselves, on first touch: every process mapping the file, and
 * read and write, see the same bytes, as on Linux; MAP_SHARED|
 * MAP_ANONYMOUS memory is such a mapping of an unnamed RAM file (mmap.c),
 * so processes share it page by page after fork. Other shared mappings
 * that cannot be written are snapshots like the private ones; a shared
 * writable mapping of another filesystem's file (9P, FAT) would have to
 * carry its writes back to the file: it is refused (ENODEV) rather than
 * quietly lose them. /dev/zero maps as anonymous memory, as on Linux.
 */
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE
#define DEV_ZERO ((1u << 8) | 5) /* Linux's 1:5 */
#define WRITE_SEALS (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

static int file_stat(struct uk_file *f, struct stat *st)
{
	if (f->ops->fstat)
		return f->ops->fstat(f, st);
	if (f->vn && f->vn->ops->getattr)
		return f->vn->ops->getattr(f->vn, st);
	return -ENODEV;
}

int uk_vm_file_check(struct uk_file *f, unsigned prot, unsigned flags, int *anonymous)
{
	unsigned acc = f->flags & O_ACCMODE, shared = (flags & MAP_TYPE) != MAP_PRIVATE;
	struct stat st;

	*anonymous = 0;
	if (!f->vn || file_stat(f, &st))
		return -ENODEV; /* pipes, sockets, event files */
	if (S_ISCHR(st.st_mode) && st.st_rdev == DEV_ZERO) {
		*anonymous = 1;
		return 0;
	}
	if (!S_ISREG(st.st_mode) || !f->ops->read)
		return -ENODEV;
	if (acc == O_WRONLY || (f->flags & O_PATH))
		return -EACCES;
	if (shared && (prot & PROT_WRITE)) {
		if (acc != O_RDWR || (f->flags & O_APPEND))
			return -EACCES;
		if (uk_vnode_seals(f->vn) & WRITE_SEALS)
			return -EPERM;
		if (f->vn->ops->page_shared)
			return 0;
		uk_trace_note("mmap: shared writable file mappings are not supported");
		return -ENODEV;
	}
	return 0;
}

int uk_vm_file_may_write(const struct uk_file *f, int shared)
{
	if (!f || !shared)
		return 1;
	return (f->flags & O_ACCMODE) == O_RDWR && !(f->flags & O_APPEND) && f->vn &&
	       f->vn->ops->page_shared && !(uk_vnode_seals(f->vn) & WRITE_SEALS);
}

/* Every process's areas are walked: F_ADD_SEALS is rare, and a count
 * kept per file would have to follow every split, fork and unmap. */
int uk_vm_maps_writable(struct uk_vnode *vn)
{
	const unsigned want = UK_VMA_SHARED | UK_VMA_MAYWRITE;

	for (struct uk_proc *p = uk_procs; p; p = p->all_next)
		for (struct uk_vma *v = p->mm ? p->mm->as.head : NULL; v; v = v->next)
			if ((v->flags & want) == want && v->file &&
			    ((struct uk_file *)v->file)->vn == vn)
				return 1;
	return 0;
}

/* Read one page of the file at pos into p: bytes read, 0 at the end. */
static long read_page(struct uk_file *f, uint8_t *p, uint64_t pos)
{
	size_t got = 0;

	while (got < PAGE) {
		uint64_t at = pos + got;
		long r = f->ops->read(f, p + got, PAGE - got, &at);
		if (r < 0)
			return got ? (long)got : r;
		if (r == 0)
			break;
		got += r;
	}
	return (long)got;
}

/* One page of the file at off, mapped at a: 0, 1 at the end of the file,
 * or -errno. */
static long fill_page(struct uk_file *f, uintptr_t a, uint64_t off, unsigned prot)
{
	uint8_t *p = uk_pages_alloc(1);
	long n;

	if (!p)
		return -ENOMEM;
	n = read_page(f, p, off);
	if (n <= 0) {
		uk_pages_free(p, 1);
		return n < 0 ? n : 1;
	}
	uk_vm_counts.file_copy++;
	uk_memset(p + n, 0, PAGE - n);
	/* The read may have blocked: another thread may have mapped here. */
	if (uk_page_held(a) != ~0ull) {
		uk_pages_free(p, 1);
		return 0;
	}
	if (uk_vm_map_frame(a, p, prot)) {
		uk_pages_free(p, 1);
		return -ENOMEM;
	}
	return 0;
}

/* A shared mapping of a RAM file it may write through is never a
 * snapshot, executable or not: a JIT (Erlang's BEAM, and others with a
 * W^X dual mapping) maps one memfd twice, writes code through the
 * read-write view and runs it through the read-execute one, so both must
 * be the file's own pages. Such code is written after the mmap anyway:
 * its system calls trap, as any generated code's. */
static int shared_writable(const struct uk_vma *v)
{
	const unsigned want = UK_VMA_SHARED | UK_VMA_MAYWRITE;

	return (v->flags & want) == want;
}

int uk_vm_file_rewritten(const struct uk_vma *v)
{
	return (v->prot & PROT_EXEC) && uk_vm_exec_hook && !shared_writable(v);
}

/* (Not code whose system calls are rewritten: that gets copies.) */
int uk_vm_file_shares(const struct uk_vma *v)
{
	const struct uk_file *f = v->file;

	return f && (v->flags & UK_VMA_SHARED) && f->vn && f->vn->ops->page_shared &&
	       !uk_vm_file_rewritten(v);
}

static int f_in_memory(const struct uk_file *f) { return f->vn && f->vn->ops->page_data; }

/* Whether v's pages come on first touch (uk_vm_file_page). */
static int on_touch(const struct uk_vma *v)
{
	return f_in_memory(v->file) && !uk_vm_file_rewritten(v);
}

/* The file's own page at a, held by the file and now this mapping too. */
static int share_page(struct uk_vma *v, uintptr_t a)
{
	struct uk_vnode *vn = ((struct uk_file *)v->file)->vn;
	void *page;
	long r = vn->ops->page_shared(vn, v->off + (a - v->start), &page);

	if (r)
		return (int)r; /* 1: past the end, reads as zero */
	if (uk_vm_map_frame(a, page, v->prot))
		return -ENOMEM;
	uk_page_ref(uk_v2p(page)); /* (counted resident by the mapping) */
	uk_vm_counts.file_share++;
	return 0;
}

/* A whole page of the file lying in a page of the image's archive (whose
 * file data ukbuild page-aligns), in an area that is not writable: mapped
 * as it is (read-only until a write copies it, should mprotect allow
 * one). No copy, and no fresh page for the host to back: node's start
 * copied 15 000 pages (59 MB) of its libraries so. A writable area gets
 * copies as before: written, a page mapped so would fault again, and its
 * copy would replace a present entry (an invlpg; java's start wrote 2 900
 * of them, its class archive and libraries' data). */
static int map_image_page(struct uk_vma *v, uintptr_t a, const void *data)
{
	if (uk_vm_map_frame_cow(a, data, v->prot))
		return -ENOMEM;
	uk_vm_counts.file_share++;
	uk_vm_counts.file_image++;
	return 0;
}

static int image_page(const struct uk_vma *v, const void *data, long n)
{
	return !(v->prot & PROT_WRITE) && data && n == PAGE && !((uintptr_t)data & (PAGE - 1)) &&
	       uk_page_of_image(uk_v2p(data));
}

int uk_vm_file_page(struct uk_vma *v, uintptr_t a)
{
	struct uk_vnode *vn = ((struct uk_file *)v->file)->vn;
	const void *data;
	uint8_t *p;
	long n;

	if (!vn || !vn->ops->page_data)
		return 1;
	if (uk_vm_file_shares(v))
		return share_page(v, a);
	n = vn->ops->page_data(vn, v->off + (a - v->start), &data);
	if (n <= 0)
		return 1; /* past the end of the file */
	if (image_page(v, data, n))
		return map_image_page(v, a, data);
	if (!(p = uk_pages_alloc(1)))
		return -ENOMEM;
	uk_vm_counts.file_copy++;
	if (data)
		uk_memcpy(p, data, (size_t)n);
	else
		uk_memset(p, 0, (size_t)n);
	uk_memset(p + n, 0, PAGE - (size_t)n);
	if (uk_vm_map_frame(a, p, v->prot)) {
		uk_pages_free(p, 1);
		return -ENOMEM;
	}
	return 0;
}

int uk_vm_file_fixed(uintptr_t start, uintptr_t end, uint64_t *key)
{
	struct uk_vma *v = uk_vma_find(&uk_vm_as, start);
	const struct uk_file *f = v ? v->file : NULL;
	const uint8_t *data;

	if (!f || v->start > start || v->end < end || (v->flags & UK_VMA_SHARED) ||
	    (v->prot & PROT_WRITE) || !f->vn || !(data = uk_ramfs_image_data(f->vn)))
		return 0;
	*key = uk_v2p(data) + v->off + (start - v->start);
	return 1;
}

int uk_vm_file_zero(struct uk_vma *v, uintptr_t start, uintptr_t end)
{
	struct uk_vnode *vn = ((struct uk_file *)v->file)->vn;

	if (!vn->ops->punch)
		return -EINVAL;
	return vn->ops->punch(vn, v->off + (start - v->start), end - start);
}

int uk_vm_file_fill(struct uk_vma *v, uintptr_t start, uintptr_t end)
{
	/* Reads may block; v may be gone when they return, so take what is
	 * needed now, and hold the file. */
	struct uk_file *f;
	uint64_t off = v->off + (start - v->start);
	unsigned prot = v->prot;
	long r = 0;

	if (on_touch(v))
		return 0;
	if (f_in_memory(v->file)) {
		/* code to rewrite, whose every page the rewriting reads: all
		 * now (the archive's own where whole; nothing here blocks) */
		for (uintptr_t a = start; a < end && r >= 0; a += PAGE)
			r = uk_page_held(a) == ~0ull ? uk_vm_file_page(v, a) : 0;
		return r < 0 ? (int)r : 0;
	}
	f = uk_file_get(v->file);

	for (uintptr_t a = start; a < end && !r; a += PAGE, off += PAGE)
		r = fill_page(f, a, off, prot);
	uk_file_put(f);
	return r < 0 ? (int)r : 0;
}

UK_SYSCALL6(mmap, uintptr_t, addr, size_t, len, unsigned, prot, unsigned, flags, int, fd, uint64_t,
            off)
{
	struct uk_file *f;
	int anonymous;
	long r;

	if (off & (PAGE - 1))
		return -EINVAL;
	if (flags & MAP_ANONYMOUS) /* fd is ignored, as by Linux */
		return uk_vm_mmap(addr, len, prot, flags, NULL, 0);
	if (!(f = uk_fd_get(fd)))
		return -EBADF;
	if (!(r = uk_vm_file_check(f, prot, flags, &anonymous)))
		r = uk_vm_mmap(addr, len, prot, flags, anonymous ? NULL : f, off);
	uk_file_put(f);
	return r;
}
