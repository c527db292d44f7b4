// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/pmem_sb.c */
/*
 * Unit tests for the Xen reservation info block: frozen layout, the
 * Fletcher-64 against a closed form, the sizing rule against the worked
 * figures and a 128-bit reference, encode/validate with one crafted block
 * per refusal reason, every single-bit flip, a reference validator on
 * random geometries, the primary/backup choice, and recovery from every
 * crash point of a two-copy update.
 */
#include <linux/errno.h>
#include "unit.h"
#include <xpv/pmem_sb.h>

#define KiB	1024ull
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)
#define TiB	(1024 * GiB)
#define U64MAX	(~0ull)

typedef unsigned __int128 u128;

/* The layout, written down again from the specification (not the header). */
#define O_VMAJ	0x030
#define O_VMIN	0x032
#define O_RES	0x034
#define O_CSPA	0x038
#define O_CSZ	0x040
#define O_ROFF	0x048
#define O_RSZ	0x050
#define O_PGSZ	0x058
#define O_PI	0x05c
#define O_M2P	0x060
#define O_CM2P	0x064
#define O_NSPA	0x068
#define O_NSZ	0x070
#define O_PAD	0x078

static const u8 PARENT[16] = { 0xa1, 0xb2, 0xc3, 4, 5, 6, 7, 8,
			       9, 10, 11, 12, 13, 14, 15, 16 };
static const u8 UUID[16] = { 0x55, 1, 2, 3, 4, 5, 6, 7,
			     8, 9, 10, 11, 12, 13, 14, 0x77 };

/* --- byte-level helpers independent of the library ------------------- */

static u64 rd(const void *blk, unsigned int off, unsigned int bytes)
{
	const u8 *b = blk;
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (u64)b[off + i] << (8 * i);
	return v;
}

static void wr(void *blk, unsigned int off, unsigned int bytes, u64 v)
{
	u8 *b = blk;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		b[off + i] = (u8)(v >> (8 * i));
}

/* Closed form of nd_fletcher64(le=1): lo = sum w, hi = sum (n - i) w. */
static u64 ref_fletcher(const void *buf, size_t len)
{
	size_t n = len / 4, i;
	uint32_t lo = 0, hi = 0;

	for (i = 0; i < n; i++) {
		uint32_t w = (uint32_t)rd(buf, (unsigned int)(4 * i), 4);

		lo += w;
		hi += (uint32_t)(n - i) * w;
	}
	return (u64)hi << 32 | lo;
}

static void fix_csum(struct xpv_pmem_sb *sb)
{
	struct xpv_pmem_sb tmp = *sb;

	wr(&tmp, 0xff8, 8, 0);
	wr(sb, 0xff8, 8, ref_fletcher(&tmp, sizeof(tmp)));
}

/* --- layout, checksum ------------------------------------------------ */

UNIT_TEST(layout_frozen)
{
	CHECK_EQ(sizeof(struct xpv_pmem_sb), 4096);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, signature), 0x000);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, uuid), 0x010);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, parent_uuid), 0x020);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, version_major), O_VMAJ);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, version_minor), O_VMIN);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, reserved), O_RES);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, covered_spa), O_CSPA);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, covered_size), O_CSZ);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, rsv_off), O_ROFF);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, rsv_size), O_RSZ);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, page_size), O_PGSZ);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, page_info_size), O_PI);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, m2p_entry_size), O_M2P);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, compat_m2p_entry_size), O_CM2P);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, ns_spa), O_NSPA);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, ns_size), O_NSZ);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, padding), O_PAD);
	CHECK_EQ(offsetof(struct xpv_pmem_sb, checksum), 0xff8);
	CHECK_EQ(sizeof(XPV_PMEM_SB_SIG), XPV_PMEM_SB_SIG_LEN);
	/* Distinct from libnvdimm's signatures (16 bytes compared). */
	CHECK(memcmp(XPV_PMEM_SB_SIG, "NVDIMM_PFN_INFO", 16));
	CHECK(memcmp(XPV_PMEM_SB_SIG, "NVDIMM_DAX_INFO", 16));
	CHECK(memcmp(XPV_PMEM_SB_SIG, "BTT_ARENA_INFO\0", 16));
	CHECK_EQ(XPV_PMEM_SB_PRIMARY_OFF, 4096);
	CHECK(XPV_PMEM_SB_BACKUP_OFF >= XPV_PMEM_SB_PRIMARY_OFF + 4096);
	CHECK(XPV_PMEM_SB_HDR_END >= XPV_PMEM_SB_BACKUP_OFF + 4096);
}

UNIT_TEST(fletcher_vectors)
{
	static u8 buf[4096];
	unsigned int i;

	CHECK_EQ(xpv_fletcher64(buf, sizeof(buf)), 0);
	for (i = 0; i < 1024; i++)
		wr(buf, 4 * i, 4, 1);
	/* lo = 1024, hi = 1 + 2 + ... + 1024 = 524800 */
	CHECK(xpv_fletcher64(buf, sizeof(buf)) == (524800ull << 32 | 1024));
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;			/* little-endian word 0 = 1 */
	CHECK(xpv_fletcher64(buf, sizeof(buf)) == (1024ull << 32 | 1));
	memset(buf, 0, sizeof(buf));
	buf[3] = 0x80;			/* word 0 = 0x80000000 */
	CHECK(xpv_fletcher64(buf, 8) == (0ull << 32 | 0x80000000u));
	CHECK(xpv_fletcher64(buf, 7) == (0x80000000ull << 32 | 0x80000000u));
	CHECK_EQ(xpv_fletcher64(buf, 3), 0);	/* partial word ignored */
}

UNIT_TEST(fletcher_random)
{
	uint64_t st = unit_seed("fletcher_random");
	static struct xpv_pmem_sb sb;
	unsigned int i, k;

	for (i = 0; i < 3000; i++) {
		u8 *b = (u8 *)&sb;
		size_t len = unit_rand(&st) % 4097;

		for (k = 0; k < sizeof(sb); k++)
			b[k] = (u8)unit_rand(&st);
		if (i % 2)	/* words near 2^32 exercise the carries */
			for (k = 0; k < sizeof(sb); k++)
				b[k] |= 0xf0;
		if (xpv_fletcher64(b, len) != ref_fletcher(b, len))
			CHECK(!"fletcher64 differs from the closed form");
		{
			struct xpv_pmem_sb z = sb;

			wr(&z, 0xff8, 8, 0);
			if (xpv_pmem_sb_checksum(&sb) !=
			    ref_fletcher(&z, sizeof(z)))
				CHECK(!"sb checksum not over a zeroed field");
		}
	}
}

/* --- sizing ---------------------------------------------------------- */

static u64 rsv(u64 spa, u64 size, u32 pi)
{
	struct xpv_pmem_entry_sizes sz;
	u64 out = 0;

	xpv_pmem_default_sizes(spa >> 12, &sz);
	if (pi)
		sz.page_info = pi;
	if (xpv_pmem_rsv_size(spa >> 12, (spa + size) >> 12, &sz, &out))
		return 0;
	return out;
}

