// SPDX-License-Identifier: GPL-2.0-only
/* SOURCES: drivers/hvstub/model.c */
/*
 * The in-guest program tests/qemu/guest/hvstub_cases.c, run against the
 * model in userspace: the same table, random batches and wrong callers,
 * with the debugfs files replaced by direct calls into a model laid out
 * like a 1 GiB guest.  Its "ok/not ok" lines go to a temporary file; each
 * "not ok" line is reported here.
 */
#include <linux/errno.h>
#include <stdarg.h>
#include <unistd.h>
#include "unit.h"
#include "../../drivers/hvstub/model.h"

/* Built with -Wall in the guest; -Wextra's style warnings don't apply. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define main hvstub_cases_main
#include "../qemu/guest/hvstub_cases.c"
#undef main
#pragma GCC diagnostic pop

static struct hvs_model *cm;

static int m_ctl(const char *cmd)
{
	return hvs_ctl(cm, cmd, strlen(cmd));
}

/* The debugfs "hypercall" file, as drivers/hvstub/debugfs.c runs it. */
static int m_hc(const struct hvs_hc_req *req, void *payload, size_t len,
		long long *rc)
{
	char *buf = calloc(1, len + 8);
	size_t shift = (req->flags & HVS_HC_MISALIGN) ? 1 : 0;
	struct pv_iommu_op *ops = (struct pv_iommu_op *)(buf + shift);

	if (!buf)
		return -ENOMEM;
	if (req->kind == HVS_HC_DECREASE || req->kind == HVS_HC_POPULATE) {
		if (req->count != req->nr_ops || req->flags) {
			free(buf);
			return -EINVAL;
		}
	}
	memcpy(buf + shift, payload, len);
	if (req->flags & HVS_HC_NULL)
		ops = NULL;
	if (req->kind == HVS_HC_PMEM)
		*rc = hvs_pmem_add(cm, (struct xpv_xenpf_pmem_add *)buf);
	else if (req->kind == HVS_HC_DECREASE || req->kind == HVS_HC_POPULATE)
		*rc = hvs_reservation(cm, req->kind == HVS_HC_DECREASE ?
				      HVS_RESV_DECREASE : HVS_RESV_POPULATE,
				      (unsigned long *)buf, req->count);
	else
		*rc = hvs_iommu_op(cm, ops, req->count, req->nr_ops);
	if (req->kind != HVS_HC_PMEM)
		memcpy(payload, buf + shift, len);
	free(buf);
	return 0;
}

struct mbuf {
	char *p;
	size_t len, cap;
};

static void m_emit(void *ctx, const char *fmt, ...)
{
	struct mbuf *b = ctx;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < b->cap - b->len ? (size_t)n :
			  b->cap - b->len - 1;
}

static int m_read(const char *name, char *buf, size_t len)
{
	struct mbuf b = { buf, 0, len };
	struct hvs_out out = { m_emit, &b };

	buf[0] = 0;
	if (!strcmp(name, "audit"))
		hvs_audit(cm, &out);
	else if (!strcmp(name, "config"))
		hvs_show(cm, HVS_VIEW_CONFIG, &out);
	else if (!strcmp(name, "counters"))
		hvs_show(cm, HVS_VIEW_COUNTERS, &out);
	else if (!strcmp(name, "domains"))
		hvs_show(cm, HVS_VIEW_DOMAINS, &out);
	else
		return -ENOENT;
	return 0;
}

static const struct cases_io model_io = { m_ctl, m_hc, m_read };

static void *c_zalloc(size_t s)
{
	return calloc(1, s);
}

static void c_free(void *p)
{
	free(p);
}

/* Run the program with @argv on a fresh model; return its "not ok" count. */
static unsigned int run_cases(int argc, char **argv, unsigned int *checks)
{
	static const struct hvs_env env = { c_zalloc, c_free, NULL, NULL };
	struct hvs_layout lay = {
		.dom0_pages = 0x40000, .xen_frames = 512, .pool_frames = 16384,
	};
	struct hvs_config cfg;
	char path[] = "/tmp/hvstub_cases.XXXXXX", line[512];
	unsigned int bad = 0;
	int fd, saved, err, rc;
	FILE *f;

	hvs_config_default(&cfg);
	cm = hvs_model_create(&env, &cfg, &lay, &err);
	CHECK(cm != NULL);
	if (!cm)
		return 1;
	cases_io_override = &model_io;
	n_checks = 0;
	n_failed = 0;
	fd = mkstemp(path);
	CHECK(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	rc = hvstub_cases_main(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	CHECK_EQ(rc, 0);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "not ok", 6)) {
			fprintf(stderr, "  %s", line);
			bad++;
		} else if (getenv("UNIT_HVSTUB_VERBOSE")) {
			fprintf(stderr, "  %s", line);
		}
	}
	if (f)
		fclose(f);
	unlink(path);
	*checks = n_checks;
	hvs_model_destroy(cm);
	cm = NULL;
	return bad;
}

UNIT_TEST(cases_table_against_model)
{
	char *argv[] = { "hvstub_cases", "table", NULL };
	unsigned int checks, bad = run_cases(2, argv, &checks);

	CHECK_EQ(bad, 0);
	CHECK(checks >= 300);
	fprintf(stderr, "  table: %u checks\n", checks);
}

UNIT_TEST(cases_random_against_model)
{
	u64 seed = unit_seed("cases_random_against_model");
	char s[32];
	char *argv[] = { "hvstub_cases", "random", "20000", s, NULL };
	unsigned int checks, bad;

	snprintf(s, sizeof(s), "%llu", (unsigned long long)seed);
	bad = run_cases(4, argv, &checks);
	CHECK_EQ(bad, 0);
}

UNIT_TEST(cases_wrongcaller_against_model)
{
	char *argv[] = { "hvstub_cases", "wrongcaller", NULL };
	unsigned int checks, bad = run_cases(2, argv, &checks);

	CHECK_EQ(bad, 0);
	CHECK_EQ(checks, 8);
}

UNIT_MAIN
