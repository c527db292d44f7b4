// SPDX-License-Identifier: GPL-2.0-only
/*
 * hvstub_cases - drive the stub hypervisor (xen_hvstub.ko) directly, no
 * driver needed, through /sys/kernel/debug/xen_hvstub/{hypercall,ctl,...}.
 *
 *   hvstub_cases table              every subop x invalid field x privilege
 *                                   setting, hypercall returns, pmem checks
 *   hvstub_cases random N [SEED]    N random malformed batches, every
 *                                   return and status predicted exactly by
 *                                   the brute-force reference (hvstub_ref.h)
 *   hvstub_cases wrongcaller        deliberately wrong callers vs the audit
 *   hvstub_cases badreq             malformed requests of the hypercall file
 *   hvstub_cases op NAME [bfn=N gfn=N dom=N ios=N flags=N]
 *                                   one op; prints rc, status, OUT fields
 *   hvstub_cases resv decrease|populate FRAME...
 *                                   the backend's reservation op; prints
 *                                   "rc N frames 0x..." (rc: extents done)
 *   hvstub_cases bigbatch N ORDER BFN0 GFN0
 *                                   N maps in one hypercall, N unmaps in
 *                                   another (a long hypercall)
 *
 * Prints one line per check, "ok N - DESC" or "not ok N - DESC # WHY", and
 * exits 1 if any failed (2: could not run).  The expected statuses are the
 * PV-IOMMU draft B tables as Documentation/hvstub.rst pins them down, not
 * the stub's code.  Expects the stub loaded with default parameters (an
 * identity P2M, identity default map, max_order 9) and nothing mapped.
 *
 * The transport is pluggable (cases_io_override) so the unit tier runs the
 * same table against the model in userspace.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xpv/abi/iommu_op.h>
#include <xpv/abi/pmem_op.h>
#include <xpv/hvstub.h>

#include "hvstub_ref.h"

#define DIR_	"/sys/kernel/debug/xen_hvstub/"
#define RW	(IOMMU_OP_readable | IOMMU_OP_writeable)
#define RO	IOMMU_OP_readable
#define NOREF	IOMMU_MAP_OP_no_ref_cnt
#define SWAP	IOMMU_OP_swap_mfn
#define ORD(o)	IOMMU_page_order_flags(o)
#define SENT	0x5a5a5a5a	/* status preset: "not processed" */

typedef unsigned long long ull;

/* ---- transport ---------------------------------------------------------- */

struct cases_io {
	/* Run a ctl command: 0 or -errno. */
	int (*ctl)(const char *cmd);
	/*
	 * One request of the hypercall file: *rc gets the hypercall's
	 * return, @ops (nr_ops of them) are updated.  0, or -errno when the
	 * request itself was refused.
	 */
	int (*hc)(const struct hvs_hc_req *req, void *payload, size_t len,
		  long long *rc);
	/* Read a view file into @buf (NUL-terminated): 0 or -errno. */
	int (*read)(const char *name, char *buf, size_t len);
};

const struct cases_io *cases_io_override;

static int dbg_ctl(const char *cmd)
{
	int fd = open(DIR_ "ctl", O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int dbg_hc(const struct hvs_hc_req *req, void *payload, size_t len,
		  long long *rc)
{
	static int fd = -1;
	struct hvs_hc_resp resp;
	size_t total = sizeof(*req) + len;
	char *buf;
	ssize_t n;
	int err = 0;

	if (fd < 0)
		fd = open(DIR_ "hypercall", O_RDWR);
	if (fd < 0)
		return -errno;
	buf = malloc(total + sizeof(resp));
	if (!buf)
		return -ENOMEM;
	memcpy(buf, req, sizeof(*req));
	memcpy(buf + sizeof(*req), payload, len);
	if (write(fd, buf, total) != (ssize_t)total) {
		err = -errno;
		goto out;
	}
	n = read(fd, buf, sizeof(resp) + (req->kind == HVS_HC_PMEM ? 0 : len));
	if (n != (ssize_t)(sizeof(resp) + (req->kind == HVS_HC_PMEM ? 0 : len))) {
		err = n < 0 ? -errno : -EIO;
		goto out;
	}
	memcpy(&resp, buf, sizeof(resp));
	*rc = resp.rc;
	if (req->kind != HVS_HC_PMEM)
		memcpy(payload, buf + sizeof(resp), len);
out:
	free(buf);
	return err;
}

static int dbg_read(const char *name, char *buf, size_t len)
{
	char path[128];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DIR_ "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	return 0;
}

static const struct cases_io dbg_io = { dbg_ctl, dbg_hc, dbg_read };
static const struct cases_io *io;

/* ---- output ------------------------------------------------------------- */

static unsigned int n_checks, n_failed;

/* One check; the text after " # " (why it failed) only when it failed. */
static void __attribute__((format(printf, 2, 3)))
result(int ok, const char *fmt, ...)
{
	char line[512], *why;
	va_list ap;

	n_checks++;
	if (!ok)
		n_failed++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	why = strstr(line, " # ");
	if (ok && why)
		*why = 0;
	printf("%sok %u - %s\n", ok ? "" : "not ", n_checks, line);
}

static const char *ename(long e)
{
	static char buf[16];

	switch (e) {
	case 0: return "0";
	case -EIO: return "EIO";
	case -EPERM: return "EPERM";
	case -EACCES: return "EACCES";
	case -ENOSPC: return "ENOSPC";
	case -ENOENT: return "ENOENT";
	case -ENODEV: return "ENODEV";
	case -ENXIO: return "ENXIO";
	case -EFAULT: return "EFAULT";
	case -EINVAL: return "EINVAL";
	case -ENOSYS: return "ENOSYS";
	case -EEXIST: return "EEXIST";
	case SENT: return "untouched";
	}
	snprintf(buf, sizeof(buf), "%ld", e);
	return buf;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvstub_cases: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int __attribute__((format(printf, 1, 2))) ctl(const char *fmt, ...)
{
	char cmd[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return io->ctl(cmd);
}

static void __attribute__((format(printf, 1, 2))) must(const char *fmt, ...)
{
	char cmd[160];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = io->ctl(cmd);
	if (rc)
		die("'%s': %s", cmd, strerror(-rc));
}

/* A value from a "key value" view, or die. */
static ull view_value(const char *view, const char *key)
{
	static char buf[1 << 16];
	size_t kl = strlen(key);
	char *p;

	if (io->read(view, buf, sizeof(buf)))
		die("cannot read %s", view);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, kl) && (p[kl] == ' ' || p[kl] == ':'))
			return strtoull(p + kl + 1, NULL, 0);
	die("no '%s' in %s", key, view);
}

/* A whole view, or die. */
static const char *view_text(const char *view)
{
	static char buf[1 << 16];

	if (io->read(view, buf, sizeof(buf)))
		die("cannot read %s", view);
	return buf;
}

/* ---- hypercalls ------------------------------------------------------- */

/* iommu_op hypercalls this program issued (the stub must count as many). */
static ull n_hc;

static long hc_raw(struct pv_iommu_op *ops, unsigned int nr,
		   unsigned int count, unsigned int flags)
{
	struct hvs_hc_req req = {
		.magic = HVS_HC_MAGIC, .kind = HVS_HC_IOMMU, .count = count,
		.nr_ops = nr, .flags = flags,
	};
	long long rc;
	int err;

	err = io->hc(&req, ops, nr * sizeof(*ops), &rc);
	if (err)
		die("hypercall file: %s", strerror(-err));
	n_hc++;
	return rc;
}

/* The backend's reservation op on @n frames (updated in place). */
static long resv_op(unsigned int kind, unsigned long long *frames,
		    unsigned int n)
{
	struct hvs_hc_req req = {
		.magic = HVS_HC_MAGIC, .kind = kind, .count = n, .nr_ops = n,
	};
	long long rc;
	int err;

	err = io->hc(&req, frames, n * sizeof(*frames), &rc);
	if (err)
		die("hypercall file (reservation): %s", strerror(-err));
	return rc;
}

static long hc(struct pv_iommu_op *ops, unsigned int nr)
{
	return hc_raw(ops, nr, nr, 0);
}

static long pmem_op(ull s, ull e, ull rs, ull re, ull ds, ull de)
{
	struct xpv_xenpf_pmem_add op = { s, e, rs, re, ds, de };
	struct hvs_hc_req req = { .magic = HVS_HC_MAGIC, .kind = HVS_HC_PMEM };
	long long rc;
	int err;

	err = io->hc(&req, &op, sizeof(op), &rc);
	if (err)
		die("hypercall file (pmem): %s", strerror(-err));
	return rc;
}

static struct pv_iommu_op o_q(void)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_query_caps };

	op.status = SENT;
	return op;
}

static struct pv_iommu_op o_map(ull bfn, ull gfn, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_map_page, .flags = fl };

	op.u.map_page.bfn = bfn;
	op.u.map_page.gfn = gfn;
	op.status = SENT;
	return op;
}

static struct pv_iommu_op o_unmap(ull bfn, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_unmap_page, .flags = fl };

	op.u.unmap_page.bfn = bfn;
	op.status = SENT;
	return op;
}

