// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ndctl_xen - ndctl-xen's logic without pmem: argument parsing and
 * size formats, the namespace size plan, info block round trips on a file
 * image (layout, zeroed gaps, bytes outside left alone, byte-identical
 * rewrite, repair), every crash point of the writer (backup first, then
 * primary: always old or new, never neither), unreadable copies (a bad
 * block: EIO from one copy's read), the reserved area grown to a rounded
 * namespace's end, the JSON shapes, running ndctl when memory runs out,
 * the FIEMAP parser on synthetic extents (shared, inline, unwritten...)
 * and FIEMAP on a real file (in TMPDIR, or the build directory when
 * TMPDIR has no FIEMAP, e.g. tmpfs).
 *
 * Built with ASan + UBSan by "make test".
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fiemap.h>

#include "ndctl-xen.h"
#include "test.h"

#define KiB	1024ull
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)

int t_fails, t_checks;

static void run(const char *name, void (*fn)(void))
{
	int before = t_fails;

	fn();
	printf("%s %s\n", t_fails == before ? "ok" : "not ok", name);
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_size(void)
{
	unsigned long long v = 0;

	CHECK(!ndxen_parse_size("16M", &v) && v == 16 * MiB);
	CHECK(!ndxen_parse_size("1g", &v) && v == GiB);
	CHECK(!ndxen_parse_size("2KiB", &v) && v == 2 * KiB);
	CHECK(!ndxen_parse_size("3TB", &v) && v == 3ull << 40);
	CHECK(!ndxen_parse_size("0x1000", &v) && v == 4096);
	CHECK(!ndxen_parse_size("4096", &v) && v == 4096);
	CHECK(ndxen_parse_size("", &v) == -EINVAL);
	CHECK(ndxen_parse_size(NULL, &v) == -EINVAL);
	CHECK(ndxen_parse_size("-1", &v) == -EINVAL);
	CHECK(ndxen_parse_size(" 1", &v) == -EINVAL);
	CHECK(ndxen_parse_size("1X", &v) == -EINVAL);
	CHECK(ndxen_parse_size("1Mx", &v) == -EINVAL);
	CHECK(ndxen_parse_size("M", &v) == -EINVAL);
	CHECK(ndxen_parse_size("18446744073709551615K", &v) == -EINVAL);
	CHECK(ndxen_parse_size("17179869184G", &v) == -EINVAL);
	CHECK(!ndxen_parse_size("17179869183G", &v) &&
	      v == 17179869183ull << 30);
}

static void test_parse_uint(void)
{
	unsigned long long v = 0;

	CHECK(!ndxen_parse_uint("48", 1024, &v) && v == 48);
	CHECK(!ndxen_parse_uint("0x30", 1024, &v) && v == 48);
	CHECK(!ndxen_parse_uint("1024", 1024, &v) && v == 1024);
	CHECK(ndxen_parse_uint("1025", 1024, &v) == -EINVAL);
	CHECK(ndxen_parse_uint("48k", 1024, &v) == -EINVAL);
	CHECK(ndxen_parse_uint("-48", 1024, &v) == -EINVAL);
	CHECK(ndxen_parse_uint("", 1024, &v) == -EINVAL);
}

static void test_fmt_size(void)
{
	char b[64];

	ndxen_fmt_size(16 * MiB, b, sizeof(b));
	CHECK(!strcmp(b, "16.00 MiB (16.78 MB)"));
	ndxen_fmt_size(1022 * MiB, b, sizeof(b));
	CHECK(!strcmp(b, "1022.00 MiB (1071.64 MB)"));
	ndxen_fmt_size(512, b, sizeof(b));
	CHECK(!strcmp(b, "512"));
	ndxen_fmt_size(0, b, sizeof(b));
	CHECK(!strcmp(b, "0"));
}

/* ---- plan ---------------------------------------------------------------- */

static void test_plan(void)
{
	unsigned long long n = 0;

	/* The QEMU region: 1022 MiB at 4 GiB: 2 MiB header + 14 MiB. */
	CHECK(!ndxen_plan_ns_size(4 * GiB, 1022 * MiB, 16 * MiB, NULL, &n));
	CHECK_EQ_ULL(n, 16 * MiB);
	/* The worked figures: 46 MiB and 180 MiB + 2 MiB header. */
	CHECK(!ndxen_plan_ns_size(4 * GiB, 4 * GiB, 16 * MiB, NULL, &n));
	CHECK_EQ_ULL(n, 48 * MiB);
	CHECK(!ndxen_plan_ns_size(5 * GiB, 16 * GiB, 16 * MiB, NULL, &n));
	CHECK_EQ_ULL(n, 192 * MiB);
	CHECK(!ndxen_plan_ns_size(5 * GiB, 16 * GiB, 0, NULL, &n));
	CHECK_EQ_ULL(n, 182 * MiB);
	/* BIGMEM page_info (48 bytes): the frame table grows by half. */
	{
		struct xpv_pmem_entry_sizes s = { 48, 8, 4 };

		CHECK(!ndxen_plan_ns_size(4 * GiB, GiB, 0, &s, &n));
		CHECK_EQ_ULL(n, (2 + 12 + 2 + 2 + 2) * MiB);
	}
	/* Too small a region; one without a 2 MiB-aligned part. */
	CHECK(ndxen_plan_ns_size(4 * GiB, 16 * MiB, 16 * MiB, NULL, &n) ==
	      -ENOSPC);
	CHECK(ndxen_plan_ns_size(4 * GiB + 4096, MiB, 0, NULL, &n) == -EINVAL);
	CHECK(ndxen_plan_ns_size(~0ull - MiB, 64 * MiB, 0, NULL, &n) ==
	      -EOVERFLOW);
}

/* ---- media on a file image ------------------------------------------------ */

#define IMG_SIZE	(4 * MiB)

static const struct ndxen_live live = {
	.parent_uuid = { 0xd1, 0x65, 0xe3, 0xf9, 0xad, 0xe5, 0x46, 0xef,
			 0x93, 0x8f, 0x61, 0xe4, 0xf2, 0xd2, 0x6a, 0xd1 },
	.ns_spa = 4 * GiB,
	.ns_size = 16 * MiB,
	.region_spa = 4 * GiB,
	.region_size = 1022 * MiB,
};
static const u8 uuid_a[16] = { 0xaa, 1, 2, 3, 4, 5, 6, 7,
			       8, 9, 10, 11, 12, 13, 14, 15 };
static const u8 uuid_b[16] = { 0xbb, 1, 2, 3, 4, 5, 6, 7,
			       8, 9, 10, 11, 12, 13, 14, 15 };

/* A file image filled with 0xa5, as used media would be. */
static int image(void)
{
	char path[] = "/tmp/ndctl-xen-test.XXXXXX";
	static u8 junk[64 * KiB];
	unsigned long long off;
	int fd;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	memset(junk, 0xa5, sizeof(junk));
	for (off = 0; off < IMG_SIZE; off += sizeof(junk))
		if (pwrite(fd, junk, sizeof(junk), (off_t)off) != sizeof(junk))
			return -1;
	return fd;
}

static u8 *slurp(int fd)
{
	u8 *b = malloc(IMG_SIZE);

	if (b && pread(fd, b, IMG_SIZE, 0) != (ssize_t)IMG_SIZE) {
		free(b);
		return NULL;
	}
	return b;
}

static int choose(int fd, struct xpv_pmem_sb_choice *ch)
{
	struct xpv_pmem_live k;
	struct ndxen_copies c;

	ndxen_live_to_kernel(&live, &k);
	if (ndxen_read_copies(fd, &c))
		return -EIO;
	return ndxen_choose(&c, &k, ch);
}

static void test_media_roundtrip(void)
{
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_sb sb;
	enum xpv_pmem_sb_reason why;
	u8 *img, *again;
	size_t i, bad = 0;
	int fd = image();

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(!ndxen_encode_for(&live, NULL, uuid_a, &sb, &why));
	CHECK(why == XPV_PMEM_SB_OK);
	CHECK(!ndxen_write_block(fd, &sb, true));
	img = slurp(fd);
	CHECK(img != NULL);
	if (!img)
		goto out;
	/* zero | primary | backup | zero up to 2 MiB | untouched. */
	for (i = 0; i < IMG_SIZE; i++) {
		u8 want;

		if (i < 4 * KiB)
			want = 0;
		else if (i < 8 * KiB)
			want = ((u8 *)&sb)[i - 4 * KiB];
		else if (i < 12 * KiB)
			want = ((u8 *)&sb)[i - 8 * KiB];
		else if (i < 2 * MiB)
			want = 0;
		else
			want = 0xa5;
		bad += img[i] != want;
	}
	CHECK_EQ_ULL(bad, 0);
	CHECK(!memcmp(img + 4 * KiB, XPV_PMEM_SB_SIG, XPV_PMEM_SB_SIG_LEN));
	CHECK(!choose(fd, &ch));
	CHECK(ch.use == XPV_PMEM_SB_USE_PRIMARY && !ch.repair_backup);
	CHECK(!memcmp(ch.info.uuid, uuid_a, 16));
	CHECK_EQ_ULL(ch.info.geom.rsv_off, 2 * MiB);
	CHECK_EQ_ULL(ch.info.geom.rsv_size, 14 * MiB);
	CHECK_EQ_ULL(ch.info.geom.covered_size, 1022 * MiB);

	/* Writing the same block again: byte-identical media. */
	CHECK(!ndxen_write_block(fd, &sb, true));
	again = slurp(fd);
	CHECK(again && !memcmp(img, again, IMG_SIZE));
	free(again);
	free(img);
out:
	close(fd);
}

static void test_media_repair(void)
{
	struct xpv_pmem_sb_choice ch;
	struct ndxen_copies c;
	struct xpv_pmem_sb sb;
	u8 x = 0x5a;
	int fd = image();

	CHECK(fd >= 0 && !ndxen_encode_for(&live, NULL, uuid_a, &sb, NULL));
	CHECK(!ndxen_write_block(fd, &sb, true));
	/* Damage the primary: the backup is trusted, the primary rewritten. */
	CHECK(pwrite(fd, &x, 1, 4 * KiB + 700) == 1);
	CHECK(!choose(fd, &ch));
	CHECK(ch.use == XPV_PMEM_SB_USE_BACKUP && ch.repair_primary);
	CHECK(ch.primary_reason == XPV_PMEM_SB_BAD_CHECKSUM);
	CHECK(!ndxen_read_copies(fd, &c));
	CHECK(!ndxen_repair(fd, &c, &ch));
	CHECK(!ndxen_read_copies(fd, &c));
	CHECK(!memcmp(&c.primary, &sb, sizeof(sb)) &&
	      !memcmp(&c.backup, &sb, sizeof(sb)));
	/* Both damaged: refused, and nothing to repair. */
	CHECK(pwrite(fd, &x, 1, 4 * KiB + 700) == 1);
	CHECK(pwrite(fd, &x, 1, 8 * KiB + 700) == 1);
	CHECK(choose(fd, &ch) == -EBADMSG);
	CHECK(ch.use == XPV_PMEM_SB_USE_NONE && !ch.repair_primary &&
	      !ch.repair_backup);
	/* A blank area is recognised as such (written without --force). */
	memset(&sb, 0, sizeof(sb));
	CHECK(ndxen_block_blank(&sb));
	memcpy(sb.signature, "NVDIMM_PFN_INFO", 15);
	CHECK(!ndxen_block_blank(&sb));
	close(fd);
}

/* Crash injection: let @crash_budget bytes through, then fail. */
static long long crash_budget = -1;
static unsigned long long crash_first_off = ~0ull;

static ssize_t crash_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	size_t take = n;

	if (crash_first_off == ~0ull)
		crash_first_off = (unsigned long long)off;
	if (crash_budget >= 0) {
		if (!crash_budget) {
			errno = EIO;
			return -1;
		}
		if ((long long)take > crash_budget)
			take = (size_t)crash_budget;
		crash_budget -= (long long)take;
	}
	return pwrite(fd, buf, take, off);
}

