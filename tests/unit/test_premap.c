// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/premap.c drivers/lib/range.c */
/*
 * Unit tests for the premap planner: hand-computed tables, then random
 * small pfn -> gfn maps checked against a dynamic program that finds the
 * true minimum number of ops by trying every order at every pfn, plus
 * exact coverage, alignment, contiguity, batching, lookup counts, unmap
 * symmetry and stop_at prefixes.
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/lib/premap.h>
#include <xpv/lib/status.h>

#define INV	XPV_INVALID_GFN
#define RW	(IOMMU_OP_readable | IOMMU_OP_writeable)

/* A map over a window of pfns [base, base + n): table lookup. */
struct map {
	u64 base;
	unsigned int n;
	u64 gfn[256];
	unsigned int looked[256];	/* lookups per pfn */
	unsigned long lookups;
	int identity_shift;		/* >= 0: gfn = pfn + shift (big maps) */
	u64 offset;
};

static u64 map_lookup(void *ctx, u64 pfn)
{
	struct map *m = ctx;

	m->lookups++;
	if (m->identity_shift >= 0)
		return pfn + m->offset;
	if (pfn - m->base >= m->n) {
		fprintf(stderr, "  lookup outside the window: %llu\n",
			(unsigned long long)pfn);
		unit_failed_checks++;
		return INV;
	}
	m->looked[pfn - m->base]++;
	return m->gfn[pfn - m->base];
}

static struct xpv_premap_params params(struct map *m,
				       const struct xpv_range *r,
				       unsigned int nr, unsigned int order)
{
	struct xpv_premap_params p = {
		.ranges = r, .nr_ranges = nr, .pfn_to_gfn = map_lookup,
		.ctx = m, .max_order = order, .map_flags = RW,
	};
	return p;
}

/* Run a whole walk; returns ops, counts batches. */
static u64 walk(const struct xpv_premap_params *p, unsigned int batch,
		u64 *batches, struct xpv_premap_stats *stats)
{
	static struct pv_iommu_op ops[1024];
	struct xpv_premap_cursor c;
	u64 total = 0;
	unsigned int n;

	*batches = 0;
	if (xpv_premap_init(&c, p, XPV_PREMAP_MAP, stats))
		return ~0ull;
	while ((n = xpv_premap_next(&c, ops, batch)) > 0) {
		total += n;
		(*batches)++;
	}
	return total;
}

UNIT_TEST(identity_big_tables)
{
	/* 1 GiB and 4 GiB guests from pfn 0, identity: exact counts. */
	static const struct {
		u64 pfns;
		unsigned int order;
		u64 ops, calls;
	} t[] = {
		{ 1ull << 18, 0, 1ull << 18, 2048 },
		{ 1ull << 18, 9, 512, 4 },
		{ 1ull << 18, 18, 1, 1 },
		{ 1ull << 20, 0, 1ull << 20, 8192 },
		{ 1ull << 20, 9, 2048, 16 },
		{ 1ull << 20, 18, 4, 1 },
	};
	struct map m = { .identity_shift = 0 };
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xpv_range r = { 0, t[i].pfns };
		struct xpv_premap_params p = params(&m, &r, 1, t[i].order);
		struct xpv_premap_count cnt;
		struct xpv_premap_stats st;
		u64 batches, ops;

		m.lookups = 0;
		CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
		CHECK_EQ(cnt.ops, t[i].ops);
		CHECK_EQ(cnt.hypercalls, t[i].calls);
		CHECK_EQ(cnt.pages, t[i].pfns);
		CHECK_EQ(m.lookups, t[i].pfns);		/* one per pfn */
		m.lookups = 0;
		ops = walk(&p, 128, &batches, &st);
		CHECK_EQ(ops, t[i].ops);
		CHECK_EQ(batches, t[i].calls);
		CHECK_EQ(m.lookups, t[i].pfns);		/* one per pfn */
		CHECK_EQ(st.lookups, t[i].pfns);
		CHECK_EQ(st.pages, t[i].pfns);
		CHECK_EQ(st.pages_by_order[t[i].order], t[i].pfns);
	}
}

