// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_dmaapi - QEMU tier, test only: the DMA API contract on one PCI
 * device (QEMU's edu, left unbound), checked through whatever DMA ops the
 * device has; meant for xen_pviommu's.  No DMA is done by the device:
 * bounce buffers are read and written through the CPU (under BFN = PFN a
 * bounce bus address is the buffer's physical address), which is how a
 * device would see them.
 *
 * debugfs xpv_dmaapi/:
 *   run       reading runs every check: "ok N - ..." / "not ok N - ..."
 *             lines, then "# N checks, N failed"
 *   coherent  a 16 KiB coherent buffer: mmap() it (dma_mmap_coherent()),
 *             read() it back through the kernel's mapping
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>

#define COH_SIZE	(4 * PAGE_SIZE)
#define MAX_BOUNCE	(256 * 1024)

/**
 * struct xpv_dmaapi - module state
 * @lock:    serialises runs and the coherent file.
 * @pdev:    the device (a reference is held).
 * @coh:     the coherent buffer of the coherent file.
 * @coh_bus: its bus address.
 * @log:     result lines of the last run.  Protected by @lock.
 * @buf:     storage of @log.
 * @nr:      checks of the last run.  Protected by @lock.
 * @failed:  failures of the last run.  Protected by @lock.
 * @dir:     debugfs directory.
 */
static struct xpv_dmaapi {
	struct mutex lock;	/* runs, log, coherent file */
	struct pci_dev *pdev;
	void *coh;
	dma_addr_t coh_bus;
	struct seq_buf log;
	char buf[16384];
	unsigned int nr;
	unsigned int failed;
	struct dentry *dir;
} t = {
	.lock = __MUTEX_INITIALIZER(t.lock),
};

static __printf(2, 3) void check(bool ok, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	t.nr++;
	if (!ok)
		t.failed++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	seq_buf_printf(&t.log, "%sok %u - %s\n", ok ? "" : "not ", t.nr,
		       what);
}

static bool all_bytes(const u8 *p, size_t n, u8 v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void *bounce_va(dma_addr_t bus)
{
	return phys_to_virt(bus);
}

static void check_masks(struct device *dev)
{
	u64 top = virt_to_phys(high_memory - 1);
	u64 req;

	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	req = dma_get_required_mask(dev);
	check(req >= top && !(req & (req + 1)),
	      "required mask 0x%llx covers RAM (top 0x%llx)", req, top);
	check(dma_max_mapping_size(dev) == SIZE_MAX,
	      "64-bit mask: no mapping size limit");
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28));
	check(dma_max_mapping_size(dev) == MAX_BOUNCE,
	      "28-bit mask: mappings limited to one bounce buffer (%zu)",
	      dma_max_mapping_size(dev));
	check(!dma_set_mask(dev, DMA_BIT_MASK(24)) &&
	      dma_set_mask(dev, DMA_BIT_MASK(20)),
	      "24-bit masks supported, 20-bit refused");
}

static void check_coherent(struct device *dev)
{
	struct sg_table sgt;
	dma_addr_t bus;
	struct page *pg;
	u8 *p;

	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(28));
	p = dma_alloc_coherent(dev, 3 * PAGE_SIZE, &bus, GFP_KERNEL);
	check(p && bus == virt_to_phys(p) &&
	      bus + 3 * PAGE_SIZE - 1 <= DMA_BIT_MASK(28) &&
	      all_bytes(p, 3 * PAGE_SIZE, 0),
	      "alloc_coherent: zeroed, bus = phys, below the coherent mask");
	if (p) {
		check(!dma_get_sgtable(dev, &sgt, p, bus, 3 * PAGE_SIZE) &&
		      sgt.orig_nents == 1 &&
		      sg_page(sgt.sgl) == virt_to_page(p) &&
		      sgt.sgl->length == 3 * PAGE_SIZE,
		      "get_sgtable: one entry, the buffer's pages");
		sg_free_table(&sgt);
		dma_free_coherent(dev, 3 * PAGE_SIZE, p, bus);
	}
	pg = dma_alloc_pages(dev, 2 * PAGE_SIZE, &bus, DMA_BIDIRECTIONAL,
			     GFP_KERNEL);
	/* DMA-API debug tracks the handle like a streaming map's. */
	check(pg && !dma_mapping_error(dev, bus) && bus == page_to_phys(pg) &&
	      bus + 2 * PAGE_SIZE - 1 <= DMA_BIT_MASK(28) &&
	      all_bytes(page_address(pg), 2 * PAGE_SIZE, 0),
	      "alloc_pages: zeroed, bus = phys, below the mask");
	if (pg)
		dma_free_pages(dev, 2 * PAGE_SIZE, pg, bus, DMA_BIDIRECTIONAL);
}

