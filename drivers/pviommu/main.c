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

static unsigned int bounce_kb = 4096;
module_param(bounce_kb, uint, 0444);
MODULE_PARM_DESC(bounce_kb,
		 "bounce pool below 4 GiB for devices with short DMA masks, KiB (default 4096; plus 1 MiB below 16 MiB)");

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
	struct notifier_block nb;
	struct notifier_block mem_nb;
	struct dentry *dbg;
} xpv = {
	.lock = __MUTEX_INITIALIZER(xpv.lock),
	.devices = XARRAY_INIT(xpv.devices, 0),
};

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
		if (xpv.attached && get_dma_ops(dev) == &xpv_dma_ops &&
		    !xa_load(&xpv.devices, key) &&
		    !xa_err(xa_store(&xpv.devices, key, dev, GFP_KERNEL))) {
			__module_get(THIS_MODULE);
			xpv.nr_devices++;
		}
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
	unsigned int i;
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
	xpv_dma.bounce = xpv.bounce;
	xpv_dma.map_end = 0;
	for (i = 0; i < pm->nr; i++)
		xpv_dma.map_end = max(xpv_dma.map_end,
				      PFN_PHYS(pm->ranges[i].end));

	xpv_switch();
	return 0;

unmap:
	kvfree(xpv.bounce);
	xpv.bounce = NULL;
	xpv_premap_walk(pm, &xpv.hv, XPV_PREMAP_UNMAP, pm->ranges, pm->nr,
			NULL);
	xpv.premapped = false;
	return rc;
}

static void xpv_detach(void)
{
	lockdep_assert_held(&xpv.lock);
	if (xpv.attached) {
		if (dma_ops == &xpv_dma_ops)
			dma_ops = xpv.prev_ops;
		xpv.attached = false;
		xpv_dma.bounce = NULL;
		xpv_dma.map_end = 0;
		xpv_bounce_destroy(xpv.bounce);
		kvfree(xpv.bounce);
		xpv.bounce = NULL;
	}
	if (!xpv.premapped)
		return;
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
	if (PFN_PHYS(r->end) > xpv_dma.map_end)
		WRITE_ONCE(xpv_dma.map_end, PFN_PHYS(r->end));
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
	if (xpv.attached) {
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
	seq_printf(m, "map_end\t0x%llx\n", xpv_dma.map_end);
	if (xpv.bounce) {
		seq_printf(m, "bounce_chunks\t%u\n", xpv.bounce->nr_chunks);
		seq_printf(m, "bounce_used_slots\t%u\n",
			   xpv.bounce->used_slots);
		seq_printf(m, "bounced_bytes\t%lld\n",
			   atomic64_read(&xpv.bounce->bounced_bytes));
	}
	seq_printf(m, "devices\t%u\n", xpv.nr_devices);
	mutex_unlock(&xpv.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(premap);

static int xpv_atomic64_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(xpv_atomic64_fops, xpv_atomic64_get, NULL, "%llu\n");

static int __init xpv_pviommu_init(void)
{
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
	mutex_lock(&xpv.lock);
	if (attach && (xpv.caps.flags & IOMMU_QUERY_map_cap))
		rc = xpv_attach();
	mutex_unlock(&xpv.lock);
	if (rc)
		goto bus;
	xpv.mem_nb.notifier_call = xpv_mem_notify;
	rc = register_memory_notifier(&xpv.mem_nb);
	if (rc)
		goto detach;

	xpv.dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("caps", 0400, xpv.dbg, NULL, &caps_fops);
	debugfs_create_file("premap", 0400, xpv.dbg, NULL, &premap_fops);
	debugfs_create_file("hypercalls", 0400, xpv.dbg, &xpv.hv.hypercalls,
			    &xpv_atomic64_fops);
	debugfs_create_file("ops", 0400, xpv.dbg, &xpv.hv.ops_issued,
			    &xpv_atomic64_fops);
	rc = xpv_emu_init(&xpv.hv, &xpv.caps, xpv.dbg);
	if (rc)
		goto emu;

	if (xpv.model_only && xpv.premapped)
		pr_info("%s backend, model only (stub in a real Xen domain): 1:1 map of %llu pages in %llu ops of order <= %u, %llu hypercalls (minimum %llu); DMA ops unchanged\n",
			xpv.hv.ops->name, xpv.premap.stats.pages,
			xpv.premap.stats.ops, xpv.premap.max_order,
			xpv.premap.boot_hypercalls,
			xpv.premap.expected.hypercalls);
	else if (xpv.attached)
		pr_info("%s backend: 1:1 map of %llu pages in %llu ops of order <= %u, %llu hypercalls (minimum %llu); DMA ops switched, bounce pool %u MiB\n",
			xpv.hv.ops->name, xpv.premap.stats.pages,
			xpv.premap.stats.ops, xpv.premap.max_order,
			xpv.premap.boot_hypercalls,
			xpv.premap.expected.hypercalls, xpv.bounce->nr_chunks);
	else
		pr_info("%s backend: map_cap=%u map_all_gfns=%u max_order=%u foreign_offset=0x%llx; DMA ops unchanged\n",
			xpv.hv.ops->name,
			!!(xpv.caps.flags & IOMMU_QUERY_map_cap),
			!!(xpv.caps.flags & IOMMU_QUERY_map_all_gfns),
			xpv.caps.max_order, xpv.caps.offset);
	return 0;

emu:
	debugfs_remove(xpv.dbg);
	unregister_memory_notifier(&xpv.mem_nb);
detach:
	mutex_lock(&xpv.lock);
	xpv_detach();
	mutex_unlock(&xpv.lock);
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
	unregister_memory_notifier(&xpv.mem_nb);
	mutex_lock(&xpv.lock);
	xpv_detach();
	mutex_unlock(&xpv.lock);
	bus_unregister_notifier(&pci_bus_type, &xpv.nb);
	xa_destroy(&xpv.devices);
	xpv_hv_put(&xpv.hv);
}
module_exit(xpv_pviommu_exit);

MODULE_DESCRIPTION("Xen PV-IOMMU DMA ops for PV Dom0 and driver domains");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
