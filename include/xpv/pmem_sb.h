/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmem_sb.h - the on-media "Xen reservation info block", shared by the
 * xen_pmem module and the ndctl-xen tool.
 *
 * A reservation namespace is laid out as
 *
 *	+0       zero
 *	+4 KiB   info block (primary)
 *	+8 KiB   info block (backup copy; written first)
 *	+12 KiB  zero up to rsv_off
 *	rsv_off  reserved area, rsv_size bytes, given to Xen for the frame
 *	         table (page_info) and M2P of the covered range
 *
 * rsv_off is the first offset at or after 12 KiB whose SPA is 2 MiB
 * aligned (2 MiB for a 2 MiB-aligned namespace), and the reserved area
 * runs from there to the namespace end (rounded down to 2 MiB, the
 * granule Xen accepts): a namespace rounded up to the region alignment
 * leaves no tail that is neither reported nor usable.  The primary sits
 * where libnvdimm looks for its PFN/DAX/BTT blocks, so a stock nd_pmem
 * sees a foreign signature and treats the namespace as raw.  ndctl's wipe
 * of the first 8 KiB (reconfiguring or destroying a namespace) removes
 * the primary only: the backup at +8 KiB survives.  It is trusted again
 * only for the same namespace (parent uuid) and only while the primary
 * holds no libnvdimm block, so a namespace ndctl turned into fsdax/devdax
 * is refused, never "repaired", and a new namespace at the same place is
 * not mistaken for the old one.  Every field is little-endian; fields are
 * only ever appended (taken from the padding) with a new minor version;
 * the Fletcher-64 checksum is last and computed exactly like the kernel's
 * nd_fletcher64(block, 4096, true) with the checksum field zeroed.
 *
 * The helpers are pure logic (drivers/lib/pmem_sb.c): the same code runs
 * in the kernel and in userspace (build with -Itests/unit/shim -Iinclude).
 * Documentation/media-format.rst has the layout table and the sizing rule
 * with worked figures.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_PMEM_SB_H
#define XPV_PMEM_SB_H

#include <linux/types.h>
#include <xpv/abi/pmem_op.h>

/* Label name of a reservation namespace (the tool sets, the module matches). */
#define XPV_PMEM_NS_NAME		"xen-pagemap"

#define XPV_PMEM_SB_SIG			"XEN_PMEM_INFO\0\0"	/* + NUL = 16 */
#define XPV_PMEM_SB_SIG_LEN		16
#define XPV_PMEM_SB_MAJOR		1
#define XPV_PMEM_SB_MINOR		0
#define XPV_PMEM_SB_SIZE		4096
#define XPV_PMEM_SB_PRIMARY_OFF		0x1000ull
#define XPV_PMEM_SB_BACKUP_OFF		0x2000ull
/* End of the two copies: the reserved area starts at or after this. */
#define XPV_PMEM_SB_HDR_END		0x3000ull

/* Xen hot-adds frame table and M2P in 2 MiB chunks. */
#define XPV_PMEM_ALIGN			0x200000ull
#define XPV_PMEM_PAGE_SIZE		4096u
#define XPV_PMEM_PAGE_SHIFT		12
/* Compat (32-bit) M2P entries exist only for frames below 1 TiB. */
#define XPV_PMEM_COMPAT_LIMIT_PFN	0x10000000ull	/* 2^28 */

/* Entry sizes on x86-64 Xen without CONFIG_BIGMEM (page_info is 48 with). */
#define XPV_PMEM_PAGE_INFO_SIZE		32u
#define XPV_PMEM_M2P_ENTRY_SIZE		8u
#define XPV_PMEM_COMPAT_M2P_ENTRY_SIZE	4u
/* Sanity bound on recorded entry sizes; anything larger is corruption. */
#define XPV_PMEM_ENTRY_SIZE_MAX		1024u

