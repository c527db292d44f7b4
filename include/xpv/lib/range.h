/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * range.h - half-open u64 ranges [start, end): alignment with overflow
 * reporting, intersection, containment, subtraction and a small sorted
 * range set kept in storage the caller passes.
 *
 * Pure logic: compiled unchanged in the kernel and in userspace tests.
 * Everything is wraparound-safe: a sum that does not fit in 64 bits is
 * reported as -EOVERFLOW, never silently truncated, because on-media
 * geometries and guest memory maps are input, not trusted.
 *
 * A range [start, end) with start >= end is empty.  A range that ends at
 * 2^64 cannot be represented; building one reports -EOVERFLOW.
 *
 * The small helpers are static inline so that users in any module (the
 * info-block validator in xen_pmem, the premap planner in xen_pviommu) get
 * them without sharing an object file between modules.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_LIB_RANGE_H
#define XPV_LIB_RANGE_H

#include <linux/errno.h>
#include <linux/types.h>

#define XPV_U64_MAX	(~0ull)

/**
 * struct xpv_range - a half-open range of addresses or frame numbers
 * @start: first element.
 * @end:   one past the last element; @start >= @end means empty.
 */
struct xpv_range {
	u64 start;
	u64 end;
};

/**
 * xpv_is_pow2() - is @x a power of two
 * @x: value
 *
 * Context: any.
 * Return: true when @x is a non-zero power of two.
 */
static inline bool xpv_is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

/**
 * xpv_is_aligned() - is @x a multiple of @align
 * @x:     value
 * @align: a power of two
 *
 * Context: any.
 * Return: true when @align is a power of two and @x is a multiple of it.
 */
static inline bool xpv_is_aligned(u64 x, u64 align)
{
	return xpv_is_pow2(align) && !(x & (align - 1));
}

/**
 * xpv_align_down() - round down to a power-of-two multiple
 * @x:     value
 * @align: a power of two (callers pass constants; anything else gives a
 *         meaningless result)
 *
 * Rounding down cannot overflow.
 *
 * Context: any.
 * Return: the largest multiple of @align that is <= @x.
 */
static inline u64 xpv_align_down(u64 x, u64 align)
{
	return x & ~(align - 1);
}

/**
 * xpv_align_up() - round up to a power-of-two multiple, reporting overflow
 * @x:     value
 * @align: a power of two
 * @out:   the rounded value (written only on success)
 *
 * Context: any.
 * Return: 0; -EINVAL when @align is not a power of two; -EOVERFLOW when
 * the result does not fit in 64 bits.
 */
static inline int xpv_align_up(u64 x, u64 align, u64 *out)
{
	u64 mask = align - 1;

	if (!xpv_is_pow2(align))
		return -EINVAL;
	if (!(x & mask)) {
		*out = x;
		return 0;
	}
	if (x > XPV_U64_MAX - mask)
		return -EOVERFLOW;
	*out = (x + mask) & ~mask;
	return 0;
}

/**
 * xpv_add_u64() - @a + @b, reporting overflow
 * @a:   addend
 * @b:   addend
 * @out: the sum (written only on success)
 *
 * Context: any.
 * Return: 0, or -EOVERFLOW when the sum does not fit in 64 bits.
 */
static inline int xpv_add_u64(u64 a, u64 b, u64 *out)
{
	u64 s;

	if (__builtin_add_overflow(a, b, &s))
		return -EOVERFLOW;
	*out = s;
	return 0;
}

/**
 * xpv_mul_u64() - @a * @b, reporting overflow
 * @a:   factor
 * @b:   factor
 * @out: the product (written only on success)
 *
 * Context: any.
 * Return: 0, or -EOVERFLOW when the product does not fit in 64 bits.
 */
static inline int xpv_mul_u64(u64 a, u64 b, u64 *out)
{
	u64 p;

	if (__builtin_mul_overflow(a, b, &p))
		return -EOVERFLOW;
	*out = p;
	return 0;
}

/**
 * xpv_range_from_base_size() - build [base, base + size)
 * @base: first element
 * @size: number of elements
 * @r:    the range (written only on success)
 *
 * Context: any.
 * Return: 0, or -EOVERFLOW when base + size does not fit in 64 bits (a
 * crafted geometry that would wrap around to low addresses).
 */
static inline int xpv_range_from_base_size(u64 base, u64 size,
					   struct xpv_range *r)
{
	u64 end;

	if (xpv_add_u64(base, size, &end))
		return -EOVERFLOW;
	r->start = base;
	r->end = end;
	return 0;
}

