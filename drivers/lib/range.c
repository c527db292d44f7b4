// SPDX-License-Identifier: GPL-2.0-only
/*
 * range.c - range-list checks and a small sorted range set in caller
 * storage.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 * Lookups are binary searches; insert and remove move the tail of the
 * array, which is fine for the tens of entries the callers keep (RMRRs,
 * reported pmem regions, RAM ranges).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/range.h>

/**
 * xpv_range_list_check() - check a caller's list of ranges
 * @r:  ranges
 * @nr: number of ranges
 *
 * Empty entries are allowed and ignored; the non-empty ones must be in
 * ascending order and must not overlap (they may touch).
 *
 * Context: any.
 * Return: 0, or -EINVAL (with @nr > 0 and @r NULL, unsorted or
 * overlapping entries).
 */
int xpv_range_list_check(const struct xpv_range *r, unsigned int nr)
{
	const struct xpv_range *prev = NULL;
	unsigned int i;

	if (nr && !r)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (xpv_range_empty(&r[i]))
			continue;
		if (prev && r[i].start < prev->end)
			return -EINVAL;
		prev = &r[i];
	}
	return 0;
}

/**
 * xpv_range_set_init() - an empty set over caller storage
 * @s:       the set
 * @storage: room for @max ranges (not read)
 * @max:     capacity, at most INT_MAX so that indexes fit the return values
 *
 * Context: any.
 * Return: 0, or -EINVAL when @max is too large or @storage is NULL with a
 * non-zero @max.
 */
int xpv_range_set_init(struct xpv_range_set *s, struct xpv_range *storage,
		       unsigned int max)
{
	s->r = storage;
	s->nr = 0;
	s->max = 0;
	if (max > 0x7fffffffu || (max && !storage))
		return -EINVAL;
	s->max = max;
	return 0;
}

/* Index of the first entry whose end is >= @x (or > @x when @strict). */
static unsigned int xpv_set_first_end(const struct xpv_range_set *s, u64 x,
				      bool strict)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		u64 e = s->r[mid].end;

		if (strict ? e > x : e >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Index of the first entry whose start is > @x (or >= @x when !@after). */
static unsigned int xpv_set_first_start(const struct xpv_range_set *s, u64 x,
					bool after)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		u64 st = s->r[mid].start;

		if (after ? st > x : st >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Replace entries [@lo, @hi) by the @n ranges in @with (room checked). */
static void xpv_set_splice(struct xpv_range_set *s, unsigned int lo,
			   unsigned int hi, const struct xpv_range *with,
			   unsigned int n)
{
	unsigned int tail = s->nr - hi;

	if (lo + n != hi)
		memmove(&s->r[lo + n], &s->r[hi], tail * sizeof(s->r[0]));
	if (n)
		memcpy(&s->r[lo], with, n * sizeof(s->r[0]));
	s->nr = lo + n + tail;
}

/**
 * xpv_range_set_insert() - add every element of @r to the set
 * @s: the set
 * @r: range to add; empty is a no-op
 *
 * Entries that overlap or touch @r are merged with it, so the set stays
 * minimal.  On failure the set is unchanged.
 *
 * Context: any; the caller serialises access to @s.
 * Return: 0, or -ENOSPC when @r touches no entry and the set is full.
 */
int xpv_range_set_insert(struct xpv_range_set *s, const struct xpv_range *r)
{
	struct xpv_range m = *r;
	unsigned int lo, hi;

	if (xpv_range_empty(r))
		return 0;
	/* Entries [lo, hi) overlap or touch r: end >= r->start ... */
	lo = xpv_set_first_end(s, r->start, false);
	/* ... and start <= r->end. */
	hi = xpv_set_first_start(s, r->end, true);
	if (lo == hi && s->nr == s->max)
		return -ENOSPC;
	if (lo < hi) {
		if (s->r[lo].start < m.start)
			m.start = s->r[lo].start;
		if (s->r[hi - 1].end > m.end)
			m.end = s->r[hi - 1].end;
	}
	xpv_set_splice(s, lo, hi, &m, 1);
	return 0;
}

/**
 * xpv_range_set_remove() - take every element of @r out of the set
 * @s: the set
 * @r: range to remove; empty is a no-op, elements not in the set are fine
 *
 * On failure the set is unchanged.
 *
 * Context: any; the caller serialises access to @s.
 * Return: 0, or -ENOSPC when @r splits an entry in two and the set is full.
 */
int xpv_range_set_remove(struct xpv_range_set *s, const struct xpv_range *r)
{
	struct xpv_range keep[2];
	unsigned int lo, hi, n = 0;

	if (xpv_range_empty(r))
		return 0;
	/* Entries [lo, hi) overlap r: end > r->start and start < r->end. */
	lo = xpv_set_first_end(s, r->start, true);
	hi = xpv_set_first_start(s, r->end, false);
	if (lo >= hi)
		return 0;
	if (s->r[lo].start < r->start) {
		keep[n].start = s->r[lo].start;
		keep[n].end = r->start;
		n++;
	}
	if (s->r[hi - 1].end > r->end) {
		keep[n].start = r->end;
		keep[n].end = s->r[hi - 1].end;
		n++;
	}
	if (s->nr - (hi - lo) + n > s->max)
		return -ENOSPC;
	xpv_set_splice(s, lo, hi, keep, n);
	return 0;
}

/**
 * xpv_range_set_find() - the entry holding @x
 * @s: the set
 * @x: element
 *
 * Context: any; the caller serialises access to @s.
 * Return: the index of the entry that contains @x, or -ENOENT.
 */
int xpv_range_set_find(const struct xpv_range_set *s, u64 x)
{
	unsigned int i = xpv_set_first_end(s, x, true);

	if (i < s->nr && s->r[i].start <= x)
		return (int)i;
	return -ENOENT;
}

/**
 * xpv_range_set_first_overlap() - the first entry sharing an element with @r
 * @s: the set
 * @r: range
 *
 * Context: any; the caller serialises access to @s.
 * Return: the lowest index of an entry that overlaps @r, or -ENOENT (also
 * for an empty @r).
 */
int xpv_range_set_first_overlap(const struct xpv_range_set *s,
				const struct xpv_range *r)
{
	unsigned int i;

	if (xpv_range_empty(r))
		return -ENOENT;
	i = xpv_set_first_end(s, r->start, true);
	if (i < s->nr && s->r[i].start < r->end)
		return (int)i;
	return -ENOENT;
}
