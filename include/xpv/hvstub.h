/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hvstub.h - what the stub hypervisor (xen_hvstub.ko, test only) shares with
 * its tests: the layout of the debugfs "hypercall" file and the model's
 * constants.  Plain C types only: included by the kernel module, by the
 * userspace unit tests and by the static in-guest test programs.
 *
 * Directory: /sys/kernel/debug/xen_hvstub/.  See Documentation/hvstub.rst.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_HVSTUB_H
#define XPV_HVSTUB_H

/* Largest count one iommu_op hypercall accepts; beyond: -EFAULT. */
#define HVS_MAX_OPS		65536u
/* Largest page order the model can hold (its max_order knob is capped). */
#define HVS_MAX_ORDER		20u

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

/*
 * The "hypercall" file.  write() one request: struct hvs_hc_req, then
 * @nr_ops pv_iommu_op (32 bytes each) for HVS_HC_IOMMU, or one
 * xpv_xenpf_pmem_add (48 bytes) for HVS_HC_PMEM, in a single write.  The
 * stub runs it at once; read() from offset 0 then returns struct
 * hvs_hc_resp followed by the @nr_ops ops as the stub left them.
 *
 * @count is the hypercall's count argument and may differ from @nr_ops:
 * ops beyond @nr_ops are "unreadable guest memory" (-EFAULT when reached).
 * HVS_HC_NULL passes a NULL buffer, HVS_HC_MISALIGN a buffer one byte
 * off its natural alignment.  write() errors: -EINVAL (bad magic, kind,
 * flags, reserved field or size), -E2BIG (@nr_ops > HVS_MAX_OPS),
 * -ENOMEM.
 */
#define HVS_HC_MAGIC		0x43535648u	/* "HVSC" */
#define HVS_HC_IOMMU		1u
#define HVS_HC_PMEM		2u
#define HVS_HC_NULL		0x1u
#define HVS_HC_MISALIGN		0x2u
#define HVS_HC_FLAGS		(HVS_HC_NULL | HVS_HC_MISALIGN)

/**
 * struct hvs_hc_req - header of a hypercall file request (32 bytes)
 * @magic:  HVS_HC_MAGIC.
 * @kind:   HVS_HC_IOMMU or HVS_HC_PMEM.
 * @count:  iommu_op count argument (HVS_HC_IOMMU), else 0.
 * @nr_ops: ops that follow (HVS_HC_IOMMU), else 0.
 * @flags:  HVS_HC_NULL, HVS_HC_MISALIGN.
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
 * @nr_ops: ops that follow.
 * @_pad:   0.
 */
struct hvs_hc_resp {
	long long rc;
	unsigned int nr_ops;
	unsigned int _pad;
};

#endif /* XPV_HVSTUB_H */