static void check_resource(struct device *dev, struct pci_dev *pdev)
{
	const struct dma_map_ops *ops;
	phys_addr_t bar = pci_resource_start(pdev, 0);
	dma_addr_t bus;

	dma_set_mask(dev, DMA_BIT_MASK(64));
	bus = dma_map_resource(dev, bar, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	check(bus == bar, "map_resource: MMIO keeps its address (%pa)", &bar);
	if (!dma_mapping_error(dev, bus))
		dma_unmap_resource(dev, bus, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	/*
	 * The refusal goes to the ops directly: 6.1's DMA-API debug records
	 * even a failed dma_map_resource(), and nothing can remove it.
	 */
	dma_set_mask(dev, DMA_BIT_MASK(24));
	ops = get_dma_ops(dev);
	bus = ops->map_resource(dev, bar, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	check(bar <= DMA_BIT_MASK(24) || bus == DMA_MAPPING_ERROR,
	      "map_resource: refused beyond the mask");
}

/* A buffer high enough to be bounced with a 24-bit mask. */
static u8 *high_buf(size_t size)
{
	u8 *p = kmalloc(size, GFP_KERNEL);

	if (p && virt_to_phys(p) + size - 1 <= DMA_BIT_MASK(24)) {
		kfree(p);
		p = NULL;
	}
	return p;
}

static void check_bounce(struct device *dev)
{
	u8 *a = high_buf(8192), *b = high_buf(8192);
	dma_addr_t ba, bb;

	dma_set_mask(dev, DMA_BIT_MASK(24));
	if (!a || !b) {
		check(false, "bounce: buffers above 16 MiB");
		goto out;
	}
	/* A leaves 0xaa in the pool; B, mapped from-device, must not see it. */
	memset(a, 0xaa, 8192);
	ba = dma_map_single(dev, a, 8192, DMA_BIDIRECTIONAL);
	check(!dma_mapping_error(dev, ba) && ba != virt_to_phys(a) &&
	      ba + 8191 <= DMA_BIT_MASK(24) &&
	      !memcmp(bounce_va(ba), a, 8192),
	      "bounce: mapped below the mask, data copied in");
	if (!dma_mapping_error(dev, ba))
		dma_unmap_single(dev, ba, 8192, DMA_BIDIRECTIONAL);
	memset(b, 0x55, 8192);
	bb = dma_map_single(dev, b, 8192, DMA_FROM_DEVICE);
	check(!dma_mapping_error(dev, bb) && all_bytes(bounce_va(bb), 8192,
						       0x55),
	      "bounce: a from-device map shows the buffer, not the last user's data%s",
	      bb == ba ? " (same slot)" : "");
	if (dma_mapping_error(dev, bb))
		goto out;
	/* The "device" writes 1000 bytes at offset 1000; sync just those. */
	memset(bounce_va(bb) + 1000, 0x77, 1000);
	dma_sync_single_for_cpu(dev, bb + 1000, 1000, DMA_FROM_DEVICE);
	check(all_bytes(b, 1000, 0x55) && all_bytes(b + 1000, 1000, 0x77) &&
	      all_bytes(b + 2000, 6192, 0x55),
	      "bounce: a partial sync for the CPU copies exactly its range");
	dma_unmap_single(dev, bb, 8192, DMA_FROM_DEVICE);

	/* The other way, on a bidirectional mapping of the same buffer. */
	bb = dma_map_single(dev, b, 8192, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, bb)) {
		check(false, "bounce: a bidirectional map");
		goto out;
	}
	memset(b + 3000, 0x22, 100);
	dma_sync_single_for_device(dev, bb + 3000, 100, DMA_BIDIRECTIONAL);
	check(all_bytes(bounce_va(bb) + 3000, 100, 0x22) &&
	      all_bytes(bounce_va(bb) + 3100, 100, 0x55),
	      "bounce: a partial sync for the device copies exactly its range");
	memset(bounce_va(bb) + 5000, 0x99, 10);
	dma_unmap_single_attrs(dev, bb, 8192, DMA_BIDIRECTIONAL,
			       DMA_ATTR_SKIP_CPU_SYNC);
	check(all_bytes(b + 5000, 10, 0x55),
	      "bounce: unmap with SKIP_CPU_SYNC copies nothing back");
out:
	kfree(a);
	kfree(b);
}

static void check_align_boundary(struct device *dev)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	u8 *p = high_buf(2 * PAGE_SIZE);
	dma_addr_t bus[6];
	bool ok = true;
	int i;

	dma_set_mask(dev, DMA_BIT_MASK(24));
	if (!p) {
		check(false, "align: buffer above 16 MiB");
		return;
	}
	dma_set_min_align_mask(dev, PAGE_SIZE - 1);
	bus[0] = dma_map_single(dev, p + 0x234, 512, DMA_TO_DEVICE);
	check(!dma_mapping_error(dev, bus[0]) &&
	      (bus[0] & (PAGE_SIZE - 1)) == (virt_to_phys(p + 0x234) &
					     (PAGE_SIZE - 1)),
	      "min_align_mask: the bounce address keeps the low bits");
	if (!dma_mapping_error(dev, bus[0]))
		dma_unmap_single(dev, bus[0], 512, DMA_TO_DEVICE);
	dma_set_min_align_mask(dev, 0);
	kfree(p);

	p = high_buf(40 * 1024);
	if (!p) {
		check(false, "boundary: buffer above 16 MiB");
		return;
	}
	dma_set_seg_boundary(dev, 0xffff);
	for (i = 0; i < 6; i++) {
		bus[i] = dma_map_single(dev, p, 40 * 1024, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, bus[i]) ||
		    ((bus[i] ^ (bus[i] + 40 * 1024 - 1)) & ~0xffffull))
			ok = false;
	}
	check(ok, "segment boundary 64 KiB: six 40 KiB bounces, none crosses");
	for (i = 0; i < 6; i++)
		if (!dma_mapping_error(dev, bus[i]))
			dma_unmap_single(dev, bus[i], 40 * 1024, DMA_TO_DEVICE);
	dma_set_seg_boundary(dev, boundary);
	kfree(p);
}

