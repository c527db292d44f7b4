// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_hvstub - a stub hypervisor for tests: implements the iommu_op and
 * pmem report hypercalls on a model of Xen and of the calling domain
 * (model.c), so the drivers run on any kernel.  This file is the kernel
 * glue: module parameters (the model's initial knobs), the backend ops
 * registered with xen_pvcore, and the lock.  Test-only; refuses to load
 * inside a real Xen domain unless forced.  See Documentation/hvstub.rst.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <xen/xen.h>
#include <asm/xen/page.h>

#include <xpv/compat.h>
#include <xpv/hv.h>

#include "stub.h"

static bool force;
module_param(force, bool, 0444);
MODULE_PARM_DESC(force,
		 "load even inside a real Xen domain (model tests only; default 0)");

static bool disabled;
module_param(disabled, bool, 0444);
MODULE_PARM_DESC(disabled,
		 "both hypercalls return -ENOSYS, like a Xen without them (default 0)");

static bool hardware_domain = true;
module_param(hardware_domain, bool, 0444);
MODULE_PARM_DESC(hardware_domain,
		 "the caller is the hardware domain (default 1)");

static bool nonhw_enosys = true;
module_param(nonhw_enosys, bool, 0444);
MODULE_PARM_DESC(nonhw_enosys,
		 "iommu_op returns -ENOSYS to a non-hardware domain, as XenServer does; 0: the spec's driver-domain rules (default 1)");

static bool has_devices;
module_param(has_devices, bool, 0444);
MODULE_PARM_DESC(has_devices,
		 "a non-hardware caller has IOMMU-controlled devices (default 0)");

static bool iommu = true;
module_param(iommu, bool, 0444);
MODULE_PARM_DESC(iommu, "the host has an IOMMU; 0: no-IOMMU host (default 1)");

static bool passthrough;
module_param(passthrough, bool, 0444);
MODULE_PARM_DESC(passthrough, "Xen's dom0-passthrough mode (default 0)");

static bool strict;
module_param(strict, bool, 0444);
MODULE_PARM_DESC(strict, "Xen's dom0-strict mode (default 0)");

static bool map_cap = true;
module_param(map_cap, bool, 0444);
MODULE_PARM_DESC(map_cap,
		 "Xen offers IOMMUOP_map_page to the caller (default 1)");

static bool map_all_gfns = true;
module_param(map_all_gfns, bool, 0444);
MODULE_PARM_DESC(map_all_gfns,
		 "a non-strict hardware domain may map any frame not Xen's (default 1)");

static uint max_order = 9;
module_param(max_order, uint, 0444);
MODULE_PARM_DESC(max_order,
		 "largest page order accepted and reported by query_caps, 0-20 (default 9)");

static unsigned long long foreign_offset;
module_param(foreign_offset, ullong, 0444);
MODULE_PARM_DESC(foreign_offset,
		 "window offset in frames: BFN = MFN + offset for host RAM with default_map=window, reported by query_caps (default 0: none; window alone uses 0x3e00000)");

static char *default_map = "auto";
module_param(default_map, charp, 0444);
MODULE_PARM_DESC(default_map,
		 "Xen's IOMMU map of the caller before any op: identity, window or none (default auto: window if foreign_offset is set, else identity)");

static uint bfn_bits = 36;
module_param(bfn_bits, uint, 0444);
MODULE_PARM_DESC(bfn_bits,
		 "IOMMU address width in bus-frame-number bits, 20-48 (default 36: 48-bit addresses)");

static bool pmem_enosys;
module_param(pmem_enosys, bool, 0444);
MODULE_PARM_DESC(pmem_enosys, "the pmem report op returns -ENOSYS (default 0)");

static uint page_info_size = 32;
module_param(page_info_size, uint, 0444);
MODULE_PARM_DESC(page_info_size,
		 "bytes of page_info Xen needs per pmem frame (default 32)");

static uint m2p_size = 8;
module_param(m2p_size, uint, 0444);
MODULE_PARM_DESC(m2p_size,
		 "bytes of M2P Xen needs per pmem frame (default 8)");

static uint p2m_mode;
module_param(p2m_mode, uint, 0444);
MODULE_PARM_DESC(p2m_mode,
		 "the caller's P2M: 0 identity (real devices DMA), 1 scrambled pages, 2 scrambled 2 MiB chunks, 3 shifted by p2m_shift (default 0)");

static unsigned long long p2m_seed = 1;
module_param(p2m_seed, ullong, 0444);
MODULE_PARM_DESC(p2m_seed, "seed of the scrambled P2M modes (default 1)");

static unsigned long long p2m_shift;
module_param(p2m_shift, ullong, 0444);
MODULE_PARM_DESC(p2m_shift, "frames added by p2m_mode=3 (default 0)");

static unsigned long long dom0_pages;
module_param(dom0_pages, ullong, 0444);
MODULE_PARM_DESC(dom0_pages,
		 "pfns of the caller's modelled RAM (default 0: up to the highest System RAM pfn)");

static unsigned long long xen_frames = 512;
module_param(xen_frames, ullong, 0444);
MODULE_PARM_DESC(xen_frames,
		 "Xen-owned frames at MFN 0x100000000 (default 512)");

static unsigned long long pool_frames = 16384;
module_param(pool_frames, ullong, 0444);
MODULE_PARM_DESC(pool_frames,
		 "free host frames for foreign domains (default 16384 = 64 MiB)");

static char *rmrr = "";
module_param(rmrr, charp, 0444);
MODULE_PARM_DESC(rmrr,
		 "RMRR ranges as BFN:NR[,BFN:NR...] (default none)");

struct hvs_stub hvs_stub = {
	.lock = __MUTEX_INITIALIZER(hvs_stub.lock),
};

static void *hvs_env_zalloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void hvs_env_free(void *p)
{
	kvfree(p);
}

static void hvs_env_resched(void)
{
	cond_resched();
}

/*
 * A continuation of a long hypercall: the model is consistent and has
 * flushed.  Let every other user of the stub in, so that nobody waits on
 * the lock for the whole of a hypercall, however long (hung tasks).
 */
static void hvs_env_preempt(void)
{
	lockdep_assert_held(&hvs_stub.lock);
	mutex_unlock(&hvs_stub.lock);
	cond_resched();
	mutex_lock(&hvs_stub.lock);
}

static const struct hvs_env hvs_kernel_env = {
	.zalloc	= hvs_env_zalloc,
	.free	= hvs_env_free,
	.resched = hvs_env_resched,
	.preempt = hvs_env_preempt,
};

static long hvs_stub_iommu_op(struct pv_iommu_op *ops, unsigned int count)
{
	long rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_iommu_op(hvs_stub.model, ops, count, count);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}

static long hvs_stub_pmem_add(const struct xpv_xenpf_pmem_add *op)
{
	long rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_pmem_add(hvs_stub.model, op);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}

/* No lock: the model's P2M is read with single loads. */
u64 hvs_stub_pfn_to_gfn(unsigned long pfn)
{
	if (hvs_stub.xen)
		return hvs_stub.xen->pfn_to_gfn(pfn);
	return hvs_pfn_to_gfn(hvs_stub.model, pfn);
}

/* As hvs_stub_pfn_to_gfn(), for a run of pfns. */
static unsigned long hvs_stub_own_pages(unsigned long pfn, unsigned long nr)
{
	if (hvs_stub.xen)
		return hvs_stub.xen->own_pages(pfn, nr);
	return hvs_own_pages(hvs_stub.model, pfn, nr);
}

/*
 * The M2P: the pfn a frame of the caller was last given, whatever the
 * caller's P2M says now (Xen keeps the M2P; the guest owns the P2M).
 */
static u64 hvs_stub_gfn_to_pfn(u64 gfn)
{
	struct hvs_frame_info fi;
	int rc;

	if (hvs_stub.xen)
		return hvs_stub.xen->gfn_to_pfn(gfn);
	mutex_lock(&hvs_stub.lock);
	rc = hvs_frame_get(hvs_stub.model, gfn, &fi);
	mutex_unlock(&hvs_stub.lock);
	if (rc || fi.owner != 0 || fi.gfn == HVS_INVALID)
		return XPV_INVALID_GFN;
	return fi.gfn;
}

static int hvs_stub_invalidate_pop(u16 domid, u16 ioserver, u64 *bfn)
{
	int rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_notify_pop(hvs_stub.model, domid, ioserver, bfn);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}

static long hvs_stub_reservation(enum xpv_hv_resv op, unsigned long *frames,
				 unsigned int count)
{
	long rc;

	/* The same numbers: a bad op stays bad (-EINVAL). */
	BUILD_BUG_ON(XPV_RESV_DECREASE != HVS_RESV_DECREASE);
	BUILD_BUG_ON(XPV_RESV_POPULATE != HVS_RESV_POPULATE);
	if (hvs_stub.xen)
		return hvs_stub.xen->reservation(op, frames, count);
	mutex_lock(&hvs_stub.lock);
	rc = hvs_reservation(hvs_stub.model, op, frames, count);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}

static const struct xpv_hv_ops hvs_stub_ops = {
	.name		= "stub",
	.owner		= THIS_MODULE,
	.iommu_op	= hvs_stub_iommu_op,
	.pmem_add	= hvs_stub_pmem_add,
	.pfn_to_gfn	= hvs_stub_pfn_to_gfn,
	.own_pages	= hvs_stub_own_pages,
	.gfn_to_pfn	= hvs_stub_gfn_to_pfn,
	.reservation	= hvs_stub_reservation,
	.invalidate_pop	= hvs_stub_invalidate_pop,
};

/**
 * xpv_hvstub_p2m_set() - test hook: the calling domain writes its own P2M
 * @pfn: one of its pfns (below the stub's dom0_pages)
 * @gfn: the frame to enter (one of its allocated frames, e.g. one that
 *       XPV_RESV_POPULATE returned), or XPV_INVALID_GFN to invalidate
 *
 * What a PV guest's __set_phys_to_machine() does around a reservation
 * change: pfn_to_gfn() returns @gfn from now on (one word, written while
 * readers may run).  Exported in namespace XPV_NS_STUB_TEST; tests only.
 *
 * Context: process context; may sleep (takes the stub's lock).
 * Return: 0, -EINVAL (@pfn beyond the modelled RAM), -EBUSY (@pfn holds
 * a grant mapping), -EPERM (@gfn not an allocated frame of the caller),
 * -EOPNOTSUPP (loaded with force=1 in Xen: the P2M is the real one).
 */
int xpv_hvstub_p2m_set(unsigned long pfn, u64 gfn)
{
	int rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_p2m_set(hvs_stub.model, pfn, gfn);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_hvstub_p2m_set, XPV_NS_STUB_TEST);

/**
 * xpv_hvstub_grant_map() - test hook: map a foreign frame at a pfn
 * @domid: the granting domain (created through debugfs)
 * @gfn:   its frame
 * @pfn:   the caller's pfn: ballooned out (P2M invalid) or beyond the
 *         modelled RAM (unpopulated space)
 *
 * What GNTTABOP_map_grant_ref + set_foreign_p2m_mapping() do for
 * gntdev/blkback: pfn_to_gfn(@pfn) returns mfn | XPV_GFN_FOREIGN, and the
 * frame holds a page reference, until xpv_hvstub_grant_unmap().  The
 * IOMMU is untouched: a device reaches the frame at its default-map BFN
 * (MFN, or MFN + window offset), not at BFN = @pfn.  Exported in
 * namespace XPV_NS_STUB_TEST; tests only.
 *
 * Context: process context; may sleep (takes the stub's lock).
 * Return: 0, -ENXIO (no such live domain, @gfn not populated), -EBUSY
 * (@pfn populated or granted), -EINVAL (bad @domid or @pfn), -EPERM (a
 * Xen-owned frame), -ENOSPC (too many pfns beyond RAM granted), -ENOMEM,
 * -EOPNOTSUPP (forced in Xen).
 */
int xpv_hvstub_grant_map(u16 domid, u64 gfn, unsigned long pfn)
{
	int rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_grant_map(hvs_stub.model, domid, gfn, pfn);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_hvstub_grant_map, XPV_NS_STUB_TEST);

/**
 * xpv_hvstub_grant_unmap() - test hook: undo xpv_hvstub_grant_map()
 * @pfn: the granted pfn
 *
 * Restores the pfn's previous P2M state (invalid, or identity beyond the
 * modelled RAM) and drops the page reference.  Exported in namespace
 * XPV_NS_STUB_TEST; tests only.
 *
 * Context: process context; may sleep (takes the stub's lock).
 * Return: 0, -ENOENT (no grant at @pfn), -EOPNOTSUPP (forced in Xen).
 */
int xpv_hvstub_grant_unmap(unsigned long pfn)
{
	int rc;

	mutex_lock(&hvs_stub.lock);
	rc = hvs_grant_unmap(hvs_stub.model, pfn);
	mutex_unlock(&hvs_stub.lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(xpv_hvstub_grant_unmap, XPV_NS_STUB_TEST);

static int hvs_ram_end(struct resource *res, void *arg)
{
	u64 *end = arg;

	if (PFN_DOWN(res->end) + 1 > *end)
		*end = PFN_DOWN(res->end) + 1;
	return 0;
}

/* The highest System RAM pfn + 1 (memory present at load). */
static u64 hvs_max_ram_pfn(void)
{
	u64 end = 0;

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
			    U64_MAX, &end, hvs_ram_end);
	return end;
}

static int hvs_parse_default_map(struct hvs_config *cfg)
{
	if (!strcmp(default_map, "auto"))
		cfg->default_map = foreign_offset ? HVS_DEFMAP_WINDOW :
						    HVS_DEFMAP_IDENTITY;
	else if (!strcmp(default_map, "identity"))
		cfg->default_map = HVS_DEFMAP_IDENTITY;
	else if (!strcmp(default_map, "window"))
		cfg->default_map = HVS_DEFMAP_WINDOW;
	else if (!strcmp(default_map, "none"))
		cfg->default_map = HVS_DEFMAP_NONE;
	else
		return -EINVAL;
	cfg->window_offset = foreign_offset ? foreign_offset :
					      HVS_WINDOW_OFFSET_DEFAULT;
	return 0;
}

static void hvs_params_to_config(struct hvs_config *cfg)
{
	hvs_config_default(cfg);
	cfg->disabled = disabled;
	cfg->hardware_domain = hardware_domain;
	cfg->nonhw_enosys = nonhw_enosys;
	cfg->has_devices = has_devices;
	cfg->iommu = iommu;
	cfg->passthrough = passthrough;
	cfg->strict = strict;
	cfg->map_cap = map_cap;
	cfg->map_all_gfns = map_all_gfns;
	cfg->max_order = max_order;
	cfg->bfn_bits = bfn_bits;
	cfg->pmem_enosys = pmem_enosys;
	cfg->page_info_size = page_info_size;
	cfg->m2p_size = m2p_size;
}

/* "BFN:NR,BFN:NR": each range becomes an "rmrr BFN NR" command. */
static int hvs_apply_rmrr(struct hvs_model *m)
{
	char *s, *buf, *tok, *colon;
	char cmd[64];
	int rc = 0;

	if (!rmrr || !*rmrr)
		return 0;
	buf = kstrdup(rmrr, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = buf;
	while (!rc && (tok = strsep(&s, ",")) != NULL) {
		colon = strchr(tok, ':');
		if (!colon) {
			rc = -EINVAL;
			break;
		}
		*colon = ' ';
		snprintf(cmd, sizeof(cmd), "rmrr %s", tok);
		rc = hvs_ctl(m, cmd, strlen(cmd));
	}
	kfree(buf);
	return rc;
}

static u64 *hvs_real_p2m(u64 pages)
{
	u64 *p2m = vmalloc_array(pages, sizeof(*p2m));
	u64 pfn;

	if (!p2m)
		return NULL;
	for (pfn = 0; pfn < pages; pfn++) {
		unsigned long mfn = __pfn_to_mfn(pfn);

		/* Identity (non-RAM) and foreign frames are not the caller's. */
		p2m[pfn] = (mfn == INVALID_P2M_ENTRY ||
			    (mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT))) ?
			   HVS_INVALID : mfn;
	}
	return p2m;
}

static int __init hvs_stub_init(void)
{
	struct hvs_layout lay = { };
	struct hvs_config cfg;
	u64 *p2m = NULL;
	int rc;

	/* The model's constants are the ABI's. */
	BUILD_BUG_ON(HVS_GFN_FOREIGN != XPV_GFN_FOREIGN);
	BUILD_BUG_ON(HVS_INVALID != XPV_INVALID_GFN);
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
	if (xen_domain() && !force) {
		pr_err("refusing to load in a real Xen domain (use force=1 for model tests)\n");
		return -EPERM;
	}
	hvs_params_to_config(&cfg);
	if (max_order > HVS_MAX_ORDER || hvs_parse_default_map(&cfg)) {
		pr_err("bad parameters: max_order=%u (0-%u), default_map=%s\n",
		       max_order, HVS_MAX_ORDER, default_map);
		return -EINVAL;
	}
	lay.dom0_pages = dom0_pages ? dom0_pages : hvs_max_ram_pfn();
	lay.p2m_mode = p2m_mode;
	lay.p2m_seed = p2m_seed;
	lay.p2m_shift = p2m_shift;
	lay.xen_frames = xen_frames;
	lay.pool_frames = pool_frames;
	if (p2m_mode >= HVS_P2M_REAL) {
		pr_err("p2m_mode=%u out of range 0-3\n", p2m_mode);
		return -EINVAL;
	}
	if (xen_pv_domain()) {
		p2m = hvs_real_p2m(lay.dom0_pages);
		if (!p2m)
			return -ENOMEM;
		lay.p2m = p2m;
		lay.p2m_mode = HVS_P2M_REAL;
		hvs_stub.xen = xpv_hv_xen();
	}
	hvs_stub.model = hvs_model_create(&hvs_kernel_env, &cfg, &lay, &rc);
	vfree(p2m);
	if (!hvs_stub.model) {
		pr_err("cannot build the model (%d)\n", rc);
		return rc;
	}
	rc = hvs_apply_rmrr(hvs_stub.model);
	if (rc) {
		pr_err("bad rmrr=%s (%d)\n", rmrr, rc);
		goto err_model;
	}
	/* The rmrr ranges are part of the initial state. */
	hvs_ctl(hvs_stub.model, "baseline", 8);
	hvs_debugfs_init(&hvs_stub);
	rc = xpv_hv_register_stub(&hvs_stub_ops);
	if (rc) {
		pr_err("another stub backend is registered\n");
		goto err_debugfs;
	}
	pr_info("stub hypervisor ready: map_cap=%d map_all_gfns=%d max_order=%u default_map=%s dom0_pages=%llu p2m_mode=%u\n",
		map_cap, map_all_gfns, max_order,
		cfg.default_map == HVS_DEFMAP_IDENTITY ? "identity" :
		cfg.default_map == HVS_DEFMAP_WINDOW ? "window" : "none",
		(unsigned long long)lay.dom0_pages, lay.p2m_mode);
	return 0;

err_debugfs:
	hvs_debugfs_exit(&hvs_stub);
err_model:
	hvs_model_destroy(hvs_stub.model);
	hvs_stub.model = NULL;
	return rc;
}
module_init(hvs_stub_init);

static void __exit hvs_stub_exit(void)
{
	xpv_hv_unregister_stub(&hvs_stub_ops);
	hvs_debugfs_exit(&hvs_stub);
	hvs_model_destroy(hvs_stub.model);
}
module_exit(hvs_stub_exit);

MODULE_DESCRIPTION("Stub Xen hypervisor for testing xen_pviommu and xen_pmem");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
