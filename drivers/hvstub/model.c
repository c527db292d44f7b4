// SPDX-License-Identifier: GPL-2.0-only
/*
 * model.c - the stub hypervisor's model: Xen's side of the PV-IOMMU
 * hypercall (draft B) and of the pmem report op (vNVDIMM design v2
 * section 4.2.2), on a model of the calling PV domain and of the host.
 *
 * Written from the specification (Documentation/hvstub.rst lists every
 * decision where the specification is silent).  Pure logic, compiled
 * unchanged in userspace (tests/unit/test_hvstub_model.c).
 *
 * State, all owned by struct hvs_model and serialised by its owner:
 *  - frames: one struct hvs_frame per host frame the model manages (the
 *    caller's RAM, Xen's frames, the scratch page, the free pool);
 *  - the caller's and every foreign domain's P2M (gfn -> mfn); the
 *    caller's is the guest's own (it writes it: hvs_p2m_set()), with grant
 *    mappings of foreign frames in it and, beyond its RAM, in a hash;
 *  - the IOMMU table: a treap of explicit mappings keyed by BFN, on top of
 *    Xen's default map (a function of the frame owners) minus the BFNs an
 *    explicit mapping ever displaced;
 *  - lookups: M2B entries made by lookup_foreign_page, keyed (bfn, ios);
 *  - M2B: a hash from MFN to every mapping and lookup of that frame;
 *  - the lazy IOTLB: entries changed since the last flush, with the page
 *    references they still pin (dropped only at the flush);
 *  - ledgers, counters, fault injection and the audit's logs.
 *
 * Every loop whose length a caller controls is bounded by the model's
 * size or calls hvs_work(), which reschedules; a long hypercall takes
 * continuations between ops (flush, then the owner may drop its lock).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include "model.h"

#define HVS_ULL(x)		((unsigned long long)(x))
#define HVS_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define HVS_MAX_DOMAINS		16
#define HVS_MAX_IOSERVERS	8
#define HVS_NOTIFY_RING		256	/* buffered ioreq ring slots */
#define HVS_MAX_RANGES		16
#define HVS_MAX_PMEM		64
#define HVS_LOG_MAX		16
#define HVS_YIELD_WORK		4096
#define HVS_AUDIT_LINES		32
/* Grants of pfns beyond the caller's RAM: hash slots, at most half used. */
#define HVS_GSLOTS		16384
#define HVS_CONTINUE_WORK	0x800000ull	/* units of work */

/* struct hvs_frame.flags */
#define HVS_FRAME_ALLOCATED	0x1	/* in its owner's P2M */
#define HVS_FRAME_PINNED	0x2	/* PV page table */
#define HVS_FRAME_SCRATCH	0x4

/* struct hvs_rec.flags */
#define HVS_REC_SWAP		0x1
#define HVS_REC_SWAPPED		0x2

/* Caller errors: refused requests that show a bug in the caller. */
enum {
	HVS_CE_RESERVED,	/* reserved flag bit or field not zero */
	HVS_CE_XEN_FRAME,	/* map of a Xen-owned or pmem-reserved frame */
	HVS_CE_RMRR,		/* BFN inside an RMRR */
	HVS_CE_PRIV,		/* no privilege (foreign domid, no_ref_cnt) */
	HVS_CE_NOT_OWNER,	/* map_page of a frame not the caller's */
	HVS_CE_NR
};

static const char *const hvs_ce_names[HVS_CE_NR] = {
	"reserved", "xen_frame", "rmrr", "privilege", "not_owner",
};

/* Violation events (sticky until clear_errors). */
enum {
	HVS_VE_FREED_MAPPED,	/* frame freed while an IOMMU entry maps it */
	HVS_VE_FREED_STALE,	/* frame freed while a stale IOTLB entry has it */
	HVS_VE_UNDERFLOW,	/* reference count underflow (model bug) */
	HVS_VE_SCRATCH,		/* a device wrote to the scratch page */
	HVS_VE_NR
};

static const char *const hvs_ve_names[HVS_VE_NR] = {
	"freed_while_mapped", "freed_while_in_iotlb", "refcount_underflow",
	"scratch_written",
};

/* Counters, in the order the counters view prints them. */
enum {
	HVS_C_HYPERCALLS, HVS_C_HC_OK, HVS_C_HC_EFAULT, HVS_C_HC_EINVAL,
	HVS_C_HC_ENOSYS, HVS_C_HC_INJECTED, HVS_C_OPS, HVS_C_OP_FAULTS,
	HVS_C_FLUSHES, HVS_C_FLUSHES_SKIPPED, HVS_C_PREEMPTIONS,
	HVS_C_CONTINUATIONS, HVS_C_CONT_WORK, HVS_C_TABLE_WRITES,
	HVS_C_PTE_WRITES, HVS_C_SWAPS, HVS_C_NOTIFICATIONS,
	HVS_C_NOTIFY_SYNC, HVS_C_NOTIFY_LOST,
	HVS_C_BALLOON_OUT, HVS_C_POPULATE, HVS_C_FRAMES_FREED,
	HVS_C_RESV_DECREASE, HVS_C_RESV_DECREASE_FRAMES,
	HVS_C_RESV_POPULATE, HVS_C_RESV_POPULATE_FRAMES,
	HVS_C_P2M_SETS, HVS_C_GRANT_MAPS, HVS_C_GRANT_UNMAPS,
	HVS_C_DMA_WRITES,
	HVS_C_PMEM_CALLS, HVS_C_PMEM_OK, HVS_C_PMEM_IDENTICAL,
	HVS_C_PMEM_EINVAL, HVS_C_PMEM_EEXIST, HVS_C_PMEM_ENOSPC,
	HVS_C_PMEM_EPERM, HVS_C_PMEM_ENOSYS, HVS_C_PMEM_OTHER,
	HVS_C_PMEM_REVOKED,
	HVS_C_NR
};

static const char *const hvs_c_names[HVS_C_NR] = {
	"hypercalls", "hc_ok", "hc_efault", "hc_einval",
	"hc_enosys", "hc_injected", "ops", "op_faults",
	"flushes", "flushes_skipped", "preemptions",
	"continuations", "continuations_work", "table_writes",
	"pte_writes", "swaps", "notifications",
	"notify_sync", "notify_lost",
	"balloon_out", "populate", "frames_freed",
	"resv_decrease", "resv_decrease_frames",
	"resv_populate", "resv_populate_frames",
	"p2m_sets", "grant_maps", "grant_unmaps",
	"dma_writes",
	"pmem_calls", "pmem_ok", "pmem_identical",
	"pmem_einval", "pmem_eexist", "pmem_enospc",
	"pmem_eperm", "pmem_enosys", "pmem_other",
	"pmem_revoked",
};

/* Subops 1..6; 0 counts unknown subop ids. */
#define HVS_NR_SUBOPS		7
static const char *const hvs_subop_names[HVS_NR_SUBOPS] = {
	"unknown", "query_caps", "map_page", "unmap_page",
	"map_foreign_page", "lookup_foreign_page", "unmap_foreign_page",
};

/* Per-op statuses the specification lists; the last bucket is "other". */
#define HVS_NR_STATUS		9
static const int hvs_status_val[HVS_NR_STATUS - 1] = {
	0, -EIO, -EPERM, -EACCES, -ENOSPC, -ENOENT, -ENODEV, -ENXIO,
};

static const char *const hvs_status_names[HVS_NR_STATUS] = {
	"ok", "eio", "eperm", "eacces", "enospc", "enoent", "enodev",
	"enxio", "other",
};

struct hvs_tnode {
	struct hvs_tnode *l;
	struct hvs_tnode *r;
	u64 key;
	u32 prio;
	u32 size;
};

struct hvs_frame {
	u64 gfn;		/* M2P: gfn in the owner's P2M */
	u32 refs;		/* references held by mappings and lookups */
	u32 wrefs;		/* writable type references among them */
	u32 gen;		/* bumped at every change of owner */
	u16 owner;		/* domid, HVS_DOMID_XEN or HVS_DOMID_FREE */
	u16 flags;		/* HVS_FRAME_* */
};

struct hvs_rec {
	struct hvs_tnode node;	/* table (key bfn) or lookups (key bfn, ios) */
	struct hvs_rec *m2b_next;	/* M2B chain (O(1) removal: the */
	struct hvs_rec **m2b_pprev;	/* link pointing here, NULL: out) */
	u64 bfn;
	u64 mfn;
	u64 gfn;
	u16 domid;		/* owner of the frames at map time */
	u16 ioserver;
	u8 kind;		/* HVS_KIND_* */
	u8 order;
	u8 perm;		/* IOMMU_OP_readable | IOMMU_OP_writeable */
	u8 refkind;		/* HVS_REF_* */
	u8 flags;		/* HVS_REC_* */
};

/* An IOTLB entry that changed since the last flush. */
struct hvs_stale {
	u64 bfn;
	u64 mfn;
	u8 order;
	u8 refkind;		/* references dropped at the flush */
	u8 from_default;	/* Xen's default entry, holds nothing */
	u8 kind;
};

/* A displaced range of Xen's default map: [node.key, end). */
struct hvs_hole {
	struct hvs_tnode node;
	u64 end;
};

/*
 * An ioreq server's pending invalidates, oldest first: the buffered ring
 * (at most HVS_NOTIFY_RING), then the synchronous requests Xen issued when
 * the ring was full (@sync, in order).  Every entry of @sync is newer than
 * every entry of @ring, and @sync is empty while @ring has room.
 */
struct hvs_ioserver {
	bool used;
	bool live;
	u16 id;
	u64 nr_recs;
	u64 ring[HVS_NOTIFY_RING];
	u32 head;
	u32 count;
	u64 *sync;		/* sync[sync_head .. sync_head + sync_n) */
	u64 sync_head;
	u64 sync_n;
	u64 sync_cap;
	u64 lost;		/* pending ones dropped when it was destroyed */
	u64 total;
	u64 nr_sync;		/* delivered as synchronous requests */
};

struct hvs_domain {
	u16 domid;
	bool dying;
	bool target;		/* a non-hardware caller is its device model */
	u64 nr_pages;
	u64 *p2m;		/* gfn -> mfn, HVS_INVALID when not populated */
	u64 *p2m_orig;		/* frames it was built with (populate prefers) */
	u64 nr_frames;		/* frames it owns, allocated or not */
	u64 nr_recs;		/* mappings and lookups of its frames */
	struct hvs_ioserver ios[HVS_MAX_IOSERVERS];
};

struct hvs_range {
	u64 start;
	u64 nr;
};

/* A foreign frame grant-mapped at one of the caller's pfns. */
struct hvs_grant {
	struct hvs_tnode node;	/* key: the pfn */
	u64 mfn;
	u64 gfn;		/* in @domid's P2M */
	u16 domid;
};

/*
 * The caller's P2M beyond its RAM (identity) holds grant mappings in an
 * open-addressed hash read without a lock: a slot's @pfn is published (a
 * release store) after its @val and never changes again, so a reader
 * probing from the pfn's hash either finds it or reaches an empty slot.
 * @val is the P2M entry (HVS_INVALID: no grant, identity) in one word.
 */
struct hvs_gslot {
	u64 pfn;		/* HVS_INVALID: empty */
	u64 val;
};

struct hvs_celog {
	u8 type;
	u8 subop;
	u16 domid;
	u64 bfn;
	u64 frame;
};

struct hvs_velog {
	u8 type;
	u64 mfn;
	u64 bfn;
};

struct hvs_fault {
	bool op_armed;
	u32 op_index;
	int op_errno;
	bool call_armed;
	int call_errno;
	bool flush_skip;
	bool preempt_armed;
	u32 preempt_at;
	bool cont_armed;
	u32 cont_at;
	u32 skip;	/* hypercalls that pass before armed faults apply */
};

struct hvs_model {
	struct hvs_env env;
	struct hvs_config cfg;
	unsigned int p2m_mode;	/* HVS_P2M_* it was built with */

	struct hvs_frame *frames;
	u64 dom0_span;		/* frames 0 .. span - 1 */
	u64 extra_nr;		/* frames HVS_EXTRA_BASE .. + extra_nr - 1 */
	u64 xen_nr;
	u64 scratch_mfn;
	bool scratch_dirty;	/* a device wrote to the scratch page */
	u64 pool_start;
	u64 pool_nr;
	u64 pool_hint;		/* no free pool frame below pool_start + hint */
	u64 work;		/* since the last yield */
	u64 hc_work;		/* since the hypercall's last continuation */
	u64 prio_state;		/* treap priorities (seeded PRNG) */

	struct hvs_domain *dom0;
	struct hvs_domain *doms[HVS_MAX_DOMAINS];

	struct hvs_range xen[HVS_MAX_RANGES];
	unsigned int nr_xen;
	struct hvs_range rmrr[HVS_MAX_RANGES];
	unsigned int nr_rmrr;
	struct xpv_xenpf_pmem_add pmem[HVS_MAX_PMEM];
	unsigned int nr_pmem;

	struct hvs_tnode *table;
	struct hvs_tnode *lookups;
	struct hvs_tnode *holes;
	struct hvs_tnode *grants;
	u64 nr_grants;
	struct hvs_gslot *gslots;	/* NULL until the first one is needed */
	u64 gslots_used;
	struct hvs_rec **m2b;
	u64 m2b_mask;
	u64 m2b_count;
	u64 m2b_order_cnt[HVS_MAX_ORDER + 1];
	u64 nr_self;
	u64 nr_foreign;
	u64 nr_lookup;

	struct hvs_stale *stale;
	u64 nr_stale;
	u64 cap_stale;
	bool in_hypercall;

	struct hvs_fault fault;
	u64 cnt[HVS_C_NR];
	u64 subop_cnt[HVS_NR_SUBOPS];
	u64 status_cnt[HVS_NR_SUBOPS][HVS_NR_STATUS];

	struct hvs_totals baseline;
	u64 ce_cnt[HVS_CE_NR];
	struct hvs_celog ce_log[HVS_LOG_MAX];
	u64 ce_total;
	u64 ve_cnt[HVS_VE_NR];
	struct hvs_velog ve_log[HVS_LOG_MAX];
	u64 ve_total;
};

/* ---- small helpers -------------------------------------------------- */

static u64 hvs_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static u64 hvs_rand(u64 *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	return hvs_mix64(*state);
}

static void *hvs_zalloc(struct hvs_model *m, size_t size)
{
	return m->env.zalloc(size);
}

static void hvs_free(struct hvs_model *m, void *p)
{
	if (p)
		m->env.free(p);
}

/* Account @units of work; reschedule every HVS_YIELD_WORK of them. */
static void hvs_work(struct hvs_model *m, u64 units)
{
	m->work += units;
	m->hc_work += units;
	if (m->work >= HVS_YIELD_WORK) {
		m->work = 0;
		if (m->env.resched)
			m->env.resched();
	}
}

static bool hvs_overlap(u64 a, u64 an, u64 b, u64 bn)
{
	return a < b + bn && b < a + an;
}

/* [start, start + nr) lies below 2^bits (nr >= 1). */
static bool hvs_fits(u64 start, u64 nr, unsigned int bits)
{
	u64 lim = bits >= 64 ? ~0ull : (1ull << bits);

	return start < lim && nr <= lim - start;
}

static bool hvs_is_domid(unsigned int owner)
{
	return owner <= HVS_DOMID_MAX;
}

/*
 * ---- treap: ordered sets keyed by u64, with subtree sizes -------------
 *
 * Priorities come from the model's seeded PRNG, not from the keys, so no
 * choice of keys shapes the tree (expected depth O(log n)), and every
 * operation is iterative: a degenerate tree could cost time, never stack.
 */

static u32 hvs_tsize(const struct hvs_tnode *t)
{
	return t ? t->size : 0;
}

/* Keys of @t below @key. */
static u32 hvs_trank(const struct hvs_tnode *t, u64 key)
{
	u32 r = 0;

	while (t) {
		if (t->key < key) {
			r += 1 + hvs_tsize(t->l);
			t = t->r;
		} else {
			t = t->l;
		}
	}
	return r;
}

/* @a gets the keys < @key, @b the others. */
static void hvs_tsplit(struct hvs_tnode *t, u64 key, struct hvs_tnode **a,
		       struct hvs_tnode **b)
{
	struct hvs_tnode **la = a, **lb = b;
	u32 left = hvs_trank(t, key);	/* keys < @key below t */

	while (t) {
		if (t->key < key) {
			/* t and its left subtree go left; split its right. */
			t->size = left;
			*la = t;
			la = &t->r;
			left -= 1 + hvs_tsize(t->l);
			t = t->r;
		} else {
			t->size -= left;
			*lb = t;
			lb = &t->l;
			t = t->l;
		}
	}
	*la = NULL;
	*lb = NULL;
}

/* Join @a and @b; every key of @a is below every key of @b. */
static struct hvs_tnode *hvs_tmerge(struct hvs_tnode *a, struct hvs_tnode *b)
{
	struct hvs_tnode *root = NULL, **link = &root;

	while (a && b) {
		u32 size = a->size + b->size;

		if (a->prio > b->prio) {
			a->size = size;
			*link = a;
			link = &a->r;
			a = a->r;
		} else {
			b->size = size;
			*link = b;
			link = &b->l;
			b = b->l;
		}
	}
	*link = a ? a : b;
	return root;
}

/* Insert @n (its key must not be in the set). */
static void hvs_tinsert(struct hvs_model *m, struct hvs_tnode **root,
			struct hvs_tnode *n)
{
	struct hvs_tnode *a, *b;

	n->l = NULL;
	n->r = NULL;
	n->size = 1;
	n->prio = (u32)(hvs_rand(&m->prio_state) >> 32);
	hvs_tsplit(*root, n->key, &a, &b);
	*root = hvs_tmerge(hvs_tmerge(a, n), b);
}

/* Remove and return the node with @key (NULL if absent). */
static struct hvs_tnode *hvs_terase(struct hvs_tnode **root, u64 key)
{
	struct hvs_tnode *a, *b, *c;

	hvs_tsplit(*root, key, &a, &b);
	c = NULL;
	if (key != ~0ull)
		hvs_tsplit(b, key + 1, &b, &c);
	*root = hvs_tmerge(a, c);
	if (b) {
		b->l = NULL;
		b->r = NULL;
		b->size = 1;
	}
	return b;
}

static struct hvs_tnode *hvs_tfind_le(struct hvs_tnode *t, u64 key)
{
	struct hvs_tnode *best = NULL;

	while (t) {
		if (t->key <= key) {
			best = t;
			t = t->r;
		} else {
			t = t->l;
		}
	}
	return best;
}

static struct hvs_tnode *hvs_tfind_ge(struct hvs_tnode *t, u64 key)
{
	struct hvs_tnode *best = NULL;

	while (t) {
		if (t->key >= key) {
			best = t;
			t = t->l;
		} else {
			t = t->r;
		}
	}
	return best;
}

static struct hvs_tnode *hvs_tfind(struct hvs_tnode *t, u64 key)
{
	t = hvs_tfind_le(t, key);
	return t && t->key == key ? t : NULL;
}

static struct hvs_tnode *hvs_tnext(struct hvs_tnode *root,
				   const struct hvs_tnode *n)
{
	return n->key == ~0ull ? NULL : hvs_tfind_ge(root, n->key + 1);
}

static struct hvs_tnode *hvs_tnth(struct hvs_tnode *t, u64 idx)
{
	while (t) {
		u64 ls = hvs_tsize(t->l);

		if (idx == ls)
			return t;
		if (idx < ls) {
			t = t->l;
		} else {
			idx -= ls + 1;
			t = t->r;
		}
	}
	return NULL;
}

static struct hvs_rec *hvs_rec_of(struct hvs_tnode *n)
{
	return n ? (struct hvs_rec *)((char *)n -
				      __builtin_offsetof(struct hvs_rec, node))
		 : NULL;
}

static struct hvs_hole *hvs_hole_of(struct hvs_tnode *n)
{
	return n ? (struct hvs_hole *)((char *)n -
				       __builtin_offsetof(struct hvs_hole, node))
		 : NULL;
}

static u64 hvs_rec_pages(const struct hvs_rec *r)
{
	return 1ull << r->order;
}

static struct hvs_grant *hvs_grant_of(struct hvs_tnode *n)
{
	return n ? (struct hvs_grant *)((char *)n -
					__builtin_offsetof(struct hvs_grant, node))
		 : NULL;
}

/*
 * Lookups are keyed (BFN, ioserver) in one u64: a lookup's BFN is an MFN
 * (< 2^mfn_bits), a window BFN or a mapping's BFN (< 2^bfn_bits), both
 * at most 2^HVS_MAX_FRAME_BITS, so the key cannot overflow.
 */
static u64 hvs_lookup_key(u64 bfn, unsigned int ios)
{
	return (bfn << 16) | (ios & 0xffff);
}

/* No lookup can exist at @bfn (its key would not fit). */
static bool hvs_lookup_bfn_invalid(u64 bfn)
{
	return bfn >= (1ull << HVS_MAX_FRAME_BITS);
}

/* ---- frames and ranges ---------------------------------------------- */

static struct hvs_frame *hvs_frame(struct hvs_model *m, u64 mfn)
{
	if (mfn < m->dom0_span)
		return &m->frames[mfn];
	if (mfn >= HVS_EXTRA_BASE && mfn - HVS_EXTRA_BASE < m->extra_nr)
		return &m->frames[m->dom0_span + (mfn - HVS_EXTRA_BASE)];
	return NULL;
}

static u64 hvs_frame_mfn(struct hvs_model *m, u64 idx)
{
	return idx < m->dom0_span ? idx : HVS_EXTRA_BASE + (idx - m->dom0_span);
}

