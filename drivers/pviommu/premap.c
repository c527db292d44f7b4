// SPDX-License-Identifier: GPL-2.0-only
/*
 * premap.c - map every RAM pfn at bfn = pfn through iommu_op, in batches,
 * with exact rollback; and the reverse at unload.
 *
 * The planner (drivers/lib/premap.c) chooses the largest page order each
 * block allows; this file walks the domain's RAM, issues the hypercalls,
 * checks every op's status and undoes exactly what succeeded on failure.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <xpv/lib/premap.h>
#include <xpv/lib/status.h>
#include "pviommu.h"
#include "trace.h"

/*
 * Called once per pfn by the planner: the backend's P2M.  A grant or
 * foreign mapping is another domain's frame, a hole for the 1:1 map.
 */
static u64 xpv_premap_gfn(void *ctx, u64 pfn)
{
	struct xpv_hv *hv = ctx;
	u64 gfn = hv->ops->pfn_to_gfn(pfn);

	return gfn & XPV_GFN_FOREIGN ? XPV_INVALID_GFN : gfn;
}

static int xpv_collect_ram(struct resource *res, void *arg)
{
	struct xpv_premap *pm = arg;
	u64 start = PFN_UP(res->start), end = PFN_DOWN(res->end + 1);
	struct xpv_range *last = pm->nr ? &pm->ranges[pm->nr - 1] : NULL;

	if (start >= end)
		return 0;
	/* Touching ranges are merged: blocks may then span them. */
	if (last && last->end == start) {
		last->end = end;
		return 0;
	}
	if (pm->nr == ARRAY_SIZE(pm->ranges))
		return -E2BIG;
	pm->ranges[pm->nr].start = start;
	pm->ranges[pm->nr].end = end;
	pm->nr++;
	return 0;
}

/**
 * xpv_premap_collect() - read the domain's RAM ranges (pfns)
 * @pm: premap state; ranges are replaced
 *
 * Context: process context.
 * Return: 0, -E2BIG when the memory map has too many ranges, or -ENODEV
 * when it has no RAM at all.
 */
int xpv_premap_collect(struct xpv_premap *pm)
{
	int rc;

	pm->nr = 0;
	rc = walk_iomem_res_desc(IORES_DESC_NONE,
				 IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				 0, U64_MAX, pm, xpv_collect_ram);
	if (rc == -E2BIG)
		return rc;
	return pm->nr ? 0 : -ENODEV;
}

static void xpv_premap_params(struct xpv_premap *pm, struct xpv_hv *hv,
			      const struct xpv_range *r, unsigned int nr,
			      struct xpv_premap_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ranges = r;
	p->nr_ranges = nr;
	p->pfn_to_gfn = xpv_premap_gfn;
	p->ctx = hv;
	p->max_order = pm->max_order;
	p->map_flags = pm->map_flags;
}

/**
 * xpv_premap_live_view() - a P2M overlay over the backend's live P2M
 * @o:       overlay to fill in
 * @hv:      backend
 * @changes: sorted changes (see &struct xpv_p2m_overlay)
 * @nr:      number of @changes
 *
 * Grant and foreign entries of the live P2M read as holes, as in a walk.
 *
 * Context: any.
 */
void xpv_premap_live_view(struct xpv_p2m_overlay *o, struct xpv_hv *hv,
			  const struct xpv_p2m_change *changes,
			  unsigned int nr)
{
	o->changes = changes;
	o->nr = nr;
	o->base = xpv_premap_gfn;
	o->base_ctx = hv;
}

/*
 * One batch: issue it and classify the statuses.  Returns 0 or the
 * batch's errno; @out says which ops succeeded.
 */
static int xpv_premap_issue(struct xpv_premap *pm, struct xpv_hv *hv,
			    struct pv_iommu_op *ops, unsigned int n,
			    struct xpv_batch_outcome *out)
{
	long rc = xpv_hv_iommu_op(hv, ops, n);

	pm->hypercalls++;
	xpv_batch_interpret(ops, n, rc, out);
	trace_xpv_batch(ops[0].subop_id == IOMMUOP_map_page, n,
			ops[0].u.map_page.bfn, out->done, out->err);
	return out->err;
}