static void test_media_crash_points(void)
{
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_sb a, b;
	unsigned int k, old = 0, neu = 0, bad = 0;
	int fd;

	CHECK(!ndxen_encode_for(&live, NULL, uuid_a, &a, NULL));
	CHECK(!ndxen_encode_for(&live, NULL, uuid_b, &b, NULL));
	ndxen_pwrite = crash_pwrite;
	/* Every 512-byte step of the two 4 KiB writes (16 sectors). */
	for (k = 0; k <= 16; k++) {
		fd = image();
		crash_budget = -1;
		if (fd < 0 || ndxen_write_block(fd, &a, true)) {
			bad++;
			continue;
		}
		crash_budget = 512ll * k;
		crash_first_off = ~0ull;
		ndxen_write_block(fd, &b, false);
		CHECK_EQ_ULL(crash_first_off, XPV_PMEM_SB_BACKUP_OFF);
		if (choose(fd, &ch)) {
			bad++;
		} else if (!memcmp(ch.info.uuid, uuid_a, 16)) {
			old++;
			CHECK(k <= 8);
		} else if (!memcmp(ch.info.uuid, uuid_b, 16)) {
			neu++;
			CHECK(k >= 9);
		} else {
			bad++;
		}
		close(fd);
	}
	ndxen_pwrite = pwrite;
	crash_budget = -1;
	CHECK_EQ_ULL(bad, 0);
	CHECK_EQ_ULL(old, 9);
	CHECK_EQ_ULL(neu, 8);
}

