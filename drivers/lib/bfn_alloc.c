// SPDX-License-Identifier: GPL-2.0-only
/*
 * bfn_alloc.c - BFN allocator (buddy system over summary bitmaps, reserved
 * ranges avoided, frees validated) and a u64 hash index.  See
 * include/xpv/lib/bfn_alloc.h.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/bfn_alloc.h>

/* ---- summary bitmaps ----------------------------------------------------- */

static u64 xpv_bfn_words(u64 bits)
{
	return (bits + BITS_PER_LONG - 1) / BITS_PER_LONG;
}

/* Words a summary bitmap of @bits bits needs, and its depth. */
static u64 xpv_bfn_bm_len(u64 bits, unsigned int *depth)
{
	u64 len = 0, w = xpv_bfn_words(bits);
	unsigned int d = 1;

	len = w;
	while (w > 1) {
		w = xpv_bfn_words(w);
		len += w;
		d++;
	}
	if (depth)
		*depth = d;
	return len;
}

static unsigned long *xpv_bfn_bm_init(struct xpv_bfn_bitmap *bm, u64 bits,
				      unsigned long *store)
{
	u64 w = xpv_bfn_words(bits);
	unsigned int l;

	xpv_bfn_bm_len(bits, &bm->depth);
	for (l = 0; l < bm->depth; l++) {
		bm->lvl[l] = store;
		store += w;
		w = xpv_bfn_words(w);
	}
	return store;
}

static bool xpv_bfn_bm_test(struct xpv_bfn_alloc *a,
			    const struct xpv_bfn_bitmap *bm, u64 i)
{
	a->steps++;
	return bm->lvl[0][i / BITS_PER_LONG] & (1ul << (i % BITS_PER_LONG));
}

static void xpv_bfn_bm_set(struct xpv_bfn_alloc *a, struct xpv_bfn_bitmap *bm,
			   u64 i)
{
	unsigned int l;

	for (l = 0; l < bm->depth; l++) {
		unsigned long *w = &bm->lvl[l][i / BITS_PER_LONG];
		bool was_empty = !*w;

		a->steps++;
		*w |= 1ul << (i % BITS_PER_LONG);
		if (!was_empty)
			return;
		i /= BITS_PER_LONG;
	}
}

static void xpv_bfn_bm_clear(struct xpv_bfn_alloc *a,
			     struct xpv_bfn_bitmap *bm, u64 i)
{
	unsigned int l;

	for (l = 0; l < bm->depth; l++) {
		unsigned long *w = &bm->lvl[l][i / BITS_PER_LONG];

		a->steps++;
		*w &= ~(1ul << (i % BITS_PER_LONG));
		if (*w)
			return;
		i /= BITS_PER_LONG;
	}
}

/* Lowest set bit, by descending from the top word; false if none. */
static bool xpv_bfn_bm_first(struct xpv_bfn_alloc *a,
			     const struct xpv_bfn_bitmap *bm, u64 *first)
{
	unsigned int l = bm->depth - 1;
	u64 i = 0;

	a->steps++;
	if (!bm->lvl[l][0])
		return false;
	for (;;) {
		i = i * BITS_PER_LONG + __ffs(bm->lvl[l][i]);
		if (!l--)
			break;
		a->steps++;
	}
	*first = i;
	return true;
}

/* ---- the allocator -------------------------------------------------------- */

/**
 * xpv_bfn_store_len() - storage an allocator needs
 * @frames:    window size in frames
 * @max_order: largest order
 *
 * Per order k: a free bitmap of @frames >> k bits with its summary levels,
 * and a held bitmap of as many bits.  About 4 bits per frame.
 *
 * Context: any.
 * Return: the number of unsigned longs to pass to xpv_bfn_init().
 */
u64 xpv_bfn_store_len(u64 frames, unsigned int max_order)
{
	u64 len = 0;
	unsigned int k;

	for (k = 0; k <= max_order && k <= XPV_BFN_MAX_ORDER; k++)
		len += xpv_bfn_bm_len(frames >> k, NULL) +
		       xpv_bfn_words(frames >> k);
	return len;
}

