/*
 * Discretionary access control, as Linux's generic_permission, may_open,
 * may_create and may_delete decide it: the mode's owner, group and other
 * bits by the caller's fsuid, fsgid and supplementary groups (the first
 * class that matches decides, so an owner without a bit is refused even
 * where others have it), then root's capabilities: CAP_DAC_OVERRIDE reads
 * and writes anything and executes what has some execute bit (searches
 * any directory), CAP_DAC_READ_SEARCH reads anything and searches any
 * directory, CAP_FOWNER acts as any file's owner. A root that dropped
 * them is checked like anyone. Who the caller is: uk_cred_cur (uk/proc.h).
 *
 * Read-only mounts (EROFS) are checked where they were before, by the
 * callers; a 9P share's host still checks the host's permissions behind
 * these (ukrun's gofer runs as a host user).
 */
#include <linux/capability.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

int uk_vfs_perm_cred(const struct uk_cred *c, const struct uk_vnode *vn, int mask)
{
	unsigned mode = vn->mode;

	mask &= UK_MAY_READ | UK_MAY_WRITE | UK_MAY_EXEC;
	if (c->uid == vn->uid)
		mode >>= 6;
	else if (uk_cred_in_group(c, vn->gid))
		mode >>= 3;
	if (!(mask & ~mode & 7))
		return 0;
	if (uk_vfs_is_dir(vn)) {
		if (!(mask & UK_MAY_WRITE) && uk_cred_capable(c, CAP_DAC_READ_SEARCH))
			return 0;
		return uk_cred_capable(c, CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if (mask == UK_MAY_READ && uk_cred_capable(c, CAP_DAC_READ_SEARCH))
		return 0;
	/* (execute only where someone may: a file without any x bit runs
	 * for nobody, root included) */
	if ((!(mask & UK_MAY_EXEC) || (vn->mode & 0111)) && uk_cred_capable(c, CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

int uk_vfs_permission(const struct uk_vnode *vn, int mask)
{
	unsigned all = (unsigned)mask & 7;
	struct uk_cred c;

	/* what every class may do needs no credentials (a 0644 file read,
	 * a 0755 directory searched) */
	all |= all << 3 | all << 6;
	if ((vn->mode & all) == all)
		return 0;
	uk_cred_cur(&c);
	return uk_vfs_perm_cred(&c, vn, mask);
}

int uk_vfs_owner_or_capable(const struct uk_vnode *vn)
{
	struct uk_cred c;

	uk_cred_cur(&c);
	return c.uid == vn->uid || uk_cred_capable(&c, CAP_FOWNER);
}

int uk_vfs_may_create(struct uk_vnode *dir, const char *name)
{
	struct uk_vnode *vn;
	int r = uk_vfs_rofs(dir) ? -EROFS : uk_vfs_permission(dir, UK_MAY_WRITE | UK_MAY_EXEC);

	/* a name that exists is EEXIST first, as Linux's filename_create
	 * finds it (mkdir -p goes on at EEXIST) */
	if (r && name && uk_vfs_child(dir, name, &vn) == 0) {
		uk_vnode_put(vn);
		r = -EEXIST;
	}
	return r;
}

/* Removing (or replacing, or moving away) victim's name in dir: write
 * and search on dir, and in a sticky directory (/tmp) the file's owner,
 * the directory's, or CAP_FOWNER. */
int uk_vfs_may_delete(struct uk_vnode *dir, const struct uk_vnode *victim)
{
	struct uk_cred c;
	int r;

	if (uk_vfs_rofs(dir))
		return -EROFS;
	uk_cred_cur(&c);
	if ((r = uk_vfs_perm_cred(&c, dir, UK_MAY_WRITE | UK_MAY_EXEC)))
		return r;
	if ((dir->mode & S_ISVTX) && c.uid != victim->uid && c.uid != dir->uid &&
	    !uk_cred_capable(&c, CAP_FOWNER))
		return -EPERM;
	return 0;
}

void uk_vfs_new_owner(const struct uk_vnode *dir, uint32_t *mode, uint32_t *uid, uint32_t *gid)
{
	struct uk_cred c;

	uk_cred_cur(&c);
	*uid = c.uid;
	*gid = c.gid;
	if (!dir || !(dir->mode & S_ISGID))
		return;
	/* BSD's group rule in a setgid directory: the directory's group,
	 * and a new directory stays setgid */
	*gid = dir->gid;
	if ((*mode & S_IFMT) == S_IFDIR)
		*mode |= S_ISGID;
	else if ((*mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
	         !uk_cred_in_group(&c, *gid) && !uk_cred_capable(&c, CAP_FSETID))
		*mode &= ~S_ISGID;
}

int uk_vfs_kill_suid(struct uk_vnode *vn)
{
	unsigned mode = vn->mode, kill = 0;
	struct uk_setattr a = { .mask = UK_SA_MODE };

	if ((mode & S_IFMT) != S_IFREG)
		return 0;
	if (mode & S_ISUID)
		kill |= S_ISUID;
	if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		kill |= S_ISGID;
	if (!kill || uk_capable(CAP_FSETID) || !vn->ops->setattr)
		return 0;
	a.mode = mode & 07777 & ~kill;
	return vn->ops->setattr(vn, &a);
}

/* The library OS's own files are made and read as root with every
 * capability, whoever's thread does it (Linux's kernel credentials). */
static const struct uk_cred kernel_cred = { .caps = UK_CAPS_ALL };

const struct uk_cred *uk_vfs_as_kernel(void)
{
	const struct uk_cred *old = uk_current->cred;

	uk_current->cred = &kernel_cred;
	return old;
}

void uk_vfs_as_caller(const struct uk_cred *old) { uk_current->cred = old; }
