/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hvstub_ref.h - a brute-force reference of the stub hypervisor's rules
 * (Documentation/hvstub.rst), independent of drivers/hvstub/model.c: flat
 * arrays and linear scans, references recomputed by summation, no trees,
 * no hashes.  Used by the unit tier's random test (against the model in
 * userspace) and by the in-guest program hvstub_cases (against the loaded
 * stub, to predict every per-op status exactly).
 *
 * Covers the hypercall (returns, stop points, faults), the six subops,
 * the default map and its holes, the lazy IOTLB, ballooning with swap and
 * invalidates (the buffered ring and its synchronous overflow), domains and
 * ioservers, pins, pmem reports with their revocation, Xen and RMRR
 * ranges, and the knobs.  Not covered (directed tests instead): the
 * caller's reservation, P2M writes and grant mappings, long-hypercall
 * continuations, dma_write.
 *
 * Header only, plain C: the guest program includes it without the kernel's
 * types.  Every function is static; a user needs only a few of them.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef HVSTUB_REF_H
#define HVSTUB_REF_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xpv/abi/iommu_op.h>
#include <xpv/abi/pmem_op.h>
#include <xpv/hvstub.h>

#define REF_INVALID	(~0ull)
#define REF_RW		(IOMMU_OP_readable | IOMMU_OP_writeable)
#define REF_DOMS	16
#define REF_IOS		8
#define REF_RANGES	16
#define REF_PMEM	64
#define REF_RING	256

/* Kinds and reference kinds, as the model's HVS_KIND_* / HVS_REF_*. */
enum { REF_SELF, REF_FOREIGN, REF_LOOKUP };
enum { REF_NONE, REF_RO, REF_RWREF };
/* Caller-error kinds, in the model's order. */
enum { REF_CE_RESERVED, REF_CE_XEN, REF_CE_RMRR, REF_CE_PRIV,
       REF_CE_NOT_OWNER, REF_CE_NR };

struct ref_cfg {
	bool disabled, hardware_domain, nonhw_enosys, has_devices, iommu;
	bool passthrough, strict, map_cap, map_all_gfns, pmem_enosys;
	unsigned int max_order, default_map, bfn_bits, mfn_bits;
	unsigned int page_info_size, m2p_size;
	uint64_t window_offset, max_records;
};

struct ref_frame {
	unsigned int owner;
	bool alloc, pinned;
	uint64_t gfn;
};

struct ref_map {
	bool used;
	uint64_t bfn, mfn, gfn;
	unsigned int order, kind, perm, refkind, domid, ios;
	bool swap, swapped;
};

struct ref_stale {
	uint64_t bfn, mfn;
	unsigned int order, refkind;
	bool def;
};

struct ref_ios {
	bool used, live;
	unsigned int id;
	uint64_t *q;		/* pending invalidates, oldest first */
	unsigned int qn, qcap;
};

struct ref_dom {
	bool used, dying, target;
	unsigned int domid;
	uint64_t nr;
	uint64_t nframes;	/* frames it owns, allocated or not */
	uint64_t *p2m, *orig;
	struct ref_ios ios[REF_IOS];
};

struct ref_range {
	uint64_t start, nr;
};

struct ref_fault {
	int op_at, op_err, pre_at, cont_at;
	long call_err;
	bool flush_skip;
	unsigned int skip;
};

struct ref {
	struct ref_cfg c;
	uint64_t d0, xen_nr, pool_nr, scratch, pool0;
	struct ref_frame *f;
	uint64_t *d0p2m;
	struct ref_map *maps;
	unsigned int nmaps, live, capmaps;
	struct ref_stale *st;
	unsigned int nst, capst;
	struct ref_range *holes;	/* sorted, disjoint, not touching */
	unsigned int nholes, capholes;
	struct ref_dom d[REF_DOMS];
	struct ref_range xen[REF_RANGES], rmrr[REF_RANGES];
	unsigned int nxen, nrmrr;
	struct xpv_xenpf_pmem_add pmem[REF_PMEM];
	unsigned int npmem;
	struct ref_fault ft;
	/* What the model counts, to compare. */
	uint64_t ce[REF_CE_NR], ve, lost, sync, revoked;
};

/* ---- set-up ----------------------------------------------------------- */

static inline void ref_die(const char *what)
{
	fprintf(stderr, "hvstub reference: %s\n", what);
	exit(3);
}

static inline void *ref_grow(void *p, unsigned int *cap, unsigned int need,
		      size_t elem)
{
	unsigned int ncap = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	p = realloc(p, (size_t)ncap * elem);
	if (!p)
		ref_die("out of memory");
	memset((char *)p + (size_t)*cap * elem, 0,
	       (size_t)(ncap - *cap) * elem);
	*cap = ncap;
	return p;
}

static inline void ref_cfg_default(struct ref_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->hardware_domain = true;
	c->nonhw_enosys = true;
	c->iommu = true;
	c->map_cap = true;
	c->map_all_gfns = true;
	c->max_order = 9;
	c->default_map = HVS_DEFMAP_IDENTITY;
	c->window_offset = HVS_WINDOW_OFFSET_DEFAULT;
	c->bfn_bits = 36;
	c->mfn_bits = 40;
	c->page_info_size = 32;
	c->m2p_size = 8;
	c->max_records = 1ull << 20;
}

static inline int ref_fidx(const struct ref *r, uint64_t mfn)
{
	if (mfn < r->d0)
		return (int)mfn;
	if (mfn >= HVS_EXTRA_BASE &&
	    mfn - HVS_EXTRA_BASE < r->xen_nr + 1 + r->pool_nr)
		return (int)(r->d0 + (mfn - HVS_EXTRA_BASE));
	return -1;
}

static inline uint64_t ref_fmfn(const struct ref *r, uint64_t i)
{
	return i < r->d0 ? i : HVS_EXTRA_BASE + (i - r->d0);
}

static inline uint64_t ref_nframes(const struct ref *r)
{
	return r->d0 + r->xen_nr + 1 + r->pool_nr;
}

