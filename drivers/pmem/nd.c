// SPDX-License-Identifier: GPL-2.0-only
/*
 * nd.c - xen_pmem's nd driver: claim reservation namespaces, validate their
 * info block, fence the reserved range, report to the hypervisor.
 *
 * The driver matches every pmem namespace and keeps only those labelled
 * XPV_PMEM_NS_NAME; everything else is refused with -ENODEV so the stock
 * drivers (nd_pmem, dax_pmem) get it.  A reservation namespace reaches us
 * three ways:
 *  - offered by the driver core (boot with the softdep that loads us
 *    before nd_pmem, a hotplugged region, "ndctl-xen reserve", an explicit
 *    bind, or our own registration finding it unbound);
 *  - bound to another driver already (nd_pmem came first): at load, and
 *    later through a bus notifier, a work item takes it over when its disk
 *    is not open;
 *  - rebound after an unbind: the fence that was kept because Xen owns the
 *    range is adopted.
 *
 * Per claim, in order: the namespace's live geometry and region (iomem
 * tree) -> enable only the first 12 KiB, read both info block copies,
 * validate (drivers/lib/pmem_sb.c, libnvdimm's order), repair the bad copy
 * from the good one, disable -> take an exclusive busy resource over the
 * reserved range (nothing in Dom0 can map or claim it afterwards, /dev/mem
 * included) -> report {region, reserved, data} through the backend -> pin
 * the module while Xen may own the range.  Nothing here fails the probe
 * for bad media (an unreadable copy is a bad copy, rewritten from the
 * other) or a refused report: the namespace stays claimed, with its state
 * in sysfs, so no stock driver exposes it by accident.
 *
 * Unloading: module exit first sets xpv_pmem.stopping; a probe or a
 * takeover that sees it claims nothing.  A claim also holds a module
 * reference (try_module_get()) from before fencing until it knows whether
 * the hypervisor may own the range, and keeps it as the pin when it may:
 * a claim racing with rmmod either holds the module or fences nothing.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include <xpv/compat.h>
#include "pmem.h"

#define XPV_PMEM_TYPE_PMEM	"nd_namespace_pmem"
#define XPV_PMEM_TYPE_IO	"nd_namespace_io"

/* How long a takeover waits for a disk's transient openers to go. */
#define XPV_TAKEOVER_TRIES	20
#define XPV_TAKEOVER_WAIT_MS	100

static const char *const xpv_pmem_state_names[XPV_PMEM_ST_NR] = {
	[XPV_PMEM_ST_INVALID]		= "invalid",
	[XPV_PMEM_ST_BUSY]		= "busy",
	[XPV_PMEM_ST_UNSUPPORTED]	= "unsupported",
	[XPV_PMEM_ST_REJECTED]		= "rejected",
	[XPV_PMEM_ST_REPORTED]		= "reported",
};

/**
 * xpv_pmem_state_name() - sysfs/debugfs name of a state
 * @state: state
 *
 * Context: any.
 * Return: a static string.
 */
const char *xpv_pmem_state_name(enum xpv_pmem_state state)
{
	if ((unsigned int)state >= XPV_PMEM_ST_NR)
		return "unknown";
	return xpv_pmem_state_names[state];
}

static bool xpv_dev_type_is(struct device *dev, const char *name)
{
	return dev->type && dev->type->name && !strcmp(dev->type->name, name);
}

/* A labelled pmem namespace carrying our label name.  Device lock held. */
static bool xpv_is_reservation(struct device *dev)
{
	struct nd_namespace_pmem *nspm;

	if (!xpv_dev_type_is(dev, XPV_PMEM_TYPE_PMEM))
		return false;
	nspm = to_nd_namespace_pmem(dev);
	return nspm->alt_name && !strcmp(nspm->alt_name, XPV_PMEM_NS_NAME);
}

/* ---- live geometry -------------------------------------------------- */

struct xpv_region_find {
	u64 start;
	u64 end;		/* inclusive */
	u64 found_start;
	u64 found_end;		/* inclusive */
	bool found;
};

