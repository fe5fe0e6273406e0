/*
 * The devices ukrun can give a guest, in one table walked in order: slots
 * (MMIO windows and IOAPIC pins) are handed out in this order, so a guest
 * sees the same layout for the same options. Add a device with one line
 * here (and its setup/teardown declared next to the table).
 */
#include "virtio.h"

int vmm_net_check(const struct vmm_opts *o);
int vmm_net_setup(struct vmm *vm);
void vmm_net_teardown(struct vmm *vm);
int vmm_blk_check(const struct vmm_opts *o);
int vmm_blk_setup(struct vmm *vm);
void vmm_blk_teardown(struct vmm *vm);
int vmm_9p_check(const struct vmm_opts *o);
int vmm_9p_setup(struct vmm *vm);
void vmm_9p_teardown(struct vmm *vm);

static const struct vmm_device_type types[] = {
	{ "virtio-net", vmm_net_check, vmm_net_setup, vmm_net_teardown },
	{ "virtio-blk", vmm_blk_check, vmm_blk_setup, vmm_blk_teardown },
	{ "virtio-9p", vmm_9p_check, vmm_9p_setup, vmm_9p_teardown },
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

int vmm_devices_check(const struct vmm_opts *o)
{
	for (const struct vmm_device_type *t = types; t < types + NTYPES; t++)
		if (t->check(o))
			return -1;
	return 0;
}

int vmm_devices_setup(struct vmm *vm)
{
	for (const struct vmm_device_type *t = types; t < types + NTYPES; t++)
		if (t->setup(vm))
			return -1;
	return 0;
}

void vmm_devices_teardown(struct vmm *vm)
{
	for (unsigned i = 0; i < vmm_nvdevs; i++)
		vmm_vdev_stop(vmm_vdevs[i]);
	for (const struct vmm_device_type *t = types + NTYPES; t-- > types;)
		t->teardown(vm);
}
