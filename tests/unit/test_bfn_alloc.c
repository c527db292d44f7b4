// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/bfn_alloc.c */
/*
 * Unit tests for the BFN allocator and the u64 index: table cases (geometry,
 * reservations, buddies merging, every kind of invalid free refused through
 * the allocator and through a magazine, bounded cost of failing requests in
 * a fragmented 16 GiB window), then model-based random sequences
 * (>= 1,000,000 allocator ops) against a per-frame reference: every block
 * handed out is aligned, inside the window, clear of reservations and of
 * every live or cached block; -ENOSPC comes exactly when the reference has
 * no aligned free block of that order; a free is refused exactly when the
 * reference says the block is not a live block of that order; no operation
 * costs more than a fixed number of bitmap words; the counters add up.
 * UNIT_SEED replays, UNIT_BFN_OPS changes the count.
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/lib/bfn_alloc.h>

#define STORE_LEN	(1u << 18)
static unsigned long store[STORE_LEN];

/* Bitmap words one successful get or put may touch (see the header). */
#define STEP_BOUND	((XPV_BFN_MAX_ORDER + 1) * (2 * XPV_BFN_LEVELS + 2))

UNIT_TEST(bfn_init_table)
{
	struct xpv_bfn_alloc a;

	/* 4096 bits: 64 words + 1 summary word, plus 64 held words. */
	CHECK_EQ(xpv_bfn_store_len(4096, 0), 64 + 1 + 64);
	CHECK_EQ(xpv_bfn_store_len(64, 0), 1 + 1);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 9, store, STORE_LEN), 0);
	CHECK_EQ(xpv_bfn_init(&a, 0x100001, 4096, 9, store, STORE_LEN),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4000, 9, store, STORE_LEN),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 0, 9, store, STORE_LEN), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 10, store, STORE_LEN),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 9, store,
			      xpv_bfn_store_len(4096, 9) - 1), -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0x100000, 4096, 9, NULL, STORE_LEN),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, ~0ull & ~511ull, 4096, 9, store, STORE_LEN),
		 -EINVAL);
	CHECK_EQ(xpv_bfn_init(&a, 0, XPV_BFN_MAX_FRAMES * 2, 0, store,
			      ~0ull), -EINVAL);
}

UNIT_TEST(bfn_msi_and_rsv)
{
	struct xpv_bfn_alloc a;
	u64 bfn, seen = 0;
	int rc;

	/* A window around the MSI window (0xfee00-0xfeeff) and an RMRR. */
	CHECK_EQ(xpv_bfn_init(&a, 0xfe000, 8192, 9, store, STORE_LEN), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfee00, 0xfef00), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe010, 0xfe012), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe012, 0xfe020), 0);	/* merges */
	CHECK_EQ(a.nr_rsv, 2);
	CHECK_EQ(a.rsv[0].start, 0x10);
	CHECK_EQ(a.rsv[0].end, 0x20);
	CHECK_EQ(xpv_bfn_reserve(&a, 0, 0x10), 0);		/* below base */
	CHECK_EQ(a.nr_rsv, 2);
	xpv_bfn_seal(&a);
	CHECK_EQ(a.free_frames, 8192 - 256 - 16);
	CHECK_EQ(a.rsv_frames, 256 + 16);
	CHECK_EQ(xpv_bfn_reserve(&a, 0xfe100, 0xfe101), -EBUSY);
	while (!(rc = xpv_bfn_get(&a, 0, &bfn))) {
		CHECK(bfn < 0xfee00 || bfn >= 0xfef00);
		CHECK(bfn < 0xfe010 || bfn >= 0xfe020);
		CHECK(bfn >= 0xfe000 && bfn < 0xfe000 + 8192);
		/* Lowest first: in address order, skipping reservations. */
		if (seen < 0x10)
			CHECK_EQ(bfn, 0xfe000 + seen);
		seen++;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(seen, 8192 - 256 - 16);
	CHECK_EQ(a.used_frames, seen);
	CHECK_EQ(a.free_frames, 0);
	/* Reserved frames are never "given back". */
	CHECK_EQ(xpv_bfn_put(&a, 0xfee00, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0xfe010, 0), -EINVAL);
	CHECK_EQ(a.used_frames, seen);
	CHECK_EQ(a.invalid_puts, 2);
}