static int xpv_region_cb(struct resource *res, void *arg)
{
	struct xpv_region_find *f = arg;

	if (res->start > f->start || res->end < f->end)
		return 0;
	f->found_start = res->start;
	f->found_end = res->end;
	f->found = true;
	return 1;
}

/*
 * The namespace's uuid and range, and the persistent-memory range holding
 * it (the NFIT SPA range libnvdimm built the region from; the region
 * itself is private to libnvdimm).
 */
static int xpv_pmem_live(struct device *dev, struct xpv_pmem_live *live)
{
	struct nd_namespace_pmem *nspm = to_nd_namespace_pmem(dev);
	struct resource *res = &nspm->nsio.res;
	static const unsigned long descs[] = {
		IORES_DESC_PERSISTENT_MEMORY,
		IORES_DESC_PERSISTENT_MEMORY_LEGACY,
	};
	struct xpv_region_find f = { .start = res->start, .end = res->end };
	unsigned int i;

	memset(live, 0, sizeof(*live));
	if (nspm->uuid)
		memcpy(live->parent_uuid, nspm->uuid, sizeof(live->parent_uuid));
	live->ns_spa = res->start;
	live->ns_size = resource_size(res);
	for (i = 0; i < ARRAY_SIZE(descs) && !f.found; i++)
		walk_iomem_res_desc(descs[i], IORESOURCE_MEM, 0, U64_MAX, &f,
				    xpv_region_cb);
	if (!f.found)
		return -ENXIO;
	live->region_spa = f.found_start;
	live->region_size = f.found_end - f.found_start + 1;
	return 0;
}

/* ---- media ------------------------------------------------------------ */

static __printf(4, 5) void xpv_set_state(struct xpv_pmem_ns *ns,
					 enum xpv_pmem_state state, int err,
					 const char *fmt, ...)
{
	va_list ap;

	ns->state = state;
	ns->last_error = err;
	va_start(ap, fmt);
	vsnprintf(ns->reason, sizeof(ns->reason), fmt, ap);
	va_end(ap);
}

/*
 * Read one copy.  A media error (-EIO, a bad block in the copy) makes it
 * unreadable, which xpv_pmem_sb_choose() treats as a bad copy; any other
 * error is returned.  @inject fakes the media error (test hook).
 */
static int xpv_pmem_read_copy(struct nd_namespace_common *ndns, u64 off,
			      struct xpv_pmem_sb *blk, bool inject,
			      const struct xpv_pmem_sb **out)
{
	int rc = inject ? -EIO : nvdimm_read_bytes(ndns, off, blk,
						     sizeof(*blk), 0);

	*out = rc ? NULL : blk;
	return rc == -EIO ? 0 : rc;
}

/*
 * Map the first 12 KiB (both copies) only, read each copy, choose, repair
 * the bad copy from the trusted one (a 512-byte aligned rewrite also
 * clears a bad block where the platform can), unmap.  Return: 0 (see @ch
 * for the outcome), or the errno of enabling the namespace or of a read
 * that failed other than with a media error.
 */
static int xpv_pmem_read_blocks(struct device *dev,
				struct nd_namespace_common *ndns,
				const struct xpv_pmem_live *live,
				struct xpv_pmem_ns *ns,
				struct xpv_pmem_sb_choice *ch)
{
	const struct xpv_pmem_sb *p, *b;
	struct xpv_pmem_sb *blk, *good;
	u32 inject;
	int rc, wrc = 0;

	mutex_lock(&xpv_pmem.lock);
	inject = xpv_pmem.inject_eio;
	xpv_pmem.inject_eio = 0;
	mutex_unlock(&xpv_pmem.lock);

