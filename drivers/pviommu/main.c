// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_pviommu - DMA ops for a Xen PV Dom0 / driver domain through the
 * PV-IOMMU iommu_op hypercall.
 *
 * Load: select the backend, query the capabilities, premap RAM 1:1
 * (bfn = pfn), then switch the DMA ops that new device bindings get.
 * Unload: switch back, unmap everything.  Both refuse rather than change
 * the bus address of DMA that may be in flight: see xpv_attach().
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/log2.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <xen/xen.h>

#include <xpv/compat.h>
#include <xpv/pviommu.h>
#include "emu.h"
#include "pviommu.h"

static unsigned int batch = 512;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch,
		 "iommu ops per hypercall for the premap, 128-4096 (default 512)");

static int max_order = -1;
module_param(max_order, int, 0444);
MODULE_PARM_DESC(max_order,
		 "largest page order the premap may use, -1 = what the hypervisor reports (default -1)");

static bool attach = true;
module_param(attach, bool, 0444);
MODULE_PARM_DESC(attach,
		 "premap RAM and switch the DMA ops at load; 0 = only query capabilities (default 1)");

static char *safe_drivers = "pcieport,shpchp";
module_param(safe_drivers, charp, 0444);
MODULE_PARM_DESC(safe_drivers,
		 "comma-separated drivers that do no DMA and may be bound while the DMA ops are switched (default pcieport,shpchp)");

static bool balloon_hook = true;
module_param(balloon_hook, bool, 0444);
MODULE_PARM_DESC(balloon_hook,
		 "follow this domain's reservation changes (balloon, grant DMA buffers) by redirecting xenmem_reservation_{decrease,increase}() with ftrace; 0 is only safe if the domain never balloons (default 1)");

static unsigned int bounce_kb = 4096;
module_param(bounce_kb, uint, 0444);
MODULE_PARM_DESC(bounce_kb,
		 "bounce pool below 4 GiB for devices with short DMA masks, KiB (default 4096; plus 1 MiB below 16 MiB)");

/* Reservation changes are followed in chunks of this many frames. */
#define XPV_RESV_CHUNK		512

/**
 * struct xpv_resv - the balloon hook's state and working memory
 * @held:    frames withheld (pfn, the gfn it had): their BFN could not be
 *           unmapped, so the domain keeps them; retried at every call and
 *           at unload, given back once unmapped.
 * @nr_held: entries in @held.
 * @before:  the P2M entries of the chunk before the change.
 * @after:   the same pfns after it.
 * @blocks:  the premap blocks the chunk touches.
 * @frames:  frames to hand to the hypervisor, or saved pfns.
 *
 * Protected by the module's state mutex.
 */
struct xpv_resv {
	struct xpv_p2m_change held[XPV_RESV_CHUNK];
	unsigned int nr_held;
	struct xpv_p2m_change before[XPV_RESV_CHUNK];
	struct xpv_p2m_change after[XPV_RESV_CHUNK];
	struct xpv_range blocks[XPV_RESV_CHUNK];
	unsigned long frames[XPV_RESV_CHUNK];
};

/**
 * struct xpv_resv_stats - what the balloon hook did
 * @calls:     decrease and populate calls seen.
 * @released:  frames given back after their BFNs were unmapped.
 * @populated: frames populated and mapped.
 * @withheld:  frames kept because their BFN could not be unmapped (the
 *             domain keeps owning them until a retry succeeds).
 * @leaked:    withheld frames beyond what @held records: kept for good.
 * @unmapped:  pages left without an entry because a map failed.
 * @undone:    populates undone because the new frames could not be mapped.
 * @hypercalls: iommu_op hypercalls the hook issued.
 */
struct xpv_resv_stats {
	u64 calls;
	u64 released;
	u64 populated;
	u64 withheld;
	u64 leaked;
	u64 unmapped;
	u64 undone;
	u64 hypercalls;
};

/**
 * struct xpv_pviommu - module state
 * @lock:      serialises attach, detach and the bus notifier.
 * @hv:        hypervisor backend, held from init to exit.
 * @caps:      PV-IOMMU capabilities reported at init.
 * @premap:    the 1:1 map.  Protected by @lock.
 * @bounce:    bounce pool, allocated at attach.
 * @prev_ops:  the global DMA ops before attach.  Protected by @lock.
 * @attached:  our ops are the global DMA ops.  Protected by @lock.
 * @premapped: the 1:1 map is in place.  Protected by @lock.
 * @model_only: the stub was forced inside a real Xen domain: premap
 *             against the real P2M, but never switch the DMA ops (the real
 *             IOMMU knows nothing of the stub's map).  Set once at init.
 * @devices:   devices bound while using our ops, each holding a module
 *             reference.  Protected by @lock.
 * @nr_devices: entries in @devices.  Protected by @lock.
 * @untracked: devices bound with our ops that could not be recorded (no
 *             memory); each pins the module for good.  Protected by @lock.
 * @resv:      scratch for the balloon hook.  Protected by @lock.
 * @resv_stats: what the balloon hook did.  Protected by @lock.
 * @nb:        PCI bus notifier.
 * @mem_nb:    memory hotplug notifier.
 * @dbg:       debugfs directory.
 */