UNIT_TEST(bfn_orders_and_merge)
{
	struct xpv_bfn_alloc a;
	u64 b[1024], big;
	int i;

	CHECK_EQ(xpv_bfn_init(&a, 0x40000, 1024, 9, store, STORE_LEN), 0);
	/* Fill with order 0, free all: order 9 must come back (merge). */
	for (i = 0; i < 1024; i++) {
		CHECK_EQ(xpv_bfn_get(&a, 0, &b[i]), 0);
		CHECK_EQ(b[i], 0x40000 + i);
	}
	CHECK_EQ(xpv_bfn_get(&a, 0, &big), -ENOSPC);
	CHECK_EQ(xpv_bfn_get(&a, 9, &big), -ENOSPC);
	for (i = 0; i < 1024; i += 2)
		CHECK_EQ(xpv_bfn_put(&a, b[i], 0), 0);
	/* Half free but no aligned pair: order 1 is impossible. */
	CHECK_EQ(xpv_bfn_get(&a, 1, &big), -ENOSPC);
	for (i = 1; i < 1024; i += 2)
		CHECK_EQ(xpv_bfn_put(&a, b[i], 0), 0);
	CHECK_EQ(a.free_frames, 1024);
	CHECK_EQ(xpv_bfn_get(&a, 9, &big), 0);
	CHECK_EQ(big, 0x40000);
	CHECK_EQ(xpv_bfn_get(&a, 9, &b[0]), 0);
	CHECK_EQ(b[0], 0x40200);
	CHECK_EQ(xpv_bfn_get(&a, 0, &b[1]), -ENOSPC);
	CHECK_EQ(xpv_bfn_put(&a, big, 9), 0);
	CHECK_EQ(xpv_bfn_get(&a, 4, &b[1]), 0);
	CHECK_EQ(b[1], 0x40000);
	CHECK_EQ(xpv_bfn_get(&a, 10, &b[2]), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x40001, 4), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x3ffff, 0), -EINVAL);
}

UNIT_TEST(bfn_invalid_frees)
{
	struct xpv_bfn_alloc a;
	struct xpv_bfn_mag m = { 0 };
	u64 b0, b4, b9, x, used, fr;

	CHECK_EQ(xpv_bfn_init(&a, 0x80000, 2048, 9, store, STORE_LEN), 0);
	CHECK_EQ(xpv_bfn_reserve(&a, 0x80600, 0x80610), 0);
	CHECK_EQ(xpv_bfn_get(&a, 0, &b0), 0);
	CHECK_EQ(xpv_bfn_get(&a, 4, &b4), 0);
	CHECK_EQ(xpv_bfn_get(&a, 9, &b9), 0);
	used = a.used_frames;
	fr = a.free_frames;
	/* Wrong order, misaligned, inside a block, outside, never handed
	 * out, reserved: refused, nothing changes. */
	CHECK_EQ(xpv_bfn_put(&a, b4, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b4, 5), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b4 + 1, 4), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b9 + 16, 4), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b9 + 3, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b9, 11), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x80000 + 2048, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x7ffff, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x80700, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x80600, 0), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, 0x80600, 4), -EINVAL);
	CHECK_EQ(a.invalid_puts, 11);
	CHECK_EQ(a.used_frames, used);
	CHECK_EQ(a.free_frames, fr);
	/* Double frees. */
	CHECK_EQ(xpv_bfn_put(&a, b4, 4), 0);
	CHECK_EQ(xpv_bfn_put(&a, b4, 4), -EINVAL);
	CHECK_EQ(xpv_bfn_put(&a, b9, 9), 0);
	CHECK_EQ(xpv_bfn_put(&a, b9, 9), -EINVAL);
	CHECK_EQ(a.used_frames, 1);
	/* Through a magazine: the same checks, without the allocator. */
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, b0), 0);
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, b0), -EINVAL);	/* double */
	CHECK_EQ(xpv_bfn_put(&a, b0, 0), -EINVAL);	/* it is cached */
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, 0x80600), -EINVAL);	/* reserved */
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, 0x80700), -EINVAL);	/* free */
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, 0x80000 + 4096), -EINVAL);
	CHECK_EQ(xpv_bfn_get(&a, 4, &b4), 0);
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, b4 + 2), -EINVAL);	/* in a block */
	CHECK_EQ(m.n, 1);
	CHECK_EQ(xpv_bfn_mag_pop(&a, &m, &x), 0);
	CHECK_EQ(x, b0);
	CHECK_EQ(xpv_bfn_mag_pop(&a, &m, &x), -ENOSPC);
	CHECK_EQ(xpv_bfn_put(&a, b0, 0), 0);			/* held again */
	/* A corrupted magazine entry is dropped at drain, not merged. */
	m.bfn[m.n++] = 0x80700;		/* a free frame */
	m.bfn[m.n++] = b4 + 1;		/* inside a held block: not free */
	m.bfn[m.n++] = 0x1;		/* outside */
	fr = a.free_frames;
	CHECK_EQ(xpv_bfn_mag_drain(&a, &m, 0), 2);
	CHECK_EQ(m.n, 0);
	/* b4 + 1 is not free and not held: drain takes it as cached (it
	 * cannot tell), so it went back: only one frame more is free. */
	CHECK_EQ(a.free_frames, fr + 1);
}

