// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen_corpus.c - write the fuzz targets' seed corpus (deterministic).
 *
 *   gen_corpus DIR    writes DIR/<target>/seed-NN for each target
 *
 * Seeds are valid or nearly valid inputs so that the fuzzers start past
 * the early checks: well-formed info blocks with a matching live view,
 * mixed-status batches, premap maps with long runs, range-set sequences.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xpv/lib/status.h>
#include <xpv/pmem_sb.h>

#define GiB	(1ull << 30)
#define TiB	(1ull << 40)

static const char *top;

static void put(const char *target, unsigned int n, const void *buf,
		size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/seed-%02u", top, target, n);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static size_t le(unsigned char *p, unsigned long long v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return n;
}

/* fuzz_pmem_sb: mode, parent, ns, region, damage index, block. */
static void pmem_sb_seeds(void)
{
	static const struct {
		unsigned long long region, size, ns_off;
		unsigned int mode;
	} g[] = {
		{ 4 * GiB, 1 * GiB, 0, 0x00 },
		{ 5 * GiB, 16 * GiB, 0, 0x20 },
		{ 1 * TiB, 256 * GiB, 0, 0x00 },
		{ 4 * GiB + (1ull << 20), 1 * GiB, 0, 0x60 },
		{ 1 * TiB - 2 * GiB, 4 * GiB, 0, 0x20 },
		{ 4 * GiB, 64 * GiB, 2ull << 20, 0xa0 },
	};
	static unsigned char buf[64 + sizeof(struct xpv_pmem_sb)];
	static const unsigned char parent[16] = "xen-pmem-parent";
	static const unsigned char uuid[16] = "xen-pmem-uuid-1";
	unsigned int i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct xpv_pmem_sb sb;
		struct xpv_pmem_geom geom;
		size_t off = 0;

		if (xpv_pmem_plan(g[i].region, g[i].size,
				  g[i].region + g[i].ns_off, NULL, &geom) ||
		    xpv_pmem_sb_encode(&sb, &geom, uuid, parent, NULL)) {
			fprintf(stderr, "gen_corpus: seed %u invalid\n", i);
			exit(1);
		}
		memset(buf, 0, sizeof(buf));
		buf[off++] = (unsigned char)g[i].mode;
		memcpy(buf + off, parent, 16);
		off += 16;
		off += le(buf + off, geom.ns_spa, 8);
		off += le(buf + off, geom.ns_size, 8);
		off += le(buf + off, g[i].region, 8);
		off += le(buf + off, g[i].size, 8);
		off += le(buf + off, 0x100 + i, 2);
		memcpy(buf + off, &sb, sizeof(sb));
		put("fuzz_pmem_sb", i, buf, off + sizeof(sb));
	}
	/* Nothing on the media; a libnvdimm block; modes doing all fixes. */
	memset(buf, 0, sizeof(buf));
	put("fuzz_pmem_sb", i++, buf, 64);
	memcpy(buf + 51, "NVDIMM_PFN_INFO", 16);
	put("fuzz_pmem_sb", i++, buf, 51 + 4096);
	buf[0] = 0x3f;
	put("fuzz_pmem_sb", i++, buf, 51 + 4096);
}

/* fuzz_status: rc selector, max_undo, ops. */
static void status_seeds(void)
{
	static unsigned char buf[2 + 8 * sizeof(struct pv_iommu_op)];
	struct pv_iommu_op ops[8];
	unsigned int i, n;

	for (n = 0; n < 3; n++) {
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < 8; i++) {
			struct pv_iommu_op *op = &ops[i];

			op->subop_id = (unsigned short)(1 + (i + n) % 6);
			op->flags = (unsigned short)(IOMMU_OP_readable |
				    IOMMU_page_order_flags(i % 3 ? 0 : 9));
			op->u.map_page.bfn = 0x1000 + 512 * i;
			op->u.map_page.gfn = 0x80000 + 512 * i;
			op->u.map_foreign_page.ioserver = (unsigned short)i;
			/* (status >> 8) % 4: 0 ok, 1 pending, 2 errno, 3 raw */
			op->status = (int)(((i + n) % 4) << 8 | (i * 5));
		}
		buf[0] = (unsigned char)n;
		buf[1] = (unsigned char)(n == 1 ? 2 : 64);
		memcpy(buf + 2, ops, sizeof(ops));
		put("fuzz_status", n, buf, sizeof(buf));
	}
}

/* fuzz_premap: selector, order, batch, ranges, per-pfn bytes. */
static void premap_seeds(void)
{
	static unsigned char buf[512];
	unsigned int n, i, off;

	for (n = 0; n < 4; n++) {
		off = 0;
		memset(buf, 0, sizeof(buf));
		buf[off++] = (unsigned char)n;		/* window */
		if (n == 2)
			off += le(buf + off, 1ull << 40, 8);
		if (n == 3)
			off += le(buf + off, 512, 2);
		buf[off++] = (unsigned char)(n == 1 ? 63 : 9);
		buf[off++] = (unsigned char)(n + 3);	/* batch */
		buf[off++] = 2;				/* two ranges */
		buf[off++] = 1;
		buf[off++] = 60;
		buf[off++] = 64;
		buf[off++] = 128;
		for (i = 0; i < 128; i++) {
			if (i == 0 || i == 77) {
				buf[off++] = 0xc0;	/* new run */
				off += le(buf + off, i ? 0x4000 + 13 :
					  0x100000ull * (n + 1), 8);
			} else {
				buf[off++] = (i % 41 == 40) ? 0xff : 0;
			}
		}
		put("fuzz_premap", n, buf, off);
	}
}

/* fuzz_range: selector, capacity, (kind, a, b)... */
static void range_seeds(void)
{
	static const unsigned char s0[] = {
		0, 4, 0, 0, 10, 0, 20, 30, 0, 10, 20, 1, 5, 25, 2, 7, 9,
		3, 0, 64, 10, 40, 0, 50, 60, 1, 0, 64,
	};
	static const unsigned char s1[] = {
		1, 2, 0, 60, 64, 0, 0, 1, 0, 30, 31, 1, 0, 64, 2, 63, 64,
	};

	put("fuzz_range", 0, s0, sizeof(s0));
	put("fuzz_range", 1, s1, sizeof(s1));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	top = argv[1];
	if (mkdir(top, 0755) && errno != EEXIST) {
		perror(top);
		return 1;
	}
	pmem_sb_seeds();
	status_seeds();
	premap_seeds();
	range_seeds();
	return 0;
}