/**
 * struct xpv_pmem_sb - the info block (4096 bytes, little-endian)
 * @signature:             %XPV_PMEM_SB_SIG.
 * @uuid:                  this reservation.
 * @parent_uuid:           uuid of the namespace holding the block.
 * @version_major:         %XPV_PMEM_SB_MAJOR; another major is refused.
 * @version_minor:         a newer minor is accepted (fields appended).
 * @reserved:              zero; keeps the 64-bit fields aligned.
 * @covered_spa:           SPA of the range whose frame table lives here.
 * @covered_size:          its size in bytes.
 * @rsv_off:               reserved area, offset from the namespace start.
 * @rsv_size:              reserved area size in bytes; it runs to the
 *                         namespace end (rounded down to 2 MiB).
 * @page_size:             4096.
 * @page_info_size:        bytes per frame-table entry the area was sized for.
 * @m2p_entry_size:        bytes per M2P entry.
 * @compat_m2p_entry_size: bytes per compat M2P entry; 0 when the covered
 *                         range starts at or above 1 TiB.
 * @ns_spa:                namespace SPA when the block was written.
 * @ns_size:               namespace size when the block was written.
 * @padding:               zero.
 * @checksum:              Fletcher-64 of the block with this field zeroed.
 *
 * The order is the one vNVDIMM design v2 / issue 6 lists.  There is no
 * flags word: an incompatible change takes a new major version, a
 * compatible one appends fields under a new minor version.
 */
struct xpv_pmem_sb {
	u8 signature[XPV_PMEM_SB_SIG_LEN];
	u8 uuid[16];
	u8 parent_uuid[16];
	__le16 version_major;
	__le16 version_minor;
	__le32 reserved;
	__le64 covered_spa;
	__le64 covered_size;
	__le64 rsv_off;
	__le64 rsv_size;
	__le32 page_size;
	__le32 page_info_size;
	__le32 m2p_entry_size;
	__le32 compat_m2p_entry_size;
	__le64 ns_spa;
	__le64 ns_size;
	u8 padding[3968];
	__le64 checksum;
};

/*
 * Frozen layout, checked by every includer (module, tool, tests): a member
 * of this never-used struct gets a negative size, a compile error naming
 * the field, when the field moves.
 */
#define XPV_PMEM_SB_AT(field, off)					\
	char field##_at[__builtin_offsetof(struct xpv_pmem_sb, field) ==	\
			(off) ? 1 : -1]
struct xpv_pmem_sb_layout_check {
	XPV_PMEM_SB_AT(signature, 0x000);
	XPV_PMEM_SB_AT(uuid, 0x010);
	XPV_PMEM_SB_AT(parent_uuid, 0x020);
	XPV_PMEM_SB_AT(version_major, 0x030);
	XPV_PMEM_SB_AT(version_minor, 0x032);
	XPV_PMEM_SB_AT(reserved, 0x034);
	XPV_PMEM_SB_AT(covered_spa, 0x038);
	XPV_PMEM_SB_AT(covered_size, 0x040);
	XPV_PMEM_SB_AT(rsv_off, 0x048);
	XPV_PMEM_SB_AT(rsv_size, 0x050);
	XPV_PMEM_SB_AT(page_size, 0x058);
	XPV_PMEM_SB_AT(page_info_size, 0x05c);
	XPV_PMEM_SB_AT(m2p_entry_size, 0x060);
	XPV_PMEM_SB_AT(compat_m2p_entry_size, 0x064);
	XPV_PMEM_SB_AT(ns_spa, 0x068);
	XPV_PMEM_SB_AT(ns_size, 0x070);
	XPV_PMEM_SB_AT(padding, 0x078);
	XPV_PMEM_SB_AT(checksum, 0xff8);
	char size_is_4k[sizeof(struct xpv_pmem_sb) == XPV_PMEM_SB_SIZE ? 1 : -1];
};

/**
 * struct xpv_pmem_entry_sizes - bytes per frame of each Xen table
 * @page_info:  frame table entry (32; 48 with Xen's CONFIG_BIGMEM).
 * @m2p:        M2P entry (8).
 * @compat_m2p: compat M2P entry (4), or 0 for none.
 */
struct xpv_pmem_entry_sizes {
	u32 page_info;
	u32 m2p;
	u32 compat_m2p;
};

/**
 * struct xpv_pmem_geom - where things are, in bytes
 * @covered_spa:  start of the range whose frame table the area holds.
 * @covered_size: its size.
 * @ns_spa:       reservation namespace start.
 * @ns_size:      reservation namespace size.
 * @rsv_off:      reserved area offset from @ns_spa.
 * @rsv_size:     reserved area size.
 * @sizes:        entry sizes the area is sized for.
 */
struct xpv_pmem_geom {
	u64 covered_spa;
	u64 covered_size;
	u64 ns_spa;
	u64 ns_size;
	u64 rsv_off;
	u64 rsv_size;
	struct xpv_pmem_entry_sizes sizes;
};

