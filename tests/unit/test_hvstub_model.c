// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/hvstub/model.c */
/*
 * Unit tests of the stub hypervisor's model (drivers/hvstub/model.c):
 *  - directed cases: every subop's statuses, the hypercall returns, the
 *    privilege knobs, references, the lazy IOTLB, ballooning and swap,
 *    pmem checks, fault injection, the command language;
 *  - deliberately wrong callers that the audit must catch;
 *  - model-based random sequences (>= 1,000,000 ops) against a brute-force
 *    reference (flat arrays, linear scans, references recomputed by
 *    summation), seed printed, replayable with UNIT_SEED.
 *
 * The expected behaviour is Documentation/hvstub.rst (written from the
 * PV-IOMMU draft B and vNVDIMM v2 specifications), not the model's code.
 */
#include <linux/errno.h>
#include <stdarg.h>
#include "unit.h"
#include "../../drivers/hvstub/model.h"
#include "../qemu/guest/hvstub_ref.h"

#define D0PAGES		64
#define XENF		8
#define POOLF		96
#define XEN0		HVS_EXTRA_BASE
#define SCRATCH		(HVS_EXTRA_BASE + XENF)
#define POOL0		(HVS_EXTRA_BASE + XENF + 1)
#define RW		(IOMMU_OP_readable | IOMMU_OP_writeable)
#define NOREF		IOMMU_MAP_OP_no_ref_cnt
#define SWAP		IOMMU_OP_swap_mfn
#define ORD(o)		IOMMU_page_order_flags(o)

static void *t_zalloc(size_t s)
{
	return calloc(1, s);
}

static void t_free(void *p)
{
	free(p);
}

static const struct hvs_env t_env = { t_zalloc, t_free, NULL, NULL };


/* ---- text capture ------------------------------------------------------ */

struct obuf {
	char buf[65536];
	size_t len;
};

static void ob_emit(void *ctx, const char *fmt, ...)
{
	struct obuf *o = ctx;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < sizeof(o->buf) - o->len ?
			  (size_t)n : sizeof(o->buf) - o->len - 1;
}

/* Value after "KEY" at the start of a line, or -1. */
static long long ob_get(const struct obuf *o, const char *key)
{
	size_t kl = strlen(key);
	const char *p = o->buf;

	while (p && *p) {
		if (!strncmp(p, key, kl))
			return strtoll(p + kl, NULL, 0);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static bool ob_has(const struct obuf *o, const char *s)
{
	return strstr(o->buf, s) != NULL;
}

static unsigned int audit(struct hvs_model *m, struct obuf *o)
{
	struct hvs_out out = { ob_emit, o };

	o->len = 0;
	o->buf[0] = 0;
	return hvs_audit(m, &out);
}

static bool audit_clean(struct hvs_model *m)
{
	static struct obuf o;

	audit(m, &o);
	if (!ob_has(&o, "verdict: clean\n")) {
		fprintf(stderr, "%s", o.buf);
		return false;
	}
	return true;
}

static bool audit_dirty(struct hvs_model *m)
{
	static struct obuf o;

	audit(m, &o);
	return ob_has(&o, "verdict: dirty\n");
}

/* ---- model helpers ------------------------------------------------------- */

static struct hvs_model *mk_cfg(const struct hvs_config *cfg)
{
	struct hvs_layout lay = {
		.dom0_pages = D0PAGES, .xen_frames = XENF, .pool_frames = POOLF,
	};
	struct hvs_model *m;
	int err;

	m = hvs_model_create(&t_env, cfg, &lay, &err);
	if (!m) {
		fprintf(stderr, "model create: %d\n", err);
		exit(2);
	}
	return m;
}

static struct hvs_model *mk(void)
{
	struct hvs_config cfg;

	hvs_config_default(&cfg);
	return mk_cfg(&cfg);
}

static char last_cmd[128];

static __attribute__((format(printf, 2, 3)))
int ctl(struct hvs_model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_cmd, sizeof(last_cmd), fmt, ap);
	va_end(ap);
	return hvs_ctl(m, last_cmd, strlen(last_cmd));
}

static struct pv_iommu_op op_q(void)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_query_caps };

	return op;
}

static struct pv_iommu_op op_map(u64 bfn, u64 gfn, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_map_page, .flags = fl };

	op.u.map_page.bfn = bfn;
	op.u.map_page.gfn = gfn;
	return op;
}

static struct pv_iommu_op op_unmap(u64 bfn, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_unmap_page, .flags = fl };

	op.u.unmap_page.bfn = bfn;
	return op;
}

static struct pv_iommu_op op_mapf(u64 bfn, u64 gfn, unsigned int dom,
				  unsigned int ios, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_map_foreign_page,
				  .flags = fl };

	op.u.map_foreign_page.bfn = bfn;
	op.u.map_foreign_page.gfn = gfn;
	op.u.map_foreign_page.domid = dom;
	op.u.map_foreign_page.ioserver = ios;
	return op;
}

static struct pv_iommu_op op_look(u64 gfn, unsigned int dom, unsigned int ios)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_lookup_foreign_page };

	op.u.lookup_foreign_page.gfn = gfn;
	op.u.lookup_foreign_page.domid = dom;
	op.u.lookup_foreign_page.ioserver = ios;
	return op;
}

static struct pv_iommu_op op_unmapf(u64 bfn, unsigned int ios,
				    unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_unmap_foreign_page,
				  .flags = fl };

	op.u.unmap_foreign_page.bfn = bfn;
	op.u.unmap_foreign_page.ioserver = ios;
	return op;
}

/* One op in its own hypercall; the hypercall must return 0. */
static int run1(struct hvs_model *m, struct pv_iommu_op op)
{
	long rc;

	op.status = 12345;
	rc = hvs_iommu_op(m, &op, 1, 1);
	if (rc) {
		fprintf(stderr, "  hypercall rc %ld\n", rc);
		return 99999;
	}
	return op.status;
}

/* Same, returning the op as the hypervisor left it. */
static struct pv_iommu_op run1op(struct hvs_model *m, struct pv_iommu_op op)
{
	op.status = 12345;
	CHECK_EQ(hvs_iommu_op(m, &op, 1, 1), 0);
	return op;
}

static struct hvs_frame_info fi(struct hvs_model *m, u64 mfn)
{
	struct hvs_frame_info f;

	CHECK_EQ(hvs_frame_get(m, mfn, &f), 0);
	return f;
}

static struct hvs_xlate xl(struct hvs_model *m, u64 bfn)
{
	struct hvs_xlate x;

	hvs_translate(m, bfn, &x);
	return x;
}

static u64 cnt(struct hvs_model *m, const char *name)
{
	u64 v = hvs_counter(m, name);

	CHECK(v != HVS_INVALID);
	return v;
}

/* ---- directed cases: hypercall level ------------------------------------- */

UNIT_TEST(hypercall_returns)
{
	struct hvs_model *m = mk();
	struct pv_iommu_op ops[3] = { op_map(1, 1, RW), op_map(2, 2, RW),
				      op_map(3, 3, RW) };
	static char mis[2 * sizeof(struct pv_iommu_op) + 8];
	struct pv_iommu_op q[2] = { op_q(), op_look(0, 9, 1) };

	CHECK_EQ(hvs_iommu_op(m, ops, 0, 0), 0);
	CHECK_EQ(hvs_iommu_op(m, NULL, 0, 0), 0);
	CHECK_EQ(hvs_iommu_op(m, NULL, 1, 1), -EFAULT);
	/* A bad count is -EINVAL (the ABI's word), whatever the buffer. */
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS + 1, 3), -EINVAL);
	CHECK_EQ(hvs_iommu_op(m, NULL, HVS_MAX_OPS + 1, 0), -EINVAL);
	CHECK_EQ(hvs_iommu_op(m, ops, ~0u, 3), -EINVAL);
	CHECK_EQ(hvs_iommu_op(m, ops, 0x80000000u, 3), -EINVAL);
	/* Nothing ran so far. */
	CHECK_EQ(cnt(m, "ops"), 0);
	CHECK_EQ(cnt(m, "flushes"), 0);
	/* Buffer shorter than count: op 1 faults, op 0 stays done. */
	ops[1].status = 777;
	CHECK_EQ(hvs_iommu_op(m, ops, 3, 1), -EFAULT);
	CHECK_EQ(ops[0].status, 0);
	CHECK_EQ(ops[1].status, 777);
	CHECK_EQ(xl(m, 1).src, HVS_XS_MAPPED);
	CHECK_EQ(cnt(m, "flushes"), 1);
	CHECK_EQ(cnt(m, "hc_efault"), 2);
	CHECK_EQ(cnt(m, "hc_einval"), 4);
	/*
	 * A misaligned buffer works: Xen's guest copies need no alignment.
	 * Statuses and OUT fields land at the misaligned place.
	 */
	q[0].flags = 0;
	q[0].u.query_caps.offset = 99;
	memcpy(mis + 1, q, sizeof(q));
	CHECK_EQ(hvs_iommu_op(m, (struct pv_iommu_op *)(mis + 1), 2, 2), 0);
	memcpy(q, mis + 1, sizeof(q));
	CHECK_EQ(q[0].status, 0);
	CHECK_EQ(q[0].flags, IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns |
		 ORD(9));
	CHECK_EQ(q[0].u.query_caps.offset, 0);
	CHECK_EQ(q[1].status, -ENXIO);
	CHECK_EQ(cnt(m, "hc_ok"), 3);

	CHECK_EQ(ctl(m, "set disabled 1"), 0);
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), -ENOSYS);
	CHECK_EQ(hvs_iommu_op(m, ops, ~0u, 1), -ENOSYS);
	CHECK_EQ(ctl(m, "set disabled 0"), 0);
	CHECK_EQ(ctl(m, "set hardware_domain 0"), 0);
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), -ENOSYS);
	CHECK_EQ(ctl(m, "set nonhw_enosys 0"), 0);
	ops[0] = op_q();
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), 0);
	/* A driver domain without devices has no map capability. */
	CHECK_EQ(ops[0].flags, 0);
	CHECK_EQ(ctl(m, "set has_devices 1"), 0);
	ops[0] = op_q();
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), 0);
	CHECK_EQ(ops[0].flags, IOMMU_QUERY_map_cap | ORD(9));
	hvs_model_destroy(m);
}

UNIT_TEST(query_caps_matrix)
{
	static const struct {
		const char *set;
		unsigned int flags;
	} t[] = {
		{ "", IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns | ORD(9) },
		{ "set max_order 0", IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns },
		{ "set max_order 20", IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns | ORD(20) },
		{ "set strict 1", IOMMU_QUERY_map_cap | ORD(9) },
		{ "set map_all_gfns 0", IOMMU_QUERY_map_cap | ORD(9) },
		{ "set map_cap 0", 0 },
		{ "set iommu 0", 0 },
		{ "set passthrough 1", 0 },
	};
	struct pv_iommu_op op;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hvs_model *m = mk();

		if (*t[i].set)
			CHECK_EQ(ctl(m, "%s", t[i].set), 0);
		op = op_q();
		op.flags = 0;
		op.u.query_caps.offset = 55;
		op = run1op(m, op);
		CHECK_EQ(op.status, 0);
		CHECK_EQ(op.flags, t[i].flags);
		CHECK_EQ(op.u.query_caps.offset, 0);
		hvs_model_destroy(m);
	}
	{
		struct hvs_model *m = mk();

		CHECK_EQ(ctl(m, "set max_order 21"), -EINVAL);
		CHECK_EQ(ctl(m, "set default_map window"), 0);
		op = run1op(m, op_q());
		CHECK_EQ(op.u.query_caps.offset, HVS_WINDOW_OFFSET_DEFAULT);
		/* Input flags are reserved: still status 0, but logged. */
		op = op_q();
		op.flags = 0x8000;
		CHECK_EQ(run1(m, op), 0);
		CHECK_EQ(cnt(m, "ce_reserved"), 1);
		hvs_model_destroy(m);
	}
}

/* ---- directed cases: map_page / unmap_page ------------------------------ */