/**
 * xpv_bfn_init() - set up an empty allocator over a window
 * @a:         allocator
 * @base:      first BFN, aligned to 2^@max_order
 * @frames:    window size, a non-zero multiple of 2^@max_order, at most
 *             XPV_BFN_MAX_FRAMES
 * @max_order: largest order, <= XPV_BFN_MAX_ORDER
 * @store:     storage of @store_len unsigned longs, owned by @a until the
 *             caller stops using it
 * @store_len: at least xpv_bfn_store_len(@frames, @max_order)
 *
 * Reservations (xpv_bfn_reserve()) may follow until the allocator is
 * sealed (xpv_bfn_seal(), or the first get, put or magazine call).
 *
 * Context: any.
 * Return: 0, or -EINVAL for a bad geometry or too little storage.
 */
int xpv_bfn_init(struct xpv_bfn_alloc *a, u64 base, u64 frames,
		 unsigned int max_order, unsigned long *store, u64 store_len)
{
	u64 align = 1ull << (max_order > XPV_BFN_MAX_ORDER ? 0 : max_order);
	u64 end, len;
	unsigned int k;

	memset(a, 0, sizeof(*a));
	if (max_order > XPV_BFN_MAX_ORDER || !frames ||
	    frames > XPV_BFN_MAX_FRAMES ||
	    (base & (align - 1)) || (frames & (align - 1)) ||
	    __builtin_add_overflow(base, frames, &end) || !store)
		return -EINVAL;
	len = xpv_bfn_store_len(frames, max_order);
	if (store_len < len)
		return -EINVAL;
	memset(store, 0, (size_t)len * sizeof(*store));
	a->base = base;
	a->frames = frames;
	a->max_order = max_order;
	for (k = 0; k <= max_order; k++) {
		store = xpv_bfn_bm_init(&a->free[k], frames >> k, store);
		a->held[k] = store;
		store += xpv_bfn_words(frames >> k);
	}
	return 0;
}

/**
 * xpv_bfn_reserve() - keep a BFN range out of the allocator
 * @a:         allocator, not sealed yet
 * @bfn_start: first BFN
 * @bfn_end:   one past the last BFN
 *
 * The part of the range inside the window is never handed out.  Touching
 * or overlapping reservations are merged.
 *
 * Context: any; the caller serialises calls on @a.
 * Return: 0 (also for a range outside the window), -EBUSY once sealed,
 * -ENOSPC when XPV_BFN_MAX_RSV disjoint ranges exist.
 */
int xpv_bfn_reserve(struct xpv_bfn_alloc *a, u64 bfn_start, u64 bfn_end)
{
	u64 s, e;
	unsigned int i, j;

	if (a->sealed)
		return -EBUSY;
	s = bfn_start > a->base ? bfn_start - a->base : 0;
	e = bfn_end > a->base ? bfn_end - a->base : 0;
	if (e > a->frames)
		e = a->frames;
	if (s >= e)
		return 0;
	/* Merge with every reservation it overlaps or touches. */
	for (i = 0; i < a->nr_rsv;) {
		if (a->rsv[i].end < s || a->rsv[i].start > e) {
			i++;
			continue;
		}
		if (a->rsv[i].start < s)
			s = a->rsv[i].start;
		if (a->rsv[i].end > e)
			e = a->rsv[i].end;
		for (j = i + 1; j < a->nr_rsv; j++)
			a->rsv[j - 1] = a->rsv[j];
		a->nr_rsv--;
	}
	if (a->nr_rsv == XPV_BFN_MAX_RSV)
		return -ENOSPC;
	for (i = a->nr_rsv; i > 0 && a->rsv[i - 1].start > s; i--)
		a->rsv[i] = a->rsv[i - 1];
	a->rsv[i].start = s;
	a->rsv[i].end = e;
	a->nr_rsv++;
	return 0;
}

/* Free [lo, hi) (offsets) as maximal aligned blocks; no buddy is free. */
static void xpv_bfn_free_gap(struct xpv_bfn_alloc *a, u64 lo, u64 hi)
{
	while (lo < hi) {
		unsigned int k = a->max_order;

		while (k && ((lo & ((1ull << k) - 1)) || lo + (1ull << k) > hi))
			k--;
		xpv_bfn_bm_set(a, &a->free[k], lo >> k);
		a->free_frames += 1ull << k;
		lo += 1ull << k;
	}
}

/**
 * xpv_bfn_seal() - end the reservations, make the window allocatable
 * @a: allocator
 *
 * Builds the free bitmaps from the gaps between reservations: O(window /
 * 2^max_order) word writes, once.  Later calls do nothing.
 *
 * Context: any; the caller serialises calls on @a.
 */
