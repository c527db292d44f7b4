// SPDX-License-Identifier: GPL-2.0-only
/*
 * bounce.c - the bounce pool for buffers the 1:1 map cannot give a device
 * directly: a mask too short for the buffer, a foreign frame without Xen's
 * window, own memory outside the map (see dma.c).
 *
 * Under BFN = PFN, memory that is contiguous in PFN space is contiguous on
 * the bus, so a bounce buffer is just low memory: no XENMEM_exchange as in
 * swiotlb-xen.  swiotlb's internals are not exported to modules, so this
 * is a small pool of our own: naturally aligned 1 MiB chunks below 4 GiB,
 * cut into 2 KiB slots handed out with a bitmap under the chunk's lock.
 * A bus address finds its chunk in O(1) through a MiB-indexed table.
 *
 * Like swiotlb since CVE-2022-0854, a map always copies the caller's data
 * in, whatever the direction: a device that writes less than it was given
 * must not expose what an earlier user left in the slot.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "pviommu.h"

static unsigned int xpv_bounce_fill(struct xpv_bounce_pool *pool, gfp_t zone,
				    unsigned int want)
{
	unsigned int got = 0;

	while (got < want && pool->nr_chunks < XPV_BOUNCE_MAX_CHUNKS) {
		struct xpv_bounce_chunk *c = &pool->chunk[pool->nr_chunks];
		struct page *page;
		u64 idx;

		page = alloc_pages(zone | GFP_KERNEL | __GFP_NOWARN |
				   __GFP_ZERO, XPV_BOUNCE_CHUNK_ORDER);
		if (!page)
			break;
		idx = page_to_phys(page) >> XPV_BOUNCE_CHUNK_SHIFT;
		if (idx >= XPV_BOUNCE_INDEX) {	/* ZONE_DMA32 is below 4 GiB */
			__free_pages(page, XPV_BOUNCE_CHUNK_ORDER);
			break;
		}
		spin_lock_init(&c->lock);
		c->vaddr = page_address(page);
		c->bus = page_to_phys(page);
		pool->nr_chunks++;
		pool->index[idx] = pool->nr_chunks;
		got++;
	}
	return got;
}

/**
 * xpv_bounce_init() - allocate the bounce pool
 * @pool:        pool to set up
 * @dma32_bytes: bytes wanted below 4 GiB (ZONE_DMA32)
 * @dma_bytes:   bytes wanted below 16 MiB (ZONE_DMA), for masks < 32 bits
 *
 * Sizes are rounded up to whole chunks.  Each mapping is placed in a chunk
 * that lies entirely below the device's mask, so one pool serves every
 * mask down to 24 bits.
 *
 * Context: process context; may sleep.
 * Return: 0 (possibly with fewer chunks than asked), or -ENOMEM when not
 * even one chunk could be had.
 */
int xpv_bounce_init(struct xpv_bounce_pool *pool, size_t dma32_bytes,
		    size_t dma_bytes)
{
	memset(pool, 0, sizeof(*pool));
	xpv_bounce_fill(pool, GFP_DMA,
			DIV_ROUND_UP(dma_bytes, XPV_BOUNCE_CHUNK));
	xpv_bounce_fill(pool, GFP_DMA32,
			DIV_ROUND_UP(dma32_bytes, XPV_BOUNCE_CHUNK));
	return pool->nr_chunks ? 0 : -ENOMEM;
}

/**
 * xpv_bounce_destroy() - free a pool
 * @pool: pool with no live bounce mappings
 *
 * Context: process context.
 */
void xpv_bounce_destroy(struct xpv_bounce_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->nr_chunks; i++)
		free_pages((unsigned long)pool->chunk[i].vaddr,
			   XPV_BOUNCE_CHUNK_ORDER);
	pool->nr_chunks = 0;
	memset(pool->index, 0, sizeof(pool->index));
}

/* The chunk holding @bus, or NULL.  O(1), lockless: chunks are fixed. */
static struct xpv_bounce_chunk *xpv_bounce_find(struct xpv_bounce_pool *pool,
						dma_addr_t bus)
{
	u64 idx = bus >> XPV_BOUNCE_CHUNK_SHIFT;

	if (idx >= XPV_BOUNCE_INDEX || !pool->index[idx])
		return NULL;
	return &pool->chunk[pool->index[idx] - 1];
}