static void test_encode_refusals(void)
{
	struct ndxen_live l = live;
	enum xpv_pmem_sb_reason why;
	struct xpv_pmem_sb sb;

	l.ns_size = 8 * MiB;		/* too small for 14 MiB */
	CHECK(ndxen_encode_for(&l, NULL, uuid_a, &sb, &why) == -ENOSPC);
	CHECK(why == XPV_PMEM_SB_TOO_SMALL);
	l = live;
	l.ns_spa += 1022 * MiB;		/* not inside the region */
	CHECK(ndxen_encode_for(&l, NULL, uuid_a, &sb, &why) == -ENOSPC);
}


/* Bad-block injection: reads of [bad_off, bad_off + 4 KiB) fail with EIO. */
static unsigned long long bad_off = ~0ull, bad_off2 = ~0ull;
static int bad_errno = EIO;
static unsigned int bad_reads;

static bool bad_hit(unsigned long long bad, off_t off, size_t n)
{
	return bad != ~0ull && (unsigned long long)off < bad + 4096 &&
	       (unsigned long long)off + n > bad;
}

static ssize_t bad_pread(int fd, void *buf, size_t n, off_t off)
{
	if (bad_hit(bad_off, off, n) || bad_hit(bad_off2, off, n)) {
		bad_reads++;
		errno = bad_errno;
		return -1;
	}
	return pread(fd, buf, n, off);
}