UNIT_TEST(pc_like_layout_table)
{
	/*
	 * A PC-like map, identity: [1, 0x9f) below 640 KiB, [0x100, 0xbffe0)
	 * up to ~3 GiB, [0x100000, 0x140000) above 4 GiB.  Hand counts:
	 * [1, 0x9f): 1,2,4,8,16,32,64 up to 128, then 16+8+4+2+1 -> 12 ops
	 * at any max order >= 7.  [0x100, 0xbffe0) at order 9:
	 * 0x100 (order 8), then 2 MiB blocks 0x200..0xbfe00 = 1534, then
	 * 0x1e0 = 256+128+64+32 -> 1 + 1534 + 4 = 1539.  The 1 GiB block
	 * above 4 GiB: 512 ops at order 9, 1 at order 18.
	 */
	struct xpv_range r[] = {
		{ 1, 0x9f }, { 0x100, 0xbffe0 }, { 0x100000, 0x140000 },
	};
	struct map m = { .identity_shift = 0 };
	struct xpv_premap_params p = params(&m, r, 3, 9);
	struct xpv_premap_count cnt;
	struct xpv_premap_stats st;
	u64 batches;

	CHECK_EQ(xpv_premap_run_ops(1, 0x9f, 1, 9), 12);
	CHECK_EQ(xpv_premap_run_ops(0x100, 0xbffe0, 0x100, 9), 1539);
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	CHECK_EQ(cnt.ops, 12 + 1539 + 512);
	CHECK_EQ(cnt.hypercalls, (12 + 1539 + 512 + 127) / 128);
	CHECK_EQ(walk(&p, 128, &batches, &st), 12 + 1539 + 512);
	CHECK_EQ(batches, cnt.hypercalls);
	CHECK_EQ(st.pages_by_order[9], (1534 + 512) * 512ull);
	p.max_order = 18;
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	/*
	 * [0x100, 0xbffe0) at 18: head 0x100..0x40000 = bits 8..17 -> 10
	 * ops; one 2^18 block 0x40000..0x80000; tail 0x3ffe0 = bits 5..17
	 * -> 13 ops.  Plus 12 below 640 KiB and one 1 GiB block.
	 */
	CHECK_EQ(cnt.ops, 12 + 10 + 1 + 13 + 1);
}

UNIT_TEST(gfn_shapes_table)
{
	struct map m = { .identity_shift = -1, .base = 0, .n = 256 };
	struct xpv_range r = { 0, 256 };
	struct xpv_premap_params p = params(&m, &r, 1, 18);
	struct xpv_premap_count cnt;
	u64 i, batches;

	/* Swapped pairs: no two neighbours contiguous -> order 0 only. */
	for (i = 0; i < 256; i++)
		m.gfn[i] = 1000 + (i ^ 1);
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	CHECK_EQ(cnt.ops, 256);
	CHECK_EQ(walk(&p, 128, &batches, NULL), 256);
	CHECK_EQ(batches, 2);

	/* Contiguous but gfn only 2^3 aligned relative to pfn. */
	for (i = 0; i < 256; i++)
		m.gfn[i] = 0x108 + i;
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	CHECK_EQ(cnt.ops, 32);

	/* Every other pfn a hole. */
	for (i = 0; i < 256; i++)
		m.gfn[i] = (i & 1) ? INV : i;
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	CHECK_EQ(cnt.ops, 128);
	CHECK_EQ(cnt.holes, 128);
	CHECK_EQ(cnt.pages, 128);

	/* gfns running into XPV_INVALID_GFN: the hole is not "contiguous". */
	for (i = 0; i < 256; i++)
		m.gfn[i] = INV - 4 + i;	/* pfn 4 -> INV, then wraps to 0.. */
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	CHECK_EQ(cnt.holes, 1);
	/* [0,4): odd gfns, 4 ops; pfn 4 a hole; [5,256) gfn 0.. from 5. */
	CHECK_EQ(cnt.ops, 4 + xpv_premap_run_ops(5, 256, 0, 18));
	CHECK_EQ(walk(&p, 7, &batches, NULL), cnt.ops);
}

UNIT_TEST(op_encoding_and_unmap)
{
	struct map m = { .identity_shift = -1, .base = 0x200, .n = 16 };
	struct xpv_range r = { 0x200, 0x210 };
	struct xpv_premap_params p = params(&m, &r, 1, 9);
	struct pv_iommu_op ops[4];
	struct xpv_premap_cursor c;
	unsigned int i;

	for (i = 0; i < 16; i++)
		m.gfn[i] = 0x4000 + i;
	p.map_flags = IOMMU_OP_readable | IOMMU_MAP_OP_no_ref_cnt;
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), 0);
	CHECK_EQ(xpv_premap_next(&c, ops, 4), 1);
	CHECK_EQ(ops[0].subop_id, IOMMUOP_map_page);
	CHECK_EQ(ops[0].flags, IOMMU_OP_readable | IOMMU_MAP_OP_no_ref_cnt |
				(4u << 10));
	CHECK_EQ(ops[0].status, XPV_OP_STATUS_PENDING);
	CHECK_EQ(ops[0].u.map_page.bfn, 0x200);
	CHECK_EQ(ops[0].u.map_page.gfn, 0x4000);
	CHECK_EQ(ops[0].u.map_page._pad, 0);
	CHECK(xpv_premap_done(&c));
	CHECK_EQ(xpv_premap_next(&c, ops, 4), 0);

	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_UNMAP, NULL), 0);
	CHECK_EQ(xpv_premap_next(&c, ops, 4), 1);
	CHECK_EQ(ops[0].subop_id, IOMMUOP_unmap_page);
	CHECK_EQ(ops[0].flags, 4u << 10);
	CHECK_EQ(ops[0].u.unmap_page.bfn, 0x200);
	CHECK_EQ(ops[0].u.unmap_page._pad[0], 0);
}

