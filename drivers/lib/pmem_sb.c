// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmem_sb.c - the Xen reservation info block: sizing rule, Fletcher-64,
 * encode, validate (in libnvdimm's order), primary/backup choice and the
 * derived pmem report.
 *
 * Pure logic: no kernel services, compiled unchanged in userspace tests.
 * The block is read and written byte by byte as little-endian, so the
 * same code is right on any host and needs no byte-order headers.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#include <xpv/lib/range.h>
#include <xpv/pmem_sb.h>

#define XPV_SB_CSUM_OFF	__builtin_offsetof(struct xpv_pmem_sb, checksum)

static u32 xpv_get_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static u16 xpv_get_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static u64 xpv_get_le64(const void *p)
{
	const u8 *b = p;

	return (u64)xpv_get_le32(b) | (u64)xpv_get_le32(b + 4) << 32;
}

static void xpv_put_le(void *p, u64 v, unsigned int bytes)
{
	u8 *b = p;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		b[i] = (u8)(v >> (8 * i));
}

/**
 * xpv_fletcher64() - Fletcher-64 over little-endian 32-bit words
 * @buf: data
 * @len: length in bytes; a trailing partial word is ignored
 *
 * The same sums as the kernel's nd_fletcher64(@buf, @len, true): a 32-bit
 * running sum of the words and a sum of those running sums, of which the
 * low 32 bits end up in the high half of the result.
 *
 * Context: any.
 * Return: the checksum.
 */
u64 xpv_fletcher64(const void *buf, size_t len)
{
	const u8 *b = buf;
	u32 lo = 0;
	u64 hi = 0;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		lo += xpv_get_le32(b + i);
		hi += lo;
	}
	return hi << 32 | lo;
}

/**
 * xpv_pmem_sb_checksum() - the checksum @sb should carry
 * @sb: block
 *
 * Computed as if the checksum field were zero, without writing to @sb.
 *
 * Context: any.
 * Return: Fletcher-64 of the block with its checksum field zeroed.
 */
u64 xpv_pmem_sb_checksum(const struct xpv_pmem_sb *sb)
{
	const u8 *b = (const u8 *)sb;
	u32 lo = 0;
	u64 hi = 0;
	size_t i;

	for (i = 0; i < XPV_PMEM_SB_SIZE; i += 4) {
		if (i < XPV_SB_CSUM_OFF)
			lo += xpv_get_le32(b + i);
		hi += lo;
	}
	return hi << 32 | lo;
}

/**
 * xpv_pmem_default_sizes() - entry sizes for a range starting at @spfn
 * @spfn:  first frame of the covered range
 * @sizes: result: 32-byte page_info, 8-byte M2P, 4-byte compat M2P (0 at
 *         or above 1 TiB, where Xen keeps no compat M2P)
 *
 * Context: any.
 */
void xpv_pmem_default_sizes(u64 spfn, struct xpv_pmem_entry_sizes *sizes)
{
	sizes->page_info = XPV_PMEM_PAGE_INFO_SIZE;
	sizes->m2p = XPV_PMEM_M2P_ENTRY_SIZE;
	sizes->compat_m2p = spfn < XPV_PMEM_COMPAT_LIMIT_PFN ?
			    XPV_PMEM_COMPAT_M2P_ENTRY_SIZE : 0;
}

/* Bytes of a table with @esz-byte entries for frames [lo, hi), 2M-rounded. */
static int xpv_table_bytes(u64 lo, u64 hi, u32 esz, u64 *out)
{
	u64 bytes;

	if (hi <= lo) {
		*out = 0;
		return 0;
	}
	if (xpv_mul_u64(hi - lo, esz, &bytes))
		return -EOVERFLOW;
	return xpv_align_up(bytes, XPV_PMEM_ALIGN, out);
}