/* The caller's RAM (identity P2M), Xen's frames, the scratch page, pool. */
static inline void ref_init(struct ref *r, const struct ref_cfg *c, uint64_t d0,
		     uint64_t xen_nr, uint64_t pool_nr)
{
	uint64_t i;

	memset(r, 0, sizeof(*r));
	r->c = *c;
	r->d0 = d0;
	r->xen_nr = xen_nr;
	r->pool_nr = pool_nr;
	r->scratch = HVS_EXTRA_BASE + xen_nr;
	r->pool0 = r->scratch + 1;
	r->f = calloc(ref_nframes(r), sizeof(*r->f));
	r->d0p2m = calloc(d0 ? d0 : 1, sizeof(*r->d0p2m));
	if (!r->f || !r->d0p2m)
		ref_die("out of memory");
	for (i = 0; i < ref_nframes(r); i++) {
		r->f[i].owner = HVS_DOMID_FREE;
		r->f[i].gfn = REF_INVALID;
	}
	for (i = 0; i < d0; i++) {
		r->f[i].owner = 0;
		r->f[i].alloc = true;
		r->f[i].gfn = i;
		r->d0p2m[i] = i;
	}
	for (i = 0; i <= xen_nr; i++)
		r->f[ref_fidx(r, HVS_EXTRA_BASE + i)].owner = HVS_DOMID_XEN;
	if (xen_nr) {
		r->xen[0].start = HVS_EXTRA_BASE;
		r->xen[0].nr = xen_nr;
		r->nxen = 1;
	}
	r->ft.op_at = -1;
	r->ft.pre_at = -1;
	r->ft.cont_at = -1;
}

static inline void ref_free(struct ref *r)
{
	unsigned int i, k;

	for (i = 0; i < REF_DOMS; i++) {
		free(r->d[i].p2m);
		free(r->d[i].orig);
		for (k = 0; k < REF_IOS; k++)
			free(r->d[i].ios[k].q);
	}
	free(r->f);
	free(r->d0p2m);
	free(r->maps);
	free(r->st);
	free(r->holes);
	memset(r, 0, sizeof(*r));
}

/* ---- small predicates ------------------------------------------------- */

static inline bool ref_covers(uint64_t base, unsigned int order, uint64_t x)
{
	return x >= base && x - base < (1ull << order);
}

static inline bool ref_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

static inline bool ref_fits(uint64_t s, uint64_t n, unsigned int bits)
{
	uint64_t lim = 1ull << bits;

	return s < lim && n <= lim - s;
}

static inline bool ref_map_cap(const struct ref *r)
{
	return r->c.map_cap && r->c.iommu && !r->c.passthrough &&
	       (r->c.hardware_domain || r->c.has_devices);
}

static inline bool ref_nonstrict(const struct ref *r)
{
	return r->c.hardware_domain && !r->c.strict;
}

static inline bool ref_map_all(const struct ref *r)
{
	return ref_map_cap(r) && r->c.map_all_gfns && ref_nonstrict(r);
}

static inline bool ref_untranslated(const struct ref *r)
{
	return !r->c.iommu || r->c.passthrough;
}

static inline bool ref_in_ranges(const struct ref_range *g, unsigned int n,
			  uint64_t s, uint64_t nr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ref_overlap(s, nr, g[i].start, g[i].nr))
			return true;
	return false;
}

static inline bool ref_pmem_rsv(const struct ref *r, uint64_t mfn)
{
	unsigned int i;

	for (i = 0; i < r->npmem; i++)
		if (mfn >= r->pmem[i].rsv_spfn && mfn < r->pmem[i].rsv_epfn)
			return true;
	return false;
}

/* Xen's frame: owned by Xen (or in a Xen range), or pmem-reserved. */
static inline bool ref_denied(const struct ref *r, uint64_t mfn)
{
	int i = ref_fidx(r, mfn);

	if (i >= 0 && r->f[i].owner == HVS_DOMID_XEN)
		return true;
	if (i < 0 && ref_in_ranges(r->xen, r->nxen, mfn, 1))
		return true;
	return ref_pmem_rsv(r, mfn);
}

/* Page references on @mfn held by live mappings, lookups, stale entries. */
static inline void ref_refs(const struct ref *r, uint64_t mfn, uint32_t *refs,
		     uint32_t *wrefs)
{
	unsigned int i;

	*refs = 0;
	*wrefs = 0;
	if (ref_fidx(r, mfn) < 0)
		return;
	for (i = 0; i < r->nmaps; i++) {
		const struct ref_map *p = &r->maps[i];

		if (!p->used || p->swapped || p->refkind == REF_NONE ||
		    !ref_covers(p->mfn, p->order, mfn))
			continue;
		(*refs)++;
		*wrefs += p->refkind == REF_RWREF;
	}
	for (i = 0; i < r->nst; i++) {
		const struct ref_stale *s = &r->st[i];

		if (s->refkind == REF_NONE || !ref_covers(s->mfn, s->order, mfn))
			continue;
		(*refs)++;
		*wrefs += s->refkind == REF_RWREF;
	}
}

static inline struct ref_dom *ref_dom(struct ref *r, unsigned int domid)
{
	unsigned int i;

	for (i = 0; i < REF_DOMS; i++)
		if (r->d[i].used && r->d[i].domid == domid)
			return &r->d[i];
	return NULL;
}

static inline struct ref_ios *ref_ios(struct ref_dom *d, unsigned int id)
{
	unsigned int i;

	for (i = 0; d && i < REF_IOS; i++)
		if (d->ios[i].used && d->ios[i].id == id)
			return &d->ios[i];
	return NULL;
}

static inline unsigned int ref_ios_recs(const struct ref *r, unsigned int domid,
				 unsigned int id)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->nmaps; i++)
		n += r->maps[i].used && r->maps[i].kind != REF_SELF &&
		     r->maps[i].domid == domid && r->maps[i].ios == id;
	return n;
}

static inline void ref_reap(struct ref *r)
{
	unsigned int i, k, j;

	for (i = 0; i < REF_DOMS; i++) {
		struct ref_dom *d = &r->d[i];
		bool busy = false;

		if (!d->used)
			continue;
		for (j = 0; j < REF_IOS; j++)
			if (d->ios[j].used && !d->ios[j].live &&
			    !ref_ios_recs(r, d->domid, d->ios[j].id))
				d->ios[j].used = false;
		if (!d->dying)
			continue;
		busy = d->nframes;
		for (k = 0; k < r->nmaps && !busy; k++)
			busy = r->maps[k].used && r->maps[k].domid == d->domid;
		if (!busy) {
			free(d->p2m);
			free(d->orig);
			for (j = 0; j < REF_IOS; j++)
				free(d->ios[j].q);
			memset(d, 0, sizeof(*d));
		}
	}
}

