// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_selftest_warn - QEMU tier harness self-test: WARNs on load.
 *
 * The guest runs with panic_on_warn=1, so loading this module panics it;
 * the harness must report the WARNING, the panic and the scenario that
 * never reported its end.  Never load it anywhere else.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>

static int __init xpv_selftest_warn_init(void)
{
	/* The WARN is the point of this module: it proves detection. */
	WARN(1, "deliberate warning (QEMU tier harness self-test)\n");
	/* Without panic_on_warn: never stay loaded. */
	return -ECANCELED;
}
module_init(xpv_selftest_warn_init);

MODULE_DESCRIPTION("QEMU tier harness self-test: WARN on load");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
