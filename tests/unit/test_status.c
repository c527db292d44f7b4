// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/status.c */
/*
 * Unit tests for the per-op status interpreter and rollback planner.
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/lib/status.h>

UNIT_TEST(abi_layout)
{
#define UNIT_ABI(cond) CHECK(!(cond))
	XPV_IOMMU_OP_ABI_CHECK(UNIT_ABI);
}

UNIT_TEST(status_errno_known_and_unknown)
{
	CHECK_EQ(xpv_op_status_errno(0), 0);
	CHECK_EQ(xpv_op_status_errno(-EPERM), -EPERM);
	CHECK_EQ(xpv_op_status_errno(-EACCES), -EACCES);
	CHECK_EQ(xpv_op_status_errno(-ENOSPC), -ENOSPC);
	CHECK_EQ(xpv_op_status_errno(-ENOENT), -ENOENT);
	CHECK_EQ(xpv_op_status_errno(-ENODEV), -ENODEV);
	CHECK_EQ(xpv_op_status_errno(-ENXIO), -ENXIO);
	CHECK_EQ(xpv_op_status_errno(-EIO), -EIO);
	/* Not in the specification: never passed through. */
	CHECK_EQ(xpv_op_status_errno(-EINVAL), -EIO);
	CHECK_EQ(xpv_op_status_errno(XPV_OP_STATUS_PENDING), -EIO);
	CHECK_EQ(xpv_op_status_errno(12345), -EIO);
}

static void mk_map(struct pv_iommu_op *op, uint64_t bfn, unsigned int order)
{
	memset(op, 0, sizeof(*op));
	op->subop_id = IOMMUOP_map_page;
	op->flags = IOMMU_OP_readable | IOMMU_OP_writeable |
		    IOMMU_page_order_flags(order);
	op->u.map_page.bfn = bfn;
	op->u.map_page.gfn = bfn + 7;
	op->status = XPV_OP_STATUS_PENDING;
}

UNIT_TEST(interpret_partial_batch)
{
	struct pv_iommu_op ops[5];
	struct xpv_batch_outcome o;
	int i;

	for (i = 0; i < 5; i++)
		mk_map(&ops[i], 512 * i, 9);
	ops[0].status = 0;
	ops[1].status = 0;
	ops[2].status = -EACCES;
	/* ops 3, 4 left pending: the hypervisor stopped. */
	xpv_batch_interpret(ops, 5, 0, &o);
	CHECK_EQ(o.done, 2);
	CHECK_EQ(o.failed, 1);
	CHECK_EQ(o.pending, 2);
	CHECK_EQ(o.first_bad, 2);
	CHECK_EQ(o.err, -EACCES);

	xpv_batch_interpret(ops, 5, -EFAULT, &o);
	CHECK_EQ(o.err, -EFAULT);

	for (i = 0; i < 5; i++)
		ops[i].status = 0;
	xpv_batch_interpret(ops, 5, 0, &o);
	CHECK_EQ(o.done, 5);
	CHECK_EQ(o.first_bad, 5);
	CHECK_EQ(o.err, 0);

	ops[4].status = XPV_OP_STATUS_PENDING;
	xpv_batch_interpret(ops, 5, 0, &o);
	CHECK_EQ(o.err, -EIO);
	CHECK_EQ(o.first_bad, 4);
}

UNIT_TEST(rollback_inverts_successes_newest_first)
{
	struct pv_iommu_op ops[4], undo[4];
	int n, i;

	for (i = 0; i < 4; i++)
		mk_map(&ops[i], 1000 + 512 * i, i == 3 ? 0 : 9);
	ops[0].status = 0;
	ops[1].status = -EPERM;
	ops[2].status = 0;
	ops[3].status = 0;
	n = xpv_batch_plan_rollback(ops, 4, undo, 4);
	CHECK_EQ(n, 3);
	CHECK_EQ(undo[0].subop_id, IOMMUOP_unmap_page);
	CHECK_EQ(undo[0].u.unmap_page.bfn, 1000 + 512 * 3);
	CHECK_EQ(IOMMU_page_order(undo[0].flags), 0);
	CHECK_EQ(undo[1].u.unmap_page.bfn, 1000 + 512 * 2);
	CHECK_EQ(IOMMU_page_order(undo[1].flags), 9);
	CHECK_EQ(undo[2].u.unmap_page.bfn, 1000);
	for (i = 0; i < n; i++)
		CHECK_EQ(undo[i].status, XPV_OP_STATUS_PENDING);

	CHECK_EQ(xpv_batch_plan_rollback(ops, 4, undo, 2), -ENOSPC);

	ops[1].subop_id = IOMMUOP_unmap_page;
	ops[1].status = 0;
	CHECK_EQ(xpv_batch_plan_rollback(ops, 4, undo, 4), -EOPNOTSUPP);
}

UNIT_MAIN
