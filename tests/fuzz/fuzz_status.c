// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/status.c */
/*
 * libFuzzer target: the per-op status interpreter and the rollback planner
 * on arbitrary batches (any subop, flags, status, fields) and hypercall
 * return values.
 *
 * Input: a return-value selector, the room for undo ops, then 32-byte ops.
 * Invariants: the outcome counts partition the batch, first_bad and err
 * follow their definitions, the errno map only yields the specified
 * values, and the rollback is exactly the inverse of the successful
 * state-changing ops, newest first, or the documented error.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/lib/status.h>

#define MAX_OPS	64

static int allowed_errno(int e)
{
	return e == 0 || e == -EIO || e == -EPERM || e == -EACCES ||
	       e == -ENOSPC || e == -ENOENT || e == -ENODEV || e == -ENXIO;
}

static int zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pv_iommu_op ops[MAX_OPS], undo[MAX_OPS], copy[MAX_OPS];
	struct fuzz_in in = { data, size };
	struct xpv_batch_outcome o;
	unsigned int count, max_undo, i, first = 0, n_exp = 0;
	unsigned int done = 0, failed = 0, pending = 0;
	int exp_ret = 0, ret, first_err = 0;
	long rc;

	switch (fuzz_take(&in, 1) % 6) {
	case 0:
		rc = 0;
		break;
	case 1:
		rc = -EFAULT;
		break;
	case 2:
		rc = -EINVAL;
		break;
	case 3:
		rc = -ENOSYS;
		break;
	case 4:
		rc = 1;
		break;
	default:
		rc = (long)fuzz_take(&in, 8);
		break;
	}
	max_undo = (unsigned int)fuzz_take(&in, 1) % (MAX_OPS + 1);
	count = (unsigned int)(in.left / sizeof(ops[0]));
	if (count > MAX_OPS)
		count = MAX_OPS;
	memcpy(ops, in.p, count * sizeof(ops[0]));
	/* Bias statuses towards meaningful values. */
	for (i = 0; i < count; i++) {
		unsigned int s = (unsigned int)ops[i].status;

		if ((s >> 8) % 4 == 0)
			ops[i].status = 0;
		else if ((s >> 8) % 4 == 1)
			ops[i].status = XPV_OP_STATUS_PENDING;
		else if ((s >> 8) % 4 == 2)
			ops[i].status = -(int)(s % 40);
		ops[i].subop_id %= 8;
	}
	memcpy(copy, ops, sizeof(copy));

	for (i = 0; i < 64; i++)
		FUZZ_CHECK(allowed_errno(xpv_op_status_errno((int)(i - 32))));
	FUZZ_CHECK(allowed_errno(xpv_op_status_errno(ops[0].status)));

	xpv_batch_interpret(ops, count, rc, &o);
	FUZZ_CHECK(!memcmp(copy, ops, sizeof(copy)));
	first = count;
	for (i = 0; i < count; i++) {
		int st = ops[i].status;

		if (!st) {
			done++;
			continue;
		}
		if (st == XPV_OP_STATUS_PENDING)
			pending++;
		else
			failed++;
		if (first == count) {
			first = i;
			first_err = st == XPV_OP_STATUS_PENDING ? -EIO :
				    xpv_op_status_errno(st);
		}
	}
	FUZZ_CHECK(o.done == done && o.failed == failed &&
		   o.pending == pending && o.first_bad == first);
	FUZZ_CHECK(o.done + o.failed + o.pending == count);
	if (rc < 0)
		FUZZ_CHECK(o.err == (int)rc);
	else if (rc > 0)
		FUZZ_CHECK(o.err == -EIO);
	else
		FUZZ_CHECK(o.err == first_err && allowed_errno(o.err));

	/* Reference rollback: walk successes newest first. */
	for (i = count; i-- > 0 && !exp_ret;) {
		const struct pv_iommu_op *op = &ops[i];

		if (op->status != 0 || op->subop_id == IOMMUOP_query_caps)
			continue;
		if (op->subop_id != IOMMUOP_map_page &&
		    op->subop_id != IOMMUOP_map_foreign_page &&
		    op->subop_id != IOMMUOP_lookup_foreign_page)
			exp_ret = -EOPNOTSUPP;
		else if (n_exp == max_undo)
			exp_ret = -ENOSPC;
		else
			n_exp++;
	}
	memset(undo, 0xa5, sizeof(undo));
	ret = xpv_batch_plan_rollback(ops, count, undo, max_undo);
	FUZZ_CHECK(!memcmp(copy, ops, sizeof(copy)));
	FUZZ_CHECK(ret == (exp_ret ? exp_ret : (int)n_exp));
	if (ret < 0)
		return 0;
	/* Check each inverse against the op it undoes. */
	n_exp = 0;
	for (i = count; i-- > 0;) {
		const struct pv_iommu_op *op = &ops[i], *u;

		if (op->status != 0 || op->subop_id == IOMMUOP_query_caps)
			continue;
		u = &undo[n_exp++];
		FUZZ_CHECK(u->status == XPV_OP_STATUS_PENDING);
		switch (op->subop_id) {
		case IOMMUOP_map_page:
			FUZZ_CHECK(u->subop_id == IOMMUOP_unmap_page);
			FUZZ_CHECK(u->flags ==
				   (op->flags & IOMMU_page_order_mask));
			FUZZ_CHECK(u->u.unmap_page.bfn == op->u.map_page.bfn);
			FUZZ_CHECK(zero(u->u.unmap_page._pad,
					sizeof(u->u.unmap_page._pad)));
			break;
		case IOMMUOP_map_foreign_page:
			FUZZ_CHECK(u->subop_id == IOMMUOP_unmap_foreign_page);
			FUZZ_CHECK(u->flags ==
				   (op->flags & IOMMU_page_order_mask));
			FUZZ_CHECK(u->u.unmap_foreign_page.bfn ==
				   op->u.map_foreign_page.bfn);
			FUZZ_CHECK(u->u.unmap_foreign_page.ioserver ==
				   op->u.map_foreign_page.ioserver);
			break;
		default:
			FUZZ_CHECK(u->subop_id == IOMMUOP_unmap_foreign_page);
			FUZZ_CHECK(u->flags == 0);
			FUZZ_CHECK(u->u.unmap_foreign_page.bfn ==
				   op->u.lookup_foreign_page.bfn);
			FUZZ_CHECK(u->u.unmap_foreign_page.ioserver ==
				   op->u.lookup_foreign_page.ioserver);
			break;
		}
		if (u->subop_id == IOMMUOP_unmap_foreign_page)
			FUZZ_CHECK(!u->u.unmap_foreign_page._pad0 &&
				   !u->u.unmap_foreign_page._pad1 &&
				   !u->u.unmap_foreign_page._pad2);
	}
	FUZZ_CHECK(n_exp == (unsigned int)ret);
	return 0;
}