UNIT_TEST(sizing_worked_figures)
{
	u64 v;

	/* The figures (research notes: placement of each range). */
	CHECK_EQ(rsv(4 * GiB, 1 * GiB, 0), 14 * MiB);
	CHECK_EQ(rsv(4 * GiB, 4 * GiB, 0), 46 * MiB);
	CHECK_EQ(rsv(5 * GiB, 16 * GiB, 0), 180 * MiB);
	CHECK_EQ(rsv(1 * TiB, 256 * GiB, 0), 2562 * MiB);
	/* Default sizes: NULL means the same. */
	CHECK_EQ(xpv_pmem_rsv_size(1ull << 20, (1ull << 20) + (1ull << 18),
				   NULL, &v), 0);
	CHECK_EQ(v, 14 * MiB);
	/* BIGMEM page_info: FT 12 MiB instead of 8. */
	CHECK_EQ(rsv(4 * GiB, 1 * GiB, 48), 18 * MiB);
	/* Across 1 TiB: CM2P only for the part below it. */
	CHECK_EQ(rsv(1 * TiB - 2 * GiB, 4 * GiB, 0), 32 * MiB + 8 * MiB +
		 2 * MiB + 2 * MiB);
	/* 2 MiB in the middle of a group: a whole group of each table. */
	CHECK_EQ(rsv(4 * GiB + 2 * MiB, 2 * MiB, 0), 8 * MiB);
	/* Exactly at 1 TiB: compat size 0. */
	{
		struct xpv_pmem_entry_sizes sz;

		xpv_pmem_default_sizes(1ull << 28, &sz);
		CHECK_EQ(sz.compat_m2p, 0);
		xpv_pmem_default_sizes((1ull << 28) - 1, &sz);
		CHECK_EQ(sz.compat_m2p, 4);
		CHECK_EQ(sz.page_info, 32);
		CHECK_EQ(sz.m2p, 8);
	}
	/* Bad input. */
	CHECK_EQ(xpv_pmem_rsv_size(512, 512, NULL, &v), -EINVAL);
	CHECK_EQ(xpv_pmem_rsv_size(1024, 512, NULL, &v), -EINVAL);
	CHECK_EQ(xpv_pmem_rsv_size(1, 1024, NULL, &v), -EINVAL);
	CHECK_EQ(xpv_pmem_rsv_size(0, 1000, NULL, &v), -EINVAL);
	CHECK_EQ(xpv_pmem_rsv_size(0, U64MAX - 511, NULL, &v), -EOVERFLOW);
	{
		struct xpv_pmem_entry_sizes big = { 0xffffffffu, 8, 0 };

		CHECK_EQ(xpv_pmem_rsv_size(1ull << 40, 1ull << 48, &big, &v),
			 -EOVERFLOW);
	}
}

static u128 up128(u128 x, u128 a)
{
	return (x + a - 1) / a * a;
}

/* The formula in 128-bit arithmetic: no overflow possible. */
static u128 ref_rsv(u64 s, u64 e, const struct xpv_pmem_entry_sizes *sz)
{
	u128 ft, m2p, cm2p = 0, two = 2 * MiB;

	ft = (up128(e, 1 << 16) - s / (1 << 16) * (1 << 16)) * sz->page_info;
	m2p = (up128(e, 1 << 18) - s / (1 << 18) * (1 << 18)) * sz->m2p;
	if (s < (1ull << 28)) {
		u128 hi = up128(e, 1 << 19);

		if (hi > (1ull << 28))
			hi = 1ull << 28;
		cm2p = (hi - s / (1 << 19) * (1 << 19)) * sz->compat_m2p;
	}
	return up128(ft, two) + up128(m2p, two) + up128(cm2p, two) + two;
}

UNIT_TEST(sizing_model_random)
{
	uint64_t st = unit_seed("sizing_model_random");
	unsigned long i;

	for (i = 0; i < 200000; i++) {
		unsigned int shift = unit_rand(&st) % 64;
		u64 s = (unit_rand(&st) >> shift) & ~511ull;
		u64 len = ((unit_rand(&st) >> (unit_rand(&st) % 64)) + 1) &
			  ~511ull;
		struct xpv_pmem_entry_sizes sz = {
			(u32)(unit_rand(&st) % 2 ? 32 : unit_rand(&st) % 5000),
			(u32)(unit_rand(&st) % 2 ? 8 : unit_rand(&st) % 100),
			(u32)(unit_rand(&st) % 3 ? 4 : unit_rand(&st) % 50),
		};
		u64 v = 0, e;
		u128 want;
		int ret;

		if (i % 5 == 0)	/* ranges around 1 TiB */
			s = ((1ull << 28) - (unit_rand(&st) % (1ull << 22))) &
			    ~511ull;
		if (!len)
			len = 512;
		if (s > U64MAX - len) {
			e = U64MAX & ~511ull;
			if (e <= s)
				continue;
		} else {
			e = s + len;
		}
		ret = xpv_pmem_rsv_size(s, e, &sz, &v);
		if (up128(e, 1 << 19) > U64MAX) {
			/* Rounding the end up overflows u64: reported. */
			if (ret != -EOVERFLOW && up128(e, 1 << 18) > U64MAX)
				CHECK(!"no overflow reported");
			continue;
		}
		want = ref_rsv(s, e, &sz);
		if (want > U64MAX) {
			if (ret != -EOVERFLOW)
				CHECK(!"overflow not reported");
		} else if (ret || v != (u64)want) {
			CHECK(!"rsv_size differs from the reference");
			fprintf(stderr, "  s %llu e %llu: %llu vs %llu (%d)\n",
				(unsigned long long)s, (unsigned long long)e,
				(unsigned long long)v,
				(unsigned long long)want, ret);
			return;
		}
	}
}

UNIT_TEST(plan_table)
{
	struct xpv_pmem_geom g;

	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB, NULL, &g), 0);
	CHECK_EQ(g.covered_spa, 4 * GiB);
	CHECK_EQ(g.covered_size, 1 * GiB);
	CHECK_EQ(g.rsv_off, 2 * MiB);
	CHECK_EQ(g.rsv_size, 14 * MiB);
	CHECK_EQ(g.ns_size, 16 * MiB);
	CHECK_EQ(g.sizes.page_info, 32);
	CHECK_EQ(g.sizes.compat_m2p, 4);

	/* Unaligned region start: covered rounds in, rsv at next 2 MiB. */
	CHECK_EQ(xpv_pmem_plan(4 * GiB + 1 * MiB, 1 * GiB, 4 * GiB + 1 * MiB,
			       NULL, &g), 0);
	CHECK_EQ(g.covered_spa, 4 * GiB + 2 * MiB);
	CHECK_EQ(g.covered_size, 1 * GiB - 2 * MiB);
	CHECK_EQ(g.rsv_off, 1 * MiB);
	CHECK_EQ(g.ns_size, 1 * MiB + g.rsv_size);
	/* Namespace 1 MiB - 8 KiB before a boundary: 12 KiB won't fit. */
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB + 2 * MiB - 8 * KiB,
			       NULL, &g), 0);
	CHECK_EQ(g.rsv_off, 2 * MiB + 8 * KiB);

	CHECK_EQ(xpv_pmem_plan(2 * TiB, 4 * GiB, 2 * TiB, NULL, &g), 0);
	CHECK_EQ(g.sizes.compat_m2p, 0);
	CHECK_EQ(g.rsv_size, 32 * MiB + 8 * MiB + 2 * MiB);

	CHECK_EQ(xpv_pmem_plan(4 * GiB + 4 * KiB, 2 * MiB, 4 * GiB, NULL, &g),
		 -EINVAL);
	CHECK_EQ(xpv_pmem_plan(U64MAX - 4 * MiB, 8 * MiB, U64MAX - 4 * MiB,
			       NULL, &g), -EOVERFLOW);
	/* 8 MiB region: 8 MiB reserved + 2 MiB header do not fit. */
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 8 * MiB, 4 * GiB, NULL, &g), -ENOSPC);
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 10 * MiB, 4 * GiB, NULL, &g), 0);
	CHECK_EQ(g.rsv_size, 8 * MiB);
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 2 * GiB, NULL, &g), -ENOSPC);
}