static struct pv_iommu_op o_mapf(ull bfn, ull gfn, unsigned int dom,
				 unsigned int ios, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_map_foreign_page,
				  .flags = fl };

	op.u.map_foreign_page.bfn = bfn;
	op.u.map_foreign_page.gfn = gfn;
	op.u.map_foreign_page.domid = dom;
	op.u.map_foreign_page.ioserver = ios;
	op.status = SENT;
	return op;
}

static struct pv_iommu_op o_look(ull gfn, unsigned int dom, unsigned int ios)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_lookup_foreign_page };

	op.u.lookup_foreign_page.gfn = gfn;
	op.u.lookup_foreign_page.domid = dom;
	op.u.lookup_foreign_page.ioserver = ios;
	op.status = SENT;
	return op;
}

static struct pv_iommu_op o_unmapf(ull bfn, unsigned int ios, unsigned int fl)
{
	struct pv_iommu_op op = { .subop_id = IOMMUOP_unmap_foreign_page,
				  .flags = fl };

	op.u.unmap_foreign_page.bfn = bfn;
	op.u.unmap_foreign_page.ioserver = ios;
	op.status = SENT;
	return op;
}

/* The op that removes what @o created (map, foreign map or lookup). */
static int inverse(const struct pv_iommu_op *o, struct pv_iommu_op *x)
{
	if (o->status)
		return 0;
	if (o->subop_id == IOMMUOP_map_page)
		*x = o_unmap(o->u.map_page.bfn, o->flags & IOMMU_page_order_mask);
	else if (o->subop_id == IOMMUOP_map_foreign_page)
		*x = o_unmapf(o->u.map_foreign_page.bfn,
			      o->u.map_foreign_page.ioserver,
			      o->flags & IOMMU_page_order_mask);
	else if (o->subop_id == IOMMUOP_lookup_foreign_page)
		*x = o_unmapf(o->u.lookup_foreign_page.bfn,
			      o->u.lookup_foreign_page.ioserver, 0);
	else
		return 0;
	return 1;
}

/* Same target: subop, bfn and (for unmap_foreign) ioserver. */
static int same_target(const struct pv_iommu_op *a, const struct pv_iommu_op *b)
{
	return a->subop_id == b->subop_id &&
	       a->u.unmap_foreign_page.bfn == b->u.unmap_foreign_page.bfn &&
	       (a->subop_id != IOMMUOP_unmap_foreign_page ||
		a->u.unmap_foreign_page.ioserver ==
		b->u.unmap_foreign_page.ioserver);
}

/*
 * Undo, in a new hypercall, what a processed batch created and did not
 * remove itself, each target once.  Return: 1 if every undo op succeeded.
 */
static int undo(const struct pv_iommu_op *ops, unsigned int n)
{
	struct pv_iommu_op u[64], x;
	unsigned int i, j, k = 0;
	long rc;

	for (i = 0; i < n && k < 64; i++) {
		if (!inverse(&ops[i], &x))
			continue;
		for (j = 0; j < k && !same_target(&u[j], &x); j++)
			;
		if (j < k)
			continue;	/* undone already */
		for (j = i + 1; j < n; j++)
			if (!ops[j].status && same_target(&ops[j], &x))
				break;
		if (j < n)
			continue;	/* the batch removed it itself */
		u[k++] = x;
	}
	if (!k)
		return 1;
	rc = hc(u, k);
	for (i = 0; i < k; i++)
		if (rc || u[i].status)
			return 0;
	return 1;
}

/* ---- privilege settings ---------------------------------------------- */

/*
 * P9: a driver domain without IOMMU-controlled devices (the spec's rules,
 * nonhw_enosys 0); PX: XenServer's shipped layout (window default map at
 * 248 GiB, order 0 only).
 */
enum { P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, PX, NP };

static const char *const pnames[NP] = {
	"dom0", "strict", "no-map_cap", "no-iommu", "passthrough",
	"no-map_all_gfns", "domU(enosys)", "driver-domain", "disabled",
	"driver-domain-nodev", "xenserver",
};

/* In random mode: the reference, kept in step with the stub. */
static struct ref *R;

static void both_set(const char *knob, ull v)
{
	must("set %s %llu", knob, v);
	if (R && ref_set(R, knob, v))
		die("reference refused set %s %llu", knob, v);
}

static void set_priv(int p)
{
	both_set("hardware_domain", p != P6 && p != P7 && p != P9);
	both_set("nonhw_enosys", p != P7 && p != P9);
	both_set("has_devices", p == P7);
	both_set("strict", p == P1);
	both_set("map_cap", p != P2);
	both_set("iommu", p != P3);
	both_set("passthrough", p == P4);
	both_set("map_all_gfns", p != P5);
	both_set("disabled", p == P8);
	/* Fixed knobs: set (to another value) only while nothing is mapped. */
	both_set("max_order", p == PX ? 0 : 9);
	both_set("window_offset", HVS_WINDOW_OFFSET_DEFAULT);
	both_set("default_map", p == PX ? HVS_DEFMAP_WINDOW :
					   HVS_DEFMAP_IDENTITY);
}

/* ---- the table ------------------------------------------------------------- */

#define OK	0
#define IO	(-EIO)
#define PE	(-EPERM)
#define AC	(-EACCES)
#define SP	(-ENOSPC)
#define NE	(-ENOENT)
#define ND	(-ENODEV)
#define NX	(-ENXIO)
#define WIN	HVS_WINDOW_OFFSET_DEFAULT

/* The host, as set up by setup(). */
static ull OWN, PIN, MMIO, FMFN, F6MFN, FREE, XEN, SCRATCH;
static unsigned int n_ce_rows;	/* rows that provoked a caller error */
/*
 * Rows that displace Xen's default entry for good (an explicit mapping
 * leaves a hole when it goes) use a fresh gfn of domain 5 per privilege
 * setting: gfn GL(p) is at bfn LB[p] in the default map.
 */
#define GL(p)	(8 + (p))
#define GU(p)	(24 + (p))
static ull LB[NP], UB[NP];
static int cur_p;
static const ull B = 0x4000000, RMRR = 0x3000000, WIDTH = 1ull << 36;

/* What a successful lookup must return (struct row.lk). */
enum { LK_NONE, LK_DOM5, LK_DOM6, LK_OWN };

struct row {
	const char *desc;
	/* Build the batch; the op checked is the last one. */
	unsigned int (*build)(struct pv_iommu_op *ops, const struct row *r);
	/* P0 P1 P2 P3 P4 P5 P7 P9 PX (P6, P8: the hypercall fails). */
	int exp[NP - 2];
	ull a, b;		/* row parameters */
	unsigned int fl, dom, ios;
	const char *ce;		/* caller-error counter expected +1 (P0) */
	unsigned int lk;	/* LK_*: check a lookup's bfn and flags */
};

static unsigned int b_map(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(r->a, r->b, r->fl);
	return 1;
}

static unsigned int b_map_pad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(r->a, r->b, r->fl);
	o[0].u.map_page._pad = 1;
	return 1;
}

static unsigned int b_map_twice(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(r->a, r->b, r->fl);
	o[1] = o_map(r->a, r->b + 1, r->fl);
	return 2;
}

static unsigned int b_unmap(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_unmap(r->a, r->fl);
	return 1;
}

/* Map @a -> @b with order from @ios (abused as map order), unmap @fl. */
static unsigned int b_map_unmap(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(B, OWN, RW | ORD(r->ios));
	o[1] = o_unmap(r->a, r->fl);
	return 2;
}

/* Map B, unmap it with reserved field _pad[@dom] set. */
static unsigned int b_unmap_pad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(B, OWN, RW);
	o[1] = o_unmap(B, 0);
	o[1].u.unmap_page._pad[r->dom] = 3;
	return 2;
}

static unsigned int b_double_unmap(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_map(B, OWN, RW);
	o[1] = o_unmap(B, 0);
	o[2] = o_unmap(B, 0);
	return 3;
}

static unsigned int b_unmap_foreign_entry(struct pv_iommu_op *o,
					  const struct row *r)
{
	o[0] = o_mapf(B, 1, 5, 1, RW);
	o[1] = o_unmap(B, 0);
	return 2;
}

static unsigned int b_mapf(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(r->a, r->b, r->dom, r->ios, r->fl);
	return 1;
}

static unsigned int b_mapf_pad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(r->a, r->b, r->dom, r->ios, r->fl);
	o[0].u.map_foreign_page._pad = 7;
	return 1;
}

static unsigned int b_mapf_twice(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(B, 1, 5, 1, RW);
	o[1] = o_mapf(B, r->b, 5, 1, RW);
	return 2;
}

static unsigned int b_mapf_over_lookup(struct pv_iommu_op *o,
				       const struct row *r)
{
	o[0] = o_look(GL(cur_p), 5, 1);
	o[1] = o_mapf(LB[cur_p], 2, 5, 1, RW);
	return 2;
}

static unsigned int b_look(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_look(r->b, r->dom, r->ios);
	o[0].flags = r->fl;
	return 1;
}

static unsigned int b_look_pad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_look(r->b, r->dom, r->ios);
	o[0].u.lookup_foreign_page._pad = 5;
	return 1;
}

static unsigned int b_look_own(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(B, 1, 5, 1, RO);
	o[1] = o_look(1, 5, 1);
	return 2;
}

