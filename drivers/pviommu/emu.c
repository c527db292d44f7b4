// SPDX-License-Identifier: GPL-2.0-only
/*
 * emu.c - the emulator BFN API (include/xpv/pviommu.h): handles bound to
 * (guest domid, ioreq server), BFN allocation, batched foreign map /
 * lookup / unmap with per-mapping references, invalidation on guest
 * balloon-out, teardown on close or when the owning module goes away.
 *
 * Order of things: BFN allocator glue (per-CPU magazines over a locked
 * depot) -> indexes -> hypercall batches and rollback -> invalidations ->
 * the exported API -> module notifier, debugfs, init/exit.
 *
 * Locks, outermost first: xpv_emu_g.lock (the handle list), a handle's
 * lock (its mappings, indexes, invalidation list, counters), then the BFN
 * magazines' locks and the depot lock (spinlocks, innermost).  Hypercalls
 * are made with a handle's lock held, never with a spinlock.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pfn.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <xpv/compat.h>
#include <xpv/hv.h>
#include <xpv/lib/bfn_alloc.h>
#include <xpv/lib/status.h>
#include <xpv/pviommu.h>

#include "emu.h"
#include "pviommu.h"

static unsigned int emu_batch = 512;
module_param(emu_batch, uint, 0444);
MODULE_PARM_DESC(emu_batch,
		 "emulator API: iommu ops per hypercall, 1-4096 (default 512)");

static unsigned int emu_addr_bits = 39;
module_param(emu_addr_bits, uint, 0444);
MODULE_PARM_DESC(emu_addr_bits,
		 "emulator API: device address width the BFNs stay below, 32-52 bits (default 39)");

static unsigned int emu_window_mb = 1024;
module_param(emu_window_mb, uint, 0444);
MODULE_PARM_DESC(emu_window_mb,
		 "emulator API: size of the BFN window, 2-16384 MiB (default 1024)");

static unsigned long long emu_bfn_base;
module_param(emu_bfn_base, ullong, 0444);
MODULE_PARM_DESC(emu_bfn_base,
		 "emulator API: first BFN of the window, frames; 0 = above RAM and the 1:1 map (default 0)");

static char *emu_rmrr = "";
module_param(emu_rmrr, charp, 0444);
MODULE_PARM_DESC(emu_rmrr,
		 "emulator API: BFN ranges to avoid besides the MSI window, BFN:NR[,BFN:NR...] in frames (default none)");

static unsigned int emu_poll_ms = 10;
module_param(emu_poll_ms, uint, 0444);
MODULE_PARM_DESC(emu_poll_ms,
		 "emulator API: how often open handles poll the backend for invalidates, ms; 0 = only on xpv_emu_poll() and lookups (default 10)");

#define XPV_EMU_MSI_BFN		0xfee00ull	/* 0xFEE00000 >> 12 */
#define XPV_EMU_MSI_NR		0x100ull
#define XPV_EMU_DOMID_SELF	0x7ff0u
#define XPV_EMU_MAX_NR		BIT(20)	/* gfns or bfns per call */
#define XPV_EMU_INDEX_MIN	64

/* xpv_emu_mapping.state */
#define XPV_EMU_LIVE		0	/* found by lookup */
#define XPV_EMU_INVALID		1	/* guest gave it back: callback due */
#define XPV_EMU_DEAD		2	/* unmapped by us, BFN held for users */

/**
 * struct xpv_emu_mapping - one mapping of a handle
 * @gfn:     first guest frame.
 * @bfn:     first bus frame.
 * @order:   page order.
 * @flags:   XPV_EMU_* flags it was made with.
 * @state:   XPV_EMU_LIVE, _INVALID or _DEAD.
 * @refs:    references held by the emulator (0 only transiently).
 * @pending: references an xpv_emu_map()/unmap() in progress adds/drops.
 * @busy:    its invalidate callback is running (the worker frees it).
 * @leaked:  dropped after an invalidation but the unmap failed: its BFN
 *           must never go back to the allocator.
 * @inv:     on the handle's @inv list while its callback is due.
 *
 * Every field is protected by the handle's lock.
 */
struct xpv_emu_mapping {
	u64 gfn;
	u64 bfn;
	unsigned int order;
	unsigned int flags;
	unsigned int state;
	unsigned int refs;
	unsigned int pending;
	bool busy;
	bool leaked;
	struct list_head inv;
};

/**
 * struct xpv_emu_index - a growable u64 index in kvmalloc'ed storage
 * @h:   the index (pure logic, drivers/lib/bfn_alloc.c).
 * @mem: its storage.
 */
struct xpv_emu_index {
	struct xpv_u64map h;
	void *mem;
};

/**
 * struct xpv_emu - an emulator handle
 * @node:        in xpv_emu_g.handles.  Protected by xpv_emu_g.lock.
 * @domid:       the guest.
 * @ioserver:    the emulator's ioreq server in it.
 * @ops:         callbacks.
 * @priv:        passed to them.
 * @owner:       module that opened the handle.
 * @lock:        protects everything below.
 * @by_gfn:      (gfn << 4 | order) -> mapping, XPV_EMU_LIVE ones only.
 * @by_bfn:      first BFN -> mapping, every mapping.
 * @inv:         mappings whose invalidate callback is due.
 * @work:        delivers callbacks and polls the backend.
 * @closing:     no more work may be queued.
 * @no_pop:      the backend has no invalidate queue (real Xen).
 * @refs:        references held over all mappings.
 * @pages:       pages mapped (by mappings not yet unmapped).
 * @hypercalls:  iommu_op hypercalls made for this handle.
 * @invalidates: invalidations applied to a live mapping.
 * @stale_inv:   invalidations for BFNs it no longer maps.
 * @dropped:     mappings unmapped by us after their callback.
 * @leaked:      BFNs kept out of the allocator after a failed unmap.
 */
struct xpv_emu {
	struct list_head node;
	u16 domid;
	u16 ioserver;
	const struct xpv_emu_ops *ops;
	void *priv;
	struct module *owner;
	struct mutex lock;	/* mappings, indexes, inv, counters */
	struct xpv_emu_index by_gfn;
	struct xpv_emu_index by_bfn;
	struct list_head inv;
	struct delayed_work work;
	bool closing;
	bool no_pop;
	u64 refs;
	u64 pages;
	u64 hypercalls;
	u64 invalidates;
	u64 stale_inv;
	u64 dropped;
	u64 leaked;
};

/**
 * struct xpv_bfn_pcpu - a CPU's cache of order-0 BFNs
 * @lock: protects @mag (normally taken by its own CPU only).
 * @mag:  the cache.
 */