/**
 * xpv_bounce_owns() - is @bus inside this pool?
 * @pool: pool
 * @bus:  bus address
 *
 * Context: any; lockless (chunks never change while mappings exist).
 * Return: true when @bus is a bounce buffer of @pool.
 */
bool xpv_bounce_owns(struct xpv_bounce_pool *pool, dma_addr_t bus)
{
	return xpv_bounce_find(pool, bus);
}

static void xpv_bounce_copy(phys_addr_t orig, void *buf, size_t size,
			    bool to_buf)
{
	while (size) {
		struct page *page = pfn_to_page(PHYS_PFN(orig));
		unsigned int off = offset_in_page(orig);
		size_t n = min_t(size_t, size, PAGE_SIZE - off);
		void *va = kmap_local_page(page);

		if (to_buf)
			memcpy(buf, va + off, n);
		else
			memcpy(va + off, buf, n);
		kunmap_local(va);
		orig += n;
		buf += n;
		size -= n;
	}
}

/*
 * First free run of @nslots slots at a multiple of @stride (a power of two)
 * whose bus range stays inside one @boundary segment; caller holds c->lock.
 */
static unsigned long xpv_bounce_fit(struct xpv_bounce_chunk *c,
				    unsigned int nslots, unsigned int stride,
				    unsigned long boundary, unsigned int lead)
{
	unsigned long s = 0;

	lockdep_assert_held(&c->lock);
	for (;;) {
		u64 first, last;

		s = bitmap_find_next_zero_area(c->used, XPV_BOUNCE_SLOTS, s,
					       nslots, stride - 1);
		if (s >= XPV_BOUNCE_SLOTS)
			return s;
		first = c->bus + s * XPV_BOUNCE_SLOT + lead;
		last = c->bus + (s + nslots) * XPV_BOUNCE_SLOT - 1;
		if ((first | boundary) == (last | boundary))
			return s;
		/* Crosses a segment boundary: try from the next segment. */
		s = ALIGN(((last | boundary) + 1 - c->bus) / XPV_BOUNCE_SLOT,
			  stride);
	}
}

/**
 * xpv_bounce_map() - copy a buffer into the pool for a device
 * @pool:       pool
 * @mask:       highest bus address the device can reach
 * @boundary:   the device's segment boundary mask: the mapping must not
 *              cross a multiple of @boundary + 1
 * @orig:       physical address of the caller's buffer
 * @size:       bytes (1 .. XPV_BOUNCE_MAX_MAP)
 * @align_mask: the device's min_align_mask: the bounce address keeps
 *              these low bits of @orig (NVMe relies on it)
 *
 * The caller's bytes are copied in whatever the DMA direction (see the
 * top of this file).  A mapping of a page or more starts page aligned
 * (plus the kept low bits), as swiotlb does.
 *
 * Context: any (takes a chunk's spinlock with interrupts off).
 * Return: the bounce bus address, or DMA_MAPPING_ERROR when no chunk
 * below @mask has room or @size is too large.
 */
dma_addr_t xpv_bounce_map(struct xpv_bounce_pool *pool, u64 mask,
			  unsigned long boundary, phys_addr_t orig,
			  size_t size, unsigned int align_mask)
{
	unsigned int offset = orig & align_mask & ~(XPV_BOUNCE_SLOT - 1);
	unsigned int inner = orig & align_mask & (XPV_BOUNCE_SLOT - 1);
	unsigned int stride = max(1u, (align_mask + 1) / XPV_BOUNCE_SLOT);
	unsigned int nslots, i;
	dma_addr_t bus = DMA_MAPPING_ERROR;

	if (!size || size > XPV_BOUNCE_MAX_MAP)
		goto fail;
	if (size >= PAGE_SIZE)
		stride = max_t(unsigned int, stride,
			       PAGE_SIZE / XPV_BOUNCE_SLOT);
	nslots = DIV_ROUND_UP(offset + inner + size, XPV_BOUNCE_SLOT);
	if (nslots > XPV_BOUNCE_SLOTS)
		goto fail;

	for (i = 0; i < pool->nr_chunks && bus == DMA_MAPPING_ERROR; i++) {
		struct xpv_bounce_chunk *c = &pool->chunk[i];
		unsigned long flags, s;

		if (c->bus + XPV_BOUNCE_CHUNK - 1 > mask)
			continue;
		spin_lock_irqsave(&c->lock, flags);
		s = xpv_bounce_fit(c, nslots, stride, boundary,
				   offset + inner);
		if (s < XPV_BOUNCE_SLOTS) {
			bitmap_set(c->used, s, nslots);
			c->orig[s] = orig - offset - inner;
			c->nslots[s] = nslots;
			bus = c->bus + s * XPV_BOUNCE_SLOT + offset + inner;
		}
		spin_unlock_irqrestore(&c->lock, flags);
	}
	if (bus == DMA_MAPPING_ERROR)
		goto fail;
	atomic_add(nslots, &pool->used_slots);
	atomic64_add(size, &pool->bounced_bytes);
	xpv_bounce_copy(orig, xpv_bounce_find(pool, bus)->vaddr +
			(bus & (XPV_BOUNCE_CHUNK - 1)), size, true);
	return bus;

fail:
	atomic64_inc(&pool->failed);
	return DMA_MAPPING_ERROR;
}

