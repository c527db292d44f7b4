// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/lib/pmem_sb.c */
/*
 * libFuzzer target: the info-block validator, primary/backup choice and
 * report derivation on arbitrary media bytes and live geometry.
 *
 * Input: a mode byte, a live view (parent uuid, namespace, region), a
 * byte index for the backup's damage, then the block (zero-padded to
 * 4096).  Mode bits help the fuzzer past the early checks: force the
 * signature, copy the live parent uuid into the block, derive the live
 * namespace and region from the block, fix the checksum; with the choice,
 * make the backup unreadable (a media error).
 *
 * Invariants (abort on violation): the input is not modified; the errno
 * matches the reason; an accepted block satisfies every geometry rule
 * (checked here independently) and re-encodes byte for byte; its report
 * passes the hypervisor's checks; the choice is consistent with the two
 * validations.
 */
#include <linux/errno.h>
#include "fuzz.h"
#include <xpv/pmem_sb.h>

#define M_SIG		0x01
#define M_PARENT	0x02
#define M_LIVE_NS	0x04
#define M_LIVE_REGION	0x08
#define M_CSUM		0x10
#define M_CHOOSE	0x20
#define M_UNREADABLE	0x80	/* with M_CHOOSE: the backup could not be read */

static u64 rd(const void *blk, unsigned int off, unsigned int bytes)
{
	const u8 *b = blk;
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (u64)b[off + i] << (8 * i);
	return v;
}

static void fix_csum(struct xpv_pmem_sb *sb)
{
	u64 c = xpv_pmem_sb_checksum(sb);
	unsigned int i;

	for (i = 0; i < 8; i++)
		((u8 *)sb)[0xff8 + i] = (u8)(c >> (8 * i));
}

