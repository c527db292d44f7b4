// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/bfn_alloc.c */
/*
 * libFuzzer target: the BFN allocator differential against a per-frame
 * reference, in a small window with fuzzer-chosen reservations, including
 * fuzzer-chosen frees (valid or not) and a magazine.
 *
 * Input: max_order, window size, up to 3 reservations, then 3-byte
 * operations (kind, order, index).  Invariants: every block is aligned,
 * inside the window, clear of reservations, live and cached blocks;
 * -ENOSPC exactly when the reference has no aligned free block; a free
 * (direct or into the magazine) is refused with -EINVAL exactly when the
 * reference says it is not a live block of that order, and then changes
 * nothing; no operation touches more than a fixed number of bitmap words;
 * counters add up; after everything is freed the window is whole again.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/lib/bfn_alloc.h>

#define W_MAX	2048u
#define STEPS	((XPV_BFN_MAX_ORDER + 1) * (2 * XPV_BFN_LEVELS + 2))

static unsigned long store[W_MAX];
/* state: 0 free, 1 live, 2 cached; head: order + 1 of a live block. */
static unsigned char state[W_MAX], rsv[W_MAX], head[W_MAX];
static struct { u64 off; unsigned int order; } live[W_MAX];
static unsigned int nlive;

static int block_free(u64 off, unsigned int order)
{
	u64 i;

	for (i = off; i < off + (1ull << order); i++)
		if (state[i] || rsv[i])
			return 0;
	return 1;
}

static void add_live(u64 off, unsigned int order)
{
	memset(&state[off], 1, 1ull << order);
	head[off] = order + 1;
	live[nlive].off = off;
	live[nlive++].order = order;
}

static void del_live(u64 off, unsigned char to)
{
	unsigned int j;

	for (j = 0; j < nlive; j++)
		if (live[j].off == off)
			break;
	FUZZ_CHECK(j < nlive);
	memset(&state[off], to, 1ull << live[j].order);
	head[off] = 0;
	live[j] = live[--nlive];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int max_order = fuzz_take(&in, 1) % (XPV_BFN_MAX_ORDER + 1);
	u64 frames = (fuzz_take(&in, 1) % (W_MAX / 512) + 1) * 512;
	u64 base = 0x100000, i, bfn, total = 0, nrsv = 0, k, st, bad = 0;
	struct xpv_bfn_mag mag = { 0 };
	struct xpv_bfn_alloc a;
	int rc;

	memset(state, 0, sizeof(state));
	memset(rsv, 0, sizeof(rsv));
	memset(head, 0, sizeof(head));
	nlive = 0;
	FUZZ_CHECK(xpv_bfn_store_len(frames, max_order) <= W_MAX);
	FUZZ_CHECK(!xpv_bfn_init(&a, base, frames, max_order, store, W_MAX));
	for (k = 0; k < 3; k++) {
		u64 s = fuzz_take(&in, 2) % frames, n = fuzz_take(&in, 1);

		FUZZ_CHECK(!xpv_bfn_reserve(&a, base + s, base + s + n));
		for (i = s; i < s + n && i < frames; i++)
			rsv[i] = 1;
	}
	for (i = 0; i < frames; i++)
		nrsv += rsv[i];
	xpv_bfn_seal(&a);
	FUZZ_CHECK(a.rsv_frames == nrsv && a.free_frames + nrsv == frames);
	while (in.left) {
		unsigned int op = (unsigned int)fuzz_take(&in, 1);
		unsigned int order = (unsigned int)fuzz_take(&in, 1) %
				     (max_order + 2);
		u64 idx = fuzz_take(&in, 2);

		st = a.steps;
		switch (op % 6) {
		case 0:
		case 1:
			if (order > max_order) {
				FUZZ_CHECK(xpv_bfn_get(&a, order, &bfn) ==
					   -EINVAL);
				break;
			}
			rc = xpv_bfn_get(&a, order, &bfn);
			if (rc) {
				FUZZ_CHECK(rc == -ENOSPC);
				for (i = 0; i + (1ull << order) <= frames;
				     i += 1ull << order)
					FUZZ_CHECK(!block_free(i, order));
				break;
			}
			FUZZ_CHECK(bfn >= base &&
				   bfn + (1ull << order) <= base + frames);
			FUZZ_CHECK(!(bfn & ((1ull << order) - 1)));
			FUZZ_CHECK(block_free(bfn - base, order));
			add_live(bfn - base, order);
			total += 1ull << order;
			break;
		case 2:
			/* A live block, or any frame: valid iff live. */
			if (nlive && (op & 8))
				idx = live[idx % nlive].off;
			else
				idx %= frames + 16;
			rc = xpv_bfn_put(&a, base + idx, order);
			if (idx < frames && head[idx] == order + 1) {
				FUZZ_CHECK(rc == 0);
				del_live(idx, 0);
				total -= 1ull << order;
			} else {
				FUZZ_CHECK(rc == -EINVAL);
				bad++;
			}
			break;
		case 3:
			xpv_bfn_mag_fill(&a, &mag, order * 4);
			for (k = 0; k < mag.n; k++) {
				if (state[mag.bfn[k] - base] == 2)
					continue;
				FUZZ_CHECK(block_free(mag.bfn[k] - base, 0));
				state[mag.bfn[k] - base] = 2;
				total++;
			}
			break;
		case 4:
			if (mag.n && (op & 8)) {
				FUZZ_CHECK(!xpv_bfn_mag_pop(&a, &mag, &bfn));
				FUZZ_CHECK(state[bfn - base] == 2);
				state[bfn - base] = 0;
				add_live(bfn - base, 0);
				break;
			}
			k = idx % (mag.n + 1);
			for (i = k; i < mag.n; i++) {
				state[mag.bfn[i] - base] = 0;
				total--;
			}
			FUZZ_CHECK(xpv_bfn_mag_drain(&a, &mag, k) == 0);
			break;
		default:
			if (nlive && (op & 8))
				idx = live[idx % nlive].off;
			else
				idx %= frames;
			k = mag.n;
			rc = xpv_bfn_mag_push(&a, &mag, base + idx);
			if (k == XPV_BFN_MAG_SIZE)
				FUZZ_CHECK(rc == -ENOSPC);
			else if (head[idx] == 1)
				FUZZ_CHECK(rc == 0);
			else
				FUZZ_CHECK(rc == -EINVAL);
			if (!rc)
				del_live(idx, 2);
			break;
		}
		FUZZ_CHECK(a.steps - st <= STEPS * XPV_BFN_MAG_SIZE);
		FUZZ_CHECK(a.used_frames == total);
		FUZZ_CHECK(a.invalid_puts == bad);
		FUZZ_CHECK(a.used_frames + a.free_frames + nrsv == frames);
	}
	FUZZ_CHECK(xpv_bfn_mag_drain(&a, &mag, 0) == 0);
	while (nlive) {
		nlive--;
		FUZZ_CHECK(!xpv_bfn_put(&a, base + live[nlive].off,
					live[nlive].order));
	}
	FUZZ_CHECK(a.used_frames == 0);
	FUZZ_CHECK(a.free_frames + nrsv == frames);
	return 0;
}
