/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * emu.h - the emulator API's hooks into xen_pviommu's init and exit.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_PVIOMMU_EMU_H
#define XPV_PVIOMMU_EMU_H

#include <linux/dcache.h>
#include <xpv/hv.h>

int xpv_emu_init(struct xpv_hv *hv, const struct xpv_iommu_caps *caps,
		 struct dentry *dbg);
void xpv_emu_exit(void);
bool xpv_emu_window_overlaps(u64 start_pfn, u64 end_pfn);

#endif /* XPV_PVIOMMU_EMU_H */
