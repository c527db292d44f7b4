// SPDX-License-Identifier: GPL-2.0-only
/*
 * bfn_alloc.c - BFN allocator (lazy buddy over a window, reserved ranges
 * avoided) and a u64 hash index.  See include/xpv/lib/bfn_alloc.h.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/bfn_alloc.h>

/**
 * xpv_bfn_store_len() - storage an allocator needs
 * @frames:    window size in frames
 * @max_order: largest order
 *
 * One u32 per possible free block of every order: the free blocks of one
 * order are disjoint, so a stack never holds more than @frames >> order.
 *
 * Context: any.
 * Return: the number of u32 entries to pass to xpv_bfn_init().
 */
u64 xpv_bfn_store_len(u64 frames, unsigned int max_order)
{
	u64 len = 0;
	unsigned int k;

	for (k = 0; k <= max_order && k <= XPV_BFN_MAX_ORDER; k++)
		len += frames >> k;
	return len;
}

/**
 * xpv_bfn_init() - set up an empty allocator over a window
 * @a:         allocator
 * @base:      first BFN, aligned to 2^@max_order
 * @frames:    window size, a non-zero multiple of 2^@max_order, <= 2^32
 * @max_order: largest order, <= XPV_BFN_MAX_ORDER
 * @store:     storage of @store_len u32 entries, owned by @a until the
 *             caller stops using it
 * @store_len: at least xpv_bfn_store_len(@frames, @max_order)
 *
 * Context: any.
 * Return: 0, or -EINVAL for a bad geometry or too little storage.
 */
int xpv_bfn_init(struct xpv_bfn_alloc *a, u64 base, u64 frames,
		 unsigned int max_order, u32 *store, u64 store_len)
{
	u64 align = 1ull << (max_order > XPV_BFN_MAX_ORDER ? 0 : max_order);
	u64 end;
	unsigned int k;

	memset(a, 0, sizeof(*a));
	if (max_order > XPV_BFN_MAX_ORDER || !frames || frames > (1ull << 32) ||
	    (base & (align - 1)) || (frames & (align - 1)) ||
	    __builtin_add_overflow(base, frames, &end) || !store ||
	    store_len < xpv_bfn_store_len(frames, max_order))
		return -EINVAL;
	a->base = base;
	a->frames = frames;
	a->max_order = max_order;
	for (k = 0; k <= max_order; k++) {
		a->free[k].v = store;
		a->free[k].cap = (u32)((frames >> k) > 0xffffffffull ?
				       0xffffffffull : frames >> k);
		store += frames >> k;
	}
	return 0;
}

/**
 * xpv_bfn_reserve() - keep a BFN range out of the allocator
 * @a:         allocator, before its first xpv_bfn_get()
 * @bfn_start: first BFN
 * @bfn_end:   one past the last BFN
 *
 * The part of the range inside the window is never handed out.  Touching
 * or overlapping reservations are merged.
 *
 * Context: any.
 * Return: 0 (also for a range outside the window), -EBUSY once blocks
 * were handed out, -ENOSPC when XPV_BFN_MAX_RSV disjoint ranges exist.
 */
