// SPDX-License-Identifier: GPL-2.0-only
/*
 * emu.c - the emulator BFN API (include/xpv/pviommu.h): handles bound to
 * (guest domid, ioreq server), BFN allocation, batched foreign map /
 * lookup / unmap with per-mapping references, invalidation on guest
 * balloon-out with the swap_mfn rule, BFN quarantine against late
 * invalidates, teardown on close or when the owning module goes away.
 *
 * Order of things: BFN allocator glue (per-CPU magazines over a locked
 * depot) -> indexes -> per-guest pin records (the swap_mfn rule) ->
 * hypercall batches, unmaps and BFN quarantine -> invalidations -> the
 * exported API -> teardown, module notifier, debugfs -> the BFN window ->
 * init/exit.
 *
 * Locks, outermost first: xpv_emu_g.lock (handle and guest lists), a
 * handle's lock (its mappings, indexes, lists, batch buffer, counters), its
 * guest's lock (the pin records), then a BFN magazine's lock and the depot
 * lock (spinlocks, innermost).  Hypercalls are made with a handle's lock
 * held, never with a guest lock or a spinlock.
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
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
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
		 "emulator API: first BFN of the window, frames, placed by hand and not reserved in iomem; 0 = automatic: the highest free place below emu_addr_bits and Xen's foreign window (default 0)");

static char *emu_rmrr = "";
module_param(emu_rmrr, charp, 0444);
MODULE_PARM_DESC(emu_rmrr,
		 "emulator API: BFN ranges to avoid besides the MSI window, BFN:NR[,BFN:NR...] in frames (default none)");

static unsigned int emu_poll_ms = 10;
module_param(emu_poll_ms, uint, 0444);
MODULE_PARM_DESC(emu_poll_ms,
		 "emulator API: how often open handles poll the backend for invalidates, ms; 0 = only on calls (default 10)");

static bool emu_pull = true;
module_param(emu_pull, bool, 0444);
MODULE_PARM_DESC(emu_pull,
		 "emulator API: take invalidates from the backend's queue where it has one (the stub); 0 = emulators pass them to xpv_emu_invalidate() as on real Xen (default 1)");

static unsigned int emu_max_refs = U32_MAX;
module_param(emu_max_refs, uint, 0444);
MODULE_PARM_DESC(emu_max_refs,
		 "emulator API: references one mapping may hold, 1-4294967295 (default 4294967295)");

#define XPV_EMU_MSI_BFN		0xfee00ull	/* 0xFEE00000 >> 12 */
#define XPV_EMU_MSI_NR		0x100ull
#define XPV_EMU_4G_BFN		0x100000ull
#define XPV_EMU_DOMID_SELF	0x7ff0u
#define XPV_EMU_DOMID_RESERVED	0x7ff0u		/* DOMID_FIRST_RESERVED */
#define XPV_EMU_MAX_NR		BIT(20)	/* gfns or bfns per call */
#define XPV_EMU_INDEX_MIN	64
#define XPV_EMU_RESCHED		1024	/* entries between cond_resched() */
#define XPV_EMU_WORK_MAX	4096	/* callbacks per work run */
#define XPV_EMU_CHUNK_ORDER	XPV_BFN_MAX_ORDER

/* xpv_emu_mapping.state */
#define XPV_EMU_LIVE		0	/* found by lookup */
#define XPV_EMU_INVALID		1	/* guest gave it back: still mapped */
#define XPV_EMU_DEAD		2	/* unmapped by us, BFN held for users */

/**
 * struct xpv_emu_mapping - one mapping of a handle
 * @gfn:      first guest frame.
 * @bfn:      first bus frame.
 * @seq:      its guest's pin sequence number when it was made (swap_mfn
 *            mappings: see xpv_emu_swapped()).
 * @epoch:    the handle's epoch when it was quarantined.
 * @order:    page order.
 * @flags:    XPV_EMU_* flags it was made with.
 * @state:    XPV_EMU_LIVE, _INVALID or _DEAD.
 * @refs:     references held by the emulator (0 only transiently).
 * @pending:  references an xpv_emu_map()/unmap() in progress adds/drops.
 * @busy:     the invalidate worker owns it (callback due, running, or its
 *            unmap batched): the worker forgets it.
 * @leaked:   its unmap failed: its BFN must never go back to the allocator.
 * @recorded: it holds its guest's pin records (map mode).
 * @pinning:  it counts in them as a mapping Xen cannot swap, and is still
 *            mapped.
 * @tainted:  swap_mfn: a mapping Xen cannot swap reached its frame when it
 *            was made.
 * @link:     on the handle's @inv list while its callback is due, on the
 *            worker's drop list, or on the handle's @quar list.
 *
 * Every field is protected by the handle's lock.
 */