UNIT_TEST(bad_params)
{
	struct map m = { .identity_shift = 0 };
	struct xpv_range r[] = { { 0, 10 }, { 5, 20 } };
	struct xpv_premap_params p = params(&m, r, 1, 9);
	struct xpv_premap_cursor c;
	struct xpv_premap_count cnt;
	struct pv_iommu_op ops[2];

	p.max_order = 64;
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	CHECK_EQ(xpv_premap_next(&c, ops, 2), 0);
	CHECK(xpv_premap_done(&c));
	CHECK_EQ(xpv_premap_count(&p, 1, &cnt), -EINVAL);
	p.max_order = 63;
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), 0);
	p.map_flags = 0;
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_UNMAP, NULL), 0);
	p.map_flags = IOMMU_MAP_OP_no_ref_cnt;
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	p.map_flags = RW | (1u << 3);
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	p.map_flags = RW | IOMMU_page_order_flags(3);
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	p.map_flags = RW;
	CHECK_EQ(xpv_premap_init(&c, &p, (enum xpv_premap_kind)7, NULL),
		 -EINVAL);
	p.nr_ranges = 2;	/* overlapping */
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), -EINVAL);
	CHECK_EQ(xpv_premap_count(&p, 1, &cnt), -EINVAL);
	p.nr_ranges = 1;
	CHECK_EQ(xpv_premap_count(&p, 0, &cnt), -EINVAL);
	p.pfn_to_gfn = NULL;
	CHECK_EQ(xpv_premap_count(&p, 1, &cnt), -EINVAL);
	CHECK_EQ(xpv_premap_check_params(NULL), -EINVAL);
	/* No ranges at all: nothing to do, not an error. */
	p.pfn_to_gfn = map_lookup;
	p.nr_ranges = 0;
	CHECK_EQ(xpv_premap_count(&p, 1, &cnt), 0);
	CHECK_EQ(cnt.hypercalls, 0);
	CHECK_EQ(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, NULL), 0);
	CHECK_EQ(xpv_premap_next(&c, ops, 2), 0);
	CHECK(xpv_premap_done(&c));
}

UNIT_TEST(top_of_u64)
{
	/* pfns and gfns at the very top: no overflow anywhere. */
	struct map m = { .identity_shift = 0 };
	struct xpv_range r = { ~0ull - 4096, ~0ull };
	struct xpv_premap_params p = params(&m, &r, 1, 63);
	struct xpv_premap_count cnt;
	u64 batches;

	m.offset = 0;
	CHECK_EQ(xpv_premap_count(&p, 128, &cnt), 0);
	/* [2^64-4097, 2^64-1): ascending to 2^64-4096 (1 op), then
	 * descending 4095 = 12 bits -> 12 ops; the last pfn 2^64-2 maps to
	 * gfn 2^64-2 (fine), gfn ~0 is never produced.
	 */
	CHECK_EQ(cnt.ops, 13);
	CHECK_EQ(walk(&p, 5, &batches, NULL), 13);
	CHECK_EQ(batches, 3);
	CHECK_EQ(xpv_premap_run_ops(0, ~0ull, 0, 63), 64);
	CHECK_EQ(xpv_premap_run_ops(1, ~0ull, 1, 63), 126);
}

/* --- model-based random tests ------------------------------------------ */

/* The largest order the op at @idx may use, per the definition. */
static int block_ok(const struct map *m, const struct xpv_range *rg,
		    unsigned int idx, unsigned int o, unsigned int max_order)
{
	u64 pfn = m->base + idx, gfn = m->gfn[idx], len = 1ull << o, i;

	if (o > max_order || (pfn & (len - 1)) || (gfn & (len - 1)))
		return 0;
	if (gfn == INV || len > rg->end - pfn)
		return 0;
	for (i = 1; i < len; i++)
		if (m->gfn[idx + i] == INV || m->gfn[idx + i] != gfn + i)
			return 0;
	return 1;
}