/**
 * xpv_pmem_rsv_size() - reserved-area size Xen needs for [@spfn, @epfn)
 * @spfn:  first frame of the covered range, 2 MiB (512 frames) aligned
 * @epfn:  end frame (exclusive), 2 MiB aligned, above @spfn
 * @sizes: entry sizes, or NULL for xpv_pmem_default_sizes(@spfn)
 * @bytes: result
 *
 * Xen fills the area in 2 MiB chunks and keeps one spare chunk.  The frame
 * table is built per 2^16-frame group, the M2P per 2^18 frames and the
 * compat M2P (frames below 2^28 only) per 2^19 frames:
 *
 *   FT   = (ALIGN_UP(E, 2^16) - ALIGN_DN(S, 2^16)) * page_info
 *   M2P  = (ALIGN_UP(E, 2^18) - ALIGN_DN(S, 2^18)) * m2p
 *   CM2P = S < 2^28 ? (min(ALIGN_UP(E, 2^19), 2^28) - ALIGN_DN(S, 2^19))
 *                     * compat_m2p : 0
 *   RSV  = ALIGN_UP(FT, 2M) + ALIGN_UP(M2P, 2M) + ALIGN_UP(CM2P, 2M) + 2M
 *
 * E.g. 1 GiB at 4 GiB: 14 MiB; 4 GiB at 4 GiB: 46 MiB; 16 GiB at 5 GiB:
 * 180 MiB.
 *
 * Context: any.
 * Return: 0; -EINVAL for an empty or misaligned range; -EOVERFLOW when a
 * size does not fit in 64 bits.
 */
int xpv_pmem_rsv_size(u64 spfn, u64 epfn,
		      const struct xpv_pmem_entry_sizes *sizes, u64 *bytes)
{
	struct xpv_pmem_entry_sizes def;
	u64 ft, m2p, cm2p = 0, hi, total;

	if (spfn >= epfn || !xpv_is_aligned(spfn, XPV_PMEM_ALIGN_FRAMES) ||
	    !xpv_is_aligned(epfn, XPV_PMEM_ALIGN_FRAMES))
		return -EINVAL;
	if (!sizes) {
		xpv_pmem_default_sizes(spfn, &def);
		sizes = &def;
	}
	if (xpv_align_up(epfn, 1ull << 16, &hi) ||
	    xpv_table_bytes(xpv_align_down(spfn, 1ull << 16), hi,
			    sizes->page_info, &ft))
		return -EOVERFLOW;
	if (xpv_align_up(epfn, 1ull << 18, &hi) ||
	    xpv_table_bytes(xpv_align_down(spfn, 1ull << 18), hi,
			    sizes->m2p, &m2p))
		return -EOVERFLOW;
	if (spfn < XPV_PMEM_COMPAT_LIMIT_PFN) {
		/* An end that cannot be rounded up is above 2^28 anyway. */
		if (xpv_align_up(epfn, 1ull << 19, &hi) ||
		    hi > XPV_PMEM_COMPAT_LIMIT_PFN)
			hi = XPV_PMEM_COMPAT_LIMIT_PFN;
		if (xpv_table_bytes(xpv_align_down(spfn, 1ull << 19), hi,
				    sizes->compat_m2p, &cm2p))
			return -EOVERFLOW;
	}
	if (xpv_add_u64(ft, m2p, &total) || xpv_add_u64(total, cm2p, &total) ||
	    xpv_add_u64(total, XPV_PMEM_ALIGN, &total))
		return -EOVERFLOW;
	*bytes = total;
	return 0;
}

/**
 * xpv_pmem_plan() - geometry of a new reservation namespace
 * @region_spa:  region start
 * @region_size: region size
 * @ns_spa:      where the reservation namespace starts (normally
 *               @region_spa: it is created first, in an empty region)
 * @sizes:       entry sizes, or NULL for the defaults
 * @g:           result; @g->ns_size is the smallest namespace that holds
 *               the info blocks and the reserved area
 *
 * The covered range is the region shrunk to 2 MiB boundaries; the
 * reserved area starts at the first 2 MiB-aligned SPA at or after
 * @ns_spa + 12 KiB.  A tool that gets a larger namespace than asked for
 * (label alignment) passes the real one to xpv_pmem_fit(), which grows
 * the reserved area to its end.
 *
 * Context: any.
 * Return: 0; -EOVERFLOW for sums that wrap; -EINVAL when the region holds
 * no 2 MiB-aligned range; -ENOSPC when the namespace would not fit in the
 * region.
 */
int xpv_pmem_plan(u64 region_spa, u64 region_size, u64 ns_spa,
		  const struct xpv_pmem_entry_sizes *sizes,
		  struct xpv_pmem_geom *g)
{
	struct xpv_range region, cov;
	u64 rsv_spa, ns_end;
	int ret;