/* Foreign map at B of order @dom (gfn aligned), then unmap_foreign. */
static unsigned int b_unmapf(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(B, r->dom ? 4 : 1, 5, 1, RW | ORD(r->dom));
	o[1] = o_unmapf(B, r->ios, r->fl);
	return 2;
}

/* Foreign map at B, unmap_foreign with reserved field @a (0, 1, 2) set. */
static unsigned int b_unmapf_pad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_mapf(B, 1, 5, 1, RW);
	o[1] = o_unmapf(B, 1, 0);
	if (r->a == 0)
		o[1].u.unmap_foreign_page._pad0 = 1;
	else if (r->a == 1)
		o[1].u.unmap_foreign_page._pad1 = 1;
	else
		o[1].u.unmap_foreign_page._pad2 = 1;
	return 2;
}

static unsigned int b_unmapf_none(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_unmapf(B, 1, 0);
	return 1;
}

static unsigned int b_unmapf_lookup(struct pv_iommu_op *o,
				    const struct row *r)
{
	o[0] = o_look(GU(cur_p), 5, 1);
	o[1] = o_unmapf(UB[cur_p], 1, 0);
	return 2;
}

static unsigned int b_subop(struct pv_iommu_op *o, const struct row *r)
{
	memset(o, 0, sizeof(*o));
	o[0].subop_id = r->a;
	o[0].status = SENT;
	return 1;
}

/* query_caps with input flags @fl or reserved field _pad[@a - 1] set. */
static unsigned int b_query_bad(struct pv_iommu_op *o, const struct row *r)
{
	o[0] = o_q();
	o[0].flags = r->fl;
	if (r->a)
		o[0].u.query_caps._pad[r->a - 1] = 9;
	return 1;
}

/* Rows whose parameters depend on the host are filled in by setup(). */
static struct row rows[] = {
	/* map_page.  Columns: dom0 strict no-cap no-iommu passthrough no-all domU nodev xs */
	{ "map_page own RW", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RW },
	{ "map_page own RO", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RO },
	{ "map_page own W only", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, IOMMU_OP_writeable },
	{ "map_page no_ref_cnt", b_map, { OK, PE, PE, PE, PE, OK, PE, PE, OK }, 0, 0, RW | NOREF },
	{ "map_page no access bits", b_map, { IO, IO, PE, PE, PE, IO, IO, PE, IO }, 0, 0, 0 },
	{ "map_page order 1", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, SP }, 0, 0, RW | ORD(1) },
	{ "map_page order 9", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, SP }, 0, 0, RW | ORD(9) },
	{ "map_page order 10 > max", b_map, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 0, 0, RW | ORD(10) },
	{ "map_page order 63", b_map, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 0, 0, RW | ORD(63) },
	{ "map_page bfn misaligned", b_map, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 1, 0, RW | ORD(1) },
	{ "map_page gfn misaligned", b_map, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 0, 1, RW | ORD(1) },
	{ "map_page bfn beyond IOMMU width", b_map, { IO, IO, PE, PE, PE, IO, IO, PE, IO }, 0, 0, RW },
	{ "map_page last bfn of IOMMU width", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RW },
	{ "map_page bfn in RMRR", b_map, { AC, AC, PE, PE, PE, AC, AC, PE, AC }, 0, 0, RW, 0, 0, "ce_rmrr" },
	{ "map_page order 3 over RMRR", b_map, { AC, AC, PE, PE, PE, AC, AC, PE, SP }, 0, 0, RW | ORD(3), 0, 0, "ce_rmrr" },
	{ "map_page Xen frame", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW, 0, 0, "ce_xen_frame" },
	{ "map_page Xen frame no_ref_cnt", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW | NOREF, 0, 0, "ce_xen_frame" },
	{ "map_page scratch frame", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RO | NOREF, 0, 0, "ce_xen_frame" },
	{ "map_page other domain's frame", b_map, { OK, PE, PE, PE, PE, PE, PE, PE, OK }, 0, 0, RW },
	{ "map_page free frame with ref", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW },
	{ "map_page free frame no_ref_cnt", b_map, { OK, PE, PE, PE, PE, PE, PE, PE, OK }, 0, 0, RW | NOREF },
	{ "map_page MMIO frame", b_map, { OK, PE, PE, PE, PE, PE, PE, PE, OK }, 0, 0, RW },
	{ "map_page gfn beyond host", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW },
	{ "map_page reserved flag bit 5", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RW | 0x20, 0, 0, "ce_reserved" },
	{ "map_page reserved field", b_map_pad, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RW, 0, 0, "ce_reserved" },
	{ "map_page bfn already mapped", b_map_twice, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW },
	{ "map_page pinned page table RW", b_map, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 0, RW },
	{ "map_page pinned page table RO", b_map, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 0, RO },
	{ "map_page pinned page table no_ref_cnt", b_map, { OK, PE, PE, PE, PE, OK, PE, PE, OK }, 0, 0, RW | NOREF },
	/* unmap_page */
	{ "unmap_page mapped", b_map_unmap, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 0 },
	{ "unmap_page nothing mapped", b_unmap, { NE, NE, NE, NE, NE, NE, NE, NE, NE }, 0, 0, 0 },
	{ "unmap_page order 10 > max", b_unmap, { SP, SP, SP, SP, SP, SP, SP, SP, SP }, 0, 0, ORD(10) },
	{ "unmap_page misaligned", b_unmap, { SP, SP, SP, SP, SP, SP, SP, SP, SP }, 1, 0, ORD(1) },
	{ "unmap_page order larger than mapping", b_map_unmap, { SP, SP, NE, NE, NE, SP, SP, NE, SP }, 0, 0, ORD(1) },
	{ "unmap_page inside order-1 mapping", b_map_unmap, { SP, SP, NE, NE, NE, SP, SP, NE, NE }, 1, 0, 0, 0, 1 },
	{ "unmap_page bfn beyond IOMMU width", b_unmap, { IO, IO, IO, IO, IO, IO, IO, IO, IO }, 0, 0, 0 },
	{ "unmap_page reserved flag (no_ref_cnt)", b_map_unmap, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, NOREF, 0, 0, "ce_reserved" },
	{ "unmap_page reserved field _pad[0]", b_unmap_pad, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 0, 0, 0, "ce_reserved" },
	{ "unmap_page reserved field _pad[1]", b_unmap_pad, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 0, 1, 0, "ce_reserved" },
	{ "unmap_page of a foreign mapping", b_unmap_foreign_entry, { NE, NE, NE, NE, NE, NE, NE, NE, NE } },
	{ "unmap_page twice", b_double_unmap, { NE, NE, NE, NE, NE, NE, NE, NE, NE } },
	/* map_foreign_page: domain 5 (target, contiguous), 6 (scattered) */
	{ "map_foreign RW", b_mapf, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1, RW, 5, 1 },
	{ "map_foreign RO", b_mapf, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1, RO, 5, 1 },
	{ "map_foreign swap_mfn", b_mapf, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1, RW | SWAP, 5, 1 },
	{ "map_foreign without privilege", b_mapf, { OK, OK, PE, PE, PE, OK, PE, PE, OK }, 0, 1, RW, 6, 1 },
	{ "map_foreign DOMID_SELF", b_mapf, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 1, RW, HVS_DOMID_SELF, 1, "ce_privilege" },
	{ "map_foreign own domid 0", b_mapf, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 1, RW, 0, 1, "ce_privilege" },
	{ "map_foreign unknown domid", b_mapf, { NX, NX, PE, PE, PE, NX, NX, PE, NX }, 0, 1, RW, 99, 1 },
	{ "map_foreign dying domain", b_mapf, { NX, NX, PE, PE, PE, NX, NX, PE, NX }, 0, 0, RW, 7, 1 },
	{ "map_foreign bad ioserver", b_mapf, { ND, ND, PE, PE, PE, ND, ND, PE, ND }, 0, 1, RW, 5, 9 },
	{ "map_foreign gfn beyond domain", b_mapf, { NX, NX, PE, PE, PE, NX, NX, PE, NX }, 0, 64, RW, 5, 1 },
	{ "map_foreign ballooned gfn", b_mapf, { NX, NX, PE, PE, PE, NX, NX, PE, NX }, 0, 63, RW, 5, 1 },
	{ "map_foreign order 10 > max", b_mapf, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 0, 0, RW | ORD(10), 5, 1 },
	{ "map_foreign gfn misaligned", b_mapf, { SP, SP, PE, PE, PE, SP, SP, PE, SP }, 0, 1, RW | ORD(1), 5, 1 },
	{ "map_foreign order 2", b_mapf, { OK, OK, PE, PE, PE, OK, OK, PE, SP }, 0, 4, RW | ORD(2), 5, 1 },
	{ "map_foreign order 1 not contiguous", b_mapf, { SP, SP, PE, PE, PE, SP, PE, PE, SP }, 0, 2, RW | ORD(1), 6, 1 },
	{ "map_foreign no access bits", b_mapf, { IO, IO, PE, PE, PE, IO, IO, PE, IO }, 0, 1, 0, 5, 1 },
	{ "map_foreign bfn beyond IOMMU width", b_mapf, { IO, IO, PE, PE, PE, IO, IO, PE, IO }, 0, 1, RW, 5, 1 },
	{ "map_foreign bfn in RMRR", b_mapf, { AC, AC, PE, PE, PE, AC, AC, PE, AC }, 0, 1, RW, 5, 1, "ce_rmrr" },
	{ "map_foreign reserved flag bit 9", b_mapf, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1, RW | 0x200, 5, 1, "ce_reserved" },
	{ "map_foreign reserved field", b_mapf_pad, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1, RW, 5, 1, "ce_reserved" },
	{ "map_foreign identical twice", b_mapf_twice, { OK, OK, PE, PE, PE, OK, OK, PE, OK }, 0, 1 },
	{ "map_foreign bfn in use", b_mapf_twice, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 2 },
	{ "map_foreign over a lookup's bfn", b_mapf_over_lookup, { PE, OK, PE, PE, PE, PE, OK, PE, PE } },
	/* lookup_foreign_page */
	{ "lookup_foreign", b_look, { OK, NE, OK, OK, OK, OK, NE, NE, OK }, 0, 1, 0, 5, 1, NULL, LK_DOM5 },
	{ "lookup_foreign DOMID_SELF", b_look, { PE, PE, PE, PE, PE, PE, PE, PE, PE }, 0, 1, 0, HVS_DOMID_SELF, 1, "ce_privilege" },
	{ "lookup_foreign unknown domid", b_look, { NX, NX, NX, NX, NX, NX, NX, NX, NX }, 0, 1, 0, 99, 1 },
	{ "lookup_foreign dying domain", b_look, { NX, NX, NX, NX, NX, NX, NX, NX, NX }, 0, 0, 0, 7, 1 },
	{ "lookup_foreign bad ioserver", b_look, { ND, ND, ND, ND, ND, ND, ND, ND, ND }, 0, 1, 0, 5, 9 },
	{ "lookup_foreign gfn beyond domain", b_look, { NX, NX, NX, NX, NX, NX, NX, NX, NX }, 0, 64, 0, 5, 1 },
	{ "lookup_foreign ballooned gfn", b_look, { NX, NX, NX, NX, NX, NX, NX, NX, NX }, 0, 63, 0, 5, 1 },
	{ "lookup_foreign without privilege", b_look, { OK, NE, OK, OK, OK, OK, PE, PE, OK }, 0, 1, 0, 6, 1, NULL, LK_DOM6 },
	{ "lookup_foreign reserved input flags", b_look, { OK, NE, OK, OK, OK, OK, NE, NE, OK }, 0, 1, RW, 5, 1, "ce_reserved", LK_DOM5 },
	{ "lookup_foreign reserved field", b_look_pad, { OK, NE, OK, OK, OK, OK, NE, NE, OK }, 0, 1, 0, 5, 1, "ce_reserved", LK_DOM5 },
	{ "lookup_foreign of own mapping", b_look_own, { OK, OK, OK, OK, OK, OK, OK, NE, OK }, 0, 0, 0, 0, 0, NULL, LK_OWN },
	/* unmap_foreign_page */
	{ "unmap_foreign mapped", b_unmapf, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 0, 0, 1 },
	{ "unmap_foreign nothing mapped", b_unmapf_none, { NE, NE, NE, NE, NE, NE, NE, NE, NE } },
	{ "unmap_foreign wrong ioserver", b_unmapf, { NE, NE, NE, NE, NE, NE, NE, NE, NE }, 0, 0, 0, 0, 2 },
	{ "unmap_foreign order mismatch", b_unmapf, { NE, NE, NE, NE, NE, NE, NE, NE, NE }, 0, 0, ORD(1), 0, 1 },
	{ "unmap_foreign order 2", b_unmapf, { OK, OK, NE, NE, NE, OK, OK, NE, NE }, 0, 0, ORD(2), 2, 1 },
	{ "unmap_foreign of a lookup", b_unmapf_lookup, { OK, NE, OK, OK, OK, OK, NE, NE, OK } },
	{ "unmap_foreign reserved flag bit 0", b_unmapf, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 1, 0, 1, "ce_reserved" },
	{ "unmap_foreign reserved field _pad0", b_unmapf_pad, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 0, 0, 0, 0, 0, "ce_reserved" },
	{ "unmap_foreign reserved field _pad1", b_unmapf_pad, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 1, 0, 0, 0, 0, "ce_reserved" },
	{ "unmap_foreign reserved field _pad2", b_unmapf_pad, { OK, OK, NE, NE, NE, OK, OK, NE, OK }, 2, 0, 0, 0, 0, "ce_reserved" },
	/* query_caps with reserved input (status 0, logged) */
	{ "query_caps reserved input flags", b_query_bad, { OK, OK, OK, OK, OK, OK, OK, OK, OK }, 0, 0, 0x401, 0, 0, "ce_reserved" },
	{ "query_caps reserved field _pad[0]", b_query_bad, { OK, OK, OK, OK, OK, OK, OK, OK, OK }, 1, 0, 0, 0, 0, "ce_reserved" },
	{ "query_caps reserved field _pad[1]", b_query_bad, { OK, OK, OK, OK, OK, OK, OK, OK, OK }, 2, 0, 0, 0, 0, "ce_reserved" },
	/* unknown subops */
	{ "subop 0", b_subop, { ND, ND, ND, ND, ND, ND, ND, ND, ND }, 0 },
	{ "subop 7", b_subop, { ND, ND, ND, ND, ND, ND, ND, ND, ND }, 7 },
	{ "subop 0xffff", b_subop, { ND, ND, ND, ND, ND, ND, ND, ND, ND }, 0xffff },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