/* Exact minimum by dynamic programming over every order at every pfn. */
static u64 dp_min(const struct map *m, const struct xpv_range *r,
		  unsigned int nr, unsigned int max_order)
{
	u64 total = 0;
	unsigned int k;

	for (k = 0; k < nr; k++) {
		u64 best[257];
		unsigned int lo, hi, i, o;

		if (r[k].start >= r[k].end)
			continue;
		lo = (unsigned int)(r[k].start - m->base);
		hi = (unsigned int)(r[k].end - m->base);
		best[hi - lo] = 0;
		for (i = hi; i-- > lo;) {
			u64 b = ~0ull;

			if (m->gfn[i] == INV) {
				best[i - lo] = best[i - lo + 1];
				continue;
			}
			for (o = 0; o < 64 && (1ull << o) <= hi - i; o++)
				if (block_ok(m, &r[k], i, o, max_order) &&
				    best[i - lo + (1u << o)] + 1 < b)
					b = best[i - lo + (1u << o)] + 1;
			best[i - lo] = b;
		}
		total += best[0];
	}
	return total;
}

static void gen_map(uint64_t *st, struct map *m)
{
	unsigned int i = 0;

	m->identity_shift = -1;
	switch (unit_rand(st) % 4) {
	case 0:
		m->base = 0;
		break;
	case 1:
		m->base = ~0ull - 1 - m->n;	/* window ends below 2^64 - 1 */
		break;
	case 2:
		m->base = (unit_rand(st) & ((1ull << 40) - 1)) & ~63ull;
		break;
	default:
		m->base = unit_rand(st) % 100000;
		break;
	}
	while (i < m->n) {
		unsigned int len = 1 + unit_rand(st) % 40, k;
		unsigned int kind = unit_rand(st) % 8;
		u64 g;

		if (kind == 0) {
			g = INV;
		} else if (kind == 1) {
			g = ~0ull - unit_rand(st) % 8;	/* runs into INV */
		} else if (kind < 5) {
			/* gfn aligned like pfn modulo a random power */
			unsigned int a = unit_rand(st) % 8;

			g = (unit_rand(st) & ((1ull << 44) - 1)) << a;
			g = (g & ~((1ull << a) - 1)) |
			    ((m->base + i) & ((1ull << a) - 1));
		} else {
			g = m->base + i + (unit_rand(st) % 3) * 64;
		}
		for (k = 0; k < len && i < m->n; k++, i++) {
			if (g == INV) {
				m->gfn[i] = INV;
				continue;
			}
			m->gfn[i] = g + k;
			if (unit_rand(st) % 64 == 0)	/* sporadic break */
				m->gfn[i] += 1 + unit_rand(st) % 5;
		}
	}
}

static unsigned int gen_ranges(uint64_t *st, const struct map *m,
			       struct xpv_range *r)
{
	unsigned int nr = unit_rand(st) % 4, k;
	u64 cuts[8];

	for (k = 0; k < 2 * nr; k++)
		cuts[k] = unit_rand(st) % (m->n + 1);
	/* sort */
	for (k = 1; k < 2 * nr; k++) {
		u64 v = cuts[k];
		unsigned int j = k;

		while (j && cuts[j - 1] > v) {
			cuts[j] = cuts[j - 1];
			j--;
		}
		cuts[j] = v;
	}
	for (k = 0; k < nr; k++) {
		r[k].start = m->base + cuts[2 * k];
		r[k].end = m->base + cuts[2 * k + 1];
	}
	return nr;
}

struct seen {
	struct pv_iommu_op ops[300];
	unsigned int n;
	unsigned int batches;
	int short_batch_not_last;
};

static void collect(const struct xpv_premap_params *p,
		    enum xpv_premap_kind kind, unsigned int batch,
		    u64 stop, struct seen *s, struct xpv_premap_stats *stats)
{
	struct xpv_premap_cursor c;
	unsigned int n, calls = 0, k;
	unsigned int cum[300];
	bool done[300];

	memset(s, 0, sizeof(*s));
	if (xpv_premap_init(&c, p, kind, stats)) {
		CHECK(!"init");
		return;
	}
	if (stop != ~0ull)
		xpv_premap_stop_at(&c, stop);
	do {
		n = xpv_premap_next(&c, &s->ops[s->n], batch);
		if (n > batch) {
			CHECK(!"batch overrun");
			return;
		}
		if (n && calls && cum[calls - 1] - (calls > 1 ?
		    cum[calls - 2] : 0) < batch)
			s->short_batch_not_last = 1;
		s->n += n;
		cum[calls] = s->n;
		done[calls++] = xpv_premap_done(&c);
		if (s->n + batch > 300 || calls >= 300) {
			CHECK(!"too many ops");
			return;
		}
	} while (n);
	s->batches = calls - 1;
	/* done() is exact after every call: true iff nothing follows. */
	for (k = 0; k < calls; k++)
		if (done[k] != (cum[k] == s->n)) {
			CHECK(!"done() inexact");
			return;
		}
}

