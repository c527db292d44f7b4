// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/range.c */
/*
 * Unit tests for the range library: table cases at the edges of u64, then
 * model-based random tests against a bitmap over a small window that is
 * placed anywhere in u64 (including just below 2^64).
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/lib/range.h>

#define U64MAX	(~0ull)

UNIT_TEST(align_table)
{
	u64 v = 12345;

	CHECK_EQ(xpv_align_up(0, 4096, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(xpv_align_up(1, 4096, &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(xpv_align_up(4096, 4096, &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(xpv_align_up(U64MAX - 4095, 4096, &v), 0);
	CHECK(v == U64MAX - 4095);
	v = 7;
	CHECK_EQ(xpv_align_up(U64MAX - 4094, 4096, &v), -EOVERFLOW);
	CHECK_EQ(v, 7);				/* untouched on failure */
	CHECK_EQ(xpv_align_up(U64MAX, 2, &v), -EOVERFLOW);
	CHECK_EQ(xpv_align_up(U64MAX, 1, &v), 0);
	CHECK(v == U64MAX);
	CHECK_EQ(xpv_align_up(1ull << 63, 1ull << 63, &v), 0);
	CHECK(v == 1ull << 63);
	CHECK_EQ(xpv_align_up((1ull << 63) + 1, 1ull << 63, &v), -EOVERFLOW);
	CHECK_EQ(xpv_align_up(5, 0, &v), -EINVAL);
	CHECK_EQ(xpv_align_up(5, 3, &v), -EINVAL);
	CHECK_EQ(xpv_align_up(5, 6, &v), -EINVAL);
	CHECK(xpv_align_down(U64MAX, 4096) == U64MAX - 4095);
	CHECK_EQ(xpv_align_down(4097, 4096), 4096);
	CHECK_EQ(xpv_align_down(4095, 4096), 0);
	CHECK(xpv_is_aligned(0, 1ull << 63));
	CHECK(!xpv_is_aligned(8, 3));
	CHECK(!xpv_is_aligned(8, 0));
	CHECK(xpv_is_pow2(1ull << 63));
	CHECK(!xpv_is_pow2(0));
	CHECK(!xpv_is_pow2(U64MAX));
}

UNIT_TEST(add_mul_base_size_table)
{
	struct xpv_range r = { 1, 2 };
	u64 v = 9;

	CHECK_EQ(xpv_add_u64(U64MAX, 0, &v), 0);
	CHECK(v == U64MAX);
	CHECK_EQ(xpv_add_u64(U64MAX, 1, &v), -EOVERFLOW);
	CHECK_EQ(xpv_add_u64(1ull << 63, 1ull << 63, &v), -EOVERFLOW);
	CHECK_EQ(xpv_mul_u64(1ull << 32, 1ull << 31, &v), 0);
	CHECK(v == 1ull << 63);
	CHECK_EQ(xpv_mul_u64(1ull << 32, 1ull << 32, &v), -EOVERFLOW);
	CHECK_EQ(xpv_mul_u64(0, U64MAX, &v), 0);
	CHECK_EQ(v, 0);

	CHECK_EQ(xpv_range_from_base_size(U64MAX - 10, 10, &r), 0);
	CHECK(r.start == U64MAX - 10 && r.end == U64MAX);
	r.start = 1;
	r.end = 2;
	/* Ending at 2^64 is not representable: a crafted wrap. */
	CHECK_EQ(xpv_range_from_base_size(U64MAX - 10, 11, &r), -EOVERFLOW);
	CHECK_EQ(xpv_range_from_base_size(4096, U64MAX, &r), -EOVERFLOW);
	CHECK(r.start == 1 && r.end == 2);
	CHECK_EQ(xpv_range_from_base_size(5, 0, &r), 0);
	CHECK(xpv_range_empty(&r));
	CHECK_EQ(xpv_range_len(&r), 0);
}