/* ZONE_DMA's 1 MiB chunk is all a 24-bit mask can use: four 256 KiB maps. */
static void check_exhaustion(struct device *dev)
{
	u8 *p = kmalloc(MAX_BOUNCE, GFP_KERNEL);
	struct sg_table sgt;
	dma_addr_t bus[5];
	int i, n = 0, rc;

	dma_set_mask(dev, DMA_BIT_MASK(24));
	if (!p || virt_to_phys(p) <= DMA_BIT_MASK(24)) {
		check(false, "exhaustion: buffer above 16 MiB");
		kfree(p);
		return;
	}
	for (i = 0; i < 5; i++) {
		bus[i] = dma_map_single(dev, p, MAX_BOUNCE, DMA_TO_DEVICE);
		if (!dma_mapping_error(dev, bus[i]))
			n++;
	}
	check(n == 4 && dma_mapping_error(dev, bus[4]),
	      "exhaustion: four 256 KiB bounces fit below 16 MiB, the fifth fails (%d)",
	      n);
	if (!sg_alloc_table(&sgt, 1, GFP_KERNEL)) {
		sg_set_buf(sgt.sgl, p, PAGE_SIZE);
		rc = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
		check(rc == -ENOMEM, "exhaustion: map_sg says -ENOMEM (%d)",
		      rc);
		if (!rc)
			dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
		sg_free_table(&sgt);
	}
	for (i = 0; i < 5; i++)
		if (!dma_mapping_error(dev, bus[i]))
			dma_unmap_single(dev, bus[i], MAX_BOUNCE,
					 DMA_TO_DEVICE);
	bus[0] = dma_map_single(dev, p, MAX_BOUNCE + 1, DMA_TO_DEVICE);
	check(dma_mapping_error(dev, bus[0]),
	      "a bounce larger than 256 KiB is refused");
	kfree(p);
}