static struct xpv_pviommu {
	struct mutex lock;	/* attach/detach state, devices */
	struct xpv_hv hv;
	struct xpv_iommu_caps caps;
	struct xpv_premap premap;
	struct xpv_bounce_pool *bounce;
	const struct dma_map_ops *prev_ops;
	bool attached;
	bool premapped;
	bool model_only;
	struct xarray devices;
	unsigned int nr_devices;
	unsigned int untracked;
	struct xpv_resv *resv;
	struct xpv_resv_stats resv_stats;
	struct notifier_block nb;
	struct notifier_block mem_nb;
	struct dentry *dbg;
} xpv = {
	.lock = __MUTEX_INITIALIZER(xpv.lock),
	.devices = XARRAY_INIT(xpv.devices, 0),
};

/*
 * Give the global DMA ops back.  Devices bound with ours hold a module
 * reference each, so this runs with none left, or from the bus notifier
 * when a driver binds after rmmod passed that check (see there).
 */
static void xpv_switch_back(void)
{
	lockdep_assert_held(&xpv.lock);
	if (xpv.attached && dma_ops == &xpv_dma_ops)
		dma_ops = xpv.prev_ops;
	xpv.attached = false;
}

static bool xpv_driver_is_safe(const char *name)
{
	const char *p = safe_drivers;
	size_t len = strlen(name);

	while (p && *p) {
		const char *end = strchrnul(p, ',');

		if (end - p == len && !strncmp(p, name, len))
			return true;
		p = *end ? end + 1 : NULL;
	}
	return false;
}

static int xpv_find_bound(struct device *dev, void *data)
{
	struct device **found = data;

	if (dev->driver && !xpv_driver_is_safe(dev->driver->name)) {
		*found = get_device(dev);
		return 1;
	}
	return 0;
}

/*
 * Pin the module while a device is bound with our ops: it may hold
 * coherent buffers or streaming mappings made by them.
 */
static int xpv_bus_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct device *dev = data;
	unsigned long key = (unsigned long)dev;

	mutex_lock(&xpv.lock);
	switch (action) {
	case BUS_NOTIFY_BIND_DRIVER:
		if (!xpv.attached || get_dma_ops(dev) != &xpv_dma_ops ||
		    xa_load(&xpv.devices, key))
			break;
		if (!try_module_get(THIS_MODULE)) {
			/*
			 * rmmod is past the reference check: this driver must
			 * not start on ops about to go.  Switch back now; the
			 * exit path unmaps once the notifier is gone.
			 */
			xpv_switch_back();
			dev_info(dev, "binds while xen_pviommu unloads: previous DMA ops restored\n");
			break;
		}
		if (xa_err(xa_store(&xpv.devices, key, dev, GFP_KERNEL))) {
			/* Cannot track it: stay pinned for good, safely. */
			xpv.untracked++;
			dev_err(dev, "cannot track this device: xen_pviommu stays loaded\n");
			break;
		}
		xpv.nr_devices++;
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		if (xa_erase(&xpv.devices, key)) {
			xpv.nr_devices--;
			module_put(THIS_MODULE);
		}
		break;
	}
	mutex_unlock(&xpv.lock);
	return NOTIFY_DONE;
}

/*
 * Switch the global DMA ops.  A device already bound to a driver may have
 * DMA in flight with bus addresses from the old ops, and in a real Dom0
 * the premap rewrites the IOMMU context those addresses go through; so
 * refuse (the normal path is loading from the initramfs, before storage
 * and network drivers bind).
 */
static int xpv_check_idle(void)
{
	struct device *busy = NULL;

	lockdep_assert_held(&xpv.lock);
	bus_for_each_dev(&pci_bus_type, NULL, &busy, xpv_find_bound);
	if (busy) {
		pr_err("%s is bound to %s: load xen_pviommu before DMA drivers bind (initramfs or softdep); DMA ops unchanged\n",
		       dev_name(busy), busy->driver->name);
		put_device(busy);
		return -EBUSY;
	}
	return 0;
}

/*
 * The bus notifier is registered before this runs and takes the same
 * lock, so a driver that starts binding meanwhile waits in the notifier
 * and then probes with the new ops.
 */
static void xpv_switch(void)
{
	lockdep_assert_held(&xpv.lock);
	xpv.prev_ops = dma_ops;
	dma_ops = &xpv_dma_ops;
	xpv.attached = true;
}

