// SPDX-License-Identifier: GPL-2.0-only
/*
 * spa.c - "ndctl-xen spa": the system physical address ranges behind a
 * pmem block device or a file on a DAX-mounted filesystem (vNVDIMM design
 * v2, section 4.2.3), what a toolstack hands to Xen to map into a guest.
 *
 * A device: its start and size are the "resource" and "size" attributes
 * of the device libnvdimm put the disk on (a raw namespace, or the pfn
 * device of an fsdax one, which already skips the info block and memmap);
 * a partition adds its start.  A file: FS_IOC_FIEMAP extents (synced
 * first) plus the start of its filesystem's device.  Files Xen could not
 * map as they are are refused: not DAX, holes, unwritten (preallocated)
 * extents, shared (reflinked) extents, inline or encoded data, extents not
 * page aligned.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fiemap.h>
#include <linux/fs.h>

#include "ndctl-xen.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

#define NDXEN_PAGE	4096ull

/* Flags an extent Xen can map may carry. */
#define NDXEN_EXTENT_OK	(FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_MERGED)

static const struct {
	unsigned int flag;
	const char *why;
} ndxen_extent_bad[] = {
	{ FIEMAP_EXTENT_UNKNOWN, "location unknown" },
	{ FIEMAP_EXTENT_DELALLOC, "not allocated yet (delayed allocation)" },
	{ FIEMAP_EXTENT_ENCODED, "encoded (compressed)" },
	{ FIEMAP_EXTENT_DATA_ENCRYPTED, "encrypted" },
	/* Before NOT_ALIGNED, which inline and tail data come with. */
	{ FIEMAP_EXTENT_DATA_INLINE, "inline data (stored in the inode, not on pmem pages)" },
	{ FIEMAP_EXTENT_DATA_TAIL, "packed with other files' tails" },
	{ FIEMAP_EXTENT_NOT_ALIGNED, "not block aligned" },
	{ FIEMAP_EXTENT_UNWRITTEN, "unwritten (preallocated, never written): write it first" },
	{ FIEMAP_EXTENT_SHARED, "shared with another file (reflink)" },
};

static const char *ndxen_extent_why(unsigned int flags)
{
	unsigned int i;

	for (i = 0; i < sizeof(ndxen_extent_bad) / sizeof(ndxen_extent_bad[0]);
	     i++)
		if (flags & ndxen_extent_bad[i].flag)
			return ndxen_extent_bad[i].why;
	return "unknown extent flags";
}

static struct fiemap *ndxen_fiemap(int fd, unsigned int count, int *err)
{
	struct fiemap *fm;

	fm = calloc(1, sizeof(*fm) + count * sizeof(struct fiemap_extent));
	if (!fm) {
		*err = -ENOMEM;
		return NULL;
	}
	fm->fm_start = 0;
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = count;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
		*err = -errno;
		free(fm);
		return NULL;
	}
	return fm;
}

/*
 * ndxen_fiemap_ranges() - the SPA ranges of a file from its FIEMAP extents
 * @fm:     the extents (as FS_IOC_FIEMAP returned them)
 * @fsize:  the file size in bytes (rounded up to pages here)
 * @base:   SPA of byte 0 of its filesystem's block device
 * @out:    malloc'd ranges (file offset, SPA, size), physically contiguous
 *          neighbours merged; free() it
 * @nr:     number of ranges
 * @why:    on refusal, one line saying why
 * @whylen: size of @why
 *
 * Pure: unit tested on synthetic extents (shared, inline, unwritten...),
 * which no filesystem the tests can mount produces on demand.
 *
 * Return: 0; -EINVAL for a file Xen cannot map as it is (@why says why);
 * -ENOMEM.
 */