/*
 * The first slot of the live mapping that contains @slot: only a mapping's
 * first slot has its size recorded, the others hold 0.
 */
static unsigned int xpv_bounce_first(const struct xpv_bounce_chunk *c,
				     unsigned int slot)
{
	while (slot > 0 && !c->nslots[slot])
		slot--;
	return slot;
}

/**
 * xpv_bounce_sync() - copy between a bounce buffer and the original
 * @pool:      pool
 * @bus:       bounce bus address (as returned by xpv_bounce_map(), plus
 *             any offset inside the mapping)
 * @size:      bytes
 * @to_device: true: original -> bounce; false: bounce -> original
 *
 * Context: any.
 */
void xpv_bounce_sync(struct xpv_bounce_pool *pool, dma_addr_t bus,
		     size_t size, bool to_device)
{
	struct xpv_bounce_chunk *c = xpv_bounce_find(pool, bus);
	u64 off;
	unsigned int first;
	phys_addr_t orig;

	if (!c)
		return;
	off = bus - c->bus;
	first = xpv_bounce_first(c, off / XPV_BOUNCE_SLOT);
	if (!c->nslots[first] ||
	    off + size > (first + c->nslots[first]) * XPV_BOUNCE_SLOT)
		return;		/* not inside a live mapping: caller bug */
	orig = c->orig[first] + (off - first * XPV_BOUNCE_SLOT);
	xpv_bounce_copy(orig, c->vaddr + off, size, to_device);
}

/**
 * xpv_bounce_unmap() - release a bounce buffer
 * @pool:  pool
 * @bus:   address returned by xpv_bounce_map()
 * @size:  the size mapped
 * @dir:   DMA direction; FROM_DEVICE and BIDIRECTIONAL copy back
 * @attrs: DMA_ATTR_SKIP_CPU_SYNC skips the copy
 *
 * Context: any (takes the chunk's spinlock with interrupts off).
 * Return: 0, or -EINVAL when @bus is not a live bounce mapping (a caller
 * bug, reported ratelimited by the caller; nothing is copied).
 */
int xpv_bounce_unmap(struct xpv_bounce_pool *pool, dma_addr_t bus,
		     size_t size, enum dma_data_direction dir,
		     unsigned long attrs)
{
	struct xpv_bounce_chunk *c = xpv_bounce_find(pool, bus);
	unsigned int slot, nslots;
	unsigned long flags;

	if (!c)
		return -EINVAL;
	spin_lock_irqsave(&c->lock, flags);
	slot = xpv_bounce_first(c, (bus - c->bus) / XPV_BOUNCE_SLOT);
	nslots = c->nslots[slot];
	spin_unlock_irqrestore(&c->lock, flags);
	if (!nslots || !test_bit(slot, c->used))
		return -EINVAL;

	/* The mapping is the caller's until released below. */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		xpv_bounce_sync(pool, bus, size, false);

	spin_lock_irqsave(&c->lock, flags);
	bitmap_clear(c->used, slot, nslots);
	c->nslots[slot] = 0;
	spin_unlock_irqrestore(&c->lock, flags);
	atomic_sub(nslots, &pool->used_slots);
	return 0;
}
