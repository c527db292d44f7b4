/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - every kernel-version difference this project depends on.
 *
 * Supported: Debian's 6.1 (bookworm) and 6.12 (bookworm security) kernels.
 * Adding a kernel means editing this file only; no other file tests
 * LINUX_VERSION_CODE.  The cut-over points below are the two tested
 * kernels: versions between 6.1 and 6.12 are untested and may need a
 * finer split.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_COMPAT_H
#define XPV_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "xen-pviommu needs Linux 6.1 or newer"
#endif

/*
 * Symbol namespaces: an identifier up to 6.12, a string literal from 6.13.
 * Use EXPORT_SYMBOL_NS_GPL(sym, XPV_NS_API) / MODULE_IMPORT_NS(XPV_NS_API):
 * both macros stringify through __stringify(), which expands these first.
 * XEN_PVIOMMU is the emulator API; XEN_PVCORE is internal to this project
 * (the backend table in xen_pvcore); XEN_PVSTUB_TEST holds the stub
 * hypervisor's test-only hooks.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define XPV_NS_API			XEN_PVIOMMU
#define XPV_NS_CORE			XEN_PVCORE
#define XPV_NS_STUB_TEST		XEN_PVSTUB_TEST
#else
#define XPV_NS_API			"XEN_PVIOMMU"
#define XPV_NS_CORE			"XEN_PVCORE"
#define XPV_NS_STUB_TEST		"XEN_PVSTUB_TEST"
#endif

/*
 * struct dma_map_ops: 6.1 has .flags and .alloc_pages; 6.12 renamed the
 * latter .alloc_pages_op.  Kernels after 6.16 replace .map_page/.unmap_page
 * by .map_phys/.unmap_phys.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define XPV_DMA_OPS_HAS_FLAGS		1
#define XPV_DMA_OPS_ALLOC_PAGES		alloc_pages
#else
#define XPV_DMA_OPS_HAS_FLAGS		0
#define XPV_DMA_OPS_ALLOC_PAGES		alloc_pages_op
#endif

/*
 * 6.12 skips the dma_sync_*() calls of a device whose dma_skip_sync was
 * set while it had no bounce buffers (e.g. by dma_set_mask() under
 * dma-direct); whoever bounces must clear it, as swiotlb does.  6.1 always
 * calls the ops.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define xpv_dma_reset_need_sync(dev)	do { } while (0)
#else
#define xpv_dma_reset_need_sync(dev)	dma_reset_need_sync(dev)
#endif

/*
 * ftrace: an ops callback moves the traced call elsewhere (livepatch's
 * mechanism, used by the balloon hook).  With ftrace_regs carrying the
 * arguments (DYNAMIC_FTRACE_WITH_ARGS, both kernels on x86) no full
 * register save is needed.  The setter was renamed in 6.7.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define XPV_FTRACE_REDIRECT_FLAGS	(FTRACE_OPS_FL_IPMODIFY | \
					 FTRACE_OPS_FL_PERMANENT)
#else
#define XPV_FTRACE_REDIRECT_FLAGS	(FTRACE_OPS_FL_IPMODIFY | \
					 FTRACE_OPS_FL_PERMANENT | \
					 FTRACE_OPS_FL_SAVE_REGS)
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
#define xpv_ftrace_set_ip(fregs, ip)	ftrace_instruction_pointer_set(fregs, ip)
#else
#define xpv_ftrace_set_ip(fregs, ip)	\
	ftrace_regs_set_instruction_pointer(fregs, ip)
#endif

/*
 * struct nd_device_driver: to_nd_device_driver() returns a const pointer
 * from 6.12 on (bus callbacks take const struct device_driver *).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define XPV_BUS_DRV_CONST
#else
#define XPV_BUS_DRV_CONST		const
#endif

/* Tracepoints: __assign_str() lost its source argument. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define XPV_ASSIGN_STR(dst, src)	__assign_str(dst, src)
#else
#define XPV_ASSIGN_STR(dst, src)	__assign_str(dst)
#endif

#endif /* XPV_COMPAT_H */