static struct row *row_named(const char *desc)
{
	unsigned int i;

	for (i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].desc, desc))
			return &rows[i];
	die("no row '%s'", desc);
}

/* Default BFN and gfn of the map rows; host-dependent ones below. */
static void fill_rows(void)
{
	unsigned int i;

	for (i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];

		if (r->build == b_map || r->build == b_map_pad ||
		    r->build == b_map_twice) {
			r->a += B;
			r->b += OWN;
		} else if (r->build == b_unmap || r->build == b_map_unmap) {
			r->a += B;
		} else if (r->build == b_mapf || r->build == b_mapf_pad) {
			r->a += B;
		}
	}
	row_named("map_page bfn beyond IOMMU width")->a = WIDTH;
	row_named("map_page last bfn of IOMMU width")->a = WIDTH - 1;
	row_named("map_page bfn in RMRR")->a = RMRR + 1;
	row_named("map_page order 3 over RMRR")->a = RMRR;
	row_named("map_page Xen frame")->b = XEN;
	row_named("map_page Xen frame no_ref_cnt")->b = XEN;
	row_named("map_page scratch frame")->b = SCRATCH;
	row_named("map_page other domain's frame")->b = FMFN;
	row_named("map_page free frame with ref")->b = FREE;
	row_named("map_page free frame no_ref_cnt")->b = FREE;
	row_named("map_page MMIO frame")->b = MMIO;
	row_named("map_page gfn beyond host")->b = 1ull << 40;
	row_named("map_page pinned page table RW")->b = PIN;
	row_named("map_page pinned page table RO")->b = PIN;
	row_named("map_page pinned page table no_ref_cnt")->b = PIN;
	row_named("unmap_page bfn beyond IOMMU width")->a = WIDTH;
	row_named("map_foreign bfn beyond IOMMU width")->a = WIDTH;
	row_named("map_foreign bfn in RMRR")->a = RMRR + 2;
}

/* Caller-error counter of a name, for the P0 deltas. */
static ull ce(const char *name)
{
	return view_value("counters", name);
}

/*
 * The bfn and flags a successful lookup of row @r returns in setting @p:
 * the default map's BFN of the frame (its MFN; + the window in
 * XenServer's layout; the MFN itself when DMA is untranslated), else the
 * BFN of the ioserver's own mapping.  0: nothing to check.
 */
static int lookup_expect(const struct row *r, int p, ull *bfn,
			 unsigned int *flags)
{
	ull mfn = r->lk == LK_DOM6 ? F6MFN : FMFN;

	if (r->lk == LK_NONE)
		return 0;
	*flags = RW;
	if (r->lk == LK_OWN && (p == P1 || p == P7)) {
		/* The default map has no foreign frame: its own mapping. */
		*bfn = B;
		*flags = RO;
		return 1;
	}
	*bfn = mfn + (p == PX ? WIN : 0);
	return 1;
}