UNIT_TEST(bfn_magazine)
{
	struct xpv_bfn_alloc a;
	struct xpv_bfn_mag m = { 0 };
	u64 bfn;

	CHECK_EQ(xpv_bfn_init(&a, 0, 64, 0, store, STORE_LEN), 0);
	CHECK_EQ(xpv_bfn_mag_fill(&a, &m, 100), XPV_BFN_MAG_SIZE);
	CHECK_EQ(xpv_bfn_mag_fill(&a, &m, 100), 0);
	CHECK_EQ(a.used_frames, XPV_BFN_MAG_SIZE);
	CHECK_EQ(xpv_bfn_get(&a, 0, &bfn), 0);
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, bfn), -ENOSPC);	/* full */
	CHECK_EQ(xpv_bfn_put(&a, bfn, 0), 0);		/* still held */
	CHECK_EQ(xpv_bfn_mag_drain(&a, &m, 8), 0);
	CHECK_EQ(m.n, 8);
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, 40), -EINVAL);	/* free */
	CHECK_EQ(a.used_frames, 8);
	CHECK_EQ(xpv_bfn_mag_pop(&a, &m, &bfn), 0);
	CHECK_EQ(xpv_bfn_mag_push(&a, &m, bfn), 0);
	CHECK_EQ(xpv_bfn_mag_drain(&a, &m, 0), 0);
	CHECK_EQ(a.used_frames, 0);
	CHECK_EQ(a.free_frames, 64);
	CHECK_EQ(xpv_bfn_get(&a, 0, &bfn), 0);
	CHECK_EQ(bfn, 0);
}

/*
 * The review's case: a 16 GiB window fragmented so that no order-1 block
 * is free, then failing order-9 requests.  The old allocator sorted every
 * free list on each one; now a failing request reads one summary word per
 * order, and a successful free or alloc stays under STEP_BOUND, in any
 * window size.
 */
UNIT_TEST(bfn_fragmented_window_bounded)
{
	static unsigned long big[1u << 20];
	const u64 frames = 16ull << 18;		/* 16 GiB of 4 KiB frames */
	struct xpv_bfn_alloc a;
	u64 i, bfn, steps, worst = 0;

	CHECK(xpv_bfn_store_len(frames, 9) <= sizeof(big) / sizeof(big[0]));
	CHECK_EQ(xpv_bfn_init(&a, 1ull << 27, frames, 9, big,
			      sizeof(big) / sizeof(big[0])), 0);
	xpv_bfn_seal(&a);
	for (i = 0; i < frames; i++) {
		steps = a.steps;
		if (xpv_bfn_get(&a, 0, &bfn) || bfn != (1ull << 27) + i) {
			CHECK(!"order-0 fill");
			return;
		}
		if (a.steps - steps > worst)
			worst = a.steps - steps;
	}
	for (i = 0; i < frames; i += 2) {
		steps = a.steps;
		if (xpv_bfn_put(&a, (1ull << 27) + i, 0)) {
			CHECK(!"free every other frame");
			return;
		}
		if (a.steps - steps > worst)
			worst = a.steps - steps;
	}
	CHECK_EQ(a.free_frames, frames / 2);
	for (i = 0; i < 1000; i++) {
		steps = a.steps;
		CHECK_EQ(xpv_bfn_get(&a, 9, &bfn), -ENOSPC);
		CHECK(a.steps - steps <= XPV_BFN_MAX_ORDER + 1);
		steps = a.steps;
		CHECK_EQ(xpv_bfn_get(&a, 1, &bfn), -ENOSPC);
		CHECK(a.steps - steps <= XPV_BFN_MAX_ORDER + 1);
	}
	/* An order-0 request is still met at once, lowest first. */
	steps = a.steps;
	CHECK_EQ(xpv_bfn_get(&a, 0, &bfn), 0);
	CHECK_EQ(bfn, 1ull << 27);
	CHECK(a.steps - steps <= STEP_BOUND);
	CHECK(worst <= STEP_BOUND);
	fprintf(stderr, "  bfn_fragmented_window_bounded: %llu frames, failing order-9 request: <= %u words, worst get/put: %llu words\n",
		(unsigned long long)frames, XPV_BFN_MAX_ORDER + 1,
		(unsigned long long)worst);
}

