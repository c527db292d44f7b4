// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_edu - test-only driver for QEMU's "edu" PCI device (1234:11e8): real
 * DMA through whatever DMA ops the device has, with data verification.
 *
 * The edu device only reaches 28-bit bus addresses, so buffers above
 * 256 MiB must come back bounced (or the device would clamp the address
 * and move the wrong data, which the comparisons below catch).  Results
 * are "ok N - ..." / "not ok N - ..." lines in debugfs xpv_edu/results.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000
/*
 * The device's buffer is 4 KiB, but QEMU 7.2 rejects (hw_error, QEMU
 * aborts) a transfer that ends exactly at its end: move 2 KiB at a time.
 */
#define EDU_BUF_SIZE	2048
#define EDU_MASK	DMA_BIT_MASK(28)
/* Where a page must be for the edu device not to reach it. */
#define EDU_HIGH	(EDU_MASK + 1)

static unsigned int rounds = 4;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "round trips per buffer kind (default 4)");

/**
 * struct xpv_edu - one bound edu device
 * @pdev:    the device.
 * @mmio:    BAR 0.
 * @log:     result lines (written only during probe).
 * @buf:     storage of @log.
 * @nr:      checks run.
 * @failed:  checks failed.
 * @dbg:     debugfs directory.
 */
struct xpv_edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct seq_buf log;
	char buf[8192];
	unsigned int nr;
	unsigned int failed;
	struct dentry *dbg;
};

static void edu_check(struct xpv_edu *e, bool ok, const char *what)
{
	e->nr++;
	if (!ok)
		e->failed++;
	seq_buf_printf(&e->log, "%sok %u - %s\n", ok ? "" : "not ", e->nr,
		       what);
}

/* Run one edu DMA transfer; false on timeout. */
static bool edu_dma(struct xpv_edu *e, u64 src, u64 dst, u32 cnt, u32 cmd)
{
	int i;

	writeq(src, e->mmio + EDU_DMA_SRC);
	writeq(dst, e->mmio + EDU_DMA_DST);
	writeq(cnt, e->mmio + EDU_DMA_CNT);
	writeq(cmd | EDU_CMD_RUN, e->mmio + EDU_DMA_CMD);
	for (i = 0; i < 1000; i++) {
		if (!(readq(e->mmio + EDU_DMA_CMD) & EDU_CMD_RUN))
			return true;
		usleep_range(10000, 20000);
	}
	return false;
}

static void fill(u8 *p, size_t n, u32 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(seed * 2654435761u + i * 40503u);
}

/*
 * A page in [@min, @max): the allocator's order of hand-out differs
 * between kernels (and a debug kernel hands out low pages first), so try
 * up to 256 MiB worth of pages, then give back the
 * ones that did not fit.
 */
static struct page *page_in(phys_addr_t min, phys_addr_t max, gfp_t gfp)
{
	const unsigned int tries = 65536;
	struct page **keep, *found = NULL;
	unsigned int i, n = 0;

	keep = kvmalloc_array(tries, sizeof(*keep), GFP_KERNEL);
	if (!keep)
		return NULL;
	for (i = 0; i < tries && !found; i++) {
		struct page *p = alloc_page(gfp | __GFP_NOWARN);

		if (!p)
			break;
		if (page_to_phys(p) >= min && page_to_phys(p) < max)
			found = p;
		else
			keep[n++] = p;
	}
	while (n--)
		__free_page(keep[n]);
	kvfree(keep);
	return found;
}

/*
 * Copy a pattern RAM -> edu from @src, then edu -> RAM into @dst, with
 * streaming mappings; check the bus addresses and the data.
 */
static void edu_stream(struct xpv_edu *e, const char *kind,
		       struct page *src, struct page *dst, u32 seed)
{
	struct device *dev = &e->pdev->dev;
	u8 *s = page_address(src), *d = page_address(dst);
	dma_addr_t bs, bd;
	char what[128];
	bool ok;

