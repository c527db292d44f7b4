// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_pvcore - the hypervisor backend table shared by xen_pviommu and
 * xen_pmem: selects the real Xen backend or a registered stub, and issues
 * every hypercall through it.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <xen/xen.h>

#include <xpv/compat.h>
#include <xpv/hv.h>
#include <xpv/lib/status.h>

module_param_named(iommu_op_nr, xpv_hv_xen_iommu_op_nr, uint, 0444);
MODULE_PARM_DESC(iommu_op_nr,
		 "iommu_op hypercall number used with a real Xen (default 56, XenServer's; 43 is the Vates proposal)");
module_param_named(pmem_op_nr, xpv_hv_xen_pmem_op_nr, uint, 0444);
MODULE_PARM_DESC(pmem_op_nr,
		 "platform op number of the pmem report with a real Xen (default 0x5850; not allocated upstream, 64 is taken)");

/* Protects xpv_stub_ops. */
static DEFINE_MUTEX(xpv_hv_lock);
/* The registered stub backend, or NULL.  Protected by xpv_hv_lock. */
static const struct xpv_hv_ops *xpv_stub_ops;

/**
 * xpv_hv_register_stub() - install a stub backend (xen_hvstub only)
 * @ops: the stub's table; @ops->owner is pinned by every user
 *
 * Drivers that already hold a backend keep it; later xpv_hv_get() calls
 * get the stub.
 *
 * Context: process context; takes xpv_hv_lock.
 * Return: 0, -EINVAL when a callback is missing (all are mandatory), or
 * -EBUSY when a stub is already registered.
 */
