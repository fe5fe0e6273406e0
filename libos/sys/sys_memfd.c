/*
 * memfd_create and file seals (fcntl's F_ADD_SEALS and F_GET_SEALS), as
 * Linux answers them. The files are ramfs's (fs/ramfs_anon.c: where they
 * live, what each seal refuses); here are the calls' own checks, and the
 * one rule that needs the memory room: F_SEAL_WRITE is refused while a
 * shared mapping of the file may write.
 */
#include <linux/memfd.h>
#include <uk/libc.h>
#include <uk/print.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include "../vfs/vfs_impl.h"

/* Linux 6.3's; Debian's headers may predate them. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif

#define MFD_KNOWN (MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)
#define MFD_NAME_MAX (UK_NAME_MAX - 6) /* "memfd:NAME" is a file name */
#define SEALS_KNOWN                                                                       \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
	 F_SEAL_EXEC)

static int memfd_flags_ok(unsigned flags)
{
	unsigned known = MFD_KNOWN;

	if (flags & MFD_HUGETLB) /* a huge page size may be encoded */
		known |= MFD_HUGE_MASK << MFD_HUGE_SHIFT;
	return !(flags & ~known) &&
	       (flags & (MFD_EXEC | MFD_NOEXEC_SEAL)) != (MFD_EXEC | MFD_NOEXEC_SEAL);
}

/* Files are made executable (0777) as Linux's default vm.memfd_noexec
 * makes them; MFD_NOEXEC_SEAL makes one 0666 and sealed against exec,
 * open to more seals. */
UK_SYSCALL2(memfd_create, const char *, name, unsigned, flags)
{
	unsigned seals = flags & MFD_ALLOW_SEALING ? 0 : F_SEAL_SEAL, mode = 0777;
	struct uk_file *f;
	int r;

	if (!memfd_flags_ok(flags))
		return -EINVAL;
	if (!name)
		return -EFAULT;
	if (uk_strnlen(name, MFD_NAME_MAX + 1) > MFD_NAME_MAX)
		return -EINVAL;
	if (flags & MFD_HUGETLB) {
		uk_trace_note("memfd_create: MFD_HUGETLB: uk has no huge pages");
		return -EINVAL;
	}
	if (flags & MFD_NOEXEC_SEAL) {
		mode = 0666;
		seals = F_SEAL_EXEC;
	}
	if ((r = uk_ramfs_memfd(name, mode, seals, &f)))
		return r;
	if ((r = uk_fd_install(f, 0, flags & MFD_CLOEXEC)) < 0)
		uk_file_put(f);
	return r;
}

long uk_fcntl_seals(struct uk_file *f, int cmd, unsigned add)
{
	struct uk_vnode *vn = f->vn;
	int cur;

	if (!vn || !vn->ops->seals)
		cur = -EINVAL;
	else
		cur = vn->ops->seals(vn, 0);
	if (cmd == F_GET_SEALS)
		return cur;
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EPERM;
	if (add & ~SEALS_KNOWN)
		return -EINVAL;
	if (cur < 0)
		return cur;
	if (cur & F_SEAL_SEAL)
		return -EPERM;
	/* an executable file sealed against exec is sealed against change
	 * too (Linux: W^X from the start), and so refused like F_SEAL_WRITE
	 * while a shared mapping may write */
	if ((add & F_SEAL_EXEC) && (vn->mode & 0111))
		add |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	if ((add & F_SEAL_WRITE) && !(cur & F_SEAL_WRITE) && uk_vm_maps_writable(vn))
		return -EBUSY;
	cur = vn->ops->seals(vn, add);
	return cur < 0 ? cur : 0;
}
