/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * premap.h - plan the 1:1 BFN = PFN IOMMU map of a domain's RAM as
 * map_page (or unmap_page) ops with the fewest ops, in caller-sized
 * batches, resumable between hypercalls.
 *
 * Pure logic: compiled unchanged in the kernel and in userspace tests.
 *
 * Usage:
 *	xpv_premap_init(&c, &params, XPV_PREMAP_MAP, &stats);
 *	while ((n = xpv_premap_next(&c, ops, batch)) > 0) {
 *		hypercall(ops, n);
 *		... check every status, cond_resched() ...
 *	}
 *
 * Each op covers 2^order pfns starting at pfn (bfn = pfn) with
 * gfn = pfn_to_gfn(pfn), and uses the largest order <= max_order such that
 * pfn and gfn are both 2^order aligned, the block stays inside one of the
 * caller's ranges, and the gfns are contiguous over the block.  Taking the
 * largest such order at every step gives the minimum number of ops (see
 * xpv_premap_count(), which computes that minimum a different way).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_LIB_PREMAP_H
#define XPV_LIB_PREMAP_H

#include <linux/types.h>
#include <xpv/abi/iommu_op.h>
#include <xpv/lib/range.h>

/* What pfn_to_gfn() returns for a pfn without a frame (a hole). */
#define XPV_INVALID_GFN		(~0ull)

/* Orders fit the 6-bit field of the op flags. */
#define XPV_PREMAP_MAX_ORDER	63u

/* The map flags a premap may ask for. */
#define XPV_PREMAP_FLAGS	(IOMMU_OP_readable | IOMMU_OP_writeable | \
				 IOMMU_MAP_OP_no_ref_cnt)

/**
 * typedef xpv_pfn_to_gfn_fn - translate one pfn
 * @ctx: the caller's context
 * @pfn: a pfn inside one of the caller's ranges
 *
 * Called in ascending pfn order, at most once per pfn of the ranges by a
 * walk (exactly once when it runs to the end, not cut by
 * xpv_premap_stop_at()) and exactly once per pfn by xpv_premap_count().
 * It must not sleep if the caller cannot.
 *
 * Return: the gfn backing @pfn, or %XPV_INVALID_GFN for a hole.
 */
typedef u64 (*xpv_pfn_to_gfn_fn)(void *ctx, u64 pfn);

/**
 * enum xpv_premap_kind - which ops a walk produces
 * @XPV_PREMAP_MAP:   map_page ops (bfn = pfn, gfn, flags | order).
 * @XPV_PREMAP_UNMAP: unmap_page ops with the same decomposition, to undo a
 *                    premap (rollback, unload).  The decomposition depends
 *                    on the gfns, so pass the same translation (or a
 *                    snapshot of it) that the map walk saw.
 */
enum xpv_premap_kind {
	XPV_PREMAP_MAP,
	XPV_PREMAP_UNMAP,
};

/**
 * struct xpv_premap_params - what to premap
 * @ranges:     pfn ranges [start, end); empty entries are ignored, the
 *              others ascending and disjoint (xpv_range_list_check()).
 *              Blocks never cross from one range into the next, even when
 *              they touch: merge touching ranges first if that is wanted.
 * @nr_ranges:  number of @ranges.
 * @pfn_to_gfn: translation, see &typedef xpv_pfn_to_gfn_fn.
 * @ctx:        passed to @pfn_to_gfn.
 * @max_order:  largest page order the hypervisor accepts (query_caps),
 *              0 .. %XPV_PREMAP_MAX_ORDER.
 * @map_flags:  for map ops, a non-empty subset of %XPV_PREMAP_FLAGS
 *              (readable, writeable, no_ref_cnt); ignored for unmap.
 */
struct xpv_premap_params {
	const struct xpv_range *ranges;
	unsigned int nr_ranges;
	xpv_pfn_to_gfn_fn pfn_to_gfn;
	void *ctx;
	unsigned int max_order;
	unsigned int map_flags;
};

/**
 * struct xpv_premap_stats - what a walk produced (for debugfs)
 * @ops:            ops emitted.
 * @pages:          pfns covered by those ops.
 * @holes:          pfns of the ranges without a gfn (skipped).
 * @lookups:        calls to pfn_to_gfn.
 * @pages_by_order: pfns covered by ops of each order.
 */