UNIT_TEST(map_page_statuses)
{
	struct hvs_model *m = mk();
	struct hvs_frame_info f;

	CHECK_EQ(run1(m, op_map(4, 4, RW)), 0);
	f = fi(m, 4);
	CHECK_EQ(f.refs, 1);
	CHECK_EQ(f.wrefs, 1);
	CHECK_EQ(run1(m, op_map(4, 5, RW)), -EPERM);	/* bfn in use */
	CHECK_EQ(run1(m, op_map(5, 5, IOMMU_OP_readable)), 0);
	CHECK_EQ(fi(m, 5).refs, 1);
	CHECK_EQ(fi(m, 5).wrefs, 0);
	CHECK_EQ(run1(m, op_map(6, 6, RW | NOREF)), 0);
	CHECK_EQ(fi(m, 6).refs, 0);
	CHECK_EQ(run1(m, op_map(7, 7, 0)), -EIO);	/* no access */
	CHECK_EQ(run1(m, op_map(16, 16, RW | ORD(10))), -ENOSPC);
	CHECK_EQ(run1(m, op_map(18, 16, RW | ORD(2))), -ENOSPC);
	CHECK_EQ(run1(m, op_map(16, 18, RW | ORD(2))), -ENOSPC);
	CHECK_EQ(run1(m, op_map(16, 16, RW | ORD(63))), -ENOSPC);
	CHECK_EQ(run1(m, op_map(16, 16, RW | ORD(2))), 0);
	CHECK_EQ(fi(m, 19).refs, 1);
	CHECK_EQ(run1(m, op_map(18, 40, RW)), -EPERM);	/* inside order 2 */
	CHECK_EQ(run1(m, op_map(1ull << 36, 8, RW)), -EIO);
	CHECK_EQ(run1(m, op_map((1ull << 36) - 4, 8, RW | ORD(2))), 0);
	CHECK_EQ(run1(m, op_map((1ull << 36) - 2, 12, RW | ORD(2))), -ENOSPC);
	/* Xen's frames, the scratch page, frames beyond the host. */
	CHECK_EQ(run1(m, op_map(30, XEN0 + 3, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(30, XEN0 + 3, RW | NOREF)), -EPERM);
	CHECK_EQ(run1(m, op_map(30, SCRATCH, RW | NOREF)), -EPERM);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 3);
	CHECK_EQ(run1(m, op_map(30, 1ull << 40, RW)), -EPERM);
	/* Another domain's frame: allowed to a non-strict Dom0. */
	CHECK_EQ(ctl(m, "domain_create 3 8"), 0);
	CHECK_EQ(run1(m, op_map(31, POOL0, RW)), 0);
	CHECK_EQ(fi(m, POOL0).refs, 1);
	CHECK_EQ(fi(m, POOL0).owner, 3);
	/* A free frame: only without a reference. */
	CHECK_EQ(run1(m, op_map(32, POOL0 + 20, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(32, POOL0 + 20, RW | NOREF)), 0);
	/* A frame without page_info (MMIO, pmem): no reference. */
	CHECK_EQ(run1(m, op_map(33, 0x80000, RW)), 0);
	CHECK_EQ(fi(m, 0x80000).owner, HVS_DOMID_IO);
	/* One entry cannot span owners. */
	CHECK_EQ(run1(m, op_map(56, 56, RW | ORD(3))), 0);
	CHECK_EQ(run1(m, op_map(64, 64, RW | ORD(3))), 0);
	CHECK_EQ(run1(m, op_map(128, 0, RW | ORD(7))), -ENOSPC);
	CHECK_EQ(ctl(m, "set map_all_gfns 0"), 0);
	CHECK_EQ(run1(m, op_map(34, POOL0 + 1, RW)), -EPERM);
	CHECK_EQ(cnt(m, "ce_not_owner"), 1);
	CHECK_EQ(ctl(m, "set map_all_gfns 1"), 0);
	CHECK_EQ(ctl(m, "set strict 1"), 0);
	CHECK_EQ(run1(m, op_map(34, POOL0 + 1, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(34, 0x80001, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(34, 20, RW | NOREF)), -EPERM);
	CHECK_EQ(cnt(m, "ce_privilege"), 1);
	CHECK_EQ(run1(m, op_map(34, 20, RW)), 0);
	CHECK_EQ(ctl(m, "set strict 0"), 0);
	/* RMRR. */
	CHECK_EQ(ctl(m, "rmrr 0x200 4"), 0);
	CHECK_EQ(run1(m, op_map(0x202, 21, RW)), -EACCES);
	CHECK_EQ(run1(m, op_map(0x1fc, 24, RW | ORD(2))), 0);
	CHECK_EQ(run1(m, op_map(0x200, 24, RW | ORD(3))), -EACCES);
	CHECK_EQ(cnt(m, "ce_rmrr"), 2);
	CHECK_EQ(xl(m, 0x201).mfn, 0x201);
	CHECK_EQ(xl(m, 0x201).src, HVS_XS_DEFAULT);
	/* No capability: -EPERM whatever the rest. */
	CHECK_EQ(ctl(m, "set map_cap 0"), 0);
	CHECK_EQ(run1(m, op_map(35, 22, RW)), -EPERM);
	CHECK_EQ(ctl(m, "set map_cap 1"), 0);
	CHECK_EQ(ctl(m, "set iommu 0"), 0);
	CHECK_EQ(run1(m, op_map(35, 22, RW)), -EPERM);
	CHECK_EQ(ctl(m, "set iommu 1"), 0);
	CHECK_EQ(ctl(m, "set passthrough 1"), 0);
	CHECK_EQ(run1(m, op_map(35, 22, RW)), -EPERM);
	CHECK_EQ(ctl(m, "set passthrough 0"), 0);
	/* Reserved flag bits and fields: op done, caller error logged. */
	CHECK_EQ(run1(m, op_map(36, 23, RW | (1u << 5))), 0);
	{
		struct pv_iommu_op op = op_map(37, 25, RW);

		op.u.map_page._pad = 1;
		CHECK_EQ(run1(m, op), 0);
	}
	CHECK_EQ(cnt(m, "ce_reserved"), 2);
	CHECK_EQ(cnt(m, "st_map_page_ok"), 14);
	hvs_model_destroy(m);
}

UNIT_TEST(map_page_pinned_page_tables)
{
	struct hvs_model *m = mk();

	CHECK_EQ(ctl(m, "pin 7"), 0);
	CHECK_EQ(ctl(m, "pin 7"), -EEXIST);
	CHECK_EQ(run1(m, op_map(7, 7, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(7, 7, IOMMU_OP_readable)), 0);
	CHECK_EQ(run1(m, op_map(8, 7, RW | NOREF)), 0);
	CHECK_EQ(ctl(m, "unpin 7"), 0);
	CHECK_EQ(ctl(m, "unpin 7"), -EINVAL);
	/* A writable reference blocks pinning; no_ref_cnt does not. */
	CHECK_EQ(run1(m, op_map(9, 9, RW)), 0);
	CHECK_EQ(ctl(m, "pin 9"), -EBUSY);
	CHECK_EQ(run1(m, op_map(10, 10, RW | NOREF)), 0);
	CHECK_EQ(ctl(m, "pin 10"), 0);
	CHECK_EQ(ctl(m, "pin 100"), -ENOENT);
	CHECK_EQ(ctl(m, "balloon_out 0 10"), -EBUSY);
	hvs_model_destroy(m);
}

UNIT_TEST(unmap_page_statuses)
{
	struct hvs_model *m = mk();

	CHECK_EQ(run1(m, op_map(8, 8, RW | ORD(2))), 0);
	CHECK_EQ(run1(m, op_unmap(9, 0)), -ENOSPC);	/* inside */
	CHECK_EQ(run1(m, op_unmap(8, 0)), -ENOSPC);	/* order differs */
	CHECK_EQ(run1(m, op_unmap(8, ORD(3))), -ENOSPC);
	CHECK_EQ(run1(m, op_unmap(0, ORD(4))), -ENOSPC);
	CHECK_EQ(run1(m, op_unmap(9, ORD(2))), -ENOSPC);	/* misaligned */
	CHECK_EQ(run1(m, op_unmap(8, ORD(10))), -ENOSPC);	/* > max */
	CHECK_EQ(run1(m, op_unmap(1ull << 36, 0)), -EIO);
	CHECK_EQ(run1(m, op_unmap(100, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmap(8, ORD(2))), 0);
	CHECK_EQ(run1(m, op_unmap(8, ORD(2))), -ENOENT);
	CHECK_EQ(fi(m, 8).refs, 0);
	/* A foreign mapping is the ioserver's, not unmap_page's. */
	CHECK_EQ(ctl(m, "domain_create 2 4"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), 0);
	CHECK_EQ(run1(m, op_mapf(50, 0, 2, 1, RW)), 0);
	CHECK_EQ(run1(m, op_unmap(50, 0)), -ENOENT);
	/* Reserved bits (0-9 of unmap_page): done, logged. */
	CHECK_EQ(run1(m, op_map(11, 11, RW)), 0);
	CHECK_EQ(run1(m, op_unmap(11, NOREF)), 0);
	CHECK_EQ(cnt(m, "ce_reserved"), 1);
	CHECK_EQ(cnt(m, "st_unmap_page_enospc"), 6);
	hvs_model_destroy(m);
}

UNIT_TEST(refs_dropped_only_after_flush)
{
	struct hvs_model *m = mk();
	struct pv_iommu_op op;
	struct obuf o;

	CHECK_EQ(run1(m, op_map(12, 12, RW)), 0);
	op = op_unmap(12, 0);
	CHECK_EQ(hvs_op_one(m, &op), 0);
	/* Unmapped, but the IOTLB still has it and it pins the page. */
	CHECK_EQ(fi(m, 12).refs, 1);
	CHECK_EQ(fi(m, 12).wrefs, 1);
	CHECK_EQ(xl(m, 12).stale, 1);
	CHECK_EQ(xl(m, 12).src, HVS_XS_NONE);
	CHECK_EQ(audit(m, &o), 1);
	CHECK(ob_has(&o, "missing flush"));
	hvs_flush(m);
	CHECK_EQ(fi(m, 12).refs, 0);
	CHECK_EQ(xl(m, 12).stale, 0);
	CHECK(audit_clean(m));
	/* Within a hypercall: unmap then flush at the end. */
	CHECK_EQ(run1(m, op_map(13, 13, RW)), 0);
	CHECK_EQ(run1(m, op_unmap(13, 0)), 0);
	CHECK_EQ(fi(m, 13).refs, 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(default_map_and_holes)
{
	struct hvs_model *m = mk();
	struct pv_iommu_op ops[2];

	/* Identity default map of a non-strict Dom0: all RAM but Xen's. */
	CHECK_EQ(xl(m, 5).src, HVS_XS_DEFAULT);
	CHECK_EQ(xl(m, 5).mfn, 5);
	CHECK_EQ(xl(m, POOL0).src, HVS_XS_DEFAULT);
	CHECK_EQ(xl(m, XEN0).src, HVS_XS_NONE);
	CHECK_EQ(xl(m, 0x80000).src, HVS_XS_NONE);
	/* Overriding: the old entry is stale until the flush. */
	ops[0] = op_map(5, 9, RW);
	CHECK_EQ(hvs_op_one(m, &ops[0]), 0);
	CHECK_EQ(xl(m, 5).src, HVS_XS_MAPPED);
	CHECK_EQ(xl(m, 5).mfn, 9);
	CHECK_EQ(xl(m, 5).stale, 1);
	hvs_flush(m);
	CHECK_EQ(xl(m, 5).stale, 0);
	/* The default map is fixed while anything is mapped. */
	CHECK_EQ(ctl(m, "set default_map none"), -EBUSY);
	CHECK_EQ(ctl(m, "set window_offset 0x100"), -EBUSY);
	CHECK_EQ(ctl(m, "set bfn_bits 40"), -EBUSY);
	/* Unmapped: a hole, not the old identity entry. */
	CHECK_EQ(run1(m, op_unmap(5, 0)), 0);
	CHECK_EQ(xl(m, 5).src, HVS_XS_NONE);
	CHECK_EQ(hvs_tree_depth(m, HVS_TREE_HOLES), 1);
	/* Nothing mapped: another default map (the holes are forgotten). */
	CHECK_EQ(ctl(m, "set default_map none"), 0);
	CHECK_EQ(hvs_tree_depth(m, HVS_TREE_HOLES), 0);
	CHECK_EQ(xl(m, 5).src, HVS_XS_NONE);
	CHECK_EQ(ctl(m, "set default_map identity"), 0);
	CHECK_EQ(xl(m, 5).src, HVS_XS_DEFAULT);
	hvs_model_destroy(m);

	m = mk();
	CHECK_EQ(ctl(m, "set strict 1"), 0);
	CHECK_EQ(xl(m, POOL0).src, HVS_XS_NONE);
	CHECK_EQ(xl(m, 5).src, HVS_XS_DEFAULT);
	CHECK_EQ(ctl(m, "set strict 0"), 0);
	CHECK_EQ(ctl(m, "set default_map window"), 0);
	CHECK_EQ(ctl(m, "set window_offset 0x1000"), 0);
	CHECK_EQ(xl(m, 5).src, HVS_XS_NONE);
	CHECK_EQ(xl(m, 0x1005).mfn, 5);
	CHECK_EQ(xl(m, POOL0 + 0x1000).mfn, POOL0);
	CHECK_EQ(ctl(m, "set iommu 0"), 0);
	CHECK_EQ(xl(m, 77).src, HVS_XS_UNTRANSLATED);
	hvs_model_destroy(m);
}

/* ---- directed cases: foreign subops --------------------------------------- */

static struct hvs_model *mk_foreign(void)
{
	struct hvs_model *m = mk();

	CHECK_EQ(ctl(m, "domain_create 2 8 contig"), 0);	/* POOL0+23.. */
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 2 2"), 0);
	CHECK_EQ(ctl(m, "domain_create 3 4"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 3 1"), 0);
	return m;
}

static u64 p2m_of(struct hvs_model *m, u64 mfn_hint_gfn, unsigned int dom)
{
	struct pv_iommu_op op = run1op(m, op_look(mfn_hint_gfn, dom, 1));
	struct pv_iommu_op un;

	CHECK_EQ(op.status, 0);
	un = op_unmapf(op.u.lookup_foreign_page.bfn, 1, 0);
	CHECK_EQ(run1(m, un), 0);
	return op.u.lookup_foreign_page.bfn;
}

UNIT_TEST(map_foreign_statuses)
{
	struct hvs_model *m = mk_foreign();
	u64 g0 = p2m_of(m, 0, 2);

	CHECK_EQ(g0 & 7, 0);	/* contig domains are aligned */
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW)), 0);
	CHECK_EQ(fi(m, g0).refs, 1);
	CHECK_EQ(fi(m, g0).wrefs, 1);
	/* Identical: success, nothing new. */
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW)), 0);
	CHECK_EQ(fi(m, g0).refs, 1);
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 2, RW)), -EPERM);
	CHECK_EQ(run1(m, op_mapf(100, 1, 2, 1, RW)), -EPERM);
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, IOMMU_OP_readable)), -EPERM);
	CHECK_EQ(run1(m, op_mapf(101, 0, 0, 1, RW)), -EPERM);
	CHECK_EQ(run1(m, op_mapf(101, 0, HVS_DOMID_SELF, 1, RW)), -EPERM);
	CHECK_EQ(cnt(m, "ce_privilege"), 2);
	CHECK_EQ(run1(m, op_mapf(101, 0, 9, 1, RW)), -ENXIO);
	CHECK_EQ(run1(m, op_mapf(101, 0, 2, 7, RW)), -ENODEV);
	CHECK_EQ(run1(m, op_mapf(101, 8, 2, 1, RW)), -ENXIO);
	CHECK_EQ(run1(m, op_mapf(104, 4, 2, 1, RW | ORD(10))), -ENOSPC);
	CHECK_EQ(run1(m, op_mapf(105, 4, 2, 1, RW | ORD(2))), -ENOSPC);
	CHECK_EQ(run1(m, op_mapf(104, 5, 2, 1, RW | ORD(2))), -ENOSPC);
	CHECK_EQ(run1(m, op_mapf(104, 4, 2, 1, RW | ORD(2))), 0);
	CHECK_EQ(fi(m, g0 + 7).refs, 1);
	CHECK_EQ(run1(m, op_mapf(112, 4, 2, 1, RW | ORD(3))), -ENOSPC);
	CHECK_EQ(run1(m, op_mapf(112, 0, 2, 1, RW | ORD(3))), 0);
	CHECK_EQ(run1(m, op_mapf(120, 8, 2, 1, RW | ORD(2))), -ENXIO);
	CHECK_EQ(run1(m, op_mapf(101, 0, 2, 1, 0)), -EIO);
	CHECK_EQ(run1(m, op_mapf(1ull << 36, 0, 2, 1, RW)), -EIO);
	/* Scattered domain 3: gfn 0,1 are not contiguous. */
	CHECK_EQ(run1(m, op_mapf(130, 0, 3, 1, RW | ORD(1))), -ENOSPC);
	CHECK_EQ(run1(m, op_mapf(130, 0, 3, 1, RW | SWAP)), 0);
	/* RMRR. */
	CHECK_EQ(ctl(m, "rmrr 0x300 2"), 0);
	CHECK_EQ(run1(m, op_mapf(0x301, 1, 3, 1, RW)), -EACCES);
	/* Map over a lookup's BFN. */
	{
		struct pv_iommu_op l = run1op(m, op_look(2, 3, 1));

		CHECK_EQ(l.status, 0);
		CHECK_EQ(run1(m, op_mapf(l.u.lookup_foreign_page.bfn, 3, 3, 1,
					 RW)), -EPERM);
		CHECK_EQ(run1(m, op_map(l.u.lookup_foreign_page.bfn, 3, RW)),
			 -EPERM);
	}
	/* Dying and privilege. */
	CHECK_EQ(ctl(m, "domain_create 4 2 dying"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 4 1"), -EBUSY);
	CHECK_EQ(run1(m, op_mapf(140, 0, 4, 1, RW)), -ENXIO);
	CHECK_EQ(ctl(m, "set hardware_domain 0"), 0);
	CHECK_EQ(ctl(m, "set nonhw_enosys 0"), 0);
	CHECK_EQ(ctl(m, "set has_devices 1"), 0);
	CHECK_EQ(run1(m, op_mapf(140, 1, 3, 1, RW)), -EPERM);
	CHECK_EQ(run1(m, op_look(1, 3, 1)), -EPERM);
	CHECK_EQ(ctl(m, "domain_create 5 2 target"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 5 3"), 0);
	CHECK_EQ(run1(m, op_mapf(140, 1, 5, 3, RW)), 0);
	CHECK_EQ(ctl(m, "set has_devices 0"), 0);
	CHECK_EQ(run1(m, op_mapf(141, 0, 5, 3, RW)), -EPERM);
	CHECK_EQ(ctl(m, "set hardware_domain 1"), 0);
	CHECK_EQ(ctl(m, "set map_cap 0"), 0);
	CHECK_EQ(run1(m, op_mapf(141, 0, 5, 3, RW)), -EPERM);
	hvs_model_destroy(m);
}

UNIT_TEST(lookup_foreign_statuses)
{
	struct hvs_model *m = mk_foreign();
	struct pv_iommu_op op;
	u64 g1;

	op = run1op(m, op_look(1, 2, 1));
	CHECK_EQ(op.status, 0);
	g1 = op.u.lookup_foreign_page.bfn;
	CHECK_EQ(op.flags, RW);
	CHECK_EQ(fi(m, g1).owner, 2);
	CHECK_EQ(fi(m, g1).gfn, 1);
	CHECK_EQ(fi(m, g1).refs, 1);
	CHECK_EQ(fi(m, g1).wrefs, 0);
	/* Identical M2B entry: no new reference.  Another ioserver: one. */
	CHECK_EQ(run1(m, op_look(1, 2, 1)), 0);
	CHECK_EQ(fi(m, g1).refs, 1);
	CHECK_EQ(run1(m, op_look(1, 2, 2)), 0);
	CHECK_EQ(fi(m, g1).refs, 2);
	CHECK_EQ(run1(m, op_look(8, 2, 1)), -ENXIO);
	CHECK_EQ(run1(m, op_look(1, 9, 1)), -ENXIO);
	CHECK_EQ(run1(m, op_look(1, 0, 1)), -EPERM);
	CHECK_EQ(run1(m, op_look(1, 2, 5)), -ENODEV);
	CHECK_EQ(ctl(m, "balloon_out 2 3"), 0);
	CHECK_EQ(run1(m, op_look(3, 2, 1)), -ENXIO);
	/* Strict: the default map has no foreign frames: no BFN. */
	CHECK_EQ(ctl(m, "set strict 1"), 0);
	CHECK_EQ(run1(m, op_look(2, 2, 1)), -ENOENT);
	/* ... unless this ioserver mapped it itself. */
	CHECK_EQ(run1(m, op_mapf(200, 2, 2, 1, IOMMU_OP_readable)), 0);
	op = run1op(m, op_look(2, 2, 1));
	CHECK_EQ(op.status, 0);
	CHECK_EQ(op.u.lookup_foreign_page.bfn, 200);
	CHECK_EQ(op.flags, IOMMU_OP_readable);
	CHECK_EQ(run1(m, op_look(2, 2, 2)), -ENOENT);
	/* No IOMMU: the MFN is the bus address. */
	CHECK_EQ(ctl(m, "set iommu 0"), 0);
	op = run1op(m, op_look(4, 2, 1));
	CHECK_EQ(op.status, 0);
	CHECK_EQ(op.u.lookup_foreign_page.bfn, g1 + 3);
	CHECK_EQ(ctl(m, "set iommu 1"), 0);
	CHECK_EQ(ctl(m, "set strict 0"), 0);
	/* Reserved input flags: logged. */
	op = op_look(5, 2, 1);
	op.flags = RW;
	CHECK_EQ(run1(m, op), 0);
	CHECK_EQ(cnt(m, "ce_reserved"), 1);
	hvs_model_destroy(m);

	m = mk_foreign();
	CHECK_EQ(ctl(m, "set default_map window"), 0);
	CHECK_EQ(ctl(m, "set window_offset 0x10000"), 0);
	op = run1op(m, op_look(1, 2, 1));
	CHECK_EQ(op.status, 0);
	g1 = op.u.lookup_foreign_page.bfn - 0x10000;
	CHECK_EQ(fi(m, g1).owner, 2);
	CHECK_EQ(xl(m, g1 + 0x10000).mfn, g1);
	hvs_model_destroy(m);
}

UNIT_TEST(unmap_foreign_statuses)
{
	struct hvs_model *m = mk_foreign();
	struct pv_iommu_op op;
	u64 b;

	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW)), 0);
	CHECK_EQ(run1(m, op_unmapf(100, 2, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(100, 1, ORD(1))), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(101, 1, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(100, 1, ORD(30))), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(100, 1, 0)), 0);
	CHECK_EQ(run1(m, op_unmapf(100, 1, 0)), -ENOENT);
	op = run1op(m, op_look(1, 2, 1));
	b = op.u.lookup_foreign_page.bfn;
	CHECK_EQ(fi(m, b).refs, 1);
	CHECK_EQ(run1(m, op_unmapf(b, 2, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(b, 1, 0)), 0);
	CHECK_EQ(fi(m, b).refs, 0);
	CHECK_EQ(run1(m, op_mapf(104, 4, 2, 1, RW | ORD(2))), 0);
	CHECK_EQ(run1(m, op_unmapf(104, 1, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(104, 1, ORD(2) | 1)), 0);
	CHECK_EQ(cnt(m, "ce_reserved"), 1);
	CHECK(audit_dirty(m));
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

/* ---- ballooning, swap, notifications, domain teardown -------------------- */

UNIT_TEST(balloon_swap_and_invalidate)
{
	struct hvs_model *m = mk_foreign();
	struct hvs_xlate x;
	u64 g0 = p2m_of(m, 0, 2), bfn;

	/* gfn 0: both ioservers mapped it with swap_mfn. */
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW | SWAP)), 0);
	CHECK_EQ(run1(m, op_mapf(101, 0, 2, 2, IOMMU_OP_readable | SWAP)), 0);
	/* gfn 1: one mapping without swap_mfn. */
	CHECK_EQ(run1(m, op_mapf(102, 1, 2, 1, RW | SWAP)), 0);
	CHECK_EQ(run1(m, op_mapf(103, 1, 2, 2, RW)), 0);
	CHECK_EQ(fi(m, g0).refs, 2);
	CHECK_EQ(ctl(m, "balloon_out 2 0"), 0);
	x = xl(m, 100);
	CHECK_EQ(x.src, HVS_XS_SCRATCH);
	CHECK_EQ(x.mfn, hvs_scratch_mfn(m));
	CHECK_EQ(xl(m, 101).mfn, hvs_scratch_mfn(m));
	CHECK_EQ(fi(m, g0).owner, HVS_DOMID_FREE);
	CHECK_EQ(fi(m, g0).refs, 0);
	CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), 0);
	CHECK_EQ(bfn, 100);
	CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), -EAGAIN);
	CHECK_EQ(hvs_notify_pop(m, 2, 2, &bfn), 0);
	CHECK_EQ(bfn, 101);
	CHECK_EQ(cnt(m, "swaps"), 2);
	CHECK(audit_dirty(m));	/* mappings still live */
	/* gfn 1: not all swappable: the page stays until both unmap. */
	CHECK_EQ(ctl(m, "balloon_out 2 1"), 0);
	CHECK_EQ(xl(m, 102).mfn, g0 + 1);
	CHECK_EQ(fi(m, g0 + 1).owner, 2);
	CHECK_EQ(fi(m, g0 + 1).allocated, false);
	CHECK_EQ(fi(m, g0 + 1).refs, 2);
	CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), 0);
	CHECK_EQ(bfn, 102);
	CHECK_EQ(hvs_notify_pop(m, 2, 2, &bfn), 0);
	CHECK_EQ(bfn, 103);
	CHECK_EQ(run1(m, op_unmapf(102, 1, 0)), 0);
	CHECK_EQ(fi(m, g0 + 1).refs, 1);
	CHECK_EQ(run1(m, op_unmapf(103, 2, 0)), 0);
	CHECK_EQ(fi(m, g0 + 1).owner, HVS_DOMID_FREE);
	/* Swapped entries are unmapped like the others. */
	CHECK_EQ(run1(m, op_unmapf(100, 1, 0)), 0);
	CHECK_EQ(run1(m, op_unmapf(101, 2, 0)), 0);
	CHECK_EQ(xl(m, 100).src, HVS_XS_NONE);
	CHECK(audit_clean(m));
	/* Repopulate: the same frame if free. */
	CHECK_EQ(ctl(m, "populate 2 0"), 0);
	CHECK_EQ(p2m_of(m, 0, 2), g0);
	CHECK_EQ(ctl(m, "populate 2 0"), -EEXIST);
	CHECK_EQ(ctl(m, "balloon_out 2 1"), -ENOENT);
	CHECK_EQ(ctl(m, "balloon_out 2 99"), -EINVAL);
	CHECK_EQ(ctl(m, "balloon_out 7 1"), -ENOENT);
	hvs_model_destroy(m);
}