static void check_sg_merge(struct device *dev)
{
	struct page *pg = alloc_pages(GFP_KERNEL, 2);
	struct scatterlist sg[4];
	int i, n;

	dma_set_mask(dev, DMA_BIT_MASK(64));
	if (!pg) {
		check(false, "sg: four contiguous pages");
		return;
	}
	sg_init_table(sg, 4);
	for (i = 0; i < 4; i++)
		sg_set_page(&sg[i], pg + i, PAGE_SIZE, 0);
	n = dma_map_sg(dev, sg, 4, DMA_TO_DEVICE);
	check(n == 1 && sg_dma_address(&sg[0]) == page_to_phys(pg) &&
	      sg_dma_len(&sg[0]) == 4 * PAGE_SIZE,
	      "sg: four contiguous pages merge into one segment (%d)", n);
	if (n > 0)
		dma_unmap_sg(dev, sg, 4, DMA_TO_DEVICE);
	/* Reverse order: nothing touches, nothing merges. */
	sg_init_table(sg, 4);
	for (i = 0; i < 4; i++)
		sg_set_page(&sg[i], pg + 3 - i, PAGE_SIZE, 0);
	n = dma_map_sg(dev, sg, 4, DMA_TO_DEVICE);
	check(n == 4 && sg_dma_address(&sg[3]) == page_to_phys(pg),
	      "sg: pages out of order stay four segments (%d)", n);
	if (n > 0)
		dma_unmap_sg(dev, sg, 4, DMA_TO_DEVICE);
	__free_pages(pg, 2);
}

static ssize_t run_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	struct device *dev = &t.pdev->dev;
	u64 mask, coherent;
	ssize_t rc;

	mutex_lock(&t.lock);
	if (!*ppos) {
		seq_buf_init(&t.log, t.buf, sizeof(t.buf));
		t.nr = 0;
		t.failed = 0;
		device_lock(dev);
		mask = *dev->dma_mask;
		coherent = dev->coherent_dma_mask;
		check_masks(dev);
		check_coherent(dev);
		check_resource(dev, t.pdev);
		check_bounce(dev);
		check_align_boundary(dev);
		check_exhaustion(dev);
		check_sg_merge(dev);
		*dev->dma_mask = mask;
		dev->coherent_dma_mask = coherent;
		device_unlock(dev);
		seq_buf_printf(&t.log, "# %u checks, %u failed\n", t.nr,
			       t.failed);
	}
	rc = simple_read_from_buffer(ubuf, len, ppos, t.buf,
				     seq_buf_used(&t.log));
	mutex_unlock(&t.lock);
	return rc;
}

static const struct file_operations run_fops = {
	.owner	= THIS_MODULE,
	.read	= run_read,
	.llseek	= default_llseek,
};

static int coh_mmap(struct file *file, struct vm_area_struct *vma)
{
	return dma_mmap_coherent(&t.pdev->dev, vma, t.coh, t.coh_bus,
				 COH_SIZE);
}

static ssize_t coh_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, t.coh, COH_SIZE);
}

static const struct file_operations coh_fops = {
	.owner	= THIS_MODULE,
	.mmap	= coh_mmap,
	.read	= coh_read,
	.llseek	= default_llseek,
};

static int __init xpv_dmaapi_init(void)
{
	t.pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!t.pdev)
		return -ENODEV;
	if (t.pdev->dev.driver) {
		pci_dev_put(t.pdev);
		return -EBUSY;
	}
	t.coh = dma_alloc_coherent(&t.pdev->dev, COH_SIZE, &t.coh_bus,
				   GFP_KERNEL);
	if (!t.coh) {
		pci_dev_put(t.pdev);
		return -ENOMEM;
	}
	t.dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0400, t.dir, NULL, &run_fops);
	/* debugfs' proxy has no mmap: the file goes without it (test only). */
	debugfs_create_file_unsafe("coherent", 0600, t.dir, NULL, &coh_fops);
	return 0;
}
module_init(xpv_dmaapi_init);

static void __exit xpv_dmaapi_exit(void)
{
	debugfs_remove(t.dir);
	dma_free_coherent(&t.pdev->dev, COH_SIZE, t.coh, t.coh_bus);
	pci_dev_put(t.pdev);
}
module_exit(xpv_dmaapi_exit);

MODULE_DESCRIPTION("Test only: the DMA API contract on QEMU's edu device");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