int xpv_bfn_reserve(struct xpv_bfn_alloc *a, u64 bfn_start, u64 bfn_end)
{
	u64 s, e;
	unsigned int i, j;

	if (a->next)
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

static void xpv_bfn_push(struct xpv_bfn_alloc *a, unsigned int k, u64 off)
{
	struct xpv_bfn_stack *st = &a->free[k];

	st->v[st->n++] = (u32)off;
	a->free_frames += 1ull << k;
}

/* Free [lo, hi) (offsets) as maximal aligned blocks. */
static void xpv_bfn_push_gap(struct xpv_bfn_alloc *a, u64 lo, u64 hi)
{
	while (lo < hi) {
		unsigned int k = a->max_order;

		while (k && ((lo & ((1ull << k) - 1)) || lo + (1ull << k) > hi))
			k--;
		xpv_bfn_push(a, k, lo);
		lo += 1ull << k;
	}
}

/* Index of the lowest reservation overlapping [s, e), or -1. */
static int xpv_bfn_rsv_hit(const struct xpv_bfn_alloc *a, u64 s, u64 e)
{
	unsigned int i;

	for (i = 0; i < a->nr_rsv; i++)
		if (a->rsv[i].start < e && s < a->rsv[i].end)
			return (int)i;
	return -1;
}

static int xpv_bfn_try_get(struct xpv_bfn_alloc *a, unsigned int order,
			   u64 *bfn)
{
	u64 sz = 1ull << order, start, off;
	unsigned int j;
	int r;

	for (j = order; j <= a->max_order; j++) {
		struct xpv_bfn_stack *st = &a->free[j];

		if (!st->n)
			continue;
		off = st->v[--st->n];
		a->free_frames -= 1ull << j;
		while (j > order) {
			j--;
			xpv_bfn_push(a, j, off + (1ull << j));
		}
		*bfn = a->base + off;
		a->used_frames += sz;
		return 0;
	}
	for (;;) {
		start = (a->next + sz - 1) & ~(sz - 1);
		if (start + sz > a->frames)
			return -ENOSPC;
		/* The gap below @start is freed too: check it as well. */
		r = xpv_bfn_rsv_hit(a, a->next, start + sz);
		if (r < 0)
			break;
		xpv_bfn_push_gap(a, a->next, a->rsv[r].start);
		a->next = a->rsv[r].end;
	}
	xpv_bfn_push_gap(a, a->next, start);
	a->next = start + sz;
	*bfn = a->base + start;
	a->used_frames += sz;
	return 0;
}

/**
 * xpv_bfn_get() - allocate a naturally aligned block of 2^@order frames
 * @a:     allocator
 * @order: 0 .. @a->max_order
 * @bfn:   first BFN of the block
 *
 * Context: any; the caller serialises calls on @a.
 * Return: 0; -EINVAL for a bad order; -ENOSPC when no aligned free block
 * of that order is left in the window (nothing changed but the free
 * stacks' order).
 */
int xpv_bfn_get(struct xpv_bfn_alloc *a, unsigned int order, u64 *bfn)
{
	if (order > a->max_order)
		return -EINVAL;
	if (!xpv_bfn_try_get(a, order, bfn))
		return 0;
	xpv_bfn_compact(a);
	return xpv_bfn_try_get(a, order, bfn);
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
 * Context: any; the caller serialises calls on @a.
 * Return: 0, or -EINVAL for a block that cannot be one of @a's (outside
 * the window, misaligned, bad order, more than ever handed out).
 */
int xpv_bfn_put(struct xpv_bfn_alloc *a, u64 bfn, unsigned int order)
{
	u64 off;

	if (order > a->max_order || bfn < a->base)
		return -EINVAL;
	off = bfn - a->base;
	if (off >= a->next || (off & ((1ull << order) - 1)) ||
	    a->used_frames < (1ull << order) ||
	    a->free[order].n >= a->free[order].cap)
		return -EINVAL;
	a->used_frames -= 1ull << order;
	xpv_bfn_push(a, order, off);
	return 0;
}

/* In-place heapsort: no recursion, no memory. */
static void xpv_bfn_sift(u32 *v, u64 i, u64 n)
{
	for (;;) {
		u64 c = 2 * i + 1;
		u32 t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[i] >= v[c])
			return;
		t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

static void xpv_bfn_sort(u32 *v, u64 n)
{
	u64 i;
	u32 t;

	for (i = n / 2; i-- > 0;)
		xpv_bfn_sift(v, i, n);
	for (i = n; i-- > 1;) {
		t = v[0];
		v[0] = v[i];
		v[i] = t;
		xpv_bfn_sift(v, 0, i);
	}
}

/**
 * xpv_bfn_compact() - merge free buddies, return the free top to the bump
 * @a: allocator
 *
 * The slow path of xpv_bfn_get() (O(n log n) in the free blocks); also
 * callable on its own, e.g. when an emulator closes.
 *
 * Context: any; the caller serialises calls on @a.
 */
void xpv_bfn_compact(struct xpv_bfn_alloc *a)
{
	unsigned int k;
	bool again;

	a->compactions++;
	for (k = 0; k <= a->max_order; k++) {
		struct xpv_bfn_stack *st = &a->free[k];
		u64 sz = 1ull << k, i = 0, out = 0;

		xpv_bfn_sort(st->v, st->n);
		if (k == a->max_order)
			break;
		while (i < st->n) {
			if (i + 1 < st->n && !(st->v[i] & (2 * sz - 1)) &&
			    st->v[i + 1] == st->v[i] + sz) {
				a->free_frames -= 2 * sz;
				xpv_bfn_push(a, k + 1, st->v[i]);
				i += 2;
			} else {
				st->v[out++] = st->v[i++];
			}
		}
		st->n = (u32)out;
	}
	do {
		again = false;
		for (k = 0; k <= a->max_order; k++) {
			struct xpv_bfn_stack *st = &a->free[k];

			if (st->n && st->v[st->n - 1] + (1ull << k) == a->next) {
				a->next = st->v[--st->n];
				a->free_frames -= 1ull << k;
				again = true;
			}
		}
	} while (again);
}

/**
 * xpv_bfn_mag_fill() - top up a magazine of order-0 BFNs
 * @a:    allocator
 * @m:    magazine
 * @want: fill up to this many entries (capped at XPV_BFN_MAG_SIZE)
 *
 * Context: any; the caller serialises calls on @a and owns @m.
 * Return: the number of entries added (fewer when the window is full).
 */
unsigned int xpv_bfn_mag_fill(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
			      unsigned int want)
{
	unsigned int added = 0;
	u64 bfn;

	if (want > XPV_BFN_MAG_SIZE)
		want = XPV_BFN_MAG_SIZE;
	while (m->n < want && !xpv_bfn_get(a, 0, &bfn)) {
		m->bfn[m->n++] = bfn;
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
 * Context: any; the caller serialises calls on @a and owns @m.
 */
void xpv_bfn_mag_drain(struct xpv_bfn_alloc *a, struct xpv_bfn_mag *m,
		       unsigned int keep)
{
	while (m->n > keep)
		xpv_bfn_put(a, m->bfn[--m->n], 0);
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