struct xpv_emu_mapping {
	u64 gfn;
	u64 bfn;
	u64 seq;
	u64 epoch;
	unsigned int order;
	unsigned int flags;
	unsigned int state;
	u32 refs;
	u32 pending;
	bool busy;
	bool leaked;
	bool recorded;
	bool pinning;
	bool tainted;
	struct list_head link;
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
 * struct xpv_emu_guest - what every handle of one guest shares
 * @node:   in xpv_emu_g.guests.  Protected by xpv_emu_g.lock.
 * @domid:  the guest.
 * @users:  handles open on it.  Protected by xpv_emu_g.lock.
 * @lock:   protects everything below.
 * @count:  record key -> users << 32 | pins.  A record is a guest frame
 *          (key gfn << 1) or a 2 MiB chunk of them (key chunk << 1 | 1);
 *          users: mappings (any handle) that hold it; pins: those still
 *          mapped that Xen cannot swap (no swap_mfn, or order > 0).
 * @stamp:  record key -> @seq when its last pinning mapping was made.
 * @seq:    pin sequence: advanced by every pinning mapping made.
 */
struct xpv_emu_guest {
	struct list_head node;
	u16 domid;
	unsigned int users;
	struct mutex lock;	/* count, stamp, seq */
	struct xpv_emu_index count;
	struct xpv_emu_index stamp;
	u64 seq;
};

/**
 * struct xpv_emu - an emulator handle
 * @node:        in xpv_emu_g.handles.  Protected by xpv_emu_g.lock.
 * @domid:       the guest.
 * @ioserver:    the emulator's ioreq server in it.
 * @ops:         callbacks.
 * @priv:        passed to them.
 * @owner:       module that opened the handle.
 * @guest:       shared per-guest state (map mode).
 * @lock:        protects everything below.
 * @by_gfn:      (gfn << 4 | order) -> mapping, XPV_EMU_LIVE ones only.
 * @by_bfn:      first BFN -> mapping, every mapping not yet forgotten.
 * @inv:         mappings whose invalidate callback is due.
 * @quar:        forgotten mappings whose BFN is quarantined, oldest first.
 * @buf:         emu_batch unmap ops: teardown and unmaps never allocate.
 * @buf_m:       the mapping of each op in @buf.
 * @work:        delivers callbacks and polls the backend.
 * @closing:     no more work may be queued, no more callbacks made.
 * @push:        invalidates come through xpv_emu_invalidate() only (real
 *               Xen, or emu_pull=0): freed BFNs wait in @quar for
 *               xpv_emu_inv_done().
 * @epoch:       quarantine epoch: xpv_emu_inv_mark() advances it.
 * @refs:        references held over all mappings.
 * @pages:       pages mapped (by mappings not yet unmapped).
 * @quarantined: BFN blocks in @quar.
 * @hypercalls:  iommu_op hypercalls made for this handle.
 * @invalidates: invalidations applied to a live mapping.
 * @stale_inv:   invalidations for BFNs it no longer maps.
 * @dropped:     mappings unmapped by us after their callback.
 * @swapped:     invalidated swap_mfn mappings Xen swapped.
 * @pinned:      invalidated swap_mfn mappings Xen (maybe) did not swap.
 * @skipped:     callbacks not made (closing, or the owner going away).
 * @leaked:      BFNs kept out of the allocator after a failed unmap.
 */
struct xpv_emu {
	struct list_head node;
	u16 domid;
	u16 ioserver;
	const struct xpv_emu_ops *ops;
	void *priv;
	struct module *owner;
	struct xpv_emu_guest *guest;
	struct mutex lock;	/* mappings, indexes, lists, buffer, counters */
	struct xpv_emu_index by_gfn;
	struct xpv_emu_index by_bfn;
	struct list_head inv;
	struct list_head quar;
	struct pv_iommu_op *buf;
	struct xpv_emu_mapping **buf_m;
	struct delayed_work work;
	bool closing;
	bool push;
	u64 epoch;
	u64 refs;
	u64 pages;
	u64 quarantined;
	u64 hypercalls;
	u64 invalidates;
	u64 stale_inv;
	u64 dropped;
	u64 swapped;
	u64 pinned;
	u64 skipped;
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
 * @lock:        protects @handles, @guests and the guests' @users.
 * @handles:     open handles.
 * @guests:      guests with open handles (map mode).
 * @hv:          xen_pviommu's backend handle.
 * @caps:        what xpv_emu_query_caps() reports.
 * @ready:       init done.
 * @depot_lock:  protects @depot (the held bits of order 0 are atomic).
 * @depot:       the allocator (map_cap only).
 * @store:       its storage.
 * @pcpu:        per-CPU magazines.
 * @claim:       the window's iomem reservation, or NULL.
 * @wq:          runs the handles' work.
 * @mod_nb:      module notifier (owners going away).
 * @leaked:      BFNs never given back (failed unmaps), all handles.
 * @orphans:     handles closed because their module went away.
 * @bad_frees:   frees the allocator refused (a bug: reported, ignored).
 * @skipped:     callbacks not made (closing, or the owner going away).
 * @hotplug_refused: memory blocks refused for overlapping the window.
 */
static struct xpv_emu_global {
	struct mutex lock;	/* handles, guests */
	struct list_head handles;
	struct list_head guests;
	struct xpv_hv *hv;
	struct xpv_emu_caps caps;
	bool ready;
	spinlock_t depot_lock;	/* depot */
	struct xpv_bfn_alloc depot;
	unsigned long *store;
	struct xpv_bfn_pcpu __percpu *pcpu;
	struct resource *claim;
	struct workqueue_struct *wq;
	struct notifier_block mod_nb;
	atomic64_t leaked;
	atomic64_t orphans;
	atomic64_t bad_frees;
	atomic64_t skipped;
	atomic64_t hotplug_refused;
} xpv_emu_g = {
	.lock = __MUTEX_INITIALIZER(xpv_emu_g.lock),
	.handles = LIST_HEAD_INIT(xpv_emu_g.handles),
	.guests = LIST_HEAD_INIT(xpv_emu_g.guests),
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

/* ---- pin records: the swap_mfn rule --------------------------------------- */

/*
 * Xen swaps a ballooned-out page to its scratch page only if every
 * mapping of it was made with swap_mfn and is of order 0; otherwise the
 * page stays pinned by the mappings.  The module cannot ask Xen which
 * happened (after the balloon-out the gfn is gone; no subop looks up a
 * BFN), so it tells from what its own handles of that guest mapped:
 * records per guest frame and per 2 MiB chunk count the mappings that
 * Xen cannot swap, and stamp when the last one was made.  A swap_mfn
 * mapping was swapped only if no such mapping reached its frame when it
 * was made (@tainted) and none was made since (stamps): whether or not it
 * is still there, it may have been there at the balloon-out, which the
 * module does not see.  So the answer errs on "pinned" (the emulator then
 * unmaps a BFN that already reads zeros: harmless), never on "swapped"
 * for mappings made through this API.  Mappings made by emulators in
 * other domains are invisible here (see Documentation/emulator-api.rst).
 */

static u64 xpv_emu_frame_key(u64 gfn)
{
	return gfn << 1;
}

static u64 xpv_emu_chunk_key(u64 gfn)
{
	return (gfn >> XPV_EMU_CHUNK_ORDER) << 1 | 1;
}

static u64 xpv_emu_rec_read(struct xpv_emu_index *ix, u64 key)
{
	u64 v = 0;

	xpv_u64map_get(&ix->h, key, &v);
	return v;
}

/* Add to a record's users and pins; stamp it when a pin is made. */
static void __xpv_emu_rec_add(struct xpv_emu_guest *g, u64 key, int users,
			      int pins)
{
	u64 v = xpv_emu_rec_read(&g->count, key);
	u32 nu = (u32)(v >> 32) + users, np = (u32)v + pins;

	lockdep_assert_held(&g->lock);
	if (!nu) {
		xpv_u64map_del(&g->count.h, key, NULL);
		xpv_u64map_del(&g->stamp.h, key, NULL);
		return;
	}
	/* Room was reserved by xpv_emu_guest_reserve(). */
	WARN_ON_ONCE(xpv_u64map_put(&g->count.h, key, (u64)nu << 32 | np));
	if (pins > 0)
		WARN_ON_ONCE(xpv_u64map_put(&g->stamp.h, key, ++g->seq));
}

/* Room for @n more mappings' records. */
static int xpv_emu_guest_reserve(struct xpv_emu_guest *g, u64 n)
{
	int rc;

	lockdep_assert_held(&g->lock);
	rc = xpv_emu_index_reserve(&g->count, 2 * n);
	if (!rc)
		rc = xpv_emu_index_reserve(&g->stamp, 2 * n);
	return rc;
}

/* A new mapping (not yet made in Xen): take its records. */
static void xpv_emu_rec_attach(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	struct xpv_emu_guest *g = emu->guest;
	bool swap = m->flags & XPV_EMU_SWAP;

	lockdep_assert_held(&g->lock);
	m->recorded = true;
	m->pinning = !swap;
	if (m->order) {
		__xpv_emu_rec_add(g, xpv_emu_chunk_key(m->gfn), 1, 1);
		return;
	}
	__xpv_emu_rec_add(g, xpv_emu_frame_key(m->gfn), 1, !swap);
	if (!swap)
		return;
	__xpv_emu_rec_add(g, xpv_emu_chunk_key(m->gfn), 1, 0);
	m->tainted = (u32)xpv_emu_rec_read(&g->count,
					   xpv_emu_frame_key(m->gfn)) ||
		     (u32)xpv_emu_rec_read(&g->count,
					   xpv_emu_chunk_key(m->gfn));
	m->seq = g->seq;
}

/* @m is no longer mapped in Xen: it pins nothing now. */
static void __xpv_emu_rec_unpin(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	lockdep_assert_held(&emu->guest->lock);
	if (!m->pinning)
		return;
	m->pinning = false;
	__xpv_emu_rec_add(emu->guest, m->order ? xpv_emu_chunk_key(m->gfn) :
			  xpv_emu_frame_key(m->gfn), 0, -1);
}

static void xpv_emu_rec_unpin(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	if (!m->pinning)
		return;
	mutex_lock(&emu->guest->lock);
	__xpv_emu_rec_unpin(emu, m);
	mutex_unlock(&emu->guest->lock);
}

/* @m is being forgotten: give its records back.  Allocation-free. */
static void xpv_emu_rec_detach(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	struct xpv_emu_guest *g = emu->guest;

	if (!m->recorded)
		return;
	mutex_lock(&g->lock);
	__xpv_emu_rec_unpin(emu, m);
	if (m->order) {
		__xpv_emu_rec_add(g, xpv_emu_chunk_key(m->gfn), -1, 0);
	} else {
		__xpv_emu_rec_add(g, xpv_emu_frame_key(m->gfn), -1, 0);
		if (m->flags & XPV_EMU_SWAP)
			__xpv_emu_rec_add(g, xpv_emu_chunk_key(m->gfn), -1, 0);
	}
	m->recorded = false;
	mutex_unlock(&g->lock);
}

/*
 * Did Xen swap the (order 0, swap_mfn) mapping @m when the guest gave its
 * page back?  See the comment above.
 */
static bool xpv_emu_swapped(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	struct xpv_emu_guest *g = emu->guest;
	bool swapped;

	lockdep_assert_held(&emu->lock);
	if (!m->recorded || m->order || !(m->flags & XPV_EMU_SWAP))
		return false;
	mutex_lock(&g->lock);
	swapped = !m->tainted &&
		  xpv_emu_rec_read(&g->stamp, xpv_emu_frame_key(m->gfn)) <=
		  m->seq &&
		  xpv_emu_rec_read(&g->stamp, xpv_emu_chunk_key(m->gfn)) <=
		  m->seq;
	mutex_unlock(&g->lock);
	return swapped;
}

/* ---- invalidations arriving ------------------------------------------------ */

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
	m->busy = true;
	list_add_tail(&m->link, &emu->inv);
	emu->invalidates++;
	xpv_emu_kick(emu, 0);
}

/*
 * Pull mode: take what the backend queued for this ioreq server (the
 * stub).  A backend without a queue (real Xen) switches the handle to push
 * mode for good.
 * Return: true when the queue was seen empty (everything taken).
 */
static bool xpv_emu_pull(struct xpv_emu *emu)
{
	unsigned int n;
	u64 bfn;
	int rc;

	lockdep_assert_held(&emu->lock);
	for (n = 0; !emu->push && n < 4096; n++) {
		rc = G.hv->ops->invalidate_pop(emu->domid, emu->ioserver, &bfn);
		if (rc == -EOPNOTSUPP)
			emu->push = true;
		if (rc)
			return rc != -EOPNOTSUPP;
		__xpv_emu_invalidate(emu, bfn);
	}
	return false;
}

/* ---- hypercalls, unmaps, BFN quarantine ------------------------------------ */

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
		if (i)
			cond_resched();
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

static int xpv_emu_op_errno(const struct pv_iommu_op *op)
{
	if (!op->status || op->status == -ENOENT)
		return 0;
	return op->status == XPV_OP_STATUS_PENDING ? -EIO :
	       xpv_op_status_errno(op->status);
}

/* @m's BFN may still be mapped in Xen: never give it out again. */
static void xpv_emu_mark_leaked(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	m->leaked = true;
	emu->leaked++;
	atomic64_inc(&G.leaked);
}

/*
 * @m is off every index and list, and no unmap of it is pending: its
 * records and (unless leaked) its BFN go back at once, no quarantine.
 */
static void xpv_emu_free_mapping(struct xpv_emu *emu,
				 struct xpv_emu_mapping *m)
{
	xpv_emu_rec_detach(emu, m);
	if (xpv_emu_bfn_owned() && !m->leaked)
		xpv_emu_bfn_put(m->bfn, m->order);
	kfree(m);
}

/*
 * After the unmap op of @m: it no longer pins its page, or (the unmap
 * failed) its BFN must never be reused.
 */
static int xpv_emu_unmapped(struct xpv_emu *emu, const struct pv_iommu_op *op,
			    struct xpv_emu_mapping *m)
{
	int err = xpv_emu_op_errno(op);

