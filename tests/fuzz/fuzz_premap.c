// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/premap.c drivers/lib/range.c */
/*
 * libFuzzer target: differential test of the premap walk against the
 * closed-form count and an exhaustive dynamic program, on fuzzer-built
 * pfn -> gfn maps of up to 128 pfns placed anywhere in u64.
 *
 * Input: window selector, max order, batch, up to 3 ranges (two cut
 * bytes each), then one byte per pfn: 0xff a hole, < 0xc0 "next gfn of
 * the run", else a new run whose gfn is the following 8 bytes.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/lib/premap.h>
#include <xpv/lib/status.h>

#define N	128
#define INV	XPV_INVALID_GFN

struct map {
	u64 base;
	u64 gfn[N];
	unsigned int looked[N];
};

static u64 lookup(void *ctx, u64 pfn)
{
	struct map *m = ctx;

	FUZZ_CHECK(pfn - m->base < N);
	m->looked[pfn - m->base]++;
	return m->gfn[pfn - m->base];
}

static int block_ok(const struct map *m, const struct xpv_range *rg,
		    unsigned int idx, unsigned int o, unsigned int max)
{
	u64 pfn = m->base + idx, gfn = m->gfn[idx], len, i;

	if (o > max || o > 63)
		return 0;
	len = 1ull << o;
	if ((pfn & (len - 1)) || (gfn & (len - 1)) || gfn == INV ||
	    len > rg->end - pfn)
		return 0;
	for (i = 1; i < len; i++)
		if (m->gfn[idx + i] == INV || m->gfn[idx + i] != gfn + i)
			return 0;
	return 1;
}

static u64 dp_min(const struct map *m, const struct xpv_range *r,
		  unsigned int nr, unsigned int max)
{
	u64 total = 0;
	unsigned int k;

	for (k = 0; k < nr; k++) {
		u64 best[N + 1];
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
			for (o = 0; (1u << o) <= hi - i; o++)
				if (block_ok(m, &r[k], i, o, max) &&
				    best[i - lo + (1u << o)] + 1 < b)
					b = best[i - lo + (1u << o)] + 1;
			best[i - lo] = b;
		}
		total += best[0];
	}
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct map m;
	static struct pv_iommu_op ops[N + 16];
	static unsigned int covered[N];
	struct fuzz_in in = { data, size };
	struct xpv_range r[3];
	struct xpv_premap_params p;
	struct xpv_premap_cursor c;
	struct xpv_premap_count cnt;
	struct xpv_premap_stats st;
	unsigned int sel, order, batch, nr, i, k, n, total = 0, calls = 0;
	u64 g = 0, want;

	sel = (unsigned int)fuzz_take(&in, 1);
	switch (sel % 4) {
	case 0:
		m.base = 0;
		break;
	case 1:
		m.base = ~0ull - 1 - N;
		break;
	case 2:
		m.base = fuzz_take(&in, 8) & ~((1ull << 20) - 1);
		if (m.base > ~0ull - 1 - N)
			m.base = ~0ull - 1 - N;
		break;
	default:
		m.base = fuzz_take(&in, 2);
		break;
	}
	order = (unsigned int)fuzz_take(&in, 1) % 64;
	batch = 1 + (unsigned int)fuzz_take(&in, 1) % 16;
	nr = (unsigned int)fuzz_take(&in, 1) % 4;
	{
		u64 cut[6];

		for (k = 0; k < 2 * nr; k++)
			cut[k] = fuzz_take(&in, 1) % (N + 1);
		for (k = 1; k < 2 * nr; k++) {	/* sort the cuts */
			u64 v = cut[k];
			unsigned int j = k;

			while (j && cut[j - 1] > v) {
				cut[j] = cut[j - 1];
				j--;
			}
			cut[j] = v;
		}
		for (k = 0; k < nr; k++) {
			r[k].start = m.base + cut[2 * k];
			r[k].end = m.base + cut[2 * k + 1];
		}
	}
	for (i = 0; i < N; i++) {
		unsigned int b = (unsigned int)fuzz_take(&in, 1);

		if (b == 0xff) {
			m.gfn[i] = INV;
			continue;
		}
		if (b >= 0xc0 || !i)
			g = fuzz_take(&in, 8);
		else
			g++;
		m.gfn[i] = g;
	}

	p = (struct xpv_premap_params){
		.ranges = r, .nr_ranges = nr, .pfn_to_gfn = lookup,
		.ctx = &m, .max_order = order,
		.map_flags = IOMMU_OP_readable | IOMMU_OP_writeable,
	};
	memset(m.looked, 0, sizeof(m.looked));
	memset(covered, 0, sizeof(covered));
	FUZZ_CHECK(xpv_premap_init(&c, &p, XPV_PREMAP_MAP, &st) == 0);
	while ((n = xpv_premap_next(&c, &ops[total], batch)) > 0) {
		FUZZ_CHECK(n <= batch);
		FUZZ_CHECK(total % batch == 0);	/* only the last is short */
		total += n;
		calls++;
		FUZZ_CHECK(total + batch <= N + 16);
	}
	FUZZ_CHECK(xpv_premap_done(&c));
	for (i = 0; i < N; i++) {
		int in_r = 0;

		for (k = 0; k < nr; k++)
			in_r |= m.base + i >= r[k].start &&
				m.base + i < r[k].end;
		FUZZ_CHECK(m.looked[i] == (unsigned int)in_r);
	}
	for (i = 0; i < total; i++) {
		const struct pv_iommu_op *op = &ops[i];
		unsigned int o = IOMMU_page_order(op->flags);
		unsigned int idx = (unsigned int)(op->u.map_page.bfn - m.base);
		const struct xpv_range *rg = NULL;
		u64 j;

		FUZZ_CHECK(op->subop_id == IOMMUOP_map_page);
		FUZZ_CHECK(op->status == XPV_OP_STATUS_PENDING);
		FUZZ_CHECK(idx < N && op->u.map_page.gfn == m.gfn[idx]);
		for (k = 0; k < nr; k++)
			if (op->u.map_page.bfn >= r[k].start &&
			    op->u.map_page.bfn < r[k].end)
				rg = &r[k];
		FUZZ_CHECK(rg && block_ok(&m, rg, idx, o, order));
		FUZZ_CHECK(!block_ok(&m, rg, idx, o + 1, order));
		for (j = 0; j < (1ull << o); j++)
			covered[idx + j]++;
	}
	for (i = 0; i < N; i++) {
		int in_r = 0;

		for (k = 0; k < nr; k++)
			in_r |= m.base + i >= r[k].start &&
				m.base + i < r[k].end;
		FUZZ_CHECK(covered[i] ==
			   (unsigned int)(in_r && m.gfn[i] != INV));
	}
	want = dp_min(&m, r, nr, order);
	FUZZ_CHECK(total == want && st.ops == want);
	FUZZ_CHECK(xpv_premap_count(&p, batch, &cnt) == 0);
	FUZZ_CHECK(cnt.ops == want && cnt.hypercalls == calls);
	return 0;
}
