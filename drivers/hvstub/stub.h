/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stub.h - xen_hvstub's kernel glue, shared by main.c and debugfs.c.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_HVSTUB_STUB_H
#define XPV_HVSTUB_STUB_H

#include <linux/dcache.h>
#include <linux/mutex.h>
#include <xpv/hv.h>

#include "model.h"

/**
 * struct hvs_stub - the stub hypervisor instance
 * @lock:          serialises every call into @model (one calling domain,
 *                 one lock: Xen serialises a domain's IOMMU updates too),
 *                 except hvs_pfn_to_gfn(), which needs no lock.  A long
 *                 hypercall drops and retakes it at its continuations
 *                 (model consistent, IOTLB flushed), so no waiter blocks
 *                 for the whole of it.
 * @model:         the model; set at init, stable until exit.
 * @dir:           debugfs directory.
 * @xen:           loaded with force=1 in a Xen PV domain: the real
 *                 backend, which answers pfn_to_gfn, own_pages and
 *                 gfn_to_pfn and changes the reservation (the memory is
 *                 Xen's; the stub only models the IOMMU).  NULL otherwise.
 * @translate_bfn: BFN the "translate" file reports (protected by @lock).
 * @frame_mfn:     MFN the "frame" file reports (protected by @lock).
 * @p2m_pfn:       pfn the "p2m" file reports (protected by @lock).
 */
struct hvs_stub {
	struct mutex lock;	/* serialises all use of model */
	struct hvs_model *model;
	struct dentry *dir;
	const struct xpv_hv_ops *xen;
	u64 translate_bfn;
	u64 frame_mfn;
	unsigned long p2m_pfn;
};

extern struct hvs_stub hvs_stub;

u64 hvs_stub_pfn_to_gfn(unsigned long pfn);
void hvs_debugfs_init(struct hvs_stub *st);
void hvs_debugfs_exit(struct hvs_stub *st);

#endif /* XPV_HVSTUB_STUB_H */
