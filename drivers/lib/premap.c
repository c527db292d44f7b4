// SPDX-License-Identifier: GPL-2.0-only
/*
 * premap.c - the 1:1 BFN = PFN premap planner and its op-count minimum.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 *
 * The walk finds each maximal run of pfns whose gfns are contiguous once,
 * lazily: it looks up only as far ahead as the op being built needs (at
 * most 2^max_order pfns), and it keeps the gfn of the pfn that broke a run
 * for the next run, so every pfn is looked up exactly once per walk and
 * the work between two batches stays bounded by the batch.
 *
 * Within a run starting at pfn p with gfn g, pfn x has gfn x + (g - p), so
 * x and its gfn are both 2^o aligned exactly when x is 2^o aligned and
 * 2^o divides (g - p).  A run is therefore a plain interval to cut into
 * aligned power-of-two blocks no larger than 2^A, A = min(max_order,
 * ctz(g - p)); xpv_premap_run_ops() counts those blocks in O(1).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/premap.h>
#include <xpv/lib/status.h>

/* Trailing zero bits; 64 for 0 (aligned to every order). */
static unsigned int xpv_ctz64(u64 x)
{
	return x ? (unsigned int)__builtin_ctzll(x) : 64;
}

/* Index of the highest set bit; @x must not be 0. */
static unsigned int xpv_fls64(u64 x)
{
	return 63 - (unsigned int)__builtin_clzll(x);
}

/* No __builtin_popcountll: without -mpopcnt it is a libgcc call. */
static unsigned int xpv_popcount64(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned int)((x * 0x0101010101010101ull) >> 56);
}

/* Blocks of order <= @a cutting a length that ends or starts 2^a-aligned. */
static u64 xpv_side_blocks(u64 len, unsigned int a)
{
	return (len >> a) + xpv_popcount64(len & ((1ull << a) - 1));
}

/**
 * xpv_premap_run_ops() - ops needed for one contiguous run
 * @pfn:       first pfn of the run
 * @end:       end (exclusive) of the run
 * @gfn:       gfn of @pfn; pfn @pfn + i has gfn @gfn + i
 * @max_order: largest order allowed (values above 63 act as 63)
 *
 * Counts the blocks of the greedy decomposition without building them.
 * Let m be @end with the bits below the highest bit where @pfn and @end
 * differ cleared.  Blocks below m grow towards m, blocks above it shrink
 * towards @end, and each side of a 2^A-aligned point needs
 * len / 2^A + popcount(len mod 2^A) blocks.
 *
 * Context: any.
 * Return: the number of map ops the run needs (0 for an empty run).
 */
u64 xpv_premap_run_ops(u64 pfn, u64 end, u64 gfn, unsigned int max_order)
{
	unsigned int a = xpv_ctz64(gfn - pfn);
	unsigned int h;
	u64 m;

	if (pfn >= end)
		return 0;
	if (max_order > XPV_PREMAP_MAX_ORDER)
		max_order = XPV_PREMAP_MAX_ORDER;
	if (a > max_order)
		a = max_order;
	h = xpv_fls64(pfn ^ end);
	m = end & ~((1ull << h) - 1);
	return xpv_side_blocks(m - pfn, a) + xpv_side_blocks(end - m, a);
}

/**
 * xpv_premap_check_params() - validate premap parameters
 * @p: parameters
 *
 * The map flags are checked by xpv_premap_init() for map walks only.
 *
 * Context: any.
 * Return: 0, or -EINVAL for a missing callback, @max_order above
 * %XPV_PREMAP_MAX_ORDER, or a range list that is not ascending and
 * disjoint.
 */
int xpv_premap_check_params(const struct xpv_premap_params *p)
{
	if (!p || !p->pfn_to_gfn || p->max_order > XPV_PREMAP_MAX_ORDER)
		return -EINVAL;
	return xpv_range_list_check(p->ranges, p->nr_ranges);
}

static u64 xpv_lookup(struct xpv_premap_cursor *c, u64 pfn)
{
	if (c->stats)
		c->stats->lookups++;
	return c->p.pfn_to_gfn(c->p.ctx, pfn);
}

/* Move to the first non-empty range at or after index @ri. */
static void xpv_premap_enter(struct xpv_premap_cursor *c, unsigned int ri)
{
	while (ri < c->p.nr_ranges && xpv_range_empty(&c->p.ranges[ri]))
		ri++;
	c->ri = ri;
	c->in_run = false;
	c->have_next = false;
	if (ri < c->p.nr_ranges)
		c->pfn = c->p.ranges[ri].start;
}