struct xpv_bfn_pcpu {
	spinlock_t lock;	/* mag */
	struct xpv_bfn_mag mag;
};

/**
 * struct xpv_emu_global - the API's state
 * @lock:        protects @handles.
 * @handles:     open handles.
 * @hv:          xen_pviommu's backend handle.
 * @caps:        what xpv_emu_query_caps() reports.
 * @ready:       init done.
 * @depot_lock:  protects @depot.
 * @depot:       the allocator (map_cap only).
 * @store:       its storage.
 * @pcpu:        per-CPU magazines.
 * @wq:          runs the handles' work.
 * @mod_nb:      module notifier (owners going away).
 * @leaked:      BFNs never given back (failed unmaps), all handles.
 * @orphans:     handles closed because their module went away.
 * @bad_frees:   frees the allocator refused (a bug: reported, ignored).
 */
static struct xpv_emu_global {
	struct mutex lock;	/* handles */
	struct list_head handles;
	struct xpv_hv *hv;
	struct xpv_emu_caps caps;
	bool ready;
	spinlock_t depot_lock;	/* depot */
	struct xpv_bfn_alloc depot;
	unsigned long *store;
	struct xpv_bfn_pcpu __percpu *pcpu;
	struct workqueue_struct *wq;
	struct notifier_block mod_nb;
	atomic64_t leaked;
	atomic64_t orphans;
	atomic64_t bad_frees;
} xpv_emu_g = {
	.lock = __MUTEX_INITIALIZER(xpv_emu_g.lock),
	.handles = LIST_HEAD_INIT(xpv_emu_g.handles),
	.depot_lock = __SPIN_LOCK_UNLOCKED(xpv_emu_g.depot_lock),
};

#define G xpv_emu_g

/* ---- BFN allocation ----------------------------------------------------- */

/* A free the allocator refused: a bug in this file; never corrupts it. */
static void xpv_emu_bad_free(u64 bfn, unsigned int order, int rc)
{
	atomic64_inc(&G.bad_frees);
	pr_err_ratelimited("bfn 0x%llx order %u: not a block in use, not freed (%d)\n",
			   bfn, order, rc);
}

/* Give @pc's magazine back to the depot down to @keep entries. */
static void xpv_emu_mag_drain(struct xpv_bfn_pcpu *pc, unsigned int keep)
{
	unsigned int bad;

	lockdep_assert_held(&pc->lock);
	spin_lock(&G.depot_lock);
	bad = xpv_bfn_mag_drain(&G.depot, &pc->mag, keep);
	spin_unlock(&G.depot_lock);
	if (bad) {
		atomic64_add(bad, &G.bad_frees);
		pr_err_ratelimited("%u corrupt entries dropped from a BFN magazine\n",
				   bad);
	}
}

static int xpv_emu_bfn_get1(unsigned int order, u64 *bfn)
{
	struct xpv_bfn_pcpu *pc;
	int rc;

	if (order) {
		spin_lock(&G.depot_lock);
		rc = xpv_bfn_get(&G.depot, order, bfn);
		spin_unlock(&G.depot_lock);
		return rc;
	}
	/* Any CPU's magazine is fine; its lock makes migration harmless. */
	pc = raw_cpu_ptr(G.pcpu);
	spin_lock(&pc->lock);
	if (!pc->mag.n) {
		spin_lock(&G.depot_lock);
		xpv_bfn_mag_fill(&G.depot, &pc->mag, XPV_BFN_MAG_SIZE / 2);
		spin_unlock(&G.depot_lock);
	}
	rc = xpv_bfn_mag_pop(&G.depot, &pc->mag, bfn);
	spin_unlock(&pc->lock);
	return rc;
}

/*
 * Give a block back.  Only after the flush that covered its unmap: every
 * iommu_op hypercall flushes before it returns, so after the hypercall.
 * A block that is not one in use is refused by the allocator (checked
 * with one atomic bit operation for order 0) and reported.
 */
static void xpv_emu_bfn_put(u64 bfn, unsigned int order)
{
	struct xpv_bfn_pcpu *pc;
	int rc;

	if (order) {
		spin_lock(&G.depot_lock);
		rc = xpv_bfn_put(&G.depot, bfn, order);
		spin_unlock(&G.depot_lock);
	} else {
		pc = raw_cpu_ptr(G.pcpu);
		spin_lock(&pc->lock);
		rc = xpv_bfn_mag_push(&G.depot, &pc->mag, bfn);
		if (rc == -ENOSPC) {
			xpv_emu_mag_drain(pc, XPV_BFN_MAG_SIZE / 2);
			rc = xpv_bfn_mag_push(&G.depot, &pc->mag, bfn);
		}
		spin_unlock(&pc->lock);
	}
	if (rc)
		xpv_emu_bad_free(bfn, order, rc);
}

/* Every magazine back to the depot (before declaring the window full). */
static void xpv_emu_bfn_drain_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct xpv_bfn_pcpu *pc = per_cpu_ptr(G.pcpu, cpu);

		spin_lock(&pc->lock);
		xpv_emu_mag_drain(pc, 0);
		spin_unlock(&pc->lock);
	}
}

/*
 * @nr blocks of @order into @bfn[], all or none.  When the window looks
 * full, the magazines are emptied into the depot once and the request
 * retried: bounded by the number of CPUs times XPV_BFN_MAG_SIZE frees, and
 * each allocator operation is O(max_order * XPV_BFN_LEVELS) word
 * operations, failing ones max_order + 1.
 */
static int xpv_emu_bfn_get(unsigned int order, u64 *bfn, unsigned int nr)
{
	unsigned int i = 0;
	bool drained = false;

	while (i < nr) {
		if (!xpv_emu_bfn_get1(order, &bfn[i])) {
			i++;
			continue;
		}
		if (drained)
			break;
		xpv_emu_bfn_drain_all();
		drained = true;
	}
	if (i == nr)
		return 0;
	while (i--)
		xpv_emu_bfn_put(bfn[i], order);
	return -ENOSPC;
}

/* ---- indexes -------------------------------------------------------------- */

static int xpv_emu_index_alloc(struct xpv_emu_index *ix, u64 cap)
{
	u64 words = DIV_ROUND_UP(cap, 64);
	u64 *mem = kvmalloc_array(2 * cap + words, sizeof(u64), GFP_KERNEL);

	if (!mem)
		return -ENOMEM;
	ix->mem = mem;
	xpv_u64map_init(&ix->h, mem, mem + cap, mem + 2 * cap, cap);
	return 0;
}

static void xpv_emu_index_free(struct xpv_emu_index *ix)
{
	kvfree(ix->mem);
	ix->mem = NULL;
}