/**
 * struct xpv_pmem_live - what the kernel says about the namespace now
 * @parent_uuid: the namespace's uuid (all zero for label-less ones).
 * @ns_spa:      namespace start.
 * @ns_size:     namespace size.
 * @region_spa:  start of the region holding it.
 * @region_size: region size.
 */
struct xpv_pmem_live {
	u8 parent_uuid[16];
	u64 ns_spa;
	u64 ns_size;
	u64 region_spa;
	u64 region_size;
};

/**
 * struct xpv_pmem_sb_info - a decoded, validated block
 * @uuid:          reservation uuid.
 * @version_major: major version.
 * @version_minor: minor version (may be newer than ours).
 * @geom:          geometry.
 * @rsv_min:       the reserved size the formula gives for @geom.
 */
struct xpv_pmem_sb_info {
	u8 uuid[16];
	u16 version_major;
	u16 version_minor;
	struct xpv_pmem_geom geom;
	u64 rsv_min;
};

/**
 * enum xpv_pmem_sb_reason - why a block was refused, in check order
 * @XPV_PMEM_SB_OK:               valid.
 * @XPV_PMEM_SB_UNREADABLE:       the copy could not be read: a media error
 *                                (-EIO).  Treated as a bad copy and
 *                                rewritten from the other one (a 512-byte
 *                                aligned write clears the poison where the
 *                                platform can).
 * @XPV_PMEM_SB_BAD_SIGNATURE:    no info block (-ENODEV).
 * @XPV_PMEM_SB_FOREIGN:          a libnvdimm PFN/DAX/BTT block: the
 *                                namespace belongs to someone else (-EBUSY).
 * @XPV_PMEM_SB_BAD_CHECKSUM:     checksum mismatch (-EBADMSG).
 * @XPV_PMEM_SB_BAD_PARENT:       written for another namespace (-ESTALE).
 * @XPV_PMEM_SB_BAD_MAJOR:        unknown major version (-EOPNOTSUPP).
 * @XPV_PMEM_SB_NONZERO_PADDING:  reserved word or padding not zero in a
 *                                block of a known minor version (-EINVAL).
 * @XPV_PMEM_SB_BAD_PAGE_SIZE:    page size is not 4096 (-EOPNOTSUPP).
 * @XPV_PMEM_SB_BAD_ENTRY_SIZE:   an entry size out of bounds (-EINVAL).
 * @XPV_PMEM_SB_WRAP:             a recorded base + size wraps around
 *                                2^64 (-EOVERFLOW).
 * @XPV_PMEM_SB_BAD_LIVE:         the caller's live namespace/region wraps,
 *                                or the namespace is empty or not inside
 *                                the region (-EINVAL).
 * @XPV_PMEM_SB_EMPTY:            covered or reserved size is 0 (-EINVAL).
 * @XPV_PMEM_SB_MISALIGNED:       covered range or reserved area not 2 MiB
 *                                aligned (-EINVAL).
 * @XPV_PMEM_SB_NS_CHANGED:       namespace moved or resized since the
 *                                block was written (-ENXIO).
 * @XPV_PMEM_SB_OUTSIDE_REGION:   covered range not inside the region
 *                                (-ENXIO).
 * @XPV_PMEM_SB_RSV_OUTSIDE_NS:   reserved area not inside the namespace
 *                                (-EINVAL).
 * @XPV_PMEM_SB_RSV_OVERLAPS_HDR: reserved area overlaps the info blocks
 *                                (-EINVAL).
 * @XPV_PMEM_SB_RSV_OUTSIDE_COVERED: reserved area not inside the covered
 *                                range (-EINVAL).
 * @XPV_PMEM_SB_RSV_SHORT:        reserved area ends before the namespace
 *                                end rounded down to 2 MiB (-EINVAL).
 * @XPV_PMEM_SB_BAD_COMPAT:       compat M2P size disagrees with the 1 TiB
 *                                rule (-EINVAL).
 * @XPV_PMEM_SB_TOO_SMALL:        reserved area smaller than the formula
 *                                recomputed (-ENOSPC).
 * @XPV_PMEM_SB_NR_REASONS:       number of reasons.
 *
 * The values are in check order: a larger value means the block passed
 * more checks.  Format 1.0 is unreleased; from its release on the values
 * are stable (tests and logs may print the number).
 */