/*
 * Undo a failed premap: the successful ops of the failed batch (from their
 * statuses), then every batch before it (by re-walking the plan up to the
 * failed batch's first pfn).  Each undo batch is checked too; what cannot
 * be undone is counted and reported, never hidden.
 */
static void xpv_premap_rollback(struct xpv_premap *pm, struct xpv_hv *hv,
				const struct xpv_range *r, unsigned int nr,
				struct pv_iommu_op *ops, unsigned int n,
				struct pv_iommu_op *buf, u64 stop_pfn)
{
	struct xpv_premap_params p;
	struct xpv_premap_cursor c;
	struct xpv_batch_outcome out;
	int undo;

	undo = xpv_batch_plan_rollback(ops, n, buf, pm->batch);
	if (undo > 0 && xpv_premap_issue(pm, hv, buf, undo, &out))
		pm->rollback_failed += undo - out.done;

	xpv_premap_params(pm, hv, r, nr, &p);
	if (xpv_premap_init(&c, &p, XPV_PREMAP_UNMAP, NULL))
		return;
	xpv_premap_stop_at(&c, stop_pfn);
	while ((n = xpv_premap_next(&c, buf, pm->batch)) > 0) {
		if (xpv_premap_issue(pm, hv, buf, n, &out))
			pm->rollback_failed += n - out.done;
		cond_resched();
	}
}

/**
 * xpv_premap_expect() - the minimum ops and hypercalls for ranges
 * @pm:  premap state: max_order and batch set
 * @hv:  backend (its P2M decides contiguity)
 * @r:   pfn ranges, ascending and disjoint
 * @nr:  number of @r
 * @out: result
 *
 * Computed by the planner's independent counting method, before the walk,
 * so that debugfs can show the walk met the minimum.
 *
 * Context: process context.
 * Return: 0 or -EINVAL for bad parameters.
 */
int xpv_premap_expect(struct xpv_premap *pm, struct xpv_hv *hv,
		      const struct xpv_range *r, unsigned int nr,
		      struct xpv_premap_count *out)
{
	struct xpv_premap_params p;

	xpv_premap_params(pm, hv, r, nr, &p);
	return xpv_premap_count(&p, pm->batch, out);
}

/**
 * xpv_premap_walk() - map (or unmap) ranges of RAM at bfn = pfn
 * @pm:   premap state: max_order, map_flags and batch set
 * @hv:   backend
 * @kind: XPV_PREMAP_MAP to build the map, XPV_PREMAP_UNMAP to remove it
 * @r:    pfn ranges, ascending and disjoint
 * @nr:   number of @r
 * @stats: where a map walk accounts what it produced, or NULL
 *
 * A map that fails part-way is rolled back exactly; an unmap that fails
 * goes on with the other ops and counts the failures in @pm.  An unmap
 * must be given the very ranges that were mapped (the decomposition into
 * orders depends on them).
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOMEM; -EINVAL for bad parameters; or the errno of the
 * first failed op or hypercall.
 */
int xpv_premap_walk(struct xpv_premap *pm, struct xpv_hv *hv,
		    enum xpv_premap_kind kind, const struct xpv_range *r,
		    unsigned int nr, struct xpv_premap_stats *stats)
{
	struct pv_iommu_op *ops, *undo;
	struct xpv_premap_params p;
	struct xpv_premap_cursor c;
	struct xpv_batch_outcome out;
	unsigned int n;
	int rc, err = 0;

	xpv_premap_params(pm, hv, r, nr, &p);
	ops = kmalloc_array(pm->batch, sizeof(*ops), GFP_KERNEL);
	undo = kmalloc_array(pm->batch, sizeof(*undo), GFP_KERNEL);
	if (!ops || !undo) {
		err = -ENOMEM;
		goto out;
	}
	rc = xpv_premap_init(&c, &p, kind, stats);
	if (rc) {
		err = rc;
		goto out;
	}
	while ((n = xpv_premap_next(&c, ops, pm->batch)) > 0) {
		rc = xpv_premap_issue(pm, hv, ops, n, &out);
		if (rc && kind == XPV_PREMAP_MAP) {
			pr_err("premap failed at bfn 0x%llx (op %u of %u): %d; rolling back\n",
			       ops[out.first_bad].u.map_page.bfn,
			       out.first_bad, n, rc);
			xpv_premap_rollback(pm, hv, r, nr, ops, n, undo,
					    ops[0].u.map_page.bfn);
			err = rc;
			break;
		}
		if (rc) {
			pm->unmap_failed += n - out.done;
			err = err ?: rc;
		}
		cond_resched();
	}
out:
	kfree(undo);
	kfree(ops);
	return err;
}

