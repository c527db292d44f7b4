// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmem_t - the pmem scenarios' helper (static, runs in the QEMU guest).
 *
 *   pmem_t show FILE                 every info block field, "NAME VALUE"
 *   pmem_t get FILE FIELD            one field
 *   pmem_t set FILE [--keep-csum] FIELD=VALUE...
 *                                    edit a 4 KiB block image in place and
 *                                    recompute its checksum (unless
 *                                    --keep-csum); FIELD may be byte@OFF
 *   pmem_t csum FILE                 "ok" (exit 0) or "bad" (exit 1)
 *   pmem_t raw NS                    unbind NS, force raw mode, bind
 *                                    nd_pmem; prints /dev/pmemX
 *   pmem_t claim NS                  unbind NS, raw mode off, bind xen_pmem
 *   pmem_t unbind NS                 unbind NS from its driver
 *   pmem_t release NS                unbind NS, raw mode off, leave it
 *   pmem_t expect RSPA RSIZE NSSPA NSSIZE [PAGE_INFO]
 *                                    the report the layout gives (reserved
 *                                    area from the first 2 MiB boundary
 *                                    after +12 KiB to the namespace end),
 *                                    in the stub's "pmem" view format; fails
 *                                    when that is smaller than the sizing
 *                                    rule
 *   pmem_t pagemap FILE              mmap FILE, touch every page, print the
 *                                    SPA ranges /proc/self/pagemap gives:
 *                                    "OFFSET 0xSPA SIZE" per range
 *   pmem_t report S E RS RE DS DE    a raw pmem report through the stub's
 *                                    debugfs "hypercall" file
 *   pmem_t memread PHYS LEN          LEN bytes of physical memory through an
 *                                    mmap of /dev/mem (read(2) of /dev/mem
 *                                    stops at the end of RAM), to stdout
 *   pmem_t memwrite PHYS FILE        write FILE's bytes at PHYS the same way
 *                                    (read back), e.g. to damage a block
 *                                    while xen_pmem holds the namespace
 *
 * The checksum and the sizing rule are written again here from the
 * specification (Documentation/pmem.rst), not taken from drivers/lib, so
 * the scenarios check the module against an independent reading.  Errors:
 * "pmem_t: WHAT: ENAME errno=N (message)" on stderr, exit status 1.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#include <xpv/hvstub.h>
#include <xpv/pmem_sb.h>

#define SYS_ND		"/sys/bus/nd"
#define HC_FILE		"/sys/kernel/debug/xen_hvstub/hypercall"
#define MiB		(1ull << 20)
#define TWO_MIB		(2 * MiB)

static int fail(const char *what, int err)
{
	const char *name = strerrorname_np(err);

	fprintf(stderr, "pmem_t: %s: %s errno=%d (%s)\n", what,
		name ? name : "E?", err, strerror(err));
	return 1;
}

/* ---- the block ---------------------------------------------------------- */

enum { F_NUM, F_UUID, F_SIG };

static const struct field {
	const char *name;
	unsigned int off, size, type;
} fields[] = {
#define FLD(n, t) { #n, __builtin_offsetof(struct xpv_pmem_sb, n),	\
		    sizeof(((struct xpv_pmem_sb *)0)->n), t }
	FLD(signature, F_SIG),
	FLD(uuid, F_UUID),
	FLD(parent_uuid, F_UUID),
	FLD(version_major, F_NUM),
	FLD(version_minor, F_NUM),
	FLD(reserved, F_NUM),
	FLD(covered_spa, F_NUM),
	FLD(covered_size, F_NUM),
	FLD(rsv_off, F_NUM),
	FLD(rsv_size, F_NUM),
	FLD(page_size, F_NUM),
	FLD(page_info_size, F_NUM),
	FLD(m2p_entry_size, F_NUM),
	FLD(compat_m2p_entry_size, F_NUM),
	FLD(ns_spa, F_NUM),
	FLD(ns_size, F_NUM),
	FLD(checksum, F_NUM),
#undef FLD
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static u64 rd(const u8 *b, unsigned int off, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | b[off + n];
	return v;
}

static void wr(u8 *b, unsigned int off, unsigned int n, u64 v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		b[off + i] = (u8)(v >> (8 * i));
}