UNIT_TEST(premap_model_random)
{
	uint64_t st = unit_seed("premap_model_random");
	static struct map m;
	unsigned long cases;

	for (cases = 0; cases < 100000; cases++) {
		struct xpv_range r[4];
		struct xpv_premap_params p;
		struct xpv_premap_stats stats;
		struct xpv_premap_count cnt;
		static struct seen s, u, pre;
		unsigned int nr, batch, order, i, k;
		unsigned int covered[256];
		u64 want, stop, pages = 0, holes = 0, in_ranges = 0;
		u64 by_order[64] = { 0 };

		m.n = 1 + unit_rand(&st) % 128;
		gen_map(&st, &m);
		nr = gen_ranges(&st, &m, r);
		order = unit_rand(&st) % 10 == 0 ? 63 : unit_rand(&st) % 8;
		batch = 1 + unit_rand(&st) % 9;
		p = params(&m, r, nr, order);
		p.map_flags = (unit_rand(&st) % 2) ? RW : (IOMMU_OP_readable |
			      IOMMU_MAP_OP_no_ref_cnt);

		memset(m.looked, 0, sizeof(m.looked));
		collect(&p, XPV_PREMAP_MAP, batch, ~0ull, &s, &stats);
		for (k = 0; k < nr; k++)
			in_ranges += r[k].end - r[k].start;
		/* Exactly one lookup per pfn of the ranges. */
		for (i = 0; i < m.n; i++) {
			int in = 0;

			for (k = 0; k < nr; k++)
				in |= m.base + i >= r[k].start &&
				      m.base + i < r[k].end;
			if (m.looked[i] != (unsigned int)in) {
				CHECK(!"lookups per pfn != 1");
				goto fail;
			}
			if (in && m.gfn[i] == INV)
				holes++;
		}
		CHECK_EQ(stats.lookups, in_ranges);
		CHECK_EQ(stats.holes, holes);

		/* Every op well formed; coverage exactly once. */
		memset(covered, 0, sizeof(covered));
		for (i = 0; i < s.n; i++) {
			const struct pv_iommu_op *op = &s.ops[i];
			unsigned int o = IOMMU_page_order(op->flags);
			u64 pfn = op->u.map_page.bfn, j;
			unsigned int idx = (unsigned int)(pfn - m.base);
			const struct xpv_range *rg = NULL;

			for (k = 0; k < nr; k++)
				if (pfn >= r[k].start && pfn < r[k].end)
					rg = &r[k];
			if (op->subop_id != IOMMUOP_map_page ||
			    op->status != XPV_OP_STATUS_PENDING ||
			    (op->flags & ~IOMMU_page_order_mask) !=
			    p.map_flags || !rg ||
			    op->u.map_page.gfn != m.gfn[idx] ||
			    !block_ok(&m, rg, idx, o, order) ||
			    (i && pfn <= s.ops[i - 1].u.map_page.bfn)) {
				CHECK(!"bad op");
				goto fail;
			}
			/* Greedy: the next larger order must not fit. */
			if (o < 63 && block_ok(&m, rg, idx, o + 1, order)) {
				CHECK(!"op not of the largest order");
				goto fail;
			}
			for (j = 0; j < (1ull << o); j++)
				covered[idx + j]++;
			pages += 1ull << o;
			by_order[o] += 1ull << o;
		}
		for (i = 0; i < m.n; i++) {
			int in = 0;

			for (k = 0; k < nr; k++)
				in |= m.base + i >= r[k].start &&
				      m.base + i < r[k].end;
			if (covered[i] != (unsigned int)(in && m.gfn[i] != INV)) {
				CHECK(!"pfn not covered exactly once");
				goto fail;
			}
		}
		CHECK_EQ(stats.ops, s.n);
		CHECK_EQ(stats.pages, pages);
		for (i = 0; i < 64; i++)
			if (stats.pages_by_order[i] != by_order[i])
				CHECK(!"pages_by_order");

		/* Minimal: dynamic program, and the closed-form count. */
		want = dp_min(&m, r, nr, order);
		if (s.n != want) {
			CHECK_EQ(s.n, want);
			goto fail;
		}
		m.lookups = 0;
		CHECK_EQ(xpv_premap_count(&p, batch, &cnt), 0);
		CHECK_EQ(m.lookups, in_ranges);
		CHECK_EQ(cnt.ops, want);
		CHECK_EQ(cnt.pages, pages);
		CHECK_EQ(cnt.holes, holes);
		CHECK_EQ(cnt.hypercalls, s.batches);
		CHECK_EQ(cnt.hypercalls, (want + batch - 1) / batch);
		CHECK(!s.short_batch_not_last);

		/* Unmap: the same blocks, as unmap_page ops. */
		collect(&p, XPV_PREMAP_UNMAP, 1 + unit_rand(&st) % 9, ~0ull,
			&u, NULL);
		CHECK_EQ(u.n, s.n);
		for (i = 0; i < u.n && i < s.n; i++) {
			if (u.ops[i].subop_id != IOMMUOP_unmap_page ||
			    u.ops[i].u.unmap_page.bfn !=
			    s.ops[i].u.map_page.bfn ||
			    u.ops[i].flags !=
			    (s.ops[i].flags & IOMMU_page_order_mask) ||
			    u.ops[i].u.unmap_page._pad[0] ||
			    u.ops[i].status != XPV_OP_STATUS_PENDING) {
				CHECK(!"unmap differs from map");
				goto fail;
			}
		}

		/* stop_at: exactly the prefix of ops starting below it. */
		stop = s.n ? s.ops[unit_rand(&st) % s.n].u.map_page.bfn +
			     unit_rand(&st) % 3 : m.base;
		collect(&p, XPV_PREMAP_UNMAP, 1 + unit_rand(&st) % 9, stop,
			&pre, NULL);
		for (i = 0; i < s.n && s.ops[i].u.map_page.bfn < stop; i++)
			;
		CHECK_EQ(pre.n, i);
		for (i = 0; i < pre.n; i++)
			if (pre.ops[i].u.unmap_page.bfn !=
			    s.ops[i].u.map_page.bfn)
				CHECK(!"stop_at prefix");
		continue;
fail:
		fprintf(stderr, "  case %lu: base %llu n %u order %u batch %u\n",
			cases, (unsigned long long)m.base, m.n, order, batch);
		return;
	}
}

