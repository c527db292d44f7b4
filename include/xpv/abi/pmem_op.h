/* SPDX-License-Identifier: MIT */
/*
 * pmem_op.h - "report host pmem to Xen" platform op (vNVDIMM design v2,
 * section 4.2.2).
 *
 * Carried in struct xen_platform_op (cmd = XPV_XENPF_pmem_add, payload in
 * the op's union).  All fields are frame numbers (4 KiB) and every range is
 * end-exclusive: [start, end).
 *
 * Upstream Xen allocates platform op 64 to XENPF_get_dom0_console, which
 * the 2016 RFC had used for this op.  No number is allocated upstream for
 * this op yet: XPV_XENPF_pmem_add_default is this project's choice and the
 * drivers take the number as a module parameter.
 *
 * Hypervisor checks (each failure returns the errno given):
 *   -EINVAL  start >= end for any range; the region or the reserved range
 *            not 2 MiB aligned (512 frames: Xen hot-adds frame table and
 *            M2P in 2 MiB chunks); reserved or data range outside
 *            [spfn, epfn); reserved and data ranges overlapping.
 *   -EEXIST  [spfn, epfn) overlaps an earlier report that is not identical
 *            (an identical re-report returns 0 and changes nothing).
 *   -ENOSPC  reserved range smaller than the frame table + M2P needed for
 *            the whole region.
 *   -EPERM   caller is not the hardware domain.
 *   -ENOSYS  hypervisor without this op.
 * On success the reserved range belongs to Xen: the caller's access to it
 * is revoked and it must never be mapped or released by the caller again.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_ABI_PMEM_OP_H
#define XPV_ABI_PMEM_OP_H

/* Not allocated upstream (63 get_symbol, 64 get_dom0_console, 65 ucode). */
#define XPV_XENPF_pmem_add_default	0x5850	/* 'X' 'P' */

/* Alignment Xen requires of the region and reserved range (2 MiB). */
#define XPV_PMEM_ALIGN_FRAMES		512ull

/**
 * struct xpv_xenpf_pmem_add - one pmem region report (48 bytes)
 * @spfn:      IN first frame of the pmem region.
 * @epfn:      IN end (exclusive) of the pmem region.
 * @rsv_spfn:  IN first frame of the area given to Xen for page_info/M2P.
 * @rsv_epfn:  IN end (exclusive) of that area.
 * @data_spfn: IN first frame of the area left to the caller for data.
 * @data_epfn: IN end (exclusive) of the data area.
 */
struct xpv_xenpf_pmem_add {
	unsigned long long spfn;	/* IN */
	unsigned long long epfn;	/* IN */
	unsigned long long rsv_spfn;	/* IN */
	unsigned long long rsv_epfn;	/* IN */
	unsigned long long data_spfn;	/* IN */
	unsigned long long data_epfn;	/* IN */
};

#define XPV_PMEM_OP_OFF(m)	__builtin_offsetof(struct xpv_xenpf_pmem_add, m)
#define XPV_PMEM_OP_ABI_CHECK(check) do {				\
	check(sizeof(struct xpv_xenpf_pmem_add) != 48);			\
	check(XPV_PMEM_OP_OFF(spfn) != 0);				\
	check(XPV_PMEM_OP_OFF(epfn) != 8);				\
	check(XPV_PMEM_OP_OFF(rsv_spfn) != 16);				\
	check(XPV_PMEM_OP_OFF(rsv_epfn) != 24);				\
	check(XPV_PMEM_OP_OFF(data_spfn) != 32);			\
	check(XPV_PMEM_OP_OFF(data_epfn) != 40);			\
} while (0)

#endif /* XPV_ABI_PMEM_OP_H */