static void run_row(const struct row *r, int p)
{
	static const int col[NP] = { 0, 1, 2, 3, 4, 5, -1, 6, -1, 7, 8 };
	struct pv_iommu_op ops[8];
	ull ce_before = 0, total_before = 0, want_bfn = 0;
	unsigned int n, i, want_fl = 0;
	int exp, got, ok, lk = 0;
	long rc, want_rc = 0;

	if (p == P0) {
		ce_before = r->ce ? ce(r->ce) : 0;
		total_before = ce("ce_total");
	}
	n = r->build(ops, r);
	rc = hc(ops, n);
	if (col[p] < 0) {
		want_rc = -ENOSYS;
		exp = SENT;
	} else {
		exp = r->exp[col[p]];
	}
	got = ops[n - 1].status;
	ok = rc == want_rc && got == exp;
	n_ce_rows += p == P0 && r->ce;
	/* Nothing before the checked op was left unprocessed. */
	for (i = 0; i + 1 < n; i++)
		if (!want_rc && ops[i].status == SENT)
			ok = 0;
	/* In dom0: exactly the caller error the row provokes, or none. */
	if (p == P0 && ((r->ce && ce(r->ce) != ce_before + 1) ||
			ce("ce_total") != total_before + !!r->ce))
		ok = 0;
	/* A lookup's OUT fields: the bus address and its permissions. */
	if (!exp && !want_rc && lookup_expect(r, p, &want_bfn, &want_fl)) {
		lk = 1;
		if (ops[n - 1].u.lookup_foreign_page.bfn != want_bfn ||
		    ops[n - 1].flags != want_fl)
			ok = 0;
	}
	if (!undo(ops, n))
		ok = 0;
	if (ok)
		result(1, "%s [%s]: %s%s", r->desc, pnames[p], ename(exp),
		       lk ? " (bfn, flags as expected)" : "");
	else
		result(0, "%s [%s]: %s # got rc %s status %s%s, bfn 0x%llx flags 0x%x (want 0x%llx 0x%x)",
		       r->desc, pnames[p], ename(exp), ename(rc), ename(got),
		       p == P0 ? " (or caller-error count)" : "",
		       (ull)ops[n - 1].u.lookup_foreign_page.bfn,
		       ops[n - 1].flags, want_bfn, want_fl);
}

static void query_caps_row(int p)
{
	static const unsigned int flags[NP] = {
		[P0] = IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns | ORD(9),
		[P1] = IOMMU_QUERY_map_cap | ORD(9),
		[P5] = IOMMU_QUERY_map_cap | ORD(9),
		[P7] = IOMMU_QUERY_map_cap | ORD(9),
		[PX] = IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns,
	};
	ull off = p == PX ? WIN : 0;
	struct pv_iommu_op op = o_q();
	long rc = hc(&op, 1);

	if (p == P6 || p == P8)
		result(rc == -ENOSYS && op.status == SENT,
		       "query_caps [%s]: hypercall ENOSYS # rc %s", pnames[p],
		       ename(rc));
	else
		result(!rc && !op.status && op.flags == flags[p] &&
		       op.u.query_caps.offset == off,
		       "query_caps [%s]: status 0 flags 0x%x offset 0x%llx # got rc %s status %s flags 0x%x offset 0x%llx",
		       pnames[p], flags[p], off, ename(rc), ename(op.status),
		       op.flags, (ull)op.u.query_caps.offset);
}

static void hypercall_cases(void)
{
	struct pv_iommu_op ops[2] = { o_q(), o_q() };
	long rc;

	result(hc_raw(ops, 0, 0, 0) == 0, "hypercall count 0: 0");
	result(hc_raw(ops, 1, 1, HVS_HC_NULL) == -EFAULT,
	       "hypercall NULL buffer: EFAULT");
	ops[0] = o_q();
	ops[0].flags = 0;
	rc = hc_raw(ops, 1, 1, HVS_HC_MISALIGN);
	result(!rc && !ops[0].status &&
	       ops[0].flags == (IOMMU_QUERY_map_cap | IOMMU_QUERY_map_all_gfns |
				ORD(9)),
	       "hypercall misaligned buffer: works (Xen's copies need no alignment) # rc %s status %s",
	       ename(rc), ename(ops[0].status));
	ops[0] = o_q();
	rc = hc_raw(ops, 1, HVS_MAX_OPS + 1, 0);
	result(rc == -EINVAL && ops[0].status == SENT,
	       "hypercall count %u beyond bound: EINVAL, nothing ran # %s",
	       HVS_MAX_OPS + 1, ename(rc));
	result(hc_raw(ops, 1, HVS_MAX_OPS + 1, HVS_HC_NULL) == -EINVAL,
	       "hypercall bad count and NULL buffer: EINVAL first");
	result(hc_raw(ops, 1, 0xffffffffu, 0) == -EINVAL,
	       "hypercall count -1: EINVAL");
	result(hc_raw(ops, 1, 0x80000000u, 0) == -EINVAL,
	       "hypercall count 2^31: EINVAL");
	ops[0] = o_q();
	ops[1] = o_q();
	rc = hc_raw(ops, 1, 2, 0);
	result(rc == -EFAULT && ops[0].status == 0,
	       "hypercall count beyond buffer: EFAULT after op 0 ran");
	ops[0] = o_q();
	result(hc_raw(ops, 1, HVS_MAX_OPS, 0) == -EFAULT && !ops[0].status,
	       "hypercall count %u on a 1-op buffer: EFAULT at op 1",
	       HVS_MAX_OPS);
	set_priv(P6);
	result(hc_raw(ops, 1, 0xffffffffu, 0) == -ENOSYS,
	       "hypercall [domU(enosys)] count -1: ENOSYS first");
	set_priv(P8);
	result(hc_raw(ops, 1, 1, HVS_HC_NULL) == -ENOSYS,
	       "hypercall [disabled] NULL buffer: ENOSYS first");
	result(pmem_op(0, 0, 0, 0, 0, 0) == -ENOSYS,
	       "pmem [disabled]: ENOSYS");
	set_priv(P6);
	result(pmem_op(0, 0, 0, 0, 0, 0) == -EPERM, "pmem [domU]: EPERM");
	set_priv(P0);
}

static void pmem_cases(void)
{
	/* 1 GiB at 64 GiB: 262144 frames * 40 B = 2560 frames needed. */
	const ull R0 = 0x1000000, N = 0x40000, Q = 0x2000000;
	static const struct {
		const char *desc;
		ull s, e, rs, re, ds, de;
		long want;
	} t[] = {
		{ "all zero (probe)", 0, 0, 0, 0, 0, 0, -EINVAL },
		{ "region start > end", R0 + N, R0, R0, R0 + 2560, R0 + 2560, R0 + N, -EINVAL },
		{ "region misaligned", R0 + 1, R0 + N, R0 + 512, R0 + 3072, R0 + 3072, R0 + N, -EINVAL },
		{ "reserved misaligned", R0, R0 + N, R0, R0 + 2600, R0 + 2600, R0 + N, -EINVAL },
		{ "reserved empty", R0, R0 + N, R0 + 512, R0 + 512, R0 + 3072, R0 + N, -EINVAL },
		{ "data empty", R0, R0 + N, R0, R0 + 3072, R0 + 3072, R0 + 3072, -EINVAL },
		{ "reserved outside region", R0, R0 + N, R0 - 512, R0 + 3072, R0 + 3072, R0 + N, -EINVAL },
		{ "data outside region", R0, R0 + N, R0, R0 + 3072, R0 + 3072, R0 + N + 1, -EINVAL },
		{ "reserved and data overlap", R0, R0 + N, R0, R0 + 3072, R0 + 3000, R0 + N, -EINVAL },
		{ "region beyond host width", 1ull << 40, (1ull << 40) + 512, 1ull << 40, (1ull << 40) + 512, (1ull << 40) + 1, (1ull << 40) + 2, -EINVAL },
		{ "reserved too small", R0, R0 + N, R0, R0 + 2048, R0 + 2048, R0 + N, -ENOSPC },
		{ "reserved exactly enough", R0, R0 + N, R0, R0 + 2560, R0 + 2560, R0 + N, 0 },
		{ "identical report again", R0, R0 + N, R0, R0 + 2560, R0 + 2560, R0 + N, 0 },
		{ "same region, other split", R0, R0 + N, R0, R0 + 3072, R0 + 3072, R0 + N, -EEXIST },
		{ "overlapping region", R0 + N - 512, R0 + 2 * N, R0 + N, R0 + N + 3072, R0 + N + 3072, R0 + 2 * N, -EEXIST },
	};
	struct pv_iommu_op op;
	ull rev;
	unsigned int i;
	long rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = pmem_op(t[i].s, t[i].e, t[i].rs, t[i].re, t[i].ds, t[i].de);
		result(rc == t[i].want, "pmem %s: %s # got %s", t[i].desc,
		       ename(t[i].want), ename(rc));
	}
	op = o_map(B, R0 + 5, RW);
	hc(&op, 1);
	result(op.status == -EPERM, "map_page of a reported reserved frame: EPERM # got %s",
	       ename(op.status));
	op = o_map(B, R0 + 2560, RW);
	hc(&op, 1);
	result(op.status == 0 && undo(&op, 1),
	       "map_page of a reported data frame: 0 # got %s",
	       ename(op.status));
	/*
	 * Xen takes the reserved area away (vNVDIMM 4.2.2): a mapping the
	 * caller made there before the report is revoked by it.
	 */
	op = o_map(B, Q + N - 100, RW);
	hc(&op, 1);
	rev = view_value("counters", "pmem_revoked");
	rc = pmem_op(Q, Q + N, Q + N - 2560, Q + N, Q, Q + N - 2560);
	result(!op.status && !rc &&
	       view_value("counters", "pmem_revoked") == rev + 1,
	       "pmem second region, reserved at the end: 0, the earlier mapping of a reserved frame revoked # map %s, report %s",
	       ename(op.status), ename(rc));
	op = o_unmap(B, 0);
	hc(&op, 1);
	result(op.status == -ENOENT, "the revoked mapping is gone: unmap_page ENOENT # got %s",
	       ename(op.status));
	result(!view_value("audit", "violations"),
	       "no violation: nothing reaches the reserved area");
	/* map_foreign_page refuses pmem-reserved frames like map_page. */
	rc = pmem_op(HVS_EXTRA_BASE, HVS_EXTRA_BASE + 1024,
		     HVS_EXTRA_BASE + 512, HVS_EXTRA_BASE + 1024,
		     HVS_EXTRA_BASE, HVS_EXTRA_BASE + 512);
	op = o_mapf(B, 0, 6, 1, RW);
	hc(&op, 1);
	result(!rc && op.status == -EPERM,
	       "map_foreign of a frame in a reported reserved area: EPERM # report %s map %s",
	       ename(rc), ename(op.status));
	must("clear_errors");
}

