/*
 * Loading: the image's segments into guest RAM, then the PVH boot data
 * (start info, memory map, command line) and the runtime device tree that
 * tells the guest what ukrun knows (TSC frequency, KVM flavour, overrides).
 * Every check happens before the first byte is copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uk/manifest.h>

#include "../image/image.h"
#include "../image/manifest.h"
#include "virtio.h"
#include "vmm.h"

int vmm_image_fits(const struct uki_image *img, uint64_t mem, const char *path)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct uki_seg *s = &img->seg[i];
		if (s->paddr < UK_GPA_IMAGE_MIN || s->paddr > mem || s->memsz > mem - s->paddr) {
			vmm_err("%s: segment at %#llx..%#llx does not fit in guest RAM "
			        "%#llx..%#llx%s",
			        path, (unsigned long long)s->paddr,
			        (unsigned long long)(s->paddr + s->memsz),
			        (unsigned long long)UK_GPA_IMAGE_MIN, (unsigned long long)mem,
			        s->paddr >= UK_GPA_IMAGE_MIN ? " (try a larger --mem)" : "");
			return -1;
		}
	}
	return 0;
}

#define PAGE 4096ull

/* A segment into guest RAM at dst. Its whole pages that lie at the same
 * offset in a page of the file and of guest RAM are copied by the host
 * kernel: the file mapped private over guest RAM with MAP_POPULATE, which
 * breaks every page's copy-on-write at once, so the guest has its own copy
 * as with memcpy, without a page fault per 4 KiB page (java.img's 196 MB
 * archive: 144-171 -> 106-113 ms on the quiet paravirtual machine). The
 * rest, and every page if that mapping fails, is copied here. */