/* The closed form against a plain greedy loop on large random runs. */
UNIT_TEST(run_ops_formula_random)
{
	uint64_t st = unit_seed("run_ops_formula_random");
	unsigned long i;

	for (i = 0; i < 200000; i++) {
		unsigned int max = unit_rand(&st) % 64;
		u64 pfn = unit_rand(&st) >> (unit_rand(&st) % 64);
		u64 gfn = unit_rand(&st) >> (unit_rand(&st) % 64);
		u64 len, x, n = 0, end;
		unsigned int a = 0;

		/* Keep the greedy loop short: at most ~64 big blocks. */
		while (a < max && !((gfn - pfn) >> a & 1))
			a++;
		len = unit_rand(&st) % (64ull << (a < 56 ? a : 56));
		if (unit_rand(&st) % 8 == 0)
			len = unit_rand(&st) % 300;
		if (pfn > ~0ull - len)
			pfn = ~0ull - len;
		end = pfn + len;
		for (x = pfn; x < end; n++) {
			unsigned int o = max;
			u64 g = gfn + (x - pfn);

			while (o && ((x & ((1ull << o) - 1)) ||
				     (g & ((1ull << o) - 1)) ||
				     (1ull << o) > end - x))
				o--;
			x += 1ull << o;
		}
		if (xpv_premap_run_ops(pfn, end, gfn, max) != n) {
			CHECK_EQ(xpv_premap_run_ops(pfn, end, gfn, max), n);
			fprintf(stderr, "  pfn %llu end %llu gfn %llu max %u\n",
				(unsigned long long)pfn,
				(unsigned long long)end,
				(unsigned long long)gfn, max);
			return;
		}
	}
}

/* --- following P2M changes (the balloon hook) ---------------------------- */

