// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/hvstub/model.c */
/*
 * libFuzzer target: the stub hypervisor's model (drivers/hvstub/model.c)
 * driven by arbitrary programs: batches of raw 32-byte ops with any count,
 * buffer length, NULL or misaligned buffer; commands (domains, ioservers,
 * ballooning, pins, knobs, faults) with fuzzed arguments, raw command
 * strings; raw pmem reports; the caller's reservation changes, P2M writes
 * and grant mappings; device writes; queries and views; continuations
 * (a small continue_work knob, a preempt hook that checks the model is
 * consistent there).
 *
 * Invariants: hypercall returns are 0, -EFAULT, -EINVAL, -ENOSYS or the
 * errno of an armed "fault call"; every processed op's status is in its
 * subop's table (or the injected errno); pmem and reservation returns are
 * in their lists; and the audit never reports an internal inconsistency
 * (reference counts vs mappings, M2B vs tables, overlapping entries, a
 * foreign domain's P2M vs M2P, grants, ledger counts) - only the
 * caller-induced kinds may appear (the caller's own P2M may disagree with
 * the M2P: the guest writes it).
 */
#include <linux/errno.h>
#include <stdarg.h>
#include "fuzz.h"
#include "../../drivers/hvstub/model.h"

#define MAX_OPS		48

static void *f_zalloc(size_t s)
{
	return calloc(1, s);
}

static void f_free(void *p)
{
	free(p);
}

static struct hvs_model *cur;
static unsigned int preempts;

/* A continuation: the IOTLB is flushed and the model consistent. */
static void f_preempt(void)
{
	struct hvs_totals t;

	preempts++;
	hvs_totals_get(cur, &t);
	FUZZ_CHECK(t.stale == 0);
}

static const struct hvs_env env = { f_zalloc, f_free, NULL, f_preempt };

static char audit_buf[1 << 16];
static size_t audit_len;

static void f_emit(void *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)ctx;
	va_start(ap, fmt);
	n = vsnprintf(audit_buf + audit_len, sizeof(audit_buf) - audit_len,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		audit_len += (size_t)n < sizeof(audit_buf) - audit_len ?
			     (size_t)n : sizeof(audit_buf) - audit_len - 1;
}

static int status_ok(unsigned int subop, int st)
{
	switch (subop) {
	case IOMMUOP_query_caps:
		return st == 0;
	case IOMMUOP_map_page:
		return !st || st == -EIO || st == -EPERM || st == -EACCES ||
		       st == -ENOSPC;
	case IOMMUOP_unmap_page:
		return !st || st == -EIO || st == -ENOSPC || st == -ENOENT;
	case IOMMUOP_map_foreign_page:
		return !st || st == -EIO || st == -EPERM || st == -EACCES ||
		       st == -ENODEV || st == -ENXIO || st == -ENOSPC;
	case IOMMUOP_lookup_foreign_page:
		return !st || st == -EPERM || st == -ENOENT || st == -ENODEV ||
		       st == -ENXIO;
	case IOMMUOP_unmap_foreign_page:
		return !st || st == -ENOENT;
	default:
		return st == -ENODEV;
	}
}

/* Lines of the audit that can only come from a model bug. */
static const char *const model_bugs[] = {
	"but mappings hold", "missing from the M2B", "has no mapping",
	"M2B holds", "overlaps its neighbour", "ledger counts",
	"lookup entry in the IOMMU table", "bad lookup entry",
	"swapped mapping", "scratch page holds", "allocated to nobody",
	"unknown domain", "unallocated, unreferenced", "disagrees with the P2M",
	"not backed", "ledger says", "refcount_underflow",
	"pinned as a page table", ", no grant", ", not dom", "not in the P2M",
};

/* The caller (dom 0) writes its own P2M: its mismatches are its bugs. */
static bool callers_p2m(const char *line)
{
	return strstr(line, "(dom 0 gfn") || strstr(line, "P2M of dom 0 gfn");
}

