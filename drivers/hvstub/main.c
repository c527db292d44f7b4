// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_hvstub - a stub hypervisor for tests: implements the iommu_op and
 * pmem report hypercalls on a model of the calling domain, so the drivers
 * run on any kernel.  Test-only; refuses to load inside a real Xen domain
 * unless forced.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <xen/xen.h>

#include <xpv/compat.h>
#include <xpv/hv.h>

static bool force;
module_param(force, bool, 0444);
MODULE_PARM_DESC(force,
		 "load even inside a real Xen domain (model tests only; default 0)");

static bool map_cap = true;
module_param(map_cap, bool, 0444);
MODULE_PARM_DESC(map_cap, "query_caps reports IOMMU_QUERY_map_cap (default 1)");

static bool map_all_gfns = true;
module_param(map_all_gfns, bool, 0444);
MODULE_PARM_DESC(map_all_gfns,
		 "query_caps reports IOMMU_QUERY_map_all_gfns (default 1)");

static uint max_order = 9;
module_param(max_order, uint, 0444);
MODULE_PARM_DESC(max_order,
		 "largest page order accepted and reported by query_caps, 0-63 (default 9)");

static unsigned long long foreign_offset;
module_param(foreign_offset, ullong, 0444);
MODULE_PARM_DESC(foreign_offset,
		 "foreign host-RAM window offset in frames reported by query_caps (default 0)");

/* Serialises hypercalls, as a real hypervisor would per domain. */
static DEFINE_MUTEX(stub_lock);

static void stub_query_caps(struct pv_iommu_op *op)
{
	op->flags = IOMMU_page_order_flags(max_order);
	if (map_cap)
		op->flags |= IOMMU_QUERY_map_cap;
	if (map_all_gfns)
		op->flags |= IOMMU_QUERY_map_all_gfns;
	op->u.query_caps.offset = foreign_offset;
	op->status = 0;
}

static long stub_iommu_op(struct pv_iommu_op *ops, unsigned int count)
{
	unsigned int i;

	if ((int)count < 0)
		return -EINVAL;
	mutex_lock(&stub_lock);
	for (i = 0; i < count; i++) {
		switch (ops[i].subop_id) {
		case IOMMUOP_query_caps:
			stub_query_caps(&ops[i]);
			break;
		default:
			ops[i].status = -ENODEV;
			break;
		}
	}
	mutex_unlock(&stub_lock);
	return 0;
}

static long stub_pmem_add(const struct xpv_xenpf_pmem_add *op)
{
	if (op->spfn >= op->epfn)
		return -EINVAL;
	return -ENOSYS;
}

static u64 stub_pfn_to_gfn(unsigned long pfn)
{
	return pfn;
}

static const struct xpv_hv_ops stub_ops = {
	.name		= "stub",
	.owner		= THIS_MODULE,
	.iommu_op	= stub_iommu_op,
	.pmem_add	= stub_pmem_add,
	.pfn_to_gfn	= stub_pfn_to_gfn,
};

static int __init stub_init(void)
{
	if (xen_domain() && !force) {
		pr_err("refusing to load in a real Xen domain (use force=1 for model tests)\n");
		return -EPERM;
	}
	if (max_order > 63) {
		pr_err("max_order=%u out of range 0-63\n", max_order);
		return -EINVAL;
	}
	if (xpv_hv_register_stub(&stub_ops)) {
		pr_err("another stub backend is registered\n");
		return -EBUSY;
	}
	pr_info("stub hypervisor ready: map_cap=%d map_all_gfns=%d max_order=%u\n",
		map_cap, map_all_gfns, max_order);
	return 0;
}
module_init(stub_init);

static void __exit stub_exit(void)
{
	xpv_hv_unregister_stub(&stub_ops);
}
module_exit(stub_exit);

MODULE_DESCRIPTION("Stub Xen hypervisor for testing xen_pviommu and xen_pmem");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
