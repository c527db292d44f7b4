// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_dmaops - QEMU tier, test only: shows which DMA ops each PCI device
 * uses, so a scenario can prove from userspace whose ops a device runs on
 * (e.g. xen_swiotlb_dma_ops in a Xen PV Dom0, dma-direct on bare metal).
 *
 * /sys/kernel/debug/xpv_dmaops/pci has one line per PCI device:
 *
 *	<bdf> <driver, or the bus name when unbound> ops=<symbol> map_page=<symbol>
 *
 * ops= names the struct dma_map_ops get_dma_ops() returns (its symbol, or
 * "dma-direct" when there is none); map_page= names its map_page callback
 * ("-" for dma-direct).  The file is generated on every read.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>

/* The debugfs directory; written at init, removed at exit. */
static struct dentry *xpv_dmaops_dir;

static int pci_show(struct seq_file *m, void *v)
{
	struct pci_dev *pdev = NULL;
	const struct dma_map_ops *ops;

	/* for_each_pci_dev() holds a reference on the device it visits. */
	for_each_pci_dev(pdev) {
		ops = get_dma_ops(&pdev->dev);
		seq_printf(m, "%s %s ", pci_name(pdev),
			   dev_driver_string(&pdev->dev));
		if (ops)
			seq_printf(m, "ops=%ps map_page=%ps\n", ops,
				   ops->map_page);
		else
			seq_puts(m, "ops=dma-direct map_page=-\n");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pci);

static int __init xpv_dmaops_init(void)
{
	xpv_dmaops_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("pci", 0400, xpv_dmaops_dir, NULL, &pci_fops);
	return 0;
}
module_init(xpv_dmaops_init);

static void __exit xpv_dmaops_exit(void)
{
	debugfs_remove(xpv_dmaops_dir);
}
module_exit(xpv_dmaops_exit);

MODULE_DESCRIPTION("QEMU tier test module: the DMA ops of every PCI device");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
