// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpv_emu_stress - QEMU tier, test only: several kernel threads hammer
 * xen_pviommu's emulator API on two handles of one guest (one mapping with
 * XPV_EMU_SWAP, one without) while the scenario balloons the guest's pages
 * out and back in, so maps, lookups, unmaps, invalidations, callbacks and
 * the BFN allocator's per-CPU magazines interleave.  With one vCPU the
 * threads interleave where they sleep (the handle's mutex, the pauses
 * below); with more, they also run at once.
 *
 * /sys/kernel/debug/xpv_emu_stress/
 *   ctl     "run DOMID IOS_SWAP IOS_PLAIN GFNS THREADS MS": open both
 *           handles, run THREADS threads for MS ms over gfns 0 .. GFNS-1
 *           (orders 0 and 4), have each drop every reference it holds,
 *           close the handles; the write fails with the first
 *           unexpected errno
 *   result  "ops=N maps=N unmaps=N lookups=N refused=N inv=N errors=N"
 *           and, after an error, what it was
 *
 * What each thread checks: every BFN it gets is aligned to its order and
 * inside the window; a lookup of a block it holds answers that BFN or
 * -ENOENT (invalidated); a map may only fail with -ENXIO (a page of the
 * block is ballooned out) or, for order 4, -ENOSPC (a re-populated block
 * is no longer machine-contiguous); every unmap of a reference it holds
 * succeeds.
 *
 * Copyright (c) 2026 The xen-pviommu authors.
 */
#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <xpv/compat.h>
#include <xpv/pviommu.h>

#define XST_THREADS	8
#define XST_HELD	128

/**
 * struct xst_ref - a reference a thread holds
 * @gfn:   first gfn of the block.
 * @bfn:   its BFN.
 * @order: its order.
 */
struct xst_ref {
	u64 gfn;
	u64 bfn;
	unsigned int order;
};

/**
 * struct xst_thread - one thread's state
 * @emu:   the handle it uses.
 * @flags: XPV_EMU_SWAP or 0 (per handle).
 * @gfns:  gfns 0 .. @gfns - 1.
 * @task:  the thread.
 * @held:  references held.
 * @nheld: entries in @held.
 */
struct xst_thread {
	struct xpv_emu *emu;
	unsigned int flags;
	u64 gfns;
	struct task_struct *task;
	struct xst_ref held[XST_HELD];
	unsigned int nheld;
};

static struct xpv_emu_caps xst_caps;
static atomic64_t xst_ops, xst_maps, xst_unmaps, xst_lookups, xst_refused,
		  xst_inv, xst_errors;
static char xst_err[160];		/* first error; under xst_lock */
static DEFINE_MUTEX(xst_lock);		/* serialises runs and xst_err */
static DEFINE_SPINLOCK(xst_err_lock);	/* xst_err while threads run */
static struct dentry *xst_dir;

static void xst_fail(const char *what, u64 gfn, u64 bfn, int rc)
{
	if (atomic64_inc_return(&xst_errors) != 1)
		return;
	spin_lock(&xst_err_lock);
	snprintf(xst_err, sizeof(xst_err),
		 "%s: gfn 0x%llx bfn 0x%llx rc %d", what, gfn, bfn, rc);
	spin_unlock(&xst_err_lock);
	pr_err("%s: gfn 0x%llx bfn 0x%llx rc %d\n", what, gfn, bfn, rc);
}

/* Invalidated mappings keep their references: the threads drop them. */
static void xst_invalidate(struct xpv_emu *emu, void *priv, u64 gfn, u64 bfn,
			   unsigned int order, enum xpv_emu_inv how)
{
	atomic64_inc(&xst_inv);
}

static const struct xpv_emu_ops xst_ops_cb = {
	.invalidate = xst_invalidate,
};

static bool xst_bfn_ok(u64 bfn, unsigned int order)
{
	if (bfn & ((1ull << order) - 1))
		return false;
	return xst_caps.lookup_only ||
	       (bfn >= xst_caps.bfn_base &&
		bfn + (1ull << order) <= xst_caps.bfn_end);
}

static void xst_map(struct xst_thread *t)
{
	unsigned int order = get_random_u32_below(4) || !xst_caps.max_order ?
			     0 : min(4u, xst_caps.max_order);
	u64 gfn = get_random_u32_below(t->gfns) & ~((1ull << order) - 1);
	u64 bfn, got;
	int rc;

	if (t->nheld == XST_HELD)
		return;
	if (order && (t->flags & XPV_EMU_SWAP))
		order = 0;	/* swap_mfn is order 0 only */
	rc = xpv_emu_map(t->emu, &gfn, 1, order, t->flags, &bfn);
	atomic64_inc(&xst_maps);
	if (rc == -ENXIO || (rc == -ENOSPC && order)) {
		atomic64_inc(&xst_refused);
		return;
	}
	if (rc) {
		xst_fail("map", gfn, 0, rc);
		return;
	}
	if (!xst_bfn_ok(bfn, order))
		xst_fail("map: BFN outside the window or misaligned", gfn, bfn,
			 0);
	t->held[t->nheld].gfn = gfn;
	t->held[t->nheld].bfn = bfn;
	t->held[t->nheld++].order = order;
	rc = xpv_emu_lookup(t->emu, gfn, order, &got);
	atomic64_inc(&xst_lookups);
	if (rc && rc != -ENOENT)
		xst_fail("lookup after map", gfn, bfn, rc);
	if (!rc && !xst_bfn_ok(got, order))
		xst_fail("lookup after map: bad BFN", gfn, got, 0);
}

