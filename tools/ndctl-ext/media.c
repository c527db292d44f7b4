// SPDX-License-Identifier: GPL-2.0-only
/*
 * media.c - the Xen reservation info block on an open file descriptor
 * (a reservation namespace's raw block device opened O_DIRECT|O_EXCL, or
 * a file image in the tests).
 *
 * Writes go backup first, then primary, each made durable before the next
 * starts, so a crash at any point leaves at most one bad copy and the good
 * one is either the old or the new block (xpv_pmem_sb_choose() then
 * picks it).  Layout, validation and checksum come from the same pure
 * logic the kernel module runs: drivers/lib/pmem_sb.c.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "ndctl-xen.h"

/* Direct I/O wants buffers, offsets and sizes aligned to the block size. */
#define NDXEN_IO_ALIGN	4096

ssize_t (*ndxen_pwrite)(int fd, const void *buf, size_t n, off_t off) = pwrite;
ssize_t (*ndxen_pread)(int fd, void *buf, size_t n, off_t off) = pread;

/* ndxen_live_to_kernel() - the validator's view of @l. */
void ndxen_live_to_kernel(const struct ndxen_live *l, struct xpv_pmem_live *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->parent_uuid, l->parent_uuid, sizeof(k->parent_uuid));
	k->ns_spa = l->ns_spa;
	k->ns_size = l->ns_size;
	k->region_spa = l->region_spa;
	k->region_size = l->region_size;
}

static void *ndxen_io_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, NDXEN_IO_ALIGN, len))
		return NULL;
	memset(p, 0, len);
	return p;
}

