/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * model.h - the stub hypervisor's model of Xen and of the calling domain.
 *
 * Pure logic: no kernel services.  Memory comes from a tiny environment
 * (struct hvs_env), text goes out through a callback (struct hvs_out), so
 * the same model.c is built into xen_hvstub.ko and into the userspace unit
 * tests.  Frames are abstract numbers; the caller is a PV domain, so its
 * gfn of a page is the MFN.
 *
 * Locking: none inside.  The owner serialises every call on one model
 * (xen_hvstub: one mutex per modelled calling domain), except
 * hvs_pfn_to_gfn(), which may run concurrently with anything: the P2M words
 * it reads are written with single stores (HVS_WRITE_ONCE, and release
 * stores where a reader follows a pointer).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_HVSTUB_MODEL_H
#define XPV_HVSTUB_MODEL_H

#include <linux/types.h>
#include <xpv/abi/iommu_op.h>
#include <xpv/abi/pmem_op.h>
#include <xpv/hvstub.h>

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <asm/barrier.h>
#define HVS_READ_ONCE(x)	READ_ONCE(x)
#define HVS_WRITE_ONCE(x, v)	WRITE_ONCE(x, v)
/* Pairs with HVS_STORE_RELEASE: what was written before is visible. */
#define HVS_LOAD_ACQUIRE(x)	smp_load_acquire(&(x))
/* Publishes a word after the ones it guards (a grant hash slot's key). */
#define HVS_STORE_RELEASE(x, v)	smp_store_release(&(x), v)
#define HVS_PRINTF(a, b)	__printf(a, b)
#else
#define HVS_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define HVS_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define HVS_LOAD_ACQUIRE(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define HVS_STORE_RELEASE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define HVS_PRINTF(a, b)
#endif

/* An untranslatable frame (XPV_INVALID_GFN in hv.h). */
#define HVS_INVALID		(~0ull)

/**
 * struct hvs_env - services the model needs from its host
 * @zalloc: zeroed memory of @size bytes (any size), NULL on failure.
 * @free:   release memory from @zalloc (NULL is a no-op).
 * @resched: optional; called every few thousand units of work, also inside
 *           an op (xen_hvstub: cond_resched(), its lock still held).
 * @preempt: optional; called between two ops of a hypercall that has done
 *           config.continue_work units of work, right after the IOTLB
 *           flush of a continuation, with the model consistent: the owner
 *           may release its lock there and take it again, so other callers
 *           run in between (as a Xen continuation lets other hypercalls
 *           run).  xen_hvstub: unlock, cond_resched(), lock.
 */
struct hvs_env {
	void *(*zalloc)(size_t size);
	void (*free)(void *ptr);
	void (*resched)(void);
	void (*preempt)(void);
};

/**
 * struct hvs_out - text output sink for the views
 * @emit: printf-like; called once per line or part of a line.
 * @ctx:  passed to @emit.
 */
struct hvs_out {
	HVS_PRINTF(2, 3) void (*emit)(void *ctx, const char *fmt, ...);
	void *ctx;
};

/**
 * struct hvs_config - knobs (all may change at run time through hvs_ctl())
 * @disabled:        every hypercall returns -ENOSYS (Xen without them).
 * @hardware_domain: the caller is the hardware domain (Dom0).
 * @nonhw_enosys:    a non-hardware caller gets -ENOSYS for the whole
 *                   iommu_op hypercall (XenServer); 0: the spec's rules.
 * @has_devices:     a non-hardware caller has IOMMU-controlled devices.
 * @iommu:           the host has an IOMMU (0: no-IOMMU host).
 * @passthrough:     dom0-passthrough: the caller's DMA is untranslated.
 * @strict:          dom0-strict.
 * @map_cap:         Xen offers IOMMUOP_map_page (e.g. the kernel opted in).
 * @map_all_gfns:    Xen lets a non-strict hardware domain map any frame.
 * @max_order:       largest page order (<= HVS_MAX_ORDER).
 * @default_map:     HVS_DEFMAP_*.
 * @window_offset:   BFN - MFN of the window (HVS_DEFMAP_WINDOW), frames.
 * @bfn_bits:        IOMMU input address width in frame-number bits
 *                   (<= HVS_MAX_FRAME_BITS).
 * @mfn_bits:        host frame-number width (frames >= 2^bits don't exist;
 *                   <= HVS_MAX_FRAME_BITS).
 * @pmem_enosys:     the pmem report op returns -ENOSYS.
 * @page_info_size:  bytes of Xen's page_info per pmem frame.
 * @m2p_size:        bytes of M2P per pmem frame (all M2P tables together).
 * @max_records:     live mappings + lookups Xen can hold (then -EIO).
 * @continue_work:   units of work after which a hypercall takes a
 *                   continuation between two ops (hvs_env.preempt).
 *
 * max_order, default_map, window_offset, bfn_bits and mfn_bits are fixed:
 * hvs_ctl() changes them only while no mapping, lookup or unflushed IOTLB
 * entry exists.
 */