static int xpv_attach(void)
{
	struct xpv_premap *pm = &xpv.premap;
	int rc;

	lockdep_assert_held(&xpv.lock);
	rc = xpv.model_only ? 0 : xpv_check_idle();
	if (rc)
		return rc;
	pm->batch = batch;
	pm->max_order = max_order >= 0 ? min_t(unsigned int, max_order,
					       xpv.caps.max_order) :
			xpv.caps.max_order;
	pm->map_flags = IOMMU_OP_readable | IOMMU_OP_writeable;
	/* A non-strict hardware domain: writable type refs would stop page
	 * tables from being pinned (see Documentation/pviommu.rst).
	 */
	if (xpv.caps.flags & IOMMU_QUERY_map_all_gfns)
		pm->map_flags |= IOMMU_MAP_OP_no_ref_cnt;

	rc = xpv_premap_collect(pm);
	if (rc) {
		pr_err("cannot read the RAM map (%d); DMA ops unchanged\n", rc);
		return rc;
	}
	rc = xpv_premap_expect(pm, &xpv.hv, pm->ranges, pm->nr,
			       &pm->expected);
	if (rc)
		return rc;
	memset(&pm->stats, 0, sizeof(pm->stats));
	pm->hypercalls = 0;
	rc = xpv_premap_walk(pm, &xpv.hv, XPV_PREMAP_MAP, pm->ranges, pm->nr,
			     &pm->stats);
	pm->boot_hypercalls = pm->hypercalls;
	if (rc) {
		pr_err("premap failed (%d), %llu ops left mapped by a failed rollback; DMA ops unchanged\n",
		       rc, pm->rollback_failed);
		return rc;
	}
	xpv.premapped = true;
	if (xpv.model_only)
		return 0;

	xpv.bounce = kvzalloc(sizeof(*xpv.bounce), GFP_KERNEL);
	if (!xpv.bounce || xpv_bounce_init(xpv.bounce,
					   (size_t)bounce_kb * 1024, SZ_1M)) {
		rc = -ENOMEM;
		goto unmap;
	}
	xpv_dma.pfn_to_gfn = xpv.hv.ops->pfn_to_gfn;
	xpv_dma.own_pages = xpv.hv.ops->own_pages;
	xpv_dma.foreign_offset = xpv.caps.offset;
	WRITE_ONCE(xpv_dma.bounce, xpv.bounce);
	rc = xpv_dma_publish(pm->ranges, pm->nr);
	if (rc)
		goto pool;

	xpv_switch();
	/*
	 * With a real hypervisor there is no way back: once PV-IOMMU is in
	 * use, Xen keeps Dom0's RAM only at its window (XenServer: MFN +
	 * 248 GiB), so the previous ops' MFN bus addresses would reach
	 * nothing.  Stay loaded for good; the stub models both layouts and
	 * lets the tests unload.
	 */
	if (xpv.hv.ops->flags & XPV_HV_REAL_XEN)
		__module_get(THIS_MODULE);
	return 0;

pool:
	WRITE_ONCE(xpv_dma.bounce, NULL);
	xpv_bounce_destroy(xpv.bounce);
unmap:
	kvfree(xpv.bounce);
	xpv.bounce = NULL;
	xpv_premap_walk(pm, &xpv.hv, XPV_PREMAP_UNMAP, pm->ranges, pm->nr,
			NULL);
	xpv.premapped = false;
	return rc;
}

static void xpv_resv_retry(void);

static void xpv_detach(void)
{
	lockdep_assert_held(&xpv.lock);
	xpv_switch_back();
	if (xpv.bounce) {
		xpv_dma_unpublish();
		WRITE_ONCE(xpv_dma.bounce, NULL);
		xpv_bounce_destroy(xpv.bounce);
		kvfree(xpv.bounce);
		xpv.bounce = NULL;
	}
	if (!xpv.premapped)
		return;
	xpv_resv_retry();
	if (xpv.resv && xpv.resv->nr_held)
		pr_err("%u withheld frame(s) stay mapped: their BFNs could not be unmapped\n",
		       xpv.resv->nr_held);
	xpv.premapped = false;
	if (xpv_premap_walk(&xpv.premap, &xpv.hv, XPV_PREMAP_UNMAP,
			    xpv.premap.ranges, xpv.premap.nr, NULL))
		pr_err("unmap at unload left %llu ops mapped\n",
		       xpv.premap.unmap_failed);
}

/* Index of the mapped range holding @pfn, or -1. */
static int xpv_range_index(u64 pfn)
{
	struct xpv_premap *pm = &xpv.premap;
	unsigned int i;

	lockdep_assert_held(&xpv.lock);
	for (i = 0; i < pm->nr; i++)
		if (pfn >= pm->ranges[i].start && pfn < pm->ranges[i].end)
			return i;
	return -1;
}

/* Insert @r (disjoint from every entry) keeping the array sorted. */
static void xpv_range_insert(const struct xpv_range *r)
{
	struct xpv_premap *pm = &xpv.premap;
	unsigned int i = pm->nr;

	lockdep_assert_held(&xpv.lock);
	while (i > 0 && pm->ranges[i - 1].start > r->start) {
		pm->ranges[i] = pm->ranges[i - 1];
		i--;
	}
	pm->ranges[i] = *r;
	pm->nr++;
}

/*
 * A block going online: map it before any page of it can be handed out.
 * It is recorded as a range of its own so that unmapping it later repeats
 * the same decomposition.
 */
static int xpv_hotplug_add(const struct xpv_range *r)
{
	struct xpv_premap *pm = &xpv.premap;
	int rc;

	lockdep_assert_held(&xpv.lock);
	if (xpv_range_index(r->start) >= 0 || xpv_range_index(r->end - 1) >= 0)
		return 0;	/* already mapped (never offlined) */
	if (xpv_emu_window_overlaps(r->start, r->end))
		return -EBUSY;	/* its BFNs are the emulator window's */
	if (pm->nr == ARRAY_SIZE(pm->ranges)) {
		pr_err("hotplug: too many RAM ranges to map pfn 0x%llx-0x%llx\n",
		       r->start, r->end);
		return -ENOSPC;
	}
	rc = xpv_premap_walk(pm, &xpv.hv, XPV_PREMAP_MAP, r, 1, NULL);
	if (rc) {
		pr_err("hotplug: mapping pfn 0x%llx-0x%llx failed (%d); the block stays offline\n",
		       r->start, r->end, rc);
		return rc;
	}
	xpv_range_insert(r);
	if (xpv.bounce && xpv_dma_publish(pm->ranges, pm->nr))
		pr_warn_ratelimited("hotplug: pfn 0x%llx-0x%llx is mapped, but DMA to it bounces (no memory for the range table)\n",
				    r->start, r->end);
	pm->hotplug_pages += r->end - r->start;
	return 0;
}