static void test_media_unreadable(void)
{
	struct xpv_pmem_sb_choice ch;
	struct ndxen_copies c;
	struct xpv_pmem_live k;
	struct xpv_pmem_sb sb;
	u8 *before, *after;
	int fd = image();

	ndxen_live_to_kernel(&live, &k);
	CHECK(fd >= 0 && !ndxen_encode_for(&live, NULL, uuid_a, &sb, NULL));
	CHECK(!ndxen_write_block(fd, &sb, true));
	before = slurp(fd);
	ndxen_pread = bad_pread;

	/* A bad block in the primary: only that copy is lost. */
	bad_off = XPV_PMEM_SB_PRIMARY_OFF;
	bad_reads = 0;
	CHECK_EQ_ULL(ndxen_read_copies(fd, &c), 0);
	CHECK_EQ_ULL(bad_reads, 1);
	CHECK(c.primary_err == -EIO && c.backup_err == 0);
	CHECK(!memcmp(&c.backup, &sb, sizeof(sb)));
	CHECK(!ndxen_choose(&c, &k, &ch));
	CHECK(ch.use == XPV_PMEM_SB_USE_BACKUP && ch.repair_primary);
	CHECK(ch.primary_reason == XPV_PMEM_SB_UNREADABLE);
	/* The repair rewrites the primary (on pmem: clears the poison). */
	CHECK(!ndxen_repair(fd, &c, &ch));
	ndxen_pread = pread;
	after = slurp(fd);
	CHECK(before && after && !memcmp(before, after, IMG_SIZE));
	free(after);

	/* A bad block in the backup: the primary is used, backup rewritten. */
	ndxen_pread = bad_pread;
	bad_off = XPV_PMEM_SB_BACKUP_OFF;
	CHECK_EQ_ULL(ndxen_read_copies(fd, &c), 0);
	CHECK(c.primary_err == 0 && c.backup_err == -EIO);
	CHECK(!ndxen_choose(&c, &k, &ch));
	CHECK(ch.use == XPV_PMEM_SB_USE_PRIMARY && ch.repair_backup);
	CHECK(!ndxen_repair(fd, &c, &ch));

	/* Both copies bad: refused with EIO, nothing to repair. */
	bad_off = XPV_PMEM_SB_PRIMARY_OFF;
	bad_off2 = XPV_PMEM_SB_BACKUP_OFF;
	CHECK_EQ_ULL(ndxen_read_copies(fd, &c), 0);
	CHECK(c.primary_err == -EIO && c.backup_err == -EIO);
	CHECK(ndxen_choose(&c, &k, &ch) == -EIO);
	CHECK(ch.use == XPV_PMEM_SB_USE_NONE && !ch.repair_primary &&
	      !ch.repair_backup);

	/* Another error than EIO is not a bad block: the read fails. */
	bad_errno = EBADF;
	CHECK(ndxen_read_copies(fd, &c) == -EBADF);
	bad_errno = EIO;
	ndxen_pread = pread;
	bad_off = ~0ull;
	bad_off2 = ~0ull;
	free(before);
	close(fd);
}