	memset(g, 0, sizeof(*g));
	if (xpv_range_from_base_size(region_spa, region_size, &region))
		return -EOVERFLOW;
	ret = xpv_align_up(region.start, XPV_PMEM_ALIGN, &cov.start);
	if (ret)
		return ret;
	cov.end = xpv_align_down(region.end, XPV_PMEM_ALIGN);
	if (xpv_range_empty(&cov))
		return -EINVAL;
	g->covered_spa = cov.start;
	g->covered_size = cov.end - cov.start;
	if (sizes)
		g->sizes = *sizes;
	else
		xpv_pmem_default_sizes(cov.start >> XPV_PMEM_PAGE_SHIFT,
				       &g->sizes);
	ret = xpv_pmem_rsv_size(cov.start >> XPV_PMEM_PAGE_SHIFT,
				cov.end >> XPV_PMEM_PAGE_SHIFT, &g->sizes,
				&g->rsv_size);
	if (ret)
		return ret;
	if (xpv_add_u64(ns_spa, XPV_PMEM_SB_HDR_END, &rsv_spa) ||
	    xpv_align_up(rsv_spa, XPV_PMEM_ALIGN, &rsv_spa))
		return -EOVERFLOW;
	g->ns_spa = ns_spa;
	g->rsv_off = rsv_spa - ns_spa;
	if (xpv_add_u64(g->rsv_off, g->rsv_size, &g->ns_size) ||
	    xpv_add_u64(ns_spa, g->ns_size, &ns_end))
		return -EOVERFLOW;
	if (ns_spa < region.start || ns_end > region.end)
		return -ENOSPC;
	return 0;
}

/* The namespace end rounded down to 2 MiB, where the reserved area ends. */
static int xpv_pmem_rsv_end(u64 ns_spa, u64 ns_size, u64 *end)
{
	if (xpv_add_u64(ns_spa, ns_size, end))
		return -EOVERFLOW;
	*end = xpv_align_down(*end, XPV_PMEM_ALIGN);
	return 0;
}

/**
 * xpv_pmem_fit() - fit a plan to the namespace actually created
 * @g:       a plan from xpv_pmem_plan() for @ns_spa
 * @ns_size: the namespace's real size (at least @g->ns_size)
 *
 * Sets @g->ns_size to @ns_size and grows the reserved area to the
 * namespace end rounded down to 2 MiB, so that no part of the namespace is
 * left neither reported nor usable.
 *
 * Context: any.
 * Return: 0, -ENOSPC when @ns_size is smaller than the plan, -EOVERFLOW.
 */
int xpv_pmem_fit(struct xpv_pmem_geom *g, u64 ns_size)
{
	u64 rsv_spa, end;

	if (ns_size < g->ns_size)
		return -ENOSPC;
	if (xpv_pmem_rsv_end(g->ns_spa, ns_size, &end) ||
	    xpv_add_u64(g->ns_spa, g->rsv_off, &rsv_spa))
		return -EOVERFLOW;
	/* At least the plan's end: ns_size >= the plan's aligned size. */
	g->ns_size = ns_size;
	g->rsv_size = end - rsv_spa;
	return 0;
}