void xpv_bfn_seal(struct xpv_bfn_alloc *a)
{
	u64 lo = 0;
	unsigned int i;

	if (a->sealed)
		return;
	a->sealed = true;
	for (i = 0; i < a->nr_rsv; i++) {
		xpv_bfn_free_gap(a, lo, a->rsv[i].start);
		a->rsv_frames += a->rsv[i].end - a->rsv[i].start;
		lo = a->rsv[i].end;
	}
	xpv_bfn_free_gap(a, lo, a->frames);
}

/* Take the lowest free block of order @order; its offset, or -ENOSPC. */
static int xpv_bfn_take(struct xpv_bfn_alloc *a, unsigned int order,
			u64 *off)
{
	unsigned int j;
	u64 idx;

	xpv_bfn_seal(a);
	for (j = order; j <= a->max_order; j++)
		if (xpv_bfn_bm_first(a, &a->free[j], &idx))
			break;
	if (j > a->max_order)
		return -ENOSPC;
	xpv_bfn_bm_clear(a, &a->free[j], idx);
	while (j > order) {
		j--;
		idx <<= 1;
		xpv_bfn_bm_set(a, &a->free[j], idx | 1);
	}
	a->free_frames -= 1ull << order;
	a->used_frames += 1ull << order;
	*off = idx << order;
	return 0;
}

/* Give back the block at @off, merging it with free buddies. */
static void xpv_bfn_give(struct xpv_bfn_alloc *a, u64 off, unsigned int order)
{
	u64 idx = off >> order;
	unsigned int k = order;

	while (k < a->max_order && xpv_bfn_bm_test(a, &a->free[k], idx ^ 1)) {
		xpv_bfn_bm_clear(a, &a->free[k], idx ^ 1);
		idx >>= 1;
		k++;
	}
	xpv_bfn_bm_set(a, &a->free[k], idx);
	a->free_frames += 1ull << order;
	a->used_frames -= 1ull << order;
}

/* Is the block at @off of order @order free, alone or inside a bigger one? */
static bool xpv_bfn_is_free(struct xpv_bfn_alloc *a, u64 off,
			    unsigned int order)
{
	unsigned int k;

	for (k = order; k <= a->max_order; k++)
		if (xpv_bfn_bm_test(a, &a->free[k], off >> k))
			return true;
	return false;
}

/**
 * xpv_bfn_get() - allocate a naturally aligned block of 2^@order frames
 * @a:     allocator
 * @order: 0 .. @a->max_order
 * @bfn:   first BFN of the block
 *
 * The lowest free block of that order is handed out.
 *
 * Context: any; the caller serialises calls on @a (xpv_bfn_mag_pop() and
 * xpv_bfn_mag_push() may run concurrently).
 * Return: 0; -EINVAL for a bad order; -ENOSPC when no aligned free block
 * of that order is left in the window (nothing changed).
 */
int xpv_bfn_get(struct xpv_bfn_alloc *a, unsigned int order, u64 *bfn)
{
	u64 off;
	int rc;

	if (order > a->max_order)
		return -EINVAL;
	rc = xpv_bfn_take(a, order, &off);
	if (rc)
		return rc;
	if (order)
		__set_bit(off >> order, a->held[order]);
	else
		set_bit(off, a->held[0]);
	*bfn = a->base + off;
	return 0;
}

/**
 * xpv_bfn_put() - give back a block from xpv_bfn_get()
 * @a:     allocator
 * @bfn:   first BFN of the block
 * @order: its order
 *
 * The block may be handed out again by the next xpv_bfn_get(): give it
 * back only once no IOTLB entry can still reach its old mapping.
 *
 * Context: any; the caller serialises calls on @a (xpv_bfn_mag_pop() and
 * xpv_bfn_mag_push() may run concurrently).
 * Return: 0, or -EINVAL (counted in @a->invalid_puts, nothing changed)
 * for anything but a block of that order handed out and not given back:
 * outside the window, misaligned, bad order, freed already, reserved,
 * never handed out, or sitting in a magazine.
 */
int xpv_bfn_put(struct xpv_bfn_alloc *a, u64 bfn, unsigned int order)
{
	u64 off = bfn - a->base;
	bool held;

	xpv_bfn_seal(a);
	if (order > a->max_order || bfn < a->base || off >= a->frames ||
	    (off & ((1ull << order) - 1))) {
		a->invalid_puts++;
		return -EINVAL;
	}
	if (order) {
		held = test_bit(off >> order, a->held[order]);
		__clear_bit(off >> order, a->held[order]);
	} else {
		held = test_and_clear_bit(off, a->held[0]);
	}
	if (!held) {
		a->invalid_puts++;
		return -EINVAL;
	}
	xpv_bfn_give(a, off, order);
	return 0;
}

