// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_pmem - Dom0 NVDIMM reporter (vNVDIMM design v2, section 4.2).
 *
 * Finds the Xen reservation namespace of each pmem region (written by
 * ndctl-xen), validates its info block, fences the reserved area so that
 * nothing in Dom0 can use it, and reports {region, reserved, data} to the
 * hypervisor, which builds its frame table and M2P for the region inside
 * the reserved area.  See Documentation/pmem.rst.
 *
 * This file: module entry, backend selection, debugfs.  nd.c: the nd
 * driver (claim, validate, fence, report, takeover).  sysfs.c: per
 * namespace state.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <xpv/compat.h>
#include "pmem.h"

struct xpv_pmem xpv_pmem = {
	.lock = __MUTEX_INITIALIZER(xpv_pmem.lock),
	.list = LIST_HEAD_INIT(xpv_pmem.list),
};

/* ---- debugfs ---------------------------------------------------------- */

static int probe_rc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", xpv_pmem.probe_rc);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probe_rc);

static int stats_show(struct seq_file *m, void *v)
{
	const struct xpv_pmem_stats *s = &xpv_pmem.stats;

	mutex_lock(&xpv_pmem.lock);
	seq_printf(m, "probes %llu\nclaims %llu\nrepairs %llu\nrefused %llu\nreports_ok %llu\nreports_err %llu\ntakeovers %llu\nadopted %llu\nunreadable %llu\ndeclined %llu\n",
		   s->probes, s->claims, s->repairs, s->refused, s->reports_ok,
		   s->reports_err, s->takeovers, s->adopted, s->unreadable,
		   s->declined);
	mutex_unlock(&xpv_pmem.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* One line per claimed namespace (and orphan): name state err xen_owns rsv */
static int namespaces_show(struct seq_file *m, void *v)
{
	struct xpv_pmem_ns *ns;

	mutex_lock(&xpv_pmem.lock);
	list_for_each_entry(ns, &xpv_pmem.list, node)
		seq_printf(m, "%s %s %d xen_owns=%d bound=%d fence=%d rsv=0x%llx-0x%llx\n",
			   ns->name, xpv_pmem_state_name(ns->state),
			   ns->last_error, ns->xen_owns, !!ns->dev, !!ns->fence,
			   ns->rep.rsv_spfn, ns->rep.rsv_epfn);
	mutex_unlock(&xpv_pmem.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(namespaces);

static ssize_t forget_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	bool yes;
	int rc;

	rc = kstrtobool_from_user(ubuf, len, &yes);
	if (rc)
		return rc;
	if (!yes)
		return len;
	rc = xpv_pmem_forget();
	return rc < 0 ? rc : len;
}

static const struct file_operations forget_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= forget_write,
	.llseek	= noop_llseek,
};

static ssize_t inject_eio_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	unsigned int mask;
	int rc;

	rc = kstrtouint_from_user(ubuf, len, 0, &mask);
	if (rc)
		return rc;
	rc = xpv_pmem_inject_eio(mask);
	return rc < 0 ? rc : len;
}

static const struct file_operations inject_eio_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= inject_eio_write,
	.llseek	= noop_llseek,
};

static void xpv_pmem_debugfs_init(void)
{
	xpv_pmem.dbg = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("probe_rc", 0400, xpv_pmem.dbg, NULL,
			    &probe_rc_fops);
	debugfs_create_file("stats", 0400, xpv_pmem.dbg, NULL, &stats_fops);
	debugfs_create_file("namespaces", 0400, xpv_pmem.dbg, NULL,
			    &namespaces_fops);
	/* Test hook, stub backend only: see xpv_pmem_forget(). */
	debugfs_create_file("forget", 0200, xpv_pmem.dbg, NULL, &forget_fops);
	/* Test hook, stub backend only: see xpv_pmem_inject_eio(). */
	debugfs_create_file("inject_eio", 0200, xpv_pmem.dbg, NULL,
			    &inject_eio_fops);
}

/* ---- module ----------------------------------------------------------- */

/*
 * The info block must carry libnvdimm's own Fletcher-64: check ours
 * against the kernel's on a block with every byte different.
 */
static int xpv_pmem_checksum_selftest(void)
{
	struct xpv_pmem_sb *sb;
	u64 ours, theirs;
	unsigned int i;

	sb = kmalloc(sizeof(*sb), GFP_KERNEL);
	if (!sb)
		return -ENOMEM;
	for (i = 0; i < sizeof(*sb); i++)
		((u8 *)sb)[i] = (u8)(i * 7 + (i >> 8));
	memset(&sb->checksum, 0, sizeof(sb->checksum));
	ours = xpv_pmem_sb_checksum(sb);
	theirs = nd_fletcher64(sb, sizeof(*sb), true);
	kfree(sb);
	if (ours != theirs) {
		pr_err("info block checksum %#llx differs from nd_fletcher64 %#llx: not loading\n",
		       ours, theirs);
		return -EINVAL;
	}
	return 0;
}

static int __init xpv_pmem_init(void)
{
	int rc;

	XPV_PMEM_OP_ABI_CHECK(BUILD_BUG_ON);
	BUILD_BUG_ON(sizeof(struct xpv_pmem_sb) != XPV_PMEM_SB_SIZE);
	rc = xpv_pmem_checksum_selftest();
	if (rc)
		return rc;
	rc = xpv_hv_get(&xpv_pmem.hv);
	if (rc) {
		pr_info("not a Xen PV domain and xen_hvstub is not loaded: not loading\n");
		return rc;
	}
	xpv_pmem.probe_rc = xpv_hv_pmem_probe(&xpv_pmem.hv);
	if (xpv_pmem.probe_rc)
		pr_info("%s backend: pmem report op %#x unavailable (%d): reservations are validated and fenced but not reported\n",
			xpv_pmem.hv.ops->name, xpv_hv_pmem_op_nr(),
			xpv_pmem.probe_rc);
	else
		pr_info("%s backend: pmem report op %#x available\n",
			xpv_pmem.hv.ops->name, xpv_hv_pmem_op_nr());

	xpv_pmem_debugfs_init();
	rc = xpv_pmem_driver_init();
	if (rc) {
		pr_err("cannot register the nd driver (%d)\n", rc);
		goto err_dbg;
	}
	return 0;

err_dbg:
	debugfs_remove_recursive(xpv_pmem.dbg);
	xpv_hv_put(&xpv_pmem.hv);
	return rc;
}
module_init(xpv_pmem_init);

static void __exit xpv_pmem_exit(void)
{
	debugfs_remove_recursive(xpv_pmem.dbg);
	xpv_pmem_driver_exit();
	xpv_pmem_release_all();
	xpv_hv_put(&xpv_pmem.hv);
}
module_exit(xpv_pmem_exit);

MODULE_DESCRIPTION("Xen Dom0 NVDIMM reporter");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_CORE);
/*
 * No MODULE_ALIAS_ND_DEVICE(): udev would load the module for every pmem
 * namespace of every host, Xen or not.  Xen hosts load it before nd_pmem
 * through the softdep in tools/ndctl-ext/xen-pmem.conf.
 */