int xpv_hv_register_stub(const struct xpv_hv_ops *ops)
{
	int rc = 0;

	if (!ops->iommu_op || !ops->pmem_add || !ops->pfn_to_gfn ||
	    !ops->own_pages || !ops->gfn_to_pfn || !ops->reservation || !ops->invalidate_pop)
		return -EINVAL;
	mutex_lock(&xpv_hv_lock);
	if (xpv_stub_ops)
		rc = -EBUSY;
	else
		xpv_stub_ops = ops;
	mutex_unlock(&xpv_hv_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_register_stub, XPV_NS_CORE);

/**
 * xpv_hv_unregister_stub() - remove the stub backend
 * @ops: the table passed to xpv_hv_register_stub()
 *
 * Called from the stub's module exit, which cannot run while a driver
 * holds a reference on the stub module.
 *
 * Context: process context; takes xpv_hv_lock.
 */
void xpv_hv_unregister_stub(const struct xpv_hv_ops *ops)
{
	mutex_lock(&xpv_hv_lock);
	if (xpv_stub_ops == ops)
		xpv_stub_ops = NULL;
	mutex_unlock(&xpv_hv_lock);
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_unregister_stub, XPV_NS_CORE);

/**
 * xpv_hv_get() - select the backend for a driver
 * @hv: handle to fill in
 *
 * The stub wins when one is registered; otherwise the real backend is used
 * in a Xen PV domain.  A stub's module stays pinned until xpv_hv_put().
 *
 * Context: process context; takes xpv_hv_lock.
 * Return: 0, or -ENODEV when there is neither a stub nor a Xen PV domain.
 */
int xpv_hv_get(struct xpv_hv *hv)
{
	int rc = -ENODEV;

	memset(hv, 0, sizeof(*hv));
	mutex_lock(&xpv_hv_lock);
	if (xpv_stub_ops && try_module_get(xpv_stub_ops->owner)) {
		hv->ops = xpv_stub_ops;
		hv->stub = true;
		rc = 0;
	} else if (xen_pv_domain()) {
		hv->ops = &xpv_hv_xen_ops;
		rc = 0;
	}
	mutex_unlock(&xpv_hv_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_get, XPV_NS_CORE);

/**
 * xpv_hv_put() - release the backend selected by xpv_hv_get()
 * @hv: handle; its ops must no longer be in use
 *
 * Context: process context.
 */
void xpv_hv_put(struct xpv_hv *hv)
{
	if (hv->stub)
		module_put(hv->ops->owner);
	hv->ops = NULL;
	hv->stub = false;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_put, XPV_NS_CORE);

/**
 * xpv_hv_iommu_op_nr() - the iommu_op hypercall number in use with Xen
 *
 * Return: the number (module parameter iommu_op_nr).
 */
unsigned int xpv_hv_iommu_op_nr(void)
{
	return xpv_hv_xen_iommu_op_nr;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_iommu_op_nr, XPV_NS_CORE);

/**
 * xpv_hv_pmem_op_nr() - the pmem report platform op number in use with Xen
 *
 * Return: the number (module parameter pmem_op_nr).
 */
unsigned int xpv_hv_pmem_op_nr(void)
{
	return xpv_hv_xen_pmem_op_nr;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_pmem_op_nr, XPV_NS_CORE);

/**
 * xpv_hv_iommu_op() - issue one iommu_op hypercall
 * @hv:    backend handle
 * @ops:   batch of ops, statuses written back
 * @count: number of ops
 *
 * Context: process context; may sleep.
 * Return: the hypercall's return value.
 */
long xpv_hv_iommu_op(struct xpv_hv *hv, struct pv_iommu_op *ops,
		     unsigned int count)
{
	atomic64_inc(&hv->hypercalls);
	atomic64_add(count, &hv->ops_issued);
	return hv->ops->iommu_op(ops, count);
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_iommu_op, XPV_NS_CORE);

/**
 * xpv_hv_query_caps() - IOMMUOP_query_caps with a full 32-byte op
 * @hv:   backend handle
 * @caps: decoded result
 *
 * Context: process context; may sleep.
 * Return: 0, the hypercall's error (-ENOSYS: no PV-IOMMU hypercall), or
 * the op's status (-EIO when the hypervisor left it unwritten).
 */
int xpv_hv_query_caps(struct xpv_hv *hv, struct xpv_iommu_caps *caps)
{
	struct pv_iommu_op op;
	long rc;

	memset(&op, 0, sizeof(op));
	op.subop_id = IOMMUOP_query_caps;
	op.status = XPV_OP_STATUS_PENDING;
	rc = xpv_hv_iommu_op(hv, &op, 1);
	if (rc)
		return rc < 0 ? (int)rc : -EIO;
	rc = xpv_op_status_errno(op.status);
	if (rc)
		return rc;
	caps->flags = op.flags & (IOMMU_QUERY_map_cap |
				  IOMMU_QUERY_map_all_gfns);
	caps->max_order = IOMMU_page_order(op.flags);
	caps->offset = op.u.query_caps.offset;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_query_caps, XPV_NS_CORE);

/**
 * xpv_hv_pmem_add() - report one pmem region to the hypervisor
 * @hv: backend handle
 * @op: the report
 *
 * Context: process context; may sleep.
 * Return: the platform op's result.
 */
long xpv_hv_pmem_add(struct xpv_hv *hv, const struct xpv_xenpf_pmem_add *op)
{
	return hv->ops->pmem_add(op);
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_pmem_add, XPV_NS_CORE);

/**
 * xpv_hv_reservation() - change this domain's memory reservation
 * @hv:     backend handle
 * @op:     %XPV_RESV_DECREASE or %XPV_RESV_POPULATE
 * @frames: gfns to give back, or pfns to populate (new frames on return)
 * @count:  entries in @frames
 *
 * Context: process context; may sleep.
 * Return: extents done, or a negative errno.
 */
long xpv_hv_reservation(struct xpv_hv *hv, enum xpv_hv_resv op,
			unsigned long *frames, unsigned int count)
{
	return hv->ops->reservation(op, frames, count);
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_reservation, XPV_NS_CORE);

/**
 * xpv_hv_xen() - the real Xen backend, whatever is registered
 *
 * For a stub that only models the IOMMU inside a real Xen domain (model
 * only): the P2M, the M2P and the memory there still belong to Xen.
 *
 * Context: any.
 * Return: the real backend's table, or NULL outside a Xen PV domain.
 */
const struct xpv_hv_ops *xpv_hv_xen(void)
{
	return xen_pv_domain() ? &xpv_hv_xen_ops : NULL;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_xen, XPV_NS_CORE);

/**
 * xpv_hv_pmem_probe() - does the hypervisor implement the pmem report?
 * @hv: backend handle
 *
 * Sends an all-zero report, which every implementation must reject with
 * -EINVAL (start >= end) without side effects.
 *
 * Context: process context; may sleep.
 * Return: 0 when the op exists, else the error seen (-ENOSYS: no such op).
 */
int xpv_hv_pmem_probe(struct xpv_hv *hv)
{
	struct xpv_xenpf_pmem_add op;
	long rc;

	memset(&op, 0, sizeof(op));
	rc = xpv_hv_pmem_add(hv, &op);
	if (rc == -EINVAL)
		return 0;
	return rc ? (int)rc : -EPROTO;
}
EXPORT_SYMBOL_NS_GPL(xpv_hv_pmem_probe, XPV_NS_CORE);

static int __init xpv_core_init(void)
{
	XPV_IOMMU_OP_ABI_CHECK(BUILD_BUG_ON);
	XPV_PMEM_OP_ABI_CHECK(BUILD_BUG_ON);
	return 0;
}
module_init(xpv_core_init);

static void __exit xpv_core_exit(void)
{
}
module_exit(xpv_core_exit);

MODULE_DESCRIPTION("Xen PV-IOMMU/pmem hypervisor backend table (real Xen or stub)");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