static void place(struct vmm *vm, const uint8_t *file, const struct uki_seg *s, uint8_t *dst)
{
	uint64_t head = (PAGE - s->paddr % PAGE) % PAGE, whole = 0;
	int flags = MAP_PRIVATE | MAP_FIXED | MAP_POPULATE;

	if (s->offset % PAGE == s->paddr % PAGE && s->filesz > head)
		whole = (s->filesz - head) & ~(PAGE - 1);
	if (whole && mmap(dst + head, whole, PROT_READ | PROT_WRITE, flags, vm->image_fd,
	                  (off_t)(s->offset + head)) != MAP_FAILED) {
		memcpy(dst, file + s->offset, head);
		memcpy(dst + head + whole, file + s->offset + head + whole,
		       s->filesz - head - whole);
		return;
	}
	/* (a failed MAP_FIXED may leave a hole: fresh RAM there again) */
	if (whole)
		mmap(dst + head, whole, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	memcpy(dst, file + s->offset, s->filesz); /* the rest is fresh zero RAM */
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
/* The most of a segment's zero-filled tail (.bss) made present here. */
#define BSS_POPULATE (1ull << 20)

/*
 * A segment's .bss made present in host memory before the guest runs, up
 * to BSS_POPULATE (the library OS's own is ~250 KiB in every image). On
 * the paravirtual host the guest's first touch of a page is an exit, and
 * KVM's shadow MMU maps a faulting page's neighbours with it only where
 * their host pages are present and writable: so a fresh .bss costs an
 * exit a page, a populated one an exit per few pages. hello: exits 94 ->
 * 73, KVM's pf_taken 64 -> 43; main() 5.88 -> 5.23 ms (median of 100
 * interleaved runs under chrt -f 10, load 13), the populating itself in
 * the noise of "image loaded". Best effort: an older kernel (EINVAL) or
 * no memory leaves the pages to the guest's faults, as before.
 */
static void populate_bss(struct vmm *vm, const struct uki_seg *s)
{
	uint64_t from = (s->paddr + s->filesz + PAGE - 1) & ~(PAGE - 1);
	uint64_t to = (s->paddr + s->memsz + PAGE - 1) & ~(PAGE - 1);

	if (to > from + BSS_POPULATE)
		to = from + BSS_POPULATE;
	if (to > from)
		madvise(VMM_GPA(vm, from, to - from), to - from, MADV_POPULATE_WRITE);
}

static int place_segments(struct vmm *vm, const uint8_t *file, const struct uki_image *img,
                          const char *path)
{
	uint64_t end = UK_GPA_IMAGE_MIN;

	if (vmm_image_fits(img, vm->ram_size, path))
		return -1;
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct uki_seg *s = &img->seg[i];
		place(vm, file, s, VMM_GPA(vm, s->paddr, s->memsz));
		populate_bss(vm, s);
		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
	}
	vmm_mem_huge(vm, end);
	return 0;
}

static int fdt_strlist(void *fdt, const char *name, const char *const *v, int n)
{
	size_t len = 0;
	char *buf, *p;
	int r;

	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if (!(p = buf = malloc(len + 1)))
		return -FDT_ERR_NOSPACE;
	for (int i = 0; i < n; i++)
		p = stpcpy(p, v[i]) + 1;
	r = fdt_property(fdt, name, buf, (int)len);
	free(buf);
	return r;
}

static int runtime_tree(struct vmm *vm, void *buf, size_t size)
{
	const struct vmm_opts *o = vm->opts;
	uint32_t flags = 0, tty = 0;
	uint8_t seed[64];
	struct timespec now;
	int r;

	if (vm->pvm)
		flags |= UK_PF_PVM;
	if (o->trace)
		flags |= UK_PF_TRACE;
	if (o->no_rewrite)
		flags |= UK_PF_NO_REWRITE;
	if (o->verbose)
		flags |= UK_PF_TIMELINE;
	if (o->read_only)
		flags |= UK_PF_ROOT_RO;
	if (vm->pic_masked)
		flags |= UK_PF_PIC_MASKED;
	if (vm->signal_routed)
		flags |= UK_PF_SIGNAL_ROUTED;
	if (o->oci_fifo)
		flags |= UK_PF_QUIET_END;
	for (int fd = 0; fd < 3; fd++)
		tty |= isatty(fd) << fd;
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed))
		memset(seed, 0, sizeof(seed));
	clock_gettime(CLOCK_REALTIME, &now);

	r = fdt_create(buf, (int)size);
	r = r ?: fdt_finish_reservemap(buf);
	r = r ?: fdt_begin_node(buf, "");
	r = r ?: fdt_begin_node(buf, "chosen");
	r = r ?: fdt_property_u32(buf, UK_DT_ABI, UK_ABI_VERSION);
	r = r ?: fdt_property_u32(buf, UK_DT_FLAGS, flags);
	r = r ?: fdt_property_u32(buf, UK_DT_TTY, tty);
	r = r ?: fdt_property_u32(buf, UK_DT_TSC_KHZ, vm->tsc_khz);
	r = r ?: fdt_property_u32(buf, UK_DT_SIGNAL_IRQ, VMM_SIGNAL_PIN);
	if (o->oci_exec)
		r = r ?: fdt_property_u32(buf, UK_DT_EXEC_IRQ, VMM_EXEC_PIN);
	if (o->hostname)
		r = r ?: fdt_property_string(buf, UK_DT_HOSTNAME, o->hostname);
	if (vm->pvm)
		r = r ?: fdt_property_u64(buf, UK_DT_VIF, UK_GPA_VIF);
	r = r
	        ?: fdt_property_u64(buf, UK_DT_EPOCH,
	                            (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	r = r ?: fdt_property_u64(buf, UK_DT_EPOCH_TSC, vm->epoch_tsc);
	r = r ?: fdt_property(buf, UK_DT_SEED, seed, sizeof(seed));
	if (o->cmd)
		r = r ?: fdt_strlist(buf, UK_DT_CMD, o->cmd, o->ncmd);
	if (o->workdir)
		r = r ?: fdt_property_string(buf, UK_DT_WORKDIR, o->workdir);
	if (o->entrypoint)
		r = r ?: fdt_strlist(buf, UK_DT_ENTRYPOINT, &o->entrypoint, *o->entrypoint ? 1 : 0);
	if (o->nenv)
		r = r ?: fdt_strlist(buf, UK_DT_ENV, o->env, o->nenv);
	if (o->ntmpfs)
		r = r ?: fdt_strlist(buf, UK_DT_TMPFS, o->tmpfs, o->ntmpfs);
	r = r ?: fdt_end_node(buf);
	r = r ?: vmm_virtio_fdt(vm, buf); /* a node per device */
	r = r ?: fdt_end_node(buf);
	r = r ?: fdt_finish(buf);
	return r ?: (int)fdt_totalsize(buf);
}

/* The runtime tree at UK_GPA_DTB. libfdt zeroes the whole buffer it is
 * given: a first try in DTB_FIRST touches 4 of the guest's pages where
 * UK_DTB_MAX's zeroing touched 112 (0.23 ms of host page faults on the
 * paravirtual host, and guest memory made resident for nothing); long
 * argument or variable lists get the rest. */
#define DTB_FIRST (16u << 10)
static int runtime_tree_at(struct vmm *vm)
{
	void *dtb = VMM_GPA(vm, UK_GPA_DTB, UK_DTB_MAX);
	int r = runtime_tree(vm, dtb, DTB_FIRST);

	if (r == -FDT_ERR_NOSPACE)
		r = runtime_tree(vm, dtb, UK_DTB_MAX);
	if (r < 0)
		vmm_err("runtime device tree: %s (too many arguments or variables?)",
		        fdt_strerror(r));
	return r;
}

static int boot_info(struct vmm *vm)
{
	struct hvm_start_info *si = VMM_GPA(vm, UK_GPA_START_INFO, sizeof(*si));
	struct hvm_modlist_entry *mod = (void *)(si + 1);
	struct hvm_memmap_table_entry *mm = (void *)(mod + 1);
	int dtb_size = runtime_tree_at(vm);

	if (dtb_size < 0)
		return -1;
	mm[0] = (struct hvm_memmap_table_entry){ 0, UK_GPA_IMAGE_MIN, UK_E820_RESERVED, 0 };
	mm[1] = (struct hvm_memmap_table_entry){ UK_GPA_IMAGE_MIN, vm->ram_size - UK_GPA_IMAGE_MIN,
		                                 UK_E820_RAM, 0 };
	*mod = (struct hvm_modlist_entry){ UK_GPA_DTB, (uint64_t)dtb_size, 0, 0 };
	*si = (struct hvm_start_info){
		.magic = UK_PVH_MAGIC,
		.version = 1,
		.nr_modules = 1,
		.modlist_paddr = UK_GPA_START_INFO + ((uint8_t *)mod - (uint8_t *)si),
		.memmap_paddr = UK_GPA_START_INFO + ((uint8_t *)mm - (uint8_t *)si),
		.memmap_entries = 2,
	};
	return 0;
}

/* The image's volume points (ukbuild --volume, an OCI image's Volumes), in
 * a list the caller frees; empty when it declares none. */
int vmm_image_volumes(const struct uk_mf *mf, struct uki_strlist *out)
{
	const char *p;
	int pos = 0, len;

	memset(out, 0, sizeof(*out));
	while ((p = uk_mf_next(&mf->mounts, &pos, &len)))
		if (uki_strlist_add(out, p)) {
			vmm_err("out of memory");
			return -1;
		}
	return 0;
}

static void *map_file(const char *path, size_t *size, int *fd)
{
	struct stat st;
	void *p;

	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		vmm_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		vmm_err("%s: not a regular file", path);
		goto fail;
	}
	*size = st.st_size;
	p = st.st_size ? mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, *fd, 0) : MAP_FAILED;
	if (p == MAP_FAILED) {
		vmm_err("%s: %s", path, st.st_size ? strerror(errno) : "empty file, not an image");
		goto fail;
	}
	return p;
fail:
	close(*fd);
	*fd = -1;
	return NULL;
}

void *vmm_image_open(const char *path, size_t *size, struct uki_image *img, struct uk_mf *mf,
                     int *fd)
{
	char err[256];
	void *file = map_file(path, size, fd);

	if (!file)
		return NULL;
	*mf = (struct uk_mf){ 0 };
	if (uki_image_parse(file, *size, img, err, sizeof(err)) ||
	    (img->manifest && uk_mf_read(mf, img->manifest, img->manifest_size) &&
	     snprintf(err, sizeof(err), "its manifest (.uk_manifest) is corrupt"))) {
		vmm_err("%s: %s", path, err);
		munmap(file, *size);
		close(*fd);
		*fd = -1;
		return NULL;
	}
	return file;
}

uint64_t vmm_load(struct vmm *vm, const void *file, const struct uki_image *img, const char *path)
{
	if (place_segments(vm, file, img, path) || boot_info(vm))
		return 0;
	return img->entry32;
}