/* libnvdimm's Fletcher-64 over 32-bit little-endian words, csum zeroed. */
static u64 fletcher(const u8 *b)
{
	u32 lo = 0, hi = 0;
	unsigned int i;

	for (i = 0; i < XPV_PMEM_SB_SIZE; i += 4) {
		if (i < 0xff8)
			lo += (u32)rd(b, i, 4);
		hi += lo;
	}
	return (u64)hi << 32 | lo;
}

static int load(const char *path, u8 *b)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fail(path, errno);
	n = read(fd, b, XPV_PMEM_SB_SIZE);
	close(fd);
	if (n != XPV_PMEM_SB_SIZE)
		return fail(path, n < 0 ? errno : EIO);
	return 0;
}

static int save(const char *path, const u8 *b)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return fail(path, errno);
	n = write(fd, b, XPV_PMEM_SB_SIZE);
	close(fd);
	if (n != XPV_PMEM_SB_SIZE)
		return fail(path, n < 0 ? errno : EIO);
	return 0;
}

static const struct field *find(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < NFIELDS; i++)
		if (strlen(fields[i].name) == len &&
		    !strncmp(fields[i].name, name, len))
			return &fields[i];
	return NULL;
}

static void print_field(const u8 *b, const struct field *f)
{
	unsigned int i;

	printf("%s ", f->name);
	switch (f->type) {
	case F_SIG:
		for (i = 0; i < f->size && b[f->off + i]; i++)
			putchar(b[f->off + i] >= 32 && b[f->off + i] < 127 ?
				b[f->off + i] : '?');
		break;
	case F_UUID:
		for (i = 0; i < 16; i++)
			printf("%02x", b[f->off + i]);
		break;
	default:
		printf("0x%llx", (unsigned long long)rd(b, f->off, f->size));
	}
	putchar('\n');
}

static int set_one(u8 *b, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const struct field *f;
	unsigned long long v;
	unsigned int i, off;
	char *end;

	if (!eq)
		return fail(arg, EINVAL);
	if (!strncmp(arg, "byte@", 5)) {
		off = (unsigned int)strtoul(arg + 5, &end, 0);
		v = strtoull(eq + 1, NULL, 0);
		if (end != eq || off >= XPV_PMEM_SB_SIZE)
			return fail(arg, EINVAL);
		b[off] = (u8)v;
		return 0;
	}
	f = find(arg, (size_t)(eq - arg));
	if (!f)
		return fail(arg, ENOENT);
	eq++;
	switch (f->type) {
	case F_SIG:
		memset(b + f->off, 0, f->size);
		memcpy(b + f->off, eq, strnlen(eq, f->size));
		break;
	case F_UUID:
		if (strlen(eq) != 32)
			return fail(arg, EINVAL);
		for (i = 0; i < 16; i++) {
			char h[3] = { eq[2 * i], eq[2 * i + 1], 0 };

			b[f->off + i] = (u8)strtoul(h, NULL, 16);
		}
		break;
	default:
		errno = 0;
		v = strtoull(eq, &end, 0);
		if (errno || *end)
			return fail(arg, EINVAL);
		wr(b, f->off, f->size, v);
	}
	return 0;
}

static int cmd_block(int argc, char **argv)
{
	u8 b[XPV_PMEM_SB_SIZE];
	const struct field *f;
	bool keep = false;
	unsigned int i;
	int a = 3;

	if (argc < 3 || load(argv[2], b))
		return 1;
	if (!strcmp(argv[1], "show")) {
		for (i = 0; i < NFIELDS; i++)
			print_field(b, &fields[i]);
		printf("checksum_ok %d\n",
		       rd(b, 0xff8, 8) == fletcher(b));
		return 0;
	}
	if (!strcmp(argv[1], "csum")) {
		i = rd(b, 0xff8, 8) == fletcher(b);
		puts(i ? "ok" : "bad");
		return !i;
	}
	if (!strcmp(argv[1], "get")) {
		if (argc != 4 || !(f = find(argv[3], strlen(argv[3]))))
			return fail("get", EINVAL);
		print_field(b, f);
		return 0;
	}
	/* set */
	if (argc > 3 && !strcmp(argv[3], "--keep-csum")) {
		keep = true;
		a++;
	}
	for (; a < argc; a++)
		if (set_one(b, argv[a]))
			return 1;
	if (!keep)
		wr(b, 0xff8, 8, fletcher(b));
	return save(argv[2], b);
}

/* ---- binding ------------------------------------------------------------ */

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int unbind(const char *ns)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), SYS_ND "/devices/%s/driver/unbind", ns);
	if (access(path, F_OK))
		return 0;
	rc = sysfs_write(path, ns);
	return rc ? fail("unbind", -rc) : 0;
}

