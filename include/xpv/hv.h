/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hv.h - the hypervisor backend: the one table every hypercall goes through.
 *
 * A real hypercall instruction outside Xen faults, so no code in this
 * project issues one except the real backend (drivers/hv/hv_xen.c), and
 * that backend is only chosen inside a Xen PV domain.  The stub hypervisor
 * (xen_hvstub.ko) registers the same table for tests on any kernel.
 *
 * Both live in xen_pvcore.ko, which the drivers depend on.  Selection, in
 * xpv_hv_get(): the registered stub if there is one (it refuses to load in
 * a real Xen domain unless forced), else the real backend in a Xen PV
 * domain, else -ENODEV.  The stub module is pinned while a driver holds it.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_HV_H
#define XPV_HV_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <xpv/abi/iommu_op.h>
#include <xpv/abi/pmem_op.h>

/* A frame number the backend could not translate. */
#define XPV_INVALID_GFN		(~0ull)

/*
 * Set in what pfn_to_gfn() returns when the pfn maps another domain's frame
 * (a grant or foreign mapping: Linux's FOREIGN_FRAME_BIT).  The rest is
 * that frame's MFN; the page is not this domain's RAM and the 1:1 map does
 * not reach it.
 */
#define XPV_GFN_FOREIGN		BIT_ULL(63)

/**
 * enum xpv_hv_resv - a change of this domain's memory reservation
 * @XPV_RESV_DECREASE: XENMEM_decrease_reservation: give frames back.
 * @XPV_RESV_POPULATE: XENMEM_populate_physmap: get frames for pfns.
 */
enum xpv_hv_resv {
	XPV_RESV_DECREASE,
	XPV_RESV_POPULATE,
};

/* xpv_hv_ops.flags */
#define XPV_HV_REAL_XEN		BIT(0)	/* hypercalls reach Xen */

/**
 * struct xpv_hv_ops - a hypervisor backend
 * @name:       short name for messages ("xen", "stub").
 * @owner:      module providing the ops (pinned while a driver uses them).
 * @flags:      XPV_HV_* bits.
 * @iommu_op:   issue one iommu_op hypercall over @count ops; returns the
 *              hypercall's return value (0, -EFAULT, -EINVAL, -ENOSYS).
 *              May sleep.
 * @pmem_add:   issue the pmem report platform op; returns its result.
 *              May sleep.
 * @pfn_to_gfn: this domain's P2M: the gfn that backs @pfn, or
 *              XPV_INVALID_GFN; XPV_GFN_FOREIGN is set for a grant or
 *              foreign mapping.  Never sleeps; callable in any context.
 * @own_pages:  how many of the @nr pfns from @pfn on, stopping at the first
 *              that is not, @pfn_to_gfn maps to this domain's own frames
 *              (neither XPV_INVALID_GFN nor XPV_GFN_FOREIGN).  Lets the DMA
 *              path classify a buffer with one call instead of one per page.
 *              Same context rules as @pfn_to_gfn.
 * @gfn_to_pfn: this domain's M2P as Xen keeps it: the pfn a gfn (an MFN
 *              of this domain) was last given, whether or not the P2M
 *              still maps it there, or XPV_INVALID_GFN.  May sleep.
 * @reservation: change this domain's reservation exactly as Linux's
 *              xenmem_reservation_{decrease,increase}() do (extent order 0,
 *              DOMID_SELF): @frames holds @count gfns to give back
 *              (%XPV_RESV_DECREASE), or @count pfns to populate, replaced
 *              by the new frames on return (%XPV_RESV_POPULATE).  Returns
 *              the extents done or a negative errno; the caller updates
 *              its own P2M, as the balloon driver does.  May sleep.
 * @invalidate_pop: take the oldest IOREQ_TYPE_INVALIDATE queued for ioreq
 *              server @ioserver of domain @domid (the BFN in @bfn).
 *              Returns 0, -EAGAIN (none queued), -ENOENT (no such live
 *              ioreq server), or -EOPNOTSUPP when invalidates reach the
 *              emulator on its own ioreq ring instead (real Xen).  May
 *              sleep.
 *
 * Every callback is mandatory.
 */
struct xpv_hv_ops {
	const char *name;
	struct module *owner;
	unsigned int flags;
	long (*iommu_op)(struct pv_iommu_op *ops, unsigned int count);
	long (*pmem_add)(const struct xpv_xenpf_pmem_add *op);
	u64 (*pfn_to_gfn)(unsigned long pfn);
	unsigned long (*own_pages)(unsigned long pfn, unsigned long nr);
	u64 (*gfn_to_pfn)(u64 gfn);
	long (*reservation)(enum xpv_hv_resv op, unsigned long *frames,
			    unsigned int count);
	int (*invalidate_pop)(u16 domid, u16 ioserver, u64 *bfn);
};

/**
 * struct xpv_hv - a driver's handle on the backend it selected
 * @ops:        the backend.
 * @stub:       true when @ops belongs to xen_hvstub (pinned until put).
 * @hypercalls: iommu_op hypercalls issued through this handle.
 * @ops_issued: iommu ops submitted through this handle.
 *
 * Several paths of one driver share a handle (premap, emulators), so the
 * counters are atomic; they are statistics only.
 */
struct xpv_hv {
	const struct xpv_hv_ops *ops;
	bool stub;
	atomic64_t hypercalls;
	atomic64_t ops_issued;
};

/**
 * struct xpv_iommu_caps - decoded IOMMUOP_query_caps result
 * @flags:     IOMMU_QUERY_* bits.
 * @max_order: largest page order the map/unmap subops accept.
 * @offset:    frame offset of Xen's foreign host-RAM window (0 if none).
 */
struct xpv_iommu_caps {
	unsigned int flags;
	unsigned int max_order;
	u64 offset;
};

int xpv_hv_get(struct xpv_hv *hv);
void xpv_hv_put(struct xpv_hv *hv);
long xpv_hv_iommu_op(struct xpv_hv *hv, struct pv_iommu_op *ops,
		     unsigned int count);
int xpv_hv_query_caps(struct xpv_hv *hv, struct xpv_iommu_caps *caps);
long xpv_hv_pmem_add(struct xpv_hv *hv, const struct xpv_xenpf_pmem_add *op);
long xpv_hv_reservation(struct xpv_hv *hv, enum xpv_hv_resv op,
			unsigned long *frames, unsigned int count);
const struct xpv_hv_ops *xpv_hv_xen(void);
int xpv_hv_pmem_probe(struct xpv_hv *hv);

int xpv_hv_register_stub(const struct xpv_hv_ops *ops);
void xpv_hv_unregister_stub(const struct xpv_hv_ops *ops);
unsigned int xpv_hv_iommu_op_nr(void);
unsigned int xpv_hv_pmem_op_nr(void);

/* The real backend; valid only in a Xen PV domain (see hv_xen.c). */
extern const struct xpv_hv_ops xpv_hv_xen_ops;
extern unsigned int xpv_hv_xen_iommu_op_nr;
extern unsigned int xpv_hv_xen_pmem_op_nr;

#endif /* XPV_HV_H */