	lockdep_assert_held(&emu->lock);
	emu->pages -= 1ull << m->order;
	if (!err) {
		xpv_emu_rec_unpin(emu, m);
		return 0;
	}
	xpv_emu_mark_leaked(emu, m);
	pr_err_ratelimited("dom%u ioserver %u: unmap of bfn 0x%llx failed (%d); bfn kept out of use\n",
			   emu->domid, emu->ioserver, m->bfn, err);
	return err;
}

/*
 * @m is unmapped (or never was) and off every index and list: its BFN
 * goes to the quarantine (map mode), or is gone for good (leaked, lookup
 * mode).  See xpv_emu_settle().
 */
static void xpv_emu_retire(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	lockdep_assert_held(&emu->lock);
	xpv_emu_rec_detach(emu, m);
	if (!xpv_emu_bfn_owned() || m->leaked) {
		kfree(m);
		return;
	}
	m->epoch = emu->epoch;
	list_add_tail(&m->link, &emu->quar);
	emu->quarantined++;
}

/* Quarantined BFNs of epoch <= @upto back to the allocator. */
static unsigned int xpv_emu_release(struct xpv_emu *emu, u64 upto)
{
	struct xpv_emu_mapping *m;
	unsigned int n = 0;

	lockdep_assert_held(&emu->lock);
	while (!list_empty(&emu->quar)) {
		m = list_first_entry(&emu->quar, struct xpv_emu_mapping, link);
		if (m->epoch > upto)
			break;
		list_del(&m->link);
		xpv_emu_bfn_put(m->bfn, m->order);
		emu->quarantined--;
		kfree(m);
		n++;
	}
	return n;
}

/*
 * After BFNs were quarantined.  Pull mode: every invalidate Xen queued
 * for them was queued before their unmap returned, so take the queue (as
 * stale) and release them all.  Push mode: they wait for
 * xpv_emu_inv_done().
 */
static void xpv_emu_settle(struct xpv_emu *emu)
{
	lockdep_assert_held(&emu->lock);
	if (emu->push || list_empty(&emu->quar))
		return;
	/* Not all taken (a huge queue): keep them for the next settle. */
	if (xpv_emu_pull(emu))
		xpv_emu_release(emu, U64_MAX);
}

/* Forget a mapping whose BFN is unmapped and whose references are gone. */
static void xpv_emu_forget(struct xpv_emu *emu, struct xpv_emu_mapping *m)
{
	lockdep_assert_held(&emu->lock);
	xpv_u64map_del(&emu->by_bfn.h, m->bfn, NULL);
	if (m->state == XPV_EMU_LIVE)
		xpv_u64map_del(&emu->by_gfn.h, xpv_emu_gfn_key(m->gfn, m->order),
			       NULL);
	if (!list_empty(&m->link))
		list_del_init(&m->link);
	xpv_emu_retire(emu, m);
}

/* What to do with each mapping once its queued unmap is done. */
enum xpv_emu_after {
	XPV_EMU_FORGET,		/* last reference gone: forget it */
	XPV_EMU_DROP,		/* invalidated: forget, or DEAD if referenced */
	XPV_EMU_TEARDOWN,	/* the handle is going: BFN back, free it */
};

/*
 * Unmap the @n mappings queued in emu->buf_m with the ops in emu->buf
 * (one hypercall: n <= emu_batch), then finish each as @after says.
 * Return: the first unmap error, or 0.
 */
static int xpv_emu_flush(struct xpv_emu *emu, unsigned int n,
			 enum xpv_emu_after after)
{
	struct xpv_emu_mapping *m;
	unsigned int i;
	int err, rc = 0;