/* Read one 4 KiB copy at @off through an aligned buffer. */
static int ndxen_read_one(int fd, off_t off, struct xpv_pmem_sb *out)
{
	ssize_t n;
	u8 *buf;

	buf = ndxen_io_buf(XPV_PMEM_SB_SIZE);
	if (!buf)
		return -ENOMEM;
	do
		n = ndxen_pread(fd, buf, XPV_PMEM_SB_SIZE, off);
	while (n < 0 && errno == EINTR);
	if (n == XPV_PMEM_SB_SIZE)
		memcpy(out, buf, XPV_PMEM_SB_SIZE);
	free(buf);
	if (n == XPV_PMEM_SB_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/*
 * ndxen_read_copies() - read each copy on its own: a bad block (EIO) in
 * one copy makes only that copy unreadable (@c->*_err), which
 * ndxen_choose() treats as a bad copy to be rewritten from the other.
 * Return: 0 (check @c->primary_err and @c->backup_err), or -errno when a
 * read failed other than with EIO.
 */
int ndxen_read_copies(int fd, struct ndxen_copies *c)
{
	c->primary_err = ndxen_read_one(fd, XPV_PMEM_SB_PRIMARY_OFF,
					&c->primary);
	c->backup_err = ndxen_read_one(fd, XPV_PMEM_SB_BACKUP_OFF,
				       &c->backup);
	if (c->primary_err && c->primary_err != -EIO)
		return c->primary_err;
	if (c->backup_err && c->backup_err != -EIO)
		return c->backup_err;
	return 0;
}

/* ndxen_choose() - xpv_pmem_sb_choose() with unreadable copies as NULL. */
int ndxen_choose(const struct ndxen_copies *c, const struct xpv_pmem_live *k,
		 struct xpv_pmem_sb_choice *ch)
{
	return xpv_pmem_sb_choose(c->primary_err ? NULL : &c->primary,
				  c->backup_err ? NULL : &c->backup, k, ch);
}

/* Write @len bytes of @src at @off through an aligned buffer, durably. */
static int ndxen_write_at(int fd, const void *src, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;
	u8 *buf;
	int rc = 0;

	buf = ndxen_io_buf(len);
	if (!buf)
		return -ENOMEM;
	if (src)
		memcpy(buf, src, len);
	while (done < len) {
		n = ndxen_pwrite(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	free(buf);
	if (!rc && fdatasync(fd))
		rc = -errno;
	return rc;
}

static unsigned long long ndxen_get_le64(const void *p)
{
	const u8 *b = p;
	unsigned long long v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/*
 * ndxen_write_block() - write @sb as both copies: backup, then primary
 * @fd:          the namespace
 * @sb:          an encoded block
 * @zero_header: also zero what the layout says is zero ([0, 4 KiB) and
 *               [12 KiB, rsv_off)), first; for a new reservation only
 *
 * Return: 0 or -errno of the first failed write (earlier writes stay).
 */
int ndxen_write_block(int fd, const struct xpv_pmem_sb *sb, bool zero_header)
{
	unsigned long long rsv_off = ndxen_get_le64(&sb->rsv_off);
	int rc;

	if (zero_header) {
		rc = ndxen_write_at(fd, NULL, XPV_PMEM_SB_PRIMARY_OFF, 0);
		if (!rc && rsv_off > XPV_PMEM_SB_HDR_END)
			rc = ndxen_write_at(fd, NULL,
					    rsv_off - XPV_PMEM_SB_HDR_END,
					    XPV_PMEM_SB_HDR_END);
		if (rc)
			return rc;
	}
	rc = ndxen_write_at(fd, sb, XPV_PMEM_SB_SIZE, XPV_PMEM_SB_BACKUP_OFF);
	if (rc)
		return rc;
	return ndxen_write_at(fd, sb, XPV_PMEM_SB_SIZE,
			      XPV_PMEM_SB_PRIMARY_OFF);
}

/*
 * ndxen_repair() - apply xpv_pmem_sb_choose()'s verdict: rewrite the copy
 * it says is bad or stale from the trusted one (a 512-byte aligned write:
 * on a bad block, pmem clears the poison where the platform can).
 * Return: 0 (also when nothing needed repair) or -errno.
 */
int ndxen_repair(int fd, const struct ndxen_copies *c,
		 const struct xpv_pmem_sb_choice *ch)
{
	if (ch->repair_primary)
		return ndxen_write_at(fd, &c->backup, XPV_PMEM_SB_SIZE,
				      XPV_PMEM_SB_PRIMARY_OFF);
	if (ch->repair_backup)
		return ndxen_write_at(fd, &c->primary, XPV_PMEM_SB_SIZE,
				      XPV_PMEM_SB_BACKUP_OFF);
	return 0;
}

/*
 * ndxen_plan_ns_size() - size of a new reservation namespace at the start
 * of a region: info blocks + reserved area for the whole region, rounded
 * up to the region's namespace alignment (@align, 0 for none).
 * Return: 0, -ENOSPC (does not fit with room left for data), or the
 * planner's -EINVAL/-EOVERFLOW.
 */
int ndxen_plan_ns_size(unsigned long long region_spa,
		       unsigned long long region_size, unsigned long long align,
		       const struct xpv_pmem_entry_sizes *sizes,
		       unsigned long long *ns_size)
{
	struct xpv_pmem_geom g;
	unsigned long long n;
	int rc;

	rc = xpv_pmem_plan(region_spa, region_size, region_spa, sizes, &g);
	if (rc)
		return rc;
	n = g.ns_size;
	if (align > 1) {
		if (n > ~0ull - (align - 1))
			return -EOVERFLOW;
		n = (n + align - 1) / align * align;
	}
	/* Leave room for data: a region that is all reservation is useless. */
	if (n >= region_size)
		return -ENOSPC;
	*ns_size = n;
	return 0;
}

/*
 * ndxen_encode_for() - the block for the live namespace @l
 * @l:      namespace and region as they are now
 * @sizes:  entry sizes (NULL: defaults)
 * @uuid:   the reservation's uuid
 * @sb:     result
 * @reason: why the geometry was refused, or NULL
 *
 * Covered range = the region trimmed to 2 MiB; reserved area from the
 * first 2 MiB boundary at or after +12 KiB to the namespace end (rounded
 * down to 2 MiB): a namespace libnvdimm rounded up to the region alignment
 * leaves no tail that is neither reported nor usable.
 *
 * Return: 0, -ENOSPC when the namespace is smaller than the plan, or the
 * planner's/encoder's errno.
 */
int ndxen_encode_for(const struct ndxen_live *l,
		     const struct xpv_pmem_entry_sizes *sizes,
		     const u8 uuid[16], struct xpv_pmem_sb *sb,
		     enum xpv_pmem_sb_reason *reason)
{
	struct xpv_pmem_geom g;
	int rc;

	if (reason)
		*reason = XPV_PMEM_SB_OK;
	rc = xpv_pmem_plan(l->region_spa, l->region_size, l->ns_spa, sizes, &g);
	if (rc)
		return rc;
	rc = xpv_pmem_fit(&g, l->ns_size);
	if (rc) {
		if (reason)
			*reason = rc == -ENOSPC ? XPV_PMEM_SB_TOO_SMALL :
				  XPV_PMEM_SB_WRAP;
		return rc;
	}
	return xpv_pmem_sb_encode(sb, &g, uuid, l->parent_uuid, reason);
}

/*
 * ndxen_block_blank() - no info block of any kind (neither ours nor a
 * libnvdimm one): a copy that may be written without --force.
 */
bool ndxen_block_blank(const struct xpv_pmem_sb *sb)
{
	static const u8 zero[XPV_PMEM_SB_SIG_LEN];

	return !memcmp(sb->signature, zero, sizeof(zero));
}

static struct json_object *ndxen_json_range(unsigned long long spa,
					    unsigned long long size)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "spa", ndxen_json_hex(spa));
	json_object_object_add(j, "size", ndxen_json_size(size));
	return j;
}

/* ndxen_json_geometry() - a decoded block, for list/check output. */
struct json_object *ndxen_json_geometry(const struct xpv_pmem_sb_info *info)
{
	const struct xpv_pmem_geom *g = &info->geom;
	struct json_object *j = json_object_new_object();
	char uu[40], ver[16];

	uuid_unparse(info->uuid, uu);
	snprintf(ver, sizeof(ver), "%u.%u", info->version_major,
		 info->version_minor);
	json_object_object_add(j, "uuid", json_object_new_string(uu));
	json_object_object_add(j, "version", json_object_new_string(ver));
	json_object_object_add(j, "covered",
			       ndxen_json_range(g->covered_spa,
						g->covered_size));
	json_object_object_add(j, "reserved",
			       ndxen_json_range(g->ns_spa + g->rsv_off,
						g->rsv_size));
	json_object_object_add(j, "reserved_min",
			       ndxen_json_size(info->rsv_min));
	json_object_object_add(j, "page_info_size",
			       json_object_new_int((int)g->sizes.page_info));
	json_object_object_add(j, "m2p_entry_size",
			       json_object_new_int((int)g->sizes.m2p));
	json_object_object_add(j, "compat_m2p_entry_size",
			       json_object_new_int((int)g->sizes.compat_m2p));
	return j;
}

/* ndxen_json_copy() - one copy's validation result. */
struct json_object *ndxen_json_copy(int err, enum xpv_pmem_sb_reason reason)
{
	if (!err)
		return json_object_new_string("valid");
	return json_object_new_string(xpv_pmem_sb_reason_str(reason));
}