/**
 * xpv_premap_init() - start a walk
 * @c:     cursor to initialise
 * @p:     parameters; copied, but @p->ranges must stay valid for the walk
 * @kind:  map or unmap ops
 * @stats: counters to zero and fill, or NULL
 *
 * Context: any.
 * Return: 0, or -EINVAL for bad parameters (see
 * xpv_premap_check_params()), an unknown @kind, or map flags that are not
 * a subset of %XPV_PREMAP_FLAGS granting read or write.  After a failure
 * the walk produces no ops.
 */
int xpv_premap_init(struct xpv_premap_cursor *c,
		    const struct xpv_premap_params *p,
		    enum xpv_premap_kind kind, struct xpv_premap_stats *stats)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->bad = true;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	ret = xpv_premap_check_params(p);
	if (ret)
		return ret;
	if (kind != XPV_PREMAP_MAP && kind != XPV_PREMAP_UNMAP)
		return -EINVAL;
	if (kind == XPV_PREMAP_MAP &&
	    ((p->map_flags & ~XPV_PREMAP_FLAGS) ||
	     !(p->map_flags & (IOMMU_OP_readable | IOMMU_OP_writeable))))
		return -EINVAL;
	c->p = *p;
	c->kind = kind;
	c->stats = stats;
	c->stop_pfn = XPV_U64_MAX;
	c->bad = false;
	xpv_premap_enter(c, 0);
	return 0;
}

/**
 * xpv_premap_stop_at() - produce only the ops that start below @pfn
 * @c:   cursor
 * @pfn: first pfn not to start an op at
 *
 * The decomposition is not changed, only cut short, so an unmap walk
 * stopped at the first pfn of a failed map batch undoes exactly the
 * batches before it (the failed batch itself is undone from its statuses,
 * see xpv_batch_plan_rollback()).
 *
 * Context: any.
 */
void xpv_premap_stop_at(struct xpv_premap_cursor *c, u64 pfn)
{
	c->stop_pfn = pfn;
}

/* Look ahead until the run covers @need pfns from c->pfn or ends. */
static void xpv_premap_extend(struct xpv_premap_cursor *c, u64 need)
{
	u64 end = c->p.ranges[c->ri].end;

	while (!c->run_closed && c->run_end - c->pfn < need) {
		u64 gfn;

		if (c->run_end == end) {
			c->run_closed = true;
			break;
		}
		gfn = xpv_lookup(c, c->run_end);
		if (gfn == XPV_INVALID_GFN ||
		    gfn != c->run_gfn + (c->run_end - c->run_pfn)) {
			c->run_closed = true;
			c->have_next = true;
			c->next_gfn = gfn;
			break;
		}
		c->run_end++;
	}
}

/* Position the cursor on a pfn with a gfn; false when none is left. */
static bool xpv_premap_seek(struct xpv_premap_cursor *c)
{
	const struct xpv_range *r;
	u64 gfn;

	for (;;) {
		if (c->in_run) {
			if (c->pfn < c->run_end)
				return true;
			xpv_premap_extend(c, 1);
			if (c->pfn < c->run_end)
				return true;
			c->in_run = false;
		}
		if (c->ri >= c->p.nr_ranges)
			return false;
		r = &c->p.ranges[c->ri];
		if (c->pfn >= r->end) {
			xpv_premap_enter(c, c->ri + 1);
			continue;
		}
		if (c->have_next) {
			gfn = c->next_gfn;
			c->have_next = false;
		} else {
			gfn = xpv_lookup(c, c->pfn);
		}
		if (gfn == XPV_INVALID_GFN) {
			if (c->stats)
				c->stats->holes++;
			c->pfn++;
			continue;
		}
		c->in_run = true;
		c->run_pfn = c->pfn;
		c->run_gfn = gfn;
		c->run_end = c->pfn + 1;
		c->run_closed = false;
	}
}

/* Build the op at c->pfn (inside an open run) and step past it. */
static void xpv_premap_emit(struct xpv_premap_cursor *c,
			    struct pv_iommu_op *op)
{
	u64 pfn = c->pfn;
	u64 gfn = c->run_gfn + (pfn - c->run_pfn);
	unsigned int order = c->p.max_order;
	unsigned int fit;

	if (xpv_ctz64(pfn) < order)
		order = xpv_ctz64(pfn);
	if (xpv_ctz64(gfn) < order)
		order = xpv_ctz64(gfn);
	xpv_premap_extend(c, 1ull << order);
	fit = xpv_fls64(c->run_end - pfn);
	if (fit < order)
		order = fit;

