// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma.c - dma_map_ops over the 1:1 BFN = PFN IOMMU map.
 *
 * Once every RAM pfn is mapped at bfn = pfn, the bus address of this
 * domain's own RAM is its physical address: mapping is a translation,
 * with no hypercall and no lock.  Three kinds of page are not that simple,
 * and xpv_route() sorts every buffer into one of four routes:
 *
 *   direct  own RAM inside the 1:1 map, reachable by the device's mask;
 *   window  another domain's frame (grant or foreign mapping: the P2M
 *           entry is foreign) when Xen offers its host-RAM window: bus
 *           frame = MFN + window offset.  Bus address PFN would reach
 *           whatever the 1:1 map put there, never the granted frame;
 *   bounce  a device whose mask cannot reach, a foreign frame without a
 *           window, own memory outside the 1:1 map (pmem/DAX, other
 *           ZONE_DEVICE pages): copied through the module's bounce pool,
 *           which is own low RAM inside the map;
 *   refuse  a pfn with no frame at all (ballooned out, unpopulated): no
 *           bus address reaches it.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <xpv/compat.h>
#include "pviommu.h"
#include "trace.h"

struct xpv_dma xpv_dma;

enum xpv_route {
	XPV_ROUTE_DIRECT,
	XPV_ROUTE_WINDOW,
	XPV_ROUTE_BOUNCE,
	XPV_ROUTE_REFUSE,
};

/* Highest bus address @dev can reach. */
static u64 xpv_dev_limit(struct device *dev, bool coherent)
{
	u64 mask = coherent ? dev->coherent_dma_mask :
		   (dev->dma_mask ? *dev->dma_mask : 0);

	return min_not_zero(mask, dev->bus_dma_limit);
}

/* Is [first, last] inside one premapped range?  Caller holds RCU. */
static bool xpv_in_map(const struct xpv_dma_map *map, u64 first, u64 last)
{
	unsigned int lo = 0, hi = map ? map->nr : 0;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (first >= map->r[mid].end)
			lo = mid + 1;
		else if (first < map->r[mid].start)
			hi = mid;
		else
			return last < map->r[mid].end;
	}
	return false;
}

/*
 * Sort [phys, phys + size) into a route; for direct and window, *bus is
 * the address the device may use (checked against its mask).  Reads the
 * P2M of every page: a page handed to another domain or granted to us
 * after the premap shows there, and nowhere else.  The common case, all
 * pages our own, takes one backend call; anything else is looked at page
 * by page.
 */
static enum xpv_route xpv_route(struct device *dev, phys_addr_t phys,
				size_t size, dma_addr_t *bus)
{
	u64 first = PHYS_PFN(phys), last, nr, k, pfn, gfn, mfn0 = 0;
	u64 end = phys + size - 1;
	bool own, foreign, contig = true, in_map;

	if (!size || end < phys)
		return XPV_ROUTE_REFUSE;
	last = PHYS_PFN(end);
	nr = last - first + 1;
	k = xpv_dma.own_pages(first, nr);
	own = k == nr;
	foreign = !k;
	/* Not all ours: refuse a hole, or see whether the window reaches it. */
	for (pfn = first + k; !own && pfn <= last; pfn++) {
		gfn = xpv_dma.pfn_to_gfn(pfn);
		if (gfn == XPV_INVALID_GFN)
			return XPV_ROUTE_REFUSE;
		if (gfn & XPV_GFN_FOREIGN) {
			gfn &= ~XPV_GFN_FOREIGN;
			if (pfn == first)
				mfn0 = gfn;
			else if (gfn != mfn0 + (pfn - first))
				contig = false;
		} else {
			foreign = false;
		}
	}
	if (own) {
		rcu_read_lock();
		in_map = xpv_in_map(rcu_dereference(xpv_dma.map), first, last);
		rcu_read_unlock();
		if (!in_map) {
			atomic64_inc(&xpv_dma.unmapped_bounced);
			return XPV_ROUTE_BOUNCE;
		}
		*bus = phys;	/* BFN = PFN */
		return *bus + size - 1 <= xpv_dev_limit(dev, false) ?
		       XPV_ROUTE_DIRECT : XPV_ROUTE_BOUNCE;
	}
	if (foreign && contig && xpv_dma.foreign_offset) {
		*bus = PFN_PHYS(mfn0 + xpv_dma.foreign_offset) +
		       offset_in_page(phys);
		if (*bus + size - 1 <= xpv_dev_limit(dev, false)) {
			atomic64_inc(&xpv_dma.window_maps);
			return XPV_ROUTE_WINDOW;
		}
	}
	atomic64_inc(&xpv_dma.foreign_bounced);
	return XPV_ROUTE_BOUNCE;
}

static bool xpv_is_bounced(dma_addr_t bus)
{
	struct xpv_bounce_pool *pool = READ_ONCE(xpv_dma.bounce);

	return pool && xpv_bounce_owns(pool, bus);
}

/*
 * Map one buffer; *direct tells whether the result may be merged, *err
 * why it failed: -ENOMEM for a full bounce pool (worth a retry), -EIO for
 * a buffer no bus address can reach.
 */
