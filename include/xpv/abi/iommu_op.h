/* SPDX-License-Identifier: MIT */
/*
 * iommu_op.h - Xen PV-IOMMU hypercall ABI ("draft B", as shipped by
 * XenServer, the only production implementation).
 *
 *   long iommu_op(struct pv_iommu_op *ops, unsigned int count);
 *
 * The hypercall processes @count 32-byte ops in order and writes a per-op
 * status into each.  The IOMMU TLB is flushed before the hypercall returns
 * (or before it creates a continuation), never between the ops of a batch.
 *
 * Hypercall return values: 0, -EFAULT (ops not readable/writable),
 * -EINVAL (bad count), -ENOSYS (no such hypercall, or caller not allowed).
 * Per-op status values are listed with each subop below; a status other
 * than these is a hypervisor bug and is treated as -EIO by callers.
 *
 * Field conventions: IN = read by the hypervisor, OUT = written by it.
 * Reserved fields and reserved flag bits must be zero.  Every size and
 * offset below is frozen (checked at build time by XPV_IOMMU_OP_ABI_CHECK).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_ABI_IOMMU_OP_H
#define XPV_ABI_IOMMU_OP_H

/*
 * Hypercall number.  56 is what XenServer's Xen uses; the Vates rework
 * proposes 43 for a different ABI.  Neither is allocated upstream, so the
 * drivers take the number as a module parameter.
 */
#define XPV_HYPERVISOR_iommu_op_default	56

/* Subop identifiers (pv_iommu_op.subop_id). */
#define IOMMUOP_query_caps		1
#define IOMMUOP_map_page		2
#define IOMMUOP_unmap_page		3
#define IOMMUOP_map_foreign_page	4
#define IOMMUOP_lookup_foreign_page	5
#define IOMMUOP_unmap_foreign_page	6

/* Flags shared by the map subops (pv_iommu_op.flags, IN). */
#define IOMMU_OP_readable		(1u << 0)
#define IOMMU_OP_writeable		(1u << 1)
/* map_page only: take no page reference (non-strict hardware domain). */
#define IOMMU_MAP_OP_no_ref_cnt		(1u << 2)
/* map_foreign_page only: may be swapped to a scratch page on balloon-out. */
#define IOMMU_OP_swap_mfn		(1u << 2)

/* query_caps output flags (pv_iommu_op.flags, OUT). */
#define IOMMU_QUERY_map_cap		(1u << 0)
#define IOMMU_QUERY_map_all_gfns	(1u << 1)

/*
 * Page order, bits 10-15 of flags: IN for map/unmap (order of both bfn and
 * gfn), OUT for query_caps (largest order accepted).  XenServer's header
 * has a typo in this mask; these are the specification's bits.
 */
#define IOMMU_page_order_shift		10
#define IOMMU_page_order_mask		(0x3fu << IOMMU_page_order_shift)
#define IOMMU_page_order(flags) \
	(((flags) & IOMMU_page_order_mask) >> IOMMU_page_order_shift)
#define IOMMU_page_order_flags(order) \
	(((unsigned int)(order) << IOMMU_page_order_shift) & \
	 IOMMU_page_order_mask)

/* Flag bits defined per subop; every other bit is reserved (must be 0). */
#define IOMMU_query_caps_in_flags	0u
#define IOMMU_map_page_in_flags		(IOMMU_OP_readable | \
					 IOMMU_OP_writeable | \
					 IOMMU_MAP_OP_no_ref_cnt | \
					 IOMMU_page_order_mask)
#define IOMMU_unmap_page_in_flags	IOMMU_page_order_mask
#define IOMMU_map_foreign_in_flags	(IOMMU_OP_readable | \
					 IOMMU_OP_writeable | \
					 IOMMU_OP_swap_mfn | \
					 IOMMU_page_order_mask)
#define IOMMU_lookup_foreign_in_flags	0u
#define IOMMU_unmap_foreign_in_flags	IOMMU_page_order_mask

/* An ioreq server id, as in Xen's public hvm_op.h. */
typedef unsigned short xpv_ioservid_t;