	blk = kmalloc_array(2, sizeof(*blk), GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	rc = devm_namespace_enable(dev, ndns, XPV_PMEM_SB_HDR_END);
	if (rc)
		goto out_free;
	rc = xpv_pmem_read_copy(ndns, XPV_PMEM_SB_PRIMARY_OFF, &blk[0],
				inject & XPV_PMEM_EIO_PRIMARY, &p);
	if (!rc)
		rc = xpv_pmem_read_copy(ndns, XPV_PMEM_SB_BACKUP_OFF, &blk[1],
					inject & XPV_PMEM_EIO_BACKUP, &b);
	if (rc)
		goto out_disable;
	if (!p || !b) {
		mutex_lock(&xpv_pmem.lock);
		xpv_pmem.stats.unreadable += !p + !b;
		mutex_unlock(&xpv_pmem.lock);
		dev_warn(dev, "info block %s unreadable (media error): treated as bad\n",
			 !p && !b ? "primary and backup" : !p ? "primary" :
			 "backup");
	}

	xpv_pmem_sb_choose(p, b, live, ch);
	ns->used = ch->use;
	ns->repaired = XPV_PMEM_SB_USE_NONE;
	/* nvdimm_write_bytes() takes a non-const buffer. */
	good = &blk[ch->use == XPV_PMEM_SB_USE_PRIMARY ? 0 : 1];
	if (ch->repair_primary) {
		wrc = nvdimm_write_bytes(ndns, XPV_PMEM_SB_PRIMARY_OFF, good,
					 sizeof(*good), 0);
		if (!wrc)
			ns->repaired = XPV_PMEM_SB_USE_PRIMARY;
	} else if (ch->repair_backup) {
		wrc = nvdimm_write_bytes(ndns, XPV_PMEM_SB_BACKUP_OFF, good,
					 sizeof(*good), 0);
		if (!wrc)
			ns->repaired = XPV_PMEM_SB_USE_BACKUP;
	}
	if (wrc)
		dev_warn(dev, "rewriting the %s info block failed (%d): it stays bad\n",
			 ch->repair_primary ? "primary" : "backup", wrc);
	else if (ch->repair_primary)
		dev_info(dev, "primary info block %s (invalid): rewritten from the backup copy\n",
			 xpv_pmem_sb_reason_str(ch->primary_reason));
	else if (ch->repair_backup && ch->backup_err)
		dev_info(dev, "backup info block %s (invalid): rewritten from the primary copy\n",
			 xpv_pmem_sb_reason_str(ch->backup_reason));
	else if (ch->repair_backup)
		dev_info(dev, "backup info block differs from the primary (interrupted update): rewritten from the primary copy\n");
out_disable:
	devm_namespace_disable(dev, ndns);
out_free:
	kfree(blk);
	return rc;
}

/* ---- fence and report ------------------------------------------------- */

static const char *xpv_pmem_hv_reason(long rc)
{
	switch (rc) {
	case -ENOSYS:
		return "the hypervisor has no pmem report op";
	case -EEXIST:
		return "overlaps a range the hypervisor already has";
	case -ENOSPC:
		return "reserved area too small for the hypervisor's page_info/M2P";
	case -EINVAL:
		return "the hypervisor found the report malformed";
	case -EPERM:
		return "not the hardware domain";
	case -ENOMEM:
		return "the hypervisor is out of memory for reports";
	default:
		return "the hypervisor refused the report";
	}
}

/*
 * Take an exclusive busy resource over [@start, @start + @size), named by
 * an allocated copy of XPV_PMEM_FENCE_NAME (see there).  Return: the
 * fence, or NULL (-ENOMEM, or the range is in use).
 */
static struct resource *xpv_fence_take(u64 start, u64 size)
{
	struct resource *res;
	char *name;

	name = kstrdup(XPV_PMEM_FENCE_NAME, GFP_KERNEL);
	if (!name)
		return NULL;
	res = __request_region(&iomem_resource, start, size, name,
			       IORESOURCE_EXCLUSIVE);
	if (!res)
		kfree(name);
	return res;
}

/* Release a fence from xpv_fence_take(). */
static void xpv_fence_drop(struct resource *fence)
{
	const char *name = fence->name;

	__release_region(&iomem_resource, fence->start, resource_size(fence));
	kfree(name);
}

/* An orphan fence over exactly this reserved range.  xpv_pmem.lock held. */
static struct xpv_pmem_ns *xpv_find_orphan(const struct xpv_xenpf_pmem_add *rep)
{
	struct xpv_pmem_ns *o;