UNIT_TEST(changes_sort_and_affected_table)
{
	struct xpv_p2m_change c[7] = {
		{ 40, 1 }, { 3, 2 }, { 40, 3 }, { 0, 4 }, { 600, 5 }, { 17, 6 },
		{ 21, 7 },
	};
	struct xpv_range r[3] = { { 0, 20 }, { 20, 100 }, { 512, 520 } };
	struct xpv_range out[8];
	struct xpv_p2m_change bad[2] = { { 5, 0 }, { 4, 0 } };
	unsigned int n;

	n = xpv_p2m_changes_sort(c, 7);
	CHECK_EQ(n, 6);
	CHECK_EQ(c[0].pfn, 0);
	CHECK_EQ(c[1].pfn, 3);
	CHECK_EQ(c[2].pfn, 17);
	CHECK_EQ(c[3].pfn, 21);
	CHECK_EQ(c[4].pfn, 40);
	CHECK_EQ(c[5].pfn, 600);
	/*
	 * Order 4, blocks of 16 clipped to their range: 0, 3 -> [0,16) and
	 * 17 -> [16,20) merge (one range); 21 -> [20,32) touches them but
	 * starts range 1, so it stays apart, and 40 -> [32,48) merges into
	 * it; 600 is in no range.
	 */
	CHECK_EQ(xpv_premap_affected(r, 3, c, n, 4, out, 8), 2);
	CHECK_EQ(out[0].start, 0);
	CHECK_EQ(out[0].end, 20);
	CHECK_EQ(out[1].start, 20);
	CHECK_EQ(out[1].end, 48);
	/* Two touching blocks of one range merge; too little room. */
	{
		struct xpv_range one = { 0, 100 };
		struct xpv_p2m_change d[2] = { { 15, 0 }, { 16, 0 } };

		CHECK_EQ(xpv_premap_affected(&one, 1, d, 2, 4, out, 8), 1);
		CHECK_EQ(out[0].start, 0);
		CHECK_EQ(out[0].end, 32);
		CHECK_EQ(xpv_premap_affected(&one, 1, d, 2, 4, out, 0),
			 -ENOSPC);
		/* order 63: the whole range */
		CHECK_EQ(xpv_premap_affected(&one, 1, d, 2, 63, out, 8), 1);
		CHECK_EQ(out[0].end, 100);
	}
	CHECK_EQ(xpv_premap_affected(r, 3, bad, 2, 4, out, 8), -EINVAL);
	CHECK_EQ(xpv_premap_affected(r, 3, c, n, 64, out, 8), -EINVAL);
}

/* An IOMMU model: entries (bfn, order, gfn) over a window of 256 bfns. */
struct iommu {
	u64 base;
	int head[256];		/* index into ents of the entry at bfn, -1 */
	u64 gfn[256];		/* per bfn covered: its gfn */
	unsigned char order[256];
	bool used[256];
};

static int iommu_apply(struct iommu *io, const struct pv_iommu_op *op)
{
	unsigned int o = IOMMU_page_order(op->flags), i;
	u64 bfn = op->subop_id == IOMMUOP_map_page ? op->u.map_page.bfn :
		  op->u.unmap_page.bfn;
	unsigned int idx = (unsigned int)(bfn - io->base);
	unsigned int len = 1u << o;

	if (bfn < io->base || idx + len > 256)
		return -1;
	if (op->subop_id == IOMMUOP_map_page) {
		for (i = 0; i < len; i++)
			if (io->used[idx + i])
				return -2;	/* overlap */
		for (i = 0; i < len; i++) {
			io->used[idx + i] = true;
			io->gfn[idx + i] = op->u.map_page.gfn + i;
		}
		io->head[idx] = 1;
		io->order[idx] = (unsigned char)o;
		return 0;
	}
	if (io->head[idx] != 1 || io->order[idx] != o)
		return -3;			/* not exactly an entry */
	for (i = 0; i < len; i++)
		io->used[idx + i] = false;
	io->head[idx] = 0;
	return 0;
}

static int iommu_walk(struct iommu *io, const struct xpv_range *r,
		      unsigned int nr, xpv_pfn_to_gfn_fn fn, void *ctx,
		      unsigned int order, enum xpv_premap_kind kind)
{
	struct xpv_premap_params p = {
		.ranges = r, .nr_ranges = nr, .pfn_to_gfn = fn, .ctx = ctx,
		.max_order = order, .map_flags = RW,
	};
	struct xpv_premap_cursor c;
	struct pv_iommu_op ops[16];
	unsigned int n, i;

	if (xpv_premap_init(&c, &p, kind, NULL))
		return -10;
	while ((n = xpv_premap_next(&c, ops, 16)) > 0)
		for (i = 0; i < n; i++)
			if (iommu_apply(io, &ops[i]))
				return -11;
	return 0;
}

static u64 table_lookup(void *ctx, u64 pfn)
{
	struct map *m = ctx;

	return pfn - m->base < m->n ? m->gfn[pfn - m->base] : INV;
}

/*
 * A premapped P2M goes through random balloon-like changes (pages leave:
 * gfn -> hole; pages come back: hole -> new frame, often contiguous with
 * a neighbour so superpages re-form).  After each change only the blocks
 * xpv_premap_affected() names are unmapped (old view) and mapped (new
 * view), and the IOMMU must then equal a fresh premap of the new P2M, with
 * no entry reaching a frame that left.  Every unmap must hit an entry
 * exactly: the hypervisor does not split entries.
 */
