// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs.c - the "xen_pmem" attribute group the driver core adds to every
 * namespace xen_pmem claims (/sys/bus/nd/devices/namespaceX.Y/xen_pmem/),
 * one value per file, and the driver's "xen_owned" list
 * (/sys/bus/nd/drivers/xen_pmem/xen_owned), which also names namespaces
 * unbound while the hypervisor may own their range.
 * Documentation/ABI/testing/sysfs-xen-pmem.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/device.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>

#include "pmem.h"

#define XPV_FRAME_BYTES(f)	((unsigned long long)(f) << XPV_PMEM_PAGE_SHIFT)

enum xpv_attr_id {
	XPV_A_STATE,
	XPV_A_LAST_ERROR,
	XPV_A_REASON,
	XPV_A_UUID,
	XPV_A_INFO_BLOCK,
	XPV_A_REPAIRED,
	XPV_A_XEN_OWNS,
	XPV_A_COVERED_SPA,
	XPV_A_COVERED_SIZE,
	XPV_A_RESERVED_SPA,
	XPV_A_RESERVED_SIZE,
	XPV_A_DATA_SPA,
	XPV_A_DATA_SIZE,
};

static const char *xpv_copy_name(enum xpv_pmem_sb_use use)
{
	switch (use) {
	case XPV_PMEM_SB_USE_PRIMARY:
		return "primary";
	case XPV_PMEM_SB_USE_BACKUP:
		return "backup";
	default:
		return "none";
	}
}

/* One value of @ns.  xpv_pmem.lock held. */
static ssize_t xpv_show_one(struct xpv_pmem_ns *ns, enum xpv_attr_id id,
			    char *buf)
{
	const struct xpv_xenpf_pmem_add *r = &ns->rep;

	lockdep_assert_held(&xpv_pmem.lock);
	switch (id) {
	case XPV_A_STATE:
		return sysfs_emit(buf, "%s\n", xpv_pmem_state_name(ns->state));
	case XPV_A_LAST_ERROR:
		return sysfs_emit(buf, "%d\n", ns->last_error);
	case XPV_A_REASON:
		return sysfs_emit(buf, "%s\n", ns->reason);
	case XPV_A_INFO_BLOCK:
		return sysfs_emit(buf, "%s\n", xpv_copy_name(ns->used));
	case XPV_A_REPAIRED:
		return sysfs_emit(buf, "%s\n", xpv_copy_name(ns->repaired));
	case XPV_A_XEN_OWNS:
		return sysfs_emit(buf, "%d\n", ns->xen_owns);
	case XPV_A_UUID:
		/* Only for a valid info block. */
		if (ns->used == XPV_PMEM_SB_USE_NONE)
			return -ENXIO;
		return sysfs_emit(buf, "%pUb\n", ns->info.uuid);
	default:
		break;
	}
	/* The ranges exist only once a report was derived from the block. */
	if (!ns->have_rep)
		return -ENXIO;
	switch (id) {
	case XPV_A_COVERED_SPA:
		return sysfs_emit(buf, "%#llx\n", XPV_FRAME_BYTES(r->spfn));
	case XPV_A_COVERED_SIZE:
		return sysfs_emit(buf, "%llu\n",
				  XPV_FRAME_BYTES(r->epfn - r->spfn));
	case XPV_A_RESERVED_SPA:
		return sysfs_emit(buf, "%#llx\n", XPV_FRAME_BYTES(r->rsv_spfn));
	case XPV_A_RESERVED_SIZE:
		return sysfs_emit(buf, "%llu\n",
				  XPV_FRAME_BYTES(r->rsv_epfn - r->rsv_spfn));
	case XPV_A_DATA_SPA:
		return sysfs_emit(buf, "%#llx\n", XPV_FRAME_BYTES(r->data_spfn));
	case XPV_A_DATA_SIZE:
		return sysfs_emit(buf, "%llu\n",
				  XPV_FRAME_BYTES(r->data_epfn - r->data_spfn));
	default:
		return -ENXIO;
	}
}

