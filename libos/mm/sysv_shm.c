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
 * segment (a mapping split by mprotect counts twice). Keys and ids belong
 * to the VM (one IPC namespace, as a container has). One uid: permissions
 * are recorded, not enforced.
 */
#include <asm/shmbuf.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE
#define SEGS 4096            /* Linux's SHMMNI */
#define SEG_MAX (1ull << 40) /* bytes: far above any RAM we get */
/* <linux/ipc.h> and <linux/shm.h>'s values (their headers clash with
 * the library OS's time types) */
#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64_FLAG 0x0100 /* IPC_64: ignored, the 64-bit layout is the one */
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
	int key;
	unsigned short seq;
	uint64_t size;
	struct uk_file *f; /* the memory (referenced) */
	struct ipc64_perm perm;
	long atime, dtime, ctime;
	int cpid, lpid;
};

static struct seg *segs[SEGS];
static unsigned short next_seq;

static long now_s(void) { return (long)(uk_realtime_ns() / 1000000000ull); }

static int seg_id(int i) { return segs[i]->seq * SEGS + i; }

static struct seg *seg_of(int id, int *index)
{
	int i = id % SEGS;

	if (id < 0 || !segs[i] || seg_id(i) != id)
		return NULL;
	if (index)
		*index = i;
	return segs[i];
}

static long seg_new(int key, uint64_t size, unsigned mode)
{
	struct seg *s;
	int i;
	long r;

	if (size < 1 || size > SEG_MAX)
		return -EINVAL;
	for (i = 0; i < SEGS && segs[i]; i++)
		;
	if (i == SEGS)
		return -ENOSPC;
	if (!(s = uk_kzalloc(sizeof(*s))))
		return -ENOMEM;
	if ((r = uk_ramfs_anon_file((size + PAGE - 1) & ~(uint64_t)(PAGE - 1), &s->f))) {
		uk_kfree(s);
		return r;
	}
	s->key = key;
	s->seq = next_seq++;
	s->size = size;
	s->perm.key = key;
	s->perm.uid = s->perm.cuid = (unsigned)uk_current_euid();
	s->perm.gid = s->perm.cgid = (unsigned)uk_current_egid();
	s->perm.mode = mode & 0777;
	s->perm.seq = s->seq;
	s->ctime = now_s();
	s->cpid = uk_proc_cur->pid;
	segs[i] = s;
	return seg_id(i);
}

UK_SYSCALL3(shmget, int, key, size_t, size, int, flags)
{
	for (int i = 0; key != IPC_PRIVATE && i < SEGS; i++) {
		if (!segs[i] || segs[i]->key != key)
			continue;
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		if (size > segs[i]->size)
			return -EINVAL;
		return seg_id(i);
	}
	if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		return -ENOENT;
	return seg_new(key, size, (unsigned)flags);
}

/* How many mappings hold the segment's file (each holds a reference). */
static unsigned long attached(const struct seg *s) { return (unsigned long)(s->f->refs - 1); }

UK_SYSCALL3(shmat, int, id, uintptr_t, addr, int, flags)
{
	struct seg *s = seg_of(id, NULL);
	unsigned prot = PROT_READ, mflags = MAP_SHARED;
	long r;

	if (!s)
		return -EINVAL;
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
		s->atime = now_s();
		s->lpid = uk_proc_cur->pid;
	}
	return r;
}

UK_SYSCALL1(shmdt, uintptr_t, addr)
{
	struct uk_vma *v = uk_vma_find(&uk_vm_as, addr);
	struct seg *s = NULL;

	if (!v || v->start != addr || v->off != 0 || !v->file)
		return -EINVAL;
	for (int i = 0; i < SEGS && !s; i++)
		if (segs[i] && segs[i]->f == v->file)
			s = segs[i];
	if (s) {
		s->dtime = now_s();
		s->lpid = uk_proc_cur->pid;
	} else if (!(v->flags & UK_VMA_SHARED)) {
		return -EINVAL; /* (a removed segment's memory is shared too) */
	}
	return uk_vm_munmap(addr, v->end - v->start);
}

static long stat_seg(struct seg *s, struct shmid64_ds *ds)
{
	uk_memset(ds, 0, sizeof(*ds));
	ds->shm_perm = s->perm;
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = attached(s);
	return 0;
}

static long info(int cmd, void *buf)
{
	int used = 0, top = 0;

	for (int i = 0; i < SEGS; i++)
		if (segs[i]) {
			used++;
			top = i;
		}
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
	int i;
	struct seg *s;

	cmd &= ~IPC_64_FLAG;
	if (cmd == IPC_INFO || cmd == SHM_INFO)
		return buf ? info(cmd, buf) : -EFAULT;
	if (cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
		if (id < 0 || id >= SEGS || !segs[id])
			return -EINVAL;
		if (!buf)
			return -EFAULT;
		stat_seg(segs[id], buf);
		return seg_id(id);
	}
	if (!(s = seg_of(id, &i)))
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT: return buf ? stat_seg(s, buf) : -EFAULT;
	case IPC_SET: {
		const struct shmid64_ds *ds = buf;
		if (!ds)
			return -EFAULT;
		s->perm.uid = ds->shm_perm.uid;
		s->perm.gid = ds->shm_perm.gid;
		s->perm.mode = ds->shm_perm.mode & 0777;
		s->ctime = now_s();
		return 0;
	}
	case IPC_RMID:
		/* the memory stays while attached: the mappings hold its file */
		segs[i] = NULL;
		uk_file_put(s->f);
		uk_kfree(s);
		return 0;
	case SHM_LOCK:
	case SHM_UNLOCK: return 0; /* memory is never swapped out */
	}
	uk_trace_note("shmctl: command %d is not supported", cmd);
	return -EINVAL;
}