struct hvs_config {
	bool disabled;
	bool hardware_domain;
	bool nonhw_enosys;
	bool has_devices;
	bool iommu;
	bool passthrough;
	bool strict;
	bool map_cap;
	bool map_all_gfns;
	unsigned int max_order;
	unsigned int default_map;
	u64 window_offset;
	unsigned int bfn_bits;
	unsigned int mfn_bits;
	bool pmem_enosys;
	unsigned int page_info_size;
	unsigned int m2p_size;
	u64 max_records;
	u64 continue_work;
};

/**
 * struct hvs_layout - the host frames, fixed at creation
 * @dom0_pages: frames of the caller's P2M (pfn 0 .. @dom0_pages - 1).
 * @p2m:        the caller's P2M when given (HVS_P2M_REAL: copied), else
 *              NULL and @p2m_mode builds it.
 * @p2m_mode:   HVS_P2M_*.
 * @p2m_seed:   seed of the scrambled modes.
 * @p2m_shift:  offset of HVS_P2M_SHIFT.
 * @xen_frames: Xen-owned frames at HVS_EXTRA_BASE.
 * @pool_frames: free host frames (foreign domains, populate) after them.
 *
 * The caller's frames are 0 .. span - 1 (span covers every MFN of its
 * P2M); the scratch page, Xen's frames and the pool live at
 * HVS_EXTRA_BASE and above, far from any guest-physical address a real
 * device could use.
 */
struct hvs_layout {
	u64 dom0_pages;
	const u64 *p2m;
	unsigned int p2m_mode;
	u64 p2m_seed;
	u64 p2m_shift;
	u64 xen_frames;
	u64 pool_frames;
};

/* hvs_xlate.src */
#define HVS_XS_NONE		0
#define HVS_XS_DEFAULT		1	/* Xen's default map */
#define HVS_XS_MAPPED		2	/* map_page / map_foreign_page */
#define HVS_XS_SCRATCH		3	/* swapped to the scratch page */
#define HVS_XS_UNTRANSLATED	4	/* no IOMMU or passthrough */

/**
 * struct hvs_xlate - what a device sees at one BFN
 * @mfn:   frame reached (valid unless @src is HVS_XS_NONE).
 * @perm:  IOMMU_OP_readable | IOMMU_OP_writeable.
 * @src:   HVS_XS_*.
 * @stale: stale IOTLB entries also covering the BFN (usable until the
 *         next flush).
 * @zero:  the frame reached is known to hold only zeros (the scratch page
 *         while no device has written to it).
 */
struct hvs_xlate {
	u64 mfn;
	unsigned int perm;
	unsigned int src;
	unsigned int stale;
	bool zero;
};

/**
 * struct hvs_frame_info - one host frame
 * @owner:     domid, HVS_DOMID_XEN, HVS_DOMID_FREE or HVS_DOMID_IO.
 * @allocated: in its owner's P2M (else free or held only by references).
 * @gfn:       its gfn in the owner's P2M, or HVS_INVALID.
 * @refs:      page references held by IOMMU mappings, lookups and grant
 *             mappings.
 * @wrefs:     writable type references among them.
 * @pinned:    pinned as a PV page table.
 * @gen:       bumped at every change of owner.
 */
struct hvs_frame_info {
	unsigned int owner;
	bool allocated;
	u64 gfn;
	u32 refs;
	u32 wrefs;
	bool pinned;
	u32 gen;
};

/* hvs_mapping.kind */
#define HVS_KIND_SELF		0	/* map_page */
#define HVS_KIND_FOREIGN	1	/* map_foreign_page */
#define HVS_KIND_LOOKUP		2	/* lookup_foreign_page M2B entry */

/* hvs_mapping.refkind: what the mapping holds on each frame. */
#define HVS_REF_NONE		0
#define HVS_REF_RO		1	/* one page reference */
#define HVS_REF_RW		2	/* page reference + writable type ref */

/**
 * struct hvs_mapping - one live mapping or lookup, for dumps and tests
 * @bfn:      first bus frame.
 * @mfn:      first machine frame (the scratch page once swapped).
 * @gfn:      first gfn in @domid's P2M at map time.
 * @order:    page order.
 * @kind:     HVS_KIND_*.
 * @perm:     IOMMU_OP_readable | IOMMU_OP_writeable.
 * @refkind:  HVS_REF_*.
 * @domid:    owner of the frame at map time.
 * @ioserver: ioreq server (foreign and lookup only).
 * @swap:     mapped with IOMMU_OP_swap_mfn.
 * @swapped:  swapped to the scratch page after a balloon-out.
 */