UNIT_TEST(domain_and_ioserver_teardown)
{
	struct hvs_model *m = mk_foreign();
	struct obuf o;
	u64 g0 = p2m_of(m, 0, 2);

	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW)), 0);
	CHECK_EQ(ctl(m, "ioserver_destroy 2 1"), 0);
	CHECK_EQ(ctl(m, "ioserver_destroy 2 1"), -ENOENT);
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), -EBUSY);
	CHECK_EQ(run1(m, op_mapf(101, 1, 2, 1, RW)), -ENODEV);
	audit(m, &o);
	CHECK(ob_has(&o, "mappings_of_destroyed_ioservers 1"));
	/* The guest balloons the page out: the invalidate is lost. */
	CHECK_EQ(ctl(m, "balloon_out 2 0"), 0);
	CHECK_EQ(cnt(m, "notify_lost"), 1);
	CHECK_EQ(ctl(m, "domain_destroy 2"), 0);
	CHECK_EQ(ctl(m, "domain_destroy 2"), -EBUSY);
	CHECK_EQ(ctl(m, "domain_create 2 4"), -EEXIST);
	CHECK_EQ(fi(m, g0).owner, 2);
	CHECK_EQ(fi(m, g0 + 1).owner, HVS_DOMID_FREE);
	audit(m, &o);
	CHECK(ob_has(&o, "mappings_of_dying_domains 1"));
	CHECK(ob_has(&o, "violations: 0"));
	/* The emulator finally unmaps: frame and domain go. */
	CHECK_EQ(run1(m, op_unmapf(100, 1, 0)), 0);
	CHECK_EQ(fi(m, g0).owner, HVS_DOMID_FREE);
	CHECK_EQ(ctl(m, "domain_create 2 4"), 0);
	CHECK_EQ(ctl(m, "domain_destroy 0"), -EPERM);
	CHECK_EQ(ctl(m, "domain_destroy 99"), -ENOENT);
	CHECK_EQ(ctl(m, "domain_create 6 100000"), -EINVAL);
	CHECK_EQ(ctl(m, "domain_create 6 90"), -ENOMEM);
	CHECK_EQ(ctl(m, "domain_create 0 1"), -EINVAL);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

/* ---- pmem ------------------------------------------------------------------ */

static long pmem(struct hvs_model *m, u64 s, u64 e, u64 rs, u64 re, u64 ds,
		 u64 de)
{
	struct xpv_xenpf_pmem_add op = { s, e, rs, re, ds, de };

	return hvs_pmem_add(m, &op);
}

UNIT_TEST(pmem_report_checks)
{
	struct hvs_model *m = mk();
	const u64 R = 0x140000, N = 0x40000;	/* 1 GiB region */

	/* 1 GiB: 262144 frames * 40 B = 2560 frames (5 * 2 MiB) needed. */
	CHECK_EQ(pmem(m, 0, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 2048, R + 2560, R + N), -ENOSPC);
	CHECK_EQ(pmem(m, R, R + N, R, R + 2600, R + 2600, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 3072, R + N), 0);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 3072, R + N), 0);
	CHECK_EQ(cnt(m, "pmem_identical"), 1);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 4096, R + N), -EEXIST);
	CHECK_EQ(pmem(m, R + N - 512, R + N + 512, R + N - 512, R + N,
		      R + N, R + N + 512), -EEXIST);
	CHECK_EQ(pmem(m, R + 1, R + N, R, R + 3072, R + 3072, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N + 1, R, R + 3072, R + 3072, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R + 1, R + 3072, R + 3072, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3073, R + 3073, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 3072, R + N + 1), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R - 512, R + 3072, R + 3072, R + N),
		 -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 3000, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R + 512, R, R + 3072, R + N), -EINVAL);
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 5000, R + 4000), -EINVAL);
	CHECK_EQ(pmem(m, 1ull << 40, (1ull << 40) + 512, 1ull << 40,
		      (1ull << 40) + 512, (1ull << 40) + 1, (1ull << 40) + 2),
		 -EINVAL);
	/* Data at the start, reserved at the end. */
	CHECK_EQ(pmem(m, 2 * R, 2 * R + N, 2 * R + N - 3072, 2 * R + N,
		      2 * R, 2 * R + N - 3072), 0);
	/* The reserved ranges are Xen's now. */
	CHECK_EQ(run1(m, op_map(0x300, R + 5, RW)), -EPERM);
	CHECK_EQ(run1(m, op_map(0x300, R + 3072, RW)), 0);
	CHECK_EQ(fi(m, R + 5).owner, HVS_DOMID_XEN);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 1);
	/* Sizes are knobs: compat M2P too. */
	CHECK_EQ(ctl(m, "set m2p_size 20"), 0);
	CHECK_EQ(pmem(m, 4 * R, 4 * R + N, 4 * R, 4 * R + 3072, 4 * R + 3072,
		      4 * R + N), -ENOSPC);
	CHECK_EQ(ctl(m, "set hardware_domain 0"), 0);
	CHECK_EQ(pmem(m, 0, 0, 0, 0, 0, 0), -EPERM);
	CHECK_EQ(ctl(m, "set pmem_enosys 1"), 0);
	CHECK_EQ(pmem(m, 0, 0, 0, 0, 0, 0), -ENOSYS);
	hvs_model_destroy(m);
}

/* ---- fault injection ------------------------------------------------------- */

UNIT_TEST(fault_injection)
{
	struct hvs_model *m = mk();
	struct pv_iommu_op ops[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		ops[i] = op_map(20 + i, 20 + i, RW);
	/* Stays armed until a batch reaches op 2. */
	CHECK_EQ(ctl(m, "fault op 2 EIO"), 0);
	CHECK_EQ(run1(m, op_q()), 0);
	CHECK_EQ(hvs_iommu_op(m, ops, 4, 4), 0);
	CHECK_EQ(ops[1].status, 0);
	CHECK_EQ(ops[2].status, -EIO);
	CHECK_EQ(ops[3].status, 0);
	CHECK_EQ(xl(m, 22).src, HVS_XS_DEFAULT);	/* not done */
	CHECK_EQ(cnt(m, "op_faults"), 1);
	/* Whole call. */
	CHECK_EQ(ctl(m, "fault call -14"), 0);
	ops[0] = op_map(30, 30, RW);
	ops[0].status = 5;
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), -EFAULT);
	CHECK_EQ(ops[0].status, 5);
	CHECK_EQ(hvs_iommu_op(m, ops, 1, 1), 0);
	/* Preempted after 2: ops 2, 3 untouched (partial batch). */
	for (i = 0; i < 4; i++) {
		ops[i] = op_map(40 + i, 40 + i, RW);
		ops[i].status = 1;
	}
	CHECK_EQ(ctl(m, "fault preempt 2"), 0);
	CHECK_EQ(hvs_iommu_op(m, ops, 4, 4), 0);
	CHECK_EQ(ops[1].status, 0);
	CHECK_EQ(ops[2].status, 1);
	CHECK_EQ(ops[3].status, 1);
	CHECK_EQ(cnt(m, "preemptions"), 1);
	/* A continuation flushes in the middle. */
	for (i = 0; i < 4; i++)
		ops[i] = op_unmap(40 + i, 0);
	CHECK_EQ(ctl(m, "fault continue 1"), 0);
	i = cnt(m, "flushes");
	CHECK_EQ(hvs_iommu_op(m, ops, 2, 2), 0);
	CHECK_EQ(cnt(m, "flushes"), i + 2);
	CHECK_EQ(cnt(m, "continuations"), 1);
	/* A skipped flush leaves the IOTLB stale: the audit sees it. */
	CHECK_EQ(ctl(m, "fault flush"), 0);
	CHECK_EQ(run1(m, op_unmap(20, 0)), 0);
	CHECK_EQ(fi(m, 20).refs, 1);
	CHECK(audit_dirty(m));
	CHECK_EQ(cnt(m, "flushes_skipped"), 1);
	CHECK_EQ(ctl(m, "flush"), 0);
	CHECK_EQ(fi(m, 20).refs, 0);
	/* Bad fault commands. */
	CHECK_EQ(ctl(m, "fault op 2"), -EINVAL);
	CHECK_EQ(ctl(m, "fault op x EIO"), -EINVAL);
	CHECK_EQ(ctl(m, "fault op 1 E2BIG"), -EINVAL);
	CHECK_EQ(ctl(m, "fault call 0"), -EINVAL);
	CHECK_EQ(ctl(m, "fault preempt 65536"), -EINVAL);
	CHECK_EQ(ctl(m, "fault op 1 EIO"), 0);
	CHECK_EQ(ctl(m, "fault clear"), 0);
	CHECK_EQ(run1(m, op_q()), 0);
	hvs_model_destroy(m);
}

