// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/bfn_alloc.c */
/*
 * Unit tests for the BFN allocator and the u64 index: table cases, then
 * model-based random sequences (>= 1,000,000 allocator ops) against a
 * per-frame reference: every block handed out is aligned, inside the
 * window, clear of reservations and of every live block; -ENOSPC comes
 * exactly when the reference has no aligned free block of that order;
 * the counters add up.  UNIT_SEED replays, UNIT_BFN_OPS changes the count.
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/lib/bfn_alloc.h>

static u32 store[2 * 65536];

UNIT_TEST(bfn_init_table)
{
	struct xpv_bfn_alloc a;

	CHECK_EQ(xpv_bfn_store_len(4096, 0), 4096);
	CHECK_EQ(xpv_bfn_store_len(4096, 9), 4096 + 2048 + 1024 + 512 + 256 +
		 128 + 64 + 32 + 16 + 8);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 9, store, 8192), 0);
	CHECK_EQ(xpv_bfn_init(&a, 0x100001, 4096, 9, store, 8192), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4000, 9, store, 8192), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 0, 9, store, 8192), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 10, store, 8192), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 9, store, 4096), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, ~0ull & ~511ull, 4096, 9, store, 8192),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0, 1ull << 33, 0, store, 1ull << 33),
		 -EINVAL);
}

UNIT_TEST(bfn_msi_and_rsv)
{
	struct xpv_bfn_alloc a;
	u64 bfn, seen = 0;
	int rc;

	/* A window around the MSI window (0xfee00-0xfeeff) and an RMRR. */
	CHECK_EQ(xpv_bfn_init(&a, 0xfe000, 8192, 9, store, 16384), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfee00, 0xfef00), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe010, 0xfe012), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe012, 0xfe020), 0);	/* merges */
	CHECK_EQ(a.nr_rsv, 2);
	CHECK_EQ(a.rsv[0].start, 0x10);
	CHECK_EQ(a.rsv[0].end, 0x20);
	CHECK_EQ(xpv_bfn_reserve(&a, 0, 0x10), 0);		/* below base */
	CHECK_EQ(a.nr_rsv, 2);
	while (!(rc = xpv_bfn_get(&a, 0, &bfn))) {
		CHECK(bfn < 0xfee00 || bfn >= 0xfef00);
		CHECK(bfn < 0xfe010 || bfn >= 0xfe020);
		CHECK(bfn >= 0xfe000 && bfn < 0xfe000 + 8192);
		seen++;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(seen, 8192 - 256 - 16);
	CHECK_EQ(a.used_frames, seen);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe100, 0xfe101), -EBUSY);
}

UNIT_TEST(bfn_orders_and_merge)
{
	struct xpv_bfn_alloc a;
	u64 b[1024], big;
	int i;

	CHECK_EQ(xpv_bfn_init(&a, 0x40000, 1024, 9, store, 4096), 0);
	/* Fill with order 0, free all: order 9 must come back (merge). */
	for (i = 0; i < 1024; i++)
		CHECK_EQ(xpv_bfn_get(&a, 0, &b[i]), 0);
	CHECK_EQ(xpv_bfn_get(&a, 0, &big), -ENOSPC);
	CHECK_EQ(xpv_bfn_get(&a, 9, &big), -ENOSPC);
	for (i = 0; i < 1024; i += 2)
		CHECK_EQ(xpv_bfn_put(&a, b[i], 0), 0);
	/* Half free but no aligned pair: order 1 is impossible. */
	CHECK_EQ(xpv_bfn_get(&a, 1, &big), -ENOSPC);
	for (i = 1; i < 1024; i += 2)
		CHECK_EQ(xpv_bfn_put(&a, b[i], 0), 0);
	CHECK_EQ(xpv_bfn_get(&a, 9, &big), 0);
	CHECK_EQ(big & 511, 0);
	CHECK_EQ(xpv_bfn_get(&a, 9, &b[0]), 0);
	CHECK(b[0] != big);
	CHECK_EQ(xpv_bfn_get(&a, 0, &b[1]), -ENOSPC);
	CHECK_EQ(xpv_bfn_put(&a, big, 9), 0);
	CHECK_EQ(xpv_bfn_get(&a, 4, &b[1]), 0);
	CHECK_EQ(b[1] & 15, 0);
	CHECK_EQ(xpv_bfn_get(&a, 10, &b[2]), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x40001, 4), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x3ffff, 0), -EINVAL);
}