static int set_raw(const char *ns, const char *v)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), SYS_ND "/devices/%s/force_raw", ns);
	rc = sysfs_write(path, v);
	return rc ? fail("force_raw", -rc) : 0;
}

static int bind(const char *ns, const char *drv)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), SYS_ND "/drivers/%s/bind", drv);
	rc = sysfs_write(path, ns);
	return rc ? fail(path, -rc) : 0;
}

static int cmd_raw(const char *ns)
{
	char dir[256], dev[300];
	int i;

	if (unbind(ns) || set_raw(ns, "1") || bind(ns, "nd_pmem"))
		return 1;
	snprintf(dir, sizeof(dir), SYS_ND "/devices/%s/block", ns);
	for (i = 0; i < 100; i++) {
		FILE *p;
		char name[64] = "";

		snprintf(dev, sizeof(dev), "ls %s 2>/dev/null", dir);
		p = popen(dev, "r");
		if (p && fgets(name, sizeof(name), p)) {
			name[strcspn(name, "\n")] = '\0';
			pclose(p);
			snprintf(dev, sizeof(dev), "/dev/%s", name);
			if (!access(dev, F_OK)) {
				puts(dev);
				return 0;
			}
		} else if (p) {
			pclose(p);
		}
		usleep(50000);
	}
	return fail("raw: no block device", ETIMEDOUT);
}

static int cmd_claim(const char *ns)
{
	if (unbind(ns) || set_raw(ns, "0"))
		return 1;
	return bind(ns, "xen_pmem");
}

/* ---- the sizing rule ---------------------------------------------------- */

static u64 up(u64 x, u64 a)
{
	return (x + a - 1) / a * a;
}

static u64 dn(u64 x, u64 a)
{
	return x / a * a;
}

static int cmd_expect(int argc, char **argv)
{
	u64 rspa, rsize, nsspa, nssize, pi = 32, s, e, ft, m2p, cm2p = 0, rsv;
	u64 rsv_s, rsv_e;

	if (argc < 6)
		return fail("expect: RSPA RSIZE NSSPA NSSIZE [PI]", EINVAL);
	rspa = strtoull(argv[2], NULL, 0);
	rsize = strtoull(argv[3], NULL, 0);
	nsspa = strtoull(argv[4], NULL, 0);
	nssize = strtoull(argv[5], NULL, 0);
	if (argc > 6)
		pi = strtoull(argv[6], NULL, 0);
	/* Frames of the region trimmed to 2 MiB. */
	s = up(rspa, TWO_MIB) >> 12;
	e = dn(rspa + rsize, TWO_MIB) >> 12;
	ft = (up(e, 1ull << 16) - dn(s, 1ull << 16)) * pi;
	m2p = (up(e, 1ull << 18) - dn(s, 1ull << 18)) * 8;
	if (s < (1ull << 28)) {
		u64 hi = up(e, 1ull << 19);

		cm2p = ((hi < (1ull << 28) ? hi : 1ull << 28) -
			dn(s, 1ull << 19)) * 4;
	}
	rsv = up(ft, TWO_MIB) + up(m2p, TWO_MIB) + up(cm2p, TWO_MIB) + TWO_MIB;
	rsv_s = up(nsspa + 3 * 4096, TWO_MIB);
	rsv_e = dn(nsspa + nssize, TWO_MIB);
	if (rsv_e < rsv_s + rsv)
		return fail("expect: namespace smaller than the sizing rule",
			    ENOSPC);
	printf("region 0x%llx-0x%llx reserved 0x%llx-0x%llx data 0x%llx-0x%llx\n",
	       (unsigned long long)s, (unsigned long long)e,
	       (unsigned long long)(rsv_s >> 12),
	       (unsigned long long)(rsv_e >> 12),
	       (unsigned long long)((nsspa + nssize) >> 12),
	       (unsigned long long)e);
	return 0;
}

/* ---- pagemap ------------------------------------------------------------ */

