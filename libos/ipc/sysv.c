/*
 * System V IPC's namespace (uk/sysv.h): slots of objects by kind, their
 * keys and permissions. Permissions are Linux's: the owner's, the group's
 * or the others' bits of the mode, and root may do anything.
 */
#include <linux/capability.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sysv.h>
#include <uk/time.h>

long uk_ipc_now(void) { return (long)(uk_realtime_ns() / 1000000000ull); }

int uk_ipc_id(const struct uk_ipc_ids *ids, const struct uk_ipc_obj *o)
{
	for (int i = 0; i < ids->cap; i++)
		if (ids->slot[i] == o)
			return o->perm.seq * UK_IPC_SLOTS + i;
	return -1;
}

struct uk_ipc_obj *uk_ipc_at(const struct uk_ipc_ids *ids, int index)
{
	return index >= 0 && index < ids->cap ? ids->slot[index] : NULL;
}

struct uk_ipc_obj *uk_ipc_of(const struct uk_ipc_ids *ids, int id)
{
	struct uk_ipc_obj *o;

	if (id < 0 || !(o = uk_ipc_at(ids, id % UK_IPC_SLOTS)))
		return NULL;
	return o->perm.seq == id / UK_IPC_SLOTS ? o : NULL;
}

long uk_ipc_access(const struct uk_ipc_obj *o, unsigned want)
{
	unsigned uid = (unsigned)uk_current_euid(), gid = (unsigned)uk_current_egid();
	unsigned mode = o->perm.mode;

	if (uk_capable(CAP_IPC_OWNER))
		return 0;
	if (uid == o->perm.uid || uid == o->perm.cuid)
		mode >>= 6;
	else if (gid == o->perm.gid || gid == o->perm.cgid)
		mode >>= 3;
	return (mode & want) == want ? 0 : -EACCES;
}

struct uk_ipc_obj *uk_ipc_stat_obj(const struct uk_ipc_ids *ids, int index, int any, long *err)
{
	struct uk_ipc_obj *o = uk_ipc_at(ids, index);

	*err = -EINVAL;
	if (o && !any && (*err = uk_ipc_access(o, 4)))
		return NULL;
	return o;
}

long uk_ipc_owner(const struct uk_ipc_obj *o)
{
	unsigned uid = (unsigned)uk_current_euid();

	return uk_capable(CAP_SYS_ADMIN) || uid == o->perm.uid || uid == o->perm.cuid ? 0 : -EPERM;
}

long uk_ipc_lookup(struct uk_ipc_ids *ids, int key, int flags, struct uk_ipc_obj **found)
{
	unsigned want = 0;

	*found = NULL;
	if (key == IPC_PRIVATE)
		return 0;
	for (int i = 0; i < ids->cap; i++) {
		struct uk_ipc_obj *o = ids->slot[i];
		if (!o || o->perm.key != key)
			continue;
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		/* the mode bits asked for, as Linux checks them: read if any
		 * read bit, write if any write bit */
		want = (flags & 0444 ? 4 : 0) | (flags & 0222 ? 2 : 0);
		if (uk_ipc_access(o, want))
			return -EACCES;
		*found = o;
		return uk_ipc_id(ids, o);
	}
	return flags & IPC_CREAT ? 0 : -ENOENT;
}

/* A free slot, growing the table (by doubling, up to max): its index or
 * -ENOSPC, -ENOMEM. */
static int free_slot(struct uk_ipc_ids *ids)
{
	struct uk_ipc_obj **more;
	int i, cap;

	for (i = 0; i < ids->cap; i++)
		if (!ids->slot[i])
			return i;
	if (ids->cap >= ids->max)
		return -ENOSPC;
	cap = ids->cap ? ids->cap * 2 : 16;
	if (cap > ids->max)
		cap = ids->max;
	if (!(more = uk_kzalloc((size_t)cap * sizeof(*more))))
		return -ENOMEM;
	if (ids->cap)
		uk_memcpy(more, ids->slot, (size_t)ids->cap * sizeof(*more));
	uk_kfree(ids->slot);
	ids->slot = more;
	ids->cap = cap;
	return i;
}

long uk_ipc_add(struct uk_ipc_ids *ids, struct uk_ipc_obj *o, int key, int flags)
{
	int i = free_slot(ids);

	if (i < 0)
		return i;
	o->perm.key = key;
	o->perm.uid = o->perm.cuid = (unsigned)uk_current_euid();
	o->perm.gid = o->perm.cgid = (unsigned)uk_current_egid();
	o->perm.mode = (unsigned)flags & 0777;
	o->perm.seq = ids->next_seq++;
	o->ctime = uk_ipc_now();
	ids->slot[i] = o;
	return o->perm.seq * UK_IPC_SLOTS + i;
}

void uk_ipc_remove(struct uk_ipc_ids *ids, struct uk_ipc_obj *o)
{
	for (int i = 0; i < ids->cap; i++)
		if (ids->slot[i] == o)
			ids->slot[i] = NULL;
}

int uk_ipc_count(const struct uk_ipc_ids *ids, int *top)
{
	int used = 0;

	*top = 0;
	for (int i = 0; i < ids->cap; i++)
		if (ids->slot[i]) {
			used++;
			*top = i;
		}
	return used;
}

void uk_ipc_set(struct uk_ipc_obj *o, const struct ipc64_perm *p)
{
	o->perm.uid = p->uid;
	o->perm.gid = p->gid;
	o->perm.mode = (o->perm.mode & ~0777u) | (p->mode & 0777);
	o->ctime = uk_ipc_now();
}