static void check_audit(struct hvs_model *m)
{
	struct hvs_out out = { f_emit, NULL };
	const char *line, *end;
	unsigned int i;

	audit_len = 0;
	audit_buf[0] = 0;
	hvs_audit(m, &out);
	for (line = audit_buf; *line; line = *end ? end + 1 : end) {
		char one[512];
		size_t n;

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		n = end - line < (long)sizeof(one) - 1 ? (size_t)(end - line) :
			sizeof(one) - 1;
		memcpy(one, line, n);
		one[n] = 0;
		if (callers_p2m(one))
			continue;
		for (i = 0; i < sizeof(model_bugs) / sizeof(model_bugs[0]); i++) {
			if (strstr(one, model_bugs[i])) {
				fprintf(stderr, "%s", audit_buf);
				FUZZ_CHECK(!"model inconsistency in the audit");
			}
		}
	}
}

static const char *const knobs[] = {
	"disabled", "hardware_domain", "nonhw_enosys", "has_devices", "iommu",
	"passthrough", "strict", "map_cap", "map_all_gfns", "max_order",
	"pmem_enosys", "page_info_size", "m2p_size", "max_records",
	"default_map", "window_offset", "bfn_bits", "mfn_bits",
	"continue_work",
};

/* A frame or BFN worth trying: small, near a special place, or any. */
static unsigned long long pick(struct fuzz_in *in)
{
	uint64_t sel = fuzz_take(in, 1), v = fuzz_take(in, 2);

	switch (sel & 7) {
	case 0:
		return fuzz_take(in, 8);
	case 1:
		return HVS_EXTRA_BASE + v;	/* Xen, scratch, pool */
	case 2:
		return (1ull << 36) - 1 - (v & 15);
	default:
		return v & 0x3ff;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pv_iommu_op buf[MAX_OPS + 1];
	struct hvs_layout lay = {
		.dom0_pages = 256, .xen_frames = 16, .pool_frames = 256,
	};
	struct fuzz_in in = { data, size };
	struct hvs_config cfg;
	struct hvs_model *m;
	long call_errno = 0;
	unsigned int steps = 0;
	int err;

	hvs_config_default(&cfg);
	cfg.max_records = 512;
	m = hvs_model_create(&env, &cfg, &lay, &err);
	FUZZ_CHECK(m != NULL);
	cur = m;
	while (in.left && steps++ < 64) {
		uint64_t op = fuzz_take(&in, 1);
		char cmd[96];
		unsigned int i, nr, count, readable;
		struct pv_iommu_op *ops;
		long rc;

		if (op % 10 == 8) {	/* the caller's own memory */
			unsigned long frames[8];
			uint64_t w = fuzz_take(&in, 1);

			nr = 1 + fuzz_take(&in, 1) % 8;
			for (i = 0; i < nr; i++)
				frames[i] = fuzz_take(&in, 1) & 1 ?
					    fuzz_take(&in, 8) :
					    fuzz_take(&in, 2) % 300;
			switch (w % 6) {
			case 0:
			case 1:
				rc = hvs_reservation(m, w % 2, frames, nr);
				FUZZ_CHECK(rc >= 0 && rc <= (long)nr);
				break;
			case 2:
				rc = hvs_p2m_set(m, frames[0], frames[1]);
				FUZZ_CHECK(rc <= 0);
				break;
			case 3:
				rc = hvs_grant_map(m, frames[0] % 8, frames[1],
						   frames[2]);
				FUZZ_CHECK(rc <= 0);
				break;
			case 4:
				rc = hvs_grant_unmap(m, frames[0]);
				FUZZ_CHECK(!rc || rc == -ENOENT);
				break;
			default:
				rc = hvs_dma_write(m, frames[0]);
				FUZZ_CHECK(!rc || rc == -ENOENT || rc == -EACCES);
				break;
			}
			(void)hvs_pfn_to_gfn(m, frames[nr - 1]);
			continue;
		}
		switch (op % 10 == 9 ? 0 : op % 8) {
		case 0: case 1: case 2: {	/* a batch */
			struct pv_iommu_op copy[MAX_OPS];

			nr = 1 + fuzz_take(&in, 1) % MAX_OPS;
			for (i = 0; i < nr; i++) {
				uint8_t *b = (uint8_t *)&buf[i];
				unsigned int k;

				for (k = 0; k < sizeof(buf[i]); k++)
					b[k] = fuzz_take(&in, 1);
				buf[i].subop_id %= 8;
				if (!(b[31] & 3)) {
					buf[i].u.map_page.bfn &= 0x3ff;
					buf[i].u.map_page.gfn = pick(&in);
				}
				buf[i].status = 0x5a5a5a5a;
			}
			memcpy(copy, buf, nr * sizeof(buf[0]));
			count = nr;
			readable = nr;
			ops = buf;
			switch (fuzz_take(&in, 1) % 16) {
			case 0: count = fuzz_take(&in, 4); break;
			case 1: readable = fuzz_take(&in, 1) % (nr + 1); break;
			case 2: ops = NULL; break;
			case 3: ops = (struct pv_iommu_op *)((char *)buf + 4); break;
			}
			rc = hvs_iommu_op(m, ops, count, readable);
			if (rc && rc == call_errno) {
				call_errno = 0;
				break;
			}
			FUZZ_CHECK(rc == 0 || rc == -EFAULT || rc == -EINVAL ||
				   rc == -ENOSYS);
			for (i = 0; ops == buf && i < nr; i++)
				FUZZ_CHECK(buf[i].status == 0x5a5a5a5a ||
					   buf[i].status == -EIO ||
					   status_ok(copy[i].subop_id,
						     buf[i].status));
			break;
		}
		case 3: {	/* a command with fuzzed numbers */
			static const char *const fmt[] = {
				"domain_create %llu %llu contig",
				"domain_create %llu %llu target",
				"domain_destroy %llu", "ioserver_create %llu %llu",
				"ioserver_destroy %llu %llu",
				"balloon_out %llu %llu", "populate %llu %llu",
				"pin %llu", "unpin %llu", "rmrr %llu %llu",
				"xen_range %llu %llu", "fault op %llu EIO",
				"fault preempt %llu", "fault continue %llu",
				"fault flush", "flush", "notify_clear %llu %llu",
				"baseline", "clear_errors",
			};
			uint64_t f = fuzz_take(&in, 1) % 19;
			unsigned long long a = fuzz_take(&in, 1) % 8;
			unsigned long long b = fuzz_take(&in, 1);

			if (f == 5 || f == 6 || f == 7 || f == 8)
				b = fuzz_take(&in, 2) % 300;
			if (f == 9 || f == 10) {
				a = pick(&in);
				b %= 16;
			}
			snprintf(cmd, sizeof(cmd), fmt[f], a, b);
			hvs_ctl(m, cmd, strlen(cmd));
			break;
		}
		case 4: {	/* a knob */
			const char *k = knobs[fuzz_take(&in, 1) % 19];

			snprintf(cmd, sizeof(cmd), "set %s %llu", k,
				 (unsigned long long)(fuzz_take(&in, 1) % 24));
			hvs_ctl(m, cmd, strlen(cmd));
			break;
		}
		case 5: {	/* a raw command line */
			nr = fuzz_take(&in, 1) % (sizeof(cmd) - 1);
			for (i = 0; i < nr; i++)
				cmd[i] = fuzz_take(&in, 1);
			cmd[nr] = 0;
			/* An untracked "fault call" would break the rc check. */
			if (!strstr(cmd, "call"))
				FUZZ_CHECK(hvs_ctl(m, cmd, nr) <= 0);
			break;
		}
		case 6: {	/* a pmem report */
			struct xpv_xenpf_pmem_add r;
			uint64_t *w = (uint64_t *)&r;

			for (i = 0; i < 6; i++)
				w[i] = fuzz_take(&in, 1) & 1 ?
				       fuzz_take(&in, 8) :
				       0x100000 + 512 * fuzz_take(&in, 1);
			rc = hvs_pmem_add(m, &r);
			FUZZ_CHECK(!rc || rc == -EINVAL || rc == -EEXIST ||
				   rc == -ENOSPC || rc == -ENOMEM ||
				   rc == -EPERM || rc == -ENOSYS);
			break;
		}
		default: {	/* a call fault, armed and remembered */
			long e = -(long)(1 + fuzz_take(&in, 1) % 100);

			/* Distinct from the returns the stub makes itself. */
			if (e == -EFAULT || e == -EINVAL || e == -ENOSYS)
				break;
			snprintf(cmd, sizeof(cmd), "fault call %ld", e);
			if (!hvs_ctl(m, cmd, strlen(cmd)))
				call_errno = e;
			break;
		}
		}
		if (steps % 8 == 0)
			check_audit(m);
	}
	check_audit(m);
	hvs_model_destroy(m);
	return 0;
}
