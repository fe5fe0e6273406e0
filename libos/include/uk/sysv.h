/*
 * System V IPC's namespace (libos/ipc/sysv.c): the ids, keys and
 * permissions that shared memory (mm/sysv_shm.c), semaphores and message
 * queues (ipc/sysv_sem.c, ipc/sysv_msg.c) have in common. One namespace
 * for the VM, as a container has: every process sees the same objects.
 *
 * An id is seq * UK_IPC_SLOTS + slot, as Linux makes them, so an id of
 * a removed object does not name the next one in its slot.
 */
#ifndef UK_SYSV_H
#define UK_SYSV_H

#include <asm/ipcbuf.h>
#include <stdint.h>

/* <linux/ipc.h>'s values (its header clashes with the library OS's time
 * types) */
#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64_FLAG 0x0100 /* IPC_64: ignored, the 64-bit layout is the one */

#define UK_IPC_SLOTS 32768 /* Linux's IPCMNI: the most objects of a kind */

/* What each kind of object starts with. */
struct uk_ipc_obj {
	struct ipc64_perm perm; /* key, owner, creator, mode, seq */
	long ctime;             /* last change (creation, IPC_SET), seconds */
};

/* The objects of one kind: zero-initialised is empty. */
struct uk_ipc_ids {
	struct uk_ipc_obj **slot; /* grown on demand, up to max */
	int cap, max;             /* max: set by the kind (its *MNI) */
	unsigned short next_seq;
};

/* The get(2) calls' look-up: the id of key's object when it has one
 * (-EEXIST for IPC_CREAT|IPC_EXCL, -EACCES when flags' mode bits ask for
 * more than the caller may), -ENOENT when there is none and flags lack
 * IPC_CREAT, or 0 with *found NULL when a new object is to be made
 * (IPC_PRIVATE, or IPC_CREAT of an unknown key). */
long uk_ipc_lookup(struct uk_ipc_ids *ids, int key, int flags, struct uk_ipc_obj **found);

/* Put o in a free slot, owned by the caller with flags' mode bits: its
 * id, or -ENOSPC (max objects), -ENOMEM. */
long uk_ipc_add(struct uk_ipc_ids *ids, struct uk_ipc_obj *o, int key, int flags);

/* The object of id, or NULL (no such id, or removed). */
struct uk_ipc_obj *uk_ipc_of(const struct uk_ipc_ids *ids, int id);

/* The object in slot index (*_STAT commands), or NULL. */
struct uk_ipc_obj *uk_ipc_at(const struct uk_ipc_ids *ids, int index);

/* The *_STAT commands' object: the one in slot index, which the caller
 * may read unless any (*_STAT_ANY); NULL with *err -EINVAL or -EACCES. */
struct uk_ipc_obj *uk_ipc_stat_obj(const struct uk_ipc_ids *ids, int index, int any, long *err);

/* o's id. */
int uk_ipc_id(const struct uk_ipc_ids *ids, const struct uk_ipc_obj *o);

/* Take o out of ids (IPC_RMID): its id names nothing from now on. */
void uk_ipc_remove(struct uk_ipc_ids *ids, struct uk_ipc_obj *o);

/* How many objects, and the highest slot in use (what *_INFO returns). */
int uk_ipc_count(const struct uk_ipc_ids *ids, int *top);

/* Whether the caller may read (4), write/alter (2) o: 0 or -EACCES. Root
 * may do anything (CAP_IPC_OWNER). */
long uk_ipc_access(const struct uk_ipc_obj *o, unsigned want);

/* IPC_SET and IPC_RMID: 0 when the caller owns or created o, or is root;
 * else -EPERM. */
long uk_ipc_owner(const struct uk_ipc_obj *o);

/* IPC_SET's part every kind shares: owner, group, mode bits from p. */
void uk_ipc_set(struct uk_ipc_obj *o, const struct ipc64_perm *p);

/* The wall clock in seconds, for the objects' times. */
long uk_ipc_now(void);

/* System V semaphores: a process's SEM_UNDO adjustments are applied when
 * it ends (the process room calls it as its last thread ends). */
void uk_sem_exit(int pid);

#endif
