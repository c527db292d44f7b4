/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * status.h - interpret the per-op statuses of an iommu_op batch and plan
 * the exact rollback of what succeeded.
 *
 * Pure logic: compiled unchanged in the kernel and in userspace tests.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_LIB_STATUS_H
#define XPV_LIB_STATUS_H

#include <linux/types.h>
#include <xpv/abi/iommu_op.h>

/*
 * Callers preset every op's status to this positive value before the
 * hypercall.  The hypervisor overwrites the status of each op it processes,
 * so after any return (success, error, or a hypervisor that stopped early)
 * the ops still holding it are exactly the ones that were not processed.
 */
#define XPV_OP_STATUS_PENDING	1

/**
 * struct xpv_batch_outcome - what one iommu_op hypercall did
 * @done:      ops processed with status 0 (anywhere in the batch).
 * @failed:    ops processed with a non-zero status.
 * @pending:   ops the hypervisor did not process.
 * @first_bad: index of the first op that failed or was not processed, or
 *             the batch size when every op succeeded.
 * @err:       0 when every op succeeded; else the hypercall's error, or the
 *             errno of the first failed op, or -EIO when ops were left
 *             unprocessed by a hypercall that returned 0.
 */
struct xpv_batch_outcome {
	unsigned int done;
	unsigned int failed;
	unsigned int pending;
	unsigned int first_bad;
	int err;
};

int xpv_op_status_errno(int status);
void xpv_batch_interpret(const struct pv_iommu_op *ops, unsigned int count,
			 long rc, struct xpv_batch_outcome *out);
int xpv_batch_plan_rollback(const struct pv_iommu_op *ops,
			    unsigned int count, struct pv_iommu_op *undo,
			    unsigned int max_undo);

#endif /* XPV_LIB_STATUS_H */