/**
 * xpv_range_empty() - does @r contain nothing
 * @r: range
 *
 * Context: any.
 * Return: true when @r->start >= @r->end.
 */
static inline bool xpv_range_empty(const struct xpv_range *r)
{
	return r->start >= r->end;
}

/**
 * xpv_range_len() - number of elements of @r
 * @r: range
 *
 * Context: any.
 * Return: @r->end - @r->start, or 0 for an empty range.
 */
static inline u64 xpv_range_len(const struct xpv_range *r)
{
	return xpv_range_empty(r) ? 0 : r->end - r->start;
}

/**
 * xpv_range_has() - is @x in @r
 * @r: range
 * @x: element
 *
 * Context: any.
 * Return: true when @r->start <= @x < @r->end.
 */
static inline bool xpv_range_has(const struct xpv_range *r, u64 x)
{
	return r->start <= x && x < r->end;
}

/**
 * xpv_range_contains() - is @inner a non-empty part of @outer
 * @outer: range
 * @inner: range
 *
 * An empty @inner is never "contained": every caller uses this to accept
 * a piece of geometry, and an empty piece is always a mistake.
 *
 * Context: any.
 * Return: true when @inner is non-empty and each of its elements is in
 * @outer.
 */
static inline bool xpv_range_contains(const struct xpv_range *outer,
				      const struct xpv_range *inner)
{
	return !xpv_range_empty(inner) && outer->start <= inner->start &&
	       inner->end <= outer->end;
}

/**
 * xpv_range_overlaps() - do @a and @b share an element
 * @a: range
 * @b: range
 *
 * Context: any.
 * Return: true when some element is in both (so never for an empty range;
 * adjacent ranges do not overlap).
 */
static inline bool xpv_range_overlaps(const struct xpv_range *a,
				      const struct xpv_range *b)
{
	return !xpv_range_empty(a) && !xpv_range_empty(b) &&
	       a->start < b->end && b->start < a->end;
}

/**
 * xpv_range_intersect() - the elements in both @a and @b
 * @a:   range
 * @b:   range
 * @out: the intersection, or {0, 0} when there is none (may alias @a/@b)
 *
 * Context: any.
 * Return: true when the intersection is non-empty.
 */
static inline bool xpv_range_intersect(const struct xpv_range *a,
				       const struct xpv_range *b,
				       struct xpv_range *out)
{
	u64 s = a->start > b->start ? a->start : b->start;
	u64 e = a->end < b->end ? a->end : b->end;

	if (!xpv_range_overlaps(a, b)) {
		out->start = 0;
		out->end = 0;
		return false;
	}
	out->start = s;
	out->end = e;
	return true;
}

/**
 * xpv_range_subtract() - the elements of @a that are not in @b
 * @a:   range
 * @b:   range to take away
 * @out: up to two non-empty pieces, in ascending order
 *
 * Context: any.
 * Return: the number of pieces written to @out: 0 (nothing left), 1 or 2
 * (@b strictly inside @a).
 */
static inline unsigned int xpv_range_subtract(const struct xpv_range *a,
					      const struct xpv_range *b,
					      struct xpv_range out[2])
{
	unsigned int n = 0;

	if (xpv_range_empty(a))
		return 0;
	if (!xpv_range_overlaps(a, b)) {
		out[0] = *a;
		return 1;
	}
	if (a->start < b->start) {
		out[n].start = a->start;
		out[n].end = b->start;
		n++;
	}
	if (b->end < a->end) {
		out[n].start = b->end;
		out[n].end = a->end;
		n++;
	}
	return n;
}

int xpv_range_list_check(const struct xpv_range *r, unsigned int nr);

/**
 * struct xpv_range_set - sorted set of disjoint ranges in caller storage
 * @r:   storage; entries [0, @nr) are non-empty, sorted, and neither
 *       overlap nor touch (adjacent ranges are merged).
 * @nr:  entries in use.
 * @max: capacity of @r.
 *
 * No locking: the owner serialises access.
 */
struct xpv_range_set {
	struct xpv_range *r;
	unsigned int nr;
	unsigned int max;
};

int xpv_range_set_init(struct xpv_range_set *s, struct xpv_range *storage,
		       unsigned int max);
int xpv_range_set_insert(struct xpv_range_set *s, const struct xpv_range *r);
int xpv_range_set_remove(struct xpv_range_set *s, const struct xpv_range *r);
int xpv_range_set_find(const struct xpv_range_set *s, u64 x);
int xpv_range_set_first_overlap(const struct xpv_range_set *s,
				const struct xpv_range *r);

#endif /* XPV_LIB_RANGE_H */
