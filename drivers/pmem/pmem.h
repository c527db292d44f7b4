/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmem.h - xen_pmem internals shared by its files.
 *
 * One struct xpv_pmem_ns per reservation namespace the driver claimed.  It
 * lives from probe until remove, or, when Xen may own its reserved range,
 * until the kernel goes down (it then stays on xpv_pmem.list as an
 * "orphan" with dev == NULL, keeping the fence, and pins the module).
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#ifndef XPV_PMEM_INTERNAL_H
#define XPV_PMEM_INTERNAL_H

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/nd.h>
#include <linux/types.h>

#include <xpv/hv.h>
#include <xpv/pmem_sb.h>

#define XPV_PMEM_REASON_LEN	160
/*
 * Name of the fence in /proc/iomem.  Each fence gets its own allocated
 * copy: a fence the hypervisor may own outlives its namespace and, should
 * the module ever go with one still held, the module's memory too.
 */
#define XPV_PMEM_FENCE_NAME	"Xen pmem reserved"

/* Test hook (stub backend only): make the next claim's reads fail. */
#define XPV_PMEM_EIO_PRIMARY	0x1
#define XPV_PMEM_EIO_BACKUP	0x2

/*
 * libnvdimm exports these (see Module.symvers of both supported kernels)
 * but declares them only in its private drivers/nvdimm/nd.h.  The
 * prototypes are identical in 6.1 and 6.12.
 */
struct nd_namespace_common *nvdimm_namespace_common_probe(struct device *dev);
int devm_namespace_enable(struct device *dev, struct nd_namespace_common *ndns,
			  resource_size_t size);
void devm_namespace_disable(struct device *dev,
			    struct nd_namespace_common *ndns);

/**
 * enum xpv_pmem_state - what became of a claimed reservation namespace
 * @XPV_PMEM_ST_INVALID:     no usable info block (or it could not be read):
 *                           nothing fenced, nothing reported.
 * @XPV_PMEM_ST_BUSY:        the reserved range is already claimed in Dom0:
 *                           not fenced by us, not reported.
 * @XPV_PMEM_ST_UNSUPPORTED: the hypervisor has no report op (-ENOSYS):
 *                           fenced, not reported.
 * @XPV_PMEM_ST_REJECTED:    the hypervisor refused the report: fenced, not
 *                           reported (and, unless it said that nothing was
 *                           taken, kept fenced: see xpv_pmem_report_may_own()).
 * @XPV_PMEM_ST_REPORTED:    accepted: Xen owns the reserved range.
 * @XPV_PMEM_ST_NR:          number of states.
 */
enum xpv_pmem_state {
	XPV_PMEM_ST_INVALID,
	XPV_PMEM_ST_BUSY,
	XPV_PMEM_ST_UNSUPPORTED,
	XPV_PMEM_ST_REJECTED,
	XPV_PMEM_ST_REPORTED,
	XPV_PMEM_ST_NR
};

/**
 * struct xpv_pmem_ns - one claimed reservation namespace
 * @node:        on xpv_pmem.list.
 * @dev:         the namespace device; NULL once unbound (orphan).
 * @name:        its name, kept for messages after unbind.
 * @state:       outcome of the last claim.
 * @last_error:  0 or the negative errno behind @state.
 * @reason:      one line saying why, empty when reported.
 * @used:        which info block copy was trusted.
 * @repaired:    which copy was rewritten from the other (USE_NONE: none).
 * @info:        the trusted block, decoded (valid when @used != NONE).
 * @rep:         the report derived from @info (valid when @have_rep).
 * @have_rep:    @rep was derived (the range attributes exist).
 * @fence:       busy exclusive iomem resource over the reserved range, or
 *               NULL.
 * @xen_owns:    Xen may own the reserved range (reported, or refused with
 *               anything but -ENOSYS/-EPERM/-EINVAL/-ENOSPC): the fence
 *               is never released and the module holds one reference for
 *               it.
 *
 * Every field is protected by xpv_pmem.lock once the namespace is on the
 * list; probe fills it before publishing it.
 */
struct xpv_pmem_ns {
	struct list_head node;
	struct device *dev;
	char name[32];
	enum xpv_pmem_state state;
	int last_error;
	char reason[XPV_PMEM_REASON_LEN];
	enum xpv_pmem_sb_use used;
	enum xpv_pmem_sb_use repaired;
	struct xpv_pmem_sb_info info;
	struct xpv_xenpf_pmem_add rep;
	bool have_rep;
	struct resource *fence;
	bool xen_owns;
};

/**
 * struct xpv_pmem_stats - event counters (debugfs "stats")
 * @probes:      namespaces offered to the driver.
 * @claims:      reservation namespaces bound.
 * @repairs:     info block copies rewritten.
 * @refused:     claims whose info block was refused.
 * @reports_ok:  reports the hypervisor accepted.
 * @reports_err: reports the hypervisor refused (any errno).
 * @takeovers:   namespaces taken over from another driver.
 * @adopted:     orphan fences adopted by a new claim.
 * @unreadable:  info block copies that could not be read (media errors).
 * @declined:    claims refused because the module was unloading.
 */
struct xpv_pmem_stats {
	u64 probes;
	u64 claims;
	u64 repairs;
	u64 refused;
	u64 reports_ok;
	u64 reports_err;
	u64 takeovers;
	u64 adopted;
	u64 unreadable;
	u64 declined;
};

/**
 * struct xpv_pmem - module state
 * @hv:       hypervisor backend, held from init to exit.
 * @probe_rc: 0 when the backend implements the report op, else its error.
 * @lock:     protects @list, every listed xpv_pmem_ns, @stats, @stopping
 *            and @inject_eio.
 * @list:     claimed namespaces and orphans.
 * @stats:    counters.
 * @stopping: module exit has begun: no new claim, no takeover.
 * @inject_eio: XPV_PMEM_EIO_* reads the next claim fails (test hook).
 * @drv:      the nd driver.
 * @nb:       nd bus notifier (late binds to other drivers).
 * @wq:       takeover work.
 * @dbg:      debugfs directory.
 */
struct xpv_pmem {
	struct xpv_hv hv;
	int probe_rc;
	struct mutex lock;	/* @list, listed ns, @stats, @stopping, @inject_eio */
	struct list_head list;
	struct xpv_pmem_stats stats;
	bool stopping;
	u32 inject_eio;
	struct nd_device_driver drv;
	struct notifier_block nb;
	struct workqueue_struct *wq;
	struct dentry *dbg;
};

extern struct xpv_pmem xpv_pmem;
extern const struct attribute_group *xpv_pmem_dev_groups[];
extern const struct attribute_group *xpv_pmem_drv_groups[];

const char *xpv_pmem_state_name(enum xpv_pmem_state state);
int xpv_pmem_driver_init(void);
void xpv_pmem_driver_exit(void);
int xpv_pmem_forget(void);
int xpv_pmem_inject_eio(u32 mask);
void xpv_pmem_release_all(void);

#endif /* XPV_PMEM_INTERNAL_H */