UNIT_TEST(ctl_language)
{
	struct hvs_model *m = mk();
	static const char *const bad[] = {
		"", "   ", "bogus", "set", "set strict", "set strict 2",
		"set nosuch 1", "set max_order 0x", "set max_order 99999999999",
		"domain_create", "domain_create 5", "domain_create 5 4 nope",
		"pin", "pin x", "balloon_out 1", "rmrr 0 0",
		"xen_range 0 0", "baseline now", "a b c d e f g h i",
		"set max_order 123456789012345678901234",
		"fault", "fault nothing 1",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl(m, "%s", bad[i]) != -EINVAL) {
			fprintf(stderr, "  accepted: '%s'\n", bad[i]);
			CHECK(0);
		}
	CHECK_EQ(ctl(m, "set strict y"), 0);
	CHECK(hvs_config_get(m)->strict);
	CHECK_EQ(ctl(m, "  set\tstrict off \n"), 0);
	CHECK(!hvs_config_get(m)->strict);
	CHECK_EQ(ctl(m, "set max_order 0x3"), 0);
	CHECK_EQ(hvs_config_get(m)->max_order, 3);
	CHECK_EQ(ctl(m, "xen_range 5 1"), -EBUSY);	/* dom0's frame */
	CHECK_EQ(ctl(m, "xen_range 0x90000 16"), 0);
	CHECK_EQ(run1(m, op_map(1, 0x90003, RW)), -EPERM);
	CHECK_EQ(ctl(m, "xen_range 0x100000020 1"), 0);	/* a free pool frame */
	CHECK_EQ(fi(m, 0x100000020).owner, HVS_DOMID_XEN);
	CHECK_EQ(run1(m, op_map(2, 2, RW)), 0);
	CHECK_EQ(ctl(m, "rmrr 2 1"), -EBUSY);
	CHECK_EQ(hvs_counter(m, "nosuch"), HVS_INVALID);
	CHECK_EQ(ctl(m, "reset"), 0);
	CHECK_EQ(cnt(m, "hypercalls"), 0);
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK_EQ(cnt(m, "ce_total"), 0);
	hvs_model_destroy(m);
}

UNIT_TEST(views_and_dump)
{
	struct hvs_model *m = mk_foreign();
	struct hvs_out out;
	struct hvs_mapping mp;
	struct obuf *o = calloc(1, sizeof(*o));
	unsigned int v;

	out.emit = ob_emit;
	out.ctx = o;
	CHECK_EQ(run1(m, op_map(8, 8, RW | ORD(3))), 0);
	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, IOMMU_OP_readable)), 0);
	CHECK_EQ(run1(m, op_look(1, 3, 1)), 0);
	CHECK_EQ(hvs_mapping_get(m, 0, &mp), 0);
	CHECK_EQ(mp.bfn, 8);
	CHECK_EQ(mp.order, 3);
	CHECK_EQ(mp.refkind, HVS_REF_RW);
	CHECK_EQ(hvs_mapping_get(m, 1, &mp), 0);
	CHECK_EQ(mp.kind, HVS_KIND_FOREIGN);
	CHECK_EQ(mp.refkind, HVS_REF_RO);
	CHECK_EQ(hvs_mapping_get(m, 2, &mp), 0);
	CHECK_EQ(mp.kind, HVS_KIND_LOOKUP);
	CHECK_EQ(hvs_mapping_get(m, 3, &mp), -ENOENT);
	hvs_mapping_show(&mp, &out);
	CHECK(ob_has(o, "kind=lookup dom=3 ios=1 perm=rw ref=ro"));
	for (v = 0; v < HVS_VIEW_NR; v++)
		hvs_show(m, v, &out);
	CHECK(ob_has(o, "\nmax_order 9\n"));
	CHECK(ob_has(o, "\nop_map_page 1\n"));
	CHECK(ob_has(o, "\nst_map_foreign_page_ok 1\n"));
	CHECK(ob_has(o, "domain 2 pages 8 populated 8"));
	CHECK_EQ(ob_get(o, "table_writes "), 2);
	hvs_model_destroy(m);
	free(o);
}

/* ---- deliberately wrong callers: the audit must catch each ------------- */

UNIT_TEST(wrong_caller_refcount_leak)
{
	struct hvs_model *m = mk();
	struct obuf o;

	CHECK(audit_clean(m));
	/* Maps a page, "forgets" it (never unmaps), gives the page back. */
	CHECK_EQ(run1(m, op_map(30, 30, RW)), 0);
	CHECK_EQ(ctl(m, "balloon_out 0 30"), 0);
	CHECK_EQ(audit(m, &o), 1);
	CHECK(ob_has(&o, "released mfn 0x1e still held by 1 mapping refs"));
	CHECK(ob_has(&o, "total refs 1 baseline 0 DIFF"));
	CHECK(ob_has(&o, "total zombies 1 baseline 0 DIFF"));
	CHECK(ob_has(&o, "at_baseline: no"));
	CHECK(ob_has(&o, "verdict: dirty"));
	/* A leak without ballooning still leaves the ledger off baseline. */
	CHECK_EQ(run1(m, op_unmap(30, 0)), 0);
	CHECK_EQ(fi(m, 30).owner, HVS_DOMID_FREE);
	CHECK(audit_clean(m));
	CHECK_EQ(run1(m, op_map(31, 31, IOMMU_OP_readable)), 0);
	CHECK_EQ(audit(m, &o), 0);
	CHECK(ob_has(&o, "total recs_self 1 baseline 0 DIFF"));
	CHECK(ob_has(&o, "verdict: dirty"));
	hvs_model_destroy(m);
}

UNIT_TEST(wrong_caller_unmap_without_flush)
{
	struct hvs_model *m = mk();
	struct pv_iommu_op op;
	struct obuf o;

	/* no_ref_cnt: nothing pins the page but the caller's discipline. */
	CHECK_EQ(run1(m, op_map(40, 40, RW | NOREF)), 0);
	op = op_unmap(40, 0);
	CHECK_EQ(hvs_op_one(m, &op), 0);
	/* No flush, and the page is given back: a device can still DMA. */
	CHECK_EQ(ctl(m, "balloon_out 0 40"), 0);
	CHECK_EQ(fi(m, 40).owner, HVS_DOMID_FREE);
	CHECK_EQ(audit(m, &o), 2);
	CHECK(ob_has(&o, "missing flush"));
	CHECK(ob_has(&o, "event freed_while_in_iotlb mfn 0x28 bfn 0x28"));
	hvs_flush(m);
	CHECK_EQ(audit(m, &o), 1);	/* the event stays */
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	/* Mapped without a reference and given back while mapped. */
	CHECK_EQ(run1(m, op_map(41, 41, RW | NOREF)), 0);
	CHECK_EQ(ctl(m, "balloon_out 0 41"), 0);
	CHECK_EQ(audit(m, &o), 2);
	CHECK(ob_has(&o, "event freed_while_mapped mfn 0x29"));
	CHECK(ob_has(&o, "(freed while mapped)"));
	hvs_model_destroy(m);
}

UNIT_TEST(wrong_caller_maps_xen_frame)
{
	struct hvs_model *m = mk();
	struct obuf o;

	CHECK_EQ(run1(m, op_map(50, XEN0 + 1, RW | NOREF)), -EPERM);
	CHECK_EQ(audit(m, &o), 0);
	CHECK(ob_has(&o, "caller_error: xen_frame subop=map_page dom=0 bfn=0x32 frame=0x100000001"));
	CHECK(ob_has(&o, "caller_errors: 1"));
	CHECK(ob_has(&o, "verdict: dirty"));
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

/* ---- review fixes (issue 3): each test fails on the code before them ---- */

static struct hvs_model *mk_lay(u64 d0, u64 pool, const struct hvs_env *env)
{
	struct hvs_layout lay = {
		.dom0_pages = d0, .xen_frames = XENF, .pool_frames = pool,
	};
	struct hvs_config cfg;
	struct hvs_model *m;
	int err;

	hvs_config_default(&cfg);
	m = hvs_model_create(env ? env : &t_env, &cfg, &lay, &err);
	if (!m) {
		fprintf(stderr, "model create: %d\n", err);
		exit(2);
	}
	return m;
}

/* The line of the notifications view for domain @d, ioserver @i. */
static bool notify_line(struct hvs_model *m, const char *want)
{
	static struct obuf o;
	struct hvs_out out = { ob_emit, &o };

	o.len = 0;
	o.buf[0] = 0;
	hvs_show(m, HVS_VIEW_NOTIFY, &out);
	if (!ob_has(&o, want)) {
		fprintf(stderr, "  notifications: %.300s\n", o.buf);
		return false;
	}
	return true;
}

UNIT_TEST(invalidates_beyond_the_ring_are_never_lost)
{
	struct hvs_model *m = mk_lay(D0PAGES, 400, NULL);
	struct pv_iommu_op op;
	u64 bfn, g, got = 0, bad = 0;

	CHECK_EQ(ctl(m, "domain_create 2 300"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), 0);
	for (g = 0; g < 300; g++)
		CHECK_EQ(run1(m, op_mapf(0x1000 + g, g, 2, 1, RW)), 0);
	/* 300 invalidates for one ioserver: 256 buffered, 44 synchronous. */
	for (g = 0; g < 300; g++)
		CHECK_EQ(ctl(m, "balloon_out 2 %llu", (unsigned long long)g), 0);
	CHECK_EQ(cnt(m, "notifications"), 300);
	CHECK_EQ(cnt(m, "notify_sync"), 44);
	CHECK_EQ(cnt(m, "notify_lost"), 0);
	CHECK(notify_line(m, "dom 2 ios 1 live 1 pending 300 total 300 lost 0 sync 44 bfns 0x1000 0x1001"));
	/* In order: the ring's, then the synchronous ones. */
	for (g = 0; g < 10; g++) {
		CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), 0);
		bad += bfn != 0x1000 + g;
	}
	/* The ring has room now, but a new one waits behind the others. */
	CHECK_EQ(run1(m, op_mapf(0x2000, 0, 2, 1, RW)), -ENXIO);
	CHECK_EQ(ctl(m, "populate 2 0"), 0);
	CHECK_EQ(run1(m, op_mapf(0x2000, 0, 2, 1, RW)), 0);
	CHECK_EQ(ctl(m, "balloon_out 2 0"), 0);
	CHECK_EQ(cnt(m, "notify_sync"), 45);
	for (g = 10; g < 300; g++) {
		CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), 0);
		bad += bfn != 0x1000 + g;
	}
	CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), 0);
	CHECK_EQ(bfn, 0x2000);
	CHECK_EQ(hvs_notify_pop(m, 2, 1, &bfn), -EAGAIN);
	CHECK_EQ(bad, 0);
	/* Unmapped: the pages go. */
	for (g = 0; g < 300; g++) {
		op = op_unmapf(0x1000 + g, 1, 0);
		got += run1(m, op) == 0;
	}
	CHECK_EQ(got, 300);
	CHECK_EQ(run1(m, op_unmapf(0x2000, 1, 0)), 0);
	CHECK(audit_clean(m));
	/* Only a destroyed ioserver loses them (there is nobody to tell). */
	CHECK_EQ(ctl(m, "populate 2 1"), 0);
	CHECK_EQ(run1(m, op_mapf(0x3000, 1, 2, 1, RW)), 0);
	CHECK_EQ(ctl(m, "ioserver_destroy 2 1"), 0);
	CHECK_EQ(ctl(m, "balloon_out 2 1"), 0);
	CHECK_EQ(cnt(m, "notify_lost"), 1);
	hvs_model_destroy(m);
}

UNIT_TEST(swapped_entries_read_only_scratch_stays_zero)
{
	struct hvs_model *m = mk_foreign();
	struct hvs_xlate x;
	struct obuf o;

	CHECK_EQ(run1(m, op_mapf(100, 0, 2, 1, RW | SWAP)), 0);
	CHECK_EQ(hvs_dma_write(m, 100), 0);	/* the guest's page */
	CHECK_EQ(ctl(m, "balloon_out 2 0"), 0);
	x = xl(m, 100);
	CHECK_EQ(x.src, HVS_XS_SCRATCH);
	/* Shared by every guest's swapped entries: no device writes it. */
	CHECK_EQ(x.perm, IOMMU_OP_readable);
	CHECK(x.zero);
	CHECK_EQ(hvs_dma_write(m, 100), -EACCES);
	CHECK_EQ(ctl(m, "dma_write 100"), -EACCES);
	CHECK_EQ(hvs_dma_write(m, 0x7777), -ENOENT);
	CHECK_EQ(cnt(m, "dma_writes"), 1);
	audit(m, &o);
	CHECK(ob_has(&o, "violations: 0"));
	CHECK_EQ(run1(m, op_unmapf(100, 1, 0)), 0);
	CHECK(audit_clean(m));
	/* An untranslated device can reach it: the audit says so. */
	CHECK_EQ(ctl(m, "set passthrough 1"), 0);
	CHECK(xl(m, hvs_scratch_mfn(m)).zero);
	CHECK_EQ(hvs_dma_write(m, hvs_scratch_mfn(m)), 0);
	CHECK(!xl(m, hvs_scratch_mfn(m)).zero);
	CHECK_EQ(audit(m, &o), 1);
	CHECK(ob_has(&o, "event scratch_written"));
	CHECK(ob_has(&o, "verdict: dirty"));
	CHECK_EQ(ctl(m, "set passthrough 0"), 0);
	CHECK_EQ(ctl(m, "clear_errors"), 0);	/* and zeroed again */
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(pmem_report_revokes_the_callers_mappings)
{
	struct hvs_model *m = mk_foreign();
	const u64 R = 0x140000, N = 0x40000;
	struct pv_iommu_op look;
	struct obuf o;
	u64 g0 = p2m_of(m, 0, 2);

	/* Dom0 mapped frames of the area before reporting it. */
	CHECK_EQ(run1(m, op_map(0x300, R + 5, RW)), 0);
	CHECK_EQ(run1(m, op_map(0x304, R + 3068, RW | ORD(2))), 0);
	CHECK_EQ(run1(m, op_map(0x308, R + 3072, RW)), 0);	/* data */
	CHECK_EQ(pmem(m, R, R + N, R, R + 3072, R + 3072, R + N), 0);
	/* Xen took the area away: both entries reaching it are gone. */
	CHECK_EQ(cnt(m, "pmem_revoked"), 2);
	CHECK_EQ(xl(m, 0x300).src, HVS_XS_NONE);
	CHECK_EQ(xl(m, 0x305).src, HVS_XS_NONE);
	CHECK_EQ(xl(m, 0x308).mfn, R + 3072);
	CHECK_EQ(run1(m, op_unmap(0x300, 0)), -ENOENT);
	audit(m, &o);
	CHECK(ob_has(&o, "violations: 0"));
	CHECK(!ob_has(&o, "Xen-owned"));
	CHECK_EQ(run1(m, op_unmap(0x308, 0)), 0);
	CHECK(audit_clean(m));
	/*
	 * A report over a foreign domain's frames (pool): its lookups and
	 * mappings are revoked, map_foreign_page and the default map refuse
	 * them from then on.
	 */
	look = run1op(m, op_look(1, 2, 1));
	CHECK_EQ(look.status, 0);
	CHECK_EQ(run1(m, op_mapf(0x400, 2, 2, 1, RW)), 0);
	CHECK_EQ(fi(m, g0 + 1).refs, 1);
	CHECK_EQ(pmem(m, XEN0, XEN0 + 1024, XEN0, XEN0 + 512, XEN0 + 512,
		      XEN0 + 1024), 0);
	CHECK_EQ(cnt(m, "pmem_revoked"), 4);
	CHECK_EQ(fi(m, g0 + 1).refs, 0);
	CHECK_EQ(fi(m, g0 + 2).refs, 0);
	CHECK_EQ(run1(m, op_mapf(0x401, 3, 2, 1, RW)), -EPERM);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 1);
	CHECK_EQ(run1(m, op_map(0x402, g0 + 3, RW)), -EPERM);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 2);
	CHECK_EQ(xl(m, g0 + 3).src, HVS_XS_NONE);
	CHECK_EQ(run1(m, op_look(3, 2, 1)), -ENOENT);
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