/* Make room for @more new keys, so that later puts cannot fail. */
static int xpv_emu_index_reserve(struct xpv_emu_index *ix, u64 more)
{
	struct xpv_emu_index bigger;
	u64 cap = ix->h.cap;

	while ((ix->h.n + more) * 4 > cap * 3)
		cap *= 2;
	if (cap == ix->h.cap)
		return 0;
	if (xpv_emu_index_alloc(&bigger, cap))
		return -ENOMEM;
	xpv_u64map_move(&bigger.h, &ix->h);
	xpv_emu_index_free(ix);
	*ix = bigger;
	return 0;
}

static struct xpv_emu_mapping *xpv_emu_index_get(struct xpv_emu_index *ix,
						 u64 key)
{
	u64 v;

	if (xpv_u64map_get(&ix->h, key, &v))
		return NULL;
	return (struct xpv_emu_mapping *)(uintptr_t)v;
}

static void xpv_emu_index_put(struct xpv_emu_index *ix, u64 key,
			      struct xpv_emu_mapping *m)
{
	/* Room was reserved: this cannot fail. */
	WARN_ON_ONCE(xpv_u64map_put(&ix->h, key, (uintptr_t)m));
}

static u64 xpv_emu_gfn_key(u64 gfn, unsigned int order)
{
	return gfn << 4 | order;
}

/* The mapping of @emu whose BFN range holds @bfn. */
static struct xpv_emu_mapping *xpv_emu_find_bfn(struct xpv_emu *emu, u64 bfn)
{
	struct xpv_emu_mapping *m;
	unsigned int o;

	lockdep_assert_held(&emu->lock);
	for (o = 0; o <= G.caps.max_order; o++) {
		m = xpv_emu_index_get(&emu->by_bfn, bfn & ~((1ull << o) - 1));
		if (m && m->order == o)
			return m;
	}
	return NULL;
}

/* ---- hypercalls ------------------------------------------------------------ */

/*
 * Issue @n ops, emu_batch per hypercall.  With @stop, stop after the
 * first batch that did not fully succeed.  Every status is left in @ops
 * (ops never submitted keep XPV_OP_STATUS_PENDING).
 * Return: the first error (hypercall or op), or 0.
 */
static int xpv_emu_issue(struct xpv_emu *emu, struct pv_iommu_op *ops,
			 unsigned int n, bool stop)
{
	struct xpv_batch_outcome out;
	unsigned int i, cnt;
	int err = 0;
	long rc;

	lockdep_assert_held(&emu->lock);
	for (i = 0; i < n; i += cnt) {
		cnt = min(n - i, emu_batch);
		rc = xpv_hv_iommu_op(G.hv, ops + i, cnt);
		emu->hypercalls++;
		xpv_batch_interpret(ops + i, cnt, rc, &out);
		if (out.err && !err)
			err = out.err;
		if (out.err && stop)
			break;
	}
	return err;
}

static bool xpv_emu_bfn_owned(void)
{
	return !G.caps.lookup_only;
}

/*
 * Undo the successful ops of a failed map call.  @undo has room for @n.
 * BFNs whose undo failed stay out of the allocator.
 */
static void xpv_emu_rollback(struct xpv_emu *emu, struct pv_iommu_op *ops,
			     unsigned int n, struct pv_iommu_op *undo)
{
	int nr = xpv_batch_plan_rollback(ops, n, undo, n);
	int i;

	lockdep_assert_held(&emu->lock);
	if (nr < 0) {
		/* Only maps and lookups are planned: cannot happen. */
		WARN_ON_ONCE(1);
		return;
	}
	xpv_emu_issue(emu, undo, nr, false);
	for (i = 0; i < nr; i++) {
		if (!undo[i].status || undo[i].status == -ENOENT) {
			if (xpv_emu_bfn_owned())
				xpv_emu_bfn_put(undo[i].u.unmap_foreign_page.bfn,
						IOMMU_page_order(undo[i].flags));
			continue;
		}
		emu->leaked++;
		atomic64_inc(&G.leaked);
		pr_err_ratelimited("dom%u ioserver %u: rollback of bfn 0x%llx failed (%d); bfn kept out of use\n",
				   emu->domid, emu->ioserver,
				   undo[i].u.unmap_foreign_page.bfn,
				   undo[i].status);
	}
}

static void xpv_emu_unmap_op(struct xpv_emu *emu, struct pv_iommu_op *op,
			     const struct xpv_emu_mapping *m)
{
	memset(op, 0, sizeof(*op));
	op->subop_id = IOMMUOP_unmap_foreign_page;
	op->status = XPV_OP_STATUS_PENDING;
	if (xpv_emu_bfn_owned())
		op->flags = IOMMU_page_order_flags(m->order);
	op->u.unmap_foreign_page.bfn = m->bfn;
	op->u.unmap_foreign_page.ioserver = emu->ioserver;
}

/*
 * After an unmap op: give the BFN back if it is unmapped (-ENOENT: it
 * was not mapped at all), else keep it out of use for good.
 */
static int xpv_emu_unmapped(struct xpv_emu *emu, const struct pv_iommu_op *op,
			    const struct xpv_emu_mapping *m)
{
	lockdep_assert_held(&emu->lock);
	emu->pages -= 1ull << m->order;
	if (!op->status || op->status == -ENOENT) {
		if (xpv_emu_bfn_owned())
			xpv_emu_bfn_put(m->bfn, m->order);
		return 0;
	}
	emu->leaked++;
	atomic64_inc(&G.leaked);
	pr_err_ratelimited("dom%u ioserver %u: unmap of bfn 0x%llx failed (%d); bfn kept out of use\n",
			   emu->domid, emu->ioserver, m->bfn,
			   op->status == XPV_OP_STATUS_PENDING ? -EIO :
			   op->status);
	return op->status == XPV_OP_STATUS_PENDING ? -EIO :
	       xpv_op_status_errno(op->status);
}

/* Forget a mapping whose BFN is unmapped and whose references are gone. */
static void xpv_emu_forget(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	lockdep_assert_held(&emu->lock);
	xpv_u64map_del(&emu->by_bfn.h, m->bfn, NULL);
	if (m->state == XPV_EMU_LIVE)
		xpv_u64map_del(&emu->by_gfn.h, xpv_emu_gfn_key(m->gfn, m->order),
			       NULL);
	if (!list_empty(&m->inv))
		list_del_init(&m->inv);
	kfree(m);
}

/* ---- invalidations -------------------------------------------------------- */

