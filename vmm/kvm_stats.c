/*
 * The host kernel's own counters for this VM and its vCPU (KVM's binary
 * statistics, Linux 5.14+), for the --verbose summary: exits that never
 * reach ukrun (shadow page faults, emulated instructions, invlpg, halts)
 * are where the paravirtual host's time goes, and only the kernel counts
 * them.
 *
 * The statistics file cannot seek (its llseek is a no-op), so it is read
 * once, whole, at the end: header, descriptors and values in one read,
 * which also keeps the lock-down's allow-list to plain read.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

#define STATS_MAX (64u << 10)

void vmm_kvm_stats_open(struct vmm *vm)
{
	vm->stats_fd[0] = vm->stats_fd[1] = -1;
	if (!vmm_verbose_on)
		return;
	vm->stats_fd[0] = ioctl(vm->vm, KVM_GET_STATS_FD, 0);
	vm->stats_fd[1] = ioctl(vm->vcpu, KVM_GET_STATS_FD, 0);
}

/* "name value" of every cumulative counter that is not zero. */
static size_t stats_line(int fd, char *out, size_t room)
{
	static unsigned char buf[STATS_MAX];
	struct kvm_stats_header h;
	size_t n = 0;
	ssize_t got = read(fd, buf, sizeof(buf));

	if (got < (ssize_t)sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	for (uint32_t i = 0; i < h.num_desc; i++) {
		size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
		size_t at = h.desc_offset + i * dsz;
		struct kvm_stats_desc d;
		uint64_t v;

		if (at + dsz > (size_t)got)
			break;
		memcpy(&d, buf + at, sizeof(d));
		if ((d.flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d.size != 1 ||
		    h.data_offset + d.offset + 8 > (size_t)got)
			continue;
		memcpy(&v, buf + h.data_offset + d.offset, 8);
		if (v && n < room)
			n += snprintf(out + n, room - n, " %.*s %llu", (int)h.name_size,
			              (const char *)buf + at + sizeof(d), (unsigned long long)v);
	}
	return n < room ? n : room - 1;
}

void vmm_kvm_stats_print(struct vmm *vm)
{
	char line[900];

	for (int i = 0; i < 2; i++) {
		if (vm->stats_fd[i] < 0)
			continue;
		line[0] = 0;
		stats_line(vm->stats_fd[i], line, sizeof(line));
		vmm_verbose(vm, "KVM counts (%s):%s", i ? "vCPU" : "VM", line[0] ? line : " none");
		close(vm->stats_fd[i]);
		vm->stats_fd[i] = -1;
	}
}