static void xst_unmap_one(struct xst_thread *t, unsigned int i)
{
	int rc = xpv_emu_unmap(t->emu, &t->held[i].bfn, 1);

	atomic64_inc(&xst_unmaps);
	if (rc)
		xst_fail("unmap of a held reference", t->held[i].gfn,
			 t->held[i].bfn, rc);
	t->held[i] = t->held[--t->nheld];
}

static void xst_lookup(struct xst_thread *t)
{
	struct xst_ref *r;
	u64 got;
	int rc;

	if (!t->nheld)
		return;
	r = &t->held[get_random_u32_below(t->nheld)];
	rc = xpv_emu_lookup(t->emu, r->gfn, r->order, &got);
	atomic64_inc(&xst_lookups);
	/*
	 * Invalidated: -ENOENT, or (re-mapped by another thread since) a
	 * new live mapping's BFN; never a bad one.
	 */
	if (rc && rc != -ENOENT)
		xst_fail("lookup", r->gfn, r->bfn, rc);
	if (!rc && !xst_bfn_ok(got, r->order))
		xst_fail("lookup: bad BFN", r->gfn, got, 0);
}

static int xst_thread_fn(void *arg)
{
	struct xst_thread *t = arg;
	unsigned int n = 0, op;

	while (!kthread_should_stop()) {
		op = get_random_u32_below(10);
		if (op < 4)
			xst_map(t);
		else if (op < 7 && t->nheld)
			xst_unmap_one(t, get_random_u32_below(t->nheld));
		else if (op < 9)
			xst_lookup(t);
		else
			xpv_emu_poll(t->emu);
		atomic64_inc(&xst_ops);
		if (!(++n % 16))
			usleep_range(50, 200);
		else
			cond_resched();
	}
	while (t->nheld)
		xst_unmap_one(t, t->nheld - 1);
	return 0;
}

static int xst_run(u16 domid, u16 ios_swap, u16 ios_plain, u64 gfns,
		   unsigned int nthreads, unsigned int ms)
{
	struct xpv_emu *emu[2] = { NULL, NULL };
	struct xst_thread *t;
	unsigned int i, started = 0;
	int rc;

	if (!gfns || gfns > (1u << 20) || !nthreads ||
	    nthreads > XST_THREADS || ms > 600000)
		return -EINVAL;
	rc = xpv_emu_query_caps(&xst_caps);
	if (rc)
		return rc;
	t = kcalloc(nthreads, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	emu[0] = xpv_emu_open(domid, ios_swap, &xst_ops_cb, NULL);
	emu[1] = xpv_emu_open(domid, ios_plain, &xst_ops_cb, NULL);
	rc = IS_ERR(emu[0]) ? PTR_ERR(emu[0]) :
	     IS_ERR(emu[1]) ? PTR_ERR(emu[1]) : 0;
	if (rc)
		goto close;
	atomic64_set(&xst_ops, 0);
	atomic64_set(&xst_maps, 0);
	atomic64_set(&xst_unmaps, 0);
	atomic64_set(&xst_lookups, 0);
	atomic64_set(&xst_refused, 0);
	atomic64_set(&xst_inv, 0);
	atomic64_set(&xst_errors, 0);
	xst_err[0] = '\0';
	for (i = 0; i < nthreads; i++) {
		t[i].emu = emu[i % 2];
		t[i].flags = i % 2 ? 0 : XPV_EMU_SWAP;
		t[i].gfns = gfns;
		t[i].task = kthread_run(xst_thread_fn, &t[i], "xpv_emu_st%u",
					i);
		if (IS_ERR(t[i].task)) {
			rc = PTR_ERR(t[i].task);
			break;
		}
		started++;
	}
	if (!rc)
		msleep(ms);
	for (i = 0; i < started; i++)
		kthread_stop(t[i].task);
	if (!rc && atomic64_read(&xst_errors))
		rc = -EIO;
close:
	for (i = 0; i < 2; i++)
		if (!IS_ERR_OR_NULL(emu[i]))
			xpv_emu_close(emu[i]);
	kfree(t);
	return rc;
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	unsigned int domid, a, b, nthreads, ms;
	unsigned long long gfns;
	char buf[96];
	int rc;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "run %u %u %u %llu %u %u", &domid, &a, &b, &gfns,
		   &nthreads, &ms) != 6 || domid > 0xffff || a > 0xffff ||
	    b > 0xffff)
		return -EINVAL;
	mutex_lock(&xst_lock);
	rc = xst_run(domid, a, b, gfns, nthreads, ms);
	mutex_unlock(&xst_lock);
	return rc ? rc : len;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int result_show(struct seq_file *m, void *v)
{
	mutex_lock(&xst_lock);
	seq_printf(m, "ops=%lld maps=%lld unmaps=%lld lookups=%lld refused=%lld inv=%lld errors=%lld\n",
		   atomic64_read(&xst_ops), atomic64_read(&xst_maps),
		   atomic64_read(&xst_unmaps), atomic64_read(&xst_lookups),
		   atomic64_read(&xst_refused), atomic64_read(&xst_inv),
		   atomic64_read(&xst_errors));
	if (xst_err[0])
		seq_printf(m, "%s\n", xst_err);
	mutex_unlock(&xst_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static int __init xst_init(void)
{
	xst_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, xst_dir, NULL, &ctl_fops);
	debugfs_create_file("result", 0400, xst_dir, NULL, &result_fops);
	return 0;
}
module_init(xst_init);

static void __exit xst_exit(void)
{
	debugfs_remove(xst_dir);
}
module_exit(xst_exit);

MODULE_DESCRIPTION("Multi-threaded stress of the xen_pviommu emulator API (test only)");
MODULE_AUTHOR("The xen-pviommu authors");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(XPV_NS_API);
