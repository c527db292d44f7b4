// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_pmem - Dom0 NVDIMM reporter: reserves Xen page_info space on pmem
 * and reports pmem ranges to Xen.
 *
 * Module entry: select the hypervisor backend and probe whether it
 * implements the pmem report op; say so in one line.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include <xpv/compat.h>
#include <xpv/hv.h>

/**
 * struct xpv_pmem - module state
 * @hv:       hypervisor backend, held from init to exit.
 * @probe_rc: result of the pmem op probe: 0 when the op exists.
 * @dbg:      debugfs directory.
 *
 * Written once at init, read-only afterwards: no lock.
 */
static struct xpv_pmem {
	struct xpv_hv hv;
	int probe_rc;
	struct dentry *dbg;
} xpv;

static int probe_rc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", xpv.probe_rc);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probe_rc);

static int __init xpv_pmem_init(void)
{
	int rc;

	rc = xpv_hv_get(&xpv.hv);
	if (rc) {
		pr_info("not a Xen PV domain and xen_hvstub is not loaded: not loading\n");
		return rc;
	}
	xpv.probe_rc = xpv_hv_pmem_probe(&xpv.hv);

	xpv.dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("probe_rc", 0400, xpv.dbg, NULL, &probe_rc_fops);

	if (xpv.probe_rc)
		pr_info("%s backend: pmem report op 0x%x unavailable (%d): pmem will not be reported\n",
			xpv.hv.ops->name, xpv_hv_pmem_op_nr(), xpv.probe_rc);
	else
		pr_info("%s backend: pmem report op 0x%x available\n",
			xpv.hv.ops->name, xpv_hv_pmem_op_nr());
	return 0;
}
module_init(xpv_pmem_init);

static void __exit xpv_pmem_exit(void)
{
	debugfs_remove(xpv.dbg);
	xpv_hv_put(&xpv.hv);
}
module_exit(xpv_pmem_exit);

MODULE_DESCRIPTION("Xen Dom0 NVDIMM reporter");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