static void xpv_emu_kick(struct xpv_emu *emu, unsigned long delay)
{
	lockdep_assert_held(&emu->lock);
	if (!emu->closing)
		mod_delayed_work(G.wq, &emu->work, delay);
}

/* The guest gave back the frame behind @bfn: lookups must miss it now. */
static void __xpv_emu_invalidate(struct xpv_emu *emu, u64 bfn)
{
	struct xpv_emu_mapping *m = xpv_emu_find_bfn(emu, bfn);

	lockdep_assert_held(&emu->lock);
	if (!m || m->state != XPV_EMU_LIVE) {
		emu->stale_inv++;
		return;
	}
	xpv_u64map_del(&emu->by_gfn.h, xpv_emu_gfn_key(m->gfn, m->order),
		       NULL);
	m->state = XPV_EMU_INVALID;
	list_add_tail(&m->inv, &emu->inv);
	emu->invalidates++;
	xpv_emu_kick(emu, 0);
}

/* Pull what the backend queued for this ioreq server (the stub). */
static void xpv_emu_drain(struct xpv_emu *emu)
{
	unsigned int n;
	u64 bfn;
	int rc;

	lockdep_assert_held(&emu->lock);
	for (n = 0; !emu->no_pop && n < 4096; n++) {
		rc = G.hv->ops->invalidate_pop(emu->domid, emu->ioserver, &bfn);
		if (rc == -EOPNOTSUPP)
			emu->no_pop = true;
		if (rc)
			break;
		__xpv_emu_invalidate(emu, bfn);
	}
}

/* Callbacks, then drop what was mapped without XPV_EMU_SWAP. */
static void xpv_emu_work(struct work_struct *work)
{
	struct xpv_emu *emu = container_of(to_delayed_work(work),
					   struct xpv_emu, work);
	struct xpv_emu_mapping *m;
	struct pv_iommu_op op;
	bool dropped;

	mutex_lock(&emu->lock);
	xpv_emu_drain(emu);
	while (!list_empty(&emu->inv)) {
		m = list_first_entry(&emu->inv, struct xpv_emu_mapping, inv);
		list_del_init(&m->inv);
		/* Without an IOMMU nothing is swapped: always unmap. */
		dropped = G.caps.lookup_only || !(m->flags & XPV_EMU_SWAP);
		m->busy = true;
		mutex_unlock(&emu->lock);
		if (emu->ops && emu->ops->invalidate)
			emu->ops->invalidate(emu, emu->priv, m->gfn, m->bfn,
					     m->order, dropped);
		mutex_lock(&emu->lock);
		m->busy = false;
		if (m->refs && !dropped)
			continue;	/* swap: stays until the emulator unmaps */
		xpv_emu_unmap_op(emu, &op, m);
		xpv_emu_issue(emu, &op, 1, true);
		emu->dropped += dropped;
		if (!m->refs) {
			/* The last reference went during the callback. */
			xpv_emu_unmapped(emu, &op, m);
			xpv_emu_forget(emu, m);
			continue;
		}
		/* Dropped: the BFN stays allocated while references remain. */
		emu->pages -= 1ull << m->order;
		m->leaked = op.status && op.status != -ENOENT;
		if (m->leaked) {
			emu->leaked++;
			atomic64_inc(&G.leaked);
		}
		m->state = XPV_EMU_DEAD;
	}
	if (emu_poll_ms && !emu->no_pop)
		xpv_emu_kick(emu, msecs_to_jiffies(emu_poll_ms));
	mutex_unlock(&emu->lock);
}

/* ---- the API ---------------------------------------------------------------- */

/**
 * xpv_emu_query_caps() - what the emulator API can do here
 * @caps: filled in
 *
 * Context: any.
 * Return: 0, or -ENODEV when xen_pviommu found no usable backend.
 */
int xpv_emu_query_caps(struct xpv_emu_caps *caps)
{
	if (!READ_ONCE(G.ready))
		return -ENODEV;
	*caps = G.caps;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_query_caps, XPV_NS_API);

/**
 * __xpv_emu_open() - open an emulator handle (use xpv_emu_open())
 * @domid:    the guest's domain id
 * @ioserver: the emulator's ioreq server id in that guest
 * @ops:      callbacks (may be NULL), must outlive the handle
 * @priv:     passed to the callbacks
 * @owner:    module whose unload closes the handle if it did not
 *
 * Nothing is checked with the hypervisor here: an unknown or dying guest
 * or ioreq server is reported by the first xpv_emu_map().
 *
 * Context: process context; may sleep.
 * Return: the handle, or ERR_PTR(-EPERM) (@domid is this domain, 0, or
 * DOMID_SELF), ERR_PTR(-EBUSY) (the pair has an open handle),
 * ERR_PTR(-ENODEV) (no backend), ERR_PTR(-ENOMEM).
 */
struct xpv_emu *__xpv_emu_open(u16 domid, u16 ioserver,
			       const struct xpv_emu_ops *ops, void *priv,
			       struct module *owner)
{
	struct xpv_emu *emu, *e;
	int rc = -ENOMEM;

	if (!READ_ONCE(G.ready))
		return ERR_PTR(-ENODEV);
	if (domid == 0 || domid == XPV_EMU_DOMID_SELF)
		return ERR_PTR(-EPERM);
	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return ERR_PTR(-ENOMEM);
	if (xpv_emu_index_alloc(&emu->by_gfn, XPV_EMU_INDEX_MIN))
		goto free;
	if (xpv_emu_index_alloc(&emu->by_bfn, XPV_EMU_INDEX_MIN))
		goto free_gfn;
	emu->domid = domid;
	emu->ioserver = ioserver;
	emu->ops = ops;
	emu->priv = priv;
	emu->owner = owner;
	mutex_init(&emu->lock);
	INIT_LIST_HEAD(&emu->inv);
	INIT_DELAYED_WORK(&emu->work, xpv_emu_work);