/* --- encode / validate ----------------------------------------------- */

static struct xpv_pmem_live live_for(const struct xpv_pmem_geom *g,
				     u64 region_spa, u64 region_size)
{
	struct xpv_pmem_live l;

	memcpy(l.parent_uuid, PARENT, 16);
	l.ns_spa = g->ns_spa;
	l.ns_size = g->ns_size;
	l.region_spa = region_spa;
	l.region_size = region_size;
	return l;
}

/* The 1 GiB at 4 GiB example: block, its geometry and live view. */
static void good(struct xpv_pmem_sb *sb, struct xpv_pmem_geom *g,
		 struct xpv_pmem_live *l)
{
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB, NULL, g), 0);
	CHECK_EQ(xpv_pmem_sb_encode(sb, g, UUID, PARENT, NULL), 0);
	*l = live_for(g, 4 * GiB, 1 * GiB);
}

static int reason_of(const struct xpv_pmem_sb *sb,
		     const struct xpv_pmem_live *l, int *err)
{
	enum xpv_pmem_sb_reason r = XPV_PMEM_SB_NR_REASONS;

	*err = xpv_pmem_sb_validate(sb, l, NULL, &r);
	return (int)r;
}

UNIT_TEST(encode_roundtrip_exact_bytes)
{
	struct xpv_pmem_sb sb;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_info info;
	enum xpv_pmem_sb_reason r;
	unsigned int i;

	good(&sb, &g, &l);
	CHECK(!memcmp(sb.signature, "XEN_PMEM_INFO\0\0\0", 16));
	CHECK(!memcmp(sb.uuid, UUID, 16));
	CHECK(!memcmp(sb.parent_uuid, PARENT, 16));
	/* The order: ..., version, covered, reserved, page size, */
	/* entry sizes, namespace at creation, padding, checksum. */
	CHECK_EQ(rd(&sb, 0x30, 2), 1);
	CHECK_EQ(rd(&sb, 0x32, 2), 0);
	CHECK_EQ(rd(&sb, 0x34, 4), 0);
	CHECK_EQ(rd(&sb, 0x38, 8), 4 * GiB);
	CHECK_EQ(rd(&sb, 0x40, 8), 1 * GiB);
	CHECK_EQ(rd(&sb, 0x48, 8), 2 * MiB);
	CHECK_EQ(rd(&sb, 0x50, 8), 14 * MiB);
	CHECK_EQ(rd(&sb, 0x58, 4), 4096);
	CHECK_EQ(rd(&sb, 0x5c, 4), 32);
	CHECK_EQ(rd(&sb, 0x60, 4), 8);
	CHECK_EQ(rd(&sb, 0x64, 4), 4);
	CHECK_EQ(rd(&sb, 0x68, 8), 4 * GiB);
	CHECK_EQ(rd(&sb, 0x70, 8), 16 * MiB);
	for (i = 0x78; i < 0xff8; i++)
		if (((u8 *)&sb)[i])
			CHECK(!"padding not zero");
	{
		struct xpv_pmem_sb z = sb;

		wr(&z, 0xff8, 8, 0);
		CHECK(rd(&sb, 0xff8, 8) == ref_fletcher(&z, 4096));
	}
	CHECK_EQ(xpv_pmem_sb_validate(&sb, &l, &info, &r), 0);
	CHECK_EQ(r, XPV_PMEM_SB_OK);
	CHECK(!memcmp(info.uuid, UUID, 16));
	CHECK_EQ(info.version_major, 1);
	CHECK_EQ(info.geom.rsv_size, 14 * MiB);
	CHECK_EQ(info.rsv_min, 14 * MiB);
	CHECK(!memcmp(&info.geom, &g, sizeof(g)));
	/* A bigger region is fine; NULL outputs are fine. */
	l.region_size = 64 * GiB;
	CHECK_EQ(xpv_pmem_sb_validate(&sb, &l, NULL, NULL), 0);
}