	lockdep_assert_held(&emu->lock);
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		xpv_emu_unmap_op(emu, &emu->buf[i], emu->buf_m[i]);
	xpv_emu_issue(emu, emu->buf, n, false);
	for (i = 0; i < n; i++) {
		m = emu->buf_m[i];
		err = xpv_emu_unmapped(emu, &emu->buf[i], m);
		if (err && !rc)
			rc = err;
		switch (after) {
		case XPV_EMU_FORGET:
			xpv_emu_forget(emu, m);
			break;
		case XPV_EMU_DROP:
			m->busy = false;
			if (!m->refs) {
				xpv_emu_forget(emu, m);
				break;
			}
			/* The BFN stays allocated while references remain. */
			m->state = XPV_EMU_DEAD;
			break;
		case XPV_EMU_TEARDOWN:
			xpv_emu_free_mapping(emu, m);
			break;
		}
	}
	return rc;
}

/* Queue @m's unmap in emu->buf; flush when full.  Allocation-free. */
static int xpv_emu_queue(struct xpv_emu *emu, unsigned int *n,
			 struct xpv_emu_mapping *m, enum xpv_emu_after after)
{
	lockdep_assert_held(&emu->lock);
	emu->buf_m[(*n)++] = m;
	if (*n < emu_batch)
		return 0;
	*n = 0;
	return xpv_emu_flush(emu, emu_batch, after);
}

/* ---- invalidate callbacks --------------------------------------------------- */

/*
 * Call the owner's invalidate callback, with a reference on the owner
 * module: once its exit() has started (MODULE_STATE_GOING, set before
 * exit() runs and before our module notifier closes its handles) the
 * reference cannot be taken and the callback is not made, so @priv, which
 * exit() may have freed, is never used.  Conversely the module cannot
 * start unloading while a callback runs.
 */
static bool xpv_emu_call(struct xpv_emu *emu, u64 gfn, u64 bfn,
			 unsigned int order, enum xpv_emu_inv how)
{
	if (!emu->ops || !emu->ops->invalidate)
		return true;
	if (!try_module_get(emu->owner)) {
		atomic64_inc(&G.skipped);
		return false;
	}
	emu->ops->invalidate(emu, emu->priv, gfn, bfn, order, how);
	module_put(emu->owner);
	return true;
}

/*
 * Callbacks for the invalidated mappings, then one batched unmap of those
 * dropped (or whose last reference went meanwhile).
 */
static void xpv_emu_work(struct work_struct *work)
{
	struct xpv_emu *emu = container_of(to_delayed_work(work),
					   struct xpv_emu, work);
	struct xpv_emu_mapping *m, *tmp;
	unsigned int n = 0, calls = 0, order;
	enum xpv_emu_inv how;
	u64 gfn, bfn;
	LIST_HEAD(unmap);
	bool called;

	mutex_lock(&emu->lock);
	xpv_emu_pull(emu);
	while (!emu->closing && !list_empty(&emu->inv) &&
	       calls++ < XPV_EMU_WORK_MAX) {
		m = list_first_entry(&emu->inv, struct xpv_emu_mapping, link);
		/* Nothing is swapped without an IOMMU (lookup mode). */
		if (G.caps.lookup_only || !(m->flags & XPV_EMU_SWAP))
			how = XPV_EMU_INV_DROPPED;
		else if (xpv_emu_swapped(emu, m))
			how = XPV_EMU_INV_SWAPPED;
		else
			how = XPV_EMU_INV_PINNED;
		list_move_tail(&m->link, &unmap);
		gfn = m->gfn;
		bfn = m->bfn;
		order = m->order;
		/* @m stays ours (busy) while the lock is dropped. */
		mutex_unlock(&emu->lock);
		called = xpv_emu_call(emu, gfn, bfn, order, how);
		mutex_lock(&emu->lock);
		emu->skipped += !called;
		emu->dropped += how == XPV_EMU_INV_DROPPED;
		emu->swapped += how == XPV_EMU_INV_SWAPPED;
		emu->pinned += how == XPV_EMU_INV_PINNED;
		if (how != XPV_EMU_INV_DROPPED && m->refs) {
			/* Stays mapped until the emulator unmaps it. */
			list_del_init(&m->link);
			m->busy = false;
		}
	}
	list_for_each_entry_safe(m, tmp, &unmap, link) {
		list_del_init(&m->link);
		xpv_emu_queue(emu, &n, m, XPV_EMU_DROP);
	}
	xpv_emu_flush(emu, n, XPV_EMU_DROP);
	xpv_emu_settle(emu);
	if (!list_empty(&emu->inv))
		xpv_emu_kick(emu, 0);
	else if (emu_poll_ms && !emu->push)
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

/* The shared state of guest @domid, created if needed. */
static struct xpv_emu_guest *xpv_emu_guest_get(u16 domid)
{
	struct xpv_emu_guest *g;

	lockdep_assert_held(&G.lock);
	list_for_each_entry(g, &G.guests, node) {
		if (g->domid == domid) {
			g->users++;
			return g;
		}
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return NULL;
	if (xpv_emu_index_alloc(&g->count, XPV_EMU_INDEX_MIN))
		goto free;
	if (xpv_emu_index_alloc(&g->stamp, XPV_EMU_INDEX_MIN))
		goto free_count;
	g->domid = domid;
	g->users = 1;
	mutex_init(&g->lock);
	list_add_tail(&g->node, &G.guests);
	return g;

free_count:
	xpv_emu_index_free(&g->count);
free:
	kfree(g);
	return NULL;
}

static void xpv_emu_guest_put(struct xpv_emu_guest *g)
{
	if (!g)
		return;
	mutex_lock(&G.lock);
	if (!--g->users) {
		list_del(&g->node);
		/* Every mapping of every handle gave its records back. */
		WARN_ON_ONCE(g->count.h.n || g->stamp.h.n);
		xpv_emu_index_free(&g->count);
		xpv_emu_index_free(&g->stamp);
		mutex_destroy(&g->lock);
		kfree(g);
	}
	mutex_unlock(&G.lock);
}

static void xpv_emu_free(struct xpv_emu *emu)
{
	xpv_emu_index_free(&emu->by_gfn);
	xpv_emu_index_free(&emu->by_bfn);
	kvfree(emu->buf);
	kvfree(emu->buf_m);
	kfree(emu);
}

/**
 * xpv_emu_open_owner() - open an emulator handle (use xpv_emu_open())
 * @domid:    the guest's domain id
 * @ioserver: the emulator's ioreq server id in that guest
 * @ops:      callbacks (may be NULL), must outlive the handle
 * @priv:     passed to the callbacks
 * @owner:    module whose unload closes the handle if it did not, and
 *            which is pinned while a callback runs
 *
 * Nothing is checked with the hypervisor here: an unknown or dying guest
 * or ioreq server is reported by the first xpv_emu_map(), and so is this
 * domain's own id when it is not 0 (a driver domain: -EPERM).  Every
 * later call on the handle, teardown included, allocates nothing but
 * xpv_emu_map()'s own arrays.
 *
 * Context: process context; may sleep.
 * Return: the handle, or ERR_PTR(-EPERM) (@domid is 0 or DOMID_SELF),
 * ERR_PTR(-EINVAL) (another reserved domid, 0x7ff1 and up),
 * ERR_PTR(-EBUSY) (the pair has an open handle), ERR_PTR(-ENODEV) (no
 * backend), ERR_PTR(-ENOMEM).
 */
struct xpv_emu *xpv_emu_open_owner(u16 domid, u16 ioserver,
				   const struct xpv_emu_ops *ops, void *priv,
				   struct module *owner)
{
	struct xpv_emu *emu, *e;
	int rc = -ENOMEM;

	if (!READ_ONCE(G.ready))
		return ERR_PTR(-ENODEV);
	if (domid == 0 || domid == XPV_EMU_DOMID_SELF)
		return ERR_PTR(-EPERM);
	if (domid >= XPV_EMU_DOMID_RESERVED)
		return ERR_PTR(-EINVAL);
	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return ERR_PTR(-ENOMEM);
	emu->buf = kvmalloc_array(emu_batch, sizeof(*emu->buf), GFP_KERNEL);
	emu->buf_m = kvmalloc_array(emu_batch, sizeof(*emu->buf_m),
				    GFP_KERNEL);
	if (!emu->buf || !emu->buf_m ||
	    xpv_emu_index_alloc(&emu->by_gfn, XPV_EMU_INDEX_MIN) ||
	    xpv_emu_index_alloc(&emu->by_bfn, XPV_EMU_INDEX_MIN))
		goto free;
	emu->domid = domid;
	emu->ioserver = ioserver;
	emu->ops = ops;
	emu->priv = priv;
	emu->owner = owner;
	emu->push = !emu_pull;
	emu->epoch = 1;
	mutex_init(&emu->lock);
	INIT_LIST_HEAD(&emu->inv);
	INIT_LIST_HEAD(&emu->quar);
	INIT_DELAYED_WORK(&emu->work, xpv_emu_work);

	mutex_lock(&G.lock);
	list_for_each_entry(e, &G.handles, node) {
		if (e->domid == domid && e->ioserver == ioserver) {
			mutex_unlock(&G.lock);
			rc = -EBUSY;
			goto free;
		}
	}
	if (xpv_emu_bfn_owned()) {
		emu->guest = xpv_emu_guest_get(domid);
		if (!emu->guest) {
			mutex_unlock(&G.lock);
			goto free;
		}
	}
	list_add_tail(&emu->node, &G.handles);
	mutex_unlock(&G.lock);

	mutex_lock(&emu->lock);
	/* Learns whether the backend queues invalidates at all. */
	xpv_emu_pull(emu);
	if (emu_poll_ms && !emu->push)
		xpv_emu_kick(emu, msecs_to_jiffies(emu_poll_ms));
	mutex_unlock(&emu->lock);
	return emu;

free:
	xpv_emu_free(emu);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_open_owner, XPV_NS_API);

/*
 * Unmap everything of a handle that is off the list, then free it.
 * Allocation-free: the unmaps go through the handle's own batch buffer,
 * and the indexes are walked, not changed, while mappings are freed.
 * Quarantined BFNs go back to the allocator (the emulator stops passing
 * invalidates of this handle when it closes it).
 */
static void xpv_emu_destroy(struct xpv_emu *emu)
{
	struct xpv_emu_mapping *m;
	u64 pos = 0, key, val, seen = 0;
	unsigned int n = 0;

	mutex_lock(&emu->lock);
	emu->closing = true;
	mutex_unlock(&emu->lock);
	cancel_delayed_work_sync(&emu->work);

	mutex_lock(&emu->lock);
	while (!xpv_u64map_at(&emu->by_bfn.h, &pos, &key, &val)) {
		m = (struct xpv_emu_mapping *)(uintptr_t)val;
		if (!(++seen % XPV_EMU_RESCHED))
			cond_resched();
		if (m->state != XPV_EMU_DEAD) {
			xpv_emu_queue(emu, &n, m, XPV_EMU_TEARDOWN);
			continue;
		}
		xpv_emu_free_mapping(emu, m);
	}
	xpv_emu_flush(emu, n, XPV_EMU_TEARDOWN);
	INIT_LIST_HEAD(&emu->inv);
	xpv_emu_release(emu, U64_MAX);
	mutex_unlock(&emu->lock);
	xpv_emu_guest_put(emu->guest);
	mutex_destroy(&emu->lock);
	xpv_emu_free(emu);
}

/**
 * xpv_emu_close() - unmap everything of a handle and free it
 * @emu: handle from xpv_emu_open() (NULL and error pointers are ignored)
 *
 * Every mapping is unmapped whatever its references (batched), callbacks
 * not yet made are not made (a running one is waited for), and the BFNs,
 * quarantined ones included, go back to the allocator.  Allocates
 * nothing, so it cannot fail.  Invalidates read from the ioreq ring after
 * this must not be passed to a later handle of the same pair.
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

static int xpv_emu_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Lookup mode: two gfns at one address (a BFN this handle already uses, or
 * twice in this call) would make unmap by address ambiguous.  @tmp has
 * room for @n.
 */
static int xpv_emu_lookup_clash(struct xpv_emu *emu,
				const struct pv_iommu_op *ops, unsigned int n,
				u64 *tmp)
{
	unsigned int i;

	lockdep_assert_held(&emu->lock);
	for (i = 0; i < n; i++) {
		tmp[i] = ops[i].u.lookup_foreign_page.bfn;
		if (xpv_emu_index_get(&emu->by_bfn, tmp[i]))
			return -EIO;
	}
	sort(tmp, n, sizeof(*tmp), xpv_emu_cmp_u64, NULL);
	for (i = 1; i < n; i++)
		if (tmp[i] == tmp[i - 1])
			return -EIO;
	return 0;
}

/*
 * Undo a failed map call: unmap what its ops mapped (newest first), and
 * forget its new mappings (@fresh, still in by_gfn, holding records).  A
 * BFN that was mapped goes to the quarantine (an invalidate may already
 * name it); one refused for an RMRR the module did not know about, or
 * whose unmap failed, is kept out of use for good; the others go back.
 * @undo has room for @n ops.
 */
static void xpv_emu_map_undo(struct xpv_emu *emu, struct pv_iommu_op *ops,
			     unsigned int n, struct pv_iommu_op *undo,
			     struct xpv_emu_mapping **fresh, const u64 *newbfn)
{
	int nr = xpv_batch_plan_rollback(ops, n, undo, n);
	struct xpv_emu_mapping *m;
	unsigned int i, j = 0;
	int err;

	lockdep_assert_held(&emu->lock);
	/* Only maps and lookups are planned: cannot fail. */
	if (WARN_ON_ONCE(nr < 0))
		nr = 0;
	xpv_emu_issue(emu, undo, nr, false);
	for (i = n; i-- > 0;) {
		m = fresh[i];
		xpv_u64map_del(&emu->by_gfn.h, xpv_emu_gfn_key(m->gfn, m->order),
			       NULL);
		m->bfn = xpv_emu_bfn_owned() ? newbfn[i] :
			 ops[i].u.lookup_foreign_page.bfn;
		if (!ops[i].status) {
			err = j < nr ? xpv_emu_op_errno(&undo[j++]) : -EIO;
			if (err) {
				xpv_emu_mark_leaked(emu, m);
				pr_err_ratelimited("dom%u ioserver %u: rollback of bfn 0x%llx failed (%d); bfn kept out of use\n",
						   emu->domid, emu->ioserver,
						   m->bfn, err);
			}
			xpv_emu_retire(emu, m);
			continue;
		}
		if (xpv_emu_bfn_owned() && ops[i].status == -EACCES) {
			/* An RMRR the module did not know about. */
			xpv_emu_mark_leaked(emu, m);
			xpv_emu_retire(emu, m);
			continue;
		}
		xpv_emu_free_mapping(emu, m);
	}
}

/**
 * xpv_emu_map() - bus addresses for guest frames
 * @emu:   handle
 * @gfn:   @nr guest frame numbers, each the first of a 2^@order block
 *         aligned to it (a gfn may repeat: one reference each)
 * @nr:    number of blocks, 1 .. 2^20
 * @order: 0 (4 KiB), 4 (64 KiB), 9 (2 MiB) or any up to caps.max_order
 * @flags: XPV_EMU_RO (map_cap only), XPV_EMU_SWAP (order 0 only)
 * @bfn:   out: the first BFN of each block (device address: bfn << 12)
 *
 * A block the handle already maps (same gfn and order, same flags) gets
 * one more reference and the same BFN, without a hypercall.  New blocks
 * get BFNs from the allocator (naturally aligned to their order, inside
 * the window caps.bfn_base .. caps.bfn_end, clear of the 1:1 map, RMRRs
 * and the MSI window) and are mapped in DIV_ROUND_UP(new, caps.batch)
 * hypercalls.  All or nothing: on any error, what this call mapped is
 * unmapped again and no reference is taken.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0; -EINVAL (bad argument, misaligned gfn, order above
 * caps.max_order, XPV_EMU_SWAP with order > 0, XPV_EMU_RO or order > 0 in
 * lookup mode); -EEXIST (mapped with other flags); -EOVERFLOW (a mapping
 * would hold more than emu_max_refs references); -ENOSPC (the BFN window
 * is full, quarantined BFNs included: see xpv_emu_inv_done()); -ENOMEM;
 * or the hypervisor's status for the first failed op: -EPERM (no
 * privilege over the guest, the guest is this domain, or a Xen page),
 * -ENXIO (no such or dying guest, or gfn not populated), -ENODEV (no such
 * ioreq server), -EACCES (BFN in an RMRR the module did not know about:
 * that BFN is kept out of use, so a retry gets another), -ENOSPC (order or
 * contiguity refused), -ENOENT (lookup mode: no address for it), -EIO;
 * or the hypercall's error (-ENOSYS, -EFAULT, -EINVAL).
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
	    (flags & ~XPV_EMU_FLAGS) || order > G.caps.max_order ||
	    ((flags & XPV_EMU_SWAP) && order) ||
	    (G.caps.lookup_only && (flags & XPV_EMU_RO)))
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
	xpv_emu_pull(emu);
	rc = xpv_emu_index_reserve(&emu->by_gfn, nr);
	if (!rc)
		rc = xpv_emu_index_reserve(&emu->by_bfn, nr);
	if (rc)
		goto unlock;
	for (i = 0; i < nr; i++) {
		u64 key = xpv_emu_gfn_key(gfn[i], order);
		struct xpv_emu_mapping *m = xpv_emu_index_get(&emu->by_gfn,
							       key);

		if (!((i + 1) % XPV_EMU_RESCHED))
			cond_resched();
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
			INIT_LIST_HEAD(&m->link);
			xpv_emu_index_put(&emu->by_gfn, key, m);
			fresh[nfresh++] = m;
		}
		if (m->pending >= emu_max_refs - m->refs) {
			rc = -EOVERFLOW;
			goto undo_index;
		}
		m->pending++;
		mp[filled++] = m;
	}
	if (nfresh && xpv_emu_bfn_owned()) {
		rc = xpv_emu_bfn_get(order, newbfn, nfresh);
		if (rc)
			goto undo_index;
		mutex_lock(&emu->guest->lock);
		rc = xpv_emu_guest_reserve(emu->guest, nfresh);
		for (i = 0; !rc && i < nfresh; i++) {
			if (!((i + 1) % XPV_EMU_RESCHED))
				cond_resched();
			xpv_emu_rec_attach(emu, fresh[i]);
		}
		mutex_unlock(&emu->guest->lock);
		if (rc) {
			for (i = 0; i < nfresh; i++)
				xpv_emu_bfn_put(newbfn[i], order);
			goto undo_index;
		}
	}
	for (i = 0; i < nfresh; i++)
		xpv_emu_map_op(emu, &ops[i], fresh[i]->gfn,
			       xpv_emu_bfn_owned() ? newbfn[i] : 0, order,
			       flags);
	rc = xpv_emu_issue(emu, ops, nfresh, true);
	if (!rc && !xpv_emu_bfn_owned())
		rc = xpv_emu_lookup_clash(emu, ops, nfresh, newbfn);
	if (rc) {
		for (j = 0; j < filled; j++)
			mp[j]->pending = 0;
		xpv_emu_map_undo(emu, ops, nfresh, ops + nr, fresh, newbfn);
		xpv_emu_settle(emu);
		goto unlock;
	}
	for (i = 0; i < nfresh; i++) {
		struct xpv_emu_mapping *m = fresh[i];

		m->bfn = xpv_emu_bfn_owned() ? newbfn[i] :
			 ops[i].u.lookup_foreign_page.bfn;
		xpv_emu_index_put(&emu->by_bfn, m->bfn, m);
		emu->pages += 1ull << order;
	}
	for (i = 0; i < nr; i++) {
		if (!((i + 1) % XPV_EMU_RESCHED))
			cond_resched();
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
 * In pull mode pending invalidations are taken from the backend first, so
 * a frame the guest gave back is never answered with its old BFN; in push
 * mode, once its invalidate was passed to xpv_emu_invalidate().  Takes no
 * reference.
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
	xpv_emu_pull(emu);
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
 * hypercall: DIV_ROUND_UP(mappings, caps.batch) hypercalls).  Its BFN goes
 * back to the allocator after that flush: at once when the module takes
 * invalidates from the backend, else once xpv_emu_inv_done() says no
 * invalidate queued before the unmap can still arrive.  All arguments are
 * checked before anything changes.  Allocates nothing.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: 0; -EINVAL (bad argument, more drops than references); -ENOENT
 * (a BFN this handle does not map: another emulator's, or never mapped);
 * or the first failed unmap's error (the references are gone anyway and
 * that BFN is kept out of use).
 */
int xpv_emu_unmap(struct xpv_emu *emu, const u64 *bfn, unsigned int nr)
{
	struct xpv_emu_mapping *m;
	unsigned int i, n = 0;
	int rc = 0, err;

	if (!emu || !bfn || !nr || nr > XPV_EMU_MAX_NR)
		return -EINVAL;
	mutex_lock(&emu->lock);
	for (i = 0; i < nr; i++) {
		m = xpv_emu_index_get(&emu->by_bfn, bfn[i]);
		if (!((i + 1) % XPV_EMU_RESCHED))
			cond_resched();
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
		/* NULL: a repeat of one already unmapped and forgotten. */
		m = xpv_emu_index_get(&emu->by_bfn, bfn[i]);
		if (!((i + 1) % XPV_EMU_RESCHED))
			cond_resched();
		if (!m || !m->pending)
			continue;	/* a repeat, already counted */
		m->refs -= m->pending;
		emu->refs -= m->pending;
		m->pending = 0;
		if (m->refs || m->busy)
			continue;	/* the worker forgets a busy one */
		if (m->state == XPV_EMU_DEAD) {
			xpv_emu_forget(emu, m);
			continue;
		}
		err = xpv_emu_queue(emu, &n, m, XPV_EMU_FORGET);
		if (err && !rc)
			rc = err;
	}
	err = xpv_emu_flush(emu, n, XPV_EMU_FORGET);
	if (err && !rc)
		rc = err;
	xpv_emu_settle(emu);
unlock:
	mutex_unlock(&emu->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_unmap, XPV_NS_API);

/**
 * xpv_emu_invalidate() - report an IOREQ_TYPE_INVALIDATE for this handle
 * @emu: handle
 * @bfn: the BFN in the request's data field
 *
 * On real Xen the invalidations arrive on the emulator's own ioreq ring
 * (buffered, or synchronous when that ring is full); the emulator passes
 * each one here.  The mapping stops being found by xpv_emu_lookup() at
 * once; its invalidate callback follows from the workqueue.  BFNs the
 * handle does not map (any more) are ignored (counted as stale): BFNs it
 * unmapped are quarantined until xpv_emu_inv_done(), so a late invalidate
 * never hits a newer mapping.
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
 * xpv_emu_inv_mark() - start confirming that the ioreq ring is drained
 * @emu: handle
 *
 * BFNs the handle unmapped before this call returns are quarantined
 * under the returned mark.  Then read the ioreq ring's producer index,
 * pass every invalidate up to it (and a pending synchronous one) to
 * xpv_emu_invalidate(), and call xpv_emu_inv_done() with the mark.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: the mark (never 0), or 0 for a NULL handle.
 */
u64 xpv_emu_inv_mark(struct xpv_emu *emu)
{
	u64 mark;

	if (!emu)
		return 0;
	mutex_lock(&emu->lock);
	mark = emu->epoch++;
	mutex_unlock(&emu->lock);
	return mark;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_inv_mark, XPV_NS_API);

/**
 * xpv_emu_inv_done() - the ioreq ring is drained up to a mark
 * @emu:  handle
 * @mark: from xpv_emu_inv_mark(), after which every invalidate queued on
 *        the handle's ioreq ring was passed to xpv_emu_invalidate()
 *
 * The BFNs quarantined under @mark or earlier go back to the allocator.
 * Needed only in push mode (real Xen, or emu_pull=0); in pull mode the
 * module settles its quarantine itself and this returns 0.
 *
 * Context: process context; may sleep.  Takes the handle's lock.
 * Return: the number of BFN blocks released, or -EINVAL (NULL handle, or
 * a mark xpv_emu_inv_mark() did not hand out).
 */
int xpv_emu_inv_done(struct xpv_emu *emu, u64 mark)
{
	int rc;

	if (!emu || !mark)
		return -EINVAL;
	mutex_lock(&emu->lock);
	if (mark >= emu->epoch)
		rc = -EINVAL;
	else
		rc = xpv_emu_release(emu, mark);
	mutex_unlock(&emu->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_inv_done, XPV_NS_API);

/**
 * xpv_emu_poll() - take the backend's queued invalidations now
 * @emu: handle
 *
 * In pull mode the handle also polls every emu_poll_ms milliseconds; this
 * call makes the lookups consistent at once and runs the callbacks as
 * soon as the workqueue gets to them.  In push mode it only counts.
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
	xpv_emu_pull(emu);
	list_for_each_entry(m, &emu->inv, link)
		n++;
	mutex_unlock(&emu->lock);
	return n;
}
EXPORT_SYMBOL_NS_GPL(xpv_emu_poll, XPV_NS_API);

/* ---- owners going away, debugfs ----------------------------------------- */

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
	u64 cached = 0, used, free_frames, rsv_frames, invalid;
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
		rsv_frames = G.depot.rsv_frames;
		invalid = G.depot.invalid_puts;
		spin_unlock(&G.depot_lock);
		seq_printf(s, "bfn_base\t0x%llx\n", G.caps.bfn_base);
		seq_printf(s, "bfn_end\t0x%llx\n", G.caps.bfn_end);
		seq_printf(s, "claimed\t%u\n", !!G.claim);
		seq_printf(s, "reserved\t%u\n", G.depot.nr_rsv);
		seq_printf(s, "reserved_frames\t%llu\n", rsv_frames);
		seq_printf(s, "used_frames\t%llu\n", used - cached);
		seq_printf(s, "cached_frames\t%llu\n", cached);
		seq_printf(s, "free_frames\t%llu\n", free_frames);
		seq_printf(s, "invalid_frees\t%llu\n", invalid);
	}
	seq_printf(s, "leaked_bfns\t%lld\n", atomic64_read(&G.leaked));
	seq_printf(s, "orphans_released\t%lld\n", atomic64_read(&G.orphans));
	seq_printf(s, "bad_frees\t%lld\n", atomic64_read(&G.bad_frees));
	seq_printf(s, "callbacks_skipped\t%lld\n", atomic64_read(&G.skipped));
	seq_printf(s, "hotplug_refused\t%lld\n",
		   atomic64_read(&G.hotplug_refused));
	mutex_lock(&G.lock);
	list_for_each_entry(emu, &G.handles, node) {
		mutex_lock(&emu->lock);
		seq_printf(s, "handle dom=%u ios=%u owner=%s %s mappings=%llu live=%llu refs=%llu pages=%llu quarantined=%llu hypercalls=%llu invalidates=%llu stale=%llu dropped=%llu swapped=%llu pinned=%llu skipped=%llu leaked=%llu\n",
			   emu->domid, emu->ioserver,
			   emu->owner ? emu->owner->name : "-",
			   emu->push ? "push" : "pull",
			   emu->by_bfn.h.n, emu->by_gfn.h.n, emu->refs,
			   emu->pages, emu->quarantined, emu->hypercalls,
			   emu->invalidates, emu->stale_inv, emu->dropped,
			   emu->swapped, emu->pinned, emu->skipped,
			   emu->leaked);
		mutex_unlock(&emu->lock);
	}
	mutex_unlock(&G.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emu);

/* ---- the BFN window --------------------------------------------------------- */

static int xpv_emu_ram_end(struct resource *res, void *arg)
{
	u64 *end = arg;

	*end = max_t(u64, *end, PFN_DOWN(res->end) + 1);
	return 0;
}

/**
 * struct xpv_emu_hit - a search for iomem resources in a frame range
 * @start:  first frame of the range.
 * @end:    one past its last frame.
 * @lowest: lowest first frame of a resource overlapping it (U64_MAX: none).
 */
struct xpv_emu_hit {
	u64 start;
	u64 end;
	u64 lowest;
};

static int xpv_emu_iomem_hit(struct resource *res, void *arg)
{
	struct xpv_emu_hit *h = arg;
	u64 s = PFN_DOWN(res->start), e = PFN_DOWN(res->end) + 1;

	if (s < h->end && h->start < e)
		h->lowest = min(h->lowest, s);
	return 0;
}

/*
 * The lowest first frame of a top-level iomem resource (RAM, reserved,
 * ACPI, a PCI host bridge window, anything) overlapping [start, end).
 * The walk reports top-level resources only: children lie inside them.
 */
static u64 xpv_emu_iomem_lowest(u64 start, u64 end)
{
	struct xpv_emu_hit h = { .start = start, .end = end,
				 .lowest = U64_MAX };

	walk_iomem_res_desc(IORES_DESC_NONE, 0, 0, U64_MAX, &h,
			    xpv_emu_iomem_hit);
	return h.lowest;
}

/*
 * Where the window goes when not placed by hand: the highest 2 MiB
 * aligned place below the device address width and below Xen's own
 * foreign window (XenServer maps host RAM at MFN + caps offset, so
 * everything from that offset up may be Xen's), clear of every iomem
 * resource, and above 4 GiB, the RAM and the 1:1 map.  Hot-pluggable RAM
 * (a pc-dimm area, Xen's balloon hotplug, xen_alloc_unpopulated_pages())
 * goes where iomem is free, lowest first, so the top of the address space
 * is the last place it reaches; the window is then claimed in iomem so
 * that nothing can be put there at all.
 */
static int xpv_emu_window_place(const struct xpv_iommu_caps *caps,
				u64 floor, u64 frames, u64 *base)
{
	u64 top = 1ull << (emu_addr_bits - XPV_EMU_PAGE_SHIFT), end, low;
	u64 align = 1ull << XPV_BFN_MAX_ORDER;
	unsigned int tries;

	if (caps->offset && caps->offset < top)
		top = caps->offset;
	floor = max(floor, XPV_EMU_4G_BFN);
	end = ALIGN_DOWN(top, align);
	for (tries = 0; tries < 4096; tries++) {
		if (end < floor || end - floor < frames)
			break;
		low = xpv_emu_iomem_lowest(end - frames, end);
		if (low == U64_MAX) {
			*base = end - frames;
			return 0;
		}
		end = ALIGN_DOWN(low, align);
	}
	pr_err("no free %u MiB for the emulator BFN window between bfn 0x%llx and 0x%llx (%u address bits, Xen window at 0x%llx)\n",
	       emu_window_mb, floor, top, emu_addr_bits, caps->offset);
	return -ENOSPC;
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

static int xpv_emu_window(const struct xpv_iommu_caps *caps)
{
	u64 base, frames, ram_end = 0, len, map_end = PFN_DOWN(xpv_dma.map_end);
	unsigned int cpu;
	int rc;

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
			    U64_MAX, &ram_end, xpv_emu_ram_end);
	frames = (u64)emu_window_mb << (20 - XPV_EMU_PAGE_SHIFT);
	if (emu_bfn_base) {
		base = ALIGN(emu_bfn_base, 1ull << XPV_BFN_MAX_ORDER);
		if (base < map_end) {
			pr_err("emu_bfn_base=0x%llx is inside the 1:1 map (ends at bfn 0x%llx)\n",
			       emu_bfn_base, map_end);
			return -EINVAL;
		}
		if (base + frames > 1ull << (emu_addr_bits -
					      XPV_EMU_PAGE_SHIFT)) {
			pr_err("no room for a %u MiB BFN window at bfn 0x%llx below %u address bits\n",
			       emu_window_mb, base, emu_addr_bits);
			return -ENOSPC;
		}
	} else {
		rc = xpv_emu_window_place(caps, max(map_end, ram_end), frames,
					  &base);
		if (rc)
			return rc;
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
	if (rc) {
		pr_err("bad BFN window or emu_rmrr=%s (%d)\n", emu_rmrr, rc);
		goto free;
	}
	xpv_bfn_seal(&G.depot);
	G.pcpu = alloc_percpu(struct xpv_bfn_pcpu);
	if (!G.pcpu) {
		rc = -ENOMEM;
		goto free;
	}
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(G.pcpu, cpu)->lock);
	/*
	 * Nothing may be put in the window: no hot-added RAM, no
	 * unpopulated-alloc pages, no BAR.  A window placed by hand is the
	 * admin's (and the tests') business; memory hotplug into it is then
	 * refused by xpv_emu_window_overlaps().
	 */
	if (!emu_bfn_base)
		G.claim = request_mem_region(PFN_PHYS(base), PFN_PHYS(frames),
					     "Xen PV-IOMMU emulator BFNs");
	G.caps.bfn_base = base;
	G.caps.bfn_end = base + frames;
	/* xen_pviommu says one line at load: only the unusual is added. */
	if (!G.claim)
		pr_info("emulator BFN window 0x%llx-0x%llx (%u MiB) %s, not reserved in iomem\n",
			base, base + frames, emu_window_mb,
			emu_bfn_base ? "placed by emu_bfn_base" :
			"beyond iomem");
	else
		pr_debug("emulator BFN window 0x%llx-0x%llx (%u MiB), reserved in iomem\n",
			 base, base + frames, emu_window_mb);
	return 0;

free:
	kvfree(G.store);
	G.store = NULL;
	return rc;
}

/**
 * xpv_emu_window_overlaps() - would a pfn range land in the BFN window
 * @start_pfn: first pfn of a memory block going online
 * @end_pfn:   one past its last pfn
 *
 * Under BFN = PFN the block's pages get BFNs equal to their pfns, which
 * must not be the emulator window's.  Logs why when they would be.
 *
 * Context: process context (memory hotplug notifier).
 * Return: true if [@start_pfn, @end_pfn) overlaps the window.
 */
bool xpv_emu_window_overlaps(u64 start_pfn, u64 end_pfn)
{
	if (!READ_ONCE(G.ready) || G.caps.lookup_only ||
	    end_pfn <= G.caps.bfn_base || start_pfn >= G.caps.bfn_end)
		return false;
	atomic64_inc(&G.hotplug_refused);
	pr_err("hotplug: pfn 0x%llx-0x%llx overlaps the emulator BFN window 0x%llx-0x%llx; refusing to online it\n",
	       start_pfn, end_pfn, G.caps.bfn_base, G.caps.bfn_end);
	return true;
}

/* ---- init/exit ------------------------------------------------------------ */

static void xpv_emu_window_free(void)
{
	if (G.claim)
		release_mem_region(G.claim->start, resource_size(G.claim));
	G.claim = NULL;
	free_percpu(G.pcpu);
	G.pcpu = NULL;
	kvfree(G.store);
	G.store = NULL;
}

/**
 * xpv_emu_init() - set up the emulator API (from xen_pviommu's init)
 * @hv:   the module's backend handle, valid until xpv_emu_exit()
 * @caps: the capabilities xen_pviommu read
 * @dbg:  xen_pviommu's debugfs directory (gets "emu")
 *
 * With map_cap the BFN window is placed (see xpv_emu_window_place()) and
 * claimed; without it the API works in lookup mode.  Works whether or not
 * xen_pviommu attached its DMA ops.
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
	    emu_window_mb > 16384 || !emu_max_refs) {
		pr_err("emu_batch=%u (1-4096), emu_addr_bits=%u (32-52), emu_window_mb=%u (2-16384), emu_max_refs=%u (>= 1): out of range\n",
		       emu_batch, emu_addr_bits, emu_window_mb, emu_max_refs);
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
		rc = xpv_emu_window(caps);
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
	xpv_emu_window_free();
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
	xpv_emu_window_free();
}