int ndxen_fiemap_ranges(const struct fiemap *fm, unsigned long long fsize,
			unsigned long long base, struct ndxen_range **out,
			unsigned int *nr, char *why, size_t whylen)
{
	unsigned long long end, next = 0;
	struct ndxen_range *r;
	unsigned int i, n = fm->fm_mapped_extents;
	int err = 0;

	*out = NULL;
	*nr = 0;
	why[0] = '\0';
	if (!fsize) {
		snprintf(why, whylen, "empty file");
		return -EINVAL;
	}
	end = (fsize + NDXEN_PAGE - 1) & ~(NDXEN_PAGE - 1);
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n && next < end; i++) {
		const struct fiemap_extent *e = &fm->fm_extents[i];
		unsigned long long len = e->fe_length;
		struct ndxen_range *last = *nr ? &r[*nr - 1] : NULL;

		if (e->fe_flags & ~NDXEN_EXTENT_OK) {
			snprintf(why, whylen, "extent at offset %llu: %s",
				 (unsigned long long)e->fe_logical,
				 ndxen_extent_why(e->fe_flags & ~NDXEN_EXTENT_OK));
			err = -EINVAL;
			goto out;
		}
		if ((e->fe_logical | e->fe_physical | len) & (NDXEN_PAGE - 1)) {
			snprintf(why, whylen, "extent at offset %llu is not page aligned",
				 (unsigned long long)e->fe_logical);
			err = -EINVAL;
			goto out;
		}
		if (e->fe_logical != next) {
			snprintf(why, whylen, "hole at offset %llu: write or preallocate the whole file",
				 next);
			err = -EINVAL;
			goto out;
		}
		if (e->fe_logical + len > end)
			len = end - e->fe_logical;
		next = e->fe_logical + len;
		if (last && last->spa + last->size == base + e->fe_physical) {
			last->size += len;
			continue;
		}
		r[*nr].offset = e->fe_logical;
		r[*nr].spa = base + e->fe_physical;
		r[*nr].size = len;
		(*nr)++;
	}
	if (next < end) {
		snprintf(why, whylen, "hole at offset %llu: write or preallocate the whole file",
			 next);
		err = -EINVAL;
	}
out:
	if (err) {
		free(r);
		*nr = 0;
		return err;
	}
	*out = r;
	return 0;
}

/*
 * ndxen_file_extents() - the SPA ranges of an open regular file
 * @fd:     the file
 * @base:   SPA of byte 0 of its filesystem's block device
 * @out:    see ndxen_fiemap_ranges()
 * @nr:     number of ranges
 * @why:    on refusal, one line saying why
 * @whylen: size of @why
 *
 * Return: 0; -EINVAL for a file Xen cannot map as it is (@why says why);
 * -EOPNOTSUPP when the filesystem has no FIEMAP; -EAGAIN when the file
 * kept changing; other -errno.
 */
int ndxen_file_extents(int fd, unsigned long long base,
		       struct ndxen_range **out, unsigned int *nr,
		       char *why, size_t whylen)
{
	struct fiemap *fm = NULL;
	unsigned int n, tries;
	struct stat st;
	int err = 0;

	*out = NULL;
	*nr = 0;
	why[0] = '\0';
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -EINVAL;
	}
	if (!st.st_size) {
		snprintf(why, whylen, "empty file");
		return -EINVAL;
	}
	/* Count, then fetch; retry if the file changed in between. */
	for (tries = 0; tries < 4; tries++) {
		fm = ndxen_fiemap(fd, 0, &err);
		if (!fm)
			return err;
		n = fm->fm_mapped_extents;
		free(fm);
		fm = ndxen_fiemap(fd, n + 1, &err);
		if (!fm)
			return err;
		if (fm->fm_mapped_extents <= n)
			break;
		free(fm);
		fm = NULL;
	}
	if (!fm)
		return -EAGAIN;
	err = ndxen_fiemap_ranges(fm, (unsigned long long)st.st_size, base,
				  out, nr, why, whylen);
	free(fm);
	return err;
}

/*
 * The pmem behind block device @devt: its disk name, the SPA of its first
 * byte and its size (a partition's own).  Return: 0 or -errno, @why set.
 */
static int ndxen_blockdev_spa(dev_t devt, char *disk, size_t disklen,
			      char *holder, size_t holderlen,
			      unsigned long long *spa, unsigned long long *size,
			      char *why, size_t whylen)
{
	char link[PATH_MAX], path[PATH_MAX + 32], dir[PATH_MAX], tmp[PATH_MAX];
	unsigned long long start = 0, psize = 0, res, dsize;
	bool part;
	int rc;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(devt),
		 minor(devt));
	if (!realpath(link, dir)) {
		snprintf(why, whylen, "no sysfs entry for block device %u:%u",
			 major(devt), minor(devt));
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/partition", dir);
	part = !access(path, F_OK);
	if (part) {
		snprintf(path, sizeof(path), "%s/start", dir);
		rc = ndxen_sysfs_read_ull(path, 10, &start);
		snprintf(path, sizeof(path), "%s/size", dir);
		if (!rc)
			rc = ndxen_sysfs_read_ull(path, 10, &psize);
		if (rc) {
			snprintf(why, whylen, "cannot read the partition's start and size");
			return rc;
		}
		snprintf(tmp, sizeof(tmp), "%s", dir);
		snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	}
	snprintf(tmp, sizeof(tmp), "%s", dir);
	snprintf(disk, disklen, "%s", basename(tmp));
	snprintf(path, sizeof(path), "%s/device/resource", dir);
	rc = ndxen_sysfs_read_ull(path, 16, &res);
	if (rc) {
		snprintf(why, whylen, "%s is not a pmem disk with a linear SPA range (no device/resource%s)",
			 disk, rc == -EACCES ? ": run as root" : "");
		return rc == -ENOENT ? -ENODEV : rc;
	}
	snprintf(path, sizeof(path), "%s/device/size", dir);
	rc = ndxen_sysfs_read_ull(path, 10, &dsize);
	if (rc) {
		snprintf(why, whylen, "cannot read %s's device/size", disk);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/device", dir);
	if (realpath(path, tmp))
		snprintf(holder, holderlen, "%s", basename(tmp));
	*spa = res + start * 512;
	*size = part ? psize * 512 : dsize;
	return 0;
}

static struct json_object *ndxen_json_ranges(const struct ndxen_range *r,
					     unsigned int nr)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "offset",
				       ndxen_json_size(r[i].offset));
		json_object_object_add(j, "spa", ndxen_json_hex(r[i].spa));
		json_object_object_add(j, "size", ndxen_json_size(r[i].size));
		json_object_array_add(a, j);
	}
	return a;
}

