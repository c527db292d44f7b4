// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma.c - dma_map_ops over the 1:1 BFN = PFN IOMMU map.
 *
 * Once every RAM pfn is mapped at bfn = pfn, a bus address is the physical
 * address: mapping is a translation, with no hypercall and no lock.  Only
 * a buffer the device's mask cannot reach goes through the bounce pool.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#include <xpv/compat.h>
#include "pviommu.h"
#include "trace.h"

struct xpv_dma xpv_dma;

/* Highest bus address @dev can reach. */
static u64 xpv_dev_limit(struct device *dev, bool coherent)
{
	u64 mask = coherent ? dev->coherent_dma_mask :
		   (dev->dma_mask ? *dev->dma_mask : 0);

	return min_not_zero(mask, dev->bus_dma_limit);
}

/* Can @dev reach [bus, bus + size) directly, and is it premapped? */
static bool xpv_direct_ok(struct device *dev, dma_addr_t bus, size_t size)
{
	u64 end = bus + size - 1;

	return end >= bus && end < READ_ONCE(xpv_dma.map_end) &&
	       end <= xpv_dev_limit(dev, false);
}

static bool xpv_is_bounced(dma_addr_t bus)
{
	return xpv_dma.bounce && xpv_bounce_owns(xpv_dma.bounce, bus);
}

static dma_addr_t xpv_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	dma_addr_t bus = phys;	/* BFN = PFN */

	if (likely(xpv_direct_ok(dev, bus, size)))
		return bus;
	if (!xpv_dma.bounce || phys + size - 1 >= READ_ONCE(xpv_dma.map_end))
		return DMA_MAPPING_ERROR;
	bus = xpv_bounce_map(xpv_dma.bounce, xpv_dev_limit(dev, false), phys,
			     size, dma_get_min_align_mask(dev), dir, attrs);
	trace_xpv_bounce(dev, phys, bus, size, dir);
	return bus;
}

static dma_addr_t xpv_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	return xpv_map_phys(dev, page_to_phys(page) + offset, size, dir,
			    attrs);
}

static void xpv_unmap_page(struct device *dev, dma_addr_t bus, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	if (unlikely(xpv_is_bounced(bus)) &&
	    xpv_bounce_unmap(xpv_dma.bounce, bus, size, dir, attrs))
		dev_err_ratelimited(dev, "unmap of unknown bounce address %pad\n",
				    &bus);
}

static void xpv_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (!sg_dma_len(sg))
			break;
		xpv_unmap_page(dev, sg_dma_address(sg), sg_dma_len(sg), dir,
			       attrs);
	}
}

/*
 * Map each entry; merge an entry into the previous output segment only
 * when both are direct and their bus ranges touch, within the device's
 * segment size and boundary.  Bounced entries are never merged, so unmap
 * can release them one by one.
 */
static int xpv_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	unsigned int max_seg = dma_get_max_seg_size(dev);
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct scatterlist *sg, *out = NULL;
	bool out_direct = false;
	int i, err, count = 0;

	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t phys = sg_phys(sg);
		dma_addr_t bus;
		bool direct;

		direct = xpv_direct_ok(dev, phys, sg->length);
		bus = xpv_map_phys(dev, phys, sg->length, dir, attrs);
		if (bus == DMA_MAPPING_ERROR) {
			/* A full bounce pool is -ENOMEM; the rest is -EIO. */
			err = xpv_dma.bounce && phys + sg->length - 1 <
			      READ_ONCE(xpv_dma.map_end) ? -ENOMEM : -EIO;
			goto unwind;
		}

		if (out && direct && out_direct &&
		    sg_dma_address(out) + sg_dma_len(out) == bus &&
		    sg_dma_len(out) + sg->length <= max_seg &&
		    (sg_dma_address(out) | boundary) ==
		    ((bus + sg->length - 1) | boundary)) {
			sg_dma_len(out) += sg->length;
			continue;
		}
		out = out ? sg_next(out) : sgl;
		sg_dma_address(out) = bus;
		sg_dma_len(out) = sg->length;
		out_direct = direct;
		count++;
	}
	/* Terminate the output list for xpv_unmap_sg(). */
	if (out && sg_next(out))
		sg_dma_len(sg_next(out)) = 0;
	return count;

unwind:
	if (out) {
		if (sg_next(out))
			sg_dma_len(sg_next(out)) = 0;
		xpv_unmap_sg(dev, sgl, count, dir,
			     attrs | DMA_ATTR_SKIP_CPU_SYNC);
	}
	return err;
}

static void xpv_sync_single_for_cpu(struct device *dev, dma_addr_t bus,
				    size_t size, enum dma_data_direction dir)
{
	if (unlikely(xpv_is_bounced(bus)) && dir != DMA_TO_DEVICE)
		xpv_bounce_sync(xpv_dma.bounce, bus, size, false);
}

static void xpv_sync_single_for_device(struct device *dev, dma_addr_t bus,
				       size_t size,
				       enum dma_data_direction dir)
{
	if (unlikely(xpv_is_bounced(bus)) && dir != DMA_FROM_DEVICE)
		xpv_bounce_sync(xpv_dma.bounce, bus, size, true);
}