static unsigned int preempt_calls;
static struct hvs_model *preempt_model;

/* At a continuation the model is consistent and the IOTLB flushed. */
static void t_preempt(void)
{
	struct hvs_totals t;

	static struct obuf o;

	preempt_calls++;
	hvs_totals_get(preempt_model, &t);
	CHECK_EQ(t.stale, 0);
	CHECK_EQ(audit(preempt_model, &o), 0);
}

UNIT_TEST(long_work_takes_continuations_and_stays_bounded)
{
	static const struct hvs_env env = { t_zalloc, t_free, NULL, t_preempt };
	static struct pv_iommu_op ops[HVS_MAX_OPS];
	struct hvs_model *m = mk_lay(256, POOLF, &env);
	unsigned int i, bad = 0;
	struct obuf o;
	u64 cont;

	preempt_model = m;
	/* 16 maps of order 4 and their unmaps: ~80 units each. */
	CHECK_EQ(ctl(m, "set continue_work 200"), 0);
	for (i = 0; i < 16; i++)
		ops[i] = op_map(0x1000 + 16 * i, 16 * i, RW | ORD(4));
	for (i = 0; i < 16; i++)
		ops[16 + i] = op_unmap(0x1000 + 16 * i, ORD(4));
	CHECK_EQ(hvs_iommu_op(m, ops, 32, 32), 0);
	for (i = 0; i < 32; i++)
		bad += ops[i].status != 0;
	CHECK_EQ(bad, 0);
	cont = cnt(m, "continuations_work");
	CHECK(cont >= 8);
	CHECK_EQ(preempt_calls, cont);
	CHECK_EQ(cnt(m, "continuations"), cont);
	CHECK_EQ(cnt(m, "flushes"), cont + 1);
	CHECK(audit_clean(m));
	CHECK_EQ(ctl(m, "set continue_work 0"), -EINVAL);
	CHECK_EQ(ctl(m, "set continue_work 0x800000"), 0);
	/*
	 * 65536 order-20 maps of frames the model does not manage: the
	 * frame checks cost O(ranges), not 2^36 iterations.
	 */
	CHECK_EQ(ctl(m, "set max_order 20"), 0);
	for (i = 0; i < HVS_MAX_OPS; i++)
		ops[i] = op_map((u64)i << 20, (1ull << 36) + ((u64)i << 20),
				RW | ORD(20));
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS, HVS_MAX_OPS), 0);
	for (i = 0, bad = 0; i < HVS_MAX_OPS; i++)
		bad += ops[i].status != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(cnt(m, "st_map_page_ok"), 16 + HVS_MAX_OPS);
	CHECK(hvs_tree_depth(m, HVS_TREE_TABLE) <= 4 * 16 + 8);
	/* And once more over the same BFNs: refused at the first frame... */
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS, HVS_MAX_OPS), 0);
	for (i = 0, bad = 0; i < HVS_MAX_OPS; i++)
		bad += ops[i].status != -EPERM;
	CHECK_EQ(bad, 0);
	for (i = 0; i < HVS_MAX_OPS; i++)
		ops[i] = op_unmap((u64)i << 20, ORD(20));
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS, HVS_MAX_OPS), 0);
	CHECK_EQ(cnt(m, "st_unmap_page_ok"), 16 + HVS_MAX_OPS);
	/* ... beyond the host and Xen's ranges inside an unmanaged run. */
	CHECK_EQ(run1(m, op_map(0, (1ull << 40) - (1ull << 20), RW | ORD(20))),
		 0);
	CHECK_EQ(ctl(m, "xen_range 0x40000123 1"), 0);
	CHECK_EQ(run1(m, op_map(1ull << 20, 0x40000000, RW | ORD(20))), -EPERM);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 1);
	CHECK_EQ(ctl(m, "set mfn_bits 34"), -EBUSY);
	CHECK_EQ(run1(m, op_unmap(0, ORD(20))), 0);
	CHECK_EQ(ctl(m, "set mfn_bits 34"), 0);
	CHECK_EQ(run1(m, op_map(1ull << 20, 1ull << 34, RW | ORD(20))), -EPERM);
	CHECK_EQ(cnt(m, "ce_xen_frame"), 1);
	/* xen_range walks only the frames the model manages. */
	CHECK_EQ(ctl(m, "xen_range 0x100 0xfffffe00"), 0);
	CHECK_EQ(ctl(m, "xen_range 0 0x3ffffff00"), -EBUSY);
	CHECK_EQ(run1(m, op_map(5, 0x12345678, RW)), -EPERM);
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	/*
	 * One frame at 65536 BFNs: one M2B chain that long.  Unmapping them
	 * all and auditing stay linear (O(1) M2B removal).
	 */
	CHECK_EQ(ctl(m, "set max_order 0"), 0);
	for (i = 0; i < HVS_MAX_OPS; i++)
		ops[i] = op_map(0x100000 + i, 1ull << 33, RW);
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS, HVS_MAX_OPS), 0);
	for (i = 0, bad = 0; i < HVS_MAX_OPS; i++)
		bad += ops[i].status != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(audit(m, &o), 0);
	for (i = 0; i < HVS_MAX_OPS; i++)
		ops[i] = op_unmap(0x100000 + i, 0);
	CHECK_EQ(hvs_iommu_op(m, ops, HVS_MAX_OPS, HVS_MAX_OPS), 0);
	for (i = 0, bad = 0; i < HVS_MAX_OPS; i++)
		bad += ops[i].status != 0;
	CHECK_EQ(bad, 0);
	/* A foreign page swapped out of 8192 entries in one walk. */
	CHECK_EQ(ctl(m, "domain_create 2 1"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), 0);
	for (i = 0; i < 8192; i++)
		ops[i] = op_mapf(0x200000 + i, 0, 2, 1, RW | SWAP);
	CHECK_EQ(hvs_iommu_op(m, ops, 8192, 8192), 0);
	for (i = 0, bad = 0; i < 8192; i++)
		bad += ops[i].status != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(ctl(m, "balloon_out 2 0"), 0);
	CHECK_EQ(cnt(m, "swaps"), 8192);
	CHECK_EQ(cnt(m, "notify_sync"), 8192 - 256);
	CHECK_EQ(ctl(m, "notify_clear 2 1"), 0);
	for (i = 0; i < 8192; i++)
		ops[i] = op_unmapf(0x200000 + i, 1, 0);
	CHECK_EQ(hvs_iommu_op(m, ops, 8192, 8192), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(frame_widths_capped_at_48_bits)
{
	struct hvs_model *m = mk_foreign();
	const u64 W = (1ull << 48) - (1ull << 33);
	struct pv_iommu_op a, b;

	CHECK_EQ(ctl(m, "set bfn_bits 49"), -EINVAL);
	CHECK_EQ(ctl(m, "set bfn_bits 52"), -EINVAL);
	CHECK_EQ(ctl(m, "set mfn_bits 49"), -EINVAL);
	CHECK_EQ(ctl(m, "set bfn_bits 48"), 0);
	CHECK_EQ(ctl(m, "set mfn_bits 48"), 0);
	CHECK_EQ(ctl(m, "set default_map window"), 0);
	CHECK_EQ(ctl(m, "set window_offset 0x%llx", (unsigned long long)W), 0);
	/* Lookups just below 2^48, two ioservers: two M2B entries. */
	a = run1op(m, op_look(1, 2, 1));
	b = run1op(m, op_look(1, 2, 2));
	CHECK_EQ(a.status, 0);
	CHECK_EQ(b.status, 0);
	CHECK_EQ(a.u.lookup_foreign_page.bfn, b.u.lookup_foreign_page.bfn);
	CHECK(a.u.lookup_foreign_page.bfn >> 47);
	CHECK(!(a.u.lookup_foreign_page.bfn >> 48));
	CHECK_EQ(fi(m, a.u.lookup_foreign_page.bfn - W).refs, 2);
	/* A BFN with bit 48 set is no lookup's, whatever its low bits. */
	CHECK_EQ(run1(m, op_unmapf(a.u.lookup_foreign_page.bfn | (1ull << 48),
				   1, 0)), -ENOENT);
	CHECK_EQ(run1(m, op_unmapf(a.u.lookup_foreign_page.bfn, 1, 0)), 0);
	CHECK_EQ(run1(m, op_unmapf(a.u.lookup_foreign_page.bfn, 2, 0)), 0);
	CHECK_EQ(fi(m, a.u.lookup_foreign_page.bfn - W).refs, 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

/* The treap priority the code before the fix derived from the key. */
static u32 old_prio(u64 key)
{
	u64 x = key ^ 0x5bd1e995ull;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (u32)(x >> 32);
}

/*
 * Keys in [0, n) whose old priorities rise with the key: a longest
 * increasing subsequence (patience sorting).  Inserted in any order, they
 * made the old treap a path.
 */
static unsigned int adversarial_keys(u64 n, u64 *out)
{
	u32 *tail = calloc(n, sizeof(*tail));
	u64 *tail_key = calloc(n, sizeof(*tail_key));
	u64 *prev = calloc(n, sizeof(*prev)), k;
	unsigned int len = 0, lo, hi, i;

	for (k = 0; k < n; k++) {
		u32 p = old_prio(k);

		for (lo = 0, hi = len; lo < hi;) {
			unsigned int mid = (lo + hi) / 2;

			if (tail[mid] < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		tail[lo] = p;
		tail_key[lo] = k;
		prev[k] = lo ? tail_key[lo - 1] : ~0ull;
		if (lo == len)
			len++;
	}
	for (i = len, k = tail_key[len - 1]; i > 0; i--, k = prev[k])
		out[i - 1] = k;
	free(tail);
	free(tail_key);
	free(prev);
	return len;
}

static unsigned int ilog2_up(u64 n)
{
	unsigned int l = 0;

	while ((1ull << l) < n)
		l++;
	return l;
}

UNIT_TEST(treap_depth_bounded_for_adversarial_keys)
{
	static u64 keys[1 << 16];
	struct hvs_model *m = mk();
	unsigned int n = adversarial_keys(1 << 16, keys), i, bad = 0;
	unsigned int bound = 4 * ilog2_up(n) + 8;

	CHECK(n > 300);
	/* Descending too: the worst order for a key-derived treap. */
	for (i = n; i > 0; i--)
		bad += run1(m, op_map(keys[i - 1], 0x80000, RW)) != 0;
	CHECK_EQ(bad, 0);
	fprintf(stderr, "  %u adversarial keys: table depth %u, holes depth %u (bound %u)\n",
		n, hvs_tree_depth(m, HVS_TREE_TABLE),
		hvs_tree_depth(m, HVS_TREE_HOLES), bound);
	CHECK(hvs_tree_depth(m, HVS_TREE_TABLE) <= bound);
	CHECK(hvs_tree_depth(m, HVS_TREE_HOLES) <= bound);
	for (i = 0; i < n; i++)
		bad += run1(m, op_unmap(keys[i], 0)) != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(hvs_tree_depth(m, HVS_TREE_TABLE), 0);
	/* A sequential run of 20000 keys, ascending. */
	for (i = 0; i < 20000; i++)
		bad += run1(m, op_map(0x100000 + i, 0x80000, RW)) != 0;
	CHECK_EQ(bad, 0);
	CHECK(hvs_tree_depth(m, HVS_TREE_TABLE) <= 4 * ilog2_up(20000) + 8);
	hvs_model_destroy(m);
}

UNIT_TEST(max_order_fixed_while_mapped)
{
	struct hvs_model *m = mk();

	CHECK_EQ(run1(m, op_map(512, 0, RW | ORD(6))), 0);
	/* Lowering it would strand the order-6 entry: refused. */
	CHECK_EQ(ctl(m, "set max_order 0"), -EBUSY);
	CHECK_EQ(ctl(m, "set max_order 9"), 0);	/* unchanged: fine */
	CHECK_EQ(hvs_config_get(m)->max_order, 9);
	CHECK_EQ(run1(m, op_unmap(512, ORD(6))), 0);
	CHECK_EQ(ctl(m, "set max_order 0"), 0);
	CHECK_EQ(run1(m, op_map(512, 0, RW | ORD(1))), -ENOSPC);
	CHECK_EQ(run1(m, op_q()), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

/* ---- the caller's reservation, P2M and grant mappings ------------------ */

static long resv(struct hvs_model *m, unsigned int op, unsigned long *f,
		 unsigned int n)
{
	return hvs_reservation(m, op, f, n);
}

UNIT_TEST(reservation_decrease_of_a_mapped_frame_is_caught)
{
	struct hvs_model *m = mk();
	unsigned long f[3];
	struct pv_iommu_op op;
	struct obuf o;

	/* Given back while its IOMMU mapping still holds it. */
	CHECK_EQ(run1(m, op_map(5, 5, RW)), 0);
	CHECK_EQ(hvs_p2m_set(m, 5, HVS_INVALID), 0);
	f[0] = 5;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	CHECK_EQ(hvs_pfn_to_gfn(m, 5), HVS_INVALID);
	CHECK_EQ(fi(m, 5).owner, 0);
	CHECK_EQ(fi(m, 5).allocated, false);
	CHECK_EQ(audit(m, &o), 1);
	CHECK(ob_has(&o, "released mfn 0x5 still held by 1 mapping refs"));
	CHECK(ob_has(&o, "total zombies 1 baseline 0 DIFF"));
	CHECK_EQ(run1(m, op_unmap(5, 0)), 0);
	CHECK_EQ(fi(m, 5).owner, HVS_DOMID_FREE);
	CHECK(audit_clean(m));
	/* No reference, still mapped: freed while mapped. */
	CHECK_EQ(run1(m, op_map(6, 6, RW | NOREF)), 0);
	CHECK_EQ(hvs_p2m_set(m, 6, HVS_INVALID), 0);
	f[0] = 6;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	CHECK(ob_has(&o, "") && audit(m, &o) == 2);
	CHECK(ob_has(&o, "event freed_while_mapped mfn 0x6"));
	CHECK_EQ(run1(m, op_unmap(6, 0)), 0);
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	/* Unmapped but not flushed: freed while in the IOTLB. */
	CHECK_EQ(run1(m, op_map(7, 7, RW | NOREF)), 0);
	op = op_unmap(7, 0);
	CHECK_EQ(hvs_op_one(m, &op), 0);
	CHECK_EQ(hvs_p2m_set(m, 7, HVS_INVALID), 0);
	f[0] = 7;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	audit(m, &o);
	CHECK(ob_has(&o, "event freed_while_in_iotlb mfn 0x7 bfn 0x7"));
	hvs_flush(m);
	CHECK_EQ(ctl(m, "clear_errors"), 0);
	CHECK(audit_clean(m));
	/* Unmapped and flushed first (the right order): clean. */
	CHECK_EQ(run1(m, op_map(8, 8, RW)), 0);
	CHECK_EQ(run1(m, op_unmap(8, 0)), 0);
	CHECK_EQ(hvs_p2m_set(m, 8, HVS_INVALID), 0);
	f[0] = 8;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	CHECK(audit_clean(m));
	/* Stops at the first frame that is not the caller's own. */
	CHECK_EQ(hvs_p2m_set(m, 9, HVS_INVALID), 0);
	CHECK_EQ(hvs_p2m_set(m, 10, HVS_INVALID), 0);
	f[0] = 9;
	f[1] = POOL0;
	f[2] = 10;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 3), 1);
	f[0] = 9;		/* given back already */
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 0);
	CHECK_EQ(ctl(m, "pin 11"), 0);
	f[0] = 11;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 0);	/* a page table */
	CHECK_EQ(ctl(m, "unpin 11"), 0);
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, NULL, 1), -EFAULT);
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, HVS_MAX_OPS + 1), -EINVAL);
	CHECK_EQ(resv(m, 7, f, 1), -EINVAL);
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 0), 0);
	CHECK_EQ(cnt(m, "resv_decrease_frames"), 5);
	CHECK_EQ(cnt(m, "resv_decrease"), 7);
	/* pfn 10's P2M is invalid but its frame is allocated: M2P disagrees. */
	audit(m, &o);
	CHECK(ob_has(&o, "M2P of mfn 0xa (dom 0 gfn 0xa) disagrees with the P2M"));
	CHECK_EQ(hvs_p2m_set(m, 10, 10), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(reservation_populate_and_p2m_set)
{
	struct hvs_model *m = mk();
	unsigned long f[3];
	struct obuf o;

	CHECK_EQ(hvs_p2m_set(m, 20, HVS_INVALID), 0);
	CHECK_EQ(hvs_p2m_set(m, 21, HVS_INVALID), 0);
	f[0] = 20;
	f[1] = 21;
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 2), 2);
	CHECK(audit_clean(m));
	/* Frame 21 is held back (Xen's now): pfn 21 gets a pool frame. */
	CHECK_EQ(ctl(m, "xen_range 21 1"), 0);
	f[0] = 20;
	f[1] = 21;
	f[2] = D0PAGES;		/* beyond the caller's P2M: stops there */
	CHECK_EQ(resv(m, HVS_RESV_POPULATE, f, 3), 2);
	CHECK_EQ(f[0], 20);		/* the frame it had, free again */
	CHECK_EQ(f[1], POOL0);	/* the lowest free pool frame */
	CHECK_EQ(fi(m, POOL0).owner, 0);
	CHECK_EQ(fi(m, POOL0).gfn, 21);
	/* The P2M is the guest's business: not entered yet. */
	CHECK_EQ(hvs_pfn_to_gfn(m, 20), HVS_INVALID);
	audit(m, &o);
	CHECK(ob_has(&o, "M2P of mfn 0x14 (dom 0 gfn 0x14) disagrees with the P2M"));
	CHECK(ob_has(&o, "violations: 2"));
	CHECK_EQ(hvs_p2m_set(m, 20, 20), 0);
	CHECK_EQ(hvs_p2m_set(m, 21, POOL0), 0);
	CHECK_EQ(hvs_pfn_to_gfn(m, 21), POOL0);
	CHECK(audit_clean(m));
	/* The new frame maps like any of the caller's pages. */
	CHECK_EQ(run1(m, op_map(21, POOL0, RW)), 0);
	CHECK_EQ(fi(m, POOL0).refs, 1);
	CHECK_EQ(run1(m, op_unmap(21, 0)), 0);
	CHECK_EQ(cnt(m, "resv_populate_frames"), 2);
	CHECK_EQ(cnt(m, "p2m_sets"), 4);
	/* p2m_set's own checks. */
	CHECK_EQ(hvs_p2m_set(m, D0PAGES, HVS_INVALID), -EINVAL);
	CHECK_EQ(hvs_p2m_set(m, 3, POOL0 + 1), -EPERM);	/* free */
	CHECK_EQ(hvs_p2m_set(m, 3, XEN0), -EPERM);
	CHECK_EQ(hvs_p2m_set(m, 3, 1ull << 40), -EPERM);
	CHECK_EQ(ctl(m, "p2m_set 3 invalid"), 0);
	CHECK_EQ(hvs_pfn_to_gfn(m, 3), HVS_INVALID);
	CHECK_EQ(ctl(m, "p2m_set 3 3"), 0);
	CHECK_EQ(ctl(m, "p2m_set 3 x"), -EINVAL);
	CHECK_EQ(ctl(m, "p2m_set 3 0xffffffffffffffff"), -EINVAL);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(grant_mappings_into_the_callers_pfns)
{
	struct hvs_model *m = mk_foreign();
	const u64 beyond = 0x100000;
	u64 g3 = p2m_of(m, 3, 2), g4 = g3 + 1;
	unsigned long f[1] = { 30 };
	struct obuf o;

	CHECK_EQ(hvs_p2m_set(m, 30, HVS_INVALID), 0);
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	/* own_pages stops at the first pfn that is not the caller's. */
	CHECK_EQ(hvs_own_pages(m, 28, 8), 2);	/* 30 is ballooned out */
	CHECK_EQ(hvs_own_pages(m, 31, 4), 4);
	CHECK_EQ(hvs_own_pages(m, 30, 0), 0);
	CHECK_EQ(hvs_grant_map(m, 2, 3, 30), 0);
	CHECK_EQ(hvs_pfn_to_gfn(m, 30), g3 | HVS_GFN_FOREIGN);
	CHECK_EQ(hvs_own_pages(m, 28, 8), 2);	/* 30 is a grant now */
	CHECK_EQ(hvs_own_pages(m, 30, 8), 0);
	CHECK_EQ(hvs_own_pages(m, D0PAGES - 2, 4), 4);	/* MMIO: identity */
	CHECK_EQ(fi(m, g3).refs, 1);
	/* Reachable at its default-map BFN, never at BFN = pfn. */
	CHECK_EQ(xl(m, g3).mfn, g3);
	CHECK(xl(m, 30).mfn != g3);
	/* Beyond the caller's RAM (unpopulated space). */
	CHECK_EQ(hvs_pfn_to_gfn(m, beyond), beyond);
	CHECK_EQ(ctl(m, "grant_map 2 4 0x%llx", (unsigned long long)beyond), 0);
	CHECK_EQ(hvs_pfn_to_gfn(m, beyond), g4 | HVS_GFN_FOREIGN);
	CHECK_EQ(hvs_pfn_to_gfn(m, beyond + 1), beyond + 1);
	CHECK_EQ(hvs_own_pages(m, beyond - 3, 8), 3);
	CHECK_EQ(hvs_own_pages(m, beyond + 1, 8), 8);
	audit(m, &o);
	CHECK(ob_has(&o, "total grants 2 baseline 0 DIFF"));
	CHECK(ob_has(&o, "violations: 0"));
	/* Errors. */
	CHECK_EQ(hvs_grant_map(m, 9, 3, 31 + 64), -ENXIO);
	CHECK_EQ(hvs_grant_map(m, 2, 8, beyond + 2), -ENXIO);
	CHECK_EQ(hvs_grant_map(m, 2, 5, 31), -EBUSY);	/* populated */
	CHECK_EQ(hvs_grant_map(m, 2, 5, 30), -EBUSY);	/* granted */
	CHECK_EQ(hvs_grant_map(m, 2, 5, beyond), -EBUSY);
	CHECK_EQ(hvs_grant_map(m, 0, 5, beyond + 2), -EINVAL);
	CHECK_EQ(hvs_grant_map(m, HVS_DOMID_SELF, 5, beyond + 2), -EINVAL);
	CHECK_EQ(hvs_grant_map(m, 2, 5, 1ull << 40), -EINVAL);
	CHECK_EQ(hvs_p2m_set(m, 30, 31), -EBUSY);
	CHECK_EQ(ctl(m, "balloon_out 0 30"), -EBUSY);
	CHECK_EQ(ctl(m, "pin 30"), -ENOENT);
	/* The granting guest balloons the page out: the grant holds it. */
	CHECK_EQ(ctl(m, "balloon_out 2 3"), 0);
	CHECK_EQ(fi(m, g3).owner, 2);
	CHECK_EQ(fi(m, g3).allocated, false);
	CHECK_EQ(hvs_grant_unmap(m, 30), 0);
	CHECK_EQ(fi(m, g3).owner, HVS_DOMID_FREE);
	CHECK_EQ(hvs_pfn_to_gfn(m, 30), HVS_INVALID);	/* as before */
	CHECK_EQ(hvs_grant_unmap(m, 30), -ENOENT);
	CHECK_EQ(ctl(m, "grant_unmap 0x%llx", (unsigned long long)beyond), 0);
	CHECK_EQ(hvs_pfn_to_gfn(m, beyond), beyond);
	CHECK_EQ(cnt(m, "grant_maps"), 2);
	CHECK_EQ(cnt(m, "grant_unmaps"), 2);
	/* Repopulate the caller's pfn: the ledger is back at its baseline. */
	f[0] = 30;
	CHECK_EQ(resv(m, HVS_RESV_POPULATE, f, 1), 1);
	CHECK_EQ(hvs_p2m_set(m, 30, f[0]), 0);
	CHECK(audit_clean(m));
	/* A destroyed domain lives on while a grant holds its page. */
	CHECK_EQ(hvs_grant_map(m, 3, 0, beyond + 7), 0);
	CHECK_EQ(ctl(m, "domain_destroy 3"), 0);
	CHECK_EQ(hvs_grant_map(m, 3, 1, beyond + 8), -ENXIO);
	CHECK_EQ(hvs_grant_unmap(m, beyond + 7), 0);
	CHECK_EQ(ctl(m, "domain_create 3 4"), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(grant_reachable_through_the_window_not_one_to_one)
{
	struct hvs_model *m = mk();
	unsigned long f[1] = { 40 };
	struct hvs_xlate x;
	u64 g;

	CHECK_EQ(ctl(m, "set default_map window"), 0);
	CHECK_EQ(ctl(m, "set window_offset 0x10000"), 0);
	CHECK_EQ(ctl(m, "domain_create 2 4 contig"), 0);
	CHECK_EQ(ctl(m, "ioserver_create 2 1"), 0);
	g = p2m_of(m, 2, 2) - 0x10000;
	/* The premap's 1:1 entry of pfn 40, unmapped before ballooning. */
	CHECK_EQ(run1(m, op_map(40, 40, RW)), 0);
	CHECK_EQ(run1(m, op_unmap(40, 0)), 0);
	CHECK_EQ(hvs_p2m_set(m, 40, HVS_INVALID), 0);
	CHECK_EQ(resv(m, HVS_RESV_DECREASE, f, 1), 1);
	CHECK_EQ(ctl(m, "grant_map 2 2 40"), 0);
	x = xl(m, g + 0x10000);
	CHECK_EQ(x.src, HVS_XS_DEFAULT);
	CHECK_EQ(x.mfn, g);
	CHECK_EQ(xl(m, 40).src, HVS_XS_NONE);
	CHECK_EQ(ctl(m, "grant_unmap 40"), 0);
	f[0] = 40;
	CHECK_EQ(resv(m, HVS_RESV_POPULATE, f, 1), 1);
	CHECK_EQ(hvs_p2m_set(m, 40, f[0]), 0);
	CHECK(audit_clean(m));
	hvs_model_destroy(m);
}

UNIT_TEST(real_p2m_refuses_guest_p2m_writes)
{
	static const u64 p2m[4] = { 7, 6, HVS_INVALID, 4 };
	struct hvs_layout lay = {
		.dom0_pages = 4, .p2m = p2m, .p2m_mode = HVS_P2M_REAL,
		.xen_frames = XENF, .pool_frames = POOLF,
	};
	struct hvs_config cfg;
	struct hvs_model *m;
	int err;

	hvs_config_default(&cfg);
	m = hvs_model_create(&t_env, &cfg, &lay, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ(hvs_pfn_to_gfn(m, 0), 7);
	CHECK_EQ(hvs_p2m_set(m, 2, HVS_INVALID), -EOPNOTSUPP);
	CHECK_EQ(ctl(m, "domain_create 2 2"), 0);
	CHECK_EQ(hvs_grant_map(m, 2, 0, 2), -EOPNOTSUPP);
	CHECK_EQ(hvs_grant_unmap(m, 2), -EOPNOTSUPP);
	hvs_model_destroy(m);
}

/* ---- the random test against the reference -------------------------------
 *
 * The reference is tests/qemu/guest/hvstub_ref.h (brute force: flat arrays,
 * linear scans), shared with the in-guest program.  Each step is a random
 * hypercall (garbage ops, NULL / short / misaligned buffers, bad counts) or
 * command (ballooning, domains, ioservers, pins, faults, pmem reports, Xen
 * and RMRR ranges, knobs, and now and then a drain followed by a change of
 * the fixed knobs: default map, window, widths, max order), run on both;
 * returns, statuses, OUT fields, frames, translations, ledger, counters,
 * invalidates and the audit's violation count must agree.
 */

#define RBFN		512
#define RWIN		0x1000
#define RDPAGES		16
#define RMAXREC		600
#define RPMEM0		0x10000ull	/* pmem regions (unmanaged frames) */
#define RXEN0		0x20000ull	/* room for more Xen ranges */
#define RT_MIN_OPS	1000000ull

struct rt {
	struct hvs_model *m;
	struct ref *r;
	u64 rng;
	u64 ops;
	u64 step;
	u64 drains;
	u64 hc_kinds[6];	/* normal, NULL, short, bad count, misaligned */
	unsigned int failures;
};

static u64 rnd(struct rt *t, u64 n)
{
	return n ? unit_rand(&t->rng) % n : 0;
}

static bool chance(struct rt *t, unsigned int pct)
{
	return rnd(t, 100) < pct;
}

#define RT_FAIL(t, ...) do {						\
	if ((t)->failures++ < 10) {					\
		fprintf(stderr, "  step %llu: ", (unsigned long long)(t)->step); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
	unit_failed_checks++;						\
} while (0)

static bool rt_trace;

static unsigned int rt_order(struct rt *t)
{
	unsigned int x = rnd(t, 100);

	if (x < 75)
		return 0;
	if (x < 85)
		return 1;
	if (x < 93)
		return 2;
	if (x < 97)
		return 3;
	return rnd(t, 64);
}

static u64 rt_align(struct rt *t, u64 v, unsigned int order)
{
	if (order < 64 && chance(t, 92))
		v &= ~((1ull << order) - 1);
	return v;
}

static struct ref_map *rt_pick_map(struct rt *t, int kind)
{
	unsigned int i, n = t->r->nmaps, start;

	if (!n)
		return NULL;
	start = rnd(t, n);
	for (i = 0; i < n; i++) {
		struct ref_map *p = &t->r->maps[(start + i) % n];

		if (p->used && (kind < 0 || (int)p->kind == kind))
			return p;
	}
	return NULL;
}

static u64 rt_bfn(struct rt *t)
{
	struct ref_map *p;
	unsigned int x = rnd(t, 100);

	if (x < 68)
		return rnd(t, RBFN);
	if (x < 78)
		return RWIN + rnd(t, 64);
	if (x < 88) {
		p = rt_pick_map(t, -1);
		return p ? p->bfn + rnd(t, 2) : rnd(t, RBFN);
	}
	if (x < 93)
		return (1ull << t->r->c.bfn_bits) - 1 - rnd(t, 8);
	if (x < 95)
		return rnd(t, ~0ull);
	return t->r->nrmrr ? t->r->rmrr[rnd(t, t->r->nrmrr)].start +
			     rnd(t, 6) - 1 : rnd(t, RBFN);
}

static u64 rt_frame(struct rt *t)
{
	unsigned int x = rnd(t, 100);

	if (x < 52)
		return rnd(t, D0PAGES);
	if (x < 72)
		return POOL0 + rnd(t, POOLF);
	if (x < 77)
		return XEN0 + rnd(t, XENF + 1);
	if (x < 83)
		return D0PAGES + rnd(t, 64);
	if (x < 88)
		return RPMEM0 + rnd(t, 8 * 1024);
	if (x < 90)
		return RXEN0 + rnd(t, 256);
	if (x < 93)
		return (1ull << t->r->c.mfn_bits) - 2 + rnd(t, 4);
	return rnd(t, D0PAGES);
}

static unsigned int rt_domid(struct rt *t)
{
	unsigned int x = rnd(t, 100), i;

	if (x < 85) {
		for (i = 0; i < 8; i++) {
			struct ref_dom *d = &t->r->d[rnd(t, 4)];

			if (d->used)
				return d->domid;
		}
		return 1 + rnd(t, 6);
	}
	if (x < 92)
		return 1 + rnd(t, 6);
	return x < 96 ? 0 : HVS_DOMID_SELF;
}

static unsigned int rt_flags(struct rt *t, unsigned int order, bool foreign)
{
	unsigned int fl = rnd(t, 100) < 90 ? RW : rnd(t, 4);

	if (chance(t, foreign ? 50 : 35))
		fl |= NOREF;	/* = swap_mfn for foreign */
	if (chance(t, 3))
		fl |= 1u << (3 + rnd(t, 7));
	return fl | ORD(order);
}

/* An ioserver id of @d, mostly a live one. */
static unsigned int rt_ios(struct rt *t, struct ref_dom *d)
{
	unsigned int i, k;

	if (d && chance(t, 85)) {
		for (i = 0, k = rnd(t, 8); i < 8; i++, k = (k + 1) % 8)
			if (d->ios[k].used && d->ios[k].live)
				return d->ios[k].id;
	}
	return rnd(t, 4);
}

static struct pv_iommu_op rt_gen_op(struct rt *t)
{
	struct pv_iommu_op op;
	unsigned int x = rnd(t, 100), order = rt_order(t);
	struct ref_dom *d;
	struct ref_map *p;

	memset(&op, 0, sizeof(op));
	/* Keep the live set small: unmap more when it grows. */
	if (t->r->live > 120 && chance(t, 40))
		x = chance(t, 50) ? 40 : 90;
	if (x < 4) {
		op = op_q();
		if (chance(t, 10))
			op.flags = rnd(t, 0x10000);
		if (chance(t, 5))
			op.u.query_caps._pad[rnd(t, 2)] = 1 + rnd(t, 9);
	} else if (x < 38) {
		op = op_map(rt_align(t, rt_bfn(t), order),
			    rt_align(t, rt_frame(t), order),
			    rt_flags(t, order, false));
		if (chance(t, 2))
			op.u.map_page._pad = 1;
	} else if (x < 58) {
		p = rt_pick_map(t, HVS_KIND_SELF);
		if (p && chance(t, 85))
			op = op_unmap(p->bfn, ORD(chance(t, 85) ? p->order :
						  rt_order(t)));
		else
			op = op_unmap(rt_align(t, rt_bfn(t), order), ORD(order));
		if (chance(t, 3))
			op.flags |= NOREF;
		if (chance(t, 2))
			op.u.unmap_page._pad[rnd(t, 2)] = 1;
	} else if (x < 76) {
		unsigned int dom = rt_domid(t);

		d = ref_dom(t->r, dom);
		op = op_mapf(rt_align(t, rt_bfn(t), order),
			     rt_align(t, rnd(t, d ? d->nr + 1 : RDPAGES), order),
			     dom, rt_ios(t, d), rt_flags(t, order, true));
		if (chance(t, 2))
			op.u.map_foreign_page._pad = 1;
	} else if (x < 86) {
		unsigned int dom = rt_domid(t);

		d = ref_dom(t->r, dom);
		op = op_look(rnd(t, d ? d->nr + 1 : RDPAGES), dom, rt_ios(t, d));
		if (chance(t, 3))
			op.flags = 1;
		if (chance(t, 2))
			op.u.lookup_foreign_page._pad = 1;
	} else if (x < 98) {
		p = rt_pick_map(t, chance(t, 50) ? HVS_KIND_FOREIGN :
					       HVS_KIND_LOOKUP);
		if (p && chance(t, 85))
			op = op_unmapf(p->bfn, chance(t, 90) ? p->ios : rnd(t, 4),
				       ORD(chance(t, 90) ? p->order : order));
		else
			op = op_unmapf(rt_bfn(t), rnd(t, 4), ORD(order));
		if (chance(t, 2))
			op.u.unmap_foreign_page._pad1 = 1;
	} else {
		op.subop_id = chance(t, 50) ? 0 : 7 + rnd(t, 100);
	}
	op.status = 0x5a5a;
	return op;
}

static void rt_compare_ops(struct rt *t, const struct pv_iommu_op *a,
			   const struct pv_iommu_op *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i]))) {
			RT_FAIL(t, "op %u subop %u flags 0x%x: model status %d flags 0x%x bfn 0x%llx, reference %d flags 0x%x bfn 0x%llx",
				i, a[i].subop_id, b[i].flags, a[i].status,
				a[i].flags,
				(unsigned long long)a[i].u.lookup_foreign_page.bfn,
				b[i].status, b[i].flags,
				(unsigned long long)b[i].u.lookup_foreign_page.bfn);
			return;
		}
	}
}