/* One crafted block per reason, each with its exact errno. */
UNIT_TEST(validate_each_reason)
{
	struct xpv_pmem_sb sb, base;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l, l0;
	int err;

	good(&base, &g, &l0);

#define EXPECT(reason, errno_) do {					\
	CHECK_EQ(reason_of(&sb, &l, &err), reason);			\
	CHECK_EQ(err, errno_);						\
	CHECK_EQ(xpv_pmem_sb_reason_errno(reason), errno_);		\
} while (0)
#define FRESH() do { sb = base; l = l0; } while (0)
#define SET(off, bytes, v) do { wr(&sb, off, bytes, v); fix_csum(&sb); } while (0)

	FRESH();
	memset(&sb, 0, sizeof(sb));
	EXPECT(XPV_PMEM_SB_BAD_SIGNATURE, -ENODEV);
	FRESH();
	memcpy(sb.signature, "NVDIMM_PFN_INFO", 16);
	EXPECT(XPV_PMEM_SB_FOREIGN, -EBUSY);
	memcpy(sb.signature, "NVDIMM_DAX_INFO", 16);
	EXPECT(XPV_PMEM_SB_FOREIGN, -EBUSY);
	memcpy(sb.signature, "BTT_ARENA_INFO\0", 16);
	EXPECT(XPV_PMEM_SB_FOREIGN, -EBUSY);
	FRESH();
	sb.signature[15] = 1;		/* the trailing NULs count */
	EXPECT(XPV_PMEM_SB_BAD_SIGNATURE, -ENODEV);
	FRESH();
	wr(&sb, 0x40, 8, 2 * GiB);	/* no checksum fix */
	EXPECT(XPV_PMEM_SB_BAD_CHECKSUM, -EBADMSG);
	FRESH();
	l.parent_uuid[7] ^= 1;
	EXPECT(XPV_PMEM_SB_BAD_PARENT, -ESTALE);
	FRESH();
	SET(O_VMAJ, 2, 2);
	EXPECT(XPV_PMEM_SB_BAD_MAJOR, -EOPNOTSUPP);
	FRESH();
	SET(O_VMAJ, 2, 0);
	EXPECT(XPV_PMEM_SB_BAD_MAJOR, -EOPNOTSUPP);
	FRESH();
	SET(O_RES, 4, 1);		/* the reserved word is padding */
	EXPECT(XPV_PMEM_SB_NONZERO_PADDING, -EINVAL);
	FRESH();
	wr(&sb, O_RES, 4, 1u << 31);
	SET(O_VMIN, 2, 1);		/* newer minor may use it */
	EXPECT(XPV_PMEM_SB_OK, 0);
	FRESH();
	SET(0x100, 1, 0xee);
	EXPECT(XPV_PMEM_SB_NONZERO_PADDING, -EINVAL);
	FRESH();
	SET(O_PAD, 1, 0x01);		/* first padding byte */
	EXPECT(XPV_PMEM_SB_NONZERO_PADDING, -EINVAL);
	FRESH();
	wr(&sb, 0x100, 1, 0xee);
	SET(O_VMIN, 2, 1);		/* newer minor: appended field */
	EXPECT(XPV_PMEM_SB_OK, 0);
	FRESH();
	SET(O_PGSZ, 4, 8192);
	EXPECT(XPV_PMEM_SB_BAD_PAGE_SIZE, -EOPNOTSUPP);
	FRESH();
	SET(O_PI, 4, 16);
	EXPECT(XPV_PMEM_SB_BAD_ENTRY_SIZE, -EINVAL);
	FRESH();
	SET(O_PI, 4, 2000);
	EXPECT(XPV_PMEM_SB_BAD_ENTRY_SIZE, -EINVAL);
	FRESH();
	SET(O_PI, 4, 0x10020);		/* 32 in the low half only */
	EXPECT(XPV_PMEM_SB_BAD_ENTRY_SIZE, -EINVAL);
	FRESH();
	SET(O_M2P, 4, 4);
	EXPECT(XPV_PMEM_SB_BAD_ENTRY_SIZE, -EINVAL);
	FRESH();
	SET(O_CM2P, 4, 2);
	EXPECT(XPV_PMEM_SB_BAD_ENTRY_SIZE, -EINVAL);
	FRESH();
	SET(O_CSZ, 8, U64MAX - 4 * GiB + 1);	/* covered end wraps to 0 */
	EXPECT(XPV_PMEM_SB_WRAP, -EOVERFLOW);
	FRESH();
	SET(O_ROFF, 8, U64MAX - 4 * MiB);	/* rsv_off + rsv_size wraps */
	EXPECT(XPV_PMEM_SB_WRAP, -EOVERFLOW);
	FRESH();
	SET(O_ROFF, 8, U64MAX - 4 * GiB - 8 * MiB); /* ns_spa + rsv_off + size */
	EXPECT(XPV_PMEM_SB_WRAP, -EOVERFLOW);
	FRESH();
	SET(O_NSZ, 8, U64MAX);			/* ns_spa + ns_size wraps */
	EXPECT(XPV_PMEM_SB_WRAP, -EOVERFLOW);
	FRESH();
	l.ns_size = U64MAX;
	EXPECT(XPV_PMEM_SB_BAD_LIVE, -EINVAL);
	FRESH();
	l.region_spa = 5 * GiB;
	EXPECT(XPV_PMEM_SB_BAD_LIVE, -EINVAL);
	FRESH();
	l.ns_size = 0;
	EXPECT(XPV_PMEM_SB_BAD_LIVE, -EINVAL);
	FRESH();
	SET(0x40, 8, 0);
	EXPECT(XPV_PMEM_SB_EMPTY, -EINVAL);
	FRESH();
	SET(0x50, 8, 0);
	EXPECT(XPV_PMEM_SB_EMPTY, -EINVAL);
	FRESH();
	SET(0x38, 8, 4 * GiB + 4 * KiB);
	EXPECT(XPV_PMEM_SB_MISALIGNED, -EINVAL);
	FRESH();
	SET(0x40, 8, 1 * GiB - 4 * KiB);
	EXPECT(XPV_PMEM_SB_MISALIGNED, -EINVAL);
	FRESH();
	SET(0x48, 8, 2 * MiB + 4 * KiB);
	EXPECT(XPV_PMEM_SB_MISALIGNED, -EINVAL);
	FRESH();
	SET(0x50, 8, 14 * MiB + 4 * KiB);
	EXPECT(XPV_PMEM_SB_MISALIGNED, -EINVAL);
	FRESH();
	l.ns_spa += 2 * MiB;
	EXPECT(XPV_PMEM_SB_NS_CHANGED, -ENXIO);
	FRESH();
	l.ns_size += 4 * KiB;
	EXPECT(XPV_PMEM_SB_NS_CHANGED, -ENXIO);
	FRESH();
	l.region_size = 512 * MiB;
	EXPECT(XPV_PMEM_SB_OUTSIDE_REGION, -ENXIO);
	FRESH();
	SET(0x50, 8, 16 * MiB);		/* 2M + 16M > 16M namespace */
	EXPECT(XPV_PMEM_SB_RSV_OUTSIDE_NS, -EINVAL);
	FRESH();
	SET(0x48, 8, 0);		/* over the info blocks */
	EXPECT(XPV_PMEM_SB_RSV_OVERLAPS_HDR, -EINVAL);
	/* Boundary: the reserved area may start right after the backup. */
	{
		struct xpv_pmem_geom h;

		CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB,
				       4 * GiB + 2 * MiB - 12 * KiB, NULL, &h),
			 0);
		CHECK_EQ(h.rsv_off, 12 * KiB);
		CHECK_EQ(xpv_pmem_sb_encode(&sb, &h, UUID, PARENT, NULL), 0);
		l = live_for(&h, 4 * GiB, 1 * GiB);
		EXPECT(XPV_PMEM_SB_OK, 0);
		/* One 4 KiB page earlier it would overwrite the backup. */
		h.ns_spa += 4 * KiB;
		h.rsv_off -= 4 * KiB;
		CHECK_EQ(xpv_pmem_sb_encode(&sb, &h, UUID, PARENT, NULL),
			 -EINVAL);
		memset(&sb, 0, sizeof(sb));
		memcpy(&sb, "XEN_PMEM_INFO", 13);
		wr(&sb, O_VMAJ, 2, 1);
		wr(&sb, O_CSPA, 8, h.covered_spa);
		wr(&sb, O_CSZ, 8, h.covered_size);
		wr(&sb, O_ROFF, 8, h.rsv_off);
		wr(&sb, O_RSZ, 8, h.rsv_size);
		wr(&sb, O_NSPA, 8, h.ns_spa);
		wr(&sb, O_NSZ, 8, h.ns_size);
		wr(&sb, O_PGSZ, 4, 4096);
		wr(&sb, O_PI, 4, 32);
		wr(&sb, O_M2P, 4, 8);
		wr(&sb, O_CM2P, 4, 4);
		memcpy((u8 *)&sb + 0x20, PARENT, 16);
		fix_csum(&sb);
		l = live_for(&h, 4 * GiB, 1 * GiB);
		EXPECT(XPV_PMEM_SB_RSV_OVERLAPS_HDR, -EINVAL);
	}
	FRESH();
	/* Covered range starts after the reserved area. */
	SET(0x38, 8, 4 * GiB + 16 * MiB);
	wr(&sb, 0x40, 8, 1 * GiB - 16 * MiB);
	fix_csum(&sb);
	EXPECT(XPV_PMEM_SB_RSV_OUTSIDE_COVERED, -EINVAL);
	FRESH();
	SET(O_CM2P, 4, 0);		/* below 1 TiB needs a compat M2P */
	EXPECT(XPV_PMEM_SB_BAD_COMPAT, -EINVAL);
	FRESH();
	SET(0x50, 8, 12 * MiB);		/* ends 2 MiB before the namespace */
	EXPECT(XPV_PMEM_SB_RSV_SHORT, -EINVAL);
	FRESH();
	wr(&sb, 0x48, 8, 4 * MiB);	/* to the end, but 12 MiB < 14 MiB */
	SET(0x50, 8, 12 * MiB);
	EXPECT(XPV_PMEM_SB_TOO_SMALL, -ENOSPC);
	FRESH();
	/* A namespace grown by 16 MiB whose reserved area stayed behind. */
	l.ns_size += 16 * MiB;
	SET(O_NSZ, 8, l.ns_size);
	EXPECT(XPV_PMEM_SB_RSV_SHORT, -EINVAL);
	/* ... and grown with it: valid. */
	SET(0x50, 8, 30 * MiB);
	EXPECT(XPV_PMEM_SB_OK, 0);
	/* An end that is not 2 MiB aligned: up to the boundary below it. */
	FRESH();
	l.ns_size += 1 * MiB;
	l.region_size += 1 * MiB;
	SET(O_NSZ, 8, l.ns_size);
	EXPECT(XPV_PMEM_SB_OK, 0);
	SET(0x50, 8, 16 * MiB);		/* 1 MiB past the namespace end */
	EXPECT(XPV_PMEM_SB_RSV_OUTSIDE_NS, -EINVAL);
	FRESH();
	SET(O_PI, 4, 48);		/* BIGMEM needs 18 MiB */
	EXPECT(XPV_PMEM_SB_TOO_SMALL, -ENOSPC);
	FRESH();
	EXPECT(XPV_PMEM_SB_OK, 0);

	/* Above 1 TiB: compat must be 0. */
	CHECK_EQ(xpv_pmem_plan(2 * TiB, 4 * GiB, 2 * TiB, NULL, &g), 0);
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, NULL), 0);
	l = live_for(&g, 2 * TiB, 4 * GiB);
	EXPECT(XPV_PMEM_SB_OK, 0);
	SET(O_CM2P, 4, 4);
	EXPECT(XPV_PMEM_SB_BAD_COMPAT, -EINVAL);