	lockdep_assert_held(&xpv_pmem.lock);
	list_for_each_entry(o, &xpv_pmem.list, node)
		if (!o->dev && o->fence &&
		    o->rep.rsv_spfn == rep->rsv_spfn &&
		    o->rep.rsv_epfn == rep->rsv_epfn)
			return o;
	return NULL;
}

/*
 * Fence the reserved range of a validated block and report it.  Takes
 * xpv_pmem.lock (adoption, pin); may sleep in the backend.  Return: 0 (the
 * outcome is in @ns), or -ENODEV when the module is unloading (nothing
 * fenced, nothing reported).
 */
static int xpv_pmem_fence_and_report(struct device *dev,
				     struct xpv_pmem_ns *ns)
{
	u64 start = ns->rep.rsv_spfn << XPV_PMEM_PAGE_SHIFT;
	u64 size = (ns->rep.rsv_epfn - ns->rep.rsv_spfn) << XPV_PMEM_PAGE_SHIFT;
	struct xpv_pmem_ns *orphan = NULL;
	bool had_pin = false;
	long rc;

	/*
	 * The module reference taken here becomes the pin if the hypervisor
	 * may own the range.  try_module_get() fails once rmmod has begun,
	 * before xpv_pmem.stopping is set; the flag covers the rest of exit.
	 */
	mutex_lock(&xpv_pmem.lock);
	if (xpv_pmem.stopping || !try_module_get(THIS_MODULE)) {
		xpv_pmem.stats.declined++;
		mutex_unlock(&xpv_pmem.lock);
		dev_info(dev, "xen_pmem is unloading: not claimed, nothing fenced or reported\n");
		return -ENODEV;
	}
	orphan = xpv_find_orphan(&ns->rep);
	if (orphan) {
		/* Xen kept it across our unbind: take its fence and pin. */
		ns->fence = orphan->fence;
		had_pin = orphan->xen_owns;
		list_del(&orphan->node);
		kfree(orphan);
		xpv_pmem.stats.adopted++;
	}
	mutex_unlock(&xpv_pmem.lock);
	if (orphan)
		dev_info(dev, "adopted the fence kept over %pa+%#llx\n",
			 &start, size);

	if (!ns->fence) {
		ns->fence = xpv_fence_take(start, size);
		if (!ns->fence) {
			xpv_set_state(ns, XPV_PMEM_ST_BUSY, -EBUSY,
				      "reserved range %#llx-%#llx is in use in Dom0",
				      start, start + size - 1);
			dev_err(dev, "%s: not reported\n", ns->reason);
			module_put(THIS_MODULE);
			return 0;
		}
	}

	rc = xpv_hv_pmem_add(&xpv_pmem.hv, &ns->rep);
	mutex_lock(&xpv_pmem.lock);
	if (!rc) {
		xpv_pmem.stats.reports_ok++;
		xpv_set_state(ns, XPV_PMEM_ST_REPORTED, 0, "%s", "");
	} else {
		xpv_pmem.stats.reports_err++;
		xpv_set_state(ns, rc == -ENOSYS ? XPV_PMEM_ST_UNSUPPORTED :
			      XPV_PMEM_ST_REJECTED, (int)rc, "%s",
			      xpv_pmem_hv_reason(rc));
	}
	/*
	 * Accepted, or refused in a way that does not say nothing was taken
	 * (-EEXIST: an overlapping report from an earlier kernel; -ENOMEM,
	 * -EFAULT, an unknown errno: maybe part of it), or adopted from an
	 * earlier report of ours whatever the hypervisor says now: the range
	 * may be Xen's.
	 */
	ns->xen_owns = xpv_pmem_report_may_own(rc) || had_pin;
	/* Keep one reference as the pin; an adopted orphan brought one. */
	if (!ns->xen_owns || had_pin)
		module_put(THIS_MODULE);
	mutex_unlock(&xpv_pmem.lock);