static dma_addr_t xpv_map_one(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      bool *direct, int *err)
{
	dma_addr_t bus = DMA_MAPPING_ERROR;

	*direct = false;
	*err = -EIO;
	switch (xpv_route(dev, phys, size, &bus)) {
	case XPV_ROUTE_DIRECT:
		*direct = true;
		return bus;
	case XPV_ROUTE_WINDOW:
		return bus;
	case XPV_ROUTE_BOUNCE:
		if (!pfn_valid(PHYS_PFN(phys)))
			break;
		bus = xpv_bounce_map(xpv_dma.bounce, xpv_dev_limit(dev, false),
				     dma_get_seg_boundary(dev), phys, size,
				     dma_get_min_align_mask(dev));
		if (bus == DMA_MAPPING_ERROR) {
			*err = -ENOMEM;
			break;
		}
		/* From now on dma_sync_*() must reach our callbacks. */
		xpv_dma_reset_need_sync(dev);
		trace_xpv_bounce(dev, phys, bus, size, dir);
		return bus;
	case XPV_ROUTE_REFUSE:
		break;
	}
	atomic64_inc(&xpv_dma.refused);
	trace_xpv_refuse(dev, phys, size);
	return DMA_MAPPING_ERROR;
}

static dma_addr_t xpv_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	bool direct;
	int err;

	return xpv_map_one(dev, page_to_phys(page) + offset, size, dir,
			   &direct, &err);
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
 * segment size and boundary.  Bounced and window entries are never
 * merged, so unmap can release them one by one.
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
		dma_addr_t bus;
		bool direct;

		bus = xpv_map_one(dev, sg_phys(sg), sg->length, dir, &direct,
				  &err);
		if (bus == DMA_MAPPING_ERROR)
			goto unwind;

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
 * pages below the device's coherent mask that the 1:1 map covers: try the
 * normal zones, then DMA32, then DMA, and keep the first allocation that
 * fits.  Pages come zeroed (callers may hand them to userspace).
 */
static struct page *xpv_alloc_below(struct device *dev, size_t size,
				    gfp_t gfp, dma_addr_t *handle)
{
	static const gfp_t zones[] = { 0, GFP_DMA32, GFP_DMA };
	u64 limit = xpv_dev_limit(dev, true);
	unsigned int order = get_order(size);
	unsigned int i;

	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		struct page *page = alloc_pages(gfp | zones[i] | __GFP_ZERO |
						__GFP_NOWARN, order);
		phys_addr_t phys;
		dma_addr_t bus;

		if (!page)
			continue;
		phys = page_to_phys(page);
		if (xpv_route(dev, phys, PAGE_SIZE << order, &bus) ==
		    XPV_ROUTE_DIRECT && bus + (PAGE_SIZE << order) - 1 <= limit) {
			*handle = bus;
			return page;
		}
		__free_pages(page, order);
	}
	return NULL;
}

static void *xpv_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct page *page = xpv_alloc_below(dev, size, gfp, handle);

	return page ? page_address(page) : NULL;
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
	return xpv_alloc_below(dev, size, gfp, handle);
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

/*
 * MMIO (peer-to-peer) stays identity-mapped in Xen's default map, and the
 * 1:1 map only covers RAM, so a resource's bus address is its physical
 * address.  Nothing can be bounced; nothing needs undoing.
 */
static dma_addr_t xpv_map_resource(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	if (!size || phys + size - 1 < phys ||
	    phys + size - 1 > xpv_dev_limit(dev, false))
		return DMA_MAPPING_ERROR;
	return phys;
}

static void xpv_unmap_resource(struct device *dev, dma_addr_t bus,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
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

/*
 * A device that may ever need the bounce pool is limited to what one
 * bounce mapping holds: memory hotplug can raise the top of RAM after a
 * driver read this once, so the answer depends on the highest address the
 * domain may ever have, not on today's map.
 */
static size_t xpv_max_mapping_size(struct device *dev)
{
	u64 top = READ_ONCE(xpv_dma.map_end);

	if (IS_ENABLED(CONFIG_MEMORY_HOTPLUG))
		top = max_t(u64, top, mhp_get_pluggable_range(false).end + 1);
	if (xpv_dev_limit(dev, false) < top - 1)
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
	.unmap_resource		= xpv_unmap_resource,
	.sync_single_for_cpu	= xpv_sync_single_for_cpu,
	.sync_single_for_device	= xpv_sync_single_for_device,
	.sync_sg_for_cpu	= xpv_sync_sg_for_cpu,
	.sync_sg_for_device	= xpv_sync_sg_for_device,
	.dma_supported		= xpv_dma_supported,
	.get_required_mask	= xpv_get_required_mask,
	.max_mapping_size	= xpv_max_mapping_size,
};

/**
 * xpv_dma_publish() - make @r the premapped ranges the DMA path sees
 * @r:  pfn ranges, ascending and disjoint
 * @nr: number of @r
 *
 * The old table is freed after a grace period; a map that read it may
 * still hand out a direct address into a range being withdrawn, so a
 * caller withdrawing ranges waits with synchronize_rcu() before unmapping.
 *
 * Context: process context; caller holds the module's state mutex.
 * Return: 0 or -ENOMEM (the old table stays).
 */
int xpv_dma_publish(const struct xpv_range *r, unsigned int nr)
{
	struct xpv_dma_map *map, *old;
	unsigned int i;
	u64 end = 0;

	map = kmalloc(struct_size(map, r, nr), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->nr = nr;
	memcpy(map->r, r, nr * sizeof(*r));
	for (i = 0; i < nr; i++)
		end = max(end, PFN_PHYS(r[i].end));
	old = rcu_replace_pointer(xpv_dma.map, map, true);
	WRITE_ONCE(xpv_dma.map_end, end);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * xpv_dma_unpublish() - the DMA path sees no premapped range any more
 *
 * Waits for a grace period, so no map that saw the old table is still
 * running when this returns.
 *
 * Context: process context; may sleep.
 */
void xpv_dma_unpublish(void)
{
	struct xpv_dma_map *old = rcu_replace_pointer(xpv_dma.map, NULL, true);

	WRITE_ONCE(xpv_dma.map_end, 0);
	synchronize_rcu();
	kfree(old);
}