/**
 * struct pv_iommu_op - one operation of an iommu_op batch (32 bytes)
 * @subop_id: IN  IOMMUOP_* subop.
 * @flags:    IN/OUT  subop flags and page order, see above.
 * @status:   OUT per-op status (0 or a negative errno listed per subop).
 * @u:        subop arguments.
 *
 * query_caps:
 *   @u.query_caps.offset   OUT frame offset of the host-RAM window that
 *                          Xen set up for foreign frames (0 if none).
 *   status: 0.
 * map_page:
 *   @u.map_page.bfn        IN  bus frame to map.
 *   @u.map_page.gfn        IN  the caller's own guest frame.
 *   status: 0, -EIO (IOMMU error), -EPERM (Xen-owned or not the caller's
 *   frame, or bfn already mapped), -EACCES (bfn in an RMRR), -ENOSPC
 *   (order too large or misaligned).
 * unmap_page:
 *   @u.unmap_page.bfn      IN  bus frame to unmap.
 *   status: 0, -EIO, -ENOSPC, -ENOENT (nothing mapped there).
 * map_foreign_page:
 *   @u.map_foreign_page.{bfn,gfn,domid,ioserver} IN.
 *   status: 0, -EIO, -EPERM (no privilege, Xen-owned, domid is self),
 *   -EACCES, -ENODEV (bad ioserver), -ENXIO (bad domid or gfn), -ENOSPC.
 * lookup_foreign_page:
 *   @u.lookup_foreign_page.{gfn,domid,ioserver} IN, .bfn OUT (the MFN
 *   when the caller has no IOMMU control), flags OUT (readable/writeable).
 *   status: 0, -EPERM, -ENOENT, -ENODEV, -ENXIO.
 * unmap_foreign_page:
 *   @u.unmap_foreign_page.{bfn,ioserver} IN.
 *   status: 0, -ENOENT (no such bfn + ioserver mapping).
 * Any subop: -ENODEV for an unknown subop_id.
 */
struct pv_iommu_op {
	unsigned short subop_id;		/* IN */
	unsigned short flags;			/* IN/OUT */
	int status;				/* OUT */
	union {
		struct {
			unsigned long long offset;	/* OUT */
			unsigned long long _pad[2];	/* reserved, 0 */
		} query_caps;
		struct {
			unsigned long long bfn;		/* IN */
			unsigned long long gfn;		/* IN */
			unsigned long long _pad;	/* reserved, 0 */
		} map_page;
		struct {
			unsigned long long bfn;		/* IN */
			unsigned long long _pad[2];	/* reserved, 0 */
		} unmap_page;
		struct {
			unsigned long long bfn;		/* IN */
			unsigned long long gfn;		/* IN */
			unsigned short domid;		/* IN */
			xpv_ioservid_t ioserver;	/* IN */
			unsigned int _pad;		/* reserved, 0 */
		} map_foreign_page;
		struct {
			unsigned long long bfn;		/* OUT */
			unsigned long long gfn;		/* IN */
			unsigned short domid;		/* IN */
			xpv_ioservid_t ioserver;	/* IN */
			unsigned int _pad;		/* reserved, 0 */
		} lookup_foreign_page;
		struct {
			unsigned long long bfn;		/* IN */
			xpv_ioservid_t ioserver;	/* IN */
			unsigned short _pad0;		/* reserved, 0 */
			unsigned int _pad1;		/* reserved, 0 */
			unsigned long long _pad2;	/* reserved, 0 */
		} unmap_foreign_page;
	} u;
};

/*
 * XPV_IOMMU_OP_ABI_CHECK(check) - freeze the layout.  @check is
 * BUILD_BUG_ON in the kernel and a static-assert wrapper in userspace.
 */
#define XPV_IOMMU_OP_OFF(m)	__builtin_offsetof(struct pv_iommu_op, m)
#define XPV_IOMMU_OP_ABI_CHECK(check) do {				\
	check(sizeof(struct pv_iommu_op) != 32);			\
	check(XPV_IOMMU_OP_OFF(subop_id) != 0);				\
	check(XPV_IOMMU_OP_OFF(flags) != 2);				\
	check(XPV_IOMMU_OP_OFF(status) != 4);				\
	check(XPV_IOMMU_OP_OFF(u) != 8);				\
	check(XPV_IOMMU_OP_OFF(u.query_caps.offset) != 8);		\
	check(XPV_IOMMU_OP_OFF(u.map_page.bfn) != 8);			\
	check(XPV_IOMMU_OP_OFF(u.map_page.gfn) != 16);			\
	check(XPV_IOMMU_OP_OFF(u.unmap_page.bfn) != 8);			\
	check(XPV_IOMMU_OP_OFF(u.map_foreign_page.bfn) != 8);		\
	check(XPV_IOMMU_OP_OFF(u.map_foreign_page.gfn) != 16);		\
	check(XPV_IOMMU_OP_OFF(u.map_foreign_page.domid) != 24);	\
	check(XPV_IOMMU_OP_OFF(u.map_foreign_page.ioserver) != 26);	\
	check(XPV_IOMMU_OP_OFF(u.lookup_foreign_page.bfn) != 8);	\
	check(XPV_IOMMU_OP_OFF(u.lookup_foreign_page.gfn) != 16);	\
	check(XPV_IOMMU_OP_OFF(u.lookup_foreign_page.domid) != 24);	\
	check(XPV_IOMMU_OP_OFF(u.lookup_foreign_page.ioserver) != 26);	\
	check(XPV_IOMMU_OP_OFF(u.unmap_foreign_page.bfn) != 8);		\
	check(XPV_IOMMU_OP_OFF(u.unmap_foreign_page.ioserver) != 16);	\
} while (0)

#endif /* XPV_ABI_IOMMU_OP_H */
