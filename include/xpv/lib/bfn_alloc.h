/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bfn_alloc.h - bus frame number allocator for the emulator API, and the
 * small u64 -> u64 hash index the API keeps its mappings in.
 *
 * Pure logic: compiled unchanged in the kernel and in userspace tests.  No
 * allocation and no locks: the caller passes the storage (sized with
 * xpv_bfn_store_len() / a power-of-two table) and serialises the calls
 * that say so.
 *
 * The allocator hands out naturally aligned power-of-two blocks of bus
 * frames (order 0 .. @max_order) inside a window [base, base + frames)
 * minus reserved ranges (RMRRs, the MSI window).  It is a buddy system
 * with eager coalescing over bitmaps:
 *   - per order, a bitmap of free blocks with summary levels above it
 *     (one bit per non-zero word of the level below), so the lowest free
 *     block of an order is found by descending at most XPV_BFN_LEVELS
 *     words;
 *   - alloc takes the lowest free block of the smallest order >= the one
 *     asked for and splits it; free merges the block with its free buddy
 *     as far as it goes.  Both cost O(max_order * XPV_BFN_LEVELS) word
 *     operations, whatever the window's size or fragmentation; a request
 *     that cannot be met costs max_order + 1 word reads;
 *   - per order, a bitmap of the blocks handed out ("held"): a free must
 *     name a held block of that order, so double frees, frees of reserved
 *     or never handed out frames, misaligned or wrong-order frees are
 *     refused (-EINVAL) and change nothing.
 * Order-0 blocks may also go through per-CPU/thread magazines
 * (xpv_bfn_mag_*): a magazine holds blocks the allocator counts as handed
 * out but whose held bit is clear, so a free into a magazine is checked
 * with one atomic bit operation and no allocator lock.
 *
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
/* Largest window: 2^30 frames (4 TiB). */
#define XPV_BFN_MAX_FRAMES	0x40000000ull
/* Bitmap levels: 64^5 >= 2^30 bits. */
#define XPV_BFN_LEVELS		5

/**
 * struct xpv_bfn_bitmap - a bitmap with summary levels
 * @lvl:   @lvl[0] holds the bits; @lvl[i + 1] has one bit per word of
 *         @lvl[i], set when that word is non-zero.
 * @depth: levels in use (the top one is a single word).
 */
struct xpv_bfn_bitmap {
	unsigned long *lvl[XPV_BFN_LEVELS];
	unsigned int depth;
};

/**
 * struct xpv_bfn_alloc - one allocator
 * @base:         first BFN of the window, aligned to 2^@max_order.
 * @frames:       window size in frames (a multiple of 2^@max_order,
 *                at most XPV_BFN_MAX_FRAMES).
 * @max_order:    largest order handed out (<= XPV_BFN_MAX_ORDER).
 * @sealed:       the free bitmaps are built: no more reservations.
 * @rsv:          reserved ranges (window offsets, sorted, disjoint).
 * @nr_rsv:       entries in @rsv.
 * @free:         per order, the free blocks (block index = offset >> k).
 * @held:         per order, the blocks handed out to a caller (order 0:
 *                changed with atomic bit operations, also outside the
 *                caller's lock, by the magazine functions).
 * @used_frames:  frames handed out (held, or in a magazine) and not freed.
 * @free_frames:  frames in free blocks.
 * @rsv_frames:   reserved frames inside the window.
 * @invalid_puts: frees refused with -EINVAL.
 * @steps:        bitmap words read or written by the allocator so far (a
 *                cost measure the tests bound).
 */
struct xpv_bfn_alloc {
	u64 base;
	u64 frames;
	unsigned int max_order;
	bool sealed;
	struct {
		u64 start;
		u64 end;
	} rsv[XPV_BFN_MAX_RSV];
	unsigned int nr_rsv;
	struct xpv_bfn_bitmap free[XPV_BFN_MAX_ORDER + 1];
	unsigned long *held[XPV_BFN_MAX_ORDER + 1];
	u64 used_frames;
	u64 free_frames;
	u64 rsv_frames;
	u64 invalid_puts;
	u64 steps;
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
		 unsigned int max_order, unsigned long *store, u64 store_len);
int xpv_bfn_reserve(struct xpv_bfn_alloc *a, u64 bfn_start, u64 bfn_end);
void xpv_bfn_seal(struct xpv_bfn_alloc *a);
int xpv_bfn_get(struct xpv_bfn_alloc *a, unsigned int order, u64 *bfn);
int xpv_bfn_put(struct xpv_bfn_alloc *a, u64 bfn, unsigned int order);
unsigned int xpv_bfn_mag_fill(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			      unsigned int want);
unsigned int xpv_bfn_mag_drain(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			       unsigned int keep);
int xpv_bfn_mag_pop(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m, u64 *bfn);
int xpv_bfn_mag_push(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m, u64 bfn);

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
