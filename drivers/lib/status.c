// SPDX-License-Identifier: GPL-2.0-only
/*
 * status.c - per-op status interpreter and rollback planner.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/status.h>

/**
 * xpv_op_status_errno() - the errno a caller should see for an op status
 * @status: status written by the hypervisor (or the pending preset)
 *
 * The one place where hypervisor statuses become errnos.  Statuses the
 * specification does not list, and an op left unprocessed, are -EIO: a
 * hypervisor bug must not reach callers as a misleading errno.
 *
 * Context: any.
 * Return: 0 or a negative errno.
 */
int xpv_op_status_errno(int status)
{
	switch (status) {
	case 0:
		return 0;
	case -EIO:
	case -EPERM:
	case -EACCES:
	case -ENOSPC:
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return status;
	default:
		return -EIO;
	}
}

/**
 * xpv_batch_interpret() - classify every op of a submitted batch
 * @ops:   the batch after the hypercall
 * @count: number of ops
 * @rc:    the hypercall's return value
 * @out:   result
 *
 * Works from the statuses alone, so it is exact even when the hypercall
 * failed part-way: ops still holding %XPV_OP_STATUS_PENDING were not run.
 *
 * Context: any.
 */
void xpv_batch_interpret(const struct pv_iommu_op *ops, unsigned int count,
			 long rc, struct xpv_batch_outcome *out)
{
	unsigned int i;
	int first_err = 0;

	memset(out, 0, sizeof(*out));
	out->first_bad = count;
	for (i = 0; i < count; i++) {
		int st = ops[i].status;

		if (st == 0) {
			out->done++;
			continue;
		}
		if (st == XPV_OP_STATUS_PENDING)
			out->pending++;
		else
			out->failed++;
		if (out->first_bad == count) {
			out->first_bad = i;
			first_err = st == XPV_OP_STATUS_PENDING ?
				    -EIO : xpv_op_status_errno(st);
		}
	}
	if (rc < 0)
		out->err = (int)rc;
	else if (rc > 0)
		out->err = -EIO;	/* not a defined return value */
	else
		out->err = first_err;
}

/**
 * xpv_batch_plan_rollback() - the ops that undo what a batch did
 * @ops:      the batch after the hypercall
 * @count:    number of ops
 * @undo:     where to write the inverse ops
 * @max_undo: room in @undo (@count always suffices)
 *
 * Every op that succeeded and changed state gets its inverse, newest
 * first: map_page -> unmap_page of the same bfn and order;
 * map_foreign_page and lookup_foreign_page -> unmap_foreign_page of the bfn
 * and ioserver.  query_caps changes nothing.  An unmap cannot be inverted
 * from the op alone (it carries no gfn), so a batch that mixes successful
 * unmaps with failures is reported as -EOPNOTSUPP and the caller, which
 * knows the previous state, must rebuild it.  The inverse ops have their
 * status preset to %XPV_OP_STATUS_PENDING.
 *
 * Context: any.
 * Return: number of ops written, -EOPNOTSUPP as above, or -ENOSPC when
 * @max_undo is too small.
 */
int xpv_batch_plan_rollback(const struct pv_iommu_op *ops,
			    unsigned int count, struct pv_iommu_op *undo,
			    unsigned int max_undo)
{
	unsigned int i, n = 0;

	for (i = count; i-- > 0;) {
		const struct pv_iommu_op *op = &ops[i];
		struct pv_iommu_op inv;

		if (op->status != 0)
			continue;
		memset(&inv, 0, sizeof(inv));
		inv.status = XPV_OP_STATUS_PENDING;
		switch (op->subop_id) {
		case IOMMUOP_query_caps:
			continue;
		case IOMMUOP_map_page:
			inv.subop_id = IOMMUOP_unmap_page;
			inv.flags = op->flags & IOMMU_page_order_mask;
			inv.u.unmap_page.bfn = op->u.map_page.bfn;
			break;
		case IOMMUOP_map_foreign_page:
			inv.subop_id = IOMMUOP_unmap_foreign_page;
			inv.flags = op->flags & IOMMU_page_order_mask;
			inv.u.unmap_foreign_page.bfn = op->u.map_foreign_page.bfn;
			inv.u.unmap_foreign_page.ioserver =
				op->u.map_foreign_page.ioserver;
			break;
		case IOMMUOP_lookup_foreign_page:
			inv.subop_id = IOMMUOP_unmap_foreign_page;
			inv.u.unmap_foreign_page.bfn =
				op->u.lookup_foreign_page.bfn;
			inv.u.unmap_foreign_page.ioserver =
				op->u.lookup_foreign_page.ioserver;
			break;
		default:
			return -EOPNOTSUPP;
		}
		if (n >= max_undo)
			return -ENOSPC;
		undo[n++] = inv;
	}
	return (int)n;
}
