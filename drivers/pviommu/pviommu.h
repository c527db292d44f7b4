/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pviommu.h - xen_pviommu internals shared by its files.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_PVIOMMU_H
#define XPV_PVIOMMU_H

#include <linux/atomic.h>
#include <linux/dma-map-ops.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <xpv/hv.h>
#include <xpv/lib/premap.h>
#include <xpv/lib/range.h>

/*
 * Bounce pool geometry: 1 MiB chunks (naturally aligned: the buddy
 * allocator's order-8 blocks) of 2 KiB slots, 256 KiB per map.  Chunks
 * live below 4 GiB, so a chunk is found from a bus address by its MiB
 * index in a 4096-entry table.
 */
#define XPV_BOUNCE_SLOT		2048u
#define XPV_BOUNCE_CHUNK_ORDER	8
#define XPV_BOUNCE_CHUNK	(PAGE_SIZE << XPV_BOUNCE_CHUNK_ORDER)
#define XPV_BOUNCE_CHUNK_SHIFT	(PAGE_SHIFT + XPV_BOUNCE_CHUNK_ORDER)
#define XPV_BOUNCE_SLOTS	(XPV_BOUNCE_CHUNK / XPV_BOUNCE_SLOT)
#define XPV_BOUNCE_MAX_MAP	(256u * 1024)
#define XPV_BOUNCE_MAX_CHUNKS	64
#define XPV_BOUNCE_INDEX	(1u << (32 - XPV_BOUNCE_CHUNK_SHIFT))

/**
 * struct xpv_bounce_chunk - one physically contiguous piece of the pool
 * @lock:   protects @used, @orig and @nslots.
 * @vaddr:  kernel address.
 * @bus:    bus address (= physical address under BFN = PFN).
 * @used:   slot bitmap.  Protected by @lock.
 * @orig:   per first slot of a mapping: physical address that slot shadows.
 *          Written under @lock; read locklessly by the owner of the live
 *          mapping.
 * @nslots: per first slot of a mapping: its length in slots, 0 elsewhere.
 *          Protected by @lock.
 */
struct xpv_bounce_chunk {
	spinlock_t lock;	/* used, orig, nslots */
	void *vaddr;
	dma_addr_t bus;
	DECLARE_BITMAP(used, XPV_BOUNCE_SLOTS);
	phys_addr_t orig[XPV_BOUNCE_SLOTS];
	u16 nslots[XPV_BOUNCE_SLOTS];
};

/**
 * struct xpv_bounce_pool - bounce buffers for devices with a short mask
 * @nr_chunks:     chunks allocated; fixed between init and destroy.
 * @used_slots:    slots in use.
 * @bounced_bytes: bytes mapped through the pool since init.
 * @failed:        maps refused for want of room.
 * @index:         chunk number + 1 of each MiB below 4 GiB, 0 for none.
 *                 Fixed between init and destroy: read locklessly.
 * @chunk:         the chunks, lowest zones first.
 *
 * Each chunk has its own lock; the direct DMA path takes none of them.
 */
struct xpv_bounce_pool {
	unsigned int nr_chunks;
	atomic_t used_slots;
	atomic64_t bounced_bytes;
	atomic64_t failed;
	u8 index[XPV_BOUNCE_INDEX];
	struct xpv_bounce_chunk chunk[XPV_BOUNCE_MAX_CHUNKS];
};

int xpv_bounce_init(struct xpv_bounce_pool *pool, size_t dma32_bytes,
		    size_t dma_bytes);
void xpv_bounce_destroy(struct xpv_bounce_pool *pool);
bool xpv_bounce_owns(struct xpv_bounce_pool *pool, dma_addr_t bus);
dma_addr_t xpv_bounce_map(struct xpv_bounce_pool *pool, u64 mask,
			  unsigned long boundary, phys_addr_t orig,
			  size_t size, unsigned int align_mask);
int xpv_bounce_unmap(struct xpv_bounce_pool *pool, dma_addr_t bus,
		     size_t size, enum dma_data_direction dir,
		     unsigned long attrs);
void xpv_bounce_sync(struct xpv_bounce_pool *pool, dma_addr_t bus,
		     size_t size, bool to_device);

/**
 * struct xpv_dma_map - the pfn ranges the 1:1 map covers, for the DMA path
 * @rcu: the map is replaced (memory hotplug) and freed after a grace period.
 * @nr:  entries in @r.
 * @r:   pfn ranges [start, end), ascending and disjoint.
 */
struct xpv_dma_map {
	struct rcu_head rcu;
	unsigned int nr;
	struct xpv_range r[];
};