	mutex_lock(&G.lock);
	list_for_each_entry(e, &G.handles, node) {
		if (e->domid == domid && e->ioserver == ioserver) {
			mutex_unlock(&G.lock);
			rc = -EBUSY;
			goto free_bfn;
		}
	}
	list_add_tail(&emu->node, &G.handles);
	mutex_unlock(&G.lock);
	if (emu_poll_ms) {
		mutex_lock(&emu->lock);
		xpv_emu_kick(emu, msecs_to_jiffies(emu_poll_ms));
		mutex_unlock(&emu->lock);
	}
	return emu;

free_bfn:
	xpv_emu_index_free(&emu->by_bfn);
free_gfn:
	xpv_emu_index_free(&emu->by_gfn);
free:
	kfree(emu);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(__xpv_emu_open, XPV_NS_API);

/* Unmap everything of a handle that is off the list, then free it. */
static void xpv_emu_destroy(struct xpv_emu *emu)
{
	struct xpv_emu_mapping **all;
	struct pv_iommu_op *ops;
	unsigned int n = 0, i;
	u64 pos = 0, key, val;

	mutex_lock(&emu->lock);
	emu->closing = true;
	mutex_unlock(&emu->lock);
	cancel_delayed_work_sync(&emu->work);

	mutex_lock(&emu->lock);
	all = kvmalloc_array(max_t(u64, emu->by_bfn.h.n, 1), sizeof(*all),
			     GFP_KERNEL);
	ops = kvmalloc_array(max_t(u64, emu->by_bfn.h.n, 1), sizeof(*ops),
			     GFP_KERNEL);
	while (all && !xpv_u64map_at(&emu->by_bfn.h, &pos, &key, &val))
		all[n++] = (struct xpv_emu_mapping *)(uintptr_t)val;
	if (all && ops) {
		unsigned int k = 0;

		for (i = 0; i < n; i++)
			if (all[i]->state != XPV_EMU_DEAD)
				xpv_emu_unmap_op(emu, &ops[k++], all[i]);
		xpv_emu_issue(emu, ops, k, false);
		for (i = 0, k = 0; i < n; i++) {
			if (all[i]->state != XPV_EMU_DEAD)
				xpv_emu_unmapped(emu, &ops[k++], all[i]);
			else if (xpv_emu_bfn_owned() && !all[i]->leaked)
				xpv_emu_bfn_put(all[i]->bfn, all[i]->order);
			kfree(all[i]);
		}
	} else {
		pr_err("dom%u ioserver %u: no memory to unmap %llu mappings at close; their bfns stay mapped\n",
		       emu->domid, emu->ioserver, emu->by_bfn.h.n);
	}
	kvfree(ops);
	kvfree(all);
	mutex_unlock(&emu->lock);
	xpv_emu_index_free(&emu->by_gfn);
	xpv_emu_index_free(&emu->by_bfn);
	mutex_destroy(&emu->lock);
	kfree(emu);
}

/**
 * xpv_emu_close() - unmap everything of a handle and free it
 * @emu: handle from xpv_emu_open() (NULL and error pointers are ignored)
 *
 * Every mapping is unmapped whatever its references, pending callbacks
 * are cancelled (waiting for a running one to finish), and the BFNs go
 * back to the allocator.
 *
 * Context: process context; may sleep.  Not from the handle's own
 * invalidate callback, and not while another call on @emu may run.
 */
void xpv_emu_close(struct xpv_emu *emu)
{
	if (IS_ERR_OR_NULL(emu))
		return;
	mutex_lock(&G.lock);
	list_del(&emu->node);
	mutex_unlock(&G.lock);
	xpv_emu_destroy(emu);
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_close, XPV_NS_API);

static void xpv_emu_map_op(struct xpv_emu *emu, struct pv_iommu_op *op,
			   u64 gfn, u64 bfn, unsigned int order,
			   unsigned int flags)
{
	memset(op, 0, sizeof(*op));
	op->status = XPV_OP_STATUS_PENDING;
	if (G.caps.lookup_only) {
		op->subop_id = IOMMUOP_lookup_foreign_page;
		op->u.lookup_foreign_page.gfn = gfn;
		op->u.lookup_foreign_page.domid = emu->domid;
		op->u.lookup_foreign_page.ioserver = emu->ioserver;
		return;
	}
	op->subop_id = IOMMUOP_map_foreign_page;
	op->flags = IOMMU_OP_readable | IOMMU_page_order_flags(order);
	if (!(flags & XPV_EMU_RO))
		op->flags |= IOMMU_OP_writeable;
	if (flags & XPV_EMU_SWAP)
		op->flags |= IOMMU_OP_swap_mfn;
	op->u.map_foreign_page.bfn = bfn;
	op->u.map_foreign_page.gfn = gfn;
	op->u.map_foreign_page.domid = emu->domid;
	op->u.map_foreign_page.ioserver = emu->ioserver;
}

/**
 * xpv_emu_map() - bus addresses for guest frames
 * @emu:   handle
 * @gfn:   @nr guest frame numbers, each the first of a 2^@order block
 *         aligned to it
 * @nr:    number of blocks, 1 .. 2^20
 * @order: 0 (4 KiB), 4 (64 KiB), 9 (2 MiB) or any up to caps.max_order
 * @flags: XPV_EMU_RO, XPV_EMU_SWAP
 * @bfn:   out: the first BFN of each block (device address: bfn << 12)
 *
 * A block the handle already maps (same gfn and order, same flags) gets
 * one more reference and the same BFN, without a hypercall.  New blocks
 * get BFNs from the allocator (naturally aligned to their order, below
 * caps.addr_bits, clear of the 1:1 map, RMRRs and the MSI window) and are
 * mapped in DIV_ROUND_UP(new, caps.batch) hypercalls.  All or nothing: on
 * any error, what this call mapped is unmapped again and no reference is
 * taken.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0; -EINVAL (bad argument, misaligned gfn, order above
 * caps.max_order or non-zero without map_cap); -EEXIST (mapped with
 * other flags); -ENOSPC (the BFN window is full); -ENOMEM; or the
 * hypervisor's status for the first failed op: -EPERM (no privilege over
 * the guest, or a Xen page), -ENXIO (no such or dying guest, or gfn not
 * populated), -ENODEV (no such ioreq server), -EACCES (BFN in an RMRR the
 * module did not know about), -ENOSPC (order or contiguity refused),
 * -ENOENT (lookup_only: no address for it), -EIO; or the hypercall's
 * error (-ENOSYS, -EFAULT, -EINVAL).
 */
int xpv_emu_map(struct xpv_emu *emu, const u64 *gfn, unsigned int nr,
		unsigned int order, unsigned int flags, u64 *bfn)
{
	struct xpv_emu_mapping **mp = NULL, **fresh;
	struct pv_iommu_op *ops = NULL;
	unsigned int i, j, filled = 0, nfresh = 0;
	u64 *newbfn;
	int rc;

	if (!emu || !gfn || !bfn || !nr || nr > XPV_EMU_MAX_NR ||
	    (flags & ~XPV_EMU_FLAGS) || order > G.caps.max_order)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (gfn[i] & ((1ull << order) - 1) || gfn[i] >> 59)
			return -EINVAL;
	/* mp[nr] + fresh[nr] + newbfn[nr], ops[nr] + undo[nr]. */
	mp = kvmalloc_array(nr, 2 * sizeof(*mp) + sizeof(u64), GFP_KERNEL);
	ops = kvmalloc_array(nr, 2 * sizeof(*ops), GFP_KERNEL);
	if (!mp || !ops) {
		rc = -ENOMEM;
		goto free;
	}
	fresh = mp + nr;
	newbfn = (u64 *)(fresh + nr);

	mutex_lock(&emu->lock);
	xpv_emu_drain(emu);
	rc = xpv_emu_index_reserve(&emu->by_gfn, nr);
	if (!rc)
		rc = xpv_emu_index_reserve(&emu->by_bfn, nr);
	if (rc)
		goto unlock;
	for (i = 0; i < nr; i++) {
		u64 key = xpv_emu_gfn_key(gfn[i], order);
		struct xpv_emu_mapping *m = xpv_emu_index_get(&emu->by_gfn,
							       key);

		if (m && m->flags != flags) {
			rc = -EEXIST;
			goto undo_index;
		}
		if (!m) {
			m = kzalloc(sizeof(*m), GFP_KERNEL);
			if (!m) {
				rc = -ENOMEM;
				goto undo_index;
			}
			m->gfn = gfn[i];
			m->order = order;
			m->flags = flags;
			INIT_LIST_HEAD(&m->inv);
			xpv_emu_index_put(&emu->by_gfn, key, m);
			fresh[nfresh++] = m;
		}
		m->pending++;
		mp[filled++] = m;
	}
	if (nfresh && xpv_emu_bfn_owned()) {
		rc = xpv_emu_bfn_get(order, newbfn, nfresh);
		if (rc)
			goto undo_index;
	}
	for (i = 0; i < nfresh; i++)
		xpv_emu_map_op(emu, &ops[i], fresh[i]->gfn,
			       xpv_emu_bfn_owned() ? newbfn[i] : 0, order,
			       flags);
	rc = xpv_emu_issue(emu, ops, nfresh, true);
	if (!rc && !xpv_emu_bfn_owned()) {
		/* Two gfns at one address would confuse unmap: refuse. */
		for (i = 0; i < nfresh && !rc; i++)
			if (xpv_emu_index_get(&emu->by_bfn,
					      ops[i].u.lookup_foreign_page.bfn))
				rc = -EIO;
	}
	if (rc) {
		xpv_emu_rollback(emu, ops, nfresh, ops + nr);
		/*
		 * BFNs of ops that did not map anything go straight back,
		 * except one in an RMRR we did not know about.
		 */
		for (i = 0; i < nfresh && xpv_emu_bfn_owned(); i++) {
			if (ops[i].status == -EACCES)
				atomic64_inc(&G.leaked);
			else if (ops[i].status)
				xpv_emu_bfn_put(newbfn[i], order);
		}
		goto undo_index;
	}
	for (i = 0; i < nfresh; i++) {
		struct xpv_emu_mapping *m = fresh[i];

		m->bfn = xpv_emu_bfn_owned() ? newbfn[i] :
			 ops[i].u.lookup_foreign_page.bfn;
		xpv_emu_index_put(&emu->by_bfn, m->bfn, m);
		emu->pages += 1ull << order;
	}
	for (i = 0; i < nr; i++) {
		mp[i]->refs += mp[i]->pending;
		emu->refs += mp[i]->pending;
		mp[i]->pending = 0;
		bfn[i] = mp[i]->bfn;
	}
	goto unlock;

undo_index:
	for (j = 0; j < filled; j++)
		mp[j]->pending = 0;
	while (nfresh--) {
		xpv_u64map_del(&emu->by_gfn.h,
			       xpv_emu_gfn_key(fresh[nfresh]->gfn, order), NULL);
		kfree(fresh[nfresh]);
	}
unlock:
	mutex_unlock(&emu->lock);
free:
	kvfree(ops);
	kvfree(mp);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_map, XPV_NS_API);

/**
 * xpv_emu_lookup() - the BFN of a live mapping
 * @emu:   handle
 * @gfn:   first guest frame of the block
 * @order: its order
 * @bfn:   out: the first BFN
 *
 * Pending invalidations are taken from the backend first, so a frame the
 * guest gave back is never answered with its old BFN.  Takes no reference.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0, -ENOENT (not mapped by this handle, or invalidated), -EINVAL.
 */
int xpv_emu_lookup(struct xpv_emu *emu, u64 gfn, unsigned int order,
		   u64 *bfn)
{
	struct xpv_emu_mapping *m;
	int rc = -ENOENT;

	if (!emu || !bfn || order > XPV_BFN_MAX_ORDER || gfn >> 59)
		return -EINVAL;
	mutex_lock(&emu->lock);
	xpv_emu_drain(emu);
	m = xpv_emu_index_get(&emu->by_gfn, xpv_emu_gfn_key(gfn, order));
	if (m) {
		*bfn = m->bfn;
		rc = 0;
	}
	mutex_unlock(&emu->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_lookup, XPV_NS_API);

/**
 * xpv_emu_unmap() - drop references taken by xpv_emu_map()
 * @emu: handle
 * @bfn: @nr first BFNs of mappings of this handle (a BFN may repeat, once
 *       per reference dropped)
 * @nr:  1 .. 2^20
 *
 * A mapping whose last reference goes is unmapped (batched, one flush per
 * hypercall) and its BFN goes back to the allocator after that flush.
 * All arguments are checked before anything changes.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0; -EINVAL (bad argument, more drops than references); -ENOENT
 * (a BFN this handle does not map: another emulator's, or never mapped);
 * -ENOMEM; or the first failed unmap's error (the references are gone
 * anyway and that BFN is kept out of use).
 */
int xpv_emu_unmap(struct xpv_emu *emu, const u64 *bfn, unsigned int nr)
{
	struct xpv_emu_mapping **gone = NULL;
	struct pv_iommu_op *ops = NULL;
	unsigned int i, ngone = 0, k;
	int rc = 0, err;

	if (!emu || !bfn || !nr || nr > XPV_EMU_MAX_NR)
		return -EINVAL;
	gone = kvmalloc_array(nr, sizeof(*gone), GFP_KERNEL);
	ops = kvmalloc_array(nr, sizeof(*ops), GFP_KERNEL);
	if (!gone || !ops) {
		rc = -ENOMEM;
		goto free;
	}
	mutex_lock(&emu->lock);
	for (i = 0; i < nr; i++) {
		struct xpv_emu_mapping *m = xpv_emu_index_get(&emu->by_bfn,
							       bfn[i]);

		if (!m || m->pending == m->refs) {
			rc = m ? -EINVAL : -ENOENT;
			while (i--)
				xpv_emu_index_get(&emu->by_bfn,
						  bfn[i])->pending = 0;
			goto unlock;
		}
		m->pending++;
	}
	for (i = 0; i < nr; i++) {
		struct xpv_emu_mapping *m = xpv_emu_index_get(&emu->by_bfn,
							       bfn[i]);

		if (!m->pending)
			continue;	/* a repeat, already counted */
		m->refs -= m->pending;
		emu->refs -= m->pending;
		m->pending = 0;
		if (m->refs || m->busy)
			continue;	/* the worker forgets a busy one */
		if (m->state == XPV_EMU_DEAD) {
			if (xpv_emu_bfn_owned() && !m->leaked)
				xpv_emu_bfn_put(m->bfn, m->order);
			xpv_emu_forget(emu, m);
			continue;
		}
		gone[ngone++] = m;
	}
	for (k = 0; k < ngone; k++)
		xpv_emu_unmap_op(emu, &ops[k], gone[k]);
	xpv_emu_issue(emu, ops, ngone, false);
	for (k = 0; k < ngone; k++) {
		err = xpv_emu_unmapped(emu, &ops[k], gone[k]);
		if (err && !rc)
			rc = err;
		xpv_emu_forget(emu, gone[k]);
	}
unlock:
	mutex_unlock(&emu->lock);
free:
	kvfree(ops);
	kvfree(gone);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_unmap, XPV_NS_API);

/**
 * xpv_emu_invalidate() - report an IOREQ_TYPE_INVALIDATE for this handle
 * @emu: handle
 * @bfn: the BFN in the request's data field
 *
 * On real Xen the invalidations arrive on the emulator's own ioreq ring;
 * the emulator passes each one here.  The mapping stops being found by
 * xpv_emu_lookup() at once; its invalidate callback follows from the
 * workqueue.  BFNs the handle does not map are ignored (counted).
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0, or -EINVAL for a NULL handle.
 */
int xpv_emu_invalidate(struct xpv_emu *emu, u64 bfn)
{
	if (!emu)
		return -EINVAL;
	mutex_lock(&emu->lock);
	__xpv_emu_invalidate(emu, bfn);
	mutex_unlock(&emu->lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_invalidate, XPV_NS_API);

/**
 * xpv_emu_poll() - take the backend's queued invalidations now
 * @emu: handle
 *
 * The handle also polls every emu_poll_ms milliseconds; this call makes
 * the lookups consistent at once and runs the callbacks as soon as the
 * workqueue gets to them.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: the number of mappings waiting for their callback, or -EINVAL.
 */
int xpv_emu_poll(struct xpv_emu *emu)
{
	struct xpv_emu_mapping *m;
	int n = 0;

	if (!emu)
		return -EINVAL;
	mutex_lock(&emu->lock);
	xpv_emu_drain(emu);
	list_for_each_entry(m, &emu->inv, inv)
		n++;
	mutex_unlock(&emu->lock);
	return n;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_poll, XPV_NS_API);

/* ---- owners going away, debugfs, init/exit ------------------------------ */

static int xpv_emu_mod_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct module *mod = data;
	struct xpv_emu *emu, *tmp;
	LIST_HEAD(orphans);

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&G.lock);
	list_for_each_entry_safe(emu, tmp, &G.handles, node)
		if (emu->owner == mod)
			list_move_tail(&emu->node, &orphans);
	mutex_unlock(&G.lock);
	list_for_each_entry_safe(emu, tmp, &orphans, node) {
		pr_warn("%s unloaded with dom%u ioserver %u open (%llu pages mapped, %llu references): released\n",
			mod->name, emu->domid, emu->ioserver, emu->pages,
			emu->refs);
		atomic64_inc(&G.orphans);
		list_del(&emu->node);
		xpv_emu_destroy(emu);
	}
	return NOTIFY_DONE;
}

static int emu_show(struct seq_file *s, void *v)
{
	u64 cached = 0, used, free_frames;
	struct xpv_emu *emu;
	unsigned int cpu;

	seq_printf(s, "mode\t%s\n", G.caps.lookup_only ? "lookup" : "map");
	seq_printf(s, "batch\t%u\n", G.caps.batch);
	seq_printf(s, "addr_bits\t%u\n", G.caps.addr_bits);
	seq_printf(s, "max_order\t%u\n", G.caps.max_order);
	if (!G.caps.lookup_only) {
		for_each_possible_cpu(cpu) {
			struct xpv_bfn_pcpu *pc = per_cpu_ptr(G.pcpu, cpu);

			spin_lock(&pc->lock);
			cached += pc->mag.n;
			spin_unlock(&pc->lock);
		}
		spin_lock(&G.depot_lock);
		used = G.depot.used_frames;
		free_frames = G.depot.free_frames;
		spin_unlock(&G.depot_lock);
		seq_printf(s, "bfn_base\t0x%llx\n", G.caps.bfn_base);
		seq_printf(s, "bfn_end\t0x%llx\n", G.caps.bfn_end);
		seq_printf(s, "reserved\t%u\n", G.depot.nr_rsv);
		seq_printf(s, "used_frames\t%llu\n", used - cached);
		seq_printf(s, "cached_frames\t%llu\n", cached);
		seq_printf(s, "free_frames\t%llu\n", free_frames);
	}
	seq_printf(s, "leaked_bfns\t%lld\n", atomic64_read(&G.leaked));
	seq_printf(s, "orphans_released\t%lld\n", atomic64_read(&G.orphans));
	seq_printf(s, "bad_frees\t%lld\n", atomic64_read(&G.bad_frees));
	mutex_lock(&G.lock);
	list_for_each_entry(emu, &G.handles, node) {
		mutex_lock(&emu->lock);
		seq_printf(s, "handle dom=%u ios=%u owner=%s mappings=%llu live=%llu refs=%llu pages=%llu hypercalls=%llu invalidates=%llu stale=%llu dropped=%llu leaked=%llu\n",
			   emu->domid, emu->ioserver,
			   emu->owner ? emu->owner->name : "-",
			   emu->by_bfn.h.n, emu->by_gfn.h.n, emu->refs,
			   emu->pages, emu->hypercalls, emu->invalidates,
			   emu->stale_inv, emu->dropped, emu->leaked);
		mutex_unlock(&emu->lock);
	}
	mutex_unlock(&G.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emu);

static int xpv_emu_ram_end(struct resource *res, void *arg)
{
	u64 *end = arg;

	*end = max_t(u64, *end, PFN_DOWN(res->end) + 1);
	return 0;
}

/* "BFN:NR,BFN:NR" -> reservations. */
static int xpv_emu_parse_rmrr(void)
{
	char *buf, *s, *tok, *colon;
	u64 start, nr;
	int rc = 0;

	if (!emu_rmrr || !*emu_rmrr)
		return 0;
	buf = kstrdup(emu_rmrr, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = buf;
	while (!rc && (tok = strsep(&s, ",")) != NULL) {
		colon = strchr(tok, ':');
		if (!colon) {
			rc = -EINVAL;
			break;
		}
		*colon = '\0';
		rc = kstrtoull(tok, 0, &start);
		if (!rc)
			rc = kstrtoull(colon + 1, 0, &nr);
		if (!rc && start + nr < start)
			rc = -EINVAL;
		if (!rc)
			rc = xpv_bfn_reserve(&G.depot, start, start + nr);
	}
	kfree(buf);
	return rc;
}

static int xpv_emu_window(void)
{
	u64 base, top, frames, ram_end = 0, len;
	unsigned int cpu;
	int rc;

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
			    U64_MAX, &ram_end, xpv_emu_ram_end);
	base = max_t(u64, PFN_DOWN(xpv_dma.map_end), ram_end);
	if (emu_bfn_base) {
		if (emu_bfn_base < PFN_DOWN(xpv_dma.map_end)) {
			pr_err("emu_bfn_base=0x%llx is inside the 1:1 map (ends at bfn 0x%llx)\n",
			       emu_bfn_base, PFN_DOWN(xpv_dma.map_end));
			return -EINVAL;
		}
		base = emu_bfn_base;
	}
	base = ALIGN(base, 1ull << XPV_BFN_MAX_ORDER);
	top = 1ull << (emu_addr_bits - XPV_EMU_PAGE_SHIFT);
	frames = (u64)emu_window_mb << (20 - XPV_EMU_PAGE_SHIFT);
	if (base >= top || top - base < frames) {
		pr_err("no room for a %u MiB BFN window between bfn 0x%llx and %u address bits\n",
		       emu_window_mb, base, emu_addr_bits);
		return -ENOSPC;
	}
	len = xpv_bfn_store_len(frames, XPV_BFN_MAX_ORDER);
	G.store = kvmalloc_array(len, sizeof(*G.store), GFP_KERNEL);
	if (!G.store)
		return -ENOMEM;
	rc = xpv_bfn_init(&G.depot, base, frames, XPV_BFN_MAX_ORDER, G.store,
			  len);
	if (!rc)
		rc = xpv_bfn_reserve(&G.depot, XPV_EMU_MSI_BFN,
				     XPV_EMU_MSI_BFN + XPV_EMU_MSI_NR);
	if (!rc)
		rc = xpv_emu_parse_rmrr();
	if (!rc)
		xpv_bfn_seal(&G.depot);
	if (rc) {
		pr_err("bad BFN window or emu_rmrr=%s (%d)\n", emu_rmrr, rc);
		goto free;
	}
	G.pcpu = alloc_percpu(struct xpv_bfn_pcpu);
	if (!G.pcpu) {
		rc = -ENOMEM;
		goto free;
	}
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(G.pcpu, cpu)->lock);
	G.caps.bfn_base = base;
	G.caps.bfn_end = base + frames;
	return 0;

free:
	kvfree(G.store);
	G.store = NULL;
	return rc;
}

/**
 * xpv_emu_init() - set up the emulator API (from xen_pviommu's init)
 * @hv:   the module's backend handle, valid until xpv_emu_exit()
 * @caps: the capabilities xen_pviommu read
 * @dbg:  xen_pviommu's debugfs directory (gets "emu")
 *
 * With map_cap the BFN window is carved above RAM and the 1:1 map, below
 * emu_addr_bits; without it the API works in lookup mode.  Works whether
 * or not xen_pviommu attached its DMA ops.
 *
 * Context: process context (module init).
 * Return: 0, -EINVAL (bad parameters), -ENOSPC (no room for the window),
 * -ENOMEM.
 */
int xpv_emu_init(struct xpv_hv *hv, const struct xpv_iommu_caps *caps,
		 struct dentry *dbg)
{
	int rc;