static int cmd_pagemap(const char *path)
{
	unsigned long long off, spa, start_off = 0, start_spa = 0, len = 0;
	volatile const u8 *p;
	struct stat st;
	u64 ent, size;
	int fd, pm;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return fail(path, errno);
	size = up((u64)st.st_size, 4096);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap", errno);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		return fail("/proc/self/pagemap", errno);
	for (off = 0; off < size; off += 4096) {
		(void)p[off];
		if (pread(pm, &ent, sizeof(ent),
			  (off_t)(((uintptr_t)p + off) / 4096 * 8)) != sizeof(ent))
			return fail("pagemap read", errno ? errno : EIO);
		if (!(ent >> 63) || !(ent & ((1ull << 55) - 1)))
			return fail("page not present or pfn hidden", ENXIO);
		spa = (ent & ((1ull << 55) - 1)) << 12;
		if (len && start_spa + len == spa) {
			len += 4096;
			continue;
		}
		if (len)
			printf("%llu 0x%llx %llu\n", start_off, start_spa, len);
		start_off = off;
		start_spa = spa;
		len = 4096;
	}
	if (len)
		printf("%llu 0x%llx %llu\n", start_off, start_spa, len);
	return 0;
}

/* ---- stub report -------------------------------------------------------- */

static int cmd_report(int argc, char **argv)
{
	struct {
		struct hvs_hc_req req;
		struct xpv_xenpf_pmem_add op;
	} in;
	struct hvs_hc_resp resp;
	unsigned long long *v = &in.op.spfn;
	int fd, i;

	if (argc != 8)
		return fail("report: S E RS RE DS DE", EINVAL);
	memset(&in, 0, sizeof(in));
	in.req.magic = HVS_HC_MAGIC;
	in.req.kind = HVS_HC_PMEM;
	for (i = 0; i < 6; i++)
		v[i] = strtoull(argv[2 + i], NULL, 0);
	fd = open(HC_FILE, O_RDWR);
	if (fd < 0)
		return fail(HC_FILE, errno);
	if (write(fd, &in, sizeof(in)) != sizeof(in))
		return fail("hypercall write", errno);
	if (pread(fd, &resp, sizeof(resp), 0) != sizeof(resp))
		return fail("hypercall read", errno ? errno : EIO);
	close(fd);
	printf("rc %lld\n", resp.rc);
	return resp.rc ? fail("report", (int)-resp.rc) : 0;
}

/* ---- /dev/mem ----------------------------------------------------------- */

static int cmd_memread(const char *a, const char *l)
{
	unsigned long long phys = strtoull(a, NULL, 0), len = strtoull(l, NULL, 0);
	unsigned long long base = dn(phys, 4096), span = up(phys + len, 4096) - base;
	const u8 *p;
	int fd;

	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0)
		return fail("/dev/mem", errno);
	p = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (p == MAP_FAILED)
		return fail("mmap /dev/mem", errno);
	if (fwrite(p + (phys - base), 1, len, stdout) != len)
		return fail("write", EIO);
	munmap((void *)p, span);
	close(fd);
	return 0;
}

static int cmd_memwrite(const char *a, const char *path)
{
	unsigned long long phys = strtoull(a, NULL, 0), base, span;
	static u8 buf[1 << 20];
	ssize_t len;
	u8 *p;
	int fd, in;

	in = open(path, O_RDONLY);
	if (in < 0)
		return fail(path, errno);
	len = read(in, buf, sizeof(buf));
	close(in);
	if (len <= 0)
		return fail(path, len < 0 ? errno : EINVAL);
	base = dn(phys, 4096);
	span = up(phys + (u64)len, 4096) - base;
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		return fail("/dev/mem", errno);
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)base);
	if (p == MAP_FAILED)
		return fail("mmap /dev/mem", errno);
	/* O_SYNC: an uncached mapping, no msync (/dev/mem has no fsync). */
	memcpy(p + (phys - base), buf, (size_t)len);
	if (memcmp(p + (phys - base), buf, (size_t)len))
		return fail("memwrite: read back differs", EIO);
	munmap(p, span);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "show") || !strcmp(argv[1], "get") ||
	    !strcmp(argv[1], "set") || !strcmp(argv[1], "csum"))
		return cmd_block(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "claim"))
		return cmd_claim(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "unbind"))
		return unbind(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "release"))
		return unbind(argv[2]) || set_raw(argv[2], "0");
	if (!strcmp(argv[1], "expect"))
		return cmd_expect(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "pagemap"))
		return cmd_pagemap(argv[2]);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "memread"))
		return cmd_memread(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "memwrite"))
		return cmd_memwrite(argv[2], argv[3]);
usage:
	fprintf(stderr, "usage: see the comment at the top of pmem_t.c\n");
	return 2;
}