/*
 * A block going offline must be unmappable exactly: a whole hotplugged
 * range, or a piece of a larger range when no mapping can straddle its
 * edges (blocks are naturally aligned powers of two, so that holds when
 * the largest order used fits in the block).
 */
static int xpv_hotplug_can_remove(const struct xpv_range *r)
{
	struct xpv_premap *pm = &xpv.premap;
	u64 len = r->end - r->start;
	int i;

	lockdep_assert_held(&xpv.lock);
	i = xpv_range_index(r->start);
	if (i < 0 || pm->ranges[i].end < r->end)
		return 0;	/* not (entirely) mapped: nothing to undo */
	if (pm->ranges[i].start == r->start && pm->ranges[i].end == r->end)
		return 0;
	if (pm->nr + 1 < ARRAY_SIZE(pm->ranges) && is_power_of_2(len) &&
	    !(r->start & (len - 1)) && pm->max_order <= ilog2(len))
		return 0;
	pr_err("hotplug: pfn 0x%llx-0x%llx cannot be unmapped exactly (order %u mappings); refusing to offline it\n",
	       r->start, r->end, pm->max_order);
	return -EBUSY;
}

/* Publish the mapped ranges minus @r to the DMA path, then wait. */
static void xpv_hotplug_publish_without(const struct xpv_range *r)
{
	struct xpv_premap *pm = &xpv.premap;
	struct xpv_range *tmp;
	unsigned int i, n = 0;

	lockdep_assert_held(&xpv.lock);
	if (!xpv.bounce)
		return;		/* model only: no DMA path */
	tmp = kmalloc_array(pm->nr + 1, sizeof(*tmp), GFP_KERNEL);
	if (!tmp) {
		/* Keep every direct address off: all DMA bounces meanwhile. */
		xpv_dma_unpublish();
		return;
	}
	for (i = 0; i < pm->nr; i++) {
		struct xpv_range a = pm->ranges[i];

		if (a.end <= r->start || a.start >= r->end) {
			tmp[n++] = a;
			continue;
		}
		if (a.start < r->start)
			tmp[n++] = (struct xpv_range){ a.start, r->start };
		if (a.end > r->end)
			tmp[n++] = (struct xpv_range){ r->end, a.end };
	}
	if (xpv_dma_publish(tmp, n))
		xpv_dma_unpublish();
	else
		synchronize_rcu();
	kfree(tmp);
}

/* A block went offline (or failed to go online): unmap it, then forget. */
static void xpv_hotplug_remove(const struct xpv_range *r)
{
	struct xpv_premap *pm = &xpv.premap;
	struct xpv_range before, after;
	int i;

	lockdep_assert_held(&xpv.lock);
	i = xpv_range_index(r->start);
	if (i < 0 || pm->ranges[i].end < r->end)
		return;
	/*
	 * The block's pages are offline: nothing maps them for DMA any more.
	 * Still, withdraw them from the DMA path's table and wait for any
	 * reader of the old one before the hypervisor forgets the entries.
	 */
	xpv_hotplug_publish_without(r);
	if (xpv_premap_walk(pm, &xpv.hv, XPV_PREMAP_UNMAP, r, 1, NULL))
		pr_err("hotplug: unmapping pfn 0x%llx-0x%llx left %llu ops mapped\n",
		       r->start, r->end, pm->unmap_failed);
	before.start = pm->ranges[i].start;
	before.end = r->start;
	after.start = r->end;
	after.end = pm->ranges[i].end;
	memmove(&pm->ranges[i], &pm->ranges[i + 1],
		(pm->nr - i - 1) * sizeof(pm->ranges[0]));
	pm->nr--;
	if (before.start < before.end)
		xpv_range_insert(&before);
	if (after.start < after.end)
		xpv_range_insert(&after);
	if (xpv.bounce && !rcu_access_pointer(xpv_dma.map))
		xpv_dma_publish(pm->ranges, pm->nr);
	pm->hotplug_pages -= min(pm->hotplug_pages, r->end - r->start);
}

static int xpv_mem_notify(struct notifier_block *nb, unsigned long action,
			  void *arg)
{
	const struct memory_notify *mn = arg;
	struct xpv_range r = {
		.start = mn->start_pfn,
		.end = mn->start_pfn + mn->nr_pages,
	};
	int rc = 0;

	mutex_lock(&xpv.lock);
	if (xpv.premapped) {
		switch (action) {
		case MEM_GOING_ONLINE:
			rc = xpv_hotplug_add(&r);
			break;
		case MEM_GOING_OFFLINE:
			rc = xpv_hotplug_can_remove(&r);
			break;
		case MEM_OFFLINE:
		case MEM_CANCEL_ONLINE:
			xpv_hotplug_remove(&r);
			break;
		}
	}
	mutex_unlock(&xpv.lock);
	return notifier_from_errno(rc);
}

/*
 * Rebuild the blocks that the changes in xpv.resv touch, from the view
 * @before_of to @after_of (each xpv.resv->before or ->after, sorted).
 */
static int xpv_resv_rebuild(struct xpv_p2m_change *from, unsigned int nfrom,
			    struct xpv_p2m_change *to, unsigned int nto,
			    struct xpv_rebuild *res)
{
	struct xpv_premap *pm = &xpv.premap;
	struct xpv_p2m_overlay before, after;
	u64 calls = pm->hypercalls;
	int nr, rc;

