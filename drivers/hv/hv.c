// SPDX-License-Identifier: GPL-2.0-only
/*
 * hv.c - select a hypervisor backend and issue every hypercall through it.
 *
 * Linked into each driver module.  It logs nothing: the caller says in one
 * line what failed and what it does about it.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/module.h>
#include <linux/string.h>
#include <xen/xen.h>

#include <xpv/hv.h>
#include <xpv/lib/status.h>

/**
 * xpv_hv_get() - select the backend for this driver
 * @hv: handle to fill in
 *
 * The stub hypervisor wins when it is loaded (it only loads inside a real
 * Xen domain when forced, for model tests); otherwise the real backend is
 * used in a Xen PV domain.  A stub backend stays pinned until xpv_hv_put().
 *
 * Context: process context.
 * Return: 0, or -ENODEV when there is neither a stub nor a Xen PV domain.
 */
int xpv_hv_get(struct xpv_hv *hv)
{
	const struct xpv_hv_ops *(*stub)(void);

	memset(hv, 0, sizeof(*hv));
	stub = symbol_get(xpv_hvstub_backend);
	if (stub) {
		hv->ops = stub();
		if (hv->ops) {
			hv->stub = true;
			return 0;
		}
		symbol_put(xpv_hvstub_backend);
	}
	if (xen_pv_domain()) {
		hv->ops = &xpv_hv_xen_ops;
		return 0;
	}
	return -ENODEV;
}

/**
 * xpv_hv_put() - release the backend selected by xpv_hv_get()
 * @hv: handle; its ops must no longer be in use
 *
 * Context: process context.
 */
void xpv_hv_put(struct xpv_hv *hv)
{
	if (hv->stub)
		symbol_put(xpv_hvstub_backend);
	hv->ops = NULL;
	hv->stub = false;
}

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
	WRITE_ONCE(hv->hypercalls, hv->hypercalls + 1);
	WRITE_ONCE(hv->ops_issued, hv->ops_issued + count);
	return hv->ops->iommu_op(ops, count);
}

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