	memset(op, 0, sizeof(*op));
	op->status = XPV_OP_STATUS_PENDING;
	if (c->kind == XPV_PREMAP_MAP) {
		op->subop_id = IOMMUOP_map_page;
		op->flags = (u16)(c->p.map_flags |
				  IOMMU_page_order_flags(order));
		op->u.map_page.bfn = pfn;
		op->u.map_page.gfn = gfn;
	} else {
		op->subop_id = IOMMUOP_unmap_page;
		op->flags = (u16)IOMMU_page_order_flags(order);
		op->u.unmap_page.bfn = pfn;
	}
	c->pfn = pfn + (1ull << order);
	if (c->stats) {
		c->stats->ops++;
		c->stats->pages += 1ull << order;
		c->stats->pages_by_order[order] += 1ull << order;
	}
}

/**
 * xpv_premap_next() - fill the next batch of ops
 * @c:     cursor from xpv_premap_init()
 * @ops:   room for @batch ops
 * @batch: ops per hypercall, at least 1
 *
 * Ops come in ascending pfn order with their status preset to
 * %XPV_OP_STATUS_PENDING.  Only the last non-empty batch can be short, so
 * a caller that submits each batch with one hypercall makes exactly the
 * minimum number of hypercalls (xpv_premap_count()).
 *
 * Context: any; does not sleep.  @pfn_to_gfn runs once for each pfn
 * examined: those the batch covers, the holes before them, and at most
 * 2^max_order pfns of look-ahead (examined once per walk in total).
 * Return: the number of ops written; 0 when the walk is over (or @batch is
 * 0, @ops is NULL, or init failed).
 */
unsigned int xpv_premap_next(struct xpv_premap_cursor *c,
			     struct pv_iommu_op *ops, unsigned int batch)
{
	unsigned int n = 0;

	if (c->bad || !ops)
		return 0;
	while (n < batch && xpv_premap_seek(c) && c->pfn < c->stop_pfn)
		xpv_premap_emit(c, &ops[n++]);
	/* Settle on the next op (or the end) so xpv_premap_done() is exact. */
	if (n == batch)
		xpv_premap_seek(c);
	return n;
}

/**
 * xpv_premap_done() - is the walk over
 * @c: cursor
 *
 * Exact after every call to xpv_premap_next(); before the first one it may
 * be false for a walk that will produce nothing.
 *
 * Context: any.
 * Return: true when xpv_premap_next() can produce no more ops.
 */
bool xpv_premap_done(const struct xpv_premap_cursor *c)
{
	return c->bad || c->ri >= c->p.nr_ranges || c->pfn >= c->stop_pfn;
}

/**
 * xpv_premap_count() - the minimum number of ops and hypercalls
 * @p:     parameters (map flags are not looked at)
 * @batch: ops per hypercall, at least 1
 * @out:   result
 *
 * Finds every maximal contiguous run (one lookup per pfn) and counts its
 * blocks with xpv_premap_run_ops(); it shares no code with the walk, so
 * the two check each other.
 *
 * Context: any; calls @p->pfn_to_gfn once per pfn of the ranges.
 * Return: 0, or -EINVAL for bad parameters or a zero @batch.
 */
int xpv_premap_count(const struct xpv_premap_params *p, unsigned int batch,
		     struct xpv_premap_count *out)
{
	unsigned int i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = xpv_premap_check_params(p);
	if (ret)
		return ret;
	if (!batch)
		return -EINVAL;
	for (i = 0; i < p->nr_ranges; i++) {
		u64 pfn = p->ranges[i].start, end = p->ranges[i].end;
		bool have = false;
		u64 gfn = 0;

		while (pfn < end) {
			u64 run_pfn = pfn, run_gfn;

			if (!have)
				gfn = p->pfn_to_gfn(p->ctx, pfn);
			have = false;
			if (gfn == XPV_INVALID_GFN) {
				out->holes++;
				pfn++;
				continue;
			}
			run_gfn = gfn;
			for (pfn++; pfn < end; pfn++) {
				gfn = p->pfn_to_gfn(p->ctx, pfn);
				if (gfn == XPV_INVALID_GFN ||
				    gfn != run_gfn + (pfn - run_pfn)) {
					have = true;
					break;
				}
			}
			out->ops += xpv_premap_run_ops(run_pfn, pfn, run_gfn,
						       p->max_order);
			out->pages += pfn - run_pfn;
		}
	}
	out->hypercalls = out->ops / batch + (out->ops % batch != 0);
	return 0;
}

