// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_dmabench - QEMU tier, test only: the cost of the DMA API on a PCI
 * device, whatever DMA ops it has (dma-direct, swiotlb, xen_pviommu, ...).
 *
 * Write a request to debugfs xpv_dmabench/run, read the result back:
 *
 *	echo "<bdf> <mask bits> <size> <iterations> [sg <nents>]" > run
 *	cat run  ->  "map <ns> unmap <ns> pair <ns> bounced <0|1>"
 *
 * Each figure is the mean over the iterations of ktime_get_ns() around
 * the call, minus the mean of two back-to-back clock reads (what the
 * same interval holds without the call).
 * Under QEMU's -icount shift=0 guest time is the instruction count, so
 * the figures are instructions per call and do not depend on the host.
 * The device's masks are set for the run and put back afterwards; the
 * buffer is one page-aligned allocation reused by every iteration (one
 * mapping at a time, so a bounce pool never runs dry).  Direction is
 * bidirectional: a bounce copies in at map and out at unmap.
 *
 * "bounced" says whether the bus address reaches a copy of the buffer
 * rather than the buffer itself.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/xen.h>
#include <asm/xen/page.h>

#define BENCH_MAX_SIZE	SZ_1M
#define BENCH_MAX_ITERS	100000u
#define BENCH_MAX_NENTS	64u

/* Serialises runs; protects the result. */
static DEFINE_MUTEX(bench_lock);
/* The last result line.  Protected by bench_lock. */
static char bench_result[128];
static struct dentry *bench_dir;

/* The cost of the two clock reads around a measured call. */
static u64 bench_clock_cost(unsigned int iters)
{
	u64 t0, t1, sum = 0;
	unsigned int i;

	for (i = 0; i < iters; i++) {
		t0 = ktime_get_ns();
		t1 = ktime_get_ns();
		sum += t1 - t0;
	}
	return sum / iters;
}

/*
 * Did @bus come from a bounce buffer?  Natively the bus address of
 * @buf is its physical address; in a Xen PV domain (SWIOTLB-Xen) it is
 * the machine address, which the M2P turns back into the pfn.
 */
static bool bench_bounced(dma_addr_t bus, void *buf)
{
	phys_addr_t phys = bus;

	if (xen_pv_domain())
		phys = PFN_PHYS(mfn_to_pfn(PHYS_PFN(bus))) +
		       offset_in_page(bus);
	return phys != virt_to_phys(buf);
}

static int bench_single(struct device *dev, void *buf, size_t size,
			unsigned int iters, u64 *map, u64 *unmap,
			bool *bounced)
{
	u64 t0, t1, t2, sm = 0, su = 0;
	unsigned int i;

	for (i = 0; i < iters; i++) {
		dma_addr_t bus;

		t0 = ktime_get_ns();
		bus = dma_map_single(dev, buf, size, DMA_BIDIRECTIONAL);
		t1 = ktime_get_ns();
		if (dma_mapping_error(dev, bus))
			return -EIO;
		*bounced = bench_bounced(bus, buf);
		dma_unmap_single(dev, bus, size, DMA_BIDIRECTIONAL);
		t2 = ktime_get_ns();
		sm += t1 - t0;
		su += t2 - t1;
	}
	*map = sm / iters;
	*unmap = su / iters;
	return 0;
}

static int bench_sg(struct device *dev, void *buf, size_t size,
		    unsigned int nents, unsigned int iters, u64 *map,
		    u64 *unmap, bool *bounced)
{
	struct scatterlist *sgl, *sg;
	size_t chunk = size / nents;
	u64 t0, t1, t2, sm = 0, su = 0;
	unsigned int i, k;
	int n;

	if (!chunk || chunk * nents != size)
		return -EINVAL;
	sgl = kmalloc_array(nents, sizeof(*sgl), GFP_KERNEL);
	if (!sgl)
		return -ENOMEM;
	for (i = 0; i < iters; i++) {
		sg_init_table(sgl, nents);
		for_each_sg(sgl, sg, nents, k)
			sg_set_buf(sg, buf + k * chunk, chunk);
		t0 = ktime_get_ns();
		n = dma_map_sg(dev, sgl, nents, DMA_BIDIRECTIONAL);
		t1 = ktime_get_ns();
		if (!n) {
			kfree(sgl);
			return -EIO;
		}
		*bounced = bench_bounced(sg_dma_address(sgl), buf);
		dma_unmap_sg(dev, sgl, nents, DMA_BIDIRECTIONAL);
		t2 = ktime_get_ns();
		sm += t1 - t0;
		su += t2 - t1;
	}
	kfree(sgl);
	*map = sm / iters;
	*unmap = su / iters;
	return 0;
}