#undef EXPECT
#undef FRESH
#undef SET
}

UNIT_TEST(reason_table)
{
	unsigned int i, j;

	for (i = 0; i < XPV_PMEM_SB_NR_REASONS; i++) {
		const char *s = xpv_pmem_sb_reason_str(i);

		CHECK(s && *s);
		CHECK((xpv_pmem_sb_reason_errno(i) == 0) == (i == 0));
		for (j = 0; j < i; j++)
			CHECK(strcmp(s, xpv_pmem_sb_reason_str(j)));
	}
	CHECK(!strcmp(xpv_pmem_sb_reason_str(XPV_PMEM_SB_NR_REASONS),
		      "unknown reason"));
	CHECK_EQ(xpv_pmem_sb_reason_errno(XPV_PMEM_SB_NR_REASONS), -EINVAL);
}

UNIT_TEST(encode_refuses_bad_geometry)
{
	struct xpv_pmem_sb sb;
	struct xpv_pmem_geom g;
	enum xpv_pmem_sb_reason r;
	unsigned int i;
	int bad = 0;

	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB, NULL, &g), 0);
	g.rsv_size -= 2 * MiB;
	g.rsv_off += 2 * MiB;		/* still to the namespace end */
	memset(&sb, 0x5a, sizeof(sb));
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, &r), -ENOSPC);
	CHECK_EQ(r, XPV_PMEM_SB_TOO_SMALL);
	for (i = 0; i < sizeof(sb); i++)
		bad |= ((u8 *)&sb)[i];
	CHECK_EQ(bad, 0);		/* nothing half-written */
	g.rsv_size += 2 * MiB;
	g.rsv_off -= 2 * MiB;
	g.sizes.page_info = 70000;	/* beyond the sanity bound */
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, &r), -EINVAL);
	CHECK_EQ(r, XPV_PMEM_SB_BAD_ENTRY_SIZE);
	g.sizes.page_info = 32;
	g.covered_size = U64MAX - 2 * MiB + 1;
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, &r), -EOVERFLOW);
	CHECK_EQ(r, XPV_PMEM_SB_WRAP);
}

/* Every single-bit flip is caught, by the signature or the checksum. */
UNIT_TEST(every_bit_flip)
{
	struct xpv_pmem_sb sb, base;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	unsigned int bit;
	int err;

	good(&base, &g, &l);
	for (bit = 0; bit < 8 * sizeof(sb); bit++) {
		int r;

		sb = base;
		((u8 *)&sb)[bit / 8] ^= (u8)(1u << (bit % 8));
		r = reason_of(&sb, &l, &err);
		if (r != (bit < 128 ? XPV_PMEM_SB_BAD_SIGNATURE :
			  XPV_PMEM_SB_BAD_CHECKSUM)) {
			CHECK_EQ(r, XPV_PMEM_SB_BAD_CHECKSUM);
			fprintf(stderr, "  bit %u\n", bit);
			return;
		}
	}
}

/* --- reference validator on random geometries ------------------------ */