	fill(s, EDU_BUF_SIZE, seed);
	memset(d, 0, EDU_BUF_SIZE);
	bs = dma_map_page(dev, src, 0, EDU_BUF_SIZE, DMA_TO_DEVICE);
	bd = dma_map_page(dev, dst, 0, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	snprintf(what, sizeof(what), "%s: map gives bus addresses below 2^28",
		 kind);
	ok = !dma_mapping_error(dev, bs) && !dma_mapping_error(dev, bd) &&
	     bs + EDU_BUF_SIZE - 1 <= EDU_MASK &&
	     bd + EDU_BUF_SIZE - 1 <= EDU_MASK;
	edu_check(e, ok, what);
	if (!ok)
		goto unmap;
	ok = edu_dma(e, bs, EDU_BUF, EDU_BUF_SIZE, 0) &&
	     edu_dma(e, EDU_BUF, bd, EDU_BUF_SIZE, EDU_CMD_TO_RAM);
	snprintf(what, sizeof(what), "%s: edu DMA completed", kind);
	edu_check(e, ok, what);
unmap:
	if (!dma_mapping_error(dev, bd))
		dma_unmap_page(dev, bd, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (!dma_mapping_error(dev, bs))
		dma_unmap_page(dev, bs, EDU_BUF_SIZE, DMA_TO_DEVICE);
	snprintf(what, sizeof(what), "%s: data read back equals the pattern",
		 kind);
	edu_check(e, ok && !memcmp(s, d, EDU_BUF_SIZE), what);
}

static void edu_coherent(struct xpv_edu *e, u32 seed)
{
	struct device *dev = &e->pdev->dev;
	struct page *src = page_in(0, EDU_MASK, GFP_DMA);
	dma_addr_t bc, bs;
	u8 *c;
	bool ok;

	c = dma_alloc_coherent(dev, EDU_BUF_SIZE, &bc, GFP_KERNEL);
	edu_check(e, c && bc + EDU_BUF_SIZE - 1 <= EDU_MASK,
		  "coherent: buffer below 2^28");
	if (!c || !src) {
		edu_check(e, false, "coherent: data read back");
		goto out;
	}
	fill(page_address(src), EDU_BUF_SIZE, seed);
	bs = dma_map_page(dev, src, 0, EDU_BUF_SIZE, DMA_TO_DEVICE);
	ok = !dma_mapping_error(dev, bs) &&
	     edu_dma(e, bs, EDU_BUF, EDU_BUF_SIZE, 0) &&
	     edu_dma(e, EDU_BUF, bc, EDU_BUF_SIZE, EDU_CMD_TO_RAM);
	if (!dma_mapping_error(dev, bs))
		dma_unmap_page(dev, bs, EDU_BUF_SIZE, DMA_TO_DEVICE);
	edu_check(e, ok && !memcmp(page_address(src), c, EDU_BUF_SIZE),
		  "coherent: data read back");
out:
	if (c)
		dma_free_coherent(dev, EDU_BUF_SIZE, c, bc);
	if (src)
		__free_page(src);
}

/* Two high pages through map_sg: each must come back reachable. */
static void edu_sg(struct xpv_edu *e, u32 seed)
{
	struct device *dev = &e->pdev->dev;
	struct page *p[2];
	struct scatterlist sg[2], *s;
	int i, n;
	bool ok = true;

	p[0] = page_in(EDU_HIGH, PHYS_ADDR_MAX, GFP_KERNEL);
	p[1] = page_in(EDU_HIGH, PHYS_ADDR_MAX, GFP_KERNEL);
	if (!p[0] || !p[1]) {
		edu_check(e, false, "sg: pages above 2^28");
		goto out;
	}
	sg_init_table(sg, 2);
	for (i = 0; i < 2; i++) {
		fill(page_address(p[i]), EDU_BUF_SIZE / 2, seed + i);
		sg_set_page(&sg[i], p[i], EDU_BUF_SIZE / 2, 0);
	}
	/* Bounced entries are never merged, adjacent or not. */
	n = dma_map_sg(dev, sg, 2, DMA_TO_DEVICE);
	edu_check(e, n == 2, "sg: two high pages map to two segments");
	for_each_sg(sg, s, n, i)
		ok &= sg_dma_address(s) + sg_dma_len(s) - 1 <= EDU_MASK;
	edu_check(e, n > 0 && ok, "sg: segments below 2^28");
	for_each_sg(sg, s, n, i)
		ok &= edu_dma(e, sg_dma_address(s),
			      EDU_BUF + i * (EDU_BUF_SIZE / 2), sg_dma_len(s), 0);
	if (n > 0)
		dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	if (ok) {
		struct page *lo = page_in(0, EDU_MASK, GFP_DMA);
		dma_addr_t b = lo ? dma_map_page(dev, lo, 0, EDU_BUF_SIZE,
						 DMA_FROM_DEVICE) :
				    DMA_MAPPING_ERROR;

		ok = lo && !dma_mapping_error(dev, b) &&
		     edu_dma(e, EDU_BUF, b, EDU_BUF_SIZE, EDU_CMD_TO_RAM);
		if (lo && !dma_mapping_error(dev, b))
			dma_unmap_page(dev, b, EDU_BUF_SIZE, DMA_FROM_DEVICE);
		ok = ok &&
		     !memcmp(page_address(p[0]), page_address(lo),
			     EDU_BUF_SIZE / 2) &&
		     !memcmp(page_address(p[1]),
			     page_address(lo) + EDU_BUF_SIZE / 2,
			     EDU_BUF_SIZE / 2);
		if (lo)
			__free_page(lo);
	}
	edu_check(e, ok, "sg: data read back equals both patterns");
out:
	for (i = 0; i < 2; i++)
		if (p[i])
			__free_page(p[i]);
}

static int results_show(struct seq_file *m, void *v)
{
	struct xpv_edu *e = m->private;

	seq_puts(m, e->buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static int xpv_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct xpv_edu *e;
	unsigned int r;
	int rc;

	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	seq_buf_init(&e->log, e->buf, sizeof(e->buf));
	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	pci_set_master(pdev);
	e->mmio = pcim_iomap(pdev, 0, 0);
	if (!e->mmio)
		return -ENOMEM;
	rc = dma_set_mask_and_coherent(dev, EDU_MASK);
	edu_check(e, !rc, "28-bit DMA mask accepted");

	for (r = 0; r < rounds; r++) {
		struct page *hi = page_in(EDU_HIGH, PHYS_ADDR_MAX, GFP_KERNEL);
		struct page *hi2 = page_in(EDU_HIGH, PHYS_ADDR_MAX, GFP_KERNEL);
		struct page *lo = page_in(0, EDU_MASK, GFP_DMA);
		struct page *lo2 = page_in(0, EDU_MASK, GFP_DMA);

		if (hi && hi2)
			edu_stream(e, "high pages (bounced)", hi, hi2, r);
		else
			edu_check(e, false, "high pages: allocation");
		if (lo && lo2)
			edu_stream(e, "low pages (direct)", lo, lo2, r + 100);
		else
			edu_check(e, false, "low pages: allocation");
		edu_coherent(e, r + 200);
		edu_sg(e, r + 300);
		if (hi)
			__free_page(hi);
		if (hi2)
			__free_page(hi2);
		if (lo)
			__free_page(lo);
		if (lo2)
			__free_page(lo2);
	}
	seq_buf_printf(&e->log, "# %u checks, %u failed\n", e->nr, e->failed);

	pci_set_drvdata(pdev, e);
	e->dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("results", 0400, e->dbg, e, &results_fops);
	return 0;
}

static void xpv_edu_remove(struct pci_dev *pdev)
{
	struct xpv_edu *e = pci_get_drvdata(pdev);

	debugfs_remove(e->dbg);
}

static const struct pci_device_id xpv_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, xpv_edu_ids);

static struct pci_driver xpv_edu_driver = {
	.name		= "xpv_edu",
	.id_table	= xpv_edu_ids,
	.probe		= xpv_edu_probe,
	.remove		= xpv_edu_remove,
};
module_pci_driver(xpv_edu_driver);

MODULE_DESCRIPTION("Test driver: DMA through QEMU's edu device with verification");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
