// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_pviommu - DMA ops for a Xen PV Dom0 / driver domain through the
 * PV-IOMMU iommu_op hypercall.
 *
 * Module entry: select the hypervisor backend, query the PV-IOMMU
 * capabilities with a full 32-byte op and report them in one line.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include <xpv/compat.h>
#include <xpv/hv.h>

/**
 * struct xpv_pviommu - module state
 * @hv:   hypervisor backend, held from init to exit.
 * @caps: PV-IOMMU capabilities reported by the backend at init.
 * @dbg:  debugfs directory.
 *
 * Written once at init, read-only afterwards: no lock.
 */
static struct xpv_pviommu {
	struct xpv_hv hv;
	struct xpv_iommu_caps caps;
	struct dentry *dbg;
} xpv;

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

static int __init xpv_pviommu_init(void)
{
	int rc;

	rc = xpv_hv_get(&xpv.hv);
	if (rc) {
		pr_info("not a Xen PV domain and xen_hvstub is not loaded: not loading\n");
		return rc;
	}
	rc = xpv_hv_query_caps(&xpv.hv, &xpv.caps);
	if (rc) {
		pr_info("%s backend: iommu_op %u query_caps failed (%d): keeping the current DMA ops, not loading\n",
			xpv.hv.ops->name, xpv_hv_iommu_op_nr(), rc);
		xpv_hv_put(&xpv.hv);
		return -ENODEV;
	}

	xpv.dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("caps", 0400, xpv.dbg, NULL, &caps_fops);
	debugfs_create_u64("hypercalls", 0400, xpv.dbg, &xpv.hv.hypercalls);
	debugfs_create_u64("ops", 0400, xpv.dbg, &xpv.hv.ops_issued);

	pr_info("%s backend: map_cap=%u map_all_gfns=%u max_order=%u foreign_offset=0x%llx; DMA ops unchanged\n",
		xpv.hv.ops->name, !!(xpv.caps.flags & IOMMU_QUERY_map_cap),
		!!(xpv.caps.flags & IOMMU_QUERY_map_all_gfns),
		xpv.caps.max_order, xpv.caps.offset);
	return 0;
}
module_init(xpv_pviommu_init);

static void __exit xpv_pviommu_exit(void)
{
	debugfs_remove(xpv.dbg);
	xpv_hv_put(&xpv.hv);
}
module_exit(xpv_pviommu_exit);

MODULE_DESCRIPTION("Xen PV-IOMMU DMA ops for PV Dom0 and driver domains");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