UNIT_TEST(predicates_table)
{
	struct xpv_range a = { 10, 20 }, b = { 20, 30 }, c = { 15, 25 };
	struct xpv_range e = { 15, 15 }, inv = { 30, 10 };
	struct xpv_range top = { U64MAX - 5, U64MAX }, o, out[2];

	CHECK(!xpv_range_overlaps(&a, &b));	/* touching is not overlap */
	CHECK(xpv_range_overlaps(&a, &c));
	CHECK(!xpv_range_overlaps(&a, &e));	/* empty never overlaps */
	CHECK(!xpv_range_overlaps(&inv, &a));
	CHECK(xpv_range_contains(&a, &a));
	CHECK(!xpv_range_contains(&a, &e));	/* empty never contained */
	CHECK(!xpv_range_contains(&a, &c));
	CHECK(xpv_range_has(&a, 10) && !xpv_range_has(&a, 20));
	CHECK(xpv_range_has(&top, U64MAX - 1) && !xpv_range_has(&top, U64MAX));
	CHECK_EQ(xpv_range_len(&inv), 0);

	CHECK(xpv_range_intersect(&a, &c, &o));
	CHECK(o.start == 15 && o.end == 20);
	CHECK(!xpv_range_intersect(&a, &b, &o));
	CHECK(o.start == 0 && o.end == 0);
	o = a;
	CHECK(xpv_range_intersect(&o, &c, &o));	/* aliasing */
	CHECK(o.start == 15 && o.end == 20);

	CHECK_EQ(xpv_range_subtract(&a, &c, out), 1);
	CHECK(out[0].start == 10 && out[0].end == 15);
	CHECK_EQ(xpv_range_subtract(&c, &a, out), 1);
	CHECK(out[0].start == 20 && out[0].end == 25);
	CHECK_EQ(xpv_range_subtract(&a, &b, out), 1);
	CHECK(out[0].start == 10 && out[0].end == 20);
	CHECK_EQ(xpv_range_subtract(&a, &a, out), 0);
	CHECK_EQ(xpv_range_subtract(&e, &a, out), 0);
	{
		struct xpv_range mid = { 12, 14 };

		CHECK_EQ(xpv_range_subtract(&a, &mid, out), 2);
		CHECK(out[0].start == 10 && out[0].end == 12);
		CHECK(out[1].start == 14 && out[1].end == 20);
	}
}

UNIT_TEST(list_check_table)
{
	struct xpv_range ok[] = { { 0, 5 }, { 5, 9 }, { 7, 7 }, { 20, 21 } };
	struct xpv_range overlap[] = { { 0, 5 }, { 4, 9 } };
	struct xpv_range unsorted[] = { { 10, 15 }, { 0, 5 } };
	struct xpv_range empties[] = { { 100, 100 }, { 0, 5 } };

	CHECK_EQ(xpv_range_list_check(ok, 4), 0);
	CHECK_EQ(xpv_range_list_check(overlap, 2), -EINVAL);
	CHECK_EQ(xpv_range_list_check(unsorted, 2), -EINVAL);
	CHECK_EQ(xpv_range_list_check(empties, 2), 0);
	CHECK_EQ(xpv_range_list_check(NULL, 0), 0);
	CHECK_EQ(xpv_range_list_check(NULL, 1), -EINVAL);
}

UNIT_TEST(set_table)
{
	struct xpv_range st[3];
	struct xpv_range_set s;
	struct xpv_range r;

	CHECK_EQ(xpv_range_set_init(&s, st, 0x80000000u), -EINVAL);
	CHECK_EQ(xpv_range_set_init(&s, NULL, 2), -EINVAL);
	CHECK_EQ(xpv_range_set_init(&s, st, 3), 0);
	r = (struct xpv_range){ 10, 20 };
	CHECK_EQ(xpv_range_set_insert(&s, &r), 0);
	r = (struct xpv_range){ 30, 40 };
	CHECK_EQ(xpv_range_set_insert(&s, &r), 0);
	r = (struct xpv_range){ 50, 60 };
	CHECK_EQ(xpv_range_set_insert(&s, &r), 0);
	r = (struct xpv_range){ 70, 80 };
	CHECK_EQ(xpv_range_set_insert(&s, &r), -ENOSPC);
	CHECK_EQ(s.nr, 3);
	/* Touching merges: no room needed. */
	r = (struct xpv_range){ 20, 30 };
	CHECK_EQ(xpv_range_set_insert(&s, &r), 0);
	CHECK_EQ(s.nr, 2);
	CHECK(st[0].start == 10 && st[0].end == 40);
	CHECK_EQ(xpv_range_set_find(&s, 39), 0);
	CHECK_EQ(xpv_range_set_find(&s, 40), -ENOENT);
	CHECK_EQ(xpv_range_set_find(&s, 55), 1);
	r = (struct xpv_range){ 40, 50 };
	CHECK_EQ(xpv_range_set_first_overlap(&s, &r), -ENOENT);
	r = (struct xpv_range){ 39, 51 };
	CHECK_EQ(xpv_range_set_first_overlap(&s, &r), 0);
	/* Split one entry in two. */
	r = (struct xpv_range){ 15, 16 };
	CHECK_EQ(xpv_range_set_remove(&s, &r), 0);
	CHECK_EQ(s.nr, 3);
	r = (struct xpv_range){ 52, 53 };
	CHECK_EQ(xpv_range_set_remove(&s, &r), -ENOSPC);
	CHECK_EQ(s.nr, 3);
	CHECK(st[2].start == 50 && st[2].end == 60);
	r = (struct xpv_range){ 0, U64MAX };
	CHECK_EQ(xpv_range_set_remove(&s, &r), 0);
	CHECK_EQ(s.nr, 0);
	r = (struct xpv_range){ U64MAX - 1, U64MAX };
	CHECK_EQ(xpv_range_set_insert(&s, &r), 0);
	CHECK_EQ(xpv_range_set_find(&s, U64MAX - 1), 0);
	CHECK_EQ(xpv_range_set_find(&s, U64MAX), -ENOENT);
}