/* Issue one rebuild batch and record what failed. */
static void xpv_rebuild_issue(struct xpv_premap *pm, struct xpv_hv *hv,
			      struct pv_iommu_op *ops, unsigned int n,
			      struct xpv_rebuild *res)
{
	struct xpv_batch_outcome out;
	unsigned int i;

	if (!n)
		return;
	xpv_premap_issue(pm, hv, ops, n, &out);
	for (i = 0; i < n; i++) {
		const struct pv_iommu_op *op = &ops[i];
		u64 len = 1ull << IOMMU_page_order(op->flags);

		if (!op->status)
			continue;
		if (op->subop_id == IOMMUOP_map_page) {
			res->map_failed++;
			continue;
		}
		res->unmap_failed++;
		if (res->nr_stuck == ARRAY_SIZE(res->stuck)) {
			res->stuck_overflow = true;
			continue;
		}
		res->stuck[res->nr_stuck].start = op->u.unmap_page.bfn;
		res->stuck[res->nr_stuck].end = op->u.unmap_page.bfn + len;
		res->nr_stuck++;
	}
}

/**
 * xpv_premap_rebuild() - make the map follow a change of the P2M
 * @pm:     premap state (max_order, map_flags, batch)
 * @hv:     backend
 * @blocks: the blocks the change touches (xpv_premap_affected())
 * @nr:     number of @blocks
 * @before: the P2M the map was built from
 * @after:  the P2M the map must follow
 * @res:    what failed, zeroed first
 *
 * For each block, the ops that unmap its decomposition under @before are
 * followed by those that map it under @after, in batches of @pm->batch:
 * a block is rebuilt within one hypercall whenever it fits, so a device
 * using a neighbouring page of a split superpage sees the entries change
 * between two flushes at most once.  Failures do not stop the rebuild:
 * failed unmaps are recorded in @res (their BFNs still reach the frames
 * of @before), failed maps are counted (those pages have no entry).
 *
 * Context: process context; may sleep.  Caller holds the state mutex.
 * Return: 0, -ENOMEM, or -EINVAL for bad parameters.
 */
int xpv_premap_rebuild(struct xpv_premap *pm, struct xpv_hv *hv,
		       const struct xpv_range *blocks, unsigned int nr,
		       struct xpv_p2m_overlay *before,
		       struct xpv_p2m_overlay *after, struct xpv_rebuild *res)
{
	struct xpv_premap_params p;
	struct xpv_premap_cursor c;
	struct pv_iommu_op *ops;
	unsigned int i, n = 0, k;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	ops = kmalloc_array(pm->batch, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < nr && !rc; i++) {
		for (k = 0; k < 2 && !rc; k++) {
			struct xpv_p2m_overlay *view = k ? after : before;

			xpv_premap_params(pm, hv, &blocks[i], 1, &p);
			p.pfn_to_gfn = xpv_p2m_overlay_gfn;
			p.ctx = view;
			rc = xpv_premap_init(&c, &p, k ? XPV_PREMAP_MAP :
					     XPV_PREMAP_UNMAP, NULL);
			while (!rc) {
				unsigned int got;

				got = xpv_premap_next(&c, ops + n,
						      pm->batch - n);
				n += got;
				if (n < pm->batch)
					break;
				xpv_rebuild_issue(pm, hv, ops, n, res);
				n = 0;
				cond_resched();
			}
		}
	}
	if (!rc)
		xpv_rebuild_issue(pm, hv, ops, n, res);
	kfree(ops);
	return rc;
}
