/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pviommu.h - xen_pviommu's emulator API: bus addresses for a guest's
 * pages, for mediated pass-through emulators (a GPU mediator shadowing a
 * guest GTT, a device model doing DMA on a guest's behalf).
 *
 * Symbols are GPL-only, in namespace XEN_PVIOMMU:
 *
 *	#include <xpv/compat.h>
 *	#include <xpv/pviommu.h>
 *	MODULE_IMPORT_NS(XPV_NS_API);
 *
 * An emulator opens one handle per (guest domid, ioreq server), maps guest
 * frames (the module chooses the bus frame numbers, BFNs, and batches the
 * hypercalls), looks them up, unmaps them, and closes the handle.  The
 * device address of a mapping is bfn << XPV_EMU_PAGE_SHIFT.
 *
 * Mappings are reference counted per (handle, gfn, order): mapping a gfn
 * the handle already maps returns the same BFN and takes a reference, and
 * the BFN stays mapped until every reference is unmapped.  Two handles
 * never share a mapping, so two emulators cannot unpin each other's pages.
 * Everything a handle owns is released when it is closed, or when the
 * module that opened it goes away without closing it.
 *
 * Without map_cap (no IOMMU for this domain: xpv_emu_query_caps() says
 * lookup_only), the same calls use IOMMUOP_lookup_foreign_page and hand
 * back the bus address Xen gives (the MFN, or MFN + window): order 0 only.
 *
 * See Documentation/emulator-api.rst.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_PVIOMMU_API_H
#define XPV_PVIOMMU_API_H

#include <linux/bits.h>
#include <linux/types.h>

struct module;
struct xpv_emu;

/* A BFN is a 4 KiB bus frame (Xen's page size). */
#define XPV_EMU_PAGE_SHIFT	12

/*
 * xpv_emu_map() flags.  XPV_EMU_RO: the device may only read.
 * XPV_EMU_SWAP: IOMMUOP_swap_mfn, the BFN may be pointed at a scratch
 * page when the guest balloons the page out.
 */
#define XPV_EMU_RO		BIT(0)
#define XPV_EMU_SWAP		BIT(1)
#define XPV_EMU_FLAGS		(XPV_EMU_RO | XPV_EMU_SWAP)

/**
 * struct xpv_emu_caps - what the emulator API offers here
 * @map_cap:     the module allocates BFNs and maps guest frames at them
 *               (IOMMUOP_map_foreign_page).
 * @lookup_only: no map_cap: addresses come from
 *               IOMMUOP_lookup_foreign_page (order 0 only).
 * @max_order:   largest order xpv_emu_map() accepts (9 = 2 MiB).
 * @batch:       ops per hypercall: mapping N new blocks takes at most
 *               DIV_ROUND_UP(N, @batch) hypercalls.
 * @addr_bits:   device address width the BFNs stay below.
 * @bfn_base:    first BFN of the allocator's window (map_cap only).
 * @bfn_end:     one past its last BFN (map_cap only).
 */
struct xpv_emu_caps {
	bool map_cap;
	bool lookup_only;
	unsigned int max_order;
	unsigned int batch;
	unsigned int addr_bits;
	u64 bfn_base;
	u64 bfn_end;
};

/**
 * struct xpv_emu_ops - an emulator's callbacks
 * @invalidate: the guest gave back the page(s) behind a mapping (balloon
 *              out).  Called once per mapping, in process context from
 *              xen_pviommu's workqueue, with no xen_pviommu lock held: it
 *              may sleep and may call xpv_emu_map(), xpv_emu_lookup() and
 *              xpv_emu_unmap() (on any handle), but not xpv_emu_close()
 *              on @emu.  By then xpv_emu_lookup() no longer returns @bfn
 *              for @gfn.  @dropped true: the mapping was made without
 *              XPV_EMU_SWAP, and the module unmaps @bfn when the callback
 *              returns: stop the device using it before returning.
 *              @dropped false (XPV_EMU_SWAP): @bfn stays mapped (Xen
 *              points it at a scratch page) until the emulator unmaps
 *              every reference it holds.  Either way the references stay
 *              the emulator's to unmap (no hypercall for a dropped one).
 *              Optional.
 */
struct xpv_emu_ops {
	void (*invalidate)(struct xpv_emu *emu, void *priv, u64 gfn, u64 bfn,
			   unsigned int order, bool dropped);
};

int xpv_emu_query_caps(struct xpv_emu_caps *caps);
struct xpv_emu *__xpv_emu_open(u16 domid, u16 ioserver,
			       const struct xpv_emu_ops *ops, void *priv,
			       struct module *owner);
void xpv_emu_close(struct xpv_emu *emu);
int xpv_emu_map(struct xpv_emu *emu, const u64 *gfn, unsigned int nr,
		unsigned int order, unsigned int flags, u64 *bfn);
int xpv_emu_lookup(struct xpv_emu *emu, u64 gfn, unsigned int order,
		   u64 *bfn);
int xpv_emu_unmap(struct xpv_emu *emu, const u64 *bfn, unsigned int nr);
int xpv_emu_invalidate(struct xpv_emu *emu, u64 bfn);
int xpv_emu_poll(struct xpv_emu *emu);

/**
 * xpv_emu_open() - open an emulator handle for (guest, ioreq server)
 * @domid:    the guest's domain id
 * @ioserver: the emulator's ioreq server id in that guest
 * @ops:      callbacks (may be NULL), must outlive the handle
 * @priv:     passed to the callbacks
 *
 * Records the calling module as the handle's owner (see __xpv_emu_open()).
 *
 * Context: process context; may sleep.
 * Return: the handle, or an ERR_PTR(): -EPERM (@domid is this domain or
 * DOMID_SELF), -EBUSY (a handle for this pair is open), -ENODEV (no
 * PV-IOMMU backend), -ENOMEM.
 */
#define xpv_emu_open(domid, ioserver, ops, priv) \
	__xpv_emu_open(domid, ioserver, ops, priv, THIS_MODULE)

/* Reservation changes (balloon.c); kernel-doc at the definition. */
bool xen_pviommu_follows_reservation(void);

#endif /* XPV_PVIOMMU_API_H */