struct xpv_premap_stats {
	u64 ops;
	u64 pages;
	u64 holes;
	u64 lookups;
	u64 pages_by_order[XPV_PREMAP_MAX_ORDER + 1];
};

/**
 * struct xpv_premap_count - the minimum for a memory map
 * @ops:        fewest ops that cover every pfn with a gfn.
 * @hypercalls: fewest hypercalls with @batch ops each at most.
 * @pages:      pfns with a gfn.
 * @holes:      pfns without one.
 */
struct xpv_premap_count {
	u64 ops;
	u64 hypercalls;
	u64 pages;
	u64 holes;
};

/**
 * struct xpv_premap_cursor - a resumable walk; opaque to callers
 * @p:          parameters (the range array is the caller's, not copied).
 * @kind:       map or unmap ops.
 * @stats:      optional counters, or NULL.
 * @ri:         index of the current range.
 * @pfn:        next pfn to cover.
 * @stop_pfn:   ops starting at or above this pfn are not produced.
 * @in_run:     a run of contiguous pfn -> gfn is open at @pfn.
 * @run_pfn:    first pfn of the open run.
 * @run_gfn:    its gfn; pfn run_pfn + i has gfn run_gfn + i.
 * @run_end:    pfns [@run_pfn, @run_end) are known to be in the run.
 * @run_closed: @run_end is the true end of the run.
 * @have_next:  @next_gfn holds the gfn of pfn @run_end (looked up when it
 *              broke the run, kept so that no pfn is looked up twice).
 * @next_gfn:   see @have_next.
 * @bad:        init failed; the walk produces nothing.
 */
struct xpv_premap_cursor {
	struct xpv_premap_params p;
	enum xpv_premap_kind kind;
	struct xpv_premap_stats *stats;
	unsigned int ri;
	u64 pfn;
	u64 stop_pfn;
	bool in_run;
	u64 run_pfn;
	u64 run_gfn;
	u64 run_end;
	bool run_closed;
	bool have_next;
	u64 next_gfn;
	bool bad;
};

/**
 * struct xpv_p2m_change - one pfn's gfn in a P2M view that differs from
 * the live one
 * @pfn: the pfn.
 * @gfn: its gfn in the view, or %XPV_INVALID_GFN for none.
 */
struct xpv_p2m_change {
	u64 pfn;
	u64 gfn;
};

/**
 * struct xpv_p2m_overlay - a P2M view: @base, except for @changes
 * @changes:  sorted by pfn, no pfn twice (xpv_p2m_changes_sort()).
 * @nr:       entries in @changes.
 * @base:     the underlying translation.
 * @base_ctx: passed to @base.
 *
 * Used as the @ctx of xpv_p2m_overlay_gfn(), to walk the map as it was
 * before a P2M change or as it will be after one.
 */
struct xpv_p2m_overlay {
	const struct xpv_p2m_change *changes;
	unsigned int nr;
	xpv_pfn_to_gfn_fn base;
	void *base_ctx;
};

u64 xpv_p2m_overlay_gfn(void *ctx, u64 pfn);
unsigned int xpv_p2m_changes_sort(struct xpv_p2m_change *c, unsigned int nr);
int xpv_premap_affected(const struct xpv_range *ranges, unsigned int nr,
			const struct xpv_p2m_change *changes,
			unsigned int nr_changes, unsigned int max_order,
			struct xpv_range *out, unsigned int max_out);
int xpv_premap_check_params(const struct xpv_premap_params *p);
int xpv_premap_init(struct xpv_premap_cursor *c,
		    const struct xpv_premap_params *p,
		    enum xpv_premap_kind kind, struct xpv_premap_stats *stats);
void xpv_premap_stop_at(struct xpv_premap_cursor *c, u64 pfn);
unsigned int xpv_premap_next(struct xpv_premap_cursor *c,
			     struct pv_iommu_op *ops, unsigned int batch);
bool xpv_premap_done(const struct xpv_premap_cursor *c);
int xpv_premap_count(const struct xpv_premap_params *p, unsigned int batch,
		     struct xpv_premap_count *out);
u64 xpv_premap_run_ops(u64 pfn, u64 end, u64 gfn, unsigned int max_order);

#endif /* XPV_LIB_PREMAP_H */