/**
 * struct xpv_dma - what the DMA path reads on every map
 * @map:            the premapped pfn ranges.  Published with RCU by attach
 *                  and memory hotplug (under the module's state mutex);
 *                  read under rcu_read_lock().
 * @map_end:        one past the highest premapped bus address (for masks).
 *                  Written under the state mutex, read locklessly.
 * @foreign_offset: frame offset of Xen's host-RAM window (query_caps), 0
 *                  when there is none: a grant/foreign frame MFN is then
 *                  reachable at bus frame MFN + @foreign_offset.
 * @pfn_to_gfn:     the backend's P2M.
 * @own_pages:      the backend's run classifier (struct xpv_hv_ops).
 * @bounce:         the bounce pool.
 * @window_maps:    foreign buffers mapped through the window.
 * @foreign_bounced: foreign buffers that went through the bounce pool.
 * @unmapped_bounced: own pages outside the 1:1 map (DAX, ZONE_DEVICE) that
 *                  went through the bounce pool.
 * @refused:        maps refused: a pfn without a frame, or nothing fits.
 *
 * Set at attach before the ops are switched; the counters are atomic and
 * only touched off the direct path.
 */
struct xpv_dma {
	struct xpv_dma_map __rcu *map;
	u64 map_end;
	u64 foreign_offset;
	u64 (*pfn_to_gfn)(unsigned long pfn);
	unsigned long (*own_pages)(unsigned long pfn, unsigned long nr);
	struct xpv_bounce_pool *bounce;
	atomic64_t window_maps;
	atomic64_t foreign_bounced;
	atomic64_t unmapped_bounced;
	atomic64_t refused;
};

extern struct xpv_dma xpv_dma;
extern const struct dma_map_ops xpv_dma_ops;

int xpv_dma_publish(const struct xpv_range *r, unsigned int nr);
void xpv_dma_unpublish(void);

/* RAM ranges the premap covers; a PC has a handful, NUMA hosts a few more. */
#define XPV_MAX_RAM_RANGES	128

/**
 * struct xpv_premap - the 1:1 map of the domain's RAM
 * @ranges:          what is mapped: pfn ranges [start, end), ascending and
 *                   disjoint, kept exactly as each was mapped (boot RAM
 *                   with touching ranges merged, then one entry per
 *                   hotplugged block) so unmap walks repeat the same
 *                   decomposition.
 * @nr:              ranges in use.
 * @max_order:       largest page order to use (caps, maybe lowered).
 * @map_flags:       map_page flags (readable | writeable [| no_ref_cnt]).
 * @batch:           ops per hypercall.
 * @stats:           what the boot premap walk produced.
 * @expected:        the minimum ops/hypercalls for the boot premap
 *                   (computed by a separate method before the walk).
 * @boot_hypercalls: hypercalls the boot premap issued.
 * @hypercalls:      iommu_op hypercalls issued by premap, rollback, unmap
 *                   and hotplug.
 * @hotplug_pages:   pages mapped by memory hotplug and still mapped.
 * @rollback_failed: ops a rollback could not undo.
 * @unmap_failed:    ops an unmap walk could not undo.
 *
 * Only touched at attach, detach and memory hotplug, serialised by the
 * module's state mutex.
 */
struct xpv_premap {
	struct xpv_range ranges[XPV_MAX_RAM_RANGES];
	unsigned int nr;
	unsigned int max_order;
	unsigned int map_flags;
	unsigned int batch;
	struct xpv_premap_stats stats;
	struct xpv_premap_count expected;
	u64 boot_hypercalls;
	u64 hypercalls;
	u64 hotplug_pages;
	u64 rollback_failed;
	u64 unmap_failed;
};

/**
 * struct xpv_rebuild - what xpv_premap_rebuild() could not do
 * @unmap_failed:   unmap ops that failed.
 * @map_failed:     map ops that failed (pages left without an entry).
 * @stuck:          bfn ranges of the failed unmaps (the first ones).
 * @nr_stuck:       entries in @stuck.
 * @stuck_overflow: more unmaps failed than @stuck holds.
 */
struct xpv_rebuild {
	u64 unmap_failed;
	u64 map_failed;
	struct xpv_range stuck[16];
	unsigned int nr_stuck;
	bool stuck_overflow;
};

int xpv_premap_collect(struct xpv_premap *pm);
void xpv_premap_live_view(struct xpv_p2m_overlay *o, struct xpv_hv *hv,
			  const struct xpv_p2m_change *changes,
			  unsigned int nr);
int xpv_premap_rebuild(struct xpv_premap *pm, struct xpv_hv *hv,
		       const struct xpv_range *blocks, unsigned int nr,
		       struct xpv_p2m_overlay *before,
		       struct xpv_p2m_overlay *after, struct xpv_rebuild *res);
int xpv_premap_expect(struct xpv_premap *pm, struct xpv_hv *hv,
		      const struct xpv_range *r, unsigned int nr,
		      struct xpv_premap_count *out);
int xpv_premap_walk(struct xpv_premap *pm, struct xpv_hv *hv,
		    enum xpv_premap_kind kind, const struct xpv_range *r,
		    unsigned int nr, struct xpv_premap_stats *stats);

/* Balloon hook (balloon.c) and what it calls (main.c). */
int xpv_balloon_hook_add(void);
void xpv_balloon_hook_del(void);
long xpv_resv_decrease(unsigned long *gfns, unsigned int count);
long xpv_resv_populate(unsigned long *pfns, unsigned int count);

#endif /* XPV_PVIOMMU_H */