static u64 hvs_nr_frames(struct hvs_model *m)
{
	return m->dom0_span + m->extra_nr;
}

/*
 * The managed frames in [mfn, mfn + *n), if @mfn is one: return true and
 * shorten *n to the managed run starting at @mfn.  Else return false and
 * shorten *n to the unmanaged run before the next managed frame.
 */
static bool hvs_managed_run(struct hvs_model *m, u64 mfn, u64 *n)
{
	u64 end = HVS_EXTRA_BASE + m->extra_nr, lim;

	if (mfn < m->dom0_span) {
		lim = m->dom0_span - mfn;
	} else if (mfn >= HVS_EXTRA_BASE && mfn < end) {
		lim = end - mfn;
	} else {
		if (mfn < HVS_EXTRA_BASE)
			lim = HVS_EXTRA_BASE - mfn;
		else
			lim = ~0ull;
		if (*n > lim)
			*n = lim;
		return false;
	}
	if (*n > lim)
		*n = lim;
	return true;
}

static bool hvs_in_ranges(const struct hvs_range *r, unsigned int nr,
			  u64 start, u64 n)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (hvs_overlap(start, n, r[i].start, r[i].nr))
			return true;
	return false;
}

/* Reserved area of an accepted pmem report: Xen's, denied to the caller. */
static bool hvs_pmem_denied(struct hvs_model *m, u64 mfn)
{
	unsigned int i;

	for (i = 0; i < m->nr_pmem; i++)
		if (mfn >= m->pmem[i].rsv_spfn && mfn < m->pmem[i].rsv_epfn)
			return true;
	return false;
}

static bool hvs_xen_owned(struct hvs_model *m, u64 mfn)
{
	struct hvs_frame *f = hvs_frame(m, mfn);

	if (f)
		return f->owner == HVS_DOMID_XEN;
	return hvs_in_ranges(m->xen, m->nr_xen, mfn, 1) ||
	       hvs_pmem_denied(m, mfn);
}

/* Xen's (its own, or an accepted pmem report's reserved area). */
static bool hvs_denied(struct hvs_model *m, u64 mfn)
{
	return hvs_xen_owned(m, mfn) || hvs_pmem_denied(m, mfn);
}

/*
 * The first frame in [start, start + n) of an unmanaged run that is Xen's
 * (a Xen range or a pmem reserved area), or HVS_INVALID.  O(ranges).
 */
static u64 hvs_first_denied(struct hvs_model *m, u64 start, u64 n)
{
	u64 best = HVS_INVALID, s;
	unsigned int i;

	for (i = 0; i < m->nr_xen; i++) {
		if (!hvs_overlap(start, n, m->xen[i].start, m->xen[i].nr))
			continue;
		s = m->xen[i].start > start ? m->xen[i].start : start;
		if (s < best)
			best = s;
	}
	for (i = 0; i < m->nr_pmem; i++) {
		const struct xpv_xenpf_pmem_add *r = &m->pmem[i];

		if (!hvs_overlap(start, n, r->rsv_spfn,
				 r->rsv_epfn - r->rsv_spfn))
			continue;
		s = r->rsv_spfn > start ? r->rsv_spfn : start;
		if (s < best)
			best = s;
	}
	return best;
}

static struct hvs_domain *hvs_domain(struct hvs_model *m, unsigned int domid)
{
	unsigned int i;

	if (domid == 0)
		return m->dom0;
	for (i = 0; i < HVS_MAX_DOMAINS; i++)
		if (m->doms[i] && m->doms[i]->domid == domid)
			return m->doms[i];
	return NULL;
}

static struct hvs_ioserver *hvs_ioserver(struct hvs_domain *d,
					 unsigned int id)
{
	unsigned int i;

	if (!d)
		return NULL;
	for (i = 0; i < HVS_MAX_IOSERVERS; i++)
		if (d->ios[i].used && d->ios[i].id == id)
			return &d->ios[i];
	return NULL;
}

/* The ioserver a record belongs to (destroyed ones included). */
static struct hvs_ioserver *hvs_rec_ioserver(struct hvs_model *m,
					     const struct hvs_rec *r)
{
	if (r->kind == HVS_KIND_SELF)
		return NULL;
	return hvs_ioserver(hvs_domain(m, r->domid), r->ioserver);
}

/* ---- capabilities and privilege -------------------------------------- */

static bool hvs_nonstrict_hw(const struct hvs_model *m)
{
	return m->cfg.hardware_domain && !m->cfg.strict;
}

static bool hvs_untranslated(const struct hvs_model *m)
{
	return !m->cfg.iommu || m->cfg.passthrough;
}

static bool hvs_map_cap(const struct hvs_model *m)
{
	const struct hvs_config *c = &m->cfg;

	return c->map_cap && c->iommu && !c->passthrough &&
	       (c->hardware_domain || c->has_devices);
}

static bool hvs_map_all(const struct hvs_model *m)
{
	return hvs_map_cap(m) && m->cfg.map_all_gfns && hvs_nonstrict_hw(m);
}

static bool hvs_privileged(const struct hvs_model *m,
			   const struct hvs_domain *d)
{
	return m->cfg.hardware_domain || d->target;
}

/* ---- logs ------------------------------------------------------------ */

static void hvs_caller_error(struct hvs_model *m, unsigned int type,
			     unsigned int subop, unsigned int domid, u64 bfn,
			     u64 frame)
{
	struct hvs_celog *e = &m->ce_log[m->ce_total % HVS_LOG_MAX];

	m->ce_cnt[type]++;
	m->ce_total++;
	e->type = type;
	e->subop = subop;
	e->domid = domid;
	e->bfn = bfn;
	e->frame = frame;
}

static void hvs_violation(struct hvs_model *m, unsigned int type, u64 mfn,
			  u64 bfn)
{
	struct hvs_velog *e = &m->ve_log[m->ve_total % HVS_LOG_MAX];

	m->ve_cnt[type]++;
	m->ve_total++;
	e->type = type;
	e->mfn = mfn;
	e->bfn = bfn;
}

/* ---- M2B ------------------------------------------------------------- */

static u64 hvs_m2b_bucket(const struct hvs_model *m, u64 mfn)
{
	return hvs_mix64(mfn) & m->m2b_mask;
}

static void hvs_m2b_grow(struct hvs_model *m)
{
	u64 nb = (m->m2b_mask + 1) * 2, i;
	struct hvs_rec **nt;

	if (nb > (1ull << 24))
		return;
	nt = hvs_zalloc(m, nb * sizeof(*nt));
	if (!nt)
		return;		/* chains just get longer */
	for (i = 0; i <= m->m2b_mask; i++) {
		struct hvs_rec *r = m->m2b[i], *next;

		for (; r; r = next) {
			u64 b = hvs_mix64(r->mfn) & (nb - 1);

			next = r->m2b_next;
			r->m2b_next = nt[b];
			if (nt[b])
				nt[b]->m2b_pprev = &r->m2b_next;
			nt[b] = r;
			r->m2b_pprev = &nt[b];
		}
		hvs_work(m, 1);
	}
	hvs_free(m, m->m2b);
	m->m2b = nt;
	m->m2b_mask = nb - 1;
}

static void hvs_m2b_add(struct hvs_model *m, struct hvs_rec *r)
{
	u64 b;

	if (m->m2b_count >= 2 * (m->m2b_mask + 1))
		hvs_m2b_grow(m);
	b = hvs_m2b_bucket(m, r->mfn);
	r->m2b_next = m->m2b[b];
	if (r->m2b_next)
		r->m2b_next->m2b_pprev = &r->m2b_next;
	m->m2b[b] = r;
	r->m2b_pprev = &m->m2b[b];
	m->m2b_count++;
	m->m2b_order_cnt[r->order]++;
}

/* O(1), however many entries share the frame (one frame, many BFNs). */
static void hvs_m2b_del(struct hvs_model *m, struct hvs_rec *r)
{
	if (!r->m2b_pprev)
		return;
	*r->m2b_pprev = r->m2b_next;
	if (r->m2b_next)
		r->m2b_next->m2b_pprev = r->m2b_pprev;
	r->m2b_next = NULL;
	r->m2b_pprev = NULL;
	m->m2b_count--;
	m->m2b_order_cnt[r->order]--;
}

/*
 * Call @fn for every M2B entry (mapping or lookup, not swapped) whose
 * frames include @mfn; stops when @fn returns true (a NULL @fn matches
 * the first entry).  Return: that record.
 */
static struct hvs_rec *hvs_m2b_find(struct hvs_model *m, u64 mfn,
				    bool (*fn)(struct hvs_rec *r, void *arg),
				    void *arg)
{
	unsigned int o;

	for (o = 0; o <= HVS_MAX_ORDER; o++) {
		u64 base = mfn & ~((1ull << o) - 1), seen = 0;
		struct hvs_rec *r;

		if (!m->m2b_order_cnt[o])
			continue;
		/* A frame mapped at many BFNs makes a long chain: count it. */
		for (r = m->m2b[hvs_m2b_bucket(m, base)]; r; r = r->m2b_next) {
			seen++;
			if (r->mfn == base && r->order == o &&
			    (!fn || fn(r, arg))) {
				hvs_work(m, seen);
				return r;
			}
		}
		hvs_work(m, seen);
	}
	return NULL;
}

/* ---- references, frees ---------------------------------------------- */

static void hvs_reap_domain(struct hvs_model *m, struct hvs_domain *d);
static u64 hvs_populated(const struct hvs_domain *d);

static bool hvs_stale_covers(struct hvs_model *m, u64 mfn, u64 *bfn)
{
	u64 i;

	hvs_work(m, m->nr_stale);
	for (i = 0; i < m->nr_stale; i++) {
		struct hvs_stale *s = &m->stale[i];

		if (!s->from_default && mfn >= s->mfn &&
		    mfn - s->mfn < (1ull << s->order)) {
			*bfn = s->bfn + (mfn - s->mfn);
			return true;
		}
	}
	return false;
}

/*
 * A frame nobody holds any more goes back to Xen's heap.  Freeing a frame
 * that an IOMMU entry (or a not yet flushed IOTLB entry) still reaches is
 * the bug class this model exists to catch: recorded as a violation.
 */
static void hvs_frame_maybe_free(struct hvs_model *m, u64 mfn)
{
	struct hvs_frame *f = hvs_frame(m, mfn);
	struct hvs_domain *d;
	struct hvs_rec *r;
	u64 bfn;

	if (!f || !hvs_is_domid(f->owner) || (f->flags & HVS_FRAME_ALLOCATED) ||
	    f->refs)
		return;
	r = hvs_m2b_find(m, mfn, NULL, NULL);
	if (r)
		hvs_violation(m, HVS_VE_FREED_MAPPED, mfn,
			      r->bfn + (mfn - r->mfn));
	if (hvs_stale_covers(m, mfn, &bfn))
		hvs_violation(m, HVS_VE_FREED_STALE, mfn, bfn);
	d = hvs_domain(m, f->owner);
	f->owner = HVS_DOMID_FREE;
	f->flags &= ~HVS_FRAME_PINNED;
	f->gfn = HVS_INVALID;
	f->gen++;
	m->cnt[HVS_C_FRAMES_FREED]++;
	if (mfn >= m->pool_start && mfn - m->pool_start < m->pool_hint)
		m->pool_hint = mfn - m->pool_start;
	if (d) {
		d->nr_frames--;
		hvs_reap_domain(m, d);
	}
}

static void hvs_get_range(struct hvs_model *m, u64 mfn, unsigned int order,
			  unsigned int refkind)
{
	u64 i, n = 1ull << order;

	if (refkind == HVS_REF_NONE)
		return;
	for (i = 0; i < n; i++) {
		struct hvs_frame *f = hvs_frame(m, mfn + i);

		if (!f)
			continue;
		f->refs++;
		if (refkind == HVS_REF_RW)
			f->wrefs++;
	}
	hvs_work(m, n);
}

static void hvs_put_range(struct hvs_model *m, u64 mfn, unsigned int order,
			  unsigned int refkind)
{
	u64 i, n = 1ull << order;

	if (refkind == HVS_REF_NONE)
		return;
	for (i = 0; i < n; i++) {
		struct hvs_frame *f = hvs_frame(m, mfn + i);

		if (!f)
			continue;
		if (!f->refs || (refkind == HVS_REF_RW && !f->wrefs)) {
			hvs_violation(m, HVS_VE_UNDERFLOW, mfn + i, 0);
			continue;
		}
		f->refs--;
		if (refkind == HVS_REF_RW)
			f->wrefs--;
		hvs_frame_maybe_free(m, mfn + i);
	}
	hvs_work(m, n);
}

/* ---- the lazy IOTLB -------------------------------------------------- */