struct hvs_mapping {
	u64 bfn;
	u64 mfn;
	u64 gfn;
	unsigned int order;
	unsigned int kind;
	unsigned int perm;
	unsigned int refkind;
	unsigned int domid;
	unsigned int ioserver;
	bool swap;
	bool swapped;
};

/**
 * struct hvs_totals - ledger compared with the baseline by the audit
 * @recs_self:    map_page mappings.
 * @recs_foreign: map_foreign_page mappings.
 * @recs_lookup:  lookup_foreign_page M2B entries.
 * @refs:         page references held by all of them.
 * @wrefs:        writable type references among them.
 * @zombies:      frames no longer in any P2M, kept alive by references.
 * @stale:        IOTLB entries not yet flushed.
 * @grants:       grant mappings of foreign frames into the caller's pfns.
 */
struct hvs_totals {
	u64 recs_self;
	u64 recs_foreign;
	u64 recs_lookup;
	u64 refs;
	u64 wrefs;
	u64 zombies;
	u64 stale;
	u64 grants;
};

/* Views for hvs_show(). */
#define HVS_VIEW_CONFIG		0
#define HVS_VIEW_COUNTERS	1
#define HVS_VIEW_NOTIFY		2
#define HVS_VIEW_PMEM		3
#define HVS_VIEW_DOMAINS	4
#define HVS_VIEW_FAULTS		5
#define HVS_VIEW_GRANTS		6
#define HVS_VIEW_NR		7

/* Trees for hvs_tree_depth(). */
#define HVS_TREE_TABLE		0	/* the IOMMU table */
#define HVS_TREE_LOOKUPS	1	/* lookup_foreign_page M2B entries */
#define HVS_TREE_HOLES		2	/* displaced default-map ranges */
#define HVS_TREE_GRANTS		3	/* grant mappings by pfn */
#define HVS_TREE_NR		4

struct hvs_model;

void hvs_config_default(struct hvs_config *cfg);
struct hvs_model *hvs_model_create(const struct hvs_env *env,
				   const struct hvs_config *cfg,
				   const struct hvs_layout *lay, int *err);
void hvs_model_destroy(struct hvs_model *m);

long hvs_iommu_op(struct hvs_model *m, struct pv_iommu_op *ops,
		  unsigned int count, unsigned int readable);
long hvs_pmem_add(struct hvs_model *m, const struct xpv_xenpf_pmem_add *op);
long hvs_reservation(struct hvs_model *m, unsigned int op,
		     unsigned long *frames, unsigned int count);
u64 hvs_pfn_to_gfn(const struct hvs_model *m, u64 pfn);
u64 hvs_own_pages(const struct hvs_model *m, u64 pfn, u64 nr);
int hvs_p2m_set(struct hvs_model *m, u64 pfn, u64 gfn);
int hvs_grant_map(struct hvs_model *m, unsigned int domid, u64 gfn, u64 pfn);
int hvs_grant_unmap(struct hvs_model *m, u64 pfn);
int hvs_dma_write(struct hvs_model *m, u64 bfn);

int hvs_ctl(struct hvs_model *m, const char *line, size_t len);
void hvs_show(struct hvs_model *m, unsigned int view,
	      const struct hvs_out *out);
unsigned int hvs_audit(struct hvs_model *m, const struct hvs_out *out);
int hvs_mapping_get(struct hvs_model *m, u64 idx, struct hvs_mapping *out);
void hvs_mapping_show(const struct hvs_mapping *mp,
		      const struct hvs_out *out);

int hvs_translate(struct hvs_model *m, u64 bfn, struct hvs_xlate *x);
int hvs_frame_get(struct hvs_model *m, u64 mfn, struct hvs_frame_info *fi);
void hvs_totals_get(struct hvs_model *m, struct hvs_totals *t);
const struct hvs_config *hvs_config_get(const struct hvs_model *m);
int hvs_notify_pop(struct hvs_model *m, unsigned int domid,
		   unsigned int ioserver, u64 *bfn);
u64 hvs_counter(struct hvs_model *m, const char *name);
u64 hvs_scratch_mfn(const struct hvs_model *m);
unsigned int hvs_tree_depth(struct hvs_model *m, unsigned int tree);

/* Below the hypercall: single ops without the flush (wrong-caller tests). */
int hvs_op_one(struct hvs_model *m, struct pv_iommu_op *op);
void hvs_flush(struct hvs_model *m);

#endif /* XPV_HVSTUB_MODEL_H */