static void check_accepted(const struct xpv_pmem_sb *sb,
			   const struct xpv_pmem_live *l,
			   const struct xpv_pmem_sb_info *info)
{
	const struct xpv_pmem_geom *g = &info->geom;
	unsigned __int128 rs = (unsigned __int128)g->ns_spa + g->rsv_off;
	unsigned __int128 re = rs + g->rsv_size;
	unsigned __int128 ce = (unsigned __int128)g->covered_spa +
			       g->covered_size;
	struct xpv_xenpf_pmem_add rep;
	struct xpv_pmem_sb again;
	u64 min = 0;

	FUZZ_CHECK(g->ns_spa == l->ns_spa && g->ns_size == l->ns_size);
	FUZZ_CHECK(g->rsv_off >= XPV_PMEM_SB_HDR_END);
	FUZZ_CHECK((unsigned __int128)g->rsv_off + g->rsv_size <= g->ns_size);
	FUZZ_CHECK(rs % XPV_PMEM_ALIGN == 0 && re % XPV_PMEM_ALIGN == 0);
	FUZZ_CHECK(g->covered_spa % XPV_PMEM_ALIGN == 0 &&
		   ce % XPV_PMEM_ALIGN == 0 && g->covered_size);
	FUZZ_CHECK(g->covered_spa >= l->region_spa &&
		   ce <= (unsigned __int128)l->region_spa + l->region_size);
	FUZZ_CHECK(rs >= g->covered_spa && re <= ce && g->rsv_size);
	/* The reserved area runs to the namespace end, rounded to 2 MiB. */
	FUZZ_CHECK(re == ((unsigned __int128)g->ns_spa + g->ns_size) /
		   XPV_PMEM_ALIGN * XPV_PMEM_ALIGN);
	FUZZ_CHECK(xpv_pmem_rsv_size(g->covered_spa >> 12, (u64)(ce >> 12),
				     &g->sizes, &min) == 0);
	FUZZ_CHECK(min == info->rsv_min && g->rsv_size >= min);

	if (xpv_pmem_sb_report(info, &rep) == 0) {
		FUZZ_CHECK(rep.spfn < rep.epfn);
		FUZZ_CHECK(rep.spfn % XPV_PMEM_ALIGN_FRAMES == 0 &&
			   rep.epfn % XPV_PMEM_ALIGN_FRAMES == 0);
		FUZZ_CHECK(rep.rsv_spfn % XPV_PMEM_ALIGN_FRAMES == 0 &&
			   rep.rsv_epfn % XPV_PMEM_ALIGN_FRAMES == 0);
		FUZZ_CHECK(rep.spfn <= rep.rsv_spfn &&
			   rep.rsv_spfn < rep.rsv_epfn &&
			   rep.rsv_epfn <= rep.epfn);
		FUZZ_CHECK(rep.spfn <= rep.data_spfn &&
			   rep.data_spfn < rep.data_epfn &&
			   rep.data_epfn <= rep.epfn);
		FUZZ_CHECK(rep.data_epfn <= rep.rsv_spfn ||
			   rep.rsv_epfn <= rep.data_spfn);
	}
	if (info->version_minor == XPV_PMEM_SB_MINOR && !rd(sb, 0x34, 4)) {
		FUZZ_CHECK(xpv_pmem_sb_encode(&again, g, info->uuid,
					      l->parent_uuid, NULL) == 0);
		FUZZ_CHECK(!memcmp(&again, sb, sizeof(again)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xpv_pmem_sb sb, copy, backup;
	struct fuzz_in in = { data, size };
	struct xpv_pmem_live l;
	struct xpv_pmem_sb_info info;
	struct xpv_pmem_sb_choice ch;
	enum xpv_pmem_sb_reason why = XPV_PMEM_SB_NR_REASONS;
	unsigned int mode, i, dmg;
	int err;

	mode = (unsigned int)fuzz_take(&in, 1);
	for (i = 0; i < 16; i++)
		l.parent_uuid[i] = (u8)fuzz_take(&in, 1);
	l.ns_spa = fuzz_take(&in, 8);
	l.ns_size = fuzz_take(&in, 8);
	l.region_spa = fuzz_take(&in, 8);
	l.region_size = fuzz_take(&in, 8);
	dmg = (unsigned int)fuzz_take(&in, 2) % sizeof(sb);
	memset(&sb, 0, sizeof(sb));
	memcpy(&sb, in.p, in.left < sizeof(sb) ? in.left : sizeof(sb));

	if (mode & M_SIG)
		memcpy(sb.signature, XPV_PMEM_SB_SIG, XPV_PMEM_SB_SIG_LEN);
	if (mode & M_PARENT)
		memcpy(sb.parent_uuid, l.parent_uuid, 16);
	if (mode & M_LIVE_NS) {
		l.ns_spa = rd(&sb, 0x68, 8);
		l.ns_size = rd(&sb, 0x70, 8);
	}
	if (mode & M_LIVE_REGION) {
		/* Region = covered range + namespace, minus l.region_* bits. */
		u64 cs = rd(&sb, 0x38, 8), ce = cs + rd(&sb, 0x40, 8);
		u64 ns = l.ns_spa, ne = l.ns_spa + l.ns_size;
		u64 lo = cs < ns ? cs : ns, hi = ce > ne ? ce : ne;

		l.region_spa = lo - (l.region_spa & 0x3) * XPV_PMEM_ALIGN;
		l.region_size = hi - l.region_spa +
				(l.region_size & 0x3) * XPV_PMEM_ALIGN;
	}
	if (mode & M_CSUM)
		fix_csum(&sb);

	copy = sb;
	err = xpv_pmem_sb_validate(&sb, &l, &info, &why);
	FUZZ_CHECK(!memcmp(&copy, &sb, sizeof(sb)));
	FUZZ_CHECK((unsigned int)why < XPV_PMEM_SB_NR_REASONS);
	FUZZ_CHECK(err == xpv_pmem_sb_reason_errno(why));
	FUZZ_CHECK(xpv_pmem_sb_reason_str(why) != NULL);
	if (!err)
		check_accepted(&sb, &l, &info);

	if (mode & M_CHOOSE) {
		backup = sb;
		((u8 *)&backup)[dmg] ^= (u8)(mode | 1);
		if (mode & 0x40)
			fix_csum(&backup);
		err = xpv_pmem_sb_choose(&sb, mode & M_UNREADABLE ? NULL :
					 &backup, &l, &ch);
		FUZZ_CHECK(ch.primary_err ==
			   xpv_pmem_sb_validate(&sb, &l, NULL, NULL));
		FUZZ_CHECK(ch.backup_err == (mode & M_UNREADABLE ? -EIO :
			   xpv_pmem_sb_validate(&backup, &l, NULL, NULL)));
		switch (ch.use) {
		case XPV_PMEM_SB_USE_PRIMARY:
			FUZZ_CHECK(!err && !ch.primary_err && !ch.repair_primary);
			FUZZ_CHECK(ch.repair_backup ==
				   (ch.backup_err || (mode & M_UNREADABLE) ||
				    memcmp(&sb, &backup, sizeof(sb)) != 0));
			break;
		case XPV_PMEM_SB_USE_BACKUP:
			FUZZ_CHECK(!err && ch.primary_err && !ch.backup_err);
			FUZZ_CHECK(ch.primary_reason != XPV_PMEM_SB_FOREIGN);
			FUZZ_CHECK(ch.repair_primary && !ch.repair_backup);
			break;
		default:
			FUZZ_CHECK(err && ch.primary_err &&
				   (ch.backup_err ||
				    ch.primary_reason == XPV_PMEM_SB_FOREIGN));
			FUZZ_CHECK(!ch.repair_primary && !ch.repair_backup);
			break;
		}
	}
	return 0;
}