/* Free the frame if nothing holds it; count freed-while-reachable. */
static inline void ref_maybe_free(struct ref *r, uint64_t mfn)
{
	int i = ref_fidx(r, mfn);
	unsigned int k;
	uint32_t refs, wrefs;
	bool mapped = false, stale = false;

	if (i < 0 || r->f[i].owner > HVS_DOMID_MAX || r->f[i].alloc)
		return;
	ref_refs(r, mfn, &refs, &wrefs);
	if (refs)
		return;
	for (k = 0; k < r->nmaps; k++)
		if (r->maps[k].used && !r->maps[k].swapped &&
		    ref_covers(r->maps[k].mfn, r->maps[k].order, mfn))
			mapped = true;
	for (k = 0; k < r->nst; k++)
		if (!r->st[k].def && ref_covers(r->st[k].mfn, r->st[k].order, mfn))
			stale = true;
	r->ve += mapped + stale;
	if (ref_dom(r, r->f[i].owner))
		ref_dom(r, r->f[i].owner)->nframes--;
	r->f[i].owner = HVS_DOMID_FREE;
	r->f[i].pinned = false;
	r->f[i].gfn = REF_INVALID;
}

static inline void ref_flush(struct ref *r)
{
	struct ref_stale *tmp;
	unsigned int n = r->nst, i;
	uint64_t j;

	if (!n) {
		ref_reap(r);
		return;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		ref_die("out of memory");
	memcpy(tmp, r->st, n * sizeof(*tmp));
	r->nst = 0;
	for (i = 0; i < n; i++)
		for (j = 0; tmp[i].refkind != REF_NONE &&
			    j < (1ull << tmp[i].order); j++)
			ref_maybe_free(r, tmp[i].mfn + j);
	free(tmp);
	ref_reap(r);
}

/* ---- the default map and its holes ----------------------------------- */

static inline bool ref_displaced(const struct ref *r, uint64_t bfn)
{
	unsigned int lo = 0, hi = r->nholes;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (bfn < r->holes[mid].start)
			hi = mid;
		else if (bfn - r->holes[mid].start >= r->holes[mid].nr)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Add [s, s + n) to the sorted, merged hole list. */
static inline void ref_hole_add(struct ref *r, uint64_t s, uint64_t n)
{
	uint64_t e = s + n;
	unsigned int i = 0, j;

	while (i < r->nholes &&
	       r->holes[i].start + r->holes[i].nr < s)
		i++;
	j = i;
	while (j < r->nholes && r->holes[j].start <= e) {
		if (r->holes[j].start < s)
			s = r->holes[j].start;
		if (r->holes[j].start + r->holes[j].nr > e)
			e = r->holes[j].start + r->holes[j].nr;
		j++;
	}
	if (j == i) {
		r->holes = ref_grow(r->holes, &r->capholes, r->nholes + 1,
				    sizeof(*r->holes));
		memmove(&r->holes[i + 1], &r->holes[i],
			(r->nholes - i) * sizeof(*r->holes));
		r->nholes++;
	} else if (j > i + 1) {
		memmove(&r->holes[i + 1], &r->holes[j],
			(r->nholes - j) * sizeof(*r->holes));
		r->nholes -= j - i - 1;
	}
	r->holes[i].start = s;
	r->holes[i].nr = e - s;
}

static inline bool ref_default(const struct ref *r, uint64_t bfn, uint64_t *mfn)
{
	uint64_t cand;
	int i;

	if (ref_in_ranges(r->rmrr, r->nrmrr, bfn, 1)) {
		*mfn = bfn;
		return true;
	}
	if (r->c.default_map == HVS_DEFMAP_IDENTITY) {
		cand = bfn;
	} else if (r->c.default_map == HVS_DEFMAP_WINDOW) {
		if (bfn < r->c.window_offset)
			return false;
		cand = bfn - r->c.window_offset;
	} else {
		return false;
	}
	i = ref_fidx(r, cand);
	if (i < 0 || ref_denied(r, cand))
		return false;
	if (!ref_nonstrict(r) && (r->f[i].owner != 0 || !r->f[i].alloc))
		return false;
	if (ref_displaced(r, bfn))
		return false;
	*mfn = cand;
	return true;
}

/* ---- the table ------------------------------------------------------- */

static inline struct ref_map *ref_table_at(struct ref *r, uint64_t bfn)
{
	unsigned int i;

	for (i = 0; i < r->nmaps; i++)
		if (r->maps[i].used && r->maps[i].kind != REF_LOOKUP &&
		    ref_covers(r->maps[i].bfn, r->maps[i].order, bfn))
			return &r->maps[i];
	return NULL;
}

static inline bool ref_table_overlap(const struct ref *r, uint64_t bfn, uint64_t n,
			      bool lookups)
{
	unsigned int i;

	for (i = 0; i < r->nmaps; i++) {
		const struct ref_map *p = &r->maps[i];

		if (!p->used || (p->kind == REF_LOOKUP) != lookups)
			continue;
		if (ref_overlap(bfn, n, p->bfn, 1ull << p->order))
			return true;
	}
	return false;
}

static inline struct ref_map *ref_new_map(struct ref *r)
{
	unsigned int i;

	for (i = 0; i < r->nmaps && r->maps[i].used; i++)
		;
	if (i == r->nmaps) {
		r->maps = ref_grow(r->maps, &r->capmaps, r->nmaps + 1,
				   sizeof(*r->maps));
		r->nmaps++;
	}
	memset(&r->maps[i], 0, sizeof(r->maps[i]));
	r->maps[i].used = true;
	r->live++;
	return &r->maps[i];
}

static inline void ref_drop_map(struct ref *r, struct ref_map *p)
{
	p->used = false;
	r->live--;
}

static inline void ref_stale_add(struct ref *r, uint64_t bfn, uint64_t mfn,
			  unsigned int order, unsigned int refkind, bool def)
{
	struct ref_stale *s;

	r->st = ref_grow(r->st, &r->capst, r->nst + 1, sizeof(*r->st));
	s = &r->st[r->nst++];
	s->bfn = bfn;
	s->mfn = mfn;
	s->order = order;
	s->refkind = refkind;
	s->def = def;
}

/* A new entry displaces the default map for good (stale until flushed). */
static inline void ref_commit(struct ref *r, const struct ref_map *p)
{
	uint64_t n = 1ull << p->order, i, tmp, old;
	bool covered = false;

	if (r->c.default_map == HVS_DEFMAP_NONE)
		return;
	for (i = 0; i < n && !covered; i++)
		covered = ref_default(r, p->bfn + i, &tmp);
	if (covered) {
		if (!ref_default(r, p->bfn, &old))
			old = REF_INVALID;
		ref_stale_add(r, p->bfn, old, p->order, REF_NONE, true);
	}
	ref_hole_add(r, p->bfn, n);
}

static inline void ref_remove(struct ref *r, struct ref_map *p)
{
	ref_stale_add(r, p->bfn, p->mfn, p->order, p->refkind, false);
	ref_drop_map(r, p);
}

static inline bool ref_in_rmrr(const struct ref *r, uint64_t bfn, uint64_t n)
{
	return ref_in_ranges(r->rmrr, r->nrmrr, bfn, n);
}

/* ---- subops ------------------------------------------------------------- */

static inline int ref_map_page(struct ref *r, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	uint64_t bfn = op->u.map_page.bfn, gfn = op->u.map_page.gfn, n, k;
	bool noref = fl & IOMMU_MAP_OP_no_ref_cnt;
	unsigned int owner = 0, o;
	struct ref_map *p;

	if ((fl & ~IOMMU_map_page_in_flags) || op->u.map_page._pad)
		r->ce[REF_CE_RESERVED]++;
	if (!ref_map_cap(r))
		return -EPERM;
	if (noref && !ref_nonstrict(r)) {
		r->ce[REF_CE_PRIV]++;
		return -EPERM;
	}
	if (order > r->c.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if ((bfn % n) || (gfn % n))
		return -ENOSPC;
	if (!(fl & REF_RW))
		return -EIO;
	if (!ref_fits(bfn, n, r->c.bfn_bits))
		return -EIO;
	if (ref_in_rmrr(r, bfn, n)) {
		r->ce[REF_CE_RMRR]++;
		return -EACCES;
	}
	for (k = 0; k < n; k++) {
		uint64_t mfn = gfn + k;
		int i = ref_fidx(r, mfn);

		if (!ref_fits(mfn, 1, r->c.mfn_bits))
			return -EPERM;
		if (ref_denied(r, mfn)) {
			r->ce[REF_CE_XEN]++;
			return -EPERM;
		}
		if (i >= 0 && r->f[i].owner == 0 && r->f[i].alloc) {
			o = 0;
		} else {
			if (!ref_map_all(r)) {
				r->ce[REF_CE_NOT_OWNER]++;
				return -EPERM;
			}
			if (i >= 0 && r->f[i].owner == HVS_DOMID_FREE && !noref)
				return -EPERM;
			o = i >= 0 ? r->f[i].owner : HVS_DOMID_IO;
		}
		if (i >= 0 && r->f[i].pinned && (fl & IOMMU_OP_writeable) &&
		    !noref)
			return -EPERM;
		if (k == 0)
			owner = o;
		else if (o != owner)
			return -ENOSPC;
	}
	if (ref_table_overlap(r, bfn, n, false) ||
	    ref_table_overlap(r, bfn, n, true))
		return -EPERM;
	if (r->live >= r->c.max_records)
		return -EIO;
	p = ref_new_map(r);
	p->bfn = bfn;
	p->mfn = gfn;
	p->gfn = owner == 0 ? r->f[ref_fidx(r, gfn)].gfn : gfn;
	p->order = order;
	p->kind = REF_SELF;
	p->perm = fl & REF_RW;
	p->domid = owner;
	if (noref || owner == HVS_DOMID_IO)
		p->refkind = REF_NONE;
	else
		p->refkind = (fl & IOMMU_OP_writeable) ? REF_RWREF : REF_RO;
	ref_commit(r, p);
	return 0;
}

static inline int ref_unmap_page(struct ref *r, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	uint64_t bfn = op->u.unmap_page.bfn, n;
	struct ref_map *p;

	if ((fl & ~IOMMU_unmap_page_in_flags) || op->u.unmap_page._pad[0] ||
	    op->u.unmap_page._pad[1])
		r->ce[REF_CE_RESERVED]++;
	if (order > r->c.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if (bfn % n)
		return -ENOSPC;
	if (!ref_fits(bfn, n, r->c.bfn_bits))
		return -EIO;
	p = ref_table_at(r, bfn);
	if (!p)
		return ref_table_overlap(r, bfn, n, false) ? -ENOSPC : -ENOENT;
	if (p->kind != REF_SELF)
		return -ENOENT;
	if (p->bfn != bfn || p->order != order)
		return -ENOSPC;
	ref_remove(r, p);
	return 0;
}

static inline int ref_target(struct ref *r, unsigned int domid, unsigned int ios,
		      struct ref_dom **dp)
{
	struct ref_dom *d;
	struct ref_ios *io;

	if (domid == HVS_DOMID_SELF || domid == 0) {
		r->ce[REF_CE_PRIV]++;
		return -EPERM;
	}
	d = ref_dom(r, domid);
	if (!d || d->dying)
		return -ENXIO;
	if (!r->c.hardware_domain && !d->target) {
		r->ce[REF_CE_PRIV]++;
		return -EPERM;
	}
	io = ref_ios(d, ios);
	if (!io || !io->live)
		return -ENODEV;
	*dp = d;
	return 0;
}

static inline int ref_map_foreign(struct ref *r, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl);
	uint64_t bfn = op->u.map_foreign_page.bfn;
	uint64_t gfn = op->u.map_foreign_page.gfn, n, k, mfn;
	unsigned int ios = op->u.map_foreign_page.ioserver, perm = fl & REF_RW;
	struct ref_dom *d;
	struct ref_map *p;
	int st;

	if ((fl & ~IOMMU_map_foreign_in_flags) || op->u.map_foreign_page._pad)
		r->ce[REF_CE_RESERVED]++;
	if (!ref_map_cap(r))
		return -EPERM;
	st = ref_target(r, op->u.map_foreign_page.domid, ios, &d);
	if (st)
		return st;
	if (order > r->c.max_order)
		return -ENOSPC;
	n = 1ull << order;
	if ((bfn % n) || (gfn % n))
		return -ENOSPC;
	if (!perm)
		return -EIO;
	if (!ref_fits(bfn, n, r->c.bfn_bits))
		return -EIO;
	if (ref_in_rmrr(r, bfn, n)) {
		r->ce[REF_CE_RMRR]++;
		return -EACCES;
	}
	if (gfn >= d->nr || n > d->nr - gfn)
		return -ENXIO;
	for (k = 0; k < n; k++)
		if (d->p2m[gfn + k] == REF_INVALID)
			return -ENXIO;
	mfn = d->p2m[gfn];
	if (mfn % n)
		return -ENOSPC;
	for (k = 1; k < n; k++)
		if (d->p2m[gfn + k] != mfn + k)
			return -ENOSPC;
	for (k = 0; k < n; k++) {
		if (ref_denied(r, mfn + k)) {
			r->ce[REF_CE_XEN]++;
			return -EPERM;
		}
	}
	p = ref_table_at(r, bfn);
	if (p && p->kind == REF_FOREIGN && p->bfn == bfn &&
	    p->order == order && p->mfn == mfn && p->domid == d->domid &&
	    p->ios == ios && p->perm == perm && !p->swapped &&
	    p->swap == !!(fl & IOMMU_OP_swap_mfn))
		return 0;
	if (ref_table_overlap(r, bfn, n, false) ||
	    ref_table_overlap(r, bfn, n, true))
		return -EPERM;
	if (r->live >= r->c.max_records)
		return -EIO;
	p = ref_new_map(r);
	p->bfn = bfn;
	p->mfn = mfn;
	p->gfn = gfn;
	p->order = order;
	p->kind = REF_FOREIGN;
	p->perm = perm;
	p->domid = d->domid;
	p->ios = ios;
	p->swap = fl & IOMMU_OP_swap_mfn;
	p->refkind = (fl & IOMMU_OP_writeable) ? REF_RWREF : REF_RO;
	ref_commit(r, p);
	return 0;
}

static inline int ref_lookup(struct ref *r, struct pv_iommu_op *op)
{
	unsigned int ios = op->u.lookup_foreign_page.ioserver, i;
	uint64_t gfn = op->u.lookup_foreign_page.gfn, mfn, bfn = REF_INVALID;
	uint64_t chk;
	bool untr = ref_untranslated(r);
	struct ref_dom *d;
	struct ref_map *p;
	int st;

	if (op->flags || op->u.lookup_foreign_page._pad)
		r->ce[REF_CE_RESERVED]++;
	st = ref_target(r, op->u.lookup_foreign_page.domid, ios, &d);
	if (st)
		return st;
	if (gfn >= d->nr || d->p2m[gfn] == REF_INVALID)
		return -ENXIO;
	mfn = d->p2m[gfn];
	if (untr || r->c.default_map == HVS_DEFMAP_IDENTITY)
		bfn = mfn;
	else if (r->c.default_map == HVS_DEFMAP_WINDOW)
		bfn = mfn + r->c.window_offset;
	if (!untr && bfn != REF_INVALID &&
	    (!ref_fits(bfn, 1, r->c.bfn_bits) || !ref_default(r, bfn, &chk) ||
	     chk != mfn))
		bfn = REF_INVALID;
	if (bfn == REF_INVALID) {
		struct ref_map *best = NULL;

		for (i = 0; i < r->nmaps; i++) {
			p = &r->maps[i];
			if (p->used && p->kind == REF_FOREIGN && !p->swapped &&
			    p->domid == d->domid && p->ios == ios &&
			    ref_covers(p->mfn, p->order, mfn) &&
			    (!best || p->bfn < best->bfn))
				best = p;
		}
		if (!best)
			return -ENOENT;
		op->u.lookup_foreign_page.bfn = best->bfn + (mfn - best->mfn);
		op->flags = best->perm;
		return 0;
	}
	op->u.lookup_foreign_page.bfn = bfn;
	op->flags = REF_RW;
	for (i = 0; i < r->nmaps; i++)
		if (r->maps[i].used && r->maps[i].kind == REF_LOOKUP &&
		    r->maps[i].bfn == bfn && r->maps[i].ios == ios)
			return 0;
	if (r->live >= r->c.max_records)
		return -ENOENT;
	p = ref_new_map(r);
	p->bfn = bfn;
	p->mfn = mfn;
	p->gfn = gfn;
	p->kind = REF_LOOKUP;
	p->perm = REF_RW;
	p->domid = d->domid;
	p->ios = ios;
	p->refkind = REF_RO;
	return 0;
}

static inline int ref_unmap_foreign(struct ref *r, struct pv_iommu_op *op)
{
	unsigned int fl = op->flags, order = IOMMU_page_order(fl), i;
	unsigned int ios = op->u.unmap_foreign_page.ioserver;
	uint64_t bfn = op->u.unmap_foreign_page.bfn;
	struct ref_map *p;

	if ((fl & ~IOMMU_unmap_foreign_in_flags) ||
	    op->u.unmap_foreign_page._pad0 || op->u.unmap_foreign_page._pad1 ||
	    op->u.unmap_foreign_page._pad2)
		r->ce[REF_CE_RESERVED]++;
	if (order > r->c.max_order || (bfn % (1ull << order)))
		return -ENOENT;
	p = ref_table_at(r, bfn);
	if (p && p->kind == REF_FOREIGN && p->bfn == bfn &&
	    p->ios == ios && p->order == order) {
		ref_remove(r, p);
		return 0;
	}
	if (order)
		return -ENOENT;
	for (i = 0; i < r->nmaps; i++) {
		p = &r->maps[i];
		if (p->used && p->kind == REF_LOOKUP && p->bfn == bfn &&
		    p->ios == ios) {
			uint64_t mfn = p->mfn;

			ref_drop_map(r, p);
			ref_maybe_free(r, mfn);
			ref_reap(r);
			return 0;
		}
	}
	return -ENOENT;
}

static inline int ref_query(struct ref *r, struct pv_iommu_op *op)
{
	if (op->flags || op->u.query_caps._pad[0] || op->u.query_caps._pad[1])
		r->ce[REF_CE_RESERVED]++;
	op->flags = 0;
	if (ref_map_cap(r))
		op->flags = IOMMU_QUERY_map_cap |
			    IOMMU_page_order_flags(r->c.max_order) |
			    (ref_map_all(r) ? IOMMU_QUERY_map_all_gfns : 0);
	op->u.query_caps.offset = r->c.default_map == HVS_DEFMAP_WINDOW ?
				  r->c.window_offset : 0;
	return 0;
}

static inline int ref_op(struct ref *r, struct pv_iommu_op *op)
{
	switch (op->subop_id) {
	case IOMMUOP_query_caps:
		return ref_query(r, op);
	case IOMMUOP_map_page:
		return ref_map_page(r, op);
	case IOMMUOP_unmap_page:
		return ref_unmap_page(r, op);
	case IOMMUOP_map_foreign_page:
		return ref_map_foreign(r, op);
	case IOMMUOP_lookup_foreign_page:
		return ref_lookup(r, op);
	case IOMMUOP_unmap_foreign_page:
		return ref_unmap_foreign(r, op);
	}
	return -ENODEV;
}

/*
 * The hypercall on @ops (@readable of them exist; NULL: a NULL buffer):
 * the return, the statuses and OUT fields written into @ops.
 */
static inline long ref_hypercall(struct ref *r, struct pv_iommu_op *ops,
			  unsigned int count, unsigned int readable)
{
	struct ref_fault *ft = &r->ft;
	unsigned int i;
	bool live;
	long rc = 0;

	if (r->c.disabled || (!r->c.hardware_domain && r->c.nonhw_enosys))
		return -ENOSYS;
	if ((int)count < 0 || count > HVS_MAX_OPS)
		return -EINVAL;
	if (!count)
		return 0;
	if (!ops)
		return -EFAULT;
	live = !ft->skip;
	if (ft->skip)
		ft->skip--;
	if (live && ft->call_err) {
		rc = ft->call_err;
		ft->call_err = 0;
		return rc;
	}
	for (i = 0; i < count; i++) {
		struct pv_iommu_op op;
		int st;

		if (live && ft->pre_at == (int)i) {
			ft->pre_at = -1;
			break;
		}
		if (live && ft->cont_at == (int)i) {
			ft->cont_at = -1;
			ref_flush(r);
		}
		if (i >= readable) {
			rc = -EFAULT;
			break;
		}
		if (live && ft->op_at == (int)i) {
			ft->op_at = -1;
			ops[i].status = ft->op_err;
			continue;
		}
		op = ops[i];
		st = ref_op(r, &op);
		ops[i].status = st;
		if (op.subop_id == IOMMUOP_query_caps) {
			ops[i].flags = op.flags;
			ops[i].u.query_caps.offset = op.u.query_caps.offset;
		} else if (op.subop_id == IOMMUOP_lookup_foreign_page && !st) {
			ops[i].flags = op.flags;
			ops[i].u.lookup_foreign_page.bfn =
				op.u.lookup_foreign_page.bfn;
		}
	}
	if (live && ft->flush_skip)
		ft->flush_skip = false;
	else
		ref_flush(r);
	return rc;
}

/* ---- commands ------------------------------------------------------------ */

static inline uint64_t ref_pool_find(const struct ref *r, uint64_t n, bool contig,
			      uint64_t align)
{
	uint64_t i, run = 0;

	for (i = 0; i < r->pool_nr; i++) {
		uint64_t mfn = r->pool0 + i;

		if (r->f[ref_fidx(r, mfn)].owner != HVS_DOMID_FREE) {
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
	return REF_INVALID;
}

static inline void ref_assign(struct ref *r, unsigned int domid, uint64_t gfn,
		       uint64_t mfn)
{
	struct ref_frame *f = &r->f[ref_fidx(r, mfn)];

	if (domid && f->owner != domid)
		ref_dom(r, domid)->nframes++;
	f->owner = domid;
	f->alloc = true;
	f->pinned = false;
	f->gfn = gfn;
}

static inline int ref_domain_create(struct ref *r, unsigned int domid, uint64_t nr,
			     bool target, bool dying, bool contig)
{
	struct ref_dom *d = NULL;
	uint64_t i, base = 0, align = 1, freecnt = 0;

	if (!domid || domid > HVS_DOMID_MAX || !nr || nr > r->pool_nr)
		return -EINVAL;
	if (ref_dom(r, domid))
		return -EEXIST;
	for (i = 0; i < REF_DOMS && !d; i++)
		if (!r->d[i].used)
			d = &r->d[i];
	if (!d)
		return -ENOSPC;
	if (contig) {
		while (align < nr && align < (1ull << HVS_MAX_ORDER))
			align <<= 1;
		base = ref_pool_find(r, nr, true, align);
		if (base == REF_INVALID)
			return -ENOMEM;
	} else {
		for (i = 0; i < r->pool_nr; i++)
			freecnt += r->f[ref_fidx(r, r->pool0 + i)].owner ==
				   HVS_DOMID_FREE;
		if (freecnt < nr)
			return -ENOMEM;
	}
	memset(d, 0, sizeof(*d));
	d->used = true;
	d->domid = domid;
	d->nr = nr;
	d->target = target;
	d->nframes = 0;
	d->p2m = calloc(nr, sizeof(*d->p2m));
	d->orig = calloc(nr, sizeof(*d->orig));
	if (!d->p2m || !d->orig)
		ref_die("out of memory");
	for (i = 0; i < nr; i++) {
		uint64_t gfn = contig ? i : nr - 1 - i;
		uint64_t mfn = contig ? base + i : ref_pool_find(r, 1, false, 1);

		ref_assign(r, domid, gfn, mfn);
		d->p2m[gfn] = mfn;
		d->orig[gfn] = mfn;
	}
	d->dying = dying;
	return 0;
}

static inline void ref_release(struct ref *r, uint64_t *p2m, uint64_t gfn)
{
	uint64_t mfn = p2m[gfn];
	struct ref_frame *f = &r->f[ref_fidx(r, mfn)];

	p2m[gfn] = REF_INVALID;
	f->alloc = false;
	f->pinned = false;
	f->gfn = REF_INVALID;
	ref_maybe_free(r, mfn);
}

/* An invalidate: the ring's 256 first, then synchronous ones, in order. */
static inline void ref_notify(struct ref *r, struct ref_dom *d, unsigned int ios,
		       uint64_t bfn)
{
	struct ref_ios *io = ref_ios(d, ios);

	if (!io || !io->live) {
		r->lost++;
		return;
	}
	if (io->qn >= REF_RING)
		r->sync++;
	io->q = ref_grow(io->q, &io->qcap, io->qn + 1, sizeof(*io->q));
	io->q[io->qn++] = bfn;
}

static inline int ref_pop(struct ref *r, unsigned int domid, unsigned int id,
		   uint64_t *bfn)
{
	struct ref_ios *io = ref_ios(ref_dom(r, domid), id);

	if (!io || !io->live)
		return -ENOENT;
	if (!io->qn)
		return -EAGAIN;
	*bfn = io->q[0];
	memmove(io->q, io->q + 1, --io->qn * sizeof(*io->q));
	return 0;
}

static inline int ref_balloon(struct ref *r, unsigned int domid, uint64_t gfn)
{
	struct ref_dom *d = domid ? ref_dom(r, domid) : NULL;
	uint64_t *p2m = domid ? (d ? d->p2m : NULL) : r->d0p2m;
	uint64_t nr = domid ? (d ? d->nr : 0) : r->d0, mfn;
	unsigned int i, aff = 0, swp = 0;

	if (!p2m)
		return -ENOENT;
	if (d && d->dying)
		return -EBUSY;
	if (gfn >= nr)
		return -EINVAL;
	mfn = p2m[gfn];
	if (mfn == REF_INVALID)
		return -ENOENT;
	if (r->f[ref_fidx(r, mfn)].pinned)
		return -EBUSY;
	if (!domid) {
		ref_release(r, p2m, gfn);
		ref_reap(r);
		return 0;
	}
	for (i = 0; i < r->nmaps; i++) {
		struct ref_map *p = &r->maps[i];

		if (!p->used || p->kind == REF_SELF || p->swapped ||
		    p->domid != domid || !ref_covers(p->mfn, p->order, mfn))
			continue;
		aff++;
		if (p->kind == REF_FOREIGN && p->swap && !p->order)
			swp++;
	}
	/* One invalidate per BFN (their order is the model's business). */
	for (i = 0; i < r->nmaps; i++) {
		struct ref_map *p = &r->maps[i];

		if (!p->used || p->kind == REF_SELF || p->swapped ||
		    p->domid != domid || !ref_covers(p->mfn, p->order, mfn))
			continue;
		ref_notify(r, d, p->ios, p->bfn + (mfn - p->mfn));
	}
	if (aff && aff == swp) {
		for (i = 0; i < r->nmaps; i++) {
			struct ref_map *p = &r->maps[i];

			if (!p->used || p->kind != REF_FOREIGN || p->swapped ||
			    p->domid != domid ||
			    !ref_covers(p->mfn, p->order, mfn))
				continue;
			ref_stale_add(r, p->bfn, p->mfn, p->order, p->refkind,
				      false);
			p->swapped = true;
			p->perm = IOMMU_OP_readable;
			p->refkind = REF_NONE;
			p->mfn = r->scratch;
		}
		ref_flush(r);
	}
	ref_release(r, p2m, gfn);
	ref_reap(r);
	return 0;
}

static inline int ref_populate(struct ref *r, unsigned int domid, uint64_t gfn)
{
	struct ref_dom *d = domid ? ref_dom(r, domid) : NULL;
	uint64_t *p2m = domid ? (d ? d->p2m : NULL) : r->d0p2m;
	uint64_t nr = domid ? (d ? d->nr : 0) : r->d0, mfn;

	if (!p2m)
		return -ENOENT;
	if (d && d->dying)
		return -EBUSY;
	if (gfn >= nr)
		return -EINVAL;
	if (p2m[gfn] != REF_INVALID)
		return -EEXIST;
	mfn = domid ? d->orig[gfn] : gfn;
	if (r->f[ref_fidx(r, mfn)].owner != HVS_DOMID_FREE)
		mfn = ref_pool_find(r, 1, false, 1);
	if (mfn == REF_INVALID)
		return -ENOMEM;
	ref_assign(r, domid, gfn, mfn);
	p2m[gfn] = mfn;
	return 0;
}

static inline int ref_destroy(struct ref *r, unsigned int domid)
{
	struct ref_dom *d = domid ? ref_dom(r, domid) : NULL;
	unsigned int i;
	uint64_t g, pop = 0;

	if (!domid)
		return -EPERM;
	if (!d)
		return -ENOENT;
	for (g = 0; g < d->nr; g++)
		pop += d->p2m[g] != REF_INVALID;
	if (d->dying && !pop)
		return -EBUSY;
	for (i = 0; i < REF_IOS; i++) {
		d->ios[i].live = false;
		d->ios[i].qn = 0;
	}
	for (g = 0; g < d->nr; g++)
		if (d->p2m[g] != REF_INVALID)
			ref_release(r, d->p2m, g);
	d->dying = true;
	ref_reap(r);
	return 0;
}

static inline int ref_ioserver_create(struct ref *r, unsigned int domid,
			       unsigned int id)
{
	struct ref_dom *d = domid ? ref_dom(r, domid) : NULL;
	struct ref_ios *io;
	unsigned int k;

	if (!domid)
		return -EINVAL;
	if (!d)
		return -ENOENT;
	if (d->dying)
		return -EBUSY;
	if (id > 0xffff)
		return -EINVAL;
	io = ref_ios(d, id);
	if (io)
		return io->live ? -EEXIST : -EBUSY;
	for (k = 0; k < REF_IOS && d->ios[k].used; k++)
		;
	if (k == REF_IOS)
		return -ENOSPC;
	free(d->ios[k].q);
	memset(&d->ios[k], 0, sizeof(d->ios[k]));
	d->ios[k].used = true;
	d->ios[k].live = true;
	d->ios[k].id = id;
	return 0;
}

static inline int ref_ioserver_destroy(struct ref *r, unsigned int domid,
				unsigned int id)
{
	struct ref_ios *io = ref_ios(ref_dom(r, domid), id);

	if (!io || !io->live)
		return -ENOENT;
	io->live = false;
	io->qn = 0;
	ref_reap(r);
	return 0;
}

static inline int ref_pin(struct ref *r, uint64_t pfn, bool pin)
{
	struct ref_frame *f;
	uint32_t refs, wrefs;

	if (pfn >= r->d0 || r->d0p2m[pfn] == REF_INVALID)
		return -ENOENT;
	f = &r->f[ref_fidx(r, r->d0p2m[pfn])];
	if (!pin) {
		if (!f->pinned)
			return -EINVAL;
		f->pinned = false;
		return 0;
	}
	if (f->pinned)
		return -EEXIST;
	ref_refs(r, r->d0p2m[pfn], &refs, &wrefs);
	if (wrefs)
		return -EBUSY;
	f->pinned = true;
	return 0;
}

/* Records (table or lookups) or stale entries reaching [s, s + n). */
static inline unsigned int ref_reaching(const struct ref *r, uint64_t s, uint64_t n,
				 int kind_lookup)
{
	unsigned int i, c = 0;

	for (i = 0; i < r->nmaps; i++) {
		const struct ref_map *p = &r->maps[i];

		if (!p->used || p->swapped ||
		    (kind_lookup >= 0 && (p->kind == REF_LOOKUP) != kind_lookup))
			continue;
		c += ref_overlap(p->mfn, 1ull << p->order, s, n);
	}
	return c;
}

static inline int ref_xen_range(struct ref *r, uint64_t s, uint64_t n)
{
	uint64_t i;
	unsigned int k;
	uint32_t refs, wrefs;

	if (!n || !ref_fits(s, n, r->c.mfn_bits))
		return -EINVAL;
	if (r->nxen >= REF_RANGES)
		return -ENOSPC;
	for (i = 0; i < ref_nframes(r); i++) {
		uint64_t mfn = ref_fmfn(r, i);

		if (!ref_overlap(mfn, 1, s, n))
			continue;
		ref_refs(r, mfn, &refs, &wrefs);
		if (r->f[i].owner != HVS_DOMID_FREE || refs)
			return -EBUSY;
	}
	if (ref_reaching(r, s, n, -1))
		return -EBUSY;
	for (k = 0; k < r->nst; k++)
		if (!r->st[k].def &&
		    ref_overlap(r->st[k].mfn, 1ull << r->st[k].order, s, n))
			return -EBUSY;
	for (i = 0; i < ref_nframes(r); i++)
		if (ref_overlap(ref_fmfn(r, i), 1, s, n))
			r->f[i].owner = HVS_DOMID_XEN;
	r->xen[r->nxen].start = s;
	r->xen[r->nxen].nr = n;
	r->nxen++;
	return 0;
}

static inline int ref_rmrr_add(struct ref *r, uint64_t s, uint64_t n)
{
	if (!n || !ref_fits(s, n, r->c.bfn_bits))
		return -EINVAL;
	if (r->nrmrr >= REF_RANGES)
		return -ENOSPC;
	if (ref_table_overlap(r, s, n, false) || ref_table_overlap(r, s, n, true))
		return -EBUSY;
	r->rmrr[r->nrmrr].start = s;
	r->rmrr[r->nrmrr].nr = n;
	r->nrmrr++;
	return 0;
}

/* The pmem report: Xen's checks, then the reserved area taken away. */
static inline long ref_pmem(struct ref *r, const struct xpv_xenpf_pmem_add *p)
{
	uint64_t frames, need;
	unsigned int i, k;

	if (r->c.disabled || r->c.pmem_enosys)
		return -ENOSYS;
	if (!r->c.hardware_domain)
		return -EPERM;
	if (p->spfn >= p->epfn || p->rsv_spfn >= p->rsv_epfn ||
	    p->data_spfn >= p->data_epfn)
		return -EINVAL;
	if ((p->spfn | p->epfn | p->rsv_spfn | p->rsv_epfn) % 512)
		return -EINVAL;
	if (!ref_fits(p->spfn, p->epfn - p->spfn, r->c.mfn_bits))
		return -EINVAL;
	if (p->rsv_spfn < p->spfn || p->rsv_epfn > p->epfn ||
	    p->data_spfn < p->spfn || p->data_epfn > p->epfn)
		return -EINVAL;
	if (ref_overlap(p->rsv_spfn, p->rsv_epfn - p->rsv_spfn, p->data_spfn,
			p->data_epfn - p->data_spfn))
		return -EINVAL;
	for (i = 0; i < r->npmem; i++)
		if (!memcmp(&r->pmem[i], p, sizeof(*p)))
			return 0;
	for (i = 0; i < r->npmem; i++)
		if (ref_overlap(p->spfn, p->epfn - p->spfn, r->pmem[i].spfn,
				r->pmem[i].epfn - r->pmem[i].spfn))
			return -EEXIST;
	frames = p->epfn - p->spfn;
	need = (frames * (r->c.page_info_size + r->c.m2p_size) + 4095) / 4096;
	if (p->rsv_epfn - p->rsv_spfn < need)
		return -ENOSPC;
	if (r->npmem >= REF_PMEM)
		return -ENOMEM;
	/* Mappings first (their references wait for the flush), lookups. */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < r->nmaps; i++) {
			struct ref_map *m = &r->maps[i];
			uint64_t mfn = m->mfn;

			if (!m->used || m->swapped ||
			    (m->kind == REF_LOOKUP) != (k == 1) ||
			    !ref_overlap(m->mfn, 1ull << m->order, p->rsv_spfn,
					 p->rsv_epfn - p->rsv_spfn))
				continue;
			r->revoked++;
			if (k) {
				ref_drop_map(r, m);
				ref_maybe_free(r, mfn);
			} else {
				ref_remove(r, m);
			}
		}
	}
	r->pmem[r->npmem++] = *p;
	ref_flush(r);
	return 0;
}

/* The knobs hvs_ctl "set" takes (booleans and numbers). */
static inline int ref_set(struct ref *r, const char *name, uint64_t v)
{
	struct ref_cfg c = r->c;
	bool fixed = false;

	if (!strcmp(name, "max_order") || !strcmp(name, "default_map") ||
	    !strcmp(name, "window_offset") || !strcmp(name, "bfn_bits") ||
	    !strcmp(name, "mfn_bits"))
		fixed = true;
#define REF_B(n) else if (!strcmp(name, #n)) { if (v > 1) return -EINVAL; c.n = v; }
#define REF_U(n) else if (!strcmp(name, #n)) c.n = v;
	if (0)
		;
	REF_B(disabled) REF_B(hardware_domain) REF_B(nonhw_enosys)
	REF_B(has_devices) REF_B(iommu) REF_B(passthrough) REF_B(strict)
	REF_B(map_cap) REF_B(map_all_gfns) REF_B(pmem_enosys)
	REF_U(max_order) REF_U(default_map) REF_U(window_offset)
	REF_U(bfn_bits) REF_U(mfn_bits) REF_U(page_info_size) REF_U(m2p_size)
	REF_U(max_records)
	else
		return -EINVAL;
#undef REF_B
#undef REF_U
	if (c.max_order > HVS_MAX_ORDER || c.default_map > HVS_DEFMAP_NONE ||
	    c.bfn_bits < 20 || c.bfn_bits > HVS_MAX_FRAME_BITS ||
	    c.mfn_bits < 34 || c.mfn_bits > HVS_MAX_FRAME_BITS ||
	    c.window_offset >= (1ull << c.bfn_bits) ||
	    c.page_info_size > 1024 || c.m2p_size > 1024 || !c.max_records)
		return -EINVAL;
	if (fixed && (r->live || r->nst) &&
	    (c.max_order != r->c.max_order ||
	     c.default_map != r->c.default_map ||
	     c.window_offset != r->c.window_offset ||
	     c.bfn_bits != r->c.bfn_bits || c.mfn_bits != r->c.mfn_bits))
		return -EBUSY;
	if (c.default_map != r->c.default_map ||
	    c.window_offset != r->c.window_offset ||
	    c.bfn_bits != r->c.bfn_bits)
		r->nholes = 0;
	r->c = c;
	return 0;
}

/* What a device reaches at @bfn: the model's HVS_XS_* and the frame. */
static inline unsigned int ref_translate(struct ref *r, uint64_t bfn, uint64_t *mfn,
				  unsigned int *perm)
{
	struct ref_map *p;

	*perm = REF_RW;
	if (ref_untranslated(r)) {
		*mfn = bfn;
		return 4;
	}
	p = ref_table_at(r, bfn);
	if (p) {
		*perm = p->perm;
		*mfn = p->swapped ? r->scratch : p->mfn + (bfn - p->bfn);
		return p->swapped ? 3 : 2;
	}
	if (ref_default(r, bfn, mfn))
		return 1;
	*perm = 0;
	return 0;
}

#endif /* HVSTUB_REF_H */