/* Where the identity default map puts a domain's gfn (a lookup, undone). */
static ull dom_bfn(unsigned int dom, ull gfn)
{
	struct pv_iommu_op op = o_look(gfn, dom, 1);

	hc(&op, 1);
	if (op.status)
		die("setup lookup of %u:%llu: %s", dom, gfn, ename(op.status));
	undo(&op, 1);
	return op.u.lookup_foreign_page.bfn;
}

/* The stub's host, checked against what these tests expect. */
static void layout(ull *d0, ull *xen_nr, ull *pool_nr)
{
	const char *cfg = view_text("config"), *p;

	*d0 = view_value("config", "dom0_pages");
	p = strstr(cfg, "\nxen_frames ");
	*xen_nr = p && strchr(p + 1, '+') ? strtoull(strchr(p + 1, '+') + 1,
						     NULL, 0) : 0;
	p = strstr(cfg, "\npool ");
	if (!p || !strchr(p + 6, '+'))
		die("no pool in config");
	*pool_nr = strtoull(strchr(p + 6, '+') + 1, NULL, 0);
	if (*d0 < 4096 || view_value("config", "dom0_span") != *d0 ||
	    view_value("config", "max_order") != 9 ||
	    view_value("config", "default_map") != 0 ||
	    strstr(cfg, "\nrmrr ") || *xen_nr != 512)
		die("load the stub with default parameters");
}

static void setup(void)
{
	ull d0, xen_nr, pool_nr;
	unsigned int i;

	layout(&d0, &xen_nr, &pool_nr);
	OWN = (d0 / 2) & ~511ull;
	PIN = OWN + 1024;
	MMIO = (d0 + 0x10000) & ~0xfffull;
	XEN = HVS_EXTRA_BASE;
	SCRATCH = view_value("config", "scratch_mfn");
	FREE = view_value("config", "pool") + pool_nr - 1;
	must("baseline");
	must("clear_errors");
	must("domain_create 5 64 contig target");
	must("ioserver_create 5 1");
	must("domain_create 6 16");
	must("ioserver_create 6 1");
	must("domain_create 7 4 dying");
	must("rmrr 0x%llx 4", RMRR);
	must("balloon_out 5 63");
	must("pin %llu", PIN);
	set_priv(P0);
	/* Frames of domains 5 and 6 (identity default map: bfn = mfn). */
	FMFN = dom_bfn(5, 1);
	F6MFN = dom_bfn(6, 1);
	for (i = 0; i < NP; i++) {
		LB[i] = dom_bfn(5, GL(i)) + (i == PX ? WIN : 0);
		UB[i] = dom_bfn(5, GU(i)) + (i == PX ? WIN : 0);
	}
	fill_rows();
}

static void teardown_checks(const char *what, ull expect_ce_min)
{
	ull v, c;

	set_priv(P0);
	v = view_value("audit", "violations");
	c = view_value("audit", "caller_errors");
	result(v == 0, "%s: audit finds no violation # %llu", what, v);
	result(c >= expect_ce_min,
	       "%s: audit counted the provoked caller errors (%llu)", what, c);
	must("clear_errors");
}

static int at_baseline(void)
{
	static char buf[1 << 16];

	if (io->read("audit", buf, sizeof(buf)))
		die("cannot read audit");
	return strstr(buf, "\nat_baseline: yes\n") != NULL;
}

static int verdict_clean(void)
{
	static char buf[1 << 16];

	if (io->read("audit", buf, sizeof(buf)))
		die("cannot read audit");
	return strstr(buf, "\nverdict: clean\n") != NULL;
}

static int cmd_table(void)
{
	unsigned int i;
	int p;

	setup();
	hypercall_cases();
	for (p = 0; p < NP; p++) {
		set_priv(p);
		cur_p = p;
		query_caps_row(p);
		for (i = 0; i < NROWS; i++)
			run_row(&rows[i], p);
	}
	set_priv(P0);
	result(at_baseline(), "table: ledger back at baseline after %u rows x %u settings",
	       (unsigned int)NROWS, NP);
	/* At least one per provoking row in dom0, more from the others. */
	teardown_checks("table", n_ce_rows + 1);
	pmem_cases();
	result(at_baseline(), "table: ledger back at baseline after the pmem reports");
	must("unpin %llu", PIN);
	must("domain_destroy 5");
	must("domain_destroy 6");
	must("domain_destroy 7");
	result(verdict_clean(), "table: audit verdict clean");
	result(!strstr(view_text("domains"), "domain 5 "),
	       "table: destroyed domains are gone");
	return 0;
}

/* ---- random malformed batches -------------------------------------------- */

static ull rng;

static ull rnd(ull n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return n ? (rng * 0x2545f4914f6cdd1dull) % n : 0;
}

static ull r_bfn(void)
{
	switch (rnd(8)) {
	case 0: return rnd(~0ull);
	case 1: return WIDTH - 1 - rnd(4);
	case 2: return RMRR + rnd(6) - 1;
	default: return (rnd(4) ? B : B + WIN) + rnd(64);
	}
}

static ull r_gfn(void)
{
	switch (rnd(10)) {
	case 0: return rnd(~0ull);
	case 1: return XEN + rnd(600);
	case 2: return FREE - rnd(8);
	case 3: return FMFN + rnd(4);
	case 4: return MMIO + rnd(16);
	case 5: return rnd(70);	/* foreign gfns */
	default: return OWN + rnd(64);
	}
}

static unsigned int r_flags(void)
{
	unsigned int f;

	switch (rnd(6)) {
	case 0: return rnd(0x10000);
	case 1: return ORD(rnd(64)) | rnd(8);
	default:
		f = RW | (rnd(3) ? 0 : NOREF);
		if (!rnd(10))
			f |= 1u << (3 + rnd(7));
		return f | ORD(rnd(6) ? 0 : rnd(3));
	}
}

static unsigned int r_dom(void)
{
	static const unsigned int d[] = { 5, 5, 5, 6, 7, 0, HVS_DOMID_SELF, 99 };

	return rnd(10) ? d[rnd(8)] : rnd(0x10000);
}

static void r_op(struct pv_iommu_op *o)
{
	unsigned int s = rnd(20), k;

	if (!rnd(50)) {		/* pure garbage */
		unsigned char *b = (unsigned char *)o;

		for (k = 0; k < sizeof(*o); k++)
			b[k] = rnd(256);
		o->status = SENT;
		return;
	}
	if (s < 2)
		*o = o_q();
	else if (s < 7)
		*o = o_map(r_bfn(), r_gfn(), r_flags());
	else if (s < 10)
		*o = o_unmap(r_bfn(), rnd(4) ? 0 : r_flags());
	else if (s < 14)
		*o = o_mapf(r_bfn(), r_gfn(), r_dom(), rnd(3), r_flags());
	else if (s < 16)
		*o = o_look(r_gfn(), r_dom(), rnd(3));
	else if (s < 19)
		*o = o_unmapf(r_bfn(), rnd(3), rnd(4) ? 0 : r_flags());
	else
		*o = (struct pv_iommu_op){ .subop_id = 7 + rnd(0x10000),
					   .status = SENT };
	if (!rnd(30))
		o->u.map_foreign_page._pad = rnd(~0ull);
	if (!rnd(40))
		o->flags = rnd(0x10000);
}

/* What the stub and the reference disagreed on, per kind. */
static ull bad_rc, bad_st, bad_cmd;

/*
 * One hypercall on the stub and on the reference: the return, every
 * status and OUT field, and the untouched ops after a stop point must be
 * identical.  Return: the stub's return value.
 */
static long both_hc(struct pv_iommu_op *ops, unsigned int nr,
		    unsigned int count, unsigned int flags, ull *ran)
{
	struct pv_iommu_op want[64];
	unsigned int i;
	long rc, wrc;

	memcpy(want, ops, nr * sizeof(*ops));
	rc = hc_raw(ops, nr, count, flags);
	wrc = ref_hypercall(R, (flags & HVS_HC_NULL) ? NULL : want, count, nr);
	if (rc != wrc)
		bad_rc++;
	for (i = 0; i < nr; i++) {
		if (memcmp(&ops[i], &want[i], sizeof(ops[i])))
			bad_st++;
		else if (ops[i].status != SENT)
			(*ran)++;
	}
	return rc;
}

/* A command on the stub and the reference; their errnos must agree. */
#define both_cmd(refcall, ...) do {					\
	int __s = ctl(__VA_ARGS__), __r = (refcall);			\
									\
	if (__s != __r)							\
		bad_cmd++;						\
} while (0)

