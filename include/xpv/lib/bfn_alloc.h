/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bfn_alloc.h - bus frame number allocator for the emulator API, and the
 * small u64 -> u64 hash index the API keeps its mappings in.
 *
 * Pure logic: compiled unchanged in the kernel and in userspace tests.  No
 * allocation and no locks: the caller passes the storage (sized with
 * xpv_bfn_store_len() / a power-of-two table) and serialises every call on
 * one allocator or index.
 *
 * The allocator hands out naturally aligned power-of-two blocks of bus
 * frames (order 0 .. @max_order) inside a window [base, base + frames)
 * minus reserved ranges (RMRRs, the MSI window).  It is a buddy system
 * without eager merging:
 *   - alloc pops the smallest non-empty free stack of order >= the one
 *     asked for and splits it, else carves a new block from a bump
 *     pointer; O(max_order) either way;
 *   - free pushes the block on its order's stack; O(1);
 *   - only when neither works (the window looks exhausted) are the free
 *     stacks sorted and buddies merged, and free blocks at the top of the
 *     carved area given back to the bump pointer; the request is then
 *     retried once.  So -ENOSPC means exactly "no aligned free block of
 *     that order exists in the window".
 * Reuse of a freed block is the caller's business: free only after the
 * IOTLB flush that covered the unmap (every iommu_op hypercall flushes
 * before it returns).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_LIB_BFN_ALLOC_H
#define XPV_LIB_BFN_ALLOC_H

#include <linux/types.h>

/* Largest block: order 9, 2 MiB (a huge GTT entry). */
#define XPV_BFN_MAX_ORDER	9
/* Reserved ranges the allocator can avoid. */
#define XPV_BFN_MAX_RSV		16
/* Order-0 blocks a magazine (per-CPU cache) holds. */
#define XPV_BFN_MAG_SIZE	32

/**
 * struct xpv_bfn_stack - free blocks of one order (offsets in the window)
 * @v:   storage: window frames >> order entries.
 * @n:   entries in use.
 * @cap: capacity of @v.
 */
struct xpv_bfn_stack {
	u32 *v;
	u32 n;
	u32 cap;
};

/**
 * struct xpv_bfn_alloc - one allocator
 * @base:        first BFN of the window, aligned to 2^@max_order.
 * @frames:      window size in frames (a multiple of 2^@max_order,
 *               at most 2^32).
 * @max_order:   largest order handed out (<= XPV_BFN_MAX_ORDER).
 * @next:        bump pointer: offsets >= @next were never handed out.
 * @rsv:         reserved ranges (window offsets, sorted, disjoint).
 * @nr_rsv:      entries in @rsv.
 * @free:        free blocks per order.
 * @used_frames: frames handed out and not freed.
 * @free_frames: frames on the free stacks.
 * @compactions: times the slow path sorted and merged the stacks.
 */
struct xpv_bfn_alloc {
	u64 base;
	u64 frames;
	unsigned int max_order;
	u64 next;
	struct {
		u64 start;
		u64 end;
	} rsv[XPV_BFN_MAX_RSV];
	unsigned int nr_rsv;
	struct xpv_bfn_stack free[XPV_BFN_MAX_ORDER + 1];
	u64 used_frames;
	u64 free_frames;
	u64 compactions;
};

/**
 * struct xpv_bfn_mag - a small cache of order-0 BFNs (one per CPU/thread)
 * @n:   entries in use.
 * @bfn: the cached BFNs.
 */
struct xpv_bfn_mag {
	unsigned int n;
	u64 bfn[XPV_BFN_MAG_SIZE];
};

u64 xpv_bfn_store_len(u64 frames, unsigned int max_order);
int xpv_bfn_init(struct xpv_bfn_alloc *a, u64 base, u64 frames,
		 unsigned int max_order, u32 *store, u64 store_len);
int xpv_bfn_reserve(struct xpv_bfn_alloc *a, u64 bfn_start, u64 bfn_end);
int xpv_bfn_get(struct xpv_bfn_alloc *a, unsigned int order, u64 *bfn);
int xpv_bfn_put(struct xpv_bfn_alloc *a, u64 bfn, unsigned int order);
void xpv_bfn_compact(struct xpv_bfn_alloc *a);
unsigned int xpv_bfn_mag_fill(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			      unsigned int want);
void xpv_bfn_mag_drain(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
		       unsigned int keep);

/**
 * struct xpv_u64map - open-addressing hash from u64 keys to u64 values
 * @key:  key storage (@cap entries).
 * @val:  value storage (@cap entries).
 * @used: occupancy bitmap storage (@cap bits, in u64 words).
 * @cap:  table size, a power of two.
 * @n:    entries in use (at most 3/4 of @cap).
 */
struct xpv_u64map {
	u64 *key;
	u64 *val;
	u64 *used;
	u64 cap;
	u64 n;
};

void xpv_u64map_init(struct xpv_u64map *h, u64 *key, u64 *val, u64 *used,
		     u64 cap);
int xpv_u64map_get(const struct xpv_u64map *h, u64 key, u64 *val);
int xpv_u64map_put(struct xpv_u64map *h, u64 key, u64 val);
int xpv_u64map_del(struct xpv_u64map *h, u64 key, u64 *val);
void xpv_u64map_move(struct xpv_u64map *to, const struct xpv_u64map *from);
int xpv_u64map_at(const struct xpv_u64map *h, u64 *pos, u64 *key, u64 *val);

#endif /* XPV_LIB_BFN_ALLOC_H */