static int hvs_stale_reserve(struct hvs_model *m, u64 more)
{
	struct hvs_stale *ns;
	u64 cap;

	if (m->nr_stale + more <= m->cap_stale)
		return 0;
	cap = m->cap_stale ? m->cap_stale : 64;
	while (cap < m->nr_stale + more)
		cap *= 2;
	ns = hvs_zalloc(m, cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	if (m->nr_stale)
		memcpy(ns, m->stale, m->nr_stale * sizeof(*ns));
	hvs_free(m, m->stale);
	m->stale = ns;
	m->cap_stale = cap;
	return 0;
}

/* Capacity was reserved by hvs_stale_reserve(). */
static void hvs_stale_add(struct hvs_model *m, u64 bfn, u64 mfn,
			  unsigned int order, unsigned int refkind,
			  bool from_default, unsigned int kind)
{
	struct hvs_stale *s = &m->stale[m->nr_stale++];

	s->bfn = bfn;
	s->mfn = mfn;
	s->order = order;
	s->refkind = refkind;
	s->from_default = from_default;
	s->kind = kind;
}

static void hvs_flush_now(struct hvs_model *m)
{
	u64 i, n = m->nr_stale;

	m->cnt[HVS_C_FLUSHES]++;
	/* The IOTLB is clean from here on: only then drop what it pinned. */
	m->nr_stale = 0;
	for (i = 0; i < n; i++)
		hvs_put_range(m, m->stale[i].mfn, m->stale[i].order,
			      m->stale[i].refkind);
}

/**
 * hvs_flush() - flush the IOTLB now (what every hypercall does last)
 * @m: model
 *
 * Drops the page references that unmapped entries kept until the flush.
 *
 * Context: the model's owner serialises calls.
 */
void hvs_flush(struct hvs_model *m)
{
	hvs_flush_now(m);
}

/* ---- Xen's default map and its holes ---------------------------------- */

static bool hvs_displaced(struct hvs_model *m, u64 bfn)
{
	struct hvs_hole *h = hvs_hole_of(hvs_tfind_le(m->holes, bfn));

	return h && bfn < h->end;
}

/* Record [start, end) as displaced; @spare is used if a node is needed. */
static void hvs_hole_add(struct hvs_model *m, u64 start, u64 end,
			 struct hvs_hole **spare)
{
	struct hvs_hole *h = hvs_hole_of(hvs_tfind_le(m->holes, start));

	if (h && h->end >= start) {
		if (h->end >= end)
			return;
		start = h->node.key;
		hvs_terase(&m->holes, start);
		hvs_free(m, h);
	}
	for (;;) {
		h = hvs_hole_of(hvs_tfind_ge(m->holes, start));
		if (!h || h->node.key > end)
			break;
		hvs_work(m, 1);
		if (h->end > end)
			end = h->end;
		hvs_terase(&m->holes, h->node.key);
		hvs_free(m, h);
	}
	h = *spare;
	*spare = NULL;
	h->node.key = start;
	h->end = end;
	hvs_tinsert(m, &m->holes, &h->node);
}

static bool hvs_in_rmrr(struct hvs_model *m, u64 bfn, u64 n)
{
	return hvs_in_ranges(m->rmrr, m->nr_rmrr, bfn, n);
}

/* Xen's own map of the caller, as it stands now. */
static bool hvs_default_xlate(struct hvs_model *m, u64 bfn, u64 *mfn)
{
	struct hvs_frame *f;
	u64 cand;

	if (hvs_in_rmrr(m, bfn, 1)) {
		*mfn = bfn;
		return true;
	}
	switch (m->cfg.default_map) {
	case HVS_DEFMAP_IDENTITY:
		cand = bfn;
		break;
	case HVS_DEFMAP_WINDOW:
		if (bfn < m->cfg.window_offset)
			return false;
		cand = bfn - m->cfg.window_offset;
		break;
	default:
		return false;
	}
	f = hvs_frame(m, cand);
	if (!f || hvs_denied(m, cand))
		return false;
	if (!hvs_nonstrict_hw(m) &&
	    (f->owner != 0 || !(f->flags & HVS_FRAME_ALLOCATED)))
		return false;
	if (hvs_displaced(m, bfn))
		return false;
	*mfn = cand;
	return true;
}

/*
 * Does the default map reach any BFN of [bfn, bfn + n)?  Only BFNs whose
 * frame the model manages (or an RMRR) can be in it: the loop visits
 * those only.
 */
static bool hvs_default_covers(struct hvs_model *m, u64 bfn, u64 n)
{
	u64 i, j, run, mfn, cand;

	if (m->cfg.default_map == HVS_DEFMAP_NONE)
		return false;
	if (hvs_in_rmrr(m, bfn, n))
		return true;
	for (i = 0; i < n; i += run) {
		run = n - i;
		if (m->cfg.default_map == HVS_DEFMAP_WINDOW) {
			if (bfn + i < m->cfg.window_offset) {
				/* Below the window: nothing. */
				run = m->cfg.window_offset - (bfn + i);
				if (run > n - i)
					run = n - i;
				continue;
			}
			cand = bfn + i - m->cfg.window_offset;
		} else {
			cand = bfn + i;
		}
		if (!hvs_managed_run(m, cand, &run))
			continue;
		for (j = 0; j < run; j++)
			if (hvs_default_xlate(m, bfn + i + j, &mfn))
				return true;
		hvs_work(m, run);
	}
	return false;
}

/* ---- the IOMMU table ------------------------------------------------- */

static struct hvs_rec *hvs_table_covering(struct hvs_model *m, u64 bfn)
{
	struct hvs_rec *r = hvs_rec_of(hvs_tfind_le(m->table, bfn));

	return r && bfn - r->bfn < hvs_rec_pages(r) ? r : NULL;
}

static bool hvs_table_overlaps(struct hvs_model *m, u64 bfn, u64 n)
{
	struct hvs_rec *r = hvs_table_covering(m, bfn);

	if (r)
		return true;
	r = hvs_rec_of(hvs_tfind_ge(m->table, bfn));
	return r && r->bfn - bfn < n;
}

static bool hvs_lookups_overlap(struct hvs_model *m, u64 bfn, u64 n)
{
	struct hvs_rec *r = hvs_rec_of(hvs_tfind_ge(m->lookups,
						   hvs_lookup_key(bfn, 0)));

	return r && r->bfn - bfn < n;
}

static void hvs_rec_account(struct hvs_model *m, struct hvs_rec *r, int dir)
{
	struct hvs_domain *d = hvs_domain(m, r->domid);
	struct hvs_ioserver *ios = hvs_rec_ioserver(m, r);
	u64 *kind_cnt = r->kind == HVS_KIND_SELF ? &m->nr_self :
			r->kind == HVS_KIND_FOREIGN ? &m->nr_foreign :
			&m->nr_lookup;

	*kind_cnt += dir;
	if (d)
		d->nr_recs += dir;
	if (ios) {
		ios->nr_recs += dir;
		if (!ios->nr_recs && !ios->live)
			ios->used = false;
	}
	if (d && dir < 0)
		hvs_reap_domain(m, d);
}

/* ---- subops ------------------------------------------------------------ */

/* Everything a map needs allocated before anything changes. */
struct hvs_prep {
	struct hvs_rec *rec;
	struct hvs_hole *hole;
};

static int hvs_prepare(struct hvs_model *m, struct hvs_prep *p, bool hole)
{
	p->rec = NULL;
	p->hole = NULL;
	if (m->nr_self + m->nr_foreign + m->nr_lookup >= m->cfg.max_records)
		return -EIO;
	if (hvs_stale_reserve(m, 1))
		return -EIO;
	p->rec = hvs_zalloc(m, sizeof(*p->rec));
	if (hole)
		p->hole = hvs_zalloc(m, sizeof(*p->hole));
	if (!p->rec || (hole && !p->hole)) {
		hvs_free(m, p->rec);
		hvs_free(m, p->hole);
		return -EIO;
	}
	return 0;
}

/* Insert a map_page / map_foreign_page record into the table. */
static void hvs_table_commit(struct hvs_model *m, struct hvs_prep *p)
{
	struct hvs_rec *r = p->rec;
	u64 n = hvs_rec_pages(r);

	if (m->cfg.default_map != HVS_DEFMAP_NONE) {
		u64 old;

		if (hvs_default_covers(m, r->bfn, n)) {
			if (!hvs_default_xlate(m, r->bfn, &old))
				old = HVS_INVALID;
			hvs_stale_add(m, r->bfn, old, r->order, HVS_REF_NONE,
				      true, r->kind);
		}
		hvs_hole_add(m, r->bfn, r->bfn + n, &p->hole);
	}
	hvs_free(m, p->hole);
	p->hole = NULL;
	hvs_get_range(m, r->mfn, r->order, r->refkind);
	r->node.key = r->bfn;
	hvs_tinsert(m, &m->table, &r->node);
	hvs_m2b_add(m, r);
	hvs_rec_account(m, r, 1);
	m->cnt[HVS_C_TABLE_WRITES]++;
	m->cnt[HVS_C_PTE_WRITES] += n;
}

static void hvs_check_reserved(struct hvs_model *m, unsigned int subop,
			       bool bad, u64 bfn)
{
	if (bad)
		hvs_caller_error(m, HVS_CE_RESERVED, subop, 0, bfn, 0);
}

static int hvs_op_query_caps(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int flags = 0;

	hvs_check_reserved(m, IOMMUOP_query_caps,
			   op->flags || op->u.query_caps._pad[0] ||
			   op->u.query_caps._pad[1], 0);
	if (hvs_map_cap(m)) {
		flags = IOMMU_QUERY_map_cap |
			IOMMU_page_order_flags(m->cfg.max_order);
		if (hvs_map_all(m))
			flags |= IOMMU_QUERY_map_all_gfns;
	}
	op->flags = flags;
	op->u.query_caps.offset = m->cfg.default_map == HVS_DEFMAP_WINDOW ?
				  m->cfg.window_offset : 0;
	return 0;
}

/* May the caller map frame @mfn with map_page?  0 or the op's status. */
static int hvs_map_page_frame(struct hvs_model *m, u64 mfn, unsigned int fl,
			      u64 bfn, unsigned int *owner)
{
	bool noref = fl & IOMMU_MAP_OP_no_ref_cnt;
	struct hvs_frame *f;

	if (!hvs_fits(mfn, 1, m->cfg.mfn_bits))
		return -EPERM;
	if (hvs_denied(m, mfn)) {
		hvs_caller_error(m, HVS_CE_XEN_FRAME, IOMMUOP_map_page, 0,
				 bfn, mfn);
		return -EPERM;
	}
	f = hvs_frame(m, mfn);
	if (f && f->owner == 0 && (f->flags & HVS_FRAME_ALLOCATED)) {
		*owner = 0;
	} else {
		if (!hvs_map_all(m)) {
			hvs_caller_error(m, HVS_CE_NOT_OWNER, IOMMUOP_map_page,
					 0, bfn, mfn);
			return -EPERM;
		}
		/* No reference can be taken on a free page. */
		if (f && f->owner == HVS_DOMID_FREE && !noref)
			return -EPERM;
		*owner = f ? f->owner : HVS_DOMID_IO;
	}
	if (f && (f->flags & HVS_FRAME_PINNED) &&
	    (fl & IOMMU_OP_writeable) && !noref)
		return -EPERM;
	return 0;
}

/*
 * The frame checks of map_page over [gfn, gfn + n), frame by frame in
 * order (the first failing frame gives the status), with one owner for
 * the whole entry.  Unmanaged runs cost O(ranges): after their first
 * frame, only "beyond the host" and "Xen's" can fail there.
 */
static int hvs_map_page_frames(struct hvs_model *m, u64 gfn, u64 n,
			       unsigned int fl, u64 bfn, unsigned int *owner)
{
	u64 i, j, run, lim, beyond, bad;
	unsigned int o;
	int st;

	for (i = 0; i < n; i += run) {
		run = n - i;
		if (hvs_managed_run(m, gfn + i, &run)) {
			for (j = 0; j < run; j++) {
				st = hvs_map_page_frame(m, gfn + i + j, fl,
							bfn + i + j, &o);
				if (st)
					return st;
				/* One record, one owner. */
				if (!i && !j)
					*owner = o;
				else if (o != *owner)
					return -ENOSPC;
			}
			hvs_work(m, run);
			continue;
		}
		st = hvs_map_page_frame(m, gfn + i, fl, bfn + i, &o);
		if (st)
			return st;
		if (!i)
			*owner = o;
		else if (o != *owner)
			return -ENOSPC;
		if (run == 1)
			continue;
		/* Frames gfn + i + 1 ..: same owner (HVS_DOMID_IO). */
		lim = 1ull << m->cfg.mfn_bits;
		beyond = gfn + i + run > lim ?
			 (gfn + i + 1 > lim ? gfn + i + 1 : lim) : HVS_INVALID;
		bad = HVS_INVALID;
		if (gfn + i + 1 < lim)
			bad = hvs_first_denied(m, gfn + i + 1,
					       (beyond == HVS_INVALID ?
						gfn + i + run : beyond) -
					       (gfn + i + 1));
		if (bad != HVS_INVALID) {
			hvs_caller_error(m, HVS_CE_XEN_FRAME, IOMMUOP_map_page,
					 0, bfn + (bad - gfn), bad);
			return -EPERM;
		}
		if (beyond != HVS_INVALID)
			return -EPERM;
	}
	return 0;
}

static int hvs_op_map_page(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	u64 bfn = op->u.map_page.bfn, gfn = op->u.map_page.gfn, n;
	unsigned int owner = 0;
	struct hvs_prep p;
	struct hvs_rec *r;
	int st;

	hvs_check_reserved(m, IOMMUOP_map_page,
			   (fl & ~IOMMU_map_page_in_flags) ||
			   op->u.map_page._pad, bfn);
	if (!hvs_map_cap(m))
		return -EPERM;
	if ((fl & IOMMU_MAP_OP_no_ref_cnt) && !hvs_nonstrict_hw(m)) {
		hvs_caller_error(m, HVS_CE_PRIV, IOMMUOP_map_page, 0, bfn, gfn);
		return -EPERM;
	}
	if (order > m->cfg.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if ((bfn | gfn) & (n - 1))
		return -ENOSPC;
	if (!(fl & (IOMMU_OP_readable | IOMMU_OP_writeable)))
		return -EIO;
	if (!hvs_fits(bfn, n, m->cfg.bfn_bits))
		return -EIO;
	if (hvs_in_rmrr(m, bfn, n)) {
		hvs_caller_error(m, HVS_CE_RMRR, IOMMUOP_map_page, 0, bfn, gfn);
		return -EACCES;
	}
	st = hvs_map_page_frames(m, gfn, n, fl, bfn, &owner);
	if (st)
		return st;
	if (hvs_table_overlaps(m, bfn, n) || hvs_lookups_overlap(m, bfn, n))
		return -EPERM;
	if (hvs_prepare(m, &p, m->cfg.default_map != HVS_DEFMAP_NONE))
		return -EIO;
	r = p.rec;
	r->bfn = bfn;
	r->mfn = gfn;
	r->gfn = owner == 0 ? hvs_frame(m, gfn)->gfn : gfn;
	r->domid = owner;
	r->kind = HVS_KIND_SELF;
	r->order = order;
	r->perm = fl & (IOMMU_OP_readable | IOMMU_OP_writeable);
	if ((fl & IOMMU_MAP_OP_no_ref_cnt) || owner == HVS_DOMID_IO)
		r->refkind = HVS_REF_NONE;
	else
		r->refkind = (fl & IOMMU_OP_writeable) ? HVS_REF_RW :
							 HVS_REF_RO;
	hvs_table_commit(m, &p);
	return 0;
}

/* Take @r out of the table; its references go when the IOTLB is flushed. */
static void hvs_table_remove(struct hvs_model *m, struct hvs_rec *r)
{
	hvs_terase(&m->table, r->node.key);
	if (!(r->flags & HVS_REC_SWAPPED))
		hvs_m2b_del(m, r);
	hvs_stale_add(m, r->bfn, r->mfn, r->order, r->refkind, false,
		      r->kind);
	m->cnt[HVS_C_TABLE_WRITES]++;
	m->cnt[HVS_C_PTE_WRITES] += hvs_rec_pages(r);
	hvs_rec_account(m, r, -1);
	hvs_free(m, r);
}

static int hvs_op_unmap_page(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	u64 bfn = op->u.unmap_page.bfn, n;
	struct hvs_rec *r;

	hvs_check_reserved(m, IOMMUOP_unmap_page,
			   (fl & ~IOMMU_unmap_page_in_flags) ||
			   op->u.unmap_page._pad[0] ||
			   op->u.unmap_page._pad[1], bfn);
	if (order > m->cfg.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if (bfn & (n - 1))
		return -ENOSPC;
	if (!hvs_fits(bfn, n, m->cfg.bfn_bits))
		return -EIO;
	r = hvs_table_covering(m, bfn);
	if (!r)
		return hvs_table_overlaps(m, bfn, n) ? -ENOSPC : -ENOENT;
	if (r->kind != HVS_KIND_SELF)
		return -ENOENT;
	if (r->bfn != bfn || r->order != order)
		return -ENOSPC;
	if (hvs_stale_reserve(m, 1))
		return -EIO;
	hvs_table_remove(m, r);
	return 0;
}

/* Common checks of the foreign subops: 0 and the domain, or a status. */
static int hvs_foreign_target(struct hvs_model *m, unsigned int subop,
			      unsigned int domid, unsigned int ios_id,
			      u64 bfn, struct hvs_domain **dp)
{
	struct hvs_ioserver *ios;
	struct hvs_domain *d;

	if (domid == HVS_DOMID_SELF || domid == 0) {
		hvs_caller_error(m, HVS_CE_PRIV, subop, domid, bfn, 0);
		return -EPERM;
	}
	d = hvs_domain(m, domid);
	if (!d || d->dying)
		return -ENXIO;
	if (!hvs_privileged(m, d)) {
		hvs_caller_error(m, HVS_CE_PRIV, subop, domid, bfn, 0);
		return -EPERM;
	}
	ios = hvs_ioserver(d, ios_id);
	if (!ios || !ios->live)
		return -ENODEV;
	*dp = d;
	return 0;
}

static int hvs_op_map_foreign(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	u64 bfn = op->u.map_foreign_page.bfn;
	u64 gfn = op->u.map_foreign_page.gfn, n, i, mfn;
	unsigned int ios = op->u.map_foreign_page.ioserver;
	unsigned int perm = fl & (IOMMU_OP_readable | IOMMU_OP_writeable);
	struct hvs_domain *d;
	struct hvs_prep p;
	struct hvs_rec *r;
	int st;

	hvs_check_reserved(m, IOMMUOP_map_foreign_page,
			   (fl & ~IOMMU_map_foreign_in_flags) ||
			   op->u.map_foreign_page._pad, bfn);
	if (!hvs_map_cap(m))
		return -EPERM;
	st = hvs_foreign_target(m, IOMMUOP_map_foreign_page,
				op->u.map_foreign_page.domid, ios, bfn, &d);
	if (st)
		return st;
	if (order > m->cfg.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if ((bfn | gfn) & (n - 1))
		return -ENOSPC;
	if (!perm)
		return -EIO;
	if (!hvs_fits(bfn, n, m->cfg.bfn_bits))
		return -EIO;
	if (hvs_in_rmrr(m, bfn, n)) {
		hvs_caller_error(m, HVS_CE_RMRR, IOMMUOP_map_foreign_page,
				 d->domid, bfn, gfn);
		return -EACCES;
	}
	if (gfn >= d->nr_pages || n > d->nr_pages - gfn)
		return -ENXIO;
	for (i = 0; i < n; i++)
		if (d->p2m[gfn + i] == HVS_INVALID)
			return -ENXIO;
	mfn = d->p2m[gfn];
	if (mfn & (n - 1))
		return -ENOSPC;
	for (i = 1; i < n; i++)
		if (d->p2m[gfn + i] != mfn + i)
			return -ENOSPC;
	hvs_work(m, 2 * n);
	/* Xen's frames, pmem reserved areas included, as map_page. */
	for (i = 0; i < n; i++) {
		if (hvs_denied(m, mfn + i)) {
			hvs_caller_error(m, HVS_CE_XEN_FRAME,
					 IOMMUOP_map_foreign_page, d->domid,
					 bfn, mfn + i);
			return -EPERM;
		}
	}
	hvs_work(m, n);
	r = hvs_table_covering(m, bfn);
	if (r && r->kind == HVS_KIND_FOREIGN && r->bfn == bfn &&
	    r->order == order && r->mfn == mfn && r->domid == d->domid &&
	    r->ioserver == ios && r->perm == perm &&
	    !(r->flags & HVS_REC_SWAPPED) &&
	    !!(r->flags & HVS_REC_SWAP) == !!(fl & IOMMU_OP_swap_mfn))
		return 0;	/* identical M2B entry: nothing new */
	if (hvs_table_overlaps(m, bfn, n) || hvs_lookups_overlap(m, bfn, n))
		return -EPERM;
	if (hvs_prepare(m, &p, m->cfg.default_map != HVS_DEFMAP_NONE))
		return -EIO;
	r = p.rec;
	r->bfn = bfn;
	r->mfn = mfn;
	r->gfn = gfn;
	r->domid = d->domid;
	r->ioserver = ios;
	r->kind = HVS_KIND_FOREIGN;
	r->order = order;
	r->perm = perm;
	r->refkind = (fl & IOMMU_OP_writeable) ? HVS_REF_RW : HVS_REF_RO;
	if (fl & IOMMU_OP_swap_mfn)
		r->flags |= HVS_REC_SWAP;
	hvs_table_commit(m, &p);
	return 0;
}

struct hvs_foreign_match {
	u16 domid;
	u16 ios;
	struct hvs_rec *best;	/* lowest BFN so far */
};

static bool hvs_match_foreign(struct hvs_rec *r, void *arg)
{
	struct hvs_foreign_match *fm = arg;

	if (r->kind == HVS_KIND_FOREIGN && r->domid == fm->domid &&
	    r->ioserver == fm->ios && (!fm->best || r->bfn < fm->best->bfn))
		fm->best = r;
	return false;
}

static int hvs_op_lookup_foreign(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int ios = op->u.lookup_foreign_page.ioserver;
	u64 gfn = op->u.lookup_foreign_page.gfn, mfn, bfn = HVS_INVALID, chk;
	struct hvs_foreign_match fm;
	struct hvs_domain *d;
	struct hvs_prep p;
	struct hvs_rec *r;
	int st;

	hvs_check_reserved(m, IOMMUOP_lookup_foreign_page,
			   op->flags || op->u.lookup_foreign_page._pad, 0);
	st = hvs_foreign_target(m, IOMMUOP_lookup_foreign_page,
				op->u.lookup_foreign_page.domid, ios, 0, &d);
	if (st)
		return st;
	if (gfn >= d->nr_pages || d->p2m[gfn] == HVS_INVALID)
		return -ENXIO;
	mfn = d->p2m[gfn];
	if (hvs_untranslated(m) ||
	    m->cfg.default_map == HVS_DEFMAP_IDENTITY)
		bfn = mfn;
	else if (m->cfg.default_map == HVS_DEFMAP_WINDOW)
		bfn = mfn + m->cfg.window_offset;
	if (!hvs_untranslated(m) && bfn != HVS_INVALID &&
	    (!hvs_fits(bfn, 1, m->cfg.bfn_bits) ||
	     !hvs_default_xlate(m, bfn, &chk) || chk != mfn))
		bfn = HVS_INVALID;
	if (bfn == HVS_INVALID) {
		/* This ioserver's own mapping of the frame (lowest BFN). */
		fm.domid = d->domid;
		fm.ios = ios;
		fm.best = NULL;
		hvs_m2b_find(m, mfn, hvs_match_foreign, &fm);
		r = fm.best;
		if (!r)
			return -ENOENT;
		op->u.lookup_foreign_page.bfn = r->bfn + (mfn - r->mfn);
		op->flags = r->perm;
		return 0;
	}
	op->u.lookup_foreign_page.bfn = bfn;
	op->flags = IOMMU_OP_readable | IOMMU_OP_writeable;
	if (hvs_tfind(m->lookups, hvs_lookup_key(bfn, ios)))
		return 0;	/* identical M2B entry exists */
	if (hvs_prepare(m, &p, false))
		return -ENOENT;
	r = p.rec;
	r->bfn = bfn;
	r->mfn = mfn;
	r->gfn = gfn;
	r->domid = d->domid;
	r->ioserver = ios;
	r->kind = HVS_KIND_LOOKUP;
	r->perm = IOMMU_OP_readable | IOMMU_OP_writeable;
	r->refkind = HVS_REF_RO;
	hvs_get_range(m, mfn, 0, HVS_REF_RO);
	r->node.key = hvs_lookup_key(bfn, ios);
	hvs_tinsert(m, &m->lookups, &r->node);
	hvs_m2b_add(m, r);
	hvs_rec_account(m, r, 1);
	return 0;
}

/* Drop a lookup's M2B entry; no IOMMU entry, so its reference goes now. */
static void hvs_lookup_remove(struct hvs_model *m, struct hvs_rec *r)
{
	hvs_terase(&m->lookups, r->node.key);
	hvs_m2b_del(m, r);
	hvs_put_range(m, r->mfn, 0, r->refkind);
	hvs_rec_account(m, r, -1);
	hvs_free(m, r);
}

static int hvs_op_unmap_foreign(struct hvs_model *m, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	unsigned int ios = op->u.unmap_foreign_page.ioserver;
	u64 bfn = op->u.unmap_foreign_page.bfn;
	struct hvs_tnode *t;
	struct hvs_rec *r;

	hvs_check_reserved(m, IOMMUOP_unmap_foreign_page,
			   (fl & ~IOMMU_unmap_foreign_in_flags) ||
			   op->u.unmap_foreign_page._pad0 ||
			   op->u.unmap_foreign_page._pad1 ||
			   op->u.unmap_foreign_page._pad2, bfn);
	if (order > m->cfg.max_order || (bfn & ((1ull << order) - 1)))
		return -ENOENT;
	r = hvs_table_covering(m, bfn);
	if (r && r->kind == HVS_KIND_FOREIGN && r->bfn == bfn &&
	    r->ioserver == ios && r->order == order) {
		if (hvs_stale_reserve(m, 1))
			return -ENOENT;
		hvs_table_remove(m, r);
		return 0;
	}
	if (order || hvs_lookup_bfn_invalid(bfn))
		return -ENOENT;
	t = hvs_tfind_le(m->lookups, hvs_lookup_key(bfn, ios));
	r = hvs_rec_of(t);
	if (!r || r->bfn != bfn || r->ioserver != ios)
		return -ENOENT;
	hvs_lookup_remove(m, r);
	return 0;
}

static unsigned int hvs_subop_index(unsigned int subop)
{
	return subop >= 1 && subop < HVS_NR_SUBOPS ? subop : 0;
}

static unsigned int hvs_status_index(int st)
{
	unsigned int i;

	for (i = 0; i < HVS_NR_STATUS - 1; i++)
		if (hvs_status_val[i] == st)
			return i;
	return HVS_NR_STATUS - 1;
}

static int hvs_do_op(struct hvs_model *m, struct pv_iommu_op *op)
{
	switch (op->subop_id) {
	case IOMMUOP_query_caps:
		return hvs_op_query_caps(m, op);
	case IOMMUOP_map_page:
		return hvs_op_map_page(m, op);
	case IOMMUOP_unmap_page:
		return hvs_op_unmap_page(m, op);
	case IOMMUOP_map_foreign_page:
		return hvs_op_map_foreign(m, op);
	case IOMMUOP_lookup_foreign_page:
		return hvs_op_lookup_foreign(m, op);
	case IOMMUOP_unmap_foreign_page:
		return hvs_op_unmap_foreign(m, op);
	default:
		return -ENODEV;
	}
}

static void hvs_count_op(struct hvs_model *m, unsigned int subop, int st)
{
	unsigned int si = hvs_subop_index(subop);

	m->cnt[HVS_C_OPS]++;
	m->subop_cnt[si]++;
	m->status_cnt[si][hvs_status_index(st)]++;
}

/* Where op @i of a guest buffer starts (any alignment: bytes only). */
static char *hvs_guest_op(struct pv_iommu_op *ops, u32 i)
{
	return (char *)ops + (size_t)i * sizeof(struct pv_iommu_op);
}

/*
 * Write @n bytes at offset @off of @op back into the guest's copy of it,
 * like Xen's copy_to_guest (no alignment needed).
 */
static void hvs_put_bytes(char *guest, const struct pv_iommu_op *op,
			  size_t off, size_t n)
{
	memcpy(guest + off, (const char *)op + off, n);
}

/*
 * Run one op read from the guest's buffer and write back what Xen writes:
 * the status, and the OUT fields of query_caps and lookup_foreign_page.
 * The buffer is accessed bytewise: a guest buffer needs no alignment.
 */
static void hvs_run_op(struct hvs_model *m, char *guest)
{
	struct pv_iommu_op op;

	memcpy(&op, guest, sizeof(op));
	op.status = hvs_do_op(m, &op);
	hvs_count_op(m, op.subop_id, op.status);
	hvs_put_bytes(guest, &op, XPV_IOMMU_OP_OFF(status), sizeof(op.status));
	if (op.subop_id == IOMMUOP_query_caps) {
		hvs_put_bytes(guest, &op, XPV_IOMMU_OP_OFF(flags),
			      sizeof(op.flags));
		hvs_put_bytes(guest, &op, XPV_IOMMU_OP_OFF(u.query_caps.offset),
			      sizeof(op.u.query_caps.offset));
	} else if (op.subop_id == IOMMUOP_lookup_foreign_page && !op.status) {
		hvs_put_bytes(guest, &op, XPV_IOMMU_OP_OFF(flags),
			      sizeof(op.flags));
		hvs_put_bytes(guest, &op,
			      XPV_IOMMU_OP_OFF(u.lookup_foreign_page.bfn),
			      sizeof(op.u.lookup_foreign_page.bfn));
	}
}

/**
 * hvs_op_one() - one op, below the hypercall: no flush, no fault injection
 * @m:  model
 * @op: the op; status and OUT fields written back
 *
 * For tests of deliberately wrong callers (an unmap never followed by a
 * flush); a real caller always goes through hvs_iommu_op().
 *
 * Context: the model's owner serialises calls.
 * Return: the op's status.
 */
int hvs_op_one(struct hvs_model *m, struct pv_iommu_op *op)
{
	hvs_run_op(m, (char *)op);
	return op->status;
}

/* A continuation between two ops: Xen flushes before it. */
static void hvs_continuation(struct hvs_model *m, bool by_work)
{
	m->cnt[HVS_C_CONTINUATIONS]++;
	hvs_flush_now(m);
	m->hc_work = 0;
	if (!by_work)
		return;
	m->cnt[HVS_C_CONT_WORK]++;
	/* Other callers may run here: the model is consistent. */
	m->in_hypercall = false;
	if (m->env.preempt)
		m->env.preempt();
	m->in_hypercall = true;
	m->hc_work = 0;
}

/**
 * hvs_iommu_op() - the iommu_op hypercall
 * @m:        model
 * @ops:      the caller's op array (the "guest handle"), any alignment
 * @count:    the hypercall's count argument
 * @readable: ops of @ops that exist; reaching op @readable is a fault
 *
 * Runs the ops in order, each writing its status; the IOTLB is flushed
 * once, before returning, and the page references dropped by unmaps are
 * released only after that flush.  After config.continue_work units of
 * work the hypercall takes a continuation between two ops (a flush, then
 * env->preempt, where the owner may let other callers run).  Fault
 * injection (hvs_ctl "fault ...") is applied here.
 *
 * Context: the model's owner serialises calls; calls env->resched and
 * env->preempt.
 * Return: 0; -ENOSYS (disabled, or a non-hardware caller with
 * nonhw_enosys); -EINVAL (a bad count: (int)@count < 0 or @count >
 * HVS_MAX_OPS); -EFAULT (NULL @ops, or op @readable reached: the ops
 * before it ran); or the errno of an injected "fault call".
 */
long hvs_iommu_op(struct hvs_model *m, struct pv_iommu_op *ops,
		  unsigned int count, unsigned int readable)
{
	struct hvs_fault *ft = &m->fault;
	bool live;
	long rc = 0;
	u32 i;

	m->cnt[HVS_C_HYPERCALLS]++;
	if (m->cfg.disabled ||
	    (!m->cfg.hardware_domain && m->cfg.nonhw_enosys)) {
		rc = -ENOSYS;
		goto out;
	}
	if ((int)count < 0 || count > HVS_MAX_OPS) {
		rc = -EINVAL;
		goto out;
	}
	if (!count)
		goto out;
	if (!ops) {
		rc = -EFAULT;
		goto out;
	}
	live = !ft->skip;
	if (ft->skip)
		ft->skip--;
	if (live && ft->call_armed) {
		ft->call_armed = false;
		m->cnt[HVS_C_HC_INJECTED]++;
		return ft->call_errno;
	}
	m->in_hypercall = true;
	m->hc_work = 0;
	for (i = 0; i < count; i++) {
		if (live && ft->preempt_armed && ft->preempt_at == i) {
			/* Stopped early: the rest of the batch is untouched. */
			ft->preempt_armed = false;
			m->cnt[HVS_C_PREEMPTIONS]++;
			break;
		}
		if (live && ft->cont_armed && ft->cont_at == i) {
			/* A modelled continuation. */
			ft->cont_armed = false;
			hvs_continuation(m, false);
		} else if (i && m->hc_work >= m->cfg.continue_work) {
			hvs_continuation(m, true);
		}
		if (i >= readable) {
			rc = -EFAULT;
			break;
		}
		if (live && ft->op_armed && ft->op_index == i) {
			struct pv_iommu_op op;

			ft->op_armed = false;
			m->cnt[HVS_C_OP_FAULTS]++;
			op.status = ft->op_errno;
			hvs_put_bytes(hvs_guest_op(ops, i), &op,
				      XPV_IOMMU_OP_OFF(status),
				      sizeof(op.status));
			memcpy(&op.subop_id, hvs_guest_op(ops, i),
			       sizeof(op.subop_id));
			hvs_count_op(m, op.subop_id, ft->op_errno);
			continue;
		}
		hvs_run_op(m, hvs_guest_op(ops, i));
		hvs_work(m, 64);
	}
	if (live && ft->flush_skip) {
		ft->flush_skip = false;
		m->cnt[HVS_C_FLUSHES_SKIPPED]++;
	} else {
		hvs_flush_now(m);
	}
	m->in_hypercall = false;
out:
	switch (rc) {
	case 0:
		m->cnt[HVS_C_HC_OK]++;
		break;
	case -EFAULT:
		m->cnt[HVS_C_HC_EFAULT]++;
		break;
	case -EINVAL:
		m->cnt[HVS_C_HC_EINVAL]++;
		break;
	default:
		m->cnt[HVS_C_HC_ENOSYS]++;
		break;
	}
	return rc;
}

/* ---- pmem report -------------------------------------------------------- */

static bool hvs_pmem_same(const struct xpv_xenpf_pmem_add *a,
			  const struct xpv_xenpf_pmem_add *b)
{
	return a->spfn == b->spfn && a->epfn == b->epfn &&
	       a->rsv_spfn == b->rsv_spfn && a->rsv_epfn == b->rsv_epfn &&
	       a->data_spfn == b->data_spfn && a->data_epfn == b->data_epfn;
}

static long hvs_pmem_check(struct hvs_model *m,
			   const struct xpv_xenpf_pmem_add *r)
{
	u64 a = XPV_PMEM_ALIGN_FRAMES - 1, frames, need;
	unsigned int i;

	if (r->spfn >= r->epfn || r->rsv_spfn >= r->rsv_epfn ||
	    r->data_spfn >= r->data_epfn)
		return -EINVAL;
	if ((r->spfn | r->epfn | r->rsv_spfn | r->rsv_epfn) & a)
		return -EINVAL;
	if (!hvs_fits(r->spfn, r->epfn - r->spfn, m->cfg.mfn_bits))
		return -EINVAL;
	if (r->rsv_spfn < r->spfn || r->rsv_epfn > r->epfn ||
	    r->data_spfn < r->spfn || r->data_epfn > r->epfn)
		return -EINVAL;
	if (hvs_overlap(r->rsv_spfn, r->rsv_epfn - r->rsv_spfn,
			r->data_spfn, r->data_epfn - r->data_spfn))
		return -EINVAL;
	for (i = 0; i < m->nr_pmem; i++)
		if (hvs_pmem_same(&m->pmem[i], r))
			return 1;
	for (i = 0; i < m->nr_pmem; i++)
		if (hvs_overlap(r->spfn, r->epfn - r->spfn, m->pmem[i].spfn,
				m->pmem[i].epfn - m->pmem[i].spfn))
			return -EEXIST;
	/* Frames <= 2^mfn_bits <= 2^52 and sizes < 2^10: no overflow. */
	frames = r->epfn - r->spfn;
	need = (frames * ((u64)m->cfg.page_info_size + m->cfg.m2p_size) +
		4095) / 4096;
	if (r->rsv_epfn - r->rsv_spfn < need)
		return -ENOSPC;
	if (m->nr_pmem >= HVS_MAX_PMEM)
		return -ENOMEM;
	return 0;
}

static bool hvs_rec_in(const struct hvs_rec *r, u64 start, u64 n)
{
	return !(r->flags & HVS_REC_SWAPPED) &&
	       hvs_overlap(r->mfn, hvs_rec_pages(r), start, n);
}

/* Count (@apply false) or revoke the records reaching [start, start + n). */
static u64 hvs_revoke_scan(struct hvs_model *m, struct hvs_tnode **root,
			   u64 start, u64 n, bool apply)
{
	struct hvs_tnode *t = hvs_tfind_ge(*root, 0);
	u64 found = 0, key;

	while (t) {
		struct hvs_rec *r = hvs_rec_of(t);

		key = t->key;
		hvs_work(m, 1);
		if (hvs_rec_in(r, start, n)) {
			found++;
			if (apply && root == &m->lookups)
				hvs_lookup_remove(m, r);
			else if (apply)
				hvs_table_remove(m, r);
		}
		t = key == ~0ull ? NULL : hvs_tfind_ge(*root, key + 1);
	}
	return found;
}

/*
 * Xen takes a reported reserved area away from the caller (vNVDIMM 4.2.2
 * (4)): every mapping or lookup that reaches it goes (a whole entry: they
 * are not split), then the IOTLB is flushed.  Return: -ENOMEM when the
 * IOTLB bookkeeping cannot be allocated (nothing changed), else the
 * number of entries revoked.
 */
static long hvs_pmem_revoke(struct hvs_model *m,
			    const struct xpv_xenpf_pmem_add *r)
{
	u64 s = r->rsv_spfn, n = r->rsv_epfn - r->rsv_spfn, nt, nl;

	nt = hvs_revoke_scan(m, &m->table, s, n, false);
	nl = hvs_revoke_scan(m, &m->lookups, s, n, false);
	if (nt && hvs_stale_reserve(m, nt))
		return -ENOMEM;
	hvs_revoke_scan(m, &m->table, s, n, true);
	hvs_revoke_scan(m, &m->lookups, s, n, true);
	return nt + nl;
}

/**
 * hvs_pmem_add() - the pmem report platform op
 * @m:  model
 * @op: the report
 *
 * Checks, in this order: -ENOSYS (disabled or pmem_enosys), -EPERM (not
 * the hardware domain), -EINVAL (a range empty or reversed, region or
 * reserved range not 2 MiB aligned, region beyond the host address width,
 * reserved or data range outside the region, reserved and data
 * overlapping), 0 for a report identical to an earlier one, -EEXIST
 * (overlaps an earlier report), -ENOSPC (reserved range too small for
 * page_info + M2P of the whole region), -ENOMEM (too many reports, or
 * no memory for the revocation).  An accepted report's reserved range
 * becomes Xen's: every mapping and lookup reaching it is revoked (whole
 * entries, counted in pmem_revoked) and the IOTLB flushed; map_page and
 * map_foreign_page of it fail from then on, and the default map no longer
 * reaches it.
 *
 * Context: the model's owner serialises calls.
 * Return: 0 or the negative errno above.
 */
long hvs_pmem_add(struct hvs_model *m, const struct xpv_xenpf_pmem_add *op)
{
	struct xpv_xenpf_pmem_add r;
	long rc, revoked = 0;

	m->cnt[HVS_C_PMEM_CALLS]++;
	if (m->cfg.disabled || m->cfg.pmem_enosys) {
		m->cnt[HVS_C_PMEM_ENOSYS]++;
		return -ENOSYS;
	}
	if (!m->cfg.hardware_domain) {
		m->cnt[HVS_C_PMEM_EPERM]++;
		return -EPERM;
	}
	memcpy(&r, op, sizeof(r));
	rc = hvs_pmem_check(m, &r);
	if (!rc) {
		/* The area is Xen's from here on: revoke, then record. */
		revoked = hvs_pmem_revoke(m, &r);
		if (revoked < 0)
			rc = revoked;
	}
	switch (rc) {
	case 0:
		m->pmem[m->nr_pmem++] = r;
		m->cnt[HVS_C_PMEM_OK]++;
		m->cnt[HVS_C_PMEM_REVOKED] += revoked;
		/* The revoked entries and their references go now. */
		hvs_flush_now(m);
		break;
	case 1:
		m->cnt[HVS_C_PMEM_IDENTICAL]++;
		rc = 0;
		break;
	case -EINVAL:
		m->cnt[HVS_C_PMEM_EINVAL]++;
		break;
	case -EEXIST:
		m->cnt[HVS_C_PMEM_EEXIST]++;
		break;
	case -ENOSPC:
		m->cnt[HVS_C_PMEM_ENOSPC]++;
		break;
	default:
		m->cnt[HVS_C_PMEM_OTHER]++;
		break;
	}
	return rc;
}

/* ---- domains ------------------------------------------------------------ */

static void hvs_domain_free(struct hvs_model *m, struct hvs_domain *d)
{
	unsigned int i;

	if (!d)
		return;
	for (i = 0; i < HVS_MAX_IOSERVERS; i++)
		hvs_free(m, d->ios[i].sync);
	hvs_free(m, d->p2m);
	hvs_free(m, d->p2m_orig);
	hvs_free(m, d);
}

static void hvs_reap_domain(struct hvs_model *m, struct hvs_domain *d)
{
	unsigned int i;

	if (!d->dying || d->nr_frames || d->nr_recs)
		return;
	for (i = 0; i < HVS_MAX_DOMAINS; i++) {
		if (m->doms[i] == d) {
			m->doms[i] = NULL;
			hvs_domain_free(m, d);
			return;
		}
	}
}

static struct hvs_domain *hvs_domain_alloc(struct hvs_model *m, u64 nr_pages)
{
	struct hvs_domain *d = hvs_zalloc(m, sizeof(*d));
	u64 i;

	if (!d)
		return NULL;
	d->nr_pages = nr_pages;
	d->p2m = hvs_zalloc(m, (nr_pages ? nr_pages : 1) * sizeof(u64));
	d->p2m_orig = hvs_zalloc(m, (nr_pages ? nr_pages : 1) * sizeof(u64));
	if (!d->p2m || !d->p2m_orig) {
		hvs_domain_free(m, d);
		return NULL;
	}
	for (i = 0; i < nr_pages; i++) {
		d->p2m[i] = HVS_INVALID;
		d->p2m_orig[i] = HVS_INVALID;
	}
	return d;
}

/* Xen allocates @mfn to @d for @gfn (M2P); the P2M is not touched. */
static void hvs_frame_give(struct hvs_model *m, struct hvs_domain *d,
			   u64 gfn, u64 mfn)
{
	struct hvs_frame *f = hvs_frame(m, mfn);

	f->owner = d->domid;
	f->flags = HVS_FRAME_ALLOCATED;
	f->gfn = gfn;
	f->gen++;
	d->nr_frames++;
}

/* Allocate and enter in the P2M (domains the model builds itself). */
static void hvs_frame_assign(struct hvs_model *m, struct hvs_domain *d,
			     u64 gfn, u64 mfn)
{
	hvs_frame_give(m, d, gfn, mfn);
	HVS_WRITE_ONCE(d->p2m[gfn], mfn);
}

/*
 * Lowest free pool frame(s): @n frames, aligned to @align when @contig.
 * No pool frame below pool_hint is free (frees lower the hint).
 */
static u64 hvs_pool_find(struct hvs_model *m, u64 n, bool contig, u64 align)
{
	u64 i, run = 0;

	for (i = m->pool_hint; i < m->pool_nr; i++) {
		u64 mfn = m->pool_start + i;
		struct hvs_frame *f = hvs_frame(m, mfn);

		if (f->owner != HVS_DOMID_FREE) {
			if (!run && i == m->pool_hint)
				m->pool_hint = i + 1;
			run = 0;
			continue;
		}
		if (!contig)
			return mfn;
		if (!run && (mfn & (align - 1)))
			continue;
		if (++run == n)
			return mfn - n + 1;
	}
	return HVS_INVALID;
}

static int hvs_domain_create(struct hvs_model *m, u64 domid, u64 nr,
			     bool target, bool dying, bool contig)
{
	struct hvs_domain *d;
	unsigned int slot;
	u64 i, base = 0, align = 1;

	if (!domid || domid > HVS_DOMID_MAX || !nr || nr > m->pool_nr)
		return -EINVAL;
	if (hvs_domain(m, domid))
		return -EEXIST;
	for (slot = 0; slot < HVS_MAX_DOMAINS; slot++)
		if (!m->doms[slot])
			break;
	if (slot == HVS_MAX_DOMAINS)
		return -ENOSPC;
	if (contig) {
		while (align < nr && align < (1ull << HVS_MAX_ORDER))
			align <<= 1;
		base = hvs_pool_find(m, nr, true, align);
		if (base == HVS_INVALID)
			return -ENOMEM;
	} else {
		u64 free = 0;

		for (i = 0; i < m->pool_nr && free < nr; i++)
			if (hvs_frame(m, m->pool_start + i)->owner ==
			    HVS_DOMID_FREE)
				free++;
		if (free < nr)
			return -ENOMEM;
	}
	d = hvs_domain_alloc(m, nr);
	if (!d)
		return -ENOMEM;
	d->domid = domid;
	d->target = target;
	/*
	 * Scattered: gfn nr-1-i gets the i-th lowest free frame, so no two
	 * neighbouring gfns are machine-contiguous upwards.
	 */
	for (i = 0, base = contig ? base : m->pool_start; i < nr; i++) {
		u64 gfn = contig ? i : nr - 1 - i;

		if (!contig)
			while (hvs_frame(m, base)->owner != HVS_DOMID_FREE)
				base++;
		hvs_frame_assign(m, d, gfn, contig ? base + i : base);
		d->p2m_orig[gfn] = contig ? base + i : base;
	}
	d->dying = dying;
	m->doms[slot] = d;
	return 0;
}

/* Drop the owner's allocation reference on a populated gfn. */
static void hvs_release_gfn(struct hvs_model *m, struct hvs_domain *d,
			    u64 gfn)
{
	u64 mfn = d->p2m[gfn];
	struct hvs_frame *f = hvs_frame(m, mfn);

	HVS_WRITE_ONCE(d->p2m[gfn], HVS_INVALID);
	f->flags &= ~(HVS_FRAME_ALLOCATED | HVS_FRAME_PINNED);
	f->gfn = HVS_INVALID;	/* M2P entry invalidated, as Xen does */
	hvs_frame_maybe_free(m, mfn);
}

/*
 * Room for @more synchronous invalidates on @ios, allocated before a
 * balloon-out changes anything: an invalidate is never lost.
 */
static int hvs_notify_reserve(struct hvs_model *m, struct hvs_ioserver *ios,
			      u64 more)
{
	u64 need = ios->sync_n + more, cap;
	u64 *ns;

	if (ios->sync_head + need <= ios->sync_cap)
		return 0;
	if (need <= ios->sync_cap) {
		memmove(ios->sync, ios->sync + ios->sync_head,
			ios->sync_n * sizeof(*ios->sync));
		ios->sync_head = 0;
		return 0;
	}
	cap = ios->sync_cap ? ios->sync_cap : 64;
	while (cap < need)
		cap *= 2;
	ns = hvs_zalloc(m, cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	if (ios->sync_n)
		memcpy(ns, ios->sync + ios->sync_head,
		       ios->sync_n * sizeof(*ns));
	hvs_free(m, ios->sync);
	ios->sync = ns;
	ios->sync_head = 0;
	ios->sync_cap = cap;
	return 0;
}

/*
 * An IOREQ_TYPE_INVALIDATE for @bfn.  Buffered while the ring has room
 * (and nothing waits behind it), else Xen issues a synchronous request,
 * delivered in order after the ring's: nothing is lost, except to an
 * ioserver that no longer exists.
 */
static void hvs_notify(struct hvs_model *m, struct hvs_ioserver *ios,
		       u64 bfn)
{
	m->cnt[HVS_C_NOTIFICATIONS]++;
	if (!ios || !ios->live) {
		m->cnt[HVS_C_NOTIFY_LOST]++;
		return;
	}
	ios->total++;
	if (ios->count < HVS_NOTIFY_RING && !ios->sync_n) {
		ios->ring[(ios->head + ios->count) % HVS_NOTIFY_RING] = bfn;
		ios->count++;
		return;
	}
	if (hvs_notify_reserve(m, ios, 1)) {
		/* Only if the caller did not reserve: out of memory. */
		ios->lost++;
		m->cnt[HVS_C_NOTIFY_LOST]++;
		return;
	}
	ios->sync[ios->sync_head + ios->sync_n++] = bfn;
	ios->nr_sync++;
	m->cnt[HVS_C_NOTIFY_SYNC]++;
}

/* Pending invalidates of @ios. */
static u64 hvs_notify_pending(const struct hvs_ioserver *ios)
{
	return ios->count + ios->sync_n;
}

/* The @k-th oldest pending invalidate of @ios (k < pending). */
static u64 hvs_notify_peek(const struct hvs_ioserver *ios, u64 k)
{
	if (k < ios->count)
		return ios->ring[(ios->head + k) % HVS_NOTIFY_RING];
	return ios->sync[ios->sync_head + (k - ios->count)];
}

/* Nobody will read them: drop the pending invalidates of @ios. */
static void hvs_notify_discard(struct hvs_model *m, struct hvs_ioserver *ios)
{
	ios->lost += hvs_notify_pending(ios);
	ios->count = 0;
	ios->head = 0;
	hvs_free(m, ios->sync);
	ios->sync = NULL;
	ios->sync_head = 0;
	ios->sync_n = 0;
	ios->sync_cap = 0;
}

struct hvs_balloon_scan {
	u16 domid;
	u64 affected;
	u64 swappable;
};

static bool hvs_balloon_count(struct hvs_rec *r, void *arg)
{
	struct hvs_balloon_scan *bs = arg;

	if (r->kind == HVS_KIND_SELF || r->domid != bs->domid)
		return false;
	bs->affected++;
	if (r->kind == HVS_KIND_FOREIGN && (r->flags & HVS_REC_SWAP) &&
	    r->order == 0)
		bs->swappable++;
	return false;
}

struct hvs_balloon_notify {
	struct hvs_model *m;
	u64 mfn;
	u16 domid;
};

static bool hvs_balloon_notify(struct hvs_rec *r, void *arg)
{
	struct hvs_balloon_notify *bn = arg;

	if (r->kind != HVS_KIND_SELF && r->domid == bn->domid)
		hvs_notify(bn->m, hvs_rec_ioserver(bn->m, r),
			   r->bfn + (bn->mfn - r->mfn));
	return false;
}

struct hvs_balloon_swap {
	u16 domid;
	u64 n;
	struct hvs_rec **v;	/* room for every affected entry */
};

static bool hvs_collect_swappable(struct hvs_rec *r, void *arg)
{
	struct hvs_balloon_swap *sw = arg;

	if (r->kind == HVS_KIND_FOREIGN && r->domid == sw->domid)
		sw->v[sw->n++] = r;
	return false;
}

/*
 * A guest gives a page back.  Emulators holding it get an invalidate for
 * each BFN; if every one of them mapped it with swap_mfn, their entries are
 * pointed at the scratch page, read-only, and their references dropped
 * after the flush, else the page lives on (held by their references) until
 * they unmap.  The caller's own pages (domid 0) must be unmapped first.
 */
static int hvs_balloon_out(struct hvs_model *m, u64 domid, u64 gfn)
{
	struct hvs_domain *d = hvs_domain(m, domid);
	struct hvs_balloon_scan bs = { .domid = domid };
	struct hvs_balloon_notify bn = { .m = m, .domid = domid };
	struct hvs_balloon_swap sw = { .domid = domid };
	struct hvs_frame *f;
	struct hvs_rec *r;
	unsigned int i;
	u64 mfn, k;

	if (!d)
		return -ENOENT;
	if (d->dying)
		return -EBUSY;
	if (gfn >= d->nr_pages)
		return -EINVAL;
	mfn = d->p2m[gfn];
	if (mfn == HVS_INVALID)
		return -ENOENT;
	if (mfn & HVS_GFN_FOREIGN)
		return -EBUSY;		/* a grant mapping, not a page */
	f = hvs_frame(m, mfn);
	/* The caller's own P2M may name a frame that is no longer its own. */
	if (!f || f->owner != d->domid || !(f->flags & HVS_FRAME_ALLOCATED))
		return -EINVAL;
	if (f->flags & HVS_FRAME_PINNED)
		return -EBUSY;
	if (domid != 0) {
		/* Everything it needs is allocated before anything changes. */
		hvs_m2b_find(m, mfn, hvs_balloon_count, &bs);
		if (bs.affected && bs.affected == bs.swappable) {
			if (hvs_stale_reserve(m, bs.affected))
				return -ENOMEM;
			sw.v = hvs_zalloc(m, bs.affected * sizeof(*sw.v));
			if (!sw.v)
				return -ENOMEM;
		}
		for (i = 0; bs.affected && i < HVS_MAX_IOSERVERS; i++) {
			if (d->ios[i].live &&
			    hvs_notify_reserve(m, &d->ios[i], bs.affected)) {
				hvs_free(m, sw.v);
				return -ENOMEM;
			}
		}
	}
	m->cnt[HVS_C_BALLOON_OUT]++;
	if (domid != 0) {
		bn.mfn = mfn;
		hvs_m2b_find(m, mfn, hvs_balloon_notify, &bn);
		if (sw.v) {
			/* One walk of the M2B chain, then the swaps. */
			hvs_m2b_find(m, mfn, hvs_collect_swappable, &sw);
			for (k = 0; k < sw.n; k++) {
				r = sw.v[k];
				hvs_m2b_del(m, r);
				hvs_stale_add(m, r->bfn, r->mfn, r->order,
					      r->refkind, false, r->kind);
				/*
				 * Read-only from now on: the scratch page is
				 * shared by every swapped entry of every
				 * guest, so no device may write to it.
				 */
				r->mfn = m->scratch_mfn;
				r->perm = IOMMU_OP_readable;
				r->refkind = HVS_REF_NONE;
				r->flags |= HVS_REC_SWAPPED;
				m->cnt[HVS_C_SWAPS]++;
				m->cnt[HVS_C_TABLE_WRITES]++;
				m->cnt[HVS_C_PTE_WRITES]++;
			}
			hvs_free(m, sw.v);
			/* Xen flushes before the balloon hypercall returns. */
			hvs_flush_now(m);
		}
	}
	hvs_release_gfn(m, d, gfn);
	return 0;
}

/* The frame @gfn of @d had if it is free, else one from the pool. */
static u64 hvs_refill_mfn(struct hvs_model *m, struct hvs_domain *d, u64 gfn)
{
	u64 mfn = d->p2m_orig[gfn];
	struct hvs_frame *f = mfn == HVS_INVALID ? NULL : hvs_frame(m, mfn);

	if (f && f->owner == HVS_DOMID_FREE)
		return mfn;
	return hvs_pool_find(m, 1, false, 1);
}

static int hvs_populate(struct hvs_model *m, u64 domid, u64 gfn)
{
	struct hvs_domain *d = hvs_domain(m, domid);
	u64 mfn;

	if (!d)
		return -ENOENT;
	if (d->dying)
		return -EBUSY;
	if (gfn >= d->nr_pages)
		return -EINVAL;
	if (d->p2m[gfn] != HVS_INVALID)
		return -EEXIST;
	mfn = hvs_refill_mfn(m, d, gfn);
	if (mfn == HVS_INVALID)
		return -ENOMEM;
	hvs_frame_assign(m, d, gfn, mfn);
	m->cnt[HVS_C_POPULATE]++;
	return 0;
}

/* ---- the caller's reservation, P2M and grant mappings ------------------ */

/* XENMEM_decrease_reservation of one of the caller's frames (a gfn, PV). */
static int hvs_resv_decrease_one(struct hvs_model *m, u64 mfn)
{
	struct hvs_frame *f = hvs_frame(m, mfn);

	if (!f || f->owner != 0 || !(f->flags & HVS_FRAME_ALLOCATED) ||
	    (f->flags & HVS_FRAME_PINNED))
		return -EINVAL;
	/* The guest invalidated its own P2M entry already (or forgot to). */
	f->flags &= ~HVS_FRAME_ALLOCATED;
	f->gfn = HVS_INVALID;
	hvs_frame_maybe_free(m, mfn);
	return 0;
}

/* XENMEM_populate_physmap of one pfn: the frame it had if free, else one
 * from the pool; M2P updated, the P2M left to the guest.
 */
static int hvs_resv_populate_one(struct hvs_model *m, unsigned long *frame)
{
	struct hvs_domain *d = m->dom0;
	u64 pfn = *frame, mfn;

	if (pfn >= d->nr_pages)
		return -EINVAL;
	mfn = hvs_refill_mfn(m, d, pfn);
	if (mfn == HVS_INVALID)
		return -ENOMEM;
	hvs_frame_give(m, d, pfn, mfn);
	*frame = mfn;
	return 0;
}

/**
 * hvs_reservation() - the caller changes its reservation (extent order 0)
 * @m:      model
 * @op:     HVS_RESV_DECREASE (XENMEM_decrease_reservation) or
 *          HVS_RESV_POPULATE (XENMEM_populate_physmap), DOMID_SELF
 * @frames: gfns (= MFNs) given back, or pfns to populate, replaced by the
 *          new frames
 * @count:  entries of @frames
 *
 * Like Xen for a PV guest, neither op touches the caller's P2M: the guest
 * invalidates its entry before giving a frame back and enters the new
 * frame after populating (hvs_p2m_set()).  A decrease stops at the first
 * gfn that is not one of the caller's allocated, unpinned frames; a
 * populate at the first pfn beyond the caller's P2M or when no frame is
 * left.  A frame given back while an IOMMU mapping or an unflushed IOTLB
 * entry still reaches it is what the audit reports.
 *
 * Context: the model's owner serialises calls.
 * Return: the number of extents done (0 .. @count), or -EINVAL (bad @op
 * or @count > HVS_MAX_OPS), -EFAULT (NULL @frames).
 */
long hvs_reservation(struct hvs_model *m, unsigned int op,
		     unsigned long *frames, unsigned int count)
{
	unsigned int i;

	if (op > HVS_RESV_POPULATE || count > HVS_MAX_OPS)
		return -EINVAL;
	if (!count)
		return 0;
	if (!frames)
		return -EFAULT;
	m->cnt[op == HVS_RESV_DECREASE ? HVS_C_RESV_DECREASE :
		HVS_C_RESV_POPULATE]++;
	for (i = 0; i < count; i++) {
		if (op == HVS_RESV_DECREASE) {
			if (hvs_resv_decrease_one(m, frames[i]))
				break;
			m->cnt[HVS_C_RESV_DECREASE_FRAMES]++;
		} else {
			if (hvs_resv_populate_one(m, &frames[i]))
				break;
			m->cnt[HVS_C_RESV_POPULATE_FRAMES]++;
		}
		hvs_work(m, 16);
	}
	return i;
}

static bool hvs_p2m_is_real(const struct hvs_model *m)
{
	return m->p2m_mode == HVS_P2M_REAL;
}

/**
 * hvs_p2m_set() - the caller writes its own P2M entry (a PV guest's
 * __set_phys_to_machine())
 * @m:   model
 * @pfn: one of the caller's pfns (below its P2M's nr_pages)
 * @gfn: one of its allocated frames, or HVS_INVALID to invalidate
 *
 * A single store: hvs_pfn_to_gfn() may read the entry concurrently.
 * Whether P2M and M2P agree is the audit's business, not this call's.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -EINVAL (@pfn beyond the caller's P2M), -EBUSY (@pfn holds a
 * grant mapping), -EPERM (@gfn is not an allocated frame of the caller),
 * -EOPNOTSUPP (the P2M is a real Xen domain's).
 */
int hvs_p2m_set(struct hvs_model *m, u64 pfn, u64 gfn)
{
	struct hvs_domain *d = m->dom0;
	struct hvs_frame *f;

	if (hvs_p2m_is_real(m))
		return -EOPNOTSUPP;
	if (pfn >= d->nr_pages)
		return -EINVAL;
	if (d->p2m[pfn] != HVS_INVALID && (d->p2m[pfn] & HVS_GFN_FOREIGN))
		return -EBUSY;
	if (gfn != HVS_INVALID) {
		f = hvs_frame(m, gfn);
		if (!f || f->owner != 0 || !(f->flags & HVS_FRAME_ALLOCATED))
			return -EPERM;
	}
	HVS_WRITE_ONCE(d->p2m[pfn], gfn);
	m->cnt[HVS_C_P2M_SETS]++;
	return 0;
}

static u64 hvs_gslot_hash(u64 pfn)
{
	return hvs_mix64(pfn) & (HVS_GSLOTS - 1);
}

/* The slot of @pfn beyond the caller's RAM, or NULL. */
static struct hvs_gslot *hvs_gslot_find(struct hvs_gslot *t, u64 pfn)
{
	u64 h = hvs_gslot_hash(pfn), k;

	for (k = 0; t && k < HVS_GSLOTS; k++) {
		struct hvs_gslot *s = &t[(h + k) & (HVS_GSLOTS - 1)];
		u64 p = HVS_LOAD_ACQUIRE(s->pfn);

		if (p == pfn)
			return s;
		if (p == HVS_INVALID)
			return NULL;
	}
	return NULL;
}

/* The slot of @pfn, claimed if new: NULL when the hash is (half) full. */
static struct hvs_gslot *hvs_gslot_claim(struct hvs_model *m, u64 pfn)
{
	struct hvs_gslot *t = m->gslots, *s;
	u64 h = hvs_gslot_hash(pfn), k;

	s = hvs_gslot_find(t, pfn);
	if (s)
		return s;
	if (m->gslots_used >= HVS_GSLOTS / 2)
		return NULL;
	for (k = 0; k < HVS_GSLOTS; k++) {
		s = &t[(h + k) & (HVS_GSLOTS - 1)];
		if (s->pfn == HVS_INVALID)
			break;
	}
	/* Value first, then publish the key: readers never see it half. */
	HVS_WRITE_ONCE(s->val, HVS_INVALID);
	HVS_STORE_RELEASE(s->pfn, pfn);
	m->gslots_used++;
	return s;
}

/* The caller's P2M word for @pfn (below its RAM or in the hash). */
static void hvs_p2m_write(struct hvs_model *m, u64 pfn, u64 val)
{
	struct hvs_gslot *s;

	if (pfn < m->dom0->nr_pages) {
		HVS_WRITE_ONCE(m->dom0->p2m[pfn], val);
		return;
	}
	s = hvs_gslot_find(m->gslots, pfn);
	if (s)
		HVS_WRITE_ONCE(s->val, val);
}

/**
 * hvs_grant_map() - map a foreign frame at one of the caller's pfns
 * (GNTTABOP_map_grant_ref + set_foreign_p2m_mapping, as gntdev/blkback do)
 * @m:     model
 * @domid: the granting domain
 * @gfn:   its granted frame
 * @pfn:   the caller's pfn: ballooned out (P2M invalid) or beyond its RAM
 *         (unpopulated space)
 *
 * Takes a page reference on the frame until hvs_grant_unmap(); the pfn's
 * P2M entry becomes mfn | HVS_GFN_FOREIGN.  The IOMMU is not touched: the
 * frame is reachable at its default-map BFN (MFN, or MFN + window), never
 * through a 1:1 entry BFN = pfn the caller made for what was there before.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -EINVAL (@domid not a foreign domain, @pfn beyond the host
 * width), -ENXIO (no such live domain, @gfn not populated), -EBUSY (@pfn
 * populated or granted already), -EPERM (a Xen-owned frame), -ENOSPC (too
 * many pfns beyond RAM granted so far), -ENOMEM, -EOPNOTSUPP (real P2M).
 */
int hvs_grant_map(struct hvs_model *m, unsigned int domid, u64 gfn, u64 pfn)
{
	struct hvs_domain *d;
	struct hvs_gslot *s = NULL;
	struct hvs_grant *g;
	struct hvs_frame *f;
	u64 mfn;

	if (hvs_p2m_is_real(m))
		return -EOPNOTSUPP;
	if (!domid || domid > HVS_DOMID_MAX ||
	    !hvs_fits(pfn, 1, m->cfg.mfn_bits))
		return -EINVAL;
	d = hvs_domain(m, domid);
	if (!d || d->dying)
		return -ENXIO;
	if (gfn >= d->nr_pages || d->p2m[gfn] == HVS_INVALID)
		return -ENXIO;
	if (hvs_tfind(m->grants, pfn) ||
	    (pfn < m->dom0->nr_pages && m->dom0->p2m[pfn] != HVS_INVALID))
		return -EBUSY;
	mfn = d->p2m[gfn];
	f = hvs_frame(m, mfn);
	if (hvs_denied(m, mfn))
		return -EPERM;
	g = hvs_zalloc(m, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (pfn >= m->dom0->nr_pages) {
		if (!m->gslots) {
			struct hvs_gslot *t;
			u64 k;

			t = hvs_zalloc(m, HVS_GSLOTS * sizeof(*t));
			if (!t) {
				hvs_free(m, g);
				return -ENOMEM;
			}
			for (k = 0; k < HVS_GSLOTS; k++) {
				t[k].pfn = HVS_INVALID;
				t[k].val = HVS_INVALID;
			}
			HVS_STORE_RELEASE(m->gslots, t);
		}
		s = hvs_gslot_claim(m, pfn);
		if (!s) {
			hvs_free(m, g);
			return -ENOSPC;
		}
	}
	g->node.key = pfn;
	g->mfn = mfn;
	g->gfn = gfn;
	g->domid = domid;
	hvs_tinsert(m, &m->grants, &g->node);
	m->nr_grants++;
	f->refs++;
	hvs_p2m_write(m, pfn, mfn | HVS_GFN_FOREIGN);
	m->cnt[HVS_C_GRANT_MAPS]++;
	return 0;
}

/**
 * hvs_grant_unmap() - undo hvs_grant_map() at @pfn
 * @m:   model
 * @pfn: the granted pfn
 *
 * Restores the pfn's previous P2M state (invalid below the caller's RAM,
 * identity beyond it) and drops the page reference.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -ENOENT (no grant at @pfn), -EOPNOTSUPP (real P2M).
 */
int hvs_grant_unmap(struct hvs_model *m, u64 pfn)
{
	struct hvs_grant *g;

	if (hvs_p2m_is_real(m))
		return -EOPNOTSUPP;
	g = hvs_grant_of(hvs_terase(&m->grants, pfn));
	if (!g)
		return -ENOENT;
	hvs_p2m_write(m, pfn, HVS_INVALID);
	m->nr_grants--;
	hvs_put_range(m, g->mfn, 0, HVS_REF_RO);
	hvs_free(m, g);
	m->cnt[HVS_C_GRANT_UNMAPS]++;
	return 0;
}

/**
 * hvs_dma_write() - a device writes at @bfn through the IOMMU (tests)
 * @m:   model
 * @bfn: bus frame
 *
 * Uses what hvs_translate() reports.  Writing the scratch page is recorded
 * (a "scratch_written" violation event): swapped entries are read-only so
 * that it stays zero, but an untranslated device can reach it.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -ENOENT (nothing mapped: a DMA fault), -EACCES (no write
 * permission: a DMA fault).
 */
int hvs_dma_write(struct hvs_model *m, u64 bfn)
{
	struct hvs_xlate x;

	if (hvs_translate(m, bfn, &x))
		return -ENOENT;
	if (!(x.perm & IOMMU_OP_writeable))
		return -EACCES;
	m->cnt[HVS_C_DMA_WRITES]++;
	if (x.mfn == m->scratch_mfn && !m->scratch_dirty) {
		m->scratch_dirty = true;
		hvs_violation(m, HVS_VE_SCRATCH, x.mfn, bfn);
	}
	return 0;
}

static int hvs_domain_destroy(struct hvs_model *m, u64 domid)
{
	struct hvs_domain *d = hvs_domain(m, domid);
	unsigned int i;
	u64 gfn;

	if (!d || !domid)
		return d ? -EPERM : -ENOENT;
	/* A domain created "dying" still has its pages: destroy finishes. */
	if (d->dying && !hvs_populated(d))
		return -EBUSY;
	for (i = 0; i < HVS_MAX_IOSERVERS; i++) {
		d->ios[i].live = false;
		hvs_notify_discard(m, &d->ios[i]);
		if (!d->ios[i].nr_recs)
			d->ios[i].used = false;
	}
	/* Not dying inside this loop: nothing may reap @d under our feet. */
	d->dying = false;
	for (gfn = 0; gfn < d->nr_pages; gfn++)
		if (d->p2m[gfn] != HVS_INVALID)
			hvs_release_gfn(m, d, gfn);
	d->dying = true;
	hvs_reap_domain(m, d);
	return 0;
}

static int hvs_ioserver_create(struct hvs_model *m, u64 domid, u64 id)
{
	struct hvs_domain *d = hvs_domain(m, domid);
	struct hvs_ioserver *ios;
	unsigned int i;

	if (!d || !domid)
		return d ? -EINVAL : -ENOENT;
	if (d->dying)
		return -EBUSY;
	if (id > 0xffff)
		return -EINVAL;
	ios = hvs_ioserver(d, id);
	if (ios)
		return ios->live ? -EEXIST : -EBUSY;
	for (i = 0; i < HVS_MAX_IOSERVERS; i++) {
		ios = &d->ios[i];
		if (!ios->used) {
			memset(ios, 0, sizeof(*ios));
			ios->used = true;
			ios->live = true;
			ios->id = id;
			return 0;
		}
	}
	return -ENOSPC;
}

static int hvs_ioserver_destroy(struct hvs_model *m, u64 domid, u64 id)
{
	struct hvs_ioserver *ios = hvs_ioserver(hvs_domain(m, domid), id);

	if (!ios || !ios->live)
		return -ENOENT;
	ios->live = false;
	hvs_notify_discard(m, ios);	/* nobody will read them */
	if (!ios->nr_recs)
		ios->used = false;
	return 0;
}

/**
 * hvs_notify_pop() - take the oldest invalidate queued for an ioserver
 * @m:        model
 * @domid:    the ioserver's domain
 * @ioserver: ioserver id
 * @bfn:      the invalidated BFN
 *
 * Invalidates come out in the order they were sent: the buffered ring's,
 * then those Xen sent as synchronous requests while the ring was full.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -ENOENT (no such live ioserver) or -EAGAIN (queue empty).
 */
int hvs_notify_pop(struct hvs_model *m, unsigned int domid,
		   unsigned int ioserver, u64 *bfn)
{
	struct hvs_ioserver *ios = hvs_ioserver(hvs_domain(m, domid),
						ioserver);

	if (!ios || !ios->live)
		return -ENOENT;
	if (!ios->count)
		return -EAGAIN;
	*bfn = ios->ring[ios->head];
	ios->head = (ios->head + 1) % HVS_NOTIFY_RING;
	ios->count--;
	/* Synchronous ones wait behind the ring: keep them in order. */
	if (ios->sync_n) {
		ios->ring[(ios->head + ios->count) % HVS_NOTIFY_RING] =
			ios->sync[ios->sync_head++];
		ios->sync_n--;
		ios->count++;
	}
	return 0;
}

/* ---- dom0 page tables ------------------------------------------------- */

static int hvs_pin(struct hvs_model *m, u64 pfn, bool pin)
{
	struct hvs_frame *f;

	if (pfn >= m->dom0->nr_pages || m->dom0->p2m[pfn] == HVS_INVALID ||
	    (m->dom0->p2m[pfn] & HVS_GFN_FOREIGN))
		return -ENOENT;
	f = hvs_frame(m, m->dom0->p2m[pfn]);
	if (!f || f->owner != 0 || !(f->flags & HVS_FRAME_ALLOCATED))
		return -ENOENT;
	if (!pin) {
		if (!(f->flags & HVS_FRAME_PINNED))
			return -EINVAL;
		f->flags &= ~HVS_FRAME_PINNED;
		return 0;
	}
	if (f->flags & HVS_FRAME_PINNED)
		return -EEXIST;
	/* A writable IOMMU mapping holds a writable type reference. */
	if (f->wrefs)
		return -EBUSY;
	f->flags |= HVS_FRAME_PINNED;
	return 0;
}

/* ---- ranges --------------------------------------------------------------- */

/*
 * Call @fn on every managed frame of [start, start + nr) (the model's
 * frames only: the loop is bounded by the model's size whatever @nr);
 * stop at the first non-zero return.
 */
static int hvs_for_managed(struct hvs_model *m, u64 start, u64 nr,
			   int (*fn)(struct hvs_frame *f))
{
	u64 i, j, run;
	int rc;

	for (i = 0; i < nr; i += run) {
		run = nr - i;
		if (!hvs_managed_run(m, start + i, &run))
			continue;
		for (j = 0; j < run; j++) {
			rc = fn(hvs_frame(m, start + i + j));
			if (rc)
				return rc;
		}
		hvs_work(m, run);
	}
	return 0;
}

static int hvs_xen_range_check(struct hvs_frame *f)
{
	return f->owner != HVS_DOMID_FREE || f->refs ? -EBUSY : 0;
}

static int hvs_xen_range_take(struct hvs_frame *f)
{
	f->owner = HVS_DOMID_XEN;
	f->gen++;
	return 0;
}

/* Does an unflushed IOTLB entry reach a frame of [start, start + n)? */
static bool hvs_stale_reaches(struct hvs_model *m, u64 start, u64 n)
{
	u64 i;

	for (i = 0; i < m->nr_stale; i++)
		if (!m->stale[i].from_default &&
		    hvs_overlap(m->stale[i].mfn, 1ull << m->stale[i].order,
				start, n))
			return true;
	return false;
}

/*
 * More Xen-owned frames: free (or unmanaged) ones that no mapping, lookup
 * or unflushed IOTLB entry reaches, else -EBUSY.
 */
static int hvs_add_xen_range(struct hvs_model *m, u64 start, u64 nr)
{
	int rc;

	if (!nr || !hvs_fits(start, nr, m->cfg.mfn_bits))
		return -EINVAL;
	if (m->nr_xen >= HVS_MAX_RANGES)
		return -ENOSPC;
	rc = hvs_for_managed(m, start, nr, hvs_xen_range_check);
	if (rc)
		return rc;
	if (hvs_revoke_scan(m, &m->table, start, nr, false) ||
	    hvs_revoke_scan(m, &m->lookups, start, nr, false) ||
	    hvs_stale_reaches(m, start, nr))
		return -EBUSY;
	hvs_for_managed(m, start, nr, hvs_xen_range_take);
	m->xen[m->nr_xen].start = start;
	m->xen[m->nr_xen].nr = nr;
	m->nr_xen++;
	return 0;
}

static int hvs_add_rmrr(struct hvs_model *m, u64 start, u64 nr)
{
	if (!nr || !hvs_fits(start, nr, m->cfg.bfn_bits))
		return -EINVAL;
	if (m->nr_rmrr >= HVS_MAX_RANGES)
		return -ENOSPC;
	if (hvs_table_overlaps(m, start, nr) ||
	    hvs_lookups_overlap(m, start, nr))
		return -EBUSY;
	m->rmrr[m->nr_rmrr].start = start;
	m->rmrr[m->nr_rmrr].nr = nr;
	m->nr_rmrr++;
	return 0;
}

/* ---- ledgers ------------------------------------------------------------ */

/**
 * hvs_totals_get() - the ledger: live mappings, references, stale entries
 * @m: model
 * @t: result
 *
 * Context: the model's owner serialises calls.
 */
void hvs_totals_get(struct hvs_model *m, struct hvs_totals *t)
{
	u64 i, nf = hvs_nr_frames(m);

	memset(t, 0, sizeof(*t));
	t->recs_self = m->nr_self;
	t->recs_foreign = m->nr_foreign;
	t->recs_lookup = m->nr_lookup;
	t->stale = m->nr_stale;
	t->grants = m->nr_grants;
	for (i = 0; i < nf; i++) {
		struct hvs_frame *f = &m->frames[i];

		if (!(i & (HVS_YIELD_WORK - 1)))
			hvs_work(m, HVS_YIELD_WORK);
		t->refs += f->refs;
		t->wrefs += f->wrefs;
		if (hvs_is_domid(f->owner) &&
		    !(f->flags & HVS_FRAME_ALLOCATED) && f->refs)
			t->zombies++;
	}
}

/* ---- configuration -------------------------------------------------------- */

/**
 * hvs_config_default() - the defaults (a non-strict Dom0 on a VT-d host)
 * @cfg: filled in
 */
void hvs_config_default(struct hvs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hardware_domain = true;
	cfg->nonhw_enosys = true;
	cfg->iommu = true;
	cfg->map_cap = true;
	cfg->map_all_gfns = true;
	cfg->max_order = 9;
	cfg->default_map = HVS_DEFMAP_IDENTITY;
	cfg->window_offset = HVS_WINDOW_OFFSET_DEFAULT;
	cfg->bfn_bits = 36;
	cfg->mfn_bits = 40;
	cfg->page_info_size = 32;
	cfg->m2p_size = 8;
	cfg->max_records = 1ull << 20;
	cfg->continue_work = HVS_CONTINUE_WORK;
}

static int hvs_config_check(const struct hvs_config *c)
{
	if (c->max_order > HVS_MAX_ORDER || c->default_map > HVS_DEFMAP_NONE)
		return -EINVAL;
	if (c->bfn_bits < 20 || c->bfn_bits > HVS_MAX_FRAME_BITS ||
	    c->mfn_bits < 34 || c->mfn_bits > HVS_MAX_FRAME_BITS)
		return -EINVAL;
	if (!c->max_records || !c->continue_work)
		return -EINVAL;
	if (c->window_offset >= (1ull << c->bfn_bits))
		return -EINVAL;
	if (c->page_info_size > 1024 || c->m2p_size > 1024)
		return -EINVAL;
	return 0;
}

/**
 * hvs_config_get() - the current knobs
 * @m: model
 *
 * Return: the model's configuration (read-only; change it with hvs_ctl()).
 */
const struct hvs_config *hvs_config_get(const struct hvs_model *m)
{
	return &m->cfg;
}

/**
 * hvs_scratch_mfn() - the frame swapped-out foreign mappings point at
 * @m: model
 *
 * Return: its MFN.
 */
u64 hvs_scratch_mfn(const struct hvs_model *m)
{
	return m->scratch_mfn;
}

/* ---- creation ------------------------------------------------------------ */

static int hvs_build_dom0(struct hvs_model *m, const struct hvs_layout *lay)
{
	struct hvs_domain *d = m->dom0;
	u64 n = lay->dom0_pages, i, seed = lay->p2m_seed, span = 0;

	for (i = 0; i < n; i++) {
		u64 mfn;

		switch (lay->p2m_mode) {
		case HVS_P2M_SHIFT:
			mfn = i + lay->p2m_shift;
			break;
		case HVS_P2M_REAL:
			mfn = lay->p2m ? lay->p2m[i] : i;
			break;
		default:
			mfn = i;
			break;
		}
		d->p2m[i] = mfn;
	}
	if (lay->p2m_mode == HVS_P2M_SCRAMBLE) {
		for (i = n; i > 1; i--) {
			u64 j = hvs_rand(&seed) % i, t = d->p2m[i - 1];

			d->p2m[i - 1] = d->p2m[j];
			d->p2m[j] = t;
		}
	} else if (lay->p2m_mode == HVS_P2M_SCRAMBLE_2M) {
		u64 chunks = n / 512, c, k;

		for (c = chunks; c > 1; c--) {
			u64 j = hvs_rand(&seed) % c;

			for (k = 0; k < 512; k++) {
				u64 t = d->p2m[(c - 1) * 512 + k];

				d->p2m[(c - 1) * 512 + k] = d->p2m[j * 512 + k];
				d->p2m[j * 512 + k] = t;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (d->p2m[i] == HVS_INVALID)
			continue;
		if (d->p2m[i] >= HVS_EXTRA_BASE)
			return -EINVAL;
		if (d->p2m[i] + 1 > span)
			span = d->p2m[i] + 1;
	}
	m->dom0_span = span;
	return 0;
}

/**
 * hvs_model_create() - build a model
 * @env: services (copied)
 * @cfg: initial knobs (copied; checked)
 * @lay: host frames and the caller's P2M
 * @err: set to the errno on failure
 *
 * Context: may sleep if @env->zalloc does.
 * Return: the model, or NULL with *@err = -EINVAL (bad knobs or layout) or
 * -ENOMEM.
 */
struct hvs_model *hvs_model_create(const struct hvs_env *env,
				   const struct hvs_config *cfg,
				   const struct hvs_layout *lay, int *err)
{
	struct hvs_model *m;
	u64 i, nf;

	*err = hvs_config_check(cfg);
	if (*err)
		return NULL;
	*err = -EINVAL;
	if (lay->dom0_pages > (1ull << 28) || lay->xen_frames > (1ull << 20) ||
	    !lay->pool_frames || lay->pool_frames > (1ull << 24) ||
	    lay->p2m_mode > HVS_P2M_REAL || lay->p2m_shift > (1ull << 28))
		return NULL;
	*err = -ENOMEM;
	m = env->zalloc(sizeof(*m));
	if (!m)
		return NULL;
	m->env = *env;
	m->cfg = *cfg;
	m->p2m_mode = lay->p2m_mode;
	/* Fixed seed: a run replays exactly (treap shapes included). */
	m->prio_state = 0x7265617073ull ^ lay->p2m_seed;
	m->m2b_mask = 1023;
	m->m2b = hvs_zalloc(m, (m->m2b_mask + 1) * sizeof(*m->m2b));
	m->dom0 = hvs_domain_alloc(m, lay->dom0_pages);
	if (!m->m2b || !m->dom0)
		goto fail;
	*err = hvs_build_dom0(m, lay);
	if (*err)
		goto fail;
	m->xen_nr = lay->xen_frames;
	m->scratch_mfn = HVS_EXTRA_BASE + m->xen_nr;
	m->pool_start = m->scratch_mfn + 1;
	m->pool_nr = lay->pool_frames;
	m->extra_nr = m->xen_nr + 1 + m->pool_nr;
	nf = hvs_nr_frames(m);
	*err = -ENOMEM;
	m->frames = hvs_zalloc(m, nf * sizeof(*m->frames));
	if (!m->frames)
		goto fail;
	for (i = 0; i < nf; i++) {
		m->frames[i].owner = HVS_DOMID_FREE;
		m->frames[i].gfn = HVS_INVALID;
	}
	for (i = 0; i < lay->dom0_pages; i++) {
		u64 mfn = m->dom0->p2m[i];

		if (mfn == HVS_INVALID)
			continue;
		if (hvs_frame(m, mfn)->owner != HVS_DOMID_FREE) {
			/* One frame twice: a real P2M's aliases are dropped. */
			if (lay->p2m_mode == HVS_P2M_REAL) {
				m->dom0->p2m[i] = HVS_INVALID;
				continue;
			}
			*err = -EINVAL;
			goto fail;
		}
		hvs_frame_assign(m, m->dom0, i, mfn);
		m->dom0->p2m_orig[i] = mfn;
	}
	hvs_frame(m, m->scratch_mfn)->owner = HVS_DOMID_XEN;
	hvs_frame(m, m->scratch_mfn)->flags = HVS_FRAME_SCRATCH;
	if (m->xen_nr) {
		*err = hvs_add_xen_range(m, HVS_EXTRA_BASE, m->xen_nr);
		if (*err)
			goto fail;
	}
	hvs_totals_get(m, &m->baseline);
	*err = 0;
	return m;
fail:
	hvs_model_destroy(m);
	return NULL;
}

/* Free a whole tree without recursion: rotate left children up. */
static void hvs_tfree_all(struct hvs_model *m, struct hvs_tnode *t,
			  unsigned int tree)
{
	struct hvs_tnode *l, *next;

	while (t) {
		if (t->l) {
			l = t->l;
			t->l = l->r;
			l->r = t;
			t = l;
			continue;
		}
		next = t->r;
		if (tree == HVS_TREE_HOLES)
			hvs_free(m, hvs_hole_of(t));
		else if (tree == HVS_TREE_GRANTS)
			hvs_free(m, hvs_grant_of(t));
		else
			hvs_free(m, hvs_rec_of(t));
		t = next;
	}
}

/**
 * hvs_model_destroy() - free a model and everything it holds
 * @m: model (NULL is a no-op)
 *
 * Context: may sleep if env->free does.
 */
void hvs_model_destroy(struct hvs_model *m)
{
	unsigned int i;

	if (!m)
		return;
	hvs_tfree_all(m, m->table, HVS_TREE_TABLE);
	hvs_tfree_all(m, m->lookups, HVS_TREE_LOOKUPS);
	hvs_tfree_all(m, m->holes, HVS_TREE_HOLES);
	hvs_tfree_all(m, m->grants, HVS_TREE_GRANTS);
	hvs_free(m, m->gslots);
	for (i = 0; i < HVS_MAX_DOMAINS; i++)
		hvs_domain_free(m, m->doms[i]);
	hvs_domain_free(m, m->dom0);
	hvs_free(m, m->m2b);
	hvs_free(m, m->stale);
	hvs_free(m, m->frames);
	m->env.free(m);
}

/**
 * hvs_pfn_to_gfn() - the caller's P2M
 * @m:   model
 * @pfn: caller's pfn
 *
 * Frames beyond the caller's RAM (MMIO, pmem) are identity-mapped, as in
 * a PV domain's P2M, unless a grant mapping is there.  Reads single words
 * (a grant's hash slot: its key with acquire, then its value): safe
 * concurrently with every other call, which update them with single
 * stores.
 *
 * Context: any; never sleeps; takes no lock.
 * Return: the gfn (= MFN, PV), mfn | HVS_GFN_FOREIGN for a grant mapping,
 * or HVS_INVALID for a ballooned-out pfn.
 */
u64 hvs_pfn_to_gfn(const struct hvs_model *m, u64 pfn)
{
	struct hvs_gslot *s;
	u64 v;

	if (pfn < m->dom0->nr_pages)
		return HVS_READ_ONCE(m->dom0->p2m[pfn]);
	s = hvs_gslot_find(HVS_LOAD_ACQUIRE(m->gslots), pfn);
	if (!s)
		return pfn;
	v = HVS_READ_ONCE(s->val);
	return v == HVS_INVALID ? pfn : v;
}

/**
 * hvs_own_pages() - length of a run of the caller's own frames
 * @m: model
 * @pfn: first pfn
 * @nr: pfns to look at
 *
 * Context: as hvs_pfn_to_gfn().
 * Return: how many pfns from @pfn on, at most @nr and stopping at the first
 * that is not, hvs_pfn_to_gfn() maps to a frame of the caller's own
 * (neither HVS_INVALID nor a grant mapping).
 */
u64 hvs_own_pages(const struct hvs_model *m, u64 pfn, u64 nr)
{
	const u64 *p2m = m->dom0->p2m;
	u64 i, v, pages = m->dom0->nr_pages;

	for (i = 0; i < nr; i++) {
		/* hvs_pfn_to_gfn(), its common case open-coded. */
		v = pfn + i < pages ? HVS_READ_ONCE(p2m[pfn + i]) :
				      hvs_pfn_to_gfn(m, pfn + i);
		if (v == HVS_INVALID || (v & HVS_GFN_FOREIGN))
			break;
	}
	return i;
}

/* ---- queries ---------------------------------------------------------- */

/**
 * hvs_translate() - what a device reaches at a BFN now
 * @m:   model
 * @bfn: bus frame
 * @x:   result (@x->stale counts unflushed IOTLB entries for @bfn)
 *
 * Context: the model's owner serialises calls.
 * Return: 0, or -ENOENT when nothing is mapped at @bfn.
 */
int hvs_translate(struct hvs_model *m, u64 bfn, struct hvs_xlate *x)
{
	struct hvs_rec *r;
	u64 i, mfn;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < m->nr_stale; i++)
		if (bfn - m->stale[i].bfn < (1ull << m->stale[i].order))
			x->stale++;
	if (hvs_untranslated(m)) {
		x->mfn = bfn;
		x->perm = IOMMU_OP_readable | IOMMU_OP_writeable;
		x->src = HVS_XS_UNTRANSLATED;
		x->zero = bfn == m->scratch_mfn && !m->scratch_dirty;
		return 0;
	}
	r = hvs_table_covering(m, bfn);
	if (r) {
		x->perm = r->perm;
		if (r->flags & HVS_REC_SWAPPED) {
			x->mfn = m->scratch_mfn;
			x->src = HVS_XS_SCRATCH;
			x->zero = !m->scratch_dirty;
		} else {
			x->mfn = r->mfn + (bfn - r->bfn);
			x->src = HVS_XS_MAPPED;
		}
		return 0;
	}
	if (hvs_default_xlate(m, bfn, &mfn)) {
		x->mfn = mfn;
		x->perm = IOMMU_OP_readable | IOMMU_OP_writeable;
		x->src = HVS_XS_DEFAULT;
		return 0;
	}
	x->src = HVS_XS_NONE;
	return -ENOENT;
}

/**
 * hvs_frame_get() - one host frame's state
 * @m:   model
 * @mfn: frame
 * @fi:  result
 *
 * Frames the model does not manage (MMIO, pmem) read as owned by
 * HVS_DOMID_IO (or HVS_DOMID_XEN inside a Xen range), without references.
 *
 * Context: the model's owner serialises calls.
 * Return: 0, or -ENOENT for a frame beyond the host address width.
 */
int hvs_frame_get(struct hvs_model *m, u64 mfn, struct hvs_frame_info *fi)
{
	struct hvs_frame *f = hvs_frame(m, mfn);

	memset(fi, 0, sizeof(*fi));
	fi->gfn = HVS_INVALID;
	if (!f) {
		if (!hvs_fits(mfn, 1, m->cfg.mfn_bits))
			return -ENOENT;
		fi->owner = hvs_xen_owned(m, mfn) ? HVS_DOMID_XEN :
						    HVS_DOMID_IO;
		return 0;
	}
	fi->owner = f->owner;
	fi->allocated = f->flags & HVS_FRAME_ALLOCATED;
	fi->gfn = f->gfn;
	fi->refs = f->refs;
	fi->wrefs = f->wrefs;
	fi->pinned = f->flags & HVS_FRAME_PINNED;
	fi->gen = f->gen;
	return 0;
}

static void hvs_mapping_fill(struct hvs_model *m, const struct hvs_rec *r,
			     struct hvs_mapping *mp)
{
	mp->bfn = r->bfn;
	mp->mfn = (r->flags & HVS_REC_SWAPPED) ? m->scratch_mfn : r->mfn;
	mp->gfn = r->gfn;
	mp->order = r->order;
	mp->kind = r->kind;
	mp->perm = r->perm;
	mp->refkind = r->refkind;
	mp->domid = r->domid;
	mp->ioserver = r->ioserver;
	mp->swap = r->flags & HVS_REC_SWAP;
	mp->swapped = r->flags & HVS_REC_SWAPPED;
}

/**
 * hvs_mapping_get() - the @idx-th live mapping (BFN order), then lookups
 * @m:   model
 * @idx: index, from 0
 * @out: result
 *
 * Context: the model's owner serialises calls (also between the calls of
 * one dump).
 * Return: 0, or -ENOENT past the last one.
 */
int hvs_mapping_get(struct hvs_model *m, u64 idx, struct hvs_mapping *out)
{
	u64 nt = hvs_tsize(m->table);
	struct hvs_rec *r;

	if (idx < nt)
		r = hvs_rec_of(hvs_tnth(m->table, idx));
	else
		r = hvs_rec_of(hvs_tnth(m->lookups, idx - nt));
	if (!r)
		return -ENOENT;
	hvs_mapping_fill(m, r, out);
	return 0;
}

static const char *const hvs_kind_names[] = { "self", "foreign", "lookup" };
static const char *const hvs_ref_names[] = { "none", "ro", "rw" };

static const char *hvs_perm_name(unsigned int perm)
{
	static const char *const names[] = { "--", "r-", "-w", "rw" };

	return names[perm & 3];
}

/**
 * hvs_mapping_show() - one line describing a mapping
 * @mp:  the mapping
 * @out: sink
 */
void hvs_mapping_show(const struct hvs_mapping *mp, const struct hvs_out *out)
{
	out->emit(out->ctx,
		  "bfn=0x%llx order=%u mfn=0x%llx gfn=0x%llx kind=%s dom=%u ios=%u perm=%s ref=%s swap=%d swapped=%d\n",
		  HVS_ULL(mp->bfn), mp->order, HVS_ULL(mp->mfn), HVS_ULL(mp->gfn),
		  hvs_kind_names[mp->kind % 3], mp->domid, mp->ioserver,
		  hvs_perm_name(mp->perm), hvs_ref_names[mp->refkind % 3],
		  mp->swap, mp->swapped);
}

/**
 * hvs_tree_depth() - the depth of one of the model's ordered trees
 * @m:    model
 * @tree: HVS_TREE_*
 *
 * Walks from the root to every node (no recursion): O(n * depth).
 *
 * Context: the model's owner serialises calls.
 * Return: the number of nodes on the longest root-to-leaf path (0: empty).
 */
unsigned int hvs_tree_depth(struct hvs_model *m, unsigned int tree)
{
	struct hvs_tnode *roots[HVS_TREE_NR] = {
		m->table, m->lookups, m->holes, m->grants,
	};
	struct hvs_tnode *root, *t, *x;
	unsigned int depth = 0, d;

	if (tree >= HVS_TREE_NR)
		return 0;
	root = roots[tree];
	for (t = hvs_tfind_ge(root, 0); t; t = hvs_tnext(root, t)) {
		for (d = 1, x = root; x != t; d++)
			x = t->key < x->key ? x->l : x->r;
		if (d > depth)
			depth = d;
		hvs_work(m, d);
	}
	return depth;
}

/**
 * hvs_counter() - a counter by the name the counters view prints
 * @m:    model
 * @name: e.g. "flushes", "op_map_page", "st_map_page_eperm"
 *
 * Context: the model's owner serialises calls.
 * Return: its value, or HVS_INVALID for an unknown name.
 */
u64 hvs_counter(struct hvs_model *m, const char *name)
{
	unsigned int i, j;
	size_t ls, lt;

	for (i = 0; i < HVS_C_NR; i++)
		if (!strcmp(name, hvs_c_names[i]))
			return m->cnt[i];
	if (!strncmp(name, "op_", 3)) {
		for (i = 0; i < HVS_NR_SUBOPS; i++)
			if (!strcmp(name + 3, hvs_subop_names[i]))
				return m->subop_cnt[i];
	}
	if (!strncmp(name, "st_", 3)) {
		for (i = 0; i < HVS_NR_SUBOPS; i++) {
			ls = strlen(hvs_subop_names[i]);
			if (strncmp(name + 3, hvs_subop_names[i], ls) ||
			    name[3 + ls] != '_')
				continue;
			for (j = 0; j < HVS_NR_STATUS; j++) {
				lt = strlen(hvs_status_names[j]);
				if (!strncmp(name + 4 + ls, hvs_status_names[j],
					     lt) && !name[4 + ls + lt])
					return m->status_cnt[i][j];
			}
		}
	}
	if (!strncmp(name, "ce_", 3)) {
		for (i = 0; i < HVS_CE_NR; i++)
			if (!strcmp(name + 3, hvs_ce_names[i]))
				return m->ce_cnt[i];
		if (!strcmp(name + 3, "total"))
			return m->ce_total;
	}
	if (!strncmp(name, "ve_", 3)) {
		for (i = 0; i < HVS_VE_NR; i++)
			if (!strcmp(name + 3, hvs_ve_names[i]))
				return m->ve_cnt[i];
		if (!strcmp(name + 3, "total"))
			return m->ve_total;
	}
	return HVS_INVALID;
}

/* ---- hvs_ctl: the command language ----------------------------------- */

#define HVS_MAX_TOKENS		8
#define HVS_TOKEN_MAX		24

struct hvs_args {
	char tok[HVS_MAX_TOKENS][HVS_TOKEN_MAX];
	unsigned int n;
};

static bool hvs_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hvs_tokenize(const char *line, size_t len, struct hvs_args *a)
{
	size_t i = 0, l;

	a->n = 0;
	while (i < len && line[i]) {
		if (hvs_space(line[i])) {
			i++;
			continue;
		}
		if (a->n == HVS_MAX_TOKENS)
			return -EINVAL;
		for (l = 0; i < len && line[i] && !hvs_space(line[i]); i++) {
			if (l == HVS_TOKEN_MAX - 1)
				return -EINVAL;
			a->tok[a->n][l++] = line[i];
		}
		a->tok[a->n][l] = 0;
		a->n++;
	}
	return 0;
}

static int hvs_parse_u64(const char *s, u64 *v)
{
	unsigned int base = 10, d;
	u64 x = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (x > (~0ull - d) / base)
			return -EINVAL;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

static const struct {
	const char *name;
	int val;
} hvs_errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO },
	{ "ENXIO", ENXIO }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
	{ "ENOSPC", ENOSPC }, { "ENOSYS", ENOSYS },
};

/* "EIO", "5" or "-5": stored as -5. */
static int hvs_parse_errno(const char *s, int *e)
{
	unsigned int i;
	u64 v;

	for (i = 0; i < HVS_ARRAY_SIZE(hvs_errnos); i++) {
		if (!strcmp(s, hvs_errnos[i].name)) {
			*e = -hvs_errnos[i].val;
			return 0;
		}
	}
	if (hvs_parse_u64(s[0] == '-' ? s + 1 : s, &v) || !v || v > 4095)
		return -EINVAL;
	*e = -(int)v;
	return 0;
}

static int hvs_parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "1") || !strcmp(s, "y") || !strcmp(s, "on")) {
		*b = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcmp(s, "n") || !strcmp(s, "off")) {
		*b = false;
		return 0;
	}
	return -EINVAL;
}

/* Knobs "set" may change; @fixed ones only while nothing is mapped. */
enum { HVS_KB, HVS_KU, HVS_KU64 };

static const struct {
	const char *name;
	unsigned int type;
	size_t off;
	bool fixed;
} hvs_knobs[] = {
#define HVS_KNOB(n, t, fx) { #n, t, __builtin_offsetof(struct hvs_config, n), fx }
	HVS_KNOB(disabled, HVS_KB, false),
	HVS_KNOB(hardware_domain, HVS_KB, false),
	HVS_KNOB(nonhw_enosys, HVS_KB, false),
	HVS_KNOB(has_devices, HVS_KB, false),
	HVS_KNOB(iommu, HVS_KB, false),
	HVS_KNOB(passthrough, HVS_KB, false),
	HVS_KNOB(strict, HVS_KB, false),
	HVS_KNOB(map_cap, HVS_KB, false),
	HVS_KNOB(map_all_gfns, HVS_KB, false),
	HVS_KNOB(max_order, HVS_KU, true),
	HVS_KNOB(default_map, HVS_KU, true),
	HVS_KNOB(window_offset, HVS_KU64, true),
	HVS_KNOB(bfn_bits, HVS_KU, true),
	HVS_KNOB(mfn_bits, HVS_KU, true),
	HVS_KNOB(pmem_enosys, HVS_KB, false),
	HVS_KNOB(page_info_size, HVS_KU, false),
	HVS_KNOB(m2p_size, HVS_KU, false),
	HVS_KNOB(max_records, HVS_KU64, false),
	HVS_KNOB(continue_work, HVS_KU64, false),
#undef HVS_KNOB
};

/* Forget the displaced ranges: Xen's default map as it was built. */
static void hvs_holes_clear(struct hvs_model *m)
{
	hvs_tfree_all(m, m->holes, HVS_TREE_HOLES);
	m->holes = NULL;
}

/* The fixed knobs of @a and @b agree. */
static bool hvs_geometry_same(const struct hvs_config *a,
			      const struct hvs_config *b)
{
	return a->max_order == b->max_order &&
	       a->default_map == b->default_map &&
	       a->window_offset == b->window_offset &&
	       a->bfn_bits == b->bfn_bits && a->mfn_bits == b->mfn_bits;
}

static int hvs_set(struct hvs_model *m, const char *name, const char *val)
{
	struct hvs_config c = m->cfg;
	unsigned int i;
	bool b;
	u64 v;

	for (i = 0; i < HVS_ARRAY_SIZE(hvs_knobs); i++)
		if (!strcmp(name, hvs_knobs[i].name))
			break;
	if (i == HVS_ARRAY_SIZE(hvs_knobs))
		return -EINVAL;
	if (hvs_knobs[i].type == HVS_KB) {
		if (hvs_parse_bool(val, &b))
			return -EINVAL;
		*(bool *)((char *)&c + hvs_knobs[i].off) = b;
	} else {
		if (!strcmp(name, "default_map") && !strcmp(val, "identity"))
			v = HVS_DEFMAP_IDENTITY;
		else if (!strcmp(name, "default_map") && !strcmp(val, "window"))
			v = HVS_DEFMAP_WINDOW;
		else if (!strcmp(name, "default_map") && !strcmp(val, "none"))
			v = HVS_DEFMAP_NONE;
		else if (hvs_parse_u64(val, &v))
			return -EINVAL;
		if (hvs_knobs[i].type == HVS_KU) {
			if (v > 0xffffffffull)
				return -EINVAL;
			*(unsigned int *)((char *)&c + hvs_knobs[i].off) = v;
		} else {
			*(u64 *)((char *)&c + hvs_knobs[i].off) = v;
		}
	}
	if (hvs_config_check(&c))
		return -EINVAL;
	/* Fixed: the IOMMU's geometry changes only while nothing uses it. */
	if (hvs_knobs[i].fixed && !hvs_geometry_same(&c, &m->cfg) &&
	    (m->nr_self || m->nr_foreign || m->nr_lookup || m->nr_stale))
		return -EBUSY;
	/* A new default map (another host boot): no displaced range left. */
	if (c.default_map != m->cfg.default_map ||
	    c.window_offset != m->cfg.window_offset ||
	    c.bfn_bits != m->cfg.bfn_bits)
		hvs_holes_clear(m);
	m->cfg = c;
	return 0;
}

static int hvs_fault_cmd(struct hvs_model *m, const struct hvs_args *a)
{
	struct hvs_fault *ft = &m->fault;
	u64 n;
	int e;

	if (a->n == 2 && !strcmp(a->tok[1], "clear")) {
		memset(ft, 0, sizeof(*ft));
		return 0;
	}
	if (a->n == 2 && !strcmp(a->tok[1], "flush")) {
		ft->flush_skip = true;
		return 0;
	}
	if (a->n == 3 && !strcmp(a->tok[1], "skip")) {
		if (hvs_parse_u64(a->tok[2], &n) || n > 0xffffffffull)
			return -EINVAL;
		ft->skip = n;
		return 0;
	}
	if (a->n == 3 && !strcmp(a->tok[1], "call")) {
		if (hvs_parse_errno(a->tok[2], &e))
			return -EINVAL;
		ft->call_armed = true;
		ft->call_errno = e;
		return 0;
	}
	if (a->n < 3 || hvs_parse_u64(a->tok[2], &n) || n >= HVS_MAX_OPS)
		return -EINVAL;
	if (a->n == 4 && !strcmp(a->tok[1], "op")) {
		if (hvs_parse_errno(a->tok[3], &e))
			return -EINVAL;
		ft->op_armed = true;
		ft->op_index = n;
		ft->op_errno = e;
		return 0;
	}
	if (a->n == 3 && !strcmp(a->tok[1], "preempt")) {
		ft->preempt_armed = true;
		ft->preempt_at = n;
		return 0;
	}
	if (a->n == 3 && !strcmp(a->tok[1], "continue")) {
		ft->cont_armed = true;
		ft->cont_at = n;
		return 0;
	}
	return -EINVAL;
}

/* Parse tokens 1 .. @n - 1 as numbers. */
static int hvs_nums(const struct hvs_args *a, unsigned int n, u64 *v)
{
	unsigned int i;

	if (a->n < n)
		return -EINVAL;
	for (i = 1; i < n; i++)
		if (hvs_parse_u64(a->tok[i], &v[i - 1]))
			return -EINVAL;
	return 0;
}

static int hvs_cmd_domain_create(struct hvs_model *m,
				 const struct hvs_args *a)
{
	bool target = false, dying = false, contig = false;
	unsigned int i;
	u64 v[2];

	if (hvs_nums(a, 3, v))
		return -EINVAL;
	for (i = 3; i < a->n; i++) {
		if (!strcmp(a->tok[i], "target"))
			target = true;
		else if (!strcmp(a->tok[i], "dying"))
			dying = true;
		else if (!strcmp(a->tok[i], "contig"))
			contig = true;
		else
			return -EINVAL;
	}
	return hvs_domain_create(m, v[0], v[1], target, dying, contig);
}

/**
 * hvs_ctl() - run one command line (the debugfs control files)
 * @m:    model
 * @line: the command, not necessarily NUL-terminated
 * @len:  its length
 *
 * Commands (numbers decimal or 0x-hex, errnos as EIO / 5 / -5):
 *   set KNOB VALUE            a struct hvs_config field
 *   domain_create D N [target] [dying] [contig]
 *   domain_destroy D
 *   ioserver_create D ID      ioserver_destroy D ID
 *   balloon_out D GFN         (D 0: the caller gives back pfn GFN)
 *   populate D GFN
 *   pin PFN                   unpin PFN   (the caller's PV page tables)
 *   xen_range MFN N           rmrr BFN N
 *   fault op N ERRNO | call ERRNO | flush | preempt N | continue N |
 *         skip K | clear
 *   flush | baseline | reset | clear_errors
 *   notify_clear D ID
 *   p2m_set PFN MFN|invalid   (the caller's own P2M write)
 *   grant_map D GFN PFN       grant_unmap PFN
 *   dma_write BFN             (a device writes through the IOMMU)
 *
 * Context: the model's owner serialises calls.
 * Return: 0, -EINVAL (syntax, value), or the command's own errno:
 * -ENOENT (no such domain, ioserver, gfn), -EEXIST, -EBUSY, -ENOSPC,
 * -ENOMEM, -EPERM, -ENXIO, -EACCES, -EOPNOTSUPP.
 */
int hvs_ctl(struct hvs_model *m, const char *line, size_t len)
{
	struct hvs_args a;
	const char *c;
	u64 v[3], bfn;

	if (hvs_tokenize(line, len, &a) || !a.n)
		return -EINVAL;
	c = a.tok[0];
	if (!strcmp(c, "set"))
		return a.n == 3 ? hvs_set(m, a.tok[1], a.tok[2]) : -EINVAL;
	if (!strcmp(c, "fault"))
		return hvs_fault_cmd(m, &a);
	if (!strcmp(c, "domain_create"))
		return hvs_cmd_domain_create(m, &a);
	if (a.n == 1) {
		if (!strcmp(c, "flush")) {
			hvs_flush_now(m);
			return 0;
		}
		if (!strcmp(c, "baseline")) {
			hvs_totals_get(m, &m->baseline);
			return 0;
		}
		if (!strcmp(c, "reset")) {
			memset(m->cnt, 0, sizeof(m->cnt));
			memset(m->subop_cnt, 0, sizeof(m->subop_cnt));
			memset(m->status_cnt, 0, sizeof(m->status_cnt));
			return 0;
		}
		if (!strcmp(c, "clear_errors")) {
			memset(m->ce_cnt, 0, sizeof(m->ce_cnt));
			memset(m->ve_cnt, 0, sizeof(m->ve_cnt));
			m->ce_total = 0;
			m->ve_total = 0;
			/* And the scratch page is zeroed again. */
			m->scratch_dirty = false;
			return 0;
		}
		return -EINVAL;
	}
	if (a.n == 3 && !strcmp(c, "p2m_set")) {
		if (hvs_parse_u64(a.tok[1], &v[0]))
			return -EINVAL;
		if (!strcmp(a.tok[2], "invalid"))
			v[1] = HVS_INVALID;
		else if (hvs_parse_u64(a.tok[2], &v[1]) || v[1] == HVS_INVALID)
			return -EINVAL;
		return hvs_p2m_set(m, v[0], v[1]);
	}
	if (a.n == 4 && !strcmp(c, "grant_map")) {
		if (hvs_nums(&a, 4, v) || v[0] > 0xffff)
			return -EINVAL;
		return hvs_grant_map(m, v[0], v[1], v[2]);
	}
	if (a.n == 2) {
		if (hvs_nums(&a, 2, v))
			return -EINVAL;
		if (!strcmp(c, "domain_destroy"))
			return hvs_domain_destroy(m, v[0]);
		if (!strcmp(c, "grant_unmap"))
			return hvs_grant_unmap(m, v[0]);
		if (!strcmp(c, "dma_write"))
			return hvs_dma_write(m, v[0]);
		if (!strcmp(c, "pin"))
			return hvs_pin(m, v[0], true);
		if (!strcmp(c, "unpin"))
			return hvs_pin(m, v[0], false);
		return -EINVAL;
	}
	if (a.n != 3 || hvs_nums(&a, 3, v))
		return -EINVAL;
	if (!strcmp(c, "ioserver_create"))
		return hvs_ioserver_create(m, v[0], v[1]);
	if (!strcmp(c, "ioserver_destroy"))
		return hvs_ioserver_destroy(m, v[0], v[1]);
	if (!strcmp(c, "balloon_out"))
		return hvs_balloon_out(m, v[0], v[1]);
	if (!strcmp(c, "populate"))
		return hvs_populate(m, v[0], v[1]);
	if (!strcmp(c, "xen_range"))
		return hvs_add_xen_range(m, v[0], v[1]);
	if (!strcmp(c, "rmrr"))
		return hvs_add_rmrr(m, v[0], v[1]);
	if (!strcmp(c, "notify_clear")) {
		if (v[0] > HVS_DOMID_MAX || v[1] > 0xffff)
			return -EINVAL;
		while (!hvs_notify_pop(m, v[0], v[1], &bfn))
			;
		return hvs_ioserver(hvs_domain(m, v[0]), v[1]) ? 0 : -ENOENT;
	}
	return -EINVAL;
}

/* ---- views ---------------------------------------------------------------- */

static void hvs_show_config(struct hvs_model *m, const struct hvs_out *out)
{
	unsigned int i;

	for (i = 0; i < HVS_ARRAY_SIZE(hvs_knobs); i++) {
		const char *p = (const char *)&m->cfg + hvs_knobs[i].off;

		if (hvs_knobs[i].type == HVS_KB)
			out->emit(out->ctx, "%s %d\n", hvs_knobs[i].name,
				  *(const bool *)p);
		else if (hvs_knobs[i].type == HVS_KU)
			out->emit(out->ctx, "%s %u\n", hvs_knobs[i].name,
				  *(const unsigned int *)p);
		else
			out->emit(out->ctx, "%s 0x%llx\n", hvs_knobs[i].name,
				  HVS_ULL(*(const u64 *)p));
	}
	out->emit(out->ctx, "caps_map_cap %d\ncaps_map_all_gfns %d\n",
		  hvs_map_cap(m), hvs_map_all(m));
	out->emit(out->ctx,
		  "dom0_pages %llu\ndom0_span %llu\nxen_frames 0x%llx+%llu\nscratch_mfn 0x%llx\nscratch_zero %d\npool 0x%llx+%llu\n",
		  HVS_ULL(m->dom0->nr_pages), HVS_ULL(m->dom0_span),
		  HVS_ULL(HVS_EXTRA_BASE), HVS_ULL(m->xen_nr), HVS_ULL(m->scratch_mfn),
		  !m->scratch_dirty, HVS_ULL(m->pool_start), HVS_ULL(m->pool_nr));
	for (i = 0; i < m->nr_xen; i++)
		out->emit(out->ctx, "xen_range 0x%llx %llu\n",
			  HVS_ULL(m->xen[i].start), HVS_ULL(m->xen[i].nr));
	for (i = 0; i < m->nr_rmrr; i++)
		out->emit(out->ctx, "rmrr 0x%llx %llu\n",
			  HVS_ULL(m->rmrr[i].start), HVS_ULL(m->rmrr[i].nr));
}

static void hvs_show_counters(struct hvs_model *m, const struct hvs_out *out)
{
	unsigned int i, j;

	for (i = 0; i < HVS_C_NR; i++)
		out->emit(out->ctx, "%s %llu\n", hvs_c_names[i],
			  HVS_ULL(m->cnt[i]));
	for (i = 0; i < HVS_NR_SUBOPS; i++)
		out->emit(out->ctx, "op_%s %llu\n", hvs_subop_names[i],
			  HVS_ULL(m->subop_cnt[i]));
	for (i = 0; i < HVS_NR_SUBOPS; i++)
		for (j = 0; j < HVS_NR_STATUS; j++)
			out->emit(out->ctx, "st_%s_%s %llu\n",
				  hvs_subop_names[i], hvs_status_names[j],
				  HVS_ULL(m->status_cnt[i][j]));
	for (i = 0; i < HVS_CE_NR; i++)
		out->emit(out->ctx, "ce_%s %llu\n", hvs_ce_names[i],
			  HVS_ULL(m->ce_cnt[i]));
	for (i = 0; i < HVS_VE_NR; i++)
		out->emit(out->ctx, "ve_%s %llu\n", hvs_ve_names[i],
			  HVS_ULL(m->ve_cnt[i]));
	out->emit(out->ctx, "ce_total %llu\nve_total %llu\n",
		  HVS_ULL(m->ce_total), HVS_ULL(m->ve_total));
}

static void hvs_show_notify(struct hvs_model *m, const struct hvs_out *out)
{
	unsigned int i, j;
	u64 k, pending;

	for (i = 0; i < HVS_MAX_DOMAINS; i++) {
		struct hvs_domain *d = m->doms[i];

		if (!d)
			continue;
		for (j = 0; j < HVS_MAX_IOSERVERS; j++) {
			struct hvs_ioserver *ios = &d->ios[j];

			if (!ios->used)
				continue;
			pending = hvs_notify_pending(ios);
			out->emit(out->ctx,
				  "dom %u ios %u live %d pending %llu total %llu lost %llu sync %llu bfns",
				  d->domid, ios->id, ios->live, HVS_ULL(pending),
				  HVS_ULL(ios->total), HVS_ULL(ios->lost),
				  HVS_ULL(ios->nr_sync));
			for (k = 0; k < pending && k < 64; k++)
				out->emit(out->ctx, " 0x%llx",
					  HVS_ULL(hvs_notify_peek(ios, k)));
			out->emit(out->ctx, "%s\n", pending > 64 ? " ..." : "");
		}
	}
}

static void hvs_show_pmem(struct hvs_model *m, const struct hvs_out *out)
{
	unsigned int i;

	for (i = 0; i < m->nr_pmem; i++) {
		const struct xpv_xenpf_pmem_add *r = &m->pmem[i];

		out->emit(out->ctx,
			  "report %u region 0x%llx-0x%llx reserved 0x%llx-0x%llx data 0x%llx-0x%llx\n",
			  i, HVS_ULL(r->spfn), HVS_ULL(r->epfn), HVS_ULL(r->rsv_spfn),
			  HVS_ULL(r->rsv_epfn), HVS_ULL(r->data_spfn),
			  HVS_ULL(r->data_epfn));
	}
	out->emit(out->ctx, "reports %u\n", m->nr_pmem);
}

static u64 hvs_populated(const struct hvs_domain *d)
{
	u64 g, n = 0;

	for (g = 0; g < d->nr_pages; g++)
		if (d->p2m[g] != HVS_INVALID)
			n++;
	return n;
}

static void hvs_show_domain(const struct hvs_domain *d,
			    const struct hvs_out *out)
{
	unsigned int j;

	out->emit(out->ctx,
		  "domain %u pages %llu populated %llu frames %llu recs %llu dying %d target %d\n",
		  d->domid, HVS_ULL(d->nr_pages), HVS_ULL(hvs_populated(d)),
		  HVS_ULL(d->nr_frames), HVS_ULL(d->nr_recs), d->dying, d->target);
	for (j = 0; j < HVS_MAX_IOSERVERS; j++)
		if (d->ios[j].used)
			out->emit(out->ctx, "  ioserver %u live %d recs %llu\n",
				  d->ios[j].id, d->ios[j].live,
				  HVS_ULL(d->ios[j].nr_recs));
}

static void hvs_show_grants(struct hvs_model *m, const struct hvs_out *out)
{
	struct hvs_tnode *t;

	for (t = hvs_tfind_ge(m->grants, 0); t; t = hvs_tnext(m->grants, t)) {
		struct hvs_grant *g = hvs_grant_of(t);

		out->emit(out->ctx, "pfn 0x%llx dom %u gfn 0x%llx mfn 0x%llx\n",
			  HVS_ULL(t->key), g->domid, HVS_ULL(g->gfn),
			  HVS_ULL(g->mfn));
		hvs_work(m, 1);
	}
	out->emit(out->ctx, "grants %llu\n", HVS_ULL(m->nr_grants));
}

static void hvs_show_faults(struct hvs_model *m, const struct hvs_out *out)
{
	const struct hvs_fault *ft = &m->fault;

	if (ft->op_armed)
		out->emit(out->ctx, "op %u %d\n", ft->op_index, ft->op_errno);
	if (ft->call_armed)
		out->emit(out->ctx, "call %d\n", ft->call_errno);
	if (ft->flush_skip)
		out->emit(out->ctx, "flush\n");
	if (ft->preempt_armed)
		out->emit(out->ctx, "preempt %u\n", ft->preempt_at);
	if (ft->cont_armed)
		out->emit(out->ctx, "continue %u\n", ft->cont_at);
	if (ft->skip)
		out->emit(out->ctx, "skip %u\n", ft->skip);
}

/**
 * hvs_show() - print a view
 * @m:    model
 * @view: HVS_VIEW_*
 * @out:  sink
 *
 * Context: the model's owner serialises calls.
 */
void hvs_show(struct hvs_model *m, unsigned int view,
	      const struct hvs_out *out)
{
	unsigned int i;

	switch (view) {
	case HVS_VIEW_CONFIG:
		hvs_show_config(m, out);
		break;
	case HVS_VIEW_COUNTERS:
		hvs_show_counters(m, out);
		break;
	case HVS_VIEW_NOTIFY:
		hvs_show_notify(m, out);
		break;
	case HVS_VIEW_PMEM:
		hvs_show_pmem(m, out);
		break;
	case HVS_VIEW_DOMAINS:
		hvs_show_domain(m->dom0, out);
		for (i = 0; i < HVS_MAX_DOMAINS; i++)
			if (m->doms[i])
				hvs_show_domain(m->doms[i], out);
		break;
	case HVS_VIEW_FAULTS:
		hvs_show_faults(m, out);
		break;
	case HVS_VIEW_GRANTS:
		hvs_show_grants(m, out);
		break;
	}
}

/* ---- audit ------------------------------------------------------------ */

struct hvs_audit {
	struct hvs_model *m;
	const struct hvs_out *out;
	unsigned int violations;
	u32 *exp;		/* expected refs, wrefs per frame */
};

/* A violation: only the first lines are printed, all are counted. */
#define hvs_av(au, fmt, ...) do {					\
	struct hvs_audit *__au = (au);					\
									\
	if (__au->violations++ < HVS_AUDIT_LINES)			\
		__au->out->emit(__au->out->ctx, "violation: " fmt,	\
				##__VA_ARGS__);				\
} while (0)

/*
 * Is @r linked into an M2B chain?  O(1); the audit's walk of every chain
 * checks that each entry sits in its own bucket and that the chains hold
 * exactly the live records.
 */
static bool hvs_m2b_has(const struct hvs_rec *r)
{
	return r->m2b_pprev && *r->m2b_pprev == r;
}

static void hvs_audit_expect(struct hvs_audit *au, u64 mfn,
			     unsigned int order, unsigned int refkind)
{
	struct hvs_model *m = au->m;
	u64 i;

	if (refkind == HVS_REF_NONE)
		return;
	for (i = 0; i < (1ull << order); i++) {
		struct hvs_frame *f = hvs_frame(m, mfn + i);

		if (!f)
			continue;
		au->exp[2 * (f - m->frames)]++;
		if (refkind == HVS_REF_RW)
			au->exp[2 * (f - m->frames) + 1]++;
	}
}

static void hvs_audit_rec(struct hvs_audit *au, struct hvs_rec *r)
{
	struct hvs_model *m = au->m;
	u64 i;

	if (r->flags & HVS_REC_SWAPPED) {
		if (r->refkind != HVS_REF_NONE || hvs_m2b_has(r))
			hvs_av(au, "swapped mapping bfn 0x%llx still holds its old frame\n",
			       HVS_ULL(r->bfn));
		/* The scratch page is every guest's: nobody may write it. */
		if (r->perm & IOMMU_OP_writeable)
			hvs_av(au, "swapped mapping bfn 0x%llx writable: the shared scratch page\n",
			       HVS_ULL(r->bfn));
		return;
	}
	if (!hvs_m2b_has(r))
		hvs_av(au, "mapping bfn 0x%llx mfn 0x%llx missing from the M2B\n",
		       HVS_ULL(r->bfn), HVS_ULL(r->mfn));
	hvs_audit_expect(au, r->mfn, r->order, r->refkind);
	for (i = 0; i < (1ull << r->order); i++) {
		u64 mfn = r->mfn + i;
		struct hvs_frame *f = hvs_frame(m, mfn);

		if (hvs_denied(m, mfn)) {
			hvs_av(au, "bfn 0x%llx maps Xen-owned mfn 0x%llx\n",
			       HVS_ULL(r->bfn + i), HVS_ULL(mfn));
			break;
		}
		if (f && f->owner != r->domid) {
			hvs_av(au, "bfn 0x%llx -> mfn 0x%llx of %u, was %u (freed while mapped)\n",
			       HVS_ULL(r->bfn + i), HVS_ULL(mfn), f->owner, r->domid);
			break;
		}
	}
}

static void hvs_audit_frames(struct hvs_audit *au, u64 *owned)
{
	struct hvs_model *m = au->m;
	u64 i, nf = hvs_nr_frames(m);
	unsigned int k;

	for (i = 0; i < nf; i++) {
		struct hvs_frame *f = &m->frames[i];
		u64 mfn = hvs_frame_mfn(m, i);
		struct hvs_domain *d;

		if (!(i & (HVS_YIELD_WORK - 1)))
			hvs_work(m, HVS_YIELD_WORK);
		if (f->refs != au->exp[2 * i] || f->wrefs != au->exp[2 * i + 1])
			hvs_av(au, "mfn 0x%llx refs %u/%u but mappings hold %u/%u\n",
			       HVS_ULL(mfn), f->refs, f->wrefs, au->exp[2 * i],
			       au->exp[2 * i + 1]);
		if ((f->flags & HVS_FRAME_PINNED) && f->wrefs)
			hvs_av(au, "mfn 0x%llx pinned as a page table with %u writable refs\n",
			       HVS_ULL(mfn), f->wrefs);
		if ((f->flags & HVS_FRAME_SCRATCH) && f->refs)
			hvs_av(au, "scratch page holds references\n");
		if (!hvs_is_domid(f->owner)) {
			if (f->flags & HVS_FRAME_ALLOCATED)
				hvs_av(au, "mfn 0x%llx allocated to nobody\n",
				       HVS_ULL(mfn));
			continue;
		}
		d = hvs_domain(m, f->owner);
		if (!d) {
			hvs_av(au, "mfn 0x%llx owned by unknown domain %u\n",
			       HVS_ULL(mfn), f->owner);
			continue;
		}
		for (k = 0; k <= HVS_MAX_DOMAINS; k++)
			if ((k == HVS_MAX_DOMAINS ? m->dom0 : m->doms[k]) == d)
				owned[k]++;
		if (!(f->flags & HVS_FRAME_ALLOCATED)) {
			if (!f->refs)
				hvs_av(au, "mfn 0x%llx unallocated, unreferenced, not free\n",
				       HVS_ULL(mfn));
			else if (f->owner == 0)
				hvs_av(au, "released mfn 0x%llx still held by %u mapping refs\n",
				       HVS_ULL(mfn), f->refs);
			continue;
		}
		if (f->gfn >= d->nr_pages || d->p2m[f->gfn] != mfn)
			hvs_av(au, "M2P of mfn 0x%llx (dom %u gfn 0x%llx) disagrees with the P2M\n",
			       HVS_ULL(mfn), f->owner, HVS_ULL(f->gfn));
	}
}

static void hvs_audit_domain(struct hvs_audit *au, struct hvs_domain *d,
			     u64 owned)
{
	struct hvs_model *m = au->m;
	u64 g;

	for (g = 0; g < d->nr_pages; g++) {
		struct hvs_grant *gr;
		struct hvs_frame *f;

		if (!(g & (HVS_YIELD_WORK - 1)))
			hvs_work(m, HVS_YIELD_WORK);
		if (d->p2m[g] == HVS_INVALID)
			continue;
		if (d->p2m[g] & HVS_GFN_FOREIGN) {
			gr = hvs_grant_of(hvs_tfind(m->grants, g));
			if (d != m->dom0 || !gr ||
			    (gr->mfn | HVS_GFN_FOREIGN) != d->p2m[g])
				hvs_av(au, "P2M of dom %u pfn 0x%llx: foreign 0x%llx, no grant\n",
				       d->domid, HVS_ULL(g),
				       HVS_ULL(d->p2m[g] & ~HVS_GFN_FOREIGN));
			continue;
		}
		f = hvs_frame(m, d->p2m[g]);
		if (!f || f->owner != d->domid || f->gfn != g ||
		    !(f->flags & HVS_FRAME_ALLOCATED))
			hvs_av(au, "P2M of dom %u gfn 0x%llx -> mfn 0x%llx not backed\n",
			       d->domid, HVS_ULL(g), HVS_ULL(d->p2m[g]));
	}
	if (owned != d->nr_frames)
		hvs_av(au, "dom %u owns %llu frames, ledger says %llu\n",
		       d->domid, HVS_ULL(owned), HVS_ULL(d->nr_frames));
}

/* Grant mappings: each holds one page reference, its P2M entry says so. */
static void hvs_audit_grants(struct hvs_audit *au)
{
	struct hvs_model *m = au->m;
	struct hvs_tnode *t;
	u64 n = 0;

	for (t = hvs_tfind_ge(m->grants, 0); t; t = hvs_tnext(m->grants, t)) {
		struct hvs_grant *g = hvs_grant_of(t);
		struct hvs_frame *f = hvs_frame(m, g->mfn);

		n++;
		hvs_work(m, 1);
		hvs_audit_expect(au, g->mfn, 0, HVS_REF_RO);
		if (!f || f->owner != g->domid)
			hvs_av(au, "grant pfn 0x%llx reaches mfn 0x%llx, not dom %u's\n",
			       HVS_ULL(t->key), HVS_ULL(g->mfn), g->domid);
		if (hvs_pfn_to_gfn(m, t->key) != (g->mfn | HVS_GFN_FOREIGN))
			hvs_av(au, "grant at pfn 0x%llx not in the P2M\n",
			       HVS_ULL(t->key));
	}
	if (n != m->nr_grants)
		hvs_av(au, "grant ledger says %llu, tree holds %llu\n",
		       HVS_ULL(m->nr_grants), HVS_ULL(n));
}

static void hvs_audit_info(struct hvs_audit *au)
{
	struct hvs_model *m = au->m;
	u64 dying_recs = 0, dead_ios_recs = 0, pending = 0;
	unsigned int i, j;

	for (i = 0; i < HVS_MAX_DOMAINS; i++) {
		struct hvs_domain *d = m->doms[i];

		if (!d)
			continue;
		if (d->dying)
			dying_recs += d->nr_recs;
		for (j = 0; j < HVS_MAX_IOSERVERS; j++) {
			if (!d->ios[j].used)
				continue;
			if (!d->ios[j].live)
				dead_ios_recs += d->ios[j].nr_recs;
			pending += hvs_notify_pending(&d->ios[j]);
		}
	}
	au->out->emit(au->out->ctx,
		      "info: mappings_of_dying_domains %llu mappings_of_destroyed_ioservers %llu pending_invalidates %llu\n",
		      HVS_ULL(dying_recs), HVS_ULL(dead_ios_recs), HVS_ULL(pending));
	au->out->emit(au->out->ctx,
		      "info: depth table %u lookups %u holes %u grants %u\n",
		      hvs_tree_depth(m, HVS_TREE_TABLE),
		      hvs_tree_depth(m, HVS_TREE_LOOKUPS),
		      hvs_tree_depth(m, HVS_TREE_HOLES),
		      hvs_tree_depth(m, HVS_TREE_GRANTS));
}

static unsigned int hvs_audit_log(struct hvs_audit *au)
{
	struct hvs_model *m = au->m;
	const struct hvs_out *out = au->out;
	u64 i, first;

	first = m->ve_total > HVS_LOG_MAX ? m->ve_total - HVS_LOG_MAX : 0;
	for (i = first; i < m->ve_total; i++) {
		const struct hvs_velog *e = &m->ve_log[i % HVS_LOG_MAX];

		hvs_av(au, "event %s mfn 0x%llx bfn 0x%llx\n",
		       hvs_ve_names[e->type], HVS_ULL(e->mfn), HVS_ULL(e->bfn));
	}
	/* Events that fell out of the log still count. */
	au->violations += first;
	first = m->ce_total > HVS_LOG_MAX ? m->ce_total - HVS_LOG_MAX : 0;
	for (i = first; i < m->ce_total; i++) {
		const struct hvs_celog *e = &m->ce_log[i % HVS_LOG_MAX];

		out->emit(out->ctx,
			  "caller_error: %s subop=%s dom=%u bfn=0x%llx frame=0x%llx\n",
			  hvs_ce_names[e->type],
			  hvs_subop_names[hvs_subop_index(e->subop)], e->domid,
			  HVS_ULL(e->bfn), HVS_ULL(e->frame));
	}
	for (i = 0; i < HVS_CE_NR; i++)
		out->emit(out->ctx, "caller_errors_%s: %llu\n", hvs_ce_names[i],
			  HVS_ULL(m->ce_cnt[i]));
	return m->ce_total;
}

static bool hvs_audit_totals(struct hvs_audit *au)
{
	static const char *const names[] = {
		"recs_self", "recs_foreign", "recs_lookup", "refs", "wrefs",
		"zombies", "stale", "grants",
	};
	struct hvs_totals t;
	const u64 *cur = (const u64 *)&t, *base;
	bool same = true;
	unsigned int i;

	hvs_totals_get(au->m, &t);
	base = (const u64 *)&au->m->baseline;
	for (i = 0; i < HVS_ARRAY_SIZE(names); i++) {
		au->out->emit(au->out->ctx, "total %s %llu baseline %llu%s\n",
			      names[i], HVS_ULL(cur[i]), HVS_ULL(base[i]),
			      cur[i] != base[i] ? " DIFF" : "");
		if (cur[i] != base[i])
			same = false;
	}
	return same;
}

/**
 * hvs_audit() - re-check every invariant; print violations and the ledger
 * @m:   model
 * @out: sink (lines "violation: ...", "caller_error: ...", "total ...",
 *       then "violations: N", "caller_errors: N", "at_baseline: yes|no",
 *       "verdict: clean|dirty")
 *
 * Invariants: each frame's references equal what the live mappings,
 * lookups and unflushed IOTLB entries hold; the M2B holds exactly the live
 * mappings and lookups; table entries do not overlap; no mapping reaches a
 * frame freed or handed to another owner since it was mapped, nor a
 * Xen-owned or pmem-reserved frame; no IOTLB entry is left unflushed
 * outside a hypercall; the caller has given back no frame an IOMMU
 * mapping still holds; P2M and M2P agree; no pinned page table has a
 * writable reference; no swapped entry is writable; each grant mapping
 * holds one reference on a frame still its domain's and is in the P2M.
 * Sticky events (frames freed while reachable, a device write to the
 * scratch page) count as violations until "clear_errors".  The verdict is
 * clean when there is no violation, no caller error and the ledger is at
 * its baseline.
 *
 * Context: the model's owner serialises calls.  Allocates a temporary
 * array of 8 bytes per frame.
 * Return: the number of violations (1 if the audit could not run).
 */
unsigned int hvs_audit(struct hvs_model *m, const struct hvs_out *out)
{
	u64 owned[HVS_MAX_DOMAINS + 1], n_self = 0, n_for = 0, n_lk = 0;
	u64 m2b_n = 0, i, prev_end = 0;
	struct hvs_audit au = { .m = m, .out = out };
	struct hvs_tnode *t;
	unsigned int k, ce;
	bool at_base;

	au.exp = hvs_zalloc(m, hvs_nr_frames(m) * 2 * sizeof(u32));
	if (!au.exp) {
		out->emit(out->ctx, "violations: 1\naudit: out of memory\nverdict: dirty\n");
		return 1;
	}
	memset(owned, 0, sizeof(owned));
	for (t = hvs_tfind_ge(m->table, 0); t; t = hvs_tnext(m->table, t)) {
		struct hvs_rec *r = hvs_rec_of(t);

		hvs_work(m, 1);
		if (t->key != r->bfn || (n_self + n_for && r->bfn < prev_end))
			hvs_av(&au, "table entry bfn 0x%llx overlaps its neighbour\n",
			       HVS_ULL(r->bfn));
		prev_end = r->bfn + hvs_rec_pages(r);
		if (r->kind == HVS_KIND_SELF)
			n_self++;
		else if (r->kind == HVS_KIND_FOREIGN)
			n_for++;
		else
			hvs_av(&au, "lookup entry in the IOMMU table\n");
		hvs_audit_rec(&au, r);
	}
	for (t = hvs_tfind_ge(m->lookups, 0); t; t = hvs_tnext(m->lookups, t)) {
		struct hvs_rec *r = hvs_rec_of(t);

		hvs_work(m, 1);
		if (r->kind != HVS_KIND_LOOKUP ||
		    t->key != hvs_lookup_key(r->bfn, r->ioserver))
			hvs_av(&au, "bad lookup entry bfn 0x%llx\n",
			       HVS_ULL(r->bfn));
		n_lk++;
		hvs_audit_rec(&au, r);
	}
	if (n_self != m->nr_self || n_for != m->nr_foreign ||
	    n_lk != m->nr_lookup)
		hvs_av(&au, "ledger counts %llu/%llu/%llu, tables hold %llu/%llu/%llu\n",
		       HVS_ULL(m->nr_self), HVS_ULL(m->nr_foreign), HVS_ULL(m->nr_lookup),
		       HVS_ULL(n_self), HVS_ULL(n_for), HVS_ULL(n_lk));
	for (i = 0; i <= m->m2b_mask; i++) {
		struct hvs_rec *r;

		for (r = m->m2b[i]; r; r = r->m2b_next) {
			struct hvs_tnode *root = r->kind == HVS_KIND_LOOKUP ?
						 m->lookups : m->table;

			m2b_n++;
			hvs_work(m, 1);
			if (hvs_rec_of(hvs_tfind(root, r->node.key)) != r ||
			    hvs_m2b_bucket(m, r->mfn) != i ||
			    (r->flags & HVS_REC_SWAPPED))
				hvs_av(&au, "M2B entry mfn 0x%llx bfn 0x%llx has no mapping\n",
				       HVS_ULL(r->mfn), HVS_ULL(r->bfn));
		}
	}
	if (m2b_n != m->m2b_count)
		hvs_av(&au, "M2B holds %llu entries, ledger says %llu\n",
		       HVS_ULL(m2b_n), HVS_ULL(m->m2b_count));
	for (i = 0; i < m->nr_stale; i++) {
		struct hvs_stale *s = &m->stale[i];

		hvs_audit_expect(&au, s->mfn, s->order, s->refkind);
		if (!m->in_hypercall)
			hvs_av(&au, "stale IOTLB bfn 0x%llx -> mfn 0x%llx/%u (missing flush)\n",
			       HVS_ULL(s->bfn), HVS_ULL(s->mfn), s->order);
	}
	hvs_audit_grants(&au);
	hvs_audit_frames(&au, owned);
	for (k = 0; k < HVS_MAX_DOMAINS; k++)
		if (m->doms[k])
			hvs_audit_domain(&au, m->doms[k], owned[k]);
	hvs_audit_domain(&au, m->dom0, owned[HVS_MAX_DOMAINS]);
	hvs_free(m, au.exp);
	hvs_audit_info(&au);
	ce = hvs_audit_log(&au);
	at_base = hvs_audit_totals(&au);
	out->emit(out->ctx, "violations: %u\ncaller_errors: %u\nat_baseline: %s\nverdict: %s\n",
		  au.violations, ce, at_base ? "yes" : "no",
		  !au.violations && !ce && at_base ? "clean" : "dirty");
	return au.violations;
}