static int ref_validate(const struct xpv_pmem_sb *sb,
			const struct xpv_pmem_live *l)
{
	static const char *const foreign[] = {
		"NVDIMM_PFN_INFO", "NVDIMM_DAX_INFO", "BTT_ARENA_INFO\0",
	};
	struct xpv_pmem_sb z = *sb;
	u64 cspa = rd(sb, 0x38, 8), csz = rd(sb, 0x40, 8);
	u64 roff = rd(sb, 0x48, 8), rsz = rd(sb, 0x50, 8);
	u64 nspa = rd(sb, O_NSPA, 8), nsz = rd(sb, O_NSZ, 8);
	u64 pi = rd(sb, O_PI, 4), m2p = rd(sb, O_M2P, 4), cm = rd(sb, O_CM2P, 4);
	u128 rs, re, a2 = 2 * MiB;
	unsigned int i;

	if (memcmp(sb, "XEN_PMEM_INFO\0\0\0", 16)) {
		for (i = 0; i < 3; i++)
			if (!memcmp(sb, foreign[i], 16))
				return XPV_PMEM_SB_FOREIGN;
		return XPV_PMEM_SB_BAD_SIGNATURE;
	}
	wr(&z, 0xff8, 8, 0);
	if (rd(sb, 0xff8, 8) != ref_fletcher(&z, 4096))
		return XPV_PMEM_SB_BAD_CHECKSUM;
	if (memcmp((const u8 *)sb + 0x20, l->parent_uuid, 16))
		return XPV_PMEM_SB_BAD_PARENT;
	if (rd(sb, O_VMAJ, 2) != 1)
		return XPV_PMEM_SB_BAD_MAJOR;
	if (rd(sb, O_VMIN, 2) == 0) {
		if (rd(sb, O_RES, 4))
			return XPV_PMEM_SB_NONZERO_PADDING;
		for (i = O_PAD; i < 0xff8; i++)
			if (((const u8 *)sb)[i])
				return XPV_PMEM_SB_NONZERO_PADDING;
	}
	if (rd(sb, O_PGSZ, 4) != 4096)
		return XPV_PMEM_SB_BAD_PAGE_SIZE;
	if (pi < 32 || pi > 1024 || m2p < 8 || m2p > 1024 ||
	    (cm && (cm < 4 || cm > 1024)))
		return XPV_PMEM_SB_BAD_ENTRY_SIZE;
	rs = (u128)nspa + roff;
	re = rs + rsz;
	if ((u128)cspa + csz > U64MAX || (u128)roff + rsz > U64MAX ||
	    re > U64MAX || (u128)nspa + nsz > U64MAX)
		return XPV_PMEM_SB_WRAP;
	if ((u128)l->ns_spa + l->ns_size > U64MAX ||
	    (u128)l->region_spa + l->region_size > U64MAX || !l->ns_size ||
	    l->ns_spa < l->region_spa ||
	    (u128)l->ns_spa + l->ns_size > (u128)l->region_spa + l->region_size)
		return XPV_PMEM_SB_BAD_LIVE;
	if (!csz || !rsz)
		return XPV_PMEM_SB_EMPTY;
	if (cspa % a2 || ((u128)cspa + csz) % a2 || rs % a2 || re % a2)
		return XPV_PMEM_SB_MISALIGNED;
	if (nspa != l->ns_spa || nsz != l->ns_size)
		return XPV_PMEM_SB_NS_CHANGED;
	if (cspa < l->region_spa ||
	    (u128)cspa + csz > (u128)l->region_spa + l->region_size)
		return XPV_PMEM_SB_OUTSIDE_REGION;
	if ((u128)roff + rsz > nsz)
		return XPV_PMEM_SB_RSV_OUTSIDE_NS;
	if (roff < 0x3000)
		return XPV_PMEM_SB_RSV_OVERLAPS_HDR;
	if (rs < cspa || re > (u128)cspa + csz)
		return XPV_PMEM_SB_RSV_OUTSIDE_COVERED;
	if (re != ((u128)nspa + nsz) / a2 * a2)
		return XPV_PMEM_SB_RSV_SHORT;
	if (((cspa >> 12) < (1ull << 28)) != (cm != 0))
		return XPV_PMEM_SB_BAD_COMPAT;
	{
		struct xpv_pmem_entry_sizes sz = { (u32)pi, (u32)m2p, (u32)cm };

		if (rsz < ref_rsv(cspa >> 12, (cspa + csz) >> 12, &sz))
			return XPV_PMEM_SB_TOO_SMALL;
	}
	return XPV_PMEM_SB_OK;
}

static u64 rand_spa(uint64_t *st)
{
	switch (unit_rand(st) % 5) {
	case 0:
		return (unit_rand(st) % 64) * GiB;
	case 1:
		return 1 * TiB - (unit_rand(st) % 8) * GiB;
	case 2:
		return (unit_rand(st) % 1024) * 2 * MiB + 4 * GiB;
	case 3:
		return U64MAX - (unit_rand(st) % 64) * GiB;
	default:
		return unit_rand(st) & ~4095ull;
	}
}

static void mutate(uint64_t *st, struct xpv_pmem_sb *sb,
		   struct xpv_pmem_live *l)
{
	static const struct { unsigned int off, bytes; } f[] = {
		{ O_RES, 4 }, { O_VMAJ, 2 }, { O_VMIN, 2 }, { O_CSPA, 8 },
		{ O_CSZ, 8 }, { O_ROFF, 8 }, { O_RSZ, 8 }, { O_NSPA, 8 },
		{ O_NSZ, 8 }, { O_PGSZ, 4 }, { O_PI, 4 }, { O_M2P, 4 },
		{ O_CM2P, 4 },
	};
	unsigned int k = unit_rand(st) % 21;

	if (k < 13) {
		u64 v = rd(sb, f[k].off, f[k].bytes);

		switch (unit_rand(st) % 6) {
		case 0:
			v = unit_rand(st);
			break;
		case 1:
			v += (unit_rand(st) % 5 - 2) * 2 * MiB;
			break;
		case 2:
			v += (unit_rand(st) % 5 - 2) * 4 * KiB;
			break;
		case 3:
			v = U64MAX - unit_rand(st) % (8 * GiB);
			break;
		case 4:
			v = unit_rand(st) % 3;
			break;
		default:
			v ^= 1ull << (unit_rand(st) % 64);
			break;
		}
		wr(sb, f[k].off, f[k].bytes, v);
	} else if (k == 13) {
		((u8 *)sb)[O_PAD + unit_rand(st) % (0xff8 - O_PAD)] ^= 0x10;
	} else if (k == 14) {
		l->ns_spa += (unit_rand(st) % 3 - 1) * 2 * MiB;
	} else if (k == 15) {
		l->region_size -= (unit_rand(st) % 3) * 2 * MiB;
	} else if (k == 16) {
		l->region_spa = rand_spa(st);
	} else if (k == 20) {
		/* Move the covered start up, keeping its end. */
		u64 d = (1 + unit_rand(st) % 8) * 2 * MiB;

		wr(sb, 0x38, 8, rd(sb, 0x38, 8) + d);
		wr(sb, 0x40, 8, rd(sb, 0x40, 8) - d);
	} else if (k == 18) {
		memset(sb->signature, 0, 16);
	} else if (k == 19) {
		memcpy(sb->signature, unit_rand(st) % 2 ? "NVDIMM_DAX_INFO" :
		       "BTT_ARENA_INFO", 15);
		sb->signature[15] = 0;
	} else {
		l->parent_uuid[unit_rand(st) % 16] ^= 0x80;
	}
}

