// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/range.c */
/*
 * libFuzzer target: the range set against a 64-element bitmap model, in a
 * window anywhere in u64 (including its top), plus subtract/intersect.
 *
 * Input: window selector, capacity, then 3-byte operations (kind, a, b).
 * Invariants: the set equals the model after every successful operation,
 * is minimal (one entry per run), is unchanged after a failed one, fails
 * with -ENOSPC exactly when the result needs more entries than it has.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/lib/range.h>

static u64 base;

static uint64_t mask_of(const struct xpv_range *r)
{
	uint64_t m = 0;
	u64 i;

	for (i = 0; i < 64; i++)
		if (base + i >= r->start && base + i < r->end)
			m |= 1ull << i;
	return m;
}

static unsigned int runs(uint64_t m)
{
	return (unsigned int)__builtin_popcountll(m & ~(m << 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct xpv_range st[8], before[8];
	struct xpv_range_set s;
	uint64_t model = 0;
	unsigned int max, i;

	switch (fuzz_take(&in, 1) % 4) {
	case 0:
		base = 0;
		break;
	case 1:
		base = ~0ull - 64;
		break;
	case 2:
		base = (1ull << 63) - 32;
		break;
	default:
		base = fuzz_take(&in, 8);
		if (base > ~0ull - 64)
			base = ~0ull - 64;
		break;
	}
	max = (unsigned int)fuzz_take(&in, 1) % 9;
	FUZZ_CHECK(xpv_range_set_init(&s, st, max) == 0);
	while (in.left) {
		unsigned int kind = (unsigned int)fuzz_take(&in, 1) % 4;
		u64 a = fuzz_take(&in, 1) % 65, b = fuzz_take(&in, 1) % 65;
		struct xpv_range r = { base + a, base + b }, out[2], o;
		uint64_t m = mask_of(&r), next, got = 0;
		unsigned int nr = s.nr, n, k;
		int ret, idx;

		memcpy(before, st, sizeof(before));
		switch (kind) {
		case 0:
		case 1:
			next = kind ? (model & ~m) : (model | m);
			ret = kind ? xpv_range_set_remove(&s, &r) :
				     xpv_range_set_insert(&s, &r);
			FUZZ_CHECK(ret == (runs(next) > max ? -ENOSPC : 0));
			if (ret) {
				FUZZ_CHECK(s.nr == nr &&
					   !memcmp(before, st,
						   nr * sizeof(st[0])));
				break;
			}
			model = next;
			FUZZ_CHECK(s.nr == runs(model));
			for (i = 0; i < s.nr; i++) {
				FUZZ_CHECK(!xpv_range_empty(&st[i]));
				FUZZ_CHECK(!i || st[i].start > st[i - 1].end);
				got |= mask_of(&st[i]);
			}
			FUZZ_CHECK(got == model);
			break;
		case 2:
			idx = xpv_range_set_find(&s, base + a % 64);
			FUZZ_CHECK((idx >= 0) == (int)(model >> (a % 64) & 1));
			idx = xpv_range_set_first_overlap(&s, &r);
			FUZZ_CHECK((idx >= 0) == !!(model & m));
			if (idx >= 0) {
				FUZZ_CHECK(xpv_range_overlaps(&st[idx], &r));
				FUZZ_CHECK(!idx ||
					   !xpv_range_overlaps(&st[idx - 1], &r));
			}
			break;
		default:
			o.start = base + fuzz_take(&in, 1) % 65;
			o.end = base + fuzz_take(&in, 1) % 65;
			n = xpv_range_subtract(&r, &o, out);
			FUZZ_CHECK(n <= 2);
			for (k = 0; k < n; k++) {
				FUZZ_CHECK(mask_of(&out[k]));
				got |= mask_of(&out[k]);
			}
			FUZZ_CHECK(got == (m & ~mask_of(&o)));
			FUZZ_CHECK(xpv_range_intersect(&r, &o, &r) ==
				   !!(m & mask_of(&o)));
			FUZZ_CHECK(mask_of(&r) == (m & mask_of(&o)));
			break;
		}
	}
	return 0;
}
