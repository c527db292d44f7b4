/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hvstub.h - what the stub hypervisor (xen_hvstub.ko, test only) shares with
 * its tests: the layout of the debugfs "hypercall" file, the model's
 * constants and, for kernel code, the stub's test-only exports.  Plain C
 * types only outside __KERNEL__: included by the kernel modules, by the
 * userspace unit tests and by the static in-guest test programs.
 *
 * Directory: /sys/kernel/debug/xen_hvstub/.  See Documentation/hvstub.rst.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_HVSTUB_H
#define XPV_HVSTUB_H

/*
 * Largest count one iommu_op hypercall accepts (a larger one is a bad
 * count: -EINVAL), and the most frames one reservation call takes.
 */
#define HVS_MAX_OPS		65536u
/* Largest page order the model can hold (its max_order knob is capped). */
#define HVS_MAX_ORDER		20u
/*
 * Widest IOMMU input (bfn_bits) and host (mfn_bits) in frame bits: 2^48
 * frames are 60-bit addresses, beyond any IOMMU (5-level VT-d: 57).  The
 * model keys M2B lookups by (BFN << 16 | ioserver) in 64 bits.
 */
#define HVS_MAX_FRAME_BITS	48u

/* Domain ids, as in Xen's public xen.h. */
#define HVS_DOMID_SELF		0x7ff0u
#define HVS_DOMID_IO		0x7ff1u	/* owner of frames without page_info */
#define HVS_DOMID_XEN		0x7ff2u
#define HVS_DOMID_FREE		0x7ff4u	/* DOMID_INVALID: in Xen's heap */
/* Foreign domains created through debugfs: 1 .. HVS_DOMID_MAX. */
#define HVS_DOMID_MAX		0x7fefu

/* First frame of the model's host frames outside the caller (Xen, pool). */
#define HVS_EXTRA_BASE		0x100000000ull
/* XenServer's default foreign window: 248 GiB in frames. */
#define HVS_WINDOW_OFFSET_DEFAULT 0x3e00000ull

/*
 * The caller's P2M entry of a pfn mapping another domain's frame (a grant
 * or foreign mapping), as pfn_to_gfn() returns it: that frame's MFN with
 * this bit set (XPV_GFN_FOREIGN in include/xpv/hv.h).
 */
#define HVS_GFN_FOREIGN		0x8000000000000000ull	/* bit 63 */

/* default_map knob: the IOMMU map Xen gave the caller before any op. */
#define HVS_DEFMAP_IDENTITY	0	/* BFN = MFN */
#define HVS_DEFMAP_WINDOW	1	/* BFN = MFN + window offset */
#define HVS_DEFMAP_NONE		2	/* empty (RMRRs only) */

/* p2m_mode module parameter: the caller's pfn -> gfn (= mfn, PV). */
#define HVS_P2M_IDENTITY	0
#define HVS_P2M_SCRAMBLE	1	/* random page permutation */
#define HVS_P2M_SCRAMBLE_2M	2	/* random permutation of 2 MiB chunks */
#define HVS_P2M_SHIFT		3	/* mfn = pfn + p2m_shift (contiguous) */
#define HVS_P2M_REAL		4	/* a real Xen PV domain's own P2M */

/* Reservation changes (XPV_RESV_* in include/xpv/hv.h). */
#define HVS_RESV_DECREASE	0	/* XENMEM_decrease_reservation */
#define HVS_RESV_POPULATE	1	/* XENMEM_populate_physmap */

/*
 * The "hypercall" file.  write() one request: struct hvs_hc_req, then
 * @nr_ops pv_iommu_op (32 bytes each) for HVS_HC_IOMMU, one
 * xpv_xenpf_pmem_add (48 bytes) for HVS_HC_PMEM, or @nr_ops frame numbers
 * (8 bytes each) for HVS_HC_DECREASE / HVS_HC_POPULATE, in a single write.
 * The stub runs it at once; read() from offset 0 then returns struct
 * hvs_hc_resp followed by the @nr_ops ops (frames) as the stub left them.
 *
 * HVS_HC_IOMMU: @count is the hypercall's count argument and may differ
 * from @nr_ops: ops beyond @nr_ops are "unreadable guest memory" (-EFAULT
 * when reached).  HVS_HC_NULL passes a NULL buffer, HVS_HC_MISALIGN a
 * buffer one byte off its natural alignment (which works: Xen's guest
 * copies need no alignment).  HVS_HC_DECREASE / HVS_HC_POPULATE: the
 * reservation op of the backend table on @nr_ops frames (@count must equal
 * @nr_ops); the response's rc is the number of extents done.
 *
 * write() errors: -EINVAL (bad magic, kind, flags, reserved field, count
 * or size), -E2BIG (@nr_ops > HVS_MAX_OPS), -ENOMEM.
 */
#define HVS_HC_MAGIC		0x43535648u	/* "HVSC" */
#define HVS_HC_IOMMU		1u
#define HVS_HC_PMEM		2u
#define HVS_HC_DECREASE		3u
#define HVS_HC_POPULATE		4u
#define HVS_HC_NULL		0x1u
#define HVS_HC_MISALIGN		0x2u
#define HVS_HC_FLAGS		(HVS_HC_NULL | HVS_HC_MISALIGN)

/**
 * struct hvs_hc_req - header of a hypercall file request (32 bytes)
 * @magic:  HVS_HC_MAGIC.
 * @kind:   HVS_HC_IOMMU, HVS_HC_PMEM, HVS_HC_DECREASE or HVS_HC_POPULATE.
 * @count:  iommu_op count argument (HVS_HC_IOMMU), frames (reservation),
 *          else 0.
 * @nr_ops: ops (frames) that follow; 0 for HVS_HC_PMEM.
 * @flags:  HVS_HC_NULL, HVS_HC_MISALIGN (HVS_HC_IOMMU only).
 * @_pad:   reserved, 0.
 */
struct hvs_hc_req {
	unsigned int magic;
	unsigned int kind;
	unsigned int count;
	unsigned int nr_ops;
	unsigned int flags;
	unsigned int _pad[3];
};

/**
 * struct hvs_hc_resp - header of a hypercall file response (16 bytes)
 * @rc:     the hypercall's return value.
 * @nr_ops: ops (frames) that follow.
 * @_pad:   0.
 */
struct hvs_hc_resp {
	long long rc;
	unsigned int nr_ops;
	unsigned int _pad;
};

#ifdef __KERNEL__
#include <linux/types.h>
#include <xpv/compat.h>

/*
 * Symbol namespace of the stub's test-only exports below (a test module
 * says MODULE_IMPORT_NS(XPV_NS_STUB_TEST)).  It follows compat.h's pattern
 * for namespace identifiers; compat.h may define it (the string form a
 * kernel from 6.13 on needs), which this fallback then leaves alone.
 */
#ifndef XPV_NS_STUB_TEST
#define XPV_NS_STUB_TEST	XEN_PVSTUB_TEST
#endif

int xpv_hvstub_p2m_set(unsigned long pfn, u64 gfn);
int xpv_hvstub_grant_map(u16 domid, u64 gfn, unsigned long pfn);
int xpv_hvstub_grant_unmap(unsigned long pfn);
#endif /* __KERNEL__ */

#endif /* XPV_HVSTUB_H */