/* Unmap, on both, everything the reference says is mapped. */
static void both_drain(ull *ran)
{
	struct pv_iommu_op u[64];
	unsigned int i, k;

	while (R->live) {
		for (i = 0, k = 0; i < R->nmaps && k < 64; i++) {
			const struct ref_map *p = &R->maps[i];

			if (!p->used)
				continue;
			u[k++] = p->kind == REF_SELF ?
				 o_unmap(p->bfn, ORD(p->order)) :
				 o_unmapf(p->bfn, p->ios, ORD(p->order));
		}
		if (both_hc(u, k, k, 0, ran))
			break;
		for (i = 0; i < k && !u[i].status; i++)
			;
		if (i < k)
			break;
	}
}

/* The reference's copy of what setup() did to the stub. */
static void ref_setup(struct ref *r)
{
	if (ref_domain_create(r, 5, 64, true, false, true) ||
	    ref_ioserver_create(r, 5, 1) ||
	    ref_domain_create(r, 6, 16, false, false, false) ||
	    ref_ioserver_create(r, 6, 1) ||
	    ref_domain_create(r, 7, 4, false, true, false) ||
	    ref_rmrr_add(r, RMRR, 4) || ref_balloon(r, 5, 63) ||
	    ref_pin(r, PIN, true))
		die("reference set-up failed");
}

static void arm_fault(void)
{
	ull k = rnd(8);

	switch (rnd(4)) {
	case 0:
		if (R->ft.op_at < 0 && !ctl("fault op %llu EIO", k)) {
			R->ft.op_at = k;
			R->ft.op_err = -EIO;
		}
		break;
	case 1:
		if (R->ft.pre_at < 0 && !ctl("fault preempt %llu", k))
			R->ft.pre_at = k;
		break;
	case 2:
		if (R->ft.cont_at < 0 && !ctl("fault continue %llu", k))
			R->ft.cont_at = k;
		break;
	default:
		if (!R->ft.call_err && !ctl("fault call -%llu", k + 1))
			R->ft.call_err = -(long)(k + 1);
		break;
	}
}

static int cmd_random(ull n, ull seed)
{
	ull batch, faults = 0, balloons = 0, ran = 0, ok_ops = 0, hc0;
	ull bad_args = 0, refused = 0, n_setup, n_rand = 0;
	struct pv_iommu_op ops[40];
	unsigned int i, nr, count, flags;
	ull d0, xen_nr, pool_nr;
	struct ref_cfg rc;
	int p = P0;

	rng = seed ? seed : 1;
	hc0 = view_value("counters", "hypercalls");
	n_hc = 0;
	layout(&d0, &xen_nr, &pool_nr);
	setup();
	n_setup = n_hc;
	R = calloc(1, sizeof(*R));
	if (!R)
		die("out of memory");
	ref_cfg_default(&rc);
	ref_init(R, &rc, d0, xen_nr, pool_nr);
	ref_setup(R);
	for (batch = 0; batch < n; batch++) {
		if (batch % 500 == 0) {
			p = (batch / 500) % NP;
			set_priv(p);
		}
		if (!rnd(50)) {
			ull g = rnd(64);

			balloons++;
			both_cmd(ref_balloon(R, 5, g), "balloon_out 5 %llu", g);
			g = rnd(64);
			both_cmd(ref_populate(R, 5, g), "populate 5 %llu", g);
		}
		if (!rnd(100)) {
			faults++;
			arm_fault();
		}
		nr = 1 + rnd(rnd(8) ? 8 : 40);
		for (i = 0; i < nr; i++)
			r_op(&ops[i]);
		count = nr;
		flags = 0;
		switch (rnd(40)) {
		case 0: count = nr + 1 + rnd(4); break;
		case 1: count = 0; break;
		case 2: count = 0x80000000u | rnd(0x80000000u); break;
		case 3: flags = HVS_HC_NULL; break;
		case 4: flags = HVS_HC_MISALIGN; break;
		case 5: count = HVS_MAX_OPS + 1 + rnd(1000); break;
		case 6: count = rnd(nr); break;
		}
		bad_args += count != nr || flags;
		both_hc(ops, nr, count, flags, &ran);
		n_rand++;
		for (i = 0; i < nr; i++) {
			ok_ops += !ops[i].status;
			refused += ops[i].status && ops[i].status != SENT;
		}
		both_drain(&ran);
	}
	must("fault clear");
	memset(&R->ft, 0, sizeof(R->ft));
	R->ft.op_at = R->ft.pre_at = R->ft.cont_at = -1;
	must("flush");
	set_priv(P0);
	result(!bad_rc, "random: %llu batches, every hypercall return exactly as the reference predicts # %llu differ",
	       n, bad_rc);
	result(!bad_st, "random: %llu ops ran (%llu succeeded, %llu refused), every status, OUT field and untouched op exactly as predicted # %llu differ",
	       ran, ok_ops, refused, bad_st);
	result(!bad_cmd, "random: %llu balloon/populate commands with the predicted result # %llu differ",
	       2 * balloons, bad_cmd);
	result(!R->live, "random: everything made was undone (reference: %u left)",
	       R->live);
	result(view_value("counters", "hypercalls") - hc0 == n_hc,
	       "random: the stub counted exactly the %llu hypercalls issued: %llu random malformed batches (%llu with a bad count or buffer), %llu undo, %llu set-up # stub counted %llu",
	       n_hc, n_rand, bad_args, n_hc - n_rand - n_setup,
	       n_setup, view_value("counters", "hypercalls") - hc0);
	printf("# hypercalls issued %llu, random batches %llu\n", n_hc, n_rand);
	result(at_baseline(), "random: ledger back at baseline");
	teardown_checks("random", 1);
	must("unpin %llu", PIN);
	must("domain_destroy 5");
	must("domain_destroy 6");
	must("domain_destroy 7");
	result(verdict_clean(), "random: audit verdict clean (%llu faults injected, %llu balloon/populate)",
	       faults, balloons);
	ref_free(R);
	free(R);
	R = NULL;
	return 0;
}

/* ---- deliberately wrong callers --------------------------------------------- */

static int audit_has(const char *s)
{
	static char buf[1 << 16];

	if (io->read("audit", buf, sizeof(buf)))
		die("cannot read audit");
	return strstr(buf, s) != NULL;
}

static int cmd_wrongcaller(void)
{
	struct pv_iommu_op op;
	ull own;

	own = (view_value("config", "dom0_pages") / 2) & ~511ull;
	must("baseline");
	must("clear_errors");
	result(verdict_clean(), "wrong callers: audit clean to start with");

	/* 1. Refcount leak: a mapping never unmapped, its page given back. */
	op = o_map(B, own + 7, RW);
	hc(&op, 1);
	must("balloon_out 0 %llu", own + 7);
	result(audit_has("violation: released mfn") &&
	       audit_has("total refs 1 baseline 0 DIFF") &&
	       audit_has("verdict: dirty"),
	       "refcount leak: audit reports the released page still held and refs off baseline");
	op = o_unmap(B, 0);
	hc(&op, 1);
	must("populate 0 %llu", own + 7);
	result(verdict_clean(), "refcount leak: clean again once unmapped");

	/* 2. Unmap without flush, page given back: reachable after free. */
	op = o_map(B, own + 8, RW | NOREF);
	hc(&op, 1);
	must("fault flush");
	op = o_unmap(B, 0);
	hc(&op, 1);
	result(audit_has("(missing flush)") && audit_has("violations: 1\n"),
	       "unmap without flush: audit reports the stale IOTLB entry");
	must("balloon_out 0 %llu", own + 8);
	result(audit_has("event freed_while_in_iotlb"),
	       "unmap without flush: freeing the page is caught (freed while in IOTLB)");
	must("flush");
	must("populate 0 %llu", own + 8);
	must("clear_errors");
	result(verdict_clean(), "unmap without flush: clean after flush + clear_errors");

	/* 3. Map of a Xen-owned frame. */
	op = o_map(B, HVS_EXTRA_BASE + 1, RW | NOREF);
	hc(&op, 1);
	result(op.status == -EPERM && audit_has("caller_error: xen_frame subop=map_page") &&
	       audit_has("caller_errors: 1\n") && audit_has("verdict: dirty"),
	       "map of a Xen frame: refused (EPERM) and reported by audit");
	must("clear_errors");
	result(verdict_clean(), "wrong callers: audit clean at the end");
	return 0;
}

/* ---- single ops and request validation (for shell scenarios) ----------- */

/*
 * op NAME [bfn=N] [gfn=N] [dom=N] [ios=N] [flags=N]: one op in its own
 * hypercall; prints "rc R status S flags 0xF bfn 0xB offset 0xO".
 */
