/*
 * System V shared memory (shmget, shmat, shmdt, shmctl): a segment is an
 * unnamed RAM file, as MAP_SHARED|MAP_ANONYMOUS memory is (mmap.c), and
 * attaching it is a shared mapping of that file, so its pages are shared
 * across fork and between the processes attaching it, and futexes in it
 * wake across processes.
 *
 * Differences from Linux: a segment removed with IPC_RMID loses its id at
 * once (Linux lets shmat find it until the last detach; the attached
 * memory stays either way), and shm_nattch counts the mappings of the
 * segment (a mapping split by mprotect counts twice). Keys, ids and
 * permissions are System V IPC's namespace (ipc/sysv.c).
 */
#include <asm/shmbuf.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/sysv.h>
#include <uk/time.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE
#define SEGS 4096            /* Linux's SHMMNI */
#define SEG_MAX (1ull << 40) /* bytes: far above any RAM we get */
/* <linux/shm.h>'s values (its header clashes with the library OS's time
 * types) */
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000

struct shm_info { /* SHM_INFO's answer */
	int used_ids;
	unsigned long shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

struct seg {
	struct uk_ipc_obj o; /* first */
	uint64_t size;
	struct uk_file *f; /* the memory (referenced) */
	long atime, dtime;
	int cpid, lpid;
};

static struct uk_ipc_ids segs = { .max = SEGS };

static struct seg *seg_of(int id) { return (struct seg *)uk_ipc_of(&segs, id); }

static long seg_new(int key, uint64_t size, int flags)
{
	struct seg *s;
	long r;

	if (size < 1 || size > SEG_MAX)
		return -EINVAL;
	if (!(s = uk_kzalloc(sizeof(*s))))
		return -ENOMEM;
	if ((r = uk_ramfs_anon_file((size + PAGE - 1) & ~(uint64_t)(PAGE - 1), &s->f))) {
		uk_kfree(s);
		return r;
	}
	s->size = size;
	s->cpid = uk_proc_cur->pid;
	if ((r = uk_ipc_add(&segs, &s->o, key, flags)) < 0) {
		uk_file_put(s->f);
		uk_kfree(s);
	}
	return r;
}

UK_SYSCALL3(shmget, int, key, size_t, size, int, flags)
{
	struct uk_ipc_obj *o;
	long r = uk_ipc_lookup(&segs, key, flags, &o);

	if (r < 0 || o)
		return r >= 0 && size > ((struct seg *)o)->size ? -EINVAL : r;
	return seg_new(key, size, flags);
}

/* How many mappings hold the segment's file (each holds a reference). */
static unsigned long attached(const struct seg *s) { return (unsigned long)(s->f->refs - 1); }

UK_SYSCALL3(shmat, int, id, uintptr_t, addr, int, flags)
{
	struct seg *s = seg_of(id);
	unsigned prot = PROT_READ, mflags = MAP_SHARED;
	long r;

	if (!s)
		return -EINVAL;
	if ((r = uk_ipc_access(&s->o, flags & SHM_RDONLY ? 4 : 6)))
		return r;
	if (addr && (flags & SHM_RND))
		addr &= ~(uintptr_t)(PAGE - 1); /* SHMLBA is a page on x86-64 */
	if (addr & (PAGE - 1))
		return -EINVAL;
	if (!(flags & SHM_RDONLY))
		prot |= PROT_WRITE;
	if (flags & SHM_EXEC)
		prot |= PROT_EXEC;
	if (addr)
		mflags |= flags & SHM_REMAP ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	r = uk_vm_mmap(addr, s->size, prot, mflags, s->f, 0);
	if (r == -EEXIST)
		return -EINVAL; /* Linux: a range in use without SHM_REMAP */
	if (r >= 0) {
		/* shmdt's to detach; mprotect may not make SHM_RDONLY writable */
		for (struct uk_vma *v = uk_vma_find(&uk_vm_as, (uintptr_t)r);
		     v && v->start < (uintptr_t)r + s->size; v = v->next)
			v->flags =
			    (v->flags | UK_VMA_SYSV) & ~(flags & SHM_RDONLY ? UK_VMA_MAYWRITE : 0u);
		s->atime = uk_ipc_now();
		s->lpid = uk_proc_cur->pid;
	}
	return r;
}

UK_SYSCALL1(shmdt, uintptr_t, addr)
{
	struct uk_vma *v = uk_vma_find(&uk_vm_as, addr);
	uintptr_t end = addr;
	struct seg *s = NULL;
	void *file;

	if (!v || v->start != addr || v->off != 0 || !(v->flags & UK_VMA_SYSV))
		return -EINVAL; /* (Linux: not the start of an attach) */
	file = v->file;
	/* all of the attach, which mprotect may have split, as Linux */
	for (; v && v->start == end && v->file == file && (v->flags & UK_VMA_SYSV) &&
	       v->off == end - addr;
	     v = v->next)
		end = v->end;
	for (int i = 0; i < segs.cap && !s; i++) {
		struct seg *t = (struct seg *)uk_ipc_at(&segs, i);
		if (t && t->f == file)
			s = t;
	}
	if (s) { /* (a removed segment's memory is detached alike) */
		s->dtime = uk_ipc_now();
		s->lpid = uk_proc_cur->pid;
	}
	return uk_vm_munmap(addr, end - addr);
}

static long stat_seg(struct seg *s, struct shmid64_ds *ds)
{
	uk_memset(ds, 0, sizeof(*ds));
	ds->shm_perm = s->o.perm;
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->o.ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = attached(s);
	return 0;
}

static long info(int cmd, void *buf)
{
	int top, used = uk_ipc_count(&segs, &top);

	if (cmd == IPC_INFO) {
		struct shminfo64 *in = buf;
		uk_memset(in, 0, sizeof(*in));
		in->shmmax = SEG_MAX;
		in->shmmin = 1;
		in->shmmni = SEGS;
		in->shmseg = SEGS;
		in->shmall = SEG_MAX / PAGE;
	} else {
		struct shm_info *in = buf;
		uk_memset(in, 0, sizeof(*in));
		in->used_ids = used;
	}
	return top;
}

UK_SYSCALL3(shmctl, int, id, int, cmd, void *, buf)
{
	struct seg *s;
	long r;

	cmd &= ~IPC_64_FLAG;
	if (cmd == IPC_INFO || cmd == SHM_INFO)
		return buf ? info(cmd, buf) : -EFAULT;
	if (cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
		if (!(s = (struct seg *)uk_ipc_stat_obj(&segs, id, cmd == SHM_STAT_ANY, &r)))
			return r;
		if (!buf)
			return -EFAULT;
		stat_seg(s, buf);
		return uk_ipc_id(&segs, &s->o);
	}
	if (!(s = seg_of(id)))
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT:
		if ((r = uk_ipc_access(&s->o, 4)))
			return r;
		return buf ? stat_seg(s, buf) : -EFAULT;
	case IPC_SET:
		if (!buf)
			return -EFAULT;
		if ((r = uk_ipc_owner(&s->o)))
			return r;
		uk_ipc_set(&s->o, &((const struct shmid64_ds *)buf)->shm_perm);
		return 0;
	case IPC_RMID:
		if ((r = uk_ipc_owner(&s->o)))
			return r;
		/* the memory stays while attached: the mappings hold its file */
		uk_ipc_remove(&segs, &s->o);
		uk_file_put(s->f);
		uk_kfree(s);
		return 0;
	case SHM_LOCK:
	case SHM_UNLOCK: return 0; /* memory is never swapped out */
	}
	uk_trace_note("shmctl: command %d is not supported", cmd);
	return -EINVAL;
}