UNIT_TEST(rebuild_follows_p2m_random)
{
	uint64_t st = unit_seed("rebuild_follows_p2m_random");
	static struct map m, old;
	static struct iommu io, fresh;
	unsigned long cases, steps = 0;

	for (cases = 0; cases < 3000; cases++) {
		struct xpv_range r[4], blocks[256];
		unsigned int nr, order, step, i;

		m.n = 64 + unit_rand(&st) % 192;
		gen_map(&st, &m);
		m.base &= ~255ull;	/* blocks up to order 8 stay inside */
		for (i = 0; i < m.n; i++)	/* no ~0 gfns: frames are real */
			if (m.gfn[i] != INV && m.gfn[i] > (1ull << 50))
				m.gfn[i] &= (1ull << 40) - 1;
		nr = gen_ranges(&st, &m, r);
		order = unit_rand(&st) % 9;
		memset(&io, 0, sizeof(io));
		io.base = m.base;
		if (iommu_walk(&io, r, nr, table_lookup, &m, order,
			       XPV_PREMAP_MAP)) {
			CHECK(!"initial premap");
			return;
		}
		for (step = 0; step < 20; step++, steps++) {
			struct xpv_p2m_change before[16], after[16];
			struct xpv_p2m_overlay vb, va;
			unsigned int k = 1 + unit_rand(&st) % 16, nb, j;
			bool base_new = unit_rand(&st) & 1;
			int nblk;

			old = m;
			for (j = 0; j < k; j++) {
				unsigned int idx = unit_rand(&st) % m.n;

				before[j].pfn = m.base + idx;
				before[j].gfn = old.gfn[idx];
				if (old.gfn[idx] != INV && unit_rand(&st) % 3)
					m.gfn[idx] = INV;	/* leaves */
				else if (idx && m.gfn[idx - 1] != INV &&
					 unit_rand(&st) % 2)
					m.gfn[idx] = m.gfn[idx - 1] + 1;
				else
					m.gfn[idx] = (unit_rand(&st) %
						      (1ull << 30)) + idx;
				after[j].pfn = before[j].pfn;
			}
			/* A pfn changed twice: the last value stands. */
			for (j = 0; j < k; j++) {
				unsigned int idx = (unsigned int)
					(before[j].pfn - m.base);

				after[j].gfn = m.gfn[idx];
				before[j].gfn = old.gfn[idx];
			}
			nb = xpv_p2m_changes_sort(before, k);
			if (xpv_p2m_changes_sort(after, k) != nb) {
				CHECK(!"sort");
				return;
			}
			/* The base view is either side; overlays fix it. */
			vb.changes = before;
			vb.nr = nb;
			va.changes = after;
			va.nr = nb;
			vb.base = va.base = table_lookup;
			vb.base_ctx = va.base_ctx = base_new ? &m : &old;
			nblk = xpv_premap_affected(r, nr, before, nb, order,
						   blocks, 256);
			if (nblk < 0) {
				CHECK(!"affected");
				return;
			}
			for (j = 0; j < (unsigned int)nblk; j++) {
				if (iommu_walk(&io, &blocks[j], 1,
					       xpv_p2m_overlay_gfn, &vb, order,
					       XPV_PREMAP_UNMAP) ||
				    iommu_walk(&io, &blocks[j], 1,
					       xpv_p2m_overlay_gfn, &va, order,
					       XPV_PREMAP_MAP)) {
					CHECK(!"rebuild op did not apply");
					goto fail;
				}
			}
			memset(&fresh, 0, sizeof(fresh));
			fresh.base = m.base;
			if (iommu_walk(&fresh, r, nr, table_lookup, &m, order,
				       XPV_PREMAP_MAP)) {
				CHECK(!"fresh premap");
				return;
			}
			for (i = 0; i < 256; i++) {
				if (io.used[i] != fresh.used[i] ||
				    (io.used[i] && io.gfn[i] != fresh.gfn[i]) ||
				    io.head[i] != fresh.head[i] ||
				    (io.head[i] &&
				     io.order[i] != fresh.order[i])) {
					CHECK(!"map differs from a fresh premap");
					goto fail;
				}
				/* Nothing reaches a frame that left. */
				if (io.used[i] && i < m.n && m.gfn[i] == INV) {
					CHECK(!"a hole is still mapped");
					goto fail;
				}
			}
		}
		continue;
fail:
		fprintf(stderr, "  case %lu step %lu: base %llu n %u order %u\n",
			cases, steps, (unsigned long long)m.base, m.n, order);
		return;
	}
	fprintf(stderr, "  rebuild_follows_p2m_random: %lu changes checked\n",
		steps);
}

UNIT_MAIN
