/*
 * libFuzzer target: a hostile driver against ukrun's virtio-mmio transport
 * (vmm/virtio_mmio.c) with a real device behind it (virtio-blk over a
 * temporary disk image) and a simulated guest memory, no KVM. The input is
 * a program of 8-byte steps:
 *
 *   byte 0 (mod 4)  0: write a register, 1: read one, 2: poke guest memory,
 *                   3: kick a queue
 *   byte 1          the register (a 32-bit slot of the 0x100 register
 *                   window, or of the device's configuration above it)
 *   bytes 4..7      the value, the address, or the queue
 *
 * A poke copies the next 16 input bytes into guest memory (descriptors,
 * ring indexes, requests). After the program the device is reset. Whatever
 * the program: nothing crashes, nothing outside guest memory is touched
 * (the sanitizer watches), and once reset the device runs no thread.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uk/virtio.h>

#include "../../vmm/virtio.h"
#include "../unit/mmio_drv.h"

int vmm_blk_setup(struct vmm *vm);

#define MEM_SIZE (256u << 10)

static struct vmm vm;
static struct vmm_opts opts;
static struct vmm_vdev *dev;

static void reg(uint32_t off, uint32_t v, int write)
{
	vmm_virtio_mmio(&vm, dev->base + off, (uint8_t *)&v, 4, write);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char path[64], spec[80];
	int fd;

	snprintf(path, sizeof(path), "/tmp/uk-fuzz-mmio-%d.img", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 64 << 10))
		abort();
	close(fd);
	snprintf(spec, sizeof(spec), "%s:/data", path);
	opts.ndisks = 1, opts.disks[0] = spec;
	vm = (struct vmm){ .kvm = -1, .vm = -1, .vcpu = -1, .opts = &opts };
	vm.ram = aligned_alloc(4096, MEM_SIZE);
	vm.ram_size = MEM_SIZE;
	if (!vm.ram || vmm_blk_setup(&vm) || vmm_nvdevs != 1)
		abort();
	unlink(path); /* the open descriptor keeps it */
	dev = vmm_vdevs[0];
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int before;

	memset(vm.ram, 0, MEM_SIZE);
	reg(UK_VIRTIO_MMIO_STATUS, 0, 1);
	before = threads();
	for (size_t step; size >= 8; data += step, size -= step) {
		uint32_t v, off = (uint32_t)data[1] * 4;
		memcpy(&v, data + 4, 4);
		step = 8;
		switch (data[0] % 4) {
		case 0: reg(off, v, 1); break;
		case 1: reg(off, 0, 0); break;
		case 2: /* the next 16 bytes into guest memory */
			if (size < 24)
				goto done;
			memcpy((uint8_t *)vm.ram + v % (MEM_SIZE - 16), data + 8, 16);
			step = 24;
			break;
		case 3: reg(UK_VIRTIO_MMIO_QUEUE_NOTIFY, v % 4, 1); break;
		}
	}
done:
	reg(UK_VIRTIO_MMIO_STATUS, 0, 1);
	/* (a joined thread leaves /proc a moment after the join returns) */
	for (int i = 0; i < 1000 && threads() != before; i++)
		usleep(100);
	if (threads() != before || dev->running)
		abort(); /* a reset left a device thread behind */
	return 0;
}