/**
 * xpv_bfn_mag_fill() - top up a magazine of order-0 BFNs
 * @a:    allocator
 * @m:    magazine
 * @want: fill up to this many entries (capped at XPV_BFN_MAG_SIZE)
 *
 * The entries count as used but are not held: xpv_bfn_mag_pop() hands
 * them out.
 *
 * Context: any; the caller serialises calls on @a and owns @m.
 * Return: the number of entries added (fewer when the window is full).
 */
unsigned int xpv_bfn_mag_fill(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			      unsigned int want)
{
	unsigned int added = 0;
	u64 off;

	if (want > XPV_BFN_MAG_SIZE)
		want = XPV_BFN_MAG_SIZE;
	while (m->n < want && !xpv_bfn_take(a, 0, &off)) {
		m->bfn[m->n++] = a->base + off;
		added++;
	}
	return added;
}

/**
 * xpv_bfn_mag_drain() - give a magazine's entries back to the allocator
 * @a:    allocator
 * @m:    magazine
 * @keep: entries to leave in @m
 *
 * Every entry is checked again (inside the window, not free, not held):
 * one that fails is dropped from @m without touching the allocator.
 *
 * Context: any; the caller serialises calls on @a and owns @m.
 * Return: the number of entries dropped that way (0 unless the magazine
 * was corrupted).
 */
unsigned int xpv_bfn_mag_drain(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			       unsigned int keep)
{
	unsigned int bad = 0;

	xpv_bfn_seal(a);
	while (m->n > keep) {
		u64 bfn = m->bfn[--m->n], off = bfn - a->base;

		if (bfn < a->base || off >= a->frames ||
		    test_bit(off, a->held[0]) || xpv_bfn_is_free(a, off, 0)) {
			a->invalid_puts++;
			bad++;
			continue;
		}
		xpv_bfn_give(a, off, 0);
	}
	return bad;
}

/**
 * xpv_bfn_mag_pop() - hand out an order-0 BFN from a magazine
 * @a:   allocator
 * @m:   magazine
 * @bfn: the BFN
 *
 * Context: any; the caller owns @m.  No need to serialise against other
 * calls on @a: the held bit is set atomically.
 * Return: 0, or -ENOSPC when @m is empty (fill it, or get from @a).
 */
int xpv_bfn_mag_pop(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m, u64 *bfn)
{
	if (!m->n)
		return -ENOSPC;
	*bfn = m->bfn[--m->n];
	set_bit(*bfn - a->base, a->held[0]);
	return 0;
}

/**
 * xpv_bfn_mag_push() - give back an order-0 BFN into a magazine
 * @a:   allocator
 * @m:   magazine
 * @bfn: a BFN handed out with order 0 (by xpv_bfn_get() or
 *       xpv_bfn_mag_pop()) and not given back
 *
 * Checked with one atomic test-and-clear of its held bit, so a double
 * free, or a free of a BFN never handed out, reserved, part of a larger
 * block or already in a magazine, is refused here and cannot be handed
 * out twice.  Refusals are not counted in @a (the caller's business).
 *
 * Context: any; the caller owns @m.  No need to serialise against other
 * calls on @a.
 * Return: 0; -EINVAL (refused, nothing changed); -ENOSPC when @m is full
 * (drain it first; nothing changed).
 */
int xpv_bfn_mag_push(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m, u64 bfn)
{
	u64 off = bfn - a->base;

	if (bfn < a->base || off >= a->frames)
		return -EINVAL;
	if (m->n == XPV_BFN_MAG_SIZE)
		return -ENOSPC;
	if (!test_and_clear_bit(off, a->held[0]))
		return -EINVAL;
	m->bfn[m->n++] = bfn;
	return 0;
}

/* ---- u64 hash index ----------------------------------------------------- */

static u64 xpv_u64map_slot(const struct xpv_u64map *h, u64 key)
{
	u64 x = key * 0x9e3779b97f4a7c15ull;

	return (x ^ (x >> 29)) & (h->cap - 1);
}

static bool xpv_u64map_used(const struct xpv_u64map *h, u64 i)
{
	return h->used[i / 64] & (1ull << (i % 64));
}