static int cmd_op(int argc, char **argv)
{
	static const char *const names[] = {
		"", "query_caps", "map_page", "unmap_page", "map_foreign",
		"lookup", "unmap_foreign",
	};
	struct pv_iommu_op op = { .status = SENT };
	ull bfn = 0, gfn = 0, dom = 0, ios = 0, flags = 0;
	unsigned int i;
	long rc;

	for (i = 1; i < 7 && strcmp(argv[0], names[i]); i++)
		;
	if (i == 7)
		die("unknown op %s", argv[0]);
	op.subop_id = i;
	for (i = 1; i < (unsigned int)argc; i++) {
		char *eq = strchr(argv[i], '=');
		ull v;

		if (!eq)
			die("bad argument %s", argv[i]);
		v = strtoull(eq + 1, NULL, 0);
		if (!strncmp(argv[i], "bfn=", 4))
			bfn = v;
		else if (!strncmp(argv[i], "gfn=", 4))
			gfn = v;
		else if (!strncmp(argv[i], "dom=", 4))
			dom = v;
		else if (!strncmp(argv[i], "ios=", 4))
			ios = v;
		else if (!strncmp(argv[i], "flags=", 6))
			flags = v;
		else
			die("bad argument %s", argv[i]);
	}
	switch (op.subop_id) {
	case IOMMUOP_map_page:
		op = o_map(bfn, gfn, flags);
		break;
	case IOMMUOP_unmap_page:
		op = o_unmap(bfn, flags);
		break;
	case IOMMUOP_map_foreign_page:
		op = o_mapf(bfn, gfn, dom, ios, flags);
		break;
	case IOMMUOP_lookup_foreign_page:
		op = o_look(gfn, dom, ios);
		op.flags = flags;
		break;
	case IOMMUOP_unmap_foreign_page:
		op = o_unmapf(bfn, ios, flags);
		break;
	default:
		op = o_q();
		op.flags = flags;
		break;
	}
	rc = hc(&op, 1);
	printf("rc %s status %s flags 0x%x bfn 0x%llx offset 0x%llx\n",
	       ename(rc), ename(op.status), op.flags,
	       (ull)op.u.lookup_foreign_page.bfn,
	       (ull)op.u.query_caps.offset);
	return rc || op.status ? 1 : 0;
}

/* write() of one raw request: 0 or errno. */
static int raw_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : errno;
}

/* badreq: the hypercall file refuses malformed requests exactly. */
static int cmd_badreq(void)
{
	struct {
		struct hvs_hc_req req;
		struct pv_iommu_op ops[2];
	} m;
	struct hvs_hc_resp resp;
	int fd = open(DIR_ "hypercall", O_RDWR), e;

	if (fd < 0)
		die("open hypercall: %s", strerror(errno));
	/* A well-formed one-op request, then one field broken per case. */
#define REQ() do {							\
	memset(&m, 0, sizeof(m));					\
	m.req.magic = HVS_HC_MAGIC;					\
	m.req.kind = HVS_HC_IOMMU;					\
	m.req.count = 1;						\
	m.req.nr_ops = 1;						\
	m.ops[0] = o_q();						\
} while (0)
	REQ();
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(!e && read(fd, &resp, sizeof(resp)) == sizeof(resp) &&
	       !resp.rc && resp.nr_ops == 1,
	       "hypercall file: a good request runs (%s)", strerror(e));
	REQ();
	m.req.magic = 1;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == EINVAL, "hypercall file: bad magic: EINVAL # %s", strerror(e));
	REQ();
	m.req.kind = 3;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == EINVAL, "hypercall file: bad kind: EINVAL # %s", strerror(e));
	REQ();
	m.req.flags = 4;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == EINVAL, "hypercall file: unknown flag: EINVAL # %s", strerror(e));
	REQ();
	m.req._pad[1] = 1;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == EINVAL, "hypercall file: reserved field: EINVAL # %s", strerror(e));
	REQ();
	m.req.nr_ops = HVS_MAX_OPS + 1;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == E2BIG, "hypercall file: too many ops: E2BIG # %s", strerror(e));
	REQ();
	m.req.nr_ops = 2;
	e = raw_write(fd, &m, sizeof(m.req) + 32);
	result(e == EINVAL, "hypercall file: size differs from nr_ops: EINVAL # %s",
	       strerror(e));
	REQ();
	e = raw_write(fd, &m, sizeof(m.req) - 1);
	result(e == EINVAL, "hypercall file: short header: EINVAL # %s", strerror(e));
	REQ();
	m.req.kind = HVS_HC_PMEM;
	m.req.nr_ops = 0;
	e = raw_write(fd, &m, sizeof(m.req) + 48);
	result(e == EINVAL, "hypercall file: pmem with a count: EINVAL # %s",
	       strerror(e));
	REQ();
	m.req.kind = HVS_HC_DECREASE;
	m.req.count = 2;
	e = raw_write(fd, &m, sizeof(m.req) + 8);
	result(e == EINVAL, "hypercall file: reservation count != frames: EINVAL # %s",
	       strerror(e));
	REQ();
	m.req.kind = HVS_HC_POPULATE;
	m.req.flags = HVS_HC_MISALIGN;
	e = raw_write(fd, &m, sizeof(m.req) + 8);
	result(e == EINVAL, "hypercall file: reservation with a flag: EINVAL # %s",
	       strerror(e));
	e = syscall(SYS_write, fd, NULL, sizeof(m.req) + 32) < 0 ? errno : 0;
	result(e == EFAULT, "hypercall file: unreadable buffer: EFAULT # %s",
	       strerror(e));
#undef REQ
	close(fd);
	return 0;
}

/*
 * resv decrease|populate FRAME...: the backend's reservation op (what the
 * balloon driver issues); prints "rc N frames F..." (F: the frames after
 * the call, the new MFNs for populate).  Exit status 0 when every extent
 * was done.
 */
static int cmd_resv(int argc, char **argv)
{
	unsigned long long frames[64];
	unsigned int kind, n = argc - 1, i;
	long rc;

	if (!strcmp(argv[0], "decrease"))
		kind = HVS_HC_DECREASE;
	else if (!strcmp(argv[0], "populate"))
		kind = HVS_HC_POPULATE;
	else
		die("resv decrease|populate FRAME...");
	if (!n || n > 64)
		die("resv: 1-64 frames");
	for (i = 0; i < n; i++)
		frames[i] = strtoull(argv[i + 1], NULL, 0);
	rc = resv_op(kind, frames, n);
	printf("rc %ld frames", rc);
	for (i = 0; i < n; i++)
		printf(" 0x%llx", frames[i]);
	printf("\n");
	return rc == (long)n ? 0 : 1;
}

/*
 * bigbatch N ORDER BFN0 GFN0: one hypercall of N map_page ops (order
 * ORDER, BFN0 + i * 2^ORDER -> GFN0 + i * 2^ORDER), then one of the N
 * unmaps; every status must be 0.  With a small continue_work knob it
 * shows a long hypercall taking continuations.
 */
static int cmd_bigbatch(int argc, char **argv)
{
	ull n = strtoull(argv[0], NULL, 0), order = strtoull(argv[1], NULL, 0);
	ull bfn = strtoull(argv[2], NULL, 0), gfn = strtoull(argv[3], NULL, 0);
	ull c0 = view_value("counters", "continuations_work"), c1, i, bad = 0;
	struct pv_iommu_op *ops;
	long rc;

	(void)argc;
	if (!n || n > HVS_MAX_OPS || order > HVS_MAX_ORDER)
		die("bigbatch N (1-%u) ORDER (0-%u) BFN0 GFN0", HVS_MAX_OPS,
		    HVS_MAX_ORDER);
	ops = calloc(n, sizeof(*ops));
	if (!ops)
		die("out of memory");
	for (i = 0; i < n; i++)
		ops[i] = o_map(bfn + (i << order), gfn + (i << order),
			       RW | ORD(order));
	rc = hc(ops, n);
	for (i = 0; i < n; i++)
		bad += ops[i].status != 0;
	result(!rc && !bad, "bigbatch: %llu maps of order %llu in one hypercall, all status 0 # rc %s, %llu bad",
	       n, order, ename(rc), bad);
	c1 = view_value("counters", "continuations_work");
	for (i = 0; i < n; i++)
		ops[i] = o_unmap(bfn + (i << order), ORD(order));
	rc = hc(ops, n);
	for (i = 0, bad = 0; i < n; i++)
		bad += ops[i].status != 0;
	result(!rc && !bad, "bigbatch: the %llu unmaps in one hypercall, all status 0 # rc %s, %llu bad",
	       n, ename(rc), bad);
	/* Counter values strictly inside each hypercall's own range. */
	printf("# continuations %llu %llu %llu\n", c0, c1,
	       view_value("counters", "continuations_work"));
	free(ops);
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
	int rc;

	io = cases_io_override ? cases_io_override : &dbg_io;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "table"))
		rc = cmd_table();
	else if (argc >= 3 && !strcmp(argv[1], "random"))
		rc = cmd_random(strtoull(argv[2], NULL, 0),
				argc >= 4 ? strtoull(argv[3], NULL, 0) : 1);
	else if (argc >= 2 && !strcmp(argv[1], "wrongcaller"))
		rc = cmd_wrongcaller();
	else if (argc >= 3 && !strcmp(argv[1], "op"))
		return cmd_op(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "badreq"))
		rc = cmd_badreq();
	else if (argc >= 4 && !strcmp(argv[1], "resv"))
		return cmd_resv(argc - 2, argv + 2);
	else if (argc == 6 && !strcmp(argv[1], "bigbatch"))
		rc = cmd_bigbatch(argc - 2, argv + 2);
	else
		die("usage: hvstub_cases table | random N [SEED] | wrongcaller | op NAME [bfn= gfn= dom= ios= flags=] | badreq | resv decrease|populate FRAME... | bigbatch N ORDER BFN0 GFN0");
	printf("# %u checks, %u failed\n", n_checks, n_failed);
	return rc ? rc : n_failed ? 1 : 0;
}