/* Run @n ops on both (count @count, @readable exist, kind of buffer). */
static void rt_run_both(struct rt *t, struct pv_iommu_op *a, unsigned int n,
			unsigned int count, unsigned int readable,
			unsigned int kind)
{
	static char mis[64 * 32 + 8];
	struct pv_iommu_op b[64];
	unsigned int i;
	long ra, rb;

	memcpy(b, a, n * sizeof(*a));
	t->hc_kinds[kind]++;
	if (kind == 1) {
		ra = hvs_iommu_op(t->m, NULL, count, readable);
		rb = ref_hypercall(t->r, NULL, count, readable);
	} else if (kind == 4) {
		/* A misaligned guest buffer works (Xen copies bytewise). */
		memcpy(mis + 1, a, n * sizeof(*a));
		ra = hvs_iommu_op(t->m, (struct pv_iommu_op *)(mis + 1),
				  count, readable);
		memcpy(a, mis + 1, n * sizeof(*a));
		rb = ref_hypercall(t->r, b, count, readable);
	} else {
		ra = hvs_iommu_op(t->m, a, count, readable);
		rb = ref_hypercall(t->r, b, count, readable);
	}
	for (i = 0; rt_trace && i < n; i++)
		fprintf(stderr, "  %llu.%u: subop %u flags 0x%x w %llx %llx %llx -> %d / %d\n",
			(unsigned long long)t->step, i, a[i].subop_id,
			b[i].flags, (unsigned long long)a[i].u.map_page.bfn,
			(unsigned long long)a[i].u.map_page.gfn,
			(unsigned long long)a[i].u.map_page._pad, a[i].status,
			b[i].status);
	if (ra != rb)
		RT_FAIL(t, "hypercall (kind %u count %u readable %u) rc %ld, reference %ld",
			kind, count, readable, ra, rb);
	else
		rt_compare_ops(t, a, b, n);
}