/*
 * Bitmap model.  A window of 64 elements starting at @base; ranges are
 * encoded relative to it.  Windows near 2^64 exercise the top of u64.
 */
static u64 window_base(uint64_t *st)
{
	switch (unit_rand(st) % 4) {
	case 0:
		return 0;
	case 1:
		return U64MAX - 64;	/* last window: end == U64MAX */
	case 2:
		return (1ull << 63) - 32;
	default:
		return unit_rand(st) & ~63ull;
	}
}

static uint64_t mask_of(u64 base, const struct xpv_range *r)
{
	uint64_t m = 0;
	u64 i;

	for (i = 0; i < 64; i++)
		if (base + i >= r->start && base + i < r->end)
			m |= 1ull << i;
	return m;
}

static struct xpv_range rand_range(uint64_t *st, u64 base)
{
	struct xpv_range r;
	u64 a = unit_rand(st) % 65, b = unit_rand(st) % 65;

	if (unit_rand(st) % 8 == 0) {
		r.start = base + b;	/* possibly inverted (empty) */
		r.end = base + a;
	} else {
		r.start = base + (a < b ? a : b);
		r.end = base + (a < b ? b : a);
	}
	return r;
}

UNIT_TEST(predicates_model_random)
{
	uint64_t st = unit_seed("predicates_model_random");
	unsigned long i;

	for (i = 0; i < 200000; i++) {
		u64 base = window_base(&st);
		struct xpv_range a = rand_range(&st, base);
		struct xpv_range b = rand_range(&st, base);
		struct xpv_range o, out[2];
		uint64_t ma = mask_of(base, &a), mb = mask_of(base, &b);
		uint64_t got = 0;
		unsigned int n, k;

		if (xpv_range_overlaps(&a, &b) != !!(ma & mb))
			CHECK(!"overlaps");
		if (xpv_range_contains(&a, &b) != (mb && !(mb & ~ma)))
			CHECK(!"contains");
		if (xpv_range_intersect(&a, &b, &o) != !!(ma & mb) ||
		    mask_of(base, &o) != (ma & mb))
			CHECK(!"intersect");
		if (xpv_range_len(&a) != (u64)__builtin_popcountll(ma))
			CHECK(!"len");
		n = xpv_range_subtract(&a, &b, out);
		for (k = 0; k < n; k++) {
			uint64_t m = mask_of(base, &out[k]);

			if (!m || (m & got))
				CHECK(!"subtract piece empty or overlapping");
			if (k && out[k].start <= out[k - 1].end)
				CHECK(!"subtract pieces not ascending");
			got |= m;
		}
		if (got != (ma & ~mb)) {
			CHECK(!"subtract");
			fprintf(stderr, "  a [%llu,%llu) b [%llu,%llu)\n",
				(unsigned long long)(a.start - base),
				(unsigned long long)(a.end - base),
				(unsigned long long)(b.start - base),
				(unsigned long long)(b.end - base));
			return;
		}
	}
}

UNIT_TEST(align_model_random)
{
	uint64_t st = unit_seed("align_model_random");
	unsigned long i;

	for (i = 0; i < 200000; i++) {
		u64 x = unit_rand(&st), align, v = 0;
		unsigned __int128 want;
		int ret;

		if (unit_rand(&st) % 4 == 0)
			x = U64MAX - unit_rand(&st) % 100000;
		if (unit_rand(&st) % 8 == 0)
			align = unit_rand(&st) % 1000;	/* rarely a power */
		else
			align = 1ull << (unit_rand(&st) % 64);
		ret = xpv_align_up(x, align, &v);
		if (!align || (align & (align - 1))) {
			if (ret != -EINVAL)
				CHECK(!"align_up accepted a non-power");
			continue;
		}
		want = ((unsigned __int128)x + align - 1) / align * align;
		if (want > U64MAX) {
			if (ret != -EOVERFLOW)
				CHECK(!"align_up missed an overflow");
		} else if (ret || v != (u64)want) {
			CHECK(!"align_up value");
		}
		if (xpv_align_down(x, align) != x / align * align)
			CHECK(!"align_down");
		{
			u64 y = unit_rand(&st), s = 0;
			unsigned __int128 sum = (unsigned __int128)x + y;

			ret = xpv_add_u64(x, y, &s);
			if ((sum > U64MAX) != (ret == -EOVERFLOW) ||
			    (!ret && s != (u64)sum))
				CHECK(!"add");
			y >>= unit_rand(&st) % 64;
			sum = (unsigned __int128)x * y;
			ret = xpv_mul_u64(x, y, &s);
			if ((sum > U64MAX) != (ret == -EOVERFLOW) ||
			    (!ret && s != (u64)sum))
				CHECK(!"mul");
		}
	}
}