struct xpv_attr {
	struct device_attribute attr;
	enum xpv_attr_id id;
};

static ssize_t xpv_attr_show(struct device *dev, struct device_attribute *da,
			     char *buf)
{
	struct xpv_attr *xa = container_of(da, struct xpv_attr, attr);
	struct xpv_pmem_ns *ns;
	ssize_t rc = -ENXIO;

	/* The group goes away before ->remove(), so @ns outlives us. */
	mutex_lock(&xpv_pmem.lock);
	ns = dev_get_drvdata(dev);
	if (ns)
		rc = xpv_show_one(ns, xa->id, buf);
	mutex_unlock(&xpv_pmem.lock);
	return rc;
}

#define XPV_ATTR(_name, _id)						\
	static struct xpv_attr xpv_attr_##_name = {			\
		.attr = __ATTR(_name, 0444, xpv_attr_show, NULL),	\
		.id = _id,						\
	}

XPV_ATTR(state, XPV_A_STATE);
XPV_ATTR(last_error, XPV_A_LAST_ERROR);
XPV_ATTR(reason, XPV_A_REASON);
XPV_ATTR(uuid, XPV_A_UUID);
XPV_ATTR(info_block, XPV_A_INFO_BLOCK);
XPV_ATTR(repaired, XPV_A_REPAIRED);
XPV_ATTR(xen_owns, XPV_A_XEN_OWNS);
XPV_ATTR(covered_spa, XPV_A_COVERED_SPA);
XPV_ATTR(covered_size, XPV_A_COVERED_SIZE);
XPV_ATTR(reserved_spa, XPV_A_RESERVED_SPA);
XPV_ATTR(reserved_size, XPV_A_RESERVED_SIZE);
XPV_ATTR(data_spa, XPV_A_DATA_SPA);
XPV_ATTR(data_size, XPV_A_DATA_SIZE);

static struct attribute *xpv_pmem_attrs[] = {
	&xpv_attr_state.attr.attr,
	&xpv_attr_last_error.attr.attr,
	&xpv_attr_reason.attr.attr,
	&xpv_attr_uuid.attr.attr,
	&xpv_attr_info_block.attr.attr,
	&xpv_attr_repaired.attr.attr,
	&xpv_attr_xen_owns.attr.attr,
	&xpv_attr_covered_spa.attr.attr,
	&xpv_attr_covered_size.attr.attr,
	&xpv_attr_reserved_spa.attr.attr,
	&xpv_attr_reserved_size.attr.attr,
	&xpv_attr_data_spa.attr.attr,
	&xpv_attr_data_size.attr.attr,
	NULL,
};

static const struct attribute_group xpv_pmem_group = {
	.name = "xen_pmem",
	.attrs = xpv_pmem_attrs,
};

const struct attribute_group *xpv_pmem_dev_groups[] = {
	&xpv_pmem_group,
	NULL,
};

/*
 * The namespaces whose reserved range the hypervisor may own, one name per
 * line, bound ones and orphans (unbound, fence kept) alike: what a tool
 * must not touch even when the namespace looks unclaimed.
 */
static ssize_t xen_owned_show(struct device_driver *drv, char *buf)
{
	struct xpv_pmem_ns *ns;
	ssize_t len = 0;

	mutex_lock(&xpv_pmem.lock);
	list_for_each_entry(ns, &xpv_pmem.list, node)
		if (ns->xen_owns)
			len += sysfs_emit_at(buf, len, "%s\n", ns->name);
	mutex_unlock(&xpv_pmem.lock);
	return len;
}
static DRIVER_ATTR_RO(xen_owned);

static struct attribute *xpv_pmem_drv_attrs[] = {
	&driver_attr_xen_owned.attr,
	NULL,
};

static const struct attribute_group xpv_pmem_drv_group = {
	.attrs = xpv_pmem_drv_attrs,
};

const struct attribute_group *xpv_pmem_drv_groups[] = {
	&xpv_pmem_drv_group,
	NULL,
};