UNIT_TEST(validate_model_random)
{
	uint64_t st = unit_seed("validate_model_random");
	unsigned long i, seen[XPV_PMEM_SB_NR_REASONS] = { 0 };
	struct xpv_pmem_sb sb;

	for (i = 0; i < 120000; i++) {
		struct xpv_pmem_geom g;
		struct xpv_pmem_live l;
		struct xpv_pmem_sb_info info;
		enum xpv_pmem_sb_reason r;
		u64 rspa = rand_spa(&st), rsz;
		unsigned int nmut = unit_rand(&st) % 4, k;
		int want, err;

		rsz = (unit_rand(&st) % 3 == 0) ?
		      (unit_rand(&st) % 256) * 2 * MiB + unit_rand(&st) % 3 *
		      4 * KiB : (1 + unit_rand(&st) % 64) * GiB;
		if (xpv_pmem_plan(rspa, rsz, rspa, NULL, &g)) {
			/* Unplannable: validate a random block anyway. */
			memset(&g, 0, sizeof(g));
			g.covered_spa = rspa;
			g.covered_size = rsz;
			g.ns_spa = rspa;
			g.ns_size = 16 * MiB;
			g.rsv_off = 2 * MiB;
			g.rsv_size = 14 * MiB;
			g.sizes.page_info = 32;
			g.sizes.m2p = 8;
			g.sizes.compat_m2p = 4;
		}
		if (xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, NULL)) {
			/* Build the same bytes by hand, unchecked. */
			memset(&sb, 0, sizeof(sb));
			memcpy(&sb, "XEN_PMEM_INFO\0\0\0", 16);
			memcpy((u8 *)&sb + 0x10, UUID, 16);
			memcpy((u8 *)&sb + 0x20, PARENT, 16);
			wr(&sb, O_VMAJ, 2, 1);
			wr(&sb, O_CSPA, 8, g.covered_spa);
			wr(&sb, O_CSZ, 8, g.covered_size);
			wr(&sb, O_ROFF, 8, g.rsv_off);
			wr(&sb, O_RSZ, 8, g.rsv_size);
			wr(&sb, O_NSPA, 8, g.ns_spa);
			wr(&sb, O_NSZ, 8, g.ns_size);
			wr(&sb, O_PGSZ, 4, 4096);
			wr(&sb, O_PI, 4, g.sizes.page_info);
			wr(&sb, O_M2P, 4, g.sizes.m2p);
			wr(&sb, O_CM2P, 4, g.sizes.compat_m2p);
			fix_csum(&sb);
		}
		l = live_for(&g, rspa, rsz);
		for (k = 0; k < nmut; k++)
			mutate(&st, &sb, &l);
		if (unit_rand(&st) % 10)
			fix_csum(&sb);
		want = ref_validate(&sb, &l);
		err = xpv_pmem_sb_validate(&sb, &l, &info, &r);
		seen[want]++;
		if ((int)r != want || err != xpv_pmem_sb_reason_errno(r)) {
			CHECK_EQ(r, want);
			fprintf(stderr, "  case %lu: %s vs reference %s\n", i,
				xpv_pmem_sb_reason_str(r),
				xpv_pmem_sb_reason_str(want));
			return;
		}
		if (!err) {
			struct xpv_pmem_sb again;

			/* Valid 1.0 blocks re-encode byte for byte. */
			if (rd(&sb, O_VMIN, 2) == 0 && !rd(&sb, O_RES, 4) &&
			    (xpv_pmem_sb_encode(&again, &info.geom, info.uuid,
						PARENT, NULL) ||
			     memcmp(&again, &sb, sizeof(sb))))
				CHECK(!"valid block does not re-encode");
		}
	}
	/* The generator must reach every reason, or the test proves little. */
	fprintf(stderr, "  validate_model_random: cases per reason:");
	for (i = 0; i < XPV_PMEM_SB_NR_REASONS; i++)
		fprintf(stderr, " %lu", seen[i]);
	fprintf(stderr, "\n");
	for (i = 0; i < XPV_PMEM_SB_NR_REASONS; i++)
		if (!seen[i] && i != XPV_PMEM_SB_UNREADABLE) {
			fprintf(stderr, "  reason %lu (%s) never generated\n",
				i, xpv_pmem_sb_reason_str(i));
			CHECK(seen[i]);
		}
}

/* --- primary / backup ------------------------------------------------ */

UNIT_TEST(choose_matrix)
{
	struct xpv_pmem_sb p, b, base, other;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_choice c;

	good(&base, &g, &l);
	g.rsv_size += 2 * MiB;
	g.ns_size += 2 * MiB;
	CHECK_EQ(xpv_pmem_sb_encode(&other, &g, UUID, PARENT, NULL), 0);

	p = base;
	b = base;
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_PRIMARY);
	CHECK(!c.repair_primary && !c.repair_backup);
	CHECK_EQ(c.info.geom.rsv_size, 14 * MiB);

	/* Both valid but different: the primary wins, backup rewritten. */
	l.ns_size += 2 * MiB;
	p = other;
	b = other;
	b.uuid[0] ^= 1;
	fix_csum(&b);
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_PRIMARY);
	CHECK(!c.repair_primary && c.repair_backup);
	l.ns_size -= 2 * MiB;

	p = base;
	memset(&b, 0, sizeof(b));
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_PRIMARY);
	CHECK(c.repair_backup && !c.repair_primary);
	CHECK_EQ(c.backup_err, -ENODEV);

	/* Primary torn, backup good: use the backup and repair. */
	p = base;
	p.padding[100] = 1;
	b = base;
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_BACKUP);
	CHECK(c.repair_primary && !c.repair_backup);
	CHECK_EQ(c.primary_err, -EBADMSG);
	CHECK_EQ(c.primary_reason, XPV_PMEM_SB_BAD_CHECKSUM);
	CHECK_EQ(c.info.geom.rsv_size, 14 * MiB);

	memset(&p, 0, sizeof(p));
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_BACKUP);

	/* Someone made it an fsdax namespace: never repair over that. */
	memcpy(p.signature, "NVDIMM_PFN_INFO", 16);
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), -EBUSY);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_NONE);
	CHECK(!c.repair_primary && !c.repair_backup);

	/* Both bad: the copy that got further explains. */
	p = base;
	p.padding[7] = 9;			/* checksum */
	b = base;
	wr(&b, 0x48, 8, 4 * MiB);
	wr(&b, 0x50, 8, 12 * MiB);
	fix_csum(&b);				/* too small */
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), -ENOSPC);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_NONE);
	CHECK_EQ(c.primary_err, -EBADMSG);
	CHECK_EQ(c.backup_err, -ENOSPC);
	CHECK_EQ(xpv_pmem_sb_choose(&b, &p, &l, &c), -ENOSPC);
	memset(&p, 0, sizeof(p));
	memset(&b, 0, sizeof(b));
	CHECK_EQ(xpv_pmem_sb_choose(&p, &b, &l, &c), -ENODEV);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_NONE);
	{
		struct xpv_pmem_sb_info zero;

		memset(&zero, 0, sizeof(zero));
		CHECK(!memcmp(&c.info, &zero, sizeof(zero)));
	}
}

/*
 * A writer updates old -> new: backup first, then primary, 512-byte
 * sectors.  Crash after every sector, with the sector in flight either
 * absent, complete, or torn at an 8-byte boundary.  Whatever the crash
 * point, the choice is the old or the new block, and after the repair it
 * says to do, both copies equal it.
 */
UNIT_TEST(crash_points_recover_old_or_new)
{
	static struct xpv_pmem_sb media[2], old_sb, new_sb;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_choice c;
	unsigned int sector, torn, n = 0;

	u8 uuid2[16];

	good(&old_sb, &g, &l);
	memcpy(uuid2, UUID, 16);
	uuid2[5] ^= 0x42;		/* same geometry, new reservation */
	CHECK_EQ(xpv_pmem_sb_encode(&new_sb, &g, uuid2, PARENT, NULL), 0);
	CHECK(memcmp(&old_sb, &new_sb, sizeof(old_sb)));

	for (sector = 0; sector < 16; sector++) {
		for (torn = 0; torn <= 64; torn += 8) {
			const struct xpv_pmem_sb *use;
			unsigned int s;

			media[0] = old_sb;	/* primary */
			media[1] = old_sb;	/* backup */
			/* Sectors 0-7: backup; 8-15: primary. */
			for (s = 0; s < sector; s++)
				memcpy((u8 *)&media[s < 8 ? 1 : 0] +
				       (s % 8) * 512,
				       (u8 *)&new_sb + (s % 8) * 512, 512);
			memcpy((u8 *)&media[sector < 8 ? 1 : 0] +
			       (sector % 8) * 512,
			       (u8 *)&new_sb + (sector % 8) * 512, torn * 8);
			CHECK_EQ(xpv_pmem_sb_choose(&media[0], &media[1], &l,
						    &c), 0);
			use = c.use == XPV_PMEM_SB_USE_PRIMARY ? &media[0] :
			      c.use == XPV_PMEM_SB_USE_BACKUP ? &media[1] :
			      NULL;
			if (!use || (memcmp(use, &old_sb, 4096) &&
				     memcmp(use, &new_sb, 4096))) {
				CHECK(!"recovered neither old nor new");
				fprintf(stderr, "  sector %u torn %u\n", sector,
					torn);
				return;
			}
			if (c.repair_primary)
				media[0] = *use;
			if (c.repair_backup)
				media[1] = *use;
			CHECK(!memcmp(&media[0], &media[1], 4096));
			CHECK_EQ(xpv_pmem_sb_choose(&media[0], &media[1], &l,
						    &c), 0);
			CHECK(!c.repair_primary && !c.repair_backup);
			n++;
		}
	}
	CHECK_EQ(n, 16 * 9);
}