/* The set's invariants: non-empty, ascending, neither overlapping nor touching. */
static int set_ok(const struct xpv_range_set *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		if (xpv_range_empty(&s->r[i]))
			return 0;
		if (i && s->r[i].start <= s->r[i - 1].end)
			return 0;
	}
	return 1;
}

/* Number of maximal runs of set bits: the entries a minimal set needs. */
static unsigned int runs(uint64_t m)
{
	return (unsigned int)__builtin_popcountll(m & ~(m << 1));
}

static uint64_t set_mask(u64 base, const struct xpv_range_set *s)
{
	uint64_t m = 0;
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		m |= mask_of(base, &s->r[i]);
	return m;
}

UNIT_TEST(set_model_random)
{
	uint64_t st = unit_seed("set_model_random");
	unsigned long ops = 0;

	while (ops < 300000) {
		u64 base = window_base(&st);
		unsigned int max = 1 + unit_rand(&st) % 8, step;
		struct xpv_range storage[8], before[8];
		struct xpv_range_set s;
		uint64_t model = 0;

		if (xpv_range_set_init(&s, storage, max))
			CHECK(!"init");
		for (step = 0; step < 40; step++, ops++) {
			struct xpv_range r = rand_range(&st, base);
			uint64_t m = mask_of(base, &r), next;
			unsigned int nr_before = s.nr, k;
			int ins = unit_rand(&st) % 2, ret, want;
			u64 x = base + unit_rand(&st) % 64;

			memcpy(before, storage, sizeof(before));
			next = ins ? (model | m) : (model & ~m);
			want = runs(next) > max ? -ENOSPC : 0;
			ret = ins ? xpv_range_set_insert(&s, &r) :
				    xpv_range_set_remove(&s, &r);
			if (ret != want) {
				CHECK_EQ(ret, want);
				return;
			}
			if (ret) {
				/* Unchanged on failure. */
				if (s.nr != nr_before ||
				    memcmp(before, storage,
					   nr_before * sizeof(storage[0])))
					CHECK(!"set changed on failure");
			} else {
				model = next;
			}
			if (!set_ok(&s) || set_mask(base, &s) != model ||
			    s.nr != runs(model)) {
				CHECK(!"set differs from model");
				return;
			}
			ret = xpv_range_set_find(&s, x);
			if ((ret >= 0) != !!(model >> (x - base) & 1) ||
			    (ret >= 0 && !xpv_range_has(&s.r[ret], x)))
				CHECK(!"find");
			r = rand_range(&st, base);
			m = mask_of(base, &r);
			ret = xpv_range_set_first_overlap(&s, &r);
			if ((ret >= 0) != !!(model & m))
				CHECK(!"first_overlap hit");
			for (k = 0; ret >= 0 && k < (unsigned int)ret; k++)
				if (xpv_range_overlaps(&s.r[k], &r))
					CHECK(!"first_overlap not first");
			if (ret >= 0 && !xpv_range_overlaps(&s.r[ret], &r))
				CHECK(!"first_overlap wrong entry");
		}
	}
}

UNIT_TEST(list_check_model_random)
{
	uint64_t st = unit_seed("list_check_model_random");
	unsigned long i;

	for (i = 0; i < 100000; i++) {
		u64 base = window_base(&st);
		struct xpv_range r[4];
		unsigned int n = unit_rand(&st) % 5, k, j;
		int want = 0;
		u64 last_end = 0;
		int have_last = 0;

		for (k = 0; k < n; k++)
			r[k] = rand_range(&st, base);
		/* Reference: non-empty entries pairwise disjoint and ascending. */
		for (k = 0; k < n; k++) {
			if (r[k].start >= r[k].end)
				continue;
			for (j = 0; j < k; j++)
				if (r[j].start < r[j].end &&
				    (mask_of(base, &r[j]) & mask_of(base, &r[k])))
					want = -EINVAL;
			if (have_last && r[k].start < last_end)
				want = -EINVAL;
			last_end = r[k].end;
			have_last = 1;
		}
		if (xpv_range_list_check(r, n) != want)
			CHECK(!"list_check");
	}
}

UNIT_MAIN
