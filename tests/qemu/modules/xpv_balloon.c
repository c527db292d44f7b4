// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_balloon - QEMU tier, test only: what Linux's balloon driver and
 * grant-mapping backends do to a PV domain's memory, played against the
 * stub hypervisor, through the very functions xen_pviommu follows:
 *
 *   out N      allocate N pages, clear their P2M entries (as
 *              __xenmem_reservation_va_mapping_reset() does), give their
 *              frames back with xenmem_reservation_decrease()
 *   in N       populate N ballooned pages with xenmem_reservation_increase(),
 *              set their P2M entries (as ..._va_mapping_update() does) and
 *              free them to the page allocator
 *   grant D G  map domain D's frame G at a ballooned page's pfn (as
 *              blkback/gntdev do), then dma_map_page() it for the edu
 *              device with a 64-bit mask
 *   ungrant    dma_unmap_page(), unmap the grant, the page is ballooned
 *   mapout     dma_map_page() a ballooned page: must be refused
 *
 * Write commands to debugfs xpv_balloon/ctl (the write fails with the
 * call's errno); read xpv_balloon/state.  Only works while xen_pviommu
 * follows reservation changes: outside Xen the two functions would issue
 * a real hypercall.  Unload populates and frees whatever is ballooned.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/mem-reservation.h>

#include <xpv/compat.h>
#include <xpv/hv.h>
#include <xpv/hvstub.h>
#include <xpv/pviommu.h>

#define BAL_MAX		4096u

/**
 * struct xpv_balloon - module state
 * @lock:      serialises commands and protects everything below.
 * @hv:        the backend (for its P2M).
 * @pdev:      the edu device (a reference is held).
 * @pages:     ballooned pages, oldest first (linked through lru).
 * @nr:        entries in @pages.
 * @granted:   the page a grant is mapped at, or NULL.
 * @bus:       its DMA address while mapped.
 * @last_rc:   what the last reservation call returned.
 * @frames:    scratch for the reservation calls.
 * @dir:       debugfs directory.
 */
static struct xpv_balloon {
	struct mutex lock;	/* everything below */
	struct xpv_hv hv;
	struct pci_dev *pdev;
	struct list_head pages;
	unsigned int nr;
	struct page *granted;
	dma_addr_t bus;
	long last_rc;
	xen_pfn_t frames[BAL_MAX];
	struct dentry *dir;
} b = {
	.lock = __MUTEX_INITIALIZER(b.lock),
	.pages = LIST_HEAD_INIT(b.pages),
	.bus = DMA_MAPPING_ERROR,
};

static int bal_out(unsigned int n)
{
	struct page *page, *tmp;
	LIST_HEAD(got);
	unsigned int i = 0;
	long rc;

	lockdep_assert_held(&b.lock);
	if (!n || n > BAL_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		page = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		if (!page)
			break;
		list_add_tail(&page->lru, &got);
	}
	n = i;
	i = 0;
	list_for_each_entry(page, &got, lru) {
		b.frames[i++] = b.hv.ops->pfn_to_gfn(page_to_pfn(page));
		rc = xpv_hvstub_p2m_set(page_to_pfn(page), XPV_INVALID_GFN);
		if (rc)
			pr_err("p2m_set: %ld\n", rc);
	}
	rc = xenmem_reservation_decrease(n, b.frames);
	b.last_rc = rc;
	/* As the balloon driver does: the pages are the balloon's now. */
	list_for_each_entry_safe(page, tmp, &got, lru) {
		list_move_tail(&page->lru, &b.pages);
		b.nr++;
	}
	return rc == n ? 0 : rc < 0 ? rc : -EIO;
}

static int bal_in(unsigned int n)
{
	struct page *page, *tmp;
	unsigned int i = 0;
	long rc;

	lockdep_assert_held(&b.lock);
	if (n > b.nr)
		n = b.nr;
	if (!n)
		return 0;
	list_for_each_entry(page, &b.pages, lru) {
		if (i == n)
			break;
		b.frames[i++] = page_to_pfn(page);
	}
	rc = xenmem_reservation_increase(n, b.frames);
	b.last_rc = rc;
	i = 0;
	list_for_each_entry_safe(page, tmp, &b.pages, lru) {
		if (rc <= 0 || i == rc)
			break;
		xpv_hvstub_p2m_set(page_to_pfn(page), b.frames[i++]);
		list_del(&page->lru);
		b.nr--;
		__free_page(page);
	}
	return rc == n ? 0 : rc < 0 ? rc : -EIO;
}

static int bal_grant(u16 domid, u64 gfn)
{
	struct page *page;
	int rc;

	lockdep_assert_held(&b.lock);
	if (b.granted || !b.nr)
		return -EBUSY;
	page = list_first_entry(&b.pages, struct page, lru);
	rc = xpv_hvstub_grant_map(domid, gfn, page_to_pfn(page));
	if (rc)
		return rc;
	list_del(&page->lru);
	b.nr--;
	b.granted = page;
	b.bus = dma_map_page(&b.pdev->dev, page, 0, PAGE_SIZE,
			     DMA_BIDIRECTIONAL);
	return dma_mapping_error(&b.pdev->dev, b.bus) ? -EIO : 0;
}

static int bal_ungrant(void)
{
	struct page *page = b.granted;
	int rc;

	lockdep_assert_held(&b.lock);
	if (!page)
		return -ENOENT;
	if (!dma_mapping_error(&b.pdev->dev, b.bus))
		dma_unmap_page(&b.pdev->dev, b.bus, PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	b.bus = DMA_MAPPING_ERROR;
	rc = xpv_hvstub_grant_unmap(page_to_pfn(page));
	b.granted = NULL;
	list_add(&page->lru, &b.pages);
	b.nr++;
	return rc;
}

/* A ballooned page has no frame: no bus address may reach it. */
static int bal_mapout(void)
{
	struct page *page;
	dma_addr_t bus;

	lockdep_assert_held(&b.lock);
	if (!b.nr)
		return -ENOENT;
	page = list_first_entry(&b.pages, struct page, lru);
	bus = dma_map_page(&b.pdev->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(&b.pdev->dev, bus))
		return 0;
	dma_unmap_page(&b.pdev->dev, bus, PAGE_SIZE, DMA_TO_DEVICE);
	return -EEXIST;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char cmd[64], word[16];
	unsigned int n = 0;
	unsigned long long gfn = 0;
	int rc = -EINVAL, args;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	args = sscanf(cmd, "%15s %u %llu", word, &n, &gfn);
	if (args < 1)
		return -EINVAL;
	mutex_lock(&b.lock);
	if (!xen_pviommu_follows_reservation())
		rc = -EOPNOTSUPP;
	else if (!strcmp(word, "out") && args == 2)
		rc = bal_out(n);
	else if (!strcmp(word, "in") && args == 2)
		rc = bal_in(n);
	else if (!strcmp(word, "grant") && args == 3)
		rc = bal_grant(n, gfn);
	else if (!strcmp(word, "ungrant") && args == 1)
		rc = bal_ungrant();
	else if (!strcmp(word, "mapout") && args == 1)
		rc = bal_mapout();
	mutex_unlock(&b.lock);
	return rc ? rc : len;
}

static int state_show(struct seq_file *m, void *v)
{
	struct page *page;

	mutex_lock(&b.lock);
	seq_printf(m, "ballooned %u\n", b.nr);
	seq_printf(m, "last_rc %ld\n", b.last_rc);
	if (b.nr) {
		page = list_first_entry(&b.pages, struct page, lru);
		seq_printf(m, "first_pfn 0x%lx\n", page_to_pfn(page));
	}
	if (b.granted) {
		seq_printf(m, "granted_pfn 0x%lx\n", page_to_pfn(b.granted));
		seq_printf(m, "bus 0x%llx\n", (unsigned long long)b.bus);
	}
	mutex_unlock(&b.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

static const struct file_operations ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= ctl_write,
};

static int __init xpv_balloon_init(void)
{
	int rc = xpv_hv_get(&b.hv);

	if (rc)
		return rc;
	b.pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!b.pdev) {
		xpv_hv_put(&b.hv);
		return -ENODEV;
	}
	rc = dma_set_mask_and_coherent(&b.pdev->dev, DMA_BIT_MASK(64));
	if (rc) {
		pci_dev_put(b.pdev);
		xpv_hv_put(&b.hv);
		return rc;
	}
	b.dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, b.dir, NULL, &ctl_fops);
	debugfs_create_file("state", 0400, b.dir, NULL, &state_fops);
	return 0;
}
module_init(xpv_balloon_init);

static void __exit xpv_balloon_exit(void)
{
	debugfs_remove(b.dir);
	mutex_lock(&b.lock);
	if (b.granted)
		bal_ungrant();
	if (b.nr && (!xen_pviommu_follows_reservation() || bal_in(b.nr)))
		pr_err("%u page(s) left ballooned\n", b.nr);
	mutex_unlock(&b.lock);
	dma_set_mask_and_coherent(&b.pdev->dev, DMA_BIT_MASK(32));
	pci_dev_put(b.pdev);
	xpv_hv_put(&b.hv);
}
module_exit(xpv_balloon_exit);

MODULE_DESCRIPTION("Test only: balloon and grant mapping against the stub");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
MODULE_IMPORT_NS(XPV_NS_API);
MODULE_IMPORT_NS(XPV_NS_STUB_TEST);