/* A namespace libnvdimm rounded up: the reserved area runs to its end. */
static void test_encode_rounded_namespace(void)
{
	struct ndxen_live l = live;
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_live k;
	struct xpv_pmem_sb sb;

	l.ns_size = 32 * MiB;		/* planned 16 MiB, got 32 */
	CHECK(!ndxen_encode_for(&l, NULL, uuid_a, &sb, NULL));
	ndxen_live_to_kernel(&l, &k);
	CHECK(!xpv_pmem_sb_choose(&sb, &sb, &k, &ch));
	CHECK_EQ_ULL(ch.info.geom.rsv_off, 2 * MiB);
	CHECK_EQ_ULL(ch.info.geom.rsv_size, 30 * MiB);
	CHECK_EQ_ULL(ch.info.rsv_min, 14 * MiB);
	CHECK_EQ_ULL(ch.info.geom.ns_spa + ch.info.geom.rsv_off +
		     ch.info.geom.rsv_size, l.ns_spa + l.ns_size);
}

/* ---- running ndctl ------------------------------------------------------ */

static unsigned int realloc_calls;

static void *failing_realloc(void *p, size_t n)
{
	(void)p;
	(void)n;
	realloc_calls++;
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "  run_ndctl: hung\n");
	_exit(1);
}