static void rt_hypercall(struct rt *t)
{
	struct pv_iommu_op a[8];
	unsigned int n = 1 + rnd(t, 8), i, x = rnd(t, 200);
	unsigned int count = n, readable = n, kind = 0;

	for (i = 0; i < n; i++)
		a[i] = rt_gen_op(t);
	if (x < 2) {
		kind = 1;			/* NULL buffer */
		count = chance(t, 90) ? n : 0;
	} else if (x < 6) {
		kind = 2;			/* buffer shorter than count */
		readable = rnd(t, n);
	} else if (x < 8) {
		kind = 3;			/* a bad count */
		count = chance(t, 50) ? HVS_MAX_OPS + 1 + rnd(t, 1000) :
					0x80000000u | (u32)rnd(t, 0x80000000u);
	} else if (x < 12) {
		kind = 4;			/* misaligned */
	} else if (x < 13) {
		kind = 5;			/* count 0 */
		count = 0;
	}
	rt_run_both(t, a, n, count, readable, kind);
	t->ops += n;
}

static void rt_cmd_result(struct rt *t, const char *what, int a, int b)
{
	if (rt_trace)
		fprintf(stderr, "  %llu: %s (%s) -> %d / %d\n",
			(unsigned long long)t->step, what, last_cmd, a, b);
	if (a != b)
		RT_FAIL(t, "%s (%s): model %d, reference %d", what, last_cmd,
			a, b);
}

static void rt_set_bool(struct rt *t)
{
	static const char *const knobs[] = {
		"strict", "hardware_domain", "map_cap", "map_all_gfns",
		"iommu", "passthrough", "nonhw_enosys", "has_devices",
		"disabled", "pmem_enosys",
	};
	const char *k = knobs[rnd(t, sizeof(knobs) / sizeof(knobs[0]))];
	bool v = chance(t, 50);

	if (!strcmp(k, "disabled") || !strcmp(k, "pmem_enosys"))
		v = chance(t, 20);
	rt_cmd_result(t, "set", ctl(t->m, "set %s %d", k, v),
		      ref_set(t->r, k, v));
}

static void rt_defaults(struct rt *t)
{
	static const char *const k[] = {
		"strict 0", "hardware_domain 1", "map_cap 1", "map_all_gfns 1",
		"iommu 1", "passthrough 0", "disabled 0", "pmem_enosys 0",
	};
	unsigned int i;
	char name[32];
	int v;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		sscanf(k[i], "%31s %d", name, &v);
		rt_cmd_result(t, "set", ctl(t->m, "set %s", k[i]),
			      ref_set(t->r, name, v));
	}
}

/* Unmap everything on both sides, then change the fixed knobs. */
static void rt_drain(struct rt *t)
{
	struct pv_iommu_op a[64];
	unsigned int i, n;
	const char *k;
	u64 v;

	rt_cmd_result(t, "fault clear", ctl(t->m, "fault clear"), 0);
	memset(&t->r->ft, 0, sizeof(t->r->ft));
	t->r->ft.op_at = t->r->ft.pre_at = t->r->ft.cont_at = -1;
	rt_defaults(t);
	rt_cmd_result(t, "flush", ctl(t->m, "flush"), 0);
	ref_flush(t->r);
	while (t->r->live) {
		for (i = 0, n = 0; i < t->r->nmaps && n < 64; i++) {
			struct ref_map *p = &t->r->maps[i];

			if (!p->used)
				continue;
			a[n++] = p->kind == HVS_KIND_SELF ?
				 op_unmap(p->bfn, ORD(p->order)) :
				 op_unmapf(p->bfn, p->ios, ORD(p->order));
		}
		rt_run_both(t, a, n, n, n, 0);
		t->ops += n;
		for (i = 0; i < n; i++)
			if (a[i].status)
				break;
		if (i < n) {
			RT_FAIL(t, "drain: op %u status %d", i, a[i].status);
			return;
		}
	}
	t->drains++;
	for (i = 0; i < 3; i++) {
		switch (rnd(t, 6)) {
		case 0:
			k = "default_map";
			v = rnd(t, 4);
			break;
		case 1:
			k = "window_offset";
			v = chance(t, 70) ? RWIN : rnd(t, 0x100000);
			break;
		case 2:
			k = "bfn_bits";
			v = 18 + rnd(t, 33);
			break;
		case 3:
			k = "mfn_bits";
			v = 32 + rnd(t, 19);
			break;
		default:
			k = "max_order";
			v = chance(t, 50) ? 9 : rnd(t, 22);
			break;
		}
		rt_cmd_result(t, "set", ctl(t->m, "set %s %llu", k,
					    (unsigned long long)v),
			      ref_set(t->r, k, v));
	}
}

static struct xpv_xenpf_pmem_add rt_pmem_report(struct rt *t)
{
	u64 base = RPMEM0 + 0x400 * rnd(t, 8);
	struct xpv_xenpf_pmem_add p = {
		base, base + 0x400, base, base + 0x200, base + 0x200,
		base + 0x400,
	};

	switch (rnd(t, 10)) {
	case 0:
		p.rsv_spfn = base + 0x200;	/* reserved at the end */
		p.rsv_epfn = base + 0x400;
		p.data_spfn = base;
		p.data_epfn = base + 0x200;
		break;
	case 1:
		p.spfn += 1 + rnd(t, 511);	/* misaligned */
		break;
	case 2:
		p.data_spfn -= rnd(t, 2);	/* overlap */
		break;
	case 3:
		p.epfn += 0x200 * (1 + rnd(t, 3));	/* overlaps a neighbour */
		p.data_epfn = p.epfn;
		break;
	case 4:
		p.rsv_epfn = p.rsv_spfn;	/* empty */
		break;
	}
	return p;
}

/* Does a mapping, lookup or unflushed IOTLB entry reach @mfn? */
static bool rt_reachable(const struct ref *r, u64 mfn)
{
	unsigned int i;

	for (i = 0; i < r->nst; i++)
		if (ref_covers(r->st[i].mfn, r->st[i].order, mfn))
			return true;
	return ref_reaching(r, mfn, 1, -1);
}