	lockdep_assert_held(&xpv.lock);
	nr = xpv_premap_affected(pm->ranges, pm->nr, from, nfrom,
				 pm->max_order, xpv.resv->blocks,
				 XPV_RESV_CHUNK);
	if (nr < 0)
		return nr;
	xpv_premap_live_view(&before, &xpv.hv, from, nfrom);
	xpv_premap_live_view(&after, &xpv.hv, to, nto);
	rc = xpv_premap_rebuild(pm, &xpv.hv, xpv.resv->blocks, nr, &before,
				&after, res);
	xpv.resv_stats.hypercalls += pm->hypercalls - calls;
	return rc;
}

/* Does a failed unmap still reach @pfn? */
static bool xpv_resv_stuck(const struct xpv_rebuild *res, u64 pfn)
{
	unsigned int i;

	if (res->stuck_overflow)
		return true;
	for (i = 0; i < res->nr_stuck; i++)
		if (pfn >= res->stuck[i].start && pfn < res->stuck[i].end)
			return true;
	return false;
}

/*
 * Try again to unmap the BFNs of withheld frames (the blocks holding them
 * rebuilt from "still there" to the live P2M), and give back the frames
 * that no entry reaches any more.
 */
static void xpv_resv_retry(void)
{
	struct xpv_resv *sc = xpv.resv;
	struct xpv_rebuild res;
	unsigned int i, n, keep = 0, give = 0;
	long rc;

	lockdep_assert_held(&xpv.lock);
	if (!sc || !sc->nr_held)
		return;
	n = xpv_p2m_changes_sort(sc->held, sc->nr_held);
	for (i = 0; i < n; i++) {
		sc->after[i].pfn = sc->held[i].pfn;
		sc->after[i].gfn = XPV_INVALID_GFN;
	}
	if (xpv_resv_rebuild(sc->held, n, sc->after, n, &res))
		return;
	xpv.resv_stats.unmapped += res.map_failed;
	for (i = 0; i < n; i++) {
		if (xpv_resv_stuck(&res, sc->held[i].pfn))
			sc->held[keep++] = sc->held[i];
		else
			sc->frames[give++] = sc->held[i].gfn;
	}
	sc->nr_held = keep;
	if (!give)
		return;
	rc = xpv_hv_reservation(&xpv.hv, XPV_RESV_DECREASE, sc->frames,
				give);
	if (rc > 0)
		xpv.resv_stats.released += rc;
	if (rc != give)
		pr_err_ratelimited("balloon: giving back %u withheld frame(s) failed (%ld)\n",
				   give, rc);
}

/* Is @pfn a withheld frame's pfn? */
static bool xpv_resv_is_held(u64 pfn)
{
	unsigned int i;

	lockdep_assert_held(&xpv.lock);
	for (i = 0; i < xpv.resv->nr_held; i++)
		if (xpv.resv->held[i].pfn == pfn)
			return true;
	return false;
}

/* One chunk of a decrease; returns frames accounted as given back. */
static long xpv_resv_decrease_chunk(unsigned long *gfns, unsigned int n)
{
	struct xpv_resv *sc = xpv.resv;
	struct xpv_rebuild res;
	unsigned int i, nb = 0, keep = 0;
	int err;
	long rc;

	lockdep_assert_held(&xpv.lock);
	for (i = 0; i < n; i++) {
		u64 pfn = xpv.hv.ops->gfn_to_pfn(gfns[i]);

		if (pfn == XPV_INVALID_GFN)
			continue;	/* not a page of ours: nothing maps it */
		sc->before[nb].pfn = pfn;
		sc->before[nb].gfn = gfns[i];
		sc->after[nb].pfn = pfn;
		sc->after[nb].gfn = XPV_INVALID_GFN;
		nb++;
	}
	nb = xpv_p2m_changes_sort(sc->before, nb);
	xpv_p2m_changes_sort(sc->after, nb);
	err = xpv_resv_rebuild(sc->before, nb, sc->after, nb, &res);
	if (err) {
		memset(&res, 0, sizeof(res));
		res.stuck_overflow = true;	/* nothing is known unmapped */
	}
	xpv.resv_stats.unmapped += res.map_failed;

	/* Only frames no IOMMU entry reaches any more go back. */
	for (i = 0; i < n; i++) {
		u64 pfn = xpv.hv.ops->gfn_to_pfn(gfns[i]);

		if (pfn == XPV_INVALID_GFN || !xpv_resv_stuck(&res, pfn)) {
			sc->frames[keep++] = gfns[i];
			continue;
		}
		if (sc->nr_held < ARRAY_SIZE(sc->held)) {
			sc->held[sc->nr_held].pfn = pfn;
			sc->held[sc->nr_held].gfn = gfns[i];
			sc->nr_held++;
		} else {
			xpv.resv_stats.leaked++;
		}
	}
	if (keep < n) {
		xpv.resv_stats.withheld += n - keep;
		pr_err_ratelimited("balloon: %u frame(s) still mapped after a failed unmap (%d): kept, not given back\n",
				   n - keep, err);
	}
	rc = keep ? xpv_hv_reservation(&xpv.hv, XPV_RESV_DECREASE, sc->frames,
				       keep) : 0;
	if (rc < 0)
		return rc;
	xpv.resv_stats.released += rc;
	/* Withheld frames count as done: the caller must not retry them. */
	return rc + (n - keep);
}