/**
 * xpv_u64map_init() - set up an empty index in caller storage
 * @h:    index
 * @key:  @cap u64
 * @val:  @cap u64
 * @used: (@cap + 63) / 64 u64, zeroed here
 * @cap:  a power of two >= 4
 *
 * Context: any.
 */
void xpv_u64map_init(struct xpv_u64map *h, u64 *key, u64 *val, u64 *used,
		     u64 cap)
{
	h->key = key;
	h->val = val;
	h->used = used;
	h->cap = cap;
	h->n = 0;
	memset(used, 0, (size_t)((cap + 63) / 64) * sizeof(u64));
}

static bool xpv_u64map_find(const struct xpv_u64map *h, u64 key, u64 *slot)
{
	u64 i = xpv_u64map_slot(h, key);

	while (xpv_u64map_used(h, i)) {
		if (h->key[i] == key) {
			*slot = i;
			return true;
		}
		i = (i + 1) & (h->cap - 1);
	}
	*slot = i;
	return false;
}

/**
 * xpv_u64map_get() - look a key up
 * @h:   index
 * @key: key
 * @val: its value
 *
 * Context: any; the caller serialises changes to @h against this.
 * Return: 0, or -ENOENT.
 */
int xpv_u64map_get(const struct xpv_u64map *h, u64 key, u64 *val)
{
	u64 i;

	if (!xpv_u64map_find(h, key, &i))
		return -ENOENT;
	*val = h->val[i];
	return 0;
}

/**
 * xpv_u64map_put() - insert or replace
 * @h:   index
 * @key: key
 * @val: value
 *
 * Context: any; the caller serialises calls on @h.
 * Return: 0, or -ENOSPC when a new key would fill more than 3/4 of the
 * table (grow it with xpv_u64map_move() and retry).
 */
int xpv_u64map_put(struct xpv_u64map *h, u64 key, u64 val)
{
	u64 i;

	if (xpv_u64map_find(h, key, &i)) {
		h->val[i] = val;
		return 0;
	}
	if ((h->n + 1) * 4 > h->cap * 3)
		return -ENOSPC;
	h->key[i] = key;
	h->val[i] = val;
	h->used[i / 64] |= 1ull << (i % 64);
	h->n++;
	return 0;
}

/**
 * xpv_u64map_del() - remove a key
 * @h:   index
 * @key: key
 * @val: its value (may be NULL)
 *
 * Backward-shift deletion: no tombstones, lookups stay short.
 *
 * Context: any; the caller serialises calls on @h.
 * Return: 0, or -ENOENT.
 */
int xpv_u64map_del(struct xpv_u64map *h, u64 key, u64 *val)
{
	u64 mask = h->cap - 1, i, j, home;

	if (!xpv_u64map_find(h, key, &i))
		return -ENOENT;
	if (val)
		*val = h->val[i];
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!xpv_u64map_used(h, j))
			break;
		home = xpv_u64map_slot(h, h->key[j]);
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->key[i] = h->key[j];
			h->val[i] = h->val[j];
			i = j;
		}
	}
	h->used[i / 64] &= ~(1ull << (i % 64));
	h->n--;
	return 0;
}

/**
 * xpv_u64map_move() - copy every entry into another (larger) index
 * @to:   destination, empty, with room for every entry of @from
 * @from: source, unchanged
 *
 * Context: any; the caller serialises calls on both.
 */
void xpv_u64map_move(struct xpv_u64map *to, const struct xpv_u64map *from)
{
	u64 i;

	for (i = 0; i < from->cap; i++)
		if (xpv_u64map_used(from, i))
			xpv_u64map_put(to, from->key[i], from->val[i]);
}

/**
 * xpv_u64map_at() - iterate over the entries
 * @h:   index, not changed during the iteration
 * @pos: cursor, 0 to start
 * @key: the entry's key
 * @val: its value
 *
 * Context: any; the caller serialises calls on @h.
 * Return: 0 with the next entry, or -ENOENT at the end.
 */
int xpv_u64map_at(const struct xpv_u64map *h, u64 *pos, u64 *key, u64 *val)
{
	u64 i;

	for (i = *pos; i < h->cap; i++) {
		if (xpv_u64map_used(h, i)) {
			*key = h->key[i];
			*val = h->val[i];
			*pos = i + 1;
			return 0;
		}
	}
	*pos = h->cap;
	return -ENOENT;
}