static void xpv_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (!sg_dma_len(sg))
			break;
		xpv_sync_single_for_cpu(dev, sg_dma_address(sg),
					sg_dma_len(sg), dir);
	}
}

static void xpv_sync_sg_for_device(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (!sg_dma_len(sg))
			break;
		xpv_sync_single_for_device(dev, sg_dma_address(sg),
					   sg_dma_len(sg), dir);
	}
}

/*
 * PFN-contiguous pages are bus-contiguous, so a coherent buffer is just
 * pages below the device's coherent mask: try the normal zones, then
 * DMA32, then DMA, and keep the first allocation that fits.
 */
static struct page *xpv_alloc_below(struct device *dev, size_t size,
				    gfp_t gfp)
{
	static const gfp_t zones[] = { 0, GFP_DMA32, GFP_DMA };
	u64 limit = xpv_dev_limit(dev, true);
	unsigned int order = get_order(size);
	unsigned int i;

	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		struct page *page = alloc_pages(gfp | zones[i] | __GFP_NOWARN,
						order);
		u64 end;

		if (!page)
			continue;
		end = page_to_phys(page) + (PAGE_SIZE << order) - 1;
		if (end <= limit && end < READ_ONCE(xpv_dma.map_end))
			return page;
		__free_pages(page, order);
	}
	return NULL;
}

static void *xpv_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct page *page = xpv_alloc_below(dev, size, gfp | __GFP_ZERO);

	if (!page)
		return NULL;
	*handle = page_to_phys(page);
	return page_address(page);
}

static void xpv_free(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t handle, unsigned long attrs)
{
	free_pages((unsigned long)vaddr, get_order(size));
}

static struct page *xpv_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct page *page = xpv_alloc_below(dev, size, gfp);

	if (page)
		*handle = page_to_phys(page);
	return page;
}

static void xpv_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t handle,
			   enum dma_data_direction dir)
{
	__free_pages(page, get_order(size));
}

static int xpv_mmap(struct device *dev, struct vm_area_struct *vma,
		    void *cpu_addr, dma_addr_t handle, size_t size,
		    unsigned long attrs)
{
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long pfn = PHYS_PFN(virt_to_phys(cpu_addr));

	if (vma->vm_pgoff >= count || vma_pages(vma) > count - vma->vm_pgoff)
		return -ENXIO;
	return remap_pfn_range(vma, vma->vm_start, pfn + vma->vm_pgoff,
			       vma_pages(vma) << PAGE_SHIFT,
			       vma->vm_page_prot);
}

static int xpv_get_sgtable(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t handle, size_t size,
			   unsigned long attrs)
{
	int rc = sg_alloc_table(sgt, 1, GFP_KERNEL);

	if (!rc)
		sg_set_page(sgt->sgl, virt_to_page(cpu_addr), PAGE_ALIGN(size),
			    0);
	return rc;
}

/* MMIO stays identity-mapped in Xen's default map; no bounce possible. */
static dma_addr_t xpv_map_resource(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	if (phys + size - 1 > xpv_dev_limit(dev, false))
		return DMA_MAPPING_ERROR;
	return phys;
}

/* The bounce pool's lowest zone (ZONE_DMA) is below 16 MiB. */
static int xpv_dma_supported(struct device *dev, u64 mask)
{
	return mask >= DMA_BIT_MASK(24);
}

static u64 xpv_get_required_mask(struct device *dev)
{
	u64 end = READ_ONCE(xpv_dma.map_end);

	return end > 1 ? DMA_BIT_MASK(fls64(end - 1)) : DMA_BIT_MASK(32);
}

static size_t xpv_max_mapping_size(struct device *dev)
{
	if (xpv_dev_limit(dev, false) < READ_ONCE(xpv_dma.map_end) - 1)
		return XPV_BOUNCE_MAX_MAP;
	return SIZE_MAX;
}

const struct dma_map_ops xpv_dma_ops = {
	.alloc			= xpv_alloc,
	.free			= xpv_free,
	.XPV_DMA_OPS_ALLOC_PAGES = xpv_alloc_pages,
	.free_pages		= xpv_free_pages,
	.mmap			= xpv_mmap,
	.get_sgtable		= xpv_get_sgtable,
	.map_page		= xpv_map_page,
	.unmap_page		= xpv_unmap_page,
	.map_sg			= xpv_map_sg,
	.unmap_sg		= xpv_unmap_sg,
	.map_resource		= xpv_map_resource,
	.sync_single_for_cpu	= xpv_sync_single_for_cpu,
	.sync_single_for_device	= xpv_sync_single_for_device,
	.sync_sg_for_cpu	= xpv_sync_sg_for_cpu,
	.sync_sg_for_device	= xpv_sync_sg_for_device,
	.dma_supported		= xpv_dma_supported,
	.get_required_mask	= xpv_get_required_mask,
	.max_mapping_size	= xpv_max_mapping_size,
};