static void rt_command(struct rt *t)
{
	struct ref *r = t->r;
	unsigned int x = rnd(t, 1000), dom, id, k;
	struct ref_dom *d;
	u64 g;

	if (x < 200) {
		dom = rt_domid(t);
		d = ref_dom(r, dom);
		g = rnd(t, d ? d->nr + 1 : 4);
		if (dom == 0 || dom == HVS_DOMID_SELF)
			return;
		rt_cmd_result(t, "balloon_out",
			      ctl(t->m, "balloon_out %u %llu", dom,
				  (unsigned long long)g),
			      ref_balloon(r, dom, g));
	} else if (x < 280) {
		/* The caller gives back a page: only one nobody reaches. */
		g = rnd(t, D0PAGES);
		if (r->d0p2m[g] != HVS_INVALID && rt_reachable(r, r->d0p2m[g]))
			return;
		rt_cmd_result(t, "balloon_out 0",
			      ctl(t->m, "balloon_out 0 %llu",
				  (unsigned long long)g),
			      ref_balloon(r, 0, g));
	} else if (x < 420) {
		dom = chance(t, 30) ? 0 : rt_domid(t);
		if (dom == HVS_DOMID_SELF)
			return;
		d = ref_dom(r, dom);
		g = rnd(t, dom ? (d ? d->nr + 1 : 4) : D0PAGES);
		rt_cmd_result(t, "populate",
			      ctl(t->m, "populate %u %llu", dom,
				  (unsigned long long)g),
			      ref_populate(r, dom, g));
	} else if (x < 500) {
		g = rnd(t, D0PAGES + 2);
		k = chance(t, 50);
		rt_cmd_result(t, "pin",
			      ctl(t->m, "%s %llu", k ? "pin" : "unpin",
				  (unsigned long long)g),
			      ref_pin(r, g, k));
	} else if (x < 580) {
		bool contig = chance(t, 40), target = chance(t, 50);
		bool dying = chance(t, 5);

		for (k = 0, id = 0; k < 4; k++)
			id += r->d[k].used;
		if (id >= 4)
			return;
		dom = 1 + rnd(t, 6);
		g = 1 + rnd(t, RDPAGES);
		rt_cmd_result(t, "domain_create",
			      ctl(t->m, "domain_create %u %llu%s%s%s", dom,
				  (unsigned long long)g, contig ? " contig" : "",
				  target ? " target" : "", dying ? " dying" : ""),
			      ref_domain_create(r, dom, g, target, dying,
						contig));
	} else if (x < 620) {
		dom = rt_domid(t);
		if (dom == HVS_DOMID_SELF)
			return;
		rt_cmd_result(t, "domain_destroy",
			      ctl(t->m, "domain_destroy %u", dom),
			      ref_destroy(r, dom));
	} else if (x < 740) {
		dom = rt_domid(t);
		if (dom == HVS_DOMID_SELF)
			return;
		id = rnd(t, 4);
		rt_cmd_result(t, "ioserver_create",
			      ctl(t->m, "ioserver_create %u %u", dom, id),
			      ref_ioserver_create(r, dom, id));
	} else if (x < 780) {
		dom = rt_domid(t);
		if (dom == HVS_DOMID_SELF)
			return;
		id = rnd(t, 4);
		rt_cmd_result(t, "ioserver_destroy",
			      ctl(t->m, "ioserver_destroy %u %u", dom, id),
			      ref_ioserver_destroy(r, dom, id));
	} else if (x < 810) {
		rt_set_bool(t);
	} else if (x < 850) {
		rt_defaults(t);
	} else if (x < 860) {
		/* A fixed knob: refused while anything is mapped. */
		unsigned int o = chance(t, 50) ? 9 : rnd(t, 4);

		rt_cmd_result(t, "set max_order",
			      ctl(t->m, "set max_order %u", o),
			      ref_set(r, "max_order", o));
	} else if (x < 940) {
		k = rnd(t, 5);
		if (k == 0) {
			int e = -(int)(1 + rnd(t, 30));

			id = rnd(t, 6);
			ctl(t->m, "fault op %u %d", id, e);
			r->ft.op_at = id;
			r->ft.op_err = e;
		} else if (k == 1) {
			id = rnd(t, 6);
			ctl(t->m, "fault preempt %u", id);
			r->ft.pre_at = id;
		} else if (k == 2) {
			id = rnd(t, 6);
			ctl(t->m, "fault continue %u", id);
			r->ft.cont_at = id;
		} else if (k == 3) {
			ctl(t->m, "fault flush");
			r->ft.flush_skip = true;
		} else {
			ctl(t->m, "fault call EIO");
			r->ft.call_err = -EIO;
		}
	} else if (x < 955) {
		struct xpv_xenpf_pmem_add p = rt_pmem_report(t);

		snprintf(last_cmd, sizeof(last_cmd), "pmem 0x%llx-0x%llx rsv 0x%llx-0x%llx",
			 (unsigned long long)p.spfn, (unsigned long long)p.epfn,
			 (unsigned long long)p.rsv_spfn,
			 (unsigned long long)p.rsv_epfn);
		rt_cmd_result(t, "pmem", hvs_pmem_add(t->m, &p),
			      ref_pmem(r, &p));
	} else if (x < 965) {
		u64 s = chance(t, 50) ? RXEN0 + rnd(t, 256) :
			chance(t, 50) ? POOL0 + rnd(t, POOLF) : rnd(t, D0PAGES);
		u64 n = 1 + rnd(t, 4);

		rt_cmd_result(t, "xen_range",
			      ctl(t->m, "xen_range 0x%llx %llu",
				  (unsigned long long)s, (unsigned long long)n),
			      ref_xen_range(r, s, n));
	} else if (x < 975) {
		u64 s = rnd(t, RBFN), n = 1 + rnd(t, 4);

		rt_cmd_result(t, "rmrr",
			      ctl(t->m, "rmrr 0x%llx %llu",
				  (unsigned long long)s, (unsigned long long)n),
			      ref_rmrr_add(r, s, n));
	} else if (x < 978) {
		rt_drain(t);
	} else {
		rt_cmd_result(t, "flush", ctl(t->m, "flush"), 0);
		ref_flush(r);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void rt_compare_state(struct rt *t)
{
	struct ref *r = t->r;
	struct hvs_frame_info f;
	struct hvs_totals tot;
	struct hvs_xlate x;
	unsigned int i, k, nself = 0, nfor = 0, nlk = 0;
	u32 refs, wrefs;
	u64 bfn;

	for (i = 0; i < ref_nframes(r); i++) {
		u64 m = ref_fmfn(r, i);

		hvs_frame_get(t->m, m, &f);
		ref_refs(r, m, &refs, &wrefs);
		if (f.owner != r->f[i].owner || f.allocated != r->f[i].alloc ||
		    f.pinned != r->f[i].pinned || f.gfn != r->f[i].gfn ||
		    f.refs != refs || f.wrefs != wrefs) {
			RT_FAIL(t, "frame 0x%llx: model owner %u alloc %d pin %d gfn 0x%llx refs %u/%u; reference owner %u alloc %d pin %d gfn 0x%llx refs %u/%u",
				(unsigned long long)m, f.owner, f.allocated,
				f.pinned, (unsigned long long)f.gfn, f.refs,
				f.wrefs, r->f[i].owner, r->f[i].alloc,
				r->f[i].pinned, (unsigned long long)r->f[i].gfn,
				refs, wrefs);
			return;
		}
	}
	for (i = 0; i < RBFN + 64 + 16; i++) {
		unsigned int src, perm;
		u64 want;

		if (i < RBFN)
			bfn = i;
		else if (i < RBFN + 64)
			bfn = RWIN + (i - RBFN);
		else
			bfn = POOL0 + (i - RBFN - 64) * 7 +
			      (r->c.default_map == HVS_DEFMAP_WINDOW ?
			       r->c.window_offset : 0);
		hvs_translate(t->m, bfn, &x);
		src = ref_translate(r, bfn, &want, &perm);
		if (x.src != src || (src && (x.mfn != want || x.perm != perm)) ||
		    x.zero != (src == HVS_XS_SCRATCH)) {
			RT_FAIL(t, "bfn 0x%llx: model src %u mfn 0x%llx perm %u, reference src %u mfn 0x%llx perm %u",
				(unsigned long long)bfn, x.src,
				(unsigned long long)x.mfn, x.perm, src,
				(unsigned long long)want, perm);
			return;
		}
	}
	for (i = 0; i < r->nmaps; i++) {
		if (!r->maps[i].used)
			continue;
		nself += r->maps[i].kind == HVS_KIND_SELF;
		nfor += r->maps[i].kind == HVS_KIND_FOREIGN;
		nlk += r->maps[i].kind == HVS_KIND_LOOKUP;
	}
	hvs_totals_get(t->m, &tot);
	if (tot.recs_self != nself || tot.recs_foreign != nfor ||
	    tot.recs_lookup != nlk || tot.stale != r->nst || tot.grants)
		RT_FAIL(t, "ledger %llu/%llu/%llu/%llu, reference %u/%u/%u/%u",
			(unsigned long long)tot.recs_self,
			(unsigned long long)tot.recs_foreign,
			(unsigned long long)tot.recs_lookup,
			(unsigned long long)tot.stale, nself, nfor, nlk, r->nst);
	for (i = 0; i < REF_CE_NR; i++) {
		static const char *const n[] = {
			"ce_reserved", "ce_xen_frame", "ce_rmrr",
			"ce_privilege", "ce_not_owner",
		};

		if (hvs_counter(t->m, n[i]) != r->ce[i])
			RT_FAIL(t, "%s %llu, reference %llu", n[i],
				(unsigned long long)hvs_counter(t->m, n[i]),
				(unsigned long long)r->ce[i]);
	}
	{
		static const char *const n[] = {
			"ve_total", "notify_lost", "notify_sync", "pmem_revoked",
		};
		const u64 v[] = { r->ve, r->lost, r->sync, r->revoked };

		for (i = 0; i < 4; i++)
			if (hvs_counter(t->m, n[i]) != v[i])
				RT_FAIL(t, "%s %llu, reference %llu", n[i],
					(unsigned long long)hvs_counter(t->m, n[i]),
					(unsigned long long)v[i]);
	}
	/* Drain every queue on both sides; compare as sorted lists. */
	for (i = 0; i < REF_DOMS; i++) {
		struct ref_dom *d = &r->d[i];

		if (!d->used)
			continue;
		for (k = 0; k < REF_IOS; k++) {
			struct ref_ios *io = &d->ios[k];
			u64 *got, *want, v;
			unsigned int n = 0, w = 0;

			if (!io->used)
				continue;
			got = calloc(io->qn + 1, sizeof(u64));
			want = calloc(io->qn + 1, sizeof(u64));
			while (n <= io->qn &&
			       !hvs_notify_pop(t->m, d->domid, io->id, &v))
				got[n++] = v;
			while (!ref_pop(r, d->domid, io->id, &v))
				want[w++] = v;
			qsort(got, n, sizeof(u64), cmp_u64);
			qsort(want, w, sizeof(u64), cmp_u64);
			if (n != w || memcmp(got, want, n * sizeof(u64)))
				RT_FAIL(t, "dom %u ios %u: %u invalidates, reference %u",
					d->domid, io->id, n, w);
			free(got);
			free(want);
		}
	}
}

static void rt_audit(struct rt *t)
{
	static struct obuf o;
	struct ref *r = t->r;
	unsigned int i, want = r->nst, got;
	u64 k;

	for (i = 0; i < r->nmaps; i++) {
		struct ref_map *p = &r->maps[i];

		if (!p->used || p->swapped)
			continue;
		for (k = 0; k < (1ull << p->order); k++) {
			int fi = ref_fidx(r, p->mfn + k);

			if (ref_denied(r, p->mfn + k) ||
			    (fi >= 0 && r->f[fi].owner != p->domid)) {
				want++;
				break;
			}
		}
	}
	for (i = 0; i < ref_nframes(r); i++) {
		u32 refs, wrefs;

		ref_refs(r, ref_fmfn(r, i), &refs, &wrefs);
		if (r->f[i].owner == 0 && !r->f[i].alloc && refs)
			want++;
	}
	want += r->ve;
	got = audit(t->m, &o);
	if (got != want) {
		RT_FAIL(t, "audit: %u violations, reference expects %u", got,
			want);
		fprintf(stderr, "%.2000s", o.buf);
	}
}

static void rt_run(u64 seed, unsigned int defmap, u64 nops, u64 *total)
{
	struct ref_cfg rc;
	struct hvs_config cfg;
	struct rt t = { 0 };

	hvs_config_default(&cfg);
	cfg.default_map = defmap;
	cfg.window_offset = RWIN;
	cfg.max_records = RMAXREC;
	ref_cfg_default(&rc);
	rc.default_map = defmap;
	rc.window_offset = RWIN;
	rc.max_records = RMAXREC;
	t.rng = seed;
	t.r = calloc(1, sizeof(*t.r));
	ref_init(t.r, &rc, D0PAGES, XENF, POOLF);
	t.m = mk_cfg(&cfg);
	CHECK_EQ(ctl(t.m, "rmrr 0x1f0 4"), ref_rmrr_add(t.r, 0x1f0, 4));
	while (t.ops < nops && t.failures < 10) {
		t.step++;
		if (chance(&t, 12))
			rt_command(&t);
		else
			rt_hypercall(&t);
		if (!(t.step % 211))
			rt_compare_state(&t);
		if (!(t.step % 4099))
			rt_audit(&t);
	}
	rt_compare_state(&t);
	rt_audit(&t);
	*total += t.ops;
	fprintf(stderr, "  default_map %u: %llu ops in %llu steps (hypercalls: %llu normal, %llu NULL, %llu short, %llu bad count, %llu misaligned, %llu count 0), %llu drains, %u live mappings at the end\n",
		defmap, (unsigned long long)t.ops, (unsigned long long)t.step,
		(unsigned long long)t.hc_kinds[0], (unsigned long long)t.hc_kinds[1],
		(unsigned long long)t.hc_kinds[2], (unsigned long long)t.hc_kinds[3],
		(unsigned long long)t.hc_kinds[4], (unsigned long long)t.hc_kinds[5],
		(unsigned long long)t.drains, t.r->live);
	{
		static const char *const c[] = {
			"st_map_page_ok", "st_map_page_eperm", "st_map_page_enospc",
			"st_map_page_eio", "st_map_page_eacces",
			"st_unmap_page_ok", "st_unmap_page_enoent",
			"st_map_foreign_page_ok", "st_map_foreign_page_enxio",
			"st_map_foreign_page_enodev",
			"st_lookup_foreign_page_ok", "st_lookup_foreign_page_enoent",
			"st_unmap_foreign_page_ok", "swaps", "notifications",
			"notify_sync", "frames_freed", "ve_total", "ce_total",
			"preemptions", "op_faults", "flushes_skipped",
			"hc_enosys", "hc_efault", "hc_einval", "pmem_ok",
			"pmem_revoked", "pmem_einval", "pmem_eexist",
		};
		unsigned int i;

		fprintf(stderr, "   ");
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			fprintf(stderr, " %s=%llu", c[i],
				(unsigned long long)hvs_counter(t.m, c[i]));
		fprintf(stderr, "\n");
	}
	hvs_model_destroy(t.m);
	ref_free(t.r);
	free(t.r);
}

UNIT_TEST(random_vs_reference)
{
	u64 seed = unit_seed("random_vs_reference");
	const char *n = getenv("UNIT_HVSTUB_OPS");
	bool replay = getenv("UNIT_HVSTUB_REPLAY") != NULL;
	u64 want = n ? strtoull(n, NULL, 0) : 1050000, total = 0;

	rt_trace = getenv("UNIT_HVSTUB_TRACE") != NULL;
	if (want < RT_MIN_OPS && !replay) {
		fprintf(stderr, "  UNIT_HVSTUB_OPS=%llu is below %llu: refused (UNIT_HVSTUB_REPLAY=1 runs a shorter replay)\n",
			(unsigned long long)want, (unsigned long long)RT_MIN_OPS);
		CHECK(0);
		return;
	}
	if (want < RT_MIN_OPS)
		fprintf(stderr, "  *** REPLAY: only %llu random ops (the test needs %llu) ***\n",
			(unsigned long long)want, (unsigned long long)RT_MIN_OPS);
	rt_run(seed, HVS_DEFMAP_IDENTITY, want / 3, &total);
	rt_run(seed ^ 0x1111, HVS_DEFMAP_WINDOW, want / 3, &total);
	rt_run(seed ^ 0x2222, HVS_DEFMAP_NONE, want - 2 * (want / 3), &total);
	fprintf(stderr, "  random ops in total: %llu\n", (unsigned long long)total);
	if (!replay)
		CHECK(total >= RT_MIN_OPS);
}

UNIT_MAIN