static int ndxen_spa_one(const char *arg)
{
	char disk[64] = "", holder[64] = "", why[256] = "";
	unsigned long long spa, size;
	struct ndxen_range *r = NULL, one;
	struct json_object *j;
	unsigned int nr = 0;
	struct statx stx;
	int fd, rc;

	fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ndxen_err(arg, "%s\n", strerror(errno));
		return -errno;
	}
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &stx)) {
		rc = -errno;
		ndxen_err(arg, "%s\n", strerror(errno));
		goto out;
	}
	if (S_ISBLK(stx.stx_mode)) {
		rc = ndxen_blockdev_spa(makedev(stx.stx_rdev_major,
						stx.stx_rdev_minor),
					disk, sizeof(disk), holder,
					sizeof(holder), &spa, &size, why,
					sizeof(why));
		if (rc) {
			ndxen_err(arg, "%s\n", why);
			goto out;
		}
		one.offset = 0;
		one.spa = spa;
		one.size = size;
		j = json_object_new_object();
		json_object_object_add(j, "dev", json_object_new_string(arg));
		json_object_object_add(j, "blockdev", json_object_new_string(disk));
		json_object_object_add(j, "holder", json_object_new_string(holder));
		json_object_object_add(j, "spa", ndxen_json_hex(spa));
		json_object_object_add(j, "size", ndxen_json_size(size));
		json_object_object_add(j, "ranges", ndxen_json_ranges(&one, 1));
		ndxen_json_print(j);
		rc = 0;
		goto out;
	}
	if (!S_ISREG(stx.stx_mode)) {
		ndxen_err(arg, "neither a block device nor a regular file\n");
		rc = -EINVAL;
		goto out;
	}
	rc = ndxen_blockdev_spa(makedev(stx.stx_dev_major, stx.stx_dev_minor),
				disk, sizeof(disk), holder, sizeof(holder),
				&spa, &size, why, sizeof(why));
	if (rc) {
		ndxen_err(arg, "its filesystem is not on pmem: %s\n", why);
		goto out;
	}
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX)) {
		ndxen_err(arg, "not a DAX file (mount %s with -o dax): its data goes through the page cache\n",
			  disk);
		rc = -EINVAL;
		goto out;
	}
	rc = ndxen_file_extents(fd, spa, &r, &nr, why, sizeof(why));
	if (rc) {
		ndxen_err(arg, "%s\n", *why ? why : strerror(-rc));
		goto out;
	}
	j = json_object_new_object();
	json_object_object_add(j, "file", json_object_new_string(arg));
	json_object_object_add(j, "blockdev", json_object_new_string(disk));
	json_object_object_add(j, "holder", json_object_new_string(holder));
	json_object_object_add(j, "dev_spa", ndxen_json_hex(spa));
	json_object_object_add(j, "size", ndxen_json_size(stx.stx_size));
	json_object_object_add(j, "ranges", ndxen_json_ranges(r, nr));
	ndxen_json_print(j);
out:
	free(r);
	close(fd);
	return rc;
}

/* cmd_spa() - ndctl-xen spa [-u] [-v] DEVICE|FILE... */
int cmd_spa(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "uvh", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			ndxen_human = true;
			break;
		case 'v':
			ndxen_verbose++;
			break;
		case 'h':
			printf("usage: ndctl-xen spa [-u] /dev/pmemX | FILE...\n");
			return NDXEN_EXIT_OK;
		default:
			return NDXEN_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ndxen_err(NULL, "spa: name a pmem block device or a file on a DAX filesystem\n");
		return NDXEN_EXIT_USAGE;
	}
	for (i = optind; i < argc; i++)
		if (ndxen_spa_one(argv[i]))
			rc = NDXEN_EXIT_FAIL;
	return rc;
}
