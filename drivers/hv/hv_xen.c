// SPDX-License-Identifier: GPL-2.0-only
/*
 * hv_xen.c - the real backend: hypercalls to Xen from a PV domain.
 *
 * Only xpv_hv_get() selects it, and only when xen_pv_domain() is true.
 * The hypercall numbers are variables because neither op has a number
 * allocated upstream; xen_pvcore exposes them as module parameters.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/string.h>
#include <xen/xen.h>
#include <xen/interface/xen.h>
#include <xen/interface/memory.h>
#include <xen/interface/platform.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include <xpv/hv.h>

unsigned int xpv_hv_xen_iommu_op_nr = XPV_HYPERVISOR_iommu_op_default;
unsigned int xpv_hv_xen_pmem_op_nr = XPV_XENPF_pmem_add_default;

/* _hypercall2() pastes __HYPERVISOR_ in front of the name it is given. */
#define __HYPERVISOR_xpv_iommu_op	xpv_hv_xen_iommu_op_nr

static long xpv_xen_iommu_op(struct pv_iommu_op *ops, unsigned int count)
{
	return _hypercall2(long, xpv_iommu_op, ops, count);
}

static long xpv_xen_pmem_add(const struct xpv_xenpf_pmem_add *pmem)
{
	struct xen_platform_op op;

	BUILD_BUG_ON(sizeof(*pmem) > sizeof(op.u.pad));
	memset(&op, 0, sizeof(op));
	op.cmd = xpv_hv_xen_pmem_op_nr;
	memcpy(op.u.pad, pmem, sizeof(*pmem));
	return HYPERVISOR_platform_op(&op);
}

static u64 xpv_xen_pfn_to_gfn(unsigned long pfn)
{
	unsigned long mfn = __pfn_to_mfn(pfn);

	if (mfn == INVALID_P2M_ENTRY)
		return XPV_INVALID_GFN;
	if (mfn & FOREIGN_FRAME_BIT)
		return (mfn & ~FOREIGN_FRAME_BIT) | XPV_GFN_FOREIGN;
	return mfn & ~IDENTITY_FRAME_BIT;
}

static unsigned long xpv_xen_own_pages(unsigned long pfn, unsigned long nr)
{
	unsigned long i, mfn;

	for (i = 0; i < nr; i++) {
		mfn = __pfn_to_mfn(pfn + i);
		if (mfn == INVALID_P2M_ENTRY || (mfn & FOREIGN_FRAME_BIT))
			break;
	}
	return i;
}

/*
 * The raw M2P: the balloon driver clears a page's P2M entry before it
 * gives the frame back, and the frame still names its pfn here.
 */
static u64 xpv_xen_gfn_to_pfn(u64 gfn)
{
	unsigned long pfn = mfn_to_pfn_no_overrides(gfn);

	return pfn == ~0UL ? XPV_INVALID_GFN : pfn;
}

/* What xenmem_reservation_{decrease,increase}() issue, through this table. */
static long xpv_xen_reservation(enum xpv_hv_resv op, unsigned long *frames,
				unsigned int count)
{
	struct xen_memory_reservation resv = {
		.extent_order	= 0,
		.domid		= DOMID_SELF,
		.nr_extents	= count,
	};

	BUILD_BUG_ON(sizeof(xen_pfn_t) != sizeof(*frames));
	set_xen_guest_handle(resv.extent_start, (xen_pfn_t *)frames);
	return HYPERVISOR_memory_op(op == XPV_RESV_DECREASE ?
				    XENMEM_decrease_reservation :
				    XENMEM_populate_physmap, &resv);
}

/* Xen delivers invalidates on the emulator's ioreq ring, not to us. */
static int xpv_xen_invalidate_pop(u16 domid, u16 ioserver, u64 *bfn)
{
	return -EOPNOTSUPP;
}

const struct xpv_hv_ops xpv_hv_xen_ops = {
	.name		= "xen",
	.owner		= THIS_MODULE,
	.flags		= XPV_HV_REAL_XEN,
	.iommu_op	= xpv_xen_iommu_op,
	.pmem_add	= xpv_xen_pmem_add,
	.pfn_to_gfn	= xpv_xen_pfn_to_gfn,
	.own_pages	= xpv_xen_own_pages,
	.gfn_to_pfn	= xpv_xen_gfn_to_pfn,
	.reservation	= xpv_xen_reservation,
	.invalidate_pop	= xpv_xen_invalidate_pop,
};