	if (!rc)
		dev_info(dev, "reported to %s: region %#llx-%#llx reserved %#llx-%#llx (%llu MiB) data %#llx-%#llx\n",
			 xpv_pmem.hv.ops->name,
			 ns->rep.spfn << XPV_PMEM_PAGE_SHIFT,
			 (ns->rep.epfn << XPV_PMEM_PAGE_SHIFT) - 1, start,
			 start + size - 1, size >> 20,
			 ns->rep.data_spfn << XPV_PMEM_PAGE_SHIFT,
			 (ns->rep.data_epfn << XPV_PMEM_PAGE_SHIFT) - 1);
	else if (rc == -ENOSYS)
		dev_warn(dev, "%s (%s, platform op %#x): not reported; reserved range stays fenced\n",
			 ns->reason, xpv_pmem.hv.ops->name, xpv_hv_pmem_op_nr());
	else if (ns->xen_owns)
		dev_err(dev, "report refused by %s (%ld: %s): the hypervisor may own the reserved range: it stays fenced until reboot\n",
			xpv_pmem.hv.ops->name, rc, ns->reason);
	else
		dev_err(dev, "report refused by %s (%ld: %s): not reported; reserved range stays fenced\n",
			xpv_pmem.hv.ops->name, rc, ns->reason);
	return 0;
}

/* Everything a claim does after the namespace passed the cheap checks. */
static int xpv_pmem_claim(struct device *dev, struct nd_namespace_common *ndns,
			  struct xpv_pmem_ns *ns)
{
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_live live;
	int rc;