enum xpv_pmem_sb_reason {
	XPV_PMEM_SB_OK,
	XPV_PMEM_SB_UNREADABLE,
	XPV_PMEM_SB_BAD_SIGNATURE,
	XPV_PMEM_SB_FOREIGN,
	XPV_PMEM_SB_BAD_CHECKSUM,
	XPV_PMEM_SB_BAD_PARENT,
	XPV_PMEM_SB_BAD_MAJOR,
	XPV_PMEM_SB_NONZERO_PADDING,
	XPV_PMEM_SB_BAD_PAGE_SIZE,
	XPV_PMEM_SB_BAD_ENTRY_SIZE,
	XPV_PMEM_SB_WRAP,
	XPV_PMEM_SB_BAD_LIVE,
	XPV_PMEM_SB_EMPTY,
	XPV_PMEM_SB_MISALIGNED,
	XPV_PMEM_SB_NS_CHANGED,
	XPV_PMEM_SB_OUTSIDE_REGION,
	XPV_PMEM_SB_RSV_OUTSIDE_NS,
	XPV_PMEM_SB_RSV_OVERLAPS_HDR,
	XPV_PMEM_SB_RSV_OUTSIDE_COVERED,
	XPV_PMEM_SB_RSV_SHORT,
	XPV_PMEM_SB_BAD_COMPAT,
	XPV_PMEM_SB_TOO_SMALL,
	XPV_PMEM_SB_NR_REASONS
};

/**
 * enum xpv_pmem_sb_use - which copy to trust
 * @XPV_PMEM_SB_USE_NONE:    neither; refuse the namespace.
 * @XPV_PMEM_SB_USE_PRIMARY: the block at +4 KiB.
 * @XPV_PMEM_SB_USE_BACKUP:  the block at +8 KiB.
 */
enum xpv_pmem_sb_use {
	XPV_PMEM_SB_USE_NONE,
	XPV_PMEM_SB_USE_PRIMARY,
	XPV_PMEM_SB_USE_BACKUP,
};

/**
 * struct xpv_pmem_sb_choice - outcome of reading both copies
 * @use:            the copy to trust.
 * @repair_primary: rewrite the primary from the trusted copy.
 * @repair_backup:  rewrite the backup from the trusted copy.
 * @primary_err:    validation result of the primary (0 or -errno).
 * @primary_reason: and why.
 * @backup_err:     validation result of the backup.
 * @backup_reason:  and why.
 * @info:           the trusted copy, decoded (zero when @use is NONE).
 */
struct xpv_pmem_sb_choice {
	enum xpv_pmem_sb_use use;
	bool repair_primary;
	bool repair_backup;
	int primary_err;
	enum xpv_pmem_sb_reason primary_reason;
	int backup_err;
	enum xpv_pmem_sb_reason backup_reason;
	struct xpv_pmem_sb_info info;
};

u64 xpv_fletcher64(const void *buf, size_t len);
u64 xpv_pmem_sb_checksum(const struct xpv_pmem_sb *sb);
void xpv_pmem_default_sizes(u64 spfn, struct xpv_pmem_entry_sizes *sizes);
int xpv_pmem_rsv_size(u64 spfn, u64 epfn,
		      const struct xpv_pmem_entry_sizes *sizes, u64 *bytes);
int xpv_pmem_plan(u64 region_spa, u64 region_size, u64 ns_spa,
		  const struct xpv_pmem_entry_sizes *sizes,
		  struct xpv_pmem_geom *g);
int xpv_pmem_fit(struct xpv_pmem_geom *g, u64 ns_size);
int xpv_pmem_sb_encode(struct xpv_pmem_sb *sb, const struct xpv_pmem_geom *g,
		       const u8 uuid[16], const u8 parent_uuid[16],
		       enum xpv_pmem_sb_reason *reason);
int xpv_pmem_sb_validate(const struct xpv_pmem_sb *sb,
			 const struct xpv_pmem_live *live,
			 struct xpv_pmem_sb_info *info,
			 enum xpv_pmem_sb_reason *reason);
int xpv_pmem_sb_choose(const struct xpv_pmem_sb *primary,
		       const struct xpv_pmem_sb *backup,
		       const struct xpv_pmem_live *live,
		       struct xpv_pmem_sb_choice *out);
int xpv_pmem_sb_report(const struct xpv_pmem_sb_info *info,
		       struct xpv_xenpf_pmem_add *rep);
int xpv_pmem_sb_reason_errno(enum xpv_pmem_sb_reason reason);
bool xpv_pmem_report_may_own(long rc);
const char *xpv_pmem_sb_reason_str(enum xpv_pmem_sb_reason reason);

#endif /* XPV_PMEM_SB_H */