/* A copy that could not be read (a bad block) is a bad copy. */
UNIT_TEST(choose_unreadable_copies)
{
	struct xpv_pmem_sb base, foreign;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_choice c;

	good(&base, &g, &l);
	CHECK_EQ(xpv_pmem_sb_choose(NULL, &base, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_BACKUP);
	CHECK(c.repair_primary && !c.repair_backup);
	CHECK_EQ(c.primary_err, -EIO);
	CHECK_EQ(c.primary_reason, XPV_PMEM_SB_UNREADABLE);
	CHECK_EQ(c.backup_err, 0);
	CHECK_EQ(c.info.geom.rsv_size, 14 * MiB);

	CHECK_EQ(xpv_pmem_sb_choose(&base, NULL, &l, &c), 0);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_PRIMARY);
	CHECK(!c.repair_primary && c.repair_backup);
	CHECK_EQ(c.backup_err, -EIO);
	CHECK_EQ(c.backup_reason, XPV_PMEM_SB_UNREADABLE);

	CHECK_EQ(xpv_pmem_sb_choose(NULL, NULL, &l, &c), -EIO);
	CHECK_EQ(c.use, XPV_PMEM_SB_USE_NONE);
	CHECK(!c.repair_primary && !c.repair_backup);

	/* Unreadable vs a readable bad copy: the readable one explains. */
	memset(&foreign, 0, sizeof(foreign));
	CHECK_EQ(xpv_pmem_sb_choose(NULL, &foreign, &l, &c), -ENODEV);
	CHECK_EQ(xpv_pmem_sb_choose(&foreign, NULL, &l, &c), -ENODEV);
	/* A libnvdimm primary is never repaired, not even from a backup. */
	memcpy(foreign.signature, "NVDIMM_DAX_INFO", 16);
	CHECK_EQ(xpv_pmem_sb_choose(&foreign, NULL, &l, &c), -EBUSY);
	CHECK_EQ(xpv_pmem_sb_reason_errno(XPV_PMEM_SB_UNREADABLE), -EIO);
	CHECK(!strcmp(xpv_pmem_sb_reason_str(XPV_PMEM_SB_UNREADABLE),
		      "unreadable (media error)"));
}

/* A namespace rounded up to the region alignment: reserved to its end. */
UNIT_TEST(fit_reserved_to_namespace_end)
{
	struct xpv_pmem_sb sb;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;

	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB, NULL, &g), 0);
	CHECK_EQ(g.ns_size, 16 * MiB);
	CHECK_EQ(xpv_pmem_fit(&g, 8 * MiB), -ENOSPC);
	CHECK_EQ(g.rsv_size, 14 * MiB);
	CHECK_EQ(xpv_pmem_fit(&g, 16 * MiB), 0);
	CHECK_EQ(g.rsv_size, 14 * MiB);
	CHECK_EQ(xpv_pmem_fit(&g, 32 * MiB), 0);
	CHECK_EQ(g.ns_size, 32 * MiB);
	CHECK_EQ(g.rsv_off, 2 * MiB);
	CHECK_EQ(g.rsv_size, 30 * MiB);
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, NULL), 0);
	l = live_for(&g, 4 * GiB, 1 * GiB);
	CHECK_EQ(xpv_pmem_sb_validate(&sb, &l, NULL, NULL), 0);
	/* Not 2 MiB aligned at the end: the reserved area stops below it. */
	CHECK_EQ(xpv_pmem_plan(4 * GiB, 1 * GiB, 4 * GiB, NULL, &g), 0);
	CHECK_EQ(xpv_pmem_fit(&g, 17 * MiB + 4 * KiB), 0);
	CHECK_EQ(g.rsv_size, 14 * MiB);
	CHECK_EQ(xpv_pmem_sb_encode(&sb, &g, UUID, PARENT, NULL), 0);
	CHECK_EQ(xpv_pmem_fit(&g, U64MAX), -EOVERFLOW);
}

/* Which hypervisor answers may leave the reserved range with Xen. */
UNIT_TEST(report_may_own_table)
{
	static const struct {
		long rc;
		bool owns;
	} t[] = {
		{ 0, true }, { -EEXIST, true }, { -ENOMEM, true },
		{ -EFAULT, true }, { -EIO, true }, { -EBUSY, true },
		{ -EAGAIN, true }, { -9999, true }, { 1, true },
		{ -ENOSYS, false }, { -EPERM, false }, { -EINVAL, false },
		{ -ENOSPC, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (xpv_pmem_report_may_own(t[i].rc) != t[i].owns) {
			CHECK(!"wrong ownership for a hypervisor answer");
			fprintf(stderr, "  rc %ld\n", t[i].rc);
		}
}

UNIT_TEST(report_table)
{
	struct xpv_pmem_sb sb;
	struct xpv_pmem_geom g;
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_info info;
	struct xpv_xenpf_pmem_add rep;

	good(&sb, &g, &l);
	CHECK_EQ(xpv_pmem_sb_validate(&sb, &l, &info, NULL), 0);
	CHECK_EQ(xpv_pmem_sb_report(&info, &rep), 0);
	CHECK_EQ(rep.spfn, 0x100000);
	CHECK_EQ(rep.epfn, 0x140000);
	CHECK_EQ(rep.rsv_spfn, 0x100200);
	CHECK_EQ(rep.rsv_epfn, 0x100200 + 14 * 256);
	CHECK_EQ(rep.data_spfn, 0x101000);	/* after the 16 MiB namespace */
	CHECK_EQ(rep.data_epfn, 0x140000);

	/* Namespace in the middle: the larger side is the data area. */
	info.geom.ns_spa = 4 * GiB + 600 * MiB;
	info.geom.rsv_off = 2 * MiB;
	CHECK_EQ(xpv_pmem_sb_report(&info, &rep), 0);
	CHECK_EQ(rep.data_spfn, 0x100000);
	CHECK_EQ(rep.data_epfn, 0x100000 + 600 * 256);

	/* Namespace fills the covered range: no data area. */
	info.geom.ns_spa = 4 * GiB;
	info.geom.ns_size = 1 * GiB;
	CHECK_EQ(xpv_pmem_sb_report(&info, &rep), -ENOSPC);
	CHECK_EQ(rep.spfn, 0);
	CHECK_EQ(rep.data_epfn, 0);
}

UNIT_MAIN