UNIT_TEST(bfn_magazine)
{
	struct xpv_bfn_alloc a;
	struct xpv_bfn_mag m = { 0 };

	CHECK_EQ(xpv_bfn_init(&a, 0, 64, 0, store, 64), 0);
	CHECK_EQ(xpv_bfn_mag_fill(&a, &m, 100), XPV_BFN_MAG_SIZE);
	CHECK_EQ(xpv_bfn_mag_fill(&a, &m, 100), 0);
	CHECK_EQ(a.used_frames, XPV_BFN_MAG_SIZE);
	xpv_bfn_mag_drain(&a, &m, 8);
	CHECK_EQ(m.n, 8);
	CHECK_EQ(a.used_frames, 8);
	xpv_bfn_mag_drain(&a, &m, 0);
	CHECK_EQ(a.used_frames, 0);
	CHECK_EQ(a.free_frames + (a.frames - a.next), 64);
}

/* ---- random model --------------------------------------------------- */

struct live {
	u64 bfn;
	unsigned int order;
};

#define W_MAX	16384u

static unsigned char ref_used[W_MAX], ref_rsv[W_MAX];
static struct live live[W_MAX];

static bool ref_block_free(u64 off, unsigned int order)
{
	u64 i;

	for (i = off; i < off + (1ull << order); i++)
		if (ref_used[i] || ref_rsv[i])
			return false;
	return true;
}

static bool ref_any_free(u64 frames, unsigned int order)
{
	u64 off;

	for (off = 0; off + (1ull << order) <= frames; off += 1ull << order)
		if (ref_block_free(off, order))
			return true;
	return false;
}

static uint64_t run_model(uint64_t *rs, uint64_t ops)
{
	static const u64 bases[] = { 0, 0x40000, 0xfe000, 0x7fffe00 };
	unsigned int max_order = unit_rand(rs) % (XPV_BFN_MAX_ORDER + 1);
	u64 frames = ((unit_rand(rs) % (W_MAX / 512)) + 1) * 512;
	u64 base = bases[unit_rand(rs) % 4], used = 0, i, bfn, nspc = 0;
	struct xpv_bfn_mag mag = { 0 };
	struct xpv_bfn_alloc a;
	unsigned int nlive = 0, k, nr = unit_rand(rs) % 4;
	int rc;

	memset(ref_used, 0, sizeof(ref_used));
	memset(ref_rsv, 0, sizeof(ref_rsv));
	CHECK_EQ(xpv_bfn_init(&a, base, frames, max_order, store,
			      sizeof(store) / sizeof(store[0])), 0);
	if (base == 0xfe000)
		nr++;
	for (k = 0; k < nr; k++) {
		u64 s = unit_rand(rs) % frames, n = unit_rand(rs) % 300 + 1;

		if (k == 0 && base == 0xfe000) {
			s = 0xfee00 - base;
			n = 256;
		}
		CHECK_EQ(xpv_bfn_reserve(&a, base + s, base + s + n), 0);
		for (i = s; i < s + n && i < frames; i++)
			ref_rsv[i] = 1;
	}
	for (i = 0; i < ops; i++) {
		unsigned int op = unit_rand(rs) % 100;

		if (op < 50) {
			unsigned int order = unit_rand(rs) % 4 ? 0 :
				unit_rand(rs) % (max_order + 1);

			rc = xpv_bfn_get(&a, order, &bfn);
			if (rc) {
				CHECK_EQ(rc, -ENOSPC);
				CHECK(!ref_any_free(frames, order));
				nspc++;
				continue;
			}
			CHECK(bfn >= base && bfn + (1ull << order) <=
			      base + frames);
			CHECK_EQ(bfn & ((1ull << order) - 1), 0);
			if (!ref_block_free(bfn - base, order)) {
				CHECK(!"block overlaps a live block or rsv");
				return nspc;
			}
			memset(&ref_used[bfn - base], 1, 1ull << order);
			live[nlive].bfn = bfn;
			live[nlive++].order = order;
			used += 1ull << order;
		} else if (op < 95 && nlive) {
			unsigned int j = unit_rand(rs) % nlive;

			CHECK_EQ(xpv_bfn_put(&a, live[j].bfn, live[j].order),
				 0);
			memset(&ref_used[live[j].bfn - base], 0,
			       1ull << live[j].order);
			used -= 1ull << live[j].order;
			live[j] = live[--nlive];
		} else if (op < 97) {
			unsigned int got = xpv_bfn_mag_fill(&a, &mag,
						unit_rand(rs) % 33);

			for (k = mag.n - got; k < mag.n; k++) {
				bfn = mag.bfn[k];
				CHECK(ref_block_free(bfn - base, 0));
				ref_used[bfn - base] = 1;
				used++;
			}
		} else if (op < 99) {
			unsigned int keep = unit_rand(rs) % (mag.n + 1);

			for (k = keep; k < mag.n; k++) {
				ref_used[mag.bfn[k] - base] = 0;
				used--;
			}
			xpv_bfn_mag_drain(&a, &mag, keep);
		} else {
			xpv_bfn_compact(&a);
		}
		CHECK_EQ(a.used_frames, used);
		if (unit_failed_checks)
			return nspc;
	}
	/* Everything back: the whole window is one free area again. */
	xpv_bfn_mag_drain(&a, &mag, 0);
	while (nlive) {
		nlive--;
		CHECK_EQ(xpv_bfn_put(&a, live[nlive].bfn, live[nlive].order),
			 0);
	}
	CHECK_EQ(a.used_frames, 0);
	xpv_bfn_compact(&a);
	for (i = 0, k = 0; i < a.next; i++)
		k += ref_rsv[i];
	CHECK_EQ(a.free_frames + (a.frames - a.next) + k, frames);
	return nspc;
}

