// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/bfn_alloc.c */
/*
 * libFuzzer target: the BFN allocator differential against a per-frame
 * reference, in a small window with fuzzer-chosen reservations.
 *
 * Input: max_order, window size, up to 3 reservations, then 2-byte
 * operations (kind/order, index).  Invariants: every block is aligned,
 * inside the window, clear of reservations and live blocks; -ENOSPC
 * exactly when the reference has no aligned free block; counters add up;
 * after everything is freed and compacted the window is whole again.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/lib/bfn_alloc.h>

#define W_MAX	2048u

static u32 store[2 * W_MAX];
static unsigned char used[W_MAX], rsv[W_MAX];
static struct { u64 bfn; unsigned int order; } live[W_MAX];

static int block_free(u64 off, unsigned int order)
{
	u64 i;

	for (i = off; i < off + (1ull << order); i++)
		if (used[i] || rsv[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int max_order = fuzz_take(&in, 1) % (XPV_BFN_MAX_ORDER + 1);
	u64 frames = (fuzz_take(&in, 1) % (W_MAX / 512) + 1) * 512;
	u64 base = 0x100000, i, bfn, total = 0, nr = 0, k;
	struct xpv_bfn_alloc a;
	unsigned int nlive = 0;
	int rc;

	memset(used, 0, sizeof(used));
	memset(rsv, 0, sizeof(rsv));
	FUZZ_CHECK(!xpv_bfn_init(&a, base, frames, max_order, store,
				 sizeof(store) / sizeof(store[0])));
	for (k = 0; k < 3; k++) {
		u64 s = fuzz_take(&in, 2) % frames, n = fuzz_take(&in, 1);

		FUZZ_CHECK(!xpv_bfn_reserve(&a, base + s, base + s + n));
		for (i = s; i < s + n && i < frames; i++)
			rsv[i] = 1;
	}
	while (in.left) {
		unsigned int op = (unsigned int)fuzz_take(&in, 1);
		unsigned int idx = (unsigned int)fuzz_take(&in, 1);

		if (op & 1) {
			unsigned int order = (op >> 1) % (max_order + 1);

			rc = xpv_bfn_get(&a, order, &bfn);
			if (rc) {
				FUZZ_CHECK(rc == -ENOSPC);
				for (i = 0; i + (1ull << order) <= frames;
				     i += 1ull << order)
					FUZZ_CHECK(!block_free(i, order));
				continue;
			}
			FUZZ_CHECK(bfn >= base &&
				   bfn + (1ull << order) <= base + frames);
			FUZZ_CHECK(!(bfn & ((1ull << order) - 1)));
			FUZZ_CHECK(block_free(bfn - base, order));
			memset(&used[bfn - base], 1, 1ull << order);
			live[nlive].bfn = bfn;
			live[nlive++].order = order;
			total += 1ull << order;
		} else if (nlive) {
			unsigned int j = idx % nlive;

			FUZZ_CHECK(!xpv_bfn_put(&a, live[j].bfn,
						live[j].order));
			memset(&used[live[j].bfn - base], 0,
			       1ull << live[j].order);
			total -= 1ull << live[j].order;
			live[j] = live[--nlive];
		}
		FUZZ_CHECK(a.used_frames == total);
	}
	while (nlive) {
		nlive--;
		FUZZ_CHECK(!xpv_bfn_put(&a, live[nlive].bfn, live[nlive].order));
	}
	xpv_bfn_compact(&a);
	for (i = 0; i < a.next; i++)
		nr += rsv[i];
	FUZZ_CHECK(a.free_frames + (a.frames - a.next) + nr == frames);
	return 0;
}