static void test_run_ndctl(void)
{
	char dir[] = "/tmp/ndctl-xen-run.XXXXXX", script[600], mark[600];
	char *args[] = { NULL, "create-namespace", NULL };
	struct json_object *out = NULL;
	struct stat st;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(script, sizeof(script), "%s/ndctl", dir);
	snprintf(mark, sizeof(mark), "%s/done", dir);
	/* 1 MiB of output (16 pipe buffers), then a mark, exit 3. */
	f = fopen(script, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\n[ -n \"$BIG\" ] && head -c 1048576 /dev/zero | tr '\\0' x\n"
		"echo done >%s\nexit 3\n", mark);
	fclose(f);
	CHECK(!chmod(script, 0755));
	setenv("NDCTL", script, 1);
	signal(SIGALRM, on_alarm);
	alarm(30);

	/* Out of memory at the first chunk: drained, the child finishes. */
	setenv("BIG", "1", 1);
	ndxen_realloc = failing_realloc;
	CHECK(ndxen_run_ndctl(args, &out) == -ENOMEM);
	ndxen_realloc = realloc;
	unsetenv("BIG");
	CHECK(out == NULL);
	CHECK_EQ_ULL(realloc_calls, 1);
	CHECK(!stat(mark, &st));
	unlink(mark);

	/* Its exit status; no output, so no object. */
	CHECK(ndxen_run_ndctl(args, &out) == -3);
	CHECK(out == NULL);
	CHECK(!stat(mark, &st));
	unlink(mark);

	/* JSON on stdout is parsed. */
	f = fopen(script, "w");
	if (f) {
		fprintf(f, "#!/bin/sh\necho '{\"dev\":\"namespace0.1\",\"mode\":\"fsdax\"}'\n");
		fclose(f);
	}
	CHECK(ndxen_run_ndctl(args, &out) == 0);
	CHECK(out && !strcmp(json_object_get_string(
		json_object_object_get(out, "mode")), "fsdax"));
	json_object_put(out);
	alarm(0);
	unsetenv("NDCTL");
	unlink(script);
	rmdir(dir);
}

/* ---- sysfs lists ------------------------------------------------------------ */

static void test_list_has(void)
{
	CHECK(ndxen_list_has("namespace0.0\nnamespace1.0", "namespace1.0"));
	CHECK(ndxen_list_has("namespace0.0\n", "namespace0.0"));
	CHECK(!ndxen_list_has("namespace0.0\nnamespace1.0", "namespace0."));
	CHECK(!ndxen_list_has("namespace10.0", "namespace1.0"));
	CHECK(!ndxen_list_has("", "namespace0.0"));
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *jstr(struct json_object *j, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(j, k, &v) ?
	       json_object_get_string(v) : NULL;
}

static void test_json(void)
{
	struct xpv_pmem_sb_choice ch;
	struct xpv_pmem_sb sb;
	struct json_object *j, *r;
	const char *s;
	int fd = image();

	CHECK(fd >= 0 && !ndxen_encode_for(&live, NULL, uuid_a, &sb, NULL));
	CHECK(!ndxen_write_block(fd, &sb, true));
	CHECK(!choose(fd, &ch));
	close(fd);
	j = ndxen_json_geometry(&ch.info);
	CHECK(!strcmp(jstr(j, "uuid"), "aa010203-0405-0607-0809-0a0b0c0d0e0f"));
	CHECK(!strcmp(jstr(j, "version"), "1.0"));
	CHECK(json_object_object_get_ex(j, "reserved", &r));
	CHECK(!strcmp(jstr(r, "spa"), "0x100200000"));
	CHECK(!strcmp(jstr(r, "size"), "14680064"));
	CHECK(json_object_get_type(json_object_object_get(r, "size")) ==
	      json_type_int);
	CHECK(!strcmp(jstr(j, "page_info_size"), "32"));
	CHECK(!strcmp(jstr(j, "compat_m2p_entry_size"), "4"));
	s = json_object_to_json_string(j);
	r = json_tokener_parse(s);
	CHECK(r != NULL);
	json_object_put(r);
	json_object_put(j);
	ndxen_human = true;
	j = ndxen_json_geometry(&ch.info);
	CHECK(json_object_object_get_ex(j, "reserved", &r));
	CHECK(!strcmp(jstr(r, "size"), "14.00 MiB (14.68 MB)"));
	json_object_put(j);
	ndxen_human = false;
	j = ndxen_json_copy(0, XPV_PMEM_SB_OK);
	CHECK(!strcmp(json_object_get_string(j), "valid"));
	json_object_put(j);
	j = ndxen_json_copy(-EBADMSG, XPV_PMEM_SB_BAD_CHECKSUM);
	CHECK(!strcmp(json_object_get_string(j), "checksum mismatch"));
	json_object_put(j);
}

/* ---- FIEMAP -------------------------------------------------------------- */

/* A synthetic FIEMAP result: up to 8 extents. */
struct fake_fiemap {
	struct fiemap fm;
	struct fiemap_extent e[8];
};

static void fake_add(struct fake_fiemap *f, unsigned long long logical,
		     unsigned long long physical, unsigned long long len,
		     unsigned int flags)
{
	struct fiemap_extent *e = &f->fm.fm_extents[f->fm.fm_mapped_extents++];

	e->fe_logical = logical;
	e->fe_physical = physical;
	e->fe_length = len;
	e->fe_flags = flags;
}

static int fake_parse(struct fake_fiemap *f, unsigned long long size,
		      struct ndxen_range **r, unsigned int *nr, char *why)
{
	return ndxen_fiemap_ranges(&f->fm, size, 0x100000000ull, r, nr, why,
				   256);
}

static void test_fiemap_parser(void)
{
	static const struct {
		unsigned int flags;
		const char *why;
	} bad[] = {
		{ FIEMAP_EXTENT_SHARED, "shared with another file (reflink)" },
		{ FIEMAP_EXTENT_SHARED | FIEMAP_EXTENT_LAST,
		  "shared with another file (reflink)" },
		/* What ext4 reports for inline data. */
		{ FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED |
		  FIEMAP_EXTENT_LAST, "inline data" },
		{ FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_NOT_ALIGNED,
		  "packed with other files' tails" },
		{ FIEMAP_EXTENT_UNWRITTEN, "unwritten (preallocated" },
		{ FIEMAP_EXTENT_ENCODED, "encoded" },
		{ FIEMAP_EXTENT_DATA_ENCRYPTED, "encrypted" },
		{ FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN,
		  "location unknown" },
		{ FIEMAP_EXTENT_NOT_ALIGNED, "not block aligned" },
		{ 0x40000, "unknown extent flags" },
	};
	struct fake_fiemap f;
	struct ndxen_range *r;
	unsigned int nr, i;
	char why[256];

	/* Three extents, the first two physically contiguous: two ranges. */
	memset(&f, 0, sizeof(f));
	fake_add(&f, 0, 1 * MiB, 64 * KiB, 0);
	fake_add(&f, 64 * KiB, 1 * MiB + 64 * KiB, 64 * KiB,
		 FIEMAP_EXTENT_MERGED);
	fake_add(&f, 128 * KiB, 8 * MiB, 128 * KiB, FIEMAP_EXTENT_LAST);
	CHECK(!fake_parse(&f, 256 * KiB, &r, &nr, why));
	CHECK_EQ_ULL(nr, 2);
	if (nr == 2) {
		CHECK_EQ_ULL(r[0].offset, 0);
		CHECK_EQ_ULL(r[0].spa, 0x100000000ull + 1 * MiB);
		CHECK_EQ_ULL(r[0].size, 128 * KiB);
		CHECK_EQ_ULL(r[1].offset, 128 * KiB);
		CHECK_EQ_ULL(r[1].spa, 0x100000000ull + 8 * MiB);
		CHECK_EQ_ULL(r[1].size, 128 * KiB);
	}
	free(r);
	/* Allocated past EOF (rounded to pages): cut at the last page. */
	CHECK(!fake_parse(&f, 130 * KiB + 1, &r, &nr, why));
	CHECK_EQ_ULL(nr, 2);
	if (nr == 2)
		CHECK_EQ_ULL(r[1].size, 4 * KiB);
	free(r);
	/* A hole in the middle, and one at the end. */
	memset(&f, 0, sizeof(f));
	fake_add(&f, 0, 1 * MiB, 64 * KiB, 0);
	fake_add(&f, 128 * KiB, 2 * MiB, 64 * KiB, FIEMAP_EXTENT_LAST);
	CHECK(fake_parse(&f, 192 * KiB, &r, &nr, why) == -EINVAL);
	CHECK(!strcmp(why, "hole at offset 65536: write or preallocate the whole file"));
	memset(&f, 0, sizeof(f));
	fake_add(&f, 0, 1 * MiB, 64 * KiB, FIEMAP_EXTENT_LAST);
	CHECK(fake_parse(&f, 1 * MiB, &r, &nr, why) == -EINVAL);
	CHECK(strstr(why, "hole at offset 65536") != NULL);
	/* Physically unaligned. */
	memset(&f, 0, sizeof(f));
	fake_add(&f, 0, 1 * MiB + 512, 64 * KiB, FIEMAP_EXTENT_LAST);
	CHECK(fake_parse(&f, 64 * KiB, &r, &nr, why) == -EINVAL);
	CHECK(!strcmp(why, "extent at offset 0 is not page aligned"));
	/* Empty. */
	memset(&f, 0, sizeof(f));
	CHECK(fake_parse(&f, 0, &r, &nr, why) == -EINVAL);
	CHECK(!strcmp(why, "empty file"));
	/* Every refused flag, on the second extent, named with its reason. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		fake_add(&f, 0, 1 * MiB, 64 * KiB, 0);
		fake_add(&f, 64 * KiB, 4 * MiB, 64 * KiB, bad[i].flags);
		r = (void *)1;
		CHECK(fake_parse(&f, 128 * KiB, &r, &nr, why) == -EINVAL);
		CHECK(r == NULL && nr == 0);
		if (strncmp(why, "extent at offset 65536: ", 24) ||
		    !strstr(why, bad[i].why)) {
			CHECK(!"wrong reason for a refused extent flag");
			fprintf(stderr, "  flags %#x: '%s'\n", bad[i].flags, why);
		}
	}
}

/*
 * A real file: in TMPDIR, or where FIEMAP works when TMPDIR is a tmpfs
 * (NDXEN_TEST_DIR, the build directory, from the Makefile; /var/tmp).
 */
static int fiemap_fd(char *path, size_t len, const char **used)
{
	const char *dirs[] = { getenv("TMPDIR"), "/tmp",
			       getenv("NDXEN_TEST_DIR"), "/var/tmp" };
	static u8 page[4096];
	struct ndxen_range *r;
	unsigned int i, nr;
	char why[256];
	int fd;

	memset(page, 0x3c, sizeof(page));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		snprintf(path, len, "%s/ndctl-xen-fiemap.XXXXXX", dirs[i]);
		fd = mkstemp(path);
		if (fd < 0)
			continue;
		unlink(path);
		if (write(fd, page, sizeof(page)) == sizeof(page) &&
		    !fsync(fd) &&
		    ndxen_file_extents(fd, 0, &r, &nr, why, sizeof(why)) !=
		    -EOPNOTSUPP) {
			free(r);
			CHECK(!ftruncate(fd, 0));
			CHECK(lseek(fd, 0, SEEK_SET) == 0);
			*used = dirs[i];
			return fd;
		}
		printf("  fiemap: %s has no FIEMAP, trying the next directory\n",
		       dirs[i]);
		close(fd);
	}
	return -1;
}

static void test_fiemap(void)
{
	static u8 buf[256 * KiB];
	unsigned long long total = 0;
	struct ndxen_range *r;
	const char *dir = NULL;
	unsigned int nr, i;
	char path[512], why[256];
	int fd, rc;

	fd = fiemap_fd(path, sizeof(path), &dir);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	printf("  fiemap: real file in %s\n", dir);
	memset(buf, 0x3c, sizeof(buf));
	for (i = 0; i < 4; i++)
		CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	CHECK(!fsync(fd));
	rc = ndxen_file_extents(fd, 0x100000000ull, &r, &nr, why, sizeof(why));
	CHECK(rc == 0);
	CHECK(nr >= 1);
	for (i = 0; i < nr; i++) {
		total += r[i].size;
		CHECK(r[i].spa >= 0x100000000ull);
		CHECK(!(r[i].spa & 4095) && !(r[i].size & 4095));
		if (i)
			CHECK(r[i].offset == r[i - 1].offset + r[i - 1].size);
		if (i)	/* neighbours are merged */
			CHECK(r[i].spa != r[i - 1].spa + r[i - 1].size);
	}
	CHECK_EQ_ULL(total, 1 * MiB);
	free(r);

	/* A hole at the end. */
	CHECK(!ftruncate(fd, 2 * MiB));
	rc = ndxen_file_extents(fd, 0, &r, &nr, why, sizeof(why));
	CHECK(rc == -EINVAL && strstr(why, "hole at offset 1048576"));
	/* Empty. */
	CHECK(!ftruncate(fd, 0));
	rc = ndxen_file_extents(fd, 0, &r, &nr, why, sizeof(why));
	CHECK(rc == -EINVAL && !strcmp(why, "empty file"));
	/* Preallocated, never written: unwritten extents (if supported). */
	if (!fallocate(fd, 0, 0, MiB)) {
		rc = ndxen_file_extents(fd, 0, &r, &nr, why, sizeof(why));
		CHECK(rc == -EINVAL && strstr(why, "unwritten"));
	} else {
		printf("  fiemap: fallocate unsupported in %s: unwritten case skipped\n",
		       dir);
	}
	close(fd);

	/* Not a regular file. */
	fd = open("/dev/null", O_RDONLY);
	rc = ndxen_file_extents(fd, 0, &r, &nr, why, sizeof(why));
	CHECK(rc == -EINVAL && !strcmp(why, "not a regular file"));
	close(fd);
}

int main(void)
{
	run("parse_size", test_parse_size);
	run("parse_uint", test_parse_uint);
	run("fmt_size", test_fmt_size);
	run("plan_ns_size", test_plan);
	run("media_roundtrip_and_byte_identical_rewrite", test_media_roundtrip);
	run("media_repair", test_media_repair);
	run("media_crash_points", test_media_crash_points);
	run("media_unreadable_copies", test_media_unreadable);
	run("encode_refusals", test_encode_refusals);
	run("encode_rounded_namespace", test_encode_rounded_namespace);
	run("json_shape", test_json);
	run("run_ndctl_out_of_memory", test_run_ndctl);
	run("list_has", test_list_has);
	run("fiemap_parser_synthetic", test_fiemap_parser);
	run("fiemap_regular_file", test_fiemap);
	printf("ndctl-xen unit: %d checks, %d failed\n", t_checks, t_fails);
	return t_fails ? 1 : 0;
}