/* One chunk of a populate; returns frames populated and mapped. */
static long xpv_resv_populate_chunk(unsigned long *frames, unsigned int n)
{
	struct xpv_resv *sc = xpv.resv;
	struct xpv_rebuild res, undo;
	unsigned int i;
	long got;
	int rc;

	lockdep_assert_held(&xpv.lock);
	/* A pfn whose old frame is still mapped cannot take a new one yet. */
	for (i = 0; i < n; i++)
		if (xpv_resv_is_held(frames[i]))
			return 0;
	memcpy(sc->frames, frames, n * sizeof(*frames));
	got = xpv_hv_reservation(&xpv.hv, XPV_RESV_POPULATE, frames, n);
	if (got <= 0)
		return got;
	for (i = 0; i < got; i++) {
		sc->before[i].pfn = sc->frames[i];
		sc->before[i].gfn = XPV_INVALID_GFN;
		sc->after[i].pfn = sc->frames[i];
		sc->after[i].gfn = frames[i];
	}
	xpv_p2m_changes_sort(sc->before, got);
	i = xpv_p2m_changes_sort(sc->after, got);
	rc = xpv_resv_rebuild(sc->before, i, sc->after, i, &res);
	if (!rc && !res.map_failed && !res.unmap_failed) {
		xpv.resv_stats.populated += got;
		return got;
	}
	/* Put the map back as it was and return the frames: none is used. */
	rc = xpv_resv_rebuild(sc->after, i, sc->before, i, &undo);
	xpv.resv_stats.unmapped += undo.map_failed;
	xpv.resv_stats.undone++;
	memcpy(sc->frames, frames, got * sizeof(*frames));
	if (xpv_hv_reservation(&xpv.hv, XPV_RESV_DECREASE, sc->frames,
			       got) != got)
		pr_err_ratelimited("balloon: could not return %ld frame(s) after a failed map\n",
				   got);
	pr_err_ratelimited("balloon: mapping %ld populated frame(s) failed (%llu map, %llu unmap errors): populate undone\n",
			   got, res.map_failed, res.unmap_failed);
	for (i = 0; i < got; i++)
		frames[i] = sc->frames[i];
	return 0;
}

/*
 * Both directions: straight to the hypervisor while nothing is premapped,
 * else withheld frames retried first, then chunk by chunk, stopping at
 * the first chunk not wholly done.
 */
static long xpv_resv_change(enum xpv_hv_resv op, unsigned long *frames,
			    unsigned int count)
{
	unsigned int off;
	long done = 0, rc = 0;

	mutex_lock(&xpv.lock);
	xpv.resv_stats.calls++;
	if (!xpv.premapped) {
		rc = xpv_hv_reservation(&xpv.hv, op, frames, count);
		mutex_unlock(&xpv.lock);
		return rc;
	}
	xpv_resv_retry();
	for (off = 0; off < count; off += XPV_RESV_CHUNK) {
		unsigned int n = min_t(unsigned int, count - off,
				       XPV_RESV_CHUNK);

		rc = op == XPV_RESV_DECREASE ?
		     xpv_resv_decrease_chunk(frames + off, n) :
		     xpv_resv_populate_chunk(frames + off, n);
		if (rc < 0)
			break;
		done += rc;
		if (rc < n)
			break;
	}
	mutex_unlock(&xpv.lock);
	return done ?: rc;
}

/**
 * xpv_resv_decrease() - xenmem_reservation_decrease(), IOMMU first
 * @gfns:  frames this domain gives back; the caller has already cleared
 *         their P2M entries
 * @count: number of @gfns
 *
 * Each chunk: the premap blocks holding the pages are rebuilt without
 * them (their BFNs unmapped, the neighbours of a split superpage mapped
 * again), then the frames go back.  A frame whose BFN could not be
 * unmapped is kept (counted and reported) and counted as done, because
 * giving it back would let a device reach another domain's memory, and
 * the balloon driver treats a short count as fatal.
 *
 * Context: process context; may sleep.  Takes the state mutex.
 * Return: frames done, or a negative errno from the hypervisor.
 */
long xpv_resv_decrease(unsigned long *gfns, unsigned int count)
{
	return xpv_resv_change(XPV_RESV_DECREASE, gfns, count);
}

/**
 * xpv_resv_populate() - xenmem_reservation_increase(), IOMMU after
 * @pfns:  pfns to populate; replaced by their new frames for the extents
 *         done, as the hypercall does (the caller then sets its P2M)
 * @count: number of @pfns
 *
 * Each chunk: the hypervisor populates, then the premap blocks holding
 * the pages are rebuilt with the new frames, before the caller can hand
 * the pages out.  If the map cannot be built, it is put back as it was,
 * the new frames are given back and the chunk counts as not done (the
 * balloon driver retries later).
 *
 * Context: process context; may sleep.  Takes the state mutex.
 * Return: extents done, or a negative errno from the hypervisor.
 */
long xpv_resv_populate(unsigned long *pfns, unsigned int count)
{
	return xpv_resv_change(XPV_RESV_POPULATE, pfns, count);
}