UNIT_TEST(bfn_random_vs_reference)
{
	uint64_t rs = unit_seed("bfn_random_vs_reference"), done = 0, nspc = 0;
	const char *env = getenv("UNIT_BFN_OPS");
	uint64_t total = env ? strtoull(env, NULL, 0) : 1050000;

	while (done < total && !unit_failed_checks) {
		uint64_t n = 20000 + unit_rand(&rs) % 30000;

		nspc += run_model(&rs, n);
		done += n;
	}
	fprintf(stderr, "  bfn_random_vs_reference: %" PRIu64
		" ops, %" PRIu64 " -ENOSPC checked against the reference\n",
		done, nspc);
}

UNIT_TEST(u64map_random_vs_reference)
{
	static u64 key[1024], val[1024], used[16], ref[4096];
	static unsigned char has[4096];
	uint64_t rs = unit_seed("u64map_random_vs_reference");
	struct xpv_u64map h;
	u64 v, pos, k2, n = 0, i;
	int rc;

	xpv_u64map_init(&h, key, val, used, 1024);
	for (i = 0; i < 300000 && !unit_failed_checks; i++) {
		u64 k = unit_rand(&rs) % 4096;
		unsigned int op = unit_rand(&rs) % 3;

		if (op == 0) {
			rc = xpv_u64map_put(&h, k * 0x100000001ull, i);
			if (!has[k] && n == 768) {
				CHECK_EQ(rc, -ENOSPC);
				continue;
			}
			CHECK_EQ(rc, 0);
			n += !has[k];
			has[k] = 1;
			ref[k] = i;
		} else if (op == 1) {
			rc = xpv_u64map_del(&h, k * 0x100000001ull, &v);
			CHECK_EQ(rc, has[k] ? 0 : -ENOENT);
			if (has[k])
				CHECK_EQ(v, ref[k]);
			n -= has[k];
			has[k] = 0;
		} else {
			rc = xpv_u64map_get(&h, k * 0x100000001ull, &v);
			CHECK_EQ(rc, has[k] ? 0 : -ENOENT);
			if (has[k])
				CHECK_EQ(v, ref[k]);
		}
		CHECK_EQ(h.n, n);
	}
	pos = 0;
	i = 0;
	while (!xpv_u64map_at(&h, &pos, &k2, &v)) {
		CHECK(has[k2 / 0x100000001ull]);
		i++;
	}
	CHECK_EQ(i, n);
}

UNIT_MAIN