/**
 * xpv_p2m_overlay_gfn() - translate through a P2M overlay
 * @ctx: a &struct xpv_p2m_overlay
 * @pfn: pfn
 *
 * Context: as the overlay's @base.
 * Return: the overlay's gfn for @pfn if it has one, else @base's.
 */
u64 xpv_p2m_overlay_gfn(void *ctx, u64 pfn)
{
	const struct xpv_p2m_overlay *o = ctx;
	unsigned int lo = 0, hi = o->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (o->changes[mid].pfn == pfn)
			return o->changes[mid].gfn;
		if (o->changes[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return o->base(o->base_ctx, pfn);
}

static void xpv_change_sift(struct xpv_p2m_change *c, unsigned int i,
			    unsigned int n)
{
	for (;;) {
		unsigned int big = i, l = 2 * i + 1, r = l + 1;
		struct xpv_p2m_change t;

		if (l < n && c[l].pfn > c[big].pfn)
			big = l;
		if (r < n && c[r].pfn > c[big].pfn)
			big = r;
		if (big == i)
			return;
		t = c[i];
		c[i] = c[big];
		c[big] = t;
		i = big;
	}
}

/**
 * xpv_p2m_changes_sort() - sort changes by pfn and drop repeated pfns
 * @c:  changes
 * @nr: entries
 *
 * Heapsort (no allocation, O(n log n), not stable): of a pfn given twice
 * one entry is kept, which one is not defined.
 *
 * Context: any.
 * Return: the number of entries left.
 */
unsigned int xpv_p2m_changes_sort(struct xpv_p2m_change *c, unsigned int nr)
{
	unsigned int i, n;

	for (i = nr / 2; i-- > 0;)
		xpv_change_sift(c, i, nr);
	for (i = nr; i-- > 1;) {
		struct xpv_p2m_change t = c[0];

		c[0] = c[i];
		c[i] = t;
		xpv_change_sift(c, 0, i);
	}
	for (i = 0, n = 0; i < nr; i++)
		if (!n || c[n - 1].pfn != c[i].pfn)
			c[n++] = c[i];
	return n;
}

/**
 * xpv_premap_affected() - the blocks of a premap that a P2M change touches
 * @ranges:     the premapped ranges (ascending, disjoint)
 * @nr:         number of @ranges
 * @changes:    the changed pfns, sorted (xpv_p2m_changes_sort())
 * @nr_changes: number of @changes
 * @max_order:  the premap's largest order
 * @out:        the blocks: each naturally aligned 2^@max_order block that
 *              holds a changed pfn inside a range, clipped to that range;
 *              blocks that touch inside one range are merged (never
 *              across ranges: the planner does not cross them either)
 * @max_out:    room in @out
 *
 * No op of the premap crosses such a block, and the planner decomposes a
 * block the same way whether it walks the whole range or just the block.
 * So unmapping @out under the old view and mapping it under the new one
 * leaves exactly the map a fresh premap of the new view would build.
 * Changed pfns outside every range are ignored: nothing maps them.
 *
 * Context: any.
 * Return: the number of blocks written, -EINVAL for bad arguments, or
 * -ENOSPC when @max_out is too small.
 */
int xpv_premap_affected(const struct xpv_range *ranges, unsigned int nr,
			const struct xpv_p2m_change *changes,
			unsigned int nr_changes, unsigned int max_order,
			struct xpv_range *out, unsigned int max_out)
{
	u64 mask;
	unsigned int i, ri = 0, n = 0, last_ri = 0;

	if (max_order > XPV_PREMAP_MAX_ORDER ||
	    xpv_range_list_check(ranges, nr))
		return -EINVAL;
	mask = max_order >= 63 ? XPV_U64_MAX : (1ull << max_order) - 1;
	for (i = 0; i < nr_changes; i++) {
		u64 pfn = changes[i].pfn, start, end;

		if (i && pfn <= changes[i - 1].pfn)
			return -EINVAL;
		while (ri < nr && ranges[ri].end <= pfn)
			ri++;
		if (ri == nr)
			break;
		if (pfn < ranges[ri].start)
			continue;
		start = pfn & ~mask;
		end = (pfn | mask) == XPV_U64_MAX ? XPV_U64_MAX :
		      (pfn | mask) + 1;
		if (start < ranges[ri].start)
			start = ranges[ri].start;
		if (end > ranges[ri].end)
			end = ranges[ri].end;
		if (n && last_ri == ri && out[n - 1].end >= start) {
			if (end > out[n - 1].end)
				out[n - 1].end = end;
			continue;
		}
		if (n == max_out)
			return -ENOSPC;
		out[n].start = start;
		out[n].end = end;
		last_ri = ri;
		n++;
	}
	return (int)n;
}
