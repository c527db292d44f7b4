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
 * Invalidations (the guest gave a page back) reach the handle's
 * ops->invalidate callback.  On real Xen they arrive on the emulator's own
 * ioreq ring: the emulator passes each one to xpv_emu_invalidate(), and
 * BFNs the handle unmapped are not reused until it confirms, with
 * xpv_emu_inv_mark() and xpv_emu_inv_done(), that no invalidate queued
 * before the unmap is still on its way (else a late one could hit a new
 * mapping at the same BFN).  See "Invalidation contract" in
 * Documentation/emulator-api.rst.
 *
 * Without map_cap (no IOMMU for this domain: xpv_emu_query_caps() says
 * lookup_only), the same calls use IOMMUOP_lookup_foreign_page and hand
 * back the bus address Xen gives (the MFN, or MFN + window): order 0 only,
 * read-write only.
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
 * xpv_emu_map() flags.  XPV_EMU_RO: the device may only read (map_cap
 * only).  XPV_EMU_SWAP: IOMMUOP_swap_mfn, the BFN may be pointed at a
 * scratch page when the guest balloons the page out (order 0 only: Xen
 * swaps only order-0 mappings).
 */
#define XPV_EMU_RO		BIT(0)
#define XPV_EMU_SWAP		BIT(1)
#define XPV_EMU_FLAGS		(XPV_EMU_RO | XPV_EMU_SWAP)

/**
 * struct xpv_emu_caps - what the emulator API offers here
 * @map_cap:     the module allocates BFNs and maps guest frames at them
 *               (IOMMUOP_map_foreign_page).
 * @lookup_only: no map_cap: addresses come from
 *               IOMMUOP_lookup_foreign_page (order 0, read-write only).
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
 * enum xpv_emu_inv - what became of a mapping whose page the guest gave back
 * @XPV_EMU_INV_DROPPED: mapped without XPV_EMU_SWAP (or lookup mode): the
 *                       module unmaps the BFN when the callback returns,
 *                       so the guest's page is freed.  Stop the device
 *                       using the BFN before returning.
 * @XPV_EMU_INV_SWAPPED: every mapping of the page was XPV_EMU_SWAP: Xen
 *                       pointed the BFN at its zeroed scratch page and
 *                       freed the page.  The BFN stays mapped (the device
 *                       reads zeros) until every reference is unmapped.
 * @XPV_EMU_INV_PINNED:  mapped with XPV_EMU_SWAP, but the page was not (or
 *                       may not have been) swapped: some other mapping of
 *                       it is not swappable.  The BFN still reaches the
 *                       guest's old page, which stays allocated until
 *                       every reference is unmapped: unmap them as soon
 *                       as the device stops using the BFN.
 */
enum xpv_emu_inv {
	XPV_EMU_INV_DROPPED,
	XPV_EMU_INV_SWAPPED,
	XPV_EMU_INV_PINNED,
};

/**
 * struct xpv_emu_ops - an emulator's callbacks
 * @invalidate: the guest gave back the page(s) behind a mapping (balloon
 *              out); @how says what became of it (enum xpv_emu_inv).
 *              Called once per mapping, in process context from
 *              xen_pviommu's workqueue, with no xen_pviommu lock held and
 *              a reference on the handle's owner module: it may sleep and
 *              may call xpv_emu_map(), xpv_emu_lookup() and
 *              xpv_emu_unmap() (on any handle), but not xpv_emu_close()
 *              on @emu.  By then xpv_emu_lookup() no longer returns @bfn
 *              for @gfn.  Either way the references stay the emulator's
 *              to unmap (no hypercall for a dropped one).  Not called
 *              once the handle is closing or its owner module is going
 *              away.  Optional.
 */
struct xpv_emu_ops {
	void (*invalidate)(struct xpv_emu *emu, void *priv, u64 gfn, u64 bfn,
			   unsigned int order, enum xpv_emu_inv how);
};

int xpv_emu_query_caps(struct xpv_emu_caps *caps);
struct xpv_emu *xpv_emu_open_owner(u16 domid, u16 ioserver,
				   const struct xpv_emu_ops *ops, void *priv,
				   struct module *owner);
void xpv_emu_close(struct xpv_emu *emu);
int xpv_emu_map(struct xpv_emu *emu, const u64 *gfn, unsigned int nr,
		unsigned int order, unsigned int flags, u64 *bfn);
int xpv_emu_lookup(struct xpv_emu *emu, u64 gfn, unsigned int order,
		   u64 *bfn);
int xpv_emu_unmap(struct xpv_emu *emu, const u64 *bfn, unsigned int nr);
int xpv_emu_invalidate(struct xpv_emu *emu, u64 bfn);
u64 xpv_emu_inv_mark(struct xpv_emu *emu);
int xpv_emu_inv_done(struct xpv_emu *emu, u64 mark);
int xpv_emu_poll(struct xpv_emu *emu);

/**
 * xpv_emu_open() - open an emulator handle for (guest, ioreq server)
 * @domid:    the guest's domain id
 * @ioserver: the emulator's ioreq server id in that guest
 * @ops:      callbacks (may be NULL), must outlive the handle
 * @priv:     passed to the callbacks
 *
 * Records the calling module as the handle's owner (see
 * xpv_emu_open_owner()).
 *
 * Context: process context; may sleep.
 * Return: the handle, or an ERR_PTR(): -EPERM (@domid is 0 or
 * DOMID_SELF), -EINVAL (another reserved domid), -EBUSY (a handle for
 * this pair is open), -ENODEV (no PV-IOMMU backend), -ENOMEM.
 */
#define xpv_emu_open(domid, ioserver, ops, priv) \
	xpv_emu_open_owner(domid, ioserver, ops, priv, THIS_MODULE)

/* Reservation changes (balloon.c); kernel-doc at the definition. */
bool xen_pviommu_follows_reservation(void);

#endif /* XPV_PVIOMMU_API_H */