	if (!emu_batch || emu_batch > 4096 || emu_addr_bits < 32 ||
	    emu_addr_bits > 52 || emu_window_mb < 2 ||
	    emu_window_mb > 16384) {
		pr_err("emu_batch=%u (1-4096), emu_addr_bits=%u (32-52), emu_window_mb=%u (2-16384): out of range\n",
		       emu_batch, emu_addr_bits, emu_window_mb);
		return -EINVAL;
	}
	G.hv = hv;
	G.caps.batch = emu_batch;
	G.caps.addr_bits = emu_addr_bits;
	G.caps.map_cap = caps->flags & IOMMU_QUERY_map_cap;
	G.caps.lookup_only = !G.caps.map_cap;
	G.caps.max_order = G.caps.map_cap ?
			   min_t(unsigned int, caps->max_order,
				 XPV_BFN_MAX_ORDER) : 0;
	if (G.caps.map_cap) {
		rc = xpv_emu_window();
		if (rc)
			return rc;
	}
	G.wq = alloc_workqueue("xpv_emu", WQ_UNBOUND, 0);
	if (!G.wq) {
		rc = -ENOMEM;
		goto window;
	}
	G.mod_nb.notifier_call = xpv_emu_mod_notify;
	rc = register_module_notifier(&G.mod_nb);
	if (rc)
		goto wq;
	debugfs_create_file("emu", 0400, dbg, NULL, &emu_fops);
	WRITE_ONCE(G.ready, true);
	return 0;

wq:
	destroy_workqueue(G.wq);
window:
	free_percpu(G.pcpu);
	G.pcpu = NULL;
	kvfree(G.store);
	G.store = NULL;
	return rc;
}

/**
 * xpv_emu_exit() - tear the emulator API down (from xen_pviommu's exit)
 *
 * No emulator module can still be loaded (they depend on our symbols),
 * but a handle opened by built-in code or leaked is closed here.
 *
 * Context: process context (module exit).
 */
void xpv_emu_exit(void)
{
	struct xpv_emu *emu, *tmp;
	LIST_HEAD(left);

	if (!G.ready)
		return;
	WRITE_ONCE(G.ready, false);
	unregister_module_notifier(&G.mod_nb);
	mutex_lock(&G.lock);
	list_splice_init(&G.handles, &left);
	mutex_unlock(&G.lock);
	list_for_each_entry_safe(emu, tmp, &left, node) {
		list_del(&emu->node);
		xpv_emu_destroy(emu);
	}
	destroy_workqueue(G.wq);
	free_percpu(G.pcpu);
	G.pcpu = NULL;
	kvfree(G.store);
	G.store = NULL;
}