static int bench_run(const char *bdf, unsigned int bits, size_t size,
		     unsigned int iters, unsigned int nents)
{
	struct device *dev;
	u64 mask, old_mask, old_coherent, map = 0, unmap = 0, clk;
	bool bounced = false;
	void *buf;
	int rc;

	if (bits < 24 || bits > 64 || !size || size > BENCH_MAX_SIZE ||
	    !iters || iters > BENCH_MAX_ITERS || nents > BENCH_MAX_NENTS)
		return -EINVAL;
	dev = bus_find_device_by_name(&pci_bus_type, NULL, bdf);
	if (!dev)
		return -ENODEV;
	buf = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
				       get_order(size));
	if (!buf) {
		put_device(dev);
		return -ENOMEM;
	}
	device_lock(dev);
	old_mask = dev->dma_mask ? *dev->dma_mask : 0;
	old_coherent = dev->coherent_dma_mask;
	mask = DMA_BIT_MASK(bits);
	rc = dma_set_mask_and_coherent(dev, mask);
	if (!rc) {
		clk = bench_clock_cost(iters);
		rc = nents ? bench_sg(dev, buf, size, nents, iters, &map,
				      &unmap, &bounced) :
		     bench_single(dev, buf, size, iters, &map, &unmap,
				  &bounced);
		map = map > clk ? map - clk : 0;
		unmap = unmap > clk ? unmap - clk : 0;
	}
	if (old_mask && dev->dma_mask)
		*dev->dma_mask = old_mask;
	dev->coherent_dma_mask = old_coherent;
	device_unlock(dev);
	free_pages((unsigned long)buf, get_order(size));
	put_device(dev);
	if (rc)
		return rc;
	snprintf(bench_result, sizeof(bench_result),
		 "map %llu unmap %llu pair %llu bounced %u\n", map, unmap,
		 map + unmap, bounced);
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char req[96], bdf[32], kw[4];
	unsigned int bits, iters, nents = 0;
	unsigned long size;
	int n, rc;

	if (len >= sizeof(req))
		return -EINVAL;
	if (copy_from_user(req, ubuf, len))
		return -EFAULT;
	req[len] = 0;
	n = sscanf(req, "%31s %u %lu %u %3s %u", bdf, &bits, &size, &iters,
		   kw, &nents);
	if (n != 4 && !(n == 6 && !strcmp(kw, "sg") && nents))
		return -EINVAL;
	mutex_lock(&bench_lock);
	rc = bench_run(bdf, bits, size, iters, n == 6 ? nents : 0);
	mutex_unlock(&bench_lock);
	return rc ? rc : len;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	ssize_t rc;

	mutex_lock(&bench_lock);
	rc = simple_read_from_buffer(ubuf, len, ppos, bench_result,
				     strlen(bench_result));
	mutex_unlock(&bench_lock);
	return rc;
}

static const struct file_operations bench_fops = {
	.owner	= THIS_MODULE,
	.write	= bench_write,
	.read	= bench_read,
	.llseek	= default_llseek,
};

static int __init xpv_dmabench_init(void)
{
	bench_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0600, bench_dir, NULL, &bench_fops);
	return 0;
}
module_init(xpv_dmabench_init);

static void __exit xpv_dmabench_exit(void)
{
	debugfs_remove(bench_dir);
}
module_exit(xpv_dmabench_exit);

MODULE_DESCRIPTION("Test only: DMA API cost per call on a PCI device");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