static const struct {
	int err;
	const char *str;
} xpv_sb_reasons[XPV_PMEM_SB_NR_REASONS] = {
	[XPV_PMEM_SB_OK] = { 0, "valid" },
	[XPV_PMEM_SB_UNREADABLE] = { -EIO, "unreadable (media error)" },
	[XPV_PMEM_SB_BAD_SIGNATURE] = { -ENODEV, "no Xen info block" },
	[XPV_PMEM_SB_FOREIGN] = { -EBUSY,
		"namespace holds a libnvdimm PFN/DAX/BTT block" },
	[XPV_PMEM_SB_BAD_CHECKSUM] = { -EBADMSG, "checksum mismatch" },
	[XPV_PMEM_SB_BAD_PARENT] = { -ESTALE,
		"written for another namespace (parent uuid)" },
	[XPV_PMEM_SB_BAD_MAJOR] = { -EOPNOTSUPP, "unknown major version" },
	[XPV_PMEM_SB_NONZERO_PADDING] = { -EINVAL, "padding not zero" },
	[XPV_PMEM_SB_BAD_PAGE_SIZE] = { -EOPNOTSUPP, "page size not 4096" },
	[XPV_PMEM_SB_BAD_ENTRY_SIZE] = { -EINVAL,
		"page_info/M2P entry size out of bounds" },
	[XPV_PMEM_SB_BAD_LIVE] = { -EINVAL,
		"live namespace not inside its region" },
	[XPV_PMEM_SB_WRAP] = { -EOVERFLOW,
		"base + size wraps around 2^64" },
	[XPV_PMEM_SB_EMPTY] = { -EINVAL, "covered or reserved size is 0" },
	[XPV_PMEM_SB_MISALIGNED] = { -EINVAL,
		"covered or reserved range not 2 MiB aligned" },
	[XPV_PMEM_SB_NS_CHANGED] = { -ENXIO,
		"namespace moved or resized since the block was written" },
	[XPV_PMEM_SB_OUTSIDE_REGION] = { -ENXIO,
		"covered range not inside the region" },
	[XPV_PMEM_SB_RSV_OUTSIDE_NS] = { -EINVAL,
		"reserved area not inside the namespace" },
	[XPV_PMEM_SB_RSV_OVERLAPS_HDR] = { -EINVAL,
		"reserved area overlaps the info blocks" },
	[XPV_PMEM_SB_RSV_OUTSIDE_COVERED] = { -EINVAL,
		"reserved area not inside the covered range" },
	[XPV_PMEM_SB_RSV_SHORT] = { -EINVAL,
		"reserved area does not run to the namespace end" },
	[XPV_PMEM_SB_BAD_COMPAT] = { -EINVAL,
		"compat M2P entry size disagrees with the 1 TiB rule" },
	[XPV_PMEM_SB_TOO_SMALL] = { -ENOSPC,
		"reserved area smaller than Xen needs" },
};

/**
 * xpv_pmem_sb_reason_errno() - the errno of a refusal reason
 * @reason: reason
 *
 * Context: any.
 * Return: 0 for %XPV_PMEM_SB_OK, a negative errno otherwise (-EINVAL for
 * an out-of-range @reason).
 */
int xpv_pmem_sb_reason_errno(enum xpv_pmem_sb_reason reason)
{
	if ((unsigned int)reason >= XPV_PMEM_SB_NR_REASONS)
		return -EINVAL;
	return xpv_sb_reasons[reason].err;
}

/**
 * xpv_pmem_sb_reason_str() - one line explaining a refusal reason
 * @reason: reason
 *
 * Context: any.
 * Return: a static string (never NULL).
 */
const char *xpv_pmem_sb_reason_str(enum xpv_pmem_sb_reason reason)
{
	if ((unsigned int)reason >= XPV_PMEM_SB_NR_REASONS)
		return "unknown reason";
	return xpv_sb_reasons[reason].str;
}

/**
 * xpv_pmem_report_may_own() - may the hypervisor own a range it was sent?
 * @rc: what the pmem report op returned
 *
 * Only errors that say the report was not taken leave the reserved range
 * to Dom0: -ENOSYS (no such op), -EPERM (not the hardware domain), -EINVAL
 * (malformed) and -ENOSPC (reserved area too small) are all decided
 * before anything is recorded.  Success, -EEXIST (the hypervisor already
 * has an overlapping report, e.g. from a previous kernel) and anything
 * else (-ENOMEM, -EFAULT, an errno this code does not know) may mean the
 * hypervisor holds the range or part of it: the caller must keep it
 * fenced until reboot.
 *
 * Context: any.
 * Return: true unless @rc says nothing was taken.
 */
bool xpv_pmem_report_may_own(long rc)
{
	switch (rc) {
	case -ENOSYS:
	case -EPERM:
	case -EINVAL:
	case -ENOSPC:
		return false;
	default:
		return true;
	}
}

/* Signatures libnvdimm writes at +4 KiB (PFN, DAX, BTT), NUL padded. */
static const char xpv_foreign_sigs[][XPV_PMEM_SB_SIG_LEN] = {
	"NVDIMM_PFN_INFO", "NVDIMM_DAX_INFO", "BTT_ARENA_INFO", "",
};

static bool xpv_sig_is_foreign(const u8 *sig)
{
	unsigned int i;

	for (i = 0; xpv_foreign_sigs[i][0]; i++)
		if (!memcmp(sig, xpv_foreign_sigs[i], XPV_PMEM_SB_SIG_LEN))
			return true;
	return false;
}

static void xpv_sb_decode(const struct xpv_pmem_sb *sb,
			  struct xpv_pmem_sb_info *info)
{
	struct xpv_pmem_geom *g = &info->geom;

