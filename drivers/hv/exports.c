// SPDX-License-Identifier: GPL-2.0-only
/*
 * exports.c - export the pure-logic helpers that several modules use.
 *
 * A kernel object can belong to one module only, and the pure-logic files
 * must stay free of kernel-only macros so that they compile in userspace.
 * So the shared ones are linked into xen_pvcore and exported from here.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/export.h>
#include <linux/module.h>

#include <xpv/compat.h>
#include <xpv/lib/status.h>

EXPORT_SYMBOL_NS_GPL(xpv_op_status_errno, XPV_NS_CORE);
EXPORT_SYMBOL_NS_GPL(xpv_batch_interpret, XPV_NS_CORE);
EXPORT_SYMBOL_NS_GPL(xpv_batch_plan_rollback, XPV_NS_CORE);