/* ---- random model --------------------------------------------------- */

#define W_MAX	16384u

/* ref_state: 0 free, 1 part of a live block, 2 cached in the magazine. */
static unsigned char ref_state[W_MAX], ref_rsv[W_MAX];
/* ref_head[off]: order + 1 of the live block starting there, else 0. */
static unsigned char ref_head[W_MAX];
static u32 ref_idx[W_MAX];
static struct {
	u64 off;
	unsigned int order;
} live[W_MAX];
static unsigned int nlive;

static bool ref_block_free(u64 off, unsigned int order)
{
	u64 i;

	for (i = off; i < off + (1ull << order); i++)
		if (ref_state[i] || ref_rsv[i])
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

static void ref_add_live(u64 off, unsigned int order)
{
	memset(&ref_state[off], 1, 1ull << order);
	ref_head[off] = order + 1;
	ref_idx[off] = nlive;
	live[nlive].off = off;
	live[nlive++].order = order;
}

static void ref_del_live(u64 off, unsigned char state)
{
	unsigned int j = ref_idx[off], order = ref_head[off] - 1;

	memset(&ref_state[off], state, 1ull << order);
	ref_head[off] = 0;
	live[j] = live[--nlive];
	ref_idx[live[j].off] = j;
}

static uint64_t run_model(uint64_t *rs, uint64_t ops, uint64_t *worst)
{
	static const u64 bases[] = { 0, 0x40000, 0xfe000, 0x7fffe00 };
	unsigned int max_order = unit_rand(rs) % (XPV_BFN_MAX_ORDER + 1);
	u64 frames = ((unit_rand(rs) % (W_MAX / 512)) + 1) * 512;
	u64 base = bases[unit_rand(rs) % 4], used = 0, i, bfn, nspc = 0, st;
	u64 invalid = 0, rsv = 0;
	struct xpv_bfn_mag mag = { 0 };
	struct xpv_bfn_alloc a;
	unsigned int k, nr = unit_rand(rs) % 4;
	int rc;

	memset(ref_state, 0, sizeof(ref_state));
	memset(ref_rsv, 0, sizeof(ref_rsv));
	memset(ref_head, 0, sizeof(ref_head));
	nlive = 0;
	CHECK_EQ(xpv_bfn_init(&a, base, frames, max_order, store, STORE_LEN),
		 0);
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
	for (i = 0; i < frames; i++)
		rsv += ref_rsv[i];
	xpv_bfn_seal(&a);
	CHECK_EQ(a.free_frames + a.rsv_frames, frames);
	CHECK_EQ(a.rsv_frames, rsv);
	for (i = 0; i < ops; i++) {
		unsigned int op = unit_rand(rs) % 100;

		st = a.steps;
		if (op < 45) {
			unsigned int order = unit_rand(rs) % 4 ? 0 :
				unit_rand(rs) % (max_order + 1);

			rc = xpv_bfn_get(&a, order, &bfn);
			if (rc) {
				CHECK_EQ(rc, -ENOSPC);
				CHECK(!ref_any_free(frames, order));
				CHECK(a.steps - st <= max_order + 1);
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
			ref_add_live(bfn - base, order);
			used += 1ull << order;
		} else if (op < 85 && nlive) {
			unsigned int j = unit_rand(rs) % nlive;
			u64 off = live[j].off;
			unsigned int order = live[j].order;

			CHECK_EQ(xpv_bfn_put(&a, base + off, order), 0);
			ref_del_live(off, 0);
			used -= 1ull << order;
		} else if (op < 90) {
			/* A random free: refused unless it is a live block. */
			u64 off = unit_rand(rs) % (frames + 64);
			unsigned int order = unit_rand(rs) % (max_order + 2);
			bool ok = off < frames && ref_head[off] == order + 1;

			if (unit_rand(rs) % 2 && nlive) {
				off = live[unit_rand(rs) % nlive].off;
				ok = ref_head[off] == order + 1;
			}
			rc = xpv_bfn_put(&a, base + off, order);
			CHECK_EQ(rc, ok ? 0 : -EINVAL);
			if (ok) {
				ref_del_live(off, 0);
				used -= 1ull << order;
			} else {
				invalid++;
			}
		} else if (op < 93) {
			unsigned int got = xpv_bfn_mag_fill(&a, &mag,
						unit_rand(rs) % 33);

			for (k = mag.n - got; k < mag.n; k++) {
				bfn = mag.bfn[k];
				CHECK(ref_block_free(bfn - base, 0));
				ref_state[bfn - base] = 2;
				used++;
			}
		} else if (op < 95) {
			unsigned int keep = unit_rand(rs) % (mag.n + 1);

			for (k = keep; k < mag.n; k++) {
				ref_state[mag.bfn[k] - base] = 0;
				used--;
			}
			CHECK_EQ(xpv_bfn_mag_drain(&a, &mag, keep), 0);
		} else if (op < 97) {
			rc = xpv_bfn_mag_pop(&a, &mag, &bfn);
			CHECK_EQ(rc, mag.n || !rc ? 0 : -ENOSPC);
			if (!rc) {
				CHECK_EQ(ref_state[bfn - base], 2);
				ref_state[bfn - base] = 0;
				ref_add_live(bfn - base, 0);
			}
		} else {
			/* Push a live order-0 block, or a random frame. */
			u64 off = unit_rand(rs) % frames;
			bool ok, full = mag.n == XPV_BFN_MAG_SIZE;

			if (unit_rand(rs) % 2 && nlive)
				off = live[unit_rand(rs) % nlive].off;
			ok = ref_head[off] == 1;
			rc = xpv_bfn_mag_push(&a, &mag, base + off);
			if (full) {
				CHECK_EQ(rc, -ENOSPC);
				continue;
			}
			CHECK_EQ(rc, ok ? 0 : -EINVAL);
			if (ok)
				ref_del_live(off, 2);
		}
		if (a.steps - st > *worst)
			*worst = a.steps - st;
		CHECK(a.steps - st <= STEP_BOUND * XPV_BFN_MAG_SIZE);
		if (op < 90)
			CHECK(a.steps - st <= STEP_BOUND);
		CHECK_EQ(a.used_frames, used);
		CHECK_EQ(a.invalid_puts, invalid);
		CHECK_EQ(a.used_frames + a.free_frames + a.rsv_frames, frames);
		if (unit_failed_checks)
			return nspc;
	}
	/* Everything back: the whole window is free, in maximal blocks. */
	CHECK_EQ(xpv_bfn_mag_drain(&a, &mag, 0), 0);
	while (nlive) {
		u64 off = live[nlive - 1].off;
		unsigned int order = live[nlive - 1].order;

		CHECK_EQ(xpv_bfn_put(&a, base + off, order), 0);
		ref_del_live(off, 0);
	}
	CHECK_EQ(a.used_frames, 0);
	CHECK_EQ(a.free_frames + rsv, frames);
	if (!rsv) {
		for (i = 0; i < frames >> max_order; i++)
			CHECK_EQ(xpv_bfn_get(&a, max_order, &bfn), 0);
		CHECK_EQ(xpv_bfn_get(&a, 0, &bfn), -ENOSPC);
	}
	return nspc;
}

UNIT_TEST(bfn_random_vs_reference)
{
	uint64_t rs = unit_seed("bfn_random_vs_reference"), done = 0, nspc = 0;
	const char *env = getenv("UNIT_BFN_OPS");
	uint64_t total = env ? strtoull(env, NULL, 0) : 1050000, worst = 0;

	while (done < total && !unit_failed_checks) {
		uint64_t n = 20000 + unit_rand(&rs) % 30000;

		nspc += run_model(&rs, n, &worst);
		done += n;
	}
	fprintf(stderr, "  bfn_random_vs_reference: %" PRIu64
		" ops, %" PRIu64 " -ENOSPC checked against the reference, worst op %" PRIu64 " words\n",
		done, nspc, worst);
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