	memset(info, 0, sizeof(*info));
	memcpy(info->uuid, sb->uuid, sizeof(info->uuid));
	info->version_major = xpv_get_le16(&sb->version_major);
	info->version_minor = xpv_get_le16(&sb->version_minor);
	g->covered_spa = xpv_get_le64(&sb->covered_spa);
	g->covered_size = xpv_get_le64(&sb->covered_size);
	g->ns_spa = xpv_get_le64(&sb->ns_spa);
	g->ns_size = xpv_get_le64(&sb->ns_size);
	g->rsv_off = xpv_get_le64(&sb->rsv_off);
	g->rsv_size = xpv_get_le64(&sb->rsv_size);
	g->sizes.page_info = xpv_get_le32(&sb->page_info_size);
	g->sizes.m2p = xpv_get_le32(&sb->m2p_entry_size);
	g->sizes.compat_m2p = xpv_get_le32(&sb->compat_m2p_entry_size);
}

static bool xpv_entry_size_ok(u32 v, u32 min)
{
	return v >= min && v <= XPV_PMEM_ENTRY_SIZE_MAX;
}

static bool xpv_all_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The format checks that follow the version (libnvdimm's "defaults"). */
static enum xpv_pmem_sb_reason
xpv_sb_check_format(const struct xpv_pmem_sb *sb,
		    const struct xpv_pmem_sb_info *info)
{
	const struct xpv_pmem_entry_sizes *sz = &info->geom.sizes;

	if (info->version_major != XPV_PMEM_SB_MAJOR)
		return XPV_PMEM_SB_BAD_MAJOR;
	/* A newer minor may have put fields in the reserved word or padding. */
	if (info->version_minor <= XPV_PMEM_SB_MINOR &&
	    (xpv_get_le32(&sb->reserved) ||
	     !xpv_all_zero(sb->padding, sizeof(sb->padding))))
		return XPV_PMEM_SB_NONZERO_PADDING;
	if (xpv_get_le32(&sb->page_size) != XPV_PMEM_PAGE_SIZE)
		return XPV_PMEM_SB_BAD_PAGE_SIZE;
	if (!xpv_entry_size_ok(sz->page_info, XPV_PMEM_PAGE_INFO_SIZE) ||
	    !xpv_entry_size_ok(sz->m2p, XPV_PMEM_M2P_ENTRY_SIZE) ||
	    (sz->compat_m2p &&
	     !xpv_entry_size_ok(sz->compat_m2p,
				XPV_PMEM_COMPAT_M2P_ENTRY_SIZE)))
		return XPV_PMEM_SB_BAD_ENTRY_SIZE;
	return XPV_PMEM_SB_OK;
}

/* Geometry against itself, the live namespace and the region. */
static enum xpv_pmem_sb_reason
xpv_sb_check_geom(struct xpv_pmem_sb_info *info,
		  const struct xpv_pmem_live *live)
{
	const struct xpv_pmem_geom *g = &info->geom;
	struct xpv_range ns, region, cov, rsv, rsv_in_ns;
	bool below_1t, has_compat;
	u64 rsv_end;

	if (xpv_range_from_base_size(g->covered_spa, g->covered_size, &cov) ||
	    xpv_range_from_base_size(g->rsv_off, g->rsv_size, &rsv_in_ns) ||
	    xpv_range_from_base_size(g->ns_spa, g->rsv_off, &rsv) ||
	    xpv_range_from_base_size(rsv.end, g->rsv_size, &rsv) ||
	    xpv_range_from_base_size(g->ns_spa, g->ns_size, &ns))
		return XPV_PMEM_SB_WRAP;
	if (xpv_range_from_base_size(live->ns_spa, live->ns_size, &ns) ||
	    xpv_range_from_base_size(live->region_spa, live->region_size,
				     &region) ||
	    !xpv_range_contains(&region, &ns))
		return XPV_PMEM_SB_BAD_LIVE;
	if (!g->covered_size || !g->rsv_size)
		return XPV_PMEM_SB_EMPTY;
	if (!xpv_is_aligned(cov.start, XPV_PMEM_ALIGN) ||
	    !xpv_is_aligned(cov.end, XPV_PMEM_ALIGN) ||
	    !xpv_is_aligned(rsv.start, XPV_PMEM_ALIGN) ||
	    !xpv_is_aligned(rsv.end, XPV_PMEM_ALIGN))
		return XPV_PMEM_SB_MISALIGNED;
	if (g->ns_spa != live->ns_spa || g->ns_size != live->ns_size)
		return XPV_PMEM_SB_NS_CHANGED;
	if (!xpv_range_contains(&region, &cov))
		return XPV_PMEM_SB_OUTSIDE_REGION;
	if (rsv_in_ns.end > g->ns_size)
		return XPV_PMEM_SB_RSV_OUTSIDE_NS;
	if (rsv_in_ns.start < XPV_PMEM_SB_HDR_END)
		return XPV_PMEM_SB_RSV_OVERLAPS_HDR;
	if (!xpv_range_contains(&cov, &rsv))
		return XPV_PMEM_SB_RSV_OUTSIDE_COVERED;
	/* ns_spa + ns_size does not wrap: checked above. */
	xpv_pmem_rsv_end(g->ns_spa, g->ns_size, &rsv_end);
	if (rsv.end != rsv_end)
		return XPV_PMEM_SB_RSV_SHORT;
	below_1t = (cov.start >> XPV_PMEM_PAGE_SHIFT) <
		   XPV_PMEM_COMPAT_LIMIT_PFN;
	has_compat = g->sizes.compat_m2p != 0;
	if (below_1t != has_compat)
		return XPV_PMEM_SB_BAD_COMPAT;
	if (xpv_pmem_rsv_size(cov.start >> XPV_PMEM_PAGE_SHIFT,
			      cov.end >> XPV_PMEM_PAGE_SHIFT, &g->sizes,
			      &info->rsv_min))
		return XPV_PMEM_SB_WRAP;
	if (g->rsv_size < info->rsv_min)
		return XPV_PMEM_SB_TOO_SMALL;
	return XPV_PMEM_SB_OK;
}

/**
 * xpv_pmem_sb_validate() - check a block the way libnvdimm checks its own
 * @sb:     the block as read from media (not modified)
 * @live:   the namespace and region as the kernel sees them now
 * @info:   decoded block, or NULL; filled only on success
 * @reason: why it was refused, or NULL
 *
 * Order: signature, checksum, parent uuid, version (unknown major refused,
 * newer minor accepted), format values, then geometry: wraparound, the
 * caller's live view, empty, 2 MiB alignment, namespace unchanged,
 * covered range inside the region, reserved area inside the namespace,
 * clear of the info blocks, inside the covered range and running to the
 * namespace end (rounded down to 2 MiB), compat M2P rule, and size against
 * the formula recomputed with the recorded entry sizes.  The first failure
 * decides.
 *
 * Context: any.
 * Return: 0 or the errno of @reason: -ENODEV (no block), -EBUSY (a
 * libnvdimm block), -EBADMSG (checksum), -ESTALE (parent uuid),
 * -EOPNOTSUPP (version, page size), -EOVERFLOW (wraparound),
 * -ENXIO (namespace changed, outside the region), -ENOSPC (too small),
 * -EINVAL (anything else malformed).
 */
int xpv_pmem_sb_validate(const struct xpv_pmem_sb *sb,
			 const struct xpv_pmem_live *live,
			 struct xpv_pmem_sb_info *info,
			 enum xpv_pmem_sb_reason *reason)
{
	struct xpv_pmem_sb_info tmp;
	enum xpv_pmem_sb_reason why;

	memset(&tmp, 0, sizeof(tmp));
	if (memcmp(sb->signature, XPV_PMEM_SB_SIG, XPV_PMEM_SB_SIG_LEN))
		why = xpv_sig_is_foreign(sb->signature) ?
		      XPV_PMEM_SB_FOREIGN : XPV_PMEM_SB_BAD_SIGNATURE;
	else if (xpv_get_le64(&sb->checksum) != xpv_pmem_sb_checksum(sb))
		why = XPV_PMEM_SB_BAD_CHECKSUM;
	else if (memcmp(sb->parent_uuid, live->parent_uuid, 16))
		why = XPV_PMEM_SB_BAD_PARENT;
	else
		why = XPV_PMEM_SB_OK;
	if (why == XPV_PMEM_SB_OK) {
		xpv_sb_decode(sb, &tmp);
		why = xpv_sb_check_format(sb, &tmp);
		if (why == XPV_PMEM_SB_OK)
			why = xpv_sb_check_geom(&tmp, live);
	}
	if (reason)
		*reason = why;
	if (why == XPV_PMEM_SB_OK && info)
		*info = tmp;
	return xpv_sb_reasons[why].err;
}

/**
 * xpv_pmem_sb_encode() - fill a block, checksum last
 * @sb:          the block to write (all 4096 bytes are set)
 * @g:           geometry
 * @uuid:        reservation uuid
 * @parent_uuid: uuid of the namespace that will hold the block
 * @reason:      why @g was refused, or NULL
 *
 * The result is validated against a live view built from @g itself (region
 * = covered range), so a block is never written that the module would
 * refuse for its own content.  On failure @sb is all zero.
 *
 * Context: any.
 * Return: 0, or the errno xpv_pmem_sb_validate() gives for @g.
 */
int xpv_pmem_sb_encode(struct xpv_pmem_sb *sb, const struct xpv_pmem_geom *g,
		       const u8 uuid[16], const u8 parent_uuid[16],
		       enum xpv_pmem_sb_reason *reason)
{
	struct xpv_pmem_live live;
	u64 cov_end, ns_end;
	int ret;

	memset(sb, 0, sizeof(*sb));
	memcpy(sb->signature, XPV_PMEM_SB_SIG, XPV_PMEM_SB_SIG_LEN);
	memcpy(sb->uuid, uuid, sizeof(sb->uuid));
	memcpy(sb->parent_uuid, parent_uuid, sizeof(sb->parent_uuid));
	xpv_put_le(&sb->version_major, XPV_PMEM_SB_MAJOR, 2);
	xpv_put_le(&sb->version_minor, XPV_PMEM_SB_MINOR, 2);
	xpv_put_le(&sb->covered_spa, g->covered_spa, 8);
	xpv_put_le(&sb->covered_size, g->covered_size, 8);
	xpv_put_le(&sb->rsv_off, g->rsv_off, 8);
	xpv_put_le(&sb->rsv_size, g->rsv_size, 8);
	xpv_put_le(&sb->page_size, XPV_PMEM_PAGE_SIZE, 4);
	xpv_put_le(&sb->page_info_size, g->sizes.page_info, 4);
	xpv_put_le(&sb->m2p_entry_size, g->sizes.m2p, 4);
	xpv_put_le(&sb->compat_m2p_entry_size, g->sizes.compat_m2p, 4);
	xpv_put_le(&sb->ns_spa, g->ns_spa, 8);
	xpv_put_le(&sb->ns_size, g->ns_size, 8);
	xpv_put_le(&sb->checksum, xpv_pmem_sb_checksum(sb), 8);

	/*
	 * The region is whatever holds both the covered range and the
	 * namespace (which may start before a covered range rounded up to
	 * 2 MiB).  Wrapping sums are refused by the validator before it
	 * looks at the region.
	 */
	memcpy(live.parent_uuid, parent_uuid, sizeof(live.parent_uuid));
	live.ns_spa = g->ns_spa;
	live.ns_size = g->ns_size;
	live.region_spa = g->covered_spa < g->ns_spa ?
			  g->covered_spa : g->ns_spa;
	cov_end = g->covered_spa + g->covered_size;
	ns_end = g->ns_spa + g->ns_size;
	live.region_size = (cov_end > ns_end ? cov_end : ns_end) -
			   live.region_spa;
	ret = xpv_pmem_sb_validate(sb, &live, NULL, reason);
	if (ret)
		memset(sb, 0, sizeof(*sb));
	return ret;
}

/* Validate one copy; NULL is a copy that could not be read. */
static int xpv_sb_validate_copy(const struct xpv_pmem_sb *sb,
				const struct xpv_pmem_live *live,
				struct xpv_pmem_sb_info *info,
				enum xpv_pmem_sb_reason *reason)
{
	if (!sb) {
		*reason = XPV_PMEM_SB_UNREADABLE;
		return xpv_sb_reasons[XPV_PMEM_SB_UNREADABLE].err;
	}
	return xpv_pmem_sb_validate(sb, live, info, reason);
}

/**
 * xpv_pmem_sb_choose() - pick the copy to trust and what to repair
 * @primary: block read at +4 KiB, or NULL when reading it failed (-EIO)
 * @backup:  block read at +8 KiB, or NULL when reading it failed
 * @live:    the namespace and region now
 * @out:     decision
 *
 * Writers update the backup first, then the primary, so a torn write
 * leaves at most one bad copy and the good one is either the old or the
 * new block:
 *  - both valid: use the primary; if the copies differ (a crash between
 *    the two writes), rewrite the backup from it;
 *  - only the primary valid: use it, rewrite the backup;
 *  - only the backup valid: use it, rewrite the primary ("repair");
 *  - the primary carries a libnvdimm signature: the namespace was
 *    reconfigured by someone else; refuse, never "repair" over it;
 *  - neither valid: refuse.
 * An unreadable copy (a bad block) is a bad copy like any other: the
 * rewrite from the good one is what clears the poison.
 *
 * Context: any.
 * Return: 0 when a copy can be used, else the errno of whichever copy got
 * further through the checks (the primary's on a tie).
 */
int xpv_pmem_sb_choose(const struct xpv_pmem_sb *primary,
		       const struct xpv_pmem_sb *backup,
		       const struct xpv_pmem_live *live,
		       struct xpv_pmem_sb_choice *out)
{
	struct xpv_pmem_sb_info binfo;

	memset(out, 0, sizeof(*out));
	out->primary_err = xpv_sb_validate_copy(primary, live, &out->info,
						&out->primary_reason);
	out->backup_err = xpv_sb_validate_copy(backup, live, &binfo,
					       &out->backup_reason);
	if (!out->primary_err) {
		out->use = XPV_PMEM_SB_USE_PRIMARY;
		out->repair_backup = out->backup_err ||
				     memcmp(primary, backup, sizeof(*primary));
		return 0;
	}
	memset(&out->info, 0, sizeof(out->info));
	if (!out->backup_err &&
	    out->primary_reason != XPV_PMEM_SB_FOREIGN) {
		out->use = XPV_PMEM_SB_USE_BACKUP;
		out->repair_primary = true;
		out->info = binfo;
		return 0;
	}
	if (out->primary_reason == XPV_PMEM_SB_FOREIGN ||
	    out->primary_reason >= out->backup_reason)
		return out->primary_err;
	return out->backup_err;
}

/**
 * xpv_pmem_sb_report() - the pmem report for a validated block
 * @info: from xpv_pmem_sb_validate() or xpv_pmem_sb_choose()
 * @rep:  frames to report: the covered range, the reserved area, and as
 *        data area the larger part of the covered range left of or right
 *        of the reservation namespace (right on a tie; with the namespace
 *        first in its region, that is the rest of the region)
 *
 * Context: any.
 * Return: 0, or -ENOSPC when the namespace leaves no whole page of the
 * covered range for data (@rep is then all zero).
 */
int xpv_pmem_sb_report(const struct xpv_pmem_sb_info *info,
		       struct xpv_xenpf_pmem_add *rep)
{
	const struct xpv_pmem_geom *g = &info->geom;
	struct xpv_range cov, ns, piece[2], *data;
	unsigned int n, i;
	u64 s, e;

	memset(rep, 0, sizeof(*rep));
	cov.start = g->covered_spa;
	cov.end = g->covered_spa + g->covered_size;
	ns.start = g->ns_spa;
	ns.end = g->ns_spa + g->ns_size;
	n = xpv_range_subtract(&cov, &ns, piece);
	/* Whole pages only. */
	for (i = 0; i < n; i++) {
		if (xpv_align_up(piece[i].start, XPV_PMEM_PAGE_SIZE, &s))
			s = piece[i].end;
		e = xpv_align_down(piece[i].end, XPV_PMEM_PAGE_SIZE);
		piece[i].start = s;
		piece[i].end = e;
	}
	data = NULL;
	for (i = 0; i < n; i++)
		if (!xpv_range_empty(&piece[i]) &&
		    (!data || xpv_range_len(&piece[i]) >= xpv_range_len(data)))
			data = &piece[i];
	if (!data)
		return -ENOSPC;
	rep->spfn = cov.start >> XPV_PMEM_PAGE_SHIFT;
	rep->epfn = cov.end >> XPV_PMEM_PAGE_SHIFT;
	rep->rsv_spfn = (g->ns_spa + g->rsv_off) >> XPV_PMEM_PAGE_SHIFT;
	rep->rsv_epfn = rep->rsv_spfn + (g->rsv_size >> XPV_PMEM_PAGE_SHIFT);
	rep->data_spfn = data->start >> XPV_PMEM_PAGE_SHIFT;
	rep->data_epfn = data->end >> XPV_PMEM_PAGE_SHIFT;
	return 0;
}