static int balloon_show(struct seq_file *m, void *v)
{
	struct xpv_resv_stats *st = &xpv.resv_stats;

	mutex_lock(&xpv.lock);
	seq_printf(m, "hooked\t%u\n", xen_pviommu_follows_reservation());
	seq_printf(m, "calls\t%llu\n", st->calls);
	seq_printf(m, "released\t%llu\n", st->released);
	seq_printf(m, "populated\t%llu\n", st->populated);
	seq_printf(m, "withheld\t%llu\n", st->withheld);
	seq_printf(m, "held\t%u\n", xpv.resv ? xpv.resv->nr_held : 0);
	seq_printf(m, "leaked\t%llu\n", st->leaked);
	seq_printf(m, "unmapped\t%llu\n", st->unmapped);
	seq_printf(m, "undone\t%llu\n", st->undone);
	seq_printf(m, "hypercalls\t%llu\n", st->hypercalls);
	mutex_unlock(&xpv.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(balloon);

static int caps_show(struct seq_file *m, void *v)
{
	seq_printf(m, "backend\t%s\n", xpv.hv.ops->name);
	seq_printf(m, "map_cap\t%u\n",
		   !!(xpv.caps.flags & IOMMU_QUERY_map_cap));
	seq_printf(m, "map_all_gfns\t%u\n",
		   !!(xpv.caps.flags & IOMMU_QUERY_map_all_gfns));
	seq_printf(m, "max_order\t%u\n", xpv.caps.max_order);
	seq_printf(m, "foreign_offset\t0x%llx\n", xpv.caps.offset);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(caps);

static int premap_show(struct seq_file *m, void *v)
{
	struct xpv_premap *pm = &xpv.premap;
	unsigned int o;

	mutex_lock(&xpv.lock);
	seq_printf(m, "attached\t%u\n", xpv.attached);
	seq_printf(m, "premapped\t%u\n", xpv.premapped);
	seq_printf(m, "model_only\t%u\n", xpv.model_only);
	seq_printf(m, "ranges\t%u\n", pm->nr);
	seq_printf(m, "max_order\t%u\n", pm->max_order);
	seq_printf(m, "batch\t%u\n", pm->batch);
	seq_printf(m, "expected_ops\t%llu\n", pm->expected.ops);
	seq_printf(m, "expected_hypercalls\t%llu\n", pm->expected.hypercalls);
	seq_printf(m, "ops\t%llu\n", pm->stats.ops);
	seq_printf(m, "pages\t%llu\n", pm->stats.pages);
	seq_printf(m, "holes\t%llu\n", pm->stats.holes);
	seq_printf(m, "boot_hypercalls\t%llu\n", pm->boot_hypercalls);
	seq_printf(m, "hypercalls\t%llu\n", pm->hypercalls);
	seq_printf(m, "hotplug_pages\t%llu\n", pm->hotplug_pages);
	seq_printf(m, "rollback_failed\t%llu\n", pm->rollback_failed);
	seq_printf(m, "unmap_failed\t%llu\n", pm->unmap_failed);
	for (o = 0; o <= XPV_PREMAP_MAX_ORDER; o++)
		if (pm->stats.pages_by_order[o])
			seq_printf(m, "pages_order_%u\t%llu\n", o,
				   pm->stats.pages_by_order[o]);
	seq_printf(m, "map_end\t0x%llx\n", READ_ONCE(xpv_dma.map_end));
	if (xpv.bounce) {
		seq_printf(m, "bounce_chunks\t%u\n", xpv.bounce->nr_chunks);
		seq_printf(m, "bounce_used_slots\t%d\n",
			   atomic_read(&xpv.bounce->used_slots));
		seq_printf(m, "bounced_bytes\t%lld\n",
			   atomic64_read(&xpv.bounce->bounced_bytes));
		seq_printf(m, "bounce_failed\t%lld\n",
			   atomic64_read(&xpv.bounce->failed));
	}
	seq_printf(m, "window_maps\t%lld\n",
		   atomic64_read(&xpv_dma.window_maps));
	seq_printf(m, "foreign_bounced\t%lld\n",
		   atomic64_read(&xpv_dma.foreign_bounced));
	seq_printf(m, "unmapped_bounced\t%lld\n",
		   atomic64_read(&xpv_dma.unmapped_bounced));
	seq_printf(m, "refused\t%lld\n", atomic64_read(&xpv_dma.refused));
	seq_printf(m, "devices\t%u\n", xpv.nr_devices);
	seq_printf(m, "untracked_devices\t%u\n", xpv.untracked);
	mutex_unlock(&xpv.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(premap);

/*
 * Follow reservation changes from before the premap on (see balloon.c).
 * Not under the state mutex: the hook's calls take it.
 */
static int xpv_hook_start(void)
{
	int rc;

	if (!balloon_hook)
		return 0;
	xpv.resv = kvzalloc(sizeof(*xpv.resv), GFP_KERNEL);
	if (!xpv.resv)
		return -ENOMEM;
	rc = xpv_balloon_hook_add();
	if (rc) {
		pr_err("cannot follow balloon changes (%d): not attaching (balloon_hook=0 only if this domain never balloons)\n",
		       rc);
		kvfree(xpv.resv);
		xpv.resv = NULL;
	}
	return rc;
}

static void xpv_hook_stop(void)
{
	xpv_balloon_hook_del();
	kvfree(xpv.resv);
	xpv.resv = NULL;
}

static int xpv_atomic64_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(xpv_atomic64_fops, xpv_atomic64_get, NULL, "%llu\n");

static int __init xpv_pviommu_init(void)
{
	bool strict;
	int rc;

	if (batch < 128 || batch > 4096) {
		pr_err("batch=%u out of range 128-4096\n", batch);
		return -EINVAL;
	}
	rc = xpv_hv_get(&xpv.hv);
	if (rc) {
		pr_info("not a Xen PV domain and xen_hvstub is not loaded: not loading\n");
		return rc;
	}
	xpv.model_only = xpv.hv.stub && xen_domain();
	rc = xpv_hv_query_caps(&xpv.hv, &xpv.caps);
	if (rc) {
		pr_info("%s backend: iommu_op %u query_caps failed (%d): keeping the current DMA ops, not loading\n",
			xpv.hv.ops->name, xpv_hv_iommu_op_nr(), rc);
		rc = -ENODEV;
		goto put;
	}

	xpv.nb.notifier_call = xpv_bus_notify;
	rc = bus_register_notifier(&pci_bus_type, &xpv.nb);
	if (rc)
		goto put;
	/* Before the premap: a block onlined meanwhile waits, then maps. */
	xpv.mem_nb.notifier_call = xpv_mem_notify;
	rc = register_memory_notifier(&xpv.mem_nb);
	if (rc)
		goto bus;
	/*
	 * Draft B: a hardware domain that may not map every gfn is in
	 * dom0-strict mode, where the feature is not to be used (its devices
	 * could not reach grant-mapped pages, and writable type references
	 * would block page-table pins).  The emulator API stays.
	 */
	strict = xen_initial_domain() &&
		     (xpv.caps.flags & IOMMU_QUERY_map_cap) &&
		     !(xpv.caps.flags & IOMMU_QUERY_map_all_gfns);
	if (attach && !strict && (xpv.caps.flags & IOMMU_QUERY_map_cap)) {
		rc = xpv_hook_start();
		if (rc)
			goto mem;
		mutex_lock(&xpv.lock);
		rc = xpv_attach();
		mutex_unlock(&xpv.lock);
		if (rc)
			goto hook;
	}

	xpv.dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("caps", 0400, xpv.dbg, NULL, &caps_fops);
	debugfs_create_file("premap", 0400, xpv.dbg, NULL, &premap_fops);
	debugfs_create_file("balloon", 0400, xpv.dbg, NULL, &balloon_fops);
	debugfs_create_file("hypercalls", 0400, xpv.dbg, &xpv.hv.hypercalls,
			    &xpv_atomic64_fops);
	debugfs_create_file("ops", 0400, xpv.dbg, &xpv.hv.ops_issued,
			    &xpv_atomic64_fops);
	/*
	 * The emulator API is a second service: without room for its window
	 * (or memory) the DMA ops still stand.  Bad parameters refuse the
	 * load, so a typo is seen, unless our ops are in place with a real
	 * hypervisor: there is no way back from those (see xpv_attach()).
	 */
	rc = xpv_emu_init(&xpv.hv, &xpv.caps, xpv.dbg);
	if (rc == -EINVAL &&
	    !(xpv.attached && (xpv.hv.ops->flags & XPV_HV_REAL_XEN)))
		goto emu;
	if (rc)
		pr_warn("emulator API unavailable (%d); DMA ops unaffected\n",
			rc);
	rc = 0;

	if (xpv.model_only && xpv.premapped)
		pr_info("%s backend, model only (stub in a real Xen domain): 1:1 map of %llu pages in %llu ops of order <= %u, %llu hypercalls (minimum %llu); DMA ops unchanged\n",
			xpv.hv.ops->name, xpv.premap.stats.pages,
			xpv.premap.stats.ops, xpv.premap.max_order,
			xpv.premap.boot_hypercalls,
			xpv.premap.expected.hypercalls);
	else if (xpv.attached)
		pr_info("%s backend: 1:1 map of %llu pages in %llu ops of order <= %u, %llu hypercalls (minimum %llu); DMA ops switched, bounce pool %u MiB, balloon hook %s\n",
			xpv.hv.ops->name, xpv.premap.stats.pages,
			xpv.premap.stats.ops, xpv.premap.max_order,
			xpv.premap.boot_hypercalls,
			xpv.premap.expected.hypercalls, xpv.bounce->nr_chunks,
			xen_pviommu_follows_reservation() ? "on" : "off");
	else if (strict)
		pr_info("%s backend: dom0-strict mode (map_cap without map_all_gfns in the hardware domain): no 1:1 map; DMA ops unchanged\n",
			xpv.hv.ops->name);
	else
		pr_info("%s backend: map_cap=%u map_all_gfns=%u max_order=%u foreign_offset=0x%llx; DMA ops unchanged\n",
			xpv.hv.ops->name,
			!!(xpv.caps.flags & IOMMU_QUERY_map_cap),
			!!(xpv.caps.flags & IOMMU_QUERY_map_all_gfns),
			xpv.caps.max_order, xpv.caps.offset);
	return 0;

emu:
	debugfs_remove(xpv.dbg);
	mutex_lock(&xpv.lock);
	xpv_detach();
	mutex_unlock(&xpv.lock);
hook:
	xpv_hook_stop();
mem:
	unregister_memory_notifier(&xpv.mem_nb);
bus:
	bus_unregister_notifier(&pci_bus_type, &xpv.nb);
put:
	xpv_hv_put(&xpv.hv);
	return rc;
}
module_init(xpv_pviommu_init);

static void __exit xpv_pviommu_exit(void)
{
	xpv_emu_exit();
	debugfs_remove(xpv.dbg);
	mutex_lock(&xpv.lock);
	xpv_detach();
	mutex_unlock(&xpv.lock);
	xpv_hook_stop();
	unregister_memory_notifier(&xpv.mem_nb);
	bus_unregister_notifier(&pci_bus_type, &xpv.nb);
	xa_destroy(&xpv.devices);
	xpv_hv_put(&xpv.hv);
}
module_exit(xpv_pviommu_exit);

MODULE_DESCRIPTION("Xen PV-IOMMU DMA ops for PV Dom0 and driver domains");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