	rc = xpv_pmem_live(dev, &live);
	if (rc) {
		xpv_set_state(ns, XPV_PMEM_ST_INVALID, rc,
			      "no persistent-memory range holds the namespace");
		dev_err(dev, "%s: not reported\n", ns->reason);
		return 0;
	}
	rc = xpv_pmem_read_blocks(dev, ndns, &live, ns, &ch);
	if (rc) {
		dev_err(dev, "cannot read the info blocks (%d): not claimed\n",
			rc);
		return rc;
	}
	if (ns->repaired != XPV_PMEM_SB_USE_NONE) {
		mutex_lock(&xpv_pmem.lock);
		xpv_pmem.stats.repairs++;
		mutex_unlock(&xpv_pmem.lock);
	}
	if (ch.use == XPV_PMEM_SB_USE_NONE) {
		xpv_set_state(ns, XPV_PMEM_ST_INVALID,
			      ch.primary_err ? ch.primary_err : ch.backup_err,
			      "info block refused: primary: %s; backup: %s",
			      xpv_pmem_sb_reason_str(ch.primary_reason),
			      xpv_pmem_sb_reason_str(ch.backup_reason));
		mutex_lock(&xpv_pmem.lock);
		xpv_pmem.stats.refused++;
		mutex_unlock(&xpv_pmem.lock);
		dev_err(dev, "%s (%d): nothing fenced, nothing reported\n",
			ns->reason, ns->last_error);
		return 0;
	}
	ns->info = ch.info;
	rc = xpv_pmem_sb_report(&ns->info, &ns->rep);
	if (rc) {
		/* The range attributes then read -ENXIO, not zeros. */
		xpv_set_state(ns, XPV_PMEM_ST_INVALID, rc,
			      "no data area left in the covered range");
		dev_err(dev, "%s: not reported\n", ns->reason);
		return 0;
	}
	ns->have_rep = true;
	return xpv_pmem_fence_and_report(dev, ns);
}

/* ---- the nd driver ---------------------------------------------------- */

static int xpv_pmem_probe(struct device *dev)
{
	struct nd_namespace_common *ndns;
	struct xpv_pmem_ns *ns;
	bool stopping;
	int rc;

	mutex_lock(&xpv_pmem.lock);
	xpv_pmem.stats.probes++;
	stopping = xpv_pmem.stopping;
	mutex_unlock(&xpv_pmem.lock);
	if (stopping)
		return -ENODEV;

	if (xpv_dev_type_is(dev, XPV_PMEM_TYPE_IO)) {
		/* No label, so no reservation namespace: say so, leave it. */
		dev_info(dev, "label-less namespace: cannot hold a Xen reservation; its pmem is not reported (ndctl-xen reserve initialises labels)\n");
		return -ENODEV;
	}
	if (!xpv_is_reservation(dev))
		return -ENODEV;
	if (to_ndns(dev)->force_raw) {
		dev_info(dev, "raw mode requested: left to nd_pmem\n");
		return -ENODEV;
	}
	ndns = nvdimm_namespace_common_probe(dev);
	if (IS_ERR(ndns))
		return PTR_ERR(ndns);

	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	INIT_LIST_HEAD(&ns->node);
	ns->dev = dev;
	strscpy(ns->name, dev_name(dev), sizeof(ns->name));
	rc = xpv_pmem_claim(dev, ndns, ns);
	if (rc) {
		kfree(ns);
		return rc;
	}
	dev_set_drvdata(dev, ns);
	mutex_lock(&xpv_pmem.lock);
	list_add_tail(&ns->node, &xpv_pmem.list);
	xpv_pmem.stats.claims++;
	mutex_unlock(&xpv_pmem.lock);
	return 0;
}

static void xpv_pmem_remove(struct device *dev)
{
	struct xpv_pmem_ns *ns = dev_get_drvdata(dev);

	if (!ns)
		return;
	mutex_lock(&xpv_pmem.lock);
	ns->dev = NULL;
	if (ns->xen_owns) {
		/* Keep the fence (an orphan) and the module pin. */
		dev_warn(dev, "unbound while the hypervisor may own its reserved range: it stays fenced until reboot\n");
		ns = NULL;
	} else {
		list_del(&ns->node);
	}
	mutex_unlock(&xpv_pmem.lock);
	dev_set_drvdata(dev, NULL);
	if (!ns)
		return;
	if (ns->fence)
		xpv_fence_drop(ns->fence);
	kfree(ns);
}

/* ---- taking over from another driver ---------------------------------- */

struct xpv_pmem_takeover {
	struct work_struct work;
	struct device *dev;
};

static int xpv_disk_open_cb(struct device *child, void *data)
{
	if (!xpv_dev_type_is(child, "disk"))
		return 0;
	return disk_openers(dev_to_disk(child)) ? 1 : 0;
}

/* Bound elsewhere, not in raw mode on purpose.  Device lock held. */
static bool xpv_wants_takeover(struct device *dev)
{
	return dev->driver && dev->driver != &xpv_pmem.drv.drv &&
	       xpv_is_reservation(dev) && !to_ndns(dev)->force_raw;
}

static bool xpv_pmem_is_stopping(void)
{
	bool stopping;

	mutex_lock(&xpv_pmem.lock);
	stopping = xpv_pmem.stopping;
	mutex_unlock(&xpv_pmem.lock);
	return stopping;
}

/*
 * Whether @dev is still worth taking over, and whether its disk is open;
 * @holder gets the current driver's name.  Nothing is worth it once the
 * module is unloading.
 */
static bool xpv_takeover_check(struct device *dev, char *holder, size_t len,
			       bool *open)
{
	bool want;

	device_lock(dev);
	want = xpv_wants_takeover(dev) && !xpv_pmem_is_stopping();
	if (want) {
		strscpy(holder, dev->driver->name, len);
		*open = device_for_each_child(dev, NULL, xpv_disk_open_cb);
	}
	device_unlock(dev);
	return want;
}

static void xpv_pmem_takeover_fn(struct work_struct *work)
{
	struct xpv_pmem_takeover *t =
		container_of(work, struct xpv_pmem_takeover, work);
	struct device *dev = t->dev;
	char holder[32] = "";
	unsigned int tries;
	bool open = false;
	int rc;

	/*
	 * A disk that was just added is opened briefly (partition scan,
	 * udev's blkid): give such openers a moment before giving up.
	 */
	for (tries = 0; tries < XPV_TAKEOVER_TRIES; tries++) {
		if (!xpv_takeover_check(dev, holder, sizeof(holder), &open)) {
			if (*holder && xpv_pmem_is_stopping())
				dev_info(dev, "xen_pmem is unloading: left to %s\n",
					 holder);
			goto out;
		}
		if (!open)
			break;
		msleep(XPV_TAKEOVER_WAIT_MS);
	}
	if (open) {
		dev_warn(dev, "reservation namespace bound to %s and its disk is open: not taking it over (close it, then ndctl-xen reserve)\n",
			 holder);
		goto out;
	}
	/*
	 * A namespace bound to nd_pmem as a raw disk: nothing is mapped for
	 * us yet, so releasing it loses nothing.  Someone opening the disk
	 * between the check and the release sees it go away, as on any
	 * unbind.
	 */
	device_release_driver(dev);
	rc = device_driver_attach(&xpv_pmem.drv.drv, dev);
	if (rc && xpv_pmem_is_stopping()) {
		/* Exit began in between: give it back as it was. */
		rc = device_attach(dev);
		dev_info(dev, "xen_pmem is unloading: %s\n", rc > 0 ?
			 "given back to the stock drivers" :
			 "left unbound (no other driver took it)");
		goto out;
	}
	if (rc) {
		dev_err(dev, "taking over from %s failed (%d): left unbound\n",
			holder, rc);
		goto out;
	}
	mutex_lock(&xpv_pmem.lock);
	xpv_pmem.stats.takeovers++;
	mutex_unlock(&xpv_pmem.lock);
	dev_info(dev, "taken over from %s\n", holder);
out:
	put_device(dev);
	kfree(t);
}

static void xpv_queue_takeover(struct device *dev)
{
	struct xpv_pmem_takeover *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return;
	INIT_WORK(&t->work, xpv_pmem_takeover_fn);
	t->dev = get_device(dev);
	queue_work(xpv_pmem.wq, &t->work);
}

static int xpv_pmem_bus_event(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;

	/* driver_bound() notifies with the device lock held. */
	if (action == BUS_NOTIFY_BOUND_DRIVER && xpv_wants_takeover(dev) &&
	    !xpv_pmem_is_stopping())
		xpv_queue_takeover(dev);
	return NOTIFY_DONE;
}

static int xpv_scan_one(struct device *dev, void *data)
{
	bool want;

	device_lock(dev);
	want = xpv_wants_takeover(dev);
	device_unlock(dev);
	if (want)
		xpv_queue_takeover(dev);
	return 0;
}

/* ---- registration ----------------------------------------------------- */

/**
 * xpv_pmem_driver_init() - register the nd driver and start watching
 *
 * Unbound reservation namespaces are probed (and reported) before this
 * returns; those bound to another driver are taken over asynchronously.
 *
 * Context: process context, module init; xpv_pmem.hv must be valid.
 * Return: 0 or a negative errno (nothing left registered).
 */
int xpv_pmem_driver_init(void)
{
	int rc;

	xpv_pmem.wq = alloc_ordered_workqueue("xen_pmem", 0);
	if (!xpv_pmem.wq)
		return -ENOMEM;
	xpv_pmem.drv.drv.name = KBUILD_MODNAME;
	xpv_pmem.drv.drv.dev_groups = xpv_pmem_dev_groups;
	xpv_pmem.drv.drv.groups = xpv_pmem_drv_groups;
	xpv_pmem.drv.type = ND_DRIVER_NAMESPACE_PMEM | ND_DRIVER_NAMESPACE_IO;
	xpv_pmem.drv.probe = xpv_pmem_probe;
	xpv_pmem.drv.remove = xpv_pmem_remove;
	rc = nd_driver_register(&xpv_pmem.drv);
	if (rc)
		goto err_wq;
	xpv_pmem.nb.notifier_call = xpv_pmem_bus_event;
	rc = bus_register_notifier(xpv_pmem.drv.drv.bus, &xpv_pmem.nb);
	if (rc)
		goto err_drv;
	bus_for_each_dev(xpv_pmem.drv.drv.bus, NULL, NULL, xpv_scan_one);
	return 0;

err_drv:
	driver_unregister(&xpv_pmem.drv.drv);
err_wq:
	destroy_workqueue(xpv_pmem.wq);
	return rc;
}

/**
 * xpv_pmem_driver_exit() - stop watching, unbind everything
 *
 * First marks the module as stopping, so that neither a queued takeover
 * nor a probe (sysfs bind, hotplug) claims anything from here on, then
 * stops the notifier, drains the takeovers and unregisters the driver.
 * Namespaces whose range Xen may own pin the module, so this normally
 * finds none (see xpv_pmem_forget() and xpv_pmem_release_all()).
 *
 * Context: process context, module exit; takes xpv_pmem.lock.
 */
void xpv_pmem_driver_exit(void)
{
	mutex_lock(&xpv_pmem.lock);
	xpv_pmem.stopping = true;
	mutex_unlock(&xpv_pmem.lock);
	bus_unregister_notifier(xpv_pmem.drv.drv.bus, &xpv_pmem.nb);
	destroy_workqueue(xpv_pmem.wq);
	driver_unregister(&xpv_pmem.drv.drv);
}

/**
 * xpv_pmem_forget() - drop the claim on ranges Xen owns (stub only)
 *
 * For tests against xen_hvstub: the stub keeps its reports, so after this
 * the module can be unloaded and reloaded, and the reload re-derives and
 * re-sends identical reports.  A real hypervisor never gives a reported
 * range back, so this is refused there.
 *
 * Context: process context; takes xpv_pmem.lock.
 * Return: the number of ranges forgotten, or -EPERM with a real hypervisor.
 */
int xpv_pmem_forget(void)
{
	struct xpv_pmem_ns *ns, *tmp;
	LIST_HEAD(gone);
	int n = 0;

	if (!xpv_pmem.hv.stub)
		return -EPERM;
	mutex_lock(&xpv_pmem.lock);
	list_for_each_entry_safe(ns, tmp, &xpv_pmem.list, node) {
		if (!ns->xen_owns)
			continue;
		ns->xen_owns = false;
		module_put(THIS_MODULE);
		n++;
		if (!ns->dev)
			list_move(&ns->node, &gone);
	}
	mutex_unlock(&xpv_pmem.lock);
	list_for_each_entry_safe(ns, tmp, &gone, node) {
		xpv_fence_drop(ns->fence);
		kfree(ns);
	}
	pr_info("stub backend: forgot %d reported range(s); their fences go with their namespaces\n",
		n);
	return n;
}

/**
 * xpv_pmem_inject_eio() - make the next claim's info block reads fail
 * @mask: XPV_PMEM_EIO_PRIMARY and/or XPV_PMEM_EIO_BACKUP; 0 disarms
 *
 * A test hook for the media-error path (QEMU's NVDIMM has no error
 * injection): the next claim sees -EIO from the chosen copies, as
 * nvdimm_read_bytes() gives for a bad block.  Stub backend only.
 *
 * Context: process context; takes xpv_pmem.lock.
 * Return: 0, -EINVAL for unknown bits, -EPERM with a real hypervisor.
 */
int xpv_pmem_inject_eio(u32 mask)
{
	if (!xpv_pmem.hv.stub)
		return -EPERM;
	if (mask & ~(XPV_PMEM_EIO_PRIMARY | XPV_PMEM_EIO_BACKUP))
		return -EINVAL;
	mutex_lock(&xpv_pmem.lock);
	xpv_pmem.inject_eio = mask;
	mutex_unlock(&xpv_pmem.lock);
	return 0;
}

/**
 * xpv_pmem_release_all() - free what is left at module exit
 *
 * Only forgotten orphans are expected: a range Xen may own pins the
 * module, and a claim takes its pin before it fences.  Should one still
 * be here, its fence is kept for good (its name is allocated, not module
 * memory) and said so: releasing it could hand Xen's page_info area back
 * to Dom0.
 *
 * Context: process context, module exit, after xpv_pmem_driver_exit().
 */
void xpv_pmem_release_all(void)
{
	struct xpv_pmem_ns *ns, *tmp;

	list_for_each_entry_safe(ns, tmp, &xpv_pmem.list, node) {
		list_del(&ns->node);
		if (ns->fence && ns->xen_owns)
			pr_err("%s: unloading while the hypervisor may own reserved range %pR: it stays fenced until reboot\n",
			       ns->name, ns->fence);
		else if (ns->fence)
			xpv_fence_drop(ns->fence);
		kfree(ns);
	}
}
